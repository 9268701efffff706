/*
 * Provisioner against provisionee over a simulated PB-ADV air with a
 * virtual clock: the specification's sample session byte for byte, every
 * authentication method with both algorithms, loss, a wrong OOB value,
 * a device that goes silent, and the failure paths of the provisioner.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/pb_adv.h"
#include "mesh/provisionee.h"
#include "mesh/provisioner.h"
#include "mesh/timer.h"
#include "vectors.h"

#define AIR_MAX 4096
#define AIR_DELAY_MS 5

struct air_pdu {
	bool to_device;
	uint64_t due_ms;
	uint8_t len;
	uint8_t data[MESH_PB_ADV_PDU_MAX];
};

struct recorded {
	size_t n;
	uint8_t len[256];
	uint8_t data[256][MESH_PB_ADV_PDU_MAX];
};

struct world {
	struct mesh_timers timers;
	struct mesh_provisioner *prov;
	struct mesh_provisionee *dev;
	struct air_pdu air[AIR_MAX];
	size_t n_air;
	double loss;
	uint32_t rng;
	bool device_silent;
	/* provisioner side */
	int events[16];
	size_t n_events;
	struct mesh_prov_event last_failed;
	struct mesh_prov_event caps_event;
	bool complete;
	struct mesh_prov_node stored;
	int stored_count;
	int store_result;
	int alloc_result;
	uint16_t alloc_address;
	const char *reply_override;   /* answer OOB_NEEDED with this */
	bool manual_oob;              /* leave OOB_NEEDED to the test */
	int restarts_left;            /* start again from the FAILED event */
	struct mesh_prov_request restart_req;
	int failures;
	bool oob_needed;
	/* device side */
	char shown[MESH_PROV_OOB_SIZE_MAX + 1];
	bool dev_complete;
	bool input_requested;
	bool dev_failed;
	uint8_t dev_failed_error;
	struct mesh_prov_data dev_data;
	uint8_t dev_key[16];
	/* fixed randoms for the sample session */
	const uint8_t *prov_random;
	const uint8_t *dev_random;
	size_t random_len;
	struct recorded from_prov, from_dev;
};

static uint32_t next_rand(struct world *w)
{
	w->rng = w->rng * 1103515245u + 12345u;
	return w->rng >> 8;
}

static void record(struct recorded *r, const uint8_t *pdu, size_t len)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->len[i] == len && memcmp(r->data[i], pdu, len) == 0)
			return;
	assert_true(r->n < 256);
	r->len[r->n] = (uint8_t)len;
	memcpy(r->data[r->n++], pdu, len);
}

static int air_send(struct world *w, bool to_device, const uint8_t *pdu, size_t len)
{
	struct air_pdu *a;

	assert_true(len <= MESH_PB_ADV_PDU_MAX);
	record(to_device ? &w->from_prov : &w->from_dev, pdu, len);
	if (w->n_air == AIR_MAX)
		return MESH_ERR_FULL;
	a = &w->air[w->n_air++];
	a->to_device = to_device;
	a->due_ms = mesh_timers_now(&w->timers) + AIR_DELAY_MS;
	a->len = (uint8_t)len;
	memcpy(a->data, pdu, len);
	return 0;
}

static int prov_send(void *ctx, const uint8_t *pdu, size_t len)
{
	return air_send(ctx, true, pdu, len);
}

static int dev_send(void *ctx, const uint8_t *pdu, size_t len)
{
	return air_send(ctx, false, pdu, len);
}

