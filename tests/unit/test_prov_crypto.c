/*
 * Provisioning security against the specification's sample data (8.7,
 * BTM_ECDH_P256_CMAC_AES128_AES_CCM with No OOB): ECDH secret,
 * confirmation inputs, salt, key and values, provisioning salt, session
 * key and nonce, device key, encrypted Provisioning Data.
 *
 * The section 8 sample data has no HMAC-SHA256 exchange, so the HMAC
 * algorithm is checked against RFC 4231 and against the definitions of
 * s2, k5 and the confirmation written out here with OpenSSL's one-shot
 * HMAC(), independently of prov_crypto.c.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mesh/err.h"
#include "mesh/prov_crypto.h"
#include "vectors.h"

static json_t *prov_vectors(void)
{
	return vec_get(vectors_root(), "provisioning");
}

static const uint8_t zero_auth[MESH_PROV_VALUE_MAX];

/* --- the 8.7 exchange ------------------------------------------------------ */

struct sample {
	uint8_t prov_pub[64], dev_pub[64], secret[32];
	uint8_t random_prov[32], random_dev[32];   /* CMAC uses 16 */
	struct mesh_prov_caps caps;
	struct mesh_prov_start start;
	uint8_t attention_s;
};

static void parse_params(uint8_t type, const char *path, struct mesh_prov_pdu *pdu)
{
	uint8_t buf[MESH_PROV_PDU_MAX];
	size_t len = 1 + vec_hex(prov_vectors(), path, buf + 1, sizeof(buf) - 1);

	buf[0] = type;
	assert_int_equal(mesh_prov_pdu_parse(buf, len, pdu), 0);
}

/* The ECDH secret from both imported key pairs, and the parsed PDUs. */
static void load_sample(struct sample *s)
{
	json_t *p = prov_vectors();
	uint8_t prov_priv[32], dev_priv[32], from_dev[32], want[32];
	struct mesh_ecdh_key prov = { 0 }, dev = { 0 };
	struct mesh_prov_pdu pdu;

	vec_hex(p, "provisioner_private_key", prov_priv, 32);
	vec_hex(p, "provisioner_public_key", s->prov_pub, 64);
	vec_hex(p, "device_private_key", dev_priv, 32);
	vec_hex(p, "device_public_key", s->dev_pub, 64);
	assert_int_equal(mesh_ecdh_import(&prov, prov_priv, s->prov_pub), 0);
	assert_int_equal(mesh_ecdh_import(&dev, dev_priv, s->dev_pub), 0);
	assert_int_equal(mesh_ecdh_shared(&prov, s->dev_pub, s->secret), 0);
	assert_int_equal(mesh_ecdh_shared(&dev, s->prov_pub, from_dev), 0);
	vec_hex(p, "ecdh_secret", want, 32);
	assert_bytes_equal(s->secret, want, 32);
	assert_bytes_equal(from_dev, want, 32);
	mesh_ecdh_free(&prov);
	mesh_ecdh_free(&dev);

	vec_hex(p, "random_provisioner", s->random_prov, 16);
	vec_hex(p, "random_device", s->random_dev, 16);
	parse_params(MESH_PROV_INVITE, "confirmation.invite_pdu_value", &pdu);
	s->attention_s = pdu.attention_s;
	parse_params(MESH_PROV_CAPABILITIES, "confirmation.capabilities_pdu_value", &pdu);
	s->caps = pdu.caps;
	parse_params(MESH_PROV_START, "confirmation.start_pdu_value", &pdu);
	s->start = pdu.start;
}

static void expect_hex(const char *path, const uint8_t *got, size_t len)
{
	uint8_t want[256];

	assert_int_equal(vec_hex(prov_vectors(), path, want, sizeof(want)), len);
	assert_bytes_equal(got, want, len);
}

