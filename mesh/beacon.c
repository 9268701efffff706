/*
 * Mesh beacons (Mesh Profile 3.9): coding of the unprovisioned device and
 * secure network beacons and matching secure beacons to known subnets.
 *
 * Lengths are checked exactly: both beacon formats are fixed-size, so any
 * other length means a broken or foreign advertisement, and saying which
 * way it is off helps whoever reads the packet log.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "beacon.h"
#include "bytes.h"
#include "err.h"

static int beacon_len_check(size_t len, size_t want)
{
	if (len < want)
		return MESH_ERR_TRUNCATED;
	if (len > want)
		return MESH_ERR_OVERSIZED;
	return 0;
}

/* --- Unprovisioned device beacon ---------------------------------------- */

int mesh_beacon_uri_hash(const uint8_t *uri_data, size_t len,
			 uint8_t hash[MESH_URI_HASH_LEN])
{
	uint8_t s1[16];
	int err;

	err = mesh_s1(uri_data, len, s1);
	if (!err)
		memcpy(hash, s1, MESH_URI_HASH_LEN);
	return err;
}

int mesh_beacon_unprov_compose(const struct mesh_beacon_unprov *b, uint8_t *out, size_t max)
{
	size_t len = b->has_uri_hash ? MESH_BEACON_UNPROV_URI_LEN : MESH_BEACON_UNPROV_LEN;

	if (len > max)
		return MESH_ERR_OVERSIZED;
	out[0] = MESH_BEACON_UNPROV;
	memcpy(out + 1, b->uuid, sizeof(b->uuid));
	mesh_put_be16(out + 17, b->oob_info);
	if (b->has_uri_hash)
		memcpy(out + 19, b->uri_hash, MESH_URI_HASH_LEN);
	return (int)len;
}

int mesh_beacon_unprov_parse(const uint8_t *buf, size_t len, struct mesh_beacon_unprov *out)
{
	if (len == 0)
		return MESH_ERR_TRUNCATED;
	if (buf[0] != MESH_BEACON_UNPROV)
		return MESH_ERR_UNKNOWN_BEACON;
	if (len < MESH_BEACON_UNPROV_LEN)
		return MESH_ERR_TRUNCATED;
	/* The URI Hash is all or nothing: 1 to 3 extra octets are a cut hash. */
	if (len != MESH_BEACON_UNPROV_LEN) {
		int err = beacon_len_check(len, MESH_BEACON_UNPROV_URI_LEN);

		if (err)
			return err;
	}

	memset(out, 0, sizeof(*out));
	memcpy(out->uuid, buf + 1, sizeof(out->uuid));
	out->oob_info = mesh_get_be16(buf + 17);
	if (len == MESH_BEACON_UNPROV_URI_LEN) {
		out->has_uri_hash = true;
		memcpy(out->uri_hash, buf + 19, MESH_URI_HASH_LEN);
	}
	return 0;
}

/* --- Secure network beacon ---------------------------------------------- */

int mesh_beacon_secure_compose(const uint8_t beacon_key[MESH_KEY_LEN], uint8_t flags,
			       const uint8_t network_id[MESH_NETWORK_ID_LEN],
			       uint32_t iv_index, uint8_t out[MESH_BEACON_SECURE_LEN])
{
	if (flags & ~MESH_BEACON_FLAGS_MASK)
		return MESH_ERR_RESERVED;
	out[0] = MESH_BEACON_SECURE;
	out[1] = flags;
	memcpy(out + 2, network_id, MESH_NETWORK_ID_LEN);
	mesh_put_be32(out + 10, iv_index);
	return mesh_beacon_auth(beacon_key, flags, network_id, iv_index, out + 14);
}

int mesh_beacon_secure_parse(const uint8_t *buf, size_t len, struct mesh_beacon_secure *out)
{
	int err;

	if (len == 0)
		return MESH_ERR_TRUNCATED;
	if (buf[0] != MESH_BEACON_SECURE)
		return MESH_ERR_UNKNOWN_BEACON;
	err = beacon_len_check(len, MESH_BEACON_SECURE_LEN);
	if (err)
		return err;
	if (buf[1] & ~MESH_BEACON_FLAGS_MASK)
		return MESH_ERR_RESERVED;

	memset(out, 0, sizeof(*out));
	out->flags = buf[1];
	memcpy(out->network_id, buf + 2, MESH_NETWORK_ID_LEN);
	out->iv_index = mesh_get_be32(buf + 10);
	memcpy(out->auth, buf + 14, MESH_BEACON_AUTH_LEN);
	return 0;
}

int mesh_beacon_secure_auth(const struct mesh_beacon_secure *b,
			    const uint8_t beacon_key[MESH_KEY_LEN])
{
	uint8_t auth[MESH_BEACON_AUTH_LEN];
	int err;

	err = mesh_beacon_auth(beacon_key, b->flags, b->network_id, b->iv_index, auth);
	if (err)
		return err;
	/* Constant time, so a forger learns nothing from how long it took. */
	if (CRYPTO_memcmp(auth, b->auth, sizeof(auth)))
		return MESH_ERR_BEACON_AUTH;
	return 0;
}

/* --- Known networks ----------------------------------------------------- */

static int beacon_net_derive(struct mesh_beacon_net *n, int slot,
			     const uint8_t net_key[MESH_KEY_LEN])
{
	int err;

	err = mesh_network_id(net_key, n->network_id[slot]);
	if (!err)
		err = mesh_beacon_key(net_key, n->beacon_key[slot]);
	return err;
}

