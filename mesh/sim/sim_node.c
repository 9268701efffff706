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
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/bearer/route.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/util.h"
#include "sim_internal.h"

#define SECURE_BEACON_INTERVAL_MS 10000u
#define DEFAULT_TTL 7

struct sim_node {
	struct sim_behaviour b;
	struct mesh_timer beacon_timer;
	uint8_t net_transmit;
	uint8_t relay_retransmit;
	struct mesh_stack stack;   /* must not move after init: holds pointers into itself */
};

/* ---- the stack's view of the world --------------------------------------- */

static int node_bearer_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct sim_node *n = ctx;

	return mesh_adv_send_network(&n->b.dev->bearer, pdu, len, n->net_transmit);
}

static int node_relay_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct sim_node *n = ctx;

	return mesh_adv_send_network(&n->b.dev->bearer, pdu, len, n->relay_retransmit);
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

static const struct mesh_stack_ops node_stack_ops = {
	.bearer_send = node_bearer_send,
	.relay_send = node_relay_send,
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

static void node_stop(struct sim_behaviour *b)
{
	struct sim_node *n = MESH_CONTAINER_OF(b, struct sim_node, b);

	mesh_timer_stop(sim_world_queue(b->dev->world), &n->beacon_timer);
}

static void node_destroy(struct sim_behaviour *b)
{
	struct sim_node *n = MESH_CONTAINER_OF(b, struct sim_node, b);

	if (b->dev->stack == &n->stack)
		b->dev->stack = NULL;
	mesh_stack_cleanup(&n->stack);
	free(n);
}

static const struct sim_behaviour_ops node_ops = {
	.name = "provisioned node",
	.start = node_start,
	.stop = node_stop,
	.rx = node_rx,
	.destroy = node_destroy,
};

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
	mesh_stack_config_default(&cfg);
	cfg.iv_index = d->desc.keys.iv_index;
	cfg.iv_update = d->desc.keys.iv_update;
	cfg.default_ttl = d->desc.default_ttl ? d->desc.default_ttl : DEFAULT_TTL;
	n->net_transmit = d->desc.net_transmit ? d->desc.net_transmit : mesh_transmit_state(3, 20);
	n->relay_retransmit = d->desc.relay_retransmit ? d->desc.relay_retransmit
						       : mesh_transmit_state(3, 20);
	n->b.ops = &node_ops;
	n->b.dev = d;
	mesh_timer_init(&n->beacon_timer, node_beacon_fire);
	rc = mesh_stack_init(&n->stack, sim_world_queue(d->world), &cfg, &node_stack_ops, n);
	if (rc) {
		free(n);
		goto fail;
	}
	rc = node_load_keys(n, &d->desc, &what);
	if (rc) {
		mesh_stack_cleanup(&n->stack);
		free(n);
		goto fail;
	}
	d->stack = &n->stack;
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
