/*
 * Behaviour of an unprovisioned node: the device side of provisioning over
 * PB-ADV (mesh/provisionee.h) with the capabilities its scenario gives it
 * (struct sim_prov_desc), so a Provisioner brings a simulated device into
 * a network exactly as it would a real one.
 *
 * PB-ADV PDUs go out as AD type 0x29, each SIM_PB_ADV_TX_COUNT times
 * SIM_PB_ADV_TX_INTERVAL_MS apart as a real advertiser repeats them; every
 * PB-ADV structure the device hears goes to its provisionee. The value a
 * device "shows" (Output OOB) and its request for input (Input OOB) reach
 * the world's observer; the input comes back through
 * sim_device_prov_input().
 *
 * The provisionee reports outcomes from inside its own receive and timer
 * paths, where it must not be destroyed, so what an outcome implies runs
 * on a 0 ms timer: after success the device writes the keys it was given
 * into its description, stops its unprovisioned beacons and becomes a
 * provisioned node (sim_node.c) that relays and answers like the
 * scenario's pre-provisioned ones; after a failure it gets a fresh
 * provisionee and, still beaconing, can be provisioned again.
 *
 * A device with an OOB public key has a fixed key pair derived from the
 * world's seed and its UUID: the same on every run, different for every
 * device, so a test (or a user reading the "label") can learn the public
 * half with sim_device_oob_public_key().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/provisionee.h"
#include "mesh/util.h"
#include "sim_internal.h"

/* How a device advertises each PB-ADV PDU: a few copies close together,
 * so one lost reception rarely costs a 500 ms retransmission. */
#define SIM_PB_ADV_TX_COUNT 3
#define SIM_PB_ADV_TX_INTERVAL_MS 20
/* After success the finished session stays to get its Complete PDU
 * acknowledged and hear the Link Close; no transaction outlives this. */
#define SIM_PROV_LINGER_MS MESH_PB_ADV_TRANSACTION_TIMEOUT_MS

/* scenario.h spells the Capabilities bits without including prov_pdu.h. */
_Static_assert(SIM_PROV_ALG_CMAC == MESH_PROV_ALG_BIT(MESH_PROV_ALG_CMAC_AES128),
	       "CMAC bit");
_Static_assert(SIM_PROV_ALG_HMAC == MESH_PROV_ALG_BIT(MESH_PROV_ALG_HMAC_SHA256),
	       "HMAC bit");
_Static_assert(SIM_PROV_OUTPUT_ACTIONS_ALL == (1u << (MESH_PROV_OUT_ALPHANUMERIC + 1)) - 1u,
	       "output action bits");
_Static_assert(SIM_PROV_INPUT_ACTIONS_ALL == (1u << (MESH_PROV_IN_ALPHANUMERIC + 1)) - 1u,
	       "input action bits");
_Static_assert(SIM_STATIC_OOB_MAX <= MESH_PROV_VALUE_MAX, "static OOB size");
_Static_assert(SIM_PROV_OOB_SIZE_MAX == MESH_PROV_OOB_SIZE_MAX, "OOB size");

enum prov_outcome {
	OUTCOME_NONE,
	OUTCOME_COMPLETE,
	OUTCOME_FAILED,
};

struct sim_prov {
	struct sim_behaviour b;
	struct sim_behaviour *beacons;     /* the device's unprovisioned beacons */
	struct mesh_provisionee *session;  /* NULL before start and after lingering */
	struct mesh_ecdh_key oob_key;      /* with prov.oob_public_key */
	bool have_oob_key;
	bool provisioned;                  /* a node now: the session only lingers */
	struct mesh_timer outcome_timer;
	struct mesh_timer linger_timer;
	enum prov_outcome outcome;
	struct mesh_prov_data data;        /* OUTCOME_COMPLETE, until applied */
	uint8_t dev_key[16];
	char failure[160];                 /* OUTCOME_FAILED */
};

static const struct sim_behaviour_ops sim_prov_ops;

static const struct sim_world_observer *observer(struct sim_prov *sp)
{
	return sim_world_get_observer(sp->b.dev->world);
}

