/*
 * The H4 UART transport against real descriptors: a pseudo-terminal
 * reached through a symlink (as a udev name or meshsim's link would be), a
 * Unix stream socket and a socketpair. Checks framing across writes,
 * garbage, loss and reopen with backoff, the write path and a clean close.
 */
/* posix_openpt and friends are XSI; cfmakeraw and B1000000 are glibc's. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "mesh/bearer/hci_codec.h"
#include "mesh/bearer/uart.h"
#include "mesh/err.h"
#include "uv_helpers.h"

#define MAX_PACKETS 16

struct fixture {
	uv_loop_t loop;
	struct test_log log;
	struct hci_uart u;
	bool opened;             /* the transport needs closing */
	char dir[64];
	char link[128];          /* stable path: a symlink to the pty slave */
	int master;              /* pty master, or the test's end of a socket */
	int listener;
	/* What the transport reported. */
	int ups;
	int downs;
	int down_err;
	int packets;
	uint8_t types[MAX_PACKETS];
	uint8_t pkts[MAX_PACKETS][300];
	size_t lens[MAX_PACKETS];
	bool closed;             /* close() was called: callbacks are a bug */
	int late_callbacks;
	/* run_until targets */
	int want;
	const char *want_log;
};

/* An HCI Command Complete for Reset, status success. */
static const uint8_t reset_complete[] = { HCI_H4_EVT, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };

/* ---- callbacks and conditions -------------------------------------------- */

static void on_up(void *ctx)
{
	struct fixture *f = ctx;

	f->late_callbacks += f->closed;
	f->ups++;
}

static void on_down(void *ctx, int err)
{
	struct fixture *f = ctx;

	f->late_callbacks += f->closed;
	f->downs++;
	f->down_err = err;
}

static void on_packet(void *ctx, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct fixture *f = ctx;

	f->late_callbacks += f->closed;
	/* on_up always comes before a connection's first packet. */
	assert_true(f->ups > f->downs);
	if (f->packets >= MAX_PACKETS || len > sizeof(f->pkts[0]))
		fail_msg("unexpected packet of %zu octets", len);
	f->types[f->packets] = type;
	memcpy(f->pkts[f->packets], pkt, len);
	f->lens[f->packets] = len;
	f->packets++;
}

static bool cond_ups(void *ctx)
{
	struct fixture *f = ctx;

	return f->ups >= f->want;
}

static bool cond_downs(void *ctx)
{
	struct fixture *f = ctx;

	return f->downs >= f->want;
}

static bool cond_packets(void *ctx)
{
	struct fixture *f = ctx;

	return f->packets >= f->want;
}

static bool cond_partial(void *ctx)
{
	struct fixture *f = ctx;

	return h4_rx_partial(&f->u.rx);
}

static bool cond_log(void *ctx)
{
	struct fixture *f = ctx;

	return test_log_has(&f->log, f->want_log);
}

/* test_uv_run_until() looks at its condition only when uv_run(UV_RUN_ONCE)
 * returns, after the poll phase; a condition met by a timer callback (our
 * on_up) would sit in poll until the deadline. A prepare handle looks
 * before each poll too and stops the loop at once. */
struct waiter {
	test_cond_fn cond;
	void *ctx;
};

static void waiter_cb(uv_prepare_t *p)
{
	struct waiter *w = p->data;

	if (w->cond(w->ctx))
		uv_stop(p->loop);
}

static bool run_until(struct fixture *f, test_cond_fn cond, unsigned int ms)
{
	struct waiter w = { cond, f };
	uv_prepare_t prep;
	bool ok;

	uv_prepare_init(&f->loop, &prep);
	prep.data = &w;
	uv_prepare_start(&prep, waiter_cb);
	ok = test_uv_run_until(&f->loop, cond, f, ms);
	uv_close((uv_handle_t *)&prep, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	return ok;
}

static void wait_ups(struct fixture *f, int n)
{
	f->want = n;
	if (!run_until(f, cond_ups, 3000))
		fail_msg("on_up #%d did not come (have %d)", n, f->ups);
}

static void wait_downs(struct fixture *f, int n)
{
	f->want = n;
	if (!run_until(f, cond_downs, 3000))
		fail_msg("on_down #%d did not come (have %d)", n, f->downs);
}

static void wait_packets(struct fixture *f, int n)
{
	f->want = n;
	if (!run_until(f, cond_packets, 3000))
		fail_msg("packet #%d did not come (have %d)", n, f->packets);
}

static void wait_log(struct fixture *f, const char *needle, unsigned int ms)
{
	f->want_log = needle;
	if (!run_until(f, cond_log, ms))
		fail_msg("no log line with \"%s\"; log:\n%s", needle,
			 f->log.text ? f->log.text : "");
}

/* ---- descriptors ------------------------------------------------------------ */

static void make_raw(int fd)
{
	struct termios tio;

	assert_int_equal(tcgetattr(fd, &tio), 0);
	cfmakeraw(&tio);
	assert_int_equal(tcsetattr(fd, TCSANOW, &tio), 0);
}

/* A new pty; the master is returned, the slave's path written to slave. */
static int pty_create(char *slave, size_t size)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	assert_non_null(ptsname(m));
	snprintf(slave, size, "%s", ptsname(m));
	make_raw(m);
	return m;
}

