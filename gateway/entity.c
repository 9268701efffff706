/*
 * Entities: the translation between the mesh's model states and the JSON
 * users and Home Assistant speak (entity.h).
 *
 * Three directions meet here:
 *  - state: what the state cache heard becomes zigbee2mqtt-style JSON
 *    that Home Assistant's MQTT JSON light schema reads ("state",
 *    "brightness", "color_mode", "color_temp" in mireds, "color" with
 *    "h" and "s": schema_json.py reads exactly values["color"]["h"] and
 *    ["s"] for the hs colour mode), plus one member per sensor reading;
 *  - set: a command JSON is validated strictly, member by member, so a
 *    typo gets an error naming it instead of being ignored;
 *  - messages: a command becomes the acknowledged Sets that carry it,
 *    ordered so that each one builds on the previous.
 *
 * Choices worth knowing:
 *  - The state reports where a light is going: a status with a transition
 *    under way carries Target values, and the cache keeps the target (or
 *    the present value when there is none). Home Assistant then shows the
 *    result of a command at once, as it does for zigbee2mqtt lights, and
 *    does not stay on an intermediate value when no final status comes.
 *  - Brightness 0 means off in both directions. A light that is on at a
 *    Lightness too low for one step of 255 reports brightness 1, because
 *    Home Assistant ignores a brightness of 0 in a state.
 *  - A light with both CTL and HSL is in the hs colour mode when its
 *    saturation is above 0, else in color_temp: white from an HSL light is
 *    saturation 0, and the mesh has no "colour mode" state to ask.
 *  - "OFF" takes nothing else (a brightness or a colour with OFF
 *    contradicts itself); "TOGGLE" with a brightness or colour applies
 *    them only when it turns the light on.
 */
#include "gateway/entity.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gateway/json_path.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/light_msg.h"
#include "mesh/util.h"

#define BRIGHTNESS_MAX 255
#define MIREDS_MIN 50             /* 20000 K */
#define MIREDS_MAX 1250           /* 800 K */
#define TRANSITION_S_MAX (MESH_TRANSITION_MS_MAX / 1000u)
#define LIGHTNESS_FULL 0xffffu
#define LEVEL_OFF INT16_MIN
#define LEVEL_FULL INT16_MAX

/* ---- capabilities ---------------------------------------------------------- */

static const struct {
	uint16_t model;
	uint32_t cap;
} model_caps[] = {
	{ MESH_MODEL_GEN_ONOFF_SRV, GW_CAP_ONOFF },
	{ MESH_MODEL_GEN_LEVEL_SRV, GW_CAP_LEVEL },
	{ MESH_MODEL_LIGHTNESS_SRV, GW_CAP_LIGHTNESS },
	{ MESH_MODEL_CTL_SRV, GW_CAP_CTL },
	{ MESH_MODEL_HSL_SRV, GW_CAP_HSL },
	{ MESH_MODEL_SENSOR_SRV, GW_CAP_SENSOR },
	{ MESH_MODEL_GEN_ONOFF_CLI, GW_CAP_SWITCH },
	{ MESH_MODEL_GEN_LEVEL_CLI, GW_CAP_DIMMER },
};

uint32_t gw_entity_caps_of_element(const struct netdb_element *el)
{
	uint32_t caps = 0;

	for (size_t i = 0; i < el->n_models; i++) {
		const struct netdb_model *m = &el->models[i];

		if (m->vendor)
			continue;
		for (size_t j = 0; j < MESH_ARRAY_SIZE(model_caps); j++)
			if (m->id == model_caps[j].model)
				caps |= model_caps[j].cap;
	}
	return caps;
}

/* ---- names for people ----------------------------------------------------- */

