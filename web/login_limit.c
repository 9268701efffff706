/* Login rate limiting per client address (login_limit.h). */
#include "login_limit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void web_login_limit_init(struct web_login_limit *l)
{
	memset(l, 0, sizeof(*l));
}

static bool entry_locked(const struct web_login_entry *e, uint64_t now_ms)
{
	return e->locked_until_ms > now_ms;
}

static struct web_login_entry *entry_find(struct web_login_limit *l, const char *addr)
{
	for (size_t i = 0; i < WEB_LOGIN_ADDRS_MAX; i++)
		if (l->e[i].addr[0] && strcmp(l->e[i].addr, addr) == 0)
			return &l->e[i];
	return NULL;
}

/* A free slot, else the oldest unlocked entry, else the oldest. */
static struct web_login_entry *entry_slot(struct web_login_limit *l, uint64_t now_ms)
{
	struct web_login_entry *oldest = NULL, *oldest_unlocked = NULL;

	for (size_t i = 0; i < WEB_LOGIN_ADDRS_MAX; i++) {
		struct web_login_entry *e = &l->e[i];

		if (!e->addr[0])
			return e;
		if (!oldest || e->last_ms < oldest->last_ms)
			oldest = e;
		if (!entry_locked(e, now_ms) &&
		    (!oldest_unlocked || e->last_ms < oldest_unlocked->last_ms))
			oldest_unlocked = e;
	}
	return oldest_unlocked ? oldest_unlocked : oldest;
}

uint32_t web_login_limit_wait(struct web_login_limit *l, const char *addr, uint64_t now_ms)
{
	struct web_login_entry *e = entry_find(l, addr);

	if (!e || !entry_locked(e, now_ms))
		return 0;
	return (uint32_t)((e->locked_until_ms - now_ms + 999) / 1000);
}

static uint64_t lock_ms(unsigned int lockouts)
{
	uint64_t ms = WEB_LOGIN_LOCK_FIRST_MS;

	for (unsigned int i = 0; i < lockouts && ms < WEB_LOGIN_LOCK_MAX_MS; i++)
		ms *= 2;
	return ms < WEB_LOGIN_LOCK_MAX_MS ? ms : WEB_LOGIN_LOCK_MAX_MS;
}

void web_login_limit_attempt(struct web_login_limit *l, const char *addr, uint64_t now_ms)
{
	struct web_login_entry *e = entry_find(l, addr);

	if (e && !entry_locked(e, now_ms) && now_ms - e->last_ms >= WEB_LOGIN_FORGET_MS)
		memset(e, 0, sizeof(*e));
	if (!e || !e->addr[0]) {
		e = entry_slot(l, now_ms);
		memset(e, 0, sizeof(*e));
		snprintf(e->addr, sizeof(e->addr), "%s", addr);
	}
	e->last_ms = now_ms;
	if (++e->attempts < WEB_LOGIN_ATTEMPTS_MAX)
		return;
	e->locked_until_ms = now_ms + lock_ms(e->lockouts);
	e->lockouts++;
	e->attempts = 0;
}

void web_login_limit_success(struct web_login_limit *l, const char *addr)
{
	struct web_login_entry *e = entry_find(l, addr);

	if (e)
		memset(e, 0, sizeof(*e));
}
