/*
 * The request API (gateway/api.c) through gw_api_call(), as MQTT and the
 * WebSocket API call it, on the gateway application opened on a data
 * directory with a network built in code (a lamp named and grouped by the
 * configuration file, a colour lamp, a wall switch, a sensor; a group of
 * the file and groups of the database) and on a bearer of the test's own
 * that counts what goes to the radio. Time is the test's too (mesh
 * timers advanced by hand), so "nothing was sent" means nothing, even
 * later: retries and queued transmissions are given time to happen.
 *
 * Refusals: every request's missing, mistyped, unknown and out-of-range
 * parameters, unknown names, names taken or pinned by the file, and
 * unknown methods; each answer is one sentence naming the parameter (the
 * key words are asserted), comes before gw_api_call() returns, is of the
 * kind gw_api_call_ex() says (bad parameters / unknown method), and
 * nothing reaches the radio or waits for it.
 *
 * Answers given at once: info, nodes, groups, health_check, networkmap,
 * backup (which alone carries keys, as documented; the views carry no
 * key, device key, password or OOB value), scan, node/rename (database
 * saved, views rebuilt, unique ids kept), group/add in each address form,
 * group/rename, group/remove, a group's state, a group command. A request
 * that waits for the mesh is answered once, on timeout or at close.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "config/gateway_config.h"
#include "gateway/api.h"
#include "gateway/app.h"
#include "gateway/groups.h"
#include "mesh/bearer/bearer.h"
#include "mesh/crypto.h"
#include "mesh/generic_msg.h"
#include "mesh/light_msg.h"
#include "mesh/log.h"
#include "mesh/sensor_msg.h"
#include "mesh/timer.h"

#define MQTT_PASSWORD "s3cret-mqtt-pass"
#define LAMP_OOB "00112233445566778899aabbccddeeff"
#define LAMP_UUID "5e000000-0000-4000-0000-000000000001"
#define HALL_LABEL "2b9f5a6e-0c8d-4f14-9a53-6c1e0d7f3a21"
#define ERR_SENTENCE_MAX 256

/* The configuration: "stairway lights" is on line 5, the lamp's entry on 7. */
static const char config_yaml[] =
	"mqtt:\n"
	"  username: meshgate\n"
	"  password: " MQTT_PASSWORD "\n"
	"groups:\n"
	"  stairway lights: 0xc001\n"
	"nodes:\n"
	"  " LAMP_UUID ":\n"
	"    name: stairs/lamp 1\n"
	"    groups: [stairway lights]\n"
	"    static_oob: " LAMP_OOB "\n";

/* ---- a bearer that counts ------------------------------------------------------------ */

/* Network PDUs count: what a request makes the gateway send. Its own
 * secure network beacons, every 10 s, are no request's doing. */
struct counting_bearer {
	struct mesh_bearer b;
	size_t sent;
	size_t beacons;
};

static int counting_send(struct mesh_bearer *b, const struct mesh_adv_tx *tx)
{
	struct counting_bearer *cb = (struct counting_bearer *)b;

	assert_int_equal(mesh_adv_tx_check(tx), 0);
	if (tx->ad_type == MESH_AD_TYPE_BEACON)
		cb->beacons++;
	else
		cb->sent++;
	return 0;
}

static const struct mesh_bearer_ops counting_ops = { .send = counting_send };

/* ---- the fixture ------------------------------------------------------------------------ */

struct fx {
	char dir[64];
	char data[128];
	struct mesh_timers timers;
	struct counting_bearer bearer;
	struct gw_app app;
	bool app_open;
	struct gw_api api;
	bool api_open;
	uint32_t event_kinds;             /* 1 << enum gw_event_kind seen */
	/* Secrets that must stay out of the views. */
	char net_key_hex[33], app_key_hex[33], dev_key_hex[33];
};

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void test_uuid(uint8_t out[16], uint8_t n)
{
	memset(out, 0, 16);
	out[0] = 0x5e;
	out[6] = 0x40;
	out[15] = n;
}

static struct netdb_node *add_node(struct netdb *db, uint8_t n, uint16_t addr, uint8_t n_elements,
				   const char *name)
{
	uint8_t uuid[16], key[16];
	struct netdb_node *node;

	test_uuid(uuid, n);
	memset(key, 0xd0 | n, sizeof(key));
	assert_int_equal(netdb_add_node(db, uuid, addr, n_elements, key, 0), 0);
	node = netdb_node_by_uuid(db, uuid);
	assert_non_null(node);
	snprintf(node->name, sizeof(node->name), "%s", name);
	node->config_complete = true;
	node->has_ids = true;
	node->cid = 0x05f1;
	return node;
}

static void add_models(struct netdb_node *node, size_t el, const uint16_t *ids, size_t n)
{
	struct netdb_element *e = &node->elements[el];
	struct netdb_model *grown = realloc(e->models, (e->n_models + n) * sizeof(*grown));

	assert_non_null(grown);
	e->models = grown;
	for (size_t i = 0; i < n; i++) {
		memset(&e->models[e->n_models], 0, sizeof(e->models[0]));
		e->models[e->n_models].id = ids[i];
		e->models[e->n_models].n_bind = 1;
		e->models[e->n_models].bind = calloc(1, sizeof(uint16_t));
		assert_non_null(e->models[e->n_models].bind);
		e->n_models++;
	}
}

static void subscribe_all(struct netdb_node *node, size_t el, uint16_t group)
{
	struct netdb_element *e = &node->elements[el];

	for (size_t m = 0; m < e->n_models; m++) {
		struct netdb_model *model = &e->models[m];

		model->subscribe = calloc(1, sizeof(*model->subscribe));
		assert_non_null(model->subscribe);
		model->subscribe[0].address = group;
		model->n_subscribe = 1;
	}
}

static void add_group(struct netdb *db, const char *name, uint16_t addr)
{
	struct netdb_address a = { .address = addr };
	char err[200];

	if (gw_groups_add(db, name, &a, err, sizeof(err)))
		fail_msg("%s", err);
}

/*
 * The network: meshgate at 0x0001; "stairs/lamp 1" at 0x0100 (a dimmable
 * lamp named by the file, in "stairway lights"); "attic" at 0x0110 (a CTL
 * lamp: CTL on element 0, its temperature on element 1; in "upstairs");
 * "0x0120" (a wall switch, unnamed); "sensor" at 0x0130. Groups: the
 * file's "stairway lights" 0xc001, and the database's "api group" 0xc002
 * (no members) and "upstairs" 0xc003.
 */
static void build_network(struct fx *f)
{
	static const uint16_t lamp[] = { MESH_MODEL_GEN_ONOFF_SRV, MESH_MODEL_GEN_LEVEL_SRV,
					 MESH_MODEL_LIGHTNESS_SRV };
	static const uint16_t ctl[] = { MESH_MODEL_GEN_ONOFF_SRV, MESH_MODEL_LIGHTNESS_SRV,
					MESH_MODEL_CTL_SRV };
	static const uint16_t ctl_temp[] = { MESH_MODEL_GEN_LEVEL_SRV, MESH_MODEL_CTL_TEMP_SRV };
	struct netdb *db = NULL;
	struct netdb_node *n;
	char err[512];

	assert_int_equal(netdb_create(&db, "api test", NULL), 0);
	snprintf(db->dir, sizeof(db->dir), "%s", f->data);
	n = add_node(db, 1, 0x0100, 1, "");
	add_models(n, 0, lamp, 3);
	subscribe_all(n, 0, 0xc001);
	n = add_node(db, 2, 0x0110, 2, "attic");
	add_models(n, 0, ctl, 3);
	add_models(n, 1, ctl_temp, 2);
	subscribe_all(n, 0, 0xc003);
	hex_of(n->dev_key, 16, f->dev_key_hex);
	n = add_node(db, 3, 0x0120, 1, "");
	add_models(n, 0, (const uint16_t[]){ MESH_MODEL_GEN_ONOFF_CLI }, 1);
	n = add_node(db, 4, 0x0130, 1, "sensor");
	add_models(n, 0, (const uint16_t[]){ MESH_MODEL_SENSOR_SRV }, 1);
	add_group(db, "stairway lights", 0xc001);
	add_group(db, "api group", 0xc002);
	add_group(db, "upstairs", 0xc003);
	hex_of(db->net_keys[0].key, 16, f->net_key_hex);
	hex_of(db->app_keys[0].key, 16, f->app_key_hex);
	assert_int_equal(mkdir(f->data, 0700), 0);
	if (netdb_save(db, err, sizeof(err)))
		fail_msg("%s", err);
	netdb_free(db);
}

