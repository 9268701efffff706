/*
 * The MQTT client connection (see mqtt_conn.h) over Paho's MQTTAsync.
 *
 * Two sides share one struct:
 *
 *  - Paho's threads run the Paho callbacks (on_*). They only fill an event
 *    and append it to a queue under c->lock, then wake the loop with
 *    uv_async_send(). They never look at the loop-side state and never call
 *    ops. Incoming messages are copied (Paho's copies freed at once);
 *    connection events use one preallocated "slot" event each, because
 *    Paho reports them one at a time (we start the next connect only after
 *    the loop has seen the result of the last one), so losing a state
 *    change to a failed allocation cannot happen.
 *
 *  - The loop thread drains the queue (conn_wake), owns the state machine
 *    (life: idle -> running -> stopping -> stopped; link: down, connecting,
 *    up), the reconnect timer and the stop timer, and calls ops.
 *
 * The loop thread never holds c->lock while calling into Paho: Paho calls
 * our callbacks with its own mutex held, so the opposite order would
 * deadlock.
 *
 * Lifetime: MQTTAsync_destroy() takes Paho's mutex, so once it returns no
 * Paho callback runs or will run with our context. Only then are the uv
 * handles closed, and the struct is freed by the last close callback.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <MQTTAsync.h>
#include <openssl/rand.h>

#include "bridge/mqtt_conn.h"
#include "mesh/log.h"
#include "mesh/util.h"

#define LOG "mqtt"

#define CONNECT_TIMEOUT_S 10
#define DISCONNECT_TIMEOUT_MS 1000
#define DEFAULT_RECONNECT_MIN_MS 1000
#define DEFAULT_RECONNECT_MAX_S 60
#define DEFAULT_KEEPALIVE_S 60
#define MAX_BACKOFF_ATTEMPT 32
#define REASON_MAX 200
#define URI_MAX 300

enum mqtt_life { LIFE_IDLE, LIFE_RUNNING, LIFE_STOPPING, LIFE_STOPPED };
enum mqtt_link { LINK_DOWN, LINK_CONNECTING, LINK_UP };

enum mqtt_event_kind {
	EV_CONNECTED,
	EV_CONNECT_FAILED,
	EV_LOST,
	EV_WILL_DONE,        /* the stop's "offline" publish completed (or failed) */
	EV_DISCONNECTED,     /* our disconnect request completed */
	EV_STOPPED,          /* the stop is over: call its done */
	EV_MESSAGE,
	EV_SUBSCRIBED,       /* a subscribe request got its answer */
};

struct mqtt_event {
	struct mqtt_event *next;
	enum mqtt_event_kind kind;
	bool slot;             /* preallocated in struct mqtt_conn, never freed */
	bool queued;
	int code;              /* Paho return code or MQTT reason code */
	char text[REASON_MAX]; /* Paho's message, a TLS error */
	/* EV_MESSAGE: topic and payload follow the struct in one allocation */
	bool retained;
	char *topic;
	uint8_t *payload;
	size_t len;
	/* EV_SUBSCRIBED */
	int token;
	bool refused;
};

/* A subscribe request waiting for its answer, to name the filter in the
 * log if the broker refuses it. */
struct mqtt_pending_sub {
	struct mqtt_pending_sub *next;
	int token;
	char filter[];
};

struct mqtt_conn {
	uv_loop_t *loop;
	MQTTAsync client;
	struct mqtt_conn_ops ops;
	void *ctx;

	/* Options, copied at create. */
	char *server;           /* as configured, for logs */
	char *client_id, *username, *password;
	char *ca_file, *cert_file, *key_file;
	char *will_topic, *will_payload;
	bool tls, insecure;
	unsigned int port;      /* the broker's, for TCP_NODELAY */
	int version;
	unsigned int keepalive_s, min_ms, max_ms;

	/* Loop thread only. */
	enum mqtt_life life;
	enum mqtt_link link;
	unsigned int attempt;
	bool ever_connected;
	bool will_pending, will_in_flight, disconnect_in_flight;
	void (*stop_done)(void *ctx);
	void *stop_ctx;
	bool destroyed;
	unsigned int open_handles;
	uv_async_t wake;
	uv_timer_t retry_timer;
	uv_timer_t stop_timer;
	struct mqtt_conn_stats stats;
	struct mqtt_pending_sub *subs;

	/* Shared with Paho's threads, under lock. */
	pthread_mutex_t lock;
	struct mqtt_event *head, **tail;
	struct mqtt_event ev_connect, ev_lost, ev_will, ev_disconnect, ev_stopped;
	char tls_error[REASON_MAX];
	int server_reason;      /* MQTT 5 DISCONNECT from the broker; -1 none */

	atomic_uint_fast64_t publish_failed_async;  /* QoS 1 publishes the broker refused */
};

/* ---- the queue ----------------------------------------------------------- */

static void conn_post_locked(struct mqtt_conn *c, struct mqtt_event *ev)
{
	if (ev->queued)
		return;
	ev->next = NULL;
	ev->queued = true;
	*c->tail = ev;
	c->tail = &ev->next;
}

static void conn_post(struct mqtt_conn *c, struct mqtt_event *ev)
{
	pthread_mutex_lock(&c->lock);
	conn_post_locked(c, ev);
	pthread_mutex_unlock(&c->lock);
	uv_async_send(&c->wake);
}

/* Fill a slot event and queue it (from any thread). */
static void conn_post_slot(struct mqtt_conn *c, struct mqtt_event *slot, enum mqtt_event_kind kind,
			   int code, const char *text)
{
	pthread_mutex_lock(&c->lock);
	slot->kind = kind;
	slot->code = code;
	snprintf(slot->text, sizeof(slot->text), "%s", text ? text : "");
	conn_post_locked(c, slot);
	pthread_mutex_unlock(&c->lock);
	uv_async_send(&c->wake);
}

