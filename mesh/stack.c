/*
 * One node's mesh stack: the layers wired together (see stack.h).
 *
 * Receive chain, all inside mesh_stack_net_receive() and all on the C
 * stack or in struct mesh_stack:
 *
 *   mesh_net_receive          NID, IV index, NetMIC, message cache
 *   relay                     mesh_net_relay_wanted -> re-encode -> bearer
 *   stack_dst_is_ours         our elements, subscriptions, fixed groups
 *   mesh_lt_decode + RPL      check only: SEQ (and SeqAuth) must be new
 *   mesh_lt_receive           SAR; a complete message comes back through
 *     stack_lt_deliver          the deliver op, still inside this call
 *       mesh_upper_decrypt      access: TransMIC -> RPL accept -> dispatch
 *       control                 RPL accept -> heartbeat / control hook
 *
 * Lower transport learns nothing about the RPL; the stack keeps the
 * network PDU being processed in rx_cur so the deliver op knows which SEQ
 * and IV index completed the message.
 */
#include "stack.h"

#include <string.h>

#include "addr.h"
#include "err.h"
#include "util.h"

/* ---- small helpers ----------------------------------------------------- */

const char *mesh_stack_layer_name(enum mesh_stack_layer layer)
{
	switch (layer) {
	case MESH_STACK_NET: return "net";
	case MESH_STACK_LOWER: return "lower";
	case MESH_STACK_RPL: return "rpl";
	case MESH_STACK_UPPER: return "upper";
	case MESH_STACK_CONTROL: return "control";
	case MESH_STACK_ACCESS: return "access";
	}
	return "?";
}

static uint8_t stack_ttl(const struct mesh_stack *s, uint8_t ttl)
{
	return ttl == MESH_STACK_TTL_DEFAULT ? s->default_ttl : ttl;
}

static bool stack_is_own(const struct mesh_stack *s, uint16_t addr)
{
	return mesh_net_is_own(&s->net, addr);
}

/* ---- lower transport ops ----------------------------------------------- */

static int stack_lt_net_send(void *ctx, const struct mesh_net_tx *tx)
{
	struct mesh_stack *s = ctx;
	uint8_t pdu[MESH_NET_MAX_PDU];
	size_t len;
	int err;

	/* In accept-all mode lower transport reassembles messages to other
	 * nodes and would acknowledge them in their name. */
	if (!stack_is_own(s, tx->src))
		return MESH_ERR_SRC;
	err = mesh_net_encode_tx(&s->net, tx, pdu, &len);
	if (err)
		return err;
	return s->ops->bearer_send(s->ctx, pdu, len);
}

static int stack_lt_seq_next(void *ctx, uint16_t src, uint32_t *seq)
{
	struct mesh_stack *s = ctx;

	/* Refused here too, so foreign acks do not even cost a SEQ. */
	if (!stack_is_own(s, src))
		return MESH_ERR_SRC;
	return mesh_seq_next(&s->seq, seq);
}

static void stack_lt_send_done(void *ctx, void *cookie, int err)
{
	struct mesh_stack *s = ctx;

	if (s->ops->send_done)
		s->ops->send_done(s->ctx, cookie, err);
}

static int stack_lt_deliver(void *ctx, const struct mesh_transport_msg *msg);

static const struct mesh_lt_ops stack_lt_ops = {
	.net_send = stack_lt_net_send,
	.seq_next = stack_lt_seq_next,
	.deliver = stack_lt_deliver,
	.send_done = stack_lt_send_done,
};

/* ---- persistence glue -------------------------------------------------- */

static int stack_seq_store(void *user, uint32_t limit)
{
	struct mesh_stack *s = user;

	return s->ops->seq_store ? s->ops->seq_store(s->ctx, limit) : 0;
}

static void stack_rpl_store(void *user, const struct mesh_rpl_entry *e, bool removed)
{
	struct mesh_stack *s = user;

	if (s->ops->rpl_store)
		s->ops->rpl_store(s->ctx, e, removed);
}

static void stack_beacons_now(struct mesh_stack *s);

/*
 * The IV module's on_change (contract in iv_index.h). The IV state goes to
 * flash first and SEQ restarts only after that worked (3.8.3, 3.10.5): in
 * the other order a crash between the two writes brings the node back on
 * the old transmit IV index with SEQ 0, repeating nonces. Any failure
 * refuses the change, so the IV module rolls back and we keep the SEQ we
 * had, which only skips numbers. (If the IV state was saved but SEQ 0 was
 * not, flash is ahead of us; that is safe too: a restart takes the new
 * index with a SEQ limit we never used on it.)
 */
