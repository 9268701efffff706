/*
 * The simulated radio world (world.h): devices, the links between them,
 * and the air that carries advertising events from one device to the
 * devices it is linked to.
 *
 * Time: every delay is a struct mesh_timer on the world's own queue
 * (struct mesh_uv_timers), so the stacks of provisioned nodes, their
 * transmissions and the deliveries all run on one clock. A transmission
 * never reaches a receiver inside the sender's call: each reception is a
 * timer of its own (0..tx_delay_max_ms), which is also what keeps a node's
 * relay from re-entering its own stack (mesh_stack_ops.bearer_send).
 *
 * Randomness (loss, delays, advertising jitter, first beacons) comes from
 * one xorshift64* generator seeded from the scenario, never from rand(),
 * so a seed replays a run.
 */
#include "world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/bearer/hci_codec.h"
#include "mesh/err.h"
#include "mesh/log.h"
#include "mesh/util.h"
#include "sim_internal.h"

/* Log-distance path loss: RSSI at 1 m and the exponent (indoor, a few
 * walls), clamped to what receivers report. */
#define PATH_RSSI_1M (-40.0)
#define PATH_EXPONENT 2.5
#define RSSI_MIN (-100)
#define RSSI_MAX (-20)
/* Explicit links with neither an RSSI nor positions to derive one. */
#define RSSI_UNPLACED (-60)
/* A real advertiser delays each event by a random 0..10 ms (advDelay),
 * which keeps two nodes from colliding forever. */
#define ADV_JITTER_MAX_MS 10u

struct sim_link {
	bool linked;
	int8_t rssi;
	double loss;
	uint64_t last_delivery_ms;  /* receptions over a link keep their order */
};

/* Something armed on the world's queue that the world frees: a reception
 * on its way, or a bearer PDU with transmissions left. */
struct sim_pending {
	struct mesh_timer timer;
	struct sim_world *w;
	struct sim_pending *prev, *next;
};

struct sim_delivery {
	struct sim_pending p;
	int from, to;
	int8_t rssi;
	uint8_t addr[6];           /* the sender's address on the air */
	uint8_t len;
	uint8_t adv[MESH_ADV_DATA_MAX];
};

struct sim_adv_job {
	struct sim_pending p;
	struct sim_device *dev;
	struct mesh_adv_tx tx;
	unsigned int left;         /* transmissions still to make */
};

struct sim_world {
	uv_loop_t *loop;
	struct mesh_uv_timers ut;
	size_t n;
	struct sim_device *devs;   /* n of them; never moves */
	struct sim_link *links;    /* n x n, symmetric */
	unsigned int tx_delay_max_ms;
	uint32_t seed;
	uint64_t rng;
	struct sim_world_observer obs;
	bool started;
	struct sim_pending pending; /* list head */
};

/* ---- randomness ---------------------------------------------------------- */

/* splitmix64: spreads a small seed over all 64 bits of the state. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rand64(struct sim_world *w)
{
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint32_t sim_world_rand(struct sim_world *w)
{
	return (uint32_t)(rand64(w) >> 32);
}

uint32_t sim_world_rand_upto(struct sim_world *w, uint32_t max)
{
	/* The bias of a 64-bit modulo by a small number is far below what
	 * any test can see. */
	return (uint32_t)(rand64(w) % ((uint64_t)max + 1u));
}

