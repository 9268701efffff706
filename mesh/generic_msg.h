/*
 * Generic models' messages (Mesh Model 1.1, chapter 3 and 7.1): Generic
 * OnOff, Generic Level and Generic Default Transition Time, and the
 * Transition Time and Delay fields every state-changing message carries.
 *
 * Every generic and light message is described by a layout (its fields in
 * order, an optional trailing group and how it relates to other opcodes)
 * and decoded into one flat struct mesh_model_msg whose members are named
 * after the spec's fields. A table of layouts instead of one function per
 * message keeps ~70 opcodes to one decoder and one encoder, so a gateway
 * caching state, a client building Sets and a simulated server parsing
 * them all read the same octets the same way. light_msg.h adds the light
 * layouts and the calls that cover both families.
 *
 * Optional groups are all or nothing (3.3.2.2.3): a Set carries
 * Transition Time and Delay together or neither, a Status carries its
 * Target fields and Remaining Time together or neither.
 */
#ifndef MESH_GENERIC_MSG_H
#define MESH_GENERIC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"

/* --- Opcodes (7.1) ------------------------------------------------------ */

#define MESH_OP_GEN_ONOFF_GET          MESH_OP_2(0x82, 0x01)
#define MESH_OP_GEN_ONOFF_SET          MESH_OP_2(0x82, 0x02)
#define MESH_OP_GEN_ONOFF_SET_UNACK    MESH_OP_2(0x82, 0x03)
#define MESH_OP_GEN_ONOFF_STATUS       MESH_OP_2(0x82, 0x04)
#define MESH_OP_GEN_LEVEL_GET          MESH_OP_2(0x82, 0x05)
#define MESH_OP_GEN_LEVEL_SET          MESH_OP_2(0x82, 0x06)
#define MESH_OP_GEN_LEVEL_SET_UNACK    MESH_OP_2(0x82, 0x07)
#define MESH_OP_GEN_LEVEL_STATUS       MESH_OP_2(0x82, 0x08)
#define MESH_OP_GEN_DELTA_SET          MESH_OP_2(0x82, 0x09)
#define MESH_OP_GEN_DELTA_SET_UNACK    MESH_OP_2(0x82, 0x0a)
#define MESH_OP_GEN_MOVE_SET           MESH_OP_2(0x82, 0x0b)
#define MESH_OP_GEN_MOVE_SET_UNACK     MESH_OP_2(0x82, 0x0c)
#define MESH_OP_GEN_DTT_GET            MESH_OP_2(0x82, 0x0d)
#define MESH_OP_GEN_DTT_SET            MESH_OP_2(0x82, 0x0e)
#define MESH_OP_GEN_DTT_SET_UNACK      MESH_OP_2(0x82, 0x0f)
#define MESH_OP_GEN_DTT_STATUS         MESH_OP_2(0x82, 0x10)

/* SIG model IDs of the generic models. */
#define MESH_MODEL_GEN_ONOFF_SRV  0x1000
#define MESH_MODEL_GEN_ONOFF_CLI  0x1001
#define MESH_MODEL_GEN_LEVEL_SRV  0x1002
#define MESH_MODEL_GEN_LEVEL_CLI  0x1003
#define MESH_MODEL_GEN_DTT_SRV    0x1004
#define MESH_MODEL_GEN_DTT_CLI    0x1005

/* --- Transition Time and Delay (3.1.3, 3.2.1.4) -------------------------- */

/*
 * Transition Time field: bits 0-5 the number of steps (0x00-0x3e; 0x3f
 * "unknown"), bits 6-7 the step resolution 100 ms, 1 s, 10 s, 10 min.
 * 0x3f steps may appear in a Status (Remaining Time of a transition that
 * is unknown or longer than 62 x 10 min) but never in a Set.
 */
#define MESH_TRANSITION_STEPS_MASK 0x3f
#define MESH_TRANSITION_STEPS_MAX  0x3e
#define MESH_TRANSITION_UNKNOWN    0x3f    /* steps 0x3f, resolution 0 */
#define MESH_TRANSITION_MS_UNKNOWN UINT32_MAX
#define MESH_TRANSITION_MS_MAX     (62u * 600000u)

/*
 * Encode a duration. Picks the finest resolution in which the duration,
 * rounded to the nearest step, fits in 62 steps (so 6.2 s stays 62 x
 * 100 ms and 6.3 s becomes 6 x 1 s); a non-zero duration shorter than half
 * a step still gets one step, so a requested transition never becomes an
 * instant jump. Beyond MESH_TRANSITION_MS_MAX (plus half a step): 0x3f,
 * unknown, which a Status may carry and a Set may not.
 */
