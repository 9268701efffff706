/*
 * Health messages (see health_msg.h): fixed layouts, little-endian Company
 * IDs, and the fault code names a log or the MQTT state can show instead
 * of a number.
 */
#include <string.h>

#include "bytes.h"
#include "err.h"
#include "health_msg.h"

static int exact_len(size_t len, size_t want)
{
	if (len < want)
		return MESH_ERR_TRUNCATED;
	if (len > want)
		return MESH_ERR_OVERSIZED;
	return 0;
}

int mesh_health_fault_status_decode(const uint8_t *p, size_t len,
				    struct mesh_health_fault_status *out)
{
	memset(out, 0, sizeof(*out));
	if (len < MESH_HEALTH_FAULT_STATUS_MIN)
		return MESH_ERR_TRUNCATED;
	if (len - MESH_HEALTH_FAULT_STATUS_MIN > MESH_HEALTH_FAULTS_MAX)
		return MESH_ERR_OVERSIZED;
	out->test_id = p[0];
	out->company = mesh_get_le16(p + 1);
	out->n_faults = len - MESH_HEALTH_FAULT_STATUS_MIN;
	memcpy(out->faults, p + MESH_HEALTH_FAULT_STATUS_MIN, out->n_faults);
	return 0;
}

int mesh_health_fault_status_encode(const struct mesh_health_fault_status *st, uint8_t *out,
				    size_t max)
{
	size_t len = MESH_HEALTH_FAULT_STATUS_MIN + st->n_faults;

	if (st->n_faults > MESH_HEALTH_FAULTS_MAX)
		return MESH_ERR_INVAL;
	if (len > max)
		return MESH_ERR_OVERSIZED;
	out[0] = st->test_id;
	mesh_put_le16(out + 1, st->company);
	memcpy(out + MESH_HEALTH_FAULT_STATUS_MIN, st->faults, st->n_faults);
	return (int)len;
}

int mesh_health_company_decode(const uint8_t *p, size_t len, uint16_t *company)
{
	int rc = exact_len(len, 2);

	if (rc == 0)
		*company = mesh_get_le16(p);
	return rc;
}

int mesh_health_company_encode(uint16_t company, uint8_t *out, size_t max)
{
	if (max < 2)
		return MESH_ERR_OVERSIZED;
	mesh_put_le16(out, company);
	return 2;
}

int mesh_health_fault_test_decode(const uint8_t *p, size_t len, uint8_t *test_id,
				  uint16_t *company)
{
	int rc = exact_len(len, 3);

	if (rc == 0) {
		*test_id = p[0];
		*company = mesh_get_le16(p + 1);
	}
	return rc;
}

int mesh_health_fault_test_encode(uint8_t test_id, uint16_t company, uint8_t *out, size_t max)
{
	if (max < 3)
		return MESH_ERR_OVERSIZED;
	out[0] = test_id;
	mesh_put_le16(out + 1, company);
	return 3;
}

int mesh_health_period_decode(const uint8_t *p, size_t len, uint8_t *divisor)
{
	int rc = exact_len(len, 1);

	if (rc)
		return rc;
	if (p[0] > MESH_HEALTH_PERIOD_DIVISOR_MAX)
		return MESH_ERR_RESERVED;
	*divisor = p[0];
	return 0;
}

int mesh_health_period_encode(uint8_t divisor, uint8_t *out, size_t max)
{
	if (divisor > MESH_HEALTH_PERIOD_DIVISOR_MAX)
		return MESH_ERR_INVAL;
	if (max < 1)
		return MESH_ERR_OVERSIZED;
	out[0] = divisor;
	return 1;
}

int mesh_health_attention_decode(const uint8_t *p, size_t len, uint8_t *seconds)
{
	int rc = exact_len(len, 1);

	if (rc == 0)
		*seconds = p[0];
	return rc;
}

int mesh_health_attention_encode(uint8_t seconds, uint8_t *out, size_t max)
{
	if (max < 1)
		return MESH_ERR_OVERSIZED;
	out[0] = seconds;
	return 1;
}

/* Codes 0x01..0x32 come in pairs: the odd one is the warning, the even
 * one the error about the same thing. */
static const char *const fault_names[MESH_HEALTH_FAULT_LAST_DEFINED + 1] = {
	[0x00] = "No Fault",
	[0x01] = "Battery Low Warning",
	[0x02] = "Battery Low Error",
	[0x03] = "Supply Voltage Too Low Warning",
	[0x04] = "Supply Voltage Too Low Error",
	[0x05] = "Supply Voltage Too High Warning",
	[0x06] = "Supply Voltage Too High Error",
	[0x07] = "Power Supply Interrupted Warning",
	[0x08] = "Power Supply Interrupted Error",
	[0x09] = "No Load Warning",
	[0x0a] = "No Load Error",
	[0x0b] = "Overload Warning",
	[0x0c] = "Overload Error",
	[0x0d] = "Overheat Warning",
	[0x0e] = "Overheat Error",
	[0x0f] = "Condensation Warning",
	[0x10] = "Condensation Error",
	[0x11] = "Vibration Warning",
	[0x12] = "Vibration Error",
	[0x13] = "Configuration Warning",
	[0x14] = "Configuration Error",
	[0x15] = "Element Not Calibrated Warning",
	[0x16] = "Element Not Calibrated Error",
	[0x17] = "Memory Warning",
	[0x18] = "Memory Error",
	[0x19] = "Self-Test Warning",
	[0x1a] = "Self-Test Error",
	[0x1b] = "Input Too Low Warning",
	[0x1c] = "Input Too Low Error",
	[0x1d] = "Input Too High Warning",
	[0x1e] = "Input Too High Error",
	[0x1f] = "Input No Change Warning",
	[0x20] = "Input No Change Error",
	[0x21] = "Actuator Blocked Warning",
	[0x22] = "Actuator Blocked Error",
	[0x23] = "Housing Opened Warning",
	[0x24] = "Housing Opened Error",
	[0x25] = "Tamper Warning",
	[0x26] = "Tamper Error",
	[0x27] = "Device Moved Warning",
	[0x28] = "Device Moved Error",
	[0x29] = "Device Dropped Warning",
	[0x2a] = "Device Dropped Error",
	[0x2b] = "Overflow Warning",
	[0x2c] = "Overflow Error",
	[0x2d] = "Empty Warning",
	[0x2e] = "Empty Error",
	[0x2f] = "Internal Bus Warning",
	[0x30] = "Internal Bus Error",
	[0x31] = "Mechanism Jammed Warning",
	[0x32] = "Mechanism Jammed Error",
};

const char *mesh_health_fault_name(uint8_t code)
{
	if (code >= MESH_HEALTH_FAULT_VENDOR_FIRST)
		return "vendor-specific";
	if (code > MESH_HEALTH_FAULT_LAST_DEFINED)
		return "RFU";
	return fault_names[code];
}

bool mesh_health_fault_is_error(uint8_t code)
{
	return code >= 1 && code <= MESH_HEALTH_FAULT_LAST_DEFINED && code % 2 == 0;
}
