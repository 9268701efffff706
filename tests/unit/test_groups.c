/*
 * Named groups in the network database (gateway/groups.c), on databases
 * built in code: group addresses handed out from meshgate's group range
 * (lowest first, skipping the reserved heartbeat group, fixed groups and
 * addresses in use, reused once free, -ENOSPC when none is left), adding,
 * removing and renaming with their refusals, and bringing the
 * configuration file's groups into the database: every kind of group
 * (address, automatic address, given Label UUID, automatic Label UUID),
 * nothing changed the second time, addresses moved when the file changes
 * them, and conflicts with groups of the database reported with the file,
 * the line and what to do, without stopping the other groups.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/gateway_config.h"
#include "gateway/groups.h"
#include "mesh/crypto.h"

#define HB_GROUP 0xfeffu
#define HALL_LABEL "2b9f5a6e-0c8d-4f14-9a53-6c1e0d7f3a21"

static const uint8_t hall_label[16] = { 0x2b, 0x9f, 0x5a, 0x6e, 0x0c, 0x8d, 0x4f, 0x14,
					0x9a, 0x53, 0x6c, 0x1e, 0x0d, 0x7f, 0x3a, 0x21 };

/* ---- helpers ----------------------------------------------------------------------- */

static struct netdb *new_db(void)
{
	struct netdb *db = NULL;

	assert_int_equal(netdb_create(&db, "groups test", NULL), 0);
	return db;
}

/* Meshgate's own group ranges: n pairs of low, high. */
static void set_group_ranges(struct netdb *db, size_t n, const struct netdb_range *ranges)
{
	struct netdb_provisioner *p = netdb_self_provisioner(db);

	assert_non_null(p);
	assert_true(n <= NETDB_RANGES_MAX);
	p->n_group = n;
	if (n)
		memcpy(p->group, ranges, n * sizeof(*ranges));
}

static struct netdb_address group_addr(uint16_t addr)
{
	struct netdb_address a = { .address = addr };

	return a;
}

static struct netdb_address label_addr(const uint8_t label[16])
{
	struct netdb_address a = { .is_label = true };

	memcpy(a.label, label, 16);
	assert_int_equal(mesh_virtual_address(a.label, &a.address), 0);
	return a;
}

static void add_ok(struct netdb *db, const char *name, struct netdb_address a)
{
	char err[200] = "";

	if (gw_groups_add(db, name, &a, err, sizeof(err)) != 0)
		fail_msg("group '%s' refused: %s", name, err);
}

static uint16_t alloc(const struct netdb *db, uint16_t reserved)
{
	uint16_t out = 0;

	assert_int_equal(gw_groups_alloc_address(db, reserved, &out), 0);
	return out;
}

static void load_cfg(struct gw_config *cfg, const char *yaml)
{
	char err[GW_CONFIG_ERR_MAX];

	if (gw_config_load_string(cfg, yaml, strlen(yaml), "groups.yaml", err, sizeof(err)))
		fail_msg("configuration refused: %s", err);
}

static const struct netdb_group *find(struct netdb *db, const char *name)
{
	const struct netdb_group *g = gw_groups_find_name(db, name);

	if (!g)
		fail_msg("no group '%s' in the database", name);
	return g;
}

static void assert_contains(const char *text, const char *words)
{
	if (!strstr(text, words))
		fail_msg("\"%s\" does not say \"%s\"", text, words);
}

/* ---- allocation ---------------------------------------------------------------------- */

static void test_alloc_lowest_free(void **state)
{
	struct netdb *db = new_db();
	uint8_t label[16];

	(void)state;
	/* netdb_create's group range: the whole dynamic range, lowest first. */
	assert_int_equal(alloc(db, HB_GROUP), 0xc000);
	/* The reserved address is skipped. */
	assert_int_equal(alloc(db, 0xc000), 0xc001);
	add_ok(db, "a", group_addr(0xc000));
	add_ok(db, "b", group_addr(0xc001));
	add_ok(db, "d", group_addr(0xc003));
	assert_int_equal(alloc(db, HB_GROUP), 0xc002);
	assert_int_equal(alloc(db, 0xc002), 0xc004);
	/* Virtual groups take no group address. */
	memset(label, 0x11, sizeof(label));
	add_ok(db, "v", label_addr(label));
	assert_int_equal(alloc(db, HB_GROUP), 0xc002);
	/* A removed group's address is free again. */
	assert_int_equal(gw_groups_remove(db, "a"), 0);
	assert_int_equal(alloc(db, HB_GROUP), 0xc000);
	netdb_free(db);
}

