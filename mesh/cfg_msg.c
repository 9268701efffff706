/*
 * Configuration messages (Mesh Profile 4.3): one table of opcodes, one
 * writer and one reader per message shape, and one set of field rules
 * shared by both directions.
 *
 * The field rules (check_fields) run on the decoded struct: decoding maps
 * a broken rule to MESH_ERR_RESERVED, encoding to MESH_ERR_INVAL. Since
 * the decoder keeps every octet it reads (a 2-octet key index is stored
 * as read and then checked, never masked), whatever decodes encodes back
 * to the same octets.
 */
#include <string.h>

#include "addr.h"
#include "bytes.h"
#include "cfg_msg.h"
#include "err.h"
#include "util.h"

/* --- Opcode table -------------------------------------------------------- */

struct op_info {
	uint32_t opcode;
	uint32_t status_opcode;   /* requests: the answer; statuses: NONE */
	const char *name;
};

#define REQ(op, st, name) { (op), (st), (name) }
#define STS(op, name) { (op), MESH_CFG_OP_NONE, (name) }

static const struct op_info ops[] = {
	REQ(MESH_OP_CFG_COMP_DATA_GET, MESH_OP_CFG_COMP_DATA_STATUS, "Config Composition Data Get"),
	STS(MESH_OP_CFG_COMP_DATA_STATUS, "Config Composition Data Status"),
	REQ(MESH_OP_CFG_BEACON_GET, MESH_OP_CFG_BEACON_STATUS, "Config Beacon Get"),
	REQ(MESH_OP_CFG_BEACON_SET, MESH_OP_CFG_BEACON_STATUS, "Config Beacon Set"),
	STS(MESH_OP_CFG_BEACON_STATUS, "Config Beacon Status"),
	REQ(MESH_OP_CFG_DEFAULT_TTL_GET, MESH_OP_CFG_DEFAULT_TTL_STATUS, "Config Default TTL Get"),
	REQ(MESH_OP_CFG_DEFAULT_TTL_SET, MESH_OP_CFG_DEFAULT_TTL_STATUS, "Config Default TTL Set"),
	STS(MESH_OP_CFG_DEFAULT_TTL_STATUS, "Config Default TTL Status"),
	REQ(MESH_OP_CFG_GATT_PROXY_GET, MESH_OP_CFG_GATT_PROXY_STATUS, "Config GATT Proxy Get"),
	REQ(MESH_OP_CFG_GATT_PROXY_SET, MESH_OP_CFG_GATT_PROXY_STATUS, "Config GATT Proxy Set"),
	STS(MESH_OP_CFG_GATT_PROXY_STATUS, "Config GATT Proxy Status"),
	REQ(MESH_OP_CFG_FRIEND_GET, MESH_OP_CFG_FRIEND_STATUS, "Config Friend Get"),
	REQ(MESH_OP_CFG_FRIEND_SET, MESH_OP_CFG_FRIEND_STATUS, "Config Friend Set"),
	STS(MESH_OP_CFG_FRIEND_STATUS, "Config Friend Status"),
	REQ(MESH_OP_CFG_RELAY_GET, MESH_OP_CFG_RELAY_STATUS, "Config Relay Get"),
	REQ(MESH_OP_CFG_RELAY_SET, MESH_OP_CFG_RELAY_STATUS, "Config Relay Set"),
	STS(MESH_OP_CFG_RELAY_STATUS, "Config Relay Status"),
	REQ(MESH_OP_CFG_NET_TRANSMIT_GET, MESH_OP_CFG_NET_TRANSMIT_STATUS, "Config Network Transmit Get"),
	REQ(MESH_OP_CFG_NET_TRANSMIT_SET, MESH_OP_CFG_NET_TRANSMIT_STATUS, "Config Network Transmit Set"),
	STS(MESH_OP_CFG_NET_TRANSMIT_STATUS, "Config Network Transmit Status"),
	REQ(MESH_OP_CFG_NODE_IDENTITY_GET, MESH_OP_CFG_NODE_IDENTITY_STATUS, "Config Node Identity Get"),
	REQ(MESH_OP_CFG_NODE_IDENTITY_SET, MESH_OP_CFG_NODE_IDENTITY_STATUS, "Config Node Identity Set"),
	STS(MESH_OP_CFG_NODE_IDENTITY_STATUS, "Config Node Identity Status"),
	REQ(MESH_OP_CFG_KRP_GET, MESH_OP_CFG_KRP_STATUS, "Config Key Refresh Phase Get"),
	REQ(MESH_OP_CFG_KRP_SET, MESH_OP_CFG_KRP_STATUS, "Config Key Refresh Phase Set"),
	STS(MESH_OP_CFG_KRP_STATUS, "Config Key Refresh Phase Status"),
	REQ(MESH_OP_CFG_NETKEY_ADD, MESH_OP_CFG_NETKEY_STATUS, "Config NetKey Add"),
	REQ(MESH_OP_CFG_NETKEY_UPDATE, MESH_OP_CFG_NETKEY_STATUS, "Config NetKey Update"),
	REQ(MESH_OP_CFG_NETKEY_DELETE, MESH_OP_CFG_NETKEY_STATUS, "Config NetKey Delete"),
	STS(MESH_OP_CFG_NETKEY_STATUS, "Config NetKey Status"),
	REQ(MESH_OP_CFG_NETKEY_GET, MESH_OP_CFG_NETKEY_LIST, "Config NetKey Get"),
	STS(MESH_OP_CFG_NETKEY_LIST, "Config NetKey List"),
	REQ(MESH_OP_CFG_APPKEY_ADD, MESH_OP_CFG_APPKEY_STATUS, "Config AppKey Add"),
	REQ(MESH_OP_CFG_APPKEY_UPDATE, MESH_OP_CFG_APPKEY_STATUS, "Config AppKey Update"),
	REQ(MESH_OP_CFG_APPKEY_DELETE, MESH_OP_CFG_APPKEY_STATUS, "Config AppKey Delete"),
	STS(MESH_OP_CFG_APPKEY_STATUS, "Config AppKey Status"),
	REQ(MESH_OP_CFG_APPKEY_GET, MESH_OP_CFG_APPKEY_LIST, "Config AppKey Get"),
	STS(MESH_OP_CFG_APPKEY_LIST, "Config AppKey List"),
	REQ(MESH_OP_CFG_MODEL_APP_BIND, MESH_OP_CFG_MODEL_APP_STATUS, "Config Model App Bind"),
	REQ(MESH_OP_CFG_MODEL_APP_UNBIND, MESH_OP_CFG_MODEL_APP_STATUS, "Config Model App Unbind"),
	STS(MESH_OP_CFG_MODEL_APP_STATUS, "Config Model App Status"),
	REQ(MESH_OP_CFG_SIG_MODEL_APP_GET, MESH_OP_CFG_SIG_MODEL_APP_LIST, "Config SIG Model App Get"),
	STS(MESH_OP_CFG_SIG_MODEL_APP_LIST, "Config SIG Model App List"),
	REQ(MESH_OP_CFG_VND_MODEL_APP_GET, MESH_OP_CFG_VND_MODEL_APP_LIST, "Config Vendor Model App Get"),
	STS(MESH_OP_CFG_VND_MODEL_APP_LIST, "Config Vendor Model App List"),
	REQ(MESH_OP_CFG_MODEL_PUB_GET, MESH_OP_CFG_MODEL_PUB_STATUS, "Config Model Publication Get"),
	REQ(MESH_OP_CFG_MODEL_PUB_SET, MESH_OP_CFG_MODEL_PUB_STATUS, "Config Model Publication Set"),
	REQ(MESH_OP_CFG_MODEL_PUB_VA_SET, MESH_OP_CFG_MODEL_PUB_STATUS,
	    "Config Model Publication Virtual Address Set"),
	STS(MESH_OP_CFG_MODEL_PUB_STATUS, "Config Model Publication Status"),
	REQ(MESH_OP_CFG_MODEL_SUB_ADD, MESH_OP_CFG_MODEL_SUB_STATUS, "Config Model Subscription Add"),
	REQ(MESH_OP_CFG_MODEL_SUB_DELETE, MESH_OP_CFG_MODEL_SUB_STATUS,
	    "Config Model Subscription Delete"),
	REQ(MESH_OP_CFG_MODEL_SUB_OVERWRITE, MESH_OP_CFG_MODEL_SUB_STATUS,
	    "Config Model Subscription Overwrite"),
	REQ(MESH_OP_CFG_MODEL_SUB_DELETE_ALL, MESH_OP_CFG_MODEL_SUB_STATUS,
	    "Config Model Subscription Delete All"),
	REQ(MESH_OP_CFG_MODEL_SUB_VA_ADD, MESH_OP_CFG_MODEL_SUB_STATUS,
	    "Config Model Subscription Virtual Address Add"),
	REQ(MESH_OP_CFG_MODEL_SUB_VA_DELETE, MESH_OP_CFG_MODEL_SUB_STATUS,
	    "Config Model Subscription Virtual Address Delete"),
	REQ(MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE, MESH_OP_CFG_MODEL_SUB_STATUS,
	    "Config Model Subscription Virtual Address Overwrite"),
	STS(MESH_OP_CFG_MODEL_SUB_STATUS, "Config Model Subscription Status"),
	REQ(MESH_OP_CFG_SIG_MODEL_SUB_GET, MESH_OP_CFG_SIG_MODEL_SUB_LIST,
	    "Config SIG Model Subscription Get"),
	STS(MESH_OP_CFG_SIG_MODEL_SUB_LIST, "Config SIG Model Subscription List"),
	REQ(MESH_OP_CFG_VND_MODEL_SUB_GET, MESH_OP_CFG_VND_MODEL_SUB_LIST,
	    "Config Vendor Model Subscription Get"),
	STS(MESH_OP_CFG_VND_MODEL_SUB_LIST, "Config Vendor Model Subscription List"),
	REQ(MESH_OP_CFG_HB_PUB_GET, MESH_OP_CFG_HB_PUB_STATUS, "Config Heartbeat Publication Get"),
	REQ(MESH_OP_CFG_HB_PUB_SET, MESH_OP_CFG_HB_PUB_STATUS, "Config Heartbeat Publication Set"),
	STS(MESH_OP_CFG_HB_PUB_STATUS, "Config Heartbeat Publication Status"),
	REQ(MESH_OP_CFG_HB_SUB_GET, MESH_OP_CFG_HB_SUB_STATUS, "Config Heartbeat Subscription Get"),
	REQ(MESH_OP_CFG_HB_SUB_SET, MESH_OP_CFG_HB_SUB_STATUS, "Config Heartbeat Subscription Set"),
	STS(MESH_OP_CFG_HB_SUB_STATUS, "Config Heartbeat Subscription Status"),
	REQ(MESH_OP_CFG_NODE_RESET, MESH_OP_CFG_NODE_RESET_STATUS, "Config Node Reset"),
	STS(MESH_OP_CFG_NODE_RESET_STATUS, "Config Node Reset Status"),
};

