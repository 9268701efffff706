/*
 * The gateway daemon (see run.h): options, one libuv loop, signals, the
 * radio, and the gateway core on it (core.h: meshgate's own node, the
 * network database and state of the data directory, discovery,
 * provisioning, node configuration, state cache, liveness).
 *
 * `meshgate run` adds the application on top: its API, the MQTT bridge
 * and the web server (dashboard and WebSocket API), which both call the
 * core and are closed before it. Log lines go to stderr and, as events,
 * to WebSocket clients that subscribed to them.
 *
 * `meshgate provision` is the same daemon with one job: provision one
 * device, asking for OOB values on the terminal, configure it, then exit.
 */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <openssl/crypto.h>

#include "mesh/beacon.h"
#include "mesh/bearer/route.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/uv_timers.h"
#include "bridge/bridge.h"
#include "web/auth.h"
#include "web/web.h"
#include "config/gateway_config.h"
#include "api.h"
#include "app.h"
#include "core.h"
#include "log_line.h"
#include "netdb.h"
#include "network_cmd.h"
#include "provisioning.h"
#include "radio.h"
#include "runtime_state.h"

#define LOG "gateway"
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* The discovery window the daemon keeps open, reopened when it ends. */
#define RUN_SCAN_WINDOW_S 3600u
/* Link Close goes out 3 times, 500 ms apart (mesh/pb_adv.h). */
#define RUN_CLOSE_GRACE_MS (MESH_PB_ADV_CLOSE_REPEAT * MESH_PB_ADV_RETRANSMIT_MS + 200u)

struct run_opts {
	struct radio_config radio;
	enum mesh_log_level level;
	unsigned int exit_after_s;
	const char *data_dir;
	/* meshgate provision */
	bool provision;
	struct gw_prov_params prov;
	unsigned int timeout_s;
	bool no_configure;
	/* meshgate run */
	const char *config_path;        /* NULL: the built-in demo configuration */
	bool bearer_given, data_given, level_given;
	/* The configuration's data_dir: a copy, as the configuration moves
	 * into the application when it opens. */
	char config_data_dir[GW_CONFIG_PATH_MAX];
	bool no_mqtt;
	bool no_web;
};

struct gateway {
	uv_loop_t *loop;
	const struct run_opts *opts;
	struct radio radio;
	struct mesh_uv_timers timers;
	struct gw_core core;
	bool core_open;
	struct netdb *db;               /* the core's */
	struct gw_provisioning *prov;   /* the core's */
	uint16_t awaiting_configure;    /* provision: the new node being configured */
	bool prov_started;
	bool finishing;              /* provision: done, stopping after a grace */
	bool echoing_event;          /* logging a bridge event: the stream has it already */
	bool log_json;               /* log.format: json (at start and SIGHUP) */
	int exit_code;
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_pipe_t pipe;
		uv_tty_t tty;
	} input;                     /* the terminal, for OOB values */
	bool input_open;
	char line[256];
	size_t line_len;
	/* meshgate run: the application, its API, the MQTT bridge, the web server */
	struct gw_config cfg;
	struct gw_app app;
	bool app_open;
	struct gw_api api;
	bool api_open;
	struct bridge bridge;
	bool bridge_open;
	struct web_server *web;
	bool stopping;
	uv_signal_t sighup;
	uv_signal_t sigint, sigterm;
	uv_timer_t exit_timer;
	uint64_t rx_count;
};

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: meshgate [run] [--config FILE] [--data DIR] [--bearer SPEC] [--baud N]\n"
		"                    [--no-rtscts] [--hci-log FILE] [--no-mqtt] [--no-web]\n"
		"                    [--log-level error|warn|info|debug] [--exit-after SECONDS]\n"
		"       meshgate provision UUID [--method auto|none|static|output|input]\n"
		"                    [--static-oob HEX] [--algorithm cmac|hmac] [--attention SECONDS]\n"
		"                    [--timeout SECONDS] [--no-configure]\n"
		"                    [run options]\n"
		"\n"
		"  --config FILE            the configuration (docs/config.md); without one,\n"
		"                           the built-in demo on the simulated stairway.\n"
		"                           SIGHUP reloads its names and groups\n"
		"  --no-mqtt                run without connecting to an MQTT broker\n"
		"  --no-web                 run without the web dashboard and its API\n"
		"  --data DIR               the network database and state (default: $"
		MESHGATE_DATA_ENV " or ./" MESHGATE_DATA_DEFAULT ");\n"
		"                           a new network is created there on first start\n"
		"  --bearer hci:hciN        a local adapter (HCI user channel; adapter down,\n"
		"                           bluetoothd not using it, CAP_NET_ADMIN)\n"
		"  --bearer uart:PATH       an nRF52840 with Zephyr hci_uart, a pty or socket\n"
		"  --bearer simulator[:F]   simulated mesh in-process (F: scenario YAML;\n"
		"                           default: the built-in stairway). The default.\n"
		"  --baud N                 uart baud rate (default 1000000)\n"
		"  --no-rtscts              uart without RTS/CTS flow control\n"
		"  --hci-log FILE           write all HCI traffic as btsnoop (btmon -r FILE)\n"
		"\n"
		"provision: bring the unprovisioned device UUID (32 hex digits) into the\n"
		"network, configure it (application key, bindings, publications,\n"
		"heartbeats), and exit; OOB values are asked for on the terminal.\n"
		"  --method M               authentication (default auto: the best the device offers)\n"
		"  --static-oob HEX         the device's static OOB value (32 or 64 hex digits)\n"
		"  --algorithm A            restrict to cmac (CMAC-AES128) or hmac (HMAC-SHA256)\n"
		"  --attention SECONDS      ask the device to identify itself (blink) meanwhile\n"
		"  --timeout SECONDS        give up if not done by then (default 120)\n"
		"  --no-configure           only provision; 'meshgate run' configures it later\n");
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

