/*
 * Provisioning end to end over the HCI path, as a user does it: the
 * gateway's provisioning service (network database in a temporary data
 * directory, the Provisioner, discovery) on the HCI core over a real
 * pseudo-terminal, against meshsim devices behind a virtual controller.
 *
 * Covers each OOB method with each algorithm, an OOB public key, 20%
 * radio loss, a wrong OOB value followed by a successful retry, and a
 * device that goes silent mid-way (timeout, nothing stored). Every
 * success is checked against the database as reloaded from disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/netdb.h"
#include "gateway/provisioning.h"
#include "mesh/bearer/hci.h"
#include "mesh/bearer/route.h"
#include "mesh/bearer/uart.h"
#include "mesh/err.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/vctrl.h"
#include "mesh/sim/world.h"
#include "mesh/uv_timers.h"
#include "uv_helpers.h"

#define CMD_TIMEOUT_MS 300

enum dev_kind { PLAIN, STATIC, DISPLAY, KEYPAD, PUBKEY };

struct fixture {
	uv_loop_t loop;
	struct test_log log;
	struct sim_scenario sc;
	struct sim_world *world;
	struct sim_vctrl *vc;
	char dir[64];
	char link[128];
	char slave[64];
	char data[128];
	struct hci_uart uart;
	struct hci_core core;
	bool bearer_up;
	struct mesh_uv_timers timers;
	struct netdb *db;
	struct gw_provisioning *prov;
	/* the user, between the device and meshgate */
	char device_shows[16];
	char meshgate_shows[16];
	struct sim_device *awaiting_input;
	/* outcome of the current session */
	bool done;
	bool ok;
	struct mesh_prov_event failed;
	struct mesh_prov_event complete;
	bool device_done, device_ok;
	size_t discovered;
	bool capabilities;
};

static void user_types_on_device(struct fixture *f)
{
	if (!f->awaiting_input || !f->meshgate_shows[0])
		return;
	assert_int_equal(sim_device_prov_input(f->awaiting_input, f->meshgate_shows), 0);
	f->awaiting_input = NULL;
}

/* --- the world's devices --------------------------------------------- */

static void on_prov_output(void *ctx, const struct sim_device *d, uint8_t action,
			   const char *value)
{
	struct fixture *f = ctx;

	(void)d;
	(void)action;
	snprintf(f->device_shows, sizeof(f->device_shows), "%s", value);
}

static void on_prov_input(void *ctx, const struct sim_device *d, uint8_t action, uint8_t size)
{
	struct fixture *f = ctx;

	(void)action;
	(void)size;
	f->awaiting_input = (struct sim_device *)d;
	user_types_on_device(f);
}

static void on_prov_done(void *ctx, const struct sim_device *d, bool ok, uint16_t address,
			 const char *error)
{
	struct fixture *f = ctx;

	(void)d;
	(void)address;
	(void)error;
	f->device_done = true;
	f->device_ok = ok;
}

/* --- meshgate's side ---------------------------------------------------- */

static void on_gw_event(void *ctx, const struct gw_prov_event *ev)
{
	struct fixture *f = ctx;
	char err[128];

	if (ev->type == GW_PROV_EV_DISCOVERED) {
		f->discovered++;
		return;
	}
	if (ev->type != GW_PROV_EV_SESSION)
		return;
	switch (ev->session->type) {
	case MESH_PROV_EV_CAPABILITIES:
		f->capabilities = true;
		break;
	case MESH_PROV_EV_OOB_NEEDED:
		/* the user reads the device and answers through the API */
		assert_true(f->device_shows[0] != '\0');
		assert_int_equal(gw_prov_oob(f->prov, f->device_shows, err, sizeof(err)), 0);
		break;
	case MESH_PROV_EV_OOB_SHOW:
		snprintf(f->meshgate_shows, sizeof(f->meshgate_shows), "%s", ev->session->oob.value);
		user_types_on_device(f);
		break;
	case MESH_PROV_EV_COMPLETE:
		f->complete = *ev->session;
		f->done = true;
		f->ok = true;
		break;
	case MESH_PROV_EV_FAILED:
		f->failed = *ev->session;
		f->done = true;
		f->ok = false;
		break;
	default:
		break;
	}
}

