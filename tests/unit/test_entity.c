/*
 * Entities (gateway/entity.h): capabilities from SIG model IDs; the state
 * JSON of on/off, dimmable, CTL, HSL and sensor elements (values, nulls
 * for unknown values, raw hex for unknown properties); every class of
 * error a set payload can have, with its message; the model messages of
 * each command on each capability combination (opcodes, fields,
 * transition encoding, TOGGLE against known and unknown state,
 * brightness 0, clamping to the temperature range); the conversions at
 * their edges; the sensor class table against sensor_msg's table; the
 * names of SIG models and Health faults; and a CTL light's temperature
 * taken from its CTL Temperature element when that reported last.
 *
 * Every message produced is also encoded with the mesh layer's codec, so
 * nothing here can pass with a Set the radio would refuse.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/entity.h"
#include "mesh/err.h"
#include "mesh/light_msg.h"
#include "mesh/sensor_msg.h"
#include "mesh/util.h"

#define CLOSE(a, b) (fabs((a) - (b)) < 1e-9)
#define CAPS_DIM (GW_CAP_ONOFF | GW_CAP_LEVEL | GW_CAP_LIGHTNESS)

/* ---- helpers ------------------------------------------------------------- */

static struct gw_entity light(uint32_t caps)
{
	struct gw_entity e;

	memset(&e, 0, sizeof(e));
	e.kind = GW_ENTITY_ELEMENT;
	e.caps = caps;
	e.addr = 0x0105;
	e.temp_min_k = 800;
	e.temp_max_k = 20000;
	snprintf(e.name, sizeof(e.name), "lamp");
	return e;
}

static struct gw_elem_state elem_state(uint32_t known)
{
	struct gw_elem_state st;

	memset(&st, 0, sizeof(st));
	st.addr = 0x0105;
	st.known = known;
	return st;
}

/* The state JSON as compact text with sorted keys, for exact comparison. */
static void check_state(const struct gw_entity *e, const struct gw_elem_state *st,
			const char *want)
{
	json_t *j = gw_entity_state_json(e, st);
	char *text;

	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
	assert_non_null(text);
	if (strcmp(text, want) != 0)
		print_error("state JSON %s, want %s\n", text, want);
	assert_string_equal(text, want);
	free(text);
	json_decref(j);
}

static void parse_ok(const char *text, struct gw_light_cmd *cmd)
{
	char err[200] = "";

	if (gw_light_cmd_parse(text, strlen(text), cmd, err, sizeof(err)) != 0)
		print_error("%s: %s\n", text, err);
	assert_int_equal(gw_light_cmd_parse(text, strlen(text), cmd, err, sizeof(err)), 0);
}

/* Parse must fail with a message that starts with want. */
static void parse_err(const char *text, const char *want)
{
	struct gw_light_cmd cmd;
	char err[200] = "";

	assert_int_equal(gw_light_cmd_parse(text, strlen(text), &cmd, err, sizeof(err)),
			 MESH_ERR_INVAL);
	if (strncmp(err, want, strlen(want)) != 0)
		print_error("%s: got \"%s\", want \"%s...\"\n", text, err, want);
	assert_true(strncmp(err, want, strlen(want)) == 0);
}

/* Messages of text on e, each checked to encode and decode back. */
static int messages(const char *text, const struct gw_entity *e, const struct gw_elem_state *cur,
		    struct mesh_model_msg *out, size_t max)
{
	struct gw_light_cmd cmd;
	char err[200] = "";
	int n;

	parse_ok(text, &cmd);
	n = gw_light_cmd_messages(&cmd, e, cur, out, max, err, sizeof(err));
	if (n < 0)
		print_error("%s: %s\n", text, err);
	for (int i = 0; i < n; i++) {
		uint8_t buf[MESH_ACCESS_MAX_PAYLOAD];
		struct mesh_model_msg back;
		int len = mesh_model_msg_encode(&out[i], buf, sizeof(buf));

		assert_true(len > 0);
		assert_int_equal(mesh_model_msg_decode(buf, (size_t)len, &back), 0);
		assert_int_equal(back.opcode, out[i].opcode);
		assert_int_equal(out[i].tid, 0);
		assert_int_equal(mesh_model_status_opcode(out[i].opcode) != 0, 1);
	}
	return n;
}

static void messages_err(const char *text, const struct gw_entity *e, const char *want)
{
	struct mesh_model_msg out[4];
	struct gw_light_cmd cmd;
	char err[200] = "";

	parse_ok(text, &cmd);
	assert_int_equal(gw_light_cmd_messages(&cmd, e, NULL, out, 4, err, sizeof(err)),
			 MESH_ERR_INVAL);
	if (strncmp(err, want, strlen(want)) != 0)
		print_error("%s: got \"%s\", want \"%s...\"\n", text, err, want);
	assert_true(strncmp(err, want, strlen(want)) == 0);
}

/* ---- capabilities ---------------------------------------------------------- */

static uint32_t caps_of(const uint32_t *ids, size_t n, bool vendor)
{
	struct netdb_model models[16];
	struct netdb_element el;

	memset(models, 0, sizeof(models));
	memset(&el, 0, sizeof(el));
	for (size_t i = 0; i < n; i++) {
		models[i].id = ids[i];
		models[i].vendor = vendor;
	}
	el.n_models = n;
	el.models = models;
	return gw_entity_caps_of_element(&el);
}

static void test_caps_from_models(void **state)
{
	const uint32_t onoff[] = { 0x0000, 0x0002, 0x1000 };
	const uint32_t dim[] = { 0x1000, 0x1002, 0x1004, 0x1300, 0x1301 };
	const uint32_t ctl[] = { 0x1000, 0x1002, 0x1300, 0x1301, 0x1303, 0x1304 };
	const uint32_t ctl_temp[] = { 0x1002, 0x1306 };
	const uint32_t hsl[] = { 0x1000, 0x1002, 0x1300, 0x1307, 0x1308, 0x130a, 0x130b };
	const uint32_t sensor[] = { 0x1100, 0x1101 };
	const uint32_t wall[] = { 0x1001, 0x1003 };
	const uint32_t nothing[] = { 0x0000, 0x0002, 0x1102, 0x1302 };

	(void)state;
	assert_int_equal(caps_of(onoff, 3, false), GW_CAP_ONOFF);
	assert_int_equal(caps_of(dim, 5, false), CAPS_DIM);
	assert_int_equal(caps_of(ctl, 6, false), CAPS_DIM | GW_CAP_CTL);
	/* The CTL Temperature Server's element: a level, no CTL of its own. */
	assert_int_equal(caps_of(ctl_temp, 2, false), GW_CAP_LEVEL);
	assert_int_equal(caps_of(hsl, 7, false), CAPS_DIM | GW_CAP_HSL);
	assert_int_equal(caps_of(sensor, 2, false), GW_CAP_SENSOR);
	assert_int_equal(caps_of(wall, 2, false), GW_CAP_SWITCH | GW_CAP_DIMMER);
	assert_int_equal(caps_of(nothing, 4, false), 0);
	/* A vendor model that happens to have a SIG number is not one. */
	assert_int_equal(caps_of(dim, 5, true), 0);
	assert_int_equal(caps_of(NULL, 0, false), 0);
}

