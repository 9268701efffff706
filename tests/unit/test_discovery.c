/*
 * Home Assistant MQTT discovery (bridge/discovery.h), checked by a
 * validator written from Home Assistant's own schemas, not from what
 * discovery.c happens to emit. The validator is tested first on payloads
 * known to be wrong, so it is shown able to fail.
 *
 * Rules and where they come from (home-assistant/core; MQTT files as of
 * the 2025.10+ line, where default_entity_id replaced object_id, up to the
 * dev branch of 2026 whose const.py no longer has object_id at all;
 * sensor/const.py of 2025.x with temperature_delta and wind_direction):
 *  - mqtt/discovery.py: TOPIC_MATCHER
 *    "(?P<component>\w+)/(?:(?P<node_id>[a-zA-Z0-9_-]+)/)?(?P<object_id>[a-zA-Z0-9_-]+)/config"
 *    below the prefix; origin validated for every component
 *    (MQTT_ORIGIN_INFO_SCHEMA: name required, sw_version, support_url);
 *  - mqtt/const.py: SUPPORTED_COMPONENTS, AVAILABILITY_MODES all/any/latest,
 *    PAYLOAD_NONE "None", default payloads online/offline and ON/OFF;
 *  - mqtt/schemas.py: MQTT_ENTITY_COMMON_SCHEMA (availability list of
 *    {topic, payload_available, payload_not_available, value_template},
 *    availability_mode, device, entity_picture, origin,
 *    enabled_by_default, entity_category, icon, json_attributes_*,
 *    default_entity_id, unique_id), MQTT_ENTITY_DEVICE_INFO_SCHEMA
 *    (identifiers, connections, manufacturer, model, model_id, name,
 *    hw_version, serial_number, sw_version, via_device, suggested_area,
 *    configuration_url; at least one identifier or connection);
 *  - mqtt/config.py: MQTT_BASE (qos, encoding), MQTT_RO (state_topic
 *    required, value_template), MQTT_RW (command_topic required,
 *    optimistic, retain, state_topic);
 *  - mqtt/light/schema_json.py: _PLATFORM_SCHEMA_BASE keys (brightness,
 *    brightness_scale, color_temp_kelvin, effect, effect_list, flash,
 *    flash_time_*, min/max_mireds, min/max_kelvin, name,
 *    supported_color_modes, transition, white_scale) and schema "json";
 *    in a state, color_mode "hs" is read from color.h and color.s;
 *  - light/__init__.py: VALID_COLOR_MODES and valid_supported_color_modes
 *    (onoff and brightness only alone, white only with a colour mode);
 *  - mqtt/sensor.py: keys, and validate_sensor_state_and_device_class_config
 *    (a unit must be in DEVICE_CLASS_UNITS of the class,
 *    last_reset_value_template only with state class total);
 *  - sensor/const.py: SensorDeviceClass, SensorStateClass,
 *    DEVICE_CLASS_UNITS, DEVICE_CLASS_STATE_CLASSES (the classes used here);
 *  - mqtt/binary_sensor.py and binary_sensor/__init__.py: keys and
 *    BinarySensorDeviceClass; a binary sensor cannot be entity_category
 *    config;
 *  - mqtt/device_trigger.py: TRIGGER_DISCOVERY_SCHEMA (automation_type,
 *    device, payload, subtype, topic, type, value_template; the trigger is
 *    found by device, type and subtype since 2024.2); the types the
 *    automation editor names: button_short_press ... button_quintuple_press.
 *  - entity ids: homeassistant/core.py valid_entity_id (lowercase letters,
 *    digits and "_", no "_" at either end of the object id, no "__").
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bridge/discovery.h"
#include "mesh/bytes.h"
#include "mesh/sensor_msg.h"
#include "mesh/util.h"

static const struct discovery_ctx ctx = {
	.prefix = "homeassistant",
	.base_topic = "meshgate",
	.bridge_id = "meshgate_0123abcd",
	.version = "0.1.0",
};

/* ---- the validator ------------------------------------------------------------ */

static char verr[400];

static bool bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static bool bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(verr, sizeof(verr), fmt, ap);
	va_end(ap);
	return false;
}

