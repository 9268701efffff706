/*
 * The MQTT bridge (bridge.h).
 */
#include "bridge/bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/discovery.h"
#include "mesh/bytes.h"
#include "mesh/log.h"

#define LOG "mqtt"
#define TOPIC_MAX MQTT_CONN_TOPIC_MAX
/* Entity names may have this many '/'-separated levels (the /set and /get
 * subscriptions use one '+' per level). */
#define NAME_LEVELS_MAX 5
#define STOP_TIMEOUT_MS 3000u

struct bridge_retained {
	char *topic;
	char *payload;          /* NULL: cleared */
	bool wanted;            /* seen in the sync running now */
};

/* ---- publishing ------------------------------------------------------------------- */

static void publish_raw(struct bridge *b, const char *topic, const char *payload, bool retain)
{
	int rc = mqtt_conn_publish(b->conn, topic, payload, strlen(payload), retain ? 1 : 0,
				   retain);

	if (rc < 0 && rc != -ENOTCONN)
		mesh_log_warn(LOG, "%s not published: %s", topic, strerror(-rc));
}

static char *json_text(const json_t *j)
{
	/* Sensor readings are short decimals: 21.5, not 21.500000000000004. */
	return json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
}

static void publish_json(struct bridge *b, const char *topic, const json_t *j, bool retain)
{
	char *text = json_text(j);

	if (!text)
		return;
	publish_raw(b, topic, text, retain);
	free(text);
}

static struct bridge_retained *retained_find(struct bridge *b, const char *topic)
{
	for (size_t i = 0; i < b->n_retained; i++)
		if (strcmp(b->retained[i].topic, topic) == 0)
			return &b->retained[i];
	return NULL;
}

static struct bridge_retained *retained_add(struct bridge *b, const char *topic)
{
	struct bridge_retained *r;

	if (b->n_retained == b->cap_retained) {
		size_t cap = b->cap_retained ? b->cap_retained * 2 : 64;
		struct bridge_retained *grown = realloc(b->retained, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		b->retained = grown;
		b->cap_retained = cap;
	}
	r = &b->retained[b->n_retained];
	r->topic = strdup(topic);
	r->payload = NULL;
	r->wanted = false;
	if (!r->topic)
		return NULL;
	b->n_retained++;
	return r;
}

/* A retained topic the bridge owns: published when new or changed, or
 * when force (after a connect). */
static void retained_set(struct bridge *b, const char *topic, const char *payload, bool force)
{
	struct bridge_retained *r = retained_find(b, topic);

	if (!r && !(r = retained_add(b, topic)))
		return;
	r->wanted = true;
	if (!force && r->payload && strcmp(r->payload, payload) == 0)
		return;
	free(r->payload);
	r->payload = strdup(payload);
	publish_raw(b, topic, payload, true);
}

static void retained_set_json(struct bridge *b, const char *topic, const json_t *j, bool force)
{
	char *text = json_text(j);

	if (!text)
		return;
	retained_set(b, topic, text, force);
	free(text);
}

/* Topics under prefix not wanted by the sync that just ran are cleared. */
static void retained_sweep(struct bridge *b, const char *prefix)
{
	size_t plen = strlen(prefix);

	for (size_t i = 0; i < b->n_retained;) {
		struct bridge_retained *r = &b->retained[i];

		if (r->wanted || strncmp(r->topic, prefix, plen) != 0) {
			r->wanted = false;
			i++;
			continue;
		}
		publish_raw(b, r->topic, "", true);
		free(r->topic);
		free(r->payload);
		b->retained[i] = b->retained[--b->n_retained];
	}
}

static void retained_free(struct bridge *b)
{
	for (size_t i = 0; i < b->n_retained; i++) {
		free(b->retained[i].topic);
		free(b->retained[i].payload);
	}
	free(b->retained);
	b->retained = NULL;
	b->n_retained = b->cap_retained = 0;
}

static void topic_of(const struct bridge *b, char *out, const char *name, const char *suffix)
{
	snprintf(out, TOPIC_MAX, "%s/%s%s%s", b->base, name, suffix ? "/" : "", suffix ? suffix : "");
}

/* ---- what the bridge publishes ------------------------------------------------------------ */

static void publish_bridge_json(struct bridge *b, const char *what, json_t *j, bool force)
{
	char topic[TOPIC_MAX];

	topic_of(b, topic, "bridge", what);
	if (j)
		retained_set_json(b, topic, j, force);
	json_decref(j);
}

static void publish_bridge_lists(struct bridge *b, bool force)
{
	publish_bridge_json(b, "info", gw_app_info_json(b->app), force);
	publish_bridge_json(b, "nodes", gw_app_nodes_json(b->app), force);
	publish_bridge_json(b, "groups", gw_app_groups_json(b->app), force);
}

static void publish_state(struct bridge *b, const struct gw_entity *e, const json_t *state,
			  bool force)
{
	char topic[TOPIC_MAX];

	/* Nothing known yet: Home Assistant's JSON light rejects a state
	 * without "state", so say nothing rather than "{}". */
	if (json_object_size(state) == 0)
		return;
	topic_of(b, topic, e->name, NULL);
	retained_set_json(b, topic, state, force);
}

static const char *availability_payload(bool online)
{
	return online ? "{\"state\":\"online\"}" : "{\"state\":\"offline\"}";
}

/* A node's availability on its own topic and on each of its entities'. */
static void publish_availability(struct bridge *b, uint16_t node, bool online, bool force)
{
	const struct gw_registry *reg = &b->app->reg;
	const struct gw_reg_node *rn = gw_registry_node(reg, node);
	char topic[TOPIC_MAX];

	if (!rn || rn->is_self)
		return;
	topic_of(b, topic, rn->name, "availability");
	retained_set(b, topic, availability_payload(online), force);
	for (size_t i = 0; i < reg->n_entities; i++) {
		const struct gw_entity *e = &reg->entities[i];

		if (e->kind != GW_ENTITY_ELEMENT || e->node_addr != node ||
		    strcmp(e->name, rn->name) == 0)
			continue;
		topic_of(b, topic, e->name, "availability");
		retained_set(b, topic, availability_payload(online), force);
	}
}

static void discovery_context(const struct bridge *b, struct discovery_ctx *dc)
{
	dc->prefix = b->ha_prefix;
	dc->base_topic = b->base;
	dc->bridge_id = b->bridge_id;
	dc->version = MESHGATE_VERSION;
}

static void publish_discovery_list(struct bridge *b, struct discovery_list *l, bool force)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->msgs[i].payload)
			retained_set_json(b, l->msgs[i].topic, l->msgs[i].payload, force);
		else
			retained_set(b, l->msgs[i].topic, "", force);
	}
}

