/*
 * The Configuration Server of simulated nodes (mesh/sim/sim_cfg_srv.c),
 * driven over the simulated air as a gateway drives a real node: node A
 * holds node B's device key and sends it Configuration messages from its
 * own stack; B's statuses are caught by the world's access observer and
 * decoded with mesh/cfg_msg.h. Heartbeats B publishes are seen in A's
 * receive trace (control messages from B), and heartbeats A publishes
 * feed B's heartbeat subscription.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/cfg_msg.h"
#include "mesh/crypto.h"
#include "mesh/err.h"
#include "mesh/heartbeat.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/world.h"
#include "mesh/stack.h"
#include "sim_helpers.h"
#include "uv_helpers.h"

#define A_ADDR 0x0001
#define B_ADDR 0x0100
#define B_ELEM1 (B_ADDR + 1)
#define VND_CID 0x05f1
#define VND_ID 0x0042
#define STATUS_MAX 64
#define WAIT_MS 3000u
#define FAR_AWAY_MS 3600000u
#define SAR_SETTLE_MS 500u

static const uint8_t net_key[16] = {
	0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
	0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6,
};
static const uint8_t app_key[16] = {
	0x63, 0x96, 0x47, 0x71, 0x73, 0x4f, 0xbd, 0x76,
	0xe3, 0xb4, 0x05, 0x19, 0xd1, 0xd9, 0x4a, 0x48,
};
static const uint8_t app_key2[16] = {
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
};
static const uint8_t label[16] = {
	0xf4, 0xa0, 0x02, 0xc7, 0xfb, 0x1e, 0x4c, 0xa0,
	0xa4, 0x69, 0xa0, 0x21, 0xde, 0x0d, 0xb8, 0x75,
};

struct status_rec {
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	size_t len;
};

struct fx {
	uv_loop_t loop;
	struct test_log log;
	struct sim_scenario sc;
	struct sim_world *w;
	struct sim_device *a, *b;
	struct status_rec status[STATUS_MAX];
	size_t n_status;
	unsigned int hb_from_b;     /* control messages from B that A took */
	uint8_t hb_ttl;             /* TTL the last one arrived with */
};

/* ---- observers ----------------------------------------------------------- */

static void on_access_rx(void *ctx, const struct sim_device *d,
			 const struct mesh_access_msg *meta, const uint8_t *payload, size_t len)
{
	struct fx *f = ctx;
	struct status_rec *r;

	if (d != f->a || meta->app_idx != MESH_KEY_IDX_DEV || f->n_status >= STATUS_MAX ||
	    len > sizeof(r->payload))
		return;
	r = &f->status[f->n_status++];
	memcpy(r->payload, payload, len);
	r->len = len;
}

static void on_net_rx(void *ctx, const struct sim_device *d, const struct mesh_stack_trace *t)
{
	struct fx *f = ctx;

	/* B sends no transport control message but heartbeats (segment
	 * acknowledgments end in lower transport). */
	if (d == f->a && t->authenticated && t->ctl && t->src == B_ADDR &&
	    t->layer == MESH_STACK_CONTROL && t->err == 0) {
		f->hb_from_b++;
		f->hb_ttl = t->ttl;
	}
}

/* ---- set-up -------------------------------------------------------------- */

static struct sim_device_desc *node(struct fx *f, const char *name, uint16_t addr)
{
	struct sim_device_desc *d = sim_scenario_add_device(&f->sc, name, SIM_DEVICE_NODE);

	assert_non_null(d);
	memset(d->uuid, (int)f->sc.n_devices, sizeof(d->uuid));
	d->beacon_interval_ms = FAR_AWAY_MS;
	sim_test_provision_node(d, addr, true, net_key, 0x001, app_key);
	memset(d->keys.dev_key, 0x40 + (int)f->sc.n_devices, sizeof(d->keys.dev_key));
	return d;
}

/* B: two elements, SIG and vendor models; the Configuration and Health
 * Servers come with every node. */
static void describe_b(struct sim_device_desc *b)
{
	b->cid = VND_CID;
	b->pid = 0x1234;
	b->vid = 0x0102;
	b->n_elements = 2;
	b->elements[0].location = 0x0100;
	b->elements[0].n_sig = 1;
	b->elements[0].sig_models[0] = 0x1000;
	b->elements[1].location = 0x0102;
	b->elements[1].n_sig = 2;
	b->elements[1].sig_models[0] = 0x1000;
	b->elements[1].sig_models[1] = 0x1203;
	b->elements[1].n_vendor = 1;
	b->elements[1].vendor_models[0] = (uint32_t)VND_CID << 16 | VND_ID;
}

static struct fx *fx_new(void)
{
	static const struct sim_world_observer obs_template = {
		.on_net_rx = on_net_rx,
		.on_access_rx = on_access_rx,
	};
	struct sim_world_observer obs = obs_template;
	struct fx *f = calloc(1, sizeof(*f));
	char why[160];