static bool in(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static const char *const supported_components[] = {
	"alarm_control_panel", "binary_sensor", "button", "camera", "climate", "cover", "date",
	"datetime", "device_automation", "device_tracker", "event", "fan", "humidifier", "image",
	"lawn_mower", "light", "lock", "notify", "number", "scene", "siren", "select", "sensor",
	"switch", "tag", "text", "time", "update", "vacuum", "valve", "water_heater", NULL,
};

static const char *const common_keys[] = {
	"availability", "availability_mode", "availability_template", "availability_topic",
	"payload_available", "payload_not_available", "device", "entity_picture", "origin",
	"enabled_by_default", "entity_category", "icon", "json_attributes_topic",
	"json_attributes_template", "default_entity_id", "unique_id", "qos", "encoding", NULL,
};

static const char *const light_json_keys[] = {
	"command_topic", "optimistic", "retain", "state_topic", "schema", "brightness",
	"brightness_scale", "color_temp_kelvin", "effect", "effect_list", "flash",
	"flash_time_long", "flash_time_short", "max_mireds", "min_mireds", "max_kelvin",
	"min_kelvin", "name", "supported_color_modes", "transition", "white_scale", NULL,
};

static const char *const sensor_keys[] = {
	"state_topic", "value_template", "device_class", "expire_after", "force_update",
	"last_reset_value_template", "name", "options", "suggested_display_precision",
	"state_class", "unit_of_measurement", NULL,
};

static const char *const binary_sensor_keys[] = {
	"state_topic", "value_template", "device_class", "expire_after", "force_update", "name",
	"off_delay", "payload_off", "payload_on", NULL,
};

/* device_automation takes no common entity keys; origin is checked by
 * discovery.py for every component and then dropped. */
static const char *const trigger_keys[] = {
	"automation_type", "device", "payload", "subtype", "topic", "type", "value_template",
	"qos", "encoding", "origin", NULL,
};

static const char *const device_keys[] = {
	"identifiers", "connections", "manufacturer", "model", "model_id", "name", "hw_version",
	"serial_number", "sw_version", "via_device", "suggested_area", "configuration_url", NULL,
};

static const char *const color_modes[] = {
	"onoff", "brightness", "color_temp", "hs", "xy", "rgb", "rgbw", "rgbww", "white", NULL,
};

static const char *const sensor_device_classes[] = {
	"date", "enum", "timestamp", "apparent_power", "aqi", "area", "atmospheric_pressure",
	"battery", "blood_glucose_concentration", "carbon_monoxide", "carbon_dioxide",
	"conductivity", "current", "data_rate", "data_size", "distance", "duration", "energy",
	"energy_distance", "energy_storage", "frequency", "gas", "humidity", "illuminance",
	"irradiance", "moisture", "monetary", "nitrogen_dioxide", "nitrogen_monoxide",
	"nitrous_oxide", "ozone", "ph", "pm1", "pm10", "pm25", "power_factor", "power",
	"precipitation", "precipitation_intensity", "pressure", "reactive_power",
	"signal_strength", "sound_pressure", "speed", "sulphur_dioxide", "temperature",
	"temperature_delta", "volatile_organic_compounds", "volatile_organic_compounds_parts",
	"voltage", "volume", "volume_storage", "volume_flow_rate", "water", "weight",
	"wind_direction", "wind_speed", NULL,
};

static const char *const non_numeric_classes[] = { "date", "enum", "timestamp", NULL };

static const char *const state_classes[] = { "measurement", "total", "total_increasing", NULL };

static const char *const measurement[] = { "measurement", NULL };
static const char *const totals[] = { "total", "total_increasing", NULL };

/* DEVICE_CLASS_UNITS and DEVICE_CLASS_STATE_CLASSES for the classes a mesh
 * sensor can have; a class not here is refused (unchecked is not valid). */
static const struct {
	const char *device_class;
	const char *const units[16];
	const char *const *state_classes;
} class_rules[] = {
	{ "temperature", { "°C", "°F", "K" }, measurement },
	{ "humidity", { "%" }, measurement },
	{ "illuminance", { "lx" }, measurement },
	{ "power", { "W", "kW", "MW", "GW", "TW" }, measurement },
	{ "energy", { "J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh", "cal",
		      "kcal", "Mcal", "Gcal" }, totals },
	{ "voltage", { "V", "mV", "µV", "kV", "MV" }, measurement },
	{ "current", { "A", "mA" }, measurement },
	{ "duration", { "d", "h", "min", "s", "ms" }, state_classes },
	{ "carbon_dioxide", { "ppm" }, measurement },
	{ "volatile_organic_compounds_parts", { "ppb", "ppm" }, measurement },
	{ "battery", { "%" }, measurement },
};

static const char *const binary_device_classes[] = {
	"battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door",
	"garage_door", "gas", "heat", "light", "lock", "moisture", "motion", "moving",
	"occupancy", "opening", "plug", "power", "presence", "problem", "running", "safety",
	"smoke", "sound", "tamper", "update", "vibration", "window", NULL,
};

static const char *const trigger_types[] = {
	"button_short_press", "button_short_release", "button_long_press", "button_long_release",
	"button_double_press", "button_triple_press", "button_quadruple_press",
	"button_quintuple_press", NULL,
};

static bool id_chars(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* <prefix>/<component>/<node_id>/<object_id>/config; component out. */
static bool check_discovery_topic(const char *topic, char *component, size_t len)
{
	size_t plen = strlen(ctx.prefix);
	const char *p = topic, *slash;
	const char *node, *object;

	if (strncmp(p, ctx.prefix, plen) != 0 || p[plen] != '/')
		return bad("%s: not under the prefix", topic);
	p += plen + 1;
	slash = strchr(p, '/');
	if (!slash || (size_t)(slash - p) >= len)
		return bad("%s: no component", topic);
	memcpy(component, p, (size_t)(slash - p));
	component[slash - p] = '\0';
	if (!in(component, supported_components))
		return bad("%s: component %s is not supported", topic, component);
	node = slash + 1;
	slash = strchr(node, '/');
	if (!slash || !id_chars(node, (size_t)(slash - node)))
		return bad("%s: node_id must match [a-zA-Z0-9_-]+", topic);
	object = slash + 1;
	slash = strchr(object, '/');
	if (!slash || !id_chars(object, (size_t)(slash - object)))
		return bad("%s: object_id must match [a-zA-Z0-9_-]+", topic);
	if (strcmp(slash, "/config") != 0)
		return bad("%s: must end in /config", topic);
	return true;
}

/* valid_publish_topic (and so valid_subscribe_topic): no wildcard, no
 * NUL, 1..65535 octets; ours also live below the base topic. */
static bool check_topic(const char *key, const json_t *v)
{
	const char *t = json_string_value(v);

	if (!t)
		return bad("%s: expected a topic string", key);
	if (!*t || strlen(t) > 65535 || strpbrk(t, "+#"))
		return bad("%s: \"%s\" is not a valid topic", key, t);
	if (strncmp(t, "meshgate/", 9) != 0)
		return bad("%s: \"%s\" is not below the base topic", key, t);
	return true;
}

static bool check_keys(const json_t *p, const char *const *a, const char *const *b,
		       const char *what)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)p, key, v)
		if (!in(key, a) && !(b && in(key, b)))
			return bad("%s: key \"%s\" is not in Home Assistant's schema", what, key);
	return true;
}

static bool check_strings(const json_t *p, const char *const *keys, const char *what)
{
	for (; *keys; keys++) {
		json_t *v = json_object_get(p, *keys);

		if (v && !json_is_string(v))
			return bad("%s: %s must be a string", what, *keys);
	}
	return true;
}

static bool check_device(const json_t *d)
{
	static const char *const strings[] = {
		"manufacturer", "model", "model_id", "name", "hw_version", "serial_number",
		"sw_version", "via_device", "suggested_area", "configuration_url", NULL,
	};
	const json_t *ids = json_object_get(d, "identifiers");
	size_t i;
	json_t *v;

	if (!json_is_object(d))
		return bad("device: expected an object");
	if (!check_keys(d, device_keys, NULL, "device") || !check_strings(d, strings, "device"))
		return false;
	if (!json_is_array(ids) || json_array_size(ids) == 0)
		return bad("device: needs at least one identifier");
	json_array_foreach(ids, i, v)
		if (!json_is_string(v) || !*json_string_value(v))
			return bad("device: identifiers must be strings");
	return true;
}

static bool check_origin(const json_t *o)
{
	static const char *const keys[] = { "name", "sw_version", "support_url", NULL };

	if (!json_is_object(o) || !json_is_string(json_object_get(o, "name")))
		return bad("origin: an object with a name is required");
	return check_keys(o, keys, NULL, "origin") && check_strings(o, keys, "origin");
}

static bool check_availability(const json_t *p)
{
	static const char *const keys[] = {
		"topic", "payload_available", "payload_not_available", "value_template", NULL,
	};
	const json_t *list = json_object_get(p, "availability");
	const json_t *mode = json_object_get(p, "availability_mode");
	static const char *const modes[] = { "all", "any", "latest", NULL };
	size_t i;
	json_t *a;

	if (mode && !in(json_string_value(mode), modes))
		return bad("availability_mode must be all, any or latest");
	if (!list)
		return true;
	if (!json_is_array(list) || json_array_size(list) == 0)
		return bad("availability: expected a non-empty list");
	json_array_foreach(list, i, a) {
		if (!json_is_object(a) || !check_keys(a, keys, NULL, "availability") ||
		    !check_strings(a, keys, "availability"))
			return json_is_object(a) ? false : bad("availability: expected objects");
		if (!check_topic("availability.topic", json_object_get(a, "topic")))
			return false;
	}
	return true;
}

