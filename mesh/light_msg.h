/*
 * Lighting models' messages (Mesh Model 1.1, chapter 6 and 7.1): Light
 * Lightness, Light CTL and Light HSL, the conversions between their
 * states and the bound generic states, and the calls that decode or
 * encode any generic or light message (generic_msg.h holds the struct and
 * the codec they share).
 *
 * A gateway hears statuses of every kind from many nodes; it hands each
 * access payload to mesh_model_status_decode() and gets one struct with
 * the opcode and the present/target/remaining values, whatever the model.
 */
#ifndef MESH_LIGHT_MSG_H
#define MESH_LIGHT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "generic_msg.h"

/* --- Opcodes (7.1) ------------------------------------------------------ */

#define MESH_OP_LIGHTNESS_GET              MESH_OP_2(0x82, 0x4b)
#define MESH_OP_LIGHTNESS_SET              MESH_OP_2(0x82, 0x4c)
#define MESH_OP_LIGHTNESS_SET_UNACK        MESH_OP_2(0x82, 0x4d)
#define MESH_OP_LIGHTNESS_STATUS           MESH_OP_2(0x82, 0x4e)
#define MESH_OP_LIGHTNESS_LINEAR_GET       MESH_OP_2(0x82, 0x4f)
#define MESH_OP_LIGHTNESS_LINEAR_SET       MESH_OP_2(0x82, 0x50)
#define MESH_OP_LIGHTNESS_LINEAR_SET_UNACK MESH_OP_2(0x82, 0x51)
#define MESH_OP_LIGHTNESS_LINEAR_STATUS    MESH_OP_2(0x82, 0x52)
#define MESH_OP_LIGHTNESS_LAST_GET         MESH_OP_2(0x82, 0x53)
#define MESH_OP_LIGHTNESS_LAST_STATUS      MESH_OP_2(0x82, 0x54)
#define MESH_OP_LIGHTNESS_DEFAULT_GET      MESH_OP_2(0x82, 0x55)
#define MESH_OP_LIGHTNESS_DEFAULT_STATUS   MESH_OP_2(0x82, 0x56)
#define MESH_OP_LIGHTNESS_RANGE_GET        MESH_OP_2(0x82, 0x57)
#define MESH_OP_LIGHTNESS_RANGE_STATUS     MESH_OP_2(0x82, 0x58)
#define MESH_OP_LIGHTNESS_DEFAULT_SET      MESH_OP_2(0x82, 0x59)
#define MESH_OP_LIGHTNESS_DEFAULT_SET_UNACK MESH_OP_2(0x82, 0x5a)
#define MESH_OP_LIGHTNESS_RANGE_SET        MESH_OP_2(0x82, 0x5b)
#define MESH_OP_LIGHTNESS_RANGE_SET_UNACK  MESH_OP_2(0x82, 0x5c)

#define MESH_OP_CTL_GET                    MESH_OP_2(0x82, 0x5d)
#define MESH_OP_CTL_SET                    MESH_OP_2(0x82, 0x5e)
#define MESH_OP_CTL_SET_UNACK              MESH_OP_2(0x82, 0x5f)
#define MESH_OP_CTL_STATUS                 MESH_OP_2(0x82, 0x60)
#define MESH_OP_CTL_TEMP_GET               MESH_OP_2(0x82, 0x61)
#define MESH_OP_CTL_TEMP_RANGE_GET         MESH_OP_2(0x82, 0x62)
#define MESH_OP_CTL_TEMP_RANGE_STATUS      MESH_OP_2(0x82, 0x63)
#define MESH_OP_CTL_TEMP_SET               MESH_OP_2(0x82, 0x64)
#define MESH_OP_CTL_TEMP_SET_UNACK         MESH_OP_2(0x82, 0x65)
#define MESH_OP_CTL_TEMP_STATUS            MESH_OP_2(0x82, 0x66)
#define MESH_OP_CTL_DEFAULT_GET            MESH_OP_2(0x82, 0x67)
#define MESH_OP_CTL_DEFAULT_STATUS         MESH_OP_2(0x82, 0x68)
#define MESH_OP_CTL_DEFAULT_SET            MESH_OP_2(0x82, 0x69)
#define MESH_OP_CTL_DEFAULT_SET_UNACK      MESH_OP_2(0x82, 0x6a)
#define MESH_OP_CTL_TEMP_RANGE_SET         MESH_OP_2(0x82, 0x6b)
#define MESH_OP_CTL_TEMP_RANGE_SET_UNACK   MESH_OP_2(0x82, 0x6c)

