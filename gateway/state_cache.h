/*
 * The state cache: what the gateway knows of each element's state, from
 * the status messages it hears (answers to its own requests, and the
 * statuses nodes publish to it or to groups). Never from what was asked:
 * a Set that got no status leaves the cache as it was.
 *
 * One entry per element address, created on the first status from it.
 * Kinds: Generic OnOff, Level, Default Transition Time; Light Lightness
 * (actual, linear, last, default, range); Light CTL (lightness,
 * temperature, Delta UV, temperature range); Light HSL (lightness, hue,
 * saturation, ranges); sensor readings per property (decoded with units,
 * unknown properties kept raw); Health faults. A status with a transition
 * under way records its target and the remaining time too.
 */
#ifndef GATEWAY_STATE_CACHE_H
#define GATEWAY_STATE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/access.h"
#include "mesh/sensor_msg.h"

#define GW_STATE_SENSORS_MAX 16
#define GW_STATE_FAULTS_MAX 16

/* Which parts of an entry hold a value (bits of gw_elem_state.known). */
enum gw_state_kind {
	GW_STATE_ONOFF = 1u << 0,
	GW_STATE_LEVEL = 1u << 1,
	GW_STATE_DTT = 1u << 2,
	GW_STATE_LIGHTNESS = 1u << 3,
	GW_STATE_LIGHTNESS_LINEAR = 1u << 4,
	GW_STATE_LIGHTNESS_LAST = 1u << 5,
	GW_STATE_LIGHTNESS_DEFAULT = 1u << 6,
	GW_STATE_LIGHTNESS_RANGE = 1u << 7,
	GW_STATE_CTL = 1u << 8,
	GW_STATE_CTL_TEMP_RANGE = 1u << 9,
	GW_STATE_HSL = 1u << 10,
	GW_STATE_HSL_RANGE = 1u << 11,
	GW_STATE_SENSOR = 1u << 12,
	GW_STATE_HEALTH = 1u << 13,
};

struct gw_sensor_reading {
	uint16_t prop;
	uint8_t len;
	uint8_t raw[8];                  /* longer values are kept cut, len says so */
	struct mesh_sensor_value value;  /* value.known: decoded */
	uint64_t updated_ms;
};

struct gw_elem_state {
	uint16_t addr;
	uint32_t known;                  /* enum gw_state_kind bits */
	uint64_t updated_ms;             /* last status of any kind */

	uint8_t onoff, target_onoff;
	int16_t level, target_level;
	uint8_t dtt;                     /* Transition Time field */
	uint16_t lightness, target_lightness;
	uint16_t lightness_linear, lightness_last, lightness_default;
	uint16_t lightness_min, lightness_max;
	uint16_t ctl_lightness, temperature, target_temperature;
	int16_t delta_uv;
	uint16_t temp_min, temp_max;
	uint16_t hsl_lightness, hue, saturation;
	uint16_t hue_min, hue_max, sat_min, sat_max;
	/* A transition reported by the last status with a target. */
	bool in_transition;
	uint32_t remaining_ms;

	size_t n_sensors;
	struct gw_sensor_reading sensors[GW_STATE_SENSORS_MAX];

	uint8_t health_test_id;
	uint16_t health_company;
	size_t n_faults;
	uint8_t faults[GW_STATE_FAULTS_MAX];
};

struct gw_state_cache;

/* Told about every status that changed (or first set) something. */
typedef void (*gw_state_changed_fn)(void *ctx, const struct gw_elem_state *st, uint32_t kinds);

struct gw_state_cache *gw_state_cache_create(gw_state_changed_fn changed, void *ctx);
void gw_state_cache_destroy(struct gw_state_cache *c);

/*
 * Feed one authenticated access message (opcode and params filled in).
 * Returns the kinds it updated (0 for messages that are not statuses of a
 * known model), or a negative MESH_ERR_* for a status that does not
 * decode (nothing changed; the caller logs it), MESH_ERR_NOMEM.
 */
int gw_state_cache_update(struct gw_state_cache *c, const struct mesh_access_msg *msg,
			  uint64_t now_ms);

/* The entry of element addr, or NULL. */
const struct gw_elem_state *gw_state_cache_get(const struct gw_state_cache *c, uint16_t addr);
size_t gw_state_cache_count(const struct gw_state_cache *c);
const struct gw_elem_state *gw_state_cache_at(const struct gw_state_cache *c, size_t i);
/* Forget a node's elements (removed from the network). */
void gw_state_cache_forget(struct gw_state_cache *c, uint16_t first, uint8_t count);

#endif
