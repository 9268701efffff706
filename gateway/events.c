/*
 * The event stream (events.h): a fixed list of subscribers called in
 * order.
 */
#include "gateway/events.h"

#include <errno.h>
#include <string.h>

void gw_events_init(struct gw_events *ev)
{
	memset(ev, 0, sizeof(*ev));
}

int gw_events_subscribe(struct gw_events *ev, gw_event_fn fn, void *ctx)
{
	if (ev->n == GW_EVENTS_SUBSCRIBERS_MAX)
		return -ENOSPC;
	ev->subs[ev->n].fn = fn;
	ev->subs[ev->n].ctx = ctx;
	ev->n++;
	return 0;
}

void gw_events_unsubscribe(struct gw_events *ev, gw_event_fn fn, void *ctx)
{
	for (size_t i = 0; i < ev->n; i++) {
		if (ev->subs[i].fn != fn || ev->subs[i].ctx != ctx)
			continue;
		memmove(&ev->subs[i], &ev->subs[i + 1], (ev->n - i - 1) * sizeof(ev->subs[0]));
		ev->n--;
		return;
	}
}

void gw_events_emit(const struct gw_events *ev, const struct gw_event *e)
{
	/* A subscriber may unsubscribe itself while being called: count on
	 * a copy of the list. */
	struct gw_events copy = *ev;

	for (size_t i = 0; i < copy.n; i++)
		copy.subs[i].fn(copy.subs[i].ctx, e);
}

void gw_events_bridge(const struct gw_events *ev, const char *type, const json_t *data)
{
	struct gw_event e = { .kind = GW_EVENT_BRIDGE, .type = type, .data = data };
	json_t *empty = NULL;

	if (!data)
		e.data = empty = json_object();
	gw_events_emit(ev, &e);
	json_decref(empty);
}

void gw_events_simple(const struct gw_events *ev, enum gw_event_kind kind)
{
	struct gw_event e = { .kind = kind };

	gw_events_emit(ev, &e);
}