static void test_names(void **state)
{
	char buf[48];

	(void)state;
	assert_string_equal(gw_model_name(0x0000), "Configuration Server");
	assert_string_equal(gw_model_name(0x0002), "Health Server");
	assert_string_equal(gw_model_name(0x1000), "Generic OnOff Server");
	assert_string_equal(gw_model_name(0x1100), "Sensor Server");
	assert_string_equal(gw_model_name(0x1306), "Light CTL Temperature Server");
	assert_string_equal(gw_model_name(0x1311), "Light LC Client");
	assert_null(gw_model_name(0x1312));
	assert_null(gw_model_name(0x0016));
	assert_null(gw_model_name(0xffff));

	assert_string_equal(gw_health_fault_name(0x00, buf, sizeof(buf)), "No Fault");
	assert_string_equal(gw_health_fault_name(0x01, buf, sizeof(buf)), "Battery Low Warning");
	assert_string_equal(gw_health_fault_name(0x02, buf, sizeof(buf)), "Battery Low Error");
	assert_string_equal(gw_health_fault_name(0x0d, buf, sizeof(buf)), "Overheat Warning");
	assert_string_equal(gw_health_fault_name(0x0e, buf, sizeof(buf)), "Overheat Error");
	assert_string_equal(gw_health_fault_name(0x32, buf, sizeof(buf)),
			    "Mechanism Jammed Error");
	assert_string_equal(gw_health_fault_name(0x33, buf, sizeof(buf)), "Reserved 0x33");
	assert_string_equal(gw_health_fault_name(0x7f, buf, sizeof(buf)), "Reserved 0x7f");
	assert_string_equal(gw_health_fault_name(0x80, buf, sizeof(buf)),
			    "Vendor Specific 0x80");
	assert_string_equal(gw_health_fault_name(0xff, buf, sizeof(buf)),
			    "Vendor Specific 0xff");
	/* A short buffer is cut, not overrun. */
	assert_string_equal(gw_health_fault_name(0x01, buf, 8), "Battery");
}

/* ---- conversions ----------------------------------------------------------- */

static void test_conversions(void **state)
{
	(void)state;
	/* Brightness <-> Lightness: every value against the formula. */
	for (uint32_t l = 0; l <= 0xffff; l++)
		assert_int_equal(gw_brightness_from_lightness((uint16_t)l),
				 (int)floor(l * 255.0 / 65535.0 + 0.5));
	for (uint32_t b = 0; b <= 255; b++) {
		uint16_t l = gw_lightness_from_brightness((uint8_t)b);

		assert_int_equal(l, (int)floor(b * 65535.0 / 255.0 + 0.5));
		assert_int_equal(gw_brightness_from_lightness(l), b);
	}
	assert_int_equal(gw_lightness_from_brightness(255), 0xffff);
	assert_int_equal(gw_lightness_from_brightness(0), 0);
	assert_int_equal(gw_brightness_from_lightness(128), 0);
	assert_int_equal(gw_brightness_from_lightness(129), 1);

	/* Mireds <-> Kelvin, rounded, clamped to what CTL can say. */
	assert_int_equal(gw_mireds_from_kelvin(2700), 370);
	assert_int_equal(gw_kelvin_from_mireds(370), 2703);
	assert_int_equal(gw_mireds_from_kelvin(800), 1250);
	assert_int_equal(gw_mireds_from_kelvin(20000), 50);
	assert_int_equal(gw_kelvin_from_mireds(50), 20000);
	assert_int_equal(gw_kelvin_from_mireds(1250), 800);
	assert_int_equal(gw_kelvin_from_mireds(40), 20000);
	assert_int_equal(gw_kelvin_from_mireds(2000), 800);
	assert_int_equal(gw_kelvin_from_mireds(0), 20000);
	assert_int_equal(gw_kelvin_from_mireds(0xffff), 800);
	assert_int_equal(gw_mireds_from_kelvin(0), 0);
	assert_int_equal(gw_mireds_from_kelvin(10), 0xffff);
	for (uint16_t m = 50; m <= 1250; m++) {
		uint16_t k = gw_kelvin_from_mireds(m);

		assert_true(k >= 800 && k <= 20000);
		/* Round trip within the rounding of the coarser side. */
		assert_true(abs((int)gw_mireds_from_kelvin(k) - (int)m) <= 1);
	}

	/* Transition Time: finest resolution, longest ones clamped. */
	assert_int_equal(gw_transition_field(0), 0x00);
	assert_int_equal(gw_transition_field(1), 0x01);
	assert_int_equal(gw_transition_field(100), 0x01);
	assert_int_equal(gw_transition_field(2000), 20);
	assert_int_equal(gw_transition_field(6200), 62);
	assert_int_equal(gw_transition_field(6300), 0x40 | 6);
	assert_int_equal(gw_transition_field(62000), 0x40 | 62);
	assert_int_equal(gw_transition_field(63000), 0x80 | 6);
	assert_int_equal(gw_transition_field(620000), 0x80 | 62);
	assert_int_equal(gw_transition_field(630000), 0xc0 | 1);
	assert_int_equal(gw_transition_field(37200000), 0xc0 | 62);
	assert_int_equal(gw_transition_field(40000000), 0xc0 | 62);
	assert_int_equal(gw_transition_field(UINT32_MAX), 0xc0 | 62);
	for (uint32_t ms = 0; ms < 40000000; ms += 9973)
		assert_true(mesh_transition_known(gw_transition_field(ms)));
}

/* ---- state JSON ------------------------------------------------------------ */

static void test_state_onoff(void **state)
{
	struct gw_entity e = light(GW_CAP_ONOFF);
	struct gw_elem_state st = elem_state(GW_STATE_ONOFF);

	(void)state;
	check_state(&e, NULL, "{}");
	st.onoff = st.target_onoff = 1;
	check_state(&e, &st, "{\"state\":\"ON\"}");
	st.target_onoff = 0;     /* switching off: say where it goes */
	check_state(&e, &st, "{\"state\":\"OFF\"}");
	/* Known but nothing about on/off: unknown, still a "state". */
	st = elem_state(GW_STATE_DTT);
	check_state(&e, &st, "{\"state\":null}");
	/* A lightness reported to an on/off-only entity gives no brightness. */
	st = elem_state(GW_STATE_LIGHTNESS);
	st.target_lightness = 0x8000;
	check_state(&e, &st, "{\"state\":\"ON\"}");
}

