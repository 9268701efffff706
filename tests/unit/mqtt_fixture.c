/* The end-to-end MQTT fixture (mqtt_fixture.h). */
#include "mqtt_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/gateway_config.h"
#include "mesh/log.h"
#include "ha_schema.h"
#include "uv_helpers.h"

#define HEARTBEAT_PERIOD_S 2
#define STOP_WAIT_MS 5000

/* ---- Home Assistant's side -------------------------------------------------------- */

static void ha_connected(void *ctx, bool reconnect)
{
	struct mqtt_fixture *f = ctx;

	(void)reconnect;
	f->ha_connected = true;
	mqtt_conn_subscribe(f->ha, "#", 0);
}

static void ha_disconnected(void *ctx, const char *reason, unsigned int retry_ms)
{
	struct mqtt_fixture *f = ctx;

	(void)reason;
	(void)retry_ms;
	f->ha_connected = false;
}

static bool msgs_grow(struct mqtt_fixture *f)
{
	size_t cap = f->cap_msgs ? f->cap_msgs * 2 : 1024;
	struct mqtt_msg **grown = realloc(f->msgs, cap * sizeof(*grown));

	if (!grown)
		return false;
	f->msgs = grown;
	f->cap_msgs = cap;
	return true;
}

static void ha_message(void *ctx, const char *topic, const uint8_t *payload, size_t len,
		       bool retained)
{
	struct mqtt_fixture *f = ctx;
	struct mqtt_msg *m;

	if (f->n_msgs == f->cap_msgs && !msgs_grow(f)) {
		f->msgs_lost = true;
		return;
	}
	m = calloc(1, sizeof(*m));
	if (m) {
		m->topic = strdup(topic);
		m->payload = strndup((const char *)payload, len);
		m->retained = retained;
	}
	if (!m || !m->topic || !m->payload) {
		if (m) {
			free(m->topic);
			free(m->payload);
		}
		free(m);
		f->msgs_lost = true;
		return;
	}
	f->msgs[f->n_msgs++] = m;
	if (f->echo)
		fprintf(stderr, "mqtt %s%s: %.300s\n", topic, retained ? " (retained)" : "",
			m->payload);
}

static const struct mqtt_conn_ops ha_ops = {
	.connected = ha_connected,
	.disconnected = ha_disconnected,
	.message = ha_message,
};

void mqtt_fixture_publish(struct mqtt_fixture *f, const char *topic, const char *payload)
{
	assert_int_equal(mqtt_conn_publish(f->ha, topic, payload, strlen(payload), 1, false), 0);
}

/* ---- waiting for messages ---------------------------------------------------------------- */

struct wait_msg {
	struct mqtt_fixture *f;
	const char *topic;
	const char *contains;   /* NULL: any payload */
	const char *contains2;  /* and this too, if set */
	bool empty;             /* only an empty payload (a cleared topic) */
	size_t since;
	const struct mqtt_msg *got;
};

static bool msg_arrived(void *ctx)
{
	struct wait_msg *w = ctx;

	for (size_t i = w->since; i < w->f->n_msgs; i++) {
		const struct mqtt_msg *m = w->f->msgs[i];

		if (strcmp(m->topic, w->topic) == 0 && (!w->empty || !m->payload[0]) &&
		    (!w->contains || strstr(m->payload, w->contains)) &&
		    (!w->contains2 || strstr(m->payload, w->contains2))) {
			w->got = m;
			return true;
		}
	}
	/* Nothing before this index matches: do not look at it again. */
	w->since = w->f->n_msgs;
	return false;
}

/* What did come on the topic, the last few: a failed wait shows what the
 * gateway said instead (a failed configuration, another name). */
static void print_recent(const struct wait_msg *w)
{
	const struct mqtt_fixture *f = w->f;
	size_t shown = 0, first = f->n_msgs;

	while (first > w->since && shown < 12)
		shown += strcmp(f->msgs[--first]->topic, w->topic) == 0;
	for (size_t i = first; i < f->n_msgs; i++)
		if (strcmp(f->msgs[i]->topic, w->topic) == 0)
			fprintf(stderr, "  had: %.300s\n", f->msgs[i]->payload);
}

static const struct mqtt_msg *wait_msg(struct wait_msg *w, unsigned int timeout_ms)
{
	test_uv_run_until(&w->f->loop, msg_arrived, w, timeout_ms);
	assert_false(w->f->msgs_lost);
	if (!w->got) {
		fprintf(stderr, "no message on %s %s %s%s%s\n", w->topic,
			w->empty ? "clearing it" : "containing",
			w->contains ? w->contains : w->empty ? "" : "(anything)",
			w->contains2 ? " and " : "", w->contains2 ? w->contains2 : "");
		print_recent(w);
	}
	return w->got;
}

