/*
 * IV index state: IVI selection on receive, the transmit IV index in each
 * state, the IV Update transitions with their 96-hour minimums, IV Index
 * Recovery limits, and the request from the SEQ module (3.10.5, 3.10.6).
 */
#include "mesh/err.h"
#include "mesh/iv_index.h"
#include "vectors.h"

#define H MESH_IV_HOUR_MS
#define T0 (1000ull * H) /* any start time; far from 0 */

static int changes;
static int change_err; /* what on_change answers: 0 = persisted */

static int on_change(void *user, const struct mesh_iv *iv)
{
	(void)user;
	(void)iv;
	changes++;
	return change_err;
}

static void test_rx_select(void **state)
{
	struct mesh_iv iv;
	uint32_t idx;

	(void)state;
	mesh_iv_init(&iv, 0x12345678, false, T0, NULL, NULL);
	assert_int_equal(mesh_iv_rx_index(&iv, 0, &idx), 0);
	assert_int_equal(idx, 0x12345678);
	assert_int_equal(mesh_iv_rx_index(&iv, 1, &idx), 0);
	assert_int_equal(idx, 0x12345677);
	assert_int_equal(mesh_iv_tx_index(&iv), 0x12345678);

	/* in progress at n+1: transmit n, accept n and n+1 */
	mesh_iv_init(&iv, 0x12345679, true, T0, NULL, NULL);
	assert_int_equal(mesh_iv_tx_index(&iv), 0x12345678);
	assert_int_equal(mesh_iv_rx_index(&iv, 1, &idx), 0);
	assert_int_equal(idx, 0x12345679);
	assert_int_equal(mesh_iv_rx_index(&iv, 0, &idx), 0);
	assert_int_equal(idx, 0x12345678);

	/* IV index 0 has no predecessor */
	mesh_iv_init(&iv, 0, false, T0, NULL, NULL);
	assert_int_equal(mesh_iv_rx_index(&iv, 1, &idx), MESH_ERR_IV_INDEX);
	assert_int_equal(mesh_iv_rx_index(&iv, 0, &idx), 0);
	assert_int_equal(idx, 0);
	mesh_iv_init(&iv, 0, true, T0, NULL, NULL);
	assert_false(iv.update);
}

static void test_update_by_beacon(void **state)
{
	struct mesh_iv iv;

	(void)state;
	changes = 0;
	mesh_iv_init(&iv, 100, false, T0, on_change, NULL);
	/* same index, either flag: nothing to do */
	assert_int_equal(mesh_iv_beacon(&iv, 100, false, T0 + H), 0);
	assert_int_equal(mesh_iv_beacon(&iv, 100, true, T0 + H), 0);
	/* older: ignored */
	assert_int_equal(mesh_iv_beacon(&iv, 99, false, T0 + 200 * H), MESH_ERR_IV_INDEX);
	/* n+1 in progress before 96 h in Normal: too early */
	assert_int_equal(mesh_iv_beacon(&iv, 101, true, T0 + 96 * H - 1), MESH_ERR_BUSY);
	assert_int_equal(changes, 0);
	assert_int_equal(mesh_iv_beacon(&iv, 101, true, T0 + 96 * H), 0);
	assert_true(iv.update);
	assert_int_equal(iv.index, 101);
	assert_int_equal(mesh_iv_tx_index(&iv), 100);
	assert_int_equal(changes, 1);

	uint64_t t1 = T0 + 96 * H;

	/* in progress: older indexes and beyond +42 ignored (higher ones
	 * within 42 recover, see test_recovery_in_progress), flag still set
	 * is fine */
	assert_int_equal(mesh_iv_beacon(&iv, 101 + 43, true, t1 + 200 * H), MESH_ERR_IV_INDEX);
	assert_int_equal(mesh_iv_beacon(&iv, 100, false, t1 + H), MESH_ERR_IV_INDEX);
	assert_int_equal(mesh_iv_beacon(&iv, 101, true, t1 + H), 0);
	/* back to Normal only after 96 h in progress */
	assert_int_equal(mesh_iv_beacon(&iv, 101, false, t1 + 95 * H), MESH_ERR_BUSY);
	assert_true(iv.update);
	assert_int_equal(mesh_iv_beacon(&iv, 101, false, t1 + 96 * H), 0);
	assert_false(iv.update);
	assert_int_equal(mesh_iv_tx_index(&iv), 101);
	assert_int_equal(changes, 2);
}