static int stack_iv_changed(void *user, const struct mesh_iv *iv)
{
	struct mesh_stack *s = user;
	uint32_t tx_index = mesh_iv_tx_index(iv);
	int err;

	if (s->ops->iv_changed && s->ops->iv_changed(s->ctx, iv->index, iv->update))
		return MESH_ERR_IO;
	/* A new transmit IV index starts a fresh SEQ space (3.10.5). Never
	 * reached from inside mesh_seq_next(): the threshold only starts an
	 * update, which keeps the transmit index. */
	if (tx_index != s->seq_iv_index) {
		err = mesh_seq_reset(&s->seq);
		if (err)
			return err;
		s->seq_iv_index = tx_index;
	}
	if (!iv->update)
		mesh_rpl_prune(&s->rpl, iv->index);
	stack_beacons_now(s);
	return 0;
}

/* ---- IV Update timing -------------------------------------------------- */

/* A transition that failed (state not persisted) is tried again this much
 * later; nothing else repeats in a shorter period than 96 h. */
#define STACK_IV_RETRY_MS (60u * 1000u)

/*
 * Arm the IV timer for the next time-driven transition (mesh_iv_tick():
 * end of an update in progress, or a pending request's start, both 96 h
 * after the current state began), or stop it if none is due. The queue
 * holds nothing for us in plain Normal Operation.
 */
static void stack_iv_timer_sync(struct mesh_stack *s, bool retry)
{
	const struct mesh_iv *iv = &s->net.iv;
	uint64_t now = mesh_timers_now(s->timers);
	uint64_t due = iv->state_ms + MESH_IV_MIN_STATE_MS;
	uint64_t delay;

	if (!iv->update && !iv->pending) {
		mesh_timer_stop(s->timers, &s->iv_timer);
		return;
	}
	/* Overdue without a failure happens when the tick cannot act (a
	 * pending request at the last IV index): poll, never spin. */
	if (retry || due <= now)
		delay = STACK_IV_RETRY_MS;
	else
		delay = due - now;
	if (delay > UINT32_MAX)
		delay = UINT32_MAX;
	mesh_timer_start(s->timers, &s->iv_timer, (uint32_t)delay);
}

static void stack_iv_timer_fire(struct mesh_timer *t)
{
	struct mesh_stack *s = MESH_CONTAINER_OF(t, struct mesh_stack, iv_timer);
	int err = mesh_iv_tick(&s->net.iv, mesh_timers_now(s->timers));

	stack_iv_timer_sync(s, err != 0);
}

/*
 * SEQ reached MESH_SEQ_IV_THRESHOLD: initiate IV Update (3.10.5), at once
 * if 96 h in Normal Operation have passed, else the timer starts it when
 * they have. Errors need no handling here: at IV index 0xffffffff there is
 * nothing to update to, and an update whose state could not be saved
 * stays pending for the timer to retry.
 */
static void stack_seq_threshold(void *user, uint32_t seq)
{
	struct mesh_stack *s = user;

	(void)seq;
	mesh_iv_request_update(&s->net.iv, mesh_timers_now(s->timers));
	stack_iv_timer_sync(s, false);
}

/* ---- our secure network beacons ---------------------------------------- */

static void stack_beacon_send(struct mesh_stack *s, struct mesh_subnet *sub, uint64_t now)
{
	uint8_t beacon[MESH_BEACON_SECURE_LEN];

	if (mesh_stack_beacon_compose(s, sub->net_idx, beacon) == 0 &&
	    s->ops->beacon_send(s->ctx, beacon, sizeof(beacon)) == 0)
		mesh_beacon_sched_sent(&sub->beacon, now);
}

/* The IV state changed: every subnet says so now rather than at its next
 * interval, which may be minutes away. */
static void stack_beacons_now(struct mesh_stack *s)
{
	uint64_t now = mesh_timers_now(s->timers);

	if (!s->beacons)
		return;
	for (struct mesh_subnet *sub = s->net.subnets.sub;
	     sub < s->net.subnets.sub + MESH_SUBNET_MAX; sub++)
		if (sub->in_use)
			stack_beacon_send(s, sub, now);
}

static void stack_beacon_tick(struct mesh_timer *t)
{
	struct mesh_stack *s = MESH_CONTAINER_OF(t, struct mesh_stack, beacon_timer);
	uint64_t now = mesh_timers_now(s->timers);
	bool period_over = ++s->beacon_ticks % MESH_BEACON_OBSERVATION_TICKS == 0;

	for (struct mesh_subnet *sub = s->net.subnets.sub;
	     sub < s->net.subnets.sub + MESH_SUBNET_MAX; sub++) {
		if (!sub->in_use)
			continue;
		if (period_over)
			mesh_beacon_sched_observed(&sub->beacon);
		if (mesh_beacon_sched_due(&sub->beacon, now))
			stack_beacon_send(s, sub, now);
	}
	mesh_timer_start(s->timers, &s->beacon_timer, MESH_BEACON_TICK_MS);
}

