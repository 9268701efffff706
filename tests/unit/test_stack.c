/*
 * Whole-stack tests: three nodes (A, B, C) joined by an in-memory "air".
 *
 * A node's bearer_send puts the PDU in a queue; a timer on the shared
 * struct mesh_timers delivers the queue 1 ms later to every node linked to
 * the sender, so a test runs a scenario by moving time forward and every
 * run is the same. The links matrix decides who hears whom, which is how
 * the relay tests keep A and B apart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/addr.h"
#include "mesh/err.h"
#include "mesh/stack.h"

#define NODES 3
#define A 0
#define B 1
#define C 2
#define AIR_QUEUE 256
#define AIR_LOG 64
#define AIR_DELAY_MS 1

#define NET_IDX 0x000
#define APP_IDX 0x123
#define GROUP 0xc001
#define OP_TEST MESH_OP_2(0x82, 0x01)
#define OP_DEV MESH_OP_2(0x80, 0x08)
#define OP_DEV_STATUS MESH_OP_2(0x80, 0x09)

static const uint8_t net_key[MESH_KEY_LEN] = {
	0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
	0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6,
};
static const uint8_t app_key[MESH_KEY_LEN] = {
	0x63, 0x96, 0x47, 0x71, 0x73, 0x4f, 0xbd, 0x76,
	0xe3, 0xb4, 0x05, 0x19, 0xd1, 0xd9, 0x4a, 0x48,
};
static const uint8_t label[MESH_LABEL_UUID_LEN] = {
	0xf4, 0xa0, 0x02, 0xc7, 0xfb, 0x1e, 0x4c, 0xa0,
	0xa4, 0x69, 0xa0, 0x21, 0xde, 0x0d, 0xb8, 0x75,
};
static const uint8_t other_label[MESH_LABEL_UUID_LEN] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
};

/* What one model's handler saw. */
struct model_rx {
	unsigned int count;
	struct mesh_access_msg msg;
	uint8_t params[MESH_ACCESS_MAX_PAYLOAD];
	bool has_label;
	uint8_t label[MESH_LABEL_UUID_LEN];
};

struct node {
	int id;
	struct mesh_stack stack;
	/* element 0: srv (AppKey) and cfg (device key); element 1: srv2 */
	struct mesh_model srv, srv2, cfg;
	struct model_rx srv_rx, srv2_rx, cfg_rx;
	unsigned int traces;
	struct mesh_stack_trace trace;
	unsigned int hb_count;
	struct mesh_stack_hb_rx hb;
	unsigned int access_rx_count;
	unsigned int done_calls;
	int done_err;
	unsigned int beacons;  /* secure network beacons it sent */
	uint8_t beacon[MESH_BEACON_SECURE_LEN];  /* the last of them */
	unsigned int sent;  /* PDUs this node put on the air */
	unsigned int relay_sent; /* of those, through ops->relay_send */
};

struct air_pdu {
	int from;
	size_t len;
	uint8_t pdu[MESH_NET_MAX_PDU];
};

static struct mesh_timers timers;
static struct node nodes[NODES];
static bool links[NODES][NODES];
static struct air_pdu air[AIR_QUEUE];
static unsigned int air_head, air_count;
static struct mesh_timer air_timer;
/* Every PDU ever sent, for replay and forgery. */
static struct air_pdu air_log[AIR_LOG];
static unsigned int air_logged;

/* ---- the air ----------------------------------------------------------- */

static void air_fire(struct mesh_timer *t)
{
	/* Only what was on the air when the timer fired: answers go out in
	 * the next slot, as they would on a radio. */
	unsigned int n = air_count;

	(void)t;
	while (n--) {
		struct air_pdu p = air[air_head];

		air_head = (air_head + 1) % AIR_QUEUE;
		air_count--;
		for (int to = 0; to < NODES; to++) {
			if (to != p.from && links[p.from][to])
				mesh_stack_net_receive(&nodes[to].stack, p.pdu, p.len);
		}
	}
	if (air_count)
		mesh_timer_start(&timers, &air_timer, AIR_DELAY_MS);
}

static int air_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct node *n = ctx;
	struct air_pdu *p;

	assert_true(len <= MESH_NET_MAX_PDU);
	assert_true(air_count < AIR_QUEUE);
	p = &air[(air_head + air_count++) % AIR_QUEUE];
	p->from = n->id;
	p->len = len;
	memcpy(p->pdu, pdu, len);
	if (air_logged < AIR_LOG)
		air_log[air_logged++] = *p;
	n->sent++;
	if (!mesh_timer_armed(&air_timer))
		mesh_timer_start(&timers, &air_timer, AIR_DELAY_MS);
	return 0;
}

static void link_nodes(int a, int b, bool on)
{
	links[a][b] = on;
	links[b][a] = on;
}

static void run(uint32_t ms)
{
	mesh_timers_advance(&timers, mesh_timers_now(&timers) + ms);
}

/* ---- hooks ------------------------------------------------------------- */

static void on_send_done(void *ctx, void *cookie, int err)
{
	struct node *n = ctx;

	(void)cookie;
	n->done_calls++;
	n->done_err = err;
}

static void on_heartbeat(void *ctx, const struct mesh_stack_hb_rx *hb)
{
	struct node *n = ctx;

	n->hb_count++;
	n->hb = *hb;
}

static void on_access_rx(void *ctx, const struct mesh_access_msg *meta,
			 const uint8_t *payload, size_t len)
{
	struct node *n = ctx;

	(void)meta;
	(void)payload;
	(void)len;
	n->access_rx_count++;
}

static void on_trace(void *ctx, const struct mesh_stack_trace *t)
{
	struct node *n = ctx;

	n->traces++;
	n->trace = *t;
}

static int on_beacon(void *ctx, const uint8_t *beacon, size_t len)
{
	struct node *n = ctx;

	assert_int_equal(len, MESH_BEACON_SECURE_LEN);
	memcpy(n->beacon, beacon, len);
	n->beacons++;
	return 0;
}

static const struct mesh_stack_ops node_ops = {
	.bearer_send = air_send,
	.beacon_send = on_beacon,
	.send_done = on_send_done,
	.heartbeat = on_heartbeat,
	.access_rx = on_access_rx,
	.rx_trace = on_trace,
};

static int model_handler(struct mesh_model *m, const struct mesh_access_msg *msg)
{
	struct model_rx *rx = m->user_data;

	rx->count++;
	rx->msg = *msg;
	assert_true(msg->params_len <= sizeof(rx->params));
	memcpy(rx->params, msg->params, msg->params_len);
	rx->msg.params = rx->params;
	rx->has_label = msg->label_uuid != NULL;
	if (msg->label_uuid)
		memcpy(rx->label, msg->label_uuid, MESH_LABEL_UUID_LEN);
	return 0;
}

static const struct mesh_access_op srv_ops[] = {
	{ OP_TEST, 0, 0, model_handler },
	{ 0, 0, 0, NULL },
};

static const struct mesh_access_op cfg_ops[] = {
	{ OP_DEV, 0, 0, model_handler },
	{ OP_DEV_STATUS, 0, 0, model_handler },
	{ 0, 0, 0, NULL },
};

/* ---- setup ------------------------------------------------------------- */

static uint16_t node_addr(int i)
{
	return (uint16_t)(0x0100 * (i + 1));
}

static void dev_key_of(int i, uint8_t key[MESH_KEY_LEN])
{
	for (int k = 0; k < MESH_KEY_LEN; k++)
		key[k] = (uint8_t)(0x10 * (i + 1) + k);
}

