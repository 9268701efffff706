/*
 * H4 over a byte stream (uart.h): a serial device, a pseudo-terminal, a
 * Unix stream socket or an already connected descriptor, polled on the
 * libuv loop.
 *
 * One connection at a time: attach() starts polling a freshly opened
 * descriptor, detach() stops it without callbacks, lose() is detach() plus
 * the log line, on_down and the reopen backoff. Nothing the user calls
 * (write, reopen, close) runs a user callback from inside itself: on_up,
 * and the losses that write() or reopen() discover, are handed to a zero
 * timer (event_timer) so the caller's state is consistent first.
 */
/* glibc hides B1000000 and friends, CRTSCTS and cfmakeraw behind
 * _DEFAULT_SOURCE; the rest of the project sticks to plain POSIX. */
#define _DEFAULT_SOURCE

#include "uart.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/util.h"

#define LOG "uart"
#define UART_READ_CHUNK 4096
/* Reads per wakeup before yielding to the rest of the loop; the poll is
 * level-triggered, so whatever is left wakes us again at once. */
#define UART_READS_PER_WAKEUP 16
/* The expiry timer running this late means our own loop was held up (a
 * blocking callback, a slow fsync, a stopped process); on an idle loop it
 * runs within a millisecond or two. */
#define UART_LOOP_STALL_MS (H4_PARTIAL_TIMEOUT_MS / 2)

static const struct hci_transport_ops uart_ops;

static void uart_try_open(struct hci_uart *u);
static void uart_event_cb(uv_timer_t *t);

unsigned int hci_uart_speed(unsigned int baud)
{
	switch (baud) {
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	case 230400: return B230400;
	case 460800: return B460800;
	case 500000: return B500000;
	case 576000: return B576000;
	case 921600: return B921600;
	case 1000000: return B1000000;
	case 1152000: return B1152000;
	case 1500000: return B1500000;
	case 2000000: return B2000000;
	case 2500000: return B2500000;
	case 3000000: return B3000000;
	case 3500000: return B3500000;
	case 4000000: return B4000000;
	}
	return 0;
}

void hci_uart_config_default(struct hci_uart_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->baud = HCI_UART_DEFAULT_BAUD;
	cfg->rtscts = true;
}

/* ---- receive -------------------------------------------------------------- */

static void uart_deliver_up(struct hci_uart *u)
{
	u->up_pending = false;
	if (u->transport.on_up)
		u->transport.on_up(u->transport.ctx);
}

static void uart_rx_packet(void *ctx, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct hci_uart *u = ctx;

	/* A callback earlier in the same read may have closed or dropped the
	 * connection; the rest of that read belongs to nobody. */
	if (!u->is_open || u->closing)
		return;
	/* Packets can beat the zero timer to the loop; on_up comes first. */
	if (u->up_pending)
		uart_deliver_up(u);
	if (u->is_open && !u->closing && u->transport.on_packet)
		u->transport.on_packet(u->transport.ctx, type, pkt, len);
}

static void uart_rx_garbage(void *ctx, size_t count, const char *why)
{
	struct hci_uart *u = ctx;

	u->garbage_octets += count;
	mesh_log_warn(LOG, "%s: skipped %zu garbage octets (%s)", u->name, count, why);
}

static void uart_expire_cb(uv_timer_t *t);

/* Keep h4_rx_expire() coming while h4 holds a partial packet or an
 * unreported run of garbage; restarted on every read, so it fires only
 * once the line has been quiet for the whole timeout. */
static void uart_arm_expire(struct hci_uart *u)
{
	if (h4_rx_partial(&u->rx) || h4_rx_garbage_pending(&u->rx)) {
		uv_timer_start(&u->expire_timer, uart_expire_cb, H4_PARTIAL_TIMEOUT_MS + 1, 0);
		u->expire_due = uv_now(u->loop) + H4_PARTIAL_TIMEOUT_MS + 1;
	} else {
		uv_timer_stop(&u->expire_timer);
		u->expire_due = 0;
	}
}

/* A partial packet's quiet time counts only while the loop could read the
 * line. After a hold-up, the rest of the packet may have sat unread in the
 * kernel's buffer all along; libuv runs due timers before it polls, and a
 * read after the hold-up carries the late time, so either way the packet
 * would be dropped and its tail taken for garbage (a lost Command
 * Complete then looks like a mute controller). Returns true if it forgave. */
