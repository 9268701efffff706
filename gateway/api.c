/*
 * The request dispatcher (api.h).
 *
 * A call that waits for the mesh is a struct gw_api_call: it counts the
 * mesh requests still running for it (pending) and waits for an event
 * (provisioning or configuration of its node). It is answered once, and
 * freed when answered and nothing refers to it any more.
 *
 * Every error is of one kind: refuse() for a parameter that is missing,
 * wrong or names nothing known (nothing was sent to the mesh), fail() for
 * a valid request that could not be done (busy, not answered, pinned by
 * the configuration file, out of memory). A request that reached the mesh
 * and went wrong there is always a failure.
 */
#include "gateway/api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gateway/groups.h"
#include "gateway/json_path.h"
#include "mesh/addr.h"
#include "mesh/cfg_msg.h"
#include "mesh/crypto.h"
#include "mesh/err.h"
#include "mesh/light_msg.h"
#include "mesh/log.h"
#include "mesh/sensor_msg.h"
#include "mesh/util.h"

#define LOG "api"
#define ERR_MAX 256
#define SET_MESSAGES_MAX 4

enum call_wait {
	WAIT_NONE,
	WAIT_PROVISION,      /* uuid */
	WAIT_CONFIGURE,      /* addr */
	WAIT_NAMED,          /* provisioned: addr, data; answered with the registry's name */
};

/*
 * Whom to answer: a caller of gw_api_call_ex() (result, with the kind of
 * error) or of gw_api_call() (reply, the sentence only). Exactly one of
 * result and reply is set, or neither once the caller is forgotten.
 */
struct api_to {
	gw_api_result_fn result;
	gw_api_reply_fn reply;
	void *ctx;
};

struct gw_api_call {
	struct gw_api *api;              /* NULL once detached (api closed) */
	struct api_to to;
	bool answered;
	enum call_wait wait;
	uint8_t uuid[16];
	uint16_t addr;
	char name[NETDB_NAME_MAX];       /* provision: the name to give */
	unsigned int pending;            /* mesh requests running */
	unsigned int failures;
	char error[ERR_MAX];             /* the first failure */
	json_t *data;                    /* the answer being built */
	bool force;                      /* node/remove */
	bool answer_state;               /* entity/set, entity/get: the element's state at the end */
	struct gw_api_call *next;
};

/* ---- answering ------------------------------------------------------------------ */

/* Error sentences are cut at ERR_MAX octets, which can split a quoted
 * name's UTF-8 character: JSON encoders refuse such a string, so the
 * answer would lose its error. Cut before the partial character. */
static size_t utf8_whole_length(const char *s)
{
	size_t len = strlen(s), start = len;
	size_t need;
	unsigned char lead;

	while (start > 0 && ((unsigned char)s[start - 1] & 0xc0) == 0x80 && len - start < 3)
		start--;
	if (start == 0)
		return len;
	lead = (unsigned char)s[start - 1];
	if (lead < 0xc0)
		return len;
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	return len - (start - 1) >= need ? len : start - 1;
}

static void answer(const struct api_to *to, const json_t *data, enum gw_api_error kind,
		   const char *error)
{
	char whole[ERR_MAX];

	if (error) {
		size_t n = utf8_whole_length(error);

		if (n < strlen(error) && n < sizeof(whole)) {
			memcpy(whole, error, n);
			whole[n] = '\0';
			error = whole;
		}
	}
	if (to->result)
		to->result(to->ctx, error ? NULL : data, error ? kind : GW_API_OK, error);
	else if (to->reply)
		to->reply(to->ctx, error ? NULL : data, error);
}

static void answer_new(const struct api_to *to, json_t *data)
{
	answer(to, data, GW_API_OK, NULL);
	json_decref(data);
}

static void answer_ok(const struct api_to *to)
{
	answer_new(to, json_object());
}

/* A parameter is missing, wrong or names nothing known. */
static void refuse(const struct api_to *to, const char *error)
{
	answer(to, NULL, GW_API_ERR_PARAMS, error);
}

/* The request was valid, but could not be done. */
static void fail(const struct api_to *to, const char *error)
{
	answer(to, NULL, GW_API_ERR_FAILED, error);
}

