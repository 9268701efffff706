/*
 * The MQTT connection against a real Mosquitto (tests/unit/broker.c):
 * round trips in MQTT 3.1.1 and 5, retained flags, every callback on the
 * loop thread, refused credentials, a broker restart with backoff, the
 * clean stop's "offline", the Last Will when a client dies, TLS with the
 * right and a wrong CA, and the pure backoff function.
 *
 * The Last Will test runs this same program as a child ("--will-child")
 * and kills it with SIGKILL, so the broker sees a connection die without
 * a DISCONNECT.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "bridge/mqtt_conn.h"
#include "broker.h"
#include "uv_helpers.h"

#define MAX_MSGS 64
#define MAX_RETRIES 16
#define WAIT_MS 5000
/* The crash test starts this program again; a cross build names a script
 * that starts it through the emulator. */
#ifndef MESHGATE_SELF_BIN
#define MESHGATE_SELF_BIN "/proc/self/exe"
#endif

static pthread_t loop_thread;

/*
 * Sanitizer builds: Paho leaks when a client is destroyed with publishes
 * in flight, which test_destroy_while_connected does on purpose (see
 * tests/lsan.supp for the details). Paho is built without frame pointers,
 * so the suppression can only match "MQTTAsync_send" with the slow
 * unwinder. Both hooks are read by the sanitizer runtime at start; they
 * do nothing in other builds.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:MQTTAsync_send\n";
}

struct msg {
	char topic[64];
	uint8_t payload[64];
	size_t len;
	bool retained;
};

struct client {
	struct mqtt_conn *conn;
	const char *sub;            /* subscribe to this in connected() */
	const char *online_topic;   /* publish "online" retained in connected() */
	int connected, reconnects, disconnected, done;
	char reason[256];
	unsigned int retry_ms[MAX_RETRIES];
	struct msg msgs[MAX_MSGS];
	int n_msgs;
	bool stopping;              /* no message may arrive once stop was called */
};

static void assert_on_loop_thread(void)
{
	assert_true(pthread_equal(pthread_self(), loop_thread));
}

static void cl_connected(void *ctx, bool reconnect)
{
	struct client *cl = ctx;

	assert_on_loop_thread();
	assert_true(mqtt_conn_is_connected(cl->conn));
	cl->connected++;
	if (reconnect)
		cl->reconnects++;
	if (cl->online_topic)
		assert_int_equal(mqtt_conn_publish(cl->conn, cl->online_topic, "online", 6, 1, true),
				 0);
	if (cl->sub)
		assert_int_equal(mqtt_conn_subscribe(cl->conn, cl->sub, 1), 0);
}

static void cl_disconnected(void *ctx, const char *reason, unsigned int retry_ms)
{
	struct client *cl = ctx;

	assert_on_loop_thread();
	assert_false(mqtt_conn_is_connected(cl->conn));
	if (cl->disconnected < MAX_RETRIES)
		cl->retry_ms[cl->disconnected] = retry_ms;
	cl->disconnected++;
	snprintf(cl->reason, sizeof(cl->reason), "%s", reason);
}

static void cl_message(void *ctx, const char *topic, const uint8_t *payload, size_t len,
		       bool retained)
{
	struct client *cl = ctx;
	struct msg *m;

	assert_on_loop_thread();
	assert_false(cl->stopping);
	assert_int_equal(payload[len], 0);
	assert_true(cl->n_msgs < MAX_MSGS);
	assert_true(len <= sizeof(m->payload));
	m = &cl->msgs[cl->n_msgs++];
	snprintf(m->topic, sizeof(m->topic), "%s", topic);
	memcpy(m->payload, payload, len);
	m->len = len;
	m->retained = retained;
}

static void cl_done(void *ctx)
{
	struct client *cl = ctx;

	assert_on_loop_thread();
	cl->done++;
}

static const struct mqtt_conn_ops cl_ops = {
	.connected = cl_connected,
	.disconnected = cl_disconnected,
	.message = cl_message,
};

