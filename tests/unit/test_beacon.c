/*
 * Beacon tests: every secure network and unprovisioned device beacon of the
 * specification's sample data (8.4), both directions, byte for byte; key
 * refresh matching; and the lengths and values the parsers must refuse.
 */
#include <string.h>

#include "mesh/beacon.h"
#include "mesh/err.h"
#include "vectors.h"

static json_t *samples(const char *name)
{
	json_t *arr = vec_get(vectors_root(), name);

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		fail_msg("sample data: %s missing", name);
	return arr;
}

static void test_secure_samples(void **state)
{
	json_t *arr = samples("secure_network_beacon");
	size_t i;
	json_t *v;

	(void)state;
	json_array_foreach(arr, i, v) {
		uint8_t netkey[16], beacon_key[16], key[16], net_id[8], id[8];
		uint8_t want[32], out[MESH_BEACON_SECURE_LEN], auth16[16];
		struct mesh_beacon_secure b;
		struct mesh_beacon any;
		size_t len;
		uint8_t flags = (uint8_t)vec_int(v, "flags");
		uint32_t iv = (uint32_t)vec_int(v, "iv_index");

		vec_hex(v, "netkey", netkey, sizeof(netkey));
		vec_hex(v, "beacon_key", beacon_key, sizeof(beacon_key));
		vec_hex(v, "network_id", net_id, sizeof(net_id));
		vec_hex(v, "authentication_value", auth16, sizeof(auth16));
		len = vec_hex(v, "beacon", want, sizeof(want));
		assert_int_equal(len, MESH_BEACON_SECURE_LEN);

		/* The flags octet is exactly the two named flags. */
		assert_int_equal(flags, vec_int(v, "key_refresh_flag") |
					vec_int(v, "iv_update_flag") << 1);

		assert_int_equal(mesh_beacon_key(netkey, key), 0);
		assert_bytes_equal(key, beacon_key, 16);
		assert_int_equal(mesh_network_id(netkey, id), 0);
		assert_bytes_equal(id, net_id, 8);

		/* Compose from fields. */
		assert_int_equal(mesh_beacon_secure_compose(beacon_key, flags, net_id, iv, out), 0);
		assert_bytes_equal(out, want, len);

		/* Parse back into fields. */
		assert_int_equal(mesh_beacon_secure_parse(want, len, &b), 0);
		assert_int_equal(b.flags, flags);
		assert_bytes_equal(b.network_id, net_id, 8);
		assert_int_equal(b.iv_index, iv);
		assert_bytes_equal(b.auth, auth16, MESH_BEACON_AUTH_LEN);
		assert_int_equal(mesh_beacon_secure_auth(&b, key), 0);

		/* The dispatcher agrees. */
		assert_int_equal(mesh_beacon_parse(want, len, &any), 0);
		assert_int_equal(any.type, MESH_BEACON_SECURE);
		assert_memory_equal(&any.secure, &b, sizeof(b));

		/* Any flipped bit in the authenticated part or the value fails. */
		for (size_t bit = 8; bit < 8 * len; bit += 13) {
			uint8_t bad[MESH_BEACON_SECURE_LEN];
			struct mesh_beacon_secure bb;
			int err;

			memcpy(bad, want, len);
			bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			err = mesh_beacon_secure_parse(bad, len, &bb);
			if (bit / 8 == 1) {
				/* Only RFU flag bits fail to parse; KR/IVU parse and fail auth. */
				if (err) {
					assert_int_equal(err, MESH_ERR_RESERVED);
					continue;
				}
			}
			assert_int_equal(err, 0);
			assert_int_equal(mesh_beacon_secure_auth(&bb, key), MESH_ERR_BEACON_AUTH);
		}
		key[5] ^= 0x40;
		assert_int_equal(mesh_beacon_secure_auth(&b, key), MESH_ERR_BEACON_AUTH);
	}
}

