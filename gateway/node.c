/*
 * meshgate's own node (node.h): the network database's keys in a mesh
 * stack, state.json kept in step.
 */
#include "gateway/node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/addr.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/util.h"

#define LOG "node"

_Static_assert(MESH_RPL_MAX <= RUNTIME_RPL_MAX, "state.json keeps every entry of the stack's RPL");

struct gw_node_queued {
	struct mesh_stack_access_tx tx;
	uint8_t label[16];
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	uint64_t since_ms;
	struct gw_node_queued *next;
};

static void node_queue_fire(struct mesh_timer *t);
static void queue_free(struct gw_node *n);

/* ---- persistence ------------------------------------------------------------ */

/* The stack's replay list into the state about to be saved. Copied at
 * each save (every few seconds at most) rather than mirrored at each
 * change, which would be a search of up to RUNTIME_RPL_MAX entries for
 * every PDU received. Until the stack has loaded the saved list, the
 * state's own copy is the one to keep: a save in between (nothing does
 * one today) would otherwise write an empty list over it. */
static void node_state_take_rpl(struct gw_node *n)
{
	size_t count;
	const struct mesh_rpl_entry *e = mesh_rpl_entries(&n->stack.rpl, &count);

	if (!n->rpl_loaded)
		return;
	n->state.n_rpl = 0;
	for (size_t i = 0; i < count && i < RUNTIME_RPL_MAX; i++) {
		n->state.rpl[i].src = e[i].src;
		n->state.rpl[i].seq = e[i].seq;
		n->state.rpl[i].iv_index = e[i].iv_index;
		n->state.n_rpl++;
	}
}

static int node_save(struct gw_node *n, char *err, size_t errlen)
{
	if (n->dir[0] == '\0')
		return 0;
	node_state_take_rpl(n);
	return runtime_state_save(&n->state, n->dir, err, errlen);
}

/* The stack may use SEQ numbers below limit only once this returned 0. */
static int node_seq_store(void *ctx, uint32_t limit)
{
	struct gw_node *n = ctx;
	uint32_t before = n->state.seq_reserved;
	char err[256];
	int rc;

	n->state.seq_reserved = limit;
	rc = node_save(n, err, sizeof(err));
	if (rc) {
		n->state.seq_reserved = before;
		mesh_log_error(LOG, "SEQ reservation not saved, not sending: %s", err);
		return rc;
	}
	return 0;
}

static int node_iv_changed(void *ctx, uint32_t iv_index, bool iv_update)
{
	struct gw_node *n = ctx;
	uint32_t old_iv = n->state.iv_index;
	bool old_update = n->state.iv_update;
	char err[256];
	int rc;

	n->state.iv_index = iv_index;
	n->state.iv_update = iv_update;
	rc = node_save(n, err, sizeof(err));
	if (rc) {
		n->state.iv_index = old_iv;
		n->state.iv_update = old_update;
		mesh_log_error(LOG, "IV index %u not saved, change refused: %s", iv_index, err);
		return rc;
	}
	mesh_log_info(LOG, "IV index %u%s", iv_index, iv_update ? " (IV Update in progress)" : "");
	return 0;
}

/* Any change of the replay list: saved within GW_NODE_RPL_FLUSH_MS. */
static void node_rpl_store(void *ctx, const struct mesh_rpl_entry *e, bool removed)
{
	struct gw_node *n = ctx;

	(void)e;
	(void)removed;
	n->rpl_dirty = true;
	if (!mesh_timer_armed(&n->rpl_flush))
		mesh_timer_start(n->timers, &n->rpl_flush, GW_NODE_RPL_FLUSH_MS);
}

static void node_rpl_flush_fire(struct mesh_timer *t)
{
	struct gw_node *n = MESH_CONTAINER_OF(t, struct gw_node, rpl_flush);
	char err[256];

	if (gw_node_flush(n, err, sizeof(err)))
		mesh_log_warn(LOG, "replay list not saved (tried again later): %s", err);
}

