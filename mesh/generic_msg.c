/* Generic model messages and the layout-driven codec (see generic_msg.h). */
#include <stddef.h>
#include <string.h>

#include "bytes.h"
#include "err.h"
#include "generic_msg.h"
#include "util.h"

/* --- Transition Time and Delay ------------------------------------------ */

static const uint32_t step_ms[4] = { 100u, 1000u, 10000u, 600000u };

uint8_t mesh_transition_encode(uint32_t ms)
{
	if (ms == 0)
		return 0;
	for (unsigned int res = 0; res < MESH_ARRAY_SIZE(step_ms); res++) {
		uint64_t steps = ((uint64_t)ms + step_ms[res] / 2) / step_ms[res];

		if (steps > MESH_TRANSITION_STEPS_MAX)
			continue;
		if (steps == 0)
			steps = 1;
		return (uint8_t)(res << 6 | steps);
	}
	return MESH_TRANSITION_UNKNOWN;
}

uint32_t mesh_transition_ms(uint8_t tt)
{
	uint8_t steps = tt & MESH_TRANSITION_STEPS_MASK;

	if (steps == MESH_TRANSITION_UNKNOWN)
		return MESH_TRANSITION_MS_UNKNOWN;
	return steps * step_ms[tt >> 6];
}

uint8_t mesh_delay_encode(uint32_t ms)
{
	if (ms >= MESH_DELAY_MS_MAX)
		return 255;
	return (uint8_t)((ms + MESH_DELAY_STEP_MS / 2) / MESH_DELAY_STEP_MS);
}

/* --- Fields --------------------------------------------------------------- */

enum field_type { FT_U8, FT_U16, FT_S16, FT_S32 };

struct field_desc {
	uint8_t type;
	uint16_t offset;
};

#define FIELD(id, t, member) [id] = { t, offsetof(struct mesh_model_msg, member) }

static const struct field_desc fields[MESH_MF_COUNT_] = {
	FIELD(MESH_MF_ONOFF, FT_U8, onoff),
	FIELD(MESH_MF_TARGET_ONOFF, FT_U8, target_onoff),
	FIELD(MESH_MF_LEVEL, FT_S16, level),
	FIELD(MESH_MF_TARGET_LEVEL, FT_S16, target_level),
	FIELD(MESH_MF_MOVE_DELTA, FT_S16, move_delta),
	FIELD(MESH_MF_DELTA, FT_S32, delta),
	FIELD(MESH_MF_DTT, FT_U8, dtt),
	FIELD(MESH_MF_LIGHTNESS, FT_U16, lightness),
	FIELD(MESH_MF_TARGET_LIGHTNESS, FT_U16, target_lightness),
	FIELD(MESH_MF_TEMP, FT_U16, temperature),
	FIELD(MESH_MF_TARGET_TEMP, FT_U16, target_temperature),
	FIELD(MESH_MF_DUV, FT_S16, delta_uv),
	FIELD(MESH_MF_TARGET_DUV, FT_S16, target_delta_uv),
	FIELD(MESH_MF_HUE, FT_U16, hue),
	FIELD(MESH_MF_TARGET_HUE, FT_U16, target_hue),
	FIELD(MESH_MF_SAT, FT_U16, saturation),
	FIELD(MESH_MF_TARGET_SAT, FT_U16, target_saturation),
	FIELD(MESH_MF_STATUS_CODE, FT_U8, status_code),
	FIELD(MESH_MF_RANGE_MIN, FT_U16, range_min),
	FIELD(MESH_MF_RANGE_MAX, FT_U16, range_max),
	FIELD(MESH_MF_SAT_MIN, FT_U16, sat_range_min),
	FIELD(MESH_MF_SAT_MAX, FT_U16, sat_range_max),
	FIELD(MESH_MF_TID, FT_U8, tid),
	FIELD(MESH_MF_TRANSITION, FT_U8, transition),
	FIELD(MESH_MF_DELAY, FT_U8, delay),
	FIELD(MESH_MF_REMAINING, FT_U8, remaining),
};

static size_t field_size(uint8_t id)
{
	switch (fields[id].type) {
	case FT_U8:
		return 1;
	case FT_U16:
	case FT_S16:
		return 2;
	default:
		return 4;
	}
}

