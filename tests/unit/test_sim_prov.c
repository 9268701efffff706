/*
 * Provisioning simulated devices (mesh/sim/sim_prov.c) over the simulated
 * air, as a user provisions real ones: a test-only behaviour on an extra,
 * already provisioned device runs a real mesh_provisioner (mesh/
 * provisioner.h) and brings the scenario's unprovisioned devices into its
 * network with every authentication the devices offer (No OOB, static
 * OOB, Output OOB, Input OOB, an OOB public key) and both algorithms.
 * Afterwards each device is a provisioned node: a message to it under its
 * new device key, sent by the provisioner's own stack, authenticates.
 * A wrong static OOB value fails, and the device beacons again and can
 * then be provisioned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/beacon.h"
#include "mesh/err.h"
#include "mesh/prov_pdu.h"
#include "mesh/provisioner.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/world.h"
#include "mesh/stack.h"
#include "mesh/util.h"
#include "sim_helpers.h"
#include "uv_helpers.h"

#define PROVISIONER_ADDR 0x0001
#define FIRST_NODE_ADDR 0x0010
#define BEACON_MS 100u
#define SESSION_MS 10000u     /* a session takes well under a second */
#define AIR_MAX 4096

static const uint8_t net_key[16] = {
	0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
	0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6,
};
static const uint8_t app_key[16] = {
	0x63, 0x96, 0x47, 0x71, 0x73, 0x4f, 0xbd, 0x76,
	0xe3, 0xb4, 0x05, 0x19, 0xd1, 0xd9, 0x4a, 0x48,
};
static const uint8_t static_oob16[16] = {
	0x5f, 0x3a, 0xb1, 0xc2, 0xe4, 0xd6, 0x97, 0x88,
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0xff,
};
/* Config Composition Data Get, page 0: a device key message. */
static const uint8_t composition_get[] = { 0x80, 0x08, 0x00 };

struct fx;

/* The test's Provisioner, as a behaviour of the "prov" device. */
struct test_provisioner {
	struct sim_behaviour b;
	struct fx *f;
	struct mesh_provisioner *p;
};

struct fx {
	uv_loop_t loop;
	struct test_log log;
	struct sim_scenario sc;
	struct sim_world *w;
	struct test_provisioner *tp;
	uint16_t next_addr;
	/* provisioner events */
	unsigned int n_complete, n_failed, n_oob_needed, n_oob_show;
	struct mesh_prov_node stored;          /* with its device key */
	struct mesh_prov_event last_failed;
	struct mesh_prov_event oob_show;
	/* device observers */
	char shown[MESH_PROV_OOB_SIZE_MAX + 1];
	uint8_t shown_action;
	int shown_by;                          /* device index, -1 none */
	int input_asked_by;
	uint8_t input_action, input_size;
	unsigned int n_done_ok, n_done_failed;
	uint16_t done_address;
	char done_error[160];
	/* access messages that reached a node */
	int access_to;
	uint16_t access_src;
	uint8_t access_payload[8];
	size_t access_len;
	/* the air */
	struct sim_test_air air[AIR_MAX];
	size_t n_air;
};

/* ---- the provisioner behaviour ------------------------------------------- */

static int tp_send_pb_adv(void *ctx, const uint8_t *pdu, size_t len)
{
	struct test_provisioner *tp = ctx;
	struct mesh_adv_tx tx = {
		.ad_type = MESH_AD_TYPE_PB_ADV, .count = 3, .interval_ms = 20,
	};

	assert_true(len > 0 && len <= sizeof(tx.payload));
	tx.len = (uint8_t)len;
	memcpy(tx.payload, pdu, len);
	return mesh_bearer_send(&tp->b.dev->bearer, &tx);
}

static void tp_event(void *ctx, const struct mesh_prov_event *ev)
{
	struct fx *f = ((struct test_provisioner *)ctx)->f;

	switch (ev->type) {
	case MESH_PROV_EV_COMPLETE:
		f->n_complete++;
		break;
	case MESH_PROV_EV_FAILED:
		f->n_failed++;
		f->last_failed = *ev;
		break;
	case MESH_PROV_EV_OOB_NEEDED:
		f->n_oob_needed++;
		break;
	case MESH_PROV_EV_OOB_SHOW:
		f->n_oob_show++;
		f->oob_show = *ev;
		break;
	default:
		break;
	}
}

