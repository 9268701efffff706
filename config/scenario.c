/*
 * Scenario files (see scenario.h and docs/simulator.md).
 *
 * The file is loaded with libyaml's document API (config/yaml_doc.h), so
 * every node keeps the place it came from; then the tree is walked by the
 * schema, top level first, in a fixed order (scalars, devices, links)
 * whatever order the file lists them in, so a link can name a device
 * defined further down. Each function returns 0, or MESH_ERR_INVAL after
 * writing the one error line: the first problem ends the load.
 *
 * Checks that need the whole scenario (links naming devices, overlapping
 * unicast ranges, the same UUID twice) are done here too, so they can point
 * at a line; sim_scenario_check() then runs as a backstop and its reason is
 * reported with the file name.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/scenario.h"
#include "config/yaml_doc.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/sensor_msg.h"
#include "mesh/util.h"

#define FILE_MAX (4u << 20)

/* Where a device's checked-later values came from. */
struct dev_marks {
	yaml_mark_t name;
	yaml_mark_t uuid;
	yaml_mark_t address;
	yaml_mark_t host_link;       /* pty_link or socket */
	bool uuid_given;
};

struct loader {
	struct ydoc y;               /* y.hide_values inside `provisioned` */
	struct sim_scenario *sc;
	struct dev_marks *marks;     /* one per device */
	size_t marks_cap;
};

/* ---- names ------------------------------------------------------------- */

static const struct {
	const char *name;
	uint16_t id;
} sig_models[] = {
	{ "configuration-server", 0x0000 },
	{ "configuration-client", 0x0001 },
	{ "health-server", 0x0002 },
	{ "health-client", 0x0003 },
	{ "remote-provisioning-server", 0x0004 },
	{ "remote-provisioning-client", 0x0005 },
	{ "generic-onoff-server", 0x1000 },
	{ "generic-onoff-client", 0x1001 },
	{ "generic-level-server", 0x1002 },
	{ "generic-level-client", 0x1003 },
	{ "generic-default-transition-time-server", 0x1004 },
	{ "generic-default-transition-time-client", 0x1005 },
	{ "generic-power-onoff-server", 0x1006 },
	{ "generic-power-onoff-setup-server", 0x1007 },
	{ "generic-power-onoff-client", 0x1008 },
	{ "generic-power-level-server", 0x1009 },
	{ "generic-power-level-setup-server", 0x100a },
	{ "generic-power-level-client", 0x100b },
	{ "generic-battery-server", 0x100c },
	{ "generic-battery-client", 0x100d },
	{ "generic-location-server", 0x100e },
	{ "generic-location-setup-server", 0x100f },
	{ "generic-location-client", 0x1010 },
	{ "generic-admin-property-server", 0x1011 },
	{ "generic-manufacturer-property-server", 0x1012 },
	{ "generic-user-property-server", 0x1013 },
	{ "generic-client-property-server", 0x1014 },
	{ "generic-property-client", 0x1015 },
	{ "sensor-server", 0x1100 },
	{ "sensor-setup-server", 0x1101 },
	{ "sensor-client", 0x1102 },
	{ "time-server", 0x1200 },
	{ "time-setup-server", 0x1201 },
	{ "time-client", 0x1202 },
	{ "scene-server", 0x1203 },
	{ "scene-setup-server", 0x1204 },
	{ "scene-client", 0x1205 },
	{ "scheduler-server", 0x1206 },
	{ "scheduler-setup-server", 0x1207 },
	{ "scheduler-client", 0x1208 },
	{ "light-lightness-server", 0x1300 },
	{ "light-lightness-setup-server", 0x1301 },
	{ "light-lightness-client", 0x1302 },
	{ "light-ctl-server", 0x1303 },
	{ "light-ctl-setup-server", 0x1304 },
	{ "light-ctl-client", 0x1305 },
	{ "light-ctl-temperature-server", 0x1306 },
	{ "light-hsl-server", 0x1307 },
	{ "light-hsl-setup-server", 0x1308 },
	{ "light-hsl-client", 0x1309 },
	{ "light-hsl-hue-server", 0x130a },
	{ "light-hsl-saturation-server", 0x130b },
	{ "light-xyl-server", 0x130c },
	{ "light-xyl-setup-server", 0x130d },
	{ "light-xyl-client", 0x130e },
	{ "light-lc-server", 0x130f },
	{ "light-lc-setup-server", 0x1310 },
	{ "light-lc-client", 0x1311 },
};

int config_scenario_model_id(const char *name)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(sig_models); i++)
		if (strcmp(sig_models[i].name, name) == 0)
			return sig_models[i].id;
	return -1;
}

static const struct {
	const char *name;
	uint16_t bit;
} feature_names[] = {
	{ "relay", SIM_FEAT_RELAY },
	{ "proxy", SIM_FEAT_PROXY },
	{ "friend", SIM_FEAT_FRIEND },
	{ "low-power", SIM_FEAT_LOW_POWER },
};

/* ---- devices ----------------------------------------------------------- */

static int load_model_list(struct loader *ld, const yaml_node_t *list, const char *path,
			   struct sim_element_desc *el)
{
	char sub[YDOC_PATH_LEN], buf[64];
	size_t i = 0;

	if (ydoc_expect_list(&ld->y, list, path, "a list of SIG model IDs or names"))
		return MESH_ERR_INVAL;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *m = ydoc_node(&ld->y, *it);
		uint64_t id;
		int named;

		ydoc_subindex(sub, path, i);
		if (!ydoc_is_text(m) || ydoc_is_null(m))
			return ydoc_fail(&ld->y, m, sub, "expected a SIG model ID or name, got %s",
					 ydoc_describe(&ld->y, m, buf, sizeof(buf)));
		named = config_scenario_model_id(ydoc_scalar(m));
		if (named >= 0) {
			id = (uint64_t)named;
		} else if (ydoc_parse_u64(ydoc_scalar(m), &id)) {
			if (id > 0xffff)
				return ydoc_fail(&ld->y, m, sub,
						 "%s is not a SIG model ID (16 bits; vendor "
						 "models go in vendor_models)",
						 ydoc_scalar(m));
		} else {
			return ydoc_fail(&ld->y, m, sub,
					 "unknown model name %s (see docs/simulator.md "
					 "for the names, or give the ID as 0x1000)",
					 ydoc_describe(&ld->y, m, buf, sizeof(buf)));
		}
		for (unsigned int j = 0; j < el->n_sig; j++)
			if (el->sig_models[j] == id)
				return ydoc_fail(&ld->y, m, sub,
						 "model 0x%04" PRIx64 " listed twice", id);
		if (el->n_sig >= SIM_MODELS_MAX)
			return ydoc_fail(&ld->y, m, sub, "too many models (at most %d per element)",
					 SIM_MODELS_MAX);
		el->sig_models[el->n_sig++] = (uint16_t)id;
	}
	return 0;
}

static int load_vendor_list(struct loader *ld, const yaml_node_t *list, const char *path,
			    struct sim_element_desc *el)
{
	char sub[YDOC_PATH_LEN];
	size_t i = 0;

	if (ydoc_expect_list(&ld->y, list, path, "a list of vendor model IDs (0xCCCCMMMM)"))
		return MESH_ERR_INVAL;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *m = ydoc_node(&ld->y, *it);
		uint64_t id;

		ydoc_subindex(sub, path, i);
		if (ydoc_get_uint(&ld->y, m, sub, 0, 0xffffffffu, &id))
			return MESH_ERR_INVAL;
		for (unsigned int j = 0; j < el->n_vendor; j++)
			if (el->vendor_models[j] == id)
				return ydoc_fail(&ld->y, m, sub,
						 "model 0x%08" PRIx64 " listed twice", id);
		if (el->n_vendor >= SIM_MODELS_MAX)
			return ydoc_fail(&ld->y, m, sub,
					 "too many vendor models (at most %d per element)",
					 SIM_MODELS_MAX);
		el->vendor_models[el->n_vendor++] = (uint32_t)id;
	}
	return 0;
}

