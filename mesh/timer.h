/*
 * Injectable clock and one-shot timers.
 *
 * The mesh core never reads the wall clock or owns an event loop. Layers that
 * need time (SAR, caches with lifetimes, IV update procedure) arm
 * struct mesh_timer objects on a struct mesh_timers queue. Whoever owns the
 * queue advances it: the gateway from a libuv timer set to
 * mesh_timers_next_delay(), unit tests by calling mesh_timers_advance() with
 * any time they like, which makes SAR behaviour fully deterministic.
 */
#ifndef MESH_TIMER_H
#define MESH_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct mesh_timer;
typedef void (*mesh_timer_fn)(struct mesh_timer *t);

struct mesh_timer {
	uint64_t due_ms;
	mesh_timer_fn fire;
	struct mesh_timer *next;
	bool armed;
};

struct mesh_timers {
	uint64_t now_ms;
	struct mesh_timer *head; /* armed timers, earliest first */
	/* Optional: told whenever the earliest deadline may have changed. */
	void (*on_change)(struct mesh_timers *ts);
	/* Optional: a real clock. Outside mesh_timers_advance() the queue's
	 * time then follows it, so a timer armed from an I/O callback counts
	 * from the present rather than from the last advance. */
	uint64_t (*clock)(struct mesh_timers *ts);
	bool firing;  /* inside mesh_timers_advance() */
	void *user_data;
};

void mesh_timers_init(struct mesh_timers *ts, uint64_t now_ms);
void mesh_timer_init(struct mesh_timer *t, mesh_timer_fn fire);

/* (Re)arm t to fire delay_ms after the queue's current time. */
void mesh_timer_start(struct mesh_timers *ts, struct mesh_timer *t, uint32_t delay_ms);
void mesh_timer_stop(struct mesh_timers *ts, struct mesh_timer *t);

static inline bool mesh_timer_armed(const struct mesh_timer *t)
{
	return t->armed;
}

/* The queue's time: a firing timer's deadline while it fires, else the
 * last advance or, with a clock, the clock's reading if later. */
uint64_t mesh_timers_now(struct mesh_timers *ts);

/* Milliseconds until the earliest timer is due (0 if overdue), -1 if none. */
int64_t mesh_timers_next_delay(struct mesh_timers *ts);

/*
 * Move time forward to now_ms, firing every timer due by then in deadline
 * order; while a timer fires, mesh_timers_now() reads its deadline, so
 * timers it arms are relative to when it was meant to fire.
 */
void mesh_timers_advance(struct mesh_timers *ts, uint64_t now_ms);

#endif
