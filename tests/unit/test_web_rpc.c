/*
 * JSON-RPC 2.0 over the WebSocket, without a socket: web/rpc.c between the
 * gateway application (the built-in stairway simulation in process, as
 * `meshgate` runs it) and fake connections whose send function collects
 * what a browser would receive.
 *
 * Covered: every error code and envelope rule of JSON-RPC 2.0 (parse
 * errors, invalid requests, unknown methods, the gateway's parameter
 * errors and failures, notifications never answered), batches (empty,
 * mixed, notifications only, a member answered by the mesh later),
 * answers arriving after their session is gone, subscriptions and every
 * notification the gateway's events map to, a connection whose send
 * fails, and that no answer carries key material.
 *
 * The tests share one gateway and run in order. The relay chain and the
 * garden light are nodes from the start, marked configured so the core
 * does not configure them by itself: node/configure of one of them (each
 * test its own, since a node with nothing left to configure may answer
 * at once) is the request that waits for the mesh.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "config/gateway_config.h"
#include "gateway/api.h"
#include "gateway/app.h"
#include "gateway/radio.h"
#include "mesh/log.h"
#include "mesh/uv_timers.h"
#include "uv_helpers.h"
#include "web/rpc.h"

#define CONN_MSGS_MAX 512
#define RELAY1 0x0100
#define MESH_TIMEOUT_MS 60000
#define WEB_PASSWORD "correct-horse-battery-staple"

/* A connection as the web server would hold it. */
struct conn {
	json_t *msgs[CONN_MSGS_MAX];
	size_t n;
	unsigned int sends;          /* calls of the send function */
	int fail;                    /* what send returns */
	struct gw_app *log_inside;   /* send logs a line of its own (as a server may) */
};

struct fixture {
	uv_loop_t loop;
	struct radio radio;
	struct mesh_uv_timers timers;
	struct gw_app app;
	struct gw_api api;
	struct web_rpc *rpc;
	char dir[64];
};

static void emit_log(struct gw_app *app, const char *level, const char *message);

static int conn_send(void *ctx, const char *text, size_t len)
{
	struct conn *c = ctx;
	json_error_t je;
	json_t *j;

	/* Whole, valid JSON (UTF-8 included), exactly len bytes. */
	assert_int_equal(strlen(text), len);
	j = json_loadb(text, len, 0, &je);
	if (!j)
		fail_msg("sent invalid JSON (%s): %s", je.text, text);
	c->sends++;
	if (c->n < CONN_MSGS_MAX)
		c->msgs[c->n++] = j;
	else
		json_decref(j);
	if (c->log_inside)
		emit_log(c->log_inside, "warn", "a line logged while sending");
	return c->fail;
}

static void conn_clear(struct conn *c)
{
	for (size_t i = 0; i < c->n; i++)
		json_decref(c->msgs[i]);
	c->n = 0;
	c->sends = 0;
}

static struct web_rpc_session *session(struct fixture *f, struct conn *c)
{
	struct web_rpc_session *s;

	memset(c, 0, sizeof(*c));
	s = web_rpc_session_new(f->rpc, conn_send, c);
	assert_non_null(s);
	return s;
}

static void say(struct web_rpc_session *s, const char *text)
{
	web_rpc_session_receive(s, text, strlen(text));
}

static const json_t *only_msg(const struct conn *c)
{
	if (c->n != 1)
		fail_msg("expected one message, got %zu", c->n);
	return c->msgs[0];
}

static void assert_id(const json_t *m, const char *id_json)
{
	json_t *want = json_loads(id_json, JSON_DECODE_ANY, NULL);

	assert_non_null(want);
	assert_non_null(json_object_get(m, "id"));
	if (!json_equal(json_object_get(m, "id"), want))
		fail_msg("id: want %s", id_json);
	json_decref(want);
}

/* An error object with code and id; returns the message. */
static const char *assert_error(const json_t *m, int code, const char *id_json)
{
	const json_t *e = json_object_get(m, "error");

	assert_true(json_is_object(m));
	assert_string_equal(json_string_value(json_object_get(m, "jsonrpc")), "2.0");
	assert_null(json_object_get(m, "result"));
	assert_true(json_is_object(e));
	assert_int_equal(json_integer_value(json_object_get(e, "code")), code);
	assert_true(json_is_string(json_object_get(e, "message")));
	assert_true(json_string_length(json_object_get(e, "message")) > 0);
	assert_id(m, id_json);
	return json_string_value(json_object_get(e, "message"));
}

static const json_t *assert_result(const json_t *m, const char *id_json)
{
	assert_string_equal(json_string_value(json_object_get(m, "jsonrpc")), "2.0");
	assert_null(json_object_get(m, "error"));
	assert_non_null(json_object_get(m, "result"));
	assert_id(m, id_json);
	return json_object_get(m, "result");
}

/* The answer in a batch's array with this id. */
static const json_t *answer_with_id(const json_t *array, const char *id_json)
{
	json_t *want = json_loads(id_json, JSON_DECODE_ANY, NULL);
	const json_t *found = NULL, *m;
	size_t i;

	assert_non_null(want);
	json_array_foreach(array, i, m)
		if (json_equal(json_object_get(m, "id"), want))
			found = m;
	json_decref(want);
	if (!found) {
		char *t = json_dumps(array, JSON_COMPACT);

		fail_msg("no answer with id %s in %s", id_json, t ? t : "(none)");
	}
	return found;
}

/* Notifications of method received so far (and the last one). */
static size_t notifications(const struct conn *c, const char *method, const json_t **last)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++) {
		const json_t *m = c->msgs[i];

		if (json_object_get(m, "id") || !json_is_string(json_object_get(m, "method")) ||
		    strcmp(json_string_value(json_object_get(m, "method")), method) != 0)
			continue;
		assert_string_equal(json_string_value(json_object_get(m, "jsonrpc")), "2.0");
		if (last)
			*last = json_object_get(m, "params");
		n++;
	}
	return n;
}