static void node_models(struct node *n)
{
	struct mesh_access *acc = &n->stack.access;

	n->srv = (struct mesh_model){
		.id = mesh_model_id_sig(0x1000), .ops = srv_ops, .user_data = &n->srv_rx,
	};
	n->srv2 = (struct mesh_model){
		.id = mesh_model_id_sig(0x1000), .ops = srv_ops, .user_data = &n->srv2_rx,
	};
	n->cfg = (struct mesh_model){
		.id = mesh_model_id_sig(0x0000), .ops = cfg_ops, .dev_key = true,
		.user_data = &n->cfg_rx,
	};
	assert_int_equal(mesh_access_model_add(acc, 0, &n->srv), 0);
	assert_int_equal(mesh_access_model_add(acc, 0, &n->cfg), 0);
	assert_int_equal(mesh_access_model_add(acc, 1, &n->srv2), 0);
	assert_int_equal(mesh_model_bind(&n->srv, APP_IDX), 0);
	assert_int_equal(mesh_model_bind(&n->srv2, APP_IDX), 0);
}

static void node_setup(int i)
{
	struct node *n = &nodes[i];
	uint8_t dk[MESH_KEY_LEN];

	memset(n, 0, sizeof(*n));
	n->id = i;
	assert_int_equal(mesh_stack_init(&n->stack, &timers, NULL, &node_ops, n), 0);
	assert_int_equal(mesh_stack_set_address(&n->stack, node_addr(i), 2), 0);
	assert_int_equal(mesh_stack_net_key_add(&n->stack, NET_IDX, net_key), 0);
	assert_int_equal(mesh_stack_app_key_add(&n->stack, APP_IDX, NET_IDX, app_key), 0);
	dev_key_of(i, dk);
	assert_int_equal(mesh_stack_dev_key_add(&n->stack, node_addr(i), 2, dk), 0);
	node_models(n);
}

static int setup(void **state)
{
	(void)state;
	mesh_timers_init(&timers, 1000);
	mesh_timer_init(&air_timer, air_fire);
	air_head = air_count = air_logged = 0;
	memset(links, 0, sizeof(links));
	for (int i = 0; i < NODES; i++)
		node_setup(i);
	/* A is the provisioner: it holds B's device key. */
	{
		uint8_t dk[MESH_KEY_LEN];

		dev_key_of(B, dk);
		assert_int_equal(mesh_stack_dev_key_add(&nodes[A].stack, node_addr(B), 2, dk), 0);
	}
	link_nodes(A, B, true);
	link_nodes(B, C, true);
	link_nodes(A, C, true);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NODES; i++)
		mesh_stack_cleanup(&nodes[i].stack);
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

/* Send OP_TEST || params from A's primary element. */
static int send_app(int from, uint16_t dst, const uint8_t *label_uuid, uint8_t ttl,
		    const uint8_t *params, size_t params_len)
{
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	struct mesh_stack_access_tx tx = {
		.net_idx = NET_IDX,
		.src = node_addr(from),
		.dst = dst,
		.label_uuid = label_uuid,
		.ttl = ttl,
		.app_idx = APP_IDX,
		.payload = payload,
	};
	int len = mesh_access_compose(OP_TEST, params, params_len, payload, sizeof(payload));

	assert_true(len > 0);
	tx.len = (size_t)len;
	return mesh_stack_send_access(&nodes[from].stack, &tx, NULL);
}

static const uint8_t hello[] = { 'h', 'e', 'l', 'l', 'o' };

/* ---- tests ------------------------------------------------------------- */

static void test_app_key_unicast(void **state)
{
	struct node *b = &nodes[B], *c = &nodes[C];

	(void)state;
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	assert_int_equal(nodes[A].done_calls, 1);
	assert_int_equal(nodes[A].done_err, 0);
	run(10);

	assert_int_equal(b->srv_rx.count, 1);
	assert_int_equal(b->srv_rx.msg.opcode, OP_TEST);
	assert_int_equal(b->srv_rx.msg.params_len, sizeof(hello));
	assert_memory_equal(b->srv_rx.params, hello, sizeof(hello));
	assert_int_equal(b->srv_rx.msg.src, node_addr(A));
	assert_int_equal(b->srv_rx.msg.dst, node_addr(B));
	assert_int_equal(b->srv_rx.msg.app_idx, APP_IDX);
	assert_int_equal(b->srv_rx.msg.net_idx, NET_IDX);
	assert_int_equal(b->srv_rx.msg.ttl, 7);
	assert_int_equal(b->srv2_rx.count, 0);
	assert_int_equal(b->cfg_rx.count, 0);
	assert_int_equal(b->trace.layer, MESH_STACK_ACCESS);
	assert_int_equal(b->trace.err, 0);

	/* C heard it too but it is not addressed to C. */
	assert_int_equal(c->srv_rx.count, 0);
	assert_int_equal(c->trace.layer, MESH_STACK_NET);
	assert_int_equal(c->trace.err, MESH_ERR_DST);
	assert_true(c->trace.authenticated);
}

static void test_segmented_long(void **state)
{
	struct node *a = &nodes[A], *b = &nodes[B];
	uint8_t big[200];

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, big,
				  sizeof(big)), 0);
	assert_int_equal(a->done_calls, 0);
	run(5000);

	assert_int_equal(b->srv_rx.count, 1);
	assert_int_equal(b->srv_rx.msg.params_len, sizeof(big));
	assert_memory_equal(b->srv_rx.params, big, sizeof(big));
	assert_int_equal(b->srv_rx.msg.app_idx, APP_IDX);
	/* Acknowledged: A's send completed successfully through SAR acks. */
	assert_int_equal(a->done_calls, 1);
	assert_int_equal(a->done_err, 0);
	assert_true(a->stack.lt.stats.ack_received >= 1);
	assert_true(b->stack.lt.stats.ack_sent >= 1);
	assert_int_equal(mesh_lt_tx_in_use(&a->stack.lt), 0);
	assert_int_equal(mesh_lt_rx_in_use(&b->stack.lt), 0);
	/* 202 + 4 octets in 12-octet segments. */
	assert_int_equal(a->stack.lt.stats.seg_sent, 18);
}

