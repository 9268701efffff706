/*
 * The configure-node workflow: what a freshly provisioned node needs
 * before it does anything useful, done through the Configuration Client
 * one request at a time:
 *
 *   1. read Composition Data page 0 (elements and models, features, IDs);
 *   2. add the application key;
 *   3. bind it to every model that uses application keys;
 *   4. subscribe the lighting servers (OnOff, Level, Lightness, CTL, HSL)
 *      to the plan's group and virtual addresses;
 *   5. set the publications: client models (a wall switch's OnOff and
 *      Level clients) to their element's address in the plan, and the
 *      servers that report state (OnOff, Lightness, CTL, HSL, Sensor,
 *      Health) to the plan's status destination, the gateway, so it sees
 *      every change whoever caused it;
 *   6. heartbeat publication towards the gateway's heartbeat group;
 *   7. mark the node configured in the database.
 *
 * The database is updated from each status the node returns
 * (cfg_apply.h), and each step skips what the database already shows as
 * done. A failure (no answer, or a status code other than Success) stops
 * the workflow with the step, the item and the reason; running it again
 * resumes where it stopped, since everything done before is recorded.
 */
#ifndef GATEWAY_CONFIGURE_H
#define GATEWAY_CONFIGURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/netdb.h"
#include "mesh/acked.h"
#include "mesh/cfg_msg.h"
#include "mesh/timer.h"

#define GW_PLAN_SUBSCRIBE_MAX 8
#define GW_PLAN_ELEMENTS_MAX 8
#define GW_CONFIGURE_WHY_MAX 200

enum gw_configure_step {
	GW_CONFIGURE_COMPOSITION,
	GW_CONFIGURE_APPKEY,
	GW_CONFIGURE_BIND,
	GW_CONFIGURE_SUBSCRIBE,
	GW_CONFIGURE_PUBLISH,
	GW_CONFIGURE_HEARTBEAT,
	GW_CONFIGURE_SETTINGS,           /* Default TTL, Network Transmit */
	GW_CONFIGURE_DONE,
};

/* Is m a lighting server that subscribes to group commands (OnOff, Level,
 * Power OnOff, Lightness, CTL, CTL Temperature, HSL, HSL Hue/Saturation)? */
bool gw_configure_model_subscribes(const struct netdb_model *m);
/* Is m a client whose publication is what the device does (the Generic
 * OnOff or Level Client of a wall switch)? */
bool gw_configure_model_is_switch_client(const struct netdb_model *m);

/* Lowercase name of a step ("composition", "bind", ...). */
const char *gw_configure_step_name(enum gw_configure_step step);

/* What the configuration (names, groups, roles) asks of one node. */
struct gw_config_plan {
	uint16_t app_idx;
	/* Lighting servers subscribe to all of these. */
	size_t n_subscribe;
	struct netdb_address subscribe[GW_PLAN_SUBSCRIBE_MAX];
	/* Client models of element e publish to publish[e] when has_publish[e]. */
	bool has_publish[GW_PLAN_ELEMENTS_MAX];
	struct netdb_address publish[GW_PLAN_ELEMENTS_MAX];
	uint8_t client_pub_retransmit;   /* Publish Retransmit state of clients */
	/* State-reporting servers publish here (0: they are left alone). */
	uint16_t status_dst;
	uint8_t sensor_pub_period;       /* Publish Period state for sensors */
	/* Heartbeat publication (dst 0: left alone). */
	uint16_t hb_dst;
	uint32_t hb_period_s;            /* rounded to a power of two by the encoding */
	uint8_t hb_ttl;
	uint16_t hb_features;            /* triggered heartbeats on these features */
	/* Node settings; 0 and false leave the node's own. */
	uint8_t default_ttl;             /* 2..127 */
	bool has_net_transmit;
	uint8_t net_transmit_count;      /* transmissions, 1..8 */
	uint16_t net_transmit_interval_ms; /* 10..320, a multiple of 10 */
};

/* Defaults: AppKey 0, no groups, status and heartbeats to nobody,
 * heartbeats every 16 s with TTL 7 triggered by every feature, sensors
 * every 30 s, clients' publications sent 3 times (2 retransmissions). */
void gw_config_plan_default(struct gw_config_plan *plan);

enum gw_configure_outcome {
	GW_CONFIGURE_RUNNING,
	GW_CONFIGURE_OK,
	GW_CONFIGURE_FAILED,
	GW_CONFIGURE_CANCELED,
};

struct gw_configure_report {
	uint16_t node;                   /* primary address */
	enum gw_configure_outcome outcome;
	enum gw_configure_step step;     /* the step running, or where it stopped */
	unsigned int requests;           /* requests sent so far (0: all was done before) */
	char why[GW_CONFIGURE_WHY_MAX];  /* FAILED: which item and why */
};

/* A configuration request's outcome for the workflow (the configuration
 * client's event, with the decoded status for STATUS and LATE). */
typedef void (*gw_configure_done_fn)(void *ctx, enum mesh_acked_event ev,
				     uint16_t src, const struct mesh_cfg_msg *status);

struct gw_configure_ops {
	/* Send request to dst with the device key; done is called for every
	 * event of it (STATUS, LATE, TIMEOUT, FAILED, CANCELED). */
	int (*send)(void *ctx, uint16_t dst, const struct mesh_cfg_msg *request,
		    gw_configure_done_fn done, void *done_ctx);
	/* The database changed: save it (0 or negative errno). */
	int (*save)(void *ctx);
	/* A step started, or the workflow ended (report->outcome). */
	void (*progress)(void *ctx, const struct gw_configure_report *report);
	/* A status arrived late for a request the workflow had given up on:
	 * it was applied to the database all the same. Optional. */
	void (*late)(void *ctx, uint16_t src, const struct mesh_cfg_msg *status);
};

struct gw_configure;

/* timers: the clock that bounds how long a request's record waits for a
 * late status. */
int gw_configure_create(struct gw_configure **out, struct netdb *db, struct mesh_timers *timers,
			const struct gw_configure_ops *ops, void *ctx);
/* Destroy the configuration client that calls ops->send's done first:
 * after this no callback may come. */
void gw_configure_destroy(struct gw_configure *c);

/*
 * Configure the node with primary address node by plan (copied). -EBUSY
 * while a run is under way (one node at a time), -ENOENT for an unknown
 * node, -EINVAL for a plan whose AppKey the network does not have. Runs
 * of a node already configured check every step against the database
 * and send only what is missing.
 */
int gw_configure_start(struct gw_configure *c, uint16_t node, const struct gw_config_plan *plan);
/* Does the database show node as wishes asks: its subscriptions, client
 * publications and settings (the other steps are not looked at)? True
 * for a node the database does not have. */
bool gw_configure_wishes_met(const struct gw_configure *c, uint16_t node,
			     const struct gw_config_plan *wishes);
void gw_configure_cancel(struct gw_configure *c);
bool gw_configure_busy(const struct gw_configure *c);
/* The last run's report (outcome RUNNING while one runs). */
const struct gw_configure_report *gw_configure_last(const struct gw_configure *c);

#endif
