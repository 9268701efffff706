/*
 * What the gateway core adds for the dashboard's detail views and the
 * WebSocket API (gateway/api.h, gateway/app.h):
 *
 *  - the kind of every error gw_api_call_ex() reports (bad parameters,
 *    unknown method, a valid request that could not be done), with
 *    gw_api_call() still answering the same sentences;
 *  - node/info on a network database built here in code: composition with
 *    model names, bindings, publication and subscriptions named after
 *    their groups, features, heartbeat settings, key indexes and the key
 *    refresh phase (never a key), liveness, Health faults from the state
 *    cache;
 *  - a CTL light's colour temperature from its CTL Temperature element
 *    when that reported last;
 *  - log lines as events: fields, no recursion, not from other threads,
 *    bytes that are not UTF-8;
 *  - on the built-in stairway simulation (through MQTT, as users ask):
 *    the discovered devices' OOB information by name, the capabilities in
 *    the provisioning events, provisioning with Output OOB through
 *    gw_api_call_ex (with the error kinds of its failures), and node/info
 *    of configured nodes.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gateway/api.h"
#include "gateway/app.h"
#include "gateway/groups.h"
#include "gateway/liveness.h"
#include "gateway/state_cache.h"
#include "mesh/crypto.h"
#include "mesh/health_msg.h"
#include "mesh/heartbeat.h"
#include "mesh/timer.h"
#include "mqtt_fixture.h"
#include "uv_helpers.h"

#define LAMP_UUID "a0a1a2a3-a4a5-46a7-88a9-aaabacadaeaf"
#define BARE_UUID "b0b1b2b3-b4b5-46b7-88b9-babbbcbdbebf"
#define LAMP3_UUID "02da705d-5822-415f-84ad-3d66db9da905"
#define LAMP4_UUID "d43af77b-9979-4db9-9ea3-db8881d06382"
#define LAMP1_UUID "ceadffdd-8dbe-4c86-91a0-1604b5b5df05"
#define SENSOR_UUID "2295c190-d284-474d-a231-63c133378cb0"
#define LAMP2_UUID "8658a8f1-6d78-4d3a-8d01-05aba6dac39c"
#define MOOD_LABEL "f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f"
#define DEV_KEY "9d6dd0e96eb25dc19a40ed9914f8f03f"

/* ---- helpers ------------------------------------------------------------------------ */

/* The member at a path like "elements/0/models/2/name" (array indexes as
 * numbers), or NULL. */
static json_t *at(const json_t *j, const char *path)
{
	char buf[256], *save = NULL;
	json_t *v = (json_t *)j;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, "/", &save); k && v; k = strtok_r(NULL, "/", &save)) {
		if (json_is_array(v))
			v = json_array_get(v, strtoul(k, NULL, 10));
		else
			v = json_object_get(v, k);
	}
	return v;
}

static void assert_str_at(const json_t *j, const char *path, const char *want)
{
	const json_t *v = at(j, path);

	if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0) {
		char *text = json_dumps(v, JSON_ENCODE_ANY);

		print_error("%s is %s, want \"%s\"\n", path, text ? text : "(absent)", want);
		free(text);
		fail();
	}
}

static void assert_int_at(const json_t *j, const char *path, json_int_t want)
{
	const json_t *v = at(j, path);

	if (!json_is_integer(v) || json_integer_value(v) != want) {
		char *text = json_dumps(v, JSON_ENCODE_ANY);

		print_error("%s is %s, want %lld\n", path, text ? text : "(absent)",
			    (long long)want);
		free(text);
		fail();
	}
}

static void assert_bool_at(const json_t *j, const char *path, bool want)
{
	const json_t *v = at(j, path);

	if (!json_is_boolean(v) || json_is_true(v) != want) {
		print_error("%s is not %s\n", path, want ? "true" : "false");
		fail();
	}
}

static void assert_null_at(const json_t *j, const char *path)
{
	const json_t *v = at(j, path);

	if (!json_is_null(v)) {
		print_error("%s is %s, want null\n", path, v ? "not null" : "absent");
		fail();
	}
}

/* The text of a JSON array of strings, e.g. "relay,proxy". */
static void assert_names_at(const json_t *j, const char *path, const char *want)
{
	const json_t *a = at(j, path);
	char got[256] = "";
	size_t i;
	json_t *v;

	assert_true(json_is_array(a));
	json_array_foreach(a, i, v) {
		assert_true(json_is_string(v));
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "",
			 json_string_value(v));
	}
	if (strcmp(got, want) != 0) {
		print_error("%s is [%s], want [%s]\n", path, got, want);
		fail();
	}
}

struct result {
	bool called;
	unsigned int calls;
	enum gw_api_error kind;
	char error[256];
	json_t *data;
};

static void on_result(void *ctx, const json_t *data, enum gw_api_error kind, const char *error)
{
	struct result *r = ctx;

	r->called = true;
	r->calls++;
	r->kind = kind;
	snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
	json_decref(r->data);
	r->data = data ? json_deep_copy(data) : NULL;
	/* The contract: data with OK, a sentence otherwise, never both. */
	assert_true((kind == GW_API_OK) == (error == NULL));
	assert_true((kind == GW_API_OK) == (data != NULL));
}

static void on_reply(void *ctx, const json_t *data, const char *error)
{
	struct result *r = ctx;

	r->called = true;
	r->calls++;
	r->kind = error ? GW_API_ERR_FAILED : GW_API_OK;
	snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
	json_decref(r->data);
	r->data = data ? json_deep_copy(data) : NULL;
}

static void result_clear(struct result *r)
{
	json_decref(r->data);
	memset(r, 0, sizeof(*r));
}

/* params: JSON text or NULL. The answer must come before the call returns. */
static void call_now(struct gw_api *api, const char *method, const char *params, struct result *r)
{
	json_t *p = NULL;

	result_clear(r);
	if (params) {
		p = json_loads(params, JSON_DECODE_ANY, NULL);
		assert_non_null(p);
	}
	gw_api_call_ex(api, method, p, on_result, r);
	json_decref(p);
	assert_true(r->called);
	assert_int_equal(r->calls, 1);
}

