/*
 * The gateway daemon (see run.h): options, one libuv loop, signals, the
 * radio, and a receive path that logs beacons and network PDUs (decoded
 * when the simulated world's demo keys are known).
 */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "mesh/beacon.h"
#include "mesh/bearer/route.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/monitor.h"
#include "radio.h"

#define LOG "gateway"
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

struct run_opts {
	struct radio_config radio;
	enum mesh_log_level level;
	unsigned int exit_after_s;
};

struct gateway {
	uv_loop_t *loop;
	struct radio radio;
	struct mesh_monitor monitor;
	bool have_monitor;
	uv_signal_t sigint, sigterm;
	uv_timer_t exit_timer;
	uint64_t rx_count;
};

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: meshgate run [--bearer SPEC] [--baud N] [--no-rtscts] [--hci-log FILE]\n"
		"                    [--log-level error|warn|info|debug] [--exit-after SECONDS]\n"
		"\n"
		"  --bearer hci:hciN        a local adapter (HCI user channel; adapter down,\n"
		"                           bluetoothd not using it, CAP_NET_ADMIN)\n"
		"  --bearer uart:PATH       an nRF52840 with Zephyr hci_uart, a pty or socket\n"
		"  --bearer simulator[:F]   simulated mesh in-process (F: scenario YAML;\n"
		"                           default: the built-in stairway). The default.\n"
		"  --baud N                 uart baud rate (default 1000000)\n"
		"  --no-rtscts              uart without RTS/CTS flow control\n"
		"  --hci-log FILE           write all HCI traffic as btsnoop (btmon -r FILE)\n");
}

static int run_parse_level(const char *s, enum mesh_log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum mesh_log_level)i;
			return 0;
		}
	}
	return -1;
}

static int run_parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 100000000ul)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int run_parse(int argc, char **argv, struct run_opts *o)
{
	char err[256];

	radio_config_default(&o->radio);
	o->level = MESH_LOG_INFO;
	o->exit_after_s = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes_value = strcmp(a, "--bearer") == 0 || strcmp(a, "--baud") == 0 ||
				   strcmp(a, "--hci-log") == 0 || strcmp(a, "--log-level") == 0 ||
				   strcmp(a, "--exit-after") == 0;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			run_usage(stdout);
			exit(0);
		}
		if (takes_value && !v) {
			fprintf(stderr, "meshgate run: %s needs a value\n", a);
			return -1;
		}
		if (strcmp(a, "--bearer") == 0) {
			if (radio_config_parse(&o->radio, v, err, sizeof(err)) < 0) {
				fprintf(stderr, "meshgate run: %s\n", err);
				return -1;
			}
		} else if (strcmp(a, "--baud") == 0) {
			if (run_parse_uint(v, &o->radio.baud) < 0 || !hci_uart_speed(o->radio.baud)) {
				fprintf(stderr, "meshgate run: --baud %s: not a supported baud rate\n", v);
				return -1;
			}
		} else if (strcmp(a, "--hci-log") == 0) {
			o->radio.hci_log = v;
		} else if (strcmp(a, "--log-level") == 0) {
			if (run_parse_level(v, &o->level) < 0) {
				fprintf(stderr, "meshgate run: --log-level %s: use error, warn, info or debug\n", v);
				return -1;
			}
		} else if (strcmp(a, "--exit-after") == 0) {
			if (run_parse_uint(v, &o->exit_after_s) < 0) {
				fprintf(stderr, "meshgate run: --exit-after %s: expected seconds\n", v);
				return -1;
			}
		} else if (strcmp(a, "--no-rtscts") == 0) {
			o->radio.rtscts = false;
			continue;
		} else {
			fprintf(stderr, "meshgate run: unknown option '%s'\n", a);
			return -1;
		}
		i++;
	}
	return 0;
}

static void run_on_unprov_beacon(void *ctx, const struct mesh_beacon_unprov *b,
				 const struct mesh_adv_rx *rx)
{
	char uuid[33];

	(void)ctx;
	mesh_hex_encode(b->uuid, sizeof(b->uuid), uuid);
	mesh_log_info(LOG, "unprovisioned device %s oob 0x%04x rssi %d", uuid, b->oob_info,
		      rx->rssi);
}

static void run_on_pb_adv(void *ctx, const struct mesh_adv_rx *rx)
{
	(void)ctx;
	mesh_log_debug(LOG, "pb-adv pdu, %u octets, rssi %d", rx->len, rx->rssi);
}

static const struct mesh_adv_route_ops run_route_ops = {
	.unprov_beacon = run_on_unprov_beacon,
	.pb_adv = run_on_pb_adv,
};

static void run_log_secure_beacon(const struct mesh_adv_rx *rx)
{
	struct mesh_beacon_secure b;
	char id[17];

	if (mesh_beacon_secure_parse(rx->payload, rx->len, &b) < 0) {
		mesh_log_debug(LOG, "beacon type 0x%02x, %u octets, rssi %d",
			       rx->len ? rx->payload[0] : 0, rx->len, rx->rssi);
		return;
	}
	mesh_hex_encode(b.network_id, sizeof(b.network_id), id);
	mesh_log_debug(LOG, "secure network beacon network %s iv index %" PRIu32 " flags 0x%02x rssi %d",
		       id, b.iv_index, b.flags, rx->rssi);
}

