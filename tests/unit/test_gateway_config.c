/*
 * The gateway's configuration file (config/gateway_config.c): defaults,
 * every key of a full file, the shorthand forms, secrets from the
 * environment and from files, the shipped demo and example files, and one
 * case per kind of mistake, each asserting the whole message: file, line,
 * column, key path and reason. Secrets never show up in a message.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/gateway_config.h"
#include "mesh/err.h"

#define EXAMPLE MESHGATE_SOURCE_DIR "/deploy/config/config.example.yaml"
#define DEMO MESHGATE_SOURCE_DIR "/deploy/config/demo.yaml"

/* struct gw_config is large (paths of PATH_MAX): keep it off the stack. */
static struct gw_config cfg;

static int load(const char *yaml, char *err, size_t errlen)
{
	return gw_config_load_string(&cfg, yaml, strlen(yaml), "t.yaml", err, errlen);
}

static void load_ok(const char *yaml)
{
	char err[GW_CONFIG_ERR_MAX];
	int rc = load(yaml, err, sizeof(err));

	if (rc != 0)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
}

static void parse_uuid(const char *s, uint8_t out[16])
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned int v;

		if (*s == '-')
			continue;
		assert_int_equal(sscanf(s, "%1x", &v), 1);
		if (n % 2 == 0)
			out[n / 2] = (uint8_t)(v << 4);
		else
			out[n / 2] |= (uint8_t)v;
		n++;
	}
	assert_int_equal(n, 32);
}

/* A file in a fresh temporary directory holding text. */
static void temp_file(char *path, size_t size, const char *name, const char *text)
{
	char dir[] = "/tmp/test_gateway_config.XXXXXX";
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, size, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void remove_temp_file(const char *path)
{
	char dir[256];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	assert_non_null(slash);
	*slash = '\0';
	unlink(path);
	rmdir(dir);
}

static void check_defaults(const struct gw_config *c)
{
	assert_true(c->mqtt.enabled);
	assert_string_equal(c->mqtt.server, "mqtt://localhost:1883");
	assert_string_equal(c->mqtt.base_topic, "meshgate");
	assert_string_equal(c->mqtt.client_id, "meshgate");
	assert_string_equal(c->mqtt.username, "");
	assert_string_equal(c->mqtt.password, "");
	assert_string_equal(c->mqtt.ca, "");
	assert_false(c->mqtt.insecure);
	assert_int_equal(c->mqtt.version, 4);
	assert_int_equal(c->mqtt.keepalive_s, 60);
	assert_int_equal(c->mqtt.reconnect_max_s, 60);
	assert_true(c->homeassistant.enabled);
	assert_string_equal(c->homeassistant.discovery_prefix, "homeassistant");
	assert_string_equal(c->homeassistant.status_topic, "homeassistant/status");
	assert_int_equal(c->bearer.kind, GW_CONFIG_BEARER_SIMULATOR);
	assert_string_equal(c->bearer.device, "hci0");
	assert_int_equal(c->bearer.baudrate, 1000000);
	assert_true(c->bearer.rtscts);
	assert_string_equal(c->bearer.scenario, "");
	assert_string_equal(c->bearer.hci_log, "");
	assert_string_equal(c->mesh.data_dir, "");
	assert_int_equal(c->mesh.unicast_low, 0x0001);
	assert_int_equal(c->mesh.unicast_high, 0x7fff);
	assert_int_equal(c->mesh.heartbeat_group, 0xfeff);
	assert_int_equal(c->mesh.heartbeat_period_s, 0);
	assert_int_equal(c->mesh.liveness_factor, 3);
	assert_int_equal(c->mesh.default_ttl, 0);
	assert_false(c->mesh.has_network_transmit);
	assert_true(c->web.enabled);
	assert_string_equal(c->web.host, "0.0.0.0");
	assert_int_equal(c->web.port, 8080);
	assert_string_equal(c->web.password, "");
	assert_string_equal(c->web.cert, "");
	assert_int_equal(c->n_groups, 0);
	assert_null(c->groups);
	assert_int_equal(c->n_nodes, 0);
	assert_null(c->nodes);
	assert_int_equal(c->log.level, GW_CONFIG_LOG_INFO);
	assert_int_equal(c->log.format, GW_CONFIG_LOG_TEXT);
}

static void test_defaults(void **state)
{
	static const char *const empty[] = {
		"", "# only a comment\n\n   # and another\n", "~\n", "---\n",
		"mqtt:\nweb:\nlog: ~\n",
	};

	(void)state;
	gw_config_init(&cfg);
	check_defaults(&cfg);
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		load_ok(empty[i]);
		check_defaults(&cfg);
		assert_string_equal(cfg.file, "t.yaml");
		gw_config_free(&cfg);
	}
}

static const char full_yaml[] =
	"mqtt:\n"
	"  enabled: false\n"
	"  server: mqtts://broker.example.org\n"
	"  base_topic: home/mesh\n"
	"  client_id: pi-gateway\n"
	"  username: gw\n"
	"  password: 'p@ss word'\n"
	"  ca: /etc/ca.pem\n"
	"  cert: /etc/c.pem\n"
	"  key: /etc/k.pem\n"
	"  insecure: yes\n"
	"  version: 5\n"
	"  keepalive: 30\n"
	"  reconnect_max: 120\n"
	"homeassistant:\n"
	"  enabled: off\n"
	"  discovery_prefix: ha/discovery\n"
	"  status_topic: ha/status\n"
	"bearer:\n"
	"  type: uart\n"
	"  path: /dev/ttyACM0\n"
	"  baudrate: 115200\n"
	"  rtscts: false\n"
	"  hci_log: /tmp/hci.btsnoop\n"
	"mesh:\n"
	"  data_dir: /var/lib/meshgate\n"
	"  unicast_range: [0x0100, 0x01ff]\n"
	"  heartbeat_group: 0xc0fe\n"
	"  heartbeat_period: 32\n"
	"  liveness_factor: 5\n"
	"  default_ttl: 7\n"
	"  network_transmit: {count: 3, interval_ms: 30}\n"
	"web:\n"
	"  enabled: true\n"
	"  host: '::'\n"
	"  port: 8443\n"
	"  password: letmein\n"
	"  cert: /etc/w.crt\n"
	"  key: /etc/w.key\n"
	"groups:\n"
	"  living room: 0xc001\n"
	"  kitchen: {address: 49154}\n"
	"  garden:\n"
	"  porch: {}\n"
	"  whole house: {virtual: auto}\n"
	"  hall: {virtual: 2b9f5a6e-0c8d-4f14-9a53-6c1e0d7f3a21}\n"
	"nodes:\n"
	"  4f2c3b1a7d8e4a90b1c2d3e4f5a6b7c8:\n"
	"    name: living room/ceiling\n"
	"    groups: [living room, whole house]\n"
	"    provision: auto\n"
	"    static_oob: 00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n"
	"  0x0105:\n"
	"    name: kitchen/spots\n"
	"    elements:\n"
	"      - kitchen/spots\n"
	"      - {name: kitchen/dimmer, publish: kitchen}\n"
	"      - {publish: garden}\n"
	"      -\n"
	"    provision: manual\n"
	"  0x0200:\n"
	"log:\n"
	"  level: debug\n"
	"  format: json\n";

