/*
 * The node registry (registry.h).
 */
#include "gateway/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/json_path.h"
#include "mesh/addr.h"
#include "mesh/bytes.h"
#include "mesh/light_msg.h"

#define CTL_TEMP_MIN_K 800u
#define CTL_TEMP_MAX_K 20000u

void gw_registry_init(struct gw_registry *r)
{
	memset(r, 0, sizeof(*r));
}

void gw_registry_free(struct gw_registry *r)
{
	free(r->nodes);
	free(r->entities);
	gw_registry_init(r);
}

/* ---- names -------------------------------------------------------------------- */

static const char *const reserved_levels[] = { "set", "get", "availability", "heartbeat",
					       "action" };

const char *gw_registry_name_problem(const char *name)
{
	size_t len = strlen(name);
	const char *last = strrchr(name, '/');

	if (len == 0)
		return "a name cannot be empty";
	if (len >= NETDB_NAME_MAX)
		return "a name has at most 95 characters";
	if (strpbrk(name, "+#"))
		return "a name cannot contain '+' or '#' (MQTT wildcards)";
	if (name[0] == '/' || name[len - 1] == '/' || strstr(name, "//"))
		return "a name cannot start or end with '/' or contain '//'";
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "a name cannot contain control characters";
	if (strncmp(name, "bridge", 6) == 0 && (name[6] == '\0' || name[6] == '/'))
		return "'bridge' is meshgate's own topic";
	last = last ? last + 1 : name;
	for (size_t i = 0; i < sizeof(reserved_levels) / sizeof(reserved_levels[0]); i++)
		if (strcmp(last, reserved_levels[i]) == 0)
			return "a name cannot end in set, get, availability, heartbeat or action";
	return NULL;
}

static bool name_taken(const struct gw_registry *r, const char *name)
{
	for (size_t i = 0; i < r->n_nodes; i++)
		if (strcmp(r->nodes[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < r->n_entities; i++)
		if (strcmp(r->entities[i].name, name) == 0)
			return true;
	return false;
}

/* name, or name + "_0xADDR" when taken (by another node's entity). A name
 * someone chose may already be "name_0xADDR" itself: then a count follows
 * ("_0xADDR_2", ...), so no two topics are ever the same. Each try that
 * fails is a name taken, so this ends within as many tries as names. */
static void unique_name(const struct gw_registry *r, char *out, size_t len, const char *name,
			uint16_t addr)
{
	snprintf(out, len, "%s", name);
	if (!name_taken(r, out))
		return;
	snprintf(out, len, "%.*s_0x%04x", (int)(len - 8), name, addr);
	for (unsigned int n = 2; name_taken(r, out); n++)
		snprintf(out, len, "%.*s_0x%04x_%u", (int)(len - 19), name, addr, n);
}

/* ---- nodes --------------------------------------------------------------------- */

static void node_name(const struct gw_registry *r, const struct netdb_node *n,
		      struct gw_reg_node *rn)
{
	char want[GW_ENTITY_NAME_MAX];

	if (rn->conf && rn->conf->name[0]) {
		snprintf(want, sizeof(want), "%s", rn->conf->name);
		rn->name_from_config = true;
	} else if (n->name[0] && !gw_registry_name_problem(n->name)) {
		snprintf(want, sizeof(want), "%s", n->name);
	} else {
		snprintf(want, sizeof(want), "0x%04x", n->unicast);
	}
	unique_name(r, rn->name, sizeof(rn->name), want, n->unicast);
}

static int build_nodes(struct gw_registry *r, const struct netdb *db, const struct gw_config *cfg)
{
	r->nodes = calloc(db->n_nodes ? db->n_nodes : 1, sizeof(*r->nodes));
	if (!r->nodes)
		return -ENOMEM;
	/* Configured names first, so they win a clash with database names. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < db->n_nodes; i++) {
			const struct netdb_node *n = &db->nodes[i];
			const struct gw_config_node *conf =
				cfg ? gw_config_node_find(cfg, n->uuid, n->unicast) : NULL;
			bool named = conf && conf->name[0];
			struct gw_reg_node *rn;

			if ((pass == 0) != named)
				continue;
			/* Counted once named: it must not clash with itself. */
			rn = &r->nodes[r->n_nodes];
			rn->addr = n->unicast;
			memcpy(rn->uuid, n->uuid, 16);
			rn->n_elements = (uint8_t)n->n_elements;
			rn->conf = conf;
			rn->is_self = memcmp(n->uuid, db->self_uuid, 16) == 0;
			node_name(r, n, rn);
			r->n_nodes++;
		}
	}
	return 0;
}

/* ---- entities ------------------------------------------------------------------- */