int mesh_stack_beacons_enable(struct mesh_stack *s, bool on)
{
	if (on && !s->ops->beacon_send)
		return MESH_ERR_INVAL;
	if (on == s->beacons)
		return 0;
	s->beacons = on;
	if (on)
		mesh_timer_start(s->timers, &s->beacon_timer, MESH_BEACON_TICK_MS);
	else
		mesh_timer_stop(s->timers, &s->beacon_timer);
	return 0;
}

/* ---- setup ------------------------------------------------------------- */

void mesh_stack_config_default(struct mesh_stack_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->default_ttl = 7;
	cfg->seq_block = 1024;
}

static int stack_init_transport(struct mesh_stack *s, const struct mesh_stack_config *cfg)
{
	struct mesh_lt_config lt_cfg;
	int err;

	mesh_lt_config_default(&lt_cfg);
	if (cfg->sar)
		lt_cfg.sar = *cfg->sar;
	lt_cfg.default_ttl = cfg->default_ttl;
	err = mesh_lt_init(&s->lt, s->timers, &lt_cfg, &stack_lt_ops, s);
	if (err)
		return err;
	err = mesh_seq_init(&s->seq, cfg->seq_block, stack_seq_store, stack_seq_threshold, s);
	if (err)
		return err;
	return mesh_seq_load(&s->seq, cfg->seq_start);
}

int mesh_stack_init(struct mesh_stack *s, struct mesh_timers *timers,
		    const struct mesh_stack_config *cfg, const struct mesh_stack_ops *ops,
		    void *ctx)
{
	struct mesh_stack_config def;
	int err;

	if (!s || !timers || !ops || !ops->bearer_send)
		return MESH_ERR_INVAL;
	if (!cfg) {
		mesh_stack_config_default(&def);
		cfg = &def;
	}
	if (cfg->default_ttl == 1 || cfg->default_ttl > MESH_TTL_MAX)
		return MESH_ERR_INVAL;
	memset(s, 0, sizeof(*s));
	s->timers = timers;
	s->ops = ops;
	s->ctx = ctx;
	s->default_ttl = cfg->default_ttl;

	mesh_net_init(&s->net, cfg->iv_index, cfg->iv_update, mesh_timers_now(timers), 0, 0);
	s->net.iv.on_change = stack_iv_changed;
	s->net.iv.user = s;
	s->seq_iv_index = mesh_iv_tx_index(&s->net.iv);
	mesh_timer_init(&s->iv_timer, stack_iv_timer_fire);
	mesh_timer_init(&s->beacon_timer, stack_beacon_tick);
	mesh_app_keys_init(&s->app_keys);
	mesh_dev_keys_init(&s->dev_keys);
	mesh_va_init(&s->va);
	s->keyring.app = &s->app_keys;
	s->keyring.dev = &s->dev_keys;
	s->keyring.va = &s->va;
	mesh_rpl_init(&s->rpl, stack_rpl_store, s);
	mesh_access_init(&s->access);
	err = stack_init_transport(s, cfg);
	if (err)
		return err;
	/* Restored in progress: it ends 96 h from now. */
	stack_iv_timer_sync(s, false);
	return 0;
}

void mesh_stack_cleanup(struct mesh_stack *s)
{
	mesh_timer_stop(s->timers, &s->iv_timer);
	mesh_timer_stop(s->timers, &s->beacon_timer);
	mesh_lt_cleanup(&s->lt);
	mesh_app_keys_clear(&s->app_keys);
	mesh_dev_keys_clear(&s->dev_keys);
	mesh_va_init(&s->va);
	mesh_net_clear(&s->net);
}

int mesh_stack_set_address(struct mesh_stack *s, uint16_t primary, uint8_t count)
{
	int err;

	if (count == 0 || count < s->access.n_elems)
		return MESH_ERR_INVAL;
	if (count > MESH_ACCESS_ELEMS_MAX)
		return MESH_ERR_FULL;
	if (!mesh_addr_is_unicast(primary) || !mesh_addr_is_unicast(primary + count - 1u))
		return MESH_ERR_SRC;
	while (s->access.n_elems < count) {
		err = mesh_access_elem_add(&s->access, 0);
		if (err < 0)
			return err;
	}
	err = mesh_access_set_primary(&s->access, primary);
	if (err)
		return err;
	s->net.own_addr = primary;
	s->net.own_count = count;
	return 0;
}

void mesh_stack_set_relay(struct mesh_stack *s, bool on)
{
	s->net.relay = on;
}

void mesh_stack_set_accept_all(struct mesh_stack *s, bool on)
{
	s->accept_all = on;
}

int mesh_stack_net_key_add(struct mesh_stack *s, uint16_t net_idx,
			   const uint8_t key[MESH_KEY_LEN])
{
	return mesh_subnet_add(&s->net.subnets, net_idx, key);
}

