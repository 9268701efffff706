/*
 * The acknowledged message engine on a virtual clock: what goes on the air
 * and when (a capturing send), and which events the requester hears.
 */
#include <string.h>

#include "mesh/acked.h"
#include "mesh/err.h"
#include "vectors.h"

#define OP_GET MESH_OP_2(0x82, 0x01)     /* Generic OnOff Get */
#define OP_STATUS MESH_OP_2(0x82, 0x04)  /* Generic OnOff Status */
#define OP_OTHER MESH_OP_2(0x80, 0x03)   /* Config Model App Status */
#define MAX_SENT 32
#define MAX_EVENTS 32

struct sent {
	uint64_t at;
	uint16_t dst;
	size_t len;
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	bool has_label;
};

struct event {
	struct mesh_acked_req *req;
	int tag;
	enum mesh_acked_event ev;
	int err;
	uint16_t src;          /* STATUS/LATE */
	uint8_t first_param;   /* STATUS/LATE */
	unsigned int attempts;
	unsigned int responders;
	uint32_t elapsed_ms;
	uint64_t at;
};

/* One test's world. */
static struct mesh_timers timers;
static struct mesh_acked *engine;
static struct sent sent[MAX_SENT];
static size_t n_sent;
static int send_result;
static struct event events[MAX_EVENTS];
static size_t n_events;

/* What a done callback does besides recording (re-entrancy tests). */
static void (*on_event_hook)(struct event *e);

static int capture_send(void *ctx, const struct mesh_acked_send *s)
{
	struct sent *out;

	(void)ctx;
	if (send_result < 0)
		return send_result;
	assert_true(n_sent < MAX_SENT);
	out = &sent[n_sent++];
	out->at = mesh_timers_now(&timers);
	out->dst = s->dst;
	out->len = s->len;
	memcpy(out->payload, s->payload, s->len);
	out->has_label = s->label_uuid != NULL;
	return 0;
}

static void record(void *ctx, struct mesh_acked_req *req, const struct mesh_acked_result *r)
{
	struct event *e;

	assert_true(n_events < MAX_EVENTS);
	e = &events[n_events++];
	memset(e, 0, sizeof(*e));
	e->req = req;
	e->tag = (int)(intptr_t)ctx;
	e->ev = r->event;
	e->err = r->err;
	e->attempts = r->attempts;
	e->responders = r->responders;
	e->elapsed_ms = r->elapsed_ms;
	e->at = mesh_timers_now(&timers);
	if (r->msg) {
		e->src = r->msg->src;
		e->first_param = r->msg->params_len ? r->msg->params[0] : 0xee;
	}
	if (on_event_hook)
		on_event_hook(e);
}

static int setup(void **state)
{
	static const struct mesh_acked_ops ops = { .send = capture_send };

	(void)state;
	mesh_timers_init(&timers, 1000);
	n_sent = 0;
	n_events = 0;
	send_result = 0;
	on_event_hook = NULL;
	engine = mesh_acked_create(&timers, &ops);
	assert_non_null(engine);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	on_event_hook = NULL;
	mesh_acked_destroy(engine);
	engine = NULL;
	return 0;
}

static const uint8_t get_payload[] = { 0x82, 0x01 };

static struct mesh_acked_params get_params(uint16_t dst, int tag)
{
	return (struct mesh_acked_params){
		.net_idx = 0,
		.dst = dst,
		.app_idx = 0,
		.ttl = 0xff,
		.payload = get_payload,
		.len = sizeof(get_payload),
		.status_opcode = OP_STATUS,
		.timeout_ms = 1000,
		.no_retries = false,
		.retries = 2,
		.done = record,
		.ctx = (void *)(intptr_t)tag,
	};
}

static struct mesh_acked_req *request(const struct mesh_acked_params *p)
{
	struct mesh_acked_req *req = NULL;

	assert_int_equal(mesh_acked_request(engine, p, &req), 0);
	return req;
}

