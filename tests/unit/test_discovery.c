/*
 * Home Assistant MQTT discovery (bridge/discovery.h), checked by a
 * validator written from Home Assistant's own schemas, not from what
 * discovery.c happens to emit (ha_schema.c, whose header names the Home
 * Assistant source files and versions each rule comes from). The
 * validator is tested first on payloads known to be wrong, so it is shown
 * able to fail.
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
#include "ha_schema.h"

static const struct discovery_ctx ctx = {
	.prefix = "homeassistant",
	.base_topic = "meshgate",
	.bridge_id = "meshgate_0123abcd",
	.version = "0.1.0",
};

/* ---- the validator (ha_schema.h) ------------------------------------------------ */

static char verr[HA_SCHEMA_WHY_MAX];

/* One message; NULL when valid, else why not. */
static const char *validate(const struct discovery_msg *m)
{
	return ha_schema_check_message(ctx.prefix, ctx.base_topic, m->topic, m->payload, verr,
				       sizeof(verr))
		       ? NULL
		       : verr;
}

/* Every message valid; unique_ids, topics and triggers unique. */
static const char *validate_all(const struct discovery_list *l)
{
	struct ha_schema_msg *msgs = calloc(l->n ? l->n : 1, sizeof(*msgs));
	bool ok;

	assert_non_null(msgs);
	for (size_t i = 0; i < l->n; i++) {
		msgs[i].topic = l->msgs[i].topic;
		msgs[i].config = l->msgs[i].payload;
	}
	ok = ha_schema_check_set(ctx.prefix, ctx.base_topic, msgs, l->n, verr, sizeof(verr));
	free(msgs);
	return ok ? NULL : verr;
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
	/* meshgate's own rule: the topics it names are its own. */
	expect_invalid("homeassistant/light/node/obj/config",
		       "{\"unique_id\":\"u\",\"schema\":\"json\","
		       "\"command_topic\":\"zigbee2mqtt/a/set\",\"supported_color_modes\":[\"onoff\"]}",
		       "not below the base topic");
	expect_invalid("homeassistant/light/node/obj/config",
		       LIGHT_HEAD "\"supported_color_modes\":[\"onoff\"],"
		       "\"availability\":[{\"topic\":\"meshgate2/bridge/state\"}]}",
		       "not below the base topic");
	expect_invalid("homeassistant/light/node/obj/config", "[1]", "must be an object");
}

