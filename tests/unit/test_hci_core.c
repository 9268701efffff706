/*
 * The HCI core against a scripted fake controller: initialisation order and
 * parameters, command credits, the transmit scheduler's timing, advertising
 * report delivery, and recovery from every fault the core knows (timeouts,
 * hardware errors, failed commands, transport loss), with the logs each
 * leaves behind.
 *
 * The fake is a struct hci_transport whose write() records each command
 * with the loop time and whose controller answers one command at a time
 * from a uv timer, the way a UART controller answers a moment later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mesh/bearer/hci.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/util.h"
#include "uv_helpers.h"
#include "vectors.h"

#define FAKE_MAX_CMDS 1024
#define FAKE_ANSWER_MS 1

struct fake_cmd {
	uint16_t opcode;
	uint8_t plen;
	uint8_t params[HCI_MAX_PARAM_LEN];
	uint64_t at;              /* loop time of the write */
};

struct fake {
	struct hci_transport t;
	uv_loop_t *loop;
	uv_timer_t answer_timer;
	uv_timer_t up_timer;
	uv_timer_t nop_timer;
	bool open;
	bool up;
	/* Recorded commands. */
	struct fake_cmd cmds[FAKE_MAX_CMDS];
	size_t n_cmds;
	/* Commands awaiting an answer (FIFO). */
	uint16_t pending[16];
	size_t n_pending;
	/* Credits the host may use; a write without one is a violation. */
	int credits;
	int violations;
	/* Script. */
	bool mute;                /* record but never answer */
	int ncmd0_answers;        /* answer this many with ncmd 0, then send a NOP */
	uint16_t fail_opcode;
	uint8_t fail_status;
	int fail_times;
	int reopens;
	int closes;
};

static const struct hci_transport_ops fake_ops;

/* Return parameters (after the status) a real controller would give. */
static size_t fake_ret(uint16_t opcode, uint8_t *ret)
{
	static const uint8_t version[8] = {
		0x0c, 0x34, 0x12, 0x0c, 0x59, 0x00, 0x78, 0x56,
	}; /* HCI 5.3, revision 0x1234, LMP 5.3, Nordic (0x0059), subversion 0x5678 */

	switch (opcode) {
	case HCI_OP_READ_LOCAL_VERSION:
		memcpy(ret, version, sizeof(version));
		return sizeof(version);
	case HCI_OP_READ_LOCAL_COMMANDS:
		memset(ret, 0, 64);
		ret[25] = 0xf7; /* LE commands of octet 25/26 */
		ret[26] = 0xff;
		return 64;
	case HCI_OP_READ_LOCAL_FEATURES:
		memset(ret, 0, 8);
		ret[4] = 0x60; /* LE supported, BR/EDR not supported */
		return 8;
	default:
		return 0;
	}
}

static void fake_deliver(struct fake *f, const uint8_t *pkt, size_t len)
{
	f->t.on_packet(f->t.ctx, HCI_H4_EVT, pkt, len);
}

static void fake_nop_cb(uv_timer_t *t)
{
	struct fake *f = t->data;
	uint8_t pkt[HCI_MAX_EVT_LEN];
	int len = hci_evt_cmd_complete(pkt, 1, 0x0000, 0, NULL, 0);

	/* A NOP completes nothing: strip the status octet the builder adds. */
	pkt[1] = 3;
	f->credits = 1;
	fake_deliver(f, pkt, (size_t)len - 1);
}

static void fake_answer_cb(uv_timer_t *t)
{
	struct fake *f = t->data;
	uint8_t pkt[HCI_MAX_EVT_LEN], ret[64];
	uint16_t op;
	uint8_t status = 0, ncmd = 1;
	size_t rlen;
	int len;

	if (!f->up || f->n_pending == 0)
		return;
	op = f->pending[0];
	memmove(f->pending, f->pending + 1, --f->n_pending * sizeof(f->pending[0]));
	if (op == f->fail_opcode && f->fail_times > 0) {
		f->fail_times--;
		status = f->fail_status;
	}
	rlen = status ? 0 : fake_ret(op, ret);
	if (f->ncmd0_answers > 0) {
		f->ncmd0_answers--;
		ncmd = 0;
		uv_timer_start(&f->nop_timer, fake_nop_cb, 30, 0);
	}
	f->credits = ncmd;
	len = hci_evt_cmd_complete(pkt, ncmd, op, status, ret, rlen);
	if (f->n_pending)
		uv_timer_start(&f->answer_timer, fake_answer_cb, FAKE_ANSWER_MS, 0);
	fake_deliver(f, pkt, (size_t)len);
}

static void fake_up_cb(uv_timer_t *t)
{
	struct fake *f = t->data;

	f->up = true;
	f->credits = 1;
	f->t.on_up(f->t.ctx);
}

static int fake_open(struct hci_transport *t)
{
	struct fake *f = (struct fake *)t;

	f->open = true;
	uv_timer_start(&f->up_timer, fake_up_cb, 1, 0);
	return 0;
}

