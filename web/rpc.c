/*
 * JSON-RPC 2.0 over the WebSocket (rpc.h).
 *
 * A request the gateway answers later is a struct rpc_call: the ctx given
 * to gw_api_call_ex(), linked into its session's list until answered. A
 * session that goes away forgets its calls in the gateway
 * (gw_api_forget(api, call)) and frees them, so an answer arriving later
 * finds nothing to touch. A batch (struct rpc_batch) collects its members'
 * answers and goes out when the last one is in; it is held while its
 * members are dispatched, so members answered at once cannot send it
 * half-way.
 *
 * Notifications are serialized once per event and handed to every
 * session subscribed to their topic.
 */
#include "web/rpc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/log_line.h"
#include "gateway/registry.h"
#include "mesh/util.h"

#define MSG_MAX 300
#define QUOTED_MAX 100          /* bytes of a client's string quoted in a message */

/* Notification topics a session subscribes to (bits). */
enum rpc_topic {
	TOPIC_EVENTS = 1u << 0,
	TOPIC_STATES = 1u << 1,
	TOPIC_AVAILABILITY = 1u << 2,
	TOPIC_HEARTBEATS = 1u << 3,
	TOPIC_ACTIONS = 1u << 4,
	TOPIC_LISTS = 1u << 5,
	TOPIC_LOG = 1u << 6,
};

static const char *const topic_names[] = {
	"events", "states", "availability", "heartbeats", "actions", "lists", "log",
};

#define TOPICS_ALL ((1u << MESH_ARRAY_SIZE(topic_names)) - 1u)

struct web_rpc {
	struct gw_app *app;
	struct gw_api *api;
	struct web_rpc_session *sessions;
	bool subscribed;
	bool delivering_log;         /* a log line sent may log again: not that one */
};

struct rpc_call;

struct web_rpc_session {
	struct web_rpc *rpc;
	web_rpc_send_fn send;
	void *conn;
	uint32_t topics;             /* enum rpc_topic */
	bool dropped;                /* send failed: the server is closing it */
	struct rpc_call *calls;      /* waiting for the gateway */
	size_t n_calls;
	struct web_rpc_session *next;
};

struct rpc_batch {
	struct web_rpc_session *s;   /* NULL: the session is gone */
	json_t *answers;
	unsigned int pending;        /* members not answered yet, + 1 while dispatching */
};

/* Where the answer to one request goes. */
struct rpc_call {
	struct web_rpc_session *s;
	struct rpc_batch *batch;     /* NULL: answered on its own */
	json_t *id;                  /* echoed; JSON null when unknown */
	bool notification;           /* no "id": no answer at all */
	struct rpc_call *next;
};

/* The parts of a request object. */
struct rpc_request {
	const char *method;
	const json_t *params;        /* NULL: absent */
	const json_t *id;            /* NULL: absent or unusable */
	bool has_id;
};

/* ---- sending ---------------------------------------------------------------------- */

static void session_send_text(struct web_rpc_session *s, const char *text)
{
	if (s->dropped)
		return;
	if (s->send(s->conn, text, strlen(text)) < 0)
		s->dropped = true;
}

static char *json_text(const json_t *j)
{
	/* Sensor readings are short decimals: 21.5, not 21.500000000000004. */
	return json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
}

/* Sends and releases msg. */
static void session_send_json(struct web_rpc_session *s, json_t *msg)
{
	char *text = msg ? json_text(msg) : NULL;

	if (text)
		session_send_text(s, text);
	free(text);
	json_decref(msg);
}

/*
 * A JSON string of s, whatever its bytes: the gateway's sentences quote
 * what clients sent and may be cut inside a UTF-8 sequence, which jansson
 * refuses; such bytes become '?'.
 */
static json_t *json_sentence(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j)
		return j;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/* At most QUOTED_MAX bytes of s, not cutting a UTF-8 sequence. */