static void test_tick_completes(void **state)
{
	struct mesh_iv iv;

	(void)state;
	mesh_iv_init(&iv, 7, true, T0, NULL, NULL);
	mesh_iv_tick(&iv, T0 + 95 * H);
	assert_true(iv.update);
	mesh_iv_tick(&iv, T0 + 96 * H);
	assert_false(iv.update);
	assert_int_equal(iv.index, 7);
	/* a clock that went backwards never counts as elapsed */
	mesh_iv_init(&iv, 7, true, T0, NULL, NULL);
	mesh_iv_tick(&iv, T0 - 1);
	assert_true(iv.update);
}

static void test_request_update(void **state)
{
	struct mesh_iv iv;

	(void)state;
	mesh_iv_init(&iv, 50, false, T0, NULL, NULL);
	/* asked early: remembered, started once 96 h in Normal have passed */
	assert_int_equal(mesh_iv_request_update(&iv, T0 + H), 0);
	assert_false(iv.update);
	assert_true(iv.pending);
	mesh_iv_tick(&iv, T0 + 95 * H);
	assert_false(iv.update);
	mesh_iv_tick(&iv, T0 + 96 * H);
	assert_true(iv.update);
	assert_int_equal(iv.index, 51);
	assert_false(iv.pending);
	/* already in progress: nothing more */
	assert_int_equal(mesh_iv_request_update(&iv, T0 + 97 * H), 0);
	assert_int_equal(iv.index, 51);

	/* asked late enough: immediate */
	mesh_iv_init(&iv, 50, false, T0, NULL, NULL);
	assert_int_equal(mesh_iv_request_update(&iv, T0 + 100 * H), 0);
	assert_true(iv.update);

	mesh_iv_init(&iv, UINT32_MAX, false, T0, NULL, NULL);
	assert_int_equal(mesh_iv_request_update(&iv, T0 + 100 * H), MESH_ERR_IV_INDEX);
}

static void test_recovery(void **state)
{
	struct mesh_iv iv;

	(void)state;
	mesh_iv_init(&iv, 1000, false, T0, NULL, NULL);
	/* beyond +42: ignored */
	assert_int_equal(mesh_iv_beacon(&iv, 1043, false, T0 + H), MESH_ERR_IV_INDEX);
	/* +42 recovers at once, no 96 h needed, adopting the flag */
	assert_int_equal(mesh_iv_beacon(&iv, 1042, true, T0 + H), 0);
	assert_int_equal(iv.index, 1042);
	assert_true(iv.update);
	assert_int_equal(mesh_iv_beacon(&iv, 1042, false, T0 + 97 * H), 0);
	assert_false(iv.update);
	/* another recovery within 192 h of the last: refused */
	assert_int_equal(mesh_iv_beacon(&iv, 1045, false, T0 + 100 * H), MESH_ERR_IV_INDEX);
	assert_int_equal(iv.index, 1042);
	assert_int_equal(mesh_iv_beacon(&iv, 1045, false, T0 + 193 * H), 0);
	assert_int_equal(iv.index, 1045);
	assert_false(iv.update);

	/* n+1 with the flag clear: we missed a whole procedure -> recovery */
	mesh_iv_init(&iv, 10, false, T0, NULL, NULL);
	assert_int_equal(mesh_iv_beacon(&iv, 11, false, T0 + H), 0);
	assert_int_equal(iv.index, 11);
	assert_false(iv.update);

	/* no wrap-around: near UINT32_MAX, a small index is "older" */
	mesh_iv_init(&iv, UINT32_MAX - 1, false, T0, NULL, NULL);
	assert_int_equal(mesh_iv_beacon(&iv, 3, false, T0 + H), MESH_ERR_IV_INDEX);
}

static void test_test_mode(void **state)
{
	struct mesh_iv iv;

	(void)state;
	mesh_iv_init(&iv, 5, false, T0, NULL, NULL);
	mesh_iv_set_test_mode(&iv, true);
	assert_int_equal(mesh_iv_request_update(&iv, T0), 0);
	assert_true(iv.update);
	assert_int_equal(mesh_iv_beacon(&iv, 6, false, T0), 0);
	assert_false(iv.update);
	assert_int_equal(mesh_iv_beacon(&iv, 7, true, T0), 0);
	assert_true(iv.update);
	/* tick keeps real time even in test mode */
	mesh_iv_tick(&iv, T0 + H);
	assert_true(iv.update);
}

