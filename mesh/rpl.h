/*
 * Replay protection list (Mesh Protocol 1.1 3.8.8): for every source
 * address the newest SEQ and IV index accepted, so a captured message
 * replayed later is dropped before the upper transport decrypts it.
 *
 * Values are compared as 56-bit (IV index << 24 | SEQ), the form SeqAuth
 * takes in 3.5.3.1: a PDU is new if its value is greater than the stored
 * one, i.e. a greater IV index, or the same IV index with a greater SEQ.
 *
 * Segmented messages are also checked against the SeqAuth of the previous
 * *segmented* message from that source (3.5.3.4), which the entry keeps
 * apart from the last SEQ: an unsegmented message sent while a segmented
 * one is still in flight has a greater SEQ than the latter's SeqAuth, and
 * must not make its remaining segments look old. A segment is accepted
 * only if its own SEQ is new and its SeqAuth is not older than that of the
 * previous segmented message, so segments of an older message cannot be
 * slipped in with fresh SEQs.
 *
 * The table is bounded and never evicts (see rpl.c): a new source is
 * refused with MESH_ERR_FULL while it is full. An index over the source
 * addresses makes every lookup O(1). A store callback hears about every
 * change so a persistence layer can write entries through; mesh_rpl_load()
 * restores them at start.
 */
#ifndef MESH_RPL_H
#define MESH_RPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sources remembered: every element that ever sends to the gateway (a
 * four-button switch is four), other provisioners, forgers (stack.h).
 * Homes stay well below this; the gateway's state file holds as many. */
#define MESH_RPL_INDEX_BITS 11
#define MESH_RPL_MAX (1 << (MESH_RPL_INDEX_BITS - 1))

/* What persistence stores and mesh_rpl_load() takes back, field by field. */
struct mesh_rpl_entry {
	uint16_t src;
	bool has_seg;           /* a segmented message was accepted from src */
	uint32_t iv_index;      /* of the newest accepted PDU, either kind */
	uint32_t seq;           /* of the newest accepted PDU, either kind */
	/* SeqAuth (IV index << 24 | SEQ) of the newest accepted segmented
	 * message; 0 unless has_seg. */
	uint64_t seg_seq_auth;
};

/* Called after an entry was added or changed (removed = false) or dropped. */
typedef void (*mesh_rpl_store_fn)(void *user, const struct mesh_rpl_entry *e, bool removed);

/* Open addressing over twice the capacity keeps probe runs short. */
#define MESH_RPL_INDEX_SIZE (1 << MESH_RPL_INDEX_BITS)

struct mesh_rpl {
	struct mesh_rpl_entry entry[MESH_RPL_MAX];
	size_t count;
	/* entry position + 1 by hash of src; 0 = empty slot. Internal. */
	uint16_t index[MESH_RPL_INDEX_SIZE];
	mesh_rpl_store_fn store;
	void *user;
};

static inline uint64_t mesh_seq_auth(uint32_t iv_index, uint32_t seq)
{
	return (uint64_t)iv_index << 24 | (seq & 0xffffff);
}

void mesh_rpl_init(struct mesh_rpl *rpl, mesh_rpl_store_fn store, void *user);
/* Every entry, for persistence: *n of them, valid until the next change. */
const struct mesh_rpl_entry *mesh_rpl_entries(const struct mesh_rpl *rpl, size_t *n);
/* Replace the table with stored entries (no store callbacks). MESH_ERR_FULL
 * if n exceeds the capacity, MESH_ERR_INVAL for a non-unicast or repeated
 * src or a field out of range; the table is then empty. */
int mesh_rpl_load(struct mesh_rpl *rpl, const struct mesh_rpl_entry *entries, size_t n);

/* Unsegmented PDU: 0 if new, MESH_ERR_REPLAY, MESH_ERR_FULL for an unknown
 * source when the table has no room, MESH_ERR_INVAL for a non-unicast src
 * or a SEQ above 24 bits. check does not record; accept records iv_index
 * and seq and leaves the segmented SeqAuth alone. */
int mesh_rpl_check(const struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index, uint32_t seq);
int mesh_rpl_accept(struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index, uint32_t seq);

/* PDU (seq) of a segmented message whose SeqAuth is seq_auth (see
 * mesh_seq_auth()): also MESH_ERR_REPLAY if seq_auth is older than the
 * previous segmented message's. accept records seq and raises the
 * segmented SeqAuth to seq_auth. */
int mesh_rpl_check_seg(const struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index,
		       uint32_t seq, uint64_t seq_auth);
int mesh_rpl_accept_seg(struct mesh_rpl *rpl, uint16_t src, uint32_t iv_index,
			uint32_t seq, uint64_t seq_auth);

const struct mesh_rpl_entry *mesh_rpl_find(const struct mesh_rpl *rpl, uint16_t src);

/*
 * Forget src (store hears removed = true): for a node that was reset and
 * provisioned again at the same address, whose SEQ starts again at 0 and
 * would otherwise be refused as replayed. Only for addresses the caller
 * knows were reassigned: the entry was what kept old messages of src out.
 * MESH_ERR_NOT_FOUND if src has no entry, MESH_ERR_INVAL if not unicast.
 */
int mesh_rpl_remove(struct mesh_rpl *rpl, uint16_t src);

/*
 * After the IV index became iv_index (Normal Operation, 3.10.5), drop the
 * entries last seen at an IV index below iv_index - 1: no such source can
 * send with that IV index any more, so they only occupy room.
 */
void mesh_rpl_prune(struct mesh_rpl *rpl, uint32_t iv_index);

/* Forget everything (node reset); tells the store about each entry. */
void mesh_rpl_clear(struct mesh_rpl *rpl);

#endif
