/*
 * The configure-node workflow (configure.h).
 *
 * Each step looks for its first item the database does not show as done
 * yet, sends one request for it and waits. A Success status is applied to
 * the database (cfg_apply.c) and the step looks again; since the search
 * always starts from the database, a run that stopped half-way, or a
 * node configured before, only gets what is missing.
 *
 * Requests live in their own small records, not in the workflow: a status
 * can come after the workflow gave up on it (LATE), and it is applied then
 * all the same. The records are freed when their request is over and its
 * late window has passed (checked whenever a new request starts); the
 * owner destroys the configuration client (which ends every callback)
 * before the workflow, and destroy frees what is left.
 */
#include "gateway/configure.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cfg_apply.h"
#include "mesh/addr.h"
#include "mesh/err.h"
#include "mesh/heartbeat.h"
#include "mesh/log.h"

#define LOG "configure"

struct cfg_request {
	struct gw_configure *owner;      /* NULL once the workflow let go */
	struct mesh_cfg_msg msg;
	bool final;                      /* a final event was delivered */
	uint64_t final_ms;               /* when */
	struct cfg_request *next;
};

struct gw_configure {
	struct netdb *db;
	struct mesh_timers *timers;
	const struct gw_configure_ops *ops;
	void *ctx;
	bool running;
	uint16_t node;
	struct gw_config_plan plan;
	struct gw_configure_report report;
	struct cfg_request *current;     /* the request the workflow waits for */
	struct cfg_request *requests;    /* every record still alive */
	char last_item[64];              /* to notice an item that never gets recorded */
};

static const char *const step_names[] = {
	[GW_CONFIGURE_COMPOSITION] = "composition",
	[GW_CONFIGURE_APPKEY] = "appkey",
	[GW_CONFIGURE_BIND] = "bind",
	[GW_CONFIGURE_SUBSCRIBE] = "subscribe",
	[GW_CONFIGURE_PUBLISH] = "publish",
	[GW_CONFIGURE_HEARTBEAT] = "heartbeat",
	[GW_CONFIGURE_SETTINGS] = "settings",
	[GW_CONFIGURE_DONE] = "done",
};

const char *gw_configure_step_name(enum gw_configure_step step)
{
	return step <= GW_CONFIGURE_DONE ? step_names[step] : "?";
}

void gw_config_plan_default(struct gw_config_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->app_idx = 0;
	plan->hb_period_s = 16;
	plan->hb_ttl = 7;
	plan->hb_features = MESH_FEAT_KNOWN;
	plan->sensor_pub_period = (uint8_t)(1u << 6 | 30u);  /* 30 x 1 s */
	plan->client_pub_retransmit = 0x02 | (1u << 3);     /* 2 more, 100 ms apart */
}

/* ---- model roles ------------------------------------------------------------ */

/* Models that take Config messages with the device key only: no AppKey. */
static bool model_uses_dev_key(const struct netdb_model *m)
{
	return !m->vendor && (m->id == MESH_MODEL_ID_CFG_SRV || m->id == MESH_MODEL_ID_CFG_CLI);
}

bool gw_configure_model_subscribes(const struct netdb_model *m)
{
	static const uint16_t ids[] = { 0x1000, 0x1002, 0x1004, 0x1300, 0x1303, 0x1306,
					0x1307, 0x130a, 0x130b };

	for (size_t i = 0; !m->vendor && i < sizeof(ids) / sizeof(ids[0]); i++)
		if (m->id == ids[i])
			return true;
	return false;
}

bool gw_configure_model_is_switch_client(const struct netdb_model *m)
{
	return !m->vendor && (m->id == 0x1001 || m->id == 0x1003);
}

/* Servers whose status publications keep the gateway's state current. */
static bool model_reports_state(const struct netdb_model *m)
{
	static const uint16_t ids[] = { 0x0002, 0x1000, 0x1100, 0x1300, 0x1303, 0x1307 };

	for (size_t i = 0; !m->vendor && i < sizeof(ids) / sizeof(ids[0]); i++)
		if (m->id == ids[i])
			return true;
	return false;
}

