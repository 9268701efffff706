/*
 * libFuzzer target for Configuration messages: statuses from nodes reach
 * the gateway's database through this decoder, and requests from anyone
 * holding a device key reach the simulator's server through it. Whatever
 * decodes must encode back to the very same octets (so decode and encode
 * agree on every field rule), and the parameters-only entry point must
 * agree with the whole-payload one. The same input also goes through the
 * Composition Data page 0 parser, with the same round-trip rule.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/cfg_msg.h"

static void fuzz_msg(const uint8_t *buf, size_t size)
{
	static struct mesh_cfg_msg msg, again;
	uint8_t out[MESH_ACCESS_MAX_PAYLOAD];
	int len, op_len;

	if (mesh_cfg_decode(buf, size, &msg))
		return;
	len = mesh_cfg_encode(&msg, out, sizeof(out));
	if (len != (int)size || memcmp(out, buf, size))
		abort();
	op_len = mesh_access_opcode_len(msg.opcode);
	if (op_len < 0 || mesh_cfg_decode_params(msg.opcode, buf + op_len, size - (size_t)op_len,
						 &again))
		abort();
	if (mesh_cfg_encode(&again, out, sizeof(out)) != len || memcmp(out, buf, size))
		abort();
	if (!mesh_cfg_is_request(msg.opcode) && !mesh_cfg_is_status(msg.opcode))
		abort();
	(void)mesh_cfg_opcode_name(msg.opcode);
}

static void fuzz_comp0(const uint8_t *buf, size_t size)
{
	static struct mesh_comp0 c;
	uint8_t out[MESH_ACCESS_MAX_PAYLOAD];
	int len;

	if (mesh_cfg_comp0_parse(buf, size, &c))
		return;
	len = mesh_cfg_comp0_encode(&c, out, sizeof(out));
	if (size > sizeof(out)) {
		if (len >= 0)
			abort();
		return;
	}
	if (len != (int)size || memcmp(out, buf, size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so ASan sees any read past the input. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	fuzz_msg(buf, size);
	fuzz_comp0(buf, size);
	free(buf);
	return 0;
}