static const char *run_cmd(const struct run_opts *o)
{
	return o->provision ? "meshgate provision" : "meshgate run";
}

static int run_parse_method(const char *s, int *method)
{
	static const char *const names[] = { "none", "static", "output", "input" };

	if (strcmp(s, "auto") == 0) {
		*method = MESH_PROV_METHOD_AUTO;
		return 0;
	}
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*method = i;
			return 0;
		}
	}
	return -1;
}

static int run_parse_hex(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;

		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

/* Options only `meshgate provision` takes; 1 if a was one of them. */
static int run_parse_provision_option(struct run_opts *o, const char *a, const char *v)
{
	size_t len = 0;

	if (strcmp(a, "--method") == 0) {
		if (run_parse_method(v, &o->prov.method) < 0) {
			fprintf(stderr, "%s: --method %s: use auto, none, static, output or input\n",
				run_cmd(o), v);
			return -1;
		}
	} else if (strcmp(a, "--static-oob") == 0) {
		if (run_parse_hex(v, o->prov.static_oob, sizeof(o->prov.static_oob), &len) < 0 ||
		    (len != 16 && len != 32)) {
			fprintf(stderr, "%s: --static-oob: expected 32 or 64 hex digits\n", run_cmd(o));
			return -1;
		}
		o->prov.static_oob_len = (uint8_t)len;
	} else if (strcmp(a, "--algorithm") == 0) {
		if (strcmp(v, "cmac") == 0)
			o->prov.algorithms = MESH_PROV_ALG_BIT(MESH_PROV_ALG_CMAC_AES128);
		else if (strcmp(v, "hmac") == 0)
			o->prov.algorithms = MESH_PROV_ALG_BIT(MESH_PROV_ALG_HMAC_SHA256);
		else {
			fprintf(stderr, "%s: --algorithm %s: use cmac or hmac\n", run_cmd(o), v);
			return -1;
		}
	} else if (strcmp(a, "--attention") == 0) {
		unsigned int seconds;

		if (run_parse_uint(v, &seconds) < 0 || seconds > 255) {
			fprintf(stderr, "%s: --attention %s: expected 0..255 seconds\n", run_cmd(o), v);
			return -1;
		}
		o->prov.attention_s = (uint8_t)seconds;
	} else if (strcmp(a, "--timeout") == 0) {
		if (run_parse_uint(v, &o->timeout_s) < 0 || o->timeout_s == 0) {
			fprintf(stderr, "%s: --timeout %s: expected seconds\n", run_cmd(o), v);
			return -1;
		}
	} else {
		return 0;
	}
	return 1;
}

static bool run_option_takes_value(const char *a)
{
	static const char *const with_value[] = {
		"--bearer", "--baud", "--hci-log", "--log-level", "--exit-after", "--data", "--config",
		"--method", "--static-oob", "--algorithm", "--timeout", "--attention",
	};

	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (strcmp(a, with_value[i]) == 0)
			return true;
	return false;
}

static int run_parse_option(struct run_opts *o, const char *a, const char *v)
{
	char err[256];
	int rc;

	if (o->provision) {
		rc = run_parse_provision_option(o, a, v);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
	if (strcmp(a, "--bearer") == 0) {
		if (radio_config_parse(&o->radio, v, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", run_cmd(o), err);
			return -1;
		}
		o->bearer_given = true;
	} else if (strcmp(a, "--baud") == 0) {
		if (run_parse_uint(v, &o->radio.baud) < 0 || !hci_uart_speed(o->radio.baud)) {
			fprintf(stderr, "%s: --baud %s: not a supported baud rate\n", run_cmd(o), v);
			return -1;
		}
	} else if (strcmp(a, "--hci-log") == 0) {
		o->radio.hci_log = v;
	} else if (strcmp(a, "--data") == 0) {
		o->data_dir = v;
		o->data_given = true;
	} else if (strcmp(a, "--config") == 0 && !o->provision) {
		o->config_path = v;
	} else if (strcmp(a, "--log-level") == 0) {
		if (run_parse_level(v, &o->level) < 0) {
			fprintf(stderr, "%s: --log-level %s: use error, warn, info or debug\n",
				run_cmd(o), v);
			return -1;
		}
		o->level_given = true;
	} else if (strcmp(a, "--exit-after") == 0) {
		if (run_parse_uint(v, &o->exit_after_s) < 0) {
			fprintf(stderr, "%s: --exit-after %s: expected seconds\n", run_cmd(o), v);
			return -1;
		}
	} else {
		fprintf(stderr, "%s: unknown option '%s'\n", run_cmd(o), a);
		return -1;
	}
	return 0;
}

static int run_parse_uuid(struct run_opts *o, const char *s)
{
	size_t len = 0;
	char hex[33];
	size_t n = 0;

	/* Accept the 8-4-4-4-12 form users copy from apps. */
	for (const char *c = s; *c; c++) {
		if (*c == '-')
			continue;
		if (n < sizeof(hex) - 1)
			hex[n] = *c;
		n++;
	}
	hex[n < sizeof(hex) ? n : sizeof(hex) - 1] = '\0';
	if (strlen(s) > 36 || n != 32 || run_parse_hex(hex, o->prov.uuid, 16, &len) < 0 ||
	    len != 16) {
		fprintf(stderr, "%s: '%s' is not a device UUID (32 hex digits)\n", run_cmd(o), s);
		return -1;
	}
	return 0;
}

static int run_parse(int argc, char **argv, struct run_opts *o, bool provision)
{
	bool have_uuid = false;

	memset(o, 0, sizeof(*o));
	radio_config_default(&o->radio);
	o->level = MESH_LOG_INFO;
	o->provision = provision;
	o->prov.method = MESH_PROV_METHOD_AUTO;
	o->timeout_s = 120;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			run_usage(stdout);
			exit(0);
		}
		if (provision && a[0] != '-' && !have_uuid) {
			if (run_parse_uuid(o, a) < 0)
				return -1;
			have_uuid = true;
			continue;
		}
		if (strcmp(a, "--no-rtscts") == 0) {
			o->radio.rtscts = false;
			continue;
		}
		if (!provision && strcmp(a, "--no-mqtt") == 0) {
			o->no_mqtt = true;
			continue;
		}
		if (!provision && strcmp(a, "--no-web") == 0) {
			o->no_web = true;
			continue;
		}
		if (provision && strcmp(a, "--no-configure") == 0) {
			o->no_configure = true;
			continue;
		}
		if (run_option_takes_value(a) && !v) {
			fprintf(stderr, "%s: %s needs a value\n", run_cmd(o), a);
			return -1;
		}
		if (run_parse_option(o, a, v) < 0)
			return -1;
		i++;
	}
	if (provision && !have_uuid) {
		fprintf(stderr, "meshgate provision: which device? Give its UUID\n");
		return -1;
	}
	if (!o->data_given)
		o->data_dir = NULL;
	return 0;
}

static void run_provision_start(struct gateway *gw);

/* Everything the radio hears goes to the core; the one thing run.c adds
 * is starting `meshgate provision` once its device is heard (in range,
 * listening). */
static void run_bearer_rx(void *ctx, const struct mesh_adv_rx *rx)
{
	struct gateway *gw = ctx;
	struct mesh_beacon_unprov b;

	gw->rx_count++;
	if (gw->app_open) {
		gw_app_bearer_rx(&gw->app, rx);
		return;
	}
	if (!gw->core_open)
		return;
	gw_core_bearer_rx(&gw->core, rx);
	if (gw->opts->provision && !gw->prov_started && rx->ad_type == MESH_AD_TYPE_BEACON &&
	    mesh_beacon_unprov_parse(rx->payload, rx->len, &b) == 0 &&
	    memcmp(b.uuid, gw->opts->prov.uuid, 16) == 0)
		run_provision_start(gw);
}

static void run_bearer_state(void *ctx, bool up)
{
	struct gateway *gw = ctx;

	if (up)
		mesh_log_info(LOG, "radio ready: %s", gw->radio.core.transport->name);
	else
		mesh_log_warn(LOG, "radio down; waiting for it to come back");
}

/* --- provisioning ------------------------------------------------------ */

static void run_stop(struct gateway *gw);
static void run_on_exit_timer(uv_timer_t *h);

/* Stop from inside a callback of what run_stop() tears down: later, from
 * the loop. The grace lets the link's Close go out. */
static void run_finish(struct gateway *gw, int exit_code, unsigned int grace_ms)
{
	gw->exit_code = exit_code;
	gw->finishing = true;
	uv_timer_start(&gw->exit_timer, run_on_exit_timer, grace_ms, 0);
}

static void run_log_discovered(const struct mesh_prov_scan_entry *e)
{
	char uuid[33];

	mesh_hex_encode(e->uuid, sizeof(e->uuid), uuid);
	mesh_log_info(LOG, "unprovisioned device %s (oob info 0x%04x, rssi %d): provision with "
		      "'meshgate provision %s'", uuid, e->oob_info, e->rssi, uuid);
}

static const char *run_action_name(const struct mesh_prov_event *ev)
{
	return ev->oob.method == MESH_PROV_AUTH_OUTPUT ? mesh_prov_output_action_name(ev->oob.action) :
							 mesh_prov_input_action_name(ev->oob.action);
}

/* What the user must do, said on the terminal (stdout) and in the log. */
static void run_prompt_oob(struct gateway *gw, const struct mesh_prov_event *ev)
{
	if (ev->type == MESH_PROV_EV_OOB_SHOW) {
		printf("Enter %s on the device (%s).\n", ev->oob.value, run_action_name(ev));
	} else if (ev->oob.method == MESH_PROV_AUTH_STATIC) {
		printf("The device needs its static OOB value: type it (32 or 64 hex digits) "
		       "and press Enter:\n");
	} else {
		printf("The device outputs a value (%s, %u %s): type it and press Enter:\n",
		       run_action_name(ev), ev->oob.size,
		       ev->oob.alphanumeric ? "characters" : "digits");
	}
	fflush(stdout);
	if (!gw->opts->provision)
		mesh_log_warn(LOG, "a provisioning session waits for an OOB value");
}

static void run_on_session(struct gateway *gw, const struct mesh_prov_event *ev)
{
	char uuid[33];

	mesh_hex_encode(ev->uuid, sizeof(ev->uuid), uuid);
	switch (ev->type) {
	case MESH_PROV_EV_STARTED:
		mesh_log_info(LOG, "provisioning %s: link open", uuid);
		break;
	case MESH_PROV_EV_CAPABILITIES:
		mesh_log_info(LOG, "provisioning %s: %u element(s), using %s, %s authentication",
			      uuid, ev->capabilities.caps.n_elements,
			      mesh_prov_alg_name(ev->capabilities.start.algorithm),
			      (const char *[]){ "no", "static OOB", "output OOB", "input OOB" }
				      [ev->capabilities.start.auth_method & 3]);
		break;
	case MESH_PROV_EV_OOB_NEEDED:
	case MESH_PROV_EV_OOB_SHOW:
		run_prompt_oob(gw, ev);
		break;
	case MESH_PROV_EV_COMPLETE:
		mesh_log_info(LOG, "provisioned %s as node 0x%04x (%u element(s)); saved", uuid,
			      ev->complete.address, ev->complete.n_elements);
		if (gw->opts->provision) {
			printf("provisioned %s as node 0x%04x (%u element(s))\n", uuid,
			       ev->complete.address, ev->complete.n_elements);
			fflush(stdout);
			if (gw->opts->no_configure)
				run_finish(gw, 0, RUN_CLOSE_GRACE_MS);
			else
				gw->awaiting_configure = ev->complete.address;
		}
		break;
	case MESH_PROV_EV_FAILED:
		mesh_log_error(LOG, "provisioning %s failed: %s", uuid, ev->failed.message);
		if (gw->opts->provision)
			run_finish(gw, EXIT_RUNTIME, RUN_CLOSE_GRACE_MS);
		break;
	}
}

static void run_on_prov_event(void *ctx, const struct gw_prov_event *ev)
{
	struct gateway *gw = ctx;

	switch (ev->type) {
	case GW_PROV_EV_DISCOVERED:
		if (!gw->opts->provision)
			run_log_discovered(ev->device);
		break;
	case GW_PROV_EV_SCAN_CLOSED:
		gw_prov_scan(gw->prov, RUN_SCAN_WINDOW_S);
		break;
	case GW_PROV_EV_SESSION:
		run_on_session(gw, ev->session);
		break;
	}
}

/* `meshgate provision` ends when the new node's configuration does. */
static void run_on_configure(void *ctx, const struct gw_configure_report *r)
{
	struct gateway *gw = ctx;

	if (!gw->opts->provision || r->node != gw->awaiting_configure ||
	    r->outcome == GW_CONFIGURE_RUNNING)
		return;
	gw->awaiting_configure = 0;
	if (r->outcome == GW_CONFIGURE_OK) {
		printf("configured node 0x%04x\n", r->node);
		fflush(stdout);
		run_finish(gw, 0, 0);
		return;
	}
	printf("node 0x%04x is provisioned, but its configuration stopped at step %s: %s\n"
	       "'meshgate run' tries again from there\n",
	       r->node, gw_configure_step_name(r->step), r->why[0] ? r->why : "canceled");
	fflush(stdout);
	run_finish(gw, EXIT_RUNTIME, 0);
}

static const struct gw_core_ops run_core_ops = {
	.prov_event = run_on_prov_event,
	.configure = run_on_configure,
};

static void run_provision_start(struct gateway *gw)
{
	char err[256];

	gw->prov_started = true;
	if (gw_prov_start(gw->prov, &gw->opts->prov, err, sizeof(err)) < 0) {
		mesh_log_error(LOG, "cannot provision: %s", err);
		run_finish(gw, EXIT_RUNTIME, 0);
	}
}

/* --- the terminal, for OOB values ---------------------------------------- */

static void run_input_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char chunk[256];

	(void)h;
	(void)suggested;
	*buf = uv_buf_init(chunk, sizeof(chunk));
}

