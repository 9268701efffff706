/*
 * meshgate on MQTT, end to end, as Home Assistant sees it: a real
 * Mosquitto (broker.c), the gateway application with its API and MQTT
 * bridge on the built-in stairway simulation (in process, behind the
 * in-process HCI link, as `meshgate` runs it with no configuration), and
 * a second MQTT client playing Home Assistant.
 *
 * The tests share one gateway and run in order: the demo bootstrap
 * (provisioning and configuring part of the stairway by itself), lamp and
 * group commands changing the simulated lamps, a wall-switch press,
 * heartbeats and availability, provisioning with Output OOB through
 * bridge/request, malformed payloads, a broker restart, node removal.
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

#include <cmocka.h>
#include <jansson.h>

#include "bridge/bridge.h"
#include "bridge/mqtt_conn.h"
#include "config/gateway_config.h"
#include "gateway/api.h"
#include "gateway/app.h"
#include "gateway/radio.h"
#include "mesh/log.h"
#include "mesh/sim/world.h"
#include "mesh/uv_timers.h"
#include "broker.h"
#include "uv_helpers.h"

#define MSGS_MAX 4096
#define LAMP3_UUID "02da705d-5822-415f-84ad-3d66db9da905"

struct msg {
	char *topic;
	char *payload;
	bool retained;
};

struct fixture {
	uv_loop_t loop;
	struct test_broker broker;
	struct radio radio;
	struct mesh_uv_timers timers;
	struct gw_app app;
	struct gw_api api;
	struct bridge bridge;
	struct mqtt_conn *ha;           /* "Home Assistant" */
	bool ha_connected;
	struct msg msgs[MSGS_MAX];
	size_t n_msgs;
	char dir[64];
	char shown_oob[16];             /* what a simulated device displays */
	bool bridge_stopped;
};

static struct fixture *fx;

/* ---- Home Assistant's side -------------------------------------------------------- */

static void ha_connected(void *ctx, bool reconnect)
{
	struct fixture *f = ctx;

	(void)reconnect;
	f->ha_connected = true;
	mqtt_conn_subscribe(f->ha, "#", 0);
}

static void ha_disconnected(void *ctx, const char *reason, unsigned int retry_ms)
{
	struct fixture *f = ctx;

	(void)reason;
	(void)retry_ms;
	f->ha_connected = false;
}

static void ha_message(void *ctx, const char *topic, const uint8_t *payload, size_t len,
		       bool retained)
{
	struct fixture *f = ctx;
	struct msg *m;

	if (f->n_msgs == MSGS_MAX)
		return;
	m = &f->msgs[f->n_msgs++];
	m->topic = strdup(topic);
	m->payload = strndup((const char *)payload, len);
	m->retained = retained;
}

static const struct mqtt_conn_ops ha_ops = {
	.connected = ha_connected,
	.disconnected = ha_disconnected,
	.message = ha_message,
};

static void ha_publish(struct fixture *f, const char *topic, const char *payload)
{
	assert_int_equal(mqtt_conn_publish(f->ha, topic, payload, strlen(payload), 1, false), 0);
}

struct wait_msg {
	struct fixture *f;
	const char *topic;
	const char *contains;   /* NULL: any payload */
	const char *contains2;  /* and this too, if set */
	size_t since;
	const struct msg *got;
};

static bool msg_arrived(void *ctx)
{
	struct wait_msg *w = ctx;

	for (size_t i = w->since; i < w->f->n_msgs; i++) {
		const struct msg *m = &w->f->msgs[i];

		if (strcmp(m->topic, w->topic) == 0 &&
		    (!w->contains || strstr(m->payload, w->contains)) &&
		    (!w->contains2 || strstr(m->payload, w->contains2))) {
			w->got = m;
			return true;
		}
	}
	return false;
}

static const struct msg *last_msg(const struct fixture *f, const char *topic, size_t since)
{
	for (size_t i = f->n_msgs; i > since; i--)
		if (strcmp(f->msgs[i - 1].topic, topic) == 0)
			return &f->msgs[i - 1];
	return NULL;
}

static const struct msg *wait_for(struct fixture *f, const char *topic, const char *contains,
				  size_t since, unsigned int timeout_ms)
{
	struct wait_msg w = { f, topic, contains, NULL, since, NULL };

	test_uv_run_until(&f->loop, msg_arrived, &w, timeout_ms);
	if (!w.got)
		fprintf(stderr, "no message on %s containing %s\n", topic,
			contains ? contains : "(anything)");
	return w.got;
}

