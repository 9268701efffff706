/*
 * Behaviour of a provisioned node: a real struct mesh_stack with the keys
 * and addresses the scenario gives it, on the world's timer queue and the
 * device's advertising bearer. Relaying therefore follows the network
 * layer's own rules (TTL - 1, the message cache, the relay feature), and a
 * multi-hop test exercises the same code a gateway runs.
 *
 * Network PDUs go out as AD type 0x2a with the Network Transmit state, or
 * the Relay Retransmit state for relayed ones; received 0x2a structures go
 * to mesh_stack_net_receive(), received secure network beacons to
 * mesh_stack_beacon_receive(). The node sends its own secure network
 * beacon every 10 s (Mesh Profile 3.9.3.1's minimum interval).
 *
 * Models: for every model the scenario's composition lists, a server (or
 * the wall switch's client) from sim_cfg_srv.c, sim_health.c,
 * sim_lighting.c or sim_sensor.c is registered with the stack's access
 * layer; models meshsim has no behaviour for are registered without
 * handlers, so they appear in the composition data and can be bound and
 * subscribed. This file gives them what every model needs: answering a
 * request, publishing with the Model Publication state (Publish
 * Retransmit included) and periodic publication.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/addr.h"
#include "mesh/bearer/route.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/util.h"
#include "sim_internal.h"

#define SECURE_BEACON_INTERVAL_MS 10000u
#define DEFAULT_TTL 7

/* A published message waiting for its Publish Retransmit copies. */
struct sim_pub_retx {
	struct mesh_timer timer;
	struct sim_node *node;
	struct mesh_stack_access_tx tx;
	uint8_t label[16];
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	unsigned int left;
	uint32_t interval_ms;
	struct sim_pub_retx *next;
};

struct sim_node {
	struct sim_behaviour b;
	struct mesh_timer beacon_timer;
	struct mesh_timer reset_timer;
	struct sim_node_state state;
	struct sim_model *models;      /* every model registered, in order */
	struct sim_model *cfg_srv;     /* the primary element's Configuration Server */
	struct sim_pub_retx *retx;     /* pending Publish Retransmit copies */
	struct mesh_stack stack;   /* must not move after init: holds pointers into itself */
};

/* Models without behaviour in meshsim: present, bindable, silent. */
static const struct mesh_access_op inert_ops[] = { { 0, 0, 0, NULL } };

static struct sim_node *node_of(struct sim_device *d)
{
	return d && d->stack ? MESH_CONTAINER_OF(d->stack, struct sim_node, stack) : NULL;
}

/* ---- the stack's view of the world --------------------------------------- */

static int node_bearer_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct sim_node *n = ctx;

	return mesh_adv_send_network(&n->b.dev->bearer, pdu, len, n->state.net_transmit);
}

static int node_relay_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct sim_node *n = ctx;

	return mesh_adv_send_network(&n->b.dev->bearer, pdu, len, n->state.relay_retransmit);
}

static void node_rx_trace(void *ctx, const struct mesh_stack_trace *t)
{
	struct sim_node *n = ctx;
	const struct sim_world_observer *obs = sim_world_get_observer(n->b.dev->world);

	if (obs->on_net_rx)
		obs->on_net_rx(obs->ctx, n->b.dev, t);
}

static void node_access_rx(void *ctx, const struct mesh_access_msg *meta,
			   const uint8_t *payload, size_t len)
{
	struct sim_node *n = ctx;
	const struct sim_world_observer *obs = sim_world_get_observer(n->b.dev->world);

	if (obs->on_access_rx)
		obs->on_access_rx(obs->ctx, n->b.dev, meta, payload, len);
}

static void node_heartbeat(void *ctx, const struct mesh_stack_hb_rx *hb)
{
	struct sim_node *n = ctx;

	if (n->cfg_srv)
		sim_cfg_srv_heartbeat_rx(n->cfg_srv, hb);
}

