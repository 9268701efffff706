/*
 * Node liveness from heartbeats (see liveness.h), and its file:
 *
 *   {
 *     "nodes": [
 *       { "address": "0005", "state": "online", "count": 12,
 *         "lastSeen": 1700000123456, "lastHeartbeat": 1700000120000,
 *         "minHops": 1, "maxHops": 4, "features": 3 }
 *     ]
 *   }
 *
 * address, state and count are required; the times (Unix ms) are left
 * out when never known; minHops/maxHops come together; features is there
 * exactly when a heartbeat arrived (count > 0). The loader is as strict as
 * runtime_state.c's: unknown members, duplicate nodes and contradictions
 * are refused with the file and the JSON path named, and nothing of a
 * refused file is taken, so a user can repair it rather than lose it.
 *
 * The table is an array sorted by address (binary search; records move
 * only when nodes are added or removed). One timer serves every node: it
 * is armed for the earliest deadline.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "mesh/access.h"
#include "mesh/addr.h"
#include "mesh/bytes.h"
#include "mesh/heartbeat.h"
#include "mesh/util.h"
#include "json_path.h"
#include "liveness.h"
#include "store.h"

/* Every unicast address once, at ~200 octets each, with room. */
#define LIVENESS_MAX_FILE (16u * 1024u * 1024u)
#define LIVENESS_NODES_MAX 0x7fff
/* InitTTL 127 received with TTL 0. */
#define HOPS_MAX 128
#define PATH_MAX_LEN (4096 + 32)

struct liveness {
	struct mesh_timers *timers;
	struct liveness_config cfg;
	struct mesh_timer timer;
	struct liveness_node *nodes;
	size_t n, cap;
	/* A load refused the file: do not write over it. */
	bool file_refused;
};

static const char *const state_names[] = {
	[LIVENESS_UNKNOWN] = "unknown",
	[LIVENESS_ONLINE] = "online",
	[LIVENESS_OFFLINE] = "offline",
};

const char *liveness_state_name(enum liveness_state s)
{
	return (unsigned int)s < MESH_ARRAY_SIZE(state_names) ? state_names[s] : "unknown";
}