static void test_full(void **state)
{
	const struct gw_config_group *g;
	const struct gw_config_node *n;
	uint8_t uuid[16], label[16];

	(void)state;
	load_ok(full_yaml);
	assert_false(cfg.mqtt.enabled);
	assert_string_equal(cfg.mqtt.server, "mqtts://broker.example.org:8883");
	assert_string_equal(cfg.mqtt.base_topic, "home/mesh");
	assert_string_equal(cfg.mqtt.client_id, "pi-gateway");
	assert_string_equal(cfg.mqtt.username, "gw");
	assert_string_equal(cfg.mqtt.password, "p@ss word");
	assert_string_equal(cfg.mqtt.ca, "/etc/ca.pem");
	assert_string_equal(cfg.mqtt.cert, "/etc/c.pem");
	assert_string_equal(cfg.mqtt.key, "/etc/k.pem");
	assert_true(cfg.mqtt.insecure);
	assert_int_equal(cfg.mqtt.version, 5);
	assert_int_equal(cfg.mqtt.keepalive_s, 30);
	assert_int_equal(cfg.mqtt.reconnect_max_s, 120);

	assert_false(cfg.homeassistant.enabled);
	assert_string_equal(cfg.homeassistant.discovery_prefix, "ha/discovery");
	assert_string_equal(cfg.homeassistant.status_topic, "ha/status");

	assert_int_equal(cfg.bearer.kind, GW_CONFIG_BEARER_UART);
	assert_string_equal(cfg.bearer.path, "/dev/ttyACM0");
	assert_int_equal(cfg.bearer.baudrate, 115200);
	assert_false(cfg.bearer.rtscts);
	assert_string_equal(cfg.bearer.hci_log, "/tmp/hci.btsnoop");

	assert_string_equal(cfg.mesh.data_dir, "/var/lib/meshgate");
	assert_int_equal(cfg.mesh.unicast_low, 0x0100);
	assert_int_equal(cfg.mesh.unicast_high, 0x01ff);
	assert_int_equal(cfg.mesh.heartbeat_group, 0xc0fe);
	assert_int_equal(cfg.mesh.heartbeat_period_s, 32);
	assert_int_equal(cfg.mesh.liveness_factor, 5);
	assert_int_equal(cfg.mesh.default_ttl, 7);
	assert_true(cfg.mesh.has_network_transmit);
	assert_int_equal(cfg.mesh.network_transmit_count, 3);
	assert_int_equal(cfg.mesh.network_transmit_interval_ms, 30);

	assert_true(cfg.web.enabled);
	assert_string_equal(cfg.web.host, "::");
	assert_int_equal(cfg.web.port, 8443);
	assert_string_equal(cfg.web.password, "letmein");
	assert_string_equal(cfg.web.cert, "/etc/w.crt");
	assert_string_equal(cfg.web.key, "/etc/w.key");

	assert_int_equal(cfg.n_groups, 6);
	g = gw_config_group_find(&cfg, "living room");
	assert_ptr_equal(g, &cfg.groups[0]);
	assert_int_equal(g->kind, GW_CONFIG_GROUP_ADDRESS);
	assert_int_equal(g->address, 0xc001);
	assert_int_equal(g->mark.line, 41);
	assert_int_equal(g->mark.column, 3);
	g = gw_config_group_find(&cfg, "kitchen");
	assert_int_equal(g->kind, GW_CONFIG_GROUP_ADDRESS);
	assert_int_equal(g->address, 0xc002);
	assert_int_equal(gw_config_group_find(&cfg, "garden")->kind, GW_CONFIG_GROUP_AUTO);
	assert_int_equal(gw_config_group_find(&cfg, "porch")->kind, GW_CONFIG_GROUP_AUTO);
	assert_int_equal(gw_config_group_find(&cfg, "whole house")->kind,
			 GW_CONFIG_GROUP_VIRTUAL_AUTO);
	g = gw_config_group_find(&cfg, "hall");
	assert_int_equal(g->kind, GW_CONFIG_GROUP_VIRTUAL);
	parse_uuid("2b9f5a6e-0c8d-4f14-9a53-6c1e0d7f3a21", label);
	assert_memory_equal(g->label, label, 16);
	assert_null(gw_config_group_find(&cfg, "Hall"));

	assert_int_equal(cfg.n_nodes, 3);
	n = &cfg.nodes[0];
	assert_true(n->by_uuid);
	parse_uuid("4f2c3b1a7d8e4a90b1c2d3e4f5a6b7c8", uuid);
	assert_memory_equal(n->uuid, uuid, 16);
	assert_string_equal(n->name, "living room/ceiling");
	assert_int_equal(n->n_groups, 2);
	assert_string_equal(n->groups[0], "living room");
	assert_string_equal(n->groups[1], "whole house");
	assert_true(n->provision_auto);
	assert_int_equal(n->static_oob_len, 32);
	assert_int_equal(n->static_oob[0], 0x00);
	assert_int_equal(n->static_oob[15], 0xff);
	assert_int_equal(n->static_oob[31], 0xff);
	assert_int_equal(n->n_elements, 0);
	assert_int_equal(n->mark.line, 48);

	n = &cfg.nodes[1];
	assert_false(n->by_uuid);
	assert_int_equal(n->address, 0x0105);
	assert_string_equal(n->name, "kitchen/spots");
	assert_false(n->provision_auto);
	assert_int_equal(n->static_oob_len, 0);
	assert_int_equal(n->n_elements, 4);
	assert_string_equal(n->elements[0].name, "kitchen/spots");
	assert_string_equal(n->elements[0].publish, "");
	assert_string_equal(n->elements[1].name, "kitchen/dimmer");
	assert_string_equal(n->elements[1].publish, "kitchen");
	assert_string_equal(n->elements[2].name, "");
	assert_string_equal(n->elements[2].publish, "garden");
	assert_string_equal(n->elements[3].name, "");
	assert_string_equal(n->elements[3].publish, "");

	n = &cfg.nodes[2];
	assert_int_equal(n->address, 0x0200);
	assert_string_equal(n->name, "");

	/* By UUID first, else by the primary address. */
	assert_ptr_equal(gw_config_node_find(&cfg, uuid, 0x0105), &cfg.nodes[0]);
	uuid[0] ^= 1;
	assert_ptr_equal(gw_config_node_find(&cfg, uuid, 0x0105), &cfg.nodes[1]);
	assert_ptr_equal(gw_config_node_find(&cfg, NULL, 0x0200), &cfg.nodes[2]);
	assert_null(gw_config_node_find(&cfg, uuid, 0x0106));
	assert_null(gw_config_node_find(&cfg, uuid, 0x0000));

	assert_int_equal(cfg.log.level, GW_CONFIG_LOG_DEBUG);
	assert_int_equal(cfg.log.format, GW_CONFIG_LOG_JSON);

	/* Freeing wipes the secrets and leaves the defaults, ready to load. */
	gw_config_free(&cfg);
	check_defaults(&cfg);
	load_ok(full_yaml);
	assert_int_equal(cfg.n_nodes, 3);
	gw_config_free(&cfg);
}