static void assert_params(const json_t *params, const char *want_json)
{
	json_t *want = json_loads(want_json, 0, NULL);
	char *got;

	assert_non_null(want);
	if (!json_equal(params, want)) {
		got = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("params %s, want %s", got ? got : "(none)", want_json);
	}
	json_decref(want);
}

static bool has_messages(void *ctx)
{
	return ((struct conn *)ctx)->n > 0;
}

/* ---- the gateway's events ------------------------------------------------------- */

static void emit(struct fixture *f, enum gw_event_kind kind, const char *type,
		 const char *data_json, const struct gw_entity *e, uint16_t node, bool online)
{
	json_t *data = data_json ? json_loads(data_json, 0, NULL) : NULL;
	struct gw_event ev = { .kind = kind, .type = type, .data = data, .entity = e,
			       .node = node, .online = online };

	assert_true(!data_json || data);
	gw_events_emit(&f->app.events, &ev);
	json_decref(data);
}

static void emit_log(struct gw_app *app, const char *level, const char *message)
{
	json_t *data = json_pack("{s:s,s:s,s:s,s:s}", "time", "2026-11-21T10:00:00.123Z", "level",
				 level, "module", "test", "message", message);
	struct gw_event ev = { .kind = GW_EVENT_LOG, .type = level, .data = data };

	gw_events_emit(&app->events, &ev);
	json_decref(data);
}

/* ---- the gateway ---------------------------------------------------------------- */

static void on_rx(void *ctx, const struct mesh_adv_rx *rx)
{
	gw_app_bearer_rx(ctx, rx);
}

static bool bearer_up;

static void on_state(void *ctx, bool up)
{
	(void)ctx;
	bearer_up = up;
}

static bool is_bearer_up(void *ctx)
{
	(void)ctx;
	return bearer_up;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct radio_config rc;
	struct gw_config cfg;
	struct gw_app_options ao = { 0 };
	char err[2048];

	assert_non_null(f);
	mesh_log_set_level(getenv("TEST_LOG_ECHO") ? MESH_LOG_DEBUG : MESH_LOG_ERROR);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/meshgate-rpc-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	radio_config_default(&rc);
	assert_int_equal(radio_open(&f->radio, &f->loop, &rc, err, sizeof(err)), 0);
	assert_int_equal(mesh_uv_timers_init(&f->timers, &f->loop), 0);

	/* The demo configuration with secrets of its own, to look for them. */
	assert_int_equal(gw_config_load_builtin(&cfg, err, sizeof(err)), 0);
	snprintf(cfg.web.password, sizeof(cfg.web.password), "%s", WEB_PASSWORD);
	cfg.mesh.heartbeat_period_s = 2;
	snprintf(cfg.mesh.data_dir, sizeof(cfg.mesh.data_dir), "%s/data", f->dir);
	ao.demo_scenario = &f->radio.scenario;
	ao.bearer_desc = "simulator";
	if (gw_app_open(&f->app, &f->timers.timers, radio_bearer(&f->radio), &cfg, &ao, err,
			sizeof(err)))
		fail_msg("gw_app_open: %s", err);
	gw_config_free(&cfg);
	radio_bearer(&f->radio)->rx = on_rx;
	radio_bearer(&f->radio)->state = on_state;
	radio_bearer(&f->radio)->ctx = &f->app;
	assert_int_equal(gw_api_init(&f->api, &f->app), 0);
	f->rpc = web_rpc_new(&f->app, &f->api);
	assert_non_null(f->rpc);
	/* Configured only when a test asks. */
	for (size_t i = 0; i < f->app.core.db->n_nodes; i++)
		f->app.core.db->nodes[i].config_complete = true;
	assert_true(test_uv_run_until(&f->loop, is_bearer_up, NULL, 5000));
	/* The registry (names) is rebuilt on a timer after the open. */
	test_uv_run_until(&f->loop, NULL, NULL, 50);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	web_rpc_free(f->rpc);
	gw_api_close(&f->api);
	gw_app_close(&f->app);
	mesh_uv_timers_close(&f->timers);
	radio_close(&f->radio);
	test_uv_run_until(&f->loop, NULL, NULL, 100);
	uv_loop_close(&f->loop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* ---- envelope ------------------------------------------------------------------- */

static void test_parse_errors(void **state)
{
	struct fixture *f = *state;
	static const char *const broken[] = {
		"{", "", "   ", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"info\"",
		"\xff\xfe", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xc3\"}",
		/* Which id would count? */
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"info\"}", "[1,]",
	};
	const char *valid = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"info\"}trailing bytes";
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);

	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		const char *msg;

		say(s, broken[i]);
		msg = assert_error(only_msg(&c), WEB_RPC_PARSE_ERROR, "null");
		assert_non_null(strstr(msg, "parse error"));
		conn_clear(&c);
	}
	/* Only len bytes count: the message need not end in a NUL. */
	web_rpc_session_receive(s, valid, strlen(valid) - strlen("trailing bytes"));
	assert_result(only_msg(&c), "1");
	conn_clear(&c);
	web_rpc_session_free(s);
}