static void prov_event(void *ctx, const struct mesh_prov_event *ev)
{
	struct world *w = ctx;

	if (w->n_events < 16)
		w->events[w->n_events++] = ev->type;
	switch (ev->type) {
	case MESH_PROV_EV_CAPABILITIES:
		w->caps_event = *ev;
		break;
	case MESH_PROV_EV_OOB_NEEDED:
		w->oob_needed = true;
		if (w->manual_oob)
			break;
		assert_int_equal(mesh_provisioner_oob_reply(w->prov, w->reply_override ?
								       w->reply_override : w->shown),
				 0);
		break;
	case MESH_PROV_EV_OOB_SHOW:
		/* the user reads it off meshgate and types it on the device */
		snprintf(w->shown, sizeof(w->shown), "%s", ev->oob.value);
		break;
	case MESH_PROV_EV_COMPLETE:
		w->complete = true;
		break;
	case MESH_PROV_EV_FAILED:
		w->last_failed = *ev;
		w->failures++;
		if (w->restarts_left > 0) {
			w->restarts_left--;
			assert_int_equal(mesh_provisioner_start(w->prov, &w->restart_req), 0);
			assert_true(mesh_provisioner_busy(w->prov));
		}
		break;
	default:
		break;
	}
}

static int prov_alloc(void *ctx, const uint8_t uuid[16], uint8_t n, uint16_t *address)
{
	struct world *w = ctx;

	(void)uuid;
	(void)n;
	*address = w->alloc_address;
	return w->alloc_result;
}

static int prov_store(void *ctx, const struct mesh_prov_node *node)
{
	struct world *w = ctx;

	if (w->store_result)
		return w->store_result;
	w->stored = *node;
	w->stored_count++;
	return 0;
}

static int fixed_random(const uint8_t *value, size_t have, uint8_t *buf, size_t len)
{
	if (len == 4) { /* Link ID: fixed separately */
		memset(buf, 0x42, len);
		return 0;
	}
	assert_int_equal(len, have);
	memcpy(buf, value, len);
	return 0;
}

static int prov_rand(void *ctx, uint8_t *buf, size_t len)
{
	struct world *w = ctx;

	if (!w->prov_random) {
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)next_rand(w);
		return 0;
	}
	return fixed_random(w->prov_random, w->random_len, buf, len);
}

static int dev_rand(void *ctx, uint8_t *buf, size_t len)
{
	struct world *w = ctx;

	if (!w->dev_random) {
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)next_rand(w);
		return 0;
	}
	return fixed_random(w->dev_random, w->random_len, buf, len);
}

static void dev_output(void *ctx, uint8_t action, const char *value)
{
	struct world *w = ctx;

	(void)action;
	snprintf(w->shown, sizeof(w->shown), "%s", value);
}

static void dev_input(void *ctx, uint8_t action, uint8_t size)
{
	struct world *w = ctx;

	(void)action;
	(void)size;
	w->input_requested = true;
}

/* The user types on the device what meshgate shows, once it shows it. */
static void user_types(struct world *w)
{
	if (!w->input_requested || w->shown[0] == '\0')
		return;
	w->input_requested = false;
	assert_int_equal(mesh_provisionee_input(w->dev, w->shown), 0);
}

static void dev_complete(void *ctx, const struct mesh_prov_data *data, const uint8_t dev_key[16],
			 uint8_t n_elements)
{
	struct world *w = ctx;

	(void)n_elements;
	w->dev_complete = true;
	w->dev_data = *data;
	memcpy(w->dev_key, dev_key, 16);
}

static void dev_failed(void *ctx, const struct mesh_provisionee_failure *f)
{
	struct world *w = ctx;

	w->dev_failed = true;
	w->dev_failed_error = f->error;
}

static const struct mesh_provisioner_ops prov_ops = {
	.send_pb_adv = prov_send,
	.event = prov_event,
	.alloc_address = prov_alloc,
	.store_node = prov_store,
	.random = prov_rand,
};

static const struct mesh_provisionee_ops dev_ops = {
	.send_pb_adv = dev_send,
	.output_oob = dev_output,
	.input_oob = dev_input,
	.complete = dev_complete,
	.failed = dev_failed,
	.random = dev_rand,
};

