/*
 * The HCI bearer against the simulated mesh, end to end over a real
 * pseudo-terminal: the gateway side is the HCI core on the UART transport
 * opened at a symlink, exactly as with an nRF52840; the other side is a
 * virtual controller in a meshsim world on the same loop.
 *
 * Covers what the bearer issue asks of it: the initialisation sequence,
 * scanning, N transmissions for a count of N, receptions with their RSSI,
 * both directions under loss, multi-hop relaying through real mesh stacks,
 * recovery from UART garbage, a mute controller, a Hardware Error and the
 * pty going away and coming back, and a btsnoop capture that btmon decodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mesh/bearer/btsnoop.h"
#include "mesh/bearer/hci.h"
#include "mesh/bearer/uart.h"
#include "mesh/err.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/vctrl.h"
#include "mesh/sim/world.h"
#include "mesh/stack.h"
#include "mesh/util.h"
#include "sim_helpers.h"
#include "uv_helpers.h"

#define LAMP_RSSI (-67)
#define RX_MAX 512
#define CMD_MAX 256
#define CMD_TIMEOUT_MS 300

static const uint8_t net_key[16] = {
	0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
	0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6,
};
static const uint8_t app_key[16] = {
	0x63, 0x96, 0x47, 0x71, 0x73, 0x4f, 0xbd, 0x76,
	0xe3, 0xb4, 0x05, 0x19, 0xd1, 0xd9, 0x4a, 0x48,
};

struct rx_record {
	uint8_t ad_type;
	uint8_t len;
	uint8_t payload[MESH_ADV_PAYLOAD_MAX];
	int8_t rssi;
	uint8_t addr[6];
};

struct fixture {
	uv_loop_t loop;
	struct test_log log;
	struct sim_scenario sc;
	struct sim_world *world;
	struct sim_device *ctrl;
	struct sim_vctrl *vc;
	char dir[64];
	char link[128];
	char slave[64];
	struct hci_uart uart;
	struct hci_core core;
	bool core_started;
	struct btsnoop snoop;
	/* what the gateway received */
	struct rx_record rx[RX_MAX];
	size_t rx_count;
	bool bearer_up;
	/* what the controller was told */
	uint16_t cmds[CMD_MAX];
	size_t cmd_count;
	/* the air, seen from the world */
	const uint8_t *watch;         /* payload to count on the air */
	size_t watch_len;
	size_t watch_air_from_ctrl;
	size_t watch_rx_by_others;
	bool scan_off_during_tx;
	/* a gateway mesh stack for multi-hop */
	struct mesh_stack *stack;
	uint16_t trace_src;
	int trace_max_ttl;
	unsigned int trace_hits;
};

/* ---- observers -------------------------------------------------------- */

static void on_command(void *ctx, uint16_t opcode, const uint8_t *params, size_t len)
{
	struct fixture *f = ctx;

	(void)params;
	(void)len;
	if (f->cmd_count < CMD_MAX)
		f->cmds[f->cmd_count++] = opcode;
}

static bool adv_holds(const uint8_t *adv, size_t len, const uint8_t *payload, size_t plen)
{
	return len >= plen + 2 && adv[1] == MESH_AD_TYPE_MESSAGE &&
	       adv[0] == plen + 1 && memcmp(adv + 2, payload, plen) == 0;
}

static void on_air(void *ctx, const struct sim_device *from, const uint8_t *adv, size_t len)
{
	struct fixture *f = ctx;

	if (!f->watch || from != f->ctrl || !adv_holds(adv, len, f->watch, f->watch_len))
		return;
	f->watch_air_from_ctrl++;
	if (!sim_vctrl_scanning(f->vc))
		f->scan_off_during_tx = true;
}

static void on_world_rx(void *ctx, const struct sim_device *to, const struct sim_device *from,
			const uint8_t *adv, size_t len, int8_t rssi)
{
	struct fixture *f = ctx;

	(void)rssi;
	if (f->watch && from == f->ctrl && to != f->ctrl &&
	    adv_holds(adv, len, f->watch, f->watch_len))
		f->watch_rx_by_others++;
}

