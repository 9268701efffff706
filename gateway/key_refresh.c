/*
 * The Key Refresh procedure (key_refresh.h).
 *
 * A phase is a walk over the database's nodes: the first node the phase
 * still has work for and that was not tried in this phase yet gets one
 * request at a time until it has nothing left (NODE_OK) or one request
 * fails (NODE_FAILED, the walk goes on with the next node). What a node
 * still needs is read from the database every time, as the configure
 * workflow does: a status applied there (cfg_apply.c) is what moves a node
 * on, so a run that stopped, or a late status, is picked up naturally.
 *
 * Request records outlive the walk's interest in them (a late status is
 * still applied) and are freed once their late window has passed, as in
 * configure.c.
 */
#include "gateway/key_refresh.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gateway/cfg_apply.h"
#include "mesh/acked.h"
#include "mesh/err.h"
#include "mesh/log.h"

#define LOG "key-refresh"
#define ITEM_MAX 64

struct kr_request {
	struct gw_key_refresh *owner;
	struct mesh_cfg_msg msg;
	bool final;                      /* a final event was delivered */
	uint64_t final_ms;               /* when */
	struct kr_request *next;
};

/* A node this run gave up on in a phase. */
struct kr_missed {
	uint16_t addr;
	uint8_t phase;
	bool cut_off;                    /* it did not have the new NetKey then */
};

struct gw_key_refresh {
	struct netdb *db;
	struct mesh_timers *timers;
	const struct gw_key_refresh_ops *ops;
	void *ctx;
	bool running;
	uint16_t net_idx;
	uint8_t phase;                   /* 1..3 while running */
	/* this phase */
	unsigned int due;                /* nodes that had work */
	bool heard;                      /* any node answered anything */
	uint16_t *tried;                 /* nodes taken up already */
	size_t n_tried, cap_tried;
	/* the node being worked on (0: none) */
	uint16_t node;
	unsigned int node_sent;          /* requests sent to it in this phase */
	char item[ITEM_MAX];             /* the request on the air, in words */
	char last_item[ITEM_MAX];        /* the request that just succeeded */
	/* this run */
	struct kr_missed *missed;
	size_t n_missed, cap_missed;
	struct gw_key_refresh_report report;
	struct kr_request *current;      /* the request the walk waits for */
	struct kr_request *requests;     /* every record still alive */
};

static const char *const event_names[] = {
	[GW_KEY_REFRESH_PHASE] = "phase",
	[GW_KEY_REFRESH_NODE_OK] = "node ok",
	[GW_KEY_REFRESH_NODE_FAILED] = "node failed",
	[GW_KEY_REFRESH_DONE] = "done",
	[GW_KEY_REFRESH_FAILED] = "failed",
	[GW_KEY_REFRESH_CANCELED] = "canceled",
};

const char *gw_key_refresh_event_name(enum gw_key_refresh_event ev)
{
	return ev <= GW_KEY_REFRESH_CANCELED ? event_names[ev] : "?";
}

/* ---- the database ------------------------------------------------------------ */

static struct netdb_net_key *net_key_find(struct netdb *db, uint16_t index)
{
	for (size_t i = 0; i < db->n_net_keys; i++)
		if (db->net_keys[i].index == index)
			return &db->net_keys[i];
	return NULL;
}

static bool refresh_under_way(const struct netdb_net_key *k)
{
	return (k->phase == 1 || k->phase == 2) && k->has_old_key;
}

static bool is_self(const struct netdb *db, const struct netdb_node *n)
{
	return memcmp(n->uuid, db->self_uuid, sizeof(n->uuid)) == 0;
}

static struct netdb_key_ref *key_ref(struct netdb_key_ref *refs, size_t n, uint16_t index)
{
	for (size_t i = 0; i < n; i++)
		if (refs[i].index == index)
			return &refs[i];
	return NULL;
}

static bool app_key_bound(const struct netdb *db, uint16_t app_idx, uint16_t net_idx)
{
	const struct netdb_app_key *k = netdb_app_key(db, app_idx);

	return k && k->bound_net_key == net_idx;
}

/* The node holds the new NetKey and the new value of each of its AppKeys
 * bound to it (as far as the database knows). */
static bool node_has_new_keys(const struct gw_key_refresh *kr, struct netdb_node *n)
{
	struct netdb_key_ref *net = key_ref(n->net_keys, n->n_net_keys, kr->net_idx);

	if (!net || !net->updated)
		return false;
	for (size_t i = 0; i < n->n_app_keys; i++)
		if (app_key_bound(kr->db, n->app_keys[i].index, kr->net_idx) &&
		    !n->app_keys[i].updated)
			return false;
	return true;
}

