/*
 * A scenario as plain data (scenario.h): growing the device and link
 * arrays, finding devices by name, and the consistency check that
 * sim_world_create() relies on, so the world code never has to guard
 * against a dangling link name or overlapping unicast ranges.
 */
#include "scenario.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/addr.h"
#include "mesh/err.h"
#include "mesh/sensor_msg.h"

void sim_scenario_init(struct sim_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->seed = 1;
	sc->tx_delay_max_ms = SIM_DEFAULT_TX_DELAY_MAX_MS;
	sc->default_loss = 0.0;
	sc->range_m = SIM_DEFAULT_RANGE_M;
}

/* Grow an array by one zeroed element; NULL if out of memory. */
static void *grow(void *array, size_t n, size_t size)
{
	char *p = realloc(array, (n + 1) * size);

	if (p)
		memset(p + n * size, 0, size);
	return p;
}

struct sim_device_desc *sim_scenario_add_device(struct sim_scenario *sc, const char *name,
						enum sim_device_kind kind)
{
	struct sim_device_desc *devs = grow(sc->devices, sc->n_devices, sizeof(*devs));
	struct sim_device_desc *d;

	if (!devs)
		return NULL;
	sc->devices = devs;
	d = &devs[sc->n_devices++];
	snprintf(d->name, sizeof(d->name), "%s", name ? name : "");
	d->kind = kind;
	/* Every node has a primary element; scenarios rarely need more. A
	 * device supports both algorithms unless told otherwise (Mesh 1.1). */
	if (kind == SIM_DEVICE_NODE) {
		d->n_elements = 1;
		d->prov.algorithms = SIM_PROV_ALGORITHMS_ALL;
	}
	return d;
}

struct sim_link_desc *sim_scenario_add_link(struct sim_scenario *sc, const char *a,
					    const char *b, double loss, int rssi)
{
	struct sim_link_desc *links = grow(sc->links, sc->n_links, sizeof(*links));
	struct sim_link_desc *l;

	if (!links)
		return NULL;
	sc->links = links;
	l = &links[sc->n_links++];
	snprintf(l->a, sizeof(l->a), "%s", a ? a : "");
	snprintf(l->b, sizeof(l->b), "%s", b ? b : "");
	l->loss = loss;
	l->rssi = rssi;
	return l;
}