static void test_secure_known_networks(void **state)
{
	json_t *v = vec_get(samples("secure_network_beacon"), "[0]");
	uint8_t netkey[16], other[16], want[32], out[MESH_BEACON_SECURE_LEN];
	struct mesh_beacon_net nets[2];
	struct mesh_beacon_secure b;
	bool new_key = true;
	size_t len;
	uint8_t flags = (uint8_t)vec_int(v, "flags");
	uint32_t iv = (uint32_t)vec_int(v, "iv_index");

	(void)state;
	vec_hex(v, "netkey", netkey, sizeof(netkey));
	len = vec_hex(v, "beacon", want, sizeof(want));
	memcpy(other, netkey, 16);
	other[0] ^= 0xff;

	assert_int_equal(mesh_beacon_net_set(&nets[0], 7, other), 0);
	assert_int_equal(mesh_beacon_net_set(&nets[1], 9, netkey), 0);
	assert_int_equal(mesh_beacon_secure_parse(want, len, &b), 0);

	/* Found by its current key. */
	assert_int_equal(mesh_beacon_secure_match(&b, nets, 2, &new_key), 1);
	assert_false(new_key);
	assert_int_equal(mesh_beacon_secure_compose_net(&nets[1], false, flags, iv, out), 0);
	assert_bytes_equal(out, want, len);
	assert_int_equal(mesh_beacon_secure_compose_net(&nets[1], true, flags, iv, out),
			 MESH_ERR_KEY_REFRESH);

	/* Not known at all. */
	assert_int_equal(mesh_beacon_secure_match(&b, nets, 1, &new_key), MESH_ERR_NOT_FOUND);
	assert_int_equal(mesh_beacon_secure_match(&b, nets, 0, &new_key), MESH_ERR_NOT_FOUND);

	/* Key refresh: the sample key is subnet 7's new key. */
	assert_int_equal(mesh_beacon_net_set_new(&nets[0], netkey), 0);
	assert_int_equal(mesh_beacon_secure_match(&b, nets, 1, &new_key), 0);
	assert_true(new_key);
	assert_int_equal(nets[0].net_idx, 7);
	assert_int_equal(mesh_beacon_secure_compose_net(&nets[0], true, flags, iv, out), 0);
	assert_bytes_equal(out, want, len);

	/* Phase 3: the new key is now the current one. */
	assert_int_equal(mesh_beacon_net_commit(&nets[0]), 0);
	assert_int_equal(mesh_beacon_secure_match(&b, nets, 1, &new_key), 0);
	assert_false(new_key);
	assert_int_equal(mesh_beacon_net_commit(&nets[0]), MESH_ERR_KEY_REFRESH);

	/* Right Network ID, wrong authentication value. */
	b.auth[7] ^= 1;
	assert_int_equal(mesh_beacon_secure_match(&b, nets, 2, &new_key), MESH_ERR_BEACON_AUTH);

	mesh_beacon_net_clear(&nets[0]);
	mesh_beacon_net_clear(&nets[1]);
}

static void test_secure_malformed(void **state)
{
	json_t *v = vec_get(samples("secure_network_beacon"), "[1]");
	uint8_t buf[40], key[16], id[8];
	struct mesh_beacon_secure b;
	struct mesh_beacon any;
	size_t len;

	(void)state;
	len = vec_hex(v, "beacon", buf, sizeof(buf));
	vec_hex(v, "beacon_key", key, sizeof(key));
	vec_hex(v, "network_id", id, sizeof(id));

	assert_int_equal(mesh_beacon_secure_parse(buf, 0, &b), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_beacon_secure_parse(buf, 1, &b), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_beacon_secure_parse(buf, len - 1, &b), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_beacon_parse(buf, len - 1, &any), MESH_ERR_TRUNCATED);
	buf[len] = 0;
	assert_int_equal(mesh_beacon_secure_parse(buf, len + 1, &b), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_beacon_parse(buf, len + 1, &any), MESH_ERR_OVERSIZED);

	for (int bit = 2; bit < 8; bit++) {
		uint8_t bad[MESH_BEACON_SECURE_LEN];

		memcpy(bad, buf, len);
		bad[1] |= (uint8_t)(1u << bit);
		assert_int_equal(mesh_beacon_secure_parse(bad, len, &b), MESH_ERR_RESERVED);
		assert_int_equal(mesh_beacon_secure_compose(key, bad[1], id, 0, bad),
				 MESH_ERR_RESERVED);
	}

	buf[0] = MESH_BEACON_UNPROV;
	assert_int_equal(mesh_beacon_secure_parse(buf, len, &b), MESH_ERR_UNKNOWN_BEACON);
}

