/*
 * The Configuration Server of a simulated node (Mesh Profile 4.4.1): the
 * model a Provisioner talks to, with the node's device key, to give it
 * keys, bind and subscribe its models, set their publications, and set up
 * heartbeats. meshsim runs it so a gateway can configure simulated nodes
 * exactly as it configures real ones.
 *
 * Requests are decoded and statuses encoded by mesh/cfg_msg.c; this file
 * holds the rules of 4.4.1.2 and the states of 4.2: which status code a
 * request earns, what it changes in the node's stack (keys, bindings,
 * subscriptions, relay, Default TTL), in sim_node.c's node-wide state
 * (struct sim_node_state) and in the target model's publication (struct
 * sim_model_pub). Messages the codec refuses (prohibited values, wrong
 * lengths) get no answer, which is what the specification asks for them.
 *
 * Heartbeats (4.2.17, 4.2.18, 3.6.7) live here because their state is
 * the Configuration Server's: periodic publication runs on a timer of the
 * world's queue, triggered publication on sim_cfg_srv_features_changed(),
 * and subscription counts what sim_cfg_srv_heartbeat_rx() is handed while
 * its period runs.
 *
 * Nothing secret is logged: keys never appear, only indexes.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/addr.h"
#include "mesh/cfg_msg.h"
#include "mesh/crypto.h"
#include "mesh/err.h"
#include "mesh/heartbeat.h"
#include "mesh/log.h"
#include "mesh/rpl.h"
#include "mesh/util.h"
#include "sim_internal.h"

/* Heartbeat Subscription Min Hops before the first heartbeat (4.2.18.5). */
#define HB_MIN_HOPS_NONE 0x7f
/*
 * A heartbeat a Set causes (the first periodic one, a triggered one) waits
 * this long so the status answering the Set leaves first: the two carry
 * consecutive SEQs, and a receiver that saw the heartbeat first would drop
 * the status as a replay. Longer than the world's advertising jitter.
 */
#define HB_AFTER_STATUS_MS 20u

/* Heartbeat Publication (4.2.17). count: heartbeats left to send,
 * MESH_CFG_HB_COUNT_INFINITE for "indefinitely". */
struct hb_pub {
	uint16_t dst;
	uint16_t count;
	uint8_t period_log;
	uint8_t ttl;
	uint16_t features;
	uint16_t net_idx;
};

/* Heartbeat Subscription (4.2.18). Heartbeats are counted until
 * until_ms on the world's queue clock. */
struct hb_sub {
	uint16_t src;
	uint16_t dst;
	uint64_t until_ms;
	uint16_t count;
	uint8_t min_hops;
	uint8_t max_hops;
};

struct cfg_srv {
	struct sim_model m;          /* first: sim_node.c may free() it */
	struct mesh_timer hb_timer;  /* periodic heartbeat publication */
	struct mesh_timer trig_timer;/* a triggered heartbeat, just after the status */
	struct hb_pub pub;
	struct hb_sub sub;
	uint16_t features_sent;      /* feature bits as last reported */
};

static struct cfg_srv *cfg_of(struct sim_model *m)
{
	return MESH_CONTAINER_OF(m, struct cfg_srv, m);
}

static struct mesh_stack *cfg_stack(struct cfg_srv *s)
{
	return s->m.dev->stack;
}

static struct mesh_timers *cfg_queue(struct cfg_srv *s)
{
	return sim_world_queue(s->m.dev->world);
}

/* ---- node state ---------------------------------------------------------- */

/* The Features bits (3.6.5.10) of what runs now: a feature counts only
 * while it is enabled (heartbeats report state, not support). */
static uint16_t features_now(struct cfg_srv *s)
{
	const struct sim_node_state *st = sim_node_state(s->m.dev);
	uint16_t f = 0;

	if (!st)
		return 0;
	if (st->relay == MESH_CFG_ENABLED)
		f |= MESH_FEAT_RELAY;
	if (st->gatt_proxy == MESH_CFG_ENABLED)
		f |= MESH_FEAT_PROXY;
	if (st->friend_ == MESH_CFG_ENABLED)
		f |= MESH_FEAT_FRIEND;
	if (s->m.dev->desc.features & SIM_FEAT_LOW_POWER)
		f |= MESH_FEAT_LPN;
	return f;
}

/* The Features field of Composition Data page 0: what the node supports. */
static uint16_t features_supported(struct cfg_srv *s)
{
	const struct sim_node_state *st = sim_node_state(s->m.dev);
	uint16_t f = s->m.dev->desc.features & SIM_FEAT_LOW_POWER;

	if (!st)
		return f;
	if (st->relay != MESH_CFG_NOT_SUPPORTED)
		f |= MESH_FEAT_RELAY;
	if (st->gatt_proxy != MESH_CFG_NOT_SUPPORTED)
		f |= MESH_FEAT_PROXY;
	if (st->friend_ != MESH_CFG_NOT_SUPPORTED)
		f |= MESH_FEAT_FRIEND;
	return f;
}

/* The stack has no setter for its Default TTL and lower transport keeps
 * a copy for the segment acknowledgments it sends; both must change. */
static void default_ttl_store(struct mesh_stack *stack, uint8_t ttl)
{
	stack->default_ttl = ttl;
	stack->lt.cfg.default_ttl = ttl;
}

static bool net_key_known(struct cfg_srv *s, uint16_t net_idx)
{
	return mesh_subnet_find(&cfg_stack(s)->net.subnets, net_idx) != NULL;
}

static struct mesh_app_key *app_key_find(struct cfg_srv *s, uint16_t app_idx)
{
	return mesh_app_keys_get(&cfg_stack(s)->app_keys, app_idx);
}

/* ---- heartbeat publication ------------------------------------------------ */

static void hb_send(struct cfg_srv *s)
{
	int rc = mesh_stack_send_heartbeat(cfg_stack(s), s->pub.net_idx, s->pub.dst, s->pub.ttl,
					   features_now(s), NULL);

	if (rc)
		mesh_log_warn(SIM_LOG, "%s: heartbeat to 0x%04x not sent: %s",
			      s->m.dev->desc.name, s->pub.dst, mesh_strerror(rc));
}

static uint32_t hb_pub_period_ms(const struct hb_pub *p)
{
	uint32_t seconds = 0;

	if (mesh_cfg_hb_period_from_log(p->period_log, &seconds))
		return 0;
	return seconds * 1000u;
}

static void hb_pub_fire(struct mesh_timer *t)
{
	struct cfg_srv *s = MESH_CONTAINER_OF(t, struct cfg_srv, hb_timer);
	uint32_t period = hb_pub_period_ms(&s->pub);

	if (s->pub.dst == MESH_ADDR_UNASSIGNED || s->pub.count == 0 || period == 0)
		return;
	hb_send(s);
	if (s->pub.count != MESH_CFG_HB_COUNT_INFINITE)
		s->pub.count--;
	if (s->pub.count)
		mesh_timer_start(cfg_queue(s), &s->hb_timer, period);
}

