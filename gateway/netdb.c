/*
 * The network database in memory (netdb.h): a new network, look-ups,
 * handing out unicast addresses, adding and removing nodes. Reading,
 * checking and writing the CDB file is cdb.c's part.
 *
 * Addresses of removed nodes (networkExclusions). Every node keeps, per
 * source address, the highest SeqAuth (IV index << 24 | SEQ) it has seen
 * (the replay protection list). A new node that got a removed node's
 * address would start at SEQ 0 and have its messages dropped as replays
 * until its SeqAuth passed the old one. SeqAuth of the new node is larger
 * once the IV index it sends with is larger than any the old node used.
 * The old node sent with at most the IV index current at its removal
 * (recorded as the exclusion's ivIndex); a node in IV Update sends with
 * the current IV index minus one, so only when the current IV index is
 * at least ivIndex + 2 is every message of the new node newer. So an
 * exclusion holds while  current IV index < ivIndex + 2.
 * The nRF Mesh library's ExclusionList applies the same rule (an address
 * is free again once the IV index is 2 or more above the one it was
 * excluded at); BlueZ mesh-cfgclient (tools/mesh/remote.c) keeps them one
 * IV index longer (released when the distance exceeds 2). An exclusion whose ivIndex is above the current
 * one (a file from a network further on) holds too: we cannot tell how old
 * it is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "mesh/addr.h"
#include "netdb.h"

#define UNICAST_MAX 0x7fffu
#define GROUP_RANGE_LOW 0xc000u
#define GROUP_RANGE_HIGH 0xfeffu     /* 0xff00.. are reserved and fixed groups */
#define SCENE_RANGE_LOW 0x0001u
#define SCENE_RANGE_HIGH 0xffffu
/* How many IV index steps an excluded address waits (see the top). */
#define EXCLUSION_IV_DISTANCE 2u

#define SELF_NAME "meshgate"
#define DEFAULT_MESH_NAME "meshgate"

/* --- freeing ------------------------------------------------------------- */

static void free_element(struct netdb_element *el)
{
	for (size_t i = 0; i < el->n_models; i++) {
		free(el->models[i].bind);
		free(el->models[i].subscribe);
	}
	free(el->models);
}

static void free_node(struct netdb_node *node)
{
	OPENSSL_cleanse(node->dev_key, sizeof(node->dev_key));
	free(node->net_keys);
	free(node->app_keys);
	free(node->heartbeat_sub);
	for (size_t i = 0; i < node->n_elements; i++)
		free_element(&node->elements[i]);
	free(node->elements);
	memset(node, 0, sizeof(*node));
}

void netdb_free(struct netdb *db)
{
	if (!db)
		return;
	if (db->net_keys)
		OPENSSL_cleanse(db->net_keys, db->n_net_keys * sizeof(*db->net_keys));
	free(db->net_keys);
	if (db->app_keys)
		OPENSSL_cleanse(db->app_keys, db->n_app_keys * sizeof(*db->app_keys));
	free(db->app_keys);
	free(db->provisioners);
	for (size_t i = 0; i < db->n_nodes; i++)
		free_node(&db->nodes[i]);
	free(db->nodes);
	free(db->groups);
	for (size_t i = 0; i < db->n_exclusions; i++)
		free(db->exclusions[i].addresses);
	free(db->exclusions);
	for (size_t i = 0; i < db->n_scenes; i++)
		free(db->scenes[i].addresses);
	free(db->scenes);
	OPENSSL_cleanse(db, sizeof(*db));
	free(db);
}

/* --- small helpers ------------------------------------------------------- */

static int random_octets(uint8_t *out, size_t len)
{
	return RAND_bytes(out, (int)len) == 1 ? 0 : -EIO;
}

/* A random (version 4) UUID, RFC 4122 4.4. */
static int random_uuid(uint8_t uuid[16])
{
	int rc = random_octets(uuid, 16);

	if (rc == 0) {
		uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
		uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
	}
	return rc;
}

