/*
 * Upper transport access messages against the specification's sample data
 * (8.3.6, 8.3.16, 8.3.18 to 8.3.24): every access message is encrypted from
 * its access payload and decrypted back from its upper transport PDU through
 * the key tables, byte for byte both ways. Also the receive path's error
 * reporting (which key, which label, why not) and virtual address
 * collisions. Every sample value is read from the shared JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/addr.h"
#include "mesh/bytes.h"
#include "mesh/crypto.h"
#include "mesh/err.h"
#include "mesh/upper_transport.h"
#include "vectors.h"

static struct mesh_app_keys app_keys;
static struct mesh_dev_keys dev_keys;
static struct mesh_va_table va_table;
static struct mesh_upper_keyring kr = { &app_keys, &dev_keys, &va_table };

/* One access sample message, decoded from the JSON. */
struct sample {
	long long num;
	struct mesh_transport_msg msg;  /* as received: header fields + pdu */
	uint8_t payload[MESH_UPPER_MAX_PDU];
	size_t payload_len;
	uint8_t pdu[MESH_UPPER_MAX_PDU];
	bool dev;
	uint8_t key[MESH_KEY_LEN];
	bool has_label;
	uint8_t label[MESH_LABEL_UUID_LEN];
	uint8_t nonce[MESH_NONCE_LEN];
};

static int setup(void **state)
{
	(void)state;
	mesh_app_keys_init(&app_keys);
	mesh_dev_keys_init(&dev_keys);
	mesh_va_init(&va_table);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mesh_app_keys_clear(&app_keys);
	mesh_dev_keys_clear(&dev_keys);
	return 0;
}

static json_t *message(long long num)
{
	json_t *arr = vec_get(vectors_root(), "messages");
	size_t i;
	json_t *m;

	json_array_foreach(arr, i, m)
		if (vec_int(m, "message") == num)
			return m;
	fail_msg("no sample message #%lld", num);
	return NULL;
}

/* The AppKey and NetKey indexes the samples use (Config AppKey Add, #6). */
static uint16_t sample_app_idx(void)
{
	return (uint16_t)vec_int(message(6), "access.fields.appkey_index");
}

static uint16_t sample_net_idx(void)
{
	return (uint16_t)vec_int(message(6), "access.fields.netkey_index");
}

/*
 * The sample device key is listed as keys."8.2_8.3".devkey_<addr>: the key
 * of the node at <addr> (hex). Returns that address.
 */
static uint16_t sample_devkey_owner(const uint8_t *key)
{
	/* (The object's name has dots, so no vec_get path.) */
	json_t *keys = json_object_get(vec_get(vectors_root(), "keys"), "8.2_8.3");
	const char *name;
	json_t *v;

	json_object_foreach(keys, name, v) {
		uint8_t k[MESH_KEY_LEN];

		if (strncmp(name, "devkey_", 7) || mesh_hex_decode(json_string_value(v), k,
								    sizeof(k)) != MESH_KEY_LEN)
			continue;
		if (!memcmp(k, key, MESH_KEY_LEN))
			return (uint16_t)strtoul(name + 7, NULL, 16);
	}
	fail_msg("sample device key has no devkey_<addr> entry");
	return 0;
}

static void sample_load(json_t *m, struct sample *s)
{
	json_t *a = vec_get(m, "access");
	const char *type = vec_str(a, "key_type");
	size_t pdu_len;

	memset(s, 0, sizeof(*s));
	s->num = vec_int(m, "message");
	s->dev = !strcmp(type, "devkey");
	assert_true(s->dev || !strcmp(type, "appkey"));
	vec_hex(a, type, s->key, sizeof(s->key));
	vec_hex(a, s->dev ? "device_nonce" : "application_nonce", s->nonce, sizeof(s->nonce));
	s->payload_len = vec_hex(a, "access_payload", s->payload, sizeof(s->payload));
	pdu_len = vec_hex(m, "upper_transport_pdu", s->pdu, sizeof(s->pdu));
	s->has_label = vec_has(m, "label_uuid");
	if (s->has_label)
		vec_hex(m, "label_uuid", s->label, sizeof(s->label));

	s->msg.net_idx = sample_net_idx();
	s->msg.iv_index = (uint32_t)vec_int(m, "iv_index");
	s->msg.src = (uint16_t)vec_int(m, "src");
	s->msg.dst = (uint16_t)vec_int(m, "dst");
	s->msg.ttl = (uint8_t)vec_int(m, "ttl");
	s->msg.seq = (uint32_t)vec_int(m, "lower_transport_pdus.[0].seq");
	s->msg.segmented = json_is_true(vec_get(m, "segmented"));
	s->msg.akf = vec_int(a, "akf");
	s->msg.aid = (uint8_t)vec_int(a, "aid");
	s->msg.szmic = vec_int(a, "szmic");
	s->msg.pdu = s->pdu;
	s->msg.len = pdu_len;
}

