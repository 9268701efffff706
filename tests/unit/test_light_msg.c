/*
 * Light model messages (Mesh Model 6, 7.1): the bound-state conversions,
 * Lightness/CTL/HSL messages against their field tables, the one status
 * decoder a state cache uses, prohibited values and ranges, and the
 * request -> status / acked <-> unacked opcode maps.
 */
#include <string.h>

#include "mesh/err.h"
#include "mesh/light_msg.h"
#include "vectors.h"

static void test_lightness_linear(void **state)
{
	(void)state;
	assert_int_equal(mesh_lightness_actual_to_linear(0), 0);
	assert_int_equal(mesh_lightness_actual_to_linear(1), 1);        /* ceil */
	assert_int_equal(mesh_lightness_actual_to_linear(32768), 16385); /* 2^30/65535 = 16384.25 */
	assert_int_equal(mesh_lightness_actual_to_linear(65535), 65535);
	assert_int_equal(mesh_lightness_linear_to_actual(0), 0);
	assert_int_equal(mesh_lightness_linear_to_actual(1), 255);
	assert_int_equal(mesh_lightness_linear_to_actual(16384), 32767);
	assert_int_equal(mesh_lightness_linear_to_actual(65535), 65535);
	/* Round trip from Actual is exact where Linear steps are finer than
	 * Actual steps. */
	for (uint32_t a = 32768; a <= 65535; a += 37)
		assert_int_equal(mesh_lightness_linear_to_actual(
					 mesh_lightness_actual_to_linear((uint16_t)a)), a);
	/* And Linear -> Actual -> Linear never moves by more than the
	 * coarseness of Actual at that point. */
	for (uint32_t l = 0; l <= 65535; l += 101) {
		uint16_t a = mesh_lightness_linear_to_actual((uint16_t)l);

		assert_true(mesh_lightness_actual_to_linear(a) <= l);
		assert_true(mesh_lightness_actual_to_linear((uint16_t)(a + (a < 65535))) >= l);
	}
}

static void test_level_and_temperature(void **state)
{
	(void)state;
	assert_int_equal(mesh_lightness_to_level(0), -32768);
	assert_int_equal(mesh_lightness_to_level(65535), 32767);
	assert_int_equal(mesh_level_to_lightness(-32768), 0);
	assert_int_equal(mesh_level_to_lightness(0), 32768);

	assert_int_equal(mesh_ctl_temp_to_level(800, 800, 20000), -32768);
	assert_int_equal(mesh_ctl_temp_to_level(20000, 800, 20000), 32767);
	assert_int_equal(mesh_ctl_temp_to_level(10400, 800, 20000), 0);  /* 32767.5 rounds up */
	assert_int_equal(mesh_ctl_temp_to_level(100, 800, 20000), -32768); /* clamped */
	assert_int_equal(mesh_ctl_level_to_temp(-32768, 800, 20000), 800);
	assert_int_equal(mesh_ctl_level_to_temp(32767, 800, 20000), 20000);
	assert_int_equal(mesh_ctl_level_to_temp(0, 800, 20000), 10400);
	assert_int_equal(mesh_ctl_level_to_temp(5, 3000, 3000), 3000);
	for (uint32_t t = 2700; t <= 6500; t += 13)
		assert_int_equal(mesh_ctl_level_to_temp(mesh_ctl_temp_to_level((uint16_t)t, 2700,
									       6500),
							2700, 6500),
				 t);

	assert_int_equal(mesh_kelvin_to_mired(2700), 370);
	assert_int_equal(mesh_kelvin_to_mired(6500), 154);
	assert_int_equal(mesh_mired_to_kelvin(153), 6536);
	assert_int_equal(mesh_kelvin_to_mired(0), 0);
}

static void check_msg(const struct mesh_model_msg *m, const uint8_t *want, size_t want_len)
{
	uint8_t buf[32], again[32];
	struct mesh_model_msg back;
	int len = mesh_model_msg_encode(m, buf, sizeof(buf));

	assert_int_equal(len, (int)want_len);
	assert_bytes_equal(buf, want, want_len);
	assert_int_equal(mesh_model_msg_decode(buf, (size_t)len, &back), 0);
	assert_int_equal(mesh_model_msg_encode(&back, again, sizeof(again)), len);
	assert_bytes_equal(again, buf, (size_t)len);
}

