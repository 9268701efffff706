/*
 * Durable file replacement (gateway/store.h): round trips, modes whatever
 * the umask, the .bak of the previous version, leftovers of a crash,
 * symlinks, failures that must leave the old file alone and say which
 * file and step failed, mkdir -p; and the property the module exists for,
 * tested by killing a writer at random moments: the file is never torn
 * and never goes back in time, first through store_write() itself, then
 * through the network database that sits on it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gateway/netdb.h"
#include "gateway/store.h"
#include "vectors.h"

#define PATH_BUF 512
#define MSG_BUF 1024

static char tmpdir[64];

/* --- helpers ------------------------------------------------------------- */

/* rm -r: the crash tests leave whatever a killed writer left. */
static void remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700);
	d = opendir(path);
	while (d && (e = readdir(d)) != NULL) {
		char child[PATH_BUF];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		remove_tree(child);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_store.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(tmpdir);
	return 0;
}

/* tmpdir/name into out: for names a test holds on to. */
static void name_in_tmp(char out[PATH_BUF], const char *name)
{
	snprintf(out, PATH_BUF, "%s/%s", tmpdir, name);
}

/* tmpdir/name in one of a few rotating buffers: only for use within one
 * statement, as the ninth call reuses the first buffer. */
static const char *in_tmp(const char *name)
{
	static char bufs[8][PATH_BUF];
	static unsigned next;
	char *p = bufs[next++ % 8];

	snprintf(p, PATH_BUF, "%s/%s", tmpdir, name);
	return p;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Plain stdio, independent of the code under test. */
static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static char *get_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)size;
	return buf;
}

static void assert_file_is(const char *path, const char *text)
{
	char *got = get_file(path, NULL);

	assert_non_null(got);
	assert_string_equal(got, text);
	free(got);
}

static void assert_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", s, prefix);
}