/*
 * Count Log of the heartbeats still to send. A publication count comes
 * from 2^(n-1) and only goes down, so it is reported as the smallest
 * 2^(n-1) that still covers it: 8 left of 8 is 0x04, and so is 7 (the
 * reading Zephyr and the PTS use). Subscription counts go up and are
 * reported rounded down, which is mesh_cfg_hb_count_log().
 */
static uint8_t hb_pub_count_log(uint16_t count)
{
	uint8_t n = 1;

	if (count == 0)
		return 0;
	if (count == MESH_CFG_HB_COUNT_INFINITE)
		return MESH_CFG_HB_COUNT_LOG_INFINITE;
	while ((1u << (n - 1)) < count)
		n++;
	return n;
}

static void hb_pub_status(struct cfg_srv *s, uint8_t status, struct mesh_cfg_hb_pub *out)
{
	out->status = status;
	out->dst = s->pub.dst;
	out->count_log = hb_pub_count_log(s->pub.count);
	out->period_log = s->pub.period_log;
	out->ttl = s->pub.ttl;
	out->features = s->pub.features;
	out->net_idx = s->pub.net_idx;
}

/* Heartbeat Publication Set (4.2.17). */
static int hb_pub_set(struct cfg_srv *s, const struct mesh_cfg_hb_pub *req,
		      struct mesh_cfg_hb_pub *out)
{
	uint32_t count = 0;

	if (!net_key_known(s, req->net_idx)) {
		*out = *req;
		out->status = MESH_CFG_INVALID_NETKEY;
		return 0;
	}
	if (mesh_cfg_hb_count_from_log(req->count_log, &count))
		return MESH_ERR_RESERVED;
	mesh_timer_stop(cfg_queue(s), &s->hb_timer);
	s->pub.features = req->features & MESH_FEAT_KNOWN;
	s->pub.net_idx = req->net_idx;
	s->pub.dst = req->dst;
	if (req->dst == MESH_ADDR_UNASSIGNED) {
		/* Publication off: nothing left to count or time. */
		s->pub.count = 0;
		s->pub.period_log = 0;
		s->pub.ttl = 0;
	} else {
		s->pub.count = count >= MESH_CFG_HB_COUNT_INFINITE ? MESH_CFG_HB_COUNT_INFINITE
								    : (uint16_t)count;
		s->pub.period_log = req->period_log;
		s->pub.ttl = req->ttl;
		/* 4.2.17.3: the first periodic heartbeat goes out as soon as
		 * possible after the period was set. */
		if (s->pub.count && hb_pub_period_ms(&s->pub))
			mesh_timer_start(cfg_queue(s), &s->hb_timer, HB_AFTER_STATUS_MS);
	}
	hb_pub_status(s, MESH_CFG_SUCCESS, out);
	return 0;
}

void sim_cfg_srv_features_changed(struct sim_model *cfg)
{
	struct cfg_srv *s;
	uint16_t now, changed;

	if (!cfg)
		return;
	s = cfg_of(cfg);
	now = features_now(s);
	changed = now ^ s->features_sent;
	s->features_sent = now;
	/* 4.2.17.5 (triggered publishing): independent of the count. */
	if (changed & s->pub.features && s->pub.dst != MESH_ADDR_UNASSIGNED)
		mesh_timer_start(cfg_queue(s), &s->trig_timer, HB_AFTER_STATUS_MS);
}

static void hb_trig_fire(struct mesh_timer *t)
{
	struct cfg_srv *s = MESH_CONTAINER_OF(t, struct cfg_srv, trig_timer);

	if (s->pub.dst != MESH_ADDR_UNASSIGNED)
		hb_send(s);
}

/* ---- heartbeat subscription ------------------------------------------------ */

static uint32_t hb_sub_remaining_s(struct cfg_srv *s)
{
	uint64_t now = mesh_timers_now(cfg_queue(s));

	return s->sub.until_ms > now ? (uint32_t)((s->sub.until_ms - now) / 1000u) : 0;
}

static bool hb_sub_running(struct cfg_srv *s)
{
	return s->sub.until_ms > mesh_timers_now(cfg_queue(s));
}

static void hb_sub_status(struct cfg_srv *s, struct mesh_cfg_hb_sub *out)
{
	out->status = MESH_CFG_SUCCESS;
	out->src = s->sub.src;
	out->dst = s->sub.dst;
	out->period_log = mesh_cfg_hb_period_log(hb_sub_remaining_s(s));
	out->count_log = mesh_cfg_hb_count_log(s->sub.count);
	out->min_hops = s->sub.min_hops;
	out->max_hops = s->sub.max_hops;
}

/*
 * Heartbeat Subscription Set (4.2.18). An unassigned source or
 * destination turns subscription off and clears it. A period of 0 with
 * both addresses set stops counting but keeps the results, so a client
 * can read what arrived. Otherwise a new period starts from zero counts.
 */
static int hb_sub_set(struct cfg_srv *s, const struct mesh_cfg_hb_sub *req,
		      struct mesh_cfg_hb_sub *out)
{
	uint32_t seconds = 0;

	/* A unicast destination other than our primary address is
	 * prohibited: those heartbeats never reach this node. */
	if (mesh_addr_is_unicast(req->dst) && req->dst != cfg_stack(s)->access.primary)
		return MESH_ERR_RESERVED;
	if (mesh_cfg_hb_period_from_log(req->period_log, &seconds))
		return MESH_ERR_RESERVED;
	if (req->src == MESH_ADDR_UNASSIGNED || req->dst == MESH_ADDR_UNASSIGNED) {
		memset(&s->sub, 0, sizeof(s->sub));
	} else if (seconds == 0) {
		s->sub.src = req->src;
		s->sub.dst = req->dst;
		s->sub.until_ms = 0;
	} else {
		s->sub.src = req->src;
		s->sub.dst = req->dst;
		s->sub.count = 0;
		s->sub.min_hops = HB_MIN_HOPS_NONE;
		s->sub.max_hops = 0;
		s->sub.until_ms = mesh_timers_now(cfg_queue(s)) + (uint64_t)seconds * 1000u;
	}
	hb_sub_status(s, out);
	return 0;
}

