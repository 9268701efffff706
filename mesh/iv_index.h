/*
 * IV index and the IV Update procedure (Mesh Profile 3.10.5, 3.10.6).
 *
 * State model, the same one the secure network beacon carries:
 *   index   the IV index in our beacons ("current"),
 *   update  the IV Update flag: false = Normal Operation,
 *           true = IV Update in Progress.
 *
 *                  Normal (index = n)     In Progress (index = n+1)
 *   transmit with  n                      n     (= index - 1)
 *   accept         n-1, n                 n, n+1
 *
 * so in both states a received PDU's IVI bit selects index when it equals
 * index's low bit, else index - 1. Leaving In Progress for Normal keeps
 * index and moves transmission to it, which is when SEQ restarts at 0.
 *
 * Transitions (time is the caller's monotonic ms, never the wall clock):
 *   Normal -> In Progress: we initiate (mesh_iv_request_update(), e.g. when
 *     SEQ crosses its threshold) or a beacon shows index+1 with the flag
 *     set; only after 96 h in Normal.
 *   In Progress -> Normal: a beacon shows index with the flag clear, or
 *     mesh_iv_tick() once 96 h have passed (the spec allows 96..144 h; we
 *     leave as early as allowed, every hour longer spends old-index SEQ).
 *   Both transitions need 96 h in the state being left.
 *   Recovery (3.10.6): a beacon whose index is higher than ours adopts its
 *     index and flag at once, at most once per 192 h. 3.10.6 asks for this
 *     in either state: a node in progress that missed the end of the
 *     update (and maybe more) must not wait out its 96 h first. In Normal
 *     that is index+2..index+42, or index+1 with the flag clear (index+1
 *     with the flag set is the ordinary update above); in progress it is
 *     index+1..index+42.
 * Beacons with an older index or beyond +42 are ignored (3.10.5). IV Update
 * test mode (3.10.5.1) waives the durations for beacon- and request-driven
 * transitions; mesh_iv_tick() always keeps real time.
 *
 * Persistence: every change goes through on_change before it counts. If
 * the callback cannot persist it, the previous state is restored, so what
 * a restart finds on flash is never behind the state we transmit with
 * (see on_change below).
 */
#ifndef MESH_IV_INDEX_H
#define MESH_IV_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#define MESH_IV_HOUR_MS (3600u * 1000u)
#define MESH_IV_MIN_STATE_MS (96ull * MESH_IV_HOUR_MS)
#define MESH_IV_RECOVERY_GAP_MS (192ull * MESH_IV_HOUR_MS)
#define MESH_IV_RECOVERY_MAX 42

struct mesh_iv;
/*
 * Told after every change of index or flag, with iv already in the new
 * state. The callback must, in this order: persist the new index and flag;
 * only then, if mesh_iv_tx_index() changed, restart SEQ at 0 (persisted);
 * then prune the RPL. Restarting SEQ first would let a crash bring the node
 * back on the old transmit IV index with SEQ 0, repeating nonces (3.8.3,
 * 3.10.5). Return 0 once that is done, or a negative enum mesh_err if
 * either write failed: the change is then undone (iv back to its previous
 * state, SEQ left counting on, which is safe) and the function that
 * attempted it returns that error; the transition is tried again by the
 * next beacon, request or tick.
 */
typedef int (*mesh_iv_change_fn)(void *user, const struct mesh_iv *iv);

struct mesh_iv {
	uint32_t index;
	bool update;
	bool test_mode;
	bool pending;        /* update requested but not yet allowed */
	bool recovered;      /* a recovery happened at recovery_ms */
	uint64_t state_ms;   /* when the current state was entered */
	uint64_t recovery_ms;
	mesh_iv_change_fn on_change;
	void *user;
};

/* Start in the given state, entered at now_ms. on_change may be NULL. */
void mesh_iv_init(struct mesh_iv *iv, uint32_t index, bool update, uint64_t now_ms,
		  mesh_iv_change_fn on_change, void *user);
void mesh_iv_set_test_mode(struct mesh_iv *iv, bool on);

/* The IV index to transmit with. */
static inline uint32_t mesh_iv_tx_index(const struct mesh_iv *iv)
{
	return iv->update ? iv->index - 1 : iv->index;
}

/* Full IV index of a received PDU from its IVI bit; MESH_ERR_IV_INDEX if
 * that would be below 0. */
int mesh_iv_rx_index(const struct mesh_iv *iv, uint8_t ivi, uint32_t *index);

/*
 * An authenticated secure network beacon of the primary subnet said
 * (index, update). 0 if the beacon is consistent with our state (whether or
 * not it changed it), MESH_ERR_IV_INDEX if it must be ignored (older, too
 * far ahead, recovery too soon), MESH_ERR_BUSY if it asks for a transition
 * that the 96-hour minimum does not allow yet, or on_change's error.
 */
int mesh_iv_beacon(struct mesh_iv *iv, uint32_t index, bool update, uint64_t now_ms);

/* SEQ is running out: start IV Update now if allowed, else as soon as
 * mesh_iv_tick() finds it allowed. MESH_ERR_IV_INDEX at index 0xffffffff;
 * on_change's error (the update then stays pending for mesh_iv_tick()). */
int mesh_iv_request_update(struct mesh_iv *iv, uint64_t now_ms);

/* Time-driven transitions: a pending update starts and an update in
 * progress ends once their 96 h have passed. 0, or on_change's error. The
 * next transition is due at state_ms + MESH_IV_MIN_STATE_MS when update or
 * pending is set; nothing is due otherwise. */
int mesh_iv_tick(struct mesh_iv *iv, uint64_t now_ms);

#endif