static void test_state_lightness(void **state)
{
	struct gw_entity e = light(CAPS_DIM);
	struct gw_elem_state st = elem_state(GW_STATE_LIGHTNESS);

	(void)state;
	st.lightness = st.target_lightness = 0xffff;
	check_state(&e, &st, "{\"brightness\":255,\"state\":\"ON\"}");
	/* In transition: the target. */
	st.lightness = 1000;
	st.target_lightness = 0x8080;
	check_state(&e, &st, "{\"brightness\":128,\"state\":\"ON\"}");
	/* On, but dimmer than one step: brightness 1, never 0. */
	st.target_lightness = 100;
	check_state(&e, &st, "{\"brightness\":1,\"state\":\"ON\"}");
	/* OnOff decides the state when known. */
	st.known |= GW_STATE_ONOFF;
	st.target_onoff = 0;
	st.target_lightness = 0;
	check_state(&e, &st, "{\"brightness\":0,\"state\":\"OFF\"}");
	/* Switched on: the OnOff Status comes before the Lightness Status, and
	 * the Lightness of 0 it still has is no brightness to show. */
	st.target_onoff = 1;
	check_state(&e, &st, "{\"state\":\"ON\"}");
	st.target_lightness = 0x8080;
	check_state(&e, &st, "{\"brightness\":128,\"state\":\"ON\"}");
	/* Only the Generic Level known: brightness from level + 32768. */
	st = elem_state(GW_STATE_LEVEL);
	st.target_level = 0;
	check_state(&e, &st, "{\"brightness\":128,\"state\":\"ON\"}");
	st.target_level = INT16_MIN;
	check_state(&e, &st, "{\"brightness\":0,\"state\":\"OFF\"}");
	/* OnOff + Level: a dimmer, brightness from its level. */
	e = light(GW_CAP_ONOFF | GW_CAP_LEVEL);
	st.target_level = INT16_MAX;
	check_state(&e, &st, "{\"brightness\":255,\"state\":\"ON\"}");
	/* A lone Level Server (a CTL Temperature element) is no light. */
	e = light(GW_CAP_LEVEL);
	check_state(&e, &st, "{}");
}

static void test_state_ctl(void **state)
{
	struct gw_entity e = light(CAPS_DIM | GW_CAP_CTL);
	struct gw_elem_state st = elem_state(GW_STATE_CTL | GW_STATE_ONOFF);

	(void)state;
	st.target_onoff = 1;
	st.ctl_lightness = 0xffff;
	st.temperature = 6500;
	st.target_temperature = 2700;
	check_state(&e, &st, "{\"brightness\":255,\"color_mode\":\"color_temp\","
			     "\"color_temp\":370,\"state\":\"ON\"}");
	/* Lightness Status known: it wins over the CTL lightness. */
	st.known |= GW_STATE_LIGHTNESS;
	st.target_lightness = 0x8080;
	st.target_temperature = 6500;
	check_state(&e, &st, "{\"brightness\":128,\"color_mode\":\"color_temp\","
			     "\"color_temp\":154,\"state\":\"ON\"}");
	/* A CTL reading for an entity without CTL shows no colour. */
	e = light(CAPS_DIM);
	check_state(&e, &st, "{\"brightness\":128,\"state\":\"ON\"}");
}

/* A node with a CTL light on element 0 and its CTL Temperature Server on
 * element 1, then a dimmer on element 2 (models in the given order). */
static void ctl_node(struct netdb_node *n, struct netdb_element els[3], struct netdb_model m[8])
{
	static const uint32_t ids[] = { 0x1000, 0x1300, 0x1303, 0x1304, 0x1002, 0x1306, 0x1000,
					0x1300 };

	memset(n, 0, sizeof(*n));
	memset(els, 0, 3 * sizeof(*els));
	memset(m, 0, 8 * sizeof(*m));
	for (size_t i = 0; i < 8; i++)
		m[i].id = ids[i];
	els[0].models = &m[0];
	els[0].n_models = 4;
	els[1].models = &m[4];
	els[1].n_models = 2;
	els[2].models = &m[6];
	els[2].n_models = 2;
	n->unicast = 0x0105;
	n->n_elements = 3;
	n->elements = els;
}

static void test_ctl_temperature_element(void **state)
{
	struct netdb_node n;
	struct netdb_element els[3];
	struct netdb_model m[8];

	(void)state;
	ctl_node(&n, els, m);
	assert_true(gw_entity_ctl_temperature_element(&n, 0));
	/* Element 1 holds the temperature, not a CTL Server; 2 is the last. */
	assert_false(gw_entity_ctl_temperature_element(&n, 1));
	assert_false(gw_entity_ctl_temperature_element(&n, 2));
	assert_false(gw_entity_ctl_temperature_element(&n, 7));
	/* A vendor model with the number is not the Temperature Server. */
	m[5].vendor = true;
	assert_false(gw_entity_ctl_temperature_element(&n, 0));
	m[5].vendor = false;
	/* Nor is a CTL Server whose next element has none. */
	m[5].id = 0x1000;
	assert_false(gw_entity_ctl_temperature_element(&n, 0));
}

/* Whether the merge left the CTL part of a state as it was. */
static void assert_ctl_unchanged(const struct gw_elem_state *st, const struct gw_elem_state *was)
{
	assert_int_equal(st->known, was->known);
	assert_int_equal(st->ctl_lightness, was->ctl_lightness);
	assert_int_equal(st->temperature, was->temperature);
	assert_int_equal(st->target_temperature, was->target_temperature);
	assert_int_equal(st->delta_uv, was->delta_uv);
	assert_int_equal(st->temp_min, was->temp_min);
	assert_int_equal(st->temp_max, was->temp_max);
}