/* Point f->link at target atomically (rename over the old link). */
static void point_link(struct fixture *f, const char *target)
{
	char tmp[160];

	snprintf(tmp, sizeof(tmp), "%s.new", f->link);
	unlink(tmp);
	assert_int_equal(symlink(target, tmp), 0);
	assert_int_equal(rename(tmp, f->link), 0);
}

/* A pty behind f->link, its master in f->master. */
static void pty_at_link(struct fixture *f)
{
	char slave[64];

	f->master = pty_create(slave, sizeof(slave));
	point_link(f, slave);
}

static void write_all(int fd, const uint8_t *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

/* Read exactly len octets from fd within a second. */
static void read_exact(int fd, uint8_t *buf, size_t len)
{
	size_t have = 0;

	while (have < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 1000) != 1)
			fail_msg("only %zu of %zu octets arrived", have, len);
		n = read(fd, buf + have, len - have);
		if (n <= 0)
			fail_msg("read: %s", n == 0 ? "end of stream" : strerror(errno));
		have += (size_t)n;
	}
}

/* ---- setup ------------------------------------------------------------------ */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	test_log_start(&f->log);
	snprintf(f->dir, sizeof(f->dir), "/tmp/meshgate-uart-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->link, sizeof(f->link), "%s/ttyHCI", f->dir);
	f->master = -1;
	f->listener = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[160];

	if (f->master >= 0)
		close(f->master);
	if (f->listener >= 0)
		close(f->listener);
	unlink(f->link);
	snprintf(path, sizeof(path), "%s.new", f->link);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sock", f->dir);
	unlink(path);
	rmdir(f->dir);
	test_log_stop(&f->log);
	free(f);
	return 0;
}

static void hook(struct fixture *f)
{
	f->u.transport.on_up = on_up;
	f->u.transport.on_down = on_down;
	f->u.transport.on_packet = on_packet;
	f->u.transport.ctx = f;
}

static void open_path(struct fixture *f, const char *path)
{
	struct hci_uart_config cfg;

	hci_uart_config_default(&cfg);
	cfg.path = path;
	assert_int_equal(hci_uart_init(&f->u, &f->loop, &cfg), 0);
	hook(f);
	assert_int_equal(hci_transport_open(&f->u.transport), 0);
	f->opened = true;
}

