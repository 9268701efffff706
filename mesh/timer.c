/*
 * A sorted singly linked timer queue (see timer.h). The mesh arms at most a
 * few dozen timers at once (bounded SAR contexts), so O(n) insertion is
 * cheaper than any heap in practice and keeps firing order trivially stable.
 */
#include <stddef.h>

#include "timer.h"

void mesh_timers_init(struct mesh_timers *ts, uint64_t now_ms)
{
	ts->now_ms = now_ms;
	ts->head = NULL;
	ts->on_change = NULL;
	ts->clock = NULL;
	ts->firing = false;
	ts->user_data = NULL;
}

uint64_t mesh_timers_now(struct mesh_timers *ts)
{
	if (ts->clock && !ts->firing) {
		uint64_t now = ts->clock(ts);

		if (now > ts->now_ms)
			ts->now_ms = now;
	}
	return ts->now_ms;
}

void mesh_timer_init(struct mesh_timer *t, mesh_timer_fn fire)
{
	t->due_ms = 0;
	t->fire = fire;
	t->next = NULL;
	t->armed = false;
}

static void unlink_timer(struct mesh_timers *ts, struct mesh_timer *t)
{
	for (struct mesh_timer **p = &ts->head; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->next = NULL;
	t->armed = false;
}

static void notify_change(struct mesh_timers *ts)
{
	if (ts->on_change)
		ts->on_change(ts);
}

void mesh_timer_start(struct mesh_timers *ts, struct mesh_timer *t, uint32_t delay_ms)
{
	struct mesh_timer **p;

	if (t->armed)
		unlink_timer(ts, t);
	t->due_ms = mesh_timers_now(ts) + delay_ms;
	/* Equal deadlines fire in the order they were armed. */
	for (p = &ts->head; *p && (*p)->due_ms <= t->due_ms; p = &(*p)->next)
		;
	t->next = *p;
	*p = t;
	t->armed = true;
	notify_change(ts);
}

void mesh_timer_stop(struct mesh_timers *ts, struct mesh_timer *t)
{
	if (!t->armed)
		return;
	unlink_timer(ts, t);
	notify_change(ts);
}

int64_t mesh_timers_next_delay(struct mesh_timers *ts)
{
	uint64_t now;

	if (!ts->head)
		return -1;
	now = mesh_timers_now(ts);
	if (ts->head->due_ms <= now)
		return 0;
	return (int64_t)(ts->head->due_ms - now);
}

void mesh_timers_advance(struct mesh_timers *ts, uint64_t now_ms)
{
	ts->firing = true;
	while (ts->head && ts->head->due_ms <= now_ms) {
		struct mesh_timer *t = ts->head;

		ts->head = t->next;
		t->next = NULL;
		t->armed = false;
		if (t->due_ms > ts->now_ms)
			ts->now_ms = t->due_ms;
		t->fire(t);
	}
	ts->firing = false;
	if (now_ms > ts->now_ms)
		ts->now_ms = now_ms;
	notify_change(ts);
}