static int tp_alloc_address(void *ctx, const uint8_t uuid[16], uint8_t n, uint16_t *address)
{
	struct fx *f = ((struct test_provisioner *)ctx)->f;

	(void)uuid;
	*address = f->next_addr;
	f->next_addr = (uint16_t)(f->next_addr + n);
	return 0;
}

static int tp_store_node(void *ctx, const struct mesh_prov_node *node)
{
	struct fx *f = ((struct test_provisioner *)ctx)->f;

	f->stored = *node;
	return 0;
}

static const struct mesh_provisioner_ops tp_ops = {
	.send_pb_adv = tp_send_pb_adv,
	.event = tp_event,
	.alloc_address = tp_alloc_address,
	.store_node = tp_store_node,
};

static int tp_start(struct sim_behaviour *b)
{
	struct test_provisioner *tp = MESH_CONTAINER_OF(b, struct test_provisioner, b);

	return mesh_provisioner_create(&tp->p, &sim_world_timers(b->dev->world)->timers, &tp_ops,
				       tp);
}

static void tp_stop(struct sim_behaviour *b)
{
	struct test_provisioner *tp = MESH_CONTAINER_OF(b, struct test_provisioner, b);

	mesh_provisioner_destroy(tp->p);
	tp->p = NULL;
}

static void tp_rx(struct sim_behaviour *b, const struct mesh_adv_rx *rx)
{
	struct test_provisioner *tp = MESH_CONTAINER_OF(b, struct test_provisioner, b);

	if (rx->ad_type == MESH_AD_TYPE_PB_ADV && tp->p)
		mesh_provisioner_pb_adv_receive(tp->p, rx->payload, rx->len);
}

static void tp_destroy(struct sim_behaviour *b)
{
	free(MESH_CONTAINER_OF(b, struct test_provisioner, b));
}

static const struct sim_behaviour_ops tp_behaviour_ops = {
	.name = "test provisioner",
	.start = tp_start,
	.stop = tp_stop,
	.rx = tp_rx,
	.destroy = tp_destroy,
};

/* ---- observers ----------------------------------------------------------- */

static void on_air(void *ctx, const struct sim_device *from, const uint8_t *adv, size_t len)
{
	struct fx *f = ctx;

	sim_test_air_append(f->air, &f->n_air, AIR_MAX, from, adv, len);
}

static void on_access_rx(void *ctx, const struct sim_device *d,
			 const struct mesh_access_msg *meta, const uint8_t *payload, size_t len)
{
	struct fx *f = ctx;

	f->access_to = d->index;
	f->access_src = meta->src;
	f->access_len = len < sizeof(f->access_payload) ? len : sizeof(f->access_payload);
	memcpy(f->access_payload, payload, f->access_len);
}

static void on_prov_output(void *ctx, const struct sim_device *d, uint8_t action,
			   const char *value)
{
	struct fx *f = ctx;

	f->shown_by = d->index;
	f->shown_action = action;
	snprintf(f->shown, sizeof(f->shown), "%s", value);
}

static void on_prov_input(void *ctx, const struct sim_device *d, uint8_t action, uint8_t size)
{
	struct fx *f = ctx;

	f->input_asked_by = d->index;
	f->input_action = action;
	f->input_size = size;
}

static void on_prov_done(void *ctx, const struct sim_device *d, bool ok, uint16_t address,
			 const char *error)
{
	struct fx *f = ctx;

	(void)d;
	if (ok) {
		f->n_done_ok++;
		f->done_address = address;
	} else {
		f->n_done_failed++;
		snprintf(f->done_error, sizeof(f->done_error), "%s", error ? error : "");
	}
}