/* Deliver what is due (in order), with loss, then step the clock. */
static void step(struct world *w)
{
	uint64_t now = mesh_timers_now(&w->timers);
	size_t kept = 0;
	struct air_pdu due[AIR_MAX];
	size_t n_due = 0;

	for (size_t i = 0; i < w->n_air; i++) {
		if (w->air[i].due_ms <= now)
			due[n_due++] = w->air[i];
		else
			w->air[kept++] = w->air[i];
	}
	w->n_air = kept;
	for (size_t i = 0; i < n_due; i++) {
		if (w->loss > 0 && (next_rand(w) % 1000) < (uint32_t)(w->loss * 1000))
			continue;
		if (due[i].to_device) {
			if (!w->device_silent)
				mesh_provisionee_pb_adv_receive(w->dev, due[i].data, due[i].len);
		} else {
			mesh_provisioner_pb_adv_receive(w->prov, due[i].data, due[i].len);
		}
	}
	user_types(w);
	mesh_timers_advance(&w->timers, now + 1);
}

static void run_until_idle(struct world *w, uint64_t limit_ms)
{
	uint64_t end = mesh_timers_now(&w->timers) + limit_ms;

	while (mesh_timers_now(&w->timers) < end) {
		step(w);
		if (!mesh_provisioner_busy(w->prov) && w->n_air == 0)
			return;
	}
}

static struct mesh_provisionee_config device_config(void)
{
	struct mesh_provisionee_config c = {
		.uuid = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 },
		.caps = {
			.n_elements = 2,
			.algorithms = MESH_PROV_ALG_BIT(MESH_PROV_ALG_CMAC_AES128) |
				      MESH_PROV_ALG_BIT(MESH_PROV_ALG_HMAC_SHA256),
		},
	};
	return c;
}

static struct mesh_prov_request request_for(const struct mesh_provisionee_config *c)
{
	struct mesh_prov_request r = {
		.method = MESH_PROV_METHOD_AUTO,
		.net_idx = 0x123,
		.iv_index = 0x11223344,
		.flags = MESH_PROV_FLAG_IV_UPDATE,
	};

	memcpy(r.uuid, c->uuid, 16);
	for (int i = 0; i < 16; i++)
		r.net_key[i] = (uint8_t)(0xa0 + i);
	return r;
}

static struct world *world_new(const struct mesh_provisionee_config *config)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	mesh_timers_init(&w->timers, 1000);
	w->rng = 7;
	w->alloc_address = 0x0042;
	assert_int_equal(mesh_provisioner_create(&w->prov, &w->timers, &prov_ops, w), 0);
	assert_int_equal(mesh_provisionee_create(&w->dev, &w->timers, config, &dev_ops, w), 0);
	return w;
}

static void world_free(struct world *w)
{
	mesh_provisioner_destroy(w->prov);
	mesh_provisionee_destroy(w->dev);
	free(w);
}

static void assert_provisioned(struct world *w, const struct mesh_prov_request *req)
{
	assert_true(w->complete);
	assert_true(w->dev_complete);
	assert_int_equal(w->stored_count, 1);
	assert_int_equal(w->stored.address, w->alloc_address);
	assert_int_equal(w->dev_data.address, w->alloc_address);
	assert_int_equal(w->dev_data.net_idx, req->net_idx);
	assert_int_equal(w->dev_data.iv_index, req->iv_index);
	assert_int_equal(w->dev_data.flags, req->flags);
	assert_memory_equal(w->dev_data.net_key, req->net_key, 16);
	assert_memory_equal(w->stored.dev_key, w->dev_key, 16);
	assert_memory_equal(w->stored.uuid, req->uuid, 16);
}

/* --- the specification's sample session ------------------------------- */

static bool sent_by_provisioner(const uint8_t *pdu, size_t len)
{
	uint8_t tx = pdu[4];
	uint8_t gpcf = pdu[5] & 0x03;

	(void)len;
	if (gpcf == MESH_PB_ADV_BEARER_CONTROL)
		return (pdu[5] >> 2) != MESH_PB_ADV_LINK_ACK;
	if (gpcf == MESH_PB_ADV_TX_ACK)
		return tx >= 0x80;
	return tx < 0x80;
}