static void run_input_line(struct gateway *gw)
{
	char err[256];

	while (gw->line_len && (gw->line[gw->line_len - 1] == '\r' ||
				gw->line[gw->line_len - 1] == ' '))
		gw->line_len--;
	gw->line[gw->line_len] = '\0';
	if (gw->prov) {
		int rc = gw_prov_oob(gw->prov, gw->line, err, sizeof(err));

		if (rc == -EINVAL)
			printf("%s; try again:\n", err);
		else if (rc < 0)
			printf("%s\n", err);
		fflush(stdout);
	}
	OPENSSL_cleanse(gw->line, sizeof(gw->line));
	gw->line_len = 0;
}

static void run_input_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct gateway *gw = s->data;

	if (n < 0) {
		uv_read_stop(s);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf->base[i] == '\n')
			run_input_line(gw);
		else if (gw->line_len < sizeof(gw->line) - 1)
			gw->line[gw->line_len++] = buf->base[i];
	}
	OPENSSL_cleanse(buf->base, (size_t)n);
}

/* Standard input, if it is a terminal or a pipe: epoll cannot watch a
 * regular file or /dev/null, and nothing could be typed there anyway. */
static void run_input_open(struct gateway *gw)
{
	uv_handle_type type = uv_guess_handle(STDIN_FILENO);
	int rc;

	if (type == UV_TTY) {
		rc = uv_tty_init(gw->loop, &gw->input.tty, STDIN_FILENO, 0);
	} else if (type == UV_NAMED_PIPE) {
		rc = uv_pipe_init(gw->loop, &gw->input.pipe, 0);
		if (rc == 0 && uv_pipe_open(&gw->input.pipe, STDIN_FILENO) < 0) {
			uv_close(&gw->input.handle, NULL);
			rc = -1;
		}
	} else {
		rc = -1;
	}
	if (rc < 0) {
		mesh_log_info(LOG, "standard input is not a terminal or pipe: OOB values "
			      "cannot be entered");
		return;
	}
	gw->input.handle.data = gw;
	if (uv_read_start(&gw->input.stream, run_input_alloc, run_input_read) < 0) {
		uv_close(&gw->input.handle, NULL);
		return;
	}
	gw->input_open = true;
}