static void expect_error(struct gw_api *api, const char *method, const char *params,
			 enum gw_api_error kind, const char *contains)
{
	struct result r = { 0 };

	call_now(api, method, params, &r);
	if (r.kind != kind || !strstr(r.error, contains)) {
		print_error("%s %s: kind %d \"%s\", want kind %d with \"%s\"\n", method,
			    params ? params : "", r.kind, r.error, kind, contains);
		fail();
	}
	result_clear(&r);
}

/* ---- a network built in code ----------------------------------------------------------- */

struct detail {
	struct mesh_timers timers;
	struct gw_app app;
	struct gw_api api;
	struct netdb *db;
};

static void parse_uuid(const char *s, uint8_t out[16])
{
	assert_int_equal(gw_parse_hex_dashed(s, out, 16), 0);
}

static struct netdb_model *models(struct netdb_element *el, size_t n)
{
	el->models = calloc(n, sizeof(*el->models));
	assert_non_null(el->models);
	el->n_models = n;
	return el->models;
}

static void bind_app_key(struct netdb_model *m, uint16_t app_idx)
{
	m->bind = calloc(1, sizeof(*m->bind));
	assert_non_null(m->bind);
	m->bind[0] = app_idx;
	m->n_bind = 1;
}

static void add_groups(struct netdb *db, struct netdb_address *mood)
{
	struct netdb_address kitchen = { .address = 0xc001 };
	char err[200];

	assert_int_equal(gw_groups_add(db, "kitchen", &kitchen, err, sizeof(err)), 0);
	memset(mood, 0, sizeof(*mood));
	mood->is_label = true;
	parse_uuid(MOOD_LABEL, mood->label);
	assert_int_equal(mesh_virtual_address(mood->label, &mood->address), 0);
	assert_int_equal(gw_groups_add(db, "mood", mood, err, sizeof(err)), 0);
}

/* A second network key in phase 1 of a key refresh; the lamp has it. */
static void add_refreshing_key(struct netdb *db)
{
	struct netdb_net_key *grown = realloc(db->net_keys, 2 * sizeof(*grown));

	assert_non_null(grown);
	db->net_keys = grown;
	db->net_keys[1] = db->net_keys[0];
	db->net_keys[1].index = 1;
	db->net_keys[1].phase = 1;
	db->net_keys[1].has_old_key = true;
	memset(db->net_keys[1].old_key, 0x5a, 16);
	db->n_net_keys = 2;
}

/*
 * "hall/lamp" at 0x0010: element 0 a CTL light (Config, Health, OnOff bound
 * to AppKey 0, subscribed to "kitchen" and to the virtual "mood",
 * publishing to "kitchen"; CTL Server), element 1 its CTL Temperature
 * element, element 2 a Sensor Server and a vendor model publishing to
 * "mood". A node "bare" at 0x0020 whose composition was never read.
 */
static void lamp_node(struct netdb *db, const struct netdb_address *mood)
{
	struct netdb_node *n;
	struct netdb_model *m;
	uint8_t uuid[16], key[16];

	parse_uuid(LAMP_UUID, uuid);
	assert_int_equal(gw_parse_hex_dashed(DEV_KEY, key, 16), 0);
	assert_int_equal(netdb_add_node(db, uuid, 0x0010, 3, key, 0), 0);
	n = netdb_node_by_address(db, 0x0010);
	snprintf(n->name, sizeof(n->name), "hall/lamp");
	n->config_complete = true;
	n->has_ids = true;
	n->cid = 0x05f1;
	n->pid = 0x0101;
	n->vid = 3;
	n->crpl = 0x7fff;
	n->relay = NETDB_FEATURE_ON;
	n->proxy = NETDB_FEATURE_UNSUPPORTED;
	n->friend_ = NETDB_FEATURE_OFF;
	n->has_default_ttl = true;
	n->default_ttl = 5;
	n->has_secure_beacon = true;
	n->secure_network_beacon = true;
	n->network_transmit = (struct netdb_transmit){ true, 3, 20 };
	n->heartbeat_pub = (struct netdb_heartbeat_pub){ true, 0xfeff, 16, 7, 0,
							 MESH_FEAT_RELAY | MESH_FEAT_PROXY };
	n->heartbeat_sub = calloc(1, sizeof(*n->heartbeat_sub));
	assert_non_null(n->heartbeat_sub);
	n->heartbeat_sub[0] = (struct netdb_heartbeat_sub){ 0x0020, 0x0010 };
	n->n_heartbeat_sub = 1;
	free(n->net_keys);
	n->net_keys = calloc(2, sizeof(*n->net_keys));
	n->app_keys = calloc(2, sizeof(*n->app_keys));
	assert_non_null(n->net_keys);
	assert_non_null(n->app_keys);
	n->net_keys[0].index = 0;
	n->net_keys[1] = (struct netdb_key_ref){ 1, true };
	n->n_net_keys = 2;
	n->app_keys[0].index = 0;
	n->app_keys[1].index = 1;
	n->n_app_keys = 2;

	n->elements[0].location = 0x0100;
	m = models(&n->elements[0], 4);
	m[0].id = 0x0000;
	m[1].id = 0x0002;
	m[2].id = 0x1000;
	bind_app_key(&m[2], 0);
	m[2].subscribe = calloc(2, sizeof(*m[2].subscribe));
	assert_non_null(m[2].subscribe);
	m[2].subscribe[0].address = 0xc001;
	m[2].subscribe[1] = *mood;
	m[2].n_subscribe = 2;
	m[2].has_publish = true;
	m[2].publish = (struct netdb_publish){ .address = { .address = 0xc001 }, .app_idx = 0,
					       .ttl = 255, .period_steps = 10,
					       .period_resolution_ms = 1000, .retransmit_count = 2,
					       .retransmit_interval_ms = 100 };
	m[3].id = 0x1303;
	m = models(&n->elements[1], 2);
	m[0].id = 0x1306;
	m[1].id = 0x1002;
	snprintf(n->elements[2].name, sizeof(n->elements[2].name), "porch");
	m = models(&n->elements[2], 2);
	m[0].id = 0x1100;
	m[1].id = 0x05f10001;
	m[1].vendor = true;
	bind_app_key(&m[1], 1);
	m[1].has_publish = true;
	m[1].publish = (struct netdb_publish){ .address = *mood, .app_idx = 1, .ttl = 3,
					       .credentials = 1 };

	parse_uuid(BARE_UUID, uuid);
	assert_int_equal(netdb_add_node(db, uuid, 0x0020, 1, key, 0), 0);
	snprintf(netdb_node_by_address(db, 0x0020)->name, NETDB_NAME_MAX, "bare");
}

