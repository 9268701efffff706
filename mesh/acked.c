/*
 * Acknowledged message engine (see acked.h).
 *
 * Every request lives on one list, oldest first, in one of three states:
 * queued (another request for its dst and status opcode is on the air),
 * active (sent, waiting for its status or its timer), or late (finished,
 * still matching statuses for the late window). Keeping them on one list
 * in request order makes "the next one for this pair" simply the first
 * queued one found from the head.
 *
 * Callbacks may call back into the engine, including cancelling the very
 * request they are told about. So a request is never freed while a
 * callback (or ops->send) that can see it is running: `holds` counts those
 * calls, and a request that finished meanwhile is unlinked and marked
 * `dead`, to be freed by whoever drops the last hold. Code that held a
 * request checks `dead` and the state again before touching it.
 */
#include <stdlib.h>
#include <string.h>

#include "acked.h"
#include "addr.h"
#include "err.h"
#include "util.h"
#include "va.h"

/* Doubling stops here: a wait longer than about 24 days is a caller bug,
 * and the timer takes 32-bit delays. */
#define WAIT_MAX_MS (UINT32_MAX / 2)

/* Group responders tracked in the request itself before growing. */
#define RESPONDERS_INLINE 8

enum req_state {
	REQ_QUEUED,
	REQ_ACTIVE,
	REQ_LATE,
	REQ_FINISHED, /* final event delivered or being delivered; freed after */
};

struct mesh_acked_req {
	struct mesh_acked *owner;
	struct mesh_acked_req *prev, *next;
	uint64_t serial;             /* request order, for cancel_dst */
	enum req_state state;
	unsigned int holds;
	bool dead;                   /* unlinked; free when holds drops to 0 */
	struct mesh_timer timer;

	struct mesh_acked_send send;
	uint8_t label[MESH_LABEL_UUID_LEN];
	uint32_t status_opcode;
	bool group;                  /* group or virtual dst: collect, no retries */
	bool (*match)(void *ctx, const struct mesh_access_msg *status);
	void (*done)(void *ctx, struct mesh_acked_req *req, const struct mesh_acked_result *r);
	void *ctx;

	uint32_t timeout_ms;
	unsigned int max_attempts;
	unsigned int attempts;       /* sends that went out */
	uint32_t wait_ms;            /* the current attempt's wait */
	uint64_t first_send_ms;

	unsigned int responders;
	size_t responders_cap;
	uint16_t *responder_addrs;   /* responders_inline or a heap array */
	uint16_t responders_inline[RESPONDERS_INLINE];

	size_t len;
	uint8_t payload[];
};

struct mesh_acked {
	struct mesh_timers *timers;
	struct mesh_acked_ops ops;
	struct mesh_acked_req *head, *tail;
	uint64_t next_serial;
	bool destroying;
};

/* --- list and lifetime --------------------------------------------------- */

static void link_tail(struct mesh_acked *a, struct mesh_acked_req *r)
{
	r->prev = a->tail;
	r->next = NULL;
	if (a->tail)
		a->tail->next = r;
	else
		a->head = r;
	a->tail = r;
}

static void unlink_req(struct mesh_acked *a, struct mesh_acked_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		a->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		a->tail = r->prev;
	r->prev = r->next = NULL;
}

static void free_req(struct mesh_acked_req *r)
{
	if (r->responder_addrs != r->responders_inline)
		free(r->responder_addrs);
	free(r);
}

/* Take r off the engine; freed now or when the last hold goes. */
static void release(struct mesh_acked_req *r)
{
	if (r->dead)
		return;
	mesh_timer_stop(r->owner->timers, &r->timer);
	unlink_req(r->owner, r);
	r->dead = true;
	if (!r->holds)
		free_req(r);
}

static void hold(struct mesh_acked_req *r)
{
	r->holds++;
}

/* False when r was released meanwhile (and is now freed). */
static bool unhold(struct mesh_acked_req *r)
{
	if (--r->holds == 0 && r->dead) {
		free_req(r);
		return false;
	}
	return !r->dead;
}

/* --- events -------------------------------------------------------------- */

static uint32_t elapsed_ms(struct mesh_acked_req *r)
{
	uint64_t now;

	if (!r->attempts)
		return 0;
	now = mesh_timers_now(r->owner->timers);
	return now > r->first_send_ms ? (uint32_t)(now - r->first_send_ms) : 0;
}

static void deliver(struct mesh_acked_req *r, enum mesh_acked_event ev, int err,
		    const struct mesh_access_msg *msg)
{
	struct mesh_acked_result res = {
		.event = ev,
		.err = err,
		.msg = msg,
		.attempts = r->attempts,
		.responders = r->responders,
		.elapsed_ms = elapsed_ms(r),
	};

	hold(r);
	r->done(r->ctx, r, &res);
	unhold(r);
}

