/*
 * Model client (mesh/model_cli.h) on a virtual clock with a capturing
 * send function: TIDs per element and per transaction, acknowledged Sets
 * retried with the same octets and completed by their status, Gets, and
 * unacknowledged Sets repeated with one TID at the requested spacing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/err.h"
#include "mesh/model_cli.h"

#define SENT_MAX 32

struct sent {
	uint64_t at;
	uint16_t src, dst;
	uint8_t payload[32];
	size_t len;
};

static struct mesh_timers timers;
static struct sent sent[SENT_MAX];
static size_t n_sent;
static int events[8];
static size_t n_events;

static int capture(void *ctx, const struct mesh_acked_send *s)
{
	struct sent *out;

	(void)ctx;
	assert_true(n_sent < SENT_MAX);
	out = &sent[n_sent++];
	out->at = mesh_timers_now(&timers);
	out->src = s->src;
	out->dst = s->dst;
	assert_true(s->len <= sizeof(out->payload));
	memcpy(out->payload, s->payload, s->len);
	out->len = s->len;
	return 0;
}

static void on_done(void *ctx, struct mesh_acked_req *req, const struct mesh_acked_result *r)
{
	(void)ctx;
	(void)req;
	if (n_events < 8)
		events[n_events++] = r->event;
}

struct fx {
	struct mesh_acked *acked;
	struct mesh_model_cli *cli;
};

static int setup(void **state)
{
	static struct fx f;
	struct mesh_acked_ops ops = { .send = capture };
	struct mesh_model_cli_config cfg = { .send = capture, .tid_seed = 0xfe };

	mesh_timers_init(&timers, 1000);
	n_sent = 0;
	n_events = 0;
	f.acked = mesh_acked_create(&timers, &ops);
	assert_non_null(f.acked);
	cfg.timers = &timers;
	cfg.acked = f.acked;
	f.cli = mesh_model_cli_create(&cfg);
	assert_non_null(f.cli);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mesh_model_cli_destroy(f->cli);
	mesh_acked_destroy(f->acked);
	return 0;
}

static const struct mesh_model_cli_dst unicast = {
	.net_idx = 0, .src = 0x0001, .dst = 0x0100, .app_idx = 1, .ttl = 0xff,
};

static void test_tids(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mesh_model_cli_next_tid(f->cli, 0x0001), 0xfe);
	assert_int_equal(mesh_model_cli_next_tid(f->cli, 0x0001), 0xff);
	assert_int_equal(mesh_model_cli_next_tid(f->cli, 0x0001), 0x00);   /* wraps */
	/* Another element counts on its own. */
	assert_int_equal(mesh_model_cli_next_tid(f->cli, 0x0002), 0xfe);
	assert_int_equal(mesh_model_cli_next_tid(f->cli, 0x0001), 0x01);
	assert_null(mesh_model_cli_create(&(struct mesh_model_cli_config){ 0 }));
}

static void feed_status(struct fx *f, uint16_t src, const struct mesh_model_msg *st)
{
	uint8_t buf[32];
	int len = mesh_model_msg_encode(st, buf, sizeof(buf));
	struct mesh_access_msg msg = { .app_idx = 1, .src = src, .dst = 0x0001 };
	struct mesh_access_pdu pdu;

	assert_true(len > 0);
	assert_int_equal(mesh_access_parse(buf, (size_t)len, &pdu), 0);
	msg.opcode = pdu.opcode;
	msg.params = pdu.params;
	msg.params_len = pdu.params_len;
	assert_true(mesh_acked_receive(f->acked, &msg));
}

static void test_acked_set_retries_same_tid(void **state)
{
	struct fx *f = *state;
	struct mesh_model_msg m = { .opcode = MESH_OP_GEN_ONOFF_SET, .onoff = 1 };
	struct mesh_model_msg st = { .opcode = MESH_OP_GEN_ONOFF_STATUS, .onoff = 1 };
	struct mesh_model_msg d;

	assert_int_equal(mesh_model_cli_request(f->cli, &unicast, &m, 500, 2, on_done, NULL, NULL),
			 0);
	assert_int_equal(m.tid, 0xfe);
	assert_int_equal(n_sent, 1);
	assert_int_equal(mesh_model_msg_decode(sent[0].payload, sent[0].len, &d), 0);
	assert_int_equal(d.opcode, MESH_OP_GEN_ONOFF_SET);
	assert_int_equal(d.tid, 0xfe);
	mesh_timers_advance(&timers, 1000 + 500);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[1].len, sent[0].len);
	assert_memory_equal(sent[1].payload, sent[0].payload, sent[0].len);
	feed_status(f, 0x0100, &st);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0], MESH_ACKED_STATUS);
	mesh_timers_advance(&timers, 10000);
	assert_int_equal(n_sent, 2);

	/* The next Set is a new transaction. */
	m = (struct mesh_model_msg){ .opcode = MESH_OP_GEN_LEVEL_SET, .level = 5 };
	assert_int_equal(mesh_model_cli_request(f->cli, &unicast, &m, 0, 0, on_done, NULL, NULL),
			 0);
	assert_int_equal(m.tid, 0xff);
}

