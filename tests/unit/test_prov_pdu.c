/*
 * Provisioning PDUs (Mesh Protocol 1.1, 5.4.1): every type composed and
 * parsed back, the section 8.7 sample PDUs, every wrong length and every
 * prohibited or RFU field value, the Start checks a device applies, and
 * the Provisioning Data plaintext of 8.7.12.
 */
#include <string.h>

#include "mesh/err.h"
#include "mesh/prov_pdu.h"
#include "mesh/util.h"
#include "vectors.h"

static json_t *prov_vectors(void)
{
	return vec_get(vectors_root(), "provisioning");
}

/* Compose pdu, parse the octets back: same struct, same octets again. */
static void check_round_trip(const struct mesh_prov_pdu *pdu, size_t want_len)
{
	uint8_t buf[MESH_PROV_PDU_MAX], again[MESH_PROV_PDU_MAX];
	struct mesh_prov_pdu parsed;
	int len = mesh_prov_pdu_compose(pdu, buf, sizeof(buf));

	assert_int_equal(len, want_len);
	assert_int_equal(buf[0], pdu->type);
	assert_int_equal(mesh_prov_pdu_parse(buf, (size_t)len, &parsed), 0);
	assert_int_equal(parsed.type, pdu->type);
	assert_int_equal(mesh_prov_pdu_compose(&parsed, again, sizeof(again)), len);
	assert_bytes_equal(again, buf, (size_t)len);
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + 7 * i);
}

static void test_round_trip_every_type(void **state)
{
	struct mesh_prov_pdu pdu;

	(void)state;
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = MESH_PROV_INVITE;
	pdu.attention_s = 0xff;
	check_round_trip(&pdu, 2);

	memset(&pdu, 0, sizeof(pdu));
	pdu.type = MESH_PROV_CAPABILITIES;
	pdu.caps = (struct mesh_prov_caps){
		.n_elements = 3, .algorithms = 0x0003, .pub_key_type = 1,
		.static_oob_type = 0x03, .output_size = 8, .output_actions = 0x001f,
		.input_size = 4, .input_actions = 0x000f,
	};
	check_round_trip(&pdu, 12);

	memset(&pdu, 0, sizeof(pdu));
	pdu.type = MESH_PROV_START;
	pdu.start = (struct mesh_prov_start){ .algorithm = MESH_PROV_ALG_HMAC_SHA256,
		.public_key = 1, .auth_method = MESH_PROV_AUTH_OUTPUT,
		.auth_action = MESH_PROV_OUT_ALPHANUMERIC, .auth_size = 8 };
	check_round_trip(&pdu, 6);

	memset(&pdu, 0, sizeof(pdu));
	pdu.type = MESH_PROV_PUBLIC_KEY;
	fill(pdu.public_key, sizeof(pdu.public_key), 1);
	check_round_trip(&pdu, 65);

	memset(&pdu, 0, sizeof(pdu));
	pdu.type = MESH_PROV_INPUT_COMPLETE;
	check_round_trip(&pdu, 1);

	for (uint8_t len = 16; len <= 32; len += 16) {
		memset(&pdu, 0, sizeof(pdu));
		pdu.type = MESH_PROV_CONFIRMATION;
		pdu.confirmation.len = len;
		fill(pdu.confirmation.value, len, len);
		check_round_trip(&pdu, 1u + len);

		memset(&pdu, 0, sizeof(pdu));
		pdu.type = MESH_PROV_RANDOM;
		pdu.random.len = len;
		fill(pdu.random.value, len, (uint8_t)(len + 3));
		check_round_trip(&pdu, 1u + len);
	}

	memset(&pdu, 0, sizeof(pdu));
	pdu.type = MESH_PROV_DATA;
	fill(pdu.data.encrypted, sizeof(pdu.data.encrypted), 9);
	fill(pdu.data.mic, sizeof(pdu.data.mic), 200);
	check_round_trip(&pdu, 34);

	memset(&pdu, 0, sizeof(pdu));
	pdu.type = MESH_PROV_COMPLETE;
	check_round_trip(&pdu, 1);

	for (uint8_t code = 1; code <= MESH_PROV_ERR_INVALID_DATA; code++) {
		memset(&pdu, 0, sizeof(pdu));
		pdu.type = MESH_PROV_FAILED;
		pdu.error = code;
		check_round_trip(&pdu, 2);
	}
}