static const struct mesh_stack_ops node_stack_ops = {
	.bearer_send = node_bearer_send,
	.relay_send = node_relay_send,
	.heartbeat = node_heartbeat,
	.rx_trace = node_rx_trace,
	.access_rx = node_access_rx,
};

/* ---- secure network beacons ---------------------------------------------- */

static void node_beacon_fire(struct mesh_timer *t)
{
	struct sim_node *n = MESH_CONTAINER_OF(t, struct sim_node, beacon_timer);
	struct sim_device *d = n->b.dev;
	struct mesh_adv_tx tx = {
		.ad_type = MESH_AD_TYPE_BEACON,
		.len = MESH_BEACON_SECURE_LEN,
		.count = 1,
		.interval_ms = MESH_ADV_INTERVAL_MIN_MS,
	};
	int rc = mesh_stack_beacon_compose(&n->stack, d->desc.keys.net_idx, tx.payload);

	if (rc == 0)
		rc = mesh_bearer_send(&d->bearer, &tx);
	if (rc)
		mesh_log_warn(SIM_LOG, "%s: secure network beacon not sent: %s", d->desc.name,
			      mesh_strerror(rc));
	mesh_timer_start(sim_world_queue(d->world), &n->beacon_timer, SECURE_BEACON_INTERVAL_MS);
}

/* ---- behaviour ops ------------------------------------------------------- */

static void node_rx(struct sim_behaviour *b, const struct mesh_adv_rx *rx)
{
	struct sim_node *n = MESH_CONTAINER_OF(b, struct sim_node, b);

	/* Rejections are normal radio life (other networks, cached copies);
	 * the rx_trace observer sees each one with its reason. */
	(void)mesh_adv_route(&n->stack, rx, NULL, NULL);
}

static int node_start(struct sim_behaviour *b)
{
	struct sim_node *n = MESH_CONTAINER_OF(b, struct sim_node, b);
	struct sim_world *w = b->dev->world;

	mesh_timer_start(sim_world_queue(w), &n->beacon_timer,
			 sim_world_rand_upto(w, SECURE_BEACON_INTERVAL_MS));
	return 0;
}

static void node_retx_free_all(struct sim_node *n)
{
	struct mesh_timers *q = sim_world_queue(n->b.dev->world);

	while (n->retx) {
		struct sim_pub_retx *r = n->retx;

		n->retx = r->next;
		mesh_timer_stop(q, &r->timer);
		free(r);
	}
}

static void node_stop(struct sim_behaviour *b)
{
	struct sim_node *n = MESH_CONTAINER_OF(b, struct sim_node, b);
	struct mesh_timers *q = sim_world_queue(b->dev->world);

	mesh_timer_stop(q, &n->beacon_timer);
	mesh_timer_stop(q, &n->reset_timer);
	for (struct sim_model *m = n->models; m; m = m->next)
		mesh_timer_stop(q, &m->pub_timer);
	node_retx_free_all(n);
}

static void node_models_free(struct sim_node *n)
{
	while (n->models) {
		struct sim_model *m = n->models;

		n->models = m->next;
		if (m->destroy)
			m->destroy(m);
		else
			free(m);
	}
	n->cfg_srv = NULL;
}

static void node_destroy(struct sim_behaviour *b)
{
	struct sim_node *n = MESH_CONTAINER_OF(b, struct sim_node, b);

	node_stop(b);
	if (b->dev->stack == &n->stack)
		b->dev->stack = NULL;
	mesh_stack_cleanup(&n->stack);
	node_models_free(n);
	free(n);
}

static const struct sim_behaviour_ops node_ops = {
	.name = "provisioned node",
	.start = node_start,
	.stop = node_stop,
	.rx = node_rx,
	.destroy = node_destroy,
};

/* ---- models ---------------------------------------------------------------- */

static uint16_t model_elem_addr(struct sim_model *m)
{
	return mesh_access_model_addr(&m->dev->stack->access, &m->model);
}

