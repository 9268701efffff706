/* The simulated-world gateway fixture (sim_gateway.h). */
#include "sim_gateway.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#define SIM_GATEWAY_HCI_CMD_TIMEOUT_MS 300

void sim_gateway_init(struct sim_gateway *g, const char *tag)
{
	memset(g, 0, sizeof(*g));
	test_log_start(&g->log);
	assert_int_equal(uv_loop_init(&g->loop), 0);
	snprintf(g->dir, sizeof(g->dir), "/tmp/meshgate-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(g->dir));
	snprintf(g->link, sizeof(g->link), "%s/ttyMESH0", g->dir);
	snprintf(g->data, sizeof(g->data), "%s/data", g->dir);
}

static void save_network(struct sim_gateway *g, const uint8_t net_key[16], const uint8_t app_key[16])
{
	struct netdb_range range = { 0x7000, 0x7fff };
	struct netdb *db;
	char err[256];

	assert_int_equal(netdb_create(&db, g->sc.name[0] ? g->sc.name : "test", &range), 0);
	memcpy(db->net_keys[0].key, net_key, 16);
	memcpy(db->app_keys[0].key, app_key, 16);
	for (size_t i = 0; i < g->sc.n_devices; i++) {
		const struct sim_device_desc *d = &g->sc.devices[i];

		if (d->kind != SIM_DEVICE_NODE || !d->keys.provisioned)
			continue;
		assert_int_equal(netdb_add_node(db, d->uuid, d->keys.address, d->n_elements,
						d->keys.dev_key, 0),
				 0);
	}
	assert_int_equal(mkdir(g->data, 0700), 0);
	snprintf(db->dir, sizeof(db->dir), "%s", g->data);
	if (netdb_save(db, err, sizeof(err)))
		fail_msg("netdb_save: %s", err);
	netdb_free(db);
}

static void on_bearer_rx(void *ctx, const struct mesh_adv_rx *rx)
{
	struct sim_gateway *g = ctx;

	if (g->gw_open)
		gw_core_bearer_rx(&g->gw, rx);
}

static void on_bearer_state(void *ctx, bool up)
{
	((struct sim_gateway *)ctx)->bearer_up = up;
}

void sim_gateway_build(struct sim_gateway *g, const uint8_t net_key[16], const uint8_t app_key[16],
		       const struct sim_world_observer *obs)
{
	struct hci_uart_config ucfg;
	struct hci_core_config ccfg = { .cmd_timeout_ms = SIM_GATEWAY_HCI_CMD_TIMEOUT_MS };
	char why[160];

	save_network(g, net_key, app_key);
	if (sim_scenario_check(&g->sc, why, sizeof(why)))
		fail_msg("scenario: %s", why);
	assert_int_equal(sim_world_create(&g->world, &g->loop, &g->sc), 0);
	if (obs)
		sim_world_set_observer(g->world, obs);
	g->vc = sim_vctrl_of(sim_world_find(g->world, "gateway"));
	assert_non_null(g->vc);
	assert_int_equal(sim_vctrl_open_pty(g->vc, g->link, g->slave, sizeof(g->slave)), 0);
	assert_int_equal(sim_world_start(g->world), 0);

	hci_uart_config_default(&ucfg);
	ucfg.path = g->link;
	assert_int_equal(hci_uart_init(&g->uart, &g->loop, &ucfg), 0);
	assert_int_equal(hci_core_init(&g->core, &g->loop, &g->uart.transport, &ccfg), 0);
	g->core.bearer.rx = on_bearer_rx;
	g->core.bearer.state = on_bearer_state;
	g->core.bearer.ctx = g;
	assert_int_equal(mesh_uv_timers_init(&g->timers, &g->loop), 0);
}

void sim_gateway_open(struct sim_gateway *g, const struct gw_core_config *cfg,
		      const struct gw_core_ops *ops, void *ctx)
{
	char err[512];

	if (gw_core_open(&g->gw, &g->timers.timers, hci_core_bearer(&g->core), g->data, cfg, ops,
			 ctx, err, sizeof(err)))
		fail_msg("gw_core_open: %s", err);
	g->gw_open = true;
}

void sim_gateway_close(struct sim_gateway *g)
{
	if (!g->gw_open)
		return;
	g->gw_open = false;
	gw_core_close(&g->gw);
}

static bool radio_ready(void *ctx)
{
	struct sim_gateway *g = ctx;

	return g->core.state == HCI_STATE_READY && g->bearer_up;
}

void sim_gateway_start_radio(struct sim_gateway *g)
{
	assert_int_equal(hci_core_start(&g->core), 0);
	assert_true(test_uv_run_until(&g->loop, radio_ready, g, 5000));
}

void sim_gateway_destroy(struct sim_gateway *g)
{
	char cmd[160];

	sim_gateway_close(g);
	mesh_uv_timers_close(&g->timers);
	hci_core_close(&g->core);
	sim_world_destroy(g->world);
	assert_true(test_uv_loop_close(&g->loop));
	sim_scenario_free(&g->sc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g->dir);
	assert_int_equal(system(cmd), 0);
	test_log_stop(&g->log);
}
