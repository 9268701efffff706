/*
 * meshgate on MQTT, end to end, as Home Assistant sees it (mqtt_fixture.h:
 * a real Mosquitto, the gateway application with its API and MQTT bridge
 * on the built-in stairway simulation, as `meshgate` runs it with no
 * configuration, and a second MQTT client playing Home Assistant).
 *
 * The tests share one gateway and run in order: the demo bootstrap
 * (provisioning and configuring part of the stairway by itself), lamp and
 * group commands changing the simulated lamps, a wall-switch press,
 * heartbeats and availability, provisioning with Output OOB through
 * bridge/request, malformed payloads, a broker restart, node removal.
 * Every discovery config Home Assistant receives is checked against its
 * schemas (ha_schema.h) after the bootstrap and after provisioning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gateway/registry.h"
#include "mesh/err.h"
#include "mesh/sim/world.h"
#include "mqtt_fixture.h"
#include "uv_helpers.h"

#define LAMP3_UUID "02da705d-5822-415f-84ad-3d66db9da905"

/* The demo's configuration (deploy/config/demo.yaml), built in. */
extern const char meshgate_builtin_config[];
extern const unsigned long meshgate_builtin_config_len;

/* ---- the fixture (mqtt_fixture.h) -------------------------------------------------- */

static int setup(void **state)
{
	static const struct mqtt_fixture_options opts = { .tag = "mqtt" };
	struct mqtt_fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	mqtt_fixture_open(f, &opts);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct mqtt_fixture *f = *state;

	mqtt_fixture_close(f);
	free(f);
	return 0;
}

/* ---- the tests --------------------------------------------------------------------- */

/* The discovery topics heard, each with the size of its latest payload
 * (0: the entity was removed), for a failure to show what was missing. */
static void print_discovery_topics(const struct mqtt_fixture *f)
{
	for (size_t i = 0; i < f->n_msgs; i++) {
		const struct mqtt_msg *m = f->msgs[i];

		if (strncmp(m->topic, "homeassistant/", 14) == 0 &&
		    mqtt_fixture_last(f, m->topic, i + 1) == NULL)
			print_error("  %s (%zu octets)\n", m->topic, strlen(m->payload));
	}
}

/* Every discovery config so far passes Home Assistant's schemas; at least
 * `least` topics hold one. A config follows the event that caused it
 * through the broker, which takes a while on a loaded machine (sanitizers,
 * two cores): it gets up to 10 s to arrive. */
static void assert_discovery_valid(struct mqtt_fixture *f, size_t least)
{
	size_t n = mqtt_fixture_check_discovery(f);

	for (int tries = 0; n < least && tries < 50; tries++) {
		test_uv_run_until(&f->loop, NULL, NULL, 200);
		n = mqtt_fixture_check_discovery(f);
	}
	if (n < least) {
		print_discovery_topics(f);
		fail_msg("only %zu discovery configs, want at least %zu", n, least);
	}
}

/* The first start provisions and configures the `provision: auto` part of
 * the stairway by itself; Home Assistant is told about all of it. */
