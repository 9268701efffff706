/*
 * Heartbeat transport control message (Mesh Profile 3.6.5.10, opcode 0x0A).
 *
 * Parameters: RFU (1 bit) | InitTTL (7 bits), Features (16 bits,
 * big-endian). A subscriber derives the hop count from InitTTL and the TTL
 * the network PDU arrived with. Publication and subscription state belong to
 * the configuration server; this file is only the wire format.
 */
#ifndef MESH_HEARTBEAT_H
#define MESH_HEARTBEAT_H

#include <stddef.h>
#include <stdint.h>

#define MESH_CTL_HEARTBEAT 0x0a
#define MESH_HEARTBEAT_LEN 3

/* Features bits (3.6.5.10, Table 3.45); bits 4-15 are RFU. */
#define MESH_FEAT_RELAY  0x0001
#define MESH_FEAT_PROXY  0x0002
#define MESH_FEAT_FRIEND 0x0004
#define MESH_FEAT_LPN    0x0008
#define MESH_FEAT_KNOWN  0x000f

struct mesh_heartbeat {
	uint8_t init_ttl;   /* 0..127 */
	uint16_t features;  /* MESH_FEAT_* */
};

/*
 * Write the 3-octet parameters. MESH_ERR_INVAL if init_ttl exceeds 127 or
 * an RFU feature bit is set: we never send values the spec reserves.
 */
int mesh_heartbeat_encode(const struct mesh_heartbeat *hb, uint8_t out[MESH_HEARTBEAT_LEN]);

/*
 * Parse parameters of len octets. MESH_ERR_TRUNCATED / MESH_ERR_OVERSIZED
 * for any length but 3, MESH_ERR_RESERVED if the RFU bit is set. RFU
 * feature bits are passed through: they report features of later spec
 * versions, which a subscriber only counts and displays.
 */
int mesh_heartbeat_decode(const uint8_t *p, size_t len, struct mesh_heartbeat *hb);

/* Hops the heartbeat travelled: InitTTL - RxTTL + 1 (3.6.5.10). */
static inline unsigned int mesh_heartbeat_hops(const struct mesh_heartbeat *hb, uint8_t rx_ttl)
{
	return hb->init_ttl >= rx_ttl ? (unsigned int)(hb->init_ttl - rx_ttl + 1) : 0;
}

#endif
