/*
 * Acknowledged messages (Mesh Profile 3.7.3.4): a request that expects a
 * status, sent again when no status comes, and matched to the status when
 * it does.
 *
 * The engine knows nothing of keys or models: it sends through the
 * caller's ops->send (which builds the access message: dev key or AppKey,
 * TTL, label) and is fed every authenticated access message the node
 * receives through mesh_acked_receive(). The configuration client and the
 * model clients sit on top of it.
 *
 * Rules:
 *  - Timeout and retries with backoff: an attempt waits timeout_ms (or
 *    MESH_ACKED_TIMEOUT_DEFAULT_MS), each retry waits twice as long as the
 *    one before, up to retries extra attempts. A retry sends the same
 *    octets again (same TID for model Sets, so a server that got the first
 *    copy treats the retry as the same transaction).
 *  - At most one request per destination and status opcode is on the air.
 *    A second one for the same pair waits in order behind the first and is
 *    sent when the first completes (a status, or its final timeout).
 *  - A status that arrives after the request timed out (within
 *    MESH_ACKED_LATE_WINDOW_MS of the final timeout) is still matched and
 *    reported, as MESH_ACKED_LATE. Applying what a status says (database,
 *    state cache) is the receiver's job for every status heard; the engine
 *    only tells the requester.
 *  - Group and virtual destinations: every node that answers is reported
 *    (MESH_ACKED_STATUS once per responder, with its address), and the
 *    request completes with MESH_ACKED_DONE when the collection window
 *    (the timeout) ends; it is not retried, since any retry would reach
 *    the nodes that already answered again.
 *  - Unicast: the first matching status completes the request.
 *  - Matching: the status opcode, the source (unicast: dst itself; group
 *    and virtual: anyone), the kind of key (a request sent with the device
 *    key only accepts statuses secured with a device key, one sent with an
 *    AppKey only statuses under an AppKey: an AppKey holder must not be
 *    able to answer a Configuration request), then params->match. A status
 *    goes to one request only: unicast before group, on the air before
 *    late, older before newer.
 *  - Late window: after TIMEOUT, DONE, and FAILED when an earlier attempt
 *    went out (a retry that could not be sent). A unicast request reports
 *    one LATE status and is then forgotten; a group request reports each
 *    new responder once.
 *  - Callbacks (done) may call mesh_acked_request/cancel/cancel_dst/
 *    receive; match must not call into the engine; nobody may call
 *    mesh_acked_destroy from inside a callback.
 */
#ifndef MESH_ACKED_H
#define MESH_ACKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "timer.h"
#include "transport.h"

#define MESH_ACKED_TIMEOUT_DEFAULT_MS 2000u
#define MESH_ACKED_RETRIES_DEFAULT 3u
#define MESH_ACKED_LATE_WINDOW_MS 60000u

enum mesh_acked_event {
	MESH_ACKED_STATUS,   /* a matching status (unicast: final) */
	MESH_ACKED_LATE,     /* a matching status after the final timeout */
	MESH_ACKED_TIMEOUT,  /* unicast: no status after every attempt (final) */
	MESH_ACKED_DONE,     /* group/virtual: collection window over (final) */
	MESH_ACKED_FAILED,   /* could not be sent (err says why; final) */
	MESH_ACKED_CANCELED, /* mesh_acked_cancel*() (final) */
};

struct mesh_acked_req;

struct mesh_acked_result {
	enum mesh_acked_event event;
	int err;                           /* FAILED: why (also TIMEOUT, CANCELED) */
	const struct mesh_access_msg *msg; /* STATUS/LATE: the status (opcode, params filled) */
	unsigned int attempts;             /* sends so far */
	unsigned int responders;           /* group: statuses so far */
	uint32_t elapsed_ms;               /* since the first send */
};

struct mesh_acked_params {
	/* Addressing; ops->send turns these into an access message. */
	uint16_t net_idx;
	uint16_t src;                /* our element; 0: the primary element */
	uint16_t dst;
	const uint8_t *label_uuid;   /* dst virtual (copied) */
	bool dev_key;                /* device key of dst (configuration) */
	uint16_t app_idx;
	uint8_t ttl;                 /* MESH_STACK_TTL_DEFAULT (0xff): Default TTL */

	const uint8_t *payload;      /* opcode || parameters (copied) */
	size_t len;
	uint32_t status_opcode;      /* the answer that completes it */
	/* Optional: when several requests can share a status opcode
	 * (Model App Status for two models, say), accept only statuses this
	 * says belong to this request. */
	bool (*match)(void *ctx, const struct mesh_access_msg *status);

	uint32_t timeout_ms;         /* first attempt; 0: default */
	uint8_t retries;             /* extra attempts (unicast) */
	bool no_retries;             /* retries = 0 even if 0 would mean default */

	/* Told about every event above; after a final one, only LATE can
	 * still follow (within the late window). */
	void (*done)(void *ctx, struct mesh_acked_req *req, const struct mesh_acked_result *r);
	void *ctx;
};

struct mesh_acked_send {
	uint16_t net_idx;
	uint16_t src;
	uint16_t dst;
	const uint8_t *label_uuid;
	bool dev_key;
	uint16_t app_idx;
	uint8_t ttl;
	const uint8_t *payload;
	size_t len;
};

struct mesh_acked_ops {
	/* Put one attempt on the air; 0 or a negative MESH_ERR_*. */
	int (*send)(void *ctx, const struct mesh_acked_send *s);
	void *ctx;
};

struct mesh_acked;

/* NULL when out of memory. */
struct mesh_acked *mesh_acked_create(struct mesh_timers *timers, const struct mesh_acked_ops *ops);
/* Cancels (CANCELED events) everything pending, then frees. Requests
 * made from those CANCELED callbacks are refused (MESH_ERR_CANCELED). */
void mesh_acked_destroy(struct mesh_acked *a);

/*
 * Queue a request (sent at once unless one for the same dst and status
 * opcode is outstanding). Returns 0 and sets *out (may be NULL; valid
 * until the final event plus the late window; do not keep it longer), or
 * MESH_ERR_INVAL (no payload, no done, unassigned dst, virtual without a
 * label, a status_opcode that is no opcode), MESH_ERR_OVERSIZED,
 * MESH_ERR_NOMEM. The first send's failure comes as a FAILED event, never
 * as a return value; when the request already finished before the call
 * returns (that failure, or a status looped back from inside ops->send),
 * *out is NULL.
 */
int mesh_acked_request(struct mesh_acked *a, const struct mesh_acked_params *p,
		       struct mesh_acked_req **out);

/* Stop one request (queued or outstanding): its CANCELED event is
 * delivered before this returns. On a request already finished but in its
 * late window it only stops listening (no event). */
void mesh_acked_cancel(struct mesh_acked *a, struct mesh_acked_req *req);
/* Stop every request to dst (a node being removed). */
void mesh_acked_cancel_dst(struct mesh_acked *a, uint16_t dst);

/*
 * Every received access message, with opcode/params filled in (as
 * mesh_access_dispatch() fills them). Returns true if it matched a
 * request (outstanding or in its late window).
 */
bool mesh_acked_receive(struct mesh_acked *a, const struct mesh_access_msg *msg);

/* Requests not yet finished (queued + outstanding). */
size_t mesh_acked_pending(const struct mesh_acked *a);

#endif