/* Uniform in [0, 1). */
static double rand_unit(struct sim_world *w)
{
	return (double)(rand64(w) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- small accessors ----------------------------------------------------- */

uint32_t sim_world_seed(const struct sim_world *w)
{
	return w->seed;
}

uv_loop_t *sim_world_loop(struct sim_world *w)
{
	return w->loop;
}

struct mesh_timers *sim_world_queue(struct sim_world *w)
{
	return &w->ut.timers;
}

bool sim_world_started(const struct sim_world *w)
{
	return w->started;
}

const struct sim_world_observer *sim_world_get_observer(const struct sim_world *w)
{
	return &w->obs;
}

void sim_world_set_observer(struct sim_world *w, const struct sim_world_observer *obs)
{
	if (obs)
		w->obs = *obs;
	else
		memset(&w->obs, 0, sizeof(w->obs));
}

size_t sim_world_device_count(const struct sim_world *w)
{
	return w->n;
}

struct sim_device *sim_world_device(struct sim_world *w, size_t index)
{
	return index < w->n ? &w->devs[index] : NULL;
}

struct sim_device *sim_world_find(struct sim_world *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++) {
		if (strcmp(w->devs[i].desc.name, name) == 0)
			return &w->devs[i];
	}
	return NULL;
}

struct mesh_uv_timers *sim_world_timers(struct sim_world *w)
{
	return &w->ut;
}

/* ---- pending timers ------------------------------------------------------ */

static void pending_add(struct sim_world *w, struct sim_pending *p, mesh_timer_fn fire)
{
	p->w = w;
	mesh_timer_init(&p->timer, fire);
	p->next = w->pending.next;
	p->prev = &w->pending;
	w->pending.next->prev = p;
	w->pending.next = p;
}

static void pending_remove(struct sim_pending *p)
{
	mesh_timer_stop(&p->w->ut.timers, &p->timer);
	p->prev->next = p->next;
	p->next->prev = p->prev;
	p->next = p->prev = p;
}

static void pending_free_all(struct sim_world *w)
{
	while (w->pending.next != &w->pending) {
		struct sim_pending *p = w->pending.next;

		pending_remove(p);
		free(p);
	}
}

/* ---- links --------------------------------------------------------------- */

static struct sim_link *link_at(struct sim_world *w, size_t a, size_t b)
{
	return &w->links[a * w->n + b];
}

static void link_set(struct sim_world *w, size_t a, size_t b, double loss, int8_t rssi)
{
	struct sim_link l = { .linked = true, .rssi = rssi, .loss = loss };

	*link_at(w, a, b) = l;
	*link_at(w, b, a) = l;
}

static double distance(const struct sim_device_desc *a, const struct sim_device_desc *b)
{
	double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;

	return sqrt(dx * dx + dy * dy + dz * dz);
}

/* RSSI at distance d by the log-distance model (closer than 10 cm counts
 * as 10 cm, where the clamp has long taken over). */
static int8_t path_loss_rssi(double d)
{
	double rssi = PATH_RSSI_1M - 10.0 * PATH_EXPONENT * log10(d < 0.1 ? 0.1 : d);
	long r = lround(rssi);

	if (r < RSSI_MIN)
		r = RSSI_MIN;
	if (r > RSSI_MAX)
		r = RSSI_MAX;
	return (int8_t)r;
}

static void links_from_positions(struct sim_world *w, const struct sim_scenario *sc)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct sim_device_desc *a = &w->devs[i].desc;

		for (size_t j = i + 1; j < w->n; j++) {
			const struct sim_device_desc *b = &w->devs[j].desc;
			double d;

			if (!a->has_position || !b->has_position)
				continue;
			d = distance(a, b);
			if (d <= sc->range_m)
				link_set(w, i, j, sc->default_loss, path_loss_rssi(d));
		}
	}
}

/* Explicit links override what positions gave (and reach beyond range). */
static void links_explicit(struct sim_world *w, const struct sim_scenario *sc)
{
	for (size_t i = 0; i < sc->n_links; i++) {
		const struct sim_link_desc *l = &sc->links[i];
		int a = sim_scenario_find(sc, l->a), b = sim_scenario_find(sc, l->b);
		const struct sim_device_desc *da = &sc->devices[a], *db = &sc->devices[b];
		double loss = l->loss < 0.0 ? sc->default_loss : l->loss;
		int8_t rssi;

		if (l->rssi != SIM_NO_RSSI)
			rssi = (int8_t)l->rssi;
		else if (da->has_position && db->has_position)
			rssi = path_loss_rssi(distance(da, db));
		else
			rssi = RSSI_UNPLACED;
		link_set(w, (size_t)a, (size_t)b, loss, rssi);
	}
}

static int device_index(struct sim_world *w, const struct sim_device *d)
{
	if (!d || d->world != w)
		return -1;
	return d->index;
}

