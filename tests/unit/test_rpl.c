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
	assert_true(mesh_rpl_find(&rpl, 7)->has_seg);
	assert_int_equal(mesh_rpl_find(&rpl, 7)->seg_seq_auth, b);
	/* SeqAuth can carry the previous IV index across an IV update */
	assert_int_equal(mesh_rpl_accept_seg(&rpl, 7, 11, 2, mesh_seq_auth(10, 200)), 0);
	/* an unsegmented message moves SEQ only, never the segmented SeqAuth */
	assert_int_equal(mesh_rpl_accept(&rpl, 7, 11, 3), 0);
	assert_int_equal(mesh_rpl_find(&rpl, 7)->seq, 3);
	assert_int_equal(mesh_rpl_find(&rpl, 7)->seg_seq_auth, mesh_seq_auth(10, 200));
}

/*
 * seg0 (SEQ 0), an unsegmented message (SEQ 1), seg1 (SEQ 2): the
 * unsegmented message must not make the segmented one look old (3.5.3.4
 * compares SeqAuth with the previous *segmented* message only).
 */
static void test_interleaved(void **state)
{
	struct mesh_rpl rpl;
	uint64_t sa = mesh_seq_auth(10, 0);
	const struct mesh_rpl_entry *e;

	(void)state;
	mesh_rpl_init(&rpl, NULL, NULL);
	assert_int_equal(mesh_rpl_check_seg(&rpl, 7, 10, 0, sa), 0);
	assert_int_equal(mesh_rpl_accept(&rpl, 7, 10, 1), 0);
	e = mesh_rpl_find(&rpl, 7);
	assert_non_null(e);
	assert_false(e->has_seg);
	assert_int_equal(mesh_rpl_check_seg(&rpl, 7, 10, 2, sa), 0);
	assert_int_equal(mesh_rpl_accept_seg(&rpl, 7, 10, 2, sa), 0);
	assert_true(e->has_seg);
	assert_int_equal(e->seg_seq_auth, sa);
	assert_int_equal(e->seq, 2);
	/* the SEQ order still holds across both kinds */
	assert_int_equal(mesh_rpl_check(&rpl, 7, 10, 2), MESH_ERR_REPLAY);
	assert_int_equal(mesh_rpl_check_seg(&rpl, 7, 10, 1, sa), MESH_ERR_REPLAY);
	/* an unsegmented message after it, then a newer segmented one */
	assert_int_equal(mesh_rpl_accept(&rpl, 7, 10, 3), 0);
	assert_int_equal(mesh_rpl_accept_seg(&rpl, 7, 10, 5, mesh_seq_auth(10, 4)), 0);
	/* ... and segments of the older segmented message are obsolete */
	assert_int_equal(mesh_rpl_check_seg(&rpl, 7, 10, 6, sa), MESH_ERR_REPLAY);
}

static void test_remove(void **state)
{
	struct mesh_rpl rpl;
	struct store_log log = { 0 };

	(void)state;
	mesh_rpl_init(&rpl, store, &log);
	for (uint16_t i = 0; i < MESH_RPL_MAX; i++)
		assert_int_equal(mesh_rpl_accept(&rpl, (uint16_t)(1 + i), 0, 100), 0);
	assert_int_equal(mesh_rpl_accept(&rpl, 0x7000, 0, 1), MESH_ERR_FULL);

	/* A node re-provisioned at address 5 starts again at SEQ 0. */
	assert_int_equal(mesh_rpl_accept(&rpl, 5, 0, 0), MESH_ERR_REPLAY);
	assert_int_equal(mesh_rpl_remove(&rpl, 5), 0);
	assert_int_equal(log.removes, 1);
	assert_int_equal(log.last.src, 5);
	assert_int_equal(log.last.seq, 100);
	assert_null(mesh_rpl_find(&rpl, 5));
	assert_int_equal(rpl.count, MESH_RPL_MAX - 1);
	assert_int_equal(mesh_rpl_remove(&rpl, 5), MESH_ERR_NOT_FOUND);
	assert_int_equal(mesh_rpl_remove(&rpl, 0xc000), MESH_ERR_INVAL);
	assert_int_equal(mesh_rpl_accept(&rpl, 5, 0, 0), 0);
	assert_int_equal(mesh_rpl_find(&rpl, 5)->seq, 0);

	/* Every other entry is still found where it was. */
	for (uint16_t i = 0; i < MESH_RPL_MAX; i++) {
		const struct mesh_rpl_entry *e = mesh_rpl_find(&rpl, (uint16_t)(1 + i));

		assert_non_null(e);
		assert_int_equal(e->src, 1 + i);
		assert_int_equal(e->seq, i == 4 ? 0 : 100);
	}
}

