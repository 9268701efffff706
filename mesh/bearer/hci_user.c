/*
 * The Linux HCI user channel (hci_user.h): a raw Bluetooth socket bound to
 * one adapter with exclusive access. The kernel frames the packets for us:
 * each read() is one packet with its H4 type octet first, and each write()
 * must be one whole packet the same way. No reopen: when the adapter goes
 * away the reason is logged and on_down reported; a person has to act.
 *
 * The Bluetooth headers are not installed everywhere we build, and we need
 * four constants and one address struct, so they are spelled out here
 * (values from the Linux ABI, include/net/bluetooth/hci_sock.h).
 */
#include "hci_user.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hci_codec.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/util.h"

#define LOG "hci_user"

#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH 31
#endif
#define HCI_BTPROTO_HCI 1
#define HCI_CHANNEL_USER 1
#define HCI_DEV_MAX 0xfffe      /* 0xffff is HCI_DEV_NONE */

struct hci_sockaddr {
	sa_family_t hci_family;
	unsigned short hci_dev;
	unsigned short hci_channel;
};

/* One packet per read: the largest the kernel hands over is an ACL packet
 * of a controller with large buffers; mesh needs events only. */
#define HCI_USER_READ_MAX 2048
#define HCI_USER_READS_PER_WAKEUP 32

static const struct hci_transport_ops hci_user_ops;

int hci_user_parse_name(const char *name, int *dev_index)
{
	long index = 0;
	const char *p;

	if (!name || strncmp(name, "hci", 3) != 0 || !name[3])
		return MESH_ERR_INVAL;
	p = name + 3;
	/* "hci01" would name the same adapter as "hci1": refuse the spelling
	 * rather than guess. */
	if (p[0] == '0' && p[1])
		return MESH_ERR_INVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return MESH_ERR_INVAL;
		index = index * 10 + (*p - '0');
		if (index > HCI_DEV_MAX)
			return MESH_ERR_INVAL;
	}
	if (dev_index)
		*dev_index = (int)index;
	return 0;
}

int hci_user_init(struct hci_user *h, uv_loop_t *loop, int dev_index)
{
	if (!h || !loop || dev_index < 0 || dev_index > HCI_DEV_MAX)
		return MESH_ERR_INVAL;
	memset(h, 0, sizeof(*h));
	h->loop = loop;
	h->dev_index = dev_index;
	h->fd = -1;
	snprintf(h->name, sizeof(h->name), "hci%d", dev_index);
	h->transport.ops = &hci_user_ops;
	h->transport.name = h->name;
	return 0;
}

/* The advice for err, or NULL when there is none beyond strerror. */
static const char *hci_user_advice(int err)
{
	switch (err) {
	case EAFNOSUPPORT:
	case EPROTONOSUPPORT:
		return "this kernel has no Bluetooth sockets (AF_BLUETOOTH): the module "
		       "bluetooth is not loaded (`modprobe bluetooth` on the host; a "
		       "container shares the host's kernel) or the kernel lacks it; use a "
		       "UART controller (--bearer uart:/dev/ttyACM0) or the simulator "
		       "(--bearer simulator) instead";
	case ENODEV:
		return "there is no such adapter; list the adapters with "
		       "`ls /sys/class/bluetooth` and check the dongle is plugged in";
	case EBUSY:
		return "the adapter is up or held by bluetoothd; stop bluetoothd "
		       "(`systemctl stop bluetooth`) or power the adapter down "
		       "(`btmgmt -i hciN power off` or `hciconfig hciN down`)";
	case EUSERS:
		return "another program already holds the adapter's user channel "
		       "(a second meshgate, or a Bluetooth proxy); stop it first";
	case EPERM:
	case EACCES:
		return "the HCI user channel needs CAP_NET_ADMIN: run as root, or grant it "
		       "with `setcap cap_net_admin,cap_net_raw+ep <path to meshgate>`, or "
		       "in Docker use `--cap-add NET_ADMIN --cap-add NET_RAW --net host`";
	case ERFKILL:
		return "the adapter is blocked by rfkill; unblock it with "
		       "`rfkill unblock bluetooth`";
	}
	return NULL;
}

