/*
 * MQTT path benchmark: how much latency meshgate adds between MQTT and the
 * HCI controller, and how much memory it needs for 100 nodes.
 *
 * Latency. One real Mosquitto (tests/unit/broker.c) and, on one libuv loop,
 * the gateway wired as `meshgate --config FILE` wires it (gateway/run.c):
 * the radio (gateway/radio.h: a simulated world in this process behind the
 * in-process H4 link), the application, its API and the MQTT bridge. Two
 * bare Paho MQTTAsync clients stand for Home Assistant: P publishes, S
 * subscribes, both at QoS 1 as the bridge does. Three paths, sampled in
 * turn in the same run:
 *
 *   reference  P publishes on reference/ping, S receives it: the broker hop
 *              and Paho on both ends, nothing of meshgate;
 *   set        P publishes {"state":"ON"} on <base>/lamp a/set, until the
 *              HCI core hands the transport the LE Set Advertising Data
 *              command carrying the network PDU for lamp a (decoded to
 *              check its source and destination);
 *   state      lamp b sends a Generic OnOff Status to meshgate, from when
 *              the controller turns it into an LE Advertising Report for
 *              the host until S receives <base>/lamp b with the new state.
 *
 * Both gateway paths contain one broker hop, as the reference does, so
 * what meshgate adds is path - reference. Timestamps are CLOCK_MONOTONIC:
 * taken before MQTTAsync_send(), in S's message callback (Paho's thread),
 * when the HCI core writes a command to its transport (a tap between the
 * core and the radio's transport), and when the simulated world delivers
 * lamp b's advertisement to the controller, just before the controller
 * writes the report to the host. Both gateway paths are also cut where
 * the mesh stack meets the radio's bearer (a stamp in the bearer's send
 * and receive), which splits meshgate's time from the HCI link's.
 *
 * Two rounds: samples 60 ms apart, so every exchange finds the radio and
 * the broker connection idle; then 20 ms apart, within TCP's 40 ms delayed
 * ACK, where Nagle's algorithm holds meshgate's small MQTT packets (neither
 * Paho nor Mosquitto sets TCP_NODELAY). --nodelay sets it on this
 * process's broker connections, meshgate's included, to show what that
 * costs; the broker's side is Mosquitto's set_tcp_nodelay.
 *
 * Memory. 100 simulated lamps, all linked to the gateway's controller,
 * provisioned with keys the gateway's new database takes (as the demo
 * does), configured by the gateway through the normal path (bindings,
 * publications, heartbeats every 2 s), then left running for a while with
 * the bridge connected. VmRSS and VmHWM (/proc/PID/status) of:
 *   - the gateway in a process of its own, the world in another one
 *     behind a Unix socket (meshsim's way): what meshgate needs;
 *   - the world process;
 *   - both in one process, as `meshgate` runs the simulator (not with
 *     --quick).
 * These run in child processes forked before the latency run allocates
 * anything, so the figures are those of a fresh process.
 *
 *   bench_mqtt [--quick] [--samples N] [--gap MS] [--nodes N] [--hold S]
 *              [--no-memory] [--no-latency] [--nodelay]
 *
 * --quick (CI): 30 samples, one round, 4 nodes held 3 s. Exits 1 if a path
 * is broken (no HCI command, no state, a reference message lost, nodes not
 * configured or not heard), never because a figure is slow.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <MQTTAsync.h>
#include <uv.h>

#include "bridge/bridge.h"
#include "config/gateway_config.h"
#include "config/scenario.h"
#include "gateway/api.h"
#include "gateway/app.h"
#include "gateway/netdb.h"
#include "gateway/node.h"
#include "gateway/provisioning.h"
#include "gateway/radio.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/generic_msg.h"
#include "mesh/log.h"
#include "mesh/net.h"
#include "mesh/sim/world.h"
#include "mesh/stack.h"
#include "mesh/util.h"
#include "mesh/uv_timers.h"
#include "../unit/broker.h"
#include "../unit/uv_helpers.h"

#define BASE_ADDR 0x0100            /* lamps from here, one element each */
#define HB_PERIOD_S 2               /* memory run: heartbeats every 2 s */
#define LAT_LAMPS 2                 /* lamp a (commands), lamp b (statuses) */
#define QOS 1                       /* what the bridge subscribes and publishes with */
#define SAMPLE_TIMEOUT_MS 2000
/* Configuring takes about 0.9 s per node here: give up well after that. */
#define CONFIGURE_TIMEOUT_S(nodes) (30u + 3u * (nodes))
#define TAP_FRAMES_MAX 16

#define DEFAULT_SAMPLES 1000
#define QUICK_SAMPLES 30
#define DEFAULT_GAP_MS 60
#define CLOSE_GAP_MS 20
#define WARM_UP 5
#define DEFAULT_NODES 100
#define QUICK_NODES 4
#define DEFAULT_HOLD_S 20
#define QUICK_HOLD_S 3

static const uint8_t net_key[16] = {
	0x5a, 0x1e, 0x0b, 0x3c, 0x77, 0x21, 0x90, 0x4d,
	0xe8, 0x02, 0x6f, 0x13, 0xa9, 0x55, 0xc4, 0x38,
};
static const uint8_t app_key[16] = {
	0x21, 0x8c, 0x4f, 0x90, 0x0d, 0x7e, 0x33, 0xb2,
	0x6a, 0x15, 0xe0, 0x49, 0xcc, 0x84, 0x1f, 0x5b,
};

struct opts {
	bool quick;
	unsigned int samples;
	unsigned int gap_ms;
	unsigned int nodes;
	unsigned int hold_s;
	bool memory;
	bool latency;
	bool nodelay;
	bool gap_given;
};

static char work_dir[64];
static struct test_broker broker;
static pid_t main_pid;          /* the children leave the broker and files alone */

/* ---- small things ------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void cleanup(void)
{
	char cmd[128];

	if (getpid() != main_pid)
		return;
	if (broker.pid > 0)
		test_broker_destroy(&broker);
	broker.pid = 0;
	if (work_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_mqtt: could not remove %s\n", work_dir);
		work_dir[0] = '\0';
	}
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_mqtt: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static bool contains(const void *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	const char *h = hay;

	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (memcmp(h + i, needle, n) == 0)
			return true;
	return false;
}

/* A process's memory as /proc/PID/status tells it, in kB. */
struct vm {
	unsigned long rss, hwm;     /* resident now, and at most */
	unsigned long anon, file;   /* resident heap/stacks, and mapped files (code) */
	unsigned int threads;
};