/* What the lamp's primary element reported: a Health Current Status with
 * three faults. */
static void lamp_faults(struct gw_state_cache *cache)
{
	static const uint8_t params[] = { 0x00, 0xf1, 0x05, 0x01, 0x0e, 0x80 };
	struct mesh_access_msg msg = { .src = 0x0010, .dst = 0x0001,
				       .opcode = MESH_OP_HEALTH_CURRENT_STATUS, .params = params,
				       .params_len = sizeof(params) };

	assert_true(gw_state_cache_update(cache, &msg, 500) & GW_STATE_HEALTH);
}

static void lamp_heartbeat(struct liveness *lv)
{
	struct mesh_stack_hb_rx hb = { .net_idx = 0, .src = 0x0010, .dst = 0xfeff, .rx_ttl = 5,
				       .hops = 3, .hb = { .init_ttl = 7,
							  .features = MESH_FEAT_RELAY } };

	assert_int_equal(liveness_set_period(lv, 0x0010, 16000), 0);
	assert_int_equal(liveness_heartbeat(lv, &hb, -61, 1000), 0);
}

static int detail_setup(void **state)
{
	struct detail *d = calloc(1, sizeof(*d));
	struct netdb_address mood;
	struct gw_app *app;

	assert_non_null(d);
	mesh_timers_init(&d->timers, 1000);
	app = &d->app;
	app->timers = &d->timers;
	app->loop_thread = pthread_self();
	gw_events_init(&app->events);
	gw_registry_init(&app->reg);
	assert_int_equal(netdb_create(&d->db, "detail", NULL), 0);
	add_groups(d->db, &mood);
	add_refreshing_key(d->db);
	lamp_node(d->db, &mood);
	app->core.db = d->db;
	app->core.cache = gw_state_cache_create(NULL, NULL);
	app->core.liveness = liveness_create(&d->timers, NULL);
	assert_non_null(app->core.cache);
	assert_non_null(app->core.liveness);
	lamp_faults(app->core.cache);
	lamp_heartbeat(app->core.liveness);
	assert_int_equal(gw_registry_rebuild(&app->reg, d->db, NULL, app->core.cache), 0);
	assert_int_equal(gw_api_init(&d->api, app), 0);
	*state = d;
	return 0;
}

static int detail_teardown(void **state)
{
	struct detail *d = *state;

	gw_api_close(&d->api);
	gw_registry_free(&d->app.reg);
	gw_state_cache_destroy(d->app.core.cache);
	liveness_destroy(d->app.core.liveness);
	netdb_free(d->db);
	free(d);
	return 0;
}

/* ---- node/info on the network built in code --------------------------------------------- */

