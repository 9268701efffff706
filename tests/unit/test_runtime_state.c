/*
 * meshgate's runtime state file (gateway/runtime_state.h): a round trip
 * through state.json, a fresh start, a missing file, and damaged files,
 * each refused with a message naming the file and the member (or line and
 * column) at fault, and left exactly as it was on disk.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/runtime_state.h"
#include "vectors.h"

#define PATH_BUF 128
#define ERR_BUF 512

static char tmpdir[64];
static char state_path[PATH_BUF];
static char bak_path[PATH_BUF];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_runtime_state.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(state_path, sizeof(state_path), "%s/state.json", tmpdir);
	snprintf(bak_path, sizeof(bak_path), "%s/state.json.bak", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	(void)state;
	while (d && (e = readdir(d)) != NULL) {
		char path[sizeof(tmpdir) + sizeof(e->d_name) + 1];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	return rmdir(tmpdir);
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static char *get_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void assert_same_state(const struct runtime_state *a, const struct runtime_state *b)
{
	assert_int_equal(a->iv_index, b->iv_index);
	assert_int_equal(a->iv_update, b->iv_update);
	assert_int_equal(a->seq_reserved, b->seq_reserved);
	assert_int_equal(a->n_rpl, b->n_rpl);
	for (size_t i = 0; i < a->n_rpl; i++) {
		assert_int_equal(a->rpl[i].src, b->rpl[i].src);
		assert_int_equal(a->rpl[i].seq, b->rpl[i].seq);
		assert_int_equal(a->rpl[i].iv_index, b->rpl[i].iv_index);
	}
}

static struct runtime_state *new_state(void)
{
	struct runtime_state *s = malloc(sizeof(*s));

	assert_non_null(s);
	runtime_state_init(s);
	return s;
}

static void fill_sample(struct runtime_state *s)
{
	runtime_state_init(s);
	s->iv_index = 0xfedcba98;
	s->iv_update = true;
	s->seq_reserved = 0x123456;
	s->n_rpl = 3;
	s->rpl[0] = (struct runtime_rpl_entry){ .src = 0x0001, .seq = 0, .iv_index = 0xfedcba97 };
	s->rpl[1] = (struct runtime_rpl_entry){ .src = 0x7fff, .seq = 0xffffff,
						 .iv_index = 0xfedcba98 };
	s->rpl[2] = (struct runtime_rpl_entry){ .src = 0x0abc, .seq = 77, .iv_index = 0 };
}

/* --- good files ----------------------------------------------------------- */

static void test_round_trip(void **state)
{
	struct runtime_state *s = new_state(), *back = new_state();
	char err[ERR_BUF], *text, *bak;
	struct stat st;

	(void)state;
	fill_sample(s);
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), 0);
	assert_int_equal(stat(state_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(runtime_state_load(back, tmpdir, err, sizeof(err)), 0);
	assert_same_state(s, back);

	/* the spelling other tools and people read */
	text = get_file(state_path);
	assert_non_null(strstr(text, "\"ivIndex\": 4275878552"));
	assert_non_null(strstr(text, "\"ivUpdate\": true"));
	assert_non_null(strstr(text, "\"seqReserved\": 1193046"));
	assert_non_null(strstr(text, "\"src\": \"7FFF\""));
	assert_non_null(strstr(text, "\"src\": \"0ABC\""));
	assert_int_equal(text[strlen(text) - 1], '\n');

	/* the previous version is kept */
	s->seq_reserved += 0x1000;
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), 0);
	bak = get_file(bak_path);
	assert_string_equal(bak, text);
	free(bak);
	assert_int_equal(runtime_state_load(back, tmpdir, err, sizeof(err)), 0);
	assert_int_equal(back->seq_reserved, 0x124456);
	free(text);

	/* and in memory, with the full RPL */
	s->n_rpl = RUNTIME_RPL_MAX;
	for (size_t i = 0; i < RUNTIME_RPL_MAX; i++)
		s->rpl[i] = (struct runtime_rpl_entry){ .src = (uint16_t)(0x7fff - i),
							.seq = (uint32_t)i * 16411u & 0xffffff,
							.iv_index = (uint32_t)i };
	text = runtime_state_to_json(s);
	assert_non_null(text);
	assert_int_equal(runtime_state_from_json(back, text, strlen(text), "mem", err,
						 sizeof(err)), 0);
	assert_same_state(s, back);
	free(text);
	free(s);
	free(back);
}

static void test_fresh_state(void **state)
{
	struct runtime_state *s = malloc(sizeof(*s)), *back = new_state();
	char err[ERR_BUF];

	(void)state;
	assert_non_null(s);
	memset(s, 0xa5, sizeof(*s));
	runtime_state_init(s);
	assert_int_equal(s->iv_index, 0);
	assert_false(s->iv_update);
	assert_int_equal(s->seq_reserved, 0);
	assert_int_equal(s->n_rpl, 0);
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), 0);
	back->iv_index = 99;
	assert_int_equal(runtime_state_load(back, tmpdir, err, sizeof(err)), 0);
	assert_same_state(s, back);
	free(s);
	free(back);
}

