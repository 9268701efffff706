/*
 * Provisioning security (Mesh Protocol 1.1, 5.4.2.3 - 5.4.2.5) for both
 * algorithms, on OpenSSL 3 EVP; see prov_crypto.h for the formulas.
 *
 * Everything here runs a few times per provisioning session, so contexts
 * are created per call rather than cached. Intermediate keys and buffers
 * that held key material are wiped before returning.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "err.h"
#include "prov_crypto.h"

#define HMAC_LEN 32
#define CMAC_VALUE_LEN 16
#define HMAC_VALUE_LEN 32
#define SESSION_NONCE_OFFSET (16 - MESH_PROV_SESSION_NONCE_LEN)
/* Numeric OOB values are at most 8 decimal digits: 4 octets hold them. */
#define NUMERIC_AUTH_OCTETS 4
/* Parameter lengths of the Capabilities and Start PDUs. */
#define CAPS_PARAMS_LEN 11
#define START_PARAMS_LEN 5

_Static_assert(1 + CAPS_PARAMS_LEN + START_PARAMS_LEN + 2 * MESH_PROV_PUBKEY_LEN ==
	       MESH_PROV_CONF_INPUTS_LEN, "ConfirmationInputs layout");

size_t mesh_prov_alg_value_len(uint8_t alg)
{
	switch (alg) {
	case MESH_PROV_ALG_CMAC_AES128:
		return CMAC_VALUE_LEN;
	case MESH_PROV_ALG_HMAC_SHA256:
		return HMAC_VALUE_LEN;
	default:
		return 0;
	}
}

/* --- HMAC-SHA256, s2, k5 (3.9.2.11, 3.9.2.12) ----------------------------- */

static EVP_MAC_CTX *hmac_sha256_context(void)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];

	/* The context holds its own reference to the algorithm. */
	EVP_MAC_free(mac);
	if (!ctx)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int mesh_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
		     uint8_t out[32])
{
	EVP_MAC_CTX *ctx = hmac_sha256_context();
	size_t out_len = 0;
	int err = MESH_ERR_CRYPTO;

	if (!ctx)
		return MESH_ERR_CRYPTO;
	if (EVP_MAC_init(ctx, key, key_len, NULL) == 1 &&
	    EVP_MAC_update(ctx, msg, len) == 1 &&
	    EVP_MAC_final(ctx, out, &out_len, HMAC_LEN) == 1 && out_len == HMAC_LEN)
		err = 0;
	/* Freeing the context cleanses the keyed state OpenSSL kept. */
	EVP_MAC_CTX_free(ctx);
	return err;
}

int mesh_s2(const uint8_t *m, size_t len, uint8_t out[32])
{
	static const uint8_t zero[HMAC_LEN];

	return mesh_hmac_sha256(zero, sizeof(zero), m, len, out);
}

int mesh_k5(const uint8_t *n, size_t n_len, const uint8_t salt[32], const uint8_t *p,
	    size_t p_len, uint8_t out[32])
{
	uint8_t t[HMAC_LEN];
	int err;

	err = mesh_hmac_sha256(salt, HMAC_LEN, n, n_len, t);
	if (!err)
		err = mesh_hmac_sha256(t, sizeof(t), p, p_len, out);
	OPENSSL_cleanse(t, sizeof(t));
	return err;
}

/* --- Confirmation (5.4.2.4) ------------------------------------------------ */

void mesh_prov_conf_inputs(uint8_t inputs[MESH_PROV_CONF_INPUTS_LEN], uint8_t attention_s,
			   const struct mesh_prov_caps *caps,
			   const struct mesh_prov_start *start,
			   const uint8_t prov_pub[MESH_PROV_PUBKEY_LEN],
			   const uint8_t dev_pub[MESH_PROV_PUBKEY_LEN])
{
	/* The PDU encoders give the parameters exactly as they went on the
	 * air; only the type octet is left out. */
	struct mesh_prov_pdu pdu = { .type = MESH_PROV_CAPABILITIES, .caps = *caps };
	uint8_t buf[1 + CAPS_PARAMS_LEN];
	size_t off = 0;

	inputs[off++] = attention_s;
	mesh_prov_pdu_compose(&pdu, buf, sizeof(buf));
	memcpy(inputs + off, buf + 1, CAPS_PARAMS_LEN);
	off += CAPS_PARAMS_LEN;
	pdu.type = MESH_PROV_START;
	pdu.start = *start;
	mesh_prov_pdu_compose(&pdu, buf, sizeof(buf));
	memcpy(inputs + off, buf + 1, START_PARAMS_LEN);
	off += START_PARAMS_LEN;
	memcpy(inputs + off, prov_pub, MESH_PROV_PUBKEY_LEN);
	off += MESH_PROV_PUBKEY_LEN;
	memcpy(inputs + off, dev_pub, MESH_PROV_PUBKEY_LEN);
}