static void test_invalid_requests(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *text;
		int code;
		const char *id;           /* JSON; NULL: no answer */
		const char *says;
	} cases[] = {
		{ "1", WEB_RPC_INVALID_REQUEST, "null", "request object" },
		{ "\"info\"", WEB_RPC_INVALID_REQUEST, "null", "request object" },
		{ "null", WEB_RPC_INVALID_REQUEST, "null", "request object" },
		{ "{}", WEB_RPC_INVALID_REQUEST, "null", "jsonrpc" },
		{ "{\"jsonrpc\":\"1.0\",\"id\":5,\"method\":\"info\"}", WEB_RPC_INVALID_REQUEST, "5",
		  "jsonrpc" },
		{ "{\"jsonrpc\":2.0,\"id\":5,\"method\":\"info\"}", WEB_RPC_INVALID_REQUEST, "5",
		  "jsonrpc" },
		{ "{\"id\":\"a\",\"method\":\"info\"}", WEB_RPC_INVALID_REQUEST, "\"a\"", "jsonrpc" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":5}", WEB_RPC_INVALID_REQUEST, "5", "method: missing" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":7}", WEB_RPC_INVALID_REQUEST, "5",
		  "method: expected a string" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":null}", WEB_RPC_INVALID_REQUEST, "5",
		  "method" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"info\"}", WEB_RPC_INVALID_REQUEST,
		  "null", "id" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"info\"}", WEB_RPC_INVALID_REQUEST, "null",
		  "id" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"info\"}", WEB_RPC_INVALID_REQUEST,
		  "null", "id" },
		/* A misspelt member is not silently ignored. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"info\",\"param\":{}}",
		  WEB_RPC_INVALID_REQUEST, "5", "unknown member 'param'" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"info\",\"params\":\"x\"}",
		  WEB_RPC_INVALID_REQUEST, "5", "params" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"info\",\"params\":null}",
		  WEB_RPC_INVALID_REQUEST, "5", "params" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"info\",\"params\":[1]}",
		  WEB_RPC_INVALID_PARAMS, "5", "named parameters" },
		/* Without an id, a broken request is still answered (id null)... */
		{ "{\"jsonrpc\":\"2.0\",\"method\":7}", WEB_RPC_INVALID_REQUEST, "null", "method" },
		{ "{\"method\":\"info\"}", WEB_RPC_INVALID_REQUEST, "null", "jsonrpc" },
		/* ...but a well-formed notification never is. */
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"info\",\"params\":[1]}", 0, NULL, NULL },
	};
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *msg;

		say(s, cases[i].text);
		if (!cases[i].id) {
			assert_int_equal(c.n, 0);
			continue;
		}
		msg = assert_error(only_msg(&c), cases[i].code, cases[i].id);
		if (!strstr(msg, cases[i].says))
			fail_msg("%s: message '%s' does not say '%s'", cases[i].text, msg,
				 cases[i].says);
		conn_clear(&c);
	}
	web_rpc_session_free(s);
}

static void test_method_not_found(void **state)
{
	struct fixture *f = *state;
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);
	char text[1200], name[800] = "";
	const char *msg;

	say(s, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"nodes/list\"}");
	msg = assert_error(only_msg(&c), WEB_RPC_METHOD_NOT_FOUND, "\"abc\"");
	assert_non_null(strstr(msg, "'nodes/list'"));
	conn_clear(&c);

	/* Reserved names are no exception. */
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"rpc.discover\"}");
	assert_error(only_msg(&c), WEB_RPC_METHOD_NOT_FOUND, "2");
	conn_clear(&c);

	/* A notification of an unknown method: nothing. */
	say(s, "{\"jsonrpc\":\"2.0\",\"method\":\"nodes/list\"}");
	assert_int_equal(c.n, 0);

	/* A long name of two-byte characters is quoted shortened, still UTF-8
	 * (conn_send would fail on invalid JSON). */
	for (int i = 0; i < 300; i++)
		strcat(name, "\xc3\xa9");
	snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"%s\"}", name);
	say(s, text);
	msg = assert_error(only_msg(&c), WEB_RPC_METHOD_NOT_FOUND, "3");
	assert_true(strlen(msg) < 200);
	assert_non_null(strstr(msg, "\xc3\xa9\xc3\xa9"));
	conn_clear(&c);
	web_rpc_session_free(s);
}

static void test_gateway_errors(void **state)
{
	struct fixture *f = *state;
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);
	char text[1200], name[800] = "";
	const char *msg;

	/* The gateway's parameter errors are -32602, with its sentence. */
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node/rename\","
	       "\"params\":{\"node\":\"no such node\",\"name\":\"x\"}}");
	msg = assert_error(only_msg(&c), WEB_RPC_INVALID_PARAMS, "1");
	assert_non_null(strstr(msg, "no such node"));
	conn_clear(&c);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"scan\",\"params\":{\"duration\":\"soon\"}}");
	msg = assert_error(only_msg(&c), WEB_RPC_INVALID_PARAMS, "2");
	assert_non_null(strstr(msg, "duration"));
	conn_clear(&c);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"entity/get\",\"params\":{}}");
	assert_error(only_msg(&c), WEB_RPC_INVALID_PARAMS, "3");
	conn_clear(&c);

	/* Valid requests the gateway could not carry out are -32000. */
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"oob\",\"params\":{\"value\":\"1234\"}}");
	assert_error(only_msg(&c), WEB_RPC_FAILED, "4");
	conn_clear(&c);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"node/rename\","
	       "\"params\":{\"node\":\"drive/relay 1\",\"name\":\"relay one\"}}");
	msg = assert_error(only_msg(&c), WEB_RPC_FAILED, "5");
	assert_non_null(strstr(msg, "built-in configuration"));
	conn_clear(&c);

	/* Keys never travel over the socket. */
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"backup\"}");
	msg = assert_error(only_msg(&c), WEB_RPC_FAILED, "6");
	assert_string_equal(msg, "backup is a download: GET /api/backup");
	conn_clear(&c);

	/* The gateway cuts its sentence quoting a long name wherever the
	 * byte count ends, inside a character or not: still valid JSON. */
	for (int i = 0; i < 300; i++)
		strcat(name, i % 2 ? "\xc3\xa9" : "\xe2\x82\xac");
	snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"node/rename\","
		 "\"params\":{\"node\":\"%s\",\"name\":\"x\"}}", name);
	say(s, text);
	assert_error(only_msg(&c), WEB_RPC_INVALID_PARAMS, "7");
	conn_clear(&c);
	web_rpc_session_free(s);
}