/* Take the oldest event. A slot event is copied into *copy under the lock,
 * so Paho may refill the slot while the loop works on the copy. */
static struct mqtt_event *conn_pop(struct mqtt_conn *c, struct mqtt_event *copy)
{
	struct mqtt_event *ev;

	pthread_mutex_lock(&c->lock);
	ev = c->head;
	if (ev) {
		c->head = ev->next;
		if (!c->head)
			c->tail = &c->head;
		ev->queued = false;
		ev->next = NULL;
		if (ev->slot) {
			*copy = *ev;
			ev = copy;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return ev;
}

static void conn_drop_queue(struct mqtt_conn *c)
{
	struct mqtt_event copy, *ev;

	while ((ev = conn_pop(c, &copy)))
		if (ev != &copy)
			free(ev);
}

/* ---- Paho's side: copy and wake, nothing else ---------------------------- */

static void on_connect_ok(void *context, MQTTAsync_successData *r)
{
	struct mqtt_conn *c = context;

	(void)r;
	conn_post_slot(c, &c->ev_connect, EV_CONNECTED, 0, NULL);
}

static void on_connect_ok5(void *context, MQTTAsync_successData5 *r)
{
	struct mqtt_conn *c = context;

	(void)r;
	conn_post_slot(c, &c->ev_connect, EV_CONNECTED, 0, NULL);
}

static void on_connect_fail(void *context, MQTTAsync_failureData *r)
{
	struct mqtt_conn *c = context;

	conn_post_slot(c, &c->ev_connect, EV_CONNECT_FAILED, r ? r->code : MQTTASYNC_FAILURE,
		       r ? r->message : NULL);
}

static void on_connect_fail5(void *context, MQTTAsync_failureData5 *r)
{
	struct mqtt_conn *c = context;
	int code = MQTTASYNC_FAILURE;

	/* A refusing CONNACK's reason comes in code; reasonCode is set by
	 * some Paho versions instead. */
	if (r)
		code = r->code == 0 && r->reasonCode >= MQTTREASONCODE_UNSPECIFIED_ERROR ?
		       (int)r->reasonCode : r->code;
	conn_post_slot(c, &c->ev_connect, EV_CONNECT_FAILED, code, r ? r->message : NULL);
}

static void on_lost(void *context, char *cause)
{
	struct mqtt_conn *c = context;

	pthread_mutex_lock(&c->lock);
	c->ev_lost.kind = EV_LOST;
	c->ev_lost.code = c->server_reason;
	snprintf(c->ev_lost.text, sizeof(c->ev_lost.text), "%s", cause ? cause : "");
	c->server_reason = -1;
	conn_post_locked(c, &c->ev_lost);
	pthread_mutex_unlock(&c->lock);
	uv_async_send(&c->wake);
}

/* MQTT 5: the broker sent DISCONNECT; connectionLost follows. */
static void on_server_disconnect(void *context, MQTTProperties *props, enum MQTTReasonCodes rc)
{
	struct mqtt_conn *c = context;

	(void)props;
	pthread_mutex_lock(&c->lock);
	c->server_reason = (int)rc;
	pthread_mutex_unlock(&c->lock);
}

static int on_message(void *context, char *topic, int topic_len, MQTTAsync_message *m)
{
	struct mqtt_conn *c = context;
	size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);
	size_t plen = m->payloadlen > 0 ? (size_t)m->payloadlen : 0;
	struct mqtt_event *ev = calloc(1, sizeof(*ev) + tlen + 1 + plen + 1);

	if (!ev)
		return 0;  /* Paho keeps the message and offers it again */
	ev->kind = EV_MESSAGE;
	ev->topic = (char *)(ev + 1);
	ev->payload = (uint8_t *)ev->topic + tlen + 1;
	memcpy(ev->topic, topic, tlen);
	if (plen)
		memcpy(ev->payload, m->payload, plen);
	ev->len = plen;
	ev->retained = m->retained != 0;
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	conn_post(c, ev);
	return 1;
}

static void post_subscribed(struct mqtt_conn *c, int token, bool refused, int code)
{
	struct mqtt_event *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return;  /* only the log line is lost; the entry is freed at destroy */
	ev->kind = EV_SUBSCRIBED;
	ev->token = token;
	ev->refused = refused;
	ev->code = code;
	conn_post(c, ev);
}

static void on_sub_ok(void *context, MQTTAsync_successData *r)
{
	post_subscribed(context, r->token, r->alt.qos == MQTT_BAD_SUBSCRIBE, r->alt.qos);
}

static void on_sub_fail(void *context, MQTTAsync_failureData *r)
{
	post_subscribed(context, r ? r->token : 0, true, r ? r->code : MQTTASYNC_FAILURE);
}

static void on_sub_ok5(void *context, MQTTAsync_successData5 *r)
{
	post_subscribed(context, r->token, r->reasonCode >= MQTTREASONCODE_UNSPECIFIED_ERROR,
			(int)r->reasonCode);
}

static void on_sub_fail5(void *context, MQTTAsync_failureData5 *r)
{
	post_subscribed(context, r ? r->token : 0, true, r ? (int)r->reasonCode : MQTTASYNC_FAILURE);
}

static void on_publish_fail(void *context, MQTTAsync_failureData *r)
{
	struct mqtt_conn *c = context;

	(void)r;
	atomic_fetch_add(&c->publish_failed_async, 1);
}

static void on_publish_fail5(void *context, MQTTAsync_failureData5 *r)
{
	struct mqtt_conn *c = context;

	(void)r;
	atomic_fetch_add(&c->publish_failed_async, 1);
}

static void on_will_ok(void *context, MQTTAsync_successData *r)
{
	struct mqtt_conn *c = context;

	(void)r;
	conn_post_slot(c, &c->ev_will, EV_WILL_DONE, 0, NULL);
}

static void on_will_ok5(void *context, MQTTAsync_successData5 *r)
{
	struct mqtt_conn *c = context;

	(void)r;
	conn_post_slot(c, &c->ev_will, EV_WILL_DONE, 0, NULL);
}

static void on_will_fail(void *context, MQTTAsync_failureData *r)
{
	struct mqtt_conn *c = context;

	conn_post_slot(c, &c->ev_will, EV_WILL_DONE, r ? r->code : MQTTASYNC_FAILURE, NULL);
}

static void on_will_fail5(void *context, MQTTAsync_failureData5 *r)
{
	struct mqtt_conn *c = context;

	conn_post_slot(c, &c->ev_will, EV_WILL_DONE, r ? r->code : MQTTASYNC_FAILURE, NULL);
}

static void on_disconnect_ok(void *context, MQTTAsync_successData *r)
{
	struct mqtt_conn *c = context;

	(void)r;
	conn_post_slot(c, &c->ev_disconnect, EV_DISCONNECTED, 0, NULL);
}

static void on_disconnect_ok5(void *context, MQTTAsync_successData5 *r)
{
	struct mqtt_conn *c = context;

	(void)r;
	conn_post_slot(c, &c->ev_disconnect, EV_DISCONNECTED, 0, NULL);
}

static void on_disconnect_fail(void *context, MQTTAsync_failureData *r)
{
	struct mqtt_conn *c = context;

	conn_post_slot(c, &c->ev_disconnect, EV_DISCONNECTED, r ? r->code : MQTTASYNC_FAILURE, NULL);
}

static void on_disconnect_fail5(void *context, MQTTAsync_failureData5 *r)
{
	struct mqtt_conn *c = context;

	conn_post_slot(c, &c->ev_disconnect, EV_DISCONNECTED, r ? r->code : MQTTASYNC_FAILURE, NULL);
}

/*
 * OpenSSL's error queue, printed by Paho when a TLS handshake fails. A line
 * is "<thread>:error:<code>:<library>:<function>:<reason>:<file>:<line>:";
 * keep the reason of the first line ("certificate verify failed").
 */
static int on_tls_error(const char *str, size_t len, void *u)
{
	struct mqtt_conn *c = u;
	const char *end = str + len, *p = NULL;
	int fields = 0;

	for (const char *q = str; q + 7 <= end && !p; q++)
		if (!memcmp(q, ":error:", 7))
			p = q;

	if (p) {
		for (p += 7; p < end && fields < 3; p++)
			if (*p == ':')
				fields++;
		if (fields == 3) {
			const char *colon = memchr(p, ':', (size_t)(end - p));

			str = p;
			len = (size_t)((colon ? colon : end) - p);
		}
	}
	while (len && (str[len - 1] == '\n' || str[len - 1] == '\r'))
		len--;
	pthread_mutex_lock(&c->lock);
	if (!c->tls_error[0])
		snprintf(c->tls_error, sizeof(c->tls_error), "%.*s", (int)len, str);
	pthread_mutex_unlock(&c->lock);
	return 1;
}

/* ---- readable reasons ---------------------------------------------------- */

static const char *reason_code_name(int code)
{
	const char *name = MQTTReasonCode_toString((enum MQTTReasonCodes)code);

	return name ? name : "unknown reason";
}

static const char *mqtt311_refusal(int code)
{
	switch (code) {
	case 1: return "refused: unacceptable protocol version (the broker does not speak MQTT 3.1.1)";
	case 2: return "refused: client identifier rejected";
	case 3: return "refused: server unavailable";
	case 4: return "not authorised: bad user name or password";
	case 5: return "not authorised: bad user name or password, or this client is not allowed";
	default: return NULL;
	}
}

static void conn_refusal_text(const struct mqtt_conn *c, int code, char *out, size_t len)
{
	const char *text = c->version == 5 ? NULL : mqtt311_refusal(code);

	if (c->version == 5 && code == MQTTREASONCODE_BAD_USER_NAME_OR_PASSWORD)
		text = "not authorised: bad user name or password";
	else if (c->version == 5 && code == MQTTREASONCODE_NOT_AUTHORIZED)
		text = "not authorised: bad user name or password, or this client is not allowed";
	if (text)
		snprintf(out, len, "%s", text);
	else if (c->version == 5)
		snprintf(out, len, "refused: %s (reason code 0x%02x)", reason_code_name(code),
			 (unsigned int)code);
	else
		snprintf(out, len, "refused (return code %d)", code);
}

static void conn_failure_text(const struct mqtt_conn *c, const struct mqtt_event *ev,
			      const char *tls_error, char *out, size_t len)
{
	if (ev->code > 0)
		conn_refusal_text(c, ev->code, out, len);
	else if (tls_error[0])
		snprintf(out, len, "TLS handshake failed: %s", tls_error);
	else if (ev->text[0])
		snprintf(out, len, "cannot connect: %s", ev->text);
	else
		snprintf(out, len, "cannot connect: %s", MQTTAsync_strerror(ev->code));
}

static int paho_to_errno(int rc)
{
	switch (rc) {
	case MQTTASYNC_DISCONNECTED:
		return -ENOTCONN;
	case MQTTASYNC_BAD_UTF8_STRING:
	case MQTTASYNC_NULL_PARAMETER:
	case MQTTASYNC_TOPICNAME_TRUNCATED:
	case MQTTASYNC_BAD_QOS:
	case MQTTASYNC_BAD_STRUCTURE:
	case MQTTASYNC_BAD_MQTT_OPTION:
	case MQTTASYNC_BAD_PROTOCOL:
		return -EINVAL;
	case MQTTASYNC_MAX_MESSAGES_INFLIGHT:
	case MQTTASYNC_NO_MORE_MSGIDS:
	case MQTTASYNC_MAX_BUFFERED_MESSAGES:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/* ---- backoff ------------------------------------------------------------- */

unsigned int mqtt_conn_backoff_ms(unsigned int attempt, unsigned int min_ms, unsigned int max_ms,
				  uint32_t rnd)
{
	uint64_t base = min_ms, total;

	for (unsigned int i = 0; i < attempt && base && base < max_ms; i++)
		base *= 2;
	if (base > max_ms)
		base = max_ms;
	/* base * rnd / 2^32 is 0..base; half of it is the 0..50% jitter. */
	total = base + ((base * rnd) >> 33);
	return total > UINT_MAX ? UINT_MAX : (unsigned int)total;
}

static uint32_t conn_random(void)
{
	uint32_t r;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)uv_hrtime();
	return r;
}

/* ---- the loop's side ----------------------------------------------------- */

static void conn_connect(struct mqtt_conn *c);
static void stop_advance(struct mqtt_conn *c);

static void retry_fire(uv_timer_t *t)
{
	struct mqtt_conn *c = MESH_CONTAINER_OF(t, struct mqtt_conn, retry_timer);

	if (c->life == LIFE_RUNNING && c->link == LINK_DOWN)
		conn_connect(c);
}

static void conn_connect(struct mqtt_conn *c)
{
	MQTTAsync_connectOptions o3 = MQTTAsync_connectOptions_initializer;
	MQTTAsync_connectOptions o5 = MQTTAsync_connectOptions_initializer5;
	MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	MQTTAsync_connectOptions *o = c->version == 5 ? &o5 : &o3;
	int rc;

	o->keepAliveInterval = (int)c->keepalive_s;
	o->connectTimeout = CONNECT_TIMEOUT_S;
	o->automaticReconnect = 0;
	o->context = c;
	if (c->version == 5) {
		o->cleanstart = 1;
		o->onSuccess5 = on_connect_ok5;
		o->onFailure5 = on_connect_fail5;
	} else {
		o->MQTTVersion = MQTTVERSION_3_1_1;
		o->cleansession = 1;
		o->onSuccess = on_connect_ok;
		o->onFailure = on_connect_fail;
	}
	o->username = c->username;
	o->password = c->password;
	if (c->will_topic) {
		will.topicName = c->will_topic;
		will.message = c->will_payload;
		will.retained = 1;
		will.qos = 1;
		o->will = &will;
	}
	if (c->tls) {
		ssl.trustStore = c->ca_file;
		ssl.keyStore = c->cert_file;
		ssl.privateKey = c->key_file;
		ssl.enableServerCertAuth = !c->insecure;
		ssl.verify = !c->insecure;
		ssl.ssl_error_cb = on_tls_error;
		ssl.ssl_error_context = c;
		o->ssl = &ssl;
	}

	pthread_mutex_lock(&c->lock);
	c->tls_error[0] = '\0';
	c->server_reason = -1;
	pthread_mutex_unlock(&c->lock);

	c->link = LINK_CONNECTING;
	mesh_log_debug(LOG, "connecting to %s as '%s'%s%s", c->server, c->client_id,
		       c->username ? " with user " : "", c->username ? c->username : "");
	rc = MQTTAsync_connect(c->client, o);
	if (rc != MQTTASYNC_SUCCESS)
		conn_post_slot(c, &c->ev_connect, EV_CONNECT_FAILED, rc, MQTTAsync_strerror(rc));
}

/* The port of Paho's tcp://host:port or ssl://host:port. */
static unsigned int uri_port(const char *uri)
{
	const char *colon = strrchr(uri, ':');

	return colon ? (unsigned int)strtoul(colon + 1, NULL, 10) : 0;
}

/*
 * Neither Paho nor the broker turns Nagle's algorithm off, and Paho has
 * no option to: on a connection that both sends (a state) and receives (a
 * command), a small packet can wait up to 40 ms for a delayed ACK, which
 * is what a /set answered by a lamp's status looks like (docs/
 * performance.md). Paho's socket is one of this process's descriptors:
 * find the TCP connections to the broker's port and set TCP_NODELAY.
 * Another client's connection to that port gains the same, harmlessly.
 */
static void nodelay_to_broker(const struct mqtt_conn *c)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *d;

	if (!dir || !c->port) {
		if (dir)
			closedir(dir);
		return;
	}
	while ((d = readdir(dir))) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = atoi(d->d_name), one = 1, type = 0;
		socklen_t tlen = sizeof(type);
		unsigned int port;

		if (d->d_name[0] < '0' || d->d_name[0] > '9' || fd == dirfd(dir))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_STREAM ||
		    getpeername(fd, (struct sockaddr *)&peer, &len) < 0)
			continue;
		if (peer.ss_family == AF_INET)
			port = ntohs(((struct sockaddr_in *)&peer)->sin_port);
		else if (peer.ss_family == AF_INET6)
			port = ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
		else
			continue;
		if (port == c->port)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	closedir(dir);
}