static void record_event(void *ctx, const struct gw_event *ev)
{
	((struct fx *)ctx)->event_kinds |= 1u << ev->kind;
}

/* Let time pass on the mesh timers: retries, timeouts, queued sends. */
static void advance(struct fx *f, uint32_t ms)
{
	mesh_timers_advance(&f->timers, f->timers.now_ms + ms);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct gw_app_options opts = { 0 };
	struct gw_config cfg;
	char err[1024];

	assert_non_null(f);
	mesh_log_set_level(getenv("TEST_LOG_ECHO") ? MESH_LOG_DEBUG : MESH_LOG_ERROR);
	snprintf(f->dir, sizeof(f->dir), "/tmp/meshgate-api-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
	build_network(f);

	if (gw_config_load_string(&cfg, config_yaml, strlen(config_yaml), "api.yaml", err,
				  sizeof(err)))
		fail_msg("%s", err);
	snprintf(cfg.mesh.data_dir, sizeof(cfg.mesh.data_dir), "%s", f->data);
	mesh_timers_init(&f->timers, 1000);
	f->bearer.b.ops = &counting_ops;
	f->bearer.b.up = true;
	opts.bearer_desc = "counting";
	if (gw_app_open(&f->app, &f->timers, &f->bearer.b, &cfg, &opts, err, sizeof(err)))
		fail_msg("%s", err);
	gw_config_free(&cfg);
	f->app_open = true;
	assert_int_equal(gw_api_init(&f->api, &f->app), 0);
	f->api_open = true;
	assert_int_equal(gw_events_subscribe(&f->app.events, record_event, f), 0);
	advance(f, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	if (f->api_open)
		gw_api_close(&f->api);
	if (f->app_open)
		gw_app_close(&f->app);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* ---- calling --------------------------------------------------------------------------- */

struct answer {
	int count;
	int order;                        /* of all answers given, counting from 1 */
	json_t *data;
	char error[1024];
	bool failed;
	enum gw_api_error kind;
};

static int answers_given;

static void on_reply(void *ctx, const json_t *data, const char *error)
{
	struct answer *a = ctx;

	a->count++;
	a->order = ++answers_given;
	a->failed = error != NULL;
	if (error) {
		assert_null(data);
		snprintf(a->error, sizeof(a->error), "%s", error);
	} else {
		assert_non_null(data);
		json_decref(a->data);
		a->data = json_deep_copy(data);
	}
}

static void on_result(void *ctx, const json_t *data, enum gw_api_error kind, const char *error)
{
	struct answer *a = ctx;

	a->kind = kind;
	assert_true((kind == GW_API_OK) == (error == NULL));
	on_reply(ctx, data, error);
}

static json_t *params_of(const char *text)
{
	json_error_t jerr;
	json_t *p;

	if (!text)
		return NULL;
	p = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!p)
		fail_msg("test params %s: %s", text, jerr.text);
	return p;
}

/* Call method with params (JSON text, NULL: none); the answer in a. */
static void call(struct fx *f, const char *method, const char *params, struct answer *a)
{
	json_t *p = params_of(params);

	memset(a, 0, sizeof(*a));
	gw_api_call(&f->api, method, p, on_reply, a);
	json_decref(p);
}

static void call_ex(struct fx *f, const char *method, const char *params, struct answer *a)
{
	json_t *p = params_of(params);

	memset(a, 0, sizeof(*a));
	gw_api_call_ex(&f->api, method, p, on_result, a);
	json_decref(p);
}

/* An answer given at once, with data (returned: the caller's reference). */
static json_t *ok(struct fx *f, const char *method, const char *params)
{
	struct answer a;

	call(f, method, params, &a);
	assert_int_equal(a.count, 1);
	if (a.failed)
		fail_msg("%s %s: %s", method, params ? params : "", a.error);
	return a.data;
}

static void assert_sentence(const char *what, const char *error)
{
	size_t len = strlen(error);

	if (len == 0 || len >= ERR_SENTENCE_MAX || strchr(error, '\n'))
		fail_msg("%s: not one sentence: \"%s\"", what, error);
}

/*
 * Refused at once with an error of kind whose sentence holds every one
 * of the words (NULL-terminated), by gw_api_call() and gw_api_call_ex()
 * alike; nothing reaches the radio, now or later, and no call waits.
 */
static void refused_as(struct fx *f, const char *method, const char *params,
		       enum gw_api_error kind, ...)
{
	size_t sent = f->bearer.sent;
	struct answer a, ax;
	char what[300];
	const char *w;
	va_list ap;

	snprintf(what, sizeof(what), "%s %s", method, params ? params : "(none)");
	call(f, method, params, &a);
	json_decref(a.data);
	if (a.count != 1 || !a.failed)
		fail_msg("%s: %s", what, a.count ? "accepted" : "not answered at once");
	assert_sentence(what, a.error);
	va_start(ap, kind);
	while ((w = va_arg(ap, const char *)))
		if (!strstr(a.error, w))
			fail_msg("%s: \"%s\" does not say \"%s\"", what, a.error, w);
	va_end(ap);

	call_ex(f, method, params, &ax);
	json_decref(ax.data);
	assert_int_equal(ax.count, 1);
	assert_string_equal(ax.error, a.error);
	if (ax.kind != kind)
		fail_msg("%s: error kind %d, want %d (\"%s\")", what, ax.kind, kind, a.error);

	assert_null(f->api.calls);
	advance(f, 60000);
	if (f->bearer.sent != sent)
		fail_msg("%s: %zu PDUs sent for a refused request", what, f->bearer.sent - sent);
}

#define refused(f, method, params, ...) \
	refused_as(f, method, params, GW_API_ERR_PARAMS, __VA_ARGS__, NULL)

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("no string '%s'", key);
	return json_string_value(v);
}

static json_t *find_by(const json_t *array, const char *key, const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(array, i, v) {
		const json_t *s = json_object_get(v, key);

		if (json_is_string(s) && strcmp(json_string_value(s), value) == 0)
			return v;
	}
	return NULL;
}

/* Whether text holds hex, in either case (keys are written either way). */
static bool has_hex(const char *text, const char *hex)
{
	size_t n = strlen(hex);

	for (const char *p = text; *p; p++) {
		size_t i = 0;

		while (i < n && p[i] && tolower((unsigned char)p[i]) == hex[i])
			i++;
		if (i == n)
			return true;
	}
	return false;
}

static void assert_no_secret(const struct fx *f, const char *what, const json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	static const char *const words[] = { MQTT_PASSWORD, LAMP_OOB, "password", "static_oob",
					     "devKey", "dev_key" };

	assert_non_null(text);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(text, words[i]))
			fail_msg("%s shows '%s'", what, words[i]);
	if (has_hex(text, f->net_key_hex) || has_hex(text, f->app_key_hex) ||
	    has_hex(text, f->dev_key_hex))
		fail_msg("%s shows a key", what);
	free(text);
}

/* ---- refusals ------------------------------------------------------------------------------ */