int gw_node_flush(struct gw_node *n, char *err, size_t errlen)
{
	int rc;

	if (!n->rpl_dirty)
		return 0;
	rc = node_save(n, err, errlen);
	if (rc) {
		mesh_timer_start(n->timers, &n->rpl_flush, GW_NODE_RPL_FLUSH_MS);
		return rc;
	}
	n->rpl_dirty = false;
	return 0;
}

/* ---- receive ---------------------------------------------------------------- */

static int node_bearer_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct gw_node *n = ctx;

	return mesh_adv_send_network(n->bearer, pdu, len, n->net_transmit);
}

static int node_relay_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct gw_node *n = ctx;

	return mesh_adv_send_network(n->bearer, pdu, len, n->relay_retransmit);
}

static void node_heartbeat(void *ctx, const struct mesh_stack_hb_rx *hb)
{
	struct gw_node *n = ctx;

	if (n->ops && n->ops->heartbeat)
		n->ops->heartbeat(n->ctx, hb, n->rx_rssi);
}

static void node_access_rx(void *ctx, const struct mesh_access_msg *meta,
			   const uint8_t *payload, size_t len)
{
	struct gw_node *n = ctx;
	struct mesh_access_msg msg = *meta;
	struct mesh_access_pdu pdu;

	if (mesh_access_parse(payload, len, &pdu))
		return;  /* the stack's dispatch reports it through rx_trace */
	msg.opcode = pdu.opcode;
	msg.params = pdu.params;
	msg.params_len = pdu.params_len;
	msg.rssi = n->rx_rssi;
	if (n->acked && msg.app_idx != MESH_KEY_IDX_DEV)
		mesh_acked_receive(n->acked, &msg);
	if (n->ops && n->ops->access)
		n->ops->access(n->ctx, &msg);
}

/* A full replay list drops every message from a source it has not seen
 * yet (rpl.h says why it never evicts): a node added then is deaf to the
 * gateway. Said loudly, but in a line per doubling, not per message. */
static void node_rpl_full(struct gw_node *n, uint16_t src)
{
	n->rpl_full_drops++;
	if (n->rpl_full_drops & (n->rpl_full_drops - 1))
		return;
	mesh_log_warn(LOG, "replay protection list full (%d sources): messages from new "
		      "sources such as 0x%04x are dropped (%llu so far); removing nodes that "
		      "are gone makes room", MESH_RPL_MAX, src,
		      (unsigned long long)n->rpl_full_drops);
}

static void node_rx_trace(void *ctx, const struct mesh_stack_trace *t)
{
	struct gw_node *n = ctx;

	if (t->layer == MESH_STACK_RPL && t->err == MESH_ERR_FULL)
		node_rpl_full(n, t->src);

	/* Only traffic that passed replay protection proves the node is
	 * there now: a replayed old PDU authenticates too. */
	if (t->authenticated && t->layer > MESH_STACK_RPL && n->ops && n->ops->seen)
		n->ops->seen(n->ctx, t->src, n->rx_rssi);
}

/* A segmented message finished: whatever waited for its destination can go. */
static void node_send_done(void *ctx, void *cookie, int err)
{
	struct gw_node *n = ctx;

	(void)cookie;
	(void)err;
	if (n->queue)
		mesh_timer_start(n->timers, &n->queue_timer, 0);
}

static int node_beacon_send(void *ctx, const uint8_t *beacon, size_t len)
{
	struct gw_node *n = ctx;
	struct mesh_adv_tx tx = {
		.ad_type = MESH_AD_TYPE_BEACON,
		.len = (uint8_t)len,
		.count = (uint8_t)mesh_transmit_count(n->net_transmit),
		.interval_ms = (uint16_t)mesh_transmit_interval_ms(n->net_transmit),
	};

	if (!n->bearer)
		return MESH_ERR_DOWN;
	if (len > sizeof(tx.payload))
		return MESH_ERR_INVAL;
	memcpy(tx.payload, beacon, len);
	return mesh_bearer_send(n->bearer, &tx);
}

