/*
 * Replay protection list (Mesh Profile 3.8.8): for every source address the
 * newest SEQ and IV index seen, so a captured message replayed later is
 * dropped before the upper transport decrypts it.
 *
 * Values are compared as 56-bit (IV index << 24 | SEQ), the form SeqAuth
 * takes in 3.5.3.1: a PDU is new if its value is greater than the stored
 * one, i.e. a greater IV index, or the same IV index with a greater SEQ.
 * Segmented messages additionally carry SeqAuth (the SEQ of their first
 * segment): a segment is accepted only if its own SEQ is new and its SeqAuth
 * is not older than the newest message already started from that source,
 * so segments of an older message cannot be slipped in with fresh SEQs.
 *
 * The table is bounded and never evicts (see rpl.c). A store callback hears
 * about every change so a persistence layer can write entries through;
 * mesh_rpl_load() restores them at start.
 */
#ifndef MESH_RPL_H
#define MESH_RPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MESH_RPL_MAX 128

struct mesh_rpl_entry {
	uint16_t src;
	uint32_t iv_index;  /* of the newest accepted PDU */
	uint32_t seq;       /* of the newest accepted PDU */
	uint64_t seq_auth;  /* newest SeqAuth: IV index << 24 | SEQ */
};

/* Called after an entry was added or changed (removed = false) or dropped. */
typedef void (*mesh_rpl_store_fn)(void *user, const struct mesh_rpl_entry *e, bool removed);

struct mesh_rpl {
	struct mesh_rpl_entry entry[MESH_RPL_MAX];
	size_t count;
	mesh_rpl_store_fn store;
	void *user;
};

static inline uint64_t mesh_seq_auth(uint32_t iv_index, uint32_t seq)
{
	return (uint64_t)iv_index << 24 | (seq & 0xffffff);
}

void mesh_rpl_init(struct mesh_rpl *rpl, mesh_rpl_store_fn store, void *user);
/* Replace the table with stored entries (no store callbacks). MESH_ERR_FULL
 * if n exceeds the capacity, MESH_ERR_INVAL for a non-unicast or repeated src. */
int mesh_rpl_load(struct mesh_rpl *rpl, const struct mesh_rpl_entry *entries, size_t n);

/* Unsegmented PDU: 0 if new, MESH_ERR_REPLAY, or MESH_ERR_FULL for an
 * unknown source when the table has no room. check does not record. */
int mesh_rpl_check(const struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index, uint32_t seq);
int mesh_rpl_accept(struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index, uint32_t seq);

/* Segment of a message whose SeqAuth is seq_auth (see mesh_seq_auth()). */
int mesh_rpl_check_seg(const struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index,
		       uint32_t seq, uint64_t seq_auth);
int mesh_rpl_accept_seg(struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index,
			uint32_t seq, uint64_t seq_auth);

const struct mesh_rpl_entry *mesh_rpl_find(const struct mesh_rpl *rpl, uint16_t src);

/*
 * After the IV index became iv_index (Normal Operation, 3.10.5), drop the
 * entries last seen at an IV index below iv_index - 1: no such source can
 * send with that IV index any more, so they only occupy room.
 */
void mesh_rpl_prune(struct mesh_rpl *rpl, uint32_t iv_index);

/* Forget everything (node reset); tells the store about each entry. */
void mesh_rpl_clear(struct mesh_rpl *rpl);

#endif