static void test_demo_bootstrap(void **state)
{
	struct mqtt_fixture *f = *state;
	static const char *const configured[] = { "stairway/lamp 1", "stairway/lamp 2",
						   "stairway/switch top", "stairway/sensor" };
	const struct mqtt_msg *m;
	json_t *j;
	bool found = false;

	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/state", "online", 0, 5000));
	for (size_t i = 0; i < 4; i++) {
		char want[64];

		/* provisioned, then configured */
		snprintf(want, sizeof(want), "\"name\":\"%s\"", configured[i]);
		assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/event",
						   "provisioning_complete", want, 0, 60000));
		assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/event", "node_configured",
						   want, 0, 60000));
	}
	/* The lamps' discovery: a JSON-schema light with brightness. */
	m = mqtt_fixture_wait(f, "meshgate/bridge/nodes", "stairway/sensor", 0, 20000);
	assert_non_null(m);
	for (size_t i = 0; i < f->n_msgs && !found; i++) {
		const struct mqtt_msg *d = f->msgs[i];

		if (strncmp(d->topic, "homeassistant/light/", 20) != 0 || !d->payload[0] ||
		    !strstr(d->payload, "stairway/lamp 1/set"))
			continue;
		j = mqtt_msg_json(d);
		assert_string_equal(json_string_value(json_object_get(j, "schema")), "json");
		assert_string_equal(json_string_value(json_object_get(j, "command_topic")),
				    "meshgate/stairway/lamp 1/set");
		json_decref(j);
		found = true;
	}
	if (!found)
		fail_msg("no light discovery for stairway/lamp 1");
	/* A relay has no light, sensor or switch, but its liveness shows: its
	 * device has the connectivity sensor alone. */
	m = mqtt_fixture_wait(f, "homeassistant/binary_sensor/meshgate_aed95d33ef904a7f80692c2156aed63b/"
			      "connectivity/config", "connectivity", 0, 5000);
	assert_non_null(m);
	j = mqtt_msg_json(m);
	assert_string_equal(json_string_value(json_object_get(j, "state_topic")),
			    "meshgate/drive/relay 1/availability");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "device"), "name")),
			    "drive/relay 1");
	json_decref(j);
	for (size_t i = 0; i < f->n_msgs; i++)
		if (strstr(f->msgs[i]->topic, "meshgate_aed95d33ef904a7f80692c2156aed63b") &&
		    !strstr(f->msgs[i]->topic, "/connectivity/"))
			fail_msg("relay 1 announced as more than a device: %s", f->msgs[i]->topic);
	/* Every one valid: the bridge's connectivity, a light and a
	 * connectivity sensor for lamps 1 and 2 and the garden light, the top
	 * switch's connectivity and two triggers per rocker, the sensor's
	 * connectivity, the group's light, the four relays' connectivity. */
	assert_discovery_valid(f, 1 + 3 * 2 + (1 + 4) + 1 + 1 + 4);
}

static void test_set_lamp(void **state)
{
	struct mqtt_fixture *f = *state;
	static const char *const lamp1[] = { "stair-lamp-1", NULL };
	size_t since = f->n_msgs;
	const struct mqtt_msg *m;
	json_t *j;

	mqtt_fixture_publish(f, "meshgate/stairway/lamp 1/set",
			     "{\"state\":\"ON\",\"brightness\":128}");
	assert_true(mqtt_fixture_lamps_wait(f, lamp1, 1, 5000));
	m = mqtt_fixture_wait(f, "meshgate/stairway/lamp 1", "\"brightness\":128", since, 5000);
	assert_non_null(m);
	j = mqtt_msg_json(m);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "ON");
	json_decref(j);

	since = f->n_msgs;
	mqtt_fixture_publish(f, "meshgate/stairway/lamp 1/set", "{\"state\":\"OFF\"}");
	assert_true(mqtt_fixture_lamps_wait(f, lamp1, 0, 5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/stairway/lamp 1", "\"state\":\"OFF\"", since,
					  5000));
}

static void test_set_group(void **state)
{
	struct mqtt_fixture *f = *state;
	static const char *const lamps[] = { "stair-lamp-1", "stair-lamp-2", NULL };
	size_t since = f->n_msgs;

	mqtt_fixture_publish(f, "meshgate/stairway lights/set", "{\"state\":\"ON\"}");
	assert_true(mqtt_fixture_lamps_wait(f, lamps, 1, 5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/stairway lights", "\"state\":\"ON\"", since,
					  5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/stairway/lamp 2", "\"state\":\"ON\"", since,
					  5000));

	since = f->n_msgs;
	mqtt_fixture_publish(f, "meshgate/stairway lights/set", "{\"state\":\"OFF\"}");
	assert_true(mqtt_fixture_lamps_wait(f, lamps, 0, 5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/stairway lights", "\"state\":\"OFF\"", since,
					  5000));
}