static void test_group(void **state)
{
	struct node *b = &nodes[B], *c = &nodes[C];

	(void)state;
	assert_int_equal(mesh_model_sub_add(&b->srv2, GROUP, NULL), 0);
	assert_int_equal(send_app(A, GROUP, NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);

	assert_int_equal(b->srv2_rx.count, 1);
	assert_int_equal(b->srv2_rx.msg.dst, GROUP);
	assert_memory_equal(b->srv2_rx.params, hello, sizeof(hello));
	assert_int_equal(b->srv_rx.count, 0);
	assert_int_equal(c->srv_rx.count + c->srv2_rx.count, 0);
	assert_int_equal(c->trace.err, MESH_ERR_DST);

	/* All-nodes always reaches the primary element. */
	assert_int_equal(send_app(A, MESH_ADDR_ALL_NODES, NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 1);
	assert_int_equal(c->srv_rx.count, 1);
	assert_int_equal(b->srv2_rx.count, 1);
}

static void test_virtual(void **state)
{
	struct node *b = &nodes[B];
	uint16_t va, other_va;

	(void)state;
	assert_int_equal(mesh_stack_label_add(&b->stack, label, &va), 0);
	assert_true(mesh_addr_is_virtual(va));
	assert_int_equal(mesh_model_sub_add(&b->srv, va, label), 0);
	assert_int_equal(send_app(A, va, label, MESH_STACK_TTL_DEFAULT, hello, sizeof(hello)),
			 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 1);
	assert_int_equal(b->srv_rx.msg.dst, va);
	assert_true(b->srv_rx.has_label);
	assert_memory_equal(b->srv_rx.label, label, MESH_LABEL_UUID_LEN);

	/* Another label is another address B does not subscribe to. */
	assert_int_equal(mesh_virtual_address(other_label, &other_va), 0);
	assert_int_not_equal(other_va, va);
	assert_int_equal(send_app(A, other_va, other_label, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 1);
	assert_int_equal(b->trace.err, MESH_ERR_DST);
}

static void test_dev_key(void **state)
{
	struct node *a = &nodes[A], *b = &nodes[B];
	uint8_t payload[8];
	struct mesh_stack_access_tx tx = {
		.net_idx = NET_IDX,
		.src = node_addr(A),
		.dst = node_addr(B),
		.ttl = MESH_STACK_TTL_DEFAULT,
		.dev_key = true,
		.payload = payload,
	};
	int len = mesh_access_compose(OP_DEV, hello, sizeof(hello), payload, sizeof(payload));

	(void)state;
	tx.len = (size_t)len;
	assert_int_equal(mesh_stack_send_access(&a->stack, &tx, NULL), 0);
	run(10);
	assert_int_equal(b->cfg_rx.count, 1);
	assert_int_equal(b->cfg_rx.msg.app_idx, MESH_KEY_IDX_DEV);
	assert_int_equal(b->cfg_rx.msg.src, node_addr(A));
	assert_memory_equal(b->cfg_rx.params, hello, sizeof(hello));
	assert_int_equal(b->srv_rx.count, 0);

	/* B answers with its own device key, which A holds for B. */
	len = mesh_access_compose(OP_DEV_STATUS, hello, 1, payload, sizeof(payload));
	tx.src = node_addr(B);
	tx.dst = node_addr(A);
	tx.len = (size_t)len;
	assert_int_equal(mesh_stack_send_access(&b->stack, &tx, NULL), 0);
	run(10);
	assert_int_equal(a->cfg_rx.count, 1);
	assert_int_equal(a->cfg_rx.msg.opcode, OP_DEV_STATUS);
	assert_int_equal(a->cfg_rx.msg.app_idx, MESH_KEY_IDX_DEV);

	/* C has neither key: the TransMIC stops it at the upper transport. */
	tx.src = node_addr(A);
	tx.dst = node_addr(C);
	tx.dev_addr = node_addr(B);
	assert_int_equal(mesh_stack_send_access(&a->stack, &tx, NULL), 0);
	run(10);
	assert_int_equal(nodes[C].cfg_rx.count, 0);
	assert_int_equal(nodes[C].trace.layer, MESH_STACK_UPPER);
	assert_int_equal(nodes[C].trace.err, MESH_ERR_TRANSMIC);
}

/* A - C - B: A and B only hear each other through C. */
static void relay_topology(void)
{
	link_nodes(A, B, false);
	mesh_stack_set_relay(&nodes[C].stack, true);
}

static void test_relay(void **state)
{
	struct node *b = &nodes[B], *c = &nodes[C];

	(void)state;
	relay_topology();
	assert_int_equal(send_app(A, node_addr(B), NULL, 5, hello, sizeof(hello)), 0);
	run(10);
	assert_true(c->trace.relayed);
	assert_int_equal(c->trace.err, 0);
	assert_int_equal(c->sent, 1);
	assert_int_equal(b->srv_rx.count, 1);
	assert_int_equal(b->srv_rx.msg.ttl, 4);
	assert_int_equal(b->srv_rx.msg.src, node_addr(A));

	/* B hears C's copy, C hears B's nothing; A's own echo from C is in
	 * A's cache and never processed again. */
	assert_int_equal(nodes[A].trace.err, MESH_ERR_CACHED);

	/* A long message through the relay, acks relayed back. */
	{
		uint8_t big[100];

		memset(big, 0x5a, sizeof(big));
		assert_int_equal(send_app(A, node_addr(B), NULL, 5, big, sizeof(big)), 0);
		run(5000);
		assert_int_equal(b->srv_rx.count, 2);
		assert_memory_equal(b->srv_rx.params, big, sizeof(big));
		assert_int_equal(nodes[A].done_err, 0);
	}
}

static int air_relay_send(void *ctx, const uint8_t *pdu, size_t len)
{
	((struct node *)ctx)->relay_sent++;
	return air_send(ctx, pdu, len);
}

/* With ops->relay_send, relayed PDUs (and only they) go there, so the
 * bearer can use the Relay Retransmit state for them. */
static void test_relay_send_hook(void **state)
{
	static struct mesh_stack_ops relay_hook_ops;
	struct node *b = &nodes[B], *c = &nodes[C];

	(void)state;
	relay_hook_ops = node_ops;
	relay_hook_ops.relay_send = air_relay_send;
	c->stack.ops = &relay_hook_ops;
	relay_topology();
	assert_int_equal(send_app(A, node_addr(B), NULL, 5, hello, sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 1);
	assert_true(c->trace.relayed);
	assert_int_equal(c->relay_sent, 1);
	assert_int_equal(c->sent, 1);
	/* C's own message goes through bearer_send. */
	assert_int_equal(send_app(C, node_addr(B), NULL, 5, hello, sizeof(hello)), 0);
	run(10);
	assert_int_equal(c->sent, 2);
	assert_int_equal(c->relay_sent, 1);
}

static void test_ttl1_not_relayed(void **state)
{
	struct node *b = &nodes[B], *c = &nodes[C];

	(void)state;
	relay_topology();
	assert_int_equal(send_app(A, node_addr(B), NULL, 1, hello, sizeof(hello)), 0);
	run(10);
	assert_false(c->trace.relayed);
	assert_int_equal(c->trace.ttl, 1);
	assert_int_equal(c->sent, 0);
	assert_int_equal(b->traces, 0);
	assert_int_equal(b->srv_rx.count, 0);
}

/* The network PDU A last sent. */
static struct air_pdu last_from(int node)
{
	for (unsigned int i = air_logged; i-- > 0;) {
		if (air_log[i].from == node)
			return air_log[i];
	}
	fail_msg("node %d sent nothing", node);
	return air_log[0];
}

static void test_replay(void **state)
{
	struct node *b = &nodes[B];
	struct air_pdu p;

	(void)state;
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 1);
	p = last_from(A);

	/* At once: the network message cache still knows it. */
	assert_int_equal(mesh_stack_net_receive(&b->stack, p.pdu, p.len), MESH_ERR_CACHED);
	assert_int_equal(b->trace.layer, MESH_STACK_NET);

	/* Later, once the cache has forgotten it: the RPL drops it. */
	run(60000);
	mesh_net_cache_init(&b->stack.net.cache, 0x5eed);
	assert_int_equal(mesh_stack_net_receive(&b->stack, p.pdu, p.len), MESH_ERR_REPLAY);
	assert_int_equal(b->trace.layer, MESH_STACK_RPL);
	assert_int_equal(b->trace.err, MESH_ERR_REPLAY);
	assert_int_equal(b->trace.src, node_addr(A));
	assert_int_equal(b->srv_rx.count, 1);

	/* A's next message is still fine. */
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 2);
}

static void test_segmented_replay(void **state)
{
	struct node *b = &nodes[B];
	struct air_pdu segs[AIR_LOG];
	unsigned int n = 0;
	uint8_t big[40];

	(void)state;
	memset(big, 0xc3, sizeof(big));
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, big,
				  sizeof(big)), 0);
	run(5000);
	assert_int_equal(b->srv_rx.count, 1);
	for (unsigned int i = 0; i < air_logged; i++) {
		if (air_log[i].from == A)
			segs[n++] = air_log[i];
	}
	assert_true(n >= 4);

	/* Replay every segment with a fresh cache and a forgetful SAR. */
	mesh_net_cache_init(&b->stack.net.cache, 1);
	mesh_lt_cleanup(&b->stack.lt);
	memset(b->stack.lt.done, 0, sizeof(b->stack.lt.done));
	for (unsigned int i = 0; i < n; i++)
		mesh_stack_net_receive(&b->stack, segs[i].pdu, segs[i].len);
	run(5000);
	assert_int_equal(b->srv_rx.count, 1);
}

