/*
 * Sending generic and light messages from the gateway (Mesh Model 3.3.2.2.3,
 * Mesh Profile 3.7.3.4).
 *
 * Transactions: every new Set that carries a TID gets the next TID of the
 * element it is sent from; every copy of it (an acknowledged Set's retries,
 * an unacknowledged Set's repeats) carries the same octets, so a server
 * that got an earlier copy treats the later ones as the same transaction.
 *
 * Acknowledged Gets and Sets go through mesh_acked (status opcode from the
 * request's layout); the engine retries and matches. Unacknowledged Sets
 * (for groups and virtual addresses, where a status from every member is
 * not wanted) are sent 1 + repeats times, interval_ms apart, on the
 * caller's timer queue, through the caller's send function (the same one
 * the acked engine uses).
 */
#ifndef MESH_MODEL_CLI_H
#define MESH_MODEL_CLI_H

#include <stdint.h>

#include "acked.h"
#include "light_msg.h"
#include "timer.h"

#define MESH_MODEL_CLI_TID_SLOTS MESH_ACCESS_ELEMS_MAX

struct mesh_model_cli_config {
	struct mesh_timers *timers;
	struct mesh_acked *acked;    /* for Gets and acknowledged Sets */
	/* Unacknowledged copies: one call per copy. */
	int (*send)(void *ctx, const struct mesh_acked_send *s);
	void *ctx;
	/* First TID of every element: give a random value, so a restarted
	 * gateway does not repeat the TID of its last Set within 6 s. */
	uint8_t tid_seed;
};

/* Addressing of a request (as struct mesh_acked_params). */
struct mesh_model_cli_dst {
	uint16_t net_idx;
	uint16_t src;              /* our element; 0: the primary element */
	uint16_t dst;
	const uint8_t *label_uuid; /* dst virtual */
	uint16_t app_idx;
	uint8_t ttl;               /* MESH_STACK_TTL_DEFAULT: Default TTL */
};

/* Completion of an acknowledged request: mesh_acked's events. */
typedef void (*mesh_model_cli_done)(void *ctx, struct mesh_acked_req *req,
				    const struct mesh_acked_result *r);

struct mesh_model_cli;

/* NULL when out of memory or cfg lacks timers, acked or send. */
struct mesh_model_cli *mesh_model_cli_create(const struct mesh_model_cli_config *cfg);
/* Drops unsent repeats (acked requests belong to the acked engine). */
void mesh_model_cli_destroy(struct mesh_model_cli *c);

/* The TID the next transaction from element address src gets (and
 * advances it). */
uint8_t mesh_model_cli_next_tid(struct mesh_model_cli *c, uint16_t src);

/*
 * A Get (msg->opcode a Get opcode; other fields ignored) or an
 * acknowledged Set (msg->tid is filled in when the message has one).
 * timeout_ms/retries as in struct mesh_acked_params (0: defaults).
 * Returns 0 and the request in *out (may be NULL), or MESH_ERR_INVAL
 * (not a Get or acknowledged Set), the encoder's errors, mesh_acked's.
 */
int mesh_model_cli_request(struct mesh_model_cli *c, const struct mesh_model_cli_dst *d,
			   struct mesh_model_msg *msg, uint32_t timeout_ms, uint8_t retries,
			   mesh_model_cli_done done, void *ctx, struct mesh_acked_req **out);

/*
 * An unacknowledged Set: msg->opcode may be the Set or its Unacknowledged
 * form (sent as the latter); msg->tid is filled in. The first copy goes
 * out now (its error is returned), then repeats more, interval_ms apart.
 * MESH_ERR_INVAL for a message with no unacknowledged form.
 */
int mesh_model_cli_set_unack(struct mesh_model_cli *c, const struct mesh_model_cli_dst *d,
			     struct mesh_model_msg *msg, uint8_t repeats, uint32_t interval_ms);

/* Repeats not yet sent. */
unsigned int mesh_model_cli_pending(const struct mesh_model_cli *c);

#endif
