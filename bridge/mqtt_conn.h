/*
 * An MQTT client connection on meshgate's libuv loop, over Eclipse Paho
 * MQTT C (MQTTAsync).
 *
 * Paho runs its own threads; none of them may touch gateway state. Every
 * Paho callback only copies what it got (an incoming message, a connect
 * result, a lost connection) into a queue under a mutex and wakes the loop
 * with uv_async_send(); the loop drains the queue and calls our callbacks.
 * So every struct mqtt_conn_ops callback runs on the loop thread.
 *
 * The connection keeps itself up: a failed connect or a lost connection is
 * retried after a delay that doubles from 1 s up to reconnect_max_s, with
 * jitter (a random 0..50% added) so many gateways restarted together do
 * not reconnect in step. Paho's own automatic reconnect is not used: the
 * delay and the "connected again" moment are ours, because after every
 * (re)connect the bridge publishes its whole state again.
 *
 * The Last Will is set at every connect; a clean mqtt_conn_stop() first
 * publishes the "offline" payload itself, waits for it to be delivered (or
 * a timeout), then disconnects.
 */
#ifndef BRIDGE_MQTT_CONN_H
#define BRIDGE_MQTT_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define MQTT_CONN_TOPIC_MAX 512

struct mqtt_conn_options {
	const char *server;          /* mqtt://host:port or mqtts://host:port */
	const char *client_id;
	const char *username;        /* NULL or "": none */
	const char *password;        /* NULL or "": none */
	const char *ca_file;         /* mqtts: NULL = system default */
	const char *cert_file;       /* client certificate, NULL none */
	const char *key_file;
	bool insecure;               /* mqtts without checking the server certificate */
	int version;                 /* 4 = MQTT 3.1.1, 5 = MQTT 5; 0: 4 */
	unsigned int keepalive_s;    /* 0: 60 */
	unsigned int reconnect_min_ms;  /* 0: 1000 */
	unsigned int reconnect_max_s;   /* 0: 60 */
	/* Last Will (retained, QoS 1); will_topic NULL: none. */
	const char *will_topic;
	const char *will_payload;
};

struct mqtt_conn_ops {
	/* Connected (first time or again). Subscribe and republish here. */
	void (*connected)(void *ctx, bool reconnect);
	/* The connection went down or a connect failed; a retry is scheduled
	 * in retry_ms. reason says why, for the log. */
	void (*disconnected)(void *ctx, const char *reason, unsigned int retry_ms);
	/* A message on a subscribed topic (payload not NUL-terminated, but
	 * payload[len] is 0 for convenience). */
	void (*message)(void *ctx, const char *topic, const uint8_t *payload, size_t len,
			bool retained);
};

struct mqtt_conn;

/* Create (not connected yet). Negative errno (-EINVAL, -ENOMEM, -EIO) with a
 * sentence in err (a bad server URL, Paho refusing the options). */
int mqtt_conn_create(struct mqtt_conn **out, uv_loop_t *loop, const struct mqtt_conn_options *opts,
		     const struct mqtt_conn_ops *ops, void *ctx, char *err, size_t errlen);
/* Start connecting (and keep connected). Once only: -EALREADY when running,
 * -EINVAL after a stop. */
int mqtt_conn_start(struct mqtt_conn *c);
/*
 * Clean stop: publish the will payload to the will topic (if any) retained,
 * disconnect, then call done(ctx) on the loop (at most timeout_ms later).
 * Nothing is reconnected afterwards.
 */
void mqtt_conn_stop(struct mqtt_conn *c, unsigned int timeout_ms, void (*done)(void *ctx),
		    void *ctx);
/* Free (after stop's done, or when never started). Closes its uv handles;
 * the loop must run once more for them to close. */
void mqtt_conn_destroy(struct mqtt_conn *c);

bool mqtt_conn_is_connected(const struct mqtt_conn *c);

/*
 * Publish (QoS 0 or 1). While disconnected, returns -ENOTCONN and the
 * message is dropped: the bridge republishes everything at the next connect,
 * so nothing of the state is lost. 0 or negative errno.
 */
int mqtt_conn_publish(struct mqtt_conn *c, const char *topic, const void *payload, size_t len,
		      int qos, bool retain);
/* Subscribe (while connected; the bridge subscribes in connected()). */
int mqtt_conn_subscribe(struct mqtt_conn *c, const char *topic_filter, int qos);

/* Counters for logs and benchmarks. */
struct mqtt_conn_stats {
	uint64_t published, publish_failed, received, connects, disconnects;
};
void mqtt_conn_stats(const struct mqtt_conn *c, struct mqtt_conn_stats *out);

/* The next retry delay: base doubled per attempt up to max, plus 0..50%
 * jitter from rnd (0..UINT32_MAX). Exposed for its unit test. */
unsigned int mqtt_conn_backoff_ms(unsigned int attempt, unsigned int min_ms, unsigned int max_ms,
				  uint32_t rnd);

#endif