static void test_results(void **state)
{
	struct fixture *f = *state;
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);
	const json_t *r, *n;
	size_t i;
	bool relay_listed = false;

	say(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"info\"}");
	r = assert_result(only_msg(&c), "1");
	assert_string_equal(json_string_value(json_object_get(r, "bearer")), "simulator");
	conn_clear(&c);

	/* Whatever id comes goes back: a string, null, a fraction. */
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":\"x-1\",\"method\":\"health_check\",\"params\":{}}");
	r = assert_result(only_msg(&c), "\"x-1\"");
	assert_true(json_is_true(json_object_get(r, "healthy")));
	conn_clear(&c);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"groups\"}");
	r = assert_result(only_msg(&c), "null");
	assert_true(json_is_array(r));
	conn_clear(&c);
	say(s, "{\"id\":1.5,\"method\":\"networkmap\",\"jsonrpc\":\"2.0\"}");
	r = assert_result(only_msg(&c), "1.5");
	assert_true(json_is_array(json_object_get(r, "nodes")));
	conn_clear(&c);

	say(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nodes\"}");
	r = assert_result(only_msg(&c), "2");
	json_array_foreach(r, i, n)
		relay_listed |= json_is_string(json_object_get(n, "name")) &&
				strcmp(json_string_value(json_object_get(n, "name")),
				       "drive/relay 1") == 0;
	assert_true(relay_listed);
	conn_clear(&c);

	/* A notification is carried out, never answered. */
	say(s, "{\"jsonrpc\":\"2.0\",\"method\":\"info\"}");
	say(s, "{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\",\"params\":{\"topics\":[\"lists\"]}}");
	assert_int_equal(c.n, 0);
	emit(f, GW_EVENT_GROUPS, NULL, NULL, NULL, 0, false);
	assert_int_equal(notifications(&c, "groups_changed", NULL), 1);
	conn_clear(&c);
	web_rpc_session_free(s);
}

/* ---- batches ---------------------------------------------------------------------- */

static void test_batches(void **state)
{
	struct fixture *f = *state;
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);
	const json_t *a;
	char big[8192];
	size_t len;

	say(s, "[]");
	assert_error(only_msg(&c), WEB_RPC_INVALID_REQUEST, "null");
	conn_clear(&c);

	say(s, "[1,2]");
	a = only_msg(&c);
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 2);
	assert_error(json_array_get(a, 0), WEB_RPC_INVALID_REQUEST, "null");
	assert_error(json_array_get(a, 1), WEB_RPC_INVALID_REQUEST, "null");
	conn_clear(&c);

	/* Notifications only: no answer at all, but they are carried out. */
	say(s, "[{\"jsonrpc\":\"2.0\",\"method\":\"info\"},"
	       "{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\",\"params\":{\"topics\":[\"log\"]}},"
	       "{\"jsonrpc\":\"2.0\",\"method\":\"no/such/method\"}]");
	assert_int_equal(c.n, 0);
	emit_log(&f->app, "info", "hello");
	assert_int_equal(notifications(&c, "log", NULL), 1);
	conn_clear(&c);

	say(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"info\"},"
	       "{\"foo\":\"boo\"},"
	       "{\"jsonrpc\":\"2.0\",\"method\":\"groups\"},"
	       "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"get_data\"},"
	       "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"oob\",\"params\":{\"value\":\"1\"}},"
	       "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"backup\"}]");
	a = only_msg(&c);
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 5);
	assert_result(answer_with_id(a, "1"), "1");
	assert_error(answer_with_id(a, "null"), WEB_RPC_INVALID_REQUEST, "null");
	assert_error(answer_with_id(a, "3"), WEB_RPC_METHOD_NOT_FOUND, "3");
	assert_error(answer_with_id(a, "4"), WEB_RPC_FAILED, "4");
	assert_error(answer_with_id(a, "5"), WEB_RPC_FAILED, "5");
	conn_clear(&c);

	/* A batch too long to hold is refused as a whole. */
	len = (size_t)snprintf(big, sizeof(big), "[");
	for (int i = 0; i <= WEB_RPC_BATCH_MAX; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "%s{}", i ? "," : "");
	snprintf(big + len, sizeof(big) - len, "]");
	say(s, big);
	assert_error(only_msg(&c), WEB_RPC_INVALID_REQUEST, "null");
	conn_clear(&c);

	/* A batch that does not parse is one parse error. */
	say(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"info\"},");
	assert_error(only_msg(&c), WEB_RPC_PARSE_ERROR, "null");
	conn_clear(&c);
	web_rpc_session_free(s);
}

/* node/configure of relay 1 answers once the relay has been configured
 * over the air: a batch with it is answered as one array then. */
static void test_batch_waits_for_the_mesh(void **state)
{
	struct fixture *f = *state;
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);
	const json_t *a, *r;

	say(s, "[{\"jsonrpc\":\"2.0\",\"id\":\"cfg\",\"method\":\"node/configure\","
	       "\"params\":{\"node\":\"drive/relay 1\"}},"
	       "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"info\"},"
	       "{\"jsonrpc\":\"2.0\",\"method\":\"nodes\"}]");
	assert_int_equal(c.n, 0);
	assert_true(test_uv_run_until(&f->loop, has_messages, &c, MESH_TIMEOUT_MS));
	a = only_msg(&c);
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 2);
	r = assert_result(answer_with_id(a, "\"cfg\""), "\"cfg\"");
	assert_string_equal(json_string_value(json_object_get(r, "address")), "0x0100");
	assert_result(answer_with_id(a, "2"), "2");
	/* Nothing else trickles in afterwards. */
	test_uv_run_until(&f->loop, NULL, NULL, 200);
	assert_int_equal(c.n, 1);
	conn_clear(&c);
	web_rpc_session_free(s);
}

