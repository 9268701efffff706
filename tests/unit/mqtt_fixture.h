/*
 * meshgate on MQTT, end to end, as Home Assistant sees it: a real
 * Mosquitto (broker.h), the gateway application with its API and MQTT
 * bridge on the built-in stairway simulation (in process, behind the
 * in-process HCI link, as `meshgate` runs it), and a second MQTT client
 * playing Home Assistant that records every message it receives ("#").
 *
 * Tests drive it the way users do: publish on a topic, then wait for the
 * message that should follow (mqtt_fixture_wait), or for the simulated
 * devices to change (mqtt_fixture_lamps_wait). Each test program owns one
 * fixture, with its own broker port and data directory, so programs run
 * in parallel.
 *
 *   mqtt_fixture_open()     broker, radio, app, api, bridge, Home Assistant
 *   mqtt_fixture_close()    all of it stopped and freed, the directory removed
 */
#ifndef TESTS_MQTT_FIXTURE_H
#define TESTS_MQTT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <uv.h>

#include "bridge/bridge.h"
#include "bridge/mqtt_conn.h"
#include "gateway/api.h"
#include "gateway/app.h"
#include "gateway/radio.h"
#include "mesh/sim/world.h"
#include "mesh/uv_timers.h"
#include "broker.h"

/* One message Home Assistant received. */
struct mqtt_msg {
	char *topic;
	char *payload;          /* NUL-terminated; "" for a cleared retained topic */
	bool retained;          /* delivered from the broker's retained store */
};

struct mqtt_fixture_options {
	const char *tag;        /* temporary directory /tmp/meshgate-<tag>-XXXXXX */
	/* The gateway's configuration as YAML; NULL: the built-in demo
	 * configuration (as `meshgate` runs without --config). Either way
	 * the broker is the fixture's, reconnects are fast and nodes send
	 * heartbeats every 2 s (offline after 6 s). */
	const char *config_yaml;
};

struct mqtt_fixture {
	uv_loop_t loop;
	struct test_broker broker;
	struct radio radio;
	struct mesh_uv_timers timers;
	struct gw_app app;
	struct gw_api api;
	struct bridge bridge;
	struct mqtt_conn *ha;           /* "Home Assistant" */
	bool ha_connected;
	/* Every message received, in order; the pointers stay valid until
	 * close, so a test may keep one while the loop runs on. */
	struct mqtt_msg **msgs;
	size_t n_msgs, cap_msgs;
	bool msgs_lost;                 /* out of memory recording one */
	bool echo;                      /* TEST_MQTT_ECHO=1: print each to stderr */
	char dir[64];
	char shown_oob[16];             /* what a simulated device displays */
	struct sim_world_observer observer;
	bool bridge_stopped;
	unsigned int transactions;      /* mqtt_fixture_request's counter */
	const char *config_yaml;
};

/* Everything up and running; the demo bootstrap starts by itself. Fails
 * the test (cmocka) when something does not start. */
void mqtt_fixture_open(struct mqtt_fixture *f, const struct mqtt_fixture_options *opts);
void mqtt_fixture_close(struct mqtt_fixture *f);

/* The gateway's configuration again (SIGHUP): the options' YAML (or the
 * built-in one) with the fixture's overrides, into gw_app_reload. */
void mqtt_fixture_reload(struct mqtt_fixture *f);

/* Home Assistant publishes (QoS 1, not retained). */
void mqtt_fixture_publish(struct mqtt_fixture *f, const char *topic, const char *payload);

/*
 * The first message received since index `since` (f->n_msgs before the
 * action) on topic whose payload contains `contains` (NULL: anything) and
 * also `contains2` if not NULL. Runs the loop until it comes or timeout_ms
 * pass; NULL then, with a line on stderr.
 */
const struct mqtt_msg *mqtt_fixture_wait(struct mqtt_fixture *f, const char *topic,
					 const char *contains, size_t since,
					 unsigned int timeout_ms);
const struct mqtt_msg *mqtt_fixture_wait2(struct mqtt_fixture *f, const char *topic,
					  const char *contains, const char *contains2,
					  size_t since, unsigned int timeout_ms);
/* The same for an empty retained message clearing topic. */
const struct mqtt_msg *mqtt_fixture_wait_cleared(struct mqtt_fixture *f, const char *topic,
						 size_t since, unsigned int timeout_ms);
/* The last message on topic received since `since`, or NULL (no waiting). */
const struct mqtt_msg *mqtt_fixture_last(const struct mqtt_fixture *f, const char *topic,
					 size_t since);
/* The payload as JSON (a new reference); fails the test if it is not JSON. */
json_t *mqtt_msg_json(const struct mqtt_msg *m);

/*
 * A request the way Home Assistant or a script sends one: params (a JSON
 * object as text, NULL for none) to <base>/bridge/request/<method> with a
 * fresh `transaction`, then the answer on bridge/response/<method> that
 * echoes it. Returns the whole answer ({"status","data"|"error",
 * "transaction"}, a new reference) or NULL if none came in timeout_ms.
 */
json_t *mqtt_fixture_request(struct mqtt_fixture *f, const char *method, const char *params,
			     unsigned int timeout_ms);
/* The same, and the answer must be "ok": its data (a new reference). */
json_t *mqtt_fixture_request_ok(struct mqtt_fixture *f, const char *method, const char *params,
				unsigned int timeout_ms);
/* The same, and the answer must be an error containing `expect`. */
void mqtt_fixture_request_error(struct mqtt_fixture *f, const char *method, const char *params,
				const char *expect);

/* A simulated device by its scenario name (fails the test if none). */
struct sim_device *mqtt_fixture_device(struct mqtt_fixture *f, const char *name);
/* Every lamp named (scenario names, NULL-terminated) has its light on
 * (want 1) or off (want 0); _wait runs the loop up to timeout_ms for it. */
bool mqtt_fixture_lamps_are(struct mqtt_fixture *f, const char *const *names, int want);
bool mqtt_fixture_lamps_wait(struct mqtt_fixture *f, const char *const *names, int want,
			     unsigned int timeout_ms);

/*
 * Home Assistant's view of discovery, checked against its schemas
 * (ha_schema.h): every non-empty config received under the discovery
 * prefix, and the set of the latest configs (one per topic, no unique_id
 * or trigger twice). Fails the test on the first bad one; returns how many
 * topics hold a config now.
 */
size_t mqtt_fixture_check_discovery(struct mqtt_fixture *f);

#endif
