/*
 * Health messages (mesh/health_msg.h): Current/Fault Status with and
 * without faults, the fixed-size requests at, below and above their
 * length, the prohibited Fast Period Divisors, and fault code names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/err.h"
#include "mesh/health_msg.h"

static void test_fault_status(void **state)
{
	/* Test ID 0, company 0x05f1, Battery Low Warning and Overheat Error. */
	static const uint8_t want[] = { 0x00, 0xf1, 0x05, 0x01, 0x0e };
	struct mesh_health_fault_status st = { .test_id = 0, .company = 0x05f1, .n_faults = 2,
					       .faults = { 0x01, 0x0e } };
	struct mesh_health_fault_status back;
	uint8_t buf[MESH_ACCESS_MAX_PAYLOAD];

	(void)state;
	assert_int_equal(mesh_health_fault_status_encode(&st, buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(mesh_health_fault_status_decode(want, sizeof(want), &back), 0);
	assert_int_equal(back.test_id, 0);
	assert_int_equal(back.company, 0x05f1);
	assert_int_equal(back.n_faults, 2);
	assert_memory_equal(back.faults, st.faults, 2);

	/* No faults: the three fixed octets. */
	assert_int_equal(mesh_health_fault_status_decode(want, 3, &back), 0);
	assert_int_equal(back.n_faults, 0);
	assert_int_equal(mesh_health_fault_status_decode(want, 2, &back), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_health_fault_status_decode(want, 0, &back), MESH_ERR_TRUNCATED);

	/* The most faults one message can carry, and one more. */
	memset(buf, 0x80, sizeof(buf));
	assert_int_equal(mesh_health_fault_status_decode(buf, 3 + MESH_HEALTH_FAULTS_MAX, &back), 0);
	assert_int_equal(back.n_faults, MESH_HEALTH_FAULTS_MAX);
	assert_int_equal(mesh_health_fault_status_decode(buf, 4 + MESH_HEALTH_FAULTS_MAX, &back),
			 MESH_ERR_OVERSIZED);
	st.n_faults = MESH_HEALTH_FAULTS_MAX + 1;
	assert_int_equal(mesh_health_fault_status_encode(&st, buf, sizeof(buf)), MESH_ERR_INVAL);
	st.n_faults = 2;
	assert_int_equal(mesh_health_fault_status_encode(&st, buf, 4), MESH_ERR_OVERSIZED);
}

static void test_requests(void **state)
{
	static const uint8_t p[] = { 0x07, 0xf1, 0x05, 0x99 };
	uint8_t buf[4], test_id, v;
	uint16_t cid;

	(void)state;
	/* Fault Get / Clear: a Company ID. */
	assert_int_equal(mesh_health_company_decode(p + 1, 2, &cid), 0);
	assert_int_equal(cid, 0x05f1);
	assert_int_equal(mesh_health_company_decode(p + 1, 1, &cid), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_health_company_decode(p + 1, 3, &cid), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_health_company_encode(0x05f1, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, p + 1, 2);
	assert_int_equal(mesh_health_company_encode(0x05f1, buf, 1), MESH_ERR_OVERSIZED);

	/* Fault Test: Test ID and Company ID. */
	assert_int_equal(mesh_health_fault_test_decode(p, 3, &test_id, &cid), 0);
	assert_int_equal(test_id, 7);
	assert_int_equal(cid, 0x05f1);
	assert_int_equal(mesh_health_fault_test_decode(p, 2, &test_id, &cid), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_health_fault_test_decode(p, 4, &test_id, &cid), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_health_fault_test_encode(7, 0x05f1, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, p, 3);

	/* Period: 0..15, the rest prohibited. */
	for (unsigned int d = 0; d < 256; d++) {
		uint8_t octet = (uint8_t)d;
		int rc = mesh_health_period_decode(&octet, 1, &v);

		if (d <= MESH_HEALTH_PERIOD_DIVISOR_MAX) {
			assert_int_equal(rc, 0);
			assert_int_equal(v, d);
			assert_int_equal(mesh_health_period_encode(octet, buf, 1), 1);
			assert_int_equal(buf[0], d);
		} else {
			assert_int_equal(rc, MESH_ERR_RESERVED);
			assert_int_equal(mesh_health_period_encode(octet, buf, 1), MESH_ERR_INVAL);
		}
	}
	assert_int_equal(mesh_health_period_decode(p, 0, &v), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_health_period_decode(p, 2, &v), MESH_ERR_OVERSIZED);

	/* Attention: any number of seconds. */
	assert_int_equal(mesh_health_attention_decode(p + 3, 1, &v), 0);
	assert_int_equal(v, 0x99);
	assert_int_equal(mesh_health_attention_decode(p, 2, &v), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_health_attention_decode(p, 0, &v), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_health_attention_encode(5, buf, 1), 1);
	assert_int_equal(buf[0], 5);
	assert_int_equal(mesh_health_attention_encode(5, buf, 0), MESH_ERR_OVERSIZED);
}

static void test_fault_names(void **state)
{
	(void)state;
	assert_string_equal(mesh_health_fault_name(0x00), "No Fault");
	assert_string_equal(mesh_health_fault_name(0x01), "Battery Low Warning");
	assert_string_equal(mesh_health_fault_name(0x02), "Battery Low Error");
	assert_string_equal(mesh_health_fault_name(0x0e), "Overheat Error");
	assert_string_equal(mesh_health_fault_name(0x1a), "Self-Test Error");
	assert_string_equal(mesh_health_fault_name(0x31), "Mechanism Jammed Warning");
	assert_string_equal(mesh_health_fault_name(0x32), "Mechanism Jammed Error");
	assert_string_equal(mesh_health_fault_name(0x33), "RFU");
	assert_string_equal(mesh_health_fault_name(0x7f), "RFU");
	assert_string_equal(mesh_health_fault_name(0x80), "vendor-specific");
	assert_string_equal(mesh_health_fault_name(0xff), "vendor-specific");
	for (unsigned int c = 1; c <= MESH_HEALTH_FAULT_LAST_DEFINED; c++) {
		const char *n = mesh_health_fault_name((uint8_t)c);
		const char *suffix = c % 2 ? " Warning" : " Error";

		assert_non_null(n);
		assert_true(strlen(n) > strlen(suffix));
		assert_string_equal(n + strlen(n) - strlen(suffix), suffix);
		assert_int_equal(mesh_health_fault_is_error((uint8_t)c), c % 2 == 0);
	}
	assert_false(mesh_health_fault_is_error(0));
	assert_false(mesh_health_fault_is_error(0x34));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_status),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_fault_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
