/*
 * Heartbeat liveness on a virtual clock: hop counts, windows, events, and
 * the liveness.json file (round trip, damaged files refused and kept).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/liveness.h"
#include "mesh/heartbeat.h"
#include "vectors.h"

#define MAX_EVENTS 64
#define T0 1000u
#define WALL0 1700000000000ull

struct seen_event {
	enum liveness_event_type type;
	uint16_t addr;
	enum liveness_state state;
	uint16_t features, old_features;
	uint64_t at;
};

static struct mesh_timers timers;
static struct liveness *lv;
static struct seen_event events[MAX_EVENTS];
static size_t n_events;
static uint64_t wall_ms;
static void (*hook)(const struct liveness_event *ev);
static char tmpdir[64];

static uint64_t fake_wall(void *ctx)
{
	(void)ctx;
	return wall_ms;
}

static void on_event(void *ctx, const struct liveness_event *ev)
{
	struct seen_event *e;

	(void)ctx;
	assert_true(n_events < MAX_EVENTS);
	e = &events[n_events++];
	e->type = ev->type;
	e->addr = ev->node->addr;
	e->state = ev->node->state;
	e->features = ev->node->features;
	e->old_features = ev->old_features;
	e->at = mesh_timers_now(&timers);
	if (hook)
		hook(ev);
}

static const struct liveness_config config = {
	.default_window_ms = 60000,
	.wall_clock = fake_wall,
	.event = on_event,
};

static int setup(void **state)
{
	(void)state;
	mesh_timers_init(&timers, T0);
	n_events = 0;
	wall_ms = WALL0;
	hook = NULL;
	lv = liveness_create(&timers, &config);
	assert_non_null(lv);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	liveness_destroy(lv);
	lv = NULL;
	return 0;
}

static void heartbeat(uint16_t src, uint8_t init_ttl, uint8_t rx_ttl, uint16_t features,
		      int8_t rssi)
{
	struct mesh_stack_hb_rx hb = {
		.net_idx = 0,
		.src = src,
		.dst = 0x0001,
		.rx_ttl = rx_ttl,
		.hb = { .init_ttl = init_ttl, .features = features },
	};

	hb.hops = mesh_heartbeat_hops(&hb.hb, rx_ttl);
	assert_int_equal(liveness_heartbeat(lv, &hb, rssi, mesh_timers_now(&timers)), 0);
}

static size_t count_events(enum liveness_event_type type)
{
	size_t n = 0;

	for (size_t i = 0; i < n_events; i++)
		n += events[i].type == type;
	return n;
}

static const struct liveness_node *node(uint16_t addr)
{
	const struct liveness_node *n = liveness_find(lv, addr);

	assert_non_null(n);
	return n;
}

/* --- heartbeats ---------------------------------------------------------- */

static void test_hops_min_max_count(void **state)
{
	const struct liveness_node *n;

	(void)state;
	/* Publisher -> relay -> relay -> relay -> us: TTL 7 arrives as 4. */
	heartbeat(0x0005, 7, 4, MESH_FEAT_RELAY, -60);
	n = node(0x0005);
	assert_int_equal(n->hops, 4);
	assert_int_equal(n->min_hops, 4);
	assert_int_equal(n->max_hops, 4);
	assert_int_equal(n->count, 1);
	assert_int_equal(n->init_ttl, 7);
	assert_int_equal(n->rx_ttl, 4);
	assert_int_equal(n->rssi, -60);
	assert_int_equal(n->last_heartbeat_wall_ms, WALL0);
	assert_int_equal(n->last_seen_wall_ms, WALL0);

	heartbeat(0x0005, 7, 6, MESH_FEAT_RELAY, -50);  /* a shorter path: 2 */
	heartbeat(0x0005, 7, 2, MESH_FEAT_RELAY, -70);  /* a longer one: 6 */
	heartbeat(0x0005, 7, 7, MESH_FEAT_RELAY, -40);  /* direct: 1 */
	n = node(0x0005);
	assert_int_equal(n->hops, 1);
	assert_int_equal(n->min_hops, 1);
	assert_int_equal(n->max_hops, 6);
	assert_int_equal(n->count, 4);
	assert_int_equal(n->rssi, -40);

	/* A TTL above InitTTL cannot be: counted, but no hop figure. */
	heartbeat(0x0005, 3, 9, MESH_FEAT_RELAY, -40);
	n = node(0x0005);
	assert_int_equal(n->hops, 0);
	assert_int_equal(n->min_hops, 1);
	assert_int_equal(n->max_hops, 6);
	assert_int_equal(n->count, 5);
	assert_int_equal(count_events(LIVENESS_EV_HEARTBEAT), 5);
	assert_int_equal(count_events(LIVENESS_EV_ONLINE), 1);
}