static void test_missing_file(void **state)
{
	struct runtime_state *s = new_state();
	char err[ERR_BUF], missing_dir[PATH_BUF];

	(void)state;
	assert_int_equal(runtime_state_load(s, tmpdir, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, state_path));
	snprintf(missing_dir, sizeof(missing_dir), "%s/nowhere", tmpdir);
	assert_int_equal(runtime_state_load(s, missing_dir, err, sizeof(err)), -ENOENT);
	free(s);
}

/* The whole 24-bit space reserved: what mesh_seq stores before it hands
 * out SEQ 0xffffff, so a restart must accept it. */
static void test_seq_space_exhausted(void **state)
{
	struct runtime_state *s = new_state(), *back = new_state();
	char err[ERR_BUF];

	(void)state;
	s->seq_reserved = 0x1000000;
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), 0);
	assert_int_equal(runtime_state_load(back, tmpdir, err, sizeof(err)), 0);
	assert_int_equal(back->seq_reserved, 0x1000000);
	free(s);
	free(back);
}

/* --- damaged files -------------------------------------------------------- */

#define GOOD_RPL "[{\"src\": \"0001\", \"seq\": 5, \"ivIndex\": 7}]"

struct damaged {
	const char *text;
	/* what follows "PATH" in the message: ": member: ..." or ":L:C: ..." */
	const char *message;
};

static const struct damaged damaged_files[] = {
	{ "{\"ivIndex\": 1,, \"ivUpdate\": false}",
	  ":1:15: JSON syntax: " },
	{ "{\n  \"ivIndex\": 1,\n  \"ivUpdate\": fals\n}\n",
	  ":3:18: JSON syntax: " },
	{ "", ":1:0: JSON syntax: " },
	{ "{\"ivIndex\": 1, \"ivIndex\": 2, \"ivUpdate\": false, \"seqReserved\": 0, "
	  "\"rpl\": []}", ":1:24: JSON syntax: duplicate object key" },
	{ "[]", ": expected a JSON object at the top level, got an array" },
	{ "{\"ivIndex\": -1, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": []}",
	  ": ivIndex: -1 is out of range (0..4294967295)" },
	{ "{\"ivIndex\": 4294967296, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": []}",
	  ": ivIndex: 4294967296 is out of range (0..4294967295)" },
	{ "{\"ivIndex\": 1.5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": []}",
	  ": ivIndex: expected an integer, got a number with a fraction or exponent" },
	{ "{\"ivIndex\": \"5\", \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": []}",
	  ": ivIndex: expected an integer, got a string" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": 0, \"seqReserved\": 0, \"rpl\": []}",
	  ": ivUpdate: expected true or false, got an integer" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 16777217, \"rpl\": []}",
	  ": seqReserved: 16777217 is out of range (0..16777216)" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"rpl\": []}",
	  ": seqReserved: required member is missing" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": [], \"x\": 1}",
	  ": unknown member \"x\"" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": {}}",
	  ": rpl: expected an array, got an object" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": [null]}",
	  ": rpl[0]: expected an object, got null" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": ["
	  "{\"src\": \"0001\", \"seq\": 1, \"ivIndex\": 5}, "
	  "{\"src\": \"0002\", \"seq\": 1, \"ivIndex\": 5}, "
	  "{\"src\": \"0003\", \"seq\": 1, \"ivIndex\": 5}, "
	  "{\"src\": \"C001\", \"seq\": 1, \"ivIndex\": 5}]}",
	  ": rpl[3].src: \"C001\" is not a unicast address" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": ["
	  "{\"src\": \"0000\", \"seq\": 1, \"ivIndex\": 5}]}",
	  ": rpl[0].src: \"0000\" is not a unicast address" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": ["
	  "{\"src\": \"001\", \"seq\": 1, \"ivIndex\": 5}]}",
	  ": rpl[0].src: \"001\" is not an address of 4 hexadecimal digits" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": ["
	  "{\"src\": \"00g1\", \"seq\": 1, \"ivIndex\": 5}]}",
	  ": rpl[0].src: \"00g1\" is not an address of 4 hexadecimal digits" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": ["
	  "{\"src\": 1, \"seq\": 1, \"ivIndex\": 5}]}",
	  ": rpl[0].src: expected an address as a string of 4 hexadecimal digits, got an "
	  "integer" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": ["
	  "{\"src\": \"0001\", \"seq\": 1, \"ivIndex\": 5}, "
	  "{\"src\": \"0002\", \"seq\": 1, \"ivIndex\": 5}, "
	  "{\"src\": \"0001\", \"seq\": 2, \"ivIndex\": 5}]}",
	  ": rpl[2].src: \"0001\" appears twice (first at rpl[0])" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": ["
	  "{\"src\": \"0001\", \"seq\": 16777216, \"ivIndex\": 5}]}",
	  ": rpl[0].seq: 16777216 is out of range (0..16777215)" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": ["
	  "{\"src\": \"0001\", \"seq\": 1, \"ivIndex\": -5}]}",
	  ": rpl[0].ivIndex: -5 is out of range (0..4294967295)" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": ["
	  "{\"src\": \"0001\", \"ivIndex\": 5}]}",
	  ": rpl[0].seq: required member is missing" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": ["
	  "{\"src\": \"0001\", \"seq\": 1, \"ivIndex\": 5, \"seqAuth\": 3}]}",
	  ": rpl[0]: unknown member \"seqAuth\"" },
	{ "{\"ivIndex\": 5, \"ivUpdate\": false, \"seqReserved\": 0, \"rpl\": ["
	  "{\"src\": \"0001\", \"seq\": true, \"ivIndex\": 5}]}",
	  ": rpl[0].seq: expected an integer, got true" },
};

