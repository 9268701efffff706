/*
 * The state cache (state_cache.h).
 */
#include "gateway/state_cache.h"

#include <stdlib.h>
#include <string.h>

#include "mesh/err.h"
#include "mesh/generic_msg.h"
#include "mesh/health_msg.h"
#include "mesh/light_msg.h"
#include "mesh/transport.h"

struct gw_state_cache {
	struct gw_elem_state *entries;
	size_t n, cap;
	gw_state_changed_fn changed;
	void *ctx;
};

struct gw_state_cache *gw_state_cache_create(gw_state_changed_fn changed, void *ctx)
{
	struct gw_state_cache *c = calloc(1, sizeof(*c));

	if (c) {
		c->changed = changed;
		c->ctx = ctx;
	}
	return c;
}

void gw_state_cache_destroy(struct gw_state_cache *c)
{
	if (!c)
		return;
	free(c->entries);
	free(c);
}

const struct gw_elem_state *gw_state_cache_get(const struct gw_state_cache *c, uint16_t addr)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->entries[i].addr == addr)
			return &c->entries[i];
	return NULL;
}

size_t gw_state_cache_count(const struct gw_state_cache *c)
{
	return c->n;
}

const struct gw_elem_state *gw_state_cache_at(const struct gw_state_cache *c, size_t i)
{
	return i < c->n ? &c->entries[i] : NULL;
}

void gw_state_cache_forget(struct gw_state_cache *c, uint16_t first, uint8_t count)
{
	for (size_t i = 0; i < c->n;) {
		uint16_t a = c->entries[i].addr;

		if (a >= first && (uint32_t)a < (uint32_t)first + count) {
			c->entries[i] = c->entries[--c->n];
			continue;
		}
		i++;
	}
}

static struct gw_elem_state *entry_for(struct gw_state_cache *c, uint16_t addr)
{
	struct gw_elem_state *e = (struct gw_elem_state *)gw_state_cache_get(c, addr);

	if (e)
		return e;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct gw_elem_state *grown = realloc(c->entries, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		c->entries = grown;
		c->cap = cap;
	}
	e = &c->entries[c->n++];
	memset(e, 0, sizeof(*e));
	e->addr = addr;
	return e;
}

/* ---- generic and light statuses -------------------------------------------- */

static void note_transition(struct gw_elem_state *e, const struct mesh_model_msg *m)
{
	e->in_transition = m->has_remaining && m->remaining != 0;
	e->remaining_ms = e->in_transition ? mesh_transition_ms(m->remaining) : 0;
}

/* The entry with the model status applied; returns the kinds it set. */
static uint32_t apply_model_status(struct gw_elem_state *e, const struct mesh_model_msg *m)
{
	switch (m->opcode) {
	case MESH_OP_GEN_ONOFF_STATUS:
		e->onoff = m->onoff;
		e->target_onoff = m->has_target ? m->target_onoff : m->onoff;
		note_transition(e, m);
		return GW_STATE_ONOFF;
	case MESH_OP_GEN_LEVEL_STATUS:
		e->level = m->level;
		e->target_level = m->has_target ? m->target_level : m->level;
		note_transition(e, m);
		return GW_STATE_LEVEL;
	case MESH_OP_GEN_DTT_STATUS:
		e->dtt = m->dtt;
		return GW_STATE_DTT;
	case MESH_OP_LIGHTNESS_STATUS:
		e->lightness = m->lightness;
		e->target_lightness = m->has_target ? m->target_lightness : m->lightness;
		note_transition(e, m);
		return GW_STATE_LIGHTNESS;
	case MESH_OP_LIGHTNESS_LINEAR_STATUS:
		e->lightness_linear = m->has_target ? m->target_lightness : m->lightness;
		return GW_STATE_LIGHTNESS_LINEAR;
	case MESH_OP_LIGHTNESS_LAST_STATUS:
		e->lightness_last = m->lightness;
		return GW_STATE_LIGHTNESS_LAST;
	case MESH_OP_LIGHTNESS_DEFAULT_STATUS:
		e->lightness_default = m->lightness;
		return GW_STATE_LIGHTNESS_DEFAULT;
	case MESH_OP_LIGHTNESS_RANGE_STATUS:
		e->lightness_min = m->range_min;
		e->lightness_max = m->range_max;
		return GW_STATE_LIGHTNESS_RANGE;
	case MESH_OP_CTL_STATUS:
		e->ctl_lightness = m->lightness;
		e->temperature = m->temperature;
		e->target_temperature = m->has_target ? m->target_temperature : m->temperature;
		note_transition(e, m);
		return GW_STATE_CTL;
	case MESH_OP_CTL_TEMP_STATUS:
		e->temperature = m->temperature;
		e->delta_uv = m->delta_uv;
		e->target_temperature = m->has_target ? m->target_temperature : m->temperature;
		note_transition(e, m);
		return GW_STATE_CTL;
	case MESH_OP_CTL_TEMP_RANGE_STATUS:
		e->temp_min = m->range_min;
		e->temp_max = m->range_max;
		return GW_STATE_CTL_TEMP_RANGE;
	case MESH_OP_HSL_STATUS:
		e->hsl_lightness = m->lightness;
		e->hue = m->hue;
		e->saturation = m->saturation;
		note_transition(e, m);
		return GW_STATE_HSL;
	case MESH_OP_HSL_HUE_STATUS:
		e->hue = m->hue;
		note_transition(e, m);
		return GW_STATE_HSL;
	case MESH_OP_HSL_SAT_STATUS:
		e->saturation = m->saturation;
		note_transition(e, m);
		return GW_STATE_HSL;
	case MESH_OP_HSL_RANGE_STATUS:
		e->hue_min = m->range_min;
		e->hue_max = m->range_max;
		e->sat_min = m->sat_range_min;
		e->sat_max = m->sat_range_max;
		return GW_STATE_HSL_RANGE;
	default:
		/* Target, Default and other statuses say what will be or would
		 * be, not what is. */
		return 0;
	}
}