/* SIG models by ID (Mesh Protocol 4.4 foundation models, Mesh Model 7.3). */
static const struct {
	uint16_t id;
	const char *name;
} model_names[] = {
	{ 0x0000, "Configuration Server" },
	{ 0x0001, "Configuration Client" },
	{ 0x0002, "Health Server" },
	{ 0x0003, "Health Client" },
	{ 0x0004, "Remote Provisioning Server" },
	{ 0x0005, "Remote Provisioning Client" },
	{ 0x0006, "Directed Forwarding Configuration Server" },
	{ 0x0007, "Directed Forwarding Configuration Client" },
	{ 0x0008, "Bridge Configuration Server" },
	{ 0x0009, "Bridge Configuration Client" },
	{ 0x000a, "Mesh Private Beacon Server" },
	{ 0x000b, "Mesh Private Beacon Client" },
	{ 0x000c, "On-Demand Private Proxy Server" },
	{ 0x000d, "On-Demand Private Proxy Client" },
	{ 0x000e, "SAR Configuration Server" },
	{ 0x000f, "SAR Configuration Client" },
	{ 0x0010, "Opcodes Aggregator Server" },
	{ 0x0011, "Opcodes Aggregator Client" },
	{ 0x0012, "Large Composition Data Server" },
	{ 0x0013, "Large Composition Data Client" },
	{ 0x0014, "Solicitation PDU RPL Configuration Server" },
	{ 0x0015, "Solicitation PDU RPL Configuration Client" },
	{ 0x1000, "Generic OnOff Server" },
	{ 0x1001, "Generic OnOff Client" },
	{ 0x1002, "Generic Level Server" },
	{ 0x1003, "Generic Level Client" },
	{ 0x1004, "Generic Default Transition Time Server" },
	{ 0x1005, "Generic Default Transition Time Client" },
	{ 0x1006, "Generic Power OnOff Server" },
	{ 0x1007, "Generic Power OnOff Setup Server" },
	{ 0x1008, "Generic Power OnOff Client" },
	{ 0x1009, "Generic Power Level Server" },
	{ 0x100a, "Generic Power Level Setup Server" },
	{ 0x100b, "Generic Power Level Client" },
	{ 0x100c, "Generic Battery Server" },
	{ 0x100d, "Generic Battery Client" },
	{ 0x100e, "Generic Location Server" },
	{ 0x100f, "Generic Location Setup Server" },
	{ 0x1010, "Generic Location Client" },
	{ 0x1011, "Generic Admin Property Server" },
	{ 0x1012, "Generic Manufacturer Property Server" },
	{ 0x1013, "Generic User Property Server" },
	{ 0x1014, "Generic Client Property Server" },
	{ 0x1015, "Generic Property Client" },
	{ 0x1100, "Sensor Server" },
	{ 0x1101, "Sensor Setup Server" },
	{ 0x1102, "Sensor Client" },
	{ 0x1200, "Time Server" },
	{ 0x1201, "Time Setup Server" },
	{ 0x1202, "Time Client" },
	{ 0x1203, "Scene Server" },
	{ 0x1204, "Scene Setup Server" },
	{ 0x1205, "Scene Client" },
	{ 0x1206, "Scheduler Server" },
	{ 0x1207, "Scheduler Setup Server" },
	{ 0x1208, "Scheduler Client" },
	{ 0x1300, "Light Lightness Server" },
	{ 0x1301, "Light Lightness Setup Server" },
	{ 0x1302, "Light Lightness Client" },
	{ 0x1303, "Light CTL Server" },
	{ 0x1304, "Light CTL Setup Server" },
	{ 0x1305, "Light CTL Client" },
	{ 0x1306, "Light CTL Temperature Server" },
	{ 0x1307, "Light HSL Server" },
	{ 0x1308, "Light HSL Setup Server" },
	{ 0x1309, "Light HSL Client" },
	{ 0x130a, "Light HSL Hue Server" },
	{ 0x130b, "Light HSL Saturation Server" },
	{ 0x130c, "Light xyL Server" },
	{ 0x130d, "Light xyL Setup Server" },
	{ 0x130e, "Light xyL Client" },
	{ 0x130f, "Light LC Server" },
	{ 0x1310, "Light LC Setup Server" },
	{ 0x1311, "Light LC Client" },
};

const char *gw_model_name(uint16_t sig_id)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(model_names); i++)
		if (model_names[i].id == sig_id)
			return model_names[i].name;
	return NULL;
}

/*
 * Health fault values (Mesh Protocol, Assigned Numbers): 0x00 is no fault;
 * then every condition has a warning (odd value) and an error (the even
 * value after it), in this order up to 0x32.
 */
static const char *const fault_conditions[] = {
	"Battery Low", "Supply Voltage Too Low", "Supply Voltage Too High",
	"Power Supply Interrupted", "No Load", "Overload", "Overheat", "Condensation",
	"Vibration", "Configuration", "Element Not Calibrated", "Memory", "Self-Test",
	"Input Too Low", "Input Too High", "Input No Change", "Actuator Blocked",
	"Housing Opened", "Tamper", "Device Moved", "Device Dropped", "Overflow", "Empty",
	"Internal Bus", "Mechanism Jammed",
};

const char *gw_health_fault_name(uint8_t code, char *buf, size_t len)
{
	size_t cond = code ? (size_t)(code - 1) / 2 : 0;

	if (code == 0)
		snprintf(buf, len, "No Fault");
	else if (cond < MESH_ARRAY_SIZE(fault_conditions))
		snprintf(buf, len, "%s %s", fault_conditions[cond], code % 2 ? "Warning" : "Error");
	else if (code >= 0x80)
		snprintf(buf, len, "Vendor Specific 0x%02x", code);
	else
		snprintf(buf, len, "Reserved 0x%02x", code);
	return buf;
}