static void expect_recorded(const struct recorded *r, const uint8_t *pdu, size_t len,
			    const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->len[i] == len && memcmp(r->data[i], pdu, len) == 0)
			return;
	fail_msg("sample PDU of '%s' was never sent", name);
}

static void test_sample_session(void **state)
{
	json_t *p = vec_get(vectors_root(), "provisioning");
	json_t *txs = vec_get(p, "pb_adv_transactions");
	struct mesh_ecdh_key prov_key = { 0 }, dev_key = { 0 };
	uint8_t priv[32], pub[64], rand_p[16], rand_d[16], uuid[16];
	struct mesh_provisionee_config c = { 0 };
	struct mesh_prov_request req = { .method = MESH_PROV_METHOD_AUTO };
	struct world *w;
	size_t expected_prov = 0, expected_dev = 0;

	(void)state;
	vec_hex(p, "provisioner_private_key", priv, 32);
	vec_hex(p, "provisioner_public_key", pub, 64);
	assert_int_equal(mesh_ecdh_import(&prov_key, priv, pub), 0);
	vec_hex(p, "device_private_key", priv, 32);
	vec_hex(p, "device_public_key", pub, 64);
	assert_int_equal(mesh_ecdh_import(&dev_key, priv, pub), 0);
	vec_hex(p, "random_provisioner", rand_p, 16);
	vec_hex(p, "random_device", rand_d, 16);
	vec_hex(p, "device_uuid", uuid, 16);

	memcpy(c.uuid, uuid, 16);
	c.caps.n_elements = (uint8_t)vec_int(p, "capabilities_fields.number_of_elements");
	c.caps.algorithms = (uint16_t)vec_int(p, "capabilities_fields.algorithms");
	memcpy(req.uuid, uuid, 16);
	vec_hex(p, "provisioning_data.netkey", req.net_key, 16);
	req.net_idx = (uint16_t)vec_int(p, "provisioning_data.netkey_index");
	req.iv_index = (uint32_t)vec_int(p, "provisioning_data.iv_index");
	req.flags = (uint8_t)vec_int(p, "provisioning_data.flags");

	w = world_new(&c);
	w->alloc_address = (uint16_t)vec_int(p, "provisioning_data.unicast_address");
	w->prov_random = rand_p;
	w->dev_random = rand_d;
	w->random_len = 16;
	mesh_provisioner_set_ecdh_key(w->prov, &prov_key);
	mesh_provisionee_set_ecdh_key(w->dev, &dev_key);
	mesh_provisioner_set_link_id(w->prov, mesh_get_be32((const uint8_t[]){ 0x23, 0xaf, 0x58, 0x50 }));

	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 10000);
	assert_provisioned(w, &req);
	{
		uint8_t expect_dk[16];

		vec_hex(vectors_root(), "device_key.device_key", expect_dk, 16);
		assert_bytes_equal(w->dev_key, expect_dk, 16);
	}

	/* Every PB-ADV PDU of the sample session went out from the right side
	 * exactly as printed, and nothing else did. */
	for (size_t i = 0; i < json_array_size(txs); i++) {
		json_t *t = json_array_get(txs, i);
		json_t *pdus = vec_get(t, "pb_adv_pdus");

		for (size_t k = 0; k < json_array_size(pdus); k++) {
			uint8_t pdu[MESH_PB_ADV_PDU_MAX];
			char path[48];
			size_t len;

			snprintf(path, sizeof(path), "pb_adv_pdus.[%zu]", k);
			len = vec_hex(t, path, pdu, sizeof(pdu));
			if (sent_by_provisioner(pdu, len)) {
				expect_recorded(&w->from_prov, pdu, len, vec_str(t, "name"));
				expected_prov++;
			} else {
				expect_recorded(&w->from_dev, pdu, len, vec_str(t, "name"));
				expected_dev++;
			}
		}
	}
	assert_int_equal(w->from_prov.n, expected_prov);
	assert_int_equal(w->from_dev.n, expected_dev);
	world_free(w);
	mesh_ecdh_free(&prov_key);
	mesh_ecdh_free(&dev_key);
}

