/*
 * The gateway application: the core (core.h: meshgate's node, database,
 * provisioning, configuration, state cache, liveness) plus what users see
 * of it: the configuration file's names and groups, the node registry
 * (registry.h), the event stream (events.h), and the JSON views the
 * adapters publish (info, nodes, groups, entity states, heartbeats).
 * Requests come in through api.h, which both the MQTT bridge and the
 * WebSocket API call.
 *
 * The first start on the built-in simulator is a demo: the network takes
 * the scenario's demo keys (so the simulated relay chain and garden light,
 * provisioned in the scenario with those keys, are nodes of it), and the
 * devices the configuration marks `provision: auto` are provisioned and
 * configured through the normal path as soon as their beacons are heard.
 */
#ifndef GATEWAY_APP_H
#define GATEWAY_APP_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/gateway_config.h"
#include "gateway/core.h"
#include "gateway/events.h"
#include "gateway/registry.h"
#include "mesh/log.h"
#include "mesh/sim/scenario.h"

struct gw_app_options {
	const char *data_dir;
	/* The built-in simulator's scenario: seed a new network from it. */
	const struct sim_scenario *demo_scenario;
	const char *bearer_desc;          /* for bridge/info: "simulator", "uart:/dev/ttyACM0" */
	struct gw_core_config core;       /* request timing (tests); the rest comes from cfg */
	bool core_set;
};

struct gw_app {
	struct mesh_timers *timers;
	struct gw_core core;
	bool core_open;
	struct gw_config cfg;             /* the configuration in force (owned) */
	struct gw_registry reg;
	struct gw_events events;
	char bearer_desc[128];
	bool new_network;                 /* the database was created at this start */
	size_t n_bootstrap;               /* `provision: auto` devices still to provision */
	uint8_t (*bootstrap)[16];
	struct mesh_timer bootstrap_timer;
	struct mesh_timer changed_timer;  /* coalesces registry rebuilds */
	struct mesh_timer kr_timer;       /* key refresh after a node removal */
	uint32_t changed_kinds;           /* GW_EVENT_* bits to announce after it */
	struct {
		uint16_t src;
		uint8_t tid;
		uint64_t at_ms;
	} last_action[8];                 /* switch Sets already reported */
	struct gw_app_ctl_time {
		uint16_t addr;
		uint64_t at_ms;
	} *ctl_times;                     /* when elements last reported CTL */
	size_t n_ctl_times;
	bool closing;
	pthread_t loop_thread;            /* the loop's: log events come from it only */
	bool in_log_line;                 /* a log event is being delivered */
};

/*
 * Open: take cfg (moved into the app; the caller's struct is emptied),
 * open the data directory (a new network on first start, seeded from
 * opts->demo_scenario when given), bring the configuration's groups into
 * the database, build the registry. Negative errno/MESH_ERR_* with err.
 */
int gw_app_open(struct gw_app *app, struct mesh_timers *timers, struct mesh_bearer *bearer,
		struct gw_config *cfg, const struct gw_app_options *opts, char *err,
		size_t errlen);
/* Start what runs on the radio: configuring pending nodes, discovery for
 * `provision: auto` devices. Call once the bearer is up. */
void gw_app_start(struct gw_app *app);
void gw_app_close(struct gw_app *app);

/* What the radio heard; dropped once gw_app_close() ran (the radio may
 * still be delivering). */
void gw_app_bearer_rx(struct gw_app *app, const struct mesh_adv_rx *rx);

/* SIGHUP: new names and groups from cfg (moved in on success). The radio
 * stays up; nodes whose groups or switch targets changed in the file are
 * configured again (new groups joined, new targets set) and leave the
 * groups the file no longer gives them. On error the old configuration
 * stays and err says why. */
int gw_app_reload(struct gw_app *app, struct gw_config *cfg, char *err, size_t errlen);

/* Something the registry is built from changed (a rename, a group): rebuild
 * and announce nodes, groups, info and entities (coalesced, on a timer). */
void gw_app_changed(struct gw_app *app);
/* A node was removed: refresh the network's keys (soon, once the node is
 * out of the database; later if a refresh is running). */
void gw_app_key_refresh_soon(struct gw_app *app);

/* Save the network database, logging a failure. 0 or negative errno. */
int gw_app_save(struct gw_app *app);

/*
 * A log line as an event (GW_EVENT_LOG, type = the level's name, data
 * {"time","level","module","message"}) for the WebSocket's "log" topic;
 * the program's log sink calls it for every line. A line logged while a
 * log event is being delivered is not turned into another event (no
 * recursion), and neither are lines from threads other than the loop's
 * (the event stream is not thread safe).
 */
void gw_app_log_line(struct gw_app *app, enum mesh_log_level level, const char *module,
		     const char *message);

/* The names of the bits set in an unprovisioned beacon's OOB Information
 * ("number", "on_box", ...; RFU bits are left out). New reference. */
json_t *gw_oob_info_names(uint16_t oob_info);

/* Views (new references). */
json_t *gw_app_info_json(const struct gw_app *app);
json_t *gw_app_nodes_json(const struct gw_app *app);
json_t *gw_app_groups_json(const struct gw_app *app);
/* Everything known of one node for its detail page (node/info; docs/mqtt.md):
 * composition, per-model bindings, publication and subscriptions, features,
 * heartbeat settings, key indexes (never keys), liveness, health faults.
 * NULL if the node is not in the database. */
json_t *gw_app_node_info_json(const struct gw_app *app, const struct gw_reg_node *rn);
/* An entity's state as users see it (with linkquality and last_seen for
 * elements; a group's from its members). */
json_t *gw_app_entity_state(const struct gw_app *app, const struct gw_entity *e);
/* An element's cached state as users see it: a CTL light's with the
 * temperature its CTL Temperature element reported later (buf holds it
 * then). NULL when nothing is known. */
const struct gw_elem_state *gw_app_element_state(const struct gw_app *app,
						 const struct gw_entity *e,
						 struct gw_elem_state *buf);
/* Liveness of a node: "online", "offline". Nodes never watched count as online. */
bool gw_app_node_online(const struct gw_app *app, uint16_t primary);
json_t *gw_app_heartbeat_json(const struct liveness_node *n);
/* The cached state of a group, from its members (st filled; false if none known). */
bool gw_app_group_state(const struct gw_app *app, const struct gw_entity *g,
			struct gw_elem_state *st);
const char *gw_app_mesh_id(const struct gw_app *app, char out[9]);


#endif