static struct mqtt_conn_options base_options(const struct test_broker *b, const char *id,
					     int version)
{
	struct mqtt_conn_options o = {
		.server = b->url,
		.client_id = id,
		.version = version,
		.keepalive_s = 30,
		.reconnect_min_ms = 100,
		.reconnect_max_s = 1,
	};

	if (b->auth) {
		o.username = b->username;
		o.password = b->password;
	}
	if (b->tls)
		o.ca_file = b->ca_file;
	return o;
}

static void client_create(struct client *cl, uv_loop_t *loop, const struct mqtt_conn_options *o)
{
	char err[256] = "";

	assert_int_equal(mqtt_conn_create(&cl->conn, loop, o, &cl_ops, cl, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void client_start(struct client *cl, uv_loop_t *loop, const struct mqtt_conn_options *o)
{
	client_create(cl, loop, o);
	assert_int_equal(mqtt_conn_start(cl->conn), 0);
}

static bool cond_connected(void *ctx)
{
	return ((struct client *)ctx)->connected > 0;
}

static bool cond_disconnected(void *ctx)
{
	return ((struct client *)ctx)->disconnected > 0;
}

static bool cond_reconnected(void *ctx)
{
	return ((struct client *)ctx)->reconnects > 0;
}

static bool cond_done(void *ctx)
{
	return ((struct client *)ctx)->done > 0;
}

static struct client *wait_client;
static int wait_msgs;

static bool cond_msgs(void *ctx)
{
	(void)ctx;
	return wait_client->n_msgs >= wait_msgs;
}

static void wait_for_msgs(uv_loop_t *loop, struct client *cl, int n)
{
	wait_client = cl;
	wait_msgs = n;
	assert_true(test_uv_run_until(loop, cond_msgs, NULL, WAIT_MS));
}

static void client_stop_destroy(uv_loop_t *loop, struct client *cl)
{
	cl->stopping = true;
	mqtt_conn_stop(cl->conn, 2000, cl_done, cl);
	assert_true(test_uv_run_until(loop, cond_done, cl, 3000));
	assert_int_equal(cl->done, 1);
	assert_false(mqtt_conn_is_connected(cl->conn));
	mqtt_conn_destroy(cl->conn);
	cl->conn = NULL;
}

static void assert_msg(const struct msg *m, const char *topic, const void *payload, size_t len,
		       bool retained)
{
	assert_string_equal(m->topic, topic);
	assert_int_equal(m->len, len);
	assert_memory_equal(m->payload, payload, len);
	assert_int_equal(m->retained, retained);
}

/* ---- the broker shared by several tests ---------------------------------- */

static struct test_broker shared;

static int group_setup(void **state)
{
	(void)state;
	loop_thread = pthread_self();
	return test_broker_start(&shared, false);
}

static int group_teardown(void **state)
{
	(void)state;
	test_broker_destroy(&shared);
	return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void test_backoff(void **state)
{
	(void)state;
	/* Doubling from min, no jitter with rnd 0. */
	assert_int_equal(mqtt_conn_backoff_ms(0, 1000, 60000, 0), 1000);
	assert_int_equal(mqtt_conn_backoff_ms(1, 1000, 60000, 0), 2000);
	assert_int_equal(mqtt_conn_backoff_ms(2, 1000, 60000, 0), 4000);
	assert_int_equal(mqtt_conn_backoff_ms(5, 1000, 60000, 0), 32000);
	/* Capped at max, however many attempts. */
	assert_int_equal(mqtt_conn_backoff_ms(6, 1000, 60000, 0), 60000);
	assert_int_equal(mqtt_conn_backoff_ms(40, 1000, 60000, 0), 60000);
	assert_int_equal(mqtt_conn_backoff_ms(UINT32_MAX, 1000, 60000, 0), 60000);
	/* Jitter: 0..50% on top, the top just below half. */
	assert_int_equal(mqtt_conn_backoff_ms(0, 1000, 60000, UINT32_MAX), 1499);
	assert_int_equal(mqtt_conn_backoff_ms(0, 1000, 60000, 0x80000000u), 1250);
	assert_int_equal(mqtt_conn_backoff_ms(40, 1000, 60000, UINT32_MAX), 89999);
	for (uint32_t r = 0; r < 0xfff00000u; r += 0x01234567u) {
		unsigned int d = mqtt_conn_backoff_ms(3, 100, 1000, r);

		assert_true(d >= 800 && d < 1200);
	}
	/* min above max: max; min 0: 0 without looping forever. */
	assert_int_equal(mqtt_conn_backoff_ms(0, 5000, 1000, 0), 1000);
	assert_int_equal(mqtt_conn_backoff_ms(UINT32_MAX, 0, 1000, UINT32_MAX), 0);
}

static void test_bad_server_and_options(void **state)
{
	static const char *const bad[] = {
		"http://x", "mqtt://", "mqtt://:1883", "mqtt://host:0", "mqtt://host:65536",
		"mqtt://host:12x", "mqtt://host/path", "mqtts//host", "", "mqtt://host:",
		"mqtt://[::1", "tcp://host:1883",
	};
	static const char *const good[] = {
		"mqtt://host", "mqtts://host:8883", "mqtt://[::1]:1883", "mqtt://10.0.0.1:1",
	};
	struct client cl = { 0 };
	struct mqtt_conn_options o = base_options(&shared, "bad", 4);
	uv_loop_t loop;
	char err[256];

	(void)state;
	uv_loop_init(&loop);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mqtt_conn *c = (void *)&cl;  /* must come back NULL */

		o.server = bad[i];
		err[0] = '\0';
		assert_int_equal(mqtt_conn_create(&c, &loop, &o, &cl_ops, &cl, err, sizeof(err)),
				 -EINVAL);
		assert_null(c);
		assert_non_null(strstr(err, "mqtt.server"));
		if (*bad[i])
			assert_non_null(strstr(err, bad[i]));
	}
	/* Good URLs: created, never started, destroyed. */
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		o.server = good[i];
		client_create(&cl, &loop, &o);
		assert_false(mqtt_conn_is_connected(cl.conn));
		mqtt_conn_destroy(cl.conn);
	}
	o.server = shared.url;
	o.version = 3;
	assert_int_equal(mqtt_conn_create(&cl.conn, &loop, &o, &cl_ops, &cl, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "mqtt.version 3"));
	o.version = 4;
	o.client_id = "";
	assert_int_equal(mqtt_conn_create(&cl.conn, &loop, &o, &cl_ops, &cl, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "client_id"));
	o.client_id = "x";
	o.will_topic = "a/#";
	assert_int_equal(mqtt_conn_create(&cl.conn, &loop, &o, &cl_ops, &cl, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "a/#"));
	o.will_topic = NULL;
	o.server = "mqtts://host";
	o.ca_file = "/nonexistent/ca.crt";
	assert_int_equal(mqtt_conn_create(&cl.conn, &loop, &o, &cl_ops, &cl, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "mqtt.ca '/nonexistent/ca.crt'"));
	assert_true(test_uv_loop_close(&loop));
}

static void test_publish_while_disconnected(void **state)
{
	struct client cl = { 0 };
	struct mqtt_conn_options o = base_options(&shared, "idle", 4);
	struct mqtt_conn_stats st;
	uv_loop_t loop;

	(void)state;
	uv_loop_init(&loop);
	client_create(&cl, &loop, &o);
	assert_int_equal(mqtt_conn_publish(cl.conn, "a/b", "x", 1, 0, false), -ENOTCONN);
	assert_int_equal(mqtt_conn_publish(cl.conn, "a/b", "x", 1, 1, true), -ENOTCONN);
	assert_int_equal(mqtt_conn_subscribe(cl.conn, "a/#", 1), -ENOTCONN);
	/* Bad arguments are refused before anything else. */
	assert_int_equal(mqtt_conn_publish(cl.conn, "a/#", "x", 1, 0, false), -EINVAL);
	assert_int_equal(mqtt_conn_publish(cl.conn, "a/b", "x", 1, 2, false), -EINVAL);
	assert_int_equal(mqtt_conn_publish(cl.conn, "", "x", 1, 0, false), -EINVAL);
	assert_int_equal(mqtt_conn_publish(cl.conn, "a/b", NULL, 1, 0, false), -EINVAL);
	mqtt_conn_stats(cl.conn, &st);
	assert_int_equal(st.published, 0);
	assert_int_equal(st.publish_failed, 2);
	/* Stop without ever starting: done still comes, on the loop. */
	mqtt_conn_stop(cl.conn, 1000, cl_done, &cl);
	assert_int_equal(cl.done, 0);
	assert_true(test_uv_run_until(&loop, cond_done, &cl, 1000));
	assert_int_equal(mqtt_conn_start(cl.conn), -EINVAL);
	mqtt_conn_destroy(cl.conn);
	assert_int_equal(cl.connected, 0);
	assert_true(test_uv_loop_close(&loop));
}

/*
 * A publishes a retained message and then subscribes: the broker handles
 * A's packets in order, so A's own retained message comes back flagged
 * retained; a live publish comes back unflagged. After A is gone, B gets
 * A's retained message.
 *
 * One client at a time: Paho's receive thread notices a new socket only
 * when its current 1 s poll ends, so a second simultaneous client costs
 * 1-2 s to connect (one client alone connects at once).
 */
/* Every TCP connection of this process to the broker's port has
 * TCP_NODELAY (and there is at least one). */
static bool broker_sockets_nodelay(unsigned int port)
{
	unsigned int seen = 0;

	for (int fd = 0; fd < 1024; fd++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer), olen = sizeof(int);
		int nodelay = 0;

		if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0 ||
		    peer.sin_family != AF_INET || ntohs(peer.sin_port) != port)
			continue;
		if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &olen) < 0 || !nodelay)
			return false;
		seen++;
	}
	return seen > 0;
}

