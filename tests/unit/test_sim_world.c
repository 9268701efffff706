/*
 * The simulated radio world (mesh/sim/world.h) on a real libuv loop: links
 * from positions and explicit links, loss and delays, devices off the air,
 * unprovisioned device beacons, and relaying through the real mesh stacks
 * of provisioned nodes (TTL per hop, broken chains, loops in the topology).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/beacon.h"
#include "mesh/err.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/world.h"
#include "mesh/stack.h"
#include "sim_helpers.h"
#include "uv_helpers.h"

#define RX_MAX 4096
#define AIR_MAX 256
#define FAR_AWAY_MS 3600000u /* keeps unprovisioned beacons out of a test */

static const uint8_t net_key[16] = {
	0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
	0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6,
};
static const uint8_t app_key[16] = {
	0x63, 0x96, 0x47, 0x71, 0x73, 0x4f, 0xbd, 0x76,
	0xe3, 0xb4, 0x05, 0x19, 0xd1, 0xd9, 0x4a, 0x48,
};
static const uint8_t onoff_set_unack[] = { 0x82, 0x03, 0x01, 0x07 };

struct rx_rec {
	int to, from;
	int8_t rssi;
	uint64_t at_ms;
	uint8_t adv[31];
	size_t len;
};

struct fx {
	uv_loop_t loop;
	struct test_log log;
	struct sim_scenario sc;
	struct sim_world *w;
	struct rx_rec rx[RX_MAX];
	size_t n_rx;
	struct sim_test_air air[AIR_MAX];
	size_t n_air;
	/* provisioned nodes */
	unsigned int relayed[16];         /* per device: PDUs it relayed */
	unsigned int access_rx[16];       /* per device: access messages for it */
	uint8_t access_ttl[16];
	uint16_t access_src[16];
	uint8_t access_payload[16][8];
	size_t access_len[16];
};

/* ---- observers ----------------------------------------------------------- */

static void on_air(void *ctx, const struct sim_device *from, const uint8_t *adv, size_t len)
{
	struct fx *f = ctx;

	sim_test_air_append(f->air, &f->n_air, AIR_MAX, from, adv, len);
}

static void on_rx(void *ctx, const struct sim_device *to, const struct sim_device *from,
		  const uint8_t *adv, size_t len, int8_t rssi)
{
	struct fx *f = ctx;
	struct rx_rec *r;

	if (f->n_rx >= RX_MAX)
		return;
	r = &f->rx[f->n_rx++];
	r->to = to->index;
	r->from = from->index;
	r->rssi = rssi;
	/* While a delivery fires, the queue's time is its deadline. */
	r->at_ms = mesh_timers_now(&sim_world_timers(f->w)->timers);
	memcpy(r->adv, adv, len);
	r->len = len;
}

static void on_net_rx(void *ctx, const struct sim_device *d, const struct mesh_stack_trace *t)
{
	struct fx *f = ctx;

	if (t->relayed)
		f->relayed[d->index]++;
}

static void on_access_rx(void *ctx, const struct sim_device *d,
			 const struct mesh_access_msg *meta, const uint8_t *payload, size_t len)
{
	struct fx *f = ctx;
	int i = d->index;

	f->access_rx[i]++;
	f->access_ttl[i] = meta->ttl;
	f->access_src[i] = meta->src;
	f->access_len[i] = len < 8 ? len : 8;
	memcpy(f->access_payload[i], payload, f->access_len[i]);
}

/* ---- set-up -------------------------------------------------------------- */

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	test_log_start(&f->log);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	sim_scenario_init(&f->sc);
	snprintf(f->sc.name, sizeof(f->sc.name), "test");
	return f;
}

static struct sim_device_desc *node(struct fx *f, const char *name)
{
	struct sim_device_desc *d = sim_scenario_add_device(&f->sc, name, SIM_DEVICE_NODE);

