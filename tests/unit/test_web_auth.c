/*
 * The dashboard's authentication without a server: PBKDF2 hashes (checked
 * against Python's hashlib), verification, generated passwords and the
 * web_auth.json file (mode 0600, written once, a damaged file refused and
 * left alone), sessions and their idle expiry, and the login rate limit's
 * lockouts growing to their cap.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mesh/bytes.h"
#include "mesh/err.h"
#include "web/auth.h"
#include "web/login_limit.h"
#include "web/session.h"

#define FAST 1000u   /* iterations: tests need not be slow */
#define DAY_MS (24ull * 3600 * 1000)

static const uint8_t salt16[WEB_AUTH_SALT_LEN] = { 0, 1, 2, 3, 4, 5, 6, 7,
						   8, 9, 10, 11, 12, 13, 14, 15 };

struct dir {
	char path[64];
	char file[128];
};

static void dir_make(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/meshgate-webauth-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->file, sizeof(d->file), "%s/%s", d->path, WEB_AUTH_FILE);
}

static void dir_remove(struct dir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* ---- hashing ------------------------------------------------------------------- */

static void test_hash_vectors(void **state)
{
	/* hashlib.pbkdf2_hmac('sha256', password, bytes(range(16)), 1000, 32) */
	static const char *const want[] = {
		"c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
		"c5b301b1fd61bced63f00642a2304ec674519fbd7cd83c4bc83dafe1743f9855",
	};
	uint8_t out[WEB_AUTH_HASH_LEN];
	char hex[2 * WEB_AUTH_HASH_LEN + 1];

	(void)state;
	assert_int_equal(web_auth_hash("correct horse", 13, salt16, 1000, out), 0);
	mesh_hex_encode(out, sizeof(out), hex);
	assert_string_equal(hex, want[0]);
	assert_int_equal(web_auth_hash("", 0, salt16, 1000, out), 0);
	mesh_hex_encode(out, sizeof(out), hex);
	assert_string_equal(hex, want[1]);
	assert_int_equal(web_auth_hash("x", 1, salt16, 0, out), MESH_ERR_INVAL);
}

static void test_verify(void **state)
{
	struct web_auth_secret a, b;
	char long_pw[WEB_AUTH_PASSWORD_MAX + 2];

	(void)state;
	assert_int_equal(web_auth_secret_make(&a, "correct horse", 13, FAST), 0);
	assert_int_equal(a.iterations, FAST);
	assert_true(web_auth_verify(&a, "correct horse", 13));
	assert_false(web_auth_verify(&a, "correct hors", 12));
	assert_false(web_auth_verify(&a, "Correct horse", 13));
	assert_false(web_auth_verify(&a, "", 0));
	/* A fresh salt each time: the same password, another hash. */
	assert_int_equal(web_auth_secret_make(&b, "correct horse", 13, FAST), 0);
	assert_memory_not_equal(a.salt, b.salt, sizeof(a.salt));
	assert_memory_not_equal(a.hash, b.hash, sizeof(a.hash));
	assert_true(web_auth_verify(&b, "correct horse", 13));
	/* Too long is wrong, even when its first part matches. */
	memset(long_pw, 'a', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	assert_int_equal(web_auth_secret_make(&a, long_pw, WEB_AUTH_PASSWORD_MAX, FAST), 0);
	assert_true(web_auth_verify(&a, long_pw, WEB_AUTH_PASSWORD_MAX));
	assert_false(web_auth_verify(&a, long_pw, WEB_AUTH_PASSWORD_MAX + 1));
}

static void test_generate(void **state)
{
	char a[WEB_AUTH_GENERATED_LEN + 1], b[WEB_AUTH_GENERATED_LEN + 1];

	(void)state;
	assert_int_equal(web_auth_generate(a), 0);
	assert_int_equal(web_auth_generate(b), 0);
	assert_int_equal(strlen(a), WEB_AUTH_GENERATED_LEN);
	assert_string_not_equal(a, b);
	for (size_t i = 0; i < WEB_AUTH_GENERATED_LEN; i++) {
		assert_non_null(strchr("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789",
				       a[i]));
		assert_null(strchr("0O1lIo", a[i]));
	}
}

/* ---- the file -------------------------------------------------------------------- */

static void test_config_password_writes_nothing(void **state)
{
	struct web_auth_secret s;
	char gen[WEB_AUTH_GENERATED_LEN + 1], err[512];
	struct dir d;

	(void)state;
	dir_make(&d);
	assert_int_equal(web_auth_setup(&s, "from config", d.path, WEB_AUTH_ITERATIONS, gen, err,
					sizeof(err)), 0);
	assert_string_equal(gen, "");
	assert_true(web_auth_verify(&s, "from config", 11));
	assert_false(web_auth_verify(&s, "from confi", 10));
	assert_int_equal(access(d.file, F_OK), -1);
	/* Never stored, so not slow to make: start-up does not wait for it. */
	assert_int_equal(s.iterations, WEB_AUTH_ITERATIONS_MIN);
	/* A file from an earlier start does not override the configuration. */
	write_file(d.file, "not json");
	assert_int_equal(web_auth_setup(&s, "from config", d.path, FAST, gen, err, sizeof(err)), 0);
	assert_true(web_auth_verify(&s, "from config", 11));
	dir_remove(&d);
}

static void test_generated_file(void **state)
{
	struct web_auth_secret s, again;
	char gen[WEB_AUTH_GENERATED_LEN + 1], gen2[WEB_AUTH_GENERATED_LEN + 1], err[512];
	char tmp[160];
	const char *text;
	struct stat st;
	struct dir d;

	(void)state;
	dir_make(&d);
	assert_int_equal(web_auth_setup(&s, "", d.path, FAST, gen, err, sizeof(err)), 0);
	assert_int_equal(strlen(gen), WEB_AUTH_GENERATED_LEN);
	assert_true(web_auth_verify(&s, gen, strlen(gen)));
	assert_int_equal(stat(d.file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Written through a temporary file that is gone now. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", d.file);
	assert_int_equal(access(tmp, F_OK), -1);
	/* Only the hash is stored. */
	text = read_file(d.file);
	assert_null(strstr(text, gen));
	assert_non_null(strstr(text, "\"kdf\": \"pbkdf2-hmac-sha256\""));
	assert_non_null(strstr(text, "\"iterations\": 1000"));
	/* The next start loads it: the same password, none shown. */
	assert_int_equal(web_auth_setup(&again, NULL, d.path, FAST, gen2, err, sizeof(err)), 0);
	assert_string_equal(gen2, "");
	assert_true(web_auth_verify(&again, gen, strlen(gen)));
	assert_memory_equal(&again, &s, sizeof(s));
	dir_remove(&d);
}

/* A damaged file: an error naming it and the way out, and it stays. */
static void check_damaged(const char *content, const char *why)
{
	struct web_auth_secret s;
	char gen[WEB_AUTH_GENERATED_LEN + 1], err[512];
	struct dir d;

	dir_make(&d);
	write_file(d.file, content);
	assert_int_equal(web_auth_setup(&s, "", d.path, FAST, gen, err, sizeof(err)),
			 MESH_ERR_MALFORMED);
	assert_string_equal(gen, "");
	assert_non_null(strstr(err, d.file));
	assert_non_null(strstr(err, why));
	assert_non_null(strstr(err, "delete it"));
	assert_string_equal(read_file(d.file), content);
	dir_remove(&d);
}

static void test_damaged_file(void **state)
{
	static const char good_salt[] = "\"salt\":\"000102030405060708090a0b0c0d0e0f\"";
	static const char good_hash[] =
		"\"hash\":\"c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864\"";
	char text[512];

	(void)state;
	check_damaged("", "not valid JSON");
	check_damaged("{\"version\":1,", "not valid JSON");
	check_damaged("[1,2]", "not a JSON object");
	check_damaged("{\"version\":2}", "unknown version");
	check_damaged("{\"version\":1,\"kdf\":\"md5\"}", "kdf");
	snprintf(text, sizeof(text), "{\"version\":1,\"kdf\":\"pbkdf2-hmac-sha256\","
		 "\"iterations\":10,%s,%s}", good_salt, good_hash);
	check_damaged(text, "iterations");
	snprintf(text, sizeof(text), "{\"version\":1,\"kdf\":\"pbkdf2-hmac-sha256\","
		 "\"iterations\":1000,\"salt\":\"00\",%s}", good_hash);
	check_damaged(text, "salt");
	snprintf(text, sizeof(text), "{\"version\":1,\"kdf\":\"pbkdf2-hmac-sha256\","
		 "\"iterations\":1000,%s,\"hash\":\"zz\"}", good_salt);
	check_damaged(text, "hash");
	snprintf(text, sizeof(text), "{\"version\":1,\"version\":1,\"kdf\":\"pbkdf2-hmac-sha256\","
		 "\"iterations\":1000,%s,%s}", good_salt, good_hash);
	check_damaged(text, "not valid JSON");
}

/* The file as another tool would write it: loads, and checks the password. */
static void test_file_written_by_hand(void **state)
{
	struct web_auth_secret s;
	char gen[WEB_AUTH_GENERATED_LEN + 1], err[512];
	struct dir d;

	(void)state;
	dir_make(&d);
	write_file(d.file, "{\"version\":1,\"kdf\":\"pbkdf2-hmac-sha256\",\"iterations\":1000,"
		   "\"salt\":\"000102030405060708090A0B0C0D0E0F\",\"hash\":"
		   "\"c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864\"}");
	assert_int_equal(web_auth_setup(&s, NULL, d.path, FAST, gen, err, sizeof(err)), 0);
	assert_true(web_auth_verify(&s, "correct horse", 13));
	assert_false(web_auth_verify(&s, "correct horsE", 13));
	dir_remove(&d);
}

static void test_no_data_dir(void **state)
{
	struct web_auth_secret s;
	char gen[WEB_AUTH_GENERATED_LEN + 1], err[512];

	(void)state;
	assert_int_equal(web_auth_setup(&s, "", NULL, FAST, gen, err, sizeof(err)),
			 MESH_ERR_INVAL);
	assert_non_null(strstr(err, "data directory"));
	assert_int_equal(web_auth_setup(&s, "", "/nonexistent/meshgate", FAST, gen, err,
					sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/meshgate/web_auth.json"));
	assert_string_equal(gen, "");
}

/* ---- sessions ------------------------------------------------------------------- */

static void test_sessions(void **state)
{
	struct web_sessions t;
	char a[WEB_SESSION_HEX_LEN + 1], b[WEB_SESSION_HEX_LEN + 1], bad[WEB_SESSION_HEX_LEN + 1];
	uint64_t now = 1000;

	(void)state;
	web_sessions_init(&t, 0);
	assert_int_equal(web_sessions_create(&t, now, a), 0);
	assert_int_equal(web_sessions_create(&t, now, b), 0);
	assert_int_equal(strlen(a), WEB_SESSION_HEX_LEN);
	assert_string_not_equal(a, b);
	assert_true(web_sessions_check(&t, a, now));
	assert_int_equal(web_sessions_count(&t, now), 2);
	/* One changed digit, the wrong length, not hex: nothing. */
	memcpy(bad, a, sizeof(bad));
	bad[10] = bad[10] == '0' ? '1' : '0';
	assert_false(web_sessions_check(&t, bad, now));
	assert_false(web_sessions_check(&t, "abcd", now));
	bad[10] = 'x';
	assert_false(web_sessions_check(&t, bad, now));

	/* Used on day 6, a is alive on day 12; b, idle for 7 days, is not. */
	assert_true(web_sessions_check(&t, a, now + 6 * DAY_MS));
	assert_true(web_sessions_check(&t, a, now + 12 * DAY_MS));
	assert_false(web_sessions_check(&t, b, now + 7 * DAY_MS));
	assert_int_equal(web_sessions_count(&t, now + 12 * DAY_MS), 1);
	assert_false(web_sessions_check(&t, a, now + 19 * DAY_MS + 1));

	/* Logout. */
	assert_int_equal(web_sessions_create(&t, now, a), 0);
	web_sessions_drop(&t, a);
	assert_false(web_sessions_check(&t, a, now));
	web_sessions_drop(&t, a);
	web_sessions_clear(&t);
	assert_int_equal(web_sessions_count(&t, now), 0);
}

static void test_sessions_full(void **state)
{
	struct web_sessions t;
	char first[WEB_SESSION_HEX_LEN + 1], second[WEB_SESSION_HEX_LEN + 1];
	char hex[WEB_SESSION_HEX_LEN + 1];

	(void)state;
	web_sessions_init(&t, 60000);
	assert_int_equal(web_sessions_create(&t, 1, first), 0);
	assert_int_equal(web_sessions_create(&t, 2, second), 0);
	for (uint64_t i = 2; i < WEB_SESSIONS_MAX; i++)
		assert_int_equal(web_sessions_create(&t, 10 + i, hex), 0);
	/* first was used last; second is now the least recently used. */
	assert_true(web_sessions_check(&t, first, 100));
	assert_int_equal(web_sessions_count(&t, 100), WEB_SESSIONS_MAX);
	assert_int_equal(web_sessions_create(&t, 101, hex), 0);
	assert_int_equal(web_sessions_count(&t, 101), WEB_SESSIONS_MAX);
	assert_false(web_sessions_check(&t, second, 101));
	assert_true(web_sessions_check(&t, first, 101));
	assert_true(web_sessions_check(&t, hex, 101));
	/* The idle time given at init. */
	assert_false(web_sessions_check(&t, hex, 101 + 60000));
}

/* ---- rate limiting ------------------------------------------------------------- */

static void attempts(struct web_login_limit *l, const char *addr, unsigned int n, uint64_t now)
{
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(web_login_limit_wait(l, addr, now), 0);
		web_login_limit_attempt(l, addr, now);
	}
}

static void test_rate_limit(void **state)
{
	static struct web_login_limit l;
	uint64_t now = 5000;
	const uint32_t locks[] = { 30, 60, 120, 240, 300, 300 };

	(void)state;
	web_login_limit_init(&l);
	attempts(&l, "10.0.0.1", WEB_LOGIN_ATTEMPTS_MAX - 1, now);
	assert_int_equal(web_login_limit_wait(&l, "10.0.0.1", now), 0);
	/* The fifth attempt locks, growing each time up to 5 minutes. */
	for (size_t i = 0; i < sizeof(locks) / sizeof(locks[0]); i++) {
		if (i)
			attempts(&l, "10.0.0.1", WEB_LOGIN_ATTEMPTS_MAX - 1, now);
		web_login_limit_attempt(&l, "10.0.0.1", now);
		assert_int_equal(web_login_limit_wait(&l, "10.0.0.1", now), locks[i]);
		assert_int_equal(web_login_limit_wait(&l, "10.0.0.1", now + 1), locks[i]);
		assert_int_equal(web_login_limit_wait(&l, "10.0.0.1", now + locks[i] * 1000 - 1000), 1);
		/* Another address is not affected. */
		assert_int_equal(web_login_limit_wait(&l, "10.0.0.2", now), 0);
		now += locks[i] * 1000;
		assert_int_equal(web_login_limit_wait(&l, "10.0.0.1", now), 0);
	}
	/* A success forgets the address: four wrong tries are free again. */
	web_login_limit_success(&l, "10.0.0.1");
	attempts(&l, "10.0.0.1", WEB_LOGIN_ATTEMPTS_MAX - 1, now);
	web_login_limit_success(&l, "10.0.0.1");
	attempts(&l, "10.0.0.1", WEB_LOGIN_ATTEMPTS_MAX - 1, now);
	web_login_limit_attempt(&l, "10.0.0.1", now);
	assert_int_equal(web_login_limit_wait(&l, "10.0.0.1", now), 30);
}

static void test_rate_limit_forgets(void **state)
{
	static struct web_login_limit l;
	char addr[32];

	(void)state;
	web_login_limit_init(&l);
	/* Two lockouts, then an hour of quiet: the next lockout is the first again. */
	attempts(&l, "10.0.0.1", WEB_LOGIN_ATTEMPTS_MAX, 0);
	attempts(&l, "10.0.0.1", WEB_LOGIN_ATTEMPTS_MAX, 30000);
	assert_int_equal(web_login_limit_wait(&l, "10.0.0.1", 30000), 60);
	attempts(&l, "10.0.0.1", WEB_LOGIN_ATTEMPTS_MAX, 90000 + WEB_LOGIN_FORGET_MS);
	assert_int_equal(web_login_limit_wait(&l, "10.0.0.1", 90000 + WEB_LOGIN_FORGET_MS), 30);

	/* A full table drops an unlocked entry before a locked one. */
	web_login_limit_init(&l);
	attempts(&l, "10.0.0.1", WEB_LOGIN_ATTEMPTS_MAX, 0);
	for (unsigned int i = 1; i < WEB_LOGIN_ADDRS_MAX + 10; i++) {
		snprintf(addr, sizeof(addr), "10.1.%u.%u", i / 256, i % 256);
		web_login_limit_attempt(&l, addr, i);
	}
	assert_int_equal(web_login_limit_wait(&l, "10.0.0.1", 1000), 29);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_config_password_writes_nothing),
		cmocka_unit_test(test_generated_file),
		cmocka_unit_test(test_damaged_file),
		cmocka_unit_test(test_file_written_by_hand),
		cmocka_unit_test(test_no_data_dir),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_sessions_full),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_rate_limit_forgets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
