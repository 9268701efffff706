/*
 * Device key table: node address ranges, overlap and range checks,
 * any-address keys, and the candidate order for a (src, dst) pair.
 */
#include <string.h>

#include "mesh/addr.h"
#include "mesh/crypto.h"
#include "mesh/dev_keys.h"
#include "mesh/err.h"
#include "vectors.h"

static struct mesh_dev_keys t;

static int setup(void **state)
{
	(void)state;
	mesh_dev_keys_init(&t);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mesh_dev_keys_clear(&t);
	return 0;
}

static void key_of(uint8_t n, uint8_t key[MESH_KEY_LEN])
{
	memset(key, n, MESH_KEY_LEN);
}

static void test_ranges(void **state)
{
	uint8_t k[MESH_KEY_LEN];

	(void)state;
	key_of(1, k);
	assert_int_equal(mesh_dev_keys_add(&t, 0x0100, 3, k), 0);
	assert_null(mesh_dev_keys_lookup(&t, 0x00ff));
	assert_int_equal(mesh_dev_keys_lookup(&t, 0x0100)->addr, 0x0100);
	assert_int_equal(mesh_dev_keys_lookup(&t, 0x0102)->addr, 0x0100);
	assert_null(mesh_dev_keys_lookup(&t, 0x0103));
	assert_null(mesh_dev_keys_lookup(&t, MESH_ADDR_UNASSIGNED));
	assert_null(mesh_dev_keys_lookup(&t, 0xffff));

	key_of(2, k);
	assert_int_equal(mesh_dev_keys_add(&t, 0x0102, 1, k), MESH_ERR_EXISTS);
	assert_int_equal(mesh_dev_keys_add(&t, 0x00fe, 3, k), MESH_ERR_EXISTS);
	assert_int_equal(mesh_dev_keys_add(&t, 0x00ff, 5, k), MESH_ERR_EXISTS);
	assert_int_equal(mesh_dev_keys_add(&t, 0x00fe, 2, k), 0);  /* ends at 0x00ff */
	assert_int_equal(mesh_dev_keys_add(&t, 0x0103, 1, k), 0);
	assert_int_equal(mesh_dev_keys_add(&t, 0x0200, 0, k), MESH_ERR_SRC);
	assert_int_equal(mesh_dev_keys_add(&t, 0xc000, 1, k), MESH_ERR_SRC);
	assert_int_equal(mesh_dev_keys_add(&t, 0x7fff, 2, k), MESH_ERR_SRC);
	assert_int_equal(mesh_dev_keys_add(&t, 0x7f01, 255, k), 0);

	assert_int_equal(mesh_dev_keys_delete(&t, 0x0101), 0);
	assert_null(mesh_dev_keys_lookup(&t, 0x0100));
	assert_int_equal(mesh_dev_keys_delete(&t, 0x0101), MESH_ERR_NOT_FOUND);
	assert_non_null(mesh_dev_keys_lookup(&t, 0x0103));
}

static void test_any_address(void **state)
{
	uint8_t k[MESH_KEY_LEN];

	(void)state;
	key_of(9, k);
	assert_int_equal(mesh_dev_keys_add(&t, MESH_ADDR_UNASSIGNED, 5, k), 0);
	assert_int_equal(mesh_dev_keys_add(&t, MESH_ADDR_UNASSIGNED, 0, k), MESH_ERR_EXISTS);
	/* An any-address key owns no address. */
	assert_null(mesh_dev_keys_lookup(&t, 0x0001));
	assert_int_equal(mesh_dev_keys_delete(&t, 0x0001), MESH_ERR_NOT_FOUND);
	assert_int_equal(mesh_dev_keys_delete_any(&t, k), 0);
	assert_int_equal(mesh_dev_keys_delete_any(&t, k), MESH_ERR_NOT_FOUND);
}

static unsigned int list(uint16_t src, uint16_t dst, struct mesh_dev_key **out, unsigned int max)
{
	unsigned int cursor = 0, n = 0;
	struct mesh_dev_key *k;

	while ((k = mesh_dev_keys_next(&t, src, dst, &cursor)) != NULL) {
		assert_true(n < max);
		out[n++] = k;
	}
	return n;
}

static void test_candidates(void **state)
{
	uint8_t k[MESH_KEY_LEN];
	struct mesh_dev_key *c[8];

	(void)state;
	key_of(1, k);
	assert_int_equal(mesh_dev_keys_add(&t, MESH_ADDR_UNASSIGNED, 0, k), 0);
	key_of(2, k);
	assert_int_equal(mesh_dev_keys_add(&t, 0x0010, 2, k), 0);
	key_of(3, k);
	assert_int_equal(mesh_dev_keys_add(&t, 0x0020, 1, k), 0);
	key_of(4, k);
	assert_int_equal(mesh_dev_keys_add(&t, MESH_ADDR_UNASSIGNED, 0, k), 0);

	/* src's node, dst's node, then the bare keys in table order. */
	assert_int_equal(list(0x0011, 0x0020, c, 8), 4);
	assert_int_equal(c[0]->addr, 0x0010);
	assert_int_equal(c[1]->addr, 0x0020);
	assert_int_equal(c[2]->key.key[0], 1);
	assert_int_equal(c[3]->key.key[0], 4);
	/* Receiving from a node, sent to a group: its key first. */
	assert_int_equal(list(0x0020, 0xc000, c, 8), 3);
	assert_int_equal(c[0]->addr, 0x0020);
	/* Between two elements of one node: its key once. */
	assert_int_equal(list(0x0010, 0x0011, c, 8), 3);
	/* Unknown nodes: only the bare keys. */
	assert_int_equal(list(0x0030, 0x0031, c, 8), 2);
	assert_int_equal(c[0]->elements, 0);
	mesh_dev_keys_clear(&t);
	assert_int_equal(list(0x0010, 0x0020, c, 8), 0);
}

static void test_full(void **state)
{
	uint8_t k[MESH_KEY_LEN];

	(void)state;
	for (unsigned int i = 0; i < MESH_DEV_KEYS_MAX; i++) {
		key_of((uint8_t)i, k);
		assert_int_equal(mesh_dev_keys_add(&t, (uint16_t)(1 + i), 1, k), 0);
	}
	assert_int_equal(mesh_dev_keys_add(&t, 0x1000, 1, k), MESH_ERR_FULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_candidates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	mesh_crypto_thread_cleanup();
	return rc;
}
