/*
 * meshsim's Health Server (0x0002, Mesh Profile 4.4.3): the node's fault
 * state, its self-test, the Fast Period Divisor and the attention timer.
 *
 * A simulated device is healthy: its current fault array is empty and its
 * registered fault array only records what a test found (nothing; the
 * only test is the standard 0x00). Requests naming another company than
 * the node's (its Composition Data CID) are ignored, as 4.4.3.x asks of a
 * server that has no faults of that company. Health Current Status is
 * published with the model's publication period; the Fast Period Divisor
 * is stored and reported, but since the current fault array is always
 * empty the faster period never applies.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/err.h"
#include "mesh/health_msg.h"
#include "mesh/util.h"
#include "sim_internal.h"

#define ATTENTION_TICK_MS 1000u
#define STANDARD_TEST_ID 0x00

struct sim_health_srv {
	struct sim_model m;
	uint16_t company;
	uint8_t test_id;          /* the most recent test */
	uint8_t n_current;        /* faults present now (none in meshsim) */
	uint8_t current[8];
	uint8_t n_registered;     /* faults found since the last Clear */
	uint8_t registered[8];
	uint8_t divisor;          /* Fast Period Divisor */
	uint8_t attention;        /* seconds left */
	struct mesh_timer attention_timer;
};

static struct sim_health_srv *srv_of(struct mesh_model *model)
{
	return MESH_CONTAINER_OF(model, struct sim_health_srv, m.model);
}

static int reply(struct sim_health_srv *h, const struct mesh_access_msg *req, uint32_t opcode,
		 const uint8_t *params, size_t len)
{
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	int n = mesh_access_compose(opcode, params, len, payload, sizeof(payload));

	return n < 0 ? n : sim_model_reply(&h->m, req, payload, (size_t)n);
}

/* Current (current = true) or registered faults as status parameters. */
static int fault_params(const struct sim_health_srv *h, bool current, uint8_t *out, size_t max)
{
	struct mesh_health_fault_status st = { .test_id = h->test_id, .company = h->company };

	st.n_faults = current ? h->n_current : h->n_registered;
	memcpy(st.faults, current ? h->current : h->registered, st.n_faults);
	return mesh_health_fault_status_encode(&st, out, max);
}

static int send_fault_status(struct sim_health_srv *h, const struct mesh_access_msg *req)
{
	uint8_t params[MESH_ACCESS_MAX_PAYLOAD];
	int len = fault_params(h, false, params, sizeof(params));

	return len < 0 ? len : reply(h, req, MESH_OP_HEALTH_FAULT_STATUS, params, (size_t)len);
}

static int on_fault_get(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	struct sim_health_srv *h = srv_of(model);
	uint16_t company;
	int rc = mesh_health_company_decode(msg->params, msg->params_len, &company);

	if (rc || company != h->company)
		return rc;
	return send_fault_status(h, msg);
}

static int fault_clear(struct mesh_model *model, const struct mesh_access_msg *msg, bool ack)
{
	struct sim_health_srv *h = srv_of(model);
	uint16_t company;
	int rc = mesh_health_company_decode(msg->params, msg->params_len, &company);

	if (rc || company != h->company)
		return rc;
	h->n_registered = 0;
	return ack ? send_fault_status(h, msg) : 0;
}

static int on_fault_clear(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return fault_clear(model, msg, true);
}

static int on_fault_clear_unack(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return fault_clear(model, msg, false);
}

/* The standard test finds the faults present now (none). Other tests or
 * companies: ignored. */
static int fault_test(struct mesh_model *model, const struct mesh_access_msg *msg, bool ack)
{
	struct sim_health_srv *h = srv_of(model);
	uint8_t test_id;
	uint16_t company;
	int rc = mesh_health_fault_test_decode(msg->params, msg->params_len, &test_id, &company);

	if (rc || company != h->company || test_id != STANDARD_TEST_ID)
		return rc;
	h->test_id = test_id;
	for (unsigned int i = 0; i < h->n_current && h->n_registered < sizeof(h->registered); i++)
		if (!memchr(h->registered, h->current[i], h->n_registered))
			h->registered[h->n_registered++] = h->current[i];
	return ack ? send_fault_status(h, msg) : 0;
}

static int on_fault_test(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return fault_test(model, msg, true);
}

static int on_fault_test_unack(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return fault_test(model, msg, false);
}

static int send_period_status(struct sim_health_srv *h, const struct mesh_access_msg *req)
{
	uint8_t p;
	int len = mesh_health_period_encode(h->divisor, &p, 1);

	return len < 0 ? len : reply(h, req, MESH_OP_HEALTH_PERIOD_STATUS, &p, 1);
}

static int on_period_get(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return send_period_status(srv_of(model), msg);
}

