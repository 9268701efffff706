/*
 * AppKey table: AIDs from the specification's k4 samples, the add/delete
 * rules of the AppKey List, and key refresh: the new key is accepted next
 * to the old one and used to send when asked, and revoking the old key
 * leaves only the new one, through the upper transport.
 */
#include <string.h>

#include "mesh/crypto.h"
#include "mesh/err.h"
#include "mesh/upper_transport.h"
#include "vectors.h"

#define NET_IDX 0x456
#define OTHER_NET 0x001

static struct mesh_app_keys t;

/* k4 samples: [0] the 8.1.6 key, [1] the 8.2.1 AppKey. */
static void sample_key(size_t i, uint8_t key[MESH_KEY_LEN], uint8_t *aid)
{
	json_t *e = vec_get(vec_get(vectors_root(), "k4"), i == 0 ? "[0]" : "[1]");

	vec_hex(e, "n", key, MESH_KEY_LEN);
	*aid = (uint8_t)vec_int(e, "aid");
}

static int setup(void **state)
{
	(void)state;
	mesh_app_keys_init(&t);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mesh_app_keys_clear(&t);
	return 0;
}

static void test_add_get_delete(void **state)
{
	uint8_t k0[MESH_KEY_LEN], k1[MESH_KEY_LEN], aid0, aid1;
	struct mesh_app_key *k;

	(void)state;
	sample_key(0, k0, &aid0);
	sample_key(1, k1, &aid1);
	assert_int_equal(mesh_app_keys_add(&t, 0x123, NET_IDX, k1), 0);
	k = mesh_app_keys_get(&t, 0x123);
	assert_non_null(k);
	assert_int_equal(k->net_idx, NET_IDX);
	assert_int_equal(k->val[0].aid, aid1);
	assert_false(k->updated);

	/* Same again is fine; another key or binding at the index is not. */
	assert_int_equal(mesh_app_keys_add(&t, 0x123, NET_IDX, k1), 0);
	assert_int_equal(mesh_app_keys_add(&t, 0x123, NET_IDX, k0), MESH_ERR_EXISTS);
	assert_int_equal(mesh_app_keys_add(&t, 0x123, OTHER_NET, k1), MESH_ERR_EXISTS);
	assert_int_equal(mesh_app_keys_add(&t, 0x1000, NET_IDX, k1), MESH_ERR_KEY_INDEX);
	assert_int_equal(mesh_app_keys_add(&t, 1, 0x1000, k1), MESH_ERR_KEY_INDEX);

	assert_int_equal(mesh_app_keys_add(&t, 0x001, NET_IDX, k0), 0);
	assert_int_equal(mesh_app_keys_get(&t, 0x001)->val[0].aid, aid0);
	assert_int_equal(mesh_app_keys_delete(&t, 0x123), 0);
	assert_null(mesh_app_keys_get(&t, 0x123));
	assert_int_equal(mesh_app_keys_delete(&t, 0x123), MESH_ERR_NOT_FOUND);
	assert_non_null(mesh_app_keys_get(&t, 0x001));
}

static void test_full_and_delete_net(void **state)
{
	uint8_t key[MESH_KEY_LEN] = { 0 };

	(void)state;
	for (unsigned int i = 0; i < MESH_APP_KEYS_MAX; i++) {
		key[0] = (uint8_t)i;
		assert_int_equal(mesh_app_keys_add(&t, (uint16_t)i, i % 2 ? NET_IDX : OTHER_NET,
						   key), 0);
	}
	key[0] = 0xff;
	assert_int_equal(mesh_app_keys_add(&t, 0xfff, NET_IDX, key), MESH_ERR_FULL);
	mesh_app_keys_delete_net(&t, NET_IDX);
	for (unsigned int i = 0; i < MESH_APP_KEYS_MAX; i++)
		assert_true(!mesh_app_keys_get(&t, (uint16_t)i) == (i % 2 == 1));
	assert_int_equal(mesh_app_keys_add(&t, 0xfff, NET_IDX, key), 0);
}

