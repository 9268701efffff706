/*
 * Configuration messages (Mesh Profile 4.3): every opcode decoded from
 * octets worked out by hand from the message tables and encoded back to
 * the same octets; the AppKey Add / AppKey Status of the section 8 sample
 * data; field meaning of the packed fields (key index pairs, publication
 * parameters, lists); every wrong length and every prohibited value the
 * decoder must refuse (and the encoder must not produce); Composition
 * Data page 0; and the field helpers.
 */
#include <string.h>

#include "mesh/cfg_msg.h"
#include "mesh/err.h"
#include "mesh/util.h"
#include "vectors.h"

#define LABEL "00112233445566778899aabbccddeeff"
#define KEY "63964771734fbd76e3b40519d1d94a48"
#define VND "59003412" /* company 0x0059, model 0x1234 */
/* Composition Data page 0 built by hand: CID 0x0059, PID 0x0001, VID
 * 0x0002, CRPL 0x0020, features relay|proxy|friend; element 0 (loc
 * 0x0100) with SIG 0x0000, 0x0002, 0x1000 and vendor 0x0059:0x0001;
 * element 1 (loc 0x0102) with SIG 0x1000. */
#define COMP0 "5900" "0100" "0200" "2000" "0700" \
	      "0001" "03" "01" "0000" "0200" "0010" "59000100" \
	      "0201" "01" "00" "0010"

struct sample {
	uint32_t opcode;
	const char *hex;
	bool variable;   /* a list or opaque data ends the message */
};

static const struct sample samples[] = {
	{ MESH_OP_CFG_COMP_DATA_GET, "800800", false },
	{ MESH_OP_CFG_COMP_DATA_STATUS, "0200" COMP0, true },
	{ MESH_OP_CFG_BEACON_GET, "8009", false },
	{ MESH_OP_CFG_BEACON_SET, "800a01", false },
	{ MESH_OP_CFG_BEACON_STATUS, "800b00", false },
	{ MESH_OP_CFG_DEFAULT_TTL_GET, "800c", false },
	{ MESH_OP_CFG_DEFAULT_TTL_SET, "800d07", false },
	{ MESH_OP_CFG_DEFAULT_TTL_STATUS, "800e00", false },
	{ MESH_OP_CFG_FRIEND_GET, "800f", false },
	{ MESH_OP_CFG_FRIEND_SET, "801001", false },
	{ MESH_OP_CFG_FRIEND_STATUS, "801102", false },
	{ MESH_OP_CFG_GATT_PROXY_GET, "8012", false },
	{ MESH_OP_CFG_GATT_PROXY_SET, "801300", false },
	{ MESH_OP_CFG_GATT_PROXY_STATUS, "801402", false },
	{ MESH_OP_CFG_KRP_GET, "80155604", false },
	{ MESH_OP_CFG_KRP_SET, "8016560403", false },
	{ MESH_OP_CFG_KRP_STATUS, "801700560402", false },
	{ MESH_OP_CFG_MODEL_PUB_GET, "80180201" VND, false },
	{ MESH_OP_CFG_MODEL_PUB_SET, "03" "0201" "01c0" "5614" "07" "48" "22" "0010", false },
	{ MESH_OP_CFG_MODEL_PUB_VA_SET, "801a" "0201" LABEL "5604" "05" "00" "00" VND, false },
	{ MESH_OP_CFG_MODEL_PUB_STATUS, "8019" "00" "0201" "2381" "5614" "ff" "48" "22" "0010", false },
	{ MESH_OP_CFG_MODEL_SUB_ADD, "801b" "0201" "01c0" "0010", false },
	{ MESH_OP_CFG_MODEL_SUB_DELETE, "801c" "0201" "feff" VND, false },
	{ MESH_OP_CFG_MODEL_SUB_DELETE_ALL, "801d" "0201" VND, false },
	{ MESH_OP_CFG_MODEL_SUB_OVERWRITE, "801e" "0201" "00c0" "0010", false },
	{ MESH_OP_CFG_MODEL_SUB_STATUS, "801f" "05" "0201" "0000" "0010", false },
	{ MESH_OP_CFG_MODEL_SUB_VA_ADD, "8020" "0201" LABEL "0010", false },
	{ MESH_OP_CFG_MODEL_SUB_VA_DELETE, "8021" "0201" LABEL VND, false },
	{ MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE, "8022" "0201" LABEL "0010", false },
	{ MESH_OP_CFG_NET_TRANSMIT_GET, "8023", false },
	{ MESH_OP_CFG_NET_TRANSMIT_SET, "802422", false },
	{ MESH_OP_CFG_NET_TRANSMIT_STATUS, "8025ff", false },
	{ MESH_OP_CFG_RELAY_GET, "8026", false },
	{ MESH_OP_CFG_RELAY_SET, "80270122", false },
	{ MESH_OP_CFG_RELAY_STATUS, "80280200", false },
	{ MESH_OP_CFG_SIG_MODEL_SUB_GET, "8029" "0201" "0010", false },
	{ MESH_OP_CFG_SIG_MODEL_SUB_LIST, "802a" "00" "0201" "0010" "01c0" "02c0" "2381", true },
	{ MESH_OP_CFG_VND_MODEL_SUB_GET, "802b" "0201" VND, false },
	{ MESH_OP_CFG_VND_MODEL_SUB_LIST, "802c" "00" "0201" VND, true },
	{ MESH_OP_CFG_HB_PUB_GET, "8038", false },
	{ MESH_OP_CFG_HB_PUB_SET, "8039" "00c0" "05" "03" "7f" "0300" "0000", false },
	{ MESH_OP_CFG_HB_PUB_STATUS, "06" "00" "0100" "ff" "11" "05" "0f00" "5604", false },
	{ MESH_OP_CFG_HB_SUB_GET, "803a", false },
	{ MESH_OP_CFG_HB_SUB_SET, "803b" "0100" "00c0" "10", false },
	{ MESH_OP_CFG_HB_SUB_STATUS, "803c" "00" "0100" "00c0" "10" "ff" "01" "7f", false },
	{ MESH_OP_CFG_MODEL_APP_BIND, "803d" "0201" "5604" "0010", false },
	{ MESH_OP_CFG_MODEL_APP_STATUS, "803e" "00" "0201" "5604" VND, false },
	{ MESH_OP_CFG_MODEL_APP_UNBIND, "803f" "0201" "0000" VND, false },
	{ MESH_OP_CFG_NETKEY_ADD, "8040" "5604" KEY, false },
	{ MESH_OP_CFG_NETKEY_DELETE, "8041" "5604", false },
	{ MESH_OP_CFG_NETKEY_GET, "8042", false },
	{ MESH_OP_CFG_NETKEY_LIST, "8043" "006045" "2301", true },
	{ MESH_OP_CFG_NETKEY_STATUS, "8044" "00" "5604", false },
	{ MESH_OP_CFG_NETKEY_UPDATE, "8045" "5604" KEY, false },
	{ MESH_OP_CFG_NODE_IDENTITY_GET, "8046" "5604", false },
	{ MESH_OP_CFG_NODE_IDENTITY_SET, "8047" "5604" "01", false },
	{ MESH_OP_CFG_NODE_IDENTITY_STATUS, "8048" "00" "5604" "02", false },
	{ MESH_OP_CFG_NODE_RESET, "8049", false },
	{ MESH_OP_CFG_NODE_RESET_STATUS, "804a", false },
	{ MESH_OP_CFG_SIG_MODEL_APP_GET, "804b" "0201" "0010", false },
	{ MESH_OP_CFG_SIG_MODEL_APP_LIST, "804c" "00" "0201" "0010" "236145", true },
	{ MESH_OP_CFG_VND_MODEL_APP_GET, "804d" "0201" VND, false },
	{ MESH_OP_CFG_VND_MODEL_APP_LIST, "804e" "00" "0201" VND "0100", true },
	{ MESH_OP_CFG_APPKEY_ADD, "00" "563412" KEY, false },
	{ MESH_OP_CFG_APPKEY_UPDATE, "01" "563412" KEY, false },
	{ MESH_OP_CFG_APPKEY_DELETE, "8000" "563412", false },
	{ MESH_OP_CFG_APPKEY_GET, "8001" "5604", false },
	{ MESH_OP_CFG_APPKEY_LIST, "8002" "00" "5604" "236145" "8907", true },
	{ MESH_OP_CFG_APPKEY_STATUS, "8003" "00" "563412", false },
};

