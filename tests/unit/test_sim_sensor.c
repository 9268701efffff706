/*
 * meshsim's Sensor Server, Sensor Setup Server and Health Server
 * (mesh/sim/sim_sensor.c, sim_health.c) in a small world on a real libuv
 * loop: a provisioned sensor node and a client node that sends requests
 * with sim_device_send_access() and reads the answers off the world
 * observer. Checks descriptors, values from each generator (a constant, a
 * pattern that changes with time, a random walk within its bounds), the
 * "not found" forms, periodic publication, and the Health Server's fault,
 * period and attention states.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/err.h"
#include "mesh/health_msg.h"
#include "mesh/sensor_msg.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/sim_internal.h"  /* the model's publication state */
#include "mesh/sim/world.h"
#include "mesh/stack.h"
#include "sim_helpers.h"
#include "uv_helpers.h"

#define APP_IDX 0x001
#define SENSOR_ADDR 0x0100
#define CLIENT_ADDR 0x0200
#define COMPANY 0x05f1
#define WAIT_MS 3000

static const uint8_t net_key[16] = {
	0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
	0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6,
};
static const uint8_t app_key[16] = {
	0x63, 0x96, 0x47, 0x71, 0x73, 0x4f, 0xbd, 0x76,
	0xe3, 0xb4, 0x05, 0x19, 0xd1, 0xd9, 0x4a, 0x48,
};

struct fx {
	uv_loop_t loop;
	struct test_log log;
	struct sim_scenario sc;
	struct sim_world *w;
	struct sim_device *sensor, *client;
	/* The last access message the client received, and how many. */
	unsigned int rx;
	uint32_t want_opcode;
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	size_t len;
	struct mesh_access_pdu pdu;
};

static void on_access_rx(void *ctx, const struct sim_device *d,
			 const struct mesh_access_msg *meta, const uint8_t *payload, size_t len)
{
	struct fx *f = ctx;

	(void)meta;
	if (d != f->client || len > sizeof(f->payload))
		return;
	memcpy(f->payload, payload, len);
	f->len = len;
	f->rx++;
}

static bool got_answer(void *ctx)
{
	struct fx *f = ctx;

	return f->rx > 0 && mesh_access_parse(f->payload, f->len, &f->pdu) == 0 &&
	       f->pdu.opcode == f->want_opcode;
}

static void bind_app(struct sim_device *d, uint16_t model_id)
{
	struct mesh_model *m = mesh_access_model_find(&d->stack->access, 0,
						      mesh_model_id_sig(model_id));

	assert_non_null(m);
	assert_int_equal(mesh_model_bind(m, APP_IDX), 0);
}

static struct fx *fx_start(void)
{
	static const struct sim_world_observer obs_template = { .on_access_rx = on_access_rx };
	struct sim_world_observer obs = obs_template;
	struct fx *f = calloc(1, sizeof(*f));
	struct sim_device_desc *s, *c;
	struct sim_element_desc *el;
	char why[160];

	assert_non_null(f);
	test_log_start(&f->log);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	sim_scenario_init(&f->sc);
	f->sc.seed = 7;
	s = sim_scenario_add_device(&f->sc, "sensor", SIM_DEVICE_NODE);
	assert_non_null(s);
	s->cid = COMPANY;
	memset(s->uuid, 1, 16);
	el = &s->elements[0];
	el->n_sig = 4;
	el->sig_models[0] = 0x0000;
	el->sig_models[1] = MESH_MODEL_HEALTH_SRV;
	el->sig_models[2] = MESH_MODEL_SENSOR_SRV;
	el->sig_models[3] = MESH_MODEL_SENSOR_SETUP_SRV;
	el->n_sensors = 3;
	el->sensors[0].property = MESH_PROP_PRESENT_AMBIENT_TEMPERATURE;
	el->sensors[0].gen = (struct sim_sensor_gen){ .kind = SIM_GEN_CONSTANT, .value = 21.5 };
	el->sensors[1].property = MESH_PROP_MOTION_SENSED;
	el->sensors[1].gen = (struct sim_sensor_gen){ .kind = SIM_GEN_PATTERN, .n_values = 2,
						      .values = { 0, 100 }, .every_s = 0.25 };
	el->sensors[2].property = MESH_PROP_PRESENT_AMBIENT_RELATIVE_HUMIDITY;
	el->sensors[2].gen = (struct sim_sensor_gen){ .kind = SIM_GEN_RANDOM_WALK, .start = 50,
						      .min = 40, .max = 60, .step = 5,
						      .every_s = 0.05 };
	sim_test_provision_node(s, SENSOR_ADDR, false, net_key, APP_IDX, app_key);
	c = sim_scenario_add_device(&f->sc, "client", SIM_DEVICE_NODE);
	assert_non_null(c);
	memset(c->uuid, 2, 16);
	sim_test_provision_node(c, CLIENT_ADDR, false, net_key, APP_IDX, app_key);
	assert_non_null(sim_scenario_add_link(&f->sc, "sensor", "client", 0.0, -60));
	if (sim_scenario_check(&f->sc, why, sizeof(why)))
		fail_msg("scenario: %s", why);