void sim_cfg_srv_heartbeat_rx(struct sim_model *cfg, const struct mesh_stack_hb_rx *hb)
{
	struct cfg_srv *s;

	if (!cfg || !hb)
		return;
	s = cfg_of(cfg);
	if (!hb_sub_running(s) || hb->src != s->sub.src || hb->dst != s->sub.dst)
		return;
	if (s->sub.count < MESH_CFG_HB_COUNT_INFINITE)
		s->sub.count++;
	/* hops 0 means an RxTTL above InitTTL: nothing to learn from it. */
	if (hb->hops == 0 || hb->hops > MESH_CFG_TTL_MAX)
		return;
	if (hb->hops < s->sub.min_hops)
		s->sub.min_hops = (uint8_t)hb->hops;
	if (hb->hops > s->sub.max_hops)
		s->sub.max_hops = (uint8_t)hb->hops;
}

/* ---- model lookup ----------------------------------------------------------- */

/* The model a request names: MESH_CFG_INVALID_ADDRESS if elem_addr is not
 * one of our elements, MESH_CFG_INVALID_MODEL if that element lacks it. */
static uint8_t model_lookup(struct cfg_srv *s, uint16_t elem_addr, struct mesh_model_id id,
			    struct mesh_model **out)
{
	struct mesh_access *a = &cfg_stack(s)->access;

	*out = NULL;
	if (a->primary == MESH_ADDR_UNASSIGNED || elem_addr < a->primary ||
	    elem_addr - a->primary >= a->n_elems)
		return MESH_CFG_INVALID_ADDRESS;
	*out = mesh_access_model_find(a, (uint8_t)(elem_addr - a->primary), id);
	return *out ? MESH_CFG_SUCCESS : MESH_CFG_INVALID_MODEL;
}

/* Every registered model of a simulated node is a struct sim_model. */
static struct sim_model *sim_model_of(struct mesh_model *m)
{
	return m ? m->user_data : NULL;
}

/* ---- model publication -------------------------------------------------------- */

static void pub_label_release(struct cfg_srv *s, struct sim_model_pub *p)
{
	if (p->has_label)
		(void)mesh_va_del(&cfg_stack(s)->va, p->label, NULL);
	p->has_label = false;
}

static void pub_clear(struct cfg_srv *s, struct sim_model *sm)
{
	pub_label_release(s, &sm->pub);
	memset(&sm->pub, 0, sizeof(sm->pub));
	sim_model_pub_update(sm);
}

/* Publications whose AppKey is gone or no longer bound (AppKey or NetKey
 * Delete, Model App Unbind) stop: a model must not publish with a key it
 * may not use. */
static void pubs_drop_unusable(struct cfg_srv *s)
{
	struct mesh_access *a = &cfg_stack(s)->access;

	for (uint8_t e = 0; e < a->n_elems; e++) {
		for (uint8_t i = 0; i < a->elems[e].n_models; i++) {
			struct mesh_model *mm = a->elems[e].models[i];
			struct sim_model *sm = sim_model_of(mm);

			if (!sm || mm->dev_key || sm->pub.addr == MESH_ADDR_UNASSIGNED)
				continue;
			if (!app_key_find(s, sm->pub.app_idx) ||
			    !mesh_model_is_bound(mm, sm->pub.app_idx))
				pub_clear(s, sm);
		}
	}
}

static void pub_status_fill(const struct sim_model *sm, struct mesh_cfg_model_pub *out)
{
	out->pub_addr = sm->pub.addr;
	out->app_idx = sm->pub.app_idx;
	out->cred_flag = sm->pub.friendship_cred;
	out->ttl = sm->pub.ttl;
	out->period = sm->pub.period;
	out->retransmit = sm->pub.retransmit;
}

/* Check a Publication Set against model mm; a status code. */
static uint8_t pub_check(struct cfg_srv *s, struct mesh_model *mm,
			 const struct mesh_cfg_model_pub *req, bool unassigned)
{
	/* The Configuration models talk with the device key only and
	 * publish nothing. */
	if (mm->dev_key || !sim_model_of(mm))
		return MESH_CFG_INVALID_PUB_PARAMS;
	/* No friendship in meshsim, so no friendship credentials. */
	if (req->cred_flag && !unassigned)
		return MESH_CFG_FEATURE_NOT_SUPPORTED;
	if (unassigned)
		return MESH_CFG_SUCCESS;
	/* The AppKey must exist and be bound to the model: a model only
	 * sends with keys it is bound to. */
	if (!app_key_find(s, req->app_idx) || !mesh_model_is_bound(mm, req->app_idx))
		return MESH_CFG_INVALID_APPKEY;
	return MESH_CFG_SUCCESS;
}

/* Model Publication Set and Virtual Address Set (4.2.2). */
static int model_pub_set(struct cfg_srv *s, const struct mesh_cfg_model_pub *req, bool virt,
			 struct mesh_cfg_model_pub *out)
{
	struct mesh_model *mm;
	struct sim_model *sm;
	uint16_t addr = req->pub_addr;
	bool unassigned = !virt && addr == MESH_ADDR_UNASSIGNED;
	uint8_t status = model_lookup(s, req->elem_addr, req->model, &mm);

	if (status == MESH_CFG_SUCCESS)
		status = pub_check(s, mm, req, unassigned);
	if (status == MESH_CFG_SUCCESS && virt &&
	    mesh_stack_label_add(cfg_stack(s), req->label, &addr))
		status = MESH_CFG_INSUFFICIENT_RESOURCES;
	if (status != MESH_CFG_SUCCESS) {
		out->status = status;
		return 0;
	}
	sm = sim_model_of(mm);
	pub_label_release(s, &sm->pub);  /* after label_add: same label stays */
	memset(&sm->pub, 0, sizeof(sm->pub));
	if (!unassigned) {
		/* The unassigned address disables publication and every
		 * other field with it. */
		sm->pub.addr = addr;
		sm->pub.has_label = virt;
		if (virt)
			memcpy(sm->pub.label, req->label, sizeof(sm->pub.label));
		sm->pub.app_idx = req->app_idx;
		sm->pub.friendship_cred = req->cred_flag;
		sm->pub.ttl = req->ttl;
		sm->pub.period = req->period;
		sm->pub.retransmit = req->retransmit;
	}
	sim_model_pub_update(sm);
	out->status = MESH_CFG_SUCCESS;
	pub_status_fill(sm, out);
	return 0;
}

static int model_pub_get(struct cfg_srv *s, const struct mesh_cfg_model_pub *req,
			 struct mesh_cfg_model_pub *out)
{
	struct mesh_model *mm;
	uint8_t status = model_lookup(s, req->elem_addr, req->model, &mm);

	if (status == MESH_CFG_SUCCESS && (mm->dev_key || !sim_model_of(mm)))
		status = MESH_CFG_INVALID_PUB_PARAMS;
	out->status = status;
	if (status == MESH_CFG_SUCCESS)
		pub_status_fill(sim_model_of(mm), out);
	return 0;
}

/* ---- model subscription --------------------------------------------------------- */

/* Drop every subscription of mm, and the Label UUID references of its
 * virtual ones. */
