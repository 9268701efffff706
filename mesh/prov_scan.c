/* Unprovisioned device discovery windows. */
#include "prov_scan.h"

#include <string.h>

#include "err.h"
#include "util.h"

#define SCAN_DURATION_MAX_MS (24u * 3600u * 1000u)

static void window_over(struct mesh_timer *t)
{
	struct mesh_prov_scan *s = MESH_CONTAINER_OF(t, struct mesh_prov_scan, window);

	s->open = false;
	if (s->ops && s->ops->closed)
		s->ops->closed(s->ctx);
}

void mesh_prov_scan_init(struct mesh_prov_scan *s, struct mesh_timers *timers,
			 const struct mesh_prov_scan_ops *ops, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->timers = timers;
	s->ops = ops;
	s->ctx = ctx;
	mesh_timer_init(&s->window, window_over);
}

int mesh_prov_scan_open(struct mesh_prov_scan *s, uint32_t duration_ms)
{
	if (duration_ms == 0 || duration_ms > SCAN_DURATION_MAX_MS)
		return MESH_ERR_INVAL;
	s->n = 0;
	s->open = true;
	mesh_timer_start(s->timers, &s->window, duration_ms);
	return 0;
}

void mesh_prov_scan_close(struct mesh_prov_scan *s)
{
	if (!s->open)
		return;
	mesh_timer_stop(s->timers, &s->window);
	window_over(&s->window);
}

static struct mesh_prov_scan_entry *find(struct mesh_prov_scan *s, const uint8_t uuid[16])
{
	for (size_t i = 0; i < s->n; i++)
		if (memcmp(s->entries[i].uuid, uuid, 16) == 0)
			return &s->entries[i];
	return NULL;
}

const struct mesh_prov_scan_entry *mesh_prov_scan_find(const struct mesh_prov_scan *s,
						       const uint8_t uuid[16])
{
	return find((struct mesh_prov_scan *)s, uuid);
}

int mesh_prov_scan_beacon(struct mesh_prov_scan *s, const struct mesh_beacon_unprov *b,
			  int8_t rssi)
{
	struct mesh_prov_scan_entry *e;
	uint64_t now;
	bool fresh = false;

	if (!s->open)
		return 0;
	now = mesh_timers_now(s->timers);
	e = find(s, b->uuid);
	if (!e) {
		if (s->n == MESH_PROV_SCAN_MAX)
			return MESH_ERR_FULL;
		e = &s->entries[s->n++];
		memset(e, 0, sizeof(*e));
		memcpy(e->uuid, b->uuid, sizeof(e->uuid));
		e->first_seen_ms = now;
		fresh = true;
	}
	/* A device may change its OOB information or URI between beacons
	 * (e.g. after a reset); the latest is what a user acts on. */
	e->oob_info = b->oob_info;
	e->has_uri_hash = b->has_uri_hash;
	memcpy(e->uri_hash, b->uri_hash, sizeof(e->uri_hash));
	e->rssi = rssi;
	e->last_seen_ms = now;
	e->beacons++;
	if (fresh && s->ops && s->ops->discovered)
		s->ops->discovered(s->ctx, e);
	return 0;
}

void mesh_prov_scan_forget(struct mesh_prov_scan *s, const uint8_t uuid[16])
{
	struct mesh_prov_scan_entry *e = find(s, uuid);

	if (!e)
		return;
	*e = s->entries[--s->n];
}