int sim_model_reply(struct sim_model *m, const struct mesh_access_msg *req,
		    const uint8_t *payload, size_t len)
{
	struct mesh_stack_access_tx tx;

	if (!m || !req || !m->dev->stack)
		return MESH_ERR_INVAL;
	memset(&tx, 0, sizeof(tx));
	tx.net_idx = req->net_idx;
	tx.src = model_elem_addr(m);
	tx.dst = req->src;
	/* 3.7.3.1: a request that arrived with TTL 0 came from a neighbour
	 * that wants the answer not relayed either. */
	tx.ttl = req->ttl == 0 ? 0 : MESH_STACK_TTL_DEFAULT;
	tx.dev_key = req->app_idx == MESH_KEY_IDX_DEV;
	tx.dev_addr = tx.dev_key ? m->dev->stack->access.primary : 0;
	tx.app_idx = tx.dev_key ? 0 : req->app_idx;
	tx.payload = payload;
	tx.len = len;
	return mesh_stack_send_access(m->dev->stack, &tx, NULL);
}

/* Publish Retransmit (4.2.3.7): count copies, (steps + 1) * 50 ms apart. */
static unsigned int pub_retx_count(uint8_t retransmit)
{
	return retransmit & 0x07;
}

static uint32_t pub_retx_interval_ms(uint8_t retransmit)
{
	return ((uint32_t)(retransmit >> 3) + 1) * 50;
}

static void pub_retx_unlink(struct sim_node *n, struct sim_pub_retx *r)
{
	for (struct sim_pub_retx **p = &n->retx; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			return;
		}
	}
}

static void pub_retx_fire(struct mesh_timer *t)
{
	struct sim_pub_retx *r = MESH_CONTAINER_OF(t, struct sim_pub_retx, timer);
	struct sim_node *n = r->node;
	int rc = mesh_stack_send_access(&n->stack, &r->tx, NULL);

	if (rc)
		mesh_log_warn(SIM_LOG, "%s: publication retransmission not sent: %s",
			      n->b.dev->desc.name, mesh_strerror(rc));
	if (--r->left == 0 || rc) {
		pub_retx_unlink(n, r);
		free(r);
		return;
	}
	mesh_timer_start(sim_world_queue(n->b.dev->world), &r->timer, r->interval_ms);
}

static void pub_retx_schedule(struct sim_node *n, const struct mesh_stack_access_tx *tx,
			      uint8_t retransmit)
{
	struct sim_pub_retx *r;

	if (pub_retx_count(retransmit) == 0 || tx->len > sizeof(r->payload))
		return;
	r = calloc(1, sizeof(*r));
	if (!r) {
		mesh_log_warn(SIM_LOG, "%s: no memory for publication retransmissions",
			      n->b.dev->desc.name);
		return;
	}
	r->node = n;
	r->tx = *tx;
	memcpy(r->payload, tx->payload, tx->len);
	r->tx.payload = r->payload;
	if (tx->label_uuid) {
		memcpy(r->label, tx->label_uuid, sizeof(r->label));
		r->tx.label_uuid = r->label;
	}
	r->left = pub_retx_count(retransmit);
	r->interval_ms = pub_retx_interval_ms(retransmit);
	mesh_timer_init(&r->timer, pub_retx_fire);
	r->next = n->retx;
	n->retx = r;
	mesh_timer_start(sim_world_queue(n->b.dev->world), &r->timer, r->interval_ms);
}

