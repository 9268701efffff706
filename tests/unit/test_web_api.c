/*
 * The web server end to end, as a browser uses it: the gateway
 * application with its API on the built-in stairway simulation (in
 * process, as `meshgate` runs without a configuration, no MQTT), the web
 * server on a free port, and a raw HTTP/WebSocket client
 * (tests/unit/ws_client.c) so every header and frame is the test's.
 *
 * The tests share one server and run in order: /health and the static
 * files, login (wrong, right, malformed, cross-site), the session and the
 * backup download, the WebSocket upgrade's checks, every JSON-RPC method
 * (on the mesh where the method needs it: a demo lamp really switches),
 * notifications, malformed JSON-RPC and frames, logout closing the
 * session's sockets, the login rate limit, and at the end HTTPS with a
 * certificate made for the test, a port already taken, and a shutdown with
 * connections and a password check still open.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "config/gateway_config.h"
#include "gateway/api.h"
#include "gateway/app.h"
#include "gateway/radio.h"
#include "mesh/log.h"
#include "mesh/sim/world.h"
#include "mesh/uv_timers.h"
#include "web/static_files.h"
#include "web/web.h"
#include "uv_helpers.h"
#include "ws_client.h"

#define PASSWORD "correct horse battery staple"
#define LAMP "stairway/lamp 1"
#define LAMP_DEVICE "stair-lamp-1"
#define LAMP3_UUID "02da705d-5822-415f-84ad-3d66db9da905"
#define EVENTS_MAX 512

struct fixture {
	uv_loop_t loop;
	struct radio radio;
	struct mesh_uv_timers timers;
	struct gw_app app;
	struct gw_api api;
	struct web_server *web;
	bool web_closed;
	unsigned int port;
	char dir[64];
	char cookie[128];               /* "Cookie: meshgate_session=...\r\n" */
	char origin[64];                /* "Origin: http://127.0.0.1:port\r\n" */
	const char *mqtt;               /* what /health is told */
	struct ws_client clients[4];    /* the tests' (closed after each test, passed or not) */
	size_t n_clients;
	char shown_oob[16];             /* what a simulated device displays */
	char events[EVENTS_MAX][96];    /* "type name" of the app's bridge events */
	size_t n_events;
	int next_id;
};

static struct fixture *fx;

/* ---- the gateway ---------------------------------------------------------------- */

static void on_rx(void *ctx, const struct mesh_adv_rx *rx)
{
	gw_app_bearer_rx(ctx, rx);
}

static void on_state(void *ctx, bool up)
{
	(void)ctx;
	(void)up;
}

static void on_event(void *ctx, const struct gw_event *ev)
{
	struct fixture *f = ctx;
	const char *name;

	if (ev->kind != GW_EVENT_BRIDGE || f->n_events == EVENTS_MAX)
		return;
	name = json_string_value(json_object_get(ev->data, "name"));
	snprintf(f->events[f->n_events++], sizeof(f->events[0]), "%s %s", ev->type,
		 name ? name : "");
}

static bool event_seen(struct fixture *f, const char *type_name)
{
	for (size_t i = 0; i < f->n_events; i++)
		if (strcmp(f->events[i], type_name) == 0)
			return true;
	return false;
}

static void sim_shows(void *ctx, const struct sim_device *d, uint8_t action, const char *value)
{
	struct fixture *f = ctx;

	(void)d;
	(void)action;
	snprintf(f->shown_oob, sizeof(f->shown_oob), "%s", value);
}

static struct sim_world_observer observer = {
	.on_prov_output = sim_shows,
};

static const char *mqtt_status(void *ctx)
{
	return ((struct fixture *)ctx)->mqtt;
}

static void web_closed(void *ctx)
{
	((struct fixture *)ctx)->web_closed = true;
}

static bool is_web_closed(void *ctx)
{
	return ((struct fixture *)ctx)->web_closed;
}

static unsigned int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void web_config(struct gw_config_web *w, unsigned int port)
{
	memset(w, 0, sizeof(*w));
	w->enabled = true;
	snprintf(w->host, sizeof(w->host), "127.0.0.1");
	w->port = port;
	snprintf(w->password, sizeof(w->password), "%s", PASSWORD);
}

static struct web_server_options web_options(struct fixture *f)
{
	struct web_server_options o = {
		.data_dir = f->app.core.dir,
		.mqtt_status = mqtt_status,
		.mqtt_ctx = f,
		.kdf_iterations = 1000,
		.closed = web_closed,
		.closed_ctx = f,
	};

	return o;
}