static uint32_t gw_iv_index(void *ctx, uint8_t *flags)
{
	(void)ctx;
	*flags = 0;
	return 0x1234;
}

static const struct gw_prov_ops gw_ops = {
	.event = on_gw_event,
	.iv_index = gw_iv_index,
};

static void on_unprov_beacon(void *ctx, const struct mesh_beacon_unprov *b,
			     const struct mesh_adv_rx *rx)
{
	gw_prov_unprov_beacon(((struct fixture *)ctx)->prov, b, rx);
}

static void on_pb_adv(void *ctx, const struct mesh_adv_rx *rx)
{
	gw_prov_pb_adv(((struct fixture *)ctx)->prov, rx);
}

static const struct mesh_adv_route_ops route_ops = {
	.unprov_beacon = on_unprov_beacon,
	.pb_adv = on_pb_adv,
};

static void on_bearer_rx(void *ctx, const struct mesh_adv_rx *rx)
{
	mesh_adv_route(NULL, rx, &route_ops, ctx);
}

static void on_bearer_state(void *ctx, bool up)
{
	((struct fixture *)ctx)->bearer_up = up;
}

/* --- set-up ------------------------------------------------------------ */

static const char *const kind_names[] = { "plain", "static", "display", "keypad", "pubkey" };

static void device_uuid(uint8_t uuid[16], enum dev_kind kind, int alg)
{
	memset(uuid, 0, 16);
	uuid[0] = 0x5e;
	uuid[1] = (uint8_t)kind;
	uuid[2] = (uint8_t)alg;
}

static void add_device(struct sim_scenario *sc, enum dev_kind kind, int alg, double loss)
{
	struct sim_device_desc *d;
	char name[32];

	snprintf(name, sizeof(name), "%s-%d", kind_names[kind], alg);
	d = sim_scenario_add_device(sc, name, SIM_DEVICE_NODE);
	assert_non_null(d);
	device_uuid(d->uuid, kind, alg);
	d->n_elements = (uint8_t)(1 + (kind == DISPLAY)); /* a two-element lamp */
	d->beacon_interval_ms = 300;
	d->prov.algorithms = alg == MESH_PROV_ALG_CMAC_AES128 ? SIM_PROV_ALG_CMAC :
								SIM_PROV_ALGORITHMS_ALL;
	switch (kind) {
	case STATIC:
	case PUBKEY:
		d->prov.static_oob_len = 16;
		memset(d->prov.static_oob, 0x3c, 16);
		d->prov.oob_public_key = kind == PUBKEY;
		break;
	case DISPLAY:
		d->prov.output_actions = 1u << MESH_PROV_OUT_NUMERIC;
		d->prov.output_size = 4;
		break;
	case KEYPAD:
		d->prov.input_actions = 1u << MESH_PROV_IN_NUMERIC;
		d->prov.input_size = 4;
		break;
	default:
		break;
	}
	assert_non_null(sim_scenario_add_link(sc, "gateway", name, loss, -60));
}

static void scenario(struct sim_scenario *sc, double loss)
{
	sim_scenario_init(sc);
	snprintf(sc->name, sizeof(sc->name), "provisioning");
	sc->tx_delay_max_ms = 2;
	assert_non_null(sim_scenario_add_device(sc, "gateway", SIM_DEVICE_CONTROLLER));
	for (int alg = 0; alg < 2; alg++)
		for (int k = PLAIN; k <= PUBKEY; k++)
			add_device(sc, (enum dev_kind)k, alg, loss);
}

static bool core_ready(void *ctx)
{
	struct fixture *f = ctx;

	return f->core.state == HCI_STATE_READY && f->bearer_up;
}

static void start_world(struct fixture *f)
{
	struct sim_world_observer obs = {
		.on_prov_output = on_prov_output,
		.on_prov_input = on_prov_input,
		.on_prov_done = on_prov_done,
		.ctx = f,
	};
	char why[160];

	assert_int_equal(sim_scenario_check(&f->sc, why, sizeof(why)), 0);
	assert_int_equal(sim_world_create(&f->world, &f->loop, &f->sc), 0);
	sim_world_set_observer(f->world, &obs);
	f->vc = sim_vctrl_of(sim_world_find(f->world, "gateway"));
	assert_non_null(f->vc);
	assert_int_equal(sim_vctrl_open_pty(f->vc, f->link, f->slave, sizeof(f->slave)), 0);
	assert_int_equal(sim_world_start(f->world), 0);
}