static void conn_on_connected(struct mqtt_conn *c)
{
	bool again = c->ever_connected;

	c->link = LINK_UP;
	c->attempt = 0;
	c->ever_connected = true;
	c->stats.connects++;
	if (c->life == LIFE_STOPPING) {
		stop_advance(c);
		return;
	}
	if (c->life != LIFE_RUNNING)
		return;
	nodelay_to_broker(c);
	mesh_log_info(LOG, "connected to %s (MQTT %s)%s", c->server,
		      c->version == 5 ? "5" : "3.1.1", again ? " again" : "");
	if (c->ops.connected)
		c->ops.connected(c->ctx, again);
}

static void conn_forget_subscriptions(struct mqtt_conn *c)
{
	struct mqtt_pending_sub *p;

	while ((p = c->subs)) {
		c->subs = p->next;
		free(p);
	}
}

/* The link went down (lost, or a connect failed): retry later. */
static void conn_on_down(struct mqtt_conn *c, const char *reason)
{
	unsigned int delay;

	/* Requests of the dead session get no useful answer any more. */
	conn_forget_subscriptions(c);
	if (c->link == LINK_UP)
		c->stats.disconnects++;
	c->link = LINK_DOWN;
	if (c->life == LIFE_STOPPING) {
		/* Nothing in flight completes on a dead connection. */
		c->will_in_flight = false;
		c->disconnect_in_flight = false;
		stop_advance(c);
		return;
	}
	if (c->life != LIFE_RUNNING)
		return;
	delay = mqtt_conn_backoff_ms(c->attempt, c->min_ms, c->max_ms, conn_random());
	if (c->attempt < MAX_BACKOFF_ATTEMPT)
		c->attempt++;
	uv_timer_start(&c->retry_timer, retry_fire, delay, 0);
	mesh_log_warn(LOG, "%s: %s; retrying in %u ms", c->server, reason, delay);
	if (c->ops.disconnected)
		c->ops.disconnected(c->ctx, reason, delay);
}