int sim_world_set_link(struct sim_world *w, struct sim_device *a, struct sim_device *b,
		       double loss, int8_t rssi)
{
	int ia = device_index(w, a), ib = device_index(w, b);

	if (ia < 0 || ib < 0 || ia == ib || !(loss >= 0.0 && loss <= 1.0))
		return MESH_ERR_INVAL;
	link_set(w, (size_t)ia, (size_t)ib, loss, rssi);
	mesh_log_debug(SIM_LOG, "link %s-%s: loss %.2f, %d dBm", a->desc.name, b->desc.name, loss,
		       rssi);
	return 0;
}

int sim_world_remove_link(struct sim_world *w, struct sim_device *a, struct sim_device *b)
{
	int ia = device_index(w, a), ib = device_index(w, b);
	static const struct sim_link none;

	if (ia < 0 || ib < 0 || ia == ib)
		return MESH_ERR_INVAL;
	if (!link_at(w, (size_t)ia, (size_t)ib)->linked)
		return MESH_ERR_NOT_FOUND;
	*link_at(w, (size_t)ia, (size_t)ib) = none;
	*link_at(w, (size_t)ib, (size_t)ia) = none;
	return 0;
}

void sim_world_set_on_air(struct sim_world *w, struct sim_device *d, bool on_air)
{
	if (device_index(w, d) < 0 || d->on_air == on_air)
		return;
	d->on_air = on_air;
	mesh_log_info(SIM_LOG, "%s is %s the air", d->desc.name, on_air ? "back on" : "off");
}

/* ---- receiving ----------------------------------------------------------- */

struct rx_walk {
	struct sim_device *to;
	const struct sim_delivery *dl;
};

static bool is_mesh_ad(uint8_t type)
{
	return type == MESH_AD_TYPE_PB_ADV || type == MESH_AD_TYPE_MESSAGE ||
	       type == MESH_AD_TYPE_BEACON;
}

static void rx_ad(void *ctx, uint8_t type, const uint8_t *data, size_t len)
{
	struct rx_walk *rw = ctx;
	struct mesh_adv_rx rx = {
		.ad_type = type, .len = (uint8_t)len, .payload = data,
		.rssi = rw->dl->rssi, .addr_type = HCI_ADDR_RANDOM,
	};

	if (!is_mesh_ad(type) || len == 0)
		return;
	memcpy(rx.addr, rw->dl->addr, sizeof(rx.addr));
	for (struct sim_behaviour *b = rw->to->behaviours; b; b = b->next) {
		if (b->ops->rx)
			b->ops->rx(b, &rx);
	}
	if (rw->to->bearer.rx)
		rw->to->bearer.rx(rw->to->bearer.ctx, &rx);
}

static void device_receive(struct sim_world *w, struct sim_device *to,
			   const struct sim_delivery *dl)
{
	struct rx_walk rw = { .to = to, .dl = dl };

	to->rx_count++;
	if (w->obs.on_rx)
		w->obs.on_rx(w->obs.ctx, to, &w->devs[dl->from], dl->adv, dl->len, dl->rssi);
	if (to->vctrl)
		sim_vctrl_receive(to->vctrl, dl->addr, dl->adv, dl->len, dl->rssi);
	/* Malformed advertising data reaches nothing above the radio, as
	 * with a real scanner's host. */
	mesh_ad_foreach(dl->adv, dl->len, rx_ad, &rw);
}

static void delivery_fire(struct mesh_timer *t)
{
	struct sim_delivery *dl = MESH_CONTAINER_OF(t, struct sim_delivery, p.timer);
	struct sim_world *w = dl->p.w;
	struct sim_device *to = &w->devs[dl->to];

	pending_remove(&dl->p);
	if (to->on_air)
		device_receive(w, to, dl);
	free(dl);
}

/* ---- transmitting -------------------------------------------------------- */