/*
 * Deliver a final event. Afterwards r either listens for late statuses or
 * is gone; either way the caller must not touch it again. Whoever finished
 * an active request then calls pump() for its pair.
 */
static void finish(struct mesh_acked_req *r, enum mesh_acked_event ev, int err,
		   const struct mesh_access_msg *msg)
{
	struct mesh_acked *a = r->owner;
	/* Late statuses are possible once something went out and no status
	 * closed it: a timeout, a group window, a retry that failed to send. */
	bool late = r->attempts > 0 && ev != MESH_ACKED_STATUS && ev != MESH_ACKED_CANCELED &&
		    !a->destroying;

	mesh_timer_stop(a->timers, &r->timer);
	if (late) {
		r->state = REQ_LATE;
		mesh_timer_start(a->timers, &r->timer, MESH_ACKED_LATE_WINDOW_MS);
		deliver(r, ev, err, msg);
		return;
	}
	r->state = REQ_FINISHED;
	hold(r);
	release(r);
	deliver(r, ev, err, msg);
	unhold(r);
}

/* --- sending ------------------------------------------------------------- */

static bool same_pair(const struct mesh_acked_req *r, uint16_t dst, uint32_t opcode)
{
	return r->send.dst == dst && r->status_opcode == opcode;
}

/*
 * One attempt on the air, then wait. False when r is no longer active
 * afterwards (failed, or finished from inside ops->send).
 */
static bool send_attempt(struct mesh_acked_req *r)
{
	struct mesh_acked *a = r->owner;
	int rc;

	if (!r->attempts)
		r->first_send_ms = mesh_timers_now(a->timers);
	r->attempts++;
	hold(r);
	rc = a->ops.send(a->ops.ctx, &r->send);
	if (!unhold(r) || r->state != REQ_ACTIVE)
		return false;
	if (rc < 0) {
		r->attempts--;
		finish(r, MESH_ACKED_FAILED, rc, NULL);
		return false;
	}
	mesh_timer_start(a->timers, &r->timer, r->wait_ms);
	return true;
}

static bool pair_active(struct mesh_acked *a, uint16_t dst, uint32_t opcode)
{
	for (struct mesh_acked_req *r = a->head; r; r = r->next) {
		if (r->state == REQ_ACTIVE && same_pair(r, dst, opcode))
			return true;
	}
	return false;
}

static struct mesh_acked_req *first_queued(struct mesh_acked *a, uint16_t dst, uint32_t opcode)
{
	for (struct mesh_acked_req *r = a->head; r; r = r->next) {
		if (r->state == REQ_QUEUED && same_pair(r, dst, opcode))
			return r;
	}
	return NULL;
}

/* Put the next queued request for the pair on the air if none is. A
 * request whose send fails is finished and the next one tried. */
static void pump(struct mesh_acked *a, uint16_t dst, uint32_t opcode)
{
	struct mesh_acked_req *r;

	if (a->destroying)
		return;
	while (!pair_active(a, dst, opcode) && (r = first_queued(a, dst, opcode))) {
		r->state = REQ_ACTIVE;
		r->wait_ms = r->timeout_ms;
		send_attempt(r);
	}
}

static void on_timer(struct mesh_timer *t)
{
	struct mesh_acked_req *r = MESH_CONTAINER_OF(t, struct mesh_acked_req, timer);
	struct mesh_acked *a = r->owner;
	uint16_t dst = r->send.dst;
	uint32_t opcode = r->status_opcode;

	if (r->state == REQ_LATE) {
		release(r);
		return;
	}
	if (r->state != REQ_ACTIVE)
		return;
	if (r->group) {
		finish(r, MESH_ACKED_DONE, 0, NULL);
	} else if (r->attempts < r->max_attempts) {
		r->wait_ms = r->wait_ms > WAIT_MAX_MS / 2 ? WAIT_MAX_MS : r->wait_ms * 2;
		if (send_attempt(r))
			return;
	} else {
		finish(r, MESH_ACKED_TIMEOUT, MESH_ERR_TIMEOUT, NULL);
	}
	pump(a, dst, opcode);
}

/* --- requests ------------------------------------------------------------ */

struct mesh_acked *mesh_acked_create(struct mesh_timers *timers, const struct mesh_acked_ops *ops)
{
	struct mesh_acked *a;

	if (!timers || !ops || !ops->send)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->timers = timers;
	a->ops = *ops;
	return a;
}