int mesh_prov_conf_salt(uint8_t alg, const uint8_t inputs[MESH_PROV_CONF_INPUTS_LEN],
			uint8_t salt[MESH_PROV_VALUE_MAX])
{
	switch (alg) {
	case MESH_PROV_ALG_CMAC_AES128:
		return mesh_s1(inputs, MESH_PROV_CONF_INPUTS_LEN, salt);
	case MESH_PROV_ALG_HMAC_SHA256:
		return mesh_s2(inputs, MESH_PROV_CONF_INPUTS_LEN, salt);
	default:
		return MESH_ERR_INVAL;
	}
}

/* HMAC: the AuthValue goes into the key, k5(ECDHSecret || AuthValue, ...). */
static int conf_key_hmac(const uint8_t ecdh_secret[MESH_ECDH_SECRET_LEN],
			 const uint8_t salt[HMAC_VALUE_LEN],
			 const uint8_t auth_value[HMAC_VALUE_LEN], uint8_t key[HMAC_VALUE_LEN])
{
	static const uint8_t prck256[] = { 'p', 'r', 'c', 'k', '2', '5', '6' };
	uint8_t n[MESH_ECDH_SECRET_LEN + HMAC_VALUE_LEN];
	int err;

	memcpy(n, ecdh_secret, MESH_ECDH_SECRET_LEN);
	memcpy(n + MESH_ECDH_SECRET_LEN, auth_value, HMAC_VALUE_LEN);
	err = mesh_k5(n, sizeof(n), salt, prck256, sizeof(prck256), key);
	OPENSSL_cleanse(n, sizeof(n));
	return err;
}

int mesh_prov_conf_key(uint8_t alg, const uint8_t ecdh_secret[MESH_ECDH_SECRET_LEN],
		       const uint8_t salt[MESH_PROV_VALUE_MAX],
		       const uint8_t auth_value[MESH_PROV_VALUE_MAX],
		       uint8_t key[MESH_PROV_VALUE_MAX])
{
	static const uint8_t prck[] = { 'p', 'r', 'c', 'k' };

	switch (alg) {
	case MESH_PROV_ALG_CMAC_AES128:
		return mesh_k1(ecdh_secret, MESH_ECDH_SECRET_LEN, salt, prck, sizeof(prck), key);
	case MESH_PROV_ALG_HMAC_SHA256:
		return conf_key_hmac(ecdh_secret, salt, auth_value, key);
	default:
		return MESH_ERR_INVAL;
	}
}

/* CMAC: the AuthValue goes into the message, AES-CMAC(Random || AuthValue). */
static int confirmation_cmac(const uint8_t key[CMAC_VALUE_LEN],
			     const uint8_t random[CMAC_VALUE_LEN],
			     const uint8_t auth_value[CMAC_VALUE_LEN],
			     uint8_t confirmation[CMAC_VALUE_LEN])
{
	uint8_t msg[2 * CMAC_VALUE_LEN];
	int err;

	memcpy(msg, random, CMAC_VALUE_LEN);
	memcpy(msg + CMAC_VALUE_LEN, auth_value, CMAC_VALUE_LEN);
	err = mesh_aes_cmac(key, msg, sizeof(msg), confirmation);
	OPENSSL_cleanse(msg, sizeof(msg));
	return err;
}

int mesh_prov_confirmation(uint8_t alg, const uint8_t key[MESH_PROV_VALUE_MAX],
			   const uint8_t random[MESH_PROV_VALUE_MAX],
			   const uint8_t auth_value[MESH_PROV_VALUE_MAX],
			   uint8_t confirmation[MESH_PROV_VALUE_MAX])
{
	switch (alg) {
	case MESH_PROV_ALG_CMAC_AES128:
		return confirmation_cmac(key, random, auth_value, confirmation);
	case MESH_PROV_ALG_HMAC_SHA256:
		return mesh_hmac_sha256(key, HMAC_VALUE_LEN, random, HMAC_VALUE_LEN,
					confirmation);
	default:
		return MESH_ERR_INVAL;
	}
}

