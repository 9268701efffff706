/*
 * The node registry (gateway/registry.c), on network databases built in
 * code (no mesh runs): the name a node gets (the configuration file's,
 * else the database's, else its address, as zigbee2mqtt names devices),
 * clashes resolved with "_0xADDR" so no two nodes or entities ever share
 * a topic, element names, which elements become entities and with which
 * capabilities, groups and their members, unique ids that survive
 * renames, every lookup (by address, element address, UUID, name, and
 * what a user types), every rule of gw_registry_name_problem(), and the
 * dashed hex parser used for UUIDs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/gateway_config.h"
#include "gateway/registry.h"
#include "mesh/access.h"
#include "mesh/crypto.h"
#include "mesh/generic_msg.h"
#include "mesh/light_msg.h"
#include "mesh/sensor_msg.h"

static const uint16_t lamp_models[] = { 0x0000, 0x0002, MESH_MODEL_GEN_ONOFF_SRV,
					MESH_MODEL_GEN_LEVEL_SRV, MESH_MODEL_LIGHTNESS_SRV };
static const uint16_t onoff_models[] = { MESH_MODEL_GEN_ONOFF_SRV };
static const uint16_t switch_models[] = { MESH_MODEL_GEN_ONOFF_CLI };
static const uint16_t sensor_models[] = { MESH_MODEL_SENSOR_SRV, MESH_MODEL_SENSOR_SETUP_SRV };
static const uint16_t config_only[] = { 0x0000, 0x0002 };

/* ---- building databases -------------------------------------------------------- */

static void test_uuid(uint8_t out[16], uint8_t n)
{
	memset(out, 0, 16);
	out[0] = 0x5e;
	out[6] = 0x40;
	out[15] = n;
}

static struct netdb *new_db(void)
{
	struct netdb *db = NULL;

	assert_int_equal(netdb_create(&db, "registry test", NULL), 0);
	/* netdb_create gives meshgate's own node the first address. */
	assert_int_equal(db->n_nodes, 1);
	assert_int_equal(db->nodes[0].unicast, 0x0001);
	return db;
}

/* A node numbered n (its UUID), at addr, with n_elements, named by the
 * database as db_name ("" none). Pointers into db->nodes move: look up. */
static struct netdb_node *add_node(struct netdb *db, uint8_t n, uint16_t addr, uint8_t n_elements,
				   const char *db_name)
{
	uint8_t uuid[16], key[16] = { 0 };
	struct netdb_node *node;

	test_uuid(uuid, n);
	assert_int_equal(netdb_add_node(db, uuid, addr, n_elements, key, 0), 0);
	node = netdb_node_by_uuid(db, uuid);
	assert_non_null(node);
	snprintf(node->name, sizeof(node->name), "%s", db_name);
	return node;
}

/* SIG models on element el (allocated as the database frees them). */
static void add_models(struct netdb_node *node, size_t el, const uint16_t *ids, size_t n)
{
	struct netdb_element *e = &node->elements[el];
	struct netdb_model *grown = realloc(e->models, (e->n_models + n) * sizeof(*grown));

	assert_non_null(grown);
	e->models = grown;
	for (size_t i = 0; i < n; i++) {
		memset(&e->models[e->n_models], 0, sizeof(e->models[0]));
		e->models[e->n_models++].id = ids[i];
	}
}

static void add_vendor_model(struct netdb_node *node, size_t el, uint32_t id)
{
	struct netdb_element *e = &node->elements[el];
	struct netdb_model *grown = realloc(e->models, (e->n_models + 1) * sizeof(*grown));

	assert_non_null(grown);
	e->models = grown;
	memset(&e->models[e->n_models], 0, sizeof(e->models[0]));
	e->models[e->n_models].id = id;
	e->models[e->n_models++].vendor = true;
}

/* Model m of element el subscribes to a. */
static void subscribe(struct netdb_node *node, size_t el, size_t m, const struct netdb_address *a)
{
	struct netdb_model *model = &node->elements[el].models[m];
	struct netdb_address *grown =
		realloc(model->subscribe, (model->n_subscribe + 1) * sizeof(*grown));

	assert_non_null(grown);
	model->subscribe = grown;
	model->subscribe[model->n_subscribe++] = *a;
}

static void add_group(struct netdb *db, const char *name, const struct netdb_address *a)
{
	struct netdb_group *grown = realloc(db->groups, (db->n_groups + 1) * sizeof(*grown));

	assert_non_null(grown);
	db->groups = grown;
	memset(&db->groups[db->n_groups], 0, sizeof(db->groups[0]));
	snprintf(db->groups[db->n_groups].name, NETDB_NAME_MAX, "%s", name);
	db->groups[db->n_groups++].address = *a;
}

static struct netdb_address group_addr(uint16_t addr)
{
	struct netdb_address a = { .address = addr };

	return a;
}

static struct netdb_address label_addr(uint8_t n)
{
	struct netdb_address a = { .is_label = true };

	memset(a.label, 0xa0 | n, 16);
	assert_int_equal(mesh_virtual_address(a.label, &a.address), 0);
	return a;
}

static void load_cfg(struct gw_config *cfg, const char *yaml)
{
	char err[GW_CONFIG_ERR_MAX];
	int rc = gw_config_load_string(cfg, yaml, strlen(yaml), "names.yaml", err, sizeof(err));

	if (rc)
		fail_msg("configuration refused: %s", err);
}

static void rebuild(struct gw_registry *r, const struct netdb *db, const struct gw_config *cfg)
{
	assert_int_equal(gw_registry_rebuild(r, db, cfg, NULL), 0);
}

