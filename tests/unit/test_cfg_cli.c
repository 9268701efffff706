/*
 * Configuration Client over the real acknowledged-message engine, on a
 * virtual clock: requests go out as the codec encodes them under the
 * device key, statuses injected through the access layer complete the
 * request they answer (and only that one), late statuses are still
 * reported, and every status heard reaches the observer.
 */
#include <string.h>

#include "mesh/access.h"
#include "mesh/acked.h"
#include "mesh/cfg_cli.h"
#include "mesh/cfg_msg.h"
#include "mesh/err.h"
#include "mesh/util.h"
#include "vectors.h"

#define GATEWAY 0x0001
#define NODE 0x0100
#define MAX_SENT 16
#define MAX_EVENTS 16

struct sent {
	struct mesh_acked_send s;
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	uint64_t at;
};

struct event {
	int tag;
	enum mesh_acked_event ev;
	uint16_t src;
	bool has_status;
	struct mesh_cfg_msg status;
};

static struct mesh_timers timers;
static struct mesh_acked *engine;
static struct mesh_cfg_cli *cli;
static struct mesh_access reg;
static struct sent sent[MAX_SENT];
static size_t n_sent;
static int send_result;
static struct event events[MAX_EVENTS];
static size_t n_events;
static struct mesh_cfg_msg observed[MAX_EVENTS];
static uint16_t observed_src[MAX_EVENTS];
static size_t n_observed;
/* What a callback does besides recording (re-entrancy tests). */
static void (*on_event_hook)(struct event *e);

static int capture_send(void *ctx, const struct mesh_acked_send *s)
{
	struct sent *out;

	(void)ctx;
	if (send_result < 0)
		return send_result;
	assert_true(n_sent < MAX_SENT);
	out = &sent[n_sent++];
	out->s = *s;
	memcpy(out->payload, s->payload, s->len);
	out->s.payload = out->payload;
	out->at = mesh_timers_now(&timers);
	return 0;
}

static void record(void *ctx, const struct mesh_acked_result *r, const struct mesh_cfg_msg *st)
{
	struct event *e;

	assert_true(n_events < MAX_EVENTS);
	e = &events[n_events++];
	memset(e, 0, sizeof(*e));
	e->tag = (int)(intptr_t)ctx;
	e->ev = r->event;
	if (r->msg)
		e->src = r->msg->src;
	/* A decoded status exactly when the engine reports one. */
	assert_int_equal(st != NULL, r->event == MESH_ACKED_STATUS || r->event == MESH_ACKED_LATE);
	if (st) {
		e->has_status = true;
		e->status = *st;
	}
	if (on_event_hook)
		on_event_hook(e);
}

static void observe(void *ctx, const struct mesh_access_msg *meta, const struct mesh_cfg_msg *st)
{
	(void)ctx;
	assert_true(n_observed < MAX_EVENTS);
	observed_src[n_observed] = meta->src;
	observed[n_observed++] = *st;
}

static int setup(void **state)
{
	static const struct mesh_acked_ops ops = { .send = capture_send };

	(void)state;
	mesh_timers_init(&timers, 0);
	engine = mesh_acked_create(&timers, &ops);
	assert_non_null(engine);
	cli = mesh_cfg_cli_create(engine, &timers, 0x0000);
	assert_non_null(cli);
	mesh_cfg_cli_set_observer(cli, observe, NULL);
	mesh_access_init(&reg);
	assert_int_equal(mesh_access_elem_add(&reg, 0x0000), 0);
	assert_int_equal(mesh_access_model_add(&reg, 0, mesh_cfg_cli_model(cli)), 0);
	assert_int_equal(mesh_access_set_primary(&reg, GATEWAY), 0);
	n_sent = n_events = n_observed = 0;
	send_result = 0;
	on_event_hook = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mesh_cfg_cli_destroy(cli);
	cli = NULL;
	mesh_acked_destroy(engine);
	engine = NULL;
	return 0;
}

