/*
 * Crypto primitives against the specification's sample data (section 8):
 * s1, k1..k4, derived NetKey keys, nonces, AES-CCM with both MIC sizes,
 * header obfuscation, virtual addresses, beacon authentication, ECDH and the
 * device key. Every expected value is read from the shared JSON.
 */
#include <string.h>

#include "mesh/crypto.h"
#include "mesh/err.h"
#include "vectors.h"

static void test_s1(void **state)
{
	json_t *arr = vec_get(vectors_root(), "s1");
	size_t i;
	json_t *e;

	(void)state;
	assert_true(json_array_size(arr) > 0);
	json_array_foreach(arr, i, e) {
		uint8_t in[64], out[16], exp[16];
		size_t n = vec_hex(e, "input", in, sizeof(in));

		vec_hex(e, "output", exp, sizeof(exp));
		assert_int_equal(mesh_s1(in, n, out), 0);
		assert_bytes_equal(out, exp, 16);
		assert_int_equal(mesh_s1_str(vec_str(e, "input_ascii"), out), 0);
		assert_bytes_equal(out, exp, 16);
	}
}

static void test_k1(void **state)
{
	json_t *arr = vec_get(vectors_root(), "k1");
	size_t i;
	json_t *e;

	(void)state;
	assert_true(json_array_size(arr) >= 3);
	json_array_foreach(arr, i, e) {
		uint8_t n[64], salt[16], p[64], out[16], exp[16];
		size_t n_len = vec_hex(e, "n", n, sizeof(n));
		size_t p_len = vec_hex(e, "p", p, sizeof(p));

		vec_hex(e, "salt", salt, sizeof(salt));
		vec_hex(e, "output", exp, sizeof(exp));
		assert_int_equal(mesh_k1(n, n_len, salt, p, p_len, out), 0);
		assert_bytes_equal(out, exp, 16);
	}
}

/* The IdentityKey and BeaconKey entries of k1 also go through their helpers. */
static void test_identity_and_beacon_keys(void **state)
{
	json_t *arr = vec_get(vectors_root(), "k1");
	int seen = 0;
	size_t i;
	json_t *e;

	(void)state;
	json_array_foreach(arr, i, e) {
		const char *purpose = vec_str(e, "purpose");
		uint8_t n[16], out[16], exp[16];

		vec_hex(e, "n", n, sizeof(n));
		vec_hex(e, "output", exp, sizeof(exp));
		if (strcmp(purpose, "IdentityKey") == 0) {
			assert_int_equal(mesh_identity_key(n, out), 0);
		} else if (strcmp(purpose, "BeaconKey") == 0) {
			assert_int_equal(mesh_beacon_key(n, out), 0);
		} else {
			continue;
		}
		assert_bytes_equal(out, exp, 16);
		seen++;
	}
	assert_int_equal(seen, 2);
}

static void test_k2(void **state)
{
	json_t *arr = vec_get(vectors_root(), "k2");
	int friendship = 0;
	size_t i;
	json_t *e;

	(void)state;
	assert_true(json_array_size(arr) >= 4);
	json_array_foreach(arr, i, e) {
		uint8_t key[16], p[16], enc[16], priv[16], exp_enc[16], exp_priv[16];
		size_t p_len = vec_hex(e, "p", p, sizeof(p));
		uint8_t nid = 0xff;

		vec_hex(e, "netkey", key, sizeof(key));
		vec_hex(e, "encryption_key", exp_enc, sizeof(exp_enc));
		vec_hex(e, "privacy_key", exp_priv, sizeof(exp_priv));
		if (vec_has(e, "lpn_address")) {
			uint8_t built[9];

			assert_int_equal(mesh_friendship_p(built,
					 (uint16_t)vec_int(e, "lpn_address"),
					 (uint16_t)vec_int(e, "friend_address"),
					 (uint16_t)vec_int(e, "lpn_counter"),
					 (uint16_t)vec_int(e, "friend_counter")), p_len);
			assert_bytes_equal(built, p, p_len);
			friendship++;
		}
		assert_int_equal(mesh_k2(key, p, p_len, &nid, enc, priv), 0);
		assert_int_equal(nid, vec_int(e, "nid"));
		assert_bytes_equal(enc, exp_enc, 16);
		assert_bytes_equal(priv, exp_priv, 16);
	}
	assert_true(friendship >= 2);
}