/* --- Session keys (5.4.2.5) ------------------------------------------------ */

int mesh_prov_salt(uint8_t alg, const uint8_t conf_salt[MESH_PROV_VALUE_MAX],
		   const uint8_t random_prov[MESH_PROV_VALUE_MAX],
		   const uint8_t random_dev[MESH_PROV_VALUE_MAX], uint8_t prov_salt[16])
{
	/* s1 over all three values at the algorithm's width: 48 or 96 octets. */
	uint8_t msg[3 * MESH_PROV_VALUE_MAX];
	size_t n = mesh_prov_alg_value_len(alg);

	if (n == 0)
		return MESH_ERR_INVAL;
	memcpy(msg, conf_salt, n);
	memcpy(msg + n, random_prov, n);
	memcpy(msg + 2 * n, random_dev, n);
	return mesh_s1(msg, 3 * n, prov_salt);
}

static int k1_str(const uint8_t ecdh_secret[MESH_ECDH_SECRET_LEN], const uint8_t salt[16],
		  const char p[4], uint8_t out[16])
{
	return mesh_k1(ecdh_secret, MESH_ECDH_SECRET_LEN, salt, (const uint8_t *)p, 4, out);
}

int mesh_prov_session_keys(const uint8_t ecdh_secret[MESH_ECDH_SECRET_LEN],
			   const uint8_t prov_salt[16], uint8_t session_key[16],
			   uint8_t session_nonce[MESH_PROV_SESSION_NONCE_LEN],
			   uint8_t device_key[16])
{
	uint8_t nonce_full[16];
	int err;

	err = k1_str(ecdh_secret, prov_salt, "prsk", session_key);
	if (!err)
		err = k1_str(ecdh_secret, prov_salt, "prsn", nonce_full);
	if (!err) {
		memcpy(session_nonce, nonce_full + SESSION_NONCE_OFFSET,
		       MESH_PROV_SESSION_NONCE_LEN);
		err = k1_str(ecdh_secret, prov_salt, "prdk", device_key);
	}
	OPENSSL_cleanse(nonce_full, sizeof(nonce_full));
	return err;
}

int mesh_prov_data_encrypt(const uint8_t session_key[16],
			   const uint8_t nonce[MESH_PROV_SESSION_NONCE_LEN],
			   const uint8_t plain[MESH_PROV_DATA_LEN],
			   uint8_t out[MESH_PROV_DATA_LEN + MESH_PROV_DATA_MIC_LEN])
{
	struct mesh_aes_key key = { 0 };
	int err;

	err = mesh_aes_key_set(&key, session_key);
	if (!err)
		err = mesh_aes_ccm_encrypt(&key, nonce, NULL, 0, plain, MESH_PROV_DATA_LEN, out,
					   MESH_PROV_DATA_MIC_LEN);
	mesh_aes_key_clear(&key);
	return err;
}

int mesh_prov_data_decrypt(const uint8_t session_key[16],
			   const uint8_t nonce[MESH_PROV_SESSION_NONCE_LEN],
			   const uint8_t in[MESH_PROV_DATA_LEN + MESH_PROV_DATA_MIC_LEN],
			   uint8_t plain[MESH_PROV_DATA_LEN])
{
	struct mesh_aes_key key = { 0 };
	int err;

	err = mesh_aes_key_set(&key, session_key);
	if (!err)
		err = mesh_aes_ccm_decrypt(&key, nonce, NULL, 0, in, MESH_PROV_DATA_LEN, plain,
					   MESH_PROV_DATA_MIC_LEN);
	mesh_aes_key_clear(&key);
	/* Unauthenticated output would hold a NetKey candidate: never leave it. */
	if (err)
		OPENSSL_cleanse(plain, MESH_PROV_DATA_LEN);
	return err;
}

/* --- AuthValue (5.4.2.4) --------------------------------------------------- */

static bool oob_size_valid(uint8_t size)
{
	return size >= 1 && size <= MESH_PROV_OOB_SIZE_MAX;
}

/* 1 to max_digits decimal digits, as a number. */
static int parse_decimal(const char *text, uint8_t max_digits, uint32_t *value)
{
	size_t len = strlen(text);
	uint32_t v = 0;

	if (len == 0 || len > max_digits)
		return MESH_ERR_INVAL;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return MESH_ERR_INVAL;
		v = v * 10 + (uint32_t)(text[i] - '0');
	}
	*value = v;
	return 0;
}