static int fake_write(struct hci_transport *t, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct fake *f = (struct fake *)t;
	struct hci_cmd c;
	struct fake_cmd *rec;

	assert_int_equal(type, HCI_H4_CMD);
	assert_int_equal(hci_cmd_parse(pkt, len, &c), 0);
	if (!f->up)
		return MESH_ERR_DOWN;
	assert_true(f->n_cmds < FAKE_MAX_CMDS);
	rec = &f->cmds[f->n_cmds++];
	rec->opcode = c.opcode;
	rec->plen = c.plen;
	memcpy(rec->params, c.params, c.plen);
	rec->at = uv_now(f->loop);
	/* A mute controller is as good as gone: the host's credit after a
	 * timeout is its own guess, not a violation. */
	if (f->mute)
		return 0;
	if (f->credits <= 0)
		f->violations++;
	else
		f->credits--;
	assert_true(f->n_pending < MESH_ARRAY_SIZE(f->pending));
	f->pending[f->n_pending++] = c.opcode;
	if (!uv_is_active((uv_handle_t *)&f->answer_timer))
		uv_timer_start(&f->answer_timer, fake_answer_cb, FAKE_ANSWER_MS, 0);
	return 0;
}

static void fake_close(struct hci_transport *t)
{
	struct fake *f = (struct fake *)t;

	f->closes++;
	f->open = false;
	f->up = false;
	uv_close((uv_handle_t *)&f->answer_timer, NULL);
	uv_close((uv_handle_t *)&f->up_timer, NULL);
	uv_close((uv_handle_t *)&f->nop_timer, NULL);
}

static void fake_reopen(struct hci_transport *t)
{
	((struct fake *)t)->reopens++;
}

static const struct hci_transport_ops fake_ops = {
	.open = fake_open,
	.write = fake_write,
	.close = fake_close,
	.reopen = fake_reopen,
};

static void fake_init(struct fake *f, uv_loop_t *loop)
{
	memset(f, 0, sizeof(*f));
	f->t.ops = &fake_ops;
	f->t.name = "fake0";
	f->loop = loop;
	uv_timer_init(loop, &f->answer_timer);
	uv_timer_init(loop, &f->up_timer);
	uv_timer_init(loop, &f->nop_timer);
	f->answer_timer.data = f;
	f->up_timer.data = f;
	f->nop_timer.data = f;
}

/* The link drops: pending answers are lost. */
static void fake_down(struct fake *f)
{
	f->up = false;
	f->n_pending = 0;
	uv_timer_stop(&f->answer_timer);
	f->t.on_down(f->t.ctx, MESH_ERR_DOWN);
}

/* A mute controller comes back, as after a reset. */
static void fake_unmute(struct fake *f)
{
	f->mute = false;
	f->credits = 1;
}

static void fake_up(struct fake *f)
{
	uv_timer_start(&f->up_timer, fake_up_cb, 1, 0);
}

/* ---- fixture ------------------------------------------------------------- */

#define MAX_RX 16

struct rx_rec {
	uint8_t ad_type;
	uint8_t len;
	uint8_t payload[MESH_ADV_PAYLOAD_MAX];
	int8_t rssi;
	uint8_t addr_type;
	uint8_t addr[6];
};

struct fixture {
	uv_loop_t loop;
	struct fake fake;
	struct hci_core hc;
	struct test_log log;
	struct rx_rec rx[MAX_RX];
	size_t n_rx;
	int ups;
	int downs;
	bool saw_backoff;
	bool saw_wait;
	bool close_on_rx;
};

static void on_rx(void *ctx, const struct mesh_adv_rx *rx)
{
	struct fixture *fx = ctx;
	struct rx_rec *r;

	assert_true(fx->n_rx < MAX_RX);
	r = &fx->rx[fx->n_rx++];
	r->ad_type = rx->ad_type;
	r->len = rx->len;
	memcpy(r->payload, rx->payload, rx->len);
	r->rssi = rx->rssi;
	r->addr_type = rx->addr_type;
	memcpy(r->addr, rx->addr, 6);
	if (fx->close_on_rx)
		hci_core_close(&fx->hc);
}

static void on_bearer_state(void *ctx, bool up)
{
	struct fixture *fx = ctx;

	if (up)
		fx->ups++;
	else
		fx->downs++;
}

static void on_core_state(void *ctx, enum hci_core_state state)
{
	struct fixture *fx = ctx;

	if (state == HCI_STATE_BACKOFF)
		fx->saw_backoff = true;
	if (state == HCI_STATE_WAIT_TRANSPORT)
		fx->saw_wait = true;
}

static void fx_setup(struct fixture *fx, const struct hci_core_config *cfg)
{
	memset(fx, 0, sizeof(*fx));
	test_log_start(&fx->log);
	assert_int_equal(uv_loop_init(&fx->loop), 0);
	fake_init(&fx->fake, &fx->loop);
	assert_int_equal(hci_core_init(&fx->hc, &fx->loop, &fx->fake.t, cfg), 0);
	fx->hc.bearer.rx = on_rx;
	fx->hc.bearer.state = on_bearer_state;
	fx->hc.bearer.ctx = fx;
	fx->hc.on_state = on_core_state;
	fx->hc.on_state_ctx = fx;
}

static bool is_ready(void *ctx)
{
	struct fixture *fx = ctx;

	return fx->hc.state == HCI_STATE_READY;
}

static void fx_start_ready(struct fixture *fx)
{
	assert_int_equal(hci_core_start(&fx->hc), 0);
	assert_true(test_uv_run_until(&fx->loop, is_ready, fx, 2000));
	assert_true(fx->hc.bearer.up);
}

static void count_handle(uv_handle_t *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
}

/* Handles still open, active or not (uv_loop_alive sees only active ones). */
static int open_handles(uv_loop_t *loop)
{
	int n = 0;

	for (int i = 0; i < 10; i++)
		uv_run(loop, UV_RUN_NOWAIT);
	uv_walk(loop, count_handle, &n);
	return n;
}