static void test_bad_addresses(void **state)
{
	struct mesh_stack_hb_rx hb = { .src = 0xc000, .rx_ttl = 1, .hb = { .init_ttl = 1 } };

	(void)state;
	assert_int_equal(liveness_heartbeat(lv, &hb, 0, T0), -EINVAL);
	assert_int_equal(liveness_seen(lv, 0x0000, T0), -EINVAL);
	assert_int_equal(liveness_set_period(lv, 0x8001, 1000), -EINVAL);
	assert_int_equal(liveness_count(lv), 0);
	assert_int_equal(liveness_forget(lv, 0x0005), -ENOENT);
}

static void test_online_offline_online(void **state)
{
	(void)state;
	assert_int_equal(liveness_set_period(lv, 0x0005, 10000), 0);
	assert_int_equal(node(0x0005)->state, LIVENESS_UNKNOWN);
	heartbeat(0x0005, 5, 5, 0, -40);
	assert_int_equal(node(0x0005)->state, LIVENESS_ONLINE);
	assert_int_equal(n_events, 2);
	assert_int_equal(events[0].type, LIVENESS_EV_ONLINE);
	assert_int_equal(events[1].type, LIVENESS_EV_HEARTBEAT);

	/* Heartbeats in time keep it online; the window restarts at each. */
	mesh_timers_advance(&timers, T0 + 25000);
	heartbeat(0x0005, 5, 5, 0, -40);
	mesh_timers_advance(&timers, T0 + 25000 + 30000 - 1);
	assert_int_equal(node(0x0005)->state, LIVENESS_ONLINE);
	assert_int_equal(count_events(LIVENESS_EV_OFFLINE), 0);

	/* Exactly three periods after the last heartbeat: offline. */
	mesh_timers_advance(&timers, T0 + 25000 + 30000);
	assert_int_equal(node(0x0005)->state, LIVENESS_OFFLINE);
	assert_int_equal(n_events, 4);
	assert_int_equal(events[3].type, LIVENESS_EV_OFFLINE);
	assert_int_equal(events[3].addr, 0x0005);
	assert_int_equal(events[3].at, T0 + 55000);
	assert_int_equal(mesh_timers_next_delay(&timers), -1);

	/* Heartbeats resume: online again. */
	mesh_timers_advance(&timers, T0 + 100000);
	heartbeat(0x0005, 5, 5, 0, -40);
	assert_int_equal(node(0x0005)->state, LIVENESS_ONLINE);
	assert_int_equal(events[4].type, LIVENESS_EV_ONLINE);
	assert_int_equal(count_events(LIVENESS_EV_ONLINE), 2);
	assert_int_equal(mesh_timers_next_delay(&timers), 30000);
}

static void test_window_factor_and_several_nodes(void **state)
{
	static const struct liveness_config two = {
		.window_factor = 2, .wall_clock = fake_wall, .event = on_event,
	};

	(void)state;
	liveness_destroy(lv);
	lv = liveness_create(&timers, &two);
	assert_non_null(lv);
	liveness_set_period(lv, 0x0002, 1000);
	liveness_set_period(lv, 0x0003, 5000);
	heartbeat(0x0003, 5, 5, 0, 0);
	heartbeat(0x0002, 5, 5, 0, 0);
	assert_int_equal(liveness_window_ms(lv, node(0x0002)), 2000);
	mesh_timers_advance(&timers, T0 + 1999);
	assert_int_equal(count_events(LIVENESS_EV_OFFLINE), 0);
	mesh_timers_advance(&timers, T0 + 20000);
	assert_int_equal(count_events(LIVENESS_EV_OFFLINE), 2);
	assert_int_equal(events[4].addr, 0x0002);
	assert_int_equal(events[4].at, T0 + 2000);
	assert_int_equal(events[5].addr, 0x0003);
	assert_int_equal(events[5].at, T0 + 10000);
}

