/*
 * A simulated world as plain data: what config/scenario.c reads from a
 * scenario YAML file, and what tests build directly. sim_world_create()
 * (world.h) turns it into running devices.
 */
#ifndef MESH_SIM_SCENARIO_H
#define MESH_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_NAME_MAX 48
#define SIM_PATH_MAX 256
#define SIM_ELEMENTS_MAX 8
#define SIM_MODELS_MAX 16
#define SIM_APP_KEYS_MAX 4
#define SIM_STATIC_OOB_MAX 32

/* Feature bits as in the Heartbeat and Composition Data features field. */
#define SIM_FEAT_RELAY 0x0001
#define SIM_FEAT_PROXY 0x0002
#define SIM_FEAT_FRIEND 0x0004
#define SIM_FEAT_LOW_POWER 0x0008

#define SIM_DEFAULT_BEACON_INTERVAL_MS 5000u
#define SIM_DEFAULT_TX_DELAY_MAX_MS 10u
#define SIM_DEFAULT_RANGE_M 12.0
#define SIM_NO_RSSI 127
/* A link's loss when it has none of its own: the scenario's default_loss. */
#define SIM_LOSS_DEFAULT (-1.0)

enum sim_device_kind {
	SIM_DEVICE_NODE,        /* a mesh device (provisioned or not) */
	SIM_DEVICE_CONTROLLER,  /* a virtual HCI controller a gateway attaches to */
};

/*
 * A simulated sensor: a property of the element's Sensor Server and how
 * its value moves with the world's virtual time (t, in seconds since the
 * world was created). Values are in the property's unit (°C, %, lx, ...;
 * mesh/sensor_msg.h) and are rounded and clamped to what the property can
 * carry when they are read.
 */
#define SIM_SENSORS_MAX 8
#define SIM_PATTERN_VALUES_MAX 8
#define SIM_RANDOM_WALK_EVERY_S_DEFAULT 10.0

enum sim_sensor_gen_kind {
	SIM_GEN_CONSTANT,     /* value */
	SIM_GEN_SINE,         /* min + (max - min) * (1 + sin(2 pi t / period_s)) / 2 */
	SIM_GEN_RANDOM_WALK,  /* from start, every every_s a step of -step..+step,
			       * kept within min..max (reproducible from the seed) */
	SIM_GEN_PATTERN,      /* values[k mod n_values] during the k-th every_s */
};

struct sim_sensor_gen {
	enum sim_sensor_gen_kind kind;
	double value;
	double min, max;
	double period_s;
	double start, step;
	double every_s;
	uint8_t n_values;
	double values[SIM_PATTERN_VALUES_MAX];
};

struct sim_sensor_desc {
	uint16_t property;           /* a property of mesh_sensor_prop_find() */
	struct sim_sensor_gen gen;
};

struct sim_element_desc {
	uint16_t location;
	uint8_t n_sig;
	uint8_t n_vendor;
	uint16_t sig_models[SIM_MODELS_MAX];
	uint32_t vendor_models[SIM_MODELS_MAX];  /* CID << 16 | model ID */
	/* The Sensor Server's sensors (the element lists model 0x1100). */
	uint8_t n_sensors;
	struct sim_sensor_desc sensors[SIM_SENSORS_MAX];
};

struct sim_app_key_desc {
	uint16_t app_idx;
	uint8_t key[16];
};

/* Keys and addresses of a device that starts provisioned. */
struct sim_keys_desc {
	bool provisioned;
	uint16_t address;            /* primary element */
	uint16_t net_idx;
	uint8_t net_key[16];
	uint32_t iv_index;
	bool iv_update;              /* IV Update in progress (from provisioning) */
	uint8_t dev_key[16];
	uint8_t n_app_keys;
	struct sim_app_key_desc app_keys[SIM_APP_KEYS_MAX];
};

/*
 * What an unprovisioned node offers a Provisioner (its Capabilities PDU).
 * The bit fields use the specification's numbering, as the Capabilities
 * PDU does: algorithms 1 << enum mesh_prov_alg, output actions
 * 1 << enum mesh_prov_output_action, input actions
 * 1 << enum mesh_prov_input_action (mesh/prov_pdu.h).
 */