	assert_int_equal(sim_world_create(&f->w, &f->loop, &f->sc), 0);
	obs.ctx = f;
	sim_world_set_observer(f->w, &obs);
	assert_int_equal(sim_world_start(f->w), 0);
	f->sensor = sim_world_find(f->w, "sensor");
	f->client = sim_world_find(f->w, "client");
	assert_non_null(f->sensor->stack);
	assert_non_null(f->client->stack);
	bind_app(f->sensor, MESH_MODEL_HEALTH_SRV);
	bind_app(f->sensor, MESH_MODEL_SENSOR_SRV);
	bind_app(f->sensor, MESH_MODEL_SENSOR_SETUP_SRV);
	return f;
}

static void fx_free(struct fx *f)
{
	sim_world_destroy(f->w);
	assert_true(test_uv_loop_close(&f->loop));
	sim_scenario_free(&f->sc);
	test_log_stop(&f->log);
	free(f);
}

/* Send opcode || params to the sensor node and wait for status_op. */
static bool ask(struct fx *f, uint32_t opcode, const uint8_t *params, size_t len,
		uint32_t status_op)
{
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	int n = mesh_access_compose(opcode, params, len, payload, sizeof(payload));

	assert_true(n > 0);
	f->rx = 0;
	f->want_opcode = status_op;
	assert_int_equal(sim_device_send_access(f->client, SENSOR_ADDR, MESH_STACK_TTL_DEFAULT,
						payload, (size_t)n), 0);
	return test_uv_run_until(&f->loop, got_answer, f, WAIT_MS);
}

/* A Sensor Get for prop (0: all) into items; returns how many. */
static size_t sensor_get(struct fx *f, uint16_t prop, struct mesh_sensor_data *items,
			 size_t max)
{
	uint8_t params[2];
	int len = mesh_sensor_get_encode(prop, params, sizeof(params));
	size_t n;

	assert_true(ask(f, MESH_OP_SENSOR_GET, params, (size_t)len, MESH_OP_SENSOR_STATUS));
	assert_int_equal(mesh_sensor_status_decode(f->pdu.params, f->pdu.params_len, items, max,
						   &n), 0);
	return n;
}

static double value_of(const struct mesh_sensor_data *d)
{
	struct mesh_sensor_value v;

	assert_int_equal(mesh_sensor_value_decode(d->prop, d->raw, d->len, &v), 0);
	assert_true(v.known);
	assert_false(v.unknown_value);
	return v.value;
}

static void test_descriptors(void **state)
{
	struct fx *f = fx_start();
	struct mesh_sensor_descriptor_status st;
	const uint8_t one[] = { 0x76, 0x00 }, missing[] = { 0x34, 0x12 };

	(void)state;
	assert_true(ask(f, MESH_OP_SENSOR_DESCRIPTOR_GET, NULL, 0,
			MESH_OP_SENSOR_DESCRIPTOR_STATUS));
	assert_int_equal(mesh_sensor_descriptor_status_decode(f->pdu.params, f->pdu.params_len,
							      &st), 0);
	assert_false(st.not_found);
	assert_int_equal(st.n, 3);
	assert_int_equal(st.d[0].prop, MESH_PROP_PRESENT_AMBIENT_TEMPERATURE);
	assert_int_equal(st.d[1].prop, MESH_PROP_MOTION_SENSED);
	assert_int_equal(st.d[2].prop, MESH_PROP_PRESENT_AMBIENT_RELATIVE_HUMIDITY);
	assert_int_equal(st.d[0].sampling, MESH_SENSOR_SAMPLING_INSTANTANEOUS);

	assert_true(ask(f, MESH_OP_SENSOR_DESCRIPTOR_GET, one, 2,
			MESH_OP_SENSOR_DESCRIPTOR_STATUS));
	assert_int_equal(mesh_sensor_descriptor_status_decode(f->pdu.params, f->pdu.params_len,
							      &st), 0);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.d[0].prop, 0x0076);

	/* Not a property of this server: the ID alone comes back. */
	assert_true(ask(f, MESH_OP_SENSOR_DESCRIPTOR_GET, missing, 2,
			MESH_OP_SENSOR_DESCRIPTOR_STATUS));
	assert_int_equal(f->pdu.params_len, 2);
	assert_memory_equal(f->pdu.params, missing, 2);
	fx_free(f);
}

