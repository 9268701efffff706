/*
 * The simulated radio world (meshsim): devices on a shared advertising
 * channel. A transmission by one device reaches every device it has a link
 * to, each after a random delay (0..tx_delay_max_ms), with the link's RSSI,
 * unless the link's loss probability drops it. Links come from the
 * scenario's explicit links and from positions (devices within range_m of
 * each other; RSSI from a log-distance path loss model).
 *
 * Each device has an advertising bearer (struct mesh_bearer) of its own
 * that schedules its transmissions, and a list of behaviours that see what
 * it receives. Provisioned nodes run a real struct mesh_stack, so relaying
 * uses the network layer's rules (TTL - 1, message cache). The world runs
 * on a libuv loop; everything random comes from the scenario's seed.
 */
#ifndef MESH_SIM_WORLD_H
#define MESH_SIM_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "mesh/bearer/bearer.h"
#include "mesh/stack.h"
#include "mesh/uv_timers.h"
#include "scenario.h"

struct sim_world;
struct sim_device;
struct sim_vctrl;

/* A pluggable device behaviour (beacons, provisioning, relaying here;
 * models in later issues). */
struct sim_behaviour;
struct sim_behaviour_ops {
	const char *name;
	int (*start)(struct sim_behaviour *b);
	void (*stop)(struct sim_behaviour *b);
	/* A mesh AD structure this device received. */
	void (*rx)(struct sim_behaviour *b, const struct mesh_adv_rx *rx);
	/* Free what start/attach allocated (after stop). */
	void (*destroy)(struct sim_behaviour *b);
};

struct sim_behaviour {
	const struct sim_behaviour_ops *ops;
	struct sim_device *dev;
	struct sim_behaviour *next;
};

struct sim_device {
	struct sim_world *world;
	int index;
	struct sim_device_desc desc;     /* a copy */
	uint8_t addr[6];                 /* static random advertiser address */
	bool on_air;                     /* false: removed from the radio */
	struct mesh_bearer bearer;       /* this device's advertising */
	struct mesh_stack *stack;        /* provisioned nodes, else NULL */
	struct sim_vctrl *vctrl;         /* controllers, else NULL */
	struct sim_behaviour *behaviours;
	uint64_t tx_count;               /* advertising events transmitted */
	uint64_t rx_count;               /* advertising events received */
	uint64_t last_job_start_ms;      /* world.c: first event of its newest job */
	void *priv;                      /* world.c's per-device state */
};

/* Observers (tests, the meshsim program's trace). */
struct sim_world_observer {
	/* Every advertising event put on the air. */
	void (*on_air)(void *ctx, const struct sim_device *from, const uint8_t *adv, size_t len);
	/* Every advertising event delivered to a device. */
	void (*on_rx)(void *ctx, const struct sim_device *to, const struct sim_device *from,
		      const uint8_t *adv, size_t len, int8_t rssi);
	/* A provisioned node's stack finished with a network PDU (its
	 * ops->rx_trace): where processing ended, whether it relayed. */
	void (*on_net_rx)(void *ctx, const struct sim_device *d, const struct mesh_stack_trace *t);
	/* A provisioned node's stack authenticated an access message for it
	 * (its ops->access_rx; meta->ttl is the TTL it arrived with). */
	void (*on_access_rx)(void *ctx, const struct sim_device *d,
			     const struct mesh_access_msg *meta, const uint8_t *payload, size_t len);
	/* Provisioning of an unprovisioned node. Output OOB: the device
	 * shows value ("4821", or "3" blinks) with action (enum
	 * mesh_prov_output_action). The value is what a user reads off the
	 * device; it is not logged. */
	void (*on_prov_output)(void *ctx, const struct sim_device *d, uint8_t action,
			       const char *value);
	/* Input OOB: the device waits for a user to enter up to size digits
	 * or characters, or presses/twists (action: enum
	 * mesh_prov_input_action); answer with sim_device_prov_input(). */
	void (*on_prov_input)(void *ctx, const struct sim_device *d, uint8_t action,
			      uint8_t size);
	/* A session ended. ok: the device is now a provisioned node with
	 * primary address address. Else error says why, and it listens for
	 * the next Provisioner (still beaconing). */
	void (*on_prov_done)(void *ctx, const struct sim_device *d, bool ok, uint16_t address,
			     const char *error);
	void *ctx;
};