static void test_shorthand(void **state)
{
	(void)state;
	load_ok("mqtt: false\nhomeassistant: false\nweb: no\n"
		"mesh:\n  unicast_range: \"0x0010-0x0fff\"\n"
		"groups:\n  a: 49153\n  b: 0xC002\n  c: ~\n"
		"nodes:\n"
		"  0x0001:\n    elements: [one, two, three]\n"
		"  0x0002: ~\n");
	assert_false(cfg.mqtt.enabled);
	assert_false(cfg.homeassistant.enabled);
	assert_string_equal(cfg.homeassistant.discovery_prefix, "homeassistant");
	assert_false(cfg.web.enabled);
	assert_int_equal(cfg.mesh.unicast_low, 0x0010);
	assert_int_equal(cfg.mesh.unicast_high, 0x0fff);
	assert_int_equal(cfg.groups[0].address, 0xc001);
	assert_int_equal(cfg.groups[1].address, 0xc002);
	assert_int_equal(cfg.groups[2].kind, GW_CONFIG_GROUP_AUTO);
	assert_int_equal(cfg.nodes[0].n_elements, 3);
	assert_string_equal(cfg.nodes[0].elements[2].name, "three");
	assert_int_equal(cfg.nodes[1].address, 0x0002);
	gw_config_free(&cfg);

	/* The longest name: 95 bytes. */
	load_ok("nodes:\n  0x0001:\n    name: 01234567890123456789012345678901234567890123456789"
		"012345678901234567890123456789012345678901234\n");
	assert_int_equal(strlen(cfg.nodes[0].name), 95);
	gw_config_free(&cfg);

	load_ok("homeassistant: true\nbearer:\n  type: hci\n  device: hci1\n"
		"mqtt:\n  server: mqtt://[::1]\n  version: \"3.1.1\"\n");
	assert_true(cfg.homeassistant.enabled);
	assert_int_equal(cfg.bearer.kind, GW_CONFIG_BEARER_HCI);
	assert_string_equal(cfg.bearer.device, "hci1");
	assert_string_equal(cfg.mqtt.server, "mqtt://[::1]:1883");
	assert_int_equal(cfg.mqtt.version, 4);
	gw_config_free(&cfg);

	load_ok("bearer: {type: simulator, scenario: /tmp/house.yaml}\n"
		"mqtt: {server: 'MQTT://10.0.0.2:1884/', version: '5'}\n");
	assert_int_equal(cfg.bearer.kind, GW_CONFIG_BEARER_SIMULATOR);
	assert_string_equal(cfg.bearer.scenario, "/tmp/house.yaml");
	assert_string_equal(cfg.mqtt.server, "mqtt://10.0.0.2:1884");
	assert_int_equal(cfg.mqtt.version, 5);
	gw_config_free(&cfg);
}

static void test_env(void **state)
{
	(void)state;
	setenv("MESHGATE_T_HOST", "broker.lan", 1);
	setenv("MESHGATE_T_PORT", "8884", 1);
	setenv("MESHGATE_T_PASS", "s3cret$", 1);
	setenv("MESHGATE_T_ROOM", "kitchen", 1);
	setenv("MESHGATE_T_OOB", "00112233445566778899aabbccddeeff", 1);
	setenv("MESHGATE_T_EMPTY", "", 1);
	load_ok("mqtt:\n"
		"  server: mqtts://${MESHGATE_T_HOST}:${MESHGATE_T_PORT}\n"
		"  username: \"$${literal}${MESHGATE_T_EMPTY}\"\n"
		"  password: ${MESHGATE_T_PASS}\n"
		"web:\n  port: ${MESHGATE_T_PORT}\n"
		"groups:\n  kitchen:\n"
		"nodes:\n  00112233445566778899aabbccddeeff:\n"
		"    name: ${MESHGATE_T_ROOM}/lamp\n"
		"    groups: [\"${MESHGATE_T_ROOM}\"]\n"
		"    static_oob: ${MESHGATE_T_OOB}\n");
	assert_string_equal(cfg.mqtt.server, "mqtts://broker.lan:8884");
	assert_string_equal(cfg.mqtt.username, "${literal}");
	assert_string_equal(cfg.mqtt.password, "s3cret$");
	assert_int_equal(cfg.web.port, 8884);
	assert_string_equal(cfg.nodes[0].name, "kitchen/lamp");
	assert_string_equal(cfg.nodes[0].groups[0], "kitchen");
	assert_int_equal(cfg.nodes[0].static_oob_len, 16);
	assert_int_equal(cfg.nodes[0].static_oob[1], 0x11);
	gw_config_free(&cfg);
	unsetenv("MESHGATE_T_HOST");
	unsetenv("MESHGATE_T_PORT");
	unsetenv("MESHGATE_T_PASS");
	unsetenv("MESHGATE_T_ROOM");
	unsetenv("MESHGATE_T_OOB");
	unsetenv("MESHGATE_T_EMPTY");
}

static void test_password_file(void **state)
{
	char path[256], yaml[1024], err[GW_CONFIG_ERR_MAX], long_line[300];

	(void)state;
	temp_file(path, sizeof(path), "pw", "hunter2\r\nsecond line\n");
	snprintf(yaml, sizeof(yaml), "mqtt:\n  username: u\n  password_file: %s\n"
		 "web:\n  password_file: %s\n", path, path);
	load_ok(yaml);
	assert_string_equal(cfg.mqtt.password, "hunter2");
	assert_string_equal(cfg.web.password, "hunter2");
	gw_config_free(&cfg);
	remove_temp_file(path);

	/* No newline at the end is fine. */
	temp_file(path, sizeof(path), "oob", "5f3ab1c2e4d6978800112233445566ff");
	snprintf(yaml, sizeof(yaml), "nodes:\n  2295c190-d284-474d-a231-63c133378cb0:\n"
		 "    static_oob_file: %s\n", path);
	load_ok(yaml);
	assert_int_equal(cfg.nodes[0].static_oob_len, 16);
	assert_int_equal(cfg.nodes[0].static_oob[0], 0x5f);
	gw_config_free(&cfg);
	remove_temp_file(path);

	/* An empty first line, a line longer than a password can be. */
	temp_file(path, sizeof(path), "pw", "\nhunter2\n");
	snprintf(yaml, sizeof(yaml), "web:\n  password_file: %s\n", path);
	assert_int_equal(load(yaml, err, sizeof(err)), MESH_ERR_INVAL);
	snprintf(yaml, sizeof(yaml), "t.yaml:2:18: web.password_file: the first line of %s is "
		 "empty", path);
	assert_string_equal(err, yaml);
	remove_temp_file(path);

	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	temp_file(path, sizeof(path), "pw", long_line);
	snprintf(yaml, sizeof(yaml), "web:\n  password_file: %s\n", path);
	assert_int_equal(load(yaml, err, sizeof(err)), MESH_ERR_INVAL);
	snprintf(yaml, sizeof(yaml), "t.yaml:2:18: web.password_file: the first line of %s is "
		 "too long (at most 255 characters)", path);
	assert_string_equal(err, yaml);
	assert_null(strstr(err, "xxx"));
	remove_temp_file(path);
}

/* The shipped example loads with its secrets in the environment. */
static void test_example_file(void **state)
{
	char err[GW_CONFIG_ERR_MAX];
	const struct gw_config_node *n;
	uint8_t uuid[16];

	(void)state;
	setenv("MQTT_PASSWORD", "mqtt-secret", 1);
	setenv("MESHGATE_WEB_PASSWORD", "web-secret", 1);
	setenv("WALL_SWITCH_OOB", "0123456789abcdef0123456789abcdef", 1);
	assert_int_equal(gw_config_load_file(&cfg, EXAMPLE, err, sizeof(err)), 0);
	assert_string_equal(cfg.file, EXAMPLE);
	assert_string_equal(cfg.mqtt.server, "mqtts://raspberrypi.local:8883");
	assert_string_equal(cfg.mqtt.password, "mqtt-secret");
	assert_string_equal(cfg.web.password, "web-secret");
	assert_int_equal(cfg.bearer.kind, GW_CONFIG_BEARER_HCI);
	assert_string_equal(cfg.bearer.device, "hci0");
	assert_int_equal(cfg.mesh.heartbeat_group, 0xfeff);
	assert_int_equal(cfg.n_groups, 5);
	assert_int_equal(cfg.n_nodes, 3);
	parse_uuid("9a8b7c6d-5e4f-4321-8fed-cba987654321", uuid);
	n = gw_config_node_find(&cfg, uuid, 0);
	assert_non_null(n);
	assert_string_equal(n->name, "living room/wall switch");
	assert_int_equal(n->static_oob_len, 16);
	assert_int_equal(n->static_oob[0], 0x01);
	assert_string_equal(n->elements[1].publish, "whole house");
	gw_config_free(&cfg);

	/* Without them, the first one missing is named. */
	unsetenv("MQTT_PASSWORD");
	assert_int_equal(gw_config_load_file(&cfg, EXAMPLE, err, sizeof(err)), MESH_ERR_INVAL);
	assert_non_null(strstr(err, ": mqtt.password: environment variable MQTT_PASSWORD is not "
			       "set"));
	assert_int_equal(cfg.n_nodes, 0);
	unsetenv("MESHGATE_WEB_PASSWORD");
	unsetenv("WALL_SWITCH_OOB");
}