static const struct op_info *op_find(uint32_t opcode)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(ops); i++)
		if (ops[i].opcode == opcode)
			return &ops[i];
	return NULL;
}

const char *mesh_cfg_opcode_name(uint32_t opcode)
{
	const struct op_info *o = op_find(opcode);

	return o ? o->name : "unknown";
}

bool mesh_cfg_is_cfg_opcode(uint32_t opcode)
{
	return op_find(opcode) != NULL;
}

bool mesh_cfg_is_request(uint32_t opcode)
{
	const struct op_info *o = op_find(opcode);

	return o && o->status_opcode != MESH_CFG_OP_NONE;
}

bool mesh_cfg_is_status(uint32_t opcode)
{
	const struct op_info *o = op_find(opcode);

	return o && o->status_opcode == MESH_CFG_OP_NONE;
}

uint32_t mesh_cfg_status_opcode_for(uint32_t request_opcode)
{
	const struct op_info *o = op_find(request_opcode);

	return o ? o->status_opcode : MESH_CFG_OP_NONE;
}

/* --- Status codes ---------------------------------------------------------- */

static const char *const status_names[] = {
	[MESH_CFG_SUCCESS] = "Success",
	[MESH_CFG_INVALID_ADDRESS] = "Invalid Address",
	[MESH_CFG_INVALID_MODEL] = "Invalid Model",
	[MESH_CFG_INVALID_APPKEY] = "Invalid AppKey Index",
	[MESH_CFG_INVALID_NETKEY] = "Invalid NetKey Index",
	[MESH_CFG_INSUFFICIENT_RESOURCES] = "Insufficient Resources",
	[MESH_CFG_KEY_INDEX_ALREADY_STORED] = "Key Index Already Stored",
	[MESH_CFG_INVALID_PUB_PARAMS] = "Invalid Publish Parameters",
	[MESH_CFG_NOT_A_SUB_MODEL] = "Not a Subscribe Model",
	[MESH_CFG_STORAGE_FAILURE] = "Storage Failure",
	[MESH_CFG_FEATURE_NOT_SUPPORTED] = "Feature Not Supported",
	[MESH_CFG_CANNOT_UPDATE] = "Cannot Update",
	[MESH_CFG_CANNOT_REMOVE] = "Cannot Remove",
	[MESH_CFG_CANNOT_BIND] = "Cannot Bind",
	[MESH_CFG_TEMP_UNABLE_TO_CHANGE] = "Temporarily Unable to Change State",
	[MESH_CFG_CANNOT_SET] = "Cannot Set",
	[MESH_CFG_UNSPECIFIED_ERROR] = "Unspecified Error",
	[MESH_CFG_INVALID_BINDING] = "Invalid Binding",
};

const char *mesh_cfg_status_str(uint8_t status)
{
	if (status < MESH_ARRAY_SIZE(status_names))
		return status_names[status];
	return "RFU";
}

/* --- Key index pairs (4.3.1.1) --------------------------------------------- */

void mesh_cfg_key_idx_pack(uint16_t a, uint16_t b, uint8_t out[3])
{
	uint32_t v = (uint32_t)(a & MESH_CFG_KEY_IDX_MAX) |
		     (uint32_t)(b & MESH_CFG_KEY_IDX_MAX) << 12;

	out[0] = (uint8_t)v;
	out[1] = (uint8_t)(v >> 8);
	out[2] = (uint8_t)(v >> 16);
}

void mesh_cfg_key_idx_unpack(const uint8_t in[3], uint16_t *a, uint16_t *b)
{
	uint32_t v = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16;

	*a = (uint16_t)(v & MESH_CFG_KEY_IDX_MAX);
	*b = (uint16_t)(v >> 12);
}

/* --- Writer and reader ------------------------------------------------------ */

struct writer {
	uint8_t *p;
	size_t len;
	size_t max;
	bool overflow;
};