static void test_forged(void **state)
{
	struct node *b = &nodes[B];
	struct mesh_rpl_entry before;
	const struct mesh_rpl_entry *e;
	struct air_pdu p;

	(void)state;
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 1);
	e = mesh_rpl_find(&b->stack.rpl, node_addr(A));
	assert_non_null(e);
	before = *e;

	/* A new message B has not heard yet, with one bit flipped. */
	link_nodes(A, B, false);
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	p = last_from(A);
	p.pdu[12] ^= 0x04;
	assert_int_equal(mesh_stack_net_receive(&b->stack, p.pdu, p.len), MESH_ERR_NETMIC);
	assert_int_equal(b->trace.layer, MESH_STACK_NET);
	assert_int_equal(b->trace.err, MESH_ERR_NETMIC);
	assert_false(b->trace.authenticated);
	assert_memory_equal(mesh_rpl_find(&b->stack.rpl, node_addr(A)), &before, sizeof(before));

	/* The genuine PDU still goes through. */
	p.pdu[12] ^= 0x04;
	assert_int_equal(mesh_stack_net_receive(&b->stack, p.pdu, p.len), 0);
	assert_int_equal(b->srv_rx.count, 2);
}

/* Someone with the NetKey but not the AppKey cannot move the RPL. */
static void test_forged_transmic(void **state)
{
	struct node *b = &nodes[B];
	struct mesh_subnet *sub = mesh_subnet_find(&b->stack.net.subnets, NET_IDX);
	struct mesh_app_key *ak = mesh_app_keys_get(&b->stack.app_keys, APP_IDX);
	uint8_t transport[MESH_NET_MAX_TRANSPORT];
	uint8_t pdu[MESH_NET_MAX_PDU];
	struct mesh_net_tx tx = {
		.ttl = 3,
		.seq = 0x100000,
		.src = node_addr(A),
		.dst = node_addr(B),
		.transport = transport,
		.transport_len = 10,
	};
	size_t len;

	(void)state;
	memset(transport, 0xee, sizeof(transport));
	transport[0] = (uint8_t)(0x40 | ak->val[0].aid);  /* AKF, right AID */
	assert_int_equal(mesh_net_pdu_encode(&mesh_subnet_tx_keys(sub)->cred,
					     mesh_iv_tx_index(&b->stack.net.iv), &tx, pdu, &len),
			 0);
	assert_int_equal(mesh_stack_net_receive(&b->stack, pdu, len), MESH_ERR_TRANSMIC);
	assert_int_equal(b->trace.layer, MESH_STACK_UPPER);
	assert_null(mesh_rpl_find(&b->stack.rpl, node_addr(A)));

	/* A's genuine low SEQs are not locked out. */
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 1);
	assert_true(mesh_rpl_find(&b->stack.rpl, node_addr(A))->seq < 0x100000);
}

static void test_heartbeat(void **state)
{
	struct node *b = &nodes[B];

	(void)state;
	relay_topology();
	assert_int_equal(mesh_stack_send_heartbeat(&nodes[A].stack, NET_IDX, node_addr(B), 5,
						   MESH_FEAT_RELAY, NULL), 0);
	run(10);
	assert_int_equal(b->hb_count, 1);
	assert_int_equal(b->hb.src, node_addr(A));
	assert_int_equal(b->hb.dst, node_addr(B));
	assert_int_equal(b->hb.rx_ttl, 4);
	assert_int_equal(b->hb.hops, 2);
	assert_int_equal(b->hb.hb.init_ttl, 5);
	assert_int_equal(b->hb.hb.features, MESH_FEAT_RELAY);
	assert_int_equal(b->trace.layer, MESH_STACK_CONTROL);
	assert_int_equal(b->trace.err, 0);
	assert_non_null(mesh_rpl_find(&b->stack.rpl, node_addr(A)));
}

/* A monitor sees everything and never speaks for others. */
static void test_accept_all(void **state)
{
	struct node *c = &nodes[C];
	uint8_t big[60];

	(void)state;
	mesh_stack_set_accept_all(&c->stack, true);
	memset(big, 0x11, sizeof(big));
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, big,
				  sizeof(big)), 0);
	run(5000);
	assert_int_equal(nodes[B].srv_rx.count, 1);
	assert_int_equal(c->access_rx_count, 1);
	assert_int_equal(c->srv_rx.count, 0);
	assert_int_equal(c->sent, 0);
	assert_int_equal(nodes[A].done_err, 0);
}

static void test_send_errors(void **state)
{
	struct node *a = &nodes[A];
	struct mesh_stack_access_tx tx = {
		.net_idx = NET_IDX,
		.src = 0x0300,  /* C's, not ours */
		.dst = node_addr(B),
		.ttl = MESH_STACK_TTL_DEFAULT,
		.app_idx = APP_IDX,
		.payload = hello,
		.len = sizeof(hello),
	};

	(void)state;
	assert_int_equal(mesh_stack_send_access(&a->stack, &tx, NULL), MESH_ERR_SRC);
	tx.src = node_addr(A);
	tx.net_idx = 0x001;
	assert_int_equal(mesh_stack_send_access(&a->stack, &tx, NULL), MESH_ERR_KEY_INDEX);
	tx.net_idx = NET_IDX;
	tx.app_idx = 0x456;
	assert_int_equal(mesh_stack_send_access(&a->stack, &tx, NULL), MESH_ERR_KEY_INDEX);
	tx.app_idx = APP_IDX;
	tx.ttl = 200;
	assert_int_equal(mesh_stack_send_access(&a->stack, &tx, NULL), MESH_ERR_INVAL);
	assert_int_equal(mesh_stack_set_address(&a->stack, 0x7fff, 2), MESH_ERR_SRC);
	assert_int_equal(mesh_stack_set_address(&a->stack, 0x0100, 1), MESH_ERR_INVAL);
}

/*
 * seg0 (SEQ n), an unsegmented message (SEQ n + 1), seg1 (SEQ n + 2) from
 * one source: both messages arrive. SeqAuth is compared with the previous
 * segmented message only (3.5.3.4), not with the last SEQ.
 */
static void test_interleaved_seg_unseg(void **state)
{
	struct node *a = &nodes[A], *b = &nodes[B];
	const struct mesh_rpl_entry *e;
	uint8_t mid[15];

	(void)state;
	memset(mid, 0x3c, sizeof(mid));
	/* 2 + 15 octets of access payload and the TransMIC: two segments */
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, mid,
				  sizeof(mid)), 0);
	assert_int_equal(a->stack.lt.stats.seg_sent, 1);  /* seg1 follows in 60 ms */
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(5000);

	assert_int_equal(b->srv_rx.count, 2);
	assert_int_equal(b->srv_rx.msg.params_len, sizeof(mid));
	assert_memory_equal(b->srv_rx.params, mid, sizeof(mid));
	assert_int_equal(a->done_calls, 2);
	assert_int_equal(a->done_err, 0);
	assert_int_equal(a->stack.lt.stats.seg_resent, 0);
	e = mesh_rpl_find(&b->stack.rpl, node_addr(A));
	assert_non_null(e);
	assert_true(e->has_seg);
	assert_int_equal(e->seq, 2);
	assert_int_equal(e->seg_seq_auth, mesh_seq_auth(e->iv_index, 0));
}

/* A segment as src under B's NetKey, its upper transport PDU garbage with
 * the right AID: what someone holding the NetKey but no AppKey can make. */
