/*
 * libFuzzer target for provisioning PDUs, the first thing an unprovisioned
 * device (or a Provisioner) parses from a stranger. Whatever parses must
 * compose back into the same octets, and a parsed Start must be accepted
 * by a device that offers everything. Inputs of at least 25 octets also go
 * through the Provisioning Data decoder, with the same round-trip rule.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/prov_pdu.h"

/* Every algorithm, key type, method, action and the largest sizes. */
static const struct mesh_prov_caps offers_everything = {
	.n_elements = 1,
	.algorithms = MESH_PROV_ALG_BIT(MESH_PROV_ALG_CMAC_AES128) |
		      MESH_PROV_ALG_BIT(MESH_PROV_ALG_HMAC_SHA256),
	.pub_key_type = MESH_PROV_PUBKEY_OOB_AVAILABLE,
	.static_oob_type = MESH_PROV_STATIC_OOB_AVAILABLE,
	.output_size = MESH_PROV_OOB_SIZE_MAX,
	.output_actions = (1u << (MESH_PROV_OUT_ALPHANUMERIC + 1)) - 1,
	.input_size = MESH_PROV_OOB_SIZE_MAX,
	.input_actions = (1u << (MESH_PROV_IN_ALPHANUMERIC + 1)) - 1,
};

static void fuzz_pdu(const uint8_t *buf, size_t size)
{
	uint8_t out[MESH_PROV_PDU_MAX];
	struct mesh_prov_pdu pdu;
	int err = mesh_prov_pdu_parse(buf, size, &pdu);

	if (err) {
		/* A rejected PDU always maps to a Failed code worth sending. */
		if (mesh_prov_parse_error(err) == MESH_PROV_ERR_NONE)
			abort();
		return;
	}
	if (mesh_prov_pdu_compose(&pdu, out, sizeof(out)) != (int)size || memcmp(out, buf, size))
		abort();
	if (pdu.type == MESH_PROV_START &&
	    mesh_prov_start_check(&offers_everything, &pdu.start) != MESH_PROV_ERR_NONE)
		abort();
}

static void fuzz_data(const uint8_t *buf)
{
	uint8_t out[MESH_PROV_DATA_LEN];
	struct mesh_prov_data d;

	if (mesh_prov_data_decode(buf, &d))
		return;
	mesh_prov_data_encode(&d, out);
	if (memcmp(out, buf, sizeof(out)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so ASan sees any read past the PDU. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	fuzz_pdu(buf, size);
	if (size >= MESH_PROV_DATA_LEN)
		fuzz_data(buf);
	free(buf);
	return 0;
}