/* Decode hex into a payload (the test's own helper: fails on bad hex). */
static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	int n = mesh_hex_decode(hex, out, max);

	assert_true(n >= 0);
	return (size_t)n;
}

static void expect_decode(const char *hex, int want)
{
	uint8_t buf[MESH_ACCESS_MAX_PAYLOAD + 8];
	struct mesh_cfg_msg m;
	size_t len = unhex(hex, buf, sizeof(buf));

	assert_int_equal(mesh_cfg_decode(buf, len, &m), want);
}

/* Decode, check the opcode, encode back to the same octets. */
static void round_trip(const struct sample *s, struct mesh_cfg_msg *m)
{
	uint8_t buf[MESH_ACCESS_MAX_PAYLOAD], again[MESH_ACCESS_MAX_PAYLOAD];
	size_t len = unhex(s->hex, buf, sizeof(buf));
	int n;

	assert_int_equal(mesh_cfg_decode(buf, len, m), 0);
	assert_int_equal(m->opcode, s->opcode);
	n = mesh_cfg_encode(m, again, sizeof(again));
	assert_int_equal(n, (int)len);
	assert_bytes_equal(again, buf, len);
}

static const struct sample *sample_for(uint32_t opcode)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(samples); i++)
		if (samples[i].opcode == opcode)
			return &samples[i];
	fail_msg("no sample for opcode %x", opcode);
	return NULL;
}

static void test_every_opcode_round_trips(void **state)
{
	struct mesh_cfg_msg m, from_params;
	uint8_t buf[MESH_ACCESS_MAX_PAYLOAD];

	(void)state;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(samples); i++) {
		const struct sample *s = &samples[i];
		size_t len = unhex(s->hex, buf, sizeof(buf));
		int op_len = mesh_access_opcode_len(s->opcode);

		round_trip(s, &m);
		/* The params-only entry point gives the same struct. */
		assert_true(op_len > 0);
		assert_int_equal(mesh_cfg_decode_params(s->opcode, buf + op_len,
							len - (size_t)op_len, &from_params), 0);
		assert_memory_equal(&from_params, &m, sizeof(m));
		assert_true(mesh_cfg_is_cfg_opcode(s->opcode));
		assert_string_not_equal(mesh_cfg_opcode_name(s->opcode), "unknown");
		/* Every request names a status, and that status has a sample. */
		assert_true(mesh_cfg_is_request(s->opcode) != mesh_cfg_is_status(s->opcode));
		if (mesh_cfg_is_request(s->opcode))
			assert_true(mesh_cfg_is_status(mesh_cfg_status_opcode_for(s->opcode)));
		else
			assert_int_equal(mesh_cfg_status_opcode_for(s->opcode), MESH_CFG_OP_NONE);
		/* Opcodes are distinct. */
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(samples[j].opcode, s->opcode);
	}
	/* 4.3.4 lists 71 Configuration messages of Mesh Profile 1.0.1 without
	 * the Low Power PollTimeout pair; all are covered. */
	assert_int_equal(MESH_ARRAY_SIZE(samples), 69);
}

/* Mesh Profile 8.3.5 / 8.3.16 (messages #6 and #16): AppKey Add and Status. */
static void test_sample_data_appkey(void **state)
{
	json_t *add = vec_get(vectors_root(), "messages.[5].access");
	json_t *status = vec_get(vectors_root(), "messages.[15].access");
	uint8_t payload[64], key[16], out[64];
	struct mesh_cfg_msg m;
	size_t len;

	(void)state;
	len = vec_hex(add, "access_payload", payload, sizeof(payload));
	assert_int_equal(mesh_cfg_decode(payload, len, &m), 0);
	assert_int_equal(m.opcode, MESH_OP_CFG_APPKEY_ADD);
	assert_int_equal(m.app_key.net_idx, vec_int(add, "fields.netkey_index"));
	assert_int_equal(m.app_key.app_idx, vec_int(add, "fields.appkey_index"));
	vec_hex(add, "fields.appkey", key, sizeof(key));
	assert_memory_equal(m.app_key.key, key, 16);
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), (int)len);
	assert_bytes_equal(out, payload, len);

	len = vec_hex(status, "access_payload", payload, sizeof(payload));
	assert_int_equal(mesh_cfg_decode(payload, len, &m), 0);
	assert_int_equal(m.opcode, MESH_OP_CFG_APPKEY_STATUS);
	assert_int_equal(m.app_key.status, vec_int(status, "fields.status"));
	assert_int_equal(m.app_key.net_idx, vec_int(status, "fields.netkey_index"));
	assert_int_equal(m.app_key.app_idx, vec_int(status, "fields.appkey_index"));
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), (int)len);
	assert_bytes_equal(out, payload, len);
}