/* A status from src arriving at the gateway under src's device key. */
static int inject_from(uint16_t src, const struct mesh_cfg_msg *st)
{
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	struct mesh_access_msg meta = {
		.net_idx = 0, .app_idx = MESH_KEY_IDX_DEV, .src = src, .dst = GATEWAY,
		.ttl = 5, .rssi = MESH_RSSI_UNKNOWN,
	};
	int len = mesh_cfg_encode(st, payload, sizeof(payload));

	assert_true(len > 0);
	return mesh_access_dispatch(&reg, &meta, payload, (size_t)len);
}

static int inject(const struct mesh_cfg_msg *st)
{
	return inject_from(NODE, st);
}

static struct mesh_cfg_msg bind_req(uint16_t model_id, uint16_t app_idx)
{
	struct mesh_cfg_msg m;

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_MODEL_APP_BIND;
	m.model_app.elem_addr = NODE + 1;
	m.model_app.app_idx = app_idx;
	m.model_app.model = mesh_model_id_sig(model_id);
	return m;
}

static struct mesh_cfg_msg bind_status(uint16_t model_id, uint16_t app_idx, uint8_t code)
{
	struct mesh_cfg_msg m = bind_req(model_id, app_idx);

	m.opcode = MESH_OP_CFG_MODEL_APP_STATUS;
	m.model_app.status = code;
	return m;
}

static struct mesh_cfg_msg ttl_status(uint8_t ttl)
{
	struct mesh_cfg_msg m;

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_DEFAULT_TTL_STATUS;
	m.value = ttl;
	return m;
}

/* Same message: same octets (struct padding may differ). */
static void assert_same_msg(const struct mesh_cfg_msg *a, const struct mesh_cfg_msg *b)
{
	uint8_t ea[MESH_ACCESS_MAX_PAYLOAD], eb[MESH_ACCESS_MAX_PAYLOAD];
	int la = mesh_cfg_encode(a, ea, sizeof(ea));

	assert_true(la > 0);
	assert_int_equal(mesh_cfg_encode(b, eb, sizeof(eb)), la);
	assert_bytes_equal(ea, eb, (size_t)la);
}

static void test_request_on_the_air(void **state)
{
	struct mesh_cfg_msg req = bind_req(0x1000, 0x123), on_air;

	(void)state;
	mesh_cfg_cli_set_ttl(cli, 4);
	mesh_cfg_cli_set_net_idx(cli, 0x002);
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, (void *)1), 0);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].s.dst, NODE);
	assert_true(sent[0].s.dev_key);
	assert_int_equal(sent[0].s.net_idx, 0x002);
	assert_int_equal(sent[0].s.ttl, 4);
	assert_int_equal(mesh_cfg_decode(sent[0].payload, sent[0].s.len, &on_air), 0);
	assert_same_msg(&on_air, &req);
	assert_int_equal(mesh_cfg_cli_pending(cli), 1);
	assert_int_equal(n_events, 0);
}

static void test_status_for_other_model_does_not_complete(void **state)
{
	struct mesh_cfg_msg req = bind_req(0x1000, 0x123);
	struct mesh_cfg_msg other = bind_status(0x1001, 0x123, MESH_CFG_SUCCESS);
	struct mesh_cfg_msg other_key = bind_status(0x1000, 0x124, MESH_CFG_SUCCESS);
	struct mesh_cfg_msg right = bind_status(0x1000, 0x123, MESH_CFG_SUCCESS);

	(void)state;
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, (void *)1), 0);
	assert_int_equal(inject(&other), 0);
	assert_int_equal(inject(&other_key), 0);
	assert_int_equal(n_events, 0);
	assert_int_equal(mesh_cfg_cli_pending(cli), 1);
	/* The right status from another node does not either. */
	assert_int_equal(inject_from(NODE + 0x10, &right), 0);
	assert_int_equal(n_events, 0);
	/* The observer heard all three, with their sources. */
	assert_int_equal(n_observed, 3);
	assert_int_equal(observed[0].model_app.model.id, 0x1001);
	assert_int_equal(observed_src[2], NODE + 0x10);

	assert_int_equal(inject(&right), 0);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_STATUS);
	assert_int_equal(events[0].tag, 1);
	assert_int_equal(events[0].src, NODE);
	assert_true(events[0].has_status);
	assert_same_msg(&events[0].status, &right);
	assert_int_equal(n_observed, 4);
	assert_int_equal(mesh_cfg_cli_pending(cli), 0);
	/* Nothing more goes out, nothing more is reported. */
	mesh_timers_advance(&timers, 100000);
	assert_int_equal(n_sent, 1);
	assert_int_equal(n_events, 1);
}

