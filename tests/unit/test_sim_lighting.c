/*
 * meshsim's lamps and wall switches (mesh/sim/sim_lighting.c) in a small
 * world on a real libuv loop: a "gateway" node sends requests with
 * sim_device_send_access() and the world's observer collects what the
 * lamps answer or publish. Checks the bound states (OnOff, Level,
 * Lightness, Last, Range), transitions over time with Remaining Time,
 * unacknowledged Sets left unanswered, TID deduplication, CTL and HSL with
 * their secondary elements, publication on change and a wall switch
 * turning on a group of lamps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/err.h"
#include "mesh/light_msg.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/sim_internal.h"
#include "mesh/sim/world.h"
#include "mesh/stack.h"
#include "mesh/util.h"
#include "sim_helpers.h"
#include "uv_helpers.h"

#define RX_MAX 512
#define FAR_AWAY_MS 3600000u
#define APP_IDX 0x001
#define GW 0x0001
#define LAMP 0x0010      /* elements 0x0010..0x0013 */
#define LAMP2 0x0020
#define SWITCH 0x0030
#define GROUP 0xc001

static const uint8_t net_key[16] = {
	0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
	0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6,
};
static const uint8_t app_key[16] = {
	0x63, 0x96, 0x47, 0x71, 0x73, 0x4f, 0xbd, 0x76,
	0xe3, 0xb4, 0x05, 0x19, 0xd1, 0xd9, 0x4a, 0x48,
};

struct rx_rec {
	int to;
	uint16_t src, dst;
	uint8_t payload[24];
	size_t len;
};

struct fx {
	uv_loop_t loop;
	struct test_log log;
	struct sim_scenario sc;
	struct sim_world *w;
	struct rx_rec rx[RX_MAX];
	size_t n_rx;
	uint8_t tid;
};

static void on_access_rx(void *ctx, const struct sim_device *d,
			 const struct mesh_access_msg *meta, const uint8_t *payload, size_t len)
{
	struct fx *f = ctx;
	struct rx_rec *r;

	if (f->n_rx >= RX_MAX || len > sizeof(r->payload))
		return;
	r = &f->rx[f->n_rx++];
	r->to = d->index;
	r->src = meta->src;
	r->dst = meta->dst;
	memcpy(r->payload, payload, len);
	r->len = len;
}

static struct sim_device_desc *node(struct fx *f, const char *name, uint16_t addr, double x)
{
	struct sim_device_desc *d = sim_scenario_add_device(&f->sc, name, SIM_DEVICE_NODE);

	assert_non_null(d);
	memset(d->uuid, (int)f->sc.n_devices, sizeof(d->uuid));
	d->beacon_interval_ms = FAR_AWAY_MS;
	d->has_position = true;
	d->x = x;
	sim_test_provision_node(d, addr, true, net_key, APP_IDX, app_key);
	return d;
}

static void models(struct sim_device_desc *d, uint8_t elem, const uint16_t *ids, size_t n)
{
	if (d->n_elements < elem + 1)
		d->n_elements = (uint8_t)(elem + 1);
	for (size_t i = 0; i < n; i++)
		d->elements[elem].sig_models[d->elements[elem].n_sig++] = ids[i];
}

static struct sim_device *dev(struct fx *f, const char *name)
{
	struct sim_device *d = sim_world_find(f->w, name);

	assert_non_null(d);
	return d;
}

/* Bind the AppKey to every model of d (what a Configuration Client would
 * do with Model App Bind). */
static void bind_all(struct sim_device *d)
{
	struct mesh_access *a = &d->stack->access;

	for (unsigned int e = 0; e < a->n_elems; e++)
		for (unsigned int i = 0; i < a->elems[e].n_models; i++)
			if (!a->elems[e].models[i]->dev_key)
				(void)mesh_model_bind(a->elems[e].models[i], APP_IDX);
}

static struct sim_model *model_at(struct sim_device *d, uint8_t elem, uint16_t id)
{
	struct mesh_model *m = mesh_access_model_find(&d->stack->access, elem,
						      mesh_model_id_sig(id));

