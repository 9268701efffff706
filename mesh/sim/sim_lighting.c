/*
 * meshsim's lamps and wall switches: Generic OnOff/Level/Default
 * Transition Time servers, Light Lightness, CTL and HSL servers (with
 * their Setup servers and the CTL Temperature, HSL Hue and HSL Saturation
 * servers on the following elements), and the Generic OnOff Client of a
 * wall switch.
 *
 * The servers of one lamp share one struct light_state, so the bound
 * states of Mesh Model 6 hold by construction: Generic OnOff, Generic
 * Level, Light Lightness Actual/Linear, CTL Lightness and HSL Lightness
 * are all views of one Lightness Actual value; a Generic Level server on
 * the CTL Temperature, HSL Hue or HSL Saturation element is a view of that
 * channel instead. Servers find their state through the node's access
 * registry: models on the same element share it; a CTL Temperature server
 * joins the nearest lower element with a CTL server (HSL Hue and
 * Saturation: with an HSL server), and adopts the Level server of its own
 * element. sim_node.c registers models element by element, so the lower
 * element is always there first.
 *
 * Transitions (3.3.2.2.3): a Set's Transition Time and Delay, or the
 * Default Transition Time when it has none; the present values step
 * linearly towards the targets on a timer of the world's queue, and
 * Statuses report the Remaining Time. A Set that repeats the TID of the
 * same source and destination within 6 s is a retransmission: not applied
 * again, but an acknowledged one is still answered. Every change is
 * published by every server of the lamp that has a publication.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/err.h"
#include "mesh/light_msg.h"
#include "mesh/log.h"
#include "mesh/util.h"
#include "sim_internal.h"

#define STEP_MS 50u              /* how often a transition moves */
#define TID_WINDOW_MS 6000u      /* 3.3.2.2.3 */
#define TID_CACHE 4

enum channel { CH_LIGHTNESS, CH_TEMP, CH_DUV, CH_HUE, CH_SAT, CH_COUNT };

#define BIT(ch) (1u << (ch))

/* The settable values; all 32-bit so two copies compare with memcmp. */
struct light_values {
	int32_t target[CH_COUNT];
	int32_t present[CH_COUNT];
	int32_t last, def, range_min, range_max;
	int32_t temp_def, duv_def, temp_min, temp_max;
	int32_t hue_def, sat_def, hue_min, hue_max, sat_min, sat_max;
	int32_t dtt;
};

struct lmodel;

struct light_state {
	unsigned int refs;
	struct sim_device *dev;
	struct light_values v;
	int32_t start[CH_COUNT];
	bool moving;                /* a delay or transition is running */
	bool unknown_remaining;     /* a Generic Move: until a range end */
	uint64_t begin_ms;          /* when the transition proper starts */
	uint32_t duration_ms;
	struct mesh_timer timer;
	struct lmodel *models;      /* every model viewing this state */
};

struct tid_entry {
	bool used;
	uint16_t src, dst;
	uint8_t tid;
	uint64_t at_ms;
};

struct lmodel {
	struct sim_model sm;
	uint16_t id;
	enum channel channel;       /* what a Level server on this element moves */
	struct light_state *st;
	struct lmodel *next;        /* on st->models */
	struct tid_entry tids[TID_CACHE];
	int32_t delta_base;         /* Level at the start of a Delta transaction */
	uint8_t range_code;         /* last Range Set's status code */
	/* OnOff Client */
	uint8_t tid_next;
	uint8_t switch_onoff;
};

static int handle_request(struct mesh_model *model, const struct mesh_access_msg *msg);
static int handle_client_status(struct mesh_model *model, const struct mesh_access_msg *msg);
static void lmodel_destroy(struct sim_model *m);

#define OP(op) { op, 0, 0, handle_request }
#define OPS_END { 0, 0, 0, NULL }

