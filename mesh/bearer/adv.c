/*
 * Advertising data for the mesh advertising bearer (Mesh Profile 3.3.1,
 * Core Vol 3 Part C 11): checking a PDU to send, building the one AD
 * structure it travels in, and walking the AD structures of received
 * advertising data. Shared by every bearer backend and the simulator.
 */
#include <string.h>

#include "bearer.h"
#include "mesh/err.h"

static bool mesh_ad_type(uint8_t type)
{
	return type == MESH_AD_TYPE_PB_ADV || type == MESH_AD_TYPE_MESSAGE ||
	       type == MESH_AD_TYPE_BEACON;
}

int mesh_adv_tx_check(const struct mesh_adv_tx *tx)
{
	if (!mesh_ad_type(tx->ad_type))
		return MESH_ERR_INVAL;
	if (tx->len < 1 || tx->len > MESH_ADV_PAYLOAD_MAX)
		return MESH_ERR_INVAL;
	if (tx->count < 1)
		return MESH_ERR_INVAL;
	return 0;
}

/* Walk the structures; fn NULL only validates. */
static int ad_walk(const uint8_t *adv, size_t len, mesh_ad_fn fn, void *ctx)
{
	size_t off = 0;
	int n = 0;

	while (off < len) {
		size_t ad_len = adv[off];

		/* A zero length octet is where the padding starts. */
		if (ad_len == 0)
			break;
		if (len - off - 1 < ad_len)
			return MESH_ERR_TRUNCATED;
		if (fn)
			fn(ctx, adv[off + 1], adv + off + 2, ad_len - 1);
		off += 1 + ad_len;
		n++;
	}
	return n;
}

int mesh_ad_foreach(const uint8_t *adv, size_t len, mesh_ad_fn fn, void *ctx)
{
	/* Validate everything before the first callback, so a truncated
	 * tail never lets its earlier structures through. */
	int n = ad_walk(adv, len, NULL, NULL);

	if (n <= 0 || !fn)
		return n;
	return ad_walk(adv, len, fn, ctx);
}

size_t mesh_adv_data_build(const struct mesh_adv_tx *tx, uint8_t out[MESH_ADV_DATA_MAX])
{
	/* A payload length that would overrun out builds nothing; the AD
	 * type and count are the caller's business (mesh_adv_tx_check). */
	if (tx->len < 1 || tx->len > MESH_ADV_PAYLOAD_MAX)
		return 0;
	out[0] = (uint8_t)(tx->len + 1);
	out[1] = tx->ad_type;
	memcpy(out + 2, tx->payload, tx->len);
	return (size_t)tx->len + 2;
}
