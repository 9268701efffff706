/*
 * The gateway core (core.h): the parts wired together.
 */
#include "gateway/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "gateway/cfg_apply.h"
#include "mesh/addr.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/util.h"

#define LOG "core"

void gw_core_config_default(struct gw_core_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->hb_group = GW_CORE_HB_GROUP_DEFAULT;
	cfg->auto_configure = true;
}

static uint64_t core_now(struct gw_core *core)
{
	return mesh_timers_now(core->timers);
}

/* ---- the database ----------------------------------------------------------- */

static int core_save_db(struct gw_core *core)
{
	char err[512];
	int rc = netdb_save(core->db, err, sizeof(err));

	if (rc)
		mesh_log_error(LOG, "network database not saved: %s", err);
	return rc;
}

static int core_save_cb(void *ctx)
{
	return core_save_db(ctx);
}

/* A node's heartbeat period, for its liveness window. */
static void core_watch_node(struct gw_core *core, const struct netdb_node *n)
{
	if (memcmp(n->uuid, core->db->self_uuid, 16) == 0)
		return;
	liveness_set_period(core->liveness, n->unicast,
			    n->heartbeat_pub.present ? n->heartbeat_pub.period_s * 1000u : 0);
}

static void core_retry_forget(struct gw_core *core, uint16_t node);

static void core_node_removed(struct gw_core *core, struct netdb_node *n)
{
	uint16_t unicast = n->unicast;
	uint8_t count = (uint8_t)n->n_elements;

	core_retry_forget(core, unicast);
	mesh_cfg_cli_cancel_dst(core->cfg_cli, unicast);
	gw_node_device_removed(&core->node, unicast, count);
	gw_state_cache_forget(core->cache, unicast, count);
	liveness_forget(core->liveness, unicast);
	if (netdb_remove_node(core->db, n->uuid, core->node.state.iv_index) == 0)
		core_save_db(core);
	if (core->ops && core->ops->node_removed)
		core->ops->node_removed(core->ctx, unicast);
}

/* Every Configuration status: what describes itself goes to the
 * database here; statuses that need their request are applied by whoever
 * sent it (the workflow, gw_core_cfg_send()). */
static void core_on_cfg_status(void *ctx, const struct mesh_access_msg *meta,
			       const struct mesh_cfg_msg *status)
{
	struct gw_core *core = ctx;
	const char *why = NULL;
	int rc = gw_cfg_apply(core->db, meta->src, NULL, status, &why);
	struct netdb_node *n;

	if (rc < 0 && rc != -ENOENT)
		mesh_log_warn(LOG, "%s from 0x%04x not recorded: %s",
			      mesh_cfg_opcode_name(status->opcode), meta->src, why ? why : "error");
	if (rc == GW_CFG_CHANGED) {
		core_save_db(core);
		n = netdb_node_by_address(core->db, meta->src);
		if (n && status->opcode == MESH_OP_CFG_HB_PUB_STATUS)
			core_watch_node(core, n);
	}
	if (core->ops && core->ops->cfg_status)
		core->ops->cfg_status(core->ctx, meta->src, status);
	/* Removing the node touches the stack and the client that are
	 * delivering this very status: do it once they are done. */
	if (rc == GW_CFG_NODE_RESET && core->n_resets < GW_CORE_RESETS_MAX) {
		core->resets[core->n_resets++] = meta->src;
		mesh_timer_start(core->timers, &core->reset_timer, 0);
	}
}

int gw_core_remove_node(struct gw_core *core, uint16_t primary)
{
	struct netdb_node *n = netdb_node_by_address(core->db, primary);

	if (!n || n->unicast != primary || memcmp(n->uuid, core->db->self_uuid, 16) == 0)
		return -ENOENT;
	core_node_removed(core, n);
	return 0;
}

static void core_reset_fire(struct mesh_timer *t)
{
	struct gw_core *core = MESH_CONTAINER_OF(t, struct gw_core, reset_timer);

	while (core->n_resets) {
		struct netdb_node *n = netdb_node_by_address(core->db,
							     core->resets[--core->n_resets]);

		if (!n)
			continue;
		mesh_log_info(LOG, "node 0x%04x was reset and leaves the network", n->unicast);
		core_node_removed(core, n);
	}
}

/* ---- configuration requests --------------------------------------------------- */

/* A request's record lives until no status can come for it any more: its
 * final event, and after a timeout the late window too. */
struct core_cfg_request {
	struct gw_core *core;
	struct mesh_cfg_msg req;
	gw_configure_done_fn done;
	void *done_ctx;
	uint16_t req_dst;
	bool over;                 /* nothing more will come */
	bool timed_out;            /* a LATE may still come until timed_out_ms + window */
	uint64_t timed_out_ms;
	struct core_cfg_request *next;
};

static void core_cfg_prune(struct gw_core *core, bool all)
{
	uint64_t now = core_now(core);

	for (struct core_cfg_request **p = &core->cfg_requests; *p;) {
		struct core_cfg_request *cr = *p;

		if (all || cr->over ||
		    (cr->timed_out && now - cr->timed_out_ms > MESH_ACKED_LATE_WINDOW_MS + 1000u)) {
			*p = cr->next;
			free(cr);
			continue;
		}
		p = &cr->next;
	}
}