/* ---- set-up -------------------------------------------------------------- */

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sim_device_desc *p;

	assert_non_null(f);
	test_log_start(&f->log);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	sim_scenario_init(&f->sc);
	snprintf(f->sc.name, sizeof(f->sc.name), "prov");
	f->sc.seed = 7;
	f->sc.tx_delay_max_ms = 5;
	f->next_addr = FIRST_NODE_ADDR;
	f->shown_by = f->input_asked_by = f->access_to = -1;
	p = sim_scenario_add_device(&f->sc, "prov", SIM_DEVICE_NODE);
	assert_non_null(p);
	memset(p->uuid, 0xee, sizeof(p->uuid));
	sim_test_provision_node(p, PROVISIONER_ADDR, false, net_key, 0, app_key);
	return f;
}

/* An unprovisioned device linked (only) to the provisioner. */
static struct sim_device_desc *device(struct fx *f, const char *name)
{
	struct sim_device_desc *d = sim_scenario_add_device(&f->sc, name, SIM_DEVICE_NODE);

	assert_non_null(d);
	memset(d->uuid, (int)f->sc.n_devices, sizeof(d->uuid));
	d->beacon_interval_ms = BEACON_MS;
	assert_non_null(sim_scenario_add_link(&f->sc, "prov", name, 0.0, -60));
	return d;
}

static void fx_start(struct fx *f)
{
	static const struct sim_world_observer obs_template = {
		.on_air = on_air, .on_access_rx = on_access_rx, .on_prov_output = on_prov_output,
		.on_prov_input = on_prov_input, .on_prov_done = on_prov_done,
	};
	struct sim_world_observer obs = obs_template;
	struct test_provisioner *tp = calloc(1, sizeof(*tp));
	char why[160];

	assert_non_null(tp);
	if (sim_scenario_check(&f->sc, why, sizeof(why)))
		fail_msg("scenario: %s", why);
	assert_int_equal(sim_world_create(&f->w, &f->loop, &f->sc), 0);
	obs.ctx = f;
	sim_world_set_observer(f->w, &obs);
	tp->b.ops = &tp_behaviour_ops;
	tp->f = f;
	f->tp = tp;
	assert_int_equal(sim_device_add_behaviour(sim_world_find(f->w, "prov"), &tp->b), 0);
	assert_int_equal(sim_world_start(f->w), 0);
}

static void fx_free(struct fx *f)
{
	sim_world_destroy(f->w);
	assert_true(test_uv_loop_close(&f->loop));
	sim_scenario_free(&f->sc);
	test_log_stop(&f->log);
	free(f);
}

static struct sim_device *dev(struct fx *f, const char *name)
{
	struct sim_device *d = sim_world_find(f->w, name);

	assert_non_null(d);
	return d;
}

static void request_for(struct fx *f, const char *name, int method,
			struct mesh_prov_request *req)
{
	memset(req, 0, sizeof(*req));
	memcpy(req->uuid, dev(f, name)->desc.uuid, sizeof(req->uuid));
	req->method = method;
	req->net_idx = 0;
	memcpy(req->net_key, net_key, sizeof(net_key));
	req->iv_index = 0;
}

/* ---- waiting ------------------------------------------------------------- */

static bool session_over(void *ctx)
{
	struct fx *f = ctx;

	return f->n_complete + f->n_failed > 0 && f->n_done_ok + f->n_done_failed > 0;
}

static bool output_ready(void *ctx)
{
	struct fx *f = ctx;

	return (f->n_oob_needed > 0 && f->shown_by >= 0) || session_over(f);
}

static bool input_ready(void *ctx)
{
	struct fx *f = ctx;

	return (f->n_oob_show > 0 && f->input_asked_by >= 0) || session_over(f);
}

static bool access_arrived(void *ctx)
{
	return ((struct fx *)ctx)->access_to >= 0;
}

static bool provisioner_idle(void *ctx)
{
	return !mesh_provisioner_busy(((struct fx *)ctx)->tp->p);
}

static void forget_session(struct fx *f)
{
	f->n_complete = f->n_failed = f->n_oob_needed = f->n_oob_show = 0;
	f->n_done_ok = f->n_done_failed = 0;
	f->shown_by = f->input_asked_by = -1;
	f->done_error[0] = '\0';
}

static void start_session(struct fx *f, const struct mesh_prov_request *req)
{
	forget_session(f);
	assert_true(test_uv_run_until(&f->loop, provisioner_idle, f, SESSION_MS));
	assert_int_equal(mesh_provisioner_start(f->tp->p, req), 0);
}

