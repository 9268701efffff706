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

#include "mesh/access.h"
#include "mesh/stack.h"
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

/* Take b off d's list: stopped (if the world runs) and destroyed. */
void sim_device_remove_behaviour(struct sim_device *d, struct sim_behaviour *b);
/* Give d the behaviours of an unprovisioned node (beacons, provisioning):
 * at creation, and again after a Config Node Reset. */
int sim_device_unprovisioned_behaviours(struct sim_device *d);

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

/* ---- models of provisioned nodes (sim_node.c hosts them) ------------------ */

/* Model Publication state (Mesh Profile 4.2.3), set by the Configuration
 * Server. addr 0: the model does not publish. */
struct sim_model_pub {
	uint16_t addr;
	bool has_label;
	uint8_t label[16];
	uint16_t app_idx;
	bool friendship_cred;
	uint8_t ttl;              /* 0xff: the node's Default TTL */
	uint8_t period;           /* Publish Period: steps (6 bits) | resolution (2 bits) */
	uint8_t retransmit;       /* count (3 bits) | interval steps (5 bits) */
};

/*
 * Every model a simulated node runs embeds this. model.user_data points
 * back at it, so the Configuration Server can reach any model's
 * publication through the access layer's registry.
 */
struct sim_model {
	struct mesh_model model;  /* registered with the node's stack */
	struct sim_device *dev;
	struct sim_model_pub pub;
	/* Periodic publication (4.2.3.3): sim_node.c calls this when the
	 * period elapses (and after a Publication Set with a period); the
	 * model publishes its current status with sim_model_publish().
	 * NULL: the model has nothing to publish periodically. */
	int (*publish_state)(struct sim_model *m);
	/* Publication changed (Configuration Server); optional. */
	void (*pub_changed)(struct sim_model *m);
	/* Free the model (after the stack is gone). */
	void (*destroy)(struct sim_model *m);
	struct mesh_timer pub_timer;  /* sim_node.c's */
	struct sim_model *next;       /* sim_node.c's list of the node's models */
};

/* A constructor for one model ID on element elem_idx of d. Fills the
 * mesh_model (id, ops, dev_key) and the callbacks; sim_node.c registers
 * it. NULL and *err on failure. */
typedef struct sim_model *(*sim_model_new_fn)(struct sim_device *d, uint8_t elem_idx,
					      uint16_t model_id, int *err);

/* The servers and clients meshsim runs, by SIG model ID (sim_node.c picks
 * one for each model the scenario's composition lists; models without a
 * constructor are registered without handlers, so they show up in the
 * composition data and can be bound, but do nothing). */
struct sim_model *sim_cfg_srv_new(struct sim_device *d, uint8_t elem_idx, uint16_t model_id,
				  int *err);        /* 0x0000 */
struct sim_model *sim_health_srv_new(struct sim_device *d, uint8_t elem_idx,
				     uint16_t model_id, int *err);  /* 0x0002 */
/* Generic OnOff/Level/DTT servers 0x1000/0x1002/0x1004, OnOff client
 * 0x1001 (wall switches), Light Lightness 0x1300 (+setup 0x1301),
 * CTL 0x1303 (+0x1304, temperature 0x1306), HSL 0x1307 (+0x1308, hue
 * 0x130a, saturation 0x130b). */
struct sim_model *sim_lighting_model_new(struct sim_device *d, uint8_t elem_idx,
					 uint16_t model_id, int *err);
/* Sensor server 0x1100 (+ setup 0x1101). */
struct sim_model *sim_sensor_srv_new(struct sim_device *d, uint8_t elem_idx, uint16_t model_id,
				     int *err);

/* Answer req (to its source, with the key it came under) from the element
 * of m. */
int sim_model_reply(struct sim_model *m, const struct mesh_access_msg *req,
		    const uint8_t *payload, size_t len);
/* Publish payload with m's publication state; MESH_ERR_NOT_FOUND when the
 * model has no publication address (not an error for callers that only
 * publish when configured to). Publish Retransmit is applied here. */
int sim_model_publish(struct sim_model *m, const uint8_t *payload, size_t len);
/* Restart m's periodic publication timer after its pub changed. */
void sim_model_pub_update(struct sim_model *m);

/* Node-wide state the Configuration Server reads and changes. */
struct sim_node_state {
	uint8_t net_transmit;        /* Network Transmit state */
	uint8_t relay_retransmit;    /* Relay Retransmit state */
	bool secure_beacon;          /* Secure Network Beacon state */
	uint8_t relay;               /* 0 off, 1 on, 2 not supported */
	uint8_t gatt_proxy;          /* 2: not supported (no GATT in meshsim) */
	uint8_t friend_;             /* 2: not supported */
	uint8_t node_identity;       /* 2: not supported */
};
/* NULL unless d is a provisioned node. */
struct sim_node_state *sim_node_state(struct sim_device *d);
/* The Configuration Server's hook for heartbeats the node's stack
 * received (heartbeat subscription, 4.2.18). */
void sim_cfg_srv_heartbeat_rx(struct sim_model *cfg, const struct mesh_stack_hb_rx *hb);
/* Relay (or another feature) changed: triggered heartbeat publication
 * (4.2.17.5) if the publication's features ask for it. */
void sim_cfg_srv_features_changed(struct sim_model *cfg);
/* Config Node Reset: after the status went out, the node forgets its
 * keys and becomes an unprovisioned device again (beacons, provisionable). */
void sim_node_reset(struct sim_device *d);

#endif