static void round_trip(int version)
{
	static const uint8_t binary[] = { 'a', 0, 'b', 0xff };
	char a_id[32], b_id[32];
	struct client a = { .sub = "rt/#" }, b = { .sub = "rt/#" };
	struct mqtt_conn_options oa, ob;
	struct mqtt_conn_stats st;
	uv_loop_t loop;

	snprintf(a_id, sizeof(a_id), "rt-a-%d", version);
	snprintf(b_id, sizeof(b_id), "rt-b-%d", version);
	oa = base_options(&shared, a_id, version);
	ob = base_options(&shared, b_id, version);
	uv_loop_init(&loop);

	/* Retained first, subscription second (see cl_connected's order). */
	a.online_topic = "rt/retained";
	client_start(&a, &loop, &oa);
	assert_true(test_uv_run_until(&loop, cond_connected, &a, WAIT_MS));
	assert_int_equal(a.reconnects, 0);
	/* A command and the state it causes share the connection: no
	 * waiting for delayed ACKs (Nagle's algorithm off). */
	assert_true(broker_sockets_nodelay(shared.port));
	wait_for_msgs(&loop, &a, 1);
	assert_msg(&a.msgs[0], "rt/retained", "online", 6, true);

	assert_int_equal(mqtt_conn_publish(a.conn, "rt/live", binary, sizeof(binary), 1, false), 0);
	assert_int_equal(mqtt_conn_publish(a.conn, "rt/empty", NULL, 0, 0, false), 0);
	wait_for_msgs(&loop, &a, 3);
	assert_msg(&a.msgs[1], "rt/live", binary, sizeof(binary), false);
	assert_msg(&a.msgs[2], "rt/empty", "", 0, false);

	mqtt_conn_stats(a.conn, &st);
	assert_int_equal(st.published, 3);
	assert_int_equal(st.publish_failed, 0);
	assert_int_equal(st.received, 3);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.disconnects, 0);
	client_stop_destroy(&loop, &a);
	assert_int_equal(a.disconnected, 0);

	client_start(&b, &loop, &ob);
	wait_for_msgs(&loop, &b, 1);
	assert_msg(&b.msgs[0], "rt/retained", "online", 6, true);
	/* Clear the retained message for the other version's run. */
	assert_int_equal(mqtt_conn_publish(b.conn, "rt/retained", NULL, 0, 1, true), 0);
	wait_for_msgs(&loop, &b, 2);
	assert_msg(&b.msgs[1], "rt/retained", "", 0, false);
	client_stop_destroy(&loop, &b);
	assert_int_equal(b.disconnected, 0);
	assert_true(test_uv_loop_close(&loop));
}