static void test_key_index_packing(void **state)
{
	static const uint8_t want[3] = { 0x23, 0x61, 0x45 };
	uint8_t p[3];
	uint16_t a, b;

	(void)state;
	mesh_cfg_key_idx_pack(0x0123, 0x0456, p);
	assert_bytes_equal(p, want, 3);
	mesh_cfg_key_idx_unpack(p, &a, &b);
	assert_int_equal(a, 0x0123);
	assert_int_equal(b, 0x0456);
	mesh_cfg_key_idx_pack(0x0fff, 0x0000, p);
	assert_int_equal(p[0], 0xff);
	assert_int_equal(p[1], 0x0f);
	assert_int_equal(p[2], 0x00);
}

/* The decoded fields of the packed messages say what the octets mean. */
static void test_decoded_fields(void **state)
{
	static const uint8_t label[16] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	struct mesh_cfg_msg m;

	(void)state;
	round_trip(sample_for(MESH_OP_CFG_MODEL_PUB_SET), &m);
	assert_int_equal(m.model_pub.elem_addr, 0x0102);
	assert_int_equal(m.model_pub.pub_addr, 0xc001);
	assert_int_equal(m.model_pub.app_idx, 0x456);
	assert_true(m.model_pub.cred_flag);
	assert_int_equal(m.model_pub.ttl, 7);
	assert_int_equal(mesh_cfg_pub_period_ms(m.model_pub.period), 8000);
	assert_int_equal(mesh_cfg_pub_retransmit_count(m.model_pub.retransmit), 2);
	assert_int_equal(mesh_cfg_pub_retransmit_interval_ms(m.model_pub.retransmit), 250);
	assert_true(mesh_model_id_equal(m.model_pub.model, mesh_model_id_sig(0x1000)));

	round_trip(sample_for(MESH_OP_CFG_MODEL_PUB_VA_SET), &m);
	assert_memory_equal(m.model_pub.label, label, 16);
	assert_int_equal(m.model_pub.pub_addr, 0);
	assert_false(m.model_pub.cred_flag);
	assert_true(mesh_model_id_equal(m.model_pub.model, mesh_model_id_vendor(0x0059, 0x1234)));

	round_trip(sample_for(MESH_OP_CFG_MODEL_PUB_STATUS), &m);
	assert_int_equal(m.model_pub.pub_addr, 0x8123);
	assert_int_equal(m.model_pub.ttl, MESH_CFG_PUB_TTL_DEFAULT);

	round_trip(sample_for(MESH_OP_CFG_MODEL_APP_STATUS), &m);
	assert_int_equal(m.model_app.status, MESH_CFG_SUCCESS);
	assert_int_equal(m.model_app.elem_addr, 0x0102);
	assert_int_equal(m.model_app.app_idx, 0x456);
	assert_true(m.model_app.model.vendor);
	assert_int_equal(m.model_app.model.company, 0x0059);
	assert_int_equal(m.model_app.model.id, 0x1234);

	round_trip(sample_for(MESH_OP_CFG_NETKEY_LIST), &m);
	assert_int_equal(m.key_list.n, 3);
	assert_int_equal(m.key_list.idx[0], 0x000);
	assert_int_equal(m.key_list.idx[1], 0x456);
	assert_int_equal(m.key_list.idx[2], 0x123);

	round_trip(sample_for(MESH_OP_CFG_APPKEY_LIST), &m);
	assert_int_equal(m.key_list.net_idx, 0x456);
	assert_int_equal(m.key_list.n, 3);
	assert_int_equal(m.key_list.idx[0], 0x123);
	assert_int_equal(m.key_list.idx[1], 0x456);
	assert_int_equal(m.key_list.idx[2], 0x789);

	round_trip(sample_for(MESH_OP_CFG_SIG_MODEL_SUB_LIST), &m);
	assert_int_equal(m.model_sub_list.n, 3);
	assert_int_equal(m.model_sub_list.addr[0], 0xc001);
	assert_int_equal(m.model_sub_list.addr[2], 0x8123);

	round_trip(sample_for(MESH_OP_CFG_VND_MODEL_SUB_LIST), &m);
	assert_int_equal(m.model_sub_list.n, 0);

	round_trip(sample_for(MESH_OP_CFG_HB_PUB_STATUS), &m);
	assert_int_equal(m.hb_pub.dst, 0x0001);
	assert_int_equal(m.hb_pub.count_log, 0xff);
	assert_int_equal(m.hb_pub.period_log, 0x11);
	assert_int_equal(m.hb_pub.ttl, 5);
	assert_int_equal(m.hb_pub.features, 0x000f);
	assert_int_equal(m.hb_pub.net_idx, 0x456);

	round_trip(sample_for(MESH_OP_CFG_HB_SUB_STATUS), &m);
	assert_int_equal(m.hb_sub.src, 0x0001);
	assert_int_equal(m.hb_sub.dst, 0xc000);
	assert_int_equal(m.hb_sub.period_log, 0x10);
	assert_int_equal(m.hb_sub.count_log, 0xff);
	assert_int_equal(m.hb_sub.min_hops, 1);
	assert_int_equal(m.hb_sub.max_hops, 0x7f);

	round_trip(sample_for(MESH_OP_CFG_RELAY_SET), &m);
	assert_int_equal(m.relay.relay, MESH_CFG_ENABLED);
	assert_int_equal(mesh_cfg_net_transmit_count(m.relay.retransmit), 3);
	assert_int_equal(mesh_cfg_net_transmit_interval_ms(m.relay.retransmit), 50);

	round_trip(sample_for(MESH_OP_CFG_COMP_DATA_STATUS), &m);
	assert_int_equal(m.comp_data.page, 0);
	assert_int_equal(m.comp_data.len, 30);
}