static void test_alloc_ranges_and_exhaustion(void **state)
{
	static const struct netdb_range two[] = { { 0xc010, 0xc011 }, { 0xd000, 0xd001 } };
	static const struct netdb_range fixed[] = { { 0xfeff, 0xffff } };
	static const struct netdb_range not_groups[] = { { 0x0001, 0x0003 }, { 0x8000, 0x8002 } };
	static const struct netdb_range reversed[] = { { 0xc005, 0xc001 } };
	struct netdb *db = new_db();
	struct netdb_provisioner *self;
	uint16_t out = 0x1234;

	(void)state;
	set_group_ranges(db, 2, two);
	assert_int_equal(alloc(db, HB_GROUP), 0xc010);
	add_ok(db, "a", group_addr(0xc010));
	/* Outside meshgate's ranges is not meshgate's to hand out, but a user
	 * may name it: it does not make the range fuller. */
	add_ok(db, "outside", group_addr(0xc012));
	assert_int_equal(alloc(db, HB_GROUP), 0xc011);
	/* The first range full (one reserved): the next range. */
	assert_int_equal(alloc(db, 0xc011), 0xd000);
	add_ok(db, "b", group_addr(0xc011));
	add_ok(db, "c", group_addr(0xd000));
	assert_int_equal(alloc(db, HB_GROUP), 0xd001);
	/* Everything used or reserved: -ENOSPC, out untouched. */
	assert_int_equal(gw_groups_alloc_address(db, 0xd001, &out), -ENOSPC);
	assert_int_equal(out, 0x1234);
	add_ok(db, "d", group_addr(0xd001));
	assert_int_equal(gw_groups_alloc_address(db, HB_GROUP, &out), -ENOSPC);

	/* Fixed groups (0xff00..) and the reserved one are never handed out;
	 * neither are unicast or virtual addresses a range may hold. */
	set_group_ranges(db, 1, fixed);
	assert_int_equal(gw_groups_alloc_address(db, HB_GROUP, &out), -ENOSPC);
	set_group_ranges(db, 2, not_groups);
	assert_int_equal(gw_groups_alloc_address(db, HB_GROUP, &out), -ENOSPC);
	set_group_ranges(db, 1, reversed);
	assert_int_equal(gw_groups_alloc_address(db, HB_GROUP, &out), -ENOSPC);
	set_group_ranges(db, 0, NULL);
	assert_int_equal(gw_groups_alloc_address(db, HB_GROUP, &out), -ENOSPC);

	/* Without a provisioner entry of its own, meshgate has no range. */
	set_group_ranges(db, 1, two);
	self = netdb_self_provisioner(db);
	self->uuid[0] ^= 0xff;
	assert_int_equal(gw_groups_alloc_address(db, HB_GROUP, &out), -ENOSPC);
	self->uuid[0] ^= 0xff;
	netdb_free(db);
}

/* ---- add, remove, rename --------------------------------------------------------------- */

static void test_add(void **state)
{
	struct netdb *db = new_db();
	struct netdb_address a = group_addr(0xc001), hall = label_addr(hall_label);
	const struct netdb_group *g;
	char name[NETDB_NAME_MAX + 1];

	(void)state;
	add_ok(db, "living room", a);
	g = find(db, "living room");
	assert_false(g->address.is_label);
	assert_int_equal(g->address.address, 0xc001);
	assert_int_equal(g->parent, 0);
	assert_ptr_equal(gw_groups_find_address(db, &a), g);

	/* A virtual group: its address is the hash of its Label UUID. */
	hall.address = 0;
	add_ok(db, "hall", hall);
	g = find(db, "hall");
	assert_true(g->address.is_label);
	assert_memory_equal(g->address.label, hall_label, 16);
	assert_int_equal(g->address.address, label_addr(hall_label).address);
	assert_true(g->address.address >= 0x8000 && g->address.address < 0xc000);
	/* Found by its label, not by its hash alone. */
	assert_ptr_equal(gw_groups_find_address(db, &hall), g);
	assert_null(gw_groups_find_address(db, &(struct netdb_address){ .address =
									 g->address.address }));
	assert_int_equal(db->n_groups, 2);

	/* The longest name fits. */
	memset(name, 'g', NETDB_NAME_MAX - 1);
	name[NETDB_NAME_MAX - 1] = '\0';
	add_ok(db, name, group_addr(0xc002));
	assert_string_equal(find(db, name)->name, name);
	netdb_free(db);
}