static void test_unknown_period(void **state)
{
	(void)state;
	/* Traffic but no known period and no heartbeat: stays unknown. */
	assert_int_equal(liveness_seen(lv, 0x0007, T0), 0);
	mesh_timers_advance(&timers, T0 + 10000000);
	assert_int_equal(node(0x0007)->state, LIVENESS_UNKNOWN);
	assert_int_equal(n_events, 0);

	/* A heartbeat: online, then the default window applies. */
	heartbeat(0x0007, 3, 3, 0, 0);
	assert_int_equal(node(0x0007)->state, LIVENESS_ONLINE);
	assert_int_equal(liveness_window_ms(lv, node(0x0007)), 60000);
	mesh_timers_advance(&timers, T0 + 10000000 + 59999);
	assert_int_equal(node(0x0007)->state, LIVENESS_ONLINE);
	mesh_timers_advance(&timers, T0 + 10000000 + 60000);
	assert_int_equal(node(0x0007)->state, LIVENESS_OFFLINE);
}

static void test_period_known_never_heard(void **state)
{
	(void)state;
	liveness_set_period(lv, 0x0009, 4000);
	mesh_timers_advance(&timers, T0 + 11999);
	assert_int_equal(node(0x0009)->state, LIVENESS_UNKNOWN);
	mesh_timers_advance(&timers, T0 + 12000);
	assert_int_equal(node(0x0009)->state, LIVENESS_OFFLINE);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].type, LIVENESS_EV_OFFLINE);
}

static void test_period_change_recounts(void **state)
{
	(void)state;
	liveness_set_period(lv, 0x0005, 10000);
	heartbeat(0x0005, 5, 5, 0, 0);
	mesh_timers_advance(&timers, T0 + 5000);
	/* Shorter period: the window counts from the last heartbeat (at T0). */
	liveness_set_period(lv, 0x0005, 2000);
	assert_int_equal(mesh_timers_next_delay(&timers), 1000);
	mesh_timers_advance(&timers, T0 + 6000);
	assert_int_equal(node(0x0005)->state, LIVENESS_OFFLINE);
	/* Again from a heartbeat at T0 + 6000, and back to the default window. */
	heartbeat(0x0005, 5, 5, 0, 0);
	mesh_timers_advance(&timers, T0 + 60000);
	assert_int_equal(node(0x0005)->state, LIVENESS_OFFLINE);
	heartbeat(0x0005, 5, 5, 0, 0);
	liveness_set_period(lv, 0x0005, 0); /* default window 60 s now */
	mesh_timers_advance(&timers, T0 + 60000 + 59999);
	assert_int_equal(node(0x0005)->state, LIVENESS_ONLINE);
}

/* A node watched for a long time without a period, then configured to
 * publish heartbeats: it gets a whole window from the configuration, not
 * one counted from when watching began (which would be over already). */
static void test_period_set_later_gets_a_window(void **state)
{
	(void)state;
	liveness_set_period(lv, 0x0007, 0);
	mesh_timers_advance(&timers, T0 + 100000);
	liveness_set_period(lv, 0x0007, 2000);
	mesh_timers_advance(&timers, T0 + 100000 + 5999);
	assert_int_equal(node(0x0007)->state, LIVENESS_UNKNOWN);
	assert_int_equal(count_events(LIVENESS_EV_OFFLINE), 0);
	mesh_timers_advance(&timers, T0 + 100000 + 6000);
	assert_int_equal(node(0x0007)->state, LIVENESS_OFFLINE);
}