static int quoted_len(const char *s)
{
	size_t n = strlen(s);

	if (n <= QUOTED_MAX)
		return (int)n;
	n = QUOTED_MAX;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

static json_t *envelope(const json_t *id)
{
	json_t *m = json_object();

	json_object_set_new(m, "jsonrpc", json_string("2.0"));
	json_object_set_new(m, "id", id ? json_incref((json_t *)id) : json_null());
	return m;
}

static json_t *response_result(const json_t *id, const json_t *result)
{
	json_t *m = envelope(id);

	json_object_set_new(m, "result", result ? json_incref((json_t *)result) : json_null());
	return m;
}

static json_t *response_error(const json_t *id, int code, const char *message)
{
	json_t *m = envelope(id), *e = json_object();

	json_object_set_new(e, "code", json_integer(code));
	json_object_set_new(e, "message", json_sentence(message));
	json_object_set_new(m, "error", e);
	return m;
}

/* ---- answering -------------------------------------------------------------------- */

static void batch_release(struct rpc_batch *b)
{
	if (--b->pending)
		return;
	/* A batch of notifications only is not answered at all. */
	if (b->s && json_array_size(b->answers))
		session_send_json(b->s, json_incref(b->answers));
	json_decref(b->answers);
	free(b);
}

/* Answer c's request with msg (taken). */
static void call_answer(struct rpc_call *c, json_t *msg)
{
	if (c->notification) {
		json_decref(msg);
		return;
	}
	if (c->batch) {
		json_array_append_new(c->batch->answers, msg);
		return;
	}
	session_send_json(c->s, msg);
}

static void call_error(struct rpc_call *c, int code, const char *message)
{
	call_answer(c, response_error(c->id, code, message));
}

static void call_result(struct rpc_call *c, const json_t *result)
{
	call_answer(c, response_result(c->id, result));
}

static void call_unlink(struct rpc_call *c)
{
	for (struct rpc_call **p = &c->s->calls; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			c->s->n_calls--;
			return;
		}
}

static void call_free(struct rpc_call *c)
{
	if (c->batch)
		batch_release(c->batch);
	json_decref(c->id);
	free(c);
}

static int error_code_of(enum gw_api_error kind)
{
	switch (kind) {
	case GW_API_ERR_UNKNOWN_METHOD:
		return WEB_RPC_METHOD_NOT_FOUND;
	case GW_API_ERR_PARAMS:
		return WEB_RPC_INVALID_PARAMS;
	case GW_API_ERR_FAILED:
		return WEB_RPC_FAILED;
	default:
		return WEB_RPC_INTERNAL_ERROR;
	}
}

/* The gateway's answer: now, or later from the loop. */
static void on_api_result(void *ctx, const json_t *data, enum gw_api_error kind,
			  const char *error)
{
	struct rpc_call *c = ctx;

	call_unlink(c);
	if (kind == GW_API_OK)
		call_result(c, data);
	else
		call_error(c, error_code_of(kind), error ? error : "the request failed");
	call_free(c);
}

/* ---- requests ----------------------------------------------------------------------- */

static bool id_usable(const json_t *id)
{
	return json_is_string(id) || json_is_number(id) || json_is_null(id);
}

/* 0, or a JSON-RPC error code with why. rq->id is set whenever the id is
 * usable, so even a refused request is answered with its own id. */
static int request_parse(const json_t *j, struct rpc_request *rq, char *why)
{
	static const char *const members[] = { "jsonrpc", "method", "params", "id" };
	const json_t *version, *method, *v;
	const char *key;

	memset(rq, 0, sizeof(*rq));
	if (!json_is_object(j)) {
		snprintf(why, MSG_MAX, "expected a request object (or an array of them)");
		return WEB_RPC_INVALID_REQUEST;
	}
	v = json_object_get(j, "id");
	if (v && id_usable(v)) {
		rq->id = v;
		rq->has_id = true;
	} else if (v) {
		snprintf(why, MSG_MAX, "id: expected a string, a number or null");
		return WEB_RPC_INVALID_REQUEST;
	}
	/* A misspelt member ("param") must not pass as if absent. */
	json_object_foreach((json_t *)j, key, v) {
		bool known = false;

		for (size_t i = 0; i < MESH_ARRAY_SIZE(members) && !known; i++)
			known = strcmp(key, members[i]) == 0;
		if (!known) {
			snprintf(why, MSG_MAX, "unknown member '%.*s' (expected jsonrpc, method, "
				 "params, id)", quoted_len(key), key);
			return WEB_RPC_INVALID_REQUEST;
		}
	}
	version = json_object_get(j, "jsonrpc");
	if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0) {
		snprintf(why, MSG_MAX, "jsonrpc: expected \"2.0\"");
		return WEB_RPC_INVALID_REQUEST;
	}
	method = json_object_get(j, "method");
	if (!json_is_string(method)) {
		snprintf(why, MSG_MAX, "method: %s", method ? "expected a string" : "missing");
		return WEB_RPC_INVALID_REQUEST;
	}
	rq->method = json_string_value(method);
	rq->params = json_object_get(j, "params");
	if (json_is_array(rq->params)) {
		/* Valid JSON-RPC, but every method here takes named parameters. */
		snprintf(why, MSG_MAX, "params: expected an object of named parameters, not an array");
		return WEB_RPC_INVALID_PARAMS;
	}
	if (rq->params && !json_is_object(rq->params)) {
		snprintf(why, MSG_MAX, "params: expected an object");
		return WEB_RPC_INVALID_REQUEST;
	}
	return 0;
}