static struct mesh_model_id model_id_of(const struct netdb_model *m)
{
	return m->vendor ? mesh_model_id_vendor((uint16_t)(m->id >> 16), (uint16_t)m->id)
			 : mesh_model_id_sig((uint16_t)m->id);
}

static bool u16_listed(const uint16_t *list, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

static bool address_listed(const struct netdb_model *m, const struct netdb_address *a)
{
	for (size_t i = 0; i < m->n_subscribe; i++) {
		const struct netdb_address *s = &m->subscribe[i];

		if (s->is_label == a->is_label &&
		    (a->is_label ? memcmp(s->label, a->label, 16) == 0 : s->address == a->address))
			return true;
	}
	return false;
}

/* ---- finding the next item ---------------------------------------------------- */

/* Fill req for the first item of step not yet done; false: step complete. */
typedef bool (*item_finder)(struct gw_configure *c, struct netdb_node *node,
			    struct mesh_cfg_msg *req, char *item, size_t item_len);

static bool next_composition(struct gw_configure *c, struct netdb_node *node,
			     struct mesh_cfg_msg *req, char *item, size_t len)
{
	(void)c;
	if (node->has_ids)
		return false;
	req->opcode = MESH_OP_CFG_COMP_DATA_GET;
	req->comp_data.page = 0;
	snprintf(item, len, "composition data page 0");
	return true;
}

static bool next_appkey(struct gw_configure *c, struct netdb_node *node,
			struct mesh_cfg_msg *req, char *item, size_t len)
{
	const struct netdb_app_key *k = netdb_app_key(c->db, c->plan.app_idx);

	for (size_t i = 0; i < node->n_app_keys; i++)
		if (node->app_keys[i].index == c->plan.app_idx)
			return false;
	req->opcode = MESH_OP_CFG_APPKEY_ADD;
	req->app_key.net_idx = k->bound_net_key;
	req->app_key.app_idx = k->index;
	memcpy(req->app_key.key, k->key, sizeof(req->app_key.key));
	snprintf(item, len, "AppKey %u", k->index);
	return true;
}

static bool next_bind(struct gw_configure *c, struct netdb_node *node, struct mesh_cfg_msg *req,
		      char *item, size_t len)
{
	for (size_t e = 0; e < node->n_elements; e++) {
		for (size_t i = 0; i < node->elements[e].n_models; i++) {
			const struct netdb_model *m = &node->elements[e].models[i];

			if (model_uses_dev_key(m) || u16_listed(m->bind, m->n_bind, c->plan.app_idx))
				continue;
			req->opcode = MESH_OP_CFG_MODEL_APP_BIND;
			req->model_app.elem_addr = (uint16_t)(node->unicast + e);
			req->model_app.app_idx = c->plan.app_idx;
			req->model_app.model = model_id_of(m);
			snprintf(item, len, "AppKey %u to model %04x of element 0x%04x",
				 c->plan.app_idx, m->id, req->model_app.elem_addr);
			return true;
		}
	}
	return false;
}

static bool next_subscribe(struct gw_configure *c, struct netdb_node *node,
			   struct mesh_cfg_msg *req, char *item, size_t len)
{
	for (size_t e = 0; e < node->n_elements; e++) {
		for (size_t i = 0; i < node->elements[e].n_models; i++) {
			const struct netdb_model *m = &node->elements[e].models[i];

			if (!gw_configure_model_subscribes(m))
				continue;
			for (size_t a = 0; a < c->plan.n_subscribe; a++) {
				const struct netdb_address *addr = &c->plan.subscribe[a];

				if (address_listed(m, addr))
					continue;
				req->opcode = addr->is_label ? MESH_OP_CFG_MODEL_SUB_VA_ADD
							     : MESH_OP_CFG_MODEL_SUB_ADD;
				req->model_sub.elem_addr = (uint16_t)(node->unicast + e);
				req->model_sub.addr = addr->address;
				memcpy(req->model_sub.label, addr->label, 16);
				req->model_sub.model = model_id_of(m);
				snprintf(item, len, "model %04x of element 0x%04x to 0x%04x", m->id,
					 req->model_sub.elem_addr, addr->address);
				return true;
			}
		}
	}
	return false;
}

/* The publication a model should have under the plan; false: none. */
static bool wanted_publication(const struct gw_configure *c, size_t elem,
			       const struct netdb_model *m, struct mesh_cfg_model_pub *pub)
{
	memset(pub, 0, sizeof(*pub));
	pub->app_idx = c->plan.app_idx;
	pub->ttl = MESH_CFG_PUB_TTL_DEFAULT;
	pub->model = model_id_of(m);
	if (gw_configure_model_is_switch_client(m) && elem < GW_PLAN_ELEMENTS_MAX &&
	    c->plan.has_publish[elem]) {
		pub->pub_addr = c->plan.publish[elem].address;
		if (c->plan.publish[elem].is_label)
			memcpy(pub->label, c->plan.publish[elem].label, 16);
		pub->retransmit = c->plan.client_pub_retransmit;
		return true;
	}
	if (model_reports_state(m) && c->plan.status_dst != MESH_ADDR_UNASSIGNED) {
		pub->pub_addr = c->plan.status_dst;
		if (m->id == 0x1100)
			pub->period = c->plan.sensor_pub_period;
		return true;
	}
	return false;
}

static bool publication_recorded(const struct netdb_model *m, const struct mesh_cfg_model_pub *w)
{
	const struct netdb_publish *p = &m->publish;
	bool same_addr;

	if (!m->has_publish)
		return false;
	same_addr = mesh_addr_is_virtual(w->pub_addr)
			    ? p->address.is_label && memcmp(p->address.label, w->label, 16) == 0
			    : !p->address.is_label && p->address.address == w->pub_addr;
	return same_addr && p->app_idx == w->app_idx && p->ttl == w->ttl &&
	       p->period_steps == (w->period & 0x3f) &&
	       p->period_steps * p->period_resolution_ms == mesh_cfg_pub_period_ms(w->period) &&
	       p->retransmit_count == mesh_cfg_pub_retransmit_count(w->retransmit) &&
	       (p->retransmit_count == 0 ||
		p->retransmit_interval_ms == mesh_cfg_pub_retransmit_interval_ms(w->retransmit));
}

static bool next_publish(struct gw_configure *c, struct netdb_node *node,
			 struct mesh_cfg_msg *req, char *item, size_t len)
{
	for (size_t e = 0; e < node->n_elements; e++) {
		for (size_t i = 0; i < node->elements[e].n_models; i++) {
			const struct netdb_model *m = &node->elements[e].models[i];
			struct mesh_cfg_model_pub want;

			if (!wanted_publication(c, e, m, &want) || publication_recorded(m, &want))
				continue;
			want.elem_addr = (uint16_t)(node->unicast + e);
			req->opcode = mesh_addr_is_virtual(want.pub_addr) ? MESH_OP_CFG_MODEL_PUB_VA_SET
									  : MESH_OP_CFG_MODEL_PUB_SET;
			req->model_pub = want;
			snprintf(item, len, "model %04x of element 0x%04x to 0x%04x", m->id,
				 want.elem_addr, want.pub_addr);
			return true;
		}
	}
	return false;
}

static bool next_heartbeat(struct gw_configure *c, struct netdb_node *node,
			   struct mesh_cfg_msg *req, char *item, size_t len)
{
	const struct netdb_heartbeat_pub *hb = &node->heartbeat_pub;
	uint8_t period_log = mesh_cfg_hb_period_log(c->plan.hb_period_s);
	const struct netdb_app_key *k = netdb_app_key(c->db, c->plan.app_idx);
	uint32_t period_s = 0;

	if (c->plan.hb_dst == MESH_ADDR_UNASSIGNED)
		return false;
	mesh_cfg_hb_period_from_log(period_log, &period_s);
	if (hb->present && hb->address == c->plan.hb_dst && hb->period_s == period_s &&
	    hb->ttl == c->plan.hb_ttl && hb->features == c->plan.hb_features)
		return false;
	req->opcode = MESH_OP_CFG_HB_PUB_SET;
	req->hb_pub.dst = c->plan.hb_dst;
	req->hb_pub.count_log = MESH_CFG_HB_COUNT_LOG_INFINITE;
	req->hb_pub.period_log = period_log;
	req->hb_pub.ttl = c->plan.hb_ttl;
	req->hb_pub.features = c->plan.hb_features;
	req->hb_pub.net_idx = k->bound_net_key;
	snprintf(item, len, "heartbeats to 0x%04x every %u s", c->plan.hb_dst, period_s);
	return true;
}

static bool next_setting(struct gw_configure *c, struct netdb_node *node,
			 struct mesh_cfg_msg *req, char *item, size_t len)
{
	const struct netdb_transmit *nt = &node->network_transmit;
	uint8_t v;

	if (c->plan.default_ttl &&
	    !(node->has_default_ttl && node->default_ttl == c->plan.default_ttl)) {
		req->opcode = MESH_OP_CFG_DEFAULT_TTL_SET;
		req->value = c->plan.default_ttl;
		snprintf(item, len, "default TTL %u", c->plan.default_ttl);
		return true;
	}
	if (c->plan.has_net_transmit &&
	    !(nt->present && nt->count == c->plan.net_transmit_count &&
	      (nt->count == 1 || nt->interval_ms == c->plan.net_transmit_interval_ms)) &&
	    mesh_cfg_net_transmit_make(c->plan.net_transmit_count,
				       c->plan.net_transmit_interval_ms, &v) == 0) {
		req->opcode = MESH_OP_CFG_NET_TRANSMIT_SET;
		req->value = v;
		snprintf(item, len, "network transmit %u x %u ms", c->plan.net_transmit_count,
			 c->plan.net_transmit_interval_ms);
		return true;
	}
	return false;
}

static const item_finder finders[] = {
	[GW_CONFIGURE_COMPOSITION] = next_composition,
	[GW_CONFIGURE_APPKEY] = next_appkey,
	[GW_CONFIGURE_BIND] = next_bind,
	[GW_CONFIGURE_SUBSCRIBE] = next_subscribe,
	[GW_CONFIGURE_PUBLISH] = next_publish,
	[GW_CONFIGURE_HEARTBEAT] = next_heartbeat,
	[GW_CONFIGURE_SETTINGS] = next_setting,
};

/* ---- running ---------------------------------------------------------------- */

static void report(struct gw_configure *c)
{
	if (c->ops->progress)
		c->ops->progress(c->ctx, &c->report);
}

static void finish(struct gw_configure *c, enum gw_configure_outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finish(struct gw_configure *c, enum gw_configure_outcome outcome, const char *fmt, ...)
{
	va_list ap;

	c->running = false;
	c->current = NULL;
	c->report.outcome = outcome;
	c->report.why[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(c->report.why, sizeof(c->report.why), fmt, ap);
		va_end(ap);
	}
	if (outcome == GW_CONFIGURE_FAILED)
		mesh_log_warn(LOG, "node 0x%04x: %s step failed: %s", c->node,
			      gw_configure_step_name(c->report.step), c->report.why);
	report(c);
}

/* A record is done once its request is over and no late status can come
 * for it any more (mesh_acked's late window). */
static void requests_prune(struct gw_configure *c)
{
	uint64_t now = mesh_timers_now(c->timers);

	for (struct cfg_request **p = &c->requests; *p;) {
		struct cfg_request *r = *p;

		if (r->final && r != c->current &&
		    now - r->final_ms > MESH_ACKED_LATE_WINDOW_MS + 1000u) {
			*p = r->next;
			free(r);
			continue;
		}
		p = &r->next;
	}
}

static int save_db(struct gw_configure *c)
{
	return c->ops->save ? c->ops->save(c->ctx) : 0;
}

static void configure_next(struct gw_configure *c);

static void on_request_done(void *ctx, enum mesh_acked_event ev, uint16_t src,
			    const struct mesh_cfg_msg *status);

static int send_item(struct gw_configure *c, const struct mesh_cfg_msg *req)
{
	struct cfg_request *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return -ENOMEM;
	r->owner = c;
	r->msg = *req;
	r->next = c->requests;
	c->requests = r;
	c->current = r;
	c->report.requests++;
	rc = c->ops->send(c->ctx, c->node, req, on_request_done, r);
	if (rc) {
		c->current = NULL;
		r->final = true;
		r->final_ms = mesh_timers_now(c->timers);
	}
	return rc;
}

static uint8_t status_code(const struct mesh_cfg_msg *st)
{
	switch (st->opcode) {
	case MESH_OP_CFG_APPKEY_STATUS: return st->app_key.status;
	case MESH_OP_CFG_NETKEY_STATUS: return st->net_key.status;
	case MESH_OP_CFG_MODEL_APP_STATUS: return st->model_app.status;
	case MESH_OP_CFG_MODEL_SUB_STATUS: return st->model_sub.status;
	case MESH_OP_CFG_MODEL_PUB_STATUS: return st->model_pub.status;
	case MESH_OP_CFG_HB_PUB_STATUS: return st->hb_pub.status;
	case MESH_OP_CFG_HB_SUB_STATUS: return st->hb_sub.status;
	default: return MESH_CFG_SUCCESS;
	}
}

static void on_request_done(void *ctx, enum mesh_acked_event ev, uint16_t src,
			    const struct mesh_cfg_msg *status)
{
	struct cfg_request *r = ctx;
	struct gw_configure *c = r->owner;
	const char *why = NULL;
	int rc = 0;

	if ((ev == MESH_ACKED_STATUS || ev == MESH_ACKED_LATE) && status) {
		rc = gw_cfg_apply(c->db, src, &r->msg, status, &why);
		if (rc > 0 && save_db(c))
			mesh_log_error(LOG, "node 0x%04x: the database could not be saved", src);
	}
	if (ev == MESH_ACKED_LATE) {
		mesh_log_info(LOG, "node 0x%04x: late %s applied", src,
			      mesh_cfg_opcode_name(status ? status->opcode : 0));
		if (c->ops->late && status)
			c->ops->late(c->ctx, src, status);
		return;
	}
	r->final = true;
	r->final_ms = mesh_timers_now(c->timers);
	if (c->current != r)
		return;  /* the workflow moved on (canceled, failed) */
	c->current = NULL;
	switch (ev) {
	case MESH_ACKED_STATUS:
		if (status_code(status) != MESH_CFG_SUCCESS) {
			finish(c, GW_CONFIGURE_FAILED, "%s: %s", c->last_item,
			       mesh_cfg_status_str(status_code(status)));
			return;
		}
		if (rc < 0) {
			finish(c, GW_CONFIGURE_FAILED, "%s: %s", c->last_item,
			       why ? why : "the status cannot be recorded");
			return;
		}
		configure_next(c);
		return;
	case MESH_ACKED_TIMEOUT:
		finish(c, GW_CONFIGURE_FAILED, "%s: no response from the node", c->last_item);
		return;
	case MESH_ACKED_FAILED:
		finish(c, GW_CONFIGURE_FAILED, "%s: not sent", c->last_item);
		return;
	default:
		finish(c, GW_CONFIGURE_CANCELED, NULL);
		return;
	}
}

static void configure_next(struct gw_configure *c)
{
	struct netdb_node *node = netdb_node_by_address(c->db, c->node);
	struct mesh_cfg_msg req;
	char item[sizeof(c->last_item)];
	int rc;

	requests_prune(c);
	if (!node) {
		finish(c, GW_CONFIGURE_FAILED, "the node left the network database");
		return;
	}
	while (c->report.step < GW_CONFIGURE_DONE) {
		memset(&req, 0, sizeof(req));
		if (!finders[c->report.step](c, node, &req, item, sizeof(item))) {
			c->report.step++;
			c->last_item[0] = '\0';
			if (c->report.step < GW_CONFIGURE_DONE)
				report(c);
			continue;
		}
		if (strcmp(item, c->last_item) == 0) {
			/* Success came back but the record does not show it. */
			finish(c, GW_CONFIGURE_FAILED, "%s: the node answered Success, but its "
			       "status does not say the change was made", item);
			return;
		}
		memcpy(c->last_item, item, sizeof(item));
		rc = send_item(c, &req);
		if (rc)
			finish(c, GW_CONFIGURE_FAILED, "%s: not sent: %s", item,
			       rc == -ENOMEM ? "out of memory" : mesh_strerror(rc));
		return;
	}
	node->config_complete = true;
	if (save_db(c)) {
		finish(c, GW_CONFIGURE_FAILED, "configured, but the database could not be saved");
		return;
	}
	finish(c, GW_CONFIGURE_OK, NULL);
}

/* ---- API -------------------------------------------------------------------- */

int gw_configure_create(struct gw_configure **out, struct netdb *db, struct mesh_timers *timers,
			const struct gw_configure_ops *ops, void *ctx)
{
	struct gw_configure *c;

	if (!db || !timers || !ops || !ops->send)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->db = db;
	c->timers = timers;
	c->ops = ops;
	c->ctx = ctx;
	*out = c;
	return 0;
}

void gw_configure_destroy(struct gw_configure *c)
{
	if (!c)
		return;
	while (c->requests) {
		struct cfg_request *r = c->requests;

		c->requests = r->next;
		free(r);
	}
	free(c);
}

int gw_configure_start(struct gw_configure *c, uint16_t node, const struct gw_config_plan *plan)
{
	struct netdb_node *n = netdb_node_by_address(c->db, node);

	if (c->running)
		return -EBUSY;
	if (!n || n->unicast != node)
		return -ENOENT;
	if (!netdb_app_key(c->db, plan->app_idx))
		return -EINVAL;
	memset(&c->report, 0, sizeof(c->report));
	c->plan = *plan;
	c->node = node;
	c->running = true;
	c->report.node = node;
	c->report.outcome = GW_CONFIGURE_RUNNING;
	c->report.step = GW_CONFIGURE_COMPOSITION;
	c->last_item[0] = '\0';
	n->config_complete = false;
	report(c);
	configure_next(c);
	return 0;
}

bool gw_configure_wishes_met(const struct gw_configure *c, uint16_t node,
			     const struct gw_config_plan *wishes)
{
	static const enum gw_configure_step steps[] = {
		GW_CONFIGURE_SUBSCRIBE, GW_CONFIGURE_PUBLISH, GW_CONFIGURE_SETTINGS,
	};
	/* The item finders read only the plan and the database: a probe with
	 * those two asks them without touching a run under way. */
	struct gw_configure probe = { .db = c->db, .plan = *wishes };
	struct netdb_node *n = netdb_node_by_address(c->db, node);
	struct mesh_cfg_msg req;
	char item[sizeof(probe.last_item)];

	if (!n || n->unicast != node)
		return true;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		memset(&req, 0, sizeof(req));
		if (finders[steps[i]](&probe, n, &req, item, sizeof(item)))
			return false;
	}
	return true;
}

void gw_configure_cancel(struct gw_configure *c)
{
	if (c->running)
		finish(c, GW_CONFIGURE_CANCELED, NULL);
}

bool gw_configure_busy(const struct gw_configure *c)
{
	return c->running;
}

const struct gw_configure_report *gw_configure_last(const struct gw_configure *c)
{
	return &c->report;
}