static void fx_teardown(struct fixture *fx)
{
	hci_core_close(&fx->hc);
	assert_null(fx->hc.priv);
	/* A core that never started leaves its transport to its owner. */
	if (fx->fake.closes == 0)
		fake_close(&fx->fake.t);
	assert_int_equal(open_handles(&fx->loop), 0);
	assert_true(test_uv_loop_close(&fx->loop));
	test_log_stop(&fx->log);
}

static struct hci_core_config fast_cfg(void)
{
	struct hci_core_config cfg = { .cmd_timeout_ms = 50 };

	return cfg;
}

static size_t count_op(const struct fake *f, size_t from, uint16_t opcode)
{
	size_t n = 0;

	for (size_t i = from; i < f->n_cmds; i++)
		n += f->cmds[i].opcode == opcode;
	return n;
}

/* Index of the first command with opcode at or after from, or n_cmds. */
static size_t find_op(const struct fake *f, size_t from, uint16_t opcode)
{
	while (from < f->n_cmds && f->cmds[from].opcode != opcode)
		from++;
	return from;
}

static const uint16_t init_order[] = {
	HCI_OP_RESET, HCI_OP_READ_LOCAL_VERSION, HCI_OP_READ_LOCAL_COMMANDS,
	HCI_OP_READ_LOCAL_FEATURES, HCI_OP_SET_EVENT_MASK, HCI_OP_LE_SET_EVENT_MASK,
	HCI_OP_LE_SET_RANDOM_ADDR, HCI_OP_LE_SET_ADV_PARAMS, HCI_OP_LE_SET_SCAN_PARAMS,
	HCI_OP_LE_SET_SCAN_ENABLE,
};

