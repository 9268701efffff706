/*
 * The gateway core end to end over the HCI path: meshgate's own node,
 * configuration client, configure-node workflow, state cache and
 * liveness on the HCI core over a real pseudo-terminal, against meshsim
 * nodes (Configuration, Health, lighting and sensor servers, a wall
 * switch, a relay chain) behind a virtual controller.
 *
 * The nodes start provisioned with the network's keys (as if provisioned
 * earlier); everything after that goes over the air: composition data,
 * AppKey, bindings, subscriptions to a group and a virtual address,
 * publications, heartbeats. The tests run in order on one world.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/cfg_apply.h"
#include "gateway/core.h"
#include "mesh/bearer/hci.h"
#include "mesh/bearer/uart.h"
#include "mesh/crypto.h"
#include "mesh/err.h"
#include "mesh/light_msg.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/vctrl.h"
#include "mesh/sim/world.h"
#include "mesh/uv_timers.h"
#include "sim_gateway.h"
#include "sim_helpers.h"
#include "uv_helpers.h"

#define HB_PERIOD_S 2u
#define STAIRWAY_GROUP 0xc001u

static const uint8_t net_key[16] = { 0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
				     0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6 };
static const uint8_t app_key[16] = { 0x63, 0x96, 0x47, 0x71, 0x73, 0x4f, 0xbd, 0x76,
				     0xe3, 0xb4, 0x05, 0x19, 0xd1, 0xd9, 0x4a, 0x48 };
static const uint8_t stairway_label[16] = { 0x0d, 0x75, 0x3b, 0x5e, 0x2a, 0x4c, 0x4e, 0x8f,
					    0x9a, 0x63, 0x11, 0x2b, 0x4e, 0x60, 0x71, 0x88 };

enum { ADDR_END = 0x0005, ADDR_LAMP_A = 0x0010, ADDR_LAMP_B = 0x0011, ADDR_LAMP_CTL = 0x0012,
       ADDR_LAMP_HSL = 0x0014, ADDR_SWITCH = 0x0020, ADDR_SENSOR = 0x0030 };

struct fixture {
	struct sim_gateway g;
	/* what the core told */
	struct gw_configure_report configured;
	bool configure_over;
	unsigned int offline_events, online_events;
	uint16_t watch_addr;
	/* a request's events, in order */
	enum mesh_acked_event events[8];
	size_t n_events;
};

static struct fixture *fx;

/* ---- the core's events -------------------------------------------------------- */

static void on_configure(void *ctx, const struct gw_configure_report *r)
{
	struct fixture *f = ctx;

	if (r->outcome == GW_CONFIGURE_RUNNING)
		return;
	f->configured = *r;
	f->configure_over = true;
}

static void on_liveness(void *ctx, const struct liveness_event *ev)
{
	struct fixture *f = ctx;

	if (ev->node->addr != f->watch_addr)
		return;
	if (ev->type == LIVENESS_EV_OFFLINE)
		f->offline_events++;
	if (ev->type == LIVENESS_EV_ONLINE)
		f->online_events++;
}

static const struct gw_core_ops core_ops = {
	.configure = on_configure,
	.liveness = on_liveness,
};

/* ---- the world ---------------------------------------------------------------- */

static struct sim_device_desc *add_node(struct sim_scenario *sc, const char *name, uint16_t addr,
					bool relay)
{
	struct sim_device_desc *d = sim_scenario_add_device(sc, name, SIM_DEVICE_NODE);

	assert_non_null(d);
	memset(d->uuid, 0, 16);
	d->uuid[0] = 0xe2;
	d->uuid[14] = (uint8_t)(addr >> 8);
	d->uuid[15] = (uint8_t)addr;
	d->cid = 0x05f1;
	d->pid = (uint16_t)(0x0100 + addr);
	d->vid = 0x0007;
	sim_test_provision_node(d, addr, relay, net_key, 0, app_key);
	return d;
}

static void add_models(struct sim_device_desc *d, uint8_t elem, uint16_t loc, const uint16_t *ids,
		       size_t n)
{
	struct sim_element_desc *el = &d->elements[elem];

	if (d->n_elements < elem + 1)
		d->n_elements = (uint8_t)(elem + 1);
	el->location = loc;
	for (size_t i = 0; i < n; i++)
		el->sig_models[el->n_sig++] = ids[i];
}

