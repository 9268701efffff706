/*
 * Sensor messages (Mesh Model 1.1, chapter 4) and the sensor properties
 * (Mesh Device Properties, GATT Specification Supplement) that give their
 * raw values a meaning.
 *
 * Two halves:
 *  - the messages: opcodes, the Sensor Descriptor, the optional Property
 *    ID of the Gets, the marshalled Sensor Data of a Sensor Status
 *    (Format A and B Marshalled Property IDs) and, for the messages whose
 *    value layout depends on the property (Column, Series, Cadence,
 *    Setting), the Property ID followed by the raw rest;
 *  - the property table: for the properties meshgate understands, the
 *    characteristic's size, signedness, resolution, unit, range and
 *    "value is not known" sentinel, so a raw value becomes a number with a
 *    unit (mesh_sensor_value_decode) and a number becomes a raw value
 *    (mesh_sensor_value_encode, for the simulator).
 *
 * Everything here is parameters only (what follows the opcode): handlers
 * get msg->params, and senders put the opcode in front with
 * mesh_access_compose(). Decoders take untrusted bytes and never read past
 * len; values they return point into the caller's buffer.
 *
 * Property facts were checked against the Mesh Device Properties list as
 * Nordic's nRF Connect SDK (include/bluetooth/mesh/properties.h and its
 * sensor type tests) encodes it; see sensor_msg.c for the table.
 */
#ifndef MESH_SENSOR_MSG_H
#define MESH_SENSOR_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "transport.h"

/* ---- models and opcodes (Mesh Model 4.2, 7.1) ------------------------- */

#define MESH_MODEL_SENSOR_SRV 0x1100
#define MESH_MODEL_SENSOR_SETUP_SRV 0x1101
#define MESH_MODEL_SENSOR_CLI 0x1102

#define MESH_OP_SENSOR_DESCRIPTOR_GET MESH_OP_2(0x82, 0x30)
#define MESH_OP_SENSOR_DESCRIPTOR_STATUS MESH_OP_1(0x51)
#define MESH_OP_SENSOR_GET MESH_OP_2(0x82, 0x31)
#define MESH_OP_SENSOR_STATUS MESH_OP_1(0x52)
#define MESH_OP_SENSOR_COLUMN_GET MESH_OP_2(0x82, 0x32)
#define MESH_OP_SENSOR_COLUMN_STATUS MESH_OP_1(0x53)
#define MESH_OP_SENSOR_SERIES_GET MESH_OP_2(0x82, 0x33)
#define MESH_OP_SENSOR_SERIES_STATUS MESH_OP_1(0x54)
#define MESH_OP_SENSOR_CADENCE_GET MESH_OP_2(0x82, 0x34)
#define MESH_OP_SENSOR_CADENCE_SET MESH_OP_1(0x55)
#define MESH_OP_SENSOR_CADENCE_SET_UNACK MESH_OP_1(0x56)
#define MESH_OP_SENSOR_CADENCE_STATUS MESH_OP_1(0x57)
#define MESH_OP_SENSOR_SETTINGS_GET MESH_OP_2(0x82, 0x35)
#define MESH_OP_SENSOR_SETTINGS_STATUS MESH_OP_1(0x58)
#define MESH_OP_SENSOR_SETTING_GET MESH_OP_2(0x82, 0x36)
#define MESH_OP_SENSOR_SETTING_SET MESH_OP_1(0x59)
#define MESH_OP_SENSOR_SETTING_SET_UNACK MESH_OP_1(0x5a)
#define MESH_OP_SENSOR_SETTING_STATUS MESH_OP_1(0x5b)

/* Property ID 0x0000 is prohibited everywhere a property is named. */
#define MESH_SENSOR_PROP_PROHIBITED 0x0000

/* ---- property IDs meshgate knows (Mesh Device Properties) -------------- */