	assert_non_null(m);
	return m->user_data;
}

static struct fx *fx_new(void)
{
	static const uint16_t lamp0[] = { 0x1000, 0x1002, 0x1004, 0x1300, 0x1301, 0x1303,
					  0x1304, 0x1307, 0x1308 };
	static const uint16_t lamp1[] = { 0x1002, 0x1306 };   /* Level first: adopted */
	static const uint16_t lamp2[] = { 0x130a };
	static const uint16_t lamp3[] = { 0x130b };
	static const uint16_t small_lamp[] = { 0x1000, 0x1300 };
	static const uint16_t sw0[] = { 0x1001 };
	static const uint16_t sw1[] = { 0x1003 };
	static const struct sim_world_observer obs_template = { .on_access_rx = on_access_rx };
	struct sim_world_observer obs = obs_template;
	struct fx *f = calloc(1, sizeof(*f));
	struct sim_device_desc *d;
	char why[160];

	assert_non_null(f);
	test_log_start(&f->log);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	sim_scenario_init(&f->sc);
	f->sc.default_loss = 0;
	f->sc.tx_delay_max_ms = 0;
	node(f, "gw", GW, 0);
	d = node(f, "lamp", LAMP, 1);
	models(d, 0, lamp0, MESH_ARRAY_SIZE(lamp0));
	models(d, 1, lamp1, MESH_ARRAY_SIZE(lamp1));
	models(d, 2, lamp2, MESH_ARRAY_SIZE(lamp2));
	models(d, 3, lamp3, MESH_ARRAY_SIZE(lamp3));
	d = node(f, "lamp2", LAMP2, 2);
	models(d, 0, small_lamp, MESH_ARRAY_SIZE(small_lamp));
	d = node(f, "switch", SWITCH, 3);
	models(d, 0, sw0, MESH_ARRAY_SIZE(sw0));
	models(d, 1, sw1, MESH_ARRAY_SIZE(sw1));
	if (sim_scenario_check(&f->sc, why, sizeof(why)))
		fail_msg("scenario: %s", why);
	assert_int_equal(sim_world_create(&f->w, &f->loop, &f->sc), 0);
	obs.ctx = f;
	sim_world_set_observer(f->w, &obs);
	assert_int_equal(sim_world_start(f->w), 0);
	bind_all(dev(f, "lamp"));
	bind_all(dev(f, "lamp2"));
	bind_all(dev(f, "switch"));
	f->tid = 1;
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

/* ---- requests and answers ---------------------------------------------------- */

static void send_msg(struct fx *f, uint16_t dst, struct mesh_model_msg *m)
{
	uint8_t buf[32];
	int len;

	if (mesh_model_has_tid(m->opcode) && m->tid == 0)
		m->tid = f->tid++;
	len = mesh_model_msg_encode(m, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(sim_device_send_access(dev(f, "gw"), dst, MESH_STACK_TTL_DEFAULT, buf,
						(size_t)len), 0);
}

struct wait_for {
	struct fx *f;
	size_t from;
	uint32_t opcode;
	uint16_t src, dst;
	size_t found;
};

static bool status_arrived(void *ctx)
{
	struct wait_for *w = ctx;
	int gw = dev(w->f, "gw")->index;

	for (size_t i = w->from; i < w->f->n_rx; i++) {
		const struct rx_rec *r = &w->f->rx[i];
		struct mesh_model_msg s;

		if (r->to != gw || r->src != w->src || (w->dst && r->dst != w->dst))
			continue;
		if (mesh_model_status_decode(r->payload, r->len, &s) == 0 && s.opcode == w->opcode) {
			w->found = i;
			return true;
		}
	}
	return false;
}

/* Wait (up to 1 s) for a status opcode from src heard by the gateway after
 * record index from; decode it into *out. */
static bool wait_status(struct fx *f, size_t from, uint32_t opcode, uint16_t src, uint16_t dst,
			struct mesh_model_msg *out)
{
	struct wait_for w = { f, from, opcode, src, dst, 0 };

	if (!test_uv_run_until(&f->loop, status_arrived, &w, 1000))
		return false;
	assert_int_equal(mesh_model_status_decode(f->rx[w.found].payload, f->rx[w.found].len,
						  out), 0);
	return true;
}

static size_t count_status(struct fx *f, size_t from, uint32_t opcode, uint16_t src)
{
	size_t n = 0;

	for (size_t i = from; i < f->n_rx; i++) {
		struct mesh_model_msg s;

		if (f->rx[i].src == src &&
		    mesh_model_status_decode(f->rx[i].payload, f->rx[i].len, &s) == 0 &&
		    s.opcode == opcode)
			n++;
	}
	return n;
}

/* Send m to dst and return the status the request gets. */
static struct mesh_model_msg request(struct fx *f, uint16_t dst, struct mesh_model_msg m)
{
	struct mesh_model_msg s;
	size_t from = f->n_rx;
	uint32_t st = mesh_model_status_opcode(m.opcode);

	assert_int_not_equal(st, 0);
	send_msg(f, dst, &m);
	if (!wait_status(f, from, st, dst, GW, &s))
		fail_msg("no status 0x%04x from 0x%04x", (unsigned int)st, dst);
	return s;
}

static struct mesh_model_msg get(struct fx *f, uint16_t dst, uint32_t opcode)
{
	return request(f, dst, (struct mesh_model_msg){ .opcode = opcode });
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_onoff_level_lightness(void **state)
{
	struct fx *f = fx_new();
	struct mesh_model_msg s;

	(void)state;
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_ONOFF_SET, .onoff = 1 });
	assert_int_equal(s.onoff, 1);
	assert_false(s.has_target);
	/* On goes to Last, which starts at full. */
	assert_int_equal(get(f, LAMP, MESH_OP_LIGHTNESS_GET).lightness, 0xffff);

	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_SET,
						     .lightness = 0x4000 });
	assert_int_equal(s.lightness, 0x4000);
	assert_int_equal(get(f, LAMP, MESH_OP_GEN_LEVEL_GET).level, 0x4000 - 0x8000);
	assert_int_equal(get(f, LAMP, MESH_OP_LIGHTNESS_LINEAR_GET).lightness,
			 mesh_lightness_actual_to_linear(0x4000));

	/* Lightness 0 is Off; On again restores Last. */
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_SET });
	assert_int_equal(s.lightness, 0);
	assert_int_equal(get(f, LAMP, MESH_OP_GEN_ONOFF_GET).onoff, 0);
	assert_int_equal(get(f, LAMP, MESH_OP_LIGHTNESS_LAST_GET).lightness, 0x4000);
	request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_ONOFF_SET, .onoff = 1 });
	assert_int_equal(get(f, LAMP, MESH_OP_LIGHTNESS_GET).lightness, 0x4000);

	/* Level -32768 is Lightness 0, so Off. */
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_LEVEL_SET,
						     .level = INT16_MIN });
	assert_int_equal(s.level, INT16_MIN);
	assert_int_equal(get(f, LAMP, MESH_OP_GEN_ONOFF_GET).onoff, 0);

	/* Delta from a known level; Default wins over Last for On. */
	request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_LEVEL_SET, .level = 0 });
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_DELTA_SET,
						     .delta = 1000 });
	assert_int_equal(s.level, 1000);
	request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_DEFAULT_SET,
						 .lightness = 0x1234 });
	request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_ONOFF_SET, .onoff = 0 });
	request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_ONOFF_SET, .onoff = 1 });
	assert_int_equal(get(f, LAMP, MESH_OP_LIGHTNESS_GET).lightness, 0x1234);

	/* The Range clamps non-zero values. */
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_RANGE_SET,
						     .range_min = 0x2000, .range_max = 0xe000 });
	assert_int_equal(s.status_code, MESH_RANGE_STATUS_SUCCESS);
	assert_int_equal(s.range_min, 0x2000);
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_SET,
						     .lightness = 0xffff });
	assert_int_equal(s.lightness, 0xe000);
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_SET,
						     .lightness = 0x0010 });
	assert_int_equal(s.lightness, 0x2000);
	fx_free(f);
}

