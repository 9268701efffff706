/*
 * Generic model messages (Mesh Model 3, 7.1): Transition Time and Delay
 * coding at every resolution boundary, every generic message encoded to
 * the octets the spec's field tables give and decoded back, optional
 * groups present or absent, every wrong length and every prohibited value.
 */
#include <string.h>

#include "mesh/err.h"
#include "mesh/generic_msg.h"
#include "vectors.h"

static void test_transition_encode(void **state)
{
	(void)state;
	assert_int_equal(mesh_transition_encode(0), 0x00);
	assert_int_equal(mesh_transition_encode(1), 0x01);      /* never an instant */
	assert_int_equal(mesh_transition_encode(100), 0x01);
	assert_int_equal(mesh_transition_encode(149), 0x01);
	assert_int_equal(mesh_transition_encode(150), 0x02);    /* nearest step */
	assert_int_equal(mesh_transition_encode(6200), 0x3e);   /* 62 x 100 ms */
	assert_int_equal(mesh_transition_encode(6249), 0x3e);
	assert_int_equal(mesh_transition_encode(6250), 0x40 | 6);
	assert_int_equal(mesh_transition_encode(62000), 0x40 | 0x3e);
	assert_int_equal(mesh_transition_encode(62500), 0x80 | 6);
	assert_int_equal(mesh_transition_encode(620000), 0x80 | 0x3e);
	assert_int_equal(mesh_transition_encode(625000), 0xc0 | 1);
	assert_int_equal(mesh_transition_encode(MESH_TRANSITION_MS_MAX), 0xfe);
	assert_int_equal(mesh_transition_encode(MESH_TRANSITION_MS_MAX + 300000),
			 MESH_TRANSITION_UNKNOWN);
	assert_int_equal(mesh_transition_encode(UINT32_MAX), MESH_TRANSITION_UNKNOWN);
}

static void test_transition_decode(void **state)
{
	(void)state;
	assert_int_equal(mesh_transition_ms(0x00), 0);
	assert_int_equal(mesh_transition_ms(0x0a), 1000);
	assert_int_equal(mesh_transition_ms(0x41), 1000);
	assert_int_equal(mesh_transition_ms(0x82), 20000);
	assert_int_equal(mesh_transition_ms(0xc3), 1800000);
	assert_int_equal(mesh_transition_ms(0x3f), MESH_TRANSITION_MS_UNKNOWN);
	assert_int_equal(mesh_transition_ms(0xff), MESH_TRANSITION_MS_UNKNOWN);
	assert_false(mesh_transition_known(0x7f));
	assert_true(mesh_transition_known(0x7e));
	/* Every encodable value decodes to a duration that encodes the same. */
	for (unsigned int tt = 0; tt < 256; tt++) {
		if (!mesh_transition_known((uint8_t)tt) || (tt & 0x3f) == 0)
			continue;
		uint32_t ms = mesh_transition_ms((uint8_t)tt);
		uint8_t again = mesh_transition_encode(ms);

		assert_int_equal(mesh_transition_ms(again), ms);
	}
}

static void test_delay(void **state)
{
	(void)state;
	assert_int_equal(mesh_delay_encode(0), 0);
	assert_int_equal(mesh_delay_encode(2), 0);
	assert_int_equal(mesh_delay_encode(3), 1);
	assert_int_equal(mesh_delay_encode(100), 20);
	assert_int_equal(mesh_delay_encode(1275), 255);
	assert_int_equal(mesh_delay_encode(5000), 255);
	assert_int_equal(mesh_delay_ms(20), 100);
}

/* Encode m, compare with want, decode back and encode again. */
static void check_msg(const struct mesh_model_msg *m, const uint8_t *want, size_t want_len)
{
	uint8_t buf[32], again[32];
	struct mesh_model_msg back;
	int len = mesh_generic_msg_encode(m, buf, sizeof(buf));

	assert_int_equal(len, (int)want_len);
	assert_bytes_equal(buf, want, want_len);
	assert_int_equal(mesh_generic_msg_decode(buf, (size_t)len, &back), 0);
	assert_int_equal(back.opcode, m->opcode);
	assert_int_equal(mesh_generic_msg_encode(&back, again, sizeof(again)), len);
	assert_bytes_equal(again, buf, (size_t)len);
	/* One octet short of the buffer it needs. */
	assert_int_equal(mesh_generic_msg_encode(m, buf, want_len - 1), MESH_ERR_OVERSIZED);
}