static uint64_t real_wall_clock(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t wall_now(const struct liveness *lv)
{
	return lv->cfg.wall_clock(lv->cfg.ctx);
}

/* --- the table ----------------------------------------------------------- */

/* Index of addr, or where it would go (*found false). */
static size_t search(const struct liveness *lv, uint16_t addr, bool *found)
{
	size_t lo = 0, hi = lv->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (lv->nodes[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < lv->n && lv->nodes[lo].addr == addr;
	return lo;
}

static struct liveness_node *find(struct liveness *lv, uint16_t addr)
{
	bool found;
	size_t i = search(lv, addr, &found);

	return found ? &lv->nodes[i] : NULL;
}

static int reserve(struct liveness *lv, size_t more)
{
	size_t cap = lv->cap ? lv->cap : 16;
	struct liveness_node *grown;

	if (lv->n + more <= lv->cap)
		return 0;
	while (cap < lv->n + more)
		cap *= 2;
	grown = realloc(lv->nodes, cap * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	lv->nodes = grown;
	lv->cap = cap;
	return 0;
}

/* The record of addr, created (unknown, watched from now_ms) if needed. */
static int get_node(struct liveness *lv, uint16_t addr, uint64_t now_ms,
		    struct liveness_node **out)
{
	bool found;
	size_t i;
	struct liveness_node *n;

	if (!mesh_addr_is_unicast(addr))
		return -EINVAL;
	i = search(lv, addr, &found);
	if (!found) {
		if (reserve(lv, 1) < 0)
			return -ENOMEM;
		memmove(&lv->nodes[i + 1], &lv->nodes[i], (lv->n - i) * sizeof(*lv->nodes));
		lv->n++;
		n = &lv->nodes[i];
		memset(n, 0, sizeof(*n));
		n->addr = addr;
		n->state = LIVENESS_UNKNOWN;
		n->rssi = MESH_RSSI_UNKNOWN;
		n->window_start_ms = now_ms;
	}
	*out = &lv->nodes[i];
	return 0;
}

/* --- windows ------------------------------------------------------------- */

uint32_t liveness_window_ms(const struct liveness *lv, const struct liveness_node *n)
{
	uint64_t w;

	if (!n->period_ms)
		return lv->cfg.default_window_ms == LIVENESS_WINDOW_NEVER ? 0 :
		       lv->cfg.default_window_ms;
	w = (uint64_t)lv->cfg.window_factor * n->period_ms;
	return w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

static void update_deadline(const struct liveness *lv, struct liveness_node *n)
{
	uint32_t w = liveness_window_ms(lv, n);

	n->deadline_ms = 0;
	if (n->state == LIVENESS_OFFLINE || !w)
		return;
	/* Unknown nodes are only given up on when they should be publishing. */
	if (n->state == LIVENESS_UNKNOWN && !n->period_ms)
		return;
	n->deadline_ms = n->window_start_ms + w;
}

static void rearm(struct liveness *lv)
{
	uint64_t earliest = 0, now;

	for (size_t i = 0; i < lv->n; i++) {
		uint64_t d = lv->nodes[i].deadline_ms;

		if (d && (!earliest || d < earliest))
			earliest = d;
	}
	if (!earliest) {
		mesh_timer_stop(lv->timers, &lv->timer);
		return;
	}
	now = mesh_timers_now(lv->timers);
	if (earliest <= now)
		mesh_timer_start(lv->timers, &lv->timer, 0);
	else if (earliest - now > UINT32_MAX)
		mesh_timer_start(lv->timers, &lv->timer, UINT32_MAX);
	else
		mesh_timer_start(lv->timers, &lv->timer, (uint32_t)(earliest - now));
}

/* Callbacks may change the table: look the node up again each time. */
static void emit(struct liveness *lv, enum liveness_event_type type, uint16_t addr,
		 uint16_t old_features)
{
	struct liveness_event ev = { .type = type, .old_features = old_features };

	if (!lv->cfg.event)
		return;
	ev.node = find(lv, addr);
	if (ev.node)
		lv->cfg.event(lv->cfg.ctx, &ev);
}

static struct liveness_node *first_expired(struct liveness *lv, uint64_t now)
{
	for (size_t i = 0; i < lv->n; i++) {
		if (lv->nodes[i].deadline_ms && lv->nodes[i].deadline_ms <= now)
			return &lv->nodes[i];
	}
	return NULL;
}

static void on_timer(struct mesh_timer *t)
{
	struct liveness *lv = MESH_CONTAINER_OF(t, struct liveness, timer);
	uint64_t now = mesh_timers_now(lv->timers);
	struct liveness_node *n;

	while ((n = first_expired(lv, now))) {
		n->state = LIVENESS_OFFLINE;
		n->deadline_ms = 0;
		emit(lv, LIVENESS_EV_OFFLINE, n->addr, 0);
	}
	rearm(lv);
}

/* --- lifetime and updates ------------------------------------------------ */

struct liveness *liveness_create(struct mesh_timers *timers, const struct liveness_config *cfg)
{
	struct liveness *lv;

	if (!timers)
		return NULL;
	lv = calloc(1, sizeof(*lv));
	if (!lv)
		return NULL;
	lv->timers = timers;
	if (cfg)
		lv->cfg = *cfg;
	if (!lv->cfg.window_factor)
		lv->cfg.window_factor = LIVENESS_WINDOW_FACTOR_DEFAULT;
	if (!lv->cfg.default_window_ms)
		lv->cfg.default_window_ms = LIVENESS_DEFAULT_WINDOW_MS;
	if (!lv->cfg.wall_clock)
		lv->cfg.wall_clock = real_wall_clock;
	mesh_timer_init(&lv->timer, on_timer);
	return lv;
}

void liveness_destroy(struct liveness *lv)
{
	if (!lv)
		return;
	mesh_timer_stop(lv->timers, &lv->timer);
	free(lv->nodes);
	free(lv);
}

int liveness_heartbeat(struct liveness *lv, const struct mesh_stack_hb_rx *hb, int8_t rssi,
		       uint64_t now_ms)
{
	struct liveness_node *n;
	uint16_t addr = hb->src, old_features;
	bool features_changed, came_online;
	uint64_t wall;
	int rc = get_node(lv, addr, now_ms, &n);

	if (rc < 0)
		return rc;
	wall = wall_now(lv);
	n->count++;
	n->hops = mesh_heartbeat_hops(&hb->hb, hb->rx_ttl);
	if (n->hops) {
		if (!n->min_hops || n->hops < n->min_hops)
			n->min_hops = n->hops;
		if (n->hops > n->max_hops)
			n->max_hops = n->hops;
	}
	old_features = n->features;
	features_changed = n->has_features && n->features != hb->hb.features;
	n->has_features = true;
	n->features = hb->hb.features;
	n->init_ttl = hb->hb.init_ttl;
	n->rx_ttl = hb->rx_ttl;
	n->rssi = rssi;
	n->net_idx = hb->net_idx;
	n->last_heartbeat_wall_ms = wall;
	n->last_seen_wall_ms = wall;
	came_online = n->state != LIVENESS_ONLINE;
	n->state = LIVENESS_ONLINE;
	n->window_start_ms = now_ms;
	update_deadline(lv, n);
	rearm(lv);

	if (features_changed)
		emit(lv, LIVENESS_EV_FEATURES_CHANGED, addr, old_features);
	if (came_online)
		emit(lv, LIVENESS_EV_ONLINE, addr, 0);
	emit(lv, LIVENESS_EV_HEARTBEAT, addr, 0);
	return 0;
}

int liveness_seen(struct liveness *lv, uint16_t src_primary, uint64_t now_ms)
{
	struct liveness_node *n;
	int rc = get_node(lv, src_primary, now_ms, &n);

	if (rc == 0)
		n->last_seen_wall_ms = wall_now(lv);
	return rc;
}

int liveness_set_period(struct liveness *lv, uint16_t addr, uint32_t period_ms)
{
	struct liveness_node *n;
	int rc = get_node(lv, addr, mesh_timers_now(lv->timers), &n);

	if (rc < 0)
		return rc;
	/* A new or changed publication period gives the node a whole window
	 * from now: it was just configured, and its first heartbeat under
	 * the new period is at most one period away. */
	if (period_ms != n->period_ms && n->state != LIVENESS_ONLINE)
		n->window_start_ms = mesh_timers_now(lv->timers);
	n->period_ms = period_ms;
	update_deadline(lv, n);
	rearm(lv);
	return 0;
}

int liveness_forget(struct liveness *lv, uint16_t addr)
{
	bool found;
	size_t i = search(lv, addr, &found);

	if (!found)
		return -ENOENT;
	memmove(&lv->nodes[i], &lv->nodes[i + 1], (lv->n - i - 1) * sizeof(*lv->nodes));
	lv->n--;
	rearm(lv);
	return 0;
}

const struct liveness_node *liveness_find(const struct liveness *lv, uint16_t addr)
{
	return find((struct liveness *)lv, addr);
}

size_t liveness_count(const struct liveness *lv)
{
	return lv->n;
}

const struct liveness_node *liveness_at(const struct liveness *lv, size_t i)
{
	return i < lv->n ? &lv->nodes[i] : NULL;
}

/* --- reading the file ---------------------------------------------------- */




/* An optional integer member in min..max; *present says if it was there. */
static int get_int(const struct json_file_err *ps, json_t *obj, const char *parent, const char *key,
		   bool required, json_int_t min, json_int_t max, json_int_t *out, bool *present)
{
	char path[JSON_PATH_LEN];
	json_t *value = json_object_get(obj, key);

	json_path_member(path, parent, key);
	*present = value != NULL;
	if (!value)
		return required ? json_file_invalid(ps, path, "required member is missing") : 0;
	if (!json_is_integer(value))
		return json_file_invalid(ps, path, "expected an integer, got %s", json_kind_name(value));
	*out = json_integer_value(value);
	if (*out < min || *out > max)
		return json_file_invalid(ps, path, "%lld is out of range (%lld..%lld)", (long long)*out,
			       (long long)min, (long long)max);
	return 0;
}

static int get_string(const struct json_file_err *ps, json_t *obj, const char *parent, const char *key,
		      json_t **out)
{
	char path[JSON_PATH_LEN];

	json_path_member(path, parent, key);
	*out = json_object_get(obj, key);
	if (!*out)
		return json_file_invalid(ps, path, "required member is missing");
	if (!json_is_string(*out))
		return json_file_invalid(ps, path, "expected a string, got %s", json_kind_name(*out));
	return 0;
}


static int get_address(const struct json_file_err *ps, json_t *obj, const char *parent, uint16_t *out)
{
	char path[JSON_PATH_LEN], quoted[JSON_QUOTE_MAX + 4];
	const char *text;
	uint16_t v = 0;
	json_t *value;
	int rc = get_string(ps, obj, parent, "address", &value);

	if (rc < 0)
		return rc;
	json_path_member(path, parent, "address");
	text = json_string_value(value);
	json_quote_short(text, json_string_length(value), quoted);
	if (json_string_length(value) != 4)
		return json_file_invalid(ps, path, "\"%s\" is not an address of 4 hexadecimal digits", quoted);
	for (size_t i = 0; i < 4; i++) {
		int d = mesh_hex_digit(text[i]);

		if (d < 0)
			return json_file_invalid(ps, path, "\"%s\" is not an address of 4 hexadecimal digits",
				       quoted);
		v = (uint16_t)(v << 4 | d);
	}
	if (!mesh_addr_is_unicast(v))
		return json_file_invalid(ps, path, "\"%s\" is not a unicast address", quoted);
	*out = v;
	return 0;
}

static int get_state(const struct json_file_err *ps, json_t *obj, const char *parent,
		     enum liveness_state *out)
{
	char path[JSON_PATH_LEN], quoted[JSON_QUOTE_MAX + 4];
	json_t *value;
	int rc = get_string(ps, obj, parent, "state", &value);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(state_names); i++) {
		if (strcmp(json_string_value(value), state_names[i]) == 0 &&
		    strlen(state_names[i]) == json_string_length(value)) {
			*out = (enum liveness_state)i;
			return 0;
		}
	}
	json_path_member(path, parent, "state");
	json_quote_short(json_string_value(value), json_string_length(value), quoted);
	return json_file_invalid(ps, path, "\"%s\" is not \"unknown\", \"online\" or \"offline\"", quoted);
}

/* What a file says about one node; applied only when all of it is good. */
struct loaded {
	uint16_t addr;
	enum liveness_state state;
	uint64_t count, last_seen, last_heartbeat;
	unsigned int min_hops, max_hops;
	bool has_features;
	uint16_t features;
};

static int check_consistent(const struct json_file_err *ps, const char *path, const struct loaded *l)
{
	char where[JSON_PATH_LEN];

	if (l->min_hops > l->max_hops) {
		json_path_member(where, path, "minHops");
		return json_file_invalid(ps, where, "%u is above maxHops %u", l->min_hops, l->max_hops);
	}
	if (l->count && !l->has_features) {
		json_path_member(where, path, "features");
		return json_file_invalid(ps, where, "required member is missing (count is %llu)",
			       (unsigned long long)l->count);
	}
	if (l->count)
		return 0;
	/* No heartbeat ever: nothing a heartbeat tells can be there. */
	if (l->has_features || l->max_hops || l->last_heartbeat || l->state == LIVENESS_ONLINE) {
		json_path_member(where, path, l->state == LIVENESS_ONLINE ? "state" : "count");
		return json_file_invalid(ps, where, "count 0 contradicts %s",
			       l->state == LIVENESS_ONLINE ? "being online" :
			       l->has_features ? "features" : l->max_hops ? "hops" :
			       "lastHeartbeat");
	}
	return 0;
}

static int parse_node(const struct json_file_err *ps, json_t *item, const char *path, struct loaded *l)
{
	static const char *const members[] = { "address", "state", "count", "lastSeen",
					       "lastHeartbeat", "minHops", "maxHops",
					       "features", NULL };
	bool has_min, has_max, present;
	json_int_t v;
	int rc;

	memset(l, 0, sizeof(*l));
	if (!json_is_object(item))
		return json_file_invalid(ps, path, "expected an object, got %s", json_kind_name(item));
	rc = json_check_members(ps, item, path, members);
	if (rc == 0)
		rc = get_address(ps, item, path, &l->addr);
	if (rc == 0)
		rc = get_state(ps, item, path, &l->state);
	if (rc == 0)
		rc = get_int(ps, item, path, "count", true, 0, INT64_MAX, &v, &present);
	if (rc < 0)
		return rc;
	l->count = (uint64_t)v;
	rc = get_int(ps, item, path, "lastSeen", false, 1, INT64_MAX, &v, &present);
	if (rc < 0)
		return rc;
	l->last_seen = present ? (uint64_t)v : 0;
	rc = get_int(ps, item, path, "lastHeartbeat", false, 1, INT64_MAX, &v, &present);
	if (rc < 0)
		return rc;
	l->last_heartbeat = present ? (uint64_t)v : 0;
	rc = get_int(ps, item, path, "minHops", false, 1, HOPS_MAX, &v, &has_min);
	if (rc < 0)
		return rc;
	l->min_hops = has_min ? (unsigned int)v : 0;
	rc = get_int(ps, item, path, "maxHops", false, 1, HOPS_MAX, &v, &has_max);
	if (rc < 0)
		return rc;
	l->max_hops = has_max ? (unsigned int)v : 0;
	if (has_min != has_max) {
		char where[JSON_PATH_LEN];

		json_path_member(where, path, has_min ? "maxHops" : "minHops");
		return json_file_invalid(ps, where, "required member is missing (minHops and maxHops "
			       "come together)");
	}
	rc = get_int(ps, item, path, "features", false, 0, 0xffff, &v, &l->has_features);
	if (rc < 0)
		return rc;
	l->features = l->has_features ? (uint16_t)v : 0;
	return check_consistent(ps, path, l);
}

static int check_unique(const struct json_file_err *ps, const struct loaded *l, size_t n)
{
	uint8_t seen[0x10000 / 8] = { 0 };

	for (size_t i = 0; i < n; i++) {
		uint16_t a = l[i].addr;
		char path[JSON_PATH_LEN];
		size_t first = 0;

		if (!(seen[a / 8] & (1u << (a % 8)))) {
			seen[a / 8] |= (uint8_t)(1u << (a % 8));
			continue;
		}
		while (l[first].addr != a)
			first++;
		snprintf(path, sizeof(path), "nodes[%zu].address", i);
		return json_file_invalid(ps, path, "\"%04X\" appears twice (first at nodes[%zu])", a, first);
	}
	return 0;
}

static int parse_root(const struct json_file_err *ps, json_t *root, struct loaded **out, size_t *n_out)
{
	static const char *const members[] = { "nodes", NULL };
	struct loaded *l;
	json_t *nodes, *item;
	size_t i, n;
	int rc;

	if (!json_is_object(root))
		return json_file_invalid(ps, NULL, "expected a JSON object at the top level, got %s",
			       json_kind_name(root));
	rc = json_check_members(ps, root, NULL, members);
	if (rc < 0)
		return rc;
	nodes = json_object_get(root, "nodes");
	if (!nodes)
		return json_file_invalid(ps, "nodes", "required member is missing");
	if (!json_is_array(nodes))
		return json_file_invalid(ps, "nodes", "expected an array, got %s", json_kind_name(nodes));
	n = json_array_size(nodes);
	if (n > LIVENESS_NODES_MAX)
		return json_file_invalid(ps, "nodes", "%zu entries, at most %d", n, LIVENESS_NODES_MAX);
	l = calloc(n ? n : 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	json_array_foreach(nodes, i, item) {
		char path[JSON_PATH_LEN];

		json_path_item(path, "nodes", i);
		rc = parse_node(ps, item, path, &l[i]);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		rc = check_unique(ps, l, n);
	if (rc < 0) {
		free(l);
		return rc;
	}
	*out = l;
	*n_out = n;
	return 0;
}

/* Nothing can fail once this starts: room was reserved. */
static void apply(struct liveness *lv, const struct loaded *l, size_t n, uint64_t now_ms)
{
	for (size_t i = 0; i < n; i++) {
		struct liveness_node *node;
		uint32_t period;

		if (get_node(lv, l[i].addr, now_ms, &node) < 0)
			continue;
		period = node->period_ms;
		memset(node, 0, sizeof(*node));
		node->addr = l[i].addr;
		node->state = l[i].state;
		node->period_ms = period;
		node->count = l[i].count;
		node->min_hops = l[i].min_hops;
		node->max_hops = l[i].max_hops;
		node->has_features = l[i].has_features;
		node->features = l[i].features;
		node->rssi = MESH_RSSI_UNKNOWN;
		node->last_seen_wall_ms = l[i].last_seen;
		node->last_heartbeat_wall_ms = l[i].last_heartbeat;
		/* Online nodes must prove themselves within one window. */
		node->window_start_ms = now_ms;
		update_deadline(lv, node);
	}
	rearm(lv);
}

int liveness_from_json(struct liveness *lv, const char *text, size_t len, const char *name,
		       uint64_t now_ms, char *err, size_t errlen)
{
	struct json_file_err ps = { .name = name ? name : LIVENESS_FILE, .err = err, .errlen = errlen };
	struct loaded *l = NULL;
	json_error_t jerr;
	json_t *root;
	size_t n = 0;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (err && errlen && jerr.line > 0)
			snprintf(err, errlen, "%s:%d:%d: JSON syntax: %s", ps.name, jerr.line,
				 jerr.column, jerr.text);
		else
			json_file_invalid(&ps, NULL, "JSON syntax: %s", jerr.text);
		return -EINVAL;
	}
	rc = parse_root(&ps, root, &l, &n);
	json_decref(root);
	if (rc == -ENOMEM)
		json_file_invalid(&ps, NULL, "out of memory");
	if (rc < 0)
		return rc;
	if (reserve(lv, n) < 0) {
		free(l);
		json_file_invalid(&ps, NULL, "out of memory");
		return -ENOMEM;
	}
	apply(lv, l, n, now_ms);
	free(l);
	return 0;
}

/* --- writing ------------------------------------------------------------- */

static int set_time(json_t *obj, const char *key, uint64_t ms)
{
	if (!ms)
		return 0;
	return json_object_set_new(obj, key, json_integer(ms > INT64_MAX ? INT64_MAX :
							  (json_int_t)ms));
}

static json_t *node_json(const struct liveness_node *n)
{
	json_t *obj = json_object();
	char addr[5];
	bool ok;

	snprintf(addr, sizeof(addr), "%04X", n->addr);
	ok = obj && json_object_set_new(obj, "address", json_string(addr)) == 0 &&
	     json_object_set_new(obj, "state", json_string(liveness_state_name(n->state))) == 0 &&
	     json_object_set_new(obj, "count", json_integer(n->count > INT64_MAX ? INT64_MAX :
							     (json_int_t)n->count)) == 0 &&
	     set_time(obj, "lastSeen", n->last_seen_wall_ms) == 0 &&
	     set_time(obj, "lastHeartbeat", n->last_heartbeat_wall_ms) == 0;
	if (ok && n->max_hops)
		ok = json_object_set_new(obj, "minHops", json_integer(n->min_hops)) == 0 &&
		     json_object_set_new(obj, "maxHops", json_integer(n->max_hops)) == 0;
	if (ok && n->has_features)
		ok = json_object_set_new(obj, "features", json_integer(n->features)) == 0;
	if (!ok) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

char *liveness_to_json(const struct liveness *lv)
{
	json_t *root = json_object(), *nodes = json_array();
	char *text = NULL;
	bool ok;

	/* nodes is shared (json_object_set) and let go below on every path. */
	ok = root && nodes && json_object_set(root, "nodes", nodes) == 0;
	for (size_t i = 0; ok && i < lv->n; i++)
		ok = json_array_append_new(nodes, node_json(&lv->nodes[i])) == 0;
	if (ok)
		text = json_file_text(root);
	json_decref(nodes);
	json_decref(root);
	return text;
}

/* --- files --------------------------------------------------------------- */

static int file_path(char *out, size_t outlen, const char *dir, char *err, size_t errlen)
{
	int n = snprintf(out, outlen, "%s/%s", dir, LIVENESS_FILE);

	if (n >= 0 && (size_t)n < outlen)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "%s: directory name too long", dir);
	return -ENAMETOOLONG;
}

int liveness_load(struct liveness *lv, const char *dir, uint64_t now_ms, char *err,
		  size_t errlen)
{
	char path[PATH_MAX_LEN], *text;
	size_t len;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	rc = file_path(path, sizeof(path), dir, err, errlen);
	if (rc < 0)
		return rc;
	rc = store_read(path, LIVENESS_MAX_FILE, &text, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = liveness_from_json(lv, text, len, path, now_ms, err, errlen);
	free(text);
	lv->file_refused = rc == -EINVAL;
	return rc;
}

int liveness_save(struct liveness *lv, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX_LEN], *text;
	struct stat st;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	rc = file_path(path, sizeof(path), dir, err, errlen);
	if (rc < 0)
		return rc;
	if (lv->file_refused) {
		if (lstat(path, &st) == 0) {
			if (err && errlen)
				snprintf(err, errlen, "%s: not overwritten: it could not be loaded; "
					 "repair or remove it", path);
			return -EEXIST;
		}
		lv->file_refused = false;
	}
	text = liveness_to_json(lv);
	if (!text) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	rc = store_write(path, text, strlen(text), 0600, true, err, errlen);
	free(text);
	return rc;
}
