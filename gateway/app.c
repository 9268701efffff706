/*
 * The gateway application (app.h): the core's callbacks turned into
 * registry changes and events, the configuration's names and groups, the
 * demo bootstrap, and the JSON views.
 */
#include "gateway/app.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gateway/groups.h"
#include "gateway/log_line.h"
#include "mesh/addr.h"
#include "mesh/err.h"
#include "mesh/generic_msg.h"
#include "mesh/heartbeat.h"
#include "mesh/log.h"
#include "mesh/util.h"

#define LOG "app"
/* How often the bootstrap looks for `provision: auto` devices heard. */
#define BOOTSTRAP_POLL_MS 2000u
/* A switch repeats a Set with the same TID within this time (Mesh Model
 * 3.3.1.2.2: 6 s): one press, one action. */
#define ACTION_DEDUP_MS 6000u
/* A key refresh starts this long after a removal (the core drops the
 * node first), and tries again this often while another one runs. */
#define KR_DELAY_MS 200u
#define KR_RETRY_MS 5000u

#define CHANGED_NODES (1u << GW_EVENT_NODES)
#define CHANGED_GROUPS (1u << GW_EVENT_GROUPS)
#define CHANGED_INFO (1u << GW_EVENT_INFO)
#define CHANGED_ENTITIES (1u << GW_EVENT_ENTITIES)
#define CHANGED_ALL (CHANGED_NODES | CHANGED_GROUPS | CHANGED_INFO | CHANGED_ENTITIES)