/* A status as the access layer hands it over (opcode, params filled). */
static bool status_from(uint16_t src, uint32_t opcode, uint8_t param)
{
	static uint8_t params[1];
	struct mesh_access_msg msg = {
		.net_idx = 0,
		.app_idx = 0,
		.src = src,
		.dst = 0x0001,
		.ttl = 5,
		.rssi = -40,
		.opcode = opcode,
		.params = params,
		.params_len = 1,
	};

	params[0] = param;
	return mesh_acked_receive(engine, &msg);
}

static void advance_to(uint64_t t)
{
	mesh_timers_advance(&timers, t);
}

/* --- unicast ------------------------------------------------------------- */

static void test_status_on_first_try(void **state)
{
	struct mesh_acked_params p = get_params(0x0005, 1);
	struct mesh_acked_req *req;
	uint8_t payload[4] = { 0x82, 0x02, 0x01, 0x07 };

	(void)state;
	p.payload = payload;
	p.len = sizeof(payload);
	req = request(&p);
	assert_non_null(req);
	payload[3] = 0x99; /* copied: later changes do not reach the air */
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].at, 1000);
	assert_int_equal(sent[0].dst, 0x0005);
	assert_int_equal(sent[0].len, 4);
	assert_int_equal(sent[0].payload[3], 0x07);
	assert_int_equal(mesh_acked_pending(engine), 1);

	advance_to(1300);
	assert_true(status_from(0x0005, OP_STATUS, 1));
	assert_int_equal(n_events, 1);
	assert_ptr_equal(events[0].req, req);
	assert_int_equal(events[0].ev, MESH_ACKED_STATUS);
	assert_int_equal(events[0].src, 0x0005);
	assert_int_equal(events[0].first_param, 1);
	assert_int_equal(events[0].attempts, 1);
	assert_int_equal(events[0].elapsed_ms, 300);
	assert_int_equal(mesh_acked_pending(engine), 0);

	/* Finished by a status: a second copy matches nothing, no retry goes. */
	assert_false(status_from(0x0005, OP_STATUS, 1));
	advance_to(100000);
	assert_int_equal(n_sent, 1);
	assert_int_equal(n_events, 1);
}

static void test_retries_double_and_time_out(void **state)
{
	struct mesh_acked_params p = get_params(0x0005, 1);

	(void)state;
	p.retries = 3;
	request(&p);
	advance_to(100000);
	/* 1 s, 2 s, 4 s between attempts; the last one waits 8 s. */
	assert_int_equal(n_sent, 4);
	assert_int_equal(sent[0].at, 1000);
	assert_int_equal(sent[1].at, 2000);
	assert_int_equal(sent[2].at, 4000);
	assert_int_equal(sent[3].at, 8000);
	for (size_t i = 1; i < n_sent; i++)
		assert_memory_equal(sent[i].payload, sent[0].payload, sent[0].len);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_TIMEOUT);
	assert_int_equal(events[0].at, 16000);
	assert_int_equal(events[0].attempts, 4);
	assert_int_equal(events[0].elapsed_ms, 15000);
	assert_int_equal(mesh_acked_pending(engine), 0);
}

static void test_default_and_no_retries(void **state)
{
	struct mesh_acked_params p = get_params(0x0005, 1);

	(void)state;
	p.retries = 0;
	p.timeout_ms = 0;
	request(&p);
	advance_to(1000 + 2000 * 15 - 1);
	assert_int_equal(n_events, 0);
	advance_to(1000 + 2000 * 15);
	assert_int_equal(n_sent, 1 + MESH_ACKED_RETRIES_DEFAULT);
	assert_int_equal(sent[1].at, 3000);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_TIMEOUT);

	p = get_params(0x0006, 2);
	p.no_retries = true;
	request(&p);
	advance_to(200000);
	assert_int_equal(n_sent, 1 + MESH_ACKED_RETRIES_DEFAULT + 1);
	assert_int_equal(events[1].ev, MESH_ACKED_TIMEOUT);
	assert_int_equal(events[1].attempts, 1);
}

static void test_status_on_a_retry(void **state)
{
	(void)state;
	struct mesh_acked_params p = get_params(0x0005, 1);

	request(&p);
	advance_to(2500); /* second attempt went out at 2000 */
	assert_int_equal(n_sent, 2);
	assert_true(status_from(0x0005, OP_STATUS, 0));
	assert_int_equal(events[0].ev, MESH_ACKED_STATUS);
	assert_int_equal(events[0].attempts, 2);
	advance_to(100000);
	assert_int_equal(n_sent, 2);
	assert_int_equal(n_events, 1);
}