static void subs_clear(struct cfg_srv *s, struct mesh_model *mm)
{
	for (uint8_t i = 0; i < mm->n_subs; i++) {
		if (mm->subs[i].has_label)
			(void)mesh_va_del(&cfg_stack(s)->va, mm->subs[i].label, NULL);
	}
	mesh_model_sub_clear(mm);
}

static uint8_t sub_add(struct cfg_srv *s, struct mesh_model *mm, uint16_t addr,
		       const uint8_t *label)
{
	int rc = mesh_model_sub_add(mm, addr, label);

	/* The label table counts references: one per subscription. */
	if (rc && label)
		(void)mesh_va_del(&cfg_stack(s)->va, label, NULL);
	switch (rc) {
	case 0:
	case MESH_ERR_EXISTS:
		return MESH_CFG_SUCCESS;
	case MESH_ERR_FULL:
		return MESH_CFG_INSUFFICIENT_RESOURCES;
	case MESH_ERR_DST:
		return MESH_CFG_INVALID_ADDRESS;
	default:
		return MESH_CFG_UNSPECIFIED_ERROR;
	}
}

static uint8_t sub_del(struct cfg_srv *s, struct mesh_model *mm, uint16_t addr,
		       const uint8_t *label)
{
	int rc = mesh_model_sub_del(mm, addr, label);

	if (rc == 0 && label)
		(void)mesh_va_del(&cfg_stack(s)->va, label, NULL);
	/* Deleting what is not there succeeds: the client may be retrying
	 * after a lost status. */
	return rc == 0 || rc == MESH_ERR_NOT_FOUND ? MESH_CFG_SUCCESS
						   : MESH_CFG_UNSPECIFIED_ERROR;
}

/* The Model Subscription requests (Subscription List, 4.2.3). */
static int model_sub_change(struct cfg_srv *s, uint32_t opcode,
			    const struct mesh_cfg_model_sub *req, struct mesh_cfg_model_sub *out)
{
	bool virt = opcode == MESH_OP_CFG_MODEL_SUB_VA_ADD ||
		    opcode == MESH_OP_CFG_MODEL_SUB_VA_DELETE ||
		    opcode == MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE;
	const uint8_t *label = virt ? req->label : NULL;
	uint16_t addr = req->addr;
	struct mesh_model *mm;
	uint8_t status;

	if (virt && mesh_virtual_address(req->label, &addr))
		return MESH_ERR_CRYPTO;
	out->addr = opcode == MESH_OP_CFG_MODEL_SUB_DELETE_ALL ? MESH_ADDR_UNASSIGNED : addr;
	status = model_lookup(s, req->elem_addr, req->model, &mm);
	/* The Configuration models do not subscribe (4.4.1, 4.4.2). */
	if (status == MESH_CFG_SUCCESS && mm->dev_key)
		status = MESH_CFG_NOT_A_SUB_MODEL;
	if (status != MESH_CFG_SUCCESS) {
		out->status = status;
		return 0;
	}
	switch (opcode) {
	case MESH_OP_CFG_MODEL_SUB_OVERWRITE:
	case MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE:
		subs_clear(s, mm);
		/* fall through */
	case MESH_OP_CFG_MODEL_SUB_ADD:
	case MESH_OP_CFG_MODEL_SUB_VA_ADD:
		if (virt && mesh_stack_label_add(cfg_stack(s), req->label, NULL)) {
			status = MESH_CFG_INSUFFICIENT_RESOURCES;
			break;
		}
		status = sub_add(s, mm, addr, label);
		break;
	case MESH_OP_CFG_MODEL_SUB_DELETE:
	case MESH_OP_CFG_MODEL_SUB_VA_DELETE:
		status = sub_del(s, mm, addr, label);
		break;
	default: /* Delete All */
		subs_clear(s, mm);
		status = MESH_CFG_SUCCESS;
		break;
	}
	out->status = status;
	return 0;
}

static int model_sub_get(struct cfg_srv *s, const struct mesh_cfg_model_sub_list *req,
			 struct mesh_cfg_model_sub_list *out)
{
	struct mesh_model *mm;

	out->status = model_lookup(s, req->elem_addr, req->model, &mm);
	if (out->status == MESH_CFG_SUCCESS && mm->dev_key)
		out->status = MESH_CFG_NOT_A_SUB_MODEL;
	if (out->status != MESH_CFG_SUCCESS)
		return 0;
	for (uint8_t i = 0; i < mm->n_subs && out->n < MESH_CFG_ADDR_LIST_MAX; i++)
		out->addr[out->n++] = mm->subs[i].addr;
	return 0;
}

/* ---- model to AppKey bindings ----------------------------------------------------- */

/* Model App Bind and Unbind (Model to AppKey List, 4.2.6). */
static int model_app_change(struct cfg_srv *s, bool bind, const struct mesh_cfg_model_app *req,
			    struct mesh_cfg_model_app *out)
{
	struct mesh_model *mm;
	uint8_t status = model_lookup(s, req->elem_addr, req->model, &mm);
	int rc;

	if (status == MESH_CFG_SUCCESS && !app_key_find(s, req->app_idx))
		status = MESH_CFG_INVALID_APPKEY;
	/* The Configuration models only ever use the device key. */
	if (status == MESH_CFG_SUCCESS && mm->dev_key)
		status = MESH_CFG_CANNOT_BIND;
	if (status == MESH_CFG_SUCCESS) {
		rc = bind ? mesh_model_bind(mm, req->app_idx) : mesh_model_unbind(mm, req->app_idx);
		if (rc == MESH_ERR_FULL)
			status = MESH_CFG_INSUFFICIENT_RESOURCES;
		else if (rc && rc != MESH_ERR_EXISTS && rc != MESH_ERR_NOT_FOUND)
			status = MESH_CFG_UNSPECIFIED_ERROR;
		if (!bind && rc == 0)
			pubs_drop_unusable(s);
	}
	out->status = status;
	return 0;
}

static int model_app_get(struct cfg_srv *s, const struct mesh_cfg_model_app_list *req,
			 struct mesh_cfg_model_app_list *out)
{
	struct mesh_model *mm;

	out->status = model_lookup(s, req->elem_addr, req->model, &mm);
	if (out->status != MESH_CFG_SUCCESS)
		return 0;
	for (uint8_t i = 0; i < mm->n_binds && out->n < MESH_CFG_KEY_LIST_MAX; i++)
		out->app_idx[out->n++] = mm->binds[i];
	return 0;
}

/* ---- NetKeys ----------------------------------------------------------------------- */

static unsigned int net_key_count(struct cfg_srv *s)
{
	const struct mesh_subnets *t = &cfg_stack(s)->net.subnets;
	unsigned int n = 0;

	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->sub); i++)
		n += t->sub[i].in_use;
	return n;
}