static bool bearer_up(void *ctx)
{
	struct fixture *f = ctx;

	return f->app.core.bearer->up;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct radio_config rc;
	struct gw_config cfg;
	struct gw_config_web wc;
	struct gw_app_options ao = { 0 };
	struct web_server_options wo;
	char err[2048];

	assert_non_null(f);
	fx = f;
	mesh_log_set_level(getenv("TEST_LOG_ECHO") ? MESH_LOG_DEBUG : MESH_LOG_ERROR);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/meshgate-webapi-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->mqtt = "disconnected";

	radio_config_default(&rc);
	assert_int_equal(radio_open(&f->radio, &f->loop, &rc, err, sizeof(err)), 0);
	observer.ctx = f;
	sim_world_set_observer(f->radio.world, &observer);
	assert_int_equal(mesh_uv_timers_init(&f->timers, &f->loop), 0);
	/* The demo, as `meshgate` runs it without a file, minus MQTT. */
	assert_int_equal(gw_config_load_builtin(&cfg, err, sizeof(err)), 0);
	cfg.mqtt.enabled = false;
	cfg.mesh.heartbeat_period_s = 2;
	snprintf(cfg.mesh.data_dir, sizeof(cfg.mesh.data_dir), "%s/data", f->dir);
	ao.demo_scenario = &f->radio.scenario;
	ao.bearer_desc = "simulator";
	assert_int_equal(gw_app_open(&f->app, &f->timers.timers, radio_bearer(&f->radio), &cfg, &ao,
				     err, sizeof(err)), 0);
	gw_config_free(&cfg);
	radio_bearer(&f->radio)->rx = on_rx;
	radio_bearer(&f->radio)->state = on_state;
	radio_bearer(&f->radio)->ctx = &f->app;
	assert_int_equal(gw_api_init(&f->api, &f->app), 0);
	assert_int_equal(gw_events_subscribe(&f->app.events, on_event, f), 0);

	f->port = free_port();
	web_config(&wc, f->port);
	wo = web_options(f);
	if (web_server_open(&f->web, &f->loop, &f->app, &f->api, &wc, &wo, err, sizeof(err)))
		fail_msg("web_server_open: %s", err);
	assert_int_equal(web_server_port(f->web), f->port);
	/* A password from the configuration: nothing generated, nothing stored. */
	assert_null(web_server_new_password(f->web));
	snprintf(f->origin, sizeof(f->origin), "Origin: http://127.0.0.1:%u\r\n", f->port);

	gw_prov_scan(f->app.core.prov, 3600);
	gw_app_start(&f->app);
	assert_true(test_uv_run_until(&f->loop, bearer_up, f, 5000));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	if (f->web) {
		web_server_close(f->web);
		f->web = NULL;
	}
	assert_true(test_uv_run_until(&f->loop, is_web_closed, f, 5000));
	gw_api_close(&f->api);
	gw_app_close(&f->app);
	mesh_uv_timers_close(&f->timers);
	radio_close(&f->radio);
	/* Everything, the web server's lws handles included, is closed. */
	assert_true(test_uv_loop_close(&f->loop));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* ---- HTTP helpers ------------------------------------------------------------------ */

static void request(struct fixture *f, const char *method, const char *path, const char *headers,
		    const char *body, struct http_reply *r)
{
	int rc = http_request(&f->loop, f->port, false, NULL, method, path, headers, body, r);

	if (rc)
		fail_msg("%s %s: %s", method, path, strerror(-rc));
}

static json_t *reply_json(const struct http_reply *r)
{
	json_t *j = json_loads(r->body, 0, NULL);

	if (!j)
		fail_msg("not JSON: %s", r->body);
	return j;
}

/* Does j, as compact text, contain needle? */
static bool json_has(const json_t *j, const char *needle)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	bool hit = text && strstr(text, needle);

	free(text);
	return hit;
}

static const char *jstr(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	if (!s)
		fail_msg("no string '%s' in %s", key, json_dumps(j, JSON_COMPACT));
	return s;
}

/* POST /api/login from bind_addr (NULL: 127.0.0.1); the status. */
static int login(struct fixture *f, const char *bind_addr, const char *body, struct http_reply *r)
{
	char headers[128];
	int rc;

	snprintf(headers, sizeof(headers), "%s", f->origin);
	rc = http_request(&f->loop, f->port, false, bind_addr, "POST", "/api/login", headers, body,
			  r);
	if (rc)
		fail_msg("login: %s", strerror(-rc));
	return r->status;
}

/* Log in with the right password; f->cookie holds the session. */
static void login_ok(struct fixture *f)
{
	struct http_reply r;
	char set_cookie[256], *end;
	json_t *j;

	assert_int_equal(login(f, NULL, "{\"password\":\"" PASSWORD "\"}", &r), 200);
	j = reply_json(&r);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	assert_true(http_reply_header(&r, "set-cookie", set_cookie, sizeof(set_cookie)));
	assert_non_null(strstr(set_cookie, "; HttpOnly"));
	assert_non_null(strstr(set_cookie, "; SameSite=Strict"));
	assert_non_null(strstr(set_cookie, "; Path=/"));
	assert_null(strstr(set_cookie, "Secure"));
	assert_int_equal(strncmp(set_cookie, "meshgate_session=", 17), 0);
	end = strchr(set_cookie, ';');
	assert_non_null(end);
	/* 32 random octets in hex */
	assert_int_equal(end - set_cookie - 17, 64);
	snprintf(f->cookie, sizeof(f->cookie), "Cookie: %.*s\r\n", (int)(end - set_cookie),
		 set_cookie);
	http_reply_free(&r);
}

/* ---- WebSocket helpers ------------------------------------------------------------ */

static void ws_open(struct fixture *f, struct ws_client *c)
{
	char headers[300];

	assert_int_equal(ws_client_connect(c, &f->loop, "127.0.0.1", f->port, false, NULL), 0);
	snprintf(headers, sizeof(headers), "%s%s", f->cookie, f->origin);
	assert_int_equal(ws_client_handshake(c, "/api", headers, NULL), 101);
}

/* The next text message as JSON (NULL on a timeout or close). */
static json_t *ws_next(struct ws_client *c, unsigned int timeout_ms)
{
	struct ws_frame fr;
	json_t *j;

	if (ws_client_read_frame(c, &fr, timeout_ms) < 0)
		return NULL;
	if (fr.opcode != WS_OP_TEXT)
		fail_msg("expected a text frame, got opcode %u (close code %u)", fr.opcode,
			 fr.close_code);
	j = json_loads((char *)fr.payload, 0, NULL);
	if (!j)
		fail_msg("not JSON: %s", fr.payload);
	ws_frame_free(&fr);
	return j;
}