bool gw_entity_ctl_temperature_element(const struct netdb_node *n, size_t idx)
{
	bool ctl = false, temp = false;

	if (idx + 1 >= n->n_elements)
		return false;
	for (size_t i = 0; i < n->elements[idx].n_models; i++)
		ctl |= !n->elements[idx].models[i].vendor &&
		       n->elements[idx].models[i].id == MESH_MODEL_CTL_SRV;
	for (size_t i = 0; i < n->elements[idx + 1].n_models; i++)
		temp |= !n->elements[idx + 1].models[i].vendor &&
			n->elements[idx + 1].models[i].id == MESH_MODEL_CTL_TEMP_SRV;
	return ctl && temp;
}

void gw_entity_merge_temperature(struct gw_elem_state *light, uint64_t light_ctl_ms,
				 const struct gw_elem_state *temp, uint64_t temp_ctl_ms)
{
	if (!temp || !(temp->known & GW_STATE_CTL))
		return;
	if ((light->known & GW_STATE_CTL) && light_ctl_ms >= temp_ctl_ms)
		return;
	/* The temperature element knows nothing of the CTL Lightness: without
	 * a CTL state of its own, the light takes it from its Lightness (the
	 * two are bound), and without that the state stays as it was rather
	 * than show a brightness nobody reported. */
	if (!(light->known & GW_STATE_CTL)) {
		if (light->known & GW_STATE_LIGHTNESS)
			light->ctl_lightness = light->target_lightness;
		else
			return;
	}
	light->known |= GW_STATE_CTL;
	light->temperature = temp->temperature;
	light->target_temperature = temp->target_temperature;
	light->delta_uv = temp->delta_uv;
	if (temp->known & GW_STATE_CTL_TEMP_RANGE) {
		light->known |= GW_STATE_CTL_TEMP_RANGE;
		light->temp_min = temp->temp_min;
		light->temp_max = temp->temp_max;
	}
}

/* A light for users: OnOff, Lightness, CTL or HSL. A Generic Level Server
 * alone is not one: it is how the CTL Temperature and HSL Hue/Saturation
 * elements next to a colour light show their level, and dimming it would
 * change a colour. With OnOff it dims (a Generic OnOff + Level dimmer). */
static bool is_light(uint32_t caps)
{
	return (caps & GW_CAP_LIGHT) != 0;
}

static bool can_dim(uint32_t caps)
{
	return (caps & (GW_CAP_LIGHTNESS | GW_CAP_LEVEL)) != 0;
}

/* ---- conversions ------------------------------------------------------------ */

uint8_t gw_brightness_from_lightness(uint16_t lightness)
{
	/* l * 255 / 65535 never ends in exactly .5: rounding half up is exact. */
	return (uint8_t)(((uint32_t)lightness * BRIGHTNESS_MAX + 32767u) / 65535u);
}

uint16_t gw_lightness_from_brightness(uint8_t brightness)
{
	return (uint16_t)(brightness * 257u);    /* 65535 / 255 */
}

uint16_t gw_mireds_from_kelvin(uint16_t kelvin)
{
	uint32_t m = mesh_kelvin_to_mired(kelvin);

	return (uint16_t)(m > UINT16_MAX ? UINT16_MAX : m);
}

uint16_t gw_kelvin_from_mireds(uint16_t mireds)
{
	uint32_t k = mireds ? mesh_mired_to_kelvin(mireds) : MESH_LIGHT_TEMP_MAX;

	if (k < MESH_LIGHT_TEMP_MIN)
		return MESH_LIGHT_TEMP_MIN;
	if (k > MESH_LIGHT_TEMP_MAX)
		return MESH_LIGHT_TEMP_MAX;
	return (uint16_t)k;
}

uint8_t gw_transition_field(uint32_t ms)
{
	/* Longer than a Transition Time can say: the longest it can, since a
	 * Set must never carry "unknown". */
	return mesh_transition_encode(ms > MESH_TRANSITION_MS_MAX ? MESH_TRANSITION_MS_MAX : ms);
}

static uint16_t hue_from_degrees(double deg)
{
	return deg >= 360.0 ? 0 : (uint16_t)lround(deg / 360.0 * 65535.0);
}

static uint16_t saturation_from_percent(double pct)
{
	return (uint16_t)lround(pct / 100.0 * 65535.0);
}

/* Two decimals are finer than any step a user sees. */
static double round2(double v)
{
	return round(v * 100.0) / 100.0;
}

/* ---- sensor classes ---------------------------------------------------------- */

/*
 * Home Assistant's view of the properties sensor_msg.c knows. Units are
 * those of homeassistant/components/sensor/const.py DEVICE_CLASS_UNITS for
 * the device class (°C, %, lx, W, kWh, V, A, s, ppm, ppb); the keys and
 * units equal sensor_msg.c's table (test_entity checks it).
 */