/*
 * A node whose primary element has no entity (a relay, a bare proxy) is
 * still a device whose liveness users watch: it stands in as an entity
 * without capabilities, which discovery turns into the connectivity
 * sensor alone. False for nodes that have their element 0 entity, and
 * for meshgate itself.
 */
static bool node_stand_in(const struct bridge *b, const struct gw_reg_node *rn,
			  struct gw_entity *e)
{
	const struct netdb_node *n = netdb_node_by_address(b->app->core.db, rn->addr);

	if (rn->is_self || !n || gw_registry_entity_by_addr(&b->app->reg, rn->addr))
		return false;
	memset(e, 0, sizeof(*e));
	e->kind = GW_ENTITY_ELEMENT;
	e->addr = rn->addr;
	e->node_addr = rn->addr;
	memcpy(e->node_uuid, rn->uuid, 16);
	snprintf(e->name, sizeof(e->name), "%s", rn->name);
	snprintf(e->node_name, sizeof(e->node_name), "%s", rn->name);
	mesh_hex_encode(rn->uuid, 16, e->unique_id);
	snprintf(e->unique_id + 32, sizeof(e->unique_id) - 32, "_0");
	e->has_ids = n->has_ids;
	e->cid = n->cid;
	e->pid = n->pid;
	e->vid = n->vid;
	return true;
}

static void publish_discovery(struct bridge *b, bool force)
{
	struct discovery_ctx dc;
	struct discovery_list l = { 0 };
	char prefix[TOPIC_MAX];

	if (!b->ha_enabled)
		return;
	discovery_context(b, &dc);
	discovery_bridge(&dc, &l);
	for (size_t i = 0; i < b->app->reg.n_entities; i++)
		discovery_entity(&dc, &b->app->reg.entities[i], &l);
	for (size_t i = 0; i < b->app->reg.n_nodes; i++) {
		struct gw_entity stand_in;

		if (node_stand_in(b, &b->app->reg.nodes[i], &stand_in))
			discovery_entity(&dc, &stand_in, &l);
	}
	publish_discovery_list(b, &l, force);
	discovery_list_free(&l);
	snprintf(prefix, sizeof(prefix), "%s/", b->ha_prefix);
	retained_sweep(b, prefix);
}