static void conn_on_connect_failed(struct mqtt_conn *c, const struct mqtt_event *ev)
{
	char tls_error[REASON_MAX], reason[REASON_MAX + 64];

	pthread_mutex_lock(&c->lock);
	memcpy(tls_error, c->tls_error, sizeof(tls_error));
	pthread_mutex_unlock(&c->lock);
	conn_failure_text(c, ev, tls_error, reason, sizeof(reason));
	conn_on_down(c, reason);
}

static void conn_on_lost(struct mqtt_conn *c, const struct mqtt_event *ev)
{
	char reason[REASON_MAX + 64];
	int n = snprintf(reason, sizeof(reason), "connection lost%s%s", ev->text[0] ? ": " : "",
			 ev->text);

	if (ev->code >= 0 && n > 0 && (size_t)n < sizeof(reason))
		snprintf(reason + n, sizeof(reason) - (size_t)n, " (broker: %s)",
			 reason_code_name(ev->code));
	conn_on_down(c, reason);
}

static void conn_on_subscribed(struct mqtt_conn *c, const struct mqtt_event *ev)
{
	struct mqtt_pending_sub **pp, *p;

	for (pp = &c->subs; (p = *pp); pp = &p->next)
		if (p->token == ev->token)
			break;
	if (ev->refused)
		mesh_log_error(LOG, "%s: subscription to '%s' refused (code %d)", c->server,
			       p ? p->filter : "?", ev->code);
	if (p) {
		*pp = p->next;
		free(p);
	}
}

