/*
 * Entities: what users see of the mesh. An entity is one element of a node
 * that has something to show or control (a light, a sensor, a switch), or
 * a named group. Each has a friendly name (its MQTT topic; a '/' builds a
 * topic tree), a stable unique id (the node UUID and the element index, or
 * the group's address or Label UUID) that survives renames, and the
 * capabilities its models give it.
 *
 * This module is the translation between the mesh's states and the JSON
 * users speak, in zigbee2mqtt's conventions that Home Assistant's MQTT
 * JSON light schema understands:
 *
 *   state:  {"state":"ON","brightness":200,"color_mode":"color_temp",
 *            "color_temp":300,"temperature":21.5,"linkquality":180,
 *            "last_seen":"2026-11-21T10:00:00Z"}
 *   set:    {"state":"ON"|"OFF"|"TOGGLE","brightness":0..255,
 *            "color_temp":mireds,"color":{"h":0..360,"s":0..100},
 *            "transition":seconds}
 *
 * It is used by the MQTT bridge and the WebSocket API alike; it knows
 * JSON (jansson) and the mesh's model messages, not MQTT.
 */
#ifndef GATEWAY_ENTITY_H
#define GATEWAY_ENTITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/netdb.h"
#include "gateway/state_cache.h"
#include "mesh/generic_msg.h"

#define GW_ENTITY_NAME_MAX 200     /* node name + "/" + element name */
#define GW_ENTITY_ID_MAX 64
#define GW_ENTITY_SENSORS_MAX 16
#define GW_ENTITY_MEMBERS_MAX 64

/* What an element's models let users do or see (bits). */
enum gw_entity_cap {
	GW_CAP_ONOFF = 1u << 0,       /* Generic OnOff Server */
	GW_CAP_LEVEL = 1u << 1,       /* Generic Level Server */
	GW_CAP_LIGHTNESS = 1u << 2,   /* Light Lightness Server */
	GW_CAP_CTL = 1u << 3,         /* Light CTL Server (temperature on this or
				       * the next element's CTL Temperature Server) */
	GW_CAP_HSL = 1u << 4,         /* Light HSL Server */
	GW_CAP_SENSOR = 1u << 5,      /* Sensor Server */
	GW_CAP_SWITCH = 1u << 6,      /* Generic OnOff Client: a wall switch */
	GW_CAP_DIMMER = 1u << 7,      /* Generic Level Client */
};
#define GW_CAP_LIGHT (GW_CAP_ONOFF | GW_CAP_LIGHTNESS | GW_CAP_CTL | GW_CAP_HSL)

enum gw_entity_kind {
	GW_ENTITY_ELEMENT,
	GW_ENTITY_GROUP,
};

struct gw_entity {
	enum gw_entity_kind kind;
	char name[GW_ENTITY_NAME_MAX];       /* friendly name = topic below the base */
	char unique_id[GW_ENTITY_ID_MAX];    /* "<uuid32hex>_<elem>" / "group_<c001>" /
					      * "group_<label32hex>" */
	uint32_t caps;                       /* enum gw_entity_cap */
	uint16_t addr;                       /* element, group address, or virtual hash */
	bool has_label;
	uint8_t label[16];

	/* Elements: their node. */
	uint8_t node_uuid[16];
	uint16_t node_addr;                  /* primary element */
	uint8_t elem_idx;
	char node_name[GW_ENTITY_NAME_MAX];
	uint16_t cid, pid, vid;              /* has_ids */
	bool has_ids;

	/* Colour temperature range in Kelvin (CTL; from the node's Temperature
	 * Range when known, else 800..20000). */
	uint16_t temp_min_k, temp_max_k;
	/* Sensor properties the element reported so far (for discovery). */
	size_t n_sensors;
	uint16_t sensors[GW_ENTITY_SENSORS_MAX];

	/* Groups: the elements subscribed to it (from the database). */
	size_t n_members;
	uint16_t members[GW_ENTITY_MEMBERS_MAX];
};

/* The capabilities of one element from its models. */
uint32_t gw_entity_caps_of_element(const struct netdb_element *el);

/*
 * The state JSON of an element or group entity from its cached state (st
 * may be NULL: nothing known yet, an empty object). Lights: "state",
 * "brightness" (0..255, from Lightness, else from Level), "color_mode"
 * and "color_temp" (mireds) or "color" {"h","s"}; sensors: one member per
 * reading named by its property key ("temperature", "humidity", "motion",
 * ...) as a number in the property's unit (unknown values: null). New
 * reference; NULL only when out of memory.
 */
json_t *gw_entity_state_json(const struct gw_entity *e, const struct gw_elem_state *st);

