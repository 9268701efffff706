/*
 * The HCI core (see hci.h): one Bluetooth LE controller driven as the mesh
 * advertising bearer.
 *
 * Three parts share one command queue:
 *  - the command queue sends one command at a time, and only with a credit
 *    from the controller. The Linux kernel does the same (it never keeps
 *    more than one command outstanding whatever Num_HCI_Command_Packets
 *    says): it makes matching a completion to its command unambiguous and
 *    costs nothing at mesh rates. Every command has a timeout;
 *  - initialisation is a table of commands chained through their
 *    completions; a failure anywhere is a fault that restarts it from Reset
 *    after a backoff;
 *  - the transmit scheduler turns queued PDUs into Set Advertising Data /
 *    Enable / Disable sequences, one transmission at a time.
 *
 * Lifetime: all libuv handles live in struct hci_core_private, which frees
 * itself from the last close callback, so the caller may release its
 * struct hci_core as soon as hci_core_close() returns. User callbacks may
 * call hci_core_close(); code running after one checks p->closed before it
 * touches anything else.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "hci.h"

#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/util.h"

#define LOG "hci"

/* Backoff before re-initialising after a fault: quick the first time (a
 * glitch), slower while faults continue (a controller that is gone). */
#define BACKOFF_FIRST_MS 100u
#define BACKOFF_MAX_MS 5000u
/* This many command timeouts in a row mean the link itself is dead. */
#define TIMEOUTS_BEFORE_REOPEN 3u
/* A command timer that fires this late was held up by our own loop (a
 * blocking call, a stopped process), not by the controller: its answer
 * may be waiting unread, since libuv runs due timers before it polls. */
#define LOOP_STALL_MS 250u
/* How long such a command gets once the loop reads again. */
#define STALL_GRACE_MS 250u

#define DEFAULT_SCAN_INTERVAL_MS 30u
#define DEFAULT_ADV_ON_MS 10u
/* The advertising interval of the enable window: longer than adv_on_ms, so
 * the controller emits one advertising event (at enable) per window. */
#define ADV_INTERVAL_MS 100u

/* Event Mask bits (Core Vol 4 Part E 7.3.1); Command Complete and Command
 * Status have none, they are always enabled. */
#define EVT_MASK_HARDWARE_ERROR (UINT64_C(1) << 15)
#define EVT_MASK_DATA_BUFFER_OVERFLOW (UINT64_C(1) << 25)
#define EVT_MASK_LE_META (UINT64_C(1) << 61)
/* LE Event Mask bit of the LE Advertising Report (7.8.1). */
#define LE_EVT_MASK_ADV_REPORT (UINT64_C(1) << 1)

struct hci_core_private;

/* Called when the command completed: status is the HCI status (0 success),
 * ret the return parameters after the status octet. */
typedef void (*hci_cmd_done_fn)(struct hci_core *hc, uint8_t status, const uint8_t *ret,
				size_t ret_len);

struct hci_cmd_slot {
	uint16_t opcode;
	uint8_t plen;
	hci_cmd_done_fn done;
	uint8_t params[HCI_MAX_PARAM_LEN];
};

struct hci_tx_slot {
	bool used;
	uint8_t sent;             /* transmissions done */
	uint64_t due;             /* loop time (ms) of the next transmission */
	uint64_t order;           /* queueing order: FIFO among equal due times */
	struct mesh_adv_tx tx;
};

/* Where the one transmission in flight is. */
enum tx_phase {
	TX_IDLE,                  /* none; tx_timer (if armed) means "schedule" */
	TX_DATA,                  /* Set Advertising Data sent */
	TX_ENABLE,                /* Set Advertising Enable 1 sent */
	TX_ON,                    /* advertising; tx_timer ends the window */
	TX_DISABLE,               /* Set Advertising Enable 0 sent */
};

struct hci_core_private {
	struct hci_core *hc;
	bool closed;              /* hci_core_close() ran: touch nothing of hc */
	bool started;             /* the transport was opened */
	bool transport_up;
	int open_handles;         /* freed when the last one closed */
	uv_timer_t cmd_timer;     /* command timeout / credit wait */
	uint64_t cmd_due;         /* loop time the command timer is due */
	bool stall_grace_given;   /* this command already had its grace */
	uv_timer_t tx_timer;      /* scheduler: next due PDU, end of window */
	uv_timer_t backoff_timer; /* re-initialisation after a fault */

	/* Command queue: a ring; its head is in flight when in_flight. */
	struct hci_cmd_slot cmds[HCI_CMD_QUEUE_LEN];
	unsigned int cmd_head;
	unsigned int cmd_count;
	bool in_flight;
	unsigned int credits;

	unsigned int init_step;
	unsigned int backoff_ms;
	unsigned int timeouts_in_row;

	struct hci_tx_slot tx[HCI_TX_QUEUE_LEN];
	uint64_t tx_order;
	int tx_cur;               /* slot in TX_DATA/TX_ENABLE, else -1 */
	enum tx_phase phase;
	/* What the controller advertises, so repeats skip Set Advertising Data. */
	bool adv_known;
	uint8_t adv_len;
	uint8_t adv_data[MESH_ADV_DATA_MAX];

	bool snoop_err_logged;
};

static void core_fault(struct hci_core *hc, const char *why);
static void init_start(struct hci_core *hc);
static void tx_kick(struct hci_core *hc, uint64_t delay_ms);

const char *hci_core_state_name(enum hci_core_state state)
{
	switch (state) {
	case HCI_STATE_CLOSED: return "closed";
	case HCI_STATE_WAIT_TRANSPORT: return "waiting for transport";
	case HCI_STATE_INIT: return "initialising";
	case HCI_STATE_READY: return "ready";
	case HCI_STATE_BACKOFF: return "backoff";
	}
	return "unknown";
}