/* The config check alone, as the end-to-end tests call it. */
static void test_validator_component(void **state)
{
	json_t *light = json_loads(LIGHT_HEAD "\"supported_color_modes\":[\"onoff\"]}", 0, NULL);
	json_t *list = json_loads("[]", 0, NULL);
	char why[HA_SCHEMA_WHY_MAX];

	(void)state;
	assert_true(ha_schema_check("light", light, why, sizeof(why)));
	assert_string_equal(why, "");
	assert_false(ha_schema_check("switch", light, why, sizeof(why)));
	assert_non_null(strstr(why, "not one meshgate should send"));
	assert_false(ha_schema_check("sensor", light, why, sizeof(why)));
	assert_non_null(strstr(why, "sensor: key \"schema\" is not in"));
	assert_false(ha_schema_check("light", list, why, sizeof(why)));
	assert_non_null(strstr(why, "must be a JSON object"));
	/* A short buffer still gets a terminated reason; none at all is fine. */
	assert_false(ha_schema_check("switch", light, why, 8));
	assert_int_equal(strlen(why), 7);
	assert_false(ha_schema_check("switch", light, NULL, 0));
	json_decref(light);
	json_decref(list);
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

	m = find(&l, "homeassistant/light/meshgate_102132435465768798a9bacbdcedfe0f/light_e0/config");
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

	m = find(&l, "homeassistant/light/meshgate_2031425364758697a8b9cadbecfd0e1f/light_e0/config");
	assert_non_null(m);
	assert_modes(m->payload, "brightness", NULL);
	assert_state_fits(&dim, m->payload);

	m = find(&l, "homeassistant/light/meshgate_30415263748596a7b8c9daebfc0d1e2f/light_e0/config");
	assert_non_null(m);
	assert_modes(m->payload, "color_temp", NULL);
	assert_int_equal(json_integer_value(json_object_get(m->payload, "min_kelvin")), 2700);
	assert_int_equal(json_integer_value(json_object_get(m->payload, "max_kelvin")), 6500);
	assert_null(json_object_get(m->payload, "color_temp_kelvin"));   /* mireds in payloads */
	assert_string_equal(str(m->payload, "default_entity_id"), "light.desk_lamp");
	assert_state_fits(&ctl, m->payload);

	/* Element 1: its own name in the entity, no connectivity of its own. */
	m = find(&l, "homeassistant/light/meshgate_405162738495a6b7c8d9eafb0c1d2e3f/light_e1/config");
	assert_non_null(m);
	assert_modes(m->payload, "hs", NULL);
	assert_string_equal(str(m->payload, "name"), "rgb");
	assert_string_equal(str(m->payload, "state_topic"), "meshgate/Strip/rgb");
	assert_string_equal(str(m->payload, "default_entity_id"), "light.strip_rgb");
	assert_null(json_object_get(m->payload, "min_kelvin"));
	assert_state_fits(&hsl, m->payload);
	snprintf(topic, sizeof(topic), "homeassistant/binary_sensor/meshgate_405162738495a6b7c8d9eafb0c1d2e3f/"
		 "connectivity/config");
	for (size_t i = 0; i < l.n; i++)
		assert_string_not_equal(l.msgs[i].topic, topic);

	m = find(&l, "homeassistant/light/meshgate_5061728394a5b6c7d8e9fa0b1c2d3e4f/light_e0/config");
	assert_non_null(m);
	assert_modes(m->payload, "color_temp", "hs");
	assert_int_equal(json_integer_value(json_object_get(m->payload, "min_kelvin")), 800);
	assert_int_equal(json_integer_value(json_object_get(m->payload, "max_kelvin")), 20000);
	assert_state_fits(&both, m->payload);

	/* Connectivity: heartbeat liveness of the node. */
	m = find(&l, "homeassistant/binary_sensor/meshgate_2031425364758697a8b9cadbecfd0e1f/connectivity/config");
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

	m = find(&l, "homeassistant/sensor/meshgate_60718293a4b5c6d7e8f90a1b2c3d4e5f/temperature_e1/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "device_class"), "temperature");
	assert_string_equal(str(m->payload, "unit_of_measurement"), "°C");
	assert_string_equal(str(m->payload, "state_class"), "measurement");
	assert_string_equal(str(m->payload, "value_template"), "{{ value_json.temperature }}");
	assert_string_equal(str(m->payload, "state_topic"), "meshgate/Hall/1");
	assert_string_equal(str(m->payload, "name"), "1 temperature");
	assert_string_equal(str(m->payload, "default_entity_id"), "sensor.hall_1_temperature");
	m = find(&l, "homeassistant/sensor/meshgate_60718293a4b5c6d7e8f90a1b2c3d4e5f/humidity_e1/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "unit_of_measurement"), "%");
	m = find(&l, "homeassistant/binary_sensor/meshgate_60718293a4b5c6d7e8f90a1b2c3d4e5f/motion_e1/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "device_class"), "motion");
	assert_string_equal(str(m->payload, "payload_on"), "ON");
	assert_string_equal(str(m->payload, "payload_off"), "OFF");
	assert_non_null(strstr(str(m->payload, "value_template"), "value_json.motion > 0"));
	assert_non_null(strstr(str(m->payload, "value_template"),
			       "'None' if value_json.motion is none"));

	/* Element 0: names without a prefix, and the node's connectivity. */
	m = find(&l, "homeassistant/sensor/meshgate_60718293a4b5c6d7e8f90a1b2c3d4e5f/people_count_e0/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "name"), "People count");
	assert_null(json_object_get(m->payload, "device_class"));
	assert_null(json_object_get(m->payload, "unit_of_measurement"));
	m = find(&l, "homeassistant/binary_sensor/meshgate_60718293a4b5c6d7e8f90a1b2c3d4e5f/presence_e0/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "device_class"), "occupancy");
	m = find(&l, "homeassistant/sensor/meshgate_60718293a4b5c6d7e8f90a1b2c3d4e5f/energy_e0/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "state_class"), "total_increasing");
	assert_string_equal(str(m->payload, "unit_of_measurement"), "kWh");
	m = find(&l, "homeassistant/sensor/meshgate_60718293a4b5c6d7e8f90a1b2c3d4e5f/time_since_motion_e0/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "device_class"), "duration");
	assert_string_equal(str(m->payload, "name"), "Time since motion");
	assert_non_null(find(&l, "homeassistant/binary_sensor/meshgate_60718293a4b5c6d7e8f90a1b2c3d4e5f/"
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
	m = find(&l, "homeassistant/device_automation/meshgate_708192a3b4c5d6e7f8091a2b3c4d5e6f/action_e0_on/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "automation_type"), "trigger");
	assert_string_equal(str(m->payload, "topic"), "meshgate/Wall/action");
	assert_string_equal(str(m->payload, "payload"), "on");
	assert_string_equal(str(m->payload, "type"), "button_short_press");
	assert_string_equal(str(m->payload, "subtype"), "turn_on");
	m = find(&l, "homeassistant/device_automation/meshgate_708192a3b4c5d6e7f8091a2b3c4d5e6f/action_e0_off/config");
	assert_non_null(m);
	assert_string_equal(str(m->payload, "payload"), "off");
	assert_string_equal(str(m->payload, "subtype"), "turn_off");
	/* A second switch element of the same node: told apart by subtype. */
	m = find(&l, "homeassistant/device_automation/meshgate_708192a3b4c5d6e7f8091a2b3c4d5e6f/action_e1_on/config");
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
		cmocka_unit_test(test_validator_component),
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