static void schedule_delivery(struct sim_world *w, int from, int to, const uint8_t addr[6],
			      const uint8_t *adv, size_t len)
{
	struct sim_link *l = link_at(w, (size_t)from, (size_t)to);
	struct sim_delivery *dl;
	uint64_t now = mesh_timers_now(&w->ut.timers), due;

	/* Draw in a fixed order whatever the outcome, so one link's loss
	 * does not shift the delays of the others. */
	bool lost = rand_unit(w) < l->loss;
	uint32_t delay = sim_world_rand_upto(w, w->tx_delay_max_ms);

	if (lost)
		return;
	dl = calloc(1, sizeof(*dl));
	if (!dl) {
		mesh_log_warn(SIM_LOG, "out of memory: a reception by %s is lost",
			      w->devs[to].desc.name);
		return;
	}
	dl->from = from;
	dl->to = to;
	dl->rssi = l->rssi;
	memcpy(dl->addr, addr, sizeof(dl->addr));
	dl->len = (uint8_t)len;
	memcpy(dl->adv, adv, len);
	pending_add(w, &dl->p, delivery_fire);
	/* The delay stands for when the receiver's scanner catches it; two
	 * events from one sender still arrive in the order they were sent. */
	due = now + delay;
	if (due < l->last_delivery_ms)
		due = l->last_delivery_ms;  /* equal deadlines fire in arming order */
	l->last_delivery_ms = due;
	mesh_timer_start(&w->ut.timers, &dl->p.timer, (uint32_t)(due - now));
}

void sim_world_transmit_from(struct sim_world *w, struct sim_device *d, const uint8_t addr[6],
			     const uint8_t *adv, size_t len)
{
	int from = device_index(w, d);

	if (from < 0 || !w->started || !d->on_air)
		return;
	if (len > MESH_ADV_DATA_MAX) {
		mesh_log_warn(SIM_LOG, "%s: %zu octets of advertising data, at most %d: not sent",
			      d->desc.name, len, MESH_ADV_DATA_MAX);
		return;
	}
	d->tx_count++;
	if (w->obs.on_air)
		w->obs.on_air(w->obs.ctx, d, adv, len);
	for (size_t to = 0; to < w->n; to++) {
		if ((int)to == from || !link_at(w, (size_t)from, to)->linked)
			continue;
		if (!w->devs[to].on_air)
			continue;
		schedule_delivery(w, from, (int)to, addr, adv, len);
	}
}

void sim_world_transmit(struct sim_world *w, struct sim_device *d, const uint8_t *adv,
			size_t len)
{
	if (d)
		sim_world_transmit_from(w, d, d->addr, adv, len);
}

/* ---- each device's advertising bearer ------------------------------------ */

static uint32_t adv_interval(const struct mesh_adv_tx *tx)
{
	return tx->interval_ms < MESH_ADV_INTERVAL_MIN_MS ? MESH_ADV_INTERVAL_MIN_MS
							   : tx->interval_ms;
}

static void adv_job_fire(struct mesh_timer *t)
{
	struct sim_adv_job *job = MESH_CONTAINER_OF(t, struct sim_adv_job, p.timer);
	struct sim_world *w = job->p.w;
	uint8_t adv[MESH_ADV_DATA_MAX];
	size_t len = mesh_adv_data_build(&job->tx, adv);

	sim_world_transmit(w, job->dev, adv, len);
	if (--job->left == 0) {
		pending_remove(&job->p);
		free(job);
		return;
	}
	mesh_timer_start(&w->ut.timers, &job->p.timer,
			 adv_interval(&job->tx) + sim_world_rand_upto(w, ADV_JITTER_MAX_MS));
}

/* A controller's advertising queue is first in, first out: a job never
 * starts before the ones the device queued earlier, or a receiver would
 * see a higher SEQ first and drop the older PDU as a replay. */
static uint32_t job_start_delay(struct sim_world *w, struct sim_device *d)
{
	uint64_t now = mesh_timers_now(&w->ut.timers);
	uint64_t start = now + sim_world_rand_upto(w, ADV_JITTER_MAX_MS);

	if (start < d->last_job_start_ms)
		start = d->last_job_start_ms;  /* equal deadlines fire in arming order */
	d->last_job_start_ms = start;
	return (uint32_t)(start - now);
}

static int bearer_send(struct mesh_bearer *b, const struct mesh_adv_tx *tx)
{
	struct sim_device *d = MESH_CONTAINER_OF(b, struct sim_device, bearer);
	struct sim_world *w = d->world;
	struct sim_adv_job *job;
	int rc = mesh_adv_tx_check(tx);

	if (rc)
		return rc;
	job = calloc(1, sizeof(*job));
	if (!job)
		return MESH_ERR_NOMEM;
	job->dev = d;
	job->tx = *tx;
	job->left = tx->count;
	pending_add(w, &job->p, adv_job_fire);
	/* Before the start the job waits; sim_world_start() arms it. */
	if (w->started)
		mesh_timer_start(&w->ut.timers, &job->p.timer, job_start_delay(w, d));
	return 0;
}