static bool uuid_is_zero(const uint8_t uuid[16])
{
	static const uint8_t zero[16];

	return memcmp(uuid, zero, 16) == 0;
}

static bool unicast_range_valid(const struct netdb_range *r)
{
	return r->low >= 1 && r->low <= r->high && r->high <= UNICAST_MAX;
}

/* Copy a name, refusing one that does not fit rather than cutting it. */
static int copy_name(char out[NETDB_NAME_MAX], const char *name)
{
	size_t len = strlen(name);

	if (len >= NETDB_NAME_MAX)
		return -EINVAL;
	memcpy(out, name, len + 1);
	return 0;
}

void netdb_timestamp_now(char out[NETDB_TIMESTAMP_MAX])
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm) ||
	    strftime(out, NETDB_TIMESTAMP_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strcpy(out, "1970-01-01T00:00:00Z");
}

/* --- queries ------------------------------------------------------------- */

/* Index of meshgate's provisioner entry, or n_provisioners if none. */
static size_t self_provisioner_index(const struct netdb *db)
{
	size_t i = 0;

	if (uuid_is_zero(db->self_uuid))
		return db->n_provisioners;
	while (i < db->n_provisioners && memcmp(db->provisioners[i].uuid, db->self_uuid, 16))
		i++;
	return i;
}

struct netdb_provisioner *netdb_self_provisioner(struct netdb *db)
{
	size_t i = self_provisioner_index(db);

	return i < db->n_provisioners ? &db->provisioners[i] : NULL;
}

struct netdb_node *netdb_self_node(struct netdb *db)
{
	if (uuid_is_zero(db->self_uuid))
		return NULL;
	return netdb_node_by_uuid(db, db->self_uuid);
}

struct netdb_node *netdb_node_by_uuid(struct netdb *db, const uint8_t uuid[16])
{
	for (size_t i = 0; i < db->n_nodes; i++)
		if (memcmp(db->nodes[i].uuid, uuid, 16) == 0)
			return &db->nodes[i];
	return NULL;
}

struct netdb_node *netdb_node_by_address(struct netdb *db, uint16_t addr)
{
	for (size_t i = 0; i < db->n_nodes; i++) {
		const struct netdb_node *n = &db->nodes[i];

		if (addr >= n->unicast && (uint32_t)addr < (uint32_t)n->unicast + n->n_elements)
			return &db->nodes[i];
	}
	return NULL;
}

const struct netdb_net_key *netdb_net_key(const struct netdb *db, uint16_t index)
{
	for (size_t i = 0; i < db->n_net_keys; i++)
		if (db->net_keys[i].index == index)
			return &db->net_keys[i];
	return NULL;
}

const struct netdb_app_key *netdb_app_key(const struct netdb *db, uint16_t index)
{
	for (size_t i = 0; i < db->n_app_keys; i++)
		if (db->app_keys[i].index == index)
			return &db->app_keys[i];
	return NULL;
}

/* --- unicast allocation -------------------------------------------------- */

/* One bit per unicast address (0x0000 included so addresses index it). */
struct unicast_set {
	uint8_t bits[(UNICAST_MAX + 1) / 8];
};

static void set_add_range(struct unicast_set *s, uint32_t low, uint32_t high)
{
	if (high > UNICAST_MAX)
		high = UNICAST_MAX;
	for (uint32_t a = low; a <= high; a++)
		s->bits[a / 8] |= (uint8_t)(1u << (a % 8));
}

static bool set_has(const struct unicast_set *s, uint32_t a)
{
	return s->bits[a / 8] & (1u << (a % 8));
}

/* Whether addresses excluded at excluded_iv may not be handed out yet at
 * iv_index (see the top of the file). */
static bool exclusion_holds(uint32_t excluded_iv, uint32_t iv_index)
{
	return (uint64_t)iv_index < (uint64_t)excluded_iv + EXCLUSION_IV_DISTANCE;
}

