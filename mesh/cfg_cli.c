/*
 * Configuration Client (see cfg_cli.h).
 *
 * Each request gets a context (struct cfg_req) that the engine hands back
 * to our match and done functions. The engine gives no notice when it
 * stops listening for a request's late statuses: it does so MESH_ACKED_
 * LATE_WINDOW_MS after the final event, on its own timer, and frees the
 * request. So a context whose request may still see late statuses ends the
 * window itself, on a timer armed one millisecond earlier than the
 * engine's on the same queue: timers fire in deadline order, so the
 * engine's handle is still valid when we cancel it, and no moment exists
 * in which we hold a handle the engine has freed. Contexts of requests
 * that cannot see late statuses (answered, cancelled, failed before
 * anything was sent, a unicast late status already delivered) are freed
 * right after their final event.
 *
 * mesh_acked_cancel_dst() ends late windows without telling anyone; that
 * is why mesh_cfg_cli_cancel_dst() exists: it cancels our requests one by
 * one through handles we know are still valid.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cfg_cli.h"
#include "err.h"
#include "util.h"

#define TTL_DEFAULT 0xff /* the node's Default TTL (MESH_STACK_TTL_DEFAULT) */

struct cfg_req {
	struct mesh_cfg_cli *cli;
	struct cfg_req *prev, *next;
	struct mesh_acked_req *handle;  /* engine's, while it may call us */
	struct mesh_timer late_timer;
	uint16_t dst;
	bool finished;                  /* final event delivered */
	unsigned int busy;              /* in a callback or in mesh_cfg_cli_send */
	bool free_pending;              /* released while busy */
	mesh_cfg_cli_cb cb;
	void *ctx;
	struct mesh_cfg_msg request;
};

struct mesh_cfg_cli {
	struct mesh_acked *acked;
	struct mesh_timers *timers;
	uint16_t net_idx;
	uint8_t ttl;
	uint32_t timeout_ms;
	uint8_t retries;
	bool no_retries;
	mesh_cfg_cli_observer observer;
	void *observer_ctx;
	struct cfg_req *head;
	struct mesh_model model;
};

/* --- matching a status to its request ----------------------------------- */

static bool same_model(struct mesh_model_id a, struct mesh_model_id b)
{
	return mesh_model_id_equal(a, b);
}

static bool model_sub_matches(const struct mesh_cfg_msg *req, const struct mesh_cfg_msg *st)
{
	const struct mesh_cfg_model_sub *q = &req->model_sub, *s = &st->model_sub;

	if (q->elem_addr != s->elem_addr || !same_model(q->model, s->model))
		return false;
	/* The plain forms echo the group address; the virtual forms echo the
	 * hash of the label, which element and model already pin down. */
	switch (req->opcode) {
	case MESH_OP_CFG_MODEL_SUB_ADD:
	case MESH_OP_CFG_MODEL_SUB_DELETE:
	case MESH_OP_CFG_MODEL_SUB_OVERWRITE:
		return q->addr == s->addr;
	default:
		return true;
	}
}

bool mesh_cfg_cli_status_matches(const struct mesh_cfg_msg *req, const struct mesh_cfg_msg *st)
{
	if (mesh_cfg_status_opcode_for(req->opcode) != st->opcode)
		return false;
	switch (st->opcode) {
	case MESH_OP_CFG_MODEL_APP_STATUS:
		return req->model_app.elem_addr == st->model_app.elem_addr &&
		       req->model_app.app_idx == st->model_app.app_idx &&
		       same_model(req->model_app.model, st->model_app.model);
	case MESH_OP_CFG_SIG_MODEL_APP_LIST:
	case MESH_OP_CFG_VND_MODEL_APP_LIST:
		return req->model_app_list.elem_addr == st->model_app_list.elem_addr &&
		       same_model(req->model_app_list.model, st->model_app_list.model);
	case MESH_OP_CFG_MODEL_PUB_STATUS:
		return req->model_pub.elem_addr == st->model_pub.elem_addr &&
		       same_model(req->model_pub.model, st->model_pub.model);
	case MESH_OP_CFG_MODEL_SUB_STATUS:
		return model_sub_matches(req, st);
	case MESH_OP_CFG_SIG_MODEL_SUB_LIST:
	case MESH_OP_CFG_VND_MODEL_SUB_LIST:
		return req->model_sub_list.elem_addr == st->model_sub_list.elem_addr &&
		       same_model(req->model_sub_list.model, st->model_sub_list.model);
	case MESH_OP_CFG_APPKEY_STATUS:
		return req->app_key.net_idx == st->app_key.net_idx &&
		       req->app_key.app_idx == st->app_key.app_idx;
	case MESH_OP_CFG_APPKEY_LIST:
		return req->key_list.net_idx == st->key_list.net_idx;
	case MESH_OP_CFG_NETKEY_STATUS:
		return req->net_key.net_idx == st->net_key.net_idx;
	case MESH_OP_CFG_NODE_IDENTITY_STATUS:
		return req->node_identity.net_idx == st->node_identity.net_idx;
	case MESH_OP_CFG_KRP_STATUS:
		return req->krp.net_idx == st->krp.net_idx;
	default:
		/* One state per node (Default TTL, Relay, heartbeat, ...) or an
		 * answer that may differ from the question (Composition Data
		 * page): the opcode is enough. */
		return true;
	}
}