static const struct msg *wait_for2(struct fixture *f, const char *topic, const char *a,
				   const char *b, unsigned int timeout_ms)
{
	struct wait_msg w = { f, topic, a, b, 0, NULL };

	test_uv_run_until(&f->loop, msg_arrived, &w, timeout_ms);
	if (!w.got)
		fprintf(stderr, "no message on %s containing %s and %s\n", topic, a, b);
	return w.got;
}

static json_t *payload_json(const struct msg *m)
{
	json_t *j = json_loads(m->payload, 0, NULL);

	assert_non_null(j);
	return j;
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
	struct fixture *f = ctx;

	(void)d;
	(void)action;
	snprintf(f->shown_oob, sizeof(f->shown_oob), "%s", value);
}

static struct sim_world_observer observer = {
	.on_prov_output = sim_shows,
};

static struct sim_device *device(struct fixture *f, const char *name)
{
	struct sim_device *d = sim_world_find(f->radio.world, name);

	assert_non_null(d);
	return d;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct radio_config rc;
	struct gw_config cfg;
	struct gw_app_options ao = { 0 };
	struct mqtt_conn_options ho = { 0 };
	char err[2048];

	assert_non_null(f);
	fx = f;
	mesh_log_set_level(getenv("TEST_LOG_ECHO") ? MESH_LOG_DEBUG : MESH_LOG_ERROR);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(test_broker_start(&f->broker, false), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/meshgate-mqtt-XXXXXX");
	assert_non_null(mkdtemp(f->dir));

	radio_config_default(&rc);
	assert_int_equal(radio_open(&f->radio, &f->loop, &rc, err, sizeof(err)), 0);
	observer.ctx = f;
	sim_world_set_observer(f->radio.world, &observer);
	assert_int_equal(mesh_uv_timers_init(&f->timers, &f->loop), 0);

	/* The demo configuration, as `meshgate` runs it without a file, on
	 * the test's broker and with heartbeats every 2 s (offline after 6). */
	assert_int_equal(gw_config_load_builtin(&cfg, err, sizeof(err)), 0);
	snprintf(cfg.mqtt.server, sizeof(cfg.mqtt.server), "%s", f->broker.url);
	cfg.mqtt.reconnect_max_s = 1;
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
	assert_int_equal(bridge_open(&f->bridge, &f->loop, &f->app, &f->api, &f->app.cfg, err,
				     sizeof(err)), 0);

	ho.server = f->broker.url;
	ho.client_id = "home-assistant";
	ho.version = 4;
	ho.keepalive_s = 30;
	ho.reconnect_min_ms = 100;
	ho.reconnect_max_s = 1;
	assert_int_equal(mqtt_conn_create(&f->ha, &f->loop, &ho, &ha_ops, f, err, sizeof(err)), 0);
	assert_int_equal(mqtt_conn_start(f->ha), 0);

	gw_prov_scan(f->app.core.prov, 3600);
	gw_app_start(&f->app);
	*state = f;
	return 0;
}

static void bridge_stopped(void *ctx)
{
	((struct fixture *)ctx)->bridge_stopped = true;
}

static bool is_stopped(void *ctx)
{
	return ((struct fixture *)ctx)->bridge_stopped;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	bridge_stop(&f->bridge, bridge_stopped, f);
	test_uv_run_until(&f->loop, is_stopped, f, 5000);
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
		free(f->msgs[i].topic);
		free(f->msgs[i].payload);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* ---- the tests --------------------------------------------------------------------- */

/* The first start provisions and configures the `provision: auto` part of
 * the stairway by itself; Home Assistant is told about all of it. */
static void test_demo_bootstrap(void **state)
{
	struct fixture *f = *state;
	static const char *const configured[] = { "stairway/lamp 1", "stairway/lamp 2",
						   "stairway/switch top", "stairway/sensor" };
	const struct msg *m;
	json_t *j;

	assert_non_null(wait_for(f, "meshgate/bridge/state", "online", 0, 5000));
	for (size_t i = 0; i < 4; i++) {
		char want[64];

		/* provisioned, then configured */
		snprintf(want, sizeof(want), "\"name\":\"%s\"", configured[i]);
		assert_non_null(wait_for2(f, "meshgate/bridge/event", "provisioning_complete", want,
					  60000));
		assert_non_null(wait_for2(f, "meshgate/bridge/event", "node_configured", want,
					  60000));
	}
	/* The lamps' discovery: a JSON-schema light with brightness. */
	m = wait_for(f, "meshgate/bridge/nodes", "stairway/sensor", 0, 20000);
	assert_non_null(m);
	for (size_t i = 0; i < f->n_msgs; i++) {
		const struct msg *d = &f->msgs[i];

		if (strncmp(d->topic, "homeassistant/light/", 20) != 0 || !d->payload[0] ||
		    !strstr(d->payload, "stairway/lamp 1/set"))
			continue;
		j = payload_json(d);
		assert_string_equal(json_string_value(json_object_get(j, "schema")), "json");
		assert_string_equal(json_string_value(json_object_get(j, "command_topic")),
				    "meshgate/stairway/lamp 1/set");
		json_decref(j);
		return;
	}
	fail_msg("no light discovery for stairway/lamp 1");
}

struct lamp_wait {
	struct fixture *f;
	const char *names[4];
	int want;
};

static bool lamps_are(void *ctx)
{
	struct lamp_wait *w = ctx;

	for (size_t i = 0; i < 4 && w->names[i]; i++)
		if (sim_device_light_onoff(sim_world_find(w->f->radio.world, w->names[i]), 0) !=
		    w->want)
			return false;
	return true;
}

static void test_set_lamp(void **state)
{
	struct fixture *f = *state;
	struct lamp_wait w = { f, { "stair-lamp-1" }, 1 };
	size_t since = f->n_msgs;
	const struct msg *m;
	json_t *j;

	ha_publish(f, "meshgate/stairway/lamp 1/set", "{\"state\":\"ON\",\"brightness\":128}");
	assert_true(test_uv_run_until(&f->loop, lamps_are, &w, 5000));
	m = wait_for(f, "meshgate/stairway/lamp 1", "\"brightness\":128", since, 5000);
	assert_non_null(m);
	j = payload_json(m);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "ON");
	json_decref(j);

	since = f->n_msgs;
	w.want = 0;
	ha_publish(f, "meshgate/stairway/lamp 1/set", "{\"state\":\"OFF\"}");
	assert_true(test_uv_run_until(&f->loop, lamps_are, &w, 5000));
	assert_non_null(wait_for(f, "meshgate/stairway/lamp 1", "\"state\":\"OFF\"", since, 5000));
}

static void test_set_group(void **state)
{
	struct fixture *f = *state;
	struct lamp_wait w = { f, { "stair-lamp-1", "stair-lamp-2" }, 1 };
	size_t since = f->n_msgs;

	ha_publish(f, "meshgate/stairway lights/set", "{\"state\":\"ON\"}");
	assert_true(test_uv_run_until(&f->loop, lamps_are, &w, 5000));
	assert_non_null(wait_for(f, "meshgate/stairway lights", "\"state\":\"ON\"", since, 5000));
	assert_non_null(wait_for(f, "meshgate/stairway/lamp 2", "\"state\":\"ON\"", since, 5000));

	since = f->n_msgs;
	w.want = 0;
	ha_publish(f, "meshgate/stairway lights/set", "{\"state\":\"OFF\"}");
	assert_true(test_uv_run_until(&f->loop, lamps_are, &w, 5000));
	assert_non_null(wait_for(f, "meshgate/stairway lights", "\"state\":\"OFF\"", since, 5000));
}

static void test_switch_press(void **state)
{
	struct fixture *f = *state;
	struct lamp_wait w = { f, { "stair-lamp-1", "stair-lamp-2" }, 1 };
	size_t since = f->n_msgs;

	assert_int_equal(sim_device_press(device(f, "switch-top"), 0, 1), 0);
	assert_non_null(wait_for(f, "meshgate/stairway/switch top left/action", "on", since, 5000));
	/* The stairway's radio loses packets (2% a link, lamp 2 relaying to
	 * lamp 1): a user whose press got lost presses again. */
	if (!test_uv_run_until(&f->loop, lamps_are, &w, 5000))
		assert_int_equal(sim_device_press(device(f, "switch-top"), 0, 1), 0);
	assert_true(test_uv_run_until(&f->loop, lamps_are, &w, 5000));
	assert_non_null(wait_for(f, "meshgate/stairway lights", "\"state\":\"ON\"", since, 5000));
}

static long hb_member(const struct msg *m, const char *key)
{
	json_t *j = payload_json(m);
	long v = (long)json_integer_value(json_object_get(j, key));

	json_decref(j);
	return v;
}

static void test_heartbeat_hops(void **state)
{
	struct fixture *f = *state;
	size_t since = f->n_msgs;
	const struct msg *m;

	m = wait_for(f, "meshgate/drive/relay 1/heartbeat", "\"hops\"", since, 10000);
	assert_non_null(m);
	assert_int_equal(hb_member(m, "hops"), 1);
	m = wait_for(f, "meshgate/garden light/heartbeat", "\"hops\"", since, 10000);
	assert_non_null(m);
	assert_int_equal(hb_member(m, "hops"), 5);
	assert_true(strstr(m->payload, "\"src\":\"0x0104\"") != NULL);
}

static void test_availability(void **state)
{
	struct fixture *f = *state;
	struct sim_device *garden = device(f, "garden-light");
	size_t since = f->n_msgs;

	sim_world_set_on_air(f->radio.world, garden, false);
	assert_non_null(wait_for(f, "meshgate/garden light/availability", "offline", since, 15000));
	since = f->n_msgs;
	sim_world_set_on_air(f->radio.world, garden, true);
	assert_non_null(wait_for(f, "meshgate/garden light/availability", "online", since, 15000));
}

static void test_provision_output_oob(void **state)
{
	struct fixture *f = *state;
	size_t since = f->n_msgs;
	const struct msg *m;
	char payload[128];

	f->shown_oob[0] = '\0';
	ha_publish(f, "meshgate/bridge/request/provision",
		   "{\"uuid\":\"" LAMP3_UUID "\",\"name\":\"stairway/lamp 3\","
		   "\"transaction\":\"t-1\"}");
	assert_non_null(wait_for(f, "meshgate/bridge/event", "provisioning_oob_required", since,
				 30000));
	assert_true(f->shown_oob[0] != '\0');
	snprintf(payload, sizeof(payload), "{\"value\":\"%s\"}", f->shown_oob);
	ha_publish(f, "meshgate/bridge/request/oob", payload);
	assert_non_null(wait_for(f, "meshgate/bridge/response/oob", "\"ok\"", since, 5000));
	m = wait_for(f, "meshgate/bridge/response/provision", "\"status\"", since, 30000);
	assert_non_null(m);
	assert_non_null(strstr(m->payload, "\"status\":\"ok\""));
	assert_non_null(strstr(m->payload, "\"transaction\":\"t-1\""));
	assert_non_null(wait_for(f, "meshgate/bridge/event", "provisioning_complete", since, 5000));
	/* The configuration's group follows: lamp 3 joins the stairway lights. */
	assert_non_null(wait_for(f, "meshgate/bridge/groups", "stairway/lamp 3", since, 30000));
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *topic, *payload, *answer_topic, *expect;
	} cases[] = {
		{ "meshgate/stairway/lamp 1/set", "{\"state\":", "meshgate/bridge/event",
		  "invalid JSON" },
		{ "meshgate/stairway/lamp 1/set", "[1,2]", "meshgate/bridge/event",
		  "expected a JSON object" },
		{ "meshgate/stairway/lamp 1/set", "{\"brightness\":300}", "meshgate/bridge/event",
		  "brightness" },
		{ "meshgate/stairway/lamp 1/set", "{\"state\":\"MAYBE\"}", "meshgate/bridge/event",
		  "state" },
		{ "meshgate/no such lamp/set", "{\"state\":\"ON\"}", "meshgate/bridge/event",
		  "no such lamp" },
		{ "meshgate/stairway/sensor/set", "{\"state\":\"ON\"}", "meshgate/bridge/event",
		  "not a light" },
		{ "meshgate/bridge/request/frobnicate", "{}", "meshgate/bridge/response/frobnicate",
		  "unknown request" },
		{ "meshgate/bridge/request/node/rename", "{\"node\":\"nobody\",\"name\":\"x\"}",
		  "meshgate/bridge/response/node/rename", "no node called" },
		{ "meshgate/bridge/request/group/add", "{\"name\":\"bad\",\"address\":\"0x8001\"}",
		  "meshgate/bridge/response/group/add", "virtual address" },
		{ "meshgate/bridge/request/provision", "{\"uuid\":\"12\"}",
		  "meshgate/bridge/response/provision", "uuid" },
	};
	struct lamp_wait w = { f, { "stair-lamp-1" }, 0 };
	int lamp_before = sim_device_light_onoff(device(f, "stair-lamp-1"), 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t since = f->n_msgs;
		const struct msg *m;

		ha_publish(f, cases[i].topic, cases[i].payload);
		m = wait_for(f, cases[i].answer_topic, "error", since, 5000);
		assert_non_null(m);
		if (!strstr(m->payload, cases[i].expect))
			fail_msg("%s %s: got %s", cases[i].topic, cases[i].payload, m->payload);
	}
	/* Nothing went to the lamp. */
	w.want = lamp_before;
	assert_true(lamps_are(&w));
}

