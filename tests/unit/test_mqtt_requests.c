/*
 * The bridge/request API end to end (docs/mqtt.md), as Home Assistant or a
 * script uses it: each request published on meshgate/bridge/request/<name>
 * with a transaction, its answer awaited on bridge/response/<name>, and
 * then what users see checked on the topics and on the simulated devices
 * themselves (mqtt_fixture.h: a real Mosquitto, the gateway on the
 * built-in stairway, a client playing Home Assistant).
 *
 * The configuration provisions lamps 1 and 2 at the first start and names
 * lamp 1 but not lamp 2, so lamp 2 is called by its address until it is
 * renamed. The tests share that gateway and run in order: node/rename,
 * group/add, group/members/add|remove, group/rename, group/remove, a
 * SIGHUP after the file moved the lamps between groups, scan,
 * backup, networkmap, health_check, and Home Assistant coming online; each
 * also sends the requests that must be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <jansson.h>

#include "gateway/netdb.h"
#include "gateway/registry.h"
#include "mesh/access.h"
#include "mesh/generic_msg.h"
#include "mesh/sim/world.h"
#include "mesh/stack.h"
#include "mqtt_fixture.h"
#include "uv_helpers.h"

#define LAMP1_UUID "ceadffdd-8dbe-4c86-91a0-1604b5b5df05"
#define LAMP2_UUID "8658a8f1-6d78-4d3a-8d01-05aba6dac39c"
#define LAMP3_UUID "02da705d-5822-415f-84ad-3d66db9da905"
#define LAMP2_LIGHT_CONFIG "homeassistant/light/meshgate_8658a8f16d784d3a8d0105aba6dac39c/light_e0/config"

/* What both versions of the file say before and after the stairway's
 * first two lamps. */
#define CONFIG_HEAD \
	"mqtt:\n" \
	"  base_topic: meshgate\n" \
	"bearer:\n" \
	"  type: simulator\n" \
	"groups:\n" \
	"  stairway lights:\n"                                    /* line 6 */ \
	"nodes:\n"
#define CONFIG_TAIL \
	"  " LAMP3_UUID ":\n" \
	"    name: stairway/lamp 3\n" \
	"  aed95d33-ef90-4a7f-8069-2c2156aed63b:\n" \
	"    name: drive/relay 1\n" \
	"  8c6fecfa-752d-406e-bd66-942fd055e1be:\n" \
	"    name: garden light\n"

/* Lamp 2 has no name here; lamp 3 has one but is left unprovisioned (the
 * scan finds it by that name). Refusals to change what the file says name
 * its line: a group's name, a node's UUID. */
static const char config_yaml[] =
	CONFIG_HEAD
	"  " LAMP1_UUID ":\n"                                      /* line 8 */
	"    name: stairway/lamp 1\n"
	"    groups: [stairway lights]\n"
	"    provision: auto\n"
	"  " LAMP2_UUID ":\n"
	"    provision: auto\n"
	CONFIG_TAIL;

/* The same file after an edit: lamp 1 leaves the stairway lights, lamp 2
 * joins them. */
static const char config_yaml_moved[] =
	CONFIG_HEAD
	"  " LAMP1_UUID ":\n"
	"    name: stairway/lamp 1\n"
	"    provision: auto\n"
	"  " LAMP2_UUID ":\n"
	"    groups: [stairway lights]\n"
	"    provision: auto\n"
	CONFIG_TAIL;

static const char *const lamp1[] = { "stair-lamp-1", NULL };
static const char *const lamp2[] = { "stair-lamp-2", NULL };
static const char *const both_lamps[] = { "stair-lamp-1", "stair-lamp-2", NULL };

/* What the tests learn on the way and later tests use. */
static struct {
	char lamp2_addr[8];         /* e.g. "0x0003": its name until renamed */
	char hall_config[256];      /* the virtual group's discovery topic */
	char porch_config[256];
} seen;

/* ---- helpers ---------------------------------------------------------------------- */

static int setup(void **state)
{
	static const struct mqtt_fixture_options opts = { .tag = "mqttreq",
							  .config_yaml = config_yaml };
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

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s)
		fail_msg("no string \"%s\" in the answer", key);
	return s;
}

/* The latest config on a discovery topic, as Home Assistant holds it. */
static json_t *discovery_config(struct mqtt_fixture *f, const char *topic)
{
	const struct mqtt_msg *m = mqtt_fixture_last(f, topic, 0);

	if (!m || !m->payload[0])
		fail_msg("no discovery config on %s", topic);
	return mqtt_msg_json(m);
}

/* The discovery topic whose config's command_topic is `command`. */
static bool discovery_topic_of(struct mqtt_fixture *f, const char *command, size_t since,
			       char *out, size_t len)
{
	char want[300];

	snprintf(want, sizeof(want), "\"command_topic\":\"%s\"", command);
	for (size_t i = since; i < f->n_msgs; i++)
		if (strncmp(f->msgs[i]->topic, "homeassistant/", 14) == 0 &&
		    strstr(f->msgs[i]->payload, want)) {
			snprintf(out, len, "%s", f->msgs[i]->topic);
			return true;
		}
	return false;
}

struct discovery_wait {
	struct mqtt_fixture *f;
	const char *command;
	size_t since;
	char *out;
	size_t len;
};

static bool discovery_arrived(void *ctx)
{
	struct discovery_wait *w = ctx;

	return discovery_topic_of(w->f, w->command, w->since, w->out, w->len);
}

static bool wait_discovery_of(struct mqtt_fixture *f, const char *command, size_t since,
			      char *out, size_t len)
{
	struct discovery_wait w = { f, command, since, out, len };

	return test_uv_run_until(&f->loop, discovery_arrived, &w, 10000);
}

