/*
 * The HTTP side of the web server (web.h has the routes): what each
 * request gets, and the writer that sends an answer out in chunks as the
 * socket takes them (headers first, then the body, then the connection is
 * ready for the next request of a keep-alive client).
 *
 * Every answer carries headers that keep browsers from guessing types,
 * framing the dashboard or leaking URLs; API answers are never cached, and
 * the dashboard's page may load scripts only from meshgate itself.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "mesh/log.h"
#include "web/request.h"
#include "web/static_files.h"

#define LOG "web"
#define WEB_STATIC_MAX (16u * 1024 * 1024)
#define WEB_SESSION_MAX_AGE_S 604800   /* = WEB_SESSION_IDLE_MS: the cookie lives as long */
#define JSON_TYPE "application/json"
#define CSP "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " \
	    "img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; "  \
	    "base-uri 'none'; form-action 'self'"

/* ---- the response writer ------------------------------------------------------- */

static void response_free(struct web_response *r)
{
	if (r->kind == WEB_BODY_SECRET && r->body)
		OPENSSL_cleanse((void *)r->body, r->len);
	if (r->kind != WEB_BODY_BORROWED)
		free((void *)r->body);
	memset(r, 0, sizeof(*r));
}

int web_http_header(struct web_pss *p, const char *name, const char *value)
{
	struct web_header *h;

	if (p->resp.n_headers == WEB_HEADERS_MAX)
		return -1;
	h = &p->resp.headers[p->resp.n_headers++];
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->value, sizeof(h->value), "%s", value);
	return 0;
}

int web_http_respond(struct web_pss *p, unsigned int status, const char *content_type,
		     const void *body, size_t len, enum web_body_kind kind)
{
	struct web_response *r = &p->resp;

	r->active = true;
	r->status = status;
	r->content_type = content_type;
	r->body = body;
	r->len = len;
	r->kind = kind;
	if (web_http_header(p, "x-content-type-options:", "nosniff") ||
	    web_http_header(p, "referrer-policy:", "no-referrer") ||
	    web_http_header(p, "x-frame-options:", "DENY"))
		return -1;
	lws_callback_on_writable(p->wsi);
	return 0;
}

int web_http_json(struct web_pss *p, unsigned int status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (!text)
		return -1;
	if (web_http_header(p, "cache-control:", "no-store"))
		return -1;
	return web_http_respond(p, status, JSON_TYPE, text, strlen(text), WEB_BODY_OWNED);
}

int web_http_error(struct web_pss *p, unsigned int status, const char *message)
{
	return web_http_json(p, status, json_pack("{s:s}", "error", message));
}

int web_http_session_cookie(struct web_server *s, struct web_pss *p, const char *hex)
{
	char cookie[256];

	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
		 WEB_COOKIE, hex, hex[0] ? WEB_SESSION_MAX_AGE_S : 0, s->tls ? "; Secure" : "");
	return web_http_header(p, "set-cookie:", cookie);
}

static int write_headers(struct web_server *s, struct web_pss *p)
{
	struct web_response *r = &p->resp;
	uint8_t *start = s->tx + LWS_PRE, *pos = start, *end = s->tx + sizeof(s->tx);

	if (lws_add_http_common_headers(p->wsi, r->status, r->content_type, r->len, &pos, end))
		return -1;
	for (size_t i = 0; i < r->n_headers; i++) {
		const struct web_header *h = &r->headers[i];

		if (lws_add_http_header_by_name(p->wsi, (const uint8_t *)h->name,
						(const uint8_t *)h->value, (int)strlen(h->value),
						&pos, end))
			return -1;
	}
	if (lws_finalize_write_http_header(p->wsi, start, &pos, end))
		return -1;
	r->headers_sent = true;
	return 0;
}

int web_http_writeable(struct web_server *s, struct web_pss *p)
{
	struct web_response *r = p ? &p->resp : NULL;
	enum lws_write_protocol wp;
	size_t n;

	if (!r || !r->active)
		return 0;
	if (!r->headers_sent) {
		if (write_headers(s, p) < 0)
			return -1;
		if (r->len) {
			lws_callback_on_writable(p->wsi);
			return 0;
		}
	} else {
		n = r->len - r->sent < WEB_CHUNK ? r->len - r->sent : WEB_CHUNK;
		memcpy(s->tx + LWS_PRE, r->body + r->sent, n);
		r->sent += n;
		wp = r->sent == r->len ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP;
		if (lws_write(p->wsi, s->tx + LWS_PRE, n, wp) != (int)n) {
			OPENSSL_cleanse(s->tx + LWS_PRE, n);
			return -1;
		}
		if (r->kind == WEB_BODY_SECRET)
			OPENSSL_cleanse(s->tx + LWS_PRE, n);
		if (r->sent < r->len) {
			lws_callback_on_writable(p->wsi);
			return 0;
		}
	}
	response_free(r);
	return lws_http_transaction_completed(p->wsi) ? -1 : 0;
}