/* ---- sensors ----------------------------------------------------------- */

/* A number the property can report, in its unit. */
static int get_prop_value(struct loader *ld, const yaml_node_t *n, const char *path,
			  const struct mesh_sensor_prop_info *pi, double *out)
{
	if (ydoc_get_double(&ld->y, n, path, -1e15, 1e15, out))
		return MESH_ERR_INVAL;
	if (*out < pi->min || *out > pi->max)
		return ydoc_fail(&ld->y, n, path, "%s is outside what %s can report (%g..%g%s%s)",
				 ydoc_scalar(n), pi->key, pi->min, pi->max, *pi->unit ? " " : "",
				 pi->unit);
	return 0;
}

/* Key key of map as a property value into *out; "what" for a missing key. */
static int get_key_value(struct loader *ld, const yaml_node_t *map, const char *path,
			 const char *key, const struct mesh_sensor_prop_info *pi, double *out)
{
	const yaml_node_t *v = ydoc_require(&ld->y, map, path, key, "a number");
	char sub[YDOC_PATH_LEN];

	if (!v)
		return MESH_ERR_INVAL;
	ydoc_subpath(sub, path, key);
	return get_prop_value(ld, v, sub, pi, out);
}

/* A duration in seconds above zero. */
static int get_seconds(struct loader *ld, const yaml_node_t *map, const char *path,
		       const char *key, bool required, double *out)
{
	const yaml_node_t *v = required ? ydoc_require(&ld->y, map, path, key, "seconds")
					: ydoc_get(&ld->y, map, key);
	char sub[YDOC_PATH_LEN];

	if (!v)
		return required ? MESH_ERR_INVAL : 0;
	ydoc_subpath(sub, path, key);
	if (ydoc_get_double(&ld->y, v, sub, 0.0, 1e9, out))
		return MESH_ERR_INVAL;
	if (*out < 0.001)
		return ydoc_fail(&ld->y, v, sub, "%s is too short (at least 0.001 s)",
				 ydoc_scalar(v));
	return 0;
}

static int check_min_max(struct loader *ld, const yaml_node_t *map, const char *path,
			 const struct sim_sensor_gen *g)
{
	char sub[YDOC_PATH_LEN];

	if (g->min <= g->max)
		return 0;
	ydoc_subpath(sub, path, "max");
	return ydoc_fail(&ld->y, ydoc_get(&ld->y, map, "max"), sub, "max %g is below min %g",
			 g->max, g->min);
}

static int load_sine(struct loader *ld, const yaml_node_t *map, const char *path,
		     const struct mesh_sensor_prop_info *pi, struct sim_sensor_gen *g)
{
	static const char *const keys[] = { "min", "max", "period_s", NULL };

	if (ydoc_expect_mapping(&ld->y, map, path, "{min, max, period_s}") ||
	    ydoc_check_keys(&ld->y, map, path, keys))
		return MESH_ERR_INVAL;
	g->kind = SIM_GEN_SINE;
	if (get_key_value(ld, map, path, "min", pi, &g->min) ||
	    get_key_value(ld, map, path, "max", pi, &g->max) ||
	    get_seconds(ld, map, path, "period_s", true, &g->period_s))
		return MESH_ERR_INVAL;
	return check_min_max(ld, map, path, g);
}

static int load_random_walk(struct loader *ld, const yaml_node_t *map, const char *path,
			    const struct mesh_sensor_prop_info *pi, struct sim_sensor_gen *g)
{
	static const char *const keys[] = { "start", "min", "max", "step", "every_s", NULL };
	const yaml_node_t *v;
	char sub[YDOC_PATH_LEN];

	if (ydoc_expect_mapping(&ld->y, map, path, "{start, min, max, step, every_s}") ||
	    ydoc_check_keys(&ld->y, map, path, keys))
		return MESH_ERR_INVAL;
	g->kind = SIM_GEN_RANDOM_WALK;
	g->every_s = SIM_RANDOM_WALK_EVERY_S_DEFAULT;
	if (get_key_value(ld, map, path, "min", pi, &g->min) ||
	    get_key_value(ld, map, path, "max", pi, &g->max) ||
	    check_min_max(ld, map, path, g) ||
	    get_seconds(ld, map, path, "every_s", false, &g->every_s))
		return MESH_ERR_INVAL;
	if (!(v = ydoc_require(&ld->y, map, path, "step", "the largest change per step, >= 0")))
		return MESH_ERR_INVAL;
	ydoc_subpath(sub, path, "step");
	if (ydoc_get_double(&ld->y, v, sub, 0.0, 1e15, &g->step))
		return MESH_ERR_INVAL;
	g->start = (g->min + g->max) / 2;
	if ((v = ydoc_get(&ld->y, map, "start"))) {
		ydoc_subpath(sub, path, "start");
		if (get_prop_value(ld, v, sub, pi, &g->start))
			return MESH_ERR_INVAL;
		if (g->start < g->min || g->start > g->max)
			return ydoc_fail(&ld->y, v, sub, "start %g is not within min..max (%g..%g)",
					 g->start, g->min, g->max);
	}
	return 0;
}

static int load_pattern(struct loader *ld, const yaml_node_t *map, const char *path,
			const struct mesh_sensor_prop_info *pi, struct sim_sensor_gen *g)
{
	static const char *const keys[] = { "values", "every_s", NULL };
	const yaml_node_t *list;
	char sub[YDOC_PATH_LEN], item[YDOC_PATH_LEN];
	size_t n;

	if (ydoc_expect_mapping(&ld->y, map, path, "{values: [...], every_s}") ||
	    ydoc_check_keys(&ld->y, map, path, keys))
		return MESH_ERR_INVAL;
	g->kind = SIM_GEN_PATTERN;
	if (!(list = ydoc_require(&ld->y, map, path, "values", "a list of 1..8 numbers")))
		return MESH_ERR_INVAL;
	ydoc_subpath(sub, path, "values");
	if (ydoc_expect_list(&ld->y, list, sub, "a list of 1..8 numbers"))
		return MESH_ERR_INVAL;
	n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (n < 1 || n > SIM_PATTERN_VALUES_MAX)
		return ydoc_fail(&ld->y, list, sub, "expected 1..%d numbers, got %zu",
				 SIM_PATTERN_VALUES_MAX, n);
	for (size_t i = 0; i < n; i++) {
		ydoc_subindex(item, sub, i);
		if (get_prop_value(ld, ydoc_node(&ld->y, list->data.sequence.items.start[i]), item,
				   pi, &g->values[i]))
			return MESH_ERR_INVAL;
	}
	g->n_values = (uint8_t)n;
	return get_seconds(ld, map, path, "every_s", true, &g->every_s);
}

static int load_generator(struct loader *ld, const yaml_node_t *map, const char *path,
			  const struct mesh_sensor_prop_info *pi, struct sim_sensor_gen *g)
{
	static const char *const keys[] = { "constant", "sine", "random_walk", "pattern", NULL };
	const yaml_node_t *k, *v;
	char sub[YDOC_PATH_LEN];

	if (ydoc_expect_mapping(&ld->y, map, path,
				"{constant: N}, {sine: ...}, {random_walk: ...} or "
				"{pattern: ...}") ||
	    ydoc_check_keys(&ld->y, map, path, keys))
		return MESH_ERR_INVAL;
	if (map->data.mapping.pairs.top - map->data.mapping.pairs.start != 1)
		return ydoc_fail(&ld->y, map, path,
				 "expected exactly one of constant, sine, random_walk "
				 "or pattern");
	k = ydoc_node(&ld->y, map->data.mapping.pairs.start->key);
	v = ydoc_node(&ld->y, map->data.mapping.pairs.start->value);
	ydoc_subpath(sub, path, ydoc_scalar(k));
	if (strcmp(ydoc_scalar(k), "constant") == 0) {
		g->kind = SIM_GEN_CONSTANT;
		return get_prop_value(ld, v, sub, pi, &g->value);
	}
	if (strcmp(ydoc_scalar(k), "sine") == 0)
		return load_sine(ld, v, sub, pi, g);
	if (strcmp(ydoc_scalar(k), "random_walk") == 0)
		return load_random_walk(ld, v, sub, pi, g);
	return load_pattern(ld, v, sub, pi, g);
}