int sim_model_publish(struct sim_model *m, const uint8_t *payload, size_t len)
{
	struct sim_node *n;
	struct mesh_stack_access_tx tx;
	int rc;

	if (!m || !payload)
		return MESH_ERR_INVAL;
	n = node_of(m->dev);
	if (!n)
		return MESH_ERR_DOWN;
	if (m->pub.addr == MESH_ADDR_UNASSIGNED)
		return MESH_ERR_NOT_FOUND;
	memset(&tx, 0, sizeof(tx));
	tx.net_idx = m->dev->desc.keys.net_idx;
	tx.src = model_elem_addr(m);
	tx.dst = m->pub.addr;
	tx.label_uuid = m->pub.has_label ? m->pub.label : NULL;
	tx.ttl = m->pub.ttl;
	tx.app_idx = m->pub.app_idx;
	tx.payload = payload;
	tx.len = len;
	rc = mesh_stack_send_access(&n->stack, &tx, NULL);
	if (rc == 0)
		pub_retx_schedule(n, &tx, m->pub.retransmit);
	return rc;
}

/* Publish Period (4.2.3.4): steps times 100 ms, 1 s, 10 s or 10 min. */
static uint32_t pub_period_ms(uint8_t period)
{
	static const uint32_t resolution_ms[] = { 100, 1000, 10000, 600000 };

	return (uint32_t)(period & 0x3f) * resolution_ms[period >> 6];
}

static void model_pub_fire(struct mesh_timer *t)
{
	struct sim_model *m = MESH_CONTAINER_OF(t, struct sim_model, pub_timer);
	uint32_t period = pub_period_ms(m->pub.period);
	int rc = m->publish_state ? m->publish_state(m) : 0;

	if (rc && rc != MESH_ERR_NOT_FOUND)
		mesh_log_warn(SIM_LOG, "%s: periodic publication failed: %s", m->dev->desc.name,
			      mesh_strerror(rc));
	if (period && m->pub.addr != MESH_ADDR_UNASSIGNED)
		mesh_timer_start(sim_world_queue(m->dev->world), &m->pub_timer, period);
}

void sim_model_pub_update(struct sim_model *m)
{
	struct mesh_timers *q;
	uint32_t period;

	if (!m)
		return;
	q = sim_world_queue(m->dev->world);
	period = pub_period_ms(m->pub.period);
	mesh_timer_stop(q, &m->pub_timer);
	if (m->pub_changed)
		m->pub_changed(m);
	if (m->publish_state && period && m->pub.addr != MESH_ADDR_UNASSIGNED)
		mesh_timer_start(q, &m->pub_timer, period);
}

struct sim_node_state *sim_node_state(struct sim_device *d)
{
	struct sim_node *n = node_of(d);

	return n ? &n->state : NULL;
}

static struct sim_model *inert_model_new(struct sim_device *d, struct mesh_model_id id, int *err)
{
	struct sim_model *m = calloc(1, sizeof(*m));

	if (!m) {
		*err = MESH_ERR_NOMEM;
		return NULL;
	}
	m->dev = d;
	m->model.id = id;
	m->model.ops = inert_ops;
	return m;
}

/* Which behaviour runs a SIG model; NULL: none (an inert model). */
static sim_model_new_fn model_constructor(uint16_t id)
{
	if (id == 0x0000)
		return sim_cfg_srv_new;
	if (id == 0x0002)
		return sim_health_srv_new;
	if (id == 0x1100 || id == 0x1101)
		return sim_sensor_srv_new;
	if ((id >= 0x1000 && id <= 0x1004) || (id >= 0x1300 && id <= 0x130b))
		return sim_lighting_model_new;
	return NULL;
}

static struct sim_model *sig_model_new(struct sim_device *d, uint8_t elem, uint16_t id, int *err)
{
	sim_model_new_fn ctor = model_constructor(id);
	struct sim_model *m = NULL;

	if (ctor) {
		*err = 0;
		m = ctor(d, elem, id, err);
		/* Not (yet) implemented by that behaviour: keep it inert. */
		if (!m && *err != MESH_ERR_NOT_FOUND)
			return NULL;
	}
	return m ? m : inert_model_new(d, mesh_model_id_sig(id), err);
}

