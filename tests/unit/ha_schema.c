/*
 * Home Assistant's MQTT discovery schemas as a validator (ha_schema.h).
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
 *
 * Each check returns false after writing why into the check's buffer
 * (bad()), so the first rule broken is the one reported.
 */
#include "ha_schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mesh/util.h"

struct check {
	char *why;
	size_t len;
};

static bool bad(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool bad(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->len)
		return false;
	va_start(ap, fmt);
	vsnprintf(c->why, c->len, fmt, ap);
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

/* ---- topics ------------------------------------------------------------------- */

static bool id_chars(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* <prefix>/<component>/<node_id>/<object_id>/config; component out. */
static bool check_discovery_topic(struct check *c, const char *prefix, const char *topic,
				  char *component, size_t len)
{
	size_t plen = strlen(prefix);
	const char *p = topic, *slash;
	const char *node, *object;

	if (!plen || strncmp(p, prefix, plen) != 0 || p[plen] != '/')
		return bad(c, "%s: not under the prefix", topic);
	p += plen + 1;
	slash = strchr(p, '/');
	if (!slash || (size_t)(slash - p) >= len)
		return bad(c, "%s: no component", topic);
	memcpy(component, p, (size_t)(slash - p));
	component[slash - p] = '\0';
	if (!in(component, supported_components))
		return bad(c, "%s: component %s is not supported", topic, component);
	node = slash + 1;
	slash = strchr(node, '/');
	if (!slash || !id_chars(node, (size_t)(slash - node)))
		return bad(c, "%s: node_id must match [a-zA-Z0-9_-]+", topic);
	object = slash + 1;
	slash = strchr(object, '/');
	if (!slash || !id_chars(object, (size_t)(slash - object)))
		return bad(c, "%s: object_id must match [a-zA-Z0-9_-]+", topic);
	if (strcmp(slash, "/config") != 0)
		return bad(c, "%s: must end in /config", topic);
	return true;
}

/* valid_publish_topic (and so valid_subscribe_topic): no wildcard, no
 * NUL, 1..65535 octets. */
static bool check_topic(struct check *c, const char *key, const json_t *v)
{
	const char *t = json_string_value(v);

	if (!t)
		return bad(c, "%s: expected a topic string", key);
	if (!*t || strlen(t) > 65535 || strpbrk(t, "+#"))
		return bad(c, "%s: \"%s\" is not a valid topic", key, t);
	return true;
}

static bool below(const char *topic, const char *base)
{
	size_t n = strlen(base);

	return topic && strncmp(topic, base, n) == 0 && topic[n] == '/';
}

/* meshgate's own rule, not Home Assistant's: every topic a config names
 * is one meshgate publishes or listens to, below its base topic. */
static bool check_topics_below(struct check *c, const json_t *p, const char *base)
{
	const json_t *list = json_object_get(p, "availability");
	const char *key;
	const json_t *v, *a;
	size_t i;

	json_object_foreach((json_t *)p, key, v) {
		size_t klen = strlen(key);
		bool is_topic = klen >= 5 && strcmp(key + klen - 5, "topic") == 0 &&
				(klen == 5 || key[klen - 6] == '_');

		if (is_topic && !below(json_string_value(v), base))
			return bad(c, "%s: \"%s\" is not below the base topic %s", key,
				   json_string_value(v) ? json_string_value(v) : "?", base);
	}
	json_array_foreach(list, i, a)
		if (!below(json_string_value(json_object_get(a, "topic")), base))
			return bad(c, "availability.topic: not below the base topic %s", base);
	return true;
}

/* ---- shared parts --------------------------------------------------------------- */

static bool check_keys(struct check *c, const json_t *p, const char *const *a,
		       const char *const *b, const char *what)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)p, key, v)
		if (!in(key, a) && !(b && in(key, b)))
			return bad(c, "%s: key \"%s\" is not in Home Assistant's schema", what,
				   key);
	return true;
}