/* A property key ("temperature") or a Property ID in the table. */
static const struct mesh_sensor_prop_info *get_property(struct loader *ld, const yaml_node_t *n,
							const char *path)
{
	const struct mesh_sensor_prop_info *pi = NULL;
	char known[512], buf[64];
	size_t o = 0;
	uint64_t id;

	if (ydoc_is_text(n) && !ydoc_is_null(n)) {
		pi = mesh_sensor_prop_by_key(ydoc_scalar(n));
		if (!pi && ydoc_parse_u64(ydoc_scalar(n), &id) && id <= 0xffff)
			pi = mesh_sensor_prop_find((uint16_t)id);
	}
	if (pi)
		return pi;
	known[0] = '\0';
	for (size_t i = 0; i < mesh_sensor_prop_count() && o < sizeof(known); i++) {
		int w = snprintf(known + o, sizeof(known) - o, "%s%s", i ? ", " : "",
				 mesh_sensor_prop_at(i)->key);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	ydoc_fail(&ld->y, n, path,
		  "unknown sensor property %s (expected one of %s, or the ID of one)",
		  ydoc_describe(&ld->y, n, buf, sizeof(buf)), known);
	return NULL;
}

static int load_sensors(struct loader *ld, const yaml_node_t *list, const char *path,
			struct sim_element_desc *el)
{
	static const char *const keys[] = { "property", "generator", NULL };
	char sub[YDOC_PATH_LEN], key[YDOC_PATH_LEN];
	size_t i = 0;

	if (ydoc_expect_list(&ld->y, list, path, "a list of {property, generator}"))
		return MESH_ERR_INVAL;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *sn = ydoc_node(&ld->y, *it), *v;
		const struct mesh_sensor_prop_info *pi;
		struct sim_sensor_desc *sd;

		ydoc_subindex(sub, path, i);
		if (ydoc_expect_mapping(&ld->y, sn, sub, "{property, generator}") ||
		    ydoc_check_keys(&ld->y, sn, sub, keys))
			return MESH_ERR_INVAL;
		if (el->n_sensors >= SIM_SENSORS_MAX)
			return ydoc_fail(&ld->y, sn, sub,
					 "too many sensors (at most %d per element)",
					 SIM_SENSORS_MAX);
		if (!(v = ydoc_require(&ld->y, sn, sub, "property",
				       "a property name such as temperature, "
				       "or its ID")))
			return MESH_ERR_INVAL;
		ydoc_subpath(key, sub, "property");
		if (!(pi = get_property(ld, v, key)))
			return MESH_ERR_INVAL;
		for (unsigned int j = 0; j < el->n_sensors; j++)
			if (el->sensors[j].property == pi->id)
				return ydoc_fail(&ld->y, v, key,
						 "property %s listed twice (first at "
						 "%s[%u])",
						 pi->key, path, j);
		sd = &el->sensors[el->n_sensors];
		memset(sd, 0, sizeof(*sd));
		sd->property = pi->id;
		if (!(v = ydoc_require(&ld->y, sn, sub, "generator",
				       "constant, sine, random_walk or "
				       "pattern")))
			return MESH_ERR_INVAL;
		ydoc_subpath(key, sub, "generator");
		if (load_generator(ld, v, key, pi, &sd->gen))
			return MESH_ERR_INVAL;
		el->n_sensors++;
	}
	return 0;
}

/* The primary element always has the Configuration Server and the Health
 * Server (mandatory, Mesh Profile 4.4.1 and 4.4.3): put them first when the
 * file does not list them. */
static int add_mandatory_models(struct loader *ld, const yaml_node_t *at, const char *path,
				struct sim_element_desc *el)
{
	static const uint16_t mandatory[] = { 0x0000, 0x0002 };

	for (int i = (int)MESH_ARRAY_SIZE(mandatory) - 1; i >= 0; i--) {
		bool have = false;

		for (unsigned int j = 0; j < el->n_sig; j++)
			have = have || el->sig_models[j] == mandatory[i];
		if (have)
			continue;
		if (el->n_sig >= SIM_MODELS_MAX)
			return ydoc_fail(&ld->y, at, path,
					 "too many models (at most %d per element, with "
					 "the configuration and health servers)",
					 SIM_MODELS_MAX);
		memmove(el->sig_models + 1, el->sig_models, el->n_sig * sizeof(el->sig_models[0]));
		el->sig_models[0] = mandatory[i];
		el->n_sig++;
	}
	return 0;
}

static int load_elements(struct loader *ld, const yaml_node_t *list, const char *path,
			 struct sim_device_desc *d)
{
	static const char *const keys[] = { "location", "models", "vendor_models", "sensors",
					    NULL };
	char sub[YDOC_PATH_LEN], key[YDOC_PATH_LEN];
	size_t i = 0;

	if (ydoc_expect_list(&ld->y, list, path, "a list of elements"))
		return MESH_ERR_INVAL;
	if (list->data.sequence.items.top == list->data.sequence.items.start)
		return ydoc_fail(&ld->y, list, path, "a node needs at least one element");
	d->n_elements = 0;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *e = ydoc_node(&ld->y, *it), *v;
		struct sim_element_desc *el;
		uint64_t u;

		ydoc_subindex(sub, path, i);
		if (i >= SIM_ELEMENTS_MAX)
			return ydoc_fail(&ld->y, e, sub, "too many elements (at most %d)",
					 SIM_ELEMENTS_MAX);
		el = &d->elements[d->n_elements++];
		if (ydoc_is_null(e))
			continue;
		if (ydoc_expect_mapping(&ld->y, e, sub,
					"an element (location, models, vendor_models, "
					"sensors)") ||
		    ydoc_check_keys(&ld->y, e, sub, keys))
			return MESH_ERR_INVAL;
		if ((v = ydoc_get(&ld->y, e, "location"))) {
			ydoc_subpath(key, sub, "location");
			if (ydoc_get_uint(&ld->y, v, key, 0, 0xffff, &u))
				return MESH_ERR_INVAL;
			el->location = (uint16_t)u;
		}
		if ((v = ydoc_get(&ld->y, e, "models"))) {
			ydoc_subpath(key, sub, "models");
			if (load_model_list(ld, v, key, el))
				return MESH_ERR_INVAL;
		}
		if ((v = ydoc_get(&ld->y, e, "vendor_models"))) {
			ydoc_subpath(key, sub, "vendor_models");
			if (load_vendor_list(ld, v, key, el))
				return MESH_ERR_INVAL;
		}
		if ((v = ydoc_get(&ld->y, e, "sensors"))) {
			bool server = false;

			ydoc_subpath(key, sub, "sensors");
			for (unsigned int j = 0; j < el->n_sig; j++)
				server = server || el->sig_models[j] == MESH_MODEL_SENSOR_SRV;
			if (!server)
				return ydoc_fail(&ld->y, v, key,
						 "sensors need the sensor-server model in "
						 "this element's models");
			if (load_sensors(ld, v, key, el))
				return MESH_ERR_INVAL;
		}
	}
	return add_mandatory_models(ld, ydoc_node(&ld->y, *list->data.sequence.items.start), path,
				    &d->elements[0]);
}