static uint8_t net_key_add(struct cfg_srv *s, const struct mesh_cfg_net_key *req)
{
	switch (mesh_stack_net_key_add(cfg_stack(s), req->net_idx, req->key)) {
	case 0:
		return MESH_CFG_SUCCESS;
	case MESH_ERR_EXISTS:
		return MESH_CFG_KEY_INDEX_ALREADY_STORED;
	case MESH_ERR_FULL:
		return MESH_CFG_INSUFFICIENT_RESOURCES;
	default:
		return MESH_CFG_UNSPECIFIED_ERROR;
	}
}

static uint8_t net_key_update(struct cfg_srv *s, const struct mesh_cfg_net_key *req)
{
	if (!net_key_known(s, req->net_idx))
		return MESH_CFG_INVALID_NETKEY;
	switch (mesh_stack_net_key_update(cfg_stack(s), req->net_idx, req->key)) {
	case 0:
		return MESH_CFG_SUCCESS;
	case MESH_ERR_KEY_REFRESH:
		return MESH_CFG_CANNOT_UPDATE;
	default:
		return MESH_CFG_UNSPECIFIED_ERROR;
	}
}

/* NetKey Delete: never the last NetKey, nor the one this very request
 * came under (its status could not be sent). */
static uint8_t net_key_delete(struct cfg_srv *s, const struct mesh_access_msg *msg,
			      const struct mesh_cfg_net_key *req)
{
	if (!net_key_known(s, req->net_idx))
		return MESH_CFG_SUCCESS;  /* a retry after a lost status */
	if (net_key_count(s) <= 1 || req->net_idx == msg->net_idx)
		return MESH_CFG_CANNOT_REMOVE;
	if (mesh_stack_net_key_delete(cfg_stack(s), req->net_idx))
		return MESH_CFG_UNSPECIFIED_ERROR;
	pubs_drop_unusable(s);
	if (s->pub.net_idx == req->net_idx && s->pub.dst != MESH_ADDR_UNASSIGNED) {
		mesh_timer_stop(cfg_queue(s), &s->hb_timer);
		s->pub.dst = MESH_ADDR_UNASSIGNED;
		s->pub.count = 0;
		s->pub.period_log = 0;
		s->pub.ttl = 0;
	}
	return MESH_CFG_SUCCESS;
}

static int net_key_change(struct cfg_srv *s, const struct mesh_access_msg *msg, uint32_t opcode,
			  const struct mesh_cfg_net_key *req, struct mesh_cfg_net_key *out)
{
	out->net_idx = req->net_idx;
	if (opcode == MESH_OP_CFG_NETKEY_ADD)
		out->status = net_key_add(s, req);
	else if (opcode == MESH_OP_CFG_NETKEY_UPDATE)
		out->status = net_key_update(s, req);
	else
		out->status = net_key_delete(s, msg, req);
	return 0;
}

static int net_key_list(struct cfg_srv *s, struct mesh_cfg_key_list *out)
{
	const struct mesh_subnets *t = &cfg_stack(s)->net.subnets;

	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->sub); i++) {
		if (t->sub[i].in_use)
			out->idx[out->n++] = t->sub[i].net_idx;
	}
	return 0;
}

static int krp_get(struct cfg_srv *s, const struct mesh_cfg_krp *req, struct mesh_cfg_krp *out)
{
	struct mesh_subnet *sub = mesh_subnet_find(&cfg_stack(s)->net.subnets, req->net_idx);

	out->net_idx = req->net_idx;
	out->status = sub ? MESH_CFG_SUCCESS : MESH_CFG_INVALID_NETKEY;
	out->phase = sub ? sub->kr_phase : MESH_CFG_KR_PHASE_NORMAL;
	return 0;
}

/* Key Refresh Phase Set: the transitions 4.2.14 prohibits (phase 0 -> 2)
 * get no answer. */
static int krp_set(struct cfg_srv *s, const struct mesh_cfg_krp *req, struct mesh_cfg_krp *out)
{
	int rc;

	if (net_key_known(s, req->net_idx)) {
		rc = mesh_stack_kr_set(cfg_stack(s), req->net_idx, req->phase);
		if (rc)
			return rc;
	}
	return krp_get(s, req, out);
}

/* ---- AppKeys ------------------------------------------------------------------------- */

static uint8_t app_key_add(struct cfg_srv *s, const struct mesh_cfg_app_key *req)
{
	const struct mesh_app_key *k;

	if (!net_key_known(s, req->net_idx))
		return MESH_CFG_INVALID_NETKEY;
	switch (mesh_stack_app_key_add(cfg_stack(s), req->app_idx, req->net_idx, req->key)) {
	case 0:
		return MESH_CFG_SUCCESS;
	case MESH_ERR_EXISTS:
		/* Stored under another NetKey: the NetKey Index is wrong
		 * for this AppKey; else a different key holds the index. */
		k = app_key_find(s, req->app_idx);
		return k && k->net_idx != req->net_idx ? MESH_CFG_INVALID_NETKEY
						       : MESH_CFG_KEY_INDEX_ALREADY_STORED;
	case MESH_ERR_FULL:
		return MESH_CFG_INSUFFICIENT_RESOURCES;
	default:
		return MESH_CFG_UNSPECIFIED_ERROR;
	}
}

static uint8_t app_key_update(struct cfg_srv *s, const struct mesh_cfg_app_key *req)
{
	const struct mesh_app_key *k = app_key_find(s, req->app_idx);

	if (!net_key_known(s, req->net_idx))
		return MESH_CFG_INVALID_NETKEY;
	if (!k)
		return MESH_CFG_INVALID_APPKEY;
	if (k->net_idx != req->net_idx)
		return MESH_CFG_INVALID_BINDING;
	switch (mesh_stack_app_key_update(cfg_stack(s), req->app_idx, req->net_idx, req->key)) {
	case 0:
		return MESH_CFG_SUCCESS;
	case MESH_ERR_KEY_REFRESH:
		return MESH_CFG_CANNOT_UPDATE;
	default:
		return MESH_CFG_UNSPECIFIED_ERROR;
	}
}

static uint8_t app_key_delete(struct cfg_srv *s, const struct mesh_cfg_app_key *req)
{
	const struct mesh_app_key *k = app_key_find(s, req->app_idx);

	if (!net_key_known(s, req->net_idx))
		return MESH_CFG_INVALID_NETKEY;
	if (!k)
		return MESH_CFG_SUCCESS;  /* a retry after a lost status */
	if (k->net_idx != req->net_idx)
		return MESH_CFG_INVALID_BINDING;
	if (mesh_stack_app_key_delete(cfg_stack(s), req->app_idx))
		return MESH_CFG_UNSPECIFIED_ERROR;
	pubs_drop_unusable(s);
	return MESH_CFG_SUCCESS;
}