static const struct {
	uint16_t prop;
	struct gw_sensor_class c;
} sensor_classes[] = {
	{ MESH_PROP_MOTION_SENSED, { "motion", "motion", NULL, NULL, true } },
	{ MESH_PROP_PEOPLE_COUNT, { "people_count", NULL, NULL, "measurement", false } },
	{ MESH_PROP_PRESENCE_DETECTED, { "presence", "occupancy", NULL, NULL, true } },
	{ MESH_PROP_PRESENT_AMBIENT_LIGHT_LEVEL,
	  { "illuminance", "illuminance", "lx", "measurement", false } },
	{ MESH_PROP_PRESENT_AMBIENT_TEMPERATURE,
	  { "temperature", "temperature", "°C", "measurement", false } },
	{ MESH_PROP_PRESENT_DEVICE_INPUT_POWER, { "power", "power", "W", "measurement", false } },
	{ MESH_PROP_PRESENT_ILLUMINANCE,
	  { "present_illuminance", "illuminance", "lx", "measurement", false } },
	{ MESH_PROP_PRESENT_INDOOR_AMBIENT_TEMPERATURE,
	  { "indoor_temperature", "temperature", "°C", "measurement", false } },
	{ MESH_PROP_PRESENT_INPUT_CURRENT, { "current", "current", "A", "measurement", false } },
	{ MESH_PROP_PRESENT_INPUT_VOLTAGE, { "voltage", "voltage", "V", "measurement", false } },
	{ MESH_PROP_PRESENT_OUTDOOR_AMBIENT_TEMPERATURE,
	  { "outdoor_temperature", "temperature", "°C", "measurement", false } },
	{ MESH_PROP_TIME_SINCE_MOTION_SENSED,
	  { "time_since_motion", "duration", "s", "measurement", false } },
	{ MESH_PROP_TIME_SINCE_PRESENCE_DETECTED,
	  { "time_since_presence", "duration", "s", "measurement", false } },
	{ MESH_PROP_TOTAL_DEVICE_ENERGY_USE,
	  { "energy", "energy", "kWh", "total_increasing", false } },
	{ MESH_PROP_PRECISE_TOTAL_DEVICE_ENERGY_USE,
	  { "precise_energy", "energy", "kWh", "total_increasing", false } },
	{ MESH_PROP_PRECISE_PRESENT_AMBIENT_TEMPERATURE,
	  { "precise_temperature", "temperature", "°C", "measurement", false } },
	{ MESH_PROP_PRESENT_AMBIENT_RELATIVE_HUMIDITY,
	  { "humidity", "humidity", "%", "measurement", false } },
	{ MESH_PROP_PRESENT_AMBIENT_CO2_CONCENTRATION,
	  { "co2", "carbon_dioxide", "ppm", "measurement", false } },
	{ MESH_PROP_PRESENT_AMBIENT_VOC_CONCENTRATION,
	  { "voc", "volatile_organic_compounds_parts", "ppb", "measurement", false } },
	{ MESH_PROP_PRESENT_INDOOR_RELATIVE_HUMIDITY,
	  { "indoor_humidity", "humidity", "%", "measurement", false } },
	{ MESH_PROP_PRESENT_OUTDOOR_RELATIVE_HUMIDITY,
	  { "outdoor_humidity", "humidity", "%", "measurement", false } },
};

const struct gw_sensor_class *gw_sensor_class_of(uint16_t prop)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(sensor_classes); i++)
		if (sensor_classes[i].prop == prop)
			return &sensor_classes[i].c;
	return NULL;
}

/* ---- state JSON ---------------------------------------------------------------- */

/* On, off, or -1 when nothing says. */
static int light_is_on(const struct gw_elem_state *st)
{
	if (st->known & GW_STATE_ONOFF)
		return st->target_onoff != 0;
	if (st->known & GW_STATE_LIGHTNESS)
		return st->target_lightness != 0;
	if (st->known & GW_STATE_CTL)
		return st->ctl_lightness != 0;
	if (st->known & GW_STATE_HSL)
		return st->hsl_lightness != 0;
	if (st->known & GW_STATE_LEVEL)
		return st->target_level != LEVEL_OFF;
	return -1;
}

/* The Lightness of a light from whichever state knows it; false if none. */
static bool light_lightness(const struct gw_elem_state *st, uint16_t *l)
{
	if (st->known & GW_STATE_LIGHTNESS)
		*l = st->target_lightness;
	else if (st->known & GW_STATE_CTL)
		*l = st->ctl_lightness;
	else if (st->known & GW_STATE_HSL)
		*l = st->hsl_lightness;
	else if (st->known & GW_STATE_LEVEL)
		*l = mesh_level_to_lightness(st->target_level);
	else
		return false;
	return true;
}