/* A heartbeat of the relay just configured, as its subscribers see it. */
static bool heartbeat_came(void *ctx)
{
	return notifications(ctx, "heartbeat", NULL) > 0;
}

static void test_real_heartbeat(void **state)
{
	struct fixture *f = *state;
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);
	const json_t *p;

	say(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\","
	       "\"params\":{\"topics\":[\"heartbeats\"]}}");
	conn_clear(&c);
	assert_true(test_uv_run_until(&f->loop, heartbeat_came, &c, 20000));
	notifications(&c, "heartbeat", &p);
	assert_string_equal(json_string_value(json_object_get(p, "node")), "0x0100");
	assert_string_equal(json_string_value(json_object_get(p, "name")), "drive/relay 1");
	assert_true(json_is_integer(json_object_get(json_object_get(p, "heartbeat"), "hops")));
	/* Subscribed to heartbeats only. */
	for (size_t i = 0; i < c.n; i++)
		assert_string_equal(json_string_value(json_object_get(c.msgs[i], "method")),
				    "heartbeat");
	conn_clear(&c);
	web_rpc_session_free(s);
}

static bool configure_reported(void *ctx)
{
	const struct conn *c = ctx;

	for (size_t i = 0; i < c->n; i++) {
		const char *type = json_string_value(
			json_object_get(json_object_get(c->msgs[i], "params"), "type"));

		if (type && (strcmp(type, GW_EV_NODE_CONFIGURED) == 0 ||
			     strcmp(type, GW_EV_NODE_CONFIGURE_FAILED) == 0))
			return true;
	}
	return false;
}

/* The session is gone before the mesh answers: the answer goes nowhere
 * (under ASan: touches nothing freed). */
static void test_answer_after_session_freed(void **state)
{
	struct fixture *f = *state;
	static struct conn gone, watcher;
	struct web_rpc_session *s = session(f, &gone);
	struct web_rpc_session *w = session(f, &watcher);

	say(w, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\","
	       "\"params\":{\"topics\":[\"events\"]}}");
	conn_clear(&watcher);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"node/configure\","
	       "\"params\":{\"node\":\"0x0101\"}}");
	say(s, "[{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"node/configure\","
	       "\"params\":{\"node\":\"nowhere\"}},{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"info\"}]");
	/* The batch is answered at once, the first configure still waits. */
	assert_int_equal(gone.n, 1);
	assert_error(answer_with_id(only_msg(&gone), "10"), WEB_RPC_INVALID_PARAMS, "10");
	conn_clear(&gone);
	assert_non_null(f->api.calls);
	web_rpc_session_free(s);

	assert_true(test_uv_run_until(&f->loop, configure_reported, &watcher, MESH_TIMEOUT_MS));
	test_uv_run_until(&f->loop, NULL, NULL, 100);
	assert_null(f->api.calls);
	assert_int_equal(gone.sends, 0);
	conn_clear(&watcher);
	web_rpc_session_free(w);
}

/* A batch member waiting for the mesh when its session goes. */
static void test_batch_freed_while_waiting(void **state)
{
	struct fixture *f = *state;
	static struct conn gone, watcher;
	struct web_rpc_session *s = session(f, &gone);
	struct web_rpc_session *w = session(f, &watcher);

	say(w, "{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\",\"params\":{\"topics\":[\"events\"]}}");
	say(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node/configure\","
	       "\"params\":{\"node\":\"drive/relay 3\"}},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"info\"},"
	       "{\"jsonrpc\":\"2.0\",\"method\":\"node/configure\",\"params\":{\"node\":\"nowhere\"}}]");
	assert_int_equal(gone.n, 0);
	web_rpc_session_free(s);
	assert_true(test_uv_run_until(&f->loop, configure_reported, &watcher, MESH_TIMEOUT_MS));
	test_uv_run_until(&f->loop, NULL, NULL, 100);
	assert_null(f->api.calls);
	assert_int_equal(gone.sends, 0);
	conn_clear(&watcher);
	web_rpc_session_free(w);
}

/* The API closing first answers what waits: "shutting down". */
static void test_api_closed_first(void **state)
{
	struct fixture *f = *state;
	static struct conn c, watcher;
	struct web_rpc_session *s = session(f, &c);
	struct web_rpc_session *w = session(f, &watcher);
	const char *msg;

	say(w, "{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\",\"params\":{\"topics\":[\"events\"]}}");
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node/configure\","
	       "\"params\":{\"node\":\"drive/relay 4\"}}");
	assert_int_equal(c.n, 0);
	gw_api_close(&f->api);
	msg = assert_error(only_msg(&c), WEB_RPC_FAILED, "1");
	assert_non_null(strstr(msg, "shutting down"));
	conn_clear(&c);
	assert_int_equal(gw_api_init(&f->api, &f->app), 0);
	/* Let the configuration finish before the next test. */
	assert_true(test_uv_run_until(&f->loop, configure_reported, &watcher, MESH_TIMEOUT_MS));
	conn_clear(&watcher);
	web_rpc_session_free(s);
	web_rpc_session_free(w);
}

/* ---- subscriptions and notifications ------------------------------------------------ */

static struct gw_entity test_entity(const char *name)
{
	struct gw_entity e;

	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "%s", name);
	return e;
}

/* A page subscribing to states starts with the states known now (the
 * garden light has its entity once test_no_key_material configured it). */