static void conn_on_message(struct mqtt_conn *c, const struct mqtt_event *ev)
{
	c->stats.received++;
	if (c->life == LIFE_RUNNING && c->ops.message)
		c->ops.message(c->ctx, ev->topic, ev->payload, ev->len, ev->retained);
}

static void conn_on_stopped(struct mqtt_conn *c)
{
	void (*done)(void *ctx) = c->stop_done;

	c->stop_done = NULL;
	if (done)
		done(c->stop_ctx);
}

static void conn_dispatch(struct mqtt_conn *c, const struct mqtt_event *ev)
{
	if (c->life == LIFE_STOPPED && ev->kind != EV_STOPPED && ev->kind != EV_SUBSCRIBED)
		return;  /* late news of a connection we gave up */
	switch (ev->kind) {
	case EV_CONNECTED:
		conn_on_connected(c);
		break;
	case EV_CONNECT_FAILED:
		conn_on_connect_failed(c, ev);
		break;
	case EV_LOST:
		conn_on_lost(c, ev);
		break;
	case EV_WILL_DONE:
		if (ev->code)
			mesh_log_warn(LOG, "%s: the final '%s' was not delivered: %s", c->server,
				      c->will_topic, MQTTAsync_strerror(ev->code));
		c->will_in_flight = false;
		stop_advance(c);
		break;
	case EV_DISCONNECTED:
		c->disconnect_in_flight = false;
		c->link = LINK_DOWN;
		stop_advance(c);
		break;
	case EV_STOPPED:
		conn_on_stopped(c);
		break;
	case EV_MESSAGE:
		conn_on_message(c, ev);
		break;
	case EV_SUBSCRIBED:
		conn_on_subscribed(c, ev);
		break;
	}
}

static void conn_wake(uv_async_t *h)
{
	struct mqtt_conn *c = MESH_CONTAINER_OF(h, struct mqtt_conn, wake);
	struct mqtt_event copy, *ev;

	/* A callback may destroy c: its memory lives until the handles
	 * close, but nothing more may be done with it. */
	while (!c->destroyed && (ev = conn_pop(c, &copy))) {
		conn_dispatch(c, ev);
		if (ev != &copy)
			free(ev);
	}
}

/* ---- stop ---------------------------------------------------------------- */

static void stop_finish(struct mqtt_conn *c)
{
	c->life = LIFE_STOPPED;
	uv_timer_stop(&c->stop_timer);
	uv_timer_stop(&c->retry_timer);
	mesh_log_info(LOG, "%s: stopped", c->server);
	conn_post_slot(c, &c->ev_stopped, EV_STOPPED, 0, NULL);
}

