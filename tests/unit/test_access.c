/*
 * Access layer tests: opcode coding against the access payloads of the
 * specification's sample messages (8.3), payload limits, model IDs, and the
 * registry's routing rules (unicast, groups, fixed groups, virtual
 * addresses, key bindings, parameter lengths).
 */
#include <stdio.h>
#include <string.h>

#include "mesh/access.h"
#include "mesh/bytes.h"
#include "mesh/crypto.h"
#include "mesh/err.h"
#include "vectors.h"

/* --- Opcodes ------------------------------------------------------------ */

static void check_opcode(uint32_t op, const char *hex, int len)
{
	uint8_t buf[4];
	char out[MESH_OPCODE_HEX_LEN];
	uint32_t back = 0xffffffff;

	assert_int_equal(mesh_access_opcode_len(op), len);
	assert_int_equal(mesh_access_opcode_encode(op, buf, sizeof(buf)), len);
	assert_int_equal(mesh_access_opcode_encode(op, buf, (size_t)len - 1), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_access_opcode_decode(buf, (size_t)len, &back), len);
	assert_int_equal(back, op);
	assert_int_equal(mesh_access_opcode_hex(op, out), len);
	assert_string_equal(out, hex);
	assert_int_equal(mesh_access_opcode_from_hex(hex, &back), len);
	assert_int_equal(back, op);
}

static void test_opcode_forms(void **state)
{
	char out[MESH_OPCODE_HEX_LEN];
	uint32_t op;

	(void)state;
	check_opcode(MESH_OP_1(0x00), "00", 1);
	check_opcode(0x04, "04", 1);
	check_opcode(0x7e, "7e", 1);
	check_opcode(0x8003, "8003", 2);
	check_opcode(MESH_OP_2(0x82, 0x01), "8201", 2);
	check_opcode(0x8000, "8000", 2);
	check_opcode(0xbfff, "bfff", 2);
	check_opcode(MESH_OP_VENDOR(0x15, 0x000a), "d50a00", 3);
	check_opcode(MESH_OP_VENDOR(0x2a, 0x000a), "ea0a00", 3);
	check_opcode(MESH_OP_VENDOR(0x3f, 0xfeed), "ffedfe", 3);
	assert_int_equal(MESH_OP_VENDOR(0x15, 0x000a), 0xd5000a);

	/* Values that are not opcodes. */
	const uint32_t bad[] = { 0x7f, 0x80, 0xff, 0x7fff, 0xc000, 0xbfffff, 0x1000000, 0xffffffff };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t buf[4];

		assert_int_equal(mesh_access_opcode_len(bad[i]), MESH_ERR_OPCODE);
		assert_int_equal(mesh_access_opcode_encode(bad[i], buf, 4), MESH_ERR_OPCODE);
		assert_int_equal(mesh_access_opcode_hex(bad[i], out), MESH_ERR_OPCODE);
		assert_string_equal(out, "");
	}

	/* Hex that is not exactly one opcode. */
	assert_int_equal(mesh_access_opcode_from_hex("7f", &op), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_opcode_from_hex("", &op), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_opcode_from_hex("82", &op), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_opcode_from_hex("d50a", &op), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_opcode_from_hex("0401", &op), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_opcode_from_hex("82010000", &op), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_opcode_from_hex("zz", &op), MESH_ERR_INVAL);
	assert_int_equal(mesh_access_opcode_from_hex("8", &op), MESH_ERR_INVAL);
	assert_int_equal(mesh_access_opcode_from_hex("D50A00", &op), 3);
	assert_int_equal(op, 0xd5000a);
}

static void test_opcode_malformed(void **state)
{
	const uint8_t rfu[] = { 0x7f, 0x00, 0x00 };
	const uint8_t two[] = { 0x82, 0x01 };
	const uint8_t three[] = { 0xd5, 0x0a, 0x00 };
	uint8_t big[MESH_ACCESS_MAX_PAYLOAD + 1] = { 0 };
	struct mesh_access_pdu pdu;
	uint32_t op;

	(void)state;
	assert_int_equal(mesh_access_opcode_decode(rfu, sizeof(rfu), &op), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_parse(rfu, 1, &pdu), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_parse(two, 0, &pdu), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_access_parse(two, 1, &pdu), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_parse(three, 1, &pdu), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_parse(three, 2, &pdu), MESH_ERR_OPCODE);

	/* An opcode with no parameters is a whole message. */
	assert_int_equal(mesh_access_parse(two, 2, &pdu), 0);
	assert_int_equal(pdu.opcode, 0x8201);
	assert_int_equal(pdu.opcode_len, 2);
	assert_int_equal(pdu.params_len, 0);
	assert_int_equal(mesh_access_parse(three, 3, &pdu), 0);
	assert_int_equal(pdu.opcode, 0xd5000a);
	assert_int_equal(pdu.params_len, 0);

	assert_int_equal(mesh_access_parse(big, MESH_ACCESS_MAX_PAYLOAD, &pdu), 0);
	assert_int_equal(pdu.params_len, MESH_ACCESS_MAX_PAYLOAD - 1);
	assert_int_equal(mesh_access_parse(big, sizeof(big), &pdu), MESH_ERR_OVERSIZED);
}