static void test_subscribe_sends_known_states(void **state)
{
	struct fixture *f = *state;
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);
	const struct gw_entity *garden = gw_registry_entity_by_name(&f->app.reg, "garden light");
	static const uint8_t on[] = { 0x01 };
	struct mesh_access_msg st = { .app_idx = 0, .opcode = 0x8204, .params = on,
				      .params_len = sizeof(on) };
	const json_t *p;

	assert_non_null(garden);
	st.src = garden->addr;
	assert_true(gw_state_cache_update(f->app.core.cache, &st, 1000) > 0);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\","
	       "\"params\":{\"topics\":[\"lists\"]}}");
	assert_int_equal(notifications(&c, "state", NULL), 0);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"subscribe\","
	       "\"params\":{\"topics\":[\"states\"]}}");
	assert_true(notifications(&c, "state", &p) >= 1);
	assert_true(c.n >= 3);
	/* Subscribing again sends nothing new. */
	conn_clear(&c);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"subscribe\","
	       "\"params\":{\"topics\":[\"states\"]}}");
	assert_int_equal(notifications(&c, "state", NULL), 0);
	web_rpc_session_free(s);
}

static void test_subscribe(void **state)
{
	struct fixture *f = *state;
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);
	struct gw_entity lamp = test_entity("stairway/lamp 1");
	const json_t *r;

	/* Nothing before subscribing. */
	emit(f, GW_EVENT_STATE, NULL, "{\"state\":\"ON\"}", &lamp, 0, false);
	emit_log(&f->app, "info", "not for you");
	assert_int_equal(c.n, 0);

	say(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\","
	       "\"params\":{\"topics\":[\"states\",\"states\"]}}");
	r = assert_result(only_msg(&c), "1");
	assert_params(r, "{\"topics\":[\"states\"]}");
	conn_clear(&c);
	emit(f, GW_EVENT_STATE, NULL, "{\"state\":\"ON\"}", &lamp, 0, false);
	emit_log(&f->app, "info", "still not for you");
	emit(f, GW_EVENT_NODES, NULL, NULL, NULL, 0, false);
	assert_int_equal(c.n, 1);
	assert_int_equal(notifications(&c, "state", NULL), 1);
	conn_clear(&c);

	/* No topics: all of them. */
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"subscribe\"}");
	r = assert_result(only_msg(&c), "2");
	assert_params(r, "{\"topics\":[\"events\",\"states\",\"availability\",\"heartbeats\","
		      "\"actions\",\"lists\",\"log\"]}");
	conn_clear(&c);

	say(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"unsubscribe\","
	       "\"params\":{\"topics\":[\"log\",\"states\"]}}");
	r = assert_result(only_msg(&c), "3");
	assert_params(r, "{\"topics\":[\"events\",\"availability\",\"heartbeats\",\"actions\","
		      "\"lists\"]}");
	conn_clear(&c);
	emit(f, GW_EVENT_STATE, NULL, "{\"state\":\"ON\"}", &lamp, 0, false);
	emit_log(&f->app, "info", "unsubscribed");
	assert_int_equal(c.n, 0);
	emit(f, GW_EVENT_INFO, NULL, NULL, NULL, 0, false);
	assert_int_equal(notifications(&c, "info_changed", NULL), 1);
	conn_clear(&c);

	say(s, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"unsubscribe\",\"params\":{}}");
	assert_params(assert_result(only_msg(&c), "4"), "{\"topics\":[]}");
	conn_clear(&c);
	emit(f, GW_EVENT_INFO, NULL, NULL, NULL, 0, false);
	assert_int_equal(c.n, 0);

	/* Bad parameters change nothing. */
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"subscribe\",\"params\":{\"topics\":\"log\"}}");
	assert_error(only_msg(&c), WEB_RPC_INVALID_PARAMS, "5");
	conn_clear(&c);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"subscribe\","
	       "\"params\":{\"topics\":[\"log\",\"weather\"]}}");
	assert_non_null(strstr(assert_error(only_msg(&c), WEB_RPC_INVALID_PARAMS, "6"), "topics"));
	conn_clear(&c);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"subscribe\","
	       "\"params\":{\"topics\":[1]}}");
	assert_error(only_msg(&c), WEB_RPC_INVALID_PARAMS, "7");
	conn_clear(&c);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"subscribe\","
	       "\"params\":{\"topic\":[\"log\"]}}");
	assert_non_null(strstr(assert_error(only_msg(&c), WEB_RPC_INVALID_PARAMS, "8"), "'topic'"));
	conn_clear(&c);
	say(s, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"unsubscribe\",\"params\":[\"log\"]}");
	assert_error(only_msg(&c), WEB_RPC_INVALID_PARAMS, "9");
	conn_clear(&c);
	emit_log(&f->app, "info", "nobody listens");
	assert_int_equal(c.n, 0);
	web_rpc_session_free(s);
}

