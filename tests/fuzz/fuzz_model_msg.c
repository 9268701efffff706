/*
 * libFuzzer target for generic and light model messages: what a gateway's
 * state cache decodes from every node (mesh_model_status_decode) and what
 * meshsim's servers decode from every client (mesh_model_msg_decode, the
 * same layouts). Whatever decodes must encode back into the same octets,
 * and the status decoder must agree with the general one on statuses.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/err.h"
#include "mesh/light_msg.h"

static void check_round_trip(const uint8_t *buf, size_t size, const struct mesh_model_msg *m)
{
	uint8_t out[MESH_ACCESS_MAX_PAYLOAD];
	int len = mesh_model_msg_encode(m, out, sizeof(out));

	if (len != (int)size || memcmp(out, buf, size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so ASan sees any read past the message. */
	uint8_t *buf = malloc(size ? size : 1);
	struct mesh_model_msg any, status;
	int rc_any, rc_status;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	rc_any = mesh_model_msg_decode(buf, size, &any);
	rc_status = mesh_model_status_decode(buf, size, &status);
	if (rc_any == 0)
		check_round_trip(buf, size, &any);
	if (rc_status == 0) {
		if (rc_any != 0 || !mesh_model_is_status(status.opcode) ||
		    memcmp(&any, &status, sizeof(any)))
			abort();
	} else if (rc_any == 0 && mesh_model_is_status(any.opcode)) {
		abort();
	}
	/* Every request is a Get or a Set of some form. */
	if (rc_any == 0 && !mesh_model_is_status(any.opcode) &&
	    mesh_model_status_opcode(any.opcode) == 0 && mesh_model_ack_opcode(any.opcode) == 0)
		abort();
	free(buf);
	return 0;
}