static void set_lamp(struct mqtt_fixture *f, const char *entity, const char *const *sim, int on)
{
	char topic[200];

	snprintf(topic, sizeof(topic), "meshgate/%s/set", entity);
	mqtt_fixture_publish(f, topic, on ? "{\"state\":\"ON\"}" : "{\"state\":\"OFF\"}");
	assert_true(mqtt_fixture_lamps_wait(f, sim, on, 5000));
}

/* From relay 1 (a node with the network's AppKey from the scenario), as
 * another node of the network would: a Generic OnOff Set Unacknowledged to
 * a group address. The test gives it a link to lamp 2 (it is out of the
 * stairway's range). */
static void relay1_sends_onoff(struct mqtt_fixture *f, uint16_t group, int on, uint8_t tid)
{
	uint8_t pdu[8];
	int n = mesh_access_opcode_encode(MESH_OP_GEN_ONOFF_SET_UNACK, pdu, sizeof(pdu));

	assert_true(n > 0);
	pdu[n++] = (uint8_t)on;
	pdu[n++] = tid;
	assert_int_equal(sim_device_send_access(mqtt_fixture_device(f, "relay-1"), group,
						MESH_STACK_TTL_DEFAULT, pdu, (size_t)n),
			 0);
}

static bool is_discovery(const char *topic)
{
	return strncmp(topic, "homeassistant/", 14) == 0 && strcmp(topic, "homeassistant/status");
}

/* Was there a message on topic before index `before`? */
static bool seen_before(const struct mqtt_fixture *f, const char *topic, size_t before)
{
	for (size_t i = 0; i < before; i++)
		if (strcmp(f->msgs[i]->topic, topic) == 0)
			return true;
	return false;
}

/* The last message on topic before index `before` (there is one). */
static const struct mqtt_msg *last_before(const struct mqtt_fixture *f, const char *topic,
					  size_t before)
{
	for (size_t i = before; i > 0; i--)
		if (strcmp(f->msgs[i - 1]->topic, topic) == 0)
			return f->msgs[i - 1];
	fail_msg("nothing on %s", topic);
	return NULL;
}

/* The network database on disk (mesh.json), as text to search. */
static char *database_file(struct mqtt_fixture *f)
{
	char path[160];
	FILE *fp;
	char *text = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(text);
	snprintf(path, sizeof(path), "%s/data/%s", f->dir, NETDB_FILE);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(text, 1, (1 << 20) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	return text;
}

/* The node with uuid (dashed, any case) in a CDB export, or NULL. */
static const json_t *cdb_node(const json_t *cdb, const char *uuid)
{
	size_t i;
	const json_t *n;

	json_array_foreach(json_object_get(cdb, "nodes"), i, n)
		if (strcasecmp(json_string_value(json_object_get(n, "UUID")) ?
			       json_string_value(json_object_get(n, "UUID")) : "", uuid) == 0)
			return n;
	return NULL;
}

/* Does any model of node subscribe to `address` (as the CDB writes it)? */
static bool cdb_subscribes(const json_t *node, const char *address)
{
	size_t i, j, k;
	const json_t *el, *m, *a;

	json_array_foreach(json_object_get(node, "elements"), i, el)
		json_array_foreach(json_object_get(el, "models"), j, m)
			json_array_foreach(json_object_get(m, "subscribe"), k, a)
				if (strcasecmp(json_string_value(a) ? json_string_value(a) : "",
					       address) == 0)
					return true;
	return false;
}

/* ---- the tests --------------------------------------------------------------------- */

static void test_bootstrap(void **state)
{
	struct mqtt_fixture *f = *state;
	const struct mqtt_msg *m;
	json_t *j;

	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/state", "online", 0, 5000));
	m = mqtt_fixture_wait2(f, "meshgate/bridge/event", "provisioning_complete", LAMP2_UUID, 0,
			       60000);
	assert_non_null(m);
	j = mqtt_msg_json(m);
	snprintf(seen.lamp2_addr, sizeof(seen.lamp2_addr), "%s",
		 str(json_object_get(j, "data"), "address"));
	json_decref(j);
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/event", "node_configured",
					   "\"name\":\"stairway/lamp 1\"", 0, 60000));
	/* Lamp 2 is named by its address (it has no name anywhere). */
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/event", "node_configured",
					   seen.lamp2_addr, 0, 60000));
	assert_non_null(gw_registry_node_by_name(&f->app.reg, seen.lamp2_addr));
}

/* Refused: an unknown node, a name taken, a name from the file, a name
 * that is no topic, a missing or unknown parameter. Nothing changes. */
static void test_node_rename_refused(void **state)
{
	struct mqtt_fixture *f = *state;
	char params[128];

	mqtt_fixture_request_error(f, "node/rename", "{\"node\":\"nobody\",\"name\":\"x\"}",
				   "no node called 'nobody'");
	snprintf(params, sizeof(params), "{\"node\":\"%s\",\"name\":\"stairway/lamp 1\"}",
		 seen.lamp2_addr);
	mqtt_fixture_request_error(f, "node/rename", params, "'stairway/lamp 1' is taken");
	mqtt_fixture_request_error(f, "node/rename",
				   "{\"node\":\"stairway/lamp 1\",\"name\":\"kitchen\"}",
				   "is named in test.yaml line 8");
	snprintf(params, sizeof(params), "{\"node\":\"%s\",\"name\":\"lamp/+\"}", seen.lamp2_addr);
	mqtt_fixture_request_error(f, "node/rename", params, "name:");
	snprintf(params, sizeof(params), "{\"node\":\"%s\"}", seen.lamp2_addr);
	mqtt_fixture_request_error(f, "node/rename", params, "name: missing");
	snprintf(params, sizeof(params), "{\"node\":\"%s\",\"name\":\"a\",\"nmae\":\"b\"}",
		 seen.lamp2_addr);
	mqtt_fixture_request_error(f, "node/rename", params, "unknown parameter 'nmae'");
	assert_non_null(gw_registry_node_by_name(&f->app.reg, seen.lamp2_addr));
	assert_non_null(gw_registry_node_by_name(&f->app.reg, "stairway/lamp 1"));
	assert_null(gw_registry_node_by_name(&f->app.reg, "kitchen"));
}

