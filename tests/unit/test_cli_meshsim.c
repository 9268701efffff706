/*
 * meshsim as a gateway developer runs it: the real binary, spawned with a
 * test scenario and pipes on its standard input and output. The test reads
 * the controller line, opens the printed pty as a host would, and talks
 * HCI over it while driving faults through the command language; it also
 * checks the exit codes, the clean-up of the links, and that a broken
 * scenario is reported with its file and line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef MESHSIM_BIN
#define MESHSIM_BIN ""
#endif

#define CHAIN4 MESHGATE_SOURCE_DIR "/tests/scenarios/chain4.yaml"
#define LINE_LEN 4096

struct sim_proc {
	pid_t pid;
	int in;                  /* its standard input */
	int out;                 /* its standard output */
	char errfile[64];        /* its standard error */
	char buf[16384];         /* stdout read but not yet returned as lines */
	size_t len;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void spawn(struct sim_proc *p, const char *const *args)
{
	int in[2], out[2], errfd;
	const char *argv[16];
	size_t n = 0;

	memset(p, 0, sizeof(*p));
	snprintf(p->errfile, sizeof(p->errfile), "/tmp/meshsim-cli-err-XXXXXX");
	errfd = mkstemp(p->errfile);
	assert_true(errfd >= 0);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	argv[n++] = MESHSIM_BIN;
	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(errfd, 2);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		close(errfd);
		execv(MESHSIM_BIN, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(errfd);
	p->in = in[1];
	p->out = out[0];
	fcntl(p->out, F_SETFL, fcntl(p->out, F_GETFL) | O_NONBLOCK);
}

/* The next line of its output (without the newline), or false after
 * timeout_ms or at end of output. */
static bool read_line(struct sim_proc *p, char *line, size_t size, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		char *nl = memchr(p->buf, '\n', p->len);
		struct pollfd pfd = { .fd = p->out, .events = POLLIN };
		long long left;
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - p->buf);

			if (l >= size)
				l = size - 1;
			memcpy(line, p->buf, l);
			line[l] = '\0';
			p->len -= (size_t)(nl - p->buf) + 1;
			memmove(p->buf, nl + 1, p->len);
			return true;
		}
		left = deadline - now_ms();
		if (left <= 0 || p->len == sizeof(p->buf))
			return false;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(p->out, p->buf + p->len, sizeof(p->buf) - p->len);
		if (n == 0)
			return false;
		if (n > 0)
			p->len += (size_t)n;
	}
}

/* Lines nobody asked for: a reopened link, --trace output. */
static bool unsolicited(const char *line)
{
	return strncmp(line, "controller ", 11) == 0 || strncmp(line, "air ", 4) == 0 ||
	       strncmp(line, "access ", 7) == 0;
}

/* Send a command; return its answer line in answer. */
static void command(struct sim_proc *p, const char *cmd, char *answer, size_t size)
{
	char line[LINE_LEN];
	size_t len = strlen(cmd);

	assert_int_equal(write(p->in, cmd, len), (ssize_t)len);
	assert_int_equal(write(p->in, "\n", 1), 1);
	for (;;) {
		if (!read_line(p, line, sizeof(line), 3000)) {
			print_error("no answer to '%s'\n", cmd);
			fail();
		}
		if (!unsolicited(line))
			break;
	}
	snprintf(answer, size, "%s", line);
}

static void expect_ok(struct sim_proc *p, const char *cmd)
{
	char answer[LINE_LEN];

	command(p, cmd, answer, sizeof(answer));
	if (strncmp(answer, "ok", 2) != 0) {
		print_error("'%s' answered '%s'\n", cmd, answer);
		fail();
	}
}

static void expect_error(struct sim_proc *p, const char *cmd, const char *reason)
{
	char answer[LINE_LEN];

	command(p, cmd, answer, sizeof(answer));
	if (strncmp(answer, "error: ", 7) != 0 || !strstr(answer, reason)) {
		print_error("'%s' answered '%s', expected error: ...%s...\n", cmd, answer, reason);
		fail();
	}
}

/* Parse "controller NAME: /dev/pts/N (link PATH)". */
static void parse_controller(const char *line, const char *name, char *pts, char *link,
			     size_t size)
{
	char prefix[128];
	const char *p, *q;

	snprintf(prefix, sizeof(prefix), "controller %s: ", name);
	if (strncmp(line, prefix, strlen(prefix)) != 0) {
		print_error("expected '%s...', got '%s'\n", prefix, line);
		fail();
	}
	p = line + strlen(prefix);
	q = strstr(p, " (link ");
	assert_non_null(q);
	assert_true((size_t)(q - p) < size);
	memcpy(pts, p, (size_t)(q - p));
	pts[q - p] = '\0';
	p = q + 7;
	q = strchr(p, ')');
	assert_non_null(q);
	assert_true((size_t)(q - p) < size);
	memcpy(link, p, (size_t)(q - p));
	link[q - p] = '\0';
}