static void test_every_notification(void **state)
{
	struct fixture *f = *state;
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);
	struct gw_entity lamp = test_entity("stairway/lamp 1");
	struct gw_entity sw = test_entity("stairway/switch top left");
	uint16_t self = gw_node_address(&f->app.core.node);
	const json_t *p;
	const char *t;

	say(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\"}");
	conn_clear(&c);

	emit(f, GW_EVENT_BRIDGE, GW_EV_DEVICE_DISCOVERED,
	     "{\"uuid\":\"02da705d-5822-415f-84ad-3d66db9da905\",\"rssi\":-60}", NULL, 0, false);
	assert_int_equal(notifications(&c, "event", &p), 1);
	assert_params(p, "{\"type\":\"device_discovered\",\"data\":"
		      "{\"uuid\":\"02da705d-5822-415f-84ad-3d66db9da905\",\"rssi\":-60}}");
	gw_events_bridge(&f->app.events, GW_EV_SCAN_CLOSED, NULL);
	assert_int_equal(notifications(&c, "event", &p), 2);
	assert_params(p, "{\"type\":\"scan_closed\",\"data\":{}}");

	emit(f, GW_EVENT_STATE, NULL, "{\"state\":\"ON\",\"brightness\":128}", &lamp, 0, false);
	assert_int_equal(notifications(&c, "state", &p), 1);
	assert_params(p, "{\"entity\":\"stairway/lamp 1\",\"state\":"
		      "{\"state\":\"ON\",\"brightness\":128}}");
	/* A state with nothing known yet is not news. */
	emit(f, GW_EVENT_STATE, NULL, "{}", &lamp, 0, false);
	assert_int_equal(notifications(&c, "state", NULL), 1);

	emit(f, GW_EVENT_AVAILABILITY, NULL, NULL, NULL, RELAY1, true);
	assert_int_equal(notifications(&c, "availability", &p), 1);
	assert_params(p, "{\"node\":\"0x0100\",\"name\":\"drive/relay 1\",\"state\":\"online\"}");
	/* A node the registry does not know goes by its address. */
	emit(f, GW_EVENT_AVAILABILITY, NULL, NULL, NULL, 0x0777, false);
	assert_int_equal(notifications(&c, "availability", &p), 2);
	assert_params(p, "{\"node\":\"0x0777\",\"name\":\"0x0777\",\"state\":\"offline\"}");
	/* meshgate's own node is not a device users watch. */
	emit(f, GW_EVENT_AVAILABILITY, NULL, NULL, NULL, self, true);
	assert_int_equal(notifications(&c, "availability", NULL), 2);

	emit(f, GW_EVENT_HEARTBEAT, NULL, "{\"hops\":2,\"rssi\":-70}", NULL, RELAY1, true);
	assert_int_equal(notifications(&c, "heartbeat", &p), 1);
	assert_params(p, "{\"node\":\"0x0100\",\"name\":\"drive/relay 1\","
		      "\"heartbeat\":{\"hops\":2,\"rssi\":-70}}");

	emit(f, GW_EVENT_ACTION, "off", NULL, &sw, 0x0110, false);
	assert_int_equal(notifications(&c, "action", &p), 1);
	assert_params(p, "{\"entity\":\"stairway/switch top left\",\"action\":\"off\"}");

	emit(f, GW_EVENT_NODES, NULL, NULL, NULL, 0, false);
	emit(f, GW_EVENT_GROUPS, NULL, NULL, NULL, 0, false);
	emit(f, GW_EVENT_INFO, NULL, NULL, NULL, 0, false);
	emit(f, GW_EVENT_ENTITIES, NULL, NULL, NULL, 0, false);
	assert_int_equal(notifications(&c, "nodes_changed", &p), 1);
	assert_params(p, "{}");
	assert_int_equal(notifications(&c, "groups_changed", &p), 1);
	assert_params(p, "{}");
	assert_int_equal(notifications(&c, "info_changed", &p), 1);
	assert_params(p, "{}");

	emit_log(&f->app, "warn", "something to see");
	assert_int_equal(notifications(&c, "log", &p), 1);
	assert_params(p, "{\"time\":\"2026-11-21T10:00:00.123Z\",\"level\":\"warn\","
		      "\"module\":\"test\",\"message\":\"something to see\"}");
	/* A line without level and time gets them. */
	emit(f, GW_EVENT_LOG, "error", "{\"module\":\"api\",\"message\":\"bad\"}", NULL, 0, false);
	assert_int_equal(notifications(&c, "log", &p), 2);
	assert_string_equal(json_string_value(json_object_get(p, "level")), "error");
	t = json_string_value(json_object_get(p, "time"));
	assert_non_null(t);
	assert_int_equal(strlen(t), strlen("2026-11-21T10:00:00.123Z"));
	assert_int_equal(t[strlen(t) - 1], 'Z');

	/* Every notification counted above, nothing else. */
	assert_int_equal(c.n, 2 + 1 + 2 + 1 + 1 + 3 + 2);
	conn_clear(&c);
	web_rpc_session_free(s);
}

/* A connection whose send fails is dropped: nothing more goes to it, what
 * it says is ignored, and the others are served as before. */
static void test_send_failure(void **state)
{
	struct fixture *f = *state;
	static struct conn bad, good;
	struct web_rpc_session *b = session(f, &bad);
	struct web_rpc_session *g = session(f, &good);

	say(g, "{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\"}");
	say(b, "{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\"}");
	emit(f, GW_EVENT_NODES, NULL, NULL, NULL, 0, false);
	assert_int_equal(bad.sends, 1);
	assert_int_equal(good.sends, 1);

	bad.fail = -1;
	emit(f, GW_EVENT_GROUPS, NULL, NULL, NULL, 0, false);
	assert_int_equal(bad.sends, 2);
	emit(f, GW_EVENT_INFO, NULL, NULL, NULL, 0, false);
	say(b, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"info\"}");
	say(b, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"info\"}]");
	say(b, "{");
	assert_int_equal(bad.sends, 2);
	assert_int_equal(good.sends, 3);
	conn_clear(&bad);
	conn_clear(&good);
	web_rpc_session_free(b);
	web_rpc_session_free(g);
}

/* The server may log while sending (a slow client closed): that line is
 * not sent again from inside the sending of the first. */
