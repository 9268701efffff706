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
#include "gateway/key_refresh.h"
#include "gateway/liveness.h"
#include "gateway/netdb.h"
#include "gateway/node.h"
#include "gateway/provisioning.h"
#include "gateway/state_cache.h"
#include "mesh/acked.h"
#include "mesh/bearer/bearer.h"
#include "mesh/cfg_cli.h"
#include "mesh/model_cli.h"

/* The heartbeat destination nodes are configured to publish to: the
 * highest dynamic group address, away from the groups users create from
 * the bottom of meshgate's group range. */
#define GW_CORE_HB_GROUP_DEFAULT 0xfeffu
#define GW_CORE_RESETS_MAX 8

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
	/* Every authenticated access message under an application key (after
	 * the state cache saw it): switches' Sets, for instance. Optional. */
	void (*access)(void *ctx, const struct mesh_access_msg *msg);
	/* Adjust the plan a node is configured with (its groups, its
	 * switches' targets); plan holds the core's default. Optional. */
	void (*plan)(void *ctx, uint16_t node, struct gw_config_plan *plan);
	/* A static OOB value known for uuid (16 or 32 octets), or 0. Optional. */
	size_t (*static_oob)(void *ctx, const uint8_t uuid[16], uint8_t out[32]);
	/* Key refresh progress. Optional. */
	void (*key_refresh)(void *ctx, const struct gw_key_refresh_report *r);
	/* A node left the database (it answered Node Reset, or was removed by
	 * force): views built from the database are stale. Optional. */
	void (*node_removed)(void *ctx, uint16_t primary);
};

/* A node whose automatic configuration failed (out of range, switched
 * off, a lossy hop) is tried again after 30 s, then 1, 2, 4 ... minutes,
 * at most every 30 minutes, until it works or a request asks for it. */
#define GW_CORE_RETRY_MIN_MS 30000u
#define GW_CORE_RETRY_MAX_MS (30u * 60u * 1000u)

struct gw_core_retry {
	uint16_t node;
	unsigned int failures;
	uint64_t not_before_ms;          /* UINT64_MAX: a run is under way */
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
	bool closing;
	bool liveness_save_failed;       /* said once, not at every transition */
	struct mesh_timer reset_timer;   /* removes nodes that answered Node Reset */
	uint16_t resets[GW_CORE_RESETS_MAX];
	size_t n_resets;
	struct mesh_acked_ops acked_ops;
	struct mesh_cfg_cli *cfg_cli;
	struct mesh_model_cli *model_cli;
	struct gw_configure *configure;
	struct gw_key_refresh *key_refresh;
	struct gw_state_cache *cache;
	struct liveness *liveness;
	struct gw_provisioning *prov;
	/* Nodes asked for (provisioned just now, or by a request) while
	 * another was being configured: configured in this order, before
	 * the database's unconfigured ones. */
	uint16_t *configure_queue;
	size_t n_configure_queued;
	/* Nodes whose automatic configuration failed, and when to try again
	 * (backing off from GW_CORE_RETRY_MIN_MS to GW_CORE_RETRY_MAX_MS). */
	struct gw_core_retry *retries;
	size_t n_retries;
	struct mesh_timer retry_timer;
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

/*
 * Configure node (primary address) with plan (NULL: the core's plan).
 * One node is configured at a time, and none during a key refresh: with
 * the core's plan, a node asked for meanwhile waits its turn (0; its
 * outcome comes through ops->configure as for any run, a start that fails
 * then as FAILED), and one asked for while it runs itself is already
 * under way (0). An explicit plan is refused with -EBUSY then. -ENOENT
 * for a node the database does not have.
 */
int gw_core_configure(struct gw_core *core, uint16_t node, const struct gw_config_plan *plan);
/* With auto_configure: configure, one after the other, the nodes the
 * database does not mark configured (provisioned while meshgate was
 * stopped, or whose configuration stopped half-way before). */
void gw_core_configure_pending(struct gw_core *core);

/* The plan the core uses for a node: defaults, its status and heartbeat
 * destinations. */
void gw_core_default_plan(const struct gw_core *core, struct gw_config_plan *plan);

/* Send one configuration request (its status is applied to the database
 * like every other). done may be NULL. */
int gw_core_cfg_send(struct gw_core *core, uint16_t dst, const struct mesh_cfg_msg *req,
		     gw_configure_done_fn done, void *done_ctx);

/*
 * Control: a generic or light message (msg->opcode any Get or Set of
 * generic_msg.h / light_msg.h) to dst under the network's AppKey. Unicast
 * Gets and Sets are acknowledged (retries, the status updates the state
 * cache, done gets its events); to a group or virtual address (label) a
 * Set goes out in its unacknowledged form, GW_CORE_GROUP_REPEATS more
 * times with the same TID, and the members' own status publications
 * update the cache. done may be NULL. Returns 0 or a MESH_ERR_*.
 */
#define GW_CORE_GROUP_REPEATS 2u
#define GW_CORE_GROUP_REPEAT_MS 60u
int gw_core_model_send(struct gw_core *core, uint16_t dst, const uint8_t *label,
		       struct mesh_model_msg *msg, mesh_model_cli_done done, void *ctx);

/* Any other request under the AppKey (Sensor Get, Health Fault Get, ...):
 * payload is opcode || parameters, status_opcode the answer. */
int gw_core_app_request(struct gw_core *core, uint16_t dst, const uint8_t *label,
			const uint8_t *payload, size_t len, uint32_t status_opcode,
			void (*done)(void *ctx, struct mesh_acked_req *req,
				     const struct mesh_acked_result *r),
			void *ctx);

/* Start a key refresh of net_idx (a node was removed: it must no longer
 * read or send). -EBUSY while one runs or a node is being configured. */
int gw_core_key_refresh(struct gw_core *core, uint16_t net_idx);

/*
 * Subscribe (add) or unsubscribe every lighting server of element elem to
 * or from a: one Config Model Subscription Add/Delete (or its Virtual
 * Address form) per model, each reported to done. *pending (if given) is
 * counted up before each request goes out, so done may count it down.
 * Returns the number of requests sent (0: no such element, or nothing on
 * it subscribes).
 */
unsigned int gw_core_subscription_send(struct gw_core *core, uint16_t elem,
				       const struct netdb_address *a, bool add,
				       gw_configure_done_fn done, void *ctx, unsigned int *pending);
/*
 * Stop the switch clients of element elem that publish to from (as the
 * database records them) from publishing: a Config Model Publication Set
 * to the unassigned address per model, each reported to done. Clients
 * publishing elsewhere are left alone. Returns the number sent.
 */
unsigned int gw_core_publication_clear(struct gw_core *core, uint16_t elem,
				       const struct netdb_address *from,
				       gw_configure_done_fn done, void *ctx);

/* Forget a node at once (it was reset, or will never answer): its keys,
 * cache and liveness go, its addresses are excluded. 0 or -ENOENT. */
int gw_core_remove_node(struct gw_core *core, uint16_t primary);

/* A group (or virtual) destination the gateway should be able to reach:
 * virtual ones need their Label UUID in the node. */
int gw_core_label_add(struct gw_core *core, const uint8_t label[16], uint16_t *addr);

#endif