static void test_unknown_method(void **state)
{
	struct fx *f = *state;

	refused_as(f, "nope", NULL, GW_API_ERR_UNKNOWN_METHOD, "unknown request 'nope'", NULL);
	refused_as(f, "", "{}", GW_API_ERR_UNKNOWN_METHOD, "unknown request ''", NULL);
	refused_as(f, "INFO", NULL, GW_API_ERR_UNKNOWN_METHOD, "'INFO'", NULL);
	refused_as(f, "info/", NULL, GW_API_ERR_UNKNOWN_METHOD, "'info/'", NULL);
	refused_as(f, "node", "{\"node\":\"attic\"}", GW_API_ERR_UNKNOWN_METHOD, "'node'", NULL);
	refused_as(f, "group/members", NULL, GW_API_ERR_UNKNOWN_METHOD, "unknown request", NULL);
	assert_false(gw_api_method_exists("nope"));
	assert_true(gw_api_method_exists("group/members/add"));
}

/* Parameters are an object, or nothing. */
static void test_params_not_object(void **state)
{
	static const char *const methods[] = { "info", "node/rename", "group/add", "entity/set",
					       "entity/get", "scan", "provision" };
	static const char *const not_objects[] = { "[]", "[{\"node\":\"attic\"}]", "\"attic\"", "5",
						   "true", "null" };
	struct fx *f = *state;

	for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
		for (size_t i = 0; i < sizeof(not_objects) / sizeof(not_objects[0]); i++)
			refused(f, methods[m], not_objects[i], "parameters must be a JSON object");
}

/* A parameter nobody knows is an error, never ignored. */
static void test_unknown_parameters(void **state)
{
	struct fx *f = *state;

	refused(f, "scan", "{\"duraton\":10}", "unknown parameter 'duraton'");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"nmae\":\"x\"}",
		"unknown parameter 'nmae'");
	refused(f, "oob", "{\"value\":\"1234\",\"extra\":1}", "unknown parameter 'extra'");
	refused(f, "node/rename", "{\"node\":\"attic\",\"name\":\"loft\",\"force\":true}",
		"unknown parameter 'force'");
	refused(f, "node/remove", "{\"node\":\"attic\",\"forced\":true}",
		"unknown parameter 'forced'");
	refused(f, "node/configure", "{\"node\":\"attic\",\"plan\":{}}",
		"unknown parameter 'plan'");
	refused(f, "node/info", "{\"node\":\"attic\",\"verbose\":true}",
		"unknown parameter 'verbose'");
	refused(f, "group/add", "{\"name\":\"x\",\"adress\":\"0xc010\"}",
		"unknown parameter 'adress'");
	refused(f, "group/remove", "{\"name\":\"api group\",\"force\":true}",
		"unknown parameter 'force'");
	refused(f, "group/rename", "{\"name\":\"api group\",\"to\":\"x\"}",
		"unknown parameter 'to'");
	refused(f, "group/members/add", "{\"group\":\"api group\",\"member\":\"attic\",\"x\":0}",
		"unknown parameter 'x'");
	refused(f, "group/members/remove", "{\"group\":\"api group\",\"members\":[]}",
		"unknown parameter 'members'");
	refused(f, "entity/get", "{\"entity\":\"attic\",\"state\":\"ON\"}",
		"unknown parameter 'state'");
	/* entity/set: the set payload's own members, checked as strictly. */
	refused(f, "entity/set", "{\"entity\":\"attic\",\"brigthness\":10}", "unknown member",
		"brigthness");
	assert_null(gw_groups_find_name(f->app.core.db, "x"));
	assert_string_equal(gw_registry_node(&f->app.reg, 0x0110)->name, "attic");
}

/* The views take no parameters either: a typo there is an error too
 * (docs/mqtt.md: "Unknown parameters are errors"). */
static void test_unknown_parameters_of_views(void **state)
{
	static const char *const views[] = { "info", "nodes", "groups", "health_check",
					     "networkmap", "backup" };
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		refused(f, views[i], "{\"verbose\":true}", "unknown parameter 'verbose'");
}

static void test_missing_parameters(void **state)
{
	struct fx *f = *state;

	refused(f, "provision", NULL, "uuid: missing");
	refused(f, "provision", "{\"name\":\"x\"}", "uuid: missing");
	refused(f, "oob", "{}", "value: missing");
	refused(f, "node/rename", "{}", "node: missing");
	refused(f, "node/rename", "{\"node\":\"attic\"}", "name: missing");
	refused(f, "node/rename", "{\"name\":\"loft\"}", "node: missing");
	refused(f, "node/remove", NULL, "node: missing");
	refused(f, "node/remove", "{\"force\":true}", "node: missing");
	refused(f, "node/configure", "{}", "node: missing");
	refused(f, "node/info", NULL, "node: missing");
	refused(f, "group/add", "{}", "name: missing");
	refused(f, "group/add", "{\"address\":\"0xc010\"}", "name: missing");
	refused(f, "group/remove", NULL, "name: missing");
	refused(f, "group/rename", "{\"new_name\":\"x\"}", "name: missing");
	refused(f, "group/rename", "{\"name\":\"api group\"}", "new_name: missing");
	refused(f, "group/members/add", "{}", "group: missing");
	refused(f, "group/members/add", "{\"group\":\"api group\"}", "member: missing");
	refused(f, "group/members/remove", "{\"member\":\"attic\"}", "group: missing");
	refused(f, "entity/set", "{}", "entity: missing");
	refused(f, "entity/set", "{\"state\":\"ON\"}", "entity: missing");
	refused(f, "entity/set", NULL, "entity: missing");
	refused(f, "entity/get", "{}", "entity: missing");
}

static void test_wrong_types(void **state)
{
	struct fx *f = *state;

	refused(f, "node/rename", "{\"node\":261,\"name\":\"x\"}", "node: expected a non-empty string");
	refused(f, "node/rename", "{\"node\":\"\",\"name\":\"x\"}", "node: expected a non-empty string");
	refused(f, "node/rename", "{\"node\":\"attic\",\"name\":null}", "name: expected a non-empty");
	refused(f, "node/rename", "{\"node\":\"attic\",\"name\":\"\"}", "name: expected a non-empty");
	refused(f, "node/rename", "{\"node\":[\"attic\"],\"name\":\"x\"}", "node: expected");
	refused(f, "node/remove", "{\"node\":\"attic\",\"force\":\"yes\"}",
		"force: expected true or false");
	refused(f, "node/remove", "{\"node\":\"attic\",\"force\":1}", "force: expected true or false");
	refused(f, "scan", "{\"duration\":\"10\"}", "duration: expected an integer 1..3600");
	refused(f, "scan", "{\"duration\":10.5}", "duration: expected an integer");
	refused(f, "scan", "{\"action\":1}", "action: expected a non-empty string");
	refused(f, "provision", "{\"uuid\":123}", "uuid: expected a non-empty string");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"attention\":\"5\"}",
		"attention: expected an integer 0..255");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"method\":0}", "method: expected");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"name\":{}}", "name: expected");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"static_oob\":17}", "static_oob:");
	refused(f, "oob", "{\"value\":true}", "value: expected a non-empty string");
	refused(f, "oob", "{\"value\":1.5}", "value: expected");
	refused(f, "oob", "{\"value\":\"\"}", "value: expected a non-empty string");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":[]}", "address: expected a group address");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":true}", "address: expected");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":null}", "address: expected");
	refused(f, "group/add", "{\"name\":\"x\",\"virtual\":5}",
		"virtual: expected a Label UUID or \"auto\"");
	refused(f, "group/add", "{\"name\":7}", "name: expected a non-empty string");
	refused(f, "group/rename", "{\"name\":\"api group\",\"new_name\":false}",
		"new_name: expected a non-empty string");
	refused(f, "group/members/add", "{\"group\":1,\"member\":\"attic\"}",
		"group: expected a non-empty string");
	refused(f, "group/members/add", "{\"group\":\"api group\",\"member\":{}}",
		"member: expected a non-empty string");
	refused(f, "entity/get", "{\"entity\":0}", "entity: expected a non-empty string");
	refused(f, "entity/set", "{\"entity\":\"attic\",\"brightness\":\"high\"}", "brightness");
	refused(f, "entity/set", "{\"entity\":\"attic\",\"state\":true}", "state");
	assert_null(gw_groups_find_name(f->app.core.db, "x"));
}