/* close(), then nothing may call back and no handle may stay open. */
static void finish(struct fixture *f)
{
	if (f->opened)
		hci_transport_close(&f->u.transport);
	f->closed = true;
	assert_true(test_uv_loop_close(&f->loop));
	assert_int_equal(f->late_callbacks, 0);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_config_and_speeds(void **state)
{
	struct fixture *f = *state;
	struct hci_uart_config cfg;

	hci_uart_config_default(&cfg);
	assert_null(cfg.path);
	assert_int_equal(cfg.baud, HCI_UART_DEFAULT_BAUD);
	assert_true(cfg.rtscts);

	assert_int_equal(hci_uart_speed(9600), B9600);
	assert_int_equal(hci_uart_speed(115200), B115200);
	assert_int_equal(hci_uart_speed(1000000), B1000000);
	assert_int_equal(hci_uart_speed(4000000), B4000000);
	assert_int_equal(hci_uart_speed(0), 0);
	assert_int_equal(hci_uart_speed(12345), 0);
	assert_int_equal(hci_uart_speed(4000001), 0);

	/* A missing path or a rate termios does not know is refused. */
	assert_int_equal(hci_uart_init(&f->u, &f->loop, &cfg), MESH_ERR_INVAL);
	cfg.path = "";
	assert_int_equal(hci_uart_init(&f->u, &f->loop, &cfg), MESH_ERR_INVAL);
	cfg.path = "/dev/ttyACM0";
	cfg.baud = 12345;
	assert_int_equal(hci_uart_init(&f->u, &f->loop, &cfg), MESH_ERR_INVAL);
	assert_true(test_log_has(&f->log, "unsupported baud rate 12345"));
	cfg.baud = 0;
	assert_int_equal(hci_uart_init(&f->u, &f->loop, &cfg), 0);
	assert_int_equal(f->u.baud, HCI_UART_DEFAULT_BAUD);
	assert_string_equal(f->u.transport.name, "uart /dev/ttyACM0");

	/* Not opened: nothing to write to, and closing creates no handle. */
	assert_int_equal(hci_transport_write(&f->u.transport, HCI_H4_CMD,
					     (const uint8_t *)"\x03\x0c\x00", 3), MESH_ERR_DOWN);
	hci_transport_close(&f->u.transport);
	finish(f);
}

static void test_pty_packets_both_ways(void **state)
{
	struct fixture *f = *state;
	static const uint8_t reset_cmd[] = { 0x03, 0x0c, 0x00 };
	uint8_t got[4];

	pty_at_link(f);
	open_path(f, f->link);
	/* on_up comes from the loop, never from inside open(). */
	assert_int_equal(f->ups, 0);
	wait_ups(f, 1);
	assert_true(test_log_has(&f->log, "opened"));
	assert_true(test_log_has(&f->log, "1000000 baud, 8N1, RTS/CTS flow control"));

	/* An event split across three writes is one packet. */
	write_all(f->master, reset_complete, 2);
	test_uv_run_until(&f->loop, NULL, NULL, 20);
	assert_int_equal(f->packets, 0);
	write_all(f->master, reset_complete + 2, 3);
	test_uv_run_until(&f->loop, NULL, NULL, 20);
	write_all(f->master, reset_complete + 5, 2);
	wait_packets(f, 1);
	assert_int_equal(f->types[0], HCI_H4_EVT);
	assert_int_equal(f->lens[0], sizeof(reset_complete) - 1);
	assert_memory_equal(f->pkts[0], reset_complete + 1, sizeof(reset_complete) - 1);

	/* A command reaches the controller as type octet + packet. */
	assert_int_equal(hci_transport_write(&f->u.transport, HCI_H4_CMD, reset_cmd,
					     sizeof(reset_cmd)), 0);
	read_exact(f->master, got, sizeof(got));
	assert_int_equal(got[0], HCI_H4_CMD);
	assert_memory_equal(got + 1, reset_cmd, sizeof(reset_cmd));
	finish(f);
}

static void test_pty_garbage_skipped(void **state)
{
	struct fixture *f = *state;
	static const uint8_t garbage[] = { 0x00, 0x7f, 0xaa, 0x99 };

	pty_at_link(f);
	open_path(f, f->link);
	wait_ups(f, 1);
	write_all(f->master, reset_complete, sizeof(reset_complete));
	write_all(f->master, garbage, sizeof(garbage));
	write_all(f->master, reset_complete, sizeof(reset_complete));
	wait_packets(f, 2);
	assert_memory_equal(f->pkts[1], reset_complete + 1, sizeof(reset_complete) - 1);
	wait_log(f, "skipped 4 garbage octets", 1000);
	assert_true(test_log_has(&f->log, "warn uart"));
	assert_int_equal(f->u.garbage_octets, 4);

	/* A header whose packet never completes is dropped after the
	 * timeout, and the next packet still gets through. */
	write_all(f->master, reset_complete, 4);
	wait_log(f, "incomplete packet timed out", 1000);
	assert_int_equal(f->u.garbage_octets, 8);
	write_all(f->master, reset_complete, sizeof(reset_complete));
	wait_packets(f, 3);
	finish(f);
}

/* Holds the loop up once, between its timer phase and its poll (libuv runs
 * prepare handles there), while the rest of a packet arrives. */
struct hold_up {
	int fd;
	const uint8_t *rest;
	size_t len;
	bool done;
};

static void hold_up_cb(uv_prepare_t *p)
{
	struct hold_up *h = p->data;

	if (h->done)
		return;
	h->done = true;
	write_all(h->fd, h->rest, h->len);
	usleep(300 * 1000);
}

static void read_partial(struct fixture *f)
{
	write_all(f->master, reset_complete, 3);
	if (!run_until(f, cond_partial, 1000))
		fail_msg("the first octets of the packet were not read");
}

/* A loop held up for longer than the partial-packet timeout (an SD card's
 * fsync on a Raspberry Pi) must not cost the packet whose tail arrived
 * meanwhile: losing a Command Complete that way looks like a mute
 * controller and gets a healthy one reset. */
static void test_loop_stall_keeps_a_partial_packet(void **state)
{
	struct fixture *f = *state;
	struct hold_up hold = { 0 };
	uv_prepare_t prep;

	pty_at_link(f);
	open_path(f, f->link);
	wait_ups(f, 1);

	/* Held up before the timers run: the expiry timer, long due, runs
	 * before the poll that reads the tail. */
	read_partial(f);
	write_all(f->master, reset_complete + 3, sizeof(reset_complete) - 3);
	usleep(300 * 1000);
	wait_packets(f, 1);
	assert_memory_equal(f->pkts[0], reset_complete + 1, sizeof(reset_complete) - 1);
	assert_int_equal(f->u.garbage_octets, 0);
	assert_true(test_log_has(&f->log, "while the event loop was held up"));

	/* Held up between the timers and the poll: the read carries the late
	 * time, so the feed itself would expire the packet. */
	read_partial(f);
	hold = (struct hold_up){ f->master, reset_complete + 3, sizeof(reset_complete) - 3, false };
	uv_prepare_init(&f->loop, &prep);
	prep.data = &hold;
	uv_prepare_start(&prep, hold_up_cb);
	wait_packets(f, 2);
	uv_close((uv_handle_t *)&prep, NULL);
	assert_true(hold.done);
	assert_memory_equal(f->pkts[1], reset_complete + 1, sizeof(reset_complete) - 1);
	assert_int_equal(f->u.garbage_octets, 0);

	/* A packet that really stopped still goes, a full timeout after the
	 * hold-up ended. */
	read_partial(f);
	usleep(300 * 1000);
	wait_log(f, "incomplete packet timed out", 1000);
	assert_int_equal(f->u.garbage_octets, 3);
	assert_int_equal(f->packets, 2);
	finish(f);
}

static void test_pty_loss_and_reopen(void **state)
{
	struct fixture *f = *state;

	pty_at_link(f);
	open_path(f, f->link);
	wait_ups(f, 1);

	/* The far end goes away: a pty slave reads EIO, POLLHUP for ever. */
	close(f->master);
	f->master = -1;
	wait_downs(f, 1);
	assert_int_equal(f->down_err, MESH_ERR_DOWN);
	assert_true(test_log_has(&f->log, "lost uart "));
	wait_log(f, "reopen attempt 1 in 100 ms", 1000);
	assert_int_equal(hci_transport_write(&f->u.transport, HCI_H4_CMD,
					     (const uint8_t *)"\x03\x0c\x00", 3), MESH_ERR_DOWN);
	/* Not spinning: with no device, a handful of attempts in 400 ms. */
	test_uv_run_until(&f->loop, NULL, NULL, 400);
	assert_true(f->u.reopen_attempts >= 2 && f->u.reopen_attempts <= 4);
	assert_int_equal(f->downs, 1);

	/* It comes back under the same name. */
	pty_at_link(f);
	wait_ups(f, 2);
	assert_true(test_log_has(&f->log, "reopened "));
	assert_int_equal(f->u.backoff_ms, HCI_UART_REOPEN_MIN_MS);
	write_all(f->master, reset_complete, sizeof(reset_complete));
	wait_packets(f, 1);
	finish(f);
}

static void test_missing_path_backs_off(void **state)
{
	struct fixture *f = *state;
	char path[160];

	snprintf(path, sizeof(path), "%s/ttyNOTHERE", f->dir);
	open_path(f, path);
	/* Not plugged in yet is normal: open() succeeds and keeps trying. */
	assert_true(test_log_has(&f->log, "error uart: cannot open"));
	assert_true(test_log_has(&f->log, "No such file or directory"));
	wait_log(f, "reopen attempt 3 in 400 ms", 2000);
	assert_true(test_log_has(&f->log, "reopen attempt 1 in 100 ms"));
	assert_true(test_log_has(&f->log, "reopen attempt 2 in 200 ms"));
	assert_int_equal(f->ups, 0);
	/* The same failure again is not repeated at error level. */
	assert_non_null(strstr(f->log.text, "error uart: cannot open"));
	assert_null(strstr(strstr(f->log.text, "error uart: cannot open") + 1,
			   "error uart: cannot open"));
	finish(f);
}

static void test_device_plugged_in_later(void **state)
{
	struct fixture *f = *state;

	open_path(f, f->link);
	wait_log(f, "reopen attempt 2 in 200 ms", 1000);
	pty_at_link(f);
	wait_ups(f, 1);
	assert_true(test_log_has(&f->log, "reopened "));
	finish(f);
}

static void test_reopen_op(void **state)
{
	struct fixture *f = *state;

	pty_at_link(f);
	open_path(f, f->link);
	wait_ups(f, 1);
	f->u.transport.ops->reopen(&f->u.transport);
	/* Nothing from inside the call. */
	assert_int_equal(f->downs, 0);
	wait_downs(f, 1);
	wait_ups(f, 2);
	assert_true(test_log_has(&f->log, "reopening uart "));
	write_all(f->master, reset_complete, sizeof(reset_complete));
	wait_packets(f, 1);
	finish(f);
}

static void test_unix_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	static const uint8_t cmd[] = { 0x01, 0x10, 0x00 };
	uint8_t got[4];
	int conn;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/sock", f->dir);
	f->listener = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->listener >= 0);
	assert_int_equal(bind(f->listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(f->listener, 4), 0);

	open_path(f, addr.sun_path);
	wait_ups(f, 1);
	assert_true(test_log_has(&f->log, "connected to"));
	conn = accept(f->listener, NULL, NULL);
	assert_true(conn >= 0);
	f->master = conn;
	write_all(conn, reset_complete, sizeof(reset_complete));
	wait_packets(f, 1);
	assert_memory_equal(f->pkts[0], reset_complete + 1, sizeof(reset_complete) - 1);
	assert_int_equal(hci_transport_write(&f->u.transport, HCI_H4_CMD, cmd, sizeof(cmd)), 0);
	read_exact(conn, got, sizeof(got));
	assert_int_equal(got[0], HCI_H4_CMD);
	assert_memory_equal(got + 1, cmd, sizeof(cmd));

	/* The server drops us: down, then connected again by the backoff. */
	close(conn);
	f->master = -1;
	wait_downs(f, 1);
	assert_true(test_log_has(&f->log, "end of stream"));
	wait_ups(f, 2);
	finish(f);
}