static void test_switch_press(void **state)
{
	struct mqtt_fixture *f = *state;
	static const char *const lamps[] = { "stair-lamp-1", "stair-lamp-2", NULL };
	size_t since = f->n_msgs;

	assert_int_equal(sim_device_press(mqtt_fixture_device(f, "switch-top"), 0, 1), 0);
	assert_non_null(mqtt_fixture_wait(f, "meshgate/stairway/switch top left/action", "on",
					  since, 5000));
	/* The stairway's radio loses packets (2% a link, lamp 2 relaying to
	 * lamp 1): a user whose press got lost presses again. */
	if (!mqtt_fixture_lamps_wait(f, lamps, 1, 5000))
		assert_int_equal(sim_device_press(mqtt_fixture_device(f, "switch-top"), 0, 1), 0);
	assert_true(mqtt_fixture_lamps_wait(f, lamps, 1, 5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/stairway lights", "\"state\":\"ON\"", since,
					  5000));
}

static long hb_member(const struct mqtt_msg *m, const char *key)
{
	json_t *j = mqtt_msg_json(m);
	long v = (long)json_integer_value(json_object_get(j, key));

	json_decref(j);
	return v;
}

static void test_heartbeat_hops(void **state)
{
	struct mqtt_fixture *f = *state;
	size_t since = f->n_msgs;
	const struct mqtt_msg *m;

	m = mqtt_fixture_wait(f, "meshgate/drive/relay 1/heartbeat", "\"hops\"", since, 10000);
	assert_non_null(m);
	assert_int_equal(hb_member(m, "hops"), 1);
	m = mqtt_fixture_wait(f, "meshgate/garden light/heartbeat", "\"hops\"", since, 10000);
	assert_non_null(m);
	assert_int_equal(hb_member(m, "hops"), 5);
	assert_true(strstr(m->payload, "\"src\":\"0x0104\"") != NULL);
}

static void test_availability(void **state)
{
	struct mqtt_fixture *f = *state;
	struct sim_device *garden = mqtt_fixture_device(f, "garden-light");
	size_t since = f->n_msgs;

	sim_world_set_on_air(f->radio.world, garden, false);
	assert_non_null(mqtt_fixture_wait(f, "meshgate/garden light/availability", "offline", since,
					  15000));
	since = f->n_msgs;
	sim_world_set_on_air(f->radio.world, garden, true);
	assert_non_null(mqtt_fixture_wait(f, "meshgate/garden light/availability", "online", since,
					  15000));
}

static void test_provision_output_oob(void **state)
{
	struct mqtt_fixture *f = *state;
	size_t since = f->n_msgs;
	const struct mqtt_msg *m;
	char payload[128];

	f->shown_oob[0] = '\0';
	mqtt_fixture_publish(f, "meshgate/bridge/request/provision",
			     "{\"uuid\":\"" LAMP3_UUID "\",\"name\":\"stairway/lamp 3\","
			     "\"transaction\":\"t-1\"}");
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/event", "provisioning_oob_required",
					  since, 30000));
	assert_true(f->shown_oob[0] != '\0');
	snprintf(payload, sizeof(payload), "{\"value\":\"%s\"}", f->shown_oob);
	mqtt_fixture_publish(f, "meshgate/bridge/request/oob", payload);
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/response/oob", "\"ok\"", since,
					  5000));
	m = mqtt_fixture_wait(f, "meshgate/bridge/response/provision", "\"status\"", since, 30000);
	assert_non_null(m);
	assert_non_null(strstr(m->payload, "\"status\":\"ok\""));
	assert_non_null(strstr(m->payload, "\"transaction\":\"t-1\""));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/event", "provisioning_complete",
					  since, 5000));
	/* The configuration's group follows: lamp 3 joins the stairway lights. */
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/groups", "stairway/lamp 3", since,
					  30000));
	/* Home Assistant learns the new lamp, in a config it accepts; by now
	 * the sensor has reported, so its sensors are among those checked. */
	assert_non_null(mqtt_fixture_wait(f, "homeassistant/light/meshgate_02da705d5822415f84ad3d66db9da905/light_e0/"
					  "config", "stairway/lamp 3/set", since, 10000));
	assert_non_null(mqtt_fixture_wait(f, "homeassistant/sensor/meshgate_2295c190d284474da23163c133378cb0/"
					  "temperature_e0/config", "temperature", 0, 30000));
	test_uv_run_until(&f->loop, NULL, NULL, 200);
	/* As after the bootstrap, plus lamp 3 (light, connectivity) and the
	 * sensor's temperature, humidity and motion. */
	assert_discovery_valid(f, 18 + 2 + 3);
}