static const char *name_at(const struct gw_registry *r, uint16_t addr)
{
	const struct gw_reg_node *n = gw_registry_node(r, addr);

	assert_non_null(n);
	return n->name;
}

static const char *entity_at(const struct gw_registry *r, uint16_t addr)
{
	const struct gw_entity *e = gw_registry_entity_by_addr(r, addr);

	assert_non_null(e);
	return e->name;
}

/* No two nodes, no two entities and no node and another node's entity
 * share a name (a node and its own element 0 may). */
static void assert_names_unique(const struct gw_registry *r)
{
	for (size_t i = 0; i < r->n_nodes; i++)
		for (size_t j = i + 1; j < r->n_nodes; j++)
			if (strcmp(r->nodes[i].name, r->nodes[j].name) == 0)
				fail_msg("two nodes called '%s'", r->nodes[i].name);
	for (size_t i = 0; i < r->n_entities; i++) {
		const struct gw_entity *e = &r->entities[i];

		for (size_t j = i + 1; j < r->n_entities; j++)
			if (strcmp(e->name, r->entities[j].name) == 0)
				fail_msg("two entities called '%s'", e->name);
		for (size_t j = 0; j < r->n_nodes; j++)
			if (strcmp(e->name, r->nodes[j].name) == 0 &&
			    !(e->kind == GW_ENTITY_ELEMENT && e->node_addr == r->nodes[j].addr))
				fail_msg("'%s' names a node and another entity", e->name);
	}
}

/* ---- names: where they come from -------------------------------------------------- */

/* Configuration, then database, then the address. */
static void test_name_precedence(void **state)
{
	struct netdb *db = new_db();
	struct gw_config cfg;
	struct gw_registry r;
	const struct gw_reg_node *n;

	(void)state;
	add_node(db, 1, 0x0105, 1, "");                    /* nothing: its address */
	add_node(db, 2, 0x0106, 1, "kitchen/spots");       /* the database's */
	add_node(db, 3, 0x0107, 1, "old name");            /* the file by UUID wins */
	add_node(db, 4, 0x0108, 1, "");                    /* the file by address */
	add_node(db, 5, 0x0a0b, 1, "");                    /* lower-case, 4 digits */
	load_cfg(&cfg, "nodes:\n"
		       "  5e000000-0000-4000-0000-000000000003:\n"
		       "    name: hall/ceiling\n"
		       "  0x0108:\n"
		       "    name: porch\n");
	gw_registry_init(&r);
	rebuild(&r, db, &cfg);

	assert_int_equal(r.n_nodes, 6);
	assert_string_equal(name_at(&r, 0x0105), "0x0105");
	assert_string_equal(name_at(&r, 0x0106), "kitchen/spots");
	assert_string_equal(name_at(&r, 0x0107), "hall/ceiling");
	assert_string_equal(name_at(&r, 0x0108), "porch");
	assert_string_equal(name_at(&r, 0x0a0b), "0x0a0b");

	n = gw_registry_node(&r, 0x0107);
	assert_true(n->name_from_config);
	assert_non_null(n->conf);
	assert_int_equal(n->conf->mark.line, 2);
	assert_true(gw_registry_node(&r, 0x0108)->name_from_config);
	assert_false(gw_registry_node(&r, 0x0106)->name_from_config);
	assert_null(gw_registry_node(&r, 0x0106)->conf);
	assert_false(gw_registry_node(&r, 0x0105)->name_from_config);

	/* meshgate's own node is in the registry, marked, without entities. */
	n = gw_registry_node(&r, 0x0001);
	assert_non_null(n);
	assert_true(n->is_self);
	assert_false(gw_registry_node(&r, 0x0105)->is_self);

	gw_registry_free(&r);
	gw_config_free(&cfg);
	netdb_free(db);
}

/* A configuration entry without a name keeps the database's name, and is
 * then not pinned: node/rename may change it. */
static void test_config_entry_without_name(void **state)
{
	struct netdb *db = new_db();
	struct gw_config cfg;
	struct gw_registry r;

	(void)state;
	add_node(db, 1, 0x0105, 2, "garage");
	load_cfg(&cfg, "groups:\n"
		       "  garage lights:\n"
		       "nodes:\n"
		       "  5e000000-0000-4000-0000-000000000001:\n"
		       "    groups: [garage lights]\n");
	gw_registry_init(&r);
	rebuild(&r, db, &cfg);
	assert_string_equal(name_at(&r, 0x0105), "garage");
	assert_false(gw_registry_node(&r, 0x0105)->name_from_config);
	assert_non_null(gw_registry_node(&r, 0x0105)->conf);
	gw_registry_free(&r);
	gw_config_free(&cfg);
	netdb_free(db);
}

/* A database name that is no valid name (another tool wrote it) is not
 * used: the node is called by its address. */
static void test_invalid_database_name(void **state)
{
	static const char *const bad[] = { "bridge", "lamp/set", "a+b", "/x", "x//y", "a#" };
	struct netdb *db = new_db();
	struct gw_registry r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		add_node(db, (uint8_t)(i + 1), (uint16_t)(0x0200 + i), 1, bad[i]);
	gw_registry_init(&r);
	rebuild(&r, db, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[8];

		snprintf(want, sizeof(want), "0x%04zx", 0x0200 + i);
		assert_string_equal(name_at(&r, (uint16_t)(0x0200 + i)), want);
	}
	gw_registry_free(&r);
	netdb_free(db);
}

/* ---- names: clashes ------------------------------------------------------------------ */

/* Two database names alike: the second node (database order) gets its
 * address appended. */