/* "updated" only means something during a refresh. */
static void node_flags_set(const struct gw_key_refresh *kr, struct netdb_node *n, bool updated)
{
	struct netdb_key_ref *net = key_ref(n->net_keys, n->n_net_keys, kr->net_idx);

	if (net)
		net->updated = updated;
	for (size_t i = 0; i < n->n_app_keys; i++)
		if (app_key_bound(kr->db, n->app_keys[i].index, kr->net_idx))
			n->app_keys[i].updated = updated;
}

static int save_db(struct gw_key_refresh *kr)
{
	return kr->ops->save(kr->ctx);
}

/* ---- reporting ----------------------------------------------------------------- */

static void node_words(const struct gw_key_refresh *kr, uint16_t addr, char *out, size_t len)
{
	const struct netdb_node *n = netdb_node_by_address(kr->db, addr);

	if (n && n->name[0])
		snprintf(out, len, "'%s' (0x%04x)", n->name, addr);
	else
		snprintf(out, len, "node 0x%04x", addr);
}

static void report_reset(struct gw_key_refresh *kr, enum gw_key_refresh_event ev)
{
	struct gw_key_refresh_report *r = &kr->report;

	r->event = ev;
	r->net_idx = kr->net_idx;
	r->phase = kr->phase;
	r->node = 0;
	r->node_name[0] = '\0';
	r->why[0] = '\0';
}

static void report(struct gw_key_refresh *kr)
{
	if (kr->ops->progress)
		kr->ops->progress(kr->ctx, &kr->report);
}

static void why_append(struct gw_key_refresh_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void why_append(struct gw_key_refresh_report *r, const char *fmt, ...)
{
	size_t used = strlen(r->why);
	va_list ap;

	if (used + 1 >= sizeof(r->why))
		return;
	va_start(ap, fmt);
	vsnprintf(r->why + used, sizeof(r->why) - used, fmt, ap);
	va_end(ap);
}

static bool missed_is_cut_off(const struct gw_key_refresh *kr, uint16_t addr)
{
	for (size_t i = 0; i < kr->n_missed; i++)
		if (kr->missed[i].addr == addr && kr->missed[i].cut_off)
			return true;
	return false;
}

static bool missed_listed_before(const struct gw_key_refresh *kr, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (kr->missed[j].addr == kr->missed[i].addr)
			return true;
	return false;
}

/* The nodes left out, into the report's lists and in words into why; a
 * node goes in one list only. Until the refresh is done, a node without
 * the new NetKey is not cut off yet: a resumed refresh tries it again. */
static void report_left_out(struct gw_key_refresh *kr)
{
	struct gw_key_refresh_report *r = &kr->report;
	const char *cut_words = r->event == GW_KEY_REFRESH_DONE ? "; cut off (no new NetKey): "
								: "; without the new NetKey so far: ";
	char words[NETDB_NAME_MAX + 16];

	r->n_cut_off = r->n_unconfirmed = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < kr->n_missed; i++) {
			uint16_t addr = kr->missed[i].addr;
			bool cut = missed_is_cut_off(kr, addr);

			if (missed_listed_before(kr, i) || cut != (pass == 0))
				continue;
			node_words(kr, addr, words, sizeof(words));
			if (cut) {
				if (r->n_cut_off < GW_KEY_REFRESH_LIST_MAX)
					r->cut_off[r->n_cut_off] = addr;
				why_append(r, "%s%s", r->n_cut_off++ ? ", " : cut_words, words);
			} else {
				if (r->n_unconfirmed < GW_KEY_REFRESH_LIST_MAX)
					r->unconfirmed[r->n_unconfirmed] = addr;
				why_append(r, "%s%s", r->n_unconfirmed++ ? ", "
					   : "; new NetKey but a step not confirmed: ", words);
			}
		}
	}
}

static void stop(struct gw_key_refresh *kr, enum gw_key_refresh_event ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The run ends without completing; the database keeps the phase. */
static void stop(struct gw_key_refresh *kr, enum gw_key_refresh_event ev, const char *fmt, ...)
{
	va_list ap;

	kr->running = false;
	kr->current = NULL;
	kr->node = 0;
	report_reset(kr, ev);
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(kr->report.why, sizeof(kr->report.why), fmt, ap);
		va_end(ap);
	}
	report_left_out(kr);
	if (ev == GW_KEY_REFRESH_FAILED)
		mesh_log_warn(LOG, "NetKey %u: key refresh stopped in phase %u: %s", kr->net_idx,
			      kr->phase, kr->report.why);
	report(kr);
}

