/*
 * libFuzzer target for the access layer: opcode parsing, the hex forms and
 * dispatch through a registry of a few models on two elements.
 *
 * Input: dst (2 octets, big-endian), key selector (1), label selector (1),
 * then the access payload. Besides memory errors it checks that whatever
 * parses also rebuilds into the same octets.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/access.h"
#include "mesh/bytes.h"
#include "mesh/err.h"

static int handled;

static int fuzz_handler(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	(void)model;
	/* Touch every parameter octet so ASan sees reads past the end. */
	for (size_t i = 0; i < msg->params_len; i++)
		handled += msg->params[i];
	return msg->params_len & 1 ? MESH_ERR_INVAL : 0;
}

static const struct mesh_access_op dev_ops[] = {
	{ .opcode = 0x00, .min_len = 19, .max_len = 19, .handler = fuzz_handler },
	{ .opcode = 0x8003, .min_len = 4, .max_len = 4, .handler = fuzz_handler },
	{ 0 },
};
static const struct mesh_access_op app_ops[] = {
	{ .opcode = 0x04, .min_len = 3, .handler = fuzz_handler },
	{ .opcode = 0x8204, .min_len = 1, .max_len = 3, .handler = fuzz_handler },
	{ 0 },
};
static const struct mesh_access_op vnd_ops[] = {
	{ .opcode = MESH_OP_VENDOR(0x15, 0x000a), .handler = fuzz_handler },
	{ 0 },
};

static const uint8_t label_a[16] = { 0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t label_b[16] = { 0xb0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static struct mesh_access reg;
static struct mesh_model cfg, health0, vnd, health1;

static void fuzz_setup(void)
{
	mesh_access_init(&reg);
	cfg = (struct mesh_model){ .id = mesh_model_id_sig(0x0001), .ops = dev_ops, .dev_key = true };
	health0 = (struct mesh_model){ .id = mesh_model_id_sig(0x0003), .ops = app_ops };
	vnd = (struct mesh_model){ .id = mesh_model_id_vendor(0x000a, 1), .ops = vnd_ops };
	health1 = (struct mesh_model){ .id = mesh_model_id_sig(0x0003), .ops = app_ops };

	if (mesh_access_elem_add(&reg, 0) != 0 || mesh_access_elem_add(&reg, 1) != 1 ||
	    mesh_access_model_add(&reg, 0, &cfg) || mesh_access_model_add(&reg, 0, &health0) ||
	    mesh_access_model_add(&reg, 0, &vnd) || mesh_access_model_add(&reg, 1, &health1) ||
	    mesh_model_bind(&health0, 0) || mesh_model_bind(&vnd, 1) ||
	    mesh_model_bind(&health1, 1) || mesh_model_sub_add(&health1, 0xc001, NULL) ||
	    mesh_model_sub_add(&vnd, 0x8123, label_a) || mesh_access_set_primary(&reg, 0x0100))
		abort();
}

static void fuzz_roundtrip(const uint8_t *payload, size_t len)
{
	struct mesh_access_pdu pdu;
	uint8_t again[MESH_ACCESS_MAX_PAYLOAD];
	char hex[MESH_OPCODE_HEX_LEN];
	uint32_t op;

	if (mesh_access_parse(payload, len, &pdu))
		return;
	if (mesh_access_compose(pdu.opcode, pdu.params, pdu.params_len, again,
				sizeof(again)) != (int)len || memcmp(again, payload, len))
		abort();
	if (mesh_access_opcode_hex(pdu.opcode, hex) != pdu.opcode_len ||
	    mesh_access_opcode_from_hex(hex, &op) != pdu.opcode_len || op != pdu.opcode)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t keys[] = { 0, 1, 2, MESH_KEY_IDX_DEV };
	struct mesh_access_msg msg = { .rssi = MESH_RSSI_UNKNOWN };
	static int ready;
	uint8_t *payload;
	size_t len;

	if (!ready) {
		fuzz_setup();
		ready = 1;
	}
	if (size < 4)
		return 0;

	msg.dst = mesh_get_be16(data);
	msg.app_idx = keys[data[2] & 3];
	msg.label_uuid = data[3] & 1 ? label_a : data[3] & 2 ? label_b : NULL;
	msg.src = 0x1201;

	/* An exact-size copy, so any read past the payload is caught. */
	len = size - 4;
	payload = malloc(len ? len : 1);
	if (!payload)
		return 0;
	memcpy(payload, data + 4, len);
	fuzz_roundtrip(payload, len);
	(void)mesh_access_dispatch(&reg, &msg, payload, len);
	free(payload);
	return 0;
}
