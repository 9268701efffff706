/*
 * The network database follows what nodes say: a Configuration status a
 * node returned is applied to its record (composition, keys, bindings,
 * subscriptions, publication, heartbeat publication and subscription,
 * Default TTL, relay, network transmit, beacon, proxy, friend), never what
 * was asked for.
 *
 * Some statuses describe themselves (Composition Data, Publication,
 * Heartbeat Publication, the Get lists, Default TTL, Relay, ...). Others
 * only echo indexes and a status code, and what a Success means depends
 * on the request: an AppKey Status with Success follows an Add or a
 * Delete alike, a Model App Status a Bind or an Unbind, a Model
 * Subscription Status an Add, Delete, Overwrite or Delete All. Those are
 * applied only with the request they answer (the configuration client
 * matched them, in time or late); heard without one they change nothing.
 */
#ifndef GATEWAY_CFG_APPLY_H
#define GATEWAY_CFG_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/netdb.h"
#include "mesh/cfg_msg.h"

enum gw_cfg_apply_result {
	GW_CFG_UNCHANGED = 0,   /* nothing to record (or already recorded) */
	GW_CFG_CHANGED = 1,     /* the node's record changed: save */
	GW_CFG_NODE_RESET = 2,  /* Node Reset Status: the caller removes the node */
};

/*
 * Apply status (sent by element address src) to db; request is the
 * request it answers, or NULL. Returns an enum gw_cfg_apply_result, or
 * -ENOENT (src is no node of db), -EINVAL (the status contradicts the
 * record: an element the node does not have, a composition whose element
 * count differs from the provisioned one; *why says what), -ENOMEM.
 */
int gw_cfg_apply(struct netdb *db, uint16_t src, const struct mesh_cfg_msg *request,
		 const struct mesh_cfg_msg *status, const char **why);

/* CDB model ID form of a model ID (SIG: 16 bits; vendor: CID << 16 | ID). */
uint32_t gw_cfg_model_key(struct mesh_model_id id);

/* The model of node's element elem_addr with that ID, or NULL. */
struct netdb_model *gw_cfg_find_model(struct netdb_node *node, uint16_t elem_addr,
				      struct mesh_model_id id);

#endif