uint8_t mesh_transition_encode(uint32_t ms);

/* Milliseconds of a Transition Time field, MESH_TRANSITION_MS_UNKNOWN for
 * 0x3f steps (any resolution). */
uint32_t mesh_transition_ms(uint8_t tt);

static inline bool mesh_transition_known(uint8_t tt)
{
	return (tt & MESH_TRANSITION_STEPS_MASK) != MESH_TRANSITION_UNKNOWN;
}

/* Delay field: 5 ms steps, so 0..1275 ms. */
#define MESH_DELAY_STEP_MS 5u
#define MESH_DELAY_MS_MAX  (255u * MESH_DELAY_STEP_MS)

/* Nearest 5 ms step; longer delays are clamped to 1275 ms. */
uint8_t mesh_delay_encode(uint32_t ms);

static inline uint32_t mesh_delay_ms(uint8_t delay)
{
	return delay * MESH_DELAY_STEP_MS;
}

/* --- One struct for every generic and light message --------------------- */

/* Light CTL Temperature limits (6.1.3.1). */
#define MESH_LIGHT_TEMP_MIN 0x0320u   /* 800 K */
#define MESH_LIGHT_TEMP_MAX 0x4e20u   /* 20000 K */

/*
 * A decoded message. Only the members the opcode's message has are
 * meaningful (see the layout tables in generic_msg.c and light_msg.c);
 * the decoder zeroes the rest. Members are named after the spec's fields:
 *
 *   onoff, target_onoff        Generic OnOff (Present / Target)
 *   level, target_level        Generic Level; also Move Set's Delta Level
 *                              is move_delta
 *   delta                      Delta Set's 32-bit Delta Level
 *   dtt                        Default Transition Time (a Transition Time)
 *   lightness, target_...      Light Lightness (Actual, Linear, Last,
 *                              Default), CTL and HSL Lightness
 *   temperature, delta_uv      Light CTL Temperature, Delta UV
 *   hue, saturation            Light HSL
 *   status_code                Range Status codes (MESH_RANGE_STATUS_*)
 *   range_min, range_max       Lightness, CTL Temperature or HSL Hue range
 *   sat_range_min, _max        HSL Saturation range
 *   tid                        Sets: the Transaction Identifier
 *   has_transition             Sets: transition and delay present
 *   has_target                 Statuses: Target fields + Remaining Time
 *   has_remaining              Statuses: Remaining Time present (also
 *                              for HSL (Target) Status, which has no
 *                              Target fields but may have Remaining Time)
 *
 * HSL Target Status reports its values in target_lightness, target_hue
 * and target_saturation.
 */
struct mesh_model_msg {
	uint32_t opcode;

	uint8_t onoff;
	uint8_t target_onoff;
	int16_t level;
	int16_t target_level;
	int16_t move_delta;
	int32_t delta;
	uint8_t dtt;

	uint16_t lightness;
	uint16_t target_lightness;
	uint16_t temperature;
	uint16_t target_temperature;
	int16_t delta_uv;
	int16_t target_delta_uv;
	uint16_t hue;
	uint16_t target_hue;
	uint16_t saturation;
	uint16_t target_saturation;
	uint8_t status_code;
	uint16_t range_min;
	uint16_t range_max;
	uint16_t sat_range_min;
	uint16_t sat_range_max;

	uint8_t tid;
	bool has_transition;
	uint8_t transition;       /* Transition Time field */
	uint8_t delay;            /* Delay field (5 ms steps) */

	bool has_target;
	bool has_remaining;
	uint8_t remaining;        /* Remaining Time (a Transition Time) */
};

/* Status Code of Range Status messages (7.2). */
#define MESH_RANGE_STATUS_SUCCESS       0x00
#define MESH_RANGE_STATUS_CANNOT_SET_MIN 0x01
#define MESH_RANGE_STATUS_CANNOT_SET_MAX 0x02

/* --- Layouts (shared with light_msg.c) ----------------------------------- */

enum mesh_model_msg_kind {
	MESH_MSG_GET,
	MESH_MSG_SET,          /* acknowledged: answered with .status */
	MESH_MSG_SET_UNACK,
	MESH_MSG_STATUS,
};