/* The demo runs the built-in stairway. */
static void test_builtin(void **state)
{
	char err[GW_CONFIG_ERR_MAX];
	const struct gw_config_node *n;
	const struct gw_config_group *g;
	uint8_t uuid[16];
	static const struct {
		const char *uuid, *name;
		bool in_group, provision_auto;
	} expect[] = {
		{ "ceadffdd-8dbe-4c86-91a0-1604b5b5df05", "stairway/lamp 1", true, true },
		{ "8658a8f1-6d78-4d3a-8d01-05aba6dac39c", "stairway/lamp 2", true, true },
		{ "02da705d-5822-415f-84ad-3d66db9da905", "stairway/lamp 3", true, false },
		{ "d43af77b-9979-4db9-9ea3-db8881d06382", "stairway/lamp 4", true, false },
		{ "2ce197f5-f59a-41b2-bd29-73dd64fd5f41", "stairway/switch top", false, true },
		{ "c119315d-49ba-4cde-b743-2f59bfa4cf33", "stairway/switch ground", false, false },
		{ "2295c190-d284-474d-a231-63c133378cb0", "stairway/sensor", false, true },
		{ "aed95d33-ef90-4a7f-8069-2c2156aed63b", "drive/relay 1", false, false },
		{ "8e8351c1-8a81-4436-9713-6cefba9de215", "drive/relay 2", false, false },
		{ "e34ceade-b19a-4bb0-aeb5-c3d962cdf12f", "drive/relay 3", false, false },
		{ "075c2486-f051-4839-abc2-0428373d081d", "drive/relay 4", false, false },
		{ "8c6fecfa-752d-406e-bd66-942fd055e1be", "garden light", false, false },
	};

	(void)state;
	assert_int_equal(gw_config_load_builtin(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.file, "");
	assert_string_equal(cfg.mqtt.server, "mqtt://localhost:1883");
	assert_string_equal(cfg.mqtt.base_topic, "meshgate");
	assert_int_equal(cfg.bearer.kind, GW_CONFIG_BEARER_SIMULATOR);
	assert_string_equal(cfg.bearer.scenario, "");
	assert_int_equal(cfg.n_groups, 1);
	g = gw_config_group_find(&cfg, "stairway lights");
	assert_non_null(g);
	assert_int_equal(g->kind, GW_CONFIG_GROUP_AUTO);
	assert_int_equal(cfg.n_nodes, sizeof(expect) / sizeof(expect[0]));
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		parse_uuid(expect[i].uuid, uuid);
		n = gw_config_node_find(&cfg, uuid, 0);
		assert_non_null(n);
		assert_string_equal(n->name, expect[i].name);
		assert_int_equal(n->provision_auto, expect[i].provision_auto);
		assert_int_equal(n->n_groups, expect[i].in_group ? 1 : 0);
		if (expect[i].in_group)
			assert_string_equal(n->groups[0], "stairway lights");
	}
	parse_uuid("2ce197f5-f59a-41b2-bd29-73dd64fd5f41", uuid);
	n = gw_config_node_find(&cfg, uuid, 0);
	assert_int_equal(n->n_elements, 2);
	assert_string_equal(n->elements[0].name, "stairway/switch top left");
	assert_string_equal(n->elements[1].name, "stairway/switch top right");
	assert_string_equal(n->elements[0].publish, "stairway lights");
	assert_string_equal(n->elements[1].publish, "stairway lights");
	parse_uuid("c119315d-49ba-4cde-b743-2f59bfa4cf33", uuid);
	n = gw_config_node_find(&cfg, uuid, 0);
	assert_int_equal(n->n_elements, 1);
	assert_string_equal(n->elements[0].name, "stairway/switch ground");
	assert_string_equal(n->elements[0].publish, "stairway lights");
	/* The sensor's static OOB is the scenario's. */
	parse_uuid("2295c190-d284-474d-a231-63c133378cb0", uuid);
	n = gw_config_node_find(&cfg, uuid, 0);
	assert_int_equal(n->static_oob_len, 16);
	assert_int_equal(n->static_oob[0], 0x5f);
	assert_int_equal(n->static_oob[15], 0xff);
	gw_config_free(&cfg);

	/* The file on disk is the one compiled in. */
	assert_int_equal(gw_config_load_file(&cfg, DEMO, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_nodes, sizeof(expect) / sizeof(expect[0]));
	gw_config_free(&cfg);
}

struct bad_case {
	const char *yaml;
	const char *expect;   /* the whole message */
};

#define UUID1 "ceadffdd-8dbe-4c86-91a0-1604b5b5df05"

static const struct bad_case bad_cases[] = {
	/* the file itself */
	{ "mqtt:\n  server: [mqtt://x\n",
	  "t.yaml:3:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow "
	  "sequence at line 2)" },
	{ "mqtt:\n\tserver: x\n",
	  "t.yaml:2:1: invalid YAML: found character that cannot start any token (while "
	  "scanning for the next token)" },
	{ "- mqtt\n- web\n",
	  "t.yaml:1:1: expected a mapping of sections (mqtt, homeassistant, bearer, mesh, web, "
	  "groups, nodes, log), got a list" },
	{ "hello\n",
	  "t.yaml:1:1: expected a mapping of sections (mqtt, homeassistant, bearer, mesh, web, "
	  "groups, nodes, log), got \"hello\"" },
	{ "log: {level: info}\n---\nlog: {level: debug}\n",
	  "t.yaml:2:1: a second YAML document (this file holds one)" },
	/* unknown and duplicate keys */
	{ "mqtt:\n  sever: mqtt://broker\n",
	  "t.yaml:2:3: mqtt.sever: unknown key (known keys here: enabled, server, base_topic, "
	  "client_id, username, password, password_file, ca, cert, key, insecure, version, "
	  "keepalive, reconnect_max)" },
	{ "loglevel: debug\n",
	  "t.yaml:1:1: loglevel: unknown key (known keys here: mqtt, homeassistant, bearer, "
	  "mesh, web, groups, nodes, log)" },
	{ "nodes:\n  0x0105:\n    nmae: lamp\n",
	  "t.yaml:3:5: nodes.0x0105.nmae: unknown key (known keys here: name, elements, "
	  "static_oob, static_oob_file, groups, provision)" },
	{ "mqtt:\n  server: mqtt://a\n  server: mqtt://b\n",
	  "t.yaml:3:3: mqtt.server: duplicate key (first at line 2)" },
	{ "log:\n  level: info\nweb:\nlog:\n",
	  "t.yaml:4:1: log: duplicate key (first at line 1)" },
	{ "groups:\n  hall:\n  hall: 0xc001\n",
	  "t.yaml:3:3: groups.hall: duplicate group name (first at line 2)" },
	/* types and ranges */
	{ "web:\n  port: eighty\n",
	  "t.yaml:2:9: web.port: expected an integer (decimal or 0x hex), got \"eighty\"" },
	{ "web:\n  port: [80]\n",
	  "t.yaml:2:9: web.port: expected an integer (decimal or 0x hex), got a list" },
	{ "web:\n  port: 0\n", "t.yaml:2:9: web.port: 0 is out of range 1..65535" },
	{ "mqtt:\n  keepalive: 3\n", "t.yaml:2:14: mqtt.keepalive: 3 is out of range 5..65535" },
	{ "mqtt:\n  reconnect_max: 3601\n",
	  "t.yaml:2:18: mqtt.reconnect_max: 3601 is out of range 1..3600" },
	{ "mqtt:\n  insecure: maybe\n",
	  "t.yaml:2:13: mqtt.insecure: expected true or false, got \"maybe\"" },
	{ "mqtt: [server]\n",
	  "t.yaml:1:7: mqtt: expected a mapping (server, base_topic, ...) or true/false, got a "
	  "list" },
	{ "homeassistant: perhaps\n",
	  "t.yaml:1:16: homeassistant: expected a mapping (enabled, discovery_prefix, "
	  "status_topic) or true/false, got \"perhaps\"" },
	{ "log:\n  level: verbose\n",
	  "t.yaml:2:10: log.level: expected error, warn, info or debug, got \"verbose\"" },
	{ "log:\n  format: xml\n", "t.yaml:2:11: log.format: expected text or json, got \"xml\"" },
	{ "mesh:\n  liveness_factor: 1\n",
	  "t.yaml:2:20: mesh.liveness_factor: 1 is out of range 2..100" },
	{ "mesh:\n  heartbeat_period: 65537\n",
	  "t.yaml:2:21: mesh.heartbeat_period: 65537 is out of range 1..65536" },
	/* mqtt */
	{ "mqtt:\n  server: tcp://broker:1883\n",
	  "t.yaml:2:11: mqtt.server: the scheme must be mqtt:// or mqtts:// (mqtts for TLS)" },
	{ "mqtt:\n  server: broker:1883\n",
	  "t.yaml:2:11: mqtt.server: expected mqtt://host[:port] or mqtts://host[:port]" },
	{ "mqtt:\n  server: mqtt://broker:99999\n",
	  "t.yaml:2:11: mqtt.server: the port must be a number 1..65535" },
	{ "mqtt:\n  server: mqtt://:1883\n", "t.yaml:2:11: mqtt.server: the host is missing" },
	{ "mqtt:\n  server: mqtt://gw:pw@broker\n",
	  "t.yaml:2:11: mqtt.server: no user name or password in the URL, please (use "
	  "username and password or password_file)" },
	{ "mqtt:\n  server: mqtt://broker/mesh\n",
	  "t.yaml:2:11: mqtt.server: no path in the URL, please (mqtt[s]://host[:port])" },
	{ "mqtt:\n  base_topic: home/+/mesh\n",
	  "t.yaml:2:15: mqtt.base_topic: must not contain the MQTT wildcards '+' and '#'" },
	{ "mqtt:\n  base_topic: home/#\n",
	  "t.yaml:2:15: mqtt.base_topic: must not contain the MQTT wildcards '+' and '#'" },
	{ "mqtt:\n  base_topic: /meshgate\n",
	  "t.yaml:2:15: mqtt.base_topic: must not start or end with '/'" },
	{ "mqtt:\n  base_topic: home//mesh\n",
	  "t.yaml:2:15: mqtt.base_topic: must not contain an empty level ('//')" },
	{ "mqtt:\n  base_topic: ''\n", "t.yaml:2:15: mqtt.base_topic: must not be empty" },
	{ "mqtt:\n  base_topic: $SYS/mesh\n",
	  "t.yaml:2:15: mqtt.base_topic: must not start with '$' (such topics belong to the "
	  "broker)" },
	{ "homeassistant:\n  discovery_prefix: ha/\n",
	  "t.yaml:2:21: homeassistant.discovery_prefix: must not start or end with '/'" },
	{ "homeassistant:\n  status_topic: ha/+\n",
	  "t.yaml:2:17: homeassistant.status_topic: expected a topic (UTF-8, no wildcards '+' "
	  "or '#')" },
	{ "mqtt:\n  client_id: 01234567890123456789012345678901234567890123456789012345678901234\n",
	  "t.yaml:2:14: mqtt.client_id: expected 1..64 printable ASCII characters (up to 23 "
	  "work with every broker)" },
	{ "mqtt:\n  version: 3.1\n",
	  "t.yaml:2:12: mqtt.version: MQTT 3.1 is not supported; use \"3.1.1\" (in quotes) or 5" },
	{ "mqtt:\n  version: 4\n",
	  "t.yaml:2:12: mqtt.version: expected \"3.1.1\" or 5, got \"4\"" },
	{ "mqtt:\n  username: u\n  password: a\n  password_file: /tmp/pw\n",
	  "t.yaml:4:3: mqtt.password_file: give password or password_file, not both" },
	{ "mqtt:\n  password: x\n",
	  "t.yaml:2:3: mqtt.password: MQTT 3.1.1 sends a password only with a username" },
	{ "mqtt:\n  ca: /etc/ca.pem\n",
	  "t.yaml:2:3: mqtt.ca: only for a TLS server (mqtts://...)" },
	{ "mqtt:\n  server: mqtts://broker\n  cert: /etc/c.pem\n",
	  "t.yaml:3:9: mqtt.cert: a certificate needs its private key (key)" },
	{ "web:\n  key: /etc/k.pem\n",
	  "t.yaml:2:8: web.key: a private key needs its certificate (cert)" },
	{ "web:\n  host: 'my host'\n",
	  "t.yaml:2:9: web.host: expected a host name or an address to listen on (0.0.0.0: "
	  "all IPv4, :: all IPv6)" },
	/* secrets */
	{ "mqtt:\n  username: u\n  password: ${MQTT_PASSWORD}\n",
	  "t.yaml:3:13: mqtt.password: environment variable MQTT_PASSWORD is not set" },
	{ "web:\n  port: ${MESHGATE_NO_SUCH_PORT}\n",
	  "t.yaml:2:9: web.port: environment variable MESHGATE_NO_SUCH_PORT is not set" },
	{ "mqtt:\n  username: ${MQTT USER}\n",
	  "t.yaml:2:13: mqtt.username: expected ${NAME} with NAME made of letters, digits and "
	  "'_' (write $${ for a literal ${)" },
	{ "mqtt:\n  username: ab${X\n",
	  "t.yaml:2:13: mqtt.username: expected ${NAME} with NAME made of letters, digits and "
	  "'_' (write $${ for a literal ${)" },
	{ "mqtt:\n  username: u\n  password_file: /nonexistent/meshgate/pw\n",
	  "t.yaml:3:18: mqtt.password_file: cannot read /nonexistent/meshgate/pw: No such file "
	  "or directory" },
	{ "web:\n  password_file: /\n",
	  "t.yaml:2:18: web.password_file: cannot read /: Is a directory" },
	{ "web:\n  password_file: /dev/null\n",
	  "t.yaml:2:18: web.password_file: cannot read /dev/null: not a regular file" },
	{ "nodes:\n  " UUID1 ":\n    static_oob: 5f3ab1c2e4d69788001122334455zz\n",
	  "t.yaml:3:17: nodes." UUID1 ".static_oob: expected 32 or 64 hex digits (a 128- or "
	  "256-bit value; value not shown)" },
	{ "nodes:\n  " UUID1 ":\n    static_oob: [5f3ab1c2e4d6978800112233445566ff]\n",
	  "t.yaml:3:17: nodes." UUID1 ".static_oob: expected a string, got a list" },
	{ "nodes:\n  " UUID1 ":\n    static_oob: 00\n    static_oob_file: /tmp/x\n",
	  "t.yaml:4:5: nodes." UUID1 ".static_oob_file: give static_oob or static_oob_file, "
	  "not both" },
	{ "nodes:\n  0x0105:\n    static_oob: 5f3ab1c2e4d6978800112233445566ff\n",
	  "t.yaml:3:5: nodes.0x0105.static_oob: only for a node given by its device UUID "
	  "(static OOB is for provisioning)" },
	/* bearer */
	{ "bearer:\n  type: hci\n  baudrate: 115200\n",
	  "t.yaml:3:3: bearer.baudrate: only for type uart" },
	{ "bearer:\n  type: uart\n  path: /dev/ttyACM0\n  device: hci0\n",
	  "t.yaml:4:3: bearer.device: only for type hci" },
	{ "bearer:\n  type: hci\n  scenario: x.yaml\n",
	  "t.yaml:3:3: bearer.scenario: only for type simulator" },
	{ "bearer:\n  type: uart\n",
	  "t.yaml:2:3: bearer: path is missing (the serial device of the controller, e.g. "
	  "/dev/ttyACM0)" },
	{ "bearer:\n  device: hci0\n",
	  "t.yaml:2:3: bearer: type is missing (hci, uart or simulator)" },
	{ "bearer:\n  type: usb\n",
	  "t.yaml:2:9: bearer.type: expected hci, uart or simulator, got \"usb\"" },
	{ "bearer:\n  type: uart\n  path: /dev/ttyS0\n  baudrate: 100000\n",
	  "t.yaml:4:13: bearer.baudrate: 100000 is not a standard rate (9600, 19200, 38400, "
	  "57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, "
	  "2000000, 2500000, 3000000, 3500000 or 4000000)" },
	{ "bearer:\n  type: hci\n  device: bluetooth0\n",
	  "t.yaml:3:11: bearer.device: expected an HCI device such as hci0 (see `hciconfig` or "
	  "`btmgmt info`)" },
	/* mesh */
	{ "mesh:\n  default_ttl: 1\n",
	  "t.yaml:2:16: mesh.default_ttl: 1 is prohibited as a default TTL (a message sent with "
	  "TTL 1 is never relayed); use 0 to leave the nodes' own, or 2..127" },
	{ "mesh:\n  default_ttl: 128\n",
	  "t.yaml:2:16: mesh.default_ttl: 128 is out of range 0..127" },
	{ "mesh:\n  network_transmit: {count: 2, interval_ms: 25}\n",
	  "t.yaml:2:45: mesh.network_transmit.interval_ms: 25 is not a multiple of 10 ms" },
	{ "mesh:\n  network_transmit: {count: 9}\n",
	  "t.yaml:2:29: mesh.network_transmit.count: 9 is out of range 1..8" },
	{ "mesh:\n  network_transmit: {interval_ms: 20}\n",
	  "t.yaml:2:21: mesh.network_transmit: count is missing (transmissions, 1..8)" },
	{ "mesh:\n  unicast_range: [0x0200, 0x0100]\n",
	  "t.yaml:2:18: mesh.unicast_range: low 0x0200 is above high 0x0100" },
	{ "mesh:\n  unicast_range: 0x0001-0x8000\n",
	  "t.yaml:2:18: mesh.unicast_range: 0x8000 is not a unicast address (0x0001..0x7fff)" },
	{ "mesh:\n  unicast_range: [1, 2, 3]\n",
	  "t.yaml:2:18: mesh.unicast_range: expected [low, high], got 3 items" },
	{ "mesh:\n  unicast_range: [0, 2]\n",
	  "t.yaml:2:19: mesh.unicast_range[0]: 0x0000 is not a unicast address (0x0001..0x7fff)" },
	{ "mesh:\n  heartbeat_group: 0x0001\n",
	  "t.yaml:2:20: mesh.heartbeat_group: 0x0001 is a unicast address, not a group "
	  "(0xc000..0xffff)" },
	{ "mesh:\n  heartbeat_group: 0x8000\n",
	  "t.yaml:2:20: mesh.heartbeat_group: 0x8000 is a virtual address; heartbeats go to a "
	  "group address (0xc000..0xffff)" },
	{ "mesh:\n  heartbeat_group: 0\n",
	  "t.yaml:2:20: mesh.heartbeat_group: 0x0000 is the unassigned address, not a group" },
	/* groups */
	{ "groups:\n  stairway lights:\n    address: 0x8001\n",
	  "t.yaml:3:14: groups.stairway lights.address: 0x8001 is a virtual address; use "
	  "'virtual:' with a label UUID" },
	{ "groups:\n  hall: 0x0105\n",
	  "t.yaml:2:9: groups.hall: 0x0105 is a unicast address, not a group" },
	{ "groups:\n  hall: 0\n",
	  "t.yaml:2:9: groups.hall: 0x0000 is the unassigned address, not a group" },
	{ "groups:\n  all: 0xffff\n",
	  "t.yaml:2:8: groups.all: 0xffff is a fixed group (all-proxies/friends/relays/nodes) "
	  "and cannot be named" },
	{ "groups:\n  relays: {address: 0xff00}\n",
	  "t.yaml:2:21: groups.relays.address: 0xff00 is a fixed group (all-proxies/friends/"
	  "relays/nodes) and cannot be named" },
	{ "groups:\n  big: 0x10000\n", "t.yaml:2:8: groups.big: 0x10000 is not a 16-bit address" },
	{ "groups:\n  hb: 0xfeff\n",
	  "t.yaml:2:7: groups.hb: 0xfeff is the heartbeat group (mesh.heartbeat_group); give the "
	  "group another address" },
	{ "mesh: {heartbeat_group: 0xc005}\ngroups:\n  hb: {address: 0xc005}\n",
	  "t.yaml:3:17: groups.hb.address: 0xc005 is the heartbeat group (mesh.heartbeat_group); "
	  "give the group another address" },
	{ "groups:\n  a: 0xc001\n  \"c\\nd\":\n",
	  "t.yaml:3:3: groups.c?d: a name must be UTF-8 text without control characters" },
	{ "groups:\n  a:\nnodes:\n  0x0001: {groups: [\"x\\ny\"]}\n",
	  "t.yaml:4:21: nodes.0x0001.groups[0]: no group \"x?y\" in groups" },
	{ "groups:\n  a: 0xc001\n  b: {address: 49153}\n",
	  "t.yaml:3:16: groups.b.address: 0xc001 is also the address of group \"a\" (line 2)" },
	{ "groups:\n  a: {virtual: 2b9f5a6e-0c8d-4f14-9a53-6c1e0d7f3a21}\n"
	  "  b: {virtual: 2b9f5a6e0c8d4f149a536c1e0d7f3a21}\n",
	  "t.yaml:3:16: groups.b.virtual: the same Label UUID as group \"a\" (line 2)" },
	{ "groups:\n  a: {virtual: 2b9f5a6e-0c8d-4f14-9a53-6c1e0d7f3a2}\n",
	  "t.yaml:2:16: groups.a.virtual: expected a Label UUID (32 hex digits, dashes allowed) "
	  "or auto, got \"2b9f5a6e-0c8d-4f14-9a53-6c1e0d7f3a2\"" },
	{ "groups:\n  a: {address: 0xc001, virtual: auto}\n",
	  "t.yaml:2:24: groups.a.virtual: give address or virtual, not both" },
	{ "groups:\n  a: [0xc001]\n",
	  "t.yaml:2:6: groups.a: expected a group address (0xc001), {address: 0xc001}, "
	  "{virtual: <Label UUID> or auto} or nothing, got a list" },
	{ "groups:\n  a: living room\n",
	  "t.yaml:2:6: groups.a: expected a group address such as 0xc001, got \"living room\"" },
	{ "groups: [a, b]\n",
	  "t.yaml:1:9: groups: expected a mapping of group name to address (or nothing for one "
	  "meshgate picks), got a list" },
	/* names */
	{ "groups:\n  lights/#:\n",
	  "t.yaml:2:3: groups.lights/#: a name must not contain '+' or '#' (MQTT wildcards)" },
	{ "groups:\n  /lights:\n",
	  "t.yaml:2:3: groups./lights: a name must not start or end with '/'" },
	{ "groups:\n  a//b:\n",
	  "t.yaml:2:3: groups.a//b: a name must not contain an empty level ('//')" },
	{ "groups:\n  lights/set:\n",
	  "t.yaml:2:3: groups.lights/set: a name must not end in \"set\" (a topic meshgate uses "
	  "below every name)" },
	{ "nodes:\n  0x0001:\n    name: availability\n",
	  "t.yaml:3:11: nodes.0x0001.name: a name must not end in \"availability\" (a topic "
	  "meshgate uses below every name)" },
	{ "nodes:\n  0x0001:\n    name: bridge/lamp\n",
	  "t.yaml:3:11: nodes.0x0001.name: a name must not start with \"bridge\" (meshgate's own "
	  "topics are there)" },
	{ "nodes:\n  0x0001:\n    name: ''\n",
	  "t.yaml:3:11: nodes.0x0001.name: a name must not be empty" },
	{ "nodes:\n  0x0001:\n    name: "
	  "\"0123456789012345678901234567890123456789012345678901234567890123456789"
	  "01234567890123456789012345\"\n",
	  "t.yaml:3:11: nodes.0x0001.name: too long (96 bytes, at most 95)" },
	{ "nodes:\n  0x0001:\n    name: \"lamp\\x01\"\n",
	  "t.yaml:3:11: nodes.0x0001.name: a name must be UTF-8 text without control characters" },
	{ "groups:\n  hall:\nnodes:\n  0x0105:\n    name: hall\n",
	  "t.yaml:5:11: nodes.0x0105.name: \"hall\" is already the name of a group (line 2)" },
	{ "nodes:\n  0x0105:\n    name: lamp\n  0x0106:\n    name: lamp\n",
	  "t.yaml:5:11: nodes.0x0106.name: \"lamp\" is already the name of a node (line 3)" },
	{ "nodes:\n  0x0105:\n    elements: [lamp]\n  0x0106:\n    name: lamp\n",
	  "t.yaml:5:11: nodes.0x0106.name: \"lamp\" is already the name of an element (line 3)" },
	{ "nodes:\n  0x0105:\n    name: lamp\n    elements: [lamp/a, lamp]\n",
	  "t.yaml:4:24: nodes.0x0105.elements[1]: \"lamp\" is already the name of a node "
	  "(line 3)" },
	/* nodes */
	{ "nodes:\n  ceadffdd-8dbe-4c86-91a0-1604b5b5df0:\n    name: x\n",
	  "t.yaml:2:3: nodes.ceadffdd-8dbe-4c86-91a0-1604b5b5df0: expected a device UUID (32 hex "
	  "digits, dashes allowed) or a unicast address such as 0x0105" },
	{ "nodes:\n  lamp:\n",
	  "t.yaml:2:3: nodes.lamp: expected a device UUID (32 hex digits, dashes allowed) or a "
	  "unicast address such as 0x0105" },
	{ "nodes:\n  0xc001:\n",
	  "t.yaml:2:3: nodes.0xc001: 0xc001 is not a unicast address (0x0001..0x7fff)" },
	{ "nodes:\n  " UUID1 ":\n  ceadffdd8dbe4c8691a01604b5b5df055:\n",
	  "t.yaml:3:3: nodes.ceadffdd8dbe4c8691a01604b5b5df055: expected a device UUID (32 hex "
	  "digits, dashes allowed) or a unicast address such as 0x0105" },
	{ "nodes:\n  " UUID1 ":\n  CEADFFDD8DBE4C8691A01604B5B5DF05:\n",
	  "t.yaml:3:3: nodes.CEADFFDD8DBE4C8691A01604B5B5DF05: the same UUID as the node at "
	  "line 2" },
	{ "nodes:\n  0x0105:\n  261:\n",
	  "t.yaml:3:3: nodes.261: the same address as the node at line 2" },
	{ "groups:\n  hall:\nnodes:\n  0x0105:\n    groups: [hall, halls]\n",
	  "t.yaml:5:20: nodes.0x0105.groups[1]: no group \"halls\" in groups" },
	{ "groups:\n  hall:\nnodes:\n  0x0105:\n    groups: [hall, hall]\n",
	  "t.yaml:5:20: nodes.0x0105.groups[1]: group \"hall\" listed twice" },
	{ "groups:\n  hall:\nnodes:\n  0x0105:\n    groups: hall\n",
	  "t.yaml:5:13: nodes.0x0105.groups: expected a list of group names, got \"hall\"" },
	{ "nodes:\n  0x0105:\n    name: lamp\n    groups: [lamp]\n",
	  "t.yaml:4:14: nodes.0x0105.groups[0]: no group \"lamp\" in groups" },
	{ "nodes:\n  0x0105:\n    elements:\n      - {name: x, publish: nope}\n",
	  "t.yaml:4:28: nodes.0x0105.elements[0].publish: no group \"nope\" in groups" },
	{ "nodes:\n  0x0105:\n    elements:\n      - {name: x, pub: nope}\n",
	  "t.yaml:4:19: nodes.0x0105.elements[0].pub: unknown key (known keys here: name, "
	  "publish)" },
	{ "nodes:\n  0x0105:\n    elements: [a, b, c, d, e, f, g, h, i]\n",
	  "t.yaml:3:15: nodes.0x0105.elements: too many elements (9, at most 8)" },
	{ "nodes:\n  0x0105:\n    elements: [[a]]\n",
	  "t.yaml:3:16: nodes.0x0105.elements[0]: expected an element name or {name, publish}, "
	  "got a list" },
	{ "nodes:\n  0x0105:\n    provision: auto\n",
	  "t.yaml:3:16: nodes.0x0105.provision: auto needs the node's device UUID as its key "
	  "(an address names a node that is already provisioned)" },
	{ "nodes:\n  " UUID1 ":\n    provision: yes\n",
	  "t.yaml:3:16: nodes." UUID1 ".provision: expected auto or manual, got \"yes\"" },
	{ "nodes:\n  0x0105: lamp\n",
	  "t.yaml:2:11: nodes.0x0105: expected a mapping (name, elements, groups, ...), got "
	  "\"lamp\"" },
};

static void test_errors(void **state)
{
	int failed = 0;

	(void)state;
	unsetenv("MQTT_PASSWORD");
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char err[GW_CONFIG_ERR_MAX];
		int rc = load(c->yaml, err, sizeof(err));

		if (rc != MESH_ERR_INVAL || strcmp(err, c->expect) != 0) {
			print_error("case %zu:\n%s\nexpected: %s\n     got: %s (rc %d)\n", i,
				    c->yaml, c->expect, err, rc);
			failed++;
		}
		/* A failed load leaves the defaults, nothing to free. */
		check_defaults(&cfg);
		gw_config_free(&cfg);
	}
	assert_int_equal(failed, 0);
}