static void test_clash_database_names(void **state)
{
	struct netdb *db = new_db();
	struct gw_registry r;

	(void)state;
	add_node(db, 1, 0x0105, 1, "lamp");
	add_node(db, 2, 0x0106, 1, "lamp");
	add_node(db, 3, 0x0107, 1, "lamp");
	gw_registry_init(&r);
	rebuild(&r, db, NULL);
	assert_string_equal(name_at(&r, 0x0105), "lamp");
	assert_string_equal(name_at(&r, 0x0106), "lamp_0x0106");
	assert_string_equal(name_at(&r, 0x0107), "lamp_0x0107");
	assert_non_null(gw_registry_node_by_name(&r, "lamp_0x0107"));
	assert_names_unique(&r);
	gw_registry_free(&r);
	netdb_free(db);
}

/* A configured name wins a clash with a database name, wherever the two
 * nodes are in the database: the configured one is pinned, so the other
 * one yields. */
static void test_clash_config_beats_database(void **state)
{
	struct netdb *db = new_db();
	struct gw_config cfg;
	struct gw_registry r;

	(void)state;
	add_node(db, 1, 0x0105, 1, "hall");       /* first in the database */
	add_node(db, 2, 0x0106, 1, "");
	load_cfg(&cfg, "nodes:\n"
		       "  0x0106:\n"
		       "    name: hall\n");
	gw_registry_init(&r);
	rebuild(&r, db, &cfg);
	assert_string_equal(name_at(&r, 0x0106), "hall");
	assert_string_equal(name_at(&r, 0x0105), "hall_0x0105");
	assert_ptr_equal(gw_registry_node_by_name(&r, "hall"), gw_registry_node(&r, 0x0106));
	assert_names_unique(&r);
	gw_registry_free(&r);
	gw_config_free(&cfg);
	netdb_free(db);
}

/* A name chosen to look like a clash resolution does not make two nodes
 * share a topic: whichever order the database lists them in, every name
 * stays unique. */
static void test_clash_with_suffixed_name(void **state)
{
	struct netdb *db = new_db();
	struct gw_registry r;

	(void)state;
	/* "lamp_0x0106" is taken before the second "lamp" (0x0106) wants it. */
	add_node(db, 3, 0x0107, 1, "lamp_0x0106");
	add_node(db, 1, 0x0105, 1, "lamp");
	add_node(db, 2, 0x0106, 1, "lamp");
	gw_registry_init(&r);
	rebuild(&r, db, NULL);
	assert_string_equal(name_at(&r, 0x0107), "lamp_0x0106");
	assert_string_equal(name_at(&r, 0x0105), "lamp");
	assert_string_equal(name_at(&r, 0x0106), "lamp_0x0106_2");
	assert_names_unique(&r);
	gw_registry_free(&r);
	netdb_free(db);
}

/* The longest names still get their suffix whole (the name is cut, not
 * the address) and stay unique. */
static void test_clash_long_names(void **state)
{
	struct netdb *db = new_db();
	struct gw_registry r;
	char name[NETDB_NAME_MAX];
	const char *second;

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	name[sizeof(name) - 2] = '\0';        /* 94 characters: a valid name */
	assert_null(gw_registry_name_problem(name));
	add_node(db, 1, 0x0105, 2, name);
	add_node(db, 2, 0x0107, 2, name);
	gw_registry_init(&r);
	rebuild(&r, db, NULL);
	assert_string_equal(name_at(&r, 0x0105), name);
	second = name_at(&r, 0x0107);
	assert_int_equal(strncmp(second, name, strlen(name)), 0);
	assert_string_equal(second + strlen(name), "_0x0107");
	assert_names_unique(&r);
	gw_registry_free(&r);
	netdb_free(db);
}

/* Elements: element 0 carries the node's name, the others "<node>/<i>"
 * unless the file names them; an element name taken by another node gets
 * the element's address appended. */
static void test_element_names(void **state)
{
	struct netdb *db = new_db();
	struct gw_config cfg;
	struct gw_registry r;
	struct netdb_node *n;

	(void)state;
	n = add_node(db, 1, 0x0105, 3, "stairs");
	add_models(n, 0, lamp_models, 5);
	add_models(n, 1, lamp_models, 5);
	add_models(n, 2, lamp_models, 5);
	n = add_node(db, 2, 0x0110, 2, "");
	add_models(n, 0, switch_models, 1);
	add_models(n, 1, switch_models, 1);
	/* A node that took the name "stairs/2" in the database. */
	n = add_node(db, 3, 0x0120, 1, "stairs/2");
	add_models(n, 0, onoff_models, 1);
	load_cfg(&cfg, "nodes:\n"
		       "  0x0110:\n"
		       "    name: wall switch\n"
		       "    elements:\n"
		       "      - {name: wall switch left}\n"
		       "      - wall switch right\n");
	gw_registry_init(&r);
	rebuild(&r, db, &cfg);

	assert_string_equal(entity_at(&r, 0x0105), "stairs");
	assert_string_equal(entity_at(&r, 0x0106), "stairs/1");
	/* The node "stairs/2" was named first (nodes before elements). */
	assert_string_equal(entity_at(&r, 0x0120), "stairs/2");
	assert_string_equal(entity_at(&r, 0x0107), "stairs/2_0x0107");
	assert_string_equal(entity_at(&r, 0x0110), "wall switch left");
	assert_string_equal(entity_at(&r, 0x0111), "wall switch right");
	assert_string_equal(name_at(&r, 0x0110), "wall switch");
	/* The node name still finds the node; the element names find the
	 * elements, which know their node. */
	assert_null(gw_registry_entity_by_name(&r, "wall switch"));
	assert_int_equal(gw_registry_entity_by_name(&r, "wall switch right")->node_addr, 0x0110);
	assert_string_equal(gw_registry_entity_by_name(&r, "wall switch right")->node_name,
			    "wall switch");
	assert_int_equal(gw_registry_entity_by_name(&r, "stairs/1")->elem_idx, 1);
	assert_names_unique(&r);
	gw_registry_free(&r);
	gw_config_free(&cfg);
	netdb_free(db);
}