/* ---- the OOB key pair ---------------------------------------------------- */

/* d = SHA-256("meshsim oob key" || seed || UUID || attempt), retried in
 * the (astronomically unlikely) case it is not in 1..n-1. */
static int oob_private_key(uint32_t seed, const uint8_t uuid[16], uint8_t attempt,
			   uint8_t priv[MESH_ECDH_PRIV_LEN])
{
	static const char label[] = "meshsim oob key";
	uint8_t in[sizeof(label) - 1 + 4 + 16 + 1];
	unsigned int len = 0;
	int ok;

	memcpy(in, label, sizeof(label) - 1);
	mesh_put_be32(in + sizeof(label) - 1, seed);
	memcpy(in + sizeof(label) - 1 + 4, uuid, 16);
	in[sizeof(in) - 1] = attempt;
	ok = EVP_Digest(in, sizeof(in), priv, &len, EVP_sha256(), NULL);
	return ok == 1 && len == MESH_ECDH_PRIV_LEN ? 0 : MESH_ERR_CRYPTO;
}

/* pub = priv x G on P-256 (X || Y); MESH_ERR_RESERVED if priv is not a
 * valid scalar. */
static int public_from_private(const uint8_t priv[MESH_ECDH_PRIV_LEN],
			       uint8_t pub[MESH_ECDH_PUB_LEN])
{
	EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *scalar = BN_bin2bn(priv, MESH_ECDH_PRIV_LEN, NULL);
	EC_POINT *point = group ? EC_POINT_new(group) : NULL;
	uint8_t oct[1 + MESH_ECDH_PUB_LEN];
	int err = MESH_ERR_CRYPTO;

	if (!group || !scalar || !point)
		goto done;
	if (BN_is_zero(scalar) || BN_cmp(scalar, EC_GROUP_get0_order(group)) >= 0) {
		err = MESH_ERR_RESERVED;
		goto done;
	}
	if (EC_POINT_mul(group, point, scalar, NULL, NULL, NULL) != 1 ||
	    EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, oct, sizeof(oct),
			       NULL) != sizeof(oct))
		goto done;
	memcpy(pub, oct + 1, MESH_ECDH_PUB_LEN);
	err = 0;
done:
	EC_POINT_free(point);
	BN_clear_free(scalar);
	EC_GROUP_free(group);
	return err;
}

static int derive_oob_key(const struct sim_device *d, struct mesh_ecdh_key *k)
{
	uint32_t seed = sim_world_seed(d->world);
	uint8_t priv[MESH_ECDH_PRIV_LEN], pub[MESH_ECDH_PUB_LEN];
	int err = MESH_ERR_CRYPTO;

	for (uint8_t attempt = 0; attempt < 8; attempt++) {
		err = oob_private_key(seed, d->desc.uuid, attempt, priv);
		if (err == 0)
			err = public_from_private(priv, pub);
		if (err != MESH_ERR_RESERVED)
			break;
	}
	if (err == 0)
		err = mesh_ecdh_import(k, priv, pub);
	OPENSSL_cleanse(priv, sizeof(priv));
	return err;
}

/* ---- the provisionee's view of the world --------------------------------- */

static int prov_send_pb_adv(void *ctx, const uint8_t *pdu, size_t len)
{
	struct sim_prov *sp = ctx;
	struct mesh_adv_tx tx = {
		.ad_type = MESH_AD_TYPE_PB_ADV,
		.count = SIM_PB_ADV_TX_COUNT,
		.interval_ms = SIM_PB_ADV_TX_INTERVAL_MS,
	};

	if (len == 0 || len > sizeof(tx.payload))
		return MESH_ERR_OVERSIZED;
	tx.len = (uint8_t)len;
	memcpy(tx.payload, pdu, len);
	return mesh_bearer_send(&sp->b.dev->bearer, &tx);
}

static void prov_attention(void *ctx, uint8_t seconds)
{
	struct sim_prov *sp = ctx;

	if (seconds)
		mesh_log_info(SIM_LOG, "%s: attention for %u s", sp->b.dev->desc.name, seconds);
}