static void test_state_ctl_temperature_merge(void **state)
{
	struct gw_entity e = light(CAPS_DIM | GW_CAP_CTL);
	struct gw_elem_state lamp = elem_state(GW_STATE_CTL | GW_STATE_ONOFF);
	struct gw_elem_state temp = elem_state(GW_STATE_CTL | GW_STATE_CTL_TEMP_RANGE);
	struct gw_elem_state st;

	(void)state;
	lamp.target_onoff = 1;
	lamp.ctl_lightness = 0xffff;
	lamp.temperature = lamp.target_temperature = 6500;
	lamp.delta_uv = 3;
	temp.addr = 0x0106;
	temp.temperature = 4000;
	temp.target_temperature = 2700;
	temp.delta_uv = -7;
	temp.temp_min = 2000;
	temp.temp_max = 7000;

	/* The temperature element reported last: its target is the light's. */
	st = lamp;
	gw_entity_merge_temperature(&st, 10, &temp, 20);
	assert_int_equal(st.target_temperature, 2700);
	assert_int_equal(st.temperature, 4000);
	assert_int_equal(st.delta_uv, -7);
	assert_true(st.known & GW_STATE_CTL_TEMP_RANGE);
	assert_int_equal(st.temp_min, 2000);
	assert_int_equal(st.temp_max, 7000);
	assert_int_equal(st.ctl_lightness, 0xffff);
	assert_int_equal(st.addr, 0x0105);
	check_state(&e, &st, "{\"brightness\":255,\"color_mode\":\"color_temp\","
			     "\"color_temp\":370,\"state\":\"ON\"}");

	/* The light's own CTL Status is newer (or as new): it stays. */
	st = lamp;
	gw_entity_merge_temperature(&st, 20, &temp, 20);
	assert_ctl_unchanged(&st, &lamp);
	check_state(&e, &st, "{\"brightness\":255,\"color_mode\":\"color_temp\","
			     "\"color_temp\":154,\"state\":\"ON\"}");

	/* Nothing from the temperature element, or no CTL state there. */
	st = lamp;
	gw_entity_merge_temperature(&st, 10, NULL, 20);
	assert_ctl_unchanged(&st, &lamp);
	temp.known = GW_STATE_LEVEL;
	gw_entity_merge_temperature(&st, 10, &temp, 20);
	assert_ctl_unchanged(&st, &lamp);
	temp.known = GW_STATE_CTL;

	/* No CTL Status from the light yet: its Lightness gives the CTL
	 * Lightness, so the brightness stays what the light reported. */
	st = elem_state(GW_STATE_LIGHTNESS | GW_STATE_ONOFF);
	st.target_onoff = 1;
	st.target_lightness = 0x8080;
	gw_entity_merge_temperature(&st, 0, &temp, 5);
	assert_true(st.known & GW_STATE_CTL);
	assert_int_equal(st.ctl_lightness, 0x8080);
	check_state(&e, &st, "{\"brightness\":128,\"color_mode\":\"color_temp\","
			     "\"color_temp\":370,\"state\":\"ON\"}");

	/* Nor a Lightness: no brightness is made up, nothing changes. */
	st = elem_state(GW_STATE_ONOFF);
	st.target_onoff = 1;
	lamp = st;
	gw_entity_merge_temperature(&st, 0, &temp, 5);
	assert_ctl_unchanged(&st, &lamp);
	check_state(&e, &st, "{\"state\":\"ON\"}");
}

static void test_state_hsl(void **state)
{
	struct gw_entity e = light(CAPS_DIM | GW_CAP_HSL);
	struct gw_elem_state st = elem_state(GW_STATE_HSL);
	json_t *j, *colour;

	(void)state;
	st.hsl_lightness = 0xffff;
	st.hue = 0x8000;
	st.saturation = 0xffff;
	check_state(&e, &st, "{\"brightness\":255,\"color\":{\"h\":180.0,\"s\":100.0},"
			     "\"color_mode\":\"hs\",\"state\":\"ON\"}");
	/* Home Assistant reads color.h and color.s as floats: check numbers. */
	st.hue = 10923;              /* 60 degrees */
	st.saturation = 0x4000;      /* 25 % */
	j = gw_entity_state_json(&e, &st);
	colour = json_object_get(j, "color");
	assert_true(json_is_real(json_object_get(colour, "h")));
	assert_true(CLOSE(json_real_value(json_object_get(colour, "h")), 60.0));
	assert_true(CLOSE(json_real_value(json_object_get(colour, "s")), 25.0));
	assert_int_equal(json_object_size(colour), 2);
	json_decref(j);

	/* CTL and HSL: white (saturation 0) is the color_temp mode. */
	e = light(CAPS_DIM | GW_CAP_HSL | GW_CAP_CTL);
	st.known |= GW_STATE_CTL;
	st.ctl_lightness = 0xffff;
	st.target_temperature = 4000;
	st.saturation = 0;
	check_state(&e, &st, "{\"brightness\":255,\"color_mode\":\"color_temp\","
			     "\"color_temp\":250,\"state\":\"ON\"}");
	st.saturation = 0xffff;
	st.hue = 0;
	check_state(&e, &st, "{\"brightness\":255,\"color\":{\"h\":0.0,\"s\":100.0},"
			     "\"color_mode\":\"hs\",\"state\":\"ON\"}");
}

static void add_reading(struct gw_elem_state *st, uint16_t prop, const uint8_t *raw, uint8_t len)
{
	struct gw_sensor_reading *r = &st->sensors[st->n_sensors++];

	memset(r, 0, sizeof(*r));
	r->prop = prop;
	r->len = len;
	if (len)
		memcpy(r->raw, raw, len < sizeof(r->raw) ? len : sizeof(r->raw));
	/* As the state cache does: a value that does not decode stays raw. */
	if (mesh_sensor_value_decode(prop, raw, len, &r->value) < 0)
		r->value.known = false;
	r->value.prop = prop;
	st->known |= GW_STATE_SENSOR;
}