/* Groups are named before elements: an element whose default name is a
 * group's yields; a group whose name is a node's yields to the node. */
static void test_group_name_clashes(void **state)
{
	struct netdb *db = new_db();
	struct netdb_address a = group_addr(0xc001), b = group_addr(0xc002);
	struct gw_registry r;
	struct netdb_node *n;

	(void)state;
	n = add_node(db, 1, 0x0105, 2, "porch");
	add_models(n, 0, onoff_models, 1);
	add_models(n, 1, onoff_models, 1);
	add_group(db, "porch", &a);
	add_group(db, "porch/1", &b);
	gw_registry_init(&r);
	rebuild(&r, db, NULL);
	assert_string_equal(entity_at(&r, 0xc001), "porch_0xc001");
	assert_string_equal(entity_at(&r, 0xc002), "porch/1");
	assert_string_equal(entity_at(&r, 0x0106), "porch/1_0x0106");
	assert_string_equal(entity_at(&r, 0x0105), "porch");
	assert_int_equal(gw_registry_entity_by_name(&r, "porch")->kind, GW_ENTITY_ELEMENT);
	assert_names_unique(&r);
	gw_registry_free(&r);
	netdb_free(db);
}

/* ---- entities from the composition -------------------------------------------------- */

static void test_entities_from_composition(void **state)
{
	struct netdb *db = new_db();
	struct gw_registry r;
	struct netdb_node *n;
	const struct gw_entity *e;
	uint8_t uuid[16];

	(void)state;
	/* A dimmable lamp: one light. */
	n = add_node(db, 1, 0x0105, 1, "lamp");
	add_models(n, 0, lamp_models, 5);
	n->has_ids = true;
	n->cid = 0x05f1;
	n->pid = 0x0001;
	n->vid = 0x0002;
	/* A CTL lamp: CTL on element 0, its temperature on element 1. */
	n = add_node(db, 2, 0x0110, 2, "ctl");
	add_models(n, 0, lamp_models, 5);
	add_models(n, 0, (const uint16_t[]){ MESH_MODEL_CTL_SRV, MESH_MODEL_CTL_SETUP_SRV }, 2);
	add_models(n, 1, (const uint16_t[]){ MESH_MODEL_GEN_LEVEL_SRV, MESH_MODEL_CTL_TEMP_SRV },
		   2);
	/* An HSL lamp. */
	n = add_node(db, 3, 0x0120, 1, "hsl");
	add_models(n, 0, (const uint16_t[]){ MESH_MODEL_GEN_ONOFF_SRV, MESH_MODEL_HSL_SRV }, 2);
	/* A double rocker: two switches, one with a dimmer (Level client). */
	n = add_node(db, 4, 0x0130, 2, "rocker");
	add_models(n, 0, switch_models, 1);
	add_models(n, 1, (const uint16_t[]){ MESH_MODEL_GEN_ONOFF_CLI, MESH_MODEL_GEN_LEVEL_CLI },
		   2);
	/* A sensor; a relay with nothing to show; a vendor model with a SIG
	 * model's number, which is not that model. */
	n = add_node(db, 5, 0x0140, 1, "sensor");
	add_models(n, 0, sensor_models, 2);
	n = add_node(db, 6, 0x0150, 1, "relay");
	add_models(n, 0, config_only, 2);
	n = add_node(db, 7, 0x0160, 1, "vendor");
	add_vendor_model(n, 0, MESH_MODEL_GEN_ONOFF_SRV);
	add_vendor_model(n, 0, 0x05f10001u);
	/* Composition not read yet: no models at all. */
	add_node(db, 8, 0x0170, 3, "new");
	gw_registry_init(&r);
	rebuild(&r, db, NULL);

	e = gw_registry_entity_by_addr(&r, 0x0105);
	assert_non_null(e);
	assert_int_equal(e->kind, GW_ENTITY_ELEMENT);
	assert_int_equal(e->caps, GW_CAP_ONOFF | GW_CAP_LEVEL | GW_CAP_LIGHTNESS);
	assert_true(e->has_ids);
	assert_int_equal(e->cid, 0x05f1);
	assert_int_equal(e->pid, 0x0001);
	assert_int_equal(e->vid, 0x0002);
	assert_int_equal(e->node_addr, 0x0105);
	test_uuid(uuid, 1);
	assert_memory_equal(e->node_uuid, uuid, 16);
	/* Nothing reported a range: the whole of CTL's. */
	assert_int_equal(e->temp_min_k, 800);
	assert_int_equal(e->temp_max_k, 20000);

	e = gw_registry_entity_by_addr(&r, 0x0110);
	assert_int_equal(e->caps, GW_CAP_ONOFF | GW_CAP_LEVEL | GW_CAP_LIGHTNESS | GW_CAP_CTL);
	assert_false(gw_registry_entity_by_addr(&r, 0x0111) &&
		     (gw_registry_entity_by_addr(&r, 0x0111)->caps & GW_CAP_LIGHT));
	assert_int_equal(gw_registry_entity_by_addr(&r, 0x0120)->caps, GW_CAP_ONOFF | GW_CAP_HSL);
	assert_int_equal(gw_registry_entity_by_addr(&r, 0x0130)->caps, GW_CAP_SWITCH);
	assert_int_equal(gw_registry_entity_by_addr(&r, 0x0131)->caps,
			 GW_CAP_SWITCH | GW_CAP_DIMMER);
	assert_string_equal(entity_at(&r, 0x0131), "rocker/1");
	assert_int_equal(gw_registry_entity_by_addr(&r, 0x0140)->caps, GW_CAP_SENSOR);
	/* No entity for nothing to show, vendor models, unknown composition,
	 * or meshgate itself; the nodes are there all the same. */
	assert_null(gw_registry_entity_by_addr(&r, 0x0150));
	assert_null(gw_registry_entity_by_addr(&r, 0x0160));
	for (uint16_t a = 0x0170; a < 0x0173; a++)
		assert_null(gw_registry_entity_by_addr(&r, a));
	assert_null(gw_registry_entity_by_addr(&r, 0x0001));
	assert_non_null(gw_registry_node(&r, 0x0150));
	assert_non_null(gw_registry_node(&r, 0x0170));
	for (size_t i = 0; i < r.n_entities; i++)
		assert_int_equal(r.entities[i].kind, GW_ENTITY_ELEMENT);
	assert_names_unique(&r);
	gw_registry_free(&r);
	netdb_free(db);
}

