/*
 * Transport control message decoders against the specification's sample
 * data: every friendship message of 8.3 decodes to exactly the fields the
 * JSON lists (each listed field must be known and equal), plus heartbeat
 * round trips and the rejection of wrong lengths, RFU bits and prohibited
 * values. The Segment Acknowledgment (opcode 0x00) is lower transport's.
 */
#include <string.h>

#include "mesh/err.h"
#include "mesh/heartbeat.h"
#include "mesh/upper_transport.h"
#include "vectors.h"

/* The decoded value named as in the JSON `control.fields`. */
static bool field_value(const struct mesh_ctl_msg *c, const char *name, long long *v)
{
	const struct mesh_friend_request *rq = &c->u.request;
	const struct mesh_friend_offer *of = &c->u.offer;
	const struct mesh_friend_update *up = &c->u.update;

	switch (c->opcode) {
	case MESH_CTL_FRIEND_POLL:
		if (!strcmp(name, "fsn"))
			return *v = c->u.poll.fsn, true;
		break;
	case MESH_CTL_FRIEND_UPDATE:
		if (!strcmp(name, "flags"))
			return *v = up->flags, true;
		if (!strcmp(name, "iv_index"))
			return *v = up->iv_index, true;
		if (!strcmp(name, "md"))
			return *v = up->md, true;
		break;
	case MESH_CTL_FRIEND_REQUEST:
		if (!strcmp(name, "criteria"))
			return *v = rq->criteria, true;
		if (!strcmp(name, "receive_delay"))
			return *v = rq->receive_delay, true;
		if (!strcmp(name, "poll_timeout"))
			return *v = rq->poll_timeout, true;
		if (!strcmp(name, "previous_address"))
			return *v = rq->previous_address, true;
		if (!strcmp(name, "num_elements"))
			return *v = rq->num_elements, true;
		if (!strcmp(name, "lpn_counter"))
			return *v = rq->lpn_counter, true;
		break;
	case MESH_CTL_FRIEND_OFFER:
		if (!strcmp(name, "receive_window"))
			return *v = of->receive_window, true;
		if (!strcmp(name, "queue_size"))
			return *v = of->queue_size, true;
		if (!strcmp(name, "subscription_list_size"))
			return *v = of->subscription_list_size, true;
		if (!strcmp(name, "rssi"))
			return *v = of->rssi, true;
		if (!strcmp(name, "friend_counter"))
			return *v = of->friend_counter, true;
		break;
	}
	return false;
}

static void test_samples(void **state)
{
	json_t *arr = vec_get(vectors_root(), "messages");
	unsigned int seen[5] = { 0 };
	size_t i;
	json_t *m;

	(void)state;
	json_array_foreach(arr, i, m) {
		uint8_t params[MESH_UPPER_MAX_PDU], pdu[MESH_UPPER_MAX_PDU];
		struct mesh_ctl_msg c;
		json_t *fields, *v;
		const char *name;
		uint8_t opcode;
		size_t len;

		if (strcmp(vec_str(m, "kind"), "control"))
			continue;
		opcode = (uint8_t)vec_int(m, "control.opcode");
		assert_true(opcode < 5);
		seen[opcode]++;
		if (opcode == MESH_CTL_SEG_ACK)
			continue;
		len = vec_hex(m, "control.parameters", params, sizeof(params));
		assert_int_equal(vec_hex(m, "upper_transport_pdu", pdu, sizeof(pdu)), len);
		assert_bytes_equal(params, pdu, len);
		assert_string_equal(mesh_upper_ctl_name(opcode), vec_str(m, "control.opcode_name"));

		memset(&c, 0xa5, sizeof(c));
		assert_int_equal(mesh_upper_ctl_decode(opcode, params, len, &c), 0);
		assert_int_equal(c.opcode, opcode);
		fields = vec_get(m, "control.fields");
		assert_true(json_object_size(fields) > 0);
		json_object_foreach(fields, name, v) {
			long long got;

			if (!field_value(&c, name, &got))
				fail_msg("message #%lld: field %s not decoded",
					 vec_int(m, "message"), name);
			assert_true(json_is_integer(v));
			if (got != json_integer_value(v))
				fail_msg("message #%lld: %s = %lld, expected %lld",
					 vec_int(m, "message"), name, got, json_integer_value(v));
		}
	}
	/* Requests, offers, polls and updates are all in the sample data. */
	for (unsigned int op = 1; op < 5; op++)
		assert_true(seen[op] > 0);
}

