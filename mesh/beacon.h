/*
 * Mesh beacons (Mesh Profile 3.9): the Unprovisioned Device beacon and the
 * Secure Network beacon, composed and parsed, plus a parser that looks at
 * the beacon type octet first.
 *
 * Buffers here are the beacon itself (Beacon Type || Beacon Data), without
 * the advertising length and AD type octets (0x2b, "Mesh Beacon") and
 * without a proxy PDU header; the bearers strip those.
 *
 * The network layer owns subnets and their keys; for beacons it hands over
 * a struct mesh_beacon_net per subnet, which holds the Network ID and
 * BeaconKey derived from the current NetKey and, during a key refresh, from
 * the new one as well.
 */
#ifndef MESH_BEACON_H
#define MESH_BEACON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define MESH_BEACON_UNPROV 0x00
#define MESH_BEACON_SECURE 0x01
#define MESH_BEACON_PRIVATE 0x02   /* Mesh Protocol 1.1: recognised only */

#define MESH_BEACON_UNPROV_LEN 19      /* type, UUID, OOB information */
#define MESH_BEACON_UNPROV_URI_LEN 23  /* ... and URI Hash */
#define MESH_BEACON_SECURE_LEN 22      /* type, flags, Network ID, IV index, auth */
#define MESH_BEACON_PRIVATE_LEN 27     /* type, random 13, data 5, tag 8 */
#define MESH_BEACON_MAX_LEN MESH_BEACON_PRIVATE_LEN

/* Secure network beacon flags; the other six bits are RFU. */
#define MESH_BEACON_FLAG_KEY_REFRESH 0x01
#define MESH_BEACON_FLAG_IV_UPDATE 0x02
#define MESH_BEACON_FLAGS_MASK 0x03

#define MESH_NETWORK_ID_LEN 8
#define MESH_BEACON_AUTH_LEN 8
#define MESH_URI_HASH_LEN 4

struct mesh_beacon_unprov {
	uint8_t uuid[16];
	uint16_t oob_info;     /* OOB Information bit field, Mesh Profile 3.9.2 */
	bool has_uri_hash;
	uint8_t uri_hash[MESH_URI_HASH_LEN];
};

struct mesh_beacon_secure {
	uint8_t flags;
	uint8_t network_id[MESH_NETWORK_ID_LEN];
	uint32_t iv_index;
	uint8_t auth[MESH_BEACON_AUTH_LEN];
};

/* Mesh Private beacon fields: split out for display, never decrypted here. */
struct mesh_beacon_private {
	uint8_t random[13];
	uint8_t obfuscated[5];
	uint8_t auth_tag[8];
};

struct mesh_beacon {
	uint8_t type;
	union {
		struct mesh_beacon_unprov unprov;
		struct mesh_beacon_secure secure;
		struct mesh_beacon_private priv;
	};
};

/* --- Unprovisioned device beacon ---------------------------------------- */

/*
 * URI Hash of a URI advertised by an unprovisioned device: the first 4
 * octets of s1(URI data), where URI data is the encoded URI as in the
 * "URI" AD type (scheme code octet, then the rest of the URI).
 */
int mesh_beacon_uri_hash(const uint8_t *uri_data, size_t len,
			 uint8_t hash[MESH_URI_HASH_LEN]);

/* Returns the beacon length (19 or 23), or MESH_ERR_OVERSIZED for max. */
int mesh_beacon_unprov_compose(const struct mesh_beacon_unprov *b, uint8_t *out, size_t max);
/*
 * MESH_ERR_UNKNOWN_BEACON if the type octet is not 0x00, MESH_ERR_TRUNCATED
 * below 19 octets or between 20 and 22, MESH_ERR_OVERSIZED above 23.
 */
int mesh_beacon_unprov_parse(const uint8_t *buf, size_t len, struct mesh_beacon_unprov *out);

/* --- Secure network beacon ---------------------------------------------- */

/*
 * Compose the 22-octet beacon, authenticated with beacon_key.
 * MESH_ERR_RESERVED for RFU flag bits.
 */
int mesh_beacon_secure_compose(const uint8_t beacon_key[MESH_KEY_LEN], uint8_t flags,
			       const uint8_t network_id[MESH_NETWORK_ID_LEN],
			       uint32_t iv_index, uint8_t out[MESH_BEACON_SECURE_LEN]);

/*
 * Split a beacon into its fields without authenticating it.
 * MESH_ERR_UNKNOWN_BEACON for another type octet, MESH_ERR_TRUNCATED or
 * MESH_ERR_OVERSIZED for a length other than 22, MESH_ERR_RESERVED for RFU
 * flag bits.
 */