static bool put(json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new(obj, key, v) == 0;
}

static bool put_colour(json_t *obj, const struct gw_entity *e, const struct gw_elem_state *st)
{
	bool hsl = (e->caps & GW_CAP_HSL) && (st->known & GW_STATE_HSL);
	bool ctl = (e->caps & GW_CAP_CTL) && (st->known & GW_STATE_CTL) &&
		   st->target_temperature != 0;
	json_t *colour;

	if (hsl && (!ctl || st->saturation > 0)) {
		colour = json_pack("{s:f,s:f}", "h", round2(st->hue * 360.0 / 65535.0), "s",
				   round2(st->saturation * 100.0 / 65535.0));
		return put(obj, "color_mode", json_string("hs")) && put(obj, "color", colour);
	}
	if (ctl)
		return put(obj, "color_mode", json_string("color_temp")) &&
		       put(obj, "color_temp",
			   json_integer(gw_mireds_from_kelvin(st->target_temperature)));
	return true;
}

static bool put_light(json_t *obj, const struct gw_entity *e, const struct gw_elem_state *st)
{
	int on = light_is_on(st);
	uint16_t l;

	/* Always a "state": Home Assistant's JSON light reads it from every
	 * message, and null means unknown. */
	if (!put(obj, "state", on < 0 ? json_null() : json_string(on ? "ON" : "OFF")))
		return false;
	/* On at Lightness 0 is a Lightness from before the OnOff Status (the
	 * lamp's own Lightness Status follows it): no brightness rather than
	 * a flash of 0 in Home Assistant. */
	if ((e->caps & (GW_CAP_LIGHTNESS | GW_CAP_LEVEL | GW_CAP_CTL | GW_CAP_HSL)) &&
	    light_lightness(st, &l) && !(on == 1 && l == 0)) {
		uint8_t b = gw_brightness_from_lightness(l);

		if (l && !b)
			b = 1;
		if (!put(obj, "brightness", json_integer(b)))
			return false;
	}
	return put_colour(obj, e, st);
}

static json_t *sensor_value(const struct gw_sensor_reading *r)
{
	const struct mesh_sensor_prop_info *pi = mesh_sensor_prop_find(r->prop);

	if (!r->value.known || r->value.unknown_value || r->value.invalid_value)
		return json_null();
	/* Whole-unit characteristics (counts, kWh, booleans) stay integers. */
	if (pi && pi->steps_per_unit == 1)
		return json_integer((json_int_t)r->value.value);
	return json_real(r->value.value);
}

static bool put_sensor(json_t *obj, const struct gw_sensor_reading *r)
{
	const struct mesh_sensor_prop_info *pi = mesh_sensor_prop_find(r->prop);
	char key[16], hex[2 * sizeof(r->raw) + 1];
	size_t len = r->len < sizeof(r->raw) ? r->len : sizeof(r->raw);

	if (pi)
		return put(obj, pi->key, sensor_value(r));
	/* A property meshgate does not know still reaches the user, raw. */
	snprintf(key, sizeof(key), "prop_0x%04x", r->prop);
	if (!r->len)
		return put(obj, key, json_null());
	mesh_hex_encode(r->raw, len, hex);
	return put(obj, key, json_string(hex));
}

json_t *gw_entity_state_json(const struct gw_entity *e, const struct gw_elem_state *st)
{
	json_t *obj = json_object();
	bool ok = obj != NULL;

	if (!obj || !st)
		return obj;
	if (is_light(e->caps))
		ok = put_light(obj, e, st);
	for (size_t i = 0; ok && i < st->n_sensors && i < GW_STATE_SENSORS_MAX; i++)
		ok = put_sensor(obj, &st->sensors[i]);
	if (!ok) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* ---- set JSON ---------------------------------------------------------------------- */

static int invalid(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int invalid(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return MESH_ERR_INVAL;
}

static bool ascii_equal_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = (*a >= 'a' && *a <= 'z') ? (char)(*a - 32) : *a;
		char cb = (*b >= 'a' && *b <= 'z') ? (char)(*b - 32) : *b;

		if (ca != cb)
			return false;
	}
	return *a == *b;
}

static int parse_state(const json_t *v, struct gw_light_cmd *cmd, char *err, size_t errlen)
{
	static const struct {
		const char *word;
		enum gw_light_onoff state;
	} words[] = {
		{ "ON", GW_LIGHT_ON }, { "OFF", GW_LIGHT_OFF }, { "TOGGLE", GW_LIGHT_TOGGLE },
	};
	char quoted[JSON_QUOTE_MAX + 4];

	if (!json_is_string(v))
		return invalid(err, errlen, "state: expected ON, OFF or TOGGLE, found %s",
			       json_kind_name(v));
	for (size_t i = 0; i < MESH_ARRAY_SIZE(words); i++) {
		if (strlen(json_string_value(v)) == json_string_length(v) &&
		    ascii_equal_nocase(json_string_value(v), words[i].word)) {
			cmd->state = words[i].state;
			return 0;
		}
	}
	json_quote_short(json_string_value(v), json_string_length(v), quoted);
	return invalid(err, errlen, "state: expected ON, OFF or TOGGLE, found \"%s\"", quoted);
}