static struct mesh_acked_req *first_in_state(struct mesh_acked *a, enum req_state state)
{
	for (struct mesh_acked_req *r = a->head; r; r = r->next) {
		if (r->state == state)
			return r;
	}
	return NULL;
}

void mesh_acked_destroy(struct mesh_acked *a)
{
	struct mesh_acked_req *r;

	if (!a)
		return;
	/* Queued ones first, so cancelling an active one sends nothing;
	 * requests made from the CANCELED callbacks are refused. */
	a->destroying = true;
	while ((r = first_in_state(a, REQ_QUEUED)) || (r = first_in_state(a, REQ_ACTIVE)))
		finish(r, MESH_ACKED_CANCELED, MESH_ERR_CANCELED, NULL);
	while (a->head)
		release(a->head);
	free(a);
}

static int check_params(const struct mesh_acked_params *p)
{
	if (!p || !p->payload || !p->len || !p->done || mesh_addr_is_unassigned(p->dst))
		return MESH_ERR_INVAL;
	if (mesh_addr_is_virtual(p->dst) && !p->label_uuid)
		return MESH_ERR_INVAL;
	if (mesh_access_opcode_len(p->status_opcode) < 0)
		return MESH_ERR_INVAL;
	if (p->len > MESH_ACCESS_MAX_PAYLOAD)
		return MESH_ERR_OVERSIZED;
	return 0;
}

static struct mesh_acked_req *new_req(struct mesh_acked *a, const struct mesh_acked_params *p)
{
	struct mesh_acked_req *r = calloc(1, sizeof(*r) + p->len);

	if (!r)
		return NULL;
	r->owner = a;
	r->serial = a->next_serial++;
	r->state = REQ_QUEUED;
	mesh_timer_init(&r->timer, on_timer);
	memcpy(r->payload, p->payload, p->len);
	r->len = p->len;
	r->send = (struct mesh_acked_send){
		.net_idx = p->net_idx,
		.src = p->src,
		.dst = p->dst,
		.dev_key = p->dev_key,
		.app_idx = p->app_idx,
		.ttl = p->ttl,
		.payload = r->payload,
		.len = r->len,
	};
	if (mesh_addr_is_virtual(p->dst)) {
		memcpy(r->label, p->label_uuid, sizeof(r->label));
		r->send.label_uuid = r->label;
	}
	r->status_opcode = p->status_opcode;
	r->group = !mesh_addr_is_unicast(p->dst);
	r->match = p->match;
	r->done = p->done;
	r->ctx = p->ctx;
	r->timeout_ms = p->timeout_ms ? p->timeout_ms : MESH_ACKED_TIMEOUT_DEFAULT_MS;
	if (r->timeout_ms > WAIT_MAX_MS)
		r->timeout_ms = WAIT_MAX_MS;
	if (r->group || p->no_retries)
		r->max_attempts = 1;
	else
		r->max_attempts = 1u + (p->retries ? p->retries : MESH_ACKED_RETRIES_DEFAULT);
	r->responder_addrs = r->responders_inline;
	r->responders_cap = RESPONDERS_INLINE;
	return r;
}

int mesh_acked_request(struct mesh_acked *a, const struct mesh_acked_params *p,
		       struct mesh_acked_req **out)
{
	struct mesh_acked_req *r;
	int rc = check_params(p);

	if (out)
		*out = NULL;
	if (rc < 0)
		return rc;
	if (a->destroying)
		return MESH_ERR_CANCELED;
	r = new_req(a, p);
	if (!r)
		return MESH_ERR_NOMEM;
	link_tail(a, r);
	/* A send that fails (or a status looped back from inside it)
	 * finishes the request before we return: then there is no handle. */
	hold(r);
	pump(a, r->send.dst, r->status_opcode);
	if (unhold(r) && out && r->state != REQ_FINISHED)
		*out = r;
	return 0;
}

void mesh_acked_cancel(struct mesh_acked *a, struct mesh_acked_req *req)
{
	uint16_t dst;
	uint32_t opcode;
	bool was_active;

	if (!req || req->dead || req->owner != a)
		return;
	switch (req->state) {
	case REQ_LATE:
		/* Already had its final event: just stop listening. */
		release(req);
		return;
	case REQ_FINISHED:
		return;
	case REQ_QUEUED:
	case REQ_ACTIVE:
		break;
	}
	dst = req->send.dst;
	opcode = req->status_opcode;
	was_active = req->state == REQ_ACTIVE;
	finish(req, MESH_ACKED_CANCELED, MESH_ERR_CANCELED, NULL);
	if (was_active)
		pump(a, dst, opcode);
}