/* Unpack the two 12-bit key indexes packed into 3 octets (Mesh Profile 4.3.1.1). */
static void unpack_key_indexes(const uint8_t *p, unsigned *first, unsigned *second)
{
	*first = p[0] | (unsigned)(p[1] & 0x0f) << 8;
	*second = p[1] >> 4 | (unsigned)p[2] << 4;
}

/* Checks that pin down the opcode/parameter split through the decoded fields. */
static void check_sample_fields(json_t *acc, const struct mesh_access_pdu *pdu)
{
	const uint8_t *p = pdu->params;
	unsigned net_idx, app_idx;

	switch (pdu->opcode) {
	case 0x00: { /* Config AppKey Add: NetKeyIndex|AppKeyIndex, AppKey */
		uint8_t key[16];

		assert_int_equal(pdu->params_len, 3 + 16);
		unpack_key_indexes(p, &net_idx, &app_idx);
		assert_int_equal(net_idx, vec_int(acc, "fields.netkey_index"));
		assert_int_equal(app_idx, vec_int(acc, "fields.appkey_index"));
		vec_hex(acc, "fields.appkey", key, sizeof(key));
		assert_bytes_equal(p + 3, key, 16);
		break;
	}
	case 0x8003: /* Config AppKey Status: Status, NetKeyIndex|AppKeyIndex */
		assert_int_equal(pdu->params_len, 4);
		assert_int_equal(p[0], vec_int(acc, "fields.status"));
		unpack_key_indexes(p + 1, &net_idx, &app_idx);
		assert_int_equal(net_idx, vec_int(acc, "fields.netkey_index"));
		assert_int_equal(app_idx, vec_int(acc, "fields.appkey_index"));
		break;
	case 0x04: { /* Health Current Status: TestID, CompanyID, FaultArray */
		json_t *faults = vec_get(acc, "fields.faults");

		assert_true(json_is_array(faults));
		assert_int_equal(pdu->params_len, 3 + json_array_size(faults));
		assert_int_equal(p[0], vec_int(acc, "fields.test_id"));
		assert_int_equal(p[1] | p[2] << 8, vec_int(acc, "fields.company_id"));
		for (size_t i = 0; i < json_array_size(faults); i++)
			assert_int_equal(p[3 + i], json_integer_value(json_array_get(faults, i)));
		break;
	}
	default:
		fail_msg("sample opcode %06x has no field check", pdu->opcode);
	}
}

static void test_sample_messages(void **state)
{
	json_t *msgs = vec_get(vectors_root(), "messages");
	int checked = 0, vendor = 0;
	size_t i;
	json_t *m;

	(void)state;
	assert_true(json_is_array(msgs));
	json_array_foreach(msgs, i, m) {
		json_t *acc = vec_get(m, "access");
		uint8_t payload[MESH_ACCESS_MAX_PAYLOAD], again[MESH_ACCESS_MAX_PAYLOAD];
		struct mesh_access_pdu pdu;
		char hex[MESH_OPCODE_HEX_LEN];
		size_t len;

		if (!json_is_object(acc))
			continue;
		len = vec_hex(acc, "access_payload", payload, sizeof(payload));
		assert_int_equal(mesh_access_parse(payload, len, &pdu), 0);
		assert_ptr_equal(pdu.params, payload + pdu.opcode_len);
		assert_int_equal(pdu.opcode_len + pdu.params_len, len);
		assert_int_equal(mesh_access_opcode_hex(pdu.opcode, hex), pdu.opcode_len);

		if (vec_has(acc, "fields.vendor_opcode")) {
			uint8_t params[64];
			size_t plen = vec_hex(acc, "fields.params", params, sizeof(params));

			assert_int_equal(pdu.opcode,
					 MESH_OP_VENDOR(vec_int(acc, "fields.vendor_opcode"),
							vec_int(acc, "fields.company_id")));
			assert_int_equal(pdu.params_len, plen);
			assert_bytes_equal(pdu.params, params, plen);
			vendor++;
		} else {
			/* "Config AppKey Status (opcode 8003)": the name gives the octets. */
			const char *name = vec_str(acc, "opcode_name");
			const char *at = strstr(name, "(opcode ");
			char want[MESH_OPCODE_HEX_LEN] = "";

			assert_non_null(at);
			assert_int_equal(sscanf(at, "(opcode %6[0-9a-f])", want), 1);
			assert_string_equal(hex, want);
			check_sample_fields(acc, &pdu);
		}

		/* And back: opcode + parameters rebuild the payload. */
		assert_int_equal(mesh_access_compose(pdu.opcode, pdu.params, pdu.params_len,
						     again, sizeof(again)), (int)len);
		assert_bytes_equal(again, payload, len);
		assert_int_equal(mesh_access_check_len(len, 4), 0);
		if (vec_int(acc, "szmic"))
			assert_int_equal(mesh_access_check_len(len, 8), 0);
		checked++;
	}
	assert_int_equal(checked, 9);
	assert_int_equal(vendor, 4);

	/* The examples the packet tool prints. */
	{
		uint32_t op;
		char hex[MESH_OPCODE_HEX_LEN];
		uint8_t payload[64];
		size_t len = vec_hex(vectors_root(), "messages.[20].access.access_payload",
				     payload, sizeof(payload));

		assert_int_equal(mesh_access_opcode_decode(payload, len, &op), 3);
		mesh_access_opcode_hex(op, hex);
		assert_string_equal(hex, "d50a00");
	}
}