/* Send a request, wait for its answer (notifications meanwhile dropped). */
static json_t *rpc(struct fixture *f, struct ws_client *c, const char *method, const char *params,
		   unsigned int timeout_ms)
{
	char req[2048];
	int id = ++f->next_id;

	snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\"%s%s}", id,
		 method, params ? ",\"params\":" : "", params ? params : "");
	assert_int_equal(ws_client_send_text(c, req), 0);
	for (;;) {
		json_t *j = ws_next(c, timeout_ms);

		if (!j)
			fail_msg("no answer to %s", req);
		if (json_integer_value(json_object_get(j, "id")) == id) {
			assert_string_equal(jstr(j, "jsonrpc"), "2.0");
			return j;
		}
		json_decref(j);
	}
}

/* The result of a request that must succeed (new reference). */
static json_t *rpc_ok(struct fixture *f, struct ws_client *c, const char *method,
		      const char *params, unsigned int timeout_ms)
{
	json_t *j = rpc(f, c, method, params, timeout_ms);
	json_t *result = json_object_get(j, "result");

	if (!result)
		fail_msg("%s: %s", method, json_dumps(j, JSON_COMPACT));
	json_incref(result);
	json_decref(j);
	return result;
}

/* The error code of a request that must fail; message into msg if given. */
static int rpc_error(struct fixture *f, struct ws_client *c, const char *method,
		     const char *params, char *msg, size_t msglen)
{
	json_t *j = rpc(f, c, method, params, 10000);
	json_t *e = json_object_get(j, "error");
	int code;

	if (!e)
		fail_msg("%s: expected an error: %s", method, json_dumps(j, JSON_COMPACT));
	code = (int)json_integer_value(json_object_get(e, "code"));
	if (msg)
		snprintf(msg, msglen, "%s", jstr(e, "message"));
	json_decref(j);
	return code;
}

/* Wait for a notification of method whose text contains needle. */
static bool ws_notified(struct ws_client *c, const char *method, const char *needle,
			unsigned int timeout_ms)
{
	uint64_t end = uv_now(c->loop) + timeout_ms;

	while (uv_now(c->loop) < end) {
		json_t *j = ws_next(c, (unsigned int)(end - uv_now(c->loop)) + 1);
		const char *text;
		bool hit;

		if (!j)
			return false;
		text = json_string_value(json_object_get(j, "method"));
		hit = json_object_get(j, "id") == NULL && text && strcmp(text, method) == 0 &&
		      json_has(j, needle);
		json_decref(j);
		if (hit)
			return true;
	}
	return false;
}

/* The close frame the server sends; its code (-1: none came). */
static int ws_closed_with(struct ws_client *c)
{
	for (;;) {
		struct ws_frame fr;
		int code;

		if (ws_client_read_frame(c, &fr, 5000) < 0)
			return -1;
		code = fr.opcode == WS_OP_CLOSE ? fr.close_code : -1;
		ws_frame_free(&fr);
		if (code >= 0)
			return code;
	}
}

/* A client slot of the fixture: a failing test leaves nothing on its stack. */
static struct ws_client *client(struct fixture *f)
{
	struct ws_client *c;

	assert_true(f->n_clients < sizeof(f->clients) / sizeof(f->clients[0]));
	c = &f->clients[f->n_clients++];
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	return c;
}

static int close_clients(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < f->n_clients; i++)
		ws_client_close(&f->clients[i]);
	f->n_clients = 0;
	return 0;
}

/* ---- the tests: HTTP ---------------------------------------------------------------- */

