/*
 * meshsim's Sensor Server (0x1100) and Sensor Setup Server (0x1101), Mesh
 * Model 4.3: the sensors the scenario gives the element
 * (struct sim_sensor_desc), with values that follow the world's virtual
 * clock, so a test or a demo sees temperatures drift and motion come and
 * go without anyone touching the device.
 *
 * Values are computed when asked for (a Get, or a periodic publication)
 * from the virtual time since the model was created. The random walk has
 * its own generator, seeded once from the world's PRNG when the model is
 * created: its path then depends only on the scenario's seed and on time,
 * not on how often someone reads it, so two runs of a scenario agree
 * however their Gets interleave.
 *
 * The Setup Server answers Cadence and Setting requests in the form that
 * says "not supported for this property": meshsim sensors publish with
 * the model's period only and have no settings.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/err.h"
#include "mesh/sensor_msg.h"
#include "mesh/util.h"
#include "sim_internal.h"

/* A random walk far behind the clock catches up at most this many steps
 * (then jumps), so a Get after a long idle time stays cheap. */
#define WALK_CATCH_UP_MAX 100000u
#define PI 3.14159265358979323846

struct sim_sensor {
	struct sim_sensor_desc desc;
	uint64_t rng;             /* random walk: its own generator */
	uint64_t steps_done;
	double walk;
};

struct sim_sensor_srv {
	struct sim_model m;
	uint64_t t0_ms;           /* virtual time the model was created */
	uint8_t n;
	struct sim_sensor s[SIM_SENSORS_MAX];
};

static struct sim_sensor_srv *srv_of(struct mesh_model *model)
{
	return MESH_CONTAINER_OF(model, struct sim_sensor_srv, m.model);
}

/* ---- values ------------------------------------------------------------ */

/* splitmix64: small, good enough for a simulated drift. */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in -1..1. */
static double rand_signed(uint64_t *state)
{
	return (double)(next_rand(state) >> 11) / (double)(1ull << 52) - 1.0;
}

static double walk_value(struct sim_sensor *s, double t)
{
	const struct sim_sensor_gen *g = &s->desc.gen;
	uint64_t steps = (uint64_t)(t / g->every_s);

	if (steps > s->steps_done + WALK_CATCH_UP_MAX)
		s->steps_done = steps - WALK_CATCH_UP_MAX;
	for (; s->steps_done < steps; s->steps_done++) {
		s->walk += rand_signed(&s->rng) * g->step;
		s->walk = fmin(fmax(s->walk, g->min), g->max);
	}
	return s->walk;
}

/* The sensor's value t seconds after the model was created. */
static double sensor_value(struct sim_sensor *s, double t)
{
	const struct sim_sensor_gen *g = &s->desc.gen;

	switch (g->kind) {
	case SIM_GEN_CONSTANT:
		return g->value;
	case SIM_GEN_SINE:
		return g->min + (g->max - g->min) * (1.0 + sin(2.0 * PI * t / g->period_s)) / 2.0;
	case SIM_GEN_RANDOM_WALK:
		return walk_value(s, t);
	case SIM_GEN_PATTERN:
		return g->values[(uint64_t)(t / g->every_s) % g->n_values];
	}
	return NAN;
}

static double srv_seconds(struct sim_sensor_srv *srv)
{
	uint64_t now = mesh_timers_now(sim_world_queue(srv->m.dev->world));

	return now > srv->t0_ms ? (double)(now - srv->t0_ms) / 1000.0 : 0.0;
}

static struct sim_sensor *find_sensor(struct sim_sensor_srv *srv, uint16_t prop)
{
	for (unsigned int i = 0; i < srv->n; i++)
		if (srv->s[i].desc.property == prop)
			return &srv->s[i];
	return NULL;
}

/* ---- messages ---------------------------------------------------------- */

static int reply(struct sim_model *m, const struct mesh_access_msg *req, uint32_t opcode,
		 const uint8_t *params, size_t len)
{
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	int n = mesh_access_compose(opcode, params, len, payload, sizeof(payload));

	return n < 0 ? n : sim_model_reply(m, req, payload, (size_t)n);
}

/* One sensor's entry of a Sensor Status; prop alone when s is NULL. */
static int status_entry(struct sim_sensor_srv *srv, struct sim_sensor *s, uint16_t prop,
			uint8_t *out, size_t max)
{
	uint8_t raw[4];
	int len = 0;

	if (s) {
		len = mesh_sensor_value_encode(prop, sensor_value(s, srv_seconds(srv)), raw,
					       sizeof(raw));
		if (len < 0)
			return len;
	}
	return mesh_sensor_data_encode(prop, raw, (size_t)len, out, max);
}

