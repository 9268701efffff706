/*
 * Replay protection list (see rpl.h).
 *
 * When full, new sources are refused with MESH_ERR_FULL instead of evicting
 * an old entry: evicting would forget the SEQ of that source, and an attacker
 * could then flood the list with fresh addresses and replay anything the
 * evicted source ever sent. 3.8.8 makes the same choice: a node that cannot
 * store a new source shall discard its messages.
 *
 * Lookup is a linear scan; at MESH_RPL_MAX entries of 20 octets that is a
 * few cache lines and runs only after the NetMIC authenticated the PDU.
 */
#include "rpl.h"

#include <string.h>

#include "addr.h"
#include "err.h"

void mesh_rpl_init(struct mesh_rpl *rpl, mesh_rpl_store_fn store, void *user)
{
	memset(rpl, 0, sizeof(*rpl));
	rpl->store = store;
	rpl->user = user;
}

static struct mesh_rpl_entry *rpl_lookup(const struct mesh_rpl *rpl, uint16_t src)
{
	for (size_t i = 0; i < rpl->count; i++)
		if (rpl->entry[i].src == src)
			return (struct mesh_rpl_entry *)&rpl->entry[i];
	return NULL;
}

const struct mesh_rpl_entry *mesh_rpl_find(const struct mesh_rpl *rpl, uint16_t src)
{
	return rpl_lookup(rpl, src);
}

int mesh_rpl_load(struct mesh_rpl *rpl, const struct mesh_rpl_entry *entries, size_t n)
{
	if (n > MESH_RPL_MAX)
		return MESH_ERR_FULL;
	rpl->count = 0;
	for (size_t i = 0; i < n; i++) {
		if (!mesh_addr_is_unicast(entries[i].src) || rpl_lookup(rpl, entries[i].src)) {
			rpl->count = 0;
			return MESH_ERR_INVAL;
		}
		rpl->entry[rpl->count++] = entries[i];
	}
	return 0;
}

int mesh_rpl_check_seg(const struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index,
		       uint32_t seq, uint64_t seq_auth)
{
	const struct mesh_rpl_entry *e;

	if (!mesh_addr_is_unicast(src) || seq > 0xffffff)
		return MESH_ERR_INVAL;
	e = rpl_lookup(rpl, src);
	if (!e)
		return rpl->count < MESH_RPL_MAX ? 0 : MESH_ERR_FULL;
	if (mesh_seq_auth(iv_index, seq) <= mesh_seq_auth(e->iv_index, e->seq))
		return MESH_ERR_REPLAY;
	if (seq_auth < e->seq_auth)
		return MESH_ERR_REPLAY;
	return 0;
}

int mesh_rpl_accept_seg(struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index,
			uint32_t seq, uint64_t seq_auth)
{
	struct mesh_rpl_entry *e;
	int err = mesh_rpl_check_seg(rpl, src, iv_index, seq, seq_auth);

	if (err)
		return err;
	e = rpl_lookup(rpl, src);
	if (!e) {
		e = &rpl->entry[rpl->count++];
		e->src = src;
		e->seq_auth = 0;
	}
	e->iv_index = iv_index;
	e->seq = seq;
	if (seq_auth > e->seq_auth)
		e->seq_auth = seq_auth;
	if (rpl->store)
		rpl->store(rpl->user, e, false);
	return 0;
}

int mesh_rpl_check(const struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index, uint32_t seq)
{
	/* An unsegmented message is its own SeqAuth. */
	return mesh_rpl_check_seg(rpl, src, iv_index, seq, mesh_seq_auth(iv_index, seq));
}

int mesh_rpl_accept(struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index, uint32_t seq)
{
	return mesh_rpl_accept_seg(rpl, src, iv_index, seq, mesh_seq_auth(iv_index, seq));
}

/* Remove entry i by moving the last one into its place. */
static void rpl_remove(struct mesh_rpl *rpl, size_t i)
{
	struct mesh_rpl_entry gone = rpl->entry[i];

	rpl->entry[i] = rpl->entry[--rpl->count];
	if (rpl->store)
		rpl->store(rpl->user, &gone, true);
}

void mesh_rpl_prune(struct mesh_rpl *rpl, uint32_t iv_index)
{
	size_t i = 0;

	if (iv_index == 0)
		return;
	while (i < rpl->count) {
		if (rpl->entry[i].iv_index < iv_index - 1)
			rpl_remove(rpl, i);
		else
			i++;
	}
}

void mesh_rpl_clear(struct mesh_rpl *rpl)
{
	while (rpl->count)
		rpl_remove(rpl, rpl->count - 1);
}