static const struct mesh_bearer_ops sim_bearer_ops = {
	.send = bearer_send,
};

/* ---- devices ------------------------------------------------------------- */

/* A static random address (Core Vol 6 Part B 1.3.2.1: two top bits set),
 * the same for a device on every run: the index in the low octets keeps
 * addresses unique, a hash of the UUID fills the rest. */
static void derive_addr(struct sim_device *d)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(d->desc.uuid); i++)
		h = (h ^ d->desc.uuid[i]) * 0x100000001b3ull;
	h = mix64(h ^ (uint64_t)d->index);
	d->addr[0] = (uint8_t)d->index;
	d->addr[1] = (uint8_t)(d->index >> 8);
	d->addr[2] = (uint8_t)h;
	d->addr[3] = (uint8_t)(h >> 8);
	d->addr[4] = (uint8_t)(h >> 16);
	d->addr[5] = (uint8_t)(0xc0 | ((h >> 24) & 0x3f));
}

int sim_device_add_behaviour(struct sim_device *d, struct sim_behaviour *b)
{
	struct sim_behaviour **tail;

	if (!d || !b || !b->ops)
		return MESH_ERR_INVAL;
	tail = &d->behaviours;
	b->dev = d;
	b->next = NULL;
	while (*tail)
		tail = &(*tail)->next;
	*tail = b;
	if (d->world->started && b->ops->start)
		return b->ops->start(b);
	return 0;
}

void sim_device_remove_behaviour(struct sim_device *d, struct sim_behaviour *b)
{
	for (struct sim_behaviour **p = &d->behaviours; *p; p = &(*p)->next) {
		if (*p != b)
			continue;
		*p = b->next;
		if (d->world->started && b->ops->stop)
			b->ops->stop(b);
		if (b->ops->destroy)
			b->ops->destroy(b);
		return;
	}
}

/* Beacons, and the provisioning that ends them. */
int sim_device_unprovisioned_behaviours(struct sim_device *d)
{
	struct sim_behaviour *beacons = sim_unprov_beacon_new(d), *prov;
	int rc;

	if (!beacons)
		return MESH_ERR_NOMEM;
	rc = sim_device_add_behaviour(d, beacons);
	if (rc)
		return rc;
	prov = sim_prov_new(d, beacons, &rc);
	if (!prov)
		return rc;
	return sim_device_add_behaviour(d, prov);
}

static int device_behaviours(struct sim_device *d)
{
	struct sim_behaviour *b;
	int rc = 0;

	if (d->desc.kind == SIM_DEVICE_CONTROLLER) {
		d->vctrl = sim_vctrl_create(d);
		return d->vctrl ? 0 : MESH_ERR_NOMEM;
	}
	if (!d->desc.keys.provisioned)
		return sim_device_unprovisioned_behaviours(d);
	b = sim_node_new(d, &rc);
	if (!b)
		return rc;
	return sim_device_add_behaviour(d, b);
}

static int device_init(struct sim_world *w, size_t i, const struct sim_device_desc *desc)
{
	struct sim_device *d = &w->devs[i];

	d->world = w;
	d->index = (int)i;
	d->desc = *desc;
	d->on_air = true;
	d->bearer.ops = &sim_bearer_ops;
	derive_addr(d);
	return device_behaviours(d);
}

/* ---- world lifecycle ----------------------------------------------------- */

static void world_free_cb(uv_handle_t *h)
{
	struct mesh_uv_timers *ut = MESH_CONTAINER_OF((uv_timer_t *)h, struct mesh_uv_timers,
						      handle);

	free(MESH_CONTAINER_OF(ut, struct sim_world, ut));
}