/* Parsed fields equal what was composed, for the structured types. */
static void test_parsed_fields(void **state)
{
	static const uint8_t caps[] = { 0x01, 0x05, 0x00, 0x03, 0x01, 0x02, 0x06,
					0x00, 0x18, 0x03, 0x00, 0x0c };
	static const uint8_t start[] = { 0x02, 0x01, 0x00, 0x03, 0x02, 0x04 };
	static const uint8_t data[34] = { 0x07, 0xaa, [25] = 0x55, [26] = 0x11, [33] = 0x88 };
	struct mesh_prov_pdu pdu;

	(void)state;
	assert_int_equal(mesh_prov_pdu_parse(caps, sizeof(caps), &pdu), 0);
	assert_int_equal(pdu.type, MESH_PROV_CAPABILITIES);
	assert_int_equal(pdu.caps.n_elements, 5);
	assert_int_equal(pdu.caps.algorithms, 0x0003);
	assert_int_equal(pdu.caps.pub_key_type, 1);
	assert_int_equal(pdu.caps.static_oob_type, 2);
	assert_int_equal(pdu.caps.output_size, 6);
	assert_int_equal(pdu.caps.output_actions, 0x0018);
	assert_int_equal(pdu.caps.input_size, 3);
	assert_int_equal(pdu.caps.input_actions, 0x000c);

	assert_int_equal(mesh_prov_pdu_parse(start, sizeof(start), &pdu), 0);
	assert_int_equal(pdu.start.algorithm, MESH_PROV_ALG_HMAC_SHA256);
	assert_int_equal(pdu.start.public_key, 0);
	assert_int_equal(pdu.start.auth_method, MESH_PROV_AUTH_INPUT);
	assert_int_equal(pdu.start.auth_action, MESH_PROV_IN_NUMERIC);
	assert_int_equal(pdu.start.auth_size, 4);

	assert_int_equal(mesh_prov_pdu_parse(data, sizeof(data), &pdu), 0);
	assert_bytes_equal(pdu.data.encrypted, data + 1, 25);
	assert_bytes_equal(pdu.data.mic, data + 26, 8);
}

/* --- sample data (8.7) ----------------------------------------------------- */

static void check_caps_fields(const struct mesh_prov_caps *c)
{
	json_t *f = vec_get(prov_vectors(), "capabilities_fields");

	assert_int_equal(c->n_elements, vec_int(f, "number_of_elements"));
	assert_int_equal(c->algorithms, vec_int(f, "algorithms"));
	assert_int_equal(c->pub_key_type, vec_int(f, "public_key_type"));
	assert_int_equal(c->static_oob_type, vec_int(f, "static_oob_type"));
	assert_int_equal(c->output_size, vec_int(f, "output_oob_size"));
	assert_int_equal(c->output_actions, vec_int(f, "output_oob_action"));
	assert_int_equal(c->input_size, vec_int(f, "input_oob_size"));
	assert_int_equal(c->input_actions, vec_int(f, "input_oob_action"));
}

static void check_start_fields(const struct mesh_prov_start *s)
{
	json_t *f = vec_get(prov_vectors(), "start_fields");

	assert_int_equal(s->algorithm, vec_int(f, "algorithm"));
	assert_int_equal(s->public_key, vec_int(f, "public_key"));
	assert_int_equal(s->auth_method, vec_int(f, "authentication_method"));
	assert_int_equal(s->auth_action, vec_int(f, "authentication_action"));
	assert_int_equal(s->auth_size, vec_int(f, "authentication_size"));
}

/* The confirmation section gives parameters only: prefix the type. */
static void parse_sample_params(uint8_t type, const char *path, struct mesh_prov_pdu *pdu)
{
	uint8_t buf[MESH_PROV_PDU_MAX], out[MESH_PROV_PDU_MAX];
	size_t len = 1 + vec_hex(prov_vectors(), path, buf + 1, sizeof(buf) - 1);

	buf[0] = type;
	assert_int_equal(mesh_prov_pdu_parse(buf, len, pdu), 0);
	assert_int_equal(pdu->type, type);
	assert_int_equal(mesh_prov_pdu_compose(pdu, out, sizeof(out)), len);
	assert_bytes_equal(out, buf, len);
}