/* The field identifiers a layout lists (the members above). */
enum mesh_model_field {
	MESH_MF_END = 0,
	MESH_MF_ONOFF, MESH_MF_TARGET_ONOFF,
	MESH_MF_LEVEL, MESH_MF_TARGET_LEVEL, MESH_MF_MOVE_DELTA, MESH_MF_DELTA,
	MESH_MF_DTT,
	MESH_MF_LIGHTNESS, MESH_MF_TARGET_LIGHTNESS,
	MESH_MF_TEMP, MESH_MF_TARGET_TEMP, MESH_MF_DUV, MESH_MF_TARGET_DUV,
	MESH_MF_HUE, MESH_MF_TARGET_HUE, MESH_MF_SAT, MESH_MF_TARGET_SAT,
	MESH_MF_STATUS_CODE, MESH_MF_RANGE_MIN, MESH_MF_RANGE_MAX,
	MESH_MF_SAT_MIN, MESH_MF_SAT_MAX,
	MESH_MF_TID, MESH_MF_TRANSITION, MESH_MF_DELAY, MESH_MF_REMAINING,
	MESH_MF_COUNT_,
};

/* Which flag of struct mesh_model_msg says the optional group is there. */
enum mesh_model_opt {
	MESH_OPT_NONE,
	MESH_OPT_TRANSITION,   /* has_transition */
	MESH_OPT_TARGET,       /* has_target (and has_remaining) */
	MESH_OPT_REMAINING,    /* has_remaining */
};

/* Per-message checks beyond single field values. */
enum mesh_model_check {
	MESH_CHECK_NONE,
	MESH_CHECK_RANGE_NONZERO,  /* Lightness Range: min, max != 0, min <= max */
	MESH_CHECK_RANGE_ORDER,    /* min <= max (CTL Temperature Range) */
	MESH_CHECK_HSL_RANGE,      /* hue and saturation min <= max */
};

#define MESH_LAYOUT_FIELDS_MAX 7

struct mesh_model_layout {
	uint32_t opcode;
	uint8_t kind;          /* enum mesh_model_msg_kind */
	uint32_t status;       /* GET/SET: the status answering it */
	uint32_t pair;         /* SET: its unacknowledged form; SET_UNACK: the
				* acknowledged one; else 0 */
	uint8_t opt;           /* enum mesh_model_opt */
	uint8_t check;         /* enum mesh_model_check */
	uint8_t fields[MESH_LAYOUT_FIELDS_MAX];   /* MESH_MF_END-terminated */
	uint8_t optional[MESH_LAYOUT_FIELDS_MAX]; /* the optional group */
};

/* The layout of a generic opcode, NULL for any other. */
const struct mesh_model_layout *mesh_generic_layout(uint32_t opcode);

/*
 * Parameters (without the opcode) of a message with layout l. Returns the
 * length or MESH_ERR_OVERSIZED (max too small), MESH_ERR_RESERVED for a
 * prohibited value (OnOff > 1, a Set's 0x3f transition steps, a
 * temperature outside 0x0320..0x4e20, a range the message forbids).
 */
int mesh_model_layout_encode(const struct mesh_model_layout *l,
			     const struct mesh_model_msg *m, uint8_t *out, size_t max);
/*
 * The reverse, into *m (zeroed first; m->opcode = l->opcode).
 * MESH_ERR_TRUNCATED / MESH_ERR_OVERSIZED / MESH_ERR_MALFORMED for a
 * length that is neither without nor with the optional group (malformed:
 * between the two), MESH_ERR_RESERVED as above.
 */
int mesh_model_layout_decode(const struct mesh_model_layout *l, const uint8_t *params,
			     size_t len, struct mesh_model_msg *m);

/* opcode || parameters of m laid out by l into out (l NULL:
 * MESH_ERR_UNKNOWN_OPCODE), and back: the payload split, its layout found
 * with find, decoded. What the per-family calls below share. */
int mesh_model_layout_msg_encode(const struct mesh_model_layout *l,
				 const struct mesh_model_msg *m, uint8_t *out, size_t max);
int mesh_model_layout_msg_decode(const struct mesh_model_layout *(*find)(uint32_t opcode),
				 const uint8_t *payload, size_t len, struct mesh_model_msg *m);

/* Generic messages only: opcode || parameters into out, and back.
 * MESH_ERR_UNKNOWN_OPCODE for an opcode of another family. */
int mesh_generic_msg_encode(const struct mesh_model_msg *m, uint8_t *out, size_t max);
int mesh_generic_msg_decode(const uint8_t *payload, size_t len, struct mesh_model_msg *m);

#endif