int mesh_stack_app_key_add(struct mesh_stack *s, uint16_t app_idx, uint16_t net_idx,
			   const uint8_t key[MESH_KEY_LEN])
{
	return mesh_app_keys_add(&s->app_keys, app_idx, net_idx, key);
}

int mesh_stack_dev_key_add(struct mesh_stack *s, uint16_t addr, uint8_t elements,
			   const uint8_t key[MESH_KEY_LEN])
{
	return mesh_dev_keys_add(&s->dev_keys, addr, elements, key);
}

int mesh_stack_node_remove(struct mesh_stack *s, uint16_t addr, uint8_t elements)
{
	if (!elements || !mesh_addr_is_unicast(addr) ||
	    (uint32_t)addr + elements - 1 > 0x7fff)
		return MESH_ERR_INVAL;
	/* Absent entries are fine: the node may never have sent to us. */
	mesh_dev_keys_delete(&s->dev_keys, addr);
	for (uint8_t i = 0; i < elements; i++)
		mesh_rpl_remove(&s->rpl, (uint16_t)(addr + i));
	mesh_lt_forget_source(&s->lt, addr, elements);
	return 0;
}

int mesh_stack_label_add(struct mesh_stack *s, const uint8_t uuid[MESH_LABEL_UUID_LEN],
			 uint16_t *addr)
{
	return mesh_va_add(&s->va, uuid, addr);
}

/* ---- key refresh, key deletion ----------------------------------------- */

/* A deleted AppKey takes its model bindings along (Config AppKey Delete):
 * a later AppKey Add under the same index must not find them waiting. */
static void stack_unbind_app(struct mesh_stack *s, uint16_t app_idx)
{
	for (uint8_t e = 0; e < s->access.n_elems; e++) {
		struct mesh_element *elem = &s->access.elems[e];

		/* device key models and unbound ones just say no */
		for (uint8_t i = 0; i < elem->n_models; i++)
			mesh_model_unbind(elem->models[i], app_idx);
	}
}

/*
 * Subnet net_idx finished key refresh (phase 3, 3.10.4.1): its AppKeys'
 * old values go with the old NetKey. The subnet table cannot do this
 * itself (it knows no AppKeys); without it we would go on sending with an
 * AppKey the network revoked, and accepting it.
 */
static void stack_kr_finished(struct mesh_stack *s, uint16_t net_idx)
{
	mesh_app_keys_revoke_old(&s->app_keys, net_idx);
}

int mesh_stack_net_key_update(struct mesh_stack *s, uint16_t net_idx,
			      const uint8_t key[MESH_KEY_LEN])
{
	return mesh_subnet_update(&s->net.subnets, net_idx, key);
}

int mesh_stack_app_key_update(struct mesh_stack *s, uint16_t app_idx, uint16_t net_idx,
			      const uint8_t key[MESH_KEY_LEN])
{
	struct mesh_subnet *sub = mesh_subnet_find(&s->net.subnets, net_idx);

	if (!sub)
		return MESH_ERR_KEY_INDEX;
	/* New AppKeys are distributed in phase 1 (3.10.4.1); later ones
	 * would miss the switch to the new keys in phase 2. */
	if (sub->kr_phase != MESH_KR_PHASE_1)
		return MESH_ERR_KEY_REFRESH;
	return mesh_app_keys_update(&s->app_keys, app_idx, net_idx, key);
}

int mesh_stack_kr_set(struct mesh_stack *s, uint16_t net_idx, uint8_t transition)
{
	int err = mesh_subnet_kr_set(&s->net.subnets, net_idx, transition);

	if (err)
		return err;
	if (transition == MESH_KR_PHASE_3)
		stack_kr_finished(s, net_idx);
	return 0;
}

int mesh_stack_net_key_delete(struct mesh_stack *s, uint16_t net_idx)
{
	int err = mesh_subnet_delete(&s->net.subnets, net_idx);

	if (err)
		return err;
	/* An AppKey is bound to exactly one NetKey and is useless without
	 * it; Config NetKey Delete removes the bound AppKeys too. */
	for (size_t i = 0; i < MESH_ARRAY_SIZE(s->app_keys.key); i++) {
		const struct mesh_app_key *k = &s->app_keys.key[i];

		if (k->used && k->net_idx == net_idx)
			stack_unbind_app(s, k->app_idx);
	}
	mesh_app_keys_delete_net(&s->app_keys, net_idx);
	return 0;
}

int mesh_stack_app_key_delete(struct mesh_stack *s, uint16_t app_idx)
{
	int err = mesh_app_keys_delete(&s->app_keys, app_idx);

	if (err)
		return err;
	stack_unbind_app(s, app_idx);
	return 0;
}

/* ---- secure network beacons -------------------------------------------- */

/*
 * The subnet key b is from (3.9.3): Network ID first, then the BeaconKey
 * decides; the new key counts only in phases 1 and 2. Network IDs are 64
 * bits of a hash and may collide, so a failed authentication keeps looking.
 */
