/*
 * The Key Refresh procedure against scripted nodes: the requests of each
 * phase in order, excluded nodes and nodes of other subnets left alone, a
 * node that does not answer reported (and cut off) while the refresh
 * completes, a refresh nobody answers stopping in phase 1, resuming after
 * a restart (the database round-tripped through its JSON) in phase 1, in
 * phase 2 and during phase 3, and the database's keys, phases and node
 * flags at each step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/cfg_apply.h"
#include "gateway/key_refresh.h"
#include "gateway/netdb.h"
#include "mesh/err.h"
#include "mesh/timer.h"

#define NODE_A 0x0100   /* AppKeys 0 and 1 */
#define NODE_B 0x0200   /* AppKey 0 */
#define NODE_C 0x0300   /* excluded */
#define NODE_N1 0x0400  /* on NetKey 1 only */
#define LOG_MAX 64
#define EVENTS_MAX 64

struct sent {
	uint16_t dst;
	struct mesh_cfg_msg req;
};

struct fx {
	struct netdb *db;
	struct mesh_timers timers;
	struct gw_key_refresh *kr;
	/* the request on the air */
	bool pending;
	uint16_t dst;
	struct mesh_cfg_msg req;
	gw_configure_done_fn done;
	void *done_ctx;
	int send_rc;
	struct sent log[LOG_MAX];
	size_t n_log;
	/* saves, with NetKey 0's phase at each */
	unsigned int saves;
	int save_rc;
	uint8_t saved_phase[LOG_MAX];
	/* meshgate's own node */
	unsigned int local_keys_calls;
	uint8_t local_net_key[16];
	size_t local_n_app;
	uint16_t local_app_idx[4];
	uint8_t local_app_keys[4][16];
	uint8_t transitions[8];
	size_t n_transitions;
	/* what the procedure reported */
	struct gw_key_refresh_report events[EVENTS_MAX];
	size_t n_events;
	/* keys before the refresh */
	uint8_t net0[16], net1[16], app0[16], app1[16], app2[16];
};

static int fake_send(void *ctx, uint16_t dst, const struct mesh_cfg_msg *request,
		     gw_configure_done_fn done, void *done_ctx)
{
	struct fx *f = ctx;

	if (f->send_rc)
		return f->send_rc;
	assert_false(f->pending);  /* one request at a time */
	f->pending = true;
	f->dst = dst;
	f->req = *request;
	f->done = done;
	f->done_ctx = done_ctx;
	assert_true(f->n_log < LOG_MAX);
	f->log[f->n_log].dst = dst;
	f->log[f->n_log].req = *request;
	f->n_log++;
	return 0;
}

static int fake_save(void *ctx)
{
	struct fx *f = ctx;

	if (f->save_rc)
		return f->save_rc;
	if (f->saves < LOG_MAX)
		f->saved_phase[f->saves] = netdb_net_key(f->db, 0)->phase;
	f->saves++;
	return 0;
}

static int fake_local_keys(void *ctx, uint16_t net_idx, const uint8_t new_net_key[16],
			   size_t n_app, const uint16_t *app_idx, const uint8_t (*new_app_keys)[16])
{
	struct fx *f = ctx;

	assert_int_equal(net_idx, 0);
	assert_true(n_app <= 4);
	f->local_keys_calls++;
	memcpy(f->local_net_key, new_net_key, 16);
	f->local_n_app = n_app;
	for (size_t i = 0; i < n_app; i++) {
		f->local_app_idx[i] = app_idx[i];
		memcpy(f->local_app_keys[i], new_app_keys[i], 16);
	}
	return 0;
}

static int fake_local_phase(void *ctx, uint16_t net_idx, uint8_t transition)
{
	struct fx *f = ctx;

	assert_int_equal(net_idx, 0);
	assert_true(f->n_transitions < 8);
	f->transitions[f->n_transitions++] = transition;
	return 0;
}

static void on_progress(void *ctx, const struct gw_key_refresh_report *r)
{
	struct fx *f = ctx;

	assert_true(f->n_events < EVENTS_MAX);
	f->events[f->n_events++] = *r;
}

static const struct gw_key_refresh_ops ops = {
	.send = fake_send,
	.save = fake_save,
	.local_keys = fake_local_keys,
	.local_phase = fake_local_phase,
	.progress = on_progress,
};

/* ---- the network ---------------------------------------------------------------- */