/* ---- sensors and health ------------------------------------------------------ */

static struct gw_sensor_reading *sensor_slot(struct gw_elem_state *e, uint16_t prop)
{
	for (size_t i = 0; i < e->n_sensors; i++)
		if (e->sensors[i].prop == prop)
			return &e->sensors[i];
	if (e->n_sensors >= GW_STATE_SENSORS_MAX)
		return NULL;
	return &e->sensors[e->n_sensors++];
}

static int apply_sensor_status(struct gw_elem_state *e, const struct mesh_access_msg *msg,
			       uint64_t now_ms)
{
	struct mesh_sensor_data items[MESH_SENSOR_STATUS_MAX];
	size_t n = 0;
	int rc = mesh_sensor_status_decode(msg->params, msg->params_len, items,
					   MESH_SENSOR_STATUS_MAX, &n);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct gw_sensor_reading *r = sensor_slot(e, items[i].prop);

		if (!r)
			break;  /* more properties than we keep: the first ones win */
		memset(r, 0, sizeof(*r));
		r->prop = items[i].prop;
		r->len = items[i].len;
		memcpy(r->raw, items[i].raw ? items[i].raw : r->raw,
		       items[i].len < sizeof(r->raw) ? items[i].len : sizeof(r->raw));
		r->updated_ms = now_ms;
		/* An unknown property or a malformed value stays raw only. */
		if (mesh_sensor_value_decode(items[i].prop, items[i].raw, items[i].len, &r->value) < 0)
			r->value.known = false;
		r->value.prop = items[i].prop;
	}
	return GW_STATE_SENSOR;
}

static int apply_health_status(struct gw_elem_state *e, const struct mesh_access_msg *msg)
{
	struct mesh_health_fault_status st;
	int rc = mesh_health_fault_status_decode(msg->params, msg->params_len, &st);

	if (rc < 0)
		return rc;
	e->health_test_id = st.test_id;
	e->health_company = st.company;
	e->n_faults = st.n_faults < GW_STATE_FAULTS_MAX ? st.n_faults : GW_STATE_FAULTS_MAX;
	memcpy(e->faults, st.faults, e->n_faults);
	return GW_STATE_HEALTH;
}

/* ---- entry point ------------------------------------------------------------ */

static bool is_cached_status(uint32_t opcode)
{
	return mesh_model_is_status(opcode) || opcode == MESH_OP_SENSOR_STATUS ||
	       opcode == MESH_OP_HEALTH_CURRENT_STATUS || opcode == MESH_OP_HEALTH_FAULT_STATUS;
}

static int decode_model_status(const struct mesh_access_msg *msg, struct mesh_model_msg *m)
{
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	int len = mesh_access_compose(msg->opcode, msg->params, msg->params_len, payload,
				      sizeof(payload));

	if (len < 0)
		return len;
	return mesh_model_status_decode(payload, (size_t)len, m);
}

int gw_state_cache_update(struct gw_state_cache *c, const struct mesh_access_msg *msg,
			  uint64_t now_ms)
{
	struct gw_elem_state before, *e;
	struct mesh_model_msg m;
	bool fresh;
	int kinds;

	if (!is_cached_status(msg->opcode))
		return 0;
	if (mesh_model_is_status(msg->opcode)) {
		int rc = decode_model_status(msg, &m);

		if (rc < 0)
			return rc;
	}
	fresh = gw_state_cache_get(c, msg->src) == NULL;
	e = entry_for(c, msg->src);
	if (!e)
		return MESH_ERR_NOMEM;
	before = *e;
	if (msg->opcode == MESH_OP_SENSOR_STATUS)
		kinds = apply_sensor_status(e, msg, now_ms);
	else if (msg->opcode == MESH_OP_HEALTH_CURRENT_STATUS ||
		 msg->opcode == MESH_OP_HEALTH_FAULT_STATUS)
		kinds = apply_health_status(e, msg);
	else
		kinds = (int)apply_model_status(e, &m);
	if (kinds <= 0) {
		if (fresh)
			c->n--;  /* entry_for() appended it */
		else
			*e = before;
		return kinds;
	}
	e->known |= (uint32_t)kinds;
	before.updated_ms = e->updated_ms = now_ms;
	for (size_t i = 0; i < e->n_sensors; i++)
		before.sensors[i].updated_ms = e->sensors[i].updated_ms;
	if (c->changed && memcmp(&before, e, sizeof(before)) != 0)
		c->changed(c->ctx, e, (uint32_t)kinds);
	return kinds;
}