static int app_key_change(struct cfg_srv *s, uint32_t opcode, const struct mesh_cfg_app_key *req,
			  struct mesh_cfg_app_key *out)
{
	out->net_idx = req->net_idx;
	out->app_idx = req->app_idx;
	if (opcode == MESH_OP_CFG_APPKEY_ADD)
		out->status = app_key_add(s, req);
	else if (opcode == MESH_OP_CFG_APPKEY_UPDATE)
		out->status = app_key_update(s, req);
	else
		out->status = app_key_delete(s, req);
	return 0;
}

static int app_key_list(struct cfg_srv *s, const struct mesh_cfg_key_list *req,
			struct mesh_cfg_key_list *out)
{
	const struct mesh_app_keys *t = &cfg_stack(s)->app_keys;

	out->net_idx = req->net_idx;
	if (!net_key_known(s, req->net_idx)) {
		out->status = MESH_CFG_INVALID_NETKEY;
		return 0;
	}
	out->status = MESH_CFG_SUCCESS;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->key); i++) {
		if (t->key[i].used && t->key[i].net_idx == req->net_idx)
			out->idx[out->n++] = t->key[i].app_idx;
	}
	return 0;
}

/* ---- node-wide states -------------------------------------------------------------- */

static int relay_set(struct cfg_srv *s, struct sim_node_state *st, const struct mesh_cfg_relay *req,
		     struct mesh_cfg_relay *out)
{
	/* A node without the relay feature answers Not Supported and keeps
	 * its state (4.2.8). */
	if (st->relay != MESH_CFG_NOT_SUPPORTED) {
		bool changed = st->relay != req->relay;

		st->relay = req->relay;
		st->relay_retransmit = req->retransmit;
		mesh_stack_set_relay(cfg_stack(s), req->relay == MESH_CFG_ENABLED);
		if (changed)
			sim_cfg_srv_features_changed(&s->m);
	}
	out->relay = st->relay;
	out->retransmit = st->relay_retransmit;
	return 0;
}

static int node_identity(struct cfg_srv *s, const struct mesh_cfg_node_identity *req,
			 struct mesh_cfg_node_identity *out)
{
	const struct sim_node_state *st = sim_node_state(s->m.dev);

	out->net_idx = req->net_idx;
	if (!net_key_known(s, req->net_idx)) {
		out->status = MESH_CFG_INVALID_NETKEY;
		out->identity = MESH_CFG_DISABLED;
		return 0;
	}
	/* No GATT in meshsim: advertising with Node Identity is not
	 * supported, which is a successful answer (4.2.12). */
	out->status = MESH_CFG_SUCCESS;
	out->identity = st->node_identity;
	return 0;
}

/* Beacon, GATT Proxy, Friend: one-octet states; a Set of an unsupported
 * feature leaves it Not Supported. */
static int onoff_state(uint8_t *state, bool set, uint8_t value, uint8_t *out)
{
	if (set && *state != MESH_CFG_NOT_SUPPORTED)
		*state = value;
	*out = *state;
	return 0;
}

static int secure_beacon(struct sim_node_state *st, bool set, uint8_t value, uint8_t *out)
{
	if (set)
		st->secure_beacon = value == MESH_CFG_ENABLED;
	*out = st->secure_beacon ? MESH_CFG_ENABLED : MESH_CFG_DISABLED;
	return 0;
}

/* ---- Composition Data ---------------------------------------------------------------- */

static int comp_data_page0(struct cfg_srv *s, struct mesh_cfg_comp_data *out)
{
	const struct sim_device_desc *d = &s->m.dev->desc;
	struct mesh_comp0 *c = calloc(1, sizeof(*c));
	int len;

	if (!c)
		return MESH_ERR_NOMEM;
	c->cid = d->cid;
	c->pid = d->pid;
	c->vid = d->vid;
	c->crpl = MESH_RPL_MAX;
	c->features = features_supported(s);
	c->n_elems = d->n_elements;
	for (uint8_t e = 0; e < d->n_elements && e < MESH_COMP_ELEMS_MAX; e++) {
		const struct sim_element_desc *el = &d->elements[e];
		struct mesh_comp_elem *ce = &c->elems[e];

		ce->loc = el->location;
		for (uint8_t i = 0; i < el->n_sig && ce->n_sig < MESH_COMP_ELEM_MODELS_MAX; i++)
			ce->models[ce->n_sig++] = mesh_model_id_sig(el->sig_models[i]);
		for (uint8_t i = 0; i < el->n_vendor &&
				    ce->n_sig + ce->n_vnd < MESH_COMP_ELEM_MODELS_MAX; i++) {
			uint32_t v = el->vendor_models[i];

			ce->models[ce->n_sig + ce->n_vnd++] =
				mesh_model_id_vendor((uint16_t)(v >> 16), (uint16_t)v);
		}
	}
	len = mesh_cfg_comp0_encode(c, out->data, sizeof(out->data));
	free(c);
	if (len < 0)
		return len;
	/* Page 0 is the only page, so it is the largest page not above any
	 * page asked for, which is what a Get of a missing page receives. */
	out->page = 0;
	out->len = (uint16_t)len;
	return 0;
}

/* ---- dispatch -------------------------------------------------------------------------- */

/*
 * Carry out req and fill the status in rsp (whose opcode is set). Returns
 * 0 to send it, or an error to stay silent: a request the specification
 * says to ignore.
 */