static void test_lightness_messages(void **state)
{
	struct mesh_model_msg m = { .opcode = MESH_OP_LIGHTNESS_SET, .lightness = 0x1234,
				    .tid = 1, .has_transition = true, .transition = 0x0a };
	struct mesh_model_msg d;
	static const uint8_t set[] = { 0x82, 0x4c, 0x34, 0x12, 0x01, 0x0a, 0x00 };
	static const uint8_t range[] = { 0x82, 0x5b, 0x00, 0x01, 0x00, 0xff };
	static const uint8_t range_status[] = { 0x82, 0x58, 0x01, 0x00, 0x01, 0x00, 0xff };
	static const uint8_t range_zero[] = { 0x82, 0x5b, 0x00, 0x00, 0x00, 0xff };
	static const uint8_t range_inverted[] = { 0x82, 0x5c, 0x00, 0xff, 0x00, 0x01 };
	static const uint8_t last[] = { 0x82, 0x54, 0xff, 0xff };

	(void)state;
	check_msg(&m, set, sizeof(set));
	m = (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_RANGE_SET, .range_min = 0x0100,
				     .range_max = 0xff00 };
	check_msg(&m, range, sizeof(range));
	m = (struct mesh_model_msg){ .opcode = MESH_OP_LIGHTNESS_RANGE_STATUS, .status_code = 1,
				     .range_min = 0x0100, .range_max = 0xff00 };
	check_msg(&m, range_status, sizeof(range_status));
	assert_int_equal(mesh_model_msg_decode(range_zero, sizeof(range_zero), &d),
			 MESH_ERR_RESERVED);
	assert_int_equal(mesh_model_msg_decode(range_inverted, sizeof(range_inverted), &d),
			 MESH_ERR_RESERVED);
	assert_int_equal(mesh_model_status_decode(last, sizeof(last), &d), 0);
	assert_int_equal(d.opcode, MESH_OP_LIGHTNESS_LAST_STATUS);
	assert_int_equal(d.lightness, 0xffff);
	assert_false(d.has_target);
}

static void test_ctl_messages(void **state)
{
	struct mesh_model_msg m = { .opcode = MESH_OP_CTL_SET_UNACK, .lightness = 0x8000,
				    .temperature = 0x0a8c, .delta_uv = -1, .tid = 0x11 };
	struct mesh_model_msg d;
	uint8_t buf[16];
	static const uint8_t set[] = { 0x82, 0x5f, 0x00, 0x80, 0x8c, 0x0a, 0xff, 0xff, 0x11 };
	static const uint8_t status[] = { 0x82, 0x60, 0x00, 0x80, 0x8c, 0x0a,
					  0xff, 0xff, 0x20, 0x4e, 0x05 };
	static const uint8_t temp_low[] = { 0x82, 0x64, 0x1f, 0x03, 0x00, 0x00, 0x01 };
	static const uint8_t temp_range_bad[] = { 0x82, 0x6b, 0x00, 0x00, 0xff, 0xff };
	static const uint8_t temp_range_unknown[] = { 0x82, 0x63, 0x00, 0xff, 0xff, 0xff, 0xff };

	(void)state;
	check_msg(&m, set, sizeof(set));
	m = (struct mesh_model_msg){ .opcode = MESH_OP_CTL_STATUS, .lightness = 0x8000,
				     .temperature = 0x0a8c, .target_lightness = 0xffff,
				     .target_temperature = 0x4e20, .has_target = true,
				     .remaining = 5 };
	check_msg(&m, status, sizeof(status));
	assert_int_equal(mesh_model_status_decode(status, sizeof(status), &d), 0);
	assert_int_equal(d.target_temperature, 20000);
	assert_int_equal(d.remaining, 5);
	/* 799 K is below the CTL Temperature range. */
	assert_int_equal(mesh_model_msg_decode(temp_low, sizeof(temp_low), &d), MESH_ERR_RESERVED);
	m = (struct mesh_model_msg){ .opcode = MESH_OP_CTL_TEMP_SET, .temperature = 0x4e21 };
	assert_int_equal(mesh_model_msg_encode(&m, buf, sizeof(buf)), MESH_ERR_RESERVED);
	/* Out-of-range bounds reach the server (it answers Cannot Set). */
	assert_int_equal(mesh_model_msg_decode(temp_range_bad, sizeof(temp_range_bad), &d), 0);
	assert_int_equal(mesh_model_status_decode(temp_range_unknown,
						  sizeof(temp_range_unknown), &d), 0);
	assert_int_equal(d.range_min, MESH_LIGHT_TEMP_UNKNOWN);
}

static void test_hsl_messages(void **state)
{
	struct mesh_model_msg m = { .opcode = MESH_OP_HSL_SET, .lightness = 1, .hue = 2,
				    .saturation = 3, .tid = 4 };
	struct mesh_model_msg d;
	static const uint8_t set[] = { 0x82, 0x76, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04 };
	static const uint8_t status[] = { 0x82, 0x78, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x41 };
	static const uint8_t target[] = { 0x82, 0x7a, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00 };
	static const uint8_t hue[] = { 0x82, 0x71, 0x00, 0x40, 0x00, 0x80, 0x02 };
	static const uint8_t range_bad[] = { 0x82, 0x81, 0, 0, 0xff, 0xff, 0x10, 0, 0x0f, 0 };

	(void)state;
	check_msg(&m, set, sizeof(set));
	m = (struct mesh_model_msg){ .opcode = MESH_OP_HSL_STATUS, .lightness = 1, .hue = 2,
				     .saturation = 3, .has_remaining = true, .remaining = 0x41 };
	check_msg(&m, status, sizeof(status));
	assert_int_equal(mesh_model_status_decode(status, sizeof(status), &d), 0);
	assert_true(d.has_remaining);
	assert_false(d.has_target);
	assert_int_equal(mesh_model_status_decode(target, sizeof(target), &d), 0);
	assert_int_equal(d.target_hue, 2);
	assert_false(d.has_remaining);
	assert_int_equal(mesh_model_status_decode(hue, sizeof(hue), &d), 0);
	assert_int_equal(d.hue, 0x4000);
	assert_int_equal(d.target_hue, 0x8000);
	assert_int_equal(mesh_model_msg_decode(range_bad, sizeof(range_bad), &d),
			 MESH_ERR_RESERVED);
}

