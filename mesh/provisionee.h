/*
 * The device side of provisioning over PB-ADV (Mesh Protocol 1.1, 5.4):
 * what an unprovisioned device does when a Provisioner opens a link to
 * it. meshsim's virtual devices run it, so tests provision them exactly as
 * a user provisions real ones.
 *
 * Capabilities are configurable: algorithms, an OOB public key, static
 * OOB, Output OOB (the device "shows" a value through ops->output_oob) and
 * Input OOB (ops->input_oob asks for the value a user types on the
 * device; the answer comes back through mesh_provisionee_input()).
 */
#ifndef MESH_PROVISIONEE_H
#define MESH_PROVISIONEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "pb_adv.h"
#include "prov_pdu.h"
#include "timer.h"

struct mesh_provisionee_config {
	uint8_t uuid[16];
	struct mesh_prov_caps caps;
	/* Static OOB value (caps.static_oob_type set): 16 or 32 octets. */
	uint8_t static_oob[MESH_PROV_VALUE_MAX];
	uint8_t static_oob_len;
	/* With caps.pub_key_type set: the device's fixed key pair, whose
	 * public half the user has out of band (a QR code, a label). NULL
	 * otherwise: a fresh pair is generated per session. Not owned. */
	const struct mesh_ecdh_key *oob_key;
};

/* Why a device's session ended without success. */
struct mesh_provisionee_failure {
	uint8_t error;            /* Failed PDU error we sent, or 0 */
	bool link_closed;         /* the Provisioner closed the link / timeout */
	const char *message;      /* a sentence for logs */
};

struct mesh_provisionee_ops {
	int (*send_pb_adv)(void *ctx, const uint8_t *pdu, size_t len);
	/* Attention timer from the Invite (seconds, 0 = off). Optional. */
	void (*attention)(void *ctx, uint8_t seconds);
	/* Output OOB: show value ("3" blinks or "X4B7") with action. */
	void (*output_oob)(void *ctx, uint8_t action, const char *value);
	/* Input OOB: a user must enter size digits/characters or presses. */
	void (*input_oob)(void *ctx, uint8_t action, uint8_t size);
	/* Provisioned: the data the Provisioner gave and our device key. The
	 * Complete PDU has been queued when this runs. */
	void (*complete)(void *ctx, const struct mesh_prov_data *data,
			 const uint8_t dev_key[16], uint8_t n_elements);
	void (*failed)(void *ctx, const struct mesh_provisionee_failure *f);
	/* Optional randomness for tests; RAND_bytes otherwise. */
	int (*random)(void *ctx, uint8_t *buf, size_t len);
};

struct mesh_provisionee;

/* Listen for a Link Open with config->uuid. */
int mesh_provisionee_create(struct mesh_provisionee **out, struct mesh_timers *timers,
			    const struct mesh_provisionee_config *config,
			    const struct mesh_provisionee_ops *ops, void *ctx);
void mesh_provisionee_destroy(struct mesh_provisionee *d);

/* Every received PB-ADV PDU (AD type 0x29 data). */
void mesh_provisionee_pb_adv_receive(struct mesh_provisionee *d, const uint8_t *pdu,
				     size_t len);

/* The value a user typed for Input OOB (decimal digits, letters, or the
 * count of presses/twists). MESH_ERR_INVAL if it does not fit the
 * requested action and size; MESH_ERR_DOWN if no input is awaited. */
int mesh_provisionee_input(struct mesh_provisionee *d, const char *value);

/* Test hook: use this key pair instead of a fresh one (spec sample data). */
void mesh_provisionee_set_ecdh_key(struct mesh_provisionee *d, const struct mesh_ecdh_key *k);

/* true while a link is open (a session is running). */
bool mesh_provisionee_busy(const struct mesh_provisionee *d);

#endif