static const struct mesh_stack_ops node_stack_ops = {
	.bearer_send = node_bearer_send,
	.send_done = node_send_done,
	.relay_send = node_relay_send,
	.heartbeat = node_heartbeat,
	.access_rx = node_access_rx,
	.rx_trace = node_rx_trace,
	.seq_store = node_seq_store,
	.rpl_store = node_rpl_store,
	.iv_changed = node_iv_changed,
	.beacon_send = node_beacon_send,
};

int gw_node_route(struct gw_node *n, const struct mesh_adv_rx *rx,
		  const struct mesh_adv_route_ops *route_ops, void *route_ctx)
{
	n->rx_rssi = rx->rssi;
	return mesh_adv_route(&n->stack, rx, route_ops, route_ctx);
}

/* ---- keys from the database ------------------------------------------------- */

static int load_net_keys(struct gw_node *n, char *err, size_t errlen)
{
	const struct netdb *db = n->db;

	for (size_t i = 0; i < db->n_net_keys; i++) {
		const struct netdb_net_key *k = &db->net_keys[i];
		bool refreshing = k->phase > 0 && k->has_old_key;
		int rc = mesh_stack_net_key_add(&n->stack, k->index, refreshing ? k->old_key : k->key);

		if (rc == 0 && refreshing)
			rc = mesh_stack_net_key_update(&n->stack, k->index, k->key);
		if (rc) {
			snprintf(err, errlen, "NetKey %u refused: %s", k->index, mesh_strerror(rc));
			return rc;
		}
	}
	return 0;
}

static int load_app_keys(struct gw_node *n, char *err, size_t errlen)
{
	const struct netdb *db = n->db;

	for (size_t i = 0; i < db->n_app_keys; i++) {
		const struct netdb_app_key *k = &db->app_keys[i];
		bool refreshing = k->has_old_key;
		int rc = mesh_stack_app_key_add(&n->stack, k->index, k->bound_net_key,
						refreshing ? k->old_key : k->key);

		if (rc == 0 && refreshing)
			rc = mesh_stack_app_key_update(&n->stack, k->index, k->bound_net_key, k->key);
		if (rc) {
			snprintf(err, errlen, "AppKey %u refused: %s", k->index, mesh_strerror(rc));
			return rc;
		}
	}
	return 0;
}

/* Key refresh phase 2 only after the AppKeys were updated (phase 1 only). */
static int load_kr_phases(struct gw_node *n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n->db->n_net_keys; i++) {
		const struct netdb_net_key *k = &n->db->net_keys[i];
		int rc;

		if (k->phase != 2 || !k->has_old_key)
			continue;
		rc = mesh_stack_kr_set(&n->stack, k->index, 2);
		if (rc) {
			snprintf(err, errlen, "NetKey %u: key refresh phase 2 refused: %s", k->index,
				 mesh_strerror(rc));
			return rc;
		}
	}
	return 0;
}

static int load_devices(struct gw_node *n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n->db->n_nodes; i++) {
		int rc = gw_node_device_added(n, &n->db->nodes[i]);

		if (rc) {
			snprintf(err, errlen, "device key of node 0x%04x refused: %s",
				 n->db->nodes[i].unicast, mesh_strerror(rc));
			return rc;
		}
	}
	return 0;
}

static int load_labels(struct gw_node *n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n->db->n_groups; i++) {
		const struct netdb_address *a = &n->db->groups[i].address;
		int rc;

		if (!a->is_label)
			continue;
		rc = gw_node_label_add(n, a->label, NULL);
		if (rc && rc != MESH_ERR_EXISTS) {
			snprintf(err, errlen, "virtual group '%s' refused: %s", n->db->groups[i].name,
				 mesh_strerror(rc));
			return rc;
		}
	}
	return 0;
}

