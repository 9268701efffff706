/*
 * Subnets: the NetKey table and the key refresh procedure (Mesh Profile
 * 3.10.4, 4.2.14).
 *
 * Each subnet holds up to two keys. keys[old] is the key in use; during key
 * refresh keys[old ^ 1] holds the new one. Per key everything derived from
 * it is kept ready: master credentials (k2 with P = 0x00), Network ID (k3),
 * BeaconKey and IdentityKey.
 *
 *   phase  transmit with   accept
 *   0      old             old
 *   1      old             old, new   (new key distributed)
 *   2      new             old, new   (nodes switch to new)
 *   3      new             new        (old revoked: done at once, -> 0)
 *
 * Phase 3 is not kept as a state: revoking the old key makes the new one
 * the only key, which is phase 0 again.
 *
 * This table knows NetKeys only. Completing a refresh must also revoke the
 * old values of the subnet's AppKeys (mesh_app_keys_revoke_old()), and
 * deleting a subnet must delete its AppKeys; the stack's entry points
 * (mesh_stack_kr_set(), mesh_stack_beacon_receive(),
 * mesh_stack_net_key_delete()) do both, so a node goes through those.
 */
#include "net.h" /* outside the guard: net.h includes this file back */

#ifndef MESH_SUBNET_H
#define MESH_SUBNET_H

#include <stdbool.h>
#include <stdint.h>

#include "beacon.h"
#include "transport.h"

#define MESH_SUBNET_MAX 8
#define MESH_NET_IDX_PRIMARY 0x000

enum mesh_kr_phase {
	MESH_KR_NORMAL = 0,
	MESH_KR_PHASE_1 = 1,
	MESH_KR_PHASE_2 = 2,
	MESH_KR_PHASE_3 = 3,
};

struct mesh_subnet_keys {
	uint8_t net_key[MESH_KEY_LEN];
	struct mesh_net_cred cred;  /* master (managed flooding) credentials */
	uint8_t net_id[8];
	uint8_t beacon_key[MESH_KEY_LEN];
	uint8_t identity_key[MESH_KEY_LEN];
};

struct mesh_subnet {
	bool in_use;
	uint16_t net_idx;
	uint8_t kr_phase;  /* enum mesh_kr_phase, never 3 at rest */
	uint8_t old;       /* index into keys of the current/old key */
	struct mesh_subnet_keys keys[2];
	struct mesh_beacon_sched beacon;  /* our secure beacons (stack.c) */
};

struct mesh_subnets {
	struct mesh_subnet sub[MESH_SUBNET_MAX];
};

void mesh_subnets_init(struct mesh_subnets *s);
/* Delete every subnet, freeing cipher contexts and wiping keys. */
void mesh_subnets_clear(struct mesh_subnets *s);

/* NetKey Add. Adding the same key again is a no-op success; a different
 * key under a used index is MESH_ERR_EXISTS. MESH_ERR_KEY_INDEX if
 * net_idx > 0xfff, MESH_ERR_FULL if no slot is free. */
int mesh_subnet_add(struct mesh_subnets *s, uint16_t net_idx, const uint8_t key[MESH_KEY_LEN]);
/* NetKey Update: phase 0 -> 1 with the new key. Repeating the same key in
 * phase 1 succeeds; anything else outside phase 0 is MESH_ERR_KEY_REFRESH. */
int mesh_subnet_update(struct mesh_subnets *s, uint16_t net_idx,
		       const uint8_t new_key[MESH_KEY_LEN]);
int mesh_subnet_delete(struct mesh_subnets *s, uint16_t net_idx);
struct mesh_subnet *mesh_subnet_find(struct mesh_subnets *s, uint16_t net_idx);

/*
 * Config Key Refresh Phase Set (transition 2 or 3, 4.2.14, 4.4.1.2.9):
 *   1 -> 2; 2 -> 2 no change; 1 or 2 -> 3 revokes the old key (-> 0);
 *   0 -> 3 no change. Other requests are MESH_ERR_KEY_REFRESH; a transition
 *   value other than 2 or 3 is MESH_ERR_INVAL.
 */
int mesh_subnet_kr_set(struct mesh_subnets *s, uint16_t net_idx, uint8_t transition);
/* An authenticated secure network beacon: new_key says it was
 * authenticated with the new key, kr_flag is its Key Refresh flag.
 * With the new key, flag 1 moves phase 1 -> 2 and flag 0 moves phase 1 or
 * 2 -> 3 (-> 0). Beacons with the old key change nothing. */
int mesh_subnet_kr_beacon(struct mesh_subnets *s, uint16_t net_idx, bool new_key,
			  bool kr_flag);

/* Keys to transmit with in the current phase. */
struct mesh_subnet_keys *mesh_subnet_tx_keys(struct mesh_subnet *sub);
/* True if tx uses the new key (phase 2). */
bool mesh_subnet_tx_new(const struct mesh_subnet *sub);
/* The old (new_key false) or new key, or NULL when that key is not
 * accepted for receiving in the current phase. */
struct mesh_subnet_keys *mesh_subnet_rx_keys(struct mesh_subnet *sub, bool new_key);

#endif
