/*
 * The Provisioner (Mesh Protocol 1.1, 5.4): brings one unprovisioned
 * device at a time into the network over PB-ADV.
 *
 * A session runs Invite, Capabilities, Start, Public Key, Confirmation,
 * Random, Data and Complete. The algorithm is the strongest both sides
 * support (HMAC-SHA256 over CMAC-AES128), unless the request restricts
 * it. The authentication method is what the request asks, or with
 * MESH_PROV_METHOD_AUTO the best the device offers: static OOB when a
 * value is known, then Output OOB, Input OOB, No OOB.
 *
 * OOB values are asynchronous: the session emits MESH_PROV_EV_OOB_NEEDED
 * (the user must enter what the device shows, or a static value nobody
 * configured) and waits for mesh_provisioner_oob_reply(); for Input OOB it
 * emits MESH_PROV_EV_OOB_SHOW with the value the user must type on the
 * device and waits for the device's Input Complete.
 *
 * The node's address comes from ops->alloc_address and the node is handed
 * to ops->store_node when the device reports Complete, before any event
 * says so; if storing fails the session fails. A session that fails at
 * any point stores nothing.
 */
#ifndef MESH_PROVISIONER_H
#define MESH_PROVISIONER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "pb_adv.h"
#include "prov_pdu.h"
#include "timer.h"

enum mesh_prov_method {
	MESH_PROV_METHOD_AUTO = -1,
	MESH_PROV_METHOD_NO_OOB = MESH_PROV_AUTH_NO_OOB,
	MESH_PROV_METHOD_STATIC = MESH_PROV_AUTH_STATIC,
	MESH_PROV_METHOD_OUTPUT = MESH_PROV_AUTH_OUTPUT,
	MESH_PROV_METHOD_INPUT = MESH_PROV_AUTH_INPUT,
};

struct mesh_prov_request {
	uint8_t uuid[16];
	uint8_t attention_s;               /* Invite's Attention Duration */
	int method;                        /* enum mesh_prov_method */
	uint16_t algorithms;               /* allowed MESH_PROV_ALG_BIT()s; 0: all */
	/* Static OOB value known for this device (16 or 32 octets), else 0. */
	uint8_t static_oob[MESH_PROV_VALUE_MAX];
	uint8_t static_oob_len;
	/* The device's public key read out of band; used when the device
	 * offers an OOB public key. */
	bool has_oob_public_key;
	uint8_t oob_public_key[MESH_PROV_PUBKEY_LEN];
	/* What the device receives. */
	uint16_t net_idx;
	uint8_t net_key[16];
	uint32_t iv_index;
	uint8_t flags;                     /* MESH_PROV_FLAG_* */
};

/* Why a session failed. */
enum mesh_prov_fail_reason {
	MESH_PROV_FAIL_DEVICE_ERROR = 1,   /* the device sent Provisioning Failed */
	MESH_PROV_FAIL_LOCAL_ERROR,        /* we sent Provisioning Failed (error) */
	MESH_PROV_FAIL_CONFIRMATION,       /* a confirmation did not match (wrong OOB value) */
	MESH_PROV_FAIL_LINK_OPEN_TIMEOUT,  /* the device never answered Link Open */
	MESH_PROV_FAIL_TRANSACTION_TIMEOUT,/* a PDU was never acknowledged */
	MESH_PROV_FAIL_PROTOCOL_TIMEOUT,   /* no progress for 60 s */
	MESH_PROV_FAIL_LINK_CLOSED,        /* the device closed the link */
	MESH_PROV_FAIL_CANCELED,           /* mesh_provisioner_cancel() */
	MESH_PROV_FAIL_NO_ADDRESS,         /* no unicast range free for its elements */
	MESH_PROV_FAIL_STORE,              /* the node could not be stored */
	MESH_PROV_FAIL_NOT_SUPPORTED,      /* the request asks what the device lacks */
	MESH_PROV_FAIL_BAD_PUBLIC_KEY,     /* the device's public key is invalid */
};