/* pid 0: this process. false if it is gone. */
static bool read_vm(pid_t pid, struct vm *vm)
{
	char path[64], line[256];
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "r");
	if (!f)
		return false;
	memset(vm, 0, sizeof(*vm));
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "VmRSS: %lu kB", &vm->rss);
		sscanf(line, "VmHWM: %lu kB", &vm->hwm);
		sscanf(line, "RssAnon: %lu kB", &vm->anon);
		sscanf(line, "RssFile: %lu kB", &vm->file);
		sscanf(line, "Threads: %u", &vm->threads);
	}
	fclose(f);
	return vm->rss != 0;
}

/* ---- the scenario and the configuration file ---------------------------- */

static void lamp_uuid(unsigned int i, uint8_t uuid[16])
{
	static const uint8_t prefix[10] = { 0xbe, 0x0c, 0x4a, 0x11, 0x5e, 0xed, 0x4c, 0x0a,
					    0x9d, 0x00 };

	memcpy(uuid, prefix, sizeof(prefix));
	uuid[10] = uuid[11] = uuid[12] = uuid[13] = 0;
	mesh_put_be16(uuid + 14, (uint16_t)i);
}

static void lamp_dev_key(unsigned int i, uint8_t key[16])
{
	for (unsigned int k = 0; k < 16; k++)
		key[k] = (uint8_t)(0x40 + 7 * k + 13 * i);
}

static void fput_hex(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

/* "lamp a", "lamp b" for the latency run; "lamp 001"... for the others. */
static const char *lamp_name(unsigned int i, bool letters, char *out, size_t len)
{
	if (letters && i < 26)
		snprintf(out, len, "lamp %c", 'a' + i);
	else
		snprintf(out, len, "lamp %03u", i + 1);
	return out;
}

/*
 * n lamps (OnOff, Level, Lightness and Lightness Setup servers, as the
 * demo's stairway lamps), provisioned at BASE_ADDR + i, each with a
 * lossless link to the controller "gateway" and none to each other, so
 * nothing is relayed and nothing is lost: every sample should succeed.
 * socket: where the controller listens when the world runs in a process
 * of its own ("" for none).
 */
static void write_scenario(const char *path, unsigned int n, const char *socket)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "name: bench\nseed: 7\ntx_delay_max_ms: 0\ndefault_loss: 0\ndevices:\n");
	fprintf(f, "  gateway:\n    type: controller\n");
	if (socket[0])
		fprintf(f, "    socket: %s\n", socket);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t uuid[16], dk[16];

		lamp_uuid(i, uuid);
		lamp_dev_key(i, dk);
		fprintf(f, "  lamp-%03u:\n    uuid: ", i + 1);
		fput_hex(f, uuid, 16);
		fprintf(f, "\n    cid: 0x05f1\n    pid: 0x0101\n    vid: 0x0003\n"
			"    elements:\n      - models: [generic-onoff-server, generic-level-server, "
			"light-lightness-server, light-lightness-setup-server]\n"
			"    provisioned:\n      address: 0x%04x\n      net_key: ", BASE_ADDR + i);
		fput_hex(f, net_key, 16);
		fprintf(f, "\n      dev_key: ");
		fput_hex(f, dk, 16);
		fprintf(f, "\n      app_keys:\n        - {index: 0, key: ");
		fput_hex(f, app_key, 16);
		fprintf(f, "}\n");
	}
	fprintf(f, "links:\n");
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "  - {between: [gateway, lamp-%03u], loss: 0, rssi: -50}\n", i + 1);
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* meshgate's configuration: the broker, the base topic, the bearer, a
 * fresh data directory, every lamp named by its UUID. */
static void write_config(const char *path, const char *base, const char *bearer_yaml,
			 const char *data_dir, unsigned int n, bool letters, unsigned int hb_period_s)
{
	FILE *f = fopen(path, "w");
	char name[32];

	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "mqtt:\n  server: %s\n  base_topic: %s\n  client_id: meshgate-%s\n"
		"  reconnect_max: 1\n", broker.url, base, base);
	fprintf(f, "bearer:\n%s", bearer_yaml);
	fprintf(f, "mesh:\n  data_dir: %s\n  heartbeat_period: %u\n", data_dir, hb_period_s);
	fprintf(f, "web: false\nnodes:\n");
	for (unsigned int i = 0; i < n; i++) {
		uint8_t uuid[16];

		lamp_uuid(i, uuid);
		fprintf(f, "  ");
		fput_hex(f, uuid, 16);
		fprintf(f, ":\n    name: %s\n", lamp_name(i, letters, name, sizeof(name)));
	}
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* ---- a tap between the HCI core and its transport ----------------------- */

/* One LE Set Advertising Data command as it left the host. */
struct tap_frame {
	uint64_t at_ns;
	uint8_t params[HCI_ADV_DATA_PARAMS_LEN];
};

/*
 * Forwards everything to the radio's own transport; while armed, notes
 * when each LE Set Advertising Data command is written, before the write
 * (on a UART, this is when its bytes leave the host).
 */
struct hci_tap {
	struct hci_transport t;
	struct hci_transport *inner;
	bool armed;
	size_t n;
	struct tap_frame frames[TAP_FRAMES_MAX];
};

static int tap_open(struct hci_transport *t)
{
	struct hci_tap *tap = (struct hci_tap *)t;

	return hci_transport_open(tap->inner);
}

static int tap_write(struct hci_transport *t, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct hci_tap *tap = (struct hci_tap *)t;
	uint64_t at = now_ns();

	if (tap->armed && type == HCI_H4_CMD && len == 3 + HCI_ADV_DATA_PARAMS_LEN &&
	    mesh_get_le16(pkt) == HCI_OP_LE_SET_ADV_DATA && tap->n < TAP_FRAMES_MAX) {
		tap->frames[tap->n].at_ns = at;
		memcpy(tap->frames[tap->n].params, pkt + 3, HCI_ADV_DATA_PARAMS_LEN);
		tap->n++;
	}
	return hci_transport_write(tap->inner, type, pkt, len);
}

static void tap_close(struct hci_transport *t)
{
	struct hci_tap *tap = (struct hci_tap *)t;

	hci_transport_close(tap->inner);
}

static void tap_reopen(struct hci_transport *t)
{
	struct hci_tap *tap = (struct hci_tap *)t;

	if (tap->inner->ops->reopen)
		tap->inner->ops->reopen(tap->inner);
}

static const struct hci_transport_ops tap_ops = {
	.open = tap_open,
	.write = tap_write,
	.close = tap_close,
	.reopen = tap_reopen,
};

/* Put the tap in the path of what the core writes. The transport keeps
 * delivering to the core directly (its callbacks are the core's), and
 * closing the core closes the transport through the tap. */
static void tap_install(struct hci_tap *tap, struct hci_core *core)
{
	memset(tap, 0, sizeof(*tap));
	tap->inner = core->transport;
	tap->t.ops = &tap_ops;
	tap->t.name = tap->inner->name;
	core->transport = &tap->t;
}