static void test_sample_confirmation(void **state)
{
	struct sample s;
	uint8_t inputs[MESH_PROV_CONF_INPUTS_LEN], salt[32], t[16], key[32], conf[32];
	uint8_t auth[32];
	const uint8_t alg = MESH_PROV_ALG_CMAC_AES128;

	(void)state;
	load_sample(&s);
	assert_int_equal(s.start.algorithm, alg);
	assert_int_equal(s.start.auth_method, MESH_PROV_AUTH_NO_OOB);

	mesh_prov_conf_inputs(inputs, s.attention_s, &s.caps, &s.start, s.prov_pub, s.dev_pub);
	expect_hex("confirmation.confirmation_inputs", inputs, sizeof(inputs));
	assert_int_equal(mesh_prov_conf_salt(alg, inputs, salt), 0);
	expect_hex("confirmation.confirmation_salt", salt, 16);
	expect_hex("confirmation.k1_salt", salt, 16);
	expect_hex("confirmation.k1_n", s.secret, 32);

	/* k1's intermediate T = AES-CMAC_salt(ECDHSecret). */
	assert_int_equal(mesh_aes_cmac(salt, s.secret, 32, t), 0);
	expect_hex("confirmation.k1_t", t, 16);
	assert_string_equal(vec_str(prov_vectors(), "confirmation.k1_p_ascii"), "prck");

	/* No OOB: the AuthValue is all zeros. */
	expect_hex("confirmation.auth_value", zero_auth, 16);
	memset(auth, 0, sizeof(auth));
	assert_int_equal(mesh_prov_conf_key(alg, s.secret, salt, auth, key), 0);
	expect_hex("confirmation.confirmation_key", key, 16);
	assert_int_equal(mesh_prov_confirmation(alg, key, s.random_prov, auth, conf), 0);
	expect_hex("confirmation.confirmation_provisioner", conf, 16);
	assert_int_equal(mesh_prov_confirmation(alg, key, s.random_dev, auth, conf), 0);
	expect_hex("confirmation.confirmation_device", conf, 16);

	/* CMAC takes the AuthValue into the confirmation, not the key. */
	auth[15] = 1;
	assert_int_equal(mesh_prov_conf_key(alg, s.secret, salt, auth, key), 0);
	expect_hex("confirmation.confirmation_key", key, 16);
	assert_int_equal(mesh_prov_confirmation(alg, key, s.random_prov, auth, conf), 0);
	vec_hex(prov_vectors(), "confirmation.confirmation_provisioner", t, 16);
	assert_memory_not_equal(conf, t, 16);
}