static void test_transition(void **state)
{
	struct fx *f = fx_new();
	struct mesh_model_msg s;
	uint16_t mid;

	(void)state;
	/* 600 ms (6 x 100 ms) after a 50 ms delay, from 0 to full. */
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_SET,
						     .lightness = 0xffff, .has_transition = true,
						     .transition = 0x06, .delay = 10 });
	assert_true(s.has_target);
	assert_int_equal(s.target_lightness, 0xffff);
	assert_true(s.lightness < 0x2000);
	assert_true(mesh_transition_ms(s.remaining) >= 500 &&
		    mesh_transition_ms(s.remaining) <= 700);
	/* The OnOff turns on at the start of a transition to on. */
	s = get(f, LAMP, MESH_OP_GEN_ONOFF_GET);
	assert_int_equal(s.onoff, 1);
	assert_int_equal(s.target_onoff, 1);
	run_ms(f, 250);
	s = get(f, LAMP, MESH_OP_LIGHTNESS_GET);
	mid = s.lightness;
	assert_true(s.has_target);
	assert_true(mid > 0x1000 && mid < 0xf000);
	assert_true(mesh_transition_ms(s.remaining) < 500);
	run_ms(f, 600);
	s = get(f, LAMP, MESH_OP_LIGHTNESS_GET);
	assert_int_equal(s.lightness, 0xffff);
	assert_false(s.has_target);

	/* The Default Transition Time applies to Sets without one. */
	request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_DTT_SET, .dtt = 0x03 });
	assert_int_equal(get(f, LAMP, MESH_OP_GEN_DTT_GET).dtt, 0x03);
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_ONOFF_SET, .onoff = 0 });
	assert_int_equal(s.onoff, 1);          /* stays on until the end */
	assert_true(s.has_target);
	assert_int_equal(s.target_onoff, 0);
	run_ms(f, 500);
	s = get(f, LAMP, MESH_OP_GEN_ONOFF_GET);
	assert_int_equal(s.onoff, 0);
	assert_false(s.has_target);

	/* Move: remaining unknown, stopped by a Move with delta 0. */
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_MOVE_SET,
						     .move_delta = 2000, .has_transition = true,
						     .transition = 0x01 });
	assert_true(s.has_target);
	assert_int_equal(s.target_level, INT16_MAX);
	assert_int_equal(s.remaining, MESH_TRANSITION_UNKNOWN);
	run_ms(f, 300);
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_MOVE_SET });
	assert_false(s.has_target);
	assert_true(s.level > INT16_MIN + 2000 && s.level < INT16_MAX);
	fx_free(f);
}