/* Messages keep working without a buffer, and never overrun a short one. */
static void test_error_buffer(void **state)
{
	char err[24];

	(void)state;
	assert_int_equal(load("web:\n  port: 0\n", NULL, 0), MESH_ERR_INVAL);
	check_defaults(&cfg);
	memset(err, 'x', sizeof(err));
	assert_int_equal(load("web:\n  port: 0\n", err, 12), MESH_ERR_INVAL);
	assert_string_equal(err, "t.yaml:2:9:");
	assert_int_equal(err[12], 'x');
}

static void test_file_errors(void **state)
{
	char err[GW_CONFIG_ERR_MAX], path[256], *big;
	size_t big_len = (1u << 20) + 1;
	FILE *f;

	(void)state;
	assert_int_equal(gw_config_load_file(&cfg, "/nonexistent/meshgate.yaml", err, sizeof(err)),
			 MESH_ERR_IO);
	assert_string_equal(err, "/nonexistent/meshgate.yaml: cannot read: No such file or "
			    "directory");
	check_defaults(&cfg);

	/* A mistake in a file names the file as given. */
	temp_file(path, sizeof(path), "c.yaml", "web:\n  port: 0\n");
	assert_int_equal(gw_config_load_file(&cfg, path, err, sizeof(err)), MESH_ERR_INVAL);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_string_equal(err + strlen(path), ":2:9: web.port: 0 is out of range 1..65535");
	remove_temp_file(path);

	/* Over 1 MiB: refused before parsing. */
	big = malloc(big_len);
	assert_non_null(big);
	memset(big, '#', big_len);
	big[big_len - 1] = '\n';
	temp_file(path, sizeof(path), "big.yaml", "");
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, big_len, f), big_len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(gw_config_load_file(&cfg, path, err, sizeof(err)), MESH_ERR_INVAL);
	assert_non_null(strstr(err, ": too large for a configuration file (over 1 MiB)"));
	assert_int_equal(gw_config_load_string(&cfg, big, big_len, "big.yaml", err, sizeof(err)),
			 MESH_ERR_INVAL);
	assert_string_equal(err, "big.yaml: too large for a configuration file (over 1 MiB)");
	remove_temp_file(path);
	free(big);
}