#define SIM_PROV_ALG_CMAC 0x0001         /* BTM_ECDH_P256_CMAC_AES128_AES_CCM */
#define SIM_PROV_ALG_HMAC 0x0002         /* BTM_ECDH_P256_HMAC_SHA256_AES_CCM */
#define SIM_PROV_ALGORITHMS_ALL (SIM_PROV_ALG_CMAC | SIM_PROV_ALG_HMAC)
#define SIM_PROV_OUTPUT_ACTIONS_ALL 0x001f /* blink, beep, vibrate, numeric, alphanumeric */
#define SIM_PROV_INPUT_ACTIONS_ALL 0x000f  /* push, twist, numeric, alphanumeric */
#define SIM_PROV_OOB_SIZE_MAX 8

struct sim_prov_desc {
	uint16_t algorithms;         /* nodes: at least one; default both */
	bool oob_public_key;         /* the public key is read out of band */
	uint8_t static_oob_len;      /* 0 (none), 16 or 32 */
	uint8_t static_oob[SIM_STATIC_OOB_MAX];
	uint16_t output_actions;     /* 0: no Output OOB */
	uint8_t output_size;         /* 1..8 with output actions, else 0 */
	uint16_t input_actions;      /* 0: no Input OOB */
	uint8_t input_size;          /* 1..8 with input actions, else 0 */
};

struct sim_device_desc {
	char name[SIM_NAME_MAX];
	enum sim_device_kind kind;
	uint8_t uuid[16];
	uint16_t oob_info;
	uint16_t cid, pid, vid;      /* Composition Data page 0 identifiers */
	uint8_t n_elements;          /* nodes: at least 1 */
	struct sim_element_desc elements[SIM_ELEMENTS_MAX];
	uint16_t features;           /* SIM_FEAT_* */
	bool has_position;
	double x, y, z;              /* metres */
	struct sim_keys_desc keys;
	struct sim_prov_desc prov;   /* capabilities while unprovisioned */
	uint32_t beacon_interval_ms; /* unprovisioned device beacons; 0: default */
	uint8_t default_ttl;         /* 0: 7 */
	uint8_t net_transmit;        /* Network Transmit state; 0: 3 x 20 ms */
	uint8_t relay_retransmit;    /* Relay Retransmit state; 0: 3 x 20 ms */
	/* Controllers: where meshsim exposes the H4 link (either or none). */
	char pty_link[SIM_PATH_MAX];     /* symlink made to the pty's slave */
	char socket_path[SIM_PATH_MAX];  /* Unix stream socket to listen on */
};

/* A radio link between two devices, both directions. */
struct sim_link_desc {
	char a[SIM_NAME_MAX];
	char b[SIM_NAME_MAX];
	double loss;                 /* probability 0..1 that a reception is lost,
				      * or SIM_LOSS_DEFAULT */
	int rssi;                    /* dBm; SIM_NO_RSSI: derive from distance or -60 */
};

struct sim_scenario {
	char name[SIM_NAME_MAX];
	uint32_t seed;               /* random loss and delays; 0: 1 */
	unsigned int tx_delay_max_ms;/* each reception is delayed 0..this */
	double default_loss;         /* links without their own loss */
	double range_m;              /* positioned devices within range are linked */
	size_t n_devices;
	struct sim_device_desc *devices;
	size_t n_links;
	struct sim_link_desc *links;
};

/* An empty scenario with the defaults above (seed 1). */
void sim_scenario_init(struct sim_scenario *sc);
/* Append a zeroed device / link (owned by sc); NULL if out of memory.
 * Pointers returned earlier may move. A node starts with n_elements 1
 * (a primary element without models) and both provisioning algorithms
 * (so No OOB only); everything else is zero. */
struct sim_device_desc *sim_scenario_add_device(struct sim_scenario *sc, const char *name,
						enum sim_device_kind kind);
struct sim_link_desc *sim_scenario_add_link(struct sim_scenario *sc, const char *a,
					    const char *b, double loss, int rssi);
/* Index of the device called name, or -1. */
int sim_scenario_find(const struct sim_scenario *sc, const char *name);
/* Check names are unique, links name existing devices, nodes have an
 * element, sensors a known property (once per element, on an element with
 * a Sensor Server) and a generator that makes sense, provisioning capabilities the Capabilities PDU can carry
 * (an algorithm, known bits, a static OOB value of 16 or 32 octets, an
 * OOB size 1..8 exactly when there are actions) and provisioned ones a
 * unicast address range that does not overlap another's. 0, or
 * MESH_ERR_INVAL with a reason in why. */
int sim_scenario_check(const struct sim_scenario *sc, char *why, size_t why_len);
/* Free devices and links and wipe keys and static OOB values. */
void sim_scenario_free(struct sim_scenario *sc);

#endif