/* Encode from a struct (the client's direction): octets as the tables say. */
static void test_encode_from_struct(void **state)
{
	static const uint8_t bind_vnd[] = {
		0x80, 0x3d, 0x05, 0x00, 0x23, 0x01, 0x59, 0x00, 0x34, 0x12,
	};
	static const uint8_t pub_set[] = {
		0x03, 0x02, 0x01, 0x01, 0xc0, 0x56, 0x14, 0x07, 0x48, 0x22, 0x00, 0x10,
	};
	static const uint8_t hb_sub_set[] = { 0x80, 0x3b, 0x00, 0x00, 0x00, 0x00, 0x00 };
	struct mesh_cfg_msg m;
	uint8_t out[32];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_MODEL_APP_BIND;
	m.model_app.elem_addr = 0x0005;
	m.model_app.app_idx = 0x0123;
	m.model_app.model = mesh_model_id_vendor(0x0059, 0x1234);
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), sizeof(bind_vnd));
	assert_bytes_equal(out, bind_vnd, sizeof(bind_vnd));

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_MODEL_PUB_SET;
	m.model_pub.elem_addr = 0x0102;
	m.model_pub.pub_addr = 0xc001;
	m.model_pub.app_idx = 0x456;
	m.model_pub.cred_flag = true;
	m.model_pub.ttl = 7;
	assert_int_equal(mesh_cfg_pub_period_from_ms(8000, &m.model_pub.period), 0);
	assert_int_equal(mesh_cfg_pub_retransmit_make(2, 250, &m.model_pub.retransmit), 0);
	m.model_pub.model = mesh_model_id_sig(0x1000);
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), sizeof(pub_set));
	assert_bytes_equal(out, pub_set, sizeof(pub_set));

	/* Turning heartbeat subscription off: all zero. */
	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_HB_SUB_SET;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), sizeof(hb_sub_set));
	assert_bytes_equal(out, hb_sub_set, sizeof(hb_sub_set));

	/* Too small a buffer. */
	m.opcode = MESH_OP_CFG_MODEL_PUB_SET;
	m.model_pub = (struct mesh_cfg_model_pub){ .pub_addr = 0xc001,
						  .model = mesh_model_id_sig(0x1000) };
	assert_int_equal(mesh_cfg_encode(&m, out, 11), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_cfg_encode(&m, out, 12), 12);
	assert_int_equal(mesh_cfg_encode(&m, out, 1), MESH_ERR_OVERSIZED);
}

/* Does the sample end in a vendor model ID where SIG IDs are allowed too? */
static bool any_form_vendor(const struct sample *s)
{
	size_t n = strlen(s->hex);

	return n >= 8 && !strcmp(s->hex + n - 8, VND) &&
	       s->opcode != MESH_OP_CFG_VND_MODEL_APP_GET &&
	       s->opcode != MESH_OP_CFG_VND_MODEL_SUB_GET;
}

/* Has the sample parameters to cut? */
static bool cut_ok_len(const struct sample *s, size_t len)
{
	return (size_t)mesh_access_opcode_len(s->opcode) < len;
}

/* Fixed-length messages: one octet less is truncated (so is every shorter
 * prefix), three more oversized. */
static void test_wrong_lengths(void **state)
{
	uint8_t buf[MESH_ACCESS_MAX_PAYLOAD + 1];
	struct mesh_cfg_msg m;

	(void)state;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(samples); i++) {
		const struct sample *s = &samples[i];
		size_t len = unhex(s->hex, buf, sizeof(buf));
		int op_len = mesh_access_opcode_len(s->opcode);

		/* No prefix of a message decodes as that message. */
		for (size_t cut = (size_t)op_len; cut < len; cut++) {
			int err = mesh_cfg_decode(buf, cut, &m);

			/* A shorter list is a list, maybe ending in a lone
			 * index with padding bits set. */
			if (s->variable && (err == 0 || err == MESH_ERR_RESERVED))
				continue;
			if (err == 0 && cut == len - 2 && any_form_vendor(s))
				continue; /* a vendor ID less 2 octets is a SIG ID */
			if (err != MESH_ERR_TRUNCATED && err != MESH_ERR_MALFORMED)
				fail_msg("%s cut to %zu: %d", s->hex, cut, err);
		}
		memset(buf + len, 0, 3);
		if (!s->variable) {
			int err = mesh_cfg_decode(buf, len + 1, &m);

			if (cut_ok_len(s, len))
				assert_int_equal(mesh_cfg_decode(buf, len - 1, &m),
						 MESH_ERR_TRUNCATED);
			/* A SIG model ID and one octet more is a vendor ID cut
			 * short; anything else is too long. */
			assert_true(err == MESH_ERR_OVERSIZED || err == MESH_ERR_TRUNCATED);
			assert_int_equal(mesh_cfg_decode(buf, len + 3, &m), MESH_ERR_OVERSIZED);
		}
	}
	/* Any-form model IDs: 2 or 4 octets; 3 is a vendor ID cut short. */
	expect_decode("803d" "0201" "5604" "001000", MESH_ERR_TRUNCATED);
	expect_decode("803d" "0201" "5604" "0010", 0);
	expect_decode("803d" "0201" "5604" "5900341200", MESH_ERR_OVERSIZED);
	/* SIG-only and vendor-only Gets. */
	expect_decode("804b" "0201" VND, MESH_ERR_OVERSIZED);
	expect_decode("804d" "0201" "0010", MESH_ERR_TRUNCATED);
	expect_decode("8029" "0201" "001000", MESH_ERR_OVERSIZED);
	/* Lists that are not a whole number of entries. */
	expect_decode("8043" "006045" "23", MESH_ERR_MALFORMED);
	expect_decode("8002" "00" "5604" "2301", 0);
	expect_decode("8002" "00" "5604" "236145" "89", MESH_ERR_MALFORMED);
	expect_decode("802a" "00" "0201" "0010" "01c0" "02", MESH_ERR_MALFORMED);
	expect_decode("804c" "00" "0201" "00", MESH_ERR_TRUNCATED);
	/* Empty lists and empty Composition Data are lists too. */
	expect_decode("8043", 0);
	expect_decode("8002" "00" "5604", 0);
	expect_decode("0200", 0);
	expect_decode("02", MESH_ERR_TRUNCATED);
}

static void test_payload_errors(void **state)
{
	uint8_t big[MESH_ACCESS_MAX_PAYLOAD + 1];
	struct mesh_cfg_msg m;

	(void)state;
	memset(big, 0, sizeof(big));
	assert_int_equal(mesh_cfg_decode(big, 0, &m), MESH_ERR_TRUNCATED);
	expect_decode("7f", MESH_ERR_OPCODE);
	expect_decode("80", MESH_ERR_OPCODE);
	/* Health Current Status and Attention Get: access messages, not ours. */
	expect_decode("04", MESH_ERR_UNKNOWN_OPCODE);
	expect_decode("8004", MESH_ERR_UNKNOWN_OPCODE);
	expect_decode("c05900", MESH_ERR_UNKNOWN_OPCODE);
	/* A Composition Data Status longer than any access message. */
	memset(big, 0, sizeof(big));
	big[0] = 0x02;
	assert_int_equal(mesh_cfg_decode(big, sizeof(big), &m), MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_cfg_decode(big, sizeof(big) - 1, &m), 0);
	assert_int_equal(m.comp_data.len, MESH_CFG_COMP_DATA_MAX);
	assert_int_equal(mesh_cfg_decode_params(MESH_OP_CFG_COMP_DATA_STATUS, big,
						MESH_CFG_COMP_DATA_MAX + 2, &m),
			 MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_cfg_decode_params(0x04, big, 1, &m), MESH_ERR_UNKNOWN_OPCODE);
}