/* --- every method, both algorithms -------------------------------------- */

struct method_case {
	const char *name;
	int method;
	uint8_t alg;
	bool static_oob;
	uint16_t output_actions;
	uint16_t input_actions;
	bool oob_pubkey;
	double loss;
	uint8_t expect_action;
};

static void run_method_case(const struct method_case *mc)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_ecdh_key oob_key = { 0 };
	struct mesh_prov_request req;
	struct world *w;

	c.caps.algorithms = MESH_PROV_ALG_BIT(mc->alg);
	if (mc->static_oob) {
		c.caps.static_oob_type = MESH_PROV_STATIC_OOB_AVAILABLE;
		c.static_oob_len = mc->alg == MESH_PROV_ALG_HMAC_SHA256 ? 32 : 16;
		memset(c.static_oob, 0x5a, c.static_oob_len);
	}
	if (mc->output_actions) {
		c.caps.output_actions = mc->output_actions;
		c.caps.output_size = 6;
	}
	if (mc->input_actions) {
		c.caps.input_actions = mc->input_actions;
		c.caps.input_size = 4;
	}
	if (mc->oob_pubkey) {
		assert_int_equal(mesh_ecdh_generate(&oob_key), 0);
		c.caps.pub_key_type = MESH_PROV_PUBKEY_OOB_AVAILABLE;
		c.oob_key = &oob_key;
	}
	w = world_new(&c);
	w->loss = mc->loss;
	req = request_for(&c);
	req.method = mc->method;
	if (mc->static_oob) {
		req.static_oob_len = c.static_oob_len;
		memcpy(req.static_oob, c.static_oob, c.static_oob_len);
	}
	if (mc->oob_pubkey) {
		req.has_oob_public_key = true;
		memcpy(req.oob_public_key, oob_key.public_key, 64);
	}
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 120000);
	if (!w->complete)
		fail_msg("%s: %s", mc->name, w->last_failed.failed.message);
	assert_provisioned(w, &req);
	assert_int_equal(w->caps_event.capabilities.start.algorithm, mc->alg);
	assert_int_equal(w->caps_event.capabilities.start.public_key, mc->oob_pubkey);
	assert_int_equal(w->stored.algorithm, mc->alg);
	if (mc->method != MESH_PROV_METHOD_AUTO)
		assert_int_equal(w->stored.auth_method, mc->method);
	if (mc->method == MESH_PROV_METHOD_OUTPUT || mc->method == MESH_PROV_METHOD_INPUT)
		assert_int_equal(w->caps_event.capabilities.start.auth_action, mc->expect_action);
	world_free(w);
	if (mc->oob_pubkey)
		mesh_ecdh_free(&oob_key);
}