static const char *opcode_name(uint16_t opcode)
{
	const char *name = hci_opcode_name(opcode);

	return name ? name : "HCI command";
}

static uint64_t now_ms(struct hci_core *hc)
{
	return uv_now(hc->loop);
}

/* ---- state --------------------------------------------------------------- */

/*
 * Change state and tell the observers; the bearer goes up on entering
 * READY and down on leaving it. Returns false if a callback closed the
 * core (the caller must then return without touching hc).
 */
static bool set_state(struct hci_core *hc, enum hci_core_state state)
{
	struct hci_core_private *p = hc->priv;
	bool up = state == HCI_STATE_READY;

	if (hc->state == state)
		return true;
	hc->state = state;
	if (hc->bearer.up != up) {
		hc->bearer.up = up;
		if (hc->bearer.state)
			hc->bearer.state(hc->bearer.ctx, up);
		if (p->closed)
			return false;
	}
	if (hc->on_state)
		hc->on_state(hc->on_state_ctx, state);
	return !p->closed;
}

/* ---- capture ------------------------------------------------------------- */

static void snoop(struct hci_core *hc, bool received, uint8_t type, const uint8_t *pkt,
		  size_t len)
{
	struct hci_core_private *p = hc->priv;
	int err;

	if (!hc->snoop)
		return;
	err = btsnoop_write(hc->snoop, received, type, pkt, len, 0);
	/* Once is enough: a full disk would otherwise log every packet. */
	if (err && !p->snoop_err_logged) {
		p->snoop_err_logged = true;
		mesh_log_warn(LOG, "btsnoop capture failed: %s", mesh_strerror(err));
	}
}

void hci_core_set_snoop(struct hci_core *hc, struct btsnoop *s)
{
	hc->snoop = s;
	if (hc->priv)
		hc->priv->snoop_err_logged = false;
}

/* ---- command queue ------------------------------------------------------- */

static unsigned int cmd_timeout_ms(const struct hci_core *hc)
{
	return hc->cfg.cmd_timeout_ms ? hc->cfg.cmd_timeout_ms : HCI_CMD_TIMEOUT_MS;
}

static struct hci_cmd_slot *cmd_head(struct hci_core_private *p)
{
	return p->cmd_count ? &p->cmds[p->cmd_head] : NULL;
}

static void cmd_pop(struct hci_core_private *p)
{
	p->cmd_head = (p->cmd_head + 1) % HCI_CMD_QUEUE_LEN;
	p->cmd_count--;
	p->in_flight = false;
}

/* Forget every queued and outstanding command (fault, transport down). */
static void cmd_flush(struct hci_core_private *p)
{
	p->cmd_head = 0;
	p->cmd_count = 0;
	p->in_flight = false;
	uv_timer_stop(&p->cmd_timer);
}

static int cmd_queue(struct hci_core *hc, uint16_t opcode, const uint8_t *params, size_t plen,
		     hci_cmd_done_fn done)
{
	struct hci_core_private *p = hc->priv;
	struct hci_cmd_slot *slot;

	if (p->cmd_count == HCI_CMD_QUEUE_LEN || plen > HCI_MAX_PARAM_LEN)
		return MESH_ERR_FULL;
	slot = &p->cmds[(p->cmd_head + p->cmd_count) % HCI_CMD_QUEUE_LEN];
	slot->opcode = opcode;
	slot->plen = (uint8_t)plen;
	slot->done = done;
	if (plen)
		memcpy(slot->params, params, plen);
	p->cmd_count++;
	return 0;
}

static void cmd_timeout_cb(uv_timer_t *t);

static int cmd_write(struct hci_core *hc, const struct hci_cmd_slot *slot)
{
	uint8_t pkt[HCI_MAX_CMD_LEN];
	int len = hci_cmd_build(pkt, slot->opcode, slot->params, slot->plen);

	if (len < 0)
		return len;
	snoop(hc, false, HCI_H4_CMD, pkt, (size_t)len);
	return hci_transport_write(hc->transport, HCI_H4_CMD, pkt, (size_t)len);
}

static void cmd_timer_arm(struct hci_core_private *p, unsigned int ms)
{
	p->cmd_due = uv_now(p->cmd_timer.loop) + ms;
	p->stall_grace_given = false;
	uv_timer_start(&p->cmd_timer, cmd_timeout_cb, ms, 0);
}

/*
 * The timer fired long after it was due: the loop was blocked, and the
 * controller's answer may sit unread. Give it one short wait with the
 * loop running before calling it a timeout.
 */
static bool cmd_timeout_after_stall(struct hci_core_private *p)
{
	uint64_t late = uv_now(p->cmd_timer.loop) - p->cmd_due;

	if (p->stall_grace_given || late < LOOP_STALL_MS)
		return false;
	p->stall_grace_given = true;
	mesh_log_warn(LOG, "event loop held up: a command's timeout ran %llu ms late; waiting "
		      "%u ms more for the controller", (unsigned long long)late, STALL_GRACE_MS);
	uv_timer_start(&p->cmd_timer, cmd_timeout_cb, STALL_GRACE_MS, 0);
	return true;
}

/*
 * Send the head of the queue if nothing is outstanding and the controller
 * granted a credit. Without a credit the timeout runs anyway: a controller
 * that never hands one back is as dead as one that never answers.
 */