int mesh_beacon_secure_parse(const uint8_t *buf, size_t len, struct mesh_beacon_secure *out);

/* 0 if b's authentication value is right for beacon_key, else MESH_ERR_BEACON_AUTH. */
int mesh_beacon_secure_auth(const struct mesh_beacon_secure *b,
			    const uint8_t beacon_key[MESH_KEY_LEN]);

/* --- Known networks ----------------------------------------------------- */

/* Beacon credentials of one subnet: [0] current key, [1] key refresh's new key. */
struct mesh_beacon_net {
	uint16_t net_idx;
	bool has_new;
	uint8_t network_id[2][MESH_NETWORK_ID_LEN];
	uint8_t beacon_key[2][MESH_KEY_LEN];
};

/* Derive the credentials from net_key; clears any new key. */
int mesh_beacon_net_set(struct mesh_beacon_net *n, uint16_t net_idx,
			const uint8_t net_key[MESH_KEY_LEN]);
/* Key refresh phase 1: add the new NetKey's credentials. */
int mesh_beacon_net_set_new(struct mesh_beacon_net *n, const uint8_t new_net_key[MESH_KEY_LEN]);
/* Key refresh phase 3: the new key becomes the only one. */
int mesh_beacon_net_commit(struct mesh_beacon_net *n);
/* Wipe the key material. */
void mesh_beacon_net_clear(struct mesh_beacon_net *n);

/* Compose n's beacon, with the new key if new_key (MESH_ERR_KEY_REFRESH if none). */
int mesh_beacon_secure_compose_net(const struct mesh_beacon_net *n, bool new_key,
				   uint8_t flags, uint32_t iv_index,
				   uint8_t out[MESH_BEACON_SECURE_LEN]);

/*
 * Which of the count known networks b belongs to, by Network ID (current
 * or new key), authenticated with that key's BeaconKey. Returns the index
 * into nets and sets *new_key when the new key matched. MESH_ERR_NOT_FOUND
 * when no Network ID matches, MESH_ERR_BEACON_AUTH when one does but the
 * authentication value is wrong.
 */
int mesh_beacon_secure_match(const struct mesh_beacon_secure *b,
			     const struct mesh_beacon_net *nets, size_t count,
			     bool *new_key);

/* --- Any beacon --------------------------------------------------------- */

/*
 * Parse by the type octet. Unprovisioned and secure network beacons as
 * above (secure beacons are not authenticated here); a Mesh Private beacon
 * of the right length is split into its fields and reported with type
 * MESH_BEACON_PRIVATE, since this stack cannot decrypt it. Other types:
 * MESH_ERR_UNKNOWN_BEACON; an empty buffer: MESH_ERR_TRUNCATED.
 */
int mesh_beacon_parse(const uint8_t *buf, size_t len, struct mesh_beacon *out);

/* "unprovisioned", "secure network", "private", or "unknown". */
const char *mesh_beacon_type_name(uint8_t type);

/*
 * When to send our own Secure Network beacon (3.9.3.1), per subnet. The
 * interval adapts to what the subnet already hears, so a network of many
 * beaconing nodes does not fill the air:
 *   interval = observation period * (beacons heard in it + 1) / expected,
 * with an observation period of 20 s in which 2 beacons are expected
 * (one per minimum interval of 10 s): 10 s alone, 20 s with one other
 * beaconing node in range, and so on, never more than 600 s.
 * Time is the caller's monotonic ms; the caller ticks every
 * MESH_BEACON_TICK_MS and ends an observation period every other tick.
 */
#define MESH_BEACON_TICK_MS 10000u
#define MESH_BEACON_OBSERVATION_TICKS 2u
#define MESH_BEACON_INTERVAL_MAX_MS 600000u

struct mesh_beacon_sched {
	uint32_t heard;          /* secure beacons of the subnet, this period */
	uint32_t heard_last;     /* ... in the last whole period */
	bool sent;               /* sent_ms is valid */
	uint64_t sent_ms;
};

void mesh_beacon_sched_heard(struct mesh_beacon_sched *b);
/* An observation period ended. */
void mesh_beacon_sched_observed(struct mesh_beacon_sched *b);
uint32_t mesh_beacon_sched_interval_ms(const struct mesh_beacon_sched *b);
/* Is a beacon due at now_ms? Ticks are not exact: a beacon is due half a
 * tick early rather than a whole tick late. */
bool mesh_beacon_sched_due(const struct mesh_beacon_sched *b, uint64_t now_ms);
void mesh_beacon_sched_sent(struct mesh_beacon_sched *b, uint64_t now_ms);

#endif