static bool uart_forgive_stall(struct hci_uart *u)
{
	uint64_t now = uv_now(u->loop);

	if (!u->expire_due || now < u->expire_due + UART_LOOP_STALL_MS)
		return false;
	mesh_log_warn(LOG, "%s: not read for %llu ms while the event loop was held up; an "
		      "incomplete packet gets the full %u ms again", u->name,
		      (unsigned long long)(now - u->expire_due + H4_PARTIAL_TIMEOUT_MS + 1),
		      H4_PARTIAL_TIMEOUT_MS);
	h4_rx_watch_from(&u->rx, now);
	u->expire_due = now + H4_PARTIAL_TIMEOUT_MS + 1;
	return true;
}

static void uart_expire_cb(uv_timer_t *t)
{
	struct hci_uart *u = t->data;

	if (!u->is_open || u->closing)
		return;
	if (!uart_forgive_stall(u))
		h4_rx_expire(&u->rx, uv_now(u->loop));
	uart_arm_expire(u);
}

/* ---- connection ----------------------------------------------------------- */

static void uart_poll_closed_cb(uv_handle_t *h)
{
	struct hci_uart *u = h->data;

	u->poll_closing = false;
	if (u->open_when_closed && !u->closing) {
		u->open_when_closed = false;
		uart_try_open(u);
	}
}

/* Stop using the current descriptor; no callback. The poll handle must be
 * stopped before its descriptor is closed, and can be initialised again
 * only after its close callback (open_when_closed waits for that). */
static void uart_detach(struct hci_uart *u)
{
	if (u->poll_active) {
		uv_close((uv_handle_t *)&u->poll, uart_poll_closed_cb);
		u->poll_active = false;
		u->poll_closing = true;
	}
	if (u->fd >= 0) {
		close(u->fd);
		u->fd = -1;
	}
	u->is_open = false;
	u->up_pending = false;
	u->write_err = 0;
	u->wlen = 0;
	u->poll_events = 0;
	/* rx is reset in attach(), not here: detach can run from inside
	 * h4_rx_feed() (a callback closing us), which must finish its loop. */
	if (u->started)
		uv_timer_stop(&u->expire_timer);
	u->expire_due = 0;
}

static void uart_schedule_reopen(struct hci_uart *u, unsigned int delay_ms);

/* The device went away under us: log it, tell the user (if it had been
 * told the device was up), and start retrying. */
static void uart_lose(struct hci_uart *u, const char *why)
{
	bool announced = !u->up_pending;

	mesh_log_error(LOG, "lost %s: %s", u->name, why);
	uart_detach(u);
	if (!u->fixed_fd)
		uart_schedule_reopen(u, u->backoff_ms);
	else
		mesh_log_info(LOG, "%s is a given descriptor: not reopening", u->name);
	if (announced && u->transport.on_down)
		u->transport.on_down(u->transport.ctx, MESH_ERR_DOWN);
}

static void uart_lose_errno(struct hci_uart *u, const char *op, int err)
{
	char why[128];

	snprintf(why, sizeof(why), "%s: %s", op, strerror(err));
	uart_lose(u, why);
}

static void uart_poll_cb(uv_poll_t *h, int status, int events);

/* Poll for what we need: always input and hangup, output only while
 * bytes wait in wbuf (a writable stream would otherwise wake us forever). */
static void uart_update_poll(struct hci_uart *u)
{
	int events = UV_READABLE | UV_DISCONNECT;

	if (u->wlen)
		events |= UV_WRITABLE;
	if (!u->poll_active || events == u->poll_events)
		return;
	u->poll_events = events;
	uv_poll_start(&u->poll, events, uart_poll_cb);
}

static int uart_attach(struct hci_uart *u, int fd)
{
	int rc = uv_poll_init(u->loop, &u->poll, fd);

	if (rc < 0)
		return rc;
	u->poll.data = u;
	u->poll_active = true;
	u->poll_events = 0;
	u->fd = fd;
	u->is_open = true;
	u->wlen = 0;
	u->write_err = 0;
	h4_rx_reset(&u->rx);
	uart_update_poll(u);
	u->up_pending = true;
	uv_timer_start(&u->event_timer, uart_event_cb, 0, 0);
	return 0;
}

