/*
 * Home Assistant MQTT discovery (discovery.h).
 *
 * Every payload is built for the schemas of Home Assistant's MQTT
 * integration (homeassistant/components/mqtt/: light/schema_json.py,
 * sensor.py, binary_sensor.py, device_trigger.py, schemas.py, const.py,
 * discovery.py), with full key names. What those schemas decide here:
 *
 *  - discovery topics are <prefix>/<component>/<node_id>/<object_id>/config
 *    with node_id and object_id in [a-zA-Z0-9_-] (discovery.py
 *    TOPIC_MATCHER); both come from the node UUID and the element index,
 *    never from a name, so a rename updates an entity instead of making a
 *    new one. unique_id is built the same way;
 *  - the entity id a new entity gets is "default_entity_id" (object_id is
 *    deprecated since 2025.10 and gone in 2026.4); it is the only place a
 *    name shapes an id, and only when the entity is first created;
 *  - lights use the json schema with supported_color_modes; onoff and
 *    brightness must stand alone (light/__init__.py
 *    valid_supported_color_modes). The colour temperature range goes as
 *    min_kelvin/max_kelvin (Kelvin is Home Assistant's unit for it), while
 *    color_temp in the state and set payloads stays in mireds, the
 *    default of the json schema (color_temp_kelvin: false). "brightness"
 *    is not sent: with supported_color_modes it only matters for rgb
 *    modes. "flash" is false: meshgate does not flash lights;
 *  - sensors carry device_class, unit_of_measurement and state_class from
 *    gw_sensor_class_of(); Home Assistant refuses a unit that is not in
 *    DEVICE_CLASS_UNITS for the class, and a sensor without a unit simply
 *    has none (an empty unit is dropped);
 *  - value templates tolerate null: a value the device calls unknown is
 *    null in the state JSON, renders as "None", which the MQTT sensor and
 *    binary_sensor take as "unknown" (PAYLOAD_NONE);
 *  - availability lists the bridge's state and the entity's own topic
 *    with availability_mode "all": unavailable when either says offline.
 *
 * Wall switches (Generic OnOff Client) become device triggers rather than
 * event entities: "button_short_press" with the subtypes "turn_on" and
 * "turn_off" are types Home Assistant's automation editor names.
 */
#include "bridge/discovery.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/bytes.h"

#define NODE_ID_MAX 48
#define OBJECT_ID_MAX 96
#define ENTITY_ID_MAX 200
#define TOPIC_MAX 512

static const char state_template[] = "{{ value_json.state }}";

/* ---- the list ---------------------------------------------------------------- */

void discovery_list_free(struct discovery_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		json_decref(l->msgs[i].payload);
	free(l->msgs);
	memset(l, 0, sizeof(*l));
}

/* Appends <prefix>/<component>/<node_id>/<object_id>/config with payload
 * (taken over: freed on failure too). */
static int list_add(struct discovery_list *l, const struct discovery_ctx *ctx,
		    const char *component, const char *node_id, const char *object_id,
		    json_t *payload)
{
	struct discovery_msg *m;
	int n;

	if (!payload)
		return -ENOMEM;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct discovery_msg *grown = realloc(l->msgs, cap * sizeof(*grown));

		if (!grown) {
			json_decref(payload);
			return -ENOMEM;
		}
		l->msgs = grown;
		l->cap = cap;
	}
	m = &l->msgs[l->n];
	n = snprintf(m->topic, sizeof(m->topic), "%s/%s/%s/%s/config", ctx->prefix, component,
		     node_id, object_id);
	if (n < 0 || (size_t)n >= sizeof(m->topic)) {
		json_decref(payload);
		return -EINVAL;
	}
	m->payload = payload;
	l->n++;
	return 0;
}

/* ---- names and ids ------------------------------------------------------------ */

/* A topic level or path users chose: never a wildcard, never empty. */
static bool topic_safe(const char *s)
{
	return s && *s && !strpbrk(s, "+#");
}

/* Lowercase letters, digits and single underscores, none at either end:
 * what Home Assistant accepts after the dot of an entity id. */
static void slug(const char *in, char *out, size_t len)
{
	size_t n = 0;
	bool gap = false;

	for (; *in && n + 1 < len; in++) {
		char c = *in;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (gap && n && n + 2 < len)
				out[n++] = '_';
			out[n++] = c;
			gap = false;
		} else {
			gap = true;
		}
	}
	out[n] = '\0';
}

