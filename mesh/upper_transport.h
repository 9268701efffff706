/*
 * Upper transport layer (Mesh Profile 3.6.4, 3.6.5): access message
 * encryption and authentication with application or device keys, and the
 * transport control message formats of friendship.
 *
 * Lower transport hands a complete upper transport PDU in a struct
 * mesh_transport_msg (reassembled if it was segmented) and takes one back
 * to send. This layer owns no keys: it reads the AppKey, device key and
 * Label UUID tables through a struct mesh_upper_keyring.
 *
 * TransMIC size and segmentation rule for sending: the TransMIC is 32 bits
 * unless the caller asks for 64 bits with msg->szmic. A 64-bit TransMIC only
 * exists in segmented messages (the SZMIC bit is in the segment header), so
 * asking for it makes the message segmented. A message is also segmented
 * when the caller sets msg->segmented (e.g. to get acknowledged delivery) or
 * when the access payload exceeds 11 octets (15 with the TransMIC).
 */
#ifndef MESH_UPPER_TRANSPORT_H
#define MESH_UPPER_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app_keys.h"
#include "dev_keys.h"
#include "heartbeat.h"
#include "transport.h"
#include "va.h"


/* The key tables decryption may draw on; any of them may be NULL. */
struct mesh_upper_keyring {
	struct mesh_app_keys *app;
	struct mesh_dev_keys *dev;
	struct mesh_va_table *va;
};

/* Which key secures an access message to send. */
struct mesh_upper_key_sel {
	bool dev;           /* device key rather than an application key */
	uint16_t app_idx;   /* !dev: AppKey index, bound to msg->net_idx */
	bool new_key;       /* !dev: subnet in key refresh phase 2, send with new key */
	uint16_t dev_addr;  /* dev: an address of the node whose key to use */
};

/* An access message to encrypt. */
struct mesh_upper_tx {
	const uint8_t *payload;     /* access payload: opcode || parameters */
	size_t len;
	struct mesh_upper_key_sel key;
	const uint8_t *label_uuid;  /* required iff msg->dst is virtual */
};

/* The key (and label) that authenticated a message. */
struct mesh_upper_key_info {
	bool dev;
	uint16_t app_idx;        /* !dev */
	bool new_key;            /* !dev: the AppKey's key refresh new value */
	uint16_t dev_addr;       /* dev: owner's primary address, 0 for any-address */
	unsigned int dev_slot;   /* dev: slot in the device key table */
	bool has_label;
	uint8_t label_uuid[MESH_LABEL_UUID_LEN];
};

/* Largest access payload for a TransMIC size. */
static inline size_t mesh_upper_max_payload(bool szmic)
{
	return szmic ? MESH_ACCESS_MAX_PAYLOAD_MIC64 : MESH_ACCESS_MAX_PAYLOAD;
}

/*
 * The application (AKF set) or device nonce of msg (3.8.5.2, 3.8.5.3).
 * ASZMIC is SZMIC for a segmented message and 0 for an unsegmented one.
 */
void mesh_upper_nonce(const struct mesh_transport_msg *msg, uint8_t nonce[MESH_NONCE_LEN]);

/*
 * Encrypt tx into out (out_size >= tx->len + TransMIC size; out may equal
 * tx->payload). Reads msg->net_idx, src, dst, seq, iv_index, segmented and
 * szmic; sets ctl = false, akf, aid, segmented and szmic per the rule above,
 * pdu = out and len. Errors: MESH_ERR_SRC (src not unicast), MESH_ERR_DST
 * (unassigned dst, or a label that does not hash to it), MESH_ERR_NO_LABEL
 * (virtual dst without label), MESH_ERR_INVAL (label for a non-virtual dst,
 * empty payload, SEQ over 24 bits, out too small), MESH_ERR_OVERSIZED,
 * MESH_ERR_KEY_INDEX (AppKey unknown or not bound to net_idx),
 * MESH_ERR_NO_DEVKEY (neither a key for dev_addr nor an any-address key).
 */
int mesh_upper_encrypt(struct mesh_upper_keyring *kr, const struct mesh_upper_tx *tx,
		       struct mesh_transport_msg *msg, uint8_t *out, size_t out_size);

/*
 * Decrypt the access message msg into out (must not overlap msg->pdu) and
 * store the access payload's length in *out_len. Tries, with AKF set, every
 * AppKey value with msg->aid bound to msg->net_idx (old and new during key
 * refresh), else the device keys of mesh_dev_keys_next(src, dst); for a
 * virtual dst each key is tried with every label hashing to it as
 * additional data, so the TransMIC resolves hash collisions. info (may be
 * NULL) tells which key and label authenticated it.
 * Errors: MESH_ERR_INVAL (control message, out too small),
 * MESH_ERR_TRUNCATED / MESH_ERR_OVERSIZED (length), MESH_ERR_NO_APPKEY,
 * MESH_ERR_NO_DEVKEY (no candidate key), MESH_ERR_NO_LABEL (virtual dst and
 * no stored label hashes to it), MESH_ERR_TRANSMIC (nothing authenticated).
 */
