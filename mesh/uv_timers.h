/*
 * Runs a struct mesh_timers queue (timer.h) on a libuv loop: one uv_timer_t
 * is kept armed for the queue's earliest deadline, and the queue's clock is
 * uv_now() (milliseconds, monotonic). Every stack on a loop can share one.
 */
#ifndef MESH_UV_TIMERS_H
#define MESH_UV_TIMERS_H

#include <uv.h>

#include "timer.h"

struct mesh_uv_timers {
	struct mesh_timers timers;
	uv_timer_t handle;
	uv_loop_t *loop;
};

int mesh_uv_timers_init(struct mesh_uv_timers *ut, uv_loop_t *loop);
/* Stop and close the handle (the struct must live until the loop ran the
 * close callback, i.e. until the next uv_run iteration). */
void mesh_uv_timers_close(struct mesh_uv_timers *ut);

#endif