static int node_register(struct sim_node *n, uint8_t elem, struct sim_model *m)
{
	struct sim_model **tail = &n->models;
	int rc;

	m->dev = n->b.dev;
	m->model.user_data = m;
	mesh_timer_init(&m->pub_timer, model_pub_fire);
	while (*tail)
		tail = &(*tail)->next;
	*tail = m;   /* owned from here on, registered or not */
	rc = mesh_access_model_add(&n->stack.access, elem, &m->model);
	if (rc == 0 && elem == 0 && !m->model.id.vendor && m->model.id.id == 0x0000)
		n->cfg_srv = m;
	return rc;
}

static int node_add_models(struct sim_node *n, const struct sim_device_desc *desc,
			   const char **what)
{
	struct sim_device *d = n->b.dev;
	int rc = 0;

	for (uint8_t e = 0; e < desc->n_elements && rc == 0; e++) {
		const struct sim_element_desc *el = &desc->elements[e];

		n->stack.access.elems[e].loc = el->location;
		for (unsigned int i = 0; i < el->n_sig && rc == 0; i++) {
			struct sim_model *m = sig_model_new(d, e, el->sig_models[i], &rc);

			*what = "model";
			if (m)
				rc = node_register(n, e, m);
		}
		for (unsigned int i = 0; i < el->n_vendor && rc == 0; i++) {
			uint32_t v = el->vendor_models[i];
			struct sim_model *m = inert_model_new(
				d, mesh_model_id_vendor((uint16_t)(v >> 16), (uint16_t)v), &rc);

			*what = "vendor model";
			if (m)
				rc = node_register(n, e, m);
		}
	}
	return rc;
}

/* Every node has a Configuration Server and a Health Server on its
 * primary element (4.4.1, 4.4.3); scenarios that list no models get them
 * here, so the composition data and the registry agree. */
static void desc_add_mandatory_models(struct sim_device_desc *desc)
{
	static const uint16_t mandatory[] = { 0x0002, 0x0000 };
	struct sim_element_desc *el = &desc->elements[0];

	if (desc->n_elements == 0)
		desc->n_elements = 1;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(mandatory); i++) {
		bool have = false;

		for (unsigned int j = 0; j < el->n_sig; j++)
			have = have || el->sig_models[j] == mandatory[i];
		if (have || el->n_sig >= SIM_MODELS_MAX)
			continue;
		memmove(el->sig_models + 1, el->sig_models, el->n_sig * sizeof(el->sig_models[0]));
		el->sig_models[0] = mandatory[i];
		el->n_sig++;
	}
}

/* ---- Config Node Reset ------------------------------------------------------ */

static void node_reset_fire(struct mesh_timer *t)
{
	struct sim_node *n = MESH_CONTAINER_OF(t, struct sim_node, reset_timer);
	struct sim_device *d = n->b.dev;
	int rc;

	mesh_log_info(SIM_LOG, "%s: reset, unprovisioned again", d->desc.name);
	sim_device_remove_behaviour(d, &n->b);  /* stops and destroys n */
	memset(&d->desc.keys, 0, sizeof(d->desc.keys));
	rc = sim_device_unprovisioned_behaviours(d);
	if (rc)
		mesh_log_error(SIM_LOG, "%s: cannot become unprovisioned: %s", d->desc.name,
			       mesh_strerror(rc));
}

/* The Node Reset Status must leave with the old keys first; it and its
 * Network Transmit copies are already queued on the bearer when the
 * Configuration Server calls this, and the stack goes one loop turn later,
 * outside the receive path that called the server. */
void sim_node_reset(struct sim_device *d)
{
	struct sim_node *n = node_of(d);

	if (n)
		mesh_timer_start(sim_world_queue(d->world), &n->reset_timer, 0);
}

/* ---- set-up -------------------------------------------------------------- */

/* Keys and addresses from the scenario; returns the first refusal and
 * names the step in *what. */
