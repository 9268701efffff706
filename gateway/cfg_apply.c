/*
 * Configuration statuses into the network database (cfg_apply.h).
 */
#include "gateway/cfg_apply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/addr.h"
#include "mesh/crypto.h"
#include "mesh/heartbeat.h"

uint32_t gw_cfg_model_key(struct mesh_model_id id)
{
	return id.vendor ? (uint32_t)id.company << 16 | id.id : id.id;
}

static struct netdb_element *node_element(struct netdb_node *node, uint16_t elem_addr)
{
	uint32_t idx = (uint32_t)elem_addr - node->unicast;

	if (elem_addr < node->unicast || idx >= node->n_elements)
		return NULL;
	return &node->elements[idx];
}

struct netdb_model *gw_cfg_find_model(struct netdb_node *node, uint16_t elem_addr,
				      struct mesh_model_id id)
{
	struct netdb_element *el = node_element(node, elem_addr);
	uint32_t key = gw_cfg_model_key(id);

	if (!el)
		return NULL;
	for (size_t i = 0; i < el->n_models; i++)
		if (el->models[i].id == key && el->models[i].vendor == id.vendor)
			return &el->models[i];
	return NULL;
}

/* ---- small list helpers ----------------------------------------------------- */

static int u16_list_add(uint16_t **list, size_t *n, uint16_t v)
{
	uint16_t *grown;

	for (size_t i = 0; i < *n; i++)
		if ((*list)[i] == v)
			return GW_CFG_UNCHANGED;
	grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = v;
	*list = grown;
	return GW_CFG_CHANGED;
}

static int u16_list_del(uint16_t *list, size_t *n, uint16_t v)
{
	for (size_t i = 0; i < *n; i++) {
		if (list[i] != v)
			continue;
		memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof(*list));
		(*n)--;
		return GW_CFG_CHANGED;
	}
	return GW_CFG_UNCHANGED;
}

static int key_ref_add(struct netdb_key_ref **list, size_t *n, uint16_t index, bool updated)
{
	struct netdb_key_ref *grown;

	for (size_t i = 0; i < *n; i++) {
		if ((*list)[i].index != index)
			continue;
		if ((*list)[i].updated == updated)
			return GW_CFG_UNCHANGED;
		(*list)[i].updated = updated;
		return GW_CFG_CHANGED;
	}
	grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (!grown)
		return -ENOMEM;
	grown[*n].index = index;
	grown[*n].updated = updated;
	(*n)++;
	*list = grown;
	return GW_CFG_CHANGED;
}

static int key_ref_del(struct netdb_key_ref *list, size_t *n, uint16_t index)
{
	for (size_t i = 0; i < *n; i++) {
		if (list[i].index != index)
			continue;
		memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof(*list));
		(*n)--;
		return GW_CFG_CHANGED;
	}
	return GW_CFG_UNCHANGED;
}

static bool address_equal(const struct netdb_address *a, const struct netdb_address *b)
{
	if (a->is_label != b->is_label)
		return false;
	return a->is_label ? memcmp(a->label, b->label, 16) == 0 : a->address == b->address;
}