/* The commands from..from+10 are one complete initialisation. */
static void assert_init_sequence(const struct fake *f, size_t from)
{
	assert_true(f->n_cmds >= from + MESH_ARRAY_SIZE(init_order));
	for (size_t i = 0; i < MESH_ARRAY_SIZE(init_order); i++)
		assert_int_equal(f->cmds[from + i].opcode, init_order[i]);
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* ---- tests --------------------------------------------------------------- */

static void test_init_sequence_and_parameters(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	const struct fake *f = &fx->fake;
	const struct fake_cmd *c;
	struct hci_adv_params ap;
	struct hci_scan_params sp;
	uint64_t mask;

	(void)state;
	fx_setup(fx, NULL);
	fx_start_ready(fx);
	assert_int_equal(f->n_cmds, MESH_ARRAY_SIZE(init_order));
	assert_init_sequence(f, 0);
	assert_int_equal(f->cmds[0].plen, 0);

	c = &f->cmds[4]; /* Set Event Mask */
	assert_int_equal(c->plen, 8);
	mask = get_le64(c->params);
	assert_true(mask & (UINT64_C(1) << 15));   /* Hardware Error */
	assert_true(mask & (UINT64_C(1) << 61));   /* LE Meta */

	c = &f->cmds[5]; /* LE Set Event Mask */
	assert_int_equal(c->plen, 8);
	assert_true(get_le64(c->params) & (UINT64_C(1) << 1)); /* Advertising Report */

	c = &f->cmds[6]; /* LE Set Random Address: static, kept in cfg */
	assert_int_equal(c->plen, 6);
	assert_int_equal(c->params[5] & 0xc0, 0xc0);
	assert_memory_equal(c->params, fx->hc.cfg.static_addr, 6);

	c = &f->cmds[7];
	assert_int_equal(hci_adv_params_decode(c->params, c->plen, &ap), 0);
	assert_int_equal(ap.type, HCI_ADV_NONCONN_IND);
	assert_int_equal(ap.own_addr_type, HCI_ADDR_RANDOM);
	assert_int_equal(ap.channel_map, 0x07);
	assert_int_equal(ap.interval_min, 160); /* 100 ms */
	assert_int_equal(ap.interval_max, 160);

	c = &f->cmds[8];
	assert_int_equal(hci_scan_params_decode(c->params, c->plen, &sp), 0);
	assert_int_equal(sp.type, 0x00);        /* passive */
	assert_int_equal(sp.interval, 48);      /* 30 ms */
	assert_int_equal(sp.window, 48);
	assert_int_equal(sp.own_addr_type, HCI_ADDR_RANDOM);

	c = &f->cmds[9];
	assert_int_equal(c->plen, 2);
	assert_int_equal(c->params[0], 1);
	assert_int_equal(c->params[1], 0);      /* duplicates reported */

	assert_int_equal(f->violations, 0);
	assert_int_equal(fx->ups, 1);
	assert_int_equal(fx->hc.stats.inits, 1);
	assert_int_equal(fx->hc.stats.readies, 1);
	assert_int_equal(fx->hc.stats.cmds_sent, MESH_ARRAY_SIZE(init_order));
	assert_int_equal(fx->hc.info.hci_version, 0x0c);
	assert_int_equal(fx->hc.info.manufacturer, 0x0059);
	assert_int_equal(fx->hc.info.lmp_subversion, 0x5678);
	assert_int_equal(fx->hc.info.features[4], 0x60);
	assert_true(test_log_has(&fx->log, "controller ready on fake0: Bluetooth 5.3"));
	assert_true(test_log_has(&fx->log, "manufacturer 0x0059"));
	fx_teardown(fx);
	assert_int_equal(f->closes, 1);
	free(fx);
}

static void test_static_address_config(void **state)
{
	uv_loop_t loop;
	struct fake f;
	struct hci_core hc;
	struct hci_core_config cfg = { .static_addr = { 1, 2, 3, 4, 5, 0xc6 } };
	struct hci_core_config bad = { .static_addr = { 1, 2, 3, 4, 5, 0x46 } };
	struct hci_core_config ones = { .static_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

	struct test_log log;

	(void)state;
	test_log_start(&log);
	assert_int_equal(uv_loop_init(&loop), 0);
	fake_init(&f, &loop);
	assert_int_equal(hci_core_init(&hc, &loop, &f.t, &cfg), 0);
	assert_memory_equal(hc.cfg.static_addr, cfg.static_addr, 6);
	hci_core_close(&hc); /* never started: no transport close */
	assert_int_equal(f.closes, 0);
	assert_int_equal(hci_core_init(&hc, &loop, &f.t, &bad), MESH_ERR_INVAL);
	assert_int_equal(hci_core_init(&hc, &loop, &f.t, &ones), MESH_ERR_INVAL);
	assert_true(test_log_has(&log, "error hci: configured address is not a static random"));
	/* Generated addresses differ between cores and are static. */
	{
		struct hci_core a, b;

		assert_int_equal(hci_core_init(&a, &loop, &f.t, NULL), 0);
		assert_int_equal(hci_core_init(&b, &loop, &f.t, NULL), 0);
		assert_int_equal(a.cfg.static_addr[5] & 0xc0, 0xc0);
		assert_memory_not_equal(a.cfg.static_addr, b.cfg.static_addr, 6);
		hci_core_close(&a);
		hci_core_close(&b);
	}
	fake_close(&f.t);
	assert_int_equal(open_handles(&loop), 0);
	assert_true(test_uv_loop_close(&loop));
	test_log_stop(&log);
}

static void test_credit_never_exceeded(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct fake *f = &fx->fake;
	uint64_t gap;

	(void)state;
	fx_setup(fx, NULL);
	/* Reset and Read Local Version are answered with ncmd 0; a NOP with
	 * ncmd 1 follows 30 ms later each time. */
	f->ncmd0_answers = 2;
	fx_start_ready(fx);
	assert_int_equal(f->violations, 0);
	assert_init_sequence(f, 0);
	gap = f->cmds[1].at - f->cmds[0].at;
	assert_true(gap >= 29);
	gap = f->cmds[2].at - f->cmds[1].at;
	assert_true(gap >= 29);
	fx_teardown(fx);
	free(fx);
}

/* ---- transmit ------------------------------------------------------------ */

static struct mesh_adv_tx make_tx(uint8_t first, uint8_t len, uint8_t count,
				  uint16_t interval_ms)
{
	struct mesh_adv_tx tx = {
		.ad_type = MESH_AD_TYPE_MESSAGE, .len = len, .count = count,
		.interval_ms = interval_ms,
	};

	for (uint8_t i = 0; i < len; i++)
		tx.payload[i] = (uint8_t)(first + i);
	return tx;
}

struct done_cond {
	struct hci_core *hc;
	uint64_t pdus;
};

static bool pdus_done(void *ctx)
{
	struct done_cond *d = ctx;

	return d->hc->stats.adv_pdus_done >= d->pdus && d->hc->priv &&
	       d->hc->state == HCI_STATE_READY;
}

static void assert_adv_data(const struct fake_cmd *c, const struct mesh_adv_tx *tx)
{
	assert_int_equal(c->opcode, HCI_OP_LE_SET_ADV_DATA);
	assert_int_equal(c->plen, HCI_ADV_DATA_PARAMS_LEN);
	assert_int_equal(c->params[0], tx->len + 2);
	assert_int_equal(c->params[1], tx->len + 1);
	assert_int_equal(c->params[2], tx->ad_type);
	assert_memory_equal(c->params + 3, tx->payload, tx->len);
}

/* No Scan Enable with enable 0 at or after from. */
static void assert_scan_never_disabled(const struct fake *f, size_t from)
{
	for (size_t i = from; i < f->n_cmds; i++)
		if (f->cmds[i].opcode == HCI_OP_LE_SET_SCAN_ENABLE)
			assert_int_equal(f->cmds[i].params[0], 1);
}

static void test_tx_count_interval(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct fake *f = &fx->fake;
	struct mesh_adv_tx tx = make_tx(0x40, 20, 3, 20);
	struct done_cond d = { &fx->hc, 1 };
	size_t from, i, enables = 0;
	uint64_t last_on = 0;

	(void)state;
	fx_setup(fx, NULL);
	fx_start_ready(fx);
	from = f->n_cmds;
	assert_int_equal(mesh_bearer_send(hci_core_bearer(&fx->hc), &tx), 0);
	assert_true(test_uv_run_until(&fx->loop, pdus_done, &d, 2000));
	/* Let a stray fourth transmission show itself if there were one. */
	test_uv_run_until(&fx->loop, NULL, NULL, 60);

	assert_adv_data(&f->cmds[from], &tx);
	/* Data once (the controller keeps it), then on/off three times. */
	assert_int_equal(count_op(f, from, HCI_OP_LE_SET_ADV_DATA), 1);
	assert_int_equal(count_op(f, from, HCI_OP_LE_SET_ADV_ENABLE), 6);
	for (i = from + 1; i < f->n_cmds; i++) {
		const struct fake_cmd *c = &f->cmds[i];

		assert_int_equal(c->opcode, HCI_OP_LE_SET_ADV_ENABLE);
		assert_int_equal(c->params[0], (enables + 1) % 2);
		if (c->params[0] == 1) {
			if (enables)
				assert_true(c->at - last_on >= 20);
			last_on = c->at;
		} else {
			assert_true(c->at - last_on >= 10); /* adv_on_ms */
		}
		enables++;
	}
	assert_scan_never_disabled(f, from);
	assert_int_equal(fx->hc.stats.adv_transmissions, 3);
	assert_int_equal(fx->hc.stats.adv_pdus_done, 1);
	assert_int_equal(f->violations, 0);
	fx_teardown(fx);
	free(fx);
}

static void test_tx_two_pdus_interleave(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct fake *f = &fx->fake;
	struct mesh_adv_tx a = make_tx(0x10, 10, 2, 60);
	struct mesh_adv_tx b = make_tx(0x80, 12, 2, 60);
	struct done_cond d = { &fx->hc, 2 };
	size_t from, i, n = 0;
	const struct mesh_adv_tx *want[] = { &a, &b, &a, &b };

	(void)state;
	fx_setup(fx, NULL);
	fx_start_ready(fx);
	from = f->n_cmds;
	assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &a), 0);
	assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &b), 0);
	assert_true(test_uv_run_until(&fx->loop, pdus_done, &d, 2000));
	for (i = find_op(f, from, HCI_OP_LE_SET_ADV_DATA); i < f->n_cmds;
	     i = find_op(f, i + 1, HCI_OP_LE_SET_ADV_DATA)) {
		assert_true(n < MESH_ARRAY_SIZE(want));
		assert_adv_data(&f->cmds[i], want[n++]);
	}
	assert_int_equal(n, 4);
	assert_int_equal(fx->hc.stats.adv_transmissions, 4);
	assert_scan_never_disabled(f, from);
	fx_teardown(fx);
	free(fx);
}