static void test_late_status(void **state)
{
	struct mesh_acked_params p = get_params(0x0005, 1);
	uint64_t timeout_at;

	(void)state;
	p.no_retries = true;
	request(&p);
	advance_to(2000);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_TIMEOUT);
	timeout_at = events[0].at;

	/* Within the late window: reported once, as LATE. */
	advance_to(timeout_at + 30000);
	assert_true(status_from(0x0005, OP_STATUS, 1));
	assert_int_equal(n_events, 2);
	assert_int_equal(events[1].ev, MESH_ACKED_LATE);
	assert_int_equal(events[1].src, 0x0005);
	assert_false(status_from(0x0005, OP_STATUS, 1));

	/* A second request: its late window ends, then nothing matches. */
	request(&p);
	advance_to(timeout_at + 31000);
	assert_int_equal(events[2].ev, MESH_ACKED_TIMEOUT);
	advance_to(timeout_at + 31000 + MESH_ACKED_LATE_WINDOW_MS - 1);
	assert_true(status_from(0x0005, OP_STATUS, 2));
	assert_int_equal(events[3].ev, MESH_ACKED_LATE);

	/* A third: when its window has run out, the status matches nothing. */
	request(&p);
	advance_to(timeout_at + 100000);
	assert_int_equal(events[4].ev, MESH_ACKED_TIMEOUT);
	advance_to(events[4].at + MESH_ACKED_LATE_WINDOW_MS - 1);
	assert_int_equal(mesh_timers_next_delay(&timers), 1);
	advance_to(events[4].at + MESH_ACKED_LATE_WINDOW_MS);
	assert_int_equal(mesh_timers_next_delay(&timers), -1);
	assert_false(status_from(0x0005, OP_STATUS, 3));
	assert_int_equal(n_events, 5);
}

static void test_queue_same_pair(void **state)
{
	struct mesh_acked_params p1 = get_params(0x0005, 1), p2 = get_params(0x0005, 2);
	struct mesh_acked_params p3 = get_params(0x0007, 3), p4 = get_params(0x0005, 4);
	static const uint8_t set_payload[] = { 0x82, 0x02, 0x01, 0x00 };

	(void)state;
	p2.payload = set_payload;
	p2.len = sizeof(set_payload);
	p4.status_opcode = OP_OTHER;
	request(&p1);
	request(&p2);
	request(&p3);   /* another dst: at once */
	request(&p4);   /* same dst, another status opcode: at once */
	assert_int_equal(n_sent, 3);
	assert_int_equal(sent[0].dst, 0x0005);
	assert_int_equal(sent[0].len, 2);
	assert_int_equal(sent[1].dst, 0x0007);
	assert_int_equal(sent[2].dst, 0x0005);
	assert_int_equal(mesh_acked_pending(engine), 4);

	/* The first completes: the queued Set goes out at once. */
	advance_to(1200);
	assert_true(status_from(0x0005, OP_STATUS, 0));
	assert_int_equal(events[0].tag, 1);
	assert_int_equal(n_sent, 4);
	assert_int_equal(sent[3].at, 1200);
	assert_int_equal(sent[3].len, 4);
	assert_int_equal(mesh_acked_pending(engine), 3);

	/* The next status for the pair is the Set's. */
	assert_true(status_from(0x0005, OP_STATUS, 1));
	assert_int_equal(events[1].tag, 2);
	assert_int_equal(events[1].ev, MESH_ACKED_STATUS);
	assert_int_equal(events[1].elapsed_ms, 0);
}