static void test_compose_and_limits(void **state)
{
	uint8_t buf[MESH_ACCESS_MAX_PAYLOAD + 8];
	const uint8_t params[] = { 0x01, 0x02 };

	(void)state;
	assert_int_equal(mesh_access_compose(0x8201, params, 2, buf, sizeof(buf)), 4);
	assert_int_equal(buf[0], 0x82);
	assert_int_equal(buf[3], 0x02);
	assert_int_equal(mesh_access_compose(0x8201, params, 2, buf, 3), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_access_compose(0x7f, params, 2, buf, sizeof(buf)), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_compose(0x04, NULL, 0, buf, sizeof(buf)), 1);

	/* Parameters already in place at the start of out. */
	memcpy(buf, "\xaa\xbb\xcc", 3);
	assert_int_equal(mesh_access_compose(MESH_OP_VENDOR(1, 0x0059), buf, 3, buf,
					     sizeof(buf)), 6);
	assert_memory_equal(buf, "\xc1\x59\x00\xaa\xbb\xcc", 6);

	/* Payload limits. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(mesh_access_compose(0x04, buf, MESH_ACCESS_MAX_PAYLOAD - 1, buf,
					     sizeof(buf)), MESH_ACCESS_MAX_PAYLOAD);
	assert_int_equal(mesh_access_compose(0x04, buf, MESH_ACCESS_MAX_PAYLOAD, buf,
					     sizeof(buf)), MESH_ERR_OVERSIZED);
	assert_true(mesh_access_fits_unsegmented(11));
	assert_false(mesh_access_fits_unsegmented(12));
	assert_int_equal(mesh_access_check_len(380, 4), 0);
	assert_int_equal(mesh_access_check_len(381, 4), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_access_check_len(376, 8), 0);
	assert_int_equal(mesh_access_check_len(377, 8), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_access_check_len(0, 4), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_access_check_len(10, 6), MESH_ERR_INVAL);
	assert_int_equal(mesh_access_max_mic_len(1), 8);
	assert_int_equal(mesh_access_max_mic_len(376), 8);
	assert_int_equal(mesh_access_max_mic_len(377), 4);
	assert_int_equal(mesh_access_max_mic_len(380), 4);
	assert_int_equal(mesh_access_max_mic_len(381), 0);
}

static void test_model_id(void **state)
{
	struct mesh_model_id sig = mesh_model_id_sig(0x1001);
	struct mesh_model_id vnd = mesh_model_id_vendor(0x000a, 0x0001);
	struct mesh_model_id back;
	char str[MESH_MODEL_ID_STR_LEN];
	uint8_t buf[4];

	(void)state;
	assert_false(mesh_model_id_equal(sig, vnd));
	assert_false(mesh_model_id_equal(mesh_model_id_sig(0x0001), vnd));
	assert_true(mesh_model_id_equal(vnd, mesh_model_id_vendor(0x000a, 0x0001)));
	assert_false(mesh_model_id_equal(vnd, mesh_model_id_vendor(0x000b, 0x0001)));

	assert_int_equal(mesh_model_id_encode(sig, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "\x01\x10", 2);
	assert_int_equal(mesh_model_id_decode(buf, 2, &back), 0);
	assert_true(mesh_model_id_equal(back, sig));
	assert_int_equal(mesh_model_id_encode(vnd, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "\x0a\x00\x01\x00", 4);
	assert_int_equal(mesh_model_id_decode(buf, 4, &back), 0);
	assert_true(back.vendor);
	assert_true(mesh_model_id_equal(back, vnd));
	assert_int_equal(mesh_model_id_encode(vnd, buf, 3), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_model_id_decode(buf, 3, &back), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_model_id_decode(buf, 1, &back), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_model_id_decode(buf, 5, &back), MESH_ERR_OVERSIZED);

	mesh_model_id_format(sig, str);
	assert_string_equal(str, "1001");
	mesh_model_id_format(vnd, str);
	assert_string_equal(str, "000a:0001");
}

/* --- Registry ----------------------------------------------------------- */

struct seen {
	int calls;
	uint32_t opcode;
	size_t params_len;
	uint16_t dst;
	uint16_t app_idx;
	int ret;
};

static int record(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	struct seen *s = model->user_data;

	s->calls++;
	s->opcode = msg->opcode;
	s->params_len = msg->params_len;
	s->dst = msg->dst;
	s->app_idx = msg->app_idx;
	return s->ret;
}

#define OP_HEALTH_CURRENT_STATUS 0x04
#define OP_APPKEY_STATUS 0x8003
#define OP_ONOFF_STATUS 0x8204
#define OP_VND_HELLO MESH_OP_VENDOR(0x15, 0x000a)

static const struct mesh_access_op cfg_ops[] = {
	{ .opcode = OP_APPKEY_STATUS, .min_len = 4, .max_len = 4, .handler = record },
	{ .opcode = 0x00, .min_len = 19, .handler = record },
	{ 0 },
};
static const struct mesh_access_op health_ops[] = {
	{ .opcode = OP_HEALTH_CURRENT_STATUS, .min_len = 3, .handler = record },
	{ 0 },
};
static const struct mesh_access_op onoff_ops[] = {
	{ .opcode = OP_ONOFF_STATUS, .min_len = 1, .max_len = 3, .handler = record },
	{ 0 },
};
static const struct mesh_access_op vnd_ops[] = {
	{ .opcode = OP_VND_HELLO, .handler = record },
	{ 0 },
};

#define PRIMARY 0x0100

struct node {
	struct mesh_access reg;
	struct mesh_model cfg, health0, vnd, health1, onoff;
	struct seen s_cfg, s_health0, s_vnd, s_health1, s_onoff;
};

static void model_init(struct mesh_model *m, struct mesh_model_id id,
		       const struct mesh_access_op *ops, struct seen *s)
{
	memset(m, 0, sizeof(*m));
	memset(s, 0, sizeof(*s));
	m->id = id;
	m->ops = ops;
	m->user_data = s;
}

static int node_setup(void **state)
{
	static struct node n;

	mesh_access_init(&n.reg);
	model_init(&n.cfg, mesh_model_id_sig(0x0001), cfg_ops, &n.s_cfg);
	n.cfg.dev_key = true;
	model_init(&n.health0, mesh_model_id_sig(0x0003), health_ops, &n.s_health0);
	model_init(&n.vnd, mesh_model_id_vendor(0x000a, 0x0001), vnd_ops, &n.s_vnd);
	model_init(&n.health1, mesh_model_id_sig(0x0003), health_ops, &n.s_health1);
	model_init(&n.onoff, mesh_model_id_sig(0x1001), onoff_ops, &n.s_onoff);

	assert_int_equal(mesh_access_elem_add(&n.reg, 0x0000), 0);
	assert_int_equal(mesh_access_elem_add(&n.reg, 0x0001), 1);
	assert_int_equal(mesh_access_model_add(&n.reg, 0, &n.cfg), 0);
	assert_int_equal(mesh_access_model_add(&n.reg, 0, &n.health0), 0);
	assert_int_equal(mesh_access_model_add(&n.reg, 0, &n.vnd), 0);
	/* The same model and opcode on another element is fine. */
	assert_int_equal(mesh_access_model_add(&n.reg, 1, &n.health1), 0);
	assert_int_equal(mesh_access_model_add(&n.reg, 1, &n.onoff), 0);

	assert_int_equal(mesh_model_bind(&n.health0, 1), 0);
	assert_int_equal(mesh_model_bind(&n.vnd, 1), 0);
	assert_int_equal(mesh_model_bind(&n.health1, 2), 0);
	assert_int_equal(mesh_model_bind(&n.onoff, 1), 0);
	assert_int_equal(mesh_access_set_primary(&n.reg, PRIMARY), 0);
	*state = &n;
	return 0;
}

static int rx(struct node *n, uint16_t dst, uint16_t app_idx, const char *hex)
{
	struct mesh_access_msg msg = {
		.net_idx = 0, .app_idx = app_idx, .src = 0x1201, .dst = dst,
		.ttl = 4, .rssi = MESH_RSSI_UNKNOWN,
	};
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD + 1];
	int len = mesh_hex_decode(hex, payload, sizeof(payload));

	assert_true(len >= 0);
	return mesh_access_dispatch(&n->reg, &msg, payload, (size_t)len);
}