static const uint16_t lamp_models[] = { 0x1000, 0x1002, 0x1004, 0x1300, 0x1301 };

static void build_scenario(struct sim_scenario *sc)
{
	static const char *const relays[] = { "relay-1", "relay-2", "relay-3", "relay-4" };
	static const char *const stairway[] = { "lamp-a", "lamp-b", "lamp-ctl", "lamp-hsl",
						"switch", "sensor" };
	struct sim_device_desc *d;

	sim_scenario_init(sc);
	snprintf(sc->name, sizeof(sc->name), "gateway-mesh");
	sc->tx_delay_max_ms = 3;
	assert_non_null(sim_scenario_add_device(sc, "gateway", SIM_DEVICE_CONTROLLER));
	for (int i = 0; i < 4; i++)
		add_node(sc, relays[i], (uint16_t)(1 + i), true);
	d = add_node(sc, "end", ADDR_END, false);
	add_models(d, 0, 0, lamp_models, 4);

	d = add_node(sc, "lamp-a", ADDR_LAMP_A, false);
	add_models(d, 0, 0, lamp_models, 5);
	d = add_node(sc, "lamp-b", ADDR_LAMP_B, false);
	add_models(d, 0, 0, lamp_models, 5);
	d = add_node(sc, "lamp-ctl", ADDR_LAMP_CTL, false);
	add_models(d, 0, 0, lamp_models, 5);
	add_models(d, 0, 0, (const uint16_t[]){ 0x1303, 0x1304 }, 2);
	add_models(d, 1, 0, (const uint16_t[]){ 0x1002, 0x1306 }, 2);
	d = add_node(sc, "lamp-hsl", ADDR_LAMP_HSL, false);
	add_models(d, 0, 0, lamp_models, 5);
	add_models(d, 0, 0, (const uint16_t[]){ 0x1307, 0x1308 }, 2);
	add_models(d, 1, 0, (const uint16_t[]){ 0x1002, 0x130a }, 2);
	add_models(d, 2, 0, (const uint16_t[]){ 0x1002, 0x130b }, 2);
	d = add_node(sc, "switch", ADDR_SWITCH, false);
	add_models(d, 0, 0x010d, (const uint16_t[]){ 0x1001 }, 1);
	add_models(d, 1, 0x010e, (const uint16_t[]){ 0x1001, 0x1003 }, 2);
	d->elements[0].vendor_models[d->elements[0].n_vendor++] = 0x05f10001;
	d = add_node(sc, "sensor", ADDR_SENSOR, false);
	add_models(d, 0, 0, (const uint16_t[]){ 0x1100, 0x1101 }, 2);
	d->elements[0].n_sensors = 2;
	d->elements[0].sensors[0].property = 0x004f;   /* temperature */
	d->elements[0].sensors[0].gen.kind = SIM_GEN_CONSTANT;
	d->elements[0].sensors[0].gen.value = 21.5;
	d->elements[0].sensors[1].property = 0x0042;   /* motion sensed */
	d->elements[0].sensors[1].gen.kind = SIM_GEN_CONSTANT;
	d->elements[0].sensors[1].gen.value = 50;

	/* The chain: gateway - relay-1 - relay-2 - relay-3 - relay-4 - end. */
	assert_non_null(sim_scenario_add_link(sc, "gateway", "relay-1", 0, -60));
	for (int i = 0; i < 3; i++)
		assert_non_null(sim_scenario_add_link(sc, relays[i], relays[i + 1], 0, -60));
	assert_non_null(sim_scenario_add_link(sc, "relay-4", "end", 0, -60));
	/* The stairway hears the gateway, and the switch hears the lamps. */
	for (size_t i = 0; i < 6; i++) {
		assert_non_null(sim_scenario_add_link(sc, "gateway", stairway[i], 0, -55));
		if (i < 4)
			assert_non_null(sim_scenario_add_link(sc, "switch", stairway[i], 0, -50));
	}
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct gw_core_config gcfg;

	assert_non_null(f);
	sim_gateway_init(&f->g, "e2e");
	build_scenario(&f->g.sc);
	sim_gateway_build(&f->g, net_key, app_key, NULL);
	gw_core_config_default(&gcfg);
	gcfg.auto_configure = false;
	gcfg.hb_period_s = HB_PERIOD_S;
	sim_gateway_open(&f->g, &gcfg, &core_ops, f);
	sim_gateway_start_radio(&f->g);
	fx = f;
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	sim_gateway_destroy(&f->g);
	free(f);
	return 0;
}