static void test_node_rename(void **state)
{
	struct mqtt_fixture *f = *state;
	char old_state[64], old_avail[80], old_set[80];
	json_t *before, *after, *d;
	size_t since;

	/* Lamp 2 as Home Assistant knows it now, with a retained state. */
	snprintf(old_state, sizeof(old_state), "meshgate/%s", seen.lamp2_addr);
	snprintf(old_avail, sizeof(old_avail), "meshgate/%s/availability", seen.lamp2_addr);
	snprintf(old_set, sizeof(old_set), "meshgate/%s/set", seen.lamp2_addr);
	since = f->n_msgs;
	set_lamp(f, seen.lamp2_addr, lamp2, 1);
	assert_non_null(mqtt_fixture_wait(f, old_state, "\"state\":\"ON\"", since, 5000));
	before = discovery_config(f, LAMP2_LIGHT_CONFIG);
	assert_string_equal(str(before, "state_topic"), old_state);

	/* By its UUID, as a user copies it. */
	since = f->n_msgs;
	d = mqtt_fixture_request_ok(f, "node/rename",
				    "{\"node\":\"" LAMP2_UUID "\",\"name\":\"landing/lamp\"}",
				    5000);
	assert_string_equal(str(d, "address"), seen.lamp2_addr);
	assert_string_equal(str(d, "name"), "landing/lamp");
	json_decref(d);

	/* The state moves to the new topic; the old retained ones are cleared. */
	assert_non_null(mqtt_fixture_wait(f, "meshgate/landing/lamp", "\"state\":\"ON\"", since,
					  5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/landing/lamp/availability", "online", since,
					  5000));
	assert_non_null(mqtt_fixture_wait_cleared(f, old_state, since, 5000));
	assert_non_null(mqtt_fixture_wait_cleared(f, old_avail, since, 5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/nodes", "\"landing/lamp\"", since,
					  5000));
	/* Home Assistant's entity is the same one (unique_id), with new
	 * topics, and no new discovery topic appears (no second entity). */
	assert_non_null(mqtt_fixture_wait(f, LAMP2_LIGHT_CONFIG, "meshgate/landing/lamp/set", since,
					  5000));
	after = discovery_config(f, LAMP2_LIGHT_CONFIG);
	assert_string_equal(str(after, "unique_id"), str(before, "unique_id"));
	assert_string_equal(str(after, "state_topic"), "meshgate/landing/lamp");
	assert_string_equal(str(after, "command_topic"), "meshgate/landing/lamp/set");
	json_decref(before);
	json_decref(after);
	for (size_t i = since; i < f->n_msgs; i++)
		if (is_discovery(f->msgs[i]->topic) && !seen_before(f, f->msgs[i]->topic, since))
			fail_msg("new discovery topic %s after a rename", f->msgs[i]->topic);

	/* Commands follow the name; the old name is nobody's now. */
	set_lamp(f, "landing/lamp", lamp2, 0);
	since = f->n_msgs;
	mqtt_fixture_publish(f, old_set, "{\"state\":\"ON\"}");
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/event", "\"error\"",
					   "nothing called", since, 5000));
	assert_true(mqtt_fixture_lamps_are(f, lamp2, 0));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/landing/lamp/heartbeat", "\"hops\"", since,
					  10000));
}

/* The name is kept in the network database, on disk, so a rebuild from
 * the database and the file (here a SIGHUP reload) keeps it. */
static void test_node_rename_kept(void **state)
{
	struct mqtt_fixture *f = *state;
	uint64_t generation = f->app.reg.generation;
	size_t since = f->n_msgs;
	char *disk = database_file(f), old_state[64];

	assert_non_null(strstr(disk, "\"landing/lamp\""));
	free(disk);
	mqtt_fixture_reload(f);
	test_uv_run_until(&f->loop, NULL, NULL, 500);
	assert_true(f->app.reg.generation > generation);
	assert_non_null(gw_registry_node_by_name(&f->app.reg, "landing/lamp"));
	assert_null(gw_registry_node_by_name(&f->app.reg, seen.lamp2_addr));
	snprintf(old_state, sizeof(old_state), "meshgate/%s", seen.lamp2_addr);
	for (size_t i = since; i < f->n_msgs; i++)
		if (strcmp(f->msgs[i]->topic, old_state) == 0)
			fail_msg("the old name came back after a reload");
}

