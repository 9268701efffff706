/*
 * The network database (gateway/netdb.c, gateway/cdb.c): a network survives
 * JSON and the disk with every field intact; files are private and the
 * previous version is kept; an nRF Mesh export is taken over with
 * meshgate's own provisioner and node added; every kind of damage is
 * refused with the file and the JSON path named (never a key), and a
 * damaged mesh.json is left as it was; unicast addresses are handed out
 * around nodes and recently removed ones.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/netdb.h"
#include "mesh/crypto.h"

#define NRF_EXPORT MESHGATE_SOURCE_DIR "/tests/data/cdb/nrf-mesh-export.json"

/* --- helpers ------------------------------------------------------------- */

static char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	*len = (size_t)size;
	return buf;
}

static void write_whole(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static unsigned int mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Remove a directory holding only files (and one level of directories). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) < 0)
			remove_tree(path);
	}
	closedir(d);
	rmdir(dir);
}

static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	assert_non_null(p);
	return p;
}

static void fill(uint8_t *out, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(seed + 17 * i);
}

static struct netdb_address label_address(uint8_t seed)
{
	struct netdb_address a = { .is_label = true };

	fill(a.label, 16, seed);
	assert_int_equal(mesh_virtual_address(a.label, &a.address), 0);
	return a;
}

static struct netdb_address group_address(uint16_t addr)
{
	return (struct netdb_address){ .address = addr };
}

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

/* --- comparing networks, every field ------------------------------------- */

static void assert_address_equal(const struct netdb_address *a, const struct netdb_address *b)
{
	assert_int_equal(a->address, b->address);
	assert_int_equal(a->is_label, b->is_label);
	if (a->is_label)
		assert_memory_equal(a->label, b->label, 16);
}

static void assert_keys_equal(const struct netdb *a, const struct netdb *b)
{
	assert_int_equal(a->n_net_keys, b->n_net_keys);
	for (size_t i = 0; i < a->n_net_keys; i++) {
		const struct netdb_net_key *x = &a->net_keys[i], *y = &b->net_keys[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->index, y->index);
		assert_memory_equal(x->key, y->key, 16);
		assert_int_equal(x->has_old_key, y->has_old_key);
		if (x->has_old_key)
			assert_memory_equal(x->old_key, y->old_key, 16);
		assert_int_equal(x->phase, y->phase);
		assert_int_equal(x->min_security_secure, y->min_security_secure);
		assert_string_equal(x->timestamp, y->timestamp);
	}
	assert_int_equal(a->n_app_keys, b->n_app_keys);
	for (size_t i = 0; i < a->n_app_keys; i++) {
		const struct netdb_app_key *x = &a->app_keys[i], *y = &b->app_keys[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->index, y->index);
		assert_int_equal(x->bound_net_key, y->bound_net_key);
		assert_memory_equal(x->key, y->key, 16);
		assert_int_equal(x->has_old_key, y->has_old_key);
		if (x->has_old_key)
			assert_memory_equal(x->old_key, y->old_key, 16);
	}
}

static void assert_ranges_equal(const struct netdb_range *a, size_t na,
				const struct netdb_range *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].low, b[i].low);
		assert_int_equal(a[i].high, b[i].high);
	}
}

static void assert_provisioners_equal(const struct netdb *a, const struct netdb *b)
{
	assert_int_equal(a->n_provisioners, b->n_provisioners);
	for (size_t i = 0; i < a->n_provisioners; i++) {
		const struct netdb_provisioner *x = &a->provisioners[i], *y = &b->provisioners[i];

		assert_string_equal(x->name, y->name);
		assert_memory_equal(x->uuid, y->uuid, 16);
		assert_ranges_equal(x->unicast, x->n_unicast, y->unicast, y->n_unicast);
		assert_ranges_equal(x->group, x->n_group, y->group, y->n_group);
		assert_ranges_equal(x->scene, x->n_scene, y->scene, y->n_scene);
	}
}

static void assert_key_refs_equal(const struct netdb_key_ref *a, size_t na,
				  const struct netdb_key_ref *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].index, b[i].index);
		assert_int_equal(a[i].updated, b[i].updated);
	}
}

static void assert_models_equal(const struct netdb_model *x, const struct netdb_model *y)
{
	assert_int_equal(x->id, y->id);
	assert_int_equal(x->vendor, y->vendor);
	assert_int_equal(x->n_bind, y->n_bind);
	for (size_t i = 0; i < x->n_bind; i++)
		assert_int_equal(x->bind[i], y->bind[i]);
	assert_int_equal(x->n_subscribe, y->n_subscribe);
	for (size_t i = 0; i < x->n_subscribe; i++)
		assert_address_equal(&x->subscribe[i], &y->subscribe[i]);
	assert_int_equal(x->has_publish, y->has_publish);
	if (!x->has_publish)
		return;
	assert_address_equal(&x->publish.address, &y->publish.address);
	assert_int_equal(x->publish.app_idx, y->publish.app_idx);
	assert_int_equal(x->publish.ttl, y->publish.ttl);
	assert_int_equal(x->publish.period_steps, y->publish.period_steps);
	assert_int_equal(x->publish.period_resolution_ms, y->publish.period_resolution_ms);
	assert_int_equal(x->publish.retransmit_count, y->publish.retransmit_count);
	assert_int_equal(x->publish.retransmit_interval_ms, y->publish.retransmit_interval_ms);
	assert_int_equal(x->publish.credentials, y->publish.credentials);
}

static void assert_elements_equal(const struct netdb_node *a, const struct netdb_node *b)
{
	assert_int_equal(a->n_elements, b->n_elements);
	for (size_t i = 0; i < a->n_elements; i++) {
		const struct netdb_element *x = &a->elements[i], *y = &b->elements[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->index, y->index);
		assert_int_equal(x->location, y->location);
		assert_int_equal(x->n_models, y->n_models);
		for (size_t m = 0; m < x->n_models; m++)
			assert_models_equal(&x->models[m], &y->models[m]);
	}
}

static void assert_transmit_equal(const struct netdb_transmit *a, const struct netdb_transmit *b)
{
	assert_int_equal(a->present, b->present);
	if (a->present) {
		assert_int_equal(a->count, b->count);
		assert_int_equal(a->interval_ms, b->interval_ms);
	}
}

static void assert_heartbeats_equal(const struct netdb_node *a, const struct netdb_node *b)
{
	const struct netdb_heartbeat_pub *x = &a->heartbeat_pub, *y = &b->heartbeat_pub;

	assert_int_equal(x->present, y->present);
	if (x->present) {
		assert_int_equal(x->address, y->address);
		assert_int_equal(x->period_s, y->period_s);
		assert_int_equal(x->ttl, y->ttl);
		assert_int_equal(x->net_idx, y->net_idx);
		assert_int_equal(x->features, y->features);
	}
	assert_int_equal(a->n_heartbeat_sub, b->n_heartbeat_sub);
	for (size_t i = 0; i < a->n_heartbeat_sub; i++) {
		assert_int_equal(a->heartbeat_sub[i].source, b->heartbeat_sub[i].source);
		assert_int_equal(a->heartbeat_sub[i].destination, b->heartbeat_sub[i].destination);
	}
}