static void test_out_of_range(void **state)
{
	struct fx *f = *state;

	refused(f, "scan", "{\"duration\":0}", "duration: expected an integer 1..3600");
	refused(f, "scan", "{\"duration\":3601}", "duration: expected an integer 1..3600");
	refused(f, "scan", "{\"duration\":-5}", "duration:");
	refused(f, "scan", "{\"action\":\"pause\"}", "action: expected start or stop");
	refused(f, "provision", "{\"uuid\":\"1234\"}", "uuid: expected 32 hex digits");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "00\"}", "uuid: expected 32 hex digits");
	refused(f, "provision", "{\"uuid\":\"zz9f5a6e-0c8d-4f14-9a53-6c1e0d7f3a21\"}", "uuid:");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"attention\":256}",
		"attention: expected an integer 0..255");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"attention\":-1}", "attention:");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"method\":\"magic\"}",
		"method: expected auto, none, static, output or input");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"static_oob\":\"abcd\"}",
		"static_oob: expected 32 or 64 hex digits");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"static_oob\":\"" LAMP_OOB "0\"}",
		"static_oob:");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"static_oob\":\"" LAMP_OOB "zz\"}",
		"static_oob:");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":\"0x0105\"}",
		"address: expected a group address 0xc000..0xfeff");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":261}", "address: expected a group");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":\"0x8001\"}",
		"address: 0x8001 is a virtual address; use 'virtual'");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":\"0xffff\"}", "address:", "0xc000..0xfeff");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":\"0xfffc\"}", "address:");
	/* Reserved for fixed groups too, though not one yet. */
	refused(f, "group/add", "{\"name\":\"x\",\"address\":\"0xff00\"}", "address:",
		"0xc000..0xfeff");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":65536}", "address:");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":-16383}", "address:");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":\"c010\"}", "address:");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":\"0xc010 \"}", "address:");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":\"\"}", "address:");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":\"0xfeff\"}",
		"address: 0xfeff is the heartbeat group");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":\"0xc010\",\"virtual\":\"auto\"}",
		"address or virtual, not both");
	refused(f, "group/add", "{\"name\":\"x\",\"virtual\":\"not a uuid\"}",
		"virtual: expected a Label UUID (32 hex digits) or \"auto\"");
	refused(f, "group/add", "{\"name\":\"x\",\"virtual\":\"AUTO\"}", "virtual:");
	refused(f, "entity/set", "{\"entity\":\"attic\",\"brightness\":300}",
		"brightness: 300 is out of range 0..255");
	refused(f, "entity/set", "{\"entity\":\"attic\",\"state\":\"DIM\"}", "state:");
	refused(f, "entity/set", "{\"entity\":\"attic\",\"transition\":-1}", "transition");
	/* Valid JSON, but not something this light (or entity) can do. */
	refused(f, "entity/set", "{\"entity\":\"stairs/lamp 1\",\"color_temp\":300}",
		"color_temp:", "no colour temperature");
	refused(f, "entity/set", "{\"entity\":\"attic\",\"color\":{\"h\":10,\"s\":50}}", "color");
	refused(f, "entity/set", "{\"entity\":\"0x0120\",\"state\":\"ON\"}",
		"'0x0120' is not a light");
	refused(f, "entity/set", "{\"entity\":\"sensor\",\"state\":\"ON\"}", "'sensor' is not a light");
	refused(f, "entity/set", "{\"entity\":\"attic\"}", "");
	assert_null(gw_groups_find_name(f->app.core.db, "x"));
}

/* Names that match nothing, and names of the wrong kind of thing. */
static void test_unknown_names(void **state)
{
	struct fx *f = *state;

	refused(f, "node/rename", "{\"node\":\"nobody\",\"name\":\"x\"}",
		"node: no node called 'nobody'");
	refused(f, "node/rename", "{\"node\":\"0x0200\",\"name\":\"x\"}", "node:", "'0x0200'");
	refused(f, "node/rename", "{\"node\":\"0x0111\",\"name\":\"x\"}", "node:", "'0x0111'");
	refused(f, "node/rename", "{\"node\":\"5e000000-0000-4000-0000-000000000009\","
		"\"name\":\"x\"}", "node: no node called");
	/* meshgate itself is no node to rename, remove or configure. */
	refused(f, "node/rename", "{\"node\":\"0x0001\",\"name\":\"x\"}", "node: no node called");
	refused(f, "node/remove", "{\"node\":\"0x0001\"}", "node: no node called '0x0001'");
	refused(f, "node/remove", "{\"node\":\"api group\"}", "node: no node called 'api group'");
	refused(f, "node/configure", "{\"node\":\"stairs\"}", "node: no node called 'stairs'");
	refused(f, "node/configure", "{\"node\":\"0x0001\"}", "node: no node called");
	refused(f, "node/info", "{\"node\":\"nobody\"}", "node: no node called 'nobody'");
	refused(f, "group/remove", "{\"name\":\"nothing\"}", "name: no group called 'nothing'");
	refused(f, "group/remove", "{\"name\":\"attic\"}", "name: no group called 'attic'");
	refused(f, "group/rename", "{\"name\":\"nothing\",\"new_name\":\"x\"}",
		"name: no group called 'nothing'");
	refused(f, "group/members/add", "{\"group\":\"nothing\",\"member\":\"attic\"}",
		"group: no group called 'nothing'");
	refused(f, "group/members/remove", "{\"group\":\"api group\",\"member\":\"nobody\"}",
		"member: no element or node called 'nobody'");
	refused(f, "group/members/add", "{\"group\":\"api group\",\"member\":\"upstairs\"}",
		"member: no element or node called 'upstairs'");
	refused(f, "group/members/add", "{\"group\":\"api group\",\"member\":\"0x0001\"}",
		"member: no element or node called '0x0001'");
	/* A switch has no lighting server to subscribe. */
	refused(f, "group/members/add", "{\"group\":\"api group\",\"member\":\"0x0120\"}",
		"member: 0x0120 has no light that can join a group");
	refused(f, "entity/set", "{\"entity\":\"nothing\",\"state\":\"ON\"}",
		"entity: nothing called 'nothing'");
	refused(f, "entity/get", "{\"entity\":\"attic/9\"}", "entity: nothing called 'attic/9'");
	/* A switch has nothing to read. */
	refused(f, "entity/get", "{\"entity\":\"0x0120\"}", "'0x0120' has nothing to read");
}

/* Names: every rule, taken names, names the file pins. */
/* An error sentence quoting a long name is cut at its limit: never inside
 * a UTF-8 character, or JSON encoders (the MQTT answer, JSON-RPC) would
 * refuse the whole sentence. */
static void test_long_utf8_name_in_error(void **state)
{
	struct fx *f = *state;
	char params[600] = "{\"name\":\"a";
	struct answer a;
	json_t *j;

	for (int i = 0; i < 126; i++)
		strcat(params, "\u00e9");
	strcat(params, "\",\"new_name\":\"b\"}");
	call(f, "group/rename", params, &a);
	json_decref(a.data);
	assert_int_equal(a.count, 1);
	assert_true(a.failed);
	assert_non_null(strstr(a.error, "no group called"));
	j = json_string(a.error);
	if (!j)
		fail_msg("not valid UTF-8: \"%s\"", a.error);
	json_decref(j);
}