static void test_sample_confirmation_pdus(void **state)
{
	struct mesh_prov_pdu pdu;

	(void)state;
	parse_sample_params(MESH_PROV_INVITE, "confirmation.invite_pdu_value", &pdu);
	assert_int_equal(pdu.attention_s, 0);
	parse_sample_params(MESH_PROV_CAPABILITIES, "confirmation.capabilities_pdu_value", &pdu);
	check_caps_fields(&pdu.caps);
	parse_sample_params(MESH_PROV_START, "confirmation.start_pdu_value", &pdu);
	check_start_fields(&pdu.start);
}

/* The field a transaction's PDU must carry, from elsewhere in the sample. */
static void check_sample_payload(const struct mesh_prov_pdu *pdu, int from_device)
{
	json_t *p = prov_vectors();
	uint8_t want[64];

	switch (pdu->type) {
	case MESH_PROV_INVITE:
		assert_int_equal(pdu->attention_s, 0);
		break;
	case MESH_PROV_CAPABILITIES:
		check_caps_fields(&pdu->caps);
		break;
	case MESH_PROV_START:
		check_start_fields(&pdu->start);
		break;
	case MESH_PROV_PUBLIC_KEY:
		vec_hex(p, from_device ? "device_public_key" : "provisioner_public_key", want, 64);
		assert_bytes_equal(pdu->public_key, want, 64);
		break;
	case MESH_PROV_CONFIRMATION:
		assert_int_equal(pdu->confirmation.len, 16);
		vec_hex(p, from_device ? "confirmation.confirmation_device"
				       : "confirmation.confirmation_provisioner", want, 16);
		assert_bytes_equal(pdu->confirmation.value, want, 16);
		break;
	case MESH_PROV_RANDOM:
		assert_int_equal(pdu->random.len, 16);
		vec_hex(p, from_device ? "random_device" : "random_provisioner", want, 16);
		assert_bytes_equal(pdu->random.value, want, 16);
		break;
	case MESH_PROV_DATA:
		vec_hex(p, "provisioning_data.encrypted_provisioning_data", want, 25);
		assert_bytes_equal(pdu->data.encrypted, want, 25);
		vec_hex(p, "provisioning_data.provisioning_data_mic", want, 8);
		assert_bytes_equal(pdu->data.mic, want, 8);
		break;
	case MESH_PROV_COMPLETE:
		break;
	default:
		fail_msg("unexpected sample PDU type %u", pdu->type);
	}
}

static void test_sample_pb_adv_pdus(void **state)
{
	json_t *arr = vec_get(prov_vectors(), "pb_adv_transactions");
	unsigned seen_types = 0;
	size_t i;
	json_t *t;

	(void)state;
	json_array_foreach(arr, i, t) {
		uint8_t buf[MESH_PROV_PDU_MAX], out[MESH_PROV_PDU_MAX];
		struct mesh_prov_pdu pdu;
		size_t len;

		if (!vec_has(t, "provisioning_pdu"))
			continue;
		len = vec_hex(t, "provisioning_pdu", buf, sizeof(buf));
		assert_int_equal(mesh_prov_pdu_parse(buf, len, &pdu), 0);
		assert_int_equal(mesh_prov_pdu_compose(&pdu, out, sizeof(out)), len);
		assert_bytes_equal(out, buf, len);
		/* Transactions 0x80 and up are the device's (PB-ADV, 5.3.2). */
		check_sample_payload(&pdu, vec_int(t, "transaction") >= 0x80);
		seen_types |= 1u << pdu.type;
	}
	/* All but Input Complete and Failed occur in the sample exchange. */
	assert_int_equal(seen_types, 0x1ffu & ~(1u << MESH_PROV_INPUT_COMPLETE));
}

/* --- lengths and types ----------------------------------------------------- */