static int node_load_keys(struct sim_node *n, const struct sim_device_desc *desc,
			  const char **what)
{
	const struct sim_keys_desc *k = &desc->keys;
	struct mesh_stack *s = &n->stack;
	int rc;

	*what = "address";
	rc = mesh_stack_set_address(s, k->address, desc->n_elements);
	if (rc)
		return rc;
	*what = "NetKey";
	rc = mesh_stack_net_key_add(s, k->net_idx, k->net_key);
	if (rc)
		return rc;
	*what = "AppKey";
	for (unsigned int i = 0; i < k->n_app_keys && rc == 0; i++)
		rc = mesh_stack_app_key_add(s, k->app_keys[i].app_idx, k->net_idx,
					    k->app_keys[i].key);
	if (rc)
		return rc;
	*what = "device key";
	rc = mesh_stack_dev_key_add(s, k->address, desc->n_elements, k->dev_key);
	if (rc)
		return rc;
	mesh_stack_set_relay(s, (desc->features & SIM_FEAT_RELAY) != 0);
	return 0;
}

static void node_state_init(struct sim_node *n, const struct sim_device_desc *desc)
{
	n->state.net_transmit = desc->net_transmit ? desc->net_transmit : mesh_transmit_state(3, 20);
	n->state.relay_retransmit = desc->relay_retransmit ? desc->relay_retransmit
							   : mesh_transmit_state(3, 20);
	n->state.secure_beacon = true;
	n->state.relay = (desc->features & SIM_FEAT_RELAY) ? 1 : 2;
	n->state.gatt_proxy = 2;
	n->state.friend_ = 2;
	n->state.node_identity = 2;
}

struct sim_behaviour *sim_node_new(struct sim_device *d, int *err)
{
	struct sim_node *n = calloc(1, sizeof(*n));
	struct mesh_stack_config cfg;
	const char *what = "stack";
	int rc;

	if (!n) {
		*err = MESH_ERR_NOMEM;
		return NULL;
	}
	desc_add_mandatory_models(&d->desc);
	mesh_stack_config_default(&cfg);
	cfg.iv_index = d->desc.keys.iv_index;
	cfg.iv_update = d->desc.keys.iv_update;
	cfg.default_ttl = d->desc.default_ttl ? d->desc.default_ttl : DEFAULT_TTL;
	node_state_init(n, &d->desc);
	n->b.ops = &node_ops;
	n->b.dev = d;
	mesh_timer_init(&n->beacon_timer, node_beacon_fire);
	mesh_timer_init(&n->reset_timer, node_reset_fire);
	rc = mesh_stack_init(&n->stack, sim_world_queue(d->world), &cfg, &node_stack_ops, n);
	if (rc) {
		free(n);
		goto fail;
	}
	rc = node_load_keys(n, &d->desc, &what);
	if (rc == 0) {
		/* The models reach the node through d->stack (sim_node_state()). */
		d->stack = &n->stack;
		rc = node_add_models(n, &d->desc, &what);
	}
	if (rc) {
		if (d->stack == &n->stack)
			d->stack = NULL;
		mesh_stack_cleanup(&n->stack);
		node_models_free(n);
		free(n);
		goto fail;
	}
	return &n->b;
fail:
	mesh_log_error(SIM_LOG, "%s: %s refused: %s", d->desc.name, what, mesh_strerror(rc));
	*err = rc;
	return NULL;
}

int sim_device_send_access(struct sim_device *d, uint16_t dst, uint8_t ttl,
			   const uint8_t *payload, size_t len)
{
	const struct sim_keys_desc *k;
	struct mesh_stack_access_tx tx;

	if (!d || !d->stack)
		return MESH_ERR_INVAL;
	k = &d->desc.keys;
	if (k->n_app_keys == 0)
		return MESH_ERR_KEY_INDEX;
	memset(&tx, 0, sizeof(tx));
	tx.net_idx = k->net_idx;
	tx.src = k->address;
	tx.dst = dst;
	tx.ttl = ttl;
	tx.app_idx = k->app_keys[0].app_idx;
	tx.payload = payload;
	tx.len = len;
	return mesh_stack_send_access(d->stack, &tx, NULL);
}