static int stack_beacon_match(struct mesh_stack *s, const struct mesh_beacon_secure *b,
			      struct mesh_subnet **out, bool *new_key)
{
	int result = MESH_ERR_NOT_FOUND;

	for (size_t i = 0; i < MESH_SUBNET_MAX; i++) {
		struct mesh_subnet *sub = &s->net.subnets.sub[i];

		if (!sub->in_use)
			continue;
		for (int which = 0; which < 2; which++) {
			struct mesh_subnet_keys *k = mesh_subnet_rx_keys(sub, which);
			int err;

			if (!k || memcmp(k->net_id, b->network_id, MESH_NETWORK_ID_LEN))
				continue;
			err = mesh_beacon_secure_auth(b, k->beacon_key);
			if (!err) {
				*out = sub;
				*new_key = which;
				return 0;
			}
			result = err;
		}
	}
	return result;
}

/*
 * The IV part of an authenticated beacon of subnet net_idx. The IV index
 * belongs to the primary subnet (3.10.5): while we are on it, beacons of
 * other subnets move nothing, and one that disagrees with it (higher, or
 * lower as any stale beacon) is ignored.
 */
static int stack_beacon_iv(struct mesh_stack *s, uint16_t net_idx,
			   const struct mesh_beacon_secure *b)
{
	bool update = b->flags & MESH_BEACON_FLAG_IV_UPDATE;

	if (net_idx != MESH_NET_IDX_PRIMARY &&
	    mesh_subnet_find(&s->net.subnets, MESH_NET_IDX_PRIMARY))
		return b->iv_index == s->net.iv.index ? 0 : MESH_ERR_IV_INDEX;
	return mesh_iv_beacon(&s->net.iv, b->iv_index, update, mesh_timers_now(s->timers));
}

/* The Key Refresh part (3.10.4.1); completing the refresh is phase 3. */
static int stack_beacon_kr(struct mesh_stack *s, struct mesh_subnet *sub, bool new_key,
			   bool kr_flag)
{
	uint8_t before = sub->kr_phase;
	int err = mesh_subnet_kr_beacon(&s->net.subnets, sub->net_idx, new_key, kr_flag);

	if (err || sub->kr_phase == before)
		return err;
	if (sub->kr_phase == MESH_KR_NORMAL)
		stack_kr_finished(s, sub->net_idx);
	if (s->ops->kr_changed)
		s->ops->kr_changed(s->ctx, sub->net_idx, sub->kr_phase);
	return 0;
}

int mesh_stack_beacon_receive(struct mesh_stack *s, const uint8_t *beacon, size_t len)
{
	struct mesh_beacon_secure b;
	struct mesh_subnet *sub = NULL;
	bool new_key = false;
	int err, iv_err;

	err = mesh_beacon_secure_parse(beacon, len, &b);
	if (err)
		return err;
	err = stack_beacon_match(s, &b, &sub, &new_key);
	if (err)
		return err;
	mesh_beacon_sched_heard(&sub->beacon);
	iv_err = stack_beacon_iv(s, sub->net_idx, &b);
	/* The state may have moved, or a refused start left an update
	 * pending (iv_index.h): the timer takes it from here. */
	stack_iv_timer_sync(s, false);
	/* A beacon with an IV index to ignore is ignored whole (3.10.5),
	 * its Key Refresh flag included. */
	if (iv_err == MESH_ERR_IV_INDEX)
		return iv_err;
	err = stack_beacon_kr(s, sub, new_key, b.flags & MESH_BEACON_FLAG_KEY_REFRESH);
	return iv_err ? iv_err : err;
}

int mesh_stack_beacon_compose(struct mesh_stack *s, uint16_t net_idx,
			      uint8_t out[MESH_BEACON_SECURE_LEN])
{
	struct mesh_subnet *sub = mesh_subnet_find(&s->net.subnets, net_idx);
	struct mesh_subnet_keys *k;
	uint8_t flags = 0;

	if (!sub)
		return MESH_ERR_KEY_INDEX;
	/* 3.9.3, 3.10.4.1: in phase 2 the beacon is secured with the new key
	 * and carries the Key Refresh flag; the IV Index field is the
	 * current index, n + 1 while an update is in progress (3.10.5). */
	k = mesh_subnet_tx_keys(sub);
	if (mesh_subnet_tx_new(sub))
		flags |= MESH_BEACON_FLAG_KEY_REFRESH;
	if (s->net.iv.update)
		flags |= MESH_BEACON_FLAG_IV_UPDATE;
	return mesh_beacon_secure_compose(k->beacon_key, flags, k->net_id, s->net.iv.index, out);
}

/* ---- receive: addressing ----------------------------------------------- */