static void test_queue_moves_on_after_timeout(void **state)
{
	struct mesh_acked_params p1 = get_params(0x0005, 1), p2 = get_params(0x0005, 2);

	(void)state;
	p1.no_retries = true;
	request(&p1);
	request(&p2);
	assert_int_equal(n_sent, 1);
	advance_to(2000);
	assert_int_equal(events[0].tag, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_TIMEOUT);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[1].at, 2000);
	/* The status now goes to the request on the air, not the late one. */
	assert_true(status_from(0x0005, OP_STATUS, 0));
	assert_int_equal(events[1].tag, 2);
	assert_int_equal(events[1].ev, MESH_ACKED_STATUS);
	/* Another is left to the late request. */
	assert_true(status_from(0x0005, OP_STATUS, 0));
	assert_int_equal(events[2].tag, 1);
	assert_int_equal(events[2].ev, MESH_ACKED_LATE);
}

static uint8_t wanted_param;

static bool match_param(void *ctx, const struct mesh_access_msg *status)
{
	(void)ctx;
	return status->params_len >= 1 && status->params[0] == wanted_param;
}

static void test_match_function(void **state)
{
	struct mesh_acked_params p = get_params(0x0005, 1);

	(void)state;
	p.match = match_param;
	wanted_param = 0x42;
	request(&p);
	assert_false(status_from(0x0005, OP_STATUS, 0x41));
	assert_int_equal(n_events, 0);
	assert_true(status_from(0x0005, OP_STATUS, 0x42));
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].first_param, 0x42);
}

static void test_unicast_ignores_other_sources_and_keys(void **state)
{
	struct mesh_acked_params p = get_params(0x0005, 1);
	struct mesh_access_msg msg = {
		.app_idx = MESH_KEY_IDX_DEV, .src = 0x0005, .dst = 1, .opcode = OP_STATUS,
	};

	(void)state;
	request(&p);
	assert_false(status_from(0x0006, OP_STATUS, 0));
	assert_false(status_from(0x0005, OP_OTHER, 0));
	/* Sent with an AppKey: a device-key status is not its answer. */
	assert_false(mesh_acked_receive(engine, &msg));
	assert_int_equal(n_events, 0);

	p = get_params(0x0008, 2);
	p.dev_key = true;
	request(&p);
	assert_false(status_from(0x0008, OP_STATUS, 0)); /* under an AppKey */
	msg.src = 0x0008;
	assert_true(mesh_acked_receive(engine, &msg));
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].tag, 2);
}

/* --- group --------------------------------------------------------------- */

static void test_group_collects_responders(void **state)
{
	struct mesh_acked_params p = get_params(0xc001, 1);

	(void)state;
	p.timeout_ms = 3000;
	p.retries = 3;  /* ignored: a group request is never repeated */
	request(&p);
	advance_to(1500);
	assert_true(status_from(0x0005, OP_STATUS, 1));
	assert_true(status_from(0x0009, OP_STATUS, 0));
	assert_true(status_from(0x0005, OP_STATUS, 1)); /* twice: reported once */
	advance_to(2500);
	assert_true(status_from(0x000a, OP_STATUS, 1));
	assert_int_equal(n_events, 3);
	assert_int_equal(events[0].ev, MESH_ACKED_STATUS);
	assert_int_equal(events[0].src, 0x0005);
	assert_int_equal(events[0].responders, 1);
	assert_int_equal(events[1].src, 0x0009);
	assert_int_equal(events[2].src, 0x000a);
	assert_int_equal(events[2].responders, 3);
	assert_int_equal(mesh_acked_pending(engine), 1);

	advance_to(3999);
	assert_int_equal(n_events, 3);
	advance_to(4000);
	assert_int_equal(n_events, 4);
	assert_int_equal(events[3].ev, MESH_ACKED_DONE);
	assert_int_equal(events[3].responders, 3);
	assert_int_equal(n_sent, 1);
	assert_int_equal(mesh_acked_pending(engine), 0);

	/* A slow member after the window: LATE, still once each. */
	assert_true(status_from(0x000b, OP_STATUS, 1));
	assert_true(status_from(0x000b, OP_STATUS, 1));
	assert_true(status_from(0x0005, OP_STATUS, 1));
	assert_int_equal(n_events, 5);
	assert_int_equal(events[4].ev, MESH_ACKED_LATE);
	assert_int_equal(events[4].src, 0x000b);
	assert_int_equal(events[4].responders, 4);
}