static int stop_send_will(struct mqtt_conn *c)
{
	MQTTAsync_responseOptions r = MQTTAsync_responseOptions_initializer;
	const char *payload = c->will_payload ? c->will_payload : "";
	int rc;

	r.context = c;
	if (c->version == 5) {
		r.onSuccess5 = on_will_ok5;
		r.onFailure5 = on_will_fail5;
	} else {
		r.onSuccess = on_will_ok;
		r.onFailure = on_will_fail;
	}
	rc = MQTTAsync_send(c->client, c->will_topic, (int)strlen(payload), payload, 1, 1, &r);
	if (rc != MQTTASYNC_SUCCESS)
		mesh_log_warn(LOG, "%s: cannot publish the final '%s': %s", c->server, c->will_topic,
			      MQTTAsync_strerror(rc));
	return rc;
}

static int stop_send_disconnect(struct mqtt_conn *c)
{
	MQTTAsync_disconnectOptions d3 = MQTTAsync_disconnectOptions_initializer;
	MQTTAsync_disconnectOptions d5 = MQTTAsync_disconnectOptions_initializer5;
	MQTTAsync_disconnectOptions *d = c->version == 5 ? &d5 : &d3;

	d->timeout = DISCONNECT_TIMEOUT_MS;
	d->context = c;
	if (c->version == 5) {
		d->onSuccess5 = on_disconnect_ok5;
		d->onFailure5 = on_disconnect_fail5;
	} else {
		d->onSuccess = on_disconnect_ok;
		d->onFailure = on_disconnect_fail;
	}
	return MQTTAsync_disconnect(c->client, d);
}

/*
 * One step of a clean stop: wait for a connect in flight, publish the
 * final will payload, wait for it, disconnect, wait for that, done. Called
 * again by every event that may let it go on.
 */
static void stop_advance(struct mqtt_conn *c)
{
	if (c->life != LIFE_STOPPING || c->link == LINK_CONNECTING || c->will_in_flight ||
	    c->disconnect_in_flight)
		return;
	if (c->link == LINK_UP && c->will_pending) {
		c->will_pending = false;
		if (stop_send_will(c) == MQTTASYNC_SUCCESS) {
			c->will_in_flight = true;
			return;
		}
	}
	if (c->link == LINK_UP) {
		if (stop_send_disconnect(c) == MQTTASYNC_SUCCESS) {
			c->disconnect_in_flight = true;
			return;
		}
		c->link = LINK_DOWN;
	}
	stop_finish(c);
}

static void stop_timeout(uv_timer_t *t)
{
	struct mqtt_conn *c = MESH_CONTAINER_OF(t, struct mqtt_conn, stop_timer);

	if (c->life != LIFE_STOPPING)
		return;
	mesh_log_warn(LOG, "%s: clean disconnect did not complete in time; closing anyway",
		      c->server);
	stop_finish(c);
}

void mqtt_conn_stop(struct mqtt_conn *c, unsigned int timeout_ms, void (*done)(void *ctx),
		    void *ctx)
{
	c->stop_done = done;
	c->stop_ctx = ctx;
	if (c->life == LIFE_STOPPED) {
		conn_post_slot(c, &c->ev_stopped, EV_STOPPED, 0, NULL);
		return;
	}
	if (c->life == LIFE_STOPPING)
		return;
	uv_timer_stop(&c->retry_timer);
	c->life = LIFE_STOPPING;
	c->will_pending = c->will_topic != NULL;
	uv_timer_start(&c->stop_timer, stop_timeout, timeout_ms, 0);
	mesh_log_info(LOG, "%s: stopping", c->server);
	stop_advance(c);
}

/* ---- create and destroy -------------------------------------------------- */

static void conn_free(struct mqtt_conn *c)
{
	conn_forget_subscriptions(c);
	pthread_mutex_destroy(&c->lock);
	free(c->server);
	free(c->client_id);
	free(c->username);
	free(c->password);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->will_topic);
	free(c->will_payload);
	free(c);
}

static void conn_handle_closed(uv_handle_t *h)
{
	struct mqtt_conn *c = h->data;

	if (--c->open_handles == 0)
		conn_free(c);
}

void mqtt_conn_destroy(struct mqtt_conn *c)
{
	if (!c || c->destroyed)
		return;
	c->destroyed = true;
	/* Waits for a Paho callback that is running; none comes after. */
	if (c->client)
		MQTTAsync_destroy(&c->client);
	conn_drop_queue(c);
	uv_close((uv_handle_t *)&c->wake, conn_handle_closed);
	uv_close((uv_handle_t *)&c->retry_timer, conn_handle_closed);
	uv_close((uv_handle_t *)&c->stop_timer, conn_handle_closed);
}

/* mqtt://host[:port] or mqtts://host[:port] (host may be [IPv6]) to
 * Paho's tcp://host:port or ssl://host:port. */
static int parse_server(const char *server, char *uri, size_t urilen, bool *tls, char *err,
			size_t errlen)
{
	const char *host, *end, *p;
	unsigned long port;
	char *num_end;

	if (!server)
		server = "";
	if (!strncmp(server, "mqtt://", 7)) {
		*tls = false;
		host = server + 7;
	} else if (!strncmp(server, "mqtts://", 8)) {
		*tls = true;
		host = server + 8;
	} else {
		goto bad;
	}
	if (*host == '[') {
		end = strchr(host, ']');
		if (!end || end == host + 1)
			goto bad;
		end++;
	} else {
		end = host + strcspn(host, ":/?#@ \t");
		if (end == host)
			goto bad;
	}
	for (p = host; p < end; p++)
		if ((unsigned char)*p <= ' ' || *p == '/' || *p == '@')
			goto bad;
	port = *tls ? 8883 : 1883;
	if (*end == ':') {
		errno = 0;
		port = strtoul(end + 1, &num_end, 10);
		if (num_end == end + 1 || *num_end || errno || port == 0 || port > 65535 ||
		    end[1] < '0' || end[1] > '9') {
			snprintf(err, errlen, "mqtt.server '%s': the port must be a number from 1 to 65535",
				 server);
			return -EINVAL;
		}
	} else if (*end) {
		goto bad;
	}
	if ((size_t)snprintf(uri, urilen, "%s://%.*s:%lu", *tls ? "ssl" : "tcp", (int)(end - host),
			     host, port) >= urilen) {
		snprintf(err, errlen, "mqtt.server '%s': too long", server);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen, "mqtt.server '%s': use mqtt://host[:port] or mqtts://host[:port]",
		 server);
	return -EINVAL;
}

