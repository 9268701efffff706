/*
 * Scenario files (see scenario.h and docs/simulator.md).
 *
 * The file is loaded with libyaml's document API, so every node keeps the
 * place it came from; then the tree is walked by the schema, top level
 * first, in a fixed order (scalars, devices, links) whatever order the file
 * lists them in, so a link can name a device defined further down. Each
 * function returns 0, or MESH_ERR_INVAL after writing the one error line:
 * the first problem ends the load.
 *
 * Checks that need the whole scenario (links naming devices, overlapping
 * unicast ranges, the same UUID twice) are done here too, so they can point
 * at a line; sim_scenario_check() then runs as a backstop and its reason is
 * reported with the file name.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config/scenario.h"
#include "mesh/err.h"
#include "mesh/sensor_msg.h"
#include "mesh/util.h"

#define PATH_LEN 256
#define ECHO_MAX 40
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
	const char *file;
	yaml_document_t doc;
	struct sim_scenario *sc;
	char *err;
	size_t err_len;
	struct dev_marks *marks;     /* one per device */
	size_t marks_cap;
	bool hide_values;            /* inside `provisioned`: echo no values */
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

/* ---- errors ------------------------------------------------------------ */

static int fail_at(struct loader *ld, yaml_mark_t mark, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(struct loader *ld, yaml_mark_t mark, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ld->err || ld->err_len == 0)
		return MESH_ERR_INVAL;
	n = snprintf(ld->err, ld->err_len, "%s:%zu:%zu: %s%s", ld->file, mark.line + 1,
		     mark.column + 1, path ? path : "", path && *path ? ": " : "");
	if (n >= 0 && (size_t)n < ld->err_len) {
		va_start(ap, fmt);
		vsnprintf(ld->err + n, ld->err_len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return MESH_ERR_INVAL;
}

#define fail(ld, node, path, ...) fail_at(ld, (node)->start_mark, path, __VA_ARGS__)

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain scalar with nothing in it: "key:" with no value. */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return n->data.scalar.length == 0 || strcmp(scalar(n), "~") == 0 ||
	       strcmp(scalar(n), "null") == 0;
}

/* What a node is, for "got ..." in messages: a kind, or the (shortened,
 * quoted) scalar; under `provisioned`, where any misplaced value may be a
 * key, never the scalar. */
static const char *describe(const struct loader *ld, const yaml_node_t *n, char *buf,
			    size_t size)
{
	size_t o = 0;
	const char *s;

	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (is_null(n))
		return "nothing";
	if (ld->hide_values)
		return "a value (not shown)";
	s = scalar(n);
	buf[o++] = '"';
	for (size_t i = 0; i < n->data.scalar.length && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == ECHO_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* ---- node access ------------------------------------------------------- */

static void subpath(char *out, const char *path, const char *key);

static yaml_node_t *node(struct loader *ld, int id)
{
	return yaml_document_get_node(&ld->doc, id);
}

static bool scalar_is_text(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && strlen(scalar(n)) == n->data.scalar.length;
}

static int expect_mapping(struct loader *ld, const yaml_node_t *n, const char *path,
			  const char *what)
{
	char buf[64];

	if (n->type == YAML_MAPPING_NODE)
		return 0;
	return fail(ld, n, path, "expected %s, got %s", what, describe(ld, n, buf, sizeof(buf)));
}

static int expect_list(struct loader *ld, const yaml_node_t *n, const char *path,
		       const char *what)
{
	char buf[64];

	if (n->type == YAML_SEQUENCE_NODE)
		return 0;
	return fail(ld, n, path, "expected %s, got %s", what, describe(ld, n, buf, sizeof(buf)));
}

/*
 * Keys of a mapping must be plain strings, known, and not repeated. allowed
 * is NULL-terminated.
 */
static int check_keys(struct loader *ld, const yaml_node_t *map, const char *path,
		      const char *const *allowed)
{
	const yaml_node_pair_t *p, *q;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(ld, p->key);
		char sub[PATH_LEN], known[512], buf[64];
		size_t o = 0;
		bool found = false;

		if (!scalar_is_text(k) || is_null(k))
			return fail(ld, k, path, "expected a key name, got %s",
				    describe(ld, k, buf, sizeof(buf)));
		subpath(sub, path, scalar(k));
		for (const char *const *a = allowed; *a; a++)
			found = found || strcmp(*a, scalar(k)) == 0;
		if (!found) {
			known[0] = '\0';
			for (const char *const *a = allowed; *a && o < sizeof(known); a++) {
				int n = snprintf(known + o, sizeof(known) - o, "%s%s",
						 a == allowed ? "" : ", ", *a);
				if (n < 0)
					break;
				o += (size_t)n;
			}
			if (ld->hide_values && strlen(scalar(k)) > 16)
				return fail(ld, k, path, "unknown key, name not shown (known keys "
					    "here: %s)", known);
			return fail(ld, k, sub, "unknown key (known keys here: %s)", known);
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *k2 = node(ld, q->key);

			if (strcmp(scalar(k2), scalar(k)) == 0)
				return fail(ld, k, sub, "duplicate key (first at line %zu)",
					    k2->start_mark.line + 1);
		}
	}
	return 0;
}

/* The value of key in map, or NULL. */
static yaml_node_t *get(struct loader *ld, const yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(ld, p->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
			return node(ld, p->value);
	}
	return NULL;
}

/* Key paths longer than PATH_LEN (absurd nesting or names) end in "...". */
static void ellipsize(char *out, int n)
{
	if (n < 0 || n >= PATH_LEN)
		memcpy(out + PATH_LEN - 4, "...", 4);
}

static void subpath(char *out, const char *path, const char *key)
{
	ellipsize(out, snprintf(out, PATH_LEN, "%s%s%s", path, *path ? "." : "", key));
}

static void subindex(char *out, const char *path, size_t i)
{
	ellipsize(out, snprintf(out, PATH_LEN, "%s[%zu]", path, i));
}

/* ---- scalars ----------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decimal or 0x-prefixed hex, no sign, no spaces. */
static bool parse_u64(const char *s, uint64_t *out)
{
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (const char *c = s; *c; c++)
		if (!(*c >= '0' && *c <= '9') && !(base == 16 && hexval(*c) >= 0))
			return false;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno == 0 && *end == '\0';
}

static int get_uint(struct loader *ld, const yaml_node_t *n, const char *path, uint64_t min,
		    uint64_t max, uint64_t *out)
{
	char buf[64];
	uint64_t v;

	if (!scalar_is_text(n) || is_null(n) || !parse_u64(scalar(n), &v))
		return fail(ld, n, path, "expected an integer (decimal or 0x hex), got %s",
			    describe(ld, n, buf, sizeof(buf)));
	if (v < min || v > max) {
		if (max > 0xffff)
			return fail(ld, n, path, "%s is out of range %" PRIu64 "..%" PRIu64,
				    scalar(n), min, max);
		return fail(ld, n, path, "%s is out of range %" PRIu64 "..%" PRIu64
			    " (0x%04" PRIx64 "..0x%04" PRIx64 ")", scalar(n), min, max, min, max);
	}
	*out = v;
	return 0;
}

static int get_int(struct loader *ld, const yaml_node_t *n, const char *path, long min,
		   long max, long *out)
{
	char buf[64];
	const char *s;
	char *end;
	long v;

	if (!scalar_is_text(n) || is_null(n))
		goto bad;
	s = scalar(n);
	if (!((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+') &&
					       s[1] >= '0' && s[1] <= '9')))
		goto bad;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		goto bad;
	if (v < min || v > max)
		return fail(ld, n, path, "%s is out of range %ld..%ld", s, min, max);
	*out = v;
	return 0;
bad:
	return fail(ld, n, path, "expected an integer, got %s", describe(ld, n, buf, sizeof(buf)));
}

static int get_double(struct loader *ld, const yaml_node_t *n, const char *path, double min,
		      double max, double *out)
{
	char buf[64];
	const char *s;
	char *end;
	double v;

	if (!scalar_is_text(n) || is_null(n))
		goto bad;
	s = scalar(n);
	/* strtod also takes "inf", "nan" and hex floats: insist on digits. */
	if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '.' ||
	      ((s[0] == '-' || s[0] == '+') && ((s[1] >= '0' && s[1] <= '9') || s[1] == '.'))))
		goto bad;
	if (strchr(s, 'x') || strchr(s, 'X'))
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		goto bad;
	if (v < min || v > max)
		return fail(ld, n, path, "%s is out of range %g..%g", s, min, max);
	*out = v;
	return 0;
bad:
	return fail(ld, n, path, "expected a number, got %s", describe(ld, n, buf, sizeof(buf)));
}