/* A command for a light, parsed from the set JSON. */
enum gw_light_onoff {
	GW_LIGHT_KEEP,
	GW_LIGHT_ON,
	GW_LIGHT_OFF,
	GW_LIGHT_TOGGLE,
};

struct gw_light_cmd {
	enum gw_light_onoff state;
	bool has_brightness;
	uint8_t brightness;            /* 0..255 */
	bool has_color_temp;
	uint16_t color_temp_mireds;
	bool has_color;
	double hue_deg, sat_pct;       /* 0..360, 0..100 */
	bool has_transition;
	uint32_t transition_ms;
};

/*
 * Parse a set payload. Every problem is an error naming the member and
 * what is wrong ("brightness: 300 is out of range 0..255", "state:
 * expected ON, OFF or TOGGLE", "unknown member 'brigthness'", "invalid
 * JSON at 1:12: ..."); an empty command (nothing to do) is an error too.
 * 0 or MESH_ERR_INVAL with err.
 */
int gw_light_cmd_parse(const char *text, size_t len, struct gw_light_cmd *cmd, char *err,
		       size_t errlen);
/* The same from a parsed object (JSON-RPC params). */
int gw_light_cmd_from_json(const json_t *obj, struct gw_light_cmd *cmd, char *err, size_t errlen);

/*
 * The model messages that carry cmd to an entity with caps (acknowledged
 * Sets; the caller sends the unacknowledged form to groups), knowing the
 * current state cur (NULL: unknown; TOGGLE then means ON). At most max
 * messages, in the order to send them:
 *   colour (HSL Set, or CTL Set with the brightness and temperature),
 *   brightness (Lightness Set, or Level Set without Lightness),
 *   on/off (OnOff Set) when no message above already switches it
 *   (brightness 0 is off; "ON" with no brightness on a lightness light is
 *   an OnOff Set, so the light comes back at its last brightness).
 * TIDs are left 0 (the model client sets them). Returns the count, or
 * MESH_ERR_INVAL with err when the entity cannot do what cmd asks
 * ("color_temp: this light has no colour temperature").
 */
int gw_light_cmd_messages(const struct gw_light_cmd *cmd, const struct gw_entity *e,
			  const struct gw_elem_state *cur, struct mesh_model_msg *out, size_t max,
			  char *err, size_t errlen);

/* Conversions, exposed for tests and discovery. */
uint8_t gw_brightness_from_lightness(uint16_t lightness);
uint16_t gw_lightness_from_brightness(uint8_t brightness);
uint16_t gw_mireds_from_kelvin(uint16_t kelvin);
uint16_t gw_kelvin_from_mireds(uint16_t mireds);   /* clamped to 800..20000 */

/* How Home Assistant should show a sensor property (discovery). */
struct gw_sensor_class {
	const char *key;              /* state JSON member: the property key */
	const char *device_class;     /* "temperature", "humidity", "illuminance",
				       * "power", "energy", "voltage", "current",
				       * "duration", NULL: none */
	const char *unit;             /* Home Assistant's unit ("°C", "%", "lx", ...) */
	const char *state_class;      /* "measurement", "total_increasing" */
	bool binary;                  /* motion/presence: a binary_sensor (occupancy/motion) */
};
/* NULL for properties meshgate does not know. */
const struct gw_sensor_class *gw_sensor_class_of(uint16_t prop);

/*
 * A Light CTL Server keeps its temperature on a second element, the CTL
 * Temperature Server's (Mesh Model 6.4.3): whether element idx+1 of n is
 * that element for a CTL Server on element idx.
 */
bool gw_entity_ctl_temperature_element(const struct netdb_node *n, size_t idx);
/*
 * The light's state with the temperature (and Delta UV, temperature
 * range) its CTL Temperature element reported, when that is newer:
 * light_ctl_ms and temp_ctl_ms are when each last reported a CTL state
 * (0: never). Temperature statuses published by the second element then
 * reach the light's "color_temp".
 */
void gw_entity_merge_temperature(struct gw_elem_state *light, uint64_t light_ctl_ms,
				 const struct gw_elem_state *temp, uint64_t temp_ctl_ms);

/* The name of a SIG model ("Generic OnOff Server"), NULL if unknown. */
const char *gw_model_name(uint16_t sig_id);
/* The name of a Health fault ("Battery Low Warning", "Overheat Error",
 * "Vendor Specific 0x80"), written to buf; returns buf. */
const char *gw_health_fault_name(uint8_t code, char *buf, size_t len);

/* Transition seconds -> Generic Default Transition Time field. */
uint8_t gw_transition_field(uint32_t ms);

#endif
