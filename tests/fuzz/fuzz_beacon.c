/*
 * libFuzzer target for beacons: the type dispatcher and both parsers, with
 * one known network (in key refresh, so both keys are tried). Whatever
 * parses must compose back into the same octets.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/beacon.h"
#include "mesh/bytes.h"
#include "mesh/err.h"

static struct mesh_beacon_net net;

static void fuzz_setup(void)
{
	uint8_t key[MESH_KEY_LEN], new_key[MESH_KEY_LEN];

	for (int i = 0; i < MESH_KEY_LEN; i++) {
		key[i] = (uint8_t)(0x11 * i);
		new_key[i] = (uint8_t)(0xf0 - i);
	}
	if (mesh_beacon_net_set(&net, 0, key) || mesh_beacon_net_set_new(&net, new_key))
		abort();
	atexit(mesh_crypto_thread_cleanup);
}

static void fuzz_secure(const struct mesh_beacon_secure *b, const uint8_t *buf, size_t len)
{
	uint8_t out[MESH_BEACON_SECURE_LEN];
	bool new_key = false;
	int idx = mesh_beacon_secure_match(b, &net, 1, &new_key);

	if (idx == MESH_ERR_NOT_FOUND || idx == MESH_ERR_BEACON_AUTH)
		return;
	if (idx != 0)
		abort();
	/* Authenticated: composing the same fields must give the same beacon. */
	if (mesh_beacon_secure_compose_net(&net, new_key, b->flags, b->iv_index, out) ||
	    len != sizeof(out) || memcmp(out, buf, len))
		abort();
}

/* Compose from fuzzed fields: parsing and matching must accept the result. */
static void fuzz_compose(const uint8_t *data, size_t size)
{
	uint8_t out[MESH_BEACON_SECURE_LEN];
	struct mesh_beacon b;
	bool new_key = !(data[0] & 4), matched_new = !new_key;
	uint32_t iv = size >= 5 ? mesh_get_be32(data + 1) : 0;

	if (mesh_beacon_secure_compose_net(&net, new_key, data[0] & 3, iv, out) ||
	    mesh_beacon_parse(out, sizeof(out), &b) || b.type != MESH_BEACON_SECURE ||
	    b.secure.iv_index != iv ||
	    mesh_beacon_secure_match(&b.secure, &net, 1, &matched_new) != 0 ||
	    matched_new != new_key)
		abort();
	out[size % sizeof(out)] ^= (uint8_t)(1u << (data[0] >> 5));
	/* One flipped bit: rejected, whichever way (type, RFU flag, ID, auth). */
	if (mesh_beacon_parse(out, sizeof(out), &b) == 0 && b.type == MESH_BEACON_SECURE &&
	    mesh_beacon_secure_match(&b.secure, &net, 1, &matched_new) >= 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct mesh_beacon b;
	uint8_t out[MESH_BEACON_MAX_LEN];
	uint8_t *buf;

	if (!ready) {
		fuzz_setup();
		ready = 1;
	}
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	if (mesh_beacon_parse(buf, size, &b) == 0) {
		switch (b.type) {
		case MESH_BEACON_UNPROV:
			if (mesh_beacon_unprov_compose(&b.unprov, out, sizeof(out)) != (int)size ||
			    memcmp(out, buf, size))
				abort();
			break;
		case MESH_BEACON_SECURE:
			fuzz_secure(&b.secure, buf, size);
			break;
		case MESH_BEACON_PRIVATE:
			break;
		default:
			abort();
		}
	}
	if (size)
		fuzz_compose(buf, size);
	free(buf);
	return 0;
}