/* ---- helpers ------------------------------------------------------------------- */

static bool configure_over(void *ctx)
{
	return ((struct fixture *)ctx)->configure_over;
}

static void configure_node(struct fixture *f, uint16_t addr, const struct gw_config_plan *plan)
{
	f->configure_over = false;
	assert_int_equal(gw_core_configure(&f->g.gw, addr, plan), 0);
	assert_true(test_uv_run_until(&f->g.loop, configure_over, f, 30000));
	if (f->configured.outcome != GW_CONFIGURE_OK)
		fail_msg("node 0x%04x: %s: %s", addr, gw_configure_step_name(f->configured.step),
			 f->configured.why);
}

static struct netdb_node *db_node(struct fixture *f, uint16_t addr)
{
	struct netdb_node *n = netdb_node_by_address(f->g.gw.db, addr);

	assert_non_null(n);
	return n;
}

static const struct netdb_model *db_model(struct fixture *f, uint16_t elem_addr, uint16_t id)
{
	return gw_cfg_find_model(db_node(f, elem_addr), elem_addr, mesh_model_id_sig(id));
}

static void lamp_plan(struct fixture *f, struct gw_config_plan *plan)
{
	uint16_t va;

	gw_core_default_plan(&f->g.gw, plan);
	plan->n_subscribe = 2;
	plan->subscribe[0].address = STAIRWAY_GROUP;
	plan->subscribe[1].is_label = true;
	memcpy(plan->subscribe[1].label, stairway_label, 16);
	assert_int_equal(mesh_virtual_address(stairway_label, &va), 0);
	plan->subscribe[1].address = va;
}

/* ---- tests ----------------------------------------------------------------------- */

/* The composition of multi-element nodes, read over the air, is recorded
 * element by element as the devices describe themselves. */
static void test_composition_multi_element(void **state)
{
	struct fixture *f = *state;
	struct gw_config_plan plan;
	const struct sim_device_desc *hsl = &f->g.sc.devices[sim_scenario_find(&f->g.sc, "lamp-hsl")];
	struct netdb_node *n;

	lamp_plan(f, &plan);
	configure_node(f, ADDR_LAMP_HSL, &plan);
	n = db_node(f, ADDR_LAMP_HSL);
	assert_true(n->has_ids);
	assert_int_equal(n->cid, 0x05f1);
	assert_int_equal(n->pid, hsl->pid);
	assert_int_equal(n->vid, 0x0007);
	assert_int_equal(n->n_elements, 3);
	/* the primary element: config + health servers first, then the lamp */
	assert_int_equal(n->elements[0].n_models, 2 + 5 + 2);
	assert_int_equal(n->elements[0].models[0].id, 0x0000);
	assert_int_equal(n->elements[0].models[1].id, 0x0002);
	assert_int_equal(n->elements[1].n_models, 2);
	assert_int_equal(n->elements[1].models[1].id, 0x130a);
	assert_int_equal(n->elements[2].models[1].id, 0x130b);
	assert_int_equal(n->relay, NETDB_FEATURE_UNSUPPORTED);
	assert_true(n->config_complete);

	/* a switch with a vendor model and locations */
	gw_core_default_plan(&f->g.gw, &plan);
	configure_node(f, ADDR_SWITCH, &plan);
	n = db_node(f, ADDR_SWITCH);
	assert_int_equal(n->elements[0].location, 0x010d);
	assert_int_equal(n->elements[1].location, 0x010e);
	assert_int_equal(n->elements[0].n_models, 2 + 1 + 1);
	assert_true(n->elements[0].models[3].vendor);
	assert_int_equal(n->elements[0].models[3].id, 0x05f10001);
}

/* Everything the workflow did is in the database as the nodes reported
 * it: key, bindings (not on the configuration server), subscriptions to
 * the group and the virtual address, publications to the gateway,
 * heartbeats; and the database on disk says the same. */