/* Count the candidates of (net_idx, aid); report the last one. */
static unsigned int candidates(uint16_t net_idx, uint8_t aid, struct mesh_app_key **key,
			       bool *new_key)
{
	unsigned int cursor = 0, n = 0;

	while (mesh_app_keys_next(&t, net_idx, aid, &cursor, key, new_key))
		n++;
	return n;
}

static void test_candidates(void **state)
{
	uint8_t k0[MESH_KEY_LEN], k1[MESH_KEY_LEN], aid0, aid1;
	struct mesh_app_key *k = NULL;
	bool new_key = true;

	(void)state;
	sample_key(0, k0, &aid0);
	sample_key(1, k1, &aid1);
	assert_int_not_equal(aid0, aid1);
	assert_int_equal(mesh_app_keys_add(&t, 1, NET_IDX, k1), 0);
	assert_int_equal(mesh_app_keys_add(&t, 2, OTHER_NET, k1), 0);
	assert_int_equal(mesh_app_keys_add(&t, 3, NET_IDX, k0), 0);
	assert_int_equal(candidates(NET_IDX, aid1, &k, &new_key), 1);
	assert_int_equal(k->app_idx, 1);
	assert_false(new_key);
	assert_int_equal(candidates(OTHER_NET, aid1, &k, &new_key), 1);
	assert_int_equal(k->app_idx, 2);
	assert_int_equal(candidates(NET_IDX, aid0, &k, &new_key), 1);
	assert_int_equal(k->app_idx, 3);
	assert_int_equal(candidates(OTHER_NET, aid0, &k, &new_key), 0);
	/* Same value under two indexes of one subnet: both are candidates. */
	assert_int_equal(mesh_app_keys_add(&t, 4, NET_IDX, k1), 0);
	assert_int_equal(candidates(NET_IDX, aid1, &k, &new_key), 2);
}

static void test_update_rules(void **state)
{
	uint8_t k0[MESH_KEY_LEN], k1[MESH_KEY_LEN], k2[MESH_KEY_LEN], aid0, aid1;

	(void)state;
	sample_key(0, k0, &aid0);
	sample_key(1, k1, &aid1);
	memcpy(k2, k1, sizeof(k2));
	k2[0] ^= 0x80;
	assert_int_equal(mesh_app_keys_update(&t, 7, NET_IDX, k1), MESH_ERR_NOT_FOUND);
	assert_int_equal(mesh_app_keys_add(&t, 7, NET_IDX, k0), 0);
	assert_int_equal(mesh_app_keys_update(&t, 7, OTHER_NET, k1), MESH_ERR_INVAL);
	assert_int_equal(mesh_app_keys_update(&t, 7, NET_IDX, k1), 0);
	assert_int_equal(mesh_app_keys_update(&t, 7, NET_IDX, k1), 0);
	assert_int_equal(mesh_app_keys_update(&t, 7, NET_IDX, k2), MESH_ERR_KEY_REFRESH);
	assert_true(mesh_app_keys_get(&t, 7)->updated);
	assert_int_equal(mesh_app_keys_get(&t, 7)->val[1].aid, aid1);
	/* Other subnets' completion leaves it alone. */
	assert_int_equal(mesh_app_keys_revoke_old(&t, OTHER_NET), 0);
	assert_true(mesh_app_keys_get(&t, 7)->updated);
	assert_int_equal(mesh_app_keys_revoke_old(&t, NET_IDX), 1);
	assert_false(mesh_app_keys_get(&t, 7)->updated);
	assert_int_equal(mesh_app_keys_get(&t, 7)->val[0].aid, aid1);
	assert_memory_equal(mesh_app_keys_get(&t, 7)->val[0].key.key, k1, MESH_KEY_LEN);
	assert_int_equal(mesh_app_keys_revoke_old(&t, NET_IDX), 0);
	/* A second refresh can follow. */
	assert_int_equal(mesh_app_keys_update(&t, 7, NET_IDX, k2), 0);
	/* Deleting during refresh frees both values. */
	assert_int_equal(mesh_app_keys_delete(&t, 7), 0);
}

