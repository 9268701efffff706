/*
 * What the parts of the web server share (not for other modules): the
 * server, the per-connection state libwebsockets keeps for us, and the
 * entry points server.c's one libwebsockets callback dispatches to.
 *
 *   server.c  the lws context on meshgate's loop, start and shutdown
 *   http.c    HTTP routes and the response writer
 *   login.c   POST /api/login: rate limit, password check off the loop
 *   ws.c      the WebSocket /api: upgrade checks, frames, queues, JSON-RPC
 */
#ifndef WEB_INTERNAL_H
#define WEB_INTERNAL_H

#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "web/auth.h"
#include "web/login_limit.h"
#include "web/session.h"
#include "web/web.h"

#define WEB_COOKIE "meshgate_session"
/* Request bodies we read (a login); a larger one is refused. */
#define WEB_BODY_MAX 4096
/* Body chunk per write: lws buffers what the socket does not take. */
#define WEB_CHUNK 16384
#define WEB_HEADERS_MAX 8
/* Password checks on the thread pool at once; more get 503. */
#define WEB_LOGIN_JOBS_MAX 4

struct web_conn;
struct web_login_job;

struct web_header {
	char name[32];                  /* lowercase, with the colon lws wants: "set-cookie:" */
	char value[256];
};

enum web_body_kind {
	WEB_BODY_BORROWED,              /* static data (an embedded file) */
	WEB_BODY_OWNED,                 /* malloc'd, freed when sent */
	WEB_BODY_SECRET,                /* malloc'd, wiped and freed (the backup) */
};

struct web_response {
	bool active;
	bool headers_sent;
	unsigned int status;
	const char *content_type;
	struct web_header headers[WEB_HEADERS_MAX];
	size_t n_headers;
	const uint8_t *body;
	size_t len, sent;
	enum web_body_kind kind;
};

/* lws's per-connection user space (zeroed by lws), for HTTP and WebSocket. */
struct web_pss {
	struct lws *wsi;
	/* HTTP: the request waiting for its body, and the answer going out. */
	bool in_login;                  /* a POST /api/login reads its body */
	bool in_post;                   /* another POST reads (and ignores) its body */
	char *body;
	size_t body_len;
	bool body_too_large;
	struct web_login_job *job;      /* its password being checked */
	struct web_response resp;
	/* WebSocket, once established */
	struct web_conn *conn;
};

struct web_server {
	uv_loop_t *loop;
	struct gw_app *app;             /* NULL once closing */
	struct gw_api *api;
	struct web_rpc *rpc;
	struct lws_context *ctx;        /* lws sets it NULL when fully destroyed */
	struct lws_vhost *vhost;
	struct lws_protocols protocols[2];
	bool tls;
	bool closing;
	unsigned int port;
	char url[300];
	char new_password[WEB_AUTH_GENERATED_LEN + 1];
	char web_root[4096];            /* MESHGATE_WEB_ROOT, or "": the embedded files */
	web_mqtt_status_fn mqtt_status;
	void *mqtt_ctx;
	void (*closed)(void *ctx);
	void *closed_ctx;
	struct web_auth_secret secret;
	struct web_sessions sessions;
	struct web_login_limit limit;
	struct web_conn *conns;         /* WebSocket connections */
	struct web_login_job *jobs;     /* password checks running */
	unsigned int n_jobs;
	uv_idle_t reaper;               /* shutdown: waits for lws's handles */
	bool reaper_open;
	uint8_t tx[LWS_PRE + WEB_CHUNK];
};

/* Monotonic milliseconds (the loop's clock). */
uint64_t web_now_ms(const struct web_server *s);
/* The client's address ("127.0.0.1", "::1") into out. */
void web_peer_addr(struct lws *wsi, char *out, size_t len);
/* Header t into out (outlen with its NUL): its length, or -1 if absent or too long. */
int web_header_copy(struct lws *wsi, enum lws_token_indexes t, char *out, size_t outlen);
/* Does the request carry a live session cookie? Its token into hex (65 octets) if so. */
bool web_request_session(struct web_server *s, struct lws *wsi, char *hex);
/* Does the request's Origin, if it has one, name this server? */
bool web_request_same_origin(struct web_server *s, struct lws *wsi);
/* Shutdown's last step, once the lws context and the password checks are gone. */
void web_server_reap(struct web_server *s);

/* http.c */
int web_http_request(struct web_server *s, struct web_pss *p, struct lws *wsi, const char *uri);
int web_http_body(struct web_server *s, struct web_pss *p, const void *in, size_t len);
int web_http_body_done(struct web_server *s, struct web_pss *p);
int web_http_writeable(struct web_server *s, struct web_pss *p);
void web_http_closed(struct web_server *s, struct web_pss *p);
/* Queue an answer and ask for the socket: 0 or -1 (the connection is then dropped). */
int web_http_header(struct web_pss *p, const char *name, const char *value);
int web_http_respond(struct web_pss *p, unsigned int status, const char *content_type,
		     const void *body, size_t len, enum web_body_kind kind);
/* A JSON answer (j is consumed). */
int web_http_json(struct web_pss *p, unsigned int status, json_t *j);
/* {"error": message} */
int web_http_error(struct web_pss *p, unsigned int status, const char *message);
/* The session cookie (hex, or "" to clear it). */
int web_http_session_cookie(struct web_server *s, struct web_pss *p, const char *hex);

/* login.c */
int web_login_start(struct web_server *s, struct web_pss *p);
/* The connection of p is gone: its check's answer has nowhere to go. */
void web_login_detach(struct web_pss *p);
/* Shutdown: answers of running checks go nowhere. */
void web_login_detach_all(struct web_server *s);

/* ws.c */
int web_ws_confirm_upgrade(struct web_server *s, struct lws *wsi);
int web_ws_established(struct web_server *s, struct web_pss *p, struct lws *wsi);
int web_ws_receive(struct web_server *s, struct web_pss *p, const void *in, size_t len);
int web_ws_writeable(struct web_server *s, struct web_pss *p);
int web_ws_timer(struct web_server *s, struct web_pss *p);
void web_ws_closed(struct web_server *s, struct web_pss *p);
/* Close every WebSocket of the session hex (logout). */
void web_ws_close_session(struct web_server *s, const char *hex);
/* Shutdown: every connection forgets its JSON-RPC session. */
void web_ws_detach_all(struct web_server *s);

#endif