static void test_every_method(void **state)
{
	static const uint8_t algs[] = { MESH_PROV_ALG_CMAC_AES128, MESH_PROV_ALG_HMAC_SHA256 };
	(void)state;

	for (size_t a = 0; a < 2; a++) {
		const struct method_case cases[] = {
			{ "no oob", MESH_PROV_METHOD_NO_OOB, algs[a], false, 0, 0, false, 0, 0 },
			{ "static", MESH_PROV_METHOD_STATIC, algs[a], true, 0, 0, false, 0, 0 },
			{ "output numeric", MESH_PROV_METHOD_OUTPUT, algs[a], false,
			  1u << MESH_PROV_OUT_NUMERIC | 1u << MESH_PROV_OUT_BLINK, 0, false, 0,
			  MESH_PROV_OUT_NUMERIC },
			{ "output alphanumeric", MESH_PROV_METHOD_OUTPUT, algs[a], false,
			  1u << MESH_PROV_OUT_ALPHANUMERIC, 0, false, 0, MESH_PROV_OUT_ALPHANUMERIC },
			{ "output blink", MESH_PROV_METHOD_OUTPUT, algs[a], false,
			  1u << MESH_PROV_OUT_BLINK | 1u << MESH_PROV_OUT_BEEP, 0, false, 0,
			  MESH_PROV_OUT_BLINK },
			{ "input numeric", MESH_PROV_METHOD_INPUT, algs[a], false, 0,
			  1u << MESH_PROV_IN_NUMERIC | 1u << MESH_PROV_IN_PUSH, false, 0,
			  MESH_PROV_IN_NUMERIC },
			{ "input alphanumeric", MESH_PROV_METHOD_INPUT, algs[a], false, 0,
			  1u << MESH_PROV_IN_ALPHANUMERIC, false, 0, MESH_PROV_IN_ALPHANUMERIC },
			{ "input twist", MESH_PROV_METHOD_INPUT, algs[a], false, 0,
			  1u << MESH_PROV_IN_TWIST, false, 0, MESH_PROV_IN_TWIST },
			{ "oob public key", MESH_PROV_METHOD_STATIC, algs[a], true, 0, 0, true, 0, 0 },
			{ "20% loss, output", MESH_PROV_METHOD_OUTPUT, algs[a], false,
			  1u << MESH_PROV_OUT_NUMERIC, 0, false, 0.2, MESH_PROV_OUT_NUMERIC },
			{ "20% loss, input", MESH_PROV_METHOD_INPUT, algs[a], false, 0,
			  1u << MESH_PROV_IN_NUMERIC, true, 0.2, MESH_PROV_IN_NUMERIC },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_method_case(&cases[i]);
	}
}

/* AUTO picks HMAC when both can, and the best method the device offers. */
static void test_auto_choices(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	c.caps.output_actions = 1u << MESH_PROV_OUT_BLINK;
	c.caps.output_size = 2;
	c.caps.input_actions = 1u << MESH_PROV_IN_NUMERIC;
	c.caps.input_size = 4;
	w = world_new(&c);
	req = request_for(&c);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 60000);
	assert_true(w->complete);
	assert_int_equal(w->stored.algorithm, MESH_PROV_ALG_HMAC_SHA256);
	assert_int_equal(w->stored.auth_method, MESH_PROV_AUTH_OUTPUT);
	world_free(w);

	/* Restricting the algorithms is honoured. */
	c = device_config();
	w = world_new(&c);
	req = request_for(&c);
	req.algorithms = MESH_PROV_ALG_BIT(MESH_PROV_ALG_CMAC_AES128);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 60000);
	assert_true(w->complete);
	assert_int_equal(w->stored.algorithm, MESH_PROV_ALG_CMAC_AES128);
	assert_int_equal(w->stored.auth_method, MESH_PROV_AUTH_NO_OOB);
	world_free(w);
}

/* --- failures ----------------------------------------------------------- */

static void test_wrong_static_oob_then_again(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	c.caps.static_oob_type = MESH_PROV_STATIC_OOB_AVAILABLE;
	c.static_oob_len = 16;
	memset(c.static_oob, 0x11, 16);
	w = world_new(&c);
	req = request_for(&c);
	req.method = MESH_PROV_METHOD_STATIC;
	req.static_oob_len = 16;
	memset(req.static_oob, 0x22, 16);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 60000);
	assert_false(w->complete);
	assert_int_equal(w->stored_count, 0);
	assert_int_equal(w->last_failed.failed.reason, MESH_PROV_FAIL_CONFIRMATION);
	assert_int_equal(w->last_failed.failed.error, MESH_PROV_ERR_CONFIRMATION_FAILED);
	assert_non_null(strstr(w->last_failed.failed.message, "confirmation failed"));
	assert_true(w->dev_failed);
	assert_int_equal(w->dev_failed_error, MESH_PROV_ERR_CONFIRMATION_FAILED);
	assert_false(mesh_provisionee_busy(w->dev));

	/* The same device, the right value: it listens again and joins. */
	memset(req.static_oob, 0x11, 16);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 60000);
	assert_provisioned(w, &req);
	world_free(w);
}