static int get_string(struct loader *ld, const yaml_node_t *n, const char *path, char *out,
		      size_t size)
{
	char buf[64];

	if (!scalar_is_text(n) || is_null(n))
		return fail(ld, n, path, "expected a string, got %s",
			    describe(ld, n, buf, sizeof(buf)));
	if (n->data.scalar.length >= size)
		return fail(ld, n, path, "too long (%zu characters, at most %zu)",
			    n->data.scalar.length, size - 1);
	memcpy(out, scalar(n), n->data.scalar.length + 1);
	return 0;
}

/* 16 octets as 32 hex digits; dashes allowed when dashes (UUIDs). A key
 * (secret) is never echoed in the message. */
static int get_hex16(struct loader *ld, const yaml_node_t *n, const char *path, bool dashes,
		     bool secret, uint8_t out[16])
{
	char buf[64];
	const char *s;
	size_t digits = 0;
	uint8_t v[16];

	if (!scalar_is_text(n) || is_null(n))
		goto bad;
	s = scalar(n);
	for (; *s; s++) {
		int h = hexval(*s);

		if (*s == '-' && dashes)
			continue;
		if (h < 0 || digits == 32)
			goto bad;
		if (digits % 2 == 0)
			v[digits / 2] = (uint8_t)(h << 4);
		else
			v[digits / 2] |= (uint8_t)h;
		digits++;
	}
	if (digits != 32)
		goto bad;
	memcpy(out, v, 16);
	memset(v, 0, sizeof(v));
	return 0;
bad:
	memset(v, 0, sizeof(v));
	if (secret && n->type == YAML_SCALAR_NODE && !is_null(n))
		return fail(ld, n, path, "expected 32 hex digits (a 128-bit key; value not shown)");
	return fail(ld, n, path, "expected 32 hex digits%s, got %s",
		    dashes ? " (dashes allowed)" : "", describe(ld, n, buf, sizeof(buf)));
}

/* ---- devices ----------------------------------------------------------- */

static int load_model_list(struct loader *ld, const yaml_node_t *list, const char *path,
			   struct sim_element_desc *el)
{
	char sub[PATH_LEN], buf[64];
	size_t i = 0;

	if (expect_list(ld, list, path, "a list of SIG model IDs or names"))
		return MESH_ERR_INVAL;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *m = node(ld, *it);
		uint64_t id;
		int named;

		subindex(sub, path, i);
		if (!scalar_is_text(m) || is_null(m))
			return fail(ld, m, sub, "expected a SIG model ID or name, got %s",
				    describe(ld, m, buf, sizeof(buf)));
		named = config_scenario_model_id(scalar(m));
		if (named >= 0) {
			id = (uint64_t)named;
		} else if (parse_u64(scalar(m), &id)) {
			if (id > 0xffff)
				return fail(ld, m, sub, "%s is not a SIG model ID (16 bits; vendor "
					    "models go in vendor_models)", scalar(m));
		} else {
			return fail(ld, m, sub, "unknown model name %s (see docs/simulator.md "
				    "for the names, or give the ID as 0x1000)",
				    describe(ld, m, buf, sizeof(buf)));
		}
		for (unsigned int j = 0; j < el->n_sig; j++)
			if (el->sig_models[j] == id)
				return fail(ld, m, sub, "model 0x%04" PRIx64 " listed twice", id);
		if (el->n_sig >= SIM_MODELS_MAX)
			return fail(ld, m, sub, "too many models (at most %d per element)",
				    SIM_MODELS_MAX);
		el->sig_models[el->n_sig++] = (uint16_t)id;
	}
	return 0;
}

static int load_vendor_list(struct loader *ld, const yaml_node_t *list, const char *path,
			    struct sim_element_desc *el)
{
	char sub[PATH_LEN];
	size_t i = 0;

	if (expect_list(ld, list, path, "a list of vendor model IDs (0xCCCCMMMM)"))
		return MESH_ERR_INVAL;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *m = node(ld, *it);
		uint64_t id;

		subindex(sub, path, i);
		if (get_uint(ld, m, sub, 0, 0xffffffffu, &id))
			return MESH_ERR_INVAL;
		for (unsigned int j = 0; j < el->n_vendor; j++)
			if (el->vendor_models[j] == id)
				return fail(ld, m, sub, "model 0x%08" PRIx64 " listed twice", id);
		if (el->n_vendor >= SIM_MODELS_MAX)
			return fail(ld, m, sub, "too many vendor models (at most %d per element)",
				    SIM_MODELS_MAX);
		el->vendor_models[el->n_vendor++] = (uint32_t)id;
	}
	return 0;
}