/* The subfields of Friend Request's Criteria, from the #1 sample octet. */
static void test_request_criteria(void **state)
{
	json_t *arr = vec_get(vectors_root(), "messages");
	struct mesh_friend_request rq;
	uint8_t params[16];
	size_t len;

	(void)state;
	len = vec_hex(vec_get(arr, "[0]"), "control.parameters", params, sizeof(params));
	assert_int_equal(vec_int(vec_get(arr, "[0]"), "control.opcode"),
			 MESH_CTL_FRIEND_REQUEST);
	assert_int_equal(mesh_upper_friend_request_decode(params, len, &rq), 0);
	assert_int_equal(rq.rssi_factor, (params[0] >> 5) & 3);
	assert_int_equal(rq.receive_window_factor, (params[0] >> 3) & 3);
	assert_int_equal(rq.min_queue_size_log, params[0] & 7);
	assert_int_equal(rq.criteria, params[0]);

	/* Every criteria value without the RFU bit and with a queue decodes. */
	for (unsigned int c = 0; c < 256; c++) {
		params[0] = (uint8_t)c;
		assert_int_equal(mesh_upper_friend_request_decode(params, len, &rq),
				 (c & 0x80) || !(c & 7) ? MESH_ERR_RESERVED : 0);
	}
}

/* Decode p with one octet changed to v; expect err. */
static void expect_mutation(uint8_t opcode, const uint8_t *p, size_t len, size_t at,
			    uint8_t v, int err)
{
	uint8_t buf[16];
	struct mesh_ctl_msg c;

	memcpy(buf, p, len);
	buf[at] = v;
	assert_int_equal(mesh_upper_ctl_decode(opcode, buf, len, &c), err);
}

static void test_rejects(void **state)
{
	/* Valid parameters of each opcode, built here (not sample data). */
	static const uint8_t poll[] = { 0x01 };
	static const uint8_t update[] = { 0x03, 0x00, 0x00, 0x00, 0x01, 0x01 };
	static const uint8_t request[] = { 0x09, 0x0a, 0x00, 0x00, 0x0a, 0x00, 0x00,
					   0x01, 0x00, 0x00 };
	static const uint8_t offer[] = { 0x01, 0x00, 0x00, 0x7f, 0x00, 0x00 };
	static const uint8_t hb[] = { 0x7f, 0x00, 0x0f };
	static const struct {
		uint8_t opcode;
		const uint8_t *p;
		size_t len;
	} ok[] = {
		{ MESH_CTL_FRIEND_POLL, poll, sizeof(poll) },
		{ MESH_CTL_FRIEND_UPDATE, update, sizeof(update) },
		{ MESH_CTL_FRIEND_REQUEST, request, sizeof(request) },
		{ MESH_CTL_FRIEND_OFFER, offer, sizeof(offer) },
		{ MESH_CTL_HEARTBEAT, hb, sizeof(hb) },
	};
	uint8_t buf[16] = { 0 };
	struct mesh_ctl_msg c;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memcpy(buf, ok[i].p, ok[i].len);
		assert_int_equal(mesh_upper_ctl_decode(ok[i].opcode, buf, ok[i].len, &c), 0);
		assert_int_equal(mesh_upper_ctl_decode(ok[i].opcode, buf, ok[i].len - 1, &c),
				 MESH_ERR_TRUNCATED);
		assert_int_equal(mesh_upper_ctl_decode(ok[i].opcode, buf, ok[i].len + 1, &c),
				 MESH_ERR_OVERSIZED);
		assert_int_equal(mesh_upper_ctl_decode(ok[i].opcode, NULL, 0, &c),
				 MESH_ERR_TRUNCATED);
	}
	/* Friend Poll: padding bits. */
	for (unsigned int v = 2; v < 256; v++)
		expect_mutation(MESH_CTL_FRIEND_POLL, poll, sizeof(poll), 0, (uint8_t)v,
				MESH_ERR_RESERVED);
	/* Friend Update: RFU flags, MD other than 0/1. */
	expect_mutation(MESH_CTL_FRIEND_UPDATE, update, sizeof(update), 0, 0x04,
			MESH_ERR_RESERVED);
	expect_mutation(MESH_CTL_FRIEND_UPDATE, update, sizeof(update), 0, 0x80,
			MESH_ERR_RESERVED);
	expect_mutation(MESH_CTL_FRIEND_UPDATE, update, sizeof(update), 5, 0x02,
			MESH_ERR_RESERVED);
	assert_int_equal(mesh_upper_ctl_decode(MESH_CTL_FRIEND_UPDATE, update, sizeof(update),
					       &c), 0);
	assert_true(c.u.update.key_refresh);
	assert_true(c.u.update.iv_update);
	assert_int_equal(c.u.update.iv_index, 1);
	/* Friend Request: receive delay, poll timeout bounds, previous address,
	 * element count. */
	expect_mutation(MESH_CTL_FRIEND_REQUEST, request, sizeof(request), 1, 0x09,
			MESH_ERR_RESERVED);
	expect_mutation(MESH_CTL_FRIEND_REQUEST, request, sizeof(request), 4, 0x09,
			MESH_ERR_RESERVED);
	memcpy(buf, request, sizeof(request));
	buf[2] = 0x34, buf[3] = 0xbb, buf[4] = 0xff;
	assert_int_equal(mesh_upper_friend_request_decode(buf, sizeof(request), &c.u.request), 0);
	assert_int_equal(c.u.request.poll_timeout, 0x34bbff);
	buf[3] = 0xbc, buf[4] = 0x00;
	assert_int_equal(mesh_upper_friend_request_decode(buf, sizeof(request), &c.u.request),
			 MESH_ERR_RESERVED);
	expect_mutation(MESH_CTL_FRIEND_REQUEST, request, sizeof(request), 5, 0x80,
			MESH_ERR_RESERVED);
	expect_mutation(MESH_CTL_FRIEND_REQUEST, request, sizeof(request), 5, 0xc0,
			MESH_ERR_RESERVED);
	expect_mutation(MESH_CTL_FRIEND_REQUEST, request, sizeof(request), 5, 0x7f, 0);
	expect_mutation(MESH_CTL_FRIEND_REQUEST, request, sizeof(request), 7, 0x00,
			MESH_ERR_RESERVED);
	/* Friend Offer: receive window 0; negative RSSI. */
	expect_mutation(MESH_CTL_FRIEND_OFFER, offer, sizeof(offer), 0, 0x00, MESH_ERR_RESERVED);
	expect_mutation(MESH_CTL_FRIEND_OFFER, offer, sizeof(offer), 3, 0x80, 0);
	/* Heartbeat: RFU bit. */
	expect_mutation(MESH_CTL_HEARTBEAT, hb, sizeof(hb), 0, 0x80, MESH_ERR_RESERVED);

	/* Opcodes without a decoder here, and over 7 bits. */
	assert_int_equal(mesh_upper_ctl_decode(MESH_CTL_SEG_ACK, buf, 6, &c),
			 MESH_ERR_UNKNOWN_OPCODE);
	assert_int_equal(mesh_upper_ctl_decode(0x0b, buf, 6, &c), MESH_ERR_UNKNOWN_OPCODE);
	assert_int_equal(mesh_upper_ctl_decode(0x80, buf, 6, &c), MESH_ERR_OPCODE);
	assert_string_equal(mesh_upper_ctl_name(MESH_CTL_HEARTBEAT), "Heartbeat");
	assert_string_equal(mesh_upper_ctl_name(0x0b), "RFU");
	assert_string_equal(mesh_upper_ctl_name(0x7f), "RFU");
}