static void test_group_add(void **state)
{
	struct mqtt_fixture *f = *state;
	json_t *d;
	const char *a;
	unsigned long addr;
	size_t since = f->n_msgs;

	/* Refused: names taken (a node, a group), addresses that are no
	 * group's, the heartbeat group, both kinds at once, a bad label. */
	mqtt_fixture_request_error(f, "group/add", "{\"name\":\"stairway/lamp 1\"}",
				   "'stairway/lamp 1' is taken");
	mqtt_fixture_request_error(f, "group/add", "{\"name\":\"stairway lights\"}", "is taken");
	mqtt_fixture_request_error(f, "group/add", "{\"name\":\"bad\",\"address\":\"0x8001\"}",
				   "virtual address");
	mqtt_fixture_request_error(f, "group/add", "{\"name\":\"bad\",\"address\":\"0x0005\"}",
				   "group address");
	mqtt_fixture_request_error(f, "group/add", "{\"name\":\"bad\",\"address\":\"0xff01\"}",
				   "group address");
	mqtt_fixture_request_error(f, "group/add", "{\"name\":\"bad\",\"address\":\"0xfeff\"}",
				   "heartbeat group");
	mqtt_fixture_request_error(f, "group/add",
				   "{\"name\":\"bad\",\"address\":\"0xc200\",\"virtual\":\"auto\"}",
				   "not both");
	mqtt_fixture_request_error(f, "group/add", "{\"name\":\"bad\",\"virtual\":\"1234\"}",
				   "Label UUID");
	mqtt_fixture_request_error(f, "group/add", "{\"name\":\"bad/+\"}", "name:");
	mqtt_fixture_request_error(f, "group/add", "{\"name\":\"bad\",\"adress\":\"0xc200\"}",
				   "unknown parameter 'adress'");

	/* A given address. */
	d = mqtt_fixture_request_ok(f, "group/add", "{\"name\":\"porch\",\"address\":\"0xc123\"}",
				    5000);
	assert_string_equal(str(d, "name"), "porch");
	assert_string_equal(str(d, "address"), "0xc123");
	json_decref(d);
	mqtt_fixture_request_error(f, "group/add", "{\"name\":\"patio\",\"address\":\"0xc123\"}",
				   "'porch' already has this address");
	/* A Label UUID meshgate draws: a virtual address 0x8000..0xbfff. */
	d = mqtt_fixture_request_ok(f, "group/add", "{\"name\":\"hall\",\"virtual\":\"auto\"}",
				    5000);
	assert_string_equal(str(d, "name"), "hall");
	a = str(d, "address");
	addr = strtoul(a, NULL, 16);
	assert_true(addr >= 0x8000 && addr <= 0xbfff);
	json_decref(d);
	/* Neither: the lowest free group address, not one already used. */
	d = mqtt_fixture_request_ok(f, "group/add", "{\"name\":\"attic\"}", 5000);
	addr = strtoul(str(d, "address"), NULL, 16);
	assert_true(addr >= 0xc000 && addr < 0xfeff && addr != 0xc123);
	json_decref(d);

	/* All three in the retained group list, the virtual one with its label. */
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/groups", "\"porch\"", "\"attic\"",
					   since, 5000));
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/groups", "\"hall\"", "\"label\"",
					   since, 5000));
	assert_null(strstr(mqtt_fixture_last(f, "meshgate/bridge/groups", since)->payload,
			   "patio"));
	/* Each group is a light in Home Assistant, under meshgate's device. */
	assert_true(wait_discovery_of(f, "meshgate/hall/set", since, seen.hall_config,
				      sizeof(seen.hall_config)));
	assert_true(wait_discovery_of(f, "meshgate/porch/set", since, seen.porch_config,
				      sizeof(seen.porch_config)));
	assert_true(mqtt_fixture_check_discovery(f) >= 8);
}

static void test_group_members_add(void **state)
{
	struct mqtt_fixture *f = *state;
	json_t *d;
	size_t since = f->n_msgs;

	mqtt_fixture_request_error(f, "group/members/add",
				   "{\"group\":\"nowhere\",\"member\":\"stairway/lamp 1\"}",
				   "no group called 'nowhere'");
	mqtt_fixture_request_error(f, "group/members/add",
				   "{\"group\":\"hall\",\"member\":\"nobody\"}",
				   "no element or node called 'nobody'");
	mqtt_fixture_request_error(f, "group/members/add",
				   "{\"group\":\"hall\",\"member\":\"drive/relay 1\"}",
				   "no light that can join");
	mqtt_fixture_request_error(f, "group/members/add", "{\"group\":\"hall\"}",
				   "member: missing");

	/* An element's entity name, and a node's name: answered once every
	 * lighting server of the element has answered. */
	d = mqtt_fixture_request_ok(f, "group/members/add",
				    "{\"group\":\"hall\",\"member\":\"stairway/lamp 1\"}", 15000);
	assert_string_equal(str(d, "group"), "hall");
	json_decref(d);
	d = mqtt_fixture_request_ok(f, "group/members/add",
				    "{\"group\":\"hall\",\"member\":\"landing/lamp\"}", 15000);
	assert_string_equal(str(d, "member"), seen.lamp2_addr);
	json_decref(d);
	d = mqtt_fixture_request_ok(f, "group/members/add",
				    "{\"group\":\"porch\",\"member\":\"landing/lamp\"}", 15000);
	json_decref(d);
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/groups", "\"stairway/lamp 1\"",
					   "\"landing/lamp\"", since, 5000));


	/* The lamps really subscribed: the group's command reaches both. */
	set_lamp(f, "stairway/lamp 1", lamp1, 0);
	set_lamp(f, "landing/lamp", lamp2, 0);
	mqtt_fixture_publish(f, "meshgate/hall/set", "{\"state\":\"ON\"}");
	assert_true(mqtt_fixture_lamps_wait(f, both_lamps, 1, 5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/hall", "\"state\":\"ON\"", since, 5000));
	mqtt_fixture_publish(f, "meshgate/hall/set", "{\"state\":\"OFF\"}");
	assert_true(mqtt_fixture_lamps_wait(f, both_lamps, 0, 5000));
}