static void prov_output_oob(void *ctx, uint8_t action, const char *value)
{
	struct sim_prov *sp = ctx;
	const struct sim_world_observer *obs = observer(sp);

	/* The value is authentication material: only the "display" (the
	 * observer) sees it, never the log. */
	mesh_log_info(SIM_LOG, "%s: shows an Output OOB value (%s)", sp->b.dev->desc.name,
		      mesh_prov_output_action_name(action));
	if (obs->on_prov_output)
		obs->on_prov_output(obs->ctx, sp->b.dev, action, value);
}

static void prov_input_oob(void *ctx, uint8_t action, uint8_t size)
{
	struct sim_prov *sp = ctx;
	const struct sim_world_observer *obs = observer(sp);

	mesh_log_info(SIM_LOG, "%s: waits for Input OOB (%s, %u)", sp->b.dev->desc.name,
		      mesh_prov_input_action_name(action), size);
	if (obs->on_prov_input)
		obs->on_prov_input(obs->ctx, sp->b.dev, action, size);
}

static void prov_complete(void *ctx, const struct mesh_prov_data *data,
			  const uint8_t dev_key[16], uint8_t n_elements)
{
	struct sim_prov *sp = ctx;

	(void)n_elements;  /* ours: the provisionee offered desc.n_elements */
	sp->data = *data;
	memcpy(sp->dev_key, dev_key, sizeof(sp->dev_key));
	sp->outcome = OUTCOME_COMPLETE;
	mesh_timer_start(sim_world_queue(sp->b.dev->world), &sp->outcome_timer, 0);
}

static void prov_failed(void *ctx, const struct mesh_provisionee_failure *f)
{
	struct sim_prov *sp = ctx;

	if (sp->provisioned || sp->outcome == OUTCOME_COMPLETE)
		return;  /* the lingering session of a node: nothing failed */
	if (f->message)
		snprintf(sp->failure, sizeof(sp->failure), "%s", f->message);
	else if (f->error)
		snprintf(sp->failure, sizeof(sp->failure), "%s", mesh_prov_error_name(f->error));
	else
		snprintf(sp->failure, sizeof(sp->failure), "link closed");
	sp->outcome = OUTCOME_FAILED;
	mesh_timer_start(sim_world_queue(sp->b.dev->world), &sp->outcome_timer, 0);
}

/* Randoms and Link IDs from the world's seeded generator, like
 * everything else random in the simulation. */
static int prov_random(void *ctx, uint8_t *buf, size_t len)
{
	struct sim_prov *sp = ctx;

	for (size_t i = 0; i < len; i += 4) {
		uint32_t r = sim_world_rand(sp->b.dev->world);

		for (size_t j = 0; j < 4 && i + j < len; j++)
			buf[i + j] = (uint8_t)(r >> (8 * j));
	}
	return 0;
}

static const struct mesh_provisionee_ops provisionee_ops = {
	.send_pb_adv = prov_send_pb_adv,
	.attention = prov_attention,
	.output_oob = prov_output_oob,
	.input_oob = prov_input_oob,
	.complete = prov_complete,
	.failed = prov_failed,
	.random = prov_random,
};

/* ---- sessions ------------------------------------------------------------ */

static void caps_from_desc(const struct sim_device_desc *desc, struct mesh_prov_caps *caps)
{
	const struct sim_prov_desc *p = &desc->prov;

	memset(caps, 0, sizeof(*caps));
	caps->n_elements = desc->n_elements;
	caps->algorithms = p->algorithms;
	caps->pub_key_type = p->oob_public_key ? MESH_PROV_PUBKEY_OOB_AVAILABLE : 0;
	caps->static_oob_type = p->static_oob_len ? MESH_PROV_STATIC_OOB_AVAILABLE : 0;
	caps->output_actions = p->output_actions;
	caps->output_size = p->output_actions ? p->output_size : 0;
	caps->input_actions = p->input_actions;
	caps->input_size = p->input_actions ? p->input_size : 0;
}