static void mark_taken(const struct netdb *db, uint32_t iv_index, struct unicast_set *taken)
{
	for (size_t i = 0; i < db->n_nodes; i++) {
		const struct netdb_node *n = &db->nodes[i];

		if (n->n_elements)
			set_add_range(taken, n->unicast, (uint32_t)n->unicast + n->n_elements - 1);
	}
	for (size_t i = 0; i < db->n_exclusions; i++) {
		const struct netdb_exclusion *e = &db->exclusions[i];

		if (!exclusion_holds(e->iv_index, iv_index))
			continue;
		for (size_t j = 0; j < e->n_addresses; j++)
			set_add_range(taken, e->addresses[j], e->addresses[j]);
	}
}

int netdb_alloc_unicast(const struct netdb *db, uint8_t n, uint32_t iv_index, uint16_t *addr)
{
	const struct netdb_provisioner *self;
	struct unicast_set *ours, *taken;
	uint32_t run = 0;
	int rc = -ENOSPC;

	if (n == 0)
		return -EINVAL;
	if (self_provisioner_index(db) == db->n_provisioners)
		return -ENOENT;
	self = &db->provisioners[self_provisioner_index(db)];
	ours = calloc(1, sizeof(*ours));
	taken = calloc(1, sizeof(*taken));
	if (!ours || !taken) {
		rc = -ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < self->n_unicast; i++)
		set_add_range(ours, self->unicast[i].low, self->unicast[i].high);
	mark_taken(db, iv_index, taken);
	/* Ranges may be listed in any order and may touch: walking the whole
	 * space finds the lowest run, also one spanning two adjacent ranges. */
	for (uint32_t a = 1; a <= UNICAST_MAX; a++) {
		run = set_has(ours, a) && !set_has(taken, a) ? run + 1 : 0;
		if (run == n) {
			*addr = (uint16_t)(a - n + 1);
			rc = 0;
			break;
		}
	}
done:
	free(ours);
	free(taken);
	return rc;
}

/* --- nodes --------------------------------------------------------------- */

static bool addresses_free(struct netdb *db, uint16_t unicast, uint8_t n_elements)
{
	for (uint32_t a = unicast; a < (uint32_t)unicast + n_elements; a++)
		if (netdb_node_by_address(db, (uint16_t)a))
			return false;
	return true;
}

int netdb_add_node(struct netdb *db, const uint8_t uuid[16], uint16_t unicast,
		   uint8_t n_elements, const uint8_t dev_key[16], uint16_t net_idx)
{
	struct netdb_node node = { 0 }, *grown;

	if (n_elements == 0 || !mesh_addr_is_unicast(unicast) ||
	    (uint32_t)unicast + n_elements - 1 > UNICAST_MAX || !netdb_net_key(db, net_idx))
		return -EINVAL;
	if (netdb_node_by_uuid(db, uuid) || !addresses_free(db, unicast, n_elements))
		return -EEXIST;

	node.net_keys = calloc(1, sizeof(*node.net_keys));
	node.elements = calloc(n_elements, sizeof(*node.elements));
	grown = realloc(db->nodes, (db->n_nodes + 1) * sizeof(*db->nodes));
	if (grown)
		db->nodes = grown;
	if (!node.net_keys || !node.elements || !grown) {
		free_node(&node);
		return -ENOMEM;
	}
	memcpy(node.uuid, uuid, 16);
	node.unicast = unicast;
	memcpy(node.dev_key, dev_key, 16);
	node.security_secure = true;
	node.n_net_keys = 1;
	node.net_keys[0].index = net_idx;
	node.relay = node.proxy = node.friend_ = node.low_power = NETDB_FEATURE_UNKNOWN;
	node.n_elements = n_elements;
	for (uint8_t i = 0; i < n_elements; i++)
		node.elements[i].index = i;
	db->nodes[db->n_nodes++] = node;
	return 0;
}