static size_t fields_size(const uint8_t *list)
{
	size_t n = 0;

	for (unsigned int i = 0; i < MESH_LAYOUT_FIELDS_MAX && list[i] != MESH_MF_END; i++)
		n += field_size(list[i]);
	return n;
}

/* The member as an unsigned 32-bit pattern (sign bits included). */
static uint32_t field_get(const struct mesh_model_msg *m, uint8_t id)
{
	const char *p = (const char *)m + fields[id].offset;
	uint16_t u16;
	int16_t s16;
	int32_t s32;

	switch (fields[id].type) {
	case FT_U8:
		return *(const uint8_t *)p;
	case FT_U16:
		memcpy(&u16, p, sizeof(u16));
		return u16;
	case FT_S16:
		memcpy(&s16, p, sizeof(s16));
		return (uint16_t)s16;
	default:
		memcpy(&s32, p, sizeof(s32));
		return (uint32_t)s32;
	}
}

static void field_set(struct mesh_model_msg *m, uint8_t id, uint32_t v)
{
	char *p = (char *)m + fields[id].offset;
	uint16_t u16 = (uint16_t)v;
	int16_t s16 = (int16_t)(uint16_t)v;
	int32_t s32 = (int32_t)v;

	switch (fields[id].type) {
	case FT_U8:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case FT_U16:
		memcpy(p, &u16, sizeof(u16));
		break;
	case FT_S16:
		memcpy(p, &s16, sizeof(s16));
		break;
	default:
		memcpy(p, &s32, sizeof(s32));
		break;
	}
}

/* Values the spec prohibits in a field (7.2 and the state definitions). */
static bool field_prohibited(uint8_t id, uint32_t v)
{
	switch (id) {
	case MESH_MF_ONOFF:
	case MESH_MF_TARGET_ONOFF:
		return v > 1;
	case MESH_MF_TRANSITION:   /* only Sets carry this field */
	case MESH_MF_DTT:          /* the DTT state never takes 0x3f steps */
		return !mesh_transition_known((uint8_t)v);
	case MESH_MF_TEMP:
	case MESH_MF_TARGET_TEMP:
		return v < MESH_LIGHT_TEMP_MIN || v > MESH_LIGHT_TEMP_MAX;
	default:
		return false;
	}
}

static bool message_prohibited(const struct mesh_model_layout *l, const struct mesh_model_msg *m)
{
	switch (l->check) {
	case MESH_CHECK_RANGE_NONZERO:
		return m->range_min == 0 || m->range_max == 0 || m->range_min > m->range_max;
	case MESH_CHECK_RANGE_ORDER:
		return m->range_min > m->range_max;
	case MESH_CHECK_HSL_RANGE:
		return m->range_min > m->range_max || m->sat_range_min > m->sat_range_max;
	default:
		return false;
	}
}

static bool opt_present(const struct mesh_model_layout *l, const struct mesh_model_msg *m)
{
	switch (l->opt) {
	case MESH_OPT_TRANSITION:
		return m->has_transition;
	case MESH_OPT_TARGET:
		return m->has_target;
	case MESH_OPT_REMAINING:
		return m->has_remaining;
	default:
		return false;
	}
}

static void opt_mark(const struct mesh_model_layout *l, struct mesh_model_msg *m)
{
	switch (l->opt) {
	case MESH_OPT_TRANSITION:
		m->has_transition = true;
		break;
	case MESH_OPT_TARGET:
		m->has_target = true;
		m->has_remaining = true;
		break;
	case MESH_OPT_REMAINING:
		m->has_remaining = true;
		break;
	default:
		break;
	}
}

static int put_fields(const uint8_t *list, const struct mesh_model_msg *m, uint8_t *out)
{
	size_t pos = 0;

	for (unsigned int i = 0; i < MESH_LAYOUT_FIELDS_MAX && list[i] != MESH_MF_END; i++) {
		uint32_t v = field_get(m, list[i]);
		size_t n = field_size(list[i]);

		if (field_prohibited(list[i], v))
			return MESH_ERR_RESERVED;
		for (size_t k = 0; k < n; k++)
			out[pos + k] = (uint8_t)(v >> (8 * k));   /* little-endian */
		pos += n;
	}
	return (int)pos;
}