/* Sensor Status parameters: every sensor (prop 0) or one. */
static int status_params(struct sim_sensor_srv *srv, uint16_t prop, uint8_t *out, size_t max)
{
	size_t off = 0;
	int rc;

	if (prop)
		return status_entry(srv, find_sensor(srv, prop), prop, out, max);
	for (unsigned int i = 0; i < srv->n; i++) {
		rc = status_entry(srv, &srv->s[i], srv->s[i].desc.property, out + off, max - off);
		if (rc < 0)
			return rc;
		off += (size_t)rc;
	}
	return (int)off;
}

static void describe(const struct sim_sensor *s, struct mesh_sensor_descriptor *d)
{
	memset(d, 0, sizeof(*d));
	d->prop = s->desc.property;
	/* Tolerances unknown (0), a reading is a sample of the moment, no
	 * measurement period or update interval to speak of. */
	d->sampling = MESH_SENSOR_SAMPLING_INSTANTANEOUS;
}

static int on_descriptor_get(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	struct sim_sensor_srv *srv = srv_of(model);
	struct mesh_sensor_descriptor_status st;
	uint8_t params[MESH_ACCESS_MAX_PAYLOAD];
	uint16_t prop;
	int rc = mesh_sensor_get_decode(msg->params, msg->params_len, &prop);

	if (rc)
		return rc;
	memset(&st, 0, sizeof(st));
	if (prop) {
		struct sim_sensor *s = find_sensor(srv, prop);

		st.not_found = !s;
		st.prop = prop;
		if (s)
			describe(s, &st.d[st.n++]);
	} else {
		for (unsigned int i = 0; i < srv->n; i++)
			describe(&srv->s[i], &st.d[st.n++]);
	}
	rc = mesh_sensor_descriptor_status_encode(&st, params, sizeof(params));
	return rc < 0 ? rc : reply(&srv->m, msg, MESH_OP_SENSOR_DESCRIPTOR_STATUS, params,
				   (size_t)rc);
}

static int on_sensor_get(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	struct sim_sensor_srv *srv = srv_of(model);
	uint8_t params[MESH_ACCESS_MAX_PAYLOAD];
	uint16_t prop;
	int rc = mesh_sensor_get_decode(msg->params, msg->params_len, &prop);

	if (rc == 0)
		rc = status_params(srv, prop, params, sizeof(params));
	return rc < 0 ? rc : reply(&srv->m, msg, MESH_OP_SENSOR_STATUS, params, (size_t)rc);
}

/*
 * Requests about a property whose answer, here, is always "nothing of
 * that": a Column or Series (meshsim sensors have none), a Cadence, the
 * Settings. The status repeats the Property ID, plus keep octets of the
 * request after it (a Column Get's Raw Value X, a Setting Get's Setting
 * Property ID), which is the form that says "not there" (4.3.x).
 */
static int answer_with_prop(struct mesh_model *model, const struct mesh_access_msg *msg,
			    uint32_t status_op, size_t keep)
{
	struct sim_sensor_srv *srv = srv_of(model);
	struct mesh_sensor_prop_msg req;
	uint8_t params[MESH_ACCESS_MAX_PAYLOAD];
	int rc = mesh_sensor_prop_msg_decode(msg->params, msg->params_len, &req);

	if (rc)
		return rc;
	if (req.rest_len < keep)
		return MESH_ERR_TRUNCATED;
	/* An unknown property gets its ID back alone. */
	if (!find_sensor(srv, req.prop))
		keep = 0;
	rc = mesh_sensor_prop_msg_encode(req.prop, req.rest, keep, params, sizeof(params));
	return rc < 0 ? rc : reply(&srv->m, msg, status_op, params, (size_t)rc);
}

static int on_column_get(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return answer_with_prop(model, msg, MESH_OP_SENSOR_COLUMN_STATUS, msg->params_len - 2);
}

static int on_series_get(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return answer_with_prop(model, msg, MESH_OP_SENSOR_SERIES_STATUS, 0);
}

static int on_cadence_get(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return answer_with_prop(model, msg, MESH_OP_SENSOR_CADENCE_STATUS, 0);
}

static int on_cadence_set(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return answer_with_prop(model, msg, MESH_OP_SENSOR_CADENCE_STATUS, 0);
}

static int on_unack_set(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	struct mesh_sensor_prop_msg req;

	(void)model;
	return mesh_sensor_prop_msg_decode(msg->params, msg->params_len, &req);
}