static void test_round_trip_mqtt311(void **state)
{
	(void)state;
	round_trip(4);
}

static void test_round_trip_mqtt5(void **state)
{
	(void)state;
	round_trip(5);
}

static void credentials(int version)
{
	struct test_broker b;
	struct client bad = { 0 }, none = { 0 }, good = { .sub = "auth/#" };
	struct mqtt_conn_options o;
	struct test_log log;
	uv_loop_t loop;

	assert_int_equal(test_broker_start(&b, true), 0);
	test_log_start(&log);
	uv_loop_init(&loop);

	o = base_options(&b, "auth-bad", version);
	o.password = "wrong-password";
	client_start(&bad, &loop, &o);
	assert_true(test_uv_run_until(&loop, cond_disconnected, &bad, WAIT_MS));
	assert_int_equal(bad.connected, 0);
	assert_non_null(strstr(bad.reason, "not authorised"));
	assert_non_null(strstr(bad.reason, "bad user name or password"));
	assert_true(bad.retry_ms[0] >= 100 && bad.retry_ms[0] < 150);
	client_stop_destroy(&loop, &bad);

	o = base_options(&b, "auth-none", version);
	o.username = NULL;
	o.password = NULL;
	client_start(&none, &loop, &o);
	assert_true(test_uv_run_until(&loop, cond_disconnected, &none, WAIT_MS));
	assert_non_null(strstr(none.reason, "not authorised"));
	client_stop_destroy(&loop, &none);

	o = base_options(&b, "auth-good", version);
	client_start(&good, &loop, &o);
	assert_true(test_uv_run_until(&loop, cond_connected, &good, WAIT_MS));
	assert_int_equal(good.disconnected, 0);
	assert_int_equal(mqtt_conn_publish(good.conn, "auth/x", "1", 1, 1, false), 0);
	wait_for_msgs(&loop, &good, 1);
	client_stop_destroy(&loop, &good);
	assert_true(test_uv_loop_close(&loop));
	/* The user name may be logged, never the password. */
	assert_true(test_log_has(&log, "connect"));
	assert_false(test_log_has(&log, b.password));
	assert_false(test_log_has(&log, "wrong-password"));
	test_log_stop(&log);
	test_broker_destroy(&b);
}

