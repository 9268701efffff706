/*
 * Scenario files (config/scenario.c): the shipped scenarios load into the
 * structures sim_world_create() takes, and every kind of mistake in a file
 * is reported with its file, line, column and key path, never echoing key
 * material or static OOB values.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/scenario.h"
#include "mesh/err.h"

#define STAIRWAY MESHGATE_SOURCE_DIR "/deploy/scenarios/stairway.yaml"
#define CHAIN4 MESHGATE_SOURCE_DIR "/tests/scenarios/chain4.yaml"

static const uint8_t sample_netkey[16] = {
	0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
	0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6,
};
static const uint8_t sample_appkey[16] = {
	0x63, 0x96, 0x47, 0x71, 0x73, 0x4f, 0xbd, 0x76,
	0xe3, 0xb4, 0x05, 0x19, 0xd1, 0xd9, 0x4a, 0x48,
};

static const struct sim_device_desc *dev(const struct sim_scenario *sc, const char *name)
{
	int i = sim_scenario_find(sc, name);

	assert_true(i >= 0);
	return &sc->devices[i];
}

static bool has_model(const struct sim_element_desc *el, uint16_t id)
{
	for (unsigned int i = 0; i < el->n_sig; i++)
		if (el->sig_models[i] == id)
			return true;
	return false;
}

static void check_stairway(const struct sim_scenario *sc)
{
	const struct sim_device_desc *d;
	static const uint8_t lamp1_uuid[16] = {
		0xce, 0xad, 0xff, 0xdd, 0x8d, 0xbe, 0x4c, 0x86,
		0x91, 0xa0, 0x16, 0x04, 0xb5, 0xb5, 0xdf, 0x05,
	};
	size_t controllers = 0, provisioned = 0;

	assert_string_equal(sc->name, "stairway");
	assert_int_equal(sc->seed, 42);
	assert_int_equal(sc->tx_delay_max_ms, 10);
	assert_true(sc->default_loss > 0.0199 && sc->default_loss < 0.0201);
	assert_true(sc->range_m > 7.99 && sc->range_m < 8.01);
	assert_int_equal(sc->n_devices, 13);
	for (size_t i = 0; i < sc->n_devices; i++) {
		controllers += sc->devices[i].kind == SIM_DEVICE_CONTROLLER;
		provisioned += sc->devices[i].keys.provisioned;
	}
	assert_int_equal(controllers, 1);
	assert_int_equal(provisioned, 5);

	d = dev(sc, "gateway");
	assert_int_equal(d->kind, SIM_DEVICE_CONTROLLER);
	assert_true(d->has_position);
	assert_int_equal(d->n_elements, 0);

	d = dev(sc, "stair-lamp-1");
	assert_int_equal(d->kind, SIM_DEVICE_NODE);
	assert_memory_equal(d->uuid, lamp1_uuid, 16);
	assert_int_equal(d->oob_info, 0x0800);
	assert_int_equal(d->cid, 0x05f1);
	assert_int_equal(d->pid, 0x0101);
	assert_int_equal(d->vid, 0x0003);
	assert_int_equal(d->features, SIM_FEAT_RELAY);
	assert_true(d->has_position);
	assert_true(d->x == 2.0 && d->y == 1.0 && d->z == 0.0);
	assert_false(d->keys.provisioned);
	assert_int_equal(d->n_elements, 1);
	/* The mandatory servers first, then the file's models in order. */
	assert_int_equal(d->elements[0].n_sig, 6);
	assert_int_equal(d->elements[0].sig_models[0], 0x0000);
	assert_int_equal(d->elements[0].sig_models[1], 0x0002);
	assert_int_equal(d->elements[0].sig_models[2], 0x1000);
	assert_int_equal(d->elements[0].sig_models[3], 0x1002);
	assert_int_equal(d->elements[0].sig_models[4], 0x1300);
	assert_int_equal(d->elements[0].sig_models[5], 0x1301);

	assert_int_equal(dev(sc, "stair-lamp-4")->features, 0);
	assert_int_equal(dev(sc, "stair-lamp-2")->features, SIM_FEAT_RELAY);
	assert_true(has_model(&dev(sc, "stair-lamp-4")->elements[0], 0x1300));

	d = dev(sc, "switch-top");
	assert_int_equal(d->n_elements, 2);
	assert_int_equal(d->elements[0].location, 0x010d);
	assert_int_equal(d->elements[1].location, 0x010e);
	assert_true(has_model(&d->elements[0], 0x1001));
	assert_false(has_model(&d->elements[1], 0x0000));  /* only the primary */
	assert_true(has_model(&d->elements[1], 0x1003));
	assert_int_equal(d->beacon_interval_ms, 10000);
	assert_true(d->z > 10.19 && d->z < 10.21);

	/* Provisioning capabilities: a No OOB only lamp with the defaults,
	 * an older CMAC-only lamp, Output, Input and static OOB. */
	d = dev(sc, "stair-lamp-1");
	assert_int_equal(d->prov.algorithms, SIM_PROV_ALG_CMAC | SIM_PROV_ALG_HMAC);
	assert_false(d->prov.oob_public_key);
	assert_int_equal(d->prov.static_oob_len, 0);
	assert_int_equal(d->prov.output_actions, 0);
	assert_int_equal(d->prov.output_size, 0);
	assert_int_equal(d->prov.input_actions, 0);
	assert_int_equal(d->prov.input_size, 0);
	assert_int_equal(dev(sc, "stair-lamp-2")->prov.algorithms, SIM_PROV_ALG_CMAC);
	d = dev(sc, "stair-lamp-3");
	assert_int_equal(d->prov.output_actions, 0x0008);  /* numeric */
	assert_int_equal(d->prov.output_size, 4);
	d = dev(sc, "switch-ground");
	assert_int_equal(d->prov.input_actions, 0x0001);   /* push */
	assert_int_equal(d->prov.input_size, 1);
	assert_int_equal(dev(sc, "switch-top")->prov.input_actions, 0);

	d = dev(sc, "stair-sensor");
	assert_int_equal(d->prov.static_oob_len, 16);
	assert_int_equal(d->prov.static_oob[0], 0x5f);
	assert_int_equal(d->prov.static_oob[15], 0xff);
	assert_true(has_model(&d->elements[0], 0x1100));
	assert_int_equal(d->elements[0].n_vendor, 1);
	assert_int_equal(d->elements[0].vendor_models[0], 0x05f10001u);
	/* Its sensors: temperature, humidity and motion. */
	assert_int_equal(d->elements[0].n_sensors, 3);
	assert_int_equal(d->elements[0].sensors[0].property, 0x004f);
	assert_int_equal(d->elements[0].sensors[0].gen.kind, SIM_GEN_SINE);
	assert_true(d->elements[0].sensors[0].gen.period_s == 600.0);
	assert_int_equal(d->elements[0].sensors[1].property, 0x0076);
	assert_int_equal(d->elements[0].sensors[1].gen.kind, SIM_GEN_RANDOM_WALK);
	assert_int_equal(d->elements[0].sensors[2].property, 0x0042);
	assert_int_equal(d->elements[0].sensors[2].gen.kind, SIM_GEN_PATTERN);
	assert_int_equal(d->elements[0].sensors[2].gen.n_values, 2);

	d = dev(sc, "relay-1");
	assert_int_equal(d->features, SIM_FEAT_RELAY);
	assert_true(d->keys.provisioned);
	assert_int_equal(d->keys.address, 0x0100);
	assert_int_equal(d->keys.net_idx, 0);
	assert_int_equal(d->keys.iv_index, 0);
	assert_memory_equal(d->keys.net_key, sample_netkey, 16);
	assert_int_equal(d->keys.n_app_keys, 1);
	assert_int_equal(d->keys.app_keys[0].app_idx, 0);
	assert_memory_equal(d->keys.app_keys[0].key, sample_appkey, 16);
	/* 2 transmissions, 20 ms apart: count - 1 = 1, steps - 1 = 1. */
	assert_int_equal(d->relay_retransmit, 0x09);

	d = dev(sc, "garden-light");
	assert_int_equal(d->keys.address, 0x0104);
	assert_int_equal(d->default_ttl, 7);
	assert_int_equal(d->net_transmit, 0x0a);
	assert_true(d->x < -34.9);

	assert_int_equal(sc->n_links, 3);
	assert_string_equal(sc->links[1].b, "switch-top");
	assert_string_equal(sc->links[0].a, "gateway");
	assert_string_equal(sc->links[0].b, "stair-lamp-4");
	assert_true(sc->links[0].loss > 0.599 && sc->links[0].loss < 0.601);
	assert_int_equal(sc->links[0].rssi, -93);
}