static void test_configure_records_statuses(void **state)
{
	struct fixture *f = *state;
	struct gw_config_plan plan;
	const struct netdb_model *m;
	struct netdb *reloaded;
	char err[512];

	lamp_plan(f, &plan);
	configure_node(f, ADDR_LAMP_A, &plan);
	m = db_model(f, ADDR_LAMP_A, 0x1000);
	assert_non_null(m);
	assert_int_equal(m->n_bind, 1);
	assert_int_equal(m->bind[0], 0);
	assert_int_equal(m->n_subscribe, 2);
	assert_int_equal(m->subscribe[0].address, STAIRWAY_GROUP);
	assert_true(m->subscribe[1].is_label);
	assert_memory_equal(m->subscribe[1].label, stairway_label, 16);
	assert_true(m->has_publish);
	assert_int_equal(m->publish.address.address, gw_node_address(&f->g.gw.node));
	assert_int_equal(db_model(f, ADDR_LAMP_A, 0x0000)->n_bind, 0);
	/* a setup server is bound but not subscribed */
	assert_int_equal(db_model(f, ADDR_LAMP_A, 0x1301)->n_bind, 1);
	assert_int_equal(db_model(f, ADDR_LAMP_A, 0x1301)->n_subscribe, 0);
	assert_true(db_node(f, ADDR_LAMP_A)->heartbeat_pub.present);
	assert_int_equal(db_node(f, ADDR_LAMP_A)->heartbeat_pub.address, GW_CORE_HB_GROUP_DEFAULT);
	assert_int_equal(db_node(f, ADDR_LAMP_A)->heartbeat_pub.period_s, HB_PERIOD_S);

	/* Running it again finds everything done and sends nothing. */
	configure_node(f, ADDR_LAMP_A, &plan);
	assert_int_equal(f->configured.requests, 0);

	assert_int_equal(netdb_open(&reloaded, f->g.data, err, sizeof(err)), 0);
	m = gw_cfg_find_model(netdb_node_by_address(reloaded, ADDR_LAMP_A), ADDR_LAMP_A,
			      mesh_model_id_sig(0x1300));
	assert_non_null(m);
	assert_int_equal(m->n_subscribe, 2);
	assert_true(netdb_node_by_address(reloaded, ADDR_LAMP_A)->config_complete);
	netdb_free(reloaded);
}

struct lamps_on {
	struct fixture *f;
	uint8_t want;
};

static bool all_lamps(void *ctx)
{
	struct lamps_on *w = ctx;
	static const uint16_t lamps[] = { ADDR_LAMP_A, ADDR_LAMP_B, ADDR_LAMP_CTL, ADDR_LAMP_HSL };

	for (size_t i = 0; i < 4; i++) {
		const struct gw_elem_state *st = gw_state_cache_get(w->f->g.gw.cache, lamps[i]);

		if (!st || !(st->known & GW_STATE_ONOFF) || st->onoff != w->want)
			return false;
	}
	return true;
}

/* A wall switch whose rockers publish to the stairway group and to the
 * virtual address turns every subscribed lamp on and off, and the lamps'
 * own status publications tell the gateway. */
static void test_switch_press_reaches_lamps(void **state)
{
	struct fixture *f = *state;
	struct gw_config_plan plan;
	struct lamps_on want = { f, 1 };

	lamp_plan(f, &plan);
	configure_node(f, ADDR_LAMP_B, &plan);
	configure_node(f, ADDR_LAMP_CTL, &plan);

	gw_core_default_plan(&f->g.gw, &plan);
	plan.has_publish[0] = true;
	plan.publish[0].address = STAIRWAY_GROUP;
	plan.has_publish[1] = true;
	plan.publish[1].is_label = true;
	memcpy(plan.publish[1].label, stairway_label, 16);
	assert_int_equal(mesh_virtual_address(stairway_label, &plan.publish[1].address), 0);
	configure_node(f, ADDR_SWITCH, &plan);
	assert_true(db_model(f, ADDR_SWITCH, 0x1001)->has_publish);
	assert_int_equal(db_model(f, ADDR_SWITCH, 0x1001)->publish.address.address, STAIRWAY_GROUP);

	assert_int_equal(sim_device_press(sim_world_find(f->g.world, "switch"), 0, 1), 0);
	assert_true(test_uv_run_until(&f->g.loop, all_lamps, &want, 5000));

	want.want = 0;
	assert_int_equal(sim_device_press(sim_world_find(f->g.world, "switch"), 1, 0), 0);
	assert_true(test_uv_run_until(&f->g.loop, all_lamps, &want, 5000));
}