static void test_credentials_mqtt311(void **state)
{
	(void)state;
	credentials(4);
}

static void test_credentials_mqtt5(void **state)
{
	(void)state;
	credentials(5);
}

/*
 * Broker stopped: disconnected() with a retry delay; publishing fails
 * with -ENOTCONN; retries back off 100, 200, 400 ms... (+ up to 50%);
 * broker back: connected(reconnect = true).
 */
static void reconnect(int version)
{
	struct test_broker b;
	struct client cl = { 0 };
	struct mqtt_conn_options o;
	struct mqtt_conn_stats st;
	uv_loop_t loop;

	assert_int_equal(test_broker_start(&b, false), 0);
	uv_loop_init(&loop);
	o = base_options(&b, "reconnect", version);
	client_start(&cl, &loop, &o);
	assert_true(test_uv_run_until(&loop, cond_connected, &cl, WAIT_MS));

	test_broker_stop(&b);
	assert_true(test_uv_run_until(&loop, cond_disconnected, &cl, WAIT_MS));
	assert_non_null(strstr(cl.reason, "connection lost"));
	assert_false(mqtt_conn_is_connected(cl.conn));
	assert_int_equal(mqtt_conn_publish(cl.conn, "r/x", "1", 1, 1, false), -ENOTCONN);

	/* Let a few retries fail. */
	test_uv_run_until(&loop, NULL, NULL, 1000);
	assert_true(cl.disconnected >= 3);
	assert_non_null(strstr(cl.reason, "cannot connect"));
	for (int i = 0; i < cl.disconnected && i < MAX_RETRIES; i++) {
		unsigned int base = 100u << (i < 4 ? i : 4);

		if (base > 1000)
			base = 1000;
		assert_true(cl.retry_ms[i] >= base);
		assert_true(cl.retry_ms[i] < base + base / 2);
	}
	assert_int_equal(cl.connected, 1);

	assert_int_equal(test_broker_restart(&b), 0);
	assert_true(test_uv_run_until(&loop, cond_reconnected, &cl, 3000));
	assert_int_equal(cl.connected, 2);
	assert_true(mqtt_conn_is_connected(cl.conn));
	assert_int_equal(mqtt_conn_publish(cl.conn, "r/x", "1", 1, 1, false), 0);
	mqtt_conn_stats(cl.conn, &st);
	assert_int_equal(st.connects, 2);
	assert_int_equal(st.disconnects, 1);
	assert_int_equal(st.publish_failed, 1);

	/* A second loss after a good connect starts the backoff again at min. */
	cl.disconnected = 0;
	test_broker_stop(&b);
	assert_true(test_uv_run_until(&loop, cond_disconnected, &cl, WAIT_MS));
	assert_true(cl.retry_ms[0] >= 100 && cl.retry_ms[0] < 150);

	/* Stop while the broker is down: done comes at once, no reconnect. */
	client_stop_destroy(&loop, &cl);
	assert_true(test_uv_loop_close(&loop));
	assert_int_equal(cl.connected, 2);
	test_broker_destroy(&b);
}