/* Copy s, or NULL for NULL or "" (Paho's "none"). *ok false if out of memory. */
static char *dup_or_null(const char *s, bool *ok)
{
	char *d;

	if (!s || !*s)
		return NULL;
	d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

static int check_options(const struct mqtt_conn_options *o, char *err, size_t errlen)
{
	if (o->version != 0 && o->version != 4 && o->version != 5) {
		snprintf(err, errlen, "mqtt.version %d: use 4 (MQTT 3.1.1) or 5", o->version);
		return -EINVAL;
	}
	if (!o->client_id || !*o->client_id) {
		snprintf(err, errlen, "mqtt.client_id is empty");
		return -EINVAL;
	}
	if (o->will_topic && (!*o->will_topic || strlen(o->will_topic) >= MQTT_CONN_TOPIC_MAX ||
			      strpbrk(o->will_topic, "+#"))) {
		snprintf(err, errlen, "will topic '%s': not a topic name", o->will_topic);
		return -EINVAL;
	}
	if (o->keepalive_s > 65535) {
		snprintf(err, errlen, "mqtt.keepalive %u: at most 65535 s", o->keepalive_s);
		return -EINVAL;
	}
	return 0;
}

/* Paho would only say "TLS failure" at every connect; say it once, now. */
static int check_tls_file(const char *what, const char *path, char *err, size_t errlen)
{
	if (path && *path && access(path, R_OK) != 0) {
		snprintf(err, errlen, "%s '%s': %s", what, path, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static int check_tls_files(const struct mqtt_conn_options *o, char *err, size_t errlen)
{
	if (check_tls_file("mqtt.ca", o->ca_file, err, errlen) ||
	    check_tls_file("mqtt.cert", o->cert_file, err, errlen) ||
	    check_tls_file("mqtt.key", o->key_file, err, errlen))
		return -EINVAL;
	return 0;
}

static int conn_copy_options(struct mqtt_conn *c, const struct mqtt_conn_options *o)
{
	bool ok = true;

	c->server = dup_or_null(o->server, &ok);
	c->client_id = dup_or_null(o->client_id, &ok);
	c->username = dup_or_null(o->username, &ok);
	c->password = dup_or_null(o->password, &ok);
	c->ca_file = dup_or_null(o->ca_file, &ok);
	c->cert_file = dup_or_null(o->cert_file, &ok);
	c->key_file = dup_or_null(o->key_file, &ok);
	c->will_topic = dup_or_null(o->will_topic, &ok);
	if (o->will_topic)
		c->will_payload = strdup(o->will_payload ? o->will_payload : "");
	if (o->will_topic && !c->will_payload)
		ok = false;
	c->insecure = o->insecure;
	c->version = o->version == 5 ? 5 : 4;
	c->keepalive_s = o->keepalive_s ? o->keepalive_s : DEFAULT_KEEPALIVE_S;
	c->min_ms = o->reconnect_min_ms ? o->reconnect_min_ms : DEFAULT_RECONNECT_MIN_MS;
	c->max_ms = (o->reconnect_max_s ? o->reconnect_max_s : DEFAULT_RECONNECT_MAX_S) * 1000u;
	if (c->max_ms < c->min_ms)
		c->max_ms = c->min_ms;
	return ok ? 0 : -ENOMEM;
}

static void conn_init_slots(struct mqtt_conn *c)
{
	c->ev_connect.slot = true;
	c->ev_lost.slot = true;
	c->ev_will.slot = true;
	c->ev_disconnect.slot = true;
	c->ev_stopped.slot = true;
	c->tail = &c->head;
	c->server_reason = -1;
	atomic_init(&c->publish_failed_async, 0);
}

static int conn_create_paho(struct mqtt_conn *c, const char *uri, char *err, size_t errlen)
{
	MQTTAsync_createOptions co3 = MQTTAsync_createOptions_initializer;
	MQTTAsync_createOptions co5 = MQTTAsync_createOptions_initializer5;
	MQTTAsync_createOptions *co = c->version == 5 ? &co5 : &co3;
	int rc;

	if (c->version != 5)
		co->MQTTVersion = MQTTVERSION_3_1_1;
	co->sendWhileDisconnected = 0;
	rc = MQTTAsync_createWithOptions(&c->client, uri, c->client_id, MQTTCLIENT_PERSISTENCE_NONE,
					 NULL, co);
	if (rc == MQTTASYNC_SUCCESS)
		rc = MQTTAsync_setCallbacks(c->client, c, on_lost, on_message, NULL);
	if (rc == MQTTASYNC_SUCCESS && c->version == 5)
		rc = MQTTAsync_setDisconnected(c->client, c, on_server_disconnect);
	if (rc != MQTTASYNC_SUCCESS) {
		snprintf(err, errlen, "mqtt.server '%s', client id '%s': the MQTT library refused: %s",
			 c->server, c->client_id, MQTTAsync_strerror(rc));
		if (c->client)
			MQTTAsync_destroy(&c->client);
		return rc == MQTTASYNC_BAD_UTF8_STRING ? -EINVAL : -EIO;
	}
	return 0;
}

int mqtt_conn_create(struct mqtt_conn **out, uv_loop_t *loop, const struct mqtt_conn_options *opts,
		     const struct mqtt_conn_ops *ops, void *ctx, char *err, size_t errlen)
{
	char uri[URI_MAX];
	struct mqtt_conn *c;
	unsigned int port;
	bool tls;
	int rc;

	*out = NULL;
	rc = parse_server(opts->server, uri, sizeof(uri), &tls, err, errlen);
	port = rc == 0 ? uri_port(uri) : 0;
	if (rc == 0)
		rc = check_options(opts, err, errlen);
	if (rc == 0 && tls)
		rc = check_tls_files(opts, err, errlen);
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c || pthread_mutex_init(&c->lock, NULL)) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->loop = loop;
	c->ops = *ops;
	c->ctx = ctx;
	c->tls = tls;
	c->port = port;
	conn_init_slots(c);
	rc = conn_copy_options(c, opts);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		conn_free(c);
		return rc;
	}
	if (!tls && (c->ca_file || c->cert_file))
		mesh_log_warn(LOG, "%s: not mqtts://, so the TLS files are not used", c->server);
	rc = conn_create_paho(c, uri, err, errlen);
	if (rc) {
		conn_free(c);
		return rc;
	}
	if (uv_async_init(loop, &c->wake, conn_wake)) {
		snprintf(err, errlen, "cannot create the loop wake-up handle");
		MQTTAsync_destroy(&c->client);
		conn_free(c);
		return -EIO;
	}
	uv_timer_init(loop, &c->retry_timer);
	uv_timer_init(loop, &c->stop_timer);
	c->wake.data = c;
	c->retry_timer.data = c;
	c->stop_timer.data = c;
	c->open_handles = 3;
	*out = c;
	return 0;
}

/* ---- the public operations ----------------------------------------------- */

int mqtt_conn_start(struct mqtt_conn *c)
{
	if (c->life != LIFE_IDLE)
		return c->life == LIFE_RUNNING ? -EALREADY : -EINVAL;
	c->life = LIFE_RUNNING;
	mesh_log_info(LOG, "connecting to %s (MQTT %s) as '%s'", c->server,
		      c->version == 5 ? "5" : "3.1.1", c->client_id);
	conn_connect(c);
	return 0;
}

bool mqtt_conn_is_connected(const struct mqtt_conn *c)
{
	return c->life == LIFE_RUNNING && c->link == LINK_UP;
}

static bool valid_topic(const char *topic)
{
	return topic && *topic && strlen(topic) < MQTT_CONN_TOPIC_MAX;
}

int mqtt_conn_publish(struct mqtt_conn *c, const char *topic, const void *payload, size_t len,
		      int qos, bool retain)
{
	MQTTAsync_responseOptions r = MQTTAsync_responseOptions_initializer;
	int rc;

	if (!valid_topic(topic) || strpbrk(topic, "+#") || (qos != 0 && qos != 1) ||
	    (len && !payload))
		return -EINVAL;
	if (len > INT_MAX)
		return -EMSGSIZE;
	if (!mqtt_conn_is_connected(c)) {
		c->stats.publish_failed++;
		return -ENOTCONN;
	}
	r.context = c;
	if (c->version == 5)
		r.onFailure5 = on_publish_fail5;
	else
		r.onFailure = on_publish_fail;
	rc = MQTTAsync_send(c->client, topic, (int)len, len ? payload : "", qos, retain,
			    qos ? &r : NULL);
	if (rc != MQTTASYNC_SUCCESS) {
		c->stats.publish_failed++;
		mesh_log_debug(LOG, "%s: publish to '%s' failed: %s", c->server, topic,
			       MQTTAsync_strerror(rc));
		return paho_to_errno(rc);
	}
	c->stats.published++;
	return 0;
}

int mqtt_conn_subscribe(struct mqtt_conn *c, const char *topic_filter, int qos)
{
	MQTTAsync_responseOptions r = MQTTAsync_responseOptions_initializer;
	struct mqtt_pending_sub *p;
	size_t len;
	int rc;

	if (!valid_topic(topic_filter) || qos < 0 || qos > 2)
		return -EINVAL;
	if (!mqtt_conn_is_connected(c))
		return -ENOTCONN;
	len = strlen(topic_filter);
	p = malloc(sizeof(*p) + len + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p->filter, topic_filter, len + 1);
	r.context = c;
	if (c->version == 5) {
		r.onSuccess5 = on_sub_ok5;
		r.onFailure5 = on_sub_fail5;
	} else {
		r.onSuccess = on_sub_ok;
		r.onFailure = on_sub_fail;
	}
	rc = MQTTAsync_subscribe(c->client, topic_filter, qos, &r);
	if (rc != MQTTASYNC_SUCCESS) {
		free(p);
		mesh_log_warn(LOG, "%s: cannot subscribe to '%s': %s", c->server, topic_filter,
			      MQTTAsync_strerror(rc));
		return paho_to_errno(rc);
	}
	p->token = r.token;
	p->next = c->subs;
	c->subs = p;
	mesh_log_debug(LOG, "%s: subscribing to '%s'", c->server, topic_filter);
	return 0;
}

void mqtt_conn_stats(const struct mqtt_conn *c, struct mqtt_conn_stats *out)
{
	*out = c->stats;
	/* Reading an atomic counter does not change the connection. */
	out->publish_failed += atomic_load((atomic_uint_fast64_t *)&c->publish_failed_async);
}