/* Session material and the encrypted Provisioning Data of 8.7.12. */
static void test_sample_provisioning_data(void **state)
{
	struct sample s;
	uint8_t inputs[MESH_PROV_CONF_INPUTS_LEN], conf_salt[32], prov_inputs[48];
	uint8_t prov_salt[16], session_key[16], nonce[13], dev_key[16], want[16];
	uint8_t plain[MESH_PROV_DATA_LEN], sealed[MESH_PROV_DATA_LEN + 8], back[MESH_PROV_DATA_LEN];
	struct mesh_prov_data data = { 0 };
	json_t *d = vec_get(prov_vectors(), "provisioning_data");
	const uint8_t alg = MESH_PROV_ALG_CMAC_AES128;

	(void)state;
	load_sample(&s);
	mesh_prov_conf_inputs(inputs, s.attention_s, &s.caps, &s.start, s.prov_pub, s.dev_pub);
	assert_int_equal(mesh_prov_conf_salt(alg, inputs, conf_salt), 0);

	memcpy(prov_inputs, conf_salt, 16);
	memcpy(prov_inputs + 16, s.random_prov, 16);
	memcpy(prov_inputs + 32, s.random_dev, 16);
	expect_hex("provisioning_data.provisioning_inputs", prov_inputs, 48);
	assert_int_equal(mesh_prov_salt(alg, conf_salt, s.random_prov, s.random_dev, prov_salt), 0);
	expect_hex("provisioning_data.provisioning_salt", prov_salt, 16);

	assert_int_equal(mesh_prov_session_keys(s.secret, prov_salt, session_key, nonce, dev_key), 0);
	expect_hex("provisioning_data.session_key", session_key, 16);
	expect_hex("provisioning_data.session_nonce", nonce, 13);
	expect_hex("provisioning_data.device_key", dev_key, 16);
	vec_hex(vectors_root(), "device_key.device_key", want, 16);
	assert_bytes_equal(dev_key, want, 16);
	vec_hex(vectors_root(), "device_key.provisioning_salt", want, 16);
	assert_bytes_equal(prov_salt, want, 16);

	vec_hex(d, "netkey", data.net_key, 16);
	data.net_idx = (uint16_t)vec_int(d, "netkey_index");
	data.flags = (uint8_t)vec_int(d, "flags");
	data.iv_index = (uint32_t)vec_int(d, "iv_index");
	data.address = (uint16_t)vec_int(d, "unicast_address");
	mesh_prov_data_encode(&data, plain);
	expect_hex("provisioning_data.provisioning_data", plain, MESH_PROV_DATA_LEN);

	assert_int_equal(mesh_prov_data_encrypt(session_key, nonce, plain, sealed), 0);
	expect_hex("provisioning_data.encrypted_provisioning_data", sealed, MESH_PROV_DATA_LEN);
	expect_hex("provisioning_data.provisioning_data_mic", sealed + MESH_PROV_DATA_LEN, 8);

	assert_int_equal(mesh_prov_data_decrypt(session_key, nonce, sealed, back), 0);
	assert_bytes_equal(back, plain, MESH_PROV_DATA_LEN);

	/* Any flipped bit of ciphertext or MIC fails, and leaves no plaintext. */
	for (size_t bit = 0; bit < 8 * sizeof(sealed); bit += 13) {
		sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(back, 0xee, sizeof(back));
		assert_int_equal(mesh_prov_data_decrypt(session_key, nonce, sealed, back),
				 MESH_ERR_MIC);
		assert_memory_equal(back, zero_auth, sizeof(back));
		sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* A wrong session key fails too. */
	session_key[0] ^= 0x80;
	assert_int_equal(mesh_prov_data_decrypt(session_key, nonce, sealed, back), MESH_ERR_MIC);
}

/* --- HMAC-SHA256 ------------------------------------------------------------ */

static void test_hmac_rfc4231(void **state)
{
	/* RFC 4231 test cases 1 and 2, HMAC-SHA-256. */
	static const char *const want1 =
		"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
	static const char *const want2 =
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
	uint8_t key1[20], out[32], want[32];
	const char *data2 = "what do ya want for nothing?";

	(void)state;
	memset(key1, 0x0b, sizeof(key1));
	assert_int_equal(mesh_hmac_sha256(key1, sizeof(key1), (const uint8_t *)"Hi There", 8,
					  out), 0);
	assert_int_equal(mesh_hex_decode(want1, want, sizeof(want)), 32);
	assert_bytes_equal(out, want, 32);
	assert_int_equal(mesh_hmac_sha256((const uint8_t *)"Jefe", 4, (const uint8_t *)data2,
					  strlen(data2), out), 0);
	assert_int_equal(mesh_hex_decode(want2, want, sizeof(want)), 32);
	assert_bytes_equal(out, want, 32);
}

/* The reference: OpenSSL's one-shot HMAC with SHA-256. */
static void ref_hmac(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
		     uint8_t out[32])
{
	unsigned int out_len = 0;

	assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, msg, len, out, &out_len));
	assert_int_equal(out_len, 32);
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 17);
}

static void test_s2_and_k5(void **state)
{
	static const uint8_t zero_key[32];
	uint8_t m[145], n[64], salt[32], t[32], got[32], want[32];

	(void)state;
	fill(m, sizeof(m), 1);
	/* s2(M) = HMAC-SHA-256 keyed with 32 zero octets. */
	for (size_t len = 0; len <= sizeof(m); len += 29) {
		assert_int_equal(mesh_s2(m, len, got), 0);
		ref_hmac(zero_key, 32, m, len, want);
		assert_bytes_equal(got, want, 32);
	}
	/* k5(N, SALT, P) = HMAC_T(P), T = HMAC_SALT(N). */
	fill(n, sizeof(n), 2);
	fill(salt, sizeof(salt), 3);
	assert_int_equal(mesh_k5(n, sizeof(n), salt, (const uint8_t *)"prck256", 7, got), 0);
	ref_hmac(salt, 32, n, sizeof(n), t);
	ref_hmac(t, 32, (const uint8_t *)"prck256", 7, want);
	assert_bytes_equal(got, want, 32);
}

