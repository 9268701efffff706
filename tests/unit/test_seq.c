/* Sequence numbers: block reservation, crash recovery without reuse, the
 * IV update threshold signal and exhaustion. */
#include "mesh/err.h"
#include "mesh/seq.h"
#include "vectors.h"

struct flash {
	uint32_t limit;  /* what survives a crash */
	int writes;
	bool fail;
	int thresholds;
	uint32_t threshold_seq;
};

static int flash_store(void *user, uint32_t limit)
{
	struct flash *f = user;

	if (f->fail)
		return -1;
	f->limit = limit;
	f->writes++;
	return 0;
}

static void flash_threshold(void *user, uint32_t seq)
{
	struct flash *f = user;

	f->thresholds++;
	f->threshold_seq = seq;
}

static void test_blocks(void **state)
{
	struct flash f = { 0 };
	struct mesh_seq s;
	uint32_t seq;

	(void)state;
	assert_int_equal(mesh_seq_init(&s, 0, flash_store, NULL, &f), MESH_ERR_INVAL);
	assert_int_equal(mesh_seq_init(&s, 100, flash_store, NULL, &f), 0);
	for (uint32_t i = 0; i < 250; i++) {
		assert_int_equal(mesh_seq_next(&s, &seq), 0);
		assert_int_equal(seq, i);
		/* never hand out a number that is not covered by storage */
		assert_true(seq < f.limit);
	}
	assert_int_equal(f.writes, 3);
	assert_int_equal(f.limit, 300);
}

static void test_crash(void **state)
{
	struct flash f = { 0 };
	struct mesh_seq s;
	uint32_t seq, highest = 0;

	(void)state;
	assert_int_equal(mesh_seq_init(&s, 64, flash_store, NULL, &f), 0);
	for (int i = 0; i < 150; i++) {
		assert_int_equal(mesh_seq_next(&s, &seq), 0);
		highest = seq;
	}
	/* crash: RAM is lost, only f.limit survives */
	assert_int_equal(mesh_seq_init(&s, 64, flash_store, NULL, &f), 0);
	assert_int_equal(mesh_seq_load(&s, f.limit), 0);
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	assert_true(seq > highest);
	assert_int_equal(seq, 192);
	/* and again, immediately after a reservation */
	highest = seq;
	assert_int_equal(mesh_seq_init(&s, 64, flash_store, NULL, &f), 0);
	assert_int_equal(mesh_seq_load(&s, f.limit), 0);
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	assert_true(seq > highest);
}

static void test_store_failure(void **state)
{
	struct flash f = { 0 };
	struct mesh_seq s;
	uint32_t seq;

	(void)state;
	assert_int_equal(mesh_seq_init(&s, 2, flash_store, NULL, &f), 0);
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	f.fail = true;
	assert_int_equal(mesh_seq_next(&s, &seq), MESH_ERR_IO);
	assert_int_equal(mesh_seq_peek(&s), 2);
	f.fail = false;
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	assert_int_equal(seq, 2);
}

static void test_threshold_and_exhaustion(void **state)
{
	struct flash f = { 0 };
	struct mesh_seq s;
	uint32_t seq;

	(void)state;
	assert_int_equal(mesh_seq_init(&s, 16, flash_store, flash_threshold, &f), 0);
	assert_int_equal(mesh_seq_load(&s, MESH_SEQ_IV_THRESHOLD - 2), 0);
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	assert_int_equal(f.thresholds, 0);
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	assert_int_equal(f.thresholds, 1);
	assert_int_equal(f.threshold_seq, MESH_SEQ_IV_THRESHOLD);
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	assert_int_equal(f.thresholds, 1);

	/* the last SEQ is 0xffffff; after it the space is used up */
	assert_int_equal(mesh_seq_load(&s, 0xfffffe), 0);
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	assert_int_equal(f.limit, MESH_SEQ_LIMIT);
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	assert_int_equal(seq, 0xffffff);
	assert_int_equal(mesh_seq_next(&s, &seq), MESH_ERR_SEQ_EXHAUSTED);
	assert_int_equal(mesh_seq_next(&s, &seq), MESH_ERR_SEQ_EXHAUSTED);
	assert_int_equal(mesh_seq_load(&s, MESH_SEQ_LIMIT), 0);
	assert_int_equal(mesh_seq_next(&s, &seq), MESH_ERR_SEQ_EXHAUSTED);
	assert_int_equal(mesh_seq_load(&s, MESH_SEQ_LIMIT + 1), MESH_ERR_INVAL);

	/* a new IV index starts over and may signal again */
	assert_int_equal(mesh_seq_reset(&s), 0);
	assert_int_equal(f.limit, 0);
	assert_int_equal(mesh_seq_next(&s, &seq), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(f.limit, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_crash),
		cmocka_unit_test(test_store_failure),
		cmocka_unit_test(test_threshold_and_exhaustion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