/* ---- per-run lists ----------------------------------------------------------- */

static bool u16_push(uint16_t **list, size_t *n, size_t *cap, uint16_t v)
{
	if (*n == *cap) {
		size_t cap2 = *cap ? *cap * 2 : 16;
		uint16_t *grown = realloc(*list, cap2 * sizeof(*grown));

		if (!grown)
			return false;
		*list = grown;
		*cap = cap2;
	}
	(*list)[(*n)++] = v;
	return true;
}

static bool tried(const struct gw_key_refresh *kr, uint16_t addr)
{
	for (size_t i = 0; i < kr->n_tried; i++)
		if (kr->tried[i] == addr)
			return true;
	return false;
}

static void missed_add(struct gw_key_refresh *kr, uint16_t addr, bool cut_off)
{
	if (kr->n_missed == kr->cap_missed) {
		size_t cap2 = kr->cap_missed ? kr->cap_missed * 2 : 8;
		struct kr_missed *grown = realloc(kr->missed, cap2 * sizeof(*grown));

		if (!grown)
			return;  /* only the final list loses it: NODE_FAILED told already */
		kr->missed = grown;
		kr->cap_missed = cap2;
	}
	kr->missed[kr->n_missed].addr = addr;
	kr->missed[kr->n_missed].phase = kr->phase;
	kr->missed[kr->n_missed].cut_off = cut_off;
	kr->n_missed++;
}

/*
 * The node confirmed a phase 2 or 3 step after all, which proves it holds
 * the new NetKey: earlier transitions it missed are made up for, and it is
 * not cut off. What it missed in phase 1 only goes if it now has every
 * new key (a late status, or a retry after a restart).
 */
static void missed_forget(struct gw_key_refresh *kr, uint16_t addr, bool has_new_keys)
{
	size_t out = 0;

	for (size_t i = 0; i < kr->n_missed; i++) {
		struct kr_missed m = kr->missed[i];

		if (m.addr == addr) {
			if (m.phase > 1 || has_new_keys)
				continue;
			m.cut_off = false;
		}
		kr->missed[out++] = m;
	}
	kr->n_missed = out;
}

/* ---- what a node needs ----------------------------------------------------------- */

/* Does the current phase have work for node n? */
static bool node_due(const struct gw_key_refresh *kr, struct netdb_node *n)
{
	struct netdb_key_ref *net;

	if (is_self(kr->db, n) || n->excluded)
		return false;
	net = key_ref(n->net_keys, n->n_net_keys, kr->net_idx);
	if (!net)
		return false;
	if (kr->phase == 1)
		return !node_has_new_keys(kr, n);
	return net->updated;
}

/* Fill req for the node's next request in this phase; false: none left. */
static bool next_item(struct gw_key_refresh *kr, struct netdb_node *n, struct mesh_cfg_msg *req,
		      char *item, size_t len)
{
	struct netdb_key_ref *net = key_ref(n->net_keys, n->n_net_keys, kr->net_idx);

	memset(req, 0, sizeof(*req));
	if (kr->phase > 1) {
		if (kr->node_sent)
			return false;
		req->opcode = MESH_OP_CFG_KRP_SET;
		req->krp.net_idx = kr->net_idx;
		req->krp.phase = kr->phase == 2 ? MESH_CFG_KR_TRANSITION_2 : MESH_CFG_KR_TRANSITION_3;
		snprintf(item, len, "Key Refresh Phase Set %u", req->krp.phase);
		return true;
	}
	if (net && !net->updated) {
		const struct netdb_net_key *k = netdb_net_key(kr->db, kr->net_idx);

		req->opcode = MESH_OP_CFG_NETKEY_UPDATE;
		req->net_key.net_idx = kr->net_idx;
		memcpy(req->net_key.key, k->key, sizeof(req->net_key.key));
		snprintf(item, len, "NetKey Update %u", kr->net_idx);
		return true;
	}
	for (size_t i = 0; i < n->n_app_keys; i++) {
		const struct netdb_app_key *k = netdb_app_key(kr->db, n->app_keys[i].index);

		if (n->app_keys[i].updated || !k || k->bound_net_key != kr->net_idx)
			continue;
		req->opcode = MESH_OP_CFG_APPKEY_UPDATE;
		req->app_key.net_idx = kr->net_idx;
		req->app_key.app_idx = k->index;
		memcpy(req->app_key.key, k->key, sizeof(req->app_key.key));
		snprintf(item, len, "AppKey Update %u", k->index);
		return true;
	}
	return false;
}