static const struct mesh_access_op onoff_srv_ops[] = {
	OP(MESH_OP_GEN_ONOFF_GET), OP(MESH_OP_GEN_ONOFF_SET), OP(MESH_OP_GEN_ONOFF_SET_UNACK),
	OPS_END,
};
static const struct mesh_access_op level_srv_ops[] = {
	OP(MESH_OP_GEN_LEVEL_GET), OP(MESH_OP_GEN_LEVEL_SET), OP(MESH_OP_GEN_LEVEL_SET_UNACK),
	OP(MESH_OP_GEN_DELTA_SET), OP(MESH_OP_GEN_DELTA_SET_UNACK), OP(MESH_OP_GEN_MOVE_SET),
	OP(MESH_OP_GEN_MOVE_SET_UNACK), OPS_END,
};
static const struct mesh_access_op dtt_srv_ops[] = {
	OP(MESH_OP_GEN_DTT_GET), OP(MESH_OP_GEN_DTT_SET), OP(MESH_OP_GEN_DTT_SET_UNACK), OPS_END,
};
static const struct mesh_access_op lightness_srv_ops[] = {
	OP(MESH_OP_LIGHTNESS_GET), OP(MESH_OP_LIGHTNESS_SET), OP(MESH_OP_LIGHTNESS_SET_UNACK),
	OP(MESH_OP_LIGHTNESS_LINEAR_GET), OP(MESH_OP_LIGHTNESS_LINEAR_SET),
	OP(MESH_OP_LIGHTNESS_LINEAR_SET_UNACK), OP(MESH_OP_LIGHTNESS_LAST_GET),
	OP(MESH_OP_LIGHTNESS_DEFAULT_GET), OP(MESH_OP_LIGHTNESS_RANGE_GET), OPS_END,
};
static const struct mesh_access_op lightness_setup_ops[] = {
	OP(MESH_OP_LIGHTNESS_DEFAULT_SET), OP(MESH_OP_LIGHTNESS_DEFAULT_SET_UNACK),
	OP(MESH_OP_LIGHTNESS_RANGE_SET), OP(MESH_OP_LIGHTNESS_RANGE_SET_UNACK), OPS_END,
};
static const struct mesh_access_op ctl_srv_ops[] = {
	OP(MESH_OP_CTL_GET), OP(MESH_OP_CTL_SET), OP(MESH_OP_CTL_SET_UNACK),
	OP(MESH_OP_CTL_TEMP_RANGE_GET), OP(MESH_OP_CTL_DEFAULT_GET), OPS_END,
};
static const struct mesh_access_op ctl_setup_ops[] = {
	OP(MESH_OP_CTL_DEFAULT_SET), OP(MESH_OP_CTL_DEFAULT_SET_UNACK),
	OP(MESH_OP_CTL_TEMP_RANGE_SET), OP(MESH_OP_CTL_TEMP_RANGE_SET_UNACK), OPS_END,
};
static const struct mesh_access_op ctl_temp_ops[] = {
	OP(MESH_OP_CTL_TEMP_GET), OP(MESH_OP_CTL_TEMP_SET), OP(MESH_OP_CTL_TEMP_SET_UNACK), OPS_END,
};
static const struct mesh_access_op hsl_srv_ops[] = {
	OP(MESH_OP_HSL_GET), OP(MESH_OP_HSL_SET), OP(MESH_OP_HSL_SET_UNACK),
	OP(MESH_OP_HSL_TARGET_GET), OP(MESH_OP_HSL_DEFAULT_GET), OP(MESH_OP_HSL_RANGE_GET),
	OPS_END,
};
static const struct mesh_access_op hsl_setup_ops[] = {
	OP(MESH_OP_HSL_DEFAULT_SET), OP(MESH_OP_HSL_DEFAULT_SET_UNACK), OP(MESH_OP_HSL_RANGE_SET),
	OP(MESH_OP_HSL_RANGE_SET_UNACK), OPS_END,
};
static const struct mesh_access_op hue_srv_ops[] = {
	OP(MESH_OP_HSL_HUE_GET), OP(MESH_OP_HSL_HUE_SET), OP(MESH_OP_HSL_HUE_SET_UNACK), OPS_END,
};
static const struct mesh_access_op sat_srv_ops[] = {
	OP(MESH_OP_HSL_SAT_GET), OP(MESH_OP_HSL_SAT_SET), OP(MESH_OP_HSL_SAT_SET_UNACK), OPS_END,
};
static const struct mesh_access_op onoff_cli_ops[] = {
	{ MESH_OP_GEN_ONOFF_STATUS, 0, 0, handle_client_status }, OPS_END,
};
static const struct mesh_access_op level_cli_ops[] = {
	{ MESH_OP_GEN_LEVEL_STATUS, 0, 0, handle_client_status }, OPS_END,
};

struct model_kind {
	uint16_t id;
	const struct mesh_access_op *ops;
	uint32_t publishes;        /* the Status it publishes; 0: none */
};

static const struct model_kind kinds[] = {
	{ MESH_MODEL_GEN_ONOFF_SRV, onoff_srv_ops, MESH_OP_GEN_ONOFF_STATUS },
	{ MESH_MODEL_GEN_ONOFF_CLI, onoff_cli_ops, 0 },
	{ MESH_MODEL_GEN_LEVEL_SRV, level_srv_ops, MESH_OP_GEN_LEVEL_STATUS },
	{ MESH_MODEL_GEN_LEVEL_CLI, level_cli_ops, 0 },
	{ MESH_MODEL_GEN_DTT_SRV, dtt_srv_ops, MESH_OP_GEN_DTT_STATUS },
	{ MESH_MODEL_LIGHTNESS_SRV, lightness_srv_ops, MESH_OP_LIGHTNESS_STATUS },
	{ MESH_MODEL_LIGHTNESS_SETUP_SRV, lightness_setup_ops, 0 },
	{ MESH_MODEL_CTL_SRV, ctl_srv_ops, MESH_OP_CTL_STATUS },
	{ MESH_MODEL_CTL_SETUP_SRV, ctl_setup_ops, 0 },
	{ MESH_MODEL_CTL_TEMP_SRV, ctl_temp_ops, MESH_OP_CTL_TEMP_STATUS },
	{ MESH_MODEL_HSL_SRV, hsl_srv_ops, MESH_OP_HSL_STATUS },
	{ MESH_MODEL_HSL_SETUP_SRV, hsl_setup_ops, 0 },
	{ MESH_MODEL_HSL_HUE_SRV, hue_srv_ops, MESH_OP_HSL_HUE_STATUS },
	{ MESH_MODEL_HSL_SAT_SRV, sat_srv_ops, MESH_OP_HSL_SAT_STATUS },
};