/* A status from src fed to the cache as the core does. */
static void feed(struct gw_state_cache *cache, uint16_t src, uint32_t opcode, const uint8_t *params,
		 size_t len)
{
	struct mesh_access_msg msg = { .src = src, .dst = 0x0001, .opcode = opcode,
				       .params = params, .params_len = len };

	assert_true(gw_state_cache_update(cache, &msg, 1000) > 0);
}

static void feed_temp_range(struct gw_state_cache *cache, uint16_t src, uint16_t min,
			    uint16_t max)
{
	uint8_t p[5] = { 0x00, (uint8_t)min, (uint8_t)(min >> 8), (uint8_t)max,
			 (uint8_t)(max >> 8) };

	feed(cache, src, MESH_OP_CTL_TEMP_RANGE_STATUS, p, sizeof(p));
}

/* Sensor properties and the temperature range come from the state cache. */
static void test_entities_from_cache(void **state)
{
	struct netdb *db = new_db();
	struct gw_state_cache *cache = gw_state_cache_create(NULL, NULL);
	static const uint8_t temp[2] = { 0x2b, 0x00 }, motion[1] = { 100 };
	const struct mesh_sensor_data items[2] = { { 0x004f, 1, temp }, { 0x0042, 1, motion } };
	uint8_t status[32];
	struct gw_registry r;
	struct netdb_node *n;
	const struct gw_entity *e;
	int len;

	(void)state;
	assert_non_null(cache);
	n = add_node(db, 1, 0x0105, 1, "ctl");
	add_models(n, 0, (const uint16_t[]){ MESH_MODEL_GEN_ONOFF_SRV, MESH_MODEL_CTL_SRV }, 2);
	n = add_node(db, 2, 0x0106, 1, "weird range");
	add_models(n, 0, (const uint16_t[]){ MESH_MODEL_GEN_ONOFF_SRV, MESH_MODEL_CTL_SRV }, 2);
	n = add_node(db, 3, 0x0107, 1, "sensor");
	add_models(n, 0, sensor_models, 2);

	feed_temp_range(cache, 0x0105, 2700, 6500);
	/* Reversed, or outside what CTL allows: not believed. */
	feed_temp_range(cache, 0x0106, 6500, 2700);
	len = mesh_sensor_status_encode(items, 2, status, sizeof(status));
	assert_true(len > 0);
	feed(cache, 0x0107, MESH_OP_SENSOR_STATUS, status, (size_t)len);

	gw_registry_init(&r);
	assert_int_equal(gw_registry_rebuild(&r, db, NULL, cache), 0);
	e = gw_registry_entity_by_addr(&r, 0x0105);
	assert_int_equal(e->temp_min_k, 2700);
	assert_int_equal(e->temp_max_k, 6500);
	e = gw_registry_entity_by_addr(&r, 0x0106);
	assert_int_equal(e->temp_min_k, 800);
	assert_int_equal(e->temp_max_k, 20000);
	e = gw_registry_entity_by_addr(&r, 0x0107);
	assert_int_equal(e->n_sensors, 2);
	assert_int_equal(e->sensors[0], 0x004f);
	assert_int_equal(e->sensors[1], 0x0042);
	assert_int_equal(e->caps, GW_CAP_SENSOR);
	gw_registry_free(&r);
	gw_state_cache_destroy(cache);
	netdb_free(db);
}

/* Groups: one entity per named group; members from the subscriptions
 * (group addresses and Label UUIDs alike), a light group's capabilities
 * from its lights, and a group nobody joined yet still switches and dims. */