static void put_bytes(struct writer *w, const void *src, size_t n)
{
	if (w->overflow || w->max - w->len < n) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void put_u8(struct writer *w, uint8_t v)
{
	put_bytes(w, &v, 1);
}

static void put_le16(struct writer *w, uint16_t v)
{
	uint8_t b[2];

	mesh_put_le16(b, v);
	put_bytes(w, b, 2);
}

static void put_idx_pair(struct writer *w, uint16_t a, uint16_t b)
{
	uint8_t p[3];

	mesh_cfg_key_idx_pack(a, b, p);
	put_bytes(w, p, 3);
}

static void put_model(struct writer *w, struct mesh_model_id m)
{
	uint8_t b[4];
	int n = mesh_model_id_encode(m, b, sizeof(b));

	if (n > 0)
		put_bytes(w, b, (size_t)n);
}

/* Pairs, then a lone last index in 2 octets (4.3.1.1). */
static void put_idx_list(struct writer *w, const uint16_t *idx, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		put_idx_pair(w, idx[i], idx[i + 1]);
	if (i < n)
		put_le16(w, idx[i]);
}

struct reader {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool truncated;
};

static size_t rest(const struct reader *r)
{
	return r->len - r->off;
}

static const uint8_t *take(struct reader *r, size_t n)
{
	const uint8_t *at;

	if (r->truncated || rest(r) < n) {
		r->truncated = true;
		return NULL;
	}
	at = r->p + r->off;
	r->off += n;
	return at;
}

static uint8_t get_u8(struct reader *r)
{
	const uint8_t *b = take(r, 1);

	return b ? b[0] : 0;
}

static uint16_t get_le16(struct reader *r)
{
	const uint8_t *b = take(r, 2);

	return b ? mesh_get_le16(b) : 0;
}

static void get_bytes(struct reader *r, uint8_t *dst, size_t n)
{
	const uint8_t *b = take(r, n);

	if (b)
		memcpy(dst, b, n);
}

static void get_idx_pair(struct reader *r, uint16_t *a, uint16_t *b)
{
	const uint8_t *p = take(r, 3);

	if (p)
		mesh_cfg_key_idx_unpack(p, a, b);
}

enum model_form { MODEL_ANY, MODEL_SIG, MODEL_VND };

/*
 * The model ID that ends a message: the rest of the parameters, 2 octets
 * (SIG) or 4 (vendor), as form allows. The length decides, so this is
 * also the final length check of such messages.
 */
static int get_model_last(struct reader *r, enum model_form form, struct mesh_model_id *m)
{
	size_t want_min = form == MODEL_VND ? 4 : 2;
	size_t want_max = form == MODEL_SIG ? 2 : 4;
	size_t n;

	if (r->truncated)
		return MESH_ERR_TRUNCATED;
	n = rest(r);
	if (n < want_min || (form == MODEL_ANY && n == 3))
		return MESH_ERR_TRUNCATED;
	if (n > want_max)
		return MESH_ERR_OVERSIZED;
	r->off += n;
	return mesh_model_id_decode(r->p + r->off - n, n, m);
}

/* A model ID followed by a list: the opcode says which form it has. */
static int get_model_fixed(struct reader *r, enum model_form form, struct mesh_model_id *m)
{
	size_t n = form == MODEL_VND ? 4 : 2;
	const uint8_t *b = take(r, n);

	if (!b)
		return MESH_ERR_TRUNCATED;
	return mesh_model_id_decode(b, n, m);
}

static int get_idx_list(struct reader *r, uint16_t *idx, uint16_t *n)
{
	size_t len;

	if (r->truncated)
		return MESH_ERR_TRUNCATED;
	len = rest(r);
	if (len % 3 == 1)
		return MESH_ERR_MALFORMED;
	if (len / 3 * 2 + (len % 3 ? 1 : 0) > MESH_CFG_KEY_LIST_MAX)
		return MESH_ERR_OVERSIZED;
	*n = 0;
	while (rest(r) >= 3) {
		get_idx_pair(r, &idx[*n], &idx[*n + 1]);
		*n += 2;
	}
	if (rest(r) == 2)
		idx[(*n)++] = get_le16(r);
	return 0;
}

static int get_addr_list(struct reader *r, uint16_t *addr, uint16_t *n)
{
	size_t len;

	if (r->truncated)
		return MESH_ERR_TRUNCATED;
	len = rest(r);
	if (len % 2)
		return MESH_ERR_MALFORMED;
	if (len / 2 > MESH_CFG_ADDR_LIST_MAX)
		return MESH_ERR_OVERSIZED;
	for (*n = 0; rest(r) >= 2; (*n)++)
		addr[*n] = get_le16(r);
	return 0;
}

/* --- Field rules ---------------------------------------------------------- */

static bool idx_ok(uint16_t idx)
{
	return idx <= MESH_CFG_KEY_IDX_MAX;
}

static bool idx_list_ok(const uint16_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!idx_ok(idx[i]))
			return false;
	return true;
}

static bool on_off_ok(uint8_t v)
{
	return v <= MESH_CFG_ENABLED;
}

static bool tristate_ok(uint8_t v)
{
	return v <= MESH_CFG_NOT_SUPPORTED;
}

static bool default_ttl_ok(uint8_t ttl)
{
	return ttl != 0x01 && ttl <= MESH_CFG_TTL_MAX;
}

static bool pub_ttl_ok(uint8_t ttl)
{
	return ttl <= MESH_CFG_TTL_MAX || ttl == MESH_CFG_PUB_TTL_DEFAULT;
}

static bool hb_count_log_ok(uint8_t log)
{
	return log <= MESH_CFG_HB_LOG_MAX || log == MESH_CFG_HB_COUNT_LOG_INFINITE;
}

static bool hb_period_log_ok(uint8_t log)
{
	return log <= MESH_CFG_HB_LOG_MAX;
}

/* Model Subscription Add/Delete/Overwrite: 4.3.2.19 and following forbid
 * unassigned, unicast, virtual and all-nodes; other groups may be added. */
static bool sub_addr_ok(uint16_t addr)
{
	return mesh_addr_is_group(addr) && addr != MESH_ADDR_ALL_NODES;
}

/* Heartbeat Publication Destination (4.2.17.1) and Subscription
 * Destination (4.2.18.2): unassigned, unicast or group. */
static bool hb_dst_ok(uint16_t dst)
{
	return !mesh_addr_is_virtual(dst);
}

/* Heartbeat Subscription Source (4.2.18.1): unassigned or unicast. */
static bool hb_src_ok(uint16_t src)
{
	return mesh_addr_is_unassigned(src) || mesh_addr_is_unicast(src);
}

static bool model_form_ok(struct mesh_model_id m, bool vendor)
{
	return m.vendor == vendor;
}

static bool hb_pub_ok(const struct mesh_cfg_hb_pub *h)
{
	return hb_dst_ok(h->dst) && hb_count_log_ok(h->count_log) &&
	       hb_period_log_ok(h->period_log) && h->ttl <= MESH_CFG_TTL_MAX &&
	       idx_ok(h->net_idx);
}

static bool hb_sub_status_ok(const struct mesh_cfg_hb_sub *h)
{
	return hb_src_ok(h->src) && hb_dst_ok(h->dst) && hb_period_log_ok(h->period_log) &&
	       hb_count_log_ok(h->count_log) && h->min_hops <= MESH_CFG_TTL_MAX &&
	       h->max_hops <= MESH_CFG_TTL_MAX;
}

static bool pub_ok(const struct mesh_cfg_model_pub *p)
{
	return idx_ok(p->app_idx) && pub_ttl_ok(p->ttl);
}