/* Every status opcode decodes through the one call, with and without its
 * optional group; requests do not. */
static void test_status_decoder(void **state)
{
	uint8_t buf[32];
	struct mesh_model_msg d;
	unsigned int statuses = 0;

	(void)state;
	for (uint32_t op = 0x8200; op <= 0x82ff; op++) {
		const struct mesh_model_layout *l = mesh_model_layout(op);
		struct mesh_model_msg m = { .opcode = op, .temperature = 3000, .target_temperature = 3000,
					    .range_min = 1, .range_max = 2, .sat_range_max = 1,
					    .has_target = true, .has_remaining = true };
		int len;

		if (!l)
			continue;
		len = mesh_model_msg_encode(&m, buf, sizeof(buf));
		assert_true(len >= 2);
		if (l->kind != MESH_MSG_STATUS) {
			assert_false(mesh_model_is_status(op));
			assert_int_equal(mesh_model_status_decode(buf, (size_t)len, &d),
					 MESH_ERR_UNKNOWN_OPCODE);
			continue;
		}
		statuses++;
		assert_true(mesh_model_is_status(op));
		assert_int_equal(mesh_model_status_decode(buf, (size_t)len, &d), 0);
		assert_int_equal(d.opcode, op);
		assert_int_equal(d.has_remaining, l->opt == MESH_OPT_TARGET ||
						  l->opt == MESH_OPT_REMAINING);
	}
	/* Generic: OnOff, Level, DTT; Lightness: 5; CTL: 4; HSL: 6. */
	assert_int_equal(statuses, 3 + 5 + 4 + 6);
}

static void test_opcode_maps(void **state)
{
	(void)state;
	assert_int_equal(mesh_model_status_opcode(MESH_OP_GEN_ONOFF_SET), MESH_OP_GEN_ONOFF_STATUS);
	assert_int_equal(mesh_model_status_opcode(MESH_OP_GEN_MOVE_SET), MESH_OP_GEN_LEVEL_STATUS);
	assert_int_equal(mesh_model_status_opcode(MESH_OP_CTL_TEMP_RANGE_SET),
			 MESH_OP_CTL_TEMP_RANGE_STATUS);
	assert_int_equal(mesh_model_status_opcode(MESH_OP_HSL_TARGET_GET),
			 MESH_OP_HSL_TARGET_STATUS);
	assert_int_equal(mesh_model_status_opcode(MESH_OP_HSL_SAT_SET_UNACK), 0);
	assert_int_equal(mesh_model_status_opcode(MESH_OP_LIGHTNESS_STATUS), 0);
	assert_int_equal(mesh_model_unack_opcode(MESH_OP_LIGHTNESS_DEFAULT_SET),
			 MESH_OP_LIGHTNESS_DEFAULT_SET_UNACK);
	assert_int_equal(mesh_model_unack_opcode(MESH_OP_GEN_ONOFF_SET_UNACK),
			 MESH_OP_GEN_ONOFF_SET_UNACK);
	assert_int_equal(mesh_model_unack_opcode(MESH_OP_GEN_ONOFF_GET), 0);
	assert_int_equal(mesh_model_ack_opcode(MESH_OP_HSL_RANGE_SET_UNACK), MESH_OP_HSL_RANGE_SET);
	assert_int_equal(mesh_model_ack_opcode(MESH_OP_HSL_STATUS), 0);
	assert_true(mesh_model_has_tid(MESH_OP_GEN_DELTA_SET_UNACK));
	assert_true(mesh_model_has_tid(MESH_OP_HSL_HUE_SET));
	assert_false(mesh_model_has_tid(MESH_OP_GEN_DTT_SET));
	assert_false(mesh_model_has_tid(MESH_OP_CTL_DEFAULT_SET));
	assert_false(mesh_model_has_tid(0x1234));
	/* Every Set pairs with an unacknowledged form and back. */
	for (uint32_t op = 0x8200; op <= 0x82ff; op++) {
		const struct mesh_model_layout *l = mesh_model_layout(op);

		if (!l || l->kind != MESH_MSG_SET)
			continue;
		assert_int_not_equal(l->status, 0);
		assert_int_equal(mesh_model_ack_opcode(mesh_model_unack_opcode(op)), op);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lightness_linear),
		cmocka_unit_test(test_level_and_temperature),
		cmocka_unit_test(test_lightness_messages),
		cmocka_unit_test(test_ctl_messages),
		cmocka_unit_test(test_hsl_messages),
		cmocka_unit_test(test_status_decoder),
		cmocka_unit_test(test_opcode_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
