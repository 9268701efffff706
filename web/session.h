/*
 * Dashboard sessions: after a good password, the browser gets a random
 * token (32 octets, 64 hex digits) in an HttpOnly cookie and shows it on
 * every request. Tokens live in memory only, so a restart logs everyone
 * out, and a session unused for the idle time (7 days) is gone. The table
 * is bounded: a new session beyond it replaces the least recently used.
 *
 * Times are the caller's monotonic milliseconds (uv_now), so tests can
 * step through a week without waiting for it.
 */
#ifndef WEB_SESSION_H
#define WEB_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_SESSION_TOKEN_LEN 32
#define WEB_SESSION_HEX_LEN (2 * WEB_SESSION_TOKEN_LEN)
#define WEB_SESSION_IDLE_MS (7ull * 24 * 3600 * 1000)
#define WEB_SESSIONS_MAX 64

struct web_session {
	uint8_t token[WEB_SESSION_TOKEN_LEN];
	uint64_t last_used_ms;
	bool used;
};

struct web_sessions {
	struct web_session s[WEB_SESSIONS_MAX];
	uint64_t idle_ms;
};

/* idle_ms 0: WEB_SESSION_IDLE_MS. */
void web_sessions_init(struct web_sessions *t, uint64_t idle_ms);
/* Forget (and wipe) every session. */
void web_sessions_clear(struct web_sessions *t);

/* A new session; its token into hex (WEB_SESSION_HEX_LEN + 1 octets).
 * 0 or MESH_ERR_CRYPTO. */
int web_sessions_create(struct web_sessions *t, uint64_t now_ms, char *hex);
/* Is hex a live session? A live one counts as used now. */
bool web_sessions_check(struct web_sessions *t, const char *hex, uint64_t now_ms);
/* Log out: the session is gone (nothing if it was not there). */
void web_sessions_drop(struct web_sessions *t, const char *hex);
/* Live sessions (tests, the log). */
size_t web_sessions_count(const struct web_sessions *t, uint64_t now_ms);

#endif