static void test_error_status_is_a_status(void **state)
{
	struct mesh_cfg_msg req = bind_req(0x1000, 0x123);
	struct mesh_cfg_msg st = bind_status(0x1000, 0x123, MESH_CFG_INVALID_APPKEY);

	(void)state;
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, NULL), 0);
	assert_int_equal(inject(&st), 0);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_STATUS);
	assert_int_equal(events[0].status.model_app.status, MESH_CFG_INVALID_APPKEY);
}

static void test_timeout_then_late(void **state)
{
	struct mesh_cfg_msg req;
	struct mesh_cfg_msg st = ttl_status(7);

	(void)state;
	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_DEFAULT_TTL_GET;
	mesh_cfg_cli_set_timing(cli, 1000, 1, false);
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, (void *)2), 0);
	mesh_timers_advance(&timers, 1000);
	assert_int_equal(n_sent, 2);             /* the retry */
	assert_int_equal(sent[1].at, 1000);
	mesh_timers_advance(&timers, 2999);
	assert_int_equal(n_events, 0);
	mesh_timers_advance(&timers, 3000);      /* the retry waited twice as long */
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_TIMEOUT);
	assert_false(events[0].has_status);
	assert_int_equal(mesh_cfg_cli_pending(cli), 0);

	mesh_timers_advance(&timers, 30000);
	assert_int_equal(inject(&st), 0);
	assert_int_equal(n_events, 2);
	assert_int_equal(events[1].ev, MESH_ACKED_LATE);
	assert_int_equal(events[1].tag, 2);
	assert_int_equal(events[1].status.value, 7);
	/* A second copy: only the observer hears it. */
	assert_int_equal(inject(&st), 0);
	assert_int_equal(n_events, 2);
	assert_int_equal(n_observed, 2);
}

static void test_late_window_ends(void **state)
{
	struct mesh_cfg_msg req;
	struct mesh_cfg_msg st = ttl_status(7);

	(void)state;
	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_DEFAULT_TTL_GET;
	mesh_cfg_cli_set_timing(cli, 1000, 0, true);
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, NULL), 0);
	mesh_timers_advance(&timers, 1000);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_TIMEOUT);
	mesh_timers_advance(&timers, 1000 + MESH_ACKED_LATE_WINDOW_MS + 5);
	assert_int_equal(inject(&st), 0);
	assert_int_equal(n_events, 1);            /* too late even for LATE */
	assert_int_equal(n_observed, 1);          /* but the database hears it */
}

/* The moment the engine lets go of a timed-out request is the moment its
 * late window ends; destroying the client right then (the daemon shutting
 * down, teardown here) must not touch the engine's freed request. */
static void test_destroy_at_late_window_end(void **state)
{
	struct mesh_cfg_msg req = { .opcode = MESH_OP_CFG_DEFAULT_TTL_GET };
	uint64_t final_at;

	(void)state;
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, NULL), 0);
	while (n_events == 0)
		mesh_timers_advance(&timers, mesh_timers_now(&timers) + 1);
	assert_int_equal(events[0].ev, MESH_ACKED_TIMEOUT);
	final_at = mesh_timers_now(&timers);
	mesh_timers_advance(&timers, final_at + MESH_ACKED_LATE_WINDOW_MS);
	/* teardown destroys the client now */
}

