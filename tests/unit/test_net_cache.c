/* Network message cache: hits, misses, FIFO eviction and its bound. */
#include <string.h>

#include "mesh/err.h"
#include "mesh/net_cache.h"
#include "vectors.h"

static void test_hit_miss(void **state)
{
	struct mesh_net_cache c;

	(void)state;
	mesh_net_cache_init(&c, 1234);
	assert_false(mesh_net_cache_has(&c, 1, 1, 0));
	assert_int_equal(mesh_net_cache_check_add(&c, 1, 1, 0), 0);
	assert_int_equal(mesh_net_cache_check_add(&c, 1, 1, 0), MESH_ERR_CACHED);
	/* every part of the key matters */
	assert_false(mesh_net_cache_has(&c, 2, 1, 0));
	assert_false(mesh_net_cache_has(&c, 1, 2, 0));
	assert_false(mesh_net_cache_has(&c, 1, 1, 1));
	assert_int_equal(c.count, 1);
}

/* A flood of distinct PDUs keeps exactly the newest SIZE of them. */
static void test_flood_bound(void **state)
{
	struct mesh_net_cache c;
	const uint32_t n = 50 * MESH_NET_CACHE_SIZE;

	(void)state;
	mesh_net_cache_init(&c, 0);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t src = (uint16_t)(1 + i % 7);

		assert_int_equal(mesh_net_cache_check_add(&c, src, i, 0x12345678), 0);
		assert_true(c.count <= MESH_NET_CACHE_SIZE);
	}
	assert_int_equal(c.count, MESH_NET_CACHE_SIZE);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t src = (uint16_t)(1 + i % 7);
		bool newest = i >= n - MESH_NET_CACHE_SIZE;

		assert_int_equal(mesh_net_cache_has(&c, src, i, 0x12345678), newest);
	}
	/* chains hold exactly the live entries */
	size_t linked = 0;

	for (size_t b = 0; b < MESH_NET_CACHE_BUCKETS; b++)
		for (int16_t i = c.bucket[b]; i >= 0; i = c.entry[i].next)
			linked++;
	assert_int_equal(linked, MESH_NET_CACHE_SIZE);
}

/* Re-adding the same PDU many times does not grow the table beyond one. */
static void test_repeats(void **state)
{
	struct mesh_net_cache c;

	(void)state;
	mesh_net_cache_init(&c, 99);
	for (int i = 0; i < 1000; i++)
		mesh_net_cache_check_add(&c, 5, 5, 5);
	assert_int_equal(c.count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_miss),
		cmocka_unit_test(test_flood_bound),
		cmocka_unit_test(test_repeats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