static bool check_strings(struct check *c, const json_t *p, const char *const *keys,
			  const char *what)
{
	for (; *keys; keys++) {
		json_t *v = json_object_get(p, *keys);

		if (v && !json_is_string(v))
			return bad(c, "%s: %s must be a string", what, *keys);
	}
	return true;
}

static bool check_device(struct check *c, const json_t *d)
{
	static const char *const strings[] = {
		"manufacturer", "model", "model_id", "name", "hw_version", "serial_number",
		"sw_version", "via_device", "suggested_area", "configuration_url", NULL,
	};
	const json_t *ids = json_object_get(d, "identifiers");
	size_t i;
	json_t *v;

	if (!json_is_object(d))
		return bad(c, "device: expected an object");
	if (!check_keys(c, d, device_keys, NULL, "device") ||
	    !check_strings(c, d, strings, "device"))
		return false;
	if (!json_is_array(ids) || json_array_size(ids) == 0)
		return bad(c, "device: needs at least one identifier");
	json_array_foreach(ids, i, v)
		if (!json_is_string(v) || !*json_string_value(v))
			return bad(c, "device: identifiers must be strings");
	return true;
}

static bool check_origin(struct check *c, const json_t *o)
{
	static const char *const keys[] = { "name", "sw_version", "support_url", NULL };

	if (!json_is_object(o) || !json_is_string(json_object_get(o, "name")))
		return bad(c, "origin: an object with a name is required");
	return check_keys(c, o, keys, NULL, "origin") && check_strings(c, o, keys, "origin");
}

static bool check_availability(struct check *c, const json_t *p)
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
		return bad(c, "availability_mode must be all, any or latest");
	if (!list)
		return true;
	if (!json_is_array(list) || json_array_size(list) == 0)
		return bad(c, "availability: expected a non-empty list");
	json_array_foreach(list, i, a) {
		if (!json_is_object(a))
			return bad(c, "availability: expected objects");
		if (!check_keys(c, a, keys, NULL, "availability") ||
		    !check_strings(c, a, keys, "availability") ||
		    !check_topic(c, "availability.topic", json_object_get(a, "topic")))
			return false;
	}
	return true;
}

/* homeassistant.core.valid_entity_id, with the domain the component. */
static bool check_entity_id(struct check *c, const json_t *v, const char *component)
{
	const char *s = json_string_value(v), *dot;
	size_t n = strlen(component);

	if (!s)
		return bad(c, "default_entity_id: expected a string");
	dot = s + n;
	if (strncmp(s, component, n) != 0 || *dot != '.')
		return bad(c, "default_entity_id \"%s\" is not in domain %s", s, component);
	if (!dot[1] || dot[1] == '_' || s[strlen(s) - 1] == '_' || strstr(dot, "__"))
		return bad(c, "default_entity_id \"%s\": bad underscores", s);
	for (const char *ch = dot + 1; *ch; ch++)
		if (!((*ch >= 'a' && *ch <= 'z') || (*ch >= '0' && *ch <= '9') || *ch == '_'))
			return bad(c, "default_entity_id \"%s\": only a-z, 0-9 and _", s);
	return true;
}

/* What every entity component shares. */
static bool check_entity_common(struct check *c, const json_t *p, const char *component)
{
	const json_t *name = json_object_get(p, "name");
	const json_t *cat = json_object_get(p, "entity_category");
	static const char *const cats[] = { "config", "diagnostic", NULL };

	if (!json_is_string(json_object_get(p, "unique_id")))
		return bad(c, "%s: unique_id must be a string (meshgate always sets one)",
			   component);
	if (name && !json_is_string(name) && !json_is_null(name))
		return bad(c, "%s: name must be a string or null", component);
	if (cat && !in(json_string_value(cat), cats))
		return bad(c, "%s: entity_category must be config or diagnostic", component);
	if (json_object_get(p, "default_entity_id") &&
	    !check_entity_id(c, json_object_get(p, "default_entity_id"), component))
		return false;
	if (json_object_get(p, "device") && !check_device(c, json_object_get(p, "device")))
		return false;
	if (json_object_get(p, "origin") && !check_origin(c, json_object_get(p, "origin")))
		return false;
	return check_availability(c, p);
}