/* Replace each "hciN" of the advice with the real name. */
static void hci_user_put_advice(const char *advice, int dev_index, char *buf, size_t size)
{
	size_t used = strlen(buf);

	while (*advice && used + 1 < size) {
		if (strncmp(advice, "hciN", 4) == 0) {
			int n = snprintf(buf + used, size - used, "hci%d", dev_index);

			if (n < 0 || (size_t)n >= size - used) {
				buf[size - 1] = '\0';
				return;
			}
			used += (size_t)n;
			advice += 4;
			continue;
		}
		buf[used++] = *advice++;
		buf[used] = '\0';
	}
}

void hci_user_explain(int err, const char *stage, int dev_index, char *buf, size_t size)
{
	const char *advice;

	if (!buf || !size)
		return;
	if (err < 0)
		err = -err;
	snprintf(buf, size, "cannot open hci%d (%s: %s)", dev_index, stage ? stage : "open",
		 strerror(err));
	advice = hci_user_advice(err);
	if (!advice)
		return;
	hci_user_put_advice(": ", dev_index, buf, size);
	hci_user_put_advice(advice, dev_index, buf, size);
}

/* ---- connection ----------------------------------------------------------- */

static void hci_user_detach(struct hci_user *h)
{
	if (h->poll_active) {
		uv_close((uv_handle_t *)&h->poll, NULL);
		h->poll_active = false;
	}
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
	h->is_open = false;
	h->up_pending = false;
	h->write_err = 0;
}

static void hci_user_lose(struct hci_user *h, const char *op, int err)
{
	bool announced = !h->up_pending;

	mesh_log_error(LOG, "lost %s: %s: %s (not reopened; restart meshgate once the "
		       "adapter is back)", h->name, op, strerror(err));
	hci_user_detach(h);
	if (announced && h->transport.on_down)
		h->transport.on_down(h->transport.ctx, MESH_ERR_DOWN);
}

static void hci_user_deliver_up(struct hci_user *h)
{
	h->up_pending = false;
	if (h->transport.on_up)
		h->transport.on_up(h->transport.ctx);
}

static void hci_user_packet(struct hci_user *h, const uint8_t *buf, size_t n)
{
	if (n < 1) {
		mesh_log_warn(LOG, "%s: empty packet skipped", h->name);
		return;
	}
	/* The kernel frames events; a length that disagrees would mean we are
	 * misreading the socket, so say what was expected. */
	if (buf[0] == HCI_H4_EVT && (n < 1 + HCI_EVT_HDR_LEN ||
				     n != 1u + HCI_EVT_HDR_LEN + buf[2])) {
		mesh_log_warn(LOG, "%s: event of %zu octets skipped, its header says %d", h->name,
			      n - 1, n < 1 + HCI_EVT_HDR_LEN ? -1 : HCI_EVT_HDR_LEN + buf[2]);
		return;
	}
	if (h->up_pending)
		hci_user_deliver_up(h);
	if (h->is_open && !h->closing && h->transport.on_packet)
		h->transport.on_packet(h->transport.ctx, buf[0], buf + 1, n - 1);
}

static void hci_user_poll_cb(uv_poll_t *p, int status, int events)
{
	struct hci_user *h = p->data;
	uint8_t buf[HCI_USER_READ_MAX];

	(void)events;
	if (!h->is_open || h->closing)
		return;
	/* On an error condition (status < 0: libuv says UV_EBADF for any
	 * POLLERR) the read below names the real cause, e.g. ENETDOWN. */
	for (int i = 0; i < HCI_USER_READS_PER_WAKEUP; i++) {
		ssize_t n = read(h->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (status < 0)
				hci_user_lose(h, "poll", EIO);
			return;
		}
		if (n <= 0) {
			/* ENETDOWN or ENODEV: the adapter was removed or reset. */
			hci_user_lose(h, "read", n == 0 ? ENODEV : errno);
			return;
		}
		hci_user_packet(h, buf, (size_t)n);
		if (!h->is_open || h->closing)
			return;
	}
	/* libuv stopped polling on the error: it would not wake us again. */
	if (status < 0)
		hci_user_lose(h, "poll", EIO);
}