static void test_k2_rejects_bad_p(void **state)
{
	uint8_t key[16] = { 0 }, p[33] = { 0 }, enc[16], priv[16], nid;

	(void)state;
	assert_int_equal(mesh_k2(key, p, 0, &nid, enc, priv), MESH_ERR_INVAL);
	assert_int_equal(mesh_k2(key, p, sizeof(p), &nid, enc, priv), MESH_ERR_INVAL);
}

static void test_k3_network_id(void **state)
{
	json_t *arr = vec_get(vectors_root(), "k3");
	size_t i;
	json_t *e;

	(void)state;
	assert_true(json_array_size(arr) > 0);
	json_array_foreach(arr, i, e) {
		uint8_t n[16], out[8], exp[8];

		vec_hex(e, "n", n, sizeof(n));
		vec_hex(e, "network_id", exp, sizeof(exp));
		assert_int_equal(mesh_k3(n, out), 0);
		assert_bytes_equal(out, exp, 8);
		assert_int_equal(mesh_network_id(n, out), 0);
		assert_bytes_equal(out, exp, 8);
	}
}

static void test_k4_aid(void **state)
{
	json_t *arr = vec_get(vectors_root(), "k4");
	size_t i;
	json_t *e;

	(void)state;
	assert_true(json_array_size(arr) > 0);
	json_array_foreach(arr, i, e) {
		uint8_t n[16], aid = 0xff;

		vec_hex(e, "n", n, sizeof(n));
		assert_int_equal(mesh_k4(n, &aid), 0);
		assert_int_equal(aid, vec_int(e, "aid"));
	}
}

/*
 * Network layer crypto of every sample PDU: network nonce, CCM over
 * DST || TransportPDU (32-bit NetMIC for access, 64-bit for control) and the
 * PECB used for obfuscation.
 */
static void check_network_pdu(json_t *msg, json_t *np)
{
	uint8_t enc_key[16], priv_key[16], nonce[13], exp_nonce[13];
	uint8_t ltp[32], plain[34], out[42], exp_out[42], pdu[32], exp_pdu[32];
	uint8_t hdr[6];
	struct mesh_aes_key enc = { 0 }, priv = { 0 };
	size_t ltp_len = vec_hex(np, "lower_transport_pdu", ltp, sizeof(ltp));
	size_t mic = (size_t)vec_int(np, "netmic_size_bits") / 8;
	size_t out_len, pdu_len;
	uint32_t iv = (uint32_t)vec_int(msg, "iv_index");
	uint32_t seq = (uint32_t)vec_int(np, "seq");
	uint16_t src = (uint16_t)vec_int(msg, "src");
	uint16_t dst = (uint16_t)vec_int(msg, "dst");
	uint8_t ctl_ttl;

	/* Relayed copies (#17) carry their own TTL; otherwise the message's. */
	vec_hex(np, "ctl_ttl_seq_src", hdr, sizeof(hdr));
	ctl_ttl = hdr[0];
	assert_int_equal(ctl_ttl >> 7, vec_int(msg, "ctl"));
	vec_hex(msg, "encryption_key", enc_key, sizeof(enc_key));
	vec_hex(msg, "privacy_key", priv_key, sizeof(priv_key));
	vec_hex(np, "network_nonce", exp_nonce, sizeof(exp_nonce));
	mesh_nonce_network(nonce, ctl_ttl, seq, src, iv);
	assert_bytes_equal(nonce, exp_nonce, 13);

	assert_int_equal(mesh_aes_key_set(&enc, enc_key), 0);
	assert_int_equal(mesh_aes_key_set(&priv, priv_key), 0);
	plain[0] = (uint8_t)(dst >> 8);
	plain[1] = (uint8_t)dst;
	memcpy(plain + 2, ltp, ltp_len);
	out_len = vec_hex(np, "enc_dst_transport_pdu", exp_out, sizeof(exp_out));
	assert_int_equal(out_len, ltp_len + 2);
	out_len += vec_hex(np, "netmic", exp_out + out_len, sizeof(exp_out) - out_len);
	assert_int_equal(out_len, ltp_len + 2 + mic);
	assert_int_equal(mesh_aes_ccm_encrypt(&enc, nonce, NULL, 0, plain, ltp_len + 2,
					      out, mic), 0);
	assert_bytes_equal(out, exp_out, out_len);

	/* Decrypt in place, then a flipped MIC bit must fail authentication. */
	assert_int_equal(mesh_aes_ccm_decrypt(&enc, nonce, NULL, 0, out, ltp_len + 2,
					      out, mic), 0);
	assert_bytes_equal(out, plain, ltp_len + 2);
	memcpy(out, exp_out, out_len);
	out[out_len - 1] ^= 0x01;
	assert_int_equal(mesh_aes_ccm_decrypt(&enc, nonce, NULL, 0, out, ltp_len + 2,
					      out, mic), MESH_ERR_MIC);

	/* Obfuscation: header fields XOR PECB give the on-air octets 1..6. */
	pdu_len = vec_hex(np, "network_pdu", exp_pdu, sizeof(exp_pdu));
	vec_hex(np, "ivi_nid", pdu, 1);
	memcpy(pdu + 1, hdr, 6);
	memcpy(pdu + 7, exp_out, out_len);
	assert_int_equal(pdu_len, 7 + out_len);
	assert_int_equal(mesh_net_obfuscate(&priv, iv, pdu, pdu_len), 0);
	assert_bytes_equal(pdu, exp_pdu, pdu_len);
	assert_int_equal(mesh_net_obfuscate(&priv, iv, pdu, pdu_len), 0);
	assert_bytes_equal(pdu + 1, hdr, 6);

	mesh_aes_key_clear(&enc);
	mesh_aes_key_clear(&priv);
}