static void assert_add_refused(struct netdb *db, const char *name, struct netdb_address a, int rc,
			       const char *words)
{
	char err[200] = "";
	size_t before = db->n_groups;

	assert_int_equal(gw_groups_add(db, name, &a, err, sizeof(err)), rc);
	assert_contains(err, words);
	assert_int_equal(db->n_groups, before);
}

static void test_add_refused(void **state)
{
	struct netdb *db = new_db();
	uint8_t other_label[16];
	char name[NETDB_NAME_MAX + 1];

	(void)state;
	add_ok(db, "living room", group_addr(0xc001));
	add_ok(db, "hall", label_addr(hall_label));

	assert_add_refused(db, "", group_addr(0xc002), -EINVAL, "1 to 95 characters");
	memset(name, 'g', NETDB_NAME_MAX);
	name[NETDB_NAME_MAX] = '\0';
	assert_add_refused(db, name, group_addr(0xc002), -EINVAL, "1 to 95 characters");
	/* Not group addresses. */
	assert_add_refused(db, "x", group_addr(0x0000), -EINVAL, "0x0000 is not a group address");
	assert_add_refused(db, "x", group_addr(0x0105), -EINVAL, "0x0105 is not a group address");
	assert_add_refused(db, "x", group_addr(0x8001), -EINVAL, "0xc000-0xfeff");
	assert_add_refused(db, "x", group_addr(0xff00), -EINVAL, "0xff00 is not a group address");
	assert_add_refused(db, "x", group_addr(0xffff), -EINVAL, "not a group address");
	/* Taken: the name, the address, the Label UUID; each says by whom. */
	assert_add_refused(db, "living room", group_addr(0xc002), -EEXIST,
			   "already a group called 'living room'");
	assert_add_refused(db, "lounge", group_addr(0xc001), -EEXIST,
			   "group 'living room' already has this address");
	assert_add_refused(db, "corridor", label_addr(hall_label), -EEXIST,
			   "group 'hall' already has this address");
	/* Another Label UUID is another group, whatever its hash. */
	memcpy(other_label, hall_label, 16);
	other_label[15] ^= 1;
	add_ok(db, "corridor", label_addr(other_label));
	assert_int_equal(db->n_groups, 3);
	netdb_free(db);
}

static void test_remove_and_rename(void **state)
{
	struct netdb *db = new_db();
	char name[NETDB_NAME_MAX + 1];

	(void)state;
	add_ok(db, "a", group_addr(0xc001));
	add_ok(db, "b", group_addr(0xc002));
	add_ok(db, "c", group_addr(0xc003));

	assert_int_equal(gw_groups_remove(db, "b"), 0);
	assert_int_equal(db->n_groups, 2);
	assert_null(gw_groups_find_name(db, "b"));
	/* The others keep their place and address. */
	assert_string_equal(db->groups[0].name, "a");
	assert_string_equal(db->groups[1].name, "c");
	assert_int_equal(find(db, "c")->address.address, 0xc003);
	assert_int_equal(gw_groups_remove(db, "b"), -ENOENT);
	assert_int_equal(gw_groups_remove(db, ""), -ENOENT);

	assert_int_equal(gw_groups_rename(db, "a", "first"), 0);
	assert_null(gw_groups_find_name(db, "a"));
	assert_int_equal(find(db, "first")->address.address, 0xc001);
	/* To itself: nothing to do. */
	assert_int_equal(gw_groups_rename(db, "first", "first"), 0);
	assert_int_equal(gw_groups_rename(db, "nothing", "x"), -ENOENT);
	/* Refused, and nothing renamed: a taken name, none, too long. */
	assert_int_equal(gw_groups_rename(db, "first", "c"), -EEXIST);
	assert_int_equal(gw_groups_rename(db, "first", ""), -EEXIST);
	memset(name, 'g', NETDB_NAME_MAX);
	name[NETDB_NAME_MAX] = '\0';
	assert_int_equal(gw_groups_rename(db, "first", name), -EEXIST);
	assert_non_null(gw_groups_find_name(db, "first"));
	assert_int_equal(find(db, "c")->address.address, 0xc003);
	assert_int_equal(db->n_groups, 2);
	netdb_free(db);
}

