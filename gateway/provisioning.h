/*
 * Provisioning as the gateway core offers it (to MQTT requests and
 * WebSocket calls later, to the command line now): discovery windows,
 * provisioning sessions with asynchronous OOB input, and the network
 * database kept in step.
 *
 * It joins the mesh library's discovery (prov_scan) and Provisioner to a
 * radio bearer and to the network database: addresses come from
 * netdb_alloc_unicast(), and a provisioned node is added to the database
 * and saved durably before the session reports success. If the save fails
 * the session fails, but the node (the device is provisioned all the same)
 * stays in the database in memory so its addresses are not handed out
 * again; it reaches the disk with the next save that works.
 */
#ifndef GATEWAY_PROVISIONING_H
#define GATEWAY_PROVISIONING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/netdb.h"
#include "mesh/beacon.h"
#include "mesh/bearer/bearer.h"
#include "mesh/prov_scan.h"
#include "mesh/provisioner.h"
#include "mesh/timer.h"

/* PB-ADV PDUs go out this often, 20 ms apart, per (re)transmission. */
#define GW_PROV_ADV_COUNT 3
#define GW_PROV_ADV_INTERVAL_MS 20
#define GW_PROV_SCAN_DEFAULT_S 60

enum gw_prov_event_type {
	GW_PROV_EV_DISCOVERED,     /* .device: a UUID seen first in this window */
	GW_PROV_EV_SCAN_CLOSED,
	GW_PROV_EV_SESSION,        /* .session: a step of the running session */
};

struct gw_prov_event {
	enum gw_prov_event_type type;
	const struct mesh_prov_scan_entry *device;
	const struct mesh_prov_event *session;
};

struct gw_prov_ops {
	void (*event)(void *ctx, const struct gw_prov_event *ev);
	/* The network's current IV index and Provisioning Data flags. */
	uint32_t (*iv_index)(void *ctx, uint8_t *flags);
	/* A static OOB value configured for uuid (16 or 32 octets), or 0. Optional. */
	size_t (*static_oob)(void *ctx, const uint8_t uuid[16], uint8_t out[32]);
};

/* What a user asks for; everything but the UUID is optional. */
struct gw_prov_params {
	uint8_t uuid[16];
	int method;                       /* enum mesh_prov_method, AUTO by default */
	uint16_t algorithms;              /* 0: all */
	uint8_t attention_s;
	uint8_t static_oob[32];
	uint8_t static_oob_len;           /* 0: the configured value, if any */
	bool has_oob_public_key;
	uint8_t oob_public_key[64];
};

struct gw_provisioning;

int gw_prov_create(struct gw_provisioning **out, struct mesh_timers *timers,
		   struct mesh_bearer *bearer, struct netdb *db, const struct gw_prov_ops *ops,
		   void *ctx);
void gw_prov_destroy(struct gw_provisioning *gp);

/* Open a discovery window of `seconds` (0: GW_PROV_SCAN_DEFAULT_S). */
int gw_prov_scan(struct gw_provisioning *gp, unsigned int seconds);
void gw_prov_scan_stop(struct gw_provisioning *gp);
const struct mesh_prov_scan *gw_prov_discovered(const struct gw_provisioning *gp);

/*
 * Start provisioning. -EBUSY while a session runs, -EEXIST if the UUID is
 * already a node of the network, -ENOENT if the network has no NetKey 0,
 * -EINVAL for bad parameters (err names which).
 */
int gw_prov_start(struct gw_provisioning *gp, const struct gw_prov_params *params, char *err,
		  size_t errlen);
/* Answer an OOB_NEEDED step. -EALREADY if nothing is asked, -EINVAL with
 * err saying what the value must look like. */
int gw_prov_oob(struct gw_provisioning *gp, const char *value, char *err, size_t errlen);
/* End the running session; why is what its provisioning_failed says.
 * -ENOENT if none runs. */
int gw_prov_cancel(struct gw_provisioning *gp, const char *why);
bool gw_prov_busy(const struct gw_provisioning *gp);

/* Feed the radio: route.c's unprov_beacon and pb_adv hooks. */
void gw_prov_unprov_beacon(struct gw_provisioning *gp, const struct mesh_beacon_unprov *b,
			   const struct mesh_adv_rx *rx);
void gw_prov_pb_adv(struct gw_provisioning *gp, const struct mesh_adv_rx *rx);

/* Test hook: the Provisioner inside (to inject keys). */
struct mesh_provisioner *gw_prov_provisioner(struct gw_provisioning *gp);

#endif