/* A provisionee listening for a Link Open with our UUID. */
static int session_open(struct sim_prov *sp)
{
	const struct sim_device_desc *desc = &sp->b.dev->desc;
	struct mesh_provisionee_config config;
	int rc;

	memset(&config, 0, sizeof(config));
	memcpy(config.uuid, desc->uuid, sizeof(config.uuid));
	caps_from_desc(desc, &config.caps);
	memcpy(config.static_oob, desc->prov.static_oob, desc->prov.static_oob_len);
	config.static_oob_len = desc->prov.static_oob_len;
	config.oob_key = sp->have_oob_key ? &sp->oob_key : NULL;
	rc = mesh_provisionee_create(&sp->session, sim_world_queue(sp->b.dev->world), &config,
				     &provisionee_ops, sp);
	OPENSSL_cleanse(&config, sizeof(config));
	if (rc) {
		sp->session = NULL;
		mesh_log_error(SIM_LOG, "%s: cannot listen for provisioning: %s",
			       sp->b.dev->desc.name, mesh_strerror(rc));
	}
	return rc;
}

static void session_close(struct sim_prov *sp)
{
	mesh_provisionee_destroy(sp->session);
	sp->session = NULL;
}

static void report_done(struct sim_prov *sp, bool ok, uint16_t address, const char *error)
{
	const struct sim_world_observer *obs = observer(sp);

	if (obs->on_prov_done)
		obs->on_prov_done(obs->ctx, sp->b.dev, ok, address, error);
}

/* Take the network's keys into the device's description, as a real node
 * stores them, so `list`, sim_device_send_access() and the node's stack
 * all see the same. */
static void store_keys(struct sim_prov *sp)
{
	struct sim_keys_desc *k = &sp->b.dev->desc.keys;

	memset(k, 0, sizeof(*k));
	k->provisioned = true;
	k->address = sp->data.address;
	k->net_idx = sp->data.net_idx;
	memcpy(k->net_key, sp->data.net_key, sizeof(k->net_key));
	k->iv_index = sp->data.iv_index;
	k->iv_update = (sp->data.flags & MESH_PROV_FLAG_IV_UPDATE) != 0;
	memcpy(k->dev_key, sp->dev_key, sizeof(k->dev_key));
	OPENSSL_cleanse(&sp->data, sizeof(sp->data));
	OPENSSL_cleanse(sp->dev_key, sizeof(sp->dev_key));
}

static void become_node(struct sim_prov *sp)
{
	struct sim_device *d = sp->b.dev;
	struct sim_behaviour *node;
	int rc = 0;

	store_keys(sp);
	sp->provisioned = true;
	sim_unprov_beacon_end(sp->beacons);
	mesh_timer_start(sim_world_queue(d->world), &sp->linger_timer, SIM_PROV_LINGER_MS);
	node = sim_node_new(d, &rc);  /* logs why it refused */
	if (node)
		rc = sim_device_add_behaviour(d, node);
	if (rc) {
		report_done(sp, false, 0, "provisioned, but the node does not start");
		return;
	}
	mesh_log_info(SIM_LOG, "%s: provisioned as 0x%04x", d->desc.name, d->desc.keys.address);
	report_done(sp, true, d->desc.keys.address, NULL);
}

static void listen_again(struct sim_prov *sp)
{
	session_close(sp);
	mesh_log_info(SIM_LOG, "%s: provisioning failed: %s", sp->b.dev->desc.name, sp->failure);
	/* Listening before the report, so an observer may start over at once. */
	session_open(sp);
	report_done(sp, false, 0, sp->failure);
}

static void outcome_fire(struct mesh_timer *t)
{
	struct sim_prov *sp = MESH_CONTAINER_OF(t, struct sim_prov, outcome_timer);
	enum prov_outcome outcome = sp->outcome;

	sp->outcome = OUTCOME_NONE;
	if (outcome == OUTCOME_COMPLETE)
		become_node(sp);
	else if (outcome == OUTCOME_FAILED)
		listen_again(sp);
}

static void linger_fire(struct mesh_timer *t)
{
	session_close(MESH_CONTAINER_OF(t, struct sim_prov, linger_timer));
}

