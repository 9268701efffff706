/*
 * The MQTT bridge: the gateway's events and state as MQTT topics in
 * zigbee2mqtt's conventions, and MQTT requests into the gateway's request
 * dispatcher (gateway/api.h). The topic API is documented in docs/mqtt.md:
 *
 *   <base>/bridge/state                 retained {"state":"online"|"offline"} (Last Will)
 *   <base>/bridge/info|nodes|groups     retained JSON, republished on change
 *   <base>/bridge/event                 {"type":...,"data":{...}}
 *   <base>/bridge/request/<method>      -> <base>/bridge/response/<method>
 *   <base>/<name>                       retained state of an entity
 *   <base>/<name>/set, /get             commands
 *   <base>/<name>/availability          retained {"state":"online"|"offline"}
 *   <base>/<name>/heartbeat             each heartbeat of a node
 *   <base>/<name>/action                "on"/"off" from a wall switch
 *   <discovery_prefix>/...              Home Assistant discovery (discovery.h)
 *
 * Every retained topic the bridge owns is remembered with its payload, so
 * a change publishes only what changed, a renamed or removed entity's old
 * topics are cleared (empty retained message), and after every
 * (re)connect, or when Home Assistant comes back online, everything is
 * published again.
 */
#ifndef BRIDGE_BRIDGE_H
#define BRIDGE_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "bridge/mqtt_conn.h"
#include "config/gateway_config.h"
#include "gateway/api.h"
#include "gateway/app.h"

struct bridge_retained;

struct bridge {
	uv_loop_t *loop;
	struct gw_app *app;
	struct gw_api *api;
	struct mqtt_conn *conn;
	char base[GW_CONFIG_STR_MAX];
	bool ha_enabled;
	char ha_prefix[GW_CONFIG_STR_MAX];
	char ha_status[GW_CONFIG_STR_MAX];
	char bridge_id[32];               /* "meshgate_<8 hex of the mesh UUID>" */
	size_t n_retained, cap_retained;
	struct bridge_retained *retained;
	bool subscribed_events;
	bool stopping;
	void (*stopped)(void *ctx);
	void *stopped_ctx;
};

/* Connect as the configuration's mqtt section says (and keep connected). */
int bridge_open(struct bridge *b, uv_loop_t *loop, struct gw_app *app, struct gw_api *api,
		const struct gw_config *cfg, char *err, size_t errlen);
/* Publish offline, disconnect; done(ctx) when finished (bounded by a few
 * seconds if the broker is gone). */
void bridge_stop(struct bridge *b, void (*done)(void *ctx), void *ctx);
/* After stop's done (or a failed open). */
void bridge_close(struct bridge *b);

/* Publish everything the bridge owns again (after a reload). */
void bridge_republish(struct bridge *b);

#endif