static void test_bad_names(void **state)
{
	static const char *const bad[][2] = {
		{ "bridge", "'bridge'" },
		{ "bridge/x", "'bridge'" },
		{ "a+b", "'+' or '#'" },
		{ "a#", "wildcards" },
		{ "/lamp", "'/'" },
		{ "lamp/", "'/'" },
		{ "a//b", "'//'" },
		{ "lamp/set", "cannot end in" },
		{ "availability", "cannot end in" },
		{ "tab\\there", "control characters" },
		{ "", "at most 95" },       /* 96 characters, made below */
	};
	char too_long[NETDB_NAME_MAX + 1];
	struct fx *f = *state;
	char params[400];

	memset(too_long, 'x', NETDB_NAME_MAX);
	too_long[NETDB_NAME_MAX] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *name = bad[i][0][0] ? bad[i][0] : too_long;

		snprintf(params, sizeof(params), "{\"node\":\"attic\",\"name\":\"%s\"}", name);
		refused(f, "node/rename", params, "name: ", bad[i][1]);
		snprintf(params, sizeof(params), "{\"name\":\"%s\"}", name);
		refused(f, "group/add", params, "name: ", bad[i][1]);
		snprintf(params, sizeof(params), "{\"name\":\"api group\",\"new_name\":\"%s\"}",
			 name);
		refused(f, "group/rename", params, "new_name: ", bad[i][1]);
		snprintf(params, sizeof(params), "{\"uuid\":\"" HALL_LABEL "\",\"name\":\"%s\"}",
			 name);
		refused(f, "provision", params, "name: ", bad[i][1]);
	}
	/* Taken: by a node, an element, a group. */
	refused(f, "node/rename", "{\"node\":\"0x0120\",\"name\":\"attic\"}", "name: 'attic' is taken");
	refused(f, "node/rename", "{\"node\":\"0x0120\",\"name\":\"attic/1\"}",
		"name: 'attic/1' is taken");
	refused(f, "node/rename", "{\"node\":\"0x0120\",\"name\":\"api group\"}",
		"name: 'api group' is taken");
	refused(f, "group/add", "{\"name\":\"attic\"}", "name: 'attic' is taken");
	refused(f, "group/add", "{\"name\":\"upstairs\"}", "name: 'upstairs' is taken");
	refused(f, "group/add", "{\"name\":\"stairs/lamp 1\"}", "name: 'stairs/lamp 1' is taken");
	refused(f, "group/add", "{\"name\":\"x\",\"address\":\"0xc002\"}",
		"group 'api group' already has this address");
	refused(f, "provision", "{\"uuid\":\"" HALL_LABEL "\",\"name\":\"sensor\"}",
		"name: 'sensor' is taken");
	/* An existing node is not provisioned again. */
	refused(f, "provision", "{\"uuid\":\"" LAMP_UUID "\"}", "already a node of the network");
	assert_null(gw_groups_find_name(f->app.core.db, "x"));
	assert_string_equal(gw_registry_node(&f->app.reg, 0x0110)->name, "attic");
	assert_string_equal(gw_registry_node(&f->app.reg, 0x0120)->name, "0x0120");
}

/* A refused group rename leaves the group as it was (in the database,
 * which is saved with the next change, not only in the answer). */
static void test_group_rename_refused_changes_nothing(void **state)
{
	static const char *const taken[] = { "attic", "attic/1", "stairs/lamp 1" };
	struct fx *f = *state;
	struct answer a;
	char params[200];

	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		snprintf(params, sizeof(params), "{\"name\":\"api group\",\"new_name\":\"%s\"}",
			 taken[i]);
		call(f, "group/rename", params, &a);
		assert_int_equal(a.count, 1);
		assert_true(a.failed);
		assert_non_null(strstr(a.error, "is taken"));
		if (!gw_groups_find_name(f->app.core.db, "api group"))
			fail_msg("refused (\"%s\"), yet the database calls the group '%s'", a.error,
				 f->app.core.db->groups[1].name);
		assert_null(gw_groups_find_name(f->app.core.db, taken[i]));
	}
	refused(f, "group/rename", "{\"name\":\"api group\",\"new_name\":\"upstairs\"}",
		"new_name: 'upstairs' is taken");
	assert_int_equal(gw_groups_find_name(f->app.core.db, "upstairs")->address.address, 0xc003);
	advance(f, 0);
	assert_non_null(gw_registry_entity_by_name(&f->app.reg, "api group"));
}

/* What the file names cannot be renamed or removed here: the answer says
 * where to change it. */
static void test_pinned_by_file(void **state)
{
	struct fx *f = *state;

	refused_as(f, "node/rename", "{\"node\":\"stairs/lamp 1\",\"name\":\"lamp\"}",
		   GW_API_ERR_FAILED, "'stairs/lamp 1' is named in api.yaml line 7",
		   "change it there and reload", NULL);
	refused_as(f, "node/rename", "{\"node\":\"" LAMP_UUID "\",\"name\":\"lamp\"}",
		   GW_API_ERR_FAILED, "api.yaml line 7", NULL);
	refused_as(f, "group/rename", "{\"name\":\"stairway lights\",\"new_name\":\"x\"}",
		   GW_API_ERR_FAILED, "group 'stairway lights' is defined in api.yaml line 5",
		   "change it there and reload", NULL);
	refused_as(f, "group/remove", "{\"name\":\"stairway lights\"}", GW_API_ERR_FAILED,
		   "group 'stairway lights' is defined in api.yaml line 5", NULL);
	assert_non_null(gw_groups_find_name(f->app.core.db, "stairway lights"));
	assert_string_equal(gw_registry_node(&f->app.reg, 0x0100)->name, "stairs/lamp 1");
}

/* No provisioning runs: an OOB value has nowhere to go. */
static void test_oob_without_session(void **state)
{
	struct fx *f = *state;

	refused_as(f, "oob", "{\"value\":\"1234\"}", GW_API_ERR_FAILED,
		   "no provisioning session is waiting for an OOB value", NULL);
	refused_as(f, "oob", "{\"value\":1234}", GW_API_ERR_FAILED, "no provisioning", NULL);
}

/* ---- answers given at once -------------------------------------------------------------------- */

static void test_info(void **state)
{
	struct fx *f = *state;
	json_t *d = ok(f, "info", NULL), *net, *conf;

	assert_non_null(json_object_get(d, "version"));
	net = json_object_get(d, "network");
	assert_int_equal(json_integer_value(json_object_get(net, "nodes")), 4);
	assert_int_equal(json_integer_value(json_object_get(net, "groups")), 3);
	assert_string_equal(str(net, "address"), "0x0001");
	assert_string_equal(str(d, "bearer"), "counting");
	conf = json_object_get(d, "config");
	assert_string_equal(str(conf, "file"), "api.yaml");
	assert_true(json_is_true(json_object_get(json_object_get(conf, "mqtt"), "authenticated")));
	assert_no_secret(f, "info", d);
	json_decref(d);
	/* {} and no parameters are the same. */
	d = ok(f, "info", "{}");
	json_decref(d);
}

static void test_nodes(void **state)
{
	struct fx *f = *state;
	json_t *d = ok(f, "nodes", NULL), *n, *els;

	assert_true(json_is_array(d));
	assert_int_equal(json_array_size(d), 5);
	n = find_by(d, "name", "stairs/lamp 1");
	assert_non_null(n);
	assert_string_equal(str(n, "address"), "0x0100");
	assert_string_equal(str(n, "uuid"), LAMP_UUID);
	assert_true(json_is_true(json_object_get(n, "configured")));
	assert_string_equal(str(n, "availability"), "online");
	n = find_by(d, "address", "0x0110");
	assert_string_equal(str(n, "name"), "attic");
	els = json_object_get(n, "elements");
	assert_int_equal(json_array_size(els), 2);
	assert_string_equal(str(json_array_get(els, 0), "name"), "attic");
	n = find_by(d, "address", "0x0001");
	assert_true(json_is_true(json_object_get(n, "gateway")));
	assert_string_equal(str(find_by(d, "address", "0x0120"), "name"), "0x0120");
	assert_no_secret(f, "nodes", d);
	json_decref(d);

	/* One node's detail: its keys' indexes, never the keys. */
	d = ok(f, "node/info", "{\"node\":\"attic\"}");
	assert_string_equal(str(d, "name"), "attic");
	assert_string_equal(str(d, "address"), "0x0110");
	assert_no_secret(f, "node/info", d);
	json_decref(d);
	assert_int_equal(f->bearer.sent, 0);
}