static void test_node_info_lamp(void **state)
{
	struct detail *d = *state;
	struct result r = { 0 };
	const json_t *j;
	char *text;

	call_now(&d->api, "node/info", "{\"node\":\"hall/lamp\"}", &r);
	assert_int_equal(r.kind, GW_API_OK);
	j = r.data;
	assert_str_at(j, "name", "hall/lamp");
	assert_str_at(j, "address", "0x0010");
	assert_str_at(j, "uuid", LAMP_UUID);
	assert_bool_at(j, "gateway", false);
	assert_bool_at(j, "configured", true);
	assert_int_at(j, "cid", 0x05f1);
	assert_int_at(j, "pid", 0x0101);
	assert_int_at(j, "vid", 3);
	assert_int_at(j, "crpl", 0x7fff);
	assert_str_at(j, "security", "secure");
	assert_bool_at(j, "features/relay/supported", true);
	assert_bool_at(j, "features/relay/enabled", true);
	assert_bool_at(j, "features/proxy/supported", false);
	assert_bool_at(j, "features/proxy/enabled", false);
	assert_bool_at(j, "features/friend/supported", true);
	assert_bool_at(j, "features/friend/enabled", false);
	/* Listed in the composition (has_ids), state never read. */
	assert_bool_at(j, "features/low_power/supported", true);
	assert_null_at(j, "features/low_power/enabled");
	assert_int_at(j, "default_ttl", 5);
	assert_bool_at(j, "secure_network_beacon", true);
	assert_int_at(j, "network_transmit/count", 3);
	assert_int_at(j, "network_transmit/interval_ms", 20);
	assert_null_at(j, "relay_retransmit");

	/* Element 0: the light, named after the node. */
	assert_int_equal(json_array_size(at(j, "elements")), 3);
	assert_int_at(j, "elements/0/index", 0);
	assert_str_at(j, "elements/0/address", "0x0010");
	assert_str_at(j, "elements/0/name", "hall/lamp");
	assert_str_at(j, "elements/0/location", "0x0100");
	assert_str_at(j, "elements/0/models/0/id", "0x0000");
	assert_str_at(j, "elements/0/models/0/name", "Configuration Server");
	assert_str_at(j, "elements/0/models/1/name", "Health Server");
	assert_str_at(j, "elements/0/models/2/id", "0x1000");
	assert_str_at(j, "elements/0/models/2/name", "Generic OnOff Server");
	assert_bool_at(j, "elements/0/models/2/vendor", false);
	assert_int_at(j, "elements/0/models/2/app_keys/0", 0);
	assert_int_equal(json_array_size(at(j, "elements/0/models/2/app_keys")), 1);
	assert_str_at(j, "elements/0/models/2/subscribe/0/address", "0xc001");
	assert_str_at(j, "elements/0/models/2/subscribe/0/name", "kitchen");
	assert_null(at(j, "elements/0/models/2/subscribe/0/label"));
	assert_str_at(j, "elements/0/models/2/subscribe/1/name", "mood");
	assert_str_at(j, "elements/0/models/2/subscribe/1/label", MOOD_LABEL);
	assert_str_at(j, "elements/0/models/2/publish/address", "0xc001");
	assert_str_at(j, "elements/0/models/2/publish/name", "kitchen");
	assert_int_at(j, "elements/0/models/2/publish/app_key_index", 0);
	assert_int_at(j, "elements/0/models/2/publish/ttl", 255);
	assert_int_at(j, "elements/0/models/2/publish/period_ms", 10000);
	assert_int_at(j, "elements/0/models/2/publish/retransmit/count", 2);
	assert_int_at(j, "elements/0/models/2/publish/retransmit/interval_ms", 100);
	assert_str_at(j, "elements/0/models/2/publish/credentials", "master");
	assert_null_at(j, "elements/0/models/3/publish");
	assert_int_equal(json_array_size(at(j, "elements/0/models/3/subscribe")), 0);
	assert_str_at(j, "elements/0/models/3/name", "Light CTL Server");

	/* Element 1: the CTL Temperature element, named <node>/1. */
	assert_str_at(j, "elements/1/name", "hall/lamp/1");
	assert_str_at(j, "elements/1/models/0/name", "Light CTL Temperature Server");

	/* Element 2: a vendor model has no name, its ID is company:model. */
	assert_str_at(j, "elements/2/address", "0x0012");
	assert_str_at(j, "elements/2/models/1/id", "0x05f1:0x0001");
	assert_bool_at(j, "elements/2/models/1/vendor", true);
	assert_null_at(j, "elements/2/models/1/name");
	assert_int_at(j, "elements/2/models/1/app_keys/0", 1);
	assert_str_at(j, "elements/2/models/1/publish/name", "mood");
	assert_str_at(j, "elements/2/models/1/publish/label", MOOD_LABEL);
	assert_str_at(j, "elements/2/models/1/publish/credentials", "friendship");
	assert_int_at(j, "elements/2/models/1/publish/period_ms", 0);

	/* Heartbeats. */
	assert_str_at(j, "heartbeat/publication/destination", "0xfeff");
	assert_int_at(j, "heartbeat/publication/period_s", 16);
	assert_int_at(j, "heartbeat/publication/ttl", 7);
	assert_int_at(j, "heartbeat/publication/net_key_index", 0);
	assert_names_at(j, "heartbeat/publication/features", "relay,proxy");
	assert_str_at(j, "heartbeat/subscription/0/source", "0x0020");
	assert_str_at(j, "heartbeat/subscription/0/destination", "0x0010");

	/* Keys: indexes and refresh progress. */
	assert_int_at(j, "net_keys/0/index", 0);
	assert_bool_at(j, "net_keys/0/updated", false);
	assert_int_at(j, "net_keys/0/phase", 0);
	assert_int_at(j, "net_keys/1/index", 1);
	assert_bool_at(j, "net_keys/1/updated", true);
	assert_int_at(j, "net_keys/1/phase", 1);
	assert_int_at(j, "app_keys/1/index", 1);
	assert_int_at(j, "key_refresh_phase", 1);

	/* Liveness from the heartbeat. */
	assert_str_at(j, "liveness/state", "online");
	assert_bool_at(j, "liveness/online", true);
	assert_int_at(j, "liveness/heartbeat_period_s", 16);
	assert_true(json_is_string(at(j, "liveness/last_seen")));
	assert_int_at(j, "liveness/heartbeat/hops", 3);
	assert_int_at(j, "liveness/heartbeat/rssi", -61);

	/* Health faults, named. */
	assert_int_equal(json_array_size(at(j, "health")), 1);
	assert_str_at(j, "health/0/element", "0x0010");
	assert_str_at(j, "health/0/company_id", "0x05f1");
	assert_int_at(j, "health/0/test_id", 0);
	assert_int_at(j, "health/0/faults/0/code", 1);
	assert_str_at(j, "health/0/faults/0/name", "Battery Low Warning");
	assert_str_at(j, "health/0/faults/1/name", "Overheat Error");
	assert_str_at(j, "health/0/faults/2/name", "Vendor Specific 0x80");

	/* Never a key: not the device key, not a network key, none. */
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	assert_null(strstr(text, DEV_KEY));
	for (size_t i = 0; i < d->db->n_net_keys; i++) {
		char hex[33];

		for (int k = 0; k < 16; k++)
			snprintf(hex + 2 * k, 3, "%02x", d->db->net_keys[i].key[k]);
		assert_null(strstr(text, hex));
	}
	assert_null(strstr(text, "\"key\""));
	free(text);
	result_clear(&r);
}

static void test_node_info_lookup(void **state)
{
	struct detail *d = *state;
	struct result r = { 0 };

	/* By address and by UUID, the same node. */
	call_now(&d->api, "node/info", "{\"node\":\"0x0010\"}", &r);
	assert_int_equal(r.kind, GW_API_OK);
	assert_str_at(r.data, "name", "hall/lamp");
	call_now(&d->api, "node/info", "{\"node\":\"" LAMP_UUID "\"}", &r);
	assert_int_equal(r.kind, GW_API_OK);
	assert_str_at(r.data, "address", "0x0010");

	/* Nothing read from it yet: unknowns are null, lists empty. */
	call_now(&d->api, "node/info", "{\"node\":\"bare\"}", &r);
	assert_int_equal(r.kind, GW_API_OK);
	assert_null_at(r.data, "cid");
	assert_null_at(r.data, "crpl");
	assert_null_at(r.data, "features/relay/supported");
	assert_null_at(r.data, "default_ttl");
	assert_null_at(r.data, "heartbeat/publication");
	assert_int_equal(json_array_size(at(r.data, "heartbeat/subscription")), 0);
	assert_int_equal(json_array_size(at(r.data, "elements/0/models")), 0);
	assert_int_equal(json_array_size(at(r.data, "health")), 0);
	assert_int_equal(json_array_size(at(r.data, "app_keys")), 0);
	assert_str_at(r.data, "liveness/state", "unknown");
	assert_null_at(r.data, "liveness/heartbeat");
	assert_null_at(r.data, "liveness/last_seen");

	/* meshgate's own node has a page too. */
	call_now(&d->api, "node/info", "{\"node\":\"0x0001\"}", &r);
	assert_int_equal(r.kind, GW_API_OK);
	assert_bool_at(r.data, "gateway", true);
	assert_null_at(r.data, "liveness");
	result_clear(&r);
}

