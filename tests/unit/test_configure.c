/*
 * The configure-node workflow against a scripted node: the order of its
 * steps, a failure that names step, item and reason, a second run that
 * resumes at the failed item, and a status that comes after its timeout
 * still recorded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/cfg_apply.h"
#include "gateway/configure.h"
#include "gateway/netdb.h"
#include "mesh/timer.h"

#define NODE 0x0100
#define GROUP 0xc001
#define GATEWAY 0x0001

struct fx {
	struct netdb *db;
	struct mesh_timers timers;
	struct gw_configure *c;
	/* the request on the air */
	bool pending;
	struct mesh_cfg_msg req;
	gw_configure_done_fn done;
	void *done_ctx;
	unsigned int sent;
	/* what the workflow reported */
	struct gw_configure_report last;
	unsigned int saves, lates;
};

static int fake_send(void *ctx, uint16_t dst, const struct mesh_cfg_msg *request,
		     gw_configure_done_fn done, void *done_ctx)
{
	struct fx *f = ctx;

	assert_int_equal(dst, NODE);
	f->pending = true;
	f->req = *request;
	f->done = done;
	f->done_ctx = done_ctx;
	f->sent++;
	return 0;
}

static int fake_save(void *ctx)
{
	((struct fx *)ctx)->saves++;
	return 0;
}

static void on_progress(void *ctx, const struct gw_configure_report *r)
{
	((struct fx *)ctx)->last = *r;
}

static void on_late(void *ctx, uint16_t src, const struct mesh_cfg_msg *status)
{
	(void)src;
	(void)status;
	((struct fx *)ctx)->lates++;
}

static const struct gw_configure_ops ops = {
	.send = fake_send,
	.save = fake_save,
	.progress = on_progress,
	.late = on_late,
};

static int setup(void **state)
{
	static struct fx f;
	uint8_t uuid[16] = { 0xab }, dev_key[16] = { 0x11 };

	memset(&f, 0, sizeof(f));
	mesh_timers_init(&f.timers, 1000);
	assert_int_equal(netdb_create(&f.db, "t", NULL), 0);
	assert_int_equal(netdb_add_node(f.db, uuid, NODE, 1, dev_key, 0), 0);
	assert_int_equal(gw_configure_create(&f.c, f.db, &f.timers, &ops, &f), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gw_configure_destroy(f->c);
	netdb_free(f->db);
	return 0;
}

static void plan_for(struct gw_config_plan *plan)
{
	gw_config_plan_default(plan);
	plan->n_subscribe = 1;
	plan->subscribe[0].address = GROUP;
	plan->status_dst = GATEWAY;
	plan->hb_dst = 0xfeff;
}

/* The status a well-behaved node returns for f->req, with code. */
static void node_status(const struct fx *f, uint8_t code, struct mesh_cfg_msg *st)
{
	const struct mesh_cfg_msg *rq = &f->req;
	struct mesh_comp0 comp = { .cid = 0x05f1, .pid = 1, .vid = 2, .crpl = 32, .n_elems = 1 };
	int len;

	memset(st, 0, sizeof(*st));
	st->opcode = mesh_cfg_status_opcode_for(rq->opcode);
	switch (rq->opcode) {
	case MESH_OP_CFG_COMP_DATA_GET:
		comp.elems[0].n_sig = 4;
		comp.elems[0].models[0] = mesh_model_id_sig(0x0000);
		comp.elems[0].models[1] = mesh_model_id_sig(0x0002);
		comp.elems[0].models[2] = mesh_model_id_sig(0x1000);
		comp.elems[0].models[3] = mesh_model_id_sig(0x1300);
		len = mesh_cfg_comp0_encode(&comp, st->comp_data.data, sizeof(st->comp_data.data));
		assert_true(len > 0);
		st->comp_data.len = (uint16_t)len;
		break;
	case MESH_OP_CFG_APPKEY_ADD:
		st->app_key = rq->app_key;
		st->app_key.status = code;
		break;
	case MESH_OP_CFG_MODEL_APP_BIND:
		st->model_app = rq->model_app;
		st->model_app.status = code;
		break;
	case MESH_OP_CFG_MODEL_SUB_ADD:
		st->model_sub = rq->model_sub;
		st->model_sub.status = code;
		break;
	case MESH_OP_CFG_MODEL_PUB_SET:
		st->model_pub = rq->model_pub;
		st->model_pub.status = code;
		break;
	case MESH_OP_CFG_HB_PUB_SET:
		st->hb_pub = rq->hb_pub;
		st->hb_pub.status = code;
		break;
	case MESH_OP_CFG_DEFAULT_TTL_SET:
	case MESH_OP_CFG_NET_TRANSMIT_SET:
		st->value = rq->value;   /* these statuses carry no status code */
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
		f->done(f->done_ctx, ev, NODE, &st);
	} else {
		f->done(f->done_ctx, ev, NODE, NULL);
	}
}

/* Answer every request with Success until the workflow ends. */
static void answer_all(struct fx *f)
{
	for (int i = 0; i < 100 && f->pending; i++)
		answer(f, MESH_ACKED_STATUS, MESH_CFG_SUCCESS);
	assert_false(f->pending);
}

static void test_full_run_in_order(void **state)
{
	struct fx *f = *state;
	struct gw_config_plan plan;
	struct netdb_node *n;
	const struct netdb_model *onoff;

	plan_for(&plan);
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), 0);
	assert_int_equal(f->req.opcode, MESH_OP_CFG_COMP_DATA_GET);
	answer(f, MESH_ACKED_STATUS, 0);
	assert_int_equal(f->req.opcode, MESH_OP_CFG_APPKEY_ADD);
	answer(f, MESH_ACKED_STATUS, 0);
	/* health, onoff and lightness are bound; the config server is not */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f->req.opcode, MESH_OP_CFG_MODEL_APP_BIND);
		assert_int_not_equal(f->req.model_app.model.id, 0x0000);
		answer(f, MESH_ACKED_STATUS, 0);
	}
	/* onoff and lightness subscribe; health does not */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(f->req.opcode, MESH_OP_CFG_MODEL_SUB_ADD);
		assert_int_equal(f->req.model_sub.addr, GROUP);
		answer(f, MESH_ACKED_STATUS, 0);
	}
	/* health, onoff and lightness report to the gateway */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f->req.opcode, MESH_OP_CFG_MODEL_PUB_SET);
		assert_int_equal(f->req.model_pub.pub_addr, GATEWAY);
		answer(f, MESH_ACKED_STATUS, 0);
	}
	assert_int_equal(f->req.opcode, MESH_OP_CFG_HB_PUB_SET);
	answer(f, MESH_ACKED_STATUS, 0);
	assert_false(f->pending);
	assert_int_equal(f->last.outcome, GW_CONFIGURE_OK);
	assert_int_equal(f->last.requests, 11);

	n = netdb_node_by_address(f->db, NODE);
	assert_true(n->config_complete);
	assert_true(n->has_ids);
	onoff = gw_cfg_find_model(n, NODE, mesh_model_id_sig(0x1000));
	assert_int_equal(onoff->n_bind, 1);
	assert_int_equal(onoff->n_subscribe, 1);
	assert_true(onoff->has_publish);
	assert_true(n->heartbeat_pub.present);

	/* Everything recorded: a second run sends nothing. */
	f->sent = 0;
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), 0);
	assert_int_equal(f->sent, 0);
	assert_int_equal(f->last.outcome, GW_CONFIGURE_OK);
}