#define MESH_PROP_MOTION_SENSED 0x0042                  /* Percentage 8 */
#define MESH_PROP_PEOPLE_COUNT 0x004c                   /* Count 16 */
#define MESH_PROP_PRESENCE_DETECTED 0x004d              /* Boolean */
#define MESH_PROP_PRESENT_AMBIENT_LIGHT_LEVEL 0x004e    /* Illuminance */
#define MESH_PROP_PRESENT_AMBIENT_TEMPERATURE 0x004f    /* Temperature 8 */
#define MESH_PROP_PRESENT_DEVICE_INPUT_POWER 0x0052     /* Power */
#define MESH_PROP_PRESENT_ILLUMINANCE 0x0055            /* Illuminance */
#define MESH_PROP_PRESENT_INDOOR_AMBIENT_TEMPERATURE 0x0056 /* Temperature 8 */
#define MESH_PROP_PRESENT_INPUT_CURRENT 0x0057          /* Electric Current */
#define MESH_PROP_PRESENT_INPUT_VOLTAGE 0x0059          /* Voltage */
#define MESH_PROP_PRESENT_OUTDOOR_AMBIENT_TEMPERATURE 0x005b /* Temperature 8 */
#define MESH_PROP_TIME_SINCE_MOTION_SENSED 0x0068       /* Time Millisecond 24 */
#define MESH_PROP_TIME_SINCE_PRESENCE_DETECTED 0x0069   /* Time Second 16 */
#define MESH_PROP_TOTAL_DEVICE_ENERGY_USE 0x006a        /* Energy */
#define MESH_PROP_PRECISE_TOTAL_DEVICE_ENERGY_USE 0x0072 /* Energy 32 */
#define MESH_PROP_PRECISE_PRESENT_AMBIENT_TEMPERATURE 0x0075 /* Temperature */
#define MESH_PROP_PRESENT_AMBIENT_RELATIVE_HUMIDITY 0x0076 /* Percentage 16 */
#define MESH_PROP_PRESENT_AMBIENT_CO2_CONCENTRATION 0x0077 /* CO2 Concentration */
#define MESH_PROP_PRESENT_AMBIENT_VOC_CONCENTRATION 0x0078 /* VOC Concentration */
#define MESH_PROP_PRESENT_INDOOR_RELATIVE_HUMIDITY 0x00a7 /* Humidity */
#define MESH_PROP_PRESENT_OUTDOOR_RELATIVE_HUMIDITY 0x00a8 /* Humidity */

/* ---- Sensor Descriptor (4.1.1) ---------------------------------------- */

enum mesh_sensor_sampling {
	MESH_SENSOR_SAMPLING_UNSPECIFIED = 0x00,
	MESH_SENSOR_SAMPLING_INSTANTANEOUS = 0x01,
	MESH_SENSOR_SAMPLING_ARITHMETIC_MEAN = 0x02,
	MESH_SENSOR_SAMPLING_RMS = 0x03,
	MESH_SENSOR_SAMPLING_MAXIMUM = 0x04,
	MESH_SENSOR_SAMPLING_MINIMUM = 0x05,
	MESH_SENSOR_SAMPLING_ACCUMULATED = 0x06,
	MESH_SENSOR_SAMPLING_COUNT = 0x07,
	/* 0x08..0xff RFU: decoded as they come, the number is kept */
};

#define MESH_SENSOR_DESCRIPTOR_LEN 8
#define MESH_SENSOR_TOLERANCE_MAX 0x0fff
/* Descriptors one Descriptor Status can carry. */
#define MESH_SENSOR_DESCRIPTORS_MAX ((MESH_ACCESS_MAX_PAYLOAD - 1) / MESH_SENSOR_DESCRIPTOR_LEN)

struct mesh_sensor_descriptor {
	uint16_t prop;
	uint16_t pos_tolerance;   /* 12 bits: 0 unspecified, else n / 4095 * 100 % */
	uint16_t neg_tolerance;   /* 12 bits, the same */
	uint8_t sampling;         /* enum mesh_sensor_sampling */
	uint8_t measure_period;   /* 0: not applicable, else 1.1^(n - 64) s */
	uint8_t update_interval;  /* 0: not applicable, else 1.1^(n - 64) s */
};

/* A Sensor Descriptor Status: descriptors, or the "property not found"
 * form that carries only the Property ID that was asked for. */