static void test_wrong_output_value(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	c.caps.output_actions = 1u << MESH_PROV_OUT_NUMERIC;
	c.caps.output_size = 8;
	w = world_new(&c);
	w->reply_override = "1";  /* the user misread the display */
	req = request_for(&c);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 60000);
	assert_false(w->complete);
	assert_int_equal(w->stored_count, 0);
	assert_int_equal(w->last_failed.failed.reason, MESH_PROV_FAIL_CONFIRMATION);
	world_free(w);
}

/* A user reply that does not fit is refused and the session keeps waiting. */
static void test_oob_reply_validation(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	c.caps.output_actions = 1u << MESH_PROV_OUT_NUMERIC;
	c.caps.output_size = 4;
	w = world_new(&c);
	w->manual_oob = true;
	req = request_for(&c);
	assert_int_equal(mesh_provisioner_oob_reply(w->prov, "1234"), MESH_ERR_DOWN);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	while (!w->oob_needed && mesh_provisioner_busy(w->prov))
		step(w);
	assert_true(w->oob_needed);
	assert_non_null(strstr(mesh_provisioner_oob_hint(w->prov), "4 digits"));
	assert_int_equal(mesh_provisioner_oob_reply(w->prov, "12345"), MESH_ERR_INVAL);
	assert_int_equal(mesh_provisioner_oob_reply(w->prov, "12a"), MESH_ERR_INVAL);
	assert_int_equal(mesh_provisioner_oob_reply(w->prov, ""), MESH_ERR_INVAL);
	assert_true(mesh_provisioner_busy(w->prov));
	assert_int_equal(mesh_provisioner_oob_reply(w->prov, w->shown), 0);
	run_until_idle(w, 60000);
	assert_provisioned(w, &req);
	world_free(w);
}

static void test_silent_device_times_out(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	w = world_new(&c);
	req = request_for(&c);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	/* Let the exchange get under way, then the device vanishes. */
	while (w->caps_event.type != MESH_PROV_EV_CAPABILITIES)
		step(w);
	w->device_silent = true;
	run_until_idle(w, 120000);
	assert_false(mesh_provisioner_busy(w->prov));
	assert_false(w->complete);
	assert_int_equal(w->stored_count, 0);
	assert_true(w->last_failed.failed.reason == MESH_PROV_FAIL_TRANSACTION_TIMEOUT ||
		    w->last_failed.failed.reason == MESH_PROV_FAIL_PROTOCOL_TIMEOUT);
	world_free(w);
}

static void test_no_device_link_open_timeout(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	w = world_new(&c);
	w->device_silent = true;
	req = request_for(&c);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), MESH_ERR_BUSY);
	run_until_idle(w, 120000);
	assert_int_equal(w->last_failed.failed.reason, MESH_PROV_FAIL_LINK_OPEN_TIMEOUT);
	assert_int_equal(w->events[0], MESH_PROV_EV_FAILED);
	world_free(w);
}

/* A retry started from the FAILED event runs as a session of its own. */
static void test_retry_from_failed_event(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct world *w;

	(void)state;
	w = world_new(&c);
	w->device_silent = true;
	w->restart_req = request_for(&c);
	w->restarts_left = 1;
	assert_int_equal(mesh_provisioner_start(w->prov, &w->restart_req), 0);
	run_until_idle(w, 70000);
	assert_int_equal(w->failures, 1);
	assert_true(mesh_provisioner_busy(w->prov));
	/* the device wakes up: the retry completes */
	w->device_silent = false;
	run_until_idle(w, 70000);
	assert_provisioned(w, &w->restart_req);
	assert_int_equal(w->failures, 1);
	world_free(w);
}