static int load_features(struct loader *ld, const yaml_node_t *list, const char *path,
			 uint16_t *out)
{
	char sub[YDOC_PATH_LEN], buf[64];
	size_t i = 0;

	if (ydoc_expect_list(&ld->y, list, path,
			     "a list of features (relay, proxy, friend, low-power)"))
		return MESH_ERR_INVAL;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *f = ydoc_node(&ld->y, *it);
		uint16_t bit = 0;

		ydoc_subindex(sub, path, i);
		if (ydoc_is_text(f))
			for (size_t j = 0; j < MESH_ARRAY_SIZE(feature_names); j++)
				if (strcmp(feature_names[j].name, ydoc_scalar(f)) == 0)
					bit = feature_names[j].bit;
		if (!bit)
			return ydoc_fail(&ld->y, f, sub,
					 "unknown feature %s (expected relay, proxy, "
					 "friend or low-power)",
					 ydoc_describe(&ld->y, f, buf, sizeof(buf)));
		if (*out & bit)
			return ydoc_fail(&ld->y, f, sub, "feature %s listed twice", ydoc_scalar(f));
		*out |= bit;
	}
	return 0;
}

static int load_position(struct loader *ld, const yaml_node_t *list, const char *path,
			 struct sim_device_desc *d)
{
	double *coord[3] = { &d->x, &d->y, &d->z };
	char sub[YDOC_PATH_LEN];
	size_t n;

	if (ydoc_expect_list(&ld->y, list, path, "[x, y] or [x, y, z] in metres"))
		return MESH_ERR_INVAL;
	n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (n != 2 && n != 3)
		return ydoc_fail(&ld->y, list, path,
				 "expected [x, y] or [x, y, z] in metres, got %zu "
				 "numbers",
				 n);
	for (size_t i = 0; i < n; i++) {
		ydoc_subindex(sub, path, i);
		if (ydoc_get_double(&ld->y, ydoc_node(&ld->y, list->data.sequence.items.start[i]),
				    sub, -1e6, 1e6, coord[i]))
			return MESH_ERR_INVAL;
	}
	d->has_position = true;
	return 0;
}

/* {count, interval_ms} into a Network Transmit / Relay Retransmit state. */
static int load_transmit(struct loader *ld, const yaml_node_t *map, const char *path,
			 uint8_t *out)
{
	static const char *const keys[] = { "count", "interval_ms", NULL };
	const yaml_node_t *v;
	uint64_t count = 1, interval = 20;
	char sub[YDOC_PATH_LEN];

	if (ydoc_expect_mapping(&ld->y, map, path, "{count, interval_ms}") ||
	    ydoc_check_keys(&ld->y, map, path, keys))
		return MESH_ERR_INVAL;
	if ((v = ydoc_get(&ld->y, map, "count"))) {
		ydoc_subpath(sub, path, "count");
		if (ydoc_get_uint(&ld->y, v, sub, 1, 8, &count))
			return MESH_ERR_INVAL;
	} else {
		return ydoc_fail(&ld->y, map, path, "count is missing (transmissions, 1..8)");
	}
	if ((v = ydoc_get(&ld->y, map, "interval_ms"))) {
		ydoc_subpath(sub, path, "interval_ms");
		if (ydoc_get_uint(&ld->y, v, sub, 10, 320, &interval))
			return MESH_ERR_INVAL;
		if (interval % 10)
			return ydoc_fail(&ld->y, v, sub, "%s is not a multiple of 10 ms",
					 ydoc_scalar(v));
	}
	/* State 0 means "the default" in struct sim_device_desc; one
	 * transmission has no interval, so say 20 ms instead of 10. */
	if (count == 1 && interval == 10)
		interval = 20;
	*out = (uint8_t)((((interval / 10u) - 1u) << 3) | ((count - 1u) & 0x07u));
	return 0;
}

static int load_app_keys(struct loader *ld, const yaml_node_t *list, const char *path,
			 struct sim_keys_desc *k)
{
	static const char *const keys[] = { "index", "key", NULL };
	char sub[YDOC_PATH_LEN], key[YDOC_PATH_LEN];
	size_t i = 0;

	if (ydoc_expect_list(&ld->y, list, path, "a list of {index, key}"))
		return MESH_ERR_INVAL;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *a = ydoc_node(&ld->y, *it), *v;
		struct sim_app_key_desc *ak;
		uint64_t idx;

		ydoc_subindex(sub, path, i);
		if (ydoc_expect_mapping(&ld->y, a, sub, "{index, key}") ||
		    ydoc_check_keys(&ld->y, a, sub, keys))
			return MESH_ERR_INVAL;
		if (k->n_app_keys >= SIM_APP_KEYS_MAX)
			return ydoc_fail(&ld->y, a, sub, "too many AppKeys (at most %d)",
					 SIM_APP_KEYS_MAX);
		ak = &k->app_keys[k->n_app_keys];
		if (!(v = ydoc_get(&ld->y, a, "index")))
			return ydoc_fail(&ld->y, a, sub,
					 "index is missing (the AppKey index, 0..4095)");
		ydoc_subpath(key, sub, "index");
		if (ydoc_get_uint(&ld->y, v, key, 0, 0xfff, &idx))
			return MESH_ERR_INVAL;
		for (unsigned int j = 0; j < k->n_app_keys; j++)
			if (k->app_keys[j].app_idx == idx)
				return ydoc_fail(&ld->y, v, key,
						 "AppKey index %" PRIu64 " listed twice", idx);
		ak->app_idx = (uint16_t)idx;
		if (!(v = ydoc_get(&ld->y, a, "key")))
			return ydoc_fail(&ld->y, a, sub, "key is missing (32 hex digits)");
		ydoc_subpath(key, sub, "key");
		if (ydoc_get_hex16(&ld->y, v, key, false, true, ak->key))
			return MESH_ERR_INVAL;
		k->n_app_keys++;
	}
	return 0;
}

static int load_provisioned(struct loader *ld, const yaml_node_t *map, const char *path,
			    struct sim_keys_desc *k, struct dev_marks *marks)
{
	static const char *const keys[] = { "address", "net_key", "net_index", "iv_index",
					    "dev_key", "app_keys", NULL };
	const yaml_node_t *v;
	char sub[YDOC_PATH_LEN];
	uint64_t u;

	if (ydoc_expect_mapping(&ld->y, map, path, "{address, net_key, dev_key, ...}") ||
	    ydoc_check_keys(&ld->y, map, path, keys))
		return MESH_ERR_INVAL;
	if (!(v = ydoc_get(&ld->y, map, "address")))
		return ydoc_fail(&ld->y, map, path,
				 "address is missing (the primary element's unicast "
				 "address)");
	ydoc_subpath(sub, path, "address");
	if (ydoc_get_uint(&ld->y, v, sub, 0x0001, 0x7fff, &u))
		return MESH_ERR_INVAL;
	k->address = (uint16_t)u;
	marks->address = v->start_mark;
	if (!(v = ydoc_get(&ld->y, map, "net_key")))
		return ydoc_fail(&ld->y, map, path, "net_key is missing (32 hex digits)");
	ydoc_subpath(sub, path, "net_key");
	if (ydoc_get_hex16(&ld->y, v, sub, false, true, k->net_key))
		return MESH_ERR_INVAL;
	if ((v = ydoc_get(&ld->y, map, "net_index"))) {
		ydoc_subpath(sub, path, "net_index");
		if (ydoc_get_uint(&ld->y, v, sub, 0, 0xfff, &u))
			return MESH_ERR_INVAL;
		k->net_idx = (uint16_t)u;
	}
	if ((v = ydoc_get(&ld->y, map, "iv_index"))) {
		ydoc_subpath(sub, path, "iv_index");
		if (ydoc_get_uint(&ld->y, v, sub, 0, 0xffffffffu, &u))
			return MESH_ERR_INVAL;
		k->iv_index = (uint32_t)u;
	}
	if (!(v = ydoc_get(&ld->y, map, "dev_key")))
		return ydoc_fail(&ld->y, map, path, "dev_key is missing (32 hex digits)");
	ydoc_subpath(sub, path, "dev_key");
	if (ydoc_get_hex16(&ld->y, v, sub, false, true, k->dev_key))
		return MESH_ERR_INVAL;
	if ((v = ydoc_get(&ld->y, map, "app_keys"))) {
		ydoc_subpath(sub, path, "app_keys");
		if (load_app_keys(ld, v, sub, k))
			return MESH_ERR_INVAL;
	}
	k->provisioned = true;
	return 0;
}