/* Does any model of ours subscribe to group or virtual address addr? */
static bool stack_subscribed(const struct mesh_stack *s, uint16_t addr)
{
	for (uint8_t e = 0; e < s->access.n_elems; e++) {
		const struct mesh_element *elem = &s->access.elems[e];

		for (uint8_t i = 0; i < elem->n_models; i++) {
			const struct mesh_model *m = elem->models[i];

			for (uint8_t k = 0; k < m->n_subs; k++) {
				if (m->subs[k].addr == addr)
					return true;
			}
		}
	}
	return false;
}

static bool stack_dst_is_ours(const struct mesh_stack *s, uint16_t dst)
{
	if (s->accept_all)
		return true;
	if (mesh_addr_is_unicast(dst))
		return stack_is_own(s, dst);
	switch (dst) {
	case MESH_ADDR_ALL_NODES:
		return true;
	case MESH_ADDR_ALL_RELAYS:
		return s->net.relay;
	case MESH_ADDR_ALL_PROXIES:
	case MESH_ADDR_ALL_FRIENDS:
		return false;  /* features this stack does not run */
	}
	return stack_subscribed(s, dst);
}

/* ---- receive: replay protection ---------------------------------------- */

/* Check (never record) the PDU in rx against the RPL. */
static int stack_rpl_check(const struct mesh_stack *s, const struct mesh_net_rx *rx,
			   const struct mesh_lt_pdu *p)
{
	uint64_t seq_auth;
	int err;

	if (!p->seg)
		return mesh_rpl_check(&s->rpl, rx->src, rx->iv_index, rx->seq);
	err = mesh_lt_seq_auth(rx->iv_index, rx->seq, p->seq_zero, &seq_auth);
	if (err)
		return err;
	return mesh_rpl_check_seg(&s->rpl, rx->src, rx->iv_index, rx->seq, seq_auth);
}

/*
 * msg authenticated: record the PDU that completed it. A segmented message
 * must also be newer than the previous segmented one delivered from src
 * (not merely not older, as its segments are): lower transport forgets
 * finished messages eventually, and a replay of all its segments would
 * otherwise reassemble and deliver it again. Unsegmented messages from src
 * in between do not count (3.5.3.4): their SEQs may well be above this
 * message's SeqAuth while its segments were still on the way.
 */
static int stack_rpl_accept(struct mesh_stack *s, const struct mesh_transport_msg *msg)
{
	const struct mesh_net_rx *rx = s->rx_cur;
	const struct mesh_rpl_entry *e;
	uint64_t seq_auth;

	if (!msg->segmented)
		return mesh_rpl_accept(&s->rpl, rx->src, rx->iv_index, rx->seq);
	seq_auth = mesh_seq_auth(msg->iv_index, msg->seq);
	e = mesh_rpl_find(&s->rpl, rx->src);
	if (e && e->has_seg && e->seg_seq_auth >= seq_auth)
		return MESH_ERR_REPLAY;
	return mesh_rpl_accept_seg(&s->rpl, rx->src, rx->iv_index, rx->seq, seq_auth);
}

/* ---- receive: upper layers (run from the lower transport deliver op) -- */

static int stack_ctl_rx(struct mesh_stack *s, const struct mesh_transport_msg *msg)
{
	struct mesh_ctl_msg ctl;
	struct mesh_stack_hb_rx hb;
	int err;

	s->rx_trace->layer = MESH_STACK_CONTROL;
	err = mesh_upper_ctl_decode(msg->opcode, msg->pdu, msg->len, &ctl);
	if (err && err != MESH_ERR_UNKNOWN_OPCODE)
		return err;
	if (!err && msg->opcode == MESH_CTL_HEARTBEAT) {
		hb = (struct mesh_stack_hb_rx){
			.net_idx = msg->net_idx,
			.src = msg->src,
			.dst = msg->dst,
			.rx_ttl = msg->ttl,
			.hops = mesh_heartbeat_hops(&ctl.u.heartbeat, msg->ttl),
			.hb = ctl.u.heartbeat,
		};
		if (s->ops->heartbeat)
			s->ops->heartbeat(s->ctx, &hb);
		return 0;
	}
	if (s->ops->control)
		s->ops->control(s->ctx, msg, err ? NULL : &ctl);
	return 0;
}

static int stack_access_rx(struct mesh_stack *s, const struct mesh_transport_msg *msg)
{
	struct mesh_access_msg am;
	size_t len;
	int err;

	s->rx_trace->layer = MESH_STACK_UPPER;
	err = mesh_upper_decrypt(&s->keyring, msg, s->rx_payload, sizeof(s->rx_payload), &len,
				 &s->rx_key);
	if (err)
		return err;
	s->rx_trace->layer = MESH_STACK_RPL;
	err = stack_rpl_accept(s, msg);
	if (err)
		return err;
	am = (struct mesh_access_msg){
		.net_idx = msg->net_idx,
		.app_idx = s->rx_key.dev ? MESH_KEY_IDX_DEV : s->rx_key.app_idx,
		.src = msg->src,
		.dst = msg->dst,
		.label_uuid = s->rx_key.has_label ? s->rx_key.label_uuid : NULL,
		.ttl = msg->ttl,
		.rssi = MESH_RSSI_UNKNOWN,
	};
	if (s->ops->access_rx)
		s->ops->access_rx(s->ctx, &am, s->rx_payload, len);
	s->rx_trace->layer = MESH_STACK_ACCESS;
	return mesh_access_dispatch(&s->access, &am, s->rx_payload, len);
}

