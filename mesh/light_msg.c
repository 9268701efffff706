/* Lighting model messages, bound-state conversions, and the calls that
 * cover every generic and light message (see light_msg.h). */
#include "err.h"
#include "light_msg.h"
#include "util.h"

/* --- Conversions ---------------------------------------------------------- */

uint16_t mesh_lightness_actual_to_linear(uint16_t actual)
{
	uint32_t sq = (uint32_t)actual * actual;

	return (uint16_t)((sq + 65534u) / 65535u);
}

/* floor(sqrt(v)) for v < 2^32, by bisection on the root. */
static uint32_t isqrt32(uint32_t v)
{
	uint32_t lo = 0, hi = 65536;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if ((uint64_t)mid * mid <= v)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

uint16_t mesh_lightness_linear_to_actual(uint16_t linear)
{
	uint32_t r = isqrt32((uint32_t)linear * 65535u);

	return (uint16_t)(r > 65535 ? 65535 : r);
}

/* a * b / c rounded to the nearest, for non-negative operands. */
static uint32_t muldiv_round(uint32_t a, uint32_t b, uint32_t c)
{
	return (uint32_t)(((uint64_t)a * b + c / 2) / c);
}

int16_t mesh_ctl_temp_to_level(uint16_t temp, uint16_t tmin, uint16_t tmax)
{
	if (tmax <= tmin)
		return INT16_MIN;
	if (temp < tmin)
		temp = tmin;
	if (temp > tmax)
		temp = tmax;
	return (int16_t)((int32_t)muldiv_round(temp - tmin, 65535u, tmax - tmin) - 32768);
}

uint16_t mesh_ctl_level_to_temp(int16_t level, uint16_t tmin, uint16_t tmax)
{
	if (tmax <= tmin)
		return tmin;
	return (uint16_t)(tmin + muldiv_round((uint32_t)((int32_t)level + 32768), tmax - tmin,
					      65535u));
}

uint32_t mesh_kelvin_to_mired(uint32_t kelvin)
{
	return kelvin ? (1000000u + kelvin / 2) / kelvin : 0;
}

uint32_t mesh_mired_to_kelvin(uint32_t mired)
{
	return mesh_kelvin_to_mired(mired);   /* the same reciprocal */
}

/* --- Light layouts -------------------------------------------------------- */

#define TR_OPT { MESH_MF_TRANSITION, MESH_MF_DELAY }

/* Get, Set, Set Unacknowledged and Status of a state whose Set is
 * (value fields..., TID, [Transition Time, Delay]). */
#define GET(op, st) { op, MESH_MSG_GET, st, 0, 0, 0, { 0 }, { 0 } }
#define SET_TID(op, un, st, ...) \
	{ op, MESH_MSG_SET, st, un, MESH_OPT_TRANSITION, 0, { __VA_ARGS__, MESH_MF_TID }, TR_OPT }, \
	{ un, MESH_MSG_SET_UNACK, 0, op, MESH_OPT_TRANSITION, 0, \
	  { __VA_ARGS__, MESH_MF_TID }, TR_OPT }
/* Setup-server Sets: plain values, no TID, no transition. */
#define SET_PLAIN(op, un, st, check, ...) \
	{ op, MESH_MSG_SET, st, un, 0, check, { __VA_ARGS__ }, { 0 } }, \
	{ un, MESH_MSG_SET_UNACK, 0, op, 0, check, { __VA_ARGS__ }, { 0 } }
#define STATUS(op, opt, fixed, optional) { op, MESH_MSG_STATUS, 0, 0, opt, 0, fixed, optional }
#define F(...) { __VA_ARGS__ }

static const struct mesh_model_layout light_layouts[] = {
	/* Light Lightness (7.3.1.2) */
	GET(MESH_OP_LIGHTNESS_GET, MESH_OP_LIGHTNESS_STATUS),
	SET_TID(MESH_OP_LIGHTNESS_SET, MESH_OP_LIGHTNESS_SET_UNACK, MESH_OP_LIGHTNESS_STATUS,
		MESH_MF_LIGHTNESS),
	STATUS(MESH_OP_LIGHTNESS_STATUS, MESH_OPT_TARGET, F(MESH_MF_LIGHTNESS),
	       F(MESH_MF_TARGET_LIGHTNESS, MESH_MF_REMAINING)),
	GET(MESH_OP_LIGHTNESS_LINEAR_GET, MESH_OP_LIGHTNESS_LINEAR_STATUS),
	SET_TID(MESH_OP_LIGHTNESS_LINEAR_SET, MESH_OP_LIGHTNESS_LINEAR_SET_UNACK,
		MESH_OP_LIGHTNESS_LINEAR_STATUS, MESH_MF_LIGHTNESS),
	STATUS(MESH_OP_LIGHTNESS_LINEAR_STATUS, MESH_OPT_TARGET, F(MESH_MF_LIGHTNESS),
	       F(MESH_MF_TARGET_LIGHTNESS, MESH_MF_REMAINING)),
	GET(MESH_OP_LIGHTNESS_LAST_GET, MESH_OP_LIGHTNESS_LAST_STATUS),
	STATUS(MESH_OP_LIGHTNESS_LAST_STATUS, 0, F(MESH_MF_LIGHTNESS), F(0)),
	GET(MESH_OP_LIGHTNESS_DEFAULT_GET, MESH_OP_LIGHTNESS_DEFAULT_STATUS),
	SET_PLAIN(MESH_OP_LIGHTNESS_DEFAULT_SET, MESH_OP_LIGHTNESS_DEFAULT_SET_UNACK,
		  MESH_OP_LIGHTNESS_DEFAULT_STATUS, 0, MESH_MF_LIGHTNESS),
	STATUS(MESH_OP_LIGHTNESS_DEFAULT_STATUS, 0, F(MESH_MF_LIGHTNESS), F(0)),
	GET(MESH_OP_LIGHTNESS_RANGE_GET, MESH_OP_LIGHTNESS_RANGE_STATUS),
	SET_PLAIN(MESH_OP_LIGHTNESS_RANGE_SET, MESH_OP_LIGHTNESS_RANGE_SET_UNACK,
		  MESH_OP_LIGHTNESS_RANGE_STATUS, MESH_CHECK_RANGE_NONZERO,
		  MESH_MF_RANGE_MIN, MESH_MF_RANGE_MAX),
	STATUS(MESH_OP_LIGHTNESS_RANGE_STATUS, 0,
	       F(MESH_MF_STATUS_CODE, MESH_MF_RANGE_MIN, MESH_MF_RANGE_MAX), F(0)),

	/* Light CTL (7.3.2.2) */
	GET(MESH_OP_CTL_GET, MESH_OP_CTL_STATUS),
	SET_TID(MESH_OP_CTL_SET, MESH_OP_CTL_SET_UNACK, MESH_OP_CTL_STATUS,
		MESH_MF_LIGHTNESS, MESH_MF_TEMP, MESH_MF_DUV),
	STATUS(MESH_OP_CTL_STATUS, MESH_OPT_TARGET, F(MESH_MF_LIGHTNESS, MESH_MF_TEMP),
	       F(MESH_MF_TARGET_LIGHTNESS, MESH_MF_TARGET_TEMP, MESH_MF_REMAINING)),
	GET(MESH_OP_CTL_TEMP_GET, MESH_OP_CTL_TEMP_STATUS),
	SET_TID(MESH_OP_CTL_TEMP_SET, MESH_OP_CTL_TEMP_SET_UNACK, MESH_OP_CTL_TEMP_STATUS,
		MESH_MF_TEMP, MESH_MF_DUV),
	STATUS(MESH_OP_CTL_TEMP_STATUS, MESH_OPT_TARGET, F(MESH_MF_TEMP, MESH_MF_DUV),
	       F(MESH_MF_TARGET_TEMP, MESH_MF_TARGET_DUV, MESH_MF_REMAINING)),
	GET(MESH_OP_CTL_TEMP_RANGE_GET, MESH_OP_CTL_TEMP_RANGE_STATUS),
	/* Out-of-range bounds are answered with a Cannot Set status code, so
	 * the decoder only refuses min > max (which is ignored). */
	SET_PLAIN(MESH_OP_CTL_TEMP_RANGE_SET, MESH_OP_CTL_TEMP_RANGE_SET_UNACK,
		  MESH_OP_CTL_TEMP_RANGE_STATUS, MESH_CHECK_RANGE_ORDER,
		  MESH_MF_RANGE_MIN, MESH_MF_RANGE_MAX),
	STATUS(MESH_OP_CTL_TEMP_RANGE_STATUS, 0,
	       F(MESH_MF_STATUS_CODE, MESH_MF_RANGE_MIN, MESH_MF_RANGE_MAX), F(0)),
	GET(MESH_OP_CTL_DEFAULT_GET, MESH_OP_CTL_DEFAULT_STATUS),
	SET_PLAIN(MESH_OP_CTL_DEFAULT_SET, MESH_OP_CTL_DEFAULT_SET_UNACK,
		  MESH_OP_CTL_DEFAULT_STATUS, 0, MESH_MF_LIGHTNESS, MESH_MF_TEMP, MESH_MF_DUV),
	STATUS(MESH_OP_CTL_DEFAULT_STATUS, 0, F(MESH_MF_LIGHTNESS, MESH_MF_TEMP, MESH_MF_DUV),
	       F(0)),

	/* Light HSL (7.3.3.2) */
	GET(MESH_OP_HSL_GET, MESH_OP_HSL_STATUS),
	SET_TID(MESH_OP_HSL_SET, MESH_OP_HSL_SET_UNACK, MESH_OP_HSL_STATUS,
		MESH_MF_LIGHTNESS, MESH_MF_HUE, MESH_MF_SAT),
	STATUS(MESH_OP_HSL_STATUS, MESH_OPT_REMAINING,
	       F(MESH_MF_LIGHTNESS, MESH_MF_HUE, MESH_MF_SAT), F(MESH_MF_REMAINING)),
	GET(MESH_OP_HSL_TARGET_GET, MESH_OP_HSL_TARGET_STATUS),
	STATUS(MESH_OP_HSL_TARGET_STATUS, MESH_OPT_REMAINING,
	       F(MESH_MF_TARGET_LIGHTNESS, MESH_MF_TARGET_HUE, MESH_MF_TARGET_SAT),
	       F(MESH_MF_REMAINING)),
	GET(MESH_OP_HSL_HUE_GET, MESH_OP_HSL_HUE_STATUS),
	SET_TID(MESH_OP_HSL_HUE_SET, MESH_OP_HSL_HUE_SET_UNACK, MESH_OP_HSL_HUE_STATUS,
		MESH_MF_HUE),
	STATUS(MESH_OP_HSL_HUE_STATUS, MESH_OPT_TARGET, F(MESH_MF_HUE),
	       F(MESH_MF_TARGET_HUE, MESH_MF_REMAINING)),
	GET(MESH_OP_HSL_SAT_GET, MESH_OP_HSL_SAT_STATUS),
	SET_TID(MESH_OP_HSL_SAT_SET, MESH_OP_HSL_SAT_SET_UNACK, MESH_OP_HSL_SAT_STATUS,
		MESH_MF_SAT),
	STATUS(MESH_OP_HSL_SAT_STATUS, MESH_OPT_TARGET, F(MESH_MF_SAT),
	       F(MESH_MF_TARGET_SAT, MESH_MF_REMAINING)),
	GET(MESH_OP_HSL_DEFAULT_GET, MESH_OP_HSL_DEFAULT_STATUS),
	SET_PLAIN(MESH_OP_HSL_DEFAULT_SET, MESH_OP_HSL_DEFAULT_SET_UNACK,
		  MESH_OP_HSL_DEFAULT_STATUS, 0, MESH_MF_LIGHTNESS, MESH_MF_HUE, MESH_MF_SAT),
	STATUS(MESH_OP_HSL_DEFAULT_STATUS, 0, F(MESH_MF_LIGHTNESS, MESH_MF_HUE, MESH_MF_SAT),
	       F(0)),
	GET(MESH_OP_HSL_RANGE_GET, MESH_OP_HSL_RANGE_STATUS),
	SET_PLAIN(MESH_OP_HSL_RANGE_SET, MESH_OP_HSL_RANGE_SET_UNACK, MESH_OP_HSL_RANGE_STATUS,
		  MESH_CHECK_HSL_RANGE, MESH_MF_RANGE_MIN, MESH_MF_RANGE_MAX, MESH_MF_SAT_MIN,
		  MESH_MF_SAT_MAX),
	STATUS(MESH_OP_HSL_RANGE_STATUS, 0,
	       F(MESH_MF_STATUS_CODE, MESH_MF_RANGE_MIN, MESH_MF_RANGE_MAX, MESH_MF_SAT_MIN,
		 MESH_MF_SAT_MAX), F(0)),
};

const struct mesh_model_layout *mesh_light_layout(uint32_t opcode)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(light_layouts); i++)
		if (light_layouts[i].opcode == opcode)
			return &light_layouts[i];
	return NULL;
}