/* ---- sensors ----------------------------------------------------------- */

/* The value of key in map, or NULL after reporting that it is missing. */
static const yaml_node_t *require(struct loader *ld, const yaml_node_t *map, const char *path,
				  const char *key, const char *what)
{
	const yaml_node_t *v = get(ld, map, key);

	if (!v)
		fail(ld, map, path, "%s is missing (%s)", key, what);
	return v;
}

/* A number the property can report, in its unit. */
static int get_prop_value(struct loader *ld, const yaml_node_t *n, const char *path,
			  const struct mesh_sensor_prop_info *pi, double *out)
{
	if (get_double(ld, n, path, -1e15, 1e15, out))
		return MESH_ERR_INVAL;
	if (*out < pi->min || *out > pi->max)
		return fail(ld, n, path, "%s is outside what %s can report (%g..%g%s%s)", scalar(n),
			    pi->key, pi->min, pi->max, *pi->unit ? " " : "", pi->unit);
	return 0;
}

/* Key key of map as a property value into *out; "what" for a missing key. */
static int get_key_value(struct loader *ld, const yaml_node_t *map, const char *path,
			 const char *key, const struct mesh_sensor_prop_info *pi, double *out)
{
	const yaml_node_t *v = require(ld, map, path, key, "a number");
	char sub[PATH_LEN];

	if (!v)
		return MESH_ERR_INVAL;
	subpath(sub, path, key);
	return get_prop_value(ld, v, sub, pi, out);
}

/* A duration in seconds above zero. */
static int get_seconds(struct loader *ld, const yaml_node_t *map, const char *path,
		       const char *key, bool required, double *out)
{
	const yaml_node_t *v = required ? require(ld, map, path, key, "seconds") : get(ld, map, key);
	char sub[PATH_LEN];

	if (!v)
		return required ? MESH_ERR_INVAL : 0;
	subpath(sub, path, key);
	if (get_double(ld, v, sub, 0.0, 1e9, out))
		return MESH_ERR_INVAL;
	if (*out < 0.001)
		return fail(ld, v, sub, "%s is too short (at least 0.001 s)", scalar(v));
	return 0;
}

static int check_min_max(struct loader *ld, const yaml_node_t *map, const char *path,
			 const struct sim_sensor_gen *g)
{
	char sub[PATH_LEN];

	if (g->min <= g->max)
		return 0;
	subpath(sub, path, "max");
	return fail(ld, get(ld, map, "max"), sub, "max %g is below min %g", g->max, g->min);
}

static int load_sine(struct loader *ld, const yaml_node_t *map, const char *path,
		     const struct mesh_sensor_prop_info *pi, struct sim_sensor_gen *g)
{
	static const char *const keys[] = { "min", "max", "period_s", NULL };

	if (expect_mapping(ld, map, path, "{min, max, period_s}") || check_keys(ld, map, path, keys))
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
	char sub[PATH_LEN];

	if (expect_mapping(ld, map, path, "{start, min, max, step, every_s}") ||
	    check_keys(ld, map, path, keys))
		return MESH_ERR_INVAL;
	g->kind = SIM_GEN_RANDOM_WALK;
	g->every_s = SIM_RANDOM_WALK_EVERY_S_DEFAULT;
	if (get_key_value(ld, map, path, "min", pi, &g->min) ||
	    get_key_value(ld, map, path, "max", pi, &g->max) ||
	    check_min_max(ld, map, path, g) ||
	    get_seconds(ld, map, path, "every_s", false, &g->every_s))
		return MESH_ERR_INVAL;
	if (!(v = require(ld, map, path, "step", "the largest change per step, >= 0")))
		return MESH_ERR_INVAL;
	subpath(sub, path, "step");
	if (get_double(ld, v, sub, 0.0, 1e15, &g->step))
		return MESH_ERR_INVAL;
	g->start = (g->min + g->max) / 2;
	if ((v = get(ld, map, "start"))) {
		subpath(sub, path, "start");
		if (get_prop_value(ld, v, sub, pi, &g->start))
			return MESH_ERR_INVAL;
		if (g->start < g->min || g->start > g->max)
			return fail(ld, v, sub, "start %g is not within min..max (%g..%g)", g->start,
				    g->min, g->max);
	}
	return 0;
}