static void hci_user_event_cb(uv_timer_t *t)
{
	struct hci_user *h = t->data;

	if (h->closing || !h->is_open)
		return;
	if (h->write_err) {
		hci_user_lose(h, "write", h->write_err);
		return;
	}
	if (h->up_pending)
		hci_user_deliver_up(h);
}

/* socket() and bind(); the descriptor, or -errno with *stage set. */
static int hci_user_bind(struct hci_user *h, const char **stage)
{
	struct hci_sockaddr addr;
	int fd, err;

	*stage = "socket";
	fd = socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, HCI_BTPROTO_HCI);
	if (fd < 0)
		return -errno;
	memset(&addr, 0, sizeof(addr));
	addr.hci_family = AF_BLUETOOTH;
	addr.hci_dev = (unsigned short)h->dev_index;
	addr.hci_channel = HCI_CHANNEL_USER;
	*stage = "bind";
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* ---- operations ----------------------------------------------------------- */

static int hci_user_op_open(struct hci_transport *t)
{
	struct hci_user *h = MESH_CONTAINER_OF(t, struct hci_user, transport);
	const char *stage = "socket";
	char why[512];
	int fd, rc;

	if (h->closing)
		return MESH_ERR_INVAL;
	if (h->started)
		return MESH_ERR_BUSY;
	fd = hci_user_bind(h, &stage);
	if (fd < 0) {
		hci_user_explain(-fd, stage, h->dev_index, why, sizeof(why));
		mesh_log_error(LOG, "%s", why);
		return MESH_ERR_DOWN;
	}
	/* Handles exist only once we hold the adapter, so a failed open
	 * leaves nothing on the loop to close. */
	rc = uv_poll_init(h->loop, &h->poll, fd);
	if (rc < 0) {
		close(fd);
		mesh_log_error(LOG, "cannot poll %s: %s", h->name, uv_strerror(rc));
		return MESH_ERR_DOWN;
	}
	h->started = true;
	h->fd = fd;
	h->is_open = true;
	h->poll.data = h;
	h->poll_active = true;
	uv_poll_start(&h->poll, UV_READABLE, hci_user_poll_cb);
	uv_timer_init(h->loop, &h->event_timer);
	h->event_timer.data = h;
	h->up_pending = true;
	uv_timer_start(&h->event_timer, hci_user_event_cb, 0, 0);
	mesh_log_info(LOG, "opened %s (HCI user channel)", h->name);
	return 0;
}

static int hci_user_op_write(struct hci_transport *t, uint8_t type, const uint8_t *pkt,
			     size_t len)
{
	struct hci_user *h = MESH_CONTAINER_OF(t, struct hci_user, transport);
	uint8_t buf[1 + HCI_MAX_CMD_LEN];
	ssize_t n;

	if (!h->is_open || h->closing || h->write_err)
		return MESH_ERR_DOWN;
	if (len > sizeof(buf) - 1)
		return MESH_ERR_INVAL;
	/* The socket takes one packet per write(), type octet included. */
	buf[0] = type;
	if (len)
		memcpy(buf + 1, pkt, len);
	do {
		n = write(h->fd, buf, len + 1);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)(len + 1))
		return 0;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
		return MESH_ERR_FULL;
	/* Handled from the loop, not inside the caller. */
	h->write_err = n < 0 ? errno : EIO;
	uv_timer_start(&h->event_timer, hci_user_event_cb, 0, 0);
	return MESH_ERR_DOWN;
}

static void hci_user_op_close(struct hci_transport *t)
{
	struct hci_user *h = MESH_CONTAINER_OF(t, struct hci_user, transport);

	if (h->closing)
		return;
	h->closing = true;
	if (!h->started)
		return;
	hci_user_detach(h);
	uv_close((uv_handle_t *)&h->event_timer, NULL);
	mesh_log_info(LOG, "closed %s", h->name);
}

static const struct hci_transport_ops hci_user_ops = {
	.open = hci_user_op_open,
	.write = hci_user_op_write,
	.close = hci_user_op_close,
	.reopen = NULL,
};
