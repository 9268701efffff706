/*
 * AD type routing between a bearer and a node's stack, and network PDU
 * transmission with a transmit state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mesh/bearer/route.h"
#include "mesh/err.h"

struct seen {
	unsigned int unprov;
	unsigned int pb_adv;
	struct mesh_beacon_unprov beacon;
	int8_t rssi;
};

static void on_unprov(void *ctx, const struct mesh_beacon_unprov *b, const struct mesh_adv_rx *rx)
{
	struct seen *s = ctx;

	s->unprov++;
	s->beacon = *b;
	s->rssi = rx->rssi;
}

static void on_pb_adv(void *ctx, const struct mesh_adv_rx *rx)
{
	struct seen *s = ctx;

	s->pb_adv++;
	s->rssi = rx->rssi;
}

static const struct mesh_adv_route_ops ops = { .unprov_beacon = on_unprov, .pb_adv = on_pb_adv };

static int no_send(void *ctx, const uint8_t *pdu, size_t len)
{
	(void)ctx;
	(void)pdu;
	(void)len;
	return 0;
}

static const struct mesh_stack_ops stack_ops = { .bearer_send = no_send };

static struct mesh_adv_rx rx_of(uint8_t type, const uint8_t *payload, size_t len)
{
	struct mesh_adv_rx rx = { .ad_type = type, .len = (uint8_t)len, .payload = payload,
				  .rssi = -55 };
	return rx;
}

static void test_route_by_ad_type(void **state)
{
	static struct mesh_stack stack;
	struct mesh_timers timers;
	struct seen seen = { 0 };
	uint8_t unprov[MESH_BEACON_UNPROV_LEN] = { MESH_BEACON_UNPROV };
	static const uint8_t net_pdu[] = { 0x68, 0xca, 0xfe, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	static const uint8_t short_secure[] = { MESH_BEACON_SECURE, 0, 1, 2 };
	static const uint8_t pb_adv[] = { 0, 0, 0, 1, 0, 3 };
	struct mesh_adv_rx rx;

	(void)state;
	mesh_timers_init(&timers, 0);
	assert_int_equal(mesh_stack_init(&stack, &timers, NULL, &stack_ops, NULL), 0);

	/* Mesh Message: the network layer (no key for this NID). */
	rx = rx_of(MESH_AD_TYPE_MESSAGE, net_pdu, sizeof(net_pdu));
	assert_int_equal(mesh_adv_route(&stack, &rx, &ops, &seen), MESH_ERR_UNKNOWN_NID);
	assert_int_equal(mesh_adv_route(NULL, &rx, &ops, &seen), MESH_ERR_NOT_FOUND);

	/* Unprovisioned device beacon: parsed, to discovery. */
	memset(unprov + 1, 0xab, 16);
	unprov[17] = 0x08;
	rx = rx_of(MESH_AD_TYPE_BEACON, unprov, sizeof(unprov));
	assert_int_equal(mesh_adv_route(&stack, &rx, &ops, &seen), 0);
	assert_int_equal(seen.unprov, 1);
	assert_int_equal(seen.beacon.uuid[15], 0xab);
	assert_int_equal(seen.beacon.oob_info, 0x0800);
	assert_int_equal(seen.rssi, -55);
	rx.len = 10;
	assert_int_equal(mesh_adv_route(&stack, &rx, &ops, &seen), MESH_ERR_TRUNCATED);
	assert_int_equal(seen.unprov, 1);
	rx.len = sizeof(unprov);
	assert_int_equal(mesh_adv_route(&stack, &rx, NULL, NULL), MESH_ERR_NOT_FOUND);

	/* Secure network beacon: the stack's beacon parser sees it. */
	rx = rx_of(MESH_AD_TYPE_BEACON, short_secure, sizeof(short_secure));
	assert_int_equal(mesh_adv_route(&stack, &rx, &ops, &seen), MESH_ERR_TRUNCATED);
	rx.len = 0;
	assert_int_equal(mesh_adv_route(&stack, &rx, &ops, &seen), MESH_ERR_TRUNCATED);

	/* PB-ADV: to the provisioning bearer. */
	rx = rx_of(MESH_AD_TYPE_PB_ADV, pb_adv, sizeof(pb_adv));
	assert_int_equal(mesh_adv_route(&stack, &rx, &ops, &seen), 0);
	assert_int_equal(seen.pb_adv, 1);
	assert_int_equal(mesh_adv_route(&stack, &rx, NULL, NULL), MESH_ERR_NOT_FOUND);

	/* Anything else is nobody's. */
	rx = rx_of(0x09, pb_adv, sizeof(pb_adv));
	assert_int_equal(mesh_adv_route(&stack, &rx, &ops, &seen), MESH_ERR_NOT_FOUND);
	mesh_stack_cleanup(&stack);
}

struct fake_bearer {
	struct mesh_bearer b;
	struct mesh_adv_tx last;
	unsigned int sends;
};

static int fake_send(struct mesh_bearer *b, const struct mesh_adv_tx *tx)
{
	struct fake_bearer *f = (struct fake_bearer *)b;

	f->last = *tx;
	f->sends++;
	return mesh_adv_tx_check(tx);
}

static void test_send_network_uses_transmit_state(void **state)
{
	static const struct mesh_bearer_ops fake_ops = { .send = fake_send };
	struct fake_bearer f = { .b = { .ops = &fake_ops } };
	uint8_t pdu[MESH_ADV_PAYLOAD_MAX + 1];

	(void)state;
	memset(pdu, 0x42, sizeof(pdu));
	/* 4 transmissions, 30 ms apart: count 3, steps 2 (4.2.19). */
	assert_int_equal(mesh_adv_send_network(&f.b, pdu, 20, (2 << 3) | 3), 0);
	assert_int_equal(f.last.ad_type, MESH_AD_TYPE_MESSAGE);
	assert_int_equal(f.last.count, 4);
	assert_int_equal(f.last.interval_ms, 30);
	assert_int_equal(f.last.len, 20);
	assert_memory_equal(f.last.payload, pdu, 20);
	assert_int_equal(mesh_transmit_state(4, 30), (2 << 3) | 3);
	assert_int_equal(mesh_adv_send_network(&f.b, pdu, MESH_ADV_PAYLOAD_MAX + 1, 0),
			 MESH_ERR_OVERSIZED);
	assert_int_equal(mesh_adv_send_network(&f.b, pdu, 0, 0), MESH_ERR_TRUNCATED);
	assert_int_equal(f.sends, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_by_ad_type),
		cmocka_unit_test(test_send_network_uses_transmit_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