static void assert_contains(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

static int save(const char *path, const char *text, bool keep_backup)
{
	char err[MSG_BUF];
	int rc = store_write(path, text, strlen(text), 0600, keep_backup, err, sizeof(err));

	if (rc != 0)
		print_error("%s\n", err);
	return rc;
}

/* --- round trips, modes, backups ----------------------------------------- */

static void test_round_trip(void **state)
{
	static const char binary[] = { 'a', 0, 'b', '\n', (char)0xff };
	char path[PATH_BUF];
	char err[MSG_BUF], *data;
	size_t len;

	(void)state;
	name_in_tmp(path, "mesh.json");
	assert_int_equal(save(path, "{\"v\": 1}\n", false), 0);
	assert_int_equal(store_read(path, 1024, &data, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 9);
	assert_string_equal(data, "{\"v\": 1}\n");
	free(data);

	/* Embedded NULs come back whole, and a NUL ends the buffer. */
	assert_int_equal(store_write(path, binary, sizeof(binary), 0600, false, err,
				     sizeof(err)), 0);
	assert_int_equal(store_read(path, 1024, &data, &len, err, sizeof(err)), 0);
	assert_int_equal(len, sizeof(binary));
	assert_memory_equal(data, binary, sizeof(binary));
	assert_int_equal(data[len], '\0');
	free(data);

	/* An empty file is an empty string, not an error. */
	assert_int_equal(store_write(path, NULL, 0, 0600, false, err, sizeof(err)), 0);
	assert_int_equal(store_read(path, 1024, &data, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);

	/* No working files left behind. */
	assert_false(exists(in_tmp("mesh.json.tmp")));
	assert_false(exists(in_tmp("mesh.json.bak.tmp")));
}

static void test_modes_despite_umask(void **state)
{
	char path[PATH_BUF], err[MSG_BUF];
	mode_t old_umask = umask(0);

	(void)state;
	name_in_tmp(path, "keys.json");
	/* umask 0 takes nothing away: the file gets 0600, nothing wider */
	assert_int_equal(store_write(path, "a", 1, 0600, true, err, sizeof(err)), 0);
	assert_int_equal(mode_of(path), 0600);
	/* a restrictive umask does not narrow what was asked for either */
	umask(0077);
	assert_int_equal(store_write(path, "b", 1, 0640, true, err, sizeof(err)), 0);
	assert_int_equal(mode_of(path), 0640);
	/* a file that was too open is replaced by one with the right mode */
	assert_int_equal(chmod(path, 0666), 0);
	umask(0);
	assert_int_equal(store_write(path, "c", 1, 0600, false, err, sizeof(err)), 0);
	assert_int_equal(mode_of(path), 0600);
	umask(old_umask);
}

static void test_backup_holds_previous(void **state)
{
	char path[PATH_BUF], bak[PATH_BUF];

	(void)state;
	name_in_tmp(path, "mesh.json");
	name_in_tmp(bak, "mesh.json.bak");
	/* the first version has nothing to back up */
	assert_int_equal(save(path, "one", true), 0);
	assert_false(exists(bak));
	assert_int_equal(save(path, "two", true), 0);
	assert_file_is(path, "two");
	assert_file_is(bak, "one");
	assert_int_equal(save(path, "three", true), 0);
	assert_file_is(path, "three");
	assert_file_is(bak, "two");
	/* without keep_backup the old backup stays as it was */
	assert_int_equal(save(path, "four", false), 0);
	assert_file_is(path, "four");
	assert_file_is(bak, "two");
	assert_false(exists(in_tmp("mesh.json.tmp")));
	assert_false(exists(in_tmp("mesh.json.bak.tmp")));
}

/* What a crash leaves (path.tmp, path.bak.tmp) does not stop the next save. */
static void test_stale_working_files(void **state)
{
	char path[PATH_BUF];

	(void)state;
	name_in_tmp(path, "mesh.json");
	assert_int_equal(save(path, "old", true), 0);
	put_file(in_tmp("mesh.json.tmp"), "half a vers");
	put_file(in_tmp("mesh.json.bak.tmp"), "half a backup");
	assert_int_equal(chmod(in_tmp("mesh.json.tmp"), 0444), 0);
	assert_int_equal(save(path, "new", true), 0);
	assert_file_is(path, "new");
	assert_file_is(in_tmp("mesh.json.bak"), "old");
	assert_int_equal(mode_of(path), 0600);
	assert_false(exists(in_tmp("mesh.json.tmp")));
	assert_false(exists(in_tmp("mesh.json.bak.tmp")));

	/* Killed between the two renames: path.bak is path itself (one inode). */
	assert_int_equal(unlink(in_tmp("mesh.json.bak")), 0);
	assert_int_equal(link(path, in_tmp("mesh.json.bak")), 0);
	assert_int_equal(save(path, "newer", true), 0);
	assert_file_is(path, "newer");
	assert_file_is(in_tmp("mesh.json.bak"), "new");
	assert_false(exists(in_tmp("mesh.json.bak.tmp")));
}

static void test_symlinks(void **state)
{
	char path[PATH_BUF], victim[PATH_BUF];
	static char sentinel[] = "untouched";
	char err[MSG_BUF], *data = sentinel;
	size_t len = 99;

	(void)state;
	name_in_tmp(path, "mesh.json");
	name_in_tmp(victim, "victim");
	put_file(victim, "someone else's file");

	/* A symlink planted at path.tmp is removed, never written through. */
	assert_int_equal(symlink(victim, in_tmp("mesh.json.tmp")), 0);
	assert_int_equal(save(path, "ours", true), 0);
	assert_file_is(victim, "someone else's file");
	assert_file_is(path, "ours");

	/* Reading refuses a symlink at path, naming it. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(store_read(path, 1024, &data, &len, err, sizeof(err)), -ELOOP);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_prefix(err, path);
	assert_contains(err, "symbolic link");

	/* Writing replaces the link itself; its target is left alone. */
	assert_int_equal(save(path, "replaced", false), 0);
	assert_file_is(victim, "someone else's file");
	assert_int_equal(mode_of(path) & 0777, 0600);
	assert_int_equal(store_read(path, 1024, &data, &len, err, sizeof(err)), 0);
	assert_string_equal(data, "replaced");
	free(data);
}

static void test_read_errors(void **state)
{
	char path[PATH_BUF];
	char err[MSG_BUF], *data;
	size_t len;

	(void)state;
	name_in_tmp(path, "state.json");
	assert_int_equal(store_read(path, 1024, &data, &len, err, sizeof(err)), -ENOENT);
	assert_null(data);
	assert_prefix(err, path);

	put_file(path, "0123456789");
	assert_int_equal(store_read(path, 9, &data, &len, err, sizeof(err)), -EFBIG);
	assert_null(data);
	assert_prefix(err, path);
	assert_contains(err, "too large");
	/* exactly at the limit is fine */
	assert_int_equal(store_read(path, 10, &data, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 10);
	free(data);

	assert_int_equal(store_read(tmpdir, 1024, &data, &len, err, sizeof(err)), -EISDIR);
	assert_prefix(err, tmpdir);

	/* a FIFO neither hangs the reader nor is taken for a file */
	assert_int_equal(mkfifo(in_tmp("fifo"), 0600), 0);
	assert_int_equal(store_read(in_tmp("fifo"), 1024, &data, &len, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "not a regular file");
}

/* --- failures leave the old file alone ----------------------------------- */

static void assert_untouched(const char *path, const char *old)
{
	char tmp[PATH_BUF], bak_tmp[PATH_BUF];

	assert_file_is(path, old);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(bak_tmp, sizeof(bak_tmp), "%s.bak.tmp", path);
	assert_false(exists(tmp));
	assert_false(exists(bak_tmp));
}

static void test_missing_or_bad_directory(void **state)
{
	char err[MSG_BUF], expect[MSG_BUF];

	(void)state;
	assert_int_equal(store_write(in_tmp("missing/mesh.json"), "x", 1, 0600, true, err,
				     sizeof(err)), -ENOENT);
	snprintf(expect, sizeof(expect), "%s/missing/mesh.json.tmp: create: ", tmpdir);
	assert_prefix(err, expect);

	/* "plain" is a file, so plain/mesh.json cannot be created */
	put_file(in_tmp("plain"), "not a directory");
	assert_int_equal(store_write(in_tmp("plain/mesh.json"), "x", 1, 0600, true, err,
				     sizeof(err)), -ENOTDIR);
	snprintf(expect, sizeof(expect), "%s/plain/mesh.json.tmp: ", tmpdir);
	assert_prefix(err, expect);
	assert_file_is(in_tmp("plain"), "not a directory");
}

/* A disk that fills up mid-write (RLIMIT_FSIZE stands in for it). */
static void test_write_fails_midway(void **state)
{
	char path[PATH_BUF];
	char err[MSG_BUF], expect[MSG_BUF], big[4096];
	struct rlimit saved, small;
	void (*old_handler)(int);
	int rc;

	(void)state;
	name_in_tmp(path, "mesh.json");
	assert_int_equal(save(path, "old", true), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = saved;
	small.rlim_cur = 1000;
	/* without this, exceeding the limit kills the process */
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	rc = store_write(path, big, sizeof(big), 0600, true, err, sizeof(err));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, old_handler);

	assert_int_equal(rc, -EFBIG);
	snprintf(expect, sizeof(expect), "%s.tmp: write: ", path);
	assert_prefix(err, expect);
	assert_untouched(path, "old");
	assert_false(exists(in_tmp("mesh.json.bak")));
}

/* Steps after the data is written fail too; the old file stays. */
static void test_later_steps_fail(void **state)
{
	char path[PATH_BUF], err[MSG_BUF], expect[MSG_BUF];

	(void)state;
	name_in_tmp(path, "mesh.json");
	assert_int_equal(save(path, "old", true), 0);

	/* the backup cannot be renamed over a non-empty directory */
	assert_int_equal(mkdir(in_tmp("mesh.json.bak"), 0700), 0);
	put_file(in_tmp("mesh.json.bak/keep"), "x");
	assert_true(store_write(path, "new", 3, 0600, true, err, sizeof(err)) < 0);
	snprintf(expect, sizeof(expect), "%s.bak: rename backup into place: ", path);
	assert_prefix(err, expect);
	assert_untouched(path, "old");
	remove_tree(in_tmp("mesh.json.bak"));

	/* a leftover path.tmp that cannot be removed (a non-empty directory) */
	assert_int_equal(mkdir(in_tmp("mesh.json.tmp"), 0700), 0);
	put_file(in_tmp("mesh.json.tmp/keep"), "x");
	assert_true(store_write(path, "new", 3, 0600, true, err, sizeof(err)) < 0);
	snprintf(expect, sizeof(expect), "%s.tmp: remove stale file: ", path);
	assert_prefix(err, expect);
	assert_file_is(path, "old");
	assert_true(exists(in_tmp("mesh.json.tmp/keep")));
	remove_tree(in_tmp("mesh.json.tmp"));

	/* the new version cannot replace a directory */
	assert_int_equal(mkdir(in_tmp("dir.json"), 0700), 0);
	assert_true(store_write(in_tmp("dir.json"), "new", 3, 0600, false, err, sizeof(err)) < 0);
	assert_prefix(err, in_tmp("dir.json"));
	assert_contains(err, "rename");
	assert_false(exists(in_tmp("dir.json.tmp")));
}

static void test_mkdir(void **state)
{
	mode_t old_umask = umask(0);
	struct stat st;

	(void)state;
	assert_int_equal(store_mkdir(in_tmp("a/b/c"), 0700), 0);
	assert_int_equal(stat(in_tmp("a/b/c"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	/* the mode holds under a umask that would take bits away */
	umask(0077);
	assert_int_equal(store_mkdir(in_tmp("g/"), 0750), 0);
	assert_int_equal(mode_of(in_tmp("g")), 0750);
	/* existing directories are left as they are */
	assert_int_equal(chmod(in_tmp("a/b/c"), 0755), 0);
	assert_int_equal(store_mkdir(in_tmp("a/b/c"), 0700), 0);
	assert_int_equal(mode_of(in_tmp("a/b/c")), 0755);
	assert_int_equal(store_mkdir(in_tmp("a//b/c/d"), 0700), 0);
	assert_int_equal(mode_of(in_tmp("a/b/c/d")), 0700);
	/* something else in the way */
	put_file(in_tmp("f"), "x");
	assert_int_equal(store_mkdir(in_tmp("f"), 0700), -ENOTDIR);
	assert_int_equal(store_mkdir(in_tmp("f/sub"), 0700), -ENOTDIR);
	assert_int_equal(store_mkdir("", 0700), -EINVAL);
	umask(old_umask);
}

/* --- killed at a random moment ------------------------------------------- */

#define CRASH_ROUNDS 50
#define CRASH_FILE_SIZE (200u * 1024u)
/* Every delay lies in 0..CRASH_MAX_DELAY_US: long enough to die before,
 * during and between saves of the file above. */
#define CRASH_MAX_DELAY_US 40000u
#define CRASH_DEFAULT_SEED 0x5eed2026u
/* A child the parent fails to kill stops by itself. */
#define CRASH_CHILD_MAX_SAVES 100000u

/* Child exit codes: why it stopped before it was killed. */
enum { CHILD_SAVE_FAILED = 3, CHILD_PIPE_FAILED, CHILD_RAN_OUT, CHILD_OPEN_FAILED };

static uint32_t rng_state;

static void rng_seed(void)
{
	const char *env = getenv("MESHGATE_CRASH_SEED");

	rng_state = env ? (uint32_t)strtoul(env, NULL, 0) : CRASH_DEFAULT_SEED;
	if (!rng_state)
		rng_state = 1;
}

static uint32_t rng_next(void)
{
	/* xorshift32: reproducible delays, independent of libc's rand() */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void sleep_us(uint32_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The content of version v: a header naming it, CRASH_FILE_SIZE octets in
 * all, every octet determined by v, so a reader can tell a complete
 * version from a torn one or a mixture of two.
 */
static void make_version(uint32_t v, char *buf)
{
	uint32_t x = v * 2654435761u + 1;
	int head = snprintf(buf, CRASH_FILE_SIZE, "version %010u\n", (unsigned)v);

	for (size_t i = (size_t)head; i < CRASH_FILE_SIZE - 1; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (char)('a' + (x >> 16) % 26);
	}
	buf[CRASH_FILE_SIZE - 1] = '\n';
}

/* The version a file holds, or -1 unless it is complete and exact. */
static long complete_version(const char *path, char *scratch)
{
	size_t len;
	char *data = get_file(path, &len);
	unsigned v;
	long result = -1;

	if (!data)
		return -1;
	if (len == CRASH_FILE_SIZE && sscanf(data, "version %10u\n", &v) == 1) {
		make_version(v, scratch);
		if (memcmp(data, scratch, CRASH_FILE_SIZE) == 0)
			result = v;
	}
	free(data);
	return result;
}

/* Report a number to the parent, whole (a pipe write this small is atomic). */
static void report(int fd, uint32_t n)
{
	if (write(fd, &n, sizeof(n)) != sizeof(n))
		_exit(CHILD_PIPE_FAILED);
}

/* Kill child after delay_us; return the last number it reported, or
 * `none` when it reported nothing. */
static uint32_t kill_and_collect(pid_t child, int report_fd, uint32_t delay_us, uint32_t none)
{
	uint32_t last = none, n;
	int status;
	ssize_t got;

	sleep_us(delay_us);
	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("the writer stopped by itself (exit code %d) before it was killed",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	while ((got = read(report_fd, &n, sizeof(n))) == sizeof(n))
		last = n;
	assert_int_equal(got, 0);
	close(report_fd);
	return last;
}

/* Child: save versions from..., reporting each one complete. */
static void save_versions_forever(const char *path, uint32_t from, int report_fd)
{
	char *buf = malloc(CRASH_FILE_SIZE), err[MSG_BUF];

	if (!buf)
		_exit(CHILD_SAVE_FAILED);
	for (uint32_t v = from; v < from + CRASH_CHILD_MAX_SAVES; v++) {
		make_version(v, buf);
		if (store_write(path, buf, CRASH_FILE_SIZE, 0600, true, err, sizeof(err)) < 0) {
			fprintf(stderr, "child: %s\n", err);
			_exit(CHILD_SAVE_FAILED);
		}
		report(report_fd, v);
	}
	_exit(CHILD_RAN_OUT);
}

static pid_t start_child(int *report_fd, void (*body)(const char *, uint32_t, int),
			 const char *path, uint32_t from)
{
	int fds[2];
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		body(path, from, fds[1]);
		_exit(CHILD_RAN_OUT);
	}
	close(fds[1]);
	*report_fd = fds[0];
	return pid;
}

static void test_crash_store_write(void **state)
{
	char path[PATH_BUF], bak[PATH_BUF], tmp[PATH_BUF];
	char *buf = malloc(CRASH_FILE_SIZE), *scratch = malloc(CRASH_FILE_SIZE);
	unsigned mid_write = 0, ahead = 0;
	uint32_t current = 0;

	(void)state;
	name_in_tmp(path, "big.json");
	name_in_tmp(bak, "big.json.bak");
	name_in_tmp(tmp, "big.json.tmp");
	assert_non_null(buf);
	assert_non_null(scratch);
	rng_seed();
	/* version 0 exists before the first writer starts */
	make_version(0, buf);
	assert_int_equal(store_write(path, buf, CRASH_FILE_SIZE, 0600, false, NULL, 0), 0);

	for (int round = 0; round < CRASH_ROUNDS; round++) {
		uint32_t delay = rng_next() % (CRASH_MAX_DELAY_US + 1), last;
		long on_disk, backup;
		int fd;
		pid_t child = start_child(&fd, save_versions_forever, path, current + 1);

		last = kill_and_collect(child, fd, delay, current);
		on_disk = complete_version(path, scratch);
		if (on_disk != (long)last && on_disk != (long)last + 1)
			fail_msg("round %d (delay %u us, seed from MESHGATE_CRASH_SEED or %#x): "
				 "file holds version %ld, last reported %u", round, delay,
				 CRASH_DEFAULT_SEED, on_disk, last);
		/* path.bak: a complete version, the one before path's or, when the
		 * writer died between the two renames, path's own */
		backup = complete_version(bak, scratch);
		if (on_disk >= 1 && backup != on_disk - 1 && backup != on_disk)
			fail_msg("round %d: file holds version %ld, backup %ld", round, on_disk,
				 backup);
		if (on_disk == 0 && exists(bak))
			assert_int_equal(backup, 0);
		mid_write += exists(tmp);
		ahead += on_disk == (long)last + 1;
		current = (uint32_t)on_disk;
	}
	/* The next save clears what the last kill left. */
	make_version(current + 1, buf);
	assert_int_equal(store_write(path, buf, CRASH_FILE_SIZE, 0600, true, NULL, 0), 0);
	assert_int_equal(complete_version(path, scratch), current + 1);
	assert_int_equal(complete_version(bak, scratch), current);
	assert_false(exists(tmp));
	print_message("%d kills: %u in the middle of a save, %u after a save not yet "
		      "reported; %u versions saved\n", CRASH_ROUNDS, mid_write, ahead, current);
	free(buf);
	free(scratch);
}

/* --- the same through the network database -------------------------------- */

#define NETDB_CRASH_ROUNDS 30
#define NETDB_CRASH_MAX_DELAY_US 30000u
/* Enough nodes to make saves take a while; the child stops adding there. */
#define NETDB_CRASH_MAX_NODES 400

/* A UUID no earlier node has: derived from the node count, which only
 * ever grows by one per save. */
static void node_uuid(size_t n, uint8_t uuid[16])
{
	memset(uuid, 0x5a, 16);
	uuid[0] = (uint8_t)(n >> 8);
	uuid[1] = (uint8_t)n;
}

static int add_one_node(struct netdb *db)
{
	uint8_t uuid[16], dev_key[16];
	uint16_t addr;
	int rc;

	node_uuid(db->n_nodes, uuid);
	memset(dev_key, (int)(db->n_nodes & 0xff), sizeof(dev_key));
	rc = netdb_alloc_unicast(db, 1, 0, &addr);
	if (rc == 0)
		rc = netdb_add_node(db, uuid, addr, 1, dev_key, 0);
	return rc;
}

/* Child: open the network, then add a node and save, again and again. */
static void add_nodes_forever(const char *dir, uint32_t unused, int report_fd)
{
	struct netdb *db;
	char err[MSG_BUF];

	(void)unused;
	if (netdb_open(&db, dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "child: %s\n", err);
		_exit(CHILD_OPEN_FAILED);
	}
	report(report_fd, (uint32_t)db->n_nodes);
	while (db->n_nodes < NETDB_CRASH_MAX_NODES) {
		if (add_one_node(db) != 0 || netdb_save(db, err, sizeof(err)) != 0) {
			fprintf(stderr, "child: %s\n", err);
			_exit(CHILD_SAVE_FAILED);
		}
		report(report_fd, (uint32_t)db->n_nodes);
	}
	/* Nothing more to add: wait to be killed like the others. */
	for (;;)
		pause();
}

static size_t open_node_count(const char *dir)
{
	struct netdb *db = NULL;
	char err[MSG_BUF];
	size_t n;

	if (netdb_open(&db, dir, err, sizeof(err)) != 0)
		fail_msg("netdb_open after a crash: %s", err);
	n = db->n_nodes;
	netdb_free(db);
	return n;
}

/* The backup loads too, and is at most one node behind. */
static void assert_backup_loads(const char *dir, size_t n_nodes)
{
	char path[2 * PATH_BUF], err[MSG_BUF], *text;
	struct netdb *db = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s%s", dir, NETDB_FILE, NETDB_BACKUP_SUFFIX);
	if (store_read(path, 64u << 20, &text, &len, err, sizeof(err)) == -ENOENT)
		return;
	if (netdb_from_json(&db, text, len, path, err, sizeof(err)) != 0)
		fail_msg("backup after a crash: %s", err);
	if (db->n_nodes != n_nodes && db->n_nodes + 1 != n_nodes)
		fail_msg("backup has %zu nodes, the database %zu", db->n_nodes, n_nodes);
	netdb_free(db);
	free(text);
}

static void test_crash_netdb_save(void **state)
{
	char dir[PATH_BUF];
	size_t nodes;
	unsigned ahead = 0;

	(void)state;
	name_in_tmp(dir, "data");
	rng_seed();
	/* the first open creates and saves the network */
	nodes = open_node_count(dir);
	assert_true(nodes >= 1);   /* meshgate's own node */

	for (int round = 0; round < NETDB_CRASH_ROUNDS; round++) {
		uint32_t delay = rng_next() % (NETDB_CRASH_MAX_DELAY_US + 1), last;
		int fd;
		pid_t child = start_child(&fd, add_nodes_forever, dir, 0);
		size_t now;

		last = kill_and_collect(child, fd, delay, (uint32_t)nodes);
		now = open_node_count(dir);
		if (now != last && now != (size_t)last + 1)
			fail_msg("round %d (delay %u us): %zu nodes after the crash, last "
				 "reported %u", round, delay, now, last);
		assert_backup_loads(dir, now);
		ahead += now == (size_t)last + 1;
		nodes = now;
	}
	print_message("%d kills: %zu nodes saved, %u saves not yet reported\n",
		      NETDB_CRASH_ROUNDS, nodes, ahead);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_despite_umask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_holds_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_working_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_or_bad_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_fails_midway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_later_steps_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_store_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_netdb_save, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