	assert_non_null(f);
	test_log_start(&f->log);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	sim_scenario_init(&f->sc);
	snprintf(f->sc.name, sizeof(f->sc.name), "cfg");
	f->sc.tx_delay_max_ms = 2;
	node(f, "a", A_ADDR);
	describe_b(node(f, "b", B_ADDR));
	assert_non_null(sim_scenario_add_link(&f->sc, "a", "b", 0.0, -50));
	if (sim_scenario_check(&f->sc, why, sizeof(why)))
		fail_msg("scenario: %s", why);
	assert_int_equal(sim_world_create(&f->w, &f->loop, &f->sc), 0);
	obs.ctx = f;
	sim_world_set_observer(f->w, &obs);
	f->a = sim_world_find(f->w, "a");
	f->b = sim_world_find(f->w, "b");
	assert_non_null(f->a);
	assert_non_null(f->b);
	assert_non_null(f->a->stack);
	assert_non_null(f->b->stack);
	/* A configures B: it needs B's device key. */
	assert_int_equal(mesh_stack_dev_key_add(f->a->stack, B_ADDR, 2, f->b->desc.keys.dev_key),
			 0);
	assert_int_equal(sim_world_start(f->w), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	sim_world_destroy(f->w);
	assert_true(test_uv_loop_close(&f->loop));
	sim_scenario_free(&f->sc);
	test_log_stop(&f->log);
	free(f);
}

static void run_ms(struct fx *f, unsigned int ms)
{
	test_uv_run_until(&f->loop, NULL, NULL, ms);
}

/* ---- talking to B ---------------------------------------------------------- */

static void send_to_b(struct fx *f, const struct mesh_cfg_msg *req)
{
	uint8_t buf[MESH_ACCESS_MAX_PAYLOAD];
	struct mesh_stack_access_tx tx;
	int len = mesh_cfg_encode(req, buf, sizeof(buf));

	assert_true(len > 0);
	memset(&tx, 0, sizeof(tx));
	tx.net_idx = 0;
	tx.src = A_ADDR;
	tx.dst = B_ADDR;
	tx.ttl = MESH_STACK_TTL_DEFAULT;
	tx.dev_key = true;
	tx.dev_addr = B_ADDR;
	tx.payload = buf;
	tx.len = (size_t)len;
	/* A segmented request waits until the previous one to B was
	 * acknowledged (one SAR transfer per destination). */
	for (unsigned int waited = 0;; waited += 20) {
		int rc = mesh_stack_send_access(f->a->stack, &tx, NULL);

		if (rc != MESH_ERR_BUSY || waited >= WAIT_MS) {
			assert_int_equal(rc, 0);
			return;
		}
		run_ms(f, 20);
	}
}

struct wait_status {
	struct fx *f;
	size_t from;
};

static bool status_arrived(void *ctx)
{
	struct wait_status *w = ctx;

	return w->f->n_status > w->from;
}

/* Send req and decode the status B answers with (asserting its opcode). */
static void ask(struct fx *f, const struct mesh_cfg_msg *req, struct mesh_cfg_msg *rsp)
{
	struct wait_status w = { f, f->n_status };
	const struct status_rec *r;

	send_to_b(f, req);
	if (!test_uv_run_until(&f->loop, status_arrived, &w, WAIT_MS))
		fail_msg("no answer to %s", mesh_cfg_opcode_name(req->opcode));
	r = &f->status[w.from];
	/* B sends one segmented message to A at a time: let A's
	 * acknowledgment of a segmented status reach B before the next
	 * request, whose answer would otherwise find B busy. */
	if (!mesh_access_fits_unsegmented(r->len))
		run_ms(f, SAR_SETTLE_MS);
	assert_int_equal(mesh_cfg_decode(r->payload, r->len, rsp), 0);
	assert_int_equal(rsp->opcode, mesh_cfg_status_opcode_for(req->opcode));
}

/* Send req and make sure B stays silent. */
static void ask_ignored(struct fx *f, const struct mesh_cfg_msg *req)
{
	struct wait_status w = { f, f->n_status };

	send_to_b(f, req);
	assert_false(test_uv_run_until(&f->loop, status_arrived, &w, 500));
}

static struct mesh_cfg_msg *msg_new(uint32_t opcode)
{
	struct mesh_cfg_msg *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->opcode = opcode;
	return m;
}

/* Model App Bind/Unbind; returns the status code. */
static uint8_t model_app(struct fx *f, uint32_t op, uint16_t elem, uint16_t app_idx,
			 struct mesh_model_id id)
{
	struct mesh_cfg_msg *req = msg_new(op), *rsp = msg_new(0);
	uint8_t status;