	assert_non_null(d);
	memset(d->uuid, (int)f->sc.n_devices, sizeof(d->uuid));
	d->beacon_interval_ms = FAR_AWAY_MS;
	return d;
}

static struct sim_device_desc *placed(struct fx *f, const char *name, double x, double y,
				      double z)
{
	struct sim_device_desc *d = node(f, name);

	d->has_position = true;
	d->x = x;
	d->y = y;
	d->z = z;
	return d;
}

static void provision(struct sim_device_desc *d, uint16_t addr, bool relay)
{
	sim_test_provision_node(d, addr, relay, net_key, 0x001, app_key);
}

static void add_link(struct fx *f, const char *a, const char *b, double loss, int rssi)
{
	assert_non_null(sim_scenario_add_link(&f->sc, a, b, loss, rssi));
}

static void fx_start(struct fx *f)
{
	static const struct sim_world_observer obs_template = {
		.on_air = on_air, .on_rx = on_rx, .on_net_rx = on_net_rx,
		.on_access_rx = on_access_rx,
	};
	struct sim_world_observer obs = obs_template;
	char why[160];

	if (sim_scenario_check(&f->sc, why, sizeof(why)))
		fail_msg("scenario: %s", why);
	assert_int_equal(sim_world_create(&f->w, &f->loop, &f->sc), 0);
	obs.ctx = f;
	sim_world_set_observer(f->w, &obs);
	assert_int_equal(sim_world_start(f->w), 0);
}

static void fx_free(struct fx *f)
{
	sim_world_destroy(f->w);
	assert_true(test_uv_loop_close(&f->loop));
	sim_scenario_free(&f->sc);
	test_log_stop(&f->log);
	free(f);
}

static struct sim_device *dev(struct fx *f, const char *name)
{
	struct sim_device *d = sim_world_find(f->w, name);

	assert_non_null(d);
	return d;
}

static void transmit(struct fx *f, const char *from, uint8_t tag)
{
	uint8_t adv[] = { 4, 0x2a, 0x5a, 0xa5, tag };

	sim_world_transmit(f->w, dev(f, from), adv, sizeof(adv));
}

static void run_ms(struct fx *f, unsigned int ms)
{
	test_uv_run_until(&f->loop, NULL, NULL, ms);
}

/* RSSI of the first reception by to from from, or 0 if none. */
static int rx_rssi(const struct fx *f, const struct sim_device *from, const struct sim_device *to)
{
	for (size_t i = 0; i < f->n_rx; i++) {
		if (f->rx[i].from == from->index && f->rx[i].to == to->index)
			return f->rx[i].rssi;
	}
	return 0;
}

static size_t rx_count_by(const struct fx *f, const struct sim_device *to)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n_rx; i++)
		n += f->rx[i].to == to->index;
	return n;
}

/* ---- scenario data ------------------------------------------------------- */

static void test_scenario_check(void **state)
{
	struct sim_scenario sc;
	struct sim_device_desc *a, *b;
	char why[160];

	(void)state;
	sim_scenario_init(&sc);
	a = sim_scenario_add_device(&sc, "a", SIM_DEVICE_NODE);
	assert_non_null(a);
	assert_int_equal(a->n_elements, 1);
	assert_non_null(sim_scenario_add_device(&sc, "b", SIM_DEVICE_NODE));
	assert_non_null(sim_scenario_add_link(&sc, "a", "b", SIM_LOSS_DEFAULT, SIM_NO_RSSI));
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), 0);
	assert_int_equal(sim_scenario_find(&sc, "b"), 1);
	assert_int_equal(sim_scenario_find(&sc, "c"), -1);

	/* Overlapping unicast ranges. */
	a = &sc.devices[0];
	b = &sc.devices[1];
	provision(a, 0x0100, false);
	a->n_elements = 3;
	provision(b, 0x0102, false);
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_non_null(strstr(why, "overlapping"));
	b->keys.address = 0x0103;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), 0);

	/* A link to nowhere, a duplicate name, a bad loss. */
	assert_non_null(sim_scenario_add_link(&sc, "a", "nobody", 0.0, SIM_NO_RSSI));
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_non_null(strstr(why, "nobody"));
	snprintf(sc.links[1].b, sizeof(sc.links[1].b), "b");
	sc.links[1].loss = 1.5;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	sc.links[1].loss = 0.5;
	assert_non_null(sim_scenario_add_device(&sc, "a", SIM_DEVICE_CONTROLLER));
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_non_null(strstr(why, "twice"));
	sim_scenario_free(&sc);
	assert_int_equal(sc.n_devices, 0);
}