/* --- the data directory ------------------------------------------------- */

static bool run_network_exists(const char *dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, NETDB_FILE);
	return access(path, F_OK) == 0;
}

/* The core on the radio: the data directory's network (created on first
 * start) and state, meshgate's node, provisioning and configuration. */
static int run_open_core(struct gateway *gw)
{
	bool existed = run_network_exists(gw->opts->data_dir);
	struct gw_core_config cfg;
	char err[2048];

	if (mesh_uv_timers_init(&gw->timers, gw->loop) < 0)
		return -1;
	gw_core_config_default(&cfg);
	cfg.auto_configure = !gw->opts->no_configure;
	if (gw_core_open(&gw->core, &gw->timers.timers, radio_bearer(&gw->radio),
			 gw->opts->data_dir, &cfg, &run_core_ops, gw, err, sizeof(err)) < 0) {
		mesh_log_error(LOG, "%s", err);
		mesh_log_error(LOG, "refusing to start over a network database or state that "
			       "does not load");
		mesh_uv_timers_close(&gw->timers);
		return -1;
	}
	gw->core_open = true;
	gw->db = gw->core.db;
	gw->prov = gw->core.prov;
	if (!existed)
		mesh_log_info(LOG, "created a new network in %s/%s; it holds the network's keys: "
			      "back it up ('meshgate network export')", gw->opts->data_dir, NETDB_FILE);
	mesh_log_info(LOG, "network '%s' in %s: %zu node(s), IV index %" PRIu32
		      ", meshgate is node 0x%04x", gw->db->mesh_name, gw->opts->data_dir,
		      gw->db->n_nodes, gw->core.node.state.iv_index, gw_node_address(&gw->core.node));
	return 0;
}