static void test_unprov_samples(void **state)
{
	json_t *arr = samples("unprovisioned_device_beacon");
	int with_uri = 0;
	size_t i;
	json_t *v;

	(void)state;
	json_array_foreach(arr, i, v) {
		struct mesh_beacon_unprov in, out;
		struct mesh_beacon any;
		uint8_t want[32], buf[32];
		size_t len;
		int n;

		memset(&in, 0, sizeof(in));
		vec_hex(v, "device_uuid", in.uuid, sizeof(in.uuid));
		in.oob_info = (uint16_t)vec_int(v, "oob_information");
		len = vec_hex(v, "beacon", want, sizeof(want));

		if (vec_has(v, "uri")) {
			uint8_t uri_data[64], s1[16], full[16];
			size_t ulen = vec_hex(v, "uri_data", uri_data, sizeof(uri_data));

			vec_hex(v, "uri_hash", full, sizeof(full));
			assert_int_equal(mesh_s1(uri_data, ulen, s1), 0);
			assert_bytes_equal(s1, full, 16);
			assert_int_equal(mesh_beacon_uri_hash(uri_data, ulen, in.uri_hash), 0);
			assert_bytes_equal(in.uri_hash, full, MESH_URI_HASH_LEN);
			in.has_uri_hash = true;
			assert_int_equal(len, MESH_BEACON_UNPROV_URI_LEN);
			with_uri++;
		} else {
			assert_int_equal(len, MESH_BEACON_UNPROV_LEN);
		}

		n = mesh_beacon_unprov_compose(&in, buf, sizeof(buf));
		assert_int_equal(n, (int)len);
		assert_bytes_equal(buf, want, len);
		assert_int_equal(mesh_beacon_unprov_compose(&in, buf, len - 1), MESH_ERR_OVERSIZED);

		assert_int_equal(mesh_beacon_unprov_parse(want, len, &out), 0);
		assert_bytes_equal(out.uuid, in.uuid, 16);
		assert_int_equal(out.oob_info, in.oob_info);
		assert_int_equal(out.has_uri_hash, in.has_uri_hash);
		if (in.has_uri_hash)
			assert_bytes_equal(out.uri_hash, in.uri_hash, MESH_URI_HASH_LEN);

		assert_int_equal(mesh_beacon_parse(want, len, &any), 0);
		assert_int_equal(any.type, MESH_BEACON_UNPROV);
		assert_memory_equal(&any.unprov, &out, sizeof(out));
	}
	assert_int_equal(with_uri, 1);
}

static void test_unprov_malformed(void **state)
{
	json_t *v = vec_get(samples("unprovisioned_device_beacon"), "[1]");
	struct mesh_beacon_unprov b;
	uint8_t buf[40];
	size_t len;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	len = vec_hex(v, "beacon", buf, sizeof(buf));
	assert_int_equal(len, MESH_BEACON_UNPROV_URI_LEN);

	assert_int_equal(mesh_beacon_unprov_parse(buf, 0, &b), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_beacon_unprov_parse(buf, 18, &b), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_beacon_unprov_parse(buf, 19, &b), 0);
	assert_false(b.has_uri_hash);
	for (size_t n = 20; n < 23; n++)
		assert_int_equal(mesh_beacon_unprov_parse(buf, n, &b), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_beacon_unprov_parse(buf, 24, &b), MESH_ERR_OVERSIZED);
	buf[0] = MESH_BEACON_SECURE;
	assert_int_equal(mesh_beacon_unprov_parse(buf, len, &b), MESH_ERR_UNKNOWN_BEACON);
}