/* Every entity's state and availability; topics of entities gone are
 * cleared. */
static void publish_entities(struct bridge *b, bool force)
{
	const struct gw_registry *reg = &b->app->reg;
	char prefix[TOPIC_MAX];

	for (size_t i = 0; i < reg->n_entities; i++) {
		json_t *st = gw_app_entity_state(b->app, &reg->entities[i]);

		if (st)
			publish_state(b, &reg->entities[i], st, force);
		json_decref(st);
	}
	for (size_t i = 0; i < reg->n_nodes; i++)
		publish_availability(b, reg->nodes[i].addr,
				     gw_app_node_online(b->app, reg->nodes[i].addr), force);
	/* Keep the bridge's own topics out of the sweep. */
	for (size_t i = 0; i < b->n_retained; i++) {
		char bridge_prefix[TOPIC_MAX];

		topic_of(b, bridge_prefix, "bridge", NULL);
		if (strncmp(b->retained[i].topic, bridge_prefix, strlen(bridge_prefix)) == 0)
			b->retained[i].wanted = true;
	}
	snprintf(prefix, sizeof(prefix), "%s/", b->base);
	retained_sweep(b, prefix);
}

static void publish_everything(struct bridge *b, bool force)
{
	char topic[TOPIC_MAX];

	topic_of(b, topic, "bridge", "state");
	retained_set(b, topic, "{\"state\":\"online\"}", force);
	publish_bridge_lists(b, force);
	publish_discovery(b, force);
	publish_entities(b, force);
}

void bridge_republish(struct bridge *b)
{
	publish_everything(b, true);
}

static void publish_event(struct bridge *b, const char *type, const json_t *data)
{
	char topic[TOPIC_MAX];
	json_t *ev = json_object();

	json_object_set_new(ev, "type", json_string(type));
	json_object_set(ev, "data", (json_t *)data);
	topic_of(b, topic, "bridge", "event");
	publish_json(b, topic, ev, false);
	json_decref(ev);
}

static void publish_error_event(struct bridge *b, const char *topic, const char *error)
{
	json_t *d = json_object();

	json_object_set_new(d, "topic", json_string(topic));
	json_object_set_new(d, "error", json_string(error));
	publish_event(b, GW_EV_ERROR, d);
	json_decref(d);
	mesh_log_warn(LOG, "%s: %s", topic, error);
}

/* ---- events from the gateway --------------------------------------------------------------- */

static void bridge_on_event(void *ctx, const struct gw_event *ev)
{
	struct bridge *b = ctx;
	char topic[TOPIC_MAX];
	const struct gw_reg_node *rn;

	switch (ev->kind) {
	case GW_EVENT_BRIDGE:
		publish_event(b, ev->type, ev->data);
		break;
	case GW_EVENT_STATE:
		publish_state(b, ev->entity, ev->data, false);
		break;
	case GW_EVENT_AVAILABILITY:
		publish_availability(b, ev->node, ev->online, false);
		break;
	case GW_EVENT_HEARTBEAT:
		rn = gw_registry_node(&b->app->reg, ev->node);
		if (!rn)
			break;
		topic_of(b, topic, rn->name, "heartbeat");
		publish_json(b, topic, ev->data, false);
		break;
	case GW_EVENT_ACTION:
		topic_of(b, topic, ev->entity->name, "action");
		publish_raw(b, topic, ev->type, false);
		break;
	case GW_EVENT_NODES:
	case GW_EVENT_GROUPS:
	case GW_EVENT_INFO:
		publish_bridge_lists(b, false);
		break;
	case GW_EVENT_ENTITIES:
		publish_discovery(b, false);
		publish_entities(b, false);
		break;
	default:
		break;
	}
}

/* ---- requests from MQTT ------------------------------------------------------------------ */

struct bridge_request {
	struct bridge *b;
	char method[128];
	char topic[TOPIC_MAX];        /* where the request came (errors of /set, /get) */
	json_t *transaction;
	bool to_response;             /* answer on bridge/response/<method> */
};