/* Prohibited and RFU field values, one per rule. */
static void test_reserved_values(void **state)
{
	(void)state;
	expect_decode("800a02", MESH_ERR_RESERVED);        /* Beacon Set 0x02 */
	expect_decode("800b02", MESH_ERR_RESERVED);        /* Beacon Status 0x02 */
	expect_decode("800d01", MESH_ERR_RESERVED);        /* Default TTL 0x01 */
	expect_decode("800d80", MESH_ERR_RESERVED);
	expect_decode("800e01", MESH_ERR_RESERVED);
	expect_decode("800d7f", 0);
	expect_decode("801302", MESH_ERR_RESERVED);        /* GATT Proxy Set: no "not supported" */
	expect_decode("801403", MESH_ERR_RESERVED);
	expect_decode("801002", MESH_ERR_RESERVED);        /* Friend Set */
	expect_decode("801103", MESH_ERR_RESERVED);
	expect_decode("80270200", MESH_ERR_RESERVED);      /* Relay Set 0x02 */
	expect_decode("80280300", MESH_ERR_RESERVED);
	expect_decode("8047" "5604" "02", MESH_ERR_RESERVED); /* Node Identity Set */
	expect_decode("8048" "00" "5604" "03", MESH_ERR_RESERVED);
	expect_decode("8046" "0010", MESH_ERR_RESERVED);   /* NetKey index 0x1000 */
	expect_decode("8016" "5604" "01", MESH_ERR_RESERVED); /* KRP transition 1 */
	expect_decode("8016" "5604" "00", MESH_ERR_RESERVED);
	expect_decode("8016" "5604" "02", 0);
	expect_decode("8017" "00" "5604" "03", MESH_ERR_RESERVED);
	expect_decode("8041" "00f0", MESH_ERR_RESERVED);   /* NetKey Delete 0xf000 */
	expect_decode("8044" "00" "0010", MESH_ERR_RESERVED);
	expect_decode("8001" "0010", MESH_ERR_RESERVED);   /* AppKey Get */
	expect_decode("8002" "00" "0010", MESH_ERR_RESERVED);
	expect_decode("8043" "006045" "2311", MESH_ERR_RESERVED); /* lone index 0x1123 */
	expect_decode("803d" "0201" "0010" "0010", MESH_ERR_RESERVED); /* AppKey index */
	expect_decode("804c" "00" "0201" "0010" "2311", MESH_ERR_RESERVED);
	/* Model Publication: RFU bits after the Credential Flag, TTL 0x80-0xfe,
	 * a virtual address in the non-virtual Set. */
	expect_decode("03" "0201" "01c0" "5624" "07" "48" "22" "0010", MESH_ERR_RESERVED);
	expect_decode("03" "0201" "01c0" "5684" "07" "48" "22" "0010", MESH_ERR_RESERVED);
	expect_decode("03" "0201" "01c0" "5604" "80" "48" "22" "0010", MESH_ERR_RESERVED);
	expect_decode("03" "0201" "01c0" "5604" "fe" "48" "22" "0010", MESH_ERR_RESERVED);
	expect_decode("03" "0201" "0080" "5604" "07" "48" "22" "0010", MESH_ERR_RESERVED);
	expect_decode("03" "0201" "0100" "5604" "ff" "48" "22" "0010", 0);
	expect_decode("03" "0201" "0000" "5604" "00" "00" "00" "0010", 0);
	expect_decode("8019" "00" "0201" "2381" "5604" "90" "48" "22" "0010", MESH_ERR_RESERVED);
	expect_decode("801a" "0201" LABEL "5634" "05" "00" "00" "0010", MESH_ERR_RESERVED);
	/* Subscription addresses: a group, not all-nodes. */
	expect_decode("801b" "0201" "0000" "0010", MESH_ERR_RESERVED);
	expect_decode("801b" "0201" "0100" "0010", MESH_ERR_RESERVED);
	expect_decode("801b" "0201" "0180" "0010", MESH_ERR_RESERVED);
	expect_decode("801b" "0201" "ffff" "0010", MESH_ERR_RESERVED);
	expect_decode("801e" "0201" "ffff" "0010", MESH_ERR_RESERVED);
	expect_decode("801c" "0201" "fcff" "0010", 0);
	/* The status echoes what was asked, whatever it was. */
	expect_decode("801f" "01" "0201" "ffff" "0010", 0);
	/* Heartbeat Publication: Count Log 0x12-0xfe, Period Log 0x12-0xff,
	 * TTL 0x80-0xff and a virtual destination are prohibited. */
	expect_decode("8039" "00c0" "12" "03" "7f" "0300" "0000", MESH_ERR_RESERVED);
	expect_decode("8039" "00c0" "fe" "03" "7f" "0300" "0000", MESH_ERR_RESERVED);
	expect_decode("8039" "00c0" "ff" "03" "7f" "0300" "0000", 0);
	expect_decode("8039" "00c0" "05" "12" "7f" "0300" "0000", MESH_ERR_RESERVED);
	expect_decode("8039" "00c0" "05" "ff" "7f" "0300" "0000", MESH_ERR_RESERVED);
	expect_decode("8039" "00c0" "05" "03" "80" "0300" "0000", MESH_ERR_RESERVED);
	expect_decode("8039" "0080" "05" "03" "7f" "0300" "0000", MESH_ERR_RESERVED);
	expect_decode("8039" "00c0" "05" "03" "7f" "0300" "0010", MESH_ERR_RESERVED);
	/* RFU feature bits report features of later versions: kept. */
	expect_decode("8039" "00c0" "05" "03" "7f" "ffff" "0000", 0);
	expect_decode("06" "00" "0080" "05" "03" "7f" "0300" "0000", MESH_ERR_RESERVED);
	/* Heartbeat Subscription: source unassigned/unicast, destination not
	 * virtual, logs and hops in range. */
	expect_decode("803b" "00c0" "00c0" "10", MESH_ERR_RESERVED);
	expect_decode("803b" "0080" "00c0" "10", MESH_ERR_RESERVED);
	expect_decode("803b" "0100" "0080" "10", MESH_ERR_RESERVED);
	expect_decode("803b" "0100" "0100" "12", MESH_ERR_RESERVED);
	expect_decode("803b" "0100" "0100" "11", 0);
	expect_decode("803c" "00" "0100" "00c0" "10" "12" "01" "7f", MESH_ERR_RESERVED);
	expect_decode("803c" "00" "0100" "00c0" "10" "05" "80" "7f", MESH_ERR_RESERVED);
	expect_decode("803c" "00" "0100" "00c0" "10" "05" "01" "80", MESH_ERR_RESERVED);
	expect_decode("803c" "00" "0100" "00c0" "12" "05" "01" "7f", MESH_ERR_RESERVED);
	/* Status codes are passed through, even RFU ones. */
	expect_decode("8003" "ff" "563412", 0);
}

