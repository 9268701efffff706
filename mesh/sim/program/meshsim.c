/*
 * meshsim: a simulated Bluetooth Mesh world as a program (docs/simulator.md).
 *
 * It loads a scenario (a YAML file, or the built-in stairway), builds the
 * world on one libuv loop, and gives every virtual HCI controller a host
 * link a gateway can attach to: a pseudo-terminal behind a stable symlink,
 * or a Unix socket. Standard output says where they are, one line per
 * controller, then "ready"; standard input takes commands, one per line,
 * each answered by one line starting "ok" or "error:". Lines nobody asked
 * for start with "controller" (a host link was reopened), "device" (what a
 * device being provisioned shows or asks, and how its provisioning ended)
 * or, with --trace, "air" and "access".
 *
 * Exit codes: 0 after quit, end of input or SIGINT/SIGTERM/SIGHUP; 1 when
 * the world or a host link cannot be set up; 2 for a usage or scenario
 * error. Symlinks, sockets and directories it made are removed on exit.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <uv.h>

#include "config/scenario.h"
#include "mesh/bearer/bearer.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/prov_pdu.h"
#include "mesh/sim/vctrl.h"
#include "mesh/sim/world.h"
#include "mesh/stack.h"
#include "mesh/transport.h"
#include "mesh/util.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

#define LINE_MAX_LEN 4096
#define ARGS_MAX 8
#define GARBAGE_MAX 65536
#define DIRS_MAX 8
#define REOPEN_DELAY_DEFAULT_MS 500
#define LINK_RSSI_DEFAULT (-60)   /* dBm, for "link A B LOSS" without one */

struct meshsim;

/* A controller's host link, as meshsim made it. */
struct host_link {
	struct meshsim *app;
	struct sim_device *dev;
	bool is_socket;
	char path[SIM_PATH_MAX];     /* the symlink, or the socket */
	char slave[SIM_PATH_MAX];    /* the pty's /dev/pts/N */
	bool detached;               /* by reopen, until the timer fires */
	uv_timer_t reopen_timer;
};

struct meshsim {
	uv_loop_t *loop;
	struct sim_scenario sc;
	struct sim_world *world;
	struct host_link *links;
	size_t n_links;
	char made_dirs[DIRS_MAX][SIM_PATH_MAX];  /* to remove, innermost last */
	size_t n_made_dirs;
	bool trace;
	uint64_t rng;

	/* Standard input: a tty, a pipe or socket, or a file read with uv_fs. */
	uv_handle_type in_type;
	union {
		uv_tty_t tty;
		uv_pipe_t pipe;
	} in;
	bool in_open;
	uv_fs_t in_req;
	bool in_req_busy;
	char in_buf[LINE_MAX_LEN];
	char line[LINE_MAX_LEN];
	size_t line_len;
	bool line_overflow;

	uv_signal_t sig[3];
	bool quitting;
	int exit_code;
};

/* ---- output ------------------------------------------------------------ */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void print_link(const struct host_link *l)
{
	if (l->is_socket)
		say("controller %s: socket %s", l->dev->desc.name, l->path);
	else
		say("controller %s: %s (link %s)", l->dev->desc.name, l->slave, l->path);
}

static const char *ad_type_name(uint8_t type, char buf[8])
{
	switch (type) {
	case MESH_AD_TYPE_PB_ADV: return "pb-adv";
	case MESH_AD_TYPE_MESSAGE: return "message";
	case MESH_AD_TYPE_BEACON: return "beacon";
	}
	snprintf(buf, 8, "0x%02x", type);
	return buf;
}

/* --trace: one line per AD structure of every advertising event. */
static void trace_on_air(void *ctx, const struct sim_device *from, const uint8_t *adv,
			 size_t len)
{
	char hex[2 * MESH_ADV_DATA_MAX + 1], tbuf[8];
	size_t o = 0;

	(void)ctx;
	if (len > MESH_ADV_DATA_MAX)
		len = MESH_ADV_DATA_MAX;
	while (o < len) {
		size_t ad_len = adv[o];

		if (ad_len == 0)
			break;
		if (o + 1 + ad_len > len) {
			mesh_hex_encode(adv + o, len - o, hex);
			say("air %s malformed %s", from->desc.name, hex);
			return;
		}
		mesh_hex_encode(adv + o + 2, ad_len - 1, hex);
		say("air %s %s %s", from->desc.name, ad_type_name(adv[o + 1], tbuf), hex);
		o += 1 + ad_len;
	}
}