static void test_group_members_remove(void **state)
{
	struct mqtt_fixture *f = *state;
	json_t *d;
	size_t since = f->n_msgs;

	mqtt_fixture_request_error(f, "group/members/remove",
				   "{\"group\":\"nowhere\",\"member\":\"landing/lamp\"}",
				   "no group called 'nowhere'");
	mqtt_fixture_request_error(f, "group/members/remove",
				   "{\"group\":\"hall\",\"member\":\"nobody\"}",
				   "no element or node called 'nobody'");
	d = mqtt_fixture_request_ok(f, "group/members/remove",
				    "{\"group\":\"hall\",\"member\":\"stairway/lamp 1\"}", 15000);
	json_decref(d);
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/groups", "\"hall\"", since, 5000));

	/* Lamp 2 still follows the group (it reached the mesh), lamp 1 no
	 * longer does. */
	mqtt_fixture_publish(f, "meshgate/hall/set", "{\"state\":\"ON\"}");
	assert_true(mqtt_fixture_lamps_wait(f, lamp2, 1, 5000));
	test_uv_run_until(&f->loop, NULL, NULL, 1500);
	assert_true(mqtt_fixture_lamps_are(f, lamp1, 0));
	set_lamp(f, "landing/lamp", lamp2, 0);
}

/* Does the network database (backup) hold a group called name? */
static bool cdb_has_group(struct mqtt_fixture *f, const char *name)
{
	json_t *cdb = mqtt_fixture_request_ok(f, "backup", NULL, 5000);
	const json_t *g;
	bool found = false;
	size_t i;

	json_array_foreach(json_object_get(cdb, "groups"), i, g)
		found |= strcmp(str(g, "name"), name) == 0;
	json_decref(cdb);
	return found;
}

static void test_group_rename(void **state)
{
	struct mqtt_fixture *f = *state;
	json_t *before, *after, *d;
	size_t since;

	mqtt_fixture_request_error(f, "group/rename",
				   "{\"name\":\"stairway lights\",\"new_name\":\"stairs\"}",
				   "is defined in test.yaml line 6");
	mqtt_fixture_request_error(f, "group/rename", "{\"name\":\"nowhere\",\"new_name\":\"x\"}",
				   "no group called 'nowhere'");
	mqtt_fixture_request_error(f, "group/rename", "{\"name\":\"hall\",\"new_name\":\"porch\"}",
				   "'porch' is taken");
	mqtt_fixture_request_error(f, "group/rename", "{\"name\":\"hall\",\"new_name\":\"a/#\"}",
				   "new_name:");
	mqtt_fixture_request_error(f, "group/rename", "{\"name\":\"hall\"}", "new_name: missing");
	mqtt_fixture_request_error(f, "group/rename",
				   "{\"name\":\"attic\",\"new_name\":\"stairway/lamp 1\"}",
				   "'stairway/lamp 1' is taken");
	/* Refused means unchanged, in the database too. */
	assert_true(cdb_has_group(f, "attic"));
	assert_true(cdb_has_group(f, "hall"));
	assert_false(cdb_has_group(f, "stairway/lamp 1"));
	assert_false(cdb_has_group(f, "stairs"));

	/* The group's state topic moves, its Home Assistant entity stays. */
	before = discovery_config(f, seen.hall_config);
	assert_non_null(mqtt_fixture_last(f, "meshgate/hall", 0));
	since = f->n_msgs;
	d = mqtt_fixture_request_ok(f, "group/rename",
				    "{\"name\":\"hall\",\"new_name\":\"hallway\"}", 5000);
	json_decref(d);
	assert_non_null(mqtt_fixture_wait(f, seen.hall_config, "meshgate/hallway/set", since,
					  5000));
	after = discovery_config(f, seen.hall_config);
	assert_string_equal(str(after, "unique_id"), str(before, "unique_id"));
	assert_string_equal(str(after, "state_topic"), "meshgate/hallway");
	json_decref(before);
	json_decref(after);
	assert_non_null(mqtt_fixture_wait_cleared(f, "meshgate/hall", since, 5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/groups", "\"hallway\"", since, 5000));
	assert_null(strstr(mqtt_fixture_last(f, "meshgate/bridge/groups", since)->payload,
			   "\"hall\""));
	/* Its commands go by the new name to the same group on the mesh. */
	mqtt_fixture_publish(f, "meshgate/hallway/set", "{\"state\":\"ON\"}");
	assert_true(mqtt_fixture_lamps_wait(f, lamp2, 1, 5000));
	set_lamp(f, "landing/lamp", lamp2, 0);
}