/* Static random addresses: two top bits set, distinct, the same on every
 * run of the same scenario. */
static void test_addresses(void **state)
{
	struct fx *f = fx_new();
	uint8_t first[3][6];

	(void)state;
	node(f, "a");
	node(f, "b");
	node(f, "c");
	for (int run = 0; run < 2; run++) {
		fx_start(f);
		for (size_t i = 0; i < 3; i++) {
			const uint8_t *addr = sim_world_device(f->w, i)->addr;

			assert_int_equal(addr[5] & 0xc0, 0xc0);
			if (run == 0)
				memcpy(first[i], addr, 6);
			else
				assert_memory_equal(first[i], addr, 6);
		}
		assert_memory_not_equal(first[0], first[1], 6);
		assert_memory_not_equal(first[1], first[2], 6);
		sim_world_destroy(f->w);
		f->w = NULL;
		run_ms(f, 1);
	}
	fx_free(f);
}

/* ---- links --------------------------------------------------------------- */

static void test_links_from_positions(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	placed(f, "a", 0, 0, 0);
	placed(f, "b", 1, 0, 0);      /* 1 m from a */
	placed(f, "c", 10, 0, 0);     /* 10 m from a, 9 m from b */
	placed(f, "far", 100, 0, 0);  /* out of range of all */
	placed(f, "wired", 200, 0, 0);
	node(f, "x");                 /* nowhere */
	node(f, "y");
	add_link(f, "a", "far", SIM_LOSS_DEFAULT, -77);       /* explicit RSSI */
	add_link(f, "far", "wired", SIM_LOSS_DEFAULT, SIM_NO_RSSI); /* 100 m by the model */
	add_link(f, "x", "y", SIM_LOSS_DEFAULT, SIM_NO_RSSI);  /* no positions: -60 */
	add_link(f, "b", "c", 0.0, -50);                       /* overrides the distance */
	fx_start(f);

	transmit(f, "a", 1);
	transmit(f, "b", 2);
	transmit(f, "far", 3);
	transmit(f, "x", 4);
	run_ms(f, 100);
	assert_int_equal(rx_rssi(f, dev(f, "a"), dev(f, "b")), -40);  /* -40 at 1 m */
	assert_int_equal(rx_rssi(f, dev(f, "a"), dev(f, "c")), -65);  /* -40 - 25 */
	assert_int_equal(rx_rssi(f, dev(f, "a"), dev(f, "far")), -77);
	assert_int_equal(rx_rssi(f, dev(f, "b"), dev(f, "c")), -50);
	assert_int_equal(rx_rssi(f, dev(f, "far"), dev(f, "wired")), -90);
	assert_int_equal(rx_rssi(f, dev(f, "far"), dev(f, "a")), -77);
	assert_int_equal(rx_rssi(f, dev(f, "x"), dev(f, "y")), -60);
	/* Out of range and unlinked: nothing. */
	assert_int_equal(rx_rssi(f, dev(f, "b"), dev(f, "far")), 0);
	assert_int_equal(rx_rssi(f, dev(f, "a"), dev(f, "wired")), 0);
	assert_int_equal(rx_count_by(f, dev(f, "a")), 2);  /* from b and far */
	/* A device never hears itself. */
	assert_int_equal(rx_rssi(f, dev(f, "a"), dev(f, "a")), 0);
	fx_free(f);
}