/* What the decoder refuses, the encoder does not produce. */
static void test_encode_refuses(void **state)
{
	struct mesh_cfg_msg m;
	uint8_t out[MESH_ACCESS_MAX_PAYLOAD + 16];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.opcode = 0x04; /* Health Current Status */
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_OPCODE);
	m.opcode = MESH_CFG_OP_NONE;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_OPCODE);

	m.opcode = MESH_OP_CFG_DEFAULT_TTL_SET;
	m.value = 1;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_INVAL);

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_APPKEY_ADD;
	m.app_key.app_idx = 0x1000;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_INVAL);

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_VND_MODEL_APP_GET;
	m.model_app_list.model = mesh_model_id_sig(0x1000);
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_INVAL);
	m.opcode = MESH_OP_CFG_SIG_MODEL_SUB_LIST;
	m.model_sub_list.model = mesh_model_id_vendor(1, 2);
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_INVAL);

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_MODEL_SUB_ADD;
	m.model_sub.addr = 0xffff;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_INVAL);

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_MODEL_PUB_SET;
	m.model_pub.pub_addr = 0x8123;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_INVAL);

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_HB_PUB_SET;
	m.hb_pub.period_log = 0x12;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_INVAL);

	/* Lists: beyond the array bound, and beyond one access message. */
	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_NETKEY_LIST;
	m.key_list.n = MESH_CFG_KEY_LIST_MAX + 1;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_INVAL);
	m.key_list.n = MESH_CFG_KEY_LIST_MAX;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), 2 + 378);
	m.key_list.idx[7] = 0x1000;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_INVAL);
	m.opcode = MESH_OP_CFG_APPKEY_LIST;
	m.key_list.idx[7] = 0;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_OVERSIZED);
	m.key_list.n = 250;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ACCESS_MAX_PAYLOAD);

	memset(&m, 0, sizeof(m));
	m.opcode = MESH_OP_CFG_COMP_DATA_STATUS;
	m.comp_data.len = MESH_CFG_COMP_DATA_MAX + 1;
	assert_int_equal(mesh_cfg_encode(&m, out, sizeof(out)), MESH_ERR_INVAL);
}

static void test_status_opcode_for(void **state)
{
	(void)state;
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_NODE_RESET),
			 MESH_OP_CFG_NODE_RESET_STATUS);
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_MODEL_APP_BIND),
			 MESH_OP_CFG_MODEL_APP_STATUS);
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_MODEL_APP_UNBIND),
			 MESH_OP_CFG_MODEL_APP_STATUS);
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_SIG_MODEL_APP_GET),
			 MESH_OP_CFG_SIG_MODEL_APP_LIST);
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_VND_MODEL_SUB_GET),
			 MESH_OP_CFG_VND_MODEL_SUB_LIST);
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE),
			 MESH_OP_CFG_MODEL_SUB_STATUS);
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_MODEL_PUB_VA_SET),
			 MESH_OP_CFG_MODEL_PUB_STATUS);
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_APPKEY_GET),
			 MESH_OP_CFG_APPKEY_LIST);
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_NETKEY_GET),
			 MESH_OP_CFG_NETKEY_LIST);
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_HB_PUB_SET),
			 MESH_OP_CFG_HB_PUB_STATUS);
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_COMP_DATA_GET),
			 MESH_OP_CFG_COMP_DATA_STATUS);
	assert_int_equal(mesh_cfg_status_opcode_for(MESH_OP_CFG_APPKEY_STATUS), MESH_CFG_OP_NONE);
	assert_int_equal(mesh_cfg_status_opcode_for(0x8004), MESH_CFG_OP_NONE);
	assert_false(mesh_cfg_is_request(0x8004));
	assert_false(mesh_cfg_is_status(0x8004));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(mesh_cfg_status_str(MESH_CFG_SUCCESS), "Success");
	assert_string_equal(mesh_cfg_status_str(MESH_CFG_INVALID_ADDRESS), "Invalid Address");
	assert_string_equal(mesh_cfg_status_str(MESH_CFG_CANNOT_BIND), "Cannot Bind");
	assert_string_equal(mesh_cfg_status_str(MESH_CFG_INVALID_BINDING), "Invalid Binding");
	assert_string_equal(mesh_cfg_status_str(0x12), "RFU");
	assert_string_equal(mesh_cfg_status_str(0xff), "RFU");
	for (uint8_t s = 0; s <= MESH_CFG_INVALID_BINDING; s++)
		assert_string_not_equal(mesh_cfg_status_str(s), "RFU");
	assert_string_equal(mesh_cfg_opcode_name(MESH_OP_CFG_APPKEY_ADD), "Config AppKey Add");
	assert_string_equal(mesh_cfg_opcode_name(MESH_OP_CFG_HB_PUB_STATUS),
			    "Config Heartbeat Publication Status");
	assert_string_equal(mesh_cfg_opcode_name(0x8004), "unknown");
}

/* --- Composition Data page 0 --------------------------------------------- */

static void test_comp0_sample(void **state)
{
	uint8_t data[64], out[64];
	struct mesh_comp0 c;
	size_t len = unhex(COMP0, data, sizeof(data));

	(void)state;
	assert_int_equal(mesh_cfg_comp0_parse(data, len, &c), 0);
	assert_int_equal(c.cid, 0x0059);
	assert_int_equal(c.pid, 0x0001);
	assert_int_equal(c.vid, 0x0002);
	assert_int_equal(c.crpl, 0x0020);
	assert_int_equal(c.features, 0x0007);
	assert_int_equal(c.n_elems, 2);
	assert_int_equal(c.elems[0].loc, 0x0100);
	assert_int_equal(c.elems[0].n_sig, 3);
	assert_int_equal(c.elems[0].n_vnd, 1);
	assert_true(mesh_model_id_equal(c.elems[0].models[0], mesh_model_id_sig(0x0000)));
	assert_true(mesh_model_id_equal(c.elems[0].models[1], mesh_model_id_sig(0x0002)));
	assert_true(mesh_model_id_equal(c.elems[0].models[2], mesh_model_id_sig(0x1000)));
	assert_true(mesh_model_id_equal(c.elems[0].models[3], mesh_model_id_vendor(0x59, 1)));
	assert_int_equal(c.elems[1].loc, 0x0102);
	assert_int_equal(c.elems[1].n_sig, 1);
	assert_int_equal(c.elems[1].n_vnd, 0);
	assert_true(mesh_model_id_equal(c.elems[1].models[0], mesh_model_id_sig(0x1000)));
	assert_int_equal(mesh_cfg_comp0_encode(&c, out, sizeof(out)), (int)len);
	assert_bytes_equal(out, data, len);
	assert_int_equal(mesh_cfg_comp0_encode(&c, out, len - 1), MESH_ERR_OVERSIZED);

	/* An element without models is allowed. */
	len = unhex("5900010002002000000000010000", data, sizeof(data));
	assert_int_equal(mesh_cfg_comp0_parse(data, len, &c), 0);
	assert_int_equal(c.n_elems, 1);
	assert_int_equal(c.elems[0].n_sig + c.elems[0].n_vnd, 0);
}

