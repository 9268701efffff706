/*
 * Configuration Client (Mesh Profile 4.4.2): sends Configuration requests
 * to nodes under their device keys and hands back the statuses.
 *
 * It sits on the acknowledged-message engine (acked.h), which does the
 * retries, the one-request-per-destination-and-status queueing and the
 * late window. This file adds what is specific to configuration:
 *  - encoding requests (cfg_msg.h) and knowing which status answers each;
 *  - telling statuses of the same opcode apart: two Model App Binds to one
 *    node for different models both get a Model App Status, so each
 *    request installs a match that compares the status with the request
 *    (element, model, key indexes; see cfg_cli.c for the table);
 *  - a model (SIG 0x0001, device key only) whose handlers decode every
 *    Configuration status that arrives, report it to an observer whether
 *    or not anyone asked for it (the gateway applies them all to its
 *    database: solicited, late, or sent by another client's request), and
 *    then feed it to the engine so the matching request completes.
 *
 * The gateway registers mesh_cfg_cli_model() on its primary element with
 * mesh_access_model_add(). The client must be destroyed before the engine
 * and the timer queue.
 */
#ifndef MESH_CFG_CLI_H
#define MESH_CFG_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "acked.h"
#include "cfg_msg.h"
#include "timer.h"

struct mesh_cfg_cli;

/*
 * A request's events, as the engine reports them (r->event: STATUS, LATE,
 * TIMEOUT, DONE, FAILED, CANCELED; r->msg is the status's metadata: src,
 * net_idx, ...). status is the decoded status for STATUS and LATE, NULL
 * otherwise. A status with a non-Success status code is still a STATUS
 * event: the caller decides what it means.
 */
typedef void (*mesh_cfg_cli_cb)(void *ctx, const struct mesh_acked_result *r,
				const struct mesh_cfg_msg *status);

/* Every decoded Configuration status heard, before any request hears it. */
typedef void (*mesh_cfg_cli_observer)(void *ctx, const struct mesh_access_msg *meta,
				      const struct mesh_cfg_msg *status);

/*
 * A client sending on subnet net_idx through engine a. timers must be the
 * queue the engine runs on (the client uses it to know when the engine's
 * late window for a request is over). NULL when out of memory or an
 * argument is NULL.
 */
struct mesh_cfg_cli *mesh_cfg_cli_create(struct mesh_acked *a, struct mesh_timers *timers,
					 uint16_t net_idx);

/* Cancels the client's requests (CANCELED events), stops listening for
 * late statuses, frees. Call before mesh_acked_destroy(), and not from
 * inside one of the client's callbacks. */
void mesh_cfg_cli_destroy(struct mesh_cfg_cli *cli);

/* The model to register on the primary element (SIG 0x0001, dev_key). */
struct mesh_model *mesh_cfg_cli_model(struct mesh_cfg_cli *cli);

void mesh_cfg_cli_set_observer(struct mesh_cfg_cli *cli, mesh_cfg_cli_observer fn, void *ctx);

/*
 * Per-request timing for the following sends: first wait timeout_ms (0:
 * the engine's default), then retries extra attempts (no_retries: none at
 * all), and the TTL to send with (0xff: the node's Default TTL, the
 * initial setting).
 */
void mesh_cfg_cli_set_timing(struct mesh_cfg_cli *cli, uint32_t timeout_ms, uint8_t retries,
			     bool no_retries);
void mesh_cfg_cli_set_ttl(struct mesh_cfg_cli *cli, uint8_t ttl);
/* Change the subnet following requests go out on. */
void mesh_cfg_cli_set_net_idx(struct mesh_cfg_cli *cli, uint16_t net_idx);

/*
 * Send request to dst under dst's device key. Returns 0 (cb then gets
 * exactly one final event, possibly before this returns: a send that
 * fails at once is a FAILED event), or MESH_ERR_OPCODE (not a request
 * opcode), MESH_ERR_INVAL (a field cfg_msg would not encode, NULL cb,
 * unassigned or virtual dst), MESH_ERR_OVERSIZED, MESH_ERR_NOMEM. After
 * TIMEOUT (and DONE for group dst) cb can still get LATE events within
 * MESH_ACKED_LATE_WINDOW_MS.
 */
int mesh_cfg_cli_send(struct mesh_cfg_cli *cli, uint16_t dst, const struct mesh_cfg_msg *request,
		      mesh_cfg_cli_cb cb, void *ctx);

/*
 * Stop every request of this client to dst (a node being removed):
 * pending ones get CANCELED, finished ones stop listening for late
 * statuses. Use this rather than mesh_acked_cancel_dst() for
 * Configuration requests: see cfg_cli.c.
 */
void mesh_cfg_cli_cancel_dst(struct mesh_cfg_cli *cli, uint16_t dst);

/* Requests of this client not yet finished (sent or queued). */
size_t mesh_cfg_cli_pending(const struct mesh_cfg_cli *cli);

/*
 * Does status answer request (both decoded)? Same status opcode as the
 * request expects, and the fields that identify the request echoed:
 * element and model for Model App, Publication, Subscription and their
 * lists; NetKey and AppKey indexes for key statuses and AppKey List;
 * NetKey index for Node Identity and Key Refresh Phase. Exposed for the
 * simulator and tests.
 */
bool mesh_cfg_cli_status_matches(const struct mesh_cfg_msg *request,
				 const struct mesh_cfg_msg *status);

#endif