static void test_stairway_file(void **state)
{
	struct sim_scenario sc;
	char err[512];

	(void)state;
	assert_int_equal(config_scenario_load_file(STAIRWAY, &sc, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	check_stairway(&sc);
	sim_scenario_free(&sc);
}

static void test_builtin(void **state)
{
	struct sim_scenario sc;
	char err[512];

	(void)state;
	assert_true(meshgate_builtin_scenario_len > 100);
	assert_int_equal(strlen(meshgate_builtin_scenario), meshgate_builtin_scenario_len);
	assert_int_equal(config_scenario_load_builtin(&sc, err, sizeof(err)), 0);
	check_stairway(&sc);
	sim_scenario_free(&sc);
}

static void test_chain4(void **state)
{
	struct sim_scenario sc;
	char err[512];
	static const uint8_t zero[16];

	(void)state;
	assert_int_equal(config_scenario_load_file(CHAIN4, &sc, err, sizeof(err)), 0);
	assert_string_equal(sc.name, "chain4");
	assert_int_equal(sc.seed, 1);
	assert_int_equal(sc.n_devices, 6);
	assert_int_equal(sc.n_links, 5);
	for (size_t i = 0; i < sc.n_links; i++) {
		assert_true(sc.links[i].loss == SIM_LOSS_DEFAULT);
		assert_int_equal(sc.links[i].rssi, SIM_NO_RSSI);
	}
	for (int i = 1; i <= 4; i++) {
		char name[16];
		const struct sim_device_desc *d;

		snprintf(name, sizeof(name), "relay-%d", i);
		d = dev(&sc, name);
		assert_int_equal(d->keys.address, i);
		assert_int_equal(d->features, SIM_FEAT_RELAY);
		assert_false(d->has_position);
		/* No uuid in the file: one derived from the name. */
		assert_memory_not_equal(d->uuid, zero, 16);
		assert_memory_not_equal(d->uuid, dev(&sc, "end")->uuid, 16);
		assert_int_equal(d->uuid[6] >> 4, 4);
		/* No elements: the primary with the mandatory servers. */
		assert_int_equal(d->n_elements, 1);
		assert_int_equal(d->elements[0].n_sig, 2);
	}
	sim_scenario_free(&sc);
}

/* A minimal valid file around one device body (indented by 4). */
#define HEAD "name: t\ndevices:\n  lamp:\n"

struct bad_case {
	const char *yaml;
	const char *expect;   /* a prefix of the message */
};

static const struct bad_case bad_cases[] = {
	/* unknown keys, at any depth */
	{ "nmae: t\ndevices:\n  a:\n",
	  "t.yaml:1:1: nmae: unknown key (known keys here: name, seed," },
	{ HEAD "    uiud: 00112233445566778899aabbccddeeff\n",
	  "t.yaml:4:5: devices.lamp.uiud: unknown key" },
	{ HEAD "    elements:\n      - modles: [0x1000]\n",
	  "t.yaml:5:9: devices.lamp.elements[0].modles: unknown key" },
	{ HEAD "    provisioned: {adress: 1}\n",
	  "t.yaml:4:19: devices.lamp.provisioned.adress: unknown key" },
	{ HEAD "links:\n  - between: [lamp, lamp2]\n    los: 0.5\n",
	  "t.yaml:6:5: links[0].los: unknown key" },
	/* UUIDs and keys */
	{ HEAD "    uuid: 12ab\n",
	  "t.yaml:4:11: devices.lamp.uuid: expected 32 hex digits (dashes allowed), got \"12ab\"" },
	{ HEAD "    uuid: 00112233-4455-6677-8899-aabbccddeeffaa\n",
	  "t.yaml:4:11: devices.lamp.uuid: expected 32 hex digits (dashes allowed), got" },
	{ HEAD "    provisioned:\n      address: 1\n      net_key: 7dd7364cd842ad18c17c2b820c84c3dz\n"
	       "      dev_key: 9d6dd0e96eb25dc19a40ed9914f8f03f\n",
	  "t.yaml:6:16: devices.lamp.provisioned.net_key: expected 32 hex digits" },
	{ HEAD "    provisioned:\n      address: 1\n      net_key: 7dd7364cd842ad18c17c2b820c84c3d6\n"
	       "      dev_key: 9d6dd0e96eb25dc19a40ed9914f8f0\n",
	  "t.yaml:7:16: devices.lamp.provisioned.dev_key: expected 32 hex digits" },
	{ HEAD "    provisioned:\n      address: 1\n      net_key: 7dd7364cd842ad18c17c2b820c84c3d6\n"
	       "      dev_key: 9d6dd0e96eb25dc19a40ed9914f8f03f\n"
	       "      app_keys: [{index: 0, key: 63964771734fbd76-e3b40519d1d94a48}]\n",
	  "t.yaml:8:34: devices.lamp.provisioned.app_keys[0].key: expected 32 hex digits" },
	{ HEAD "    provisioned:\n      address: 1\n      dev_key: 9d6dd0e96eb25dc19a40ed9914f8f03f\n",
	  "t.yaml:5:7: devices.lamp.provisioned: net_key is missing" },
	/* names of things */
	{ HEAD "    features: [relay, repeater]\n",
	  "t.yaml:4:23: devices.lamp.features[1]: unknown feature \"repeater\"" },
	{ HEAD "    elements:\n      - models: [generic-onoff-server, generic-onof-client]\n",
	  "t.yaml:5:40: devices.lamp.elements[0].models[1]: unknown model name "
	  "\"generic-onof-client\"" },
	{ HEAD "    type: gateway\n",
	  "t.yaml:4:11: devices.lamp.type: expected node or controller, got \"gateway\"" },
	/* links */
	{ HEAD "links:\n  - between: [lamp, lamp-9]\n",
	  "t.yaml:5:21: links[0].between[1]: no device named \"lamp-9\"" },
	{ HEAD "links:\n  - between: [lamp]\n",
	  "t.yaml:5:14: links[0].between: expected two device names [a, b]" },
	{ HEAD "  other:\nlinks:\n  - between: [lamp, other]\n  - between: [other, lamp]\n",
	  "t.yaml:7:14: links[1].between: a second link between other and lamp (first at line 6)" },
	{ HEAD "  other:\nlinks:\n  - between: [lamp, other]\n    loss: 1.5\n",
	  "t.yaml:7:11: links[0].loss: 1.5 is out of range 0..1" },
	{ HEAD "  other:\nlinks:\n  - between: [lamp, other]\n    rssi: -200\n",
	  "t.yaml:7:11: links[0].rssi: -200 is out of range -127..20" },
	/* duplicates */
	{ HEAD "    cid: 1\n  lamp:\n    cid: 2\n",
	  "t.yaml:5:3: devices.lamp: duplicate device name (first at line 3)" },
	{ HEAD "    cid: 1\n    cid: 2\n",
	  "t.yaml:5:5: devices.lamp.cid: duplicate key (first at line 4)" },
	{ "seed: 1\nname: a\nseed: 2\ndevices:\n  a:\n",
	  "t.yaml:3:1: seed: duplicate key (first at line 1)" },
	/* types and ranges */
	{ "seed: [1]\ndevices:\n  a:\n",
	  "t.yaml:1:7: seed: expected an integer (decimal or 0x hex), got a list" },
	{ "seed: twelve\ndevices:\n  a:\n",
	  "t.yaml:1:7: seed: expected an integer (decimal or 0x hex), got \"twelve\"" },
	{ "devices: [a, b]\n",
	  "t.yaml:1:10: devices: expected a mapping of device name to device, got a list" },
	{ "default_loss: 1.01\ndevices:\n  a:\n",
	  "t.yaml:1:15: default_loss: 1.01 is out of range 0..1" },
	{ "default_loss: nan\ndevices:\n  a:\n",
	  "t.yaml:1:15: default_loss: expected a number, got \"nan\"" },
	{ HEAD "    position: [1, 2, 3, 4]\n",
	  "t.yaml:4:15: devices.lamp.position: expected [x, y] or [x, y, z] in metres, got 4" },
	{ HEAD "    position: {x: 1}\n",
	  "t.yaml:4:15: devices.lamp.position: expected [x, y] or [x, y, z] in metres, got a mapping" },
	{ HEAD "    cid: 0x10000\n",
	  "t.yaml:4:10: devices.lamp.cid: 0x10000 is out of range 0..65535 (0x0000..0xffff)" },
	{ HEAD "    default_ttl: 1\n",
	  "t.yaml:4:18: devices.lamp.default_ttl: 1 is out of range 2..127" },
	{ HEAD "    network_transmit: {count: 3, interval_ms: 25}\n",
	  "t.yaml:4:47: devices.lamp.network_transmit.interval_ms: 25 is not a multiple of 10 ms" },
	{ HEAD "    elements:\n      - models: [0x12345]\n",
	  "t.yaml:5:18: devices.lamp.elements[0].models[0]: 0x12345 is not a SIG model ID" },
	{ HEAD "    provisioned:\n      address: 0x8000\n",
	  "t.yaml:5:16: devices.lamp.provisioned.address: 0x8000 is out of range 1..32767 (0x0001..0x7fff)" },
	/* node and controller keys */
	{ "devices:\n  gw:\n    type: controller\n    elements: []\n",
	  "t.yaml:4:5: devices.gw.elements: only nodes have this key (this device is a controller)" },
	{ HEAD "    pty_link: /tmp/x\n",
	  "t.yaml:4:5: devices.lamp.pty_link: only controllers have this key" },
	{ "devices:\n  gw:\n    type: controller\n    pty_link: /tmp/x\n    socket: /tmp/y\n",
	  "t.yaml:5:13: devices.gw.socket: a controller has a pty_link or a socket, not both" },
	/* whole-scenario checks */
	{ "devices:\n"
	  "  a:\n    provisioned: {address: 4, net_key: 7dd7364cd842ad18c17c2b820c84c3d6,"
	  " dev_key: 9d6dd0e96eb25dc19a40ed9914f8f03f}\n"
	  "  b:\n    elements: [{}, {}]\n"
	  "    provisioned: {address: 3, net_key: 7dd7364cd842ad18c17c2b820c84c3d6,"
	  " dev_key: 9d6dd0e96eb25dc19a40ed9914f8f03f}\n",
	  "t.yaml:6:28: devices.b.provisioned.address: unicast range 0x0003..0x0004 overlaps "
	  "device a (0x0004..0x0004)" },
	{ "devices:\n  a:\n    uuid: 00112233445566778899aabbccddeeff\n"
	  "  b:\n    uuid: 00112233-4455-6677-8899-aabbccddeeff\n",
	  "t.yaml:5:11: devices.b.uuid: the same UUID as device a" },
	{ "devices:\n  a:\n    type: controller\n    pty_link: /tmp/x\n"
	  "  b:\n    type: controller\n    pty_link: /tmp/x\n",
	  "t.yaml:7:15: devices.b.pty_link: /tmp/x is also the pty_link of device a" },
	{ "devices:\n  a:\n    type: controller\n    socket: /tmp/x\n"
	  "  b:\n    type: controller\n    pty_link: /tmp/x\n",
	  "t.yaml:7:15: devices.b.pty_link: /tmp/x is also the socket of device a" },
	{ "devices:\n  bad name:\n",
	  "t.yaml:2:3: devices.bad name: a device name is letters, digits" },
	/* provisioning capabilities */
	{ HEAD "    provisioning:\n      algorithm: [cmac]\n",
	  "t.yaml:5:7: devices.lamp.provisioning.algorithm: unknown key (known keys here: "
	  "algorithms, public_key, static_oob, output, input)" },
	{ HEAD "    provisioning: oob\n",
	  "t.yaml:4:19: devices.lamp.provisioning: expected {algorithms, public_key, static_oob, "
	  "output, input}, got \"oob\"" },
	{ HEAD "    provisioning:\n      algorithms: [cmac, sha1]\n",
	  "t.yaml:5:26: devices.lamp.provisioning.algorithms[1]: unknown algorithm \"sha1\" "
	  "(expected cmac or hmac)" },
	{ HEAD "    provisioning:\n      algorithms: []\n",
	  "t.yaml:5:19: devices.lamp.provisioning.algorithms: expected at least one algorithm "
	  "(cmac or hmac)" },
	{ HEAD "    provisioning:\n      algorithms: [hmac, hmac]\n",
	  "t.yaml:5:26: devices.lamp.provisioning.algorithms[1]: algorithm hmac listed twice" },
	{ HEAD "    provisioning:\n      algorithms: cmac\n",
	  "t.yaml:5:19: devices.lamp.provisioning.algorithms: expected a list of algorithms "
	  "(cmac or hmac), got \"cmac\"" },
	{ HEAD "    provisioning:\n      public_key: yes\n",
	  "t.yaml:5:19: devices.lamp.provisioning.public_key: expected oob or in-band, got \"yes\"" },
	{ HEAD "    provisioning:\n      static_oob: 0011\n",
	  "t.yaml:5:19: devices.lamp.provisioning.static_oob: expected 32 or 64 hex digits "
	  "(a 128- or 256-bit value; value not shown)" },
	{ HEAD "    provisioning:\n      static_oob: [00112233445566778899aabbccddeeff]\n",
	  "t.yaml:5:19: devices.lamp.provisioning.static_oob: expected 32 or 64 hex digits, "
	  "got a list" },
	{ HEAD "    provisioning:\n      output: {actions: [flash], size: 4}\n",
	  "t.yaml:5:26: devices.lamp.provisioning.output.actions[0]: unknown output action "
	  "\"flash\" (expected blink, beep, vibrate, numeric or alphanumeric)" },
	{ HEAD "    provisioning:\n      output: {actions: [numeric]}\n",
	  "t.yaml:5:15: devices.lamp.provisioning.output: size is missing (digits or "
	  "characters, 1..8)" },
	{ HEAD "    provisioning:\n      output: {actions: [numeric], size: 9}\n",
	  "t.yaml:5:42: devices.lamp.provisioning.output.size: 9 is out of range 1..8" },
	{ HEAD "    provisioning:\n      output: [numeric]\n",
	  "t.yaml:5:15: devices.lamp.provisioning.output: expected {actions: [...], size: 1..8}, "
	  "got a list" },
	{ HEAD "    provisioning:\n      input: {actions: [blink], size: 1}\n",
	  "t.yaml:5:25: devices.lamp.provisioning.input.actions[0]: unknown input action "
	  "\"blink\" (expected push, twist, numeric or alphanumeric)" },
	{ HEAD "    provisioning:\n      input: {size: 2}\n",
	  "t.yaml:5:14: devices.lamp.provisioning.input: actions is missing (a list of push, "
	  "twist, numeric or alphanumeric)" },
	{ HEAD "    provisioning:\n      input: {actions: [push, twist], siz: 2}\n",
	  "t.yaml:5:39: devices.lamp.provisioning.input.siz: unknown key (known keys here: "
	  "actions, size)" },
	{ "devices:\n  gw:\n    type: controller\n    provisioning: {algorithms: [cmac]}\n",
	  "t.yaml:4:5: devices.gw.provisioning: only nodes have this key (this device is a "
	  "controller)" },
	/* sensors */
#define SENSOR_HEAD HEAD "    elements:\n      - models: [sensor-server]\n        sensors:\n"
	{ SENSOR_HEAD "          - {property: temprature, generator: {constant: 20}}\n",
	  "t.yaml:7:24: devices.lamp.elements[0].sensors[0].property: unknown sensor property "
	  "\"temprature\" (expected one of motion, people_count," },
	{ SENSOR_HEAD "          - {property: 0x1234, generator: {constant: 20}}\n",
	  "t.yaml:7:24: devices.lamp.elements[0].sensors[0].property: unknown sensor property "
	  "\"0x1234\" (expected one of motion, people_count, presence, illuminance, temperature" },
	{ SENSOR_HEAD "          - {property: temperature}\n",
	  "t.yaml:7:13: devices.lamp.elements[0].sensors[0]: generator is missing" },
	{ SENSOR_HEAD "          - {generator: {constant: 1}}\n",
	  "t.yaml:7:13: devices.lamp.elements[0].sensors[0]: property is missing" },
	{ SENSOR_HEAD "          - {property: temperature, generator: {constant: 70}}\n",
	  "t.yaml:7:59: devices.lamp.elements[0].sensors[0].generator.constant: 70 is outside "
	  "what temperature can report (-64..63 °C)" },
	{ SENSOR_HEAD "          - {property: temperature, generator: {constant: warm}}\n",
	  "t.yaml:7:59: devices.lamp.elements[0].sensors[0].generator.constant: expected a "
	  "number, got \"warm\"" },
	{ SENSOR_HEAD "          - {property: temperature, generator: {sine: {min: 18, max: 24}}}\n",
	  "t.yaml:7:55: devices.lamp.elements[0].sensors[0].generator.sine: period_s is missing" },
	{ SENSOR_HEAD "          - {property: temperature, generator: {sine: {min: 24, max: 18, "
	  "period_s: 60}}}\n",
	  "t.yaml:7:70: devices.lamp.elements[0].sensors[0].generator.sine.max: max 18 is below "
	  "min 24" },
	{ SENSOR_HEAD "          - {property: temperature, generator: {sine: {min: 1, max: 2, "
	  "period_s: 0}}}\n",
	  "t.yaml:7:82: devices.lamp.elements[0].sensors[0].generator.sine.period_s: 0 is too "
	  "short (at least 0.001 s)" },
	{ SENSOR_HEAD "          - {property: humidity, generator: {random_walk: {min: 30, max: 70, "
	  "step: 1, start: 80}}}\n",
	  "t.yaml:7:94: devices.lamp.elements[0].sensors[0].generator.random_walk.start: start 80 "
	  "is not within min..max (30..70)" },
	{ SENSOR_HEAD "          - {property: humidity, generator: {random_walk: {min: 30, max: 70}}}\n",
	  "t.yaml:7:59: devices.lamp.elements[0].sensors[0].generator.random_walk: step is missing" },
	{ SENSOR_HEAD "          - {property: motion, generator: {pattern: {values: [], every_s: 5}}}\n",
	  "t.yaml:7:62: devices.lamp.elements[0].sensors[0].generator.pattern.values: expected "
	  "1..8 numbers, got 0" },
	{ SENSOR_HEAD "          - {property: motion, generator: {pattern: {values: [0, 101], "
	  "every_s: 5}}}\n",
	  "t.yaml:7:66: devices.lamp.elements[0].sensors[0].generator.pattern.values[1]: 101 is "
	  "outside what motion can report (0..100 %)" },
	{ SENSOR_HEAD "          - {property: motion, generator: {pattern: {values: [0, 1]}}}\n",
	  "t.yaml:7:53: devices.lamp.elements[0].sensors[0].generator.pattern: every_s is missing "
	  "(seconds)" },
	{ SENSOR_HEAD "          - {property: motion, generator: {constant: 1, sine: {}}}\n",
	  "t.yaml:7:43: devices.lamp.elements[0].sensors[0].generator: expected exactly one of "
	  "constant, sine, random_walk or pattern" },
	{ SENSOR_HEAD "          - {property: motion, generator: {square: {}}}\n",
	  "t.yaml:7:44: devices.lamp.elements[0].sensors[0].generator.square: unknown key "
	  "(known keys here: constant, sine, random_walk, pattern)" },
	{ SENSOR_HEAD "          - {property: motion, generator: {constant: 1}}\n"
	  "          - {property: 0x0042, generator: {constant: 2}}\n",
	  "t.yaml:8:24: devices.lamp.elements[0].sensors[1].property: property motion listed "
	  "twice (first at devices.lamp.elements[0].sensors[0])" },
	{ HEAD "    elements:\n      - models: [generic-onoff-server]\n"
	  "        sensors: [{property: motion, generator: {constant: 1}}]\n",
	  "t.yaml:6:18: devices.lamp.elements[0].sensors: sensors need the sensor-server model" },
	{ SENSOR_HEAD "          - {property: motion, generator: {constant: 1}, unit: '%'}\n",
	  "t.yaml:7:58: devices.lamp.elements[0].sensors[0].unit: unknown key (known keys here: "
	  "property, generator)" },
	{ SENSOR_HEAD "          - motion\n",
	  "t.yaml:7:13: devices.lamp.elements[0].sensors[0]: expected {property, generator}, got "
	  "\"motion\"" },
	/* the file itself */
	{ "", "t.yaml:1:1: the file is empty" },
	{ "name: t\ndevices: {a: [\n", "t.yaml:3:1: " },
	{ "- a\n- b\n", "t.yaml:1:1: expected a scenario (a mapping with name, devices" },
	{ "name: t\n", "t.yaml:1:1: devices is missing" },
	{ "devices:\n  a:\n---\ndevices:\n  b:\n", "t.yaml:3:1: a second YAML document" },
};

static void test_errors(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct sim_scenario sc;
		char err[512];
		int rc;

		rc = config_scenario_load_string(c->yaml, strlen(c->yaml), "t.yaml", &sc, err,
						 sizeof(err));
		if (rc != MESH_ERR_INVAL || strncmp(err, c->expect, strlen(c->expect)) != 0) {
			print_error("case %zu:\n%s\nexpected: %s\n     got: %s (rc %d)\n", i,
				    c->yaml, c->expect, err, rc);
			failed++;
		}
		/* A failed load leaves nothing to free. */
		assert_int_equal(sc.n_devices, 0);
		assert_null(sc.devices);
		assert_int_equal(sc.n_links, 0);
		sim_scenario_free(&sc);
	}
	assert_int_equal(failed, 0);
}

/* A key with a typo must not show up in the message, nor in part. */
static void test_secrets_not_echoed(void **state)
{
	static const char *const keys[] = {
		"net_key: 7dd7364cd842ad18c17c2b820c84c3dz\n      dev_key: 9d6dd0e96eb25dc19a40ed9914f8f03f\n",
		"net_key: 7dd7364cd842ad18c17c2b820c84c3d6\n      dev_key: 9d6dd0e96eb25dc19a40ed9914f8f03f00\n",
		"net_key: 7dd7364cd842ad18c17c2b820c84c3d6\n      dev_key: 9d6dd0e96eb25dc19a40ed9914f8f03f\n"
		"      app_keys: [{index: 0, key: \"63964771 734fbd76e3b40519d1d94a48\"}]\n",
		/* misplaced keys: wrong shape, wrong field */
		"net_key: 7dd7364cd842ad18c17c2b820c84c3d6\n      dev_key: 9d6dd0e96eb25dc19a40ed9914f8f03f\n"
		"      app_keys: [63964771734fbd76e3b40519d1d94a48]\n",
		"net_key: 7dd7364cd842ad18c17c2b820c84c3d6\n      dev_key: 9d6dd0e96eb25dc19a40ed9914f8f03f\n"
		"      net_index: 63964771734fbd76e3b40519d1d94a48\n",
		"net_key: 7dd7364cd842ad18c17c2b820c84c3d6\n      dev_key: 9d6dd0e96eb25dc19a40ed9914f8f03f\n"
		"      63964771734fbd76e3b40519d1d94a48: 0\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct sim_scenario sc;
		char yaml[1024], err[512];
		int rc;

		snprintf(yaml, sizeof(yaml), HEAD "    provisioned:\n      address: 1\n      %s",
			 keys[i]);
		rc = config_scenario_load_string(yaml, strlen(yaml), "t.yaml", &sc, err, sizeof(err));
		assert_int_equal(rc, MESH_ERR_INVAL);
		assert_non_null(strstr(err, "t.yaml:"));
		assert_non_null(strstr(err, "not shown"));
		assert_null(strstr(err, "7dd7"));
		assert_null(strstr(err, "9d6d"));
		assert_null(strstr(err, "6396"));
		if (i < 3) {
			assert_non_null(strstr(err, "expected 32 hex digits"));
			assert_null(strstr(err, "got"));
		}
	}
}

/* Nor a static OOB value, in any of the shapes a typo can give it. */
static void test_static_oob_not_echoed(void **state)
{
	static const char *const values[] = {
		"5f3ab1c2e4d6978800112233445566fz",     /* not hex */
		"5f3ab1c2e4d6978800112233445566",       /* 15 octets */
		"5f3ab1c2e4d6978800112233445566ff00",   /* 17 octets */
		"0x5f3ab1c2e4d6978800112233445566ff",   /* a prefix */
		"5f3ab1c2-e4d6-9788-0011-2233445566ff", /* dashes are for UUIDs */
		"\"5f3ab1c2e4d6978800112233445566ff 5f3ab1c2e4d6978800112233445566ff\"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct sim_scenario sc;
		char yaml[512], err[512];
		int rc;

		snprintf(yaml, sizeof(yaml), HEAD "    provisioning:\n      static_oob: %s\n",
			 values[i]);
		rc = config_scenario_load_string(yaml, strlen(yaml), "t.yaml", &sc, err, sizeof(err));
		assert_int_equal(rc, MESH_ERR_INVAL);
		assert_non_null(strstr(err, "t.yaml:5:19: devices.lamp.provisioning.static_oob: "));
		assert_non_null(strstr(err, "value not shown"));
		assert_null(strstr(err, "5f3a"));
		assert_null(strstr(err, "66ff"));
	}
}

/* Every provisioning key, both static OOB lengths, and the defaults. */
static void test_provisioning(void **state)
{
	static const char yaml[] =
		"devices:\n"
		"  plain:\n"
		"  empty:\n"
		"    provisioning:\n"
		"  full:\n"
		"    provisioning:\n"
		"      algorithms: [hmac]\n"
		"      public_key: oob\n"
		"      static_oob: 00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n"
		"      output: {actions: [alphanumeric, blink, beep, vibrate, numeric], size: 8}\n"
		"      input: {actions: [twist, alphanumeric], size: 1}\n"
		"  in-band:\n"
		"    provisioning: {public_key: in-band, algorithms: [hmac, cmac],\n"
		"                   static_oob: ffeeddccbbaa99887766554433221100}\n";
	struct sim_scenario sc;
	const struct sim_device_desc *d;
	char err[512];

	(void)state;
	assert_int_equal(config_scenario_load_string(yaml, strlen(yaml), "t.yaml", &sc, err,
						     sizeof(err)), 0);
	for (int i = 0; i < 2; i++) {
		d = dev(&sc, i == 0 ? "plain" : "empty");
		assert_int_equal(d->prov.algorithms, SIM_PROV_ALGORITHMS_ALL);
		assert_false(d->prov.oob_public_key);
		assert_int_equal(d->prov.static_oob_len, 0);
		assert_int_equal(d->prov.output_actions | d->prov.input_actions, 0);
		assert_int_equal(d->prov.output_size | d->prov.input_size, 0);
	}
	d = dev(&sc, "full");
	assert_int_equal(d->prov.algorithms, SIM_PROV_ALG_HMAC);
	assert_true(d->prov.oob_public_key);
	assert_int_equal(d->prov.static_oob_len, 32);
	assert_int_equal(d->prov.static_oob[0], 0x00);
	assert_int_equal(d->prov.static_oob[1], 0x11);
	assert_int_equal(d->prov.static_oob[31], 0xff);
	assert_int_equal(d->prov.output_actions, 0x001f);
	assert_int_equal(d->prov.output_size, 8);
	assert_int_equal(d->prov.input_actions, 0x000a);  /* twist, alphanumeric */
	assert_int_equal(d->prov.input_size, 1);
	d = dev(&sc, "in-band");
	assert_int_equal(d->prov.algorithms, SIM_PROV_ALGORITHMS_ALL);
	assert_false(d->prov.oob_public_key);
	assert_int_equal(d->prov.static_oob_len, 16);
	assert_int_equal(d->prov.static_oob[0], 0xff);
	assert_int_equal(d->prov.static_oob[15], 0x00);
	sim_scenario_free(&sc);
}

/* What sim_scenario_check() refuses in capabilities built by hand. */
static void test_provisioning_check(void **state)
{
	struct sim_scenario sc;
	struct sim_device_desc *d;
	char why[160];

	(void)state;
	sim_scenario_init(&sc);
	d = sim_scenario_add_device(&sc, "lamp", SIM_DEVICE_NODE);
	assert_non_null(d);
	assert_int_equal(d->prov.algorithms, SIM_PROV_ALGORITHMS_ALL);
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), 0);

	d->prov.algorithms = 0;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_non_null(strstr(why, "algorithms"));
	d->prov.algorithms = 0x0004;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	d->prov.algorithms = SIM_PROV_ALG_HMAC;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), 0);

	d->prov.static_oob_len = 20;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_non_null(strstr(why, "16 or 32"));
	d->prov.static_oob_len = 32;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), 0);

	d->prov.output_actions = 0x0008;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_non_null(strstr(why, "output OOB size 0"));
	d->prov.output_size = 9;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	d->prov.output_size = 8;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), 0);
	d->prov.output_actions = 0x0020;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_non_null(strstr(why, "unknown output OOB actions"));
	d->prov.output_actions = 0x0008;

	d->prov.input_size = 2;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_non_null(strstr(why, "input OOB size 2 without actions"));
	d->prov.input_actions = 0x0010;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	d->prov.input_actions = 0x0004;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), 0);

	/* Controllers have no capabilities to check. */
	assert_non_null(sim_scenario_add_device(&sc, "gw", SIM_DEVICE_CONTROLLER));
	assert_int_equal(sc.devices[1].prov.algorithms, 0);
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), 0);
	sim_scenario_free(&sc);
}