static void test_reconnect_mqtt311(void **state)
{
	(void)state;
	reconnect(4);
}

static void test_reconnect_mqtt5(void **state)
{
	(void)state;
	reconnect(5);
}

/*
 * Clean stop: the will payload is published retained by the client itself,
 * done is called, nothing reconnects, and messages still queued when stop
 * is called are dropped (cl_message asserts that none comes).
 */
static void test_stop_publishes_offline(void **state)
{
	struct client a = { .sub = "stop/#", .online_topic = "stop/state" };
	struct client b = { .sub = "stop/state" };
	struct mqtt_conn_options oa = base_options(&shared, "stop-a", 4);
	struct mqtt_conn_options ob = base_options(&shared, "stop-b", 5);
	uv_loop_t loop;

	(void)state;
	oa.will_topic = "stop/state";
	oa.will_payload = "offline";
	uv_loop_init(&loop);
	client_start(&a, &loop, &oa);
	wait_for_msgs(&loop, &a, 1);
	assert_msg(&a.msgs[0], "stop/state", "online", 6, true);

	/* Messages on their way back to A while it stops. */
	for (int i = 0; i < 20; i++)
		assert_int_equal(mqtt_conn_publish(a.conn, "stop/flood", "x", 1, 0, false), 0);
	a.stopping = true;
	mqtt_conn_stop(a.conn, 2000, cl_done, &a);
	assert_false(mqtt_conn_is_connected(a.conn));
	assert_int_equal(mqtt_conn_publish(a.conn, "stop/x", "1", 1, 0, false), -ENOTCONN);
	assert_true(test_uv_run_until(&loop, cond_done, &a, 3000));
	assert_int_equal(a.done, 1);
	assert_false(mqtt_conn_is_connected(a.conn));
	/* No reconnect after stop. */
	test_uv_run_until(&loop, NULL, NULL, 300);
	assert_int_equal(a.connected, 1);
	assert_int_equal(a.disconnected, 0);
	mqtt_conn_destroy(a.conn);

	client_start(&b, &loop, &ob);
	wait_for_msgs(&loop, &b, 1);
	assert_msg(&b.msgs[0], "stop/state", "offline", 7, true);
	client_stop_destroy(&loop, &b);
	assert_true(test_uv_loop_close(&loop));
}