static void reset_seen(struct node *n)
{
	struct seen *all[] = { &n->s_cfg, &n->s_health0, &n->s_vnd, &n->s_health1, &n->s_onoff };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		memset(all[i], 0, sizeof(*all[i]));
}

static void test_dispatch_unicast(void **state)
{
	struct node *n = *state;

	reset_seen(n);
	/* Element 0 vs element 1, each with its own Health model and key. */
	assert_int_equal(rx(n, PRIMARY, 1, "0400000000"), 0);
	assert_int_equal(n->s_health0.calls, 1);
	assert_int_equal(n->s_health0.params_len, 4);
	assert_int_equal(n->s_health0.dst, PRIMARY);
	assert_int_equal(n->s_health1.calls, 0);

	assert_int_equal(rx(n, PRIMARY + 1, 2, "04000000010703"), 0);
	assert_int_equal(n->s_health1.calls, 1);
	assert_int_equal(n->s_health1.params_len, 6);
	assert_int_equal(n->s_health0.calls, 1);

	/* Element 1's OnOff client does not answer on element 0's address. */
	assert_int_equal(rx(n, PRIMARY, 1, "820401"), MESH_ERR_UNKNOWN_OPCODE);
	assert_int_equal(n->s_onoff.calls, 0);
	assert_int_equal(rx(n, PRIMARY + 1, 1, "820401"), 0);
	assert_int_equal(n->s_onoff.calls, 1);
	assert_int_equal(n->s_onoff.opcode, OP_ONOFF_STATUS);

	/* Vendor opcode. */
	assert_int_equal(rx(n, PRIMARY, 1, "d50a0048656c6c6f"), 0);
	assert_int_equal(n->s_vnd.calls, 1);
	assert_int_equal(n->s_vnd.params_len, 5);

	/* Addresses that are not ours. */
	assert_int_equal(rx(n, PRIMARY + 2, 1, "0400000000"), MESH_ERR_DST);
	assert_int_equal(rx(n, PRIMARY - 1, 1, "0400000000"), MESH_ERR_DST);
	assert_int_equal(rx(n, 0x0000, 1, "0400000000"), MESH_ERR_DST);

	/* Nobody handles it. */
	assert_int_equal(rx(n, PRIMARY, 1, "8201"), MESH_ERR_UNKNOWN_OPCODE);
	/* Malformed payloads never reach the models. */
	assert_int_equal(rx(n, PRIMARY, 1, "7f00"), MESH_ERR_OPCODE);
	assert_int_equal(rx(n, PRIMARY, 1, "82"), MESH_ERR_OPCODE);
	assert_int_equal(rx(n, PRIMARY, 1, ""), MESH_ERR_TRUNCATED);
	assert_int_equal(n->s_health0.calls + n->s_health1.calls + n->s_cfg.calls, 2);
}

