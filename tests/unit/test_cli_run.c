/*
 * `meshgate run` as a user runs it: on the built-in simulator with an HCI
 * capture that btmon decodes, attached to a separate meshsim process over
 * its pty, stopped by SIGTERM, on an hci adapter this machine cannot open,
 * and with bad options.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli_helpers.h"

static char workdir[64];


/* Run a shell command with stdout+stderr into workdir/out; returns the exit
 * status and the output (to free). */
static int run(char **out, const char *fmt, ...)
{
	char cmd[2048], path[128];
	va_list ap;
	int rc;
	int n;

	cmd[0] = '(';
	va_start(ap, fmt);
	n = vsnprintf(cmd + 1, sizeof(cmd) - 200, fmt, ap) + 1;
	va_end(ap);
	assert_true(n > 1 && (size_t)n < sizeof(cmd) - 200);
	snprintf(path, sizeof(path), "%s/out", workdir);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, ") >'%s' 2>&1", path);
	rc = system(cmd);
	assert_true(WIFEXITED(rc));
	*out = cli_slurp(path);
	return WEXITSTATUS(rc);
}

/* Does a log line at level (text format: "12:00:00.000 error hci: ...")
 * appear in out? A message may well carry the word, in an event's JSON
 * ("error":"meshgate is shutting down") say. */
static bool has_log_level(const char *out, const char *level)
{
	size_t n = strlen(level);

	for (const char *line = out; *line;) {
		const char *sp = strchr(line, ' '), *end = strchr(line, '\n');

		if (sp && (!end || sp < end) && strncmp(sp + 1, level, n) == 0 && sp[1 + n] == ' ')
			return true;
		if (!end)
			break;
		line = end + 1;
	}
	return false;
}

static void test_simulator_with_btsnoop(void **state)
{
	char *out, *decoded;

	(void)state;
	assert_int_equal(run(&out, "%s run --no-web --exit-after 4 --hci-log %s/cap.btsnoop",
			     MESHGATE_BIN, workdir), 0);
	assert_non_null(strstr(out, "simulated world 'stairway'"));
	assert_non_null(strstr(out, "controller ready"));
	/* The stairway's unprovisioned lamps beacon every few seconds. */
	assert_non_null(strstr(out, "unprovisioned device"));
	assert_non_null(strstr(out, "--exit-after reached"));
	if (has_log_level(out, "error"))
		fail_msg("an error was logged:\n%s", out);

	assert_int_equal(run(&decoded, "btmon -r %s/cap.btsnoop", workdir), 0);
	assert_non_null(strstr(decoded, "LE Set Random Address (0x08|0x0005)"));
	assert_non_null(strstr(decoded, "LE Set Scan Parameters (0x08|0x000b)"));
	assert_non_null(strstr(decoded, "Type: Passive (0x00)"));
	assert_non_null(strstr(decoded, "Mesh Beacon"));
	free(decoded);
	free(out);
}

static void start_meshsim(const char *scenario)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "%s --no-stdin --link-dir %s/links %s/%s >%s/sim.out 2>&1 & echo $! >%s/sim.pid",
		 MESHSIM_BIN, workdir, MESHGATE_SOURCE_DIR, scenario, workdir, workdir);
	assert_int_equal(system(cmd), 0);
}

static void stop_meshsim(void)
{
	assert_int_equal(system("kill \"$(cat \"$MESHGATE_TEST_DIR/sim.pid\")\"; sleep 0.3"), 0);
}

static void test_attached_to_meshsim_over_pty(void **state)
{
	char *out, *sim;
	char link[128], path[128];
	struct stat st;
	int rc;

	(void)state;
	snprintf(link, sizeof(link), "%s/links/gateway", workdir);
	start_meshsim("tests/scenarios/chain4.yaml");
	for (int i = 0; i < 100 && lstat(link, &st) != 0; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	assert_int_equal(lstat(link, &st), 0);

	rc = run(&out, "%s run --no-web --bearer uart:%s --exit-after 2", MESHGATE_BIN, link);
	stop_meshsim();
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "controller ready"));
	assert_non_null(strstr(out, link));
	snprintf(path, sizeof(path), "%s/sim.out", workdir);
	sim = cli_slurp(path);
	assert_non_null(strstr(sim, "controller gateway:"));
	free(sim);
	free(out);
}

static void test_sigterm_stops_cleanly(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s run --no-web --hci-log %s/term.btsnoop & pid=$!; sleep 1.5; "
			     "kill -TERM $pid; wait $pid", MESHGATE_BIN, workdir), 0);
	assert_non_null(strstr(out, "SIGTERM: shutting down"));
	assert_non_null(strstr(out, "stopped after"));
	free(out);
}

static void test_hci_adapter_unavailable_is_explained(void **state)
{
	char *out;

	(void)state;
	/* This machine's kernel has no Bluetooth sockets. */
	assert_int_equal(run(&out, "%s run --bearer hci:hci0 --exit-after 1", MESHGATE_BIN), 1);
	assert_non_null(strstr(out, "hci0"));
	assert_non_null(strstr(out, "Bluetooth"));
	free(out);
}

static void test_bad_options_exit_2(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, "%s run --bearer bogus", MESHGATE_BIN), 2);
	assert_non_null(strstr(out, "unknown bearer 'bogus'"));
	free(out);
	assert_int_equal(run(&out, "%s run --bearer uart:/dev/null --baud 12345", MESHGATE_BIN), 2);
	assert_non_null(strstr(out, "--baud 12345"));
	free(out);
	assert_int_equal(run(&out, "%s run --bearer hci:usb0", MESHGATE_BIN), 2);
	assert_non_null(strstr(out, "expected an adapter name like hci0"));
	free(out);
	assert_int_equal(run(&out, "%s run --bearer simulator:%s/missing.yaml --exit-after 1",
			     MESHGATE_BIN, workdir), 1);
	assert_non_null(strstr(out, "missing.yaml"));
	free(out);
}