/* homeassistant.core.valid_entity_id, with the domain the component. */
static bool check_entity_id(const json_t *v, const char *component)
{
	const char *s = json_string_value(v), *dot;
	size_t n = strlen(component);

	if (!s)
		return bad("default_entity_id: expected a string");
	dot = s + n;
	if (strncmp(s, component, n) != 0 || *dot != '.')
		return bad("default_entity_id \"%s\" is not in domain %s", s, component);
	if (!dot[1] || dot[1] == '_' || s[strlen(s) - 1] == '_' || strstr(dot, "__"))
		return bad("default_entity_id \"%s\": bad underscores", s);
	for (const char *c = dot + 1; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return bad("default_entity_id \"%s\": only a-z, 0-9 and _", s);
	return true;
}

/* What every entity component shares. */
static bool check_entity_common(const json_t *p, const char *component)
{
	const json_t *name = json_object_get(p, "name");
	const json_t *cat = json_object_get(p, "entity_category");
	static const char *const cats[] = { "config", "diagnostic", NULL };

	if (!json_is_string(json_object_get(p, "unique_id")))
		return bad("%s: unique_id must be a string (meshgate always sets one)", component);
	if (name && !json_is_string(name) && !json_is_null(name))
		return bad("%s: name must be a string or null", component);
	if (cat && !in(json_string_value(cat), cats))
		return bad("%s: entity_category must be config or diagnostic", component);
	if (json_object_get(p, "default_entity_id") &&
	    !check_entity_id(json_object_get(p, "default_entity_id"), component))
		return false;
	if (json_object_get(p, "device") && !check_device(json_object_get(p, "device")))
		return false;
	if (json_object_get(p, "origin") && !check_origin(json_object_get(p, "origin")))
		return false;
	return check_availability(p);
}

static bool check_bool(const json_t *p, const char *key)
{
	const json_t *v = json_object_get(p, key);

	return !v || json_is_boolean(v) ? true : bad("%s must be true or false", key);
}

static bool check_positive_int(const json_t *p, const char *key)
{
	const json_t *v = json_object_get(p, key);

	return !v || (json_is_integer(v) && json_integer_value(v) >= 0)
		       ? true
		       : bad("%s must be a positive integer", key);
}

/* light/__init__.py valid_supported_color_modes. */
static bool check_color_modes(const json_t *modes)
{
	bool onoff = false, brightness = false, white = false, colour = false;
	size_t i, j;
	json_t *m;

	if (!json_is_array(modes) || json_array_size(modes) == 0)
		return bad("supported_color_modes: expected a non-empty list");
	json_array_foreach(modes, i, m) {
		const char *s = json_string_value(m);

		if (!in(s, color_modes))
			return bad("supported_color_modes: \"%s\" is not a colour mode",
				   s ? s : "?");
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(modes, j), m))
				return bad("supported_color_modes: \"%s\" twice", s);
		onoff |= strcmp(s, "onoff") == 0;
		brightness |= strcmp(s, "brightness") == 0;
		white |= strcmp(s, "white") == 0;
		colour |= strcmp(s, "hs") == 0 || strcmp(s, "xy") == 0 || strncmp(s, "rgb", 3) == 0;
	}
	if ((onoff || brightness) && json_array_size(modes) > 1)
		return bad("supported_color_modes: onoff and brightness must be alone");
	if (white && !colour)
		return bad("supported_color_modes: white needs a colour mode");
	return true;
}

static bool check_light(const json_t *p)
{
	const json_t *lo = json_object_get(p, "min_kelvin"), *hi = json_object_get(p, "max_kelvin");
	static const char *const bools[] = { "brightness", "color_temp_kelvin", "effect", "flash",
					     "optimistic", "retain", "transition", NULL };

	if (!check_keys(p, light_json_keys, common_keys, "light") ||
	    !check_entity_common(p, "light"))
		return false;
	if (!json_object_get(p, "command_topic"))
		return bad("light: command_topic is required");
	if (!check_topic("command_topic", json_object_get(p, "command_topic")) ||
	    (json_object_get(p, "state_topic") &&
	     !check_topic("state_topic", json_object_get(p, "state_topic"))))
		return false;
	if (!json_is_string(json_object_get(p, "schema")) ||
	    strcmp(json_string_value(json_object_get(p, "schema")), "json") != 0)
		return bad("light: schema must be \"json\" for JSON state and commands");
	for (const char *const *b = bools; *b; b++)
		if (!check_bool(p, *b))
			return false;
	if (!check_positive_int(p, "min_kelvin") || !check_positive_int(p, "max_kelvin") ||
	    !check_positive_int(p, "min_mireds") || !check_positive_int(p, "max_mireds") ||
	    !check_positive_int(p, "brightness_scale"))
		return false;
	if ((lo || hi) && (!lo || !hi || json_integer_value(lo) >= json_integer_value(hi)))
		return bad("light: min_kelvin must be below max_kelvin");
	return check_color_modes(json_object_get(p, "supported_color_modes"));
}

static bool check_sensor(const json_t *p)
{
	const char *dc = json_string_value(json_object_get(p, "device_class"));
	const char *unit = json_string_value(json_object_get(p, "unit_of_measurement"));
	const char *sc = json_string_value(json_object_get(p, "state_class"));
	static const char *const strings[] = { "value_template", "unit_of_measurement",
					       "device_class", "state_class", NULL };

	if (!check_keys(p, sensor_keys, common_keys, "sensor") || !check_entity_common(p, "sensor") ||
	    !check_strings(p, strings, "sensor"))
		return false;
	if (!check_topic("state_topic", json_object_get(p, "state_topic")))
		return false;
	if (json_object_get(p, "entity_category") &&
	    strcmp(json_string_value(json_object_get(p, "entity_category")), "config") == 0)
		return bad("sensor: cannot be entity_category config");
	if (dc && !in(dc, sensor_device_classes))
		return bad("sensor: device_class \"%s\" is not a SensorDeviceClass", dc);
	if (sc && !in(sc, state_classes))
		return bad("sensor: state_class \"%s\" is not a SensorStateClass", sc);
	if (sc && dc && in(dc, non_numeric_classes))
		return bad("sensor: state_class with non-numeric device class %s", dc);
	if (unit && !*unit)
		return bad("sensor: an empty unit; leave it out instead");
	if (json_object_get(p, "last_reset_value_template") && (!sc || strcmp(sc, "total") != 0))
		return bad("sensor: last_reset_value_template only with state class total");
	if (!dc)
		return true;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(class_rules); i++) {
		if (strcmp(class_rules[i].device_class, dc) != 0)
			continue;
		if (!unit || !in(unit, class_rules[i].units))
			return bad("sensor: the unit of measurement `%s` is not valid together "
				   "with device class `%s`", unit ? unit : "None", dc);
		if (sc && !in(sc, class_rules[i].state_classes))
			return bad("sensor: state class %s does not fit device class %s", sc, dc);
		return true;
	}
	return bad("sensor: device class %s has no unit rules in this validator", dc);
}

static bool check_binary_sensor(const json_t *p)
{
	const char *dc = json_string_value(json_object_get(p, "device_class"));
	static const char *const strings[] = { "value_template", "payload_on", "payload_off",
					       "device_class", NULL };

	if (!check_keys(p, binary_sensor_keys, common_keys, "binary_sensor") ||
	    !check_entity_common(p, "binary_sensor") ||
	    !check_strings(p, strings, "binary_sensor"))
		return false;
	if (!check_topic("state_topic", json_object_get(p, "state_topic")))
		return false;
	if (dc && !in(dc, binary_device_classes))
		return bad("binary_sensor: device_class \"%s\" is not a "
			   "BinarySensorDeviceClass", dc);
	if (json_object_get(p, "entity_category") &&
	    strcmp(json_string_value(json_object_get(p, "entity_category")), "config") == 0)
		return bad("binary_sensor: cannot be entity_category config");
	return check_positive_int(p, "off_delay") && check_positive_int(p, "expire_after");
}