static const struct model_kind *kind_of(uint16_t id)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(kinds); i++)
		if (kinds[i].id == id)
			return &kinds[i];
	return NULL;
}

static struct lmodel *lmodel_of(struct mesh_model *model)
{
	struct sim_model *sm = model->user_data;

	if (!sm || sm->destroy != lmodel_destroy)
		return NULL;
	return MESH_CONTAINER_OF(sm, struct lmodel, sm);
}

static struct mesh_timers *queue_of(struct light_state *st)
{
	return sim_world_queue(st->dev->world);
}

/* ---- values -------------------------------------------------------------- */

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Lightness Range applies to every non-zero Actual (6.1.2.2.5). */
static int32_t clamp_lightness(const struct light_values *v, int32_t l)
{
	return l == 0 ? 0 : clamp32(l, v->range_min, v->range_max);
}

static int32_t clamp_channel(const struct light_values *v, enum channel ch, int32_t x)
{
	switch (ch) {
	case CH_LIGHTNESS:
		return clamp_lightness(v, x);
	case CH_TEMP:
		return clamp32(x, v->temp_min, v->temp_max);
	case CH_DUV:
		return clamp32(x, INT16_MIN, INT16_MAX);
	case CH_HUE:
		return clamp32(x, v->hue_min, v->hue_max);
	default:
		return clamp32(x, v->sat_min, v->sat_max);
	}
}

/* base + delta, saturated to the Generic Level's range (3.3.2.2.3). */
static int32_t level_plus(int32_t base, int32_t delta)
{
	int64_t sum = (int64_t)base + delta;

	return sum > INT16_MAX ? INT16_MAX : sum < INT16_MIN ? INT16_MIN : (int32_t)sum;
}

/* The Generic Level that views channel ch (6.1.2.2.2, 6.1.3.1.1, 6.1.4.x). */
static int16_t level_of(const struct light_values *v, enum channel ch, int32_t x)
{
	if (ch == CH_TEMP)
		return mesh_ctl_temp_to_level((uint16_t)x, (uint16_t)v->temp_min,
					      (uint16_t)v->temp_max);
	return mesh_lightness_to_level((uint16_t)x);
}

static int32_t channel_of_level(const struct light_values *v, enum channel ch, int32_t level)
{
	level = clamp32(level, INT16_MIN, INT16_MAX);
	if (ch == CH_TEMP)
		return mesh_ctl_level_to_temp((int16_t)level, (uint16_t)v->temp_min,
					      (uint16_t)v->temp_max);
	return mesh_level_to_lightness((int16_t)level);
}

static void values_init(struct light_values *v)
{
	memset(v, 0, sizeof(*v));
	v->last = 0xffff;
	v->range_min = 1;
	v->range_max = 0xffff;
	v->temp_min = MESH_LIGHT_TEMP_MIN;
	v->temp_max = MESH_LIGHT_TEMP_MAX;
	v->temp_def = 4000;
	v->present[CH_TEMP] = v->target[CH_TEMP] = 4000;
	v->hue_max = 0xffff;
	v->sat_max = 0xffff;
}

/* ---- publication ----------------------------------------------------------- */

static uint32_t remaining_ms(struct light_state *st)
{
	uint64_t now = mesh_timers_now(queue_of(st));
	uint64_t end = st->begin_ms + st->duration_ms;

	if (!st->moving)
		return 0;
	return end > now ? (uint32_t)(end - now) : 0;
}

static uint8_t remaining_field(struct light_state *st)
{
	if (st->unknown_remaining)
		return MESH_TRANSITION_UNKNOWN;
	return mesh_transition_encode(remaining_ms(st));
}

/* The present OnOff: on while lit, and from the start of a transition
 * that turns the lamp on (3.1.1). */
static uint8_t present_onoff(const struct light_state *st)
{
	return st->v.present[CH_LIGHTNESS] > 0 || (st->moving && st->v.target[CH_LIGHTNESS] > 0);
}

