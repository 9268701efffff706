/*
 * The gateway's radio: which bearer the configuration names, opened on the
 * loop, as one struct mesh_bearer.
 *
 *   hci:hciN          a local adapter through the Linux HCI user channel
 *   uart:PATH         an H4 controller on a serial port (an nRF52840 with
 *                     Zephyr's hci_uart), a pty or a Unix socket (meshsim)
 *   simulator[:PATH]  a simulated world in this process (PATH: a scenario
 *                     YAML file; none: the built-in stairway), attached to
 *                     the HCI core through an in-process H4 link so the same
 *                     code runs as with real hardware
 *
 * Whatever the kind, traffic runs through the HCI core, and --hci-log
 * captures it as a btsnoop file.
 */
#ifndef GATEWAY_RADIO_H
#define GATEWAY_RADIO_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "mesh/bearer/btsnoop.h"
#include "mesh/bearer/hci.h"
#include "mesh/bearer/hci_user.h"
#include "mesh/bearer/uart.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/world.h"

enum radio_kind {
	RADIO_HCI,
	RADIO_UART,
	RADIO_SIMULATOR,
};

struct radio_config {
	enum radio_kind kind;
	char target[256];        /* hciN, device path, or scenario path ("" = built-in) */
	unsigned int baud;       /* uart: 0 = default */
	bool rtscts;             /* uart */
	const char *hci_log;     /* btsnoop capture path, or NULL */
};

/* Defaults: the built-in simulator, 1000000 baud, RTS/CTS on. */
void radio_config_default(struct radio_config *cfg);
/* Parse "hci:hci0", "uart:/dev/ttyACM0", "simulator" or "simulator:PATH"
 * into cfg. MESH_ERR_INVAL with a sentence in err. */
int radio_config_parse(struct radio_config *cfg, const char *spec, char *err, size_t err_len);

struct radio {
	uv_loop_t *loop;
	enum radio_kind kind;
	struct hci_core core;
	struct hci_uart uart;
	struct hci_user user;
	bool transport_unowned;         /* set up, but not (yet) the core's */
	struct btsnoop snoop;
	bool snooping;
	struct sim_scenario scenario;   /* simulator only */
	struct sim_world *world;        /* simulator only */
};

/* Open and start the radio; the bearer comes up once the controller is
 * initialised. MESH_ERR_* with a sentence in err. */
int radio_open(struct radio *r, uv_loop_t *loop, const struct radio_config *cfg, char *err,
	       size_t err_len);
void radio_close(struct radio *r);

static inline struct mesh_bearer *radio_bearer(struct radio *r)
{
	return hci_core_bearer(&r->core);
}

#endif