static void bridge_on_reply(void *ctx, const json_t *data, const char *error)
{
	struct bridge_request *rq = ctx;
	struct bridge *b = rq->b;
	char topic[TOPIC_MAX];
	json_t *resp;

	if (!rq->to_response) {
		if (error)
			publish_error_event(b, rq->topic, error);
		goto done;
	}
	resp = json_object();
	if (error) {
		json_object_set_new(resp, "status", json_string("error"));
		json_object_set_new(resp, "error", json_string(error));
	} else {
		json_object_set_new(resp, "status", json_string("ok"));
		json_object_set(resp, "data", (json_t *)data);
	}
	if (rq->transaction)
		json_object_set(resp, "transaction", rq->transaction);
	snprintf(topic, sizeof(topic), "%s/bridge/response/%s", b->base, rq->method);
	publish_json(b, topic, resp, false);
	json_decref(resp);
done:
	json_decref(rq->transaction);
	free(rq);
}

/* The payload as an object: "" and "{}" are empty; anything else must be
 * a JSON object. NULL with err on a problem. */
static json_t *parse_payload(const uint8_t *payload, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;

	if (len == 0)
		return json_object();
	j = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(err, errlen, "invalid JSON at line %d, column %d: %s", je.line, je.column,
			 je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(err, errlen, "expected a JSON object");
		return NULL;
	}
	return j;
}

static void bridge_request(struct bridge *b, const char *topic, const char *method,
			   const uint8_t *payload, size_t len, bool to_response,
			   const char *entity)
{
	struct bridge_request *rq = calloc(1, sizeof(*rq));
	char err[300];
	json_t *params;

	if (!rq)
		return;
	rq->b = b;
	rq->to_response = to_response;
	snprintf(rq->method, sizeof(rq->method), "%s", method);
	snprintf(rq->topic, sizeof(rq->topic), "%s", topic);
	params = parse_payload(payload, len, err, sizeof(err));
	if (!params) {
		bridge_on_reply(rq, NULL, err);
		return;
	}
	rq->transaction = json_incref(json_object_get(params, "transaction"));
	json_object_del(params, "transaction");
	if (entity)
		json_object_set_new(params, "entity", json_string(entity));
	gw_api_call(b->api, method, params, bridge_on_reply, rq);
	json_decref(params);
}

/* <base>/<name>/set or /get: the entity name between base and suffix. */
static bool entity_command(const struct bridge *b, const char *topic, const char *suffix,
			   char *name, size_t len)
{
	size_t blen = strlen(b->base), tlen = strlen(topic), slen = strlen(suffix);

	if (tlen <= blen + 1 + slen + 1 || strncmp(topic, b->base, blen) != 0 || topic[blen] != '/')
		return false;
	if (strcmp(topic + tlen - slen, suffix) != 0 || topic[tlen - slen - 1] != '/')
		return false;
	snprintf(name, len, "%.*s", (int)(tlen - blen - 1 - slen - 1), topic + blen + 1);
	return true;
}

static void bridge_on_message(void *ctx, const char *topic, const uint8_t *payload, size_t len,
			      bool retained)
{
	struct bridge *b = ctx;
	char prefix[TOPIC_MAX], name[TOPIC_MAX];
	size_t plen;

	if (strcmp(topic, b->ha_status) == 0) {
		/* Home Assistant restarted: it forgot discovery and states, and
		 * the bridge's own topics are what its availability reads. */
		if (len == 6 && memcmp(payload, "online", 6) == 0) {
			mesh_log_info(LOG, "Home Assistant is online: publishing everything again");
			publish_everything(b, true);
		}
		return;
	}
	/* Commands left retained by a client would replay at every connect. */
	if (retained)
		return;
	snprintf(prefix, sizeof(prefix), "%s/bridge/request/", b->base);
	plen = strlen(prefix);
	if (strncmp(topic, prefix, plen) == 0) {
		bridge_request(b, topic, topic + plen, payload, len, true, NULL);
		return;
	}
	if (entity_command(b, topic, "set", name, sizeof(name)))
		bridge_request(b, topic, "entity/set", payload, len, false, name);
	else if (entity_command(b, topic, "get", name, sizeof(name)))
		bridge_request(b, topic, "entity/get", payload, len, false, name);
}

/* ---- connection --------------------------------------------------------------------------- */