static void wait_session(struct fx *f)
{
	if (!test_uv_run_until(&f->loop, session_over, f, SESSION_MS))
		fail_msg("no outcome: %u complete, %u failed on the provisioner; %u/%u on the "
			 "device", f->n_complete, f->n_failed, f->n_done_ok, f->n_done_failed);
}

/* ---- checks -------------------------------------------------------------- */

/* Unprovisioned device beacons from d on the air since air index from. */
static size_t unprov_beacons_since(const struct fx *f, const struct sim_device *d, size_t from)
{
	size_t n = 0;

	for (size_t i = from; i < f->n_air; i++) {
		const struct sim_test_air *a = &f->air[i];

		n += a->from == d->index && a->len > 2 && a->adv[1] == MESH_AD_TYPE_BEACON &&
		     a->adv[2] == MESH_BEACON_UNPROV;
	}
	return n;
}

/* The provisioner succeeded, the device is the node it stored, and a
 * message under the new device key reaches it. */
static void expect_node(struct fx *f, const char *name)
{
	struct sim_device *d = dev(f, name), *p = dev(f, "prov");
	struct mesh_stack_access_tx tx = {
		.net_idx = 0, .src = PROVISIONER_ADDR, .ttl = MESH_STACK_TTL_DEFAULT,
		.dev_key = true, .payload = composition_get, .len = sizeof(composition_get),
	};
	size_t air_mark;

	if (f->n_complete != 1)
		fail_msg("%s: provisioner failed: %s", name, f->last_failed.failed.message);
	assert_int_equal(f->n_done_ok, 1);
	assert_int_equal(f->n_done_failed, 0);
	assert_int_equal(f->done_address, f->stored.address);
	assert_true(d->desc.keys.provisioned);
	assert_int_equal(d->desc.keys.address, f->stored.address);
	assert_int_equal(d->desc.keys.net_idx, 0);
	assert_memory_equal(d->desc.keys.net_key, net_key, 16);
	assert_memory_equal(d->desc.keys.dev_key, f->stored.dev_key, 16);
	assert_int_equal(d->desc.keys.n_app_keys, 0);
	assert_non_null(d->stack);
	assert_false(sim_device_provisioning(d));
	assert_int_equal(sim_device_prov_input(d, "1"), MESH_ERR_INVAL);

	/* The provisioner's stack configures it under its device key. */
	assert_int_equal(mesh_stack_dev_key_add(p->stack, f->stored.address, f->stored.n_elements,
						f->stored.dev_key), 0);
	tx.dst = f->stored.address;
	f->access_to = -1;
	assert_int_equal(mesh_stack_send_access(p->stack, &tx, NULL), 0);
	assert_true(test_uv_run_until(&f->loop, access_arrived, f, 2000));
	assert_int_equal(f->access_to, d->index);
	assert_int_equal(f->access_src, PROVISIONER_ADDR);
	assert_int_equal(f->access_len, sizeof(composition_get));
	assert_memory_equal(f->access_payload, composition_get, sizeof(composition_get));

	/* Provisioned devices do not announce themselves any more. */
	air_mark = f->n_air;
	test_uv_run_until(&f->loop, NULL, NULL, 3 * BEACON_MS);
	assert_int_equal(unprov_beacons_since(f, d, air_mark), 0);
}

static void provision(struct fx *f, const struct mesh_prov_request *req)
{
	start_session(f, req);
	wait_session(f);
}

/* ---- tests --------------------------------------------------------------- */

static void test_no_oob(void **state)
{
	struct fx *f = fx_new();
	struct mesh_prov_request req;

	(void)state;
	device(f, "plain");
	fx_start(f);
	assert_true(sim_device_provisioning(dev(f, "plain")) == false);
	/* It announces itself before anyone provisions it. */
	test_uv_run_until(&f->loop, NULL, NULL, 3 * BEACON_MS);
	assert_true(unprov_beacons_since(f, dev(f, "plain"), 0) >= 1);

	request_for(f, "plain", MESH_PROV_METHOD_AUTO, &req);
	provision(f, &req);
	expect_node(f, "plain");
	assert_int_equal(f->stored.address, FIRST_NODE_ADDR);
	assert_int_equal(f->stored.auth_method, MESH_PROV_AUTH_NO_OOB);
	/* Both algorithms offered: the stronger one. */
	assert_int_equal(f->stored.algorithm, MESH_PROV_ALG_HMAC_SHA256);
	assert_false(f->stored.oob_public_key);
	assert_true(test_log_has(&f->log, "plain: provisioned as 0x0010"));
	fx_free(f);
}