static void core_cfg_done(void *ctx, const struct mesh_acked_result *r,
			  const struct mesh_cfg_msg *status)
{
	struct core_cfg_request *cr = ctx;
	uint16_t src = r->msg ? r->msg->src : 0;

	if (r->event == MESH_ACKED_FAILED)
		mesh_log_warn(LOG, "%s to 0x%04x not sent: %s", mesh_cfg_opcode_name(cr->req.opcode),
			      cr->req_dst, mesh_strerror(r->err));
	/* Applied with its request here, whoever asked (late ones too). */
	if (status && (r->event == MESH_ACKED_STATUS || r->event == MESH_ACKED_LATE) &&
	    gw_cfg_apply(cr->core->db, src, &cr->req, status, NULL) == GW_CFG_CHANGED)
		core_save_db(cr->core);
	if (cr->done)
		cr->done(cr->done_ctx, r->event, src, status);
	/* Freed at the next prune, not here: the client is still calling. */
	switch (r->event) {
	case MESH_ACKED_TIMEOUT:
	case MESH_ACKED_DONE:
		cr->timed_out = true;  /* late statuses may follow */
		cr->timed_out_ms = core_now(cr->core);
		break;
	case MESH_ACKED_STATUS:
	case MESH_ACKED_LATE:
		/* Groups: every responder reports; only DONE ends them. */
		cr->over = mesh_addr_is_unicast(cr->req_dst);
		break;
	default:
		cr->over = true;
		break;
	}
}

int gw_core_cfg_send(struct gw_core *core, uint16_t dst, const struct mesh_cfg_msg *req,
		     gw_configure_done_fn done, void *done_ctx)
{
	struct core_cfg_request *cr = calloc(1, sizeof(*cr));
	int rc;

	if (!cr)
		return MESH_ERR_NOMEM;
	core_cfg_prune(core, false);
	cr->core = core;
	cr->req = *req;
	cr->req_dst = dst;
	cr->done = done;
	cr->done_ctx = done_ctx;
	rc = mesh_cfg_cli_send(core->cfg_cli, dst, req, core_cfg_done, cr);
	if (rc) {
		free(cr);
		return rc;
	}
	cr->next = core->cfg_requests;
	core->cfg_requests = cr;
	return 0;
}

static int core_configure_send(void *ctx, uint16_t dst, const struct mesh_cfg_msg *request,
			       gw_configure_done_fn done, void *done_ctx)
{
	return gw_core_cfg_send(ctx, dst, request, done, done_ctx);
}

static void core_configure_next_queued(struct gw_core *core);
static void core_retry_end(struct gw_core *core, uint16_t node,
			   enum gw_configure_outcome outcome);

static void core_on_configure(void *ctx, const struct gw_configure_report *r)
{
	struct gw_core *core = ctx;
	struct netdb_node *n = netdb_node_by_address(core->db, r->node);

	if (r->outcome == GW_CONFIGURE_OK) {
		mesh_log_info(LOG, "node 0x%04x configured (%u requests)", r->node, r->requests);
		if (n)
			core_watch_node(core, n);
	} else if (r->outcome == GW_CONFIGURE_FAILED) {
		mesh_log_warn(LOG, "node 0x%04x: configuration stopped at step %s: %s", r->node,
			      gw_configure_step_name(r->step), r->why);
	}
	if (core->ops && core->ops->configure)
		core->ops->configure(core->ctx, r);
	if (r->outcome != GW_CONFIGURE_RUNNING) {
		core_retry_end(core, r->node, r->outcome);
		core_configure_next_queued(core);
	}
}

static void core_retry_arm(struct gw_core *core);

/* Whoever is due runs (or waits for the run under way), and the timer
 * goes on for the others: a node due later must not wait for a failure
 * to re-arm it. */
static void core_retry_fire(struct mesh_timer *t)
{
	struct gw_core *core = MESH_CONTAINER_OF(t, struct gw_core, retry_timer);

	core_configure_next_queued(core);
	core_retry_arm(core);
}

static int core_kr_local_keys(void *ctx, uint16_t net_idx, const uint8_t new_net_key[16],
			      size_t n_app, const uint16_t *app_idx,
			      const uint8_t (*new_app_keys)[16])
{
	struct gw_core *core = ctx;

	return gw_node_key_refresh(&core->node, net_idx, new_net_key, n_app, app_idx,
				   new_app_keys);
}

static int core_kr_local_phase(void *ctx, uint16_t net_idx, uint8_t transition)
{
	struct gw_core *core = ctx;

	return gw_node_kr_phase(&core->node, net_idx, transition);
}

static void core_on_key_refresh(void *ctx, const struct gw_key_refresh_report *r)
{
	struct gw_core *core = ctx;

	if (core->ops && core->ops->key_refresh)
		core->ops->key_refresh(core->ctx, r);
	/* The nodes that waited for it are configured now, with the new keys. */
	if (r->event == GW_KEY_REFRESH_DONE || r->event == GW_KEY_REFRESH_FAILED)
		core_configure_next_queued(core);
}