/* A static value or public key the user has is never silently dropped. */
static void test_given_oob_not_offered(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	w = world_new(&c);
	req = request_for(&c);
	req.static_oob_len = 16;
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 60000);
	assert_false(w->complete);
	assert_int_equal(w->last_failed.failed.reason, MESH_PROV_FAIL_NOT_SUPPORTED);
	assert_non_null(strstr(w->last_failed.failed.message, "offers no static OOB"));
	req = request_for(&c);
	req.has_oob_public_key = true;
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 60000);
	assert_int_equal(w->last_failed.failed.reason, MESH_PROV_FAIL_NOT_SUPPORTED);
	assert_int_equal(w->stored_count, 0);
	world_free(w);
}

static void test_store_failure_reports_no_success(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	w = world_new(&c);
	w->store_result = MESH_ERR_IO;
	req = request_for(&c);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 60000);
	assert_false(w->complete);
	assert_int_equal(w->last_failed.failed.reason, MESH_PROV_FAIL_STORE);
	world_free(w);
}

static void test_no_address(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	w = world_new(&c);
	w->alloc_result = MESH_ERR_FULL;
	req = request_for(&c);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 60000);
	assert_int_equal(w->last_failed.failed.reason, MESH_PROV_FAIL_NO_ADDRESS);
	assert_false(w->dev_complete);
	world_free(w);
}

static void test_method_not_offered(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	w = world_new(&c);
	req = request_for(&c);
	req.method = MESH_PROV_METHOD_INPUT;
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	run_until_idle(w, 60000);
	assert_int_equal(w->last_failed.failed.reason, MESH_PROV_FAIL_NOT_SUPPORTED);
	world_free(w);
}

static void test_cancel(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	c.caps.static_oob_type = MESH_PROV_STATIC_OOB_AVAILABLE;
	c.static_oob_len = 16;
	w = world_new(&c);
	req = request_for(&c);
	req.method = MESH_PROV_METHOD_STATIC; /* no value given: it will be asked */
	w->manual_oob = true;
	assert_int_equal(mesh_provisioner_cancel(w->prov, NULL), MESH_ERR_NOT_FOUND);
	assert_int_equal(mesh_provisioner_start(w->prov, &req), 0);
	while (!w->oob_needed)
		step(w);
	assert_int_equal(mesh_provisioner_cancel(w->prov, "stopped by the test"), 0);
	run_until_idle(w, 60000);
	assert_int_equal(w->last_failed.failed.reason, MESH_PROV_FAIL_CANCELED);
	assert_string_equal(w->last_failed.failed.message, "stopped by the test");
	assert_true(w->dev_failed);
	world_free(w);
}

static void test_bad_requests(void **state)
{
	struct mesh_provisionee_config c = device_config();
	struct mesh_prov_request req;
	struct world *w;

	(void)state;
	w = world_new(&c);
	req = request_for(&c);
	req.static_oob_len = 7;
	assert_int_equal(mesh_provisioner_start(w->prov, &req), MESH_ERR_INVAL);
	req = request_for(&c);
	req.net_idx = 0x1000;
	assert_int_equal(mesh_provisioner_start(w->prov, &req), MESH_ERR_INVAL);
	req = request_for(&c);
	req.flags = 0x80;
	assert_int_equal(mesh_provisioner_start(w->prov, &req), MESH_ERR_INVAL);
	assert_false(mesh_provisioner_busy(w->prov));
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_session),
		cmocka_unit_test(test_every_method),
		cmocka_unit_test(test_auto_choices),
		cmocka_unit_test(test_wrong_static_oob_then_again),
		cmocka_unit_test(test_wrong_output_value),
		cmocka_unit_test(test_oob_reply_validation),
		cmocka_unit_test(test_silent_device_times_out),
		cmocka_unit_test(test_no_device_link_open_timeout),
		cmocka_unit_test(test_retry_from_failed_event),
		cmocka_unit_test(test_given_oob_not_offered),
		cmocka_unit_test(test_store_failure_reports_no_success),
		cmocka_unit_test(test_no_address),
		cmocka_unit_test(test_method_not_offered),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_bad_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