static int cfg_srv_do(struct cfg_srv *s, const struct mesh_access_msg *msg,
		      const struct mesh_cfg_msg *req, struct mesh_cfg_msg *rsp)
{
	struct sim_node_state *st = sim_node_state(s->m.dev);
	struct mesh_stack *stack = cfg_stack(s);
	uint32_t op = req->opcode;

	if (!st)
		return MESH_ERR_DOWN;
	switch (op) {
	case MESH_OP_CFG_COMP_DATA_GET:
		return comp_data_page0(s, &rsp->comp_data);
	case MESH_OP_CFG_BEACON_GET:
	case MESH_OP_CFG_BEACON_SET:
		return secure_beacon(st, op == MESH_OP_CFG_BEACON_SET, req->value, &rsp->value);
	case MESH_OP_CFG_DEFAULT_TTL_SET:
		default_ttl_store(stack, req->value);
		/* fall through */
	case MESH_OP_CFG_DEFAULT_TTL_GET:
		rsp->value = stack->default_ttl;
		return 0;
	case MESH_OP_CFG_GATT_PROXY_GET:
	case MESH_OP_CFG_GATT_PROXY_SET:
		return onoff_state(&st->gatt_proxy, op == MESH_OP_CFG_GATT_PROXY_SET, req->value,
				   &rsp->value);
	case MESH_OP_CFG_FRIEND_GET:
	case MESH_OP_CFG_FRIEND_SET:
		return onoff_state(&st->friend_, op == MESH_OP_CFG_FRIEND_SET, req->value,
				   &rsp->value);
	case MESH_OP_CFG_NET_TRANSMIT_SET:
		st->net_transmit = req->value;
		/* fall through */
	case MESH_OP_CFG_NET_TRANSMIT_GET:
		rsp->value = st->net_transmit;
		return 0;
	case MESH_OP_CFG_RELAY_GET:
		rsp->relay.relay = st->relay;
		rsp->relay.retransmit = st->relay_retransmit;
		return 0;
	case MESH_OP_CFG_RELAY_SET:
		return relay_set(s, st, &req->relay, &rsp->relay);
	case MESH_OP_CFG_NODE_IDENTITY_GET:
	case MESH_OP_CFG_NODE_IDENTITY_SET:
		return node_identity(s, &req->node_identity, &rsp->node_identity);
	case MESH_OP_CFG_KRP_GET:
		return krp_get(s, &req->krp, &rsp->krp);
	case MESH_OP_CFG_KRP_SET:
		return krp_set(s, &req->krp, &rsp->krp);
	case MESH_OP_CFG_NETKEY_ADD:
	case MESH_OP_CFG_NETKEY_UPDATE:
	case MESH_OP_CFG_NETKEY_DELETE:
		return net_key_change(s, msg, op, &req->net_key, &rsp->net_key);
	case MESH_OP_CFG_NETKEY_GET:
		return net_key_list(s, &rsp->key_list);
	case MESH_OP_CFG_APPKEY_ADD:
	case MESH_OP_CFG_APPKEY_UPDATE:
	case MESH_OP_CFG_APPKEY_DELETE:
		return app_key_change(s, op, &req->app_key, &rsp->app_key);
	case MESH_OP_CFG_APPKEY_GET:
		return app_key_list(s, &req->key_list, &rsp->key_list);
	case MESH_OP_CFG_MODEL_APP_BIND:
	case MESH_OP_CFG_MODEL_APP_UNBIND:
		rsp->model_app = req->model_app;
		return model_app_change(s, op == MESH_OP_CFG_MODEL_APP_BIND, &req->model_app,
					&rsp->model_app);
	case MESH_OP_CFG_SIG_MODEL_APP_GET:
	case MESH_OP_CFG_VND_MODEL_APP_GET:
		rsp->model_app_list.elem_addr = req->model_app_list.elem_addr;
		rsp->model_app_list.model = req->model_app_list.model;
		return model_app_get(s, &req->model_app_list, &rsp->model_app_list);
	case MESH_OP_CFG_MODEL_PUB_GET:
	case MESH_OP_CFG_MODEL_PUB_SET:
	case MESH_OP_CFG_MODEL_PUB_VA_SET:
		rsp->model_pub.elem_addr = req->model_pub.elem_addr;
		rsp->model_pub.model = req->model_pub.model;
		if (op == MESH_OP_CFG_MODEL_PUB_GET)
			return model_pub_get(s, &req->model_pub, &rsp->model_pub);
		return model_pub_set(s, &req->model_pub, op == MESH_OP_CFG_MODEL_PUB_VA_SET,
				     &rsp->model_pub);
	case MESH_OP_CFG_MODEL_SUB_ADD:
	case MESH_OP_CFG_MODEL_SUB_DELETE:
	case MESH_OP_CFG_MODEL_SUB_OVERWRITE:
	case MESH_OP_CFG_MODEL_SUB_DELETE_ALL:
	case MESH_OP_CFG_MODEL_SUB_VA_ADD:
	case MESH_OP_CFG_MODEL_SUB_VA_DELETE:
	case MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE:
		rsp->model_sub.elem_addr = req->model_sub.elem_addr;
		rsp->model_sub.model = req->model_sub.model;
		return model_sub_change(s, op, &req->model_sub, &rsp->model_sub);
	case MESH_OP_CFG_SIG_MODEL_SUB_GET:
	case MESH_OP_CFG_VND_MODEL_SUB_GET:
		rsp->model_sub_list.elem_addr = req->model_sub_list.elem_addr;
		rsp->model_sub_list.model = req->model_sub_list.model;
		return model_sub_get(s, &req->model_sub_list, &rsp->model_sub_list);
	case MESH_OP_CFG_HB_PUB_GET:
		hb_pub_status(s, MESH_CFG_SUCCESS, &rsp->hb_pub);
		return 0;
	case MESH_OP_CFG_HB_PUB_SET:
		return hb_pub_set(s, &req->hb_pub, &rsp->hb_pub);
	case MESH_OP_CFG_HB_SUB_GET:
		hb_sub_status(s, &rsp->hb_sub);
		return 0;
	case MESH_OP_CFG_HB_SUB_SET:
		return hb_sub_set(s, &req->hb_sub, &rsp->hb_sub);
	case MESH_OP_CFG_NODE_RESET:
		return 0;
	default:
		return MESH_ERR_UNKNOWN_OPCODE;
	}
}

/* Element addresses must be unicast (4.3.2); a request naming anything
 * else is prohibited and ignored. */
static bool elem_addr_prohibited(const struct mesh_cfg_msg *req)
{
	uint16_t a;

	switch (req->opcode) {
	case MESH_OP_CFG_MODEL_APP_BIND:
	case MESH_OP_CFG_MODEL_APP_UNBIND:
		a = req->model_app.elem_addr;
		break;
	case MESH_OP_CFG_SIG_MODEL_APP_GET:
	case MESH_OP_CFG_VND_MODEL_APP_GET:
		a = req->model_app_list.elem_addr;
		break;
	case MESH_OP_CFG_MODEL_PUB_GET:
	case MESH_OP_CFG_MODEL_PUB_SET:
	case MESH_OP_CFG_MODEL_PUB_VA_SET:
		a = req->model_pub.elem_addr;
		break;
	case MESH_OP_CFG_MODEL_SUB_ADD:
	case MESH_OP_CFG_MODEL_SUB_DELETE:
	case MESH_OP_CFG_MODEL_SUB_OVERWRITE:
	case MESH_OP_CFG_MODEL_SUB_DELETE_ALL:
	case MESH_OP_CFG_MODEL_SUB_VA_ADD:
	case MESH_OP_CFG_MODEL_SUB_VA_DELETE:
	case MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE:
		a = req->model_sub.elem_addr;
		break;
	case MESH_OP_CFG_SIG_MODEL_SUB_GET:
	case MESH_OP_CFG_VND_MODEL_SUB_GET:
		a = req->model_sub_list.elem_addr;
		break;
	default:
		return false;
	}
	return !mesh_addr_is_unicast(a);
}