static int period_set(struct mesh_model *model, const struct mesh_access_msg *msg, bool ack)
{
	struct sim_health_srv *h = srv_of(model);
	uint8_t divisor;
	int rc = mesh_health_period_decode(msg->params, msg->params_len, &divisor);

	if (rc)
		return rc;
	h->divisor = divisor;
	return ack ? send_period_status(h, msg) : 0;
}

static int on_period_set(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return period_set(model, msg, true);
}

static int on_period_set_unack(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return period_set(model, msg, false);
}

static int send_attention_status(struct sim_health_srv *h, const struct mesh_access_msg *req)
{
	return reply(h, req, MESH_OP_HEALTH_ATTENTION_STATUS, &h->attention, 1);
}

static void attention_tick(struct mesh_timer *t)
{
	struct sim_health_srv *h = MESH_CONTAINER_OF(t, struct sim_health_srv, attention_timer);

	if (h->attention && --h->attention)
		mesh_timer_start(sim_world_queue(h->m.dev->world), t, ATTENTION_TICK_MS);
}

static int attention_set(struct mesh_model *model, const struct mesh_access_msg *msg, bool ack)
{
	struct sim_health_srv *h = srv_of(model);
	struct mesh_timers *q = sim_world_queue(h->m.dev->world);
	uint8_t seconds;
	int rc = mesh_health_attention_decode(msg->params, msg->params_len, &seconds);

	if (rc)
		return rc;
	h->attention = seconds;
	if (seconds)
		mesh_timer_start(q, &h->attention_timer, ATTENTION_TICK_MS);
	else
		mesh_timer_stop(q, &h->attention_timer);
	return ack ? send_attention_status(h, msg) : 0;
}

static int on_attention_get(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return send_attention_status(srv_of(model), msg);
}

static int on_attention_set(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return attention_set(model, msg, true);
}

static int on_attention_set_unack(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	return attention_set(model, msg, false);
}

static const struct mesh_access_op health_ops[] = {
	{ MESH_OP_HEALTH_FAULT_GET, 2, 2, on_fault_get },
	{ MESH_OP_HEALTH_FAULT_CLEAR, 2, 2, on_fault_clear },
	{ MESH_OP_HEALTH_FAULT_CLEAR_UNACK, 2, 2, on_fault_clear_unack },
	{ MESH_OP_HEALTH_FAULT_TEST, 3, 3, on_fault_test },
	{ MESH_OP_HEALTH_FAULT_TEST_UNACK, 3, 3, on_fault_test_unack },
	{ MESH_OP_HEALTH_PERIOD_GET, 0, 0, on_period_get },
	{ MESH_OP_HEALTH_PERIOD_SET, 1, 1, on_period_set },
	{ MESH_OP_HEALTH_PERIOD_SET_UNACK, 1, 1, on_period_set_unack },
	{ MESH_OP_HEALTH_ATTENTION_GET, 0, 0, on_attention_get },
	{ MESH_OP_HEALTH_ATTENTION_SET, 1, 1, on_attention_set },
	{ MESH_OP_HEALTH_ATTENTION_SET_UNACK, 1, 1, on_attention_set_unack },
	{ 0, 0, 0, NULL },
};

/* Periodic publication: Health Current Status. */
static int publish_state(struct sim_model *m)
{
	struct sim_health_srv *h = MESH_CONTAINER_OF(m, struct sim_health_srv, m);
	uint8_t params[MESH_ACCESS_MAX_PAYLOAD], payload[MESH_ACCESS_MAX_PAYLOAD];
	int len = fault_params(h, true, params, sizeof(params));

	if (len >= 0)
		len = mesh_access_compose(MESH_OP_HEALTH_CURRENT_STATUS, params, (size_t)len,
					  payload, sizeof(payload));
	return len < 0 ? len : sim_model_publish(m, payload, (size_t)len);
}

static void health_destroy(struct sim_model *m)
{
	struct sim_health_srv *h = MESH_CONTAINER_OF(m, struct sim_health_srv, m);

	mesh_timer_stop(sim_world_queue(m->dev->world), &h->attention_timer);
	free(h);
}

struct sim_model *sim_health_srv_new(struct sim_device *d, uint8_t elem_idx, uint16_t model_id,
				     int *err)
{
	struct sim_health_srv *h;

	(void)elem_idx;
	if (model_id != MESH_MODEL_HEALTH_SRV) {
		*err = MESH_ERR_NOT_FOUND;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		*err = MESH_ERR_NOMEM;
		return NULL;
	}
	h->m.dev = d;
	h->m.model.id = mesh_model_id_sig(model_id);
	h->m.model.ops = health_ops;
	h->m.model.user_data = &h->m;
	h->m.publish_state = publish_state;
	h->m.destroy = health_destroy;
	h->company = d->desc.cid;
	mesh_timer_init(&h->attention_timer, attention_tick);
	return &h->m;
}