/* ---- a CTL light's temperature from its second element ---------------------------------- */

static void status(struct gw_state_cache *cache, uint16_t src, uint32_t opcode,
		   const uint8_t *params, size_t len)
{
	struct mesh_access_msg msg = { .src = src, .dst = 0x0001, .opcode = opcode,
				       .params = params, .params_len = len };

	assert_true(gw_state_cache_update(cache, &msg, 600) & GW_STATE_CTL);
}

static json_int_t color_temp_of(struct detail *d, const char *name)
{
	const struct gw_entity *e = gw_registry_entity_by_name(&d->app.reg, name);
	json_t *st;
	json_int_t v;

	assert_non_null(e);
	st = gw_app_entity_state(&d->app, e);
	assert_non_null(st);
	assert_true(json_is_integer(json_object_get(st, "color_temp")));
	v = json_integer_value(json_object_get(st, "color_temp"));
	json_decref(st);
	return v;
}

static void test_ctl_temperature_element(void **state)
{
	struct detail *d = *state;
	/* CTL Status from the light: Lightness 0xffff, 6500 K. */
	static const uint8_t ctl[] = { 0xff, 0xff, 0x64, 0x19 };
	/* CTL Temperature Status from element 1: 2700 K, Delta UV 0. */
	static const uint8_t temp[] = { 0x8c, 0x0a, 0x00, 0x00 };
	struct gw_elem_state buf;
	const struct gw_entity *lamp = gw_registry_entity_by_name(&d->app.reg, "hall/lamp");

	assert_non_null(lamp);
	status(d->app.core.cache, 0x0010, MESH_OP_CTL_STATUS, ctl, sizeof(ctl));
	status(d->app.core.cache, 0x0011, MESH_OP_CTL_TEMP_STATUS, temp, sizeof(temp));
	d->app.ctl_times = calloc(2, sizeof(*d->app.ctl_times));
	assert_non_null(d->app.ctl_times);
	d->app.n_ctl_times = 2;

	/* The temperature element reported last: the light shows 2700 K. */
	d->app.ctl_times[0].addr = 0x0010;
	d->app.ctl_times[0].at_ms = 5;
	d->app.ctl_times[1].addr = 0x0011;
	d->app.ctl_times[1].at_ms = 9;
	assert_int_equal(color_temp_of(d, "hall/lamp"), 370);
	assert_int_equal(gw_app_element_state(&d->app, lamp, &buf)->target_temperature, 2700);
	/* The light's own CTL Status came later: 6500 K. */
	d->app.ctl_times[0].at_ms = 12;
	assert_int_equal(color_temp_of(d, "hall/lamp"), 154);
	/* Nothing known about when either reported: the light's own. */
	d->app.n_ctl_times = 0;
	assert_int_equal(color_temp_of(d, "hall/lamp"), 154);
	d->app.n_ctl_times = 2;
	d->app.ctl_times[0].at_ms = 1;
	/* The temperature element itself is no light, and the element after
	 * it (a sensor) does not take the temperature. */
	assert_ptr_equal(gw_app_element_state(&d->app,
					      gw_registry_entity_by_name(&d->app.reg,
									 "hall/lamp/2"), &buf),
			 gw_state_cache_get(d->app.core.cache, 0x0012));
	free(d->app.ctl_times);
	d->app.ctl_times = NULL;
	d->app.n_ctl_times = 0;
}

/* ---- error kinds ------------------------------------------------------------------------- */