/* ---- the configuration's groups ---------------------------------------------------------- */

static const char every_kind[] =
	"groups:\n"
	"  living room: 0xc001\n"                    /* line 2 */
	"  kitchen:\n"
	"    address: 0xc002\n"
	"  garden:\n"                                /* line 5: automatic */
	"  whole house:\n"
	"    virtual: auto\n"
	"  hall:\n"
	"    virtual: " HALL_LABEL "\n";

static void test_sync_every_kind(void **state)
{
	struct netdb *db = new_db();
	struct gw_config cfg;
	const struct netdb_group *g;
	struct netdb_address whole;
	char err[512];

	(void)state;
	load_cfg(&cfg, every_kind);
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 5);
	assert_string_equal(err, "");
	assert_int_equal(db->n_groups, 5);
	assert_int_equal(find(db, "living room")->address.address, 0xc001);
	assert_int_equal(find(db, "kitchen")->address.address, 0xc002);
	/* The lowest address nobody has. */
	assert_int_equal(find(db, "garden")->address.address, 0xc000);
	assert_false(find(db, "garden")->address.is_label);
	g = find(db, "hall");
	assert_true(g->address.is_label);
	assert_memory_equal(g->address.label, hall_label, 16);
	assert_int_equal(g->address.address, label_addr(hall_label).address);
	/* A random Label UUID, a version 4 UUID, with its hash. */
	g = find(db, "whole house");
	assert_true(g->address.is_label);
	assert_int_equal(g->address.label[6] >> 4, 4);
	assert_int_equal(g->address.label[8] >> 6, 2);
	assert_int_equal(g->address.address, label_addr(g->address.label).address);
	whole = g->address;

	/* Again (a restart, a reload): nothing changes, automatic addresses
	 * and the drawn Label UUID stay. */
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(db->n_groups, 5);
	assert_int_equal(find(db, "garden")->address.address, 0xc000);
	assert_memory_equal(find(db, "whole house")->address.label, whole.label, 16);
	gw_config_free(&cfg);

	/* Groups that left the file stay in the database (the API's now). */
	load_cfg(&cfg, "groups:\n  kitchen: 0xc002\n");
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 0);
	assert_int_equal(db->n_groups, 5);
	gw_config_free(&cfg);
	netdb_free(db);
}

/* An automatic group never takes the address another group of the same
 * file asks for, whatever their order in the file. */
static void test_sync_auto_before_explicit(void **state)
{
	struct netdb *db = new_db();
	struct gw_config cfg;
	char err[512];

	(void)state;
	load_cfg(&cfg, "groups:\n"
		       "  garden:\n"
		       "  living room: 0xc000\n");
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 2);
	assert_string_equal(err, "");
	assert_int_equal(find(db, "living room")->address.address, 0xc000);
	assert_int_equal(find(db, "garden")->address.address, 0xc001);
	gw_config_free(&cfg);
	netdb_free(db);
}

/* Automatic addresses avoid the reserved group and groups the API added. */
static void test_sync_auto_avoids(void **state)
{
	struct netdb *db = new_db();
	struct gw_config cfg;
	char err[512];

	(void)state;
	add_ok(db, "from the api", group_addr(0xc000));
	load_cfg(&cfg, "groups:\n  a:\n  b:\n");
	assert_int_equal(gw_groups_sync(db, &cfg, 0xc001, err, sizeof(err)), 2);
	assert_string_equal(err, "");
	assert_int_equal(find(db, "a")->address.address, 0xc002);
	assert_int_equal(find(db, "b")->address.address, 0xc003);
	gw_config_free(&cfg);
	netdb_free(db);
}

