/*
 * The WebSocket /api: who may open it, and the frames on it. The
 * JSON-RPC itself is web/rpc.c's; this file gives it whole text messages
 * and sends what it answers.
 *
 * The upgrade needs a live session cookie (else 401) and, when the browser
 * sends an Origin, that origin must be this server (else 403): a page of
 * another site cannot drive meshgate with the user's cookie. Messages are
 * text (a binary frame closes with 1003), reassembled from fragments up to
 * 64 KiB (more closes with 1009). Outgoing messages wait in a queue per
 * connection and go out as lws says the socket is writable; a client too
 * slow to take them (256 messages or 1 MiB waiting) is closed with 1008
 * rather than letting the gateway's memory grow.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mesh/log.h"
#include "web/rpc.h"

#define LOG "web"
#define WS_MESSAGE_MAX (64u * 1024)
#define WS_QUEUE_MAX_MESSAGES 256u
#define WS_QUEUE_MAX_BYTES (1024u * 1024)

struct web_out {
	struct web_out *next;
	size_t len;
	uint8_t buf[];                   /* LWS_PRE + len */
};

struct web_conn {
	struct web_server *server;
	struct lws *wsi;
	struct web_rpc_session *session;
	char token[WEB_SESSION_HEX_LEN + 1];
	char addr[WEB_LOGIN_ADDR_LEN];
	char *rx;
	size_t rx_len;
	bool in_message;
	struct web_out *out_head, *out_tail;
	size_t out_count, out_bytes;
	enum lws_close_status close_code; /* 0: open */
	char close_reason[64];
	struct web_conn *next;
};

/* ---- the upgrade ------------------------------------------------------------------- */

/* An HTTP answer instead of the upgrade: headers and body in one write. */
static int ws_refuse(struct web_server *s, struct lws *wsi, unsigned int status,
		     const char *message)
{
	uint8_t *start = s->tx + LWS_PRE, *p = start, *end = s->tx + sizeof(s->tx);
	char body[160];
	int len = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", message);

	if (lws_add_http_common_headers(wsi, status, "application/json", (lws_filepos_t)len, &p,
					end) ||
	    lws_add_http_header_by_name(wsi, (const uint8_t *)"cache-control:",
					(const uint8_t *)"no-store", 8, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end) || end - p < len)
		return -1;
	memcpy(p, body, (size_t)len);
	p += len;
	if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP) != (int)(p - start))
		return -1;
	return 1;
}

int web_ws_confirm_upgrade(struct web_server *s, struct lws *wsi)
{
	char uri[64], hex[WEB_SESSION_HEX_LEN + 1];
	bool logged_in;

	if (s->closing)
		return -1;
	if (web_header_copy(wsi, WSI_TOKEN_GET_URI, uri, sizeof(uri)) < 0 || strcmp(uri, "/api"))
		return ws_refuse(s, wsi, 404, "the WebSocket endpoint is /api");
	logged_in = web_request_session(s, wsi, hex);
	OPENSSL_cleanse(hex, sizeof(hex));
	if (!logged_in)
		return ws_refuse(s, wsi, 401, "log in first (POST /api/login)");
	if (!web_request_same_origin(s, wsi)) {
		char addr[WEB_LOGIN_ADDR_LEN];

		web_peer_addr(wsi, addr, sizeof(addr));
		mesh_log_warn(LOG, "WebSocket from %s refused: its Origin is another site", addr);
		return ws_refuse(s, wsi, 403, "cross-origin WebSocket refused");
	}
	return 0;
}

/* ---- sending ------------------------------------------------------------------------ */

static void ws_close_later(struct web_conn *c, enum lws_close_status code, const char *reason)
{
	if (c->close_code)
		return;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	lws_set_timer_usecs(c->wsi, 1);
}