static void test_network_crypto_all_messages(void **state)
{
	json_t *msgs = vec_get(vectors_root(), "messages");
	size_t i, j, count = 0, with_64bit = 0;
	json_t *m, *np;

	(void)state;
	assert_int_equal(json_array_size(msgs), 24);
	json_array_foreach(msgs, i, m) {
		json_array_foreach(vec_get(m, "network_pdus"), j, np) {
			check_network_pdu(m, np);
			count++;
			with_64bit += vec_int(np, "netmic_size_bits") == 64;
		}
	}
	assert_true(count >= 24);
	assert_true(with_64bit > 0);
}

/* Application and device key encryption of every access sample. */
static void test_access_ccm_all_messages(void **state)
{
	json_t *msgs = vec_get(vectors_root(), "messages");
	size_t i, count = 0;
	json_t *m;

	(void)state;
	json_array_foreach(msgs, i, m) {
		json_t *a = vec_get(m, "access");
		uint8_t key[16], payload[400], out[420], exp[420], nonce[13], exp_nonce[13];
		uint8_t label[16];
		struct mesh_aes_key k = { 0 };
		bool dev, szmic;
		size_t len, mic, exp_len;
		uint32_t seq;

		if (!a || strcmp(vec_str(m, "kind"), "access") != 0)
			continue;
		dev = strcmp(vec_str(a, "key_type"), "devkey") == 0;
		vec_hex(a, dev ? "devkey" : "appkey", key, sizeof(key));
		len = vec_hex(a, "access_payload", payload, sizeof(payload));
		mic = (size_t)vec_int(a, "transmic_size_bits") / 8;
		szmic = vec_int(a, "szmic") != 0;
		seq = (uint32_t)vec_int(m, "lower_transport_pdus.[0].seq");
		if (dev)
			mesh_nonce_device(nonce, szmic, seq, (uint16_t)vec_int(m, "src"),
					  (uint16_t)vec_int(m, "dst"),
					  (uint32_t)vec_int(m, "iv_index"));
		else
			mesh_nonce_application(nonce, szmic, seq, (uint16_t)vec_int(m, "src"),
					       (uint16_t)vec_int(m, "dst"),
					       (uint32_t)vec_int(m, "iv_index"));
		vec_hex(a, dev ? "device_nonce" : "application_nonce", exp_nonce, 13);
		assert_bytes_equal(nonce, exp_nonce, 13);

		exp_len = vec_hex(m, "upper_transport_pdu", exp, sizeof(exp));
		assert_int_equal(exp_len, len + mic);
		assert_int_equal(mesh_aes_key_set(&k, key), 0);
		if (vec_has(m, "label_uuid")) {
			vec_hex(m, "label_uuid", label, sizeof(label));
			assert_int_equal(mesh_aes_ccm_encrypt(&k, nonce, label, 16, payload,
							      len, out, mic), 0);
		} else {
			assert_int_equal(mesh_aes_ccm_encrypt(&k, nonce, NULL, 0, payload,
							      len, out, mic), 0);
		}
		assert_bytes_equal(out, exp, exp_len);
		mesh_aes_key_clear(&k);
		count++;
	}
	assert_true(count >= 9);
}