static void assert_node_equal(const struct netdb_node *a, const struct netdb_node *b)
{
	assert_string_equal(a->name, b->name);
	assert_memory_equal(a->uuid, b->uuid, 16);
	assert_int_equal(a->unicast, b->unicast);
	assert_memory_equal(a->dev_key, b->dev_key, 16);
	assert_int_equal(a->security_secure, b->security_secure);
	assert_key_refs_equal(a->net_keys, a->n_net_keys, b->net_keys, b->n_net_keys);
	assert_key_refs_equal(a->app_keys, a->n_app_keys, b->app_keys, b->n_app_keys);
	assert_int_equal(a->config_complete, b->config_complete);
	assert_int_equal(a->excluded, b->excluded);
	assert_int_equal(a->has_ids, b->has_ids);
	if (a->has_ids) {
		assert_int_equal(a->cid, b->cid);
		assert_int_equal(a->pid, b->pid);
		assert_int_equal(a->vid, b->vid);
		assert_int_equal(a->crpl, b->crpl);
	}
	assert_int_equal(a->relay, b->relay);
	assert_int_equal(a->proxy, b->proxy);
	assert_int_equal(a->friend_, b->friend_);
	assert_int_equal(a->low_power, b->low_power);
	assert_int_equal(a->has_default_ttl, b->has_default_ttl);
	if (a->has_default_ttl)
		assert_int_equal(a->default_ttl, b->default_ttl);
	assert_int_equal(a->has_secure_beacon, b->has_secure_beacon);
	if (a->has_secure_beacon)
		assert_int_equal(a->secure_network_beacon, b->secure_network_beacon);
	assert_transmit_equal(&a->network_transmit, &b->network_transmit);
	assert_transmit_equal(&a->relay_retransmit, &b->relay_retransmit);
	assert_heartbeats_equal(a, b);
	assert_elements_equal(a, b);
}

static void assert_lists_equal(const struct netdb *a, const struct netdb *b)
{
	assert_int_equal(a->n_groups, b->n_groups);
	for (size_t i = 0; i < a->n_groups; i++) {
		assert_string_equal(a->groups[i].name, b->groups[i].name);
		assert_address_equal(&a->groups[i].address, &b->groups[i].address);
		assert_int_equal(a->groups[i].parent, b->groups[i].parent);
		assert_int_equal(a->groups[i].parent_is_label, b->groups[i].parent_is_label);
		if (a->groups[i].parent_is_label)
			assert_memory_equal(a->groups[i].parent_label, b->groups[i].parent_label,
					    16);
	}
	assert_int_equal(a->n_scenes, b->n_scenes);
	for (size_t i = 0; i < a->n_scenes; i++) {
		assert_string_equal(a->scenes[i].name, b->scenes[i].name);
		assert_int_equal(a->scenes[i].number, b->scenes[i].number);
		assert_int_equal(a->scenes[i].n_addresses, b->scenes[i].n_addresses);
		assert_memory_equal(a->scenes[i].addresses, b->scenes[i].addresses,
				    a->scenes[i].n_addresses * sizeof(uint16_t));
	}
	assert_int_equal(a->n_exclusions, b->n_exclusions);
	for (size_t i = 0; i < a->n_exclusions; i++) {
		assert_int_equal(a->exclusions[i].iv_index, b->exclusions[i].iv_index);
		assert_int_equal(a->exclusions[i].n_addresses, b->exclusions[i].n_addresses);
		assert_memory_equal(a->exclusions[i].addresses, b->exclusions[i].addresses,
				    a->exclusions[i].n_addresses * sizeof(uint16_t));
	}
}

static void assert_netdb_equal(const struct netdb *a, const struct netdb *b)
{
	assert_memory_equal(a->mesh_uuid, b->mesh_uuid, 16);
	assert_string_equal(a->mesh_name, b->mesh_name);
	assert_string_equal(a->timestamp, b->timestamp);
	assert_int_equal(a->partial, b->partial);
	assert_memory_equal(a->self_uuid, b->self_uuid, 16);
	assert_keys_equal(a, b);
	assert_provisioners_equal(a, b);
	assert_int_equal(a->n_nodes, b->n_nodes);
	for (size_t i = 0; i < a->n_nodes; i++)
		assert_node_equal(&a->nodes[i], &b->nodes[i]);
	assert_lists_equal(a, b);
}

/* JSON text and back: equal in every field, and the same text again. */
static struct netdb *through_json(const struct netdb *db)
{
	char err[512], *text = netdb_to_json(db), *again;
	struct netdb *back;

	assert_non_null(text);
	if (netdb_from_json(&back, text, strlen(text), "round-trip.json", err, sizeof(err)))
		fail_msg("%s", err);
	assert_netdb_equal(db, back);
	again = netdb_to_json(back);
	assert_string_equal(text, again);
	free(text);
	free(again);
	return back;
}

/* --- a network with one of everything ------------------------------------ */

static void add_net_key(struct netdb *db, uint16_t index)
{
	struct netdb_net_key *k;

	db->net_keys = realloc(db->net_keys, (db->n_net_keys + 1) * sizeof(*k));
	assert_non_null(db->net_keys);
	k = memset(&db->net_keys[db->n_net_keys++], 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "Subnet %u \xe2\x80\x94 \"quoted\"", index);
	k->index = index;
	fill(k->key, 16, 0x40);
	k->has_old_key = true;
	fill(k->old_key, 16, 0x50);
	k->phase = 2;
	k->min_security_secure = false;
	strcpy(k->timestamp, "2026-11-21T10:00:00.5+02:00");
}

static void add_app_key(struct netdb *db, uint16_t index, uint16_t bound)
{
	struct netdb_app_key *k;

	db->app_keys = realloc(db->app_keys, (db->n_app_keys + 1) * sizeof(*k));
	assert_non_null(db->app_keys);
	k = memset(&db->app_keys[db->n_app_keys++], 0, sizeof(*k));
	strcpy(k->name, "Lights");
	k->index = index;
	k->bound_net_key = bound;
	fill(k->key, 16, 0x60);
	k->has_old_key = true;
	fill(k->old_key, 16, 0x70);
}

static void add_other_provisioner(struct netdb *db)
{
	struct netdb_provisioner *p;

	db->provisioners = realloc(db->provisioners, (db->n_provisioners + 1) * sizeof(*p));
	assert_non_null(db->provisioners);
	p = memset(&db->provisioners[db->n_provisioners++], 0, sizeof(*p));
	strcpy(p->name, "phone");
	fill(p->uuid, 16, 0x90);
	p->n_unicast = 2;
	p->unicast[0] = (struct netdb_range){ 0x7000, 0x70ff };
	p->unicast[1] = (struct netdb_range){ 0x7200, 0x72ff };
	p->n_group = 1;
	p->group[0] = (struct netdb_range){ 0xd000, 0xd0ff };
	p->n_scene = 0;
}

static struct netdb_node *add_node(struct netdb *db, uint8_t seed, uint16_t unicast,
				   uint8_t n_elements)
{
	uint8_t uuid[16], key[16];

	fill(uuid, 16, seed);
	fill(key, 16, (uint8_t)(seed + 1));
	assert_int_equal(netdb_add_node(db, uuid, unicast, n_elements, key, 0), 0);
	return netdb_node_by_uuid(db, uuid);
}