static void test_dispatch_keys(void **state)
{
	struct node *n = *state;

	reset_seen(n);
	/* The configuration model takes the device key only. */
	assert_int_equal(rx(n, PRIMARY, MESH_KEY_IDX_DEV, "800300563412"), 0);
	assert_int_equal(n->s_cfg.calls, 1);
	assert_int_equal(n->s_cfg.app_idx, MESH_KEY_IDX_DEV);
	assert_int_equal(rx(n, PRIMARY, 1, "800300563412"), MESH_ERR_NOT_BOUND);
	assert_int_equal(n->s_cfg.calls, 1);

	/* Application models: bound keys only, never the device key. */
	assert_int_equal(rx(n, PRIMARY, MESH_KEY_IDX_DEV, "0400000000"), MESH_ERR_NOT_BOUND);
	assert_int_equal(rx(n, PRIMARY, 2, "0400000000"), MESH_ERR_NOT_BOUND);
	assert_int_equal(rx(n, PRIMARY + 1, 1, "0400000000"), MESH_ERR_NOT_BOUND);
	assert_int_equal(n->s_health0.calls + n->s_health1.calls, 0);

	assert_int_equal(mesh_model_bind(&n->health0, 2), 0);
	assert_int_equal(rx(n, PRIMARY, 2, "0400000000"), 0);
	assert_int_equal(n->s_health0.calls, 1);
	assert_int_equal(mesh_model_unbind(&n->health0, 2), 0);
	assert_int_equal(rx(n, PRIMARY, 2, "0400000000"), MESH_ERR_NOT_BOUND);
	assert_int_equal(n->s_health0.calls, 1);

	/* Binding rules. */
	assert_int_equal(mesh_model_bind(&n->health0, 1), MESH_ERR_EXISTS);
	assert_int_equal(mesh_model_unbind(&n->health0, 9), MESH_ERR_NOT_FOUND);
	assert_int_equal(mesh_model_bind(&n->health0, 0x1000), MESH_ERR_KEY_INDEX);
	assert_int_equal(mesh_model_bind(&n->cfg, 1), MESH_ERR_INVAL);
	assert_true(mesh_model_is_bound(&n->health0, 1));
	assert_false(mesh_model_is_bound(&n->health0, 2));
}