static void test_missing_file(void **state)
{
	struct sim_scenario sc;
	char err[512];

	(void)state;
	assert_int_equal(config_scenario_load_file("/nonexistent/x.yaml", &sc, err, sizeof(err)),
			 MESH_ERR_IO);
	assert_string_equal(err, "/nonexistent/x.yaml: cannot read: No such file or directory");
	assert_int_equal(sc.n_devices, 0);
	sim_scenario_free(&sc);
}

/* The error names the file as given, and a small buffer truncates safely. */
static void test_small_error_buffer(void **state)
{
	static const char yaml[] = HEAD "    uuid: 12ab\n";
	struct sim_scenario sc;
	char err[16];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(config_scenario_load_string(yaml, strlen(yaml), "dir/t.yaml", &sc, err,
						     sizeof(err)), MESH_ERR_INVAL);
	assert_string_equal(err, "dir/t.yaml:4:11");
	assert_int_equal(config_scenario_load_string(yaml, strlen(yaml), "t.yaml", &sc, NULL, 0),
			 MESH_ERR_INVAL);
}

/* Defaults, numbers in both bases, null device bodies, anchors. */
static void test_defaults_and_forms(void **state)
{
	static const char yaml[] =
		"devices:\n"
		"  plain:\n"
		"  gw: {type: controller, socket: /tmp/meshsim-test.sock}\n"
		"  lamp:\n"
		"    elements:\n"
		"      - &lamp_models\n"
		"        location: 1\n"
		"        models: [health-server, 0x1000, 4096]\n"
		"      - models: [light-lightness-server]\n"
		"    network_transmit: {count: 1, interval_ms: 10}\n"
		"    position: [1.5, -2e1]\n"
		"links:\n"
		"  - {between: [plain, lamp], loss: 0, rssi: -60}\n";
	struct sim_scenario sc;
	const struct sim_device_desc *d;
	char err[512];

	(void)state;
	assert_int_equal(config_scenario_load_string(yaml, strlen(yaml), "t.yaml", &sc, err,
						     sizeof(err)),
			 MESH_ERR_INVAL);  /* 0x1000 and 4096 are the same model */
	assert_non_null(strstr(err, "t.yaml:8:41: devices.lamp.elements[0].models[2]: model "
				    "0x1000 listed twice"));

	{
		char fixed[sizeof(yaml)];
		char *p;

		memcpy(fixed, yaml, sizeof(yaml));
		p = strstr(fixed, "4096");
		memcpy(p, "4097", 4);
		assert_int_equal(config_scenario_load_string(fixed, strlen(fixed), "t.yaml", &sc,
							     err, sizeof(err)), 0);
	}
	assert_int_equal(sc.seed, 1);
	assert_int_equal(sc.tx_delay_max_ms, SIM_DEFAULT_TX_DELAY_MAX_MS);
	assert_true(sc.range_m == SIM_DEFAULT_RANGE_M);

	d = dev(&sc, "plain");
	assert_int_equal(d->kind, SIM_DEVICE_NODE);
	assert_int_equal(d->n_elements, 1);
	assert_int_equal(d->net_transmit, 0);
	d = dev(&sc, "gw");
	assert_int_equal(d->kind, SIM_DEVICE_CONTROLLER);
	assert_string_equal(d->socket_path, "/tmp/meshsim-test.sock");
	d = dev(&sc, "lamp");
	assert_int_equal(d->n_elements, 2);
	/* health-server listed: only the configuration server is added. */
	assert_int_equal(d->elements[0].n_sig, 4);
	assert_int_equal(d->elements[0].sig_models[0], 0x0000);
	assert_int_equal(d->elements[0].sig_models[1], 0x0002);
	assert_int_equal(d->elements[0].sig_models[3], 4097);
	assert_int_equal(d->elements[0].location, 1);
	assert_int_equal(d->elements[1].n_sig, 1);
	/* One transmission: a non-zero state (0 means the default). */
	assert_int_equal(d->net_transmit, 0x08);
	assert_true(d->x == 1.5 && d->y == -20.0 && d->z == 0.0);
	assert_true(sc.links[0].loss == 0.0);
	assert_int_equal(sc.links[0].rssi, -60);
	sim_scenario_free(&sc);
}

