/*
 * The Key Refresh procedure end to end: meshgate's core (its own node,
 * configuration client, database) over the HCI path on a pseudo-terminal,
 * against meshsim lamps behind a virtual controller, driven by
 * key_refresh.c with the same glue the core uses (gw_core_cfg_send,
 * netdb_save, gw_node_key_refresh, gw_node_kr_phase).
 *
 * A node is removed from the database but keeps its keys (it ignored its
 * Node Reset, or someone copied them off it). Before the refresh it can
 * switch a lamp; the refresh runs, meshgate is stopped and started again
 * in the middle of phase 2 (its own node comes back from mesh.json in phase
 * 2); afterwards every lamp and meshgate hold only the new keys, meshgate
 * reaches every lamp with them, and the removed node's OnOff Set no longer
 * reaches the lamp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/core.h"
#include "gateway/key_refresh.h"
#include "mesh/bearer/hci.h"
#include "mesh/bearer/uart.h"
#include "mesh/err.h"
#include "mesh/generic_msg.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/vctrl.h"
#include "mesh/sim/world.h"
#include "mesh/uv_timers.h"
#include "sim_gateway.h"
#include "sim_helpers.h"
#include "uv_helpers.h"


static const uint8_t net_key[16] = { 0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
				     0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6 };
static const uint8_t app_key[16] = { 0x63, 0x96, 0x47, 0x71, 0x73, 0x4f, 0xbd, 0x76,
				     0xe3, 0xb4, 0x05, 0x19, 0xd1, 0xd9, 0x4a, 0x48 };

enum { ADDR_LAMP_1 = 0x0010, ADDR_LAMP_2 = 0x0011, ADDR_LAMP_3 = 0x0012, ADDR_REMOVED = 0x0020 };
static const uint16_t lamps[] = { ADDR_LAMP_1, ADDR_LAMP_2, ADDR_LAMP_3 };
static const char *const lamp_names[] = { "lamp-1", "lamp-2", "lamp-3" };

struct fixture {
	struct sim_gateway g;
	struct gw_configure_report configured;
	bool configure_over;
	/* the refresh */
	struct gw_key_refresh *kr;
	struct gw_key_refresh_report kr_last;
	bool kr_over;
	bool kr_phase2;
	unsigned int kr_nodes_failed;
	/* access messages lamp-1 authenticated from the removed node */
	unsigned int removed_heard;
};

/* ---- the core's events and the refresh's glue ------------------------------------ */

static void on_configure(void *ctx, const struct gw_configure_report *r)
{
	struct fixture *f = ctx;

	if (r->outcome == GW_CONFIGURE_RUNNING)
		return;
	f->configured = *r;
	f->configure_over = true;
}

static const struct gw_core_ops core_ops = {
	.configure = on_configure,
};

static int kr_send(void *ctx, uint16_t dst, const struct mesh_cfg_msg *req,
		   gw_configure_done_fn done, void *done_ctx)
{
	struct fixture *f = ctx;

	return gw_core_cfg_send(&f->g.gw, dst, req, done, done_ctx);
}

static int kr_save(void *ctx)
{
	struct fixture *f = ctx;
	char err[512];
	int rc = netdb_save(f->g.gw.db, err, sizeof(err));

	if (rc)
		print_error("netdb_save: %s\n", err);
	return rc;
}

static int kr_local_keys(void *ctx, uint16_t net_idx, const uint8_t new_net_key[16], size_t n_app,
			 const uint16_t *app_idx, const uint8_t (*new_app_keys)[16])
{
	struct fixture *f = ctx;

	return gw_node_key_refresh(&f->g.gw.node, net_idx, new_net_key, n_app, app_idx, new_app_keys);
}

static int kr_local_phase(void *ctx, uint16_t net_idx, uint8_t transition)
{
	struct fixture *f = ctx;

	return gw_node_kr_phase(&f->g.gw.node, net_idx, transition);
}