static void test_dispatch_lengths(void **state)
{
	struct node *n = *state;

	reset_seen(n);
	/* Too short / too long for the opcode table: the handler never runs. */
	assert_int_equal(rx(n, PRIMARY, MESH_KEY_IDX_DEV, "8003005634"), MESH_ERR_TRUNCATED);
	assert_int_equal(rx(n, PRIMARY, MESH_KEY_IDX_DEV, "80030056341200"), MESH_ERR_OVERSIZED);
	assert_int_equal(rx(n, PRIMARY, MESH_KEY_IDX_DEV, "8003"), MESH_ERR_TRUNCATED);
	assert_int_equal(n->s_cfg.calls, 0);
	assert_int_equal(rx(n, PRIMARY, 1, "040000"), MESH_ERR_TRUNCATED);
	assert_int_equal(rx(n, PRIMARY + 1, 1, "8204"), MESH_ERR_TRUNCATED);
	assert_int_equal(rx(n, PRIMARY + 1, 1, "820401020304"), MESH_ERR_OVERSIZED);
	assert_int_equal(n->s_health0.calls + n->s_onoff.calls, 0);

	/* Exactly the minimum is enough. */
	assert_int_equal(rx(n, PRIMARY, 1, "04000000"), 0);
	assert_int_equal(n->s_health0.calls, 1);
	assert_int_equal(n->s_health0.params_len, 3);

	/* A handler's own error comes back to the caller. */
	n->s_health0.ret = MESH_ERR_INVAL;
	assert_int_equal(rx(n, PRIMARY, 1, "04000000"), MESH_ERR_INVAL);
	assert_int_equal(n->s_health0.calls, 2);
	n->s_health0.ret = 0;
}

static void test_dispatch_groups(void **state)
{
	struct node *n = *state;

	reset_seen(n);
	assert_int_equal(rx(n, 0xc001, 2, "0400000000"), MESH_ERR_DST);

	assert_int_equal(mesh_model_sub_add(&n->health1, 0xc001, NULL), 0);
	assert_int_equal(rx(n, 0xc001, 2, "0400000000"), 0);
	assert_int_equal(n->s_health1.calls, 1);
	assert_int_equal(n->s_health0.calls, 0);
	assert_int_equal(rx(n, 0xc002, 2, "0400000000"), MESH_ERR_DST);
	assert_int_equal(rx(n, 0xc001, 1, "0400000000"), MESH_ERR_NOT_BOUND);
	assert_int_equal(rx(n, 0xc001, 2, "8201"), MESH_ERR_UNKNOWN_OPCODE);

	/* Two elements subscribed: both models get it. */
	assert_int_equal(mesh_model_bind(&n->health0, 2), 0);
	assert_int_equal(mesh_model_sub_add(&n->health0, 0xc001, NULL), 0);
	assert_int_equal(rx(n, 0xc001, 2, "0400000000"), 0);
	assert_int_equal(n->s_health0.calls, 1);
	assert_int_equal(n->s_health1.calls, 2);
	assert_int_equal(mesh_model_sub_del(&n->health0, 0xc001, NULL), 0);
	assert_int_equal(mesh_model_unbind(&n->health0, 2), 0);
	assert_int_equal(rx(n, 0xc001, 2, "0400000000"), 0);
	assert_int_equal(n->s_health0.calls, 1);
	assert_int_equal(n->s_health1.calls, 3);

	/* All-nodes reaches the primary element's models, not element 1's. */
	reset_seen(n);
	assert_int_equal(rx(n, 0xffff, 1, "0400000000"), 0);
	assert_int_equal(n->s_health0.calls, 1);
	assert_int_equal(n->s_health1.calls, 0);
	assert_int_equal(rx(n, 0xffff, 2, "0400000000"), MESH_ERR_NOT_BOUND);
	assert_int_equal(rx(n, 0xffff, 1, "820401"), MESH_ERR_UNKNOWN_OPCODE);
	assert_int_equal(rx(n, 0xffff, MESH_KEY_IDX_DEV, "800300563412"), 0);
	assert_int_equal(n->s_cfg.calls, 1);
	/* Other fixed groups likewise; a secondary element may subscribe. */
	assert_int_equal(mesh_model_sub_add(&n->health1, 0xfffe, NULL), 0);
	assert_int_equal(rx(n, 0xfffe, 1, "0400000000"), 0);
	assert_int_equal(n->s_health0.calls, 2);
	assert_int_equal(n->s_health1.calls, 0);
	assert_int_equal(rx(n, 0xfffe, 2, "0400000000"), 0);
	assert_int_equal(n->s_health1.calls, 1);

	/* Subscription rules. */
	assert_int_equal(mesh_model_sub_add(&n->health1, 0xc001, NULL), MESH_ERR_EXISTS);
	assert_int_equal(mesh_model_sub_add(&n->health1, 0x0001, NULL), MESH_ERR_DST);
	assert_int_equal(mesh_model_sub_add(&n->health1, 0x0000, NULL), MESH_ERR_DST);
	assert_int_equal(mesh_model_sub_add(&n->health1, 0xff00, NULL), MESH_ERR_DST);
	assert_int_equal(mesh_model_sub_add(&n->health1, 0xffff, NULL), MESH_ERR_DST);
	assert_int_equal(mesh_model_sub_add(&n->health1, 0x8001, NULL), MESH_ERR_INVAL);
	assert_int_equal(mesh_model_sub_del(&n->health1, 0xc005, NULL), MESH_ERR_NOT_FOUND);
	mesh_model_sub_clear(&n->health1);
	assert_int_equal(n->health1.n_subs, 0);
	for (int i = 0; i < MESH_MODEL_SUBS_MAX; i++)
		assert_int_equal(mesh_model_sub_add(&n->health1, (uint16_t)(0xc100 + i), NULL), 0);
	assert_int_equal(mesh_model_sub_add(&n->health1, 0xc200, NULL), MESH_ERR_FULL);
	mesh_model_sub_clear(&n->health1);
}