/* Fill a Status of lm's state. */
static void status_of(struct lmodel *lm, uint32_t opcode, struct mesh_model_msg *s)
{
	struct light_state *st = lm->st;
	const struct light_values *v = &st->v;
	const int32_t *p = v->present, *t = v->target;

	memset(s, 0, sizeof(*s));
	s->opcode = opcode;
	s->has_target = st->moving;
	s->has_remaining = st->moving;
	s->remaining = st->moving ? remaining_field(st) : 0;
	switch (opcode) {
	case MESH_OP_GEN_ONOFF_STATUS:
		s->onoff = present_onoff(st);
		s->target_onoff = t[CH_LIGHTNESS] > 0;
		break;
	case MESH_OP_GEN_LEVEL_STATUS:
		s->level = level_of(v, lm->channel, p[lm->channel]);
		s->target_level = level_of(v, lm->channel, t[lm->channel]);
		break;
	case MESH_OP_GEN_DTT_STATUS:
		s->dtt = (uint8_t)v->dtt;
		break;
	case MESH_OP_LIGHTNESS_STATUS:
		s->lightness = (uint16_t)p[CH_LIGHTNESS];
		s->target_lightness = (uint16_t)t[CH_LIGHTNESS];
		break;
	case MESH_OP_LIGHTNESS_LINEAR_STATUS:
		s->lightness = mesh_lightness_actual_to_linear((uint16_t)p[CH_LIGHTNESS]);
		s->target_lightness = mesh_lightness_actual_to_linear((uint16_t)t[CH_LIGHTNESS]);
		break;
	case MESH_OP_LIGHTNESS_LAST_STATUS:
		s->lightness = (uint16_t)v->last;
		break;
	case MESH_OP_LIGHTNESS_DEFAULT_STATUS:
		s->lightness = (uint16_t)v->def;
		break;
	case MESH_OP_LIGHTNESS_RANGE_STATUS:
		s->status_code = lm->range_code;
		s->range_min = (uint16_t)v->range_min;
		s->range_max = (uint16_t)v->range_max;
		break;
	case MESH_OP_CTL_STATUS:
		s->lightness = (uint16_t)p[CH_LIGHTNESS];
		s->temperature = (uint16_t)p[CH_TEMP];
		s->target_lightness = (uint16_t)t[CH_LIGHTNESS];
		s->target_temperature = (uint16_t)t[CH_TEMP];
		break;
	case MESH_OP_CTL_TEMP_STATUS:
		s->temperature = (uint16_t)p[CH_TEMP];
		s->delta_uv = (int16_t)p[CH_DUV];
		s->target_temperature = (uint16_t)t[CH_TEMP];
		s->target_delta_uv = (int16_t)t[CH_DUV];
		break;
	case MESH_OP_CTL_TEMP_RANGE_STATUS:
		s->status_code = lm->range_code;
		s->range_min = (uint16_t)v->temp_min;
		s->range_max = (uint16_t)v->temp_max;
		break;
	case MESH_OP_CTL_DEFAULT_STATUS:
		s->lightness = (uint16_t)v->def;
		s->temperature = (uint16_t)v->temp_def;
		s->delta_uv = (int16_t)v->duv_def;
		break;
	case MESH_OP_HSL_STATUS:
		s->lightness = (uint16_t)p[CH_LIGHTNESS];
		s->hue = (uint16_t)p[CH_HUE];
		s->saturation = (uint16_t)p[CH_SAT];
		break;
	case MESH_OP_HSL_TARGET_STATUS:
		s->target_lightness = (uint16_t)t[CH_LIGHTNESS];
		s->target_hue = (uint16_t)t[CH_HUE];
		s->target_saturation = (uint16_t)t[CH_SAT];
		break;
	case MESH_OP_HSL_HUE_STATUS:
		s->hue = (uint16_t)p[CH_HUE];
		s->target_hue = (uint16_t)t[CH_HUE];
		break;
	case MESH_OP_HSL_SAT_STATUS:
		s->saturation = (uint16_t)p[CH_SAT];
		s->target_saturation = (uint16_t)t[CH_SAT];
		break;
	case MESH_OP_HSL_DEFAULT_STATUS:
		s->lightness = (uint16_t)v->def;
		s->hue = (uint16_t)v->hue_def;
		s->saturation = (uint16_t)v->sat_def;
		break;
	case MESH_OP_HSL_RANGE_STATUS:
		s->status_code = lm->range_code;
		s->range_min = (uint16_t)v->hue_min;
		s->range_max = (uint16_t)v->hue_max;
		s->sat_range_min = (uint16_t)v->sat_min;
		s->sat_range_max = (uint16_t)v->sat_max;
		break;
	default:
		break;
	}
}

static int status_encode(struct lmodel *lm, uint32_t opcode, uint8_t *out, size_t max)
{
	struct mesh_model_msg s;

	status_of(lm, opcode, &s);
	return mesh_model_msg_encode(&s, out, max);
}

static int lmodel_publish_state(struct sim_model *m)
{
	struct lmodel *lm = MESH_CONTAINER_OF(m, struct lmodel, sm);
	const struct model_kind *k = kind_of(lm->id);
	uint8_t buf[MESH_ACCESS_MAX_PAYLOAD];
	int len;

	if (!k || !k->publishes)
		return 0;
	len = status_encode(lm, k->publishes, buf, sizeof(buf));
	if (len < 0)
		return len;
	return sim_model_publish(m, buf, (size_t)len);
}

/* Every server viewing st tells its publication address about a change. */
static void state_publish(struct light_state *st)
{
	for (struct lmodel *lm = st->models; lm; lm = lm->next) {
		int rc;

		if (!lm->sm.publish_state)
			continue;
		rc = lm->sm.publish_state(&lm->sm);
		if (rc && rc != MESH_ERR_NOT_FOUND)
			mesh_log_warn(SIM_LOG, "%s: status not published: %s", st->dev->desc.name,
				      mesh_strerror(rc));
	}
}