static void trace_on_access_rx(void *ctx, const struct sim_device *d,
			       const struct mesh_access_msg *meta, const uint8_t *payload,
			       size_t len)
{
	char *hex = malloc(2 * len + 1);

	(void)ctx;
	if (!hex)
		return;
	mesh_hex_encode(payload, len, hex);
	say("access %s src 0x%04x dst 0x%04x ttl %u %s", d->desc.name, meta->src, meta->dst,
	    meta->ttl, hex);
	free(hex);
}

/* ---- provisioning: what a user would see on the devices ----------------- */

static void prov_on_output(void *ctx, const struct sim_device *d, uint8_t action,
			   const char *value)
{
	(void)ctx;
	say("device %s shows %s (%s)", d->desc.name, value, mesh_prov_output_action_name(action));
}

static void prov_on_input(void *ctx, const struct sim_device *d, uint8_t action, uint8_t size)
{
	(void)ctx;
	say("device %s asks for input (%s, %u %s%s)", d->desc.name,
	    mesh_prov_input_action_name(action), size,
	    action == MESH_PROV_IN_ALPHANUMERIC ? "character" : "digit", size == 1 ? "" : "s");
}

static void prov_on_done(void *ctx, const struct sim_device *d, bool ok, uint16_t address,
			 const char *error)
{
	(void)ctx;
	if (ok)
		say("device %s provisioned as 0x%04x", d->desc.name, address);
	else
		say("device %s provisioning failed: %s", d->desc.name, error ? error : "unknown");
}

/* ---- host links and the files they leave ------------------------------- */

/* mkdir -p for the directory holding path; remembers what it made. */
static int make_parent_dirs(struct meshsim *app, const char *path)
{
	char dir[SIM_PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		bool end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) == 0) {
			if (app->n_made_dirs < DIRS_MAX)
				snprintf(app->made_dirs[app->n_made_dirs++], SIM_PATH_MAX, "%s", dir);
		} else if (errno != EEXIST) {
			mesh_log_error("meshsim", "cannot create directory %s: %s", dir,
				       strerror(errno));
			return MESH_ERR_IO;
		}
		if (end)
			break;
		*p = '/';
	}
	return 0;
}

static void remove_files(struct meshsim *app)
{
	struct stat st;

	for (size_t i = 0; i < app->n_links; i++) {
		const struct host_link *l = &app->links[i];

		if (!l->path[0] || lstat(l->path, &st) != 0)
			continue;
		if ((l->is_socket && S_ISSOCK(st.st_mode)) || (!l->is_socket && S_ISLNK(st.st_mode)))
			unlink(l->path);
	}
	while (app->n_made_dirs > 0)
		rmdir(app->made_dirs[--app->n_made_dirs]);
}

static int open_link(struct host_link *l)
{
	struct sim_vctrl *vc = sim_vctrl_of(l->dev);
	int rc;

	if (!vc)
		return MESH_ERR_DOWN;
	if (l->is_socket)
		return sim_vctrl_listen_unix(vc, l->path);
	rc = sim_vctrl_open_pty(vc, l->path, l->slave, sizeof(l->slave));
	return rc;
}

/* Where a controller without pty_link or socket gets its symlink. */
static int default_link_dir(const char *link_dir, char *out, size_t size)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	int n;

	if (link_dir)
		n = snprintf(out, size, "%s", link_dir);
	else
		n = snprintf(out, size, "%s/meshsim-%ld", base && *base == '/' ? base : "/tmp",
			     (long)getpid());
	return n < 0 || (size_t)n >= size ? MESH_ERR_OVERSIZED : 0;
}

