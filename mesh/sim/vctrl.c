/*
 * The virtual HCI controller (vctrl.h): the host link and its I/O, the
 * command interpreter with the controller state it keeps, and the glue
 * between that state and the simulated air.
 *
 * I/O: each open descriptor (the host connection, a listening socket) is a
 * separately allocated uv_poll_t that frees itself in its close callback,
 * so a link can be dropped and replaced at any time, even from inside one
 * of its own callbacks, and the controller itself can be freed at once.
 * Events are written straight away; what the host does not take yet waits
 * in a bounded buffer flushed on POLLOUT.
 *
 * Command flow control: the controller always answers with one credit
 * (Num_HCI_Command_Packets = 1). A command that arrives while the host
 * holds no credit is a violation of the host's, counted in the stats.
 * Since we answer synchronously, a credit given back while a read is being
 * processed only counts from the next read on: commands the host sent in
 * one burst were sent before it could have seen any answer.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */

#include "vctrl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "mesh/bearer/h4.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/util.h"
#include "sim_internal.h"

/* Events waiting for a slow host; beyond this they are dropped, as a
 * controller whose UART buffer overflows would lose them. */
#define OUT_MAX 65536
#define READ_CHUNK 512
#define READS_PER_WAKEUP 16

/* Event mask defaults after Reset (Core Vol 4 Part E 7.3.1, 7.8.1). */
#define EVENT_MASK_DEFAULT 0x00001fffffffffffull
#define LE_EVENT_MASK_DEFAULT 0x000000000000001full
#define EVENT_MASK_HW_ERROR (1ull << 15)
#define EVENT_MASK_LE_META (1ull << 61)
#define LE_EVENT_MASK_ADV_REPORT (1ull << 1)

/* What Read Local Version Information reports: HCI/LMP 5.2 (0x0b) and
 * company 0x05F1 (The Linux Foundation) as a harmless placeholder. */
#define VERSION_HCI 0x0b
#define VERSION_LMP 0x0b
#define VERSION_MANUFACTURER 0x05f1
#define VERSION_REVISION 0x0001

/* LE Read Buffer Size: the 4.0 minimum; mesh never sends ACL data. */
#define LE_ACL_MTU 27
#define LE_ACL_PACKETS 3

/* Parameter ranges of the LE advertising and scanning commands. */
#define ADV_INTERVAL_MIN 0x0020
#define SCAN_INTERVAL_MIN 0x0004
#define INTERVAL_MAX 0x4000
#define ADV_TYPE_MAX 0x04
#define ADV_DIRECT_IND_HIGH 0x01

struct vctrl_io {
	uv_poll_t poll;
	struct sim_vctrl *vc;      /* NULL once closing */
	int fd;
	int events;                /* UV_READABLE [| UV_WRITABLE] */
	bool is_socket;            /* send() with MSG_NOSIGNAL */
};

struct sim_vctrl {
	struct sim_device *dev;
	/* host link */
	struct vctrl_io *link;     /* the host connection (socketpair, pty master, accepted) */
	struct vctrl_io *listener; /* our Unix socket, if listening */
	int pty_slave;             /* our own open slave, so the master never hangs up */
	char link_path[SIM_PATH_MAX];
	char slave_path[SIM_PATH_MAX];
	char socket_path[SIM_PATH_MAX];
	struct h4_rx rx;
	size_t out_len;
	bool out_dropping;         /* log a run of dropped events once */
	bool credit;               /* the host may send a command */
	bool credit_returned;      /* a Command Complete left during this read */
	bool mute;
	sim_vctrl_command_fn cmd_fn;
	void *cmd_ctx;
	struct sim_vctrl_stats stats;
	/* controller state, as Reset leaves it */
	uint64_t event_mask;
	uint64_t le_event_mask;
	bool random_addr_set;
	uint8_t random_addr[6];
	struct hci_adv_params adv_params;
	struct hci_scan_params scan_params;
	uint8_t adv_data[MESH_ADV_DATA_MAX];
	uint8_t adv_len;
	uint8_t scan_rsp[MESH_ADV_DATA_MAX];
	uint8_t scan_rsp_len;
	bool advertising;
	bool scanning;
	bool filter_duplicates;
	struct mesh_timer adv_timer;
	uint8_t out[OUT_MAX];
};

static const char *vc_name(const struct sim_vctrl *vc)
{
	return vc->dev->desc.name;
}

static struct mesh_timers *vc_queue(struct sim_vctrl *vc)
{
	return sim_world_queue(vc->dev->world);
}

/* ---- controller state ---------------------------------------------------- */