/* ---- the gateway, as meshgate runs it ----------------------------------- */

struct gateway {
	uv_loop_t *loop;
	struct radio radio;
	struct hci_tap tap;
	struct mesh_uv_timers timers;
	struct gw_app app;
	struct gw_api api;
	struct bridge bridge;
	bool app_open, api_open, bridge_open, bridge_stopped;
	uint64_t heartbeats;
	uint16_t hb_from[1024 / 16];   /* which lamps were heard, a bit each */
	/* Intermediate stamps for the latency breakdown: when set, the next
	 * advertisement the bearer delivers / is given is stamped there. */
	uint64_t *stamp_rx, *stamp_tx;
	const struct mesh_bearer_ops *bearer_ops;
	struct mesh_bearer_ops stamping_ops;
};

static void gateway_rx(void *ctx, const struct mesh_adv_rx *rx)
{
	struct gateway *g = ctx;

	if (g->stamp_rx) {
		*g->stamp_rx = now_ns();
		g->stamp_rx = NULL;
	}
	gw_app_bearer_rx(&g->app, rx);
}

/* The mesh stack handing a PDU to the radio's bearer. */
static int gateway_bearer_send(struct mesh_bearer *b, const struct mesh_adv_tx *tx)
{
	struct gateway *g = MESH_CONTAINER_OF(b, struct gateway, radio.core.bearer);

	/* The command's network PDU, not one of the gateway's beacons. */
	if (g->stamp_tx && tx->ad_type == MESH_AD_TYPE_MESSAGE) {
		*g->stamp_tx = now_ns();
		g->stamp_tx = NULL;
	}
	return g->bearer_ops->send(b, tx);
}

static void gateway_state(void *ctx, bool up)
{
	(void)ctx;
	if (!up)
		mesh_log_warn("bench", "radio down");
}

static void gateway_event(void *ctx, const struct gw_event *ev)
{
	struct gateway *g = ctx;
	unsigned int i;

	if (ev->kind != GW_EVENT_HEARTBEAT)
		return;
	g->heartbeats++;
	i = (unsigned int)ev->node - BASE_ADDR;
	if (ev->node >= BASE_ADDR && i < 1024)
		g->hb_from[i / 16] |= (uint16_t)(1u << (i % 16));
}

static unsigned int gateway_hb_nodes(const struct gateway *g)
{
	unsigned int n = 0;

	for (size_t i = 0; i < sizeof(g->hb_from) / sizeof(g->hb_from[0]); i++)
		n += (unsigned int)__builtin_popcount(g->hb_from[i]);
	return n;
}

/*
 * What `meshgate --config FILE` does (gateway/run.c): the radio the file
 * names, the application on it (a new network; with seed, the keys and
 * provisioned nodes of that scenario, as the demo takes them from the
 * built-in one), the API, the MQTT bridge, discovery, then configuring
 * the nodes that need it.
 */
static void gateway_open(struct gateway *g, uv_loop_t *loop, const char *config_path,
			 const struct sim_scenario *seed)
{
	static const char *const kinds[] = { "hci", "uart", "simulator" };
	struct gw_config cfg;
	struct radio_config rc;
	struct gw_app_options ao = { 0 };
	const struct gw_config_bearer *b;
	char err[GW_CONFIG_ERR_MAX];

	memset(g, 0, sizeof(*g));
	g->loop = loop;
	if (gw_config_load_file(&cfg, config_path, err, sizeof(err)) < 0)
		die("%s", err);
	b = &cfg.bearer;
	radio_config_default(&rc);
	rc.kind = b->kind == GW_CONFIG_BEARER_UART ? RADIO_UART : RADIO_SIMULATOR;
	snprintf(rc.target, sizeof(rc.target), "%.255s",
		 b->kind == GW_CONFIG_BEARER_UART ? b->path : b->scenario);
	if (radio_open(&g->radio, loop, &rc, err, sizeof(err)) < 0)
		die("radio: %s", err);
	tap_install(&g->tap, &g->radio.core);
	radio_bearer(&g->radio)->rx = gateway_rx;
	radio_bearer(&g->radio)->state = gateway_state;
	radio_bearer(&g->radio)->ctx = g;
	g->bearer_ops = radio_bearer(&g->radio)->ops;
	g->stamping_ops.send = gateway_bearer_send;
	radio_bearer(&g->radio)->ops = &g->stamping_ops;
	if (mesh_uv_timers_init(&g->timers, loop) < 0)
		die("timers");
	ao.demo_scenario = seed ? seed : g->radio.kind == RADIO_SIMULATOR ? &g->radio.scenario
									   : NULL;
	ao.bearer_desc = kinds[rc.kind];
	if (gw_app_open(&g->app, &g->timers.timers, radio_bearer(&g->radio), &cfg, &ao, err,
			sizeof(err)) < 0)
		die("gateway: %s", err);
	gw_config_free(&cfg);
	g->app_open = true;
	gw_events_subscribe(&g->app.events, gateway_event, g);
	if (gw_api_init(&g->api, &g->app) < 0)
		die("gateway API");
	g->api_open = true;
	if (bridge_open(&g->bridge, loop, &g->app, &g->api, &g->app.cfg, err, sizeof(err)) < 0)
		die("MQTT bridge: %s", err);
	g->bridge_open = true;
	gw_prov_scan(g->app.core.prov, 3600);
	gw_app_start(&g->app);
}

static bool bridge_is_stopped(void *ctx)
{
	return ((struct gateway *)ctx)->bridge_stopped;
}

static void bridge_stopped(void *ctx)
{
	((struct gateway *)ctx)->bridge_stopped = true;
}

static void gateway_close(struct gateway *g)
{
	if (g->bridge_open) {
		bridge_stop(&g->bridge, bridge_stopped, g);
		test_uv_run_until(g->loop, bridge_is_stopped, g, 3000);
		bridge_close(&g->bridge);
	}
	if (g->api_open)
		gw_api_close(&g->api);
	if (g->app_open)
		gw_app_close(&g->app);
	mesh_uv_timers_close(&g->timers);
	radio_close(&g->radio);
	test_uv_run_until(g->loop, NULL, NULL, 100);
}

struct configured_wait {
	struct gateway *g;
	unsigned int n;
};

static unsigned int nodes_configured(struct gateway *g, unsigned int n)
{
	unsigned int done = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct netdb_node *node = netdb_node_by_address(g->app.core.db, BASE_ADDR + i);

		done += node && node->config_complete;
	}
	return done;
}

static bool all_configured(void *ctx)
{
	struct configured_wait *w = ctx;

	return nodes_configured(w->g, w->n) == w->n;
}