static int load_rpl(struct gw_node *n, char *err, size_t errlen)
{
	struct mesh_rpl_entry entries[MESH_RPL_MAX];
	size_t count = 0;
	int rc;

	for (size_t i = 0; i < n->state.n_rpl && count < MESH_RPL_MAX; i++) {
		memset(&entries[count], 0, sizeof(entries[count]));
		entries[count].src = n->state.rpl[i].src;
		entries[count].seq = n->state.rpl[i].seq;
		entries[count].iv_index = n->state.rpl[i].iv_index;
		count++;
	}
	rc = mesh_rpl_load(&n->stack.rpl, entries, count);
	if (rc)
		snprintf(err, errlen, "replay list refused: %s", mesh_strerror(rc));
	else
		n->rpl_loaded = true;
	return rc;
}

/* ---- lifetime --------------------------------------------------------------- */

static int node_load(struct gw_node *n, const struct netdb_node *self, char *err, size_t errlen)
{
	int rc = mesh_stack_set_address(&n->stack, self->unicast, (uint8_t)self->n_elements);

	if (rc) {
		snprintf(err, errlen, "address 0x%04x refused: %s", self->unicast, mesh_strerror(rc));
		return rc;
	}
	rc = load_net_keys(n, err, errlen);
	if (rc == 0)
		rc = load_app_keys(n, err, errlen);
	if (rc == 0)
		rc = load_kr_phases(n, err, errlen);
	if (rc == 0)
		rc = load_devices(n, err, errlen);
	if (rc == 0)
		rc = load_labels(n, err, errlen);
	if (rc == 0)
		rc = load_rpl(n, err, errlen);
	return rc;
}

int gw_node_open(struct gw_node *n, struct mesh_timers *timers, struct mesh_bearer *bearer,
		 struct netdb *db, const struct runtime_state *state, const char *dir,
		 const struct gw_node_ops *ops, void *ctx, char *err, size_t errlen)
{
	struct netdb_node *self = netdb_self_node(db);
	struct mesh_stack_config cfg;
	int rc;

	memset(n, 0, sizeof(*n));
	if (!self || self->n_elements == 0 || self->n_elements > MESH_ACCESS_ELEMS_MAX) {
		snprintf(err, errlen, "the network database has no node for meshgate itself");
		return MESH_ERR_NOT_FOUND;
	}
	n->timers = timers;
	n->bearer = bearer;
	n->db = db;
	n->ops = ops;
	n->ctx = ctx;
	n->state = *state;
	n->rx_rssi = MESH_RSSI_UNKNOWN;
	n->net_transmit = mesh_transmit_state(3, 20);
	n->relay_retransmit = mesh_transmit_state(3, 20);
	snprintf(n->dir, sizeof(n->dir), "%s", dir ? dir : "");
	mesh_timer_init(&n->rpl_flush, node_rpl_flush_fire);
	mesh_timer_init(&n->queue_timer, node_queue_fire);

	mesh_stack_config_default(&cfg);
	cfg.iv_index = state->iv_index;
	cfg.iv_update = state->iv_update;
	cfg.seq_start = state->seq_reserved;
	cfg.seq_block = GW_NODE_SEQ_BLOCK;
	if (self->has_default_ttl && self->default_ttl >= 2 && self->default_ttl <= 127)
		cfg.default_ttl = self->default_ttl;
	rc = mesh_stack_init(&n->stack, timers, &cfg, &node_stack_ops, n);
	if (rc) {
		snprintf(err, errlen, "mesh stack: %s", mesh_strerror(rc));
		return rc;
	}
	rc = node_load(n, self, err, errlen);
	if (rc) {
		mesh_stack_cleanup(&n->stack);
		return rc;
	}
	mesh_stack_set_accept_all(&n->stack, true);
	/* Beacons on, Zephyr's default for nodes too: a node that missed an
	 * IV Update or a key refresh step, or was off, catches up from them,
	 * and an IV Update we start reaches the network only this way. */
	rc = mesh_stack_beacons_enable(&n->stack, true);
	if (rc) {
		snprintf(err, errlen, "secure network beacons: %s", mesh_strerror(rc));
		mesh_stack_cleanup(&n->stack);
	}
	return rc;
}