static void run_log_network_pdu(struct gateway *gw, const struct mesh_adv_rx *rx)
{
	struct mesh_monitor_result r;

	if (!gw->have_monitor || mesh_monitor_decode(&gw->monitor, rx->payload, rx->len, &r) < 0 ||
	    !r.net_ok) {
		mesh_log_debug(LOG, "network pdu, %u octets, nid 0x%02x, rssi %d (no key)", rx->len,
			       rx->len ? rx->payload[0] & 0x7f : 0, rx->rssi);
		return;
	}
	mesh_log_info(LOG, "network pdu 0x%04x -> 0x%04x ttl %u seq %" PRIu32 "%s%s rssi %d",
		      r.net.src, r.net.dst, r.net.ttl, r.net.seq, r.net.ctl ? " control" : "",
		      r.opcode_ok ? " (access message)" : "", rx->rssi);
}

/* No node of our own yet (provisioning comes next): discovery and PB-ADV
 * are routed; network PDUs and network beacons are only logged. */
static void run_bearer_rx(void *ctx, const struct mesh_adv_rx *rx)
{
	struct gateway *gw = ctx;
	int rc = mesh_adv_route(NULL, rx, &run_route_ops, gw);

	gw->rx_count++;
	if (rc != MESH_ERR_NOT_FOUND) {
		if (rc < 0)
			mesh_log_warn(LOG, "beacon rejected (rssi %d): %s", rx->rssi, mesh_strerror(rc));
		return;
	}
	if (rx->ad_type == MESH_AD_TYPE_MESSAGE)
		run_log_network_pdu(gw, rx);
	else
		run_log_secure_beacon(rx);
}

static void run_bearer_state(void *ctx, bool up)
{
	struct gateway *gw = ctx;

	if (up)
		mesh_log_info(LOG, "radio ready: %s", gw->radio.core.transport->name);
	else
		mesh_log_warn(LOG, "radio down; waiting for it to come back");
}

/* The simulator's scenario carries its demo keys: let the log decode
 * traffic of the pre-provisioned devices. */
static void run_monitor_from_scenario(struct gateway *gw)
{
	const struct sim_scenario *sc = &gw->radio.scenario;
	uint32_t iv = 0;

	for (size_t i = 0; i < sc->n_devices; i++) {
		if (sc->devices[i].keys.provisioned) {
			iv = sc->devices[i].keys.iv_index;
			break;
		}
	}
	if (mesh_monitor_init(&gw->monitor, iv) < 0)
		return;
	gw->have_monitor = true;
	for (size_t i = 0; i < sc->n_devices; i++) {
		const struct sim_keys_desc *k = &sc->devices[i].keys;

		if (!k->provisioned)
			continue;
		mesh_monitor_add_netkey(&gw->monitor, k->net_key);
		for (unsigned int a = 0; a < k->n_app_keys; a++)
			mesh_monitor_add_appkey(&gw->monitor, k->app_keys[a].key);
	}
}

static void run_stop(struct gateway *gw)
{
	uv_signal_stop(&gw->sigint);
	uv_signal_stop(&gw->sigterm);
	uv_timer_stop(&gw->exit_timer);
	uv_close((uv_handle_t *)&gw->sigint, NULL);
	uv_close((uv_handle_t *)&gw->sigterm, NULL);
	uv_close((uv_handle_t *)&gw->exit_timer, NULL);
	radio_close(&gw->radio);
	/* Stopping the handles restored the default actions: a second
	 * Ctrl-C while shutting down must not kill us mid-flush. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
}

static void run_on_signal(uv_signal_t *h, int signum)
{
	mesh_log_info(LOG, "%s: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
	run_stop(h->data);
}

static void run_on_exit_timer(uv_timer_t *h)
{
	mesh_log_info(LOG, "--exit-after reached: shutting down");
	run_stop(h->data);
}

static void run_handles_init(struct gateway *gw, unsigned int exit_after_s)
{
	uv_signal_init(gw->loop, &gw->sigint);
	uv_signal_init(gw->loop, &gw->sigterm);
	uv_timer_init(gw->loop, &gw->exit_timer);
	gw->sigint.data = gw->sigterm.data = gw->exit_timer.data = gw;
	uv_signal_start(&gw->sigint, run_on_signal, SIGINT);
	uv_signal_start(&gw->sigterm, run_on_signal, SIGTERM);
	if (exit_after_s)
		uv_timer_start(&gw->exit_timer, run_on_exit_timer, exit_after_s * 1000ull, 0);
}

int run_main(int argc, char **argv)
{
	struct run_opts opts;
	struct gateway gw;
	char err[512];
	uv_loop_t loop;

	if (run_parse(argc, argv, &opts) < 0) {
		run_usage(stderr);
		return EXIT_USAGE;
	}
	mesh_log_set_level(opts.level);
	memset(&gw, 0, sizeof(gw));
	if (uv_loop_init(&loop) < 0) {
		mesh_log_error(LOG, "cannot create the event loop");
		return EXIT_RUNTIME;
	}
	gw.loop = &loop;
	if (radio_open(&gw.radio, &loop, &opts.radio, err, sizeof(err)) < 0) {
		mesh_log_error(LOG, "%s", err);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		return EXIT_RUNTIME;
	}
	radio_bearer(&gw.radio)->rx = run_bearer_rx;
	radio_bearer(&gw.radio)->state = run_bearer_state;
	radio_bearer(&gw.radio)->ctx = &gw;
	if (opts.radio.kind == RADIO_SIMULATOR)
		run_monitor_from_scenario(&gw);
	run_handles_init(&gw, opts.exit_after_s);
	mesh_log_info(LOG, "meshgate %s running; Ctrl-C to stop", MESHGATE_VERSION);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (gw.have_monitor)
		mesh_monitor_cleanup(&gw.monitor);
	mesh_log_info(LOG, "stopped after %" PRIu64 " mesh advertisements", gw.rx_count);
	return uv_loop_close(&loop) == 0 ? 0 : EXIT_RUNTIME;
}
