/*
 * Network layer (Mesh Profile 3.4): network PDU encode/decode with
 * obfuscation and NetMIC, subnets and key refresh credentials, IV index
 * acceptance, the network message cache and the relay decision.
 *
 * (Types below are the contract shared with the transport layers; the
 * network layer's owner extends this header with its functions.)
 */
#ifndef MESH_NET_H
#define MESH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define MESH_NET_HDR_LEN 9          /* IVI|NID, CTL|TTL, SEQ, SRC, DST */
#define MESH_NET_MAX_PDU 29         /* octets of a network PDU on the air */
#define MESH_NET_MAX_TRANSPORT 16   /* lower transport PDU with 32-bit NetMIC */
#define MESH_NET_MAX_TRANSPORT_CTL 12 /* ... with 64-bit NetMIC (CTL = 1) */
#define MESH_NET_MIN_PDU 14         /* header + 1 transport octet + 32-bit MIC */
#define MESH_TTL_MAX 127
#define MESH_SEQ_MAX 0xffffff

/* One set of network security credentials: NID, EncryptionKey, PrivacyKey. */
struct mesh_net_cred {
	uint8_t nid;
	struct mesh_aes_key enc;
	struct mesh_aes_key privacy;
};

/* Header fields of a network PDU to send. */
struct mesh_net_tx {
	uint16_t net_idx;
	uint8_t ctl;
	uint8_t ttl;
	uint32_t seq;
	uint16_t src;
	uint16_t dst;
	const uint8_t *transport;  /* lower transport PDU */
	size_t transport_len;
};

/* A network PDU after deobfuscation and decryption. */
struct mesh_net_rx {
	uint16_t net_idx;     /* subnet whose credentials authenticated it */
	bool new_key;         /* authenticated with the new key (key refresh) */
	uint32_t iv_index;    /* full IV index the IVI bit selected */
	uint8_t ivi;
	uint8_t nid;
	uint8_t ctl;
	uint8_t ttl;
	uint32_t seq;
	uint16_t src;
	uint16_t dst;
	uint8_t transport[MESH_NET_MAX_TRANSPORT];
	uint8_t transport_len;
};

#endif
