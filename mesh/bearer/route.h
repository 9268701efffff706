/*
 * Between a node's mesh stack and its advertising bearer: received mesh AD
 * structures go to the layer their AD type belongs to, and network PDUs go
 * out with the transmit count and interval of a Network Transmit or Relay
 * Retransmit state (Mesh Profile 3.3.1, 4.2.19, 4.2.20).
 *
 *   Mesh Message (0x2a)  -> network layer: mesh_stack_net_receive()
 *   Mesh Beacon (0x2b)   -> secure network beacons: mesh_stack_beacon_receive();
 *                           unprovisioned device beacons: ops->unprov_beacon
 *                           (the provisioner's discovery)
 *   PB-ADV (0x29)        -> ops->pb_adv (the provisioning bearer)
 */
#ifndef MESH_BEARER_ROUTE_H
#define MESH_BEARER_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "bearer.h"
#include "mesh/beacon.h"
#include "mesh/stack.h"

struct mesh_adv_route_ops {
	void (*unprov_beacon)(void *ctx, const struct mesh_beacon_unprov *b,
			      const struct mesh_adv_rx *rx);
	void (*pb_adv)(void *ctx, const struct mesh_adv_rx *rx);
};

/*
 * Route rx. stack may be NULL (a node without keys yet) and so may ops or
 * its members: what nobody takes is dropped. Returns the receiving
 * layer's result (0 if used), MESH_ERR_NOT_FOUND if nobody takes this
 * type, or the unprovisioned beacon's parse error.
 */
int mesh_adv_route(struct mesh_stack *stack, const struct mesh_adv_rx *rx,
		   const struct mesh_adv_route_ops *ops, void *ctx);

/* Queue a network PDU with a Network Transmit / Relay Retransmit state. */
int mesh_adv_send_network(struct mesh_bearer *b, const uint8_t *pdu, size_t len,
			  uint8_t transmit_state);

#endif