static void add_net_key(struct netdb *db, uint16_t index, uint8_t fill)
{
	struct netdb_net_key *grown = realloc(db->net_keys, (db->n_net_keys + 1) * sizeof(*grown));

	assert_non_null(grown);
	db->net_keys = grown;
	memset(&grown[db->n_net_keys], 0, sizeof(*grown));
	grown[db->n_net_keys].index = index;
	memset(grown[db->n_net_keys].key, fill, 16);
	db->n_net_keys++;
}

static void add_app_key(struct netdb *db, uint16_t index, uint16_t net_idx, uint8_t fill)
{
	struct netdb_app_key *grown = realloc(db->app_keys, (db->n_app_keys + 1) * sizeof(*grown));

	assert_non_null(grown);
	db->app_keys = grown;
	memset(&grown[db->n_app_keys], 0, sizeof(*grown));
	grown[db->n_app_keys].index = index;
	grown[db->n_app_keys].bound_net_key = net_idx;
	memset(grown[db->n_app_keys].key, fill, 16);
	db->n_app_keys++;
}

/* The node got AppKey app_idx, as its AppKey Status said. */
static void node_got_app_key(struct netdb *db, uint16_t node, uint16_t app_idx)
{
	struct mesh_cfg_msg req = { .opcode = MESH_OP_CFG_APPKEY_ADD };
	struct mesh_cfg_msg st = { .opcode = MESH_OP_CFG_APPKEY_STATUS };

	req.app_key.app_idx = app_idx;
	req.app_key.net_idx = netdb_app_key(db, app_idx)->bound_net_key;
	st.app_key.app_idx = app_idx;
	st.app_key.net_idx = req.app_key.net_idx;
	assert_int_equal(gw_cfg_apply(db, node, &req, &st, NULL), GW_CFG_CHANGED);
}

static void add_node(struct netdb *db, uint16_t addr, uint16_t net_idx, const char *name)
{
	uint8_t uuid[16] = { 0xab }, dev_key[16] = { 0x11 };

	uuid[14] = (uint8_t)(addr >> 8);
	uuid[15] = (uint8_t)addr;
	assert_int_equal(netdb_add_node(db, uuid, addr, 1, dev_key, net_idx), 0);
	snprintf(netdb_node_by_address(db, addr)->name, NETDB_NAME_MAX, "%s", name);
}

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	mesh_timers_init(&f.timers, 1000);
	assert_int_equal(netdb_create(&f.db, "t", NULL), 0);
	add_app_key(f.db, 1, 0, 0x31);
	add_net_key(f.db, 1, 0x41);
	add_app_key(f.db, 2, 1, 0x51);
	add_node(f.db, NODE_A, 0, "Kitchen lamp");
	add_node(f.db, NODE_B, 0, "Hall lamp");
	add_node(f.db, NODE_C, 0, "Old lamp");
	add_node(f.db, NODE_N1, 1, "Garden lamp");
	node_got_app_key(f.db, NODE_A, 0);
	node_got_app_key(f.db, NODE_A, 1);
	node_got_app_key(f.db, NODE_B, 0);
	node_got_app_key(f.db, NODE_C, 0);
	node_got_app_key(f.db, NODE_N1, 2);
	netdb_node_by_address(f.db, NODE_C)->excluded = true;
	memcpy(f.net0, netdb_net_key(f.db, 0)->key, 16);
	memcpy(f.net1, netdb_net_key(f.db, 1)->key, 16);
	memcpy(f.app0, netdb_app_key(f.db, 0)->key, 16);
	memcpy(f.app1, netdb_app_key(f.db, 1)->key, 16);
	memcpy(f.app2, netdb_app_key(f.db, 2)->key, 16);
	assert_int_equal(gw_key_refresh_create(&f.kr, f.db, &f.timers, &ops, &f), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gw_key_refresh_destroy(f->kr);
	netdb_free(f->db);
	return 0;
}

/* meshgate stops (the request on the air is lost with it) and starts
 * again from mesh.json: a new module on the database read back. */
static void restart(struct fx *f)
{
	char *json = netdb_to_json(f->db);
	char err[256];

	assert_non_null(json);
	gw_key_refresh_destroy(f->kr);
	netdb_free(f->db);
	assert_int_equal(netdb_from_json(&f->db, json, strlen(json), "mesh.json", err, sizeof(err)), 0);
	free(json);
	f->pending = false;
	f->n_log = 0;
	f->n_events = 0;
	f->n_transitions = 0;
	f->local_keys_calls = 0;
	assert_int_equal(gw_key_refresh_create(&f->kr, f->db, &f->timers, &ops, f), 0);
}

/* ---- the scripted nodes ---------------------------------------------------------- */