static void test_send_checks(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct mesh_adv_tx tx = make_tx(0, 5, 1, 20);
	int i;

	(void)state;
	fx_setup(fx, NULL);
	tx.ad_type = 0x09;
	assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &tx), MESH_ERR_INVAL);
	tx = make_tx(0, 5, 0, 20);
	assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &tx), MESH_ERR_INVAL);
	/* Queued while not started: accepted up to the queue length. */
	tx = make_tx(0, 5, 1, 20);
	for (i = 0; i < HCI_TX_QUEUE_LEN; i++)
		assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &tx), 0);
	assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &tx), MESH_ERR_FULL);
	fx_teardown(fx);
	free(fx);
}

/* ---- receive ------------------------------------------------------------- */

struct evt_buf {
	uint8_t b[HCI_MAX_EVT_LEN];
	size_t len;
};

static void put(struct evt_buf *e, const void *p, size_t n)
{
	memcpy(e->b + e->len, p, n);
	e->len += n;
}

static void put8(struct evt_buf *e, uint8_t v)
{
	put(e, &v, 1);
}

static void put_report(struct evt_buf *e, uint8_t type, uint8_t addr_type, const uint8_t addr[6],
		       const uint8_t *data, uint8_t len, int8_t rssi)
{
	put8(e, type);
	put8(e, addr_type);
	put(e, addr, 6);
	put8(e, len);
	put(e, data, len);
	put8(e, (uint8_t)rssi);
}

static void evt_begin(struct evt_buf *e, uint8_t nreports)
{
	e->len = 0;
	put8(e, HCI_EVT_LE_META);
	put8(e, 0);
	put8(e, HCI_LE_SUBEVT_ADV_REPORT);
	put8(e, nreports);
}

static void evt_end(struct evt_buf *e)
{
	e->b[1] = (uint8_t)(e->len - 2);
}

static const uint8_t addr1[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6 };
static const uint8_t addr2[6] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6 };
/* Flags, a mesh message, a complete local name. */
static const uint8_t data1[] = {
	0x02, 0x01, 0x06,
	0x06, 0x2a, 0x68, 0x01, 0x02, 0x03, 0x04,
	0x04, 0x09, 'a', 'b', 'c',
};
/* A secure network beacon, a PB-ADV PDU, a manufacturer AD, padding. */
static const uint8_t data2[] = {
	0x04, 0x2b, 0x01, 0x00, 0x42,
	0x03, 0x29, 0xaa, 0xbb,
	0x03, 0xff, 0x59, 0x00,
	0x00, 0x00,
};

static void inject_two_reports(struct fixture *fx)
{
	struct evt_buf e;

	evt_begin(&e, 2);
	put_report(&e, HCI_REPORT_ADV_NONCONN_IND, HCI_ADDR_RANDOM, addr1, data1, sizeof(data1), -60);
	put_report(&e, HCI_REPORT_ADV_NONCONN_IND, HCI_ADDR_PUBLIC, addr2, data2, sizeof(data2),
		   (int8_t)HCI_RSSI_UNAVAILABLE);
	evt_end(&e);
	fx->fake.t.on_packet(fx->fake.t.ctx, HCI_H4_EVT, e.b, e.len);
}