static int setup_links(struct meshsim *app, const char *link_dir)
{
	char dir[SIM_PATH_MAX];
	size_t n = sim_world_device_count(app->world);
	int rc;

	rc = default_link_dir(link_dir, dir, sizeof(dir));
	if (rc) {
		mesh_log_error("meshsim", "link directory name too long");
		return rc;
	}
	app->links = calloc(n ? n : 1, sizeof(*app->links));
	if (!app->links)
		return MESH_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		struct sim_device *d = sim_world_device(app->world, i);
		struct host_link *l;
		int len;

		if (d->desc.kind != SIM_DEVICE_CONTROLLER)
			continue;
		l = &app->links[app->n_links++];
		l->app = app;
		l->dev = d;
		uv_timer_init(app->loop, &l->reopen_timer);
		l->reopen_timer.data = l;
		if (d->desc.socket_path[0]) {
			l->is_socket = true;
			len = snprintf(l->path, sizeof(l->path), "%s", d->desc.socket_path);
		} else if (d->desc.pty_link[0]) {
			len = snprintf(l->path, sizeof(l->path), "%s", d->desc.pty_link);
		} else {
			len = snprintf(l->path, sizeof(l->path), "%s/%s", dir, d->desc.name);
		}
		if (len < 0 || (size_t)len >= sizeof(l->path)) {
			mesh_log_error("meshsim", "controller %s: link path too long", d->desc.name);
			l->path[0] = '\0';
			return MESH_ERR_OVERSIZED;
		}
		rc = make_parent_dirs(app, l->path);
		if (rc)
			return rc;
		rc = open_link(l);
		if (rc) {
			mesh_log_error("meshsim", "controller %s: cannot open %s %s: %s",
				       d->desc.name, l->is_socket ? "socket" : "pty link", l->path,
				       mesh_strerror(rc));
			return rc;
		}
	}
	return 0;
}

/* ---- shutdown ---------------------------------------------------------- */

static void shutdown_app(struct meshsim *app, int exit_code)
{
	if (app->quitting)
		return;
	app->quitting = true;
	app->exit_code = exit_code;
	if (app->in_open) {
		if (app->in_type == UV_TTY)
			uv_tty_reset_mode();
		uv_close((uv_handle_t *)&app->in, NULL);
		app->in_open = false;
	}
	if (app->in_req_busy)
		uv_cancel((uv_req_t *)&app->in_req);
	for (size_t i = 0; i < MESH_ARRAY_SIZE(app->sig); i++)
		if (!uv_is_closing((uv_handle_t *)&app->sig[i]))
			uv_close((uv_handle_t *)&app->sig[i], NULL);
	for (size_t i = 0; i < app->n_links; i++)
		uv_close((uv_handle_t *)&app->links[i].reopen_timer, NULL);
	if (app->world) {
		sim_world_destroy(app->world);
		app->world = NULL;
	}
	remove_files(app);
	uv_stop(app->loop);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct meshsim *app = s->data;

	mesh_log_info("meshsim", "signal %d: exiting", signum);
	shutdown_app(app, 0);
}

/* ---- commands ---------------------------------------------------------- */

static uint32_t rng_next(struct meshsim *app)
{
	/* xorshift64*: reproducible garbage for a given seed. */
	app->rng ^= app->rng >> 12;
	app->rng ^= app->rng << 25;
	app->rng ^= app->rng >> 27;
	return (uint32_t)((app->rng * 0x2545f4914f6cdd1dull) >> 32);
}

/* Decimal or 0x-prefixed hex (never octal: "010" is ten). */
static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	int base = 10;
	char *end;
	unsigned long v;

	if (!s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!((*s >= '0' && *s <= '9') || (base == 16 && ((*s >= 'a' && *s <= 'f') ||
							  (*s >= 'A' && *s <= 'F')))))
		return false;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static struct sim_device *find_device(struct meshsim *app, const char *name)
{
	struct sim_device *d = sim_world_find(app->world, name);

	if (!d)
		say("error: no device named %s", name);
	return d;
}

static struct host_link *find_controller(struct meshsim *app, const char *name)
{
	for (size_t i = 0; i < app->n_links; i++)
		if (strcmp(app->links[i].dev->desc.name, name) == 0)
			return &app->links[i];
	if (sim_world_find(app->world, name))
		say("error: %s is not a controller", name);
	else
		say("error: no controller named %s", name);
	return NULL;
}

static void cmd_help(void)
{
	say("ok commands: help; list; garbage CTRL N; mute CTRL on|off; hwerror CTRL [CODE]; "
	    "reopen CTRL [DELAY_MS]; off DEVICE; on DEVICE; link A B LOSS [RSSI]; unlink A B; "
	    "send DEVICE DST TTL|default HEX; input DEVICE VALUE; press DEVICE [ELEMENT] [on|off]; "
	    "state DEVICE [ELEMENT]; quit");
}