static bool check_trigger(const json_t *p)
{
	static const char *const required[] = { "automation_type", "device", "subtype", "topic",
						"type", NULL };
	static const char *const strings[] = { "automation_type", "subtype", "type",
					       "value_template", NULL };
	const json_t *payload = json_object_get(p, "payload");

	if (!check_keys(p, trigger_keys, NULL, "device_automation"))
		return false;
	for (const char *const *r = required; *r; r++)
		if (!json_object_get(p, *r))
			return bad("device_automation: %s is required", *r);
	if (!check_strings(p, strings, "device_automation"))
		return false;
	if (strcmp(json_string_value(json_object_get(p, "automation_type")), "trigger") != 0)
		return bad("device_automation: automation_type must be trigger");
	if (!in(json_string_value(json_object_get(p, "type")), trigger_types))
		return bad("device_automation: type is not one Home Assistant names");
	if (!*json_string_value(json_object_get(p, "subtype")))
		return bad("device_automation: empty subtype");
	if (payload && !json_is_string(payload) && !json_is_null(payload))
		return bad("device_automation: payload must be a string");
	if (json_object_get(p, "origin") && !check_origin(json_object_get(p, "origin")))
		return false;
	return check_topic("topic", json_object_get(p, "topic")) &&
	       check_device(json_object_get(p, "device"));
}

/* One message; NULL when valid, else why not. */
static const char *validate(const struct discovery_msg *m)
{
	char component[32];
	bool ok;

	if (!check_discovery_topic(m->topic, component, sizeof(component)))
		return verr;
	if (!json_is_object(m->payload)) {
		bad("%s: payload must be an object", m->topic);
		return verr;
	}
	if (strcmp(component, "light") == 0)
		ok = check_light(m->payload);
	else if (strcmp(component, "sensor") == 0)
		ok = check_sensor(m->payload);
	else if (strcmp(component, "binary_sensor") == 0)
		ok = check_binary_sensor(m->payload);
	else if (strcmp(component, "device_automation") == 0)
		ok = check_trigger(m->payload);
	else
		ok = bad("component %s is not one meshgate should send", component);
	return ok ? NULL : verr;
}

/* Every message valid; unique_ids, topics and triggers unique. */
static const char *validate_all(const struct discovery_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *why = validate(&l->msgs[i]);
		const json_t *p = l->msgs[i].payload;

		if (why) {
			snprintf(verr + strlen(verr), sizeof(verr) - strlen(verr), " [%.200s]",
				 l->msgs[i].topic);
			return verr;
		}
		for (size_t j = 0; j < i; j++) {
			const json_t *q = l->msgs[j].payload;
			const json_t *u = json_object_get(p, "unique_id");

			if (strcmp(l->msgs[i].topic, l->msgs[j].topic) == 0) {
				bad("topic %s twice", l->msgs[i].topic);
				return verr;
			}
			if (u && json_equal(u, json_object_get(q, "unique_id"))) {
				bad("unique_id %s twice", json_string_value(u));
				return verr;
			}
			if (json_object_get(p, "automation_type") &&
			    json_equal(json_object_get(p, "device"), json_object_get(q, "device")) &&
			    json_equal(json_object_get(p, "type"), json_object_get(q, "type")) &&
			    json_equal(json_object_get(p, "subtype"), json_object_get(q, "subtype"))) {
				bad("trigger %s/%s twice on one device",
				    json_string_value(json_object_get(p, "type")),
				    json_string_value(json_object_get(p, "subtype")));
				return verr;
			}
		}
	}
	return NULL;
}

static void assert_valid(const struct discovery_list *l)
{
	const char *why = validate_all(l);

	if (why)
		print_error("invalid: %s\n", why);
	assert_null(why);
}

/* ---- fixtures ------------------------------------------------------------------- */

static struct gw_entity element(uint8_t uuid_seed, uint8_t idx, uint32_t caps,
				const char *node_name)
{
	struct gw_entity e;
	char hex[33];

	memset(&e, 0, sizeof(e));
	e.kind = GW_ENTITY_ELEMENT;
	for (int i = 0; i < 16; i++)
		e.node_uuid[i] = (uint8_t)(uuid_seed + 17 * i);
	mesh_hex_encode(e.node_uuid, 16, hex);
	snprintf(e.unique_id, sizeof(e.unique_id), "%s_%u", hex, idx);
	e.caps = caps;
	e.node_addr = 0x0100;
	e.addr = (uint16_t)(0x0100 + idx);
	e.elem_idx = idx;
	snprintf(e.node_name, sizeof(e.node_name), "%s", node_name);
	if (idx)
		snprintf(e.name, sizeof(e.name), "%s/%u", node_name, idx);
	else
		snprintf(e.name, sizeof(e.name), "%s", node_name);
	e.temp_min_k = 800;
	e.temp_max_k = 20000;
	return e;
}

static struct gw_entity group(uint16_t addr, const char *name)
{
	struct gw_entity e;

	memset(&e, 0, sizeof(e));
	e.kind = GW_ENTITY_GROUP;
	e.addr = addr;
	e.caps = GW_CAP_ONOFF | GW_CAP_LIGHTNESS;
	snprintf(e.unique_id, sizeof(e.unique_id), "group_%04x", addr);
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.temp_min_k = 800;
	e.temp_max_k = 20000;
	return e;
}

static const struct discovery_msg *find(const struct discovery_list *l, const char *topic)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->msgs[i].topic, topic) == 0)
			return &l->msgs[i];
	print_error("no message on %s\n", topic);
	return NULL;
}

static const char *str(const json_t *p, const char *key)
{
	const char *s = json_string_value(json_object_get(p, key));

	assert_non_null(s);
	return s;
}

static void assert_modes(const json_t *p, const char *a, const char *b)
{
	const json_t *modes = json_object_get(p, "supported_color_modes");

	assert_int_equal(json_array_size(modes), b ? 2 : 1);
	assert_string_equal(json_string_value(json_array_get(modes, 0)), a);
	if (b)
		assert_string_equal(json_string_value(json_array_get(modes, 1)), b);
}

/* The state JSON of the light, for a state its models can report, only
 * names colour modes its discovery config declares. */
static void assert_state_fits(const struct gw_entity *e, const json_t *config)
{
	struct gw_elem_state st;
	const json_t *modes = json_object_get(config, "supported_color_modes");

	memset(&st, 0, sizeof(st));
	st.known = GW_STATE_ONOFF | GW_STATE_LIGHTNESS | GW_STATE_CTL | GW_STATE_HSL;
	st.target_onoff = 1;
	st.target_lightness = 0x8000;
	st.target_temperature = 3000;
	for (int sat = 0; sat < 2; sat++) {
		json_t *j;
		const json_t *mode;
		size_t i;
		bool found = false;
		json_t *m;

		st.saturation = sat ? 0x8000 : 0;
		j = gw_entity_state_json(e, &st);
		assert_non_null(j);
		assert_non_null(json_object_get(j, "state"));
		mode = json_object_get(j, "color_mode");
		if (mode) {
			json_array_foreach(modes, i, m)
				found = found || json_equal(m, mode);
			assert_true(found);
		}
		json_decref(j);
	}
}

/* ---- the validator can fail ------------------------------------------------------- */

static void expect_invalid(const char *topic, const char *payload, const char *why)
{
	struct discovery_msg m;
	json_error_t jerr;
	const char *got;

	snprintf(m.topic, sizeof(m.topic), "%s", topic);
	m.payload = json_loads(payload, 0, &jerr);
	assert_non_null(m.payload);
	got = validate(&m);
	if (!got || !strstr(got, why))
		print_error("%s: got %s, want ...%s...\n", payload, got ? got : "valid", why);
	assert_non_null(got);
	assert_non_null(strstr(got, why));
	json_decref(m.payload);
}