static size_t forge_segment(uint16_t src, uint32_t seq, uint8_t seg_n, uint8_t *pdu)
{
	struct node *b = &nodes[B];
	struct mesh_subnet *sub = mesh_subnet_find(&b->stack.net.subnets, NET_IDX);
	struct mesh_app_key *ak = mesh_app_keys_get(&b->stack.app_keys, APP_IDX);
	uint8_t garbage[12], transport[MESH_NET_MAX_TRANSPORT];
	struct mesh_lt_pdu p = {
		.seg = true,
		.akf = true,
		.aid = ak->val[0].aid,
		.seq_zero = seq & MESH_LT_SEQ_ZERO_MASK,
		.seg_o = 0,
		.seg_n = seg_n,
		.payload = garbage,
		.payload_len = seg_n ? 12 : 8,
	};
	struct mesh_net_tx tx = {
		.ttl = 3,
		.seq = seq,
		.src = src,
		.dst = node_addr(B),
		.transport = transport,
	};
	size_t len;
	int n;

	memset(garbage, 0xee, sizeof(garbage));
	n = mesh_lt_encode(&p, transport, sizeof(transport));
	assert_true(n > 0);
	tx.transport_len = (size_t)n;
	assert_int_equal(mesh_net_pdu_encode(&mesh_subnet_tx_keys(sub)->cred,
					     mesh_iv_tx_index(&b->stack.net.iv), &tx, pdu, &len),
			 0);
	return len;
}

/*
 * Forged segmented messages from an impersonated source, far ahead in SEQ:
 * one the upper transport refuses, one that never completes. Neither may
 * make the genuine source's later (lower SeqAuth) messages obsolete.
 */
static void test_forged_segment_no_lockout(void **state)
{
	struct node *a = &nodes[A], *b = &nodes[B];
	uint8_t pdu[MESH_NET_MAX_PDU], big[40];
	size_t len;

	(void)state;
	len = forge_segment(node_addr(A), 0xfff000, 0, pdu);
	assert_int_equal(mesh_stack_net_receive(&b->stack, pdu, len), MESH_ERR_TRANSMIC);
	assert_int_equal(b->trace.layer, MESH_STACK_UPPER);
	assert_null(mesh_rpl_find(&b->stack.rpl, node_addr(A)));
	assert_int_equal(b->stack.lt.stats.rx_refused, 1);

	/* The first segment of two; the second never comes. */
	len = forge_segment(node_addr(A), 0xfff010, 1, pdu);
	assert_int_equal(mesh_stack_net_receive(&b->stack, pdu, len), 0);
	run(11000);
	assert_int_equal(b->stack.lt.stats.rx_discarded, 1);
	assert_null(mesh_rpl_find(&b->stack.rpl, node_addr(A)));

	/* A's genuine segmented message, SEQ from 0. */
	memset(big, 0x77, sizeof(big));
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, big,
				  sizeof(big)), 0);
	run(5000);
	assert_int_equal(b->srv_rx.count, 1);
	assert_memory_equal(b->srv_rx.params, big, sizeof(big));
	assert_int_equal(a->done_calls, 1);
	assert_int_equal(a->done_err, 0);
	assert_true(mesh_rpl_find(&b->stack.rpl, node_addr(A))->seq < 0xfff000);
}

/* Node i reset and provisioned again at its old addresses, long after:
 * its SEQ restarts at 0 and B's message cache no longer knows the old SEQs. */
static void reprovision_long_after(int i)
{
	mesh_stack_cleanup(&nodes[i].stack);
	node_setup(i);
	mesh_net_cache_init(&nodes[B].stack.net.cache, 0x5eed);
}

/* A full replay list keeps new sources out (it never evicts: rpl.c) and
 * says so in the trace, which is how the gateway tells the user; a source
 * it knows is still heard, and room made by a removal lets the new one in. */
static void test_rpl_full_drops_new_sources(void **state)
{
	struct node *b = &nodes[B];
	uint32_t iv = b->stack.net.iv.index;

	(void)state;
	assert_int_equal(send_app(C, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 1);
	for (uint16_t a = 0x6000; b->stack.rpl.count < MESH_RPL_MAX; a++)
		assert_int_equal(mesh_rpl_accept(&b->stack.rpl, a, iv, 1), 0);

	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 1);
	assert_int_equal(b->trace.layer, MESH_STACK_RPL);
	assert_int_equal(b->trace.err, MESH_ERR_FULL);
	assert_int_equal(b->trace.src, node_addr(A));
	assert_null(mesh_rpl_find(&b->stack.rpl, node_addr(A)));

	assert_int_equal(send_app(C, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 2);

	assert_int_equal(mesh_rpl_remove(&b->stack.rpl, 0x6000), 0);
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 3);
	assert_int_equal(b->trace.err, 0);
}

/* A node reset and provisioned again at the same address restarts SEQ at
 * 0; once its RPL entry is removed its messages are accepted again. */
static void test_rpl_remove_reprovisioned(void **state)
{
	struct node *b = &nodes[B];
	static const uint8_t again[] = { 'a', 'g', 'a', 'i', 'n' };

	(void)state;
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 2);

	reprovision_long_after(A);
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, again,
				  sizeof(again)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 2);
	assert_int_equal(b->trace.err, MESH_ERR_REPLAY);

	assert_int_equal(mesh_rpl_remove(&b->stack.rpl, node_addr(A)), 0);
	assert_int_equal(mesh_rpl_remove(&b->stack.rpl, node_addr(A) + 1), MESH_ERR_NOT_FOUND);
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, again,
				  sizeof(again)), 0);
	run(10);
	assert_int_equal(b->srv_rx.count, 3);
	assert_memory_equal(b->srv_rx.params, again, sizeof(again));
	assert_int_equal(mesh_rpl_find(&b->stack.rpl, node_addr(A))->seq, 1);
}

/* The same for segmented messages: lower transport remembers the last one
 * from each source too, so without mesh_stack_node_remove() the new node's
 * first segmented message would be taken for an obsolete one. */
static void test_node_remove_reprovisioned_segmented(void **state)
{
	struct node *b = &nodes[B];
	uint8_t big[40];

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(0x40 + i);
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, big,
				  sizeof(big)), 0);
	run(2000);
	assert_int_equal(b->srv_rx.count, 1);

	reprovision_long_after(A);
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, big,
				  sizeof(big)), 0);
	run(2000);
	assert_int_equal(b->srv_rx.count, 1);

	assert_int_equal(mesh_stack_node_remove(&b->stack, node_addr(A), 0), MESH_ERR_INVAL);
	assert_int_equal(mesh_stack_node_remove(&b->stack, node_addr(A), 2), 0);
	reprovision_long_after(A);
	assert_int_equal(send_app(A, node_addr(B), NULL, MESH_STACK_TTL_DEFAULT, big,
				  sizeof(big)), 0);
	run(2000);
	assert_int_equal(b->srv_rx.count, 2);
	assert_int_equal(b->srv_rx.msg.params_len, sizeof(big));
	assert_memory_equal(b->srv_rx.params, big, sizeof(big));
}

/* ---- IV index, SEQ and key refresh ------------------------------------- */

#define HOURS(h) ((uint32_t)(h) * 3600u * 1000u)

static const uint8_t new_net_key[MESH_KEY_LEN] = {
	0xf7, 0xa2, 0xa4, 0x4f, 0x8e, 0x8a, 0x80, 0x29,
	0x06, 0x4f, 0x17, 0x3d, 0xdc, 0x1e, 0x2b, 0x00,
};
static const uint8_t new_app_key[MESH_KEY_LEN] = {
	0x3f, 0x19, 0x2a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f,
	0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07,
};

/* What one node's persistence hooks were told, in order. */
struct persist {
	unsigned int events;          /* hook calls so far: orders them */
	unsigned int iv_calls;
	unsigned int iv_event;        /* event number of the last iv_changed */
	uint32_t iv_index;
	bool iv_update;
	bool iv_fail;                 /* make iv_changed fail */
	unsigned int seq_zero_event;  /* event number of the last seq_store(0) */
	uint32_t seq_limit;
	unsigned int kr_calls;
	uint16_t kr_net_idx;
	uint8_t kr_phase;
};

static struct persist persist[NODES];

static int on_seq_store(void *ctx, uint32_t limit)
{
	struct persist *p = &persist[((struct node *)ctx)->id];

	p->events++;
	p->seq_limit = limit;
	if (limit == 0)
		p->seq_zero_event = p->events;
	return 0;
}