/* ---- transitions ------------------------------------------------------------ */

static void transition_end(struct light_state *st)
{
	memcpy(st->v.present, st->v.target, sizeof(st->v.present));
	st->moving = false;
	st->unknown_remaining = false;
	mesh_timer_stop(queue_of(st), &st->timer);
	/* Light Lightness Last: the last non-zero Actual (6.1.2.3). */
	if (st->v.present[CH_LIGHTNESS] > 0)
		st->v.last = st->v.present[CH_LIGHTNESS];
}

static void transition_step(struct mesh_timer *t)
{
	struct light_state *st = MESH_CONTAINER_OF(t, struct light_state, timer);
	uint64_t now = mesh_timers_now(queue_of(st));
	uint64_t elapsed;

	if (now < st->begin_ms) {   /* still in the Delay */
		mesh_timer_start(queue_of(st), &st->timer, (uint32_t)(st->begin_ms - now));
		return;
	}
	elapsed = now - st->begin_ms;
	if (elapsed >= st->duration_ms) {
		transition_end(st);
		state_publish(st);
		return;
	}
	for (int ch = 0; ch < CH_COUNT; ch++) {
		int64_t span = (int64_t)st->v.target[ch] - st->start[ch];

		st->v.present[ch] = (int32_t)(st->start[ch] +
					      span * (int64_t)elapsed / (int64_t)st->duration_ms);
	}
	mesh_timer_start(queue_of(st), &st->timer, STEP_MS);
}

/* Move the channels in mask to target[] over tt/delay (the DTT when the
 * message has no transition). The caller publishes. */
static void state_change(struct light_state *st, unsigned int mask, const int32_t *target,
			 uint32_t duration_ms, uint32_t delay_ms)
{
	for (int ch = 0; ch < CH_COUNT; ch++) {
		st->start[ch] = st->v.present[ch];
		st->v.target[ch] = (mask & BIT(ch)) ? target[ch] : st->v.present[ch];
	}
	st->unknown_remaining = false;
	if (duration_ms == 0 && delay_ms == 0) {
		transition_end(st);
		return;
	}
	st->moving = true;
	st->begin_ms = mesh_timers_now(queue_of(st)) + delay_ms;
	st->duration_ms = duration_ms;
	mesh_timer_start(queue_of(st), &st->timer, delay_ms ? delay_ms : STEP_MS);
}

static void request_timing(const struct light_state *st, const struct mesh_model_msg *m,
			   uint32_t *duration_ms, uint32_t *delay_ms)
{
	uint8_t tt = m->has_transition ? m->transition : (uint8_t)st->v.dtt;
	uint32_t ms = mesh_transition_ms(tt);

	*duration_ms = ms == MESH_TRANSITION_MS_UNKNOWN ? 0 : ms;
	*delay_ms = m->has_transition ? mesh_delay_ms(m->delay) : 0;
}

static void set_channels(struct light_state *st, const struct mesh_model_msg *m,
			 unsigned int mask, const int32_t *target)
{
	uint32_t duration, delay;

	request_timing(st, m, &duration, &delay);
	state_change(st, mask, target, duration, delay);
}

/* Generic Move Set (3.3.2.2.4): the channel runs towards the end of its
 * range at move_delta per Transition Time, until stopped. */
static void level_move(struct lmodel *lm, const struct mesh_model_msg *m)
{
	struct light_state *st = lm->st;
	enum channel ch = lm->channel;
	int32_t target[CH_COUNT] = { 0 };
	uint32_t step_ms, delay;
	int32_t from, to, dist;

	request_timing(st, m, &step_ms, &delay);
	if (m->move_delta == 0 || step_ms == 0) {
		target[ch] = st->v.present[ch];
		state_change(st, BIT(ch), target, 0, 0);
		return;
	}
	from = level_of(&st->v, ch, st->v.present[ch]);
	to = m->move_delta > 0 ? INT16_MAX : INT16_MIN;
	target[ch] = clamp_channel(&st->v, ch, channel_of_level(&st->v, ch, to));
	dist = abs(level_of(&st->v, ch, target[ch]) - from);
	state_change(st, BIT(ch), target,
		     (uint32_t)((uint64_t)dist * step_ms / (uint32_t)abs(m->move_delta)), delay);
	st->unknown_remaining = st->moving;
}

/* ---- requests --------------------------------------------------------------- */

/* true if (src, dst, tid) was seen within 6 s: a retransmission. Records
 * it either way. */
static bool tid_repeat(struct lmodel *lm, const struct mesh_access_msg *msg, uint8_t tid)
{
	uint64_t now = mesh_timers_now(queue_of(lm->st));
	struct tid_entry *slot = &lm->tids[0];

	for (unsigned int i = 0; i < TID_CACHE; i++) {
		struct tid_entry *e = &lm->tids[i];

		if (e->used && e->src == msg->src && e->dst == msg->dst) {
			bool repeat = e->tid == tid && now - e->at_ms < TID_WINDOW_MS;

			e->tid = tid;
			e->at_ms = now;
			return repeat;
		}
		if (!e->used || e->at_ms < slot->at_ms)
			slot = e;
	}
	*slot = (struct tid_entry){ true, msg->src, msg->dst, tid, now };
	return false;
}

