/*
 * libFuzzer target for the request API (gateway/api.c): what anyone who
 * can publish to <base>/bridge/request/<method>, or call the WebSocket
 * JSON-RPC API, hands meshgate. The input is "method\0params": a method
 * name, a NUL, and the parameters as JSON text (any JSON value; text that
 * does not parse stands for no parameters; no NUL: a method alone).
 *
 * One gateway application is opened once, on a data directory holding a
 * network built in code (a lamp named and grouped by the configuration, a
 * colour lamp, a wall switch, a sensor, groups of the file and of the
 * database), over a bearer that only counts what it is given, with time
 * on mesh timers the target advances itself. For every input:
 *  - the call is answered exactly once (at once, after the mesh requests
 *    it started have timed out, or when the application closes);
 *  - an error answered at once is a non-empty sentence, and nothing is
 *    sent to the mesh for it, even after ten seconds;
 *  - every request that waits for the mesh ends: time runs on until no
 *    call waits (nothing answers, so they time out).
 * A request that changed anything (a rename, a group, a node removed and
 * the key refresh after it) makes the target close the application and
 * reopen it on the original data directory, so each input meets the same
 * network and memory cannot grow from one input to the next. ASan and
 * LSan do the rest (the build instruments everything).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config/gateway_config.h"
#include "gateway/api.h"
#include "gateway/app.h"
#include "gateway/groups.h"
#include "mesh/bearer/bearer.h"
#include "mesh/generic_msg.h"
#include "mesh/light_msg.h"
#include "mesh/log.h"
#include "mesh/sensor_msg.h"
#include "mesh/timer.h"

/* Long enough for every mesh request, retries included, and a
 * provisioning attempt's link timeout, to end. */
#define FLUSH_STEP_MS 120000u
#define FLUSH_STEPS 10
/* What a refused request is given to (not) send something. */
#define REFUSED_WAIT_MS 10000u

static const char config_yaml[] =
	"groups:\n"
	"  stairway lights: 0xc001\n"
	"  everything:\n"
	"    virtual: 2b9f5a6e-0c8d-4f14-9a53-6c1e0d7f3a21\n"
	"nodes:\n"
	"  5e000000-0000-4000-0000-000000000001:\n"
	"    name: stairs/lamp 1\n"
	"    groups: [stairway lights]\n"
	"    static_oob: 00112233445566778899aabbccddeeff\n";

struct counting_bearer {
	struct mesh_bearer b;
	size_t sent;
};

static struct {
	bool ready;
	char dir[64];
	char *cdb;                       /* the original mesh.json */
	size_t cdb_len;
	struct mesh_timers timers;
	struct counting_bearer bearer;
	struct gw_app app;
	struct gw_api api;
	uint64_t generation;             /* of the registry as opened */
} g;

/* Network PDUs only: the gateway's own secure network beacons, every
 * 10 s of the fuzzer's clock, are no request's doing. */
static int counting_send(struct mesh_bearer *b, const struct mesh_adv_tx *tx)
{
	if (mesh_adv_tx_check(tx) != 0)
		abort();
	if (tx->ad_type != MESH_AD_TYPE_BEACON)
		((struct counting_bearer *)b)->sent++;
	return 0;
}

static const struct mesh_bearer_ops counting_ops = { .send = counting_send };

static void quiet(void *ctx, enum mesh_log_level level, const char *component, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)component;
	(void)msg;
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_api_request: %s\n", what);
		abort();
	}
}

/* ---- the network, built once ------------------------------------------------------- */

static struct netdb_node *add_node(struct netdb *db, uint8_t n, uint16_t addr, uint8_t n_elements,
				   const char *name)
{
	uint8_t uuid[16] = { 0x5e }, key[16];
	struct netdb_node *node;

	uuid[6] = 0x40;
	uuid[15] = n;
	memset(key, n, sizeof(key));
	check(netdb_add_node(db, uuid, addr, n_elements, key, 0) == 0, "node not added");
	node = netdb_node_by_uuid(db, uuid);
	snprintf(node->name, sizeof(node->name), "%s", name);
	node->config_complete = true;
	return node;
}