/* Store the sample's key (and label) in the tables. */
static void sample_keys(const struct sample *s)
{
	uint16_t addr;

	if (s->dev)
		assert_int_equal(mesh_dev_keys_add(&dev_keys, sample_devkey_owner(s->key), 1,
						   s->key), 0);
	else
		assert_int_equal(mesh_app_keys_add(&app_keys, sample_app_idx(), sample_net_idx(),
						   s->key), 0);
	if (s->has_label) {
		assert_int_equal(mesh_va_add(&va_table, s->label, &addr), 0);
		assert_int_equal(addr, s->msg.dst);
	}
}

static void check_encrypt(json_t *m, const struct sample *s)
{
	json_t *a = vec_get(m, "access");
	uint8_t exp[MESH_UPPER_MAX_PDU], out[MESH_UPPER_MAX_PDU], nonce[MESH_NONCE_LEN];
	struct mesh_upper_tx tx = {
		.payload = s->payload,
		.len = s->payload_len,
		.key = { .dev = s->dev, .app_idx = sample_app_idx() },
		.label_uuid = s->has_label ? s->label : NULL,
	};
	struct mesh_transport_msg msg = s->msg;
	size_t n;

	if (s->dev)
		tx.key.dev_addr = sample_devkey_owner(s->key);
	msg.akf = !s->msg.akf;
	msg.aid = 0x3f;
	msg.segmented = false;
	msg.pdu = NULL;
	msg.len = 0;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, out, sizeof(out)), 0);
	assert_int_equal(msg.akf, s->msg.akf);
	assert_int_equal(msg.aid, s->msg.aid);
	assert_int_equal(msg.szmic, s->msg.szmic);
	assert_int_equal(msg.segmented, s->msg.segmented);
	assert_false(msg.ctl);
	assert_ptr_equal(msg.pdu, out);

	/* enc_access_payload || transmic == upper_transport_pdu */
	n = vec_hex(a, "enc_access_payload", exp, sizeof(exp));
	n += vec_hex(a, "transmic", exp + n, sizeof(exp) - n);
	assert_int_equal(vec_int(a, "transmic_size_bits"), (msg.len - s->payload_len) * 8);
	assert_int_equal(msg.len, n);
	assert_bytes_equal(out, exp, n);
	assert_int_equal(msg.len, s->msg.len);
	assert_bytes_equal(out, s->pdu, msg.len);

	mesh_upper_nonce(&msg, nonce);
	assert_bytes_equal(nonce, s->nonce, MESH_NONCE_LEN);
}

static void check_decrypt(const struct sample *s)
{
	uint8_t out[MESH_UPPER_MAX_PDU];
	struct mesh_upper_key_info info;
	size_t len = 0;
	char text[32];

	memset(out, 0xee, sizeof(out));
	assert_int_equal(mesh_upper_decrypt(&kr, &s->msg, out, sizeof(out), &len, &info), 0);
	assert_int_equal(len, s->payload_len);
	assert_bytes_equal(out, s->payload, len);
	assert_int_equal(info.dev, s->dev);
	if (s->dev) {
		char exp[32];

		assert_int_equal(info.dev_addr, sample_devkey_owner(s->key));
		snprintf(exp, sizeof(exp), "dev:0x%04x", info.dev_addr);
		mesh_upper_key_info_format(&info, text, sizeof(text));
		assert_string_equal(text, exp);
	} else {
		assert_int_equal(info.app_idx, sample_app_idx());
		assert_false(info.new_key);
	}
	assert_int_equal(info.has_label, s->has_label);
	if (s->has_label)
		assert_bytes_equal(info.label_uuid, s->label, MESH_LABEL_UUID_LEN);
}