/* A 1.0 device offers CMAC only; a Provisioner may restrict itself to CMAC. */
static void test_algorithms(void **state)
{
	struct fx *f = fx_new();
	struct mesh_prov_request req;

	(void)state;
	device(f, "old")->prov.algorithms = SIM_PROV_ALG_CMAC;
	device(f, "new");
	fx_start(f);

	request_for(f, "old", MESH_PROV_METHOD_NO_OOB, &req);
	provision(f, &req);
	expect_node(f, "old");
	assert_int_equal(f->stored.algorithm, MESH_PROV_ALG_CMAC_AES128);

	request_for(f, "new", MESH_PROV_METHOD_NO_OOB, &req);
	req.algorithms = MESH_PROV_ALG_BIT(MESH_PROV_ALG_CMAC_AES128);
	provision(f, &req);
	expect_node(f, "new");
	assert_int_equal(f->stored.algorithm, MESH_PROV_ALG_CMAC_AES128);
	assert_int_equal(f->stored.address, FIRST_NODE_ADDR + 1);
	fx_free(f);
}

static void test_static_oob(void **state)
{
	struct fx *f = fx_new();
	struct sim_device_desc *d;
	struct mesh_prov_request req;

	(void)state;
	d = device(f, "sensor");
	memcpy(d->prov.static_oob, static_oob16, sizeof(static_oob16));
	d->prov.static_oob_len = sizeof(static_oob16);
	d = device(f, "sensor-256");
	for (int i = 0; i < 32; i++)
		d->prov.static_oob[i] = (uint8_t)(0xa0 + i);
	d->prov.static_oob_len = 32;
	d->prov.algorithms = SIM_PROV_ALG_HMAC;
	fx_start(f);

	request_for(f, "sensor", MESH_PROV_METHOD_STATIC, &req);
	memcpy(req.static_oob, static_oob16, sizeof(static_oob16));
	req.static_oob_len = sizeof(static_oob16);
	provision(f, &req);
	expect_node(f, "sensor");
	assert_int_equal(f->stored.auth_method, MESH_PROV_AUTH_STATIC);

	request_for(f, "sensor-256", MESH_PROV_METHOD_AUTO, &req);
	for (int i = 0; i < 32; i++)
		req.static_oob[i] = (uint8_t)(0xa0 + i);
	req.static_oob_len = 32;
	provision(f, &req);
	expect_node(f, "sensor-256");
	assert_int_equal(f->stored.auth_method, MESH_PROV_AUTH_STATIC);
	assert_int_equal(f->stored.algorithm, MESH_PROV_ALG_HMAC_SHA256);
	/* The value is never logged. */
	assert_false(test_log_has(&f->log, "5f3ab1c2"));
	assert_false(test_log_has(&f->log, "a0a1a2a3"));
	fx_free(f);
}

/* The wrong value fails the confirmation; the device beacons again and
 * takes the next attempt. */
