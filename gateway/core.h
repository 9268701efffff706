/*
 * The gateway core: everything the daemon runs between the radio bearer
 * and the adapters (the command line now, MQTT and WebSocket later), on
 * one timer queue:
 *
 *   network database + runtime state   (data directory)
 *   meshgate's own node                (node.h: keys, SEQ, RPL)
 *   acknowledged requests              (mesh/acked.h)
 *   configuration client + workflow    (mesh/cfg_cli.h, configure.h; every
 *                                       status applied to the database)
 *   model clients                      (mesh/model_cli.h)
 *   state cache                        (state_cache.h)
 *   liveness                           (liveness.h, liveness.json)
 *   provisioning                       (provisioning.h; a provisioned node
 *                                       gets its device key in the node and
 *                                       is configured when auto_configure)
 *
 * Adapters see it through struct gw_core_ops events and the gw_core_*
 * requests.
 */
#ifndef GATEWAY_CORE_H
#define GATEWAY_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/configure.h"
#include "gateway/liveness.h"
#include "gateway/netdb.h"
#include "gateway/node.h"
#include "gateway/provisioning.h"
#include "gateway/state_cache.h"
#include "mesh/acked.h"
#include "mesh/bearer/bearer.h"
#include "mesh/cfg_cli.h"
/* model clients: mesh/model_cli.h (added when it lands) */

/* The heartbeat destination nodes are configured to publish to: the
 * highest dynamic group address, away from the groups users create from
 * the bottom of meshgate's group range. */
#define GW_CORE_HB_GROUP_DEFAULT 0xfeffu

struct gw_core_config {
	uint16_t hb_group;               /* 0: GW_CORE_HB_GROUP_DEFAULT */
	uint32_t hb_period_s;            /* 0: the plan default */
	unsigned int liveness_factor;    /* 0: liveness default */
	bool auto_configure;             /* configure nodes right after provisioning */
	/* Plan for nodes configured automatically (NULL: defaults + the
	 * status and heartbeat destinations of the core). */
	const struct gw_config_plan *plan;
	uint32_t request_timeout_ms;     /* 0: mesh_acked default */
	uint8_t request_retries;         /* with request_retries_set */
	bool request_retries_set;
};

void gw_core_config_default(struct gw_core_config *cfg);

struct gw_core_ops {
	void (*prov_event)(void *ctx, const struct gw_prov_event *ev);
	void (*configure)(void *ctx, const struct gw_configure_report *r);
	void (*state)(void *ctx, const struct gw_elem_state *st, uint32_t kinds);
	void (*liveness)(void *ctx, const struct liveness_event *ev);
	/* A configuration status applied to the database (any, also late). */
	void (*cfg_status)(void *ctx, uint16_t src, const struct mesh_cfg_msg *st);
};

struct gw_core {
	struct mesh_timers *timers;
	struct mesh_bearer *bearer;
	struct gw_core_config cfg;
	const struct gw_core_ops *ops;
	void *ctx;
	char dir[4096];
	struct netdb *db;
	struct gw_node node;             /* must not move */
	bool node_open;
	struct mesh_cfg_cli *cfg_cli;
	void *model_cli;
	struct gw_configure *configure;
	struct gw_state_cache *cache;
	struct liveness *liveness;
	struct gw_provisioning *prov;
	uint16_t configure_next;         /* auto-configure queue: one waiting node */
	struct core_cfg_request *cfg_requests; /* requests whose status may still come */
};

/*
 * Open the data directory (creating the network on first start), build
 * the node on bearer and timers, and everything above. The struct must
 * not move afterwards. Negative MESH_ERR_* / errno with a sentence in err.
 */
int gw_core_open(struct gw_core *core, struct mesh_timers *timers, struct mesh_bearer *bearer,
		 const char *dir, const struct gw_core_config *cfg, const struct gw_core_ops *ops,
		 void *ctx, char *err, size_t errlen);
/* Save state and liveness, stop everything. */
void gw_core_close(struct gw_core *core);

/* Everything the bearer receives. */
void gw_core_bearer_rx(struct gw_core *core, const struct mesh_adv_rx *rx);

/* Configure node (primary address) with plan (NULL: the core's plan). */
int gw_core_configure(struct gw_core *core, uint16_t node, const struct gw_config_plan *plan);
/* The plan the core uses for a node: defaults, its status and heartbeat
 * destinations. */
void gw_core_default_plan(const struct gw_core *core, struct gw_config_plan *plan);

/* Send one configuration request (its status is applied to the database
 * like every other). done may be NULL. */
int gw_core_cfg_send(struct gw_core *core, uint16_t dst, const struct mesh_cfg_msg *req,
		     gw_configure_done_fn done, void *done_ctx);

/* A group (or virtual) destination the gateway should be able to reach:
 * virtual ones need their Label UUID in the node. */
int gw_core_label_add(struct gw_core *core, const uint8_t label[16], uint16_t *addr);

#endif