static const struct gw_key_refresh_ops core_kr_ops = {
	.send = core_configure_send,
	.save = core_save_cb,
	.local_keys = core_kr_local_keys,
	.local_phase = core_kr_local_phase,
	.progress = core_on_key_refresh,
};

int gw_core_key_refresh(struct gw_core *core, uint16_t net_idx)
{
	if (gw_configure_busy(core->configure))
		return -EBUSY;
	return gw_key_refresh_start(core->key_refresh, net_idx);
}

static const struct gw_configure_ops core_configure_ops = {
	.send = core_configure_send,
	.save = core_save_cb,
	.progress = core_on_configure,
};

void gw_core_default_plan(const struct gw_core *core, struct gw_config_plan *plan)
{
	if (core->cfg.plan)
		*plan = *core->cfg.plan;
	else
		gw_config_plan_default(plan);
	if (plan->status_dst == MESH_ADDR_UNASSIGNED)
		plan->status_dst = gw_node_address(&core->node);
	if (plan->hb_dst == MESH_ADDR_UNASSIGNED)
		plan->hb_dst = core->cfg.hb_group;
	if (core->cfg.hb_period_s)
		plan->hb_period_s = core->cfg.hb_period_s;
}

/* Small sets of addresses, in the order they were added. */
static bool addr_list_has(const uint16_t *list, size_t n, uint16_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == addr)
			return true;
	return false;
}

static int addr_list_add(uint16_t **list, size_t *n, uint16_t addr)
{
	uint16_t *grown;

	if (addr_list_has(*list, *n, addr))
		return 0;
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = addr;
	*list = grown;
	return 0;
}

static bool core_configure_queued(const struct gw_core *core, uint16_t node)
{
	return addr_list_has(core->configure_queue, core->n_configure_queued, node);
}

static int core_configure_enqueue(struct gw_core *core, uint16_t node)
{
	return addr_list_add(&core->configure_queue, &core->n_configure_queued, node);
}

static uint16_t core_configure_dequeue(struct gw_core *core)
{
	uint16_t node;

	if (!core->n_configure_queued)
		return 0;
	node = core->configure_queue[0];
	memmove(core->configure_queue, core->configure_queue + 1,
		(--core->n_configure_queued) * sizeof(*core->configure_queue));
	return node;
}

static uint16_t core_configuring(const struct gw_core *core)
{
	const struct gw_configure_report *r = gw_configure_last(core->configure);

	return gw_configure_busy(core->configure) && r ? r->node : 0;
}

static int core_configure_now(struct gw_core *core, uint16_t node, const struct gw_config_plan *plan)
{
	struct gw_config_plan p;

	if (!plan) {
		gw_core_default_plan(core, &p);
		if (core->ops && core->ops->plan)
			core->ops->plan(core->ctx, node, &p);
		plan = &p;
	}
	for (size_t i = 0; i < plan->n_subscribe; i++)
		if (plan->subscribe[i].is_label)
			gw_core_label_add(core, plan->subscribe[i].label, NULL);
	for (size_t e = 0; e < GW_PLAN_ELEMENTS_MAX; e++)
		if (plan->has_publish[e] && plan->publish[e].is_label)
			gw_core_label_add(core, plan->publish[e].label, NULL);
	return gw_configure_start(core->configure, node, plan);
}

/* A key refresh changes the keys a configuration run hands out: runs wait
 * for it to end, and it waits for a run to end (gw_core_key_refresh). */
static bool core_key_refresh_running(const struct gw_core *core)
{
	return core->key_refresh && gw_key_refresh_busy(core->key_refresh);
}

int gw_core_configure(struct gw_core *core, uint16_t node, const struct gw_config_plan *plan)
{
	uint16_t running = core_configuring(core);
	bool refreshing = core_key_refresh_running(core);

	if (!running && !refreshing)
		return core_configure_now(core, node, plan);
	if (plan)
		return -EBUSY;
	if (!netdb_node_by_address(core->db, node))
		return -ENOENT;
	if (running == node)
		return 0;
	if (core_configure_queued(core, node))
		return 0;
	if (running)
		mesh_log_info(LOG, "node 0x%04x: configured after node 0x%04x", node, running);
	else
		mesh_log_info(LOG, "node 0x%04x: configured after the key refresh", node);
	return core_configure_enqueue(core, node);
}

/* The database's element at address elem, with its node; NULL if none. */
static const struct netdb_element *core_element(struct gw_core *core, uint16_t elem,
						const struct netdb_node **node)
{
	struct netdb_node *n = netdb_node_by_address(core->db, elem);

	*node = n;
	return n ? &n->elements[elem - n->unicast] : NULL;
}