/* A light config up to its colour modes. */
#define LIGHT_HEAD "{\"unique_id\":\"u\",\"schema\":\"json\",\"command_topic\":\"meshgate/a/set\","

static void test_validator_rejects(void **state)
{
	static const char good_light[] =
		"{\"unique_id\":\"u\",\"schema\":\"json\",\"command_topic\":\"meshgate/a/set\","
		"\"state_topic\":\"meshgate/a\",\"supported_color_modes\":[\"brightness\"],"
		"\"device\":{\"identifiers\":[\"x\"]}}";
	struct discovery_msg m;

	(void)state;
	/* The good one first: the rejections below are about one thing each. */
	snprintf(m.topic, sizeof(m.topic), "homeassistant/light/node/obj/config");
	m.payload = json_loads(good_light, 0, NULL);
	assert_null(validate(&m));
	json_decref(m.payload);

	expect_invalid("homeassistant/light/no de/obj/config", good_light, "node_id must match");
	expect_invalid("homeassistant/light/node/obj.1/config", good_light, "object_id must match");
	expect_invalid("homeassistant/lamp/node/obj/config", good_light, "not supported");
	expect_invalid("homeassistant/light/node/obj/conf", good_light, "/config");
	expect_invalid("homeassistant/light/node/obj/config",
		       LIGHT_HEAD "\"brigthness\":true,\"supported_color_modes\":[\"onoff\"]}",
		       "key \"brigthness\"");
	expect_invalid("homeassistant/light/node/obj/config",
		       "{\"unique_id\":\"u\",\"schema\":\"json\",\"state_topic\":\"meshgate/a\","
		       "\"supported_color_modes\":[\"onoff\"]}", "command_topic is required");
	expect_invalid("homeassistant/light/node/obj/config",
		       "{\"unique_id\":\"u\",\"schema\":\"json\",\"command_topic\":\"meshgate/+/set\","
		       "\"supported_color_modes\":[\"onoff\"]}", "not a valid topic");
	expect_invalid("homeassistant/light/node/obj/config",
		       LIGHT_HEAD "\"supported_color_modes\":[\"onoff\",\"brightness\"]}", "must be alone");
	expect_invalid("homeassistant/light/node/obj/config",
		       LIGHT_HEAD "\"supported_color_modes\":[\"hs\",\"hs\"]}", "twice");
	expect_invalid("homeassistant/light/node/obj/config",
		       LIGHT_HEAD "\"supported_color_modes\":[\"white\"]}", "white needs");
	expect_invalid("homeassistant/light/node/obj/config",
		       LIGHT_HEAD "\"supported_color_modes\":[\"color_temp\"],\"min_kelvin\":6500,"
		       "\"max_kelvin\":2700}", "min_kelvin must be below");
	expect_invalid("homeassistant/light/node/obj/config",
		       LIGHT_HEAD "\"supported_color_modes\":[\"onoff\"],\"availability_mode\":\"none\"}",
		       "availability_mode");
	expect_invalid("homeassistant/light/node/obj/config",
		       LIGHT_HEAD "\"supported_color_modes\":[\"onoff\"],\"device\":{\"name\":\"x\"}}",
		       "at least one identifier");
	expect_invalid("homeassistant/light/node/obj/config",
		       LIGHT_HEAD "\"supported_color_modes\":[\"onoff\"],\"default_entity_id\":\"light.A\"}",
		       "only a-z");
	expect_invalid("homeassistant/light/node/obj/config",
		       LIGHT_HEAD "\"supported_color_modes\":[\"onoff\"],\"default_entity_id\":\"sensor.a\"}",
		       "not in domain");
	expect_invalid("homeassistant/sensor/node/obj/config",
		       "{\"unique_id\":\"u\",\"state_topic\":\"meshgate/a\","
		       "\"device_class\":\"temperature\",\"unit_of_measurement\":\"C\"}",
		       "not valid together with device class");
	expect_invalid("homeassistant/sensor/node/obj/config",
		       "{\"unique_id\":\"u\",\"state_topic\":\"meshgate/a\","
		       "\"device_class\":\"energy\",\"unit_of_measurement\":\"kWh\","
		       "\"state_class\":\"measurement\"}", "does not fit");
	expect_invalid("homeassistant/sensor/node/obj/config",
		       "{\"unique_id\":\"u\",\"state_topic\":\"meshgate/a\","
		       "\"device_class\":\"warmth\"}", "not a SensorDeviceClass");
	expect_invalid("homeassistant/sensor/node/obj/config",
		       "{\"unique_id\":\"u\",\"state_topic\":\"meshgate/a\","
		       "\"unit_of_measurement\":\"\"}", "empty unit");
	expect_invalid("homeassistant/binary_sensor/node/obj/config",
		       "{\"unique_id\":\"u\",\"state_topic\":\"meshgate/a\","
		       "\"device_class\":\"movement\"}", "not a BinarySensorDeviceClass");
	expect_invalid("homeassistant/binary_sensor/node/obj/config",
		       "{\"unique_id\":\"u\",\"state_topic\":\"meshgate/a\","
		       "\"unit_of_measurement\":\"%\"}", "key \"unit_of_measurement\"");
	expect_invalid("homeassistant/device_automation/node/obj/config",
		       "{\"automation_type\":\"trigger\",\"topic\":\"meshgate/a/action\","
		       "\"type\":\"button_short_press\",\"device\":{\"identifiers\":[\"x\"]}}",
		       "subtype is required");
	expect_invalid("homeassistant/device_automation/node/obj/config",
		       "{\"automation_type\":\"trigger\",\"topic\":\"meshgate/a/action\","
		       "\"type\":\"pressed\",\"subtype\":\"turn_on\","
		       "\"device\":{\"identifiers\":[\"x\"]}}", "type is not one");
	expect_invalid("homeassistant/device_automation/node/obj/config",
		       "{\"automation_type\":\"trigger\",\"topic\":\"meshgate/a/action\","
		       "\"type\":\"button_short_press\",\"subtype\":\"turn_on\","
		       "\"unique_id\":\"u\",\"device\":{\"identifiers\":[\"x\"]}}",
		       "key \"unique_id\"");
}

static void test_validator_rejects_duplicates(void **state)
{
	struct discovery_list l = { 0 };
	struct gw_entity a = element(1, 0, GW_CAP_ONOFF, "Lamp"), b = a;

	(void)state;
	assert_int_equal(discovery_entity(&ctx, &a, &l), 0);
	assert_null(validate_all(&l));
	/* The same entity again: every topic and unique_id twice. */
	snprintf(b.name, sizeof(b.name), "Lamp two");
	assert_int_equal(discovery_entity(&ctx, &b, &l), 0);
	assert_non_null(validate_all(&l));
	assert_non_null(strstr(verr, "twice"));
	discovery_list_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.msgs);
}

/* ---- lights ------------------------------------------------------------------------ */