static uint64_t app_now(const struct gw_app *app)
{
	return mesh_timers_now(app->timers);
}

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void uuid_str(const uint8_t uuid[16], char out[37])
{
	char hex[33];

	hex_of(uuid, 16, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static void addr_str(uint16_t a, char out[7])
{
	snprintf(out, 7, "0x%04x", a);
}

static json_t *json_addr(uint16_t a)
{
	char s[7];

	addr_str(a, s);
	return json_string(s);
}

static json_t *json_uuid(const uint8_t uuid[16])
{
	char s[37];

	uuid_str(uuid, s);
	return json_string(s);
}

static void iso_time(uint64_t wall_ms, char out[32])
{
	time_t t = (time_t)(wall_ms / 1000u);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- changes: rebuild the registry once, then tell everyone ------------------ */

static void app_rebuild(struct gw_app *app)
{
	if (gw_registry_rebuild(&app->reg, app->core.db, &app->cfg, app->core.cache) < 0)
		mesh_log_error(LOG, "out of memory rebuilding the node registry");
}

static void app_changed(struct gw_app *app, uint32_t kinds)
{
	if (app->closing)
		return;
	app->changed_kinds |= kinds;
	if (!mesh_timer_armed(&app->changed_timer))
		mesh_timer_start(app->timers, &app->changed_timer, 0);
}

static void app_changed_fire(struct mesh_timer *t)
{
	struct gw_app *app = MESH_CONTAINER_OF(t, struct gw_app, changed_timer);
	uint32_t kinds = app->changed_kinds;

	app->changed_kinds = 0;
	app_rebuild(app);
	for (unsigned int k = 0; k < 32; k++)
		if (kinds & (1u << k))
			gw_events_simple(&app->events, (enum gw_event_kind)k);
}

/* ---- the database at first start ------------------------------------------------ */

static bool file_exists(const char *dir, const char *name)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* The demo network: the scenario's NetKey and AppKey, and its provisioned
 * nodes (relays, the garden light) with their device keys, so meshgate
 * can configure and control them like nodes it provisioned itself. */
static int demo_seed(struct netdb *db, const struct sim_scenario *sc)
{
	const struct sim_keys_desc *first = NULL;
	int rc;

	for (size_t i = 0; i < sc->n_devices && !first; i++)
		if (sc->devices[i].kind == SIM_DEVICE_NODE && sc->devices[i].keys.provisioned &&
		    sc->devices[i].keys.net_idx == 0 && sc->devices[i].keys.n_app_keys)
			first = &sc->devices[i].keys;
	if (!first || !db->n_net_keys || !db->n_app_keys)
		return 0;
	memcpy(db->net_keys[0].key, first->net_key, 16);
	memcpy(db->app_keys[0].key, first->app_keys[0].key, 16);
	for (size_t i = 0; i < sc->n_devices; i++) {
		const struct sim_device_desc *d = &sc->devices[i];

		if (d->kind != SIM_DEVICE_NODE || !d->keys.provisioned ||
		    memcmp(d->keys.net_key, first->net_key, 16) != 0)
			continue;
		rc = netdb_add_node(db, d->uuid, d->keys.address, d->n_elements, d->keys.dev_key,
				    d->keys.net_idx);
		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

/* A new network with the configured unicast range (and the demo's keys). */
static int app_create_network(const char *dir, const struct gw_config *cfg,
			      const struct sim_scenario *demo, char *err, size_t errlen)
{
	struct netdb_range range = { cfg->mesh.unicast_low, cfg->mesh.unicast_high };
	struct netdb *db = NULL;
	int rc;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create the data directory: %s", dir,
			 strerror(errno));
		return -errno;
	}
	rc = netdb_create(&db, "meshgate", range.low ? &range : NULL);
	if (rc) {
		snprintf(err, errlen, "cannot create the network: %s", strerror(-rc));
		return rc;
	}
	snprintf(db->dir, sizeof(db->dir), "%s", dir);
	if (demo) {
		rc = demo_seed(db, demo);
		if (rc)
			snprintf(err, errlen, "demo network: %s", strerror(-rc));
	}
	if (rc == 0)
		rc = netdb_save(db, err, errlen);
	netdb_free(db);
	return rc;
}

/*
 * The in-process simulator builds its world afresh from the scenario at
 * every start: the devices meshgate provisioned and configured last time
 * are factory-new again, and its relays start their sequence numbers
 * anew. A network database kept from last time would describe nodes that
 * no longer exist (and drop their messages as replays), so the network
 * starts afresh too; the old files are kept aside, not deleted.
 */
/* A damaged database is not set aside quietly: opening it says what is
 * wrong, as for any other bearer. */
static bool database_readable(const char *dir)
{
	struct netdb *db = NULL;
	char why[256];

	if (netdb_open(&db, dir, why, sizeof(why)) < 0)
		return false;
	netdb_free(db);
	return true;
}

static int set_aside_simulated_network(const char *dir, char *err, size_t errlen)
{
	static const char *const files[] = { NETDB_FILE, NETDB_STATE_FILE, LIVENESS_FILE };
	char aside[4200], from[4200], to[4300];

	snprintf(aside, sizeof(aside), "%s/previous-simulation", dir);
	if (mkdir(aside, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", aside, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(from, sizeof(from), "%s/%s", dir, files[i]);
		snprintf(to, sizeof(to), "%s/%s", aside, files[i]);
		if (rename(from, to) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot move %s to %s: %s", from, aside, strerror(errno));
			return -errno;
		}
	}
	mesh_log_info(LOG, "the simulated world starts afresh, so does its network: the previous "
		      "one is kept in %s", aside);
	return 0;
}

/* ---- the configuration's part in configuring nodes ------------------------------ */

static bool group_address(struct gw_app *app, const char *name, struct netdb_address *out)
{
	struct netdb_group *g = gw_groups_find_name(app->core.db, name);

	if (!g)
		return false;
	*out = g->address;
	return true;
}

static void app_plan(void *ctx, uint16_t node, struct gw_config_plan *plan)
{
	struct gw_app *app = ctx;
	struct netdb_node *n = netdb_node_by_address(app->core.db, node);
	const struct gw_config_node *conf = n ? gw_config_node_find(&app->cfg, n->uuid, n->unicast)
					      : NULL;

	/* Every node, named in the file or not. */
	plan->default_ttl = app->cfg.mesh.default_ttl;
	plan->has_net_transmit = app->cfg.mesh.has_network_transmit;
	plan->net_transmit_count = app->cfg.mesh.network_transmit_count;
	plan->net_transmit_interval_ms = app->cfg.mesh.network_transmit_interval_ms;
	if (!conf)
		return;
	for (size_t i = 0; i < conf->n_groups && plan->n_subscribe < GW_PLAN_SUBSCRIBE_MAX; i++)
		if (group_address(app, conf->groups[i], &plan->subscribe[plan->n_subscribe]))
			plan->n_subscribe++;
	for (size_t e = 0; e < conf->n_elements && e < GW_PLAN_ELEMENTS_MAX; e++)
		if (conf->elements[e].publish[0] &&
		    group_address(app, conf->elements[e].publish, &plan->publish[e]))
			plan->has_publish[e] = true;
}

/* What the file asks of node: its groups, its switches' targets and the
 * node settings, on the core's plan (so a publication is compared with
 * the retransmission a run would set) without meshgate's own status and
 * heartbeat destinations, which are no wish of the file. */
static void file_wishes(struct gw_app *app, uint16_t node, struct gw_config_plan *plan)
{
	gw_core_default_plan(&app->core, plan);
	plan->status_dst = MESH_ADDR_UNASSIGNED;
	plan->hb_dst = MESH_ADDR_UNASSIGNED;
	app_plan(app, node, plan);
}

/* A configuration run (queued behind any other) for what the file asks
 * of node, logged with why. */
static void configure_for_file(struct gw_app *app, uint16_t node, const char *why)
{
	int rc;

	mesh_log_info(LOG, "node 0x%04x: %s: configuring it", node, why);
	rc = gw_core_configure(&app->core, node, NULL);
	if (rc)
		mesh_log_warn(LOG, "node 0x%04x not configured: %s", node, mesh_strerror(rc));
}

static size_t app_static_oob(void *ctx, const uint8_t uuid[16], uint8_t out[32])
{
	struct gw_app *app = ctx;
	const struct gw_config_node *conf = gw_config_node_find(&app->cfg, uuid, 0);

	if (!conf || !conf->by_uuid || !conf->static_oob_len)
		return 0;
	memcpy(out, conf->static_oob, conf->static_oob_len);
	return conf->static_oob_len;
}

/* ---- provisioning ----------------------------------------------------------------- */

json_t *gw_oob_info_names(uint16_t oob_info)
{
	/* Mesh Protocol 3.9.2 (OOB Information); bits 9 and 10 are RFU. */
	static const char *const names[16] = {
		"other", "uri", "2d_code", "bar_code", "nfc", "number", "string",
		"certificate", "records", NULL, NULL, "on_box", "inside_box", "on_paper",
		"inside_manual", "on_device",
	};
	json_t *a = json_array();

	for (unsigned int i = 0; i < 16; i++)
		if ((oob_info & (1u << i)) && names[i])
			json_array_append_new(a, json_string(names[i]));
	return a;
}

static const char *oob_method_name(uint8_t method)
{
	switch (method) {
	case MESH_PROV_AUTH_STATIC:
		return "static";
	case MESH_PROV_AUTH_OUTPUT:
		return "output";
	case MESH_PROV_AUTH_INPUT:
		return "input";
	default:
		return "none";
	}
}

static const char *oob_action_name(uint8_t method, uint8_t action)
{
	return method == MESH_PROV_AUTH_OUTPUT ? mesh_prov_output_action_name(action)
					       : mesh_prov_input_action_name(action);
}

/* Names of the set bits of a capability bit field. */
static json_t *action_names_json(uint16_t bits, const char *(*name)(uint8_t))
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < 16; i++)
		if (bits & (1u << i))
			json_array_append_new(a, json_string(name((uint8_t)i)));
	return a;
}

static json_t *oob_json(uint8_t size, uint16_t actions, const char *(*name)(uint8_t))
{
	if (!size)
		return json_null();
	return json_pack("{s:i,s:o}", "size", (int)size, "actions",
			 action_names_json(actions, name));
}

static const char *alg_name(uint8_t alg)
{
	return mesh_prov_alg_name(alg);
}

/* What the device can do (Provisioning Capabilities) and what meshgate
 * chose (Provisioning Start), for a wizard to show. */
static void prov_capabilities_json(json_t *d, const struct mesh_prov_caps *caps,
				   const struct mesh_prov_start *start)
{
	json_object_set_new(d, "elements", json_integer(caps->n_elements));
	json_object_set_new(d, "algorithms", action_names_json(caps->algorithms, alg_name));
	json_object_set_new(d, "public_key_oob",
			    json_boolean(caps->pub_key_type & MESH_PROV_PUBKEY_OOB_AVAILABLE));
	json_object_set_new(d, "static_oob",
			    json_boolean(caps->static_oob_type & MESH_PROV_STATIC_OOB_AVAILABLE));
	json_object_set_new(d, "oob_required", json_boolean(caps->static_oob_type &
							    MESH_PROV_STATIC_OOB_AUTH_REQUIRED));
	json_object_set_new(d, "output_oob", oob_json(caps->output_size, caps->output_actions,
						      mesh_prov_output_action_name));
	json_object_set_new(d, "input_oob", oob_json(caps->input_size, caps->input_actions,
						     mesh_prov_input_action_name));
	json_object_set_new(d, "method", json_string(oob_method_name(start->auth_method)));
	json_object_set_new(d, "algorithm", json_string(mesh_prov_alg_name(start->algorithm)));
	json_object_set_new(d, "public_key", json_string(start->public_key ? "oob" : "in-band"));
	if (start->auth_method == MESH_PROV_AUTH_OUTPUT ||
	    start->auth_method == MESH_PROV_AUTH_INPUT) {
		json_object_set_new(d, "action", json_string(oob_action_name(start->auth_method,
									      start->auth_action)));
		json_object_set_new(d, "size", json_integer(start->auth_size));
	}
}

static json_t *prov_session_json(const struct gw_app *app, const struct mesh_prov_event *ev)
{
	json_t *d = json_object();
	const struct gw_config_node *conf = gw_config_node_find(&app->cfg, ev->uuid, 0);

	json_object_set_new(d, "uuid", json_uuid(ev->uuid));
	if (conf && conf->by_uuid && conf->name[0])
		json_object_set_new(d, "name", json_string(conf->name));
	switch (ev->type) {
	case MESH_PROV_EV_CAPABILITIES:
		prov_capabilities_json(d, &ev->capabilities.caps, &ev->capabilities.start);
		break;
	case MESH_PROV_EV_OOB_NEEDED:
	case MESH_PROV_EV_OOB_SHOW:
		json_object_set_new(d, "method", json_string(oob_method_name(ev->oob.method)));
		json_object_set_new(d, "action", json_integer(ev->oob.action));
		if (ev->oob.method == MESH_PROV_AUTH_OUTPUT ||
		    ev->oob.method == MESH_PROV_AUTH_INPUT)
			json_object_set_new(d, "action_name",
					    json_string(oob_action_name(ev->oob.method,
									ev->oob.action)));
		json_object_set_new(d, "size", json_integer(ev->oob.size));
		json_object_set_new(d, "alphanumeric", json_boolean(ev->oob.alphanumeric));
		if (ev->type == MESH_PROV_EV_OOB_SHOW)
			json_object_set_new(d, "value", json_string(ev->oob.value));
		break;
	case MESH_PROV_EV_COMPLETE:
		json_object_set_new(d, "address", json_addr(ev->complete.address));
		json_object_set_new(d, "elements", json_integer(ev->complete.n_elements));
		break;
	case MESH_PROV_EV_FAILED:
		json_object_set_new(d, "error", json_string(ev->failed.message));
		break;
	default:
		break;
	}
	return d;
}

static const char *prov_event_type(enum mesh_prov_event_type t)
{
	switch (t) {
	case MESH_PROV_EV_STARTED:
		return GW_EV_PROV_STARTED;
	case MESH_PROV_EV_CAPABILITIES:
		return "provisioning_capabilities";
	case MESH_PROV_EV_OOB_NEEDED:
		return GW_EV_PROV_OOB_REQUIRED;
	case MESH_PROV_EV_OOB_SHOW:
		return GW_EV_PROV_OOB_SHOW;
	case MESH_PROV_EV_COMPLETE:
		return GW_EV_PROV_COMPLETE;
	default:
		return GW_EV_PROV_FAILED;
	}
}

static void bootstrap_done(struct gw_app *app, const uint8_t uuid[16])
{
	for (size_t i = 0; i < app->n_bootstrap; i++) {
		if (memcmp(app->bootstrap[i], uuid, 16) != 0)
			continue;
		memmove(app->bootstrap[i], app->bootstrap[i + 1],
			(app->n_bootstrap - i - 1) * sizeof(app->bootstrap[0]));
		app->n_bootstrap--;
		return;
	}
}

static void app_on_prov_event(void *ctx, const struct gw_prov_event *ev)
{
	struct gw_app *app = ctx;
	json_t *d;

	if (ev->type == GW_PROV_EV_DISCOVERED) {
		const struct gw_config_node *conf = gw_config_node_find(&app->cfg, ev->device->uuid, 0);

		d = json_object();
		json_object_set_new(d, "uuid", json_uuid(ev->device->uuid));
		json_object_set_new(d, "rssi", json_integer(ev->device->rssi));
		json_object_set_new(d, "oob_info", json_integer(ev->device->oob_info));
		json_object_set_new(d, "oob_info_names", gw_oob_info_names(ev->device->oob_info));
		if (ev->device->has_uri_hash) {
			char hex[2 * MESH_URI_HASH_LEN + 1];

			hex_of(ev->device->uri_hash, MESH_URI_HASH_LEN, hex);
			json_object_set_new(d, "uri_hash", json_string(hex));
		}
		if (conf && conf->by_uuid && conf->name[0])
			json_object_set_new(d, "name", json_string(conf->name));
		gw_events_bridge(&app->events, GW_EV_DEVICE_DISCOVERED, d);
		json_decref(d);
		return;
	}
	if (ev->type == GW_PROV_EV_SCAN_CLOSED) {
		gw_events_bridge(&app->events, GW_EV_SCAN_CLOSED, NULL);
		return;
	}
	d = prov_session_json(app, ev->session);
	gw_events_bridge(&app->events, prov_event_type(ev->session->type), d);
	json_decref(d);
	if (ev->session->type == MESH_PROV_EV_COMPLETE) {
		bootstrap_done(app, ev->session->uuid);
		app_changed(app, CHANGED_ALL);
	}
}

/* Demo bootstrap: provision the `provision: auto` devices one at a time,
 * whenever one of them has been heard and no session runs. */
static void bootstrap_fire(struct mesh_timer *t)
{
	struct gw_app *app = MESH_CONTAINER_OF(t, struct gw_app, bootstrap_timer);
	const struct mesh_prov_scan *scan = gw_prov_discovered(app->core.prov);
	struct gw_prov_params p;
	char err[200];

	if (!app->n_bootstrap)
		return;
	mesh_timer_start(app->timers, &app->bootstrap_timer, BOOTSTRAP_POLL_MS);
	if (gw_prov_busy(app->core.prov) || !scan)
		return;
	for (size_t i = 0; i < app->n_bootstrap; i++) {
		if (netdb_node_by_uuid(app->core.db, app->bootstrap[i])) {
			bootstrap_done(app, app->bootstrap[i]);
			return;
		}
		if (!mesh_prov_scan_find(scan, app->bootstrap[i]))
			continue;
		memset(&p, 0, sizeof(p));
		memcpy(p.uuid, app->bootstrap[i], 16);
		p.method = MESH_PROV_METHOD_AUTO;
		if (gw_prov_start(app->core.prov, &p, err, sizeof(err)) == 0)
			mesh_log_info(LOG, "provisioning a device the configuration marks "
				      "'provision: auto'");
		else
			mesh_log_warn(LOG, "auto provisioning not started: %s", err);
		return;
	}
}

static int bootstrap_init(struct gw_app *app)
{
	size_t n = 0;

	for (size_t i = 0; i < app->cfg.n_nodes; i++)
		n += app->cfg.nodes[i].provision_auto && app->cfg.nodes[i].by_uuid;
	if (!n)
		return 0;
	app->bootstrap = calloc(n, sizeof(app->bootstrap[0]));
	if (!app->bootstrap)
		return -ENOMEM;
	for (size_t i = 0; i < app->cfg.n_nodes; i++) {
		const struct gw_config_node *c = &app->cfg.nodes[i];

		if (c->provision_auto && c->by_uuid && !netdb_node_by_uuid(app->core.db, c->uuid))
			memcpy(app->bootstrap[app->n_bootstrap++], c->uuid, 16);
	}
	return 0;
}

/* ---- what the core reports --------------------------------------------------------- */

static void app_on_configure(void *ctx, const struct gw_configure_report *r)
{
	struct gw_app *app = ctx;
	const struct gw_reg_node *rn = gw_registry_node(&app->reg, r->node);
	json_t *d;

	/* Canceled is shutdown (or a removal), not a failure to report. */
	if (r->outcome != GW_CONFIGURE_OK && r->outcome != GW_CONFIGURE_FAILED)
		return;
	d = json_object();
	json_object_set_new(d, "address", json_addr(r->node));
	if (rn)
		json_object_set_new(d, "name", json_string(rn->name));
	if (r->outcome == GW_CONFIGURE_OK) {
		json_object_set_new(d, "requests", json_integer(r->requests));
		gw_events_bridge(&app->events, GW_EV_NODE_CONFIGURED, d);
	} else {
		json_object_set_new(d, "step", json_string(gw_configure_step_name(r->step)));
		json_object_set_new(d, "error", json_string(r->why));
		gw_events_bridge(&app->events, GW_EV_NODE_CONFIGURE_FAILED, d);
	}
	json_decref(d);
	app_changed(app, CHANGED_ALL);
}

static void app_emit_state(struct gw_app *app, const struct gw_entity *e)
{
	json_t *state = gw_app_entity_state(app, e);
	struct gw_event ev = { .kind = GW_EVENT_STATE, .entity = e, .data = state };

	if (!state)
		return;
	gw_events_emit(&app->events, &ev);
	json_decref(state);
}

static bool entity_has_sensor(const struct gw_entity *e, uint16_t prop)
{
	for (size_t i = 0; i < e->n_sensors; i++)
		if (e->sensors[i] == prop)
			return true;
	return false;
}

/* When an element last reported a CTL state (CTL or CTL Temperature
 * Status), on the timer clock: 0 never. */
static uint64_t ctl_time(const struct gw_app *app, uint16_t addr)
{
	for (size_t i = 0; i < app->n_ctl_times; i++)
		if (app->ctl_times[i].addr == addr)
			return app->ctl_times[i].at_ms;
	return 0;
}

static void note_ctl_time(struct gw_app *app, uint16_t addr)
{
	uint64_t now = app_now(app) + 1;   /* never 0 */
	struct gw_app_ctl_time *grown;

	for (size_t i = 0; i < app->n_ctl_times; i++)
		if (app->ctl_times[i].addr == addr) {
			app->ctl_times[i].at_ms = now;
			return;
		}
	grown = realloc(app->ctl_times, (app->n_ctl_times + 1) * sizeof(*grown));
	if (!grown)
		return;   /* the light's own CTL state is shown, as without this */
	app->ctl_times = grown;
	app->ctl_times[app->n_ctl_times].addr = addr;
	app->ctl_times[app->n_ctl_times++].at_ms = now;
}

/* The CTL light whose temperature element addr is, or NULL. */
static const struct gw_entity *light_of_temperature_element(const struct gw_app *app,
							    uint16_t addr)
{
	const struct netdb_node *n = netdb_node_by_address(app->core.db, addr);
	const struct gw_entity *light;

	if (!n || addr == n->unicast ||
	    !gw_entity_ctl_temperature_element(n, (size_t)(addr - n->unicast - 1)))
		return NULL;
	light = gw_registry_entity_by_addr(&app->reg, (uint16_t)(addr - 1));
	return light && light->kind == GW_ENTITY_ELEMENT && (light->caps & GW_CAP_CTL) ? light
											: NULL;
}

const struct gw_elem_state *gw_app_element_state(const struct gw_app *app,
						 const struct gw_entity *e,
						 struct gw_elem_state *buf)
{
	const struct gw_elem_state *st = gw_state_cache_get(app->core.cache, e->addr);
	const struct gw_elem_state *temp;
	uint16_t next = (uint16_t)(e->addr + 1);

	if (e->kind != GW_ENTITY_ELEMENT || !(e->caps & GW_CAP_CTL) || !st ||
	    light_of_temperature_element(app, next) != e)
		return st;
	temp = gw_state_cache_get(app->core.cache, next);
	if (!temp)
		return st;
	*buf = *st;
	gw_entity_merge_temperature(buf, ctl_time(app, e->addr), temp, ctl_time(app, next));
	return buf;
}

/* An element's state changed: it and the groups it is in. */
static void emit_element(struct gw_app *app, const struct gw_entity *e)
{
	app_emit_state(app, e);
	for (size_t i = 0; i < app->reg.n_entities; i++) {
		const struct gw_entity *g = &app->reg.entities[i];

		if (g->kind != GW_ENTITY_GROUP)
			continue;
		for (size_t m = 0; m < g->n_members; m++)
			if (g->members[m] == e->addr) {
				app_emit_state(app, g);
				break;
			}
	}
}

static void app_on_state(void *ctx, const struct gw_elem_state *st, uint32_t kinds)
{
	struct gw_app *app = ctx;
	const struct gw_entity *e = gw_registry_entity_by_addr(&app->reg, st->addr);
	const struct gw_entity *light;

	if (kinds & GW_STATE_CTL) {
		note_ctl_time(app, st->addr);
		/* A temperature element's news are its light's. */
		light = light_of_temperature_element(app, st->addr);
		if (light)
			emit_element(app, light);
	}
	if (!e || e->kind != GW_ENTITY_ELEMENT)
		return;
	/* A sensor property seen for the first time needs its discovery. */
	if (kinds & GW_STATE_SENSOR)
		for (size_t i = 0; i < st->n_sensors; i++)
			if (!entity_has_sensor(e, st->sensors[i].prop))
				app_changed(app, CHANGED_ENTITIES);
	emit_element(app, e);
}

json_t *gw_app_heartbeat_json(const struct liveness_node *n)
{
	char ts[32];
	json_t *d = json_object();

	iso_time(n->last_heartbeat_wall_ms, ts);
	json_object_set_new(d, "src", json_addr(n->addr));
	json_object_set_new(d, "hops", json_integer(n->hops));
	json_object_set_new(d, "min_hops", json_integer(n->min_hops));
	json_object_set_new(d, "max_hops", json_integer(n->max_hops));
	json_object_set_new(d, "init_ttl", json_integer(n->init_ttl));
	json_object_set_new(d, "rx_ttl", json_integer(n->rx_ttl));
	json_object_set_new(d, "features", json_integer(n->features));
	json_object_set_new(d, "count", json_integer((json_int_t)n->count));
	json_object_set_new(d, "rssi", n->rssi == MESH_RSSI_UNKNOWN ? json_null()
								   : json_integer(n->rssi));
	json_object_set_new(d, "timestamp", json_string(ts));
	return d;
}

static void app_on_liveness(void *ctx, const struct liveness_event *lev)
{
	struct gw_app *app = ctx;
	const struct gw_reg_node *rn = gw_registry_node(&app->reg, lev->node->addr);
	struct gw_event ev = { .node = lev->node->addr };
	json_t *d;

	switch (lev->type) {
	case LIVENESS_EV_ONLINE:
	case LIVENESS_EV_OFFLINE:
		ev.kind = GW_EVENT_AVAILABILITY;
		ev.online = lev->type == LIVENESS_EV_ONLINE;
		gw_events_emit(&app->events, &ev);
		d = json_object();
		json_object_set_new(d, "address", json_addr(lev->node->addr));
		if (rn)
			json_object_set_new(d, "name", json_string(rn->name));
		gw_events_bridge(&app->events, ev.online ? GW_EV_NODE_ONLINE : GW_EV_NODE_OFFLINE, d);
		json_decref(d);
		break;
	case LIVENESS_EV_HEARTBEAT:
		d = gw_app_heartbeat_json(lev->node);
		ev.kind = GW_EVENT_HEARTBEAT;
		ev.data = d;
		gw_events_emit(&app->events, &ev);
		json_decref(d);
		break;
	default:
		app_changed(app, CHANGED_NODES);
		break;
	}
}

static void app_on_cfg_status(void *ctx, uint16_t src, const struct mesh_cfg_msg *st)
{
	struct gw_app *app = ctx;

	(void)src;
	switch (st->opcode) {
	case MESH_OP_CFG_COMP_DATA_STATUS:
	case MESH_OP_CFG_MODEL_SUB_STATUS:
	case MESH_OP_CFG_MODEL_PUB_STATUS:
	case MESH_OP_CFG_NODE_RESET_STATUS:
		app_changed(app, CHANGED_ALL);
		break;
	default:
		break;
	}
}

/* A wall switch's OnOff Set: an action for automations (once per press,
 * however often the switch repeats it). */
static bool action_repeated(struct gw_app *app, uint16_t src, uint8_t tid)
{
	uint64_t now = app_now(app);
	size_t oldest = 0;

	for (size_t i = 0; i < MESH_ARRAY_SIZE(app->last_action); i++) {
		if (app->last_action[i].src == src) {
			bool same = app->last_action[i].tid == tid &&
				    now - app->last_action[i].at_ms < ACTION_DEDUP_MS;

			app->last_action[i].tid = tid;
			app->last_action[i].at_ms = now;
			return same;
		}
		if (app->last_action[i].at_ms < app->last_action[oldest].at_ms)
			oldest = i;
	}
	app->last_action[oldest].src = src;
	app->last_action[oldest].tid = tid;
	app->last_action[oldest].at_ms = now;
	return false;
}

static void app_on_access(void *ctx, const struct mesh_access_msg *msg)
{
	struct gw_app *app = ctx;
	const struct gw_entity *e;
	struct mesh_model_msg m;
	struct gw_event ev = { .kind = GW_EVENT_ACTION };

	if (msg->opcode != MESH_OP_GEN_ONOFF_SET && msg->opcode != MESH_OP_GEN_ONOFF_SET_UNACK)
		return;
	e = gw_registry_entity_by_addr(&app->reg, msg->src);
	if (!e || e->kind != GW_ENTITY_ELEMENT || !(e->caps & GW_CAP_SWITCH))
		return;
	if (mesh_model_layout_decode(mesh_generic_layout(msg->opcode), msg->params,
				     msg->params_len, &m) < 0 ||
	    action_repeated(app, msg->src, m.tid))
		return;
	ev.entity = e;
	ev.node = e->node_addr;
	ev.type = m.onoff ? "on" : "off";
	gw_events_emit(&app->events, &ev);
}

/* Key refresh progress on the event stream. */
static void app_on_key_refresh(void *ctx, const struct gw_key_refresh_report *r)
{
	struct gw_app *app = ctx;
	json_t *d = json_object();

	json_object_set_new(d, "event", json_string(gw_key_refresh_event_name(r->event)));
	json_object_set_new(d, "phase", json_integer(r->phase));
	if (r->node)
		json_object_set_new(d, "node", json_addr(r->node));
	if (r->why[0])
		json_object_set_new(d, "message", json_string(r->why));
	gw_events_bridge(&app->events, "key_refresh", d);
	json_decref(d);
}

static void kr_fire(struct mesh_timer *t)
{
	struct gw_app *app = MESH_CONTAINER_OF(t, struct gw_app, kr_timer);
	int rc;

	if (!app->core.db->n_net_keys)
		return;
	rc = gw_core_key_refresh(&app->core, app->core.db->net_keys[0].index);
	if (rc == -EBUSY)
		mesh_timer_start(app->timers, &app->kr_timer, KR_RETRY_MS);
	else if (rc)
		mesh_log_error(LOG, "key refresh not started: %s", strerror(-rc));
}

void gw_app_key_refresh_soon(struct gw_app *app)
{
	if (!app->closing)
		mesh_timer_start(app->timers, &app->kr_timer, KR_DELAY_MS);
}

/* The API announced the removal when the node answered; the database
 * only drops it afterwards, so the views are rebuilt from here. */
static void app_on_node_removed(void *ctx, uint16_t primary)
{
	(void)primary;
	app_changed(ctx, CHANGED_ALL);
}

static const struct gw_core_ops app_core_ops = {
	.prov_event = app_on_prov_event,
	.configure = app_on_configure,
	.state = app_on_state,
	.liveness = app_on_liveness,
	.cfg_status = app_on_cfg_status,
	.access = app_on_access,
	.plan = app_plan,
	.static_oob = app_static_oob,
	.key_refresh = app_on_key_refresh,
	.node_removed = app_on_node_removed,
};

/* ---- lifetime ------------------------------------------------------------------------ */

static void app_core_config(const struct gw_app *app, const struct gw_app_options *opts,
			    struct gw_core_config *cc)
{
	if (opts->core_set)
		*cc = opts->core;
	else
		gw_core_config_default(cc);
	cc->hb_group = app->cfg.mesh.heartbeat_group;
	cc->hb_period_s = app->cfg.mesh.heartbeat_period_s;
	cc->liveness_factor = app->cfg.mesh.liveness_factor;
	cc->auto_configure = true;
}

static void app_sync_groups(struct gw_app *app)
{
	char err[1024];
	int rc = gw_groups_sync(app->core.db, &app->cfg, app->core.cfg.hb_group, err, sizeof(err));

	if (err[0])
		mesh_log_error(LOG, "%s", err);
	if (rc > 0 && netdb_save(app->core.db, err, sizeof(err)) < 0)
		mesh_log_error(LOG, "network database not saved: %s", err);
}

int gw_app_open(struct gw_app *app, struct mesh_timers *timers, struct mesh_bearer *bearer,
		struct gw_config *cfg, const struct gw_app_options *opts, char *err,
		size_t errlen)
{
	struct gw_core_config cc;
	const char *dir;
	int rc;

	memset(app, 0, sizeof(*app));
	app->timers = timers;
	app->loop_thread = pthread_self();
	gw_events_init(&app->events);
	gw_registry_init(&app->reg);
	mesh_timer_init(&app->bootstrap_timer, bootstrap_fire);
	mesh_timer_init(&app->changed_timer, app_changed_fire);
	mesh_timer_init(&app->kr_timer, kr_fire);
	app->cfg = *cfg;
	gw_config_init(cfg);
	snprintf(app->bearer_desc, sizeof(app->bearer_desc), "%s",
		 opts->bearer_desc ? opts->bearer_desc : "");
	/* The caller's (a --data option, already weighed against the file)
	 * wins; the file's otherwise. */
	dir = opts->data_dir && opts->data_dir[0] ? opts->data_dir : app->cfg.mesh.data_dir;
	if (opts->demo_scenario && file_exists(dir, NETDB_FILE) && database_readable(dir)) {
		rc = set_aside_simulated_network(dir, err, errlen);
		if (rc)
			goto fail;
	}
	app->new_network = !file_exists(dir, NETDB_FILE);
	if (app->new_network) {
		rc = app_create_network(dir, &app->cfg, opts->demo_scenario, err, errlen);
		if (rc)
			goto fail;
	}
	app_core_config(app, opts, &cc);
	rc = gw_core_open(&app->core, timers, bearer, dir, &cc, &app_core_ops, app, err, errlen);
	if (rc)
		goto fail;
	app->core_open = true;
	app_sync_groups(app);
	app_rebuild(app);
	if (app->new_network && bootstrap_init(app) < 0) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	gw_app_close(app);
	return rc;
}

/* Configured nodes whose groups, switch targets or settings changed in
 * the file while meshgate was stopped: configured again (what they no
 * longer have in the file is not known here; SIGHUP takes that away). */
static void nodes_catch_up_with_file(struct gw_app *app)
{
	struct netdb *db = app->core.db;
	struct gw_config_plan wishes;

	for (size_t i = 0; i < db->n_nodes; i++) {
		const struct netdb_node *n = &db->nodes[i];

		if (!n->config_complete || n->excluded || memcmp(n->uuid, db->self_uuid, 16) == 0)
			continue;
		file_wishes(app, n->unicast, &wishes);
		if (gw_configure_wishes_met(app->core.configure, n->unicast, &wishes))
			continue;
		configure_for_file(app, n->unicast,
				   "not yet in the groups, with the targets or settings the file asks for");
	}
}

void gw_app_start(struct gw_app *app)
{
	gw_core_configure_pending(&app->core);
	nodes_catch_up_with_file(app);
	if (app->n_bootstrap)
		mesh_timer_start(app->timers, &app->bootstrap_timer, BOOTSTRAP_POLL_MS);
}

void gw_app_close(struct gw_app *app)
{
	app->closing = true;
	mesh_timer_stop(app->timers, &app->bootstrap_timer);
	mesh_timer_stop(app->timers, &app->changed_timer);
	mesh_timer_stop(app->timers, &app->kr_timer);
	if (app->core_open)
		gw_core_close(&app->core);
	app->core_open = false;
	gw_registry_free(&app->reg);
	gw_config_free(&app->cfg);
	free(app->bootstrap);
	app->bootstrap = NULL;
	app->n_bootstrap = 0;
	free(app->ctl_times);
	app->ctl_times = NULL;
	app->n_ctl_times = 0;
}

void gw_app_bearer_rx(struct gw_app *app, const struct mesh_adv_rx *rx)
{
	/* A radio still running after gw_app_close() may deliver more. */
	if (app->core_open)
		gw_core_bearer_rx(&app->core, rx);
}

/* ---- reload: nodes follow the file's groups -------------------------------------------- */

static bool address_equal(const struct netdb_address *a, const struct netdb_address *b)
{
	return a->is_label == b->is_label && a->address == b->address &&
	       (!a->is_label || memcmp(a->label, b->label, 16) == 0);
}

static bool wishes_subscribe(const struct gw_config_plan *p, const struct netdb_address *a)
{
	for (size_t i = 0; i < p->n_subscribe; i++)
		if (address_equal(&p->subscribe[i], a))
			return true;
	return false;
}

/* A group joined, a target or a node setting changed: what a
 * configuration run adds. */
static bool wishes_grew(const struct gw_config_plan *before, const struct gw_config_plan *now)
{
	if ((now->default_ttl && now->default_ttl != before->default_ttl) ||
	    (now->has_net_transmit &&
	     (!before->has_net_transmit || now->net_transmit_count != before->net_transmit_count ||
	      now->net_transmit_interval_ms != before->net_transmit_interval_ms)))
		return true;
	for (size_t i = 0; i < now->n_subscribe; i++)
		if (!wishes_subscribe(before, &now->subscribe[i]))
			return true;
	for (size_t e = 0; e < GW_PLAN_ELEMENTS_MAX; e++)
		if (now->has_publish[e] &&
		    (!before->has_publish[e] || !address_equal(&before->publish[e], &now->publish[e])))
			return true;
	return false;
}

static void left_group(void *ctx, enum mesh_acked_event ev, uint16_t src,
		       const struct mesh_cfg_msg *status)
{
	struct gw_app *app = ctx;

	if (ev == MESH_ACKED_STATUS && status->model_sub.status == MESH_CFG_SUCCESS) {
		app_changed(app, CHANGED_ALL);  /* the core applied it: members changed */
	} else if (ev == MESH_ACKED_STATUS) {
		mesh_log_warn(LOG, "node 0x%04x kept group 0x%04x the file no longer gives it: %s",
			      src, status->model_sub.addr,
			      mesh_cfg_status_str(status->model_sub.status));
	} else if (ev == MESH_ACKED_TIMEOUT || ev == MESH_ACKED_FAILED) {
		mesh_log_warn(LOG, "node 0x%04x did not answer: it may still follow a group the "
			      "file no longer gives it (group/members/remove takes it out)", src);
	}
}

static void node_leaves_groups(struct gw_app *app, const struct netdb_node *n,
			       const struct gw_config_plan *before, const struct gw_config_plan *now)
{
	for (size_t i = 0; i < before->n_subscribe; i++) {
		if (wishes_subscribe(now, &before->subscribe[i]))
			continue;
		mesh_log_info(LOG, "node 0x%04x leaves group 0x%04x, as the file now says", n->unicast,
			      before->subscribe[i].address);
		for (uint16_t el = 0; el < n->n_elements; el++)
			gw_core_subscription_send(&app->core, (uint16_t)(n->unicast + el),
						  &before->subscribe[i], false, left_group, app, NULL);
	}
}

static void stopped_publishing(void *ctx, enum mesh_acked_event ev, uint16_t src,
			       const struct mesh_cfg_msg *status)
{
	struct gw_app *app = ctx;

	if (ev == MESH_ACKED_STATUS && status->model_pub.status == MESH_CFG_SUCCESS) {
		app_changed(app, CHANGED_ALL);
	} else if (ev == MESH_ACKED_STATUS) {
		mesh_log_warn(LOG, "node 0x%04x still publishes where the file no longer says: %s",
			      src, mesh_cfg_status_str(status->model_pub.status));
	} else if (ev == MESH_ACKED_TIMEOUT || ev == MESH_ACKED_FAILED) {
		mesh_log_warn(LOG, "node 0x%04x did not answer: its switch may still publish where "
			      "the file no longer says", src);
	}
}

/* Switch elements whose `publish` the file dropped stop publishing there;
 * one whose target changed is the configuration run's to move. */
static void node_stops_publishing(struct gw_app *app, const struct netdb_node *n,
				  const struct gw_config_plan *before,
				  const struct gw_config_plan *now)
{
	for (size_t e = 0; e < GW_PLAN_ELEMENTS_MAX && e < n->n_elements; e++) {
		if (!before->has_publish[e] || now->has_publish[e])
			continue;
		if (gw_core_publication_clear(&app->core, (uint16_t)(n->unicast + e),
					      &before->publish[e], stopped_publishing, app))
			mesh_log_info(LOG, "element 0x%04x stops publishing to 0x%04x, as the file "
				      "now says", n->unicast + (unsigned int)e,
				      before->publish[e].address);
	}
}

/*
 * The nodes whose groups or switch targets changed in the file follow it:
 * a configuration run (queued behind any other) adds what is new, their
 * lighting servers leave the groups the file no longer gives them, and
 * their switches stop publishing to targets the file dropped.
 * before[i] is what the old file wished of db->nodes[i].
 */
static void nodes_follow_file(struct gw_app *app, const struct gw_config_plan *before, size_t n)
{
	struct netdb *db = app->core.db;
	struct gw_config_plan now;

	for (size_t i = 0; i < n && i < db->n_nodes; i++) {
		const struct netdb_node *node = &db->nodes[i];

		if (node->excluded || memcmp(node->uuid, db->self_uuid, 16) == 0)
			continue;
		file_wishes(app, node->unicast, &now);
		if (wishes_grew(&before[i], &now))
			configure_for_file(app, node->unicast,
					   "new groups, targets or settings in the file");
		node_leaves_groups(app, node, &before[i], &now);
		node_stops_publishing(app, node, &before[i], &now);
	}
}

int gw_app_reload(struct gw_app *app, struct gw_config *cfg, char *err, size_t errlen)
{
	size_t n = app->core.db->n_nodes;
	struct gw_config_plan *before = calloc(n ? n : 1, sizeof(*before));

	if (!before) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		file_wishes(app, app->core.db->nodes[i].unicast, &before[i]);
	if (gw_groups_follow_renames(app->core.db, &app->cfg, cfg) > 0)
		gw_app_save(app);
	gw_config_free(&app->cfg);
	app->cfg = *cfg;
	gw_config_init(cfg);
	app_sync_groups(app);
	nodes_follow_file(app, before, n);
	free(before);
	app_changed(app, CHANGED_ALL);
	return 0;
}

void gw_app_changed(struct gw_app *app)
{
	app_changed(app, CHANGED_ALL);
}

int gw_app_save(struct gw_app *app)
{
	char err[512];
	int rc = netdb_save(app->core.db, err, sizeof(err));

	if (rc < 0)
		mesh_log_error(LOG, "network database not saved: %s", err);
	return rc;
}

/* ---- log lines ------------------------------------------------------------------------- */

void gw_app_log_line(struct gw_app *app, enum mesh_log_level level, const char *module,
		     const char *message)
{
	struct gw_event ev = { .kind = GW_EVENT_LOG };
	json_t *d;

	if (app->in_log_line || !pthread_equal(pthread_self(), app->loop_thread))
		return;
	app->in_log_line = true;
	ev.type = mesh_log_level_name(level);
	d = gw_log_line_json(level, module, message);
	if (d) {
		ev.data = d;
		gw_events_emit(&app->events, &ev);
		json_decref(d);
	}
	app->in_log_line = false;
}

/* ---- views ----------------------------------------------------------------------------- */

const char *gw_app_mesh_id(const struct gw_app *app, char out[9])
{
	hex_of(app->core.db->mesh_uuid, 4, out);
	return out;
}

json_t *gw_app_info_json(const struct gw_app *app)
{
	const struct gw_config *c = &app->cfg;
	json_t *info = json_object(), *net = json_object(), *conf = json_object();
	json_t *mqtt = json_object(), *ha = json_object(), *mesh = json_object();
	char id[9];

	json_object_set_new(info, "version", json_string(MESHGATE_VERSION));
	json_object_set_new(net, "mesh_uuid", json_uuid(app->core.db->mesh_uuid));
	json_object_set_new(net, "id", json_string(gw_app_mesh_id(app, id)));
	json_object_set_new(net, "iv_index", json_integer(app->core.node.state.iv_index));
	json_object_set_new(net, "iv_update", json_boolean(app->core.node.state.iv_update));
	json_object_set_new(net, "nodes", json_integer((json_int_t)app->core.db->n_nodes - 1));
	json_object_set_new(net, "groups", json_integer((json_int_t)app->core.db->n_groups));
	json_object_set_new(net, "address", json_addr(gw_node_address(&app->core.node)));
	json_object_set_new(info, "network", net);
	json_object_set_new(info, "bearer", json_string(app->bearer_desc));
	/* The configuration without secrets: no passwords, no OOB values. */
	json_object_set_new(conf, "file", json_string(c->file[0] ? c->file : "builtin:demo.yaml"));
	json_object_set_new(mqtt, "server", json_string(c->mqtt.server));
	json_object_set_new(mqtt, "base_topic", json_string(c->mqtt.base_topic));
	json_object_set_new(mqtt, "client_id", json_string(c->mqtt.client_id));
	json_object_set_new(mqtt, "version", json_string(c->mqtt.version == 5 ? "5" : "3.1.1"));
	json_object_set_new(mqtt, "keepalive", json_integer(c->mqtt.keepalive_s));
	json_object_set_new(mqtt, "authenticated", json_boolean(c->mqtt.username[0] != '\0'));
	json_object_set_new(conf, "mqtt", mqtt);
	json_object_set_new(ha, "enabled", json_boolean(c->homeassistant.enabled));
	json_object_set_new(ha, "discovery_prefix", json_string(c->homeassistant.discovery_prefix));
	json_object_set_new(ha, "status_topic", json_string(c->homeassistant.status_topic));
	json_object_set_new(conf, "homeassistant", ha);
	json_object_set_new(mesh, "heartbeat_group", json_addr(app->core.cfg.hb_group));
	json_object_set_new(mesh, "heartbeat_period", json_integer(c->mesh.heartbeat_period_s));
	json_object_set_new(mesh, "liveness_factor", json_integer(c->mesh.liveness_factor));
	json_object_set_new(conf, "mesh", mesh);
	json_object_set_new(info, "config", conf);
	return info;
}

static json_t *models_json(const struct netdb_element *el)
{
	json_t *a = json_array();

	for (size_t m = 0; m < el->n_models; m++) {
		char s[12];

		if (el->models[m].vendor)
			snprintf(s, sizeof(s), "%08x", el->models[m].id);
		else
			snprintf(s, sizeof(s), "%04x", el->models[m].id);
		json_array_append_new(a, json_string(s));
	}
	return a;
}

static const char *feature_name(enum netdb_feature f)
{
	static const char *const names[] = { "off", "on", "unsupported", "unknown" };

	return f <= NETDB_FEATURE_UNKNOWN ? names[f] : "unknown";
}

static json_t *node_json(const struct gw_app *app, const struct gw_reg_node *rn,
			 const struct netdb_node *n)
{
	const struct liveness_node *ln = liveness_find(app->core.liveness, n->unicast);
	json_t *o = json_object(), *els = json_array(), *feat = json_object();
	char ts[32];

	json_object_set_new(o, "name", json_string(rn->name));
	json_object_set_new(o, "address", json_addr(n->unicast));
	json_object_set_new(o, "uuid", json_uuid(n->uuid));
	json_object_set_new(o, "gateway", json_boolean(rn->is_self));
	json_object_set_new(o, "configured", json_boolean(n->config_complete));
	if (n->has_ids) {
		json_object_set_new(o, "cid", json_integer(n->cid));
		json_object_set_new(o, "pid", json_integer(n->pid));
		json_object_set_new(o, "vid", json_integer(n->vid));
	}
	json_object_set_new(feat, "relay", json_string(feature_name(n->relay)));
	json_object_set_new(feat, "proxy", json_string(feature_name(n->proxy)));
	json_object_set_new(feat, "friend", json_string(feature_name(n->friend_)));
	json_object_set_new(feat, "low_power", json_string(feature_name(n->low_power)));
	json_object_set_new(o, "features", feat);
	for (size_t e = 0; e < n->n_elements; e++) {
		json_t *el = json_object();
		const struct gw_entity *ent =
			gw_registry_entity_by_addr(&app->reg, (uint16_t)(n->unicast + e));

		json_object_set_new(el, "index", json_integer((json_int_t)e));
		json_object_set_new(el, "address", json_addr((uint16_t)(n->unicast + e)));
		if (ent && ent->kind == GW_ENTITY_ELEMENT)
			json_object_set_new(el, "name", json_string(ent->name));
		json_object_set_new(el, "models", models_json(&n->elements[e]));
		json_array_append_new(els, el);
	}
	json_object_set_new(o, "elements", els);
	if (!rn->is_self) {
		json_object_set_new(o, "availability",
				    json_string(gw_app_node_online(app, n->unicast) ? "online"
										    : "offline"));
		if (ln && ln->last_seen_wall_ms) {
			iso_time(ln->last_seen_wall_ms, ts);
			json_object_set_new(o, "last_seen", json_string(ts));
		}
		if (ln && ln->count)
			json_object_set_new(o, "heartbeat", gw_app_heartbeat_json(ln));
	}
	return o;
}

/* ---- node detail (node/info) ----------------------------------------------------- */

/* "0x1000" for a SIG model, "0x05f1:0x0001" (company:model) for a vendor one. */
static json_t *model_id_json(const struct netdb_model *m)
{
	char s[16];

	if (m->vendor)
		snprintf(s, sizeof(s), "0x%04x:0x%04x", m->id >> 16, m->id & 0xffffu);
	else
		snprintf(s, sizeof(s), "0x%04x", m->id & 0xffffu);
	return json_string(s);
}

static const struct netdb_group *group_of_address(const struct netdb *db,
						  const struct netdb_address *a)
{
	for (size_t i = 0; i < db->n_groups; i++) {
		const struct netdb_address *g = &db->groups[i].address;

		if (g->is_label ? a->is_label && memcmp(g->label, a->label, 16) == 0
				: !a->is_label && g->address == a->address)
			return &db->groups[i];
	}
	return NULL;
}

/* An address with what users call it: a group's name, an element's or a
 * node's name, and a virtual address's Label UUID. */
static json_t *named_address_json(const struct gw_app *app, const struct netdb_address *a)
{
	const struct netdb_group *g = group_of_address(app->core.db, a);
	const struct gw_entity *e = NULL;
	const struct gw_reg_node *rn = NULL;
	json_t *o = json_object();

	json_object_set_new(o, "address", json_addr(a->address));
	if (a->is_label)
		json_object_set_new(o, "label", json_uuid(a->label));
	if (!g && !a->is_label && mesh_addr_is_unicast(a->address)) {
		e = gw_registry_entity_by_addr(&app->reg, a->address);
		rn = gw_registry_node_of(&app->reg, a->address);
	}
	if (g)
		json_object_set_new(o, "name", json_string(g->name));
	else if (e && e->kind == GW_ENTITY_ELEMENT)
		json_object_set_new(o, "name", json_string(e->name));
	else if (rn)
		json_object_set_new(o, "name", json_string(rn->name));
	return o;
}

static json_t *transmit_json(const struct netdb_transmit *t)
{
	if (!t->present)
		return json_null();
	return json_pack("{s:i,s:i}", "count", (int)t->count, "interval_ms", (int)t->interval_ms);
}

static json_t *publish_json(const struct gw_app *app, const struct netdb_publish *p)
{
	json_t *o = named_address_json(app, &p->address);

	json_object_set_new(o, "app_key_index", json_integer(p->app_idx));
	json_object_set_new(o, "ttl", json_integer(p->ttl));
	json_object_set_new(o, "period_ms",
			    json_integer((json_int_t)p->period_steps * p->period_resolution_ms));
	json_object_set_new(o, "retransmit",
			    json_pack("{s:i,s:i}", "count", (int)p->retransmit_count,
				      "interval_ms", (int)p->retransmit_interval_ms));
	json_object_set_new(o, "credentials",
			    json_string(p->credentials ? "friendship" : "master"));
	return o;
}

static json_t *model_detail_json(const struct gw_app *app, const struct netdb_model *m)
{
	const char *name = m->vendor ? NULL : gw_model_name((uint16_t)m->id);
	json_t *o = json_object(), *bind = json_array(), *subs = json_array();

	json_object_set_new(o, "id", model_id_json(m));
	json_object_set_new(o, "vendor", json_boolean(m->vendor));
	json_object_set_new(o, "name", name ? json_string(name) : json_null());
	for (size_t i = 0; i < m->n_bind; i++)
		json_array_append_new(bind, json_integer(m->bind[i]));
	json_object_set_new(o, "app_keys", bind);
	json_object_set_new(o, "publish", m->has_publish ? publish_json(app, &m->publish)
							 : json_null());
	for (size_t i = 0; i < m->n_subscribe; i++)
		json_array_append_new(subs, named_address_json(app, &m->subscribe[i]));
	json_object_set_new(o, "subscribe", subs);
	return o;
}

static json_t *element_detail_json(const struct gw_app *app, const struct netdb_node *n,
				   size_t idx)
{
	const struct netdb_element *el = &n->elements[idx];
	uint16_t addr = (uint16_t)(n->unicast + idx);
	const struct gw_entity *ent = gw_registry_entity_by_addr(&app->reg, addr);
	json_t *o = json_object(), *models = json_array();
	char loc[8];

	json_object_set_new(o, "index", json_integer((json_int_t)idx));
	json_object_set_new(o, "address", json_addr(addr));
	if (ent && ent->kind == GW_ENTITY_ELEMENT)
		json_object_set_new(o, "name", json_string(ent->name));
	else if (el->name[0])
		json_object_set_new(o, "name", json_string(el->name));
	snprintf(loc, sizeof(loc), "0x%04x", el->location);
	json_object_set_new(o, "location", json_string(loc));
	for (size_t m = 0; m < el->n_models; m++)
		json_array_append_new(models, model_detail_json(app, &el->models[m]));
	json_object_set_new(o, "models", models);
	return o;
}

/* What the Composition Data, the feature Gets and the heartbeats told:
 * supported and enabled, null while unknown. A feature the composition
 * lists is supported even while its state is unknown. */
static json_t *feature_detail_json(enum netdb_feature f, bool composition_read)
{
	if (f == NETDB_FEATURE_ON || f == NETDB_FEATURE_OFF)
		return json_pack("{s:b,s:b}", "supported", 1, "enabled", f == NETDB_FEATURE_ON);
	if (f == NETDB_FEATURE_UNSUPPORTED)
		return json_pack("{s:b,s:b}", "supported", 0, "enabled", 0);
	if (composition_read)
		return json_pack("{s:b,s:n}", "supported", 1, "enabled");
	return json_pack("{s:n,s:n}", "supported", "enabled");
}

static json_t *feature_bits_json(uint16_t bits)
{
	static const char *const names[] = { "relay", "proxy", "friend", "low_power" };
	json_t *a = json_array();

	for (unsigned int i = 0; i < MESH_ARRAY_SIZE(names); i++)
		if (bits & (1u << i))
			json_array_append_new(a, json_string(names[i]));
	return a;
}

static json_t *heartbeat_settings_json(const struct netdb_node *n)
{
	const struct netdb_heartbeat_pub *hp = &n->heartbeat_pub;
	json_t *o = json_object(), *pub = json_null(), *subs = json_array();

	if (hp->present)
		pub = json_pack("{s:o,s:i,s:i,s:i,s:o}", "destination", json_addr(hp->address),
				"period_s", (int)hp->period_s, "ttl", (int)hp->ttl,
				"net_key_index", (int)hp->net_idx, "features",
				feature_bits_json(hp->features));
	json_object_set_new(o, "publication", pub);
	for (size_t i = 0; i < n->n_heartbeat_sub; i++)
		json_array_append_new(subs, json_pack("{s:o,s:o}", "source",
						      json_addr(n->heartbeat_sub[i].source),
						      "destination",
						      json_addr(n->heartbeat_sub[i].destination)));
	json_object_set_new(o, "subscription", subs);
	return o;
}

/* Indexes and key refresh progress, never the keys. */
static void keys_detail(const struct gw_app *app, const struct netdb_node *n, json_t *o)
{
	json_t *nets = json_array(), *apps = json_array();
	unsigned int phase = 0;

	for (size_t i = 0; i < n->n_net_keys; i++) {
		const struct netdb_net_key *nk = netdb_net_key(app->core.db, n->net_keys[i].index);
		unsigned int p = nk ? nk->phase : 0;

		if (p > phase)
			phase = p;
		json_array_append_new(nets, json_pack("{s:i,s:b,s:i}", "index",
						      (int)n->net_keys[i].index, "updated",
						      n->net_keys[i].updated, "phase", (int)p));
	}
	for (size_t i = 0; i < n->n_app_keys; i++)
		json_array_append_new(apps, json_pack("{s:i,s:b}", "index",
						      (int)n->app_keys[i].index, "updated",
						      n->app_keys[i].updated));
	json_object_set_new(o, "net_keys", nets);
	json_object_set_new(o, "app_keys", apps);
	json_object_set_new(o, "key_refresh_phase", json_integer(phase));
}

/* Health Fault Status the node's elements sent, as the state cache keeps it. */
static json_t *health_detail_json(const struct gw_app *app, const struct netdb_node *n)
{
	json_t *a = json_array();

	for (size_t e = 0; e < n->n_elements; e++) {
		const struct gw_elem_state *st =
			gw_state_cache_get(app->core.cache, (uint16_t)(n->unicast + e));
		json_t *o, *faults;
		char name[48], company[8];

		if (!st || !(st->known & GW_STATE_HEALTH))
			continue;
		faults = json_array();
		for (size_t f = 0; f < st->n_faults && f < GW_STATE_FAULTS_MAX; f++) {
			uint8_t code = st->faults[f];

			gw_health_fault_name(code, name, sizeof(name));
			json_array_append_new(faults, json_pack("{s:i,s:s}", "code", (int)code,
								"name", name));
		}
		snprintf(company, sizeof(company), "0x%04x", st->health_company);
		o = json_pack("{s:o,s:i,s:s,s:o}", "element", json_addr(st->addr), "test_id",
			      (int)st->health_test_id, "company_id", company, "faults", faults);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *liveness_detail_json(const struct gw_app *app, const struct netdb_node *n)
{
	const struct liveness_node *ln = liveness_find(app->core.liveness, n->unicast);
	json_t *o = json_object();
	char ts[32];

	json_object_set_new(o, "state", json_string(ln ? liveness_state_name(ln->state)
						       : liveness_state_name(LIVENESS_UNKNOWN)));
	json_object_set_new(o, "online", json_boolean(gw_app_node_online(app, n->unicast)));
	json_object_set_new(o, "heartbeat_period_s", ln && ln->period_ms
						     ? json_integer(ln->period_ms / 1000u)
						     : json_null());
	if (ln && ln->last_seen_wall_ms) {
		iso_time(ln->last_seen_wall_ms, ts);
		json_object_set_new(o, "last_seen", json_string(ts));
	} else {
		json_object_set_new(o, "last_seen", json_null());
	}
	json_object_set_new(o, "heartbeat", ln && ln->count ? gw_app_heartbeat_json(ln)
							    : json_null());
	return o;
}

json_t *gw_app_node_info_json(const struct gw_app *app, const struct gw_reg_node *rn)
{
	const struct netdb_node *n = netdb_node_by_address(app->core.db, rn->addr);
	json_t *o, *feat, *els;

	if (!n)
		return NULL;
	o = json_object();
	feat = json_object();
	els = json_array();
	json_object_set_new(o, "name", json_string(rn->name));
	json_object_set_new(o, "address", json_addr(n->unicast));
	json_object_set_new(o, "uuid", json_uuid(n->uuid));
	json_object_set_new(o, "gateway", json_boolean(rn->is_self));
	json_object_set_new(o, "configured", json_boolean(n->config_complete));
	json_object_set_new(o, "composition", json_boolean(n->has_ids));
	json_object_set_new(o, "cid", n->has_ids ? json_integer(n->cid) : json_null());
	json_object_set_new(o, "pid", n->has_ids ? json_integer(n->pid) : json_null());
	json_object_set_new(o, "vid", n->has_ids ? json_integer(n->vid) : json_null());
	json_object_set_new(o, "crpl", n->has_ids ? json_integer(n->crpl) : json_null());
	json_object_set_new(o, "security", json_string(n->security_secure ? "secure" : "insecure"));
	json_object_set_new(feat, "relay", feature_detail_json(n->relay, n->has_ids));
	json_object_set_new(feat, "proxy", feature_detail_json(n->proxy, n->has_ids));
	json_object_set_new(feat, "friend", feature_detail_json(n->friend_, n->has_ids));
	json_object_set_new(feat, "low_power", feature_detail_json(n->low_power, n->has_ids));
	json_object_set_new(o, "features", feat);
	json_object_set_new(o, "default_ttl",
			    n->has_default_ttl ? json_integer(n->default_ttl) : json_null());
	json_object_set_new(o, "secure_network_beacon",
			    n->has_secure_beacon ? json_boolean(n->secure_network_beacon)
						 : json_null());
	json_object_set_new(o, "network_transmit", transmit_json(&n->network_transmit));
	json_object_set_new(o, "relay_retransmit", transmit_json(&n->relay_retransmit));
	for (size_t e = 0; e < n->n_elements; e++)
		json_array_append_new(els, element_detail_json(app, n, e));
	json_object_set_new(o, "elements", els);
	json_object_set_new(o, "heartbeat", heartbeat_settings_json(n));
	keys_detail(app, n, o);
	json_object_set_new(o, "liveness", rn->is_self ? json_null()
						       : liveness_detail_json(app, n));
	json_object_set_new(o, "health", health_detail_json(app, n));
	return o;
}

json_t *gw_app_nodes_json(const struct gw_app *app)
{
	json_t *a = json_array();

	for (size_t i = 0; i < app->core.db->n_nodes; i++) {
		const struct netdb_node *n = &app->core.db->nodes[i];
		const struct gw_reg_node *rn = gw_registry_node(&app->reg, n->unicast);

		if (rn)
			json_array_append_new(a, node_json(app, rn, n));
	}
	return a;
}

json_t *gw_app_groups_json(const struct gw_app *app)
{
	json_t *a = json_array();

	for (size_t i = 0; i < app->reg.n_entities; i++) {
		const struct gw_entity *g = &app->reg.entities[i];
		const struct gw_config_group *cg = gw_config_group_find(&app->cfg, g->name);
		json_t *o, *members;
		char label[37];

		if (g->kind != GW_ENTITY_GROUP)
			continue;
		o = json_object();
		members = json_array();
		json_object_set_new(o, "name", json_string(g->name));
		json_object_set_new(o, "address", json_addr(g->addr));
		if (g->has_label) {
			uuid_str(g->label, label);
			json_object_set_new(o, "label", json_string(label));
		}
		json_object_set_new(o, "configured_in_file", json_boolean(cg != NULL));
		for (size_t m = 0; m < g->n_members; m++) {
			const struct gw_entity *e = gw_registry_entity_by_addr(&app->reg, g->members[m]);
			json_t *mo = json_object();

			json_object_set_new(mo, "address", json_addr(g->members[m]));
			if (e && e->kind == GW_ENTITY_ELEMENT)
				json_object_set_new(mo, "name", json_string(e->name));
			json_array_append_new(members, mo);
		}
		json_object_set_new(o, "members", members);
		json_array_append_new(a, o);
	}
	return a;
}

bool gw_app_node_online(const struct gw_app *app, uint16_t primary)
{
	const struct liveness_node *n = liveness_find(app->core.liveness, primary);

	return !n || n->state != LIVENESS_OFFLINE;
}

/* Zigbee2mqtt's linkquality is 0..255; RSSI -100..-30 dBm maps onto it. */
static int linkquality(int8_t rssi)
{
	double q = (rssi + 100) * 255.0 / 70.0;

	return q < 0 ? 0 : q > 255 ? 255 : (int)lround(q);
}

bool gw_app_group_state(const struct gw_app *app, const struct gw_entity *g,
			struct gw_elem_state *st)
{
	uint64_t newest = 0;
	bool any = false;

	memset(st, 0, sizeof(*st));
	st->addr = g->addr;
	/* The cache keeps where each member is going (its target, or its
	 * present state without a transition): the group shows the same. ON
	 * when any member is on; the brightness of the brightest one on; the
	 * colour of the member heard last. */
	for (size_t m = 0; m < g->n_members; m++) {
		const struct gw_entity *me = gw_registry_entity_by_addr(&app->reg, g->members[m]);
		struct gw_elem_state merged;
		const struct gw_elem_state *ms =
			me ? gw_app_element_state(app, me, &merged)
			   : gw_state_cache_get(app->core.cache, g->members[m]);
		bool on;

		if (!ms)
			continue;
		any = true;
		on = (ms->known & GW_STATE_ONOFF) ? ms->target_onoff
						  : (ms->known & GW_STATE_LIGHTNESS) && ms->target_lightness;
		st->known |= ms->known & (GW_STATE_ONOFF | GW_STATE_LIGHTNESS | GW_STATE_LEVEL);
		st->onoff |= on;
		if (on && (ms->known & GW_STATE_LIGHTNESS) && ms->target_lightness > st->lightness)
			st->lightness = ms->target_lightness;
		if (on && (ms->known & GW_STATE_LEVEL) && (!(st->known & GW_STATE_LEVEL) ||
							   ms->target_level > st->level))
			st->level = ms->target_level;
		if (ms->updated_ms >= newest) {
			newest = ms->updated_ms;
			st->updated_ms = ms->updated_ms;
			if (ms->known & GW_STATE_CTL) {
				st->known |= GW_STATE_CTL;
				st->temperature = st->target_temperature = ms->target_temperature;
				st->ctl_lightness = ms->ctl_lightness;
			}
			if (ms->known & GW_STATE_HSL) {
				st->known |= GW_STATE_HSL;
				st->hue = ms->hue;
				st->saturation = ms->saturation;
				st->hsl_lightness = ms->hsl_lightness;
			}
		}
	}
	if ((st->known & GW_STATE_ONOFF) && !st->onoff)
		st->lightness = 0;
	st->target_onoff = st->onoff;
	st->target_lightness = st->lightness;
	st->target_level = st->level;
	return any;
}

json_t *gw_app_entity_state(const struct gw_app *app, const struct gw_entity *e)
{
	const struct gw_elem_state *st = NULL;
	struct gw_elem_state group;
	const struct liveness_node *ln;
	json_t *o;
	char ts[32];

	if (e->kind == GW_ENTITY_GROUP)
		st = gw_app_group_state(app, e, &group) ? &group : NULL;
	else
		st = gw_app_element_state(app, e, &group);
	o = gw_entity_state_json(e, st);
	if (!o || e->kind != GW_ENTITY_ELEMENT)
		return o;
	ln = liveness_find(app->core.liveness, e->node_addr);
	if (ln && ln->rssi != MESH_RSSI_UNKNOWN && ln->count)
		json_object_set_new(o, "linkquality", json_integer(linkquality(ln->rssi)));
	if (ln && ln->last_seen_wall_ms) {
		iso_time(ln->last_seen_wall_ms, ts);
		json_object_set_new(o, "last_seen", json_string(ts));
	}
	return o;
}