static void test_comp0_errors(void **state)
{
	uint8_t data[MESH_CFG_COMP_DATA_MAX + 64];
	struct mesh_comp0 c;
	size_t len = unhex(COMP0, data, sizeof(data));

	(void)state;
	/* Every cut is truncated, except the cut after element 0 (a valid
	 * single-element page) and the header alone (no element). */
	for (size_t cut = 0; cut < len; cut++) {
		int err = mesh_cfg_comp0_parse(data, cut, &c);

		if (cut == len - 6)
			assert_int_equal(err, 0);
		else if (cut == MESH_COMP0_HEADER_LEN)
			assert_int_equal(err, MESH_ERR_MALFORMED);
		else
			assert_int_equal(err, MESH_ERR_TRUNCATED);
	}
	/* A model twice in one element. */
	len = unhex("5900010002002000000000010200" "0010" "0010", data, sizeof(data));
	assert_int_equal(mesh_cfg_comp0_parse(data, len, &c), MESH_ERR_MALFORMED);
	len = unhex("5900010002002000000000010002" "59000100" "59000100", data, sizeof(data));
	assert_int_equal(mesh_cfg_comp0_parse(data, len, &c), MESH_ERR_MALFORMED);
	/* Same model ID as SIG and as vendor is two models. */
	len = unhex("5900010002002000000000010101" "0100" "00000100", data, sizeof(data));
	assert_int_equal(mesh_cfg_comp0_parse(data, len, &c), 0);

	/* Too many elements: 33 empty ones. */
	len = unhex("59000100020020000000", data, sizeof(data));
	for (int i = 0; i <= MESH_COMP_ELEMS_MAX; i++, len += 4)
		memset(data + len, 0, 4);
	assert_int_equal(mesh_cfg_comp0_parse(data, len, &c), MESH_ERR_FULL);
	assert_int_equal(mesh_cfg_comp0_parse(data, len - 4, &c), 0);
	assert_int_equal(c.n_elems, MESH_COMP_ELEMS_MAX);

	/* Too many models in one element: 33 SIG models. */
	len = unhex("59000100020020000000" "0000", data, sizeof(data));
	data[len++] = MESH_COMP_ELEM_MODELS_MAX + 1;
	data[len++] = 0;
	for (int i = 0; i <= MESH_COMP_ELEM_MODELS_MAX; i++, len += 2)
		mesh_put_le16(data + len, (uint16_t)(0x1000 + i));
	assert_int_equal(mesh_cfg_comp0_parse(data, len, &c), MESH_ERR_FULL);
}

static void test_comp0_encode_refuses(void **state)
{
	struct mesh_comp0 c;
	uint8_t out[64];

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(mesh_cfg_comp0_encode(&c, out, sizeof(out)), MESH_ERR_INVAL);
	c.n_elems = 1;
	c.elems[0].n_sig = 1;
	c.elems[0].n_vnd = 1;
	c.elems[0].models[0] = mesh_model_id_sig(0x1000);
	c.elems[0].models[1] = mesh_model_id_vendor(0x59, 1);
	assert_int_equal(mesh_cfg_comp0_encode(&c, out, sizeof(out)), 10 + 4 + 2 + 4);
	/* Vendor model where a SIG one belongs. */
	c.elems[0].models[0] = mesh_model_id_vendor(0x59, 2);
	assert_int_equal(mesh_cfg_comp0_encode(&c, out, sizeof(out)), MESH_ERR_INVAL);
	c.elems[0].models[0] = mesh_model_id_sig(0x1000);
	c.elems[0].models[1] = mesh_model_id_sig(0x1001);
	assert_int_equal(mesh_cfg_comp0_encode(&c, out, sizeof(out)), MESH_ERR_INVAL);
	c.elems[0].n_vnd = 0;
	c.elems[0].n_sig = 2;
	c.elems[0].models[1] = mesh_model_id_sig(0x1000);
	assert_int_equal(mesh_cfg_comp0_encode(&c, out, sizeof(out)), MESH_ERR_INVAL);
	c.elems[0].n_sig = MESH_COMP_ELEM_MODELS_MAX + 1;
	assert_int_equal(mesh_cfg_comp0_encode(&c, out, sizeof(out)), MESH_ERR_INVAL);
	c.elems[0].n_sig = 0;
	c.n_elems = MESH_COMP_ELEMS_MAX + 1;
	assert_int_equal(mesh_cfg_comp0_encode(&c, out, sizeof(out)), MESH_ERR_INVAL);
}

/* --- Helpers ---------------------------------------------------------------- */

static void test_pub_period(void **state)
{
	uint8_t p;

	(void)state;
	assert_int_equal(mesh_cfg_pub_period_ms(0x00), 0);
	assert_int_equal(mesh_cfg_pub_period_ms(0x05), 500);        /* 5 x 100 ms */
	assert_int_equal(mesh_cfg_pub_period_ms(0x41), 1000);       /* 1 x 1 s */
	assert_int_equal(mesh_cfg_pub_period_ms(0x83), 30000);      /* 3 x 10 s */
	assert_int_equal(mesh_cfg_pub_period_ms(0xc2), 1200000);    /* 2 x 10 min */
	assert_int_equal(mesh_cfg_pub_period_ms(0xff), MESH_CFG_PUB_PERIOD_MAX_MS);

	assert_int_equal(mesh_cfg_pub_period_from_ms(0, &p), 0);
	assert_int_equal(p, 0x00);
	assert_int_equal(mesh_cfg_pub_period_from_ms(6300, &p), 0);
	assert_int_equal(p, 0x3f);                                  /* 63 x 100 ms */
	assert_int_equal(mesh_cfg_pub_period_from_ms(6400, &p), 1); /* 7 x 1 s */
	assert_int_equal(p, 0x47);
	assert_int_equal(mesh_cfg_pub_period_from_ms(60000, &p), 0);
	assert_int_equal(p, 0x7c);                                  /* 60 x 1 s */
	assert_int_equal(mesh_cfg_pub_period_from_ms(70000, &p), 0);
	assert_int_equal(p, 0x87);                                  /* 7 x 10 s */
	assert_int_equal(mesh_cfg_pub_period_from_ms(75000, &p), 1);
	assert_int_equal(p, 0x88);                                  /* rounded up */
	assert_int_equal(mesh_cfg_pub_period_from_ms(50, &p), 1);
	assert_int_equal(p, 0x01);
	assert_int_equal(mesh_cfg_pub_period_from_ms(MESH_CFG_PUB_PERIOD_MAX_MS, &p), 0);
	assert_int_equal(p, 0xff);
	assert_int_equal(mesh_cfg_pub_period_from_ms(MESH_CFG_PUB_PERIOD_MAX_MS + 1, &p),
			 MESH_ERR_INVAL);
	/* Every octet survives ms and back unless a finer resolution holds it. */
	for (unsigned int v = 0; v < 256; v++) {
		uint32_t ms = mesh_cfg_pub_period_ms((uint8_t)v);

		assert_int_equal(mesh_cfg_pub_period_from_ms(ms, &p), 0);
		assert_int_equal(mesh_cfg_pub_period_ms(p), ms);
	}
}