/* ---- running ---------------------------------------------------------------- */

static void walk(struct gw_key_refresh *kr);
static void phase_begin(struct gw_key_refresh *kr, uint8_t phase);

static void requests_prune(struct gw_key_refresh *kr)
{
	uint64_t now = mesh_timers_now(kr->timers);

	for (struct kr_request **p = &kr->requests; *p;) {
		struct kr_request *r = *p;

		if (r->final && r != kr->current &&
		    now - r->final_ms > MESH_ACKED_LATE_WINDOW_MS + 1000u) {
			*p = r->next;
			OPENSSL_cleanse(&r->msg, sizeof(r->msg));
			free(r);
			continue;
		}
		p = &r->next;
	}
}

static void on_request_done(void *ctx, enum mesh_acked_event ev, uint16_t src,
			    const struct mesh_cfg_msg *status);

static int send_item(struct gw_key_refresh *kr, const struct mesh_cfg_msg *req)
{
	struct kr_request *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return -ENOMEM;
	r->owner = kr;
	r->msg = *req;
	r->next = kr->requests;
	kr->requests = r;
	kr->current = r;
	kr->node_sent++;
	rc = kr->ops->send(kr->ctx, kr->node, req, on_request_done, r);
	if (rc) {
		if (kr->current == r)
			kr->current = NULL;
		r->final = true;
		r->final_ms = mesh_timers_now(kr->timers);
	}
	return rc;
}

/* Without the new NetKey when the refresh ends, a node is out. */
static bool would_be_cut_off(const struct gw_key_refresh *kr, uint16_t addr)
{
	struct netdb_node *n = netdb_node_by_address(kr->db, addr);
	struct netdb_key_ref *net = n ? key_ref(n->net_keys, n->n_net_keys, kr->net_idx) : NULL;

	return kr->phase == 1 && (!net || !net->updated);
}

/* What it means for the network that the node failed now. */
static const char *consequence(const struct gw_key_refresh *kr, uint16_t addr)
{
	if (would_be_cut_off(kr, addr))
		return "it will be cut off from the network when the refresh completes "
		       "(reset it and provision it again)";
	if (kr->phase == 1)
		return "it has the new NetKey but will lose the AppKeys it did not get when the "
		       "refresh completes";
	return "it has the new keys and should follow the other nodes' secure network beacons";
}