static void test_group_remove(void **state)
{
	struct mqtt_fixture *f = *state;
	json_t *cdb, *groups;
	const json_t *node;
	size_t since;
	bool found = false;

	mqtt_fixture_request_error(f, "group/remove", "{\"name\":\"stairway lights\"}",
				   "is defined in test.yaml line 6");
	mqtt_fixture_request_error(f, "group/remove", "{\"name\":\"nowhere\"}",
				   "no group called 'nowhere'");
	mqtt_fixture_request_error(f, "group/remove", "{}", "name: missing");

	/* porch (0xc123): lamp 2 is subscribed, a node's message to the
	 * group turns it on. */
	assert_int_equal(sim_world_set_link(f->radio.world, mqtt_fixture_device(f, "relay-1"),
					    mqtt_fixture_device(f, "stair-lamp-2"), 0.0, -70),
			 0);
	relay1_sends_onoff(f, 0xc123, 1, 1);
	assert_true(mqtt_fixture_lamps_wait(f, lamp2, 1, 5000));
	set_lamp(f, "landing/lamp", lamp2, 0);

	since = f->n_msgs;
	json_decref(mqtt_fixture_request_ok(f, "group/remove", "{\"name\":\"porch\"}", 5000));
	json_decref(mqtt_fixture_request_ok(f, "group/remove", "{\"name\":\"hallway\"}", 5000));
	/* Home Assistant forgets both lights: their configs are emptied. */
	assert_non_null(mqtt_fixture_wait_cleared(f, seen.porch_config, since, 5000));
	assert_non_null(mqtt_fixture_wait_cleared(f, seen.hall_config, since, 5000));
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/groups", "\"attic\"",
					   "\"stairway lights\"", since, 5000));
	assert_null(strstr(mqtt_fixture_last(f, "meshgate/bridge/groups", since)->payload,
			   "porch"));
	assert_null(strstr(mqtt_fixture_last(f, "meshgate/bridge/groups", since)->payload,
			   "hallway"));
	groups = mqtt_fixture_request_ok(f, "groups", NULL, 5000);
	for (size_t i = 0; i < json_array_size(groups); i++)
		found |= strcmp(str(json_array_get(groups, i), "name"), "porch") == 0;
	json_decref(groups);
	assert_false(found);

	/* Its members left it first: the same message no longer reaches lamp 2,
	 * and the database no longer lists the subscription. */
	test_uv_run_until(&f->loop, NULL, NULL, 2000);
	relay1_sends_onoff(f, 0xc123, 1, 2);
	test_uv_run_until(&f->loop, NULL, NULL, 1500);
	assert_true(mqtt_fixture_lamps_are(f, lamp2, 0));
	assert_int_equal(sim_world_remove_link(f->radio.world, mqtt_fixture_device(f, "relay-1"),
					       mqtt_fixture_device(f, "stair-lamp-2")),
			 0);
	cdb = mqtt_fixture_request_ok(f, "backup", NULL, 5000);
	node = cdb_node(cdb, LAMP2_UUID);
	assert_non_null(node);
	assert_false(cdb_subscribes(node, "C123"));
	json_decref(cdb);
	/* The removed group's topics are nobody's. */
	since = f->n_msgs;
	mqtt_fixture_publish(f, "meshgate/porch/set", "{\"state\":\"ON\"}");
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/event", "\"error\"",
					   "nothing called 'porch'", since, 5000));
}

/* A device_discovered event of a device the stairway has not provisioned
 * here: lamps 3 and 4, the switches, the sensor. */
static bool unprovisioned_device(const struct mqtt_msg *m)
{
	static const char *const uuids[] = {
		LAMP3_UUID,
		"d43af77b-9979-4db9-9ea3-db8881d06382",     /* lamp 4 */
		"c119315d-49ba-4cde-b743-2f59bfa4cf33",     /* switch-ground */
		"2ce197f5-f59a-41b2-bd29-73dd64fd5f41",     /* switch-top */
		"2295c190-d284-474d-a231-63c133378cb0",     /* stair-sensor */
	};
	json_t *ev = mqtt_msg_json(m);
	const char *uuid = json_string_value(json_object_get(json_object_get(ev, "data"), "uuid"));
	bool found = false;

	for (size_t i = 0; uuid && i < sizeof(uuids) / sizeof(uuids[0]); i++)
		found |= strcmp(uuid, uuids[i]) == 0;
	if (!found)
		print_error("discovered: %s\n", m->payload);
	json_decref(ev);
	return found;
}

/* Does the database (a backup) say node uuid subscribes to group address
 * hex? Asked every half second until it is want, for up to 10 s. */
static bool subscription_becomes(struct mqtt_fixture *f, const char *uuid, const char *hex,
				 bool want)
{
	for (int tries = 0; tries < 20; tries++) {
		json_t *cdb = mqtt_fixture_request_ok(f, "backup", NULL, 5000);
		const json_t *node = cdb_node(cdb, uuid);
		bool is = node && cdb_subscribes(node, hex);

		json_decref(cdb);
		if (is == want)
			return true;
		test_uv_run_until(&f->loop, NULL, NULL, 500);
	}
	return false;
}

/* SIGHUP after lamp 1 left "stairway lights" in the file and lamp 2 joined
 * them: lamp 2 is configured into the group, lamp 1 leaves it, and the
 * group's command reaches lamp 2 only. */
static void test_reload_moves_nodes_between_groups(void **state)
{
	struct mqtt_fixture *f = *state;
	const struct gw_entity *g = gw_registry_entity_by_name(&f->app.reg, "stairway lights");
	size_t since = f->n_msgs;
	char hex[8];

	assert_non_null(g);
	snprintf(hex, sizeof(hex), "%04X", g->addr);
	set_lamp(f, "stairway/lamp 1", lamp1, 0);
	set_lamp(f, "landing/lamp", lamp2, 0);
	f->config_yaml = config_yaml_moved;
	mqtt_fixture_reload(f);
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/event", "node_configured",
					   "\"name\":\"landing/lamp\"", since, 30000));
	assert_true(subscription_becomes(f, LAMP2_UUID, hex, true));
	assert_true(subscription_becomes(f, LAMP1_UUID, hex, false));

	mqtt_fixture_publish(f, "meshgate/stairway lights/set", "{\"state\":\"ON\"}");
	assert_true(mqtt_fixture_lamps_wait(f, lamp2, 1, 5000));
	test_uv_run_until(&f->loop, NULL, NULL, 1500);
	assert_true(mqtt_fixture_lamps_are(f, lamp1, 0));
	set_lamp(f, "landing/lamp", lamp2, 0);
}

