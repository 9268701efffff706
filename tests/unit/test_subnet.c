/*
 * NetKey table and key refresh: which key transmits in each phase, which
 * keys receive, and the phase transitions (Mesh Profile 3.10.4, 4.2.14).
 * Keys are sample NetKeys from the shared JSON with distinct NIDs.
 */
#include <string.h>

#include "mesh/err.h"
#include "mesh/net.h"
#include "mesh/subnet.h"
#include "vectors.h"

static uint8_t key_old[16], key_new[16];
static uint8_t nid_old, nid_new;

static int setup(void **state)
{
	(void)state;
	vec_hex(vectors_root(), "k2.[0].netkey", key_old, 16);
	nid_old = (uint8_t)vec_int(vectors_root(), "k2.[0].nid");
	vec_hex(vectors_root(), "k2.[2].netkey", key_new, 16);
	nid_new = (uint8_t)vec_int(vectors_root(), "k2.[2].nid");
	return nid_old == nid_new; /* the tests below tell keys apart by NID */
}

static void test_add_find_delete(void **state)
{
	struct mesh_subnets s;
	uint8_t key[16];

	(void)state;
	mesh_subnets_init(&s);
	assert_int_equal(mesh_subnet_add(&s, 0x1000, key_old), MESH_ERR_KEY_INDEX);
	assert_int_equal(mesh_subnet_add(&s, 0x000, key_old), 0);
	assert_int_equal(mesh_subnet_add(&s, 0x000, key_old), 0);
	assert_int_equal(mesh_subnet_add(&s, 0x000, key_new), MESH_ERR_EXISTS);
	for (uint16_t i = 1; i < MESH_SUBNET_MAX; i++) {
		memcpy(key, key_old, 16);
		key[0] ^= (uint8_t)i;
		assert_int_equal(mesh_subnet_add(&s, (uint16_t)(0xff0 + i), key), 0);
	}
	assert_int_equal(mesh_subnet_add(&s, 0x123, key_new), MESH_ERR_FULL);
	assert_non_null(mesh_subnet_find(&s, 0xff3));
	assert_null(mesh_subnet_find(&s, 0x123));
	assert_int_equal(mesh_subnet_delete(&s, 0xff3), 0);
	assert_int_equal(mesh_subnet_delete(&s, 0xff3), MESH_ERR_KEY_INDEX);
	assert_int_equal(mesh_subnet_add(&s, 0x123, key_new), 0);

	/* derived material of the primary subnet */
	struct mesh_subnet *sub = mesh_subnet_find(&s, 0);
	uint8_t exp[16];

	assert_non_null(sub);
	assert_int_equal(sub->keys[sub->old].cred.nid, nid_old);
	assert_int_equal(mesh_network_id(key_old, exp), 0);
	assert_bytes_equal(sub->keys[sub->old].net_id, exp, 8);
	assert_int_equal(mesh_beacon_key(key_old, exp), 0);
	assert_bytes_equal(sub->keys[sub->old].beacon_key, exp, 16);
	assert_int_equal(mesh_identity_key(key_old, exp), 0);
	assert_bytes_equal(sub->keys[sub->old].identity_key, exp, 16);
	mesh_subnets_clear(&s);
}

/* Encode on `from` with a given key, receive on net. */
static int rx_with(struct mesh_net *net, const uint8_t key[16], uint32_t seq,
		   struct mesh_net_rx *rx)
{
	static const uint8_t master_p[] = { 0x00 };
	static const uint8_t transport[] = { 0x01, 0x02, 0x03 };
	struct mesh_net_tx tx = { .ttl = 3, .seq = seq, .src = 0x0042, .dst = 0xc000,
				  .transport = transport, .transport_len = sizeof(transport) };
	struct mesh_net_cred cred = { 0 };
	uint8_t pdu[MESH_NET_MAX_PDU];
	size_t len;
	int err;

	assert_int_equal(mesh_net_cred_derive(&cred, key, master_p, 1), 0);
	assert_int_equal(mesh_net_pdu_encode(&cred, mesh_iv_tx_index(&net->iv), &tx, pdu, &len), 0);
	mesh_net_cred_clear(&cred);
	err = mesh_net_receive(net, pdu, len, rx);
	return err;
}

/* The NID of what mesh_net_encode_tx sends now. */
static uint8_t tx_nid(struct mesh_net *net, uint32_t seq)
{
	static const uint8_t transport[] = { 0x01 };
	struct mesh_net_tx tx = { .net_idx = 7, .ttl = 3, .seq = seq, .src = 0x0001,
				  .dst = 0xc000, .transport = transport, .transport_len = 1 };
	uint8_t pdu[MESH_NET_MAX_PDU];
	size_t len;

	assert_int_equal(mesh_net_encode_tx(net, &tx, pdu, &len), 0);
	return pdu[0] & 0x7f;
}