/* ---- subscribe, unsubscribe ------------------------------------------------------------ */

static json_t *topics_json(uint32_t topics)
{
	json_t *a = json_array();

	for (size_t i = 0; i < MESH_ARRAY_SIZE(topic_names); i++)
		if (topics & (1u << i))
			json_array_append_new(a, json_string(topic_names[i]));
	return a;
}

/* The topics params name (all when absent): 0, or -1 with why. */
static int topics_param(const json_t *params, uint32_t *out, char *why)
{
	const char *key;
	const json_t *v, *list;
	size_t i;

	json_object_foreach((json_t *)params, key, v) {
		if (strcmp(key, "topics") != 0) {
			snprintf(why, MSG_MAX, "unknown parameter '%.*s'", quoted_len(key), key);
			return -1;
		}
	}
	list = params ? json_object_get(params, "topics") : NULL;
	if (!list) {
		*out = TOPICS_ALL;
		return 0;
	}
	if (!json_is_array(list)) {
		snprintf(why, MSG_MAX, "topics: expected an array of topic names");
		return -1;
	}
	*out = 0;
	json_array_foreach(list, i, v) {
		size_t t;

		for (t = 0; t < MESH_ARRAY_SIZE(topic_names); t++)
			if (json_is_string(v) && strcmp(json_string_value(v), topic_names[t]) == 0)
				break;
		if (t == MESH_ARRAY_SIZE(topic_names)) {
			snprintf(why, MSG_MAX, "topics: expected names among events, states, "
				 "availability, heartbeats, actions, lists, log");
			return -1;
		}
		*out |= 1u << t;
	}
	return 0;
}

/* A page that subscribes to states starts with what is known now, not
 * with "unknown" until each entity next changes. */
static void send_current_states(struct web_rpc_session *s)
{
	const struct gw_registry *reg = &s->rpc->app->reg;

	for (size_t i = 0; i < reg->n_entities && !s->dropped; i++) {
		const struct gw_entity *e = &reg->entities[i];
		json_t *state = gw_app_entity_state(s->rpc->app, e);
		json_t *msg, *p;

		if (!state || json_object_size(state) == 0) {
			json_decref(state);
			continue;
		}
		p = json_object();
		json_object_set_new(p, "entity", json_string(e->name));
		json_object_set_new(p, "state", state);
		msg = json_object();
		json_object_set_new(msg, "jsonrpc", json_string("2.0"));
		json_object_set_new(msg, "method", json_string("state"));
		json_object_set_new(msg, "params", p);
		session_send_json(s, msg);
	}
}