static void test_state_sensor(void **state)
{
	static const uint8_t temp[] = { 0x2b }, humidity[] = { 0x34, 0x12 }, motion[] = { 0xff };
	static const uint8_t people[] = { 3, 0 }, raw[] = { 0xde, 0xad, 0xbe };
	static const uint8_t voltage_bad[] = { 0x90, 0xff }, energy[] = { 0xfe, 0xff, 0xff, 0xff };
	static const uint8_t presence[] = { 1 }, power[] = { 0xd2, 0x04, 0x00 };
	struct gw_entity e = light(GW_CAP_SENSOR);
	struct gw_elem_state st = elem_state(0);
	json_t *j;

	(void)state;
	add_reading(&st, MESH_PROP_PRESENT_AMBIENT_TEMPERATURE, temp, 1);             /* 21.5 °C */
	add_reading(&st, MESH_PROP_PRESENT_AMBIENT_RELATIVE_HUMIDITY, humidity, 2);   /* 46.6 % */
	add_reading(&st, MESH_PROP_MOTION_SENSED, motion, 1);                         /* unknown */
	add_reading(&st, MESH_PROP_PEOPLE_COUNT, people, 2);
	add_reading(&st, 0x1234, raw, 3);                                             /* unknown prop */
	add_reading(&st, MESH_PROP_PRESENT_INPUT_VOLTAGE, voltage_bad, 2);            /* prohibited */
	add_reading(&st, MESH_PROP_PRECISE_TOTAL_DEVICE_ENERGY_USE, energy, 4);       /* invalid */
	add_reading(&st, MESH_PROP_PRESENCE_DETECTED, presence, 1);
	add_reading(&st, MESH_PROP_PRESENT_DEVICE_INPUT_POWER, power, 3);             /* 123.4 W */
	add_reading(&st, 0x4321, NULL, 0);                                            /* not known */
	check_state(&e, &st, "{\"humidity\":46.6,\"motion\":null,\"people_count\":3,"
			     "\"power\":123.4,\"precise_energy\":null,\"presence\":1,"
			     "\"prop_0x1234\":\"deadbe\",\"prop_0x4321\":null,"
			     "\"temperature\":21.5,\"voltage\":null}");
	/* Counts are integers, measurements numbers with a fraction. */
	j = gw_entity_state_json(&e, &st);
	assert_true(json_is_integer(json_object_get(j, "people_count")));
	assert_true(json_is_real(json_object_get(j, "temperature")));
	assert_true(CLOSE(json_real_value(json_object_get(j, "humidity")), 46.6));
	json_decref(j);

	/* A light with a sensor on the same element: both in one object. */
	e = light(CAPS_DIM | GW_CAP_SENSOR);
	st = elem_state(GW_STATE_ONOFF);
	st.target_onoff = 1;
	add_reading(&st, MESH_PROP_PRESENT_AMBIENT_TEMPERATURE, temp, 1);
	check_state(&e, &st, "{\"state\":\"ON\",\"temperature\":21.5}");

	/* Groups: the same translation of the state the caller aggregated. */
	e = light(GW_CAP_ONOFF | GW_CAP_LIGHTNESS);
	e.kind = GW_ENTITY_GROUP;
	st = elem_state(GW_STATE_ONOFF | GW_STATE_LIGHTNESS);
	st.target_onoff = 1;
	st.target_lightness = 0xffff;
	check_state(&e, &st, "{\"brightness\":255,\"state\":\"ON\"}");
}

/* ---- parsing --------------------------------------------------------------- */