/* The whole HMAC-SHA256 confirmation and salt chain, written out. */
static void test_hmac_algorithm_chain(void **state)
{
	static const uint8_t zero_key[32];
	const uint8_t alg = MESH_PROV_ALG_HMAC_SHA256;
	struct sample s;
	uint8_t inputs[MESH_PROV_CONF_INPUTS_LEN], salt[32], key[32], conf[32], auth[32];
	uint8_t rand_prov[32], rand_dev[32], n[64], t[32], want[32], prov_salt[16];
	uint8_t s1_in[96], want_salt[16];

	(void)state;
	load_sample(&s);
	s.start.algorithm = alg;
	s.caps.algorithms = MESH_PROV_ALG_BIT(alg);
	s.start.auth_method = MESH_PROV_AUTH_STATIC;
	s.caps.static_oob_type = MESH_PROV_STATIC_OOB_AVAILABLE;
	fill(auth, sizeof(auth), 4);
	fill(rand_prov, sizeof(rand_prov), 5);
	fill(rand_dev, sizeof(rand_dev), 6);
	mesh_prov_conf_inputs(inputs, 5, &s.caps, &s.start, s.prov_pub, s.dev_pub);
	assert_int_equal(inputs[0], 5);
	assert_int_equal(inputs[2], 0x00);
	assert_int_equal(inputs[3], 0x02);
	assert_int_equal(inputs[12], alg);
	assert_int_equal(inputs[14], MESH_PROV_AUTH_STATIC);

	/* ConfirmationSalt = s2(ConfirmationInputs). */
	assert_int_equal(mesh_prov_conf_salt(alg, inputs, salt), 0);
	ref_hmac(zero_key, 32, inputs, sizeof(inputs), want);
	assert_bytes_equal(salt, want, 32);

	/* ConfirmationKey = k5(ECDHSecret || AuthValue, salt, "prck256"). */
	assert_int_equal(mesh_prov_conf_key(alg, s.secret, salt, auth, key), 0);
	memcpy(n, s.secret, 32);
	memcpy(n + 32, auth, 32);
	ref_hmac(salt, 32, n, sizeof(n), t);
	ref_hmac(t, 32, (const uint8_t *)"prck256", 7, want);
	assert_bytes_equal(key, want, 32);

	/* Confirmation = HMAC-SHA-256_ConfirmationKey(Random): 32 octets. */
	assert_int_equal(mesh_prov_confirmation(alg, key, rand_prov, auth, conf), 0);
	ref_hmac(key, 32, rand_prov, 32, want);
	assert_bytes_equal(conf, want, 32);

	/* ProvisioningSalt = s1(ConfirmationSalt || RandomP || RandomD), 96 octets. */
	assert_int_equal(mesh_prov_salt(alg, salt, rand_prov, rand_dev, prov_salt), 0);
	memcpy(s1_in, salt, 32);
	memcpy(s1_in + 32, rand_prov, 32);
	memcpy(s1_in + 64, rand_dev, 32);
	assert_int_equal(mesh_aes_cmac(zero_key, s1_in, sizeof(s1_in), want_salt), 0);
	assert_bytes_equal(prov_salt, want_salt, 16);
}

static void test_value_lengths(void **state)
{
	uint8_t inputs[MESH_PROV_CONF_INPUTS_LEN] = { 0 }, secret[32] = { 0 };
	uint8_t a[32] = { 0 }, b[32] = { 0 }, out[32], salt16[16];

	(void)state;
	assert_int_equal(mesh_prov_alg_value_len(MESH_PROV_ALG_CMAC_AES128), 16);
	assert_int_equal(mesh_prov_alg_value_len(MESH_PROV_ALG_HMAC_SHA256), 32);
	assert_int_equal(mesh_prov_alg_value_len(2), 0);
	assert_int_equal(mesh_prov_alg_value_len(0xff), 0);

	/* CMAC writes 16 octets, HMAC 32: nothing past the value's width. */
	for (uint8_t alg = 0; alg <= 1; alg++) {
		size_t n = mesh_prov_alg_value_len(alg);

		memset(out, 0xa5, sizeof(out));
		assert_int_equal(mesh_prov_conf_salt(alg, inputs, out), 0);
		for (size_t i = n; i < sizeof(out); i++)
			assert_int_equal(out[i], 0xa5);
		memset(out, 0xa5, sizeof(out));
		assert_int_equal(mesh_prov_conf_key(alg, secret, a, b, out), 0);
		for (size_t i = n; i < sizeof(out); i++)
			assert_int_equal(out[i], 0xa5);
		memset(out, 0xa5, sizeof(out));
		assert_int_equal(mesh_prov_confirmation(alg, a, b, a, out), 0);
		for (size_t i = n; i < sizeof(out); i++)
			assert_int_equal(out[i], 0xa5);
	}
	assert_int_equal(mesh_prov_conf_salt(2, inputs, out), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_conf_key(2, secret, a, b, out), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_confirmation(2, a, b, a, out), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_salt(2, a, b, a, salt16), MESH_ERR_INVAL);
}

