/*
 * Sensor messages and sensor property values (see sensor_msg.h).
 *
 * The marshalled Sensor Data is the one part with a real format of its
 * own: every value is preceded by a Marshalled Property ID that says how
 * long the value is, so a Sensor Status can be walked without knowing the
 * properties. A gateway therefore splits every status into (property, raw
 * octets) and only then asks the property table what the octets mean;
 * properties it does not know still reach the user, raw.
 *
 * Property table sources (checked one by one, not guessed):
 *  - IDs: Mesh Device Properties, as listed in nRF Connect SDK
 *    include/bluetooth/mesh/properties.h (0x0042 Motion Sensed, 0x004c
 *    People Count, 0x004e Present Ambient Light Level, 0x004f Present
 *    Ambient Temperature, 0x0052 Present Device Input Power, 0x0059 Present
 *    Input Voltage, 0x006a Total Device Energy Use, ...) and its sensor
 *    type tests (0x0072 Precise Total Device Energy Use, 0x0075 Precise
 *    Present Ambient Temperature, 0x0076 Present Ambient Relative Humidity,
 *    0x0077/0x0078 CO2/VOC, 0x00a7/0x00a8 indoor/outdoor humidity).
 *  - Formats (size, M x 10^d x 2^b, range, special values): the GATT
 *    Specification Supplement characteristics as the same tests pin them
 *    down: Temperature 8 sint8 0.5 °C with 0x7f unknown; Percentage 8
 *    uint8 0.5 % up to 100 % (0xc9..0xfe prohibited) with 0xff unknown;
 *    Percentage 16 uint16 0.01 % up to 100 % with 0xffff unknown;
 *    Illuminance uint24 0.01 lx; Power uint24 0.1 W; Energy uint24 1 kWh;
 *    Energy 32 uint32 0.001 kWh with 0xfffffffe invalid; Voltage uint16
 *    1/64 V where 0xff80 means 1022 V or more and 0xff81..0xfffe are
 *    prohibited; Count 16, Time Second 16; Time Millisecond 24 0.001 s;
 *    Temperature sint16 0.01 °C with 0x8000 unknown; Electric Current
 *    uint16 0.01 A. Note the guesses: 0x006a is the 24-bit
 *    kWh-resolution Energy (the precise, Wh-resolution one is 0x0072) and
 *    0x0059 is Present Input Voltage in 1/64 V.
 */
#include <math.h>
#include <string.h>

#include "bytes.h"
#include "err.h"
#include "sensor_msg.h"
#include "util.h"

/* ---- property table ---------------------------------------------------- */

/* One characteristic: name, unit, size, signed, steps per unit, raw range
 * of numbers, unknown sentinel (or -1), invalid sentinel (or -1). */
#define FMT(ch, u, sz, sgn, per, rmin, rmax, unk, inv)                          \
	.characteristic = (ch), .unit = (u), .size = (sz), .is_signed = (sgn),   \
	.steps_per_unit = (per), .raw_min = (rmin), .raw_max = (rmax),           \
	.min = (double)(rmin) / (per), .max = (double)(rmax) / (per),            \
	.has_unknown = (unk) >= 0, .unknown_raw = (uint32_t)((unk) >= 0 ? (unk) : 0), \
	.has_invalid = (inv) >= 0, .invalid_raw = (uint32_t)((inv) >= 0 ? (inv) : 0)

#define TEMPERATURE_8 FMT("Temperature 8", "°C", 1, true, 2, -128, 126, 0x7f, -1)
#define TEMPERATURE FMT("Temperature", "°C", 2, true, 100, -27315, 32767, 0x8000, -1)
#define PERCENTAGE_8 FMT("Percentage 8", "%", 1, false, 2, 0, 200, 0xff, -1)
#define PERCENTAGE_16 FMT("Percentage 16", "%", 2, false, 100, 0, 10000, 0xffff, -1)
#define HUMIDITY FMT("Humidity", "%", 2, false, 100, 0, 10000, 0xffff, -1)
#define ILLUMINANCE FMT("Illuminance", "lx", 3, false, 100, 0, 0xfffffe, 0xffffff, -1)
#define POWER FMT("Power", "W", 3, false, 10, 0, 0xfffffe, 0xffffff, -1)
#define ENERGY FMT("Energy", "kWh", 3, false, 1, 0, 0xfffffe, 0xffffff, -1)
#define ENERGY_32 FMT("Energy 32", "kWh", 4, false, 1000, 0, 0xfffffffdLL, 0xffffffffLL, \
		      0xfffffffeLL)