/*
 * Build the world from a scenario (checked with sim_scenario_check()):
 * devices, links, and their default behaviours (unprovisioned nodes send
 * unprovisioned device beacons and can be provisioned over PB-ADV with
 * the capabilities of their desc.prov, then become provisioned nodes;
 * provisioned nodes run a mesh stack with
 * their keys, relay if they have the relay feature, and send secure
 * network beacons; controllers get a virtual HCI controller). Nothing
 * transmits before sim_world_start(). MESH_ERR_INVAL for a scenario that
 * fails the check (the reason is logged), MESH_ERR_NOMEM, or a stack's
 * error for keys it refuses.
 */
int sim_world_create(struct sim_world **out, uv_loop_t *loop, const struct sim_scenario *sc);
/* Start the behaviours (first beacons after a random part of their
 * interval), put the bearers up, and open the host links a controller's
 * pty_link / socket_path names unless one was attached already. */
int sim_world_start(struct sim_world *w);
/* Stop everything and free the world; handles finish closing on the next
 * loop iteration(s). */
void sim_world_destroy(struct sim_world *w);

void sim_world_set_observer(struct sim_world *w, const struct sim_world_observer *obs);

size_t sim_world_device_count(const struct sim_world *w);
struct sim_device *sim_world_device(struct sim_world *w, size_t index);
struct sim_device *sim_world_find(struct sim_world *w, const char *name);
struct mesh_uv_timers *sim_world_timers(struct sim_world *w);

/* Change or add the link a<->b (loss 0..1, rssi dBm); remove it. */
int sim_world_set_link(struct sim_world *w, struct sim_device *a, struct sim_device *b,
		       double loss, int8_t rssi);
int sim_world_remove_link(struct sim_world *w, struct sim_device *a, struct sim_device *b);
/* Take a device off the air (it neither sends nor receives; receptions
 * already on their way to it are lost) or back. */
void sim_world_set_on_air(struct sim_world *w, struct sim_device *d, bool on_air);

/* One advertising event of adv (AD structures, <= 31 octets) from d.
 * Ignored before sim_world_start() and while d is off the air. */
void sim_world_transmit(struct sim_world *w, struct sim_device *d, const uint8_t *adv,
			size_t len);

/* Append b (the world owns it from now on: stop and destroy run at
 * sim_world_destroy()); started at once if the world already runs. */
int sim_device_add_behaviour(struct sim_device *d, struct sim_behaviour *b);

/*
 * From a provisioned node: an access message (opcode || parameters) from
 * its primary element to dst, under its first AppKey, with ttl
 * (MESH_STACK_TTL_DEFAULT for its Default TTL). Sent with the device's
 * Network Transmit state.
 */
int sim_device_send_access(struct sim_device *d, uint16_t dst, uint8_t ttl,
			   const uint8_t *payload, size_t len);

/*
 * A wall switch's rocker: the Generic OnOff Client on element elem_idx of
 * d publishes a Generic OnOff Set Unacknowledged (on: 1 or 0, -1 to
 * toggle what it sent last or heard in an OnOff Status) with a new TID,
 * using its Model Publication state (Publish Retransmit included).
 * MESH_ERR_NOT_FOUND if that element has no OnOff Client (or d is not a
 * provisioned node), MESH_ERR_DOWN if the client has no publication.
 */
int sim_device_press(struct sim_device *d, uint8_t elem_idx, int on);
/* A simulated lamp's light on element elem_idx: 1 on (or turning on), 0
 * off, MESH_ERR_NOT_FOUND without an OnOff or Lightness server there. */
int sim_device_light_onoff(struct sim_device *d, uint8_t elem_idx);
/* Its present Lightness Actual, 0..65535 (0 is off; during a transition
 * the value reached so far), MESH_ERR_NOT_FOUND as above. */
int sim_device_light_lightness(struct sim_device *d, uint8_t elem_idx);

/*
 * Input OOB for an unprovisioned node that asked for it (on_prov_input):
 * what its user types, decimal digits for numeric actions and the count
 * of pushes or twists, letters and digits for alphanumeric.
 * MESH_ERR_INVAL if d is not an unprovisioned node or value does not fit
 * the request; MESH_ERR_DOWN if no input is awaited.
 */
int sim_device_prov_input(struct sim_device *d, const char *value);
/*
 * The public key (X || Y) of a node whose scenario says public_key: oob:
 * what a user reads off its label. Derived from the world's seed and the
 * device's UUID, so it is the same on every run. MESH_ERR_INVAL for a
 * device without an OOB public key.
 */
int sim_device_oob_public_key(struct sim_device *d, uint8_t out[64]);
/* true while an unprovisioned node has a provisioning link open. */
bool sim_device_provisioning(struct sim_device *d);

#endif