static void test_error_kinds(void **state)
{
	struct detail *d = *state;
	struct result r = { 0 };
	json_t *arr;

	expect_error(&d->api, "frobnicate", NULL, GW_API_ERR_UNKNOWN_METHOD,
		     "unknown request 'frobnicate'");
	expect_error(&d->api, "node/info", NULL, GW_API_ERR_PARAMS, "node: missing");
	expect_error(&d->api, "node/info", "{\"node\":5}", GW_API_ERR_PARAMS,
		     "node: expected a non-empty string");
	expect_error(&d->api, "node/info", "{\"node\":\"nobody\"}", GW_API_ERR_PARAMS,
		     "no node called 'nobody'");
	expect_error(&d->api, "node/info", "{\"node\":\"hall/lamp\",\"verbose\":true}",
		     GW_API_ERR_PARAMS, "unknown parameter 'verbose'");
	expect_error(&d->api, "node/rename", "{\"node\":\"bare\",\"name\":\"hall/lamp\"}",
		     GW_API_ERR_PARAMS, "is taken");
	expect_error(&d->api, "node/rename", "{\"node\":\"0x0001\",\"name\":\"x\"}",
		     GW_API_ERR_PARAMS, "no node called");
	expect_error(&d->api, "group/add", "{\"name\":\"bad\",\"address\":\"0x8001\"}",
		     GW_API_ERR_PARAMS, "virtual address");
	expect_error(&d->api, "group/add", "{\"name\":\"kitchen\"}", GW_API_ERR_PARAMS,
		     "is taken");
	expect_error(&d->api, "group/rename", "{\"name\":\"nothing\",\"new_name\":\"x\"}",
		     GW_API_ERR_PARAMS, "no group called");
	expect_error(&d->api, "group/members/add", "{\"group\":\"kitchen\",\"member\":\"bare\"}",
		     GW_API_ERR_PARAMS, "no light that can join");
	expect_error(&d->api, "entity/set", "{\"entity\":\"nobody\",\"state\":\"ON\"}",
		     GW_API_ERR_PARAMS, "nothing called 'nobody'");
	expect_error(&d->api, "entity/set", "{\"entity\":\"hall/lamp\",\"brightness\":300}",
		     GW_API_ERR_PARAMS, "brightness");
	expect_error(&d->api, "entity/set", "{\"entity\":\"hall/lamp/2\",\"state\":\"ON\"}",
		     GW_API_ERR_PARAMS, "not a light");
	expect_error(&d->api, "provision", "{\"uuid\":\"12\"}", GW_API_ERR_PARAMS, "uuid");

	/* Parameters that are not an object, for every method. */
	arr = json_array();
	result_clear(&r);
	gw_api_call_ex(&d->api, "nodes", arr, on_result, &r);
	assert_int_equal(r.kind, GW_API_ERR_PARAMS);
	assert_string_equal(r.error, "parameters must be a JSON object");
	json_decref(arr);

	/* The node is in the registry but left the database: a valid request
	 * that cannot be answered. */
	{
		uint8_t uuid[16];

		parse_uuid(BARE_UUID, uuid);
		assert_int_equal(netdb_forget_node(d->db, uuid), 0);
		expect_error(&d->api, "node/info", "{\"node\":\"bare\"}", GW_API_ERR_FAILED,
			     "not in the network database");
	}

	/* gw_api_call: the same answers, without the kind. */
	result_clear(&r);
	gw_api_call(&d->api, "frobnicate", NULL, on_reply, &r);
	assert_int_equal(r.calls, 1);
	assert_string_equal(r.error, "unknown request 'frobnicate'");
	result_clear(&r);
	{
		json_t *p = json_pack("{s:s}", "node", "hall/lamp");

		gw_api_call(&d->api, "node/info", p, on_reply, &r);
		json_decref(p);
	}
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.kind, GW_API_OK);
	assert_str_at(r.data, "name", "hall/lamp");
	result_clear(&r);

	/* Every method the dispatcher has, and nothing else. */
	static const char *const methods[] = {
		"info", "nodes", "groups", "health_check", "networkmap", "backup", "scan",
		"provision", "oob", "node/info", "node/rename", "node/remove", "node/configure",
		"group/add", "group/remove", "group/rename", "group/members/add",
		"group/members/remove", "entity/set", "entity/get",
	};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		assert_true(gw_api_method_exists(methods[i]));
	assert_false(gw_api_method_exists("subscribe"));
	assert_false(gw_api_method_exists("node"));
	assert_false(gw_api_method_exists(""));
	assert_false(gw_api_method_exists("node/info/"));
}

/* ---- log lines ------------------------------------------------------------------------------ */

struct log_watch {
	struct gw_app *app;
	unsigned int events;
	bool log_inside;          /* log again while handling the event */
	char level[16], module[32], message[128], time[40];
};

static void on_log_event(void *ctx, const struct gw_event *ev)
{
	struct log_watch *w = ctx;

	if (ev->kind != GW_EVENT_LOG)
		return;
	w->events++;
	snprintf(w->level, sizeof(w->level), "%s", ev->type);
	assert_string_equal(json_string_value(json_object_get(ev->data, "level")), ev->type);
	snprintf(w->module, sizeof(w->module), "%s",
		 json_string_value(json_object_get(ev->data, "module")));
	snprintf(w->message, sizeof(w->message), "%s",
		 json_string_value(json_object_get(ev->data, "message")));
	snprintf(w->time, sizeof(w->time), "%s",
		 json_string_value(json_object_get(ev->data, "time")));
	assert_int_equal(json_object_size(ev->data), 4);
	if (w->log_inside)
		gw_app_log_line(w->app, MESH_LOG_ERROR, "sub", "logged while handling a log event");
}

static void *log_from_thread(void *arg)
{
	gw_app_log_line(arg, MESH_LOG_INFO, "thread", "from another thread");
	return NULL;
}

static void test_log_lines(void **state)
{
	struct detail *d = *state;
	struct log_watch w = { .app = &d->app };
	pthread_t t;

	assert_int_equal(gw_events_subscribe(&d->app.events, on_log_event, &w), 0);
	gw_app_log_line(&d->app, MESH_LOG_WARN, "hci", "controller reset");
	assert_int_equal(w.events, 1);
	assert_string_equal(w.level, "warn");
	assert_string_equal(w.module, "hci");
	assert_string_equal(w.message, "controller reset");
	/* 2026-11-21T10:00:00.123Z */
	assert_int_equal(strlen(w.time), 24);
	assert_int_equal(w.time[10], 'T');
	assert_int_equal(w.time[19], '.');
	assert_int_equal(w.time[23], 'Z');

	/* A line logged by a subscriber of the log event makes no event. */
	w.log_inside = true;
	gw_app_log_line(&d->app, MESH_LOG_DEBUG, "api", "first");
	assert_int_equal(w.events, 2);
	assert_string_equal(w.level, "debug");
	assert_string_equal(w.message, "first");
	/* ... and the guard is down again afterwards. */
	w.log_inside = false;
	gw_app_log_line(&d->app, MESH_LOG_ERROR, "api", "second");
	assert_int_equal(w.events, 3);
	assert_string_equal(w.level, "error");

	/* Bytes that are not UTF-8 become '?', the rest stays. */
	gw_app_log_line(&d->app, MESH_LOG_INFO, "x\xff", "caf\xc3\xa9 \xc3 \xed\xa0\x80!");
	assert_int_equal(w.events, 4);
	assert_string_equal(w.module, "x?");
	assert_string_equal(w.message, "caf\xc3\xa9 ? ???" "!");
	gw_app_log_line(&d->app, MESH_LOG_INFO, NULL, NULL);
	assert_int_equal(w.events, 5);
	assert_string_equal(w.message, "");

	/* Not from another thread: the event stream belongs to the loop. */
	assert_int_equal(pthread_create(&t, NULL, log_from_thread, &d->app), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.events, 5);
	gw_events_unsubscribe(&d->app.events, on_log_event, &w);
}

