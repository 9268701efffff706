/*
 * The node registry: names <-> addresses <-> UUIDs, and the entities users
 * see (entity.h), rebuilt from the network database, the configuration
 * file and the state cache whenever one of them changes (a node added,
 * removed, renamed, its composition read, a group changed, a sensor
 * reporting a new property).
 *
 * Names: a node is called what the configuration file says (nodes:
 * <uuid>: name:), else what the database says (renamed through the API,
 * or named by another tool), else "0x0105" (its primary address, as
 * zigbee2mqtt names devices by their IEEE address until renamed). Element
 * 0 carries the node's name; other elements are "<node>/<index>" unless
 * the file names them. A name that would clash with one taken before gets
 * "_0x0106" appended, so two entities never share a topic.
 *
 * Pointers returned are valid until the next rebuild.
 */
#ifndef GATEWAY_REGISTRY_H
#define GATEWAY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/gateway_config.h"
#include "gateway/entity.h"
#include "gateway/netdb.h"
#include "gateway/state_cache.h"

struct gw_reg_node {
	uint16_t addr;                         /* primary element */
	uint8_t uuid[16];
	uint8_t n_elements;
	char name[GW_ENTITY_NAME_MAX];
	bool name_from_config;                 /* renames are refused */
	const struct gw_config_node *conf;     /* NULL: not in the file */
	bool is_self;                          /* meshgate's own node */
};

struct gw_registry {
	size_t n_nodes;
	struct gw_reg_node *nodes;
	size_t n_entities;
	struct gw_entity *entities;
	uint64_t generation;                   /* bumped at every rebuild */
};

void gw_registry_init(struct gw_registry *r);
void gw_registry_free(struct gw_registry *r);

/* Rebuild from scratch. cfg and cache may be NULL. 0 or -ENOMEM (the
 * previous contents are kept then). */
int gw_registry_rebuild(struct gw_registry *r, const struct netdb *db, const struct gw_config *cfg,
			const struct gw_state_cache *cache);

const struct gw_reg_node *gw_registry_node(const struct gw_registry *r, uint16_t primary);
/* By any element address of the node. */
const struct gw_reg_node *gw_registry_node_of(const struct gw_registry *r, uint16_t addr);
const struct gw_reg_node *gw_registry_node_by_name(const struct gw_registry *r, const char *name);
const struct gw_reg_node *gw_registry_node_by_uuid(const struct gw_registry *r,
						   const uint8_t uuid[16]);

const struct gw_entity *gw_registry_entity_by_name(const struct gw_registry *r, const char *name);
/* Element entity of element address addr, or group entity of group
 * address / virtual hash addr. */
const struct gw_entity *gw_registry_entity_by_addr(const struct gw_registry *r, uint16_t addr);
const struct gw_entity *gw_registry_entity_by_id(const struct gw_registry *r, const char *unique_id);

/*
 * Resolve what a user typed for a node: a name, a UUID (32 hex digits,
 * dashes allowed) or an address ("0x0105"). NULL if none matches.
 */
const struct gw_reg_node *gw_registry_resolve_node(const struct gw_registry *r, const char *what);

/* Exactly want octets of hex digits, dashes anywhere ignored (UUIDs as
 * users copy them). 0 or -1. */
int gw_parse_hex_dashed(const char *s, uint8_t *out, size_t want);

/* Is name a valid entity/node/group name (topic-safe)? NULL or why not. */
const char *gw_registry_name_problem(const char *name);

#endif