static void test_group_entities(void **state)
{
	struct netdb *db = new_db();
	struct netdb_address stairs = group_addr(0xc001), empty = group_addr(0xc002);
	struct netdb_address virt = label_addr(1), other_label = label_addr(2);
	struct gw_registry r;
	struct netdb_node *n;
	const struct gw_entity *g;
	char hex[33];

	(void)state;
	n = add_node(db, 1, 0x0105, 1, "lamp 1");
	add_models(n, 0, lamp_models, 5);
	subscribe(n, 0, 2, &stairs);            /* OnOff server */
	subscribe(n, 0, 4, &stairs);            /* and Lightness: still one member */
	subscribe(n, 0, 2, &virt);
	n = add_node(db, 2, 0x0110, 2, "lamp 2");
	add_models(n, 0, (const uint16_t[]){ MESH_MODEL_GEN_ONOFF_SRV, MESH_MODEL_HSL_SRV }, 2);
	add_models(n, 1, lamp_models, 5);
	subscribe(n, 0, 0, &stairs);
	subscribe(n, 1, 2, &virt);
	/* A switch publishing to the group is no member. */
	n = add_node(db, 3, 0x0120, 1, "switch");
	add_models(n, 0, switch_models, 1);
	n->elements[0].models[0].has_publish = true;
	n->elements[0].models[0].publish.address = stairs;
	/* Subscribed to another label with the same... nothing else. */
	n = add_node(db, 4, 0x0130, 1, "lamp 3");
	add_models(n, 0, onoff_models, 1);
	subscribe(n, 0, 0, &other_label);
	add_group(db, "stairs", &stairs);
	add_group(db, "empty", &empty);
	add_group(db, "everything", &virt);
	add_group(db, "bridge", &other_label);  /* not a valid name: no entity */
	gw_registry_init(&r);
	rebuild(&r, db, NULL);

	g = gw_registry_entity_by_name(&r, "stairs");
	assert_non_null(g);
	assert_int_equal(g->kind, GW_ENTITY_GROUP);
	assert_int_equal(g->addr, 0xc001);
	assert_false(g->has_label);
	assert_string_equal(g->unique_id, "group_c001");
	assert_int_equal(g->n_members, 2);
	assert_int_equal(g->members[0], 0x0105);
	assert_int_equal(g->members[1], 0x0110);
	assert_int_equal(g->caps, GW_CAP_ONOFF | GW_CAP_LIGHTNESS | GW_CAP_HSL);

	g = gw_registry_entity_by_name(&r, "empty");
	assert_int_equal(g->n_members, 0);
	assert_int_equal(g->caps, GW_CAP_ONOFF | GW_CAP_LIGHTNESS);
	assert_string_equal(g->unique_id, "group_c002");

	g = gw_registry_entity_by_name(&r, "everything");
	assert_true(g->has_label);
	assert_memory_equal(g->label, virt.label, 16);
	assert_int_equal(g->addr, virt.address);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", virt.label[i]);
	assert_int_equal(strncmp(g->unique_id, "group_", 6), 0);
	assert_string_equal(g->unique_id + 6, hex);
	assert_int_equal(g->n_members, 2);
	assert_int_equal(g->members[0], 0x0105);
	assert_int_equal(g->members[1], 0x0111);
	assert_ptr_equal(gw_registry_entity_by_addr(&r, virt.address), g);

	assert_null(gw_registry_entity_by_name(&r, "bridge"));
	assert_null(gw_registry_entity_by_addr(&r, other_label.address));
	assert_names_unique(&r);
	gw_registry_free(&r);
	netdb_free(db);
}

/* ---- renames and rebuilds ------------------------------------------------------------ */

/* Renaming a node (database or file) changes names and topics, never the
 * unique ids Home Assistant keys its entities by. */
static void test_rename_keeps_ids(void **state)
{
	struct netdb *db = new_db();
	struct netdb_address a = group_addr(0xc001);
	struct gw_config cfg;
	struct gw_registry r;
	struct netdb_node *n;
	char id0[GW_ENTITY_ID_MAX], id1[GW_ENTITY_ID_MAX], gid[GW_ENTITY_ID_MAX];
	uint64_t gen;

	(void)state;
	n = add_node(db, 1, 0x0105, 2, "");
	add_models(n, 0, lamp_models, 5);
	add_models(n, 1, switch_models, 1);
	add_group(db, "all", &a);
	gw_registry_init(&r);
	assert_int_equal(r.generation, 0);
	rebuild(&r, db, NULL);
	assert_int_equal(r.generation, 1);
	assert_string_equal(entity_at(&r, 0x0105), "0x0105");
	assert_string_equal(entity_at(&r, 0x0106), "0x0105/1");
	assert_string_equal(gw_registry_entity_by_addr(&r, 0x0105)->unique_id,
			    "5e000000000040000000000000000001_0");
	snprintf(id0, sizeof(id0), "%s", gw_registry_entity_by_addr(&r, 0x0105)->unique_id);
	snprintf(id1, sizeof(id1), "%s", gw_registry_entity_by_addr(&r, 0x0106)->unique_id);
	snprintf(gid, sizeof(gid), "%s", gw_registry_entity_by_addr(&r, 0xc001)->unique_id);
	assert_string_equal(id1, "5e000000000040000000000000000001_1");

	/* Renamed in the database (node/rename does that). */
	n = netdb_node_by_address(db, 0x0105);
	snprintf(n->name, sizeof(n->name), "attic");
	snprintf(db->groups[0].name, sizeof(db->groups[0].name), "everything");
	gen = r.generation;
	rebuild(&r, db, NULL);
	assert_int_equal(r.generation, gen + 1);
	assert_string_equal(entity_at(&r, 0x0105), "attic");
	assert_string_equal(entity_at(&r, 0x0106), "attic/1");
	assert_string_equal(gw_registry_entity_by_name(&r, "attic")->unique_id, id0);
	assert_string_equal(gw_registry_entity_by_name(&r, "attic/1")->unique_id, id1);
	assert_string_equal(gw_registry_entity_by_name(&r, "everything")->unique_id, gid);
	assert_null(gw_registry_entity_by_name(&r, "0x0105"));
	assert_string_equal(gw_registry_entity_by_id(&r, id1)->name, "attic/1");
	assert_string_equal(gw_registry_entity_by_addr(&r, 0x0106)->node_name, "attic");

	/* Renamed in the file. */
	load_cfg(&cfg, "nodes:\n  5e000000000040000000000000000001:\n    name: loft\n");
	rebuild(&r, db, &cfg);
	assert_string_equal(entity_at(&r, 0x0106), "loft/1");
	assert_string_equal(gw_registry_entity_by_name(&r, "loft")->unique_id, id0);
	assert_true(gw_registry_node(&r, 0x0105)->name_from_config);
	assert_null(gw_registry_entity_by_id(&r, "no such id"));
	gw_registry_free(&r);
	gw_config_free(&cfg);
	netdb_free(db);
}