/* The status a well-behaved node returns for f->req, with code. */
static void node_status(const struct fx *f, uint8_t code, struct mesh_cfg_msg *st)
{
	const struct mesh_cfg_msg *rq = &f->req;

	memset(st, 0, sizeof(*st));
	switch (rq->opcode) {
	case MESH_OP_CFG_NETKEY_UPDATE:
		st->opcode = MESH_OP_CFG_NETKEY_STATUS;
		st->net_key.status = code;
		st->net_key.net_idx = rq->net_key.net_idx;
		break;
	case MESH_OP_CFG_APPKEY_UPDATE:
		st->opcode = MESH_OP_CFG_APPKEY_STATUS;
		st->app_key.status = code;
		st->app_key.net_idx = rq->app_key.net_idx;
		st->app_key.app_idx = rq->app_key.app_idx;
		break;
	case MESH_OP_CFG_KRP_SET:
		st->opcode = MESH_OP_CFG_KRP_STATUS;
		st->krp.status = code;
		st->krp.net_idx = rq->krp.net_idx;
		st->krp.phase = rq->krp.phase == MESH_CFG_KR_TRANSITION_2 ? MESH_CFG_KR_PHASE_2
									 : MESH_CFG_KR_PHASE_NORMAL;
		break;
	default:
		fail_msg("unexpected request 0x%x", rq->opcode);
	}
}

static void answer(struct fx *f, enum mesh_acked_event ev, uint8_t code)
{
	struct mesh_cfg_msg st;

	assert_true(f->pending);
	f->pending = false;
	if (ev == MESH_ACKED_STATUS || ev == MESH_ACKED_LATE) {
		node_status(f, code, &st);
		f->done(f->done_ctx, ev, f->dst, &st);
	} else {
		f->done(f->done_ctx, ev, f->dst, NULL);
	}
}

static void answer_all(struct fx *f)
{
	for (int i = 0; i < 50 && f->pending; i++)
		answer(f, MESH_ACKED_STATUS, MESH_CFG_SUCCESS);
	assert_false(f->pending);
}

/* The request on the air is op to dst (for KRP Set: transition). */
static void expect(const struct fx *f, uint16_t dst, uint32_t opcode, uint16_t idx)
{
	assert_true(f->pending);
	assert_int_equal(f->dst, dst);
	assert_int_equal(f->req.opcode, opcode);
	switch (opcode) {
	case MESH_OP_CFG_NETKEY_UPDATE:
		assert_int_equal(f->req.net_key.net_idx, idx);
		assert_memory_equal(f->req.net_key.key, netdb_net_key(f->db, idx)->key, 16);
		break;
	case MESH_OP_CFG_APPKEY_UPDATE:
		assert_int_equal(f->req.app_key.app_idx, idx);
		assert_int_equal(f->req.app_key.net_idx, 0);
		assert_memory_equal(f->req.app_key.key, netdb_app_key(f->db, idx)->key, 16);
		break;
	default:
		assert_int_equal(f->req.krp.net_idx, 0);
		assert_int_equal(f->req.krp.phase, idx);
		break;
	}
}

static void expect_answer(struct fx *f, uint16_t dst, uint32_t opcode, uint16_t idx)
{
	expect(f, dst, opcode, idx);
	answer(f, MESH_ACKED_STATUS, MESH_CFG_SUCCESS);
}

static void phase1_node_a(struct fx *f)
{
	expect_answer(f, NODE_A, MESH_OP_CFG_NETKEY_UPDATE, 0);
	expect_answer(f, NODE_A, MESH_OP_CFG_APPKEY_UPDATE, 0);
	expect_answer(f, NODE_A, MESH_OP_CFG_APPKEY_UPDATE, 1);
}

static void phase1_node_b(struct fx *f)
{
	expect_answer(f, NODE_B, MESH_OP_CFG_NETKEY_UPDATE, 0);
	expect_answer(f, NODE_B, MESH_OP_CFG_APPKEY_UPDATE, 0);
}

static const struct gw_key_refresh_report *last_event(const struct fx *f)
{
	assert_true(f->n_events > 0);
	return &f->events[f->n_events - 1];
}

static size_t count_events(const struct fx *f, enum gw_key_refresh_event ev)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n_events; i++)
		n += f->events[i].event == ev;
	return n;
}

static bool sent_to(const struct fx *f, uint16_t dst)
{
	for (size_t i = 0; i < f->n_log; i++)
		if (f->log[i].dst == dst)
			return true;
	return false;
}

