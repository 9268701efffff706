/* Security state of one provisioning session, shared by both roles. */
#include "prov_session.h"

#include <string.h>

#include <openssl/crypto.h>

#include "err.h"

int mesh_prov_session_confirm_keys(struct mesh_prov_session *s)
{
	uint8_t inputs[MESH_PROV_CONF_INPUTS_LEN];
	int err;

	mesh_prov_conf_inputs(inputs, s->attention_s, &s->caps, &s->start, s->prov_pub,
			      s->dev_pub);
	err = mesh_prov_conf_salt(s->start.algorithm, inputs, s->conf_salt);
	if (err)
		return err;
	return mesh_prov_conf_key(s->start.algorithm, s->ecdh_secret, s->conf_salt,
				  s->auth_value, s->conf_key);
}

int mesh_prov_session_own_confirmation(struct mesh_prov_session *s)
{
	return mesh_prov_confirmation(s->start.algorithm, s->conf_key, s->own_random,
				      s->auth_value, s->own_confirmation);
}

bool mesh_prov_session_peer_confirmed(struct mesh_prov_session *s,
				      const uint8_t peer_random[MESH_PROV_VALUE_MAX])
{
	uint8_t expected[MESH_PROV_VALUE_MAX];
	size_t len = mesh_prov_session_value_len(s);
	bool ok;

	if (mesh_prov_confirmation(s->start.algorithm, s->conf_key, peer_random, s->auth_value,
				   expected))
		return false;
	ok = CRYPTO_memcmp(expected, s->peer_confirmation, len) == 0;
	OPENSSL_cleanse(expected, sizeof(expected));
	return ok;
}

int mesh_prov_session_derive(struct mesh_prov_session *s,
			     const uint8_t random_prov[MESH_PROV_VALUE_MAX],
			     const uint8_t random_dev[MESH_PROV_VALUE_MAX])
{
	uint8_t prov_salt[16];
	int err;

	err = mesh_prov_salt(s->start.algorithm, s->conf_salt, random_prov, random_dev,
			     prov_salt);
	if (!err)
		err = mesh_prov_session_keys(s->ecdh_secret, prov_salt, s->session_key,
					     s->session_nonce, s->dev_key);
	OPENSSL_cleanse(prov_salt, sizeof(prov_salt));
	return err;
}

void mesh_prov_session_clear(struct mesh_prov_session *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

bool mesh_prov_start_alphanumeric(const struct mesh_prov_start *start)
{
	if (start->auth_method == MESH_PROV_AUTH_OUTPUT)
		return start->auth_action == MESH_PROV_OUT_ALPHANUMERIC;
	if (start->auth_method == MESH_PROV_AUTH_INPUT)
		return start->auth_action == MESH_PROV_IN_ALPHANUMERIC;
	return false;
}

int mesh_prov_session_auth_text(struct mesh_prov_session *s, const char *text)
{
	return mesh_prov_auth_from_text(s->start.algorithm, mesh_prov_start_alphanumeric(&s->start),
					s->start.auth_size, text, s->auth_value);
}