/* A stop that cannot finish in time still calls done, once, and says so. */
static void test_stop_timeout(void **state)
{
	struct client a = { 0 };
	struct mqtt_conn_options oa = base_options(&shared, "stop-timeout", 5);
	struct test_log log;
	uv_loop_t loop;

	(void)state;
	oa.will_topic = "stoptimeout/state";
	oa.will_payload = "offline";
	uv_loop_init(&loop);
	test_log_start(&log);
	client_start(&a, &loop, &oa);
	assert_true(test_uv_run_until(&loop, cond_connected, &a, WAIT_MS));
	/* 0 ms: the timer runs before the broker can acknowledge anything. */
	mqtt_conn_stop(a.conn, 0, cl_done, &a);
	assert_true(test_uv_run_until(&loop, cond_done, &a, 1000));
	assert_true(test_log_has(&log, "did not complete in time"));
	test_uv_run_until(&loop, NULL, NULL, 200);
	assert_int_equal(a.done, 1);
	assert_int_equal(a.disconnected, 0);
	mqtt_conn_destroy(a.conn);
	assert_true(test_uv_loop_close(&loop));
	test_log_stop(&log);
}

/* The child of test_last_will_on_crash: connect with a will, publish
 * "online", say "ready" once the broker has it, then wait to be killed. */
static struct client child;

static void child_message(void *ctx, const char *topic, const uint8_t *payload, size_t len,
			  bool retained)
{
	(void)ctx;
	(void)topic;
	(void)retained;
	if (len == 6 && !memcmp(payload, "online", 6)) {
		if (write(STDOUT_FILENO, "ready\n", 6) != 6)
			exit(3);
	}
}

static int will_child(const char *url, const char *topic)
{
	static const struct mqtt_conn_ops ops = { cl_connected, NULL, child_message };
	struct mqtt_conn_options o = {
		.server = url, .client_id = "will-child", .version = 4,
		.will_topic = topic, .will_payload = "offline",
	};
	uv_loop_t loop;
	char err[256];

	loop_thread = pthread_self();
	uv_loop_init(&loop);
	child.online_topic = topic;
	child.sub = topic;
	if (mqtt_conn_create(&child.conn, &loop, &o, &ops, &child, err, sizeof(err))) {
		fprintf(stderr, "will child: %s\n", err);
		return 2;
	}
	mqtt_conn_start(child.conn);
	uv_run(&loop, UV_RUN_DEFAULT);
	return 0;
}

static void test_last_will_on_crash(void **state)
{
	struct client b = { .sub = "crash/state" };
	struct mqtt_conn_options ob = base_options(&shared, "crash-b", 4);
	struct pollfd pfd;
	char buf[16] = "";
	int fds[2], status;
	uv_loop_t loop;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		execl(MESHGATE_SELF_BIN, "test_mqtt_conn", "--will-child", shared.url, "crash/state",
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	assert_true(read(fds[0], buf, sizeof(buf) - 1) >= 5);
	assert_memory_equal(buf, "ready", 5);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fds[0]);

	uv_loop_init(&loop);
	client_start(&b, &loop, &ob);
	wait_for_msgs(&loop, &b, 1);
	assert_msg(&b.msgs[0], "crash/state", "offline", 7, true);
	client_stop_destroy(&loop, &b);
	assert_true(test_uv_loop_close(&loop));
}