static void test_health(void **state)
{
	struct fixture *f = *state;
	struct http_reply r;
	json_t *j;

	request(f, "GET", "/health", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	j = reply_json(&r);
	assert_string_equal(jstr(j, "status"), "ok");
	assert_string_equal(jstr(j, "version"), "0.1.0");
	assert_string_equal(jstr(j, "mesh"), "up");
	assert_string_equal(jstr(j, "mqtt"), "disconnected");
	json_decref(j);
	http_reply_free(&r);

	f->mqtt = "connected";
	request(f, "GET", "/health", NULL, NULL, &r);
	assert_non_null(strstr(r.body, "\"mqtt\":\"connected\""));
	http_reply_free(&r);
}

static void test_static_files(void **state)
{
	struct fixture *f = *state;
	const struct web_static_file *index = web_static_find("/index.html");
	struct http_reply r;
	char v[512];

	request(f, "GET", "/", NULL, NULL, &r);
	if (index) {
		assert_int_equal(r.status, 200);
		assert_true(http_reply_header(&r, "content-type", v, sizeof(v)));
		assert_string_equal(v, "text/html; charset=utf-8");
		assert_int_equal(r.body_len, index->len);
		assert_memory_equal(r.body, index->data, index->len);
		assert_true(http_reply_header(&r, "content-security-policy", v, sizeof(v)));
		assert_non_null(strstr(v, "script-src 'self'"));
		assert_true(http_reply_header(&r, "x-content-type-options", v, sizeof(v)));
	} else {
		assert_int_equal(r.status, 404);
	}
	http_reply_free(&r);
	/* Every embedded file, with its type. */
	for (size_t i = 0; i < web_static_files_count; i++) {
		request(f, "GET", web_static_files[i].path, NULL, NULL, &r);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.body_len, web_static_files[i].len);
		assert_true(http_reply_header(&r, "content-type", v, sizeof(v)));
		assert_string_equal(v, web_content_type(web_static_files[i].path));
		http_reply_free(&r);
	}
	request(f, "GET", "/no-such-file.js", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	request(f, "GET", "/.hidden", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	request(f, "GET", "/api/nothing", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "no such endpoint"));
	http_reply_free(&r);
	request(f, "DELETE", "/index.html", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	http_reply_free(&r);
	/* /api without an upgrade: a pointer to what it is. */
	request(f, "GET", "/api", NULL, NULL, &r);
	assert_int_equal(r.status, 426);
	http_reply_free(&r);
}

/* MESHGATE_WEB_ROOT serves from disk, read at each request. */
static void test_web_root(void **state)
{
	struct fixture *f = *state;
	struct gw_config_web wc;
	struct web_server_options wo = web_options(f);
	struct web_server *s;
	struct http_reply r;
	char root[128], path[160], err[512];
	FILE *fp;

	snprintf(root, sizeof(root), "%s/www", f->dir);
	assert_int_equal(mkdir(root, 0700), 0);
	snprintf(path, sizeof(path), "%s/index.html", root);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("<p>from disk</p>", fp);
	fclose(fp);
	setenv("MESHGATE_WEB_ROOT", root, 1);
	web_config(&wc, free_port());
	f->web_closed = false;
	if (web_server_open(&s, &f->loop, &f->app, &f->api, &wc, &wo, err, sizeof(err)))
		fail_msg("%s", err);
	unsetenv("MESHGATE_WEB_ROOT");
	assert_int_equal(http_request(&f->loop, wc.port, false, NULL, "GET", "/", NULL, NULL, &r),
			 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "<p>from disk</p>");
	http_reply_free(&r);
	assert_int_equal(http_request(&f->loop, wc.port, false, NULL, "GET", "/style.css", NULL,
				      NULL, &r), 0);
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	web_server_close(s);
	assert_true(test_uv_run_until(&f->loop, is_web_closed, f, 5000));
	f->web_closed = false;
}

static void test_login(void **state)
{
	struct fixture *f = *state;
	struct http_reply r;
	char headers[300];
	json_t *j;

	request(f, "GET", "/api/session", NULL, NULL, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.body, "{\"authenticated\":false}");
	http_reply_free(&r);

	assert_int_equal(login(f, NULL, "{\"password\":\"wrong\"}", &r), 401);
	j = reply_json(&r);
	assert_string_equal(jstr(j, "error"), "wrong password");
	json_decref(j);
	assert_false(http_reply_header(&r, "set-cookie", headers, sizeof(headers)));
	http_reply_free(&r);

	/* Not a login body. */
	assert_int_equal(login(f, NULL, "password=" PASSWORD, &r), 400);
	http_reply_free(&r);
	assert_int_equal(login(f, NULL, "{\"password\":7}", &r), 400);
	assert_non_null(strstr(r.body, "password: expected a string"));
	http_reply_free(&r);
	/* A page of another site posting the form. */
	request(f, "POST", "/api/login", "Origin: http://evil.example\r\n",
		"{\"password\":\"" PASSWORD "\"}", &r);
	assert_int_equal(r.status, 403);
	http_reply_free(&r);
	request(f, "GET", "/api/login", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	http_reply_free(&r);

	login_ok(f);
	request(f, "GET", "/api/session", f->cookie, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"authenticated\":true}");
	/* A session in use has its cookie renewed. */
	assert_true(http_reply_header(&r, "set-cookie", headers, sizeof(headers)));
	http_reply_free(&r);
	request(f, "GET", "/api/session", "Cookie: meshgate_session=00\r\n", NULL, &r);
	assert_int_equal(r.status, 401);
	http_reply_free(&r);
}

static void test_backup(void **state)
{
	struct fixture *f = *state;
	struct http_reply r;
	char v[256];
	json_t *j;

	request(f, "GET", "/api/backup", NULL, NULL, &r);
	assert_int_equal(r.status, 401);
	assert_null(strstr(r.body, "netKeys"));
	http_reply_free(&r);

	request(f, "GET", "/api/backup", f->cookie, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(http_reply_header(&r, "content-disposition", v, sizeof(v)));
	assert_int_equal(strncmp(v, "attachment; filename=\"meshgate-backup-20", 40), 0);
	assert_non_null(strstr(v, ".json\""));
	assert_true(http_reply_header(&r, "cache-control", v, sizeof(v)));
	assert_string_equal(v, "no-store");
	j = reply_json(&r);
	/* The Mesh Configuration Database, keys and all. */
	assert_true(json_array_size(json_object_get(j, "netKeys")) >= 1);
	assert_non_null(json_object_get(json_array_get(json_object_get(j, "netKeys"), 0), "key"));
	assert_true(json_array_size(json_object_get(j, "nodes")) >= 1);
	json_decref(j);
	http_reply_free(&r);
}

static void test_upgrade_checks(void **state)
{
	struct fixture *f = *state;
	struct ws_client *c = client(f);
	struct http_reply r;
	char headers[300];

	/* No session. */
	assert_int_equal(ws_client_connect(c, &f->loop, "127.0.0.1", f->port, false, NULL), 0);
	assert_int_equal(ws_client_handshake(c, "/api", f->origin, &r), 401);
	assert_non_null(strstr(r.body, "log in first"));
	http_reply_free(&r);
	ws_client_close(c);
	/* A session, but a page of another site. */
	assert_int_equal(ws_client_connect(c, &f->loop, "127.0.0.1", f->port, false, NULL), 0);
	snprintf(headers, sizeof(headers), "%sOrigin: http://evil.example:%u\r\n", f->cookie,
		 f->port);
	assert_int_equal(ws_client_handshake(c, "/api", headers, NULL), 403);
	ws_client_close(c);
	/* http:// is not the origin of https:// */
	assert_int_equal(ws_client_connect(c, &f->loop, "127.0.0.1", f->port, false, NULL), 0);
	snprintf(headers, sizeof(headers), "%sOrigin: https://127.0.0.1:%u\r\n", f->cookie,
		 f->port);
	assert_int_equal(ws_client_handshake(c, "/api", headers, NULL), 403);
	ws_client_close(c);
	/* Another path. */
	assert_int_equal(ws_client_connect(c, &f->loop, "127.0.0.1", f->port, false, NULL), 0);
	snprintf(headers, sizeof(headers), "%s%s", f->cookie, f->origin);
	assert_int_equal(ws_client_handshake(c, "/socket", headers, NULL), 404);
	ws_client_close(c);
	/* A forged cookie. */
	assert_int_equal(ws_client_connect(c, &f->loop, "127.0.0.1", f->port, false, NULL), 0);
	snprintf(headers, sizeof(headers), "Cookie: meshgate_session=%064d\r\n%s", 0, f->origin);
	assert_int_equal(ws_client_handshake(c, "/api", headers, NULL), 401);
	ws_client_close(c);
	/* Without Origin (not a browser: a script), and with the right one. */
	assert_int_equal(ws_client_connect(c, &f->loop, "127.0.0.1", f->port, false, NULL), 0);
	assert_int_equal(ws_client_handshake(c, "/api", f->cookie, NULL), 101);
	ws_client_close(c);
	ws_open(f, c);
	ws_client_close(c);
}

/* ---- the tests: JSON-RPC ------------------------------------------------------------ */

static void test_views(void **state)
{
	struct fixture *f = *state;
	struct ws_client *c = client(f);
	char msg[256];
	json_t *j;

	ws_open(f, c);
	j = rpc_ok(f, c, "info", NULL, 5000);
	assert_non_null(json_object_get(j, "network"));
	json_decref(j);
	j = rpc_ok(f, c, "nodes", "{}", 5000);
	assert_true(json_array_size(j) >= 2);
	json_decref(j);
	j = rpc_ok(f, c, "groups", NULL, 5000);
	assert_true(json_has(j, "stairway lights"));
	json_decref(j);
	j = rpc_ok(f, c, "health_check", NULL, 5000);
	assert_true(json_is_true(json_object_get(j, "healthy")));
	json_decref(j);
	j = rpc_ok(f, c, "networkmap", NULL, 5000);
	assert_true(json_is_array(json_object_get(j, "nodes")));
	json_decref(j);
	/* Keys never travel over the socket. */
	assert_int_equal(rpc_error(f, c, "backup", NULL, msg, sizeof(msg)), -32000);
	assert_non_null(strstr(msg, "GET /api/backup"));
	ws_client_close(c);
}

/* The demo's first start: the `provision: auto` devices are nodes and configured. */
static bool bootstrap_done(void *ctx)
{
	return event_seen(ctx, "node_configured " LAMP) &&
	       event_seen(ctx, "node_configured stairway/lamp 2") &&
	       event_seen(ctx, "node_configured stairway/switch top") &&
	       event_seen(ctx, "node_configured stairway/sensor");
}

struct lamp_wait {
	struct fixture *f;
	int want;
};

static bool lamp_is(void *ctx)
{
	struct lamp_wait *w = ctx;

	return sim_device_light_onoff(sim_world_find(w->f->radio.world, LAMP_DEVICE), 0) == w->want;
}

static void test_mesh_methods(void **state)
{
	struct fixture *f = *state;
	struct lamp_wait w = { f, 1 };
	struct ws_client *c = client(f);
	char msg[256];
	json_t *j;

	/* The demo provisions and configures the lamp by itself. */
	assert_true(test_uv_run_until(&f->loop, bootstrap_done, f, 60000));
	ws_open(f, c);

	/* entity/set answers once the lamp has; it is on, and says so. */
	json_decref(rpc_ok(f, c, "subscribe", "{\"topics\":[\"states\"]}", 5000));
	j = rpc_ok(f, c, "entity/set", "{\"entity\":\"" LAMP "\",\"state\":\"ON\","
		   "\"brightness\":128}", 10000);
	assert_true(json_is_object(j));
	json_decref(j);
	assert_true(test_uv_run_until(&f->loop, lamp_is, &w, 5000));
	assert_true(ws_notified(c, "state", "\"brightness\":128", 5000));
	j = rpc_ok(f, c, "entity/get", "{\"entity\":\"" LAMP "\"}", 10000);
	assert_true(json_is_object(j));
	json_decref(j);
	w.want = 0;
	j = rpc_ok(f, c, "entity/set", "{\"entity\":\"" LAMP "\",\"state\":\"OFF\"}", 10000);
	json_decref(j);
	assert_true(test_uv_run_until(&f->loop, lamp_is, &w, 5000));
	assert_true(ws_notified(c, "state", "\"state\":\"OFF\"", 5000));
	json_decref(rpc_ok(f, c, "unsubscribe", NULL, 5000));

	/* node/info: the detail page, without keys. */
	j = rpc_ok(f, c, "node/info", "{\"node\":\"" LAMP "\"}", 5000);
	assert_string_equal(jstr(j, "name"), LAMP);
	assert_false(json_has(j, "\"key\""));
	json_decref(j);
	/* A name from the configuration file is changed there: the gateway's
	 * sentence comes through as a failed request. */
	assert_int_equal(rpc_error(f, c, "node/rename", "{\"node\":\"drive/relay 1\",\"name\":"
				   "\"relay one\"}", msg, sizeof(msg)), -32000);
	assert_non_null(strstr(msg, "configuration"));
	j = rpc_ok(f, c, "node/configure", "{\"node\":\"drive/relay 1\"}", 30000);
	json_decref(j);
	assert_int_equal(rpc_error(f, c, "node/remove", "{\"node\":\"nobody\"}", msg, sizeof(msg)),
			 -32602);
	assert_non_null(strstr(msg, "nobody"));

	/* Groups, with the lamp as a member (the mesh answers). */
	j = rpc_ok(f, c, "group/add", "{\"name\":\"web test\"}", 5000);
	assert_string_equal(jstr(j, "name"), "web test");
	json_decref(j);
	j = rpc_ok(f, c, "group/rename", "{\"name\":\"web test\",\"new_name\":\"web test 2\"}",
		   5000);
	json_decref(j);
	j = rpc_ok(f, c, "group/members/add", "{\"group\":\"web test 2\",\"member\":\"" LAMP "\"}",
		   20000);
	json_decref(j);
	j = rpc_ok(f, c, "group/members/remove", "{\"group\":\"web test 2\",\"member\":\"" LAMP
		   "\"}", 20000);
	json_decref(j);
	j = rpc_ok(f, c, "group/remove", "{\"name\":\"web test 2\"}", 20000);
	json_decref(j);

	ws_client_close(c);
}

/* Provisioning over the socket: Output OOB, the value read off the
 * simulated lamp's "display" and sent with `oob`, as the wizard does. */
static void test_provision_oob(void **state)
{
	struct fixture *f = *state;
	struct ws_client *c = client(f);
	char msg[256], req[256];
	json_t *j, *result = NULL;

	ws_open(f, c);
	j = rpc_ok(f, c, "scan", "{\"action\":\"start\",\"duration\":60}", 5000);
	assert_int_equal(json_integer_value(json_object_get(j, "duration")), 60);
	json_decref(j);
	assert_int_equal(rpc_error(f, c, "provision", "{}", msg, sizeof(msg)), -32602);
	assert_non_null(strstr(msg, "uuid"));
	/* No session waits for a value. */
	assert_true(rpc_error(f, c, "oob", "{\"value\":\"1234\"}", msg, sizeof(msg)) < 0);

	json_decref(rpc_ok(f, c, "subscribe", "{\"topics\":[\"events\"]}", 5000));
	/* Another provisioning may still be running: try again, as a user would. */
	for (int tries = 0; tries < 30; tries++) {
		bool busy = false;

		f->shown_oob[0] = '\0';
		assert_int_equal(ws_client_send_text(c, "{\"jsonrpc\":\"2.0\",\"id\":\"p\","
						     "\"method\":\"provision\",\"params\":{\"uuid\":"
						     "\"" LAMP3_UUID "\",\"method\":\"output\"}}"),
				 0);
		for (;;) {
			j = ws_next(c, 30000);
			assert_non_null(j);
			if (json_object_get(j, "id")) {
				busy = json_has(j, "being provisioned");
				if (!busy)
					fail_msg("provision answered early: %s",
						 json_dumps(j, JSON_COMPACT));
			}
			if (busy || json_has(j, "provisioning_oob_required")) {
				json_decref(j);
				break;
			}
			json_decref(j);
		}
		if (!busy)
			break;
		test_uv_run_until(&f->loop, NULL, NULL, 1000);
	}
	assert_true(f->shown_oob[0] != '\0');
	snprintf(req, sizeof(req), "{\"value\":\"%s\"}", f->shown_oob);
	json_decref(rpc_ok(f, c, "oob", req, 5000));
	/* The provision request answers when the lamp is a node. */
	while (!result) {
		j = ws_next(c, 30000);
		assert_non_null(j);
		if (json_is_string(json_object_get(j, "id"))) {
			assert_string_equal(jstr(j, "id"), "p");
			result = json_incref(json_object_get(j, "result"));
			if (!result)
				fail_msg("provision failed: %s", json_dumps(j, JSON_COMPACT));
		}
		json_decref(j);
	}
	/* No name asked for: the one the configuration file gives it. */
	assert_string_equal(jstr(result, "name"), "stairway/lamp 3");
	assert_true(json_integer_value(json_object_get(result, "elements")) >= 1);
	json_decref(result);
	ws_client_close(c);
}

static void test_notifications(void **state)
{
	struct fixture *f = *state;
	struct ws_client *c = client(f);
	json_t *j;

	ws_open(f, c);
	j = rpc_ok(f, c, "subscribe", "{\"topics\":[\"states\",\"log\"]}", 5000);
	assert_int_equal(json_array_size(json_object_get(j, "topics")), 2);
	json_decref(j);
	/* A state change after entity/set. */
	assert_int_equal(ws_client_send_text(c, "{\"jsonrpc\":\"2.0\",\"method\":\"entity/set\","
					     "\"params\":{\"entity\":\"" LAMP "\",\"state\":"
					     "\"ON\"}}"), 0);
	assert_true(ws_notified(c, "state", "\"entity\":\"" LAMP "\"", 10000));
	/* A log line. */
	gw_app_log_line(&f->app, MESH_LOG_WARN, "test", "hello from the web test");
	assert_true(ws_notified(c, "log", "hello from the web test", 5000));
	/* Unsubscribed: no more log lines. */
	j = rpc_ok(f, c, "unsubscribe", "{\"topics\":[\"log\"]}", 5000);
	json_decref(j);
	gw_app_log_line(&f->app, MESH_LOG_WARN, "test", "not for you");
	assert_false(ws_notified(c, "log", "not for you", 500));
	ws_client_close(c);
}

static void test_malformed_rpc(void **state)
{
	struct fixture *f = *state;
	struct ws_client *c = client(f);
	json_t *j;
	char msg[256];

	ws_open(f, c);
	/* Not JSON: -32700 with id null. */
	assert_int_equal(ws_client_send_text(c, "{\"jsonrpc\":"), 0);
	j = ws_next(c, 5000);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "id")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "code")),
			 -32700);
	json_decref(j);
	/* An empty batch, a wrong version. */
	assert_int_equal(ws_client_send_text(c, "[]"), 0);
	j = ws_next(c, 5000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "code")),
			 -32600);
	json_decref(j);
	assert_int_equal(ws_client_send_text(c, "{\"jsonrpc\":\"1.0\",\"id\":5,\"method\":\"info\"}"),
			 0);
	j = ws_next(c, 5000);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "code")),
			 -32600);
	json_decref(j);
	assert_int_equal(rpc_error(f, c, "no/such/method", NULL, msg, sizeof(msg)), -32601);
	assert_int_equal(rpc_error(f, c, "nodes", "[1]", msg, sizeof(msg)), -32602);
	assert_int_equal(rpc_error(f, c, "entity/set", "{\"entity\":\"" LAMP "\",\"brightness\":"
				   "999}", msg, sizeof(msg)), -32602);
	/* A batch: answered as one array. */
	assert_int_equal(ws_client_send_text(c, "[{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":"
					     "\"health_check\"},{\"jsonrpc\":\"2.0\",\"id\":\"b\","
					     "\"method\":\"nope\"}]"), 0);
	j = ws_next(c, 5000);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 2);
	json_decref(j);
	/* A request in three fragments is one message. */
	assert_int_equal(ws_client_send_frame(c, WS_OP_TEXT, false, "{\"jsonrpc\":\"2.0\",", 17), 0);
	assert_int_equal(ws_client_send_frame(c, WS_OP_CONT, false, "\"id\":77,\"method\"", 16), 0);
	assert_int_equal(ws_client_send_frame(c, WS_OP_CONT, true, ":\"health_check\"}", 16), 0);
	j = ws_next(c, 5000);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 77);
	assert_non_null(json_object_get(j, "result"));
	json_decref(j);
	/* Still open and answering after all that. */
	j = rpc_ok(f, c, "health_check", NULL, 5000);
	json_decref(j);
	ws_client_close(c);
}