#define MESH_OP_HSL_GET                    MESH_OP_2(0x82, 0x6d)
#define MESH_OP_HSL_HUE_GET                MESH_OP_2(0x82, 0x6e)
#define MESH_OP_HSL_HUE_SET                MESH_OP_2(0x82, 0x6f)
#define MESH_OP_HSL_HUE_SET_UNACK          MESH_OP_2(0x82, 0x70)
#define MESH_OP_HSL_HUE_STATUS             MESH_OP_2(0x82, 0x71)
#define MESH_OP_HSL_SAT_GET                MESH_OP_2(0x82, 0x72)
#define MESH_OP_HSL_SAT_SET                MESH_OP_2(0x82, 0x73)
#define MESH_OP_HSL_SAT_SET_UNACK          MESH_OP_2(0x82, 0x74)
#define MESH_OP_HSL_SAT_STATUS             MESH_OP_2(0x82, 0x75)
#define MESH_OP_HSL_SET                    MESH_OP_2(0x82, 0x76)
#define MESH_OP_HSL_SET_UNACK              MESH_OP_2(0x82, 0x77)
#define MESH_OP_HSL_STATUS                 MESH_OP_2(0x82, 0x78)
#define MESH_OP_HSL_TARGET_GET             MESH_OP_2(0x82, 0x79)
#define MESH_OP_HSL_TARGET_STATUS          MESH_OP_2(0x82, 0x7a)
#define MESH_OP_HSL_DEFAULT_GET            MESH_OP_2(0x82, 0x7b)
#define MESH_OP_HSL_DEFAULT_STATUS         MESH_OP_2(0x82, 0x7c)
#define MESH_OP_HSL_RANGE_GET              MESH_OP_2(0x82, 0x7d)
#define MESH_OP_HSL_RANGE_STATUS           MESH_OP_2(0x82, 0x7e)
#define MESH_OP_HSL_DEFAULT_SET            MESH_OP_2(0x82, 0x7f)
#define MESH_OP_HSL_DEFAULT_SET_UNACK      MESH_OP_2(0x82, 0x80)
#define MESH_OP_HSL_RANGE_SET              MESH_OP_2(0x82, 0x81)
#define MESH_OP_HSL_RANGE_SET_UNACK        MESH_OP_2(0x82, 0x82)

/* SIG model IDs. */
#define MESH_MODEL_LIGHTNESS_SRV       0x1300
#define MESH_MODEL_LIGHTNESS_SETUP_SRV 0x1301
#define MESH_MODEL_LIGHTNESS_CLI       0x1302
#define MESH_MODEL_CTL_SRV             0x1303
#define MESH_MODEL_CTL_SETUP_SRV       0x1304
#define MESH_MODEL_CTL_CLI             0x1305
#define MESH_MODEL_CTL_TEMP_SRV        0x1306
#define MESH_MODEL_HSL_SRV             0x1307
#define MESH_MODEL_HSL_SETUP_SRV       0x1308
#define MESH_MODEL_HSL_CLI             0x1309
#define MESH_MODEL_HSL_HUE_SRV         0x130a
#define MESH_MODEL_HSL_SAT_SRV         0x130b

/* CTL Temperature Range Status: a bound nobody knows. */
#define MESH_LIGHT_TEMP_UNKNOWN 0xffffu

/* --- Conversions between bound states (6.1.2, 6.1.3, 6.1.4) ------------- */