static bool sensor_read(void *ctx)
{
	struct fixture *f = ctx;
	const struct gw_elem_state *st = gw_state_cache_get(f->g.gw.cache, ADDR_SENSOR);

	return st && (st->known & GW_STATE_SENSOR) && st->n_sensors == 2;
}

/* Sensor readings published every second arrive decoded with units. */
static void test_sensor_values(void **state)
{
	struct fixture *f = *state;
	struct gw_config_plan plan;
	const struct gw_elem_state *st;

	gw_core_default_plan(&f->g.gw, &plan);
	plan.sensor_pub_period = (uint8_t)(1u << 6 | 1u);  /* 1 x 1 s */
	configure_node(f, ADDR_SENSOR, &plan);
	assert_true(test_uv_run_until(&f->g.loop, sensor_read, f, 5000));
	st = gw_state_cache_get(f->g.gw.cache, ADDR_SENSOR);
	assert_int_equal(st->sensors[0].prop, 0x004f);
	assert_true(st->sensors[0].value.known);
	assert_string_equal(st->sensors[0].value.unit, "°C");
	assert_true(st->sensors[0].value.value > 21.4 && st->sensors[0].value.value < 21.6);
	assert_int_equal(st->sensors[1].prop, 0x0042);
	assert_string_equal(st->sensors[1].value.unit, "%");
	assert_true(st->sensors[1].value.value > 49.9 && st->sensors[1].value.value < 50.1);
}

static bool chain_heard(void *ctx)
{
	struct fixture *f = ctx;

	for (uint16_t a = 1; a <= ADDR_END; a++) {
		const struct liveness_node *n = liveness_find(f->g.gw.liveness, a);

		if (!n || n->count < 2)
			return false;
	}
	return true;
}

/* Heartbeats of a relay chain: hops (InitTTL - RxTTL + 1) equal each
 * node's distance from the gateway. */
static void test_heartbeat_hops(void **state)
{
	struct fixture *f = *state;
	struct gw_config_plan plan;

	gw_core_default_plan(&f->g.gw, &plan);
	for (uint16_t a = 1; a <= ADDR_END; a++)
		configure_node(f, a, &plan);
	assert_true(test_uv_run_until(&f->g.loop, chain_heard, f, 15000));
	for (uint16_t a = 1; a <= ADDR_END; a++) {
		const struct liveness_node *n = liveness_find(f->g.gw.liveness, a);

		assert_int_equal(n->hops, a);
		assert_int_equal(n->min_hops, a);
		assert_int_equal(n->max_hops, a);
		assert_int_equal(n->state, LIVENESS_ONLINE);
	}
	/* relays report the relay feature, the end node none */
	assert_int_equal(liveness_find(f->g.gw.liveness, 2)->features & MESH_FEAT_RELAY,
			 MESH_FEAT_RELAY);
	assert_int_equal(liveness_find(f->g.gw.liveness, ADDR_END)->features & MESH_FEAT_RELAY, 0);
}

static bool went_offline(void *ctx)
{
	return ((struct fixture *)ctx)->offline_events > 0;
}

static bool came_back(void *ctx)
{
	return ((struct fixture *)ctx)->online_events > 0;
}

/* A device that disappears goes offline within its window (3 heartbeat
 * periods) and online again when it returns. */
static void test_liveness_offline_online(void **state)
{
	struct fixture *f = *state;
	struct sim_device *end = sim_world_find(f->g.world, "end");
	uint64_t t0;

	f->watch_addr = ADDR_END;
	f->offline_events = f->online_events = 0;
	sim_world_set_on_air(f->g.world, end, false);
	t0 = uv_now(&f->g.loop);
	assert_true(test_uv_run_until(&f->g.loop, went_offline, f, 3 * HB_PERIOD_S * 1000 + 3000));
	assert_true(uv_now(&f->g.loop) - t0 >= 2 * HB_PERIOD_S * 1000);
	assert_int_equal(liveness_find(f->g.gw.liveness, ADDR_END)->state, LIVENESS_OFFLINE);
	sim_world_set_on_air(f->g.world, end, true);
	assert_true(test_uv_run_until(&f->g.loop, came_back, f, 3 * HB_PERIOD_S * 1000));
	assert_int_equal(liveness_find(f->g.gw.liveness, ADDR_END)->state, LIVENESS_ONLINE);
}