/* mesh.default_ttl and mesh.network_transmit: the last step sets them,
 * once; a node already set as asked gets nothing, one set otherwise gets
 * the change. */
static void test_node_settings(void **state)
{
	struct fx *f = *state;
	struct gw_config_plan plan;
	struct netdb_node *n;

	plan_for(&plan);
	plan.default_ttl = 5;
	plan.has_net_transmit = true;
	plan.net_transmit_count = 3;
	plan.net_transmit_interval_ms = 20;
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), 0);
	while (f->pending && f->req.opcode != MESH_OP_CFG_DEFAULT_TTL_SET)
		answer(f, MESH_ACKED_STATUS, 0);
	assert_true(f->pending);
	assert_int_equal(f->last.step, GW_CONFIGURE_SETTINGS);
	assert_string_equal(gw_configure_step_name(f->last.step), "settings");
	assert_int_equal(f->req.value, 5);
	answer(f, MESH_ACKED_STATUS, 0);
	assert_int_equal(f->req.opcode, MESH_OP_CFG_NET_TRANSMIT_SET);
	/* 3 transmissions (2 more), 20 ms apart: count 2, steps 1 (Mesh 4.3.2.19). */
	assert_int_equal(f->req.value, 2 | 1 << 3);
	answer(f, MESH_ACKED_STATUS, 0);
	assert_false(f->pending);
	assert_int_equal(f->last.outcome, GW_CONFIGURE_OK);
	n = netdb_node_by_address(f->db, NODE);
	assert_true(n->has_default_ttl);
	assert_int_equal(n->default_ttl, 5);
	assert_true(n->network_transmit.present);
	assert_int_equal(n->network_transmit.count, 3);
	assert_int_equal(n->network_transmit.interval_ms, 20);

	f->sent = 0;
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), 0);
	assert_int_equal(f->sent, 0);
	plan.default_ttl = 0;                   /* the node's own from now on */
	plan.net_transmit_interval_ms = 30;
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), 0);
	assert_int_equal(f->req.opcode, MESH_OP_CFG_NET_TRANSMIT_SET);
	assert_int_equal(f->req.value, 2 | 2 << 3);
	answer(f, MESH_ACKED_STATUS, 0);
	assert_false(f->pending);
	assert_int_equal(f->sent, 1);
	assert_int_equal(n->default_ttl, 5);
}