static bool check_bool(struct check *c, const json_t *p, const char *key)
{
	const json_t *v = json_object_get(p, key);

	return !v || json_is_boolean(v) ? true : bad(c, "%s must be true or false", key);
}

static bool check_positive_int(struct check *c, const json_t *p, const char *key)
{
	const json_t *v = json_object_get(p, key);

	return !v || (json_is_integer(v) && json_integer_value(v) >= 0)
		       ? true
		       : bad(c, "%s must be a positive integer", key);
}

/* ---- components -------------------------------------------------------------------- */

/* light/__init__.py valid_supported_color_modes. */
static bool check_color_modes(struct check *c, const json_t *modes)
{
	bool onoff = false, brightness = false, white = false, colour = false;
	size_t i, j;
	json_t *m;

	if (!json_is_array(modes) || json_array_size(modes) == 0)
		return bad(c, "supported_color_modes: expected a non-empty list");
	json_array_foreach(modes, i, m) {
		const char *s = json_string_value(m);

		if (!in(s, color_modes))
			return bad(c, "supported_color_modes: \"%s\" is not a colour mode",
				   s ? s : "?");
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(modes, j), m))
				return bad(c, "supported_color_modes: \"%s\" twice", s);
		onoff |= strcmp(s, "onoff") == 0;
		brightness |= strcmp(s, "brightness") == 0;
		white |= strcmp(s, "white") == 0;
		colour |= strcmp(s, "hs") == 0 || strcmp(s, "xy") == 0 || strncmp(s, "rgb", 3) == 0;
	}
	if ((onoff || brightness) && json_array_size(modes) > 1)
		return bad(c, "supported_color_modes: onoff and brightness must be alone");
	if (white && !colour)
		return bad(c, "supported_color_modes: white needs a colour mode");
	return true;
}

static bool check_light(struct check *c, const json_t *p)
{
	const json_t *lo = json_object_get(p, "min_kelvin"), *hi = json_object_get(p, "max_kelvin");
	static const char *const bools[] = { "brightness", "color_temp_kelvin", "effect", "flash",
					     "optimistic", "retain", "transition", NULL };

	if (!check_keys(c, p, light_json_keys, common_keys, "light") ||
	    !check_entity_common(c, p, "light"))
		return false;
	if (!json_object_get(p, "command_topic"))
		return bad(c, "light: command_topic is required");
	if (!check_topic(c, "command_topic", json_object_get(p, "command_topic")) ||
	    (json_object_get(p, "state_topic") &&
	     !check_topic(c, "state_topic", json_object_get(p, "state_topic"))))
		return false;
	if (!json_is_string(json_object_get(p, "schema")) ||
	    strcmp(json_string_value(json_object_get(p, "schema")), "json") != 0)
		return bad(c, "light: schema must be \"json\" for JSON state and commands");
	for (const char *const *b = bools; *b; b++)
		if (!check_bool(c, p, *b))
			return false;
	if (!check_positive_int(c, p, "min_kelvin") || !check_positive_int(c, p, "max_kelvin") ||
	    !check_positive_int(c, p, "min_mireds") || !check_positive_int(c, p, "max_mireds") ||
	    !check_positive_int(c, p, "brightness_scale"))
		return false;
	if ((lo || hi) && (!lo || !hi || json_integer_value(lo) >= json_integer_value(hi)))
		return bad(c, "light: min_kelvin must be below max_kelvin");
	return check_color_modes(c, json_object_get(p, "supported_color_modes"));
}