static void test_groups_view(void **state)
{
	struct fx *f = *state;
	json_t *d = ok(f, "groups", NULL), *g, *members;

	assert_int_equal(json_array_size(d), 3);
	g = find_by(d, "name", "stairway lights");
	assert_string_equal(str(g, "address"), "0xc001");
	assert_true(json_is_true(json_object_get(g, "configured_in_file")));
	members = json_object_get(g, "members");
	assert_int_equal(json_array_size(members), 1);
	assert_string_equal(str(json_array_get(members, 0), "name"), "stairs/lamp 1");
	g = find_by(d, "name", "api group");
	assert_true(json_is_false(json_object_get(g, "configured_in_file")));
	assert_int_equal(json_array_size(json_object_get(g, "members")), 0);
	assert_string_equal(str(json_array_get(json_object_get(find_by(d, "name", "upstairs"),
								 "members"), 0), "address"),
			    "0x0110");
	assert_no_secret(f, "groups", d);
	json_decref(d);
}

static void test_health_and_map(void **state)
{
	struct fx *f = *state;
	json_t *d = ok(f, "health_check", NULL), *nodes;

	assert_true(json_is_true(json_object_get(d, "healthy")));
	assert_int_equal(json_integer_value(json_object_get(d, "nodes_online")), 4);
	assert_int_equal(json_integer_value(json_object_get(d, "nodes_offline")), 0);
	json_decref(d);

	d = ok(f, "networkmap", NULL);
	nodes = json_object_get(d, "nodes");
	assert_int_equal(json_array_size(nodes), 5);
	assert_true(json_is_true(json_object_get(find_by(nodes, "address", "0x0001"), "gateway")));
	assert_string_equal(str(find_by(nodes, "name", "sensor"), "availability"), "online");
	/* No heartbeat heard: no link measured. */
	assert_int_equal(json_array_size(json_object_get(d, "links")), 0);
	assert_no_secret(f, "networkmap", d);
	json_decref(d);
}

/* The backup is the whole database, keys included (documented: "keep it
 * safe"), and reads back as the same network. */
static void test_backup(void **state)
{
	struct fx *f = *state;
	json_t *d = ok(f, "backup", NULL);
	char *text = json_dumps(d, JSON_COMPACT), err[512];
	struct netdb *back = NULL;

	assert_non_null(text);
	assert_true(has_hex(text, f->net_key_hex));
	assert_true(has_hex(text, f->dev_key_hex));
	assert_null(strstr(text, MQTT_PASSWORD));
	if (netdb_from_json(&back, text, strlen(text), "backup", err, sizeof(err)))
		fail_msg("%s", err);
	assert_memory_equal(back->mesh_uuid, f->app.core.db->mesh_uuid, 16);
	assert_int_equal(back->n_nodes, 5);
	assert_int_equal(back->n_groups, 3);
	netdb_free(back);
	free(text);
	json_decref(d);
}

static void test_scan(void **state)
{
	struct fx *f = *state;
	json_t *d = ok(f, "scan", "{\"duration\":5}");

	assert_int_equal(json_integer_value(json_object_get(d, "duration")), 5);
	json_decref(d);
	d = ok(f, "scan", NULL);
	assert_int_equal(json_integer_value(json_object_get(d, "duration")), 60);
	json_decref(d);
	d = ok(f, "scan", "{\"action\":\"stop\"}");
	assert_int_equal(json_object_size(d), 0);
	json_decref(d);
	assert_null(f->api.calls);
}

static const char *saved_node_name(struct fx *f, uint16_t addr, char *out, size_t len)
{
	struct netdb *db = NULL;
	char err[512];

	if (netdb_open(&db, f->data, err, sizeof(err)))
		fail_msg("%s", err);
	snprintf(out, len, "%s", netdb_node_by_address(db, addr)->name);
	netdb_free(db);
	return out;
}

/* Renamed in the database, saved, the views rebuilt, the ids kept. */
static void test_node_rename(void **state)
{
	struct fx *f = *state;
	char id[GW_ENTITY_ID_MAX], saved[NETDB_NAME_MAX];
	json_t *d;

	snprintf(id, sizeof(id), "%s", gw_registry_entity_by_name(&f->app.reg, "0x0120")->unique_id);
	f->event_kinds = 0;
	d = ok(f, "node/rename", "{\"node\":\"0x0120\",\"name\":\"hall/switch\"}");
	assert_string_equal(str(d, "address"), "0x0120");
	assert_string_equal(str(d, "name"), "hall/switch");
	json_decref(d);
	assert_string_equal(saved_node_name(f, 0x0120, saved, sizeof(saved)), "hall/switch");
	/* The views follow once the change is announced. */
	advance(f, 0);
	assert_true(f->event_kinds & (1u << GW_EVENT_NODES));
	assert_true(f->event_kinds & (1u << GW_EVENT_ENTITIES));
	assert_string_equal(gw_registry_node(&f->app.reg, 0x0120)->name, "hall/switch");
	assert_string_equal(gw_registry_entity_by_name(&f->app.reg, "hall/switch")->unique_id, id);
	assert_null(gw_registry_entity_by_name(&f->app.reg, "0x0120"));

	/* By UUID and by address; to its own name: nothing to do. */
	d = ok(f, "node/rename", "{\"node\":\"5e000000000040000000000000000002\",\"name\":\"loft\"}");
	json_decref(d);
	d = ok(f, "node/rename", "{\"node\":\"0x0130\",\"name\":\"sensor\"}");
	json_decref(d);
	advance(f, 0);
	assert_string_equal(gw_registry_node(&f->app.reg, 0x0110)->name, "loft");
	assert_string_equal(gw_registry_entity_by_addr(&f->app.reg, 0x0111)->name, "loft/1");
	/* The old name is free again. */
	d = ok(f, "node/rename", "{\"node\":\"sensor\",\"name\":\"attic\"}");
	json_decref(d);
	assert_int_equal(f->bearer.sent, 0);
}

static void test_group_add(void **state)
{
	struct fx *f = *state;
	struct netdb_address hall = { .is_label = true };
	json_t *d;
	const struct netdb_group *g;
	char expect[8];

	f->event_kinds = 0;
	/* No address: the lowest free one. */
	d = ok(f, "group/add", "{\"name\":\"kitchen\"}");
	assert_string_equal(str(d, "name"), "kitchen");
	assert_string_equal(str(d, "address"), "0xc000");
	json_decref(d);
	d = ok(f, "group/add", "{\"name\":\"garden\"}");
	assert_string_equal(str(d, "address"), "0xc004");
	json_decref(d);
	/* The address as a string or a number. */
	d = ok(f, "group/add", "{\"name\":\"hall/spots\",\"address\":\"0xc010\"}");
	assert_string_equal(str(d, "address"), "0xc010");
	json_decref(d);
	d = ok(f, "group/add", "{\"name\":\"den\",\"address\":49171}");
	assert_string_equal(str(d, "address"), "0xc013");
	json_decref(d);
	/* Virtual: a Label UUID of the user's, or a new one. */
	d = ok(f, "group/add", "{\"name\":\"hall\",\"virtual\":\"" HALL_LABEL "\"}");
	assert_int_equal(gw_parse_hex_dashed(HALL_LABEL, hall.label, 16), 0);
	assert_int_equal(mesh_virtual_address(hall.label, &hall.address), 0);
	snprintf(expect, sizeof(expect), "0x%04x", hall.address);
	assert_string_equal(str(d, "address"), expect);
	json_decref(d);
	g = gw_groups_find_name(f->app.core.db, "hall");
	assert_true(g->address.is_label);
	assert_memory_equal(g->address.label, hall.label, 16);
	d = ok(f, "group/add", "{\"name\":\"whole house\",\"virtual\":\"auto\"}");
	g = gw_groups_find_name(f->app.core.db, "whole house");
	assert_true(g->address.is_label);
	assert_true(g->address.address >= 0x8000 && g->address.address < 0xc000);
	json_decref(d);
	/* The same Label UUID again is taken. */
	refused(f, "group/add", "{\"name\":\"hall 2\",\"virtual\":\"" HALL_LABEL "\"}",
		"already has this address");

	advance(f, 0);
	assert_true(f->event_kinds & (1u << GW_EVENT_GROUPS));
	assert_non_null(gw_registry_entity_by_name(&f->app.reg, "whole house"));
	assert_int_equal(gw_registry_entity_by_name(&f->app.reg, "den")->addr, 0xc013);
	/* Adding a group sends nothing: nodes join with group/members/add. */
	assert_int_equal(f->bearer.sent, 0);
	d = ok(f, "groups", NULL);
	assert_int_equal(json_array_size(d), 9);
	json_decref(d);
}

