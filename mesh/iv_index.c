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

static void iv_set(struct mesh_iv *iv, uint32_t index, bool update, uint64_t now_ms)
{
	iv->index = index;
	iv->update = update;
	iv->state_ms = now_ms;
	if (iv->on_change)
		iv->on_change(iv->user, iv);
}

static void iv_start_update(struct mesh_iv *iv, uint64_t now_ms)
{
	iv->pending = false;
	iv_set(iv, iv->index + 1, true, now_ms);
}

static int iv_recover(struct mesh_iv *iv, uint32_t index, bool update, uint64_t now_ms)
{
	if (iv->recovered && !iv_elapsed(iv, iv->recovery_ms, MESH_IV_RECOVERY_GAP_MS, now_ms))
		return MESH_ERR_IV_INDEX;
	iv->recovered = true;
	iv->recovery_ms = now_ms;
	iv->pending = false;
	iv_set(iv, index, update, now_ms);
	return 0;
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
		iv_start_update(iv, now_ms);
		return 0;
	}
	/* we missed at least one whole procedure */
	return iv_recover(iv, index, update, now_ms);
}

static int iv_beacon_update(struct mesh_iv *iv, uint32_t index, bool update, uint64_t now_ms)
{
	if (index != iv->index)
		return MESH_ERR_IV_INDEX;
	if (update)
		return 0;
	if (!iv_elapsed(iv, iv->state_ms, MESH_IV_MIN_STATE_MS, now_ms))
		return MESH_ERR_BUSY;
	iv_set(iv, iv->index, false, now_ms);
	return 0;
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
		iv_start_update(iv, now_ms);
	else
		iv->pending = true;
	return 0;
}

void mesh_iv_tick(struct mesh_iv *iv, uint64_t now_ms)
{
	if (!iv->update) {
		if (iv->pending && iv->index < UINT32_MAX &&
		    span_elapsed(iv->state_ms, MESH_IV_MIN_STATE_MS, now_ms))
			iv_start_update(iv, now_ms);
		return;
	}
	/* The spec allows 96 to 144 h; leave as early as allowed, since every
	 * hour in progress spends SEQ of the old index. */
	if (span_elapsed(iv->state_ms, MESH_IV_MIN_STATE_MS, now_ms))
		iv_set(iv, iv->index, false, now_ms);
}