static struct netdb_key_ref *ref_of(struct netdb_key_ref *refs, size_t n, uint16_t index)
{
	for (size_t i = 0; i < n; i++)
		if (refs[i].index == index)
			return &refs[i];
	return NULL;
}

static bool node_net_updated(struct fx *f, uint16_t node)
{
	struct netdb_node *n = netdb_node_by_address(f->db, node);

	return ref_of(n->net_keys, n->n_net_keys, 0)->updated;
}

static bool node_app_updated(struct fx *f, uint16_t node, uint16_t app_idx)
{
	struct netdb_node *n = netdb_node_by_address(f->db, node);

	return ref_of(n->app_keys, n->n_app_keys, app_idx)->updated;
}

/* After a completed refresh: one key per index, no flags, other subnet untouched. */
static void check_refresh_over(struct fx *f, const uint8_t new_net0[16])
{
	const struct netdb_net_key *k = netdb_net_key(f->db, 0);
	static const uint8_t zero[16];

	assert_int_equal(k->phase, 0);
	assert_false(k->has_old_key);
	assert_memory_equal(k->old_key, zero, 16);
	assert_memory_equal(k->key, new_net0, 16);
	assert_memory_not_equal(k->key, f->net0, 16);
	assert_false(netdb_app_key(f->db, 0)->has_old_key);
	assert_false(netdb_app_key(f->db, 1)->has_old_key);
	assert_memory_equal(netdb_app_key(f->db, 0)->old_key, zero, 16);
	assert_memory_not_equal(netdb_app_key(f->db, 0)->key, f->app0, 16);
	assert_memory_not_equal(netdb_app_key(f->db, 1)->key, f->app1, 16);
	/* NetKey 1 and its AppKey are not part of it */
	assert_memory_equal(netdb_net_key(f->db, 1)->key, f->net1, 16);
	assert_memory_equal(netdb_app_key(f->db, 2)->key, f->app2, 16);
	for (size_t i = 0; i < f->db->n_nodes; i++) {
		struct netdb_node *n = &f->db->nodes[i];

		for (size_t j = 0; j < n->n_net_keys; j++)
			assert_false(n->net_keys[j].updated);
		for (size_t j = 0; j < n->n_app_keys; j++)
			assert_false(n->app_keys[j].updated);
	}
	assert_false(gw_key_refresh_busy(f->kr));
	assert_int_equal(f->saved_phase[f->saves - 1], 0);
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_full_refresh(void **state)
{
	struct fx *f = *state;
	const struct netdb_net_key *k = netdb_net_key(f->db, 0);
	struct netdb_node *self = netdb_self_node(f->db);
	uint8_t new_net0[16];
	static const enum gw_key_refresh_event order[] = {
		GW_KEY_REFRESH_PHASE, GW_KEY_REFRESH_NODE_OK, GW_KEY_REFRESH_NODE_OK,
		GW_KEY_REFRESH_PHASE, GW_KEY_REFRESH_NODE_OK, GW_KEY_REFRESH_NODE_OK,
		GW_KEY_REFRESH_PHASE, GW_KEY_REFRESH_NODE_OK, GW_KEY_REFRESH_NODE_OK,
		GW_KEY_REFRESH_DONE,
	};

	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	assert_true(gw_key_refresh_busy(f->kr));

	/* Phase 1: new keys in the database, saved before anything is sent. */
	assert_int_equal(k->phase, 1);
	assert_true(k->has_old_key);
	assert_memory_equal(k->old_key, f->net0, 16);
	assert_memory_not_equal(k->key, f->net0, 16);
	memcpy(new_net0, k->key, 16);
	assert_true(netdb_app_key(f->db, 0)->has_old_key);
	assert_memory_equal(netdb_app_key(f->db, 0)->old_key, f->app0, 16);
	assert_memory_equal(netdb_app_key(f->db, 1)->old_key, f->app1, 16);
	assert_false(netdb_app_key(f->db, 2)->has_old_key);
	assert_int_equal(netdb_net_key(f->db, 1)->phase, 0);
	assert_true(f->saves >= 1);
	assert_int_equal(f->saved_phase[0], 1);
	assert_int_equal(f->n_log, 1);  /* the first request went out after the save */
	/* meshgate's own node took exactly these keys */
	assert_int_equal(f->local_keys_calls, 1);
	assert_memory_equal(f->local_net_key, new_net0, 16);
	assert_int_equal(f->local_n_app, 2);
	assert_int_equal(f->local_app_idx[0], 0);
	assert_memory_equal(f->local_app_keys[0], netdb_app_key(f->db, 0)->key, 16);
	assert_int_equal(f->local_app_idx[1], 1);
	assert_memory_equal(f->local_app_keys[1], netdb_app_key(f->db, 1)->key, 16);
	assert_true(ref_of(self->net_keys, self->n_net_keys, 0)->updated);
	assert_int_equal(f->events[0].event, GW_KEY_REFRESH_PHASE);
	assert_int_equal(f->events[0].phase, 1);

	phase1_node_a(f);
	assert_true(node_net_updated(f, NODE_A));
	assert_true(node_app_updated(f, NODE_A, 1));
	assert_false(node_net_updated(f, NODE_B));
	phase1_node_b(f);

	/* Phase 2: saved first, meshgate switched before the nodes. */
	expect(f, NODE_A, MESH_OP_CFG_KRP_SET, 2);
	assert_int_equal(k->phase, 2);
	assert_true(k->has_old_key);
	assert_int_equal(f->saved_phase[f->saves - 1], 2);
	assert_int_equal(f->n_transitions, 1);
	assert_int_equal(f->transitions[0], 2);
	answer(f, MESH_ACKED_STATUS, 0);
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 2);

	/* Phase 3: the nodes first, meshgate last. */
	expect(f, NODE_A, MESH_OP_CFG_KRP_SET, 3);
	assert_int_equal(f->n_transitions, 1);
	assert_int_equal(k->phase, 2);
	answer(f, MESH_ACKED_STATUS, 0);
	assert_false(node_net_updated(f, NODE_A));  /* A is done */
	assert_true(node_net_updated(f, NODE_B));
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 3);
	assert_false(f->pending);
	assert_int_equal(f->n_transitions, 2);
	assert_int_equal(f->transitions[1], 3);

	check_refresh_over(f, new_net0);
	assert_int_equal(f->n_log, 5 + 2 + 2);
	assert_false(sent_to(f, NODE_C));   /* excluded */
	assert_false(sent_to(f, NODE_N1));  /* other subnet */
	assert_int_equal(f->n_events, sizeof(order) / sizeof(order[0]));
	for (size_t i = 0; i < f->n_events; i++)
		assert_int_equal(f->events[i].event, order[i]);
	assert_int_equal(f->events[1].node, NODE_A);
	assert_string_equal(f->events[1].node_name, "Kitchen lamp");
	assert_int_equal(last_event(f)->n_cut_off, 0);
	assert_int_equal(last_event(f)->n_unconfirmed, 0);
	assert_int_equal(last_event(f)->phase, 0);
}