static void test_virtual_address(void **state)
{
	json_t *arr = vec_get(vectors_root(), "virtual_address");
	size_t i;
	json_t *e;

	(void)state;
	assert_true(json_array_size(arr) > 0);
	json_array_foreach(arr, i, e) {
		uint8_t label[16];
		uint16_t addr = 0;

		vec_hex(e, "label_uuid", label, sizeof(label));
		assert_int_equal(mesh_virtual_address(label, &addr), 0);
		assert_int_equal(addr, vec_int(e, "address"));
	}
}

static void test_beacon_auth(void **state)
{
	json_t *arr = vec_get(vectors_root(), "secure_network_beacon");
	size_t i;
	json_t *e;

	(void)state;
	assert_true(json_array_size(arr) >= 2);
	json_array_foreach(arr, i, e) {
		uint8_t netkey[16], bkey[16], exp_bkey[16], netid[8], exp_netid[8];
		uint8_t auth[8], exp_auth[16];

		vec_hex(e, "netkey", netkey, sizeof(netkey));
		vec_hex(e, "beacon_key", exp_bkey, sizeof(exp_bkey));
		vec_hex(e, "network_id", exp_netid, sizeof(exp_netid));
		vec_hex(e, "authentication_value", exp_auth, sizeof(exp_auth));
		assert_int_equal(mesh_beacon_key(netkey, bkey), 0);
		assert_bytes_equal(bkey, exp_bkey, 16);
		assert_int_equal(mesh_network_id(netkey, netid), 0);
		assert_bytes_equal(netid, exp_netid, 8);
		assert_int_equal(mesh_beacon_auth(bkey, (uint8_t)vec_int(e, "flags"), netid,
						  (uint32_t)vec_int(e, "iv_index"), auth), 0);
		assert_bytes_equal(auth, exp_auth, 8);
	}
}

static void test_proxy_nonce(void **state)
{
	json_t *arr = vec_get(vectors_root(), "proxy_configuration");
	size_t i;
	json_t *e;

	(void)state;
	json_array_foreach(arr, i, e) {
		uint8_t nonce[13], exp[13];

		vec_hex(e, "proxy_nonce", exp, sizeof(exp));
		mesh_nonce_proxy(nonce, (uint32_t)vec_int(e, "seq"), (uint16_t)vec_int(e, "src"),
				 (uint32_t)vec_int(e, "iv_index"));
		assert_bytes_equal(nonce, exp, 13);
	}
}

static void test_ecdh_and_device_key(void **state)
{
	json_t *p = vec_get(vectors_root(), "provisioning");
	uint8_t prov_priv[32], prov_pub[64], dev_priv[32], dev_pub[64], exp_secret[32];
	uint8_t s1[32], s2[32], salt[16], devkey[16], exp_devkey[16];
	struct mesh_ecdh_key prov = { 0 }, dev = { 0 };

	(void)state;
	vec_hex(p, "provisioner_private_key", prov_priv, 32);
	vec_hex(p, "provisioner_public_key", prov_pub, 64);
	vec_hex(p, "device_private_key", dev_priv, 32);
	vec_hex(p, "device_public_key", dev_pub, 64);
	vec_hex(p, "ecdh_secret", exp_secret, 32);
	assert_int_equal(mesh_ecdh_import(&prov, prov_priv, prov_pub), 0);
	assert_int_equal(mesh_ecdh_import(&dev, dev_priv, dev_pub), 0);
	assert_int_equal(mesh_ecdh_shared(&prov, dev_pub, s1), 0);
	assert_int_equal(mesh_ecdh_shared(&dev, prov_pub, s2), 0);
	assert_bytes_equal(s1, exp_secret, 32);
	assert_bytes_equal(s2, exp_secret, 32);

	/* DeviceKey = k1(ECDHSecret, ProvisioningSalt, "prdk"). */
	vec_hex(vectors_root(), "device_key.provisioning_salt", salt, 16);
	vec_hex(vectors_root(), "device_key.device_key", exp_devkey, 16);
	assert_int_equal(mesh_k1(s1, 32, salt, (const uint8_t *)"prdk", 4, devkey), 0);
	assert_bytes_equal(devkey, exp_devkey, 16);

	/* Our own public key reflected back is refused (CVE-2020-26560). */
	assert_int_equal(mesh_ecdh_shared(&prov, prov_pub, s1), MESH_ERR_PUBKEY);

	/* A point off the curve is refused, not used. */
	dev_pub[63] ^= 0x01;
	assert_int_equal(mesh_ecdh_shared(&prov, dev_pub, s1), MESH_ERR_PUBKEY);
	mesh_ecdh_free(&prov);
	mesh_ecdh_free(&dev);
}