/* The character set of alphanumeric OOB: digits and upper-case letters. */
static int alphanumeric_char(char c, uint8_t *out)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) {
		*out = (uint8_t)c;
		return 0;
	}
	return MESH_ERR_INVAL;
}

static int auth_numeric(uint8_t size, const char *text, uint8_t *auth, size_t auth_len)
{
	uint32_t value;
	int err = parse_decimal(text, size, &value);

	if (err)
		return err;
	/* A number is a big-endian integer the width of the AuthValue. */
	for (size_t i = 0; i < NUMERIC_AUTH_OCTETS; i++)
		auth[auth_len - 1 - i] = (uint8_t)(value >> (8 * i));
	return 0;
}

static int auth_alphanumeric(uint8_t size, const char *text, uint8_t *auth)
{
	size_t len = strlen(text);

	if (len == 0 || len > size)
		return MESH_ERR_INVAL;
	/* Characters are octets in reading order, zero-padded after. */
	for (size_t i = 0; i < len; i++) {
		if (alphanumeric_char(text[i], &auth[i]))
			return MESH_ERR_INVAL;
	}
	return 0;
}

int mesh_prov_auth_from_text(uint8_t alg, bool alphanumeric, uint8_t size, const char *text,
			     uint8_t auth_value[MESH_PROV_VALUE_MAX])
{
	size_t len = mesh_prov_alg_value_len(alg);
	int err;

	if (len == 0 || !oob_size_valid(size) || !text)
		return MESH_ERR_INVAL;
	memset(auth_value, 0, len);
	if (alphanumeric)
		err = auth_alphanumeric(size, text, auth_value);
	else
		err = auth_numeric(size, text, auth_value, len);
	if (err)
		memset(auth_value, 0, len);
	return err;
}

int mesh_prov_auth_from_static(uint8_t alg, const uint8_t *value, size_t len,
			       uint8_t auth_value[MESH_PROV_VALUE_MAX])
{
	size_t want = mesh_prov_alg_value_len(alg);

	if (want == 0 || !value || len == 0 || len > MESH_PROV_VALUE_MAX)
		return MESH_ERR_INVAL;
	/* Binary OOB data is placed first and zero-padded after; a 32-octet
	 * value given to a CMAC session keeps its first 16 octets. */
	memset(auth_value, 0, want);
	memcpy(auth_value, value, len < want ? len : want);
	return 0;
}

/* --- OOB generation ---------------------------------------------------------- */

/* Uniform in [0, bound) from the cryptographic RNG: draws that fall into the
 * incomplete last block of 2^32 are thrown away, so no value is favoured. */
static int random_below(uint32_t bound, uint32_t *out)
{
	uint32_t limit = UINT32_MAX - (UINT32_MAX % bound);
	uint32_t r;

	do {
		if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
			return MESH_ERR_CRYPTO;
	} while (r >= limit);
	*out = r % bound;
	return 0;
}

static uint32_t power_of_ten(uint8_t exponent)
{
	uint32_t v = 1;

	while (exponent--)
		v *= 10;
	return v;
}

/* value (below 10^8) in decimal without leading zeros, NUL-terminated. */
static void format_decimal(uint32_t value, char *out)
{
	char digits[10];
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	for (size_t i = 0; i < n; i++)
		out[i] = digits[n - 1 - i];
	out[n] = '\0';
}

static int generate_numeric(uint8_t size, char *out)
{
	uint32_t r;
	/* Zero would mean "no blinks": the range is 1 .. 10^size - 1. */
	int err = random_below(power_of_ten(size) - 1, &r);

	if (!err)
		format_decimal(r + 1, out);
	return err;
}

static int generate_alphanumeric(uint8_t size, char *out)
{
	static const char set[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint32_t r;
	int err = 0;

	for (uint8_t i = 0; i < size && !err; i++) {
		err = random_below(sizeof(set) - 1, &r);
		if (!err)
			out[i] = set[r];
	}
	out[size] = '\0';
	return err;
}

int mesh_prov_oob_generate(bool alphanumeric, uint8_t size, char out[MESH_PROV_OOB_SIZE_MAX + 1])
{
	int err;

	if (!oob_size_valid(size))
		return MESH_ERR_INVAL;
	err = alphanumeric ? generate_alphanumeric(size, out) : generate_numeric(size, out);
	if (err)
		OPENSSL_cleanse(out, MESH_PROV_OOB_SIZE_MAX + 1);
	return err;
}
