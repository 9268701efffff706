/*
 * The network database: everything meshgate knows about its mesh network
 * (keys, provisioners and their ranges, nodes, groups, exclusions), held
 * in memory as plain data and persisted as a Bluetooth SIG Mesh
 * Configuration Database (CDB) JSON file, the format BlueZ mesh-cfgclient
 * and the nRF Mesh app exchange.
 *
 * A data directory holds:
 *   mesh.json       the CDB (keys inside: mode 0600)
 *   mesh.json.bak   the previous good version
 *   state.json      meshgate's runtime state (runtime_state.h), and .bak
 *
 * Every change that must survive a crash goes through netdb_save(), which
 * writes atomically and durably (store.h). Nothing here logs key material.
 */
#ifndef GATEWAY_NETDB_H
#define GATEWAY_NETDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETDB_NAME_MAX 96
#define NETDB_TIMESTAMP_MAX 40     /* RFC 3339, e.g. 2026-11-21T10:00:00Z */
#define NETDB_FILE "mesh.json"
#define NETDB_STATE_FILE "state.json"
#define NETDB_BACKUP_SUFFIX ".bak"

/* CDB feature states (relay, proxy, friend, lowPower). */
enum netdb_feature {
	NETDB_FEATURE_OFF = 0,
	NETDB_FEATURE_ON = 1,
	NETDB_FEATURE_UNSUPPORTED = 2,
	NETDB_FEATURE_UNKNOWN = 3,      /* not in the file: composition not read yet */
};

struct netdb_range {
	uint16_t low, high;             /* inclusive; scenes use the same type */
};

struct netdb_net_key {
	char name[NETDB_NAME_MAX];
	uint16_t index;                 /* 0..4095 */
	uint8_t key[16];
	bool has_old_key;
	uint8_t old_key[16];
	uint8_t phase;                  /* key refresh phase 0..2 */
	bool min_security_secure;       /* minSecurity "secure" (else "insecure") */
	char timestamp[NETDB_TIMESTAMP_MAX];
};

struct netdb_app_key {
	char name[NETDB_NAME_MAX];
	uint16_t index;
	uint16_t bound_net_key;
	uint8_t key[16];
	bool has_old_key;
	uint8_t old_key[16];
};

#define NETDB_RANGES_MAX 8
struct netdb_provisioner {
	char name[NETDB_NAME_MAX];
	uint8_t uuid[16];
	size_t n_unicast, n_group, n_scene;
	struct netdb_range unicast[NETDB_RANGES_MAX];
	struct netdb_range group[NETDB_RANGES_MAX];
	struct netdb_range scene[NETDB_RANGES_MAX];
};

struct netdb_key_ref {
	uint16_t index;
	bool updated;
};

/* A publish or subscribe address: a group/unicast address or a Label UUID. */
struct netdb_address {
	uint16_t address;               /* virtual: the hash of label */
	bool is_label;
	uint8_t label[16];
};

struct netdb_publish {
	struct netdb_address address;
	uint16_t app_idx;               /* "index" */
	uint8_t ttl;                    /* 0..127, 255 = default TTL */
	uint8_t period_steps;           /* period.numberOfSteps 0..63 */
	uint32_t period_resolution_ms;  /* period.resolution: 100, 1000, 10000, 600000 */
	uint8_t retransmit_count;       /* 0..7 */
	uint16_t retransmit_interval_ms;/* 50..1600, multiple of 50 */
	uint8_t credentials;            /* 0 master, 1 friendship */
};

struct netdb_model {
	uint32_t id;                    /* SIG: 16 bits; vendor: CID << 16 | model */
	bool vendor;
	size_t n_bind;
	uint16_t *bind;                 /* AppKey indexes */
	size_t n_subscribe;
	struct netdb_address *subscribe;
	bool has_publish;
	struct netdb_publish publish;
};

struct netdb_element {
	char name[NETDB_NAME_MAX];
	uint8_t index;
	uint16_t location;
	size_t n_models;
	struct netdb_model *models;
};

struct netdb_heartbeat_pub {
	bool present;
	uint16_t address;
	uint32_t period_s;              /* CDB: seconds */
	uint8_t ttl;
	uint16_t net_idx;               /* "index" */
	uint16_t features;              /* heartbeat feature bits: relay 1, proxy 2, friend 4, lowPower 8 */
};

