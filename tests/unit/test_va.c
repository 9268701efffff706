/*
 * Label UUID table: addresses from the specification's virtual address
 * samples, reference counting, lookup and iteration over labels sharing an
 * address, and the bound on the table size.
 */
#include <string.h>

#include "mesh/addr.h"
#include "mesh/crypto.h"
#include "mesh/err.h"
#include "mesh/va.h"
#include "vectors.h"

static struct mesh_va_table t;

static void test_samples(void **state)
{
	json_t *arr = vec_get(vectors_root(), "virtual_address");
	size_t i;
	json_t *e;

	(void)state;
	mesh_va_init(&t);
	assert_true(json_array_size(arr) >= 2);
	json_array_foreach(arr, i, e) {
		uint8_t uuid[MESH_LABEL_UUID_LEN];
		uint16_t addr = 0;
		const struct mesh_va *v;

		vec_hex(e, "label_uuid", uuid, sizeof(uuid));
		assert_int_equal(mesh_va_add(&t, uuid, &addr), 0);
		assert_int_equal(addr, vec_int(e, "address"));
		assert_true(mesh_addr_is_virtual(addr));
		v = mesh_va_find(&t, uuid);
		assert_non_null(v);
		assert_int_equal(v->addr, addr);
		assert_ptr_equal(mesh_va_next(&t, addr, NULL), v);
		assert_null(mesh_va_next(&t, addr, v));
	}
}

static void test_refcount(void **state)
{
	uint8_t a[MESH_LABEL_UUID_LEN], b[MESH_LABEL_UUID_LEN];
	uint16_t addr_a, addr_b, addr;

	(void)state;
	mesh_va_init(&t);
	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	assert_int_equal(mesh_va_add(&t, a, &addr_a), 0);
	assert_int_equal(mesh_va_add(&t, a, &addr), 0);
	assert_int_equal(addr, addr_a);
	assert_int_equal(mesh_va_add(&t, b, &addr_b), 0);
	assert_int_equal(mesh_va_find(&t, a)->ref, 2);

	assert_int_equal(mesh_va_del(&t, a, &addr), 0);
	assert_int_equal(addr, addr_a);
	assert_non_null(mesh_va_find(&t, a));
	assert_int_equal(mesh_va_del(&t, a, NULL), 0);
	assert_null(mesh_va_find(&t, a));
	assert_int_equal(mesh_va_del(&t, a, NULL), MESH_ERR_NOT_FOUND);
	assert_non_null(mesh_va_find(&t, b));

	/* Non-virtual addresses never match. */
	assert_null(mesh_va_next(&t, 0x0001, NULL));
	assert_null(mesh_va_next(&t, 0xc000, NULL));
}

static void test_full(void **state)
{
	uint8_t uuid[MESH_LABEL_UUID_LEN] = { 0 };

	(void)state;
	mesh_va_init(&t);
	for (unsigned int i = 0; i < MESH_VA_MAX; i++) {
		uuid[0] = (uint8_t)i;
		assert_int_equal(mesh_va_add(&t, uuid, NULL), 0);
	}
	uuid[0] = MESH_VA_MAX;
	assert_int_equal(mesh_va_add(&t, uuid, NULL), MESH_ERR_FULL);
	/* A stored label still takes references. */
	uuid[0] = 0;
	assert_int_equal(mesh_va_add(&t, uuid, NULL), 0);
	/* Freeing a slot makes room again. */
	uuid[0] = 1;
	assert_int_equal(mesh_va_del(&t, uuid, NULL), 0);
	uuid[0] = MESH_VA_MAX;
	assert_int_equal(mesh_va_add(&t, uuid, NULL), 0);
}

/* Labels sharing an address: all are found, in table order. */
static void test_collisions(void **state)
{
	uint8_t uuids[3][MESH_LABEL_UUID_LEN];
	uint8_t uuid[MESH_LABEL_UUID_LEN] = { 0 };
	uint16_t target = 0, a;
	unsigned int found = 0, n = 0;
	const struct mesh_va *v;

	(void)state;
	mesh_va_init(&t);
	/* Labels differing in two octets until three share the first's address. */
	for (unsigned int i = 0; i < 0x10000 && found < 3; i++) {
		uuid[14] = (uint8_t)(i >> 8);
		uuid[15] = (uint8_t)i;
		assert_int_equal(mesh_virtual_address(uuid, &a), 0);
		if (i == 0)
			target = a;
		if (a == target)
			memcpy(uuids[found++], uuid, sizeof(uuid));
	}
	assert_int_equal(found, 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(mesh_va_add(&t, uuids[i], NULL), 0);
	/* An unrelated label stored after them does not show. */
	do {
		uuid[0]++;
		assert_int_equal(mesh_virtual_address(uuid, &a), 0);
	} while (a == target);
	assert_int_equal(mesh_va_add(&t, uuid, NULL), 0);
	for (v = mesh_va_next(&t, target, NULL); v; v = mesh_va_next(&t, target, v)) {
		assert_true(n < 3);
		assert_memory_equal(v->uuid, uuids[n], MESH_LABEL_UUID_LEN);
		n++;
	}
	assert_int_equal(n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_collisions),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	mesh_crypto_thread_cleanup();
	return rc;
}