static void test_adv_reports_deliver_mesh_ad(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	static const uint8_t msg[] = { 0x68, 0x01, 0x02, 0x03, 0x04 };
	static const uint8_t beacon[] = { 0x01, 0x00, 0x42 };

	(void)state;
	fx_setup(fx, NULL);
	fx_start_ready(fx);
	inject_two_reports(fx);
	assert_int_equal(fx->n_rx, 3);
	assert_int_equal(fx->rx[0].ad_type, MESH_AD_TYPE_MESSAGE);
	assert_int_equal(fx->rx[0].len, sizeof(msg));
	assert_memory_equal(fx->rx[0].payload, msg, sizeof(msg));
	assert_int_equal(fx->rx[0].rssi, -60);
	assert_int_equal(fx->rx[0].addr_type, HCI_ADDR_RANDOM);
	assert_memory_equal(fx->rx[0].addr, addr1, 6);
	assert_int_equal(fx->rx[1].ad_type, MESH_AD_TYPE_BEACON);
	assert_memory_equal(fx->rx[1].payload, beacon, sizeof(beacon));
	assert_int_equal(fx->rx[1].rssi, MESH_BEARER_RSSI_UNKNOWN);
	assert_int_equal(fx->rx[1].addr_type, HCI_ADDR_PUBLIC);
	assert_memory_equal(fx->rx[1].addr, addr2, 6);
	assert_int_equal(fx->rx[2].ad_type, MESH_AD_TYPE_PB_ADV);
	assert_int_equal(fx->rx[2].len, 2);
	assert_int_equal(fx->hc.stats.reports, 2);
	assert_int_equal(fx->hc.stats.mesh_rx, 3);
	assert_int_equal(fx->hc.stats.malformed, 0);
	fx_teardown(fx);
	free(fx);
}

static void test_malformed_input_counted(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct hci_transport *t = &fx->fake.t;
	struct mesh_adv_tx tx = make_tx(1, 8, 1, 20);
	struct done_cond d = { &fx->hc, 1 };
	static const uint8_t short_evt[] = { HCI_EVT_CMD_COMPLETE, 5, 1, 0x03 };
	static const uint8_t short_cc[] = { HCI_EVT_CMD_COMPLETE, 2, 1, 0x03 };
	static const uint8_t bad_ad[] = { 0x02, 0x01, 0x06, 0x09, 0x2a, 0x01 };
	static const uint8_t acl[] = { 0x01, 0x00, 0x00, 0x00 };
	struct evt_buf e;

	(void)state;
	fx_setup(fx, NULL);
	fx_start_ready(fx);
	t->on_packet(t->ctx, HCI_H4_EVT, short_evt, sizeof(short_evt));
	assert_true(test_log_has(&fx->log, "malformed event 0x0e"));
	t->on_packet(t->ctx, HCI_H4_EVT, short_cc, sizeof(short_cc));
	assert_int_equal(fx->hc.stats.malformed, 2);

	/* Num_Reports 0. */
	evt_begin(&e, 0);
	evt_end(&e);
	t->on_packet(t->ctx, HCI_H4_EVT, e.b, e.len);
	assert_int_equal(fx->hc.stats.malformed, 3);
	assert_true(test_log_has(&fx->log, "malformed LE Advertising Report (event 0x3e)"));

	/* Two reports announced, one present: nothing delivered. */
	evt_begin(&e, 2);
	put_report(&e, 3, 1, addr1, data1, sizeof(data1), -40);
	evt_end(&e);
	t->on_packet(t->ctx, HCI_H4_EVT, e.b, e.len);
	assert_int_equal(fx->hc.stats.malformed, 4);

	/* An AD structure running past the data: that report delivers nothing. */
	evt_begin(&e, 1);
	put_report(&e, 3, 1, addr1, bad_ad, sizeof(bad_ad), -40);
	evt_end(&e);
	t->on_packet(t->ctx, HCI_H4_EVT, e.b, e.len);
	assert_int_equal(fx->hc.stats.malformed, 5);
	assert_true(test_log_has(&fx->log, "malformed advertising data from C6:55:44:33:22:11"));
	assert_int_equal(fx->n_rx, 0);

	/* ACL data and unknown events are ignored without complaint. */
	t->on_packet(t->ctx, HCI_H4_ACL, acl, sizeof(acl));
	{
		static const uint8_t vendor[] = { HCI_EVT_VENDOR, 1, 0x55 };

		t->on_packet(t->ctx, HCI_H4_EVT, vendor, sizeof(vendor));
	}
	assert_int_equal(fx->hc.stats.malformed, 5);

	/* Still working: reception and transmission. */
	inject_two_reports(fx);
	assert_int_equal(fx->n_rx, 3);
	assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &tx), 0);
	assert_true(test_uv_run_until(&fx->loop, pdus_done, &d, 2000));
	assert_int_equal(fx->hc.state, HCI_STATE_READY);
	assert_int_equal(fx->hc.stats.inits, 1);
	fx_teardown(fx);
	free(fx);
}

/* ---- faults -------------------------------------------------------------- */

struct readies_cond {
	struct hci_core *hc;
	uint64_t readies;
};

static bool readies_reached(void *ctx)
{
	struct readies_cond *r = ctx;

	return r->hc->stats.readies >= r->readies && r->hc->state == HCI_STATE_READY;
}

static bool reopened(void *ctx)
{
	return ((struct fake *)ctx)->reopens > 0;
}

