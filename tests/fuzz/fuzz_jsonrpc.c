/*
 * libFuzzer target for the WebSocket API's JSON-RPC (web/rpc.h): whatever
 * a browser or a script sends as one text message, on a real gateway (the
 * built-in stairway simulation in process, opened once), through the same
 * dispatcher the mesh requests take.
 *
 * Besides memory errors and leaks it checks what the API promises: every
 * message sent is a JSON-RPC 2.0 answer or notification (an object with
 * "jsonrpc":"2.0", or an array of them for a batch), an answer has either
 * a result or an error with an integer code and a message; input that is
 * not JSON gets exactly one answer, a parse error; and no message ever
 * carries the network's keys (unless the input spelt them out itself).
 *
 * The loop runs a little after each message, so answers from the mesh,
 * notifications and answers to sessions already gone are exercised too.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <uv.h>

#include "config/gateway_config.h"
#include "gateway/api.h"
#include "gateway/app.h"
#include "gateway/radio.h"
#include "mesh/log.h"
#include "mesh/uv_timers.h"
#include "web/rpc.h"

static struct {
	bool open;
	uv_loop_t loop;
	struct radio radio;
	struct mesh_uv_timers timers;
	struct gw_app app;
	struct gw_api api;
	struct web_rpc *rpc;
	char dir[64];
} g;

/* What one session was sent, for the checks. */
struct seen {
	const uint8_t *input;
	size_t input_len;
	unsigned int messages;
	int first_code;              /* of the first message, if an error */
};

static void quiet(void *ctx, enum mesh_log_level level, const char *component,
		  const char *message)
{
	(void)ctx;
	(void)level;
	(void)component;
	(void)message;
}

static void on_rx(void *ctx, const struct mesh_adv_rx *rx)
{
	gw_app_bearer_rx(ctx, rx);
}

static void cleanup(void)
{
	char cmd[128];

	if (!g.open)
		return;
	web_rpc_free(g.rpc);
	gw_api_close(&g.api);
	gw_app_close(&g.app);
	mesh_uv_timers_close(&g.timers);
	radio_close(&g.radio);
	for (int i = 0; i < 10; i++)
		uv_run(&g.loop, UV_RUN_NOWAIT);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", g.dir);
	g.open = false;
}

static void gateway_open(void)
{
	struct radio_config rc;
	struct gw_config cfg;
	struct gw_app_options ao = { 0 };
	char err[2048];

	mesh_log_set_sink(quiet, NULL);
	mesh_log_set_level(MESH_LOG_ERROR);
	snprintf(g.dir, sizeof(g.dir), "/tmp/meshgate-fuzz-rpc-XXXXXX");
	if (uv_loop_init(&g.loop) || !mkdtemp(g.dir))
		abort();
	radio_config_default(&rc);
	if (radio_open(&g.radio, &g.loop, &rc, err, sizeof(err)) ||
	    mesh_uv_timers_init(&g.timers, &g.loop) ||
	    gw_config_load_builtin(&cfg, err, sizeof(err))) {
		fprintf(stderr, "fuzz_jsonrpc: %s\n", err);
		abort();
	}
	snprintf(cfg.mesh.data_dir, sizeof(cfg.mesh.data_dir), "%s/data", g.dir);
	ao.demo_scenario = &g.radio.scenario;
	ao.bearer_desc = "simulator";
	if (gw_app_open(&g.app, &g.timers.timers, radio_bearer(&g.radio), &cfg, &ao, err,
			sizeof(err))) {
		fprintf(stderr, "fuzz_jsonrpc: %s\n", err);
		abort();
	}
	gw_config_free(&cfg);
	radio_bearer(&g.radio)->rx = on_rx;
	radio_bearer(&g.radio)->ctx = &g.app;
	if (gw_api_init(&g.api, &g.app))
		abort();
	g.rpc = web_rpc_new(&g.app, &g.api);
	if (!g.rpc)
		abort();
	g.open = true;
	atexit(cleanup);
}

/* ---- the checks ------------------------------------------------------------------ */

static bool contains_ci(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++) {
		size_t k = 0;

		while (k < n && tolower((unsigned char)hay[i + k]) == needle[k])
			k++;
		if (k == n)
			return true;
	}
	return false;
}

static void check_no_key(const struct seen *seen, const char *text, size_t len,
			 const uint8_t key[16])
{
	char hex[33];

	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	if (contains_ci(text, len, hex) &&
	    !contains_ci((const char *)seen->input, seen->input_len, hex))
		abort();
}

static void check_no_keys(const struct seen *seen, const char *text, size_t len)
{
	const struct netdb *db = g.app.core.db;

	for (size_t i = 0; i < db->n_net_keys; i++) {
		check_no_key(seen, text, len, db->net_keys[i].key);
		if (db->net_keys[i].has_old_key)
			check_no_key(seen, text, len, db->net_keys[i].old_key);
	}
	for (size_t i = 0; i < db->n_app_keys; i++) {
		check_no_key(seen, text, len, db->app_keys[i].key);
		if (db->app_keys[i].has_old_key)
			check_no_key(seen, text, len, db->app_keys[i].old_key);
	}
	for (size_t i = 0; i < db->n_nodes; i++)
		check_no_key(seen, text, len, db->nodes[i].dev_key);
}

/* One answer or notification object. */
static void check_message(const json_t *m)
{
	const json_t *e = json_object_get(m, "error");
	const json_t *version = json_object_get(m, "jsonrpc");

	if (!json_is_object(m) || !json_is_string(version) ||
	    strcmp(json_string_value(version), "2.0") != 0)
		abort();
	if (json_object_get(m, "method")) {
		if (!json_is_string(json_object_get(m, "method")) || json_object_get(m, "id") ||
		    !json_is_object(json_object_get(m, "params")))
			abort();
		return;
	}
	if (!json_object_get(m, "id") || !e == !json_object_get(m, "result"))
		abort();
	if (e && (!json_is_integer(json_object_get(e, "code")) ||
		  !json_is_string(json_object_get(e, "message"))))
		abort();
}

static int fuzz_send(void *conn, const char *text, size_t len)
{
	struct seen *seen = conn;
	json_t *j = json_loadb(text, len, 0, NULL);
	size_t i;
	const json_t *m;

	if (!j || strlen(text) != len)
		abort();
	if (json_is_array(j)) {
		if (json_array_size(j) == 0)
			abort();
		json_array_foreach(j, i, m)
			check_message(m);
	} else {
		check_message(j);
	}
	if (seen->messages++ == 0 && json_is_object(json_object_get(j, "error")))
		seen->first_code =
			(int)json_integer_value(json_object_get(json_object_get(j, "error"), "code"));
	check_no_keys(seen, text, len);
	json_decref(j);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen seen = { .input = data, .input_len = size };
	struct web_rpc_session *s;
	json_t *j;

	if (!g.open)
		gateway_open();
	s = web_rpc_session_new(g.rpc, fuzz_send, &seen);
	if (!s)
		abort();
	web_rpc_session_receive(s, (const char *)data, size);
	j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (!j && (seen.messages != 1 || seen.first_code != WEB_RPC_PARSE_ERROR))
		abort();
	json_decref(j);
	/* Answers from the mesh and notifications, while the session lives. */
	uv_run(&g.loop, UV_RUN_NOWAIT);
	web_rpc_session_free(s);
	/* And what comes after it is gone. */
	uv_run(&g.loop, UV_RUN_NOWAIT);
	return 0;
}
