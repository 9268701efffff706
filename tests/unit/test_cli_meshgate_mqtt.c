/*
 * The real `meshgate --config FILE` on MQTT: what only the program does,
 * as opposed to the library parts test_mqtt_conn and test_mqtt_gateway
 * drive in process. Its configuration file is the one path from the
 * user's YAML to the MQTT connection; its signals (SIGHUP, SIGTERM,
 * SIGKILL) are what a service manager sends it.
 *
 * One Mosquitto (broker.c) with TLS and a password, a client playing Home
 * Assistant on this process's loop (bridge/mqtt_conn.h), and meshgate
 * processes on the built-in simulator with a small scenario of two lamps
 * one hop away and no loss, so the mesh answers at once:
 *
 *  - "a": mqtts://, the CA file, MQTT 5, the password from ${ENV}; it
 *    answers Home Assistant's "online", reloads its names on SIGHUP (a bad
 *    file changes nothing) and publishes "offline" itself on SIGTERM;
 *  - "wrong": the same with a wrong password, started with "a": it must
 *    say why on stderr and keep trying, less and less often;
 *  - "b": MQTT 3.1.1 with password_file; SIGKILLed, so only the broker's
 *    Last Will can say "offline";
 *  - "data": `--data DIR --no-mqtt` for a second, with a file naming
 *    another data directory.
 *
 * The tests run in order and share the processes.
 *
 * The broker's log (log_type all) shows every packet: it is how a clean
 * DISCONNECT is told from a dropped connection, and the protocol level a
 * client connected with ("p5" MQTT 5, "p2" MQTT 3.1.1).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "bridge/mqtt_conn.h"
#include "broker.h"
#include "cli_helpers.h"
#include "uv_helpers.h"

#define PASSWORD_ENV "MESHGATE_TEST_MQTT_PASSWORD"
#define WRONG_PASSWORD "not-the-password-4711"
#define LAMP_A_UUID "5a1e0001-0000-4000-8000-000000000001"
/* Sequential serial numbers, as a maker gives them: the first 8 hex
 * digits are lamp a's. */
#define LAMP_B_UUID "5a1e0001-0000-4000-8000-000000000002"
#define START_MS 15000u
#define STOP_MS 5000u

/* The mesh: the gateway's controller and two provisioned lamps, each one
 * hop away, no loss (the demo keys of the Mesh Profile sample data). */
static const char scenario_yaml[] =
	"name: mqtt-cli\n"
	"seed: 3\n"
	"tx_delay_max_ms: 5\n"
	"default_loss: 0\n"
	"devices:\n"
	"  gateway:\n"
	"    type: controller\n"
	"  lamp-a:\n"
	"    uuid: " LAMP_A_UUID "\n"
	"    features: [relay]\n"
	"    elements:\n"
	"      - models: [generic-onoff-server, generic-level-server, light-lightness-server,\n"
	"                 light-lightness-setup-server]\n"
	"    provisioned:\n"
	"      address: 0x0010\n"
	"      net_key: 7dd7364cd842ad18c17c2b820c84c3d6\n"
	"      dev_key: 0123456789abcdef0123456789abcdef\n"
	"      app_keys: [{index: 0, key: 63964771734fbd76e3b40519d1d94a48}]\n"
	"  lamp-b:\n"
	"    uuid: " LAMP_B_UUID "\n"
	"    elements:\n"
	"      - models: [generic-onoff-server, generic-level-server, light-lightness-server,\n"
	"                 light-lightness-setup-server]\n"
	"    provisioned:\n"
	"      address: 0x0011\n"
	"      net_key: 7dd7364cd842ad18c17c2b820c84c3d6\n"
	"      dev_key: fedcba9876543210fedcba9876543210\n"
	"      app_keys: [{index: 0, key: 63964771734fbd76e3b40519d1d94a48}]\n"
	"links:\n"
	"  - between: [gateway, lamp-a]\n"
	"  - between: [gateway, lamp-b]\n";

/* Names at start: lamp b has none, so it goes by its address. */
static const char names_v1[] =
	"groups:\n"
	"  upstairs: 0xc001\n"
	"nodes:\n"
	"  " LAMP_A_UUID ":\n"
	"    name: hall/lamp a\n"
	"    groups: [upstairs]\n"
	"  " LAMP_B_UUID ":\n"
	"    groups: [upstairs]\n";

/* What SIGHUP brings: the group renamed (same address), a group added,
 * lamp b named. */
static const char names_v2[] =
	"groups:\n"
	"  downstairs: 0xc001\n"
	"  porch:\n"
	"nodes:\n"
	"  " LAMP_A_UUID ":\n"
	"    name: hall/lamp a\n"
	"    groups: [downstairs]\n"
	"  " LAMP_B_UUID ":\n"
	"    name: hall/lamp b\n"
	"    groups: [downstairs]\n";

/* A typo and a rename in one file: neither may take effect. */
static const char names_bad[] =
	"groups:\n"
	"  downstairs: 0xc001\n"
	"  porch:\n"
	"nodes:\n"
	"  " LAMP_A_UUID ":\n"
	"    name: hall/lamp a\n"
	"    colour: red\n"
	"    groups: [downstairs]\n"
	"  " LAMP_B_UUID ":\n"
	"    name: garage/lamp b\n"
	"    groups: [downstairs]\n";

struct msg {
	char *topic;
	char *payload;
	bool retained;
};

struct proc {
	const char *name;
	pid_t pid;
	int status;
	bool reaped;
	char err[128];          /* its stderr, where meshgate logs */
	char config[128];
	char data[128];
};

