/*
 * libFuzzer target for the gateway's configuration file
 * (config/gateway_config.h): libyaml's document loader, the schema walk,
 * ${NAME} expansion and the error messages.
 *
 * Besides memory errors it checks what the loader promises. An accepted
 * configuration keeps the rules the gateway relies on: names unique and
 * valid C strings, every group a node or element refers to defined,
 * `provision: auto` only for nodes known by UUID, ranges kept. A refused
 * one leaves only the defaults and a message that names the file. And the
 * value of an environment variable is never echoed in a message (unless
 * the input spells it out itself).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/gateway_config.h"

#define SECRET "Zq-fuzz-SECRET-value"

static struct gw_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("FUZZ_SECRET", SECRET, 1);
	setenv("FUZZ_GROUP", "stairway lights", 1);
	setenv("FUZZ_OOB", "00112233445566778899aabbccddeeff", 1);
	return 0;
}

static bool contains(const uint8_t *data, size_t size, const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i + len <= size; i++)
		if (memcmp(data + i, s, len) == 0)
			return true;
	return false;
}

static void check_name(const char *name)
{
	if (strnlen(name, GW_CONFIG_NAME_MAX) == GW_CONFIG_NAME_MAX)
		abort();
}

static void check_accepted(void)
{
	const struct gw_config_mesh *m = &cfg.mesh;

	if (cfg.mqtt.version != 4 && cfg.mqtt.version != 5)
		abort();
	if (strncmp(cfg.mqtt.server, "mqtt://", 7) != 0 &&
	    strncmp(cfg.mqtt.server, "mqtts://", 8) != 0)
		abort();
	if (m->unicast_low == 0 || m->unicast_low > m->unicast_high || m->unicast_high > 0x7fff)
		abort();
	if (m->default_ttl == 1 || m->default_ttl > 127 || m->heartbeat_group < 0xc000)
		abort();
	if (m->has_network_transmit && (m->network_transmit_count < 1 ||
					m->network_transmit_count > 8 ||
					m->network_transmit_interval_ms % 10))
		abort();
	if (cfg.n_groups > 1024 || cfg.n_nodes > 4096)
		abort();
	for (size_t i = 0; i < cfg.n_groups; i++) {
		const struct gw_config_group *g = &cfg.groups[i];

		check_name(g->name);
		if (gw_config_group_find(&cfg, g->name) != g)
			abort();
		if (g->kind == GW_CONFIG_GROUP_ADDRESS &&
		    (g->address < 0xc000 || g->address >= 0xff00 ||
		     g->address == cfg.mesh.heartbeat_group))
			abort();
	}
	for (size_t i = 0; i < cfg.n_nodes; i++) {
		const struct gw_config_node *n = &cfg.nodes[i];

		check_name(n->name);
		if (n->provision_auto && !n->by_uuid)
			abort();
		if (!n->by_uuid && (n->address == 0 || n->address > 0x7fff))
			abort();
		if (n->static_oob_len != 0 && n->static_oob_len != 16 && n->static_oob_len != 32)
			abort();
		if (n->n_elements > GW_CONFIG_ELEMENTS_MAX ||
		    n->n_groups > GW_CONFIG_NODE_GROUPS_MAX)
			abort();
		if (gw_config_node_find(&cfg, n->by_uuid ? n->uuid : NULL, n->address) == NULL)
			abort();
		for (size_t e = 0; e < n->n_elements; e++) {
			check_name(n->elements[e].name);
			if (n->elements[e].publish[0] &&
			    !gw_config_group_find(&cfg, n->elements[e].publish))
				abort();
		}
		for (size_t g = 0; g < n->n_groups; g++)
			if (!gw_config_group_find(&cfg, n->groups[g]))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[GW_CONFIG_ERR_MAX];
	int rc;

	rc = gw_config_load_string(&cfg, (const char *)data, size, "fuzz.yaml", err, sizeof(err));
	if (rc == 0) {
		check_accepted();
	} else {
		if (cfg.n_groups || cfg.groups || cfg.n_nodes || cfg.nodes || cfg.mqtt.password[0])
			abort();
		if (strncmp(err, "fuzz.yaml", 9) != 0)
			abort();
		if (strstr(err, SECRET) && !contains(data, size, SECRET))
			abort();
	}
	gw_config_free(&cfg);
	return 0;
}