/* validate_sensor_state_and_device_class_config, for the classes known. */
static bool check_sensor_class(struct check *c, const char *dc, const char *unit, const char *sc)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(class_rules); i++) {
		if (strcmp(class_rules[i].device_class, dc) != 0)
			continue;
		if (!unit || !in(unit, class_rules[i].units))
			return bad(c, "sensor: the unit of measurement `%s` is not valid together "
				   "with device class `%s`", unit ? unit : "None", dc);
		if (sc && !in(sc, class_rules[i].state_classes))
			return bad(c, "sensor: state class %s does not fit device class %s", sc,
				   dc);
		return true;
	}
	return bad(c, "sensor: device class %s has no unit rules in this validator", dc);
}

static bool check_sensor(struct check *c, const json_t *p)
{
	const char *dc = json_string_value(json_object_get(p, "device_class"));
	const char *unit = json_string_value(json_object_get(p, "unit_of_measurement"));
	const char *sc = json_string_value(json_object_get(p, "state_class"));
	static const char *const strings[] = { "value_template", "unit_of_measurement",
					       "device_class", "state_class", NULL };

	if (!check_keys(c, p, sensor_keys, common_keys, "sensor") ||
	    !check_entity_common(c, p, "sensor") || !check_strings(c, p, strings, "sensor"))
		return false;
	if (!check_topic(c, "state_topic", json_object_get(p, "state_topic")))
		return false;
	if (json_object_get(p, "entity_category") &&
	    strcmp(json_string_value(json_object_get(p, "entity_category")), "config") == 0)
		return bad(c, "sensor: cannot be entity_category config");
	if (dc && !in(dc, sensor_device_classes))
		return bad(c, "sensor: device_class \"%s\" is not a SensorDeviceClass", dc);
	if (sc && !in(sc, state_classes))
		return bad(c, "sensor: state_class \"%s\" is not a SensorStateClass", sc);
	if (sc && dc && in(dc, non_numeric_classes))
		return bad(c, "sensor: state_class with non-numeric device class %s", dc);
	if (unit && !*unit)
		return bad(c, "sensor: an empty unit; leave it out instead");
	if (json_object_get(p, "last_reset_value_template") && (!sc || strcmp(sc, "total") != 0))
		return bad(c, "sensor: last_reset_value_template only with state class total");
	return !dc || check_sensor_class(c, dc, unit, sc);
}

static bool check_binary_sensor(struct check *c, const json_t *p)
{
	const char *dc = json_string_value(json_object_get(p, "device_class"));
	static const char *const strings[] = { "value_template", "payload_on", "payload_off",
					       "device_class", NULL };

	if (!check_keys(c, p, binary_sensor_keys, common_keys, "binary_sensor") ||
	    !check_entity_common(c, p, "binary_sensor") ||
	    !check_strings(c, p, strings, "binary_sensor"))
		return false;
	if (!check_topic(c, "state_topic", json_object_get(p, "state_topic")))
		return false;
	if (dc && !in(dc, binary_device_classes))
		return bad(c, "binary_sensor: device_class \"%s\" is not a "
			   "BinarySensorDeviceClass", dc);
	if (json_object_get(p, "entity_category") &&
	    strcmp(json_string_value(json_object_get(p, "entity_category")), "config") == 0)
		return bad(c, "binary_sensor: cannot be entity_category config");
	return check_positive_int(c, p, "off_delay") && check_positive_int(c, p, "expire_after");
}

static bool check_trigger(struct check *c, const json_t *p)
{
	static const char *const required[] = { "automation_type", "device", "subtype", "topic",
						"type", NULL };
	static const char *const strings[] = { "automation_type", "subtype", "type",
					       "value_template", NULL };
	const json_t *payload = json_object_get(p, "payload");

	if (!check_keys(c, p, trigger_keys, NULL, "device_automation"))
		return false;
	for (const char *const *r = required; *r; r++)
		if (!json_object_get(p, *r))
			return bad(c, "device_automation: %s is required", *r);
	if (!check_strings(c, p, strings, "device_automation"))
		return false;
	if (strcmp(json_string_value(json_object_get(p, "automation_type")), "trigger") != 0)
		return bad(c, "device_automation: automation_type must be trigger");
	if (!in(json_string_value(json_object_get(p, "type")), trigger_types))
		return bad(c, "device_automation: type is not one Home Assistant names");
	if (!*json_string_value(json_object_get(p, "subtype")))
		return bad(c, "device_automation: empty subtype");
	if (payload && !json_is_string(payload) && !json_is_null(payload))
		return bad(c, "device_automation: payload must be a string");
	if (json_object_get(p, "origin") && !check_origin(c, json_object_get(p, "origin")))
		return false;
	return check_topic(c, "topic", json_object_get(p, "topic")) &&
	       check_device(c, json_object_get(p, "device"));
}