static void node_failed(struct gw_key_refresh *kr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void node_failed(struct gw_key_refresh *kr, const char *fmt, ...)
{
	struct gw_key_refresh_report *r = &kr->report;
	const struct netdb_node *n = netdb_node_by_address(kr->db, kr->node);
	char words[NETDB_NAME_MAX + 16];
	va_list ap;

	report_reset(kr, GW_KEY_REFRESH_NODE_FAILED);
	r->node = kr->node;
	if (n)
		memcpy(r->node_name, n->name, sizeof(r->node_name));
	r->nodes_failed++;
	node_words(kr, kr->node, words, sizeof(words));
	snprintf(r->why, sizeof(r->why), "%s: ", words);
	va_start(ap, fmt);
	vsnprintf(r->why + strlen(r->why), sizeof(r->why) - strlen(r->why), fmt, ap);
	va_end(ap);
	why_append(r, "; %s", consequence(kr, kr->node));
	mesh_log_warn(LOG, "NetKey %u phase %u: %s", kr->net_idx, kr->phase, r->why);
	missed_add(kr, kr->node, would_be_cut_off(kr, kr->node));
	kr->node = 0;
	report(kr);
}

static void node_ok(struct gw_key_refresh *kr, struct netdb_node *n)
{
	struct gw_key_refresh_report *r = &kr->report;

	if (kr->phase > 1)
		missed_forget(kr, n->unicast, node_has_new_keys(kr, n));
	if (kr->phase == 3) {
		/* It dropped the old keys: nothing of this refresh is left to
		 * do for it, even after a restart. */
		node_flags_set(kr, n, false);
		if (save_db(kr))
			mesh_log_error(LOG, "node 0x%04x: end of its refresh not saved", n->unicast);
	}
	report_reset(kr, GW_KEY_REFRESH_NODE_OK);
	r->node = n->unicast;
	memcpy(r->node_name, n->name, sizeof(r->node_name));
	r->nodes_ok++;
	kr->node = 0;
	report(kr);
}

static struct netdb_node *next_node(struct gw_key_refresh *kr)
{
	for (size_t i = 0; i < kr->db->n_nodes; i++) {
		struct netdb_node *n = &kr->db->nodes[i];

		if (node_due(kr, n) && !tried(kr, n->unicast))
			return n;
	}
	return NULL;
}

static int set_db_phase(struct gw_key_refresh *kr, uint8_t phase)
{
	struct netdb_net_key *k = net_key_find(kr->db, kr->net_idx);
	uint8_t before = k->phase;
	int rc;

	k->phase = phase;
	netdb_timestamp_now(k->timestamp);
	rc = save_db(kr);
	if (rc)
		k->phase = before;
	return rc;
}

/* The database and meshgate's own node drop the old keys. If the database
 * cannot be saved the keys are put back as they were (the nodes' cleared
 * "updated" flags are not: in memory they only spare those nodes a
 * repeated transition, and the file on disk still has them). */
static void complete(struct gw_key_refresh *kr)
{
	struct netdb_net_key *k = net_key_find(kr->db, kr->net_idx);
	struct netdb_net_key net_before = *k;
	struct netdb_app_key *apps_before;
	int rc;

	apps_before = malloc((kr->db->n_app_keys ? kr->db->n_app_keys : 1) * sizeof(*apps_before));
	if (!apps_before) {
		stop(kr, GW_KEY_REFRESH_FAILED, "out of memory");
		return;
	}
	memcpy(apps_before, kr->db->app_keys, kr->db->n_app_keys * sizeof(*apps_before));
	k->phase = 0;
	k->has_old_key = false;
	OPENSSL_cleanse(k->old_key, sizeof(k->old_key));
	netdb_timestamp_now(k->timestamp);
	for (size_t i = 0; i < kr->db->n_app_keys; i++) {
		struct netdb_app_key *a = &kr->db->app_keys[i];

		if (a->bound_net_key != kr->net_idx)
			continue;
		a->has_old_key = false;
		OPENSSL_cleanse(a->old_key, sizeof(a->old_key));
	}
	for (size_t i = 0; i < kr->db->n_nodes; i++)
		node_flags_set(kr, &kr->db->nodes[i], false);
	rc = save_db(kr);
	if (rc) {
		*k = net_before;
		memcpy(kr->db->app_keys, apps_before, kr->db->n_app_keys * sizeof(*apps_before));
	}
	OPENSSL_cleanse(&net_before, sizeof(net_before));
	OPENSSL_cleanse(apps_before, kr->db->n_app_keys * sizeof(*apps_before));
	free(apps_before);
	if (rc) {
		stop(kr, GW_KEY_REFRESH_FAILED, "the database could not be saved without the old "
		     "keys; the refresh resumes in phase 2");
		return;
	}
	rc = kr->ops->local_phase(kr->ctx, kr->net_idx, MESH_CFG_KR_TRANSITION_3);
	if (rc) {
		stop(kr, GW_KEY_REFRESH_FAILED, "the database holds only the new keys, but "
		     "meshgate's own node refused to drop the old ones (%s): restart meshgate",
		     mesh_strerror(rc));
		return;
	}
	kr->running = false;
	kr->phase = 0;
	report_reset(kr, GW_KEY_REFRESH_DONE);
	snprintf(kr->report.why, sizeof(kr->report.why), "NetKey %u and its AppKeys refreshed",
		 kr->net_idx);
	report_left_out(kr);
	mesh_log_info(LOG, "%s", kr->report.why);
	report(kr);
}

static void phase_end(struct gw_key_refresh *kr)
{
	int rc;

	switch (kr->phase) {
	case 1:
		/* Nobody answered at all: meshgate's radio rather than the
		 * nodes. Switching now would cut everyone off. */
		if (kr->due && !kr->heard) {
			stop(kr, GW_KEY_REFRESH_FAILED, "no node answered (%u tried): nothing was "
			     "switched to the new keys, the refresh stays in phase 1", kr->due);
			return;
		}
		rc = set_db_phase(kr, 2);
		if (rc) {
			stop(kr, GW_KEY_REFRESH_FAILED, "the database could not be saved in phase 2; "
			     "the refresh stays in phase 1");
			return;
		}
		rc = kr->ops->local_phase(kr->ctx, kr->net_idx, MESH_CFG_KR_TRANSITION_2);
		if (rc) {
			stop(kr, GW_KEY_REFRESH_FAILED, "meshgate's own node refused phase 2: %s",
			     mesh_strerror(rc));
			return;
		}
		phase_begin(kr, 2);
		return;
	case 2:
		phase_begin(kr, 3);
		return;
	default:
		complete(kr);
		return;
	}
}

/* Work on the current node, or take up the next one, until a request is
 * on the air or the phase is over. */
static void walk(struct gw_key_refresh *kr)
{
	struct mesh_cfg_msg req;
	char item[ITEM_MAX];
	struct netdb_node *n;
	int rc;

	requests_prune(kr);
	if (kr->running && !net_key_find(kr->db, kr->net_idx)) {
		stop(kr, GW_KEY_REFRESH_FAILED, "NetKey %u left the network database", kr->net_idx);
		return;
	}
	while (kr->running) {
		if (!kr->node) {
			n = next_node(kr);
			if (!n) {
				phase_end(kr);
				return;
			}
			if (!u16_push(&kr->tried, &kr->n_tried, &kr->cap_tried, n->unicast)) {
				stop(kr, GW_KEY_REFRESH_FAILED, "out of memory");
				return;
			}
			kr->node = n->unicast;
			kr->node_sent = 0;
			kr->last_item[0] = '\0';
			kr->due++;
		}
		n = netdb_node_by_address(kr->db, kr->node);
		if (!n || n->unicast != kr->node) {
			kr->node = 0;  /* removed meanwhile: nothing to do for it */
			continue;
		}
		if (!next_item(kr, n, &req, item, sizeof(item))) {
			node_ok(kr, n);
			continue;
		}
		if (strcmp(item, kr->last_item) == 0) {
			node_failed(kr, "%s: the node answered Success, but its status does not "
				    "say the key was taken", item);
			continue;
		}
		memcpy(kr->item, item, sizeof(item));
		rc = send_item(kr, &req);
		OPENSSL_cleanse(&req, sizeof(req));
		if (rc)
			stop(kr, GW_KEY_REFRESH_FAILED, "%s to 0x%04x not sent: %s", item, kr->node,
			     rc == -ENOMEM ? "out of memory" : mesh_strerror(rc));
		return;
	}
}

static void phase_begin(struct gw_key_refresh *kr, uint8_t phase)
{
	kr->phase = phase;
	kr->due = 0;
	kr->heard = false;
	kr->n_tried = 0;
	kr->node = 0;
	report_reset(kr, GW_KEY_REFRESH_PHASE);
	kr->report.nodes_ok = kr->report.nodes_failed = 0;
	mesh_log_info(LOG, "NetKey %u: key refresh phase %u", kr->net_idx, phase);
	report(kr);
	walk(kr);
}

static uint8_t status_code(const struct mesh_cfg_msg *st)
{
	switch (st->opcode) {
	case MESH_OP_CFG_NETKEY_STATUS: return st->net_key.status;
	case MESH_OP_CFG_APPKEY_STATUS: return st->app_key.status;
	case MESH_OP_CFG_KRP_STATUS: return st->krp.status;
	default: return MESH_CFG_UNSPECIFIED_ERROR;  /* cannot answer our requests */
	}
}

static void on_status(struct gw_key_refresh *kr, const struct mesh_cfg_msg *st, int applied,
		      const char *why)
{
	uint8_t code = status_code(st);
	uint8_t want_phase = kr->phase == 2 ? MESH_CFG_KR_PHASE_2 : MESH_CFG_KR_PHASE_NORMAL;

	kr->heard = true;
	if (code != MESH_CFG_SUCCESS) {
		node_failed(kr, "%s: %s", kr->item, mesh_cfg_status_str(code));
	} else if (applied < 0) {
		node_failed(kr, "%s: %s", kr->item, why ? why : "the status cannot be recorded");
	} else if (st->opcode == MESH_OP_CFG_KRP_STATUS && st->krp.phase != want_phase) {
		node_failed(kr, "%s: the node reports phase %u", kr->item, st->krp.phase);
	} else {
		memcpy(kr->last_item, kr->item, sizeof(kr->item));
	}
	walk(kr);
}

static void on_request_done(void *ctx, enum mesh_acked_event ev, uint16_t src,
			    const struct mesh_cfg_msg *status)
{
	struct kr_request *r = ctx;
	struct gw_key_refresh *kr = r->owner;
	const char *why = NULL;
	int rc = 0;

	if ((ev == MESH_ACKED_STATUS || ev == MESH_ACKED_LATE) && status) {
		rc = gw_cfg_apply(kr->db, src, &r->msg, status, &why);
		if (rc == GW_CFG_CHANGED && save_db(kr))
			mesh_log_error(LOG, "node 0x%04x: the database could not be saved", src);
	}
	if (ev == MESH_ACKED_LATE) {
		mesh_log_info(LOG, "node 0x%04x: late %s applied", src,
			      mesh_cfg_opcode_name(status ? status->opcode : 0));
		return;
	}
	r->final = true;
	r->final_ms = mesh_timers_now(kr->timers);
	if (kr->current != r)
		return;  /* the run moved on (stopped) */
	kr->current = NULL;
	switch (ev) {
	case MESH_ACKED_STATUS:
		if (status) {
			on_status(kr, status, rc, why);
			return;
		}
		node_failed(kr, "%s: no status", kr->item);
		walk(kr);
		return;
	case MESH_ACKED_TIMEOUT:
		node_failed(kr, "%s: no response", kr->item);
		walk(kr);
		return;
	case MESH_ACKED_FAILED:
		stop(kr, GW_KEY_REFRESH_FAILED, "%s to 0x%04x could not be sent", kr->item, kr->node);
		return;
	default:
		stop(kr, GW_KEY_REFRESH_CANCELED, "%s to 0x%04x canceled", kr->item, kr->node);
		return;
	}
}

/* ---- starting ------------------------------------------------------------------ */

static void run_reset(struct gw_key_refresh *kr, uint16_t net_idx)
{
	kr->running = true;
	kr->net_idx = net_idx;
	kr->n_missed = 0;
	kr->n_tried = 0;
	kr->node = 0;
	kr->current = NULL;
	memset(&kr->report, 0, sizeof(kr->report));
}

/* meshgate's own node takes the database's new keys of the refresh. */
static int local_keys(struct gw_key_refresh *kr)
{
	const struct netdb_net_key *k = netdb_net_key(kr->db, kr->net_idx);
	size_t n = 0, cap = kr->db->n_app_keys ? kr->db->n_app_keys : 1;
	uint16_t *idx = calloc(cap, sizeof(*idx));
	uint8_t (*keys)[16] = calloc(cap, sizeof(*keys));
	int rc = -ENOMEM;

	if (idx && keys) {
		for (size_t i = 0; i < kr->db->n_app_keys; i++) {
			const struct netdb_app_key *a = &kr->db->app_keys[i];

			if (a->bound_net_key != kr->net_idx)
				continue;
			idx[n] = a->index;
			memcpy(keys[n++], a->key, 16);
		}
		rc = kr->ops->local_keys(kr->ctx, kr->net_idx, k->key, n, idx,
					 (const uint8_t(*)[16])keys);
	}
	if (keys)
		OPENSSL_cleanse(keys, cap * sizeof(*keys));
	free(keys);
	free(idx);
	return rc;
}

static void resume_key(struct gw_key_refresh *kr, const struct netdb_net_key *k)
{
	uint8_t phase = k->phase;
	int rc;

	run_reset(kr, k->index);
	kr->phase = phase;
	mesh_log_info(LOG, "NetKey %u: resuming the key refresh in phase %u", k->index, phase);
	rc = phase == 1 ? local_keys(kr)
			: kr->ops->local_phase(kr->ctx, kr->net_idx, MESH_CFG_KR_TRANSITION_2);
	if (rc) {
		stop(kr, GW_KEY_REFRESH_FAILED, "meshgate's own node refused the phase %u keys: %s",
		     phase, rc == -ENOMEM ? "out of memory" : mesh_strerror(rc));
		return;
	}
	phase_begin(kr, phase);
}

/* The database takes new keys (phase 1); everything changed is in before,
 * to put back if the save fails. */
struct kr_backup {
	struct netdb_net_key net;
	struct netdb_app_key *apps;
	size_t n_apps;
};

static int new_keys(struct gw_key_refresh *kr, struct netdb_net_key *k, struct kr_backup *before)
{
	struct netdb *db = kr->db;
	uint8_t fresh[16];
	struct netdb_node *self = netdb_self_node(db);

	before->net = *k;
	before->n_apps = db->n_app_keys;
	before->apps = malloc((db->n_app_keys ? db->n_app_keys : 1) * sizeof(*before->apps));
	if (!before->apps)
		return -ENOMEM;
	memcpy(before->apps, db->app_keys, db->n_app_keys * sizeof(*before->apps));
	if (RAND_bytes(fresh, sizeof(fresh)) != 1)
		return -EIO;
	memcpy(k->old_key, k->key, 16);
	memcpy(k->key, fresh, 16);
	k->has_old_key = true;
	k->phase = 1;
	netdb_timestamp_now(k->timestamp);
	for (size_t i = 0; i < db->n_app_keys; i++) {
		struct netdb_app_key *a = &db->app_keys[i];

		if (a->bound_net_key != k->index)
			continue;
		if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
			OPENSSL_cleanse(fresh, sizeof(fresh));
			return -EIO;
		}
		memcpy(a->old_key, a->key, 16);
		memcpy(a->key, fresh, 16);
		a->has_old_key = true;
	}
	OPENSSL_cleanse(fresh, sizeof(fresh));
	/* meshgate holds the new keys from now on. */
	if (self)
		node_flags_set(kr, self, true);
	return 0;
}