static void test_key_refresh(void **state)
{
	struct mesh_net net;
	struct mesh_net_rx rx;
	uint32_t seq = 1;

	(void)state;
	mesh_net_init(&net, 0x1000, false, 0, 0x0001, 1);
	assert_int_equal(mesh_subnet_add(&net.subnets, 7, key_old), 0);

	/* phase 0: old only */
	assert_int_equal(tx_nid(&net, seq++), nid_old);
	assert_int_equal(rx_with(&net, key_old, seq++, &rx), 0);
	assert_false(rx.new_key);
	assert_int_equal(rx_with(&net, key_new, seq++, &rx), MESH_ERR_UNKNOWN_NID);
	assert_int_equal(mesh_subnet_kr_set(&net.subnets, 7, 2), MESH_ERR_KEY_REFRESH);
	assert_int_equal(mesh_subnet_kr_set(&net.subnets, 7, 3), 0);
	assert_int_equal(mesh_subnet_find(&net.subnets, 7)->kr_phase, 0);

	/* phase 1: tx old, rx both */
	assert_int_equal(mesh_subnet_update(&net.subnets, 7, key_new), 0);
	assert_int_equal(mesh_subnet_update(&net.subnets, 7, key_new), 0);
	assert_int_equal(mesh_subnet_update(&net.subnets, 7, key_old), MESH_ERR_KEY_REFRESH);
	assert_int_equal(mesh_subnet_find(&net.subnets, 7)->kr_phase, 1);
	assert_int_equal(tx_nid(&net, seq++), nid_old);
	assert_int_equal(rx_with(&net, key_old, seq++, &rx), 0);
	assert_false(rx.new_key);
	assert_int_equal(rx_with(&net, key_new, seq++, &rx), 0);
	assert_true(rx.new_key);
	assert_int_equal(rx.net_idx, 7);

	/* phase 2: tx new, rx both */
	assert_int_equal(mesh_subnet_kr_set(&net.subnets, 7, 2), 0);
	assert_int_equal(mesh_subnet_kr_set(&net.subnets, 7, 2), 0);
	assert_int_equal(mesh_subnet_kr_set(&net.subnets, 7, 1), MESH_ERR_INVAL);
	assert_int_equal(mesh_subnet_update(&net.subnets, 7, key_new), MESH_ERR_KEY_REFRESH);
	assert_int_equal(mesh_subnet_find(&net.subnets, 7)->kr_phase, 2);
	assert_int_equal(tx_nid(&net, seq++), nid_new);
	assert_int_equal(rx_with(&net, key_old, seq++, &rx), 0);
	assert_false(rx.new_key);
	assert_int_equal(rx_with(&net, key_new, seq++, &rx), 0);
	assert_true(rx.new_key);

	/* phase 3 -> 0: new only, and it is now the "old" (only) key */
	assert_int_equal(mesh_subnet_kr_set(&net.subnets, 7, 3), 0);
	assert_int_equal(mesh_subnet_find(&net.subnets, 7)->kr_phase, 0);
	assert_int_equal(tx_nid(&net, seq++), nid_new);
	assert_int_equal(rx_with(&net, key_old, seq++, &rx), MESH_ERR_UNKNOWN_NID);
	assert_int_equal(rx_with(&net, key_new, seq++, &rx), 0);
	assert_false(rx.new_key);

	/* a second refresh back to the first key works the same way */
	assert_int_equal(mesh_subnet_update(&net.subnets, 7, key_old), 0);
	assert_int_equal(tx_nid(&net, seq++), nid_new);
	assert_int_equal(mesh_subnet_kr_set(&net.subnets, 7, 3), 0);
	assert_int_equal(tx_nid(&net, seq++), nid_old);
	mesh_net_clear(&net);
}

static void test_key_refresh_beacons(void **state)
{
	struct mesh_subnets s;
	struct mesh_subnet *sub;

	(void)state;
	mesh_subnets_init(&s);
	assert_int_equal(mesh_subnet_add(&s, 1, key_old), 0);
	sub = mesh_subnet_find(&s, 1);
	assert_int_equal(mesh_subnet_kr_beacon(&s, 1, true, true), 0);
	assert_int_equal(sub->kr_phase, 0);
	assert_int_equal(mesh_subnet_update(&s, 1, key_new), 0);
	/* the old key proves nothing */
	assert_int_equal(mesh_subnet_kr_beacon(&s, 1, false, true), 0);
	assert_int_equal(sub->kr_phase, 1);
	assert_int_equal(mesh_subnet_kr_beacon(&s, 1, true, true), 0);
	assert_int_equal(sub->kr_phase, 2);
	assert_true(mesh_subnet_tx_new(sub));
	assert_int_equal(mesh_subnet_tx_keys(sub)->cred.nid, nid_new);
	assert_int_equal(mesh_subnet_kr_beacon(&s, 1, true, false), 0);
	assert_int_equal(sub->kr_phase, 0);
	assert_int_equal(mesh_subnet_tx_keys(sub)->cred.nid, nid_new);
	assert_null(mesh_subnet_rx_keys(sub, true));

	/* phase 1 straight to 3 when the new-key beacon has the flag clear */
	assert_int_equal(mesh_subnet_update(&s, 1, key_old), 0);
	assert_int_equal(mesh_subnet_kr_beacon(&s, 1, true, false), 0);
	assert_int_equal(sub->kr_phase, 0);
	assert_int_equal(mesh_subnet_tx_keys(sub)->cred.nid, nid_old);
	assert_int_equal(mesh_subnet_kr_beacon(&s, 9, true, false), MESH_ERR_KEY_INDEX);
	mesh_subnets_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find_delete),
		cmocka_unit_test(test_key_refresh),
		cmocka_unit_test(test_key_refresh_beacons),
	};
	int rc = cmocka_run_group_tests(tests, setup, NULL);

	mesh_crypto_thread_cleanup();
	return rc;
}