static void test_unack_and_tid(void **state)
{
	struct fx *f = fx_new();
	struct mesh_model_msg m = { .opcode = MESH_OP_LIGHTNESS_SET_UNACK, .lightness = 0x1000 };
	struct mesh_model_msg s;
	size_t from = f->n_rx;

	(void)state;
	send_msg(f, LAMP, &m);
	assert_false(wait_status(f, from, MESH_OP_LIGHTNESS_STATUS, LAMP, GW, &s));
	assert_int_equal(get(f, LAMP, MESH_OP_LIGHTNESS_GET).lightness, 0x1000);

	/* A retransmission (same TID) is answered but not applied again. */
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_SET,
						     .lightness = 0x2000, .tid = 0x77 });
	assert_int_equal(s.lightness, 0x2000);
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_SET,
						     .lightness = 0x3000, .tid = 0x77 });
	assert_int_equal(s.lightness, 0x2000);
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_SET,
						     .lightness = 0x3000, .tid = 0x78 });
	assert_int_equal(s.lightness, 0x3000);
	/* Delta Sets of one transaction count from where it began. */
	request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_LEVEL_SET, .level = 100 });
	request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_DELTA_SET, .delta = 50,
						 .tid = 0x90 });
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_DELTA_SET,
						     .delta = 80, .tid = 0x90 });
	assert_int_equal(s.level, 180);
	fx_free(f);
}