static void test_scan(void **state)
{
	struct mqtt_fixture *f = *state;
	const struct mqtt_msg *closed;
	size_t since;
	uint64_t t0, took;
	json_t *d;

	mqtt_fixture_request_error(f, "scan", "{\"duration\":0}", "duration");
	mqtt_fixture_request_error(f, "scan", "{\"duration\":3601}", "duration");
	mqtt_fixture_request_error(f, "scan", "{\"duration\":\"5\"}", "duration");
	mqtt_fixture_request_error(f, "scan", "{\"action\":\"pause\"}", "action");
	mqtt_fixture_request_error(f, "scan", "{\"seconds\":5}", "unknown parameter 'seconds'");

	/* Lamps beacon every 5 s: a 6 s window hears lamp 3, by its name from
	 * the file; the provisioned lamps are not devices to add. */
	since = f->n_msgs;
	uv_update_time(&f->loop);
	t0 = uv_now(&f->loop);
	d = mqtt_fixture_request_ok(f, "scan", "{\"duration\":6}", 5000);
	assert_int_equal(json_integer_value(json_object_get(d, "duration")), 6);
	json_decref(d);
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/event", "device_discovered",
					   LAMP3_UUID, since, 7000));
	assert_non_null(mqtt_fixture_wait2(f, "meshgate/bridge/event", LAMP3_UUID,
					   "\"name\":\"stairway/lamp 3\"", since, 1000));
	closed = mqtt_fixture_wait(f, "meshgate/bridge/event", "scan_closed", since, 10000);
	assert_non_null(closed);
	uv_update_time(&f->loop);
	took = uv_now(&f->loop) - t0;
	if (took < 6000 || took > 9000)
		fail_msg("scan_closed after %llu ms for a 6 s scan", (unsigned long long)took);
	/* Every device found is one of the stairway's unprovisioned ones. */
	for (size_t i = since; i < f->n_msgs; i++)
		if (strcmp(f->msgs[i]->topic, "meshgate/bridge/event") == 0 &&
		    strstr(f->msgs[i]->payload, "device_discovered"))
			assert_true(unprovisioned_device(f->msgs[i]));

	/* stop closes a window at once. */
	since = f->n_msgs;
	json_decref(mqtt_fixture_request_ok(f, "scan", "{\"action\":\"start\",\"duration\":60}",
					    5000));
	json_decref(mqtt_fixture_request_ok(f, "scan", "{\"action\":\"stop\"}", 5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/event", "scan_closed", since, 2000));
}

static void test_backup(void **state)
{
	struct mqtt_fixture *f = *state;
	json_t *cdb = mqtt_fixture_request_ok(f, "backup", "{}", 5000);
	json_t *nodes = mqtt_fixture_request_ok(f, "nodes", NULL, 5000);
	const json_t *keys = json_object_get(cdb, "netKeys"), *lamp;

	/* The Mesh Configuration Database, keys included. */
	assert_true(json_is_string(json_object_get(cdb, "meshName")));
	assert_true(json_is_string(json_object_get(cdb, "meshUUID")));
	assert_true(json_array_size(keys) >= 1);
	assert_int_equal(strlen(str(json_array_get(keys, 0), "key")), 32);
	assert_true(json_array_size(json_object_get(cdb, "appKeys")) >= 1);
	assert_true(json_is_array(json_object_get(cdb, "provisioners")));
	/* Every node of bridge/nodes, with what users gave it. */
	assert_int_equal(json_array_size(json_object_get(cdb, "nodes")), json_array_size(nodes));
	lamp = cdb_node(cdb, LAMP1_UUID);
	assert_non_null(lamp);
	assert_non_null(json_object_get(lamp, "deviceKey"));
	assert_true(json_is_true(json_object_get(lamp, "configComplete")));
	assert_string_equal(str(cdb_node(cdb, LAMP2_UUID), "name"), "landing/lamp");
	assert_non_null(cdb_node(cdb, "8c6fecfa-752d-406e-bd66-942fd055e1be"));
	assert_null(cdb_node(cdb, LAMP3_UUID));
	json_decref(nodes);
	json_decref(cdb);
}

static const json_t *link_from(const json_t *map, const char *source)
{
	size_t i;
	const json_t *l;

	json_array_foreach(json_object_get(map, "links"), i, l)
		if (strcmp(str(l, "source"), source) == 0)
			return l;
	return NULL;
}

static void test_networkmap(void **state)
{
	struct mqtt_fixture *f = *state;
	size_t since = f->n_msgs;
	json_t *map;
	const json_t *l, *n;
	char self[8];
	size_t i;
	bool gateway = false, lamp = false;

	/* Heartbeats from the far end of the drive have come in. */
	assert_non_null(mqtt_fixture_wait(f, "meshgate/garden light/heartbeat", "\"hops\"", since,
					  10000));
	map = mqtt_fixture_request_ok(f, "networkmap", NULL, 5000);
	snprintf(self, sizeof(self), "0x%04x", gw_node_address(&f->app.core.node));
	json_array_foreach(json_object_get(map, "nodes"), i, n) {
		if (json_is_true(json_object_get(n, "gateway")))
			gateway = strcmp(str(n, "address"), self) == 0;
		if (strcmp(str(n, "name"), "landing/lamp") == 0)
			lamp = strcmp(str(n, "availability"), "online") == 0;
	}
	assert_true(gateway);
	assert_true(lamp);
	/* One hop from relay 1, five from the garden light, each measured. */
	l = link_from(map, "0x0100");
	assert_non_null(l);
	assert_string_equal(str(l, "target"), self);
	assert_int_equal(json_integer_value(json_object_get(l, "hops")), 1);
	assert_true(json_is_integer(json_object_get(l, "rssi")));
	l = link_from(map, "0x0104");
	assert_non_null(l);
	assert_int_equal(json_integer_value(json_object_get(l, "hops")), 5);
	assert_true(json_integer_value(json_object_get(l, "min_hops")) <= 5);
	assert_true(json_integer_value(json_object_get(l, "max_hops")) >= 5);
	assert_true(json_is_integer(json_object_get(l, "rssi")));
	assert_true(json_integer_value(json_object_get(l, "rssi")) < 0);
	json_decref(map);
}

static long health(struct mqtt_fixture *f, const char *key)
{
	json_t *d = mqtt_fixture_request_ok(f, "health_check", NULL, 5000);
	long v;

	assert_true(json_is_true(json_object_get(d, "healthy")));
	v = (long)json_integer_value(json_object_get(d, key));
	json_decref(d);
	return v;
}

static void test_health_check(void **state)
{
	struct mqtt_fixture *f = *state;
	struct sim_device *garden = mqtt_fixture_device(f, "garden-light");
	const struct mqtt_msg *m;
	long nodes = 0;
	size_t since;

	for (size_t i = 0; i < f->app.reg.n_nodes; i++)
		nodes += !f->app.reg.nodes[i].is_self;
	/* Relays 1-4, the garden light, lamps 1 and 2: all heard. */
	assert_int_equal(nodes, 7);
	assert_int_equal(health(f, "nodes_online"), nodes);
	assert_int_equal(health(f, "nodes_offline"), 0);

	since = f->n_msgs;
	sim_world_set_on_air(f->radio.world, garden, false);
	assert_non_null(mqtt_fixture_wait(f, "meshgate/garden light/availability", "offline", since,
					  15000));
	assert_int_equal(health(f, "nodes_online"), nodes - 1);
	assert_int_equal(health(f, "nodes_offline"), 1);
	since = f->n_msgs;
	sim_world_set_on_air(f->radio.world, garden, true);
	assert_non_null(mqtt_fixture_wait(f, "meshgate/garden light/availability", "online", since,
					  15000));
	assert_int_equal(health(f, "nodes_offline"), 0);

	/* An empty payload is {}; without a transaction none is echoed. */
	since = f->n_msgs;
	mqtt_fixture_publish(f, "meshgate/bridge/request/health_check", "");
	m = mqtt_fixture_wait(f, "meshgate/bridge/response/health_check", "\"ok\"", since, 5000);
	assert_non_null(m);
	assert_null(strstr(m->payload, "transaction"));
	assert_non_null(strstr(m->payload, "\"healthy\":true"));
}

/* Methods without parameters refuse any: "Unknown parameters are errors
 * (a typo never passes silently)". */
static void test_views_refuse_unknown_parameters(void **state)
{
	struct mqtt_fixture *f = *state;
	static const char *const methods[] = { "health_check", "networkmap", "backup", "info",
					       "nodes", "groups" };

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		mqtt_fixture_request_error(f, methods[i], "{\"verbose\":true}",
					   "unknown parameter 'verbose'");
}

/* Home Assistant restarted: it asks for everything by publishing online
 * on its status topic. Every discovery config it holds and every state
 * comes again; "offline" asks for nothing. */
static void test_homeassistant_online(void **state)
{
	struct mqtt_fixture *f = *state;
	size_t since, configs = 0;

	since = f->n_msgs;
	mqtt_fixture_publish(f, "homeassistant/status", "offline");
	test_uv_run_until(&f->loop, NULL, NULL, 1000);
	for (size_t i = since; i < f->n_msgs; i++)
		if (strncmp(f->msgs[i]->topic, "homeassistant/light/", 20) == 0)
			fail_msg("republished on offline: %s", f->msgs[i]->topic);

	since = f->n_msgs;
	mqtt_fixture_publish(f, "homeassistant/status", "online");
	assert_non_null(mqtt_fixture_wait(f, LAMP2_LIGHT_CONFIG, "landing/lamp", since, 5000));
	test_uv_run_until(&f->loop, NULL, NULL, 500);
	for (size_t i = 0; i < since; i++) {
		const char *t = f->msgs[i]->topic;

		/* Each topic once, at its last config before; emptied ones
		 * need not come again. */
		if (!is_discovery(t) || seen_before(f, t, i) ||
		    !last_before(f, t, since)->payload[0])
			continue;
		if (!mqtt_fixture_last(f, t, since))
			fail_msg("%s not republished", t);
	}
	for (size_t i = since; i < f->n_msgs; i++)
		configs += strncmp(f->msgs[i]->topic, "homeassistant/light/", 20) == 0;
	assert_true(configs >= 3);
	assert_non_null(mqtt_fixture_wait(f, "meshgate/landing/lamp", "\"state\"", since, 5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/stairway/lamp 1", "\"state\"", since, 5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/garden light/availability", "online", since,
					  5000));
	/* Everything still passes Home Assistant's schemas. */
	assert_true(mqtt_fixture_check_discovery(f) >= 8);
}

/*
 * When Home Assistant publishes online on its status topic everything is
 * published again (docs/mqtt.md), the bridge's own topics too: bridge/state
 * is what every entity's availability names.
 */
static void test_homeassistant_online_bridge_topics(void **state)
{
	struct mqtt_fixture *f = *state;
	size_t since = f->n_msgs;

	mqtt_fixture_publish(f, "homeassistant/status", "online");
	assert_non_null(mqtt_fixture_wait(f, LAMP2_LIGHT_CONFIG, "landing/lamp", since, 5000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/state", "online", since, 3000));
	assert_non_null(mqtt_fixture_wait(f, "meshgate/bridge/nodes", "landing/lamp", since, 3000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_node_rename_refused),
		cmocka_unit_test(test_node_rename),
		cmocka_unit_test(test_node_rename_kept),
		cmocka_unit_test(test_group_add),
		cmocka_unit_test(test_group_members_add),
		cmocka_unit_test(test_group_members_remove),
		cmocka_unit_test(test_group_rename),
		cmocka_unit_test(test_group_remove),
		cmocka_unit_test(test_reload_moves_nodes_between_groups),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_backup),
		cmocka_unit_test(test_networkmap),
		cmocka_unit_test(test_health_check),
		cmocka_unit_test(test_views_refuse_unknown_parameters),
		cmocka_unit_test(test_homeassistant_online),
		cmocka_unit_test(test_homeassistant_online_bridge_topics),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