int mesh_upper_decrypt(struct mesh_upper_keyring *kr, const struct mesh_transport_msg *msg,
		       uint8_t *out, size_t out_size, size_t *out_len,
		       struct mesh_upper_key_info *info);

/* "app:291 old", "app:291 new", "dev:0x1201", "dev:any#3"; as snprintf. */
int mesh_upper_key_info_format(const struct mesh_upper_key_info *info, char *buf,
			       size_t size);

/* Transport control opcodes (3.6.5.1). */
/* MESH_CTL_SEG_ACK 0x00: transport.h */
#define MESH_CTL_FRIEND_POLL        0x01
#define MESH_CTL_FRIEND_UPDATE      0x02
#define MESH_CTL_FRIEND_REQUEST     0x03
#define MESH_CTL_FRIEND_OFFER       0x04
#define MESH_CTL_FRIEND_CLEAR       0x05
#define MESH_CTL_FRIEND_CLEAR_CFM   0x06
#define MESH_CTL_FRIEND_SUB_ADD     0x07
#define MESH_CTL_FRIEND_SUB_REMOVE  0x08
#define MESH_CTL_FRIEND_SUB_CFM     0x09
/* MESH_CTL_HEARTBEAT 0x0a: heartbeat.h */

/* Friend Poll (3.6.5.2): Padding (7 bits, 0) | FSN (1 bit). */
struct mesh_friend_poll {
	uint8_t fsn;
};

/* Friend Update (3.6.5.3). */
struct mesh_friend_update {
	uint8_t flags;        /* as sent; bits 2-7 RFU */
	bool key_refresh;     /* flags bit 0 */
	bool iv_update;       /* flags bit 1 */
	uint32_t iv_index;
	uint8_t md;           /* 1: more data queued for the LPN */
};

/* Friend Request (3.6.5.4). Factor and size fields are kept as coded. */
struct mesh_friend_request {
	uint8_t criteria;           /* as sent */
	uint8_t rssi_factor;        /* bits 5-6: 1, 1.5, 2, 2.5 */
	uint8_t receive_window_factor; /* bits 3-4: 1, 1.5, 2, 2.5 */
	uint8_t min_queue_size_log; /* bits 0-2: queue of 2^N, N = 1..7 */
	uint8_t receive_delay;      /* ms, 10..255 */
	uint32_t poll_timeout;      /* 100 ms units, 10..0x34bbff */
	uint16_t previous_address;  /* previous friend, or unassigned */
	uint8_t num_elements;
	uint16_t lpn_counter;
};

/* Friend Offer (3.6.5.5). */
struct mesh_friend_offer {
	uint8_t receive_window;     /* ms, 1..255 */
	uint8_t queue_size;
	uint8_t subscription_list_size;
	int8_t rssi;                /* dBm; 127: not available */
	uint16_t friend_counter;
};

/* A decoded transport control message. */
struct mesh_ctl_msg {
	uint8_t opcode;
	union {
		struct mesh_friend_poll poll;
		struct mesh_friend_update update;
		struct mesh_friend_request request;
		struct mesh_friend_offer offer;
		struct mesh_heartbeat heartbeat;
	} u;
};

/*
 * Decoders of control message parameters. Each returns MESH_ERR_TRUNCATED or
 * MESH_ERR_OVERSIZED for a wrong length and MESH_ERR_RESERVED for an RFU
 * bit set or a value the spec prohibits.
 */
int mesh_upper_friend_poll_decode(const uint8_t *p, size_t len, struct mesh_friend_poll *out);
int mesh_upper_friend_update_decode(const uint8_t *p, size_t len,
				    struct mesh_friend_update *out);
int mesh_upper_friend_request_decode(const uint8_t *p, size_t len,
				     struct mesh_friend_request *out);
int mesh_upper_friend_offer_decode(const uint8_t *p, size_t len,
				   struct mesh_friend_offer *out);

/*
 * Decode by opcode. MESH_ERR_OPCODE for an opcode over 7 bits,
 * MESH_ERR_UNKNOWN_OPCODE for opcodes without a decoder here (the Segment
 * Acknowledgment is lower transport's).
 */
int mesh_upper_ctl_decode(uint8_t opcode, const uint8_t *p, size_t len, struct mesh_ctl_msg *out);

/* The specification's name of a control opcode, "RFU" if none. */
const char *mesh_upper_ctl_name(uint8_t opcode);

#endif