static void test_ctl_hsl(void **state)
{
	struct fx *f = fx_new();
	struct mesh_model_msg s;

	(void)state;
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_CTL_SET,
						     .lightness = 0x8000, .temperature = 3000,
						     .delta_uv = -5 });
	assert_int_equal(s.lightness, 0x8000);
	assert_int_equal(s.temperature, 3000);
	/* The CTL Temperature server and its Level server sit on the next
	 * element. */
	s = get(f, LAMP + 1, MESH_OP_CTL_TEMP_GET);
	assert_int_equal(s.temperature, 3000);
	assert_int_equal(s.delta_uv, -5);
	assert_int_equal(get(f, LAMP + 1, MESH_OP_GEN_LEVEL_GET).level,
			 mesh_ctl_temp_to_level(3000, MESH_LIGHT_TEMP_MIN, MESH_LIGHT_TEMP_MAX));
	s = request(f, LAMP + 1, (struct mesh_model_msg){ .opcode = MESH_OP_GEN_LEVEL_SET,
							 .level = INT16_MAX });
	assert_int_equal(get(f, LAMP, MESH_OP_CTL_GET).temperature, MESH_LIGHT_TEMP_MAX);
	/* The temperature range: out-of-spec bounds are refused. */
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_CTL_TEMP_RANGE_SET,
						     .range_min = 100, .range_max = 6500 });
	assert_int_equal(s.status_code, MESH_RANGE_STATUS_CANNOT_SET_MIN);
	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_CTL_TEMP_RANGE_SET,
						     .range_min = 2700, .range_max = 6500 });
	assert_int_equal(s.status_code, MESH_RANGE_STATUS_SUCCESS);
	s = request(f, LAMP + 1, (struct mesh_model_msg){ .opcode = MESH_OP_CTL_TEMP_SET,
							 .temperature = 10000 });
	assert_int_equal(s.temperature, 6500);

	/* CTL Lightness is Lightness Actual. */
	assert_int_equal(get(f, LAMP, MESH_OP_LIGHTNESS_GET).lightness, 0x8000);

	s = request(f, LAMP, (struct mesh_model_msg){ .opcode = MESH_OP_HSL_SET,
						     .lightness = 0x6000, .hue = 0x5555,
						     .saturation = 0xffff });
	assert_int_equal(s.lightness, 0x6000);
	assert_int_equal(s.hue, 0x5555);
	assert_int_equal(get(f, LAMP + 2, MESH_OP_HSL_HUE_GET).hue, 0x5555);
	assert_int_equal(get(f, LAMP + 3, MESH_OP_HSL_SAT_GET).saturation, 0xffff);
	assert_int_equal(get(f, LAMP, MESH_OP_CTL_GET).lightness, 0x6000);
	s = request(f, LAMP + 2, (struct mesh_model_msg){ .opcode = MESH_OP_HSL_HUE_SET,
							 .hue = 0x1000 });
	assert_int_equal(get(f, LAMP, MESH_OP_HSL_GET).hue, 0x1000);
	s = get(f, LAMP, MESH_OP_HSL_TARGET_GET);
	assert_int_equal(s.target_saturation, 0xffff);
	fx_free(f);
}