/* --- meshgate run: the application, its API, the MQTT bridge, the web ------- */

/* Every log line to stderr (text, or JSON with log.format: json), and
 * while the application is open to its event stream too (the WebSocket
 * API's "log" topic). gw_app_log_line() drops lines of other threads and
 * lines logged while it delivers one. */
static void run_log_sink(void *ctx, enum mesh_log_level level, const char *component,
			 const char *message)
{
	struct gateway *gw = ctx;

	if (gw->log_json)
		gw_log_line_print_json(stderr, level, component, message);
	else
		mesh_log_line_stderr(level, component, message);
	if (gw->app_open && !gw->echoing_event)
		gw_app_log_line(&gw->app, level, component, message);
}

/* Bridge events in the log too, for those who run without MQTT; not as
 * log lines on the event stream, where the dashboard shows the event. */
static void run_echo_event(const struct gw_event *ev)
{
	char *text;

	if (strcmp(ev->type, GW_EV_DEVICE_DISCOVERED) == 0) {
		const char *uuid = json_string_value(json_object_get(ev->data, "uuid"));

		mesh_log_info(LOG, "unprovisioned device %s (rssi %d): provision it from the "
			      "dashboard, with bridge/request/provision, or 'meshgate provision %s'",
			      uuid ? uuid : "?",
			      (int)json_integer_value(json_object_get(ev->data, "rssi")),
			      uuid ? uuid : "UUID");
		return;
	}
	text = json_dumps(ev->data, JSON_COMPACT);
	mesh_log_info(LOG, "event %s %s", ev->type, text ? text : "");
	free(text);
}

static void run_on_app_event(void *ctx, const struct gw_event *ev)
{
	struct gateway *gw = ctx;

	if (ev->kind != GW_EVENT_BRIDGE)
		return;
	gw->echoing_event = true;
	run_echo_event(ev);
	gw->echoing_event = false;
}