static void on_bearer_rx(void *ctx, const struct mesh_adv_rx *rx)
{
	struct fixture *f = ctx;
	struct rx_record *r;

	if (rx->ad_type == MESH_AD_TYPE_MESSAGE && f->stack)
		mesh_stack_net_receive(f->stack, rx->payload, rx->len);
	if (f->rx_count >= RX_MAX)
		return;
	r = &f->rx[f->rx_count++];
	r->ad_type = rx->ad_type;
	r->len = rx->len;
	memcpy(r->payload, rx->payload, rx->len);
	r->rssi = rx->rssi;
	memcpy(r->addr, rx->addr, 6);
}

static void on_bearer_state(void *ctx, bool up)
{
	((struct fixture *)ctx)->bearer_up = up;
}

/* ---- set-up ----------------------------------------------------------- */

static struct sim_device_desc *add_node(struct sim_scenario *sc, const char *name, uint8_t id)
{
	struct sim_device_desc *d = sim_scenario_add_device(sc, name, SIM_DEVICE_NODE);

	assert_non_null(d);
	memset(d->uuid, id, sizeof(d->uuid));
	d->n_elements = 1;
	d->elements[0].n_sig = 1;
	d->elements[0].sig_models[0] = 0x1000;
	d->beacon_interval_ms = 3600000; /* keep unprovisioned beacons out of the way */
	return d;
}

static void provision(struct sim_device_desc *d, uint16_t addr, bool relay)
{
	sim_test_provision_node(d, addr, relay, net_key, 0, app_key);
}

/* gateway controller <-> lamp, one link. */
static void scenario_pair(struct sim_scenario *sc)
{
	sim_scenario_init(sc);
	snprintf(sc->name, sizeof(sc->name), "pair");
	sc->tx_delay_max_ms = 2;
	assert_non_null(sim_scenario_add_device(sc, "gateway", SIM_DEVICE_CONTROLLER));
	add_node(sc, "lamp", 0x11);
	assert_non_null(sim_scenario_add_link(sc, "gateway", "lamp", 0.0, LAMP_RSSI));
}

/* far - r1 - r2 - r3 - r4 - gateway: four relays between the far end and us. */
static void scenario_chain(struct sim_scenario *sc)
{
	static const char *const names[] = { "far", "r1", "r2", "r3", "r4", "gateway" };

	sim_scenario_init(sc);
	snprintf(sc->name, sizeof(sc->name), "chain");
	sc->tx_delay_max_ms = 3;
	provision(add_node(sc, "far", 0x20), 0x0100, false);
	for (int i = 1; i <= 4; i++)
		provision(add_node(sc, names[i], (uint8_t)(0x20 + i)), (uint16_t)(0x0100 + i), true);
	assert_non_null(sim_scenario_add_device(sc, "gateway", SIM_DEVICE_CONTROLLER));
	for (int i = 0; i < 5; i++)
		assert_non_null(sim_scenario_add_link(sc, names[i], names[i + 1], 0.0, -70));
}

static bool core_ready(void *ctx)
{
	struct fixture *f = ctx;

	return f->core.state == HCI_STATE_READY && f->bearer_up;
}

static void start_world(struct fixture *f)
{
	static const struct sim_world_observer obs_template = {
		.on_air = on_air, .on_rx = on_world_rx,
	};
	struct sim_world_observer obs = obs_template;
	char why[160];

	assert_int_equal(sim_scenario_check(&f->sc, why, sizeof(why)), 0);
	assert_int_equal(sim_world_create(&f->world, &f->loop, &f->sc), 0);
	obs.ctx = f;
	sim_world_set_observer(f->world, &obs);
	f->ctrl = sim_world_find(f->world, "gateway");
	assert_non_null(f->ctrl);
	f->vc = sim_vctrl_of(f->ctrl);
	assert_non_null(f->vc);
	sim_vctrl_set_command_observer(f->vc, on_command, f);
	assert_int_equal(sim_vctrl_open_pty(f->vc, f->link, f->slave, sizeof(f->slave)), 0);
	assert_int_equal(sim_world_start(f->world), 0);
}

