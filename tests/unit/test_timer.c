/* The injectable timer queue: ordering, re-arming, stopping, time as seen by callbacks. */
#include "mesh/timer.h"
#include "mesh/util.h"
#include "vectors.h"

struct probe {
	struct mesh_timer timer;
	struct mesh_timers *ts;
	int id;
	uint64_t fired_at;
	int rearm_ms;
};

static int order[16];
static int order_len;

static void on_fire(struct mesh_timer *t)
{
	struct probe *p = MESH_CONTAINER_OF(t, struct probe, timer);

	p->fired_at = mesh_timers_now(p->ts);
	order[order_len++] = p->id;
	if (p->rearm_ms > 0) {
		int delay = p->rearm_ms;

		p->rearm_ms = 0;
		mesh_timer_start(p->ts, t, (uint32_t)delay);
	}
}

static void init_probe(struct probe *p, struct mesh_timers *ts, int id)
{
	mesh_timer_init(&p->timer, on_fire);
	p->ts = ts;
	p->id = id;
	p->fired_at = 0;
	p->rearm_ms = 0;
}

static void test_fires_in_deadline_order(void **state)
{
	struct mesh_timers ts;
	struct probe a, b, c;

	(void)state;
	order_len = 0;
	mesh_timers_init(&ts, 1000);
	init_probe(&a, &ts, 1);
	init_probe(&b, &ts, 2);
	init_probe(&c, &ts, 3);
	mesh_timer_start(&ts, &a.timer, 300);
	mesh_timer_start(&ts, &b.timer, 100);
	mesh_timer_start(&ts, &c.timer, 100);
	assert_int_equal(mesh_timers_next_delay(&ts), 100);

	mesh_timers_advance(&ts, 1099);
	assert_int_equal(order_len, 0);
	mesh_timers_advance(&ts, 2000);
	assert_int_equal(order_len, 3);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 3); /* equal deadlines: arming order */
	assert_int_equal(order[2], 1);
	/* Callbacks see their own deadline, not the advance target. */
	assert_int_equal(b.fired_at, 1100);
	assert_int_equal(a.fired_at, 1300);
	assert_int_equal(mesh_timers_now(&ts), 2000);
	assert_int_equal(mesh_timers_next_delay(&ts), -1);
}

static void test_rearm_from_callback_is_relative_to_deadline(void **state)
{
	struct mesh_timers ts;
	struct probe a;

	(void)state;
	order_len = 0;
	mesh_timers_init(&ts, 0);
	init_probe(&a, &ts, 7);
	a.rearm_ms = 50;
	mesh_timer_start(&ts, &a.timer, 100);
	mesh_timers_advance(&ts, 1000);
	/* Fired at 100, re-armed for 150, fired again within the same advance. */
	assert_int_equal(order_len, 2);
	assert_int_equal(a.fired_at, 150);
}

static void test_stop_and_restart(void **state)
{
	struct mesh_timers ts;
	struct probe a, b;

	(void)state;
	order_len = 0;
	mesh_timers_init(&ts, 0);
	init_probe(&a, &ts, 1);
	init_probe(&b, &ts, 2);
	mesh_timer_start(&ts, &a.timer, 10);
	mesh_timer_start(&ts, &b.timer, 20);
	mesh_timer_stop(&ts, &a.timer);
	assert_false(mesh_timer_armed(&a.timer));
	mesh_timer_stop(&ts, &a.timer); /* stopping twice is harmless */
	mesh_timer_start(&ts, &b.timer, 5); /* restart moves it */
	assert_int_equal(mesh_timers_next_delay(&ts), 5);
	mesh_timers_advance(&ts, 100);
	assert_int_equal(order_len, 1);
	assert_int_equal(order[0], 2);
	assert_int_equal(b.fired_at, 5);
}

static int changes;

static void count_change(struct mesh_timers *ts)
{
	(void)ts;
	changes++;
}

static void test_change_notification(void **state)
{
	struct mesh_timers ts;
	struct probe a;

	(void)state;
	mesh_timers_init(&ts, 0);
	ts.on_change = count_change;
	changes = 0;
	init_probe(&a, &ts, 1);
	mesh_timer_start(&ts, &a.timer, 10);
	assert_true(changes >= 1);
	changes = 0;
	mesh_timer_stop(&ts, &a.timer);
	assert_int_equal(changes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fires_in_deadline_order),
		cmocka_unit_test(test_rearm_from_callback_is_relative_to_deadline),
		cmocka_unit_test(test_stop_and_restart),
		cmocka_unit_test(test_change_notification),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