static const char *run_bearer_desc(const struct radio_config *r, char *out, size_t len)
{
	static const char *const kinds[] = { "hci", "uart", "simulator" };

	snprintf(out, len, "%s%s%s", kinds[r->kind], r->target[0] ? ":" : "",
		 r->target[0] ? r->target : "");
	return out;
}

/* /health's view of the MQTT connection. */
static const char *run_mqtt_status(void *ctx)
{
	struct gateway *gw = ctx;

	return gw->bridge_open && mqtt_conn_is_connected(gw->bridge.conn) ? "connected"
									  : "disconnected";
}

/* The dashboard and its API; its address (and a password generated at
 * this start, the one time it is ever shown) on stdout. */
static int run_open_web(struct gateway *gw)
{
	struct web_server_options wo;
	const char *password;
	char err[2048];

	if (gw->opts->no_web || !gw->app.cfg.web.enabled)
		return 0;
	if (!gw->api_open) {
		mesh_log_error(LOG, "web: the request API did not start");
		return -1;
	}
	memset(&wo, 0, sizeof(wo));
	wo.data_dir = gw->opts->data_dir;
	if (gw->bridge_open) {
		wo.mqtt_status = run_mqtt_status;
		wo.mqtt_ctx = gw;
	}
	if (web_server_open(&gw->web, gw->loop, &gw->app, &gw->api, &gw->app.cfg.web, &wo, err,
			    sizeof(err)) < 0) {
		mesh_log_error(LOG, "%s", err);
		return -1;
	}
	password = web_server_new_password(gw->web);
	if (password)
		printf("web dashboard: %s password: %s (shown once; stored hashed in %s/%s)\n",
		       web_server_url(gw->web), password, gw->opts->data_dir, WEB_AUTH_FILE);
	else
		printf("web dashboard: %s\n", web_server_url(gw->web));
	fflush(stdout);
	web_server_forget_password(gw->web);
	mesh_log_info(LOG, "web dashboard at %s", web_server_url(gw->web));
	return 0;
}

static int run_open_app(struct gateway *gw)
{
	struct gw_app_options ao;
	char err[2048], desc[300];

	if (mesh_uv_timers_init(&gw->timers, gw->loop) < 0)
		return -1;
	memset(&ao, 0, sizeof(ao));
	ao.data_dir = gw->opts->data_dir;
	ao.demo_scenario = gw->radio.kind == RADIO_SIMULATOR ? &gw->radio.scenario : NULL;
	ao.bearer_desc = run_bearer_desc(&gw->opts->radio, desc, sizeof(desc));
	if (gw_app_open(&gw->app, &gw->timers.timers, radio_bearer(&gw->radio), &gw->cfg, &ao,
			err, sizeof(err)) < 0) {
		mesh_log_error(LOG, "%s", err);
		mesh_log_error(LOG, "refusing to start over a network database or state that "
			       "does not load");
		mesh_uv_timers_close(&gw->timers);
		return -1;
	}
	gw->app_open = true;
	gw->db = gw->app.core.db;
	gw->prov = gw->app.core.prov;
	if (gw->app.new_network)
		mesh_log_info(LOG, "created a new network in %s/%s; it holds the network's keys: "
			      "back it up ('meshgate network export')", gw->opts->data_dir, NETDB_FILE);
	mesh_log_info(LOG, "network '%s' in %s: %zu node(s), IV index %" PRIu32
		      ", meshgate is node 0x%04x", gw->db->mesh_name, gw->opts->data_dir,
		      gw->db->n_nodes, gw->app.core.node.state.iv_index,
		      gw_node_address(&gw->app.core.node));
	gw_events_subscribe(&gw->app.events, run_on_app_event, gw);
	if (gw_api_init(&gw->api, &gw->app) == 0)
		gw->api_open = true;
	if (!gw->opts->no_mqtt && gw->app.cfg.mqtt.enabled) {
		if (bridge_open(&gw->bridge, gw->loop, &gw->app, &gw->api, &gw->app.cfg, err,
				sizeof(err)) < 0) {
			mesh_log_error(LOG, "MQTT: %s", err);
			bridge_close(&gw->bridge);
			return -1;
		}
		gw->bridge_open = true;
		mesh_log_info(LOG, "MQTT: %s, base topic '%s'", gw->app.cfg.mqtt.server,
			      gw->app.cfg.mqtt.base_topic);
	}
	if (run_open_web(gw) < 0)
		return -1;
	gw_prov_scan(gw->prov, RUN_SCAN_WINDOW_S);
	gw_app_start(&gw->app);
	return 0;
}

static enum mesh_log_level run_config_level(const struct gw_config *cfg)
{
	static const enum mesh_log_level levels[] = { MESH_LOG_ERROR, MESH_LOG_WARN, MESH_LOG_INFO,
						       MESH_LOG_DEBUG };

	return levels[cfg->log.level];
}

/* The file's log settings take effect at once; --log-level still wins. */
static void run_apply_log_settings(struct gateway *gw, const struct gw_config *cfg)
{
	gw->log_json = cfg->log.format == GW_CONFIG_LOG_JSON;
	if (!gw->opts->level_given)
		mesh_log_set_level(run_config_level(cfg));
}