static void test_wrong_static_oob_then_again(void **state)
{
	struct fx *f = fx_new();
	struct sim_device_desc *d;
	struct mesh_prov_request req;
	size_t air_mark;

	(void)state;
	d = device(f, "sensor");
	memcpy(d->prov.static_oob, static_oob16, sizeof(static_oob16));
	d->prov.static_oob_len = sizeof(static_oob16);
	fx_start(f);

	request_for(f, "sensor", MESH_PROV_METHOD_STATIC, &req);
	memcpy(req.static_oob, static_oob16, sizeof(static_oob16));
	req.static_oob[0] ^= 0x01;
	req.static_oob_len = sizeof(static_oob16);
	provision(f, &req);
	assert_int_equal(f->n_complete, 0);
	assert_int_equal(f->n_failed, 1);
	assert_int_equal(f->last_failed.failed.reason, MESH_PROV_FAIL_CONFIRMATION);
	assert_string_equal(mesh_prov_fail_reason_name(f->last_failed.failed.reason),
			    "confirmation failed");
	assert_int_equal(f->n_done_failed, 1);
	assert_int_equal(f->n_done_ok, 0);
	print_message("device says: %s\n", f->done_error);
	assert_true(f->done_error[0] != '\0');
	assert_false(dev(f, "sensor")->desc.keys.provisioned);
	assert_null(dev(f, "sensor")->stack);
	assert_int_equal(f->next_addr, FIRST_NODE_ADDR + 1);  /* allocated, never stored */

	air_mark = f->n_air;
	test_uv_run_until(&f->loop, NULL, NULL, 4 * BEACON_MS);
	assert_true(unprov_beacons_since(f, dev(f, "sensor"), air_mark) >= 2);

	req.static_oob[0] ^= 0x01;
	provision(f, &req);
	expect_node(f, "sensor");
	fx_free(f);
}

static void test_output_oob(void **state)
{
	struct fx *f = fx_new();
	struct sim_device_desc *d;
	struct mesh_prov_request req;
	size_t digits;

	(void)state;
	d = device(f, "lamp");
	d->prov.output_actions = 1u << MESH_PROV_OUT_NUMERIC;
	d->prov.output_size = 4;
	fx_start(f);

	request_for(f, "lamp", MESH_PROV_METHOD_AUTO, &req);
	start_session(f, &req);
	assert_true(test_uv_run_until(&f->loop, output_ready, f, SESSION_MS));
	assert_int_equal(f->n_oob_needed, 1);
	assert_int_equal(f->shown_by, dev(f, "lamp")->index);
	assert_int_equal(f->shown_action, MESH_PROV_OUT_NUMERIC);
	digits = strlen(f->shown);
	assert_in_range(digits, 1, 4);
	assert_int_equal(strspn(f->shown, "0123456789"), digits);
	assert_true(sim_device_provisioning(dev(f, "lamp")));
	/* Not an Input OOB device, and it waits for nothing. */
	assert_int_equal(sim_device_prov_input(dev(f, "lamp"), "1234"), MESH_ERR_DOWN);
	assert_int_equal(mesh_provisioner_oob_reply(f->tp->p, f->shown), 0);
	wait_session(f);
	expect_node(f, "lamp");
	assert_int_equal(f->stored.auth_method, MESH_PROV_AUTH_OUTPUT);
	/* What the device shows goes to the observer only. */
	assert_false(test_log_has(&f->log, f->shown));
	fx_free(f);
}

static void test_input_oob(void **state)
{
	struct fx *f = fx_new();
	struct sim_device_desc *d;
	struct mesh_prov_request req;

	(void)state;
	d = device(f, "switch");
	d->prov.input_actions = 1u << MESH_PROV_IN_PUSH;
	d->prov.input_size = 1;
	d = device(f, "keypad");
	d->prov.input_actions = 1u << MESH_PROV_IN_ALPHANUMERIC;
	d->prov.input_size = 6;
	fx_start(f);
	assert_int_equal(sim_device_prov_input(dev(f, "switch"), "3"), MESH_ERR_DOWN);
	assert_int_equal(sim_device_prov_input(dev(f, "prov"), "3"), MESH_ERR_INVAL);

	request_for(f, "switch", MESH_PROV_METHOD_INPUT, &req);
	start_session(f, &req);
	assert_true(test_uv_run_until(&f->loop, input_ready, f, SESSION_MS));
	assert_int_equal(f->n_oob_show, 1);
	assert_int_equal(f->input_asked_by, dev(f, "switch")->index);
	assert_int_equal(f->input_action, MESH_PROV_IN_PUSH);
	assert_int_equal(f->input_size, 1);
	assert_int_equal(f->oob_show.oob.action, MESH_PROV_IN_PUSH);
	assert_int_equal(strlen(f->oob_show.oob.value), 1);
	/* Two digits do not fit a size of 1; the session goes on waiting. */
	assert_int_equal(sim_device_prov_input(dev(f, "switch"), "12"), MESH_ERR_INVAL);
	assert_int_equal(sim_device_prov_input(dev(f, "switch"), f->oob_show.oob.value), 0);
	wait_session(f);
	expect_node(f, "switch");
	assert_int_equal(f->stored.auth_method, MESH_PROV_AUTH_INPUT);

	request_for(f, "keypad", MESH_PROV_METHOD_AUTO, &req);
	start_session(f, &req);
	assert_true(test_uv_run_until(&f->loop, input_ready, f, SESSION_MS));
	assert_int_equal(f->input_action, MESH_PROV_IN_ALPHANUMERIC);
	assert_int_equal(f->input_size, 6);
	assert_true(f->oob_show.oob.alphanumeric);
	assert_int_equal(sim_device_prov_input(dev(f, "keypad"), f->oob_show.oob.value), 0);
	wait_session(f);
	expect_node(f, "keypad");
	fx_free(f);
}