static void cmd_list(struct meshsim *app)
{
	size_t n = sim_world_device_count(app->world), size = 256 + n * 160, o;
	char *buf = malloc(size);

	if (!buf) {
		say("error: out of memory");
		return;
	}
	o = (size_t)snprintf(buf, size, "ok %zu devices:", n);
	for (size_t i = 0; i < n && o < size; i++) {
		const struct sim_device *d = sim_world_device(app->world, i);
		const struct host_link *l = NULL;
		int w;

		for (size_t j = 0; j < app->n_links; j++)
			if (app->links[j].dev == d)
				l = &app->links[j];
		if (d->desc.kind == SIM_DEVICE_CONTROLLER)
			w = snprintf(buf + o, size - o, "%s %s (controller, %s, %s)",
				     i ? "," : "", d->desc.name, d->on_air ? "on air" : "off air",
				     !l ? "no link" : l->detached ? "detached" :
				     l->is_socket ? l->path : l->slave);
		else if (d->desc.keys.provisioned)
			w = snprintf(buf + o, size - o, "%s %s (node 0x%04x, %s)", i ? "," : "",
				     d->desc.name, d->desc.keys.address,
				     d->on_air ? "on air" : "off air");
		else
			w = snprintf(buf + o, size - o, "%s %s (unprovisioned%s, %s)", i ? "," : "",
				     d->desc.name,
				     sim_device_provisioning(sim_world_device(app->world, i)) ?
				     ", provisioning" : "", d->on_air ? "on air" : "off air");
		if (w < 0)
			break;
		o += (size_t)w;
	}
	say("%s", buf);
	free(buf);
}

static void on_reopen_timer(uv_timer_t *t)
{
	struct host_link *l = t->data;
	int rc;

	if (l->app->quitting)
		return;
	l->detached = false;
	rc = open_link(l);
	if (rc) {
		/* Unsolicited, so not "error:" (that answers a command). */
		say("controller %s: cannot reopen: %s", l->dev->desc.name, mesh_strerror(rc));
		return;
	}
	print_link(l);
}

static void cmd_reopen(struct host_link *l, const char *delay_arg)
{
	unsigned long delay = REOPEN_DELAY_DEFAULT_MS;

	if (delay_arg && !parse_ulong(delay_arg, 3600000, &delay)) {
		say("error: delay %s is not a number of milliseconds", delay_arg);
		return;
	}
	if (!l->detached)
		sim_vctrl_detach(sim_vctrl_of(l->dev));
	l->detached = true;
	uv_timer_start(&l->reopen_timer, on_reopen_timer, delay, 0);
	say("ok reopening in %lu ms", delay);
}

static void cmd_send(struct meshsim *app, char **argv)
{
	struct sim_device *d = find_device(app, argv[1]);
	unsigned long dst, ttl = MESH_STACK_TTL_DEFAULT;
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	int len, rc;

	if (!d)
		return;
	if (!d->stack) {
		say("error: %s is not a provisioned node", d->desc.name);
		return;
	}
	if (!parse_ulong(argv[2], 0xffff, &dst) || dst == 0) {
		say("error: destination %s is not a 16-bit address", argv[2]);
		return;
	}
	if (strcmp(argv[3], "default") != 0 && (!parse_ulong(argv[3], 127, &ttl) || ttl == 1)) {
		say("error: TTL %s is not 0, 2..127 or default", argv[3]);
		return;
	}
	len = mesh_hex_decode(argv[4], payload, sizeof(payload));
	if (len <= 0) {
		say("error: payload is not hex of 1..%d octets", MESH_ACCESS_MAX_PAYLOAD);
		return;
	}
	rc = sim_device_send_access(d, (uint16_t)dst, (uint8_t)ttl, payload, (size_t)len);
	if (rc)
		say("error: %s", mesh_strerror(rc));
	else
		say("ok");
}

/* Input OOB: what the user types on (or the presses they give) a device. */
static void cmd_input(struct meshsim *app, char **argv)
{
	struct sim_device *d = find_device(app, argv[1]);
	int rc;

	if (!d)
		return;
	if (d->desc.kind != SIM_DEVICE_NODE || d->desc.keys.provisioned) {
		say("error: %s is not an unprovisioned node", d->desc.name);
		return;
	}
	rc = sim_device_prov_input(d, argv[2]);
	if (rc == MESH_ERR_DOWN)
		say("error: %s is not waiting for input", d->desc.name);
	else if (rc == MESH_ERR_INVAL)
		say("error: %s does not fit the input %s asked for", argv[2], d->desc.name);
	else if (rc)
		say("error: %s", mesh_strerror(rc));
	else
		say("ok");
}

/* A wall switch's rocker: press DEVICE [ELEMENT] [on|off] (default:
 * element 0, toggle). */