/* SIG models on element el, each subscribed to group (0: none). */
static void add_models(struct netdb_node *node, size_t el, const uint16_t *ids, size_t n,
		       uint16_t group)
{
	struct netdb_element *e = &node->elements[el];

	e->models = calloc(n, sizeof(*e->models));
	check(e->models != NULL, "out of memory");
	e->n_models = n;
	for (size_t i = 0; i < n; i++) {
		e->models[i].id = ids[i];
		if (!group)
			continue;
		e->models[i].subscribe = calloc(1, sizeof(*e->models[i].subscribe));
		check(e->models[i].subscribe != NULL, "out of memory");
		e->models[i].subscribe[0].address = group;
		e->models[i].n_subscribe = 1;
	}
}

static void build_network(const char *data)
{
	static const uint16_t lamp[] = { MESH_MODEL_GEN_ONOFF_SRV, MESH_MODEL_GEN_LEVEL_SRV,
					 MESH_MODEL_LIGHTNESS_SRV };
	static const uint16_t ctl[] = { MESH_MODEL_GEN_ONOFF_SRV, MESH_MODEL_LIGHTNESS_SRV,
					MESH_MODEL_CTL_SRV };
	static const uint16_t ctl_temp[] = { MESH_MODEL_GEN_LEVEL_SRV, MESH_MODEL_CTL_TEMP_SRV };
	static const uint16_t hsl[] = { MESH_MODEL_GEN_ONOFF_SRV, MESH_MODEL_HSL_SRV };
	struct netdb_address api_group = { .address = 0xc002 };
	struct netdb *db = NULL;
	struct netdb_node *n;
	char err[512];

	check(netdb_create(&db, "fuzz", NULL) == 0, "no network");
	snprintf(db->dir, sizeof(db->dir), "%s", data);
	n = add_node(db, 1, 0x0100, 1, "");
	add_models(n, 0, lamp, 3, 0xc001);
	n = add_node(db, 2, 0x0110, 2, "attic");
	add_models(n, 0, ctl, 3, 0xc002);
	add_models(n, 1, ctl_temp, 2, 0);
	n = add_node(db, 3, 0x0120, 1, "");
	add_models(n, 0, (const uint16_t[]){ MESH_MODEL_GEN_ONOFF_CLI }, 1, 0);
	n = add_node(db, 4, 0x0130, 1, "sensor");
	add_models(n, 0, (const uint16_t[]){ MESH_MODEL_SENSOR_SRV }, 1, 0);
	n = add_node(db, 5, 0x0140, 1, "hue");
	add_models(n, 0, hsl, 2, 0);
	check(gw_groups_add(db, "api group", &api_group, err, sizeof(err)) == 0, err);
	check(mkdir(data, 0700) == 0, "no data directory");
	check(netdb_save(db, err, sizeof(err)) == 0, err);
	netdb_free(db);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	check(f != NULL, "mesh.json not readable");
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0) {
		rewind(f);
		buf = malloc((size_t)size);
		if (buf && fread(buf, 1, (size_t)size, f) == (size_t)size)
			*len = (size_t)size;
		else
			check(false, "mesh.json not read");
	}
	fclose(f);
	check(buf != NULL, "mesh.json empty");
	return buf;
}

/* ---- opening, and going back to the original network ----------------------------------- */

static void data_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/data/%s", g.dir, name);
}

static void open_app(void)
{
	struct gw_app_options opts = { 0 };
	struct gw_config cfg;
	char err[1024];

	check(gw_config_load_string(&cfg, config_yaml, sizeof(config_yaml) - 1, "fuzz.yaml", err,
				    sizeof(err)) == 0, err);
	snprintf(cfg.mesh.data_dir, sizeof(cfg.mesh.data_dir), "%s/data", g.dir);
	opts.bearer_desc = "fuzz";
	check(gw_app_open(&g.app, &g.timers, &g.bearer.b, &cfg, &opts, err, sizeof(err)) == 0, err);
	gw_config_free(&cfg);
	check(gw_api_init(&g.api, &g.app) == 0, "api");
	mesh_timers_advance(&g.timers, g.timers.now_ms);
	g.generation = g.app.reg.generation;
}