static struct mesh_acked_req *first_for_dst(struct mesh_acked *a, uint16_t dst,
					    enum req_state state, uint64_t before)
{
	for (struct mesh_acked_req *r = a->head; r; r = r->next) {
		if (r->state == state && r->send.dst == dst && r->serial < before)
			return r;
	}
	return NULL;
}

void mesh_acked_cancel_dst(struct mesh_acked *a, uint16_t dst)
{
	/* Only requests that existed when we were called: a callback that
	 * asks again for dst gets its new request kept (and sent). */
	uint64_t before = a->next_serial;
	struct mesh_acked_req *r;

	while ((r = first_for_dst(a, dst, REQ_QUEUED, before)))
		mesh_acked_cancel(a, r);
	while ((r = first_for_dst(a, dst, REQ_ACTIVE, before)))
		mesh_acked_cancel(a, r);
	while ((r = first_for_dst(a, dst, REQ_LATE, before)))
		release(r);
}

/* --- statuses ------------------------------------------------------------ */

static bool key_fits(const struct mesh_acked_req *r, const struct mesh_access_msg *msg)
{
	/* A Configuration status is only believed under the device key:
	 * anyone holding an AppKey could forge one otherwise. */
	return r->send.dev_key == (msg->app_idx == MESH_KEY_IDX_DEV);
}

static bool matches(const struct mesh_acked_req *r, const struct mesh_access_msg *msg)
{
	if (r->status_opcode != msg->opcode || !key_fits(r, msg))
		return false;
	if (!r->group && msg->src != r->send.dst)
		return false;
	return !r->match || r->match(r->ctx, msg);
}

/* Best candidate first: unicast before group, on the air before late. */
static struct mesh_acked_req *find_match(struct mesh_acked *a, const struct mesh_access_msg *msg)
{
	static const struct {
		enum req_state state;
		bool group;
	} order[] = {
		{ REQ_ACTIVE, false }, { REQ_ACTIVE, true }, { REQ_LATE, false }, { REQ_LATE, true },
	};

	for (size_t i = 0; i < MESH_ARRAY_SIZE(order); i++) {
		for (struct mesh_acked_req *r = a->head; r; r = r->next) {
			if (r->state == order[i].state && r->group == order[i].group &&
			    matches(r, msg))
				return r;
		}
	}
	return NULL;
}

static bool responded_before(const struct mesh_acked_req *r, uint16_t src)
{
	for (unsigned int i = 0; i < r->responders; i++) {
		if (r->responder_addrs[i] == src)
			return true;
	}
	return false;
}

/* Remember src; false only when out of memory (then it is reported
 * anyway: twice is better than never). */
static bool add_responder(struct mesh_acked_req *r, uint16_t src)
{
	if (r->responders == r->responders_cap) {
		size_t cap = r->responders_cap * 2;
		uint16_t *grown = malloc(cap * sizeof(*grown));

		if (!grown)
			return false;
		memcpy(grown, r->responder_addrs, r->responders * sizeof(*grown));
		if (r->responder_addrs != r->responders_inline)
			free(r->responder_addrs);
		r->responder_addrs = grown;
		r->responders_cap = cap;
	}
	r->responder_addrs[r->responders++] = src;
	return true;
}

static void group_status(struct mesh_acked_req *r, const struct mesh_access_msg *msg)
{
	if (responded_before(r, msg->src))
		return;
	add_responder(r, msg->src);
	deliver(r, r->state == REQ_LATE ? MESH_ACKED_LATE : MESH_ACKED_STATUS, 0, msg);
}

bool mesh_acked_receive(struct mesh_acked *a, const struct mesh_access_msg *msg)
{
	struct mesh_acked_req *r;
	uint16_t dst;
	uint32_t opcode;

	if (!a || !msg)
		return false;
	r = find_match(a, msg);
	if (!r)
		return false;
	if (r->group) {
		group_status(r, msg);
		return true;
	}
	if (r->state == REQ_LATE) {
		r->state = REQ_FINISHED;
		hold(r);
		release(r);
		deliver(r, MESH_ACKED_LATE, 0, msg);
		unhold(r);
		return true;
	}
	dst = r->send.dst;
	opcode = r->status_opcode;
	finish(r, MESH_ACKED_STATUS, 0, msg);
	pump(a, dst, opcode);
	return true;
}

size_t mesh_acked_pending(const struct mesh_acked *a)
{
	size_t n = 0;

	for (const struct mesh_acked_req *r = a ? a->head : NULL; r; r = r->next) {
		if (r->state == REQ_QUEUED || r->state == REQ_ACTIVE)
			n++;
	}
	return n;
}