static bool check_config(struct check *c, const char *component, const json_t *config)
{
	if (!json_is_object(config))
		return bad(c, "%s: the config must be a JSON object", component);
	if (strcmp(component, "light") == 0)
		return check_light(c, config);
	if (strcmp(component, "sensor") == 0)
		return check_sensor(c, config);
	if (strcmp(component, "binary_sensor") == 0)
		return check_binary_sensor(c, config);
	if (strcmp(component, "device_automation") == 0)
		return check_trigger(c, config);
	return bad(c, "component %s is not one meshgate should send", component);
}

/* ---- the API ------------------------------------------------------------------------ */

static void check_start(struct check *c, char *why, size_t whylen)
{
	c->why = why;
	c->len = whylen;
	if (whylen)
		why[0] = '\0';
}

bool ha_schema_check(const char *component, const json_t *config, char *why, size_t whylen)
{
	struct check c;

	check_start(&c, why, whylen);
	return check_config(&c, component, config);
}

static bool check_message(struct check *c, const char *prefix, const char *base,
			  const char *topic, const json_t *config)
{
	char component[32];

	if (!check_discovery_topic(c, prefix, topic, component, sizeof(component)))
		return false;
	if (!json_is_object(config))
		return bad(c, "%s: payload must be an object", topic);
	return check_config(c, component, config) && check_topics_below(c, config, base);
}

bool ha_schema_check_message(const char *prefix, const char *base_topic, const char *topic,
			     const json_t *config, char *why, size_t whylen)
{
	struct check c;

	check_start(&c, why, whylen);
	return check_message(&c, prefix, base_topic, topic, config);
}

/* msgs[i] against every message before it. */
static bool check_unique(struct check *c, const struct ha_schema_msg *msgs, size_t i)
{
	const json_t *p = msgs[i].config;
	const json_t *u = json_object_get(p, "unique_id");

	for (size_t j = 0; j < i; j++) {
		const json_t *q = msgs[j].config;

		if (strcmp(msgs[i].topic, msgs[j].topic) == 0)
			return bad(c, "topic %s twice", msgs[i].topic);
		if (u && json_equal(u, json_object_get(q, "unique_id")))
			return bad(c, "unique_id %s twice", json_string_value(u));
		if (json_object_get(p, "automation_type") &&
		    json_equal(json_object_get(p, "device"), json_object_get(q, "device")) &&
		    json_equal(json_object_get(p, "type"), json_object_get(q, "type")) &&
		    json_equal(json_object_get(p, "subtype"), json_object_get(q, "subtype")))
			return bad(c, "trigger %s/%s twice on one device",
				   json_string_value(json_object_get(p, "type")),
				   json_string_value(json_object_get(p, "subtype")));
	}
	return true;
}

bool ha_schema_check_set(const char *prefix, const char *base_topic,
			 const struct ha_schema_msg *msgs, size_t n, char *why, size_t whylen)
{
	struct check c;

	check_start(&c, why, whylen);
	for (size_t i = 0; i < n; i++) {
		if (check_message(&c, prefix, base_topic, msgs[i].topic, msgs[i].config) &&
		    check_unique(&c, msgs, i))
			continue;
		if (whylen && strlen(why) + 1 < whylen)
			snprintf(why + strlen(why), whylen - strlen(why), " [%.200s]",
				 msgs[i].topic);
		return false;
	}
	return true;
}