/* Destroy while connected (no stop): nothing is called afterwards and
 * nothing leaks. */
static void test_destroy_while_connected(void **state)
{
	struct client cl = { .sub = "gone/#" };
	struct mqtt_conn_options o = base_options(&shared, "gone", 5);
	uv_loop_t loop;

	(void)state;
	uv_loop_init(&loop);
	client_start(&cl, &loop, &o);
	assert_true(test_uv_run_until(&loop, cond_connected, &cl, WAIT_MS));
	for (int i = 0; i < 20; i++)
		assert_int_equal(mqtt_conn_publish(cl.conn, "gone/x", "x", 1, 1, false), 0);
	cl.stopping = true;
	mqtt_conn_destroy(cl.conn);
	mqtt_conn_destroy(cl.conn);  /* the second call does nothing */
	assert_true(test_uv_loop_close(&loop));
}

static void test_tls(void **state)
{
	struct test_broker b;
	struct client good = { .sub = "tls/#" }, wrong = { 0 }, insecure = { 0 };
	struct mqtt_conn_options o;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(test_broker_start_tls(&b, false), 0);
	assert_non_null(strstr(b.url, "mqtts://"));
	uv_loop_init(&loop);

	o = base_options(&b, "tls-good", 4);
	client_start(&good, &loop, &o);
	assert_true(test_uv_run_until(&loop, cond_connected, &good, WAIT_MS));
	assert_int_equal(mqtt_conn_publish(good.conn, "tls/x", "secret", 6, 1, false), 0);
	wait_for_msgs(&loop, &good, 1);
	assert_msg(&good.msgs[0], "tls/x", "secret", 6, false);
	client_stop_destroy(&loop, &good);

	o = base_options(&b, "tls-wrong", 5);
	o.ca_file = b.wrong_ca_file;
	client_start(&wrong, &loop, &o);
	assert_true(test_uv_run_until(&loop, cond_disconnected, &wrong, WAIT_MS));
	assert_int_equal(wrong.connected, 0);
	assert_non_null(strstr(wrong.reason, "TLS"));
	assert_non_null(strstr(wrong.reason, "certificate"));
	client_stop_destroy(&loop, &wrong);

	o = base_options(&b, "tls-insecure", 4);
	o.ca_file = b.wrong_ca_file;
	o.insecure = true;
	client_start(&insecure, &loop, &o);
	assert_true(test_uv_run_until(&loop, cond_connected, &insecure, WAIT_MS));
	client_stop_destroy(&loop, &insecure);
	assert_true(test_uv_loop_close(&loop));
	test_broker_destroy(&b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_bad_server_and_options),
		cmocka_unit_test(test_publish_while_disconnected),
		cmocka_unit_test(test_destroy_while_connected),
		cmocka_unit_test(test_round_trip_mqtt311),
		cmocka_unit_test(test_round_trip_mqtt5),
		cmocka_unit_test(test_credentials_mqtt311),
		cmocka_unit_test(test_credentials_mqtt5),
		cmocka_unit_test(test_reconnect_mqtt311),
		cmocka_unit_test(test_reconnect_mqtt5),
		cmocka_unit_test(test_stop_publishes_offline),
		cmocka_unit_test(test_stop_timeout),
		cmocka_unit_test(test_last_will_on_crash),
		cmocka_unit_test(test_tls),
	};

	if (argc == 4 && !strcmp(argv[1], "--will-child"))
		return will_child(argv[2], argv[3]);
	/* [filter [skip]]: cmocka name patterns, to run a few tests alone */
	if (argc >= 2)
		cmocka_set_test_filter(argv[1]);
	if (argc >= 3)
		cmocka_set_skip_filter(argv[2]);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