static int on_iv_changed(void *ctx, uint32_t iv_index, bool iv_update)
{
	struct persist *p = &persist[((struct node *)ctx)->id];

	p->iv_calls++;
	if (p->iv_fail)
		return -1;
	p->events++;
	p->iv_event = p->events;
	p->iv_index = iv_index;
	p->iv_update = iv_update;
	return 0;
}

static void on_kr_changed(void *ctx, uint16_t net_idx, uint8_t phase)
{
	struct persist *p = &persist[((struct node *)ctx)->id];

	p->kr_calls++;
	p->kr_net_idx = net_idx;
	p->kr_phase = phase;
}

static const struct mesh_stack_ops persist_ops = {
	.bearer_send = air_send,
	.send_done = on_send_done,
	.heartbeat = on_heartbeat,
	.access_rx = on_access_rx,
	.rx_trace = on_trace,
	.seq_store = on_seq_store,
	.iv_changed = on_iv_changed,
	.kr_changed = on_kr_changed,
};

/* Rebuild node i as after a restart from flash, with persistence hooks. */
static void persist_setup(int i, uint32_t iv_index, bool iv_update, uint32_t seq_start)
{
	struct node *n = &nodes[i];
	struct mesh_stack_config cfg;
	uint8_t dk[MESH_KEY_LEN];

	mesh_stack_cleanup(&n->stack);
	memset(n, 0, sizeof(*n));
	memset(&persist[i], 0, sizeof(persist[i]));
	n->id = i;
	mesh_stack_config_default(&cfg);
	cfg.iv_index = iv_index;
	cfg.iv_update = iv_update;
	cfg.seq_start = seq_start;
	assert_int_equal(mesh_stack_init(&n->stack, &timers, &cfg, &persist_ops, n), 0);
	assert_int_equal(mesh_stack_set_address(&n->stack, node_addr(i), 2), 0);
	assert_int_equal(mesh_stack_net_key_add(&n->stack, NET_IDX, net_key), 0);
	assert_int_equal(mesh_stack_app_key_add(&n->stack, APP_IDX, NET_IDX, app_key), 0);
	dev_key_of(i, dk);
	assert_int_equal(mesh_stack_dev_key_add(&n->stack, node_addr(i), 2, dk), 0);
	node_models(n);
}

static uint32_t seq_of(int i)
{
	return mesh_seq_peek(&nodes[i].stack.seq);
}

/* from -> to with the AppKey; returns how many messages to's srv has. */
static unsigned int app_roundtrip(int from, int to)
{
	assert_int_equal(send_app(from, node_addr(to), NULL, MESH_STACK_TTL_DEFAULT, hello,
				  sizeof(hello)), 0);
	run(10);
	return nodes[to].srv_rx.count;
}

/*
 * 3.8.3, 3.10.5: SEQ may restart at 0 only once the new IV index is on
 * flash. A failed IV write must leave SEQ counting on (and off flash's
 * zero), or a crash brings the node back on the old IV index with SEQ 0.
 */
static void test_iv_save_failure_keeps_seq(void **state)
{
	struct node *a = &nodes[A], *b = &nodes[B];

	(void)state;
	persist_setup(A, 1, true, 0x500000);
	persist_setup(B, 1, true, 0);
	persist[A].iv_fail = true;

	/* Both leave IV Update in progress after 96 h; A cannot save it. */
	run(HOURS(96));
	assert_false(b->stack.net.iv.update);
	assert_int_equal(persist[B].iv_index, 1);
	assert_false(persist[B].iv_update);
	assert_true(persist[B].seq_zero_event > persist[B].iv_event);
	assert_int_equal(seq_of(B), 0);

	assert_true(persist[A].iv_calls >= 1);
	assert_int_equal(persist[A].seq_zero_event, 0);
	assert_int_equal(seq_of(A), 0x500000);
	assert_true(a->stack.net.iv.update);
	assert_int_equal(mesh_iv_tx_index(&a->stack.net.iv), 0);

	/* A keeps sending on the old IV index with its old SEQ. */
	assert_int_equal(app_roundtrip(A, B), 1);
	assert_int_equal(b->trace.iv_index, 0);
	assert_int_equal(b->trace.seq, 0x500000);

	/* Storage is back: the transition is retried and now SEQ restarts,
	 * after the IV state was saved. */
	persist[A].iv_fail = false;
	run(HOURS(1));
	assert_false(a->stack.net.iv.update);
	assert_int_equal(persist[A].iv_index, 1);
	assert_true(persist[A].seq_zero_event > persist[A].iv_event);
	assert_int_equal(seq_of(A), 0);
	assert_int_equal(app_roundtrip(A, B), 2);
	assert_int_equal(b->trace.iv_index, 1);
	assert_int_equal(b->trace.seq, 0);
}

/*
 * SEQ crossing its threshold starts IV Update (after the 96 h in Normal),
 * the stack's own timer ends it, beacons carry it to other nodes, and
 * traffic goes on with SEQ from 0 under the new IV index.
 */
static void test_iv_update_from_seq(void **state)
{
	struct node *a = &nodes[A], *b = &nodes[B];
	uint8_t beacon[MESH_BEACON_SECURE_LEN];

	(void)state;
	persist_setup(A, 0, false, MESH_SEQ_IV_THRESHOLD - 1);
	persist_setup(B, 0, false, 0);

	assert_int_equal(app_roundtrip(A, B), 1);
	assert_false(a->stack.net.iv.pending);
	assert_int_equal(app_roundtrip(A, B), 2);  /* SEQ = threshold */
	assert_true(a->stack.net.iv.pending);
	assert_false(a->stack.net.iv.update);

	/* Not before 96 h in Normal Operation. */
	run(HOURS(95));
	assert_false(a->stack.net.iv.update);
	run(HOURS(1));
	assert_true(a->stack.net.iv.update);
	assert_int_equal(a->stack.net.iv.index, 1);
	assert_int_equal(mesh_iv_tx_index(&a->stack.net.iv), 0);
	assert_int_equal(persist[A].iv_index, 1);
	assert_true(persist[A].iv_update);
	assert_int_equal(persist[A].seq_zero_event, 0);  /* still sending on 0 */

	/* A's beacon takes B into the update too. */
	assert_int_equal(mesh_stack_beacon_compose(&a->stack, NET_IDX, beacon), 0);
	assert_int_equal(beacon[1], MESH_BEACON_FLAG_IV_UPDATE);
	assert_int_equal(mesh_stack_beacon_receive(&b->stack, beacon, sizeof(beacon)), 0);
	assert_true(b->stack.net.iv.update);
	assert_int_equal(b->stack.net.iv.index, 1);
	assert_int_equal(app_roundtrip(A, B), 3);
	assert_int_equal(b->trace.iv_index, 0);

	/* 96 h later both are in Normal Operation on IV index 1. */
	run(HOURS(96));
	assert_false(a->stack.net.iv.update);
	assert_false(b->stack.net.iv.update);
	assert_int_equal(mesh_iv_tx_index(&a->stack.net.iv), 1);
	assert_int_equal(seq_of(A), 0);
	assert_int_equal(seq_of(B), 0);
	assert_false(mesh_timer_armed(&a->stack.iv_timer));

	assert_int_equal(app_roundtrip(A, B), 4);
	assert_int_equal(b->trace.iv_index, 1);
	assert_int_equal(b->trace.seq, 0);
	assert_int_equal(app_roundtrip(B, A), 1);
	assert_int_equal(a->trace.iv_index, 1);
}

/* Node i's own beacon for the primary subnet, as a peer would send it. */
static void beacon_for(int i, uint8_t flags, uint32_t iv_index,
		       uint8_t out[MESH_BEACON_SECURE_LEN])
{
	struct mesh_subnet *sub = mesh_subnet_find(&nodes[i].stack.net.subnets, NET_IDX);
	struct mesh_subnet_keys *k = mesh_subnet_tx_keys(sub);

	assert_int_equal(mesh_beacon_secure_compose(k->beacon_key, flags, k->net_id, iv_index,
						    out), 0);
}