/* Lookups after a rebuild see the new network only. */
static void test_rebuild_replaces(void **state)
{
	struct netdb *db = new_db();
	struct gw_registry r;
	uint8_t uuid[16];
	struct netdb_node *n;

	(void)state;
	n = add_node(db, 1, 0x0105, 1, "gone soon");
	add_models(n, 0, onoff_models, 1);
	gw_registry_init(&r);
	rebuild(&r, db, NULL);
	assert_non_null(gw_registry_entity_by_name(&r, "gone soon"));
	test_uuid(uuid, 1);
	assert_int_equal(netdb_forget_node(db, uuid), 0);
	rebuild(&r, db, NULL);
	assert_null(gw_registry_entity_by_name(&r, "gone soon"));
	assert_null(gw_registry_node(&r, 0x0105));
	assert_null(gw_registry_node_by_uuid(&r, uuid));
	assert_int_equal(r.n_nodes, 1);
	assert_int_equal(r.n_entities, 0);
	gw_registry_free(&r);
	assert_int_equal(r.n_nodes, 0);
	assert_null(r.nodes);
	netdb_free(db);
}

/* ---- lookups ---------------------------------------------------------------------------- */

static void test_lookups(void **state)
{
	struct netdb *db = new_db();
	struct gw_registry r;
	struct netdb_node *n;
	uint8_t uuid[16];
	const struct gw_reg_node *lamp;

	(void)state;
	n = add_node(db, 1, 0x0105, 3, "lamp");
	add_models(n, 0, onoff_models, 1);
	n = add_node(db, 2, 0x0108, 1, "");
	gw_registry_init(&r);
	rebuild(&r, db, NULL);
	lamp = gw_registry_node(&r, 0x0105);
	assert_non_null(lamp);
	assert_int_equal(lamp->n_elements, 3);
	test_uuid(uuid, 1);
	assert_memory_equal(lamp->uuid, uuid, 16);

	/* By primary address only, or by any element's. */
	assert_null(gw_registry_node(&r, 0x0106));
	assert_ptr_equal(gw_registry_node_of(&r, 0x0105), lamp);
	assert_ptr_equal(gw_registry_node_of(&r, 0x0107), lamp);
	assert_ptr_equal(gw_registry_node_of(&r, 0x0108), gw_registry_node(&r, 0x0108));
	assert_null(gw_registry_node_of(&r, 0x0109));
	assert_null(gw_registry_node_of(&r, 0xc000));
	assert_ptr_equal(gw_registry_node_by_uuid(&r, uuid), lamp);
	uuid[15] = 0x77;
	assert_null(gw_registry_node_by_uuid(&r, uuid));
	assert_ptr_equal(gw_registry_node_by_name(&r, "lamp"), lamp);
	assert_null(gw_registry_node_by_name(&r, "Lamp"));

	/* What users type: a name, a UUID in any common spelling, an address. */
	assert_ptr_equal(gw_registry_resolve_node(&r, "lamp"), lamp);
	assert_ptr_equal(gw_registry_resolve_node(&r, "5e000000-0000-4000-0000-000000000001"), lamp);
	assert_ptr_equal(gw_registry_resolve_node(&r, "5E000000000040000000000000000001"), lamp);
	assert_ptr_equal(gw_registry_resolve_node(&r, "0x0105"), lamp);
	assert_ptr_equal(gw_registry_resolve_node(&r, "0x105"), lamp);
	assert_ptr_equal(gw_registry_resolve_node(&r, "0x0108"), gw_registry_node(&r, 0x0108));
	/* An element's address is not the node's; others are nothing. */
	assert_null(gw_registry_resolve_node(&r, "0x0106"));
	assert_null(gw_registry_resolve_node(&r, "0x0105 "));
	assert_null(gw_registry_resolve_node(&r, "0x8000"));
	assert_null(gw_registry_resolve_node(&r, "0x10105"));
	assert_null(gw_registry_resolve_node(&r, "0105"));
	assert_null(gw_registry_resolve_node(&r, "261"));
	assert_null(gw_registry_resolve_node(&r, "5e000000-0000-4000-0000-00000000000"));
	assert_null(gw_registry_resolve_node(&r, "5e000000-0000-4000-0000-000000000009"));
	assert_null(gw_registry_resolve_node(&r, ""));
	assert_null(gw_registry_resolve_node(&r, "0x"));
	gw_registry_free(&r);
	netdb_free(db);
}

/* A name wins over an address it looks like: "0x0108" typed by a user is
 * the node called so, even if another node has that address. */
static void test_resolve_name_before_address(void **state)
{
	struct netdb *db = new_db();
	struct gw_registry r;

	(void)state;
	add_node(db, 1, 0x0105, 1, "0x0108");
	add_node(db, 2, 0x0108, 1, "eight");
	gw_registry_init(&r);
	rebuild(&r, db, NULL);
	assert_ptr_equal(gw_registry_resolve_node(&r, "0x0108"), gw_registry_node(&r, 0x0105));
	assert_ptr_equal(gw_registry_resolve_node(&r, "eight"), gw_registry_node(&r, 0x0108));
	gw_registry_free(&r);
	netdb_free(db);
}

/* ---- name rules -------------------------------------------------------------------------- */