/* Is every field of m a value its opcode allows? */
static bool fields_ok(const struct mesh_cfg_msg *m)
{
	switch (m->opcode) {
	case MESH_OP_CFG_BEACON_SET:
	case MESH_OP_CFG_BEACON_STATUS:
	case MESH_OP_CFG_GATT_PROXY_SET:
	case MESH_OP_CFG_FRIEND_SET:
		return on_off_ok(m->value);
	case MESH_OP_CFG_GATT_PROXY_STATUS:
	case MESH_OP_CFG_FRIEND_STATUS:
		return tristate_ok(m->value);
	case MESH_OP_CFG_DEFAULT_TTL_SET:
	case MESH_OP_CFG_DEFAULT_TTL_STATUS:
		return default_ttl_ok(m->value);
	case MESH_OP_CFG_RELAY_SET:
		return on_off_ok(m->relay.relay);
	case MESH_OP_CFG_RELAY_STATUS:
		return tristate_ok(m->relay.relay);
	case MESH_OP_CFG_NODE_IDENTITY_GET:
		return idx_ok(m->node_identity.net_idx);
	case MESH_OP_CFG_NODE_IDENTITY_SET:
		return idx_ok(m->node_identity.net_idx) && on_off_ok(m->node_identity.identity);
	case MESH_OP_CFG_NODE_IDENTITY_STATUS:
		return idx_ok(m->node_identity.net_idx) && tristate_ok(m->node_identity.identity);
	case MESH_OP_CFG_KRP_GET:
		return idx_ok(m->krp.net_idx);
	case MESH_OP_CFG_KRP_SET:
		return idx_ok(m->krp.net_idx) && (m->krp.phase == MESH_CFG_KR_TRANSITION_2 ||
						  m->krp.phase == MESH_CFG_KR_TRANSITION_3);
	case MESH_OP_CFG_KRP_STATUS:
		return idx_ok(m->krp.net_idx) && m->krp.phase <= MESH_CFG_KR_PHASE_2;
	case MESH_OP_CFG_NETKEY_ADD:
	case MESH_OP_CFG_NETKEY_UPDATE:
	case MESH_OP_CFG_NETKEY_DELETE:
	case MESH_OP_CFG_NETKEY_STATUS:
		return idx_ok(m->net_key.net_idx);
	case MESH_OP_CFG_APPKEY_ADD:
	case MESH_OP_CFG_APPKEY_UPDATE:
	case MESH_OP_CFG_APPKEY_DELETE:
	case MESH_OP_CFG_APPKEY_STATUS:
		return idx_ok(m->app_key.net_idx) && idx_ok(m->app_key.app_idx);
	case MESH_OP_CFG_NETKEY_LIST:
		return m->key_list.n <= MESH_CFG_KEY_LIST_MAX &&
		       idx_list_ok(m->key_list.idx, m->key_list.n);
	case MESH_OP_CFG_APPKEY_GET:
		return idx_ok(m->key_list.net_idx);
	case MESH_OP_CFG_APPKEY_LIST:
		return idx_ok(m->key_list.net_idx) && m->key_list.n <= MESH_CFG_KEY_LIST_MAX &&
		       idx_list_ok(m->key_list.idx, m->key_list.n);
	case MESH_OP_CFG_MODEL_APP_BIND:
	case MESH_OP_CFG_MODEL_APP_UNBIND:
	case MESH_OP_CFG_MODEL_APP_STATUS:
		return idx_ok(m->model_app.app_idx);
	case MESH_OP_CFG_SIG_MODEL_APP_GET:
	case MESH_OP_CFG_VND_MODEL_APP_GET:
		return model_form_ok(m->model_app_list.model,
				     m->opcode == MESH_OP_CFG_VND_MODEL_APP_GET);
	case MESH_OP_CFG_SIG_MODEL_APP_LIST:
	case MESH_OP_CFG_VND_MODEL_APP_LIST:
		return model_form_ok(m->model_app_list.model,
				     m->opcode == MESH_OP_CFG_VND_MODEL_APP_LIST) &&
		       m->model_app_list.n <= MESH_CFG_KEY_LIST_MAX &&
		       idx_list_ok(m->model_app_list.app_idx, m->model_app_list.n);
	case MESH_OP_CFG_MODEL_PUB_SET:
		/* 4.3.2.16: the Virtual Address Set carries virtual addresses. */
		return pub_ok(&m->model_pub) && !mesh_addr_is_virtual(m->model_pub.pub_addr);
	case MESH_OP_CFG_MODEL_PUB_VA_SET:
	case MESH_OP_CFG_MODEL_PUB_STATUS:
		return pub_ok(&m->model_pub);
	case MESH_OP_CFG_MODEL_SUB_ADD:
	case MESH_OP_CFG_MODEL_SUB_DELETE:
	case MESH_OP_CFG_MODEL_SUB_OVERWRITE:
		return sub_addr_ok(m->model_sub.addr);
	case MESH_OP_CFG_SIG_MODEL_SUB_GET:
	case MESH_OP_CFG_VND_MODEL_SUB_GET:
		return model_form_ok(m->model_sub_list.model,
				     m->opcode == MESH_OP_CFG_VND_MODEL_SUB_GET);
	case MESH_OP_CFG_SIG_MODEL_SUB_LIST:
	case MESH_OP_CFG_VND_MODEL_SUB_LIST:
		return model_form_ok(m->model_sub_list.model,
				     m->opcode == MESH_OP_CFG_VND_MODEL_SUB_LIST) &&
		       m->model_sub_list.n <= MESH_CFG_ADDR_LIST_MAX;
	case MESH_OP_CFG_HB_PUB_SET:
	case MESH_OP_CFG_HB_PUB_STATUS:
		return hb_pub_ok(&m->hb_pub);
	case MESH_OP_CFG_HB_SUB_SET:
		return hb_src_ok(m->hb_sub.src) && hb_dst_ok(m->hb_sub.dst) &&
		       hb_period_log_ok(m->hb_sub.period_log);
	case MESH_OP_CFG_HB_SUB_STATUS:
		return hb_sub_status_ok(&m->hb_sub);
	case MESH_OP_CFG_COMP_DATA_STATUS:
		return m->comp_data.len <= MESH_CFG_COMP_DATA_MAX;
	default:
		return true;
	}
}

/* --- Writing parameters ------------------------------------------------------ */

static void put_pub_fields(struct writer *w, const struct mesh_cfg_model_pub *p)
{
	put_le16(w, (uint16_t)(p->app_idx | (p->cred_flag ? 1u << 12 : 0)));
	put_u8(w, p->ttl);
	put_u8(w, p->period);
	put_u8(w, p->retransmit);
}

static void put_model_pub(struct writer *w, const struct mesh_cfg_msg *m)
{
	const struct mesh_cfg_model_pub *p = &m->model_pub;

	if (m->opcode == MESH_OP_CFG_MODEL_PUB_STATUS)
		put_u8(w, p->status);
	put_le16(w, p->elem_addr);
	if (m->opcode == MESH_OP_CFG_MODEL_PUB_VA_SET)
		put_bytes(w, p->label, sizeof(p->label));
	else if (m->opcode != MESH_OP_CFG_MODEL_PUB_GET)
		put_le16(w, p->pub_addr);
	if (m->opcode != MESH_OP_CFG_MODEL_PUB_GET)
		put_pub_fields(w, p);
	put_model(w, p->model);
}

static void put_model_sub(struct writer *w, const struct mesh_cfg_msg *m)
{
	const struct mesh_cfg_model_sub *s = &m->model_sub;

	switch (m->opcode) {
	case MESH_OP_CFG_MODEL_SUB_STATUS:
		put_u8(w, s->status);
		/* fall through */
	case MESH_OP_CFG_MODEL_SUB_ADD:
	case MESH_OP_CFG_MODEL_SUB_DELETE:
	case MESH_OP_CFG_MODEL_SUB_OVERWRITE:
		put_le16(w, s->elem_addr);
		put_le16(w, s->addr);
		break;
	case MESH_OP_CFG_MODEL_SUB_VA_ADD:
	case MESH_OP_CFG_MODEL_SUB_VA_DELETE:
	case MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE:
		put_le16(w, s->elem_addr);
		put_bytes(w, s->label, sizeof(s->label));
		break;
	default: /* Delete All */
		put_le16(w, s->elem_addr);
		break;
	}
	put_model(w, s->model);
}

static void put_hb_pub(struct writer *w, const struct mesh_cfg_msg *m)
{
	const struct mesh_cfg_hb_pub *h = &m->hb_pub;

	if (m->opcode == MESH_OP_CFG_HB_PUB_STATUS)
		put_u8(w, h->status);
	put_le16(w, h->dst);
	put_u8(w, h->count_log);
	put_u8(w, h->period_log);
	put_u8(w, h->ttl);
	put_le16(w, h->features);
	put_le16(w, h->net_idx);
}

