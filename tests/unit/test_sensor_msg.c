/*
 * Sensor messages and property values (mesh/sensor_msg.h): Marshalled
 * Property IDs in both formats octet by octet, statuses of several values,
 * every way a status can be cut short, descriptors and their "not found"
 * form, the optional Property ID of the Gets, and raw values of each
 * property in the table turned into numbers and back, sentinels and
 * prohibited values included.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/err.h"
#include "mesh/sensor_msg.h"

#define CLOSE(a, b) (fabs((a) - (b)) < 1e-9)

/* ---- marshalled sensor data -------------------------------------------- */

static void check_encode(uint16_t prop, const uint8_t *raw, size_t len, const uint8_t *want,
			 size_t want_len)
{
	uint8_t buf[200];
	struct mesh_sensor_data d;
	size_t off = 0;

	assert_int_equal(mesh_sensor_data_encode(prop, raw, len, buf, sizeof(buf)), want_len);
	assert_memory_equal(buf, want, want_len);
	/* And back. */
	assert_int_equal(mesh_sensor_status_next(buf, want_len, &off, &d), 1);
	assert_int_equal(d.prop, prop);
	assert_int_equal(d.len, len);
	if (len)
		assert_memory_equal(d.raw, raw, len);
	else
		assert_null(d.raw);
	assert_int_equal(off, want_len);
	assert_int_equal(mesh_sensor_status_next(buf, want_len, &off, &d), 0);
}

static void test_mpid_formats(void **state)
{
	uint8_t raw[20];

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(0xa0 + i);
	/* Format A: 0 | (1 - 1) << 1 | 0x004f << 5 = 0x09e0, little-endian. */
	check_encode(0x004f, raw, 1, (const uint8_t[]){ 0xe0, 0x09, 0xa0 }, 3);
	/* Format A at both limits: ID 0x07ff, 16 octets: 0xfffe. */
	{
		uint8_t want[18] = { 0xfe, 0xff };

		memcpy(want + 2, raw, 16);
		check_encode(0x07ff, raw, 16, want, sizeof(want));
	}
	/* 17 octets do not fit Format A's 4 bits: Format B, 1 | 16 << 1. */
	{
		uint8_t want[20] = { 0x21, 0x42, 0x00 };

		memcpy(want + 3, raw, 17);
		check_encode(0x0042, raw, 17, want, sizeof(want));
	}
	/* ID 0x0800 does not fit 11 bits: Format B even for one octet. */
	check_encode(0x0800, raw, 2, (const uint8_t[]){ 0x03, 0x00, 0x08, 0xa0, 0xa1 }, 5);
	/* No value (a property the server does not know): Format B, 0x7f. */
	check_encode(0x004f, NULL, 0, (const uint8_t[]){ 0xff, 0x4f, 0x00 }, 3);
	/* The longest Format B value: 127 octets, length field 0x7e. */
	{
		uint8_t big[127], want[130] = { 0xfd, 0x34, 0x12 };

		memset(big, 0x5a, sizeof(big));
		memcpy(want + 3, big, sizeof(big));
		check_encode(0x1234, big, sizeof(big), want, sizeof(want));
	}
}

static void test_data_encode_errors(void **state)
{
	uint8_t raw[130] = { 0 }, buf[4];

	(void)state;
	assert_int_equal(mesh_sensor_data_encode(0x0000, raw, 1, buf, sizeof(buf)),
			 MESH_ERR_INVAL);
	assert_int_equal(mesh_sensor_data_encode(0x004f, raw, 128, buf, sizeof(buf)),
			 MESH_ERR_INVAL);
	assert_int_equal(mesh_sensor_data_encode(0x004f, NULL, 1, buf, sizeof(buf)),
			 MESH_ERR_INVAL);
	assert_int_equal(mesh_sensor_data_encode(0x004f, raw, 2, buf, 3), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_sensor_data_encode(0x0800, raw, 1, buf, 3), MESH_ERR_OVERSIZED);
}

