/*
 * Replay protection list (see rpl.h).
 *
 * When full, new sources are refused with MESH_ERR_FULL instead of evicting
 * an old entry: evicting would forget the SEQ of that source, and an attacker
 * could then flood the list with fresh addresses and replay anything the
 * evicted source ever sent. 3.8.8 makes the same choice: a node that cannot
 * store a new source shall discard its messages. The price is that whoever
 * can make the list accept MESH_RPL_MAX sources (see stack.h for who can)
 * keeps further new sources out until entries are pruned or removed.
 *
 * Lookup goes through a small open-addressing index (linear probing over
 * twice the capacity) instead of a scan of the table: the receive path
 * checks every PDU and records every accepted one, and at 100 sources the
 * two scans were the largest cost after the AES work. Insertions only
 * append; the rare removals (prune, remove, clear) rebuild the index, which
 * keeps it free of tombstones.
 */
#include "rpl.h"

#include <string.h>

#include "addr.h"
#include "err.h"

_Static_assert(MESH_RPL_MAX < 65536, "index slots hold position + 1 in a uint16_t");
_Static_assert(MESH_RPL_INDEX_SIZE == 2 * MESH_RPL_MAX,
	       "half the index stays empty, so every probe run ends");

#define INDEX_MASK (MESH_RPL_INDEX_SIZE - 1)
#define SEQ_MAX 0xffffffu
#define SEQAUTH_LIMIT ((uint64_t)1 << 56)

void mesh_rpl_init(struct mesh_rpl *rpl, mesh_rpl_store_fn store, void *user)
{
	memset(rpl, 0, sizeof(*rpl));
	rpl->store = store;
	rpl->user = user;
}

const struct mesh_rpl_entry *mesh_rpl_entries(const struct mesh_rpl *rpl, size_t *n)
{
	*n = rpl->count;
	return rpl->entry;
}

/* Fibonacci hashing: unicast addresses are often handed out consecutively,
 * and the multiply spreads such runs over the whole index. */
static size_t rpl_hash(uint16_t src)
{
	return ((uint32_t)src * 0x9e3779b1u) >> (32 - MESH_RPL_INDEX_BITS);
}

/* Index slot holding src, or the empty slot where it would go. */
static size_t rpl_slot(const struct mesh_rpl *rpl, uint16_t src)
{
	size_t i = rpl_hash(src);

	/* Never more than MESH_RPL_MAX slots used: an empty one exists. */
	while (rpl->index[i] && rpl->entry[rpl->index[i] - 1].src != src)
		i = (i + 1) & INDEX_MASK;
	return i;
}

static struct mesh_rpl_entry *rpl_lookup(const struct mesh_rpl *rpl, uint16_t src)
{
	uint16_t pos = rpl->index[rpl_slot(rpl, src)];

	return pos ? (struct mesh_rpl_entry *)&rpl->entry[pos - 1] : NULL;
}

static void rpl_reindex(struct mesh_rpl *rpl)
{
	memset(rpl->index, 0, sizeof(rpl->index));
	for (size_t i = 0; i < rpl->count; i++)
		rpl->index[rpl_slot(rpl, rpl->entry[i].src)] = (uint16_t)(i + 1);
}

const struct mesh_rpl_entry *mesh_rpl_find(const struct mesh_rpl *rpl, uint16_t src)
{
	return rpl_lookup(rpl, src);
}

static bool rpl_entry_valid(const struct mesh_rpl_entry *e)
{
	if (!mesh_addr_is_unicast(e->src) || e->seq > SEQ_MAX)
		return false;
	return e->has_seg ? e->seg_seq_auth < SEQAUTH_LIMIT : e->seg_seq_auth == 0;
}

int mesh_rpl_load(struct mesh_rpl *rpl, const struct mesh_rpl_entry *entries, size_t n)
{
	if (n > MESH_RPL_MAX)
		return MESH_ERR_FULL;
	rpl->count = 0;
	memset(rpl->index, 0, sizeof(rpl->index));
	for (size_t i = 0; i < n; i++) {
		size_t slot = rpl_slot(rpl, entries[i].src);

		if (!rpl_entry_valid(&entries[i]) || rpl->index[slot]) {
			rpl->count = 0;
			memset(rpl->index, 0, sizeof(rpl->index));
			return MESH_ERR_INVAL;
		}
		rpl->entry[rpl->count++] = entries[i];
		rpl->index[slot] = (uint16_t)rpl->count;
	}
	return 0;
}