static void test_get_and_refusals(void **state)
{
	struct fx *f = *state;
	struct mesh_model_msg m = { .opcode = MESH_OP_CTL_GET };
	struct mesh_model_msg st = { .opcode = MESH_OP_CTL_STATUS, .lightness = 1,
				     .temperature = 3000 };

	assert_int_equal(mesh_model_cli_request(f->cli, &unicast, &m, 0, 0, on_done, NULL, NULL),
			 0);
	assert_int_equal(sent[0].len, 2);
	assert_int_equal(sent[0].payload[1], 0x5d);
	feed_status(f, 0x0100, &st);
	assert_int_equal(events[0], MESH_ACKED_STATUS);

	m.opcode = MESH_OP_GEN_ONOFF_SET_UNACK;
	assert_int_equal(mesh_model_cli_request(f->cli, &unicast, &m, 0, 0, on_done, NULL, NULL),
			 MESH_ERR_INVAL);
	m.opcode = MESH_OP_GEN_ONOFF_STATUS;
	assert_int_equal(mesh_model_cli_request(f->cli, &unicast, &m, 0, 0, on_done, NULL, NULL),
			 MESH_ERR_INVAL);
	m = (struct mesh_model_msg){ .opcode = MESH_OP_GEN_ONOFF_SET, .onoff = 2 };
	assert_int_equal(mesh_model_cli_request(f->cli, &unicast, &m, 0, 0, on_done, NULL, NULL),
			 MESH_ERR_RESERVED);
	m.opcode = MESH_OP_GEN_ONOFF_GET;
	assert_int_equal(mesh_model_cli_set_unack(f->cli, &unicast, &m, 0, 0), MESH_ERR_INVAL);
}

static void test_unack_repeats(void **state)
{
	struct fx *f = *state;
	struct mesh_model_cli_dst group = unicast;
	struct mesh_model_msg m = { .opcode = MESH_OP_LIGHTNESS_SET, .lightness = 0x8000,
				    .has_transition = true, .transition = 0x05 };
	struct mesh_model_msg d;

	group.dst = 0xc000;
	assert_int_equal(mesh_model_cli_set_unack(f->cli, &group, &m, 2, 100), 0);
	assert_int_equal(m.opcode, MESH_OP_LIGHTNESS_SET_UNACK);
	assert_int_equal(n_sent, 1);
	assert_int_equal(mesh_model_cli_pending(f->cli), 2);
	mesh_timers_advance(&timers, 1099);
	assert_int_equal(n_sent, 1);
	mesh_timers_advance(&timers, 1100);
	assert_int_equal(n_sent, 2);
	mesh_timers_advance(&timers, 1300);
	assert_int_equal(n_sent, 3);
	assert_int_equal(mesh_model_cli_pending(f->cli), 0);
	mesh_timers_advance(&timers, 5000);
	assert_int_equal(n_sent, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(sent[i].dst, 0xc000);
		assert_int_equal(sent[i].at, 1000 + 100 * i);
		assert_memory_equal(sent[i].payload, sent[0].payload, sent[0].len);
	}
	assert_int_equal(mesh_model_msg_decode(sent[0].payload, sent[0].len, &d), 0);
	assert_int_equal(d.tid, 0xfe);
	assert_int_equal(d.lightness, 0x8000);
	assert_true(d.has_transition);

	/* A second press: a new TID; destroy drops its unsent repeats. */
	assert_int_equal(mesh_model_cli_set_unack(f->cli, &group, &m, 3, 100), 0);
	assert_int_equal(m.tid, 0xff);
	assert_int_equal(mesh_model_cli_pending(f->cli), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acked_set_retries_same_tid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_and_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unack_repeats, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
