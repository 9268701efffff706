/*
 * Home Assistant MQTT discovery: the retained config messages that make
 * meshgate's entities appear in Home Assistant, under
 *
 *   <discovery_prefix>/<component>/<node_id>/<object_id>/config
 *
 * with node_id "meshgate_<first 8 hex of the node UUID>" (or the bridge's
 * own id for groups and the bridge itself) and object_id the entity's
 * role ("light", "light_1", "temperature", "connectivity", ...). Each
 * payload follows Home Assistant's current MQTT schemas:
 *
 *  - light (schema: json) per light element and per named group, with
 *    supported_color_modes from its models (OnOff: onoff, Lightness:
 *    brightness, CTL: color_temp with min/max mireds, HSL: hs);
 *  - sensor per known sensor property (device_class, unit_of_measurement,
 *    state_class, value_template reading the member of the state JSON);
 *    binary_sensor for motion/presence;
 *  - binary_sensor "connectivity" per node from heartbeat liveness;
 *  - device_automation triggers (type "button_short_press", subtype
 *    "turn_on"/"turn_off") per wall-switch element;
 *  - meshgate itself as a device; every node device has via_device set
 *    to it.
 *
 * Every entity has a stable unique_id (UUID + element index: it survives
 * renames), and availability lists the bridge state and the entity's own
 * availability topic with availability_mode "all".
 */
#ifndef BRIDGE_DISCOVERY_H
#define BRIDGE_DISCOVERY_H

#include <jansson.h>
#include <stddef.h>

#include "gateway/entity.h"

struct discovery_ctx {
	const char *prefix;          /* "homeassistant" */
	const char *base_topic;      /* "meshgate" */
	const char *bridge_id;       /* "meshgate_<8 hex of the mesh UUID>" */
	const char *version;         /* meshgate's version */
};

/* One retained message: topic and payload (payload NULL: an empty
 * retained message that removes the entity from Home Assistant). */
struct discovery_msg {
	char topic[512];
	json_t *payload;             /* owned by the list */
};

struct discovery_list {
	size_t n, cap;
	struct discovery_msg *msgs;
};

void discovery_list_free(struct discovery_list *l);

/* The bridge device's own entities (a connectivity binary_sensor on
 * <base>/bridge/state). */
int discovery_bridge(const struct discovery_ctx *ctx, struct discovery_list *out);

/* Every config message of one entity (element or group). Appends. 0 or
 * -ENOMEM. A node's connectivity sensor comes with its element 0 entity
 * (or its first entity). */
int discovery_entity(const struct discovery_ctx *ctx, const struct gw_entity *e,
		     struct discovery_list *out);

/* Topics of an entity, shared with the bridge: <base>/<name>,
 * <base>/<name>/set, <base>/<name>/availability, and the node's
 * availability (elements: <base>/<node name>/availability). */
void discovery_state_topic(const struct discovery_ctx *ctx, const struct gw_entity *e, char *out,
			   size_t len);

#endif