enum mesh_prov_event_type {
	MESH_PROV_EV_STARTED,        /* link opened to the device */
	MESH_PROV_EV_CAPABILITIES,   /* caps received; start chosen */
	MESH_PROV_EV_OOB_NEEDED,     /* ask the user; reply with mesh_provisioner_oob_reply() */
	MESH_PROV_EV_OOB_SHOW,       /* show oob.value; the user types it on the device */
	MESH_PROV_EV_COMPLETE,       /* node stored */
	MESH_PROV_EV_FAILED,
};

struct mesh_prov_node {
	uint8_t uuid[16];
	uint16_t address;
	uint8_t n_elements;
	uint8_t dev_key[16];
	uint16_t net_idx;
	uint8_t algorithm;
	uint8_t auth_method;
	bool oob_public_key;
};

struct mesh_prov_event {
	enum mesh_prov_event_type type;
	uint8_t uuid[16];
	union {
		struct {
			struct mesh_prov_caps caps;
			struct mesh_prov_start start;
		} capabilities;
		struct {
			uint8_t method;            /* MESH_PROV_AUTH_STATIC/OUTPUT/INPUT */
			uint8_t action;            /* output/input action */
			uint8_t size;              /* digits/characters */
			bool alphanumeric;
			char value[MESH_PROV_OOB_SIZE_MAX + 1]; /* OOB_SHOW only */
		} oob;
		struct mesh_prov_node complete;     /* dev_key zeroed in events */
		struct {
			enum mesh_prov_fail_reason reason;
			uint8_t error;             /* Provisioning Failed code, if any */
			char message[160];
		} failed;
	};
};

struct mesh_provisioner_ops {
	int (*send_pb_adv)(void *ctx, const uint8_t *pdu, size_t len);
	void (*event)(void *ctx, const struct mesh_prov_event *ev);
	/* Reserve n consecutive unicast addresses for uuid; 0 or an error. */
	int (*alloc_address)(void *ctx, const uint8_t uuid[16], uint8_t n, uint16_t *address);
	/* Persist the node (durably) before success is reported. */
	int (*store_node)(void *ctx, const struct mesh_prov_node *node);
	/* Optional randomness for tests (randoms, Link ID); RAND_bytes otherwise. */
	int (*random)(void *ctx, uint8_t *buf, size_t len);
};

struct mesh_provisioner;

int mesh_provisioner_create(struct mesh_provisioner **out, struct mesh_timers *timers,
			    const struct mesh_provisioner_ops *ops, void *ctx);
void mesh_provisioner_destroy(struct mesh_provisioner *p);

/* Start a session. MESH_ERR_BUSY while one runs; MESH_ERR_INVAL for a
 * request that cannot work (method STATIC with no value is fine: the value
 * is asked for). */
int mesh_provisioner_start(struct mesh_provisioner *p, const struct mesh_prov_request *req);
/* End the running session (Link Close fail), failed with why as its
 * message ("canceled" if NULL); MESH_ERR_NOT_FOUND if none. */
int mesh_provisioner_cancel(struct mesh_provisioner *p, const char *why);
/*
 * Answer MESH_PROV_EV_OOB_NEEDED: the digits/characters the device shows
 * (Output OOB) or a static OOB value in hex. MESH_ERR_DOWN if nothing is
 * asked, MESH_ERR_INVAL if the text does not fit (the session goes on
 * waiting; the caller says why with mesh_provisioner_oob_hint()).
 */
int mesh_provisioner_oob_reply(struct mesh_provisioner *p, const char *value);
/* What the awaited value must look like ("a number of at most 4 digits"). */
const char *mesh_provisioner_oob_hint(const struct mesh_provisioner *p);

void mesh_provisioner_pb_adv_receive(struct mesh_provisioner *p, const uint8_t *pdu, size_t len);

bool mesh_provisioner_busy(const struct mesh_provisioner *p);

/* Test hooks: the spec's sample key pair, a fixed Link ID. */
void mesh_provisioner_set_ecdh_key(struct mesh_provisioner *p, const struct mesh_ecdh_key *k);
void mesh_provisioner_set_link_id(struct mesh_provisioner *p, uint32_t link_id);

/* "device error", "confirmation failed", ... */
const char *mesh_prov_fail_reason_name(enum mesh_prov_fail_reason r);

#endif