static void method_subscribe(struct rpc_call *c, const json_t *params, bool subscribe)
{
	char why[MSG_MAX];
	uint32_t topics, before = c->s->topics;
	json_t *r;

	if (topics_param(params, &topics, why)) {
		call_error(c, WEB_RPC_INVALID_PARAMS, why);
		return;
	}
	if (subscribe)
		c->s->topics |= topics;
	else
		c->s->topics &= ~topics;
	r = json_object();
	json_object_set_new(r, "topics", topics_json(c->s->topics));
	call_result(c, r);
	json_decref(r);
	if ((c->s->topics & TOPIC_STATES) && !(before & TOPIC_STATES))
		send_current_states(c->s);
}

/* ---- dispatch ------------------------------------------------------------------------ */

/* To the gateway, with a call of its own that outlives this function. */
static void dispatch_api(struct rpc_call *c, const struct rpc_request *rq)
{
	struct web_rpc_session *s = c->s;
	struct rpc_call *call;

	if (s->n_calls >= WEB_RPC_CALLS_MAX) {
		call_error(c, WEB_RPC_FAILED, "too many requests waiting for an answer; "
			   "wait for some of them first");
		return;
	}
	call = malloc(sizeof(*call));
	if (!call) {
		call_error(c, WEB_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	*call = *c;
	call->id = json_incref(c->id);
	/* A notification's answer is not waited for, even in a batch. */
	call->batch = c->notification ? NULL : c->batch;
	if (call->batch)
		call->batch->pending++;
	call->next = s->calls;
	s->calls = call;
	s->n_calls++;
	gw_api_call_ex(s->rpc->api, rq->method, rq->params, on_api_result, call);
}

static void dispatch(struct rpc_call *c, const struct rpc_request *rq)
{
	char why[MSG_MAX];

	if (strcmp(rq->method, "subscribe") == 0 || strcmp(rq->method, "unsubscribe") == 0) {
		method_subscribe(c, rq->params, rq->method[0] == 's');
		return;
	}
	if (strcmp(rq->method, "backup") == 0) {
		/* Keys leave only as the authenticated download. */
		call_error(c, WEB_RPC_FAILED, "backup is a download: GET /api/backup");
		return;
	}
	if (!gw_api_method_exists(rq->method)) {
		snprintf(why, sizeof(why), "method not found: '%.*s'", quoted_len(rq->method),
			 rq->method);
		call_error(c, WEB_RPC_METHOD_NOT_FOUND, why);
		return;
	}
	dispatch_api(c, rq);
}

/* One request object, alone or a member of batch b. */
static void request_handle(struct web_rpc_session *s, struct rpc_batch *b, const json_t *j)
{
	struct rpc_request rq;
	struct rpc_call c = { .s = s, .batch = b };
	char why[MSG_MAX];
	int code = request_parse(j, &rq, why);

	c.id = (json_t *)rq.id;
	/* Bad params are the only refusal of an otherwise valid request: a
	 * notification's goes unanswered like any other error of it. */
	c.notification = code == WEB_RPC_INVALID_PARAMS && !rq.has_id;
	if (code) {
		/* A broken request is answered even without an id: the client
		 * may be waiting for it. */
		call_error(&c, code, why);
		return;
	}
	c.notification = !rq.has_id;
	dispatch(&c, &rq);
}

static void batch_handle(struct web_rpc_session *s, const json_t *array)
{
	size_t n = json_array_size(array), i;
	struct rpc_batch *b;
	char why[MSG_MAX];
	const json_t *member;

	if (n == 0 || n > WEB_RPC_BATCH_MAX) {
		if (n == 0)
			snprintf(why, sizeof(why), "an empty batch");
		else
			snprintf(why, sizeof(why), "a batch of %zu requests; at most %d", n,
				 WEB_RPC_BATCH_MAX);
		session_send_json(s, response_error(NULL, WEB_RPC_INVALID_REQUEST, why));
		return;
	}
	b = calloc(1, sizeof(*b));
	if (!b || !(b->answers = json_array())) {
		free(b);
		session_send_json(s, response_error(NULL, WEB_RPC_INTERNAL_ERROR, "out of memory"));
		return;
	}
	b->s = s;
	b->pending = 1;
	json_array_foreach(array, i, member)
		request_handle(s, b, member);
	batch_release(b);
}

void web_rpc_session_receive(struct web_rpc_session *s, const char *text, size_t len)
{
	json_error_t je;
	char why[MSG_MAX];
	json_t *j;

	if (s->dropped)
		return;
	/* Any JSON value parses: a valid one that is no request is -32600,
	 * not a parse error. */
	j = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(why, sizeof(why), "parse error at line %d, column %d: %s", je.line,
			 je.column, je.text);
		session_send_json(s, response_error(NULL, WEB_RPC_PARSE_ERROR, why));
		return;
	}
	if (json_is_array(j))
		batch_handle(s, j);
	else
		request_handle(s, NULL, j);
	json_decref(j);
}

/* ---- notifications ----------------------------------------------------------------------- */

static uint32_t topic_of(enum gw_event_kind kind)
{
	switch (kind) {
	case GW_EVENT_BRIDGE:
		return TOPIC_EVENTS;
	case GW_EVENT_STATE:
		return TOPIC_STATES;
	case GW_EVENT_AVAILABILITY:
		return TOPIC_AVAILABILITY;
	case GW_EVENT_HEARTBEAT:
		return TOPIC_HEARTBEATS;
	case GW_EVENT_ACTION:
		return TOPIC_ACTIONS;
	case GW_EVENT_NODES:
	case GW_EVENT_GROUPS:
	case GW_EVENT_INFO:
		return TOPIC_LISTS;
	case GW_EVENT_LOG:
		return TOPIC_LOG;
	default:
		/* GW_EVENT_ENTITIES: Home Assistant discovery's business; the
		 * states of new entities come as state notifications. */
		return 0;
	}
}

static bool anyone_subscribed(const struct web_rpc *rpc, uint32_t topic)
{
	for (const struct web_rpc_session *s = rpc->sessions; s; s = s->next)
		if (!s->dropped && (s->topics & topic))
			return true;
	return false;
}

static json_t *addr_json(uint16_t addr)
{
	char s[8];

	snprintf(s, sizeof(s), "0x%04x", addr);
	return json_string(s);
}

/* {"node":"0x0005","name":...}: a node the registry does not know (yet)
 * goes by its address. */
static json_t *node_params(const struct web_rpc *rpc, uint16_t addr)
{
	const struct gw_reg_node *rn = gw_registry_node(&rpc->app->reg, addr);
	json_t *p = json_object();

	json_object_set_new(p, "node", addr_json(addr));
	json_object_set_new(p, "name", rn ? json_string(rn->name) : addr_json(addr));
	return p;
}

static json_t *now_iso(void)
{
	char s[GW_TIME_ISO_LEN];

	gw_time_now_iso(s);
	return json_string(s);
}

/* {"time","level","module","message"}, from the event's data and level. */
static json_t *log_params(const struct gw_event *ev)
{
	json_t *p = json_is_object(ev->data) ? json_copy((json_t *)ev->data) : json_object();

	if (!json_object_get(p, "level") && ev->type)
		json_object_set_new(p, "level", json_string(ev->type));
	if (!json_object_get(p, "time"))
		json_object_set_new(p, "time", now_iso());
	return p;
}

/* The notification's method and params for ev (NULL params: none). */
static json_t *notification_params(const struct web_rpc *rpc, const struct gw_event *ev,
				   const char **method)
{
	const struct gw_reg_node *rn;
	json_t *p = NULL;

	switch (ev->kind) {
	case GW_EVENT_BRIDGE:
		*method = "event";
		p = json_object();
		json_object_set_new(p, "type", json_string(ev->type ? ev->type : ""));
		json_object_set_new(p, "data", ev->data ? json_incref((json_t *)ev->data)
							: json_object());
		break;
	case GW_EVENT_STATE:
		/* Nothing known yet is nothing to show (as on MQTT). */
		if (!ev->entity || json_object_size(ev->data) == 0)
			break;
		*method = "state";
		p = json_object();
		json_object_set_new(p, "entity", json_string(ev->entity->name));
		json_object_set_new(p, "state", json_incref((json_t *)ev->data));
		break;
	case GW_EVENT_AVAILABILITY:
		rn = gw_registry_node(&rpc->app->reg, ev->node);
		if (rn && rn->is_self)
			break;
		*method = "availability";
		p = node_params(rpc, ev->node);
		json_object_set_new(p, "state", json_string(ev->online ? "online" : "offline"));
		break;
	case GW_EVENT_HEARTBEAT:
		*method = "heartbeat";
		p = node_params(rpc, ev->node);
		json_object_set_new(p, "heartbeat", ev->data ? json_incref((json_t *)ev->data)
							     : json_object());
		break;
	case GW_EVENT_ACTION:
		if (!ev->entity || !ev->type)
			break;
		*method = "action";
		p = json_object();
		json_object_set_new(p, "entity", json_string(ev->entity->name));
		json_object_set_new(p, "action", json_string(ev->type));
		break;
	case GW_EVENT_NODES:
	case GW_EVENT_GROUPS:
	case GW_EVENT_INFO:
		/* Only that something changed: clients fetch what they show. */
		*method = ev->kind == GW_EVENT_NODES    ? "nodes_changed"
			  : ev->kind == GW_EVENT_GROUPS ? "groups_changed"
							: "info_changed";
		p = json_object();
		break;
	case GW_EVENT_LOG:
		*method = "log";
		p = log_params(ev);
		break;
	default:
		break;
	}
	return p;
}

static void fan_out(struct web_rpc *rpc, uint32_t topic, const char *text)
{
	for (struct web_rpc_session *s = rpc->sessions; s; s = s->next)
		if (s->topics & topic)
			session_send_text(s, text);
}

static void on_event(void *ctx, const struct gw_event *ev)
{
	struct web_rpc *rpc = ctx;
	uint32_t topic = topic_of(ev->kind);
	const char *method = NULL;
	json_t *msg, *params;
	char *text;

	if (!topic || !anyone_subscribed(rpc, topic))
		return;
	/* Sending a log line may log (a connection dropped): that line would
	 * come back here while this one is being sent, and again... */
	if (ev->kind == GW_EVENT_LOG && rpc->delivering_log)
		return;
	params = notification_params(rpc, ev, &method);
	if (!params)
		return;
	msg = json_object();
	json_object_set_new(msg, "jsonrpc", json_string("2.0"));
	json_object_set_new(msg, "method", json_string(method));
	json_object_set_new(msg, "params", params);
	text = json_text(msg);
	json_decref(msg);
	if (!text)
		return;
	if (ev->kind == GW_EVENT_LOG)
		rpc->delivering_log = true;
	fan_out(rpc, topic, text);
	if (ev->kind == GW_EVENT_LOG)
		rpc->delivering_log = false;
	free(text);
}

/* ---- sessions --------------------------------------------------------------------------- */

struct web_rpc_session *web_rpc_session_new(struct web_rpc *rpc, web_rpc_send_fn send, void *conn)
{
	struct web_rpc_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->rpc = rpc;
	s->send = send;
	s->conn = conn;
	s->next = rpc->sessions;
	rpc->sessions = s;
	return s;
}

void web_rpc_session_free(struct web_rpc_session *s)
{
	struct web_rpc *rpc;

	if (!s)
		return;
	rpc = s->rpc;
	while (s->calls) {
		struct rpc_call *c = s->calls;

		s->calls = c->next;
		gw_api_forget(rpc->api, c);
		if (c->batch)
			c->batch->s = NULL;
		call_free(c);
	}
	for (struct web_rpc_session **p = &rpc->sessions; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	free(s);
}

struct web_rpc *web_rpc_new(struct gw_app *app, struct gw_api *api)
{
	struct web_rpc *rpc = calloc(1, sizeof(*rpc));

	if (!rpc)
		return NULL;
	rpc->app = app;
	rpc->api = api;
	if (gw_events_subscribe(&app->events, on_event, rpc) < 0) {
		free(rpc);
		return NULL;
	}
	rpc->subscribed = true;
	return rpc;
}

void web_rpc_free(struct web_rpc *rpc)
{
	if (!rpc)
		return;
	while (rpc->sessions)
		web_rpc_session_free(rpc->sessions);
	if (rpc->subscribed)
		gw_events_unsubscribe(&rpc->app->events, on_event, rpc);
	free(rpc);
}
