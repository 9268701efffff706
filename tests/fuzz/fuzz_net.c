/*
 * libFuzzer target: arbitrary bytes into the network layer's receive path
 * (length checks, IVI/NID selection, deobfuscation, NetMIC, cache), with
 * two subnets, one of them in key refresh phase 2, set up once. Inputs
 * that authenticate (the fuzzer cannot forge a NetMIC, but a seeded corpus
 * may) also go through the relay decision and re-encoding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mesh/net.h"

static struct mesh_net net;

static void fuzz_setup(void)
{
	/* arbitrary keys; NID collisions between them only add coverage */
	uint8_t k1[MESH_KEY_LEN], k2[MESH_KEY_LEN], k3[MESH_KEY_LEN];

	for (int i = 0; i < MESH_KEY_LEN; i++) {
		k1[i] = (uint8_t)i;
		k2[i] = (uint8_t)(0xa5 ^ i * 7);
		k3[i] = (uint8_t)(0x3c + i * 13);
	}
	mesh_net_init(&net, 0x12345678, false, 0, 0x0100, 4);
	net.relay = true;
	mesh_subnet_add(&net.subnets, 0x000, k1);
	mesh_subnet_add(&net.subnets, 0x123, k2);
	mesh_subnet_update(&net.subnets, 0x123, k3);
	mesh_subnet_kr_set(&net.subnets, 0x123, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct mesh_net_rx rx;
	uint8_t out[MESH_NET_MAX_PDU];
	size_t len;

	if (!ready) {
		fuzz_setup();
		ready = 1;
	}
	if (mesh_net_receive(&net, data, size, &rx) == 0 && mesh_net_relay_wanted(&net, &rx))
		mesh_net_relay_encode(&net, &rx, out, &len);
	return 0;
}