static void test_bad_frames(void **state)
{
	struct fixture *f = *state;
	struct ws_client *c = client(f);
	char *big;

	/* Binary: 1003. */
	ws_open(f, c);
	assert_int_equal(ws_client_send_frame(c, WS_OP_BINARY, true, "\x01\x02\x03", 3), 0);
	assert_int_equal(ws_closed_with(c), 1003);
	ws_client_close(c);
	/* More than 64 KiB: 1009, whether in one frame or in fragments. */
	big = malloc(70000);
	assert_non_null(big);
	memset(big, ' ', 70000);
	ws_open(f, c);
	assert_int_equal(ws_client_send_frame(c, WS_OP_TEXT, true, big, 70000), 0);
	assert_int_equal(ws_closed_with(c), 1009);
	ws_client_close(c);
	ws_open(f, c);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ws_client_send_frame(c, i ? WS_OP_CONT : WS_OP_TEXT, i == 2, big,
						      30000), 0);
	assert_int_equal(ws_closed_with(c), 1009);
	ws_client_close(c);
	free(big);
	/* Text that is not UTF-8: the WebSocket protocol's own 1007. */
	ws_open(f, c);
	assert_int_equal(ws_client_send_frame(c, WS_OP_TEXT, true, "\"\xff\xfe\"", 4), 0);
	assert_int_equal(ws_closed_with(c), 1007);
	ws_client_close(c);
	/* A client that asks faster than it reads: 1008 once 256 answers wait. */
	ws_open(f, c);
	for (int i = 0; i < 400; i++)
		assert_int_equal(ws_client_send_text(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
						     "\"nodes\"}"), 0);
	assert_int_equal(ws_closed_with(c), 1008);
	ws_client_close(c);
	/* The server is fine afterwards. */
	ws_open(f, c);
	json_decref(rpc_ok(f, c, "info", NULL, 5000));
	ws_client_close(c);
}

