/*
 * Sequence numbers of one source element (Mesh Profile 3.4.4.6, 3.8.3.3).
 *
 * SEQ is 24 bits and must never repeat for a source within one IV index,
 * not even across a crash. Writing every SEQ to flash is too slow, so the
 * counter reserves blocks: before handing out a number at or above the
 * persisted limit it asks the store callback to persist a new limit, and
 * only then hands it out. After a crash the node restarts from the stored
 * limit (mesh_seq_load()), skipping at most one block, never reusing.
 *
 * When a SEQ at or above the threshold is handed out, the threshold callback
 * runs once, so the IV Update procedure (iv_index.h) can be initiated while
 * enough numbers remain to last through it.
 */
#ifndef MESH_SEQ_H
#define MESH_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/*
 * 3.10.5 lets a node initiate IV Update only after 96 hours in Normal
 * Operation and then keeps it sending with the old IV index for 96 to 144
 * more hours, so up to 240 hours can pass between asking for an update and
 * getting SEQ back to 0. The last quarter of the space (4194304 numbers)
 * covers that window at ~4.8 PDUs per second sustained, well above what a
 * gateway element sends; the spec leaves the exact point to the node.
 */
#define MESH_SEQ_IV_THRESHOLD 0xc00000u
#define MESH_SEQ_LIMIT 0x1000000u /* first value that is not a SEQ */

/* Persist "numbers below limit may have been used". Nonzero = failed. */
typedef int (*mesh_seq_store_fn)(void *user, uint32_t limit);
typedef void (*mesh_seq_threshold_fn)(void *user, uint32_t seq);

struct mesh_seq {
	uint32_t next;      /* next SEQ to hand out */
	uint32_t reserved;  /* persisted limit: next < reserved is safe */
	uint32_t block;     /* numbers reserved per store */
	uint32_t threshold;
	bool threshold_signalled;
	mesh_seq_store_fn store;
	mesh_seq_threshold_fn on_threshold;
	void *user;
};

/* block >= 1; store is required; on_threshold may be NULL. Starts at 0. */
int mesh_seq_init(struct mesh_seq *s, uint32_t block, mesh_seq_store_fn store,
		  mesh_seq_threshold_fn on_threshold, void *user);
/* Restart from a persisted limit: the first SEQ handed out will be limit. */
int mesh_seq_load(struct mesh_seq *s, uint32_t limit);
/* Next SEQ, persisting a new block first when needed. MESH_ERR_IO if the
 * store failed (nothing handed out), MESH_ERR_SEQ_EXHAUSTED after 0xffffff. */
int mesh_seq_next(struct mesh_seq *s, uint32_t *seq);
/* The IV index used for transmission changed (and is already persisted):
 * start again from 0. */
int mesh_seq_reset(struct mesh_seq *s);
/* The value mesh_seq_next() would return, without reserving it. */
static inline uint32_t mesh_seq_peek(const struct mesh_seq *s)
{
	return s->next;
}

#endif