static int load_pattern(struct loader *ld, const yaml_node_t *map, const char *path,
			const struct mesh_sensor_prop_info *pi, struct sim_sensor_gen *g)
{
	static const char *const keys[] = { "values", "every_s", NULL };
	const yaml_node_t *list;
	char sub[PATH_LEN], item[PATH_LEN];
	size_t n;

	if (expect_mapping(ld, map, path, "{values: [...], every_s}") ||
	    check_keys(ld, map, path, keys))
		return MESH_ERR_INVAL;
	g->kind = SIM_GEN_PATTERN;
	if (!(list = require(ld, map, path, "values", "a list of 1..8 numbers")))
		return MESH_ERR_INVAL;
	subpath(sub, path, "values");
	if (expect_list(ld, list, sub, "a list of 1..8 numbers"))
		return MESH_ERR_INVAL;
	n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (n < 1 || n > SIM_PATTERN_VALUES_MAX)
		return fail(ld, list, sub, "expected 1..%d numbers, got %zu", SIM_PATTERN_VALUES_MAX,
			    n);
	for (size_t i = 0; i < n; i++) {
		subindex(item, sub, i);
		if (get_prop_value(ld, node(ld, list->data.sequence.items.start[i]), item, pi,
				   &g->values[i]))
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
	char sub[PATH_LEN];

	if (expect_mapping(ld, map, path, "{constant: N}, {sine: ...}, {random_walk: ...} or "
			   "{pattern: ...}") || check_keys(ld, map, path, keys))
		return MESH_ERR_INVAL;
	if (map->data.mapping.pairs.top - map->data.mapping.pairs.start != 1)
		return fail(ld, map, path, "expected exactly one of constant, sine, random_walk "
			    "or pattern");
	k = node(ld, map->data.mapping.pairs.start->key);
	v = node(ld, map->data.mapping.pairs.start->value);
	subpath(sub, path, scalar(k));
	if (strcmp(scalar(k), "constant") == 0) {
		g->kind = SIM_GEN_CONSTANT;
		return get_prop_value(ld, v, sub, pi, &g->value);
	}
	if (strcmp(scalar(k), "sine") == 0)
		return load_sine(ld, v, sub, pi, g);
	if (strcmp(scalar(k), "random_walk") == 0)
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

	if (scalar_is_text(n) && !is_null(n)) {
		pi = mesh_sensor_prop_by_key(scalar(n));
		if (!pi && parse_u64(scalar(n), &id) && id <= 0xffff)
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
	fail(ld, n, path, "unknown sensor property %s (expected one of %s, or the ID of one)",
	     describe(ld, n, buf, sizeof(buf)), known);
	return NULL;
}

static int load_sensors(struct loader *ld, const yaml_node_t *list, const char *path,
			struct sim_element_desc *el)
{
	static const char *const keys[] = { "property", "generator", NULL };
	char sub[PATH_LEN], key[PATH_LEN];
	size_t i = 0;

	if (expect_list(ld, list, path, "a list of {property, generator}"))
		return MESH_ERR_INVAL;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *sn = node(ld, *it), *v;
		const struct mesh_sensor_prop_info *pi;
		struct sim_sensor_desc *sd;

		subindex(sub, path, i);
		if (expect_mapping(ld, sn, sub, "{property, generator}") ||
		    check_keys(ld, sn, sub, keys))
			return MESH_ERR_INVAL;
		if (el->n_sensors >= SIM_SENSORS_MAX)
			return fail(ld, sn, sub, "too many sensors (at most %d per element)",
				    SIM_SENSORS_MAX);
		if (!(v = require(ld, sn, sub, "property", "a property name such as temperature, "
				  "or its ID")))
			return MESH_ERR_INVAL;
		subpath(key, sub, "property");
		if (!(pi = get_property(ld, v, key)))
			return MESH_ERR_INVAL;
		for (unsigned int j = 0; j < el->n_sensors; j++)
			if (el->sensors[j].property == pi->id)
				return fail(ld, v, key, "property %s listed twice (first at "
					    "%s[%u])", pi->key, path, j);
		sd = &el->sensors[el->n_sensors];
		memset(sd, 0, sizeof(*sd));
		sd->property = pi->id;
		if (!(v = require(ld, sn, sub, "generator", "constant, sine, random_walk or "
				  "pattern")))
			return MESH_ERR_INVAL;
		subpath(key, sub, "generator");
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
			return fail(ld, at, path, "too many models (at most %d per element, with "
				    "the configuration and health servers)", SIM_MODELS_MAX);
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
	char sub[PATH_LEN], key[PATH_LEN];
	size_t i = 0;

	if (expect_list(ld, list, path, "a list of elements"))
		return MESH_ERR_INVAL;
	if (list->data.sequence.items.top == list->data.sequence.items.start)
		return fail(ld, list, path, "a node needs at least one element");
	d->n_elements = 0;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *e = node(ld, *it), *v;
		struct sim_element_desc *el;
		uint64_t u;

		subindex(sub, path, i);
		if (i >= SIM_ELEMENTS_MAX)
			return fail(ld, e, sub, "too many elements (at most %d)", SIM_ELEMENTS_MAX);
		el = &d->elements[d->n_elements++];
		if (is_null(e))
			continue;
		if (expect_mapping(ld, e, sub, "an element (location, models, vendor_models, "
				   "sensors)") ||
		    check_keys(ld, e, sub, keys))
			return MESH_ERR_INVAL;
		if ((v = get(ld, e, "location"))) {
			subpath(key, sub, "location");
			if (get_uint(ld, v, key, 0, 0xffff, &u))
				return MESH_ERR_INVAL;
			el->location = (uint16_t)u;
		}
		if ((v = get(ld, e, "models"))) {
			subpath(key, sub, "models");
			if (load_model_list(ld, v, key, el))
				return MESH_ERR_INVAL;
		}
		if ((v = get(ld, e, "vendor_models"))) {
			subpath(key, sub, "vendor_models");
			if (load_vendor_list(ld, v, key, el))
				return MESH_ERR_INVAL;
		}
		if ((v = get(ld, e, "sensors"))) {
			bool server = false;

			subpath(key, sub, "sensors");
			for (unsigned int j = 0; j < el->n_sig; j++)
				server = server || el->sig_models[j] == MESH_MODEL_SENSOR_SRV;
			if (!server)
				return fail(ld, v, key, "sensors need the sensor-server model in "
					    "this element's models");
			if (load_sensors(ld, v, key, el))
				return MESH_ERR_INVAL;
		}
	}
	return add_mandatory_models(ld, node(ld, *list->data.sequence.items.start), path,
				    &d->elements[0]);
}

static int load_features(struct loader *ld, const yaml_node_t *list, const char *path,
			 uint16_t *out)
{
	char sub[PATH_LEN], buf[64];
	size_t i = 0;

	if (expect_list(ld, list, path, "a list of features (relay, proxy, friend, low-power)"))
		return MESH_ERR_INVAL;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *f = node(ld, *it);
		uint16_t bit = 0;

		subindex(sub, path, i);
		if (scalar_is_text(f))
			for (size_t j = 0; j < MESH_ARRAY_SIZE(feature_names); j++)
				if (strcmp(feature_names[j].name, scalar(f)) == 0)
					bit = feature_names[j].bit;
		if (!bit)
			return fail(ld, f, sub, "unknown feature %s (expected relay, proxy, "
				    "friend or low-power)", describe(ld, f, buf, sizeof(buf)));
		if (*out & bit)
			return fail(ld, f, sub, "feature %s listed twice", scalar(f));
		*out |= bit;
	}
	return 0;
}

static int load_position(struct loader *ld, const yaml_node_t *list, const char *path,
			 struct sim_device_desc *d)
{
	double *coord[3] = { &d->x, &d->y, &d->z };
	char sub[PATH_LEN];
	size_t n;