static void test_timeout_backoff_and_reopen(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct hci_core_config cfg = fast_cfg();
	struct fake *f = &fx->fake;
	struct readies_cond r = { &fx->hc, 2 };
	size_t from, resets_at[3], i, n = 0;

	(void)state;
	fx_setup(fx, &cfg);
	fx_start_ready(fx);
	test_log_clear(&fx->log);
	f->mute = true;
	from = f->n_cmds;
	/* A transmission needs a command: it times out. */
	{
		struct mesh_adv_tx tx = make_tx(1, 4, 1, 20);

		assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &tx), 0);
	}
	assert_true(test_uv_run_until(&fx->loop, reopened, f, 3000));
	assert_int_equal(fx->hc.stats.cmd_timeouts, 3);
	assert_true(fx->saw_backoff);
	assert_int_equal(fx->downs, 1);
	assert_true(test_log_has(&fx->log,
				 "error hci: LE Set Advertising Data (0x2008) timed out after 50 ms"));
	assert_true(test_log_has(&fx->log, "error hci: Reset (0x0c03) timed out after 50 ms"));
	assert_true(test_log_has(&fx->log, "re-initialising the controller in 100 ms"));
	assert_true(test_log_has(&fx->log, "re-initialising the controller in 200 ms"));
	assert_true(test_log_has(&fx->log, "re-initialising the controller in 400 ms"));
	assert_true(test_log_has(&fx->log, "3 command timeouts in a row: reopening fake0"));
	/* Backoff doubles: the Resets are 100+50 then 200+50 ms apart. */
	for (i = find_op(f, from, HCI_OP_RESET); i < f->n_cmds && n < 3;
	     i = find_op(f, i + 1, HCI_OP_RESET))
		resets_at[n++] = i;
	assert_int_equal(n, 2);
	assert_true(f->cmds[resets_at[1]].at - f->cmds[resets_at[0]].at >= 250);
	assert_int_equal(f->violations, 0);

	/* The controller answers again: a complete initialisation. */
	fake_unmute(f);
	test_log_clear(&fx->log);
	assert_true(test_uv_run_until(&fx->loop, readies_reached, &r, 3000));
	from = find_op(f, resets_at[1] + 1, HCI_OP_RESET);
	assert_init_sequence(f, from);
	assert_true(test_log_has(&fx->log, "info hci: controller ready on fake0"));
	assert_int_equal(fx->ups, 2);
	/* The queued PDU survived and goes out. */
	{
		struct done_cond d = { &fx->hc, 1 };

		assert_true(test_uv_run_until(&fx->loop, pdus_done, &d, 2000));
	}
	fx_teardown(fx);
	free(fx);
}

static void test_hardware_error_reinit(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct fake *f = &fx->fake;
	struct readies_cond r = { &fx->hc, 2 };
	static const uint8_t hw_err[] = { HCI_EVT_HARDWARE_ERROR, 1, 0x42 };
	size_t from;
	uint64_t t0;

	(void)state;
	fx_setup(fx, NULL);
	fx_start_ready(fx);
	from = f->n_cmds;
	t0 = uv_now(&fx->loop);
	f->t.on_packet(f->t.ctx, HCI_H4_EVT, hw_err, sizeof(hw_err));
	assert_int_equal(fx->hc.state, HCI_STATE_BACKOFF);
	assert_false(fx->hc.bearer.up);
	assert_int_equal(fx->hc.stats.hw_errors, 1);
	assert_true(test_log_has(&fx->log, "error hci: hardware error 0x42"));
	assert_true(test_log_has(&fx->log, "warn hci: hardware error: re-initialising the "
				 "controller in 100 ms"));
	assert_true(test_uv_run_until(&fx->loop, readies_reached, &r, 2000));
	assert_init_sequence(f, from);
	assert_true(f->cmds[from].at - t0 >= 100); /* after the backoff */
	assert_int_equal(fx->ups, 2);
	assert_int_equal(fx->downs, 1);
	fx_teardown(fx);
	free(fx);
}

static void test_unexpected_reset_reinit(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct fake *f = &fx->fake;
	struct readies_cond r = { &fx->hc, 2 };
	uint8_t pkt[HCI_MAX_EVT_LEN];
	int len = hci_evt_cmd_complete(pkt, 1, HCI_OP_RESET, 0, NULL, 0);
	size_t from;

	(void)state;
	fx_setup(fx, NULL);
	fx_start_ready(fx);
	from = f->n_cmds;
	f->t.on_packet(f->t.ctx, HCI_H4_EVT, pkt, (size_t)len);
	assert_true(test_log_has(&fx->log, "warn hci: the controller reset itself"));
	assert_true(test_uv_run_until(&fx->loop, readies_reached, &r, 2000));
	assert_init_sequence(f, from);
	fx_teardown(fx);
	free(fx);
}