const struct mesh_model_layout *mesh_model_layout(uint32_t opcode)
{
	const struct mesh_model_layout *l = mesh_generic_layout(opcode);

	return l ? l : mesh_light_layout(opcode);
}

/* --- Any generic or light message ----------------------------------------- */

int mesh_model_msg_encode(const struct mesh_model_msg *m, uint8_t *out, size_t max)
{
	return mesh_model_layout_msg_encode(mesh_model_layout(m->opcode), m, out, max);
}

int mesh_model_msg_decode(const uint8_t *payload, size_t len, struct mesh_model_msg *m)
{
	return mesh_model_layout_msg_decode(mesh_model_layout, payload, len, m);
}

bool mesh_model_is_status(uint32_t opcode)
{
	const struct mesh_model_layout *l = mesh_model_layout(opcode);

	return l && l->kind == MESH_MSG_STATUS;
}

int mesh_model_status_decode(const uint8_t *payload, size_t len, struct mesh_model_msg *out)
{
	struct mesh_access_pdu pdu;
	int rc = mesh_access_parse(payload, len, &pdu);

	if (rc)
		return rc;
	if (!mesh_model_is_status(pdu.opcode))
		return MESH_ERR_UNKNOWN_OPCODE;
	return mesh_model_layout_decode(mesh_model_layout(pdu.opcode), pdu.params,
					pdu.params_len, out);
}