static void cmd_pump(struct hci_core *hc)
{
	struct hci_core_private *p = hc->priv;
	struct hci_cmd_slot *slot = cmd_head(p);
	int err;

	if (!slot || p->in_flight || !p->transport_up)
		return;
	if (p->credits == 0) {
		if (!uv_is_active((uv_handle_t *)&p->cmd_timer))
			cmd_timer_arm(p, cmd_timeout_ms(hc));
		return;
	}
	err = cmd_write(hc, slot);
	if (err) {
		mesh_log_error(LOG, "%s (0x%04x) not sent: %s", opcode_name(slot->opcode),
			       slot->opcode, mesh_strerror(err));
		core_fault(hc, "command not sent");
		return;
	}
	p->credits--;
	p->in_flight = true;
	hc->stats.cmds_sent++;
	cmd_timer_arm(p, cmd_timeout_ms(hc));
}

static void cmd_timeout_cb(uv_timer_t *t)
{
	struct hci_core_private *p = t->data;
	struct hci_core *hc = p->hc;
	struct hci_cmd_slot *slot = cmd_head(p);
	unsigned int ms = cmd_timeout_ms(hc);

	if (cmd_timeout_after_stall(p))
		return;
	hc->stats.cmd_timeouts++;
	if (p->in_flight)
		mesh_log_error(LOG, "%s (0x%04x) timed out after %u ms",
			       opcode_name(slot->opcode), slot->opcode, ms);
	else
		mesh_log_error(LOG, "no command credit from the controller for %u ms", ms);
	/* Whatever the controller thinks, start over with one credit (as
	 * Linux does after a command timeout). */
	p->credits = 1;
	core_fault(hc, "command timeout");
	if (p->closed || ++p->timeouts_in_row < TIMEOUTS_BEFORE_REOPEN)
		return;
	p->timeouts_in_row = 0;
	if (hc->transport->ops->reopen) {
		mesh_log_warn(LOG, "%u command timeouts in a row: reopening %s",
			      TIMEOUTS_BEFORE_REOPEN, hc->transport->name ? hc->transport->name : "transport");
		hc->transport->ops->reopen(hc->transport);
	}
}

/*
 * The commands this core sends all complete with Command Complete; a
 * command answered by Command Status first (LE Create Connection, ...)
 * would be listed here.
 */
static bool cmd_completes_by_status(uint16_t opcode)
{
	(void)opcode;
	return false;
}

/* The outstanding command finished; hand its result to its owner. */
static void cmd_complete(struct hci_core *hc, uint8_t status, const uint8_t *ret, size_t ret_len)
{
	struct hci_core_private *p = hc->priv;
	struct hci_cmd_slot *slot = cmd_head(p);
	hci_cmd_done_fn done = slot->done;

	uv_timer_stop(&p->cmd_timer);
	p->timeouts_in_row = 0;
	if (status != HCI_SUCCESS)
		mesh_log_error(LOG, "%s (0x%04x) failed: 0x%02x %s", opcode_name(slot->opcode),
			       slot->opcode, status, hci_status_name(status));
	cmd_pop(p);
	if (done)
		done(hc, status, ret, ret_len);
}

/*
 * Queue a command and send it if allowed. Initialisation and the scheduler
 * each keep at most one command queued, so a full queue means a bug; it is
 * still handled as a fault rather than a silent stall.
 */
static void cmd_send(struct hci_core *hc, uint16_t opcode, const uint8_t *params, size_t plen,
		     hci_cmd_done_fn done)
{
	int err = cmd_queue(hc, opcode, params, plen, done);

	if (err) {
		mesh_log_error(LOG, "%s (0x%04x) not queued: %s", opcode_name(opcode), opcode,
			       mesh_strerror(err));
		core_fault(hc, "command queue full");
		return;
	}
	cmd_pump(hc);
}

static bool cmd_matches(struct hci_core_private *p, uint16_t opcode)
{
	return p->in_flight && cmd_head(p)->opcode == opcode;
}

/* ---- initialisation ------------------------------------------------------ */

static size_t params_event_mask(struct hci_core *hc, uint8_t *out);
static size_t params_le_event_mask(struct hci_core *hc, uint8_t *out);
static size_t params_random_addr(struct hci_core *hc, uint8_t *out);
static size_t params_adv(struct hci_core *hc, uint8_t *out);
static size_t params_scan(struct hci_core *hc, uint8_t *out);
static size_t params_scan_enable(struct hci_core *hc, uint8_t *out);
static int result_version(struct hci_core *hc, const uint8_t *ret, size_t len);
static int result_commands(struct hci_core *hc, const uint8_t *ret, size_t len);
static int result_features(struct hci_core *hc, const uint8_t *ret, size_t len);

struct init_step {
	uint16_t opcode;
	size_t (*params)(struct hci_core *hc, uint8_t *out);      /* NULL: none */
	int (*result)(struct hci_core *hc, const uint8_t *ret, size_t len);
};

/* The order of hci.h; each step starts when the previous one completed. */
static const struct init_step init_steps[] = {
	{ HCI_OP_RESET, NULL, NULL },
	{ HCI_OP_READ_LOCAL_VERSION, NULL, result_version },
	{ HCI_OP_READ_LOCAL_COMMANDS, NULL, result_commands },
	{ HCI_OP_READ_LOCAL_FEATURES, NULL, result_features },
	{ HCI_OP_SET_EVENT_MASK, params_event_mask, NULL },
	{ HCI_OP_LE_SET_EVENT_MASK, params_le_event_mask, NULL },
	{ HCI_OP_LE_SET_RANDOM_ADDR, params_random_addr, NULL },
	{ HCI_OP_LE_SET_ADV_PARAMS, params_adv, NULL },
	{ HCI_OP_LE_SET_SCAN_PARAMS, params_scan, NULL },
	{ HCI_OP_LE_SET_SCAN_ENABLE, params_scan_enable, NULL },
};

