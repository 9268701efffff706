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
 *   Recovery (3.10.6), from Normal only: a beacon with index+2..index+42,
 *     or index+1 with the flag clear, adopts the beacon's index and flag at
 *     once, at most once per 192 h.
 * Beacons with an older index or beyond +42 are ignored. IV Update test
 * mode (3.10.5.1) waives the durations for beacon- and request-driven
 * transitions; mesh_iv_tick() always keeps real time.
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
/* Told after every change of index or flag (persist it, then reset SEQ if
 * mesh_iv_tx_index() changed, prune the RPL). */
typedef void (*mesh_iv_change_fn)(void *user, const struct mesh_iv *iv);

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
 * that the 96-hour minimum does not allow yet.
 */
int mesh_iv_beacon(struct mesh_iv *iv, uint32_t index, bool update, uint64_t now_ms);

/* SEQ is running out: start IV Update now if allowed, else as soon as
 * mesh_iv_tick() finds it allowed. MESH_ERR_IV_INDEX at index 0xffffffff. */
int mesh_iv_request_update(struct mesh_iv *iv, uint64_t now_ms);

/* Time-driven transitions; call at least hourly. */
void mesh_iv_tick(struct mesh_iv *iv, uint64_t now_ms);

#endif