static bool ha_is_connected(void *ctx)
{
	return ((struct fixture *)ctx)->ha_connected;
}

static void test_reconnect_republishes(void **state)
{
	struct fixture *f = *state;
	struct lamp_wait w = { f, { "stair-lamp-1", "stair-lamp-2" }, 0 };
	size_t since;
	const struct msg *m;

	test_broker_stop(&f->broker);
	/* A change while the broker is away. */
	assert_int_equal(sim_device_press(device(f, "switch-top"), 0, 0), 0);
	assert_true(test_uv_run_until(&f->loop, lamps_are, &w, 5000));
	test_uv_run_until(&f->loop, NULL, NULL, 500);
	since = f->n_msgs;
	assert_int_equal(test_broker_restart(&f->broker), 0);
	assert_true(test_uv_run_until(&f->loop, ha_is_connected, f, 10000));
	/* Everything again, with the state as it is now. */
	assert_non_null(wait_for(f, "meshgate/bridge/state", "online", since, 10000));
	assert_non_null(wait_for(f, "meshgate/bridge/nodes", NULL, since, 10000));
	m = wait_for(f, "meshgate/stairway/lamp 1", "\"state\":\"OFF\"", since, 10000);
	assert_non_null(m);
	assert_non_null(wait_for(f, "meshgate/stairway lights", "\"state\":\"OFF\"", since, 10000));
	assert_non_null(wait_for(f, "meshgate/garden light/availability", "online", since, 10000));
}