static void test_oob_info_names(void **state)
{
	json_t *a;
	char *text;

	(void)state;
	a = gw_oob_info_names(0x0800);
	text = json_dumps(a, JSON_COMPACT);
	assert_string_equal(text, "[\"on_box\"]");
	free(text);
	json_decref(a);
	a = gw_oob_info_names(0x4021);
	text = json_dumps(a, JSON_COMPACT);
	assert_string_equal(text, "[\"other\",\"number\",\"inside_manual\"]");
	free(text);
	json_decref(a);
	/* RFU bits have no name. */
	a = gw_oob_info_names(0x0600);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	a = gw_oob_info_names(0xffff);
	assert_int_equal(json_array_size(a), 14);
	assert_string_equal(json_string_value(json_array_get(a, 13)), "on_device");
	json_decref(a);
}

/* ---- on the simulated stairway ------------------------------------------------------------- */

/* Every bridge event since the gateway opened, as {"type","data"}: the
 * first ones come before Home Assistant's client is connected. */
static void record_event(void *ctx, const struct gw_event *ev)
{
	if (ev->kind == GW_EVENT_BRIDGE)
		json_array_append_new(ctx, json_pack("{s:s,s:O}", "type", ev->type, "data",
						     ev->data));
}

/* The data of the first event of type `type` about uuid (borrowed), or NULL. */
static json_t *event_about(json_t *events, const char *type, const char *uuid)
{
	size_t i;
	json_t *e;

	json_array_foreach(events, i, e) {
		const json_t *u = at(e, "data/uuid");

		if (strcmp(json_string_value(json_object_get(e, "type")), type) == 0 &&
		    json_is_string(u) && strcmp(json_string_value(u), uuid) == 0)
			return json_object_get(e, "data");
	}
	return NULL;
}

/* Whether one of a model's subscriptions is called name. */
static bool subscribed_to(const json_t *model, const char *name)
{
	size_t i;
	json_t *a;

	json_array_foreach(json_object_get(model, "subscribe"), i, a)
		if (json_is_string(json_object_get(a, "name")) &&
		    strcmp(json_string_value(json_object_get(a, "name")), name) == 0)
			return true;
	return false;
}

static bool result_in(void *ctx)
{
	return ((struct result *)ctx)->called;
}

static bool prov_idle(void *ctx)
{
	return !gw_prov_busy(((struct mqtt_fixture *)ctx)->app.core.prov);
}

static bool oob_asked(void *ctx)
{
	return event_about(ctx, "provisioning_oob_required", LAMP3_UUID) != NULL;
}

/* The device shows its number once meshgate asks for it. */
static bool oob_shown(void *ctx)
{
	return ((struct mqtt_fixture *)ctx)->shown_oob[0] != '\0';
}