static void backup_restore(struct gw_key_refresh *kr, struct netdb_net_key *k,
			   const struct kr_backup *before)
{
	struct netdb_node *self = netdb_self_node(kr->db);

	*k = before->net;
	if (before->apps)
		memcpy(kr->db->app_keys, before->apps, before->n_apps * sizeof(*before->apps));
	if (self)
		node_flags_set(kr, self, false);
}

static void backup_free(struct kr_backup *before)
{
	OPENSSL_cleanse(&before->net, sizeof(before->net));
	if (before->apps)
		OPENSSL_cleanse(before->apps, before->n_apps * sizeof(*before->apps));
	free(before->apps);
}

/* ---- API -------------------------------------------------------------------- */

int gw_key_refresh_create(struct gw_key_refresh **out, struct netdb *db,
			  struct mesh_timers *timers, const struct gw_key_refresh_ops *ops,
			  void *ctx)
{
	struct gw_key_refresh *kr;

	if (!out || !db || !timers || !ops || !ops->send || !ops->save || !ops->local_keys ||
	    !ops->local_phase)
		return -EINVAL;
	kr = calloc(1, sizeof(*kr));
	if (!kr)
		return -ENOMEM;
	kr->db = db;
	kr->timers = timers;
	kr->ops = ops;
	kr->ctx = ctx;
	*out = kr;
	return 0;
}