/* The file changed a group's address or kind: the group moves (it keeps
 * its name, the database follows the file). */
static void test_sync_moves(void **state)
{
	struct netdb *db = new_db();
	struct gw_config cfg;
	const struct netdb_group *g;
	char err[512];

	(void)state;
	load_cfg(&cfg, every_kind);
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 5);
	gw_config_free(&cfg);

	load_cfg(&cfg, "groups:\n"
		       "  living room: 0xc011\n"           /* another address */
		       "  kitchen:\n"
		       "    virtual: auto\n"               /* now virtual */
		       "  garden: 0xc000\n"                /* the address it had: no change */
		       "  whole house:\n"                  /* now automatic: a group address */
		       "  hall: 0xc012\n");                /* virtual to a group address */
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 4);
	assert_string_equal(err, "");
	assert_int_equal(db->n_groups, 5);
	assert_int_equal(find(db, "living room")->address.address, 0xc011);
	assert_true(find(db, "kitchen")->address.is_label);
	assert_int_equal(find(db, "garden")->address.address, 0xc000);
	g = find(db, "whole house");
	assert_false(g->address.is_label);
	assert_int_equal(g->address.address, 0xc001);   /* 0xc001 was living room's */
	assert_false(find(db, "hall")->address.is_label);
	assert_int_equal(find(db, "hall")->address.address, 0xc012);
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 0);
	gw_config_free(&cfg);
	netdb_free(db);
}

/* The file wants an address (or a Label UUID) another group of the
 * database has: that group is skipped with a message naming the file,
 * the line, the group, who has the address and what to do; the others
 * are synced all the same. */
static void test_sync_conflicts(void **state)
{
	struct netdb *db = new_db();
	struct gw_config cfg;
	char err[1024];

	(void)state;
	add_ok(db, "api group", group_addr(0xc005));
	add_ok(db, "api hall", label_addr(hall_label));
	load_cfg(&cfg, "groups:\n"
		       "  fine: 0xc006\n"
		       "  file group: 0xc005\n"              /* line 3 */
		       "  also fine:\n"
		       "  file hall:\n"                      /* line 5 */
		       "    virtual: " HALL_LABEL "\n");
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 2);
	assert_contains(err, "groups.yaml:3:3: groups.file group: its address is already group "
			     "'api group' in the network database; rename or remove that group "
			     "first");
	assert_contains(err, "; groups.yaml:5:3: groups.file hall: its address is already group "
			     "'api hall'");
	assert_null(gw_groups_find_name(db, "file group"));
	assert_null(gw_groups_find_name(db, "file hall"));
	assert_int_equal(find(db, "fine")->address.address, 0xc006);
	assert_int_equal(find(db, "also fine")->address.address, 0xc000);
	assert_int_equal(find(db, "api group")->address.address, 0xc005);
	assert_int_equal(db->n_groups, 4);

	/* The database group renamed away: the next sync takes the address. */
	assert_int_equal(gw_groups_remove(db, "api group"), 0);
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 1);
	assert_contains(err, "file hall");
	assert_true(strstr(err, "file group") == NULL);
	assert_int_equal(find(db, "file group")->address.address, 0xc005);
	gw_config_free(&cfg);
	netdb_free(db);
}

/* A group of the file moving onto the address of another database group
 * is refused the same way, and keeps the address it had. */
static void test_sync_move_conflict(void **state)
{
	struct netdb *db = new_db();
	struct gw_config cfg;
	char err[512];

	(void)state;
	add_ok(db, "lamp group", group_addr(0xc001));
	add_ok(db, "taken", group_addr(0xc002));
	load_cfg(&cfg, "groups:\n  lamp group: 0xc002\n");
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 0);
	assert_contains(err, "groups.yaml:2:3: groups.lamp group: its address is already group "
			     "'taken'");
	assert_int_equal(find(db, "lamp group")->address.address, 0xc001);
	gw_config_free(&cfg);
	netdb_free(db);
}

/* A reload where the file renamed a group: the database group follows
 * (same address), where a group added by request at an address the file
 * now names is still a clash. */
