/*
 * The gateway's event stream: everything adapters show users as it
 * happens. The MQTT bridge turns events into topics (bridge/event, entity
 * states, availability, heartbeats, switch actions, and the retained
 * bridge/nodes, bridge/groups, bridge/info when they change); the
 * WebSocket API forwards them to subscribed browsers. Events are delivered
 * synchronously, on the loop, to every subscriber in subscription order;
 * the data they point to is valid during the call only.
 */
#ifndef GATEWAY_EVENTS_H
#define GATEWAY_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/entity.h"

enum gw_event_kind {
	GW_EVENT_BRIDGE,         /* bridge/event: type (below) + data */
	GW_EVENT_STATE,          /* entity's state JSON changed: entity + data */
	GW_EVENT_AVAILABILITY,   /* node (primary address) online or not */
	GW_EVENT_HEARTBEAT,      /* node's heartbeat: data as on the heartbeat topic */
	GW_EVENT_ACTION,         /* a switch entity sent type "on" / "off" */
	GW_EVENT_NODES,          /* the node list changed (names, nodes, composition) */
	GW_EVENT_GROUPS,         /* the group list changed */
	GW_EVENT_INFO,           /* bridge info changed (IV index, node count) */
	GW_EVENT_ENTITIES,       /* the entity list changed (redo discovery) */
	GW_EVENT_LOG,            /* a log line: type = level, data {"module","message"} */
};

/* Types of GW_EVENT_BRIDGE events (the "type" member on bridge/event). */
#define GW_EV_DEVICE_DISCOVERED "device_discovered"
#define GW_EV_SCAN_CLOSED "scan_closed"
#define GW_EV_PROV_STARTED "provisioning_started"
#define GW_EV_PROV_OOB_REQUIRED "provisioning_oob_required"
#define GW_EV_PROV_OOB_SHOW "provisioning_oob_show"
#define GW_EV_PROV_COMPLETE "provisioning_complete"
#define GW_EV_PROV_FAILED "provisioning_failed"
#define GW_EV_NODE_CONFIGURED "node_configured"
#define GW_EV_NODE_CONFIGURE_FAILED "node_configure_failed"
#define GW_EV_NODE_ONLINE "node_online"
#define GW_EV_NODE_OFFLINE "node_offline"
#define GW_EV_NODE_REMOVED "node_removed"
#define GW_EV_ERROR "error"

struct gw_event {
	enum gw_event_kind kind;
	const char *type;
	const json_t *data;
	const struct gw_entity *entity;
	uint16_t node;
	bool online;
};

typedef void (*gw_event_fn)(void *ctx, const struct gw_event *ev);

#define GW_EVENTS_SUBSCRIBERS_MAX 8

struct gw_events {
	size_t n;
	struct {
		gw_event_fn fn;
		void *ctx;
	} subs[GW_EVENTS_SUBSCRIBERS_MAX];
};

void gw_events_init(struct gw_events *ev);
/* 0, or -ENOSPC. */
int gw_events_subscribe(struct gw_events *ev, gw_event_fn fn, void *ctx);
void gw_events_unsubscribe(struct gw_events *ev, gw_event_fn fn, void *ctx);
void gw_events_emit(const struct gw_events *ev, const struct gw_event *e);

/* Shorthands. data may be NULL ({}). */
void gw_events_bridge(const struct gw_events *ev, const char *type, const json_t *data);
void gw_events_simple(const struct gw_events *ev, enum gw_event_kind kind);

#endif