/* Too many groups or nodes: refused with a count, not a crash. */
static void test_limits(void **state)
{
	size_t size = 1100 * 32, o = 0;
	char *yaml = malloc(size), err[GW_CONFIG_ERR_MAX];

	(void)state;
	assert_non_null(yaml);
	o += (size_t)snprintf(yaml + o, size - o, "groups:\n");
	for (int i = 0; i < 1025; i++)
		o += (size_t)snprintf(yaml + o, size - o, "  g%d:\n", i);
	assert_int_equal(gw_config_load_string(&cfg, yaml, o, "t.yaml", err, sizeof(err)),
			 MESH_ERR_INVAL);
	assert_string_equal(err, "t.yaml:2:3: groups: too many groups (1025, at most 1024)");

	/* 1024 are fine, and names stay unique through the hash table. */
	o = (size_t)snprintf(yaml, size, "groups:\n");
	for (int i = 0; i < 1024; i++)
		o += (size_t)snprintf(yaml + o, size - o, "  g%d:\n", i);
	o += (size_t)snprintf(yaml + o, size - o, "nodes:\n  0x0001: {name: g1023}\n");
	assert_int_equal(gw_config_load_string(&cfg, yaml, o, "t.yaml", err, sizeof(err)),
			 MESH_ERR_INVAL);
	assert_string_equal(err, "t.yaml:1027:18: nodes.0x0001.name: \"g1023\" is already the "
			    "name of a group (line 1025)");
	free(yaml);
}