	req->model_app.elem_addr = elem;
	req->model_app.app_idx = app_idx;
	req->model_app.model = id;
	ask(f, req, rsp);
	assert_int_equal(rsp->model_app.elem_addr, elem);
	assert_int_equal(rsp->model_app.app_idx, app_idx);
	assert_true(mesh_model_id_equal(rsp->model_app.model, id));
	status = rsp->model_app.status;
	free(req);
	free(rsp);
	return status;
}

/* Model Subscription request; returns the status code. */
static uint8_t model_sub(struct fx *f, uint32_t op, uint16_t elem, uint16_t addr,
			 const uint8_t *uuid, struct mesh_model_id id)
{
	struct mesh_cfg_msg *req = msg_new(op), *rsp = msg_new(0);
	uint8_t status;

	req->model_sub.elem_addr = elem;
	req->model_sub.addr = addr;
	if (uuid)
		memcpy(req->model_sub.label, uuid, 16);
	req->model_sub.model = id;
	ask(f, req, rsp);
	assert_int_equal(rsp->model_sub.elem_addr, elem);
	assert_true(mesh_model_id_equal(rsp->model_sub.model, id));
	status = rsp->model_sub.status;
	free(req);
	free(rsp);
	return status;
}

/* The subscription list of a model; returns the status, fills addrs. */
static uint8_t sub_list(struct fx *f, uint16_t elem, struct mesh_model_id id, uint16_t *addrs,
			uint16_t *n)
{
	struct mesh_cfg_msg *req = msg_new(id.vendor ? MESH_OP_CFG_VND_MODEL_SUB_GET
						     : MESH_OP_CFG_SIG_MODEL_SUB_GET);
	struct mesh_cfg_msg *rsp = msg_new(0);
	uint8_t status;

	req->model_sub_list.elem_addr = elem;
	req->model_sub_list.model = id;
	ask(f, req, rsp);
	status = rsp->model_sub_list.status;
	*n = rsp->model_sub_list.n;
	memcpy(addrs, rsp->model_sub_list.addr, *n * sizeof(addrs[0]));
	free(req);
	free(rsp);
	return status;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_composition_data(void **state)
{
	struct fx *f = fx_new();
	struct mesh_cfg_msg *req = msg_new(MESH_OP_CFG_COMP_DATA_GET), *rsp = msg_new(0);
	struct mesh_comp0 *c = calloc(1, sizeof(*c));
	const struct sim_device_desc *d = &f->b->desc;

	(void)state;
	assert_non_null(c);
	/* Page 5 does not exist: the largest page below it, 0, answers. */
	req->comp_data.page = 5;
	ask(f, req, rsp);
	assert_int_equal(rsp->comp_data.page, 0);
	assert_int_equal(mesh_cfg_comp0_parse(rsp->comp_data.data, rsp->comp_data.len, c), 0);
	assert_int_equal(c->cid, VND_CID);
	assert_int_equal(c->pid, 0x1234);
	assert_int_equal(c->vid, 0x0102);
	assert_true(c->crpl > 0);
	assert_int_equal(c->features & MESH_FEAT_RELAY, MESH_FEAT_RELAY);
	assert_int_equal(c->features & (MESH_FEAT_PROXY | MESH_FEAT_FRIEND), 0);
	assert_int_equal(c->n_elems, 2);
	assert_int_equal(c->elems[0].loc, 0x0100);
	assert_int_equal(c->elems[1].loc, 0x0102);
	/* Exactly the models the node runs, per element, in its order. */
	for (unsigned int e = 0; e < 2; e++) {
		assert_int_equal(c->elems[e].n_sig, d->elements[e].n_sig);
		assert_int_equal(c->elems[e].n_vnd, d->elements[e].n_vendor);
		for (unsigned int i = 0; i < d->elements[e].n_sig; i++) {
			struct mesh_model_id id = mesh_model_id_sig(d->elements[e].sig_models[i]);

			assert_true(mesh_model_id_equal(c->elems[e].models[i], id));
		}
	}
	/* What the scenario listed is there, plus the Configuration Server. */
	assert_true(mesh_model_id_equal(c->elems[0].models[0], mesh_model_id_sig(0x0000)));
	assert_true(mesh_model_id_equal(c->elems[1].models[0], mesh_model_id_sig(0x1000)));
	assert_true(mesh_model_id_equal(c->elems[1].models[1], mesh_model_id_sig(0x1203)));
	assert_int_equal(c->elems[1].n_vnd, 1);
	assert_true(mesh_model_id_equal(c->elems[1].models[2],
					mesh_model_id_vendor(VND_CID, VND_ID)));
	free(c);
	free(req);
	free(rsp);
	fx_free(f);
}

static void test_keys_and_bindings(void **state)
{
	struct fx *f = fx_new();
	struct mesh_cfg_msg *req = msg_new(MESH_OP_CFG_APPKEY_ADD), *rsp = msg_new(0);
	struct mesh_model_id onoff = mesh_model_id_sig(0x1000);
	struct mesh_model_id vnd = mesh_model_id_vendor(VND_CID, VND_ID);

	(void)state;
	/* AppKey Add, again with the same key (idempotent), then another
	 * key under that index. */
	req->app_key.net_idx = 0;
	req->app_key.app_idx = 0x002;
	memcpy(req->app_key.key, app_key2, 16);
	ask(f, req, rsp);
	assert_int_equal(rsp->app_key.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->app_key.app_idx, 0x002);
	ask(f, req, rsp);
	assert_int_equal(rsp->app_key.status, MESH_CFG_SUCCESS);
	memcpy(req->app_key.key, app_key, 16);
	ask(f, req, rsp);
	assert_int_equal(rsp->app_key.status, MESH_CFG_KEY_INDEX_ALREADY_STORED);
	req->app_key.net_idx = 0x005;
	req->app_key.app_idx = 0x003;
	ask(f, req, rsp);
	assert_int_equal(rsp->app_key.status, MESH_CFG_INVALID_NETKEY);

	/* AppKey Get lists both keys of NetKey 0. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_APPKEY_GET;
	req->key_list.net_idx = 0;
	ask(f, req, rsp);
	assert_int_equal(rsp->key_list.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->key_list.n, 2);
	assert_true((rsp->key_list.idx[0] == 0x001 && rsp->key_list.idx[1] == 0x002) ||
		    (rsp->key_list.idx[0] == 0x002 && rsp->key_list.idx[1] == 0x001));

	/* Bind, list, and the errors. */
	assert_int_equal(model_app(f, MESH_OP_CFG_MODEL_APP_BIND, B_ADDR, 0x002, onoff),
			 MESH_CFG_SUCCESS);
	assert_int_equal(model_app(f, MESH_OP_CFG_MODEL_APP_BIND, B_ELEM1, 0x001, vnd),
			 MESH_CFG_SUCCESS);
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_SIG_MODEL_APP_GET;
	req->model_app_list.elem_addr = B_ADDR;
	req->model_app_list.model = onoff;
	ask(f, req, rsp);
	assert_int_equal(rsp->model_app_list.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->model_app_list.n, 1);
	assert_int_equal(rsp->model_app_list.app_idx[0], 0x002);
	req->opcode = MESH_OP_CFG_VND_MODEL_APP_GET;
	req->model_app_list.elem_addr = B_ELEM1;
	req->model_app_list.model = vnd;
	ask(f, req, rsp);
	assert_int_equal(rsp->model_app_list.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->model_app_list.n, 1);
	assert_int_equal(rsp->model_app_list.app_idx[0], 0x001);

	assert_int_equal(model_app(f, MESH_OP_CFG_MODEL_APP_BIND, B_ADDR, 0x002,
				   mesh_model_id_sig(0x1203)), MESH_CFG_INVALID_MODEL);
	assert_int_equal(model_app(f, MESH_OP_CFG_MODEL_APP_BIND, B_ADDR, 0x123, onoff),
			 MESH_CFG_INVALID_APPKEY);
	assert_int_equal(model_app(f, MESH_OP_CFG_MODEL_APP_BIND, B_ADDR + 5, 0x002, onoff),
			 MESH_CFG_INVALID_ADDRESS);
	assert_int_equal(model_app(f, MESH_OP_CFG_MODEL_APP_BIND, B_ADDR, 0x002,
				   mesh_model_id_sig(0x0000)), MESH_CFG_CANNOT_BIND);

	/* Unbind: the list is empty again. */
	assert_int_equal(model_app(f, MESH_OP_CFG_MODEL_APP_UNBIND, B_ADDR, 0x002, onoff),
			 MESH_CFG_SUCCESS);
	req->opcode = MESH_OP_CFG_SIG_MODEL_APP_GET;
	req->model_app_list.elem_addr = B_ADDR;
	req->model_app_list.model = onoff;
	ask(f, req, rsp);
	assert_int_equal(rsp->model_app_list.n, 0);

	/* The only NetKey cannot go; an unknown one "goes" at once. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_NETKEY_DELETE;
	req->net_key.net_idx = 0;
	ask(f, req, rsp);
	assert_int_equal(rsp->net_key.status, MESH_CFG_CANNOT_REMOVE);
	req->net_key.net_idx = 0x007;
	ask(f, req, rsp);
	assert_int_equal(rsp->net_key.status, MESH_CFG_SUCCESS);
	req->opcode = MESH_OP_CFG_NETKEY_GET;
	ask(f, req, rsp);
	assert_int_equal(rsp->key_list.n, 1);
	assert_int_equal(rsp->key_list.idx[0], 0);

	/* AppKey Delete takes the key away. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_APPKEY_DELETE;
	req->app_key.app_idx = 0x002;
	ask(f, req, rsp);
	assert_int_equal(rsp->app_key.status, MESH_CFG_SUCCESS);
	assert_int_equal(model_app(f, MESH_OP_CFG_MODEL_APP_BIND, B_ADDR, 0x002, onoff),
			 MESH_CFG_INVALID_APPKEY);
	free(req);
	free(rsp);
	fx_free(f);
}

static void test_subscriptions(void **state)
{
	struct fx *f = fx_new();
	struct mesh_model_id onoff = mesh_model_id_sig(0x1000);
	struct mesh_model_id vnd = mesh_model_id_vendor(VND_CID, VND_ID);
	uint16_t addrs[MESH_CFG_ADDR_LIST_MAX], n, va;

	(void)state;
	assert_int_equal(mesh_virtual_address(label, &va), 0);
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_ADD, B_ADDR, 0xc001, NULL, onoff),
			 MESH_CFG_SUCCESS);
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_ADD, B_ADDR, 0xc003, NULL, onoff),
			 MESH_CFG_SUCCESS);
	assert_int_equal(sub_list(f, B_ADDR, onoff, addrs, &n), MESH_CFG_SUCCESS);
	assert_int_equal(n, 2);
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_OVERWRITE, B_ADDR, 0xc002, NULL, onoff),
			 MESH_CFG_SUCCESS);
	assert_int_equal(sub_list(f, B_ADDR, onoff, addrs, &n), MESH_CFG_SUCCESS);
	assert_int_equal(n, 1);
	assert_int_equal(addrs[0], 0xc002);

	/* A virtual address: the label goes into B's label table. */
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_VA_ADD, B_ADDR, 0, label, onoff),
			 MESH_CFG_SUCCESS);
	assert_int_equal(sub_list(f, B_ADDR, onoff, addrs, &n), MESH_CFG_SUCCESS);
	assert_int_equal(n, 2);
	assert_int_equal(addrs[0], 0xc002);
	assert_int_equal(addrs[1], va);
	assert_non_null(mesh_va_find(&f->b->stack->va, label));
	/* Deleting something absent succeeds and changes nothing. */
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_DELETE, B_ADDR, 0xc00f, NULL, onoff),
			 MESH_CFG_SUCCESS);
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_DELETE, B_ADDR, 0xc002, NULL, onoff),
			 MESH_CFG_SUCCESS);
	assert_int_equal(sub_list(f, B_ADDR, onoff, addrs, &n), MESH_CFG_SUCCESS);
	assert_int_equal(n, 1);
	assert_int_equal(addrs[0], va);

	/* Vendor model on the second element. */
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE, B_ELEM1, 0, label, vnd),
			 MESH_CFG_SUCCESS);
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_ADD, B_ELEM1, 0xc010, NULL, vnd),
			 MESH_CFG_SUCCESS);
	assert_int_equal(sub_list(f, B_ELEM1, vnd, addrs, &n), MESH_CFG_SUCCESS);
	assert_int_equal(n, 2);
	assert_int_equal(addrs[0], va);
	assert_int_equal(addrs[1], 0xc010);

	/* Delete All on both: the lists empty and the label is released. */
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_DELETE_ALL, B_ADDR, 0, NULL, onoff),
			 MESH_CFG_SUCCESS);
	assert_non_null(mesh_va_find(&f->b->stack->va, label));
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_VA_DELETE, B_ELEM1, 0, label, vnd),
			 MESH_CFG_SUCCESS);
	assert_null(mesh_va_find(&f->b->stack->va, label));
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_DELETE_ALL, B_ELEM1, 0, NULL, vnd),
			 MESH_CFG_SUCCESS);
	assert_int_equal(sub_list(f, B_ADDR, onoff, addrs, &n), MESH_CFG_SUCCESS);
	assert_int_equal(n, 0);
	assert_int_equal(sub_list(f, B_ELEM1, vnd, addrs, &n), MESH_CFG_SUCCESS);
	assert_int_equal(n, 0);

	/* Errors. */
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_ADD, B_ADDR, 0xc001, NULL,
				   mesh_model_id_sig(0x0000)), MESH_CFG_NOT_A_SUB_MODEL);
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_ADD, B_ADDR, 0xc001, NULL, vnd),
			 MESH_CFG_INVALID_MODEL);
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_ADD, 0x0300, 0xc001, NULL, onoff),
			 MESH_CFG_INVALID_ADDRESS);
	/* The list is bounded: one too many is Insufficient Resources. */
	for (uint16_t i = 0; i < MESH_MODEL_SUBS_MAX; i++)
		assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_ADD, B_ADDR, 0xc100 + i, NULL,
					   onoff), MESH_CFG_SUCCESS);
	assert_int_equal(model_sub(f, MESH_OP_CFG_MODEL_SUB_ADD, B_ADDR, 0xc200, NULL, onoff),
			 MESH_CFG_INSUFFICIENT_RESOURCES);
	fx_free(f);
}