unsigned int gw_core_subscription_send(struct gw_core *core, uint16_t elem,
				       const struct netdb_address *a, bool add,
				       gw_configure_done_fn done, void *ctx, unsigned int *pending)
{
	const struct netdb_node *n;
	const struct netdb_element *el = core_element(core, elem, &n);
	unsigned int sent = 0;

	if (!el)
		return 0;
	for (size_t m = 0; m < el->n_models; m++) {
		struct mesh_cfg_msg req;

		if (!gw_configure_model_subscribes(&el->models[m]))
			continue;
		memset(&req, 0, sizeof(req));
		if (a->is_label)
			req.opcode = add ? MESH_OP_CFG_MODEL_SUB_VA_ADD : MESH_OP_CFG_MODEL_SUB_VA_DELETE;
		else
			req.opcode = add ? MESH_OP_CFG_MODEL_SUB_ADD : MESH_OP_CFG_MODEL_SUB_DELETE;
		req.model_sub.elem_addr = elem;
		req.model_sub.addr = a->address;
		memcpy(req.model_sub.label, a->label, 16);
		req.model_sub.model.id = (uint16_t)el->models[m].id;
		if (pending)
			(*pending)++;
		if (gw_core_cfg_send(core, n->unicast, &req, done, ctx) < 0) {
			if (pending)
				(*pending)--;
			continue;
		}
		sent++;
	}
	return sent;
}

static bool publishes_to(const struct netdb_model *m, const struct netdb_address *a)
{
	if (!m->has_publish || m->publish.address.is_label != a->is_label)
		return false;
	return a->is_label ? memcmp(m->publish.address.label, a->label, 16) == 0
			   : m->publish.address.address == a->address;
}

unsigned int gw_core_publication_clear(struct gw_core *core, uint16_t elem,
				       const struct netdb_address *from,
				       gw_configure_done_fn done, void *ctx)
{
	const struct netdb_node *n;
	const struct netdb_element *el = core_element(core, elem, &n);
	unsigned int sent = 0;

	if (!el)
		return 0;
	for (size_t m = 0; m < el->n_models; m++) {
		const struct netdb_model *model = &el->models[m];
		struct mesh_cfg_msg req;

		if (!gw_configure_model_is_switch_client(model) || !publishes_to(model, from))
			continue;
		memset(&req, 0, sizeof(req));
		req.opcode = MESH_OP_CFG_MODEL_PUB_SET;
		req.model_pub.elem_addr = elem;
		req.model_pub.pub_addr = MESH_ADDR_UNASSIGNED;
		req.model_pub.model.id = (uint16_t)model->id;
		if (gw_core_cfg_send(core, n->unicast, &req, done, ctx) >= 0)
			sent++;
	}
	return sent;
}

static struct gw_core_retry *core_retry_find(const struct gw_core *core, uint16_t node)
{
	for (size_t i = 0; i < core->n_retries; i++)
		if (core->retries[i].node == node)
			return &core->retries[i];
	return NULL;
}

static void core_retry_forget(struct gw_core *core, uint16_t node)
{
	struct gw_core_retry *r = core_retry_find(core, node);

	if (r)
		*r = core->retries[--core->n_retries];
}

/* May the automatic configuration take node now? */
static bool core_retry_due(const struct gw_core *core, uint16_t node)
{
	const struct gw_core_retry *r = core_retry_find(core, node);

	return !r || r->not_before_ms <= mesh_timers_now(core->timers);
}

/* An automatic run of node starts: no other until it has ended. NULL if
 * there is no memory to remember it (it is then not started). */
static struct gw_core_retry *core_retry_begin(struct gw_core *core, uint16_t node)
{
	struct gw_core_retry *r = core_retry_find(core, node), *grown;

	if (!r) {
		grown = realloc(core->retries, (core->n_retries + 1) * sizeof(*grown));
		if (!grown)
			return NULL;
		core->retries = grown;
		r = &core->retries[core->n_retries++];
		r->node = node;
		r->failures = 0;
	}
	r->not_before_ms = UINT64_MAX;
	return r;
}

static uint32_t core_retry_delay_ms(unsigned int failures)
{
	uint64_t ms = GW_CORE_RETRY_MIN_MS;

	for (unsigned int i = 1; i < failures && ms < GW_CORE_RETRY_MAX_MS; i++)
		ms *= 2;
	return ms > GW_CORE_RETRY_MAX_MS ? GW_CORE_RETRY_MAX_MS : (uint32_t)ms;
}

/* The retry timer for the soonest node still waiting out its backoff.
 * Nodes already due need no timer: they are taken whenever the queue
 * runs, and it runs when the configuration under way ends. */
static void core_retry_arm(struct gw_core *core)
{
	uint64_t now = mesh_timers_now(core->timers), soonest = UINT64_MAX;

	for (size_t i = 0; i < core->n_retries; i++) {
		uint64_t at = core->retries[i].not_before_ms;

		if (at > now && at < soonest)
			soonest = at;
	}
	if (soonest == UINT64_MAX || core->closing)
		return;
	mesh_timer_start(core->timers, &core->retry_timer, (uint32_t)(soonest - now));
}

/* A run of node ended: done with it (or with the node, gone from the
 * database, or canceled: free to run again), or tried again later
 * (failed, logged with when). */
static void core_retry_end(struct gw_core *core, uint16_t node,
			   enum gw_configure_outcome outcome)
{
	struct gw_core_retry *r = core_retry_find(core, node);
	uint32_t delay;