/*
 * Returns 0 once msg authenticated and was recorded in the RPL, whatever
 * became of it after (unknown opcode, no model, ...), else why it was
 * refused: a TransMIC or key failure, a replay, a full RPL. Lower
 * transport only lets accepted messages make older SeqAuths from their
 * source obsolete, so a forged segmented message cannot lock out the
 * genuine source's (see mesh_lt_ops.deliver).
 */
static int stack_lt_deliver(void *ctx, const struct mesh_transport_msg *msg)
{
	struct mesh_stack *s = ctx;
	int err;

	/* Lower transport only delivers from inside mesh_lt_receive(). */
	if (!s->rx_cur)
		return MESH_ERR_INVAL;
	s->rx_delivered = true;
	if (msg->ctl) {
		/* The NetMIC was a control message's only authentication. */
		s->rx_trace->layer = MESH_STACK_RPL;
		err = stack_rpl_accept(s, msg);
		if (!err)
			err = stack_ctl_rx(s, msg);
	} else {
		err = stack_access_rx(s, msg);
	}
	s->rx_trace->err = err;
	/* The layers run in order: failing at the upper transport or the
	 * RPL means refused; past them, the message was accepted. */
	if (s->rx_trace->layer == MESH_STACK_UPPER || s->rx_trace->layer == MESH_STACK_RPL)
		return err;
	return 0;
}

/* ---- receive: the chain ------------------------------------------------ */

static void stack_relay(struct mesh_stack *s, const struct mesh_net_rx *rx,
			struct mesh_stack_trace *t)
{
	uint8_t pdu[MESH_NET_MAX_PDU];
	size_t len;

	if (!mesh_net_relay_wanted(&s->net, rx))
		return;
	if (mesh_net_relay_encode(&s->net, rx, pdu, &len))
		return;
	if (s->ops->relay_send)
		t->relayed = s->ops->relay_send(s->ctx, pdu, len) == 0;
	else
		t->relayed = s->ops->bearer_send(s->ctx, pdu, len) == 0;
}

/* From lower transport up, for a PDU addressed to us. */
static int stack_transport_rx(struct mesh_stack *s, const struct mesh_net_rx *rx,
			      struct mesh_stack_trace *t)
{
	struct mesh_lt_pdu p;
	int err;

	t->layer = MESH_STACK_LOWER;
	err = mesh_lt_decode(rx->ctl, rx->transport, rx->transport_len, &p);
	if (err)
		return err;
	t->layer = MESH_STACK_RPL;
	err = stack_rpl_check(s, rx, &p);
	if (err)
		return err;

	t->layer = MESH_STACK_LOWER;
	s->rx_cur = rx;
	s->rx_delivered = false;
	err = mesh_lt_receive(&s->lt, rx);
	s->rx_cur = NULL;
	if (err)
		return err;
	if (s->rx_delivered)
		return t->err;
	/* Consumed by lower transport itself: a stored segment (recorded
	 * when its message completes) or an acknowledgment. */
	if (!p.seg) {
		t->layer = MESH_STACK_RPL;
		return mesh_rpl_accept(&s->rpl, rx->src, rx->iv_index, rx->seq);
	}
	return 0;
}

static void stack_trace_hdr(struct mesh_stack_trace *t, const struct mesh_net_rx *rx)
{
	t->authenticated = true;
	t->net_idx = rx->net_idx;
	t->iv_index = rx->iv_index;
	t->seq = rx->seq;
	t->src = rx->src;
	t->dst = rx->dst;
	t->ttl = rx->ttl;
	t->ctl = rx->ctl;
}

static int stack_net_rx(struct mesh_stack *s, const uint8_t *pdu, size_t len,
			struct mesh_stack_trace *t)
{
	struct mesh_net_rx rx;
	int err;

	t->layer = MESH_STACK_NET;
	err = mesh_net_receive(&s->net, pdu, len, &rx);
	if (err)
		return err;
	stack_trace_hdr(t, &rx);
	stack_relay(s, &rx, t);
	/* Our own SEQ space: an echo the cache has forgotten, or a replay. */
	if (stack_is_own(s, rx.src))
		return MESH_ERR_SRC;
	if (!stack_dst_is_ours(s, rx.dst))
		return t->relayed ? 0 : MESH_ERR_DST;
	return stack_transport_rx(s, &rx, t);
}