/* The exclusion list for iv_index, appended if there is none yet. */
static struct netdb_exclusion *exclusion_for(struct netdb *db, uint32_t iv_index)
{
	struct netdb_exclusion *grown;

	for (size_t i = 0; i < db->n_exclusions; i++)
		if (db->exclusions[i].iv_index == iv_index)
			return &db->exclusions[i];
	grown = realloc(db->exclusions, (db->n_exclusions + 1) * sizeof(*db->exclusions));
	if (!grown)
		return NULL;
	db->exclusions = grown;
	memset(&grown[db->n_exclusions], 0, sizeof(*grown));
	grown[db->n_exclusions].iv_index = iv_index;
	return &grown[db->n_exclusions++];
}

static int exclude_addresses(struct netdb *db, const struct netdb_node *node, uint32_t iv_index)
{
	struct netdb_exclusion *e = exclusion_for(db, iv_index);
	uint16_t *grown;

	if (!e)
		return -ENOMEM;
	if (node->n_elements == 0)
		return 0;
	grown = realloc(e->addresses, (e->n_addresses + node->n_elements) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	e->addresses = grown;
	for (size_t i = 0; i < node->n_elements; i++) {
		uint16_t a = (uint16_t)(node->unicast + i);
		bool listed = false;

		for (size_t j = 0; j < e->n_addresses && !listed; j++)
			listed = e->addresses[j] == a;
		if (!listed)
			e->addresses[e->n_addresses++] = a;
	}
	return 0;
}

static void drop_node(struct netdb *db, struct netdb_node *node)
{
	size_t i = (size_t)(node - db->nodes);

	free_node(node);
	memmove(&db->nodes[i], &db->nodes[i + 1], (db->n_nodes - i - 1) * sizeof(*db->nodes));
	db->n_nodes--;
}

int netdb_remove_node(struct netdb *db, const uint8_t uuid[16], uint32_t iv_index)
{
	struct netdb_node *node = netdb_node_by_uuid(db, uuid);
	int rc;

	if (!node)
		return -ENOENT;
	/* Exclude first: if that fails the node is still there, and no
	 * address can be handed out again too early. */
	rc = exclude_addresses(db, node, iv_index);
	if (rc == 0)
		drop_node(db, node);
	return rc;
}

/* The node never made it to disk, so no other node can have heard from
 * it under its addresses: nothing to exclude. */
int netdb_forget_node(struct netdb *db, const uint8_t uuid[16])
{
	struct netdb_node *node = netdb_node_by_uuid(db, uuid);

	if (!node)
		return -ENOENT;
	drop_node(db, node);
	return 0;
}

/* The key meshgate's node starts with: the primary one, else the lowest. */
static uint16_t first_net_key_index(const struct netdb *db)
{
	uint16_t best = db->net_keys[0].index;

	for (size_t i = 1; i < db->n_net_keys; i++)
		if (db->net_keys[i].index < best)
			best = db->net_keys[i].index;
	return best;
}

/* meshgate, the network's configuration client, holds every key. */
static int give_all_keys(struct netdb *db, struct netdb_node *node, uint16_t first_net)
{
	struct netdb_key_ref *net = calloc(db->n_net_keys, sizeof(*net));
	struct netdb_key_ref *app = db->n_app_keys ? calloc(db->n_app_keys, sizeof(*app)) : NULL;
	size_t n = 0;

	if (!net || (db->n_app_keys && !app)) {
		free(net);
		free(app);
		return -ENOMEM;
	}
	net[n++].index = first_net;
	for (size_t i = 0; i < db->n_net_keys; i++)
		if (db->net_keys[i].index != first_net)
			net[n++].index = db->net_keys[i].index;
	for (size_t i = 0; i < db->n_app_keys; i++)
		app[i].index = db->app_keys[i].index;
	free(node->net_keys);
	node->net_keys = net;
	node->n_net_keys = n;
	node->app_keys = app;
	node->n_app_keys = db->n_app_keys;
	return 0;
}

int netdb_add_self_node(struct netdb *db, uint32_t iv_index)
{
	const struct netdb_provisioner *self = netdb_self_provisioner(db);
	struct netdb_node *node;
	uint8_t dev_key[16];
	uint16_t addr, first_net;
	int rc;

	if (!self)
		return -ENOENT;
	if (netdb_self_node(db))
		return -EEXIST;
	if (db->n_net_keys == 0)
		return -EINVAL;
	rc = netdb_alloc_unicast(db, 1, iv_index, &addr);
	if (rc < 0)
		return rc;
	rc = random_octets(dev_key, sizeof(dev_key));
	first_net = first_net_key_index(db);
	if (rc == 0)
		rc = netdb_add_node(db, db->self_uuid, addr, 1, dev_key, first_net);
	OPENSSL_cleanse(dev_key, sizeof(dev_key));
	if (rc < 0)
		return rc;
	node = netdb_self_node(db);
	strcpy(node->name, SELF_NAME);
	/* Its own configuration is whatever meshgate makes it. */
	node->config_complete = true;
	rc = give_all_keys(db, node, first_net);
	if (rc < 0)
		netdb_forget_node(db, db->self_uuid);
	return rc;
}

/* --- a new network ------------------------------------------------------- */

static int create_keys(struct netdb *db)
{
	int rc;

	db->net_keys = calloc(1, sizeof(*db->net_keys));
	db->app_keys = calloc(1, sizeof(*db->app_keys));
	if (!db->net_keys || !db->app_keys)
		return -ENOMEM;
	db->n_net_keys = 1;
	db->n_app_keys = 1;
	strcpy(db->net_keys[0].name, "Primary Network Key");
	db->net_keys[0].min_security_secure = true;
	memcpy(db->net_keys[0].timestamp, db->timestamp, sizeof(db->timestamp));
	strcpy(db->app_keys[0].name, "Application Key 0");
	rc = random_octets(db->net_keys[0].key, 16);
	if (rc == 0)
		rc = random_octets(db->app_keys[0].key, 16);
	return rc;
}

static int create_provisioner(struct netdb *db, const struct netdb_range *unicast)
{
	struct netdb_provisioner *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	db->provisioners = p;
	db->n_provisioners = 1;
	strcpy(p->name, SELF_NAME);
	memcpy(p->uuid, db->self_uuid, 16);
	p->n_unicast = p->n_group = p->n_scene = 1;
	p->unicast[0] = *unicast;
	p->group[0] = (struct netdb_range){ GROUP_RANGE_LOW, GROUP_RANGE_HIGH };
	p->scene[0] = (struct netdb_range){ SCENE_RANGE_LOW, SCENE_RANGE_HIGH };
	return 0;
}

int netdb_create(struct netdb **out, const char *mesh_name, const struct netdb_range *unicast)
{
	static const struct netdb_range whole = { 0x0001, UNICAST_MAX };
	struct netdb *db;
	int rc;

	*out = NULL;
	if (!unicast)
		unicast = &whole;
	if (!unicast_range_valid(unicast))
		return -EINVAL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	rc = copy_name(db->mesh_name, mesh_name ? mesh_name : DEFAULT_MESH_NAME);
	if (rc == 0)
		rc = random_uuid(db->mesh_uuid);
	if (rc == 0)
		rc = random_uuid(db->self_uuid);
	netdb_timestamp_now(db->timestamp);
	if (rc == 0)
		rc = create_keys(db);
	if (rc == 0)
		rc = create_provisioner(db, unicast);
	if (rc == 0)
		rc = netdb_add_self_node(db, 0);
	if (rc < 0) {
		netdb_free(db);
		return rc;
	}
	*out = db;
	return 0;
}