/* A node that does not answer its NetKey Update is reported by name, and
 * the refresh completes without it: it is cut off. */
static void test_silent_node_cut_off(void **state)
{
	struct fx *f = *state;
	const struct gw_key_refresh_report *r;
	uint8_t new_net0[16];

	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	memcpy(new_net0, netdb_net_key(f->db, 0)->key, 16);
	phase1_node_a(f);
	expect(f, NODE_B, MESH_OP_CFG_NETKEY_UPDATE, 0);
	answer(f, MESH_ACKED_TIMEOUT, 0);
	r = last_event(f);
	/* phase 2 began right after the failure: find the failure itself */
	assert_int_equal(count_events(f, GW_KEY_REFRESH_NODE_FAILED), 1);
	for (size_t i = 0; i < f->n_events; i++)
		if (f->events[i].event == GW_KEY_REFRESH_NODE_FAILED)
			r = &f->events[i];
	assert_int_equal(r->node, NODE_B);
	assert_int_equal(r->phase, 1);
	assert_string_equal(r->node_name, "Hall lamp");
	assert_non_null(strstr(r->why, "'Hall lamp' (0x0200)"));
	assert_non_null(strstr(r->why, "NetKey Update 0: no response"));
	assert_non_null(strstr(r->why, "cut off"));

	/* B is skipped from now on */
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 2);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 3);
	assert_false(f->pending);
	r = last_event(f);
	assert_int_equal(r->event, GW_KEY_REFRESH_DONE);
	assert_int_equal(r->n_cut_off, 1);
	assert_int_equal(r->cut_off[0], NODE_B);
	assert_int_equal(r->n_unconfirmed, 0);
	assert_non_null(strstr(r->why, "cut off (no new NetKey): 'Hall lamp' (0x0200)"));
	check_refresh_over(f, new_net0);
}

/* An AppKey the node refuses: it keeps the network (it has the new
 * NetKey and goes through phases 2 and 3) but is listed as not complete. */