struct mesh_sensor_descriptor_status {
	bool not_found;
	uint16_t prop;            /* not_found: the property asked for */
	size_t n;                 /* !not_found: descriptors in d */
	struct mesh_sensor_descriptor d[MESH_SENSOR_DESCRIPTORS_MAX];
};

/* Seconds of a Measurement Period / Update Interval (0 for 0). */
double mesh_sensor_period_seconds(uint8_t encoded);

/*
 * Descriptor Status parameters: 2 octets (not found; Property ID 0x0000
 * gives MESH_ERR_RESERVED) or a multiple of 8 (descriptors, none with
 * Property ID 0x0000; zero descriptors is accepted: a server with no
 * sensors has nothing else to say). Other lengths: MESH_ERR_MALFORMED.
 */
int mesh_sensor_descriptor_status_decode(const uint8_t *p, size_t len,
					 struct mesh_sensor_descriptor_status *out);
/* Returns the length, MESH_ERR_INVAL (a tolerance above 12 bits, too many
 * descriptors, Property ID 0) or MESH_ERR_OVERSIZED (max). */
int mesh_sensor_descriptor_status_encode(const struct mesh_sensor_descriptor_status *st,
					 uint8_t *out, size_t max);

/* ---- Sensor Descriptor Get / Sensor Get (4.2.1, 4.2.13) ---------------- */

/*
 * Both carry an optional Property ID: *prop = 0 when absent (all
 * sensors). MESH_ERR_RESERVED for 0x0000 given explicitly,
 * MESH_ERR_MALFORMED for a length other than 0 or 2.
 */
int mesh_sensor_get_decode(const uint8_t *p, size_t len, uint16_t *prop);
/* prop 0: no parameters. Returns the length or MESH_ERR_OVERSIZED. */
int mesh_sensor_get_encode(uint16_t prop, uint8_t *out, size_t max);

/* ---- Sensor Status: marshalled sensor data (4.2.14) -------------------- */

/* Longest raw value: Format B's 7-bit length, 0x7f meaning zero. */
#define MESH_SENSOR_RAW_MAX 127
/* Values one Sensor Status can carry (each takes at least 3 octets). */
#define MESH_SENSOR_STATUS_MAX ((MESH_ACCESS_MAX_PAYLOAD - 1) / 3)

struct mesh_sensor_data {
	uint16_t prop;
	uint8_t len;              /* 0: the server does not know this property */
	const uint8_t *raw;       /* len octets (into the decoded buffer); NULL if 0 */
};

/*
 * Walk a Sensor Status: *off starts at 0. Returns 1 with the next entry
 * in *out, 0 at the end, or MESH_ERR_TRUNCATED (a header or value cut
 * short) / MESH_ERR_RESERVED (Property ID 0x0000). Format A: 2 octets,
 * bit 0 = 0, bits 1..4 length - 1, bits 5..15 Property ID (little-endian
 * as a whole); Format B: bit 0 = 1, bits 1..7 length - 1 (0x7f: zero
 * length), then a 16-bit Property ID.
 */
int mesh_sensor_status_next(const uint8_t *p, size_t len, size_t *off,
			    struct mesh_sensor_data *out);

/* The whole message into items[0..max): *n entries. Errors as above, and
 * MESH_ERR_FULL with more than max entries. An empty status is n = 0. */
int mesh_sensor_status_decode(const uint8_t *p, size_t len, struct mesh_sensor_data *items,
			      size_t max, size_t *n);

/*
 * One entry: Format A when prop < 0x0800 and 1 <= len <= 16, else Format
 * B. Returns the octets written, MESH_ERR_INVAL (prop 0, len above
 * MESH_SENSOR_RAW_MAX, raw NULL with len) or MESH_ERR_OVERSIZED.
 */
int mesh_sensor_data_encode(uint16_t prop, const uint8_t *raw, size_t len, uint8_t *out,
			    size_t max);
/* All items, one after the other. Errors as above. */
int mesh_sensor_status_encode(const struct mesh_sensor_data *items, size_t n, uint8_t *out,
			      size_t max);