static void start_gateway(struct fixture *f, bool snoop)
{
	struct hci_uart_config ucfg;
	struct hci_core_config ccfg = { .cmd_timeout_ms = CMD_TIMEOUT_MS };

	hci_uart_config_default(&ucfg);
	ucfg.path = f->link;
	assert_int_equal(hci_uart_init(&f->uart, &f->loop, &ucfg), 0);
	assert_int_equal(hci_core_init(&f->core, &f->loop, &f->uart.transport, &ccfg), 0);
	f->core.bearer.rx = on_bearer_rx;
	f->core.bearer.state = on_bearer_state;
	f->core.bearer.ctx = f;
	if (snoop) {
		char path[160];

		snprintf(path, sizeof(path), "%s/hci.btsnoop", f->dir);
		assert_int_equal(btsnoop_open(&f->snoop, path), 0);
		hci_core_set_snoop(&f->core, &f->snoop);
	}
	assert_int_equal(hci_core_start(&f->core), 0);
	f->core_started = true;
	assert_true(test_uv_run_until(&f->loop, core_ready, f, 5000));
}

static struct fixture *fixture_new(void (*scenario)(struct sim_scenario *), bool snoop)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	test_log_start(&f->log);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/meshgate-bearer-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->link, sizeof(f->link), "%s/ttyMESH0", f->dir);
	scenario(&f->sc);
	start_world(f);
	start_gateway(f, snoop);
	return f;
}