	if (!r)
		return;
	if (outcome != GW_CONFIGURE_FAILED || !netdb_node_by_address(core->db, node)) {
		core_retry_forget(core, node);
		return;
	}
	delay = core_retry_delay_ms(++r->failures);
	r->not_before_ms = mesh_timers_now(core->timers) + delay;
	mesh_log_info(LOG, "node 0x%04x: configuration tried again in %u s", node, delay / 1000);
	core_retry_arm(core);
}

/* The next node waiting for its configuration: one asked for explicitly,
 * else one the database says is not configured, unless it failed lately
 * and waits out its backoff (core_retry_end). */
static uint16_t core_next_unconfigured(struct gw_core *core, bool *asked)
{
	uint16_t next = core_configure_dequeue(core);

	*asked = next != 0;
	if (next)
		return next;
	if (!core->cfg.auto_configure)
		return 0;
	for (size_t i = 0; i < core->db->n_nodes; i++) {
		const struct netdb_node *n = &core->db->nodes[i];

		if (n->config_complete || n->excluded || !core_retry_due(core, n->unicast) ||
		    memcmp(n->uuid, core->db->self_uuid, 16) == 0)
			continue;
		return n->unicast;
	}
	return 0;
}

/* A node that waited its turn cannot be configured after all (removed
 * meanwhile, say): whoever asked hears it as a stopped configuration. */
static void core_configure_not_started(struct gw_core *core, uint16_t node, int rc)
{
	struct gw_configure_report r = {
		.node = node,
		.outcome = GW_CONFIGURE_FAILED,
	};

	snprintf(r.why, sizeof(r.why), "not started: %s",
		 rc == -ENOENT ? "the node is no longer in the network database" : strerror(-rc));
	mesh_log_warn(LOG, "node 0x%04x not configured: %s", node, r.why);
	if (core->ops && core->ops->configure)
		core->ops->configure(core->ctx, &r);
}

static void core_configure_next_queued(struct gw_core *core)
{
	uint16_t next;
	bool asked;
	int rc;

	/* Shutting down, the CANCELED reports must not start new work; a key
	 * refresh starts the queue again when it ends. */
	if (core->closing || core_key_refresh_running(core))
		return;
	while (!gw_configure_busy(core->configure) && (next = core_next_unconfigured(core, &asked))) {
		if (!core_retry_begin(core, next)) {
			/* Unremembered, an automatic run would pick the same
			 * node again at once. */
			if (!asked)
				return;
			core_configure_not_started(core, next, -ENOMEM);
			continue;
		}
		rc = core_configure_now(core, next, NULL);
		if (rc && asked) {
			core_configure_not_started(core, next, rc);
			core_retry_end(core, next, GW_CONFIGURE_FAILED);
		} else if (rc) {
			mesh_log_warn(LOG, "node 0x%04x not configured: %s", next, strerror(-rc));
			core_retry_end(core, next, GW_CONFIGURE_FAILED);
		}
	}
}

void gw_core_configure_pending(struct gw_core *core)
{
	core_configure_next_queued(core);
}

int gw_core_label_add(struct gw_core *core, const uint8_t label[16], uint16_t *addr)
{
	int rc = gw_node_label_add(&core->node, label, addr);

	return rc == MESH_ERR_EXISTS ? 0 : rc;
}

/* ---- provisioning ------------------------------------------------------------- */

static void core_on_provisioned(struct gw_core *core, const struct mesh_prov_event *ev)
{
	struct netdb_node *n = netdb_node_by_uuid(core->db, ev->uuid);
	int rc;

	if (!n)
		return;
	rc = gw_node_device_added(&core->node, n);
	if (rc) {
		mesh_log_error(LOG, "node 0x%04x: device key not taken: %s", n->unicast,
			       mesh_strerror(rc));
		return;
	}
	if (!core->cfg.auto_configure)
		return;
	/* Now, or after the one running; without memory for the queue, the
	 * database's unconfigured nodes are next anyway. */
	(void)core_configure_enqueue(core, n->unicast);
	core_configure_next_queued(core);
}

static void core_on_prov_event(void *ctx, const struct gw_prov_event *ev)
{
	struct gw_core *core = ctx;

	if (ev->type == GW_PROV_EV_SESSION && ev->session->type == MESH_PROV_EV_COMPLETE)
		core_on_provisioned(core, ev->session);
	if (core->ops && core->ops->prov_event)
		core->ops->prov_event(core->ctx, ev);
}

static uint32_t core_iv_index(void *ctx, uint8_t *flags)
{
	struct gw_core *core = ctx;

	*flags = core->node.state.iv_update ? MESH_PROV_FLAG_IV_UPDATE : 0;
	return core->node.state.iv_index;
}

static size_t core_static_oob(void *ctx, const uint8_t uuid[16], uint8_t out[32])
{
	struct gw_core *core = ctx;

	return core->ops && core->ops->static_oob ? core->ops->static_oob(core->ctx, uuid, out) : 0;
}

static const struct gw_prov_ops core_prov_ops = {
	.event = core_on_prov_event,
	.iv_index = core_iv_index,
	.static_oob = core_static_oob,
};

/* ---- what the node hears -------------------------------------------------------- */

