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

/* ---- credentials and single PDUs --------------------------------------- */

/* Derive NID, EncryptionKey and PrivacyKey with k2(net_key, p): p = {0x00}
 * for master credentials, mesh_friendship_p() for friendship ones. */
int mesh_net_cred_derive(struct mesh_net_cred *cred, const uint8_t net_key[MESH_KEY_LEN],
			 const uint8_t *p, size_t p_len);
void mesh_net_cred_clear(struct mesh_net_cred *cred);

/*
 * Build the network PDU for tx under cred and the full iv_index: encrypt
 * DST || TransportPDU with a 32-bit (CTL 0) or 64-bit (CTL 1) NetMIC, then
 * obfuscate. out holds MESH_NET_MAX_PDU octets; *len receives the size.
 * tx->net_idx is not used here. Errors: MESH_ERR_OVERSIZED if the transport
 * PDU is too long for its CTL, MESH_ERR_TRUNCATED if empty, MESH_ERR_SRC,
 * MESH_ERR_DST (unassigned), MESH_ERR_INVAL (TTL, SEQ or CTL out of range).
 */
int mesh_net_pdu_encode(struct mesh_net_cred *cred, uint32_t iv_index,
			const struct mesh_net_tx *tx, uint8_t *out, size_t *len);
/*
 * Authenticate and decrypt pdu with cred under iv_index (whose low bit must
 * be the PDU's IVI) into rx; rx->net_idx and rx->new_key are left for the
 * caller. Errors, in the order checked: MESH_ERR_TRUNCATED / OVERSIZED
 * (length outside 14..29, or too short for a 64-bit NetMIC),
 * MESH_ERR_UNKNOWN_NID, MESH_ERR_IV_INDEX, MESH_ERR_NETMIC, MESH_ERR_SRC,
 * MESH_ERR_DST. pdu itself is never modified.
 */
int mesh_net_pdu_decode(struct mesh_net_cred *cred, uint32_t iv_index, const uint8_t *pdu,
			size_t len, struct mesh_net_rx *rx);

/* Proxy configuration PDUs (6.6): the same format under the proxy nonce,
 * with CTL 1, TTL 0 and DST unassigned (encode forces those; decode
 * returns MESH_ERR_DST unless DST is unassigned). */
int mesh_net_proxy_encode(struct mesh_net_cred *cred, uint32_t iv_index,
			  const struct mesh_net_tx *tx, uint8_t *out, size_t *len);
int mesh_net_proxy_decode(struct mesh_net_cred *cred, uint32_t iv_index, const uint8_t *pdu,
			  size_t len, struct mesh_net_rx *rx);

/* ---- the network layer ------------------------------------------------- */

#include "iv_index.h"
#include "net_cache.h"
#include "subnet.h"

struct mesh_net {
	struct mesh_subnets subnets;
	struct mesh_iv iv;
	struct mesh_net_cache cache;
	uint16_t own_addr;    /* first unicast address of our elements */
	uint16_t own_count;   /* number of our elements */
	bool relay;           /* Relay feature enabled */
};

/* Empty subnet table; IV state as given, entered at now_ms. */
void mesh_net_init(struct mesh_net *net, uint32_t iv_index, bool iv_update, uint64_t now_ms,
		   uint16_t own_addr, uint16_t own_count);
/* Free key material and cipher contexts. */
void mesh_net_clear(struct mesh_net *net);

bool mesh_net_is_own(const struct mesh_net *net, uint16_t addr);

/*
 * Receive a network PDU from a bearer: pick the IV index from IVI, try
 * every subnet key whose NID matches (old and new key in key refresh
 * phases 1 and 2), then drop it if cached. Fills rx on success. Errors as
 * for mesh_net_pdu_decode(), plus MESH_ERR_CACHED. When several keys share
 * the NID, an authenticated failure (SRC/DST) wins over MESH_ERR_NETMIC.
 */
int mesh_net_receive(struct mesh_net *net, const uint8_t *pdu, size_t len,
		     struct mesh_net_rx *rx);

/*
 * Encode tx for the air on subnet tx->net_idx with the key of its key
 * refresh phase and the transmit IV index, and put it in the cache so
 * our own relayed echo is dropped. MESH_ERR_KEY_INDEX for an unknown subnet.
 */
int mesh_net_encode_tx(struct mesh_net *net, const struct mesh_net_tx *tx, uint8_t *out,
		       size_t *len);

/* Relay rx? Relay enabled, TTL >= 2, not from us, not to one of our
 * elements. */
bool mesh_net_relay_wanted(const struct mesh_net *net, const struct mesh_net_rx *rx);
/* The relayed PDU: TTL - 1, same IV index, re-encrypted with the key that
 * authenticated rx. MESH_ERR_INVAL if mesh_net_relay_wanted() says no. */
int mesh_net_relay_encode(struct mesh_net *net, const struct mesh_net_rx *rx, uint8_t *out,
			  size_t *len);

#endif