void gw_node_close(struct gw_node *n)
{
	char err[256];

	if (gw_node_flush(n, err, sizeof(err)))
		mesh_log_error(LOG, "replay list not saved at exit: %s", err);
	mesh_timer_stop(n->timers, &n->rpl_flush);
	queue_free(n);
	if (n->acked) {
		mesh_acked_destroy(n->acked);
		n->acked = NULL;
	}
	mesh_stack_cleanup(&n->stack);
	memset(&n->state, 0, sizeof(n->state));
}

int gw_node_device_added(struct gw_node *n, const struct netdb_node *node)
{
	int rc;

	if (memcmp(node->uuid, n->db->self_uuid, sizeof(node->uuid)) == 0)
		return 0;  /* our own device key: we are not configured by anyone */
	rc = mesh_stack_dev_key_add(&n->stack, node->unicast, (uint8_t)node->n_elements,
				    node->dev_key);
	return rc == MESH_ERR_EXISTS ? 0 : rc;
}

void gw_node_device_removed(struct gw_node *n, uint16_t unicast, uint8_t elements)
{
	if (n->acked)
		for (uint8_t i = 0; i < elements; i++)
			mesh_acked_cancel_dst(n->acked, (uint16_t)(unicast + i));
	mesh_stack_node_remove(&n->stack, unicast, elements);
}

int gw_node_label_add(struct gw_node *n, const uint8_t label[16], uint16_t *addr)
{
	return mesh_stack_label_add(&n->stack, label, addr);
}

/* ---- key refresh -------------------------------------------------------------- */

/* The subnet's secure network beacon, once, now: its Key Refresh flag is
 * what moves nodes that missed a Key Refresh Phase Set (3.10.4.1). */
static void node_send_beacon(struct gw_node *n, uint16_t net_idx)
{
	uint8_t beacon[MESH_BEACON_SECURE_LEN];
	int rc = mesh_stack_beacon_compose(&n->stack, net_idx, beacon);

	if (rc == 0)
		rc = node_beacon_send(n, beacon, sizeof(beacon));
	if (rc)
		mesh_log_warn(LOG, "NetKey %u: secure network beacon not sent: %s", net_idx,
			      mesh_strerror(rc));
}

static bool app_key_holds_new(const struct mesh_app_key *k, const uint8_t key[16])
{
	return k->updated && memcmp(k->val[1].key.key, key, MESH_KEY_LEN) == 0;
}

int gw_node_key_refresh(struct gw_node *n, uint16_t net_idx, const uint8_t new_net_key[16],
			size_t n_app, const uint16_t *app_idx, const uint8_t (*new_app_keys)[16])
{
	struct mesh_subnet *sub = mesh_subnet_find(&n->stack.net.subnets, net_idx);
	int rc = 0;

	if (!sub)
		return MESH_ERR_KEY_INDEX;
	if (sub->kr_phase == MESH_KR_NORMAL)
		rc = mesh_stack_net_key_update(&n->stack, net_idx, new_net_key);
	else if (memcmp(sub->keys[sub->old ^ 1].net_key, new_net_key, MESH_KEY_LEN) != 0)
		rc = MESH_ERR_KEY_REFRESH;
	for (size_t i = 0; rc == 0 && i < n_app; i++) {
		const struct mesh_app_key *k = mesh_app_keys_get(&n->stack.app_keys, app_idx[i]);

		if (!k)
			rc = MESH_ERR_KEY_INDEX;
		else if (sub->kr_phase == MESH_KR_PHASE_1)
			rc = mesh_stack_app_key_update(&n->stack, app_idx[i], net_idx,
						       new_app_keys[i]);
		else if (!app_key_holds_new(k, new_app_keys[i]))
			rc = MESH_ERR_KEY_REFRESH;  /* phase 2 already, with other keys */
	}
	return rc;
}