static void test_features_changed(void **state)
{
	(void)state;
	heartbeat(0x0005, 5, 5, MESH_FEAT_RELAY | MESH_FEAT_PROXY, 0);
	heartbeat(0x0005, 5, 5, MESH_FEAT_RELAY | MESH_FEAT_PROXY, 0);
	assert_int_equal(count_events(LIVENESS_EV_FEATURES_CHANGED), 0);
	assert_int_equal(node(0x0005)->features, MESH_FEAT_RELAY | MESH_FEAT_PROXY);

	/* A triggered heartbeat: proxy turned off. */
	n_events = 0;
	heartbeat(0x0005, 5, 5, MESH_FEAT_RELAY, 0);
	assert_int_equal(n_events, 2);
	assert_int_equal(events[0].type, LIVENESS_EV_FEATURES_CHANGED);
	assert_int_equal(events[0].features, MESH_FEAT_RELAY);
	assert_int_equal(events[0].old_features, MESH_FEAT_RELAY | MESH_FEAT_PROXY);
	assert_int_equal(events[1].type, LIVENESS_EV_HEARTBEAT);
	assert_int_equal(node(0x0005)->features, MESH_FEAT_RELAY);
}

static void test_last_seen(void **state)
{
	(void)state;
	heartbeat(0x0005, 5, 5, 0, 0);
	wall_ms = WALL0 + 7000;
	assert_int_equal(liveness_seen(lv, 0x0005, T0 + 7000), 0);
	assert_int_equal(node(0x0005)->last_seen_wall_ms, WALL0 + 7000);
	assert_int_equal(node(0x0005)->last_heartbeat_wall_ms, WALL0);
	assert_int_equal(node(0x0005)->count, 1);
	assert_int_equal(n_events, 2); /* seen alone tells nothing */
}

static void forget_on_offline(const struct liveness_event *ev)
{
	if (ev->type == LIVENESS_EV_OFFLINE)
		assert_int_equal(liveness_forget(lv, ev->node->addr), 0);
}

static void test_forget(void **state)
{
	(void)state;
	hook = forget_on_offline;
	liveness_set_period(lv, 0x0002, 1000);
	liveness_set_period(lv, 0x0003, 1000);
	liveness_set_period(lv, 0x0004, 1000);
	heartbeat(0x0002, 5, 5, 0, 0);
	heartbeat(0x0003, 5, 5, 0, 0);
	heartbeat(0x0004, 5, 5, 0, 0);
	assert_int_equal(liveness_count(lv), 3);
	assert_int_equal(liveness_forget(lv, 0x0003), 0);
	assert_null(liveness_find(lv, 0x0003));
	assert_int_equal(liveness_at(lv, 1)->addr, 0x0004);
	/* Forgetting from inside the OFFLINE event of each. */
	mesh_timers_advance(&timers, T0 + 3000);
	assert_int_equal(count_events(LIVENESS_EV_OFFLINE), 2);
	assert_int_equal(liveness_count(lv), 0);
	assert_int_equal(mesh_timers_next_delay(&timers), -1);
}

/* --- the file ------------------------------------------------------------ */

static int setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_liveness.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return setup(state);
}

static void remove_file(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
}

static int teardown_dir(void **state)
{
	remove_file("liveness.json");
	remove_file("liveness.json.bak");
	rmdir(tmpdir);
	return teardown(state);
}