/* Encrypt payload to the all-nodes address with the chosen value of idx 7. */
static void send(bool new_key, uint32_t seq, const uint8_t *payload, size_t len,
		 struct mesh_transport_msg *msg, uint8_t *pdu)
{
	struct mesh_upper_keyring kr = { .app = &t };
	struct mesh_upper_tx tx = {
		.payload = payload, .len = len, .key = { .app_idx = 7, .new_key = new_key },
	};

	memset(msg, 0, sizeof(*msg));
	msg->net_idx = NET_IDX;
	msg->src = 0x0100;
	msg->dst = 0xffff;
	msg->seq = seq;
	msg->iv_index = 1;
	assert_int_equal(mesh_upper_encrypt(&kr, &tx, msg, pdu, MESH_UPPER_MAX_PDU), 0);
}

static int receive(const struct mesh_transport_msg *msg, struct mesh_upper_key_info *info)
{
	struct mesh_upper_keyring kr = { .app = &t };
	uint8_t out[MESH_UPPER_MAX_PDU];
	size_t len;

	return mesh_upper_decrypt(&kr, msg, out, sizeof(out), &len, info);
}

static void test_key_refresh(void **state)
{
	static const uint8_t payload[] = { 0x82, 0x02, 0x01, 0x00 };
	uint8_t k0[MESH_KEY_LEN], k1[MESH_KEY_LEN], aid0, aid1;
	uint8_t pdu_old[MESH_UPPER_MAX_PDU], pdu_new[MESH_UPPER_MAX_PDU];
	struct mesh_transport_msg old_msg, new_msg;
	struct mesh_upper_key_info info;

	(void)state;
	sample_key(0, k0, &aid0);
	sample_key(1, k1, &aid1);
	assert_int_equal(mesh_app_keys_add(&t, 7, NET_IDX, k0), 0);

	/* Before the update, asking for the new key sends with the only one. */
	send(true, 1, payload, sizeof(payload), &old_msg, pdu_old);
	assert_int_equal(old_msg.aid, aid0);

	/* Phase 1: both accepted, old used to send. */
	assert_int_equal(mesh_app_keys_update(&t, 7, NET_IDX, k1), 0);
	send(false, 2, payload, sizeof(payload), &old_msg, pdu_old);
	assert_int_equal(old_msg.aid, aid0);
	assert_int_equal(receive(&old_msg, &info), 0);
	assert_int_equal(info.app_idx, 7);
	assert_false(info.new_key);

	/* Phase 2: new used to send, both still accepted. */
	send(true, 3, payload, sizeof(payload), &new_msg, pdu_new);
	assert_int_equal(new_msg.aid, aid1);
	assert_int_equal(receive(&new_msg, &info), 0);
	assert_int_equal(info.app_idx, 7);
	assert_true(info.new_key);
	assert_int_equal(receive(&old_msg, &info), 0);
	assert_false(info.new_key);

	/* Phase 3 / completion: old revoked. */
	assert_int_equal(mesh_app_keys_revoke_old(&t, NET_IDX), 1);
	assert_int_equal(receive(&old_msg, NULL), MESH_ERR_NO_APPKEY);
	assert_int_equal(receive(&new_msg, &info), 0);
	assert_false(info.new_key);  /* the new key is now the current one */
	/* A message with the old key's AID but forged to the new one's fails. */
	old_msg.aid = aid1;
	assert_int_equal(receive(&old_msg, NULL), MESH_ERR_TRANSMIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_get_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_and_delete_net, setup, teardown),
		cmocka_unit_test_setup_teardown(test_candidates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_refresh, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	mesh_crypto_thread_cleanup();
	return rc;
}