static void test_oob_public_key(void **state)
{
	struct fx *f = fx_new();
	struct mesh_prov_request req;
	uint8_t key[64], again[64], other[64];

	(void)state;
	device(f, "labelled")->prov.oob_public_key = true;
	device(f, "labelled-2")->prov.oob_public_key = true;
	device(f, "plain");
	fx_start(f);
	assert_int_equal(sim_device_oob_public_key(dev(f, "labelled"), key), 0);
	assert_int_equal(sim_device_oob_public_key(dev(f, "labelled"), again), 0);
	assert_memory_equal(key, again, 64);
	assert_int_equal(sim_device_oob_public_key(dev(f, "labelled-2"), other), 0);
	assert_memory_not_equal(key, other, 64);
	assert_int_equal(sim_device_oob_public_key(dev(f, "plain"), other), MESH_ERR_INVAL);
	assert_int_equal(sim_device_oob_public_key(NULL, other), MESH_ERR_INVAL);

	request_for(f, "labelled", MESH_PROV_METHOD_NO_OOB, &req);
	req.has_oob_public_key = true;
	memcpy(req.oob_public_key, key, sizeof(key));
	provision(f, &req);
	expect_node(f, "labelled");
	assert_true(f->stored.oob_public_key);
	fx_free(f);

	/* The same seed and UUID, the same key: tests can rely on it. */
	f = fx_new();
	device(f, "labelled")->prov.oob_public_key = true;
	fx_start(f);
	assert_int_equal(sim_device_oob_public_key(dev(f, "labelled"), again), 0);
	assert_memory_equal(key, again, 64);
	fx_free(f);
}

/* A Provisioner that gives up mid-session (or a device out of range)
 * leaves the device listening. */
static void test_canceled_session(void **state)
{
	struct fx *f = fx_new();
	struct sim_device_desc *d;
	struct mesh_prov_request req;

	(void)state;
	d = device(f, "lamp");
	d->prov.output_actions = 1u << MESH_PROV_OUT_BLINK;
	d->prov.output_size = 1;
	fx_start(f);

	request_for(f, "lamp", MESH_PROV_METHOD_OUTPUT, &req);
	start_session(f, &req);
	assert_true(test_uv_run_until(&f->loop, output_ready, f, SESSION_MS));
	assert_int_equal(f->shown_action, MESH_PROV_OUT_BLINK);
	assert_int_equal(mesh_provisioner_cancel(f->tp->p, NULL), 0);
	wait_session(f);
	assert_int_equal(f->n_done_failed, 1);
	assert_false(dev(f, "lamp")->desc.keys.provisioned);

	start_session(f, &req);
	assert_true(test_uv_run_until(&f->loop, output_ready, f, SESSION_MS));
	assert_int_equal(f->shown_by, dev(f, "lamp")->index);
	assert_int_equal(mesh_provisioner_oob_reply(f->tp->p, f->shown), 0);
	wait_session(f);
	expect_node(f, "lamp");
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_oob),
		cmocka_unit_test(test_algorithms),
		cmocka_unit_test(test_static_oob),
		cmocka_unit_test(test_wrong_static_oob_then_again),
		cmocka_unit_test(test_output_oob),
		cmocka_unit_test(test_input_oob),
		cmocka_unit_test(test_oob_public_key),
		cmocka_unit_test(test_canceled_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