/* Aliases resolve to their anchor's node; they do not get past checks. */
static void test_aliases(void **state)
{
	char err[GW_CONFIG_ERR_MAX];

	(void)state;
	load_ok("web:\n  port: &p 1883\nmqtt:\n  server: mqtt://broker\n  keepalive: *p\n");
	assert_int_equal(cfg.mqtt.keepalive_s, 1883);
	gw_config_free(&cfg);
	assert_int_equal(load("groups:\n  hall: &g 0xc001\n  hall2: *g\n", err, sizeof(err)),
			 MESH_ERR_INVAL);
	assert_string_equal(err, "t.yaml:2:9: groups.hall2: 0xc001 is also the address of group "
			    "\"hall\" (line 2)");
	/* An alias inside its own anchor: the schema walk ends all the same. */
	assert_int_equal(load("mqtt: &m {enabled: *m}\n", err, sizeof(err)), MESH_ERR_INVAL);
	assert_string_equal(err, "t.yaml:1:7: mqtt.enabled: expected true or false, got a mapping");
	assert_int_equal(load("nodes:\n  0x0001:\n    elements: &e [*e]\n", err, sizeof(err)),
			 MESH_ERR_INVAL);
	assert_string_equal(err, "t.yaml:3:15: nodes.0x0001.elements[0]: expected an element name "
			    "or {name, publish}, got a list");
	assert_int_equal(load("mqtt: *nothing\n", err, sizeof(err)), MESH_ERR_INVAL);
	assert_string_equal(err, "t.yaml:1:7: invalid YAML: found undefined alias");
}

