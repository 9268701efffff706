/*
 * Home Assistant's MQTT discovery schemas, as a validator for tests: a
 * discovery config meshgate publishes is checked against rules written
 * from Home Assistant's own schema sources (ha_schema.c names the files
 * and versions), not from what bridge/discovery.c happens to emit.
 *
 * test_discovery runs it on discovery.c's output (and first on payloads
 * known to be wrong, so it is shown able to fail); the end-to-end MQTT
 * tests run it on every retained discovery payload Home Assistant receives
 * from a running gateway.
 *
 * Only the components meshgate sends (light with schema json, sensor,
 * binary_sensor, device_automation triggers) are known; any other
 * component is refused, so a new one cannot pass unchecked.
 */
#ifndef TESTS_HA_SCHEMA_H
#define TESTS_HA_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Room enough for any reason given (why buffers). */
#define HA_SCHEMA_WHY_MAX 400

/*
 * One config of component ("light", "sensor", ...) as Home Assistant's
 * schema for it would take it: known keys only, required keys present,
 * values of the right type and range, device classes and units that fit.
 * false with the reason in why (always NUL-terminated when whylen > 0).
 */
bool ha_schema_check(const char *component, const json_t *config, char *why, size_t whylen);

/*
 * A discovery message: its topic
 * (<prefix>/<component>/<node_id>/<object_id>/config, as Home Assistant's
 * discovery topic matcher reads it), its config (ha_schema_check), and
 * every topic the config names (state, command, availability, trigger)
 * below base_topic, where meshgate publishes.
 */
bool ha_schema_check_message(const char *prefix, const char *base_topic, const char *topic,
			     const json_t *config, char *why, size_t whylen);

struct ha_schema_msg {
	const char *topic;
	const json_t *config;
};

/*
 * A set of discovery messages, as Home Assistant holds them at one time
 * (the last config of each topic): each one valid (ha_schema_check_message),
 * and no topic, unique_id, or trigger (device, type, subtype) twice. The
 * reason names the message's topic.
 */
bool ha_schema_check_set(const char *prefix, const char *base_topic,
			 const struct ha_schema_msg *msgs, size_t n, char *why, size_t whylen);

#endif