struct netdb_heartbeat_sub {
	uint16_t source;
	uint16_t destination;
};

struct netdb_transmit {
	bool present;
	uint8_t count;                  /* CDB: transmissions (networkTransmit) / retransmissions */
	uint16_t interval_ms;
};

struct netdb_node {
	char name[NETDB_NAME_MAX];
	uint8_t uuid[16];
	uint16_t unicast;               /* primary element */
	uint8_t dev_key[16];
	bool security_secure;           /* "security": "secure" / "insecure" */
	size_t n_net_keys, n_app_keys;
	struct netdb_key_ref *net_keys;
	struct netdb_key_ref *app_keys;
	bool config_complete;
	bool excluded;
	bool has_ids;                   /* cid/pid/vid/crpl known (composition read) */
	uint16_t cid, pid, vid, crpl;
	enum netdb_feature relay, proxy, friend_, low_power;
	bool has_default_ttl;
	uint8_t default_ttl;
	bool has_secure_beacon;
	bool secure_network_beacon;
	struct netdb_transmit network_transmit, relay_retransmit;
	struct netdb_heartbeat_pub heartbeat_pub;
	size_t n_heartbeat_sub;
	struct netdb_heartbeat_sub *heartbeat_sub;
	size_t n_elements;              /* at least 1: known from provisioning */
	struct netdb_element *elements;
};

struct netdb_group {
	char name[NETDB_NAME_MAX];
	struct netdb_address address;
	uint16_t parent;                /* "parentAddress"; 0 = none; virtual: the hash */
	bool parent_is_label;           /* the parent is a virtual group: its Label UUID */
	uint8_t parent_label[16];
};

/* A scene: its number and the nodes (primary addresses) that store it. */
struct netdb_scene {
	char name[NETDB_NAME_MAX];
	uint16_t number;                /* 0x0001..0xffff */
	size_t n_addresses;
	uint16_t *addresses;
};

struct netdb_exclusion {
	uint32_t iv_index;
	size_t n_addresses;
	uint16_t *addresses;
};

struct netdb {
	/* CDB top level */
	uint8_t mesh_uuid[16];
	char mesh_name[NETDB_NAME_MAX];
	char timestamp[NETDB_TIMESTAMP_MAX];
	bool partial;
	size_t n_net_keys, n_app_keys, n_provisioners, n_nodes, n_groups, n_exclusions;
	struct netdb_net_key *net_keys;
	struct netdb_app_key *app_keys;
	struct netdb_provisioner *provisioners;
	struct netdb_node *nodes;
	struct netdb_group *groups;
	struct netdb_exclusion *exclusions;
	size_t n_scenes;
	struct netdb_scene *scenes;
	/* meshgate's own entry in provisioners[] (matched by UUID) and its
	 * node in nodes[] (it is a node of the network too). The CDB has no
	 * member for "which provisioner am I", so mesh.json carries it in the
	 * extra top-level member "meshgateProvisioner" (other tools ignore
	 * it); all zero when unknown. */
	uint8_t self_uuid[16];
	/* where it lives; empty for an in-memory database */
	char dir[4096];
};

/* --- lifetime ------------------------------------------------------------ */

/* Free everything db owns (wiping key material) and db itself. */
void netdb_free(struct netdb *db);

/*
 * A new network: random mesh UUID, NetKey 0 and AppKey 0 (bound to it)
 * from the cryptographic RNG, a provisioner entry "meshgate" with unicast
 * range 0x0001-0x7fff (or the given one), group range 0xc000-0xfeff and
 * scene range 0x0001-0xffff, and meshgate's own node at the first address
 * of its range. Not saved.
 */
int netdb_create(struct netdb **out, const char *mesh_name, const struct netdb_range *unicast);

/* --- files (cdb.c) ------------------------------------------------------ */