/* No message shows a password or a static OOB value, given in the file,
 * through the environment or in a file. */
static void test_secrets_not_echoed(void **state)
{
	static const char *const cases[] = {
		"nodes:\n  " UUID1 ":\n    static_oob: 5f3ab1c2e4d6978800112233445566f\n",
		"nodes:\n  " UUID1 ":\n    static_oob: 5f3ab1c2e4d6978800112233445566fff\n",
		"nodes:\n  " UUID1 ":\n    static_oob: \"5f3ab1c2e4d69788 00112233445566ff\"\n",
		"nodes:\n  " UUID1 ":\n    static_oob: ${MESHGATE_T_BAD_OOB}\n",
		"nodes:\n  0x0001:\n    static_oob: 5f3ab1c2e4d6978800112233445566ff\n",
		"web:\n  password: 5f3ab1c2e4d69788\n  password_file: x\n",
		"mqtt:\n  password: 5f3ab1c2e4d69788\n",
		"mqtt:\n  password: ${MESHGATE_T_BAD_OOB}\n",
		"mqtt:\n  password: \"5f3ab1c2e4d69788\x01\"\n",
		"mqtt:\n  server: mqtt://u:5f3ab1c2e4d69788@host\n",
		"mqtt:\n  server: ${MESHGATE_T_BAD_URL}\n",
		"groups:\n  a:\nnodes:\n  0x0001:\n    groups: [\"${MESHGATE_T_BAD_OOB}\"]\n",
		"nodes:\n  0x0001:\n    name: \"${MESHGATE_T_BAD_OOB}/set\"\n",
		"web:\n  password_file: /run/${MESHGATE_T_BAD_OOB}\n",
		"web:\n  port: ${MESHGATE_T_BAD_OOB}\n",
	};
	char err[GW_CONFIG_ERR_MAX], path[256], yaml[512];

	(void)state;
	setenv("MESHGATE_T_BAD_OOB", "5f3ab1c2e4d69788zz112233445566ff", 1);
	setenv("MESHGATE_T_BAD_URL", "mqtt://user:5f3ab1c2e4d69788@broker", 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load(cases[i], err, sizeof(err)), MESH_ERR_INVAL);
		if (strstr(err, "5f3ab1c2") || strstr(err, "d69788")) {
			print_error("case %zu echoes a secret: %s\n", i, err);
			fail();
		}
	}
	/* What came from the environment is quoted as the file has it. */
	assert_int_equal(load("web:\n  password_file: /run/${MESHGATE_T_BAD_OOB}\n", err,
			      sizeof(err)), MESH_ERR_INVAL);
	assert_string_equal(err, "t.yaml:2:18: web.password_file: cannot read "
			    "\"/run/${MESHGATE_T_BAD_OOB}\": No such file or directory");
	setenv("MESHGATE_T_PORT", "0", 1);
	assert_int_equal(load("web:\n  port: ${MESHGATE_T_PORT}\n", err, sizeof(err)),
			 MESH_ERR_INVAL);
	assert_string_equal(err, "t.yaml:2:9: web.port: \"${MESHGATE_T_PORT}\" is out of range "
			    "1..65535");
	unsetenv("MESHGATE_T_PORT");

	temp_file(path, sizeof(path), "oob", "5f3ab1c2e4d69788zz112233445566ff\n");
	snprintf(yaml, sizeof(yaml), "nodes:\n  " UUID1 ":\n    static_oob_file: %s\n", path);
	assert_int_equal(load(yaml, err, sizeof(err)), MESH_ERR_INVAL);
	assert_null(strstr(err, "5f3ab1c2"));
	assert_non_null(strstr(err, "static_oob_file: expected 32 or 64 hex digits"));
	remove_temp_file(path);
	unsetenv("MESHGATE_T_BAD_OOB");
	unsetenv("MESHGATE_T_BAD_URL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_shorthand),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_secrets_not_echoed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
