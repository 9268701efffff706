/* libuv driver for struct mesh_timers; see uv_timers.h. */
#include "uv_timers.h"

#include "util.h"

static void uv_timers_rearm(struct mesh_timers *ts);

static uint64_t uv_timers_clock(struct mesh_timers *ts)
{
	struct mesh_uv_timers *ut = MESH_CONTAINER_OF(ts, struct mesh_uv_timers, timers);

	return uv_now(ut->loop);
}

static void uv_timers_fire(uv_timer_t *handle)
{
	struct mesh_uv_timers *ut = MESH_CONTAINER_OF(handle, struct mesh_uv_timers, handle);

	uv_update_time(ut->loop);
	mesh_timers_advance(&ut->timers, uv_now(ut->loop));
	uv_timers_rearm(&ut->timers);
}

static void uv_timers_rearm(struct mesh_timers *ts)
{
	struct mesh_uv_timers *ut = MESH_CONTAINER_OF(ts, struct mesh_uv_timers, timers);
	int64_t delay = mesh_timers_next_delay(ts);

	if (delay < 0)
		uv_timer_stop(&ut->handle);
	else
		uv_timer_start(&ut->handle, uv_timers_fire, (uint64_t)delay, 0);
}

int mesh_uv_timers_init(struct mesh_uv_timers *ut, uv_loop_t *loop)
{
	int rc = uv_timer_init(loop, &ut->handle);

	if (rc)
		return rc;
	ut->loop = loop;
	mesh_timers_init(&ut->timers, uv_now(loop));
	ut->timers.on_change = uv_timers_rearm;
	ut->timers.clock = uv_timers_clock;
	return 0;
}

void mesh_uv_timers_close(struct mesh_uv_timers *ut)
{
	uv_timer_stop(&ut->handle);
	uv_close((uv_handle_t *)&ut->handle, NULL);
}