/* Lookups stay right through removals, pruning and reloading. */
static void test_index_consistency(void **state)
{
	struct mesh_rpl rpl;
	uint16_t srcs[MESH_RPL_MAX];

	(void)state;
	mesh_rpl_init(&rpl, NULL, NULL);
	/* Addresses that collide in any small power-of-two table. */
	for (uint16_t i = 0; i < MESH_RPL_MAX; i++) {
		srcs[i] = (uint16_t)(1 + (i * 256) % 0x7fff);
		assert_int_equal(mesh_rpl_accept(&rpl, srcs[i], i % 3 ? 10 : 8, 1), 0);
	}
	for (uint16_t i = 0; i < MESH_RPL_MAX; i += 5)
		assert_int_equal(mesh_rpl_remove(&rpl, srcs[i]), 0);
	mesh_rpl_prune(&rpl, 10);  /* drops IV index 8 */
	for (uint16_t i = 0; i < MESH_RPL_MAX; i++) {
		const struct mesh_rpl_entry *e = mesh_rpl_find(&rpl, srcs[i]);
		bool gone = i % 5 == 0 || i % 3 == 0;

		if (gone) {
			assert_null(e);
			assert_int_equal(mesh_rpl_check(&rpl, srcs[i], 10, 0), 0);
		} else {
			assert_non_null(e);
			assert_int_equal(e->src, srcs[i]);
			assert_int_equal(mesh_rpl_check(&rpl, srcs[i], 10, 1), MESH_ERR_REPLAY);
		}
	}
	/* Refill to the bound: the freed room is usable again, no more. */
	for (uint16_t a = 0x4002; rpl.count < MESH_RPL_MAX; a += 2) {
		if (!mesh_rpl_find(&rpl, a))
			assert_int_equal(mesh_rpl_accept(&rpl, a, 10, 1), 0);
	}
	assert_null(mesh_rpl_find(&rpl, 0x7ffe));
	assert_int_equal(mesh_rpl_accept(&rpl, 0x7ffe, 10, 1), MESH_ERR_FULL);
	for (uint16_t i = 0; i < MESH_RPL_MAX; i++) {
		if (!(i % 5 == 0 || i % 3 == 0))
			assert_non_null(mesh_rpl_find(&rpl, srcs[i]));
	}
	mesh_rpl_clear(&rpl);
	assert_null(mesh_rpl_find(&rpl, srcs[1]));
	assert_int_equal(mesh_rpl_accept(&rpl, srcs[1], 10, 1), 0);
}

/* What the store callback saw is enough to restore the whole state. */
static void test_persist_round_trip(void **state)
{
	struct mesh_rpl rpl, again;
	struct store_log log = { 0 };
	struct mesh_rpl_entry saved[2];
	const struct mesh_rpl_entry *e;
	uint64_t sa = mesh_seq_auth(10, 40);

	(void)state;
	mesh_rpl_init(&rpl, store, &log);
	assert_int_equal(mesh_rpl_accept_seg(&rpl, 7, 10, 42, sa), 0);
	assert_int_equal(mesh_rpl_accept(&rpl, 7, 10, 43), 0);
	saved[0] = log.last;
	assert_int_equal(mesh_rpl_accept(&rpl, 8, 10, 5), 0);
	saved[1] = log.last;
	assert_true(saved[0].has_seg);
	assert_int_equal(saved[0].seg_seq_auth, sa);
	assert_int_equal(saved[0].seq, 43);
	assert_false(saved[1].has_seg);

	mesh_rpl_init(&again, NULL, NULL);
	assert_int_equal(mesh_rpl_load(&again, saved, 2), 0);
	e = mesh_rpl_find(&again, 7);
	assert_non_null(e);
	assert_memory_equal(e, &saved[0], sizeof(*e));
	/* the restored segmented SeqAuth still makes older messages obsolete */
	assert_int_equal(mesh_rpl_check_seg(&again, 7, 10, 50, mesh_seq_auth(10, 39)),
			 MESH_ERR_REPLAY);
	assert_int_equal(mesh_rpl_check_seg(&again, 7, 10, 50, sa), 0);
	assert_int_equal(mesh_rpl_check(&again, 7, 10, 43), MESH_ERR_REPLAY);
	assert_int_equal(mesh_rpl_accept_seg(&again, 8, 10, 6, mesh_seq_auth(10, 6)), 0);

	/* corrupt records are refused */
	saved[1].seq = 0x1000000;
	assert_int_equal(mesh_rpl_load(&again, saved, 2), MESH_ERR_INVAL);
	saved[1].seq = 5;
	saved[1].has_seg = false;
	saved[1].seg_seq_auth = 1;
	assert_int_equal(mesh_rpl_load(&again, saved, 2), MESH_ERR_INVAL);
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
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_index_consistency),
		cmocka_unit_test(test_persist_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