/* Wait for "controller gateway: ..." and then "ready". */
static void wait_ready(struct sim_proc *p, char *pts, char *link, size_t size)
{
	char line[LINE_LEN];

	assert_true(read_line(p, line, sizeof(line), 5000));
	parse_controller(line, "gateway", pts, link, size);
	assert_true(read_line(p, line, sizeof(line), 5000));
	assert_string_equal(line, "ready");
}

static int wait_exit(struct sim_proc *p, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);

		if (r == p->pid)
			break;
		if (now_ms() > deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			print_error("meshsim did not exit\n");
			fail();
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000L }, NULL);
	}
	close(p->in);
	close(p->out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void read_stderr(struct sim_proc *p, char *out, size_t size)
{
	FILE *f = fopen(p->errfile, "r");
	size_t n;

	assert_non_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(p->errfile);
}

/* Open the controller as a host does: raw, 8 bits, no echo. */
static int open_host(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		print_error("open %s: %s\n", path, strerror(errno));
		fail();
	}
	assert_int_equal(tcgetattr(fd, &t), 0);
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	assert_int_equal(tcsetattr(fd, TCSANOW, &t), 0);
	return fd;
}

/* Read exactly len octets within timeout_ms; returns how many came. */
static size_t host_read(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		n = read(fd, buf + got, len - got);
		if (n <= 0) {
			if (n < 0 && errno == EAGAIN)
				continue;
			break;
		}
		got += (size_t)n;
	}
	return got;
}