static void test_values(void **state)
{
	struct fx *f = fx_start();
	struct mesh_sensor_data items[8];
	bool seen_still = false, seen_motion = false;
	double humidity[2];

	(void)state;
	assert_int_equal(sensor_get(f, 0, items, 8), 3);
	assert_int_equal(items[0].prop, MESH_PROP_PRESENT_AMBIENT_TEMPERATURE);
	assert_int_equal(items[0].len, 1);
	assert_true(value_of(&items[0]) == 21.5);
	assert_int_equal(items[1].prop, MESH_PROP_MOTION_SENSED);
	assert_int_equal(items[2].prop, MESH_PROP_PRESENT_AMBIENT_RELATIVE_HUMIDITY);
	humidity[0] = value_of(&items[2]);
	assert_true(humidity[0] >= 40 && humidity[0] <= 60);

	/* One property; an unknown one comes back without a value. */
	assert_int_equal(sensor_get(f, MESH_PROP_PRESENT_AMBIENT_TEMPERATURE, items, 8), 1);
	assert_true(value_of(&items[0]) == 21.5);
	assert_int_equal(sensor_get(f, 0x1234, items, 8), 1);
	assert_int_equal(items[0].prop, 0x1234);
	assert_int_equal(items[0].len, 0);

	/* Motion alternates every 250 ms of virtual time; the walk moves. */
	for (int i = 0; i < 40 && !(seen_still && seen_motion); i++) {
		double m;

		assert_int_equal(sensor_get(f, MESH_PROP_MOTION_SENSED, items, 8), 1);
		m = value_of(&items[0]);
		assert_true(m == 0.0 || m == 100.0);
		seen_still = seen_still || m == 0.0;
		seen_motion = seen_motion || m == 100.0;
		test_uv_run_until(&f->loop, NULL, NULL, 60);
	}
	assert_true(seen_still && seen_motion);
	assert_int_equal(sensor_get(f, MESH_PROP_PRESENT_AMBIENT_RELATIVE_HUMIDITY, items, 8), 1);
	humidity[1] = value_of(&items[0]);
	assert_true(humidity[1] >= 40 && humidity[1] <= 60);
	assert_true(humidity[1] != humidity[0]);
	fx_free(f);
}

static void test_setup_and_rest(void **state)
{
	struct fx *f = fx_start();
	const uint8_t temp[] = { 0x4f, 0x00 }, column[] = { 0x4f, 0x00, 0x10 };
	const uint8_t setting[] = { 0x4f, 0x00, 0x55, 0x00 };

	(void)state;
	/* No cadence, no settings, no columns or series: the "not there" forms. */
	assert_true(ask(f, MESH_OP_SENSOR_CADENCE_GET, temp, 2, MESH_OP_SENSOR_CADENCE_STATUS));
	assert_int_equal(f->pdu.params_len, 2);
	assert_memory_equal(f->pdu.params, temp, 2);
	assert_true(ask(f, MESH_OP_SENSOR_SETTINGS_GET, temp, 2, MESH_OP_SENSOR_SETTINGS_STATUS));
	assert_int_equal(f->pdu.params_len, 2);
	assert_true(ask(f, MESH_OP_SENSOR_SETTING_GET, setting, 4, MESH_OP_SENSOR_SETTING_STATUS));
	assert_int_equal(f->pdu.params_len, 4);
	assert_memory_equal(f->pdu.params, setting, 4);
	assert_true(ask(f, MESH_OP_SENSOR_COLUMN_GET, column, 3, MESH_OP_SENSOR_COLUMN_STATUS));
	assert_int_equal(f->pdu.params_len, 3);
	assert_memory_equal(f->pdu.params, column, 3);
	assert_true(ask(f, MESH_OP_SENSOR_SERIES_GET, temp, 2, MESH_OP_SENSOR_SERIES_STATUS));
	assert_int_equal(f->pdu.params_len, 2);
	fx_free(f);
}