static void core_on_access(void *ctx, const struct mesh_access_msg *msg)
{
	struct gw_core *core = ctx;
	int rc = gw_state_cache_update(core->cache, msg, core_now(core));

	if (rc < 0)
		mesh_log_warn(LOG, "status 0x%06x from 0x%04x does not decode: %s", msg->opcode,
			      msg->src, mesh_strerror(rc));
	if (core->ops && core->ops->access)
		core->ops->access(core->ctx, msg);
}

static void core_on_heartbeat(void *ctx, const struct mesh_stack_hb_rx *hb, int8_t rssi)
{
	struct gw_core *core = ctx;

	liveness_heartbeat(core->liveness, hb, rssi, core_now(core));
}

static void core_on_seen(void *ctx, uint16_t src, int8_t rssi)
{
	struct gw_core *core = ctx;
	struct netdb_node *n = netdb_node_by_address(core->db, src);

	(void)rssi;
	if (n)
		liveness_seen(core->liveness, n->unicast, core_now(core));
}

static const struct gw_node_ops core_node_ops = {
	.access = core_on_access,
	.heartbeat = core_on_heartbeat,
	.seen = core_on_seen,
};

/* Triggered heartbeats say which features a node runs now. */
static void core_record_features(struct gw_core *core, const struct liveness_node *ln)
{
	struct netdb_node *n = netdb_node_by_address(core->db, ln->addr);
	bool changed = false;
	struct {
		enum netdb_feature *f;
		uint16_t bit;
	} map[3];

	if (!n)
		return;
	map[0].f = &n->relay;
	map[0].bit = MESH_FEAT_RELAY;
	map[1].f = &n->proxy;
	map[1].bit = MESH_FEAT_PROXY;
	map[2].f = &n->friend_;
	map[2].bit = MESH_FEAT_FRIEND;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(map); i++) {
		enum netdb_feature want = (ln->features & map[i].bit) ? NETDB_FEATURE_ON
								      : NETDB_FEATURE_OFF;

		/* A feature the node does not support stays unsupported. */
		if (*map[i].f == NETDB_FEATURE_UNSUPPORTED || *map[i].f == want)
			continue;
		*map[i].f = want;
		changed = true;
	}
	if (changed)
		core_save_db(core);
}

static void core_save_liveness(struct gw_core *core)
{
	char err[512];
	int rc = liveness_save(core->liveness, core->dir, err, sizeof(err));

	if (rc < 0 && !core->liveness_save_failed)
		mesh_log_warn(LOG, "liveness not saved: %s", err);
	core->liveness_save_failed = rc < 0;
}

static void core_on_liveness(void *ctx, const struct liveness_event *ev)
{
	struct gw_core *core = ctx;

	switch (ev->type) {
	case LIVENESS_EV_ONLINE:
		mesh_log_info(LOG, "node 0x%04x online", ev->node->addr);
		break;
	case LIVENESS_EV_OFFLINE:
		mesh_log_warn(LOG, "node 0x%04x offline: no heartbeat for %u s", ev->node->addr,
			      liveness_window_ms(core->liveness, ev->node) / 1000u);
		break;
	case LIVENESS_EV_FEATURES_CHANGED:
		core_record_features(core, ev->node);
		break;
	default:
		break;
	}
	/* Transitions are rare: keep the file current across a crash. */
	if (ev->type != LIVENESS_EV_HEARTBEAT)
		core_save_liveness(core);
	if (core->ops && core->ops->liveness)
		core->ops->liveness(core->ctx, ev);
}

static void core_on_state(void *ctx, const struct gw_elem_state *st, uint32_t kinds)
{
	struct gw_core *core = ctx;

	if (core->ops && core->ops->state)
		core->ops->state(core->ctx, st, kinds);
}

/* Requests nobody waits for: the status reaches the state cache anyway. */
static void core_ignore_result(void *ctx, struct mesh_acked_req *req,
			       const struct mesh_acked_result *r)
{
	(void)ctx;
	(void)req;
	(void)r;
}

/* ---- acknowledged requests ------------------------------------------------------- */

static int core_acked_send(void *ctx, const struct mesh_acked_send *s)
{
	struct gw_core *core = ctx;

	return gw_node_send(&core->node, s);
}

/* ---- control ------------------------------------------------------------------ */

static uint16_t core_app_idx(const struct gw_core *core)
{
	return core->db->n_app_keys ? core->db->app_keys[0].index : 0;
}

static uint16_t core_net_idx(const struct gw_core *core)
{
	return core->db->n_app_keys ? core->db->app_keys[0].bound_net_key : 0;
}

static void core_model_dst(const struct gw_core *core, uint16_t dst, const uint8_t *label,
			   struct mesh_model_cli_dst *d)
{
	memset(d, 0, sizeof(*d));
	d->net_idx = core_net_idx(core);
	d->dst = dst;
	d->label_uuid = label;
	d->app_idx = core_app_idx(core);
	d->ttl = MESH_STACK_TTL_DEFAULT;
}

