/*
 * Health messages (Mesh Profile 4.3.2, Health Server/Client 4.4.3/4.4.4):
 * the fault states a node reports about itself, its fast publication
 * period divisor and its attention timer.
 *
 * Parameters only (what follows the opcode), as in sensor_msg.h. Decoders
 * check exact lengths and the one prohibited range (Fast Period Divisor
 * 16..255); they never read past len.
 */
#ifndef MESH_HEALTH_MSG_H
#define MESH_HEALTH_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "transport.h"

#define MESH_MODEL_HEALTH_SRV 0x0002
#define MESH_MODEL_HEALTH_CLI 0x0003

#define MESH_OP_HEALTH_CURRENT_STATUS MESH_OP_1(0x04)
#define MESH_OP_HEALTH_FAULT_STATUS MESH_OP_1(0x05)
#define MESH_OP_HEALTH_ATTENTION_GET MESH_OP_2(0x80, 0x04)
#define MESH_OP_HEALTH_ATTENTION_SET MESH_OP_2(0x80, 0x05)
#define MESH_OP_HEALTH_ATTENTION_SET_UNACK MESH_OP_2(0x80, 0x06)
#define MESH_OP_HEALTH_ATTENTION_STATUS MESH_OP_2(0x80, 0x07)
#define MESH_OP_HEALTH_FAULT_CLEAR MESH_OP_2(0x80, 0x2f)
#define MESH_OP_HEALTH_FAULT_CLEAR_UNACK MESH_OP_2(0x80, 0x30)
#define MESH_OP_HEALTH_FAULT_GET MESH_OP_2(0x80, 0x31)
#define MESH_OP_HEALTH_FAULT_TEST MESH_OP_2(0x80, 0x32)
#define MESH_OP_HEALTH_FAULT_TEST_UNACK MESH_OP_2(0x80, 0x33)
#define MESH_OP_HEALTH_PERIOD_GET MESH_OP_2(0x80, 0x34)
#define MESH_OP_HEALTH_PERIOD_SET MESH_OP_2(0x80, 0x35)
#define MESH_OP_HEALTH_PERIOD_SET_UNACK MESH_OP_2(0x80, 0x36)
#define MESH_OP_HEALTH_PERIOD_STATUS MESH_OP_2(0x80, 0x37)

/* Fast Period Divisor: publish every period / 2^divisor while a fault is
 * registered; 16..255 are prohibited. */
#define MESH_HEALTH_PERIOD_DIVISOR_MAX 15

/* Test ID, Company ID, Fault Array. The faults a Current/Fault Status can
 * hold: the rest of the longest access message after a 1-octet opcode. */
#define MESH_HEALTH_FAULT_STATUS_MIN 3
#define MESH_HEALTH_FAULTS_MAX (MESH_ACCESS_MAX_PAYLOAD - 1 - MESH_HEALTH_FAULT_STATUS_MIN)

/* Fault codes (Mesh Profile 4.2.16.2 / Assigned Numbers); 0x33..0x7f are
 * RFU, 0x80..0xff vendor-specific. */
#define MESH_HEALTH_FAULT_NONE 0x00
#define MESH_HEALTH_FAULT_BATTERY_LOW_WARNING 0x01
#define MESH_HEALTH_FAULT_BATTERY_LOW_ERROR 0x02
#define MESH_HEALTH_FAULT_OVERHEAT_WARNING 0x0d
#define MESH_HEALTH_FAULT_OVERHEAT_ERROR 0x0e
#define MESH_HEALTH_FAULT_SELF_TEST_WARNING 0x19
#define MESH_HEALTH_FAULT_SELF_TEST_ERROR 0x1a
#define MESH_HEALTH_FAULT_LAST_DEFINED 0x32
#define MESH_HEALTH_FAULT_VENDOR_FIRST 0x80

/* Health Current Status and Health Fault Status. */
struct mesh_health_fault_status {
	uint8_t test_id;
	uint16_t company;
	size_t n_faults;
	uint8_t faults[MESH_HEALTH_FAULTS_MAX];
};

/* At least 3 octets (MESH_ERR_TRUNCATED), at most 3 +
 * MESH_HEALTH_FAULTS_MAX (MESH_ERR_OVERSIZED). */
int mesh_health_fault_status_decode(const uint8_t *p, size_t len,
				    struct mesh_health_fault_status *out);
/* Returns the length, MESH_ERR_INVAL (too many faults) or
 * MESH_ERR_OVERSIZED (max). */
int mesh_health_fault_status_encode(const struct mesh_health_fault_status *st, uint8_t *out,
				    size_t max);

/* Fault Get, Fault Clear (+ Unack): a Company ID, exactly 2 octets. */
int mesh_health_company_decode(const uint8_t *p, size_t len, uint16_t *company);
int mesh_health_company_encode(uint16_t company, uint8_t *out, size_t max);

/* Fault Test (+ Unack): Test ID and Company ID, exactly 3 octets. */
int mesh_health_fault_test_decode(const uint8_t *p, size_t len, uint8_t *test_id,
				  uint16_t *company);
int mesh_health_fault_test_encode(uint8_t test_id, uint16_t company, uint8_t *out, size_t max);

/* Period Set (+ Unack) / Status: exactly 1 octet, MESH_ERR_RESERVED above
 * MESH_HEALTH_PERIOD_DIVISOR_MAX (decode), MESH_ERR_INVAL (encode). */
int mesh_health_period_decode(const uint8_t *p, size_t len, uint8_t *divisor);
int mesh_health_period_encode(uint8_t divisor, uint8_t *out, size_t max);

/* Attention Set (+ Unack) / Status: seconds left, exactly 1 octet (0: off). */
int mesh_health_attention_decode(const uint8_t *p, size_t len, uint8_t *seconds);
int mesh_health_attention_encode(uint8_t seconds, uint8_t *out, size_t max);

/* "Battery Low Warning", "vendor-specific", "RFU", never NULL. */
const char *mesh_health_fault_name(uint8_t code);
/* Odd codes 0x01..0x31 are warnings, even ones 0x02..0x32 errors. */
bool mesh_health_fault_is_error(uint8_t code);

#endif
