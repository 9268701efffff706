/*
 * Login rate limiting per client address, so a password cannot be guessed
 * at the speed of the network: every WEB_LOGIN_ATTEMPTS_MAX attempts
 * without a success lock the address out, for 30 s the first time and
 * twice as long each time after, up to 5 minutes. A success forgets the
 * address. Attempts count when they start (the password check runs on a
 * worker thread), so parallel guesses are bounded too.
 *
 * The table is bounded; when full, the entry used longest ago goes (a
 * locked one only if all are locked). Times are the caller's monotonic
 * milliseconds.
 */
#ifndef WEB_LOGIN_LIMIT_H
#define WEB_LOGIN_LIMIT_H

#include <stdint.h>

#define WEB_LOGIN_ATTEMPTS_MAX 5
#define WEB_LOGIN_LOCK_FIRST_MS 30000u
#define WEB_LOGIN_LOCK_MAX_MS 300000u
/* An address quiet this long starts afresh (its lockouts forgotten). */
#define WEB_LOGIN_FORGET_MS (3600u * 1000u)
#define WEB_LOGIN_ADDRS_MAX 256
#define WEB_LOGIN_ADDR_LEN 64

struct web_login_entry {
	char addr[WEB_LOGIN_ADDR_LEN];   /* "" = free */
	unsigned int attempts;           /* since the last lockout or success */
	unsigned int lockouts;
	uint64_t locked_until_ms;
	uint64_t last_ms;
};

struct web_login_limit {
	struct web_login_entry e[WEB_LOGIN_ADDRS_MAX];
};

void web_login_limit_init(struct web_login_limit *l);
/* 0 if addr may try now, else the seconds until it may (rounded up). */
uint32_t web_login_limit_wait(struct web_login_limit *l, const char *addr, uint64_t now_ms);
/* addr tries a password (after web_login_limit_wait() said 0). */
void web_login_limit_attempt(struct web_login_limit *l, const char *addr, uint64_t now_ms);
/* addr gave the right password. */
void web_login_limit_success(struct web_login_limit *l, const char *addr);

#endif