static int on_settings_get(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return answer_with_prop(model, msg, MESH_OP_SENSOR_SETTINGS_STATUS, 0);
}

/* Setting Get/Set: Property ID and Setting Property ID come back, nothing
 * else (there is no such setting), for known properties too. */
static int on_setting(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	struct sim_sensor_srv *srv = srv_of(model);
	struct mesh_sensor_prop_msg req;
	uint8_t params[4];
	int rc = mesh_sensor_prop_msg_decode(msg->params, msg->params_len, &req);

	if (rc)
		return rc;
	rc = mesh_sensor_prop_msg_encode(req.prop, req.rest, 2, params, sizeof(params));
	return rc < 0 ? rc : reply(&srv->m, msg, MESH_OP_SENSOR_SETTING_STATUS, params,
				   (size_t)rc);
}

static const struct mesh_access_op server_ops[] = {
	{ MESH_OP_SENSOR_DESCRIPTOR_GET, 0, 2, on_descriptor_get },
	{ MESH_OP_SENSOR_GET, 0, 2, on_sensor_get },
	{ MESH_OP_SENSOR_COLUMN_GET, 2, 0, on_column_get },
	{ MESH_OP_SENSOR_SERIES_GET, 2, 0, on_series_get },
	{ 0, 0, 0, NULL },
};

static const struct mesh_access_op setup_ops[] = {
	{ MESH_OP_SENSOR_CADENCE_GET, 2, 2, on_cadence_get },
	{ MESH_OP_SENSOR_CADENCE_SET, 2, 0, on_cadence_set },
	{ MESH_OP_SENSOR_CADENCE_SET_UNACK, 2, 0, on_unack_set },
	{ MESH_OP_SENSOR_SETTINGS_GET, 2, 2, on_settings_get },
	{ MESH_OP_SENSOR_SETTING_GET, 4, 4, on_setting },
	{ MESH_OP_SENSOR_SETTING_SET, 4, 0, on_setting },
	{ MESH_OP_SENSOR_SETTING_SET_UNACK, 4, 0, on_unack_set },
	{ 0, 0, 0, NULL },
};

/* Periodic publication: a Sensor Status with every sensor. */
static int publish_state(struct sim_model *m)
{
	struct sim_sensor_srv *srv = MESH_CONTAINER_OF(m, struct sim_sensor_srv, m);
	uint8_t params[MESH_ACCESS_MAX_PAYLOAD], payload[MESH_ACCESS_MAX_PAYLOAD];
	int len = status_params(srv, 0, params, sizeof(params));

	if (len >= 0)
		len = mesh_access_compose(MESH_OP_SENSOR_STATUS, params, (size_t)len, payload,
					  sizeof(payload));
	return len < 0 ? len : sim_model_publish(m, payload, (size_t)len);
}

static void srv_destroy(struct sim_model *m)
{
	free(MESH_CONTAINER_OF(m, struct sim_sensor_srv, m));
}

struct sim_model *sim_sensor_srv_new(struct sim_device *d, uint8_t elem_idx, uint16_t model_id,
				     int *err)
{
	struct sim_sensor_srv *srv;
	const struct sim_element_desc *el;

	if (model_id != MESH_MODEL_SENSOR_SRV && model_id != MESH_MODEL_SENSOR_SETUP_SRV) {
		*err = MESH_ERR_NOT_FOUND;
		return NULL;
	}
	if (elem_idx >= d->desc.n_elements) {
		*err = MESH_ERR_INVAL;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		*err = MESH_ERR_NOMEM;
		return NULL;
	}
	el = &d->desc.elements[elem_idx];
	srv->m.dev = d;
	srv->m.model.id = mesh_model_id_sig(model_id);
	srv->m.model.ops = model_id == MESH_MODEL_SENSOR_SRV ? server_ops : setup_ops;
	srv->m.model.user_data = &srv->m;
	srv->m.publish_state = model_id == MESH_MODEL_SENSOR_SRV ? publish_state : NULL;
	srv->m.destroy = srv_destroy;
	srv->t0_ms = mesh_timers_now(sim_world_queue(d->world));
	srv->n = el->n_sensors <= SIM_SENSORS_MAX ? el->n_sensors : SIM_SENSORS_MAX;
	for (unsigned int i = 0; i < srv->n; i++) {
		struct sim_sensor *s = &srv->s[i];

		s->desc = el->sensors[i];
		s->walk = s->desc.gen.start;
		s->rng = (uint64_t)sim_world_rand(d->world) << 32 | sim_world_rand(d->world);
	}
	return &srv->m;
}