static void test_group_rename_and_remove(void **state)
{
	struct fx *f = *state;
	json_t *d;

	d = ok(f, "group/rename", "{\"name\":\"api group\",\"new_name\":\"first floor\"}");
	assert_string_equal(str(d, "name"), "first floor");
	assert_string_equal(str(d, "address"), "0xc002");
	json_decref(d);
	assert_null(gw_groups_find_name(f->app.core.db, "api group"));
	advance(f, 0);
	assert_string_equal(gw_registry_entity_by_addr(&f->app.reg, 0xc002)->unique_id, "group_c002");
	assert_string_equal(gw_registry_entity_by_addr(&f->app.reg, 0xc002)->name, "first floor");
	/* To its own name: fine, nothing changes. */
	d = ok(f, "group/rename", "{\"name\":\"first floor\",\"new_name\":\"first floor\"}");
	json_decref(d);

	/* No members: removed at once, and nothing to tell the mesh. */
	d = ok(f, "group/remove", "{\"name\":\"first floor\"}");
	assert_int_equal(json_object_size(d), 0);
	json_decref(d);
	assert_null(gw_groups_find_name(f->app.core.db, "first floor"));
	advance(f, 0);
	assert_null(gw_registry_entity_by_addr(&f->app.reg, 0xc002));
	assert_int_equal(f->bearer.sent, 0);

	/* With a member: answered at once too; the member is told to leave. */
	d = ok(f, "group/remove", "{\"name\":\"upstairs\"}");
	json_decref(d);
	assert_null(gw_groups_find_name(f->app.core.db, "upstairs"));
	advance(f, 100);
	assert_true(f->bearer.sent > 0);
	/* Its address is free for the next group. */
	d = ok(f, "group/add", "{\"name\":\"again\",\"address\":\"0xc003\"}");
	json_decref(d);
}

/* A group of the database whose name a node took later (the file named
 * the node so) is shown as "<name>_0xADDR"; removing it still makes its
 * members leave it, whichever of the two names the request uses. */
static void test_group_remove_when_name_clashes(void **state)
{
	struct fx *f = *state;
	struct netdb_node *lamp = netdb_node_by_address(f->app.core.db, 0x0100);
	const struct gw_entity *g;
	size_t sent;
	json_t *d;

	add_group(f->app.core.db, "sensor", 0xc005);
	lamp->elements[0].models[0].subscribe[0].address = 0xc005;
	gw_app_changed(&f->app);
	advance(f, 0);
	g = gw_registry_entity_by_addr(&f->app.reg, 0xc005);
	assert_non_null(g);
	assert_string_equal(g->name, "sensor_0xc005");
	assert_int_equal(g->n_members, 1);

	sent = f->bearer.sent;
	d = ok(f, "group/remove", "{\"name\":\"sensor\"}");
	json_decref(d);
	assert_null(gw_groups_find_name(f->app.core.db, "sensor"));
	advance(f, 100);
	if (f->bearer.sent == sent)
		fail_msg("group 'sensor' removed, but its member was not told to leave it");
}

/* A group's state is the members' cached state (none known: empty); a
 * group command goes out unacknowledged and is answered at once. */
static void test_group_state_and_command(void **state)
{
	struct fx *f = *state;
	json_t *d = ok(f, "entity/get", "{\"entity\":\"stairway lights\"}");

	assert_true(json_is_object(d));
	json_decref(d);
	assert_int_equal(f->bearer.sent, 0);
	d = ok(f, "entity/set", "{\"entity\":\"stairway lights\",\"state\":\"ON\"}");
	json_decref(d);
	advance(f, 1000);
	assert_true(f->bearer.sent > 0);
	assert_null(f->api.calls);
}

/* ---- answers that wait for the mesh ---------------------------------------------------------- */

/* Nobody answers: the call fails once the requests time out (a failure,
 * not a parameter error), exactly once. */
static void test_waiting_call_times_out(void **state)
{
	struct fx *f = *state;
	struct answer a, ax;

	call(f, "entity/get", "{\"entity\":\"attic\"}", &a);
	call_ex(f, "entity/set", "{\"entity\":\"attic\",\"brightness\":20}", &ax);
	assert_int_equal(a.count, 0);
	assert_int_equal(ax.count, 0);
	assert_non_null(f->api.calls);
	advance(f, 100);
	assert_true(f->bearer.sent > 0);
	for (int i = 0; i < 120 && (a.count == 0 || ax.count == 0); i++)
		advance(f, 1000);
	assert_int_equal(a.count, 1);
	assert_true(a.failed);
	assert_sentence("entity/get", a.error);
	assert_int_equal(ax.count, 1);
	assert_int_equal(ax.kind, GW_API_ERR_FAILED);
	assert_null(f->api.calls);
	advance(f, 60000);
	assert_int_equal(a.count, 1);
	assert_int_equal(ax.count, 1);
}

/* One node is configured at a time: a node asked for meanwhile waits its
 * turn rather than being refused, a node asked for twice is one run, and a
 * node gone from the database before its turn is answered, not forgotten. */
static void test_configure_waits_its_turn(void **state)
{
	struct fx *f = *state;
	struct answer attic, sensor, attic_again, gone;
	size_t sent_before_sensor;

	call(f, "node/configure", "{\"node\":\"attic\"}", &attic);
	call(f, "node/configure", "{\"node\":\"sensor\"}", &sensor);
	call(f, "node/configure", "{\"node\":\"attic\"}", &attic_again);
	call(f, "node/configure", "{\"node\":\"0x0120\"}", &gone);
	assert_int_equal(attic.count + sensor.count + attic_again.count + gone.count, 0);
	/* The wall switch leaves the network while it waits. */
	assert_int_equal(gw_core_remove_node(&f->app.core, 0x0120), 0);

	for (int s = 0; s < 900 && attic.count == 0; s++)
		advance(f, 1000);
	/* Nothing answers in this world: the run stops, both callers hear it. */
	assert_int_equal(attic.count, 1);
	assert_int_equal(attic_again.count, 1);
	assert_true(attic.failed && attic_again.failed);
	assert_non_null(strstr(attic.error, "configuration stopped"));
	assert_int_equal(sensor.count, 0);
	sent_before_sensor = f->bearer.sent;
	for (int s = 0; s < 900 && (sensor.count == 0 || gone.count == 0); s++)
		advance(f, 1000);
	/* The sensor's own run went to the radio, after the attic's ended. */
	assert_true(f->bearer.sent > sent_before_sensor);
	assert_int_equal(sensor.count, 1);
	assert_true(sensor.failed);
	assert_non_null(strstr(sensor.error, "configuration stopped"));
	assert_true(sensor.order > attic.order);
	assert_int_equal(gone.count, 1);
	assert_true(gone.failed);
	assert_non_null(strstr(gone.error, "no longer in the network database"));
	assert_null(f->api.calls);
}