static void host_reset(int fd, bool expect_answer)
{
	static const uint8_t reset[] = { 0x01, 0x03, 0x0c, 0x00 };
	static const uint8_t complete[] = { 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	uint8_t buf[sizeof(complete) + 1];

	assert_int_equal(write(fd, reset, sizeof(reset)), (ssize_t)sizeof(reset));
	if (expect_answer) {
		assert_int_equal(host_read(fd, buf, sizeof(complete), 2000), sizeof(complete));
		assert_memory_equal(buf, complete, sizeof(complete));
	} else {
		assert_int_equal(host_read(fd, buf, 1, 300), 0);
	}
}

static bool is_symlink(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static void skip_without_binary(void)
{
	if (MESHSIM_BIN[0] == '\0' || access(MESHSIM_BIN, X_OK) != 0)
		skip();
}

/* The controller answers HCI over its pty; faults and reopen work; quit
 * exits 0 and removes the link. */
static void test_pty_session(void **state)
{
	static const char *const args[] = { "--log-level", "warn", CHAIN4, NULL };
	struct sim_proc p;
	char pts[256], link[256], target[256], line[LINE_LEN], answer[LINE_LEN];
	uint8_t buf[64];
	ssize_t n;
	int fd;

	(void)state;
	skip_without_binary();
	spawn(&p, args);
	wait_ready(&p, pts, link, sizeof(pts));
	assert_true(strncmp(pts, "/dev/pts/", 9) == 0);
	assert_true(is_symlink(link));
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, pts);

	fd = open_host(link);
	host_reset(fd, true);

	/* A mute controller takes commands and says nothing. */
	expect_ok(&p, "mute gateway on");
	host_reset(fd, false);
	expect_ok(&p, "mute gateway off");
	host_reset(fd, true);

	/* Hardware Error event with the code asked for. */
	expect_ok(&p, "hwerror gateway 0x42");
	assert_int_equal(host_read(fd, buf, 4, 2000), 4);
	assert_memory_equal(buf, ((const uint8_t[]){ 0x04, 0x10, 0x01, 0x42 }), 4);

	/* Raw bytes, as many as asked for. */
	expect_ok(&p, "garbage gateway 16");
	assert_int_equal(host_read(fd, buf, 16, 2000), 16);
	assert_int_equal(host_read(fd, buf, 1, 100), 0);

	/* Commands that name what does not exist, or misuse. */
	expect_error(&p, "mute nobody on", "no controller named nobody");
	expect_error(&p, "mute relay-1 on", "relay-1 is not a controller");
	expect_error(&p, "mute gateway maybe", "usage");
	expect_error(&p, "off nobody", "no device named nobody");
	expect_error(&p, "frobnicate", "unknown command");
	expect_error(&p, "link relay-1 relay-3 1.5", "loss");
	expect_error(&p, "send gateway 1 default 8201", "not a provisioned node");
	expect_error(&p, "send relay-1 1 default 82z", "hex");
	expect_ok(&p, "help");
	command(&p, "list", answer, sizeof(answer));
	assert_true(strncmp(answer, "ok 6 devices:", 13) == 0);
	assert_non_null(strstr(answer, "relay-4 (node 0x0004, on air)"));
	expect_ok(&p, "off relay-2");
	command(&p, "list", answer, sizeof(answer));
	assert_non_null(strstr(answer, "relay-2 (node 0x0002, off air)"));
	expect_ok(&p, "on relay-2");
	expect_ok(&p, "link relay-1 relay-3 0.5 -80");
	expect_ok(&p, "unlink relay-1 relay-3");
	expect_ok(&p, "send relay-1 0x0005 default 8201");

	/* Reopen: the host sees a hangup, then the link points at a new pty. */
	expect_ok(&p, "reopen gateway 100");
	assert_true(host_read(fd, buf, 1, 1000) == 0);
	close(fd);
	do {
		assert_true(read_line(&p, line, sizeof(line), 3000));
	} while (strncmp(line, "controller ", 11) != 0);
	parse_controller(line, "gateway", pts, target, sizeof(pts));
	assert_string_equal(target, link);
	fd = open_host(link);
	host_reset(fd, true);
	close(fd);

	expect_ok(&p, "quit");
	assert_int_equal(wait_exit(&p, 5000), 0);
	assert_false(is_symlink(link));
	read_stderr(&p, line, sizeof(line));
}

/* A message from relay-1 reaches the end device through three relays;
 * --trace shows it arriving with the TTL left. */
static void test_trace_send(void **state)
{
	static const char *const args[] = { "--trace", "--log-level", "warn", CHAIN4, NULL };
	struct sim_proc p;
	char pts[256], link[256], line[LINE_LEN];
	bool air = false, access = false;
	long long deadline;

	(void)state;
	skip_without_binary();
	spawn(&p, args);
	wait_ready(&p, pts, link, sizeof(pts));
	expect_ok(&p, "send relay-1 0x0005 default 820201");
	deadline = now_ms() + 3000;
	while (!access && now_ms() < deadline && read_line(&p, line, sizeof(line), 500)) {
		air = air || strncmp(line, "air relay-1 message ", 20) == 0;
		access = strcmp(line, "access end src 0x0001 dst 0x0005 ttl 4 820201") == 0;
	}
	assert_true(air);
	assert_true(access);
	/* End of input quits. */
	close(p.in);
	p.in = open("/dev/null", O_RDONLY);
	assert_int_equal(wait_exit(&p, 5000), 0);
	assert_false(is_symlink(link));
	read_stderr(&p, line, sizeof(line));
}

/* SIGTERM exits cleanly and removes the link and its directory. */
static void test_sigterm(void **state)
{
	char dir[] = "/tmp/meshsim-cli-XXXXXX";
	char links[300], args_dir[300], pts[256], link[256], line[LINE_LEN];
	const char *args[] = { "--link-dir", args_dir, "--log-level", "warn", CHAIN4, NULL };
	struct sim_proc p;
	struct stat st;

	(void)state;
	skip_without_binary();
	assert_non_null(mkdtemp(dir));
	snprintf(links, sizeof(links), "%s/links", dir);
	snprintf(args_dir, sizeof(args_dir), "%s", links);
	spawn(&p, args);
	wait_ready(&p, pts, link, sizeof(pts));
	snprintf(line, sizeof(line), "%s/gateway", links);
	assert_string_equal(link, line);
	assert_true(is_symlink(link));
	assert_int_equal(kill(p.pid, SIGTERM), 0);
	assert_int_equal(wait_exit(&p, 5000), 0);
	assert_false(is_symlink(link));
	assert_true(stat(links, &st) != 0);  /* it made the directory: it removed it */
	assert_int_equal(rmdir(dir), 0);
	read_stderr(&p, line, sizeof(line));
}

/* A broken scenario: exit 2 with file:line:column and the key path. */
static void test_bad_scenario(void **state)
{
	static const char yaml[] =
		"name: broken\n"
		"devices:\n"
		"  lamp:\n"
		"    uuid: 12ab\n";
	char path[] = "/tmp/meshsim-cli-bad-XXXXXX";
	char expect[256], err[LINE_LEN];
	const char *args[] = { path, NULL };
	struct sim_proc p;
	int fd;

	(void)state;
	skip_without_binary();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, sizeof(yaml) - 1), (ssize_t)(sizeof(yaml) - 1));
	close(fd);
	spawn(&p, args);
	assert_int_equal(wait_exit(&p, 5000), 2);
	read_stderr(&p, err, sizeof(err));
	snprintf(expect, sizeof(expect), "%s:4:11: devices.lamp.uuid: expected 32 hex digits", path);
	if (!strstr(err, expect)) {
		print_error("stderr: %s\nexpected: %s\n", err, expect);
		fail();
	}
	unlink(path);

	/* Usage errors exit 2 too. */
	{
		const char *bad_args[] = { "--seed", "many", NULL };

		spawn(&p, bad_args);
		assert_int_equal(wait_exit(&p, 5000), 2);
		read_stderr(&p, err, sizeof(err));
		assert_non_null(strstr(err, "--seed"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pty_session),
		cmocka_unit_test(test_trace_send),
		cmocka_unit_test(test_sigterm),
		cmocka_unit_test(test_bad_scenario),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
