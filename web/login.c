/*
 * POST /api/login: the rate limit first (an address locked out gets 429
 * and its password is not even looked at), then the password check on
 * libuv's thread pool (PBKDF2 is slow on purpose and the loop runs the
 * mesh), then the answer: a session cookie, or 401.
 *
 * The connection may be gone when the check finishes, and the server may
 * be closing: a check holds the server (which waits for it, see server.c)
 * but only a pointer to the connection's state that the connection clears
 * when it closes.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mesh/log.h"
#include "web/request.h"

#define LOG "web"

struct web_login_job {
	uv_work_t work;
	struct web_server *server;
	struct web_pss *pss;             /* NULL once the connection is gone */
	struct web_login_job *next;
	char addr[WEB_LOGIN_ADDR_LEN];
	char password[WEB_AUTH_PASSWORD_MAX + 1];
	bool ok;
};

static void login_check(uv_work_t *w)
{
	struct web_login_job *j = w->data;

	j->ok = web_auth_verify(&j->server->secret, j->password, strlen(j->password));
	/* OpenSSL's state for this thread (its error queue) is freed only when
	 * asked, and libuv's pool threads live until the process ends. */
	OPENSSL_thread_stop();
}

static void login_unlink(struct web_login_job *j)
{
	struct web_server *s = j->server;

	for (struct web_login_job **pp = &s->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	}
	s->n_jobs--;
}

static int login_answer(struct web_server *s, struct web_pss *p, const struct web_login_job *j)
{
	char hex[WEB_SESSION_HEX_LEN + 1];
	int rc;

	if (!j->ok) {
		mesh_log_warn(LOG, "dashboard login from %s: wrong password", j->addr);
		return web_http_error(p, 401, "wrong password");
	}
	web_login_limit_success(&s->limit, j->addr);
	if (web_sessions_create(&s->sessions, web_now_ms(s), hex) < 0)
		return web_http_error(p, 500, "cannot create a session");
	mesh_log_info(LOG, "dashboard login from %s", j->addr);
	rc = web_http_session_cookie(s, p, hex);
	OPENSSL_cleanse(hex, sizeof(hex));
	if (rc < 0)
		return -1;
	return web_http_json(p, 200, json_pack("{s:b}", "ok", 1));
}

static void login_checked(uv_work_t *w, int status)
{
	struct web_login_job *j = w->data;
	struct web_server *s = j->server;
	struct web_pss *p = j->pss;

	OPENSSL_cleanse(j->password, sizeof(j->password));
	login_unlink(j);
	if (p) {
		p->job = NULL;
		if (status < 0)
			j->ok = false;
		if (login_answer(s, p, j) < 0)
			/* No answer can go out: let the connection time out. */
			mesh_log_warn(LOG, "dashboard login from %s: cannot answer", j->addr);
	}
	free(j);
	if (s->closing)
		web_server_reap(s);
}

static int login_too_many(struct web_pss *p, uint32_t wait_s)
{
	char msg[96], retry[16];

	snprintf(msg, sizeof(msg), "too many login attempts; try again in %u s", wait_s);
	snprintf(retry, sizeof(retry), "%u", wait_s);
	if (web_http_header(p, "retry-after:", retry))
		return -1;
	return web_http_json(p, 429, json_pack("{s:s, s:i}", "error", msg, "retry_after",
					       (int)wait_s));
}

int web_login_start(struct web_server *s, struct web_pss *p)
{
	struct web_login_job *j;
	char why[128];
	uint32_t wait_s;

	if (p->job)
		return web_http_error(p, 409, "a login is already being checked");
	j = calloc(1, sizeof(*j));
	if (!j)
		return web_http_error(p, 500, "out of memory");
	web_peer_addr(p->wsi, j->addr, sizeof(j->addr));
	wait_s = web_login_limit_wait(&s->limit, j->addr, web_now_ms(s));
	if (wait_s) {
		free(j);
		return login_too_many(p, wait_s);
	}
	if (web_login_body_parse(p->body ? p->body : "", p->body_len, j->password,
				 sizeof(j->password), why, sizeof(why)) < 0) {
		free(j);
		return web_http_error(p, 400, why);
	}
	if (s->n_jobs >= WEB_LOGIN_JOBS_MAX) {
		OPENSSL_cleanse(j->password, sizeof(j->password));
		free(j);
		if (web_http_header(p, "retry-after:", "1"))
			return -1;
		return web_http_error(p, 503, "busy checking other logins; try again");
	}
	web_login_limit_attempt(&s->limit, j->addr, web_now_ms(s));
	j->server = s;
	j->pss = p;
	j->work.data = j;
	if (uv_queue_work(s->loop, &j->work, login_check, login_checked) < 0) {
		OPENSSL_cleanse(j->password, sizeof(j->password));
		free(j);
		return web_http_error(p, 500, "cannot check the password now");
	}
	j->next = s->jobs;
	s->jobs = j;
	s->n_jobs++;
	p->job = j;
	return 0;
}

void web_login_detach(struct web_pss *p)
{
	if (p->job)
		p->job->pss = NULL;
	p->job = NULL;
}

void web_login_detach_all(struct web_server *s)
{
	for (struct web_login_job *j = s->jobs; j; j = j->next) {
		if (j->pss)
			j->pss->job = NULL;
		j->pss = NULL;
	}
}