static void test_beacon_iv(void **state)
{
	struct mesh_stack *b = &nodes[B].stack;
	uint8_t beacon[MESH_BEACON_SECURE_LEN], forged[MESH_BEACON_SECURE_LEN];
	uint8_t other[MESH_BEACON_SECURE_LEN];

	(void)state;
	run(HOURS(96));
	beacon_for(B, MESH_BEACON_FLAG_IV_UPDATE, 1, beacon);

	/* Forged: wrong authentication value, or fields changed under it. */
	memcpy(forged, beacon, sizeof(forged));
	forged[MESH_BEACON_SECURE_LEN - 1] ^= 0x01;
	assert_int_equal(mesh_stack_beacon_receive(b, forged, sizeof(forged)),
			 MESH_ERR_BEACON_AUTH);
	memcpy(forged, beacon, sizeof(forged));
	forged[13] = 5;  /* IV index 5: a recovery if it were believed */
	assert_int_equal(mesh_stack_beacon_receive(b, forged, sizeof(forged)),
			 MESH_ERR_BEACON_AUTH);
	assert_int_equal(b->net.iv.index, 0);
	assert_false(b->net.iv.update);
	assert_false(mesh_timer_armed(&b->iv_timer));

	/* Another network, malformed beacons. */
	assert_int_equal(mesh_beacon_secure_compose(new_app_key, MESH_BEACON_FLAG_IV_UPDATE,
						    (const uint8_t *)"netid-xx", 1, other), 0);
	assert_int_equal(mesh_stack_beacon_receive(b, other, sizeof(other)),
			 MESH_ERR_NOT_FOUND);
	assert_int_equal(mesh_stack_beacon_receive(b, beacon, sizeof(beacon) - 1),
			 MESH_ERR_TRUNCATED);
	beacon[0] = MESH_BEACON_UNPROV;
	assert_int_equal(mesh_stack_beacon_receive(b, beacon, sizeof(beacon)),
			 MESH_ERR_UNKNOWN_BEACON);
	beacon[0] = MESH_BEACON_SECURE;
	assert_int_equal(b->net.iv.index, 0);

	/* The genuine one: IV index + 1 with the flag, after 96 h. */
	assert_int_equal(mesh_stack_beacon_receive(b, beacon, sizeof(beacon)), 0);
	assert_int_equal(b->net.iv.index, 1);
	assert_true(b->net.iv.update);
	assert_true(mesh_timer_armed(&b->iv_timer));

	/* Too far ahead: ignored, and says so. */
	beacon_for(B, 0, 1 + 43, beacon);
	assert_int_equal(mesh_stack_beacon_receive(b, beacon, sizeof(beacon)),
			 MESH_ERR_IV_INDEX);
	assert_int_equal(b->net.iv.index, 1);

	/* In progress, the network already on 3: recovery (3.10.6). */
	beacon_for(B, 0, 3, beacon);
	assert_int_equal(mesh_stack_beacon_receive(b, beacon, sizeof(beacon)), 0);
	assert_int_equal(b->net.iv.index, 3);
	assert_false(b->net.iv.update);
	assert_false(mesh_timer_armed(&b->iv_timer));
}

/* Our secure network beacons (3.9.3.1): every 10 s while the subnet hears
 * no other, less often the more it does, at once when the IV state
 * changes, and none once the Beacon state is off. */
static void test_secure_beacons(void **state)
{
	static const struct mesh_stack_ops no_beacon_ops = { .bearer_send = air_send };
	struct node *a = &nodes[A];
	uint8_t heard[MESH_BEACON_SECURE_LEN];
	struct mesh_beacon_secure b;
	unsigned int before;

	(void)state;
	a->stack.ops = &no_beacon_ops;
	assert_int_equal(mesh_stack_beacons_enable(&a->stack, true), MESH_ERR_INVAL);
	a->stack.ops = &node_ops;

	assert_int_equal(mesh_stack_beacons_enable(&a->stack, true), 0);
	run(MESH_BEACON_TICK_MS - 1);
	assert_int_equal(a->beacons, 0);
	run(1);
	assert_int_equal(a->beacons, 1);
	/* A genuine beacon of the network, the state as it is. */
	assert_int_equal(mesh_stack_beacon_receive(&nodes[B].stack, a->beacon, sizeof(a->beacon)),
			 0);
	assert_int_equal(mesh_beacon_secure_parse(a->beacon, sizeof(a->beacon), &b), 0);
	assert_int_equal(b.iv_index, 0);
	assert_int_equal(b.flags, 0);
	run(6 * MESH_BEACON_TICK_MS);
	assert_int_equal(a->beacons, 7);

	/* Three others in every 20 s observation period: one every 40 s. */
	beacon_for(B, 0, 0, heard);
	before = a->beacons;
	for (int period = 0; period < 6; period++) {
		for (int i = 0; i < 3; i++)
			assert_int_equal(mesh_stack_beacon_receive(&a->stack, heard, sizeof(heard)),
					 0);
		run(2 * MESH_BEACON_TICK_MS);
	}
	assert_int_equal(a->beacons - before, 3);

	/* The network is on IV index 3 (recovery, 3.10.6): A says so now. */
	before = a->beacons;
	beacon_for(B, 0, 3, heard);
	assert_int_equal(mesh_stack_beacon_receive(&a->stack, heard, sizeof(heard)), 0);
	assert_int_equal(a->beacons, before + 1);
	assert_int_equal(mesh_beacon_secure_parse(a->beacon, sizeof(a->beacon), &b), 0);
	assert_int_equal(b.iv_index, 3);

	assert_int_equal(mesh_stack_beacons_enable(&a->stack, false), 0);
	before = a->beacons;
	run(20 * MESH_BEACON_TICK_MS);
	assert_int_equal(a->beacons, before);
	assert_int_equal(nodes[B].beacons + nodes[C].beacons, 0);
}

/* Switch both A and B to the new NetKey and AppKey, phase 1. */
static void kr_phase1(int i)
{
	struct mesh_stack *s = &nodes[i].stack;

	/* AppKey Update needs its NetKey in phase 1 (4.3.2, Cannot Update) */
	assert_int_equal(mesh_stack_app_key_update(s, APP_IDX, NET_IDX, new_app_key),
			 MESH_ERR_KEY_REFRESH);
	assert_int_equal(mesh_stack_net_key_update(s, NET_IDX, new_net_key), 0);
	assert_int_equal(mesh_stack_app_key_update(s, APP_IDX, NET_IDX, new_app_key), 0);
}

static uint8_t nid_of(const uint8_t key[MESH_KEY_LEN])
{
	static const uint8_t p[] = { 0x00 };
	struct mesh_net_cred cred;
	uint8_t nid;

	memset(&cred, 0, sizeof(cred));
	assert_int_equal(mesh_net_cred_derive(&cred, key, p, sizeof(p)), 0);
	nid = cred.nid;
	mesh_net_cred_clear(&cred);
	return nid;
}

static uint8_t last_nid(int from)
{
	return last_from(from).pdu[0] & 0x7f;
}

/*
 * Key refresh (3.10.4) through the stack: after phase 3 only the new
 * NetKey and the new AppKey send or receive.
 */