/* Every access sample, both directions, through fresh tables. */
static void test_samples(void **state)
{
	json_t *arr = vec_get(vectors_root(), "messages");
	static const long long expected[] = { 6, 16, 18, 19, 20, 21, 22, 23, 24 };
	size_t seen = 0;
	size_t i;
	json_t *m;

	json_array_foreach(arr, i, m) {
		struct sample s;

		if (strcmp(vec_str(m, "kind"), "access"))
			continue;
		sample_load(m, &s);
		assert_true(seen < sizeof(expected) / sizeof(expected[0]));
		assert_int_equal(s.num, expected[seen]);
		seen++;
		sample_keys(&s);
		check_encrypt(m, &s);
		check_decrypt(&s);
		teardown(state);
		setup(state);
	}
	assert_int_equal(seen, sizeof(expected) / sizeof(expected[0]));
}

static int decrypt(const struct mesh_transport_msg *msg, struct mesh_upper_key_info *info)
{
	uint8_t out[MESH_UPPER_MAX_PDU];
	size_t len;

	return mesh_upper_decrypt(&kr, msg, out, sizeof(out), &len, info);
}

/* A key other than `key` whose AID is the same. */
static void key_with_same_aid(const uint8_t *key, uint8_t *other)
{
	uint8_t aid, want;

	assert_int_equal(mesh_k4(key, &want), 0);
	memcpy(other, key, MESH_KEY_LEN);
	for (unsigned int i = 0; i < 100000; i++) {
		other[0] = (uint8_t)i;
		other[1] = (uint8_t)(i >> 8);
		other[2] = (uint8_t)(i >> 16);
		if (!memcmp(other, key, MESH_KEY_LEN))
			continue;
		assert_int_equal(mesh_k4(other, &aid), 0);
		if (aid == want)
			return;
	}
	fail_msg("no key with the same AID found");
}