static void test_wrong_lengths(void **state)
{
	static const struct {
		uint8_t type;
		size_t len;
	} fixed[] = {
		{ MESH_PROV_INVITE, 2 }, { MESH_PROV_CAPABILITIES, 12 }, { MESH_PROV_START, 6 },
		{ MESH_PROV_PUBLIC_KEY, 65 }, { MESH_PROV_INPUT_COMPLETE, 1 },
		{ MESH_PROV_DATA, 34 }, { MESH_PROV_COMPLETE, 1 }, { MESH_PROV_FAILED, 2 },
	};
	uint8_t buf[80] = { 0 };
	struct mesh_prov_pdu pdu;

	(void)state;
	assert_int_equal(mesh_prov_pdu_parse(buf, 0, &pdu), MESH_ERR_TRUNCATED);
	for (size_t i = 0; i < MESH_ARRAY_SIZE(fixed); i++) {
		/* Valid contents (one element and CMAC for Capabilities, an
		 * error code for Failed), so only the length can be wrong. */
		memset(buf, 0, sizeof(buf));
		buf[0] = fixed[i].type;
		buf[1] = 1;
		buf[3] = 1;
		for (size_t len = 1; len < sizeof(buf); len++) {
			int want = len < fixed[i].len ? MESH_ERR_TRUNCATED
			     : len > fixed[i].len ? MESH_ERR_OVERSIZED : 0;

			assert_int_equal(mesh_prov_pdu_parse(buf, len, &pdu), want);
		}
	}
	for (uint8_t type = MESH_PROV_CONFIRMATION; type <= MESH_PROV_RANDOM; type++) {
		buf[0] = type;
		for (size_t len = 1; len < sizeof(buf); len++) {
			int want = len == 17 || len == 33 ? 0
			     : len > 33 ? MESH_ERR_OVERSIZED : MESH_ERR_TRUNCATED;

			assert_int_equal(mesh_prov_pdu_parse(buf, len, &pdu), want);
		}
	}
}

static void test_unknown_types(void **state)
{
	uint8_t buf[66] = { 0 };
	struct mesh_prov_pdu pdu;

	(void)state;
	for (unsigned type = MESH_PROV_TYPE_COUNT; type <= 0xff; type++) {
		buf[0] = (uint8_t)type;
		for (size_t len = 1; len <= sizeof(buf); len += 13)
			assert_int_equal(mesh_prov_pdu_parse(buf, len, &pdu), MESH_ERR_OPCODE);
	}
}

/* --- prohibited and RFU values --------------------------------------------- */

static int parse_caps(const struct mesh_prov_caps *c)
{
	struct mesh_prov_pdu pdu = { .type = MESH_PROV_CAPABILITIES, .caps = *c };
	uint8_t buf[12];
	struct mesh_prov_pdu out;

	assert_int_equal(mesh_prov_pdu_compose(&pdu, buf, sizeof(buf)), 12);
	return mesh_prov_pdu_parse(buf, sizeof(buf), &out);
}

static const struct mesh_prov_caps plain_caps = { .n_elements = 1, .algorithms = 1 };

static void test_caps_reserved_values(void **state)
{
	struct mesh_prov_caps c;

	(void)state;
	assert_int_equal(parse_caps(&plain_caps), 0);
	c = plain_caps;
	c.n_elements = 0;
	assert_int_equal(parse_caps(&c), MESH_ERR_RESERVED);
	c = plain_caps;
	c.algorithms = 0;
	assert_int_equal(parse_caps(&c), MESH_ERR_RESERVED);
	for (unsigned bit = 0; bit < 16; bit++) {
		c = plain_caps;
		c.algorithms = (uint16_t)(1u << bit);
		assert_int_equal(parse_caps(&c), bit < 2 ? 0 : MESH_ERR_RESERVED);
		c = plain_caps;
		c.output_size = 1;
		c.output_actions = (uint16_t)(1u << bit);
		assert_int_equal(parse_caps(&c), bit < 5 ? 0 : MESH_ERR_RESERVED);
		c = plain_caps;
		c.input_size = 1;
		c.input_actions = (uint16_t)(1u << bit);
		assert_int_equal(parse_caps(&c), bit < 4 ? 0 : MESH_ERR_RESERVED);
	}
	for (unsigned bit = 0; bit < 8; bit++) {
		c = plain_caps;
		c.pub_key_type = (uint8_t)(1u << bit);
		assert_int_equal(parse_caps(&c), bit < 1 ? 0 : MESH_ERR_RESERVED);
		/* Bit 1 is Mesh 1.1's "only OOB authenticated provisioning". */
		c = plain_caps;
		c.static_oob_type = (uint8_t)(1u << bit);
		assert_int_equal(parse_caps(&c), bit < 2 ? 0 : MESH_ERR_RESERVED);
	}
	for (unsigned size = 0; size <= 0xff; size++) {
		int want = size <= MESH_PROV_OOB_SIZE_MAX ? 0 : MESH_ERR_RESERVED;

		c = plain_caps;
		c.output_size = (uint8_t)size;
		assert_int_equal(parse_caps(&c), want);
		c = plain_caps;
		c.input_size = (uint8_t)size;
		assert_int_equal(parse_caps(&c), want);
	}
}