static void assert_problem(const char *name, const char *words)
{
	const char *why = gw_registry_name_problem(name);

	if (!why)
		fail_msg("'%s' was accepted", name);
	if (!strstr(why, words))
		fail_msg("'%s': \"%s\" does not say \"%s\"", name, why, words);
}

static void test_name_rules(void **state)
{
	static const char *const good[] = {
		"lamp", "living room/ceiling", "Küche/Decke", "a/b/c/d/e", "my bridge",
		"bridges", "garden/bridge", "lamp/settings", "setter", "sets/lamp", "x",
		"0x0105", "lamp 1 (left)", "a-b_c.d", "set/lamp", "get me",
	};
	static const char *const reserved[] = { "set", "get", "availability", "heartbeat",
						"action" };
	char longest[NETDB_NAME_MAX], too_long[NETDB_NAME_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (gw_registry_name_problem(good[i]))
			fail_msg("'%s' refused: %s", good[i], gw_registry_name_problem(good[i]));

	assert_problem("", "empty");
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';           /* 95 characters */
	assert_null(gw_registry_name_problem(longest));
	memset(too_long, 'x', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';         /* 96 */
	assert_problem(too_long, "at most 95");

	assert_problem("lamp+", "'+' or '#'");
	assert_problem("+", "wildcards");
	assert_problem("a/#", "'+' or '#'");
	assert_problem("/lamp", "start or end with '/'");
	assert_problem("lamp/", "start or end with '/'");
	assert_problem("/", "'/'");
	assert_problem("a//b", "'//'");
	assert_problem("lamp\x01", "control characters");
	assert_problem("lamp\tleft", "control characters");
	assert_problem("lamp\nleft", "control characters");
	assert_problem("lamp\x7f", "control characters");
	assert_problem("bridge", "'bridge'");
	assert_problem("bridge/lamp", "'bridge'");
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		char name[64];

		assert_problem(reserved[i], "cannot end in");
		snprintf(name, sizeof(name), "hall/lamp/%s", reserved[i]);
		assert_problem(name, reserved[i]);
	}
}

/* ---- UUIDs as users type them ------------------------------------------------------------ */

static void test_parse_hex_dashed(void **state)
{
	static const uint8_t want[16] = { 0x02, 0xda, 0x70, 0x5d, 0x58, 0x22, 0x41, 0x5f,
					  0x84, 0xad, 0x3d, 0x66, 0xdb, 0x9d, 0xa9, 0x05 };
	uint8_t out[16], two[2];

	(void)state;
	memset(out, 0, sizeof(out));
	assert_int_equal(gw_parse_hex_dashed("02da705d-5822-415f-84ad-3d66db9da905", out, 16), 0);
	assert_memory_equal(out, want, 16);
	memset(out, 0, sizeof(out));
	assert_int_equal(gw_parse_hex_dashed("02DA705D5822415F84AD3D66DB9DA905", out, 16), 0);
	assert_memory_equal(out, want, 16);
	/* Dashes anywhere between octets, also leading and trailing. */
	memset(out, 0, sizeof(out));
	assert_int_equal(gw_parse_hex_dashed("-02da-705d58-22415f84ad3d66db9da905--", out, 16), 0);
	assert_memory_equal(out, want, 16);
	assert_int_equal(gw_parse_hex_dashed("c0-01", two, 2), 0);
	assert_int_equal(two[0], 0xc0);
	assert_int_equal(two[1], 0x01);

	/* Too few, too many, an odd digit, a dash inside an octet, no hex. */
	assert_int_equal(gw_parse_hex_dashed("02da705d-5822-415f-84ad-3d66db9da9", out, 16), -1);
	assert_int_equal(gw_parse_hex_dashed("02da705d-5822-415f-84ad-3d66db9da90500", out, 16), -1);
	assert_int_equal(gw_parse_hex_dashed("02da705d-5822-415f-84ad-3d66db9da905a", out, 16), -1);
	assert_int_equal(gw_parse_hex_dashed("0-2da705d5822415f84ad3d66db9da905", out, 16), -1);
	assert_int_equal(gw_parse_hex_dashed("02da705d-5822-415f-84ad-3d66db9da9g5", out, 16), -1);
	assert_int_equal(gw_parse_hex_dashed("02da705d 5822 415f 84ad 3d66db9da905", out, 16), -1);
	assert_int_equal(gw_parse_hex_dashed("0x02da705d5822415f84ad3d66db9da9", out, 16), -1);
	assert_int_equal(gw_parse_hex_dashed("", out, 16), -1);
	assert_int_equal(gw_parse_hex_dashed("----", out, 16), -1);
	assert_int_equal(gw_parse_hex_dashed("a", two, 2), -1);
	/* Nothing wanted: only nothing (or dashes) fits. */
	assert_int_equal(gw_parse_hex_dashed("", out, 0), 0);
	assert_int_equal(gw_parse_hex_dashed("--", out, 0), 0);
	assert_int_equal(gw_parse_hex_dashed("00", out, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_precedence),
		cmocka_unit_test(test_config_entry_without_name),
		cmocka_unit_test(test_invalid_database_name),
		cmocka_unit_test(test_clash_database_names),
		cmocka_unit_test(test_clash_config_beats_database),
		cmocka_unit_test(test_clash_with_suffixed_name),
		cmocka_unit_test(test_clash_long_names),
		cmocka_unit_test(test_element_names),
		cmocka_unit_test(test_group_name_clashes),
		cmocka_unit_test(test_entities_from_composition),
		cmocka_unit_test(test_entities_from_cache),
		cmocka_unit_test(test_group_entities),
		cmocka_unit_test(test_rename_keeps_ids),
		cmocka_unit_test(test_rebuild_replaces),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_resolve_name_before_address),
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_parse_hex_dashed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