static uint8_t temp_range_code(const struct mesh_model_msg *m)
{
	if (m->range_min < MESH_LIGHT_TEMP_MIN || m->range_min > MESH_LIGHT_TEMP_MAX)
		return MESH_RANGE_STATUS_CANNOT_SET_MIN;
	if (m->range_max < MESH_LIGHT_TEMP_MIN || m->range_max > MESH_LIGHT_TEMP_MAX)
		return MESH_RANGE_STATUS_CANNOT_SET_MAX;
	return MESH_RANGE_STATUS_SUCCESS;
}

/* Apply a Set (either form) to lm's state. */
static void apply_set(struct lmodel *lm, const struct mesh_model_msg *m, bool repeat)
{
	struct light_state *st = lm->st;
	struct light_values *v = &st->v;
	int32_t t[CH_COUNT] = { 0 };
	uint32_t op = mesh_model_ack_opcode(m->opcode);

	switch (op) {
	case MESH_OP_GEN_ONOFF_SET:
		/* 6.1.2.2.3: on goes to Default, or Last when Default is 0. */
		t[CH_LIGHTNESS] = m->onoff ? (v->def ? v->def : v->last) : 0;
		set_channels(st, m, BIT(CH_LIGHTNESS), t);
		break;
	case MESH_OP_GEN_LEVEL_SET:
		t[lm->channel] = clamp_channel(v, lm->channel,
					       channel_of_level(v, lm->channel, m->level));
		set_channels(st, m, BIT(lm->channel), t);
		break;
	case MESH_OP_GEN_DELTA_SET:
		/* The same transaction's Deltas count from where it began. */
		if (!repeat)
			lm->delta_base = level_of(v, lm->channel, v->present[lm->channel]);
		t[lm->channel] = clamp_channel(v, lm->channel,
					       channel_of_level(v, lm->channel,
								level_plus(lm->delta_base, m->delta)));
		set_channels(st, m, BIT(lm->channel), t);
		break;
	case MESH_OP_GEN_MOVE_SET:
		level_move(lm, m);
		break;
	case MESH_OP_GEN_DTT_SET:
		v->dtt = m->dtt;
		break;
	case MESH_OP_LIGHTNESS_SET:
		t[CH_LIGHTNESS] = clamp_lightness(v, m->lightness);
		set_channels(st, m, BIT(CH_LIGHTNESS), t);
		break;
	case MESH_OP_LIGHTNESS_LINEAR_SET:
		t[CH_LIGHTNESS] = clamp_lightness(v, mesh_lightness_linear_to_actual(m->lightness));
		set_channels(st, m, BIT(CH_LIGHTNESS), t);
		break;
	case MESH_OP_LIGHTNESS_DEFAULT_SET:
		v->def = m->lightness;
		break;
	case MESH_OP_LIGHTNESS_RANGE_SET:
		v->range_min = m->range_min;
		v->range_max = m->range_max;
		lm->range_code = MESH_RANGE_STATUS_SUCCESS;
		break;
	case MESH_OP_CTL_SET:
		t[CH_LIGHTNESS] = clamp_lightness(v, m->lightness);
		t[CH_TEMP] = clamp_channel(v, CH_TEMP, m->temperature);
		t[CH_DUV] = m->delta_uv;
		set_channels(st, m, BIT(CH_LIGHTNESS) | BIT(CH_TEMP) | BIT(CH_DUV), t);
		break;
	case MESH_OP_CTL_TEMP_SET:
		t[CH_TEMP] = clamp_channel(v, CH_TEMP, m->temperature);
		t[CH_DUV] = m->delta_uv;
		set_channels(st, m, BIT(CH_TEMP) | BIT(CH_DUV), t);
		break;
	case MESH_OP_CTL_DEFAULT_SET:
		v->def = m->lightness;
		v->temp_def = m->temperature;
		v->duv_def = m->delta_uv;
		break;
	case MESH_OP_CTL_TEMP_RANGE_SET:
		lm->range_code = temp_range_code(m);
		if (lm->range_code == MESH_RANGE_STATUS_SUCCESS) {
			v->temp_min = m->range_min;
			v->temp_max = m->range_max;
		}
		break;
	case MESH_OP_HSL_SET:
		t[CH_LIGHTNESS] = clamp_lightness(v, m->lightness);
		t[CH_HUE] = clamp_channel(v, CH_HUE, m->hue);
		t[CH_SAT] = clamp_channel(v, CH_SAT, m->saturation);
		set_channels(st, m, BIT(CH_LIGHTNESS) | BIT(CH_HUE) | BIT(CH_SAT), t);
		break;
	case MESH_OP_HSL_HUE_SET:
		t[CH_HUE] = clamp_channel(v, CH_HUE, m->hue);
		set_channels(st, m, BIT(CH_HUE), t);
		break;
	case MESH_OP_HSL_SAT_SET:
		t[CH_SAT] = clamp_channel(v, CH_SAT, m->saturation);
		set_channels(st, m, BIT(CH_SAT), t);
		break;
	case MESH_OP_HSL_DEFAULT_SET:
		v->def = m->lightness;
		v->hue_def = m->hue;
		v->sat_def = m->saturation;
		break;
	case MESH_OP_HSL_RANGE_SET:
		v->hue_min = m->range_min;
		v->hue_max = m->range_max;
		v->sat_min = m->sat_range_min;
		v->sat_max = m->sat_range_max;
		lm->range_code = MESH_RANGE_STATUS_SUCCESS;
		break;
	default:
		break;
	}
}