static void test_heartbeat(void **state)
{
	static const struct mesh_heartbeat cases[] = {
		{ 0, 0 },
		{ 127, MESH_FEAT_KNOWN },
		{ 5, MESH_FEAT_RELAY | MESH_FEAT_FRIEND },
		{ 64, MESH_FEAT_PROXY | MESH_FEAT_LPN },
	};
	uint8_t buf[MESH_HEARTBEAT_LEN];
	struct mesh_heartbeat hb;
	struct mesh_ctl_msg c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mesh_heartbeat_encode(&cases[i], buf), 0);
		/* InitTTL in the low 7 bits of octet 0, features big-endian. */
		assert_int_equal(buf[0], cases[i].init_ttl);
		assert_int_equal(buf[1], cases[i].features >> 8);
		assert_int_equal(buf[2], cases[i].features & 0xff);
		assert_int_equal(mesh_heartbeat_decode(buf, sizeof(buf), &hb), 0);
		assert_int_equal(hb.init_ttl, cases[i].init_ttl);
		assert_int_equal(hb.features, cases[i].features);
		assert_int_equal(mesh_upper_ctl_decode(MESH_CTL_HEARTBEAT, buf, sizeof(buf), &c), 0);
		assert_int_equal(c.u.heartbeat.init_ttl, cases[i].init_ttl);
	}
	hb.init_ttl = 128;
	hb.features = 0;
	assert_int_equal(mesh_heartbeat_encode(&hb, buf), MESH_ERR_INVAL);
	hb.init_ttl = 1;
	hb.features = 0x0010;
	assert_int_equal(mesh_heartbeat_encode(&hb, buf), MESH_ERR_INVAL);
	/* RFU feature bits from a later node are passed through. */
	buf[0] = 0x05, buf[1] = 0x80, buf[2] = 0x01;
	assert_int_equal(mesh_heartbeat_decode(buf, sizeof(buf), &hb), 0);
	assert_int_equal(hb.features, 0x8001);
	/* Hops = InitTTL - RxTTL + 1. */
	hb.init_ttl = 10;
	assert_int_equal(mesh_heartbeat_hops(&hb, 10), 1);
	assert_int_equal(mesh_heartbeat_hops(&hb, 7), 4);
	assert_int_equal(mesh_heartbeat_hops(&hb, 11), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_request_criteria),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_heartbeat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