static void test_rssi_clamped(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	f->sc.range_m = 1000.0;
	placed(f, "a", 0, 0, 0);
	placed(f, "touching", 0, 0, 0.05);
	placed(f, "distant", 400, 0, 0);
	fx_start(f);
	transmit(f, "a", 1);
	run_ms(f, 50);
	assert_int_equal(rx_rssi(f, dev(f, "a"), dev(f, "touching")), -20);
	assert_int_equal(rx_rssi(f, dev(f, "a"), dev(f, "distant")), -100);
	fx_free(f);
}

static void test_set_and_remove_link(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	node(f, "a");
	node(f, "b");
	fx_start(f);
	transmit(f, "a", 1);
	run_ms(f, 40);
	assert_int_equal(f->n_rx, 0);
	assert_int_equal(sim_world_set_link(f->w, dev(f, "a"), dev(f, "b"), 0.0, -71), 0);
	transmit(f, "a", 2);
	run_ms(f, 40);
	assert_int_equal(rx_rssi(f, dev(f, "a"), dev(f, "b")), -71);
	assert_int_equal(sim_world_remove_link(f->w, dev(f, "a"), dev(f, "b")), 0);
	assert_int_equal(sim_world_remove_link(f->w, dev(f, "a"), dev(f, "b")), MESH_ERR_NOT_FOUND);
	assert_int_equal(sim_world_set_link(f->w, dev(f, "a"), dev(f, "a"), 0.0, -71),
			 MESH_ERR_INVAL);
	assert_int_equal(sim_world_set_link(f->w, dev(f, "a"), dev(f, "b"), 2.0, -71),
			 MESH_ERR_INVAL);
	transmit(f, "a", 3);
	run_ms(f, 40);
	assert_int_equal(f->n_rx, 1);
	fx_free(f);
}

/* ---- loss and delay ------------------------------------------------------ */

static size_t deliveries(struct fx *f, double loss, unsigned int n)
{
	struct sim_device *a = dev(f, "a"), *b = dev(f, "b");

	f->n_rx = 0;
	assert_int_equal(sim_world_set_link(f->w, a, b, loss, -60), 0);
	for (unsigned int i = 0; i < n; i++)
		transmit(f, "a", (uint8_t)i);
	run_ms(f, 60);
	return rx_count_by(f, b);
}

static void test_loss(void **state)
{
	struct fx *f = fx_new();
	size_t got;

	(void)state;
	node(f, "a");
	node(f, "b");
	fx_start(f);
	assert_int_equal(deliveries(f, 0.0, 200), 200);
	assert_int_equal(deliveries(f, 1.0, 200), 0);
	got = deliveries(f, 0.3, 1000);
	print_message("loss 0.3: %zu of 1000 delivered\n", got);
	assert_in_range(got, 620, 780);
	fx_free(f);
}

/* The same seed loses the same receptions. */
static void test_seed_replays(void **state)
{
	uint8_t pattern[2][200];

	(void)state;
	for (int run = 0; run < 2; run++) {
		struct fx *f = fx_new();

		f->sc.seed = 42;
		node(f, "a");
		node(f, "b");
		add_link(f, "a", "b", 0.5, -60);
		fx_start(f);
		for (unsigned int i = 0; i < 200; i++)
			transmit(f, "a", (uint8_t)i);
		run_ms(f, 60);
		memset(pattern[run], 0, sizeof(pattern[run]));
		for (size_t i = 0; i < f->n_rx; i++)
			pattern[run][f->rx[i].adv[4]] = 1;
		fx_free(f);
	}
	assert_memory_equal(pattern[0], pattern[1], sizeof(pattern[0]));
}

