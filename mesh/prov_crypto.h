/*
 * Provisioning security (Mesh Protocol 1.1, 5.4.2.4 - 5.4.2.5) for both
 * algorithms:
 *
 *   BTM_ECDH_P256_CMAC_AES128_AES_CCM   ConfirmationSalt = s1(inputs),
 *     ConfirmationKey = k1(ECDHSecret, salt, "prck"),
 *     Confirmation = AES-CMAC_ConfirmationKey(Random || AuthValue);
 *     Random, Confirmation, AuthValue and salt are 16 octets.
 *   BTM_ECDH_P256_HMAC_SHA256_AES_CCM   ConfirmationSalt = s2(inputs),
 *     ConfirmationKey = k5(ECDHSecret || AuthValue, salt, "prck256"),
 *     Confirmation = HMAC-SHA256_ConfirmationKey(Random);
 *     Random, Confirmation, AuthValue and salt are 32 octets.
 *
 * Both: ProvisioningSalt = s1(ConfirmationSalt || RandomProvisioner ||
 * RandomDevice), SessionKey = k1(ECDHSecret, ProvisioningSalt, "prsk"),
 * SessionNonce = last 13 octets of k1(..., "prsn"), DeviceKey =
 * k1(..., "prdk"), Provisioning Data under AES-CCM with an 8-octet MIC.
 *
 * The ConfirmationInputs are Invite || Capabilities || Start parameters
 * (without type octets) || Provisioner public key || Device public key.
 */
#ifndef MESH_PROV_CRYPTO_H
#define MESH_PROV_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "prov_pdu.h"

#define MESH_PROV_CONF_INPUTS_LEN 145   /* 1 + 11 + 5 + 64 + 64 */
#define MESH_PROV_SESSION_NONCE_LEN 13

/* 16 for CMAC, 32 for HMAC, 0 for an unknown algorithm. */
size_t mesh_prov_alg_value_len(uint8_t alg);

/* HMAC-SHA256 (through EVP_MAC). */
int mesh_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
		     uint8_t out[32]);
/* s2(M) = HMAC-SHA256 keyed with 32 zero octets (Mesh 1.1, 3.9.2.11). */
int mesh_s2(const uint8_t *m, size_t len, uint8_t out[32]);
/* k5(N, SALT, P) = HMAC-SHA256_T(P), T = HMAC-SHA256_SALT(N) (3.9.2.12). */
int mesh_k5(const uint8_t *n, size_t n_len, const uint8_t salt[32], const uint8_t *p,
	    size_t p_len, uint8_t out[32]);

/* Builds inputs[145] from the PDUs' parameters. */
void mesh_prov_conf_inputs(uint8_t inputs[MESH_PROV_CONF_INPUTS_LEN], uint8_t attention_s,
			   const struct mesh_prov_caps *caps,
			   const struct mesh_prov_start *start,
			   const uint8_t prov_pub[MESH_PROV_PUBKEY_LEN],
			   const uint8_t dev_pub[MESH_PROV_PUBKEY_LEN]);

/* All functions below read and write mesh_prov_alg_value_len(alg) octets
 * where the size is not fixed, but their buffers are always
 * MESH_PROV_VALUE_MAX octets (the compiler checks the declared size), and
 * they return MESH_ERR_INVAL for an unknown algorithm. */
int mesh_prov_conf_salt(uint8_t alg, const uint8_t inputs[MESH_PROV_CONF_INPUTS_LEN],
			uint8_t salt[MESH_PROV_VALUE_MAX]);
int mesh_prov_conf_key(uint8_t alg, const uint8_t ecdh_secret[MESH_ECDH_SECRET_LEN],
		       const uint8_t salt[MESH_PROV_VALUE_MAX],
		       const uint8_t auth_value[MESH_PROV_VALUE_MAX],
		       uint8_t key[MESH_PROV_VALUE_MAX]);
int mesh_prov_confirmation(uint8_t alg, const uint8_t key[MESH_PROV_VALUE_MAX],
			   const uint8_t random[MESH_PROV_VALUE_MAX],
			   const uint8_t auth_value[MESH_PROV_VALUE_MAX],
			   uint8_t confirmation[MESH_PROV_VALUE_MAX]);
int mesh_prov_salt(uint8_t alg, const uint8_t conf_salt[MESH_PROV_VALUE_MAX],
		   const uint8_t random_prov[MESH_PROV_VALUE_MAX],
		   const uint8_t random_dev[MESH_PROV_VALUE_MAX], uint8_t prov_salt[16]);

/* Session key, nonce and device key from the ProvisioningSalt. */
int mesh_prov_session_keys(const uint8_t ecdh_secret[MESH_ECDH_SECRET_LEN],
			   const uint8_t prov_salt[16], uint8_t session_key[16],
			   uint8_t session_nonce[MESH_PROV_SESSION_NONCE_LEN],
			   uint8_t device_key[16]);

/* 25 octets of plaintext -> 25 octets of ciphertext followed by the MIC. */
int mesh_prov_data_encrypt(const uint8_t session_key[16],
			   const uint8_t nonce[MESH_PROV_SESSION_NONCE_LEN],
			   const uint8_t plain[MESH_PROV_DATA_LEN],
			   uint8_t out[MESH_PROV_DATA_LEN + MESH_PROV_DATA_MIC_LEN]);
/* MESH_ERR_MIC if the MIC does not authenticate. */
int mesh_prov_data_decrypt(const uint8_t session_key[16],
			   const uint8_t nonce[MESH_PROV_SESSION_NONCE_LEN],
			   const uint8_t in[MESH_PROV_DATA_LEN + MESH_PROV_DATA_MIC_LEN],
			   uint8_t plain[MESH_PROV_DATA_LEN]);

/*
 * AuthValue from what a user reads or types (5.4.2.4): numeric actions
 * (blink, beep, vibrate, push, twist, numeric) take a decimal number of at
 * most `size` digits, placed big-endian at the end of the zeroed value;
 * alphanumeric takes at most `size` characters of 0-9 and A-Z (lower case
 * is upper-cased), placed at the start. MESH_ERR_INVAL names nothing: the
 * caller says "not a number of at most N digits" / "not N letters or
 * digits".
 */
int mesh_prov_auth_from_text(uint8_t alg, bool alphanumeric, uint8_t size, const char *text,
			     uint8_t auth_value[MESH_PROV_VALUE_MAX]);
/* A static OOB value of at most 32 octets: placed first, zero-padded after,
 * a longer value than the AuthValue cut to its size. */
int mesh_prov_auth_from_static(uint8_t alg, const uint8_t *value, size_t len,
			       uint8_t auth_value[MESH_PROV_VALUE_MAX]);

/*
 * A fresh OOB value for the side that shows it (Input OOB on the
 * Provisioner, Output OOB on a device), from the cryptographic RNG:
 * numeric actions give 1 .. 10^size - 1 in decimal, alphanumeric gives
 * size characters of 0-9A-Z. out holds size + 1 octets at most.
 */
int mesh_prov_oob_generate(bool alphanumeric, uint8_t size, char out[MESH_PROV_OOB_SIZE_MAX + 1]);

#endif