static int get_fields(const uint8_t *list, const uint8_t *in, struct mesh_model_msg *m)
{
	size_t pos = 0;

	for (unsigned int i = 0; i < MESH_LAYOUT_FIELDS_MAX && list[i] != MESH_MF_END; i++) {
		size_t n = field_size(list[i]);
		uint32_t v = 0;

		for (size_t k = 0; k < n; k++)
			v |= (uint32_t)in[pos + k] << (8 * k);
		if (field_prohibited(list[i], v))
			return MESH_ERR_RESERVED;
		field_set(m, list[i], v);
		pos += n;
	}
	return 0;
}

int mesh_model_layout_encode(const struct mesh_model_layout *l,
			     const struct mesh_model_msg *m, uint8_t *out, size_t max)
{
	size_t fixed = fields_size(l->fields);
	bool opt = opt_present(l, m);
	size_t len = fixed + (opt ? fields_size(l->optional) : 0);
	int rc;

	if (len > max)
		return MESH_ERR_OVERSIZED;
	if (message_prohibited(l, m))
		return MESH_ERR_RESERVED;
	rc = put_fields(l->fields, m, out);
	if (rc >= 0 && opt)
		rc = put_fields(l->optional, m, out + fixed);
	return rc < 0 ? rc : (int)len;
}

int mesh_model_layout_decode(const struct mesh_model_layout *l, const uint8_t *params,
			     size_t len, struct mesh_model_msg *m)
{
	size_t fixed = fields_size(l->fields);
	size_t extra = fields_size(l->optional);
	int rc;

	memset(m, 0, sizeof(*m));
	m->opcode = l->opcode;
	if (len < fixed)
		return MESH_ERR_TRUNCATED;
	if (len > fixed + extra)
		return MESH_ERR_OVERSIZED;
	if (len != fixed && len != fixed + extra)
		return MESH_ERR_MALFORMED;
	rc = get_fields(l->fields, params, m);
	if (rc == 0 && len > fixed) {
		rc = get_fields(l->optional, params + fixed, m);
		opt_mark(l, m);
	}
	if (rc == 0 && message_prohibited(l, m))
		rc = MESH_ERR_RESERVED;
	return rc;
}

/* --- Generic layouts ------------------------------------------------------ */

#define TR_OPT { MESH_MF_TRANSITION, MESH_MF_DELAY }