/* ---- behaviour ops ------------------------------------------------------- */

static void prov_rx(struct sim_behaviour *b, const struct mesh_adv_rx *rx)
{
	struct sim_prov *sp = MESH_CONTAINER_OF(b, struct sim_prov, b);

	if (rx->ad_type == MESH_AD_TYPE_PB_ADV && sp->session)
		mesh_provisionee_pb_adv_receive(sp->session, rx->payload, rx->len);
}

static int prov_start(struct sim_behaviour *b)
{
	struct sim_prov *sp = MESH_CONTAINER_OF(b, struct sim_prov, b);

	if (sp->provisioned || sp->session)
		return 0;
	return session_open(sp);
}

static void prov_stop(struct sim_behaviour *b)
{
	struct sim_prov *sp = MESH_CONTAINER_OF(b, struct sim_prov, b);
	struct mesh_timers *q = sim_world_queue(b->dev->world);

	mesh_timer_stop(q, &sp->outcome_timer);
	mesh_timer_stop(q, &sp->linger_timer);
	session_close(sp);
}

static void prov_destroy(struct sim_behaviour *b)
{
	struct sim_prov *sp = MESH_CONTAINER_OF(b, struct sim_prov, b);

	session_close(sp);
	if (sp->have_oob_key)
		mesh_ecdh_free(&sp->oob_key);
	OPENSSL_cleanse(sp, sizeof(*sp));
	free(sp);
}

static const struct sim_behaviour_ops sim_prov_ops = {
	.name = "provisioning (device)",
	.start = prov_start,
	.stop = prov_stop,
	.rx = prov_rx,
	.destroy = prov_destroy,
};

struct sim_behaviour *sim_prov_new(struct sim_device *d, struct sim_behaviour *beacons,
				   int *err)
{
	struct sim_prov *sp = calloc(1, sizeof(*sp));
	int rc;

	if (!sp) {
		*err = MESH_ERR_NOMEM;
		return NULL;
	}
	sp->b.ops = &sim_prov_ops;
	sp->b.dev = d;
	sp->beacons = beacons;
	mesh_timer_init(&sp->outcome_timer, outcome_fire);
	mesh_timer_init(&sp->linger_timer, linger_fire);
	if (d->desc.prov.oob_public_key) {
		rc = derive_oob_key(d, &sp->oob_key);
		if (rc) {
			mesh_log_error(SIM_LOG, "%s: no OOB key pair: %s", d->desc.name,
				       mesh_strerror(rc));
			free(sp);
			*err = rc;
			return NULL;
		}
		sp->have_oob_key = true;
	}
	return &sp->b;
}

/* ---- public API ---------------------------------------------------------- */

static struct sim_prov *prov_of(struct sim_device *d)
{
	for (struct sim_behaviour *b = d ? d->behaviours : NULL; b; b = b->next) {
		if (b->ops == &sim_prov_ops)
			return MESH_CONTAINER_OF(b, struct sim_prov, b);
	}
	return NULL;
}

int sim_device_prov_input(struct sim_device *d, const char *value)
{
	struct sim_prov *sp = prov_of(d);

	if (!sp || sp->provisioned || !value)
		return MESH_ERR_INVAL;
	if (!sp->session)
		return MESH_ERR_DOWN;
	return mesh_provisionee_input(sp->session, value);
}

int sim_device_oob_public_key(struct sim_device *d, uint8_t out[64])
{
	struct mesh_ecdh_key k;
	int rc;

	if (!d || d->desc.kind != SIM_DEVICE_NODE || !d->desc.prov.oob_public_key)
		return MESH_ERR_INVAL;
	rc = derive_oob_key(d, &k);
	if (rc)
		return rc;
	memcpy(out, k.public_key, MESH_ECDH_PUB_LEN);
	mesh_ecdh_free(&k);
	return 0;
}

bool sim_device_provisioning(struct sim_device *d)
{
	struct sim_prov *sp = prov_of(d);

	return sp && !sp->provisioned && sp->session && mesh_provisionee_busy(sp->session);
}