static void record_event(void *ctx, enum mesh_acked_event ev, uint16_t src,
			 const struct mesh_cfg_msg *status)
{
	struct fixture *f = ctx;

	(void)src;
	(void)status;
	if (f->n_events < 8)
		f->events[f->n_events++] = ev;
}

static bool late_seen(void *ctx)
{
	struct fixture *f = ctx;

	return f->n_events >= 2;
}

/* A status that comes after its request timed out is still matched and
 * applied: the end node, five hops away, answers a Composition Data Get
 * (two segments each way through four relays) long after 20 ms. */
static void test_late_status_applied(void **state)
{
	struct fixture *f = *state;
	struct mesh_cfg_msg req = { .opcode = MESH_OP_CFG_COMP_DATA_GET };
	struct netdb_node *n = db_node(f, ADDR_END);

	n->has_ids = false;
	n->cid = 0;
	f->n_events = 0;
	mesh_cfg_cli_set_timing(f->g.gw.cfg_cli, 20, 0, true);
	assert_int_equal(gw_core_cfg_send(&f->g.gw, ADDR_END, &req, record_event, f), 0);
	assert_true(test_uv_run_until(&f->g.loop, late_seen, f, 10000));
	mesh_cfg_cli_set_timing(f->g.gw.cfg_cli, 0, 0, false);
	assert_int_equal(f->events[0], MESH_ACKED_TIMEOUT);
	assert_int_equal(f->events[1], MESH_ACKED_LATE);
	n = db_node(f, ADDR_END);
	assert_true(n->has_ids);
	assert_int_equal(n->cid, 0x05f1);
}

static bool lamp_b_gone(void *ctx)
{
	struct fixture *f = ctx;

	return netdb_node_by_address(f->g.gw.db, ADDR_LAMP_B) == NULL &&
	       sim_world_find(f->g.world, "lamp-b")->stack == NULL;
}

/* Node Reset: the node answers, forgets its keys (meshsim makes it an
 * unprovisioned device again), and meshgate removes it from the network,
 * keeping its address excluded. */
static void test_node_reset_removes_node(void **state)
{
	struct fixture *f = *state;
	struct mesh_cfg_msg req = { .opcode = MESH_OP_CFG_NODE_RESET };
	size_t before = f->g.gw.db->n_nodes;

	assert_int_equal(gw_core_cfg_send(&f->g.gw, ADDR_LAMP_B, &req, NULL, NULL), 0);
	assert_true(test_uv_run_until(&f->g.loop, lamp_b_gone, f, 10000));
	assert_int_equal(f->g.gw.db->n_nodes, before - 1);
	assert_int_equal(f->g.gw.db->n_exclusions, 1);
	assert_int_equal(f->g.gw.db->exclusions[0].addresses[0], ADDR_LAMP_B);
	assert_null(gw_state_cache_get(f->g.gw.cache, ADDR_LAMP_B));
	assert_null(liveness_find(f->g.gw.liveness, ADDR_LAMP_B));
}

/* ---- control ---------------------------------------------------------------------- */

struct control_wait {
	struct fixture *f;
	bool done;
	enum mesh_acked_event event;
	uint32_t status_opcode;
};

static void control_done(void *ctx, struct mesh_acked_req *req, const struct mesh_acked_result *r)
{
	struct control_wait *w = ctx;

	(void)req;
	if (w->done)
		return;
	w->done = true;
	w->event = r->event;
	w->status_opcode = r->msg ? r->msg->opcode : 0;
}

static bool control_over(void *ctx)
{
	return ((struct control_wait *)ctx)->done;
}

/* An acknowledged request to a lamp; returns once its status came. */
static void control(struct fixture *f, uint16_t dst, struct mesh_model_msg *msg)
{
	struct control_wait w = { .f = f };
	uint32_t want = mesh_model_status_opcode(msg->opcode);

	assert_int_equal(gw_core_model_send(&f->g.gw, dst, NULL, msg, control_done, &w), 0);
	assert_true(test_uv_run_until(&f->g.loop, control_over, &w, 10000));
	assert_int_equal(w.event, MESH_ACKED_STATUS);
	assert_int_equal(w.status_opcode, want);
}

static const struct gw_elem_state *cached(struct fixture *f, uint16_t addr)
{
	const struct gw_elem_state *st = gw_state_cache_get(f->g.gw.cache, addr);

	assert_non_null(st);
	return st;
}