static void test_key_refresh_cycle(void **state)
{
	struct node *a = &nodes[A], *b = &nodes[B], *c = &nodes[C];
	uint8_t old_nid = nid_of(net_key), new_nid = nid_of(new_net_key);
	struct mesh_app_key *ak;
	uint8_t new_aid;

	(void)state;
	assert_int_not_equal(old_nid, new_nid);
	assert_int_equal(mesh_k4(new_app_key, &new_aid), 0);
	kr_phase1(A);
	kr_phase1(B);

	/* phase 1: old keys send, both receive */
	assert_int_equal(app_roundtrip(A, B), 1);
	assert_int_equal(last_nid(A), old_nid);
	assert_false(b->stack.rx_key.new_key);

	/* phase 2: new keys send, old ones still accepted */
	assert_int_equal(mesh_stack_kr_set(&a->stack, NET_IDX, MESH_KR_PHASE_2), 0);
	assert_int_equal(mesh_stack_kr_set(&b->stack, NET_IDX, MESH_KR_PHASE_2), 0);
	assert_int_equal(app_roundtrip(A, B), 2);
	assert_int_equal(last_nid(A), new_nid);
	assert_true(b->stack.rx_key.new_key);
	assert_int_equal(app_roundtrip(C, B), 3);

	/* phase 3: old NetKey and old AppKeys revoked together */
	assert_int_equal(mesh_stack_kr_set(&a->stack, NET_IDX, MESH_KR_PHASE_3), 0);
	assert_int_equal(mesh_stack_kr_set(&b->stack, NET_IDX, MESH_KR_PHASE_3), 0);
	ak = mesh_app_keys_get(&a->stack.app_keys, APP_IDX);
	assert_false(ak->updated);
	assert_int_equal(ak->val[0].aid, new_aid);
	assert_memory_equal(ak->val[0].key.key, new_app_key, MESH_KEY_LEN);
	assert_int_equal(app_roundtrip(A, B), 4);
	assert_int_equal(last_nid(A), new_nid);
	assert_int_equal(app_roundtrip(B, A), 1);
	assert_int_equal(last_nid(B), new_nid);

	/* C still on the old NetKey: not even the network layer takes it. */
	assert_int_equal(app_roundtrip(C, B), 4);
	assert_int_equal(b->trace.layer, MESH_STACK_NET);

	/* C on the new NetKey but the old AppKey: the upper transport
	 * refuses it, nothing reaches the model. */
	assert_int_equal(mesh_stack_net_key_delete(&c->stack, NET_IDX), 0);
	assert_null(mesh_app_keys_get(&c->stack.app_keys, APP_IDX));
	assert_int_equal(mesh_stack_net_key_add(&c->stack, NET_IDX, new_net_key), 0);
	assert_int_equal(mesh_stack_app_key_add(&c->stack, APP_IDX, NET_IDX, app_key), 0);
	assert_int_equal(app_roundtrip(C, B), 4);
	assert_int_equal(b->trace.layer, MESH_STACK_UPPER);
	assert_true(b->trace.err == MESH_ERR_NO_APPKEY || b->trace.err == MESH_ERR_TRANSMIC);
}

/* Secure network beacons drive key refresh the same way (3.10.4.1). */
static void test_key_refresh_beacons(void **state)
{
	struct node *a = &nodes[A], *b = &nodes[B];
	uint8_t beacon[MESH_BEACON_SECURE_LEN];
	struct mesh_app_key *ak;

	(void)state;
	persist_setup(B, 0, false, 0);
	kr_phase1(A);
	kr_phase1(B);

	/* phase 1 beacons use the old key and no flag: nothing moves */
	assert_int_equal(mesh_stack_beacon_compose(&a->stack, NET_IDX, beacon), 0);
	assert_int_equal(beacon[1], 0);
	assert_int_equal(mesh_stack_beacon_receive(&b->stack, beacon, sizeof(beacon)), 0);
	assert_int_equal(mesh_subnet_find(&b->stack.net.subnets, NET_IDX)->kr_phase, 1);
	assert_int_equal(persist[B].kr_calls, 0);

	/* A in phase 2: its beacon (new key, flag) takes B to phase 2 */
	assert_int_equal(mesh_stack_kr_set(&a->stack, NET_IDX, MESH_KR_PHASE_2), 0);
	assert_int_equal(mesh_stack_beacon_compose(&a->stack, NET_IDX, beacon), 0);
	assert_int_equal(beacon[1], MESH_BEACON_FLAG_KEY_REFRESH);
	assert_int_equal(mesh_stack_beacon_receive(&b->stack, beacon, sizeof(beacon)), 0);
	assert_int_equal(mesh_subnet_find(&b->stack.net.subnets, NET_IDX)->kr_phase, 2);
	assert_int_equal(persist[B].kr_calls, 1);
	assert_int_equal(persist[B].kr_phase, MESH_KR_PHASE_2);
	assert_true(mesh_app_keys_get(&b->stack.app_keys, APP_IDX)->updated);

	/* A done: new key, flag clear -> B revokes the old NetKey and AppKey */
	assert_int_equal(mesh_stack_kr_set(&a->stack, NET_IDX, MESH_KR_PHASE_3), 0);
	assert_int_equal(mesh_stack_beacon_compose(&a->stack, NET_IDX, beacon), 0);
	assert_int_equal(beacon[1], 0);
	assert_int_equal(mesh_stack_beacon_receive(&b->stack, beacon, sizeof(beacon)), 0);
	assert_int_equal(mesh_subnet_find(&b->stack.net.subnets, NET_IDX)->kr_phase, 0);
	assert_int_equal(persist[B].kr_calls, 2);
	assert_int_equal(persist[B].kr_phase, MESH_KR_NORMAL);
	ak = mesh_app_keys_get(&b->stack.app_keys, APP_IDX);
	assert_false(ak->updated);
	assert_memory_equal(ak->val[0].key.key, new_app_key, MESH_KEY_LEN);
	assert_int_equal(app_roundtrip(B, A), 1);
	assert_memory_equal(mesh_app_keys_get(&a->stack.app_keys, APP_IDX)->val[0].key.key,
			    new_app_key, MESH_KEY_LEN);
}

/* Deleting a NetKey deletes its AppKeys and their model bindings. */
static void test_net_key_delete(void **state)
{
	struct node *a = &nodes[A];
	struct mesh_stack *s = &a->stack;

	(void)state;
	assert_int_equal(mesh_stack_net_key_add(s, 0x001, new_net_key), 0);
	assert_int_equal(mesh_stack_app_key_add(s, 0x456, 0x001, new_app_key), 0);
	assert_int_equal(mesh_model_bind(&a->srv, 0x456), 0);

	assert_int_equal(mesh_stack_net_key_delete(s, 0x002), MESH_ERR_KEY_INDEX);
	assert_int_equal(mesh_stack_net_key_delete(s, 0x001), 0);
	assert_null(mesh_subnet_find(&s->net.subnets, 0x001));
	assert_null(mesh_app_keys_get(&s->app_keys, 0x456));
	assert_false(mesh_model_is_bound(&a->srv, 0x456));
	/* the other subnet's key and bindings stay */
	assert_non_null(mesh_app_keys_get(&s->app_keys, APP_IDX));
	assert_true(mesh_model_is_bound(&a->srv, APP_IDX));
	assert_int_equal(app_roundtrip(A, B), 1);

	/* and an AppKey deleted alone loses its bindings too */
	assert_int_equal(mesh_stack_app_key_delete(s, APP_IDX), 0);
	assert_false(mesh_model_is_bound(&a->srv, APP_IDX));
	assert_false(mesh_model_is_bound(&a->srv2, APP_IDX));
	assert_int_equal(mesh_stack_app_key_delete(s, APP_IDX), MESH_ERR_NOT_FOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_app_key_unicast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segmented_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_virtual, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_send_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl1_not_relayed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segmented_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_transmic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interleaved_seg_unseg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_segment_no_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rpl_remove_reprovisioned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rpl_full_drops_new_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_remove_reprovisioned_segmented, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_iv_save_failure_keeps_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iv_update_from_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_beacon_iv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secure_beacons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_refresh_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_refresh_beacons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_key_delete, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	mesh_crypto_thread_cleanup();
	return rc;
}