/* "<component>.<slug of name>", or of fallback when name has no letter
 * or digit (a name in another script). */
static json_t *default_entity_id(const char *component, const char *name, const char *fallback)
{
	char s[ENTITY_ID_MAX], id[ENTITY_ID_MAX + 32];

	slug(name, s, sizeof(s));
	if (!*s)
		slug(fallback, s, sizeof(s));
	snprintf(id, sizeof(id), "%s.%s", component, s);
	return json_string(id);
}

static void node_id_of(const struct gw_entity *e, char out[NODE_ID_MAX])
{
	char hex[33];

	mesh_hex_encode(e->node_uuid, 16, hex);
	/* The whole UUID: makers number devices, so UUIDs often share a
	 * prefix, and a shared node_id makes two nodes one in Home Assistant. */
	snprintf(out, NODE_ID_MAX, "meshgate_%s", hex);
}

/* An object_id from anything: [a-zA-Z0-9_-] only. */
static void object_id_clean(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in && n + 1 < len; in++) {
		char c = *in;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-';

		out[n++] = ok ? c : '_';
	}
	out[n] = '\0';
}

static void printf_to(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void printf_to(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

/* The element's own part of its name: NULL for element 0 (the entity is
 * the device's main one and takes the device's name), the part after
 * "<node>/" for names the registry built, else the whole name. */
static const char *element_label(const struct gw_entity *e)
{
	size_t n = strlen(e->node_name);

	if (e->kind != GW_ENTITY_ELEMENT || e->elem_idx == 0)
		return NULL;
	if (n && strncmp(e->name, e->node_name, n) == 0 && e->name[n] == '/' && e->name[n + 1])
		return e->name + n + 1;
	return e->name;
}

/* "Indoor temperature", or "<label> indoor temperature" on other elements. */
static void sensor_name(const struct gw_entity *e, const char *key, char *out, size_t len)
{
	const char *label = element_label(e);
	size_t n;

	if (label)
		printf_to(out, len, "%s %s", label, key);
	else
		printf_to(out, len, "%s", key);
	for (n = label ? strlen(label) + 1 : 0; out[n]; n++)
		if (out[n] == '_')
			out[n] = ' ';
	if (!label && out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

/* ---- shared parts ------------------------------------------------------------- */

static json_t *origin(const struct discovery_ctx *ctx)
{
	return json_pack("{s:s,s:s}", "name", "meshgate", "sw_version", ctx->version);
}

static json_t *bridge_device(const struct discovery_ctx *ctx)
{
	return json_pack("{s:[s],s:s,s:s,s:s}", "identifiers", ctx->bridge_id, "name", "meshgate",
			 "model", "Bluetooth Mesh gateway", "sw_version", ctx->version);
}

static json_t *node_device(const struct discovery_ctx *ctx, const struct gw_entity *e)
{
	char hex[33], id[48], model[80], sw[16];
	json_t *dev;

	mesh_hex_encode(e->node_uuid, 16, hex);
	snprintf(id, sizeof(id), "meshgate_%s", hex);
	if (e->has_ids)
		snprintf(model, sizeof(model), "Bluetooth Mesh node (CID 0x%04x, PID 0x%04x)",
			 e->cid, e->pid);
	else
		snprintf(model, sizeof(model), "Bluetooth Mesh node");
	dev = json_pack("{s:[s],s:s,s:s,s:s}", "identifiers", id, "name", e->node_name, "model",
			model, "via_device", ctx->bridge_id);
	if (dev && e->has_ids) {
		snprintf(sw, sizeof(sw), "0x%04x", e->vid);
		if (json_object_set_new(dev, "sw_version", json_string(sw))) {
			json_decref(dev);
			return NULL;
		}
	}
	return dev;
}

static json_t *bridge_state_availability(const struct discovery_ctx *ctx)
{
	char topic[TOPIC_MAX];

	snprintf(topic, sizeof(topic), "%s/bridge/state", ctx->base_topic);
	return json_pack("{s:s,s:s}", "topic", topic, "value_template", state_template);
}

/* The bridge's state, and the entity's own availability for elements. */
static json_t *availability(const struct discovery_ctx *ctx, const struct gw_entity *e)
{
	json_t *list = json_array();
	char topic[TOPIC_MAX];

	if (!list || json_array_append_new(list, bridge_state_availability(ctx)))
		goto fail;
	if (e && e->kind == GW_ENTITY_ELEMENT) {
		snprintf(topic, sizeof(topic), "%s/%s/availability", ctx->base_topic, e->name);
		if (json_array_append_new(list, json_pack("{s:s,s:s}", "topic", topic,
							  "value_template", state_template)))
			goto fail;
	}
	return list;
fail:
	json_decref(list);
	return NULL;
}

/*
 * Members every entity of an element or group has: unique_id, the entity
 * id it starts with, availability, device and origin. Returns payload, or
 * NULL (payload freed) when out of memory.
 */
static json_t *common(json_t *payload, const struct discovery_ctx *ctx, const struct gw_entity *e,
		      const char *unique_id, json_t *entity_id, bool own_availability)
{
	bool element = e && e->kind == GW_ENTITY_ELEMENT;
	int bad = !payload || !entity_id;

	bad = bad || json_object_set_new(payload, "unique_id", json_string(unique_id));
	bad = bad || json_object_set_new(payload, "default_entity_id", json_incref(entity_id));
	bad = bad || json_object_set_new(payload, "availability",
					 availability(ctx, own_availability ? e : NULL));
	bad = bad || json_object_set_new(payload, "availability_mode", json_string("all"));
	bad = bad || json_object_set_new(payload, "device",
					 element ? node_device(ctx, e) : bridge_device(ctx));
	bad = bad || json_object_set_new(payload, "origin", origin(ctx));
	json_decref(entity_id);
	if (bad) {
		json_decref(payload);
		return NULL;
	}
	return payload;
}

/* ---- topics --------------------------------------------------------------------- */

void discovery_state_topic(const struct discovery_ctx *ctx, const struct gw_entity *e, char *out,
			   size_t len)
{
	snprintf(out, len, "%s/%s", ctx->base_topic, e->name);
}

static void entity_topic(const struct discovery_ctx *ctx, const struct gw_entity *e,
			 const char *leaf, char *out, size_t len)
{
	snprintf(out, len, "%s/%s/%s", ctx->base_topic, e->name, leaf);
}

/* ---- lights ------------------------------------------------------------------------ */

static json_t *color_modes(uint32_t caps)
{
	if (caps & (GW_CAP_CTL | GW_CAP_HSL))
		return json_pack("[s*s*]", (caps & GW_CAP_CTL) ? "color_temp" : NULL,
				 (caps & GW_CAP_HSL) ? "hs" : NULL);
	if (caps & (GW_CAP_LIGHTNESS | GW_CAP_LEVEL))
		return json_pack("[s]", "brightness");
	return json_pack("[s]", "onoff");
}

static int add_light(const struct discovery_ctx *ctx, const struct gw_entity *e,
		     const char *node_id, const char *object_id, const char *unique_id,
		     struct discovery_list *out)
{
	char state[TOPIC_MAX], command[TOPIC_MAX];
	const char *label = e->kind == GW_ENTITY_GROUP ? e->name : element_label(e);
	json_t *p;

	discovery_state_topic(ctx, e, state, sizeof(state));
	entity_topic(ctx, e, "set", command, sizeof(command));
	p = json_pack("{s:o,s:s,s:s,s:s,s:o,s:b}", "name",
		      label ? json_string(label) : json_null(), "schema", "json", "state_topic",
		      state, "command_topic", command, "supported_color_modes",
		      color_modes(e->caps), "flash", 0);
	if (p && (e->caps & GW_CAP_CTL)) {
		uint16_t lo = e->temp_min_k, hi = e->temp_max_k;

		if (!lo || !hi || lo >= hi) {
			lo = 800;
			hi = 20000;
		}
		if (json_object_set_new(p, "min_kelvin", json_integer(lo)) ||
		    json_object_set_new(p, "max_kelvin", json_integer(hi))) {
			json_decref(p);
			p = NULL;
		}
	}
	p = common(p, ctx, e, unique_id, default_entity_id("light", e->name, unique_id),
		   e->kind == GW_ENTITY_ELEMENT);
	return list_add(out, ctx, "light", node_id, object_id, p);
}

/* ---- sensors ------------------------------------------------------------------------ */

/* Member key = value when value is not NULL; nonzero when out of memory. */
static int set_optional(json_t *p, const char *key, const char *value)
{
	return value ? json_object_set_new(p, key, json_string(value)) : 0;
}

static int add_sensor(const struct discovery_ctx *ctx, const struct gw_entity *e,
		      const char *node_id, const struct gw_sensor_class *c,
		      struct discovery_list *out)
{
	char state[TOPIC_MAX], name[GW_ENTITY_NAME_MAX + 40], object_id[OBJECT_ID_MAX];
	char unique_id[GW_ENTITY_ID_MAX + 48], tmpl[160], full[GW_ENTITY_NAME_MAX + 40];
	const char *component = c->binary ? "binary_sensor" : "sensor";
	json_t *p;

	discovery_state_topic(ctx, e, state, sizeof(state));
	sensor_name(e, c->key, name, sizeof(name));
	snprintf(object_id, sizeof(object_id), "%s_e%u", c->key, e->elem_idx);
	snprintf(unique_id, sizeof(unique_id), "meshgate_%s_%s", e->unique_id, c->key);
	snprintf(full, sizeof(full), "%s %s", e->name, c->key);
	if (c->binary)
		snprintf(tmpl, sizeof(tmpl),
			 "{{ 'None' if value_json.%s is none else "
			 "('ON' if value_json.%s > 0 else 'OFF') }}", c->key, c->key);
	else
		snprintf(tmpl, sizeof(tmpl), "{{ value_json.%s }}", c->key);
	p = json_pack("{s:s,s:s,s:s}", "name", name, "state_topic", state, "value_template", tmpl);
	if (p && c->binary &&
	    (json_object_set_new(p, "payload_on", json_string("ON")) ||
	     json_object_set_new(p, "payload_off", json_string("OFF")))) {
		json_decref(p);
		p = NULL;
	}
	if (p && (set_optional(p, "device_class", c->device_class) ||
		  set_optional(p, "unit_of_measurement", c->unit) ||
		  set_optional(p, "state_class", c->state_class))) {
		json_decref(p);
		p = NULL;
	}
	p = common(p, ctx, e, unique_id, default_entity_id(component, full, unique_id), true);
	return list_add(out, ctx, component, node_id, object_id, p);
}

/* The node's liveness (heartbeats), on <base>/<node name>/availability. */
static int add_connectivity(const struct discovery_ctx *ctx, const struct gw_entity *e,
			    const char *node_id, struct discovery_list *out)
{
	char state[TOPIC_MAX], unique_id[64], hex[33], full[GW_ENTITY_NAME_MAX + 16];
	json_t *p;

	mesh_hex_encode(e->node_uuid, 16, hex);
	snprintf(unique_id, sizeof(unique_id), "meshgate_%s_connectivity", hex);
	snprintf(state, sizeof(state), "%s/%s/availability", ctx->base_topic, e->node_name);
	snprintf(full, sizeof(full), "%s connectivity", e->node_name);
	p = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "name", "Connectivity", "state_topic",
		      state, "value_template", state_template, "payload_on", "online",
		      "payload_off", "offline", "device_class", "connectivity", "entity_category",
		      "diagnostic");
	p = common(p, ctx, e, unique_id, default_entity_id("binary_sensor", full, unique_id),
		   false);
	return list_add(out, ctx, "binary_sensor", node_id, "connectivity", p);
}

/* ---- wall switches ------------------------------------------------------------------ */

static int add_trigger(const struct discovery_ctx *ctx, const struct gw_entity *e,
		       const char *node_id, bool on, struct discovery_list *out)
{
	char topic[TOPIC_MAX], object_id[OBJECT_ID_MAX], subtype[32];
	const char *what = on ? "turn_on" : "turn_off";
	json_t *p;

	entity_topic(ctx, e, "action", topic, sizeof(topic));
	snprintf(object_id, sizeof(object_id), "action_e%u_%s", e->elem_idx, on ? "on" : "off");
	/* Triggers are told apart by (device, type, subtype): a node with
	 * switches on several elements needs the element in the subtype. */
	if (e->elem_idx == 0)
		snprintf(subtype, sizeof(subtype), "%s", what);
	else
		snprintf(subtype, sizeof(subtype), "element_%u_%s", e->elem_idx, what);
	p = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "automation_type", "trigger", "topic", topic,
		      "payload", on ? "on" : "off", "type", "button_short_press", "subtype",
		      subtype, "device", node_device(ctx, e), "origin", origin(ctx));
	return list_add(out, ctx, "device_automation", node_id, object_id, p);
}

/* ---- entry points ------------------------------------------------------------------- */

int discovery_bridge(const struct discovery_ctx *ctx, struct discovery_list *out)
{
	char state[TOPIC_MAX], unique_id[GW_ENTITY_ID_MAX + 32], full[GW_ENTITY_ID_MAX + 32];
	char node_id[OBJECT_ID_MAX];
	json_t *p;

	if (!topic_safe(ctx->prefix) || !topic_safe(ctx->base_topic) || !ctx->bridge_id)
		return -EINVAL;
	object_id_clean(ctx->bridge_id, node_id, sizeof(node_id));
	snprintf(state, sizeof(state), "%s/bridge/state", ctx->base_topic);
	printf_to(unique_id, sizeof(unique_id), "%s_connectivity", node_id);
	printf_to(full, sizeof(full), "%s connection state", node_id);
	/* No availability: this entity is the bridge's availability. */
	p = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "name", "Connection state",
		      "unique_id", unique_id, "state_topic", state, "value_template",
		      state_template, "payload_on", "online", "payload_off", "offline",
		      "device_class", "connectivity", "entity_category", "diagnostic",
		      "default_entity_id", default_entity_id("binary_sensor", full, unique_id),
		      "device", bridge_device(ctx), "origin", origin(ctx));
	return list_add(out, ctx, "binary_sensor", node_id, "connectivity", p);
}

static int group_entity(const struct discovery_ctx *ctx, const struct gw_entity *e,
			struct discovery_list *out)
{
	char node_id[OBJECT_ID_MAX], object_id[OBJECT_ID_MAX], clean[OBJECT_ID_MAX];
	char unique_id[2 * OBJECT_ID_MAX];

	if (!(e->caps & GW_CAP_LIGHT))
		return 0;
	object_id_clean(ctx->bridge_id, node_id, sizeof(node_id));
	object_id_clean(e->unique_id, clean, sizeof(clean));
	printf_to(object_id, sizeof(object_id), "light_%s", clean);
	printf_to(unique_id, sizeof(unique_id), "%s_%s_light", node_id, clean);
	return add_light(ctx, e, node_id, object_id, unique_id, out);
}

static int element_entity(const struct discovery_ctx *ctx, const struct gw_entity *e,
			  struct discovery_list *out)
{
	char node_id[NODE_ID_MAX], object_id[OBJECT_ID_MAX], unique_id[GW_ENTITY_ID_MAX + 16];
	int rc = 0;

	node_id_of(e, node_id);
	/* A lone Generic Level is a colour light's temperature, hue or
	 * saturation element, not a light of its own. */
	if (e->caps & GW_CAP_LIGHT) {
		snprintf(object_id, sizeof(object_id), "light_e%u", e->elem_idx);
		snprintf(unique_id, sizeof(unique_id), "meshgate_%s_light", e->unique_id);
		rc = add_light(ctx, e, node_id, object_id, unique_id, out);
	}
	for (size_t i = 0; !rc && i < e->n_sensors && i < GW_ENTITY_SENSORS_MAX; i++) {
		const struct gw_sensor_class *c = gw_sensor_class_of(e->sensors[i]);
		bool seen = false;

		/* A property listed twice is one entity. */
		for (size_t j = 0; j < i; j++)
			seen = seen || e->sensors[j] == e->sensors[i];
		if (c && !seen)
			rc = add_sensor(ctx, e, node_id, c, out);
	}
	if (!rc && (e->caps & GW_CAP_SWITCH))
		rc = add_trigger(ctx, e, node_id, true, out);
	if (!rc && (e->caps & GW_CAP_SWITCH))
		rc = add_trigger(ctx, e, node_id, false, out);
	if (!rc && e->elem_idx == 0 && topic_safe(e->node_name))
		rc = add_connectivity(ctx, e, node_id, out);
	return rc;
}

int discovery_entity(const struct discovery_ctx *ctx, const struct gw_entity *e,
		     struct discovery_list *out)
{
	if (!topic_safe(ctx->prefix) || !topic_safe(ctx->base_topic) || !ctx->bridge_id ||
	    !topic_safe(e->name))
		return -EINVAL;
	if (e->kind == GW_ENTITY_GROUP)
		return group_entity(ctx, e, out);
	return element_entity(ctx, e, out);
}