static void test_publication(void **state)
{
	struct fx *f = fx_new();
	struct sim_model *srv = model_at(dev(f, "lamp"), 0, 0x1000);
	struct sim_model *light = model_at(dev(f, "lamp"), 0, 0x1300);
	struct mesh_model_msg m = { .opcode = MESH_OP_GEN_LEVEL_SET_UNACK, .level = 0 };
	struct mesh_model_msg s;
	size_t from;

	(void)state;
	/* One publisher at a time: the simulated bearer may send two PDUs
	 * queued together in either order, and the gateway's replay
	 * protection drops the older SEQ if it comes second. */
	srv->pub = (struct sim_model_pub){ .addr = GW, .app_idx = APP_IDX, .ttl = 0xff };
	from = f->n_rx;
	send_msg(f, LAMP, &m);   /* unacknowledged: only publications come back */
	assert_true(wait_status(f, from, MESH_OP_GEN_ONOFF_STATUS, LAMP, GW, &s));
	assert_int_equal(s.onoff, 1);
	srv->pub.addr = 0;
	light->pub = (struct sim_model_pub){ .addr = GW, .app_idx = APP_IDX, .ttl = 0xff };
	from = f->n_rx;
	m = (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_SET_UNACK, .lightness = 0x4321 };
	send_msg(f, LAMP, &m);
	assert_true(wait_status(f, from, MESH_OP_LIGHTNESS_STATUS, LAMP, GW, &s));
	assert_int_equal(s.lightness, 0x4321);
	/* No change, no publication. */
	m.tid = 0;
	from = f->n_rx;
	send_msg(f, LAMP, &m);
	run_ms(f, 200);
	assert_int_equal(count_status(f, from, MESH_OP_LIGHTNESS_STATUS, LAMP), 0);

	/* Periodic publication: every 100 ms. */
	light->pub.period = 0x01;
	sim_model_pub_update(light);
	from = f->n_rx;
	run_ms(f, 450);
	assert_true(count_status(f, from, MESH_OP_LIGHTNESS_STATUS, LAMP) >= 3);
	assert_int_equal(count_status(f, from, MESH_OP_GEN_ONOFF_STATUS, LAMP), 0);
	fx_free(f);
}

static void test_wall_switch(void **state)
{
	struct fx *f = fx_new();
	struct sim_device *sw = dev(f, "switch");
	struct sim_model *cli = model_at(sw, 0, 0x1001);

	(void)state;
	assert_int_equal(sim_device_press(sw, 1, 1), MESH_ERR_NOT_FOUND);  /* Level client */
	assert_int_equal(sim_device_press(sw, 5, 1), MESH_ERR_NOT_FOUND);
	assert_int_equal(sim_device_press(dev(f, "lamp"), 0, 1), MESH_ERR_NOT_FOUND);
	assert_int_equal(sim_device_press(sw, 0, 1), MESH_ERR_DOWN);       /* no publication */

	assert_int_equal(mesh_model_sub_add(&model_at(dev(f, "lamp"), 0, 0x1000)->model, GROUP,
					    NULL), 0);
	assert_int_equal(mesh_model_sub_add(&model_at(dev(f, "lamp2"), 0, 0x1000)->model, GROUP,
					    NULL), 0);
	cli->pub = (struct sim_model_pub){ .addr = GROUP, .app_idx = APP_IDX, .ttl = 0xff,
					   .retransmit = 0x0a /* 2 more, 100 ms apart */ };
	assert_int_equal(sim_device_press(sw, 0, 1), 0);
	run_ms(f, 400);
	assert_int_equal(get(f, LAMP, MESH_OP_GEN_ONOFF_GET).onoff, 1);
	assert_int_equal(get(f, LAMP2, MESH_OP_GEN_ONOFF_GET).onoff, 1);
	assert_int_equal(get(f, LAMP2, MESH_OP_LIGHTNESS_GET).lightness, 0xffff);
	/* Toggle: off again. */
	assert_int_equal(sim_device_press(sw, 0, -1), 0);
	run_ms(f, 400);
	assert_int_equal(get(f, LAMP, MESH_OP_GEN_ONOFF_GET).onoff, 0);
	assert_int_equal(get(f, LAMP2, MESH_OP_GEN_ONOFF_GET).onoff, 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_onoff_level_lightness),
		cmocka_unit_test(test_transition),
		cmocka_unit_test(test_unack_and_tid),
		cmocka_unit_test(test_ctl_hsl),
		cmocka_unit_test(test_publication),
		cmocka_unit_test(test_wall_switch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