const struct mqtt_msg *mqtt_fixture_wait2(struct mqtt_fixture *f, const char *topic,
					  const char *contains, const char *contains2,
					  size_t since, unsigned int timeout_ms)
{
	struct wait_msg w = { f, topic, contains, contains2, false, since, NULL };

	return wait_msg(&w, timeout_ms);
}

const struct mqtt_msg *mqtt_fixture_wait_cleared(struct mqtt_fixture *f, const char *topic,
						 size_t since, unsigned int timeout_ms)
{
	struct wait_msg w = { f, topic, NULL, NULL, true, since, NULL };

	return wait_msg(&w, timeout_ms);
}

const struct mqtt_msg *mqtt_fixture_wait(struct mqtt_fixture *f, const char *topic,
					 const char *contains, size_t since,
					 unsigned int timeout_ms)
{
	return mqtt_fixture_wait2(f, topic, contains, NULL, since, timeout_ms);
}

const struct mqtt_msg *mqtt_fixture_last(const struct mqtt_fixture *f, const char *topic,
					 size_t since)
{
	for (size_t i = f->n_msgs; i > since; i--)
		if (strcmp(f->msgs[i - 1]->topic, topic) == 0)
			return f->msgs[i - 1];
	return NULL;
}

json_t *mqtt_msg_json(const struct mqtt_msg *m)
{
	json_error_t je;
	json_t *j = json_loads(m->payload, 0, &je);

	if (!j)
		fail_msg("%s: not JSON (%s): %.200s", m->topic, je.text, m->payload);
	return j;
}

/* ---- requests ------------------------------------------------------------------------- */

static const char *member_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

json_t *mqtt_fixture_request(struct mqtt_fixture *f, const char *method, const char *params,
			     unsigned int timeout_ms)
{
	const char *base = f->app.cfg.mqtt.base_topic;
	char topic[GW_CONFIG_STR_MAX + 160], tx[64], want[96];
	json_t *p = params ? json_loads(params, 0, NULL) : json_object();
	const struct mqtt_msg *m;
	size_t since = f->n_msgs;
	char *text;

	if (!json_is_object(p))
		fail_msg("request %s: the test's parameters are not a JSON object: %s", method,
			 params);
	snprintf(tx, sizeof(tx), "tx-%u", ++f->transactions);
	json_object_set_new(p, "transaction", json_string(tx));
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	assert_non_null(text);
	snprintf(topic, sizeof(topic), "%s/bridge/request/%.100s", base, method);
	mqtt_fixture_publish(f, topic, text);
	free(text);
	snprintf(topic, sizeof(topic), "%s/bridge/response/%.100s", base, method);
	snprintf(want, sizeof(want), "\"transaction\":\"%s\"", tx);
	m = mqtt_fixture_wait(f, topic, want, since, timeout_ms);
	return m ? mqtt_msg_json(m) : NULL;
}

json_t *mqtt_fixture_request_ok(struct mqtt_fixture *f, const char *method, const char *params,
				unsigned int timeout_ms)
{
	json_t *r = mqtt_fixture_request(f, method, params, timeout_ms);
	json_t *data;
	char why[400];

	if (!r)
		fail_msg("request %s %s: no answer in %u ms", method, params ? params : "",
			 timeout_ms);
	if (strcmp(member_str(r, "status"), "ok") != 0) {
		/* Freed before failing: a failed test leaks nothing. */
		snprintf(why, sizeof(why), "request %s %s: %s", method, params ? params : "",
			 member_str(r, "error"));
		json_decref(r);
		fail_msg("%s", why);
	}
	data = json_incref(json_object_get(r, "data"));
	json_decref(r);
	assert_non_null(data);
	return data;
}

void mqtt_fixture_request_error(struct mqtt_fixture *f, const char *method, const char *params,
				const char *expect)
{
	json_t *r = mqtt_fixture_request(f, method, params, 10000);
	const char *error;
	char why[400];

	if (!r)
		fail_msg("request %s %s: no answer", method, params ? params : "");
	error = json_string_value(json_object_get(r, "error"));
	if (strcmp(member_str(r, "status"), "error") != 0 || !error || !strstr(error, expect) ||
	    json_object_get(r, "data")) {
		snprintf(why, sizeof(why), "request %s %s: want an error with \"%s\", got %s",
			 method, params ? params : "", expect, error ? error : "ok");
		json_decref(r);
		fail_msg("%s", why);
	}
	json_decref(r);
}

/* ---- the simulated devices ----------------------------------------------------------------- */