/* Set/Get round trips, unicast: the cache holds what the lamps answered,
 * with the bound states' effects (Lightness 0 turns Generic OnOff off). */
static void test_control_unicast(void **state)
{
	struct fixture *f = *state;
	struct mesh_model_msg m;

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_GEN_ONOFF_SET;
	m.onoff = 1;
	control(f, ADDR_LAMP_A, &m);
	assert_int_equal(cached(f, ADDR_LAMP_A)->onoff, 1);

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_LIGHTNESS_SET;
	m.lightness = 0;
	control(f, ADDR_LAMP_A, &m);
	assert_int_equal(cached(f, ADDR_LAMP_A)->lightness, 0);
	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_GEN_ONOFF_GET;
	control(f, ADDR_LAMP_A, &m);
	assert_int_equal(cached(f, ADDR_LAMP_A)->onoff, 0);

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_GEN_LEVEL_SET;
	m.level = 0x1000;
	control(f, ADDR_LAMP_B, &m);
	assert_int_equal(cached(f, ADDR_LAMP_B)->level, 0x1000);
	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_LIGHTNESS_GET;
	control(f, ADDR_LAMP_B, &m);
	assert_int_equal(cached(f, ADDR_LAMP_B)->lightness, mesh_level_to_lightness(0x1000));

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CTL_SET;
	m.lightness = 0x8000;
	m.temperature = 4000;
	control(f, ADDR_LAMP_CTL, &m);
	assert_int_equal(cached(f, ADDR_LAMP_CTL)->temperature, 4000);
	assert_int_equal(cached(f, ADDR_LAMP_CTL)->ctl_lightness, 0x8000);
	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_LIGHTNESS_GET;
	control(f, ADDR_LAMP_CTL, &m);
	assert_int_equal(cached(f, ADDR_LAMP_CTL)->lightness, 0x8000);

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_HSL_SET;
	m.lightness = 0x4000;
	m.hue = 0x5555;
	m.saturation = 0xffff;
	control(f, ADDR_LAMP_HSL, &m);
	assert_int_equal(cached(f, ADDR_LAMP_HSL)->hue, 0x5555);
	assert_int_equal(cached(f, ADDR_LAMP_HSL)->saturation, 0xffff);
	assert_int_equal(cached(f, ADDR_LAMP_HSL)->hsl_lightness, 0x4000);
}

struct lightness_wait {
	struct fixture *f;
	uint16_t want;
};

static bool all_lightness(void *ctx)
{
	struct lightness_wait *w = ctx;
	static const uint16_t lamps[] = { ADDR_LAMP_A, ADDR_LAMP_B, ADDR_LAMP_CTL, ADDR_LAMP_HSL };

	for (size_t i = 0; i < 4; i++) {
		const struct gw_elem_state *st = gw_state_cache_get(w->f->g.gw.cache, lamps[i]);

		if (!st || !(st->known & GW_STATE_LIGHTNESS) || st->lightness != w->want)
			return false;
	}
	return true;
}

/* Group commands go out unacknowledged; every member's own status
 * publication brings the cache in line. */
static void test_control_group(void **state)
{
	struct fixture *f = *state;
	struct mesh_model_msg m;
	struct lamps_on on = { f, 1 };
	struct lightness_wait lw = { f, 0x3000 };
	uint16_t va;

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_GEN_ONOFF_SET;
	m.onoff = 1;
	assert_int_equal(gw_core_model_send(&f->g.gw, STAIRWAY_GROUP, NULL, &m, NULL, NULL), 0);
	assert_int_equal(m.opcode, MESH_OP_GEN_ONOFF_SET_UNACK);
	assert_true(test_uv_run_until(&f->g.loop, all_lamps, &on, 5000));

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_LIGHTNESS_SET;
	m.lightness = 0x3000;
	assert_int_equal(mesh_virtual_address(stairway_label, &va), 0);
	assert_int_equal(gw_core_model_send(&f->g.gw, va, stairway_label, &m, NULL, NULL), 0);
	assert_true(test_uv_run_until(&f->g.loop, all_lightness, &lw, 5000));
}

static bool rpl_full_logged(void *ctx)
{
	struct fixture *f = ctx;

	return test_log_has(&f->g.log, "replay protection list full");
}