static void put_hb_sub(struct writer *w, const struct mesh_cfg_msg *m)
{
	const struct mesh_cfg_hb_sub *h = &m->hb_sub;
	bool status = m->opcode == MESH_OP_CFG_HB_SUB_STATUS;

	if (status)
		put_u8(w, h->status);
	put_le16(w, h->src);
	put_le16(w, h->dst);
	put_u8(w, h->period_log);
	if (status) {
		put_u8(w, h->count_log);
		put_u8(w, h->min_hops);
		put_u8(w, h->max_hops);
	}
}

static void put_keys(struct writer *w, const struct mesh_cfg_msg *m)
{
	switch (m->opcode) {
	case MESH_OP_CFG_NETKEY_ADD:
	case MESH_OP_CFG_NETKEY_UPDATE:
		put_le16(w, m->net_key.net_idx);
		put_bytes(w, m->net_key.key, MESH_CFG_KEY_LEN);
		break;
	case MESH_OP_CFG_NETKEY_DELETE:
		put_le16(w, m->net_key.net_idx);
		break;
	case MESH_OP_CFG_NETKEY_STATUS:
		put_u8(w, m->net_key.status);
		put_le16(w, m->net_key.net_idx);
		break;
	case MESH_OP_CFG_APPKEY_ADD:
	case MESH_OP_CFG_APPKEY_UPDATE:
		put_idx_pair(w, m->app_key.net_idx, m->app_key.app_idx);
		put_bytes(w, m->app_key.key, MESH_CFG_KEY_LEN);
		break;
	case MESH_OP_CFG_APPKEY_DELETE:
		put_idx_pair(w, m->app_key.net_idx, m->app_key.app_idx);
		break;
	case MESH_OP_CFG_APPKEY_STATUS:
		put_u8(w, m->app_key.status);
		put_idx_pair(w, m->app_key.net_idx, m->app_key.app_idx);
		break;
	case MESH_OP_CFG_NETKEY_LIST:
		put_idx_list(w, m->key_list.idx, m->key_list.n);
		break;
	case MESH_OP_CFG_APPKEY_GET:
		put_le16(w, m->key_list.net_idx);
		break;
	case MESH_OP_CFG_APPKEY_LIST:
		put_u8(w, m->key_list.status);
		put_le16(w, m->key_list.net_idx);
		put_idx_list(w, m->key_list.idx, m->key_list.n);
		break;
	}
}

static void put_model_app(struct writer *w, const struct mesh_cfg_msg *m)
{
	const struct mesh_cfg_model_app *a = &m->model_app;
	const struct mesh_cfg_model_app_list *l = &m->model_app_list;

	switch (m->opcode) {
	case MESH_OP_CFG_MODEL_APP_STATUS:
		put_u8(w, a->status);
		/* fall through */
	case MESH_OP_CFG_MODEL_APP_BIND:
	case MESH_OP_CFG_MODEL_APP_UNBIND:
		put_le16(w, a->elem_addr);
		put_le16(w, a->app_idx);
		put_model(w, a->model);
		break;
	case MESH_OP_CFG_SIG_MODEL_APP_GET:
	case MESH_OP_CFG_VND_MODEL_APP_GET:
		put_le16(w, l->elem_addr);
		put_model(w, l->model);
		break;
	default: /* SIG / Vendor Model App List */
		put_u8(w, l->status);
		put_le16(w, l->elem_addr);
		put_model(w, l->model);
		put_idx_list(w, l->app_idx, l->n);
		break;
	}
}

static void put_sub_list(struct writer *w, const struct mesh_cfg_msg *m)
{
	const struct mesh_cfg_model_sub_list *l = &m->model_sub_list;
	bool list = m->opcode == MESH_OP_CFG_SIG_MODEL_SUB_LIST ||
		    m->opcode == MESH_OP_CFG_VND_MODEL_SUB_LIST;

	if (list)
		put_u8(w, l->status);
	put_le16(w, l->elem_addr);
	put_model(w, l->model);
	if (list)
		for (size_t i = 0; i < l->n; i++)
			put_le16(w, l->addr[i]);
}

/* The one-octet and small state messages. */
static void put_state(struct writer *w, const struct mesh_cfg_msg *m)
{
	switch (m->opcode) {
	case MESH_OP_CFG_COMP_DATA_GET:
		put_u8(w, m->comp_data.page);
		break;
	case MESH_OP_CFG_COMP_DATA_STATUS:
		put_u8(w, m->comp_data.page);
		put_bytes(w, m->comp_data.data, m->comp_data.len);
		break;
	case MESH_OP_CFG_BEACON_SET:
	case MESH_OP_CFG_BEACON_STATUS:
	case MESH_OP_CFG_DEFAULT_TTL_SET:
	case MESH_OP_CFG_DEFAULT_TTL_STATUS:
	case MESH_OP_CFG_GATT_PROXY_SET:
	case MESH_OP_CFG_GATT_PROXY_STATUS:
	case MESH_OP_CFG_FRIEND_SET:
	case MESH_OP_CFG_FRIEND_STATUS:
	case MESH_OP_CFG_NET_TRANSMIT_SET:
	case MESH_OP_CFG_NET_TRANSMIT_STATUS:
		put_u8(w, m->value);
		break;
	case MESH_OP_CFG_RELAY_SET:
	case MESH_OP_CFG_RELAY_STATUS:
		put_u8(w, m->relay.relay);
		put_u8(w, m->relay.retransmit);
		break;
	case MESH_OP_CFG_NODE_IDENTITY_STATUS:
		put_u8(w, m->node_identity.status);
		/* fall through */
	case MESH_OP_CFG_NODE_IDENTITY_GET:
	case MESH_OP_CFG_NODE_IDENTITY_SET:
		put_le16(w, m->node_identity.net_idx);
		if (m->opcode != MESH_OP_CFG_NODE_IDENTITY_GET)
			put_u8(w, m->node_identity.identity);
		break;
	case MESH_OP_CFG_KRP_STATUS:
		put_u8(w, m->krp.status);
		/* fall through */
	case MESH_OP_CFG_KRP_GET:
	case MESH_OP_CFG_KRP_SET:
		put_le16(w, m->krp.net_idx);
		if (m->opcode != MESH_OP_CFG_KRP_GET)
			put_u8(w, m->krp.phase);
		break;
	}
}

/* Which writer/reader family an opcode belongs to. */
enum family { FAM_STATE, FAM_KEYS, FAM_MODEL_APP, FAM_PUB, FAM_SUB, FAM_SUB_LIST,
	      FAM_HB_PUB, FAM_HB_SUB };