int mesh_stack_net_receive(struct mesh_stack *s, const uint8_t *pdu, size_t len)
{
	struct mesh_stack_trace t = { 0 };

	if (s->rx_busy)
		return MESH_ERR_BUSY;
	s->rx_busy = true;
	s->rx_trace = &t;
	t.err = stack_net_rx(s, pdu, len, &t);
	s->rx_trace = NULL;
	s->rx_busy = false;
	if (s->ops->rx_trace)
		s->ops->rx_trace(s->ctx, &t);
	return t.err;
}

/* ---- send -------------------------------------------------------------- */

/* Fill the parts of msg every message we originate shares. */
static int stack_tx_common(struct mesh_stack *s, uint16_t net_idx, uint16_t src,
			   uint16_t dst, uint8_t ttl, struct mesh_transport_msg *msg)
{
	if (!mesh_subnet_find(&s->net.subnets, net_idx))
		return MESH_ERR_KEY_INDEX;
	if (!stack_is_own(s, src))
		return MESH_ERR_SRC;
	ttl = stack_ttl(s, ttl);
	if (ttl > MESH_TTL_MAX)
		return MESH_ERR_INVAL;
	msg->net_idx = net_idx;
	msg->src = src;
	msg->dst = dst;
	msg->ttl = ttl;
	msg->iv_index = mesh_iv_tx_index(&s->net.iv);
	return mesh_seq_next(&s->seq, &msg->seq);
}

static uint16_t stack_dev_addr(struct mesh_stack *s, const struct mesh_stack_access_tx *tx)
{
	if (tx->dev_addr)
		return tx->dev_addr;
	if (mesh_addr_is_unicast(tx->dst) && mesh_dev_keys_lookup(&s->dev_keys, tx->dst))
		return tx->dst;
	return tx->src;
}

int mesh_stack_send_access(struct mesh_stack *s, const struct mesh_stack_access_tx *tx,
			   void *cookie)
{
	struct mesh_subnet *sub = mesh_subnet_find(&s->net.subnets, tx->net_idx);
	uint8_t pdu[MESH_UPPER_MAX_PDU];
	struct mesh_transport_msg msg = {
		.segmented = tx->segmented,
		.szmic = tx->szmic,
	};
	struct mesh_upper_tx utx = {
		.payload = tx->payload,
		.len = tx->len,
		.label_uuid = tx->label_uuid,
		.key = {
			.dev = tx->dev_key,
			.app_idx = tx->app_idx,
		},
	};
	int err;

	if (!sub)
		return MESH_ERR_KEY_INDEX;
	if (tx->dev_key)
		utx.key.dev_addr = stack_dev_addr(s, tx);
	else
		utx.key.new_key = mesh_subnet_tx_new(sub);
	err = stack_tx_common(s, tx->net_idx, tx->src, tx->dst, tx->ttl, &msg);
	if (err)
		return err;
	err = mesh_upper_encrypt(&s->keyring, &utx, &msg, pdu, sizeof(pdu));
	if (err)
		return err;
	return mesh_lt_send(&s->lt, &msg, cookie);
}

int mesh_stack_send_control(struct mesh_stack *s, const struct mesh_stack_ctl_tx *tx,
			    void *cookie)
{
	struct mesh_transport_msg msg = {
		.ctl = true,
		.opcode = tx->opcode,
		.segmented = tx->segmented,
		.pdu = tx->params,
		.len = tx->len,
	};
	int err;

	/* Control messages have no label to authenticate a virtual dst. */
	if (mesh_addr_is_virtual(tx->dst) || mesh_addr_is_unassigned(tx->dst))
		return MESH_ERR_DST;
	if (tx->opcode == MESH_CTL_SEG_ACK || tx->opcode > 0x7f)
		return MESH_ERR_INVAL;
	err = stack_tx_common(s, tx->net_idx, tx->src, tx->dst, tx->ttl, &msg);
	if (err)
		return err;
	return mesh_lt_send(&s->lt, &msg, cookie);
}

int mesh_stack_send_heartbeat(struct mesh_stack *s, uint16_t net_idx, uint16_t dst,
			      uint8_t init_ttl, uint16_t features, void *cookie)
{
	struct mesh_heartbeat hb = { .init_ttl = init_ttl, .features = features };
	uint8_t params[MESH_HEARTBEAT_LEN];
	struct mesh_stack_ctl_tx tx = {
		.net_idx = net_idx,
		.src = s->net.own_addr,
		.dst = dst,
		.ttl = init_ttl,
		.opcode = MESH_CTL_HEARTBEAT,
		.params = params,
		.len = sizeof(params),
	};
	int err = mesh_heartbeat_encode(&hb, params);

	if (err)
		return err;
	return mesh_stack_send_control(s, &tx, cookie);
}