static bool end_in_rpl(void *ctx)
{
	struct fixture *f = ctx;

	return mesh_rpl_find(&f->g.gw.node.stack.rpl, ADDR_END) != NULL;
}

static uint32_t end_seq_at_restart;

/* A heartbeat of the end node newer than what it had sent before. */
static bool end_heard_after(void *ctx)
{
	struct fixture *f = ctx;
	const struct mesh_rpl_entry *e = mesh_rpl_find(&f->g.gw.node.stack.rpl, ADDR_END);

	return e && e->seq > end_seq_at_restart;
}

/* A full replay list is said in the log, naming a source it keeps out:
 * the end node's heartbeats stop counting once the list has no room for
 * it, and count again once there is some. */
static void test_rpl_full_is_logged(void **state)
{
	struct fixture *f = *state;
	struct mesh_rpl *rpl = &f->g.gw.node.stack.rpl;
	uint32_t iv = f->g.gw.node.stack.net.iv.index;
	struct gw_config_plan plan;
	char expect[64];
	uint16_t a;

	gw_core_default_plan(&f->g.gw, &plan);
	configure_node(f, ADDR_END, &plan);
	mesh_rpl_remove(rpl, ADDR_END);
	for (a = 0x7000; rpl->count < MESH_RPL_MAX; a++) {
		if (!mesh_rpl_find(rpl, a))
			assert_int_equal(mesh_rpl_accept(rpl, a, iv, 1), 0);
	}
	assert_true(test_uv_run_until(&f->g.loop, rpl_full_logged, f, 5 * HB_PERIOD_S * 1000));
	snprintf(expect, sizeof(expect), "new sources such as 0x%04x are dropped", ADDR_END);
	assert_true(test_log_has(&f->g.log, expect));
	assert_true(test_log_has(&f->g.log, "warn node"));
	assert_null(mesh_rpl_find(rpl, ADDR_END));

	while (a-- > 0x7000)
		mesh_rpl_remove(rpl, a);
	assert_true(test_uv_run_until(&f->g.loop, end_in_rpl, f, 5 * HB_PERIOD_S * 1000));
}

/* The replay list outlives a restart: state.json holds what the stack
 * accepted (copied from the stack when it is saved), and the reopened
 * stack starts from it, so a PDU captured before the restart is still a
 * replay after it. */
static void test_rpl_survives_restart(void **state)
{
	struct fixture *f = *state;
	const struct mesh_rpl_entry *e = mesh_rpl_find(&f->g.gw.node.stack.rpl, ADDR_END);
	struct gw_core_config gcfg;
	struct mesh_rpl_entry before;
	size_t count = f->g.gw.node.stack.rpl.count;

	assert_non_null(e);
	before = *e;
	end_seq_at_restart = before.seq;
	assert_true(count > 1);
	sim_gateway_close(&f->g);
	gw_core_config_default(&gcfg);
	gcfg.auto_configure = false;
	gcfg.hb_period_s = HB_PERIOD_S;
	sim_gateway_open(&f->g, &gcfg, &core_ops, f);

	e = mesh_rpl_find(&f->g.gw.node.stack.rpl, ADDR_END);
	assert_non_null(e);
	assert_true(e->seq >= before.seq);
	assert_int_equal(e->iv_index, before.iv_index);
	assert_int_equal(f->g.gw.node.stack.rpl.count, count);
	assert_int_equal(mesh_rpl_check(&f->g.gw.node.stack.rpl, ADDR_END, before.iv_index,
					before.seq),
			 MESH_ERR_REPLAY);
	/* And the end node is heard as before. */
	assert_true(test_uv_run_until(&f->g.loop, end_heard_after, f, 5 * HB_PERIOD_S * 1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_composition_multi_element),
		cmocka_unit_test(test_configure_records_statuses),
		cmocka_unit_test(test_switch_press_reaches_lamps),
		cmocka_unit_test(test_sensor_values),
		cmocka_unit_test(test_control_unicast),
		cmocka_unit_test(test_control_group),
		cmocka_unit_test(test_heartbeat_hops),
		cmocka_unit_test(test_liveness_offline_online),
		cmocka_unit_test(test_late_status_applied),
		cmocka_unit_test(test_node_reset_removes_node),
		cmocka_unit_test(test_rpl_full_is_logged),
		cmocka_unit_test(test_rpl_survives_restart),
	};

	(void)fx;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