/* A late status for an earlier request completes that one, not the
 * request now on the air for the same node and status opcode. */
static void test_late_and_active_told_apart(void **state)
{
	struct mesh_cfg_msg a = bind_req(0x1000, 1), b = bind_req(0x1002, 1);
	struct mesh_cfg_msg st_a = bind_status(0x1000, 1, 0), st_b = bind_status(0x1002, 1, 0);

	(void)state;
	mesh_cfg_cli_set_timing(cli, 500, 0, true);
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &a, record, (void *)1), 0);
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &b, record, (void *)2), 0);
	assert_int_equal(n_sent, 1);              /* b waits behind a */
	mesh_timers_advance(&timers, 500);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_TIMEOUT);
	assert_int_equal(n_sent, 2);              /* now b */
	assert_int_equal(inject(&st_a), 0);
	assert_int_equal(n_events, 2);
	assert_int_equal(events[1].ev, MESH_ACKED_LATE);
	assert_int_equal(events[1].tag, 1);
	assert_int_equal(mesh_cfg_cli_pending(cli), 1);
	assert_int_equal(inject(&st_b), 0);
	assert_int_equal(n_events, 3);
	assert_int_equal(events[2].ev, MESH_ACKED_STATUS);
	assert_int_equal(events[2].tag, 2);
	assert_int_equal(mesh_cfg_cli_pending(cli), 0);
}

static void test_unsolicited_and_malformed(void **state)
{
	static const uint8_t bad[] = { 0x80, 0x0e, 0x01 };  /* Default TTL Status 0x01 */
	static const uint8_t short_status[] = { 0x80, 0x03, 0x00 };
	struct mesh_cfg_msg st = ttl_status(9);
	struct mesh_access_msg meta = {
		.app_idx = MESH_KEY_IDX_DEV, .src = NODE, .dst = GATEWAY, .rssi = MESH_RSSI_UNKNOWN,
	};

	(void)state;
	assert_int_equal(inject(&st), 0);
	assert_int_equal(n_observed, 1);
	assert_int_equal(observed[0].value, 9);
	assert_int_equal(n_events, 0);
	assert_int_equal(mesh_access_dispatch(&reg, &meta, bad, sizeof(bad)), MESH_ERR_RESERVED);
	assert_int_equal(mesh_access_dispatch(&reg, &meta, short_status, sizeof(short_status)),
			 MESH_ERR_TRUNCATED);
	assert_int_equal(n_observed, 1);
	/* Requests are not ours to handle. */
	meta.src = NODE;
	{
		static const uint8_t get[] = { 0x80, 0x0c };

		assert_int_equal(mesh_access_dispatch(&reg, &meta, get, sizeof(get)),
				 MESH_ERR_UNKNOWN_OPCODE);
	}
}

/* A malformed status does not complete a request either. */
static void test_malformed_status_ignored(void **state)
{
	static const uint8_t bad[] = { 0x80, 0x0e, 0x80 };
	struct mesh_cfg_msg req;
	struct mesh_access_msg meta = {
		.app_idx = MESH_KEY_IDX_DEV, .src = NODE, .dst = GATEWAY, .rssi = MESH_RSSI_UNKNOWN,
	};

	(void)state;
	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_DEFAULT_TTL_SET;
	req.value = 5;
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, NULL), 0);
	assert_int_not_equal(mesh_access_dispatch(&reg, &meta, bad, sizeof(bad)), 0);
	assert_int_equal(n_events, 0);
	assert_int_equal(mesh_cfg_cli_pending(cli), 1);
}

static void test_key_statuses_match_indexes(void **state)
{
	struct mesh_cfg_msg req, st;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_APPKEY_ADD;
	req.app_key.net_idx = 0x000;
	req.app_key.app_idx = 0x001;
	memset(req.app_key.key, 0xaa, 16);
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, NULL), 0);
	memset(&st, 0, sizeof(st));
	st.opcode = MESH_OP_CFG_APPKEY_STATUS;
	st.app_key.net_idx = 0x000;
	st.app_key.app_idx = 0x002;
	assert_int_equal(inject(&st), 0);
	assert_int_equal(n_events, 0);
	st.app_key.app_idx = 0x001;
	st.app_key.status = MESH_CFG_KEY_INDEX_ALREADY_STORED;
	assert_int_equal(inject(&st), 0);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].status.app_key.status, MESH_CFG_KEY_INDEX_ALREADY_STORED);
}