static void test_dispatch_virtual(void **state)
{
	struct node *n = *state;
	/* Sample 8.3.22: a vendor message to a virtual address. */
	json_t *m = vec_get(vectors_root(), "messages.[21]");
	uint8_t label[16], other[16], payload[64];
	struct mesh_access_msg msg = { .app_idx = 1, .rssi = -60 };
	uint16_t vaddr;
	size_t len;

	(void)state;
	reset_seen(n);
	vec_hex(m, "label_uuid", label, sizeof(label));
	len = vec_hex(m, "access.access_payload", payload, sizeof(payload));
	assert_int_equal(mesh_virtual_address(label, &vaddr), 0);
	assert_int_equal(vaddr, vec_int(m, "dst"));
	memcpy(other, label, 16);
	other[15] ^= 1;

	assert_int_equal(mesh_model_sub_add(&n->vnd, vaddr, NULL), MESH_ERR_INVAL);
	assert_int_equal(mesh_model_sub_add(&n->vnd, 0xc001, label), MESH_ERR_INVAL);
	assert_int_equal(mesh_model_sub_add(&n->vnd, vaddr, label), 0);
	assert_int_equal(mesh_model_sub_add(&n->vnd, vaddr, label), MESH_ERR_EXISTS);

	msg.src = (uint16_t)vec_int(m, "src");
	msg.dst = vaddr;
	msg.label_uuid = label;
	assert_int_equal(mesh_access_dispatch(&n->reg, &msg, payload, len), 0);
	assert_int_equal(n->s_vnd.calls, 1);
	assert_int_equal(msg.opcode, OP_VND_HELLO);
	assert_int_equal(msg.params_len, 5);
	assert_memory_equal(msg.params, "Hello", 5);

	/* Same 16-bit address, different Label UUID: not ours. */
	msg.label_uuid = other;
	assert_int_equal(mesh_access_dispatch(&n->reg, &msg, payload, len), MESH_ERR_DST);
	/* Without a label the 16-bit address decides. */
	msg.label_uuid = NULL;
	assert_int_equal(mesh_access_dispatch(&n->reg, &msg, payload, len), 0);
	assert_int_equal(n->s_vnd.calls, 2);

	assert_int_equal(mesh_model_sub_del(&n->vnd, vaddr, other), MESH_ERR_NOT_FOUND);
	assert_int_equal(mesh_model_sub_del(&n->vnd, vaddr, label), 0);
	msg.label_uuid = label;
	assert_int_equal(mesh_access_dispatch(&n->reg, &msg, payload, len), MESH_ERR_DST);
}