static int parse_start(uint8_t alg, uint8_t pub, uint8_t method, uint8_t action, uint8_t size)
{
	const uint8_t buf[6] = { MESH_PROV_START, alg, pub, method, action, size };
	struct mesh_prov_pdu out;

	return mesh_prov_pdu_parse(buf, sizeof(buf), &out);
}

/* Which Action/Size a method allows (Tables 5.29, 5.30). */
static int start_auth_expect(unsigned method, unsigned action, unsigned size)
{
	unsigned max_action;

	switch (method) {
	case MESH_PROV_AUTH_NO_OOB:
	case MESH_PROV_AUTH_STATIC:
		return action == 0 && size == 0 ? 0 : MESH_ERR_RESERVED;
	case MESH_PROV_AUTH_OUTPUT:
		max_action = MESH_PROV_OUT_ALPHANUMERIC;
		break;
	case MESH_PROV_AUTH_INPUT:
		max_action = MESH_PROV_IN_ALPHANUMERIC;
		break;
	default:
		return MESH_ERR_RESERVED;
	}
	return action <= max_action && size >= 1 && size <= 8 ? 0 : MESH_ERR_RESERVED;
}

static void test_start_reserved_values(void **state)
{
	(void)state;
	for (unsigned v = 0; v <= 0xff; v++) {
		assert_int_equal(parse_start((uint8_t)v, 0, 0, 0, 0), v <= 1 ? 0 : MESH_ERR_RESERVED);
		assert_int_equal(parse_start(0, (uint8_t)v, 0, 0, 0), v <= 1 ? 0 : MESH_ERR_RESERVED);
	}
	for (unsigned method = 0; method <= 0xff; method++) {
		for (unsigned action = 0; action <= 0xff; action++) {
			for (unsigned size = 0; size <= 0xff; size += action < 8 ? 1 : 17) {
				assert_int_equal(parse_start(1, 0, (uint8_t)method, (uint8_t)action,
							     (uint8_t)size),
						 start_auth_expect(method, action, size));
			}
		}
	}
}

static void test_failed_codes(void **state)
{
	uint8_t buf[2] = { MESH_PROV_FAILED, 0 };
	struct mesh_prov_pdu pdu;

	(void)state;
	assert_int_equal(mesh_prov_pdu_parse(buf, 2, &pdu), MESH_ERR_RESERVED);
	/* RFU codes still end the session: kept, not refused. */
	for (unsigned code = 1; code <= 0xff; code++) {
		buf[1] = (uint8_t)code;
		assert_int_equal(mesh_prov_pdu_parse(buf, 2, &pdu), 0);
		assert_int_equal(pdu.error, code);
	}
}

static void test_parse_error_codes(void **state)
{
	(void)state;
	assert_int_equal(mesh_prov_parse_error(0), MESH_PROV_ERR_NONE);
	assert_int_equal(mesh_prov_parse_error(MESH_ERR_OPCODE), MESH_PROV_ERR_INVALID_PDU);
	assert_int_equal(mesh_prov_parse_error(MESH_ERR_TRUNCATED), MESH_PROV_ERR_INVALID_FORMAT);
	assert_int_equal(mesh_prov_parse_error(MESH_ERR_OVERSIZED), MESH_PROV_ERR_INVALID_FORMAT);
	assert_int_equal(mesh_prov_parse_error(MESH_ERR_RESERVED), MESH_PROV_ERR_INVALID_FORMAT);
	assert_int_equal(mesh_prov_parse_error(MESH_ERR_NOMEM), MESH_PROV_ERR_UNEXPECTED_ERROR);
}