static void test_dispatch_types(void **state)
{
	json_t *priv = vec_get(vectors_root(), "v1_1_only.mesh_private_beacon.[0]");
	uint8_t ad[40], random[13], buf[4] = { 0x03, 0, 0, 0 };
	struct mesh_beacon b;
	size_t len;

	(void)state;
	assert_int_equal(mesh_beacon_parse(buf, 0, &b), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_beacon_parse(buf, 4, &b), MESH_ERR_UNKNOWN_BEACON);
	buf[0] = 0xff;
	assert_int_equal(mesh_beacon_parse(buf, 1, &b), MESH_ERR_UNKNOWN_BEACON);

	/* Mesh Private beacon: recognised and split, not decrypted. The AD
	 * sample starts with its length and AD type octets. */
	len = vec_hex(priv, "private_beacon_ad", ad, sizeof(ad));
	vec_hex(priv, "random", random, sizeof(random));
	assert_int_equal(len - 2, MESH_BEACON_PRIVATE_LEN);
	assert_int_equal(mesh_beacon_parse(ad + 2, len - 2, &b), 0);
	assert_int_equal(b.type, MESH_BEACON_PRIVATE);
	assert_bytes_equal(b.priv.random, random, sizeof(random));
	assert_int_equal(mesh_beacon_parse(ad + 2, len - 3, &b), MESH_ERR_TRUNCATED);

	assert_string_equal(mesh_beacon_type_name(MESH_BEACON_SECURE), "secure network");
	assert_string_equal(mesh_beacon_type_name(MESH_BEACON_UNPROV), "unprovisioned");
	assert_string_equal(mesh_beacon_type_name(0x42), "unknown");
}

static int teardown(void **state)
{
	(void)state;
	mesh_crypto_thread_cleanup();
	return 0;
}

/* 3.9.3.1: interval = 20 s * (observed + 1) / 2, within 10..600 s. */
static void test_beacon_interval(void **state)
{
	struct mesh_beacon_sched b;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(mesh_beacon_sched_interval_ms(&b), 10000);
	assert_true(mesh_beacon_sched_due(&b, 0));          /* never sent */
	mesh_beacon_sched_sent(&b, 1000);
	assert_false(mesh_beacon_sched_due(&b, 1000 + 4999));
	assert_true(mesh_beacon_sched_due(&b, 1000 + 5000)); /* half a tick early */

	for (int i = 0; i < 3; i++)
		mesh_beacon_sched_heard(&b);
	assert_int_equal(mesh_beacon_sched_interval_ms(&b), 10000);  /* period not over */
	mesh_beacon_sched_observed(&b);
	assert_int_equal(b.heard, 0);
	assert_int_equal(mesh_beacon_sched_interval_ms(&b), 40000);
	assert_false(mesh_beacon_sched_due(&b, 1000 + 30000));
	assert_true(mesh_beacon_sched_due(&b, 1000 + 35000));

	b.heard_last = 59;
	assert_int_equal(mesh_beacon_sched_interval_ms(&b), 600000);
	b.heard_last = UINT32_MAX;
	assert_int_equal(mesh_beacon_sched_interval_ms(&b), 600000);
	b.heard = UINT32_MAX;
	mesh_beacon_sched_heard(&b);
	assert_int_equal(b.heard, UINT32_MAX);
	/* A clock behind the last beacon sends nothing. */
	assert_false(mesh_beacon_sched_due(&b, 500));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secure_samples),
		cmocka_unit_test(test_secure_known_networks),
		cmocka_unit_test(test_secure_malformed),
		cmocka_unit_test(test_unprov_samples),
		cmocka_unit_test(test_unprov_malformed),
		cmocka_unit_test(test_dispatch_types),
		cmocka_unit_test(test_beacon_interval),
	};
	int rc = cmocka_run_group_tests(tests, NULL, teardown);

	json_decref(vectors_root());
	return rc;
}