static void test_failed_status_logged_and_backoff(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct fake *f = &fx->fake;
	struct readies_cond r = { &fx->hc, 1 };
	size_t second;

	(void)state;
	fx_setup(fx, NULL);
	f->fail_opcode = HCI_OP_LE_SET_SCAN_PARAMS;
	f->fail_status = HCI_ERR_INVALID_PARAMS;
	f->fail_times = 2;
	assert_int_equal(hci_core_start(&fx->hc), 0);
	assert_true(test_uv_run_until(&fx->loop, readies_reached, &r, 3000));
	assert_true(test_log_has(&fx->log, "error hci: LE Set Scan Parameters (0x200b) failed: "
				 "0x12 Invalid HCI Command Parameters"));
	assert_true(test_log_has(&fx->log, "initialisation command failed: re-initialising the "
				 "controller in 100 ms"));
	assert_true(test_log_has(&fx->log, "in 200 ms"));
	assert_true(fx->saw_backoff);
	assert_int_equal(fx->hc.stats.inits, 3);
	assert_int_equal(fx->hc.stats.readies, 1);
	/* Three sequences, each up to Scan Parameters, the last complete. */
	assert_int_equal(count_op(f, 0, HCI_OP_RESET), 3);
	second = find_op(f, 1, HCI_OP_RESET);
	assert_true(f->cmds[second].at - f->cmds[second - 1].at >= 99);
	assert_init_sequence(f, find_op(f, second + 1, HCI_OP_RESET));
	/* READY resets the backoff: the next fault waits 100 ms again. */
	{
		static const uint8_t hw_err[] = { HCI_EVT_HARDWARE_ERROR, 1, 0x01 };

		test_log_clear(&fx->log);
		f->t.on_packet(f->t.ctx, HCI_H4_EVT, hw_err, sizeof(hw_err));
		assert_true(test_log_has(&fx->log, "in 100 ms"));
	}
	fx_teardown(fx);
	free(fx);
}

static bool is_waiting(void *ctx)
{
	struct fixture *fx = ctx;

	return fx->hc.state == HCI_STATE_WAIT_TRANSPORT;
}

static bool adv_on_seen(void *ctx)
{
	struct fixture *fx = ctx;

	return fx->hc.stats.adv_transmissions >= 1;
}

static void test_transport_down_up_keeps_queue(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct fake *f = &fx->fake;
	struct mesh_adv_tx a = make_tx(0x30, 6, 4, 100);
	struct mesh_adv_tx b = make_tx(0x90, 7, 1, 20);
	struct done_cond d = { &fx->hc, 2 };
	size_t from;

	(void)state;
	fx_setup(fx, NULL);
	fx_start_ready(fx);
	assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &a), 0);
	assert_true(test_uv_run_until(&fx->loop, adv_on_seen, fx, 1000));
	fake_down(f);
	assert_true(is_waiting(fx));
	assert_true(fx->saw_wait);
	assert_false(fx->hc.bearer.up);
	assert_int_equal(fx->downs, 1);
	assert_true(test_log_has(&fx->log, "warn hci: transport fake0 down"));
	/* Queued while down: sent once up again. */
	assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &b), 0);
	test_uv_run_until(&fx->loop, NULL, NULL, 50);
	assert_int_equal(fx->hc.state, HCI_STATE_WAIT_TRANSPORT);
	from = f->n_cmds;
	fake_up(f);
	assert_true(test_uv_run_until(&fx->loop, pdus_done, &d, 3000));
	assert_init_sequence(f, from);
	assert_true(test_log_has(&fx->log, "info hci: transport fake0 up"));
	assert_int_equal(fx->hc.stats.adv_transmissions, 5);
	assert_int_equal(fx->hc.stats.inits, 2);
	assert_int_equal(fx->ups, 2);
	assert_int_equal(f->violations, 0);
	fx_teardown(fx);
	free(fx);
}

static void test_snoop_records_traffic(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct btsnoop snoop;
	char path[] = "/tmp/test_hci_core_XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(btsnoop_open(&snoop, path), 0);
	fx_setup(fx, NULL);
	hci_core_set_snoop(&fx->hc, &snoop);
	fx_start_ready(fx);
	inject_two_reports(fx);
	/* Ten commands, ten completions, one report event. */
	assert_int_equal(snoop.records, 21);
	fx_teardown(fx);
	btsnoop_close(&snoop);
	unlink(path);
	free(fx);
}

static void test_close_mid_transmission_and_from_callback(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));
	struct mesh_adv_tx tx = make_tx(1, 10, 5, 50);
	size_t before;

	(void)state;
	fx_setup(fx, NULL);
	fx_start_ready(fx);
	assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &tx), 0);
	assert_true(test_uv_run_until(&fx->loop, adv_on_seen, fx, 1000));
	/* Closing from the rx callback: the rest of the event is dropped. */
	fx->close_on_rx = true;
	inject_two_reports(fx);
	assert_int_equal(fx->n_rx, 1);
	assert_null(fx->hc.priv);
	assert_int_equal(fx->hc.state, HCI_STATE_CLOSED);
	assert_int_equal(mesh_bearer_send(&fx->hc.bearer, &tx), MESH_ERR_DOWN);
	before = fx->fake.n_cmds;
	fx_teardown(fx); /* a second close does nothing */
	assert_int_equal(fx->fake.n_cmds, before);
	assert_int_equal(fx->fake.closes, 1);
	free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_sequence_and_parameters),
		cmocka_unit_test(test_static_address_config),
		cmocka_unit_test(test_credit_never_exceeded),
		cmocka_unit_test(test_tx_count_interval),
		cmocka_unit_test(test_tx_two_pdus_interleave),
		cmocka_unit_test(test_send_checks),
		cmocka_unit_test(test_adv_reports_deliver_mesh_ad),
		cmocka_unit_test(test_malformed_input_counted),
		cmocka_unit_test(test_timeout_backoff_and_reopen),
		cmocka_unit_test(test_hardware_error_reinit),
		cmocka_unit_test(test_unexpected_reset_reinit),
		cmocka_unit_test(test_failed_status_logged_and_backoff),
		cmocka_unit_test(test_transport_down_up_keeps_queue),
		cmocka_unit_test(test_snoop_records_traffic),
		cmocka_unit_test(test_close_mid_transmission_and_from_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