static void test_compose_errors(void **state)
{
	struct mesh_prov_pdu pdu = { .type = MESH_PROV_PUBLIC_KEY };
	uint8_t buf[MESH_PROV_PDU_MAX];

	(void)state;
	assert_int_equal(mesh_prov_pdu_compose(&pdu, buf, 64), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_prov_pdu_compose(&pdu, buf, 65), 65);
	pdu.type = MESH_PROV_TYPE_COUNT;
	assert_int_equal(mesh_prov_pdu_compose(&pdu, buf, sizeof(buf)), MESH_ERR_INVAL);
	pdu.type = MESH_PROV_CONFIRMATION;
	pdu.confirmation.len = 17;
	assert_int_equal(mesh_prov_pdu_compose(&pdu, buf, sizeof(buf)), MESH_ERR_INVAL);
	pdu.type = MESH_PROV_RANDOM;
	pdu.random.len = 0;
	assert_int_equal(mesh_prov_pdu_compose(&pdu, buf, sizeof(buf)), MESH_ERR_INVAL);
}

/* --- Start against Capabilities -------------------------------------------- */

static const struct mesh_prov_caps rich_caps = {
	.n_elements = 2, .algorithms = 0x0003, .pub_key_type = MESH_PROV_PUBKEY_OOB_AVAILABLE,
	.static_oob_type = MESH_PROV_STATIC_OOB_AVAILABLE,
	.output_size = 4, .output_actions = 1u << MESH_PROV_OUT_BLINK | 1u << MESH_PROV_OUT_NUMERIC,
	.input_size = 6, .input_actions = 1u << MESH_PROV_IN_ALPHANUMERIC,
};

static uint8_t check(const struct mesh_prov_caps *caps, uint8_t alg, uint8_t pub,
		     uint8_t method, uint8_t action, uint8_t size)
{
	const struct mesh_prov_start st = { alg, pub, method, action, size };

	return mesh_prov_start_check(caps, &st);
}