static void test_group_many_responders(void **state)
{
	struct mesh_acked_params p = get_params(0xc002, 1);

	(void)state;
	request(&p);
	/* More than fit inline: the list grows, duplicates still caught. */
	for (uint16_t src = 1; src <= 20; src++)
		assert_true(status_from(src, OP_STATUS, 0));
	for (uint16_t src = 1; src <= 20; src++)
		assert_true(status_from(src, OP_STATUS, 0));
	assert_int_equal(n_events, 20);
	advance_to(5000);
	assert_int_equal(events[20].ev, MESH_ACKED_DONE);
	assert_int_equal(events[20].responders, 20);
}

static void test_virtual_destination(void **state)
{
	static const uint8_t label[16] = { 1, 2, 3 };
	struct mesh_acked_params p = get_params(0x8123, 1);

	(void)state;
	assert_int_equal(mesh_acked_request(engine, &p, NULL), MESH_ERR_INVAL);
	p.label_uuid = label;
	request(&p);
	assert_int_equal(n_sent, 1);
	assert_true(sent[0].has_label);
	assert_true(status_from(0x0003, OP_STATUS, 0));
	assert_int_equal(events[0].ev, MESH_ACKED_STATUS);
	advance_to(2000);
	assert_int_equal(events[1].ev, MESH_ACKED_DONE);
	assert_int_equal(events[1].responders, 1);
}

/* --- failures, cancel ---------------------------------------------------- */

static void test_send_failure_moves_queue_on(void **state)
{
	struct mesh_acked_params p1 = get_params(0x0005, 1), p2 = get_params(0x0005, 2);
	struct mesh_acked_req *req;

	(void)state;
	send_result = MESH_ERR_DOWN;
	assert_int_equal(mesh_acked_request(engine, &p1, &req), 0);
	/* Failed before returning: reported, and no handle is left. */
	assert_null(req);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_FAILED);
	assert_int_equal(events[0].err, MESH_ERR_DOWN);
	assert_int_equal(events[0].attempts, 0);
	assert_int_equal(mesh_acked_pending(engine), 0);

	/* A retry that cannot be sent fails the request; the next one goes. */
	send_result = 0;
	request(&p1);
	request(&p2);
	assert_int_equal(n_sent, 1);
	send_result = MESH_ERR_BUSY;
	advance_to(2000);
	assert_int_equal(events[1].tag, 1);
	assert_int_equal(events[1].ev, MESH_ACKED_FAILED);
	assert_int_equal(events[1].err, MESH_ERR_BUSY);
	assert_int_equal(events[1].attempts, 1);
	/* p2's first send failed too (same bearer state). */
	assert_int_equal(events[2].tag, 2);
	assert_int_equal(events[2].ev, MESH_ACKED_FAILED);
	send_result = 0;
	request(&p2);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[1].at, 2000);
}

static void test_invalid_requests(void **state)
{
	struct mesh_acked_params p = get_params(0x0005, 1);
	uint8_t big[MESH_ACCESS_MAX_PAYLOAD + 1] = { 0x82, 0x01 };

	(void)state;
	p.dst = 0;
	assert_int_equal(mesh_acked_request(engine, &p, NULL), MESH_ERR_INVAL);
	p = get_params(0x0005, 1);
	p.done = NULL;
	assert_int_equal(mesh_acked_request(engine, &p, NULL), MESH_ERR_INVAL);
	p = get_params(0x0005, 1);
	p.payload = NULL;
	assert_int_equal(mesh_acked_request(engine, &p, NULL), MESH_ERR_INVAL);
	p = get_params(0x0005, 1);
	p.len = 0;
	assert_int_equal(mesh_acked_request(engine, &p, NULL), MESH_ERR_INVAL);
	p = get_params(0x0005, 1);
	p.status_opcode = 0x7f; /* RFU */
	assert_int_equal(mesh_acked_request(engine, &p, NULL), MESH_ERR_INVAL);
	p = get_params(0x0005, 1);
	p.payload = big;
	p.len = sizeof(big);
	assert_int_equal(mesh_acked_request(engine, &p, NULL), MESH_ERR_OVERSIZED);
	p.len = MESH_ACCESS_MAX_PAYLOAD;
	assert_int_equal(mesh_acked_request(engine, &p, NULL), 0);
	assert_int_equal(sent[0].len, MESH_ACCESS_MAX_PAYLOAD);
	assert_int_equal(n_sent, 1);
}