static void test_transmit(void **state)
{
	uint8_t v;

	(void)state;
	assert_int_equal(mesh_cfg_transmit_pack(2, 4), 0x22);
	assert_int_equal(mesh_cfg_transmit_count(0x22), 2);
	assert_int_equal(mesh_cfg_transmit_steps(0x22), 4);
	assert_int_equal(mesh_cfg_net_transmit_count(0x00), 1);
	assert_int_equal(mesh_cfg_net_transmit_interval_ms(0x00), 10);
	assert_int_equal(mesh_cfg_net_transmit_count(0xff), 8);
	assert_int_equal(mesh_cfg_net_transmit_interval_ms(0xff), 320);
	assert_int_equal(mesh_cfg_pub_retransmit_count(0x00), 0);
	assert_int_equal(mesh_cfg_pub_retransmit_interval_ms(0x00), 50);
	assert_int_equal(mesh_cfg_pub_retransmit_interval_ms(0xff), 1600);

	assert_int_equal(mesh_cfg_net_transmit_make(3, 20, &v), 0);
	assert_int_equal(v, 0x0a);
	assert_int_equal(mesh_cfg_net_transmit_make(8, 320, &v), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(mesh_cfg_net_transmit_make(0, 20, &v), MESH_ERR_INVAL);
	assert_int_equal(mesh_cfg_net_transmit_make(9, 20, &v), MESH_ERR_INVAL);
	assert_int_equal(mesh_cfg_net_transmit_make(1, 0, &v), MESH_ERR_INVAL);
	assert_int_equal(mesh_cfg_net_transmit_make(1, 25, &v), MESH_ERR_INVAL);
	assert_int_equal(mesh_cfg_net_transmit_make(1, 330, &v), MESH_ERR_INVAL);

	assert_int_equal(mesh_cfg_pub_retransmit_make(0, 50, &v), 0);
	assert_int_equal(v, 0x00);
	assert_int_equal(mesh_cfg_pub_retransmit_make(7, 1600, &v), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(mesh_cfg_pub_retransmit_make(8, 50, &v), MESH_ERR_INVAL);
	assert_int_equal(mesh_cfg_pub_retransmit_make(1, 75, &v), MESH_ERR_INVAL);
	assert_int_equal(mesh_cfg_pub_retransmit_make(1, 1650, &v), MESH_ERR_INVAL);
	assert_int_equal(mesh_cfg_pub_retransmit_make(1, 40, &v), MESH_ERR_INVAL);
}

static void test_heartbeat_logs(void **state)
{
	uint32_t v;

	(void)state;
	assert_int_equal(mesh_cfg_hb_count_from_log(0x00, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mesh_cfg_hb_count_from_log(0x01, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(mesh_cfg_hb_count_from_log(0x05, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(mesh_cfg_hb_count_from_log(0x11, &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(mesh_cfg_hb_count_from_log(0xff, &v), 0);
	assert_int_equal(v, 0xffff);
	assert_int_equal(mesh_cfg_hb_count_from_log(0x12, &v), MESH_ERR_RESERVED);
	assert_int_equal(mesh_cfg_hb_count_from_log(0xfe, &v), MESH_ERR_RESERVED);
	assert_int_equal(mesh_cfg_hb_period_from_log(0x11, &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(mesh_cfg_hb_period_from_log(0x0b, &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(mesh_cfg_hb_period_from_log(0x12, &v), MESH_ERR_RESERVED);
	assert_int_equal(mesh_cfg_hb_period_from_log(0xff, &v), MESH_ERR_RESERVED);

	assert_int_equal(mesh_cfg_hb_count_log(0), 0x00);
	assert_int_equal(mesh_cfg_hb_count_log(1), 0x01);
	assert_int_equal(mesh_cfg_hb_count_log(2), 0x02);
	assert_int_equal(mesh_cfg_hb_count_log(3), 0x02);
	assert_int_equal(mesh_cfg_hb_count_log(4), 0x03);
	assert_int_equal(mesh_cfg_hb_count_log(0x8000), 0x10);
	assert_int_equal(mesh_cfg_hb_count_log(0xfffe), 0x10);
	assert_int_equal(mesh_cfg_hb_count_log(0xffff), 0xff);
	assert_int_equal(mesh_cfg_hb_period_log(0), 0x00);
	assert_int_equal(mesh_cfg_hb_period_log(1), 0x01);
	assert_int_equal(mesh_cfg_hb_period_log(1023), 0x0a);
	assert_int_equal(mesh_cfg_hb_period_log(1024), 0x0b);
	assert_int_equal(mesh_cfg_hb_period_log(0xffff), 0x10);
	assert_int_equal(mesh_cfg_hb_period_log(65536), 0x11);
	assert_int_equal(mesh_cfg_hb_period_log(0xffffffffu), 0x11);
	/* Powers of two go there and back. */
	for (uint8_t log = 1; log <= 0x10; log++) {
		assert_int_equal(mesh_cfg_hb_period_from_log(log, &v), 0);
		assert_int_equal(mesh_cfg_hb_period_log(v), log);
		assert_int_equal(mesh_cfg_hb_count_log(v), log);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_opcode_round_trips),
		cmocka_unit_test(test_sample_data_appkey),
		cmocka_unit_test(test_key_index_packing),
		cmocka_unit_test(test_decoded_fields),
		cmocka_unit_test(test_encode_from_struct),
		cmocka_unit_test(test_wrong_lengths),
		cmocka_unit_test(test_payload_errors),
		cmocka_unit_test(test_reserved_values),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_status_opcode_for),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_comp0_sample),
		cmocka_unit_test(test_comp0_errors),
		cmocka_unit_test(test_comp0_encode_refuses),
		cmocka_unit_test(test_pub_period),
		cmocka_unit_test(test_transmit),
		cmocka_unit_test(test_heartbeat_logs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
