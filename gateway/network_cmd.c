/* `meshgate network`: show, export and import the network database. */
#include "network_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "mesh/bytes.h"
#include "netdb.h"
#include "store.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define IMPORT_MAX (16u * 1024u * 1024u)

const char *meshgate_data_dir(const char *option)
{
	const char *env = getenv(MESHGATE_DATA_ENV);

	if (option)
		return option;
	if (env && *env)
		return env;
	return MESHGATE_DATA_DEFAULT;
}

static void network_usage(FILE *out)
{
	fprintf(out,
		"usage: meshgate network [--data DIR] show\n"
		"       meshgate network [--data DIR] export FILE|-\n"
		"       meshgate network [--data DIR] import FILE [--force]\n"
		"       meshgate network [--data DIR] restore FILE [--force]\n"
		"\n"
		"  show     the network: keys (indexes only), provisioners, nodes, groups\n"
		"  export   the complete Mesh Configuration Database JSON, keys included,\n"
		"           for a backup or the nRF Mesh app (FILE is written with mode 0600)\n"
		"  import   adopt a network exported by the nRF Mesh app or mesh-cfgclient;\n"
		"           refuses to replace an existing network without --force (the\n"
		"           replaced one is kept as mesh.json.bak)\n"
		"  restore  bring back a network meshgate exported, as meshgate's own again\n"
		"\n"
		"DIR defaults to $" MESHGATE_DATA_ENV " or ./" MESHGATE_DATA_DEFAULT ".\n");
}

static void print_uuid(const uint8_t uuid[16])
{
	char hex[33];

	mesh_hex_encode(uuid, 16, hex);
	printf("%s", hex);
}

static void show_nodes(const struct netdb *db)
{
	printf("nodes: %zu\n", db->n_nodes);
	for (size_t i = 0; i < db->n_nodes; i++) {
		const struct netdb_node *n = &db->nodes[i];

		printf("  0x%04x", n->unicast);
		if (n->n_elements > 1)
			printf("-0x%04x", (unsigned int)(n->unicast + n->n_elements - 1));
		printf("  ");
		print_uuid(n->uuid);
		printf("  %s%s\n", n->name[0] ? n->name : "(unnamed)",
		       memcmp(n->uuid, db->self_uuid, 16) == 0 ? "  [meshgate]" : "");
	}
}

static int cmd_show(const char *dir)
{
	struct netdb *db;
	char err[1024];

	if (netdb_open(&db, dir, err, sizeof(err))) {
		fprintf(stderr, "meshgate network: %s\n", err);
		return EXIT_RUNTIME;
	}
	printf("network: %s  ", db->mesh_name);
	print_uuid(db->mesh_uuid);
	printf("\nupdated: %s\n", db->timestamp);
	printf("network keys:");
	for (size_t i = 0; i < db->n_net_keys; i++)
		printf(" %u (phase %u)", db->net_keys[i].index, db->net_keys[i].phase);
	printf("\napplication keys:");
	for (size_t i = 0; i < db->n_app_keys; i++)
		printf(" %u (on net key %u)", db->app_keys[i].index, db->app_keys[i].bound_net_key);
	printf("\nprovisioners:\n");
	for (size_t i = 0; i < db->n_provisioners; i++) {
		const struct netdb_provisioner *p = &db->provisioners[i];

		printf("  %s", p->name);
		for (size_t r = 0; r < p->n_unicast; r++)
			printf(" 0x%04x-0x%04x", p->unicast[r].low, p->unicast[r].high);
		printf("\n");
	}
	show_nodes(db);
	printf("groups: %zu\n", db->n_groups);
	for (size_t i = 0; i < db->n_groups; i++)
		printf("  0x%04x  %s\n", db->groups[i].address.address, db->groups[i].name);
	netdb_free(db);
	return 0;
}

static int cmd_export(const char *dir, const char *file)
{
	struct netdb *db;
	char err[1024];
	char *json;
	int rc = 0;

	if (netdb_open(&db, dir, err, sizeof(err))) {
		fprintf(stderr, "meshgate network: %s\n", err);
		return EXIT_RUNTIME;
	}
	json = netdb_to_json(db);
	netdb_free(db);
	if (!json) {
		fprintf(stderr, "meshgate network: out of memory\n");
		return EXIT_RUNTIME;
	}
	if (strcmp(file, "-") == 0) {
		fputs(json, stdout);
	} else if (store_write(file, json, strlen(json), 0600, false, err, sizeof(err))) {
		fprintf(stderr, "meshgate network: %s\n", err);
		rc = EXIT_RUNTIME;
	} else {
		fprintf(stderr, "exported to %s (it holds the network's keys: keep it private)\n",
			file);
	}
	OPENSSL_cleanse(json, strlen(json));
	free(json);
	return rc;
}

static bool network_exists(const char *dir)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, NETDB_FILE);
	return stat(path, &st) == 0;
}