static void close_app(void)
{
	gw_api_close(&g.api);
	gw_app_close(&g.app);
}

/* Every file of the data directory removed, the original mesh.json back. */
static void restore_data(void)
{
	char data[128], path[400];
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(data, sizeof(data), "%s/data", g.dir);
	d = opendir(data);
	check(d != NULL, "data directory gone");
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			data_path(path, sizeof(path), de->d_name);
			unlink(path);
		}
	closedir(d);
	data_path(path, sizeof(path), NETDB_FILE);
	f = fopen(path, "wb");
	check(f && fwrite(g.cdb, 1, g.cdb_len, f) == g.cdb_len, "mesh.json not restored");
	fclose(f);
	chmod(path, 0600);
}

static void at_exit(void)
{
	char data[128];

	if (!g.ready)
		return;
	close_app();
	restore_data();
	data_path(data, sizeof(data), NETDB_FILE);
	unlink(data);
	snprintf(data, sizeof(data), "%s/data", g.dir);
	rmdir(data);
	rmdir(g.dir);
	free(g.cdb);
}

static void init(void)
{
	char data[128], path[400];

	mesh_log_set_level(MESH_LOG_ERROR);
	mesh_log_set_sink(quiet, NULL);
	/* Saves go to memory where there is a tmpfs: they sync on every change. */
	snprintf(g.dir, sizeof(g.dir), "%s/meshgate-fuzz-api-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	check(mkdtemp(g.dir) != NULL, "no temporary directory");
	snprintf(data, sizeof(data), "%s/data", g.dir);
	build_network(data);
	data_path(path, sizeof(path), NETDB_FILE);
	g.cdb = read_file(path, &g.cdb_len);
	mesh_timers_init(&g.timers, 1000);
	g.bearer.b.ops = &counting_ops;
	g.bearer.b.up = true;
	open_app();
	g.ready = true;
	atexit(at_exit);
}

/* ---- one request ---------------------------------------------------------------------- */

struct answer {
	int count;
	bool failed;
};

static void on_reply(void *ctx, const json_t *data, const char *error)
{
	struct answer *a = ctx;

	a->count++;
	a->failed = error != NULL;
	if (error) {
		/* One sentence of the error buffer's size at most. */
		check(data == NULL && error[0] && strlen(error) < 256, "error answer malformed");
	} else {
		check(data != NULL, "answer without data");
	}
}

static void advance(uint32_t ms)
{
	mesh_timers_advance(&g.timers, g.timers.now_ms + ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t method_len = nul ? (size_t)(nul - data) : size;
	struct answer a = { 0 };
	json_t *params = NULL;
	char *method;
	size_t sent;

	if (!g.ready)
		init();
	/* An exact-size copy, so ASan sees any read past the method. */
	method = malloc(method_len + 1);
	if (!method)
		return 0;
	memcpy(method, data, method_len);
	method[method_len] = '\0';
	if (nul)
		params = json_loadb((const char *)nul + 1, size - method_len - 1, JSON_DECODE_ANY,
				    NULL);

	sent = g.bearer.sent;
	gw_api_call(&g.api, method, params, on_reply, &a);
	json_decref(params);
	free(method);
	check(a.count <= 1, "answered twice");
	/* Whatever the request queued goes out now (a group command's
	 * repeats, answered before they are sent), not during the next one. */
	advance(REFUSED_WAIT_MS);
	if (a.count == 1 && a.failed) {
		check(g.api.calls == NULL, "a refused call waits");
		check(g.bearer.sent == sent, "sent to the mesh for a refused request");
	}
	for (int i = 0; i < FLUSH_STEPS && g.api.calls; i++)
		advance(FLUSH_STEP_MS);
	/* Rebuilds announced by the request happen now. */
	advance(0);
	if (g.api.calls || g.app.reg.generation != g.generation) {
		close_app();
		restore_data();
		open_app();
	}
	check(a.count == 1, "not answered");
	return 0;
}