/* 3.10.6 does not limit recovery to Normal Operation: a node that missed
 * the end of an update must not wait out its 96 h in progress. */
static void test_recovery_in_progress(void **state)
{
	struct mesh_iv iv;

	(void)state;
	mesh_iv_init(&iv, 101, true, T0, NULL, NULL);
	/* older and beyond +42 still ignored */
	assert_int_equal(mesh_iv_beacon(&iv, 100, false, T0 + H), MESH_ERR_IV_INDEX);
	assert_int_equal(mesh_iv_beacon(&iv, 101 + 43, false, T0 + H), MESH_ERR_IV_INDEX);
	assert_true(iv.update);
	assert_int_equal(iv.index, 101);
	/* +2 with the flag clear: adopted at once, no 96 h wait */
	assert_int_equal(mesh_iv_beacon(&iv, 103, false, T0 + H), 0);
	assert_int_equal(iv.index, 103);
	assert_false(iv.update);
	assert_int_equal(mesh_iv_tx_index(&iv), 103);
	assert_true(iv.recovered);

	/* +1 with the flag set: the network finished ours and started the
	 * next one; adopt that state too */
	mesh_iv_init(&iv, 201, true, T0, NULL, NULL);
	assert_int_equal(mesh_iv_beacon(&iv, 202, true, T0 + H), 0);
	assert_int_equal(iv.index, 202);
	assert_true(iv.update);
	assert_int_equal(mesh_iv_tx_index(&iv), 201);
	/* +42 is the limit, and a second recovery waits for 192 h */
	assert_int_equal(mesh_iv_beacon(&iv, 202 + 42, true, T0 + 100 * H), MESH_ERR_IV_INDEX);
	assert_int_equal(iv.index, 202);
	assert_int_equal(mesh_iv_beacon(&iv, 202 + 42, true, T0 + 193 * H), 0);
	assert_int_equal(iv.index, 244);
	assert_true(iv.update);
}

/* A change the callback could not persist does not happen. */
static void test_change_refused(void **state)
{
	struct mesh_iv iv;

	(void)state;
	changes = 0;
	change_err = MESH_ERR_IO;

	/* end of an update by tick: stays in progress, retried later */
	mesh_iv_init(&iv, 7, true, T0, on_change, NULL);
	assert_int_equal(mesh_iv_tick(&iv, T0 + 96 * H), MESH_ERR_IO);
	assert_int_equal(changes, 1);
	assert_true(iv.update);
	assert_int_equal(iv.index, 7);
	assert_true(iv.state_ms == T0);

	/* ... and by beacon */
	assert_int_equal(mesh_iv_beacon(&iv, 7, false, T0 + 97 * H), MESH_ERR_IO);
	assert_true(iv.update);
	change_err = 0;
	assert_int_equal(mesh_iv_tick(&iv, T0 + 98 * H), 0);
	assert_false(iv.update);
	assert_int_equal(iv.index, 7);

	/* a request that could not start the update stays pending */
	change_err = MESH_ERR_IO;
	mesh_iv_init(&iv, 50, false, T0, on_change, NULL);
	assert_int_equal(mesh_iv_request_update(&iv, T0 + 100 * H), MESH_ERR_IO);
	assert_false(iv.update);
	assert_int_equal(iv.index, 50);
	assert_true(iv.pending);
	change_err = 0;
	assert_int_equal(mesh_iv_tick(&iv, T0 + 101 * H), 0);
	assert_true(iv.update);
	assert_int_equal(iv.index, 51);
	assert_false(iv.pending);

	/* a refused recovery does not count against the 192 h limit */
	change_err = MESH_ERR_IO;
	mesh_iv_init(&iv, 1000, false, T0, on_change, NULL);
	assert_int_equal(mesh_iv_beacon(&iv, 1010, false, T0 + H), MESH_ERR_IO);
	assert_int_equal(iv.index, 1000);
	assert_false(iv.recovered);
	change_err = 0;
	assert_int_equal(mesh_iv_beacon(&iv, 1010, false, T0 + 2 * H), 0);
	assert_int_equal(iv.index, 1010);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rx_select),
		cmocka_unit_test(test_update_by_beacon),
		cmocka_unit_test(test_tick_completes),
		cmocka_unit_test(test_request_update),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_test_mode),
		cmocka_unit_test(test_recovery_in_progress),
		cmocka_unit_test(test_change_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