static void test_start_check(void **state)
{
	struct mesh_prov_caps c = rich_caps;
	const uint8_t bad = MESH_PROV_ERR_INVALID_FORMAT;

	(void)state;
	/* Everything the device offers is accepted. */
	assert_int_equal(check(&c, 0, 0, MESH_PROV_AUTH_NO_OOB, 0, 0), 0);
	assert_int_equal(check(&c, 1, 1, MESH_PROV_AUTH_STATIC, 0, 0), 0);
	assert_int_equal(check(&c, 1, 0, MESH_PROV_AUTH_OUTPUT, MESH_PROV_OUT_BLINK, 1), 0);
	assert_int_equal(check(&c, 0, 0, MESH_PROV_AUTH_OUTPUT, MESH_PROV_OUT_NUMERIC, 4), 0);
	assert_int_equal(check(&c, 1, 0, MESH_PROV_AUTH_INPUT, MESH_PROV_IN_ALPHANUMERIC, 6), 0);

	/* Algorithm not offered, or unknown. */
	c.algorithms = MESH_PROV_ALG_BIT(MESH_PROV_ALG_CMAC_AES128);
	assert_int_equal(check(&c, 1, 0, MESH_PROV_AUTH_NO_OOB, 0, 0), bad);
	assert_int_equal(check(&c, 2, 0, MESH_PROV_AUTH_NO_OOB, 0, 0), bad);
	c = rich_caps;
	assert_int_equal(check(&c, 0xff, 0, MESH_PROV_AUTH_NO_OOB, 0, 0), bad);

	/* OOB public key not offered; public key value out of range. */
	c.pub_key_type = 0;
	assert_int_equal(check(&c, 0, 1, MESH_PROV_AUTH_NO_OOB, 0, 0), bad);
	assert_int_equal(check(&rich_caps, 0, 2, MESH_PROV_AUTH_NO_OOB, 0, 0), bad);

	/* Static OOB not offered. */
	c = rich_caps;
	c.static_oob_type = 0;
	assert_int_equal(check(&c, 0, 0, MESH_PROV_AUTH_STATIC, 0, 0), bad);

	/* Actions the device lacks, sizes above its maximum, size 0. */
	assert_int_equal(check(&rich_caps, 0, 0, MESH_PROV_AUTH_OUTPUT, MESH_PROV_OUT_BEEP, 1), bad);
	assert_int_equal(check(&rich_caps, 0, 0, MESH_PROV_AUTH_OUTPUT, MESH_PROV_OUT_BLINK, 5), bad);
	assert_int_equal(check(&rich_caps, 0, 0, MESH_PROV_AUTH_OUTPUT, MESH_PROV_OUT_BLINK, 0), bad);
	assert_int_equal(check(&rich_caps, 0, 0, MESH_PROV_AUTH_INPUT, MESH_PROV_IN_PUSH, 1), bad);
	assert_int_equal(check(&rich_caps, 0, 0, MESH_PROV_AUTH_INPUT,
			       MESH_PROV_IN_ALPHANUMERIC, 7), bad);
	assert_int_equal(check(&rich_caps, 0, 0, MESH_PROV_AUTH_OUTPUT, 20, 1), bad);

	/* Non-zero action or size with No OOB or Static OOB. */
	assert_int_equal(check(&rich_caps, 0, 0, MESH_PROV_AUTH_NO_OOB, 1, 0), bad);
	assert_int_equal(check(&rich_caps, 0, 0, MESH_PROV_AUTH_NO_OOB, 0, 1), bad);
	assert_int_equal(check(&rich_caps, 0, 0, MESH_PROV_AUTH_STATIC, 1, 0), bad);
	assert_int_equal(check(&rich_caps, 0, 0, MESH_PROV_AUTH_STATIC, 0, 1), bad);
	assert_int_equal(check(&rich_caps, 0, 0, 4, 0, 0), bad);

	/* A device with no output/input OOB takes no output/input choice. */
	c = plain_caps;
	assert_int_equal(check(&c, 0, 0, MESH_PROV_AUTH_OUTPUT, MESH_PROV_OUT_BLINK, 1), bad);
	assert_int_equal(check(&c, 0, 0, MESH_PROV_AUTH_INPUT, MESH_PROV_IN_PUSH, 1), bad);

	/* "Only OOB authenticated provisioning" (1.1) rules out No OOB only. */
	c = rich_caps;
	c.static_oob_type |= 0x02;
	assert_int_equal(check(&c, 1, 0, MESH_PROV_AUTH_NO_OOB, 0, 0), bad);
	assert_int_equal(check(&c, 1, 0, MESH_PROV_AUTH_STATIC, 0, 0), 0);
	assert_int_equal(check(&c, 1, 0, MESH_PROV_AUTH_OUTPUT, MESH_PROV_OUT_NUMERIC, 2), 0);
}

/* --- Provisioning Data (8.7.12) --------------------------------------------- */

static void test_data_sample(void **state)
{
	json_t *d = vec_get(prov_vectors(), "provisioning_data");
	struct mesh_prov_data data = { 0 }, back;
	uint8_t want[MESH_PROV_DATA_LEN], out[MESH_PROV_DATA_LEN];

	(void)state;
	vec_hex(d, "netkey", data.net_key, sizeof(data.net_key));
	data.net_idx = (uint16_t)vec_int(d, "netkey_index");
	data.flags = (uint8_t)vec_int(d, "flags");
	data.iv_index = (uint32_t)vec_int(d, "iv_index");
	data.address = (uint16_t)vec_int(d, "unicast_address");
	assert_int_equal(vec_hex(d, "provisioning_data", want, sizeof(want)), MESH_PROV_DATA_LEN);

	mesh_prov_data_encode(&data, out);
	assert_bytes_equal(out, want, MESH_PROV_DATA_LEN);
	assert_int_equal(mesh_prov_data_decode(want, &back), 0);
	assert_bytes_equal(back.net_key, data.net_key, 16);
	assert_int_equal(back.net_idx, data.net_idx);
	assert_int_equal(back.flags, data.flags);
	assert_int_equal(back.iv_index, data.iv_index);
	assert_int_equal(back.address, data.address);
}

