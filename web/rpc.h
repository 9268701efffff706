/*
 * JSON-RPC 2.0 over the WebSocket /api: what a browser (the dashboard) or a
 * script says to meshgate, and what meshgate tells it as things happen.
 * docs/websocket.md is the user's reference.
 *
 * This module knows JSON-RPC and nothing of sockets: the web server (which
 * owns the WebSocket, its framing, limits and authentication) gives every
 * text message of a connection to web_rpc_session_receive() and sends what
 * the session hands to its send function. Requests go to the gateway's one
 * dispatcher (gateway/api.h gw_api_call_ex: the same methods MQTT users
 * have), plus two of the API's own, `subscribe` and `unsubscribe`, which
 * choose the notifications a connection gets from the gateway's event
 * stream (gateway/events.h).
 *
 * Answers to requests that wait for the mesh come later, on the loop, in
 * whatever order the mesh answers; a batch is answered as one array once
 * all its members are. A session freed while its calls run forgets them:
 * their answers never come.
 *
 * `backup` is refused here: key material leaves meshgate only as the
 * authenticated download GET /api/backup, never over the socket.
 */
#ifndef WEB_RPC_H
#define WEB_RPC_H

#include <stddef.h>

#include "gateway/api.h"
#include "gateway/app.h"

/* JSON-RPC 2.0 error codes (the spec's, and -32000 for a valid request
 * the gateway could not carry out). */
enum web_rpc_code {
	WEB_RPC_PARSE_ERROR = -32700,
	WEB_RPC_INVALID_REQUEST = -32600,
	WEB_RPC_METHOD_NOT_FOUND = -32601,
	WEB_RPC_INVALID_PARAMS = -32602,
	WEB_RPC_INTERNAL_ERROR = -32603,
	WEB_RPC_FAILED = -32000,
};

/* Requests in one batch, and calls of one connection waiting for the mesh:
 * more is refused (a client cannot make the gateway hold unbounded state). */
#define WEB_RPC_BATCH_MAX 100
#define WEB_RPC_CALLS_MAX 256

struct web_rpc;
struct web_rpc_session;

/*
 * One per web server, after app and api are open; it subscribes to
 * app->events (NULL if out of memory or the event stream has no room).
 * Free it before gw_app_close(); sessions still open are freed with it
 * (their pointers become invalid). gw_api_close() may come before (calls
 * still running are answered "shutting down") or after (they are
 * forgotten).
 */
struct web_rpc *web_rpc_new(struct gw_app *app, struct gw_api *api);
void web_rpc_free(struct web_rpc *rpc);

/*
 * Send one text message to the connection (len bytes; text is also
 * NUL-terminated, and valid only during the call). Called from within
 * web_rpc_session_receive() or from the loop (answers from the mesh,
 * notifications). 0, or <0: the connection is broken or too slow and is
 * to be dropped; the session then sends nothing more and ignores what it
 * receives until the server frees it. The function must not free the
 * session itself (it may be called while the session is working); the
 * server closes the connection on its own time.
 */
typedef int (*web_rpc_send_fn)(void *conn, const char *text, size_t len);

/* A new connection: no notifications until it subscribes. NULL if out of memory. */
struct web_rpc_session *web_rpc_session_new(struct web_rpc *rpc, web_rpc_send_fn send, void *conn);
/* The connection is gone: its calls still running are forgotten (answers
 * that come later are dropped without touching the session). */
void web_rpc_session_free(struct web_rpc_session *s);

/* One whole text message (a request, a notification or a batch); len
 * bytes, not necessarily NUL-terminated. Answers go out through send,
 * now or later. */
void web_rpc_session_receive(struct web_rpc_session *s, const char *text, size_t len);

#endif
