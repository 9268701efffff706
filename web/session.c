/*
 * Dashboard sessions (session.h). Lookups compare every slot in constant
 * time, so how fast a guess is turned down says nothing about how close
 * it came to a real token.
 */
#include "session.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "mesh/bytes.h"
#include "mesh/err.h"

void web_sessions_init(struct web_sessions *t, uint64_t idle_ms)
{
	memset(t, 0, sizeof(*t));
	t->idle_ms = idle_ms ? idle_ms : WEB_SESSION_IDLE_MS;
}

void web_sessions_clear(struct web_sessions *t)
{
	OPENSSL_cleanse(t->s, sizeof(t->s));
}

static bool session_live(const struct web_sessions *t, const struct web_session *s, uint64_t now_ms)
{
	return s->used && now_ms - s->last_used_ms < t->idle_ms;
}

/* A free or expired slot, else the least recently used one. */
static struct web_session *session_slot(struct web_sessions *t, uint64_t now_ms)
{
	struct web_session *oldest = &t->s[0];

	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
		struct web_session *s = &t->s[i];

		if (!session_live(t, s, now_ms))
			return s;
		if (s->last_used_ms < oldest->last_used_ms)
			oldest = s;
	}
	return oldest;
}

int web_sessions_create(struct web_sessions *t, uint64_t now_ms, char *hex)
{
	struct web_session *s = session_slot(t, now_ms);

	if (RAND_bytes(s->token, sizeof(s->token)) != 1) {
		OPENSSL_cleanse(s, sizeof(*s));
		return MESH_ERR_CRYPTO;
	}
	s->used = true;
	s->last_used_ms = now_ms;
	mesh_hex_encode(s->token, sizeof(s->token), hex);
	return 0;
}

/* The session whose token hex names, live or not; NULL if none. */
static struct web_session *session_find(struct web_sessions *t, const char *hex)
{
	uint8_t token[WEB_SESSION_TOKEN_LEN];
	struct web_session *found = NULL;

	if (strnlen(hex, WEB_SESSION_HEX_LEN + 1) != WEB_SESSION_HEX_LEN ||
	    mesh_hex_decode(hex, token, sizeof(token)) != WEB_SESSION_TOKEN_LEN)
		return NULL;
	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
		struct web_session *s = &t->s[i];

		if (CRYPTO_memcmp(s->token, token, sizeof(token)) == 0 && s->used)
			found = s;
	}
	OPENSSL_cleanse(token, sizeof(token));
	return found;
}

bool web_sessions_check(struct web_sessions *t, const char *hex, uint64_t now_ms)
{
	struct web_session *s = session_find(t, hex);

	if (!s)
		return false;
	if (!session_live(t, s, now_ms)) {
		OPENSSL_cleanse(s, sizeof(*s));
		return false;
	}
	s->last_used_ms = now_ms;
	return true;
}

void web_sessions_drop(struct web_sessions *t, const char *hex)
{
	struct web_session *s = session_find(t, hex);

	if (s)
		OPENSSL_cleanse(s, sizeof(*s));
}

size_t web_sessions_count(const struct web_sessions *t, uint64_t now_ms)
{
	size_t n = 0;

	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++)
		n += session_live(t, &t->s[i], now_ms);
	return n;
}