static enum family family_of(uint32_t op)
{
	switch (op) {
	case MESH_OP_CFG_NETKEY_ADD: case MESH_OP_CFG_NETKEY_UPDATE:
	case MESH_OP_CFG_NETKEY_DELETE: case MESH_OP_CFG_NETKEY_STATUS:
	case MESH_OP_CFG_NETKEY_LIST: case MESH_OP_CFG_APPKEY_ADD:
	case MESH_OP_CFG_APPKEY_UPDATE: case MESH_OP_CFG_APPKEY_DELETE:
	case MESH_OP_CFG_APPKEY_STATUS: case MESH_OP_CFG_APPKEY_GET:
	case MESH_OP_CFG_APPKEY_LIST:
		return FAM_KEYS;
	case MESH_OP_CFG_MODEL_APP_BIND: case MESH_OP_CFG_MODEL_APP_UNBIND:
	case MESH_OP_CFG_MODEL_APP_STATUS: case MESH_OP_CFG_SIG_MODEL_APP_GET:
	case MESH_OP_CFG_VND_MODEL_APP_GET: case MESH_OP_CFG_SIG_MODEL_APP_LIST:
	case MESH_OP_CFG_VND_MODEL_APP_LIST:
		return FAM_MODEL_APP;
	case MESH_OP_CFG_MODEL_PUB_GET: case MESH_OP_CFG_MODEL_PUB_SET:
	case MESH_OP_CFG_MODEL_PUB_VA_SET: case MESH_OP_CFG_MODEL_PUB_STATUS:
		return FAM_PUB;
	case MESH_OP_CFG_MODEL_SUB_ADD: case MESH_OP_CFG_MODEL_SUB_DELETE:
	case MESH_OP_CFG_MODEL_SUB_OVERWRITE: case MESH_OP_CFG_MODEL_SUB_DELETE_ALL:
	case MESH_OP_CFG_MODEL_SUB_VA_ADD: case MESH_OP_CFG_MODEL_SUB_VA_DELETE:
	case MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE: case MESH_OP_CFG_MODEL_SUB_STATUS:
		return FAM_SUB;
	case MESH_OP_CFG_SIG_MODEL_SUB_GET: case MESH_OP_CFG_VND_MODEL_SUB_GET:
	case MESH_OP_CFG_SIG_MODEL_SUB_LIST: case MESH_OP_CFG_VND_MODEL_SUB_LIST:
		return FAM_SUB_LIST;
	case MESH_OP_CFG_HB_PUB_SET: case MESH_OP_CFG_HB_PUB_STATUS:
		return FAM_HB_PUB;
	case MESH_OP_CFG_HB_SUB_SET: case MESH_OP_CFG_HB_SUB_STATUS:
		return FAM_HB_SUB;
	default:
		return FAM_STATE;
	}
}

static void put_params(struct writer *w, const struct mesh_cfg_msg *m)
{
	switch (family_of(m->opcode)) {
	case FAM_STATE: put_state(w, m); break;
	case FAM_KEYS: put_keys(w, m); break;
	case FAM_MODEL_APP: put_model_app(w, m); break;
	case FAM_PUB: put_model_pub(w, m); break;
	case FAM_SUB: put_model_sub(w, m); break;
	case FAM_SUB_LIST: put_sub_list(w, m); break;
	case FAM_HB_PUB: put_hb_pub(w, m); break;
	case FAM_HB_SUB: put_hb_sub(w, m); break;
	}
}

int mesh_cfg_encode(const struct mesh_cfg_msg *msg, uint8_t *out, size_t max)
{
	struct writer w = { .p = out, .max = max };
	int n;

	if (!mesh_cfg_is_cfg_opcode(msg->opcode))
		return MESH_ERR_OPCODE;
	if (!fields_ok(msg))
		return MESH_ERR_INVAL;
	n = mesh_access_opcode_encode(msg->opcode, out, max);
	if (n < 0)
		return n;
	w.len = (size_t)n;
	put_params(&w, msg);
	if (w.overflow)
		return MESH_ERR_OVERSIZED;
	if (w.len > MESH_ACCESS_MAX_PAYLOAD)
		return MESH_ERR_OVERSIZED;
	return (int)w.len;
}

/* --- Reading parameters ------------------------------------------------------ */

/* Every octet read and nothing missing. */
static int finish(const struct reader *r)
{
	if (r->truncated)
		return MESH_ERR_TRUNCATED;
	return rest(r) ? MESH_ERR_OVERSIZED : 0;
}

static int get_state(struct reader *r, struct mesh_cfg_msg *m)
{
	switch (m->opcode) {
	case MESH_OP_CFG_COMP_DATA_GET:
		m->comp_data.page = get_u8(r);
		break;
	case MESH_OP_CFG_COMP_DATA_STATUS:
		m->comp_data.page = get_u8(r);
		if (r->truncated)
			break;
		if (rest(r) > MESH_CFG_COMP_DATA_MAX)
			return MESH_ERR_OVERSIZED;
		m->comp_data.len = (uint16_t)rest(r);
		get_bytes(r, m->comp_data.data, m->comp_data.len);
		break;
	case MESH_OP_CFG_BEACON_SET:
	case MESH_OP_CFG_BEACON_STATUS:
	case MESH_OP_CFG_DEFAULT_TTL_SET:
	case MESH_OP_CFG_DEFAULT_TTL_STATUS:
	case MESH_OP_CFG_GATT_PROXY_SET:
	case MESH_OP_CFG_GATT_PROXY_STATUS:
	case MESH_OP_CFG_FRIEND_SET:
	case MESH_OP_CFG_FRIEND_STATUS:
	case MESH_OP_CFG_NET_TRANSMIT_SET:
	case MESH_OP_CFG_NET_TRANSMIT_STATUS:
		m->value = get_u8(r);
		break;
	case MESH_OP_CFG_RELAY_SET:
	case MESH_OP_CFG_RELAY_STATUS:
		m->relay.relay = get_u8(r);
		m->relay.retransmit = get_u8(r);
		break;
	case MESH_OP_CFG_NODE_IDENTITY_STATUS:
		m->node_identity.status = get_u8(r);
		/* fall through */
	case MESH_OP_CFG_NODE_IDENTITY_GET:
	case MESH_OP_CFG_NODE_IDENTITY_SET:
		m->node_identity.net_idx = get_le16(r);
		if (m->opcode != MESH_OP_CFG_NODE_IDENTITY_GET)
			m->node_identity.identity = get_u8(r);
		break;
	case MESH_OP_CFG_KRP_STATUS:
		m->krp.status = get_u8(r);
		/* fall through */
	case MESH_OP_CFG_KRP_GET:
	case MESH_OP_CFG_KRP_SET:
		m->krp.net_idx = get_le16(r);
		if (m->opcode != MESH_OP_CFG_KRP_GET)
			m->krp.phase = get_u8(r);
		break;
	}
	return finish(r);
}

static int get_keys(struct reader *r, struct mesh_cfg_msg *m)
{
	int err;

	switch (m->opcode) {
	case MESH_OP_CFG_NETKEY_ADD:
	case MESH_OP_CFG_NETKEY_UPDATE:
		m->net_key.net_idx = get_le16(r);
		get_bytes(r, m->net_key.key, MESH_CFG_KEY_LEN);
		break;
	case MESH_OP_CFG_NETKEY_DELETE:
		m->net_key.net_idx = get_le16(r);
		break;
	case MESH_OP_CFG_NETKEY_STATUS:
		m->net_key.status = get_u8(r);
		m->net_key.net_idx = get_le16(r);
		break;
	case MESH_OP_CFG_APPKEY_ADD:
	case MESH_OP_CFG_APPKEY_UPDATE:
		get_idx_pair(r, &m->app_key.net_idx, &m->app_key.app_idx);
		get_bytes(r, m->app_key.key, MESH_CFG_KEY_LEN);
		break;
	case MESH_OP_CFG_APPKEY_DELETE:
		get_idx_pair(r, &m->app_key.net_idx, &m->app_key.app_idx);
		break;
	case MESH_OP_CFG_APPKEY_STATUS:
		m->app_key.status = get_u8(r);
		get_idx_pair(r, &m->app_key.net_idx, &m->app_key.app_idx);
		break;
	case MESH_OP_CFG_NETKEY_LIST:
		return get_idx_list(r, m->key_list.idx, &m->key_list.n);
	case MESH_OP_CFG_APPKEY_GET:
		m->key_list.net_idx = get_le16(r);
		break;
	case MESH_OP_CFG_APPKEY_LIST:
		m->key_list.status = get_u8(r);
		m->key_list.net_idx = get_le16(r);
		err = get_idx_list(r, m->key_list.idx, &m->key_list.n);
		if (err)
			return err;
		break;
	}
	return finish(r);
}