static void put_le64(uint8_t *out, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

static size_t params_event_mask(struct hci_core *hc, uint8_t *out)
{
	(void)hc;
	put_le64(out, EVT_MASK_HARDWARE_ERROR | EVT_MASK_DATA_BUFFER_OVERFLOW | EVT_MASK_LE_META);
	return 8;
}

static size_t params_le_event_mask(struct hci_core *hc, uint8_t *out)
{
	(void)hc;
	put_le64(out, LE_EVT_MASK_ADV_REPORT);
	return 8;
}

static size_t params_random_addr(struct hci_core *hc, uint8_t *out)
{
	memcpy(out, hc->cfg.static_addr, 6);
	return 6;
}

static size_t params_adv(struct hci_core *hc, uint8_t *out)
{
	struct hci_adv_params ap = {
		.interval_min = hci_adv_interval_units(ADV_INTERVAL_MS),
		.interval_max = hci_adv_interval_units(ADV_INTERVAL_MS),
		.type = HCI_ADV_NONCONN_IND,
		.own_addr_type = HCI_ADDR_RANDOM,
		.peer_addr_type = HCI_ADDR_PUBLIC,
		.channel_map = 0x07,
		.filter_policy = 0x00,
	};

	(void)hc;
	hci_adv_params_encode(&ap, out);
	return HCI_ADV_PARAMS_LEN;
}

static size_t params_scan(struct hci_core *hc, uint8_t *out)
{
	unsigned int ms = hc->cfg.scan_interval_ms ? hc->cfg.scan_interval_ms
						   : DEFAULT_SCAN_INTERVAL_MS;
	/* Window = interval: listen all the time, as a gateway should. */
	struct hci_scan_params sp = {
		.type = 0x00,
		.interval = hci_scan_interval_units(ms),
		.window = hci_scan_interval_units(ms),
		.own_addr_type = HCI_ADDR_RANDOM,
		.filter_policy = 0x00,
	};

	hci_scan_params_encode(&sp, out);
	return HCI_SCAN_PARAMS_LEN;
}

static size_t params_scan_enable(struct hci_core *hc, uint8_t *out)
{
	(void)hc;
	out[0] = 0x01;
	/* Duplicates must be reported: mesh retransmits identical PDUs on
	 * purpose, and a relayed copy is a new reception. */
	out[1] = 0x00;
	return 2;
}

static int result_version(struct hci_core *hc, const uint8_t *ret, size_t len)
{
	struct hci_controller_info *ci = &hc->info;

	if (len < 8)
		return MESH_ERR_TRUNCATED;
	ci->hci_version = ret[0];
	ci->hci_revision = mesh_get_le16(ret + 1);
	ci->lmp_version = ret[3];
	ci->manufacturer = mesh_get_le16(ret + 4);
	ci->lmp_subversion = mesh_get_le16(ret + 6);
	return 0;
}

static int result_commands(struct hci_core *hc, const uint8_t *ret, size_t len)
{
	if (len < sizeof(hc->info.commands))
		return MESH_ERR_TRUNCATED;
	memcpy(hc->info.commands, ret, sizeof(hc->info.commands));
	return 0;
}

static int result_features(struct hci_core *hc, const uint8_t *ret, size_t len)
{
	if (len < sizeof(hc->info.features))
		return MESH_ERR_TRUNCATED;
	memcpy(hc->info.features, ret, sizeof(hc->info.features));
	return 0;
}

/* Core specification version of an HCI_Version (Assigned Numbers). */
static const char *core_version_name(uint8_t v)
{
	static const char *const names[] = {
		"1.0b", "1.1", "1.2", "2.0", "2.1", "3.0", "4.0", "4.1",
		"4.2", "5.0", "5.1", "5.2", "5.3", "5.4", "6.0",
	};

	return v < MESH_ARRAY_SIZE(names) ? names[v] : "?";
}

static void log_ready(struct hci_core *hc)
{
	const struct hci_controller_info *ci = &hc->info;
	const uint8_t *a = hc->cfg.static_addr;

	mesh_log_info(LOG, "controller ready on %s: Bluetooth %s (HCI version %u, revision "
		      "0x%04x), manufacturer 0x%04x, LMP subversion 0x%04x, address "
		      "%02X:%02X:%02X:%02X:%02X:%02X (static random); scanning",
		      hc->transport->name ? hc->transport->name : "transport",
		      core_version_name(ci->hci_version), ci->hci_version, ci->hci_revision,
		      ci->manufacturer, ci->lmp_subversion, a[5], a[4], a[3], a[2], a[1], a[0]);
}

static void init_ready(struct hci_core *hc)
{
	struct hci_core_private *p = hc->priv;

	p->backoff_ms = BACKOFF_FIRST_MS;
	hc->stats.readies++;
	log_ready(hc);
	if (!set_state(hc, HCI_STATE_READY))
		return;
	tx_kick(hc, 0);
}

static void init_send_step(struct hci_core *hc);

static void init_step_done(struct hci_core *hc, uint8_t status, const uint8_t *ret,
			   size_t ret_len)
{
	struct hci_core_private *p = hc->priv;
	const struct init_step *step = &init_steps[p->init_step];
	int err;

	if (status != HCI_SUCCESS) {
		core_fault(hc, "initialisation command failed");
		return;
	}
	err = step->result ? step->result(hc, ret, ret_len) : 0;
	if (err) {
		hc->stats.malformed++;
		mesh_log_warn(LOG, "%s (0x%04x): bad return parameters: %s",
			      opcode_name(step->opcode), step->opcode, mesh_strerror(err));
		core_fault(hc, "bad return parameters");
		return;
	}
	if (++p->init_step == MESH_ARRAY_SIZE(init_steps))
		init_ready(hc);
	else
		init_send_step(hc);
}

static void init_send_step(struct hci_core *hc)
{
	const struct init_step *step = &init_steps[hc->priv->init_step];
	uint8_t params[HCI_MAX_PARAM_LEN];
	size_t plen = step->params ? step->params(hc, params) : 0;

	cmd_send(hc, step->opcode, params, plen, init_step_done);
}

/* ---- faults and recovery ------------------------------------------------- */

static void tx_abort(struct hci_core *hc);

/* Stop everything in progress with the controller; queued PDUs stay. */
static void core_quiesce(struct hci_core *hc)
{
	struct hci_core_private *p = hc->priv;

	cmd_flush(p);
	uv_timer_stop(&p->backoff_timer);
	tx_abort(hc);
}

static void init_start(struct hci_core *hc)
{
	struct hci_core_private *p = hc->priv;

	core_quiesce(hc);
	p->init_step = 0;
	/* A reset controller grants one command (Core Vol 4 Part E 4.4). */
	p->credits = 1;
	hc->stats.inits++;
	mesh_log_info(LOG, "initialising controller on %s",
		      hc->transport->name ? hc->transport->name : "transport");
	if (!set_state(hc, HCI_STATE_INIT))
		return;
	init_send_step(hc);
}

static void backoff_cb(uv_timer_t *t)
{
	struct hci_core_private *p = t->data;

	init_start(p->hc);
}

/* Something went wrong with the controller: drop what was in progress and
 * initialise again after a backoff that grows while faults continue. */
static void core_fault(struct hci_core *hc, const char *why)
{
	struct hci_core_private *p = hc->priv;
	unsigned int delay = p->backoff_ms;

	core_quiesce(hc);
	p->backoff_ms = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	mesh_log_warn(LOG, "%s: re-initialising the controller in %u ms", why, delay);
	if (!set_state(hc, HCI_STATE_BACKOFF))
		return;
	uv_timer_start(&p->backoff_timer, backoff_cb, delay, 0);
}

/* ---- transmit scheduler -------------------------------------------------- */

static unsigned int adv_on_ms(const struct hci_core *hc)
{
	return hc->cfg.adv_on_ms ? hc->cfg.adv_on_ms : DEFAULT_ADV_ON_MS;
}

static void tx_timer_cb(uv_timer_t *t);

static void tx_kick(struct hci_core *hc, uint64_t delay_ms)
{
	uv_timer_start(&hc->priv->tx_timer, tx_timer_cb, delay_ms, 0);
}

/* The queued PDU due first; FIFO among equal due times. -1 if none. */
static int tx_pick(struct hci_core_private *p)
{
	int best = -1;

	for (int i = 0; i < HCI_TX_QUEUE_LEN; i++) {
		const struct hci_tx_slot *s = &p->tx[i];

		if (!s->used)
			continue;
		if (best < 0 || s->due < p->tx[best].due ||
		    (s->due == p->tx[best].due && s->order < p->tx[best].order))
			best = i;
	}
	return best;
}

/*
 * A re-init or transport loss ends the transmission in flight. A PDU whose
 * data or enable was outstanding simply stays queued and goes again; the
 * controller's reset ends any advertising that was on.
 */
static void tx_abort(struct hci_core *hc)
{
	struct hci_core_private *p = hc->priv;

	uv_timer_stop(&p->tx_timer);
	p->phase = TX_IDLE;
	p->tx_cur = -1;
	p->adv_known = false;
}

static void tx_done_enable(struct hci_core *hc, uint8_t status, const uint8_t *ret, size_t len);
static void tx_done_disable(struct hci_core *hc, uint8_t status, const uint8_t *ret, size_t len);

static void tx_drop_current(struct hci_core *hc, const char *why)
{
	struct hci_core_private *p = hc->priv;

	mesh_log_warn(LOG, "dropping a queued PDU: %s", why);
	p->tx[p->tx_cur].used = false;
	p->tx_cur = -1;
}

static void tx_send_enable(struct hci_core *hc, uint8_t enable, hci_cmd_done_fn done)
{
	hc->priv->phase = enable ? TX_ENABLE : TX_DISABLE;
	cmd_send(hc, HCI_OP_LE_SET_ADV_ENABLE, &enable, 1, done);
}

static void tx_done_data(struct hci_core *hc, uint8_t status, const uint8_t *ret, size_t len)
{
	struct hci_core_private *p = hc->priv;
	const struct mesh_adv_tx *tx = &p->tx[p->tx_cur].tx;

	(void)ret;
	(void)len;
	if (status != HCI_SUCCESS) {
		/* A PDU the controller refuses must not keep the bearer in a
		 * re-initialisation loop. */
		tx_drop_current(hc, "the controller refused its advertising data");
		core_fault(hc, "advertising data refused");
		return;
	}
	p->adv_len = (uint8_t)mesh_adv_data_build(tx, p->adv_data);
	p->adv_known = true;
	tx_send_enable(hc, 1, tx_done_enable);
}

/* Start the transmission of slot i: data (unless the controller already
 * has it), then enable. */
static void tx_start(struct hci_core *hc, int i)
{
	struct hci_core_private *p = hc->priv;
	uint8_t data[MESH_ADV_DATA_MAX];
	uint8_t params[HCI_ADV_DATA_PARAMS_LEN];
	size_t len = mesh_adv_data_build(&p->tx[i].tx, data);

	p->tx_cur = i;
	if (p->adv_known && p->adv_len == len && memcmp(p->adv_data, data, len) == 0) {
		tx_send_enable(hc, 1, tx_done_enable);
		return;
	}
	/* Until this completes the controller's data is uncertain. */
	p->adv_known = false;
	hci_adv_data_encode(data, len, params);
	p->phase = TX_DATA;
	cmd_send(hc, HCI_OP_LE_SET_ADV_DATA, params, sizeof(params), tx_done_data);
}

static void tx_schedule(struct hci_core *hc)
{
	struct hci_core_private *p = hc->priv;
	int i;
	uint64_t now;

	if (hc->state != HCI_STATE_READY || p->phase != TX_IDLE)
		return;
	i = tx_pick(p);
	if (i < 0)
		return;
	now = now_ms(hc);
	if (p->tx[i].due > now)
		tx_kick(hc, p->tx[i].due - now);
	else
		tx_start(hc, i);
}

/* The controller advertises: count the transmission and plan the next. */
static void tx_done_enable(struct hci_core *hc, uint8_t status, const uint8_t *ret, size_t len)
{
	struct hci_core_private *p = hc->priv;
	struct hci_tx_slot *s = &p->tx[p->tx_cur];
	unsigned int interval;

	(void)ret;
	(void)len;
	if (status != HCI_SUCCESS) {
		tx_drop_current(hc, "the controller refused to advertise it");
		core_fault(hc, "advertising enable refused");
		return;
	}
	hc->stats.adv_transmissions++;
	if (++s->sent >= s->tx.count) {
		s->used = false;
		hc->stats.adv_pdus_done++;
	} else {
		interval = s->tx.interval_ms > MESH_ADV_INTERVAL_MIN_MS ? s->tx.interval_ms
									: MESH_ADV_INTERVAL_MIN_MS;
		s->due = now_ms(hc) + interval;
	}
	p->tx_cur = -1;
	p->phase = TX_ON;
	tx_kick(hc, adv_on_ms(hc));
}

static void tx_done_disable(struct hci_core *hc, uint8_t status, const uint8_t *ret, size_t len)
{
	(void)ret;
	(void)len;
	if (status != HCI_SUCCESS) {
		core_fault(hc, "advertising disable refused");
		return;
	}
	hc->priv->phase = TX_IDLE;
	tx_schedule(hc);
}

static void tx_timer_cb(uv_timer_t *t)
{
	struct hci_core_private *p = t->data;
	struct hci_core *hc = p->hc;

	if (p->phase == TX_ON)
		tx_send_enable(hc, 0, tx_done_disable);
	else
		tx_schedule(hc);
}

static int bearer_send(struct mesh_bearer *b, const struct mesh_adv_tx *tx)
{
	struct hci_core *hc = MESH_CONTAINER_OF(b, struct hci_core, bearer);
	struct hci_core_private *p = hc->priv;
	int err = mesh_adv_tx_check(tx);
	int i;

	if (err)
		return err;
	if (!p)
		return MESH_ERR_DOWN;
	for (i = 0; i < HCI_TX_QUEUE_LEN && p->tx[i].used; i++)
		;
	if (i == HCI_TX_QUEUE_LEN)
		return MESH_ERR_FULL;
	p->tx[i] = (struct hci_tx_slot){
		.used = true, .due = now_ms(hc), .order = p->tx_order++, .tx = *tx,
	};
	/* Deferred to the loop so the caller (often our own rx callback) is
	 * never re-entered. */
	if (hc->state == HCI_STATE_READY && p->phase == TX_IDLE)
		tx_kick(hc, 0);
	return 0;
}

static const struct mesh_bearer_ops hci_bearer_ops = {
	.send = bearer_send,
};

/* ---- events -------------------------------------------------------------- */

struct rx_walk {
	struct hci_core_private *p;
	const struct hci_adv_report *report;
};

static bool is_mesh_ad_type(uint8_t type)
{
	return type == MESH_AD_TYPE_PB_ADV || type == MESH_AD_TYPE_MESSAGE ||
	       type == MESH_AD_TYPE_BEACON;
}

static void rx_ad(void *ctx, uint8_t type, const uint8_t *data, size_t len)
{
	struct rx_walk *w = ctx;
	const struct hci_adv_report *r = w->report;
	struct hci_core *hc = w->p->hc;
	struct mesh_adv_rx rx;

	if (w->p->closed || !is_mesh_ad_type(type))
		return;
	rx.ad_type = type;
	rx.len = (uint8_t)len;
	rx.payload = data;
	rx.rssi = r->rssi == HCI_RSSI_UNAVAILABLE ? MESH_BEARER_RSSI_UNKNOWN : r->rssi;
	rx.addr_type = r->addr_type;
	memcpy(rx.addr, r->addr, sizeof(rx.addr));
	hc->stats.mesh_rx++;
	if (hc->bearer.rx)
		hc->bearer.rx(hc->bearer.ctx, &rx);
}

static void rx_report(void *ctx, const struct hci_adv_report *r)
{
	struct rx_walk *w = ctx;
	struct hci_core *hc = w->p->hc;
	int n;

	if (w->p->closed)
		return;
	hc->stats.reports++;
	w->report = r;
	n = mesh_ad_foreach(r->data, r->data_len, rx_ad, w);
	if (n < 0 && !w->p->closed) {
		hc->stats.malformed++;
		mesh_log_warn(LOG, "malformed advertising data from "
			      "%02X:%02X:%02X:%02X:%02X:%02X: %s", r->addr[5], r->addr[4],
			      r->addr[3], r->addr[2], r->addr[1], r->addr[0], mesh_strerror(n));
	}
}

static void evt_le_meta(struct hci_core *hc, const struct hci_evt *e)
{
	struct rx_walk w = { .p = hc->priv };
	int n;

	if (e->le_meta.subevent != HCI_LE_SUBEVT_ADV_REPORT) {
		mesh_log_debug(LOG, "LE Meta subevent 0x%02x ignored", e->le_meta.subevent);
		return;
	}
	n = hci_adv_reports_foreach(e->le_meta.params, e->le_meta.len, rx_report, &w);
	if (n < 0 && !w.p->closed) {
		hc->stats.malformed++;
		mesh_log_warn(LOG, "malformed LE Advertising Report (event 0x%02x): %s",
			      e->code, mesh_strerror(n));
	}
}

static void evt_cmd_complete(struct hci_core *hc, const struct hci_evt *e)
{
	struct hci_core_private *p = hc->priv;
	uint16_t op = e->cmd_complete.opcode;
	const uint8_t *ret = e->cmd_complete.ret;
	size_t len = e->cmd_complete.ret_len;

	p->credits = e->cmd_complete.ncmd;
	if (op == 0x0000)
		return; /* NOP: only hands out credits */
	if (cmd_matches(p, op)) {
		cmd_complete(hc, len ? ret[0] : HCI_SUCCESS, len ? ret + 1 : NULL,
			     len ? len - 1 : 0);
		return;
	}
	if (op == HCI_OP_RESET &&
	    (hc->state == HCI_STATE_INIT || hc->state == HCI_STATE_READY)) {
		mesh_log_warn(LOG, "the controller reset itself");
		core_fault(hc, "unexpected reset");
		return;
	}
	mesh_log_debug(LOG, "unexpected Command Complete for %s (0x%04x)", opcode_name(op), op);
}

static void evt_cmd_status(struct hci_core *hc, const struct hci_evt *e)
{
	struct hci_core_private *p = hc->priv;
	uint16_t op = e->cmd_status.opcode;
	uint8_t status = e->cmd_status.status;

	p->credits = e->cmd_status.ncmd;
	if (op == 0x0000)
		return;
	if (!cmd_matches(p, op)) {
		mesh_log_debug(LOG, "unexpected Command Status for %s (0x%04x)",
			       opcode_name(op), op);
		return;
	}
	/* A failure always ends the command, whichever event it expected. */
	if (status != HCI_SUCCESS || cmd_completes_by_status(op))
		cmd_complete(hc, status, NULL, 0);
	else
		mesh_log_debug(LOG, "%s (0x%04x) pending", opcode_name(op), op);
}

static void evt_hardware_error(struct hci_core *hc, const struct hci_evt *e)
{
	hc->stats.hw_errors++;
	mesh_log_error(LOG, "hardware error 0x%02x", e->hw_error.code);
	core_fault(hc, "hardware error");
}

static void evt_dispatch(struct hci_core *hc, const struct hci_evt *e)
{
	switch (e->code) {
	case HCI_EVT_CMD_COMPLETE:
		evt_cmd_complete(hc, e);
		break;
	case HCI_EVT_CMD_STATUS:
		evt_cmd_status(hc, e);
		break;
	case HCI_EVT_HARDWARE_ERROR:
		evt_hardware_error(hc, e);
		break;
	case HCI_EVT_LE_META:
		evt_le_meta(hc, e);
		break;
	case HCI_EVT_DATA_BUFFER_OVERFLOW:
		mesh_log_warn(LOG, "controller data buffer overflow (link type 0x%02x)",
			      e->plen ? e->params[0] : 0);
		break;
	default:
		mesh_log_debug(LOG, "event 0x%02x (%u octets) ignored", e->code, e->plen);
		break;
	}
}

static void on_event(struct hci_core *hc, const uint8_t *pkt, size_t len)
{
	struct hci_evt e;
	int err = hci_evt_parse(pkt, len, &e);

	if (err < 0) {
		hc->stats.malformed++;
		mesh_log_warn(LOG, "malformed event 0x%02x (%zu octets): %s",
			      len ? pkt[0] : 0, len, mesh_strerror(err));
		return;
	}
	evt_dispatch(hc, &e);
}

/* ---- transport callbacks ------------------------------------------------- */

static void on_packet(void *ctx, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct hci_core_private *p = ctx;
	struct hci_core *hc = p->hc;

	if (p->closed)
		return;
	snoop(hc, true, type, pkt, len);
	/* Stale bytes of a link that went down must not start a recovery
	 * that only on_up() may start. */
	if (!p->transport_up) {
		mesh_log_debug(LOG, "packet while the transport is down ignored");
		return;
	}
	if (type != HCI_H4_EVT) {
		mesh_log_debug(LOG, "packet type 0x%02x (%zu octets) ignored", type, len);
		return;
	}
	on_event(hc, pkt, len);
	/* A completion may have returned a credit or queued the next command. */
	if (!p->closed)
		cmd_pump(hc);
}

static void on_up(void *ctx)
{
	struct hci_core_private *p = ctx;
	struct hci_core *hc = p->hc;

	if (p->closed)
		return;
	p->transport_up = true;
	mesh_log_info(LOG, "transport %s up", hc->transport->name ? hc->transport->name : "");
	init_start(hc);
}

static void on_down(void *ctx, int err)
{
	struct hci_core_private *p = ctx;
	struct hci_core *hc = p->hc;

	if (p->closed)
		return;
	p->transport_up = false;
	mesh_log_warn(LOG, "transport %s down: %s",
		      hc->transport->name ? hc->transport->name : "", mesh_strerror(err));
	core_quiesce(hc);
	set_state(hc, HCI_STATE_WAIT_TRANSPORT);
}

/* ---- lifecycle ----------------------------------------------------------- */

/* Bluetooth Core Vol 6 Part B 1.3.2.1: the two top bits set, and the other
 * 46 bits neither all zero nor all one. addr is little endian. */
static bool static_addr_valid(const uint8_t addr[6])
{
	bool zero = (addr[5] & 0x3f) == 0, ones = (addr[5] & 0x3f) == 0x3f;

	if ((addr[5] & 0xc0) != 0xc0)
		return false;
	for (int i = 0; i < 5; i++) {
		zero = zero && addr[i] == 0x00;
		ones = ones && addr[i] == 0xff;
	}
	return !zero && !ones;
}

static bool addr_is_zero(const uint8_t addr[6])
{
	static const uint8_t zero[6];

	return memcmp(addr, zero, 6) == 0;
}

static int static_addr_generate(uint8_t addr[6])
{
	/* Rejection of the two invalid values: practically never loops. */
	do {
		if (RAND_bytes(addr, 6) != 1)
			return MESH_ERR_CRYPTO;
		addr[5] |= 0xc0;
	} while (!static_addr_valid(addr));
	return 0;
}

static int timers_init(struct hci_core_private *p, uv_loop_t *loop)
{
	uv_timer_t *timers[] = { &p->cmd_timer, &p->tx_timer, &p->backoff_timer };

	for (size_t i = 0; i < MESH_ARRAY_SIZE(timers); i++) {
		int rc = uv_timer_init(loop, timers[i]);

		if (rc)
			return rc;
		timers[i]->data = p;
		p->open_handles++;
	}
	return 0;
}

static void timer_closed(uv_handle_t *h)
{
	struct hci_core_private *p = h->data;

	if (--p->open_handles == 0)
		free(p);
}

static void timers_close(struct hci_core_private *p)
{
	uv_timer_t *timers[] = { &p->cmd_timer, &p->tx_timer, &p->backoff_timer };
	int n = p->open_handles;

	if (n == 0) {
		free(p);
		return;
	}
	/* Only the first n were initialised (timers_init stops at a failure). */
	for (int i = 0; i < n; i++) {
		uv_timer_stop(timers[i]);
		uv_close((uv_handle_t *)timers[i], timer_closed);
	}
}

int hci_core_init(struct hci_core *hc, uv_loop_t *loop, struct hci_transport *t,
		  const struct hci_core_config *cfg)
{
	struct hci_core_private *p;
	int err;

	if (!hc || !loop || !t || !t->ops)
		return MESH_ERR_INVAL;
	memset(hc, 0, sizeof(*hc));
	if (cfg)
		hc->cfg = *cfg;
	if (addr_is_zero(hc->cfg.static_addr)) {
		err = static_addr_generate(hc->cfg.static_addr);
		if (err)
			return err;
	} else if (!static_addr_valid(hc->cfg.static_addr)) {
		mesh_log_error(LOG, "configured address is not a static random address "
			       "(top two bits of the most significant octet must be set)");
		return MESH_ERR_INVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return MESH_ERR_NOMEM;
	p->hc = hc;
	p->tx_cur = -1;
	p->backoff_ms = BACKOFF_FIRST_MS;
	if (timers_init(p, loop)) {
		timers_close(p);
		return MESH_ERR_NOMEM;
	}
	hc->priv = p;
	hc->loop = loop;
	hc->transport = t;
	hc->bearer.ops = &hci_bearer_ops;
	hc->state = HCI_STATE_CLOSED;
	return 0;
}

int hci_core_start(struct hci_core *hc)
{
	struct hci_core_private *p = hc->priv;
	struct hci_transport *t = hc->transport;
	int err;

	if (!p || p->started)
		return MESH_ERR_INVAL;
	t->on_packet = on_packet;
	t->on_up = on_up;
	t->on_down = on_down;
	t->ctx = p;
	p->started = true;
	if (!set_state(hc, HCI_STATE_WAIT_TRANSPORT))
		return MESH_ERR_CANCELED;
	err = hci_transport_open(t);
	if (err) {
		mesh_log_error(LOG, "cannot open %s: %s", t->name ? t->name : "transport",
			       mesh_strerror(err));
		p->started = false;
		set_state(hc, HCI_STATE_CLOSED);
	}
	return err;
}

/*
 * Leave the controller quiet: one Reset stops both advertising and
 * scanning. Sent only when it is allowed (a credit, nothing outstanding);
 * nobody waits for its completion.
 */
static void close_quiet_controller(struct hci_core *hc)
{
	struct hci_core_private *p = hc->priv;
	struct hci_cmd_slot reset = { .opcode = HCI_OP_RESET };

	if (!p->transport_up || p->in_flight || p->credits == 0)
		return;
	if (hc->state != HCI_STATE_INIT && hc->state != HCI_STATE_READY)
		return;
	if (cmd_write(hc, &reset) == 0)
		hc->stats.cmds_sent++;
}

void hci_core_close(struct hci_core *hc)
{
	struct hci_core_private *p = hc ? hc->priv : NULL;

	if (!p || p->closed)
		return;
	close_quiet_controller(hc);
	p->closed = true;
	if (p->started)
		hci_transport_close(hc->transport);
	timers_close(p);
	hc->priv = NULL;
	hc->state = HCI_STATE_CLOSED;
	hc->bearer.up = false;
}