static void test_app_errors(void **state)
{
	struct sample s;
	struct mesh_transport_msg msg;
	uint8_t wrong[MESH_KEY_LEN], pdu[MESH_UPPER_MAX_PDU];
	uint8_t out[MESH_UPPER_MAX_PDU];
	size_t len;

	(void)state;
	sample_load(message(18), &s);
	assert_int_equal(decrypt(&s.msg, NULL), MESH_ERR_NO_APPKEY);

	/* Same AID, wrong key: the MIC decides. */
	key_with_same_aid(s.key, wrong);
	assert_int_equal(mesh_app_keys_add(&app_keys, 1, sample_net_idx(), wrong), 0);
	assert_int_equal(decrypt(&s.msg, NULL), MESH_ERR_TRANSMIC);

	/* Adding the right key next to it: found after the wrong one fails. */
	sample_keys(&s);
	check_decrypt(&s);

	msg = s.msg;
	msg.aid ^= 1;
	assert_int_equal(decrypt(&msg, NULL), MESH_ERR_NO_APPKEY);
	msg = s.msg;
	msg.net_idx++;
	assert_int_equal(decrypt(&msg, NULL), MESH_ERR_NO_APPKEY);
	msg = s.msg;
	msg.akf = false;
	assert_int_equal(decrypt(&msg, NULL), MESH_ERR_NO_DEVKEY);
	msg = s.msg;
	msg.seq++;
	assert_int_equal(decrypt(&msg, NULL), MESH_ERR_TRANSMIC);
	/* A 64-bit TransMIC over the same octets does not authenticate. */
	msg = s.msg;
	msg.segmented = true;
	msg.szmic = true;
	assert_int_equal(decrypt(&msg, NULL), MESH_ERR_TRANSMIC);

	/* Any flipped bit. */
	for (size_t bit = 0; bit < s.msg.len * 8; bit++) {
		memcpy(pdu, s.pdu, s.msg.len);
		pdu[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		msg = s.msg;
		msg.pdu = pdu;
		assert_int_equal(decrypt(&msg, NULL), MESH_ERR_TRANSMIC);
	}

	/* Lengths and the caller's buffer. */
	msg = s.msg;
	msg.len = MESH_TRANSMIC_32;
	assert_int_equal(decrypt(&msg, NULL), MESH_ERR_TRUNCATED);
	msg.len = MESH_UNSEG_ACCESS_MAX + 1;
	msg.pdu = pdu;
	assert_int_equal(decrypt(&msg, NULL), MESH_ERR_OVERSIZED);
	msg = s.msg;
	assert_int_equal(mesh_upper_decrypt(&kr, &msg, out, s.payload_len - 1, &len, NULL),
			 MESH_ERR_INVAL);
	msg.ctl = true;
	assert_int_equal(decrypt(&msg, NULL), MESH_ERR_INVAL);
}

static void test_dev_errors(void **state)
{
	struct sample s;
	struct mesh_transport_msg msg;
	struct mesh_upper_key_info info;
	uint8_t wrong[MESH_KEY_LEN];
	uint16_t owner;

	(void)state;
	sample_load(message(16), &s);
	owner = sample_devkey_owner(s.key);
	assert_int_equal(decrypt(&s.msg, NULL), MESH_ERR_NO_DEVKEY);

	memcpy(wrong, s.key, sizeof(wrong));
	wrong[15] ^= 0x01;
	assert_int_equal(mesh_dev_keys_add(&dev_keys, MESH_ADDR_UNASSIGNED, 0, wrong), 0);
	assert_int_equal(decrypt(&s.msg, NULL), MESH_ERR_TRANSMIC);

	/* The packet tool's case: a bare key without an address. */
	assert_int_equal(mesh_dev_keys_add(&dev_keys, MESH_ADDR_UNASSIGNED, 0, s.key), 0);
	assert_int_equal(decrypt(&s.msg, &info), 0);
	assert_true(info.dev);
	assert_int_equal(info.dev_addr, MESH_ADDR_UNASSIGNED);
	assert_int_equal(info.dev_slot, 1);

	/* With the node's key stored, that key is reported. */
	assert_int_equal(mesh_dev_keys_add(&dev_keys, owner, 2, s.key), 0);
	assert_int_equal(decrypt(&s.msg, &info), 0);
	assert_int_equal(info.dev_addr, owner);

	/* Device key messages do not care about AID or net_idx. */
	msg = s.msg;
	msg.net_idx ^= 0x0fff;
	assert_int_equal(decrypt(&msg, NULL), 0);
	msg.seq ^= 1;
	assert_int_equal(decrypt(&msg, NULL), MESH_ERR_TRANSMIC);
}

static void test_virtual_errors(void **state)
{
	struct sample s22, s23;
	struct mesh_upper_key_info info;
	struct mesh_upper_tx tx;
	struct mesh_transport_msg msg;
	uint8_t out[MESH_UPPER_MAX_PDU];

	(void)state;
	sample_load(message(22), &s22);
	sample_load(message(23), &s23);
	assert_int_not_equal(s22.msg.dst, s23.msg.dst);
	assert_int_equal(mesh_app_keys_add(&app_keys, sample_app_idx(), sample_net_idx(),
					   s22.key), 0);
	/* No key at all is reported before the missing label. */
	msg = s22.msg;
	msg.aid ^= 1;
	assert_int_equal(decrypt(&msg, NULL), MESH_ERR_NO_APPKEY);
	assert_int_equal(decrypt(&s22.msg, NULL), MESH_ERR_NO_LABEL);

	/* The other sample's label hashes elsewhere: still no label. */
	assert_int_equal(mesh_va_add(&va_table, s23.label, NULL), 0);
	assert_int_equal(decrypt(&s22.msg, NULL), MESH_ERR_NO_LABEL);
	assert_int_equal(decrypt(&s23.msg, &info), 0);
	assert_bytes_equal(info.label_uuid, s23.label, MESH_LABEL_UUID_LEN);

	/* The label is additional data: #22's PDU sent to #23's address fails. */
	msg = s22.msg;
	msg.dst = s23.msg.dst;
	assert_int_equal(decrypt(&msg, NULL), MESH_ERR_TRANSMIC);

	/* Sending: the label is required and must match dst. */
	memset(&tx, 0, sizeof(tx));
	tx.payload = s22.payload;
	tx.len = s22.payload_len;
	tx.key.app_idx = sample_app_idx();
	msg = s22.msg;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, out, sizeof(out)),
			 MESH_ERR_NO_LABEL);
	tx.label_uuid = s23.label;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, out, sizeof(out)), MESH_ERR_DST);
	tx.label_uuid = s22.label;  /* not in the table: hashed on the fly */
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, out, sizeof(out)), 0);
	assert_bytes_equal(out, s22.pdu, s22.msg.len);
	msg.dst = 0xc105;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, out, sizeof(out)), MESH_ERR_INVAL);
}