static void kr_progress(void *ctx, const struct gw_key_refresh_report *r)
{
	struct fixture *f = ctx;

	f->kr_last = *r;
	switch (r->event) {
	case GW_KEY_REFRESH_PHASE:
		if (r->phase == 2)
			f->kr_phase2 = true;
		break;
	case GW_KEY_REFRESH_NODE_FAILED:
		print_error("%s\n", r->why);
		f->kr_nodes_failed++;
		break;
	case GW_KEY_REFRESH_DONE:
	case GW_KEY_REFRESH_FAILED:
	case GW_KEY_REFRESH_CANCELED:
		f->kr_over = true;
		break;
	default:
		break;
	}
}

static const struct gw_key_refresh_ops kr_ops = {
	.send = kr_send,
	.save = kr_save,
	.local_keys = kr_local_keys,
	.local_phase = kr_local_phase,
	.progress = kr_progress,
};

static void on_sim_access(void *ctx, const struct sim_device *d, const struct mesh_access_msg *meta,
			  const uint8_t *payload, size_t len)
{
	struct fixture *f = ctx;

	(void)payload;
	(void)len;
	if (d->desc.keys.address == ADDR_LAMP_1 && meta->src == ADDR_REMOVED)
		f->removed_heard++;
}

/* ---- the world ---------------------------------------------------------------- */

static struct sim_device_desc *add_node(struct sim_scenario *sc, const char *name, uint16_t addr)
{
	struct sim_device_desc *d = sim_scenario_add_device(sc, name, SIM_DEVICE_NODE);

	assert_non_null(d);
	memset(d->uuid, 0, 16);
	d->uuid[0] = 0xe3;
	d->uuid[15] = (uint8_t)addr;
	d->cid = 0x05f1;
	d->pid = (uint16_t)(0x0200 + addr);
	d->vid = 0x0001;
	sim_test_provision_node(d, addr, false, net_key, 0, app_key);
	return d;
}

static void build_scenario(struct sim_scenario *sc)
{
	struct sim_device_desc *d;

	sim_scenario_init(sc);
	snprintf(sc->name, sizeof(sc->name), "key-refresh");
	sc->tx_delay_max_ms = 3;
	assert_non_null(sim_scenario_add_device(sc, "gateway", SIM_DEVICE_CONTROLLER));
	for (size_t i = 0; i < 3; i++) {
		d = add_node(sc, lamp_names[i], lamps[i]);
		d->n_elements = 1;
		d->elements[0].sig_models[d->elements[0].n_sig++] = 0x1000;  /* Generic OnOff Server */
	}
	add_node(sc, "removed", ADDR_REMOVED);
	/* everybody hears everybody */
	for (size_t i = 0; i < 3; i++) {
		assert_non_null(sim_scenario_add_link(sc, "gateway", lamp_names[i], 0, -55));
		assert_non_null(sim_scenario_add_link(sc, "removed", lamp_names[i], 0, -55));
		for (size_t j = i + 1; j < 3; j++)
			assert_non_null(sim_scenario_add_link(sc, lamp_names[i], lamp_names[j], 0,
							      -50));
	}
	assert_non_null(sim_scenario_add_link(sc, "gateway", "removed", 0, -55));
}

static void gateway_open(struct fixture *f)
{
	struct gw_core_config gcfg;

	gw_core_config_default(&gcfg);
	gcfg.auto_configure = false;
	gcfg.request_timeout_ms = 1000;
	sim_gateway_open(&f->g, &gcfg, &core_ops, f);
	assert_int_equal(gw_key_refresh_create(&f->kr, f->g.gw.db, &f->g.timers.timers, &kr_ops, f), 0);
}

/* As the daemon stops: the core first (its configuration client cancels
 * what is on the air), then the refresh. */