/* ---- opening -------------------------------------------------------------- */

static int uart_connect_unix(struct hci_uart *u, const char **stage)
{
	struct sockaddr_un addr;
	int fd;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(u->path) >= sizeof(addr.sun_path)) {
		*stage = "socket path";
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, u->path, strlen(u->path));
	*stage = "socket";
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A Unix stream connect completes at once or fails (EAGAIN: the
	 * listener's backlog is full); both are fine to retry later. */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;

		close(fd);
		*stage = "connect";
		return -err;
	}
	u->is_socket = true;
	mesh_log_info(LOG, "connected to %s (Unix stream socket)", u->path);
	return fd;
}

/* Raw 8N1 at the configured speed, with or without RTS/CTS; reads never
 * wait (the descriptor is non-blocking and polled). */
static int uart_configure_tty(struct hci_uart *u, int fd, const char **stage)
{
	speed_t speed = (speed_t)hci_uart_speed(u->baud);
	struct termios tio;

	*stage = "tcgetattr";
	if (tcgetattr(fd, &tio) < 0)
		return -errno;
	cfmakeraw(&tio);
	tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
	tio.c_cflag |= CS8 | CLOCAL | CREAD;
	if (u->rtscts)
		tio.c_cflag |= CRTSCTS;
	/* VMIN=1, VTIME=0 on a non-blocking descriptor: read() gives EAGAIN
	 * when there is nothing, so 0 means hangup. (VMIN=0 would return 0
	 * for "nothing yet" too, and a hangup could not be told apart.) */
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	*stage = "cfsetspeed";
	if (cfsetispeed(&tio, speed) < 0 || cfsetospeed(&tio, speed) < 0)
		return -errno;
	*stage = "tcsetattr";
	if (tcsetattr(fd, TCSANOW, &tio) < 0)
		return -errno;
	/* tcsetattr succeeds if any one setting took; say so if the speed
	 * (the one that matters) did not. */
	if (tcgetattr(fd, &tio) == 0 && cfgetospeed(&tio) != speed)
		mesh_log_warn(LOG, "%s: the driver did not accept %u baud", u->path, u->baud);
	/* Bytes from before we were listening are half a conversation. */
	tcflush(fd, TCIOFLUSH);
	return 0;
}