static int decode_with(uint16_t net_idx, uint8_t flags, uint16_t address)
{
	struct mesh_prov_data d = { .net_key = { 1 }, .net_idx = net_idx, .flags = flags,
				    .iv_index = 0x12345678, .address = address };
	uint8_t buf[MESH_PROV_DATA_LEN];

	mesh_prov_data_encode(&d, buf);
	return mesh_prov_data_decode(buf, &d);
}

static void test_data_reserved_values(void **state)
{
	(void)state;
	assert_int_equal(decode_with(0x0fff, 0x03, 0x7fff), 0);
	assert_int_equal(decode_with(0, MESH_PROV_FLAG_KEY_REFRESH, 1), 0);
	assert_int_equal(decode_with(0, MESH_PROV_FLAG_IV_UPDATE, 1), 0);
	for (unsigned bit = 2; bit < 8; bit++)
		assert_int_equal(decode_with(0, (uint8_t)(1u << bit), 1), MESH_ERR_RESERVED);
	assert_int_equal(decode_with(0x1000, 0, 1), MESH_ERR_RESERVED);
	assert_int_equal(decode_with(0xffff, 0, 1), MESH_ERR_RESERVED);
	assert_int_equal(decode_with(0, 0, 0x0000), MESH_ERR_RESERVED);
	assert_int_equal(decode_with(0, 0, 0x8000), MESH_ERR_RESERVED);
	assert_int_equal(decode_with(0, 0, 0xc000), MESH_ERR_RESERVED);
	assert_int_equal(decode_with(0, 0, 0xffff), MESH_ERR_RESERVED);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(mesh_prov_pdu_name(MESH_PROV_INVITE), "invite");
	assert_string_equal(mesh_prov_pdu_name(MESH_PROV_PUBLIC_KEY), "public key");
	assert_string_equal(mesh_prov_pdu_name(MESH_PROV_FAILED), "failed");
	assert_string_equal(mesh_prov_pdu_name(MESH_PROV_TYPE_COUNT), "unknown");
	assert_string_equal(mesh_prov_error_name(MESH_PROV_ERR_INVALID_PDU), "invalid PDU");
	assert_string_equal(mesh_prov_error_name(MESH_PROV_ERR_CONFIRMATION_FAILED),
			    "confirmation failed");
	assert_string_equal(mesh_prov_error_name(MESH_PROV_ERR_INVALID_DATA), "invalid data");
	assert_string_equal(mesh_prov_error_name(MESH_PROV_ERR_NONE), "unknown error");
	assert_string_equal(mesh_prov_error_name(0x0a), "unknown error");
	assert_string_equal(mesh_prov_output_action_name(MESH_PROV_OUT_BLINK), "blink");
	assert_string_equal(mesh_prov_output_action_name(MESH_PROV_OUT_ALPHANUMERIC),
			    "alphanumeric");
	assert_string_equal(mesh_prov_output_action_name(5), "unknown");
	assert_string_equal(mesh_prov_input_action_name(MESH_PROV_IN_TWIST), "twist");
	assert_string_equal(mesh_prov_input_action_name(4), "unknown");
	assert_string_equal(mesh_prov_alg_name(MESH_PROV_ALG_CMAC_AES128), "CMAC-AES128");
	assert_string_equal(mesh_prov_alg_name(MESH_PROV_ALG_HMAC_SHA256), "HMAC-SHA256");
	assert_string_equal(mesh_prov_alg_name(2), "unknown");
	/* Every defined code and type has a name of its own. */
	for (uint8_t i = 0; i < MESH_PROV_TYPE_COUNT; i++)
		assert_string_not_equal(mesh_prov_pdu_name(i), "unknown");
	for (uint8_t i = 1; i <= MESH_PROV_ERR_INVALID_DATA; i++)
		assert_string_not_equal(mesh_prov_error_name(i), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_parsed_fields),
		cmocka_unit_test(test_sample_confirmation_pdus),
		cmocka_unit_test(test_sample_pb_adv_pdus),
		cmocka_unit_test(test_wrong_lengths),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_caps_reserved_values),
		cmocka_unit_test(test_start_reserved_values),
		cmocka_unit_test(test_failed_codes),
		cmocka_unit_test(test_parse_error_codes),
		cmocka_unit_test(test_compose_errors),
		cmocka_unit_test(test_start_check),
		cmocka_unit_test(test_data_sample),
		cmocka_unit_test(test_data_reserved_values),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