static void test_publication(void **state)
{
	struct fx *f = fx_new();
	struct mesh_cfg_msg *req = msg_new(MESH_OP_CFG_MODEL_PUB_SET), *rsp = msg_new(0);
	struct mesh_model_id onoff = mesh_model_id_sig(0x1000);
	uint16_t va;

	(void)state;
	assert_int_equal(mesh_virtual_address(label, &va), 0);
	/* Not bound yet: the AppKey is not one the model may use. */
	req->model_pub.elem_addr = B_ELEM1;
	req->model_pub.model = onoff;
	req->model_pub.pub_addr = 0xc005;
	req->model_pub.app_idx = 0x001;
	req->model_pub.ttl = 6;
	req->model_pub.period = 0;
	req->model_pub.retransmit = mesh_cfg_transmit_pack(1, 2);
	ask(f, req, rsp);
	assert_int_equal(rsp->model_pub.status, MESH_CFG_INVALID_APPKEY);
	assert_int_equal(model_app(f, MESH_OP_CFG_MODEL_APP_BIND, B_ELEM1, 0x001, onoff),
			 MESH_CFG_SUCCESS);
	ask(f, req, rsp);
	assert_int_equal(rsp->model_pub.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->model_pub.elem_addr, B_ELEM1);
	assert_int_equal(rsp->model_pub.pub_addr, 0xc005);
	assert_int_equal(rsp->model_pub.app_idx, 0x001);
	assert_int_equal(rsp->model_pub.ttl, 6);
	assert_int_equal(rsp->model_pub.retransmit, mesh_cfg_transmit_pack(1, 2));
	assert_true(mesh_model_id_equal(rsp->model_pub.model, onoff));

	/* Get reads back what was stored. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_MODEL_PUB_GET;
	req->model_pub.elem_addr = B_ELEM1;
	req->model_pub.model = onoff;
	ask(f, req, rsp);
	assert_int_equal(rsp->model_pub.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->model_pub.pub_addr, 0xc005);
	assert_int_equal(rsp->model_pub.ttl, 6);
	assert_int_equal(rsp->model_pub.retransmit, mesh_cfg_transmit_pack(1, 2));

	/* A virtual publication address. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_MODEL_PUB_VA_SET;
	req->model_pub.elem_addr = B_ELEM1;
	req->model_pub.model = onoff;
	memcpy(req->model_pub.label, label, 16);
	req->model_pub.app_idx = 0x001;
	req->model_pub.ttl = MESH_CFG_PUB_TTL_DEFAULT;
	ask(f, req, rsp);
	assert_int_equal(rsp->model_pub.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->model_pub.pub_addr, va);
	assert_int_equal(rsp->model_pub.ttl, MESH_CFG_PUB_TTL_DEFAULT);
	assert_non_null(mesh_va_find(&f->b->stack->va, label));

	/* Unassigned turns it off, and releases the label. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_MODEL_PUB_SET;
	req->model_pub.elem_addr = B_ELEM1;
	req->model_pub.model = onoff;
	req->model_pub.app_idx = 0x001;
	req->model_pub.ttl = 5;
	ask(f, req, rsp);
	assert_int_equal(rsp->model_pub.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->model_pub.pub_addr, 0);
	assert_int_equal(rsp->model_pub.ttl, 0);
	assert_null(mesh_va_find(&f->b->stack->va, label));

	/* Errors: the Configuration Server publishes nothing; models and
	 * elements that are not there. */
	req->model_pub.elem_addr = B_ADDR;
	req->model_pub.model = mesh_model_id_sig(0x0000);
	req->model_pub.pub_addr = 0xc005;
	ask(f, req, rsp);
	assert_int_equal(rsp->model_pub.status, MESH_CFG_INVALID_PUB_PARAMS);
	req->model_pub.model = mesh_model_id_sig(0x1203);
	ask(f, req, rsp);
	assert_int_equal(rsp->model_pub.status, MESH_CFG_INVALID_MODEL);
	req->model_pub.elem_addr = 0x0500;
	ask(f, req, rsp);
	assert_int_equal(rsp->model_pub.status, MESH_CFG_INVALID_ADDRESS);
	free(req);
	free(rsp);
	fx_free(f);
}