static void test_onoff(void **state)
{
	struct mesh_model_msg m = { .opcode = MESH_OP_GEN_ONOFF_SET, .onoff = 1, .tid = 0x42 };
	struct mesh_model_msg d;
	static const uint8_t set[] = { 0x82, 0x02, 0x01, 0x42 };
	static const uint8_t set_tr[] = { 0x82, 0x02, 0x01, 0x42, 0x45, 0x14 };
	static const uint8_t status[] = { 0x82, 0x04, 0x00 };
	static const uint8_t status_t[] = { 0x82, 0x04, 0x00, 0x01, 0x0a };
	static const uint8_t get[] = { 0x82, 0x01 };

	(void)state;
	check_msg(&m, set, sizeof(set));
	m.has_transition = true;
	m.transition = 0x45;
	m.delay = 0x14;
	check_msg(&m, set_tr, sizeof(set_tr));
	assert_int_equal(mesh_generic_msg_decode(set_tr, sizeof(set_tr), &d), 0);
	assert_true(d.has_transition);
	assert_int_equal(d.onoff, 1);
	assert_int_equal(d.tid, 0x42);
	assert_int_equal(mesh_transition_ms(d.transition), 5000);
	assert_int_equal(mesh_delay_ms(d.delay), 100);

	m = (struct mesh_model_msg){ .opcode = MESH_OP_GEN_ONOFF_STATUS };
	check_msg(&m, status, sizeof(status));
	m.has_target = true;
	m.target_onoff = 1;
	m.remaining = 0x0a;
	check_msg(&m, status_t, sizeof(status_t));
	assert_int_equal(mesh_generic_msg_decode(status_t, sizeof(status_t), &d), 0);
	assert_true(d.has_target && d.has_remaining);
	assert_int_equal(d.target_onoff, 1);

	m = (struct mesh_model_msg){ .opcode = MESH_OP_GEN_ONOFF_GET };
	check_msg(&m, get, sizeof(get));
}

static void test_level(void **state)
{
	struct mesh_model_msg m = { .opcode = MESH_OP_GEN_LEVEL_SET_UNACK, .level = -2, .tid = 7 };
	struct mesh_model_msg d;
	static const uint8_t set[] = { 0x82, 0x07, 0xfe, 0xff, 0x07 };
	static const uint8_t delta[] = { 0x82, 0x09, 0x00, 0x00, 0xff, 0xff, 0x09, 0x41, 0x00 };
	static const uint8_t move[] = { 0x82, 0x0c, 0x00, 0x01, 0x03 };
	static const uint8_t status[] = { 0x82, 0x08, 0x00, 0x80, 0xff, 0x7f, 0x3f };

	(void)state;
	check_msg(&m, set, sizeof(set));
	m = (struct mesh_model_msg){ .opcode = MESH_OP_GEN_DELTA_SET, .delta = -65536, .tid = 9,
				     .has_transition = true, .transition = 0x41 };
	check_msg(&m, delta, sizeof(delta));
	assert_int_equal(mesh_generic_msg_decode(delta, sizeof(delta), &d), 0);
	assert_int_equal(d.delta, -65536);
	m = (struct mesh_model_msg){ .opcode = MESH_OP_GEN_MOVE_SET_UNACK, .move_delta = 256,
				     .tid = 3 };
	check_msg(&m, move, sizeof(move));
	m = (struct mesh_model_msg){ .opcode = MESH_OP_GEN_LEVEL_STATUS, .level = INT16_MIN,
				     .target_level = INT16_MAX, .has_target = true,
				     .remaining = MESH_TRANSITION_UNKNOWN };
	check_msg(&m, status, sizeof(status));
	assert_int_equal(mesh_generic_msg_decode(status, sizeof(status), &d), 0);
	assert_int_equal(d.level, INT16_MIN);
	assert_int_equal(d.target_level, INT16_MAX);
	assert_int_equal(d.remaining, 0x3f);    /* unknown is fine in a Status */
}

static void test_dtt(void **state)
{
	struct mesh_model_msg m = { .opcode = MESH_OP_GEN_DTT_SET, .dtt = 0x4a };
	struct mesh_model_msg d;
	uint8_t buf[8];
	static const uint8_t set[] = { 0x82, 0x0e, 0x4a };
	static const uint8_t status[] = { 0x82, 0x10, 0x4a };
	static const uint8_t unknown[] = { 0x82, 0x0f, 0xbf };

	(void)state;
	check_msg(&m, set, sizeof(set));
	m.opcode = MESH_OP_GEN_DTT_STATUS;
	check_msg(&m, status, sizeof(status));
	assert_int_equal(mesh_generic_msg_decode(unknown, sizeof(unknown), &d), MESH_ERR_RESERVED);
	m.opcode = MESH_OP_GEN_DTT_SET;
	m.dtt = 0x3f;
	assert_int_equal(mesh_generic_msg_encode(&m, buf, sizeof(buf)), MESH_ERR_RESERVED);
}

