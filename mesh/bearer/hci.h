/*
 * The HCI core: drives one Bluetooth LE controller as a mesh advertising
 * bearer (struct mesh_bearer) over any struct hci_transport, on a libuv loop.
 *
 * Commands are queued and sent only while the controller grants credits
 * (Num_HCI_Command_Packets of Command Complete/Status); each completes
 * through its Command Complete or Command Status event, or times out.
 *
 * Initialisation, every time the transport comes up and after any fault:
 *   Reset, Read Local Version Information, Read Local Supported Commands,
 *   Read Local Supported Features, Set Event Mask, LE Set Event Mask,
 *   LE Set Random Address (a static random address), LE Set Advertising
 *   Parameters (non-connectable), LE Set Scan Parameters (passive),
 *   LE Set Scan Enable (duplicates reported) -> ready, bearer up.
 *
 * Transmit: a queue of struct mesh_adv_tx; each transmission is LE Set
 * Advertising Data, Enable, and Disable a few milliseconds later, so the
 * controller emits exactly one advertising event per transmission, spaced
 * by the PDU's interval. Scanning stays on throughout. Several PDUs share
 * the air: whichever PDU is due next goes next.
 *
 * Faults: a command timeout, a Hardware Error event, an unexpected
 * Reset complete or a failed initialisation command log what happened (with
 * the HCI status code and name) and restart initialisation after a backoff
 * (fast first, slower when it keeps failing); after repeated command
 * timeouts the transport is asked to reopen. Queued PDUs survive.
 */
#ifndef MESH_HCI_H
#define MESH_HCI_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bearer.h"
#include "btsnoop.h"
#include "hci_codec.h"
#include "transport.h"

#define HCI_CMD_QUEUE_LEN 16
#define HCI_TX_QUEUE_LEN 32
#define HCI_CMD_TIMEOUT_MS 2000

enum hci_core_state {
	HCI_STATE_CLOSED,      /* not started or closed */
	HCI_STATE_WAIT_TRANSPORT,
	HCI_STATE_INIT,        /* initialisation commands running */
	HCI_STATE_READY,       /* scanning, may advertise */
	HCI_STATE_BACKOFF,     /* waiting to re-initialise after a fault */
};

const char *hci_core_state_name(enum hci_core_state state);

struct hci_core_config {
	uint8_t static_addr[6];        /* all zero: generate one at init */
	unsigned int scan_interval_ms; /* 0: 30 ms, window = interval */
	unsigned int cmd_timeout_ms;   /* 0: HCI_CMD_TIMEOUT_MS */
	unsigned int adv_on_ms;        /* 0: 10 ms advertising per transmission */
};

/* What the controller said about itself during initialisation. */
struct hci_controller_info {
	uint8_t hci_version;
	uint16_t hci_revision;
	uint8_t lmp_version;
	uint16_t manufacturer;
	uint16_t lmp_subversion;
	uint8_t commands[64];
	uint8_t features[8];
};

struct hci_core_stats {
	uint64_t cmds_sent;
	uint64_t adv_transmissions;    /* advertising enables for a PDU */
	uint64_t adv_pdus_done;
	uint64_t reports;              /* advertising reports parsed */
	uint64_t mesh_rx;              /* mesh AD structures delivered */
	uint64_t malformed;            /* events/reports rejected */
	uint64_t cmd_timeouts;
	uint64_t hw_errors;
	uint64_t inits;                /* initialisations started */
	uint64_t readies;              /* initialisations completed */
};

struct hci_cmd_slot;
struct hci_tx_slot;

struct hci_core {
	struct mesh_bearer bearer;     /* hand this to the mesh layers */
	uv_loop_t *loop;
	struct hci_transport *transport;
	struct hci_core_config cfg;
	enum hci_core_state state;
	struct hci_controller_info info;
	struct hci_core_stats stats;
	struct btsnoop *snoop;         /* optional capture */
	/* Optional observer of state changes (tests, gateway status). */
	void (*on_state)(void *ctx, enum hci_core_state state);
	void *on_state_ctx;
	/* Implementation state, private to hci.c. */
	struct hci_core_private *priv;
};

/*
 * Initialise (nothing starts). Clears *hc first: set bearer.rx/state/ctx,
 * on_state and the snoop afterwards. cfg may be NULL for defaults. An
 * all-zero cfg->static_addr is replaced by a random static address (kept
 * in hc->cfg for the life of hc); a configured one must be a valid static
 * address (top two bits set), else MESH_ERR_INVAL. MESH_ERR_CRYPTO if no
 * random bytes, MESH_ERR_NOMEM.
 */
int hci_core_init(struct hci_core *hc, uv_loop_t *loop, struct hci_transport *t,
		  const struct hci_core_config *cfg);
/* Take over the transport's callbacks and open it; initialisation starts
 * when it reports up. The transport's error if open() fails. */
int hci_core_start(struct hci_core *hc);
/*
 * Stop: send Reset (stops scanning and advertising) if the controller may
 * take a command, close the transport, drop queued PDUs. No callback runs
 * after this returns, and hc may be freed at once (the libuv handles are
 * private and free themselves on the next loop iteration). May be called
 * from any callback of hc; calling it twice is harmless.
 */
void hci_core_close(struct hci_core *hc);
/* Capture all HCI traffic from now on (NULL stops); keep s open until
 * the snoop is replaced or hc closed. */
void hci_core_set_snoop(struct hci_core *hc, struct btsnoop *s);

static inline struct mesh_bearer *hci_core_bearer(struct hci_core *hc)
{
	return &hc->bearer;
}

#endif