static void run_on_sighup(uv_signal_t *h, int signum)
{
	struct gateway *gw = h->data;
	struct gw_config cfg;
	char err[GW_CONFIG_ERR_MAX];

	(void)signum;
	if (!gw->app_open)
		return;
	if (!gw->opts->config_path) {
		mesh_log_info(LOG, "SIGHUP: no configuration file to reload (running the demo)");
		return;
	}
	if (gw_config_load_file(&cfg, gw->opts->config_path, err, sizeof(err)) < 0) {
		mesh_log_error(LOG, "SIGHUP: %s; keeping the configuration in force", err);
		gw_config_free(&cfg);
		return;
	}
	run_apply_log_settings(gw, &cfg);
	gw_app_reload(&gw->app, &cfg, err, sizeof(err));
	gw_config_free(&cfg);
	mesh_log_info(LOG, "SIGHUP: names and groups reloaded from %s", gw->opts->config_path);
}

static int run_start_provisioning(struct gateway *gw)
{
	if (!gw->opts->provision)
		return run_open_app(gw);
	if (run_open_core(gw) < 0)
		return -1;
	gw_prov_scan(gw->prov, RUN_SCAN_WINDOW_S);
	if (!gw->opts->provision)
		gw_core_configure_pending(&gw->core);
	if (gw->opts->provision) {
		char uuid[33];

		if (netdb_node_by_uuid(gw->db, gw->opts->prov.uuid)) {
			mesh_log_error(LOG, "this device is already a node of the network");
			return -1;
		}
		mesh_hex_encode(gw->opts->prov.uuid, 16, uuid);
		mesh_log_info(LOG, "waiting for device %s to beacon", uuid);
		run_input_open(gw);
	}
	return 0;
}

static void run_bridge_stopped(void *ctx)
{
	run_stop(ctx);
}