static void test_on_stairway(void **state)
{
	static const char *const configured[] = { "stairway/lamp 1", "stairway/lamp 2",
						   "stairway/switch top", "stairway/sensor" };
	struct mqtt_fixture *f = calloc(1, sizeof(*f));
	struct mqtt_fixture_options o = { .tag = "detail" };
	struct result prov = { 0 }, r = { 0 };
	json_t *events = json_array(), *j, *p;
	char params[64];

	(void)state;
	assert_non_null(f);
	mqtt_fixture_open(f, &o);
	assert_int_equal(gw_events_subscribe(&f->app.events, record_event, events), 0);
	for (size_t i = 0; i < 4; i++) {
		char want[64];

		snprintf(want, sizeof(want), "\"name\":\"%s\"", configured[i]);
		assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/event", "node_configured",
						   want, 0, 90000));
	}

	/* Discovery: the OOB Information by name, and the configured name. */
	j = event_about(events, "device_discovered", LAMP1_UUID);
	assert_non_null(j);
	assert_int_at(j, "oob_info", 0x0800);
	assert_names_at(j, "oob_info_names", "on_box");
	assert_str_at(j, "name", "stairway/lamp 1");
	assert_true(json_is_integer(at(j, "rssi")));

	/* What the bootstrap's devices offered, and what meshgate chose. */
	j = event_about(events, "provisioning_capabilities", SENSOR_UUID);
	assert_non_null(j);
	assert_int_at(j, "elements", 1);
	assert_bool_at(j, "static_oob", true);
	assert_bool_at(j, "public_key_oob", false);
	assert_null_at(j, "output_oob");
	assert_null_at(j, "input_oob");
	assert_str_at(j, "method", "static");
	assert_str_at(j, "public_key", "in-band");
	assert_str_at(j, "name", "stairway/sensor");
	j = event_about(events, "provisioning_capabilities", LAMP2_UUID);
	assert_non_null(j);
	assert_names_at(j, "algorithms", "CMAC-AES128");
	assert_str_at(j, "algorithm", "CMAC-AES128");
	assert_bool_at(j, "static_oob", false);
	assert_str_at(j, "method", "none");
	j = event_about(events, "provisioning_capabilities", LAMP1_UUID);
	assert_non_null(j);
	assert_names_at(j, "algorithms", "CMAC-AES128,HMAC-SHA256");

	/* Lamp 3 by hand through gw_api_call_ex: it shows 4 digits. The last
	 * bootstrap session closes its link first. */
	assert_true(test_uv_run_until(&f->loop, prov_idle, f, 10000));
	f->shown_oob[0] = '\0';
	expect_error(&f->api, "oob", "{\"value\":\"1234\"}", GW_API_ERR_FAILED,
		     "no provisioning session is waiting");
	expect_error(&f->api, "provision", "{\"uuid\":\"" LAMP1_UUID "\"}", GW_API_ERR_PARAMS,
		     "already a node");
	p = json_pack("{s:s,s:s}", "uuid", LAMP3_UUID, "name", "stairway/lamp 3");
	gw_api_call_ex(&f->api, "provision", p, on_result, &prov);
	json_decref(p);
	assert_false(prov.called);
	/* One session at a time: a valid request that cannot be done now. */
	expect_error(&f->api, "provision", "{\"uuid\":\"" LAMP4_UUID "\"}", GW_API_ERR_FAILED,
		     "another device is being provisioned");
	assert_true(test_uv_run_until(&f->loop, oob_asked, events, 30000));
	assert_true(test_uv_run_until(&f->loop, oob_shown, f, 5000));
	j = event_about(events, "provisioning_capabilities", LAMP3_UUID);
	assert_non_null(j);
	assert_int_at(j, "output_oob/size", 4);
	assert_names_at(j, "output_oob/actions", "numeric");
	assert_null_at(j, "input_oob");
	assert_str_at(j, "method", "output");
	assert_str_at(j, "action", "numeric");
	assert_int_at(j, "size", 4);
	j = event_about(events, "provisioning_oob_required", LAMP3_UUID);
	assert_non_null(j);
	assert_str_at(j, "action_name", "numeric");
	/* A value that cannot be what it shows: the parameter is wrong, and
	 * the session goes on waiting. */
	expect_error(&f->api, "oob", "{\"value\":\"12ab\"}", GW_API_ERR_PARAMS, "the value must");
	snprintf(params, sizeof(params), "{\"value\":\"%s\"}", f->shown_oob);
	call_now(&f->api, "oob", params, &r);
	assert_int_equal(r.kind, GW_API_OK);
	result_clear(&r);
	assert_true(test_uv_run_until(&f->loop, result_in, &prov, 30000));
	assert_int_equal(prov.kind, GW_API_OK);
	assert_str_at(prov.data, "name", "stairway/lamp 3");
	result_clear(&prov);
	gw_events_unsubscribe(&f->app.events, record_event, events);
	json_decref(events);

	/* node/info as MQTT users ask for it. */
	j = mqtt_fixture_request_ok(f, "node/info", "{\"node\":\"stairway/switch top\"}", 10000);
	assert_non_null(j);
	assert_bool_at(j, "configured", true);
	assert_int_at(j, "cid", 0x05f1);
	assert_int_at(j, "pid", 0x0202);
	assert_int_equal(json_array_size(at(j, "elements")), 2);
	assert_str_at(j, "elements/0/location", "0x010d");
	assert_str_at(j, "elements/1/location", "0x010e");
	assert_str_at(j, "elements/0/name", "stairway/switch top left");
	for (size_t i = 0; i < json_array_size(at(j, "elements/0/models")); i++) {
		char path[64];

		snprintf(path, sizeof(path), "elements/0/models/%zu/id", i);
		if (strcmp(json_string_value(at(j, path)), "0x1001") != 0)
			continue;
		snprintf(path, sizeof(path), "elements/0/models/%zu/", i);
		assert_str_at(at(j, path), "name", "Generic OnOff Client");
		assert_int_at(at(j, path), "app_keys/0", 0);
		assert_str_at(at(j, path), "publish/name", "stairway lights");
		break;
	}
	assert_str_at(j, "heartbeat/publication/destination", "0xfeff");
	assert_int_at(j, "heartbeat/publication/period_s", 2);
	assert_int_at(j, "app_keys/0/index", 0);
	json_decref(j);

	j = mqtt_fixture_request_ok(f, "node/info", "{\"node\":\"stairway/sensor\"}", 10000);
	assert_non_null(j);
	assert_str_at(j, "elements/0/name", "stairway/sensor");
	{
		bool vendor = false, sensor = false;
		size_t i;
		json_t *m;

		json_array_foreach(at(j, "elements/0/models"), i, m) {
			const char *id = json_string_value(json_object_get(m, "id"));

			if (strcmp(id, "0x05f1:0x0001") == 0) {
				vendor = true;
				assert_null_at(m, "name");
				assert_bool_at(m, "vendor", true);
			} else if (strcmp(id, "0x1100") == 0) {
				sensor = true;
				assert_str_at(m, "name", "Sensor Server");
				assert_int_at(m, "app_keys/0", 0);
			}
		}
		assert_true(vendor && sensor);
	}
	json_decref(j);

	j = mqtt_fixture_request_ok(f, "node/info", "{\"node\":\"stairway/lamp 1\"}", 10000);
	assert_non_null(j);
	assert_bool_at(j, "features/relay/supported", true);
	{
		bool member = false;
		size_t i;
		json_t *m;

		json_array_foreach(at(j, "elements/0/models"), i, m)
			if (strcmp(json_string_value(json_object_get(m, "id")), "0x1000") == 0)
				member = subscribed_to(m, "stairway lights");
		assert_true(member);
	}
	json_decref(j);
	mqtt_fixture_request_error(f, "node/info", "{\"node\":\"nobody\"}", "no node called");

	/* Log lines from the running gateway reach the event stream. */
	{
		struct log_watch w = { .app = &f->app };

		assert_int_equal(gw_events_subscribe(&f->app.events, on_log_event, &w), 0);
		gw_app_log_line(&f->app, MESH_LOG_INFO, "test", "hello");
		assert_int_equal(w.events, 1);
		gw_events_unsubscribe(&f->app.events, on_log_event, &w);
	}
	mqtt_fixture_close(f);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_node_info_lamp, detail_setup, detail_teardown),
		cmocka_unit_test_setup_teardown(test_node_info_lookup, detail_setup,
						detail_teardown),
		cmocka_unit_test_setup_teardown(test_ctl_temperature_element, detail_setup,
						detail_teardown),
		cmocka_unit_test_setup_teardown(test_error_kinds, detail_setup, detail_teardown),
		cmocka_unit_test_setup_teardown(test_log_lines, detail_setup, detail_teardown),
		cmocka_unit_test(test_oob_info_names),
		cmocka_unit_test(test_on_stairway),
	};

	mesh_log_set_level(getenv("TEST_LOG_ECHO") ? MESH_LOG_DEBUG : MESH_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