/*
 * Load dir/mesh.json, or create, save and return a new network if the
 * file does not exist (dir is created with mode 0700). A file that exists
 * but fails to parse or validate is never replaced: the error is
 * returned, and err (errlen octets) says which file, where and what, e.g.
 * "/data/mesh.json: nodes[2].unicastAddress: 0x8001 is not a unicast
 * address" or "/data/mesh.json:14:3: JSON syntax: ...", and names the
 * backup to restore when one exists. Returns 0, -ENOENT..., or -EINVAL.
 */
int netdb_open(struct netdb **out, const char *dir, char *err, size_t errlen);

/* Save db to db->dir/mesh.json atomically and durably (0600, previous
 * version kept as mesh.json.bak). Updates db->timestamp. Negative errno. */
int netdb_save(struct netdb *db, char *err, size_t errlen);

/* CDB JSON text of db (complete, with keys) for export; malloc'd, NUL-terminated. */
char *netdb_to_json(const struct netdb *db);
/* Parse and validate CDB JSON text (name is used in messages). */
int netdb_from_json(struct netdb **out, const char *text, size_t len, const char *name,
		    char *err, size_t errlen);

/*
 * Import a CDB exported elsewhere (nRF Mesh app, mesh-cfgclient) as the
 * network meshgate runs: validated like netdb_from_json(); meshgate adds
 * its own provisioner entry if the file has none for it, with a unicast
 * range that overlaps no other provisioner's and no node, and its own node
 * there. report (reportlen octets) lists what was taken ("3 network keys,
 * 2 application keys, 14 nodes, 5 groups; provisioner 'meshgate' added
 * with 0x6000-0x7fff"). Not saved.
 */
int netdb_import(struct netdb **out, const char *text, size_t len, const char *name,
		 const uint8_t self_uuid[16], char *report, size_t reportlen);
/* self_uuid all zero: meshgate takes a fresh random UUID. On failure report
 * holds the error message instead, as netdb_from_json's err does. */

/* --- queries and changes (netdb.c) -------------------------------------- */

struct netdb_provisioner *netdb_self_provisioner(struct netdb *db);
struct netdb_node *netdb_self_node(struct netdb *db);
struct netdb_node *netdb_node_by_uuid(struct netdb *db, const uint8_t uuid[16]);
/* The node one of whose elements has address addr. */
struct netdb_node *netdb_node_by_address(struct netdb *db, uint16_t addr);
const struct netdb_net_key *netdb_net_key(const struct netdb *db, uint16_t index);
const struct netdb_app_key *netdb_app_key(const struct netdb *db, uint16_t index);

/*
 * The lowest free run of n unicast addresses in meshgate's provisioner
 * ranges: not used by any node's elements, and not listed in a network
 * exclusion whose IV index is within the exclusion window of iv_index
 * (addresses of removed nodes stay excluded until the IV index has moved
 * on by 2, Mesh 1.1 3.11.x). -ENOSPC if none.
 */
int netdb_alloc_unicast(const struct netdb *db, uint8_t n, uint32_t iv_index, uint16_t *addr);

/*
 * Add a freshly provisioned node (uuid, address, n_elements, device key,
 * bound to net_idx). -EEXIST if the UUID or an address is taken.
 */
int netdb_add_node(struct netdb *db, const uint8_t uuid[16], uint16_t unicast,
		   uint8_t n_elements, const uint8_t dev_key[16], uint16_t net_idx);
/* Drop a node as if it had never been added (undo of an add whose save
 * failed): no exclusion is recorded. -ENOENT if absent. */
int netdb_forget_node(struct netdb *db, const uint8_t uuid[16]);
/* Remove a node and record its addresses in networkExclusions at iv_index. */
int netdb_remove_node(struct netdb *db, const uint8_t uuid[16], uint32_t iv_index);

/*
 * Give meshgate (db->self_uuid) its own node if it has none: one element,
 * a fresh device key, every network and application key, at the lowest
 * address netdb_alloc_unicast() finds for iv_index. -EEXIST if the node
 * exists, -ENOENT without a provisioner entry for self_uuid, -ENOSPC.
 * (netdb_add_node and this may move db->nodes: re-fetch node pointers.)
 */
int netdb_add_self_node(struct netdb *db, uint32_t iv_index);

/* RFC 3339 UTC timestamp of now. */
void netdb_timestamp_now(char out[NETDB_TIMESTAMP_MAX]);

#endif
