/*
 * Behaviour of an unprovisioned device: it announces itself with an
 * Unprovisioned Device beacon (Mesh Profile 3.9.2: UUID and OOB
 * information, AD type 0x2b) every beacon interval, which is what a
 * provisioner scans for. The first beacon comes after a random part of
 * the interval so that devices started together do not beacon in step.
 * Once the device is provisioned (sim_prov.c) the beacons end for good.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/beacon.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/util.h"
#include "sim_internal.h"

struct unprov_beacon {
	struct sim_behaviour b;
	struct mesh_timer timer;
	uint32_t interval_ms;
	uint8_t beacon[MESH_BEACON_UNPROV_LEN];
	uint8_t len;
	bool ended;                /* provisioned: never beacon again */
};

static void beacon_send(struct unprov_beacon *ub)
{
	struct sim_device *d = ub->b.dev;
	struct mesh_adv_tx tx = {
		.ad_type = MESH_AD_TYPE_BEACON,
		.len = ub->len,
		.count = 1,
		.interval_ms = MESH_ADV_INTERVAL_MIN_MS,
	};
	int rc;

	memcpy(tx.payload, ub->beacon, ub->len);
	rc = mesh_bearer_send(&d->bearer, &tx);
	if (rc)
		mesh_log_warn(SIM_LOG, "%s: unprovisioned beacon not sent: %s", d->desc.name,
			      mesh_strerror(rc));
}

static void beacon_fire(struct mesh_timer *t)
{
	struct unprov_beacon *ub = MESH_CONTAINER_OF(t, struct unprov_beacon, timer);
	struct sim_world *w = ub->b.dev->world;

	beacon_send(ub);
	mesh_timer_start(sim_world_queue(w), &ub->timer, ub->interval_ms);
}

static int beacon_start(struct sim_behaviour *b)
{
	struct unprov_beacon *ub = MESH_CONTAINER_OF(b, struct unprov_beacon, b);
	struct sim_world *w = b->dev->world;

	if (ub->ended)
		return 0;
	mesh_timer_start(sim_world_queue(w), &ub->timer,
			 sim_world_rand_upto(w, ub->interval_ms));
	return 0;
}

static void beacon_stop(struct sim_behaviour *b)
{
	struct unprov_beacon *ub = MESH_CONTAINER_OF(b, struct unprov_beacon, b);

	mesh_timer_stop(sim_world_queue(b->dev->world), &ub->timer);
}

void sim_unprov_beacon_end(struct sim_behaviour *b)
{
	struct unprov_beacon *ub;

	if (!b)
		return;
	ub = MESH_CONTAINER_OF(b, struct unprov_beacon, b);
	ub->ended = true;
	mesh_timer_stop(sim_world_queue(b->dev->world), &ub->timer);
}

static void beacon_destroy(struct sim_behaviour *b)
{
	free(MESH_CONTAINER_OF(b, struct unprov_beacon, b));
}

static const struct sim_behaviour_ops unprov_beacon_ops = {
	.name = "unprovisioned beacon",
	.start = beacon_start,
	.stop = beacon_stop,
	.destroy = beacon_destroy,
};

struct sim_behaviour *sim_unprov_beacon_new(struct sim_device *d)
{
	struct unprov_beacon *ub = calloc(1, sizeof(*ub));
	struct mesh_beacon_unprov ubd = { .oob_info = d->desc.oob_info };
	int len;

	if (!ub)
		return NULL;
	memcpy(ubd.uuid, d->desc.uuid, sizeof(ubd.uuid));
	len = mesh_beacon_unprov_compose(&ubd, ub->beacon, sizeof(ub->beacon));
	if (len < 0) {
		free(ub);
		return NULL;
	}
	ub->len = (uint8_t)len;
	ub->interval_ms = d->desc.beacon_interval_ms ? d->desc.beacon_interval_ms
						     : SIM_DEFAULT_BEACON_INTERVAL_MS;
	ub->b.ops = &unprov_beacon_ops;
	ub->b.dev = d;
	mesh_timer_init(&ub->timer, beacon_fire);
	return &ub->b;
}