static void write_file(const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/liveness.json", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_save_load_round_trip(void **state)
{
	char err[512], path[128];
	const struct liveness_node *n;
	struct stat st;

	(void)state;
	liveness_set_period(lv, 0x0005, 10000);
	liveness_set_period(lv, 0x0006, 10000);
	heartbeat(0x0005, 7, 4, MESH_FEAT_RELAY, -60);
	heartbeat(0x0005, 7, 6, MESH_FEAT_RELAY, -60);
	heartbeat(0x0006, 7, 7, 0, -60);
	wall_ms = WALL0 + 500;
	liveness_seen(lv, 0x0005, T0);
	liveness_seen(lv, 0x0100, T0);  /* seen, never a heartbeat */
	mesh_timers_advance(&timers, T0 + 10000);
	heartbeat(0x0005, 7, 4, MESH_FEAT_RELAY, -60);
	mesh_timers_advance(&timers, T0 + 30000);  /* 0x0006 went offline */
	assert_int_equal(node(0x0006)->state, LIVENESS_OFFLINE);
	assert_int_equal(liveness_save(lv, tmpdir, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/liveness.json", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A restart: a new clock, periods set from the database first. */
	liveness_destroy(lv);
	mesh_timers_init(&timers, 500);
	lv = liveness_create(&timers, &config);
	n_events = 0;
	liveness_set_period(lv, 0x0005, 20000);
	assert_int_equal(liveness_load(lv, tmpdir, 500, err, sizeof(err)), 0);
	assert_int_equal(liveness_count(lv), 3);
	n = node(0x0005);
	assert_int_equal(n->state, LIVENESS_ONLINE);
	assert_int_equal(n->period_ms, 20000);      /* kept */
	assert_int_equal(n->count, 3);
	assert_int_equal(n->min_hops, 2);
	assert_int_equal(n->max_hops, 4);
	assert_true(n->has_features);
	assert_int_equal(n->features, MESH_FEAT_RELAY);
	assert_int_equal(n->last_seen_wall_ms, WALL0 + 500);
	assert_int_equal(n->last_heartbeat_wall_ms, WALL0 + 500);
	n = node(0x0006);
	assert_int_equal(n->state, LIVENESS_OFFLINE);
	assert_int_equal(n->last_heartbeat_wall_ms, WALL0);
	n = node(0x0100);
	assert_int_equal(n->state, LIVENESS_UNKNOWN);
	assert_int_equal(n->count, 0);
	assert_false(n->has_features);
	assert_int_equal(n->last_heartbeat_wall_ms, 0);
	assert_int_equal(n_events, 0);  /* a load is no news */

	/* The online node gets one window from the load to prove itself. */
	mesh_timers_advance(&timers, 500 + 60000 - 1);
	assert_int_equal(node(0x0005)->state, LIVENESS_ONLINE);
	mesh_timers_advance(&timers, 500 + 60000);
	assert_int_equal(node(0x0005)->state, LIVENESS_OFFLINE);
	assert_int_equal(n_events, 1);

	/* Saved again, the text is the same as a fresh export of it. */
	assert_int_equal(liveness_save(lv, tmpdir, err, sizeof(err)), 0);
}

static void test_missing_file(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(liveness_load(lv, tmpdir, T0, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "liveness.json"));
}

struct damaged {
	const char *text;
	const char *where;   /* expected in the message after the file name */
};

static const struct damaged damaged_files[] = {
	{ "{\"nodes\": [", ":1:" },
	{ "[]", "expected a JSON object" },
	{ "{}", ": nodes: required member is missing" },
	{ "{\"nodes\": {}}", ": nodes: expected an array" },
	{ "{\"nodes\": [], \"extra\": 1}", "unknown member \"extra\"" },
	{ "{\"nodes\": [1]}", ": nodes[0]: expected an object" },
	{ "{\"nodes\": [{\"state\": \"online\", \"count\": 1, \"features\": 0}]}",
	  ": nodes[0].address: required member is missing" },
	{ "{\"nodes\": [{\"address\": \"C000\", \"state\": \"unknown\", \"count\": 0}]}",
	  ": nodes[0].address: \"C000\" is not a unicast address" },
	{ "{\"nodes\": [{\"address\": \"05\", \"state\": \"unknown\", \"count\": 0}]}",
	  ": nodes[0].address: \"05\" is not an address" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"up\", \"count\": 0}]}",
	  ": nodes[0].state: \"up\" is not" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"unknown\", \"count\": -1}]}",
	  ": nodes[0].count: -1 is out of range" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"unknown\", \"count\": \"1\"}]}",
	  ": nodes[0].count: expected an integer, got a string" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"online\", \"count\": 2, "
	  "\"features\": 1, \"minHops\": 5, \"maxHops\": 3}]}",
	  ": nodes[0].minHops: 5 is above maxHops 3" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"online\", \"count\": 2, "
	  "\"features\": 1, \"minHops\": 5}]}",
	  ": nodes[0].maxHops: required member is missing" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"online\", \"count\": 2, "
	  "\"features\": 1, \"minHops\": 1, \"maxHops\": 129}]}",
	  ": nodes[0].maxHops: 129 is out of range" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"online\", \"count\": 0}]}",
	  ": nodes[0].state: count 0 contradicts being online" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"offline\", \"count\": 3}]}",
	  ": nodes[0].features: required member is missing" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"offline\", \"count\": 1, "
	  "\"features\": 65536}]}",
	  ": nodes[0].features: 65536 is out of range" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"offline\", \"count\": 0, "
	  "\"lastHeartbeat\": 5}]}",
	  ": nodes[0].count: count 0 contradicts lastHeartbeat" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"offline\", \"count\": 0, "
	  "\"lastSeen\": 0}]}",
	  ": nodes[0].lastSeen: 0 is out of range" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"unknown\", \"count\": 0}, "
	  "{\"address\": \"0005\", \"state\": \"unknown\", \"count\": 0}]}",
	  ": nodes[1].address: \"0005\" appears twice (first at nodes[0])" },
	{ "{\"nodes\": [{\"address\": \"0005\", \"state\": \"unknown\", \"count\": 0, "
	  "\"count\": 0}]}",
	  ":1:" },
};

static void test_damaged_files_refused(void **state)
{
	char err[512], expected[256], path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/liveness.json", tmpdir);
	heartbeat(0x0005, 5, 5, MESH_FEAT_PROXY, 0);
	for (size_t i = 0; i < sizeof(damaged_files) / sizeof(damaged_files[0]); i++) {
		write_file(damaged_files[i].text);
		assert_int_equal(liveness_load(lv, tmpdir, T0, err, sizeof(err)), -EINVAL);
		/* The file first, then where in it. */
		if (strncmp(err, path, strlen(path)) != 0 ||
		    !strstr(err + strlen(path), damaged_files[i].where)) {
			snprintf(expected, sizeof(expected), "%s...%s", path,
				 damaged_files[i].where);
			print_error("file %zu: got \"%s\", expected \"%s\"\n", i, err, expected);
			fail();
		}
		/* Nothing of it was taken. */
		assert_int_equal(liveness_count(lv), 1);
		assert_int_equal(node(0x0005)->count, 1);
		assert_int_equal(node(0x0005)->features, MESH_FEAT_PROXY);
	}

	/* The refused file is not written over ... */
	assert_int_equal(liveness_save(lv, tmpdir, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, path));
	/* ... until the user removed it. */
	remove_file("liveness.json");
	assert_int_equal(liveness_save(lv, tmpdir, err, sizeof(err)), 0);
	assert_int_equal(liveness_load(lv, tmpdir, T0, err, sizeof(err)), 0);
}

static void test_json_round_trip(void **state)
{
	static const char text[] =
		"{\"nodes\": [{\"address\": \"00ab\", \"state\": \"online\", \"count\": 9, "
		"\"lastSeen\": 1700000000001, \"lastHeartbeat\": 1700000000000, "
		"\"minHops\": 1, \"maxHops\": 128, \"features\": 65535}, "
		"{\"address\": \"0002\", \"state\": \"offline\", \"count\": 0}]}";
	char err[256], *first, *second;
	struct liveness *again;

	(void)state;
	assert_int_equal(liveness_from_json(lv, text, strlen(text), "x.json", T0, err,
					    sizeof(err)), 0);
	assert_int_equal(liveness_count(lv), 2);
	assert_int_equal(liveness_at(lv, 0)->addr, 0x0002);  /* address order */
	assert_int_equal(node(0x00ab)->max_hops, 128);
	assert_int_equal(node(0x00ab)->features, 0xffff);
	first = liveness_to_json(lv);
	assert_non_null(first);
	assert_non_null(strstr(first, "\"00AB\""));
	again = liveness_create(&timers, &config);
	assert_int_equal(liveness_from_json(again, first, strlen(first), "y.json", T0, err,
					    sizeof(err)), 0);
	second = liveness_to_json(again);
	assert_string_equal(first, second);
	free(first);
	free(second);
	liveness_destroy(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hops_min_max_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_online_offline_online, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_factor_and_several_nodes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_period, setup, teardown),
		cmocka_unit_test_setup_teardown(test_period_known_never_heard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_period_set_later_gets_a_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_period_change_recounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load_round_trip, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_missing_file, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_damaged_files_refused, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_json_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