static void run_stop(struct gateway *gw)
{
	if (!gw->loop)
		return;
	/* Browsers are let go at once; the web server's sockets close as
	 * the loop runs on, and nothing of it touches the core after this. */
	if (gw->web)
		web_server_close(gw->web);
	gw->web = NULL;
	/* The bridge says goodbye first: offline on bridge/state while the
	 * loop still runs to deliver it; run_stop() comes back when done. */
	if (gw->bridge_open && !gw->stopping) {
		gw->stopping = true;
		uv_timer_stop(&gw->exit_timer);
		bridge_stop(&gw->bridge, run_bridge_stopped, gw);
		return;
	}
	if (gw->api_open)
		gw_api_close(&gw->api);
	gw->api_open = false;
	if (gw->bridge_open)
		bridge_close(&gw->bridge);
	gw->bridge_open = false;
	if (gw->app_open) {
		gw_app_close(&gw->app);
		gw->app_open = false;
		gw->prov = NULL;
		gw->db = NULL;
		mesh_uv_timers_close(&gw->timers);
	}
	uv_signal_stop(&gw->sighup);
	uv_close((uv_handle_t *)&gw->sighup, NULL);
	uv_signal_stop(&gw->sigint);
	uv_signal_stop(&gw->sigterm);
	uv_timer_stop(&gw->exit_timer);
	uv_close((uv_handle_t *)&gw->sigint, NULL);
	uv_close((uv_handle_t *)&gw->sigterm, NULL);
	uv_close((uv_handle_t *)&gw->exit_timer, NULL);
	if (gw->input_open) {
		uv_close(&gw->input.handle, NULL);
		gw->input_open = false;
	}
	if (gw->core_open) {
		gw_core_close(&gw->core);
		gw->core_open = false;
		gw->prov = NULL;
		gw->db = NULL;
		mesh_uv_timers_close(&gw->timers);
	}
	radio_close(&gw->radio);
	gw->loop = NULL;
	/* Stopping the handles restored the default actions: a second
	 * Ctrl-C while shutting down must not kill us mid-flush. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
}

/* A session still running is canceled first, so the device hears the
 * Link Close instead of waiting out its own 60 s; the grace covers the
 * three Close transmissions. */
static bool run_cancel_session(struct gateway *gw)
{
	if (gw->finishing || !gw->prov || !gw_prov_busy(gw->prov))
		return false;
	gw_prov_cancel(gw->prov, "meshgate is shutting down");
	run_finish(gw, gw->opts->provision ? EXIT_RUNTIME : 0, RUN_CLOSE_GRACE_MS);
	return true;
}

static void run_on_signal(uv_signal_t *h, int signum)
{
	struct gateway *gw = h->data;

	mesh_log_info(LOG, "%s: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
	if (!run_cancel_session(gw))
		run_stop(gw);
}

static void run_on_exit_timer(uv_timer_t *h)
{
	struct gateway *gw = h->data;

	if (gw->finishing) {
		/* the exit code is set */
	} else if (gw->opts->provision) {
		mesh_log_error(LOG, "provisioning did not finish within %u s",
			       gw->opts->timeout_s);
		gw->exit_code = EXIT_RUNTIME;
		if (run_cancel_session(gw))
			return;
	} else {
		mesh_log_info(LOG, "--exit-after reached: shutting down");
		if (run_cancel_session(gw))
			return;
	}
	run_stop(gw);
}

static void run_handles_init(struct gateway *gw, unsigned int exit_after_s)
{
	uv_signal_init(gw->loop, &gw->sighup);
	gw->sighup.data = gw;
	uv_signal_start(&gw->sighup, run_on_sighup, SIGHUP);
	uv_signal_init(gw->loop, &gw->sigint);
	uv_signal_init(gw->loop, &gw->sigterm);
	uv_timer_init(gw->loop, &gw->exit_timer);
	gw->sigint.data = gw->sigterm.data = gw->exit_timer.data = gw;
	uv_signal_start(&gw->sigint, run_on_signal, SIGINT);
	uv_signal_start(&gw->sigterm, run_on_signal, SIGTERM);
	if (exit_after_s)
		uv_timer_start(&gw->exit_timer, run_on_exit_timer, exit_after_s * 1000ull, 0);
}

/* meshgate run: the configuration file (or the built-in demo), whose
 * bearer, data directory and log level apply unless an option gave them. */
static int run_load_config(struct run_opts *o, struct gw_config *cfg)
{
	char err[GW_CONFIG_ERR_MAX];
	const struct gw_config_bearer *b;
	int rc;

	rc = o->config_path ? gw_config_load_file(cfg, o->config_path, err, sizeof(err))
			    : gw_config_load_builtin(cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "meshgate: %s\n", err);
		return -1;
	}
	b = &cfg->bearer;
	if (!o->bearer_given) {
		o->radio.kind = b->kind == GW_CONFIG_BEARER_HCI ? RADIO_HCI
			      : b->kind == GW_CONFIG_BEARER_UART ? RADIO_UART : RADIO_SIMULATOR;
		snprintf(o->radio.target, sizeof(o->radio.target), "%.255s",
			 b->kind == GW_CONFIG_BEARER_HCI ? b->device
			 : b->kind == GW_CONFIG_BEARER_UART ? b->path : b->scenario);
		if (b->kind == GW_CONFIG_BEARER_UART) {
			o->radio.baud = b->baudrate;
			o->radio.rtscts = b->rtscts;
		}
	}
	if (!o->radio.hci_log && b->hci_log[0])
		o->radio.hci_log = b->hci_log;
	if (!o->data_given && cfg->mesh.data_dir[0]) {
		snprintf(o->config_data_dir, sizeof(o->config_data_dir), "%s", cfg->mesh.data_dir);
		o->data_dir = o->config_data_dir;
	}
	if (!o->level_given)
		o->level = run_config_level(cfg);
	return 0;
}

static int run_daemon(int argc, char **argv, bool provision)
{
	struct run_opts opts;
	struct gateway *gwp;
	char err[512];
	uv_loop_t loop;
	int rc;

	if (run_parse(argc, argv, &opts, provision) < 0) {
		run_usage(stderr);
		return EXIT_USAGE;
	}
	/* The core holds a mesh stack: too big for the stack of main(). */
	gwp = calloc(1, sizeof(*gwp));
	if (!gwp || uv_loop_init(&loop) < 0) {
		mesh_log_error(LOG, "cannot create the event loop");
		free(gwp);
		return EXIT_RUNTIME;
	}
	if (!provision && run_load_config(&opts, &gwp->cfg) < 0) {
		gw_config_free(&gwp->cfg);
		uv_loop_close(&loop);
		free(gwp);
		return EXIT_USAGE;
	}
	opts.data_dir = meshgate_data_dir(opts.data_dir);
	gwp->log_json = !provision && gwp->cfg.log.format == GW_CONFIG_LOG_JSON;
	mesh_log_set_level(opts.level);
	if (!provision)
		mesh_log_set_sink(run_log_sink, gwp);
	gwp->opts = &opts;
	gwp->exit_code = provision ? EXIT_RUNTIME : 0;
	gwp->loop = &loop;
	if (radio_open(&gwp->radio, &loop, &opts.radio, err, sizeof(err)) < 0) {
		mesh_log_error(LOG, "%s", err);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		mesh_log_set_sink(NULL, NULL);
		gw_config_free(&gwp->cfg);
		free(gwp);
		return EXIT_RUNTIME;
	}
	radio_bearer(&gwp->radio)->rx = run_bearer_rx;
	radio_bearer(&gwp->radio)->state = run_bearer_state;
	radio_bearer(&gwp->radio)->ctx = gwp;
	run_handles_init(gwp, provision ? opts.timeout_s : opts.exit_after_s);
	if (run_start_provisioning(gwp) < 0) {
		gwp->exit_code = EXIT_RUNTIME;
		run_stop(gwp);
	} else {
		mesh_log_info(LOG, "meshgate %s running; Ctrl-C to stop", MESHGATE_VERSION);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	mesh_log_info(LOG, "stopped after %" PRIu64 " mesh advertisements", gwp->rx_count);
	rc = uv_loop_close(&loop) == 0 ? gwp->exit_code : EXIT_RUNTIME;
	mesh_log_set_sink(NULL, NULL);
	gw_config_free(&gwp->cfg);
	free(gwp);
	return rc;
}

int run_main(int argc, char **argv)
{
	return run_daemon(argc, argv, false);
}

int provision_main(int argc, char **argv)
{
	return run_daemon(argc, argv, true);
}
