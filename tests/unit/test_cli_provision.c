/*
 * Provisioning and the network database as a user drives them from the
 * command line, on the built-in simulated stairway: `meshgate provision`
 * with no OOB, with an output OOB value read off the (simulated) device
 * and typed in, with a wrong static OOB value; `meshgate network show`,
 * `export` and `import`; and a damaged database that `meshgate run`
 * refuses to start over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_helpers.h"

/* Stairway devices (deploy/scenarios/stairway.yaml). */
#define LAMP_1 "ceadffdd-8dbe-4c86-91a0-1604b5b5df05"      /* no OOB */
#define LAMP_3 "02da705d5822415f84ad3d66db9da905"          /* shows 4 digits */
#define SENSOR "2295c190d284474da23163c133378cb0"          /* static OOB */

static char workdir[64];


/* Run a bash command with stdout+stderr into workdir/out; returns the exit
 * status and the output (to free). */
static int run(char **out, const char *fmt, ...)
{
	char cmd[4096], script[128], path[128];
	va_list ap;
	FILE *f;
	int rc;

	va_start(ap, fmt);
	assert_true(vsnprintf(cmd, sizeof(cmd), fmt, ap) < (int)sizeof(cmd));
	va_end(ap);
	snprintf(script, sizeof(script), "%s/cmd.sh", workdir);
	snprintf(path, sizeof(path), "%s/out", workdir);
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", cmd);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "bash '%s' >'%s' 2>&1 </dev/null", script, path);
	rc = system(cmd);
	assert_true(WIFEXITED(rc));
	*out = cli_slurp(path);
	return WEXITSTATUS(rc);
}

static void expect(const char *out, const char *needle)
{
	if (!strstr(out, needle))
		fail_msg("expected '%s' in:\n%s", needle, out);
}

static void test_provision_no_oob_then_show(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s provision " LAMP_1 " --attention 5 --data %s/d1",
			     MESHGATE_BIN, workdir), 0);
	expect(out, "provisioned ceadffdd8dbe4c8691a01604b5b5df05 as node 0x");
	/* and then configured: composition read, key bound, heartbeats set */
	expect(out, "configured node 0x");
	free(out);
	assert_int_equal(run(&out, "%s network --data %s/d1 export %s/d1.json && cat %s/d1.json",
			     MESHGATE_BIN, workdir, workdir, workdir),
			 0);
	expect(out, "\"configComplete\": true");
	expect(out, "\"cid\": \"05F1\"");
	expect(out, "\"heartbeatPub\"");
	free(out);
	assert_int_equal(run(&out, "%s network show --data %s/d1", MESHGATE_BIN, workdir), 0);
	expect(out, "ceadffdd8dbe4c8691a01604b5b5df05");
	expect(out, "nodes: 2");          /* meshgate itself and the lamp */
	expect(out, "[meshgate]");
	free(out);

	/* Once it is a node, it is not provisioned again by mistake. */
	assert_int_equal(run(&out, "%s provision " LAMP_1 " --data %s/d1 --timeout 5",
			     MESHGATE_BIN, workdir), 1);
	expect(out, "already a node");
	free(out);
}

/* The user reads the number off the device and types it in. */
static void test_provision_output_oob_typed_in(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out,
			     "coproc MG { exec %s provision " LAMP_3 " --data %s/d2 --timeout 40 2>&1; }\n"
			     "while IFS= read -r line <&${MG[0]}; do\n"
			     "  echo \"$line\"\n"
			     "  case $line in\n"
			     "    *'simulated device'*' shows '*) v=${line##*shows }; v=${v%%%% *};;\n"
			     "    *'type it and press Enter'*) echo \"$v\" >&${MG[1]};;\n"
			     "  esac\n"
			     "done\n"
			     "wait $MG_PID",
			     MESHGATE_BIN, workdir),
			 0);
	expect(out, "output OOB authentication");
	expect(out, "type it and press Enter");
	expect(out, "provisioned 02da705d5822415f84ad3d66db9da905 as node 0x");
	free(out);
}

static void test_wrong_static_oob_is_a_clear_error(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s provision " SENSOR " --data %s/d3 --static-oob "
			     "00000000000000000000000000000000", MESHGATE_BIN, workdir), 1);
	expect(out, "confirmation failed");
	expect(out, "the OOB value did not match");
	free(out);
	assert_int_equal(run(&out, "%s network show --data %s/d3", MESHGATE_BIN, workdir), 0);
	expect(out, "nodes: 1");
	free(out);
}