static void test_node_states(void **state)
{
	struct fx *f = fx_new();
	struct mesh_cfg_msg *req = msg_new(MESH_OP_CFG_DEFAULT_TTL_SET), *rsp = msg_new(0);

	(void)state;
	req->value = 9;
	ask(f, req, rsp);
	assert_int_equal(rsp->value, 9);
	assert_int_equal(f->b->stack->default_ttl, 9);
	/* Network Transmit: stored in the node state the bearer uses. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_NET_TRANSMIT_SET;
	req->value = mesh_cfg_transmit_pack(2, 3);
	ask(f, req, rsp);
	assert_int_equal(rsp->value, mesh_cfg_transmit_pack(2, 3));
	req->opcode = MESH_OP_CFG_NET_TRANSMIT_GET;
	ask(f, req, rsp);
	assert_int_equal(rsp->value, mesh_cfg_transmit_pack(2, 3));
	/* Features meshsim does not have. */
	req->opcode = MESH_OP_CFG_GATT_PROXY_SET;
	req->value = MESH_CFG_ENABLED;
	ask(f, req, rsp);
	assert_int_equal(rsp->value, MESH_CFG_NOT_SUPPORTED);
	req->opcode = MESH_OP_CFG_FRIEND_GET;
	ask(f, req, rsp);
	assert_int_equal(rsp->value, MESH_CFG_NOT_SUPPORTED);
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_NODE_IDENTITY_GET;
	ask(f, req, rsp);
	assert_int_equal(rsp->node_identity.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->node_identity.identity, MESH_CFG_NOT_SUPPORTED);
	req->node_identity.net_idx = 0x009;
	ask(f, req, rsp);
	assert_int_equal(rsp->node_identity.status, MESH_CFG_INVALID_NETKEY);
	/* Beacon off and on. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_BEACON_SET;
	req->value = MESH_CFG_DISABLED;
	ask(f, req, rsp);
	assert_int_equal(rsp->value, MESH_CFG_DISABLED);
	/* Key Refresh Phase of a known and an unknown NetKey. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_KRP_GET;
	ask(f, req, rsp);
	assert_int_equal(rsp->krp.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->krp.phase, MESH_CFG_KR_PHASE_NORMAL);
	req->krp.net_idx = 0x00a;
	ask(f, req, rsp);
	assert_int_equal(rsp->krp.status, MESH_CFG_INVALID_NETKEY);
	/* Phase 0 -> transition 2 is prohibited: no answer. */
	req->opcode = MESH_OP_CFG_KRP_SET;
	req->krp.net_idx = 0;
	req->krp.phase = MESH_CFG_KR_TRANSITION_2;
	ask_ignored(f, req);
	free(req);
	free(rsp);
	fx_free(f);
}