static void cmd_press(struct meshsim *app, int argc, char **argv)
{
	struct sim_device *d = find_device(app, argv[1]);
	unsigned long elem = 0;
	int on = -1, rc, i = 2;

	if (!d)
		return;
	if (i < argc && strcmp(argv[i], "on") != 0 && strcmp(argv[i], "off") != 0) {
		if (!parse_ulong(argv[i], 7, &elem)) {
			say("error: element %s is not 0..7", argv[i]);
			return;
		}
		i++;
	}
	if (i < argc) {
		if (strcmp(argv[i], "on") != 0 && strcmp(argv[i], "off") != 0) {
			say("error: usage: press DEVICE [ELEMENT] [on|off]");
			return;
		}
		on = strcmp(argv[i], "on") == 0;
		i++;
	}
	if (i < argc) {
		say("error: usage: press DEVICE [ELEMENT] [on|off]");
		return;
	}
	rc = sim_device_press(d, (uint8_t)elem, on);
	if (rc == MESH_ERR_NOT_FOUND)
		say("error: %s has no Generic OnOff Client on element %lu", d->desc.name, elem);
	else if (rc == MESH_ERR_DOWN)
		say("error: the OnOff Client of %s element %lu has no publication address",
		    d->desc.name, elem);
	else if (rc)
		say("error: %s", mesh_strerror(rc));
	else
		say("ok");
}

/* What a lamp looks like right now: state DEVICE [ELEMENT] (default 0). */
static void cmd_state(struct meshsim *app, int argc, char **argv)
{
	struct sim_device *d = find_device(app, argv[1]);
	unsigned long elem = 0;
	int onoff, lightness;

	if (!d)
		return;
	if (argc > 2 && !parse_ulong(argv[2], 7, &elem)) {
		say("error: element %s is not 0..7", argv[2]);
		return;
	}
	if (!d->stack) {
		say("error: %s is not a provisioned node", d->desc.name);
		return;
	}
	onoff = sim_device_light_onoff(d, (uint8_t)elem);
	lightness = sim_device_light_lightness(d, (uint8_t)elem);
	if (onoff < 0 || lightness < 0) {
		say("error: %s has no light on element %lu", d->desc.name, elem);
		return;
	}
	say("ok %s onoff %d lightness %d", d->desc.name, onoff, lightness);
}

static void cmd_link(struct meshsim *app, int argc, char **argv)
{
	struct sim_device *a, *b;
	char *end;
	double loss;
	long rssi = LINK_RSSI_DEFAULT;
	int rc;

	if (!(a = find_device(app, argv[1])) || !(b = find_device(app, argv[2])))
		return;
	if (a == b) {
		say("error: a link needs two different devices");
		return;
	}
	errno = 0;
	loss = strtod(argv[3], &end);
	if (errno || *end || !(loss >= 0.0 && loss <= 1.0)) {
		say("error: loss %s is not a probability 0..1", argv[3]);
		return;
	}
	if (argc > 4) {
		rssi = strtol(argv[4], &end, 10);
		if (*end || rssi < -127 || rssi > 20) {
			say("error: rssi %s is not -127..20 dBm", argv[4]);
			return;
		}
	}
	rc = sim_world_set_link(app->world, a, b, loss, (int8_t)rssi);
	if (rc)
		say("error: %s", mesh_strerror(rc));
	else
		say("ok");
}