static int cmd_import(const char *dir, const char *file, bool force)
{
	uint8_t self_uuid[16];
	struct netdb *db = NULL, *old = NULL;
	char err[1024], report[1024];
	char *text = NULL;
	size_t len = 0;
	bool from_meshgate;
	int rc;

	if (network_exists(dir)) {
		if (!force) {
			fprintf(stderr,
				"meshgate network: %s/%s already holds a network; add --force to "
				"replace it (it is kept as %s%s)\n",
				dir, NETDB_FILE, NETDB_FILE, NETDB_BACKUP_SUFFIX);
			return EXIT_RUNTIME;
		}
		/* Keep meshgate's own identity: the node it already is. */
		if (netdb_open(&old, dir, err, sizeof(err)) == 0) {
			memcpy(self_uuid, old->self_uuid, 16);
			netdb_free(old);
		} else {
			memset(self_uuid, 0, sizeof(self_uuid));
		}
	} else {
		memset(self_uuid, 0, sizeof(self_uuid));
	}
	rc = store_read(file, IMPORT_MAX, &text, &len, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "meshgate network: %s\n", err);
		return EXIT_RUNTIME;
	}
	from_meshgate = strstr(text, "\"meshgateProvisioner\"") != NULL;
	rc = netdb_import(&db, text, len, file, self_uuid, report, sizeof(report));
	OPENSSL_cleanse(text, len);
	free(text);
	if (rc) {
		fprintf(stderr, "meshgate network: %s\n", report);
		if (from_meshgate)
			fprintf(stderr, "meshgate network: %s is a meshgate export: bring it back with "
				"'meshgate network restore'\n", file);
		return EXIT_RUNTIME;
	}
	snprintf(db->dir, sizeof(db->dir), "%s", dir);
	rc = store_mkdir(dir, 0700);
	if (rc < 0)
		snprintf(err, sizeof(err), "%s: cannot create the directory: %s", dir, strerror(-rc));
	if (rc < 0 || netdb_save(db, err, sizeof(err))) {
		fprintf(stderr, "meshgate network: %s\n", err);
		netdb_free(db);
		return EXIT_RUNTIME;
	}
	printf("imported: %s\n", report);
	netdb_free(db);
	return 0;
}

/* A meshgate export, taken back with meshgate's identity in it. */
static int cmd_restore(const char *dir, const char *file, bool force)
{
	struct netdb *db = NULL;
	char err[1024];
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (network_exists(dir) && !force) {
		fprintf(stderr, "meshgate network: %s/%s already holds a network; add --force to "
			"replace it (it is kept as %s%s)\n", dir, NETDB_FILE, NETDB_FILE,
			NETDB_BACKUP_SUFFIX);
		return EXIT_RUNTIME;
	}
	rc = store_read(file, IMPORT_MAX, &text, &len, err, sizeof(err));
	if (rc == 0) {
		rc = netdb_from_json(&db, text, len, file, err, sizeof(err));
		OPENSSL_cleanse(text, len);
		free(text);
	}
	if (rc == 0 && !netdb_self_provisioner(db)) {
		snprintf(err, sizeof(err), "%s was not exported by meshgate (it names no provisioner "
			 "as meshgate's): use 'meshgate network import'", file);
		rc = -EINVAL;
	}
	if (rc == 0) {
		snprintf(db->dir, sizeof(db->dir), "%s", dir);
		rc = store_mkdir(dir, 0700);
		if (rc < 0)
			snprintf(err, sizeof(err), "%s: cannot create the directory: %s", dir,
				 strerror(-rc));
		else
			rc = netdb_save(db, err, sizeof(err));
	}
	if (rc) {
		fprintf(stderr, "meshgate network: %s\n", err);
		netdb_free(db);
		return EXIT_RUNTIME;
	}
	printf("restored network '%s' with %zu node(s) into %s\n", db->mesh_name, db->n_nodes, dir);
	netdb_free(db);
	return 0;
}

int network_cmd_main(int argc, char **argv)
{
	const char *data = NULL;
	const char *words[4];
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			network_usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--data") == 0) {
			if (i + 1 == argc) {
				fprintf(stderr, "meshgate network: --data needs a directory\n");
				return EXIT_USAGE;
			}
			data = argv[++i];
		} else if (n < 4) {
			words[n++] = argv[i];
		} else {
			fprintf(stderr, "meshgate network: too many arguments\n");
			return EXIT_USAGE;
		}
	}
	data = meshgate_data_dir(data);
	if (n == 1 && strcmp(words[0], "show") == 0)
		return cmd_show(data);
	if (n == 2 && strcmp(words[0], "export") == 0)
		return cmd_export(data, words[1]);
	if ((n == 2 || n == 3) &&
	    (strcmp(words[0], "import") == 0 || strcmp(words[0], "restore") == 0)) {
		bool force = n == 3 && strcmp(words[2], "--force") == 0;

		if (n == 3 && !force) {
			fprintf(stderr, "meshgate network: unknown option '%s'\n", words[2]);
			return EXIT_USAGE;
		}
		if (strcmp(words[0], "restore") == 0)
			return cmd_restore(data, words[1], force);
		return cmd_import(data, words[1], force);
	}
	fprintf(stderr, "meshgate network: %s\n",
		n ? "unknown or incomplete command" : "which command?");
	network_usage(stderr);
	return EXIT_USAGE;
}