static void fixture_free(struct fixture *f)
{
	char path[160];

	if (f->core_started)
		hci_core_close(&f->core);
	sim_world_destroy(f->world);
	if (f->stack) {
		mesh_stack_cleanup(f->stack);
		free(f->stack);
	}
	assert_true(test_uv_loop_close(&f->loop));
	sim_scenario_free(&f->sc);
	snprintf(path, sizeof(path), "%s/ttyMESH0", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hci.btsnoop", f->dir);
	unlink(path);
	rmdir(f->dir);
	test_log_stop(&f->log);
	free(f);
}

static void send_pdu(struct fixture *f, const uint8_t *payload, size_t len, uint8_t count,
		     uint16_t interval_ms)
{
	struct mesh_adv_tx tx = {
		.ad_type = MESH_AD_TYPE_MESSAGE, .len = (uint8_t)len,
		.count = count, .interval_ms = interval_ms,
	};

	memcpy(tx.payload, payload, len);
	assert_int_equal(mesh_bearer_send(hci_core_bearer(&f->core), &tx), 0);
}

/* An advertising event from a world device carrying one 0x2a structure. */
static void device_transmit(struct fixture *f, const char *name, const uint8_t *payload,
			    size_t len)
{
	uint8_t adv[MESH_ADV_DATA_MAX];

	adv[0] = (uint8_t)(len + 1);
	adv[1] = MESH_AD_TYPE_MESSAGE;
	memcpy(adv + 2, payload, len);
	sim_world_transmit(f->world, sim_world_find(f->world, name), adv, len + 2);
}

static bool rx_has(const struct fixture *f, const uint8_t *payload, size_t len)
{
	for (size_t i = 0; i < f->rx_count; i++) {
		if (f->rx[i].len == len && memcmp(f->rx[i].payload, payload, len) == 0)
			return true;
	}
	return false;
}

struct rx_wait {
	struct fixture *f;
	const uint8_t *payload;
	size_t len;
};

static bool rx_arrived(void *ctx)
{
	struct rx_wait *w = ctx;

	return rx_has(w->f, w->payload, w->len);
}

static bool wait_rx(struct fixture *f, const uint8_t *payload, size_t len, unsigned int ms)
{
	struct rx_wait w = { f, payload, len };

	return test_uv_run_until(&f->loop, rx_arrived, &w, ms);
}

/* Fresh traffic in both directions after a fault: the proof of recovery. */
static void assert_traffic_flows(struct fixture *f, uint8_t tag)
{
	uint8_t up[8] = { 0xa0, tag, 1, 2, 3, 4, 5, 6 };
	uint8_t down[8] = { 0xb0, tag, 1, 2, 3, 4, 5, 6 };

	assert_true(test_uv_run_until(&f->loop, core_ready, f, 15000));
	device_transmit(f, "lamp", up, sizeof(up));
	assert_true(wait_rx(f, up, sizeof(up), 2000));
	f->watch = down;
	f->watch_len = sizeof(down);
	f->watch_rx_by_others = 0;
	send_pdu(f, down, sizeof(down), 1, 20);
	test_uv_run_until(&f->loop, NULL, NULL, 300);
	assert_int_equal(f->watch_rx_by_others, 1);
	f->watch = NULL;
}

/* ---- initialisation and scanning --------------------------------------- */

static void test_init_sequence(void **state)
{
	static const uint16_t expected[] = {
		HCI_OP_RESET,
		HCI_OP_READ_LOCAL_VERSION,
		HCI_OP_READ_LOCAL_COMMANDS,
		HCI_OP_READ_LOCAL_FEATURES,
		HCI_OP_SET_EVENT_MASK,
		HCI_OP_LE_SET_EVENT_MASK,
		HCI_OP_LE_SET_RANDOM_ADDR,
		HCI_OP_LE_SET_ADV_PARAMS,
		HCI_OP_LE_SET_SCAN_PARAMS,
		HCI_OP_LE_SET_SCAN_ENABLE,
	};
	struct fixture *f = fixture_new(scenario_pair, false);

	(void)state;
	assert_int_equal(f->cmd_count, MESH_ARRAY_SIZE(expected));
	for (size_t i = 0; i < MESH_ARRAY_SIZE(expected); i++)
		assert_int_equal(f->cmds[i], expected[i]);
	assert_true(sim_vctrl_scanning(f->vc));
	assert_false(sim_vctrl_advertising(f->vc));
	assert_int_equal(sim_vctrl_stats(f->vc)->unknown_commands, 0);
	assert_int_equal(sim_vctrl_stats(f->vc)->credit_violations, 0);
	assert_int_equal(f->core.stats.readies, 1);
	fixture_free(f);
}

/* A PDU sent with count N is N advertising events on the air, each heard
 * by the lamp, while scanning stays on. */
static void test_count_n_transmissions(void **state)
{
	static const uint8_t pdu[] = { 0x68, 0xca, 0xfe, 0x01, 0x02, 0x03, 0x04, 0x05 };
	struct fixture *f = fixture_new(scenario_pair, false);

	(void)state;
	for (uint8_t n = 1; n <= 6; n += 5) {
		f->watch = pdu;
		f->watch_len = sizeof(pdu);
		f->watch_air_from_ctrl = 0;
		f->watch_rx_by_others = 0;
		send_pdu(f, pdu, sizeof(pdu), n, 30);
		test_uv_run_until(&f->loop, NULL, NULL, 30u * n + 400u);
		assert_int_equal(f->watch_air_from_ctrl, n);
		assert_int_equal(f->watch_rx_by_others, n);
	}
	assert_false(f->scan_off_during_tx);
	assert_true(sim_vctrl_scanning(f->vc));
	assert_int_equal(sim_vctrl_stats(f->vc)->credit_violations, 0);
	fixture_free(f);
}

/* A PDU a virtual device sends arrives as a report with the link's RSSI
 * and the sender's address. */
static void test_reception_with_rssi(void **state)
{
	static const uint8_t pdu[] = { 0x68, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	struct fixture *f = fixture_new(scenario_pair, false);
	struct sim_device *lamp = sim_world_find(f->world, "lamp");

	(void)state;
	device_transmit(f, "lamp", pdu, sizeof(pdu));
	assert_true(wait_rx(f, pdu, sizeof(pdu), 2000));
	assert_int_equal(f->rx_count, 1);
	assert_int_equal(f->rx[0].ad_type, MESH_AD_TYPE_MESSAGE);
	assert_int_equal(f->rx[0].rssi, LAMP_RSSI);
	assert_memory_equal(f->rx[0].addr, lamp->addr, 6);
	assert_true(sim_vctrl_stats(f->vc)->reports >= 1);
	fixture_free(f);
}

/* ---- loss, both directions ---------------------------------------------- */

static void test_loss_both_directions(void **state)
{
	struct fixture *f = fixture_new(scenario_pair, false);
	struct sim_device *lamp = sim_world_find(f->world, "lamp");
	const unsigned int up_n = 200, down_n = 60;
	uint8_t pdu[6] = { 0x68, 0, 0, 0xee, 0xee, 0xee };
	size_t heard = 0;

	(void)state;
	assert_int_equal(sim_world_set_link(f->world, f->ctrl, lamp, 0.3, LAMP_RSSI), 0);
	/* Uplink: about 70 % of distinct PDUs arrive, each intact and once. */
	for (unsigned int i = 0; i < up_n; i++) {
		pdu[1] = (uint8_t)(i >> 8);
		pdu[2] = (uint8_t)i;
		device_transmit(f, "lamp", pdu, sizeof(pdu));
		if (i % 20 == 19)
			test_uv_run_until(&f->loop, NULL, NULL, 30);
	}
	test_uv_run_until(&f->loop, NULL, NULL, 500);
	for (size_t i = 0; i < f->rx_count; i++) {
		assert_int_equal(f->rx[i].len, sizeof(pdu));
		assert_memory_equal(f->rx[i].payload + 3, pdu + 3, 3);
		for (size_t j = 0; j < i; j++)
			assert_memory_not_equal(f->rx[i].payload, f->rx[j].payload, 3);
	}
	print_message("uplink at 30%% loss: %zu of %u arrived\n", f->rx_count, up_n);
	assert_in_range(f->rx_count, up_n * 55 / 100, up_n * 85 / 100);

	/* Downlink: every PDU is on the air once; the lamp hears about 70 %. */
	pdu[0] = 0x69;
	f->watch = pdu;
	f->watch_len = sizeof(pdu);
	for (unsigned int i = 0; i < down_n; i++) {
		f->watch_air_from_ctrl = 0;
		f->watch_rx_by_others = 0;
		pdu[2] = (uint8_t)i;
		send_pdu(f, pdu, sizeof(pdu), 1, 20);
		test_uv_run_until(&f->loop, NULL, NULL, 60);
		assert_int_equal(f->watch_air_from_ctrl, 1);
		heard += f->watch_rx_by_others;
	}
	print_message("downlink at 30%% loss: %zu of %u heard\n", heard, down_n);
	assert_in_range(heard, down_n * 50 / 100, down_n * 90 / 100);
	fixture_free(f);
}

/* ---- multi-hop ---------------------------------------------------------- */

static int gw_bearer_send(void *ctx, const uint8_t *pdu, size_t len)
{
	(void)ctx;
	(void)pdu;
	(void)len;
	return 0;
}

static void gw_rx_trace(void *ctx, const struct mesh_stack_trace *t)
{
	struct fixture *f = ctx;

	if (!t->authenticated || t->src != f->trace_src)
		return;
	f->trace_hits++;
	if (t->ttl > f->trace_max_ttl)
		f->trace_max_ttl = t->ttl;
}

static const struct mesh_stack_ops gw_ops = {
	.bearer_send = gw_bearer_send,
	.rx_trace = gw_rx_trace,
};

static void gateway_stack(struct fixture *f)
{
	f->stack = calloc(1, sizeof(*f->stack));
	assert_non_null(f->stack);
	assert_int_equal(mesh_stack_init(f->stack, &sim_world_timers(f->world)->timers, NULL,
					 &gw_ops, f), 0);
	assert_int_equal(mesh_stack_set_address(f->stack, 0x0001, 1), 0);
	assert_int_equal(mesh_stack_net_key_add(f->stack, 0, net_key), 0);
	assert_int_equal(mesh_stack_app_key_add(f->stack, 0, 0, app_key), 0);
	mesh_stack_set_accept_all(f->stack, true);
}

static bool trace_seen(void *ctx)
{
	return ((struct fixture *)ctx)->trace_hits > 0;
}

static void test_multi_hop(void **state)
{
	static const uint8_t onoff_set_unack[] = { 0x82, 0x03, 0x01, 0x07 };
	struct fixture *f = fixture_new(scenario_chain, false);
	struct sim_device *far = sim_world_find(f->world, "far");

	(void)state;
	gateway_stack(f);
	f->trace_src = far->desc.keys.address;
	f->trace_max_ttl = -1;
	assert_int_equal(sim_device_send_access(far, 0xc000, 10, onoff_set_unack,
						sizeof(onoff_set_unack)), 0);
	assert_true(test_uv_run_until(&f->loop, trace_seen, f, 3000));
	test_uv_run_until(&f->loop, NULL, NULL, 300); /* every copy */
	assert_int_equal(f->trace_max_ttl, 10 - 4);

	/* Without r2 the chain is broken: nothing arrives. */
	sim_world_set_on_air(f->world, sim_world_find(f->world, "r2"), false);
	f->trace_hits = 0;
	f->trace_max_ttl = -1;
	assert_int_equal(sim_device_send_access(far, 0xc000, 10, onoff_set_unack,
						sizeof(onoff_set_unack)), 0);
	assert_false(test_uv_run_until(&f->loop, trace_seen, f, 2000));

	/* And with r2 back it does again. */
	sim_world_set_on_air(f->world, sim_world_find(f->world, "r2"), true);
	assert_int_equal(sim_device_send_access(far, 0xc000, 10, onoff_set_unack,
						sizeof(onoff_set_unack)), 0);
	assert_true(test_uv_run_until(&f->loop, trace_seen, f, 3000));
	fixture_free(f);
}

/* ---- faults ------------------------------------------------------------- */

static void test_fault_uart_garbage(void **state)
{
	struct fixture *f = fixture_new(scenario_pair, false);
	uint8_t junk[97];
	uint32_t x = 0x12345678;

	(void)state;
	for (size_t i = 0; i < sizeof(junk); i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		junk[i] = (uint8_t)x;
	}
	junk[0] = 0x7f;   /* never a packet type: certainly garbage */
	sim_vctrl_inject(f->vc, junk, sizeof(junk));
	test_uv_run_until(&f->loop, NULL, NULL, 300);
	assert_true(f->uart.garbage_octets > 0);
	assert_true(test_log_has(&f->log, "garbage"));
	assert_traffic_flows(f, 1);
	fixture_free(f);
}

static bool readies_at_least_2(void *ctx)
{
	struct fixture *f = ctx;

	return f->core.stats.readies >= 2 && core_ready(f);
}

static void test_fault_controller_stops_answering(void **state)
{
	static const uint8_t pdu[] = { 0x68, 0xde, 0xad };
	struct fixture *f = fixture_new(scenario_pair, false);

	(void)state;
	sim_vctrl_set_mute(f->vc, true);
	send_pdu(f, pdu, sizeof(pdu), 1, 20);   /* needs a command: it times out */
	test_uv_run_until(&f->loop, NULL, NULL, CMD_TIMEOUT_MS * 3);
	assert_true(f->core.stats.cmd_timeouts >= 1);
	assert_true(test_log_has(&f->log, "timed out"));
	assert_int_not_equal(f->core.state, HCI_STATE_READY);
	sim_vctrl_set_mute(f->vc, false);
	assert_true(test_uv_run_until(&f->loop, readies_at_least_2, f, 15000));
	assert_traffic_flows(f, 2);
	fixture_free(f);
}

/*
 * Our own loop blocked (a slow disk, a stopped process) while a command
 * was out: the controller answered in time, the answer waits unread, and
 * libuv runs the overdue command timer before it reads. That is no
 * controller fault: no timeout, no re-initialisation, the bearer stays up.
 */
static void test_loop_stall_is_not_a_controller_timeout(void **state)
{
	static const uint8_t pdu[] = { 0x68, 0x57, 0xa1 };
	const struct timespec stall = { 0, CMD_TIMEOUT_MS * 3 * 1000000L };
	struct fixture *f = fixture_new(scenario_pair, false);
	uint64_t readies = f->core.stats.readies;
	uint64_t sent;

	(void)state;
	test_log_clear(&f->log);
	sent = f->core.stats.cmds_sent;
	send_pdu(f, pdu, sizeof(pdu), 1, 20);   /* needs commands */
	while (f->core.stats.cmds_sent == sent)
		uv_run(&f->loop, UV_RUN_ONCE);
	nanosleep(&stall, NULL);
	test_uv_run_until(&f->loop, NULL, NULL, CMD_TIMEOUT_MS * 2);
	assert_int_equal(f->core.stats.cmd_timeouts, 0);
	assert_false(test_log_has(&f->log, "timed out"));
	assert_true(test_log_has(&f->log, "event loop held up: a command's timeout ran"));
	assert_int_equal(f->core.state, HCI_STATE_READY);
	assert_int_equal(f->core.stats.readies, readies);
	assert_traffic_flows(f, 3);
	fixture_free(f);
}

static void test_fault_hardware_error(void **state)
{
	struct fixture *f = fixture_new(scenario_pair, false);

	(void)state;
	sim_vctrl_hardware_error(f->vc, 0x42);
	assert_true(test_uv_run_until(&f->loop, readies_at_least_2, f, 5000));
	assert_int_equal(f->core.stats.hw_errors, 1);
	assert_true(test_log_has(&f->log, "0x42"));
	assert_traffic_flows(f, 3);
	fixture_free(f);
}

static bool bearer_down(void *ctx)
{
	return !((struct fixture *)ctx)->bearer_up;
}

static void test_fault_pty_closes_and_reopens(void **state)
{
	struct fixture *f = fixture_new(scenario_pair, false);
	char old_slave[64];

	(void)state;
	snprintf(old_slave, sizeof(old_slave), "%s", f->slave);
	sim_vctrl_detach(f->vc);
	assert_true(test_uv_run_until(&f->loop, bearer_down, f, 3000));
	assert_true(test_log_has(&f->log, "lost"));
	test_uv_run_until(&f->loop, NULL, NULL, 400);  /* a few reopen attempts fail */
	assert_int_equal(sim_vctrl_open_pty(f->vc, f->link, f->slave, sizeof(f->slave)), 0);
	assert_true(test_uv_run_until(&f->loop, readies_at_least_2, f, 10000));
	assert_true(test_log_has(&f->log, "reopen"));
	assert_traffic_flows(f, 4);
	fixture_free(f);
}

/* ---- btsnoop and btmon --------------------------------------------------- */

static char *run_btmon(const char *path)
{
	char cmd[256];
	char *out = NULL;
	size_t len = 0, cap = 0;
	FILE *p;
	char buf[4096];
	size_t n;

	assert_int_equal(system("command -v btmon >/dev/null 2>&1"), 0); /* from bluez */
	snprintf(cmd, sizeof(cmd), "btmon -r '%s' 2>&1", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		if (len + n + 1 > cap) {
			cap = (cap + n + 1) * 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		memcpy(out + len, buf, n);
		len += n;
		out[len] = '\0';
	}
	pclose(p);
	assert_non_null(out);
	return out;
}

static void test_btsnoop_decoded_by_btmon(void **state)
{
	static const uint8_t pdu[] = { 0x68, 0x5a, 0x5b, 0x5c, 0x5d };
	struct fixture *f = fixture_new(scenario_pair, true);
	char path[160];
	char *out;
	const char *first;

	(void)state;
	send_pdu(f, pdu, sizeof(pdu), 1, 20);
	device_transmit(f, "lamp", pdu, sizeof(pdu));
	assert_true(wait_rx(f, pdu, sizeof(pdu), 2000));
	test_uv_run_until(&f->loop, NULL, NULL, 200);
	hci_core_close(&f->core);
	f->core_started = false;
	btsnoop_close(&f->snoop);

	snprintf(path, sizeof(path), "%s/hci.btsnoop", f->dir);
	out = run_btmon(path);
	if (getenv("TEST_SHOW_BTMON"))
		fputs(out, stderr);
	assert_non_null(strstr(out, "Reset (0x03|0x0003)"));
	assert_non_null(strstr(out, "LE Set Advertising Parameters (0x08|0x0006)"));
	assert_non_null(strstr(out, "Type: Non connectable undirected - ADV_NONCONN_IND (0x03)"));
	assert_non_null(strstr(out, "LE Set Advertising Data (0x08|0x0008)"));
	assert_non_null(strstr(out, "LE Set Scan Enable (0x08|0x000c)"));
	assert_non_null(strstr(out, "Filter duplicates: Disabled (0x00)"));
	/* The AD type 0x2a structure, in what we sent and in what we heard. */
	first = strstr(out, "Mesh Data: 685a5b5c5d");
	assert_non_null(first);
	assert_non_null(strstr(first + 1, "Mesh Data: 685a5b5c5d"));
	assert_non_null(strstr(out, "LE Advertising Report (0x02)"));
	assert_non_null(strstr(out, "RSSI: -67 dBm"));
	free(out);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_sequence),
		cmocka_unit_test(test_count_n_transmissions),
		cmocka_unit_test(test_reception_with_rssi),
		cmocka_unit_test(test_loss_both_directions),
		cmocka_unit_test(test_multi_hop),
		cmocka_unit_test(test_fault_uart_garbage),
		cmocka_unit_test(test_fault_controller_stops_answering),
		cmocka_unit_test(test_loop_stall_is_not_a_controller_timeout),
		cmocka_unit_test(test_fault_hardware_error),
		cmocka_unit_test(test_fault_pty_closes_and_reopens),
		cmocka_unit_test(test_btsnoop_decoded_by_btmon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