/* A key refresh changes the keys a configuration hands out: a node asked
 * for during one is configured after it, and a refresh does not start
 * while a node is being configured. */
static void test_configure_waits_for_key_refresh(void **state)
{
	struct fx *f = *state;
	struct answer sensor, attic;

	assert_int_equal(gw_core_key_refresh(&f->app.core, 0), 0);
	call(f, "node/configure", "{\"node\":\"sensor\"}", &sensor);
	assert_int_equal(sensor.count, 0);
	for (int s = 0; s < 3600 && gw_key_refresh_busy(f->app.core.key_refresh); s++) {
		assert_false(gw_configure_busy(f->app.core.configure));
		advance(f, 1000);
	}
	assert_false(gw_key_refresh_busy(f->app.core.key_refresh));
	/* The refresh is over: the sensor's run starts, and holds off the next. */
	assert_true(gw_configure_busy(f->app.core.configure));
	assert_int_equal(gw_core_key_refresh(&f->app.core, 0), -EBUSY);
	for (int s = 0; s < 900 && sensor.count == 0; s++)
		advance(f, 1000);
	assert_int_equal(sensor.count, 1);
	assert_non_null(strstr(sensor.error, "configuration stopped"));
	/* With nothing running, a configuration starts at once again. */
	call(f, "node/configure", "{\"node\":\"attic\"}", &attic);
	assert_true(gw_configure_busy(f->app.core.configure));
	gw_api_forget(&f->api, &attic);
}

/* Groups added to the file while meshgate was stopped: at start, a
 * configured node the database does not show in them is configured again;
 * nodes that are as the file asks are left alone. */
static void test_start_catches_up_with_the_file(void **state)
{
	struct fx *f = *state;
	struct netdb_node *lamp = netdb_node_by_address(f->app.core.db, 0x0100);
	struct netdb_element *e = &lamp->elements[0];

	gw_app_start(&f->app);
	assert_false(gw_configure_busy(f->app.core.configure));
	advance(f, 1000);
	assert_int_equal(f->bearer.sent, 0);

	/* As if "stairway lights" had come into the lamp's groups meanwhile. */
	for (size_t m = 0; m < e->n_models; m++)
		e->models[m].n_subscribe = 0;
	gw_app_start(&f->app);
	assert_true(gw_configure_busy(f->app.core.configure));
	assert_int_equal(gw_configure_last(f->app.core.configure)->node, 0x0100);
	advance(f, 100);
	assert_true(f->bearer.sent > 0);
}

/* A node whose automatic configuration failed (nothing answers in this
 * world: out of range, switched off) is tried again, less and less often:
 * not never, as before, and not in a loop. */
static void test_failed_configuration_is_retried(void **state)
{
	struct fx *f = *state;
	uint64_t starts[4];
	int n = 0;
	bool was_busy = false;

	netdb_node_by_address(f->app.core.db, 0x0100)->config_complete = false;
	gw_core_configure_pending(&f->app.core);
	for (int s = 0; s < 3600 && n < 4; s++) {
		bool busy = gw_configure_busy(f->app.core.configure);

		if (busy && !was_busy)
			starts[n++] = mesh_timers_now(&f->timers);
		was_busy = busy;
		advance(f, 1000);
	}
	assert_int_equal(n, 4);
	assert_int_equal(gw_configure_last(f->app.core.configure)->node, 0x0100);
	/* Each run takes as long as the last (the same timeouts); the waits
	 * between them double from 30 s. */
	assert_in_range((starts[2] - starts[1]) - (starts[1] - starts[0]), 29000, 31000);
	assert_in_range((starts[3] - starts[2]) - (starts[2] - starts[1]), 59000, 61000);
}

/* Starts of automatic runs of node, counted while advancing ms. */
static int runs_of(struct fx *f, uint16_t node, uint32_t ms)
{
	int n = 0;
	bool was_busy = gw_configure_busy(f->app.core.configure);

	for (uint32_t t = 0; t < ms; t += 1000) {
		bool busy = gw_configure_busy(f->app.core.configure);

		if (busy && !was_busy && gw_configure_last(f->app.core.configure)->node == node)
			n++;
		was_busy = busy;
		advance(f, 1000);
	}
	return n;
}

/* Two nodes fail; the one due first is configured meanwhile by other
 * means, so its retry finds nothing to do. The other is still tried
 * again when its own wait is over: the retry timer goes on for it rather
 * than waiting for another failure to set it again. */
static void test_retry_outlives_the_node_before_it(void **state)
{
	struct fx *f = *state;
	struct netdb_node *lamp = netdb_node_by_address(f->app.core.db, 0x0100);

	lamp->config_complete = false;
	netdb_node_by_address(f->app.core.db, 0x0130)->config_complete = false;
	gw_core_configure_pending(&f->app.core);
	assert_int_equal(gw_configure_last(f->app.core.configure)->node, 0x0100);
	/* Each fails once: the lamp first, then the sensor. */
	for (int s = 0; s < 600 && gw_configure_last(f->app.core.configure)->node != 0x0130; s++)
		advance(f, 1000);
	for (int s = 0; s < 600 && gw_configure_busy(f->app.core.configure); s++)
		advance(f, 1000);
	assert_false(gw_configure_busy(f->app.core.configure));
	lamp->config_complete = true;
	assert_true(runs_of(f, 0x0130, 10 * 60 * 1000) >= 2);
}

/* The gateway beacons its network on its own (mesh-core.md): every 10 s
 * here, where it hears no other node's beacons. */
static void test_gateway_beacons(void **state)
{
	struct fx *f = *state;
	size_t before = f->bearer.beacons;

	advance(f, 60000);
	assert_int_equal(f->bearer.beacons - before, 6);
}

/* Closing answers what still waits, once; a forgotten caller is not. */
static void test_close_answers_waiting_calls(void **state)
{
	struct fx *f = *state;
	struct answer a, forgotten;

	call(f, "entity/get", "{\"entity\":\"attic\"}", &a);
	call(f, "node/configure", "{\"node\":\"attic\"}", &forgotten);
	assert_int_equal(a.count, 0);
	assert_int_equal(forgotten.count, 0);
	gw_api_forget(&f->api, &forgotten);
	gw_api_close(&f->api);
	f->api_open = false;
	assert_int_equal(a.count, 1);
	assert_true(a.failed);
	assert_non_null(strstr(a.error, "shutting down"));
	assert_int_equal(forgotten.count, 0);
	gw_app_close(&f->app);
	f->app_open = false;
	assert_int_equal(a.count, 1);
	assert_int_equal(forgotten.count, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_unknown_method),
		T(test_params_not_object),
		T(test_unknown_parameters),
		T(test_unknown_parameters_of_views),
		T(test_missing_parameters),
		T(test_wrong_types),
		T(test_out_of_range),
		T(test_unknown_names),
		T(test_long_utf8_name_in_error),
		T(test_bad_names),
		T(test_group_rename_refused_changes_nothing),
		T(test_pinned_by_file),
		T(test_oob_without_session),
		T(test_info),
		T(test_nodes),
		T(test_groups_view),
		T(test_health_and_map),
		T(test_backup),
		T(test_scan),
		T(test_node_rename),
		T(test_group_add),
		T(test_group_rename_and_remove),
		T(test_group_remove_when_name_clashes),
		T(test_group_state_and_command),
		T(test_waiting_call_times_out),
		T(test_configure_waits_its_turn),
		T(test_configure_waits_for_key_refresh),
		T(test_start_catches_up_with_the_file),
		T(test_failed_configuration_is_retried),
		T(test_retry_outlives_the_node_before_it),
		T(test_gateway_beacons),
		T(test_close_answers_waiting_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