static void test_refused_appkey_unconfirmed(void **state)
{
	struct fx *f = *state;
	const struct gw_key_refresh_report *r;

	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	expect_answer(f, NODE_A, MESH_OP_CFG_NETKEY_UPDATE, 0);
	expect_answer(f, NODE_A, MESH_OP_CFG_APPKEY_UPDATE, 0);
	expect(f, NODE_A, MESH_OP_CFG_APPKEY_UPDATE, 1);
	answer(f, MESH_ACKED_STATUS, MESH_CFG_CANNOT_UPDATE);
	r = last_event(f);
	assert_int_equal(r->event, GW_KEY_REFRESH_NODE_FAILED);
	assert_non_null(strstr(r->why, "AppKey Update 1: Cannot Update"));
	assert_non_null(strstr(r->why, "lose the AppKeys"));
	phase1_node_b(f);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 2);
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 2);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 3);
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 3);
	r = last_event(f);
	assert_int_equal(r->event, GW_KEY_REFRESH_DONE);
	assert_int_equal(r->n_cut_off, 0);
	assert_int_equal(r->n_unconfirmed, 1);
	assert_int_equal(r->unconfirmed[0], NODE_A);
}

/* A missed transition 2 is made up for by a confirmed transition 3
 * (phase 1 -> 3 is allowed): nobody is left out. */
static void test_missed_phase2_made_up(void **state)
{
	struct fx *f = *state;
	const struct gw_key_refresh_report *r;

	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	phase1_node_a(f);
	phase1_node_b(f);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 2);
	expect(f, NODE_B, MESH_OP_CFG_KRP_SET, 2);
	answer(f, MESH_ACKED_TIMEOUT, 0);
	r = last_event(f);
	assert_int_equal(count_events(f, GW_KEY_REFRESH_NODE_FAILED), 1);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 3);
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 3);
	r = last_event(f);
	assert_int_equal(r->event, GW_KEY_REFRESH_DONE);
	assert_int_equal(r->n_cut_off + r->n_unconfirmed, 0);
}

/* A status that comes after its timeout still counts: the node gets the
 * later phases and is not cut off. */
static void test_late_status_rejoins(void **state)
{
	struct fx *f = *state;
	struct mesh_cfg_msg late_req;
	gw_configure_done_fn late_done;
	void *late_ctx;
	const struct gw_key_refresh_report *r;

	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	expect(f, NODE_A, MESH_OP_CFG_NETKEY_UPDATE, 0);
	late_req = f->req;
	late_done = f->done;
	late_ctx = f->done_ctx;
	answer(f, MESH_ACKED_TIMEOUT, 0);
	assert_int_equal(last_event(f)->event, GW_KEY_REFRESH_NODE_FAILED);
	expect(f, NODE_B, MESH_OP_CFG_NETKEY_UPDATE, 0);

	/* A's answer arrives while B is being updated */
	{
		struct mesh_cfg_msg st = { .opcode = MESH_OP_CFG_NETKEY_STATUS };

		st.net_key.net_idx = late_req.net_key.net_idx;
		late_done(late_ctx, MESH_ACKED_LATE, NODE_A, &st);
	}
	assert_true(node_net_updated(f, NODE_A));
	answer(f, MESH_ACKED_STATUS, 0);
	expect_answer(f, NODE_B, MESH_OP_CFG_APPKEY_UPDATE, 0);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 2);
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 2);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 3);
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 3);
	r = last_event(f);
	assert_int_equal(r->event, GW_KEY_REFRESH_DONE);
	assert_int_equal(r->n_cut_off, 0);
	assert_int_equal(r->n_unconfirmed, 1);  /* it never got its AppKeys */
	assert_int_equal(r->unconfirmed[0], NODE_A);
}

/* Nobody answers phase 1: nothing is switched (it would cut everyone
 * off); the refresh stays in phase 1, and starting again continues it
 * with the same keys. */
static void test_nobody_answers_stops_in_phase1(void **state)
{
	struct fx *f = *state;
	uint8_t new_net0[16];

	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	memcpy(new_net0, netdb_net_key(f->db, 0)->key, 16);
	expect(f, NODE_A, MESH_OP_CFG_NETKEY_UPDATE, 0);
	answer(f, MESH_ACKED_TIMEOUT, 0);
	expect(f, NODE_B, MESH_OP_CFG_NETKEY_UPDATE, 0);
	answer(f, MESH_ACKED_TIMEOUT, 0);
	assert_false(f->pending);
	assert_int_equal(last_event(f)->event, GW_KEY_REFRESH_FAILED);
	assert_non_null(strstr(last_event(f)->why, "no node answered"));
	assert_int_equal(last_event(f)->n_cut_off, 2);
	assert_false(gw_key_refresh_busy(f->kr));
	assert_int_equal(netdb_net_key(f->db, 0)->phase, 1);
	assert_int_equal(f->n_transitions, 0);

	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	assert_int_equal(f->local_keys_calls, 2);
	assert_memory_equal(f->local_net_key, new_net0, 16);
	assert_memory_equal(netdb_net_key(f->db, 0)->key, new_net0, 16);
	assert_memory_equal(netdb_net_key(f->db, 0)->old_key, f->net0, 16);
	phase1_node_a(f);
	phase1_node_b(f);
	answer_all(f);
	assert_int_equal(last_event(f)->event, GW_KEY_REFRESH_DONE);
	check_refresh_over(f, new_net0);
}