static void call_unlink(struct gw_api_call *c)
{
	if (!c->api)
		return;
	for (struct gw_api_call **p = &c->api->calls; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	c->api = NULL;
}

static void call_maybe_free(struct gw_api_call *c)
{
	if (!c->answered || c->pending)
		return;
	call_unlink(c);
	json_decref(c->data);
	free(c);
}

static void call_answer(struct gw_api_call *c, const json_t *data, enum gw_api_error kind,
			const char *error)
{
	if (c->answered)
		return;
	c->answered = true;
	answer(&c->to, data, kind, error);
	call_maybe_free(c);
}

static void call_answer_new(struct gw_api_call *c, json_t *data)
{
	call_answer(c, data, GW_API_OK, NULL);
	json_decref(data);
}

static void call_fail(struct gw_api_call *c, enum gw_api_error kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void call_fail(struct gw_api_call *c, enum gw_api_error kind, const char *fmt, ...)
{
	char msg[ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	call_answer(c, NULL, kind, msg);
}

static struct gw_api_call *call_new(struct gw_api *api, const struct api_to *to)
{
	struct gw_api_call *c = calloc(1, sizeof(*c));

	if (!c) {
		fail(to, "out of memory");
		return NULL;
	}
	c->api = api;
	c->to = *to;
	c->next = api->calls;
	api->calls = c;
	return c;
}

/* A mesh request of the call finished: answer when the last one has.
 * A request that went wrong is a failure: the parameters were checked
 * before anything was sent. */
/* Looked up when the answer is due: the registry may have been rebuilt
 * while the mesh answered. */
static json_t *element_state_json(const struct gw_app *app, uint16_t addr)
{
	const struct gw_entity *e = gw_registry_entity_by_addr(&app->reg, addr);

	return e ? gw_app_entity_state(app, e) : json_object();
}

static void call_request_done(struct gw_api_call *c, const char *error)
{
	if (error && !c->failures++)
		snprintf(c->error, sizeof(c->error), "%s", error);
	if (c->pending)
		c->pending--;
	if (c->pending)
		return;
	/* Answering frees c (nothing else refers to it any more). */
	if (c->answered)
		call_maybe_free(c);
	else if (c->failures)
		call_answer(c, NULL, GW_API_ERR_FAILED, c->error);
	else if (c->data)
		call_answer(c, c->data, GW_API_OK, NULL);
	else if (c->answer_state && c->api)
		call_answer_new(c, element_state_json(c->api->app, c->addr));
	else
		call_answer_new(c, json_object());
}

/* ---- parameters -------------------------------------------------------------------- */

/* Each getter: 0 found, 1 absent (and optional), -1 error written to err. */

static int param_string(const json_t *params, const char *key, bool required, const char **out,
			char *err)
{
	const json_t *v = params ? json_object_get(params, key) : NULL;

	if (!v) {
		if (required)
			snprintf(err, ERR_MAX, "%s: missing", key);
		return required ? -1 : 1;
	}
	if (!json_is_string(v) || !json_string_length(v)) {
		snprintf(err, ERR_MAX, "%s: expected a non-empty string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int param_bool(const json_t *params, const char *key, bool *out, char *err)
{
	const json_t *v = params ? json_object_get(params, key) : NULL;

	if (!v)
		return 1;
	if (!json_is_boolean(v)) {
		snprintf(err, ERR_MAX, "%s: expected true or false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

static int param_uint(const json_t *params, const char *key, long long min, long long max,
		      long long *out, char *err)
{
	const json_t *v = params ? json_object_get(params, key) : NULL;

	if (!v)
		return 1;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, ERR_MAX, "%s: expected an integer %lld..%lld", key, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* Unknown members are errors: a typo never passes silently. */
static int params_check(const json_t *params, const char *const *allowed, char *err)
{
	const char *key;
	const json_t *v;

	if (params && !json_is_object(params)) {
		snprintf(err, ERR_MAX, "parameters must be a JSON object");
		return -1;
	}
	json_object_foreach((json_t *)params, key, v) {
		bool ok = false;

		(void)v;
		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = strcmp(allowed[i], key) == 0;
		if (!ok) {
			snprintf(err, ERR_MAX, "unknown parameter '%s'", key);
			return -1;
		}
	}
	return 0;
}

static int param_node(struct gw_api *api, const json_t *params, const char *key,
		      const struct gw_reg_node **out, char *err)
{
	const char *what;

	if (param_string(params, key, true, &what, err))
		return -1;
	*out = gw_registry_resolve_node(&api->app->reg, what);
	if (!*out || (*out)->is_self) {
		snprintf(err, ERR_MAX, "%s: no node called '%s' (a name, a UUID or an address)", key,
			 what);
		return -1;
	}
	return 0;
}

/* ---- simple views ------------------------------------------------------------------- */

static void api_health_check(struct gw_api *api, const struct api_to *to)
{
	const struct gw_app *app = api->app;
	json_t *d = json_object();
	int online = 0, offline = 0;

	for (size_t i = 0; i < app->reg.n_nodes; i++) {
		if (app->reg.nodes[i].is_self)
			continue;
		if (gw_app_node_online(app, app->reg.nodes[i].addr))
			online++;
		else
			offline++;
	}
	json_object_set_new(d, "healthy", json_true());
	json_object_set_new(d, "nodes_online", json_integer(online));
	json_object_set_new(d, "nodes_offline", json_integer(offline));
	answer_new(to, d);
}

static json_t *addr_json(uint16_t a)
{
	char s[8];

	snprintf(s, sizeof(s), "0x%04x", a);
	return json_string(s);
}

static void api_networkmap(struct gw_api *api, const struct api_to *to)
{
	const struct gw_app *app = api->app;
	uint16_t self = gw_node_address(&app->core.node);
	json_t *d = json_object(), *nodes = json_array(), *links = json_array();

	for (size_t i = 0; i < app->reg.n_nodes; i++) {
		const struct gw_reg_node *rn = &app->reg.nodes[i];
		const struct liveness_node *ln = liveness_find(app->core.liveness, rn->addr);
		json_t *n = json_object();

		json_object_set_new(n, "address", addr_json(rn->addr));
		json_object_set_new(n, "name", json_string(rn->name));
		json_object_set_new(n, "gateway", json_boolean(rn->is_self));
		if (!rn->is_self)
			json_object_set_new(n, "availability",
					    json_string(gw_app_node_online(app, rn->addr) ? "online"
											 : "offline"));
		json_array_append_new(nodes, n);
		if (rn->is_self || !ln || !ln->count)
			continue;
		/* Heartbeats tell the hops from the node to the gateway, not
		 * the path: one link per node, labelled with what was measured. */
		n = json_object();
		json_object_set_new(n, "source", addr_json(rn->addr));
		json_object_set_new(n, "target", addr_json(self));
		json_object_set_new(n, "hops", json_integer(ln->hops));
		json_object_set_new(n, "min_hops", json_integer(ln->min_hops));
		json_object_set_new(n, "max_hops", json_integer(ln->max_hops));
		json_object_set_new(n, "rssi", ln->rssi == MESH_RSSI_UNKNOWN ? json_null()
									    : json_integer(ln->rssi));
		json_array_append_new(links, n);
	}
	json_object_set_new(d, "nodes", nodes);
	json_object_set_new(d, "links", links);
	answer_new(to, d);
}

static void api_backup(struct gw_api *api, const struct api_to *to)
{
	char *text = netdb_to_json(api->app->core.db);
	json_t *cdb = text ? json_loads(text, 0, NULL) : NULL;

	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	if (!cdb) {
		fail(to, "the network database could not be exported");
		return;
	}
	answer_new(to, cdb);
}

/* ---- provisioning -------------------------------------------------------------------- */

static void api_scan(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	static const char *const allowed[] = { "action", "duration", NULL };
	const char *action = "start";
	long long duration = GW_PROV_SCAN_DEFAULT_S;
	char err[ERR_MAX];
	json_t *d;
	int rc;

	if (params_check(params, allowed, err) ||
	    param_string(params, "action", false, &action, err) < 0 ||
	    param_uint(params, "duration", 1, 3600, &duration, err) < 0) {
		refuse(to, err);
		return;
	}
	if (strcmp(action, "stop") == 0) {
		gw_prov_scan_stop(api->app->core.prov);
		answer_ok(to);
		return;
	}
	if (strcmp(action, "start") != 0) {
		refuse(to, "action: expected start or stop");
		return;
	}
	rc = gw_prov_scan(api->app->core.prov, (unsigned int)duration);
	if (rc) {
		fail(to, "the scan could not be started");
		return;
	}
	d = json_object();
	json_object_set_new(d, "duration", json_integer(duration));
	answer_new(to, d);
}

static int method_of(const char *s)
{
	static const char *const names[] = { "none", "static", "output", "input" };

	if (strcmp(s, "auto") == 0)
		return MESH_PROV_METHOD_AUTO;
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -2;
}

static int provision_params(struct gw_api *api, const json_t *params, struct gw_prov_params *p,
			    const char **name, char *err)
{
	static const char *const allowed[] = { "uuid", "name", "method", "static_oob",
					       "attention", NULL };
	const char *uuid, *method = "auto", *oob = NULL;
	long long attention = 0;
	size_t n;

	memset(p, 0, sizeof(*p));
	*name = NULL;
	if (params_check(params, allowed, err) || param_string(params, "uuid", true, &uuid, err) ||
	    param_string(params, "name", false, name, err) < 0 ||
	    param_string(params, "method", false, &method, err) < 0 ||
	    param_string(params, "static_oob", false, &oob, err) < 0 ||
	    param_uint(params, "attention", 0, 255, &attention, err) < 0)
		return -1;
	if (gw_parse_hex_dashed(uuid, p->uuid, 16) < 0) {
		snprintf(err, ERR_MAX, "uuid: expected 32 hex digits (dashes allowed)");
		return -1;
	}
	p->method = method_of(method);
	if (p->method == -2) {
		snprintf(err, ERR_MAX, "method: expected auto, none, static, output or input");
		return -1;
	}
	if (oob) {
		n = strlen(oob) / 2;
		if ((n != 16 && n != 32) || gw_parse_hex_dashed(oob, p->static_oob, n) < 0) {
			snprintf(err, ERR_MAX, "static_oob: expected 32 or 64 hex digits");
			return -1;
		}
		p->static_oob_len = (uint8_t)n;
	}
	p->attention_s = (uint8_t)attention;
	if (*name && gw_registry_name_problem(*name)) {
		snprintf(err, ERR_MAX, "name: %s", gw_registry_name_problem(*name));
		return -1;
	}
	if (*name && (gw_registry_node_by_name(&api->app->reg, *name) ||
		      gw_registry_entity_by_name(&api->app->reg, *name))) {
		snprintf(err, ERR_MAX, "name: '%s' is taken", *name);
		return -1;
	}
	return 0;
}

static void api_provision(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	struct gw_prov_params p;
	const char *name;
	char err[ERR_MAX];
	struct gw_api_call *c;
	int rc;

	if (provision_params(api, params, &p, &name, err)) {
		refuse(to, err);
		return;
	}
	rc = gw_prov_start(api->app->core.prov, &p, err, sizeof(err));
	if (rc == -EINVAL || rc == -EEXIST) {
		refuse(to, err);
		return;
	}
	if (rc < 0) {
		fail(to, err);
		return;
	}
	c = call_new(api, to);
	if (!c)
		return;
	c->wait = WAIT_PROVISION;
	memcpy(c->uuid, p.uuid, 16);
	if (name)
		snprintf(c->name, sizeof(c->name), "%s", name);
}

static void api_oob(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	static const char *const allowed[] = { "value", NULL };
	const json_t *v = params ? json_object_get(params, "value") : NULL;
	char err[ERR_MAX], num[24];
	const char *value;
	int rc;

	if (params_check(params, allowed, err)) {
		refuse(to, err);
		return;
	}
	/* A number shown on a device may well arrive as a JSON number. */
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		value = num;
	} else if (param_string(params, "value", true, &value, err)) {
		refuse(to, err);
		return;
	}
	err[0] = '\0';
	rc = gw_prov_oob(api->app->core.prov, value, err, sizeof(err));
	if (rc == -EINVAL) {
		refuse(to, err);
		return;
	}
	if (rc < 0) {
		fail(to, err[0] ? err : "no provisioning is waiting for an OOB value");
		return;
	}
	answer_ok(to);
}

/* ---- nodes ----------------------------------------------------------------------------- */

static const char *name_pinned(const struct gw_app *app, const struct gw_reg_node *rn, char *err)
{
	if (!rn->name_from_config)
		return NULL;
	snprintf(err, ERR_MAX, "'%.60s' is named in %.100s line %u; change it there and reload",
		 rn->name, app->cfg.file[0] ? app->cfg.file : "the built-in configuration",
		 rn->conf->mark.line);
	return err;
}

/* 0 renamed, or the kind of error written to err. */
static enum gw_api_error rename_node(struct gw_api *api, const struct gw_reg_node *rn,
				     const char *to, char *err)
{
	struct netdb_node *n = netdb_node_by_address(api->app->core.db, rn->addr);
	const char *why = gw_registry_name_problem(to);

	if (why) {
		snprintf(err, ERR_MAX, "name: %s", why);
		return GW_API_ERR_PARAMS;
	}
	/* A well-formed request that meshgate may not carry out. */
	if (name_pinned(api->app, rn, err))
		return GW_API_ERR_FAILED;
	if (strcmp(rn->name, to) != 0 && (gw_registry_node_by_name(&api->app->reg, to) ||
					  gw_registry_entity_by_name(&api->app->reg, to))) {
		snprintf(err, ERR_MAX, "name: '%s' is taken", to);
		return GW_API_ERR_PARAMS;
	}
	if (!n) {
		snprintf(err, ERR_MAX, "node: not in the network database");
		return GW_API_ERR_PARAMS;
	}
	snprintf(n->name, sizeof(n->name), "%s", to);
	if (gw_app_save(api->app) < 0) {
		snprintf(err, ERR_MAX, "the network database could not be saved");
		return GW_API_ERR_FAILED;
	}
	gw_app_changed(api->app);
	return GW_API_OK;
}

static void api_node_rename(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	static const char *const allowed[] = { "node", "name", NULL };
	const struct gw_reg_node *rn;
	const char *new_name;
	enum gw_api_error kind;
	char err[ERR_MAX];
	json_t *d;

	if (params_check(params, allowed, err) || param_node(api, params, "node", &rn, err) ||
	    param_string(params, "name", true, &new_name, err)) {
		refuse(to, err);
		return;
	}
	kind = rename_node(api, rn, new_name, err);
	if (kind != GW_API_OK) {
		answer(to, NULL, kind, err);
		return;
	}
	d = json_object();
	json_object_set_new(d, "address", addr_json(rn->addr));
	json_object_set_new(d, "name", json_string(new_name));
	answer_new(to, d);
}

static void api_node_info(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	static const char *const allowed[] = { "node", NULL };
	const struct gw_reg_node *rn;
	const char *what;
	char err[ERR_MAX];
	json_t *d;

	if (params_check(params, allowed, err) || param_string(params, "node", true, &what, err)) {
		refuse(to, err);
		return;
	}
	/* meshgate's own node has a detail page too. */
	rn = gw_registry_resolve_node(&api->app->reg, what);
	if (!rn) {
		snprintf(err, sizeof(err), "node: no node called '%s' (a name, a UUID or an "
			 "address)", what);
		refuse(to, err);
		return;
	}
	d = gw_app_node_info_json(api->app, rn);
	if (!d) {
		fail(to, "node: not in the network database");
		return;
	}
	answer_new(to, d);
}

static void api_node_configure(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	static const char *const allowed[] = { "node", NULL };
	const struct gw_reg_node *rn;
	struct gw_api_call *c;
	char err[ERR_MAX];
	int rc;

	if (params_check(params, allowed, err) || param_node(api, params, "node", &rn, err)) {
		refuse(to, err);
		return;
	}
	/* Waiting before starting: a node with nothing left to configure
	 * reports its outcome before gw_core_configure() returns. */
	c = call_new(api, to);
	if (!c)
		return;
	c->wait = WAIT_CONFIGURE;
	c->addr = rn->addr;
	c->pending++;
	rc = gw_core_configure(&api->app->core, rn->addr, NULL);
	c->pending--;
	/* Behind another node's configuration, the call waits its turn. */
	if (rc)
		call_fail(c, GW_API_ERR_FAILED, "configuration not started: %s", mesh_strerror(rc));
	else
		call_maybe_free(c);
}

static void node_removed_answer(struct gw_api_call *c, uint16_t addr, bool answered_reset)
{
	struct gw_app *app = c->api ? c->api->app : NULL;
	json_t *d = json_object();

	json_object_set_new(d, "address", addr_json(addr));
	json_object_set_new(d, "reset", json_boolean(answered_reset));
	if (app) {
		gw_events_bridge(&app->events, GW_EV_NODE_REMOVED, d);
		gw_app_changed(app);
		/* It may keep its keys: the network moves on to new ones. */
		gw_app_key_refresh_soon(app);
		json_object_set_new(d, "key_refresh", json_string("started"));
	}
	call_answer(c, d, GW_API_OK, NULL);
	json_decref(d);
}

static void node_reset_done(void *ctx, enum mesh_acked_event ev, uint16_t src,
			    const struct mesh_cfg_msg *status)
{
	struct gw_api_call *c = ctx;

	(void)src;
	(void)status;
	if (ev == MESH_ACKED_LATE)
		return;
	if (c->pending)
		c->pending--;
	if (!c->api || c->answered) {
		call_maybe_free(c);
		return;
	}
	if (ev == MESH_ACKED_STATUS) {
		/* The core removes the node itself once the status is through. */
		node_removed_answer(c, c->addr, true);
	} else if (c->force && gw_core_remove_node(&c->api->app->core, c->addr) == 0) {
		node_removed_answer(c, c->addr, false);
	} else {
		call_fail(c, GW_API_ERR_FAILED, "node 0x%04x did not answer the Node Reset; it is "
			  "still in the network (send force: true to remove it anyway)", c->addr);
	}
}

static void api_node_remove(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	static const char *const allowed[] = { "node", "force", NULL };
	const struct gw_reg_node *rn;
	struct mesh_cfg_msg req = { .opcode = MESH_OP_CFG_NODE_RESET };
	struct gw_api_call *c;
	bool force = false;
	char err[ERR_MAX];
	int rc;

	if (params_check(params, allowed, err) || param_node(api, params, "node", &rn, err) ||
	    param_bool(params, "force", &force, err) < 0) {
		refuse(to, err);
		return;
	}
	c = call_new(api, to);
	if (!c)
		return;
	c->addr = rn->addr;
	c->force = force;
	c->pending = 1;
	rc = gw_core_cfg_send(&api->app->core, rn->addr, &req, node_reset_done, c);
	if (rc) {
		c->pending = 0;
		call_fail(c, GW_API_ERR_FAILED, "Node Reset not sent: %s", mesh_strerror(rc));
	}
}

/* ---- groups ---------------------------------------------------------------------------- */

static const struct gw_config_group *group_pinned(const struct gw_app *app, const char *name,
						  char *err)
{
	const struct gw_config_group *cg = gw_config_group_find(&app->cfg, name);

	if (cg)
		snprintf(err, ERR_MAX, "group '%.60s' is defined in %.100s line %u; change it there and "
			 "reload", name, app->cfg.file[0] ? app->cfg.file : "the built-in "
			 "configuration", cg->mark.line);
	return cg;
}

/* GW_API_OK with the address in a, or the kind of error written to err. */
static enum gw_api_error group_address_param(struct gw_api *api, const json_t *params,
					      struct netdb_address *a, char *err)
{
	const json_t *addr = json_object_get(params, "address");
	const json_t *virt = json_object_get(params, "virtual");
	const char *s;
	char *end;
	unsigned long v;

	memset(a, 0, sizeof(*a));
	if (addr && virt) {
		snprintf(err, ERR_MAX, "give address or virtual, not both");
		return GW_API_ERR_PARAMS;
	}
	if (virt) {
		if (!json_is_string(virt)) {
			snprintf(err, ERR_MAX, "virtual: expected a Label UUID or \"auto\"");
			return GW_API_ERR_PARAMS;
		}
		s = json_string_value(virt);
		a->is_label = true;
		if (strcmp(s, "auto") == 0) {
			if (RAND_bytes(a->label, 16) != 1) {
				snprintf(err, ERR_MAX, "no random numbers for a Label UUID");
				return GW_API_ERR_FAILED;
			}
			a->label[6] = (uint8_t)((a->label[6] & 0x0f) | 0x40);
			a->label[8] = (uint8_t)((a->label[8] & 0x3f) | 0x80);
		} else if (gw_parse_hex_dashed(s, a->label, 16) < 0) {
			snprintf(err, ERR_MAX, "virtual: expected a Label UUID (32 hex digits) or "
				 "\"auto\"");
			return GW_API_ERR_PARAMS;
		}
		mesh_virtual_address(a->label, &a->address);
		return GW_API_OK;
	}
	if (!addr) {
		if (gw_groups_alloc_address(api->app->core.db, api->app->core.cfg.hb_group,
					    &a->address) < 0) {
			snprintf(err, ERR_MAX, "no group address left");
			return GW_API_ERR_FAILED;
		}
		return GW_API_OK;
	}
	if (json_is_integer(addr)) {
		v = (unsigned long)json_integer_value(addr);
	} else if (json_is_string(addr)) {
		s = json_string_value(addr);
		v = strtoul(s, &end, 0);
		if (*end || !*s)
			v = 0x10000;
	} else {
		v = 0x10000;
	}
	/* 0xff00..0xfffb are reserved for future fixed groups (Mesh Protocol
	 * 3.4.2.4): not for users' groups either. */
	if (v > 0xffff || !mesh_addr_is_group((uint16_t)v) || v >= 0xff00) {
		if (v <= 0xffff && mesh_addr_is_virtual((uint16_t)v))
			snprintf(err, ERR_MAX, "address: 0x%04lx is a virtual address; use 'virtual' "
				 "with a label UUID", v);
		else
			snprintf(err, ERR_MAX, "address: expected a group address 0xc000..0xfeff");
		return GW_API_ERR_PARAMS;
	}
	if (v == api->app->core.cfg.hb_group) {
		snprintf(err, ERR_MAX, "address: 0x%04lx is the heartbeat group", v);
		return GW_API_ERR_PARAMS;
	}
	a->address = (uint16_t)v;
	return GW_API_OK;
}

static json_t *group_json(const struct netdb_group *g)
{
	json_t *d = json_object();

	json_object_set_new(d, "name", json_string(g->name));
	json_object_set_new(d, "address", addr_json(g->address.address));
	return d;
}

static void api_group_add(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	static const char *const allowed[] = { "name", "address", "virtual", NULL };
	struct netdb_address a;
	enum gw_api_error kind;
	const char *name;
	char err[ERR_MAX];
	int rc;

	if (params_check(params, allowed, err) || param_string(params, "name", true, &name, err)) {
		refuse(to, err);
		return;
	}
	if (gw_registry_name_problem(name)) {
		snprintf(err, sizeof(err), "name: %s", gw_registry_name_problem(name));
		refuse(to, err);
		return;
	}
	if (gw_registry_node_by_name(&api->app->reg, name) ||
	    gw_registry_entity_by_name(&api->app->reg, name)) {
		snprintf(err, sizeof(err), "name: '%s' is taken", name);
		refuse(to, err);
		return;
	}
	kind = group_address_param(api, params, &a, err);
	if (kind != GW_API_OK) {
		answer(to, NULL, kind, err);
		return;
	}
	rc = gw_groups_add(api->app->core.db, name, &a, err, sizeof(err));
	if (rc == -ENOMEM) {
		fail(to, "out of memory");
		return;
	}
	if (rc) {
		refuse(to, err);
		return;
	}
	if (a.is_label)
		gw_core_label_add(&api->app->core, a.label, NULL);
	gw_app_save(api->app);
	gw_app_changed(api->app);
	answer_new(to, group_json(gw_groups_find_name(api->app->core.db, name)));
}

static void api_group_rename(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	static const char *const allowed[] = { "name", "new_name", NULL };
	const char *from, *new_name;
	char err[ERR_MAX];
	int rc;

	if (params_check(params, allowed, err) || param_string(params, "name", true, &from, err) ||
	    param_string(params, "new_name", true, &new_name, err)) {
		refuse(to, err);
		return;
	}
	if (group_pinned(api->app, from, err)) {
		fail(to, err);
		return;
	}
	if (gw_registry_name_problem(new_name)) {
		snprintf(err, sizeof(err), "new_name: %s", gw_registry_name_problem(new_name));
		refuse(to, err);
		return;
	}
	if (!gw_groups_find_name(api->app->core.db, from)) {
		snprintf(err, sizeof(err), "name: no group called '%s'", from);
		refuse(to, err);
		return;
	}
	/* Checked before renaming: a refused request changes nothing. */
	if (strcmp(from, new_name) && gw_registry_entity_by_name(&api->app->reg, new_name)) {
		snprintf(err, sizeof(err), "new_name: '%s' is taken", new_name);
		refuse(to, err);
		return;
	}
	rc = gw_groups_rename(api->app->core.db, from, new_name);
	if (rc) {
		snprintf(err, sizeof(err), "new_name: '%s' is taken", new_name);
		refuse(to, err);
		return;
	}
	gw_app_save(api->app);
	gw_app_changed(api->app);
	answer_new(to, group_json(gw_groups_find_name(api->app->core.db, new_name)));
}

/* One model's subscription change answered (or not). */
static void sub_done(void *ctx, enum mesh_acked_event ev, uint16_t src,
		     const struct mesh_cfg_msg *status)
{
	struct gw_api_call *c = ctx;
	char why[ERR_MAX];

	(void)src;
	if (ev == MESH_ACKED_LATE)
		return;
	/* The database changed (the core applied the status): members too. */
	if (ev == MESH_ACKED_STATUS && c->api)
		gw_app_changed(c->api->app);
	if (ev == MESH_ACKED_STATUS && status->model_sub.status == MESH_CFG_SUCCESS) {
		call_request_done(c, NULL);
	} else if (ev == MESH_ACKED_STATUS) {
		snprintf(why, sizeof(why), "element 0x%04x refused: %s", status->model_sub.elem_addr,
			 mesh_cfg_status_str(status->model_sub.status));
		call_request_done(c, why);
	} else {
		snprintf(why, sizeof(why), "the node did not answer");
		call_request_done(c, why);
	}
}

static void api_group_members(struct gw_api *api, const json_t *params, bool add,
			      const struct api_to *to)
{
	static const char *const allowed[] = { "group", "member", NULL };
	const char *gname, *member;
	const struct netdb_group *g;
	const struct gw_entity *e;
	const struct gw_reg_node *rn;
	struct gw_api_call *c;
	struct netdb_address a;
	uint16_t elem;
	char err[ERR_MAX];
	unsigned int sent;

	if (params_check(params, allowed, err) || param_string(params, "group", true, &gname, err) ||
	    param_string(params, "member", true, &member, err)) {
		refuse(to, err);
		return;
	}
	g = gw_groups_find_name(api->app->core.db, gname);
	if (!g) {
		snprintf(err, sizeof(err), "group: no group called '%s'", gname);
		refuse(to, err);
		return;
	}
	a = g->address;
	e = gw_registry_entity_by_name(&api->app->reg, member);
	rn = e ? NULL : gw_registry_resolve_node(&api->app->reg, member);
	if (e && e->kind == GW_ENTITY_ELEMENT)
		elem = e->addr;
	else if (rn && !rn->is_self)
		elem = rn->addr;
	else {
		snprintf(err, sizeof(err), "member: no element or node called '%s'", member);
		refuse(to, err);
		return;
	}
	c = call_new(api, to);
	if (!c)
		return;
	c->data = json_object();
	json_object_set_new(c->data, "group", json_string(gname));
	json_object_set_new(c->data, "member", addr_json(elem));
	c->pending++;  /* held while sending, so no answer comes half-way */
	sent = gw_core_subscription_send(&api->app->core, elem, &a, add, sub_done, c, &c->pending);
	if (sent == 0) {
		c->pending = 0;
		call_fail(c, GW_API_ERR_PARAMS, "member: %s has no light that can join a group",
			  member);
		return;
	}
	call_request_done(c, NULL);
}

/* By address, not by name: when a node has the group's name, the
 * registry shows the group under a suffixed one. */
static const struct gw_entity *group_entity_of(const struct gw_registry *reg,
					      const struct netdb_address *a)
{
	for (size_t i = 0; i < reg->n_entities; i++) {
		const struct gw_entity *e = &reg->entities[i];

		if (e->kind != GW_ENTITY_GROUP || e->addr != a->address || e->has_label != a->is_label)
			continue;
		if (!a->is_label || memcmp(e->label, a->label, 16) == 0)
			return e;
	}
	return NULL;
}

static void api_group_remove(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	static const char *const allowed[] = { "name", NULL };
	const struct gw_entity *ge;
	const char *name;
	char err[ERR_MAX];
	struct netdb_group *g;
	struct netdb_address a;

	if (params_check(params, allowed, err) || param_string(params, "name", true, &name, err)) {
		refuse(to, err);
		return;
	}
	if (group_pinned(api->app, name, err)) {
		fail(to, err);
		return;
	}
	g = gw_groups_find_name(api->app->core.db, name);
	if (!g) {
		snprintf(err, sizeof(err), "name: no group called '%s'", name);
		refuse(to, err);
		return;
	}
	a = g->address;
	/* Members leave the group first, so the address is not left behind
	 * in their subscription lists; their statuses update the database. */
	ge = group_entity_of(&api->app->reg, &a);
	for (size_t m = 0; ge && m < ge->n_members; m++) {
		static const struct api_to nobody;
		struct gw_api_call *c = call_new(api, &nobody);

		if (!c)
			break;
		c->answered = true;
		if (gw_core_subscription_send(&api->app->core, ge->members[m], &a, false, sub_done, c,
					      &c->pending) == 0)
			call_maybe_free(c);
	}
	gw_groups_remove(api->app->core.db, name);
	gw_app_save(api->app);
	gw_app_changed(api->app);
	answer_ok(to);
}

/* ---- entities ---------------------------------------------------------------------------- */

static void model_done(void *ctx, struct mesh_acked_req *req, const struct mesh_acked_result *r)
{
	struct gw_api_call *c = ctx;

	(void)req;
	if (r->event == MESH_ACKED_LATE)
		return;
	if (r->event == MESH_ACKED_STATUS || r->event == MESH_ACKED_DONE)
		call_request_done(c, NULL);
	else if (r->event == MESH_ACKED_TIMEOUT)
		call_request_done(c, "the device did not answer");
	else
		call_request_done(c, r->event == MESH_ACKED_CANCELED ? "canceled"
								   : mesh_strerror(r->err));
}

static const struct gw_entity *param_entity(struct gw_api *api, const json_t *params, char *err)
{
	const char *name;
	const struct gw_entity *e;

	if (param_string(params, "entity", true, &name, err))
		return NULL;
	e = gw_registry_entity_by_name(&api->app->reg, name);
	if (!e)
		snprintf(err, ERR_MAX, "entity: nothing called '%s'", name);
	return e;
}

static void api_entity_set(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	const struct gw_entity *e;
	struct gw_light_cmd cmd;
	struct mesh_model_msg msgs[SET_MESSAGES_MAX];
	struct gw_elem_state group;
	const struct gw_elem_state *cur;
	json_t *rest;
	struct gw_api_call *c;
	char err[ERR_MAX];
	int n, rc;

	if (params && !json_is_object(params)) {
		refuse(to, "parameters must be a JSON object");
		return;
	}
	e = param_entity(api, params, err);
	if (!e) {
		refuse(to, err);
		return;
	}
	if (!(e->caps & GW_CAP_LIGHT)) {
		snprintf(err, sizeof(err), "'%s' is not a light", e->name);
		refuse(to, err);
		return;
	}
	rest = json_deep_copy(params);
	json_object_del(rest, "entity");
	rc = gw_light_cmd_from_json(rest, &cmd, err, sizeof(err));
	json_decref(rest);
	if (rc) {
		refuse(to, err);
		return;
	}
	if (e->kind == GW_ENTITY_GROUP)
		cur = gw_app_group_state(api->app, e, &group) ? &group : NULL;
	else
		cur = gw_app_element_state(api->app, e, &group);
	n = gw_light_cmd_messages(&cmd, e, cur, msgs, SET_MESSAGES_MAX, err, sizeof(err));
	if (n < 0) {
		refuse(to, err);
		return;
	}
	c = call_new(api, to);
	if (!c)
		return;
	c->pending = 1;
	/* A unicast Set answers with the state its statuses left; a group's
	 * members answer later, on their own. */
	c->answer_state = e->kind != GW_ENTITY_GROUP;
	c->addr = e->addr;
	for (int i = 0; i < n; i++) {
		c->pending++;
		rc = gw_core_model_send(&api->app->core, e->addr, e->has_label ? e->label : NULL,
					&msgs[i], model_done, c);
		/* Groups: sent unacknowledged, no callback comes. */
		if (rc || e->kind == GW_ENTITY_GROUP)
			call_request_done(c, rc ? mesh_strerror(rc) : NULL);
	}
	call_request_done(c, NULL);
}

static int entity_gets(const struct gw_entity *e, uint32_t *ops)
{
	int n = 0;

	if (e->caps & GW_CAP_ONOFF)
		ops[n++] = MESH_OP_GEN_ONOFF_GET;
	if (e->caps & GW_CAP_LIGHTNESS)
		ops[n++] = MESH_OP_LIGHTNESS_GET;
	if (e->caps & GW_CAP_CTL)
		ops[n++] = MESH_OP_CTL_GET;
	if (e->caps & GW_CAP_HSL)
		ops[n++] = MESH_OP_HSL_GET;
	return n;
}

static void sensor_done(void *ctx, struct mesh_acked_req *req, const struct mesh_acked_result *r)
{
	model_done(ctx, req, r);
}

static void api_entity_get(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	static const char *const allowed[] = { "entity", NULL };
	const struct gw_entity *e;
	struct gw_api_call *c;
	uint32_t ops[4];
	char err[ERR_MAX];
	int n;

	if (params_check(params, allowed, err) || !(e = param_entity(api, params, err))) {
		refuse(to, err);
		return;
	}
	if (e->kind == GW_ENTITY_GROUP) {
		answer_new(to, gw_app_entity_state(api->app, e));
		return;
	}
	c = call_new(api, to);
	if (!c)
		return;
	c->pending = 1;
	c->addr = e->addr;
	n = entity_gets(e, ops);
	for (int i = 0; i < n; i++) {
		struct mesh_model_msg m = { .opcode = ops[i] };
		int rc;

		c->pending++;
		rc = gw_core_model_send(&api->app->core, e->addr, NULL, &m, model_done, c);
		if (rc)
			call_request_done(c, mesh_strerror(rc));
	}
	if (e->caps & GW_CAP_SENSOR) {
		uint8_t pdu[4];
		int len = mesh_access_opcode_encode(MESH_OP_SENSOR_GET, pdu, sizeof(pdu));
		int rc;

		c->pending++;
		rc = gw_core_app_request(&api->app->core, e->addr, NULL, pdu, (size_t)len,
					 MESH_OP_SENSOR_STATUS, sensor_done, c);
		if (rc)
			call_request_done(c, mesh_strerror(rc));
	}
	/* The answer is the state once every status is in. */
	c->data = NULL;
	c->answer_state = true;
	if (c->pending == 1) {
		c->pending = 0;
		call_fail(c, GW_API_ERR_PARAMS, "'%s' has nothing to read", e->name);
		return;
	}
	call_request_done(c, NULL);
}

/* ---- events: calls waiting for provisioning or configuration --------------------------------- */

static json_t *json_uuid_of(const uint8_t uuid[16])
{
	char s[37], hex[33];

	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", uuid[i]);
	snprintf(s, sizeof(s), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
		 hex + 20);
	return json_string(s);
}

static bool event_uuid(const json_t *data, uint8_t out[16])
{
	const json_t *u = json_object_get(data, "uuid");

	return json_is_string(u) && gw_parse_hex_dashed(json_string_value(u), out, 16) == 0;
}

static bool event_addr(const json_t *data, uint16_t *out)
{
	const json_t *a = json_object_get(data, "address");

	if (!json_is_string(a))
		return false;
	*out = (uint16_t)strtoul(json_string_value(a), NULL, 16);
	return true;
}

static void provision_finished(struct gw_api *api, struct gw_api_call *c, const struct gw_event *ev)
{
	uint16_t addr;
	json_t *d;

	if (strcmp(ev->type, GW_EV_PROV_FAILED) == 0) {
		const json_t *why = json_object_get(ev->data, "error");

		call_fail(c, GW_API_ERR_FAILED, "provisioning failed: %s",
			  json_is_string(why) ? json_string_value(why) : "unknown reason");
		return;
	}
	d = json_object();
	json_object_set_new(d, "uuid", json_uuid_of(c->uuid));
	json_object_set(d, "elements", json_object_get(ev->data, "elements"));
	if (!event_addr(ev->data, &addr)) {
		json_object_set_new(d, "name", json_string(c->name));
		call_answer_new(c, d);
		return;
	}
	json_object_set_new(d, "address", addr_json(addr));
	/* The registry learns the node at the next rebuild: name it in the
	 * database directly. */
	if (c->name[0]) {
		struct netdb_node *n = netdb_node_by_address(api->app->core.db, addr);

		if (n) {
			snprintf(n->name, sizeof(n->name), "%s", c->name);
			gw_app_save(api->app);
		}
	}
	gw_app_changed(api->app);
	/* The name it goes by (the file's, the one asked for, or its address,
	 * made unique) is known once the registry has it. */
	c->data = d;
	c->addr = addr;
	c->wait = WAIT_NAMED;
}

static void provision_named(struct gw_api *api, struct gw_api_call *c)
{
	const struct gw_reg_node *rn = gw_registry_node(&api->app->reg, c->addr);

	json_object_set_new(c->data, "name", json_string(rn ? rn->name : c->name));
	call_answer(c, c->data, GW_API_OK, NULL);
}

static void api_on_event(void *ctx, const struct gw_event *ev)
{
	struct gw_api *api = ctx;
	struct gw_api_call *next;
	uint8_t uuid[16];
	uint16_t addr;

	if (ev->kind == GW_EVENT_NODES) {
		for (struct gw_api_call *c = api->calls; c; c = next) {
			next = c->next;
			if (!c->answered && c->wait == WAIT_NAMED)
				provision_named(api, c);
		}
		return;
	}
	if (ev->kind != GW_EVENT_BRIDGE)
		return;
	for (struct gw_api_call *c = api->calls; c; c = next) {
		next = c->next;
		if (c->answered)
			continue;
		if (c->wait == WAIT_PROVISION && (strcmp(ev->type, GW_EV_PROV_COMPLETE) == 0 ||
						  strcmp(ev->type, GW_EV_PROV_FAILED) == 0) &&
		    event_uuid(ev->data, uuid) && memcmp(uuid, c->uuid, 16) == 0) {
			provision_finished(api, c, ev);
		} else if (c->wait == WAIT_CONFIGURE && event_addr(ev->data, &addr) &&
			   addr == c->addr && strcmp(ev->type, GW_EV_NODE_CONFIGURED) == 0) {
			call_answer(c, ev->data, GW_API_OK, NULL);
		} else if (c->wait == WAIT_CONFIGURE && event_addr(ev->data, &addr) &&
			   addr == c->addr && strcmp(ev->type, GW_EV_NODE_CONFIGURE_FAILED) == 0) {
			const json_t *why = json_object_get(ev->data, "error");

			call_fail(c, GW_API_ERR_FAILED, "configuration stopped: %s",
				  json_is_string(why) ? json_string_value(why) : "unknown reason");
		}
	}
}

/* ---- dispatch -------------------------------------------------------------------------------- */

int gw_api_init(struct gw_api *api, struct gw_app *app)
{
	memset(api, 0, sizeof(*api));
	api->app = app;
	return gw_events_subscribe(&app->events, api_on_event, api);
}

void gw_api_close(struct gw_api *api)
{
	gw_events_unsubscribe(&api->app->events, api_on_event, api);
	while (api->calls) {
		struct gw_api_call *c = api->calls;

		api->calls = c->next;
		c->api = NULL;
		/* Calls with mesh requests still running free themselves
		 * when those are canceled; the others are freed here, by
		 * the answer or just after it. */
		if (!c->answered) {
			call_answer(c, NULL, GW_API_ERR_FAILED, "meshgate is shutting down");
			continue;
		}
		call_maybe_free(c);
	}
}

void gw_api_forget(struct gw_api *api, void *ctx)
{
	for (struct gw_api_call *c = api->calls; c; c = c->next)
		if (c->to.ctx == ctx)
			memset(&c->to, 0, sizeof(c->to));
}

typedef void (*api_method_fn)(struct gw_api *api, const json_t *params, const struct api_to *to);

/* Views take no parameters; an unknown one is an error, as everywhere. */
static bool refuse_any_params(const json_t *params, const struct api_to *to)
{
	static const char *const none[] = { NULL };
	char err[ERR_MAX];

	if (!params_check(params, none, err))
		return false;
	refuse(to, err);
	return true;
}

static void api_info(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	if (refuse_any_params(params, to))
		return;
	answer_new(to, gw_app_info_json(api->app));
}

static void api_nodes(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	if (refuse_any_params(params, to))
		return;
	answer_new(to, gw_app_nodes_json(api->app));
}

static void api_groups(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	if (refuse_any_params(params, to))
		return;
	answer_new(to, gw_app_groups_json(api->app));
}

static void api_health(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	if (refuse_any_params(params, to))
		return;
	api_health_check(api, to);
}

static void api_map(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	if (refuse_any_params(params, to))
		return;
	api_networkmap(api, to);
}

static void api_backup_m(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	if (refuse_any_params(params, to))
		return;
	api_backup(api, to);
}

static void api_members_add(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	api_group_members(api, params, true, to);
}

static void api_members_remove(struct gw_api *api, const json_t *params, const struct api_to *to)
{
	api_group_members(api, params, false, to);
}

static const struct {
	const char *name;
	api_method_fn fn;
} api_methods[] = {
	{ "info", api_info },
	{ "nodes", api_nodes },
	{ "groups", api_groups },
	{ "health_check", api_health },
	{ "networkmap", api_map },
	{ "backup", api_backup_m },
	{ "scan", api_scan },
	{ "provision", api_provision },
	{ "oob", api_oob },
	{ "node/info", api_node_info },
	{ "node/rename", api_node_rename },
	{ "node/remove", api_node_remove },
	{ "node/configure", api_node_configure },
	{ "group/add", api_group_add },
	{ "group/remove", api_group_remove },
	{ "group/rename", api_group_rename },
	{ "group/members/add", api_members_add },
	{ "group/members/remove", api_members_remove },
	{ "entity/set", api_entity_set },
	{ "entity/get", api_entity_get },
};

static void dispatch(struct gw_api *api, const char *method, const json_t *params,
		     const struct api_to *to)
{
	char err[ERR_MAX];

	if (params && !json_is_object(params)) {
		refuse(to, "parameters must be a JSON object");
		return;
	}
	for (size_t i = 0; i < MESH_ARRAY_SIZE(api_methods); i++)
		if (strcmp(api_methods[i].name, method) == 0) {
			api_methods[i].fn(api, params, to);
			return;
		}
	snprintf(err, sizeof(err), "unknown request '%.100s'", method);
	answer(to, NULL, GW_API_ERR_UNKNOWN_METHOD, err);
}

void gw_api_call_ex(struct gw_api *api, const char *method, const json_t *params,
		    gw_api_result_fn result, void *ctx)
{
	struct api_to to = { .result = result, .ctx = ctx };

	dispatch(api, method, params, &to);
}

void gw_api_call(struct gw_api *api, const char *method, const json_t *params,
		 gw_api_reply_fn reply, void *ctx)
{
	struct api_to to = { .reply = reply, .ctx = ctx };

	dispatch(api, method, params, &to);
}

bool gw_api_method_exists(const char *method)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(api_methods); i++)
		if (strcmp(api_methods[i].name, method) == 0)
			return true;
	return false;
}