	if (expect_list(ld, list, path, "[x, y] or [x, y, z] in metres"))
		return MESH_ERR_INVAL;
	n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (n != 2 && n != 3)
		return fail(ld, list, path, "expected [x, y] or [x, y, z] in metres, got %zu "
			    "numbers", n);
	for (size_t i = 0; i < n; i++) {
		subindex(sub, path, i);
		if (get_double(ld, node(ld, list->data.sequence.items.start[i]), sub, -1e6, 1e6,
			       coord[i]))
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
	char sub[PATH_LEN];

	if (expect_mapping(ld, map, path, "{count, interval_ms}") || check_keys(ld, map, path, keys))
		return MESH_ERR_INVAL;
	if ((v = get(ld, map, "count"))) {
		subpath(sub, path, "count");
		if (get_uint(ld, v, sub, 1, 8, &count))
			return MESH_ERR_INVAL;
	} else {
		return fail(ld, map, path, "count is missing (transmissions, 1..8)");
	}
	if ((v = get(ld, map, "interval_ms"))) {
		subpath(sub, path, "interval_ms");
		if (get_uint(ld, v, sub, 10, 320, &interval))
			return MESH_ERR_INVAL;
		if (interval % 10)
			return fail(ld, v, sub, "%s is not a multiple of 10 ms", scalar(v));
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
	char sub[PATH_LEN], key[PATH_LEN];
	size_t i = 0;

	if (expect_list(ld, list, path, "a list of {index, key}"))
		return MESH_ERR_INVAL;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *a = node(ld, *it), *v;
		struct sim_app_key_desc *ak;
		uint64_t idx;

		subindex(sub, path, i);
		if (expect_mapping(ld, a, sub, "{index, key}") || check_keys(ld, a, sub, keys))
			return MESH_ERR_INVAL;
		if (k->n_app_keys >= SIM_APP_KEYS_MAX)
			return fail(ld, a, sub, "too many AppKeys (at most %d)", SIM_APP_KEYS_MAX);
		ak = &k->app_keys[k->n_app_keys];
		if (!(v = get(ld, a, "index")))
			return fail(ld, a, sub, "index is missing (the AppKey index, 0..4095)");
		subpath(key, sub, "index");
		if (get_uint(ld, v, key, 0, 0xfff, &idx))
			return MESH_ERR_INVAL;
		for (unsigned int j = 0; j < k->n_app_keys; j++)
			if (k->app_keys[j].app_idx == idx)
				return fail(ld, v, key, "AppKey index %" PRIu64 " listed twice", idx);
		ak->app_idx = (uint16_t)idx;
		if (!(v = get(ld, a, "key")))
			return fail(ld, a, sub, "key is missing (32 hex digits)");
		subpath(key, sub, "key");
		if (get_hex16(ld, v, key, false, true, ak->key))
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
	char sub[PATH_LEN];
	uint64_t u;

	if (expect_mapping(ld, map, path, "{address, net_key, dev_key, ...}") ||
	    check_keys(ld, map, path, keys))
		return MESH_ERR_INVAL;
	if (!(v = get(ld, map, "address")))
		return fail(ld, map, path, "address is missing (the primary element's unicast "
			    "address)");
	subpath(sub, path, "address");
	if (get_uint(ld, v, sub, 0x0001, 0x7fff, &u))
		return MESH_ERR_INVAL;
	k->address = (uint16_t)u;
	marks->address = v->start_mark;
	if (!(v = get(ld, map, "net_key")))
		return fail(ld, map, path, "net_key is missing (32 hex digits)");
	subpath(sub, path, "net_key");
	if (get_hex16(ld, v, sub, false, true, k->net_key))
		return MESH_ERR_INVAL;
	if ((v = get(ld, map, "net_index"))) {
		subpath(sub, path, "net_index");
		if (get_uint(ld, v, sub, 0, 0xfff, &u))
			return MESH_ERR_INVAL;
		k->net_idx = (uint16_t)u;
	}
	if ((v = get(ld, map, "iv_index"))) {
		subpath(sub, path, "iv_index");
		if (get_uint(ld, v, sub, 0, 0xffffffffu, &u))
			return MESH_ERR_INVAL;
		k->iv_index = (uint32_t)u;
	}
	if (!(v = get(ld, map, "dev_key")))
		return fail(ld, map, path, "dev_key is missing (32 hex digits)");
	subpath(sub, path, "dev_key");
	if (get_hex16(ld, v, sub, false, true, k->dev_key))
		return MESH_ERR_INVAL;
	if ((v = get(ld, map, "app_keys"))) {
		subpath(sub, path, "app_keys");
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
	char sub[PATH_LEN], buf[64];
	size_t i = 0;

	if (list->type != YAML_SEQUENCE_NODE)
		return fail(ld, list, path, "expected a list of %ss (%s), got %s", what, expected,
			    describe(ld, list, buf, sizeof(buf)));
	if (list->data.sequence.items.top == list->data.sequence.items.start)
		return fail(ld, list, path, "expected at least one %s (%s)", what, expected);
	*out = 0;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *item = node(ld, *it);
		uint16_t bit = 0;

		subindex(sub, path, i);
		if (scalar_is_text(item))
			for (size_t j = 0; j < n; j++)
				if (strcmp(table[j].name, scalar(item)) == 0)
					bit = table[j].bit;
		if (!bit)
			return fail(ld, item, sub, "unknown %s %s (expected %s)", what,
				    describe(ld, item, buf, sizeof(buf)), expected);
		if (*out & bit)
			return fail(ld, item, sub, "%s %s listed twice", what, scalar(item));
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
	char sub[PATH_LEN];
	long l;

	if (expect_mapping(ld, map, path, "{actions: [...], size: 1..8}") ||
	    check_keys(ld, map, path, keys))
		return MESH_ERR_INVAL;
	if (!(v = get(ld, map, "actions")))
		return fail(ld, map, path, "actions is missing (a list of %s)", expected);
	subpath(sub, path, "actions");
	if (load_named_bits(ld, v, sub, table, n, what, expected, actions))
		return MESH_ERR_INVAL;
	if (!(v = get(ld, map, "size")))
		return fail(ld, map, path, "size is missing (digits or characters, 1..%d)",
			    SIM_PROV_OOB_SIZE_MAX);
	subpath(sub, path, "size");
	if (get_int(ld, v, sub, 1, SIM_PROV_OOB_SIZE_MAX, &l))
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

	if (!scalar_is_text(n) || is_null(n))
		goto bad;
	for (s = scalar(n); *s; s++) {
		int h = hexval(*s);

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
	if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		char buf[64];

		return fail(ld, n, path, "expected 32 or 64 hex digits, got %s",
			    describe(ld, n, buf, sizeof(buf)));
	}
	return fail(ld, n, path, "expected 32 or 64 hex digits (a 128- or 256-bit value; "
		    "value not shown)");
}

static int load_provisioning(struct loader *ld, const yaml_node_t *map, const char *path,
			     struct sim_prov_desc *p)
{
	static const char *const keys[] = { "algorithms", "public_key", "static_oob", "output",
					    "input", NULL };
	const yaml_node_t *v;
	char sub[PATH_LEN], buf[64];

	if (is_null(map))
		return 0;  /* "provisioning:" alone: the defaults */
	if (expect_mapping(ld, map, path, "{algorithms, public_key, static_oob, output, input}") ||
	    check_keys(ld, map, path, keys))
		return MESH_ERR_INVAL;
	if ((v = get(ld, map, "algorithms"))) {
		subpath(sub, path, "algorithms");
		if (load_named_bits(ld, v, sub, algorithm_names, MESH_ARRAY_SIZE(algorithm_names),
				    "algorithm", "cmac or hmac", &p->algorithms))
			return MESH_ERR_INVAL;
	}
	if ((v = get(ld, map, "public_key"))) {
		subpath(sub, path, "public_key");
		if (scalar_is_text(v) && strcmp(scalar(v), "oob") == 0)
			p->oob_public_key = true;
		else if (scalar_is_text(v) && strcmp(scalar(v), "in-band") == 0)
			p->oob_public_key = false;
		else
			return fail(ld, v, sub, "expected oob or in-band, got %s",
				    describe(ld, v, buf, sizeof(buf)));
	}
	if ((v = get(ld, map, "static_oob"))) {
		subpath(sub, path, "static_oob");
		if (get_static_oob(ld, v, sub, p))
			return MESH_ERR_INVAL;
	}
	if ((v = get(ld, map, "output"))) {
		subpath(sub, path, "output");
		if (load_oob_actions(ld, v, sub, output_action_names,
				     MESH_ARRAY_SIZE(output_action_names), "output action",
				     "blink, beep, vibrate, numeric or alphanumeric",
				     &p->output_actions, &p->output_size))
			return MESH_ERR_INVAL;
	}
	if ((v = get(ld, map, "input"))) {
		subpath(sub, path, "input");
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
	const char *name = scalar(name_node);
	enum sim_device_kind kind = SIM_DEVICE_NODE;
	struct sim_device_desc *d;
	struct dev_marks *marks;
	const yaml_node_t *v;
	char sub[PATH_LEN], buf[64];
	uint64_t u;

	if (!valid_device_name(name))
		return fail(ld, name_node, path, "a device name is letters, digits, '-', '_' and "
			    "'.', not starting with '-' or '.'");
	if (strlen(name) >= SIM_NAME_MAX)
		return fail(ld, name_node, path, "device name too long (at most %d characters)",
			    SIM_NAME_MAX - 1);
	if (!is_null(dn) && (expect_mapping(ld, dn, path, "a device (a mapping of its keys)") ||
			     check_keys(ld, dn, path, device_keys)))
		return MESH_ERR_INVAL;

	if ((v = get(ld, dn, "type"))) {
		subpath(sub, path, "type");
		if (scalar_is_text(v) && strcmp(scalar(v), "controller") == 0)
			kind = SIM_DEVICE_CONTROLLER;
		else if (!scalar_is_text(v) || strcmp(scalar(v), "node") != 0)
			return fail(ld, v, sub, "expected node or controller, got %s",
				    describe(ld, v, buf, sizeof(buf)));
	}
	for (const char *const *k = kind == SIM_DEVICE_CONTROLLER ? node_only_keys :
				    controller_only_keys; *k; k++) {
		if (!(v = get(ld, dn, *k)))
			continue;
		subpath(sub, path, *k);
		for (yaml_node_pair_t *p = dn->data.mapping.pairs.start;
		     p < dn->data.mapping.pairs.top; p++)
			if (node(ld, p->value) == v)
				return fail(ld, node(ld, p->key), sub, "only %s have this key "
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

	if ((v = get(ld, dn, "uuid"))) {
		subpath(sub, path, "uuid");
		if (get_hex16(ld, v, sub, true, false, d->uuid))
			return MESH_ERR_INVAL;
		marks->uuid = v->start_mark;
		marks->uuid_given = true;
	} else if (kind == SIM_DEVICE_NODE) {
		derive_uuid(name, d->uuid);
	}
	if ((v = get(ld, dn, "oob_info"))) {
		subpath(sub, path, "oob_info");
		if (get_uint(ld, v, sub, 0, 0xffff, &u))
			return MESH_ERR_INVAL;
		d->oob_info = (uint16_t)u;
	}
	{
		static const char *const ids[] = { "cid", "pid", "vid" };
		uint16_t *dst[] = { &d->cid, &d->pid, &d->vid };

		for (size_t i = 0; i < MESH_ARRAY_SIZE(ids); i++) {
			if (!(v = get(ld, dn, ids[i])))
				continue;
			subpath(sub, path, ids[i]);
			if (get_uint(ld, v, sub, 0, 0xffff, &u))
				return MESH_ERR_INVAL;
			*dst[i] = (uint16_t)u;
		}
	}
	if ((v = get(ld, dn, "elements"))) {
		subpath(sub, path, "elements");
		if (load_elements(ld, v, sub, d))
			return MESH_ERR_INVAL;
	} else if (kind == SIM_DEVICE_NODE) {
		d->n_elements = 1;  /* the primary element, with the mandatory servers */
		d->elements[0].n_sig = 2;
		d->elements[0].sig_models[0] = 0x0000;
		d->elements[0].sig_models[1] = 0x0002;
	}
	if ((v = get(ld, dn, "features"))) {
		subpath(sub, path, "features");
		if (load_features(ld, v, sub, &d->features))
			return MESH_ERR_INVAL;
	}
	if ((v = get(ld, dn, "position"))) {
		subpath(sub, path, "position");
		if (load_position(ld, v, sub, d))
			return MESH_ERR_INVAL;
	}
	if ((v = get(ld, dn, "beacon_interval_ms"))) {
		subpath(sub, path, "beacon_interval_ms");
		if (get_uint(ld, v, sub, 20, 3600000, &u))
			return MESH_ERR_INVAL;
		d->beacon_interval_ms = (uint32_t)u;
	}
	if ((v = get(ld, dn, "default_ttl"))) {
		subpath(sub, path, "default_ttl");
		if (get_uint(ld, v, sub, 2, 127, &u))
			return MESH_ERR_INVAL;
		d->default_ttl = (uint8_t)u;
	}
	if ((v = get(ld, dn, "network_transmit"))) {
		subpath(sub, path, "network_transmit");
		if (load_transmit(ld, v, sub, &d->net_transmit))
			return MESH_ERR_INVAL;
	}
	if ((v = get(ld, dn, "relay_retransmit"))) {
		subpath(sub, path, "relay_retransmit");
		if (load_transmit(ld, v, sub, &d->relay_retransmit))
			return MESH_ERR_INVAL;
	}
	if ((v = get(ld, dn, "provisioning"))) {
		subpath(sub, path, "provisioning");
		if (load_provisioning(ld, v, sub, &d->prov))
			return MESH_ERR_INVAL;
	}
	if ((v = get(ld, dn, "provisioned"))) {
		int rc;

		subpath(sub, path, "provisioned");
		ld->hide_values = true;
		rc = load_provisioned(ld, v, sub, &d->keys, marks);
		ld->hide_values = false;
		if (rc)
			return rc;
	}
	if ((v = get(ld, dn, "pty_link"))) {
		subpath(sub, path, "pty_link");
		if (get_string(ld, v, sub, d->pty_link, sizeof(d->pty_link)))
			return MESH_ERR_INVAL;
		marks->host_link = v->start_mark;
	}
	if ((v = get(ld, dn, "socket"))) {
		subpath(sub, path, "socket");
		if (d->pty_link[0])
			return fail(ld, v, sub, "a controller has a pty_link or a socket, not both");
		if (get_string(ld, v, sub, d->socket_path, sizeof(d->socket_path)))
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
	char path[PATH_LEN];

	if (a->kind != SIM_DEVICE_CONTROLLER || b->kind != SIM_DEVICE_CONTROLLER || !apath[0] ||
	    strcmp(apath, bpath) != 0)
		return 0;
	snprintf(path, sizeof(path), "devices.%s.%s", a->name, akey);
	return fail_at(ld, ld->marks[i].host_link, path, "%s is also the %s of device %s", apath,
		       bkey, b->name);
}

/* Unicast ranges that overlap, UUIDs and controller paths given twice,
 * pointing at the second of the two. */
static int check_devices(struct loader *ld)
{
	const struct sim_scenario *sc = ld->sc;

	for (size_t i = 0; i < sc->n_devices; i++) {
		const struct sim_device_desc *a = &sc->devices[i];
		char path[PATH_LEN];

		for (size_t j = 0; j < i; j++) {
			const struct sim_device_desc *b = &sc->devices[j];

			if (check_host_link(ld, i, j))
				return MESH_ERR_INVAL;
			if (a->kind == SIM_DEVICE_NODE && b->kind == SIM_DEVICE_NODE &&
			    memcmp(a->uuid, b->uuid, 16) == 0) {
				snprintf(path, sizeof(path), "devices.%s.uuid", a->name);
				return fail_at(ld, ld->marks[i].uuid_given ? ld->marks[i].uuid :
					       ld->marks[i].name, path,
					       "the same UUID as device %s", b->name);
			}
			if (a->keys.provisioned && b->keys.provisioned) {
				unsigned int a0 = a->keys.address, a1 = a0 + a->n_elements - 1u;
				unsigned int b0 = b->keys.address, b1 = b0 + b->n_elements - 1u;

				if (a0 <= b1 && b0 <= a1) {
					snprintf(path, sizeof(path), "devices.%s.provisioned.address",
						 a->name);
					return fail_at(ld, ld->marks[i].address, path,
						       "unicast range 0x%04x..0x%04x overlaps device %s "
						       "(0x%04x..0x%04x)", a0, a1, b->name, b0, b1);
				}
			}
		}
		if (a->keys.provisioned && a->keys.address + a->n_elements - 1u > 0x7fff) {
			snprintf(path, sizeof(path), "devices.%s.provisioned.address", a->name);
			return fail_at(ld, ld->marks[i].address, path, "%u elements from 0x%04x "
				       "run past the last unicast address 0x7fff", a->n_elements,
				       a->keys.address);
		}
	}
	return 0;
}

static int load_devices(struct loader *ld, const yaml_node_t *map)
{
	char path[PATH_LEN];
	int rc;

	if (expect_mapping(ld, map, "devices", "a mapping of device name to device"))
		return MESH_ERR_INVAL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = node(ld, p->key);
		char buf[64];

		if (!scalar_is_text(k) || is_null(k))
			return fail(ld, k, "devices", "expected a device name, got %s",
				    describe(ld, k, buf, sizeof(buf)));
		snprintf(path, sizeof(path), "devices.%s", scalar(k));
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
			if (strcmp(scalar(node(ld, q->key)), scalar(k)) == 0)
				return fail(ld, k, path, "duplicate device name (first at line %zu)",
					    node(ld, q->key)->start_mark.line + 1);
		rc = load_device(ld, k, node(ld, p->value), path);
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

	if (expect_list(ld, list, "links", "a list of {between: [a, b], loss, rssi}"))
		return MESH_ERR_INVAL;
	seen = calloc((size_t)(list->data.sequence.items.top - list->data.sequence.items.start) + 1,
		      sizeof(*seen));
	if (!seen)
		return MESH_ERR_NOMEM;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++, i++) {
		const yaml_node_t *l = node(ld, *it), *v, *ends[2];
		char path[PATH_LEN], sub[PATH_LEN], end[PATH_LEN], buf[64];
		double loss = SIM_LOSS_DEFAULT;
		long rssi = SIM_NO_RSSI;

		subindex(path, "links", i);
		if (expect_mapping(ld, l, path, "{between: [a, b], loss, rssi}") ||
		    check_keys(ld, l, path, keys)) {
			rc = MESH_ERR_INVAL;
			goto done;
		}
		if (!(v = get(ld, l, "between"))) {
			rc = fail(ld, l, path, "between is missing (the two device names)");
			goto done;
		}
		subpath(sub, path, "between");
		if (v->type != YAML_SEQUENCE_NODE ||
		    v->data.sequence.items.top - v->data.sequence.items.start != 2) {
			rc = fail(ld, v, sub, "expected two device names [a, b], got %s",
				  v->type == YAML_SEQUENCE_NODE ? "another number of items" :
				  describe(ld, v, buf, sizeof(buf)));
			goto done;
		}
		for (int e = 0; e < 2; e++) {
			ends[e] = node(ld, v->data.sequence.items.start[e]);
			subindex(end, sub, (size_t)e);
			if (!scalar_is_text(ends[e]) || is_null(ends[e])) {
				rc = fail(ld, ends[e], end, "expected a device name, got %s",
					  describe(ld, ends[e], buf, sizeof(buf)));
				goto done;
			}
			if (sim_scenario_find(ld->sc, scalar(ends[e])) < 0) {
				rc = fail(ld, ends[e], end, "no device named %s",
					  describe(ld, ends[e], buf, sizeof(buf)));
				goto done;
			}
		}
		if (strcmp(scalar(ends[0]), scalar(ends[1])) == 0) {
			rc = fail(ld, v, sub, "a link needs two different devices");
			goto done;
		}
		for (size_t j = 0; j < ld->sc->n_links; j++) {
			const struct sim_link_desc *o = &ld->sc->links[j];

			if ((strcmp(o->a, scalar(ends[0])) == 0 && strcmp(o->b, scalar(ends[1])) == 0) ||
			    (strcmp(o->a, scalar(ends[1])) == 0 && strcmp(o->b, scalar(ends[0])) == 0)) {
				rc = fail(ld, v, sub, "a second link between %s and %s (first at "
					  "line %zu)", scalar(ends[0]), scalar(ends[1]),
					  seen[j].line + 1);
				goto done;
			}
		}
		if ((v = get(ld, l, "loss"))) {
			subpath(sub, path, "loss");
			if (get_double(ld, v, sub, 0.0, 1.0, &loss)) {
				rc = MESH_ERR_INVAL;
				goto done;
			}
		}
		if ((v = get(ld, l, "rssi"))) {
			subpath(sub, path, "rssi");
			if (get_int(ld, v, sub, -127, 20, &rssi)) {
				rc = MESH_ERR_INVAL;
				goto done;
			}
		}
		if (!sim_scenario_add_link(ld->sc, scalar(ends[0]), scalar(ends[1]), loss,
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

	if (expect_mapping(ld, root, "", "a scenario (a mapping with name, devices, links, ...)") ||
	    check_keys(ld, root, "", keys))
		return MESH_ERR_INVAL;
	if ((v = get(ld, root, "name")) && get_string(ld, v, "name", sc->name, sizeof(sc->name)))
		return MESH_ERR_INVAL;
	if ((v = get(ld, root, "seed"))) {
		if (get_uint(ld, v, "seed", 0, 0xffffffffu, &u))
			return MESH_ERR_INVAL;
		sc->seed = (uint32_t)u;
	}
	if ((v = get(ld, root, "tx_delay_max_ms"))) {
		if (get_uint(ld, v, "tx_delay_max_ms", 0, 10000, &u))
			return MESH_ERR_INVAL;
		sc->tx_delay_max_ms = (unsigned int)u;
	}
	if ((v = get(ld, root, "default_loss")) &&
	    get_double(ld, v, "default_loss", 0.0, 1.0, &sc->default_loss))
		return MESH_ERR_INVAL;
	if ((v = get(ld, root, "range_m")) && get_double(ld, v, "range_m", 0.0, 1e6, &sc->range_m))
		return MESH_ERR_INVAL;
	if (!(v = get(ld, root, "devices")))
		return fail(ld, root, "", "devices is missing (a mapping of device name to device)");
	rc = load_devices(ld, v);
	if (rc)
		return rc;
	if ((v = get(ld, root, "links"))) {
		rc = load_links(ld, v);
		if (rc)
			return rc;
	}
	return 0;
}

static int parser_error(struct loader *ld, const yaml_parser_t *p)
{
	const char *what = p->problem ? p->problem : "not valid YAML";

	if (p->error == YAML_MEMORY_ERROR)
		return MESH_ERR_NOMEM;
	if (p->context && p->context_mark.line != p->problem_mark.line)
		return fail_at(ld, p->problem_mark, "", "invalid YAML: %s (%s at line %zu)", what,
			       p->context, p->context_mark.line + 1);
	if (p->context)
		return fail_at(ld, p->problem_mark, "", "invalid YAML: %s (%s)", what, p->context);
	return fail_at(ld, p->problem_mark, "", "invalid YAML: %s", what);
}

int config_scenario_load_string(const char *yaml, size_t len, const char *name_for_errors,
				struct sim_scenario *out, char *err, size_t err_len)
{
	struct loader ld = {
		.file = name_for_errors ? name_for_errors : "scenario",
		.sc = out,
		.err = err,
		.err_len = err_len,
	};
	yaml_parser_t parser;
	yaml_document_t extra;
	bool have_doc = false;
	yaml_node_t *root;
	int rc;

	if (err && err_len)
		err[0] = '\0';
	sim_scenario_init(out);
	if (!yaml_parser_initialize(&parser))
		return MESH_ERR_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &ld.doc)) {
		rc = parser_error(&ld, &parser);
		goto done;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&ld.doc);
	if (!root) {
		yaml_mark_t start = { 0, 0, 0 };

		rc = fail_at(&ld, start, "", "the file is empty (expected a scenario)");
		goto done;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		rc = parser_error(&ld, &parser);
		goto done;
	}
	if (yaml_document_get_root_node(&extra)) {
		rc = fail_at(&ld, extra.start_mark, "", "a second YAML document (a scenario "
			     "file holds one)");
		yaml_document_delete(&extra);
		goto done;
	}
	yaml_document_delete(&extra);

	rc = load_root(&ld, root);
	if (rc == 0) {
		char why[256];

		rc = sim_scenario_check(out, why, sizeof(why));
		if (rc && err && err_len)
			snprintf(err, err_len, "%s: %s", ld.file, why);
	}
done:
	if (rc == MESH_ERR_NOMEM && err && err_len)
		snprintf(err, err_len, "%s: out of memory", ld.file);
	if (have_doc)
		yaml_document_delete(&ld.doc);
	yaml_parser_delete(&parser);
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
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	sim_scenario_init(out);
	if (!f) {
		if (err && err_len)
			snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
		return MESH_ERR_IO;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			char *p;

			if (cap >= FILE_MAX) {
				if (err && err_len)
					snprintf(err, err_len, "%s: too large for a scenario file "
						 "(over %u MiB)", path, FILE_MAX >> 20);
				rc = MESH_ERR_INVAL;
				goto done;
			}
			cap = cap ? cap * 2 : 16384;
			p = realloc(buf, cap);
			if (!p) {
				rc = MESH_ERR_NOMEM;
				if (err && err_len)
					snprintf(err, err_len, "%s: out of memory", path);
				goto done;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		if (err && err_len)
			snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
		rc = MESH_ERR_IO;
		goto done;
	}
	rc = config_scenario_load_string(buf ? buf : "", len, path, out, err, err_len);
done:
	fclose(f);
	free(buf);
	return rc;
}

int config_scenario_load_builtin(struct sim_scenario *out, char *err, size_t err_len)
{
	return config_scenario_load_string(meshgate_builtin_scenario,
					   (size_t)meshgate_builtin_scenario_len,
					   CONFIG_SCENARIO_BUILTIN_NAME, out, err, err_len);
}