static void start_gateway(struct fixture *f)
{
	struct hci_uart_config ucfg;
	struct hci_core_config ccfg = { .cmd_timeout_ms = CMD_TIMEOUT_MS };
	char err[512];

	hci_uart_config_default(&ucfg);
	ucfg.path = f->link;
	assert_int_equal(hci_uart_init(&f->uart, &f->loop, &ucfg), 0);
	assert_int_equal(hci_core_init(&f->core, &f->loop, &f->uart.transport, &ccfg), 0);
	f->core.bearer.rx = on_bearer_rx;
	f->core.bearer.state = on_bearer_state;
	f->core.bearer.ctx = f;
	assert_int_equal(mesh_uv_timers_init(&f->timers, &f->loop), 0);
	if (netdb_open(&f->db, f->data, err, sizeof(err)) != 0)
		fail_msg("netdb_open: %s", err);
	assert_int_equal(gw_prov_create(&f->prov, &f->timers.timers, hci_core_bearer(&f->core),
					f->db, &gw_ops, f),
			 0);
	assert_int_equal(hci_core_start(&f->core), 0);
	assert_true(test_uv_run_until(&f->loop, core_ready, f, 5000));
}

static struct fixture *fixture_new(double loss)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	test_log_start(&f->log);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/meshgate-prov-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->link, sizeof(f->link), "%s/ttyMESH0", f->dir);
	snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
	scenario(&f->sc, loss);
	start_world(f);
	start_gateway(f);
	return f;
}