/* ---- Column, Series, Cadence, Settings, Setting (4.2.15..4.2.28) ------- */

/*
 * These start with a Property ID; what follows depends on the property's
 * characteristic (Raw Value X, column widths, cadence triggers, setting
 * IDs). They are decoded as the Property ID and the raw rest, for a
 * caller that knows the property. MESH_ERR_TRUNCATED under 2 octets,
 * MESH_ERR_RESERVED for Property ID 0x0000.
 */
struct mesh_sensor_prop_msg {
	uint16_t prop;
	const uint8_t *rest;      /* into the decoded buffer; NULL if rest_len 0 */
	size_t rest_len;
};
int mesh_sensor_prop_msg_decode(const uint8_t *p, size_t len, struct mesh_sensor_prop_msg *out);
/* Returns the length, MESH_ERR_INVAL (prop 0) or MESH_ERR_OVERSIZED. */
int mesh_sensor_prop_msg_encode(uint16_t prop, const uint8_t *rest, size_t rest_len,
				uint8_t *out, size_t max);

/* ---- values ------------------------------------------------------------ */

/* What meshgate knows of one property. */
struct mesh_sensor_prop_info {
	uint16_t id;
	const char *key;          /* short name: scenario files, JSON ("temperature") */
	const char *name;         /* the specification's name */
	const char *characteristic;
	const char *unit;         /* "°C", "%", "lx", "W", "kWh", "V", "A", "s", "ppm",
				   * "ppb"; "" for counts and booleans */
	uint8_t size;             /* octets of the raw value (1..4) */
	bool is_signed;           /* two's complement */
	uint32_t steps_per_unit;  /* resolution = 1 / steps_per_unit of unit */
	int64_t raw_min, raw_max; /* raw values that are numbers */
	double min, max;          /* the same in unit */
	bool has_unknown;         /* "value is not known": unknown_raw */
	uint32_t unknown_raw;     /* as the octets read unsigned */
	bool has_invalid;         /* "value is invalid": invalid_raw */
	uint32_t invalid_raw;
};

/* The property, or NULL. */
const struct mesh_sensor_prop_info *mesh_sensor_prop_find(uint16_t id);
/* By key ("temperature", "humidity", "illuminance", "motion",
 * "people_count", "power", "energy", "voltage", ...), or NULL. */
const struct mesh_sensor_prop_info *mesh_sensor_prop_by_key(const char *key);
/* The table, for listing: index 0..count-1. */
size_t mesh_sensor_prop_count(void);
const struct mesh_sensor_prop_info *mesh_sensor_prop_at(size_t i);

struct mesh_sensor_value {
	uint16_t prop;
	bool known;               /* prop is in the table; else only prop is set */
	const char *key;          /* known: the property's key */
	const char *name;         /* known: the property's name */
	const char *unit;         /* known: its unit ("" for none) */
	double value;             /* known, not a sentinel: the number in unit */
	bool unknown_value;       /* the device says "value is not known" */
	bool invalid_value;       /* the device says "value is invalid" (Energy 32) */
};

/*
 * Turn a raw value of property prop into a number. An unknown property is
 * not an error: 0 with known = false (the caller passes the raw octets
 * on). For a known one: MESH_ERR_MALFORMED when len is not the
 * characteristic's size, MESH_ERR_RESERVED for a raw value the
 * characteristic prohibits (e.g. Percentage 8 above 100 %). Range limits
 * that mean "this or beyond" (Voltage 0xff80 = 1022 V or more, CO2
 * 0xfffe) decode as the limit.
 */
int mesh_sensor_value_decode(uint16_t prop, const uint8_t *raw, size_t len,
			     struct mesh_sensor_value *out);

/*
 * The raw value of number value for prop: rounded to the resolution and
 * clamped to the property's range; NaN gives the "value is not known"
 * sentinel. Returns the length, MESH_ERR_NOT_FOUND for a property not in
 * the table, MESH_ERR_INVAL for NaN where there is no sentinel,
 * MESH_ERR_OVERSIZED when max is too small.
 */
int mesh_sensor_value_encode(uint16_t prop, double value, uint8_t *out, size_t max);

#endif