static void gateway_close(struct fixture *f)
{
	sim_gateway_close(&f->g);
	gw_key_refresh_destroy(f->kr);
	f->kr = NULL;
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sim_world_observer obs = { .on_access_rx = on_sim_access };

	assert_non_null(f);
	sim_gateway_init(&f->g, "kr");
	build_scenario(&f->g.sc);
	obs.ctx = f;
	sim_gateway_build(&f->g, net_key, app_key, &obs);
	gateway_open(f);
	sim_gateway_start_radio(&f->g);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	if (f->g.gw_open)
		gateway_close(f);
	gw_key_refresh_destroy(f->kr);
	sim_gateway_destroy(&f->g);
	free(f);
	return 0;
}

/* ---- helpers ------------------------------------------------------------------- */

static bool configure_over(void *ctx)
{
	return ((struct fixture *)ctx)->configure_over;
}

/* Composition, AppKey, bindings; nothing else. */
static void configure_lamp(struct fixture *f, uint16_t addr)
{
	struct gw_config_plan plan;

	gw_config_plan_default(&plan);
	f->configure_over = false;
	assert_int_equal(gw_core_configure(&f->g.gw, addr, &plan), 0);
	assert_true(test_uv_run_until(&f->g.loop, configure_over, f, 10000));
	if (f->configured.outcome != GW_CONFIGURE_OK)
		fail_msg("node 0x%04x: %s: %s", addr, gw_configure_step_name(f->configured.step),
			 f->configured.why);
}

struct control_wait {
	bool done;
	enum mesh_acked_event event;
};

static void control_done(void *ctx, struct mesh_acked_req *req, const struct mesh_acked_result *r)
{
	struct control_wait *w = ctx;

	(void)req;
	if (w->done)
		return;
	w->done = true;
	w->event = r->event;
}

static bool control_over(void *ctx)
{
	return ((struct control_wait *)ctx)->done;
}

/* An acknowledged OnOff Get (set < 0) or Set from meshgate; returns the
 * lamp's OnOff state as its status said. */
static uint8_t lamp_onoff(struct fixture *f, uint16_t addr, int set)
{
	struct control_wait w = { 0 };
	struct mesh_model_msg m;
	const struct gw_elem_state *st;

	memset(&m, 0, sizeof(m));
	m.opcode = set < 0 ? MESH_OP_GEN_ONOFF_GET : MESH_OP_GEN_ONOFF_SET;
	m.onoff = set > 0;
	assert_int_equal(gw_core_model_send(&f->g.gw, addr, NULL, &m, control_done, &w), 0);
	assert_true(test_uv_run_until(&f->g.loop, control_over, &w, 10000));
	assert_int_equal(w.event, MESH_ACKED_STATUS);
	st = gw_state_cache_get(f->g.gw.cache, addr);
	assert_non_null(st);
	assert_true(st->known & GW_STATE_ONOFF);
	return st->onoff;
}

/* The removed node switches lamp-1 on (Generic OnOff Set Unacknowledged). */
static void removed_node_switches_on(struct fixture *f, uint8_t tid)
{
	const uint8_t set_unack[] = { 0x82, 0x03, 0x01, tid };

	assert_int_equal(sim_device_send_access(sim_world_find(f->g.world, "removed"), ADDR_LAMP_1,
						MESH_STACK_TTL_DEFAULT, set_unack, sizeof(set_unack)),
			 0);
	test_uv_run_until(&f->g.loop, NULL, NULL, 500);
}

static bool kr_over(void *ctx)
{
	return ((struct fixture *)ctx)->kr_over;
}

static bool kr_phase2(void *ctx)
{
	return ((struct fixture *)ctx)->kr_phase2;
}

/* Only key, for index 0, in a stack: subnet phase 0 with net, AppKey 0
 * with app and no second value. */
static void check_stack_keys(struct mesh_stack *s, const uint8_t net[16], const uint8_t app[16])
{
	struct mesh_subnet *sub = mesh_subnet_find(&s->net.subnets, 0);
	struct mesh_app_key *k = mesh_app_keys_get(&s->app_keys, 0);

	assert_non_null(sub);
	assert_int_equal(sub->kr_phase, MESH_KR_NORMAL);
	assert_memory_equal(sub->keys[sub->old].net_key, net, 16);
	assert_non_null(k);
	assert_false(k->updated);
	assert_memory_equal(k->val[0].key.key, app, 16);
}