/*
 * The whole check, on an entry already looked up (NULL: unknown source).
 * seg: the PDU belongs to a segmented message with SeqAuth seq_auth.
 */
static int rpl_check(const struct mesh_rpl *rpl, const struct mesh_rpl_entry *e,
		     uint16_t src, uint32_t iv_index, uint32_t seq, bool seg, uint64_t seq_auth)
{
	if (!mesh_addr_is_unicast(src) || seq > SEQ_MAX)
		return MESH_ERR_INVAL;
	if (!e)
		return rpl->count < MESH_RPL_MAX ? 0 : MESH_ERR_FULL;
	if (mesh_seq_auth(iv_index, seq) <= mesh_seq_auth(e->iv_index, e->seq))
		return MESH_ERR_REPLAY;
	/* 3.5.3.4: older than the previous segmented message from src. */
	if (seg && e->has_seg && seq_auth < e->seg_seq_auth)
		return MESH_ERR_REPLAY;
	return 0;
}

static int rpl_accept(struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index, uint32_t seq,
		      bool seg, uint64_t seq_auth)
{
	size_t slot = rpl_slot(rpl, src);
	struct mesh_rpl_entry *e = rpl->index[slot] ? &rpl->entry[rpl->index[slot] - 1] : NULL;
	int err = rpl_check(rpl, e, src, iv_index, seq, seg, seq_auth);

	if (err)
		return err;
	if (!e) {
		e = &rpl->entry[rpl->count++];
		memset(e, 0, sizeof(*e));
		e->src = src;
		rpl->index[slot] = (uint16_t)rpl->count;
	}
	e->iv_index = iv_index;
	e->seq = seq;
	if (seg && (!e->has_seg || seq_auth > e->seg_seq_auth)) {
		e->has_seg = true;
		e->seg_seq_auth = seq_auth;
	}
	if (rpl->store)
		rpl->store(rpl->user, e, false);
	return 0;
}

int mesh_rpl_check_seg(const struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index,
		       uint32_t seq, uint64_t seq_auth)
{
	return rpl_check(rpl, rpl_lookup(rpl, src), src, iv_index, seq, true, seq_auth);
}

int mesh_rpl_accept_seg(struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index,
			uint32_t seq, uint64_t seq_auth)
{
	return rpl_accept(rpl, src, iv_index, seq, true, seq_auth);
}

int mesh_rpl_check(const struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index, uint32_t seq)
{
	return rpl_check(rpl, rpl_lookup(rpl, src), src, iv_index, seq, false, 0);
}

int mesh_rpl_accept(struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index, uint32_t seq)
{
	return rpl_accept(rpl, src, iv_index, seq, false, 0);
}

/* Remove entry i by moving the last one into its place; the caller
 * rebuilds the index. */
static void rpl_remove_at(struct mesh_rpl *rpl, size_t i)
{
	struct mesh_rpl_entry gone = rpl->entry[i];

	rpl->entry[i] = rpl->entry[--rpl->count];
	if (rpl->store)
		rpl->store(rpl->user, &gone, true);
}

int mesh_rpl_remove(struct mesh_rpl *rpl, uint16_t src)
{
	const struct mesh_rpl_entry *e;

	if (!mesh_addr_is_unicast(src))
		return MESH_ERR_INVAL;
	e = rpl_lookup(rpl, src);
	if (!e)
		return MESH_ERR_NOT_FOUND;
	rpl_remove_at(rpl, (size_t)(e - rpl->entry));
	rpl_reindex(rpl);
	return 0;
}

void mesh_rpl_prune(struct mesh_rpl *rpl, uint32_t iv_index)
{
	size_t i = 0, before = rpl->count;

	if (iv_index == 0)
		return;
	while (i < rpl->count) {
		if (rpl->entry[i].iv_index < iv_index - 1)
			rpl_remove_at(rpl, i);
		else
			i++;
	}
	if (rpl->count != before)
		rpl_reindex(rpl);
}

void mesh_rpl_clear(struct mesh_rpl *rpl)
{
	while (rpl->count)
		rpl_remove_at(rpl, rpl->count - 1);
	memset(rpl->index, 0, sizeof(rpl->index));
}