/* --- AuthValue -------------------------------------------------------------- */

static void test_auth_numeric(void **state)
{
	uint8_t auth[32], want[32];

	(void)state;
	/* 123456 = 0x01e240, big-endian at the end of the 16 or 32 octets. */
	memset(want, 0, sizeof(want));
	want[13] = 0x01;
	want[14] = 0xe2;
	want[15] = 0x40;
	assert_int_equal(mesh_prov_auth_from_text(MESH_PROV_ALG_CMAC_AES128, false, 6, "123456",
						  auth), 0);
	assert_bytes_equal(auth, want, 16);
	memset(want, 0, sizeof(want));
	want[29] = 0x01;
	want[30] = 0xe2;
	want[31] = 0x40;
	assert_int_equal(mesh_prov_auth_from_text(MESH_PROV_ALG_HMAC_SHA256, false, 8, "123456",
						  auth), 0);
	assert_bytes_equal(auth, want, 32);

	/* Largest 8-digit value, leading zeros, a one-digit blink count. */
	assert_int_equal(mesh_prov_auth_from_text(0, false, 8, "99999999", auth), 0);
	assert_int_equal(auth[12], 0x05);
	assert_int_equal(auth[13], 0xf5);
	assert_int_equal(auth[14], 0xe0);
	assert_int_equal(auth[15], 0xff);
	assert_int_equal(mesh_prov_auth_from_text(0, false, 3, "007", auth), 0);
	assert_int_equal(auth[15], 7);
	assert_int_equal(mesh_prov_auth_from_text(0, false, 1, "3", auth), 0);
	assert_int_equal(auth[15], 3);

	/* Too many digits, letters, signs, spaces, nothing. */
	assert_int_equal(mesh_prov_auth_from_text(0, false, 6, "1234567", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(0, false, 4, "12a4", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(0, false, 4, "A", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(0, false, 4, "-1", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(0, false, 4, " 12", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(0, false, 4, "", auth), MESH_ERR_INVAL);
	assert_memory_equal(auth, zero_auth, 16);
}

static void test_auth_alphanumeric(void **state)
{
	uint8_t auth[32], want[32] = { 0 };

	(void)state;
	/* Characters first, in reading order; lower case is upper-cased. */
	memcpy(want, "AB12Z", 5);
	assert_int_equal(mesh_prov_auth_from_text(MESH_PROV_ALG_CMAC_AES128, true, 8, "ab12z",
						  auth), 0);
	assert_bytes_equal(auth, want, 16);
	assert_int_equal(mesh_prov_auth_from_text(MESH_PROV_ALG_HMAC_SHA256, true, 5, "AB12Z",
						  auth), 0);
	assert_bytes_equal(auth, want, 32);

	assert_int_equal(mesh_prov_auth_from_text(0, true, 4, "ABCDE", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(0, true, 4, "AB-C", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(0, true, 4, "AB C", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(0, true, 4, "\xc3\x84", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(0, true, 4, "", auth), MESH_ERR_INVAL);
	assert_memory_equal(auth, zero_auth, 16);

	/* Sizes outside 1..8, unknown algorithms, no text. */
	assert_int_equal(mesh_prov_auth_from_text(0, true, 0, "A", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(0, false, 9, "1", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(2, false, 4, "1", auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_text(0, false, 4, NULL, auth), MESH_ERR_INVAL);
}

static void test_auth_static(void **state)
{
	uint8_t value[33], auth[32], want[32];

	(void)state;
	fill(value, sizeof(value), 9);
	assert_int_equal(mesh_prov_auth_from_static(MESH_PROV_ALG_CMAC_AES128, value, 16, auth), 0);
	assert_bytes_equal(auth, value, 16);
	assert_int_equal(mesh_prov_auth_from_static(MESH_PROV_ALG_HMAC_SHA256, value, 32, auth), 0);
	assert_bytes_equal(auth, value, 32);

	/* A 16-octet value for HMAC: first, then 16 zero octets. */
	memset(want, 0, sizeof(want));
	memcpy(want, value, 16);
	assert_int_equal(mesh_prov_auth_from_static(MESH_PROV_ALG_HMAC_SHA256, value, 16, auth), 0);
	assert_bytes_equal(auth, want, 32);
	/* Shorter binary data is zero-padded after. */
	memset(want, 0, sizeof(want));
	memcpy(want, value, 5);
	assert_int_equal(mesh_prov_auth_from_static(MESH_PROV_ALG_CMAC_AES128, value, 5, auth), 0);
	assert_bytes_equal(auth, want, 16);
	/* A 32-octet value for CMAC keeps its first 16 octets. */
	assert_int_equal(mesh_prov_auth_from_static(MESH_PROV_ALG_CMAC_AES128, value, 32, auth), 0);
	assert_bytes_equal(auth, value, 16);

	assert_int_equal(mesh_prov_auth_from_static(0, value, 0, auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_static(0, value, 33, auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_static(0, NULL, 16, auth), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_auth_from_static(2, value, 16, auth), MESH_ERR_INVAL);
}

/* --- OOB generation ---------------------------------------------------------- */

static unsigned long power_of_ten(unsigned e)
{
	unsigned long v = 1;

	while (e--)
		v *= 10;
	return v;
}

static void test_oob_generate_numeric(void **state)
{
	char out[MESH_PROV_OOB_SIZE_MAX + 1];
	unsigned seen_one_digit = 0;
	uint8_t auth[32];

	(void)state;
	for (uint8_t size = 1; size <= MESH_PROV_OOB_SIZE_MAX; size++) {
		unsigned long max_seen = 0;

		for (int i = 0; i < 400; i++) {
			char *end;
			unsigned long v;

			assert_int_equal(mesh_prov_oob_generate(false, size, out), 0);
			assert_true(strlen(out) >= 1 && strlen(out) <= size);
			assert_true(out[0] != '0');
			v = strtoul(out, &end, 10);
			assert_true(*end == '\0');
			assert_true(v >= 1 && v < power_of_ten(size));
			if (v > max_seen)
				max_seen = v;
			if (size == 1)
				seen_one_digit |= 1u << v;
			/* What one side shows, the other side can type. */
			assert_int_equal(mesh_prov_auth_from_text(0, false, size, out, auth), 0);
		}
		/* The top decade is reached: the range is not cut short. */
		assert_true(max_seen >= power_of_ten(size) / 10 * 9 || size == 1);
	}
	/* Every blink count 1..9 occurs, never 0. */
	assert_int_equal(seen_one_digit, 0x3feu);
}

static void test_oob_generate_alphanumeric(void **state)
{
	char out[MESH_PROV_OOB_SIZE_MAX + 1];
	uint64_t seen = 0;
	uint8_t auth[32];

	(void)state;
	for (uint8_t size = 1; size <= MESH_PROV_OOB_SIZE_MAX; size++) {
		for (int i = 0; i < 200; i++) {
			assert_int_equal(mesh_prov_oob_generate(true, size, out), 0);
			assert_int_equal(strlen(out), size);
			for (uint8_t k = 0; k < size; k++) {
				char c = out[k];

				assert_true((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'));
				seen |= 1ull << (c <= '9' ? c - '0' : c - 'A' + 10);
			}
			assert_int_equal(mesh_prov_auth_from_text(1, true, size, out, auth), 0);
			assert_memory_equal(auth, out, size);
		}
	}
	/* All 36 characters occur. */
	assert_true(seen == (1ull << 36) - 1);

	assert_int_equal(mesh_prov_oob_generate(true, 0, out), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_oob_generate(false, 0, out), MESH_ERR_INVAL);
	assert_int_equal(mesh_prov_oob_generate(false, 9, out), MESH_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_confirmation),
		cmocka_unit_test(test_sample_provisioning_data),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_s2_and_k5),
		cmocka_unit_test(test_hmac_algorithm_chain),
		cmocka_unit_test(test_value_lengths),
		cmocka_unit_test(test_auth_numeric),
		cmocka_unit_test(test_auth_alphanumeric),
		cmocka_unit_test(test_auth_static),
		cmocka_unit_test(test_oob_generate_numeric),
		cmocka_unit_test(test_oob_generate_alphanumeric),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	mesh_crypto_thread_cleanup();
	return rc;
}