static void test_malformed(void **state)
{
	struct mqtt_fixture *f = *state;
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
	static const char *const lamp1[] = { "stair-lamp-1", NULL };
	int lamp_before = sim_device_light_onoff(mqtt_fixture_device(f, "stair-lamp-1"), 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t since = f->n_msgs;
		const struct mqtt_msg *m;

		mqtt_fixture_publish(f, cases[i].topic, cases[i].payload);
		m = mqtt_fixture_wait(f, cases[i].answer_topic, "error", since, 5000);
		assert_non_null(m);
		if (!strstr(m->payload, cases[i].expect))
			fail_msg("%s %s: got %s", cases[i].topic, cases[i].payload, m->payload);
	}
	/* Nothing went to the lamp. */
	assert_true(mqtt_fixture_lamps_are(f, lamp1, lamp_before));
}

static bool ha_is_connected(void *ctx)
{
	return ((struct mqtt_fixture *)ctx)->ha_connected;
}

static void test_reconnect_republishes(void **state)
{
	struct mqtt_fixture *f = *state;
	static const char *const lamps[] = { "stair-lamp-1", "stair-lamp-2", NULL };
	size_t since;
	const struct mqtt_msg *m;

	test_broker_stop(&f->broker);
	/* A change while the broker is away. */
	assert_int_equal(sim_device_press(mqtt_fixture_device(f, "switch-top"), 0, 0), 0);
	assert_true(mqtt_fixture_lamps_wait(f, lamps, 0, 5000));
	test_uv_run_until(&f->loop, NULL, NULL, 500);
	since = f->n_msgs;
	assert_int_equal(test_broker_restart(&f->broker), 0);
	assert_true(test_uv_run_until(&f->loop, ha_is_connected, f, 10000));
	/* Everything again, with the state as it is now. */
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/state", "online", since, 10000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/nodes", NULL, since, 10000));
	m = mqtt_fixture_wait(f, "meshgate/stairway/lamp 1", "\"state\":\"OFF\"", since, 10000);
	assert_non_null(m);
	assert_non_null(mqtt_fixture_wait(f, "meshgate/stairway lights", "\"state\":\"OFF\"", since,
					  10000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/garden light/availability", "online", since,
					  10000));
}