static void give_models(struct netdb_node *n)
{
	struct netdb_model *m;

	n->elements[0].n_models = 3;
	n->elements[0].models = m = zalloc(3, sizeof(*m));
	strcpy(n->elements[0].name, "Primary");
	n->elements[0].location = 0x0100;
	m[0].id = 0x1000;
	m[0].n_bind = 2;
	m[0].bind = zalloc(2, sizeof(uint16_t));
	m[0].bind[0] = 0;
	m[0].bind[1] = 1;
	m[0].n_subscribe = 2;
	m[0].subscribe = zalloc(2, sizeof(*m[0].subscribe));
	m[0].subscribe[0] = group_address(0xc001);
	m[0].subscribe[1] = label_address(0x21);
	m[0].has_publish = true;
	m[0].publish = (struct netdb_publish){ .address = label_address(0x33), .app_idx = 1,
					       .ttl = 255, .period_steps = 63,
					       .period_resolution_ms = 600000,
					       .retransmit_count = 7,
					       .retransmit_interval_ms = 1600, .credentials = 1 };
	m[1].id = 0x0059000a;
	m[1].vendor = true;
	m[1].n_bind = 1;
	m[1].bind = zalloc(1, sizeof(uint16_t));
	m[1].bind[0] = 1;
	m[1].has_publish = true;
	m[1].publish = (struct netdb_publish){ .address = group_address(0x0005), .ttl = 0,
					       .period_resolution_ms = 100,
					       .retransmit_interval_ms = 50 };
	m[2].id = 0x0002;
	n->elements[2].n_models = 1;
	n->elements[2].models = m = zalloc(1, sizeof(*m));
	m[0].id = 0x1300;
	m[0].has_publish = true;
	m[0].publish = (struct netdb_publish){ .address = group_address(0x0000), .ttl = 127,
					       .period_steps = 1, .period_resolution_ms = 10000,
					       .retransmit_count = 1,
					       .retransmit_interval_ms = 100 };
}

static void configure_lamp(struct netdb_node *n)
{
	strcpy(n->name, "Lamp \xc3\xa9");
	n->config_complete = true;
	n->net_keys = realloc(n->net_keys, 2 * sizeof(*n->net_keys));
	n->net_keys[1] = (struct netdb_key_ref){ .index = 1, .updated = true };
	n->n_net_keys = 2;
	n->app_keys = zalloc(2, sizeof(*n->app_keys));
	n->app_keys[0] = (struct netdb_key_ref){ .index = 0 };
	n->app_keys[1] = (struct netdb_key_ref){ .index = 1, .updated = true };
	n->n_app_keys = 2;
	n->has_ids = true;
	n->cid = 0x0059;
	n->pid = 0xabcd;
	n->vid = 0x0102;
	n->crpl = 0x0100;
	n->relay = NETDB_FEATURE_ON;
	n->proxy = NETDB_FEATURE_OFF;
	n->friend_ = NETDB_FEATURE_UNSUPPORTED;
	n->low_power = NETDB_FEATURE_UNSUPPORTED;
	n->has_default_ttl = true;
	n->default_ttl = 0;
	n->has_secure_beacon = true;
	n->secure_network_beacon = false;
	n->network_transmit = (struct netdb_transmit){ .present = true, 8, 320 };
	n->relay_retransmit = (struct netdb_transmit){ .present = true, 1, 10 };
	n->heartbeat_pub = (struct netdb_heartbeat_pub){ .present = true, .address = 0xc002,
							 .period_s = 65536, .ttl = 127,
							 .net_idx = 1, .features = 0xf };
	n->n_heartbeat_sub = 1;
	n->heartbeat_sub = zalloc(1, sizeof(*n->heartbeat_sub));
	n->heartbeat_sub[0] = (struct netdb_heartbeat_sub){ 0x0200, 0x0100 };
	give_models(n);
}

static void configure_switch(struct netdb_node *n)
{
	n->security_secure = false;
	n->excluded = true;
	n->relay = NETDB_FEATURE_ON;
	n->heartbeat_pub = (struct netdb_heartbeat_pub){ .present = true, .address = 0x0000 };
	n->n_heartbeat_sub = 2;
	n->heartbeat_sub = zalloc(2, sizeof(*n->heartbeat_sub));
	n->heartbeat_sub[0] = (struct netdb_heartbeat_sub){ 0x0000, 0x0000 };
	n->heartbeat_sub[1] = (struct netdb_heartbeat_sub){ 0x0100, 0xc003 };
}

static void add_groups_and_scenes(struct netdb *db)
{
	db->n_groups = 3;
	db->groups = zalloc(3, sizeof(*db->groups));
	strcpy(db->groups[0].name, "Downstairs");
	db->groups[0].address = group_address(0xc001);
	strcpy(db->groups[1].name, "Mood");
	db->groups[1].address = label_address(0x21);
	db->groups[1].parent = 0xc001;
	db->groups[2].address = label_address(0x33);
	db->groups[2].parent_is_label = true;
	memcpy(db->groups[2].parent_label, db->groups[1].address.label, 16);
	db->groups[2].parent = db->groups[1].address.address;

	db->n_scenes = 2;
	db->scenes = zalloc(2, sizeof(*db->scenes));
	strcpy(db->scenes[0].name, "Night");
	db->scenes[0].number = 0x0001;
	db->scenes[0].n_addresses = 2;
	db->scenes[0].addresses = zalloc(2, sizeof(uint16_t));
	db->scenes[0].addresses[0] = 0x0100;
	db->scenes[0].addresses[1] = 0x0200;
	db->scenes[1].number = 0xffff;
}

static struct netdb *rich_network(void)
{
	struct netdb *db;
	uint8_t gone[16];

	assert_int_equal(netdb_create(&db, "Round \"trip\"", NULL), 0);
	db->partial = true;
	add_net_key(db, 1);
	add_app_key(db, 1, 1);
	add_other_provisioner(db);
	configure_lamp(add_node(db, 0x11, 0x0100, 3));
	configure_switch(add_node(db, 0x22, 0x0200, 1));
	add_node(db, 0x33, 0x0300, 2);
	fill(gone, 16, 0x33);
	assert_int_equal(netdb_remove_node(db, gone, 7), 0);
	add_node(db, 0x44, 0x0400, 1);
	fill(gone, 16, 0x44);
	assert_int_equal(netdb_remove_node(db, gone, 9), 0);
	add_groups_and_scenes(db);
	return db;
}

/* --- tests: in memory ---------------------------------------------------- */

static void test_create_defaults(void **state)
{
	struct netdb *db;
	const struct netdb_provisioner *p;
	const struct netdb_node *self;
	static const uint8_t zero[16];

	(void)state;
	assert_int_equal(netdb_create(&db, "home", NULL), 0);
	assert_string_equal(db->mesh_name, "home");
	assert_int_equal(db->n_net_keys, 1);
	assert_int_equal(db->net_keys[0].index, 0);
	assert_memory_not_equal(db->net_keys[0].key, zero, 16);
	assert_int_equal(db->n_app_keys, 1);
	assert_int_equal(db->app_keys[0].bound_net_key, 0);
	assert_memory_not_equal(db->app_keys[0].key, db->net_keys[0].key, 16);
	assert_int_equal(db->mesh_uuid[6] >> 4, 4);          /* a version 4 UUID */
	p = netdb_self_provisioner(db);
	assert_non_null(p);
	assert_string_equal(p->name, "meshgate");
	assert_int_equal(p->n_unicast, 1);
	assert_int_equal(p->unicast[0].low, 0x0001);
	assert_int_equal(p->unicast[0].high, 0x7fff);
	assert_int_equal(p->group[0].low, 0xc000);
	assert_int_equal(p->group[0].high, 0xfeff);
	assert_int_equal(p->scene[0].low, 0x0001);
	assert_int_equal(p->scene[0].high, 0xffff);
	self = netdb_self_node(db);
	assert_non_null(self);
	assert_int_equal(self->unicast, 0x0001);
	assert_int_equal(self->n_elements, 1);
	assert_int_equal(self->n_net_keys, 1);
	assert_int_equal(self->n_app_keys, 1);
	assert_true(self->security_secure);
	assert_ptr_equal(netdb_node_by_address(db, 0x0001), self);
	assert_null(netdb_node_by_address(db, 0x0002));
	assert_non_null(netdb_net_key(db, 0));
	assert_null(netdb_app_key(db, 1));
	netdb_free(db);

	{
		const struct netdb_range small = { 0x0100, 0x01ff }, bad = { 0x0100, 0x8000 };

		assert_int_equal(netdb_create(&db, NULL, &small), 0);
		assert_int_equal(netdb_self_node(db)->unicast, 0x0100);
		assert_string_equal(db->mesh_name, "meshgate");
		netdb_free(db);
		assert_int_equal(netdb_create(&db, NULL, &bad), -EINVAL);
		assert_null(db);
	}
}