static void uuid_hex(const uint8_t uuid[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", uuid[i]);
}

static void element_name(const struct gw_registry *r, const struct gw_reg_node *rn, size_t idx,
			 char *out, size_t len)
{
	char want[GW_ENTITY_NAME_MAX];

	if (rn->conf && idx < rn->conf->n_elements && rn->conf->elements[idx].name[0])
		snprintf(want, sizeof(want), "%s", rn->conf->elements[idx].name);
	else if (idx == 0)
		snprintf(want, sizeof(want), "%s", rn->name);
	else
		snprintf(want, sizeof(want), "%.*s/%u", (int)sizeof(want) - 12, rn->name,
			 (unsigned int)(idx & 0xff));
	if (idx == 0 && strcmp(want, rn->name) == 0)
		snprintf(out, len, "%s", want);   /* the node's own name: already unique */
	else
		unique_name(r, out, len, want, (uint16_t)(rn->addr + idx));
}

/* Colour temperature range and sensors from what the node reported. */
static void element_from_cache(struct gw_entity *e, const struct gw_state_cache *cache)
{
	const struct gw_elem_state *st = cache ? gw_state_cache_get(cache, e->addr) : NULL;

	e->temp_min_k = CTL_TEMP_MIN_K;
	e->temp_max_k = CTL_TEMP_MAX_K;
	if (!st)
		return;
	if ((st->known & GW_STATE_CTL_TEMP_RANGE) && st->temp_min >= CTL_TEMP_MIN_K &&
	    st->temp_max <= CTL_TEMP_MAX_K && st->temp_min <= st->temp_max) {
		e->temp_min_k = st->temp_min;
		e->temp_max_k = st->temp_max;
	}
	for (size_t i = 0; i < st->n_sensors && e->n_sensors < GW_ENTITY_SENSORS_MAX; i++)
		e->sensors[e->n_sensors++] = st->sensors[i].prop;
}

static int push_entity(struct gw_registry *r, size_t *cap, struct gw_entity **out)
{
	if (r->n_entities == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct gw_entity *grown = realloc(r->entities, ncap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		r->entities = grown;
		*cap = ncap;
	}
	*out = &r->entities[r->n_entities++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

static int build_elements(struct gw_registry *r, const struct netdb *db,
			  const struct gw_state_cache *cache, size_t *cap)
{
	for (size_t i = 0; i < r->n_nodes; i++) {
		const struct gw_reg_node *rn = &r->nodes[i];
		const struct netdb_node *n = NULL;
		char hex[33];

		for (size_t k = 0; k < db->n_nodes && !n; k++)
			if (db->nodes[k].unicast == rn->addr)
				n = &db->nodes[k];
		if (!n || rn->is_self)
			continue;
		uuid_hex(n->uuid, hex);
		for (size_t el = 0; el < n->n_elements; el++) {
			uint32_t caps = gw_entity_caps_of_element(&n->elements[el]);
			struct gw_entity *e;

			if (!caps)
				continue;
			if (push_entity(r, cap, &e))
				return -ENOMEM;
			e->kind = GW_ENTITY_ELEMENT;
			e->caps = caps;
			e->addr = (uint16_t)(n->unicast + el);
			e->elem_idx = (uint8_t)el;
			memcpy(e->node_uuid, n->uuid, 16);
			e->node_addr = n->unicast;
			snprintf(e->node_name, sizeof(e->node_name), "%s", rn->name);
			snprintf(e->unique_id, sizeof(e->unique_id), "%s_%zu", hex, el);
			e->has_ids = n->has_ids;
			e->cid = n->cid;
			e->pid = n->pid;
			e->vid = n->vid;
			element_from_cache(e, cache);
			/* Named last: the entity must not clash with itself. */
			e->name[0] = '\0';
			r->n_entities--;
			element_name(r, rn, el, e->name, sizeof(e->name));
			r->n_entities++;
		}
	}
	return 0;
}

static bool model_subscribes(const struct netdb_model *m, const struct netdb_address *a)
{
	for (size_t s = 0; s < m->n_subscribe; s++) {
		const struct netdb_address *x = &m->subscribe[s];

		if (a->is_label ? (x->is_label && memcmp(x->label, a->label, 16) == 0)
				: (!x->is_label && x->address == a->address))
			return true;
	}
	return false;
}

static void group_members(struct gw_entity *g, const struct netdb *db,
			  const struct netdb_address *a)
{
	for (size_t i = 0; i < db->n_nodes; i++) {
		const struct netdb_node *n = &db->nodes[i];

		for (size_t el = 0; el < n->n_elements; el++) {
			const struct netdb_element *e = &n->elements[el];
			bool member = false;

			for (size_t m = 0; m < e->n_models && !member; m++)
				member = model_subscribes(&e->models[m], a);
			if (!member || g->n_members == GW_ENTITY_MEMBERS_MAX)
				continue;
			g->members[g->n_members++] = (uint16_t)(n->unicast + el);
			g->caps |= gw_entity_caps_of_element(e) & GW_CAP_LIGHT;
		}
	}
}

static int build_groups(struct gw_registry *r, const struct netdb *db, size_t *cap)
{
	for (size_t i = 0; i < db->n_groups; i++) {
		const struct netdb_group *ng = &db->groups[i];
		struct gw_entity *g;
		char hex[33];

		if (gw_registry_name_problem(ng->name))
			continue;
		if (push_entity(r, cap, &g))
			return -ENOMEM;
		g->kind = GW_ENTITY_GROUP;
		g->addr = ng->address.address;
		g->has_label = ng->address.is_label;
		if (g->has_label) {
			memcpy(g->label, ng->address.label, 16);
			uuid_hex(ng->address.label, hex);
			snprintf(g->unique_id, sizeof(g->unique_id), "group_%s", hex);
		} else {
			snprintf(g->unique_id, sizeof(g->unique_id), "group_%04x", g->addr);
		}
		g->temp_min_k = CTL_TEMP_MIN_K;
		g->temp_max_k = CTL_TEMP_MAX_K;
		group_members(g, db, &ng->address);
		/* A group with no members yet still switches and dims. */
		if (!g->caps)
			g->caps = GW_CAP_ONOFF | GW_CAP_LIGHTNESS;
		r->n_entities--;
		unique_name(r, g->name, sizeof(g->name), ng->name, g->addr);
		r->n_entities++;
	}
	return 0;
}

int gw_registry_rebuild(struct gw_registry *r, const struct netdb *db, const struct gw_config *cfg,
			const struct gw_state_cache *cache)
{
	struct gw_registry next;
	size_t cap = 0;

	gw_registry_init(&next);
	if (build_nodes(&next, db, cfg) || build_groups(&next, db, &cap) ||
	    build_elements(&next, db, cache, &cap)) {
		gw_registry_free(&next);
		return -ENOMEM;
	}
	next.generation = r->generation + 1;
	gw_registry_free(r);
	*r = next;
	return 0;
}

/* ---- lookups --------------------------------------------------------------------- */

const struct gw_reg_node *gw_registry_node(const struct gw_registry *r, uint16_t primary)
{
	for (size_t i = 0; i < r->n_nodes; i++)
		if (r->nodes[i].addr == primary)
			return &r->nodes[i];
	return NULL;
}

const struct gw_reg_node *gw_registry_node_of(const struct gw_registry *r, uint16_t addr)
{
	for (size_t i = 0; i < r->n_nodes; i++)
		if (addr >= r->nodes[i].addr && addr < r->nodes[i].addr + r->nodes[i].n_elements)
			return &r->nodes[i];
	return NULL;
}

const struct gw_reg_node *gw_registry_node_by_name(const struct gw_registry *r, const char *name)
{
	for (size_t i = 0; i < r->n_nodes; i++)
		if (strcmp(r->nodes[i].name, name) == 0)
			return &r->nodes[i];
	return NULL;
}

const struct gw_reg_node *gw_registry_node_by_uuid(const struct gw_registry *r,
						   const uint8_t uuid[16])
{
	for (size_t i = 0; i < r->n_nodes; i++)
		if (memcmp(r->nodes[i].uuid, uuid, 16) == 0)
			return &r->nodes[i];
	return NULL;
}

const struct gw_entity *gw_registry_entity_by_name(const struct gw_registry *r, const char *name)
{
	for (size_t i = 0; i < r->n_entities; i++)
		if (strcmp(r->entities[i].name, name) == 0)
			return &r->entities[i];
	return NULL;
}

const struct gw_entity *gw_registry_entity_by_addr(const struct gw_registry *r, uint16_t addr)
{
	for (size_t i = 0; i < r->n_entities; i++)
		if (r->entities[i].addr == addr)
			return &r->entities[i];
	return NULL;
}

const struct gw_entity *gw_registry_entity_by_id(const struct gw_registry *r, const char *unique_id)
{
	for (size_t i = 0; i < r->n_entities; i++)
		if (strcmp(r->entities[i].unique_id, unique_id) == 0)
			return &r->entities[i];
	return NULL;
}

int gw_parse_hex_dashed(const char *s, uint8_t *out, size_t want)
{
	size_t n = 0;

	for (; *s; s++) {
		int hi, lo;

		if (*s == '-')
			continue;
		if (n == want || !s[1])
			return -1;
		hi = mesh_hex_digit(s[0]);
		lo = mesh_hex_digit(s[1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s++;
	}
	return n == want ? 0 : -1;
}

const struct gw_reg_node *gw_registry_resolve_node(const struct gw_registry *r, const char *what)
{
	const struct gw_reg_node *n = gw_registry_node_by_name(r, what);
	uint8_t uuid[16];
	char *end;
	unsigned long addr;

	if (n)
		return n;
	if (gw_parse_hex_dashed(what, uuid, 16) == 0)
		return gw_registry_node_by_uuid(r, uuid);
	if (strncmp(what, "0x", 2) == 0) {
		addr = strtoul(what, &end, 16);
		if (!*end && addr <= 0x7fff)
			return gw_registry_node(r, (uint16_t)addr);
	}
	return NULL;
}