static void test_cancel(void **state)
{
	struct mesh_acked_params p1 = get_params(0x0005, 1), p2 = get_params(0x0005, 2);
	struct mesh_acked_params p3 = get_params(0x0005, 3);
	struct mesh_acked_req *r1, *r2, *r3;

	(void)state;
	r1 = request(&p1);
	r2 = request(&p2);
	r3 = request(&p3);
	/* A queued one: gone without a send. */
	mesh_acked_cancel(engine, r2);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].tag, 2);
	assert_int_equal(events[0].ev, MESH_ACKED_CANCELED);
	assert_int_equal(n_sent, 1);
	/* The one on the air: the next queued goes at once. */
	advance_to(1500);
	mesh_acked_cancel(engine, r1);
	assert_int_equal(events[1].tag, 1);
	assert_int_equal(events[1].ev, MESH_ACKED_CANCELED);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[1].at, 1500);
	assert_true(status_from(0x0005, OP_STATUS, 0));
	assert_ptr_equal(events[2].req, r3);
	assert_int_equal(events[2].ev, MESH_ACKED_STATUS);
	/* Nothing left to retry. */
	advance_to(100000);
	assert_int_equal(n_sent, 2);
	assert_int_equal(n_events, 3);
}

static void test_cancel_dst(void **state)
{
	struct mesh_acked_params p1 = get_params(0x0005, 1), p2 = get_params(0x0005, 2);
	struct mesh_acked_params p3 = get_params(0x0006, 3), p4 = get_params(0x0005, 4);

	(void)state;
	p4.status_opcode = OP_OTHER;
	p4.no_retries = true;
	request(&p4);
	advance_to(2000); /* p4 timed out: in its late window */
	assert_int_equal(events[0].ev, MESH_ACKED_TIMEOUT);
	request(&p1);
	request(&p2);
	request(&p3);
	assert_int_equal(n_sent, 3);
	mesh_acked_cancel_dst(engine, 0x0005);
	/* Both cancelled, and the queued one was never sent. */
	assert_int_equal(n_events, 3);
	assert_int_equal(events[1].ev, MESH_ACKED_CANCELED);
	assert_int_equal(events[2].ev, MESH_ACKED_CANCELED);
	assert_int_equal(n_sent, 3);
	assert_int_equal(mesh_acked_pending(engine), 1);
	/* The late listener went too. */
	assert_false(status_from(0x0005, OP_OTHER, 0));
	assert_true(status_from(0x0006, OP_STATUS, 0));
	assert_int_equal(events[3].tag, 3);
}

/* --- re-entrancy --------------------------------------------------------- */

static void chain_next(struct event *e)
{
	struct mesh_acked_params p = get_params(0x0005, e->tag + 1);

	if (e->tag < 3 && (e->ev == MESH_ACKED_STATUS || e->ev == MESH_ACKED_TIMEOUT))
		request(&p);
}

static void test_request_from_done(void **state)
{
	struct mesh_acked_params p = get_params(0x0005, 1);

	(void)state;
	on_event_hook = chain_next;
	request(&p);
	assert_true(status_from(0x0005, OP_STATUS, 0));
	/* The follow-up for the same pair went out from inside the callback. */
	assert_int_equal(n_sent, 2);
	assert_int_equal(mesh_acked_pending(engine), 1);
	assert_true(status_from(0x0005, OP_STATUS, 0));
	assert_int_equal(n_sent, 3);
	assert_int_equal(events[1].tag, 2);
	/* A timeout chains as well. */
	advance_to(100000);
	assert_int_equal(events[2].tag, 3);
	assert_int_equal(events[2].ev, MESH_ACKED_TIMEOUT);
	assert_int_equal(mesh_acked_pending(engine), 0);
}

static struct mesh_acked_req *victim;

static void cancel_self_and_victim(struct event *e)
{
	if (e->ev == MESH_ACKED_STATUS && e->tag == 1) {
		mesh_acked_cancel(engine, e->req);   /* itself, mid-collection */
		mesh_acked_cancel(engine, victim);
	}
}