static void test_log_while_sending_log(void **state)
{
	struct fixture *f = *state;
	static struct conn a, b;
	struct web_rpc_session *sa = session(f, &a);
	struct web_rpc_session *sb = session(f, &b);

	say(sa, "{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\",\"params\":{\"topics\":[\"log\",\"lists\"]}}");
	say(sb, "{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\",\"params\":{\"topics\":[\"log\"]}}");
	a.log_inside = &f->app;
	emit_log(&f->app, "info", "first");
	assert_int_equal(notifications(&a, "log", NULL), 1);
	assert_int_equal(notifications(&b, "log", NULL), 1);
	/* Another event's sending may log: that line goes out. */
	emit(f, GW_EVENT_NODES, NULL, NULL, NULL, 0, false);
	assert_int_equal(notifications(&a, "nodes_changed", NULL), 1);
	assert_int_equal(notifications(&a, "log", NULL), 2);
	assert_int_equal(notifications(&b, "log", NULL), 2);
	conn_clear(&a);
	conn_clear(&b);
	web_rpc_session_free(sa);
	web_rpc_session_free(sb);
}

/* A line of the program's log, as its log sink hands it to the app. */
static void test_real_log_line(void **state)
{
	struct fixture *f = *state;
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);
	const json_t *p;
	const char *t;

	say(s, "{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\",\"params\":{\"topics\":[\"log\"]}}");
	gw_app_log_line(&f->app, MESH_LOG_WARN, "web", "a slow client was disconnected");
	assert_int_equal(notifications(&c, "log", &p), 1);
	assert_string_equal(json_string_value(json_object_get(p, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(p, "module")), "web");
	assert_string_equal(json_string_value(json_object_get(p, "message")),
			    "a slow client was disconnected");
	t = json_string_value(json_object_get(p, "time"));
	assert_non_null(t);
	assert_int_equal(strlen(t), strlen("2026-11-21T10:00:00.123Z"));
	assert_int_equal(json_object_size(p), 4);
	conn_clear(&c);
	web_rpc_session_free(s);
}

/* ---- secrets ------------------------------------------------------------------------- */

/* text is lower case: so are the hex digits looked for. */
static void assert_no_secret(const char *text, const uint8_t *k, size_t n, const char *what)
{
	char hex[65];

	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
	if (strstr(text, hex))
		fail_msg("%s found in an answer", what);
}

static void test_no_key_material(void **state)
{
	struct fixture *f = *state;
	const struct netdb *db = f->app.core.db;
	const struct gw_config *cfg = &f->app.cfg;
	static struct conn c;
	struct web_rpc_session *s = session(f, &c);
	static const char *const methods[] = { "info", "nodes", "groups", "health_check",
					       "networkmap", "backup" };
	char text[512], *all = NULL;
	size_t len = 0, infos = 0;

	say(s, "{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\"}");
	/* The events of a configuration, and then all there is to know. */
	say(s, "{\"jsonrpc\":\"2.0\",\"method\":\"node/configure\",\"params\":{\"node\":\"garden light\"}}");
	assert_true(test_uv_run_until(&f->loop, configure_reported, &c, MESH_TIMEOUT_MS));
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"%s\"}", i,
			 methods[i]);
		say(s, text);
	}
	if (gw_api_method_exists("node/info"))
		for (size_t i = 0; i < db->n_nodes; i++) {
			snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":\"n%zu\","
				 "\"method\":\"node/info\",\"params\":{\"node\":\"0x%04x\"}}", i,
				 db->nodes[i].unicast);
			say(s, text);
		}
	assert_true(c.n >= sizeof(methods) / sizeof(methods[0]));
	/* node/info answered every node (meshgate's own too, perhaps) with its detail. */
	for (size_t i = 0; i < c.n; i++) {
		const char *id = json_string_value(json_object_get(c.msgs[i], "id"));

		infos += id && id[0] == 'n' && json_is_object(json_object_get(c.msgs[i], "result"));
	}
	if (gw_api_method_exists("node/info"))
		assert_true(infos >= db->n_nodes - 1);

	for (size_t i = 0; i < c.n; i++) {
		char *t = json_dumps(c.msgs[i], JSON_COMPACT);

		assert_non_null(t);
		all = realloc(all, len + strlen(t) + 2);
		assert_non_null(all);
		memcpy(all + len, t, strlen(t));
		len += strlen(t);
		all[len++] = '\n';
		all[len] = '\0';
		free(t);
	}
	assert_non_null(strstr(all, "drive/relay 1"));
	assert_null(strstr(all, WEB_PASSWORD));
	for (char *p = all; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (size_t i = 0; i < db->n_net_keys; i++)
		assert_no_secret(all, db->net_keys[i].key, 16, "a network key");
	for (size_t i = 0; i < db->n_app_keys; i++)
		assert_no_secret(all, db->app_keys[i].key, 16, "an application key");
	for (size_t i = 0; i < db->n_nodes; i++)
		assert_no_secret(all, db->nodes[i].dev_key, 16, "a device key");
	for (size_t i = 0; i < cfg->n_nodes; i++)
		if (cfg->nodes[i].static_oob_len)
			assert_no_secret(all, cfg->nodes[i].static_oob, cfg->nodes[i].static_oob_len,
					 "a static OOB value");
	free(all);
	conn_clear(&c);
	web_rpc_session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_invalid_requests),
		cmocka_unit_test(test_method_not_found),
		cmocka_unit_test(test_gateway_errors),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_subscribe),
		cmocka_unit_test(test_every_notification),
		cmocka_unit_test(test_send_failure),
		cmocka_unit_test(test_log_while_sending_log),
		cmocka_unit_test(test_real_log_line),
		cmocka_unit_test(test_batch_waits_for_the_mesh),
		cmocka_unit_test(test_real_heartbeat),
		cmocka_unit_test(test_answer_after_session_freed),
		cmocka_unit_test(test_batch_freed_while_waiting),
		cmocka_unit_test(test_api_closed_first),
		cmocka_unit_test(test_no_key_material),
		cmocka_unit_test(test_subscribe_sends_known_states),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