/* ---- routes ---------------------------------------------------------------------- */

static int route_health(struct web_server *s, struct web_pss *p)
{
	const struct mesh_bearer *b = s->app->core.bearer;
	bool up = b && b->up;
	const char *mqtt = s->mqtt_status ? s->mqtt_status(s->mqtt_ctx) : "disabled";

	return web_http_json(p, up ? 200 : 503,
			     json_pack("{s:s, s:s, s:s, s:s}", "status", up ? "ok" : "error",
				       "version", MESHGATE_VERSION, "mesh", up ? "up" : "down",
				       "mqtt", mqtt));
}

static int route_session(struct web_server *s, struct web_pss *p)
{
	char hex[WEB_SESSION_HEX_LEN + 1];
	bool ok = web_request_session(s, p->wsi, hex);

	/* A session in use keeps its cookie as long as the server keeps it. */
	if (ok && web_http_session_cookie(s, p, hex) < 0)
		return -1;
	OPENSSL_cleanse(hex, sizeof(hex));
	return web_http_json(p, ok ? 200 : 401, json_pack("{s:b}", "authenticated", ok));
}

static int route_logout(struct web_server *s, struct web_pss *p)
{
	char hex[WEB_SESSION_HEX_LEN + 1];

	if (web_request_session(s, p->wsi, hex)) {
		web_ws_close_session(s, hex);
		web_sessions_drop(&s->sessions, hex);
		mesh_log_info(LOG, "dashboard logout");
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	if (web_http_session_cookie(s, p, "") < 0)
		return -1;
	return web_http_json(p, 200, json_pack("{s:b}", "ok", 1));
}

struct backup_answer {
	bool done;
	char *text;
	char error[256];
};

static void backup_reply(void *ctx, const json_t *data, const char *error)
{
	struct backup_answer *a = ctx;

	a->done = true;
	if (error)
		snprintf(a->error, sizeof(a->error), "%s", error);
	else
		a->text = json_dumps(data, JSON_INDENT(2));
}

/* The network database, keys and all: the one answer that holds secrets. */
static int route_backup(struct web_server *s, struct web_pss *p)
{
	struct backup_answer a = { 0 };
	char hex[WEB_SESSION_HEX_LEN + 1], disposition[96], day[16];
	time_t now = time(NULL);
	struct tm tm;
	bool ok = web_request_session(s, p->wsi, hex);

	OPENSSL_cleanse(hex, sizeof(hex));
	if (!ok)
		return web_http_error(p, 401, "log in first");
	gw_api_call(s->api, "backup", NULL, backup_reply, &a);
	if (!a.done) {
		/* Not an answer the database gives later: do not wait for one. */
		gw_api_forget(s->api, &a);
		return web_http_error(p, 500, "the backup did not answer");
	}
	if (!a.text)
		return web_http_error(p, 500, a.error[0] ? a.error : "out of memory");
	if (!gmtime_r(&now, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d", &tm))
		snprintf(day, sizeof(day), "today");
	snprintf(disposition, sizeof(disposition),
		 "attachment; filename=\"meshgate-backup-%s.json\"", day);
	mesh_log_info(LOG, "network database downloaded from the dashboard (backup)");
	if (web_http_header(p, "content-disposition:", disposition) ||
	    web_http_header(p, "cache-control:", "no-store")) {
		OPENSSL_cleanse(a.text, strlen(a.text));
		free(a.text);
		return -1;
	}
	return web_http_respond(p, 200, JSON_TYPE, a.text, strlen(a.text), WEB_BODY_SECRET);
}

static int route_static(struct web_server *s, struct web_pss *p, const char *uri)
{
	const char *path = strcmp(uri, "/") == 0 ? "/index.html" : uri;
	const struct web_static_file *f;
	uint8_t *data;
	size_t len;
	int rc;

	if (!web_static_path_ok(path))
		return web_http_respond(p, 404, "text/plain; charset=utf-8", "not found\n", 10,
					WEB_BODY_BORROWED);
	if (web_http_header(p, "cache-control:", "no-cache") ||
	    web_http_header(p, "content-security-policy:", CSP))
		return -1;
	if (s->web_root[0]) {
		rc = web_static_read(s->web_root, path, WEB_STATIC_MAX, &data, &len);
		if (rc == 0)
			return web_http_respond(p, 200, web_content_type(path), data, len,
						WEB_BODY_OWNED);
		if (rc != -ENOENT)
			mesh_log_warn(LOG, "%s%s: %s", s->web_root, path, strerror(-rc));
	} else if ((f = web_static_find(path))) {
		return web_http_respond(p, 200, web_content_type(path), f->data, f->len,
					WEB_BODY_BORROWED);
	}
	return web_http_respond(p, 404, "text/plain; charset=utf-8", "not found\n", 10,
				WEB_BODY_BORROWED);
}

static int method_not_allowed(struct web_pss *p, const char *allow)
{
	if (web_http_header(p, "allow:", allow))
		return -1;
	return web_http_error(p, 405, "method not allowed");
}

/* A POST: its body comes in later callbacks; the answer after the last. */
static int route_post(struct web_server *s, struct web_pss *p, const char *uri)
{
	char len[24];
	long long n;

	if (strcmp(uri, "/api/login") != 0 && strcmp(uri, "/api/logout") != 0)
		return strncmp(uri, "/api", 4) == 0 ? web_http_error(p, 404, "no such endpoint")
						    : method_not_allowed(p, "GET");
	/* Browsers always send Origin on a POST: one from another site is a
	 * forged request (the SameSite cookie is the second line). */
	if (!web_request_same_origin(s, p->wsi))
		return web_http_error(p, 403, "cross-origin request refused");
	if (web_header_copy(p->wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, len, sizeof(len)) < 0)
		return web_http_error(p, 411, "a Content-Length is required");
	n = atoll(len);
	if (n < 0 || n > WEB_BODY_MAX * 16)
		return -1;  /* not worth reading: hang up */
	p->in_login = strcmp(uri, "/api/login") == 0;
	p->in_post = !p->in_login;
	return 0;
}

static int route_get(struct web_server *s, struct web_pss *p, const char *uri)
{
	if (strcmp(uri, "/health") == 0)
		return route_health(s, p);
	if (strcmp(uri, "/api/session") == 0)
		return route_session(s, p);
	if (strcmp(uri, "/api/backup") == 0)
		return route_backup(s, p);
	if (strcmp(uri, "/api/login") == 0 || strcmp(uri, "/api/logout") == 0)
		return method_not_allowed(p, "POST");
	if (strcmp(uri, "/api") == 0) {
		if (web_http_header(p, "upgrade:", "websocket"))
			return -1;
		return web_http_error(p, 426, "this is the WebSocket endpoint: connect with a "
				      "WebSocket client");
	}
	if (strncmp(uri, "/api/", 5) == 0)
		return web_http_error(p, 404, "no such endpoint");
	return route_static(s, p, uri);
}

int web_http_request(struct web_server *s, struct web_pss *p, struct lws *wsi, const char *uri)
{
	if (!p || !uri)
		return -1;
	p->wsi = wsi;
	/* A keep-alive connection's previous answer is done: start afresh. */
	response_free(&p->resp);
	free(p->body);
	p->body = NULL;
	p->body_len = 0;
	p->body_too_large = false;
	p->in_login = p->in_post = false;
	if (s->closing)
		return -1;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
		return route_get(s, p, uri);
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
		return route_post(s, p, uri);
	return method_not_allowed(p, strncmp(uri, "/api/l", 6) == 0 ? "POST" : "GET");
}

int web_http_body(struct web_server *s, struct web_pss *p, const void *in, size_t len)
{
	char *b;

	(void)s;
	if (!p || !p->in_login || p->body_too_large || !len)
		return 0;
	if (p->body_len + len > WEB_BODY_MAX) {
		p->body_too_large = true;
		return 0;
	}
	b = realloc(p->body, p->body_len + len + 1);
	if (!b)
		return -1;
	memcpy(b + p->body_len, in, len);
	p->body = b;
	p->body_len += len;
	b[p->body_len] = '\0';
	return 0;
}

int web_http_body_done(struct web_server *s, struct web_pss *p)
{
	int rc;

	if (!p || s->closing)
		return -1;
	if (p->in_post) {
		p->in_post = false;
		return route_logout(s, p);
	}
	if (!p->in_login)
		return 0;
	p->in_login = false;
	if (p->body_too_large)
		rc = web_http_error(p, 413, "request body too large");
	else
		rc = web_login_start(s, p);
	if (p->body)
		OPENSSL_cleanse(p->body, p->body_len);
	free(p->body);
	p->body = NULL;
	p->body_len = 0;
	return rc;
}

void web_http_closed(struct web_server *s, struct web_pss *p)
{
	(void)s;
	web_login_detach(p);
	response_free(&p->resp);
	if (p->body)
		OPENSSL_cleanse(p->body, p->body_len);
	free(p->body);
	p->body = NULL;
}
