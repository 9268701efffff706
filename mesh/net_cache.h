/*
 * Network message cache (Mesh Profile 3.4.6.5): remembers which network
 * PDUs were seen recently so duplicates (our own echoes, the same message
 * arriving over several relay paths) are neither processed nor relayed twice.
 *
 * A PDU is identified by SRC, SEQ and IV index, taken after the NetMIC has
 * authenticated it. Relays re-encrypt with TTL-1, which changes the NetMIC
 * and the obfuscated header, so a key over on-air bytes would miss the
 * relayed copies; SRC+SEQ+IV index stays the same on every hop and is unique
 * because a source never reuses a SEQ within an IV index. Keying on
 * authenticated fields also means nobody without the NetKey can insert an
 * entry that would shadow a genuine message.
 *
 * Fixed capacity: a ring of entries evicted oldest first, indexed by a hash
 * table of chained slot numbers. Nothing is allocated, so memory is bounded
 * whatever an attacker sends.
 */
#ifndef MESH_NET_CACHE_H
#define MESH_NET_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MESH_NET_CACHE_SIZE 128     /* entries remembered */
#define MESH_NET_CACHE_BUCKETS 256  /* power of two, load factor <= 0.5 */

struct mesh_net_cache_entry {
	uint32_t iv_index;
	uint32_t seq;
	uint16_t src;
	int16_t next; /* next slot in the same bucket, -1 ends the chain */
};

struct mesh_net_cache {
	struct mesh_net_cache_entry entry[MESH_NET_CACHE_SIZE];
	int16_t bucket[MESH_NET_CACHE_BUCKETS];
	uint16_t count;
	uint16_t next_slot; /* ring position: the oldest entry once full */
	uint32_t seed;
};

/* seed perturbs the hash; any value works, a random one is best. */
void mesh_net_cache_init(struct mesh_net_cache *c, uint32_t seed);
bool mesh_net_cache_has(const struct mesh_net_cache *c, uint16_t src, uint32_t seq,
			uint32_t iv_index);
/* Remember a PDU, evicting the oldest entry when full. */
void mesh_net_cache_add(struct mesh_net_cache *c, uint16_t src, uint32_t seq,
			uint32_t iv_index);
/* MESH_ERR_CACHED if seen before; otherwise remembers it and returns 0. */
int mesh_net_cache_check_add(struct mesh_net_cache *c, uint16_t src, uint32_t seq,
			     uint32_t iv_index);

#endif
