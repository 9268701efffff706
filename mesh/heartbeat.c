/* Heartbeat control message codec (see heartbeat.h). */
#include "bytes.h"
#include "err.h"
#include "heartbeat.h"

int mesh_heartbeat_encode(const struct mesh_heartbeat *hb, uint8_t out[MESH_HEARTBEAT_LEN])
{
	if (hb->init_ttl > 0x7f || (hb->features & ~MESH_FEAT_KNOWN))
		return MESH_ERR_INVAL;
	out[0] = hb->init_ttl;
	mesh_put_be16(out + 1, hb->features);
	return 0;
}

int mesh_heartbeat_decode(const uint8_t *p, size_t len, struct mesh_heartbeat *hb)
{
	if (len < MESH_HEARTBEAT_LEN)
		return MESH_ERR_TRUNCATED;
	if (len > MESH_HEARTBEAT_LEN)
		return MESH_ERR_OVERSIZED;
	if (p[0] & 0x80)
		return MESH_ERR_RESERVED;
	hb->init_ttl = p[0];
	hb->features = mesh_get_be16(p + 1);
	return 0;
}