static void test_round_trip_everything(void **state)
{
	struct netdb *db = rich_network(), *back;
	char *text;

	(void)state;
	back = through_json(db);
	/* The spellings the schema asks for. */
	text = netdb_to_json(db);
	assert_contains(text, "\"$schema\": \"http://json-schema.org/draft-04/schema#\"");
	assert_contains(text, "\"version\": \"1.0.1\"");
	assert_contains(text, "\"unicastAddress\": \"0100\"");
	assert_contains(text, "\"modelId\": \"0059000A\"");
	assert_contains(text, "\"lowAddress\": \"7000\"");
	assert_contains(text, "\"heartbeatSub\": {");    /* one: an object */
	assert_contains(text, "\"heartbeatSub\": [");    /* two: an array */
	{
		char uuid[37];
		const uint8_t *u = db->mesh_uuid;

		snprintf(uuid, sizeof(uuid), "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
			 "%02X%02X%02X%02X%02X%02X", u[0], u[1], u[2], u[3], u[4], u[5], u[6],
			 u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
		assert_contains(text, uuid);
	}
	free(text);
	netdb_free(back);
	netdb_free(db);
}

static void test_add_and_remove_nodes(void **state)
{
	struct netdb *db;
	uint8_t uuid[16], key[16];
	struct netdb_node *n;

	(void)state;
	assert_int_equal(netdb_create(&db, "n", NULL), 0);
	fill(key, 16, 1);
	fill(uuid, 16, 0xa0);
	assert_int_equal(netdb_add_node(db, uuid, 0x0010, 4, key, 0), 0);
	n = netdb_node_by_uuid(db, uuid);
	assert_non_null(n);
	assert_int_equal(n->n_elements, 4);
	for (uint8_t i = 0; i < 4; i++) {
		assert_int_equal(n->elements[i].index, i);
		assert_int_equal(n->elements[i].location, 0);
		assert_int_equal(n->elements[i].n_models, 0);
	}
	assert_int_equal(n->n_net_keys, 1);
	assert_int_equal(n->net_keys[0].index, 0);
	assert_int_equal(n->n_app_keys, 0);
	assert_true(n->security_secure);
	assert_false(n->config_complete);
	assert_int_equal(n->relay, NETDB_FEATURE_UNKNOWN);
	assert_int_equal(n->low_power, NETDB_FEATURE_UNKNOWN);
	assert_memory_equal(n->dev_key, key, 16);
	assert_ptr_equal(netdb_node_by_address(db, 0x0013), n);
	assert_null(netdb_node_by_address(db, 0x0014));

	/* Taken: the UUID, any address of its elements. */
	assert_int_equal(netdb_add_node(db, uuid, 0x0100, 1, key, 0), -EEXIST);
	uuid[0] ^= 1;
	assert_int_equal(netdb_add_node(db, uuid, 0x000e, 3, key, 0), -EEXIST);
	assert_int_equal(netdb_add_node(db, uuid, 0x0013, 1, key, 0), -EEXIST);
	/* Not possible at all. */
	assert_int_equal(netdb_add_node(db, uuid, 0x7fff, 2, key, 0), -EINVAL);
	assert_int_equal(netdb_add_node(db, uuid, 0xc000, 1, key, 0), -EINVAL);
	assert_int_equal(netdb_add_node(db, uuid, 0x0100, 0, key, 0), -EINVAL);
	assert_int_equal(netdb_add_node(db, uuid, 0x0100, 1, key, 9), -EINVAL);

	uuid[0] ^= 1;
	assert_int_equal(netdb_remove_node(db, uuid, 0x1234), 0);
	assert_null(netdb_node_by_uuid(db, uuid));
	assert_int_equal(db->n_exclusions, 1);
	assert_int_equal(db->exclusions[0].iv_index, 0x1234);
	assert_int_equal(db->exclusions[0].n_addresses, 4);
	assert_int_equal(db->exclusions[0].addresses[0], 0x0010);
	assert_int_equal(db->exclusions[0].addresses[3], 0x0013);
	assert_int_equal(netdb_remove_node(db, uuid, 0x1234), -ENOENT);
	assert_non_null(netdb_self_node(db));

	/* Forgetting (an add undone) leaves no exclusion behind. */
	assert_int_equal(netdb_add_node(db, uuid, 0x0020, 2, key, 0), 0);
	assert_int_equal(netdb_forget_node(db, uuid), 0);
	assert_null(netdb_node_by_uuid(db, uuid));
	assert_null(netdb_node_by_address(db, 0x0020));
	assert_int_equal(db->n_exclusions, 1);
	assert_int_equal(db->exclusions[0].n_addresses, 4);
	assert_int_equal(netdb_forget_node(db, uuid), -ENOENT);
	netdb_free(db);
}

static void test_alloc_unicast(void **state)
{
	const struct netdb_range range = { 0x0001, 0x0010 };
	struct netdb *db;
	uint16_t addr;
	uint8_t gone[16];

	(void)state;
	assert_int_equal(netdb_create(&db, "alloc", &range), 0);   /* self at 0001 */
	add_node(db, 0x51, 0x0002, 3);                              /* 0002-0004 */
	assert_int_equal(netdb_alloc_unicast(db, 1, 0, &addr), 0);
	assert_int_equal(addr, 0x0005);
	add_node(db, 0x52, 0x0006, 1);
	/* Multi-element: the first run long enough, skipping 0005 alone. */
	assert_int_equal(netdb_alloc_unicast(db, 2, 0, &addr), 0);
	assert_int_equal(addr, 0x0007);
	assert_int_equal(netdb_alloc_unicast(db, 10, 0, &addr), 0);
	assert_int_equal(addr, 0x0007);                             /* 0007..0010 */
	assert_int_equal(netdb_alloc_unicast(db, 11, 0, &addr), -ENOSPC);
	assert_int_equal(netdb_alloc_unicast(db, 0, 0, &addr), -EINVAL);

	/* A removed node's addresses wait until the IV index is 2 further. */
	fill(gone, 16, 0x51);
	assert_int_equal(netdb_remove_node(db, gone, 5), 0);
	assert_int_equal(netdb_alloc_unicast(db, 1, 5, &addr), 0);
	assert_int_equal(addr, 0x0005);
	assert_int_equal(netdb_alloc_unicast(db, 1, 6, &addr), 0);
	assert_int_equal(addr, 0x0005);
	assert_int_equal(netdb_alloc_unicast(db, 1, 4, &addr), 0);  /* from "the future" */
	assert_int_equal(addr, 0x0005);
	assert_int_equal(netdb_alloc_unicast(db, 1, 7, &addr), 0);
	assert_int_equal(addr, 0x0002);
	assert_int_equal(netdb_alloc_unicast(db, 4, 7, &addr), 0);
	assert_int_equal(addr, 0x0002);                             /* 0002..0005 */
	/* No overflow at the top of the IV index space. */
	db->exclusions[0].iv_index = 0xffffffff;
	assert_int_equal(netdb_alloc_unicast(db, 1, 0xffffffff, &addr), 0);
	assert_int_equal(addr, 0x0005);

	/* Full. */
	for (uint8_t i = 0; i < 11; i++)
		add_node(db, (uint8_t)(0x60 + i), (uint16_t)(i < 1 ? 0x0005 : 0x0006 + i), 1);
	assert_int_equal(netdb_alloc_unicast(db, 1, 0xffffffff, &addr), -ENOSPC);
	assert_int_equal(netdb_alloc_unicast(db, 1, 0, &addr), -ENOSPC);

	/* Ranges in any order, touching: the lowest run, across the seam. */
	{
		struct netdb_provisioner *p = netdb_self_provisioner(db);

		p->n_unicast = 2;
		p->unicast[0] = (struct netdb_range){ 0x0030, 0x003f };
		p->unicast[1] = (struct netdb_range){ 0x0020, 0x002f };
		add_node(db, 0x7a, 0x0020, 0x0e);                  /* 0020-002D */
		assert_int_equal(netdb_alloc_unicast(db, 4, 0, &addr), 0);
		assert_int_equal(addr, 0x002e);
	}
	memset(db->self_uuid, 0, 16);
	assert_int_equal(netdb_alloc_unicast(db, 1, 0, &addr), -ENOENT);
	netdb_free(db);
}

static void test_timestamp_now(void **state)
{
	char ts[NETDB_TIMESTAMP_MAX];

	(void)state;
	netdb_timestamp_now(ts);
	assert_int_equal(strlen(ts), 20);
	assert_int_equal(ts[4], '-');
	assert_int_equal(ts[10], 'T');
	assert_int_equal(ts[19], 'Z');
}

/* --- tests: files -------------------------------------------------------- */

struct tmp {
	char root[64];
	char dir[96];
	char file[128];
	char bak[128];
};

static void make_tmp(struct tmp *t)
{
	strcpy(t->root, "/tmp/test_netdb.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->dir, sizeof(t->dir), "%s/data", t->root);
	snprintf(t->file, sizeof(t->file), "%s/mesh.json", t->dir);
	snprintf(t->bak, sizeof(t->bak), "%s/mesh.json.bak", t->dir);
}

static void test_open_creates_saves_and_reopens(void **state)
{
	struct netdb *db, *again, *old;
	char err[512];
	struct tmp t;

	(void)state;
	make_tmp(&t);
	if (netdb_open(&db, t.dir, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(db->dir, t.dir);
	assert_int_equal(mode_of(t.dir), 0700);
	assert_int_equal(mode_of(t.file), 0600);
	assert_false(exists(t.bak));
	assert_non_null(netdb_self_provisioner(db));
	assert_non_null(netdb_self_node(db));

	/* A change, saved: the first version becomes the backup. */
	add_node(db, 0x31, 0x0040, 2);
	if (netdb_save(db, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(mode_of(t.file), 0600);
	assert_int_equal(mode_of(t.bak), 0600);

	if (netdb_open(&again, t.dir, err, sizeof(err)))
		fail_msg("%s", err);
	assert_netdb_equal(db, again);
	assert_string_equal(again->dir, t.dir);
	netdb_free(again);

	{
		size_t len;
		char *text = read_whole(t.bak, &len);

		assert_int_equal(netdb_from_json(&old, text, len, t.bak, err, sizeof(err)), 0);
		assert_int_equal(old->n_nodes, 1);
		assert_memory_equal(old->mesh_uuid, db->mesh_uuid, 16);
		netdb_free(old);
		free(text);
	}
	netdb_free(db);
	remove_tree(t.root);
}

static void test_damaged_file_is_kept(void **state)
{
	struct netdb *db;
	char err[1024], *before, *after;
	size_t len, len_after;
	struct tmp t;

	(void)state;
	make_tmp(&t);
	assert_int_equal(netdb_open(&db, t.dir, err, sizeof(err)), 0);
	add_node(db, 0x31, 0x0040, 1);
	assert_int_equal(netdb_save(db, err, sizeof(err)), 0);

	/* Torn in the middle, as by a careless editor. */
	before = read_whole(t.file, &len);
	write_whole(t.file, before, len / 2);
	free(before);
	before = read_whole(t.file, &len);

	{
		struct netdb *none = (struct netdb *)1;

		assert_int_equal(netdb_open(&none, t.dir, err, sizeof(err)), -EINVAL);
		assert_null(none);
	}
	assert_contains(err, t.file);
	assert_contains(err, "JSON syntax");
	assert_contains(err, "a backup from ");
	assert_contains(err, t.bak);
	assert_contains(err, "copy it over");
	after = read_whole(t.file, &len_after);
	assert_int_equal(len, len_after);
	assert_memory_equal(before, after, len);
	free(after);
	free(before);

	/* Gone, with a backup next to it: not silently a new network. */
	assert_int_equal(unlink(t.file), 0);
	{
		struct netdb *none;

		assert_int_equal(netdb_open(&none, t.dir, err, sizeof(err)), -ENOENT);
		assert_contains(err, t.bak);
		assert_false(exists(t.file));
	}
	netdb_free(db);
	remove_tree(t.root);
}

static void test_foreign_cdb_is_not_opened(void **state)
{
	struct netdb *db;
	char err[512], *text;
	size_t len;
	struct tmp t;

	(void)state;
	make_tmp(&t);
	assert_int_equal(mkdir(t.dir, 0700), 0);
	text = read_whole(NRF_EXPORT, &len);
	write_whole(t.file, text, len);
	assert_int_equal(netdb_open(&db, t.dir, err, sizeof(err)), -EINVAL);
	assert_contains(err, t.file);
	assert_contains(err, "meshgateProvisioner");
	assert_contains(err, "import");
	free(text);
	remove_tree(t.root);
}

static void test_save_refuses_inconsistent(void **state)
{
	struct netdb *db;
	char err[512], *before, *after;
	size_t len, len_after;
	struct tmp t;

	(void)state;
	make_tmp(&t);
	assert_int_equal(netdb_open(&db, t.dir, err, sizeof(err)), 0);
	before = read_whole(t.file, &len);
	db->app_keys[0].bound_net_key = 7;
	assert_int_equal(netdb_save(db, err, sizeof(err)), -EINVAL);
	assert_contains(err, "not saved");
	assert_contains(err, "appKeys[0].boundNetKey");
	after = read_whole(t.file, &len_after);
	assert_int_equal(len, len_after);
	assert_memory_equal(before, after, len);
	free(before);
	free(after);
	netdb_free(db);
	remove_tree(t.root);

	assert_int_equal(netdb_create(&db, "mem", NULL), 0);
	assert_int_equal(netdb_save(db, err, sizeof(err)), -EINVAL);
	netdb_free(db);
}

/* --- tests: import ------------------------------------------------------- */

static void check_imported_lamp(const struct netdb *db)
{
	const struct netdb_node *lamp = &db->nodes[1];
	const struct netdb_model *onoff, *lightness;

	assert_string_equal(lamp->name, "Hall lamp");
	assert_int_equal(lamp->unicast, 0x0002);
	assert_int_equal(lamp->n_elements, 2);
	assert_true(lamp->has_ids);
	assert_int_equal(lamp->cid, 0x0059);
	assert_int_equal(lamp->crpl, 0x0028);
	assert_int_equal(lamp->relay, NETDB_FEATURE_ON);
	assert_int_equal(lamp->friend_, NETDB_FEATURE_OFF);
	assert_int_equal(lamp->low_power, NETDB_FEATURE_UNSUPPORTED);
	assert_int_equal(lamp->network_transmit.count, 3);
	assert_int_equal(lamp->relay_retransmit.interval_ms, 30);
	assert_int_equal(lamp->heartbeat_pub.period_s, 16);
	assert_int_equal(lamp->heartbeat_pub.features, 0x3);
	assert_int_equal(lamp->n_heartbeat_sub, 1);
	assert_int_equal(lamp->heartbeat_sub[0].source, 0x0005);
	onoff = &lamp->elements[0].models[2];
	assert_int_equal(onoff->id, 0x1000);
	assert_false(onoff->vendor);
	assert_int_equal(onoff->n_subscribe, 2);
	assert_true(onoff->subscribe[1].is_label);
	assert_true((onoff->subscribe[1].address & 0xc000) == 0x8000);
	assert_int_equal(onoff->publish.address.address, 0xc001);
	assert_int_equal(onoff->publish.ttl, 255);
	assert_int_equal(onoff->publish.period_steps, 10);
	assert_int_equal(onoff->publish.retransmit_interval_ms, 150);
	lightness = &lamp->elements[1].models[0];
	assert_true(lightness->publish.address.is_label);
	assert_int_equal(lightness->publish.address.address, onoff->subscribe[1].address);
	assert_int_equal(lightness->publish.credentials, 1);
	assert_true(lamp->elements[1].models[1].vendor);
	assert_int_equal(lamp->elements[1].models[1].id, 0x0059000a);
}

static void test_import_nrf_export(void **state)
{
	struct netdb *db, *back;
	const struct netdb_provisioner *self;
	const struct netdb_node *node;
	uint8_t me[16];
	char report[512], *text;
	size_t len;

	(void)state;
	fill(me, 16, 0xe0);
	text = read_whole(NRF_EXPORT, &len);
	if (netdb_import(&db, text, len, "nrf-mesh-export.json", me, report, sizeof(report)))
		fail_msg("%s", report);
	assert_string_equal(report, "2 network keys, 2 application keys, 3 nodes, 2 groups, "
			    "1 scene; provisioner 'meshgate' added with 0x6000-0x7fff; its node "
			    "0x6000 added");
	assert_string_equal(db->mesh_name, "nRF Mesh Network");
	assert_string_equal(db->timestamp, "2025-03-23T15:08:39+00:00");
	assert_memory_equal(db->self_uuid, me, 16);
	assert_int_equal(db->n_provisioners, 2);
	self = netdb_self_provisioner(db);
	assert_ptr_equal(self, &db->provisioners[1]);
	assert_int_equal(self->unicast[0].low, 0x6000);
	assert_int_equal(self->unicast[0].high, 0x7fff);
	assert_int_equal(self->n_group, 1);
	assert_int_equal(self->group[0].low, 0xef00);
	assert_int_equal(self->group[0].high, 0xfeff);
	assert_int_equal(self->scene[0].low, 0xf000);
	assert_int_equal(self->scene[0].high, 0xffff);
	node = netdb_self_node(db);
	assert_int_equal(node->unicast, 0x6000);
	assert_int_equal(node->n_net_keys, 2);
	assert_int_equal(node->n_app_keys, 2);

	assert_int_equal(db->net_keys[1].phase, 1);
	assert_true(db->net_keys[1].has_old_key);
	assert_string_equal(db->net_keys[1].timestamp, "2025-03-24T09:12:00.250+01:00");
	assert_false(db->net_keys[0].min_security_secure);
	assert_true(db->app_keys[1].has_old_key);
	assert_int_equal(db->nodes[0].relay, NETDB_FEATURE_UNSUPPORTED);
	assert_int_equal(db->nodes[2].security_secure, false);
	assert_false(db->nodes[2].has_ids);
	assert_int_equal(db->nodes[2].relay, NETDB_FEATURE_UNKNOWN);
	check_imported_lamp(db);
	assert_true(db->groups[1].address.is_label);
	assert_int_equal(db->groups[1].parent, 0xc000);
	assert_int_equal(db->scenes[0].number, 0x0001);
	assert_int_equal(db->exclusions[0].addresses[0], 0x0004);

	back = through_json(db);
	netdb_free(back);
	netdb_free(db);

	/* meshgate's entry already there (an export of a network it runs): kept. */
	{
		struct netdb *first;

		assert_int_equal(netdb_import(&first, text, len, "x.json", me, report,
					      sizeof(report)), 0);
		free(text);
		text = netdb_to_json(first);
		assert_int_equal(netdb_import(&db, text, strlen(text), "y.json", me, report,
					      sizeof(report)), 0);
		assert_contains(report, "provisioner 'meshgate' is meshgate's");
		assert_int_equal(db->n_provisioners, 2);
		assert_int_equal(db->n_nodes, 4);
		netdb_free(first);
		netdb_free(db);
		free(text);
	}
	/* No UUID of its own yet (a fresh data directory): a random one. */
	{
		static const uint8_t zero[16];

		text = read_whole(NRF_EXPORT, &len);
		assert_int_equal(netdb_import(&db, text, len, "x.json", zero, report,
					      sizeof(report)), 0);
		assert_memory_not_equal(db->self_uuid, zero, 16);
		assert_int_equal(db->self_uuid[6] >> 4, 4);
		assert_non_null(netdb_self_provisioner(db));
		assert_non_null(netdb_self_node(db));
		netdb_free(db);
		free(text);
	}
	/* A refusal comes back in the report. */
	assert_int_equal(netdb_import(&db, "[]", 2, "z.json", me, report, sizeof(report)),
			 -EINVAL);
	assert_contains(report, "z.json");
}

/* --- tests: damaged files ------------------------------------------------ */

#define NETKEY0 "7DD7364CD842AD18C17C2B820C84C3D6"
#define NETKEY1 "0953FA93E7CAAC9638F58820220A398E"
#define APPKEY0 "63964771734FBD76E3B40519D1D94A48"
#define DEVKEY0 "9D6DD0E96EB25DC19A40ED9914F8F03F"
#define DEVKEY1 "B2E4A5C0F9D3381772A6B14E8F90C6D1"

static const char valid_cdb[] =
	"{\n"
	"  \"meshUUID\": \"0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F0\",\n"
	"  \"meshName\": \"table\",\n"
	"  \"timestamp\": \"2026-01-02T03:04:05Z\",\n"
	"  \"netKeys\": [\n"
	"    { \"name\": \"n0\", \"index\": 0, \"key\": \"" NETKEY0 "\", \"phase\": 0,"
	"      \"minSecurity\": \"secure\" },\n"
	"    { \"name\": \"n1\", \"index\": 1, \"key\": \"" NETKEY1 "\", \"phase\": 0,"
	"      \"minSecurity\": \"secure\" }\n"
	"  ],\n"
	"  \"appKeys\": [ { \"name\": \"a0\", \"index\": 0, \"boundNetKey\": 0,"
	"    \"key\": \"" APPKEY0 "\" } ],\n"
	"  \"provisioners\": [ { \"provisionerName\": \"p\","
	"    \"UUID\": \"00112233445566778899AABBCCDDEEFF\","
	"    \"allocatedUnicastRange\": [ { \"lowAddress\": \"0001\", \"highAddress\": \"00FF\" } ],"
	"    \"allocatedGroupRange\": [ { \"lowAddress\": \"C000\", \"highAddress\": \"C0FF\" } ],"
	"    \"allocatedSceneRange\": [ { \"firstScene\": \"0001\", \"lastScene\": \"00FF\" } ] } ],\n"
	"  \"nodes\": [\n"
	"    { \"UUID\": \"A0A1A2A3-A4A5-A6A7-A8A9-AAABACADAEAF\", \"unicastAddress\": \"0001\","
	"      \"deviceKey\": \"" DEVKEY0 "\", \"security\": \"secure\","
	"      \"netKeys\": [ { \"index\": 0 } ], \"appKeys\": [ { \"index\": 0 } ],"
	"      \"configComplete\": true, \"excluded\": false,"
	"      \"elements\": [\n"
	"        { \"index\": 0, \"location\": \"0000\", \"models\": [ { \"modelId\": \"1000\","
	"          \"subscribe\": [ \"C001\" ], \"bind\": [ 0 ],"
	"          \"publish\": { \"address\": \"C001\", \"index\": 0, \"ttl\": 5,"
	"            \"period\": { \"numberOfSteps\": 1, \"resolution\": 100 },"
	"            \"retransmit\": { \"count\": 1, \"interval\": 50 }, \"credentials\": 0 } } ] },\n"
	"        { \"index\": 1, \"location\": \"0000\", \"models\": [] } ],\n"
	"      \"heartbeatPub\": { \"address\": \"C001\", \"period\": 4, \"ttl\": 3, \"index\": 0,"
	"        \"features\": [ \"relay\" ] } },\n"
	"    { \"UUID\": \"B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF\", \"unicastAddress\": \"0010\","
	"      \"deviceKey\": \"" DEVKEY1 "\", \"netKeys\": [ { \"index\": 1 } ], \"appKeys\": [],"
	"      \"elements\": [ { \"index\": 0, \"location\": \"0000\", \"models\": [] } ],"
	"      \"defaultTTL\": 7 }\n"
	"  ],\n"
	"  \"groups\": [ { \"name\": \"g\", \"address\": \"C001\", \"parentAddress\": \"0000\" } ],\n"
	"  \"scenes\": [ { \"name\": \"s\", \"number\": \"0001\", \"addresses\": [ \"0001\" ] } ],\n"
	"  \"networkExclusions\": [ { \"ivIndex\": 3, \"addresses\": [ \"0020\" ] } ]\n"
	"}\n";

struct damage {
	const char *find, *replace;  /* replace NULL: cut the file right after find */
	const char *path, *what;     /* expected in the message */
};

static const struct damage damages[] = {
	{ "\"nodes\": [\n", NULL, "damaged.json:", "JSON syntax" },
	{ "\"key\": \"7DD7364CD84", NULL, "damaged.json:", "JSON syntax" },
	{ "\"deviceKey\": \"9D6DD0E9", NULL, "damaged.json:", "JSON syntax" },
	{ "\"meshName\": \"table\",", "\"meshName\": \"table\", \"meshName\": \"x\",",
	  "damaged.json:", "duplicate" },
	{ "\"meshUUID\"", "\"meshUUIDs\"", "meshUUID", "required member is missing" },
	{ "0F1E2D3C-4B5A", "0F1E2D3C+4B5A", "meshUUID", "is not a UUID" },
	{ "\"2026-01-02T03:04:05Z\"", "\"yesterday\"", "timestamp", "RFC 3339" },
	{ "\"netKeys\": [\n", "\"netKeys\": [ ], \"x\": [\n", "netKeys", "at least one" },
	{ "\"index\": 0, \"key\": \"" NETKEY0, "\"index\": \"0\", \"key\": \"" NETKEY0,
	  "netKeys[0].index", "expected an integer, got a string" },
	{ NETKEY0, "7DD7364CD842AD18C17C2B820C84C3DG", "netKeys[0].key", "not 32 hex digits" },
	{ NETKEY1 "\", \"phase\": 0", NETKEY1 "\", \"phase\": 3", "netKeys[1].phase",
	  "out of range" },
	{ "\"index\": 1, \"key\"", "\"index\": 0, \"key\"", "netKeys[1].index",
	  "appears twice" },
	{ "\"index\": 1, \"key\"", "\"index\": 4096, \"key\"", "netKeys[1].index",
	  "out of range" },
	{ "\"minSecurity\": \"secure\" },\n", "\"minSecurity\": \"high\" },\n",
	  "netKeys[0].minSecurity", "\"high\"" },
	{ "\"boundNetKey\": 0", "\"boundNetKey\": 7", "appKeys[0].boundNetKey",
	  "no network key" },
	{ "\"key\": \"" APPKEY0 "\"", "\"key\": 5", "appKeys[0].key", "expected a string" },
	{ "\"highAddress\": \"00FF\"", "\"highAddress\": \"0000\"",
	  "provisioners[0].allocatedUnicastRange[0].highAddress", "below" },
	{ "\"lowAddress\": \"C000\"", "\"lowAddress\": \"0100\"",
	  "provisioners[0].allocatedGroupRange[0].lowAddress", "outside the group addresses" },
	{ "\"provisionerName\": \"p\",", "", "provisioners[0].provisionerName",
	  "required member is missing" },
	{ "\"unicastAddress\": \"0010\"", "\"unicastAddress\": \"8001\"",
	  "nodes[1].unicastAddress", "\"8001\" is not a unicast address" },
	{ "\"unicastAddress\": \"0010\"", "\"unicastAddress\": \"0002\"",
	  "nodes[1].unicastAddress", "overlaps nodes[0]" },
	{ "\"unicastAddress\": \"0010\"", "\"unicastAddress\": \"10\"",
	  "nodes[1].unicastAddress", "not 4 hexadecimal digits" },
	{ "\"unicastAddress\": \"0001\"", "\"unicastAddress\": \"7FFF\"", "nodes[0].elements",
	  "run past" },
	{ "B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF", "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF",
	  "nodes[1].UUID", "the same UUID as nodes[0]" },
	{ "\"deviceKey\": \"" DEVKEY1 "\"", "\"deviceKey\": \"B2E4A5C0F9D3381772A6B14E8F90C6\"",
	  "nodes[1].deviceKey", "not 32 hex digits" },
	{ "\"deviceKey\": \"" DEVKEY1 "\", ", "", "nodes[1].deviceKey",
	  "required member is missing" },
	{ "\"security\": \"secure\"", "\"security\": \"maybe\"", "nodes[0].security",
	  "\"maybe\"" },
	{ "\"netKeys\": [ { \"index\": 1 } ]", "\"netKeys\": [ { \"index\": 2 } ]",
	  "nodes[1].netKeys[0].index", "no network key" },
	{ "\"appKeys\": [ { \"index\": 0 } ]", "\"appKeys\": [ { \"index\": 0 }, { \"index\": 0 } ]",
	  "nodes[0].appKeys[1].index", "appears twice" },
	{ "\"bind\": [ 0 ]", "\"bind\": [ 3 ]", "nodes[0].elements[0].models[0].bind[0]",
	  "no application key" },
	{ "\"address\": \"C001\", \"index\": 0, \"ttl\": 5", "\"address\": \"C001\", "
	  "\"index\": 2, \"ttl\": 5", "nodes[0].elements[0].models[0].publish.index",
	  "no application key" },
	{ "\"ttl\": 5", "\"ttl\": 200", "nodes[0].elements[0].models[0].publish.ttl",
	  "not a TTL" },
	{ "\"resolution\": 100", "\"resolution\": 200",
	  "nodes[0].elements[0].models[0].publish.period.resolution", "step resolution" },
	{ "\"count\": 1, \"interval\": 50", "\"count\": 1, \"interval\": 75",
	  "nodes[0].elements[0].models[0].publish.retransmit.interval", "multiple of 50" },
	{ "\"subscribe\": [ \"C001\" ]", "\"subscribe\": [ \"0001\" ]",
	  "nodes[0].elements[0].models[0].subscribe[0]", "not a group address" },
	{ "\"subscribe\": [ \"C001\" ]", "\"subscribe\": [ \"8123\" ]",
	  "nodes[0].elements[0].models[0].subscribe[0]", "without its Label UUID" },
	{ "\"modelId\": \"1000\"", "\"modelId\": \"100\"",
	  "nodes[0].elements[0].models[0].modelId", "not a model id" },
	{ "{ \"index\": 1, \"location\"", "{ \"index\": 2, \"location\"",
	  "nodes[0].elements[1].index", "element 1" },
	{ "\"elements\": [ { \"index\": 0, \"location\": \"0000\", \"models\": [] } ]",
	  "\"elements\": [ ]", "nodes[1].elements", "at least one element" },
	{ "\"period\": 4,", "\"period\": 5,", "nodes[0].heartbeatPub.period", "power of 2" },
	{ "\"ttl\": 3, \"index\": 0,", "\"ttl\": 3, \"index\": 1,", "nodes[0].heartbeatPub.index",
	  "not one of this node's network keys" },
	{ "\"features\": [ \"relay\" ]", "\"features\": [ \"turbo\" ]",
	  "nodes[0].heartbeatPub.features[0]", "not relay, proxy" },
	{ "\"defaultTTL\": 7", "\"defaultTTL\": 1", "nodes[1].defaultTTL", "not a default TTL" },
	{ "\"defaultTTL\": 7", "\"defaultTTL\": 7, \"cid\": \"0059\"", "nodes[1].pid",
	  "missing" },
	{ "\"defaultTTL\": 7", "\"defaultTTL\": 7, \"networkTransmit\": { \"count\": 9, "
	  "\"interval\": 10 }", "nodes[1].networkTransmit.count", "out of range" },
	{ "\"defaultTTL\": 7", "\"defaultTTL\": 7, \"features\": { \"relay\": 3 }",
	  "nodes[1].features.relay", "out of range" },
	{ "\"defaultTTL\": 7", "\"defaultTTL\": 7, \"heartbeatSub\": { \"source\": \"C000\", "
	  "\"destination\": \"0001\" }", "nodes[1].heartbeatSub.source", "not a unicast" },
	{ "\"address\": \"C001\", \"parentAddress\"", "\"address\": \"0005\", \"parentAddress\"",
	  "groups[0].address", "not a group address" },
	{ "\"address\": \"C001\", \"parentAddress\"", "\"address\": \"FFFF\", \"parentAddress\"",
	  "groups[0].address", "not a group address" },
	{ "\"parentAddress\": \"0000\"", "\"parentAddress\": \"0001\"", "groups[0].parentAddress",
	  "not 0000, a group address" },
	{ "\"number\": \"0001\"", "\"number\": \"0000\"", "scenes[0].number", "not a scene number" },
	{ "\"addresses\": [ \"0020\" ]", "\"addresses\": [ \"C020\" ]",
	  "networkExclusions[0].addresses[0]", "not a unicast address" },
	{ "\"ivIndex\": 3", "\"ivIndex\": -1", "networkExclusions[0].ivIndex", "out of range" },
	{ "\"meshName\": \"table\",", "\"meshName\": \"table\", \"meshgateProvisioner\": "
	  "\"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\",", "meshgateProvisioner", "no provisioner" },
	{ "\"meshName\": \"table\",", "\"meshName\": \"table\", \"partial\": \"no\",", "partial",
	  "expected true or false" },
	{ "\"meshName\": \"table\",", "\"meshName\": \"table\", \"version\": 1,", "version",
	  "expected a string" },
};

/* text with the first find replaced: malloc'd. */
static char *damaged(const char *text, const struct damage *d, size_t *len)
{
	const char *at = strstr(text, d->find);
	char *out;

	if (!at)
		fail_msg("\"%s\" is not in the valid file", d->find);
	if (!d->replace) {
		*len = (size_t)(at - text) + strlen(d->find);
		out = malloc(*len + 1);
		assert_non_null(out);
		memcpy(out, text, *len);
		return out;
	}
	*len = strlen(text) - strlen(d->find) + strlen(d->replace);
	out = malloc(*len + 1);
	assert_non_null(out);
	snprintf(out, *len + 1, "%.*s%s%s", (int)(at - text), text, d->replace,
		 at + strlen(d->find));
	return out;
}

static void assert_no_key_in(const char *msg)
{
	static const char *const keys[] = { NETKEY0, NETKEY1, APPKEY0, DEVKEY0, DEVKEY1,
					    "B2E4A5C0F9D3381772A6B14E8F90C6" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char part[5];

		/* Even a few digits of a key are too many. */
		memcpy(part, keys[i], 4);
		part[4] = '\0';
		if (strstr(msg, part))
			fail_msg("key material in \"%s\"", msg);
	}
}

static void test_valid_base_loads(void **state)
{
	struct netdb *db, *back;
	char err[512];

	(void)state;
	if (netdb_from_json(&db, valid_cdb, strlen(valid_cdb), "valid.json", err, sizeof(err)))
		fail_msg("%s", err);
	/* Lenient where the tools are: security and updated omitted. */
	assert_true(db->nodes[1].security_secure);
	assert_false(db->nodes[1].config_complete);
	back = through_json(db);
	netdb_free(back);
	netdb_free(db);
}

static void test_damaged_files_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		const struct damage *d = &damages[i];
		struct netdb *db = (struct netdb *)1;
		char err[512], *text;
		size_t len;
		int rc;

		text = damaged(valid_cdb, d, &len);
		rc = netdb_from_json(&db, text, len, "damaged.json", err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("damage %zu (%s) not refused: %d", i, d->replace ? d->replace : d->find,
				 rc);
		assert_null(db);
		print_message("damage %zu: %s\n", i, err);
		assert_int_equal(strncmp(err, "damaged.json", 12), 0);
		assert_contains(err, d->path);
		assert_contains(err, d->what);
		assert_no_key_in(err);
		free(text);
	}
}

/* The fuzzer's seeds are valid CDB files, each a way into the schema. */
static void test_fuzz_seeds_load(void **state)
{
	const char *dir = MESHGATE_SOURCE_DIR "/tests/fuzz/seeds/fuzz_cdb";
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t seeds = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512], err[512], *text;
		struct netdb *db;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		text = read_whole(path, &len);
		if (netdb_from_json(&db, text, len, path, err, sizeof(err)))
			fail_msg("%s", err);
		netdb_free(through_json(db));
		netdb_free(db);
		free(text);
		seeds++;
	}
	closedir(d);
	assert_true(seeds >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_defaults),
		cmocka_unit_test(test_round_trip_everything),
		cmocka_unit_test(test_add_and_remove_nodes),
		cmocka_unit_test(test_alloc_unicast),
		cmocka_unit_test(test_timestamp_now),
		cmocka_unit_test(test_open_creates_saves_and_reopens),
		cmocka_unit_test(test_damaged_file_is_kept),
		cmocka_unit_test(test_foreign_cdb_is_not_opened),
		cmocka_unit_test(test_save_refuses_inconsistent),
		cmocka_unit_test(test_import_nrf_export),
		cmocka_unit_test(test_valid_base_loads),
		cmocka_unit_test(test_damaged_files_refused),
		cmocka_unit_test(test_fuzz_seeds_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