static void test_model_names(void **state)
{
	(void)state;
	assert_int_equal(config_scenario_model_id("generic-onoff-server"), 0x1000);
	assert_int_equal(config_scenario_model_id("generic-onoff-client"), 0x1001);
	assert_int_equal(config_scenario_model_id("generic-level-server"), 0x1002);
	assert_int_equal(config_scenario_model_id("generic-level-client"), 0x1003);
	assert_int_equal(config_scenario_model_id("light-lightness-server"), 0x1300);
	assert_int_equal(config_scenario_model_id("light-lightness-client"), 0x1302);
	assert_int_equal(config_scenario_model_id("light-ctl-server"), 0x1303);
	assert_int_equal(config_scenario_model_id("light-hsl-server"), 0x1307);
	assert_int_equal(config_scenario_model_id("sensor-server"), 0x1100);
	assert_int_equal(config_scenario_model_id("sensor-client"), 0x1102);
	assert_int_equal(config_scenario_model_id("health-server"), 0x0002);
	assert_int_equal(config_scenario_model_id("configuration-server"), 0x0000);
	assert_int_equal(config_scenario_model_id("Generic-OnOff-Server"), -1);
	assert_int_equal(config_scenario_model_id(""), -1);
}

/* Sensors of every generator kind, by name and by ID, with defaults. */
static void test_sensors(void **state)
{
	static const char yaml[] =
		"devices:\n"
		"  s:\n"
		"    elements:\n"
		"      - models: [sensor-server]\n"
		"        sensors:\n"
		"          - {property: temperature, generator: {constant: -12.5}}\n"
		"          - {property: 0x0076, generator: {sine: {min: 40, max: 60, period_s: 90}}}\n"
		"          - {property: illuminance, generator: {random_walk: {min: 0, max: 500,"
		" step: 25}}}\n"
		"          - property: power\n"
		"            generator:\n"
		"              random_walk: {start: 5, min: 0, max: 60, step: 2.5, every_s: 0.5}\n"
		"          - {property: motion, generator: {pattern: {values: [0, 50, 100],"
		" every_s: 7}}}\n"
		"          - {property: people_count, generator: {constant: 3}}\n"
		"          - {property: energy, generator: {constant: 1234}}\n"
		"          - {property: voltage, generator: {constant: 230}}\n";
	const struct sim_element_desc *el;
	struct sim_scenario sc;
	char err[512];

	(void)state;
	assert_int_equal(config_scenario_load_string(yaml, strlen(yaml), "t.yaml", &sc, err,
						     sizeof(err)), 0);
	el = &dev(&sc, "s")->elements[0];
	assert_int_equal(el->n_sensors, 8);
	assert_int_equal(el->sensors[0].property, 0x004f);
	assert_int_equal(el->sensors[0].gen.kind, SIM_GEN_CONSTANT);
	assert_true(el->sensors[0].gen.value == -12.5);
	assert_int_equal(el->sensors[1].property, 0x0076);
	assert_int_equal(el->sensors[1].gen.kind, SIM_GEN_SINE);
	assert_true(el->sensors[1].gen.min == 40 && el->sensors[1].gen.max == 60);
	assert_true(el->sensors[1].gen.period_s == 90);
	assert_int_equal(el->sensors[2].property, 0x004e);
	assert_int_equal(el->sensors[2].gen.kind, SIM_GEN_RANDOM_WALK);
	/* Defaults: start in the middle, a step every 10 s. */
	assert_true(el->sensors[2].gen.start == 250);
	assert_true(el->sensors[2].gen.every_s == SIM_RANDOM_WALK_EVERY_S_DEFAULT);
	assert_true(el->sensors[2].gen.step == 25);
	assert_int_equal(el->sensors[3].property, 0x0052);
	assert_true(el->sensors[3].gen.start == 5 && el->sensors[3].gen.every_s == 0.5);
	assert_int_equal(el->sensors[4].property, 0x0042);
	assert_int_equal(el->sensors[4].gen.kind, SIM_GEN_PATTERN);
	assert_int_equal(el->sensors[4].gen.n_values, 3);
	assert_true(el->sensors[4].gen.values[1] == 50 && el->sensors[4].gen.every_s == 7);
	assert_int_equal(el->sensors[5].property, 0x004c);
	assert_int_equal(el->sensors[6].property, 0x006a);
	assert_int_equal(el->sensors[7].property, 0x0059);
	sim_scenario_free(&sc);

	/* A ninth sensor is one too many. */
	{
		char big[2048];
		int n = snprintf(big, sizeof(big), "%s", yaml);

		snprintf(big + n, sizeof(big) - (size_t)n,
			 "          - {property: co2, generator: {constant: 400}}\n");
		assert_int_equal(config_scenario_load_string(big, strlen(big), "t.yaml", &sc, err,
							     sizeof(err)), MESH_ERR_INVAL);
		assert_non_null(strstr(err, "t.yaml:16:13: devices.s.elements[0].sensors[8]: too "
				       "many sensors (at most 8 per element)"));
	}
}