static void run_command(struct meshsim *app, char *line)
{
	char *argv[ARGS_MAX + 1], *save = NULL, *tok;
	int argc = 0;
	struct host_link *l;
	struct sim_device *d;
	unsigned long v;

	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (argc == ARGS_MAX) {
			say("error: too many arguments");
			return;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (argc == 0 || argv[0][0] == '#')
		return;

#define NEED(min, max, usage)                                   \
	do {                                                    \
		if (argc < (min) || argc > (max)) {             \
			say("error: usage: %s", usage);         \
			return;                                 \
		}                                               \
	} while (0)

	if (strcmp(argv[0], "help") == 0) {
		cmd_help();
	} else if (strcmp(argv[0], "list") == 0) {
		NEED(1, 1, "list");
		cmd_list(app);
	} else if (strcmp(argv[0], "quit") == 0 || strcmp(argv[0], "exit") == 0) {
		NEED(1, 1, "quit");
		say("ok bye");
		shutdown_app(app, 0);
	} else if (strcmp(argv[0], "garbage") == 0) {
		uint8_t *bytes;

		NEED(3, 3, "garbage CTRL N");
		if (!(l = find_controller(app, argv[1])))
			return;
		if (!parse_ulong(argv[2], GARBAGE_MAX, &v) || v == 0) {
			say("error: N must be 1..%d", GARBAGE_MAX);
			return;
		}
		bytes = malloc(v);
		if (!bytes) {
			say("error: out of memory");
			return;
		}
		for (unsigned long i = 0; i < v; i++)
			bytes[i] = (uint8_t)rng_next(app);
		sim_vctrl_inject(sim_vctrl_of(l->dev), bytes, v);
		free(bytes);
		say("ok %lu bytes", v);
	} else if (strcmp(argv[0], "mute") == 0) {
		NEED(3, 3, "mute CTRL on|off");
		if (!(l = find_controller(app, argv[1])))
			return;
		if (strcmp(argv[2], "on") != 0 && strcmp(argv[2], "off") != 0) {
			say("error: usage: mute CTRL on|off");
			return;
		}
		sim_vctrl_set_mute(sim_vctrl_of(l->dev), strcmp(argv[2], "on") == 0);
		say("ok");
	} else if (strcmp(argv[0], "hwerror") == 0) {
		NEED(2, 3, "hwerror CTRL [CODE]");
		if (!(l = find_controller(app, argv[1])))
			return;
		v = 0x01;
		if (argc == 3 && !parse_ulong(argv[2], 0xff, &v)) {
			say("error: CODE must be 0..255");
			return;
		}
		sim_vctrl_hardware_error(sim_vctrl_of(l->dev), (uint8_t)v);
		say("ok");
	} else if (strcmp(argv[0], "reopen") == 0) {
		NEED(2, 3, "reopen CTRL [DELAY_MS]");
		if ((l = find_controller(app, argv[1])))
			cmd_reopen(l, argc == 3 ? argv[2] : NULL);
	} else if (strcmp(argv[0], "off") == 0 || strcmp(argv[0], "on") == 0) {
		NEED(2, 2, "off|on DEVICE");
		if (!(d = find_device(app, argv[1])))
			return;
		sim_world_set_on_air(app->world, d, argv[0][1] == 'n');
		say("ok");
	} else if (strcmp(argv[0], "link") == 0) {
		NEED(4, 5, "link A B LOSS [RSSI]");
		cmd_link(app, argc, argv);
	} else if (strcmp(argv[0], "unlink") == 0) {
		struct sim_device *b;
		int rc;

		NEED(3, 3, "unlink A B");
		if (!(d = find_device(app, argv[1])) || !(b = find_device(app, argv[2])))
			return;
		rc = sim_world_remove_link(app->world, d, b);
		if (rc)
			say("error: %s", rc == MESH_ERR_NOT_FOUND ? "no such link" : mesh_strerror(rc));
		else
			say("ok");
	} else if (strcmp(argv[0], "send") == 0) {
		NEED(5, 5, "send DEVICE DST TTL|default HEX");
		cmd_send(app, argv);
	} else if (strcmp(argv[0], "input") == 0) {
		NEED(3, 3, "input DEVICE VALUE");
		cmd_input(app, argv);
	} else if (strcmp(argv[0], "press") == 0) {
		NEED(2, 4, "press DEVICE [ELEMENT] [on|off]");
		cmd_press(app, argc, argv);
	} else if (strcmp(argv[0], "state") == 0) {
		NEED(2, 3, "state DEVICE [ELEMENT]");
		cmd_state(app, argc, argv);
	} else {
		say("error: unknown command %s (try help)", argv[0]);
	}
#undef NEED
}

/* ---- standard input ---------------------------------------------------- */

static void feed_input(struct meshsim *app, const char *data, size_t len)
{
	for (size_t i = 0; i < len && !app->quitting; i++) {
		char c = data[i];

		if (c == '\n') {
			if (app->line_overflow) {
				say("error: line too long (at most %d characters)", LINE_MAX_LEN - 1);
			} else {
				if (app->line_len && app->line[app->line_len - 1] == '\r')
					app->line_len--;
				app->line[app->line_len] = '\0';
				run_command(app, app->line);
			}
			app->line_len = 0;
			app->line_overflow = false;
		} else if (app->line_len + 1 < sizeof(app->line)) {
			app->line[app->line_len++] = c;
		} else {
			app->line_overflow = true;
		}
	}
}

static void end_of_input(struct meshsim *app)
{
	if (app->line_len && !app->line_overflow && !app->quitting) {
		app->line[app->line_len] = '\0';
		run_command(app, app->line);
		app->line_len = 0;
	}
	shutdown_app(app, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct meshsim *app = h->data;

	(void)suggested;
	buf->base = app->in_buf;
	buf->len = sizeof(app->in_buf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct meshsim *app = s->data;

	if (n > 0)
		feed_input(app, buf->base, (size_t)n);
	else if (n < 0) {
		if (n != UV_EOF)
			mesh_log_warn("meshsim", "standard input: %s", uv_strerror((int)n));
		end_of_input(app);
	}
}

static void on_file_read(uv_fs_t *req)
{
	struct meshsim *app = req->data;
	ssize_t n = req->result;
	uv_buf_t buf;

	uv_fs_req_cleanup(req);
	app->in_req_busy = false;
	if (app->quitting)
		return;
	if (n <= 0) {
		if (n < 0)
			mesh_log_warn("meshsim", "standard input: %s", uv_strerror((int)n));
		end_of_input(app);
		return;
	}
	feed_input(app, app->in_buf, (size_t)n);
	if (app->quitting)
		return;
	buf = uv_buf_init(app->in_buf, sizeof(app->in_buf));
	if (uv_fs_read(app->loop, req, 0, &buf, 1, -1, on_file_read) == 0)
		app->in_req_busy = true;
	else
		end_of_input(app);
}

static int start_input(struct meshsim *app)
{
	int rc;

	app->in_type = uv_guess_handle(0);
	switch (app->in_type) {
	case UV_TTY:
		rc = uv_tty_init(app->loop, &app->in.tty, 0, 1);
		break;
	case UV_NAMED_PIPE:
	case UV_TCP:
		rc = uv_pipe_init(app->loop, &app->in.pipe, 0);
		if (rc == 0) {
			rc = uv_pipe_open(&app->in.pipe, 0);
			if (rc)
				uv_close((uv_handle_t *)&app->in.pipe, NULL);
		}
		break;
	case UV_FILE: {
		uv_buf_t buf = uv_buf_init(app->in_buf, sizeof(app->in_buf));

		/* A regular file or /dev/null: pollers refuse those. */
		app->in_req.data = app;
		rc = uv_fs_read(app->loop, &app->in_req, 0, &buf, 1, -1, on_file_read);
		app->in_req_busy = rc == 0;
		return rc;
	}
	default:
		mesh_log_warn("meshsim", "standard input unusable: no commands");
		return 0;
	}
	if (rc)
		return rc;
	app->in.pipe.data = app;
	app->in_open = true;
	return uv_read_start((uv_stream_t *)&app->in, on_alloc, on_read);
}

/* ---- main -------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: meshsim [--seed N] [--log-level error|warn|info|debug] [--trace]\n"
		"               [--link-dir DIR] [--no-stdin] [SCENARIO.yaml]\n"
		"\n"
		"Runs a simulated Bluetooth Mesh world (the built-in stairway scenario\n"
		"without SCENARIO.yaml) and exposes its virtual HCI controllers. Prints\n"
		"one 'controller NAME: PATH' line per controller, then 'ready', and\n"
		"reads commands from standard input (type 'help'). Devices being\n"
		"provisioned print 'device ...' lines (a value they show, a request for\n"
		"input, the outcome). See docs/simulator.md.\n"
		"\n"
		"  --seed N         override the scenario's random seed\n"
		"  --log-level L    log on stderr up to level L (default info)\n"
		"  --trace          print every transmission ('air ...') and every\n"
		"                   access message a node receives ('access ...')\n"
		"  --link-dir DIR   where controllers without pty_link/socket get their\n"
		"                   symlink (default $XDG_RUNTIME_DIR/meshsim-PID or\n"
		"                   /tmp/meshsim-PID)\n"
		"  --no-stdin       ignore standard input; run until a signal\n");
}

static bool parse_level(const char *s, enum mesh_log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (size_t i = 0; i < MESH_ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum mesh_log_level)i;
			return true;
		}
	return false;
}

int main(int argc, char **argv)
{
	static struct meshsim app;
	const char *path = NULL, *link_dir = NULL;
	bool have_seed = false, no_stdin = false;
	unsigned long seed = 0;
	enum mesh_log_level level;
	static struct sim_world_observer obs;
	char err[1024];
	uv_loop_t loop;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (strcmp(a, "--seed") == 0 && more) {
			if (!parse_ulong(argv[++i], 0xffffffffu, &seed)) {
				fprintf(stderr, "meshsim: --seed %s: expected 0..4294967295\n", argv[i]);
				return EXIT_USAGE;
			}
			have_seed = true;
		} else if (strcmp(a, "--log-level") == 0 && more) {
			if (!parse_level(argv[++i], &level)) {
				fprintf(stderr, "meshsim: --log-level %s: expected error, warn, info "
					"or debug\n", argv[i]);
				return EXIT_USAGE;
			}
			mesh_log_set_level(level);
		} else if (strcmp(a, "--link-dir") == 0 && more) {
			link_dir = argv[++i];
		} else if (strcmp(a, "--trace") == 0) {
			app.trace = true;
		} else if (strcmp(a, "--no-stdin") == 0) {
			no_stdin = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "meshsim: unknown option or missing value: %s\n", a);
			usage(stderr);
			return EXIT_USAGE;
		} else if (!path) {
			path = a;
		} else {
			fprintf(stderr, "meshsim: one scenario file only (got %s and %s)\n", path, a);
			return EXIT_USAGE;
		}
	}

	rc = path ? config_scenario_load_file(path, &app.sc, err, sizeof(err)) :
		    config_scenario_load_builtin(&app.sc, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "meshsim: %s\n", err);
		sim_scenario_free(&app.sc);
		return EXIT_USAGE;
	}
	if (have_seed)
		app.sc.seed = (uint32_t)seed;
	app.rng = ((uint64_t)app.sc.seed << 32 | 0x9e3779b9u) ^ 0x5851f42d4c957f2dull;

	signal(SIGPIPE, SIG_IGN);
	rc = uv_loop_init(&loop);
	if (rc) {
		fprintf(stderr, "meshsim: event loop: %s\n", uv_strerror(rc));
		sim_scenario_free(&app.sc);
		return EXIT_RUNTIME;
	}
	app.loop = &loop;
	app.exit_code = 0;

	rc = sim_world_create(&app.world, &loop, &app.sc);
	if (rc) {
		fprintf(stderr, "meshsim: cannot build the world: %s\n", mesh_strerror(rc));
		app.world = NULL;
		app.exit_code = EXIT_RUNTIME;
		goto done;
	}
	obs.ctx = &app;
	obs.on_prov_output = prov_on_output;
	obs.on_prov_input = prov_on_input;
	obs.on_prov_done = prov_on_done;
	if (app.trace) {
		obs.on_air = trace_on_air;
		obs.on_access_rx = trace_on_access_rx;
	}
	sim_world_set_observer(app.world, &obs);
	for (size_t i = 0; i < MESH_ARRAY_SIZE(app.sig); i++) {
		static const int signums[] = { SIGINT, SIGTERM, SIGHUP };

		uv_signal_init(&loop, &app.sig[i]);
		app.sig[i].data = &app;
		uv_signal_start(&app.sig[i], on_signal, signums[i]);
	}
	/* Host links before the world starts, so it leaves them to us. */
	rc = setup_links(&app, link_dir);  /* logs what failed */
	if (rc == 0) {
		rc = sim_world_start(app.world);
		if (rc)
			fprintf(stderr, "meshsim: cannot start the world: %s\n", mesh_strerror(rc));
	}
	if (rc == 0 && !no_stdin) {
		int uvrc = start_input(&app);

		if (uvrc) {
			fprintf(stderr, "meshsim: standard input: %s\n", uv_strerror(uvrc));
			rc = MESH_ERR_IO;
		}
	}
	if (rc) {
		shutdown_app(&app, EXIT_RUNTIME);
	} else {
		for (size_t i = 0; i < app.n_links; i++)
			print_link(&app.links[i]);
		say("ready");
	}
	if (!app.quitting)
		uv_run(&loop, UV_RUN_DEFAULT);
	if (!app.quitting)
		shutdown_app(&app, app.exit_code);
done:
	if (app.world) {
		sim_world_destroy(app.world);
		app.world = NULL;
	}
	/* Let closing handles finish; a handle left open is not worth a hang. */
	for (int i = 0; i < 100 && uv_loop_alive(&loop); i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	if (uv_loop_close(&loop) == UV_EBUSY)
		mesh_log_debug("meshsim", "handles still open at exit");
	remove_files(&app);
	free(app.links);
	sim_scenario_free(&app.sc);
	return app.exit_code;
}
