/* Replay protection list: ordering by IV index and SEQ, SeqAuth for
 * segments, the no-eviction bound, pruning and the persistence hooks. */
#include <string.h>

#include "mesh/err.h"
#include "mesh/rpl.h"
#include "vectors.h"

struct store_log {
	int writes, removes;
	struct mesh_rpl_entry last;
};

static void store(void *user, const struct mesh_rpl_entry *e, bool removed)
{
	struct store_log *log = user;

	if (removed)
		log->removes++;
	else
		log->writes++;
	log->last = *e;
}

static void test_order(void **state)
{
	struct mesh_rpl rpl;
	struct store_log log = { 0 };

	(void)state;
	mesh_rpl_init(&rpl, store, &log);
	assert_int_equal(mesh_rpl_accept(&rpl, 0x0001, 10, 5), 0);
	assert_int_equal(log.writes, 1);
	assert_int_equal(log.last.seq, 5);
	assert_int_equal(mesh_rpl_accept(&rpl, 0x0001, 10, 5), MESH_ERR_REPLAY);
	assert_int_equal(mesh_rpl_accept(&rpl, 0x0001, 10, 4), MESH_ERR_REPLAY);
	assert_int_equal(mesh_rpl_check(&rpl, 0x0001, 10, 6), 0);
	assert_int_equal(mesh_rpl_accept(&rpl, 0x0001, 10, 6), 0);
	/* a lower SEQ is new under a greater IV index, and not under a lower */
	assert_int_equal(mesh_rpl_accept(&rpl, 0x0001, 9, 0xffffff), MESH_ERR_REPLAY);
	assert_int_equal(mesh_rpl_accept(&rpl, 0x0001, 11, 0), 0);
	assert_int_equal(mesh_rpl_accept(&rpl, 0x0001, 10, 7), MESH_ERR_REPLAY);
	assert_int_equal(log.writes, 3);
	/* sources are independent */
	assert_int_equal(mesh_rpl_accept(&rpl, 0x0002, 10, 1), 0);
	assert_int_equal(mesh_rpl_find(&rpl, 0x0001)->iv_index, 11);
	assert_int_equal(mesh_rpl_check(&rpl, 0xc000, 10, 1), MESH_ERR_INVAL);
	assert_int_equal(mesh_rpl_check(&rpl, 0x0003, 10, 0x1000000), MESH_ERR_INVAL);
}

static void test_segments(void **state)
{
	struct mesh_rpl rpl;
	uint64_t a = mesh_seq_auth(10, 100), b = mesh_seq_auth(10, 110);

	(void)state;
	mesh_rpl_init(&rpl, NULL, NULL);
	/* message A: segments 100, 101, then a retransmission at 105 */
	assert_int_equal(mesh_rpl_accept_seg(&rpl, 7, 10, 100, a), 0);
	assert_int_equal(mesh_rpl_accept_seg(&rpl, 7, 10, 101, a), 0);
	assert_int_equal(mesh_rpl_accept_seg(&rpl, 7, 10, 105, a), 0);
	assert_int_equal(mesh_rpl_accept_seg(&rpl, 7, 10, 101, a), MESH_ERR_REPLAY);
	/* message B starts */
	assert_int_equal(mesh_rpl_accept_seg(&rpl, 7, 10, 110, b), 0);
	/* a segment of A with a fresh SEQ is now obsolete */
	assert_int_equal(mesh_rpl_check_seg(&rpl, 7, 10, 120, a), MESH_ERR_REPLAY);
	assert_int_equal(mesh_rpl_accept_seg(&rpl, 7, 10, 121, b), 0);
	assert_int_equal(mesh_rpl_find(&rpl, 7)->seq_auth, b);
	/* SeqAuth can carry the previous IV index across an IV update */
	assert_int_equal(mesh_rpl_accept_seg(&rpl, 7, 11, 2, mesh_seq_auth(10, 200)), 0);
	/* an unsegmented message is its own SeqAuth */
	assert_int_equal(mesh_rpl_accept(&rpl, 7, 11, 3), 0);
	assert_int_equal(mesh_rpl_find(&rpl, 7)->seq_auth, mesh_seq_auth(11, 3));
}

static void test_full(void **state)
{
	struct mesh_rpl rpl;

	(void)state;
	mesh_rpl_init(&rpl, NULL, NULL);
	for (uint16_t i = 0; i < MESH_RPL_MAX; i++)
		assert_int_equal(mesh_rpl_accept(&rpl, (uint16_t)(1 + i), 0, 1), 0);
	/* a new source is refused; known ones still work; nothing evicted */
	assert_int_equal(mesh_rpl_check(&rpl, 0x7000, 0, 1), MESH_ERR_FULL);
	assert_int_equal(mesh_rpl_accept(&rpl, 0x7000, 0, 1), MESH_ERR_FULL);
	assert_int_equal(mesh_rpl_accept(&rpl, 1, 0, 2), 0);
	assert_int_equal(mesh_rpl_accept(&rpl, 2, 0, 1), MESH_ERR_REPLAY);
	assert_int_equal(rpl.count, MESH_RPL_MAX);
}

static void test_prune_clear_load(void **state)
{
	struct mesh_rpl rpl, again;
	struct store_log log = { 0 };
	struct mesh_rpl_entry saved[3];

	(void)state;
	mesh_rpl_init(&rpl, store, &log);
	assert_int_equal(mesh_rpl_accept(&rpl, 1, 8, 1), 0);
	assert_int_equal(mesh_rpl_accept(&rpl, 2, 9, 1), 0);
	assert_int_equal(mesh_rpl_accept(&rpl, 3, 10, 1), 0);
	memcpy(saved, rpl.entry, sizeof(saved));
	mesh_rpl_prune(&rpl, 10);
	assert_int_equal(rpl.count, 2);
	assert_null(mesh_rpl_find(&rpl, 1));
	assert_int_equal(log.removes, 1);
	assert_int_equal(log.last.src, 1);

	/* restore after a restart: the stored state still rejects replays */
	mesh_rpl_init(&again, NULL, NULL);
	assert_int_equal(mesh_rpl_load(&again, saved, 3), 0);
	assert_int_equal(mesh_rpl_accept(&again, 1, 8, 1), MESH_ERR_REPLAY);
	assert_int_equal(mesh_rpl_accept(&again, 3, 10, 2), 0);
	saved[1].src = saved[0].src;
	assert_int_equal(mesh_rpl_load(&again, saved, 3), MESH_ERR_INVAL);
	assert_int_equal(mesh_rpl_load(&again, saved, MESH_RPL_MAX + 1), MESH_ERR_FULL);

	mesh_rpl_clear(&rpl);
	assert_int_equal(rpl.count, 0);
	assert_int_equal(log.removes, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_prune_clear_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