static void test_node_reset(void **state)
{
	struct mesh_cfg_msg req, st;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_NODE_RESET;
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, NULL), 0);
	assert_int_equal(sent[0].s.len, 2);
	memset(&st, 0, sizeof(st));
	st.opcode = MESH_OP_CFG_NODE_RESET_STATUS;
	assert_int_equal(inject(&st), 0);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_STATUS);
	assert_int_equal(events[0].status.opcode, MESH_OP_CFG_NODE_RESET_STATUS);
}

static void test_group_collects(void **state)
{
	struct mesh_cfg_msg req;
	struct mesh_cfg_msg st = ttl_status(5);

	(void)state;
	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_DEFAULT_TTL_GET;
	mesh_cfg_cli_set_timing(cli, 1000, 0, false);
	assert_int_equal(mesh_cfg_cli_send(cli, 0xc000, &req, record, NULL), 0);
	assert_int_equal(inject_from(0x0100, &st), 0);
	assert_int_equal(inject_from(0x0200, &st), 0);
	assert_int_equal(n_events, 2);
	assert_int_equal(events[0].ev, MESH_ACKED_STATUS);
	assert_int_equal(events[1].src, 0x0200);
	mesh_timers_advance(&timers, 1000);
	assert_int_equal(n_events, 3);
	assert_int_equal(events[2].ev, MESH_ACKED_DONE);
	assert_int_equal(n_sent, 1);
	assert_int_equal(inject_from(0x0300, &st), 0);
	assert_int_equal(inject_from(0x0400, &st), 0);
	assert_int_equal(n_events, 5);
	assert_int_equal(events[3].ev, MESH_ACKED_LATE);
	assert_int_equal(events[4].src, 0x0400);
	mesh_timers_advance(&timers, 1000 + MESH_ACKED_LATE_WINDOW_MS + 5);
	assert_int_equal(inject_from(0x0500, &st), 0);
	assert_int_equal(n_events, 5);
}

static void test_send_errors(void **state)
{
	struct mesh_cfg_msg req = bind_req(0x1000, 1), st = ttl_status(5);

	(void)state;
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &st, record, NULL), MESH_ERR_OPCODE);
	assert_int_equal(mesh_cfg_cli_send(cli, 0x0000, &req, record, NULL), MESH_ERR_INVAL);
	assert_int_equal(mesh_cfg_cli_send(cli, 0x8001, &req, record, NULL), MESH_ERR_INVAL);
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, NULL, NULL), MESH_ERR_INVAL);
	req.model_app.app_idx = 0x1000;
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, NULL), MESH_ERR_INVAL);
	assert_int_equal(n_sent, 0);
	assert_int_equal(mesh_cfg_cli_pending(cli), 0);

	/* The first send fails: a FAILED event before send returns. */
	req.model_app.app_idx = 1;
	send_result = MESH_ERR_DOWN;
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, NULL), 0);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_FAILED);
	assert_int_equal(mesh_cfg_cli_pending(cli), 0);
}

static void test_cancel_dst(void **state)
{
	struct mesh_cfg_msg a = bind_req(0x1000, 1), b = bind_req(0x1002, 1);
	struct mesh_cfg_msg st_a = bind_status(0x1000, 1, 0);

	(void)state;
	mesh_cfg_cli_set_timing(cli, 500, 0, true);
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &a, record, (void *)1), 0);
	mesh_timers_advance(&timers, 500);       /* a times out, listens late */
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &b, record, (void *)2), 0);
	assert_int_equal(mesh_cfg_cli_send(cli, NODE + 0x10, &b, record, (void *)3), 0);
	mesh_cfg_cli_cancel_dst(cli, NODE);
	assert_int_equal(n_events, 2);
	assert_int_equal(events[1].ev, MESH_ACKED_CANCELED);
	assert_int_equal(events[1].tag, 2);
	assert_int_equal(mesh_cfg_cli_pending(cli), 1);
	/* a no longer hears its late status. */
	assert_int_equal(inject(&st_a), 0);
	assert_int_equal(n_events, 2);
}