int gw_node_kr_phase(struct gw_node *n, uint16_t net_idx, uint8_t transition)
{
	int rc = mesh_stack_kr_set(&n->stack, net_idx, transition);

	if (rc)
		return rc;
	node_send_beacon(n, net_idx);
	return 0;
}

uint16_t gw_node_address(const struct gw_node *n)
{
	return n->stack.access.primary;
}

static bool queue_holds_dst(const struct gw_node *n, uint16_t dst)
{
	for (const struct gw_node_queued *q = n->queue; q; q = q->next)
		if (q->tx.dst == dst)
			return true;
	return false;
}

static int queue_append(struct gw_node *n, const struct mesh_stack_access_tx *tx)
{
	struct gw_node_queued *q, **tail = &n->queue;

	if (tx->len > sizeof(q->payload))
		return MESH_ERR_OVERSIZED;
	q = calloc(1, sizeof(*q));
	if (!q)
		return MESH_ERR_NOMEM;
	q->tx = *tx;
	memcpy(q->payload, tx->payload, tx->len);
	q->tx.payload = q->payload;
	if (tx->label_uuid) {
		memcpy(q->label, tx->label_uuid, sizeof(q->label));
		q->tx.label_uuid = q->label;
	}
	q->since_ms = mesh_timers_now(n->timers);
	while (*tail)
		tail = &(*tail)->next;
	*tail = q;
	if (!mesh_timer_armed(&n->queue_timer))
		mesh_timer_start(n->timers, &n->queue_timer, GW_NODE_RETRY_MS);
	return 0;
}

/* Try the queue in order; a destination still busy keeps its messages
 * (and their order) for the next round. */
static void queue_flush(struct gw_node *n)
{
	uint64_t now = mesh_timers_now(n->timers);
	uint16_t busy[16];
	size_t n_busy = 0;

	for (struct gw_node_queued **p = &n->queue; *p;) {
		struct gw_node_queued *q = *p;
		bool blocked = false;
		int rc;

		for (size_t i = 0; i < n_busy; i++)
			blocked = blocked || busy[i] == q->tx.dst;
		rc = blocked ? MESH_ERR_BUSY : mesh_stack_send_access(&n->stack, &q->tx, NULL);
		if (rc == MESH_ERR_BUSY && now - q->since_ms < GW_NODE_QUEUE_MAX_MS) {
			if (!blocked && n_busy < MESH_ARRAY_SIZE(busy))
				busy[n_busy++] = q->tx.dst;
			p = &q->next;
			continue;
		}
		if (rc)
			mesh_log_warn(LOG, "message to 0x%04x dropped: %s", q->tx.dst, mesh_strerror(rc));
		*p = q->next;
		free(q);
	}
	if (n->queue)
		mesh_timer_start(n->timers, &n->queue_timer, GW_NODE_RETRY_MS);
}

static void node_queue_fire(struct mesh_timer *t)
{
	queue_flush(MESH_CONTAINER_OF(t, struct gw_node, queue_timer));
}

static void queue_free(struct gw_node *n)
{
	mesh_timer_stop(n->timers, &n->queue_timer);
	while (n->queue) {
		struct gw_node_queued *q = n->queue;

		n->queue = q->next;
		free(q);
	}
}

int gw_node_send(struct gw_node *n, const struct mesh_acked_send *s)
{
	struct mesh_stack_access_tx tx;
	int rc;

	memset(&tx, 0, sizeof(tx));
	tx.net_idx = s->net_idx;
	tx.src = s->src ? s->src : gw_node_address(n);
	tx.dst = s->dst;
	tx.label_uuid = s->label_uuid;
	tx.ttl = s->ttl;
	tx.dev_key = s->dev_key;
	tx.app_idx = s->app_idx;
	tx.payload = s->payload;
	tx.len = s->len;
	if (queue_holds_dst(n, tx.dst))
		return queue_append(n, &tx);
	rc = mesh_stack_send_access(&n->stack, &tx, NULL);
	return rc == MESH_ERR_BUSY ? queue_append(n, &tx) : rc;
}