/* ---- bare Paho clients -------------------------------------------------- */

/*
 * A plain MQTTAsync client, as Home Assistant's would be, without
 * meshgate's connection module: the reference. Its callbacks run on Paho's
 * threads; a receiver waits for one message at a time (topic and a piece
 * of its payload), stamps it on arrival and wakes the loop.
 */
struct bare {
	MQTTAsync client;
	const char *name;
	atomic_int connected;           /* 1 up, -1 refused */
	atomic_int subscribed;
	atomic_bool armed;
	char want_topic[128];           /* written before armed is set */
	char want_text[64];
	_Atomic uint64_t arrived_ns;
	uv_async_t *wake;
};

static int bare_arrived(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
	struct bare *b = ctx;
	uint64_t at = now_ns();
	size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);

	if (atomic_load_explicit(&b->armed, memory_order_acquire) && !m->retained &&
	    tlen == strlen(b->want_topic) && memcmp(topic, b->want_topic, tlen) == 0 &&
	    contains(m->payload, (size_t)m->payloadlen, b->want_text)) {
		atomic_store(&b->arrived_ns, at);
		atomic_store(&b->armed, false);
		uv_async_send(b->wake);
	}
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	return 1;
}

static void bare_lost(void *ctx, char *cause)
{
	struct bare *b = ctx;

	fprintf(stderr, "bench_mqtt: %s lost its connection: %s\n", b->name,
		cause ? cause : "?");
	atomic_store(&b->connected, 0);
}

static void bare_connect_ok(void *ctx, MQTTAsync_successData *d)
{
	(void)d;
	atomic_store(&((struct bare *)ctx)->connected, 1);
	uv_async_send(((struct bare *)ctx)->wake);
}

static void bare_connect_fail(void *ctx, MQTTAsync_failureData *d)
{
	(void)d;
	atomic_store(&((struct bare *)ctx)->connected, -1);
	uv_async_send(((struct bare *)ctx)->wake);
}

static void bare_sub_ok(void *ctx, MQTTAsync_successData *d)
{
	(void)d;
	atomic_fetch_add(&((struct bare *)ctx)->subscribed, 1);
	uv_async_send(((struct bare *)ctx)->wake);
}

static void bare_sub_fail(void *ctx, MQTTAsync_failureData *d)
{
	(void)d;
	fprintf(stderr, "bench_mqtt: %s: subscription refused\n", ((struct bare *)ctx)->name);
}

static bool bare_is_connected(void *ctx)
{
	return atomic_load(&((struct bare *)ctx)->connected) != 0;
}

static void bare_start(struct bare *b, uv_loop_t *loop, uv_async_t *wake, const char *name)
{
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	char uri[96];
	int rc;

	memset(b, 0, sizeof(*b));
	b->name = name;
	b->wake = wake;
	/* Paho 1.3 wants tcp:// */
	snprintf(uri, sizeof(uri), "tcp://%.80s", broker.url + strlen("mqtt://"));
	rc = MQTTAsync_create(&b->client, uri, name, MQTTCLIENT_PERSISTENCE_NONE, NULL);
	if (rc == MQTTASYNC_SUCCESS)
		rc = MQTTAsync_setCallbacks(b->client, b, bare_lost, bare_arrived, NULL);
	co.keepAliveInterval = 30;
	co.cleansession = 1;
	co.onSuccess = bare_connect_ok;
	co.onFailure = bare_connect_fail;
	co.context = b;
	if (rc == MQTTASYNC_SUCCESS)
		rc = MQTTAsync_connect(b->client, &co);
	if (rc != MQTTASYNC_SUCCESS)
		die("%s: %s", name, MQTTAsync_strerror(rc));
	if (!test_uv_run_until(loop, bare_is_connected, b, 10000) || atomic_load(&b->connected) < 0)
		die("%s could not connect to %s", name, broker.url);
}

struct sub_wait {
	struct bare *b;
	int n;
};

static bool subs_done(void *ctx)
{
	struct sub_wait *w = ctx;

	return atomic_load(&w->b->subscribed) >= w->n;
}

static void bare_subscribe(struct bare *b, uv_loop_t *loop, const char *filter)
{
	MQTTAsync_responseOptions r = MQTTAsync_responseOptions_initializer;
	struct sub_wait w = { b, atomic_load(&b->subscribed) + 1 };

	r.onSuccess = bare_sub_ok;
	r.onFailure = bare_sub_fail;
	r.context = b;
	if (MQTTAsync_subscribe(b->client, filter, QOS, &r) != MQTTASYNC_SUCCESS ||
	    !test_uv_run_until(loop, subs_done, &w, 5000))
		die("%s: cannot subscribe to %s", b->name, filter);
}

static void bare_expect(struct bare *b, const char *topic, const char *text)
{
	snprintf(b->want_topic, sizeof(b->want_topic), "%s", topic);
	snprintf(b->want_text, sizeof(b->want_text), "%s", text);
	atomic_store(&b->arrived_ns, 0);
	atomic_store_explicit(&b->armed, true, memory_order_release);
}

static bool bare_has_arrived(void *ctx)
{
	return atomic_load(&((struct bare *)ctx)->arrived_ns) != 0;
}

static void bare_publish(struct bare *b, const char *topic, const char *payload)
{
	int rc = MQTTAsync_send(b->client, topic, (int)strlen(payload), payload, QOS, 0, NULL);

	if (rc != MQTTASYNC_SUCCESS)
		die("%s: publish on %s: %s", b->name, topic, MQTTAsync_strerror(rc));
}

static void bare_stop(struct bare *b)
{
	MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;

	d.timeout = 500;
	MQTTAsync_disconnect(b->client, &d);
	sleep_ms(100);
	MQTTAsync_destroy(&b->client);
}

/*
 * TCP_NODELAY on every connection of this process to the broker: meshgate's
 * and the bare clients' alike. Neither Paho nor Mosquitto sets it, and one
 * connection that carries both directions (meshgate's) meets Nagle's
 * algorithm waiting for a delayed ACK; --nodelay shows what that costs.
 */
static unsigned int nodelay_broker_sockets(void)
{
	unsigned int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int one = 1;

		if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0 ||
		    peer.sin_family != AF_INET || ntohs(peer.sin_port) != broker.port)
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0)
			n++;
	}
	return n;
}

/* ---- statistics --------------------------------------------------------- */