/* An integer member in [lo, hi]. */
static int parse_int(const char *name, const json_t *v, json_int_t lo, json_int_t hi,
		     const char *unit, json_int_t *out, char *err, size_t errlen)
{
	if (!json_is_integer(v))
		return invalid(err, errlen, "%s: expected an integer %lld..%lld%s, found %s", name,
			       (long long)lo, (long long)hi, unit, json_kind_name(v));
	*out = json_integer_value(v);
	if (*out < lo || *out > hi)
		return invalid(err, errlen, "%s: %lld is out of range %lld..%lld%s", name,
			       (long long)*out, (long long)lo, (long long)hi, unit);
	return 0;
}

/* A number member (integer or not) in [lo, hi]. */
static int parse_number(const char *name, const json_t *v, double lo, double hi,
			const char *unit, double *out, char *err, size_t errlen)
{
	if (!json_is_number(v))
		return invalid(err, errlen, "%s: expected a number %g..%g%s, found %s", name, lo,
			       hi, unit, json_kind_name(v));
	*out = json_number_value(v);
	if (!(*out >= lo && *out <= hi))
		return invalid(err, errlen, "%s: %g is out of range %g..%g%s", name, *out, lo, hi,
			       unit);
	return 0;
}

static int parse_colour(const json_t *v, struct gw_light_cmd *cmd, char *err, size_t errlen)
{
	const json_t *h, *s;
	const char *key;
	json_t *member;
	int rc;

	if (!json_is_object(v))
		return invalid(err, errlen, "color: expected an object {\"h\",\"s\"}, found %s",
			       json_kind_name(v));
	h = json_object_get(v, "h");
	s = json_object_get(v, "s");
	json_object_foreach((json_t *)v, key, member) {
		char quoted[JSON_QUOTE_MAX + 4];

		if (strcmp(key, "h") == 0 || strcmp(key, "s") == 0)
			continue;
		json_quote_short(key, strlen(key), quoted);
		return invalid(err, errlen, "color: only h and s are supported, found \"%s\"",
			       quoted);
	}
	if (!h || !s)
		return invalid(err, errlen, "color: needs both h (0..360) and s (0..100)");
	rc = parse_number("color: h", h, 0, 360, " degrees", &cmd->hue_deg, err, errlen);
	if (!rc)
		rc = parse_number("color: s", s, 0, 100, " %", &cmd->sat_pct, err, errlen);
	cmd->has_color = rc == 0;
	return rc;
}

static int parse_member(const char *key, const json_t *v, struct gw_light_cmd *cmd, char *err,
			size_t errlen)
{
	char quoted[JSON_QUOTE_MAX + 4];
	json_int_t n = 0;
	double s = 0;
	int rc;

	if (strcmp(key, "state") == 0)
		return parse_state(v, cmd, err, errlen);
	if (strcmp(key, "color") == 0)
		return parse_colour(v, cmd, err, errlen);
	if (strcmp(key, "brightness") == 0) {
		rc = parse_int(key, v, 0, BRIGHTNESS_MAX, "", &n, err, errlen);
		cmd->has_brightness = rc == 0;
		cmd->brightness = (uint8_t)n;
		return rc;
	}
	if (strcmp(key, "color_temp") == 0) {
		rc = parse_int(key, v, MIREDS_MIN, MIREDS_MAX, " mireds (20000..800 K)", &n, err,
			       errlen);
		cmd->has_color_temp = rc == 0;
		cmd->color_temp_mireds = (uint16_t)n;
		return rc;
	}
	if (strcmp(key, "transition") == 0) {
		rc = parse_number(key, v, 0, TRANSITION_S_MAX, " seconds", &s, err, errlen);
		cmd->has_transition = rc == 0;
		cmd->transition_ms = (uint32_t)llround(s * 1000.0);
		return rc;
	}
	json_quote_short(key, strlen(key), quoted);
	return invalid(err, errlen, "unknown member \"%s\" (known: state, brightness, color_temp, "
		       "color, transition)", quoted);
}