static void bridge_subscribe(struct bridge *b)
{
	char filter[TOPIC_MAX], levels[32] = "";

	snprintf(filter, sizeof(filter), "%s/bridge/request/#", b->base);
	mqtt_conn_subscribe(b->conn, filter, 1);
	for (int depth = 1; depth <= NAME_LEVELS_MAX; depth++) {
		strncat(levels, depth == 1 ? "+" : "/+", sizeof(levels) - strlen(levels) - 1);
		snprintf(filter, sizeof(filter), "%s/%s/set", b->base, levels);
		mqtt_conn_subscribe(b->conn, filter, 1);
		snprintf(filter, sizeof(filter), "%s/%s/get", b->base, levels);
		mqtt_conn_subscribe(b->conn, filter, 1);
	}
	if (b->ha_enabled)
		mqtt_conn_subscribe(b->conn, b->ha_status, 1);
}

static void bridge_on_connected(void *ctx, bool reconnect)
{
	struct bridge *b = ctx;

	mesh_log_info(LOG, "%s to the MQTT broker", reconnect ? "connected again" : "connected");
	bridge_subscribe(b);
	publish_everything(b, true);
}

static const struct mqtt_conn_ops bridge_conn_ops = {
	.connected = bridge_on_connected,
	/* No .disconnected: the connection logs why and when it retries. */
	.message = bridge_on_message,
};

int bridge_open(struct bridge *b, uv_loop_t *loop, struct gw_app *app, struct gw_api *api,
		const struct gw_config *cfg, char *err, size_t errlen)
{
	const struct gw_config_mqtt *m = &cfg->mqtt;
	struct mqtt_conn_options o;
	char will_topic[TOPIC_MAX], id[9];
	int rc;

	memset(b, 0, sizeof(*b));
	b->loop = loop;
	b->app = app;
	b->api = api;
	snprintf(b->base, sizeof(b->base), "%s", m->base_topic);
	b->ha_enabled = cfg->homeassistant.enabled;
	snprintf(b->ha_prefix, sizeof(b->ha_prefix), "%s", cfg->homeassistant.discovery_prefix);
	snprintf(b->ha_status, sizeof(b->ha_status), "%s", cfg->homeassistant.status_topic);
	snprintf(b->bridge_id, sizeof(b->bridge_id), "meshgate_%s", gw_app_mesh_id(app, id));
	topic_of(b, will_topic, "bridge", "state");
	memset(&o, 0, sizeof(o));
	o.server = m->server;
	o.client_id = m->client_id;
	o.username = m->username;
	o.password = m->password;
	o.ca_file = m->ca[0] ? m->ca : NULL;
	o.cert_file = m->cert[0] ? m->cert : NULL;
	o.key_file = m->key[0] ? m->key : NULL;
	o.insecure = m->insecure;
	o.version = m->version;
	o.keepalive_s = m->keepalive_s;
	o.reconnect_max_s = m->reconnect_max_s;
	o.will_topic = will_topic;
	o.will_payload = "{\"state\":\"offline\"}";
	rc = mqtt_conn_create(&b->conn, loop, &o, &bridge_conn_ops, b, err, errlen);
	if (rc)
		return rc;
	rc = gw_events_subscribe(&app->events, bridge_on_event, b);
	if (rc) {
		snprintf(err, errlen, "too many event subscribers");
		return rc;
	}
	b->subscribed_events = true;
	return mqtt_conn_start(b->conn);
}

static void bridge_stop_done(void *ctx)
{
	struct bridge *b = ctx;

	if (b->stopped)
		b->stopped(b->stopped_ctx);
}

void bridge_stop(struct bridge *b, void (*done)(void *ctx), void *ctx)
{
	if (b->subscribed_events)
		gw_events_unsubscribe(&b->app->events, bridge_on_event, b);
	b->subscribed_events = false;
	b->stopping = true;
	b->stopped = done;
	b->stopped_ctx = ctx;
	if (!b->conn) {
		bridge_stop_done(b);
		return;
	}
	mqtt_conn_stop(b->conn, STOP_TIMEOUT_MS, bridge_stop_done, b);
}

void bridge_close(struct bridge *b)
{
	if (b->subscribed_events)
		gw_events_unsubscribe(&b->app->events, bridge_on_event, b);
	b->subscribed_events = false;
	if (b->conn)
		mqtt_conn_destroy(b->conn);
	b->conn = NULL;
	retained_free(b);
}