void gw_key_refresh_destroy(struct gw_key_refresh *kr)
{
	if (!kr)
		return;
	while (kr->requests) {
		struct kr_request *r = kr->requests;

		kr->requests = r->next;
		OPENSSL_cleanse(&r->msg, sizeof(r->msg));
		free(r);
	}
	free(kr->tried);
	free(kr->missed);
	free(kr);
}

int gw_key_refresh_start(struct gw_key_refresh *kr, uint16_t net_idx)
{
	struct netdb_net_key *k = net_key_find(kr->db, net_idx);
	struct kr_backup before = { 0 };
	int rc;

	if (kr->running)
		return -EBUSY;
	if (!k)
		return -ENOENT;
	if (refresh_under_way(k)) {
		resume_key(kr, k);
		return 0;
	}
	rc = new_keys(kr, k, &before);
	if (rc == 0)
		rc = save_db(kr);
	if (rc)
		backup_restore(kr, k, &before);
	backup_free(&before);
	if (rc)
		return rc;
	run_reset(kr, net_idx);
	kr->phase = 1;
	mesh_log_info(LOG, "NetKey %u: key refresh started", net_idx);
	rc = local_keys(kr);
	if (rc) {
		stop(kr, GW_KEY_REFRESH_FAILED, "meshgate's own node refused the new keys: %s",
		     rc == -ENOMEM ? "out of memory" : mesh_strerror(rc));
		return 0;
	}
	phase_begin(kr, 1);
	return 0;
}

int gw_key_refresh_resume(struct gw_key_refresh *kr)
{
	if (kr->running)
		return -EBUSY;
	for (size_t i = 0; i < kr->db->n_net_keys; i++) {
		if (!refresh_under_way(&kr->db->net_keys[i]))
			continue;
		resume_key(kr, &kr->db->net_keys[i]);
		return 1;
	}
	return 0;
}

bool gw_key_refresh_busy(const struct gw_key_refresh *kr)
{
	return kr->running;
}

const struct gw_key_refresh_report *gw_key_refresh_last(const struct gw_key_refresh *kr)
{
	return &kr->report;
}