static void test_status_several(void **state)
{
	static const uint8_t t[] = { 0x2b }, m[] = { 0xc8 }, h[] = { 0x88, 0x13 };
	const struct mesh_sensor_data items[] = {
		{ .prop = MESH_PROP_PRESENT_AMBIENT_TEMPERATURE, .len = 1, .raw = t },
		{ .prop = MESH_PROP_MOTION_SENSED, .len = 1, .raw = m },
		{ .prop = 0x1234, .len = 0, .raw = NULL },
		{ .prop = MESH_PROP_PRESENT_AMBIENT_RELATIVE_HUMIDITY, .len = 2, .raw = h },
	};
	static const uint8_t want[] = {
		0xe0, 0x09, 0x2b,        /* 0x004f, Format A */
		0x40, 0x08, 0xc8,        /* 0x0042: 0x42 << 5 = 0x0840 */
		0xff, 0x34, 0x12,        /* 0x1234, no value */
		0xc2, 0x0e, 0x88, 0x13,  /* 0x0076, 2 octets: 1 << 1 | 0x76 << 5 = 0x0ec2 */
	};
	struct mesh_sensor_data got[4];
	uint8_t buf[64];
	size_t n;

	(void)state;
	assert_int_equal(mesh_sensor_status_encode(items, 4, buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(mesh_sensor_status_decode(want, sizeof(want), got, 4, &n), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(got[i].prop, items[i].prop);
		assert_int_equal(got[i].len, items[i].len);
		if (got[i].len)
			assert_memory_equal(got[i].raw, items[i].raw, got[i].len);
	}
	/* One slot too few. */
	assert_int_equal(mesh_sensor_status_decode(want, sizeof(want), got, 3, &n),
			 MESH_ERR_FULL);
	/* Empty status: nothing, no error. */
	assert_int_equal(mesh_sensor_status_decode(want, 0, got, 4, &n), 0);
	assert_int_equal(n, 0);
	/* Encoding into too small a buffer. */
	assert_int_equal(mesh_sensor_status_encode(items, 4, buf, sizeof(want) - 1),
			 MESH_ERR_OVERSIZED);
}

static void test_status_truncated(void **state)
{
	static const uint8_t full[] = { 0xe0, 0x09, 0x2b, 0xc2, 0x0e, 0x88, 0x13 };
	struct mesh_sensor_data got[4];
	size_t n;

	(void)state;
	/* Every proper prefix that does not end on an entry boundary. */
	for (size_t len = 1; len < sizeof(full); len++) {
		int rc = mesh_sensor_status_decode(full, len, got, 4, &n);

		if (len == 3)
			assert_int_equal(rc, 0);
		else
			assert_int_equal(rc, MESH_ERR_TRUNCATED);
	}
	/* A Format B header cut short, and a Format B value cut short. */
	assert_int_equal(mesh_sensor_status_decode((const uint8_t[]){ 0x03, 0x00 }, 2, got, 4, &n),
			 MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_sensor_status_decode((const uint8_t[]){ 0x03, 0x00, 0x08, 0x01 }, 4,
						   got, 4, &n),
			 MESH_ERR_TRUNCATED);
	/* Property ID 0x0000 in either format. */
	assert_int_equal(mesh_sensor_status_decode((const uint8_t[]){ 0x00, 0x00, 0x01 }, 3, got, 4,
						   &n),
			 MESH_ERR_RESERVED);
	assert_int_equal(mesh_sensor_status_decode((const uint8_t[]){ 0xff, 0x00, 0x00 }, 3, got, 4,
						   &n),
			 MESH_ERR_RESERVED);
}

/* ---- descriptors and Gets ---------------------------------------------- */

static void test_descriptor(void **state)
{
	struct mesh_sensor_descriptor_status st = { 0 }, back;
	static const uint8_t want[] = {
		0x4f, 0x00, 0x23, 0x61, 0x45, 0x01, 0x40, 0x45,  /* 0x456123: neg << 12 | pos */
		0x42, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t buf[32];

	(void)state;
	st.n = 2;
	st.d[0] = (struct mesh_sensor_descriptor){ .prop = 0x004f, .pos_tolerance = 0x123,
						   .neg_tolerance = 0x456,
						   .sampling = MESH_SENSOR_SAMPLING_INSTANTANEOUS,
						   .measure_period = 0x40, .update_interval = 0x45 };
	st.d[1].prop = 0x0042;
	assert_int_equal(mesh_sensor_descriptor_status_encode(&st, buf, sizeof(buf)), 16);
	assert_memory_equal(buf, want, 16);
	assert_int_equal(mesh_sensor_descriptor_status_decode(want, 16, &back), 0);
	assert_false(back.not_found);
	assert_int_equal(back.n, 2);
	assert_memory_equal(&back.d[0], &st.d[0], sizeof(st.d[0]));
	assert_memory_equal(&back.d[1], &st.d[1], sizeof(st.d[1]));
	assert_true(CLOSE(mesh_sensor_period_seconds(0x40), 1.0));
	assert_true(CLOSE(mesh_sensor_period_seconds(0x41), 1.1));
	assert_true(CLOSE(mesh_sensor_period_seconds(0), 0.0));

	/* The "property not found" form: the Property ID alone. */
	assert_int_equal(mesh_sensor_descriptor_status_decode((const uint8_t[]){ 0x34, 0x12 }, 2,
							      &back),
			 0);
	assert_true(back.not_found);
	assert_int_equal(back.prop, 0x1234);
	assert_int_equal(back.n, 0);
	assert_int_equal(mesh_sensor_descriptor_status_encode(&back, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, ((const uint8_t[]){ 0x34, 0x12 }), 2);

	/* Lengths that are neither form, Property ID 0, bad tolerances. */
	assert_int_equal(mesh_sensor_descriptor_status_decode(want, 3, &back), MESH_ERR_MALFORMED);
	assert_int_equal(mesh_sensor_descriptor_status_decode(want, 9, &back), MESH_ERR_MALFORMED);
	assert_int_equal(mesh_sensor_descriptor_status_decode(want, 15, &back), MESH_ERR_MALFORMED);
	assert_int_equal(mesh_sensor_descriptor_status_decode((const uint8_t[]){ 0, 0 }, 2, &back),
			 MESH_ERR_RESERVED);
	buf[0] = buf[1] = 0;
	memcpy(buf + 2, want + 2, 6);
	assert_int_equal(mesh_sensor_descriptor_status_decode(buf, 8, &back), MESH_ERR_RESERVED);
	st.d[0].pos_tolerance = 0x1000;
	assert_int_equal(mesh_sensor_descriptor_status_encode(&st, buf, sizeof(buf)),
			 MESH_ERR_INVAL);
	st.d[0].pos_tolerance = 0;
	assert_int_equal(mesh_sensor_descriptor_status_encode(&st, buf, 15), MESH_ERR_OVERSIZED);
}

static void test_gets(void **state)
{
	uint8_t buf[4];
	uint16_t prop = 99;

	(void)state;
	assert_int_equal(mesh_sensor_get_decode(NULL, 0, &prop), 0);
	assert_int_equal(prop, 0);
	assert_int_equal(mesh_sensor_get_decode((const uint8_t[]){ 0x4f, 0x00 }, 2, &prop), 0);
	assert_int_equal(prop, 0x004f);
	assert_int_equal(mesh_sensor_get_decode((const uint8_t[]){ 0x4f }, 1, &prop),
			 MESH_ERR_MALFORMED);
	assert_int_equal(mesh_sensor_get_decode((const uint8_t[]){ 1, 2, 3 }, 3, &prop),
			 MESH_ERR_MALFORMED);
	assert_int_equal(mesh_sensor_get_decode((const uint8_t[]){ 0, 0 }, 2, &prop),
			 MESH_ERR_RESERVED);
	assert_int_equal(mesh_sensor_get_encode(0, buf, sizeof(buf)), 0);
	assert_int_equal(mesh_sensor_get_encode(0x0076, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, ((const uint8_t[]){ 0x76, 0x00 }), 2);
	assert_int_equal(mesh_sensor_get_encode(0x0076, buf, 1), MESH_ERR_OVERSIZED);
}

static void test_prop_msg(void **state)
{
	static const uint8_t column_get[] = { 0x4e, 0x00, 0x10, 0x27, 0x00 };
	struct mesh_sensor_prop_msg m;
	uint8_t buf[8];

	(void)state;
	assert_int_equal(mesh_sensor_prop_msg_decode(column_get, sizeof(column_get), &m), 0);
	assert_int_equal(m.prop, 0x004e);
	assert_int_equal(m.rest_len, 3);
	assert_ptr_equal(m.rest, column_get + 2);
	assert_int_equal(mesh_sensor_prop_msg_encode(m.prop, m.rest, m.rest_len, buf, sizeof(buf)),
			 5);
	assert_memory_equal(buf, column_get, 5);
	assert_int_equal(mesh_sensor_prop_msg_decode(column_get, 2, &m), 0);
	assert_null(m.rest);
	assert_int_equal(mesh_sensor_prop_msg_decode(column_get, 1, &m), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_sensor_prop_msg_decode((const uint8_t[]){ 0, 0, 1 }, 3, &m),
			 MESH_ERR_RESERVED);
	assert_int_equal(mesh_sensor_prop_msg_encode(0, NULL, 0, buf, sizeof(buf)), MESH_ERR_INVAL);
	assert_int_equal(mesh_sensor_prop_msg_encode(1, column_get, 5, buf, 6), MESH_ERR_OVERSIZED);
}

/* ---- values ------------------------------------------------------------ */

static void check_value(uint16_t prop, const uint8_t *raw, size_t len, double want,
			const char *unit)
{
	struct mesh_sensor_value v;

	assert_int_equal(mesh_sensor_value_decode(prop, raw, len, &v), 0);
	assert_true(v.known);
	assert_false(v.unknown_value);
	assert_false(v.invalid_value);
	assert_string_equal(v.unit, unit);
	if (!CLOSE(v.value, want))
		fail_msg("property 0x%04x: %.9g, expected %.9g", prop, v.value, want);
}

static void check_sentinel(uint16_t prop, const uint8_t *raw, size_t len, bool invalid)
{
	struct mesh_sensor_value v;

	assert_int_equal(mesh_sensor_value_decode(prop, raw, len, &v), 0);
	assert_true(v.known);
	assert_int_equal(v.unknown_value, !invalid);
	assert_int_equal(v.invalid_value, invalid);
}

static void test_value_decode(void **state)
{
	struct mesh_sensor_value v;

	(void)state;
	/* Temperature 8: sint8 in 0.5 °C. */
	check_value(0x004f, (const uint8_t[]){ 0x2b }, 1, 21.5, "°C");
	check_value(0x004f, (const uint8_t[]){ 0xd8 }, 1, -20.0, "°C");
	check_value(0x004f, (const uint8_t[]){ 0x80 }, 1, -64.0, "°C");
	check_value(0x004f, (const uint8_t[]){ 0x7e }, 1, 63.0, "°C");
	check_sentinel(0x004f, (const uint8_t[]){ 0x7f }, 1, false);
	/* Percentage 16 humidity: 0.01 %, up to 100 %. */
	check_value(0x0076, (const uint8_t[]){ 0x88, 0x13 }, 2, 50.0, "%");
	check_value(0x0076, (const uint8_t[]){ 0x10, 0x27 }, 2, 100.0, "%");
	assert_int_equal(mesh_sensor_value_decode(0x0076, (const uint8_t[]){ 0x11, 0x27 }, 2, &v),
			 MESH_ERR_RESERVED);
	check_sentinel(0x0076, (const uint8_t[]){ 0xff, 0xff }, 2, false);
	/* Illuminance: uint24 0.01 lx. */
	check_value(0x004e, (const uint8_t[]){ 0xa0, 0x86, 0x01 }, 3, 1000.0, "lx");
	check_sentinel(0x004e, (const uint8_t[]){ 0xff, 0xff, 0xff }, 3, false);
	/* Motion Sensed: Percentage 8, 0.5 %. */
	check_value(0x0042, (const uint8_t[]){ 0xc8 }, 1, 100.0, "%");
	check_value(0x0042, (const uint8_t[]){ 0x01 }, 1, 0.5, "%");
	assert_int_equal(mesh_sensor_value_decode(0x0042, (const uint8_t[]){ 0xc9 }, 1, &v),
			 MESH_ERR_RESERVED);
	check_sentinel(0x0042, (const uint8_t[]){ 0xff }, 1, false);
	/* People Count: Count 16. */
	check_value(0x004c, (const uint8_t[]){ 0x07, 0x00 }, 2, 7.0, "");
	check_sentinel(0x004c, (const uint8_t[]){ 0xff, 0xff }, 2, false);
	/* Power: uint24 0.1 W. */
	check_value(0x0052, (const uint8_t[]){ 0x64, 0x00, 0x00 }, 3, 10.0, "W");
	/* Energy (0x006a): uint24 in whole kWh. */
	check_value(0x006a, (const uint8_t[]){ 0x0a, 0x00, 0x00 }, 3, 10.0, "kWh");
	check_sentinel(0x006a, (const uint8_t[]){ 0xff, 0xff, 0xff }, 3, false);
	/* Energy 32 (0x0072): 0.001 kWh, with an "invalid" value too. */
	check_value(0x0072, (const uint8_t[]){ 0x39, 0x30, 0x00, 0x00 }, 4, 12.345, "kWh");
	check_sentinel(0x0072, (const uint8_t[]){ 0xfe, 0xff, 0xff, 0xff }, 4, true);
	check_sentinel(0x0072, (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff }, 4, false);
	/* Voltage: 1/64 V; 0xff80 is "1022 V or more", 0xff81.. prohibited. */
	check_value(0x0059, (const uint8_t[]){ 0x00, 0x37 }, 2, 220.0, "V");
	check_value(0x0059, (const uint8_t[]){ 0x80, 0xff }, 2, 1022.0, "V");
	assert_int_equal(mesh_sensor_value_decode(0x0059, (const uint8_t[]){ 0x81, 0xff }, 2, &v),
			 MESH_ERR_RESERVED);
	check_sentinel(0x0059, (const uint8_t[]){ 0xff, 0xff }, 2, false);
	/* Temperature (sint16 0.01 °C): below absolute zero is prohibited. */
	check_value(0x0075, (const uint8_t[]){ 0x66, 0x08 }, 2, 21.5, "°C");
	check_value(0x0075, (const uint8_t[]){ 0x4d, 0x95 }, 2, -273.15, "°C");
	assert_int_equal(mesh_sensor_value_decode(0x0075, (const uint8_t[]){ 0x4c, 0x95 }, 2, &v),
			 MESH_ERR_RESERVED);
	check_sentinel(0x0075, (const uint8_t[]){ 0x00, 0x80 }, 2, false);
	/* Presence Detected: Boolean, no "unknown". */
	check_value(0x004d, (const uint8_t[]){ 0x01 }, 1, 1.0, "");
	assert_int_equal(mesh_sensor_value_decode(0x004d, (const uint8_t[]){ 0x02 }, 1, &v),
			 MESH_ERR_RESERVED);

	/* Length mismatch for a known property. */
	assert_int_equal(mesh_sensor_value_decode(0x004f, (const uint8_t[]){ 1, 2 }, 2, &v),
			 MESH_ERR_MALFORMED);
	assert_int_equal(mesh_sensor_value_decode(0x0076, (const uint8_t[]){ 1 }, 1, &v),
			 MESH_ERR_MALFORMED);
	assert_int_equal(mesh_sensor_value_decode(0x004e, NULL, 0, &v), MESH_ERR_MALFORMED);
	/* An unknown property passes through. */
	assert_int_equal(mesh_sensor_value_decode(0x1234, (const uint8_t[]){ 1, 2, 3 }, 3, &v), 0);
	assert_false(v.known);
	assert_int_equal(v.prop, 0x1234);
	assert_null(v.unit);

	assert_int_equal(mesh_sensor_value_decode(0x004f, (const uint8_t[]){ 0x2b }, 1, &v), 0);
	assert_string_equal(v.name, "Present Ambient Temperature");
	assert_string_equal(v.key, "temperature");
}

static void check_encoded(uint16_t prop, double value, const uint8_t *want, size_t want_len)
{
	uint8_t buf[8];

	assert_int_equal(mesh_sensor_value_encode(prop, value, buf, sizeof(buf)), want_len);
	assert_memory_equal(buf, want, want_len);
}

static void test_value_encode(void **state)
{
	uint8_t buf[8];

	(void)state;
	check_encoded(0x004f, 21.5, (const uint8_t[]){ 0x2b }, 1);
	check_encoded(0x004f, 21.3, (const uint8_t[]){ 0x2b }, 1);     /* nearest step */
	check_encoded(0x004f, -20.0, (const uint8_t[]){ 0xd8 }, 1);
	check_encoded(0x004f, -100.0, (const uint8_t[]){ 0x80 }, 1);   /* clamped */
	check_encoded(0x004f, 1000.0, (const uint8_t[]){ 0x7e }, 1);   /* never the sentinel */
	check_encoded(0x004f, NAN, (const uint8_t[]){ 0x7f }, 1);
	check_encoded(0x0042, 100.0, (const uint8_t[]){ 0xc8 }, 1);
	check_encoded(0x0042, 150.0, (const uint8_t[]){ 0xc8 }, 1);
	check_encoded(0x0076, 45.67, (const uint8_t[]){ 0xd7, 0x11 }, 2);
	check_encoded(0x004e, 1000.0, (const uint8_t[]){ 0xa0, 0x86, 0x01 }, 3);
	check_encoded(0x0059, 230.0, (const uint8_t[]){ 0x80, 0x39 }, 2);
	check_encoded(0x0059, 5000.0, (const uint8_t[]){ 0x80, 0xff }, 2);
	check_encoded(0x0075, -300.0, (const uint8_t[]){ 0x4d, 0x95 }, 2);
	check_encoded(0x0072, 1e300, (const uint8_t[]){ 0xfd, 0xff, 0xff, 0xff }, 4);
	check_encoded(0x004c, -5.0, (const uint8_t[]){ 0x00, 0x00 }, 2);
	assert_int_equal(mesh_sensor_value_encode(0x004d, NAN, buf, sizeof(buf)), MESH_ERR_INVAL);
	assert_int_equal(mesh_sensor_value_encode(0x1234, 1.0, buf, sizeof(buf)),
			 MESH_ERR_NOT_FOUND);
	assert_int_equal(mesh_sensor_value_encode(0x0076, 1.0, buf, 1), MESH_ERR_OVERSIZED);
}

/* Every property: its limits and a value between encode and decode back,
 * and its key finds it. */
static void test_table_round_trip(void **state)
{
	(void)state;
	assert_true(mesh_sensor_prop_count() >= 9);
	assert_null(mesh_sensor_prop_at(mesh_sensor_prop_count()));
	for (size_t i = 0; i < mesh_sensor_prop_count(); i++) {
		const struct mesh_sensor_prop_info *pi = mesh_sensor_prop_at(i);
		double vals[] = { pi->min, pi->max, pi->min + (pi->max - pi->min) / 3.0 };

		assert_ptr_equal(mesh_sensor_prop_find(pi->id), pi);
		assert_ptr_equal(mesh_sensor_prop_by_key(pi->key), pi);
		assert_true(pi->size >= 1 && pi->size <= 4);
		for (size_t j = 0; j < 3; j++) {
			uint8_t raw[4];
			struct mesh_sensor_value v;
			double step = 1.0 / pi->steps_per_unit;

			assert_int_equal(mesh_sensor_value_encode(pi->id, vals[j], raw, sizeof(raw)),
					 pi->size);
			assert_int_equal(mesh_sensor_value_decode(pi->id, raw, pi->size, &v), 0);
			assert_false(v.unknown_value || v.invalid_value);
			if (fabs(v.value - vals[j]) > step / 2 + 1e-9)
				fail_msg("%s: %.9g came back as %.9g", pi->key, vals[j], v.value);
		}
	}
	/* The names the scenario files and the issue use. */
	{
		static const struct { const char *key; uint16_t id; } keys[] = {
			{ "temperature", 0x004f }, { "humidity", 0x0076 }, { "illuminance", 0x004e },
			{ "motion", 0x0042 }, { "people_count", 0x004c }, { "power", 0x0052 },
			{ "energy", 0x006a }, { "voltage", 0x0059 },
		};

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			assert_int_equal(mesh_sensor_prop_by_key(keys[i].key)->id, keys[i].id);
	}
	assert_null(mesh_sensor_prop_by_key("temprature"));
	assert_null(mesh_sensor_prop_by_key(NULL));
	assert_null(mesh_sensor_prop_find(0x0000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mpid_formats),
		cmocka_unit_test(test_data_encode_errors),
		cmocka_unit_test(test_status_several),
		cmocka_unit_test(test_status_truncated),
		cmocka_unit_test(test_descriptor),
		cmocka_unit_test(test_gets),
		cmocka_unit_test(test_prop_msg),
		cmocka_unit_test(test_value_decode),
		cmocka_unit_test(test_value_encode),
		cmocka_unit_test(test_table_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