static void fixture_free(struct fixture *f)
{
	char cmd[160];

	gw_prov_destroy(f->prov);
	mesh_uv_timers_close(&f->timers);
	hci_core_close(&f->core);
	sim_world_destroy(f->world);
	assert_true(test_uv_loop_close(&f->loop));
	netdb_free(f->db);
	sim_scenario_free(&f->sc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	test_log_stop(&f->log);
	free(f);
}

/* --- running sessions ---------------------------------------------------- */

static bool session_over(void *ctx)
{
	struct fixture *f = ctx;

	return f->done && !gw_prov_busy(f->prov);
}

static void reset_session(struct fixture *f)
{
	f->done = f->ok = false;
	f->device_done = f->device_ok = false;
	f->device_shows[0] = f->meshgate_shows[0] = '\0';
	f->awaiting_input = NULL;
	f->capabilities = false;
	memset(&f->failed, 0, sizeof(f->failed));
	memset(&f->complete, 0, sizeof(f->complete));
}

static void provision(struct fixture *f, enum dev_kind kind, int alg, const uint8_t *static_oob,
		      unsigned int limit_ms)
{
	struct gw_prov_params p = { .method = MESH_PROV_METHOD_AUTO };
	char err[160];

	reset_session(f);
	device_uuid(p.uuid, kind, alg);
	p.algorithms = MESH_PROV_ALG_BIT(alg);
	if (static_oob) {
		p.static_oob_len = 16;
		memcpy(p.static_oob, static_oob, 16);
	}
	if (kind == PUBKEY) {
		char name[32];

		snprintf(name, sizeof(name), "%s-%d", kind_names[kind], alg);
		p.has_oob_public_key = true;
		assert_int_equal(sim_device_oob_public_key(sim_world_find(f->world, name),
							   p.oob_public_key),
				 0);
	}
	if (gw_prov_start(f->prov, &p, err, sizeof(err)) != 0)
		fail_msg("gw_prov_start: %s", err);
	assert_true(test_uv_run_until(&f->loop, session_over, f, limit_ms));
}

/* The node is in the database on disk with the device's own device key. */
static void assert_stored(struct fixture *f, enum dev_kind kind, int alg)
{
	struct netdb *disk;
	const struct netdb_node *n;
	struct sim_device *dev;
	char name[32], err[512];
	uint8_t uuid[16];

	snprintf(name, sizeof(name), "%s-%d", kind_names[kind], alg);
	dev = sim_world_find(f->world, name);
	device_uuid(uuid, kind, alg);
	if (netdb_open(&disk, f->data, err, sizeof(err)) != 0)
		fail_msg("reload: %s", err);
	n = netdb_node_by_uuid(disk, uuid);
	assert_non_null(n);
	assert_int_equal(n->unicast, f->complete.complete.address);
	assert_int_equal(n->n_elements, dev->desc.n_elements);
	assert_true(dev->desc.keys.provisioned);
	assert_int_equal(dev->desc.keys.address, n->unicast);
	assert_int_equal(dev->desc.keys.iv_index, 0x1234);
	assert_memory_equal(dev->desc.keys.dev_key, n->dev_key, 16);
	assert_memory_equal(dev->desc.keys.net_key, netdb_net_key(disk, 0)->key, 16);
	netdb_free(disk);
}

static size_t nodes_on_disk(struct fixture *f)
{
	struct netdb *disk;
	char err[512];
	size_t n;

	if (netdb_open(&disk, f->data, err, sizeof(err)) != 0)
		fail_msg("reload: %s", err);
	n = disk->n_nodes;
	netdb_free(disk);
	return n;
}

static void expect_success(struct fixture *f, enum dev_kind kind, int alg)
{
	if (!f->ok)
		fail_msg("%s-%d: %s", kind_names[kind], alg, f->failed.failed.message);
	assert_true(f->device_done && f->device_ok);
	assert_stored(f, kind, alg);
}

/* --- tests ---------------------------------------------------------------- */

static bool all_heard(void *ctx)
{
	return ((struct fixture *)ctx)->discovered == 10;
}

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

static void test_discovery(void **state)
{
	struct fixture *f = fixture_new(0.0);
	const struct mesh_prov_scan *s = gw_prov_discovered(f->prov);
	uint8_t uuid[16];

	(void)state;
	assert_int_equal(gw_prov_scan(f->prov, 5), 0);
	assert_true(test_uv_run_until(&f->loop, all_heard, f, 4000));
	/* More beacons arrive, but each device is reported once per window. */
	test_uv_run_until(&f->loop, never, f, 1000);
	assert_int_equal(f->discovered, 10);
	assert_int_equal(s->n, 10);
	device_uuid(uuid, KEYPAD, 1);
	assert_non_null(mesh_prov_scan_find(s, uuid));
	assert_true(mesh_prov_scan_find(s, uuid)->beacons >= 2);
	assert_int_equal(mesh_prov_scan_find(s, uuid)->rssi, -60);
	fixture_free(f);
}

static void test_every_method_both_algorithms(void **state)
{
	static const uint8_t right[16] = {
		0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c,
		0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c,
	};
	struct fixture *f = fixture_new(0.0);
	size_t before = nodes_on_disk(f);

	(void)state;
	for (int alg = 0; alg < 2; alg++) {
		for (int k = PLAIN; k <= PUBKEY; k++) {
			bool needs_static = k == STATIC || k == PUBKEY;

			provision(f, (enum dev_kind)k, alg, needs_static ? right : NULL, 20000);
			expect_success(f, (enum dev_kind)k, alg);
			assert_int_equal(f->complete.complete.algorithm, alg);
		}
	}
	assert_int_equal(nodes_on_disk(f), before + 10);
	fixture_free(f);
}

static void test_twenty_percent_loss(void **state)
{
	struct fixture *f = fixture_new(0.2);

	(void)state;
	provision(f, DISPLAY, MESH_PROV_ALG_HMAC_SHA256, NULL, 40000);
	expect_success(f, DISPLAY, MESH_PROV_ALG_HMAC_SHA256);
	provision(f, KEYPAD, MESH_PROV_ALG_CMAC_AES128, NULL, 40000);
	expect_success(f, KEYPAD, MESH_PROV_ALG_CMAC_AES128);
	fixture_free(f);
}

static void test_wrong_oob_then_again(void **state)
{
	static const uint8_t wrong[16] = { 1, 2, 3 };
	static const uint8_t right[16] = {
		0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c,
		0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c,
	};
	struct fixture *f = fixture_new(0.0);
	size_t before = nodes_on_disk(f);

	(void)state;
	provision(f, STATIC, MESH_PROV_ALG_HMAC_SHA256, wrong, 20000);
	assert_false(f->ok);
	assert_int_equal(f->failed.failed.reason, MESH_PROV_FAIL_CONFIRMATION);
	assert_int_equal(f->failed.failed.error, MESH_PROV_ERR_CONFIRMATION_FAILED);
	assert_non_null(strstr(f->failed.failed.message, "confirmation failed"));
	assert_true(f->device_done && !f->device_ok);
	assert_int_equal(nodes_on_disk(f), before);
	assert_null(netdb_node_by_uuid(f->db, (const uint8_t[16]){ 0x5e, STATIC, 1 }));

	provision(f, STATIC, MESH_PROV_ALG_HMAC_SHA256, right, 20000);
	expect_success(f, STATIC, MESH_PROV_ALG_HMAC_SHA256);
	assert_int_equal(nodes_on_disk(f), before + 1);
	fixture_free(f);
}

static bool capabilities_seen(void *ctx)
{
	struct fixture *f = ctx;

	return f->capabilities || f->done;
}

static void test_device_goes_silent(void **state)
{
	struct fixture *f = fixture_new(0.0);
	struct gw_prov_params p = { .method = MESH_PROV_METHOD_AUTO };
	size_t before = nodes_on_disk(f);
	struct sim_device *dev = sim_world_find(f->world, "plain-1");
	char err[160];

	(void)state;
	reset_session(f);
	device_uuid(p.uuid, PLAIN, 1);
	assert_int_equal(gw_prov_start(f->prov, &p, err, sizeof(err)), 0);
	/* Once it has answered the invite, the device loses power. */
	assert_true(test_uv_run_until(&f->loop, capabilities_seen, f, 10000));
	assert_false(f->done);
	sim_world_set_on_air(f->world, dev, false);
	assert_true(test_uv_run_until(&f->loop, session_over, f, 70000));
	assert_false(f->ok);
	assert_true(f->failed.failed.reason == MESH_PROV_FAIL_TRANSACTION_TIMEOUT ||
		    f->failed.failed.reason == MESH_PROV_FAIL_PROTOCOL_TIMEOUT);
	assert_int_equal(nodes_on_disk(f), before);
	assert_int_equal(f->db->n_nodes, before);
	fixture_free(f);
}

/* The disk refuses the save: the session fails, but the device is a node
 * all the same, so it stays in memory (its address is not handed out
 * again) and reaches the disk with the next save that works. */
static void test_save_failure_keeps_the_node(void **state)
{
	struct fixture *f = fixture_new(0.0);
	size_t before = nodes_on_disk(f);
	char blocker[160], cmd[400];
	uint16_t first;

	(void)state;
	/* a non-empty directory where the backup must go makes the save fail */
	snprintf(blocker, sizeof(blocker), "%s/mesh.json.bak", f->data);
	snprintf(cmd, sizeof(cmd), "rm -f '%s' && mkdir -p '%s/x'", blocker, blocker);
	assert_int_equal(system(cmd), 0);
	provision(f, PLAIN, 0, NULL, 20000);
	assert_false(f->ok);
	assert_int_equal(f->failed.failed.reason, MESH_PROV_FAIL_STORE);
	assert_true(f->device_done && f->device_ok);
	assert_int_equal(f->db->n_nodes, before + 1);
	assert_int_equal(nodes_on_disk(f), before);
	first = netdb_node_by_uuid(f->db, (const uint8_t[16]){ 0x5e, PLAIN, 0 })->unicast;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", blocker);
	assert_int_equal(system(cmd), 0);
	provision(f, KEYPAD, 0, NULL, 20000);
	expect_success(f, KEYPAD, 0);
	assert_true(f->complete.complete.address != first);
	assert_int_equal(nodes_on_disk(f), before + 2);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_every_method_both_algorithms),
		cmocka_unit_test(test_twenty_percent_loss),
		cmocka_unit_test(test_wrong_oob_then_again),
		cmocka_unit_test(test_device_goes_silent),
		cmocka_unit_test(test_save_failure_keeps_the_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
