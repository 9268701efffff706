/*
 * What the parts of the simulated world (world.c, the behaviours in
 * sim_beacons.c, sim_prov.c and sim_node.c, the virtual controller in
 * vctrl.c) need from each other and nobody outside mesh/sim/ should use.
 */
#ifndef MESH_SIM_INTERNAL_H
#define MESH_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "mesh/timer.h"
#include "vctrl.h"
#include "world.h"

#define SIM_LOG "sim"

/* ---- world.c ------------------------------------------------------------- */

/* The world's seeded PRNG: everything random in the simulation comes from
 * here, so a scenario's seed replays the same run. */
uint32_t sim_world_rand(struct sim_world *w);
/* Uniform in 0..max (inclusive). */
uint32_t sim_world_rand_upto(struct sim_world *w, uint32_t max);

/* The scenario's seed (for what must be the same on every run, such as a
 * device's OOB key pair). */
uint32_t sim_world_seed(const struct sim_world *w);

uv_loop_t *sim_world_loop(struct sim_world *w);
struct mesh_timers *sim_world_queue(struct sim_world *w);
bool sim_world_started(const struct sim_world *w);
const struct sim_world_observer *sim_world_get_observer(const struct sim_world *w);

/* sim_world_transmit() with the advertiser address on the air given
 * explicitly (a controller uses the random address its host set). */
void sim_world_transmit_from(struct sim_world *w, struct sim_device *d, const uint8_t addr[6],
			     const uint8_t *adv, size_t len);

/* ---- behaviours ---------------------------------------------------------- */

/* Unprovisioned Device beacons every beacon_interval_ms (sim_beacons.c). */
struct sim_behaviour *sim_unprov_beacon_new(struct sim_device *d);
/* The device was provisioned: no more beacons, also not after a restart
 * of the behaviour. */
void sim_unprov_beacon_end(struct sim_behaviour *b);
/* The device side of provisioning over PB-ADV (sim_prov.c): ends beacons
 * (the behaviour from sim_unprov_beacon_new()) and adds a sim_node_new()
 * behaviour once provisioned. NULL and *err on failure. */
struct sim_behaviour *sim_prov_new(struct sim_device *d, struct sim_behaviour *beacons,
				   int *err);
/* A provisioned node's mesh stack (sim_node.c); sets d->stack. NULL and
 * *err on failure. */
struct sim_behaviour *sim_node_new(struct sim_device *d, int *err);

/* ---- vctrl.c ------------------------------------------------------------- */

struct sim_vctrl *sim_vctrl_create(struct sim_device *d);
/* Open the host link the scenario names (pty_link or socket_path) unless
 * one is already attached. */
int sim_vctrl_start(struct sim_vctrl *vc);
/* Close links (their handles finish closing on the loop) and free. */
void sim_vctrl_destroy(struct sim_vctrl *vc);
/* An advertising event heard on the air. */
void sim_vctrl_receive(struct sim_vctrl *vc, const uint8_t addr[6], const uint8_t *adv,
		       size_t len, int8_t rssi);

#endif