static int handle_request(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	struct lmodel *lm = lmodel_of(model);
	const struct mesh_model_layout *l = mesh_model_layout(msg->opcode);
	struct mesh_model_msg req;
	uint8_t buf[MESH_ACCESS_MAX_PAYLOAD];
	bool repeat = false;
	int rc, len;

	if (!lm || !l)
		return MESH_ERR_UNKNOWN_OPCODE;
	rc = mesh_model_layout_decode(l, msg->params, msg->params_len, &req);
	if (rc)
		return rc;
	if (mesh_model_has_tid(req.opcode))
		repeat = tid_repeat(lm, msg, req.tid);
	if (l->kind != MESH_MSG_GET && (!repeat || req.opcode == MESH_OP_GEN_DELTA_SET ||
					req.opcode == MESH_OP_GEN_DELTA_SET_UNACK)) {
		struct light_values before = lm->st->v;
		bool was_moving = lm->st->moving;

		apply_set(lm, &req, repeat);
		if (memcmp(&before, &lm->st->v, sizeof(before)) || was_moving != lm->st->moving)
			state_publish(lm->st);
	}
	if (l->kind == MESH_MSG_SET_UNACK)
		return 0;
	len = status_encode(lm, l->status, buf, sizeof(buf));
	if (len < 0)
		return len;
	return sim_model_reply(&lm->sm, msg, buf, (size_t)len);
}

/* The switch learns what the lamps it controls say, so a toggle turns
 * them the other way. */
static int handle_client_status(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	struct lmodel *lm = lmodel_of(model);
	struct mesh_model_msg s;
	int rc;

	if (!lm)
		return MESH_ERR_UNKNOWN_OPCODE;
	rc = mesh_model_layout_decode(mesh_model_layout(msg->opcode), msg->params,
				      msg->params_len, &s);
	if (rc == 0 && s.opcode == MESH_OP_GEN_ONOFF_STATUS)
		lm->switch_onoff = s.has_target ? s.target_onoff : s.onoff;
	return rc;
}

/* ---- construction ------------------------------------------------------------ */

static void state_attach(struct lmodel *lm, struct light_state *st)
{
	lm->st = st;
	st->refs++;
	lm->next = st->models;
	st->models = lm;
}

static void state_detach(struct lmodel *lm)
{
	struct light_state *st = lm->st;

	if (!st)
		return;
	for (struct lmodel **p = &st->models; *p; p = &(*p)->next) {
		if (*p == lm) {
			*p = lm->next;
			break;
		}
	}
	lm->st = NULL;
	if (--st->refs == 0) {
		mesh_timer_stop(queue_of(st), &st->timer);
		free(st);
	}
}

static struct light_state *state_new(struct sim_device *d)
{
	struct light_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->dev = d;
	values_init(&st->v);
	mesh_timer_init(&st->timer, transition_step);
	return st;
}

/* One of our models on element e of d, optionally with a given ID. */
static struct lmodel *find_on_elem(struct sim_device *d, uint8_t e, int id)
{
	struct mesh_access *a = &d->stack->access;

	if (e >= a->n_elems)
		return NULL;
	for (unsigned int i = 0; i < a->elems[e].n_models; i++) {
		struct lmodel *lm = lmodel_of(a->elems[e].models[i]);

		if (lm && lm->st && (id < 0 || lm->id == id))
			return lm;
	}
	return NULL;
}

/* A CTL Temperature / HSL Hue / HSL Saturation server: the state of the
 * nearest lower element running main_id. */
static struct lmodel *find_main_below(struct sim_device *d, uint8_t elem, uint16_t main_id)
{
	for (int e = elem - 1; e >= 0; e--) {
		struct lmodel *lm = find_on_elem(d, (uint8_t)e, main_id);

		if (lm)
			return lm;
	}
	return NULL;
}

static enum channel secondary_channel(uint16_t id, uint16_t *main_id)
{
	switch (id) {
	case MESH_MODEL_CTL_TEMP_SRV:
		*main_id = MESH_MODEL_CTL_SRV;
		return CH_TEMP;
	case MESH_MODEL_HSL_HUE_SRV:
		*main_id = MESH_MODEL_HSL_SRV;
		return CH_HUE;
	case MESH_MODEL_HSL_SAT_SRV:
		*main_id = MESH_MODEL_HSL_SRV;
		return CH_SAT;
	default:
		*main_id = 0;
		return CH_LIGHTNESS;
	}
}

