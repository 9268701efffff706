/* IV index state and IV Update / IV Index Recovery rules (see iv_index.h). */
#include "iv_index.h"

#include <string.h>

#include "err.h"

void mesh_iv_init(struct mesh_iv *iv, uint32_t index, bool update, uint64_t now_ms,
		  mesh_iv_change_fn on_change, void *user)
{
	memset(iv, 0, sizeof(*iv));
	/* index 0 cannot be "in progress": there is no index - 1 to send with */
	iv->index = index;
	iv->update = update && index > 0;
	iv->state_ms = now_ms;
	iv->on_change = on_change;
	iv->user = user;
}

void mesh_iv_set_test_mode(struct mesh_iv *iv, bool on)
{
	iv->test_mode = on;
}

int mesh_iv_rx_index(const struct mesh_iv *iv, uint8_t ivi, uint32_t *index)
{
	if ((iv->index & 1) == (ivi & 1u)) {
		*index = iv->index;
		return 0;
	}
	if (iv->index == 0)
		return MESH_ERR_IV_INDEX;
	*index = iv->index - 1;
	return 0;
}

static bool span_elapsed(uint64_t since, uint64_t span, uint64_t now)
{
	return now >= since && now - since >= span;
}

static bool iv_elapsed(const struct mesh_iv *iv, uint64_t since, uint64_t span, uint64_t now)
{
	return iv->test_mode || span_elapsed(since, span, now);
}

/*
 * Enter (index, update). The owner persists it from on_change; if it
 * cannot, we stay where we were, since running ahead of what a restart
 * would load is how a crash ends up reusing SEQ (see iv_index.h). prev is
 * the whole state from before the caller's own bookkeeping (pending,
 * recovery), so that is undone too.
 */
static int iv_set(struct mesh_iv *iv, const struct mesh_iv *prev, uint32_t index,
		  bool update, uint64_t now_ms)
{
	int err;

	iv->index = index;
	iv->update = update;
	iv->state_ms = now_ms;
	if (!iv->on_change)
		return 0;
	err = iv->on_change(iv->user, iv);
	if (err) {
		*iv = *prev;
		return err < 0 ? err : MESH_ERR_IO;
	}
	return 0;
}

static int iv_start_update(struct mesh_iv *iv, uint64_t now_ms)
{
	struct mesh_iv prev = *iv;
	int err;

	iv->pending = false;
	err = iv_set(iv, &prev, iv->index + 1, true, now_ms);
	/* still wanted: mesh_iv_tick() tries again */
	if (err)
		iv->pending = true;
	return err;
}

static int iv_recover(struct mesh_iv *iv, uint32_t index, bool update, uint64_t now_ms)
{
	struct mesh_iv prev = *iv;

	if (iv->recovered && !iv_elapsed(iv, iv->recovery_ms, MESH_IV_RECOVERY_GAP_MS, now_ms))
		return MESH_ERR_IV_INDEX;
	iv->recovered = true;
	iv->recovery_ms = now_ms;
	iv->pending = false;
	return iv_set(iv, &prev, index, update, now_ms);
}

static int iv_end_update(struct mesh_iv *iv, uint64_t now_ms)
{
	struct mesh_iv prev = *iv;

	return iv_set(iv, &prev, iv->index, false, now_ms);
}

static int iv_beacon_normal(struct mesh_iv *iv, uint32_t index, bool update, uint64_t now_ms)
{
	uint32_t ahead = index - iv->index;

	if (index == iv->index)
		return 0; /* flag set means the sender lags behind us: ignore */
	if (index < iv->index || ahead > MESH_IV_RECOVERY_MAX)
		return MESH_ERR_IV_INDEX;
	if (ahead == 1 && update) {
		if (!iv_elapsed(iv, iv->state_ms, MESH_IV_MIN_STATE_MS, now_ms))
			return MESH_ERR_BUSY;
		return iv_start_update(iv, now_ms);
	}
	/* we missed at least one whole procedure */
	return iv_recover(iv, index, update, now_ms);
}

static int iv_beacon_update(struct mesh_iv *iv, uint32_t index, bool update, uint64_t now_ms)
{
	uint32_t ahead = index - iv->index;

	if (index < iv->index || ahead > MESH_IV_RECOVERY_MAX)
		return MESH_ERR_IV_INDEX;
	/* 3.10.6 applies in this state too: the network finished our update
	 * (and maybe more) while we did not hear it. */
	if (ahead > 0)
		return iv_recover(iv, index, update, now_ms);
	if (update)
		return 0;
	if (!iv_elapsed(iv, iv->state_ms, MESH_IV_MIN_STATE_MS, now_ms))
		return MESH_ERR_BUSY;
	return iv_end_update(iv, now_ms);
}

int mesh_iv_beacon(struct mesh_iv *iv, uint32_t index, bool update, uint64_t now_ms)
{
	if (iv->update)
		return iv_beacon_update(iv, index, update, now_ms);
	return iv_beacon_normal(iv, index, update, now_ms);
}

int mesh_iv_request_update(struct mesh_iv *iv, uint64_t now_ms)
{
	if (iv->update)
		return 0;
	if (iv->index == UINT32_MAX)
		return MESH_ERR_IV_INDEX;
	if (iv_elapsed(iv, iv->state_ms, MESH_IV_MIN_STATE_MS, now_ms))
		return iv_start_update(iv, now_ms);
	iv->pending = true;
	return 0;
}

int mesh_iv_tick(struct mesh_iv *iv, uint64_t now_ms)
{
	if (!iv->update) {
		if (iv->pending && iv->index < UINT32_MAX &&
		    span_elapsed(iv->state_ms, MESH_IV_MIN_STATE_MS, now_ms))
			return iv_start_update(iv, now_ms);
		return 0;
	}
	/* The spec allows 96 to 144 h; leave as early as allowed, since every
	 * hour in progress spends SEQ of the old index. */
	if (span_elapsed(iv->state_ms, MESH_IV_MIN_STATE_MS, now_ms))
		return iv_end_update(iv, now_ms);
	return 0;
}