/* A random Label UUID other than `not` whose virtual address is addr. */
static void label_colliding_with(uint16_t addr, const uint8_t *not, uint8_t *uuid)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint16_t a;

	for (unsigned int tries = 0; tries < (1u << 22); tries++) {
		for (int i = 0; i < MESH_LABEL_UUID_LEN; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			uuid[i] = (uint8_t)x;
		}
		assert_int_equal(mesh_virtual_address(uuid, &a), 0);
		if (a == addr && memcmp(uuid, not, MESH_LABEL_UUID_LEN))
			return;
	}
	fail_msg("no colliding label found");
}

/* Two labels share the 14-bit hash: the TransMIC picks the right one. */
static void test_label_collision(void **state)
{
	struct mesh_upper_key_info info;
	uint8_t other[MESH_LABEL_UUID_LEN];
	uint16_t addr;
	struct sample s;

	(void)state;
	sample_load(message(24), &s);
	label_colliding_with(s.msg.dst, s.label, other);
	assert_int_equal(mesh_app_keys_add(&app_keys, sample_app_idx(), sample_net_idx(),
					   s.key), 0);

	assert_int_equal(mesh_va_add(&va_table, other, &addr), 0);
	assert_int_equal(addr, s.msg.dst);
	assert_int_equal(decrypt(&s.msg, NULL), MESH_ERR_TRANSMIC);

	/* Stored after the impostor, so the impostor is tried first. */
	assert_int_equal(mesh_va_add(&va_table, s.label, NULL), 0);
	assert_int_equal(decrypt(&s.msg, &info), 0);
	assert_true(info.has_label);
	assert_bytes_equal(info.label_uuid, s.label, MESH_LABEL_UUID_LEN);
	check_decrypt(&s);

	/* A message really sent to the impostor label decrypts with it. */
	{
		struct mesh_upper_tx tx = {
			.payload = s.payload, .len = s.payload_len,
			.key = { .app_idx = sample_app_idx() }, .label_uuid = other,
		};
		struct mesh_transport_msg msg = s.msg;
		uint8_t pdu[MESH_UPPER_MAX_PDU];

		assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, pdu, sizeof(pdu)), 0);
		assert_int_equal(decrypt(&msg, &info), 0);
		assert_bytes_equal(info.label_uuid, other, MESH_LABEL_UUID_LEN);
	}

	assert_int_equal(mesh_va_del(&va_table, other, NULL), 0);
	check_decrypt(&s);
}