struct fixture {
	char dir[64];
	char scenario[128];
	struct test_broker broker;
	uv_loop_t loop;
	uv_timer_t tick;
	struct mqtt_conn *client;       /* "Home Assistant" */
	bool client_up;
	struct msg *msgs;
	size_t n_msgs, cap_msgs;
	struct proc a, wrong, b;
};

static struct fixture fx;

/* ---- files ------------------------------------------------------------------------ */

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* The file, or NULL while it does not exist (a process not started yet). */
static char *read_text(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return NULL;
	return cli_slurp(path);
}

static unsigned int count_of(const char *text, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The whole line of text holding needle (to print and to check it is one
 * line), or an empty string. */
static void line_with(const char *text, const char *needle, char *out, size_t len)
{
	const char *hit = text ? strstr(text, needle) : NULL;
	const char *start, *end;

	out[0] = '\0';
	if (!hit)
		return;
	for (start = hit; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(hit, '\n');
	if (!end)
		end = hit + strlen(hit);
	snprintf(out, len, "%.*s", (int)(end - start), start);
}

/* Some line of text holds both a and b. */
static bool line_has_both(const char *text, const char *a, const char *b)
{
	for (const char *hit = text; (hit = strstr(hit, a)); hit++) {
		const char *start = hit, *end = strchr(hit, '\n');
		const char *other;

		while (start > text && start[-1] != '\n')
			start--;
		other = strstr(start, b);
		if (other && (!end || other < end))
			return true;
	}
	return false;
}

/* A configuration for p: the test's broker over TLS, the simulator with
 * the test's scenario, no web server, names as given. */
static void write_config(struct proc *p, const char *client_id, const char *password_line,
			 const char *version, const char *names)
{
	char text[4096];
	int n;

	n = snprintf(text, sizeof(text),
		     "# written by test_cli_meshgate_mqtt\n"
		     "mqtt:\n"
		     "  server: %s\n"
		     "  client_id: %s\n"
		     "  username: %s\n"
		     "  %s\n"
		     "  ca: %s\n"
		     "  version: %s\n"
		     "bearer:\n"
		     "  type: simulator\n"
		     "  scenario: %s\n"
		     "mesh:\n"
		     "  data_dir: %s\n"
		     "web:\n"
		     "  enabled: false\n"
		     "%s",
		     fx.broker.url, client_id, fx.broker.username, password_line, fx.broker.ca_file,
		     version, fx.scenario, p->data, names);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	write_text(p->config, text);
}

/* ---- meshgate processes ----------------------------------------------------------- */

static void proc_init(struct proc *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	snprintf(p->err, sizeof(p->err), "%s/%s.err", fx.dir, name);
	snprintf(p->config, sizeof(p->config), "%s/%s.yaml", fx.dir, name);
	snprintf(p->data, sizeof(p->data), "%s/data-%s", fx.dir, name);
}

/* `meshgate --config p->config [extra...]` with env_value in PASSWORD_ENV
 * (NULL: unset), stdout and stderr in files. */
static void proc_spawn(struct proc *p, const char *env_value, const char *const extra[])
{
	char out[160];
	pid_t parent = getpid();

	snprintf(out, sizeof(out), "%s/%s.out", fx.dir, p->name);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		const char *argv[16] = { "meshgate", "--config", p->config };
		size_t n = 3;
		int fd_out = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fd_err = open(p->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		/* Never outlive a crashed test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent || fd_out < 0 || fd_err < 0 || chdir(fx.dir) != 0)
			_exit(126);
		dup2(fd_out, STDOUT_FILENO);
		dup2(fd_err, STDERR_FILENO);
		if (env_value)
			setenv(PASSWORD_ENV, env_value, 1);
		else
			unsetenv(PASSWORD_ENV);
		unsetenv("MESHGATE_DATA");
		for (size_t i = 0; extra && extra[i] && n < 15; i++)
			argv[n++] = extra[i];
		argv[n] = NULL;
		execv(MESHGATE_BIN, (char *const *)argv);
		_exit(127);
	}
	p->reaped = false;
}

static bool proc_exited(void *ctx)
{
	struct proc *p = ctx;

	if (!p->reaped && p->pid > 0 && waitpid(p->pid, &p->status, WNOHANG) == p->pid)
		p->reaped = true;
	return p->reaped;
}

static void proc_signal(struct proc *p, int sig)
{
	assert_true(p->pid > 0 && !p->reaped);
	assert_int_equal(kill(p->pid, sig), 0);
}

static void proc_kill(struct proc *p)
{
	if (p->pid > 0 && !p->reaped) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &p->status, 0);
		p->reaped = true;
	}
}

static void proc_print_log(const struct proc *p)
{
	char *log = read_text(p->err);

	fprintf(stderr, "---- meshgate '%s' stderr ----\n%s---- end ----\n", p->name,
		log ? log : "(none)\n");
	free(log);
}

struct log_wait {
	const struct proc *p;
	const char *needle;
	unsigned int count;
};

static bool log_has(void *ctx)
{
	struct log_wait *w = ctx;
	char *log = read_text(w->p->err);
	bool ok = log && count_of(log, w->needle) >= w->count;

	free(log);
	return ok;
}

/* Wait until p's stderr holds needle count times. */
static bool wait_log(const struct proc *p, const char *needle, unsigned int count,
		     unsigned int timeout_ms)
{
	struct log_wait w = { p, needle, count };

	if (test_uv_run_until(&fx.loop, log_has, &w, timeout_ms))
		return true;
	fprintf(stderr, "meshgate '%s' did not log '%s' %u time(s)\n", p->name, needle, count);
	proc_print_log(p);
	return false;
}

static char *proc_log(const struct proc *p)
{
	char *log = read_text(p->err);

	assert_non_null(log);
	return log;
}

/* No sanitizer report in p's stderr (a sanitizer build's meshgate). */
static void assert_no_sanitizer_report(const struct proc *p)
{
	char *log = proc_log(p);

	if (strstr(log, "Sanitizer") || strstr(log, "runtime error:"))
		proc_print_log(p);
	assert_null(strstr(log, "Sanitizer"));
	assert_null(strstr(log, "runtime error:"));
	free(log);
}

/* ---- the broker's log -------------------------------------------------------------- */

static size_t broker_log_len(void)
{
	char *log = test_broker_log(&fx.broker);
	size_t len = log ? strlen(log) : 0;

	free(log);
	return len;
}

struct broker_wait {
	size_t from;
	const char *needle;
};

static bool broker_log_has(void *ctx)
{
	struct broker_wait *w = ctx;
	char *log = test_broker_log(&fx.broker);
	bool ok = log && strlen(log) >= w->from && strstr(log + w->from, w->needle);

	free(log);
	return ok;
}

/* Wait until the broker logged needle after offset from. */
static bool wait_broker_log(size_t from, const char *needle, unsigned int timeout_ms)
{
	struct broker_wait w = { from, needle };

	char *log;

	if (test_uv_run_until(&fx.loop, broker_log_has, &w, timeout_ms))
		return true;
	log = test_broker_log(&fx.broker);
	fprintf(stderr, "the broker did not log '%s'; it logged:\n%s\n", needle,
		log && strlen(log) >= from ? log + from : "(nothing)");
	free(log);
	return false;
}

/* The broker's log from offset from (to free). */
static char *broker_log_since(size_t from)
{
	char *log = test_broker_log(&fx.broker);
	char *tail;

	assert_non_null(log);
	assert_true(strlen(log) >= from);
	tail = strdup(log + from);
	free(log);
	assert_non_null(tail);
	return tail;
}

/* ---- Home Assistant's side ----------------------------------------------------------- */

static void client_connected(void *ctx, bool reconnect)
{
	(void)ctx;
	(void)reconnect;
	fx.client_up = true;
	mqtt_conn_subscribe(fx.client, "#", 0);
}

static void client_disconnected(void *ctx, const char *reason, unsigned int retry_ms)
{
	(void)ctx;
	(void)retry_ms;
	fx.client_up = false;
	fprintf(stderr, "test client: %s\n", reason);
}

static void client_message(void *ctx, const char *topic, const uint8_t *payload, size_t len,
			   bool retained)
{
	struct msg *m;

	(void)ctx;
	if (fx.n_msgs == fx.cap_msgs) {
		size_t cap = fx.cap_msgs ? fx.cap_msgs * 2 : 1024;
		struct msg *grown = realloc(fx.msgs, cap * sizeof(*grown));

		if (!grown)
			return;
		fx.msgs = grown;
		fx.cap_msgs = cap;
	}
	m = &fx.msgs[fx.n_msgs++];
	m->topic = strdup(topic);
	m->payload = strndup((const char *)payload, len);
	m->retained = retained;
}

static const struct mqtt_conn_ops client_ops = {
	.connected = client_connected,
	.disconnected = client_disconnected,
	.message = client_message,
};

static void client_publish(const char *topic, const char *payload)
{
	size_t len = strlen(payload);

	assert_int_equal(mqtt_conn_publish(fx.client, topic, payload, len, 1, false), 0);
}

struct msg_wait {
	const char *topic;
	const char *a, *b;      /* both in the payload, if set; "" matches only "" */
	size_t since;
	long found;
};

static bool msg_matches(const struct msg *m, const struct msg_wait *w)
{
	if (strcmp(m->topic, w->topic) != 0)
		return false;
	if (w->a && !w->a[0])
		return m->payload[0] == '\0';
	return (!w->a || strstr(m->payload, w->a)) && (!w->b || strstr(m->payload, w->b));
}

static bool msg_arrived(void *ctx)
{
	struct msg_wait *w = ctx;

	for (size_t i = w->since; i < fx.n_msgs; i++) {
		if (msg_matches(&fx.msgs[i], w)) {
			w->found = (long)i;
			return true;
		}
	}
	return false;
}

/* The first message since on topic with a and b in its payload (index),
 * or -1 after timeout_ms. */
static long wait_msg(const char *topic, const char *a, const char *b, size_t since,
		     unsigned int timeout_ms)
{
	struct msg_wait w = { topic, a, b, since, -1 };

	if (!test_uv_run_until(&fx.loop, msg_arrived, &w, timeout_ms))
		fprintf(stderr, "no message on '%s' with '%s' and '%s'\n", topic, a ? a : "",
			b ? b : "");
	return w.found;
}

static bool got_msg(const char *topic, const char *a, const char *b, size_t since,
		    unsigned int timeout_ms)
{
	return wait_msg(topic, a, b, since, timeout_ms) >= 0;
}

/* The last message on topic since since, or NULL. */
static const struct msg *last_msg(const char *topic, size_t since)
{
	for (size_t i = fx.n_msgs; i > since; i--)
		if (strcmp(fx.msgs[i - 1].topic, topic) == 0)
			return &fx.msgs[i - 1];
	return NULL;
}

/* A discovery config since since whose payload holds a (any topic under
 * the discovery prefix and component). */
static long find_discovery(const char *component, const char *a, size_t since)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "homeassistant/%s/", component);
	for (size_t i = since; i < fx.n_msgs; i++)
		if (strncmp(fx.msgs[i].topic, prefix, strlen(prefix)) == 0 &&
		    strstr(fx.msgs[i].payload, a))
			return (long)i;
	return -1;
}

struct discovery_wait {
	const char *component, *a;
	size_t since;
};

static bool discovery_arrived(void *ctx)
{
	struct discovery_wait *w = ctx;

	return find_discovery(w->component, w->a, w->since) >= 0;
}

static bool wait_discovery(const char *component, const char *a, size_t since,
			   unsigned int timeout_ms)
{
	struct discovery_wait w = { component, a, since };

	if (test_uv_run_until(&fx.loop, discovery_arrived, &w, timeout_ms))
		return true;
	fprintf(stderr, "no %s discovery with '%s'\n", component, a);
	return false;
}

static bool client_is_up(void *ctx)
{
	(void)ctx;
	return fx.client_up;
}

/* ---- setup ---------------------------------------------------------------------------- */

static void tick(uv_timer_t *t)
{
	/* Wakes the loop so conditions on files are looked at. */
	(void)t;
}

static int setup(void **state)
{
	struct mqtt_conn_options o = { 0 };
	char err[512];

	(void)state;
	memset(&fx, 0, sizeof(fx));
	mesh_log_set_level(getenv("TEST_LOG_ECHO") ? MESH_LOG_DEBUG : MESH_LOG_ERROR);
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/meshgate-cli-mqtt-XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	snprintf(fx.scenario, sizeof(fx.scenario), "%s/scenario.yaml", fx.dir);
	write_text(fx.scenario, scenario_yaml);
	proc_init(&fx.a, "a");
	proc_init(&fx.wrong, "wrong");
	proc_init(&fx.b, "b");
	if (test_broker_start_tls(&fx.broker, true) < 0)
		return -1;
	if (uv_loop_init(&fx.loop) < 0)
		return -1;
	uv_timer_init(&fx.loop, &fx.tick);
	uv_timer_start(&fx.tick, tick, 25, 25);

	o.server = fx.broker.url;
	o.client_id = "home-assistant-test";
	o.username = fx.broker.username;
	o.password = fx.broker.password;
	o.ca_file = fx.broker.ca_file;
	o.version = 4;
	o.keepalive_s = 30;
	o.reconnect_min_ms = 100;
	o.reconnect_max_s = 1;
	if (mqtt_conn_create(&fx.client, &fx.loop, &o, &client_ops, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "test client: %s\n", err);
		return -1;
	}
	if (mqtt_conn_start(fx.client) < 0 ||
	    !test_uv_run_until(&fx.loop, client_is_up, NULL, 10000))
		return -1;
	/* Subscribed once our own message comes back. */
	client_publish("test/probe", "1");
	return wait_msg("test/probe", "1", NULL, 0, 5000) >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	proc_kill(&fx.a);
	proc_kill(&fx.wrong);
	proc_kill(&fx.b);
	if (fx.client) {
		mqtt_conn_stop(fx.client, 1000, NULL, NULL);
		test_uv_run_until(&fx.loop, NULL, NULL, 200);
		mqtt_conn_destroy(fx.client);
	}
	uv_timer_stop(&fx.tick);
	uv_close((uv_handle_t *)&fx.tick, NULL);
	test_uv_run_until(&fx.loop, NULL, NULL, 50);
	uv_loop_close(&fx.loop);
	test_broker_destroy(&fx.broker);
	for (size_t i = 0; i < fx.n_msgs; i++) {
		free(fx.msgs[i].topic);
		free(fx.msgs[i].payload);
	}
	free(fx.msgs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the tests ------------------------------------------------------------------------- */

/* mqtts://, the CA, MQTT 5 and a password from the environment, all from
 * the file: meshgate connects, says so, and is "online" (retained, with
 * its Last Will set); the password is never shown. The wrong-password
 * gateway starts alongside, for the next test. */
static void test_tls_mqtt5_password_from_env(void **state)
{
	char line[512], *log, *blog;
	size_t since;
	long i;

	(void)state;
	write_config(&fx.a, "meshgate", "password: ${" PASSWORD_ENV "}", "5", names_v1);
	write_config(&fx.wrong, "meshgate-wrong", "password: ${" PASSWORD_ENV "}", "5", names_v1);
	proc_spawn(&fx.a, fx.broker.password, NULL);
	proc_spawn(&fx.wrong, WRONG_PASSWORD, NULL);

	i = wait_msg("meshgate/bridge/state", "{\"state\":\"online\"}", NULL, 0, START_MS);
	if (i < 0)
		proc_print_log(&fx.a);
	assert_true(i >= 0);
	i = wait_msg("meshgate/bridge/info", "\"version\":\"5\"", "\"authenticated\":true", 0,
		     5000);
	assert_true(i >= 0);
	assert_non_null(strstr(fx.msgs[i].payload, "\"server\":\"mqtts://127.0.0.1:"));

	/* The broker saw MQTT 5 (protocol "p5"), the user, and a Will. */
	assert_true(wait_broker_log(0, "as meshgate (p5, ", 5000));
	blog = test_broker_log(&fx.broker);
	assert_non_null(blog);
	line_with(blog, "as meshgate (p5, ", line, sizeof(line));
	assert_non_null(strstr(line, "u'meshgate'"));
	assert_non_null(strstr(blog, "Will message specified (19 bytes) (r1, q1)"));
	free(blog);

	/* Both lamps are configured (so the mesh answers later tests). */
	assert_true(got_msg("meshgate/bridge/event", "node_configured", "0x0010", 0, START_MS));
	assert_true(got_msg("meshgate/bridge/event", "node_configured", "0x0011", 0, START_MS));

	/* Retained: a newcomer gets "online" from the broker. */
	since = fx.n_msgs;
	assert_int_equal(mqtt_conn_subscribe(fx.client, "meshgate/bridge/state", 0), 0);
	i = wait_msg("meshgate/bridge/state", "{\"state\":\"online\"}", NULL, since, 2000);
	assert_true(i >= 0);
	assert_true(fx.msgs[i].retained);

	assert_true(wait_log(&fx.a, "(MQTT 5)", 1, 1000));
	log = proc_log(&fx.a);
	assert_non_null(strstr(log, "connected to mqtts://127.0.0.1:"));
	assert_null(strstr(log, fx.broker.password));
	assert_null(strstr(log, " error "));
	free(log);
}

struct retry_line {
	unsigned int delay_ms;
	char text[512];
};

/* The "retrying in N ms" lines of a log, in order. */
static size_t retry_lines(const char *log, struct retry_line *out, size_t max)
{
	size_t n = 0;

	for (const char *line = log; n < max && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *hit;

		snprintf(out[n].text, sizeof(out[n].text), "%.*s", (int)len, line);
		hit = strstr(out[n].text, "retrying in ");
		if (hit && sscanf(hit, "retrying in %u ms", &out[n].delay_ms) == 1)
			n++;
		line += len + (end ? 1 : 0);
	}
	return n;
}

/* A wrong password: a clear line on stderr, meshgate keeps running and
 * retrying, each wait about twice the last (1 s, 2 s, 4 s, plus up to
 * half as much jitter), so it does not hammer the broker; SIGTERM while
 * it is still trying ends it at once, with status 0. */
static void test_wrong_password_retries_with_growing_delays(void **state)
{
	struct retry_line lines[8];
	uint64_t t0;
	size_t n;
	char *log, *blog;

	(void)state;
	assert_true(wait_log(&fx.wrong, "retrying in ", 3, 12000));
	log = proc_log(&fx.wrong);
	n = retry_lines(log, lines, 8);
	assert_true(n >= 3);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(strstr(lines[i].text, "warn"));
		assert_non_null(strstr(lines[i].text, "not authorised"));
		assert_non_null(strstr(lines[i].text, "user name or password"));
	}
	assert_in_range(lines[0].delay_ms, 1000, 1500);
	assert_in_range(lines[1].delay_ms, 2000, 3000);
	assert_in_range(lines[2].delay_ms, 4000, 6000);
	/* The secret is never echoed, even when it is the reason. */
	assert_null(strstr(log, WRONG_PASSWORD));
	free(log);

	/* One refused connection per logged retry (and the one in flight). */
	blog = test_broker_log(&fx.broker);
	assert_non_null(blog);
	assert_true(count_of(blog, "disconnected, not authorised") >= 3);
	assert_true(count_of(blog, "disconnected, not authorised") <= n + 1);
	free(blog);

	assert_false(proc_exited(&fx.wrong));
	t0 = uv_hrtime();
	proc_signal(&fx.wrong, SIGTERM);
	assert_true(test_uv_run_until(&fx.loop, proc_exited, &fx.wrong, STOP_MS));
	assert_true((uv_hrtime() - t0) / 1000000u < STOP_MS);
	assert_true(WIFEXITED(fx.wrong.status));
	assert_int_equal(WEXITSTATUS(fx.wrong.status), 0);
	assert_no_sanitizer_report(&fx.wrong);
}

/* Home Assistant announces itself: "online" on homeassistant/status makes
 * meshgate announce everything again; "offline" does not. The bridge's own
 * connectivity sensor is the witness: it never changes, so it is only
 * published again on purpose. */
static void test_homeassistant_online_republishes_discovery(void **state)
{
	const char *bridge_sensor = "\"state_topic\":\"meshgate/bridge/state\"";
	size_t since;

	(void)state;
	/* What the first connect published is in (a retained config). */
	assert_true(wait_discovery("binary_sensor", bridge_sensor, 0, 5000));

	since = fx.n_msgs;
	client_publish("homeassistant/status", "offline");
	test_uv_run_until(&fx.loop, NULL, NULL, 1000);
	assert_int_equal(find_discovery("binary_sensor", bridge_sensor, since), -1);

	since = fx.n_msgs;
	client_publish("homeassistant/status", "online");
	assert_true(wait_discovery("binary_sensor", bridge_sensor, since, 5000));
	assert_true(wait_discovery("light", "\"command_topic\":\"meshgate/hall/lamp a/set\"", since,
				   5000));
	assert_true(wait_discovery("light", "\"command_topic\":\"meshgate/upstairs/set\"", since,
				   5000));
	/* and the states Home Assistant forgot */
	assert_true(got_msg("meshgate/hall/lamp a/availability", "online", NULL, since, 5000));
	assert_true(wait_log(&fx.a, "Home Assistant is online", 1, 2000));
}

/* SIGHUP after the names changed: bridge/nodes and bridge/groups are
 * published again, lamp b's topics move from its address to its name (the
 * old ones cleared), the new group appears; the radio and the MQTT
 * connection stay up, and the mesh answers a command at the new name at
 * once. */
static void test_sighup_reloads_names(void **state)
{
	size_t since = fx.n_msgs;
	char *log;
	long i;

	(void)state;
	/* Before: lamp b is known by its address. */
	assert_true(got_msg("meshgate/0x0011/availability", "online", NULL, 0, 2000));

	write_config(&fx.a, "meshgate", "password: ${" PASSWORD_ENV "}", "5", names_v2);
	proc_signal(&fx.a, SIGHUP);
	assert_true(wait_log(&fx.a, "SIGHUP: names and groups reloaded", 1, 5000));

	assert_true(got_msg("meshgate/bridge/nodes", "\"name\":\"hall/lamp b\"", NULL, since,
			    5000));
	assert_true(got_msg("meshgate/bridge/groups", "\"name\":\"porch\"", NULL, since, 5000));
	/* The entity's state and availability moved; the old topics are
	 * cleared (an empty retained message), so no ghost remains. */
	assert_true(got_msg("meshgate/hall/lamp b/availability", "online", NULL, since, 5000));
	assert_true(got_msg("meshgate/hall/lamp b", "last_seen", NULL, since, 5000));
	assert_true(got_msg("meshgate/0x0011", "", NULL, since, 5000));
	assert_true(got_msg("meshgate/0x0011/availability", "", NULL, since, 5000));
	assert_true(wait_discovery("light", "\"state_topic\":\"meshgate/hall/lamp b\"", since,
				   5000));

	/* The mesh keeps working: a command right away, answered by the lamp
	 * (the state carries the brightness it reports). */
	since = fx.n_msgs;
	client_publish("meshgate/hall/lamp b/set", "{\"state\":\"ON\",\"brightness\":77}");
	i = wait_msg("meshgate/hall/lamp b", "\"brightness\":77", "\"state\":\"ON\"", since, 5000);
	assert_true(i >= 0);

	log = proc_log(&fx.a);
	/* Neither the radio nor the MQTT connection was restarted. */
	assert_int_equal(count_of(log, "controller ready"), 1);
	assert_int_equal(count_of(log, "radio ready"), 1);
	assert_int_equal(count_of(log, "connecting to mqtts://"), 1);
	free(log);
}

/*
 * A group renamed in the file, same address (`upstairs: 0xc001` becomes
 * `downstairs: 0xc001`), is renamed at SIGHUP: it keeps its address (and
 * its members' subscriptions) instead of the new name being refused as a
 * clash with the old one.
 */
static void test_sighup_renames_group(void **state)
{
	const struct msg *m;
	char *log;

	(void)state;
	m = last_msg("meshgate/bridge/groups", 0);
	assert_non_null(m);
	log = proc_log(&fx.a);
	if (strstr(log, "rename or remove that group first") || !strstr(m->payload, "downstairs") ||
	    strstr(m->payload, "\"name\":\"upstairs\"")) {
		char line[512];

		line_with(log, "rename or remove that group first", line, sizeof(line));
		free(log);
		fail_msg("group renamed in the file not renamed at SIGHUP.\n"
			 "  bridge/groups: %s\n  log: %s", m->payload, line);
	}
	free(log);
	/* The group's entity moved with it: Home Assistant's light commands
	 * the new name, and a state at the old one (if any) was cleared. */
	assert_true(wait_discovery("light", "\"command_topic\":\"meshgate/downstairs/set\"", 0,
				   2000));
	m = last_msg("meshgate/upstairs", 0);
	assert_true(!m || m->payload[0] == '\0');
}

/* A mistake in the file at SIGHUP: one error line with the file, line and
 * column; the configuration in force stays (lamp b keeps its name and
 * answers at it). */
static void test_sighup_with_an_error_keeps_the_configuration(void **state)
{
	char want[256], line[1024], *log, *text;
	unsigned int lineno = 1;
	size_t since;

	(void)state;
	write_config(&fx.a, "meshgate", "password: ${" PASSWORD_ENV "}", "5", names_bad);
	text = cli_slurp(fx.a.config);
	for (const char *p = text; p < strstr(text, "    colour:"); p++)
		lineno += *p == '\n';
	free(text);
	snprintf(want, sizeof(want), "%s:%u:5: nodes." LAMP_A_UUID ".colour: unknown key",
		 fx.a.config, lineno);

	since = fx.n_msgs;
	proc_signal(&fx.a, SIGHUP);
	assert_true(wait_log(&fx.a, want, 1, 5000));
	log = proc_log(&fx.a);
	line_with(log, want, line, sizeof(line));
	assert_non_null(strstr(line, "error"));
	assert_non_null(strstr(line, "SIGHUP"));
	assert_non_null(strstr(line, "keeping the configuration in force"));
	assert_int_equal(count_of(log, "SIGHUP: names and groups reloaded"), 1);
	free(log);

	/* Nothing of the bad file was applied. */
	client_publish("meshgate/hall/lamp b/set", "{\"state\":\"OFF\"}");
	assert_true(got_msg("meshgate/hall/lamp b", "\"state\":\"OFF\"", NULL, since, 5000));
	for (size_t i = since; i < fx.n_msgs; i++) {
		assert_null(strstr(fx.msgs[i].topic, "garage"));
		assert_null(strstr(fx.msgs[i].payload, "garage/lamp b"));
		assert_false(strcmp(fx.msgs[i].topic, "meshgate/hall/lamp b") == 0 &&
			     fx.msgs[i].payload[0] == '\0');
	}
	assert_false(proc_exited(&fx.a));
}

/* SIGTERM: meshgate publishes the retained "offline" itself and then
 * sends DISCONNECT, so the broker drops the Last Will; status 0, in a
 * few seconds. */
static void test_sigterm_publishes_offline_cleanly(void **state)
{
	size_t from = broker_log_len(), since = fx.n_msgs;
	const char *publish, *disconnect;
	char *blog, *log;
	uint64_t t0;
	long i;

	(void)state;
	t0 = uv_hrtime();
	proc_signal(&fx.a, SIGTERM);
	assert_true(test_uv_run_until(&fx.loop, proc_exited, &fx.a, STOP_MS));
	assert_true((uv_hrtime() - t0) / 1000000u < STOP_MS);
	assert_true(WIFEXITED(fx.a.status));
	assert_int_equal(WEXITSTATUS(fx.a.status), 0);
	assert_true(got_msg("meshgate/bridge/state", "{\"state\":\"offline\"}", NULL, since, 2000));

	/* Its own PUBLISH (QoS 1, retained) of the 19-byte payload, then a
	 * clean DISCONNECT; not a dropped connection. */
	assert_true(wait_broker_log(from, "Client meshgate disconnected.", 2000));
	blog = broker_log_since(from);
	publish = strstr(blog, "Received PUBLISH from meshgate (d0, q1, r1, ");
	assert_non_null(publish);
	assert_non_null(strstr(publish, "'meshgate/bridge/state', ... (19 bytes))"));
	disconnect = strstr(blog, "Received DISCONNECT from meshgate");
	assert_non_null(disconnect);
	assert_true(publish < disconnect);
	assert_null(strstr(blog, "Client meshgate closed its connection"));
	free(blog);

	/* A newcomer gets "offline" from the broker's retained copy. */
	since = fx.n_msgs;
	assert_int_equal(mqtt_conn_subscribe(fx.client, "meshgate/bridge/state", 0), 0);
	i = wait_msg("meshgate/bridge/state", "{\"state\":\"offline\"}", NULL, since, 2000);
	assert_true(i >= 0);
	assert_true(fx.msgs[i].retained);

	log = proc_log(&fx.a);
	assert_non_null(strstr(log, "SIGTERM: shutting down"));
	assert_non_null(strstr(log, "stopped after"));
	free(log);
	assert_no_sanitizer_report(&fx.a);
}

/* MQTT 3.1.1 and the password from password_file (its first line only);
 * SIGKILL: no goodbye, so the broker publishes the Last Will "offline". */
static void test_password_file_and_last_will_on_sigkill(void **state)
{
	char pwfile[128], line[160], text[128];
	size_t from = broker_log_len(), since = fx.n_msgs;
	char *blog;
	long i;

	(void)state;
	snprintf(pwfile, sizeof(pwfile), "%s/mqtt-password", fx.dir);
	snprintf(text, sizeof(text), "%s\nnot part of the password\n", fx.broker.password);
	write_text(pwfile, text);
	snprintf(line, sizeof(line), "password_file: %s", pwfile);
	write_config(&fx.b, "meshgate", line, "\"3.1.1\"", names_v1);
	proc_spawn(&fx.b, NULL, NULL);

	i = wait_msg("meshgate/bridge/state", "{\"state\":\"online\"}", NULL, since, START_MS);
	if (i < 0)
		proc_print_log(&fx.b);
	assert_true(i >= 0);
	assert_true(wait_broker_log(from, "as meshgate (p2, ", 2000));
	assert_true(got_msg("meshgate/bridge/info", "\"version\":\"3.1.1\"", NULL, since, 5000));

	assert_no_sanitizer_report(&fx.b);
	from = broker_log_len();
	since = fx.n_msgs;
	proc_signal(&fx.b, SIGKILL);
	assert_true(test_uv_run_until(&fx.loop, proc_exited, &fx.b, STOP_MS));
	assert_true(WIFSIGNALED(fx.b.status));
	assert_true(got_msg("meshgate/bridge/state", "{\"state\":\"offline\"}", NULL, since, 5000));
	/* The broker saw the connection end ("closed its connection", or a
	 * protocol error when the kill cut a TLS record), not a DISCONNECT. */
	assert_true(wait_broker_log(from, "Client meshgate ", 2000));
	blog = broker_log_since(from);
	assert_null(strstr(blog, "Received DISCONNECT from meshgate"));
	assert_null(strstr(blog, "Client meshgate disconnected."));
	/* (it may have been publishing other things when killed) */
	assert_false(line_has_both(blog, "Received PUBLISH from meshgate ",
				   "'meshgate/bridge/state'"));
	free(blog);
}

/*
 * With mesh.data_dir in the file, the log names that directory (it once
 * said "created a new network in /mesh.json": the path pointed into the
 * configuration, which the application takes over and empties).
 */
static void test_log_names_the_data_directory(void **state)
{
	char want[192], *log;

	(void)state;
	log = proc_log(&fx.a);
	snprintf(want, sizeof(want), "created a new network in %s/mesh.json", fx.a.data);
	if (!strstr(log, want)) {
		char line[512];

		line_with(log, "created a new network in", line, sizeof(line));
		free(log);
		fail_msg("the log does not name the data directory %s:\n  %s", fx.a.data, line);
	}
	snprintf(want, sizeof(want), "network 'meshgate' in %s:", fx.a.data);
	assert_non_null(strstr(log, want));
	free(log);
}

/*
 * `--data DIR` wins over the file's mesh.data_dir, as every option wins
 * over the file: two gateways started with one file and two --data
 * directories must not share one database.
 */
static void test_data_option_wins_over_the_file(void **state)
{
	struct proc p;
	char option_dir[160], path[200];
	const char *const extra[] = { "--data", option_dir, "--no-mqtt", "--exit-after", "1",
				      NULL };
	struct stat st;

	(void)state;
	proc_init(&p, "data");
	snprintf(option_dir, sizeof(option_dir), "%s/data-option", fx.dir);
	write_config(&p, "meshgate-data", "password: unused", "5", names_v1);
	proc_spawn(&p, NULL, extra);
	assert_true(test_uv_run_until(&fx.loop, proc_exited, &p, 10000));
	assert_true(WIFEXITED(p.status));
	assert_int_equal(WEXITSTATUS(p.status), 0);
	snprintf(path, sizeof(path), "%s/mesh.json", option_dir);
	if (stat(path, &st) != 0) {
		snprintf(path, sizeof(path), "%s/mesh.json", p.data);
		fail_msg("--data %s ignored; the network went to %s (%s)", option_dir,
			 p.data, stat(path, &st) == 0 ? "it is there" : "not there either");
	}
	snprintf(path, sizeof(path), "%s/mesh.json", p.data);
	assert_int_not_equal(stat(path, &st), 0);
}

/*
 * Two lamps whose UUIDs start alike (a maker's serial numbers) have
 * discovery topics of their own: a node_id made of a UUID prefix once put
 * both at one topic, each replacing the other in Home Assistant.
 */
static void test_discovery_topics_are_per_node(void **state)
{
	(void)state;
	for (size_t i = 0; i < fx.n_msgs; i++) {
		const struct msg *m = &fx.msgs[i];
		json_t *j;
		const char *uid;

		size_t tlen = strlen(m->topic);

		if (strncmp(m->topic, "homeassistant/", 14) != 0 || tlen < 7 ||
		    strcmp(m->topic + tlen - 7, "/config") != 0 || !m->payload[0])
			continue;
		j = json_loads(m->payload, 0, NULL);
		assert_non_null(j);
		uid = json_string_value(json_object_get(j, "unique_id"));
		assert_non_null(uid);
		for (size_t k = i + 1; k < fx.n_msgs; k++) {
			const struct msg *o = &fx.msgs[k];
			char want[200];

			if (strcmp(o->topic, m->topic) != 0 || !o->payload[0])
				continue;
			snprintf(want, sizeof(want), "\"unique_id\":\"%s\"", uid);
			if (!strstr(o->payload, want)) {
				char topic[MQTT_CONN_TOPIC_MAX];

				snprintf(topic, sizeof(topic), "%s", m->topic);
				json_decref(j);
				fail_msg("two entities share the discovery topic %s "
					 "(unique_id %s and another)", topic, want);
			}
		}
		json_decref(j);
	}
}

/* One run of `meshgate --no-mqtt` on p's files, for a few seconds; its log. */
static char *run_briefly(struct proc *p, const char *seconds)
{
	const char *const extra[] = { "--no-mqtt", "--exit-after", seconds, NULL };

	proc_spawn(p, NULL, extra);
	assert_true(test_uv_run_until(&fx.loop, proc_exited, p, 30000));
	assert_true(WIFEXITED(p->status));
	assert_int_equal(WEXITSTATUS(p->status), 0);
	return proc_log(p);
}

/* The in-process simulator's devices are factory-new at every start (the
 * scenario's state): a second start on the same data directory must not
 * trust a database describing the configuration they lost. The network
 * starts afresh, the old one is kept aside, and the lamps are configured
 * again (before, they stayed unconfigured and /set went unanswered). */
static void test_restart_on_the_simulator_configures_again(void **state)
{
	struct proc p;
	char path[200], *log;
	struct stat st;

	(void)state;
	proc_init(&p, "restart");
	write_config(&p, "meshgate-restart", "password: unused", "5", names_v1);
	log = run_briefly(&p, "8");
	assert_non_null(strstr(log, "node 0x0010 configured"));
	free(log);

	log = run_briefly(&p, "8");
	assert_non_null(strstr(log, "the simulated world starts afresh"));
	assert_non_null(strstr(log, "node 0x0010 configured"));
	assert_non_null(strstr(log, "node 0x0011 configured"));
	free(log);
	snprintf(path, sizeof(path), "%s/previous-simulation/mesh.json", p.data);
	assert_int_equal(stat(path, &st), 0);
	assert_no_sanitizer_report(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_mqtt5_password_from_env),
		cmocka_unit_test(test_wrong_password_retries_with_growing_delays),
		cmocka_unit_test(test_homeassistant_online_republishes_discovery),
		cmocka_unit_test(test_sighup_reloads_names),
		cmocka_unit_test(test_sighup_renames_group),
		cmocka_unit_test(test_sighup_with_an_error_keeps_the_configuration),
		cmocka_unit_test(test_sigterm_publishes_offline_cleanly),
		cmocka_unit_test(test_password_file_and_last_will_on_sigkill),
		cmocka_unit_test(test_log_names_the_data_directory),
		cmocka_unit_test(test_data_option_wins_over_the_file),
		cmocka_unit_test(test_discovery_topics_are_per_node),
		cmocka_unit_test(test_restart_on_the_simulator_configures_again),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