/* A key pair whose halves do not belong together is refused at import. */
static void test_ecdh_import_rejects_mismatched_pair(void **state)
{
	json_t *p = vec_get(vectors_root(), "provisioning");
	uint8_t prov_priv[32], dev_pub[64];
	struct mesh_ecdh_key k = { 0 };

	(void)state;
	vec_hex(p, "provisioner_private_key", prov_priv, 32);
	vec_hex(p, "device_public_key", dev_pub, 64);
	assert_int_equal(mesh_ecdh_import(&k, prov_priv, dev_pub), MESH_ERR_PUBKEY);
	assert_null(k.pkey);
}

static void test_ecdh_generated_pair_agrees(void **state)
{
	struct mesh_ecdh_key a = { 0 }, b = { 0 };
	uint8_t sa[32], sb[32];

	(void)state;
	assert_int_equal(mesh_ecdh_generate(&a), 0);
	assert_int_equal(mesh_ecdh_generate(&b), 0);
	assert_memory_not_equal(a.public_key, b.public_key, 64);
	assert_int_equal(mesh_ecdh_shared(&a, b.public_key, sa), 0);
	assert_int_equal(mesh_ecdh_shared(&b, a.public_key, sb), 0);
	assert_memory_equal(sa, sb, 32);
	mesh_ecdh_free(&a);
	mesh_ecdh_free(&b);
}

/* A key object reused for many nonces and both MIC sizes stays correct. */
static void test_key_reuse_across_mic_sizes(void **state)
{
	uint8_t key[16] = { 1, 2, 3 }, nonce[13] = { 0 }, msg[20] = { 9 };
	uint8_t a[28], b[28];
	struct mesh_aes_key k = { 0 }, fresh = { 0 };

	(void)state;
	assert_int_equal(mesh_aes_key_set(&k, key), 0);
	for (int i = 0; i < 50; i++) {
		size_t mic = i % 2 ? 8 : 4;

		nonce[12] = (uint8_t)i;
		assert_int_equal(mesh_aes_ccm_encrypt(&k, nonce, NULL, 0, msg, sizeof(msg),
						      a, mic), 0);
		assert_int_equal(mesh_aes_key_set(&fresh, key), 0);
		assert_int_equal(mesh_aes_ccm_encrypt(&fresh, nonce, NULL, 0, msg,
						      sizeof(msg), b, mic), 0);
		assert_memory_equal(a, b, sizeof(msg) + mic);
		assert_int_equal(mesh_aes_ccm_decrypt(&k, nonce, NULL, 0, a, sizeof(msg),
						      a, mic), 0);
		assert_memory_equal(a, msg, sizeof(msg));
	}
	assert_int_equal(mesh_aes_ccm_encrypt(&k, nonce, NULL, 0, msg, sizeof(msg), a, 6),
			 MESH_ERR_INVAL);
	mesh_aes_key_clear(&k);
	mesh_aes_key_clear(&fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s1),
		cmocka_unit_test(test_k1),
		cmocka_unit_test(test_identity_and_beacon_keys),
		cmocka_unit_test(test_k2),
		cmocka_unit_test(test_k2_rejects_bad_p),
		cmocka_unit_test(test_k3_network_id),
		cmocka_unit_test(test_k4_aid),
		cmocka_unit_test(test_network_crypto_all_messages),
		cmocka_unit_test(test_access_ccm_all_messages),
		cmocka_unit_test(test_virtual_address),
		cmocka_unit_test(test_beacon_auth),
		cmocka_unit_test(test_proxy_nonce),
		cmocka_unit_test(test_ecdh_and_device_key),
		cmocka_unit_test(test_ecdh_import_rejects_mismatched_pair),
		cmocka_unit_test(test_ecdh_generated_pair_agrees),
		cmocka_unit_test(test_key_reuse_across_mic_sizes),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	mesh_crypto_thread_cleanup();
	return rc;
}