int mesh_beacon_net_set(struct mesh_beacon_net *n, uint16_t net_idx,
			const uint8_t net_key[MESH_KEY_LEN])
{
	int err;

	mesh_beacon_net_clear(n);
	n->net_idx = net_idx;
	err = beacon_net_derive(n, 0, net_key);
	if (err)
		mesh_beacon_net_clear(n);
	return err;
}

int mesh_beacon_net_set_new(struct mesh_beacon_net *n, const uint8_t new_net_key[MESH_KEY_LEN])
{
	int err = beacon_net_derive(n, 1, new_net_key);

	if (err) {
		OPENSSL_cleanse(n->beacon_key[1], sizeof(n->beacon_key[1]));
		n->has_new = false;
		return err;
	}
	n->has_new = true;
	return 0;
}

int mesh_beacon_net_commit(struct mesh_beacon_net *n)
{
	if (!n->has_new)
		return MESH_ERR_KEY_REFRESH;
	memcpy(n->network_id[0], n->network_id[1], MESH_NETWORK_ID_LEN);
	memcpy(n->beacon_key[0], n->beacon_key[1], MESH_KEY_LEN);
	OPENSSL_cleanse(n->beacon_key[1], sizeof(n->beacon_key[1]));
	memset(n->network_id[1], 0, MESH_NETWORK_ID_LEN);
	n->has_new = false;
	return 0;
}

void mesh_beacon_net_clear(struct mesh_beacon_net *n)
{
	OPENSSL_cleanse(n, sizeof(*n));
}

int mesh_beacon_secure_compose_net(const struct mesh_beacon_net *n, bool new_key,
				   uint8_t flags, uint32_t iv_index,
				   uint8_t out[MESH_BEACON_SECURE_LEN])
{
	int slot = new_key ? 1 : 0;

	if (new_key && !n->has_new)
		return MESH_ERR_KEY_REFRESH;
	return mesh_beacon_secure_compose(n->beacon_key[slot], flags, n->network_id[slot],
					  iv_index, out);
}

int mesh_beacon_secure_match(const struct mesh_beacon_secure *b,
			     const struct mesh_beacon_net *nets, size_t count,
			     bool *new_key)
{
	int result = MESH_ERR_NOT_FOUND;

	for (size_t i = 0; i < count; i++) {
		int slots = nets[i].has_new ? 2 : 1;

		for (int s = 0; s < slots; s++) {
			int err;

			if (memcmp(nets[i].network_id[s], b->network_id, MESH_NETWORK_ID_LEN))
				continue;
			err = mesh_beacon_secure_auth(b, nets[i].beacon_key[s]);
			if (err == 0) {
				*new_key = s == 1;
				return (int)i;
			}
			/* Keep looking: another key may share the Network ID. */
			result = err;
		}
	}
	return result;
}

/* --- Any beacon --------------------------------------------------------- */

static int beacon_private_parse(const uint8_t *buf, size_t len,
				struct mesh_beacon_private *out)
{
	int err = beacon_len_check(len, MESH_BEACON_PRIVATE_LEN);

	if (err)
		return err;
	memcpy(out->random, buf + 1, sizeof(out->random));
	memcpy(out->obfuscated, buf + 14, sizeof(out->obfuscated));
	memcpy(out->auth_tag, buf + 19, sizeof(out->auth_tag));
	return 0;
}

int mesh_beacon_parse(const uint8_t *buf, size_t len, struct mesh_beacon *out)
{
	if (len == 0)
		return MESH_ERR_TRUNCATED;
	memset(out, 0, sizeof(*out));
	out->type = buf[0];

	switch (buf[0]) {
	case MESH_BEACON_UNPROV:
		return mesh_beacon_unprov_parse(buf, len, &out->unprov);
	case MESH_BEACON_SECURE:
		return mesh_beacon_secure_parse(buf, len, &out->secure);
	case MESH_BEACON_PRIVATE:
		return beacon_private_parse(buf, len, &out->priv);
	default:
		return MESH_ERR_UNKNOWN_BEACON;
	}
}

const char *mesh_beacon_type_name(uint8_t type)
{
	switch (type) {
	case MESH_BEACON_UNPROV: return "unprovisioned";
	case MESH_BEACON_SECURE: return "secure network";
	case MESH_BEACON_PRIVATE: return "private";
	default: return "unknown";
	}
}

/* ---- our own secure network beacons ------------------------------------- */

void mesh_beacon_sched_heard(struct mesh_beacon_sched *b)
{
	if (b->heard < UINT32_MAX)
		b->heard++;
}

void mesh_beacon_sched_observed(struct mesh_beacon_sched *b)
{
	b->heard_last = b->heard;
	b->heard = 0;
}

uint32_t mesh_beacon_sched_interval_ms(const struct mesh_beacon_sched *b)
{
	uint64_t ms = (uint64_t)MESH_BEACON_TICK_MS * MESH_BEACON_OBSERVATION_TICKS *
		      ((uint64_t)b->heard_last + 1) / MESH_BEACON_OBSERVATION_TICKS;

	return ms > MESH_BEACON_INTERVAL_MAX_MS ? MESH_BEACON_INTERVAL_MAX_MS : (uint32_t)ms;
}

bool mesh_beacon_sched_due(const struct mesh_beacon_sched *b, uint64_t now_ms)
{
	if (!b->sent)
		return true;
	return now_ms >= b->sent_ms &&
	       now_ms - b->sent_ms + MESH_BEACON_TICK_MS / 2 >= mesh_beacon_sched_interval_ms(b);
}

void mesh_beacon_sched_sent(struct mesh_beacon_sched *b, uint64_t now_ms)
{
	b->sent = true;
	b->sent_ms = now_ms;
}
