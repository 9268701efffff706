/*
 * Mesh security toolbox (Mesh Profile 3.8): AES-CMAC and AES-CCM, the key
 * derivation functions s1 and k1..k4, nonces, network header obfuscation,
 * virtual address hashing, secure network beacon authentication and P-256
 * ECDH for provisioning.
 *
 * Everything goes through OpenSSL 3 EVP. Keys used per PDU (privacy,
 * encryption, application and device keys) live in struct mesh_aes_key, which
 * keeps its cipher contexts with the key schedule loaded, so the receive and
 * send paths allocate nothing after a key's first use. One-shot helpers
 * (CMAC, k-functions) use contexts kept per thread.
 *
 * Not thread-safe per key object: the mesh stack runs on one event loop.
 */
#ifndef MESH_CRYPTO_H
#define MESH_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#define MESH_KEY_LEN 16
#define MESH_NONCE_LEN 13
#define MESH_ECDH_PUB_LEN 64  /* X || Y, big-endian */
#define MESH_ECDH_PRIV_LEN 32
#define MESH_ECDH_SECRET_LEN 32

/* An AES-128 key with lazily created, then reused, cipher contexts. */
struct mesh_aes_key {
	uint8_t key[MESH_KEY_LEN];
	EVP_CIPHER_CTX *ecb;
	/* CCM contexts by direction (0 decrypt, 1 encrypt) and MIC size
	 * (0: 4 octets, 1: 8 octets). */
	EVP_CIPHER_CTX *ccm[2][2];
};

/* Load key into k (k must be zeroed or previously set). */
int mesh_aes_key_set(struct mesh_aes_key *k, const uint8_t key[MESH_KEY_LEN]);
/* Free contexts and wipe key material; k may be set again afterwards. */
void mesh_aes_key_clear(struct mesh_aes_key *k);

/* e(key, in): one AES-128 block. */
int mesh_aes_ecb(struct mesh_aes_key *k, const uint8_t in[16], uint8_t out[16]);

/*
 * AES-CCM with a 13-octet nonce and a 4- or 8-octet MIC (mic_len).
 * Encrypt writes len + mic_len octets to out. Decrypt takes len octets of
 * ciphertext followed by mic_len octets of MIC in `in` and writes len octets;
 * it returns MESH_ERR_MIC if authentication fails (out is then undefined).
 * in and out may be the same buffer.
 */
int mesh_aes_ccm_encrypt(struct mesh_aes_key *k, const uint8_t nonce[MESH_NONCE_LEN],
			 const uint8_t *aad, size_t aad_len, const uint8_t *in,
			 size_t len, uint8_t *out, size_t mic_len);
int mesh_aes_ccm_decrypt(struct mesh_aes_key *k, const uint8_t nonce[MESH_NONCE_LEN],
			 const uint8_t *aad, size_t aad_len, const uint8_t *in,
			 size_t len, uint8_t *out, size_t mic_len);

/* One-shot primitives with a raw key. */
int mesh_aes_cmac(const uint8_t key[MESH_KEY_LEN], const uint8_t *msg, size_t len,
		  uint8_t mac[16]);
int mesh_aes_encrypt(const uint8_t key[MESH_KEY_LEN], const uint8_t in[16], uint8_t out[16]);

/* Key derivation functions, Mesh Profile 3.8.2. */
int mesh_s1(const uint8_t *m, size_t len, uint8_t out[16]);
int mesh_s1_str(const char *m, uint8_t out[16]);
int mesh_k1(const uint8_t *n, size_t n_len, const uint8_t salt[16], const uint8_t *p,
	    size_t p_len, uint8_t out[16]);
int mesh_k2(const uint8_t n[MESH_KEY_LEN], const uint8_t *p, size_t p_len, uint8_t *nid,
	    uint8_t enc_key[16], uint8_t privacy_key[16]);
int mesh_k3(const uint8_t n[MESH_KEY_LEN], uint8_t out[8]);
int mesh_k4(const uint8_t n[MESH_KEY_LEN], uint8_t *aid);

/* Keys derived from a NetKey (3.8.6.3). */
int mesh_network_id(const uint8_t net_key[MESH_KEY_LEN], uint8_t out[8]);
int mesh_identity_key(const uint8_t net_key[MESH_KEY_LEN], uint8_t out[16]);
int mesh_beacon_key(const uint8_t net_key[MESH_KEY_LEN], uint8_t out[16]);

/*
 * Friendship credentials P = 0x01 || LPNAddress || FriendAddress ||
 * LPNCounter || FriendCounter (3.8.6.3.1); build_ p for mesh_k2.
 */
size_t mesh_friendship_p(uint8_t p[9], uint16_t lpn, uint16_t friend_addr,
			 uint16_t lpn_counter, uint16_t friend_counter);

/* Nonces (3.8.5). aszmic is the SZMIC of a segmented access message. */
void mesh_nonce_network(uint8_t out[MESH_NONCE_LEN], uint8_t ctl_ttl, uint32_t seq,
			uint16_t src, uint32_t iv_index);
void mesh_nonce_application(uint8_t out[MESH_NONCE_LEN], bool aszmic, uint32_t seq,
			    uint16_t src, uint16_t dst, uint32_t iv_index);
void mesh_nonce_device(uint8_t out[MESH_NONCE_LEN], bool aszmic, uint32_t seq,
		       uint16_t src, uint16_t dst, uint32_t iv_index);
void mesh_nonce_proxy(uint8_t out[MESH_NONCE_LEN], uint32_t seq, uint16_t src,
		      uint32_t iv_index);

/*
 * Network header obfuscation (3.8.7.3): XOR octets 1..6 (CTL|TTL, SEQ, SRC)
 * of a network PDU with PECB = e(PrivacyKey, 0^5 || IV index || PDU[7..13]).
 * The same call obfuscates and deobfuscates. len must be at least 14.
 */
int mesh_net_obfuscate(struct mesh_aes_key *privacy_key, uint32_t iv_index,
		       uint8_t *pdu, size_t len);

/* Virtual address of a Label UUID (3.4.2.3): 0x8000 | (hash & 0x3fff). */
int mesh_virtual_address(const uint8_t label_uuid[16], uint16_t *addr);

/* Secure network beacon authentication value: first 8 octets (3.9.3.4). */
int mesh_beacon_auth(const uint8_t beacon_key[MESH_KEY_LEN], uint8_t flags,
		     const uint8_t network_id[8], uint32_t iv_index, uint8_t auth[8]);

/* P-256 key pair for provisioning (5.4.2.3). */
struct mesh_ecdh_key {
	EVP_PKEY *pkey;
	uint8_t public_key[MESH_ECDH_PUB_LEN];
};

int mesh_ecdh_generate(struct mesh_ecdh_key *k);
/* Import a known key pair (test vectors, debug keys). */
int mesh_ecdh_import(struct mesh_ecdh_key *k, const uint8_t priv[MESH_ECDH_PRIV_LEN],
		     const uint8_t pub[MESH_ECDH_PUB_LEN]);
/* MESH_ERR_PUBKEY if peer_pub is not a point on P-256. */
int mesh_ecdh_shared(const struct mesh_ecdh_key *k, const uint8_t peer_pub[MESH_ECDH_PUB_LEN],
		     uint8_t secret[MESH_ECDH_SECRET_LEN]);
void mesh_ecdh_free(struct mesh_ecdh_key *k);

/* Free this thread's one-shot contexts (for leak checkers at exit). */
void mesh_crypto_thread_cleanup(void);

#endif