#define VOLTAGE FMT("Voltage", "V", 2, false, 64, 0, 0xff80, 0xffff, -1)
#define CURRENT FMT("Electric Current", "A", 2, false, 100, 0, 0xfffe, 0xffff, -1)
#define COUNT_16 FMT("Count 16", "", 2, false, 1, 0, 0xfffe, 0xffff, -1)
#define BOOLEAN FMT("Boolean", "", 1, false, 1, 0, 1, -1, -1)
#define TIME_SECOND_16 FMT("Time Second 16", "s", 2, false, 1, 0, 0xfffe, 0xffff, -1)
#define TIME_MS_24 FMT("Time Millisecond 24", "s", 3, false, 1000, 0, 0xfffffe, 0xffffff, -1)
#define CO2 FMT("CO2 Concentration", "ppm", 2, false, 1, 0, 0xfffe, 0xffff, -1)
#define VOC FMT("VOC Concentration", "ppb", 2, false, 1, 0, 0xfffe, 0xffff, -1)

static const struct mesh_sensor_prop_info props[] = {
	{ .id = MESH_PROP_MOTION_SENSED, .key = "motion", .name = "Motion Sensed",
	  PERCENTAGE_8 },
	{ .id = MESH_PROP_PEOPLE_COUNT, .key = "people_count", .name = "People Count",
	  COUNT_16 },
	{ .id = MESH_PROP_PRESENCE_DETECTED, .key = "presence", .name = "Presence Detected",
	  BOOLEAN },
	{ .id = MESH_PROP_PRESENT_AMBIENT_LIGHT_LEVEL, .key = "illuminance",
	  .name = "Present Ambient Light Level", ILLUMINANCE },
	{ .id = MESH_PROP_PRESENT_AMBIENT_TEMPERATURE, .key = "temperature",
	  .name = "Present Ambient Temperature", TEMPERATURE_8 },
	{ .id = MESH_PROP_PRESENT_DEVICE_INPUT_POWER, .key = "power",
	  .name = "Present Device Input Power", POWER },
	{ .id = MESH_PROP_PRESENT_ILLUMINANCE, .key = "present_illuminance",
	  .name = "Present Illuminance", ILLUMINANCE },
	{ .id = MESH_PROP_PRESENT_INDOOR_AMBIENT_TEMPERATURE, .key = "indoor_temperature",
	  .name = "Present Indoor Ambient Temperature", TEMPERATURE_8 },
	{ .id = MESH_PROP_PRESENT_INPUT_CURRENT, .key = "current",
	  .name = "Present Input Current", CURRENT },
	{ .id = MESH_PROP_PRESENT_INPUT_VOLTAGE, .key = "voltage",
	  .name = "Present Input Voltage", VOLTAGE },
	{ .id = MESH_PROP_PRESENT_OUTDOOR_AMBIENT_TEMPERATURE, .key = "outdoor_temperature",
	  .name = "Present Outdoor Ambient Temperature", TEMPERATURE_8 },
	{ .id = MESH_PROP_TIME_SINCE_MOTION_SENSED, .key = "time_since_motion",
	  .name = "Time Since Motion Sensed", TIME_MS_24 },
	{ .id = MESH_PROP_TIME_SINCE_PRESENCE_DETECTED, .key = "time_since_presence",
	  .name = "Time Since Presence Detected", TIME_SECOND_16 },
	{ .id = MESH_PROP_TOTAL_DEVICE_ENERGY_USE, .key = "energy",
	  .name = "Total Device Energy Use", ENERGY },
	{ .id = MESH_PROP_PRECISE_TOTAL_DEVICE_ENERGY_USE, .key = "precise_energy",
	  .name = "Precise Total Device Energy Use", ENERGY_32 },
	{ .id = MESH_PROP_PRECISE_PRESENT_AMBIENT_TEMPERATURE, .key = "precise_temperature",
	  .name = "Precise Present Ambient Temperature", TEMPERATURE },
	{ .id = MESH_PROP_PRESENT_AMBIENT_RELATIVE_HUMIDITY, .key = "humidity",
	  .name = "Present Ambient Relative Humidity", PERCENTAGE_16 },
	{ .id = MESH_PROP_PRESENT_AMBIENT_CO2_CONCENTRATION, .key = "co2",
	  .name = "Present Ambient Carbon Dioxide Concentration", CO2 },
	{ .id = MESH_PROP_PRESENT_AMBIENT_VOC_CONCENTRATION, .key = "voc",
	  .name = "Present Ambient Volatile Organic Compounds Concentration", VOC },
	{ .id = MESH_PROP_PRESENT_INDOOR_RELATIVE_HUMIDITY, .key = "indoor_humidity",
	  .name = "Present Indoor Relative Humidity", HUMIDITY },
	{ .id = MESH_PROP_PRESENT_OUTDOOR_RELATIVE_HUMIDITY, .key = "outdoor_humidity",
	  .name = "Present Outdoor Relative Humidity", HUMIDITY },
};

