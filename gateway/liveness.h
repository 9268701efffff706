/*
 * Liveness of the nodes of the network, from their heartbeats.
 *
 * A node that publishes heartbeats every P milliseconds is online while
 * they keep coming and offline once none arrived for `window_factor` x P
 * (default 3: one or two lost heartbeats are normal on a radio network,
 * three in a row are not). The gateway sets P per node from the
 * database's heartbeat publication (liveness_set_period); a node whose
 * period is not known stays UNKNOWN until a heartbeat arrives, and then
 * uses default_window_ms. Only heartbeats change the state: other traffic
 * updates last_seen, which is shown, but a node answering requests while
 * its heartbeats stopped is a configuration problem worth seeing.
 *
 * Per node it also keeps what heartbeats tell about the path and the node:
 * hops (InitTTL - RxTTL + 1), their minimum and maximum, how many arrived,
 * the features a heartbeat reports (a change is an event: triggered
 * heartbeats announce a feature turned on or off, and the node's feature
 * record in the database should follow), the TTLs and the RSSI.
 *
 * Times: now_ms arguments and deadlines are on the clock of the timer
 * queue given to liveness_create() (pass mesh_timers_now()); the record's
 * *_wall_ms fields are Unix milliseconds from the wall clock function,
 * for display and for the file, since a monotonic clock means nothing
 * after a restart.
 *
 * The state survives restarts in dir/liveness.json (see liveness.c for
 * the format). After a load, a node that was online gets a new window
 * counted from the load: its heartbeats kept coming or stopped while we
 * were down, and we cannot know which, so it keeps its state until it
 * has had one window to prove itself. Offline and unknown nodes stay so.
 */
#ifndef GATEWAY_LIVENESS_H
#define GATEWAY_LIVENESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/stack.h"
#include "mesh/timer.h"

#define LIVENESS_FILE "liveness.json"
#define LIVENESS_WINDOW_FACTOR_DEFAULT 3u
/* For nodes without a known heartbeat period. */
#define LIVENESS_DEFAULT_WINDOW_MS (15u * 60u * 1000u)
/* default_window_ms: such nodes never go offline once heard. */
#define LIVENESS_WINDOW_NEVER UINT32_MAX

enum liveness_state {
	LIVENESS_UNKNOWN,
	LIVENESS_ONLINE,
	LIVENESS_OFFLINE,
};

enum liveness_event_type {
	LIVENESS_EV_ONLINE,           /* first heartbeat, or heartbeats resumed */
	LIVENESS_EV_OFFLINE,          /* no heartbeat for a whole window */
	LIVENESS_EV_FEATURES_CHANGED, /* a heartbeat reports other features than before */
	LIVENESS_EV_HEARTBEAT,        /* every heartbeat, after the ones above */
};

struct liveness_node {
	uint16_t addr;                /* primary element */
	enum liveness_state state;
	uint32_t period_ms;           /* heartbeat publication period; 0 unknown */

	/* From heartbeats (count 0: none of these are known). */
	uint64_t count;
	unsigned int hops;            /* last; 0: not since start, or bogus TTLs */
	unsigned int min_hops, max_hops; /* 0: none known yet */
	bool has_features;
	uint16_t features;            /* MESH_FEAT_* as last reported */
	uint8_t init_ttl, rx_ttl;     /* of the last heartbeat */
	int8_t rssi;                  /* of the last heartbeat, or MESH_RSSI_UNKNOWN */
	uint16_t net_idx;             /* subnet of the last heartbeat */

	/* Unix ms; 0: never. */
	uint64_t last_heartbeat_wall_ms;
	uint64_t last_seen_wall_ms;   /* any authenticated traffic, heartbeats included */

	/* Monotonic (timer queue clock). */
	uint64_t window_start_ms;     /* last heartbeat, or since when we watch */
	uint64_t deadline_ms;         /* goes offline at this time; 0: no deadline */
};

struct liveness_event {
	enum liveness_event_type type;
	const struct liveness_node *node; /* valid during the callback only */
	uint16_t old_features;            /* FEATURES_CHANGED */
};

struct liveness_config {
	unsigned int window_factor;   /* 0: LIVENESS_WINDOW_FACTOR_DEFAULT */
	uint32_t default_window_ms;   /* 0: LIVENESS_DEFAULT_WINDOW_MS */
	/* Unix ms; NULL: the system's real-time clock. */
	uint64_t (*wall_clock)(void *ctx);
	/* May call any liveness_* function but liveness_destroy. */
	void (*event)(void *ctx, const struct liveness_event *ev);
	void *ctx;
};

struct liveness;

/* NULL when out of memory. cfg may be NULL (defaults, no events). */
struct liveness *liveness_create(struct mesh_timers *timers, const struct liveness_config *cfg);
void liveness_destroy(struct liveness *lv);

/*
 * A heartbeat from hb->src (the node's primary element). Creates the
 * record if needed. 0, -EINVAL (src not unicast), -ENOMEM.
 */
int liveness_heartbeat(struct liveness *lv, const struct mesh_stack_hb_rx *hb, int8_t rssi,
		       uint64_t now_ms);

/* Authenticated traffic from the node whose primary element is
 * src_primary: updates last_seen only. 0, -EINVAL, -ENOMEM. */
int liveness_seen(struct liveness *lv, uint16_t src_primary, uint64_t now_ms);

/*
 * The node's heartbeat publication period (0: none known). Creates the
 * record if needed; a node with a period that never sends a heartbeat
 * goes offline one window after it was first watched. The window of an
 * online node is recounted from its last heartbeat. 0, -EINVAL, -ENOMEM.
 */
int liveness_set_period(struct liveness *lv, uint16_t addr, uint32_t period_ms);

/* Drop the node's record (node removed). 0 or -ENOENT. */
int liveness_forget(struct liveness *lv, uint16_t addr);

/* The record, or NULL. Valid until the next liveness_* call. */
const struct liveness_node *liveness_find(const struct liveness *lv, uint16_t addr);
/* Records in address order: i < liveness_count(). */
size_t liveness_count(const struct liveness *lv);
const struct liveness_node *liveness_at(const struct liveness *lv, size_t i);

/* The window length for a node (0: it has none, never goes offline). */
uint32_t liveness_window_ms(const struct liveness *lv, const struct liveness_node *n);

/* "unknown", "online", "offline". */
const char *liveness_state_name(enum liveness_state s);

/*
 * Save to dir/liveness.json atomically (mode 0600, previous kept as
 * .bak). Negative errno, err naming the file. After a load refused the
 * file, it is not overwritten (-EEXIST) until the user repaired or
 * removed it: a damaged file is evidence, never replaced silently.
 */
int liveness_save(struct liveness *lv, const char *dir, char *err, size_t errlen);

/*
 * Load dir/liveness.json (see above for windows after a load). -ENOENT if
 * it does not exist; -EINVAL for a damaged file, err naming the file and
 * the JSON path ("/data/liveness.json: nodes[2].maxHops: ..."), and then
 * nothing is loaded. Records of nodes in the file replace what lv has;
 * periods already set are kept.
 */
int liveness_load(struct liveness *lv, const char *dir, uint64_t now_ms, char *err,
		  size_t errlen);

/* The file's text and back (tests, fuzz target). name is used in messages. */
char *liveness_to_json(const struct liveness *lv);
int liveness_from_json(struct liveness *lv, const char *text, size_t len, const char *name,
		       uint64_t now_ms, char *err, size_t errlen);

#endif