uint32_t mesh_model_status_opcode(uint32_t request)
{
	const struct mesh_model_layout *l = mesh_model_layout(request);

	return l && (l->kind == MESH_MSG_GET || l->kind == MESH_MSG_SET) ? l->status : 0;
}

uint32_t mesh_model_unack_opcode(uint32_t set)
{
	const struct mesh_model_layout *l = mesh_model_layout(set);

	if (!l)
		return 0;
	if (l->kind == MESH_MSG_SET)
		return l->pair;
	return l->kind == MESH_MSG_SET_UNACK ? l->opcode : 0;
}

uint32_t mesh_model_ack_opcode(uint32_t set)
{
	const struct mesh_model_layout *l = mesh_model_layout(set);

	if (!l)
		return 0;
	if (l->kind == MESH_MSG_SET_UNACK)
		return l->pair;
	return l->kind == MESH_MSG_SET ? l->opcode : 0;
}

bool mesh_model_has_tid(uint32_t opcode)
{
	const struct mesh_model_layout *l = mesh_model_layout(opcode);

	if (!l)
		return false;
	for (unsigned int i = 0; i < MESH_LAYOUT_FIELDS_MAX && l->fields[i]; i++)
		if (l->fields[i] == MESH_MF_TID)
			return true;
	return false;
}