const struct mesh_sensor_prop_info *mesh_sensor_prop_find(uint16_t id)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(props); i++)
		if (props[i].id == id)
			return &props[i];
	return NULL;
}

const struct mesh_sensor_prop_info *mesh_sensor_prop_by_key(const char *key)
{
	for (size_t i = 0; key && i < MESH_ARRAY_SIZE(props); i++)
		if (strcmp(props[i].key, key) == 0)
			return &props[i];
	return NULL;
}

size_t mesh_sensor_prop_count(void)
{
	return MESH_ARRAY_SIZE(props);
}

const struct mesh_sensor_prop_info *mesh_sensor_prop_at(size_t i)
{
	return i < MESH_ARRAY_SIZE(props) ? &props[i] : NULL;
}

/* ---- values ------------------------------------------------------------ */

static uint32_t get_le(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The octets as the characteristic's integer (sign-extended if signed). */
static int64_t raw_number(const struct mesh_sensor_prop_info *pi, uint32_t bits)
{
	unsigned int width = 8u * pi->size;

	if (pi->is_signed && width < 64 && (bits >> (width - 1)) & 1)
		return (int64_t)bits - ((int64_t)1 << width);
	return (int64_t)bits;
}

int mesh_sensor_value_decode(uint16_t prop, const uint8_t *raw, size_t len,
			     struct mesh_sensor_value *out)
{
	const struct mesh_sensor_prop_info *pi = mesh_sensor_prop_find(prop);
	uint32_t bits;
	int64_t n;

	memset(out, 0, sizeof(*out));
	out->prop = prop;
	if (!pi)
		return 0;
	if (len != pi->size || !raw)
		return MESH_ERR_MALFORMED;
	out->known = true;
	out->key = pi->key;
	out->name = pi->name;
	out->unit = pi->unit;
	bits = get_le(raw, len);
	if (pi->has_unknown && bits == pi->unknown_raw) {
		out->unknown_value = true;
		return 0;
	}
	if (pi->has_invalid && bits == pi->invalid_raw) {
		out->invalid_value = true;
		return 0;
	}
	n = raw_number(pi, bits);
	if (n < pi->raw_min || n > pi->raw_max)
		return MESH_ERR_RESERVED;
	out->value = (double)n / pi->steps_per_unit;
	return 0;
}

int mesh_sensor_value_encode(uint16_t prop, double value, uint8_t *out, size_t max)
{
	const struct mesh_sensor_prop_info *pi = mesh_sensor_prop_find(prop);
	double steps;
	int64_t n;

	if (!pi)
		return MESH_ERR_NOT_FOUND;
	if (max < pi->size)
		return MESH_ERR_OVERSIZED;
	if (isnan(value)) {
		if (!pi->has_unknown)
			return MESH_ERR_INVAL;
		put_le(out, pi->size, pi->unknown_raw);
		return pi->size;
	}
	/* Clamp before converting: a huge double has no int64_t. */
	steps = round(value * pi->steps_per_unit);
	if (steps <= (double)pi->raw_min)
		n = pi->raw_min;
	else if (steps >= (double)pi->raw_max)
		n = pi->raw_max;
	else
		n = (int64_t)steps;
	put_le(out, pi->size, (uint32_t)n);
	return pi->size;
}

/* ---- descriptors ------------------------------------------------------- */

double mesh_sensor_period_seconds(uint8_t encoded)
{
	return encoded ? pow(1.1, (double)encoded - 64.0) : 0.0;
}

static int read_prop(const uint8_t *p, uint16_t *prop)
{
	*prop = mesh_get_le16(p);
	return *prop == MESH_SENSOR_PROP_PROHIBITED ? MESH_ERR_RESERVED : 0;
}

/* Property ID (16), positive and negative tolerance (12 + 12, one 24-bit
 * little-endian field, positive in the low bits), sampling function,
 * measurement period, update interval. */
static int descriptor_decode(const uint8_t *p, struct mesh_sensor_descriptor *d)
{
	uint32_t tol = get_le(p + 2, 3);

	d->pos_tolerance = (uint16_t)(tol & MESH_SENSOR_TOLERANCE_MAX);
	d->neg_tolerance = (uint16_t)(tol >> 12);
	d->sampling = p[5];
	d->measure_period = p[6];
	d->update_interval = p[7];
	return read_prop(p, &d->prop);
}

static int descriptor_encode(const struct mesh_sensor_descriptor *d, uint8_t *p)
{
	if (d->prop == MESH_SENSOR_PROP_PROHIBITED || d->pos_tolerance > MESH_SENSOR_TOLERANCE_MAX ||
	    d->neg_tolerance > MESH_SENSOR_TOLERANCE_MAX)
		return MESH_ERR_INVAL;
	mesh_put_le16(p, d->prop);
	put_le(p + 2, 3, (uint32_t)d->pos_tolerance | (uint32_t)d->neg_tolerance << 12);
	p[5] = d->sampling;
	p[6] = d->measure_period;
	p[7] = d->update_interval;
	return 0;
}

int mesh_sensor_descriptor_status_decode(const uint8_t *p, size_t len,
					 struct mesh_sensor_descriptor_status *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (len == 2) {
		out->not_found = true;
		return read_prop(p, &out->prop);
	}
	if (len % MESH_SENSOR_DESCRIPTOR_LEN)
		return MESH_ERR_MALFORMED;
	if (len / MESH_SENSOR_DESCRIPTOR_LEN > MESH_SENSOR_DESCRIPTORS_MAX)
		return MESH_ERR_OVERSIZED;
	for (size_t off = 0; off < len; off += MESH_SENSOR_DESCRIPTOR_LEN) {
		rc = descriptor_decode(p + off, &out->d[out->n++]);
		if (rc)
			return rc;
	}
	return 0;
}

int mesh_sensor_descriptor_status_encode(const struct mesh_sensor_descriptor_status *st,
					 uint8_t *out, size_t max)
{
	size_t len;
	int rc;

	if (st->not_found) {
		if (st->prop == MESH_SENSOR_PROP_PROHIBITED)
			return MESH_ERR_INVAL;
		if (max < 2)
			return MESH_ERR_OVERSIZED;
		mesh_put_le16(out, st->prop);
		return 2;
	}
	if (st->n > MESH_SENSOR_DESCRIPTORS_MAX)
		return MESH_ERR_INVAL;
	len = st->n * MESH_SENSOR_DESCRIPTOR_LEN;
	if (len > max)
		return MESH_ERR_OVERSIZED;
	for (size_t i = 0; i < st->n; i++) {
		rc = descriptor_encode(&st->d[i], out + i * MESH_SENSOR_DESCRIPTOR_LEN);
		if (rc)
			return rc;
	}
	return (int)len;
}

/* ---- Gets -------------------------------------------------------------- */

int mesh_sensor_get_decode(const uint8_t *p, size_t len, uint16_t *prop)
{
	*prop = 0;
	if (len == 0)
		return 0;
	if (len != 2)
		return MESH_ERR_MALFORMED;
	return read_prop(p, prop);
}

int mesh_sensor_get_encode(uint16_t prop, uint8_t *out, size_t max)
{
	if (prop == 0)
		return 0;
	if (max < 2)
		return MESH_ERR_OVERSIZED;
	mesh_put_le16(out, prop);
	return 2;
}

/* ---- marshalled sensor data -------------------------------------------- */

#define MPID_FORMAT_B 0x01
#define FORMAT_A_PROP_LIMIT 0x0800
#define FORMAT_A_LEN_MAX 16
#define FORMAT_B_ZERO_LEN 0x7f

int mesh_sensor_status_next(const uint8_t *p, size_t len, size_t *off,
			    struct mesh_sensor_data *out)
{
	size_t o = *off, vlen, hdr;

	if (o >= len)
		return 0;
	if (!(p[o] & MPID_FORMAT_B)) {
		uint16_t mpid;

		if (len - o < 2)
			return MESH_ERR_TRUNCATED;
		mpid = mesh_get_le16(p + o);
		vlen = ((mpid >> 1) & 0x0f) + 1u;
		out->prop = (uint16_t)(mpid >> 5);
		hdr = 2;
	} else {
		uint8_t field = (uint8_t)(p[o] >> 1);

		if (len - o < 3)
			return MESH_ERR_TRUNCATED;
		vlen = field == FORMAT_B_ZERO_LEN ? 0 : field + 1u;
		out->prop = mesh_get_le16(p + o + 1);
		hdr = 3;
	}
	if (out->prop == MESH_SENSOR_PROP_PROHIBITED)
		return MESH_ERR_RESERVED;
	if (len - o - hdr < vlen)
		return MESH_ERR_TRUNCATED;
	out->len = (uint8_t)vlen;
	out->raw = vlen ? p + o + hdr : NULL;
	*off = o + hdr + vlen;
	return 1;
}

int mesh_sensor_status_decode(const uint8_t *p, size_t len, struct mesh_sensor_data *items,
			      size_t max, size_t *n)
{
	struct mesh_sensor_data d;
	size_t off = 0;
	int rc;

	*n = 0;
	while ((rc = mesh_sensor_status_next(p, len, &off, &d)) == 1) {
		if (*n >= max)
			return MESH_ERR_FULL;
		items[(*n)++] = d;
	}
	return rc;
}

int mesh_sensor_data_encode(uint16_t prop, const uint8_t *raw, size_t len, uint8_t *out,
			    size_t max)
{
	size_t hdr;

	if (prop == MESH_SENSOR_PROP_PROHIBITED || len > MESH_SENSOR_RAW_MAX || (len && !raw))
		return MESH_ERR_INVAL;
	hdr = (prop < FORMAT_A_PROP_LIMIT && len >= 1 && len <= FORMAT_A_LEN_MAX) ? 2 : 3;
	if (hdr + len > max)
		return MESH_ERR_OVERSIZED;
	if (hdr == 2) {
		mesh_put_le16(out, (uint16_t)((len - 1) << 1 | (size_t)prop << 5));
	} else {
		out[0] = (uint8_t)(MPID_FORMAT_B | (len ? len - 1 : FORMAT_B_ZERO_LEN) << 1);
		mesh_put_le16(out + 1, prop);
	}
	if (len)
		memmove(out + hdr, raw, len);
	return (int)(hdr + len);
}

int mesh_sensor_status_encode(const struct mesh_sensor_data *items, size_t n, uint8_t *out,
			      size_t max)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		int rc = mesh_sensor_data_encode(items[i].prop, items[i].raw, items[i].len,
						 out + off, max - off);

		if (rc < 0)
			return rc;
		off += (size_t)rc;
	}
	return (int)off;
}

/* ---- Property ID + raw rest -------------------------------------------- */

int mesh_sensor_prop_msg_decode(const uint8_t *p, size_t len, struct mesh_sensor_prop_msg *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 2)
		return MESH_ERR_TRUNCATED;
	out->rest_len = len - 2;
	out->rest = out->rest_len ? p + 2 : NULL;
	return read_prop(p, &out->prop);
}

int mesh_sensor_prop_msg_encode(uint16_t prop, const uint8_t *rest, size_t rest_len,
				uint8_t *out, size_t max)
{
	if (prop == MESH_SENSOR_PROP_PROHIBITED || (rest_len && !rest))
		return MESH_ERR_INVAL;
	if (rest_len > max || max - rest_len < 2)
		return MESH_ERR_OVERSIZED;
	if (rest_len)
		memmove(out + 2, rest, rest_len);
	mesh_put_le16(out, prop);
	return (int)(2 + rest_len);
}