/* Each reception is delayed 0..tx_delay_max_ms after its transmission
 * (events sent far enough apart not to queue behind each other). */
static void test_delay_bounds(void **state)
{
	struct fx *f = fx_new();
	uint64_t sent[200], lo = UINT64_MAX, hi = 0;

	(void)state;
	f->sc.tx_delay_max_ms = 25;
	node(f, "a");
	node(f, "b");
	add_link(f, "a", "b", 0.0, -60);
	fx_start(f);
	for (unsigned int i = 0; i < 200; i++) {
		sent[i] = mesh_timers_now(&sim_world_timers(f->w)->timers);
		transmit(f, "a", (uint8_t)i);
		run_ms(f, 30);
	}
	assert_int_equal(f->n_rx, 200);
	for (size_t i = 0; i < f->n_rx; i++) {
		uint64_t d = f->rx[i].at_ms - sent[f->rx[i].adv[4]];

		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	print_message("delays %llu..%llu ms (max 25)\n", (unsigned long long)lo,
		      (unsigned long long)hi);
	assert_true(hi <= 25);
	/* Spread over the range rather than all at one instant. */
	assert_true(lo <= 3 && hi >= 22);
	fx_free(f);
}

/* Two events sent back to back reach a receiver in the order they were
 * sent, whatever their random delays: a receiver would otherwise see the
 * newer SEQ first and drop the older PDU as a replay. */
static void test_order_kept(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	f->sc.tx_delay_max_ms = 25;
	node(f, "a");
	node(f, "b");
	add_link(f, "a", "b", 0.0, -60);
	fx_start(f);
	for (unsigned int i = 0; i < 200; i++)
		transmit(f, "a", (uint8_t)i);
	run_ms(f, 100);
	assert_int_equal(f->n_rx, 200);
	for (size_t i = 0; i < f->n_rx; i++)
		assert_int_equal(f->rx[i].adv[4], i);
	fx_free(f);
}

/* ---- off the air --------------------------------------------------------- */

static void test_off_air(void **state)
{
	struct fx *f = fx_new();
	struct sim_device *a, *b;

	(void)state;
	node(f, "a");
	node(f, "b");
	add_link(f, "a", "b", 0.0, -60);
	fx_start(f);
	a = dev(f, "a");
	b = dev(f, "b");

	sim_world_set_on_air(f->w, b, false);
	transmit(f, "a", 1);             /* b does not hear */
	transmit(f, "b", 2);             /* b does not send */
	run_ms(f, 40);
	assert_int_equal(f->n_rx, 0);
	assert_int_equal(f->n_air, 1);
	assert_int_equal(b->tx_count, 0);

	/* A reception already on its way is lost too. */
	sim_world_set_on_air(f->w, b, true);
	transmit(f, "a", 3);
	sim_world_set_on_air(f->w, b, false);
	run_ms(f, 40);
	assert_int_equal(f->n_rx, 0);

	sim_world_set_on_air(f->w, b, true);
	transmit(f, "a", 4);
	transmit(f, "b", 5);
	run_ms(f, 40);
	assert_int_equal(rx_count_by(f, b), 1);
	assert_int_equal(rx_count_by(f, a), 1);
	assert_int_equal(b->rx_count, 1);
	fx_free(f);
}

/* ---- unprovisioned device beacons ---------------------------------------- */

static void test_unprov_beacons(void **state)
{
	static const uint8_t uuid[16] = {
		0x70, 0xcf, 0x7c, 0x97, 0x32, 0xa3, 0x45, 0xb6,
		0x91, 0x49, 0x48, 0x10, 0xd2, 0xe9, 0xcb, 0xf4,
	};
	struct fx *f = fx_new();
	struct sim_device_desc *d;
	size_t beacons = 0, heard = 0;

	(void)state;
	d = node(f, "new");
	memcpy(d->uuid, uuid, sizeof(uuid));
	d->oob_info = 0x4020;
	d->beacon_interval_ms = 50;
	node(f, "listener");
	add_link(f, "new", "listener", 0.0, -60);
	fx_start(f);
	run_ms(f, 400);
	/* Silence it, and let what is on its way arrive. */
	sim_world_set_on_air(f->w, dev(f, "new"), false);
	run_ms(f, 30);
	for (size_t i = 0; i < f->n_air; i++) {
		struct mesh_beacon_unprov b;
		const struct sim_test_air *a = &f->air[i];

		if (a->from != dev(f, "new")->index)
			continue;
		assert_int_equal(a->len, 2 + MESH_BEACON_UNPROV_LEN);
		assert_int_equal(a->adv[0], 1 + MESH_BEACON_UNPROV_LEN);
		assert_int_equal(a->adv[1], MESH_AD_TYPE_BEACON);
		assert_int_equal(mesh_beacon_unprov_parse(a->adv + 2, a->len - 2, &b), 0);
		assert_memory_equal(b.uuid, uuid, 16);
		assert_int_equal(b.oob_info, 0x4020);
		beacons++;
	}
	heard = rx_count_by(f, dev(f, "listener"));
	print_message("%zu beacons in 400 ms at a 50 ms interval\n", beacons);
	assert_in_range(beacons, 5, 9);
	assert_int_equal(heard, beacons);
	fx_free(f);
}

/* ---- provisioned nodes: relaying ----------------------------------------- */

static void chain(struct fx *f)
{
	static const char *const names[] = { "far", "r1", "r2", "r3", "r4", "sink" };

	f->sc.tx_delay_max_ms = 5;
	for (int i = 0; i < 6; i++)
		provision(node(f, names[i]), (uint16_t)(0x0100 + i), i >= 1 && i <= 4);
	for (int i = 0; i < 5; i++)
		add_link(f, names[i], names[i + 1], 0.0, -70);
}

static bool sink_got(void *ctx)
{
	struct fx *f = ctx;

	return f->access_rx[dev(f, "sink")->index] > 0;
}

static void test_multi_hop(void **state)
{
	struct fx *f = fx_new();
	struct sim_device *far, *sink;

	(void)state;
	chain(f);
	fx_start(f);
	far = dev(f, "far");
	sink = dev(f, "sink");
	assert_non_null(sink->stack);
	assert_int_equal(sim_device_send_access(far, sink->desc.keys.address, 10,
						onoff_set_unack, sizeof(onoff_set_unack)), 0);
	assert_true(test_uv_run_until(&f->loop, sink_got, f, 3000));
	run_ms(f, 200);  /* later copies are cached, not delivered again */
	assert_int_equal(f->access_rx[sink->index], 1);
	assert_int_equal(f->access_ttl[sink->index], 10 - 4);
	assert_int_equal(f->access_src[sink->index], far->desc.keys.address);
	assert_int_equal(f->access_len[sink->index], sizeof(onoff_set_unack));
	assert_memory_equal(f->access_payload[sink->index], onoff_set_unack,
			    sizeof(onoff_set_unack));
	for (int i = 1; i <= 4; i++)
		assert_int_equal(f->relayed[i], 1);
	assert_int_equal(f->relayed[sink->index], 0);  /* no relay feature */

	/* Without r2 the chain is broken. */
	sim_world_set_on_air(f->w, dev(f, "r2"), false);
	f->access_rx[sink->index] = 0;
	assert_int_equal(sim_device_send_access(far, sink->desc.keys.address, 10,
						onoff_set_unack, sizeof(onoff_set_unack)), 0);
	assert_false(test_uv_run_until(&f->loop, sink_got, f, 1500));
	fx_free(f);
}

/* far - r1, r1 - r2 - r3 - r1 (a cycle), r3 - sink: the message cache lets
 * each relay send the message on once, and the air goes quiet. */
static void test_relay_cycle(void **state)
{
	struct fx *f = fx_new();
	struct sim_device *sink;
	size_t air_before;

	(void)state;
	f->sc.tx_delay_max_ms = 5;
	provision(node(f, "far"), 0x0100, false);
	provision(node(f, "r1"), 0x0101, true);
	provision(node(f, "r2"), 0x0102, true);
	provision(node(f, "r3"), 0x0103, true);
	provision(node(f, "sink"), 0x0104, false);
	add_link(f, "far", "r1", 0.0, -70);
	add_link(f, "r1", "r2", 0.0, -70);
	add_link(f, "r2", "r3", 0.0, -70);
	add_link(f, "r3", "r1", 0.0, -70);
	add_link(f, "r3", "sink", 0.0, -70);
	fx_start(f);
	sink = dev(f, "sink");
	assert_int_equal(sim_device_send_access(dev(f, "far"), sink->desc.keys.address, 10,
						onoff_set_unack, sizeof(onoff_set_unack)), 0);
	assert_true(test_uv_run_until(&f->loop, sink_got, f, 3000));
	run_ms(f, 500);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(f->relayed[i], 1);
	assert_int_equal(f->access_rx[sink->index], 1);
	/* Two relays (r1, r3), or three when r2's copy reached r3 first. */
	assert_in_range(f->access_ttl[sink->index], 10 - 3, 10 - 2);
	/* Quiet: nothing but (rare) secure beacons after that. */
	air_before = f->n_air;
	run_ms(f, 300);
	for (size_t i = air_before; i < f->n_air; i++)
		assert_int_not_equal(f->air[i].adv[1], MESH_AD_TYPE_MESSAGE);
	fx_free(f);
}

static void test_send_access_needs_keys(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	node(f, "plain");
	fx_start(f);
	assert_null(dev(f, "plain")->stack);
	assert_int_equal(sim_device_send_access(dev(f, "plain"), 0x0001, 5, onoff_set_unack,
						sizeof(onoff_set_unack)), MESH_ERR_INVAL);
	fx_free(f);
}

/* A node's bearer: count transmissions, interval apart. */
static void test_bearer_count(void **state)
{
	struct fx *f = fx_new();
	struct mesh_adv_tx tx = {
		.ad_type = MESH_AD_TYPE_MESSAGE, .len = 3, .payload = { 1, 2, 3 },
		.count = 4, .interval_ms = 30,
	};

	(void)state;
	node(f, "a");
	node(f, "b");
	add_link(f, "a", "b", 0.0, -60);
	fx_start(f);
	assert_int_equal(mesh_bearer_send(&dev(f, "a")->bearer, &tx), 0);
	tx.ad_type = 0x01;
	assert_int_equal(mesh_bearer_send(&dev(f, "a")->bearer, &tx), MESH_ERR_INVAL);
	run_ms(f, 60);
	assert_in_range(f->n_air, 1, 3);
	run_ms(f, 250);
	assert_int_equal(f->n_air, 4);
	assert_int_equal(rx_count_by(f, dev(f, "b")), 4);
	for (size_t i = 0; i < f->n_air; i++) {
		assert_int_equal(f->air[i].len, 5);
		assert_int_equal(f->air[i].adv[0], 4);
		assert_int_equal(f->air[i].adv[1], MESH_AD_TYPE_MESSAGE);
	}
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenario_check),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_links_from_positions),
		cmocka_unit_test(test_rssi_clamped),
		cmocka_unit_test(test_set_and_remove_link),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_seed_replays),
		cmocka_unit_test(test_delay_bounds),
		cmocka_unit_test(test_order_kept),
		cmocka_unit_test(test_off_air),
		cmocka_unit_test(test_unprov_beacons),
		cmocka_unit_test(test_multi_hop),
		cmocka_unit_test(test_relay_cycle),
		cmocka_unit_test(test_send_access_needs_keys),
		cmocka_unit_test(test_bearer_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