static void state_reset(struct sim_vctrl *vc)
{
	static const struct hci_adv_params adv_default = {
		.interval_min = 0x0800, .interval_max = 0x0800,
		.type = HCI_ADV_IND, .channel_map = 0x07,
	};
	static const struct hci_scan_params scan_default = {
		.type = 0x00, .interval = 0x0010, .window = 0x0010,
	};

	vc->event_mask = EVENT_MASK_DEFAULT;
	vc->le_event_mask = LE_EVENT_MASK_DEFAULT;
	vc->random_addr_set = false;
	memset(vc->random_addr, 0, sizeof(vc->random_addr));
	vc->adv_params = adv_default;
	vc->scan_params = scan_default;
	vc->adv_len = 0;
	vc->scan_rsp_len = 0;
	vc->advertising = false;
	vc->scanning = false;
	vc->filter_duplicates = false;
	mesh_timer_stop(vc_queue(vc), &vc->adv_timer);
}

/* 0.625 ms units to ms, never below the 20 ms advertising floor. */
static uint32_t adv_interval_ms(const struct sim_vctrl *vc)
{
	uint32_t ms = ((uint32_t)vc->adv_params.interval_max * 5u + 4u) / 8u;

	return ms < MESH_ADV_INTERVAL_MIN_MS ? MESH_ADV_INTERVAL_MIN_MS : ms;
}

/* Own_Address_Type 0x01 (random), or 0x03 (resolvable private address,
 * else random): with no resolving list here, both use the random address. */
static bool own_addr_random(uint8_t own_addr_type)
{
	return own_addr_type == HCI_ADDR_RANDOM || own_addr_type == 0x03;
}

/* One advertising event with the current data, from the address the
 * advertising parameters select. */
static void adv_event(struct sim_vctrl *vc)
{
	const uint8_t *addr = vc->dev->addr;

	if (own_addr_random(vc->adv_params.own_addr_type) && vc->random_addr_set)
		addr = vc->random_addr;
	vc->stats.adv_events++;
	sim_world_transmit_from(vc->dev->world, vc->dev, addr, vc->adv_data, vc->adv_len);
}

static void adv_timer_fire(struct mesh_timer *t)
{
	struct sim_vctrl *vc = MESH_CONTAINER_OF(t, struct sim_vctrl, adv_timer);

	if (!vc->advertising)
		return;
	adv_event(vc);
	mesh_timer_start(vc_queue(vc), &vc->adv_timer, adv_interval_ms(vc));
}

/* ---- writing to the host ------------------------------------------------- */

static void link_lost(struct sim_vctrl *vc, const char *why);

static void io_set_events(struct vctrl_io *io, int events);
static void link_poll_cb(uv_poll_t *h, int status, int events);