static int get_model_app(struct reader *r, struct mesh_cfg_msg *m)
{
	struct mesh_cfg_model_app *a = &m->model_app;
	struct mesh_cfg_model_app_list *l = &m->model_app_list;
	bool vnd = m->opcode == MESH_OP_CFG_VND_MODEL_APP_GET ||
		   m->opcode == MESH_OP_CFG_VND_MODEL_APP_LIST;
	int err;

	switch (m->opcode) {
	case MESH_OP_CFG_MODEL_APP_STATUS:
		a->status = get_u8(r);
		/* fall through */
	case MESH_OP_CFG_MODEL_APP_BIND:
	case MESH_OP_CFG_MODEL_APP_UNBIND:
		a->elem_addr = get_le16(r);
		a->app_idx = get_le16(r);
		return get_model_last(r, MODEL_ANY, &a->model);
	case MESH_OP_CFG_SIG_MODEL_APP_GET:
	case MESH_OP_CFG_VND_MODEL_APP_GET:
		l->elem_addr = get_le16(r);
		return get_model_last(r, vnd ? MODEL_VND : MODEL_SIG, &l->model);
	default: /* SIG / Vendor Model App List */
		l->status = get_u8(r);
		l->elem_addr = get_le16(r);
		err = get_model_fixed(r, vnd ? MODEL_VND : MODEL_SIG, &l->model);
		if (err)
			return err;
		return get_idx_list(r, l->app_idx, &l->n);
	}
}

static int get_model_pub(struct reader *r, struct mesh_cfg_msg *m)
{
	struct mesh_cfg_model_pub *p = &m->model_pub;
	uint16_t idx_flags;

	if (m->opcode == MESH_OP_CFG_MODEL_PUB_STATUS)
		p->status = get_u8(r);
	p->elem_addr = get_le16(r);
	if (m->opcode == MESH_OP_CFG_MODEL_PUB_GET)
		return get_model_last(r, MODEL_ANY, &p->model);
	if (m->opcode == MESH_OP_CFG_MODEL_PUB_VA_SET)
		get_bytes(r, p->label, sizeof(p->label));
	else
		p->pub_addr = get_le16(r);
	idx_flags = get_le16(r);
	p->app_idx = idx_flags & MESH_CFG_KEY_IDX_MAX;
	p->cred_flag = idx_flags & (1u << 12);
	p->ttl = get_u8(r);
	p->period = get_u8(r);
	p->retransmit = get_u8(r);
	{
		int err = get_model_last(r, MODEL_ANY, &p->model);

		if (err)
			return err;
	}
	/* Bits 13-15 after the Credential Flag are RFU. */
	return idx_flags >> 13 ? MESH_ERR_RESERVED : 0;
}

static int get_model_sub(struct reader *r, struct mesh_cfg_msg *m)
{
	struct mesh_cfg_model_sub *s = &m->model_sub;

	switch (m->opcode) {
	case MESH_OP_CFG_MODEL_SUB_STATUS:
		s->status = get_u8(r);
		/* fall through */
	case MESH_OP_CFG_MODEL_SUB_ADD:
	case MESH_OP_CFG_MODEL_SUB_DELETE:
	case MESH_OP_CFG_MODEL_SUB_OVERWRITE:
		s->elem_addr = get_le16(r);
		s->addr = get_le16(r);
		break;
	case MESH_OP_CFG_MODEL_SUB_VA_ADD:
	case MESH_OP_CFG_MODEL_SUB_VA_DELETE:
	case MESH_OP_CFG_MODEL_SUB_VA_OVERWRITE:
		s->elem_addr = get_le16(r);
		get_bytes(r, s->label, sizeof(s->label));
		break;
	default: /* Delete All */
		s->elem_addr = get_le16(r);
		break;
	}
	return get_model_last(r, MODEL_ANY, &s->model);
}

static int get_sub_list(struct reader *r, struct mesh_cfg_msg *m)
{
	struct mesh_cfg_model_sub_list *l = &m->model_sub_list;
	bool vnd = m->opcode == MESH_OP_CFG_VND_MODEL_SUB_GET ||
		   m->opcode == MESH_OP_CFG_VND_MODEL_SUB_LIST;
	int err;

	if (m->opcode == MESH_OP_CFG_SIG_MODEL_SUB_GET || m->opcode == MESH_OP_CFG_VND_MODEL_SUB_GET) {
		l->elem_addr = get_le16(r);
		return get_model_last(r, vnd ? MODEL_VND : MODEL_SIG, &l->model);
	}
	l->status = get_u8(r);
	l->elem_addr = get_le16(r);
	err = get_model_fixed(r, vnd ? MODEL_VND : MODEL_SIG, &l->model);
	if (err)
		return err;
	return get_addr_list(r, l->addr, &l->n);
}

static int get_hb_pub(struct reader *r, struct mesh_cfg_msg *m)
{
	struct mesh_cfg_hb_pub *h = &m->hb_pub;

	if (m->opcode == MESH_OP_CFG_HB_PUB_STATUS)
		h->status = get_u8(r);
	h->dst = get_le16(r);
	h->count_log = get_u8(r);
	h->period_log = get_u8(r);
	h->ttl = get_u8(r);
	h->features = get_le16(r);
	h->net_idx = get_le16(r);
	return finish(r);
}

static int get_hb_sub(struct reader *r, struct mesh_cfg_msg *m)
{
	struct mesh_cfg_hb_sub *h = &m->hb_sub;
	bool status = m->opcode == MESH_OP_CFG_HB_SUB_STATUS;

	if (status)
		h->status = get_u8(r);
	h->src = get_le16(r);
	h->dst = get_le16(r);
	h->period_log = get_u8(r);
	if (status) {
		h->count_log = get_u8(r);
		h->min_hops = get_u8(r);
		h->max_hops = get_u8(r);
	}
	return finish(r);
}

static int get_params(struct reader *r, struct mesh_cfg_msg *m)
{
	switch (family_of(m->opcode)) {
	case FAM_STATE: return get_state(r, m);
	case FAM_KEYS: return get_keys(r, m);
	case FAM_MODEL_APP: return get_model_app(r, m);
	case FAM_PUB: return get_model_pub(r, m);
	case FAM_SUB: return get_model_sub(r, m);
	case FAM_SUB_LIST: return get_sub_list(r, m);
	case FAM_HB_PUB: return get_hb_pub(r, m);
	case FAM_HB_SUB: return get_hb_sub(r, m);
	}
	return MESH_ERR_UNKNOWN_OPCODE;
}

int mesh_cfg_decode_params(uint32_t opcode, const uint8_t *params, size_t len,
			   struct mesh_cfg_msg *out)
{
	struct reader r = { .p = params, .len = len };
	int err;

	memset(out, 0, sizeof(*out));
	out->opcode = opcode;
	if (!mesh_cfg_is_cfg_opcode(opcode))
		return MESH_ERR_UNKNOWN_OPCODE;
	err = get_params(&r, out);
	if (err)
		return err;
	return fields_ok(out) ? 0 : MESH_ERR_RESERVED;
}

int mesh_cfg_decode(const uint8_t *payload, size_t len, struct mesh_cfg_msg *out)
{
	struct mesh_access_pdu pdu;
	int err = mesh_access_parse(payload, len, &pdu);

	if (err) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	return mesh_cfg_decode_params(pdu.opcode, pdu.params, pdu.params_len, out);
}

/* --- Composition Data page 0 ------------------------------------------------- */

static bool elem_has_duplicate(const struct mesh_comp_elem *e)
{
	unsigned int n = (unsigned int)e->n_sig + e->n_vnd;

	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = i + 1; j < n; j++)
			if (mesh_model_id_equal(e->models[i], e->models[j]))
				return true;
	return false;
}

