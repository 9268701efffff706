/*
 * meshgate as a node of its own network: a struct mesh_stack with the
 * addresses and keys of the network database (its own node entry, every
 * NetKey and AppKey, the device key of every node it provisioned, the
 * Label UUIDs of virtual groups), on the radio bearer, with its SEQ, IV
 * index and replay protection list persisted in state.json.
 *
 * The node runs in accept-all mode: it authenticates and hands up every
 * access message it can decrypt, whoever it is addressed to, so statuses
 * that lamps publish to a group reach the state cache although the
 * gateway subscribes to nothing. It never acknowledges or answers for
 * addresses that are not its own.
 *
 * Persistence: SEQ reservations and IV index changes are written (fsync'd)
 * before the stack may use them, as stack.h requires. Replay protection
 * entries change with almost every message; they are flushed at most every
 * GW_NODE_RPL_FLUSH_MS and when the node closes. A crash can therefore lose
 * the last seconds of entries, which reopens replay only for messages of
 * those seconds (the same trade Zephyr's RPL store timeout makes).
 */
#ifndef GATEWAY_NODE_H
#define GATEWAY_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/netdb.h"
#include "gateway/runtime_state.h"
#include "mesh/acked.h"
#include "mesh/bearer/bearer.h"
#include "mesh/bearer/route.h"
#include "mesh/stack.h"

#define GW_NODE_RPL_FLUSH_MS 5000u
/* A message to a destination whose previous segmented message is still
 * being delivered waits (lower transport sends one at a time per
 * destination), retried this often, for at most GW_NODE_QUEUE_MAX_MS. */
#define GW_NODE_RETRY_MS 50u
#define GW_NODE_QUEUE_MAX_MS 10000u
#define GW_NODE_SEQ_BLOCK 1024u

struct gw_node_queued;

struct gw_node_ops {
	/* Every authenticated access message, opcode and params filled in
	 * (whoever it was addressed to). */
	void (*access)(void *ctx, const struct mesh_access_msg *msg);
	/* Every heartbeat, with the RSSI of the advertisement it came in. */
	void (*heartbeat)(void *ctx, const struct mesh_stack_hb_rx *hb, int8_t rssi);
	/* Any authenticated traffic from src (an element address). */
	void (*seen)(void *ctx, uint16_t src, int8_t rssi);
};

struct gw_node {
	struct mesh_timers *timers;
	struct mesh_bearer *bearer;
	struct netdb *db;
	char dir[4096];                  /* state.json lives here ("": memory only) */
	struct runtime_state state;
	bool rpl_dirty;
	bool rpl_loaded;                 /* the stack holds state.json's replay list */
	uint64_t rpl_full_drops;         /* messages the full replay list refused */
	struct mesh_timer rpl_flush;
	uint8_t net_transmit;            /* Network Transmit state for our PDUs */
	uint8_t relay_retransmit;
	int8_t rx_rssi;                  /* of the PDU being processed */
	const struct gw_node_ops *ops;
	void *ctx;
	struct mesh_acked *acked;        /* acknowledged requests (clients) */
	struct gw_node_queued *queue;    /* sends waiting for their destination */
	struct mesh_timer queue_timer;
	struct mesh_stack stack;         /* must not move: holds pointers into itself */
};

/*
 * Build the node from db (its self node gives the address) and state (IV
 * index, SEQ reservation, RPL), on timers and bearer. dir: where state.json
 * is saved ("" or NULL keeps it in memory: tests). Errors as negative
 * MESH_ERR_* with a sentence in err: no self node, keys the stack refuses.
 * The struct must not move afterwards.
 */
int gw_node_open(struct gw_node *n, struct mesh_timers *timers, struct mesh_bearer *bearer,
		 struct netdb *db, const struct runtime_state *state, const char *dir,
		 const struct gw_node_ops *ops, void *ctx, char *err, size_t errlen);
/* Flush the replay list, stop timers, cancel requests, wipe keys. */
void gw_node_close(struct gw_node *n);

/* A received advertisement: network PDUs and secure beacons to the
 * stack, the rest to route_ops (discovery, PB-ADV). */
int gw_node_route(struct gw_node *n, const struct mesh_adv_rx *rx,
		  const struct mesh_adv_route_ops *route_ops, void *route_ctx);

/* A node the database gained (provisioned) or lost: its device key and
 * what the stack remembers of it. */
int gw_node_device_added(struct gw_node *n, const struct netdb_node *node);
void gw_node_device_removed(struct gw_node *n, uint16_t unicast, uint8_t elements);
/* A Label UUID the stack must know to decrypt and send to a virtual address. */
int gw_node_label_add(struct gw_node *n, const uint8_t label[16], uint16_t *addr);

/*
 * Key refresh (3.10.4) of meshgate's own node, driven by key_refresh.h.
 * gw_node_key_refresh: phase 1, subnet net_idx takes new_net_key and the
 * n_app AppKeys app_idx[] their new_app_keys[] (it receives with old and
 * new, still sends with the old). Giving the same keys again succeeds (a
 * resumed refresh), also once the subnet is in phase 2 with them.
 * MESH_ERR_KEY_INDEX for an unknown subnet or AppKey, MESH_ERR_KEY_REFRESH
 * for other keys while a refresh is under way.
 * gw_node_kr_phase: transition 2 (send with the new keys) or 3 (drop the
 * old ones), rules of mesh_stack_kr_set(); then a secure network beacon
 * for the subnet goes out at once, so nodes that missed their Key Refresh
 * Phase Set follow its Key Refresh flag.
 */
int gw_node_key_refresh(struct gw_node *n, uint16_t net_idx, const uint8_t new_net_key[16],
			size_t n_app, const uint16_t *app_idx, const uint8_t (*new_app_keys)[16]);
int gw_node_kr_phase(struct gw_node *n, uint16_t net_idx, uint8_t transition);

/* Our primary element address. */
uint16_t gw_node_address(const struct gw_node *n);

/* Send an access message (what mesh_acked's ops->send does). A message to
 * a destination busy with an earlier segmented one is queued and sent when
 * that one is done (0 is returned); queued messages keep their order. */
int gw_node_send(struct gw_node *n, const struct mesh_acked_send *s);

/* Write state.json now (replay list included). */
int gw_node_flush(struct gw_node *n, char *err, size_t errlen);

#endif