static bool hb_count_reached(void *ctx)
{
	struct wait_status *w = ctx;

	return w->f->hb_from_b >= w->from;
}

static void test_heartbeat_publication(void **state)
{
	struct fx *f = fx_new();
	struct mesh_cfg_msg *req = msg_new(MESH_OP_CFG_HB_PUB_SET), *rsp = msg_new(0);
	struct wait_status w = { f, 4 };
	unsigned int before;

	(void)state;
	/* Four heartbeats (Count Log 3), one a second, TTL 5. */
	req->hb_pub.dst = A_ADDR;
	req->hb_pub.count_log = 3;
	req->hb_pub.period_log = 1;
	req->hb_pub.ttl = 5;
	req->hb_pub.net_idx = 0;
	ask(f, req, rsp);
	assert_int_equal(rsp->hb_pub.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->hb_pub.dst, A_ADDR);
	assert_int_equal(rsp->hb_pub.period_log, 1);
	assert_int_equal(rsp->hb_pub.ttl, 5);
	assert_true(rsp->hb_pub.count_log == 3 || rsp->hb_pub.count_log == 2);
	/* The first goes out at once; after the second the count is down. */
	run_ms(f, 1500);
	assert_int_equal(f->hb_from_b, 2);
	assert_int_equal(f->hb_ttl, 5);
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_HB_PUB_GET;
	ask(f, req, rsp);
	assert_int_equal(rsp->hb_pub.count_log, 2);  /* 2 left */
	assert_true(test_uv_run_until(&f->loop, hb_count_reached, &w, 4000));
	run_ms(f, 1500);
	assert_int_equal(f->hb_from_b, 4);  /* and no more */
	ask(f, req, rsp);
	assert_int_equal(rsp->hb_pub.count_log, 0);
	assert_int_equal(rsp->hb_pub.dst, A_ADDR);

	/* Triggered: features include relay, no periodic publication. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_HB_PUB_SET;
	req->hb_pub.dst = A_ADDR;
	req->hb_pub.ttl = 3;
	req->hb_pub.features = MESH_FEAT_RELAY;
	ask(f, req, rsp);
	assert_int_equal(rsp->hb_pub.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->hb_pub.features, MESH_FEAT_RELAY);
	run_ms(f, 300);
	before = f->hb_from_b;
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_RELAY_SET;
	req->relay.relay = MESH_CFG_DISABLED;
	req->relay.retransmit = mesh_cfg_transmit_pack(1, 1);
	ask(f, req, rsp);
	assert_int_equal(rsp->relay.relay, MESH_CFG_DISABLED);
	assert_int_equal(rsp->relay.retransmit, mesh_cfg_transmit_pack(1, 1));
	run_ms(f, 300);
	assert_int_equal(f->hb_from_b, before + 1);
	assert_int_equal(f->hb_ttl, 3);
	/* No change, no heartbeat. */
	ask(f, req, rsp);
	run_ms(f, 300);
	assert_int_equal(f->hb_from_b, before + 1);
	req->relay.relay = MESH_CFG_ENABLED;
	ask(f, req, rsp);
	assert_int_equal(rsp->relay.relay, MESH_CFG_ENABLED);
	run_ms(f, 300);
	assert_int_equal(f->hb_from_b, before + 2);

	/* Errors: an unknown NetKey; a prohibited TTL is ignored. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_HB_PUB_SET;
	req->hb_pub.dst = A_ADDR;
	req->hb_pub.net_idx = 0x044;
	ask(f, req, rsp);
	assert_int_equal(rsp->hb_pub.status, MESH_CFG_INVALID_NETKEY);
	assert_int_equal(rsp->hb_pub.net_idx, 0x044);
	{
		/* Default TTL 1 is prohibited; the codec will not even
		 * encode it, so send the raw octets. */
		static const uint8_t ttl_one[] = { 0x80, 0x0d, 0x01 };
		struct mesh_stack_access_tx tx = {
			.net_idx = 0, .src = A_ADDR, .dst = B_ADDR, .ttl = MESH_STACK_TTL_DEFAULT,
			.dev_key = true, .dev_addr = B_ADDR, .payload = ttl_one, .len = 3,
		};
		struct wait_status ws = { f, f->n_status };

		assert_int_equal(mesh_stack_send_access(f->a->stack, &tx, NULL), 0);
		assert_false(test_uv_run_until(&f->loop, status_arrived, &ws, 500));
		assert_int_equal(f->b->stack->default_ttl, 7);
	}
	free(req);
	free(rsp);
	fx_free(f);
}