static int comp0_parse_elem(struct reader *r, struct mesh_comp_elem *e)
{
	size_t models_len;

	if (rest(r) < 4)
		return MESH_ERR_TRUNCATED;
	e->loc = get_le16(r);
	e->n_sig = get_u8(r);
	e->n_vnd = get_u8(r);
	models_len = (size_t)e->n_sig * 2 + (size_t)e->n_vnd * 4;
	if (rest(r) < models_len)
		return MESH_ERR_TRUNCATED;
	if ((unsigned int)e->n_sig + e->n_vnd > MESH_COMP_ELEM_MODELS_MAX)
		return MESH_ERR_FULL;
	for (unsigned int i = 0; i < (unsigned int)e->n_sig + e->n_vnd; i++) {
		size_t n = i < e->n_sig ? 2 : 4;

		mesh_model_id_decode(take(r, n), n, &e->models[i]);
	}
	return elem_has_duplicate(e) ? MESH_ERR_MALFORMED : 0;
}

int mesh_cfg_comp0_parse(const uint8_t *data, size_t len, struct mesh_comp0 *out)
{
	struct reader r = { .p = data, .len = len };
	int err;

	memset(out, 0, sizeof(*out));
	if (len < MESH_COMP0_HEADER_LEN)
		return MESH_ERR_TRUNCATED;
	out->cid = get_le16(&r);
	out->pid = get_le16(&r);
	out->vid = get_le16(&r);
	out->crpl = get_le16(&r);
	out->features = get_le16(&r);
	while (rest(&r)) {
		if (out->n_elems == MESH_COMP_ELEMS_MAX)
			return MESH_ERR_FULL;
		err = comp0_parse_elem(&r, &out->elems[out->n_elems]);
		if (err)
			return err;
		out->n_elems++;
	}
	/* Every node has a primary element. */
	return out->n_elems ? 0 : MESH_ERR_MALFORMED;
}

static bool comp0_elem_ok(const struct mesh_comp_elem *e)
{
	unsigned int n = (unsigned int)e->n_sig + e->n_vnd;

	if (n > MESH_COMP_ELEM_MODELS_MAX)
		return false;
	for (unsigned int i = 0; i < n; i++)
		if (e->models[i].vendor != (i >= e->n_sig))
			return false;
	return !elem_has_duplicate(e);
}

int mesh_cfg_comp0_encode(const struct mesh_comp0 *c, uint8_t *out, size_t max)
{
	struct writer w = { .p = out, .max = max };

	if (c->n_elems == 0 || c->n_elems > MESH_COMP_ELEMS_MAX)
		return MESH_ERR_INVAL;
	for (unsigned int i = 0; i < c->n_elems; i++)
		if (!comp0_elem_ok(&c->elems[i]))
			return MESH_ERR_INVAL;
	put_le16(&w, c->cid);
	put_le16(&w, c->pid);
	put_le16(&w, c->vid);
	put_le16(&w, c->crpl);
	put_le16(&w, c->features);
	for (unsigned int i = 0; i < c->n_elems; i++) {
		const struct mesh_comp_elem *e = &c->elems[i];

		put_le16(&w, e->loc);
		put_u8(&w, e->n_sig);
		put_u8(&w, e->n_vnd);
		for (unsigned int j = 0; j < (unsigned int)e->n_sig + e->n_vnd; j++)
			put_model(&w, e->models[j]);
	}
	if (w.overflow)
		return MESH_ERR_OVERSIZED;
	return (int)w.len;
}

/* --- Transmit, period and heartbeat helpers ------------------------------------ */

#define NET_TRANSMIT_STEP_MS 10u
#define PUB_RETRANSMIT_STEP_MS 50u
#define TRANSMIT_STEPS_MAX 31u
#define TRANSMIT_COUNT_MAX 7u

unsigned int mesh_cfg_net_transmit_count(uint8_t v)
{
	return mesh_cfg_transmit_count(v) + 1u;
}

uint32_t mesh_cfg_net_transmit_interval_ms(uint8_t v)
{
	return (mesh_cfg_transmit_steps(v) + 1u) * NET_TRANSMIT_STEP_MS;
}

/* interval_ms as (steps + 1) * step_ms, or false. */
static bool interval_steps(uint32_t interval_ms, uint32_t step_ms, uint8_t *steps)
{
	if (interval_ms < step_ms || interval_ms % step_ms ||
	    interval_ms / step_ms - 1 > TRANSMIT_STEPS_MAX)
		return false;
	*steps = (uint8_t)(interval_ms / step_ms - 1);
	return true;
}

int mesh_cfg_net_transmit_make(unsigned int transmissions, uint32_t interval_ms, uint8_t *out)
{
	uint8_t steps;

	if (transmissions < 1 || transmissions > TRANSMIT_COUNT_MAX + 1 ||
	    !interval_steps(interval_ms, NET_TRANSMIT_STEP_MS, &steps))
		return MESH_ERR_INVAL;
	*out = mesh_cfg_transmit_pack((uint8_t)(transmissions - 1), steps);
	return 0;
}

unsigned int mesh_cfg_pub_retransmit_count(uint8_t v)
{
	return mesh_cfg_transmit_count(v);
}

uint32_t mesh_cfg_pub_retransmit_interval_ms(uint8_t v)
{
	return (mesh_cfg_transmit_steps(v) + 1u) * PUB_RETRANSMIT_STEP_MS;
}

int mesh_cfg_pub_retransmit_make(unsigned int retransmissions, uint32_t interval_ms,
				 uint8_t *out)
{
	uint8_t steps;

	if (retransmissions > TRANSMIT_COUNT_MAX ||
	    !interval_steps(interval_ms, PUB_RETRANSMIT_STEP_MS, &steps))
		return MESH_ERR_INVAL;
	*out = mesh_cfg_transmit_pack((uint8_t)retransmissions, steps);
	return 0;
}

#define PUB_PERIOD_STEPS_MAX 63u

static const uint32_t pub_resolution_ms[4] = { 100, 1000, 10000, 600000 };

uint32_t mesh_cfg_pub_period_ms(uint8_t period)
{
	return (period & PUB_PERIOD_STEPS_MAX) * pub_resolution_ms[period >> 6];
}

int mesh_cfg_pub_period_from_ms(uint32_t ms, uint8_t *period)
{
	if (ms > MESH_CFG_PUB_PERIOD_MAX_MS)
		return MESH_ERR_INVAL;
	for (uint8_t res = 0; res < 4; res++) {
		uint32_t step = pub_resolution_ms[res];
		uint32_t steps = (ms + step - 1) / step;

		if (steps <= PUB_PERIOD_STEPS_MAX) {
			*period = (uint8_t)(steps | (uint32_t)res << 6);
			return steps * step == ms ? 0 : 1;
		}
	}
	return MESH_ERR_INVAL; /* not reached: the last resolution holds the maximum */
}

int mesh_cfg_hb_count_from_log(uint8_t log, uint32_t *count)
{
	if (log == MESH_CFG_HB_COUNT_LOG_INFINITE) {
		*count = MESH_CFG_HB_COUNT_INFINITE;
		return 0;
	}
	return mesh_cfg_hb_period_from_log(log, count);
}

int mesh_cfg_hb_period_from_log(uint8_t log, uint32_t *seconds)
{
	if (log > MESH_CFG_HB_LOG_MAX)
		return MESH_ERR_RESERVED;
	*seconds = log ? 1u << (log - 1) : 0;
	return 0;
}

/* n with 2^(n-1) <= v < 2^n, for v > 0. */
static uint8_t log2_plus_one(uint32_t v)
{
	uint8_t n = 0;

	while (v) {
		n++;
		v >>= 1;
	}
	return n;
}

uint8_t mesh_cfg_hb_count_log(uint32_t count)
{
	if (count >= MESH_CFG_HB_COUNT_INFINITE)
		return MESH_CFG_HB_COUNT_LOG_INFINITE;
	return log2_plus_one(count);
}

uint8_t mesh_cfg_hb_period_log(uint32_t seconds)
{
	uint8_t n = log2_plus_one(seconds);

	return n > MESH_CFG_HB_LOG_MAX ? MESH_CFG_HB_LOG_MAX : n;
}