/* Load text from state.json: refused with PATH + message; the file and
 * the caller's state are left as they were. */
static void assert_refused(const char *text, const char *message)
{
	struct runtime_state *s = new_state(), *before = new_state();
	char err[ERR_BUF], expect[ERR_BUF], *after;
	struct stat st_before, st_after;

	fill_sample(s);
	fill_sample(before);
	put_file(state_path, text);
	assert_int_equal(stat(state_path, &st_before), 0);
	assert_int_equal(runtime_state_load(s, tmpdir, err, sizeof(err)), -EINVAL);
	snprintf(expect, sizeof(expect), "%s%s", state_path, message);
	if (strncmp(err, expect, strlen(expect)) != 0)
		fail_msg("for %s\n got \"%s\"\nwant \"%s...\"", text, err, expect);
	assert_same_state(s, before);

	after = get_file(state_path);
	assert_string_equal(after, text);
	assert_int_equal(stat(state_path, &st_after), 0);
	assert_int_equal(st_after.st_ino, st_before.st_ino);
	assert_int_equal(st_after.st_mtime, st_before.st_mtime);
	free(after);
	free(s);
	free(before);
}

static void test_damaged_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(damaged_files) / sizeof(damaged_files[0]); i++)
		assert_refused(damaged_files[i].text, damaged_files[i].message);
	/* no backup is made up from nothing */
	assert_int_equal(access(bak_path, F_OK), -1);
}

static void test_too_many_rpl_entries(void **state)
{
	size_t cap = 64 + (RUNTIME_RPL_MAX + 1) * 64, len;
	char *text = malloc(cap);

	(void)state;
	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "{\"ivIndex\": 1, \"ivUpdate\": false, "
			       "\"seqReserved\": 0, \"rpl\": [");
	for (int i = 1; i <= RUNTIME_RPL_MAX + 1; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"%s{\"src\": \"%04X\", \"seq\": 1, \"ivIndex\": 1}",
					i > 1 ? ", " : "", i);
	snprintf(text + len, cap - len, "]}");
	assert_refused(text, ": rpl: 1025 entries, at most 1024");
	free(text);
}

/* A damaged file names the backup a user can restore, when it loads. */
static void test_damaged_file_names_backup(void **state)
{
	struct runtime_state *s = new_state();
	char err[ERR_BUF], expect[ERR_BUF];

	(void)state;
	fill_sample(s);
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), 0);
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), 0);
	put_file(state_path, "{\"ivIndex\": -1, \"ivUpdate\": false, \"seqReserved\": 0, "
		 "\"rpl\": []}");
	assert_int_equal(runtime_state_load(s, tmpdir, err, sizeof(err)), -EINVAL);
	snprintf(expect, sizeof(expect), "%s: ivIndex: -1 is out of range (0..4294967295) "
		 "(the previous version is in %s)", state_path, bak_path);
	assert_string_equal(err, expect);

	/* a damaged backup is not offered */
	put_file(bak_path, "{");
	assert_int_equal(runtime_state_load(s, tmpdir, err, sizeof(err)), -EINVAL);
	assert_null(strstr(err, "previous version"));
	free(s);
}

/* Saving refuses what loading would refuse, and keeps the file as it was. */
static void test_save_refuses_invalid_state(void **state)
{
	struct runtime_state *s = new_state();
	char err[ERR_BUF], *before, *after;

	(void)state;
	fill_sample(s);
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), 0);
	before = get_file(state_path);

	s->seq_reserved = 0x1000001;
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "seqReserved"));
	assert_non_null(strstr(err, "not saved"));
	fill_sample(s);
	s->rpl[1].src = 0x8001;
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "rpl[1].src: \"8001\" is not a unicast address"));
	fill_sample(s);
	s->rpl[2].src = s->rpl[0].src;
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "rpl[2].src"));
	fill_sample(s);
	s->rpl[0].seq = 0x1000000;
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "rpl[0].seq"));
	fill_sample(s);
	s->n_rpl = RUNTIME_RPL_MAX + 1;
	assert_int_equal(runtime_state_save(s, tmpdir, err, sizeof(err)), -EINVAL);
	assert_null(runtime_state_to_json(s));

	after = get_file(state_path);
	assert_string_equal(after, before);
	free(before);
	free(after);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fresh_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_space_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_rpl_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_file_names_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_refuses_invalid_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