static void test_logout(void **state)
{
	struct fixture *f = *state;
	struct ws_client *c = client(f);
	struct http_reply r;
	char v[256], headers[300];

	ws_open(f, c);
	json_decref(rpc_ok(f, c, "info", NULL, 5000));
	snprintf(headers, sizeof(headers), "%s%s", f->cookie, f->origin);
	request(f, "POST", "/api/logout", headers, "", &r);
	assert_int_equal(r.status, 200);
	assert_true(http_reply_header(&r, "set-cookie", v, sizeof(v)));
	assert_non_null(strstr(v, "meshgate_session=;"));
	assert_non_null(strstr(v, "Max-Age=0"));
	http_reply_free(&r);
	/* The session's socket is closed, and the cookie is worth nothing. */
	assert_int_equal(ws_closed_with(c), 1000);
	ws_client_close(c);
	request(f, "GET", "/api/session", f->cookie, NULL, &r);
	assert_int_equal(r.status, 401);
	http_reply_free(&r);
	request(f, "GET", "/api/backup", f->cookie, NULL, &r);
	assert_int_equal(r.status, 401);
	http_reply_free(&r);
	login_ok(f);
}

static void test_rate_limit(void **state)
{
	struct fixture *f = *state;
	struct http_reply r;
	char v[32];
	json_t *j;

	/* Another client address, so the other tests' logins are not locked. */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(login(f, "127.0.0.2", "{\"password\":\"guess\"}", &r), 401);
		http_reply_free(&r);
	}
	assert_int_equal(login(f, "127.0.0.2", "{\"password\":\"guess\"}", &r), 429);
	j = reply_json(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "retry_after")), 30);
	assert_string_equal(jstr(j, "error"), "too many login attempts; try again in 30 s");
	json_decref(j);
	assert_true(http_reply_header(&r, "retry-after", v, sizeof(v)));
	assert_string_equal(v, "30");
	http_reply_free(&r);
	/* Locked out means the right password too. */
	assert_int_equal(login(f, "127.0.0.2", "{\"password\":\"" PASSWORD "\"}", &r), 429);
	http_reply_free(&r);
	/* Another address is not. */
	login_ok(f);
}