static int cfg_srv_rx(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	struct sim_model *sm = model->user_data;
	struct cfg_srv *s = cfg_of(sm);
	struct mesh_cfg_msg req, rsp;
	uint8_t out[MESH_ACCESS_MAX_PAYLOAD];
	int rc, len = 0;

	memset(&rsp, 0, sizeof(rsp));
	rc = mesh_cfg_decode_params(msg->opcode, msg->params, msg->params_len, &req);
	if (rc == 0 && elem_addr_prohibited(&req))
		rc = MESH_ERR_RESERVED;
	if (rc == 0) {
		rsp.opcode = mesh_cfg_status_opcode_for(req.opcode);
		rc = cfg_srv_do(s, msg, &req, &rsp);
	}
	if (rc == 0) {
		len = mesh_cfg_encode(&rsp, out, sizeof(out));
		rc = len < 0 ? len : 0;
	}
	if (rc == 0)
		rc = sim_model_reply(sm, msg, out, (size_t)len);
	if (rc)
		mesh_log_debug(SIM_LOG, "%s: %s from 0x%04x not answered: %s",
			       sm->dev->desc.name, mesh_cfg_opcode_name(msg->opcode), msg->src,
			       mesh_strerror(rc));
	else if (req.opcode == MESH_OP_CFG_NODE_RESET)
		sim_node_reset(sm->dev);  /* the status is queued with the old keys */
	return rc;
}

#define CFG_REQ(op) { (op), 0, 0, cfg_srv_rx }

static const struct mesh_access_op cfg_srv_ops[] = {
	CFG_REQ(MESH_OP_CFG_APPKEY_ADD),
	CFG_REQ(MESH_OP_CFG_APPKEY_UPDATE),
	CFG_REQ(MESH_OP_CFG_MODEL_PUB_SET),
	CFG_REQ(MESH_OP_CFG_APPKEY_DELETE),
	CFG_REQ(MESH_OP_CFG_APPKEY_GET),
	CFG_REQ(MESH_OP_CFG_COMP_DATA_GET),
	CFG_REQ(MESH_OP_CFG_BEACON_GET),
	CFG_REQ(MESH_OP_CFG_BEACON_SET),
	CFG_REQ(MESH_OP_CFG_DEFAULT_TTL_GET),
	CFG_REQ(MESH_OP_CFG_DEFAULT_TTL_SET),
	CFG_REQ(MESH_OP_CFG_FRIEND_GET),
	CFG_REQ(MESH_OP_CFG_FRIEND_SET),
	CFG_REQ(MESH_OP_CFG_GATT_PROXY_GET),
	CFG_REQ(MESH_OP_CFG_GATT_PROXY_SET),
	CFG_REQ(MESH_OP_CFG_KRP_GET),
	CFG_REQ(MESH_OP_CFG_KRP_SET),
	CFG_REQ(MESH_OP_CFG_MODEL_PUB_GET),
	CFG_REQ(MESH_OP_CFG_MODEL_PUB_VA_SET),
	CFG_REQ(MESH_OP_CFG_MODEL_SUB_ADD),
	CFG_REQ(MESH_OP_CFG_MODEL_SUB_DELETE),
	CFG_REQ(MESH_OP_CFG_MODEL_SUB_DELETE_ALL),
	CFG_REQ(MESH_OP_CFG_MODEL_SUB_OVERWRITE),
	CFG_REQ(MESH_OP_CFG_MODEL_SUB_VA_ADD),
	CFG_REQ(MESH_OP_CFG_MODEL_SUB_VA_DELETE),
	CFG_REQ(MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE),
	CFG_REQ(MESH_OP_CFG_NET_TRANSMIT_GET),
	CFG_REQ(MESH_OP_CFG_NET_TRANSMIT_SET),
	CFG_REQ(MESH_OP_CFG_RELAY_GET),
	CFG_REQ(MESH_OP_CFG_RELAY_SET),
	CFG_REQ(MESH_OP_CFG_SIG_MODEL_SUB_GET),
	CFG_REQ(MESH_OP_CFG_VND_MODEL_SUB_GET),
	CFG_REQ(MESH_OP_CFG_HB_PUB_GET),
	CFG_REQ(MESH_OP_CFG_HB_PUB_SET),
	CFG_REQ(MESH_OP_CFG_HB_SUB_GET),
	CFG_REQ(MESH_OP_CFG_HB_SUB_SET),
	CFG_REQ(MESH_OP_CFG_MODEL_APP_BIND),
	CFG_REQ(MESH_OP_CFG_MODEL_APP_UNBIND),
	CFG_REQ(MESH_OP_CFG_NETKEY_ADD),
	CFG_REQ(MESH_OP_CFG_NETKEY_DELETE),
	CFG_REQ(MESH_OP_CFG_NETKEY_GET),
	CFG_REQ(MESH_OP_CFG_NETKEY_UPDATE),
	CFG_REQ(MESH_OP_CFG_NODE_IDENTITY_GET),
	CFG_REQ(MESH_OP_CFG_NODE_IDENTITY_SET),
	CFG_REQ(MESH_OP_CFG_NODE_RESET),
	CFG_REQ(MESH_OP_CFG_SIG_MODEL_APP_GET),
	CFG_REQ(MESH_OP_CFG_VND_MODEL_APP_GET),
	{ 0, 0, 0, NULL },
};

/* ---- life cycle ------------------------------------------------------------------------ */

static void cfg_srv_destroy(struct sim_model *m)
{
	struct cfg_srv *s = cfg_of(m);

	mesh_timer_stop(cfg_queue(s), &s->hb_timer);
	mesh_timer_stop(cfg_queue(s), &s->trig_timer);
	free(s);
}

struct sim_model *sim_cfg_srv_new(struct sim_device *d, uint8_t elem_idx, uint16_t model_id,
				  int *err)
{
	struct cfg_srv *s;

	/* 4.4.1: one per node, on the primary element. */
	if (model_id != MESH_MODEL_ID_CFG_SRV || elem_idx != 0) {
		mesh_log_error(SIM_LOG, "%s: Configuration Server only on the primary element",
			       d->desc.name);
		*err = MESH_ERR_INVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		*err = MESH_ERR_NOMEM;
		return NULL;
	}
	s->m.dev = d;
	s->m.model.id = mesh_model_id_sig(MESH_MODEL_ID_CFG_SRV);
	s->m.model.ops = cfg_srv_ops;
	s->m.model.dev_key = true;
	s->m.destroy = cfg_srv_destroy;
	mesh_timer_init(&s->hb_timer, hb_pub_fire);
	mesh_timer_init(&s->trig_timer, hb_trig_fire);
	s->sub.min_hops = 0;
	s->features_sent = d->stack ? features_now(s) : 0;
	*err = 0;
	return &s->m;
}