static void test_lights(void **state)
{
	struct discovery_list l = { 0 };
	struct gw_entity onoff = element(0x10, 0, GW_CAP_ONOFF, "Porch");
	struct gw_entity dim = element(0x20, 0, GW_CAP_ONOFF | GW_CAP_LEVEL | GW_CAP_LIGHTNESS,
				       "Kitchen");
	struct gw_entity ctl = element(0x30, 0, GW_CAP_ONOFF | GW_CAP_LIGHTNESS | GW_CAP_CTL,
				       "Desk lamp");
	struct gw_entity hsl = element(0x40, 1, GW_CAP_ONOFF | GW_CAP_LIGHTNESS | GW_CAP_HSL,
				       "Strip");
	struct gw_entity both = element(0x50, 0, GW_CAP_ONOFF | GW_CAP_LIGHTNESS | GW_CAP_CTL |
					GW_CAP_HSL, "Bulb");
	const struct discovery_msg *m;
	const json_t *p, *av, *dev;
	char topic[200];

	(void)state;
	ctl.temp_min_k = 2700;
	ctl.temp_max_k = 6500;
	snprintf(hsl.name, sizeof(hsl.name), "Strip/rgb");
	assert_int_equal(discovery_entity(&ctx, &onoff, &l), 0);
	assert_int_equal(discovery_entity(&ctx, &dim, &l), 0);
	assert_int_equal(discovery_entity(&ctx, &ctl, &l), 0);
	assert_int_equal(discovery_entity(&ctx, &hsl, &l), 0);
	assert_int_equal(discovery_entity(&ctx, &both, &l), 0);
	assert_valid(&l);
	/* A light each, a connectivity sensor for every element 0. */
	assert_int_equal(l.n, 5 + 4);

	m = find(&l, "homeassistant/light/meshgate_10213243/light_e0/config");
	assert_non_null(m);
	p = m->payload;
	assert_modes(p, "onoff", NULL);
	assert_true(json_is_null(json_object_get(p, "name")));
	assert_string_equal(str(p, "schema"), "json");
	assert_string_equal(str(p, "state_topic"), "meshgate/Porch");
	assert_string_equal(str(p, "command_topic"), "meshgate/Porch/set");
	assert_string_equal(str(p, "default_entity_id"), "light.porch");
	assert_true(json_is_false(json_object_get(p, "flash")));
	assert_null(json_object_get(p, "brightness"));
	assert_string_equal(str(p, "availability_mode"), "all");
	av = json_object_get(p, "availability");
	assert_int_equal(json_array_size(av), 2);
	assert_string_equal(str(json_array_get(av, 0), "topic"), "meshgate/bridge/state");
	assert_string_equal(str(json_array_get(av, 0), "value_template"),
			    "{{ value_json.state }}");
	assert_string_equal(str(json_array_get(av, 1), "topic"), "meshgate/Porch/availability");
	dev = json_object_get(p, "device");
	assert_string_equal(str(dev, "name"), "Porch");
	assert_string_equal(str(dev, "via_device"), "meshgate_0123abcd");
	assert_string_equal(json_string_value(json_array_get(json_object_get(dev, "identifiers"), 0)),
			    "meshgate_102132435465768798a9bacbdcedfe0f");
	assert_string_equal(str(json_object_get(p, "origin"), "name"), "meshgate");
	assert_string_equal(str(json_object_get(p, "origin"), "sw_version"), "0.1.0");
	assert_state_fits(&onoff, p);

	m = find(&l, "homeassistant/light/meshgate_20314253/light_e0/config");
	assert_non_null(m);
	assert_modes(m->payload, "brightness", NULL);
	assert_state_fits(&dim, m->payload);

	m = find(&l, "homeassistant/light/meshgate_30415263/light_e0/config");
	assert_non_null(m);
	assert_modes(m->payload, "color_temp", NULL);
	assert_int_equal(json_integer_value(json_object_get(m->payload, "min_kelvin")), 2700);
	assert_int_equal(json_integer_value(json_object_get(m->payload, "max_kelvin")), 6500);
	assert_null(json_object_get(m->payload, "color_temp_kelvin"));   /* mireds in payloads */
	assert_string_equal(str(m->payload, "default_entity_id"), "light.desk_lamp");
	assert_state_fits(&ctl, m->payload);

	/* Element 1: its own name in the entity, no connectivity of its own. */
	m = find(&l, "homeassistant/light/meshgate_40516273/light_e1/config");
	assert_non_null(m);
	assert_modes(m->payload, "hs", NULL);
	assert_string_equal(str(m->payload, "name"), "rgb");
	assert_string_equal(str(m->payload, "state_topic"), "meshgate/Strip/rgb");
	assert_string_equal(str(m->payload, "default_entity_id"), "light.strip_rgb");
	assert_null(json_object_get(m->payload, "min_kelvin"));
	assert_state_fits(&hsl, m->payload);
	snprintf(topic, sizeof(topic), "homeassistant/binary_sensor/meshgate_40516273/"
		 "connectivity/config");
	for (size_t i = 0; i < l.n; i++)
		assert_string_not_equal(l.msgs[i].topic, topic);

	m = find(&l, "homeassistant/light/meshgate_50617283/light_e0/config");
	assert_non_null(m);
	assert_modes(m->payload, "color_temp", "hs");
	assert_int_equal(json_integer_value(json_object_get(m->payload, "min_kelvin")), 800);
	assert_int_equal(json_integer_value(json_object_get(m->payload, "max_kelvin")), 20000);
	assert_state_fits(&both, m->payload);

	/* Connectivity: heartbeat liveness of the node. */
	m = find(&l, "homeassistant/binary_sensor/meshgate_20314253/connectivity/config");
	assert_non_null(m);
	p = m->payload;
	assert_string_equal(str(p, "device_class"), "connectivity");
	assert_string_equal(str(p, "entity_category"), "diagnostic");
	assert_string_equal(str(p, "state_topic"), "meshgate/Kitchen/availability");
	assert_string_equal(str(p, "value_template"), "{{ value_json.state }}");
	assert_string_equal(str(p, "payload_on"), "online");
	assert_string_equal(str(p, "payload_off"), "offline");
	av = json_object_get(p, "availability");
	assert_int_equal(json_array_size(av), 1);
	assert_string_equal(str(json_array_get(av, 0), "topic"), "meshgate/bridge/state");
	discovery_list_free(&l);
}

/* ---- sensors ------------------------------------------------------------------------ */