static int uart_open_device(struct hci_uart *u, const char **stage)
{
	int fd, rc;

	*stage = "open";
	fd = open(u->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	u->is_socket = false;
	if (!isatty(fd)) {
		mesh_log_warn(LOG, "%s is not a terminal; using it as a plain byte stream",
			      u->path);
		return fd;
	}
	rc = uart_configure_tty(u, fd, stage);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	mesh_log_info(LOG, "opened %s at %u baud, 8N1, %s flow control", u->path, u->baud,
		      u->rtscts ? "RTS/CTS" : "no");
	return fd;
}

static int uart_open_path(struct hci_uart *u, const char **stage)
{
	struct stat st;

	if (stat(u->path, &st) == 0 && S_ISSOCK(st.st_mode))
		return uart_connect_unix(u, stage);
	return uart_open_device(u, stage);
}

/* What a user can check for the usual reasons a device does not open. */
static const char *uart_open_hint(int err)
{
	switch (err) {
	case ENOENT: return " (not plugged in yet, or the path is wrong; retrying)";
	case EACCES: return " (is this user in the device's group, e.g. dialout?)";
	case EBUSY: return " (another program holds the device)";
	case ECONNREFUSED: return " (nobody is listening on the socket yet; retrying)";
	case EIO: return " (the other end is gone; retrying)";
	}
	return "";
}

static void uart_log_open_failure(struct hci_uart *u, const char *stage, int err)
{
	/* Loud the first time and when the reason changes; the same failure
	 * every few seconds while a device stays unplugged is not news. */
	enum mesh_log_level level = err == u->last_open_err ? MESH_LOG_DEBUG : MESH_LOG_ERROR;

	mesh_log(level, LOG, "cannot open %s: %s: %s%s", u->path, stage, strerror(err),
		 uart_open_hint(err));
	u->last_open_err = err;
}

static void uart_try_open(struct hci_uart *u)
{
	const char *stage = "open";
	int fd, rc;

	if (u->closing || u->is_open)
		return;
	if (u->poll_closing) {
		u->open_when_closed = true;
		return;
	}
	fd = uart_open_path(u, &stage);
	if (fd < 0) {
		uart_log_open_failure(u, stage, -fd);
		uart_schedule_reopen(u, u->backoff_ms);
		return;
	}
	rc = uart_attach(u, fd);
	if (rc < 0) {
		close(fd);
		mesh_log_error(LOG, "cannot poll %s: %s", u->path, uv_strerror(rc));
		uart_schedule_reopen(u, u->backoff_ms);
		return;
	}
	if (u->reopen_attempts)
		mesh_log_info(LOG, "reopened %s after %u attempt%s", u->path, u->reopen_attempts,
			      u->reopen_attempts == 1 ? "" : "s");
	u->reopen_attempts = 0;
	u->backoff_ms = HCI_UART_REOPEN_MIN_MS;
	u->last_open_err = 0;
}

static void uart_reopen_cb(uv_timer_t *t)
{
	uart_try_open(t->data);
}

/* Retry in delay_ms, then back off: a device that is unplugged for an hour
 * costs one attempt every HCI_UART_REOPEN_MAX_MS. */
static void uart_schedule_reopen(struct hci_uart *u, unsigned int delay_ms)
{
	u->reopen_attempts++;
	mesh_log_info(LOG, "%s: reopen attempt %u in %u ms", u->path, u->reopen_attempts,
		      delay_ms);
	uv_timer_start(&u->reopen_timer, uart_reopen_cb, delay_ms, 0);
	u->backoff_ms = delay_ms >= HCI_UART_REOPEN_MAX_MS / 2 ? HCI_UART_REOPEN_MAX_MS
							      : delay_ms * 2;
	if (u->backoff_ms < HCI_UART_REOPEN_MIN_MS)
		u->backoff_ms = HCI_UART_REOPEN_MIN_MS;
}

/* ---- I/O ------------------------------------------------------------------ */

static ssize_t uart_send(struct hci_uart *u, const uint8_t *buf, size_t len)
{
	/* A socket whose peer left raises SIGPIPE on write(); send() can be
	 * told not to, so the loss is seen as EPIPE like any other. */
	if (u->is_socket)
		return send(u->fd, buf, len, MSG_NOSIGNAL);
	return write(u->fd, buf, len);
}

/* Write what the descriptor takes now; 0 or a positive errno. */
static int uart_flush(struct hci_uart *u)
{
	size_t off = 0;
	int err = 0;

	while (off < u->wlen) {
		ssize_t n = uart_send(u, u->wbuf + off, u->wlen - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		err = errno;
		break;
	}
	if (err)
		return err;
	memmove(u->wbuf, u->wbuf + off, u->wlen - off);
	u->wlen -= off;
	uart_update_poll(u);
	return 0;
}

/* Read until the descriptor is empty (or UART_READS_PER_WAKEUP); returns
 * false if the connection is gone (lost, or closed by a callback). */
static bool uart_read(struct hci_uart *u, bool *drained)
{
	uint8_t buf[UART_READ_CHUNK];

	*drained = false;
	for (int i = 0; i < UART_READS_PER_WAKEUP; i++) {
		ssize_t n = read(u->fd, buf, sizeof(buf));

		if (n > 0) {
			uart_forgive_stall(u);
			h4_rx_feed(&u->rx, buf, (size_t)n, uv_now(u->loop));
			if (!u->is_open || u->closing)
				return false;
			continue;
		}
		if (n == 0) {
			/* EOF on a socket; a hung-up terminal (see VMIN). */
			uart_lose(u, "end of stream (hangup)");
			return false;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			*drained = true;
			break;
		}
		/* EIO is what a pty slave reads once its master closed. */
		uart_lose_errno(u, "read", errno);
		return false;
	}
	uart_arm_expire(u);
	return true;
}

static void uart_poll_cb(uv_poll_t *h, int status, int events)
{
	struct hci_uart *u = h->data;
	bool drained = false;
	int err;

	if (!u->is_open || u->closing)
		return;
	if (status < 0) {
		char why[96];

		/* libuv reports POLLERR as UV_EBADF, which says nothing; a
		 * read names the real cause (EIO for a pty whose master
		 * closed) and loses the connection itself. */
		if (!uart_read(u, &drained))
			return;
		snprintf(why, sizeof(why), "poll: %s",
			 status == UV_EBADF ? "error condition on the device" : uv_strerror(status));
		uart_lose(u, why);
		return;
	}
	if ((events & (UV_READABLE | UV_DISCONNECT)) && !uart_read(u, &drained))
		return;
	/* A hangup with nothing left to read: if we kept the descriptor, the
	 * poll would report it again at once, forever. */
	if ((events & UV_DISCONNECT) && drained) {
		uart_lose(u, "hangup");
		return;
	}
	if ((events & UV_WRITABLE) && u->wlen) {
		err = uart_flush(u);
		if (err)
			uart_lose_errno(u, "write", err);
	}
}

/* ---- deferred events ------------------------------------------------------ */

/* The reopen op, from the loop: down (if the user saw it up), then an
 * immediate attempt with a fresh backoff. */
static void uart_do_reopen(struct hci_uart *u)
{
	bool announced = u->is_open && !u->up_pending;

	u->reopen_requested = false;
	mesh_log_info(LOG, "reopening %s on request", u->name);
	uart_detach(u);
	uv_timer_stop(&u->reopen_timer);
	u->backoff_ms = HCI_UART_REOPEN_MIN_MS;
	u->reopen_attempts = 0;
	u->last_open_err = 0;
	if (announced && u->transport.on_down)
		u->transport.on_down(u->transport.ctx, MESH_ERR_DOWN);
	uart_try_open(u);
}

static void uart_event_cb(uv_timer_t *t)
{
	struct hci_uart *u = t->data;

	if (u->closing)
		return;
	if (u->reopen_requested) {
		uart_do_reopen(u);
		return;
	}
	if (u->is_open && u->write_err) {
		uart_lose_errno(u, "write", u->write_err);
		return;
	}
	if (u->is_open && u->up_pending)
		uart_deliver_up(u);
}

/* ---- operations ----------------------------------------------------------- */

static int uart_op_open(struct hci_transport *t)
{
	struct hci_uart *u = MESH_CONTAINER_OF(t, struct hci_uart, transport);
	int rc;

	if (u->closing)
		return MESH_ERR_INVAL;
	if (u->started)
		return MESH_ERR_BUSY;
	u->started = true;
	uv_timer_init(u->loop, &u->reopen_timer);
	uv_timer_init(u->loop, &u->expire_timer);
	uv_timer_init(u->loop, &u->event_timer);
	u->reopen_timer.data = u;
	u->expire_timer.data = u;
	u->event_timer.data = u;
	if (!u->fixed_fd) {
		/* A failure here is not fatal: the device may be plugged in
		 * later, and the backoff loop will find it. */
		uart_try_open(u);
		return 0;
	}
	rc = uart_attach(u, u->fd);
	if (rc < 0) {
		mesh_log_error(LOG, "cannot poll %s: %s", u->name, uv_strerror(rc));
		close(u->fd);
		u->fd = -1;
		/* The HCI core does not close a transport whose open failed:
		 * leave nothing on the loop (as hci_user does), and nothing for
		 * a later close() or open() to do. */
		u->closing = true;
		uv_close((uv_handle_t *)&u->reopen_timer, NULL);
		uv_close((uv_handle_t *)&u->expire_timer, NULL);
		uv_close((uv_handle_t *)&u->event_timer, NULL);
		return MESH_ERR_DOWN;
	}
	mesh_log_info(LOG, "attached to %s", u->name);
	return 0;
}

static int uart_op_write(struct hci_transport *t, uint8_t type, const uint8_t *pkt,
			 size_t len)
{
	struct hci_uart *u = MESH_CONTAINER_OF(t, struct hci_uart, transport);
	bool idle;
	int err;

	if (!u->is_open || u->closing || u->write_err)
		return MESH_ERR_DOWN;
	if (len >= sizeof(u->wbuf) - u->wlen)
		return MESH_ERR_FULL;
	idle = u->wlen == 0;
	u->wbuf[u->wlen++] = type;
	if (len)
		memcpy(u->wbuf + u->wlen, pkt, len);
	u->wlen += len;
	/* With bytes already waiting, POLLOUT is armed and keeps the order. */
	if (!idle)
		return 0;
	err = uart_flush(u);
	if (err) {
		/* The loss is handled from the loop, not inside the caller. */
		u->write_err = err;
		uv_timer_start(&u->event_timer, uart_event_cb, 0, 0);
		return MESH_ERR_DOWN;
	}
	return 0;
}

static void uart_op_reopen(struct hci_transport *t)
{
	struct hci_uart *u = MESH_CONTAINER_OF(t, struct hci_uart, transport);

	if (!u->started || u->closing)
		return;
	if (u->fixed_fd) {
		mesh_log_warn(LOG, "%s is a given descriptor and cannot be reopened", u->name);
		return;
	}
	u->reopen_requested = true;
	uv_timer_start(&u->event_timer, uart_event_cb, 0, 0);
}

static void uart_op_close(struct hci_transport *t)
{
	struct hci_uart *u = MESH_CONTAINER_OF(t, struct hci_uart, transport);

	if (u->closing)
		return;
	u->closing = true;
	u->reopen_requested = false;
	u->open_when_closed = false;
	if (!u->started) {
		/* Never opened: only a given descriptor to give back. */
		if (u->fd >= 0)
			close(u->fd);
		u->fd = -1;
		return;
	}
	uart_detach(u);
	uv_close((uv_handle_t *)&u->reopen_timer, NULL);
	uv_close((uv_handle_t *)&u->expire_timer, NULL);
	uv_close((uv_handle_t *)&u->event_timer, NULL);
	mesh_log_info(LOG, "closed %s", u->name);
}

static const struct hci_transport_ops uart_ops = {
	.open = uart_op_open,
	.write = uart_op_write,
	.close = uart_op_close,
	.reopen = uart_op_reopen,
};

/* ---- construction --------------------------------------------------------- */

static void uart_init_common(struct hci_uart *u, uv_loop_t *loop)
{
	memset(u, 0, sizeof(*u));
	u->loop = loop;
	u->fd = -1;
	u->backoff_ms = HCI_UART_REOPEN_MIN_MS;
	u->transport.ops = &uart_ops;
	u->transport.name = u->name;
	h4_rx_init(&u->rx, H4_FROM_CONTROLLER, uart_rx_packet, uart_rx_garbage, u);
}

int hci_uart_init(struct hci_uart *u, uv_loop_t *loop, const struct hci_uart_config *cfg)
{
	unsigned int baud;

	if (!u || !loop || !cfg || !cfg->path || !cfg->path[0])
		return MESH_ERR_INVAL;
	if (strlen(cfg->path) >= sizeof(u->path)) {
		mesh_log_error(LOG, "device path too long (%zu characters, at most %zu)",
			       strlen(cfg->path), sizeof(u->path) - 1);
		return MESH_ERR_INVAL;
	}
	baud = cfg->baud ? cfg->baud : HCI_UART_DEFAULT_BAUD;
	if (!hci_uart_speed(baud)) {
		mesh_log_error(LOG, "%s: unsupported baud rate %u (9600..4000000, standard rates)",
			       cfg->path, baud);
		return MESH_ERR_INVAL;
	}
	uart_init_common(u, loop);
	memcpy(u->path, cfg->path, strlen(cfg->path) + 1);
	snprintf(u->name, sizeof(u->name), "uart %s", u->path);
	u->baud = baud;
	u->rtscts = cfg->rtscts;
	return 0;
}

int hci_uart_init_fd(struct hci_uart *u, uv_loop_t *loop, int fd, const char *name)
{
	struct stat st;

	if (!u || !loop || fd < 0) {
		/* Ownership was handed over: do not leak it on refusal. */
		if (fd >= 0)
			close(fd);
		return MESH_ERR_INVAL;
	}
	uart_init_common(u, loop);
	u->fd = fd;
	u->fixed_fd = true;
	u->is_socket = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	if (name && name[0])
		snprintf(u->path, sizeof(u->path), "%s", name);
	else
		snprintf(u->path, sizeof(u->path), "fd %d", fd);
	snprintf(u->name, sizeof(u->name), "uart %s", u->path);
	return 0;
}