/* ---- provisioning capabilities ------------------------------------------ */

struct named_bit {
	const char *name;
	uint16_t bit;
};

/* Bits as in the Capabilities PDU (mesh/sim/scenario.h). */
static const struct named_bit algorithm_names[] = {
	{ "cmac", SIM_PROV_ALG_CMAC },
	{ "hmac", SIM_PROV_ALG_HMAC },
};
static const struct named_bit output_action_names[] = {
	{ "blink", 0x0001 },
	{ "beep", 0x0002 },
	{ "vibrate", 0x0004 },
	{ "numeric", 0x0008 },
	{ "alphanumeric", 0x0010 },
};
static const struct named_bit input_action_names[] = {
	{ "push", 0x0001 },
	{ "twist", 0x0002 },
	{ "numeric", 0x0004 },
	{ "alphanumeric", 0x0008 },
};

/* A non-empty list of names from table, each at most once, into *out.
 * what names one item ("algorithm"), expected lists the names for the
 * message ("cmac or hmac"). */
static int load_named_bits(struct loader *ld, const yaml_node_t *list, const char *path,
			   const struct named_bit *table, size_t n, const char *what,
			   const char *expected, uint16_t *out)
{
	char sub[YDOC_PATH_LEN], buf[64];
	size_t i = 0;

	if (list->type != YAML_SEQUENCE_NODE)
		return ydoc_fail(&ld->y, list, path, "expected a list of %ss (%s), got %s", what,
				 expected, ydoc_describe(&ld->y, list, buf, sizeof(buf)));
	if (list->data.sequence.items.top == list->data.sequence.items.start)
		return ydoc_fail(&ld->y, list, path, "expected at least one %s (%s)", what,
				 expected);
	*out = 0;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *item = ydoc_node(&ld->y, *it);
		uint16_t bit = 0;

		ydoc_subindex(sub, path, i);
		if (ydoc_is_text(item))
			for (size_t j = 0; j < n; j++)
				if (strcmp(table[j].name, ydoc_scalar(item)) == 0)
					bit = table[j].bit;
		if (!bit)
			return ydoc_fail(&ld->y, item, sub, "unknown %s %s (expected %s)", what,
					 ydoc_describe(&ld->y, item, buf, sizeof(buf)), expected);
		if (*out & bit)
			return ydoc_fail(&ld->y, item, sub, "%s %s listed twice", what,
					 ydoc_scalar(item));
		*out |= bit;
	}
	return 0;
}

/* {actions, size} of Output or Input OOB. */
static int load_oob_actions(struct loader *ld, const yaml_node_t *map, const char *path,
			    const struct named_bit *table, size_t n, const char *what,
			    const char *expected, uint16_t *actions, uint8_t *size)
{
	static const char *const keys[] = { "actions", "size", NULL };
	const yaml_node_t *v;
	char sub[YDOC_PATH_LEN];
	long l;

	if (ydoc_expect_mapping(&ld->y, map, path, "{actions: [...], size: 1..8}") ||
	    ydoc_check_keys(&ld->y, map, path, keys))
		return MESH_ERR_INVAL;
	if (!(v = ydoc_get(&ld->y, map, "actions")))
		return ydoc_fail(&ld->y, map, path, "actions is missing (a list of %s)", expected);
	ydoc_subpath(sub, path, "actions");
	if (load_named_bits(ld, v, sub, table, n, what, expected, actions))
		return MESH_ERR_INVAL;
	if (!(v = ydoc_get(&ld->y, map, "size")))
		return ydoc_fail(&ld->y, map, path, "size is missing (digits or characters, 1..%d)",
				 SIM_PROV_OOB_SIZE_MAX);
	ydoc_subpath(sub, path, "size");
	if (ydoc_get_int(&ld->y, v, sub, 1, SIM_PROV_OOB_SIZE_MAX, &l))
		return MESH_ERR_INVAL;
	*size = (uint8_t)l;
	return 0;
}

/* A static OOB value: 16 or 32 octets as 32 or 64 hex digits. A secret
 * like a key, so never echoed. */
static int get_static_oob(struct loader *ld, const yaml_node_t *n, const char *path,
			  struct sim_prov_desc *p)
{
	uint8_t v[SIM_STATIC_OOB_MAX];
	size_t digits = 0;
	const char *s;

	if (!ydoc_is_text(n) || ydoc_is_null(n))
		goto bad;
	for (s = ydoc_scalar(n); *s; s++) {
		int h = mesh_hex_digit(*s);

		if (h < 0 || digits == 2 * SIM_STATIC_OOB_MAX)
			goto bad;
		if (digits % 2 == 0)
			v[digits / 2] = (uint8_t)(h << 4);
		else
			v[digits / 2] |= (uint8_t)h;
		digits++;
	}
	if (digits != 32 && digits != 64)
		goto bad;
	memcpy(p->static_oob, v, digits / 2);
	p->static_oob_len = (uint8_t)(digits / 2);
	memset(v, 0, sizeof(v));
	return 0;
bad:
	memset(v, 0, sizeof(v));
	/* describe() shows no value for these. */
	if (n->type != YAML_SCALAR_NODE || ydoc_is_null(n)) {
		char buf[64];

		return ydoc_fail(&ld->y, n, path, "expected 32 or 64 hex digits, got %s",
				 ydoc_describe(&ld->y, n, buf, sizeof(buf)));
	}
	return ydoc_fail(&ld->y, n, path, "expected 32 or 64 hex digits (a 128- or 256-bit value; "
			 "value not shown)");
}

static int load_provisioning(struct loader *ld, const yaml_node_t *map, const char *path,
			     struct sim_prov_desc *p)
{
	static const char *const keys[] = { "algorithms", "public_key", "static_oob", "output",
					    "input", NULL };
	const yaml_node_t *v;
	char sub[YDOC_PATH_LEN], buf[64];

	if (ydoc_is_null(map))
		return 0;  /* "provisioning:" alone: the defaults */
	if (ydoc_expect_mapping(&ld->y, map, path,
				"{algorithms, public_key, static_oob, output, input}") ||
	    ydoc_check_keys(&ld->y, map, path, keys))
		return MESH_ERR_INVAL;
	if ((v = ydoc_get(&ld->y, map, "algorithms"))) {
		ydoc_subpath(sub, path, "algorithms");
		if (load_named_bits(ld, v, sub, algorithm_names, MESH_ARRAY_SIZE(algorithm_names),
				    "algorithm", "cmac or hmac", &p->algorithms))
			return MESH_ERR_INVAL;
	}
	if ((v = ydoc_get(&ld->y, map, "public_key"))) {
		ydoc_subpath(sub, path, "public_key");
		if (ydoc_is_text(v) && strcmp(ydoc_scalar(v), "oob") == 0)
			p->oob_public_key = true;
		else if (ydoc_is_text(v) && strcmp(ydoc_scalar(v), "in-band") == 0)
			p->oob_public_key = false;
		else
			return ydoc_fail(&ld->y, v, sub, "expected oob or in-band, got %s",
					 ydoc_describe(&ld->y, v, buf, sizeof(buf)));
	}
	if ((v = ydoc_get(&ld->y, map, "static_oob"))) {
		ydoc_subpath(sub, path, "static_oob");
		if (get_static_oob(ld, v, sub, p))
			return MESH_ERR_INVAL;
	}
	if ((v = ydoc_get(&ld->y, map, "output"))) {
		ydoc_subpath(sub, path, "output");
		if (load_oob_actions(ld, v, sub, output_action_names,
				     MESH_ARRAY_SIZE(output_action_names), "output action",
				     "blink, beep, vibrate, numeric or alphanumeric",
				     &p->output_actions, &p->output_size))
			return MESH_ERR_INVAL;
	}
	if ((v = ydoc_get(&ld->y, map, "input"))) {
		ydoc_subpath(sub, path, "input");
		if (load_oob_actions(ld, v, sub, input_action_names,
				     MESH_ARRAY_SIZE(input_action_names), "input action",
				     "push, twist, numeric or alphanumeric", &p->input_actions,
				     &p->input_size))
			return MESH_ERR_INVAL;
	}
	return 0;
}