struct sim_device *mqtt_fixture_device(struct mqtt_fixture *f, const char *name)
{
	struct sim_device *d = sim_world_find(f->radio.world, name);

	if (!d)
		fail_msg("no simulated device %s", name);
	return d;
}

bool mqtt_fixture_lamps_are(struct mqtt_fixture *f, const char *const *names, int want)
{
	for (; *names; names++)
		if (sim_device_light_onoff(mqtt_fixture_device(f, *names), 0) != want)
			return false;
	return true;
}

struct lamp_wait {
	struct mqtt_fixture *f;
	const char *const *names;
	int want;
};

static bool lamps_reached(void *ctx)
{
	struct lamp_wait *w = ctx;

	return mqtt_fixture_lamps_are(w->f, w->names, w->want);
}

bool mqtt_fixture_lamps_wait(struct mqtt_fixture *f, const char *const *names, int want,
			     unsigned int timeout_ms)
{
	struct lamp_wait w = { f, names, want };

	return test_uv_run_until(&f->loop, lamps_reached, &w, timeout_ms);
}

/* ---- discovery as Home Assistant checks it --------------------------------------------- */

static bool is_discovery(const struct mqtt_fixture *f, const char *topic)
{
	const char *prefix = f->app.cfg.homeassistant.discovery_prefix;
	size_t plen = strlen(prefix), tlen = strlen(topic);

	return strncmp(topic, prefix, plen) == 0 && topic[plen] == '/' && tlen > 7 &&
	       strcmp(topic + tlen - 7, "/config") == 0;
}

/* Index of the last message on topic (there is one: i's). */
static size_t last_on(const struct mqtt_fixture *f, const char *topic)
{
	for (size_t i = f->n_msgs; i > 0; i--)
		if (strcmp(f->msgs[i - 1]->topic, topic) == 0)
			return i - 1;
	return 0;
}

size_t mqtt_fixture_check_discovery(struct mqtt_fixture *f)
{
	const char *prefix = f->app.cfg.homeassistant.discovery_prefix;
	const char *base = f->app.cfg.mqtt.base_topic;
	struct ha_schema_msg *set = calloc(f->n_msgs + 1, sizeof(*set));
	json_t **configs = calloc(f->n_msgs + 1, sizeof(*configs));
	char why[HA_SCHEMA_WHY_MAX];
	size_t n = 0;

	assert_non_null(set);
	assert_non_null(configs);
	for (size_t i = 0; i < f->n_msgs; i++) {
		const struct mqtt_msg *m = f->msgs[i];
		json_t *config;

		if (!is_discovery(f, m->topic) || !m->payload[0])
			continue;
		config = mqtt_msg_json(m);
		if (!ha_schema_check_message(prefix, base, m->topic, config, why, sizeof(why)))
			fail_msg("Home Assistant would refuse %s: %s\n%s", m->topic, why,
				 m->payload);
		/* The latest of its topic goes into the set Home Assistant holds. */
		if (last_on(f, m->topic) == i) {
			set[n].topic = m->topic;
			set[n].config = config;
			configs[n++] = config;
		} else {
			json_decref(config);
		}
	}
	if (!ha_schema_check_set(prefix, base, set, n, why, sizeof(why)))
		fail_msg("Home Assistant's discovery set: %s", why);
	for (size_t i = 0; i < n; i++)
		json_decref(configs[i]);
	free(configs);
	free(set);
	return n;
}

/* ---- the gateway ----------------------------------------------------------------- */

static void on_rx(void *ctx, const struct mesh_adv_rx *rx)
{
	gw_app_bearer_rx(ctx, rx);
}

static void on_state(void *ctx, bool up)
{
	(void)ctx;
	(void)up;
}

static void sim_shows(void *ctx, const struct sim_device *d, uint8_t action, const char *value)
{
	struct mqtt_fixture *f = ctx;

	(void)d;
	(void)action;
	snprintf(f->shown_oob, sizeof(f->shown_oob), "%s", value);
}

/* The configuration with the fixture's broker, timing and directory. */
static void load_config(struct mqtt_fixture *f, struct gw_config *cfg)
{
	char err[2048];
	int rc;

	if (f->config_yaml)
		rc = gw_config_load_string(cfg, f->config_yaml, strlen(f->config_yaml), "test.yaml",
					   err, sizeof(err));
	else
		rc = gw_config_load_builtin(cfg, err, sizeof(err));
	if (rc)
		fail_msg("configuration: %s", err);
	snprintf(cfg->mqtt.server, sizeof(cfg->mqtt.server), "%s", f->broker.url);
	cfg->mqtt.reconnect_max_s = 1;
	cfg->mesh.heartbeat_period_s = HEARTBEAT_PERIOD_S;
	snprintf(cfg->mesh.data_dir, sizeof(cfg->mesh.data_dir), "%s/data", f->dir);
}