static void test_cancel_from_done(void **state)
{
	struct mesh_acked_params p1 = get_params(0xc001, 1), p2 = get_params(0x0005, 2);

	(void)state;
	on_event_hook = cancel_self_and_victim;
	request(&p1);
	victim = request(&p2);
	assert_true(status_from(0x0007, OP_STATUS, 0));
	assert_int_equal(n_events, 3);
	assert_int_equal(events[0].ev, MESH_ACKED_STATUS);
	assert_int_equal(events[1].tag, 1);
	assert_int_equal(events[1].ev, MESH_ACKED_CANCELED);
	assert_int_equal(events[2].tag, 2);
	assert_int_equal(events[2].ev, MESH_ACKED_CANCELED);
	assert_int_equal(mesh_acked_pending(engine), 0);
	assert_false(status_from(0x0008, OP_STATUS, 0));
	advance_to(200000);
	assert_int_equal(n_events, 3);
}

static void cancel_in_late(struct event *e)
{
	/* Stop listening after a final event: no more LATE reports. */
	if (e->ev == MESH_ACKED_DONE)
		mesh_acked_cancel(engine, e->req);
}

static void test_cancel_finished_in_done(void **state)
{
	struct mesh_acked_params p = get_params(0xc001, 1);

	(void)state;
	on_event_hook = cancel_in_late;
	request(&p);
	advance_to(2000);
	assert_int_equal(events[0].ev, MESH_ACKED_DONE);
	assert_false(status_from(0x0007, OP_STATUS, 0));
	assert_int_equal(n_events, 1);
}

static void request_during_destroy(struct event *e)
{
	struct mesh_acked_params p = get_params(0x0009, 9);

	if (e->ev == MESH_ACKED_CANCELED)
		assert_int_equal(mesh_acked_request(engine, &p, NULL), MESH_ERR_CANCELED);
}

static void test_destroy_with_pending(void **state)
{
	struct mesh_acked_params p1 = get_params(0x0005, 1), p2 = get_params(0x0005, 2);
	struct mesh_acked_params p3 = get_params(0xc000, 3), p4 = get_params(0x0006, 4);

	(void)state;
	p4.no_retries = true;
	request(&p4);
	advance_to(2000);  /* p4 in its late window */
	request(&p1);
	request(&p2);
	request(&p3);
	on_event_hook = request_during_destroy;
	mesh_acked_destroy(engine);
	engine = NULL;
	assert_int_equal(n_events, 4);
	for (size_t i = 1; i < 4; i++)
		assert_int_equal(events[i].ev, MESH_ACKED_CANCELED);
	/* Queued ones first, so cancelling the active one sent nothing. */
	assert_int_equal(events[1].tag, 2);
	assert_int_equal(n_sent, 3);
	/* No timer of the engine is left armed. */
	assert_int_equal(mesh_timers_next_delay(&timers), -1);
}

/* ops->send delivering the status before it returns (local loopback). */
static int loopback_send(void *ctx, const struct mesh_acked_send *s)
{
	(void)ctx;
	capture_send(NULL, s);
	status_from(s->dst, OP_STATUS, 5);
	return 0;
}

static void test_status_from_inside_send(void **state)
{
	static const struct mesh_acked_ops ops = { .send = loopback_send };
	struct mesh_acked_params p = get_params(0x0001, 1);
	struct mesh_acked_req *req;

	(void)state;
	mesh_acked_destroy(engine);
	engine = mesh_acked_create(&timers, &ops);
	assert_non_null(engine);
	assert_int_equal(mesh_acked_request(engine, &p, &req), 0);
	assert_null(req);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].ev, MESH_ACKED_STATUS);
	assert_int_equal(events[0].first_param, 5);
	advance_to(100000);
	assert_int_equal(n_sent, 1);
	assert_int_equal(mesh_acked_pending(engine), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_on_first_try, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries_double_and_time_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_and_no_retries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_on_a_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_same_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_moves_on_after_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unicast_ignores_other_sources_and_keys, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_group_collects_responders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_many_responders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_virtual_destination, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_failure_moves_queue_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_dst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_from_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_from_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_finished_in_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_with_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_from_inside_send, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