static int sub_add(struct netdb_model *m, const struct netdb_address *a)
{
	struct netdb_address *grown;

	for (size_t i = 0; i < m->n_subscribe; i++)
		if (address_equal(&m->subscribe[i], a))
			return GW_CFG_UNCHANGED;
	grown = realloc(m->subscribe, (m->n_subscribe + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	grown[m->n_subscribe++] = *a;
	m->subscribe = grown;
	return GW_CFG_CHANGED;
}

static int sub_del(struct netdb_model *m, const struct netdb_address *a)
{
	for (size_t i = 0; i < m->n_subscribe; i++) {
		if (!address_equal(&m->subscribe[i], a))
			continue;
		memmove(&m->subscribe[i], &m->subscribe[i + 1],
			(m->n_subscribe - i - 1) * sizeof(*m->subscribe));
		m->n_subscribe--;
		return GW_CFG_CHANGED;
	}
	return GW_CFG_UNCHANGED;
}

static int sub_clear(struct netdb_model *m)
{
	if (m->n_subscribe == 0)
		return GW_CFG_UNCHANGED;
	m->n_subscribe = 0;
	return GW_CFG_CHANGED;
}

/* A virtual address only names a Label UUID: find it among what the node
 * already has, then among the network's virtual groups. */
static bool label_for_hash(const struct netdb *db, const struct netdb_model *m, uint16_t hash,
			   uint8_t label[16])
{
	for (size_t i = 0; m && i < m->n_subscribe; i++) {
		if (m->subscribe[i].is_label && m->subscribe[i].address == hash) {
			memcpy(label, m->subscribe[i].label, 16);
			return true;
		}
	}
	if (m && m->has_publish && m->publish.address.is_label && m->publish.address.address == hash) {
		memcpy(label, m->publish.address.label, 16);
		return true;
	}
	for (size_t i = 0; i < db->n_groups; i++) {
		if (db->groups[i].address.is_label && db->groups[i].address.address == hash) {
			memcpy(label, db->groups[i].address.label, 16);
			return true;
		}
	}
	return false;
}

static bool label_hashes_to(const uint8_t label[16], uint16_t addr)
{
	uint16_t hash;

	return mesh_virtual_address(label, &hash) == 0 && hash == addr;
}

/* The address a subscription or publication status names: a 16-bit
 * address, or for a virtual one its Label UUID (from the request when the
 * request carried it, else looked up). false: a virtual address whose
 * label nobody knows, which the CDB cannot record. */
static bool status_address(const struct netdb *db, const struct netdb_model *m, uint16_t addr,
			   const uint8_t *request_label, struct netdb_address *out)
{
	memset(out, 0, sizeof(*out));
	out->address = addr;
	if (!mesh_addr_is_virtual(addr))
		return true;
	out->is_label = true;
	if (request_label && label_hashes_to(request_label, addr)) {
		memcpy(out->label, request_label, 16);
		return true;
	}
	return label_for_hash(db, m, addr, out->label);
}

/* ---- composition ------------------------------------------------------------ */

static int comp_elements(struct netdb_node *node, const struct mesh_comp0 *c, const char **why)
{
	struct netdb_element *els;

	if (c->n_elems != node->n_elements) {
		*why = "the composition data lists a different number of elements than the node "
		       "was provisioned with";
		return -EINVAL;
	}
	els = calloc(c->n_elems, sizeof(*els));
	if (!els)
		return -ENOMEM;
	for (uint8_t e = 0; e < c->n_elems; e++) {
		const struct mesh_comp_elem *ce = &c->elems[e];
		struct netdb_element *old = &node->elements[e];
		size_t n = (size_t)ce->n_sig + ce->n_vnd;

		memcpy(els[e].name, old->name, sizeof(els[e].name));
		els[e].index = e;
		els[e].location = ce->loc;
		els[e].models = calloc(n ? n : 1, sizeof(*els[e].models));
		if (!els[e].models) {
			for (uint8_t j = 0; j < e; j++)
				free(els[j].models);
			free(els);
			return -ENOMEM;
		}
		els[e].n_models = n;
		for (size_t i = 0; i < n; i++) {
			struct netdb_model *dst = &els[e].models[i];

			dst->id = gw_cfg_model_key(ce->models[i]);
			dst->vendor = ce->models[i].vendor;
			/* A model the record already had keeps its bindings,
			 * subscriptions and publication. */
			for (size_t j = 0; j < old->n_models; j++) {
				struct netdb_model *src = &old->models[j];

				if (src->id != dst->id || src->vendor != dst->vendor || src->id == UINT32_MAX)
					continue;
				*dst = *src;
				memset(src, 0, sizeof(*src));
				src->id = UINT32_MAX;  /* moved */
				break;
			}
		}
	}
	for (size_t e = 0; e < node->n_elements; e++) {
		for (size_t j = 0; j < node->elements[e].n_models; j++) {
			free(node->elements[e].models[j].bind);
			free(node->elements[e].models[j].subscribe);
		}
		free(node->elements[e].models);
	}
	free(node->elements);
	node->elements = els;
	return GW_CFG_CHANGED;
}

static enum netdb_feature feature_from_comp(uint16_t features, uint16_t bit,
					    enum netdb_feature current)
{
	if (!(features & bit))
		return NETDB_FEATURE_UNSUPPORTED;
	/* Supported: whether it is on only its own Get tells. */
	return current == NETDB_FEATURE_UNSUPPORTED ? NETDB_FEATURE_UNKNOWN : current;
}

static int apply_comp(struct netdb_node *node, const struct mesh_cfg_comp_data *cd,
		      const char **why)
{
	struct mesh_comp0 *c;
	int rc;

	if (cd->page != 0)
		return GW_CFG_UNCHANGED;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (mesh_cfg_comp0_parse(cd->data, cd->len, c) < 0) {
		free(c);
		*why = "the composition data page 0 does not parse";
		return -EINVAL;
	}
	rc = comp_elements(node, c, why);
	if (rc >= 0) {
		node->has_ids = true;
		node->cid = c->cid;
		node->pid = c->pid;
		node->vid = c->vid;
		node->crpl = c->crpl;
		node->relay = feature_from_comp(c->features, MESH_FEAT_RELAY, node->relay);
		node->proxy = feature_from_comp(c->features, MESH_FEAT_PROXY, node->proxy);
		node->friend_ = feature_from_comp(c->features, MESH_FEAT_FRIEND, node->friend_);
		node->low_power = (c->features & MESH_FEAT_LPN) ? NETDB_FEATURE_ON
							       : NETDB_FEATURE_UNSUPPORTED;
	}
	free(c);
	return rc;
}

/* ---- node-wide states --------------------------------------------------------- */

static enum netdb_feature feature_state(uint8_t v)
{
	switch (v) {
	case MESH_CFG_DISABLED: return NETDB_FEATURE_OFF;
	case MESH_CFG_ENABLED: return NETDB_FEATURE_ON;
	case MESH_CFG_NOT_SUPPORTED: return NETDB_FEATURE_UNSUPPORTED;
	default: return NETDB_FEATURE_UNKNOWN;
	}
}

static int set_feature(enum netdb_feature *f, uint8_t v)
{
	enum netdb_feature n = feature_state(v);

	if (n == NETDB_FEATURE_UNKNOWN || *f == n)
		return GW_CFG_UNCHANGED;
	*f = n;
	return GW_CFG_CHANGED;
}

static int set_transmit(struct netdb_transmit *t, uint8_t count, uint16_t interval_ms)
{
	if (t->present && t->count == count && t->interval_ms == interval_ms)
		return GW_CFG_UNCHANGED;
	t->present = true;
	t->count = count;
	t->interval_ms = interval_ms;
	return GW_CFG_CHANGED;
}

static int apply_relay(struct netdb_node *node, const struct mesh_cfg_relay *r)
{
	int rc = set_feature(&node->relay, r->relay);

	if (r->relay == MESH_CFG_NOT_SUPPORTED)
		return rc;
	/* CDB relayRetransmit.count is the number of retransmissions. */
	if (set_transmit(&node->relay_retransmit, mesh_cfg_transmit_count(r->retransmit),
			 (uint16_t)((mesh_cfg_transmit_steps(r->retransmit) + 1) * 10)))
		rc = GW_CFG_CHANGED;
	return rc;
}

static int apply_net_transmit(struct netdb_node *node, uint8_t v)
{
	return set_transmit(&node->network_transmit, (uint8_t)mesh_cfg_net_transmit_count(v),
			    (uint16_t)mesh_cfg_net_transmit_interval_ms(v));
}

static int apply_default_ttl(struct netdb_node *node, uint8_t ttl)
{
	if (node->has_default_ttl && node->default_ttl == ttl)
		return GW_CFG_UNCHANGED;
	node->has_default_ttl = true;
	node->default_ttl = ttl;
	return GW_CFG_CHANGED;
}

static int apply_beacon(struct netdb_node *node, uint8_t v)
{
	if (v > 1 || (node->has_secure_beacon && node->secure_network_beacon == (v == 1)))
		return GW_CFG_UNCHANGED;
	node->has_secure_beacon = true;
	node->secure_network_beacon = v == 1;
	return GW_CFG_CHANGED;
}

/* ---- keys ------------------------------------------------------------------- */

static int apply_app_key(struct netdb_node *node, const struct mesh_cfg_msg *req,
			 const struct mesh_cfg_app_key *st)
{
	if (!req || st->status != MESH_CFG_SUCCESS)
		return GW_CFG_UNCHANGED;
	switch (req->opcode) {
	case MESH_OP_CFG_APPKEY_ADD:
		return key_ref_add(&node->app_keys, &node->n_app_keys, st->app_idx, false);
	case MESH_OP_CFG_APPKEY_UPDATE:
		return key_ref_add(&node->app_keys, &node->n_app_keys, st->app_idx, true);
	case MESH_OP_CFG_APPKEY_DELETE:
		return key_ref_del(node->app_keys, &node->n_app_keys, st->app_idx);
	default:
		return GW_CFG_UNCHANGED;
	}
}

static int apply_net_key(struct netdb_node *node, const struct mesh_cfg_msg *req,
			 const struct mesh_cfg_net_key *st)
{
	if (!req || st->status != MESH_CFG_SUCCESS)
		return GW_CFG_UNCHANGED;
	switch (req->opcode) {
	case MESH_OP_CFG_NETKEY_ADD:
		return key_ref_add(&node->net_keys, &node->n_net_keys, st->net_idx, false);
	case MESH_OP_CFG_NETKEY_UPDATE:
		return key_ref_add(&node->net_keys, &node->n_net_keys, st->net_idx, true);
	case MESH_OP_CFG_NETKEY_DELETE:
		return key_ref_del(node->net_keys, &node->n_net_keys, st->net_idx);
	default:
		return GW_CFG_UNCHANGED;
	}
}

static int replace_key_refs(struct netdb_key_ref **list, size_t *n, const uint16_t *idx,
			    uint16_t count, bool (*covers)(const struct netdb *, uint16_t, uint16_t),
			    const struct netdb *db, uint16_t net_idx)
{
	int changed = GW_CFG_UNCHANGED;

	/* Drop what the node no longer lists (of the part the list covers). */
	for (size_t i = 0; i < *n;) {
		bool listed = false;

		for (uint16_t j = 0; j < count; j++)
			listed = listed || (*list)[i].index == idx[j];
		if (!listed && covers(db, (*list)[i].index, net_idx)) {
			key_ref_del(*list, n, (*list)[i].index);
			changed = GW_CFG_CHANGED;
			continue;
		}
		i++;
	}
	for (uint16_t j = 0; j < count; j++) {
		bool had = false;
		int rc;

		for (size_t i = 0; i < *n; i++)
			had = had || (*list)[i].index == idx[j];
		if (had)
			continue;
		rc = key_ref_add(list, n, idx[j], false);
		if (rc < 0)
			return rc;
		changed = GW_CFG_CHANGED;
	}
	return changed;
}

static bool covers_every_net_key(const struct netdb *db, uint16_t index, uint16_t net_idx)
{
	(void)db;
	(void)index;
	(void)net_idx;
	return true;
}

/* An AppKey List is the list of one NetKey's AppKeys. */
static bool app_key_under(const struct netdb *db, uint16_t app_idx, uint16_t net_idx)
{
	const struct netdb_app_key *k = netdb_app_key(db, app_idx);

	return !k || k->bound_net_key == net_idx;
}

/* ---- models ------------------------------------------------------------------- */

static struct netdb_model *status_model(struct netdb_node *node, uint16_t elem_addr,
					struct mesh_model_id id, const char **why)
{
	struct netdb_model *m = gw_cfg_find_model(node, elem_addr, id);

	if (!m)
		*why = node_element(node, elem_addr)
			? "the status names a model the node's composition does not list"
			: "the status names an element the node does not have";
	return m;
}

static int apply_model_app(struct netdb_node *node, const struct mesh_cfg_msg *req,
			   const struct mesh_cfg_model_app *st, const char **why)
{
	struct netdb_model *m;

	if (!req || st->status != MESH_CFG_SUCCESS)
		return GW_CFG_UNCHANGED;
	m = status_model(node, st->elem_addr, st->model, why);
	if (!m)
		return -EINVAL;
	if (req->opcode == MESH_OP_CFG_MODEL_APP_BIND)
		return u16_list_add(&m->bind, &m->n_bind, st->app_idx);
	if (req->opcode == MESH_OP_CFG_MODEL_APP_UNBIND)
		return u16_list_del(m->bind, &m->n_bind, st->app_idx);
	return GW_CFG_UNCHANGED;
}

static int apply_model_app_list(struct netdb_node *node, const struct mesh_cfg_model_app_list *st,
				const char **why)
{
	struct netdb_model *m;
	uint16_t *copy;

	if (st->status != MESH_CFG_SUCCESS)
		return GW_CFG_UNCHANGED;
	m = status_model(node, st->elem_addr, st->model, why);
	if (!m)
		return -EINVAL;
	if (m->n_bind == st->n && (st->n == 0 || memcmp(m->bind, st->app_idx, st->n * 2) == 0))
		return GW_CFG_UNCHANGED;
	copy = malloc((st->n ? st->n : 1) * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, st->app_idx, st->n * sizeof(*copy));
	free(m->bind);
	m->bind = copy;
	m->n_bind = st->n;
	return GW_CFG_CHANGED;
}

static int apply_model_sub(const struct netdb *db, struct netdb_node *node,
			   const struct mesh_cfg_msg *req, const struct mesh_cfg_model_sub *st,
			   const char **why)
{
	const uint8_t *label = NULL;
	struct netdb_address a;
	struct netdb_model *m;
	int rc;

	if (!req || st->status != MESH_CFG_SUCCESS)
		return GW_CFG_UNCHANGED;
	m = status_model(node, st->elem_addr, st->model, why);
	if (!m)
		return -EINVAL;
	if (req->opcode == MESH_OP_CFG_MODEL_SUB_DELETE_ALL)
		return sub_clear(m);
	if (req->opcode == MESH_OP_CFG_MODEL_SUB_VA_ADD ||
	    req->opcode == MESH_OP_CFG_MODEL_SUB_VA_DELETE ||
	    req->opcode == MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE)
		label = req->model_sub.label;
	if (!status_address(db, m, st->addr, label, &a)) {
		*why = "a virtual address whose Label UUID is unknown";
		return -EINVAL;
	}
	switch (req->opcode) {
	case MESH_OP_CFG_MODEL_SUB_ADD:
	case MESH_OP_CFG_MODEL_SUB_VA_ADD:
		return sub_add(m, &a);
	case MESH_OP_CFG_MODEL_SUB_DELETE:
	case MESH_OP_CFG_MODEL_SUB_VA_DELETE:
		return sub_del(m, &a);
	case MESH_OP_CFG_MODEL_SUB_OVERWRITE:
	case MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE:
		if (m->n_subscribe == 1 && address_equal(&m->subscribe[0], &a))
			return GW_CFG_UNCHANGED;
		sub_clear(m);
		rc = sub_add(m, &a);
		return rc < 0 ? rc : GW_CFG_CHANGED;
	default:
		return GW_CFG_UNCHANGED;
	}
}

static int apply_model_sub_list(const struct netdb *db, struct netdb_node *node,
				const struct mesh_cfg_model_sub_list *st, const char **why)
{
	struct netdb_address *list;
	struct netdb_model *m;
	size_t n = 0;

	if (st->status != MESH_CFG_SUCCESS)
		return GW_CFG_UNCHANGED;
	m = status_model(node, st->elem_addr, st->model, why);
	if (!m)
		return -EINVAL;
	list = calloc(st->n ? st->n : 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (uint16_t i = 0; i < st->n; i++)
		if (status_address(db, m, st->addr[i], NULL, &list[n]))
			n++;  /* an unknown label cannot be recorded: skipped */
	if (n == m->n_subscribe) {
		bool same = true;

		for (size_t i = 0; i < n && same; i++)
			same = address_equal(&list[i], &m->subscribe[i]);
		if (same) {
			free(list);
			return GW_CFG_UNCHANGED;
		}
	}
	free(m->subscribe);
	m->subscribe = list;
	m->n_subscribe = n;
	return GW_CFG_CHANGED;
}

static void publish_from_status(const struct mesh_cfg_model_pub *st, const struct netdb_address *a,
				struct netdb_publish *p)
{
	static const uint32_t resolution_ms[] = { 100, 1000, 10000, 600000 };

	memset(p, 0, sizeof(*p));
	p->address = *a;
	p->app_idx = st->app_idx;
	p->ttl = st->ttl;
	p->period_steps = st->period & 0x3f;
	p->period_resolution_ms = resolution_ms[st->period >> 6];
	p->retransmit_count = (uint8_t)mesh_cfg_pub_retransmit_count(st->retransmit);
	p->retransmit_interval_ms = (uint16_t)mesh_cfg_pub_retransmit_interval_ms(st->retransmit);
	p->credentials = st->cred_flag ? 1 : 0;
}

static int apply_model_pub(const struct netdb *db, struct netdb_node *node,
			   const struct mesh_cfg_msg *req, const struct mesh_cfg_model_pub *st,
			   const char **why)
{
	const uint8_t *label = NULL;
	struct netdb_publish p;
	struct netdb_address a;
	struct netdb_model *m;

	if (st->status != MESH_CFG_SUCCESS)
		return GW_CFG_UNCHANGED;
	m = status_model(node, st->elem_addr, st->model, why);
	if (!m)
		return -EINVAL;
	if (st->pub_addr == MESH_ADDR_UNASSIGNED) {
		if (!m->has_publish)
			return GW_CFG_UNCHANGED;
		m->has_publish = false;
		memset(&m->publish, 0, sizeof(m->publish));
		return GW_CFG_CHANGED;
	}
	if (req && req->opcode == MESH_OP_CFG_MODEL_PUB_VA_SET)
		label = req->model_pub.label;
	if (!status_address(db, m, st->pub_addr, label, &a)) {
		/* Heard without its request: the request's answer records it. */
		if (!req)
			return GW_CFG_UNCHANGED;
		*why = "a virtual address whose Label UUID is unknown";
		return -EINVAL;
	}
	publish_from_status(st, &a, &p);
	if (m->has_publish && memcmp(&p, &m->publish, sizeof(p)) == 0)
		return GW_CFG_UNCHANGED;
	m->has_publish = true;
	m->publish = p;
	return GW_CFG_CHANGED;
}

/* ---- heartbeats ------------------------------------------------------------- */

static int apply_hb_pub(struct netdb_node *node, const struct mesh_cfg_hb_pub *st)
{
	struct netdb_heartbeat_pub p = { 0 };
	uint32_t period_s = 0;

	if (st->status != MESH_CFG_SUCCESS)
		return GW_CFG_UNCHANGED;
	if (st->dst != MESH_ADDR_UNASSIGNED) {
		p.present = true;
		p.address = st->dst;
		if (mesh_cfg_hb_period_from_log(st->period_log, &period_s) < 0)
			period_s = 0;
		p.period_s = period_s;
		p.ttl = st->ttl;
		p.net_idx = st->net_idx;
		p.features = st->features;
	}
	if (memcmp(&p, &node->heartbeat_pub, sizeof(p)) == 0)
		return GW_CFG_UNCHANGED;
	node->heartbeat_pub = p;
	return GW_CFG_CHANGED;
}

static int apply_hb_sub(struct netdb_node *node, const struct mesh_cfg_hb_sub *st)
{
	struct netdb_heartbeat_sub *one;

	if (st->status != MESH_CFG_SUCCESS)
		return GW_CFG_UNCHANGED;
	if (st->src == MESH_ADDR_UNASSIGNED || st->dst == MESH_ADDR_UNASSIGNED) {
		if (node->n_heartbeat_sub == 0)
			return GW_CFG_UNCHANGED;
		node->n_heartbeat_sub = 0;
		return GW_CFG_CHANGED;
	}
	if (node->n_heartbeat_sub == 1 && node->heartbeat_sub[0].source == st->src &&
	    node->heartbeat_sub[0].destination == st->dst)
		return GW_CFG_UNCHANGED;
	one = realloc(node->heartbeat_sub, sizeof(*one));
	if (!one)
		return -ENOMEM;
	one->source = st->src;
	one->destination = st->dst;
	node->heartbeat_sub = one;
	node->n_heartbeat_sub = 1;
	return GW_CFG_CHANGED;
}

/* ---- dispatch --------------------------------------------------------------- */

int gw_cfg_apply(struct netdb *db, uint16_t src, const struct mesh_cfg_msg *request,
		 const struct mesh_cfg_msg *status, const char **why)
{
	struct netdb_node *node = netdb_node_by_address(db, src);
	const char *ignored;

	if (!why)
		why = &ignored;
	*why = NULL;
	if (!node) {
		*why = "the status comes from an address no node of the network has";
		return -ENOENT;
	}
	switch (status->opcode) {
	case MESH_OP_CFG_COMP_DATA_STATUS:
		return apply_comp(node, &status->comp_data, why);
	case MESH_OP_CFG_DEFAULT_TTL_STATUS:
		return apply_default_ttl(node, status->value);
	case MESH_OP_CFG_RELAY_STATUS:
		return apply_relay(node, &status->relay);
	case MESH_OP_CFG_NET_TRANSMIT_STATUS:
		return apply_net_transmit(node, status->value);
	case MESH_OP_CFG_BEACON_STATUS:
		return apply_beacon(node, status->value);
	case MESH_OP_CFG_GATT_PROXY_STATUS:
		return set_feature(&node->proxy, status->value);
	case MESH_OP_CFG_FRIEND_STATUS:
		return set_feature(&node->friend_, status->value);
	case MESH_OP_CFG_APPKEY_STATUS:
		return apply_app_key(node, request, &status->app_key);
	case MESH_OP_CFG_NETKEY_STATUS:
		return apply_net_key(node, request, &status->net_key);
	case MESH_OP_CFG_APPKEY_LIST:
		if (status->key_list.status != MESH_CFG_SUCCESS)
			return GW_CFG_UNCHANGED;
		return replace_key_refs(&node->app_keys, &node->n_app_keys, status->key_list.idx,
					status->key_list.n, app_key_under, db,
					status->key_list.net_idx);
	case MESH_OP_CFG_NETKEY_LIST:
		return replace_key_refs(&node->net_keys, &node->n_net_keys, status->key_list.idx,
					status->key_list.n, covers_every_net_key, db, 0);
	case MESH_OP_CFG_MODEL_APP_STATUS:
		return apply_model_app(node, request, &status->model_app, why);
	case MESH_OP_CFG_SIG_MODEL_APP_LIST:
	case MESH_OP_CFG_VND_MODEL_APP_LIST:
		return apply_model_app_list(node, &status->model_app_list, why);
	case MESH_OP_CFG_MODEL_SUB_STATUS:
		return apply_model_sub(db, node, request, &status->model_sub, why);
	case MESH_OP_CFG_SIG_MODEL_SUB_LIST:
	case MESH_OP_CFG_VND_MODEL_SUB_LIST:
		return apply_model_sub_list(db, node, &status->model_sub_list, why);
	case MESH_OP_CFG_MODEL_PUB_STATUS:
		return apply_model_pub(db, node, request, &status->model_pub, why);
	case MESH_OP_CFG_HB_PUB_STATUS:
		return apply_hb_pub(node, &status->hb_pub);
	case MESH_OP_CFG_HB_SUB_STATUS:
		return apply_hb_sub(node, &status->hb_sub);
	case MESH_OP_CFG_NODE_RESET_STATUS:
		return GW_CFG_NODE_RESET;
	default:
		return GW_CFG_UNCHANGED;
	}
}