static void test_node_remove(void **state)
{
	struct mqtt_fixture *f = *state;
	size_t since = f->n_msgs;
	const struct mqtt_msg *m;

	mqtt_fixture_publish(f, "meshgate/bridge/request/node/remove",
			     "{\"node\":\"garden light\"}");
	m = mqtt_fixture_wait(f, "meshgate/bridge/response/node/remove", "status", since, 15000);
	assert_non_null(m);
	assert_non_null(strstr(m->payload, "\"status\":\"ok\""));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/event", "node_removed", since, 5000));
	/* The network moves to new keys the removed node does not have. */
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/event", "key_refresh", "\"done\"", 0,
					   90000));
	/* Home Assistant forgets it: its discovery config is emptied. */
	for (size_t i = since;; i++) {
		test_uv_run_until(&f->loop, NULL, NULL, 50);
		if (i >= f->n_msgs) {
			if (i > since + 4000)
				fail_msg("no empty discovery config for the garden light");
			i = f->n_msgs - 1;
			continue;
		}
		if (strncmp(f->msgs[i]->topic, "homeassistant/light/", 20) == 0 &&
		    f->msgs[i]->payload[0] == '\0' && strstr(f->msgs[i]->topic, "8c6fecfa"))
			break;
	}
	assert_null(gw_registry_node_by_name(&f->app.reg, "garden light"));
	/* The retained node list Home Assistant and dashboards read is the
	 * one without it. */
	test_uv_run_until(&f->loop, NULL, NULL, 200);
	m = mqtt_fixture_last(f, "meshgate/bridge/nodes", since);
	assert_non_null(m);
	assert_null(strstr(m->payload, "garden light"));
}

/* The database no longer records a publication of the left rocker's
 * OnOff Client: the node has confirmed it. */
static bool left_rocker_unpublished(void *ctx)
{
	struct mqtt_fixture *f = ctx;
	const struct gw_reg_node *sw = gw_registry_node_by_name(&f->app.reg, "stairway/switch top");
	const struct netdb_node *n = sw ? netdb_node_by_address(f->app.core.db, sw->addr) : NULL;

	if (!n)
		return false;
	for (size_t m = 0; m < n->elements[0].n_models; m++)
		if (!n->elements[0].models[m].vendor && n->elements[0].models[m].id == 0x1001)
			return !n->elements[0].models[m].has_publish;
	return false;
}

/* The file no longer gives the top switch's left rocker a target: on
 * SIGHUP meshgate clears that rocker's publication on the device and in
 * its database, and the right rocker still switches the stairway. */
static void test_reload_drops_a_switch_target(void **state)
{
	struct mqtt_fixture *f = *state;
	static const char *const lamps[] = { "stair-lamp-1", "stair-lamp-2", NULL };
	static const char left_before[] = "{name: stairway/switch top left, publish: stairway lights}";
	static const char left_after[] = "{name: stairway/switch top left}";
	char *yaml = calloc(1, meshgate_builtin_config_len + 1);
	char *at;

	assert_non_null(yaml);
	memcpy(yaml, meshgate_builtin_config, meshgate_builtin_config_len);
	at = strstr(yaml, left_before);
	assert_non_null(at);
	memcpy(at, left_after, sizeof(left_after) - 1);
	memmove(at + sizeof(left_after) - 1, at + sizeof(left_before) - 1,
		strlen(at + sizeof(left_before) - 1) + 1);
	f->config_yaml = yaml;
	mqtt_fixture_reload(f);
	assert_false(left_rocker_unpublished(f));
	assert_true(test_uv_run_until(&f->loop, left_rocker_unpublished, f, 15000));
	/* The simulated switch itself has no publication left to use. */
	assert_int_equal(sim_device_press(mqtt_fixture_device(f, "switch-top"), 0, 1),
			 MESH_ERR_DOWN);

	mqtt_fixture_publish(f, "meshgate/stairway lights/set", "{\"state\":\"OFF\"}");
	assert_true(mqtt_fixture_lamps_wait(f, lamps, 0, 5000));
	assert_int_equal(sim_device_press(mqtt_fixture_device(f, "switch-top"), 1, 1), 0);
	if (!mqtt_fixture_lamps_wait(f, lamps, 1, 5000))
		assert_int_equal(sim_device_press(mqtt_fixture_device(f, "switch-top"), 1, 1), 0);
	assert_true(mqtt_fixture_lamps_wait(f, lamps, 1, 5000));
	f->config_yaml = NULL;
	free(yaml);
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
		cmocka_unit_test(test_reload_drops_a_switch_target),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