static void test_sensors(void **state)
{
	struct discovery_list l = { 0 };
	struct gw_entity hall = element(0x60, 1, GW_CAP_SENSOR, "Hall");
	struct gw_entity hall0 = element(0x60, 0, GW_CAP_SENSOR, "Hall");
	const struct discovery_msg *m;
	struct gw_elem_state st;
	json_t *j;

	(void)state;
	hall.sensors[hall.n_sensors++] = MESH_PROP_PRESENT_AMBIENT_TEMPERATURE;
	hall.sensors[hall.n_sensors++] = MESH_PROP_PRESENT_AMBIENT_RELATIVE_HUMIDITY;
	hall.sensors[hall.n_sensors++] = MESH_PROP_MOTION_SENSED;
	hall.sensors[hall.n_sensors++] = 0x1234;                               /* unknown */
	hall.sensors[hall.n_sensors++] = MESH_PROP_PRESENT_AMBIENT_TEMPERATURE; /* again */
	hall0.sensors[hall0.n_sensors++] = MESH_PROP_PEOPLE_COUNT;
	hall0.sensors[hall0.n_sensors++] = MESH_PROP_PRESENCE_DETECTED;
	hall0.sensors[hall0.n_sensors++] = MESH_PROP_TOTAL_DEVICE_ENERGY_USE;
	hall0.sensors[hall0.n_sensors++] = MESH_PROP_TIME_SINCE_MOTION_SENSED;
	hall0.sensors[hall0.n_sensors++] = MESH_PROP_PRESENT_AMBIENT_CO2_CONCENTRATION;
	hall0.sensors[hall0.n_sensors++] = MESH_PROP_PRESENT_AMBIENT_VOC_CONCENTRATION;
	hall0.sensors[hall0.n_sensors++] = MESH_PROP_PRESENT_INPUT_VOLTAGE;
	hall0.sensors[hall0.n_sensors++] = MESH_PROP_PRESENT_INPUT_CURRENT;
	hall0.sensors[hall0.n_sensors++] = MESH_PROP_PRESENT_DEVICE_INPUT_POWER;
	hall0.sensors[hall0.n_sensors++] = MESH_PROP_PRESENT_AMBIENT_LIGHT_LEVEL;
	assert_int_equal(discovery_entity(&ctx, &hall, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(discovery_entity(&ctx, &hall0, &l), 0);
	assert_int_equal(l.n, 3 + 10 + 1);
	assert_valid(&l);

	m = find(&l, "homeassistant/sensor/meshgate_60718293/temperature_e1/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "device_class"), "temperature");
	assert_string_equal(str(m->payload, "unit_of_measurement"), "°C");
	assert_string_equal(str(m->payload, "state_class"), "measurement");
	assert_string_equal(str(m->payload, "value_template"), "{{ value_json.temperature }}");
	assert_string_equal(str(m->payload, "state_topic"), "meshgate/Hall/1");
	assert_string_equal(str(m->payload, "name"), "1 temperature");
	assert_string_equal(str(m->payload, "default_entity_id"), "sensor.hall_1_temperature");
	m = find(&l, "homeassistant/sensor/meshgate_60718293/humidity_e1/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "unit_of_measurement"), "%");
	m = find(&l, "homeassistant/binary_sensor/meshgate_60718293/motion_e1/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "device_class"), "motion");
	assert_string_equal(str(m->payload, "payload_on"), "ON");
	assert_string_equal(str(m->payload, "payload_off"), "OFF");
	assert_non_null(strstr(str(m->payload, "value_template"), "value_json.motion > 0"));
	assert_non_null(strstr(str(m->payload, "value_template"),
			       "'None' if value_json.motion is none"));

	/* Element 0: names without a prefix, and the node's connectivity. */
	m = find(&l, "homeassistant/sensor/meshgate_60718293/people_count_e0/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "name"), "People count");
	assert_null(json_object_get(m->payload, "device_class"));
	assert_null(json_object_get(m->payload, "unit_of_measurement"));
	m = find(&l, "homeassistant/binary_sensor/meshgate_60718293/presence_e0/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "device_class"), "occupancy");
	m = find(&l, "homeassistant/sensor/meshgate_60718293/energy_e0/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "state_class"), "total_increasing");
	assert_string_equal(str(m->payload, "unit_of_measurement"), "kWh");
	m = find(&l, "homeassistant/sensor/meshgate_60718293/time_since_motion_e0/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "device_class"), "duration");
	assert_string_equal(str(m->payload, "name"), "Time since motion");
	assert_non_null(find(&l, "homeassistant/binary_sensor/meshgate_60718293/"
				 "connectivity/config"));

	/* Every template reads a member the state JSON has. */
	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < hall0.n_sensors; i++) {
		struct gw_sensor_reading *r = &st.sensors[st.n_sensors++];

		r->prop = hall0.sensors[i];
		r->value.prop = r->prop;
	}
	j = gw_entity_state_json(&hall0, &st);
	for (size_t i = 0; i < hall0.n_sensors; i++)
		assert_true(json_object_get(j, gw_sensor_class_of(hall0.sensors[i])->key) != NULL);
	json_decref(j);
	discovery_list_free(&l);
}

/* ---- switches, groups, bridge --------------------------------------------------------- */

static void test_switch_triggers(void **state)
{
	struct discovery_list l = { 0 };
	struct gw_entity sw0 = element(0x70, 0, GW_CAP_SWITCH, "Wall");
	struct gw_entity sw1 = element(0x70, 1, GW_CAP_SWITCH | GW_CAP_DIMMER, "Wall");
	const struct discovery_msg *m;

	(void)state;
	assert_int_equal(discovery_entity(&ctx, &sw0, &l), 0);
	assert_int_equal(discovery_entity(&ctx, &sw1, &l), 0);
	assert_int_equal(l.n, 2 + 1 + 2);
	assert_valid(&l);
	m = find(&l, "homeassistant/device_automation/meshgate_708192a3/action_e0_on/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "automation_type"), "trigger");
	assert_string_equal(str(m->payload, "topic"), "meshgate/Wall/action");
	assert_string_equal(str(m->payload, "payload"), "on");
	assert_string_equal(str(m->payload, "type"), "button_short_press");
	assert_string_equal(str(m->payload, "subtype"), "turn_on");
	m = find(&l, "homeassistant/device_automation/meshgate_708192a3/action_e0_off/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "payload"), "off");
	assert_string_equal(str(m->payload, "subtype"), "turn_off");
	/* A second switch element of the same node: told apart by subtype. */
	m = find(&l, "homeassistant/device_automation/meshgate_708192a3/action_e1_on/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "topic"), "meshgate/Wall/1/action");
	assert_string_equal(str(m->payload, "subtype"), "element_1_turn_on");
	discovery_list_free(&l);
}

static void test_groups_and_bridge(void **state)
{
	struct discovery_list l = { 0 };
	struct gw_entity g = group(0xc001, "Living room");
	struct gw_entity v = group(0x8123, "Everything");
	struct gw_entity none = group(0xc002, "Sensors");
	const struct discovery_msg *m;
	const json_t *av, *dev;

	(void)state;
	v.has_label = true;
	snprintf(v.unique_id, sizeof(v.unique_id), "group_00112233445566778899aabbccddeeff");
	v.caps |= GW_CAP_CTL;
	none.caps = GW_CAP_SENSOR;
	assert_int_equal(discovery_bridge(&ctx, &l), 0);
	assert_int_equal(discovery_entity(&ctx, &g, &l), 0);
	assert_int_equal(discovery_entity(&ctx, &v, &l), 0);
	assert_int_equal(discovery_entity(&ctx, &none, &l), 0);   /* not a light: nothing */
	assert_int_equal(l.n, 3);
	assert_valid(&l);

	m = find(&l, "homeassistant/binary_sensor/meshgate_0123abcd/connectivity/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "state_topic"), "meshgate/bridge/state");
	assert_string_equal(str(m->payload, "device_class"), "connectivity");
	assert_null(json_object_get(m->payload, "availability"));
	dev = json_object_get(m->payload, "device");
	assert_string_equal(json_string_value(json_array_get(json_object_get(dev, "identifiers"), 0)),
			    "meshgate_0123abcd");
	assert_string_equal(str(dev, "name"), "meshgate");
	assert_string_equal(str(dev, "model"), "Bluetooth Mesh gateway");
	assert_string_equal(str(dev, "sw_version"), "0.1.0");
	assert_null(json_object_get(dev, "via_device"));

	m = find(&l, "homeassistant/light/meshgate_0123abcd/light_group_c001/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "name"), "Living room");
	assert_string_equal(str(m->payload, "state_topic"), "meshgate/Living room");
	assert_string_equal(str(m->payload, "command_topic"), "meshgate/Living room/set");
	assert_string_equal(str(m->payload, "default_entity_id"), "light.living_room");
	assert_modes(m->payload, "brightness", NULL);
	av = json_object_get(m->payload, "availability");
	assert_int_equal(json_array_size(av), 1);
	assert_string_equal(str(json_array_get(av, 0), "topic"), "meshgate/bridge/state");
	dev = json_object_get(m->payload, "device");
	assert_string_equal(str(dev, "name"), "meshgate");
	m = find(&l, "homeassistant/light/meshgate_0123abcd/"
		 "light_group_00112233445566778899aabbccddeeff/config");
	assert_non_null(m);
	assert_modes(m->payload, "color_temp", NULL);
	discovery_list_free(&l);
}

/* Everything at once, as the bridge publishes it: ids stay unique. */
static void test_whole_network(void **state)
{
	struct discovery_list l = { 0 };
	struct gw_entity es[] = {
		element(0x10, 0, GW_CAP_ONOFF | GW_CAP_LIGHTNESS | GW_CAP_CTL, "A"),
		element(0x10, 1, GW_CAP_LEVEL, "A"),   /* its CTL Temperature element */
		element(0x10, 2, GW_CAP_SENSOR | GW_CAP_SWITCH, "A"),
		element(0x11, 0, GW_CAP_ONOFF | GW_CAP_SENSOR, "B"),
		group(0xc000, "All lights"),
	};

	(void)state;
	es[2].sensors[es[2].n_sensors++] = MESH_PROP_PRESENT_AMBIENT_TEMPERATURE;
	es[3].sensors[es[3].n_sensors++] = MESH_PROP_PRESENT_AMBIENT_TEMPERATURE;
	assert_int_equal(discovery_bridge(&ctx, &l), 0);
	for (size_t i = 0; i < MESH_ARRAY_SIZE(es); i++)
		assert_int_equal(discovery_entity(&ctx, &es[i], &l), 0);
	assert_valid(&l);
	assert_int_equal(l.n, 1 + 2 + 0 + 3 + 3 + 1);
	for (size_t i = 0; i < l.n; i++)
		assert_null(strstr(l.msgs[i].topic, "light_e1"));
	discovery_list_free(&l);
}

/* ---- renames, topics, bad input -------------------------------------------------------- */

static void test_rename_keeps_ids(void **state)
{
	struct discovery_list a = { 0 }, b = { 0 };
	struct gw_entity before = element(0x90, 1, GW_CAP_ONOFF | GW_CAP_LIGHTNESS | GW_CAP_SENSOR |
					  GW_CAP_SWITCH, "Kitchen");
	struct gw_entity after = before;

	(void)state;
	before.sensors[before.n_sensors++] = MESH_PROP_PRESENT_AMBIENT_TEMPERATURE;
	after = before;
	snprintf(after.name, sizeof(after.name), "Office/ceiling");
	snprintf(after.node_name, sizeof(after.node_name), "Office");
	assert_int_equal(discovery_entity(&ctx, &before, &a), 0);
	assert_int_equal(discovery_entity(&ctx, &after, &b), 0);
	assert_valid(&a);
	assert_valid(&b);
	assert_int_equal(a.n, b.n);
	assert_int_equal(a.n, 1 + 1 + 2);
	for (size_t i = 0; i < a.n; i++) {
		const json_t *pa = a.msgs[i].payload, *pb = b.msgs[i].payload;

		assert_string_equal(a.msgs[i].topic, b.msgs[i].topic);
		if (json_object_get(pa, "unique_id"))
			assert_true(json_equal(json_object_get(pa, "unique_id"),
					       json_object_get(pb, "unique_id")));
		/* The device is the same device, under its new name. */
		assert_true(json_equal(json_object_get(json_object_get(pa, "device"), "identifiers"),
				       json_object_get(json_object_get(pb, "device"), "identifiers")));
		assert_false(json_equal(json_object_get(json_object_get(pa, "device"), "name"),
					json_object_get(json_object_get(pb, "device"), "name")));
	}
	/* State and command topics follow the name. */
	assert_string_equal(str(a.msgs[0].payload, "state_topic"), "meshgate/Kitchen/1");
	assert_string_equal(str(b.msgs[0].payload, "state_topic"), "meshgate/Office/ceiling");
	assert_string_equal(str(b.msgs[0].payload, "command_topic"), "meshgate/Office/ceiling/set");
	assert_string_equal(str(b.msgs[0].payload, "name"), "ceiling");
	assert_string_equal(str(b.msgs[1].payload, "state_topic"), "meshgate/Office/ceiling");
	assert_string_equal(str(b.msgs[2].payload, "topic"), "meshgate/Office/ceiling/action");
	discovery_list_free(&a);
	discovery_list_free(&b);
}

static void test_topics_and_bad_input(void **state)
{
	struct discovery_list l = { 0 };
	struct gw_entity e = element(0xa0, 0, GW_CAP_ONOFF, "Hall");
	struct discovery_ctx c = ctx;
	char topic[64];

	(void)state;
	discovery_state_topic(&ctx, &e, topic, sizeof(topic));
	assert_string_equal(topic, "meshgate/Hall");
	discovery_state_topic(&ctx, &e, topic, 8);
	assert_string_equal(topic, "meshgat");

	/* A name with a wildcard cannot be a topic: refused, nothing added. */
	snprintf(e.name, sizeof(e.name), "Hall+1");
	assert_int_equal(discovery_entity(&ctx, &e, &l), -EINVAL);
	snprintf(e.name, sizeof(e.name), "Hall/#");
	assert_int_equal(discovery_entity(&ctx, &e, &l), -EINVAL);
	e.name[0] = '\0';
	assert_int_equal(discovery_entity(&ctx, &e, &l), -EINVAL);
	snprintf(e.name, sizeof(e.name), "Hall");
	c.prefix = "";
	assert_int_equal(discovery_entity(&c, &e, &l), -EINVAL);
	assert_int_equal(discovery_bridge(&c, &l), -EINVAL);
	c = ctx;
	c.base_topic = "mesh+gate";
	assert_int_equal(discovery_entity(&c, &e, &l), -EINVAL);
	assert_int_equal(l.n, 0);

	/* A name with no letter or digit still gives a valid entity id. */
	snprintf(e.name, sizeof(e.name), "Küche ☃");
	snprintf(e.node_name, sizeof(e.node_name), "ß");
	assert_int_equal(discovery_entity(&ctx, &e, &l), 0);
	assert_valid(&l);
	assert_string_equal(str(l.msgs[0].payload, "default_entity_id"), "light.k_che");
	assert_string_equal(str(l.msgs[1].payload, "default_entity_id"),
			    "binary_sensor.connectivity");
	discovery_list_free(&l);
	snprintf(e.name, sizeof(e.name), "___");
	assert_int_equal(discovery_entity(&ctx, &e, &l), 0);
	assert_valid(&l);
	assert_string_equal(str(l.msgs[0].payload, "default_entity_id"),
			    "light.meshgate_a0b1c2d3e4f5061728394a5b6c7d8e9f_0_light");
	discovery_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_rejects),
		cmocka_unit_test(test_validator_rejects_duplicates),
		cmocka_unit_test(test_lights),
		cmocka_unit_test(test_sensors),
		cmocka_unit_test(test_switch_triggers),
		cmocka_unit_test(test_groups_and_bridge),
		cmocka_unit_test(test_whole_network),
		cmocka_unit_test(test_rename_keeps_ids),
		cmocka_unit_test(test_topics_and_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
