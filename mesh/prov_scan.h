/*
 * Discovery of unprovisioned devices (Mesh Protocol 1.1, 3.10.2): while a
 * scan window is open, every Unprovisioned Device beacon is collected by
 * UUID with its OOB Information, URI Hash, RSSI and when it was last seen.
 * The window closes by itself after the time it was opened for; the list
 * stays readable until the next window opens.
 */
#ifndef MESH_PROV_SCAN_H
#define MESH_PROV_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beacon.h"
#include "timer.h"

#define MESH_PROV_SCAN_MAX 128

struct mesh_prov_scan_entry {
	uint8_t uuid[16];
	uint16_t oob_info;
	bool has_uri_hash;
	uint8_t uri_hash[MESH_URI_HASH_LEN];
	int8_t rssi;                 /* of the last beacon */
	uint64_t first_seen_ms;      /* on the scan's timer queue */
	uint64_t last_seen_ms;
	uint32_t beacons;            /* heard in this window */
};

struct mesh_prov_scan_ops {
	/* A UUID heard for the first time in this window. */
	void (*discovered)(void *ctx, const struct mesh_prov_scan_entry *e);
	/* The window closed (by time or by mesh_prov_scan_close()). */
	void (*closed)(void *ctx);
};

struct mesh_prov_scan {
	struct mesh_timers *timers;
	struct mesh_timer window;
	const struct mesh_prov_scan_ops *ops;
	void *ctx;
	bool open;
	size_t n;
	struct mesh_prov_scan_entry entries[MESH_PROV_SCAN_MAX];
};

void mesh_prov_scan_init(struct mesh_prov_scan *s, struct mesh_timers *timers,
			 const struct mesh_prov_scan_ops *ops, void *ctx);
/* Open a window of duration_ms (1 .. 24 h), forgetting the last window's
 * list; reopening an open window restarts it. MESH_ERR_INVAL for 0. */
int mesh_prov_scan_open(struct mesh_prov_scan *s, uint32_t duration_ms);
void mesh_prov_scan_close(struct mesh_prov_scan *s);
/* Record a beacon; ignored while closed. MESH_ERR_FULL when the list is
 * full of other UUIDs. */
int mesh_prov_scan_beacon(struct mesh_prov_scan *s, const struct mesh_beacon_unprov *b,
			  int8_t rssi);
/* Forget one device (e.g. once it is provisioned). */
void mesh_prov_scan_forget(struct mesh_prov_scan *s, const uint8_t uuid[16]);
const struct mesh_prov_scan_entry *mesh_prov_scan_find(const struct mesh_prov_scan *s,
						       const uint8_t uuid[16]);

#endif