int gw_light_cmd_from_json(const json_t *obj, struct gw_light_cmd *cmd, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	memset(cmd, 0, sizeof(*cmd));
	if (!obj)
		return invalid(err, errlen, "expected a JSON object, found nothing");
	if (!json_is_object(obj))
		return invalid(err, errlen, "expected a JSON object, found %s",
			       json_kind_name(obj));
	json_object_foreach((json_t *)obj, key, v) {
		int rc = parse_member(key, v, cmd, err, errlen);

		if (rc)
			return rc;
	}
	if (cmd->state == GW_LIGHT_KEEP && !cmd->has_brightness && !cmd->has_color_temp &&
	    !cmd->has_color)
		return invalid(err, errlen, "nothing to set: give state, brightness, color_temp "
			       "or color");
	if (cmd->has_color_temp && cmd->has_color)
		return invalid(err, errlen, "color_temp and color cannot be set together: a light "
			       "shows one or the other");
	if (cmd->state == GW_LIGHT_OFF &&
	    (cmd->has_brightness || cmd->has_color_temp || cmd->has_color))
		return invalid(err, errlen, "state: OFF cannot be combined with brightness, "
			       "color_temp or color");
	return 0;
}

int gw_light_cmd_parse(const char *text, size_t len, struct gw_light_cmd *cmd, char *err,
		       size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(cmd, 0, sizeof(*cmd));
	root = json_loadb(text ? text : "", text ? len : 0,
			  JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return invalid(err, errlen, "invalid JSON at %d:%d: %s", jerr.line, jerr.column,
			       jerr.text);
	rc = gw_light_cmd_from_json(root, cmd, err, errlen);
	json_decref(root);
	return rc;
}

/* ---- model messages ------------------------------------------------------------ */

struct msg_out {
	const struct gw_light_cmd *cmd;
	struct mesh_model_msg *out;
	size_t n, max;
};

static struct mesh_model_msg *next_msg(struct msg_out *o, uint32_t opcode)
{
	struct mesh_model_msg *m;

	if (o->n >= o->max)
		return NULL;
	m = &o->out[o->n++];
	memset(m, 0, sizeof(*m));
	m->opcode = opcode;
	if (o->cmd->has_transition) {
		m->has_transition = true;
		m->transition = gw_transition_field(o->cmd->transition_ms);
	}
	return m;
}

/* The entity's temperature range, made sane: inside what CTL can say. */
static void temp_range(const struct gw_entity *e, uint16_t *lo, uint16_t *hi)
{
	*lo = e->temp_min_k < MESH_LIGHT_TEMP_MIN ? MESH_LIGHT_TEMP_MIN : e->temp_min_k;
	*hi = e->temp_max_k > MESH_LIGHT_TEMP_MAX || e->temp_max_k == 0 ? MESH_LIGHT_TEMP_MAX
									 : e->temp_max_k;
	if (*lo > *hi) {
		*lo = MESH_LIGHT_TEMP_MIN;
		*hi = MESH_LIGHT_TEMP_MAX;
	}
}

/* The Lightness a colour Set keeps when no brightness is asked for. */
static uint16_t current_lightness(const struct gw_elem_state *cur, uint32_t colour_kind)
{
	if (!cur)
		return LIGHTNESS_FULL;
	if (cur->known & GW_STATE_LIGHTNESS)
		return cur->target_lightness;
	if (cur->known & colour_kind & GW_STATE_CTL)
		return cur->ctl_lightness;
	if (cur->known & colour_kind & GW_STATE_HSL)
		return cur->hsl_lightness;
	if ((cur->known & GW_STATE_ONOFF) && !cur->target_onoff)
		return 0;
	return LIGHTNESS_FULL;
}

/* The Lightness to switch on to without an OnOff Server. */
static uint16_t on_lightness(const struct gw_elem_state *cur)
{
	if (cur && (cur->known & GW_STATE_LIGHTNESS_LAST) && cur->lightness_last)
		return cur->lightness_last;
	if (cur && (cur->known & GW_STATE_LIGHTNESS_DEFAULT) && cur->lightness_default)
		return cur->lightness_default;
	return LIGHTNESS_FULL;
}

static int add_switch(struct msg_out *o, uint32_t caps, bool on, const struct gw_elem_state *cur)
{
	struct mesh_model_msg *m;

	if (caps & GW_CAP_ONOFF) {
		if (!(m = next_msg(o, MESH_OP_GEN_ONOFF_SET)))
			return MESH_ERR_FULL;
		m->onoff = on;
	} else if (caps & GW_CAP_LIGHTNESS) {
		if (!(m = next_msg(o, MESH_OP_LIGHTNESS_SET)))
			return MESH_ERR_FULL;
		m->lightness = on ? on_lightness(cur) : 0;
	} else if (caps & GW_CAP_LEVEL) {
		if (!(m = next_msg(o, MESH_OP_GEN_LEVEL_SET)))
			return MESH_ERR_FULL;
		m->level = on ? LEVEL_FULL : LEVEL_OFF;
	} else {
		return MESH_ERR_INVAL;
	}
	return 0;
}

/* TOGGLE against what the cache says; unknown counts as off, so ON. */
static enum gw_light_onoff resolve_toggle(const struct gw_light_cmd *cmd,
					  const struct gw_elem_state *cur)
{
	if (cmd->state != GW_LIGHT_TOGGLE)
		return cmd->state;
	return cur && light_is_on(cur) == 1 ? GW_LIGHT_OFF : GW_LIGHT_ON;
}

static int check_caps(const struct gw_light_cmd *cmd, uint32_t caps, char *err, size_t errlen)
{
	if (!is_light(caps))
		return invalid(err, errlen, "this entity is not a light");
	if (cmd->has_color_temp && !(caps & GW_CAP_CTL))
		return invalid(err, errlen, "color_temp: this light has no colour temperature");
	if (cmd->has_color && !(caps & GW_CAP_HSL))
		return invalid(err, errlen, "color: this light has no colour (hue and saturation)");
	if (cmd->has_brightness && !can_dim(caps))
		return invalid(err, errlen, "brightness: this light cannot be dimmed");
	return 0;
}

/* HSL Set or CTL Set at lightness l. */
static int add_colour(struct msg_out *o, const struct gw_entity *e,
		      const struct gw_elem_state *cur, uint16_t l)
{
	const struct gw_light_cmd *cmd = o->cmd;
	struct mesh_model_msg *m;
	uint16_t lo, hi, k;

	if (cmd->has_color) {
		if (!(m = next_msg(o, MESH_OP_HSL_SET)))
			return MESH_ERR_FULL;
		m->lightness = l;
		m->hue = hue_from_degrees(cmd->hue_deg);
		m->saturation = saturation_from_percent(cmd->sat_pct);
		return 0;
	}
	if (!(m = next_msg(o, MESH_OP_CTL_SET)))
		return MESH_ERR_FULL;
	temp_range(e, &lo, &hi);
	k = gw_kelvin_from_mireds(cmd->color_temp_mireds);
	m->lightness = l;
	m->temperature = k < lo ? lo : k > hi ? hi : k;
	m->delta_uv = cur && (cur->known & GW_STATE_CTL) ? cur->delta_uv : 0;
	return 0;
}

static int add_brightness(struct msg_out *o, uint32_t caps, uint16_t l)
{
	struct mesh_model_msg *m;

	if (caps & GW_CAP_LIGHTNESS) {
		if (!(m = next_msg(o, MESH_OP_LIGHTNESS_SET)))
			return MESH_ERR_FULL;
		m->lightness = l;
	} else {
		if (!(m = next_msg(o, MESH_OP_GEN_LEVEL_SET)))
			return MESH_ERR_FULL;
		m->level = mesh_lightness_to_level(l);
	}
	return 0;
}

static int build(struct msg_out *o, const struct gw_entity *e, const struct gw_elem_state *cur,
		 enum gw_light_onoff target)
{
	const struct gw_light_cmd *cmd = o->cmd;
	bool colour = cmd->has_color || cmd->has_color_temp;
	uint16_t l = 0;
	int rc;

	if (target == GW_LIGHT_OFF)
		return add_switch(o, e->caps, false, cur);
	if (cmd->has_brightness)
		l = gw_lightness_from_brightness(cmd->brightness);
	else if (colour)
		l = current_lightness(cur, cmd->has_color ? GW_STATE_HSL : GW_STATE_CTL);
	if (colour && (rc = add_colour(o, e, cur, l)))
		return rc;
	if (cmd->has_brightness && !colour && (rc = add_brightness(o, e->caps, l)))
		return rc;
	/* ON still needs switching when nothing above lit the light: no
	 * brightness was given, and no colour Set or one that kept the light
	 * at Lightness 0. An explicit brightness 0 is off and wins. */
	if (target == GW_LIGHT_ON && !cmd->has_brightness && (!colour || l == 0))
		return add_switch(o, e->caps, true, cur);
	return 0;
}

int gw_light_cmd_messages(const struct gw_light_cmd *cmd, const struct gw_entity *e,
			  const struct gw_elem_state *cur, struct mesh_model_msg *out, size_t max,
			  char *err, size_t errlen)
{
	struct msg_out o = { .cmd = cmd, .out = out, .max = max };
	enum gw_light_onoff target;
	int rc = check_caps(cmd, e->caps, err, errlen);

	if (rc)
		return rc;
	target = resolve_toggle(cmd, cur);
	rc = build(&o, e, cur, target);
	if (rc == MESH_ERR_FULL)
		return invalid(err, errlen, "internal: room for %zu messages is not enough", max);
	if (rc)
		return invalid(err, errlen, "state: this light cannot be switched on or off");
	return (int)o.n;
}