static void test_export_and_import(void **state)
{
	char *out, path[160];
	struct stat st;

	(void)state;
	assert_int_equal(run(&out, "%s network show --data %s/d4", MESHGATE_BIN, workdir), 0);
	free(out);
	assert_int_equal(run(&out, "%s network --data %s/d4 export %s/backup.json", MESHGATE_BIN,
			     workdir, workdir), 0);
	expect(out, "keep it private");
	free(out);
	snprintf(path, sizeof(path), "%s/backup.json", workdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	out = cli_slurp(path);
	expect(out, "\"meshUUID\"");
	expect(out, "\"netKeys\"");
	free(out);

	assert_int_equal(run(&out, "%s network import %s/backup.json --data %s/d4", MESHGATE_BIN,
			     workdir, workdir), 1);
	expect(out, "already holds a network");
	free(out);
	assert_int_equal(run(&out, "%s network import %s/tests/data/cdb/nrf-mesh-export.json "
			     "--data %s/d5", MESHGATE_BIN, MESHGATE_SOURCE_DIR, workdir), 0);
	expect(out, "imported: ");
	expect(out, "3 nodes");
	free(out);
	assert_int_equal(run(&out, "%s network show --data %s/d5", MESHGATE_BIN, workdir), 0);
	expect(out, "[meshgate]");
	free(out);

	/* A meshgate export comes back with restore, not import. */
	assert_int_equal(run(&out, "%s network import %s/backup.json --data %s/d8", MESHGATE_BIN,
			     workdir, workdir), 1);
	expect(out, "bring it back with 'meshgate network restore'");
	free(out);
	assert_int_equal(run(&out, "%s network restore %s/backup.json --data %s/d8 && "
			     "%s network show --data %s/d4 | head -1 >%s/a && "
			     "%s network show --data %s/d8 | head -1 >%s/b && cmp %s/a %s/b",
			     MESHGATE_BIN, workdir, workdir, MESHGATE_BIN, workdir, workdir,
			     MESHGATE_BIN, workdir, workdir, workdir, workdir), 0);
	expect(out, "restored network 'meshgate'");
	free(out);
	assert_int_equal(run(&out, "%s network restore %s/tests/data/cdb/nrf-mesh-export.json "
			     "--data %s/d9", MESHGATE_BIN, MESHGATE_SOURCE_DIR, workdir), 1);
	expect(out, "use 'meshgate network import'");
	free(out);
}

static void test_damaged_database_refused(void **state)
{
	char *out, *before, *after, path[160];

	(void)state;
	assert_int_equal(run(&out, "%s network show --data %s/d6 && "
			     "truncate -s 200 %s/d6/mesh.json", MESHGATE_BIN, workdir, workdir), 0);
	free(out);
	snprintf(path, sizeof(path), "%s/d6/mesh.json", workdir);
	before = cli_slurp(path);
	assert_int_equal(run(&out, "%s run --data %s/d6 --exit-after 2", MESHGATE_BIN, workdir), 1);
	expect(out, "d6/mesh.json");
	expect(out, "refusing to start");
	free(out);
	after = cli_slurp(path);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_bad_arguments(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s provision 1234 --data %s/d7", MESHGATE_BIN, workdir), 2);
	expect(out, "'1234' is not a device UUID");
	free(out);
	assert_int_equal(run(&out, "%s provision ceadffdd8dbe4c8691a01604b5b5df05aaaa --data %s/d7",
			     MESHGATE_BIN, workdir), 2);
	expect(out, "is not a device UUID");
	free(out);
	assert_int_equal(run(&out, "%s provision --data %s/d7", MESHGATE_BIN, workdir), 2);
	expect(out, "which device?");
	free(out);
	assert_int_equal(run(&out, "%s provision " LAMP_1 " --method psychic --data %s/d7",
			     MESHGATE_BIN, workdir), 2);
	expect(out, "--method psychic");
	free(out);
	assert_int_equal(run(&out, "%s provision " LAMP_1 " --static-oob abc --data %s/d7",
			     MESHGATE_BIN, workdir), 2);
	expect(out, "--static-oob: expected 32 or 64 hex digits");
	free(out);
	assert_int_equal(run(&out, "%s provision " LAMP_1 " --attention 256 --data %s/d7",
			     MESHGATE_BIN, workdir), 2);
	expect(out, "--attention 256: expected 0..255 seconds");
	free(out);
	assert_int_equal(run(&out, "%s network --data %s/d7 frobnicate", MESHGATE_BIN, workdir), 2);
	expect(out, "unknown or incomplete command");
	free(out);
}

static int setup(void **state)
{
	(void)state;
	snprintf(workdir, sizeof(workdir), "/tmp/meshgate-cli-prov-XXXXXX");
	return mkdtemp(workdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provision_no_oob_then_show),
		cmocka_unit_test(test_provision_output_oob_typed_in),
		cmocka_unit_test(test_wrong_static_oob_is_a_clear_error),
		cmocka_unit_test(test_export_and_import),
		cmocka_unit_test(test_damaged_database_refused),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