/* log.format: json: every line on stderr is one JSON object with the
 * time, level, module and message, as journald or Loki take them. */
static void test_log_format_json(void **state)
{
	char path[128], *out, *err, *line, *save = NULL;
	size_t lines = 0;
	bool saw_ready = false;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/json.yaml", workdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("mqtt:\n  enabled: false\nbearer:\n  type: simulator\nlog:\n  format: json\n", f);
	fclose(f);
	assert_int_equal(run(&out, "%s run --config %s --no-web --exit-after 3 2>%s/json.err",
			     MESHGATE_BIN, path, workdir), 0);
	free(out);
	snprintf(path, sizeof(path), "%s/json.err", workdir);
	err = cli_slurp(path);
	for (line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *j = json_loads(line, 0, &jerr);
		const char *time, *level, *message;

		if (!j)
			fail_msg("not a JSON line (%s): %s", jerr.text, line);
		time = json_string_value(json_object_get(j, "time"));
		level = json_string_value(json_object_get(j, "level"));
		message = json_string_value(json_object_get(j, "message"));
		assert_non_null(time);
		assert_int_equal(strlen(time), strlen("2026-11-21T10:00:00.123Z"));
		assert_int_equal(time[strlen(time) - 1], 'Z');
		assert_non_null(level);
		assert_non_null(json_string_value(json_object_get(j, "module")));
		assert_non_null(message);
		saw_ready |= strstr(message, "controller ready") != NULL;
		lines++;
		json_decref(j);
	}
	assert_true(lines > 3);
	assert_true(saw_ready);
	free(err);
}

/* SIGHUP applies the file's log settings: text lines before the first,
 * JSON objects after it; after the second (level error) not even the
 * reload's own info line. */
static void test_sighup_applies_log_settings(void **state)
{
	static const char base[] = "mqtt:\n  enabled: false\nbearer:\n  type: simulator\n";
	char path[3][128], cfg[128], errp[128], *out, *err, *line, *save = NULL;
	static const char *const logs[3] = { "log:\n  level: info\n",
					     "log:\n  level: info\n  format: json\n",
					     "log:\n  level: error\n  format: json\n" };
	size_t text_lines = 0, json_lines = 0, reloads = 0;
	bool json_seen = false;

	(void)state;
	for (int i = 0; i < 3; i++) {
		FILE *f;

		snprintf(path[i], sizeof(path[i]), "%s/hup-%d.yaml", workdir, i);
		f = fopen(path[i], "w");
		assert_non_null(f);
		fputs(base, f);
		fputs(logs[i], f);
		fclose(f);
	}
	snprintf(cfg, sizeof(cfg), "%s/hup.yaml", workdir);
	snprintf(errp, sizeof(errp), "%s/hup.err", workdir);
	/* Each step waits for the one before to show in the log: a SIGHUP
	 * before meshgate handles it would end the process. */
	assert_int_equal(run(&out, "cp %s %s && { %s run --config %s --no-web --exit-after 60 2>%s & "
			     "pid=$!; for i in $(seq 300); do grep -q 'controller ready' %s && break; "
			     "sleep 0.1; done; "
			     "cp %s %s; kill -HUP $pid; "
			     "for i in $(seq 300); do grep -q 'names and groups reloaded' %s && break; sleep 0.1; "
			     "done; "
			     "cp %s %s; kill -HUP $pid; sleep 1; kill -TERM $pid; wait $pid; }",
			     path[0], cfg, MESHGATE_BIN, cfg, errp, errp, path[1], cfg, errp, path[2],
			     cfg), 0);
	free(out);
	err = cli_slurp(errp);
	for (line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);

		if (!j) {
			/* Text lines come only before the switch. */
			assert_false(json_seen);
			text_lines++;
			continue;
		}
		json_seen = true;
		json_lines++;
		reloads += strstr(json_string_value(json_object_get(j, "message")),
				  "names and groups reloaded") != NULL;
		json_decref(j);
	}
	if (text_lines == 0 || json_lines == 0 || reloads != 1)
		fail_msg("%zu text lines, %zu JSON lines, %zu reload lines (want 1)", text_lines,
			 json_lines, reloads);
	free(err);
}

static int setup(void **state)
{
	(void)state;
	snprintf(workdir, sizeof(workdir), "/tmp/meshgate-cli-run-XXXXXX");
	if (!mkdtemp(workdir))
		return -1;
	setenv("MESHGATE_TEST_DIR", workdir, 1);
	/* the network database goes with the rest, not into the build dir */
	{
		char data[96];

		snprintf(data, sizeof(data), "%s/data", workdir);
		setenv("MESHGATE_DATA", data, 1);
	}
	return 0;
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
		cmocka_unit_test(test_simulator_with_btsnoop),
		cmocka_unit_test(test_attached_to_meshsim_over_pty),
		cmocka_unit_test(test_sigterm_stops_cleanly),
		cmocka_unit_test(test_hci_adapter_unavailable_is_explained),
		cmocka_unit_test(test_bad_options_exit_2),
		cmocka_unit_test(test_log_format_json),
		cmocka_unit_test(test_sighup_applies_log_settings),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