static void cancel_from_callback(struct event *e)
{
	if (e->ev == MESH_ACKED_TIMEOUT)
		mesh_cfg_cli_cancel_dst(cli, NODE);
}

static void send_again_from_callback(struct event *e)
{
	struct mesh_cfg_msg req;

	if (e->tag != 1)
		return;
	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_DEFAULT_TTL_GET;
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &req, record, (void *)9), 0);
}

/* Callbacks may cancel and send; nothing is used after it is freed
 * (the sanitizer build checks). */
static void test_reentrant_callbacks(void **state)
{
	struct mesh_cfg_msg a = bind_req(0x1000, 1);
	struct mesh_cfg_msg st_a = bind_status(0x1000, 1, 0);

	(void)state;
	mesh_cfg_cli_set_timing(cli, 500, 0, true);
	on_event_hook = cancel_from_callback;
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &a, record, (void *)1), 0);
	mesh_timers_advance(&timers, 500);
	assert_int_equal(n_events, 1);
	assert_int_equal(inject(&st_a), 0);       /* cancelled: not even late */
	assert_int_equal(n_events, 1);
	mesh_timers_advance(&timers, 500 + MESH_ACKED_LATE_WINDOW_MS + 5);

	on_event_hook = send_again_from_callback;
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &a, record, (void *)1), 0);
	assert_int_equal(inject(&st_a), 0);
	assert_int_equal(n_events, 2);
	assert_int_equal(events[1].ev, MESH_ACKED_STATUS);
	assert_int_equal(mesh_cfg_cli_pending(cli), 1);
	assert_int_equal(mesh_cfg_decode(sent[n_sent - 1].payload, sent[n_sent - 1].s.len, &a), 0);
	assert_int_equal(a.opcode, MESH_OP_CFG_DEFAULT_TTL_GET);
}

/* Destroying the client with requests pending and in their late window:
 * CANCELED for the pending ones, and the engine no longer calls us. */
static void test_destroy_with_requests(void **state)
{
	struct mesh_cfg_msg a = bind_req(0x1000, 1), b = bind_req(0x1002, 1);
	struct mesh_cfg_msg st_a = bind_status(0x1000, 1, 0);

	(void)state;
	mesh_cfg_cli_set_timing(cli, 500, 0, true);
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &a, record, (void *)1), 0);
	mesh_timers_advance(&timers, 500);
	assert_int_equal(mesh_cfg_cli_send(cli, NODE, &b, record, (void *)2), 0);
	mesh_cfg_cli_destroy(cli);
	cli = NULL;
	assert_int_equal(n_events, 2);
	assert_int_equal(events[1].ev, MESH_ACKED_CANCELED);
	assert_int_equal(mesh_acked_pending(engine), 0);
	/* The late status reaches no one (the model is gone with the client,
	 * so feed the engine directly). */
	{
		uint8_t payload[32];
		int len = mesh_cfg_encode(&st_a, payload, sizeof(payload));
		struct mesh_access_msg meta = {
			.app_idx = MESH_KEY_IDX_DEV, .src = NODE, .dst = GATEWAY,
			.opcode = MESH_OP_CFG_MODEL_APP_STATUS, .params = payload + 2,
			.params_len = (size_t)len - 2,
		};

		assert_false(mesh_acked_receive(engine, &meta));
	}
	mesh_timers_advance(&timers, 500 + MESH_ACKED_LATE_WINDOW_MS + 5);
	assert_int_equal(n_events, 2);
}