/* ---- the test -------------------------------------------------------------------- */

static void test_refresh_locks_out_removed_node(void **state)
{
	struct fixture *f = *state;
	const struct sim_device_desc *removed =
		&f->g.sc.devices[sim_scenario_find(&f->g.sc, "removed")];
	const struct netdb_net_key *nk;
	uint8_t new_net[16], new_app[16];
	unsigned int heard;

	for (size_t i = 0; i < 3; i++)
		configure_lamp(f, lamps[i]);

	/* With the network's keys the node can switch lamp-1 (so the check
	 * at the end can fail). */
	assert_int_equal(lamp_onoff(f, ADDR_LAMP_1, 0), 0);
	removed_node_switches_on(f, 1);
	assert_true(f->removed_heard > 0);
	assert_int_equal(lamp_onoff(f, ADDR_LAMP_1, -1), 1);
	assert_int_equal(lamp_onoff(f, ADDR_LAMP_1, 0), 0);

	/* The user removes it; it keeps its keys. */
	gw_node_device_removed(&f->g.gw.node, ADDR_REMOVED, 1);
	assert_int_equal(netdb_remove_node(f->g.gw.db, removed->uuid, f->g.gw.node.state.iv_index), 0);
	assert_int_equal(kr_save(f), 0);

	/* The refresh, with a restart of meshgate in phase 2. */
	assert_int_equal(gw_key_refresh_start(f->kr, 0), 0);
	assert_true(test_uv_run_until(&f->g.loop, kr_phase2, f, 10000));
	assert_false(f->kr_over);
	gateway_close(f);
	assert_true(f->kr_over);
	assert_int_equal(f->kr_last.event, GW_KEY_REFRESH_CANCELED);
	f->kr_over = false;
	gateway_open(f);
	nk = netdb_net_key(f->g.gw.db, 0);
	assert_int_equal(nk->phase, 2);
	assert_true(mesh_subnet_tx_new(mesh_subnet_find(&f->g.gw.node.stack.net.subnets, 0)));
	assert_int_equal(gw_key_refresh_resume(f->kr), 1);
	assert_true(test_uv_run_until(&f->g.loop, kr_over, f, 15000));
	if (f->kr_last.event != GW_KEY_REFRESH_DONE)
		fail_msg("refresh: %s: %s", gw_key_refresh_event_name(f->kr_last.event),
			 f->kr_last.why);
	assert_int_equal(f->kr_nodes_failed, 0);
	assert_int_equal(f->kr_last.n_cut_off + f->kr_last.n_unconfirmed, 0);

	/* Only the new keys, everywhere but on the removed node. */
	nk = netdb_net_key(f->g.gw.db, 0);
	assert_int_equal(nk->phase, 0);
	assert_false(nk->has_old_key);
	assert_memory_not_equal(nk->key, net_key, 16);
	memcpy(new_net, nk->key, 16);
	memcpy(new_app, netdb_app_key(f->g.gw.db, 0)->key, 16);
	assert_memory_not_equal(new_app, app_key, 16);
	check_stack_keys(&f->g.gw.node.stack, new_net, new_app);
	for (size_t i = 0; i < 3; i++)
		check_stack_keys(sim_world_find(f->g.world, lamp_names[i])->stack, new_net, new_app);
	check_stack_keys(sim_world_find(f->g.world, "removed")->stack, net_key, app_key);

	/* meshgate reaches every lamp with them. */
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(lamp_onoff(f, lamps[i], -1), 0);

	/* The removed node's Set no longer gets through. */
	heard = f->removed_heard;
	removed_node_switches_on(f, 2);
	assert_int_equal(f->removed_heard, heard);
	assert_int_equal(lamp_onoff(f, ADDR_LAMP_1, -1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refresh_locks_out_removed_node),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
