/*
 * libFuzzer target for the sensor and health message decoders and the
 * sensor value decoder: what a gateway parses from every Sensor Status
 * and Health Fault Status it hears. Whatever decodes must encode back:
 * octet for octet where the encoding is unique (descriptors, Gets, health
 * messages, raw values that are numbers), and to the same list of
 * (property, value) where the sender had a choice (Format A or B).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/health_msg.h"
#include "mesh/sensor_msg.h"

/* Larger than any input libFuzzer makes here (-max_len), so a failed
 * re-encode is always a bug, never a short buffer. */
static uint8_t out[1 << 16];

static void fuzz_status(const uint8_t *buf, size_t size)
{
	static struct mesh_sensor_data a[MESH_SENSOR_STATUS_MAX + 8], b[MESH_SENSOR_STATUS_MAX + 8];
	size_t na, nb;
	int len;

	if (mesh_sensor_status_decode(buf, size, a, sizeof(a) / sizeof(a[0]), &na))
		return;
	len = mesh_sensor_status_encode(a, na, out, sizeof(out));
	if (len < 0)
		abort();
	if (mesh_sensor_status_decode(out, (size_t)len, b, sizeof(a) / sizeof(a[0]), &nb) || nb != na)
		abort();
	for (size_t i = 0; i < na; i++) {
		if (a[i].prop != b[i].prop || a[i].len != b[i].len ||
		    (a[i].len && memcmp(a[i].raw, b[i].raw, a[i].len)))
			abort();
	}
}

static void fuzz_descriptors(const uint8_t *buf, size_t size)
{
	static struct mesh_sensor_descriptor_status st;

	if (mesh_sensor_descriptor_status_decode(buf, size, &st))
		return;
	if (mesh_sensor_descriptor_status_encode(&st, out, sizeof(out)) != (int)size ||
	    memcmp(out, buf, size))
		abort();
}

static void fuzz_small(const uint8_t *buf, size_t size)
{
	struct mesh_sensor_prop_msg pm;
	uint16_t prop, cid;
	uint8_t v, test_id;

	if (mesh_sensor_get_decode(buf, size, &prop) == 0 &&
	    (mesh_sensor_get_encode(prop, out, sizeof(out)) != (int)size || memcmp(out, buf, size)))
		abort();
	if (mesh_sensor_prop_msg_decode(buf, size, &pm) == 0 &&
	    (mesh_sensor_prop_msg_encode(pm.prop, pm.rest, pm.rest_len, out, sizeof(out)) !=
	     (int)size || memcmp(out, buf, size)))
		abort();
	if (mesh_health_company_decode(buf, size, &cid) == 0 &&
	    (mesh_health_company_encode(cid, out, sizeof(out)) != 2 || memcmp(out, buf, 2)))
		abort();
	if (mesh_health_fault_test_decode(buf, size, &test_id, &cid) == 0 &&
	    (mesh_health_fault_test_encode(test_id, cid, out, sizeof(out)) != 3 ||
	     memcmp(out, buf, 3)))
		abort();
	if (mesh_health_period_decode(buf, size, &v) == 0 &&
	    (mesh_health_period_encode(v, out, sizeof(out)) != 1 || out[0] != buf[0]))
		abort();
	if (mesh_health_attention_decode(buf, size, &v) == 0 &&
	    (mesh_health_attention_encode(v, out, sizeof(out)) != 1 || out[0] != buf[0]))
		abort();
}

static void fuzz_health_status(const uint8_t *buf, size_t size)
{
	static struct mesh_health_fault_status st;

	if (mesh_health_fault_status_decode(buf, size, &st))
		return;
	if (mesh_health_fault_status_encode(&st, out, sizeof(out)) != (int)size ||
	    memcmp(out, buf, size))
		abort();
	for (size_t i = 0; i < st.n_faults; i++)
		if (!mesh_health_fault_name(st.faults[i]))
			abort();
}

/* The first two octets pick a property (folded onto the table half the
 * time, so known properties get most of the work), the rest is its raw
 * value. */
static void fuzz_value(const uint8_t *buf, size_t size)
{
	struct mesh_sensor_value v;
	uint16_t prop;
	const uint8_t *raw = buf + 2;
	size_t len = size - 2;
	int n;

	prop = (uint16_t)(buf[0] | buf[1] << 8);
	if (prop & 0x8000)
		prop = mesh_sensor_prop_at(prop % mesh_sensor_prop_count())->id;
	if (mesh_sensor_value_decode(prop, raw, len, &v) || !v.known || v.invalid_value)
		return;
	n = mesh_sensor_value_encode(prop, v.unknown_value ? NAN : v.value, out, sizeof(out));
	if (n != (int)len || memcmp(out, raw, len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so ASan sees any read past the message. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (size > sizeof(out) / 2) {
		free(buf);
		return 0;
	}
	fuzz_status(buf, size);
	fuzz_descriptors(buf, size);
	fuzz_small(buf, size);
	fuzz_health_status(buf, size);
	if (size >= 2)
		fuzz_value(buf, size);
	free(buf);
	return 0;
}
