/*
 * The web adapter: meshgate's dashboard and its API over HTTP and a
 * WebSocket (docs/web.md for users, docs/websocket.md for the JSON-RPC).
 * Like the MQTT bridge it calls the gateway core (gateway/api.h, app.h)
 * and the core never calls it.
 *
 *   GET  /health          no login: {"status","version","mesh","mqtt"}; 503 when the mesh is down
 *   POST /api/login       {"password":...} -> session cookie; 401 wrong; 429 too many attempts
 *   POST /api/logout      the session ends (its WebSockets are closed)
 *   GET  /api/session     {"authenticated":true|false}
 *   GET  /api/backup      the network database as a download (login required)
 *   GET  /api  (upgrade)  WebSocket, JSON-RPC 2.0 (web/rpc.h); login and same Origin required
 *   GET  /...             the dashboard's files (static_files.h), no login
 *
 * libwebsockets serves it on meshgate's own libuv loop (a foreign loop to
 * lws), so everything here runs on that loop and needs no locking; only
 * password checks go to libuv's thread pool.
 */
#ifndef WEB_WEB_H
#define WEB_WEB_H

#include <stddef.h>
#include <uv.h>

#include "config/gateway_config.h"
#include "gateway/api.h"
#include "gateway/app.h"

struct web_server;

/* The MQTT connection as /health reports it: "connected" or "disconnected". */
typedef const char *(*web_mqtt_status_fn)(void *ctx);

struct web_server_options {
	const char *data_dir;            /* where web_auth.json (a generated password) lives */
	web_mqtt_status_fn mqtt_status;  /* NULL: MQTT is "disabled" */
	void *mqtt_ctx;
	unsigned int kdf_iterations;     /* new password hashes; 0: WEB_AUTH_ITERATIONS */
	/* Called once everything web_server_close() started is released
	 * (tests wait for it); may be NULL. */
	void (*closed)(void *ctx);
	void *closed_ctx;
};

/*
 * Listen as cfg says (host, port, HTTPS with cert and key) and serve app
 * and api, which must stay open until web_server_close(). The password is
 * cfg->password, or the one in <data_dir>/web_auth.json, or a new one
 * (web_server_new_password()). 0, or a negative errno/MESH_ERR_* with
 * err: the port taken, a certificate that does not load, a damaged
 * web_auth.json. Whatever a failed open started is released on the loop,
 * which must keep running (it does in the daemon).
 */
int web_server_open(struct web_server **out, uv_loop_t *loop, struct gw_app *app,
		    struct gw_api *api, const struct gw_config_web *cfg,
		    const struct web_server_options *opts, char *err, size_t errlen);

/*
 * Stop: every connection is closed and nothing more touches app or api,
 * which may be closed right after. libuv closes handles asynchronously:
 * the rest is released as the loop runs on (opts->closed says when).
 */
void web_server_close(struct web_server *s);

/* "http://host:port/" (the machine's name when listening on all addresses). */
const char *web_server_url(const struct web_server *s);
/* The port listened on. */
unsigned int web_server_port(const struct web_server *s);
/* The password generated at this start (to show once), or NULL. */
const char *web_server_new_password(const struct web_server *s);
/* Wipe it from memory once shown. */
void web_server_forget_password(struct web_server *s);

#endif