static const struct mesh_model_layout generic_layouts[] = {
	{ MESH_OP_GEN_ONOFF_GET, MESH_MSG_GET, MESH_OP_GEN_ONOFF_STATUS, 0, 0, 0, { 0 }, { 0 } },
	{ MESH_OP_GEN_ONOFF_SET, MESH_MSG_SET, MESH_OP_GEN_ONOFF_STATUS,
	  MESH_OP_GEN_ONOFF_SET_UNACK, MESH_OPT_TRANSITION, 0,
	  { MESH_MF_ONOFF, MESH_MF_TID }, TR_OPT },
	{ MESH_OP_GEN_ONOFF_SET_UNACK, MESH_MSG_SET_UNACK, 0, MESH_OP_GEN_ONOFF_SET,
	  MESH_OPT_TRANSITION, 0, { MESH_MF_ONOFF, MESH_MF_TID }, TR_OPT },
	{ MESH_OP_GEN_ONOFF_STATUS, MESH_MSG_STATUS, 0, 0, MESH_OPT_TARGET, 0,
	  { MESH_MF_ONOFF }, { MESH_MF_TARGET_ONOFF, MESH_MF_REMAINING } },

	{ MESH_OP_GEN_LEVEL_GET, MESH_MSG_GET, MESH_OP_GEN_LEVEL_STATUS, 0, 0, 0, { 0 }, { 0 } },
	{ MESH_OP_GEN_LEVEL_SET, MESH_MSG_SET, MESH_OP_GEN_LEVEL_STATUS,
	  MESH_OP_GEN_LEVEL_SET_UNACK, MESH_OPT_TRANSITION, 0,
	  { MESH_MF_LEVEL, MESH_MF_TID }, TR_OPT },
	{ MESH_OP_GEN_LEVEL_SET_UNACK, MESH_MSG_SET_UNACK, 0, MESH_OP_GEN_LEVEL_SET,
	  MESH_OPT_TRANSITION, 0, { MESH_MF_LEVEL, MESH_MF_TID }, TR_OPT },
	{ MESH_OP_GEN_DELTA_SET, MESH_MSG_SET, MESH_OP_GEN_LEVEL_STATUS,
	  MESH_OP_GEN_DELTA_SET_UNACK, MESH_OPT_TRANSITION, 0,
	  { MESH_MF_DELTA, MESH_MF_TID }, TR_OPT },
	{ MESH_OP_GEN_DELTA_SET_UNACK, MESH_MSG_SET_UNACK, 0, MESH_OP_GEN_DELTA_SET,
	  MESH_OPT_TRANSITION, 0, { MESH_MF_DELTA, MESH_MF_TID }, TR_OPT },
	{ MESH_OP_GEN_MOVE_SET, MESH_MSG_SET, MESH_OP_GEN_LEVEL_STATUS,
	  MESH_OP_GEN_MOVE_SET_UNACK, MESH_OPT_TRANSITION, 0,
	  { MESH_MF_MOVE_DELTA, MESH_MF_TID }, TR_OPT },
	{ MESH_OP_GEN_MOVE_SET_UNACK, MESH_MSG_SET_UNACK, 0, MESH_OP_GEN_MOVE_SET,
	  MESH_OPT_TRANSITION, 0, { MESH_MF_MOVE_DELTA, MESH_MF_TID }, TR_OPT },
	{ MESH_OP_GEN_LEVEL_STATUS, MESH_MSG_STATUS, 0, 0, MESH_OPT_TARGET, 0,
	  { MESH_MF_LEVEL }, { MESH_MF_TARGET_LEVEL, MESH_MF_REMAINING } },

	{ MESH_OP_GEN_DTT_GET, MESH_MSG_GET, MESH_OP_GEN_DTT_STATUS, 0, 0, 0, { 0 }, { 0 } },
	{ MESH_OP_GEN_DTT_SET, MESH_MSG_SET, MESH_OP_GEN_DTT_STATUS, MESH_OP_GEN_DTT_SET_UNACK,
	  0, 0, { MESH_MF_DTT }, { 0 } },
	{ MESH_OP_GEN_DTT_SET_UNACK, MESH_MSG_SET_UNACK, 0, MESH_OP_GEN_DTT_SET, 0, 0,
	  { MESH_MF_DTT }, { 0 } },
	{ MESH_OP_GEN_DTT_STATUS, MESH_MSG_STATUS, 0, 0, 0, 0, { MESH_MF_DTT }, { 0 } },
};

const struct mesh_model_layout *mesh_generic_layout(uint32_t opcode)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(generic_layouts); i++)
		if (generic_layouts[i].opcode == opcode)
			return &generic_layouts[i];
	return NULL;
}

int mesh_model_layout_msg_encode(const struct mesh_model_layout *l,
				 const struct mesh_model_msg *m, uint8_t *out, size_t max)
{
	int olen, plen;

	if (!l)
		return MESH_ERR_UNKNOWN_OPCODE;
	olen = mesh_access_opcode_encode(m->opcode, out, max);
	if (olen < 0)
		return olen;
	plen = mesh_model_layout_encode(l, m, out + olen, max - (size_t)olen);
	return plen < 0 ? plen : olen + plen;
}

int mesh_model_layout_msg_decode(const struct mesh_model_layout *(*find)(uint32_t opcode),
				 const uint8_t *payload, size_t len, struct mesh_model_msg *m)
{
	struct mesh_access_pdu pdu;
	const struct mesh_model_layout *l;
	int rc = mesh_access_parse(payload, len, &pdu);

	if (rc)
		return rc;
	l = find(pdu.opcode);
	if (!l)
		return MESH_ERR_UNKNOWN_OPCODE;
	return mesh_model_layout_decode(l, pdu.params, pdu.params_len, m);
}

int mesh_generic_msg_encode(const struct mesh_model_msg *m, uint8_t *out, size_t max)
{
	return mesh_model_layout_msg_encode(mesh_generic_layout(m->opcode), m, out, max);
}

int mesh_generic_msg_decode(const uint8_t *payload, size_t len, struct mesh_model_msg *m)
{
	return mesh_model_layout_msg_decode(mesh_generic_layout, payload, len, m);
}