/* Give lm its state: see the header comment. */
static int lmodel_join(struct lmodel *lm, struct sim_device *d, uint8_t elem)
{
	uint16_t main_id;
	enum channel ch = secondary_channel(lm->id, &main_id);
	struct lmodel *peer = main_id ? find_main_below(d, elem, main_id) : NULL;
	struct light_state *st;

	if (peer) {
		struct mesh_access *a = &d->stack->access;

		/* Models of this element registered before us (its Generic
		 * Level server) view our channel of the main state too. */
		for (unsigned int i = 0; i < a->elems[elem].n_models; i++) {
			struct lmodel *other = lmodel_of(a->elems[elem].models[i]);

			if (!other || other->st == peer->st)
				continue;
			state_detach(other);
			other->channel = ch;
			state_attach(other, peer->st);
		}
		lm->channel = ch;
		state_attach(lm, peer->st);
		return 0;
	}
	peer = find_on_elem(d, elem, -1);
	if (peer) {
		lm->channel = main_id ? ch : peer->channel;
		state_attach(lm, peer->st);
		return 0;
	}
	st = state_new(d);
	if (!st)
		return MESH_ERR_NOMEM;
	lm->channel = ch;
	state_attach(lm, st);
	return 0;
}

static void lmodel_destroy(struct sim_model *m)
{
	struct lmodel *lm = MESH_CONTAINER_OF(m, struct lmodel, sm);

	state_detach(lm);
	free(lm);
}

struct sim_model *sim_lighting_model_new(struct sim_device *d, uint8_t elem_idx,
					 uint16_t model_id, int *err)
{
	const struct model_kind *k = kind_of(model_id);
	struct lmodel *lm;
	int rc;

	if (!k) {
		*err = MESH_ERR_NOT_FOUND;
		return NULL;
	}
	if (!d || !d->stack) {
		*err = MESH_ERR_INVAL;
		return NULL;
	}
	lm = calloc(1, sizeof(*lm));
	if (!lm) {
		*err = MESH_ERR_NOMEM;
		return NULL;
	}
	lm->id = model_id;
	lm->sm.dev = d;
	lm->sm.model.id = mesh_model_id_sig(model_id);
	lm->sm.model.ops = k->ops;
	lm->sm.model.user_data = &lm->sm;
	lm->sm.destroy = lmodel_destroy;
	if (k->publishes)
		lm->sm.publish_state = lmodel_publish_state;
	rc = lmodel_join(lm, d, elem_idx);
	if (rc) {
		free(lm);
		*err = rc;
		return NULL;
	}
	return &lm->sm;
}

/* ---- the wall switch ---------------------------------------------------------- */

int sim_device_press(struct sim_device *d, uint8_t elem_idx, int on)
{
	struct mesh_model *model;
	struct lmodel *lm;
	struct mesh_model_msg set = { .opcode = MESH_OP_GEN_ONOFF_SET_UNACK };
	uint8_t buf[8];
	int len, rc;

	if (!d || !d->stack || elem_idx >= d->stack->access.n_elems)
		return MESH_ERR_NOT_FOUND;
	model = mesh_access_model_find(&d->stack->access, elem_idx,
				       mesh_model_id_sig(MESH_MODEL_GEN_ONOFF_CLI));
	lm = model ? lmodel_of(model) : NULL;
	if (!lm)
		return MESH_ERR_NOT_FOUND;
	if (lm->sm.pub.addr == 0)
		return MESH_ERR_DOWN;
	set.onoff = on < 0 ? !lm->switch_onoff : on != 0;
	set.tid = lm->tid_next++;   /* a new press, a new transaction */
	len = mesh_model_msg_encode(&set, buf, sizeof(buf));
	if (len < 0)
		return len;
	rc = sim_model_publish(&lm->sm, buf, (size_t)len);
	if (rc == MESH_ERR_NOT_FOUND)
		return MESH_ERR_DOWN;
	if (rc == 0)
		lm->switch_onoff = set.onoff;
	return rc;
}

/* The light state a lamp's OnOff or Lightness server on elem_idx views. */
static struct light_state *light_on_elem(struct sim_device *d, uint8_t elem_idx)
{
	struct mesh_model *model;
	struct lmodel *lm;

	if (!d || !d->stack || elem_idx >= d->stack->access.n_elems)
		return NULL;
	model = mesh_access_model_find(&d->stack->access, elem_idx,
				       mesh_model_id_sig(MESH_MODEL_GEN_ONOFF_SRV));
	if (!model)
		model = mesh_access_model_find(&d->stack->access, elem_idx,
					       mesh_model_id_sig(MESH_MODEL_LIGHTNESS_SRV));
	lm = model ? lmodel_of(model) : NULL;
	return lm ? lm->st : NULL;
}

int sim_device_light_onoff(struct sim_device *d, uint8_t elem_idx)
{
	struct light_state *st = light_on_elem(d, elem_idx);

	return st ? present_onoff(st) : MESH_ERR_NOT_FOUND;
}

int sim_device_light_lightness(struct sim_device *d, uint8_t elem_idx)
{
	struct light_state *st = light_on_elem(d, elem_idx);

	return st ? (int)st->v.present[CH_LIGHTNESS] : MESH_ERR_NOT_FOUND;
}