static void test_node_remove(void **state)
{
	struct fixture *f = *state;
	size_t since = f->n_msgs;
	const struct msg *m;

	ha_publish(f, "meshgate/bridge/request/node/remove", "{\"node\":\"garden light\"}");
	m = wait_for(f, "meshgate/bridge/response/node/remove", "status", since, 15000);
	assert_non_null(m);
	assert_non_null(strstr(m->payload, "\"status\":\"ok\""));
	assert_non_null(wait_for(f, "meshgate/bridge/event", "node_removed", since, 5000));
	/* The network moves to new keys the removed node does not have. */
	assert_non_null(wait_for2(f, "meshgate/bridge/event", "key_refresh", "\"done\"", 90000));
	/* Home Assistant forgets it: its discovery config is emptied. */
	for (size_t i = since;; i++) {
		test_uv_run_until(&f->loop, NULL, NULL, 50);
		if (i >= f->n_msgs) {
			if (i > since + 4000)
				fail_msg("no empty discovery config for the garden light");
			i = f->n_msgs - 1;
			continue;
		}
		if (strncmp(f->msgs[i].topic, "homeassistant/light/", 20) == 0 &&
		    f->msgs[i].payload[0] == '\0' && strstr(f->msgs[i].topic, "8c6fecfa"))
			break;
	}
	assert_null(gw_registry_node_by_name(&f->app.reg, "garden light"));
	/* The retained node list Home Assistant and dashboards read is the
	 * one without it. */
	test_uv_run_until(&f->loop, NULL, NULL, 200);
	m = last_msg(f, "meshgate/bridge/nodes", since);
	assert_non_null(m);
	assert_null(strstr(m->payload, "garden light"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_bootstrap),
		cmocka_unit_test(test_set_lamp),
		cmocka_unit_test(test_set_group),
		cmocka_unit_test(test_switch_press),
		cmocka_unit_test(test_heartbeat_hops),
		cmocka_unit_test(test_availability),
		cmocka_unit_test(test_provision_output_oob),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_reconnect_republishes),
		cmocka_unit_test(test_node_remove),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