static void test_failure_then_resume(void **state)
{
	struct fx *f = *state;
	struct gw_config_plan plan;

	plan_for(&plan);
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), 0);
	answer(f, MESH_ACKED_STATUS, 0);  /* composition */
	answer(f, MESH_ACKED_STATUS, 0);  /* AppKey */
	answer(f, MESH_ACKED_STATUS, 0);  /* bind health */
	assert_int_equal(f->req.opcode, MESH_OP_CFG_MODEL_APP_BIND);
	assert_int_equal(f->req.model_app.model.id, 0x1000);
	answer(f, MESH_ACKED_STATUS, MESH_CFG_INVALID_APPKEY);
	assert_int_equal(f->last.outcome, GW_CONFIGURE_FAILED);
	assert_int_equal(f->last.step, GW_CONFIGURE_BIND);
	assert_non_null(strstr(f->last.why, "model 1000"));
	assert_non_null(strstr(f->last.why, "Invalid AppKey Index"));
	assert_false(netdb_node_by_address(f->db, NODE)->config_complete);

	/* Again: straight to the item that failed. */
	f->sent = 0;
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), 0);
	assert_int_equal(f->req.opcode, MESH_OP_CFG_MODEL_APP_BIND);
	assert_int_equal(f->req.model_app.model.id, 0x1000);
	answer_all(f);
	assert_int_equal(f->last.outcome, GW_CONFIGURE_OK);
	assert_int_equal(f->sent, 2 + 2 + 3 + 1);  /* binds left, subscriptions, publications, heartbeat */
}

static void test_timeout_then_late_status_recorded(void **state)
{
	struct fx *f = *state;
	struct gw_config_plan plan;
	struct netdb_node *n;

	plan_for(&plan);
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), 0);
	answer(f, MESH_ACKED_STATUS, 0);  /* composition */
	assert_int_equal(f->req.opcode, MESH_OP_CFG_APPKEY_ADD);
	f->pending = true;
	answer(f, MESH_ACKED_TIMEOUT, 0);
	assert_int_equal(f->last.outcome, GW_CONFIGURE_FAILED);
	assert_int_equal(f->last.step, GW_CONFIGURE_APPKEY);
	assert_non_null(strstr(f->last.why, "no response"));
	n = netdb_node_by_address(f->db, NODE);
	assert_int_equal(n->n_app_keys, 0);

	/* The answer comes after all: recorded, and the next run skips it. */
	f->pending = true;
	answer(f, MESH_ACKED_LATE, 0);
	assert_int_equal(f->lates, 1);
	n = netdb_node_by_address(f->db, NODE);
	assert_int_equal(n->n_app_keys, 1);
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), 0);
	assert_int_equal(f->req.opcode, MESH_OP_CFG_MODEL_APP_BIND);
	answer_all(f);
	assert_int_equal(f->last.outcome, GW_CONFIGURE_OK);
}

/* A status the record cannot take (an element the node does not have)
 * stops the run with that reason instead of retrying forever. */
static void test_unrecordable_status_stops(void **state)
{
	struct fx *f = *state;
	struct gw_config_plan plan;
	struct mesh_cfg_msg st;

	plan_for(&plan);
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), 0);
	answer(f, MESH_ACKED_STATUS, 0);  /* composition */
	answer(f, MESH_ACKED_STATUS, 0);  /* AppKey */
	node_status(f, 0, &st);
	st.model_app.elem_addr = NODE + 5;
	f->pending = false;
	f->done(f->done_ctx, MESH_ACKED_STATUS, NODE, &st);
	assert_int_equal(f->last.outcome, GW_CONFIGURE_FAILED);
	assert_non_null(strstr(f->last.why, "element the node does not have"));
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct gw_config_plan plan;

	plan_for(&plan);
	assert_int_equal(gw_configure_start(f->c, 0x0777, &plan), -ENOENT);
	plan.app_idx = 9;
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), -EINVAL);
	plan_for(&plan);
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), 0);
	assert_int_equal(gw_configure_start(f->c, NODE, &plan), -EBUSY);
	gw_configure_cancel(f->c);
	assert_int_equal(f->last.outcome, GW_CONFIGURE_CANCELED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_run_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_then_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_then_late_status_recorded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unrecordable_status_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