/* ---- the tests: HTTPS, errors, shutdown ---------------------------------------------- */

static void make_cert(const char *dir, char *cert, char *key, size_t len)
{
	char cmd[1024];

	snprintf(cert, len, "%s/cert.pem", dir);
	snprintf(key, len, "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		 "-nodes -days 1 -subj /CN=localhost -keyout '%s' -out '%s' 2>/dev/null", key, cert);
	assert_int_equal(system(cmd), 0);
}

static void test_https(void **state)
{
	struct fixture *f = *state;
	struct gw_config_web wc;
	struct web_server_options wo = web_options(f);
	struct web_server *s;
	struct ws_client *c = client(f);
	struct http_reply r;
	char err[512], set_cookie[256], headers[400], *end;
	json_t *j;

	web_config(&wc, free_port());
	make_cert(f->dir, wc.cert, wc.key, sizeof(wc.cert));
	f->web_closed = false;
	if (web_server_open(&s, &f->loop, &f->app, &f->api, &wc, &wo, err, sizeof(err)))
		fail_msg("%s", err);
	assert_non_null(strstr(web_server_url(s), "https://127.0.0.1:"));
	assert_int_equal(http_request(&f->loop, wc.port, true, NULL, "GET", "/health", NULL, NULL,
				      &r), 0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	/* Plain HTTP on the HTTPS port gets nothing. */
	assert_true(http_request(&f->loop, wc.port, false, NULL, "GET", "/health", NULL, NULL,
				 &r) < 0 || r.status != 200);
	http_reply_free(&r);

	snprintf(headers, sizeof(headers), "Origin: https://127.0.0.1:%u\r\n", wc.port);
	assert_int_equal(http_request(&f->loop, wc.port, true, NULL, "POST", "/api/login", headers,
				      "{\"password\":\"" PASSWORD "\"}", &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(http_reply_header(&r, "set-cookie", set_cookie, sizeof(set_cookie)));
	assert_non_null(strstr(set_cookie, "; Secure"));
	http_reply_free(&r);
	end = strchr(set_cookie, ';');
	snprintf(headers, sizeof(headers), "Cookie: %.*s\r\nOrigin: https://127.0.0.1:%u\r\n",
		 (int)(end - set_cookie), set_cookie, wc.port);
	assert_int_equal(ws_client_connect(c, &f->loop, "127.0.0.1", wc.port, true, NULL), 0);
	assert_int_equal(ws_client_handshake(c, "/api", headers, NULL), 101);
	j = rpc_ok(f, c, "info", NULL, 5000);
	json_decref(j);

	/* Shut down with this socket open and a password being checked. */
	{
		struct ws_client *pending = client(f);
		char req[512];

		assert_int_equal(ws_client_connect(pending, &f->loop, "127.0.0.1", wc.port, true,
						   NULL), 0);
		snprintf(req, sizeof(req), "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: "
			 "16\r\n\r\n{\"password\":\"x\"}");
		assert_int_equal(ws_client_send(pending, req, strlen(req)), 0);
		test_uv_run_until(&f->loop, NULL, NULL, 20);
		web_server_close(s);
		assert_true(test_uv_run_until(&f->loop, is_web_closed, f, 5000));
		ws_client_close(pending);
	}
	ws_client_close(c);
	f->web_closed = false;
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct gw_config_web wc;
	struct web_server_options wo = web_options(f);
	struct web_server *s;
	char err[512], other_cert[160], other_key[160], dir[128];

	/* The port of the running server. */
	web_config(&wc, f->port);
	f->web_closed = false;
	assert_true(web_server_open(&s, &f->loop, &f->app, &f->api, &wc, &wo, err, sizeof(err)) < 0);
	assert_null(s);
	assert_non_null(strstr(err, "cannot listen on 127.0.0.1:"));
	assert_non_null(strstr(err, "Address already in use"));
	/* What the failed open started is released too. */
	assert_true(test_uv_run_until(&f->loop, is_web_closed, f, 5000));

	/* A key that is not the certificate's. */
	web_config(&wc, free_port());
	make_cert(f->dir, wc.cert, wc.key, sizeof(wc.cert));
	snprintf(dir, sizeof(dir), "%s/other", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	make_cert(dir, other_cert, other_key, sizeof(other_cert));
	snprintf(wc.key, sizeof(wc.key), "%s", other_key);
	f->web_closed = false;
	assert_true(web_server_open(&s, &f->loop, &f->app, &f->api, &wc, &wo, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "do not belong together"));
	assert_true(test_uv_run_until(&f->loop, is_web_closed, f, 5000));
	/* A missing one. */
	snprintf(wc.key, sizeof(wc.key), "%s/missing.pem", f->dir);
	f->web_closed = false;
	assert_true(web_server_open(&s, &f->loop, &f->app, &f->api, &wc, &wo, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "web.key: "));
	assert_non_null(strstr(err, "No such file"));
	assert_true(test_uv_run_until(&f->loop, is_web_closed, f, 5000));
	f->web_closed = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_health, close_clients),
		cmocka_unit_test_teardown(test_static_files, close_clients),
		cmocka_unit_test_teardown(test_web_root, close_clients),
		cmocka_unit_test_teardown(test_login, close_clients),
		cmocka_unit_test_teardown(test_backup, close_clients),
		cmocka_unit_test_teardown(test_upgrade_checks, close_clients),
		cmocka_unit_test_teardown(test_views, close_clients),
		cmocka_unit_test_teardown(test_mesh_methods, close_clients),
		cmocka_unit_test_teardown(test_provision_oob, close_clients),
		cmocka_unit_test_teardown(test_notifications, close_clients),
		cmocka_unit_test_teardown(test_malformed_rpc, close_clients),
		cmocka_unit_test_teardown(test_bad_frames, close_clients),
		cmocka_unit_test_teardown(test_logout, close_clients),
		cmocka_unit_test_teardown(test_rate_limit, close_clients),
		cmocka_unit_test_teardown(test_https, close_clients),
		cmocka_unit_test_teardown(test_open_errors, close_clients),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