/* Restart in the middle of phase 1: what the nodes confirmed is on disk
 * and only the rest is sent. */
static void test_resume_phase1(void **state)
{
	struct fx *f = *state;
	uint8_t new_net0[16], new_app1[16];

	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	memcpy(new_net0, netdb_net_key(f->db, 0)->key, 16);
	memcpy(new_app1, netdb_app_key(f->db, 1)->key, 16);
	expect_answer(f, NODE_A, MESH_OP_CFG_NETKEY_UPDATE, 0);
	expect(f, NODE_A, MESH_OP_CFG_APPKEY_UPDATE, 0);
	restart(f);

	assert_int_equal(netdb_net_key(f->db, 0)->phase, 1);
	assert_true(netdb_net_key(f->db, 0)->has_old_key);
	assert_memory_equal(netdb_net_key(f->db, 0)->key, new_net0, 16);
	assert_memory_equal(netdb_net_key(f->db, 0)->old_key, f->net0, 16);
	assert_memory_equal(netdb_app_key(f->db, 1)->old_key, f->app1, 16);
	assert_true(node_net_updated(f, NODE_A));
	assert_false(node_app_updated(f, NODE_A, 0));

	assert_int_equal(gw_key_refresh_resume(f->kr), 1);
	assert_true(gw_key_refresh_busy(f->kr));
	assert_int_equal(f->local_keys_calls, 1);
	assert_memory_equal(f->local_net_key, new_net0, 16);
	assert_memory_equal(f->local_app_keys[1], new_app1, 16);
	assert_int_equal(f->events[0].event, GW_KEY_REFRESH_PHASE);
	assert_int_equal(f->events[0].phase, 1);
	expect_answer(f, NODE_A, MESH_OP_CFG_APPKEY_UPDATE, 0);
	expect_answer(f, NODE_A, MESH_OP_CFG_APPKEY_UPDATE, 1);
	phase1_node_b(f);
	assert_int_equal(f->transitions[0], 2);
	answer_all(f);
	assert_int_equal(last_event(f)->event, GW_KEY_REFRESH_DONE);
	assert_int_equal(f->n_log, 4 + 2 + 2);
	check_refresh_over(f, new_net0);
}

/* Restart in phase 2: meshgate's own node is put in phase 2 again, and
 * every node still refreshing gets transition 2 and then 3. */
static void test_resume_phase2(void **state)
{
	struct fx *f = *state;
	uint8_t new_net0[16];

	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	memcpy(new_net0, netdb_net_key(f->db, 0)->key, 16);
	phase1_node_a(f);
	phase1_node_b(f);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 2);
	expect(f, NODE_B, MESH_OP_CFG_KRP_SET, 2);
	restart(f);

	assert_int_equal(netdb_net_key(f->db, 0)->phase, 2);
	assert_int_equal(gw_key_refresh_resume(f->kr), 1);
	assert_int_equal(f->local_keys_calls, 0);
	assert_int_equal(f->n_transitions, 1);
	assert_int_equal(f->transitions[0], 2);
	assert_int_equal(f->events[0].phase, 2);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 2);  /* 2 -> 2: no change */
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 2);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 3);
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 3);
	assert_false(f->pending);
	assert_int_equal(last_event(f)->event, GW_KEY_REFRESH_DONE);
	assert_int_equal(f->transitions[1], 3);
	check_refresh_over(f, new_net0);
}

/* Restart during phase 3 (the database still says phase 2): a node that
 * already dropped its old keys gets nothing again; a transition 2 would be
 * a prohibited 0 -> 2 it must ignore. */