static void test_matches_table(void **state)
{
	struct mesh_cfg_msg req, st;

	(void)state;
	/* Subscription: element, model and (plain forms) the address. */
	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_MODEL_SUB_ADD;
	req.model_sub.elem_addr = NODE;
	req.model_sub.addr = 0xc001;
	req.model_sub.model = mesh_model_id_vendor(0x59, 1);
	st = req;
	st.opcode = MESH_OP_CFG_MODEL_SUB_STATUS;
	assert_true(mesh_cfg_cli_status_matches(&req, &st));
	st.model_sub.addr = 0xc002;
	assert_false(mesh_cfg_cli_status_matches(&req, &st));
	req.opcode = MESH_OP_CFG_MODEL_SUB_VA_ADD;
	assert_true(mesh_cfg_cli_status_matches(&req, &st));
	st.model_sub.model = mesh_model_id_vendor(0x5a, 1);
	assert_false(mesh_cfg_cli_status_matches(&req, &st));
	st.model_sub.model = req.model_sub.model;
	st.model_sub.elem_addr = NODE + 1;
	assert_false(mesh_cfg_cli_status_matches(&req, &st));

	/* Publication: element and model. */
	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_MODEL_PUB_SET;
	req.model_pub.elem_addr = NODE;
	req.model_pub.pub_addr = 0xc001;
	req.model_pub.model = mesh_model_id_sig(0x1000);
	st = req;
	st.opcode = MESH_OP_CFG_MODEL_PUB_STATUS;
	st.model_pub.pub_addr = 0x0000;
	st.model_pub.status = MESH_CFG_INVALID_PUB_PARAMS;
	assert_true(mesh_cfg_cli_status_matches(&req, &st));
	st.model_pub.model = mesh_model_id_sig(0x1001);
	assert_false(mesh_cfg_cli_status_matches(&req, &st));

	/* Lists and keys. */
	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_SIG_MODEL_APP_GET;
	req.model_app_list.elem_addr = NODE;
	req.model_app_list.model = mesh_model_id_sig(0x1000);
	st = req;
	st.opcode = MESH_OP_CFG_SIG_MODEL_APP_LIST;
	assert_true(mesh_cfg_cli_status_matches(&req, &st));
	st.opcode = MESH_OP_CFG_VND_MODEL_APP_LIST;
	assert_false(mesh_cfg_cli_status_matches(&req, &st));

	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_APPKEY_GET;
	req.key_list.net_idx = 1;
	st = req;
	st.opcode = MESH_OP_CFG_APPKEY_LIST;
	assert_true(mesh_cfg_cli_status_matches(&req, &st));
	st.key_list.net_idx = 2;
	assert_false(mesh_cfg_cli_status_matches(&req, &st));

	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_NETKEY_DELETE;
	req.net_key.net_idx = 3;
	st = req;
	st.opcode = MESH_OP_CFG_NETKEY_STATUS;
	assert_true(mesh_cfg_cli_status_matches(&req, &st));
	st.net_key.net_idx = 4;
	assert_false(mesh_cfg_cli_status_matches(&req, &st));

	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_KRP_SET;
	req.krp.net_idx = 3;
	req.krp.phase = 2;
	st = req;
	st.opcode = MESH_OP_CFG_KRP_STATUS;
	assert_true(mesh_cfg_cli_status_matches(&req, &st));
	st.krp.net_idx = 4;
	assert_false(mesh_cfg_cli_status_matches(&req, &st));

	/* A status of another kind never matches. */
	memset(&req, 0, sizeof(req));
	req.opcode = MESH_OP_CFG_RELAY_GET;
	st = ttl_status(5);
	assert_false(mesh_cfg_cli_status_matches(&req, &st));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_on_the_air, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_for_other_model_does_not_complete,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_status_is_a_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_then_late, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_window_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_at_late_window_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_and_active_told_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited_and_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_status_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_statuses_match_indexes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_collects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_dst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reentrant_callbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_with_requests, setup, teardown),
		cmocka_unit_test(test_matches_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
