/*
 * libFuzzer target for the upper transport.
 *
 * Input: octet 0 flags (bit 0 AKF, 1 SZMIC, 2 segmented, 3 second subnet,
 * 4 round trip, 5 second label, 6 send with the new key), octet 1 AID,
 * octets 2-3 SRC, 4-5 DST, 6-8 SEQ, the rest the upper transport PDU.
 *
 * Decrypt mode throws the PDU at a small keyring (two AppKeys, one in key
 * refresh, a node device key, a bare device key, two labels) and checks that
 * a failure leaves no trace and a success is consistent. Round-trip mode
 * encrypts the rest as an access payload and requires decryption to give it
 * back. Every input also goes through the control message decoders, with
 * the heartbeat re-encoded when it decodes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/addr.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/heartbeat.h"
#include "mesh/net.h"
#include "mesh/upper_transport.h"

#define HDR_LEN 9

static struct mesh_app_keys app_keys;
static struct mesh_dev_keys dev_keys;
static struct mesh_va_table va;
static struct mesh_upper_keyring kr = { &app_keys, &dev_keys, &va };
static uint8_t labels[2][MESH_LABEL_UUID_LEN];
static uint16_t label_addr[2];

/* Keys made up for fuzzing; their values do not matter. */
static void fill(uint8_t *key, uint8_t seed)
{
	for (int i = 0; i < MESH_KEY_LEN; i++)
		key[i] = (uint8_t)(seed * 31 + i * 7);
}

static void keyring_init(void)
{
	uint8_t key[MESH_KEY_LEN];

	mesh_app_keys_init(&app_keys);
	mesh_dev_keys_init(&dev_keys);
	mesh_va_init(&va);
	fill(key, 1);
	if (mesh_app_keys_add(&app_keys, 0, 0, key))
		abort();
	fill(key, 2);
	if (mesh_app_keys_add(&app_keys, 1, 1, key))
		abort();
	fill(key, 3);
	if (mesh_app_keys_update(&app_keys, 1, 1, key))
		abort();
	fill(key, 4);
	if (mesh_dev_keys_add(&dev_keys, 0x0001, 4, key))
		abort();
	fill(key, 5);
	if (mesh_dev_keys_add(&dev_keys, MESH_ADDR_UNASSIGNED, 0, key))
		abort();
	for (int i = 0; i < 2; i++) {
		fill(labels[i], (uint8_t)(6 + i));
		if (mesh_va_add(&va, labels[i], &label_addr[i]))
			abort();
	}
}

static void fuzz_decrypt(const struct mesh_transport_msg *msg)
{
	struct mesh_upper_key_info info;
	size_t out_size = msg->len > 4 ? msg->len - 4 : 0;
	uint8_t *out = malloc(out_size ? out_size : 1);
	size_t len = 0;
	int err;

	if (!out)
		return;
	err = mesh_upper_decrypt(&kr, msg, out, out_size, &len, &info);
	if (!err && (len == 0 || len > out_size || info.dev == msg->akf ||
		     info.has_label != mesh_addr_is_virtual(msg->dst)))
		abort();
	if (err > 0)
		abort();
	free(out);
}

static void fuzz_round_trip(struct mesh_transport_msg *msg, uint8_t flags,
			    const uint8_t *payload, size_t len)
{
	uint8_t pdu[MESH_UPPER_MAX_PDU], out[MESH_UPPER_MAX_PDU];
	struct mesh_upper_key_info info;
	struct mesh_upper_tx tx = {
		.payload = payload,
		.len = len,
		.key = { .dev = !(flags & 0x01), .app_idx = msg->net_idx,
			 .new_key = flags & 0x40, .dev_addr = msg->src },
	};
	size_t out_len = 0;
	int err;

	if (!mesh_addr_is_unicast(msg->src))
		msg->src = (uint16_t)((msg->src & 0x7ffe) | 1);
	if (mesh_addr_is_virtual(msg->dst)) {
		msg->dst = label_addr[!!(flags & 0x20)];
		tx.label_uuid = labels[!!(flags & 0x20)];
	}
	msg->seq &= MESH_SEQ_MAX;
	err = mesh_upper_encrypt(&kr, &tx, msg, pdu, sizeof(pdu));
	if (err) {
		if (err > 0 || (len && len <= MESH_ACCESS_MAX_PAYLOAD_MIC64 &&
				!mesh_addr_is_unassigned(msg->dst)))
			abort();
		return;
	}
	if (msg->len != len + (msg->szmic ? 8 : 4) || (!msg->segmented && len > 11))
		abort();
	err = mesh_upper_decrypt(&kr, msg, out, sizeof(out), &out_len, &info);
	if (err || out_len != len || memcmp(out, payload, len))
		abort();
	if (tx.label_uuid && memcmp(info.label_uuid, tx.label_uuid, MESH_LABEL_UUID_LEN))
		abort();
}

static void fuzz_control(const uint8_t *data, size_t size)
{
	uint8_t buf[MESH_HEARTBEAT_LEN];
	struct mesh_ctl_msg c;

	if (!size)
		return;
	if (mesh_upper_ctl_decode(data[0], data + 1, size - 1, &c))
		return;
	if (c.opcode == MESH_CTL_HEARTBEAT && !(c.u.heartbeat.features & ~MESH_FEAT_KNOWN)) {
		if (mesh_heartbeat_encode(&c.u.heartbeat, buf) || memcmp(buf, data + 1, 3))
			abort();
	}
	(void)mesh_upper_ctl_name(data[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct mesh_transport_msg msg;
	uint8_t flags;

	if (!ready) {
		keyring_init();
		ready = 1;
	}
	fuzz_control(data, size);
	if (size < HDR_LEN)
		return 0;
	flags = data[0];
	memset(&msg, 0, sizeof(msg));
	msg.akf = flags & 0x01;
	msg.szmic = flags & 0x02;
	msg.segmented = flags & 0x04;
	msg.net_idx = (flags & 0x08) ? 1 : 0;
	msg.aid = data[1] & 0x3f;
	msg.src = mesh_get_be16(data + 2);
	msg.dst = mesh_get_be16(data + 4);
	msg.seq = mesh_get_be24(data + 6);
	msg.iv_index = 0x12345678;
	if (flags & 0x10) {
		fuzz_round_trip(&msg, flags, data + HDR_LEN, size - HDR_LEN);
		return 0;
	}
	/* Aim virtual destinations at the stored labels half of the time. */
	if (mesh_addr_is_virtual(msg.dst) && (flags & 0x80))
		msg.dst = label_addr[!!(flags & 0x20)];
	msg.pdu = data + HDR_LEN;
	msg.len = size - HDR_LEN;
	fuzz_decrypt(&msg);
	return 0;
}