static int decode_status(const struct mesh_access_msg *msg, struct mesh_cfg_msg *out)
{
	if (!mesh_cfg_is_status(msg->opcode))
		return MESH_ERR_UNKNOWN_OPCODE;
	return mesh_cfg_decode_params(msg->opcode, msg->params, msg->params_len, out);
}

static bool req_match(void *ctx, const struct mesh_access_msg *status)
{
	struct cfg_req *r = ctx;
	struct mesh_cfg_msg st;

	if (decode_status(status, &st))
		return false;
	return mesh_cfg_cli_status_matches(&r->request, &st);
}

/* --- request contexts --------------------------------------------------- */

static void req_unlink(struct cfg_req *r)
{
	struct mesh_cfg_cli *cli = r->cli;

	if (r->prev)
		r->prev->next = r->next;
	else
		cli->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

static void req_free(struct cfg_req *r)
{
	mesh_timer_stop(r->cli->timers, &r->late_timer);
	req_unlink(r);
	free(r);
}

/* The engine will not call us about r again: free it now, or when the
 * code that is using it (a callback, mesh_cfg_cli_send) is done. */
static void req_release(struct cfg_req *r)
{
	r->handle = NULL;
	mesh_timer_stop(r->cli->timers, &r->late_timer);
	if (r->busy)
		r->free_pending = true;
	else
		req_free(r);
}

static void on_late_window_over(struct mesh_timer *t)
{
	struct cfg_req *r = MESH_CONTAINER_OF(t, struct cfg_req, late_timer);

	if (r->handle)
		mesh_acked_cancel(r->cli->acked, r->handle);
	req_release(r);
}

/* Does this event end the request? A unicast request ends with its first
 * status; a group request keeps collecting until DONE. */
static bool is_final(const struct cfg_req *r, const struct mesh_acked_result *res)
{
	if (res->event == MESH_ACKED_STATUS || res->event == MESH_ACKED_LATE)
		return mesh_addr_is_unicast(r->dst);
	return true;
}

/* After this final event, may the engine still report late statuses? */
static bool late_possible(const struct mesh_acked_result *res)
{
	switch (res->event) {
	case MESH_ACKED_TIMEOUT:
	case MESH_ACKED_DONE:
	case MESH_ACKED_FAILED:
		return res->attempts > 0;
	default:
		return false;
	}
}

static void req_done(void *ctx, struct mesh_acked_req *req, const struct mesh_acked_result *res)
{
	struct cfg_req *r = ctx;
	struct mesh_cfg_msg st;
	const struct mesh_cfg_msg *status = NULL;
	bool release = false;

	(void)req;
	if ((res->event == MESH_ACKED_STATUS || res->event == MESH_ACKED_LATE) && res->msg &&
	    decode_status(res->msg, &st) == 0)
		status = &st;
	/* Bookkeeping before the callback, which may send or cancel. */
	if (is_final(r, res) && !r->finished) {
		r->finished = true;
		if (late_possible(res))
			mesh_timer_start(r->cli->timers, &r->late_timer,
					 MESH_ACKED_LATE_WINDOW_MS - 1);
		else
			release = true;
	} else if (r->finished && mesh_addr_is_unicast(r->dst)) {
		release = true; /* the one late status of a unicast request */
	}
	if (release)
		r->handle = NULL;
	r->busy++;
	r->cb(r->ctx, res, status);
	r->busy--;
	if (r->free_pending && !r->busy)
		req_free(r);
	else if (release)
		req_release(r);
}

/* --- the model ------------------------------------------------------------ */

static int on_status(struct mesh_model *model, const struct mesh_access_msg *msg)
{
	struct mesh_cfg_cli *cli = model->user_data;
	struct mesh_cfg_msg st;
	int err = decode_status(msg, &st);

	if (err)
		return err;
	if (cli->observer)
		cli->observer(cli->observer_ctx, msg, &st);
	mesh_acked_receive(cli->acked, msg);
	return 0;
}

#define STATUS_OP(op) { (op), 0, 0, on_status }

static const struct mesh_access_op status_ops[] = {
	STATUS_OP(MESH_OP_CFG_COMP_DATA_STATUS),
	STATUS_OP(MESH_OP_CFG_BEACON_STATUS),
	STATUS_OP(MESH_OP_CFG_DEFAULT_TTL_STATUS),
	STATUS_OP(MESH_OP_CFG_GATT_PROXY_STATUS),
	STATUS_OP(MESH_OP_CFG_FRIEND_STATUS),
	STATUS_OP(MESH_OP_CFG_RELAY_STATUS),
	STATUS_OP(MESH_OP_CFG_NET_TRANSMIT_STATUS),
	STATUS_OP(MESH_OP_CFG_NODE_IDENTITY_STATUS),
	STATUS_OP(MESH_OP_CFG_KRP_STATUS),
	STATUS_OP(MESH_OP_CFG_NETKEY_STATUS),
	STATUS_OP(MESH_OP_CFG_NETKEY_LIST),
	STATUS_OP(MESH_OP_CFG_APPKEY_STATUS),
	STATUS_OP(MESH_OP_CFG_APPKEY_LIST),
	STATUS_OP(MESH_OP_CFG_MODEL_APP_STATUS),
	STATUS_OP(MESH_OP_CFG_SIG_MODEL_APP_LIST),
	STATUS_OP(MESH_OP_CFG_VND_MODEL_APP_LIST),
	STATUS_OP(MESH_OP_CFG_MODEL_PUB_STATUS),
	STATUS_OP(MESH_OP_CFG_MODEL_SUB_STATUS),
	STATUS_OP(MESH_OP_CFG_SIG_MODEL_SUB_LIST),
	STATUS_OP(MESH_OP_CFG_VND_MODEL_SUB_LIST),
	STATUS_OP(MESH_OP_CFG_HB_PUB_STATUS),
	STATUS_OP(MESH_OP_CFG_HB_SUB_STATUS),
	STATUS_OP(MESH_OP_CFG_NODE_RESET_STATUS),
	{ 0, 0, 0, NULL },
};

struct mesh_model *mesh_cfg_cli_model(struct mesh_cfg_cli *cli)
{
	return &cli->model;
}

/* --- lifetime and settings -------------------------------------------------- */

struct mesh_cfg_cli *mesh_cfg_cli_create(struct mesh_acked *a, struct mesh_timers *timers,
					 uint16_t net_idx)
{
	struct mesh_cfg_cli *cli;

	if (!a || !timers)
		return NULL;
	cli = calloc(1, sizeof(*cli));
	if (!cli)
		return NULL;
	cli->acked = a;
	cli->timers = timers;
	cli->net_idx = net_idx;
	cli->ttl = TTL_DEFAULT;
	cli->model.id = mesh_model_id_sig(MESH_MODEL_ID_CFG_CLI);
	cli->model.ops = status_ops;
	cli->model.dev_key = true;
	cli->model.user_data = cli;
	return cli;
}

/* Stop r: CANCELED if still pending (which releases it), else just stop
 * listening for late statuses. */
static void req_cancel(struct cfg_req *r)
{
	if (r->handle && !r->finished) {
		mesh_acked_cancel(r->cli->acked, r->handle);
		return;
	}
	if (r->handle)
		mesh_acked_cancel(r->cli->acked, r->handle);
	req_release(r);
}

/* A request that can be cancelled: not already on its way out, and not
 * still inside mesh_acked_request() (no handle yet). */
static bool cancellable(const struct cfg_req *r)
{
	return !r->free_pending && (r->finished || r->handle);
}

static struct cfg_req *first_for(struct mesh_cfg_cli *cli, uint16_t dst, bool any_dst)
{
	for (struct cfg_req *r = cli->head; r; r = r->next)
		if ((any_dst || r->dst == dst) && cancellable(r))
			return r;
	return NULL;
}

void mesh_cfg_cli_cancel_dst(struct mesh_cfg_cli *cli, uint16_t dst)
{
	struct cfg_req *r;

	while ((r = first_for(cli, dst, false)))
		req_cancel(r);
}

void mesh_cfg_cli_destroy(struct mesh_cfg_cli *cli)
{
	struct cfg_req *r;

	if (!cli)
		return;
	while ((r = first_for(cli, 0, true)))
		req_cancel(r);
	/* Only contexts of a send still in progress could remain, and this
	 * is not called from inside one (see cfg_cli.h). */
	while (cli->head)
		req_free(cli->head);
	free(cli);
}

void mesh_cfg_cli_set_observer(struct mesh_cfg_cli *cli, mesh_cfg_cli_observer fn, void *ctx)
{
	cli->observer = fn;
	cli->observer_ctx = ctx;
}

void mesh_cfg_cli_set_timing(struct mesh_cfg_cli *cli, uint32_t timeout_ms, uint8_t retries,
			     bool no_retries)
{
	cli->timeout_ms = timeout_ms;
	cli->retries = retries;
	cli->no_retries = no_retries;
}

void mesh_cfg_cli_set_ttl(struct mesh_cfg_cli *cli, uint8_t ttl)
{
	cli->ttl = ttl;
}

void mesh_cfg_cli_set_net_idx(struct mesh_cfg_cli *cli, uint16_t net_idx)
{
	cli->net_idx = net_idx;
}

size_t mesh_cfg_cli_pending(const struct mesh_cfg_cli *cli)
{
	size_t n = 0;

	for (const struct cfg_req *r = cli->head; r; r = r->next)
		if (!r->finished && !r->free_pending)
			n++;
	return n;
}

/* --- sending ------------------------------------------------------------------ */

static struct cfg_req *req_new(struct mesh_cfg_cli *cli, uint16_t dst,
			       const struct mesh_cfg_msg *request, mesh_cfg_cli_cb cb, void *ctx)
{
	struct cfg_req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cli = cli;
	r->dst = dst;
	r->cb = cb;
	r->ctx = ctx;
	r->request = *request;
	mesh_timer_init(&r->late_timer, on_late_window_over);
	r->next = cli->head;
	if (cli->head)
		cli->head->prev = r;
	cli->head = r;
	return r;
}

int mesh_cfg_cli_send(struct mesh_cfg_cli *cli, uint16_t dst, const struct mesh_cfg_msg *request,
		      mesh_cfg_cli_cb cb, void *ctx)
{
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	struct mesh_acked_params p;
	struct mesh_acked_req *handle = NULL;
	struct cfg_req *r;
	int len, rc;

	if (!cb || !request || mesh_addr_is_unassigned(dst) || mesh_addr_is_virtual(dst))
		return MESH_ERR_INVAL;
	if (!mesh_cfg_is_request(request->opcode))
		return MESH_ERR_OPCODE;
	len = mesh_cfg_encode(request, payload, sizeof(payload));
	if (len < 0)
		return len;
	r = req_new(cli, dst, request, cb, ctx);
	if (!r)
		return MESH_ERR_NOMEM;
	p = (struct mesh_acked_params){
		.net_idx = cli->net_idx,
		.dst = dst,
		.dev_key = true,
		.ttl = cli->ttl,
		.payload = payload,
		.len = (size_t)len,
		.status_opcode = mesh_cfg_status_opcode_for(request->opcode),
		.match = req_match,
		.timeout_ms = cli->timeout_ms,
		.retries = cli->retries,
		.no_retries = cli->no_retries,
		.done = req_done,
		.ctx = r,
	};
	r->busy++;
	rc = mesh_acked_request(cli->acked, &p, &handle);
	r->busy--;
	if (rc < 0 || r->free_pending) {
		req_free(r);
		return rc < 0 ? rc : 0;
	}
	/* NULL if it already finished (then only late statuses can come,
	 * and there is nothing of it left to cancel). */
	r->handle = handle;
	return 0;
}