struct series {
	const char *name;
	uint64_t *ns;
	size_t n;
	unsigned int failed;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample at or above fraction q of them. */
static double pct_us(const struct series *s, double q)
{
	size_t rank = (size_t)(q * (double)s->n + 0.999999);

	if (!s->n)
		return 0;
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return (double)s->ns[rank - 1] / 1000.0;
}

static void series_print(struct series *s, unsigned int want)
{
	qsort(s->ns, s->n, sizeof(s->ns[0]), cmp_u64);
	printf("%-44s %9.1f %9.1f %9.1f %9.1f   %zu/%u\n", s->name, pct_us(s, 0.0),
	       pct_us(s, 0.5), pct_us(s, 0.99), pct_us(s, 1.0), s->n, want);
}

/* ---- latency ------------------------------------------------------------ */

enum {
	REF, SET, STATE,
	/* the two gateway paths cut where the mesh stack meets the bearer */
	SET_IN, SET_OUT, STATE_IN, STATE_OUT,
	SERIES_COUNT,
};

static const char *const series_names[SERIES_COUNT] = {
	"reference: Paho publish -> Paho receive",
	"meshgate: MQTT /set -> HCI Set Adv Data",
	"meshgate: HCI adv report -> MQTT state",
	"  MQTT publish -> PDU to the bearer",
	"  bearer -> HCI command written",
	"  report written -> bearer delivers it",
	"  bearer delivers it -> MQTT state received",
};

struct latency {
	uv_loop_t loop;
	uv_async_t wake;
	struct gateway *g;
	struct bare pub, sub;
	struct sim_world_observer observer;
	struct sim_device *controller, *lamp_a, *lamp_b;
	uint16_t gw_addr;
	struct mesh_net_cred cred;
	uint32_t iv_index;
	bool report_armed;
	uint64_t report_ns;
	struct series s[SERIES_COUNT];
	uint64_t bearer_ns;
	unsigned int set_other_pdus;
	unsigned int statuses;          /* sent by lamp b: each says the opposite */
	/* /set samples during which meshgate reserved a new block of SEQ
	 * numbers (state.json written and fsync'd before sending) */
	unsigned int seq_saves;
	uint64_t seq_save_ns[8];
};

static void on_wake(uv_async_t *a)
{
	(void)a;  /* only ends the loop's wait; conditions are checked after */
}

/* Lamp b's advertisement reaching the controller: the report for the host
 * is written right after this returns. */
static void world_rx(void *ctx, const struct sim_device *to, const struct sim_device *from,
		     const uint8_t *adv, size_t len, int8_t rssi)
{
	struct latency *l = ctx;

	(void)adv;
	(void)len;
	(void)rssi;
	if (l->report_armed && to == l->controller && from == l->lamp_b) {
		l->report_ns = now_ns();
		l->report_armed = false;
		/* the host reads the link in order: its next report is this one */
		l->g->stamp_rx = &l->bearer_ns;
	}
}

/* The first frame the tap saw that carries meshgate's message to lamp a:
 * its stamp, or 0; *others: how many frames before it carried something
 * else. */
static uint64_t set_frame_ns(struct latency *l, unsigned int *others)
{
	*others = 0;
	for (size_t i = 0; i < l->g->tap.n; i++) {
		const uint8_t *p = l->g->tap.frames[i].params;
		struct mesh_net_rx rx;

		/* significant length, then one AD structure: length, type, PDU */
		if (p[0] >= 3 && p[1] >= 2 && p[2] == MESH_AD_TYPE_MESSAGE && p[1] + 1 <= p[0] &&
		    mesh_net_pdu_decode(&l->cred, l->iv_index, p + 3, (size_t)p[1] - 1, &rx) == 0 &&
		    rx.src == l->gw_addr && rx.dst == BASE_ADDR)
			return l->g->tap.frames[i].at_ns;
		(*others)++;
	}
	return 0;
}

static bool set_seen(void *ctx)
{
	struct latency *l = ctx;
	unsigned int others;

	return l->g->tap.n && set_frame_ns(l, &others) != 0;
}

static bool state_arrived(void *ctx)
{
	return bare_has_arrived(&((struct latency *)ctx)->sub);
}

static void sample_ref(struct latency *l, unsigned int i)
{
	char payload[64];
	uint64_t t0;

	snprintf(payload, sizeof(payload), "{\"seq\":%u}", i);
	bare_expect(&l->sub, "reference/ping", payload);
	t0 = now_ns();
	bare_publish(&l->pub, "reference/ping", payload);
	if (test_uv_run_until(&l->loop, bare_has_arrived, &l->sub, SAMPLE_TIMEOUT_MS))
		l->s[REF].ns[l->s[REF].n++] = atomic_load(&l->sub.arrived_ns) - t0;
	else
		l->s[REF].failed++;
	atomic_store(&l->sub.armed, false);
}

/* /set on lamp a, toggling it, until the command is handed to the radio. */
static void sample_set(struct latency *l, bool measure)
{
	int on = sim_device_light_onoff(l->lamp_a, 0) == 1 ? 0 : 1;
	uint32_t reserved = l->g->app.core.node.state.seq_reserved;
	uint64_t t0, t1;
	unsigned int others;

	l->g->tap.n = 0;
	l->g->tap.armed = true;
	l->bearer_ns = 0;
	l->g->stamp_tx = &l->bearer_ns;
	t0 = now_ns();
	bare_publish(&l->pub, "bench/lamp a/set", on ? "{\"state\":\"ON\"}" : "{\"state\":\"OFF\"}");
	test_uv_run_until(&l->loop, set_seen, l, SAMPLE_TIMEOUT_MS);
	t1 = set_frame_ns(l, &others);
	l->g->tap.armed = false;
	l->g->stamp_tx = NULL;
	if (!measure)
		return;
	l->set_other_pdus += others;
	if (!t1) {
		l->s[SET].failed++;
		return;
	}
	l->s[SET].ns[l->s[SET].n++] = t1 - t0;
	if (l->g->app.core.node.state.seq_reserved != reserved && l->seq_saves < 8)
		l->seq_save_ns[l->seq_saves++] = t1 - t0;
	/* Only when the PDU for lamp a was the first one out. */
	if (!others && l->bearer_ns >= t0 && l->bearer_ns <= t1) {
		l->s[SET_IN].ns[l->s[SET_IN].n++] = l->bearer_ns - t0;
		l->s[SET_OUT].ns[l->s[SET_OUT].n++] = t1 - l->bearer_ns;
	}
}

/* Lamp b says its light changed; until the subscriber has the new state. */
static void sample_state(struct latency *l, bool measure)
{
	struct mesh_model_msg m = { .opcode = MESH_OP_GEN_ONOFF_STATUS,
				    .onoff = (uint8_t)(l->statuses++ & 1) };
	uint8_t payload[8];
	int len = mesh_generic_msg_encode(&m, payload, sizeof(payload));
	uint64_t t1;
	int rc;

	if (len < 0)
		die("OnOff Status: %s", mesh_strerror(len));
	bare_expect(&l->sub, "bench/lamp b", m.onoff ? "\"state\":\"ON\"" : "\"state\":\"OFF\"");
	l->report_ns = 0;
	l->report_armed = true;
	l->bearer_ns = 0;
	rc = sim_device_send_access(l->lamp_b, l->gw_addr, MESH_STACK_TTL_DEFAULT, payload,
				    (size_t)len);
	if (rc < 0)
		die("lamp b cannot send: %s", mesh_strerror(rc));
	test_uv_run_until(&l->loop, state_arrived, l, SAMPLE_TIMEOUT_MS);
	atomic_store(&l->sub.armed, false);
	l->report_armed = false;
	l->g->stamp_rx = NULL;
	if (!measure)
		return;
	if (!bare_has_arrived(&l->sub) || !l->report_ns) {
		l->s[STATE].failed++;
		return;
	}
	t1 = atomic_load(&l->sub.arrived_ns);
	l->s[STATE].ns[l->s[STATE].n++] = t1 - l->report_ns;
	if (l->bearer_ns >= l->report_ns && l->bearer_ns <= t1) {
		l->s[STATE_IN].ns[l->s[STATE_IN].n++] = l->bearer_ns - l->report_ns;
		l->s[STATE_OUT].ns[l->s[STATE_OUT].n++] = t1 - l->bearer_ns;
	}
}

static void settle(struct latency *l, unsigned int ms)
{
	test_uv_run_until(&l->loop, NULL, NULL, ms);
}

static void latency_setup(struct latency *l)
{
	char scenario[128], config[160], data[128], bearer[256];
	struct configured_wait cw;
	const struct netdb_net_key *nk;
	const uint8_t p0 = 0;

	snprintf(scenario, sizeof(scenario), "%s/latency.yaml", work_dir);
	snprintf(config, sizeof(config), "%s/latency-config.yaml", work_dir);
	snprintf(data, sizeof(data), "%s/latency-data", work_dir);
	snprintf(bearer, sizeof(bearer), "  type: simulator\n  scenario: %s\n", scenario);
	write_scenario(scenario, LAT_LAMPS, "");
	write_config(config, "bench", bearer, data, LAT_LAMPS, true, 16);
	if (uv_loop_init(&l->loop) < 0 || uv_async_init(&l->loop, &l->wake, on_wake) < 0)
		die("event loop");
	l->g = calloc(1, sizeof(*l->g));
	if (!l->g)
		die("out of memory");
	gateway_open(l->g, &l->loop, config, NULL);
	l->observer.on_rx = world_rx;
	l->observer.ctx = l;
	sim_world_set_observer(l->g->radio.world, &l->observer);
	l->controller = sim_world_find(l->g->radio.world, "gateway");
	l->lamp_a = sim_world_find(l->g->radio.world, "lamp-001");
	l->lamp_b = sim_world_find(l->g->radio.world, "lamp-002");
	if (!l->controller || !l->lamp_a || !l->lamp_b)
		die("scenario devices missing");
	cw.g = l->g;
	cw.n = LAT_LAMPS;
	if (!test_uv_run_until(&l->loop, all_configured, &cw, 60000))
		die("latency: the gateway configured %u of %u lamps within 60 s",
		    nodes_configured(l->g, LAT_LAMPS), LAT_LAMPS);
	l->gw_addr = gw_node_address(&l->g->app.core.node);
	l->iv_index = l->g->app.core.node.state.iv_index;
	nk = netdb_net_key(l->g->app.core.db, 0);
	if (!nk || mesh_net_cred_derive(&l->cred, nk->key, &p0, 1) < 0)
		die("network key");
	bare_start(&l->pub, &l->loop, &l->wake, "bench-publisher");
	bare_start(&l->sub, &l->loop, &l->wake, "bench-subscriber");
	bare_subscribe(&l->sub, &l->loop, "reference/ping");
	bare_subscribe(&l->sub, &l->loop, "bench/lamp b");
}

static void latency_teardown(struct latency *l)
{
	bare_stop(&l->pub);
	bare_stop(&l->sub);
	mesh_net_cred_clear(&l->cred);
	gateway_close(l->g);
	uv_close((uv_handle_t *)&l->wake, NULL);
	uv_run(&l->loop, UV_RUN_NOWAIT);
	if (uv_loop_close(&l->loop) != 0)
		fprintf(stderr, "bench_mqtt: handles left open on the latency loop\n");
	free(l->g);
}

static bool series_ok(const struct series *s, unsigned int want)
{
	/* Lossless links: anything lost is a broken path, not a slow one. */
	return s->n > 0 && s->n * 10 >= (size_t)want * 9;
}

static void print_added(const char *what, const struct series *path, const struct series *ref)
{
	double add50 = pct_us(path, 0.5) - pct_us(ref, 0.5);
	double add99 = pct_us(path, 0.99) - pct_us(ref, 0.99);

	printf("  %-20s p50 %+8.1f us   p99 %+8.1f us   (goal: p99 < +1000 us: %s)\n", what,
	       add50, add99, add99 < 1000.0 ? "met" : "MISSED");
}

/* One round: samples of each path, gap_ms between one and the next. */
static bool latency_round(struct latency *l, unsigned int samples, unsigned int gap_ms,
			  bool nodelay)
{
	bool ok;

	for (int k = 0; k < SERIES_COUNT; k++) {
		free(l->s[k].ns);
		memset(&l->s[k], 0, sizeof(l->s[k]));
		l->s[k].name = series_names[k];
		l->s[k].ns = calloc(samples, sizeof(uint64_t));
		if (!l->s[k].ns)
			die("out of memory");
	}
	l->set_other_pdus = 0;
	l->seq_saves = 0;
	for (unsigned int i = 0; i < samples; i++) {
		sample_ref(l, i);
		settle(l, gap_ms / 4);
		sample_set(l, true);
		settle(l, gap_ms);
		sample_state(l, true);
		settle(l, gap_ms);
	}
	printf("latency: %u samples per path, QoS %d, interleaved, %u ms apart%s; microseconds\n",
	       samples, QOS, gap_ms, nodelay ? ", clients with TCP_NODELAY" : "");
	printf("%-44s %9s %9s %9s %9s   %s\n", "path", "min", "p50", "p99", "max", "samples");
	for (int k = 0; k < SERIES_COUNT; k++) {
		if (k == SET_IN)
			printf("the meshgate paths cut where the mesh stack meets the radio's "
			       "bearer:\n");
		series_print(&l->s[k], samples);
	}
	if (l->set_other_pdus)
		printf("(%u other advertising PDUs went out first during /set samples: skipped)\n",
		       l->set_other_pdus);
	for (unsigned int k = 0; k < l->seq_saves; k++)
		printf("(a /set that waited for a SEQ reservation to be saved: %.1f us)\n",
		       (double)l->seq_save_ns[k] / 1000.0);
	printf("added by meshgate (path - reference):\n");
	print_added("/set -> HCI:", &l->s[SET], &l->s[REF]);
	print_added("HCI report -> state:", &l->s[STATE], &l->s[REF]);
	ok = series_ok(&l->s[REF], samples) && series_ok(&l->s[SET], samples) &&
	     series_ok(&l->s[STATE], samples);
	if (!ok)
		fprintf(stderr, "bench_mqtt: a path is broken: reference %u lost, /set %u without an "
			"HCI command, state %u not received\n", l->s[REF].failed, l->s[SET].failed,
			l->s[STATE].failed);
	fflush(stdout);
	return ok;
}

/*
 * Two rounds unless --gap says otherwise: samples far enough apart that
 * every exchange finds the broker connection idle, then close enough that
 * the next one comes within TCP's 40 ms delayed-ACK window.
 */
static int latency_run(const struct opts *o)
{
	struct latency *l = calloc(1, sizeof(*l));
	bool ok;

	if (!l)
		die("out of memory");
	latency_setup(l);
	if (o->nodelay && nodelay_broker_sockets() != 3)
		die("--nodelay: expected 3 connections to the broker");
	/* Warm up: the bridge's subscriptions are in place once a /set works;
	 * the state cache learns lamp b. */
	for (unsigned int i = 0; i < WARM_UP; i++) {
		sample_set(l, false);
		settle(l, DEFAULT_GAP_MS);
		sample_state(l, false);
		settle(l, DEFAULT_GAP_MS);
	}
	ok = latency_round(l, o->samples, o->gap_ms, o->nodelay);
	if (!o->quick && !o->gap_given) {
		printf("\n");
		ok = latency_round(l, o->samples, CLOSE_GAP_MS, o->nodelay) && ok;
	}
	latency_teardown(l);
	for (int k = 0; k < SERIES_COUNT; k++)
		free(l->s[k].ns);
	free(l);
	return ok ? 0 : 1;
}

/* ---- memory ------------------------------------------------------------- */

struct mem_result {
	struct vm vm;
	unsigned int configured, nodes, hb_nodes;
	unsigned long heartbeats;
	double configure_s;
	int ok;
};

static uv_signal_t term_signal;

static void on_term(uv_signal_t *h, int signum)
{
	(void)signum;
	uv_stop(h->loop);
}

/* The simulated world alone, its controller on a Unix socket. */
static void child_world(const char *scenario)
{
	struct sim_scenario sc;
	struct sim_world *w;
	uv_loop_t loop;
	char err[512];

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	mesh_log_set_level(MESH_LOG_ERROR);
	if (uv_loop_init(&loop) < 0)
		_exit(2);
	sim_scenario_init(&sc);
	if (config_scenario_load_file(scenario, &sc, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_mqtt: world: %s\n", err);
		_exit(2);
	}
	if (sim_world_create(&w, &loop, &sc) < 0 || sim_world_start(w) < 0)
		_exit(2);
	sim_scenario_free(&sc);
	uv_signal_init(&loop, &term_signal);
	uv_signal_start(&term_signal, on_term, SIGTERM);
	uv_run(&loop, UV_RUN_DEFAULT);
	sim_world_destroy(w);
	_exit(0);
}

/* The gateway (with the world in it if the config says simulator): until
 * all nodes are configured, then hold_s more seconds; then its memory. */
static void child_gateway(const char *config, const char *seed_scenario, unsigned int n,
			  unsigned int hold_s, int out_fd)
{
	struct mem_result r = { 0 };
	struct sim_scenario sc;
	struct configured_wait cw;
	struct gateway *g;
	uv_loop_t loop;
	char err[512];
	uint64_t t0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	mesh_log_set_level(MESH_LOG_ERROR);
	if (uv_loop_init(&loop) < 0)
		_exit(2);
	g = calloc(1, sizeof(*g));
	if (!g)
		_exit(2);
	sim_scenario_init(&sc);
	/* Over a UART nothing tells meshgate the world's keys: seed from the
	 * scenario file as the demo does from the built-in one, then drop it. */
	if (seed_scenario && config_scenario_load_file(seed_scenario, &sc, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_mqtt: %s\n", err);
		_exit(2);
	}
	t0 = now_ns();
	gateway_open(g, &loop, config, seed_scenario ? &sc : NULL);
	sim_scenario_free(&sc);
	cw.g = g;
	cw.n = n;
	test_uv_run_until(&loop, all_configured, &cw, CONFIGURE_TIMEOUT_S(n) * 1000u);
	r.configured = nodes_configured(g, n);
	r.nodes = n;
	r.configure_s = (double)(now_ns() - t0) / 1e9;
	g->heartbeats = 0;
	memset(g->hb_from, 0, sizeof(g->hb_from));
	test_uv_run_until(&loop, NULL, NULL, hold_s * 1000u);
	r.heartbeats = g->heartbeats;
	r.hb_nodes = gateway_hb_nodes(g);
	r.ok = read_vm(0, &r.vm);
	if (write(out_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(2);
	gateway_close(g);
	free(g);
	uv_loop_close(&loop);
	_exit(0);
}

static bool wait_for_path(const char *path, unsigned int timeout_ms)
{
	struct stat st;

	for (unsigned int t = 0; t < timeout_ms; t += 10) {
		if (stat(path, &st) == 0)
			return true;
		sleep_ms(10);
	}
	return false;
}

static bool read_result(int fd, pid_t pid, struct mem_result *r)
{
	ssize_t got = read(fd, r, sizeof(*r));
	int status;

	waitpid(pid, &status, 0);
	if (got != (ssize_t)sizeof(*r)) {
		fprintf(stderr, "bench_mqtt: the gateway process ended without a result "
			"(status 0x%x)\n", status);
		return false;
	}
	return true;
}

static void print_mem(const char *what, const struct vm *vm, bool goal)
{
	printf("  %-44s VmRSS %5.1f MB  VmHWM %5.1f MB  (anonymous %.1f, files %.1f; threads: %u)",
	       what, vm->rss / 1024.0, vm->hwm / 1024.0, vm->anon / 1024.0, vm->file / 1024.0,
	       vm->threads);
	if (goal)
		printf("\n  %-44s goal < 15 MB: %s", "",
		       vm->rss < 15 * 1024 && vm->hwm < 15 * 1024 ? "met" : "MISSED");
	printf("\n");
}

static bool mem_result_ok(const struct mem_result *r)
{
	/* Every node configured and heard: otherwise the figure would be that
	 * of a smaller network. */
	return r->ok && r->configured == r->nodes && r->hb_nodes == r->nodes;
}

static void print_run(const struct mem_result *r, unsigned int hold_s)
{
	printf("  (%u/%u nodes configured after %.1f s; then %u s: %lu heartbeats from %u nodes)\n",
	       r->configured, r->nodes, r->configure_s, hold_s, r->heartbeats, r->hb_nodes);
}

/* Gateway alone, world in its own process; then (unless quick) both in one. */
static int memory_run(const struct opts *o)
{
	char scenario[128], socket[128], cfg_split[160], cfg_one[160], data[2][128];
	char bearer[256];
	struct mem_result split, one;
	struct vm wvm = { 0 };
	pid_t world, gw;
	int fds[2];
	bool ok;

	snprintf(scenario, sizeof(scenario), "%s/nodes.yaml", work_dir);
	snprintf(socket, sizeof(socket), "%s/controller.sock", work_dir);
	snprintf(cfg_split, sizeof(cfg_split), "%s/split-config.yaml", work_dir);
	snprintf(cfg_one, sizeof(cfg_one), "%s/one-config.yaml", work_dir);
	snprintf(data[0], sizeof(data[0]), "%s/split-data", work_dir);
	snprintf(data[1], sizeof(data[1]), "%s/one-data", work_dir);
	write_scenario(scenario, o->nodes, socket);
	snprintf(bearer, sizeof(bearer), "  type: uart\n  path: %s\n", socket);
	write_config(cfg_split, "split", bearer, data[0], o->nodes, false, HB_PERIOD_S);
	snprintf(bearer, sizeof(bearer), "  type: simulator\n  scenario: %s\n", scenario);
	write_config(cfg_one, "one", bearer, data[1], o->nodes, false, HB_PERIOD_S);
	fflush(stdout);

	world = fork();
	if (world < 0)
		die("fork: %s", strerror(errno));
	if (world == 0)
		child_world(scenario);
	if (!wait_for_path(socket, 10000))
		die("the world process did not open %s", socket);
	if (pipe(fds) < 0)
		die("pipe: %s", strerror(errno));
	gw = fork();
	if (gw < 0)
		die("fork: %s", strerror(errno));
	if (gw == 0) {
		close(fds[0]);
		child_gateway(cfg_split, scenario, o->nodes, o->hold_s, fds[1]);
	}
	close(fds[1]);
	ok = read_result(fds[0], gw, &split);
	close(fds[0]);
	read_vm(world, &wvm);
	kill(world, SIGTERM);
	waitpid(world, NULL, 0);
	if (!ok)
		return 1;
	printf("memory: %u simulated lamps, heartbeats every %u s, MQTT bridge connected\n",
	       o->nodes, HB_PERIOD_S);
	print_mem("gateway process (world in another process)", &split.vm, o->nodes >= 100);
	print_run(&split, o->hold_s);
	print_mem("simulated world process", &wvm, false);
	ok = mem_result_ok(&split);
	if (!o->quick) {
		if (pipe(fds) < 0)
			die("pipe: %s", strerror(errno));
		gw = fork();
		if (gw < 0)
			die("fork: %s", strerror(errno));
		if (gw == 0) {
			close(fds[0]);
			child_gateway(cfg_one, NULL, o->nodes, o->hold_s, fds[1]);
		}
		close(fds[1]);
		if (read_result(fds[0], gw, &one)) {
			print_mem("gateway and world in one process", &one.vm, false);
			print_run(&one, o->hold_s);
			ok = ok && mem_result_ok(&one);
		} else {
			ok = false;
		}
		close(fds[0]);
	}
	if (!ok)
		fprintf(stderr, "bench_mqtt: the memory run did not get every node configured "
			"and heard\n");
	fflush(stdout);
	return ok ? 0 : 1;
}

/* ---- main --------------------------------------------------------------- */

static unsigned int parse_uint(const char *opt, const char *v, unsigned int min, unsigned int max)
{
	char *end;
	unsigned long x;

	if (!v)
		die("%s needs a value", opt);
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || end == v || *end || x < min || x > max)
		die("%s %s: expected %u..%u", opt, v, min, max);
	return (unsigned int)x;
}

static void parse(int argc, char **argv, struct opts *o)
{
	bool samples = false, hold = false, nodes = false;

	*o = (struct opts){ false, DEFAULT_SAMPLES, DEFAULT_GAP_MS, DEFAULT_NODES, DEFAULT_HOLD_S,
			    true, true, false, false };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--quick") == 0) {
			o->quick = true;
		} else if (strcmp(a, "--no-memory") == 0) {
			o->memory = false;
		} else if (strcmp(a, "--no-latency") == 0) {
			o->latency = false;
		} else if (strcmp(a, "--nodelay") == 0) {
			o->nodelay = true;
		} else if (strcmp(a, "--samples") == 0) {
			o->samples = parse_uint(a, v, 1, 1000000);
			samples = true;
			i++;
		} else if (strcmp(a, "--gap") == 0) {
			o->gap_ms = parse_uint(a, v, 1, 10000);
			o->gap_given = true;
			i++;
		} else if (strcmp(a, "--nodes") == 0) {
			o->nodes = parse_uint(a, v, 1, 1000);
			nodes = true;
			i++;
		} else if (strcmp(a, "--hold") == 0) {
			o->hold_s = parse_uint(a, v, 1, 3600);
			hold = true;
			i++;
		} else {
			die("usage: bench_mqtt [--quick] [--samples N] [--gap MS] [--nodes N] "
			    "[--hold S] [--no-memory] [--no-latency] [--nodelay]");
		}
	}
	if (o->quick && !samples)
		o->samples = QUICK_SAMPLES;
	if (o->quick && !hold)
		o->hold_s = QUICK_HOLD_S;
	if (o->quick && !nodes)
		o->nodes = QUICK_NODES;
}

static void print_machine(void)
{
	struct utsname u;
	char line[256], model[128] = "?";
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon) {
			snprintf(model, sizeof(model), "%s", colon + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	printf("bench_mqtt: %ld CPUs (%s), Linux %s, broker %s\n", sysconf(_SC_NPROCESSORS_ONLN),
	       model, u.release, broker.url);
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = 0;

	parse(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	mesh_log_set_level(MESH_LOG_ERROR);
	main_pid = getpid();
	snprintf(work_dir, sizeof(work_dir), "/tmp/bench-mqtt-XXXXXX");
	if (!mkdtemp(work_dir))
		die("mkdtemp: %s", strerror(errno));
	atexit(cleanup);
	if (test_broker_start(&broker, false) < 0)
		die("cannot start Mosquitto");
	print_machine();
	/* Memory first: its processes fork from one that holds nothing yet. */
	if (o.memory)
		rc |= memory_run(&o);
	if (o.latency)
		rc |= latency_run(&o);
	return rc;
}