/* A heartbeat from A to B whose network TTL is ttl and InitTTL init_ttl:
 * B counts init_ttl - ttl + 1 hops, as if it had been relayed. */
static void a_heartbeat(struct fx *f, uint8_t init_ttl, uint8_t ttl)
{
	struct mesh_heartbeat hb = { .init_ttl = init_ttl, .features = 0 };
	uint8_t params[MESH_HEARTBEAT_LEN];
	struct mesh_stack_ctl_tx tx = {
		.net_idx = 0, .src = A_ADDR, .dst = B_ADDR, .ttl = ttl,
		.opcode = MESH_CTL_HEARTBEAT, .params = params, .len = sizeof(params),
	};

	assert_int_equal(mesh_heartbeat_encode(&hb, params), 0);
	assert_int_equal(mesh_stack_send_control(f->a->stack, &tx, NULL), 0);
	run_ms(f, 100);
}

static void test_heartbeat_subscription(void **state)
{
	struct fx *f = fx_new();
	struct mesh_cfg_msg *req = msg_new(MESH_OP_CFG_HB_SUB_SET), *rsp = msg_new(0);

	(void)state;
	req->hb_sub.src = A_ADDR;
	req->hb_sub.dst = B_ADDR;
	req->hb_sub.period_log = 0x06;  /* 32 s */
	ask(f, req, rsp);
	assert_int_equal(rsp->hb_sub.status, MESH_CFG_SUCCESS);
	assert_int_equal(rsp->hb_sub.src, A_ADDR);
	assert_int_equal(rsp->hb_sub.dst, B_ADDR);
	/* Remaining 31.x s reported as 2^(n-1) <= s < 2^n: 0x05. */
	assert_true(rsp->hb_sub.period_log == 0x05 || rsp->hb_sub.period_log == 0x06);
	assert_int_equal(rsp->hb_sub.count_log, 0);

	a_heartbeat(f, 5, 5);   /* 1 hop */
	a_heartbeat(f, 5, 3);   /* 3 hops */
	a_heartbeat(f, 5, 4);   /* 2 hops */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_HB_SUB_GET;
	ask(f, req, rsp);
	assert_int_equal(rsp->hb_sub.count_log, 2);  /* 3 heartbeats: 2 <= 3 < 4 */
	assert_int_equal(rsp->hb_sub.min_hops, 1);
	assert_int_equal(rsp->hb_sub.max_hops, 3);
	assert_int_equal(rsp->hb_sub.src, A_ADDR);

	/* Period 0: counting stops, the results stay readable. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_HB_SUB_SET;
	req->hb_sub.src = A_ADDR;
	req->hb_sub.dst = B_ADDR;
	ask(f, req, rsp);
	assert_int_equal(rsp->hb_sub.period_log, 0);
	a_heartbeat(f, 5, 5);
	a_heartbeat(f, 5, 5);
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_HB_SUB_GET;
	ask(f, req, rsp);
	assert_int_equal(rsp->hb_sub.count_log, 2);
	assert_int_equal(rsp->hb_sub.max_hops, 3);

	/* Unassigned source: off and cleared. */
	memset(req, 0, sizeof(*req));
	req->opcode = MESH_OP_CFG_HB_SUB_SET;
	req->hb_sub.dst = B_ADDR;
	req->hb_sub.period_log = 3;
	ask(f, req, rsp);
	assert_int_equal(rsp->hb_sub.src, 0);
	assert_int_equal(rsp->hb_sub.dst, 0);
	assert_int_equal(rsp->hb_sub.count_log, 0);
	/* Another node's unicast address as destination is prohibited. */
	req->hb_sub.src = A_ADDR;
	req->hb_sub.dst = 0x0200;
	ask_ignored(f, req);
	free(req);
	free(rsp);
	fx_free(f);
}

static bool b_unprovisioned(void *ctx)
{
	struct fx *f = ctx;

	return f->b->stack == NULL;
}

static void test_node_reset(void **state)
{
	struct fx *f = fx_new();
	struct mesh_cfg_msg *req = msg_new(MESH_OP_CFG_NODE_RESET), *rsp = msg_new(0);

	(void)state;
	ask(f, req, rsp);
	assert_int_equal(rsp->opcode, MESH_OP_CFG_NODE_RESET_STATUS);
	assert_true(test_uv_run_until(&f->loop, b_unprovisioned, f, WAIT_MS));
	/* Gone: nobody answers any more. */
	req->opcode = MESH_OP_CFG_DEFAULT_TTL_GET;
	ask_ignored(f, req);
	free(req);
	free(rsp);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_composition_data),
		cmocka_unit_test(test_keys_and_bindings),
		cmocka_unit_test(test_subscriptions),
		cmocka_unit_test(test_publication),
		cmocka_unit_test(test_node_states),
		cmocka_unit_test(test_heartbeat_publication),
		cmocka_unit_test(test_heartbeat_subscription),
		cmocka_unit_test(test_node_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
