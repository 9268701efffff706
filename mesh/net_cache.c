/* Network message cache: fixed ring + chained hash index (see net_cache.h). */
#include "net_cache.h"

#include "err.h"
#include "util.h"

_Static_assert((MESH_NET_CACHE_BUCKETS & (MESH_NET_CACHE_BUCKETS - 1)) == 0,
	       "bucket count must be a power of two");
_Static_assert(MESH_NET_CACHE_SIZE < INT16_MAX, "slot numbers are int16_t");

static uint32_t cache_hash(const struct mesh_net_cache *c, uint16_t src, uint32_t seq,
			   uint32_t iv_index)
{
	uint32_t h = c->seed ^ (src | seq << 16) ^ (seq >> 16) ^ iv_index * 0x9e3779b1u;

	/* murmur3 finalizer: spreads neighbouring SEQs over all buckets */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h & (MESH_NET_CACHE_BUCKETS - 1);
}

void mesh_net_cache_init(struct mesh_net_cache *c, uint32_t seed)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(c->bucket); i++)
		c->bucket[i] = -1;
	c->count = 0;
	c->next_slot = 0;
	c->seed = seed;
}

static bool entry_is(const struct mesh_net_cache_entry *e, uint16_t src, uint32_t seq,
		     uint32_t iv_index)
{
	return e->src == src && e->seq == seq && e->iv_index == iv_index;
}

bool mesh_net_cache_has(const struct mesh_net_cache *c, uint16_t src, uint32_t seq,
			uint32_t iv_index)
{
	int16_t i = c->bucket[cache_hash(c, src, seq, iv_index)];

	for (; i >= 0; i = c->entry[i].next)
		if (entry_is(&c->entry[i], src, seq, iv_index))
			return true;
	return false;
}

static void cache_unlink(struct mesh_net_cache *c, int16_t slot)
{
	const struct mesh_net_cache_entry *e = &c->entry[slot];
	int16_t *link = &c->bucket[cache_hash(c, e->src, e->seq, e->iv_index)];

	while (*link >= 0 && *link != slot)
		link = &c->entry[*link].next;
	if (*link == slot)
		*link = e->next;
}

void mesh_net_cache_add(struct mesh_net_cache *c, uint16_t src, uint32_t seq,
			uint32_t iv_index)
{
	int16_t slot = (int16_t)c->next_slot;
	struct mesh_net_cache_entry *e = &c->entry[slot];
	uint32_t b;

	if (c->count == MESH_NET_CACHE_SIZE)
		cache_unlink(c, slot);
	else
		c->count++;
	b = cache_hash(c, src, seq, iv_index);
	e->src = src;
	e->seq = seq;
	e->iv_index = iv_index;
	e->next = c->bucket[b];
	c->bucket[b] = slot;
	c->next_slot = (uint16_t)((c->next_slot + 1) % MESH_NET_CACHE_SIZE);
}

int mesh_net_cache_check_add(struct mesh_net_cache *c, uint16_t src, uint32_t seq,
			     uint32_t iv_index)
{
	if (mesh_net_cache_has(c, src, seq, iv_index))
		return MESH_ERR_CACHED;
	mesh_net_cache_add(c, src, seq, iv_index);
	return 0;
}