/* Size limits and the segmentation rule, with both key kinds. */
static void test_sizes(void **state)
{
	static uint8_t payload[MESH_ACCESS_MAX_PAYLOAD + 1];
	uint8_t pdu[MESH_UPPER_MAX_PDU + 8], out[MESH_UPPER_MAX_PDU];
	struct mesh_upper_key_info info;
	struct mesh_transport_msg msg;
	struct mesh_upper_tx tx;
	struct sample s;
	size_t len;

	(void)state;
	sample_load(message(16), &s);
	sample_keys(&s);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	memset(&tx, 0, sizeof(tx));
	tx.payload = payload;
	tx.key.dev = true;
	tx.key.dev_addr = sample_devkey_owner(s.key);  /* sending to the node */

	struct { size_t len; bool szmic; int err; bool seg; } cases[] = {
		{ 1, false, 0, false },
		{ MESH_ACCESS_MAX_UNSEG, false, 0, false },
		{ MESH_ACCESS_MAX_UNSEG + 1, false, 0, true },
		{ 1, true, 0, true },
		{ MESH_ACCESS_MAX_PAYLOAD, false, 0, true },
		{ MESH_ACCESS_MAX_PAYLOAD + 1, false, MESH_ERR_OVERSIZED, false },
		{ MESH_ACCESS_MAX_PAYLOAD_MIC64, true, 0, true },
		{ MESH_ACCESS_MAX_PAYLOAD_MIC64 + 1, true, MESH_ERR_OVERSIZED, false },
		{ 0, false, MESH_ERR_INVAL, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg = s.msg;
		msg.src = s.msg.dst;
		msg.dst = s.msg.src;
		msg.segmented = false;
		msg.szmic = cases[i].szmic;
		tx.len = cases[i].len;
		assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, pdu, sizeof(pdu)),
				 cases[i].err);
		if (cases[i].err)
			continue;
		assert_int_equal(msg.segmented, cases[i].seg);
		assert_int_equal(msg.len, tx.len + (cases[i].szmic ? 8 : 4));
		assert_true(msg.len <= MESH_UPPER_MAX_PDU);
		assert_int_equal(mesh_upper_decrypt(&kr, &msg, out, sizeof(out), &len, &info), 0);
		assert_int_equal(len, tx.len);
		assert_bytes_equal(out, payload, len);
		assert_int_equal(info.dev_addr, tx.key.dev_addr);
	}

	/* Output buffer, addresses, SEQ and keys on the send side. */
	msg = s.msg;
	tx.len = 5;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, pdu, 8), MESH_ERR_INVAL);
	msg.src = 0xc000;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, pdu, sizeof(pdu)), MESH_ERR_SRC);
	msg = s.msg;
	msg.dst = MESH_ADDR_UNASSIGNED;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, pdu, sizeof(pdu)), MESH_ERR_DST);
	msg = s.msg;
	msg.seq = 0x1000000;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, pdu, sizeof(pdu)), MESH_ERR_INVAL);
	msg = s.msg;
	tx.key.dev_addr = 0x0100;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, pdu, sizeof(pdu)),
			 MESH_ERR_NO_DEVKEY);
	tx.key.dev = false;
	tx.key.app_idx = 7;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, pdu, sizeof(pdu)),
			 MESH_ERR_KEY_INDEX);
	assert_int_equal(mesh_app_keys_add(&app_keys, 7, (uint16_t)(s.msg.net_idx + 1), s.key),
			 0);
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, pdu, sizeof(pdu)),
			 MESH_ERR_KEY_INDEX);
}

/* In-place encryption: the payload buffer may be the output buffer. */
static void test_in_place(void **state)
{
	uint8_t buf[MESH_UPPER_MAX_PDU];
	struct mesh_transport_msg msg;
	struct mesh_upper_tx tx;
	struct sample s;

	(void)state;
	sample_load(message(19), &s);
	sample_keys(&s);
	memcpy(buf, s.payload, s.payload_len);
	memset(&tx, 0, sizeof(tx));
	tx.payload = buf;
	tx.len = s.payload_len;
	tx.key.app_idx = sample_app_idx();
	msg = s.msg;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, &msg, buf, sizeof(buf)), 0);
	assert_bytes_equal(buf, s.pdu, s.msg.len);
}

static void test_format(void **state)
{
	struct mesh_upper_key_info info = { .app_idx = 291, .new_key = true };
	char buf[32];

	(void)state;
	mesh_upper_key_info_format(&info, buf, sizeof(buf));
	assert_string_equal(buf, "app:291 new");
	info.new_key = false;
	mesh_upper_key_info_format(&info, buf, sizeof(buf));
	assert_string_equal(buf, "app:291 old");
	info.dev = true;
	info.dev_addr = 0x1201;
	mesh_upper_key_info_format(&info, buf, sizeof(buf));
	assert_string_equal(buf, "dev:0x1201");
	info.dev_addr = 0;
	info.dev_slot = 3;
	mesh_upper_key_info_format(&info, buf, sizeof(buf));
	assert_string_equal(buf, "dev:any#3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_samples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_virtual_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_place, setup, teardown),
		cmocka_unit_test(test_format),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	mesh_crypto_thread_cleanup();
	return rc;
}