/* A UUID for a device the file gives none: the same for the same name, so
 * a scenario stays reproducible (FNV-1a, laid out as a version 4 UUID). */
static void derive_uuid(const char *name, uint8_t uuid[16])
{
	uint64_t h[2] = { 0xcbf29ce484222325ull, 0x84222325cbf29ce4ull };

	for (int r = 0; r < 2; r++) {
		for (const char *p = "meshsim:"; *p; p++)
			h[r] = (h[r] ^ (uint8_t)*p) * 0x100000001b3ull;
		for (const char *p = name; *p; p++)
			h[r] = (h[r] ^ (uint8_t)*p) * 0x100000001b3ull;
		for (int i = 0; i < 8; i++)
			uuid[r * 8 + i] = (uint8_t)(h[r] >> (56 - 8 * i));
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
}

static bool valid_device_name(const char *s)
{
	if (!*s || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static const char *const device_keys[] = {
	"type", "uuid", "oob_info", "cid", "pid", "vid", "elements", "features", "position",
	"beacon_interval_ms", "default_ttl", "network_transmit", "relay_retransmit",
	"provisioning", "provisioned", "pty_link", "socket", NULL
};
static const char *const node_only_keys[] = {
	"uuid", "oob_info", "cid", "pid", "vid", "elements", "features", "beacon_interval_ms",
	"default_ttl", "network_transmit", "relay_retransmit", "provisioning", "provisioned",
	NULL
};
static const char *const controller_only_keys[] = { "pty_link", "socket", NULL };

static int load_device(struct loader *ld, const yaml_node_t *name_node, const yaml_node_t *dn,
		       const char *path)
{
	const char *name = ydoc_scalar(name_node);
	enum sim_device_kind kind = SIM_DEVICE_NODE;
	struct sim_device_desc *d;
	struct dev_marks *marks;
	const yaml_node_t *v;
	char sub[YDOC_PATH_LEN], buf[64];
	uint64_t u;

	if (!valid_device_name(name))
		return ydoc_fail(&ld->y, name_node, path,
				 "a device name is letters, digits, '-', '_' and "
				 "'.', not starting with '-' or '.'");
	if (strlen(name) >= SIM_NAME_MAX)
		return ydoc_fail(&ld->y, name_node, path,
				 "device name too long (at most %d characters)", SIM_NAME_MAX - 1);
	if (!ydoc_is_null(dn) &&
	    (ydoc_expect_mapping(&ld->y, dn, path, "a device (a mapping of its keys)") ||
	     ydoc_check_keys(&ld->y, dn, path, device_keys)))
		return MESH_ERR_INVAL;

	if ((v = ydoc_get(&ld->y, dn, "type"))) {
		ydoc_subpath(sub, path, "type");
		if (ydoc_is_text(v) && strcmp(ydoc_scalar(v), "controller") == 0)
			kind = SIM_DEVICE_CONTROLLER;
		else if (!ydoc_is_text(v) || strcmp(ydoc_scalar(v), "node") != 0)
			return ydoc_fail(&ld->y, v, sub, "expected node or controller, got %s",
					 ydoc_describe(&ld->y, v, buf, sizeof(buf)));
	}
	for (const char *const *k = kind == SIM_DEVICE_CONTROLLER ? node_only_keys :
				    controller_only_keys; *k; k++) {
		if (!(v = ydoc_get(&ld->y, dn, *k)))
			continue;
		ydoc_subpath(sub, path, *k);
		return ydoc_fail(&ld->y, ydoc_key_of(&ld->y, dn, v), sub, "only %s have this key "
				 "(this device is a %s)",
				 kind == SIM_DEVICE_CONTROLLER ? "nodes" : "controllers",
				 kind == SIM_DEVICE_CONTROLLER ? "controller" : "node");
	}

	if (ld->sc->n_devices == ld->marks_cap) {
		size_t cap = ld->marks_cap ? ld->marks_cap * 2 : 16;
		struct dev_marks *m = realloc(ld->marks, cap * sizeof(*m));

		if (!m)
			return MESH_ERR_NOMEM;
		ld->marks = m;
		ld->marks_cap = cap;
	}
	d = sim_scenario_add_device(ld->sc, name, kind);
	if (!d)
		return MESH_ERR_NOMEM;
	marks = &ld->marks[ld->sc->n_devices - 1];
	memset(marks, 0, sizeof(*marks));
	marks->name = name_node->start_mark;

	if ((v = ydoc_get(&ld->y, dn, "uuid"))) {
		ydoc_subpath(sub, path, "uuid");
		if (ydoc_get_hex16(&ld->y, v, sub, true, false, d->uuid))
			return MESH_ERR_INVAL;
		marks->uuid = v->start_mark;
		marks->uuid_given = true;
	} else if (kind == SIM_DEVICE_NODE) {
		derive_uuid(name, d->uuid);
	}
	if ((v = ydoc_get(&ld->y, dn, "oob_info"))) {
		ydoc_subpath(sub, path, "oob_info");
		if (ydoc_get_uint(&ld->y, v, sub, 0, 0xffff, &u))
			return MESH_ERR_INVAL;
		d->oob_info = (uint16_t)u;
	}
	{
		static const char *const ids[] = { "cid", "pid", "vid" };
		uint16_t *dst[] = { &d->cid, &d->pid, &d->vid };

		for (size_t i = 0; i < MESH_ARRAY_SIZE(ids); i++) {
			if (!(v = ydoc_get(&ld->y, dn, ids[i])))
				continue;
			ydoc_subpath(sub, path, ids[i]);
			if (ydoc_get_uint(&ld->y, v, sub, 0, 0xffff, &u))
				return MESH_ERR_INVAL;
			*dst[i] = (uint16_t)u;
		}
	}
	if ((v = ydoc_get(&ld->y, dn, "elements"))) {
		ydoc_subpath(sub, path, "elements");
		if (load_elements(ld, v, sub, d))
			return MESH_ERR_INVAL;
	} else if (kind == SIM_DEVICE_NODE) {
		d->n_elements = 1;  /* the primary element, with the mandatory servers */
		d->elements[0].n_sig = 2;
		d->elements[0].sig_models[0] = 0x0000;
		d->elements[0].sig_models[1] = 0x0002;
	}
	if ((v = ydoc_get(&ld->y, dn, "features"))) {
		ydoc_subpath(sub, path, "features");
		if (load_features(ld, v, sub, &d->features))
			return MESH_ERR_INVAL;
	}
	if ((v = ydoc_get(&ld->y, dn, "position"))) {
		ydoc_subpath(sub, path, "position");
		if (load_position(ld, v, sub, d))
			return MESH_ERR_INVAL;
	}
	if ((v = ydoc_get(&ld->y, dn, "beacon_interval_ms"))) {
		ydoc_subpath(sub, path, "beacon_interval_ms");
		if (ydoc_get_uint(&ld->y, v, sub, 20, 3600000, &u))
			return MESH_ERR_INVAL;
		d->beacon_interval_ms = (uint32_t)u;
	}
	if ((v = ydoc_get(&ld->y, dn, "default_ttl"))) {
		ydoc_subpath(sub, path, "default_ttl");
		if (ydoc_get_uint(&ld->y, v, sub, 2, 127, &u))
			return MESH_ERR_INVAL;
		d->default_ttl = (uint8_t)u;
	}
	if ((v = ydoc_get(&ld->y, dn, "network_transmit"))) {
		ydoc_subpath(sub, path, "network_transmit");
		if (load_transmit(ld, v, sub, &d->net_transmit))
			return MESH_ERR_INVAL;
	}
	if ((v = ydoc_get(&ld->y, dn, "relay_retransmit"))) {
		ydoc_subpath(sub, path, "relay_retransmit");
		if (load_transmit(ld, v, sub, &d->relay_retransmit))
			return MESH_ERR_INVAL;
	}
	if ((v = ydoc_get(&ld->y, dn, "provisioning"))) {
		ydoc_subpath(sub, path, "provisioning");
		if (load_provisioning(ld, v, sub, &d->prov))
			return MESH_ERR_INVAL;
	}
	if ((v = ydoc_get(&ld->y, dn, "provisioned"))) {
		int rc;

		ydoc_subpath(sub, path, "provisioned");
		ld->y.hide_values = true;
		rc = load_provisioned(ld, v, sub, &d->keys, marks);
		ld->y.hide_values = false;
		if (rc)
			return rc;
	}
	if ((v = ydoc_get(&ld->y, dn, "pty_link"))) {
		ydoc_subpath(sub, path, "pty_link");
		if (ydoc_get_string(&ld->y, v, sub, d->pty_link, sizeof(d->pty_link)))
			return MESH_ERR_INVAL;
		marks->host_link = v->start_mark;
	}
	if ((v = ydoc_get(&ld->y, dn, "socket"))) {
		ydoc_subpath(sub, path, "socket");
		if (d->pty_link[0])
			return ydoc_fail(&ld->y, v, sub,
					 "a controller has a pty_link or a socket, not both");
		if (ydoc_get_string(&ld->y, v, sub, d->socket_path, sizeof(d->socket_path)))
			return MESH_ERR_INVAL;
		marks->host_link = v->start_mark;
	}
	return 0;
}

/* A controller's pty_link or socket path, and which key gave it. */
static const char *host_link_path(const struct sim_device_desc *d, const char **key)
{
	*key = d->socket_path[0] ? "socket" : "pty_link";
	return d->socket_path[0] ? d->socket_path : d->pty_link;
}

/* Two controllers behind one path: the second would silently take the
 * path (symlink or socket) from the first. */
static int check_host_link(struct loader *ld, size_t i, size_t j)
{
	const struct sim_device_desc *a = &ld->sc->devices[i], *b = &ld->sc->devices[j];
	const char *akey, *bkey;
	const char *apath = host_link_path(a, &akey), *bpath = host_link_path(b, &bkey);
	char path[YDOC_PATH_LEN];

	if (a->kind != SIM_DEVICE_CONTROLLER || b->kind != SIM_DEVICE_CONTROLLER || !apath[0] ||
	    strcmp(apath, bpath) != 0)
		return 0;
	snprintf(path, sizeof(path), "devices.%s.%s", a->name, akey);
	return ydoc_fail_at(&ld->y, ld->marks[i].host_link, path, "%s is also the %s of device %s",
			    apath, bkey, b->name);
}

/* Unicast ranges that overlap, UUIDs and controller paths given twice,
 * pointing at the second of the two. */
static int check_devices(struct loader *ld)
{
	const struct sim_scenario *sc = ld->sc;

	for (size_t i = 0; i < sc->n_devices; i++) {
		const struct sim_device_desc *a = &sc->devices[i];
		char path[YDOC_PATH_LEN];

		for (size_t j = 0; j < i; j++) {
			const struct sim_device_desc *b = &sc->devices[j];

			if (check_host_link(ld, i, j))
				return MESH_ERR_INVAL;
			if (a->kind == SIM_DEVICE_NODE && b->kind == SIM_DEVICE_NODE &&
			    memcmp(a->uuid, b->uuid, 16) == 0) {
				snprintf(path, sizeof(path), "devices.%s.uuid", a->name);
				return ydoc_fail_at(&ld->y,
						    ld->marks[i].uuid_given ? ld->marks[i].uuid
									    : ld->marks[i].name,
						    path, "the same UUID as device %s", b->name);
			}
			if (a->keys.provisioned && b->keys.provisioned) {
				unsigned int a0 = a->keys.address, a1 = a0 + a->n_elements - 1u;
				unsigned int b0 = b->keys.address, b1 = b0 + b->n_elements - 1u;

				if (a0 <= b1 && b0 <= a1) {
					snprintf(path, sizeof(path),
						 "devices.%s.provisioned.address", a->name);
					return ydoc_fail_at(&ld->y, ld->marks[i].address,
							    path, "unicast range 0x%04x..0x%04x "
							    "overlaps device %s (0x%04x..0x%04x)",
							    a0, a1, b->name, b0, b1);
				}
			}
		}
		if (a->keys.provisioned && a->keys.address + a->n_elements - 1u > 0x7fff) {
			snprintf(path, sizeof(path), "devices.%s.provisioned.address", a->name);
			return ydoc_fail_at(&ld->y, ld->marks[i].address, path,
					    "%u elements from 0x%04x "
					    "run past the last unicast address 0x7fff",
					    a->n_elements, a->keys.address);
		}
	}
	return 0;
}

static int load_devices(struct loader *ld, const yaml_node_t *map)
{
	char path[YDOC_PATH_LEN];
	int rc;

	if (ydoc_expect_mapping(&ld->y, map, "devices", "a mapping of device name to device"))
		return MESH_ERR_INVAL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = ydoc_node(&ld->y, p->key);
		char buf[64];

		if (!ydoc_is_text(k) || ydoc_is_null(k))
			return ydoc_fail(&ld->y, k, "devices", "expected a device name, got %s",
					 ydoc_describe(&ld->y, k, buf, sizeof(buf)));
		snprintf(path, sizeof(path), "devices.%s", ydoc_scalar(k));
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
			if (strcmp(ydoc_scalar(ydoc_node(&ld->y, q->key)), ydoc_scalar(k)) == 0)
				return ydoc_fail(&ld->y, k, path,
						 "duplicate device name (first at line %zu)",
						 ydoc_node(&ld->y, q->key)->start_mark.line + 1);
		rc = load_device(ld, k, ydoc_node(&ld->y, p->value), path);
		if (rc)
			return rc;
	}
	return check_devices(ld);
}

/* ---- links ------------------------------------------------------------- */

static int load_links(struct loader *ld, const yaml_node_t *list)
{
	static const char *const keys[] = { "between", "loss", "rssi", NULL };
	yaml_mark_t *seen = NULL;
	size_t i = 0;
	int rc = 0;

	if (ydoc_expect_list(&ld->y, list, "links", "a list of {between: [a, b], loss, rssi}"))
		return MESH_ERR_INVAL;
	seen = calloc((size_t)(list->data.sequence.items.top - list->data.sequence.items.start) + 1,
		      sizeof(*seen));
	if (!seen)
		return MESH_ERR_NOMEM;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *l = ydoc_node(&ld->y, *it), *v, *ends[2];
		char path[YDOC_PATH_LEN], sub[YDOC_PATH_LEN], end[YDOC_PATH_LEN], buf[64];
		double loss = SIM_LOSS_DEFAULT;
		long rssi = SIM_NO_RSSI;

		ydoc_subindex(path, "links", i);
		if (ydoc_expect_mapping(&ld->y, l, path, "{between: [a, b], loss, rssi}") ||
		    ydoc_check_keys(&ld->y, l, path, keys)) {
			rc = MESH_ERR_INVAL;
			goto done;
		}
		if (!(v = ydoc_get(&ld->y, l, "between"))) {
			rc = ydoc_fail(&ld->y, l, path,
				       "between is missing (the two device names)");
			goto done;
		}
		ydoc_subpath(sub, path, "between");
		if (v->type != YAML_SEQUENCE_NODE ||
		    v->data.sequence.items.top - v->data.sequence.items.start != 2) {
			rc = ydoc_fail(&ld->y, v, sub, "expected two device names [a, b], got %s",
				       v->type == YAML_SEQUENCE_NODE ? "another number of items" :
				       ydoc_describe(&ld->y, v, buf, sizeof(buf)));
			goto done;
		}
		for (int e = 0; e < 2; e++) {
			ends[e] = ydoc_node(&ld->y, v->data.sequence.items.start[e]);
			ydoc_subindex(end, sub, (size_t)e);
			if (!ydoc_is_text(ends[e]) || ydoc_is_null(ends[e])) {
				rc = ydoc_fail(&ld->y, ends[e], end,
					       "expected a device name, got %s",
					       ydoc_describe(&ld->y, ends[e], buf, sizeof(buf)));
				goto done;
			}
			if (sim_scenario_find(ld->sc, ydoc_scalar(ends[e])) < 0) {
				rc = ydoc_fail(&ld->y, ends[e], end, "no device named %s",
					       ydoc_describe(&ld->y, ends[e], buf, sizeof(buf)));
				goto done;
			}
		}
		if (strcmp(ydoc_scalar(ends[0]), ydoc_scalar(ends[1])) == 0) {
			rc = ydoc_fail(&ld->y, v, sub, "a link needs two different devices");
			goto done;
		}
		for (size_t j = 0; j < ld->sc->n_links; j++) {
			const struct sim_link_desc *o = &ld->sc->links[j];

			if ((strcmp(o->a, ydoc_scalar(ends[0])) == 0 &&
			     strcmp(o->b, ydoc_scalar(ends[1])) == 0) ||
			    (strcmp(o->a, ydoc_scalar(ends[1])) == 0 &&
			     strcmp(o->b, ydoc_scalar(ends[0])) == 0)) {
				rc = ydoc_fail(&ld->y, v, sub,
					       "a second link between %s and %s (first at "
					       "line %zu)",
					       ydoc_scalar(ends[0]), ydoc_scalar(ends[1]),
					       seen[j].line + 1);
				goto done;
			}
		}
		if ((v = ydoc_get(&ld->y, l, "loss"))) {
			ydoc_subpath(sub, path, "loss");
			if (ydoc_get_double(&ld->y, v, sub, 0.0, 1.0, &loss)) {
				rc = MESH_ERR_INVAL;
				goto done;
			}
		}
		if ((v = ydoc_get(&ld->y, l, "rssi"))) {
			ydoc_subpath(sub, path, "rssi");
			if (ydoc_get_int(&ld->y, v, sub, -127, 20, &rssi)) {
				rc = MESH_ERR_INVAL;
				goto done;
			}
		}
		if (!sim_scenario_add_link(ld->sc, ydoc_scalar(ends[0]), ydoc_scalar(ends[1]), loss,
					   (int)rssi)) {
			rc = MESH_ERR_NOMEM;
			goto done;
		}
		seen[ld->sc->n_links - 1] = l->start_mark;
	}
done:
	free(seen);
	return rc;
}

/* ---- top level --------------------------------------------------------- */

static int load_root(struct loader *ld, const yaml_node_t *root)
{
	static const char *const keys[] = { "name", "seed", "tx_delay_max_ms", "default_loss",
					    "range_m", "devices", "links", NULL };
	struct sim_scenario *sc = ld->sc;
	const yaml_node_t *v;
	uint64_t u;
	int rc;

	if (ydoc_expect_mapping(&ld->y, root, "",
				"a scenario (a mapping with name, devices, links, ...)") ||
	    ydoc_check_keys(&ld->y, root, "", keys))
		return MESH_ERR_INVAL;
	if ((v = ydoc_get(&ld->y, root, "name")) &&
	    ydoc_get_string(&ld->y, v, "name", sc->name, sizeof(sc->name)))
		return MESH_ERR_INVAL;
	if ((v = ydoc_get(&ld->y, root, "seed"))) {
		if (ydoc_get_uint(&ld->y, v, "seed", 0, 0xffffffffu, &u))
			return MESH_ERR_INVAL;
		sc->seed = (uint32_t)u;
	}
	if ((v = ydoc_get(&ld->y, root, "tx_delay_max_ms"))) {
		if (ydoc_get_uint(&ld->y, v, "tx_delay_max_ms", 0, 10000, &u))
			return MESH_ERR_INVAL;
		sc->tx_delay_max_ms = (unsigned int)u;
	}
	if ((v = ydoc_get(&ld->y, root, "default_loss")) &&
	    ydoc_get_double(&ld->y, v, "default_loss", 0.0, 1.0, &sc->default_loss))
		return MESH_ERR_INVAL;
	if ((v = ydoc_get(&ld->y, root, "range_m")) &&
	    ydoc_get_double(&ld->y, v, "range_m", 0.0, 1e6, &sc->range_m))
		return MESH_ERR_INVAL;
	if (!(v = ydoc_get(&ld->y, root, "devices")))
		return ydoc_fail(&ld->y, root, "",
				 "devices is missing (a mapping of device name to device)");
	rc = load_devices(ld, v);
	if (rc)
		return rc;
	if ((v = ydoc_get(&ld->y, root, "links"))) {
		rc = load_links(ld, v);
		if (rc)
			return rc;
	}
	return 0;
}

int config_scenario_load_string(const char *yaml, size_t len, const char *name_for_errors,
				struct sim_scenario *out, char *err, size_t err_len)
{
	struct loader ld = { .sc = out };
	yaml_node_t *root;
	int rc;

	ydoc_init(&ld.y, name_for_errors ? name_for_errors : "scenario", err, err_len);
	sim_scenario_init(out);
	rc = ydoc_load(&ld.y, yaml, len, &root);
	if (rc)
		goto done;
	if (!root) {
		yaml_mark_t start = { 0, 0, 0 };

		rc = ydoc_fail_at(&ld.y, start, "", "the file is empty (expected a scenario)");
		goto done;
	}
	rc = load_root(&ld, root);
	if (rc == 0) {
		char why[256];

		rc = sim_scenario_check(out, why, sizeof(why));
		if (rc && err && err_len)
			snprintf(err, err_len, "%s: %s", ld.y.file, why);
	}
done:
	if (rc == MESH_ERR_NOMEM && err && err_len)
		snprintf(err, err_len, "%s: out of memory", ld.y.file);
	ydoc_free(&ld.y);
	free(ld.marks);
	if (rc) {
		sim_scenario_free(out);
		sim_scenario_init(out);
	}
	return rc;
}

int config_scenario_load_file(const char *path, struct sim_scenario *out, char *err,
			      size_t err_len)
{
	char *buf;
	size_t len;
	int rc;

	sim_scenario_init(out);
	rc = ydoc_read_file(path, FILE_MAX, "scenario file", &buf, &len, err, err_len);
	if (rc)
		return rc;
	rc = config_scenario_load_string(buf, len, path, out, err, err_len);
	free(buf);
	return rc;
}

int config_scenario_load_builtin(struct sim_scenario *out, char *err, size_t err_len)
{
	return config_scenario_load_string(meshgate_builtin_scenario,
					   (size_t)meshgate_builtin_scenario_len,
					   CONFIG_SCENARIO_BUILTIN_NAME, out, err, err_len);
}