static void test_lengths(void **state)
{
	struct mesh_model_msg d;
	/* OnOff Set: 2 or 4 parameter octets; 3 is neither. */
	static const uint8_t short_set[] = { 0x82, 0x02, 0x01 };
	static const uint8_t half_opt[] = { 0x82, 0x02, 0x01, 0x00, 0x05 };
	static const uint8_t long_set[] = { 0x82, 0x02, 0x01, 0x00, 0x05, 0x00, 0x00 };
	static const uint8_t get_extra[] = { 0x82, 0x01, 0x00 };
	static const uint8_t status_2[] = { 0x82, 0x04, 0x01, 0x01 };
	static const uint8_t level_3[] = { 0x82, 0x08, 0x01, 0x02, 0x03 };
	static const uint8_t not_generic[] = { 0x80, 0x08 };
	static const uint8_t cut_opcode[] = { 0x82 };

	(void)state;
	assert_int_equal(mesh_generic_msg_decode(short_set, sizeof(short_set), &d),
			 MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_generic_msg_decode(half_opt, sizeof(half_opt), &d),
			 MESH_ERR_MALFORMED);
	assert_int_equal(mesh_generic_msg_decode(long_set, sizeof(long_set), &d),
			 MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_generic_msg_decode(get_extra, sizeof(get_extra), &d),
			 MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_generic_msg_decode(status_2, sizeof(status_2), &d),
			 MESH_ERR_MALFORMED);
	assert_int_equal(mesh_generic_msg_decode(level_3, sizeof(level_3), &d),
			 MESH_ERR_MALFORMED);
	assert_int_equal(mesh_generic_msg_decode(not_generic, sizeof(not_generic), &d),
			 MESH_ERR_UNKNOWN_OPCODE);
	assert_int_equal(mesh_generic_msg_decode(cut_opcode, sizeof(cut_opcode), &d),
			 MESH_ERR_OPCODE);
	assert_int_equal(mesh_generic_msg_decode(cut_opcode, 0, &d), MESH_ERR_TRUNCATED);
}

static void test_prohibited(void **state)
{
	struct mesh_model_msg d, m;
	uint8_t buf[16];
	static const uint8_t onoff2[] = { 0x82, 0x03, 0x02, 0x00 };
	static const uint8_t status_target2[] = { 0x82, 0x04, 0x00, 0x02, 0x00 };
	static const uint8_t steps3f[] = { 0x82, 0x02, 0x01, 0x00, 0x7f, 0x00 };
	static const uint8_t level_steps3f[] = { 0x82, 0x06, 0x00, 0x00, 0x01, 0x3f, 0x00 };

	(void)state;
	assert_int_equal(mesh_generic_msg_decode(onoff2, sizeof(onoff2), &d), MESH_ERR_RESERVED);
	assert_int_equal(mesh_generic_msg_decode(status_target2, sizeof(status_target2), &d),
			 MESH_ERR_RESERVED);
	assert_int_equal(mesh_generic_msg_decode(steps3f, sizeof(steps3f), &d), MESH_ERR_RESERVED);
	assert_int_equal(mesh_generic_msg_decode(level_steps3f, sizeof(level_steps3f), &d),
			 MESH_ERR_RESERVED);

	m = (struct mesh_model_msg){ .opcode = MESH_OP_GEN_ONOFF_SET, .onoff = 2 };
	assert_int_equal(mesh_generic_msg_encode(&m, buf, sizeof(buf)), MESH_ERR_RESERVED);
	m.onoff = 1;
	m.has_transition = true;
	m.transition = mesh_transition_encode(UINT32_MAX);
	assert_int_equal(mesh_generic_msg_encode(&m, buf, sizeof(buf)), MESH_ERR_RESERVED);
	/* Without the optional group the field is not sent, so not checked. */
	m.has_transition = false;
	assert_int_equal(mesh_generic_msg_encode(&m, buf, sizeof(buf)), 4);
	m.opcode = 0x8240;   /* a light opcode is not generic */
	assert_int_equal(mesh_generic_msg_encode(&m, buf, sizeof(buf)), MESH_ERR_UNKNOWN_OPCODE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_encode),
		cmocka_unit_test(test_transition_decode),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_onoff),
		cmocka_unit_test(test_level),
		cmocka_unit_test(test_dtt),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_prohibited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