int gw_core_model_send(struct gw_core *core, uint16_t dst, const uint8_t *label,
		       struct mesh_model_msg *msg, mesh_model_cli_done done, void *ctx)
{
	struct mesh_model_cli_dst d;
	uint32_t unack;

	if (!msg || mesh_addr_is_unassigned(dst) || (mesh_addr_is_virtual(dst) && !label))
		return MESH_ERR_INVAL;
	core_model_dst(core, dst, label, &d);
	unack = mesh_model_unack_opcode(msg->opcode);
	if (!mesh_addr_is_unicast(dst) && unack) {
		msg->opcode = unack;
		return mesh_model_cli_set_unack(core->model_cli, &d, msg, GW_CORE_GROUP_REPEATS,
						GW_CORE_GROUP_REPEAT_MS);
	}
	if (unack == msg->opcode)  /* an unacknowledged Set asked for as such */
		return mesh_model_cli_set_unack(core->model_cli, &d, msg, 0, 0);
	return mesh_model_cli_request(core->model_cli, &d, msg, core->cfg.request_timeout_ms,
				      core->cfg.request_retries_set ? core->cfg.request_retries
								    : MESH_ACKED_RETRIES_DEFAULT,
				      done ? done : core_ignore_result, ctx, NULL);
}

int gw_core_app_request(struct gw_core *core, uint16_t dst, const uint8_t *label,
			const uint8_t *payload, size_t len, uint32_t status_opcode,
			void (*done)(void *ctx, struct mesh_acked_req *req,
				     const struct mesh_acked_result *r),
			void *ctx)
{
	struct mesh_acked_params p;

	memset(&p, 0, sizeof(p));
	p.net_idx = core_net_idx(core);
	p.dst = dst;
	p.label_uuid = label;
	p.app_idx = core_app_idx(core);
	p.ttl = MESH_STACK_TTL_DEFAULT;
	p.payload = payload;
	p.len = len;
	p.status_opcode = status_opcode;
	p.timeout_ms = core->cfg.request_timeout_ms;
	p.retries = core->cfg.request_retries_set ? core->cfg.request_retries
						  : MESH_ACKED_RETRIES_DEFAULT;
	p.no_retries = core->cfg.request_retries_set && core->cfg.request_retries == 0;
	p.done = done ? done : core_ignore_result;
	p.ctx = ctx;
	return mesh_acked_request(core->node.acked, &p, NULL);
}

/* ---- lifetime -------------------------------------------------------------------- */

static int core_load_state(struct gw_core *core, struct runtime_state *state, char *err,
			   size_t errlen)
{
	int rc = runtime_state_load(state, core->dir, err, errlen);

	if (rc == -ENOENT) {
		runtime_state_init(state);
		rc = runtime_state_save(state, core->dir, err, errlen);
	}
	return rc;
}

static int core_load_liveness(struct gw_core *core, char *err, size_t errlen)
{
	int rc = liveness_load(core->liveness, core->dir, core_now(core), err, errlen);

	/* Liveness history is worth keeping, not worth refusing to run for:
	 * a damaged file is reported and left as it is (liveness_save()
	 * will not overwrite it), and liveness starts afresh. */
	if (rc == -EINVAL) {
		mesh_log_error(LOG, "%s; liveness starts without its history, and the file is "
			       "kept as it is until it is repaired or removed", err);
		rc = 0;
	}
	if (rc == -ENOENT)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < core->db->n_nodes; i++)
		core_watch_node(core, &core->db->nodes[i]);
	return rc;
}

static int core_build(struct gw_core *core, char *err, size_t errlen)
{
	struct liveness_config lc = {
		.window_factor = core->cfg.liveness_factor,
		.event = core_on_liveness,
		.ctx = core,
	};
	struct mesh_model_cli_config model_cfg = { 0 };
	const struct netdb_app_key *k0 = core->db->n_app_keys ? &core->db->app_keys[0] : NULL;
	int rc;

	core->acked_ops.send = core_acked_send;
	core->acked_ops.ctx = core;
	core->node.acked = mesh_acked_create(core->timers, &core->acked_ops);
	core->cfg_cli = core->node.acked
		? mesh_cfg_cli_create(core->node.acked, core->timers, k0 ? k0->bound_net_key : 0)
		: NULL;
	model_cfg.timers = core->timers;
	model_cfg.acked = core->node.acked;
	model_cfg.send = core_acked_send;
	model_cfg.ctx = core;
	if (RAND_bytes(&model_cfg.tid_seed, 1) != 1)
		model_cfg.tid_seed = (uint8_t)core_now(core);
	core->model_cli = core->node.acked ? mesh_model_cli_create(&model_cfg) : NULL;
	core->cache = gw_state_cache_create(core_on_state, core);
	core->liveness = liveness_create(core->timers, &lc);
	if (!core->cfg_cli || !core->model_cli || !core->cache || !core->liveness ||
	    gw_configure_create(&core->configure, core->db, core->timers, &core_configure_ops,
				core) < 0 ||
	    gw_key_refresh_create(&core->key_refresh, core->db, core->timers, &core_kr_ops,
				  core) < 0) {
		snprintf(err, errlen, "out of memory");
		return MESH_ERR_NOMEM;
	}
	mesh_cfg_cli_set_observer(core->cfg_cli, core_on_cfg_status, core);
	mesh_cfg_cli_set_timing(core->cfg_cli, core->cfg.request_timeout_ms,
				core->cfg.request_retries, core->cfg.request_retries_set &&
							   core->cfg.request_retries == 0);
	rc = mesh_access_model_add(&core->node.stack.access, 0, mesh_cfg_cli_model(core->cfg_cli));
	if (rc) {
		snprintf(err, errlen, "configuration client: %s", mesh_strerror(rc));
		return rc;
	}
	rc = core_load_liveness(core, err, errlen);
	if (rc)
		return rc;
	rc = gw_prov_create(&core->prov, core->timers, core->bearer, core->db, &core_prov_ops, core);
	if (rc)
		snprintf(err, errlen, "provisioning: %s", strerror(-rc));
	return rc;
}