int sim_scenario_find(const struct sim_scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->n_devices; i++) {
		if (strcmp(sc->devices[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* ---- check --------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return MESH_ERR_INVAL;
}

static bool loss_valid(double loss)
{
	/* NaN fails both comparisons, so it is refused too. */
	return loss == SIM_LOSS_DEFAULT || (loss >= 0.0 && loss <= 1.0);
}

static bool finite_range(double min, double max)
{
	return isfinite(min) && isfinite(max) && min <= max;
}

static int check_gen(const struct sim_device_desc *d, unsigned int e,
		     const struct sim_sensor_desc *s, char *why, size_t why_len)
{
	const struct sim_sensor_gen *g = &s->gen;
	bool ok;

	switch (g->kind) {
	case SIM_GEN_CONSTANT:
		ok = isfinite(g->value);
		break;
	case SIM_GEN_SINE:
		ok = finite_range(g->min, g->max) && isfinite(g->period_s) && g->period_s > 0;
		break;
	case SIM_GEN_RANDOM_WALK:
		ok = finite_range(g->min, g->max) && g->start >= g->min && g->start <= g->max &&
		     isfinite(g->step) && g->step >= 0 && isfinite(g->every_s) && g->every_s > 0;
		break;
	case SIM_GEN_PATTERN:
		ok = g->n_values >= 1 && g->n_values <= SIM_PATTERN_VALUES_MAX &&
		     isfinite(g->every_s) && g->every_s > 0;
		for (unsigned int i = 0; ok && i < g->n_values; i++)
			ok = isfinite(g->values[i]);
		break;
	default:
		ok = false;
	}
	if (!ok)
		return fail(why, why_len, "node \"%s\": element %u: sensor 0x%04x has an invalid "
			    "generator", d->name, e, s->property);
	return 0;
}

static bool has_sig_model(const struct sim_element_desc *el, uint16_t id)
{
	for (unsigned int i = 0; i < el->n_sig && i < SIM_MODELS_MAX; i++)
		if (el->sig_models[i] == id)
			return true;
	return false;
}

static int check_sensors(const struct sim_device_desc *d, unsigned int e, char *why,
			 size_t why_len)
{
	const struct sim_element_desc *el = &d->elements[e];
	int rc;

	if (el->n_sensors == 0)
		return 0;
	if (el->n_sensors > SIM_SENSORS_MAX)
		return fail(why, why_len, "node \"%s\": element %u has more than %d sensors",
			    d->name, e, SIM_SENSORS_MAX);
	if (!has_sig_model(el, MESH_MODEL_SENSOR_SRV))
		return fail(why, why_len, "node \"%s\": element %u has sensors but no Sensor "
			    "Server", d->name, e);
	for (unsigned int i = 0; i < el->n_sensors; i++) {
		const struct sim_sensor_desc *s = &el->sensors[i];

		if (!mesh_sensor_prop_find(s->property))
			return fail(why, why_len, "node \"%s\": element %u: sensor property "
				    "0x%04x is not one meshsim can simulate", d->name, e,
				    s->property);
		for (unsigned int j = 0; j < i; j++)
			if (el->sensors[j].property == s->property)
				return fail(why, why_len, "node \"%s\": element %u: sensor "
					    "property 0x%04x twice", d->name, e, s->property);
		rc = check_gen(d, e, s, why, why_len);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_elements(const struct sim_device_desc *d, char *why, size_t why_len)
{
	int rc;

	if (d->n_elements < 1 || d->n_elements > SIM_ELEMENTS_MAX)
		return fail(why, why_len, "node \"%s\": %u elements, expected 1..%d", d->name,
			    d->n_elements, SIM_ELEMENTS_MAX);
	for (unsigned int e = 0; e < d->n_elements; e++) {
		const struct sim_element_desc *el = &d->elements[e];

		if (el->n_sig > SIM_MODELS_MAX || el->n_vendor > SIM_MODELS_MAX)
			return fail(why, why_len, "node \"%s\": element %u has more than %d models",
				    d->name, e, SIM_MODELS_MAX);
		rc = check_sensors(d, e, why, why_len);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_keys(const struct sim_device_desc *d, char *why, size_t why_len)
{
	const struct sim_keys_desc *k = &d->keys;
	unsigned int last = (unsigned int)k->address + d->n_elements - 1u;

	if (!k->provisioned)
		return 0;
	if (!mesh_addr_is_unicast(k->address) || last > 0x7fff)
		return fail(why, why_len,
			    "node \"%s\": address 0x%04x with %u elements is not a unicast range",
			    d->name, k->address, d->n_elements);
	if (k->net_idx > 0xfff)
		return fail(why, why_len, "node \"%s\": NetKey index 0x%x above 0xfff", d->name,
			    k->net_idx);
	if (k->n_app_keys > SIM_APP_KEYS_MAX)
		return fail(why, why_len, "node \"%s\": %u AppKeys, at most %d", d->name,
			    k->n_app_keys, SIM_APP_KEYS_MAX);
	for (unsigned int i = 0; i < k->n_app_keys; i++) {
		if (k->app_keys[i].app_idx > 0xfff)
			return fail(why, why_len, "node \"%s\": AppKey index 0x%x above 0xfff",
				    d->name, k->app_keys[i].app_idx);
		for (unsigned int j = 0; j < i; j++) {
			if (k->app_keys[j].app_idx == k->app_keys[i].app_idx)
				return fail(why, why_len, "node \"%s\": AppKey index 0x%x twice",
					    d->name, k->app_keys[i].app_idx);
		}
	}
	return 0;
}

static int check_oob_actions(const struct sim_device_desc *d, const char *kind,
			     uint16_t actions, uint16_t known, uint8_t size, char *why,
			     size_t why_len)
{
	if (actions & ~known)
		return fail(why, why_len, "node \"%s\": unknown %s OOB actions 0x%04x", d->name,
			    kind, actions & ~known);
	if (actions && (size < 1 || size > SIM_PROV_OOB_SIZE_MAX))
		return fail(why, why_len, "node \"%s\": %s OOB size %u, expected 1..%d", d->name,
			    kind, size, SIM_PROV_OOB_SIZE_MAX);
	if (!actions && size)
		return fail(why, why_len, "node \"%s\": %s OOB size %u without actions", d->name,
			    kind, size);
	return 0;
}

static int check_prov(const struct sim_device_desc *d, char *why, size_t why_len)
{
	const struct sim_prov_desc *p = &d->prov;
	int rc;

	if (p->algorithms == 0 || (p->algorithms & ~SIM_PROV_ALGORITHMS_ALL))
		return fail(why, why_len, "node \"%s\": provisioning algorithms 0x%04x, expected "
			    "CMAC (0x0001), HMAC (0x0002) or both", d->name, p->algorithms);
	if (p->static_oob_len != 0 && p->static_oob_len != 16 && p->static_oob_len != 32)
		return fail(why, why_len, "node \"%s\": a static OOB value of %u octets, expected "
			    "16 or 32", d->name, p->static_oob_len);
	rc = check_oob_actions(d, "output", p->output_actions, SIM_PROV_OUTPUT_ACTIONS_ALL,
			       p->output_size, why, why_len);
	if (rc)
		return rc;
	return check_oob_actions(d, "input", p->input_actions, SIM_PROV_INPUT_ACTIONS_ALL,
				 p->input_size, why, why_len);
}

static int check_device(const struct sim_scenario *sc, size_t i, char *why, size_t why_len)
{
	const struct sim_device_desc *d = &sc->devices[i];
	int rc;

	if (!d->name[0])
		return fail(why, why_len, "device %zu has no name", i);
	for (size_t j = 0; j < i; j++) {
		if (strcmp(sc->devices[j].name, d->name) == 0)
			return fail(why, why_len, "device name \"%s\" used twice", d->name);
	}
	if (d->kind == SIM_DEVICE_CONTROLLER) {
		if (d->pty_link[0] && d->socket_path[0])
			return fail(why, why_len,
				    "controller \"%s\": pty link and socket path are exclusive",
				    d->name);
		return 0;
	}
	if (d->kind != SIM_DEVICE_NODE)
		return fail(why, why_len, "device \"%s\": unknown kind %d", d->name, (int)d->kind);
	if (d->has_position && !(isfinite(d->x) && isfinite(d->y) && isfinite(d->z)))
		return fail(why, why_len, "device \"%s\": position is not a number", d->name);
	if (d->default_ttl == 1 || d->default_ttl > 127)
		return fail(why, why_len, "node \"%s\": default TTL %u, expected 2..127", d->name,
			    d->default_ttl);
	rc = check_elements(d, why, why_len);
	if (rc == 0)
		rc = check_prov(d, why, why_len);
	return rc ? rc : check_keys(d, why, why_len);
}

static bool ranges_overlap(const struct sim_device_desc *a, const struct sim_device_desc *b)
{
	unsigned int a0 = a->keys.address, a1 = a0 + a->n_elements - 1u;
	unsigned int b0 = b->keys.address, b1 = b0 + b->n_elements - 1u;

	return a0 <= b1 && b0 <= a1;
}

static int check_addresses(const struct sim_scenario *sc, char *why, size_t why_len)
{
	for (size_t i = 0; i < sc->n_devices; i++) {
		const struct sim_device_desc *a = &sc->devices[i];

		if (a->kind != SIM_DEVICE_NODE || !a->keys.provisioned)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct sim_device_desc *b = &sc->devices[j];

			if (b->kind == SIM_DEVICE_NODE && b->keys.provisioned && ranges_overlap(a, b))
				return fail(why, why_len,
					    "nodes \"%s\" and \"%s\" have overlapping unicast addresses",
					    b->name, a->name);
		}
	}
	return 0;
}

static int check_link(const struct sim_scenario *sc, size_t i, char *why, size_t why_len)
{
	const struct sim_link_desc *l = &sc->links[i];

	if (sim_scenario_find(sc, l->a) < 0)
		return fail(why, why_len, "link %zu: no device called \"%s\"", i, l->a);
	if (sim_scenario_find(sc, l->b) < 0)
		return fail(why, why_len, "link %zu: no device called \"%s\"", i, l->b);
	if (strcmp(l->a, l->b) == 0)
		return fail(why, why_len, "link %zu joins \"%s\" to itself", i, l->a);
	if (!loss_valid(l->loss))
		return fail(why, why_len, "link %s-%s: loss %g is not within 0..1", l->a, l->b,
			    l->loss);
	if (l->rssi != SIM_NO_RSSI && (l->rssi < -127 || l->rssi > 20))
		return fail(why, why_len, "link %s-%s: rssi %d dBm is not within -127..20", l->a,
			    l->b, l->rssi);
	return 0;
}

int sim_scenario_check(const struct sim_scenario *sc, char *why, size_t why_len)
{
	int rc;

	if (!(sc->default_loss >= 0.0 && sc->default_loss <= 1.0))
		return fail(why, why_len, "default loss %g is not within 0..1", sc->default_loss);
	if (!(sc->range_m >= 0.0) || !isfinite(sc->range_m))
		return fail(why, why_len, "range %g m is not a distance", sc->range_m);
	if (sc->n_devices && !sc->devices)
		return fail(why, why_len, "devices missing");
	for (size_t i = 0; i < sc->n_devices; i++) {
		rc = check_device(sc, i, why, why_len);
		if (rc)
			return rc;
	}
	rc = check_addresses(sc, why, why_len);
	if (rc)
		return rc;
	for (size_t i = 0; i < sc->n_links; i++) {
		rc = check_link(sc, i, why, why_len);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- free ---------------------------------------------------------------- */

/* A wipe the compiler may not drop as a dead store before free(). */
static void wipe(void *p, size_t len)
{
	volatile unsigned char *v = p;

	while (len--)
		*v++ = 0;
}

void sim_scenario_free(struct sim_scenario *sc)
{
	for (size_t i = 0; i < sc->n_devices; i++) {
		wipe(&sc->devices[i].keys, sizeof(sc->devices[i].keys));
		wipe(&sc->devices[i].prov, sizeof(sc->devices[i].prov));
	}
	free(sc->devices);
	free(sc->links);
	sc->devices = NULL;
	sc->links = NULL;
	sc->n_devices = 0;
	sc->n_links = 0;
}