static void test_resume_during_phase3(void **state)
{
	struct fx *f = *state;
	uint8_t new_net0[16];

	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	memcpy(new_net0, netdb_net_key(f->db, 0)->key, 16);
	phase1_node_a(f);
	phase1_node_b(f);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 2);
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 2);
	expect_answer(f, NODE_A, MESH_OP_CFG_KRP_SET, 3);
	expect(f, NODE_B, MESH_OP_CFG_KRP_SET, 3);
	restart(f);

	assert_int_equal(netdb_net_key(f->db, 0)->phase, 2);
	assert_false(node_net_updated(f, NODE_A));
	assert_true(node_net_updated(f, NODE_B));
	assert_int_equal(gw_key_refresh_resume(f->kr), 1);
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 2);
	expect_answer(f, NODE_B, MESH_OP_CFG_KRP_SET, 3);
	assert_false(f->pending);
	assert_false(sent_to(f, NODE_A));
	assert_int_equal(last_event(f)->event, GW_KEY_REFRESH_DONE);
	check_refresh_over(f, new_net0);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct netdb_node *self = netdb_self_node(f->db);

	assert_int_equal(gw_key_refresh_start(f->kr, 7), -ENOENT);
	assert_int_equal(gw_key_refresh_resume(f->kr), 0);

	/* The new keys cannot be saved: nothing changes, nothing is sent. */
	f->save_rc = -EIO;
	assert_int_equal(gw_key_refresh_start(f->kr, 0), -EIO);
	assert_false(gw_key_refresh_busy(f->kr));
	assert_int_equal(netdb_net_key(f->db, 0)->phase, 0);
	assert_false(netdb_net_key(f->db, 0)->has_old_key);
	assert_memory_equal(netdb_net_key(f->db, 0)->key, f->net0, 16);
	assert_memory_equal(netdb_app_key(f->db, 0)->key, f->app0, 16);
	assert_false(netdb_app_key(f->db, 1)->has_old_key);
	assert_false(ref_of(self->net_keys, self->n_net_keys, 0)->updated);
	assert_int_equal(f->n_log, 0);
	assert_int_equal(f->local_keys_calls, 0);

	f->save_rc = 0;
	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	assert_int_equal(gw_key_refresh_start(f->kr, 0), -EBUSY);
	assert_int_equal(gw_key_refresh_start(f->kr, 1), -EBUSY);
	assert_int_equal(gw_key_refresh_resume(f->kr), -EBUSY);

	/* Shutting down: the request is canceled, the refresh can resume. */
	answer(f, MESH_ACKED_CANCELED, 0);
	assert_int_equal(last_event(f)->event, GW_KEY_REFRESH_CANCELED);
	assert_false(gw_key_refresh_busy(f->kr));
	assert_int_equal(gw_key_refresh_resume(f->kr), 1);
	expect(f, NODE_A, MESH_OP_CFG_NETKEY_UPDATE, 0);

	/* A request that cannot be sent stops the refresh (a local fault,
	 * not the node's): it is not blamed on the node. */
	answer(f, MESH_ACKED_STATUS, 0);
	f->send_rc = MESH_ERR_NOMEM;
	answer(f, MESH_ACKED_STATUS, 0);
	assert_int_equal(last_event(f)->event, GW_KEY_REFRESH_FAILED);
	assert_non_null(strstr(last_event(f)->why, "not sent"));
	assert_int_equal(count_events(f, GW_KEY_REFRESH_NODE_FAILED), 0);
	assert_false(gw_key_refresh_busy(f->kr));
	assert_int_equal(netdb_net_key(f->db, 0)->phase, 1);

	assert_int_equal(gw_key_refresh_create(NULL, f->db, &f->timers, &ops, f), -EINVAL);
}

/* A status the node sends that does not match what was asked. */
static void test_wrong_phase_reported(void **state)
{
	struct fx *f = *state;
	struct mesh_cfg_msg st = { .opcode = MESH_OP_CFG_KRP_STATUS };

	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	phase1_node_a(f);
	phase1_node_b(f);
	expect(f, NODE_A, MESH_OP_CFG_KRP_SET, 2);
	f->pending = false;
	st.krp.phase = MESH_CFG_KR_PHASE_1;
	f->done(f->done_ctx, MESH_ACKED_STATUS, NODE_A, &st);
	assert_int_equal(last_event(f)->event, GW_KEY_REFRESH_NODE_FAILED);
	assert_non_null(strstr(last_event(f)->why, "reports phase 1"));
	expect(f, NODE_B, MESH_OP_CFG_KRP_SET, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_node_cut_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_appkey_unconfirmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missed_phase2_made_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_status_rejoins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nobody_answers_stops_in_phase1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_phase1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_phase2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_during_phase3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_phase_reported, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