static void test_parse_ok(void **state)
{
	struct gw_light_cmd cmd;
	char err[100];
	json_t *obj;

	(void)state;
	parse_ok("{\"state\":\"ON\"}", &cmd);
	assert_int_equal(cmd.state, GW_LIGHT_ON);
	assert_false(cmd.has_brightness || cmd.has_color || cmd.has_color_temp ||
		     cmd.has_transition);
	parse_ok("{\"state\":\"off\"}", &cmd);
	assert_int_equal(cmd.state, GW_LIGHT_OFF);
	parse_ok(" {\"state\" : \"Toggle\"} ", &cmd);
	assert_int_equal(cmd.state, GW_LIGHT_TOGGLE);
	parse_ok("{\"brightness\":0}", &cmd);
	assert_int_equal(cmd.state, GW_LIGHT_KEEP);
	assert_true(cmd.has_brightness);
	assert_int_equal(cmd.brightness, 0);
	parse_ok("{\"brightness\":255,\"transition\":0.5,\"state\":\"ON\"}", &cmd);
	assert_int_equal(cmd.brightness, 255);
	assert_true(cmd.has_transition);
	assert_int_equal(cmd.transition_ms, 500);
	parse_ok("{\"state\":\"ON\",\"transition\":37200}", &cmd);
	assert_int_equal(cmd.transition_ms, 37200000);
	parse_ok("{\"state\":\"OFF\",\"transition\":0}", &cmd);
	assert_true(cmd.has_transition);
	assert_int_equal(cmd.transition_ms, 0);
	parse_ok("{\"color_temp\":50}", &cmd);
	assert_true(cmd.has_color_temp);
	assert_int_equal(cmd.color_temp_mireds, 50);
	parse_ok("{\"color_temp\":1250}", &cmd);
	assert_int_equal(cmd.color_temp_mireds, 1250);
	parse_ok("{\"color\":{\"h\":360,\"s\":0}}", &cmd);
	assert_true(cmd.has_color);
	assert_true(CLOSE(cmd.hue_deg, 360.0) && CLOSE(cmd.sat_pct, 0.0));
	/* What Home Assistant's JSON light sends for turn_on with hs_color. */
	parse_ok("{\"state\": \"ON\", \"color\": {\"h\": 27.5, \"s\": 66.2}, \"brightness\": 77}",
		 &cmd);
	assert_true(CLOSE(cmd.hue_deg, 27.5) && CLOSE(cmd.sat_pct, 66.2));
	/* TOGGLE may carry what to do when it turns the light on. */
	parse_ok("{\"state\":\"TOGGLE\",\"brightness\":10}", &cmd);

	/* From a parsed object, as the JSON-RPC API calls it. */
	obj = json_pack("{s:s,s:i}", "state", "ON", "brightness", 12);
	assert_int_equal(gw_light_cmd_from_json(obj, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.brightness, 12);
	json_decref(obj);
	assert_int_equal(gw_light_cmd_from_json(NULL, &cmd, err, sizeof(err)), MESH_ERR_INVAL);
	assert_string_equal(err, "expected a JSON object, found nothing");
}

static void test_parse_errors(void **state)
{
	struct gw_light_cmd cmd;
	char tiny[8];

	(void)state;
	/* JSON syntax, with the line and column jansson reports. */
	parse_err("{", "invalid JSON at 1:");
	parse_err("{\n  \"state\": ON\n}", "invalid JSON at 2:13: invalid token near 'ON'");
	parse_err("{\"state\":\"ON\"} x", "invalid JSON at 1:");
	parse_err("{\"state\":\"ON\",\"state\":\"OFF\"}", "invalid JSON at 1:");
	parse_err("", "invalid JSON at ");
	/* Not an object. */
	parse_err("[1]", "expected a JSON object, found an array");
	parse_err("\"ON\"", "expected a JSON object, found a string");
	parse_err("null", "expected a JSON object, found null");
	/* Nothing to do. */
	parse_err("{}", "nothing to set");
	parse_err("{\"transition\":2}", "nothing to set");
	/* Unknown members, anywhere. */
	parse_err("{\"brigthness\":10}", "unknown member \"brigthness\"");
	parse_err("{\"state\":\"ON\",\"effect\":\"blink\"}", "unknown member \"effect\"");
	parse_err("{\"state\":\"ON\",\"flash\":2}", "unknown member \"flash\"");
	/* Wrong types. */
	parse_err("{\"state\":1}", "state: expected ON, OFF or TOGGLE, found an integer");
	parse_err("{\"state\":\"maybe\"}", "state: expected ON, OFF or TOGGLE, found \"maybe\"");
	parse_err("{\"state\":\"ONN\"}", "state: expected ON, OFF or TOGGLE, found \"ONN\"");
	parse_err("{\"brightness\":\"10\"}", "brightness: expected an integer 0..255, found a string");
	parse_err("{\"brightness\":12.5}", "brightness: expected an integer 0..255, found a number");
	parse_err("{\"brightness\":true}", "brightness: expected an integer 0..255, found true");
	parse_err("{\"color_temp\":300.5}", "color_temp: expected an integer 50..1250 mireds");
	parse_err("{\"color\":\"red\"}", "color: expected an object");
	parse_err("{\"color\":{\"h\":\"a\",\"s\":1}}", "color: h: expected a number 0..360");
	parse_err("{\"transition\":\"fast\",\"state\":\"ON\"}",
		  "transition: expected a number 0..37200 seconds, found a string");
	/* Out of range. */
	parse_err("{\"brightness\":300}", "brightness: 300 is out of range 0..255");
	parse_err("{\"brightness\":-1}", "brightness: -1 is out of range 0..255");
	parse_err("{\"color_temp\":49}", "color_temp: 49 is out of range 50..1250 mireds");
	parse_err("{\"color_temp\":1251}", "color_temp: 1251 is out of range 50..1250 mireds");
	parse_err("{\"color\":{\"h\":400,\"s\":10}}", "color: h: 400 is out of range 0..360");
	parse_err("{\"color\":{\"h\":-1,\"s\":10}}", "color: h: -1 is out of range 0..360");
	parse_err("{\"color\":{\"h\":10,\"s\":100.5}}", "color: s: 100.5 is out of range 0..100");
	parse_err("{\"state\":\"ON\",\"transition\":-1}", "transition: -1 is out of range 0..37200");
	parse_err("{\"state\":\"ON\",\"transition\":37201}",
		  "transition: 37201 is out of range 0..37200");
	/* Colour spaces meshgate does not speak, half a colour. */
	parse_err("{\"color\":{\"x\":0.3,\"y\":0.3}}", "color: only h and s are supported, found \"x\"");
	parse_err("{\"color\":{\"r\":255,\"g\":0,\"b\":0}}", "color: only h and s are supported");
	parse_err("{\"color\":{\"hue\":10,\"saturation\":5}}", "color: only h and s are supported");
	parse_err("{\"color\":{\"h\":10}}", "color: needs both h (0..360) and s (0..100)");
	/* Contradictions. */
	parse_err("{\"color_temp\":300,\"color\":{\"h\":1,\"s\":1}}",
		  "color_temp and color cannot be set together");
	parse_err("{\"state\":\"OFF\",\"brightness\":10}", "state: OFF cannot be combined");
	parse_err("{\"state\":\"OFF\",\"color_temp\":300}", "state: OFF cannot be combined");

	/* A short buffer gets a cut message, NULL gets none: never overflow. */
	assert_int_equal(gw_light_cmd_parse("{}", 2, &cmd, tiny, sizeof(tiny)), MESH_ERR_INVAL);
	assert_string_equal(tiny, "nothing");
	assert_int_equal(gw_light_cmd_parse("{}", 2, &cmd, NULL, 0), MESH_ERR_INVAL);
	/* Only len octets are read. */
	assert_int_equal(gw_light_cmd_parse("{\"state\":\"ON\"}garbage", 14, &cmd, NULL, 0), 0);
	assert_int_equal(gw_light_cmd_parse(NULL, 0, &cmd, tiny, sizeof(tiny)), MESH_ERR_INVAL);
}

/* ---- messages ---------------------------------------------------------------- */

static void test_messages_onoff_and_dim(void **state)
{
	struct gw_entity onoff = light(GW_CAP_ONOFF), dim = light(CAPS_DIM);
	struct gw_entity level = light(GW_CAP_ONOFF | GW_CAP_LEVEL);
	struct mesh_model_msg m[4];

	(void)state;
	assert_int_equal(messages("{\"state\":\"ON\"}", &onoff, NULL, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_GEN_ONOFF_SET);
	assert_int_equal(m[0].onoff, 1);
	assert_false(m[0].has_transition);

	assert_int_equal(messages("{\"state\":\"OFF\",\"transition\":2}", &onoff, NULL, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_GEN_ONOFF_SET);
	assert_int_equal(m[0].onoff, 0);
	assert_true(m[0].has_transition);
	assert_int_equal(m[0].transition, 20);      /* 20 x 100 ms */
	assert_int_equal(m[0].delay, 0);

	/* Brightness: one Lightness Set, which switches on by itself. */
	assert_int_equal(messages("{\"brightness\":128}", &dim, NULL, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_LIGHTNESS_SET);
	assert_int_equal(m[0].lightness, 128 * 257);
	assert_int_equal(messages("{\"state\":\"ON\",\"brightness\":255,\"transition\":37200}",
				  &dim, NULL, m, 4), 1);
	assert_int_equal(m[0].lightness, 0xffff);
	assert_int_equal(m[0].transition, 0xc0 | 62);
	/* Brightness 0 is off: Lightness 0, nothing else, even with ON. */
	assert_int_equal(messages("{\"brightness\":0}", &dim, NULL, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_LIGHTNESS_SET);
	assert_int_equal(m[0].lightness, 0);
	assert_int_equal(messages("{\"state\":\"ON\",\"brightness\":0}", &dim, NULL, m, 4), 1);
	assert_int_equal(m[0].lightness, 0);
	/* ON alone on a dimmable light: OnOff, back at its last brightness. */
	assert_int_equal(messages("{\"state\":\"ON\"}", &dim, NULL, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_GEN_ONOFF_SET);
	assert_int_equal(m[0].onoff, 1);

	/* OnOff + Level (no Lightness): brightness goes as a Level. */
	assert_int_equal(messages("{\"brightness\":128}", &level, NULL, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_GEN_LEVEL_SET);
	assert_int_equal(m[0].level, 128 * 257 - 32768);
	assert_int_equal(messages("{\"brightness\":0}", &level, NULL, m, 4), 1);
	assert_int_equal(m[0].level, INT16_MIN);

	/* Unsupported capabilities. */
	messages_err("{\"brightness\":10}", &onoff, "brightness: this light cannot be dimmed");
	messages_err("{\"color_temp\":300}", &dim, "color_temp: this light has no colour temperature");
	messages_err("{\"color\":{\"h\":1,\"s\":2}}", &dim, "color: this light has no colour");
	onoff.caps = GW_CAP_SENSOR | GW_CAP_SWITCH;
	messages_err("{\"state\":\"ON\"}", &onoff, "this entity is not a light");
}

static void test_messages_without_onoff(void **state)
{
	struct gw_entity lightness = light(GW_CAP_LIGHTNESS), level = light(GW_CAP_LEVEL);
	struct gw_elem_state cur = elem_state(GW_STATE_LIGHTNESS_LAST);
	struct mesh_model_msg m[4];

	(void)state;
	/* OFF and ON through the Lightness itself. */
	assert_int_equal(messages("{\"state\":\"OFF\"}", &lightness, NULL, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_LIGHTNESS_SET);
	assert_int_equal(m[0].lightness, 0);
	assert_int_equal(messages("{\"state\":\"ON\"}", &lightness, NULL, m, 4), 1);
	assert_int_equal(m[0].lightness, 0xffff);
	cur.lightness_last = 20000;
	assert_int_equal(messages("{\"state\":\"ON\"}", &lightness, &cur, m, 4), 1);
	assert_int_equal(m[0].lightness, 20000);
	/* Lightness Default when no Last is known. */
	cur = elem_state(GW_STATE_LIGHTNESS_DEFAULT);
	cur.lightness_default = 30000;
	assert_int_equal(messages("{\"state\":\"ON\",\"transition\":1}", &lightness, &cur, m, 4),
			 1);
	assert_int_equal(m[0].lightness, 30000);
	assert_int_equal(m[0].transition, 10);
	/* A lone Level Server is a colour light's other element: no light. */
	messages_err("{\"state\":\"ON\"}", &level, "this entity is not a light");
	messages_err("{\"brightness\":1}", &level, "this entity is not a light");
	/* CTL without OnOff or Lightness (a broken composition): cannot be
	 * switched, and says so. */
	level.caps = GW_CAP_CTL;
	messages_err("{\"state\":\"OFF\"}", &level, "state: this light cannot be switched");
}

static void test_messages_toggle(void **state)
{
	struct gw_entity dim = light(CAPS_DIM);
	struct gw_elem_state cur = elem_state(GW_STATE_ONOFF);
	struct mesh_model_msg m[4];

	(void)state;
	cur.target_onoff = 1;
	assert_int_equal(messages("{\"state\":\"TOGGLE\"}", &dim, &cur, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_GEN_ONOFF_SET);
	assert_int_equal(m[0].onoff, 0);
	cur.target_onoff = 0;
	assert_int_equal(messages("{\"state\":\"TOGGLE\"}", &dim, &cur, m, 4), 1);
	assert_int_equal(m[0].onoff, 1);
	/* Unknown: ON. */
	assert_int_equal(messages("{\"state\":\"TOGGLE\"}", &dim, NULL, m, 4), 1);
	assert_int_equal(m[0].onoff, 1);
	cur = elem_state(GW_STATE_DTT);
	assert_int_equal(messages("{\"state\":\"TOGGLE\"}", &dim, &cur, m, 4), 1);
	assert_int_equal(m[0].onoff, 1);
	/* No OnOff known: the Lightness says. */
	cur = elem_state(GW_STATE_LIGHTNESS);
	cur.target_lightness = 500;
	assert_int_equal(messages("{\"state\":\"TOGGLE\"}", &dim, &cur, m, 4), 1);
	assert_int_equal(m[0].onoff, 0);
	cur.target_lightness = 0;
	assert_int_equal(messages("{\"state\":\"TOGGLE\"}", &dim, &cur, m, 4), 1);
	assert_int_equal(m[0].onoff, 1);
	/* TOGGLE with a brightness: applied when it turns on ... */
	assert_int_equal(messages("{\"state\":\"TOGGLE\",\"brightness\":10}", &dim, &cur, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_LIGHTNESS_SET);
	assert_int_equal(m[0].lightness, 10 * 257);
	/* ... dropped when it turns off. */
	cur.target_lightness = 700;
	assert_int_equal(messages("{\"state\":\"TOGGLE\",\"brightness\":10}", &dim, &cur, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_GEN_ONOFF_SET);
	assert_int_equal(m[0].onoff, 0);
}

static void test_messages_ctl(void **state)
{
	struct gw_entity ctl = light(CAPS_DIM | GW_CAP_CTL);
	struct gw_elem_state cur = elem_state(GW_STATE_LIGHTNESS | GW_STATE_CTL);
	struct mesh_model_msg m[4];
	struct gw_light_cmd cmd;
	char err[100];

	(void)state;
	/* Temperature and brightness in one CTL Set. */
	assert_int_equal(messages("{\"color_temp\":370,\"brightness\":255,\"transition\":1.5}",
				  &ctl, NULL, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_CTL_SET);
	assert_int_equal(m[0].lightness, 0xffff);
	assert_int_equal(m[0].temperature, 2703);
	assert_int_equal(m[0].delta_uv, 0);
	assert_int_equal(m[0].transition, 15);
	/* No brightness, nothing known: full. */
	assert_int_equal(messages("{\"color_temp\":370}", &ctl, NULL, m, 4), 1);
	assert_int_equal(m[0].lightness, 0xffff);
	/* No brightness: keep the current lightness and Delta UV. */
	cur.target_lightness = 1000;
	cur.delta_uv = -5;
	assert_int_equal(messages("{\"color_temp\":370}", &ctl, &cur, m, 4), 1);
	assert_int_equal(m[0].lightness, 1000);
	assert_int_equal(m[0].delta_uv, -5);
	/* ON while off: the CTL Set keeps it at 0, then OnOff switches on. */
	cur.target_lightness = 0;
	assert_int_equal(messages("{\"state\":\"ON\",\"color_temp\":250}", &ctl, &cur, m, 4), 2);
	assert_int_equal(m[0].opcode, MESH_OP_CTL_SET);
	assert_int_equal(m[0].lightness, 0);
	assert_int_equal(m[0].temperature, 4000);
	assert_int_equal(m[1].opcode, MESH_OP_GEN_ONOFF_SET);
	assert_int_equal(m[1].onoff, 1);
	/* ... and no room for the second: an error, not half a command. */
	parse_ok("{\"state\":\"ON\",\"color_temp\":250}", &cmd);
	assert_int_equal(gw_light_cmd_messages(&cmd, &ctl, &cur, m, 1, err, sizeof(err)),
			 MESH_ERR_INVAL);
	assert_non_null(strstr(err, "room"));
	/* KEEP while off: only the temperature changes. */
	assert_int_equal(messages("{\"color_temp\":250}", &ctl, &cur, m, 4), 1);
	assert_int_equal(m[0].lightness, 0);
	/* OnOff known off, Lightness unknown: do not light it up. */
	cur = elem_state(GW_STATE_ONOFF);
	assert_int_equal(messages("{\"color_temp\":250}", &ctl, &cur, m, 4), 1);
	assert_int_equal(m[0].lightness, 0);

	/* Clamped to the light's own range. */
	ctl.temp_min_k = 2700;
	ctl.temp_max_k = 6500;
	assert_int_equal(messages("{\"color_temp\":50}", &ctl, NULL, m, 4), 1);
	assert_int_equal(m[0].temperature, 6500);
	assert_int_equal(messages("{\"color_temp\":1250}", &ctl, NULL, m, 4), 1);
	assert_int_equal(m[0].temperature, 2700);
	assert_int_equal(messages("{\"color_temp\":250}", &ctl, NULL, m, 4), 1);
	assert_int_equal(m[0].temperature, 4000);
	/* A range nobody filled in: what CTL can say. */
	ctl.temp_min_k = 0;
	ctl.temp_max_k = 0;
	assert_int_equal(messages("{\"color_temp\":1250}", &ctl, NULL, m, 4), 1);
	assert_int_equal(m[0].temperature, 800);
	assert_int_equal(messages("{\"color_temp\":50}", &ctl, NULL, m, 4), 1);
	assert_int_equal(m[0].temperature, 20000);
	ctl.temp_min_k = 9000;
	ctl.temp_max_k = 3000;
	assert_int_equal(messages("{\"color_temp\":50}", &ctl, NULL, m, 4), 1);
	assert_int_equal(m[0].temperature, 20000);
}

static void test_messages_hsl(void **state)
{
	struct gw_entity hsl = light(CAPS_DIM | GW_CAP_HSL | GW_CAP_CTL);
	struct gw_elem_state cur = elem_state(GW_STATE_HSL);
	struct mesh_model_msg m[4];

	(void)state;
	assert_int_equal(messages("{\"color\":{\"h\":180,\"s\":50},\"brightness\":128}", &hsl, NULL,
				  m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_HSL_SET);
	assert_int_equal(m[0].lightness, 128 * 257);
	assert_int_equal(m[0].hue, 32768);
	assert_int_equal(m[0].saturation, 32768);
	/* 360 degrees is 0 degrees; full saturation is 0xffff. */
	assert_int_equal(messages("{\"color\":{\"h\":360,\"s\":100}}", &hsl, NULL, m, 4), 1);
	assert_int_equal(m[0].hue, 0);
	assert_int_equal(m[0].saturation, 0xffff);
	assert_int_equal(m[0].lightness, 0xffff);
	assert_int_equal(messages("{\"color\":{\"h\":90,\"s\":0}}", &hsl, NULL, m, 4), 1);
	assert_int_equal(m[0].hue, 16384);
	assert_int_equal(m[0].saturation, 0);
	/* Keep the HSL Lightness when no brightness is asked for. */
	cur.hsl_lightness = 4242;
	assert_int_equal(messages("{\"color\":{\"h\":0,\"s\":100},\"transition\":0}", &hsl, &cur, m,
				  4), 1);
	assert_int_equal(m[0].lightness, 4242);
	assert_true(m[0].has_transition);
	assert_int_equal(m[0].transition, 0);
	/* The same light still takes colour temperatures through CTL. */
	assert_int_equal(messages("{\"color_temp\":200}", &hsl, NULL, m, 4), 1);
	assert_int_equal(m[0].opcode, MESH_OP_CTL_SET);
	assert_int_equal(m[0].temperature, 5000);
}

/* ---- sensor classes ----------------------------------------------------------- */

static void test_sensor_classes(void **state)
{
	const struct gw_sensor_class *c;

	(void)state;
	/* Every property sensor_msg knows has a class, with its key and unit. */
	for (size_t i = 0; i < mesh_sensor_prop_count(); i++) {
		const struct mesh_sensor_prop_info *pi = mesh_sensor_prop_at(i);

		c = gw_sensor_class_of(pi->id);
		assert_non_null(c);
		assert_string_equal(c->key, pi->key);
		if (c->binary) {
			assert_null(c->unit);
			assert_null(c->state_class);
			assert_non_null(c->device_class);
		} else if (pi->unit[0]) {
			assert_string_equal(c->unit, pi->unit);
			assert_non_null(c->state_class);
		} else {
			assert_null(c->unit);   /* Home Assistant wants no unit, not "" */
		}
	}
	assert_null(gw_sensor_class_of(0x1234));
	assert_null(gw_sensor_class_of(0));

	c = gw_sensor_class_of(MESH_PROP_PRESENT_AMBIENT_TEMPERATURE);
	assert_string_equal(c->device_class, "temperature");
	assert_string_equal(c->unit, "°C");
	assert_string_equal(c->state_class, "measurement");
	c = gw_sensor_class_of(MESH_PROP_PRESENT_AMBIENT_RELATIVE_HUMIDITY);
	assert_string_equal(c->device_class, "humidity");
	assert_string_equal(c->unit, "%");
	c = gw_sensor_class_of(MESH_PROP_PRESENT_AMBIENT_LIGHT_LEVEL);
	assert_string_equal(c->device_class, "illuminance");
	assert_string_equal(c->unit, "lx");
	c = gw_sensor_class_of(MESH_PROP_TOTAL_DEVICE_ENERGY_USE);
	assert_string_equal(c->device_class, "energy");
	assert_string_equal(c->unit, "kWh");
	assert_string_equal(c->state_class, "total_increasing");
	c = gw_sensor_class_of(MESH_PROP_MOTION_SENSED);
	assert_true(c->binary);
	assert_string_equal(c->device_class, "motion");
	c = gw_sensor_class_of(MESH_PROP_PRESENCE_DETECTED);
	assert_true(c->binary);
	assert_string_equal(c->device_class, "occupancy");
	c = gw_sensor_class_of(MESH_PROP_PEOPLE_COUNT);
	assert_false(c->binary);
	assert_null(c->device_class);
	assert_string_equal(c->state_class, "measurement");
	c = gw_sensor_class_of(MESH_PROP_TIME_SINCE_MOTION_SENSED);
	assert_string_equal(c->device_class, "duration");
	assert_string_equal(c->unit, "s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps_from_models),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ctl_temperature_element),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_state_onoff),
		cmocka_unit_test(test_state_lightness),
		cmocka_unit_test(test_state_ctl),
		cmocka_unit_test(test_state_ctl_temperature_merge),
		cmocka_unit_test(test_state_hsl),
		cmocka_unit_test(test_state_sensor),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_messages_onoff_and_dim),
		cmocka_unit_test(test_messages_without_onoff),
		cmocka_unit_test(test_messages_toggle),
		cmocka_unit_test(test_messages_ctl),
		cmocka_unit_test(test_messages_hsl),
		cmocka_unit_test(test_sensor_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