/* 0..n octets written, or -1 with errno (EAGAIN: try later). */
static ssize_t io_write(struct vctrl_io *io, const uint8_t *data, size_t len)
{
	ssize_t n;

	do {
		/* A host that went away must not kill us with SIGPIPE. */
		n = io->is_socket ? send(io->fd, data, len, MSG_NOSIGNAL) : write(io->fd, data, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EWOULDBLOCK)
		errno = EAGAIN;
	return n;
}

static void out_flush(struct sim_vctrl *vc)
{
	struct vctrl_io *io = vc->link;
	ssize_t n;

	if (!io || vc->out_len == 0)
		return;
	n = io_write(io, vc->out, vc->out_len);
	if (n < 0 && errno != EAGAIN) {
		link_lost(vc, strerror(errno));
		return;
	}
	if (n > 0) {
		memmove(vc->out, vc->out + n, vc->out_len - (size_t)n);
		vc->out_len -= (size_t)n;
	}
	io_set_events(io, vc->out_len ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

/* Queue whole packets only: half an event would desynchronise the host's
 * H4 framing for good. Returns false if it was dropped. */
static bool host_write(struct sim_vctrl *vc, const uint8_t *data, size_t len)
{
	if (!vc->link)
		return false;
	if (vc->out_len + len > sizeof(vc->out)) {
		vc->stats.events_dropped++;
		if (!vc->out_dropping)
			mesh_log_warn(SIM_LOG, "controller %s: host is not reading, dropping events",
				      vc_name(vc));
		vc->out_dropping = true;
		return false;
	}
	vc->out_dropping = false;
	memcpy(vc->out + vc->out_len, data, len);
	vc->out_len += len;
	out_flush(vc);
	return true;
}

static bool send_event(struct sim_vctrl *vc, const uint8_t *evt, int len)
{
	uint8_t pkt[1 + HCI_MAX_EVT_LEN];

	if (len <= 0)
		return false;
	pkt[0] = HCI_H4_EVT;
	memcpy(pkt + 1, evt, (size_t)len);
	return host_write(vc, pkt, (size_t)len + 1);
}

static void complete(struct sim_vctrl *vc, uint16_t opcode, uint8_t status, const uint8_t *ret,
		     size_t ret_len)
{
	uint8_t evt[HCI_MAX_EVT_LEN];

	send_event(vc, evt, hci_evt_cmd_complete(evt, 1, opcode, status, ret, ret_len));
	vc->credit_returned = true;
}

static void complete_status(struct sim_vctrl *vc, const struct hci_cmd *cmd, uint8_t status)
{
	complete(vc, cmd->opcode, status, NULL, 0);
}

/* ---- commands: Controller & Baseband, Informational ---------------------- */

static void cmd_reset(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	state_reset(vc);
	vc->stats.resets++;
	mesh_log_debug(SIM_LOG, "controller %s: reset", vc_name(vc));
	complete_status(vc, cmd, HCI_SUCCESS);
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void cmd_set_event_mask(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	vc->event_mask = get_le64(cmd->params);
	complete_status(vc, cmd, HCI_SUCCESS);
}

static void cmd_read_local_version(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	uint8_t ret[8];

	ret[0] = VERSION_HCI;
	mesh_put_le16(ret + 1, VERSION_REVISION);
	ret[3] = VERSION_LMP;
	mesh_put_le16(ret + 4, VERSION_MANUFACTURER);
	mesh_put_le16(ret + 6, VERSION_REVISION);
	complete(vc, cmd->opcode, HCI_SUCCESS, ret, sizeof(ret));
}

/* Supported_Commands (Core Vol 4 Part E 6.27): octet, bit of each command
 * implemented here. Read Local Supported Commands itself is always
 * supported and has no bit set. */
static void cmd_read_local_commands(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	uint8_t ret[64] = { 0 };

	ret[5] |= 1u << 6 | 1u << 7;          /* Set Event Mask, Reset */
	ret[14] |= 1u << 3 | 1u << 5;         /* Read Local Version, Read Local Features */
	ret[15] |= 1u << 1;                   /* Read BD_ADDR */
	ret[25] |= 1u << 0 | 1u << 1 | 1u << 2; /* LE Set Event Mask, Buffer Size, Features */
	ret[25] |= 1u << 4 | 1u << 5 | 1u << 7; /* LE Random Address, Adv Params, Adv Data */
	ret[26] |= 1u << 0 | 1u << 1 | 1u << 2 | 1u << 3; /* Scan Rsp, Adv En, Scan Params, En */
	complete(vc, cmd->opcode, HCI_SUCCESS, ret, sizeof(ret));
}

/* LMP features page 0: an LE-only controller (bit 37 BR/EDR Not
 * Supported, bit 38 LE Supported (Controller)). */
static void cmd_read_local_features(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	uint8_t ret[8] = { 0 };

	ret[4] = 1u << 5 | 1u << 6;
	complete(vc, cmd->opcode, HCI_SUCCESS, ret, sizeof(ret));
}

/* No public address, like most nRF52 boards: all zero (7.4.6). */
static void cmd_read_bd_addr(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	static const uint8_t none[6];

	complete(vc, cmd->opcode, HCI_SUCCESS, none, sizeof(none));
}

/* ---- commands: LE Controller --------------------------------------------- */

static void cmd_le_set_event_mask(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	vc->le_event_mask = get_le64(cmd->params);
	complete_status(vc, cmd, HCI_SUCCESS);
}

static void cmd_le_read_buffer_size(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	uint8_t ret[3];

	mesh_put_le16(ret, LE_ACL_MTU);
	ret[2] = LE_ACL_PACKETS;
	complete(vc, cmd->opcode, HCI_SUCCESS, ret, sizeof(ret));
}

static void cmd_le_read_local_features(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	static const uint8_t none[8];

	complete(vc, cmd->opcode, HCI_SUCCESS, none, sizeof(none));
}

/* 7.8.4: not while advertising or scanning use the address. */
static void cmd_le_set_random_addr(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	if (vc->advertising || vc->scanning) {
		complete_status(vc, cmd, HCI_ERR_COMMAND_DISALLOWED);
		return;
	}
	memcpy(vc->random_addr, cmd->params, 6);
	vc->random_addr_set = true;
	complete_status(vc, cmd, HCI_SUCCESS);
}

static bool adv_params_valid(const struct hci_adv_params *p)
{
	/* High duty cycle directed advertising ignores the intervals. */
	bool intervals = p->type == ADV_DIRECT_IND_HIGH ||
			 (p->interval_min >= ADV_INTERVAL_MIN && p->interval_max <= INTERVAL_MAX &&
			  p->interval_min <= p->interval_max);

	return intervals && p->type <= ADV_TYPE_MAX && p->own_addr_type <= 0x03 &&
	       p->peer_addr_type <= 0x01 && (p->channel_map & 0x07) != 0 &&
	       (p->channel_map & ~0x07) == 0 && p->filter_policy <= 0x03;
}

static void cmd_le_set_adv_params(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	struct hci_adv_params p;

	if (vc->advertising) {
		complete_status(vc, cmd, HCI_ERR_COMMAND_DISALLOWED);
		return;
	}
	if (hci_adv_params_decode(cmd->params, cmd->plen, &p) || !adv_params_valid(&p)) {
		complete_status(vc, cmd, HCI_ERR_INVALID_PARAMS);
		return;
	}
	vc->adv_params = p;
	complete_status(vc, cmd, HCI_SUCCESS);
}

/* Advertising and scan response data: a length octet and 31 octets. */
static bool set_data(const struct hci_cmd *cmd, uint8_t *data, uint8_t *len)
{
	if (cmd->params[0] > MESH_ADV_DATA_MAX)
		return false;
	*len = cmd->params[0];
	memcpy(data, cmd->params + 1, *len);
	return true;
}

static void cmd_le_set_adv_data(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	bool ok = set_data(cmd, vc->adv_data, &vc->adv_len);

	complete_status(vc, cmd, ok ? HCI_SUCCESS : HCI_ERR_INVALID_PARAMS);
}

static void cmd_le_set_scan_rsp_data(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	bool ok = set_data(cmd, vc->scan_rsp, &vc->scan_rsp_len);

	complete_status(vc, cmd, ok ? HCI_SUCCESS : HCI_ERR_INVALID_PARAMS);
}

static void cmd_le_set_adv_enable(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	uint8_t enable = cmd->params[0];

	if (enable > 1) {
		complete_status(vc, cmd, HCI_ERR_INVALID_PARAMS);
		return;
	}
	/* 7.8.9: a random own address must have been set first. */
	if (enable && own_addr_random(vc->adv_params.own_addr_type) && !vc->random_addr_set) {
		complete_status(vc, cmd, HCI_ERR_INVALID_PARAMS);
		return;
	}
	complete_status(vc, cmd, HCI_SUCCESS);
	if (!enable) {
		vc->advertising = false;
		mesh_timer_stop(vc_queue(vc), &vc->adv_timer);
	} else if (!vc->advertising) {
		/* The first event goes out at once, the next one interval_max
		 * later, for as long as advertising stays enabled. */
		vc->advertising = true;
		adv_event(vc);
		mesh_timer_start(vc_queue(vc), &vc->adv_timer, adv_interval_ms(vc));
	}
}

static bool scan_params_valid(const struct hci_scan_params *p)
{
	return p->type <= 0x01 && p->interval >= SCAN_INTERVAL_MIN && p->interval <= INTERVAL_MAX &&
	       p->window >= SCAN_INTERVAL_MIN && p->window <= p->interval &&
	       p->own_addr_type <= 0x03 && p->filter_policy <= 0x03;
}

static void cmd_le_set_scan_params(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	struct hci_scan_params p;

	if (vc->scanning) {
		complete_status(vc, cmd, HCI_ERR_COMMAND_DISALLOWED);
		return;
	}
	if (hci_scan_params_decode(cmd->params, cmd->plen, &p) || !scan_params_valid(&p)) {
		complete_status(vc, cmd, HCI_ERR_INVALID_PARAMS);
		return;
	}
	vc->scan_params = p;
	complete_status(vc, cmd, HCI_SUCCESS);
}

/* Duplicate filtering is accepted and not applied: mesh hosts ask for
 * every report, and one that asks for filtering merely sees more. */
static void cmd_le_set_scan_enable(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	if (cmd->params[0] > 1 || cmd->params[1] > 1) {
		complete_status(vc, cmd, HCI_ERR_INVALID_PARAMS);
		return;
	}
	/* 7.8.11: as for advertising, a random own address must be set. */
	if (cmd->params[0] && own_addr_random(vc->scan_params.own_addr_type) &&
	    !vc->random_addr_set) {
		complete_status(vc, cmd, HCI_ERR_INVALID_PARAMS);
		return;
	}
	vc->scanning = cmd->params[0] != 0;
	vc->filter_duplicates = cmd->params[1] != 0;
	complete_status(vc, cmd, HCI_SUCCESS);
}

/* ---- command dispatch ---------------------------------------------------- */

struct cmd_handler {
	uint16_t opcode;
	uint8_t plen;
	void (*fn)(struct sim_vctrl *vc, const struct hci_cmd *cmd);
};

static const struct cmd_handler handlers[] = {
	{ HCI_OP_SET_EVENT_MASK, 8, cmd_set_event_mask },
	{ HCI_OP_RESET, 0, cmd_reset },
	{ HCI_OP_READ_LOCAL_VERSION, 0, cmd_read_local_version },
	{ HCI_OP_READ_LOCAL_COMMANDS, 0, cmd_read_local_commands },
	{ HCI_OP_READ_LOCAL_FEATURES, 0, cmd_read_local_features },
	{ HCI_OP_READ_BD_ADDR, 0, cmd_read_bd_addr },
	{ HCI_OP_LE_SET_EVENT_MASK, 8, cmd_le_set_event_mask },
	{ HCI_OP_LE_READ_BUFFER_SIZE, 0, cmd_le_read_buffer_size },
	{ HCI_OP_LE_READ_LOCAL_FEATURES, 0, cmd_le_read_local_features },
	{ HCI_OP_LE_SET_RANDOM_ADDR, 6, cmd_le_set_random_addr },
	{ HCI_OP_LE_SET_ADV_PARAMS, HCI_ADV_PARAMS_LEN, cmd_le_set_adv_params },
	{ HCI_OP_LE_SET_ADV_DATA, HCI_ADV_DATA_PARAMS_LEN, cmd_le_set_adv_data },
	{ HCI_OP_LE_SET_SCAN_RSP_DATA, HCI_ADV_DATA_PARAMS_LEN, cmd_le_set_scan_rsp_data },
	{ HCI_OP_LE_SET_ADV_ENABLE, 1, cmd_le_set_adv_enable },
	{ HCI_OP_LE_SET_SCAN_PARAMS, HCI_SCAN_PARAMS_LEN, cmd_le_set_scan_params },
	{ HCI_OP_LE_SET_SCAN_ENABLE, 2, cmd_le_set_scan_enable },
};

static void command(struct sim_vctrl *vc, const struct hci_cmd *cmd)
{
	const struct cmd_handler *h = NULL;

	for (size_t i = 0; i < MESH_ARRAY_SIZE(handlers); i++) {
		if (handlers[i].opcode == cmd->opcode)
			h = &handlers[i];
	}
	if (!h) {
		vc->stats.unknown_commands++;
		mesh_log_debug(SIM_LOG, "controller %s: unknown command 0x%04x", vc_name(vc),
			       cmd->opcode);
		complete_status(vc, cmd, HCI_ERR_UNKNOWN_COMMAND);
		return;
	}
	if (cmd->plen != h->plen) {
		mesh_log_debug(SIM_LOG, "controller %s: command 0x%04x: expected %u octets, got %u",
			       vc_name(vc), cmd->opcode, h->plen, cmd->plen);
		complete_status(vc, cmd, HCI_ERR_INVALID_PARAMS);
		return;
	}
	h->fn(vc, cmd);
}

static void h4_packet(void *ctx, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct sim_vctrl *vc = ctx;
	struct hci_cmd cmd;

	if (type != HCI_H4_CMD) {
		mesh_log_debug(SIM_LOG, "controller %s: ignored H4 packet type 0x%02x", vc_name(vc),
			       type);
		return;
	}
	if (hci_cmd_parse(pkt, len, &cmd))
		return;
	vc->stats.commands++;
	if (!vc->credit)
		vc->stats.credit_violations++;
	vc->credit = false;
	if (vc->cmd_fn)
		vc->cmd_fn(vc->cmd_ctx, cmd.opcode, cmd.params, cmd.plen);
	if (vc->mute || !vc->link)
		return;
	command(vc, &cmd);
}

static void h4_garbage(void *ctx, size_t count, const char *why)
{
	struct sim_vctrl *vc = ctx;

	mesh_log_warn(SIM_LOG, "controller %s: skipped %zu octets from the host: %s", vc_name(vc),
		      count, why);
}

/* ---- the host link ------------------------------------------------------- */

static void io_free_cb(uv_handle_t *h)
{
	free(MESH_CONTAINER_OF((uv_poll_t *)h, struct vctrl_io, poll));
}

static void io_close(struct vctrl_io *io)
{
	if (!io)
		return;
	io->vc = NULL;
	uv_poll_stop(&io->poll);
	uv_close((uv_handle_t *)&io->poll, io_free_cb);
	/* After uv_close: libuv has forgotten the descriptor by now. */
	close(io->fd);
}

static void io_set_events(struct vctrl_io *io, int events)
{
	if (io->events == events)
		return;
	io->events = events;
	/* Only host links ever wait to write. */
	uv_poll_start(&io->poll, events, link_poll_cb);
}

static void link_close(struct sim_vctrl *vc)
{
	io_close(vc->link);
	vc->link = NULL;
	vc->out_len = 0;
	vc->out_dropping = false;
}

static void link_lost(struct sim_vctrl *vc, const char *why)
{
	mesh_log_warn(SIM_LOG, "controller %s: host link lost: %s", vc_name(vc), why);
	link_close(vc);
}

static void link_read(struct sim_vctrl *vc, struct vctrl_io *io)
{
	uint8_t buf[READ_CHUNK];
	uint64_t now;

	/* Bounded, so a host that floods us cannot starve the loop. */
	for (int i = 0; i < READS_PER_WAKEUP && vc->link == io; i++) {
		ssize_t n = read(io->fd, buf, sizeof(buf));

		if (n == 0) {
			link_lost(vc, "closed by the host");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				link_lost(vc, strerror(errno));
			return;
		}
		now = uv_now(sim_world_loop(vc->dev->world));
		h4_rx_expire(&vc->rx, now);
		vc->credit_returned = false;
		h4_rx_feed(&vc->rx, buf, (size_t)n, now);
		if (vc->credit_returned)
			vc->credit = true;
	}
}

static void link_poll_cb(uv_poll_t *h, int status, int events)
{
	struct vctrl_io *io = MESH_CONTAINER_OF(h, struct vctrl_io, poll);
	struct sim_vctrl *vc = io->vc;

	if (!vc)
		return;
	if (status < 0) {
		link_lost(vc, uv_strerror(status));
		return;
	}
	if (events & UV_WRITABLE)
		out_flush(vc);
	if ((events & UV_READABLE) && vc->link == io)
		link_read(vc, io);
}

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

/* Poll fd (owned from now on, closed on failure too). */
static struct vctrl_io *io_open(struct sim_vctrl *vc, int fd, uv_poll_cb cb)
{
	struct vctrl_io *io = calloc(1, sizeof(*io));
	struct stat st;

	if (!io || set_nonblock_cloexec(fd) < 0 ||
	    uv_poll_init(sim_world_loop(vc->dev->world), &io->poll, fd) != 0) {
		free(io);
		close(fd);
		return NULL;
	}
	io->vc = vc;
	io->fd = fd;
	io->is_socket = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	io->events = UV_READABLE;
	uv_poll_start(&io->poll, UV_READABLE, cb);
	return io;
}

/* A new host connection: a fresh H4 stream and one command credit, as
 * after power-on. */
static int link_open(struct sim_vctrl *vc, int fd)
{
	struct vctrl_io *io = io_open(vc, fd, link_poll_cb);

	if (!io)
		return MESH_ERR_IO;
	link_close(vc);
	vc->link = io;
	vc->credit = true;
	h4_rx_reset(&vc->rx);
	return 0;
}

/* ---- pseudo-terminal ----------------------------------------------------- */

/* Raw 8-bit mode without echo: H4 is binary, and an echo would send our
 * events straight back to us as commands. */
static int tty_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return -1;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON |
				 IXOFF);
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8 | CLOCAL | CREAD;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	return tcsetattr(fd, TCSANOW, &t);
}

/* Point link at target atomically: a host polling the path never sees it
 * missing or half made. Only a symlink is ever replaced: a pty_link
 * mistyped as /dev/ttyACM0 must not clobber the real device node. */
static int symlink_replace(const char *target, const char *link)
{
	char tmp[SIM_PATH_MAX + 32];
	struct stat st;

	if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", link, (long)getpid()) >= (int)sizeof(tmp))
		return -1;
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -1;
	if (rename(tmp, link) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Remove our symlink, unless someone has repointed it since. */
static void symlink_remove(struct sim_vctrl *vc)
{
	char target[SIM_PATH_MAX];
	ssize_t n;

	if (!vc->link_path[0])
		return;
	n = readlink(vc->link_path, target, sizeof(target) - 1);
	if (n >= 0) {
		target[n] = '\0';
		if (strcmp(target, vc->slave_path) == 0)
			unlink(vc->link_path);
	}
	vc->link_path[0] = '\0';
}

static int pty_create(int *master, int *slave, char *path, size_t path_size)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	const char *name;
	int s;

	if (m < 0)
		return -1;
	if (grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m)) ||
	    snprintf(path, path_size, "%s", name) >= (int)path_size) {
		close(m);
		return -1;
	}
	s = open(path, O_RDWR | O_NOCTTY);
	if (s < 0 || tty_raw(s) < 0 || set_nonblock_cloexec(s) < 0) {
		if (s >= 0)
			close(s);
		close(m);
		return -1;
	}
	*master = m;
	*slave = s;
	return 0;
}

static void links_close_all(struct sim_vctrl *vc);

int sim_vctrl_open_pty(struct sim_vctrl *vc, const char *link_path, char *slave_path,
		       size_t slave_path_size)
{
	char path[SIM_PATH_MAX];
	int m, s, rc;

	if (link_path && strlen(link_path) >= sizeof(vc->link_path))
		return MESH_ERR_INVAL;
	if (pty_create(&m, &s, path, sizeof(path)) < 0) {
		mesh_log_error(SIM_LOG, "controller %s: cannot create a pty: %s", vc_name(vc),
			       strerror(errno));
		return MESH_ERR_IO;
	}
	if (link_path && symlink_replace(path, link_path) < 0) {
		mesh_log_error(SIM_LOG, "controller %s: cannot link %s to %s: %s", vc_name(vc),
			       link_path, path, strerror(errno));
		close(s);
		close(m);
		return MESH_ERR_IO;
	}
	links_close_all(vc);
	rc = link_open(vc, m);
	if (rc) {
		close(s);
		if (link_path)
			unlink(link_path);
		return rc;
	}
	vc->pty_slave = s;
	snprintf(vc->slave_path, sizeof(vc->slave_path), "%s", path);
	snprintf(vc->link_path, sizeof(vc->link_path), "%s", link_path ? link_path : "");
	if (slave_path && slave_path_size)
		snprintf(slave_path, slave_path_size, "%s", path);
	mesh_log_info(SIM_LOG, "controller %s: H4 on %s%s%s", vc_name(vc), path,
		      link_path ? " linked from " : "", link_path ? link_path : "");
	return 0;
}

/* ---- Unix socket --------------------------------------------------------- */

static void listener_poll_cb(uv_poll_t *h, int status, int events)
{
	struct vctrl_io *io = MESH_CONTAINER_OF(h, struct vctrl_io, poll);
	struct sim_vctrl *vc = io->vc;
	int fd;

	(void)events;
	if (!vc || status < 0)
		return;
	fd = accept(io->fd, NULL, NULL);
	if (fd < 0)
		return;
	/* One host at a time, like a UART. */
	if (vc->link) {
		mesh_log_warn(SIM_LOG, "controller %s: already has a host; connection refused",
			      vc_name(vc));
		close(fd);
		return;
	}
	if (link_open(vc, fd) == 0)
		mesh_log_info(SIM_LOG, "controller %s: host connected on %s", vc_name(vc),
			      vc->socket_path);
}

static int unix_listen_fd(const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	/* A socket left behind by an earlier run would make bind fail;
	 * anything else at the path is not ours to remove. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int sim_vctrl_listen_unix(struct sim_vctrl *vc, const char *path)
{
	struct vctrl_io *io;
	int fd;

	if (!path || strlen(path) >= sizeof(vc->socket_path))
		return MESH_ERR_INVAL;
	links_close_all(vc);
	fd = unix_listen_fd(path);
	if (fd < 0) {
		mesh_log_error(SIM_LOG, "controller %s: cannot listen on %s: %s", vc_name(vc), path,
			       strerror(errno));
		return MESH_ERR_IO;
	}
	io = io_open(vc, fd, listener_poll_cb);
	if (!io) {
		unlink(path);
		return MESH_ERR_IO;
	}
	vc->listener = io;
	snprintf(vc->socket_path, sizeof(vc->socket_path), "%s", path);
	mesh_log_info(SIM_LOG, "controller %s: H4 on Unix socket %s", vc_name(vc), path);
	return 0;
}

/* ---- links, all kinds ---------------------------------------------------- */

static void links_close_all(struct sim_vctrl *vc)
{
	link_close(vc);
	io_close(vc->listener);
	vc->listener = NULL;
	if (vc->socket_path[0])
		unlink(vc->socket_path);
	vc->socket_path[0] = '\0';
	symlink_remove(vc);
	if (vc->pty_slave >= 0)
		close(vc->pty_slave);
	vc->pty_slave = -1;
	vc->slave_path[0] = '\0';
}

int sim_vctrl_attach_fd(struct sim_vctrl *vc, int fd)
{
	int rc;

	if (fd < 0)
		return MESH_ERR_INVAL;
	links_close_all(vc);
	rc = link_open(vc, fd);
	if (rc == 0)
		mesh_log_debug(SIM_LOG, "controller %s: host attached", vc_name(vc));
	return rc;
}

void sim_vctrl_detach(struct sim_vctrl *vc)
{
	links_close_all(vc);
	/* Unplugged: the controller loses power and with it its state. */
	state_reset(vc);
	mesh_log_info(SIM_LOG, "controller %s: detached from its host", vc_name(vc));
}

/* ---- receptions ---------------------------------------------------------- */

void sim_vctrl_receive(struct sim_vctrl *vc, const uint8_t addr[6], const uint8_t *adv,
		       size_t len, int8_t rssi)
{
	uint8_t evt[HCI_MAX_EVT_LEN];
	struct hci_adv_report r = {
		.event_type = HCI_REPORT_ADV_NONCONN_IND,
		.addr_type = HCI_ADDR_RANDOM,
		.data_len = (uint8_t)len,
		.data = adv,
		.rssi = rssi,
	};

	if (!vc->scanning || !vc->link || len > MESH_ADV_DATA_MAX)
		return;
	/* 7.8.1: LE events need the LE Meta bit as well as their own. */
	if (!(vc->event_mask & EVENT_MASK_LE_META) || !(vc->le_event_mask & LE_EVENT_MASK_ADV_REPORT))
		return;
	memcpy(r.addr, addr, sizeof(r.addr));
	if (send_event(vc, evt, hci_evt_adv_report(evt, &r)))
		vc->stats.reports++;
}

/* ---- faults -------------------------------------------------------------- */

void sim_vctrl_inject(struct sim_vctrl *vc, const uint8_t *bytes, size_t len)
{
	mesh_log_info(SIM_LOG, "controller %s: injecting %zu raw octets", vc_name(vc), len);
	host_write(vc, bytes, len);
}

void sim_vctrl_set_mute(struct sim_vctrl *vc, bool mute)
{
	if (vc->mute != mute)
		mesh_log_info(SIM_LOG, "controller %s: %s", vc_name(vc),
			      mute ? "muted (commands go unanswered)" : "answering again");
	vc->mute = mute;
}

void sim_vctrl_hardware_error(struct sim_vctrl *vc, uint8_t code)
{
	uint8_t evt[HCI_EVT_HDR_LEN + 1];

	mesh_log_info(SIM_LOG, "controller %s: hardware error 0x%02x", vc_name(vc), code);
	if (!(vc->event_mask & EVENT_MASK_HW_ERROR))
		return;
	send_event(vc, evt, hci_evt_build(evt, HCI_EVT_HARDWARE_ERROR, &code, 1));
}

/* ---- accessors and lifecycle --------------------------------------------- */

struct sim_vctrl *sim_vctrl_of(struct sim_device *controller_device)
{
	return controller_device ? controller_device->vctrl : NULL;
}

void sim_vctrl_set_command_observer(struct sim_vctrl *vc, sim_vctrl_command_fn fn, void *ctx)
{
	vc->cmd_fn = fn;
	vc->cmd_ctx = ctx;
}

const struct sim_vctrl_stats *sim_vctrl_stats(const struct sim_vctrl *vc)
{
	return &vc->stats;
}

bool sim_vctrl_scanning(const struct sim_vctrl *vc)
{
	return vc->scanning;
}

bool sim_vctrl_advertising(const struct sim_vctrl *vc)
{
	return vc->advertising;
}

struct sim_vctrl *sim_vctrl_create(struct sim_device *d)
{
	struct sim_vctrl *vc = calloc(1, sizeof(*vc));

	if (!vc)
		return NULL;
	vc->dev = d;
	vc->pty_slave = -1;
	mesh_timer_init(&vc->adv_timer, adv_timer_fire);
	h4_rx_init(&vc->rx, H4_FROM_HOST, h4_packet, h4_garbage, vc);
	state_reset(vc);
	return vc;
}

int sim_vctrl_start(struct sim_vctrl *vc)
{
	const struct sim_device_desc *d = &vc->dev->desc;

	if (vc->link || vc->listener)
		return 0;
	if (d->pty_link[0])
		return sim_vctrl_open_pty(vc, d->pty_link, NULL, 0);
	if (d->socket_path[0])
		return sim_vctrl_listen_unix(vc, d->socket_path);
	return 0;
}

void sim_vctrl_destroy(struct sim_vctrl *vc)
{
	if (!vc)
		return;
	links_close_all(vc);
	mesh_timer_stop(vc_queue(vc), &vc->adv_timer);
	free(vc);
}