/* web_rpc_send_fn: queue one message. */
static int ws_send(void *conn, const char *text, size_t len)
{
	struct web_conn *c = conn;
	struct web_out *o;

	if (c->close_code)
		return -1;
	if (c->out_count >= WS_QUEUE_MAX_MESSAGES || c->out_bytes + len > WS_QUEUE_MAX_BYTES) {
		mesh_log_warn(LOG, "WebSocket client %s is too slow (%zu messages, %zu octets "
			      "waiting): closing it", c->addr, c->out_count, c->out_bytes);
		ws_close_later(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too slow to take messages");
		return -1;
	}
	o = malloc(sizeof(*o) + LWS_PRE + len);
	if (!o) {
		ws_close_later(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
		return -1;
	}
	o->next = NULL;
	o->len = len;
	memcpy(o->buf + LWS_PRE, text, len);
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_count++;
	c->out_bytes += len;
	lws_callback_on_writable(c->wsi);
	return 0;
}

/*
 * A close decided outside lws's callbacks (logout, a client too slow): done
 * from the connection's timer callback. There lws_close_reason() and -1
 * make lws send the close frame; from a writeable callback lws 4.1 would
 * drop the connection without one.
 */
int web_ws_timer(struct web_server *s, struct web_pss *p)
{
	struct web_conn *c = p ? p->conn : NULL;

	(void)s;
	if (!c || !c->close_code)
		return 0;
	lws_close_reason(c->wsi, c->close_code, (uint8_t *)c->close_reason,
			 strlen(c->close_reason));
	return -1;
}

int web_ws_writeable(struct web_server *s, struct web_pss *p)
{
	struct web_conn *c = p ? p->conn : NULL;
	struct web_out *o;

	(void)s;
	if (!c)
		return -1;
	if (c->close_code)
		return 0;
	o = c->out_head;
	if (!o)
		return 0;
	c->out_head = o->next;
	if (!c->out_head)
		c->out_tail = NULL;
	c->out_count--;
	c->out_bytes -= o->len;
	if (lws_write(c->wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT) < (int)o->len) {
		free(o);
		return -1;
	}
	free(o);
	if (c->out_head)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* ---- the connection -------------------------------------------------------------------- */

int web_ws_established(struct web_server *s, struct web_pss *p, struct lws *wsi)
{
	struct web_conn *c;

	if (!p || s->closing || !s->rpc)
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->server = s;
	c->wsi = wsi;
	web_peer_addr(wsi, c->addr, sizeof(c->addr));
	/* The upgrade checked it; kept to close this socket at logout. */
	if (!web_request_session(s, wsi, c->token)) {
		free(c);
		return -1;
	}
	c->session = web_rpc_session_new(s->rpc, ws_send, c);
	if (!c->session) {
		OPENSSL_cleanse(c->token, sizeof(c->token));
		free(c);
		return -1;
	}
	c->next = s->conns;
	s->conns = c;
	p->wsi = wsi;
	p->conn = c;
	mesh_log_debug(LOG, "WebSocket from %s open", c->addr);
	return 0;
}

/* Close now, from a receive callback: lws sends the reason itself. */
static int ws_close_now(struct web_conn *c, enum lws_close_status code, const char *reason)
{
	lws_close_reason(c->wsi, code, (uint8_t *)reason, strlen(reason));
	return -1;
}

/* One whole message: to JSON-RPC, if the session still holds. */
static int ws_deliver(struct web_server *s, struct web_conn *c)
{
	if (!web_sessions_check(&s->sessions, c->token, web_now_ms(s)))
		return ws_close_now(c, LWS_CLOSE_STATUS_POLICY_VIOLATION,
				    "session ended; log in again");
	if (c->session)
		web_rpc_session_receive(c->session, c->rx, c->rx_len);
	return 0;
}

int web_ws_receive(struct web_server *s, struct web_pss *p, const void *in, size_t len)
{
	struct web_conn *c = p ? p->conn : NULL;
	bool last;

	if (!c)
		return -1;
	/* Closing (logout, too slow): what still comes is not looked at. */
	if (c->close_code)
		return 0;
	if (lws_frame_is_binary(c->wsi))
		return ws_close_now(c, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
				    "binary frames are not accepted: send JSON-RPC as text");
	if (!c->in_message) {
		c->in_message = true;
		c->rx_len = 0;
	}
	if (c->rx_len + len > WS_MESSAGE_MAX)
		return ws_close_now(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				    "message larger than 64 KiB");
	if (!c->rx && !(c->rx = malloc(WS_MESSAGE_MAX + 1)))
		return -1;
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	last = lws_is_final_fragment(c->wsi) && !lws_remaining_packet_payload(c->wsi);
	if (!last)
		return 0;
	c->in_message = false;
	c->rx[c->rx_len] = '\0';
	return ws_deliver(s, c);
}

static void ws_free(struct web_conn *c)
{
	struct web_out *o;

	if (c->session)
		web_rpc_session_free(c->session);
	while ((o = c->out_head)) {
		c->out_head = o->next;
		free(o);
	}
	free(c->rx);
	OPENSSL_cleanse(c->token, sizeof(c->token));
	free(c);
}

void web_ws_closed(struct web_server *s, struct web_pss *p)
{
	struct web_conn *c = p->conn;

	if (!c)
		return;
	for (struct web_conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	p->conn = NULL;
	mesh_log_debug(LOG, "WebSocket from %s closed", c->addr);
	ws_free(c);
}

void web_ws_close_session(struct web_server *s, const char *hex)
{
	for (struct web_conn *c = s->conns; c; c = c->next)
		if (CRYPTO_memcmp(c->token, hex, WEB_SESSION_HEX_LEN) == 0)
			ws_close_later(c, LWS_CLOSE_STATUS_NORMAL, "logged out");
}

void web_ws_detach_all(struct web_server *s)
{
	for (struct web_conn *c = s->conns; c; c = c->next) {
		if (c->session)
			web_rpc_session_free(c->session);
		c->session = NULL;
		c->close_code = LWS_CLOSE_STATUS_GOINGAWAY;
	}
}