static void open_gateway(struct mqtt_fixture *f)
{
	struct radio_config rc;
	struct gw_config cfg;
	struct gw_app_options ao = { 0 };
	char err[2048];

	radio_config_default(&rc);
	if (radio_open(&f->radio, &f->loop, &rc, err, sizeof(err)))
		fail_msg("radio: %s", err);
	f->observer.on_prov_output = sim_shows;
	f->observer.ctx = f;
	sim_world_set_observer(f->radio.world, &f->observer);
	assert_int_equal(mesh_uv_timers_init(&f->timers, &f->loop), 0);

	load_config(f, &cfg);
	ao.demo_scenario = &f->radio.scenario;
	ao.bearer_desc = "simulator";
	if (gw_app_open(&f->app, &f->timers.timers, radio_bearer(&f->radio), &cfg, &ao, err,
			sizeof(err)))
		fail_msg("gateway: %s", err);
	gw_config_free(&cfg);
	radio_bearer(&f->radio)->rx = on_rx;
	radio_bearer(&f->radio)->state = on_state;
	radio_bearer(&f->radio)->ctx = &f->app;
	assert_int_equal(gw_api_init(&f->api, &f->app), 0);
	if (bridge_open(&f->bridge, &f->loop, &f->app, &f->api, &f->app.cfg, err, sizeof(err)))
		fail_msg("bridge: %s", err);
}

static void open_home_assistant(struct mqtt_fixture *f)
{
	struct mqtt_conn_options ho = { 0 };
	char err[512];

	ho.server = f->broker.url;
	ho.client_id = "home-assistant";
	ho.version = 4;
	ho.keepalive_s = 30;
	ho.reconnect_min_ms = 100;
	ho.reconnect_max_s = 1;
	if (mqtt_conn_create(&f->ha, &f->loop, &ho, &ha_ops, f, err, sizeof(err)))
		fail_msg("Home Assistant's client: %s", err);
	assert_int_equal(mqtt_conn_start(f->ha), 0);
}

void mqtt_fixture_open(struct mqtt_fixture *f, const struct mqtt_fixture_options *opts)
{
	memset(f, 0, sizeof(*f));
	f->config_yaml = opts->config_yaml;
	f->echo = getenv("TEST_MQTT_ECHO") && *getenv("TEST_MQTT_ECHO") == '1';
	mesh_log_set_level(getenv("TEST_LOG_ECHO") ? MESH_LOG_DEBUG : MESH_LOG_ERROR);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(test_broker_start(&f->broker, false), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/meshgate-%s-XXXXXX", opts->tag);
	assert_non_null(mkdtemp(f->dir));
	open_gateway(f);
	open_home_assistant(f);
	/* A long discovery window: the demo bootstrap provisions the
	 * `provision: auto` devices as their beacons are heard. */
	gw_prov_scan(f->app.core.prov, 3600);
	gw_app_start(&f->app);
}

void mqtt_fixture_reload(struct mqtt_fixture *f)
{
	struct gw_config cfg;
	char err[512];

	load_config(f, &cfg);
	if (gw_app_reload(&f->app, &cfg, err, sizeof(err)))
		fail_msg("reload: %s", err);
	gw_config_free(&cfg);
}

static void bridge_stopped(void *ctx)
{
	((struct mqtt_fixture *)ctx)->bridge_stopped = true;
}

static bool is_stopped(void *ctx)
{
	return ((struct mqtt_fixture *)ctx)->bridge_stopped;
}

void mqtt_fixture_close(struct mqtt_fixture *f)
{
	char cmd[128];

	bridge_stop(&f->bridge, bridge_stopped, f);
	test_uv_run_until(&f->loop, is_stopped, f, STOP_WAIT_MS);
	gw_api_close(&f->api);
	bridge_close(&f->bridge);
	gw_app_close(&f->app);
	mesh_uv_timers_close(&f->timers);
	mqtt_conn_stop(f->ha, 1000, NULL, NULL);
	test_uv_run_until(&f->loop, NULL, NULL, 300);
	mqtt_conn_destroy(f->ha);
	radio_close(&f->radio);
	test_uv_run_until(&f->loop, NULL, NULL, 100);
	uv_loop_close(&f->loop);
	test_broker_destroy(&f->broker);
	for (size_t i = 0; i < f->n_msgs; i++) {
		free(f->msgs[i]->topic);
		free(f->msgs[i]->payload);
		free(f->msgs[i]);
	}
	free(f->msgs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
}