/* sim_scenario_check() refuses sensors that tests build by hand wrong. */
static void test_sensors_check(void **state)
{
	struct sim_scenario sc;
	struct sim_device_desc *d;
	struct sim_element_desc *el;
	char why[256];

	(void)state;
	sim_scenario_init(&sc);
	d = sim_scenario_add_device(&sc, "s", SIM_DEVICE_NODE);
	assert_non_null(d);
	el = &d->elements[0];
	el->n_sig = 1;
	el->sig_models[0] = 0x1100;
	el->n_sensors = 1;
	el->sensors[0].property = 0x004f;
	el->sensors[0].gen.kind = SIM_GEN_SINE;
	el->sensors[0].gen.min = 18;
	el->sensors[0].gen.max = 24;
	el->sensors[0].gen.period_s = 60;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), 0);

	el->sensors[0].gen.period_s = 0;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_string_equal(why, "node \"s\": element 0: sensor 0x004f has an invalid generator");
	el->sensors[0].gen.period_s = 60;
	el->sensors[0].gen.max = NAN;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	el->sensors[0].gen.max = 24;

	el->sensors[0].property = 0x1234;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_string_equal(why, "node \"s\": element 0: sensor property 0x1234 is not one "
			    "meshsim can simulate");
	el->sensors[0].property = 0x004f;

	el->n_sensors = 2;
	el->sensors[1] = el->sensors[0];
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_string_equal(why, "node \"s\": element 0: sensor property 0x004f twice");
	el->n_sensors = 1;

	el->sig_models[0] = 0x1000;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	assert_string_equal(why, "node \"s\": element 0 has sensors but no Sensor Server");
	el->sig_models[0] = 0x1100;

	el->sensors[0].gen.kind = SIM_GEN_PATTERN;
	el->sensors[0].gen.n_values = 0;
	el->sensors[0].gen.every_s = 1;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	el->sensors[0].gen.n_values = 1;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), 0);
	el->sensors[0].gen.kind = SIM_GEN_RANDOM_WALK;
	el->sensors[0].gen.start = 30;  /* outside min..max */
	el->sensors[0].gen.step = 1;
	assert_int_equal(sim_scenario_check(&sc, why, sizeof(why)), MESH_ERR_INVAL);
	sim_scenario_free(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stairway_file),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_chain4),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_secrets_not_echoed),
		cmocka_unit_test(test_static_oob_not_echoed),
		cmocka_unit_test(test_provisioning),
		cmocka_unit_test(test_provisioning_check),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_small_error_buffer),
		cmocka_unit_test(test_defaults_and_forms),
		cmocka_unit_test(test_model_names),
		cmocka_unit_test(test_sensors),
		cmocka_unit_test(test_sensors_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