static void test_publication(void **state)
{
	struct fx *f = fx_start();
	struct mesh_model *mm = mesh_access_model_find(&f->sensor->stack->access, 0,
						       mesh_model_id_sig(MESH_MODEL_SENSOR_SRV));
	struct sim_model *m;
	struct mesh_sensor_data items[8];
	size_t n;

	(void)state;
	assert_non_null(mm);
	m = mm->user_data;
	assert_non_null(m);
	m->pub.addr = CLIENT_ADDR;
	m->pub.app_idx = APP_IDX;
	m->pub.ttl = 0xff;
	m->pub.period = 0x03;  /* 3 steps of 100 ms */
	sim_model_pub_update(m);
	f->rx = 0;
	f->want_opcode = MESH_OP_SENSOR_STATUS;
	assert_true(test_uv_run_until(&f->loop, got_answer, f, WAIT_MS));
	assert_int_equal(mesh_sensor_status_decode(f->pdu.params, f->pdu.params_len, items, 8, &n),
			 0);
	assert_int_equal(n, 3);
	assert_true(value_of(&items[0]) == 21.5);
	/* And again, by itself. */
	f->rx = 0;
	assert_true(test_uv_run_until(&f->loop, got_answer, f, WAIT_MS));
	fx_free(f);
}

static void test_health(void **state)
{
	struct fx *f = fx_start();
	struct mesh_health_fault_status st;
	uint8_t p[3];

	(void)state;
	mesh_health_company_encode(COMPANY, p, sizeof(p));
	assert_true(ask(f, MESH_OP_HEALTH_FAULT_GET, p, 2, MESH_OP_HEALTH_FAULT_STATUS));
	assert_int_equal(mesh_health_fault_status_decode(f->pdu.params, f->pdu.params_len, &st), 0);
	assert_int_equal(st.company, COMPANY);
	assert_int_equal(st.n_faults, 0);
	/* Another company's faults: ignored. */
	mesh_health_company_encode(0x1234, p, sizeof(p));
	assert_false(ask(f, MESH_OP_HEALTH_FAULT_GET, p, 2, MESH_OP_HEALTH_FAULT_STATUS));
	/* The standard test, then a clear. */
	mesh_health_fault_test_encode(0x00, COMPANY, p, sizeof(p));
	assert_true(ask(f, MESH_OP_HEALTH_FAULT_TEST, p, 3, MESH_OP_HEALTH_FAULT_STATUS));
	mesh_health_company_encode(COMPANY, p, sizeof(p));
	assert_true(ask(f, MESH_OP_HEALTH_FAULT_CLEAR, p, 2, MESH_OP_HEALTH_FAULT_STATUS));

	/* Fast Period Divisor: set, read, and a prohibited value ignored. */
	p[0] = 3;
	assert_true(ask(f, MESH_OP_HEALTH_PERIOD_SET, p, 1, MESH_OP_HEALTH_PERIOD_STATUS));
	assert_int_equal(f->pdu.params[0], 3);
	p[0] = 16;
	assert_false(ask(f, MESH_OP_HEALTH_PERIOD_SET, p, 1, MESH_OP_HEALTH_PERIOD_STATUS));
	assert_true(ask(f, MESH_OP_HEALTH_PERIOD_GET, NULL, 0, MESH_OP_HEALTH_PERIOD_STATUS));
	assert_int_equal(f->pdu.params[0], 3);

	/* Attention counts down in seconds. */
	p[0] = 1;
	assert_true(ask(f, MESH_OP_HEALTH_ATTENTION_SET, p, 1, MESH_OP_HEALTH_ATTENTION_STATUS));
	assert_int_equal(f->pdu.params[0], 1);
	test_uv_run_until(&f->loop, NULL, NULL, 1300);
	assert_true(ask(f, MESH_OP_HEALTH_ATTENTION_GET, NULL, 0, MESH_OP_HEALTH_ATTENTION_STATUS));
	assert_int_equal(f->pdu.params[0], 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptors),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_setup_and_rest),
		cmocka_unit_test(test_publication),
		cmocka_unit_test(test_health),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