int gw_core_open(struct gw_core *core, struct mesh_timers *timers, struct mesh_bearer *bearer,
		 const char *dir, const struct gw_core_config *cfg, const struct gw_core_ops *ops,
		 void *ctx, char *err, size_t errlen)
{
	struct runtime_state *state;
	int rc;

	memset(core, 0, sizeof(*core));
	core->timers = timers;
	core->bearer = bearer;
	core->ops = ops;
	core->ctx = ctx;
	if (cfg)
		core->cfg = *cfg;
	else
		gw_core_config_default(&core->cfg);
	if (!core->cfg.hb_group)
		core->cfg.hb_group = GW_CORE_HB_GROUP_DEFAULT;
	snprintf(core->dir, sizeof(core->dir), "%s", dir);
	mesh_timer_init(&core->reset_timer, core_reset_fire);
	mesh_timer_init(&core->retry_timer, core_retry_fire);
	rc = netdb_open(&core->db, dir, err, errlen);
	if (rc)
		return rc;
	state = malloc(sizeof(*state));
	if (!state) {
		snprintf(err, errlen, "out of memory");
		return MESH_ERR_NOMEM;
	}
	rc = core_load_state(core, state, err, errlen);
	if (rc == 0)
		rc = gw_node_open(&core->node, timers, bearer, core->db, state, dir, &core_node_ops,
				  core, err, errlen);
	free(state);
	if (rc)
		goto fail;
	core->node_open = true;
	rc = core_build(core, err, errlen);
	if (rc)
		goto fail;
	/* Requests sent before the bearer is up wait in the node's queue. */
	if (gw_key_refresh_resume(core->key_refresh) > 0)
		mesh_log_info(LOG, "resuming an interrupted key refresh");
	return 0;
fail:
	gw_core_close(core);
	return rc;
}

void gw_core_close(struct gw_core *core)
{
	char err[512];

	core->closing = true;
	if (core->timers) {
		mesh_timer_stop(core->timers, &core->reset_timer);
		mesh_timer_stop(core->timers, &core->retry_timer);
	}
	if (core->prov)
		gw_prov_destroy(core->prov);
	core->prov = NULL;
	if (core->cfg_cli)
		mesh_cfg_cli_destroy(core->cfg_cli);
	core->cfg_cli = NULL;
	core_cfg_prune(core, true);
	mesh_model_cli_destroy(core->model_cli);
	core->model_cli = NULL;
	gw_configure_destroy(core->configure);
	core->configure = NULL;
	/* After the configuration client, which delivers its CANCELED. */
	gw_key_refresh_destroy(core->key_refresh);
	core->key_refresh = NULL;
	if (core->liveness && liveness_save(core->liveness, core->dir, err, sizeof(err)) < 0)
		mesh_log_error(LOG, "liveness not saved: %s", err);
	liveness_destroy(core->liveness);
	core->liveness = NULL;
	gw_state_cache_destroy(core->cache);
	core->cache = NULL;
	if (core->node_open)
		gw_node_close(&core->node);  /* destroys the acked engine */
	core->node_open = false;
	netdb_free(core->db);
	core->db = NULL;
	free(core->retries);
	free(core->configure_queue);
	core->configure_queue = NULL;
	core->n_configure_queued = 0;
	core->retries = NULL;
	core->n_retries = 0;
}

/* ---- radio ------------------------------------------------------------------------ */

static void core_unprov_beacon(void *ctx, const struct mesh_beacon_unprov *b,
			       const struct mesh_adv_rx *rx)
{
	struct gw_core *core = ctx;

	gw_prov_unprov_beacon(core->prov, b, rx);
}

static void core_pb_adv(void *ctx, const struct mesh_adv_rx *rx)
{
	struct gw_core *core = ctx;

	gw_prov_pb_adv(core->prov, rx);
}

static const struct mesh_adv_route_ops core_route_ops = {
	.unprov_beacon = core_unprov_beacon,
	.pb_adv = core_pb_adv,
};

void gw_core_bearer_rx(struct gw_core *core, const struct mesh_adv_rx *rx)
{
	/* Rejections are normal radio life (other networks, cached copies,
	 * replays); the stack's trace has each reason for debugging. */
	(void)gw_node_route(&core->node, rx, &core_route_ops, core);
}