static void test_reload_follows_renames(void **state)
{
	struct netdb *db = new_db();
	struct gw_config before, after;
	char err[512];

	(void)state;
	load_cfg(&before, "groups:\n  upstairs: 0xc001\n");
	assert_int_equal(gw_groups_sync(db, &before, HB_GROUP, err, sizeof(err)), 1);
	add_ok(db, "api group", group_addr(0xc002));
	load_cfg(&after, "groups:\n  downstairs: 0xc001\n  mine now: 0xc002\n");
	assert_int_equal(gw_groups_follow_renames(db, &before, &after), 1);
	assert_null(gw_groups_find_name(db, "upstairs"));
	assert_int_equal(find(db, "downstairs")->address.address, 0xc001);
	assert_int_equal(gw_groups_sync(db, &after, HB_GROUP, err, sizeof(err)), 0);
	assert_contains(err, "groups.mine now: its address is already group 'api group'");
	assert_true(strstr(err, "downstairs") == NULL);
	/* Nothing more to follow the second time. */
	assert_int_equal(gw_groups_follow_renames(db, &after, &after), 0);
	gw_config_free(&before);
	gw_config_free(&after);
	netdb_free(db);
}

/* No group address left: the automatic group is skipped and said so. */
static void test_sync_exhausted(void **state)
{
	static const struct netdb_range one[] = { { 0xc000, 0xc000 } };
	struct netdb *db = new_db();
	struct gw_config cfg;
	char err[512];

	(void)state;
	set_group_ranges(db, 1, one);
	load_cfg(&cfg, "groups:\n  first:\n  second:\n  third:\n");
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 1);
	assert_int_equal(find(db, "first")->address.address, 0xc000);
	assert_contains(err, "groups.yaml:3:3: groups.second: no group address left in meshgate's "
			     "group range");
	assert_contains(err, "; groups.yaml:4:3: groups.third: no group address left");
	assert_null(gw_groups_find_name(db, "second"));
	gw_config_free(&cfg);
	netdb_free(db);
}

/* The message buffer is never overrun, however many problems there are;
 * the built-in configuration is named as such. */
static void test_sync_messages_fit(void **state)
{
	static const struct netdb_range none[] = { { 0xc000, 0xc000 } };
	struct netdb *db = new_db();
	struct gw_config cfg;
	char err[48];
	char big[4096];
	size_t used = 0;

	(void)state;
	set_group_ranges(db, 1, none);
	add_ok(db, "holder", group_addr(0xc000));
	used += (size_t)snprintf(big + used, sizeof(big) - used, "groups:\n");
	for (int i = 0; i < 20; i++)
		used += (size_t)snprintf(big + used, sizeof(big) - used, "  group %d:\n", i);
	load_cfg(&cfg, big);
	memset(err, 'x', sizeof(err));
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, err, sizeof(err)), 0);
	assert_true(memchr(err, '\0', sizeof(err)) != NULL);
	assert_contains(err, "groups.yaml:2:3: groups.group 0");

	/* errlen 0: nothing written at all. */
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, NULL, 0), 0);
	gw_config_free(&cfg);

	assert_int_equal(gw_config_load_builtin(&cfg, big, sizeof(big)), 0);
	assert_true(cfg.n_groups > 0);
	assert_int_equal(gw_groups_sync(db, &cfg, HB_GROUP, big, sizeof(big)), 0);
	assert_contains(big, "builtin:demo.yaml:");
	gw_config_free(&cfg);
	netdb_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_lowest_free),
		cmocka_unit_test(test_alloc_ranges_and_exhaustion),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_add_refused),
		cmocka_unit_test(test_remove_and_rename),
		cmocka_unit_test(test_sync_every_kind),
		cmocka_unit_test(test_sync_auto_before_explicit),
		cmocka_unit_test(test_sync_auto_avoids),
		cmocka_unit_test(test_sync_moves),
		cmocka_unit_test(test_sync_conflicts),
		cmocka_unit_test(test_sync_move_conflict),
		cmocka_unit_test(test_reload_follows_renames),
		cmocka_unit_test(test_sync_exhausted),
		cmocka_unit_test(test_sync_messages_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