static int world_alloc(struct sim_world **out, uv_loop_t *loop, size_t n)
{
	struct sim_world *w = calloc(1, sizeof(*w));

	if (!w)
		return MESH_ERR_NOMEM;
	w->pending.next = w->pending.prev = &w->pending;
	w->devs = calloc(n ? n : 1, sizeof(*w->devs));
	w->links = calloc(n ? n * n : 1, sizeof(*w->links));
	if (!w->devs || !w->links || mesh_uv_timers_init(&w->ut, loop) != 0) {
		free(w->devs);
		free(w->links);
		free(w);
		return MESH_ERR_NOMEM;
	}
	w->loop = loop;
	w->n = n;
	*out = w;
	return 0;
}

int sim_world_create(struct sim_world **out, uv_loop_t *loop, const struct sim_scenario *sc)
{
	struct sim_world *w;
	char why[160];
	int rc = sim_scenario_check(sc, why, sizeof(why));

	*out = NULL;
	if (rc) {
		mesh_log_error(SIM_LOG, "scenario \"%s\": %s", sc->name, why);
		return rc;
	}
	rc = world_alloc(&w, loop, sc->n_devices);
	if (rc)
		return rc;
	w->tx_delay_max_ms = sc->tx_delay_max_ms;
	w->seed = sc->seed ? sc->seed : 1u;
	w->rng = mix64(w->seed);
	if (w->rng == 0)
		w->rng = 1;  /* xorshift never leaves 0 */
	for (size_t i = 0; i < w->n && rc == 0; i++)
		rc = device_init(w, i, &sc->devices[i]);
	if (rc) {
		mesh_log_error(SIM_LOG, "scenario \"%s\": cannot build the world: %s", sc->name,
			       mesh_strerror(rc));
		sim_world_destroy(w);
		return rc;
	}
	links_from_positions(w, sc);
	links_explicit(w, sc);
	*out = w;
	return 0;
}

static void arm_waiting_jobs(struct sim_world *w)
{
	for (struct sim_pending *p = w->pending.next; p != &w->pending; p = p->next) {
		if (!mesh_timer_armed(&p->timer))
			mesh_timer_start(&w->ut.timers, &p->timer,
					 sim_world_rand_upto(w, ADV_JITTER_MAX_MS));
	}
}

static int device_start(struct sim_device *d)
{
	int rc = 0;

	d->bearer.up = true;
	if (d->bearer.state)
		d->bearer.state(d->bearer.ctx, true);
	for (struct sim_behaviour *b = d->behaviours; b && rc == 0; b = b->next) {
		if (b->ops->start)
			rc = b->ops->start(b);
	}
	if (rc == 0 && d->vctrl)
		rc = sim_vctrl_start(d->vctrl);
	if (rc)
		mesh_log_error(SIM_LOG, "%s does not start: %s", d->desc.name, mesh_strerror(rc));
	return rc;
}

int sim_world_start(struct sim_world *w)
{
	int rc = 0;

	if (w->started)
		return 0;
	w->started = true;
	arm_waiting_jobs(w);
	for (size_t i = 0; i < w->n && rc == 0; i++)
		rc = device_start(&w->devs[i]);
	return rc;
}

static void device_cleanup(struct sim_device *d)
{
	struct sim_behaviour *b = d->behaviours;

	d->behaviours = NULL;
	while (b) {
		struct sim_behaviour *next = b->next;

		if (b->ops->destroy)
			b->ops->destroy(b);
		b = next;
	}
	memset(&d->desc.keys, 0, sizeof(d->desc.keys));
	memset(&d->desc.prov, 0, sizeof(d->desc.prov));
}

void sim_world_destroy(struct sim_world *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++) {
		for (struct sim_behaviour *b = w->devs[i].behaviours; b; b = b->next) {
			if (w->started && b->ops->stop)
				b->ops->stop(b);
		}
		if (w->devs[i].vctrl)
			sim_vctrl_destroy(w->devs[i].vctrl);
		w->devs[i].vctrl = NULL;
	}
	pending_free_all(w);
	for (size_t i = 0; i < w->n; i++)
		device_cleanup(&w->devs[i]);
	free(w->devs);
	free(w->links);
	w->devs = NULL;
	w->n = 0;
	/* Stacks the caller built on our queue (tests do) may still stop
	 * their timers on it until the close callback: they must not re-arm
	 * a closing handle. */
	w->ut.timers.on_change = NULL;
	uv_timer_stop(&w->ut.handle);
	uv_close((uv_handle_t *)&w->ut.handle, world_free_cb);
}
