/*
 * The security state both ends of one provisioning session build up
 * (internal to provisioner.c and provisionee.c): the chosen algorithm,
 * the ConfirmationInputs, the ECDH secret, the AuthValue, and what follows
 * from them. Keeping it in one place means the two roles cannot compute a
 * value differently.
 */
#ifndef MESH_PROV_SESSION_H
#define MESH_PROV_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "prov_crypto.h"
#include "prov_pdu.h"

struct mesh_prov_session {
	uint8_t attention_s;
	struct mesh_prov_caps caps;
	struct mesh_prov_start start;
	uint8_t prov_pub[MESH_PROV_PUBKEY_LEN];
	uint8_t dev_pub[MESH_PROV_PUBKEY_LEN];
	uint8_t ecdh_secret[MESH_ECDH_SECRET_LEN];
	uint8_t auth_value[MESH_PROV_VALUE_MAX];
	uint8_t conf_salt[MESH_PROV_VALUE_MAX];
	uint8_t conf_key[MESH_PROV_VALUE_MAX];
	uint8_t own_random[MESH_PROV_VALUE_MAX];
	uint8_t own_confirmation[MESH_PROV_VALUE_MAX];
	uint8_t peer_confirmation[MESH_PROV_VALUE_MAX];
	uint8_t session_key[16];
	uint8_t session_nonce[MESH_PROV_SESSION_NONCE_LEN];
	uint8_t dev_key[16];
};

static inline size_t mesh_prov_session_value_len(const struct mesh_prov_session *s)
{
	return mesh_prov_alg_value_len(s->start.algorithm);
}

/* Both public keys known and the secret computed: derive ConfirmationSalt
 * and, with auth_value set, ConfirmationKey. */
int mesh_prov_session_confirm_keys(struct mesh_prov_session *s);

/* Our Confirmation over own_random (which the caller filled). */
int mesh_prov_session_own_confirmation(struct mesh_prov_session *s);

/* Does the peer's Random reproduce the peer's Confirmation? */
bool mesh_prov_session_peer_confirmed(struct mesh_prov_session *s,
				      const uint8_t peer_random[MESH_PROV_VALUE_MAX]);

/* Session key, nonce and device key from both randoms. */
int mesh_prov_session_derive(struct mesh_prov_session *s,
			     const uint8_t random_prov[MESH_PROV_VALUE_MAX],
			     const uint8_t random_dev[MESH_PROV_VALUE_MAX]);

/* Wipe everything (keys, secret, AuthValue). */
void mesh_prov_session_clear(struct mesh_prov_session *s);

/* The AuthValue of an Output/Input OOB value typed or shown as text. */
int mesh_prov_session_auth_text(struct mesh_prov_session *s, const char *text);

/* Whether the Start's action is alphanumeric (output 4, input 3). */
bool mesh_prov_start_alphanumeric(const struct mesh_prov_start *start);

#endif
