/*
 * A test fixture: meshgate's core on the HCI path over a real
 * pseudo-terminal, against a simulated world whose controller "gateway"
 * is behind that pty, with a network database that already holds every
 * provisioned node of the scenario (as if meshgate had provisioned them
 * earlier: the world's keys and device keys, nothing configured).
 *
 *   sim_gateway_init()       loop, log capture, temporary directory
 *   (build g->sc)            the test's scenario, with a "gateway" controller
 *   sim_gateway_build()      database, world, pty, HCI transport and core, timers
 *   sim_gateway_open()       the gateway core (again after sim_gateway_close())
 *   sim_gateway_start_radio() the HCI core up and the bearer ready
 *   sim_gateway_destroy()    everything, the directory included
 */
#ifndef TEST_SIM_GATEWAY_H
#define TEST_SIM_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "gateway/core.h"
#include "mesh/bearer/hci.h"
#include "mesh/bearer/uart.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/vctrl.h"
#include "mesh/sim/world.h"
#include "mesh/uv_timers.h"
#include "uv_helpers.h"

struct sim_gateway {
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
	struct gw_core gw;
	bool gw_open;
};

/* tag names the temporary directory (/tmp/meshgate-<tag>-XXXXXX). */
void sim_gateway_init(struct sim_gateway *g, const char *tag);
/* obs may be NULL; its ctx is the caller's. */
void sim_gateway_build(struct sim_gateway *g, const uint8_t net_key[16], const uint8_t app_key[16],
		       const struct sim_world_observer *obs);
void sim_gateway_open(struct sim_gateway *g, const struct gw_core_config *cfg,
		      const struct gw_core_ops *ops, void *ctx);
void sim_gateway_close(struct sim_gateway *g);
void sim_gateway_start_radio(struct sim_gateway *g);
void sim_gateway_destroy(struct sim_gateway *g);

#endif