static void test_registration(void **state)
{
	static const struct mesh_access_op dup_ops[] = {
		{ .opcode = 0x8201, .handler = record },
		{ .opcode = 0x8201, .handler = record },
		{ 0 },
	};
	static const struct mesh_access_op rfu_ops[] = {
		{ .opcode = 0x7f, .handler = record },
		{ 0 },
	};
	static const struct mesh_access_op clash_ops[] = {
		{ .opcode = 0x8201, .handler = record },
		{ .opcode = OP_HEALTH_CURRENT_STATUS, .handler = record },
		{ 0 },
	};
	struct node *n = *state;
	struct mesh_model extra, models[MESH_ELEM_MODELS_MAX];
	struct seen s;
	struct mesh_access reg;

	(void)state;
	/* Another model handling Health Current Status on element 0. */
	model_init(&extra, mesh_model_id_sig(0x1303), clash_ops, &s);
	assert_int_equal(mesh_access_model_add(&n->reg, 0, &extra), MESH_ERR_EXISTS);
	/* Fine on an element without one... except element 1 has Health too. */
	assert_int_equal(mesh_access_model_add(&n->reg, 1, &extra), MESH_ERR_EXISTS);
	/* The same model ID twice on one element. */
	model_init(&extra, mesh_model_id_sig(0x1001), vnd_ops, &s);
	assert_int_equal(mesh_access_model_add(&n->reg, 1, &extra), MESH_ERR_EXISTS);

	mesh_access_init(&reg);
	assert_int_equal(mesh_access_model_add(&reg, 0, &extra), MESH_ERR_NOT_FOUND);
	for (int i = 0; i < MESH_ACCESS_ELEMS_MAX; i++)
		assert_int_equal(mesh_access_elem_add(&reg, 0), i);
	assert_int_equal(mesh_access_elem_add(&reg, 0), MESH_ERR_FULL);

	model_init(&extra, mesh_model_id_sig(0x1000), dup_ops, &s);
	assert_int_equal(mesh_access_model_add(&reg, 0, &extra), MESH_ERR_EXISTS);
	model_init(&extra, mesh_model_id_sig(0x1000), rfu_ops, &s);
	assert_int_equal(mesh_access_model_add(&reg, 0, &extra), MESH_ERR_OPCODE);
	assert_int_equal(mesh_access_model_add(&reg, 0, NULL), MESH_ERR_INVAL);

	/* A model with no table registers (e.g. a server that only publishes). */
	for (int i = 0; i < MESH_ELEM_MODELS_MAX; i++) {
		model_init(&models[i], mesh_model_id_vendor(0x0059, (uint16_t)i), NULL, &s);
		assert_int_equal(mesh_access_model_add(&reg, 2, &models[i]), 0);
	}
	model_init(&extra, mesh_model_id_sig(0x1000), NULL, &s);
	assert_int_equal(mesh_access_model_add(&reg, 2, &extra), MESH_ERR_FULL);
	assert_ptr_equal(mesh_access_model_find(&reg, 2, mesh_model_id_vendor(0x0059, 3)),
			 &models[3]);
	assert_null(mesh_access_model_find(&reg, 2, mesh_model_id_sig(3)));
	assert_null(mesh_access_model_find(&reg, 9, mesh_model_id_sig(3)));

	/* Element addresses. */
	assert_int_equal(mesh_access_model_addr(&reg, &models[3]), 0);
	assert_int_equal(mesh_access_set_primary(&reg, 0x7ffa), MESH_ERR_SRC);
	assert_int_equal(mesh_access_set_primary(&reg, 0xc000), MESH_ERR_SRC);
	assert_int_equal(mesh_access_set_primary(&reg, 0), MESH_ERR_SRC);
	assert_int_equal(mesh_access_set_primary(&reg, 0x7ff8), 0);
	assert_int_equal(mesh_access_model_addr(&reg, &models[3]), 0x7ffa);
	assert_int_equal(mesh_access_model_addr(&n->reg, &n->onoff), PRIMARY + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opcode_forms),
		cmocka_unit_test(test_opcode_malformed),
		cmocka_unit_test(test_sample_messages),
		cmocka_unit_test(test_compose_and_limits),
		cmocka_unit_test(test_model_id),
		cmocka_unit_test(test_dispatch_unicast),
		cmocka_unit_test(test_dispatch_keys),
		cmocka_unit_test(test_dispatch_lengths),
		cmocka_unit_test(test_dispatch_groups),
		cmocka_unit_test(test_dispatch_virtual),
		cmocka_unit_test(test_registration),
	};
	int rc = cmocka_run_group_tests(tests, node_setup, NULL);

	mesh_crypto_thread_cleanup();
	json_decref(vectors_root());
	return rc;
}