/* Light Lightness Linear = ceil(Actual^2 / 65535) (6.1.2.1.1). */
uint16_t mesh_lightness_actual_to_linear(uint16_t actual);
/* Actual = floor(sqrt(65535 x Linear)) (6.1.2.1.1): the inverse of the
 * above from Actual 32768 up, where one Linear step is finer than one
 * Actual step; below, Linear is coarser (Actual 1..255 all give Linear 1)
 * and Actual -> Linear -> Actual lands at the top of the step. */
uint16_t mesh_lightness_linear_to_actual(uint16_t linear);

/* Generic Level = Light Lightness Actual - 32768 (6.1.2.2.2); also HSL
 * Hue and Saturation to their Generic Level (6.1.4.1.1, 6.1.4.2.1). */
static inline int16_t mesh_lightness_to_level(uint16_t lightness)
{
	return (int16_t)((int32_t)lightness - 32768);
}

static inline uint16_t mesh_level_to_lightness(int16_t level)
{
	return (uint16_t)((int32_t)level + 32768);
}

/*
 * Light CTL Temperature <-> Generic Level over the Temperature Range
 * [tmin, tmax] (6.1.3.1.1): Level = (T - Tmin) x 65535 / (Tmax - Tmin) -
 * 32768, and T = Tmin + (Level + 32768) x (Tmax - Tmin) / 65535, rounded
 * to the nearest integer. T outside the range is clamped into it first;
 * tmin == tmax maps everything to that one temperature (and Level -32768).
 */
int16_t mesh_ctl_temp_to_level(uint16_t temp, uint16_t tmin, uint16_t tmax);
uint16_t mesh_ctl_level_to_temp(int16_t level, uint16_t tmin, uint16_t tmax);

/* Colour temperature in kelvin <-> mireds (10^6 / K), rounded to the
 * nearest; 0 maps to 0. */
uint32_t mesh_kelvin_to_mired(uint32_t kelvin);
uint32_t mesh_mired_to_kelvin(uint32_t mired);

/* --- Any generic or light message --------------------------------------- */

/* The layout of a light opcode, NULL for any other. */
const struct mesh_model_layout *mesh_light_layout(uint32_t opcode);
/* Generic or light. */
const struct mesh_model_layout *mesh_model_layout(uint32_t opcode);

/*
 * opcode || parameters of m into out. Returns the length,
 * MESH_ERR_UNKNOWN_OPCODE (not a generic or light message),
 * MESH_ERR_OVERSIZED, MESH_ERR_RESERVED (see mesh_model_layout_encode).
 */
int mesh_model_msg_encode(const struct mesh_model_msg *m, uint8_t *out, size_t max);
/* Any generic or light access payload into *m. Errors of
 * mesh_access_parse(), MESH_ERR_UNKNOWN_OPCODE, or the layout's. */
int mesh_model_msg_decode(const uint8_t *payload, size_t len, struct mesh_model_msg *m);

/* true for the Status opcodes of the generic and light models. */
bool mesh_model_is_status(uint32_t opcode);
/* As mesh_model_msg_decode(), but MESH_ERR_UNKNOWN_OPCODE unless it is a
 * status: what a state cache calls for every access message it hears. */
int mesh_model_status_decode(const uint8_t *payload, size_t len, struct mesh_model_msg *out);

/* The status answering a Get or acknowledged Set; 0 for anything else. */
uint32_t mesh_model_status_opcode(uint32_t request);
/* The unacknowledged form of an acknowledged Set (and the Set
 * Unacknowledged itself); 0 for anything else. */
uint32_t mesh_model_unack_opcode(uint32_t set);
/* The acknowledged form of a Set (Unacknowledged) opcode; 0 otherwise. */
uint32_t mesh_model_ack_opcode(uint32_t set);
/* true if the message carries a TID (the state-changing Sets with one). */
bool mesh_model_has_tid(uint32_t opcode);

#endif