static void test_fixed_fd_socketpair(void **state)
{
	struct fixture *f = *state;
	static const uint8_t cmd[] = { 0x03, 0x0c, 0x00 };
	uint8_t got[4];
	int fds[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(hci_uart_init_fd(&f->u, &f->loop, fds[1], "simulator"), 0);
	assert_string_equal(f->u.transport.name, "uart simulator");
	hook(f);
	f->master = fds[0];
	assert_int_equal(hci_transport_open(&f->u.transport), 0);
	f->opened = true;
	wait_ups(f, 1);
	write_all(fds[0], reset_complete, sizeof(reset_complete));
	wait_packets(f, 1);
	assert_int_equal(hci_transport_write(&f->u.transport, HCI_H4_CMD, cmd, sizeof(cmd)), 0);
	read_exact(fds[0], got, sizeof(got));
	assert_memory_equal(got + 1, cmd, sizeof(cmd));

	/* Lost for good: on_down, no reopen, writes refused. */
	close(fds[0]);
	f->master = -1;
	wait_downs(f, 1);
	assert_true(test_log_has(&f->log, "lost uart simulator"));
	test_uv_run_until(&f->loop, NULL, NULL, 300);
	assert_false(test_log_has(&f->log, "reopen attempt"));
	assert_int_equal(f->ups, 1);
	assert_int_equal(hci_transport_write(&f->u.transport, HCI_H4_CMD, cmd, sizeof(cmd)),
			 MESH_ERR_DOWN);
	finish(f);
}

/* A given descriptor libuv cannot poll (a regular file): open() fails and,
 * like the HCI user channel's failed open, leaves nothing on the loop. The
 * HCI core does not close a transport whose open() failed, so handles left
 * behind here would keep the loop from ever closing. */
static void test_fixed_fd_unpollable_open_fails_clean(void **state)
{
	struct fixture *f = *state;
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "%s/regular", f->dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(hci_uart_init_fd(&f->u, &f->loop, fd, "a regular file"), 0);
	hook(f);
	assert_int_equal(hci_transport_open(&f->u.transport), MESH_ERR_DOWN);
	assert_true(test_log_has(&f->log, "cannot poll uart a regular file"));
	/* No close(): the failed open must not have left handles behind. */
	f->opened = false;
	assert_int_equal(test_uv_open_handles(&f->loop), 0);
	/* A close() anyway is harmless, and so is a second open(). */
	hci_transport_close(&f->u.transport);
	assert_int_not_equal(hci_transport_open(&f->u.transport), 0);
	finish(f);
	assert_int_equal(f->ups + f->downs + f->packets, 0);
}

static void test_fixed_fd_write_to_closed_peer(void **state)
{
	struct fixture *f = *state;
	static const uint8_t cmd[] = { 0x03, 0x0c, 0x00 };
	int fds[2];
	int rc;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(hci_uart_init_fd(&f->u, &f->loop, fds[1], NULL), 0);
	hook(f);
	assert_int_equal(hci_transport_open(&f->u.transport), 0);
	f->opened = true;
	wait_ups(f, 1);
	/* Writing to a peer that left is EPIPE, not SIGPIPE; the loss is
	 * reported from the loop, not from inside write(). */
	close(fds[0]);
	rc = hci_transport_write(&f->u.transport, HCI_H4_CMD, cmd, sizeof(cmd));

	if (rc == MESH_ERR_DOWN)
		assert_int_equal(f->downs, 0);
	else
		assert_int_equal(rc, 0);
	wait_downs(f, 1);
	finish(f);
}

static void test_close_with_everything_active(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[HCI_MAX_CMD_LEN];
	int rc = 0;

	memset(cmd, 0x55, sizeof(cmd));
	pty_at_link(f);
	open_path(f, f->link);
	wait_ups(f, 1);
	/* A partial packet (expiry timer running). */
	write_all(f->master, reset_complete, 4);
	test_uv_run_until(&f->loop, NULL, NULL, 20);
	/* Nobody reads the master: the pty fills, then our buffer. */
	for (int i = 0; i < 2000 && rc == 0; i++)
		rc = hci_transport_write(&f->u.transport, HCI_H4_CMD, cmd, sizeof(cmd));
	assert_int_equal(rc, MESH_ERR_FULL);
	assert_true(f->u.wlen > 0);
	/* More input waiting, and a reopen requested but not yet run. */
	write_all(f->master, reset_complete, sizeof(reset_complete));
	f->u.transport.ops->reopen(&f->u.transport);

	hci_transport_close(&f->u.transport);
	f->opened = false;
	f->closed = true;
	hci_transport_close(&f->u.transport);   /* twice is harmless */
	assert_int_equal(hci_transport_write(&f->u.transport, HCI_H4_CMD, cmd, 3),
			 MESH_ERR_DOWN);
	write_all(f->master, reset_complete, sizeof(reset_complete));
	test_uv_run_until(&f->loop, NULL, NULL, 200);
	finish(f);
}

static void test_close_while_backing_off(void **state)
{
	struct fixture *f = *state;

	open_path(f, f->link);
	wait_log(f, "reopen attempt 1", 500);
	finish(f);
}

static void close_from_callback(void *ctx, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct fixture *f = ctx;

	on_packet(ctx, type, pkt, len);
	hci_transport_close(&f->u.transport);
	f->opened = false;
	f->closed = true;
}

static void test_close_inside_on_packet(void **state)
{
	struct fixture *f = *state;
	uint8_t two[2 * sizeof(reset_complete)];

	pty_at_link(f);
	open_path(f, f->link);
	f->u.transport.on_packet = close_from_callback;
	wait_ups(f, 1);
	/* Two packets in one read: the second must not be delivered. */
	memcpy(two, reset_complete, sizeof(reset_complete));
	memcpy(two + sizeof(reset_complete), reset_complete, sizeof(reset_complete));
	write_all(f->master, two, sizeof(two));
	wait_packets(f, 1);
	test_uv_run_until(&f->loop, NULL, NULL, 50);
	assert_int_equal(f->packets, 1);
	finish(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_and_speeds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pty_packets_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pty_garbage_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_stall_keeps_a_partial_packet, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pty_loss_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_path_backs_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_plugged_in_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_op, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_fd_socketpair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_fd_write_to_closed_peer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fixed_fd_unpollable_open_fails_clean, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_with_everything_active, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_while_backing_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_inside_on_packet, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
