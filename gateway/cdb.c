/*
 * The network database as a file (netdb.h): the Bluetooth SIG Mesh
 * Configuration Database (CDB 1.0.1) JSON that mesh-cfgclient and the nRF
 * Mesh apps exchange, read with jansson, checked, and written back.
 *
 * Reading is two passes. The first walks the JSON tree member by member
 * into struct netdb, checking each value where it stands (types, hex
 * spellings, ranges); the second checks what needs the whole network
 * (unique key indexes, keys that references name, overlapping nodes).
 * Both stop at the first problem and say where it is as a JSON path
 * ("nodes[2].unicastAddress") with the offending value, except for keys,
 * whose values never appear in a message. A JSON syntax error gives the
 * line and column instead.
 *
 * The spellings follow the CDB schema and what the two tools write:
 * addresses, ids and locations are 4 hexadecimal digits (vendor model ids
 * 8: company id, then model id), keys and Label UUIDs 32, other UUIDs the
 * 8-4-4-4-12 form of RFC 4122 (either form is read). We write upper case;
 * BlueZ writes lower case, which is read as well. Members we do not know
 * (BlueZ's "ivIndex" and "token", the nRF library's legacy ones) are
 * tolerated but not kept: the file is regenerated from struct netdb.
 * Some leniencies match what the tools are known to write: BlueZ omits a
 * node's "security" (read as "secure"), older BlueZ a key reference's
 * "updated" (read as false); the nRF library and BlueZ write heartbeatSub
 * as one object, which we also accept as an array of them.
 *
 * Which provisioner is meshgate's own is not something the CDB can say,
 * so we add the top-level member "meshgateProvisioner" (its UUID).
 *
 * Key material: the JSON tree's strings are wiped before it is freed, and
 * so are the texts we read and write. (jansson's own scratch buffers
 * while lexing are not ours to wipe.)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "mesh/addr.h"
#include "mesh/bytes.h"
#include "mesh/crypto.h"
#include "json_path.h"
#include "netdb.h"
#include "store.h"

#define CDB_SCHEMA "http://json-schema.org/draft-04/schema#"
#define CDB_ID "https://www.bluetooth.com/specifications/specs/mesh-cdb-1-0-1-schema.json#"
#define CDB_VERSION "1.0.1"
#define SELF_MEMBER "meshgateProvisioner"
#define SELF_PROVISIONER_NAME "meshgate"

/* A network of 32767 one-element nodes with a few models each is some tens
 * of megabytes; anything far beyond is not a CDB. */
#define CDB_FILE_MAX (64u << 20)
/* Values longer than this are described, not repeated: an address or a
 * vendor model id fits, a key misplaced into an address does not. */
#define QUOTE_MAX 8
#define QUOTE_BUF 40
#define KEY_INDEX_MAX 4095
#define UNICAST_MAX 0x7fffu
#define GROUP_RANGE_LOW 0xc000u
#define GROUP_RANGE_HIGH 0xfeffu
#define TTL_MAX 127
#define PUBLISH_TTL_DEFAULT 255
#define HEARTBEAT_PERIOD_MAX 65536u   /* 2^(0x11 - 1) s, Mesh 4.2.17.4 */
/* The largest range meshgate takes for itself when importing. */
#define IMPORT_UNICAST_SPAN 0x2000u
#define IMPORT_GROUP_SPAN 0x1000u
#define IMPORT_SCENE_SPAN 0x1000u

/* --- messages ------------------------------------------------------------ */

struct cdb_parse {
	const char *name;
	char *err;
	size_t errlen;
};

static int refuse(const struct cdb_parse *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "NAME: PATH: what" into err; returns -EINVAL. */
static int refuse(const struct cdb_parse *p, const char *path, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (!p->err || !p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (path && *path)
		snprintf(p->err, p->errlen, "%s: %s: %s", p->name, path, what);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->name, what);
	return -EINVAL;
}

static int out_of_memory(const struct cdb_parse *p)
{
	refuse(p, NULL, "out of memory");
	return -ENOMEM;
}


/* A string value as a message may show it: quoted when short and
 * printable, otherwise only its length. */
static const char *shown(const json_t *v, char buf[QUOTE_BUF])
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	for (size_t i = 0; i < len && len <= QUOTE_MAX; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			len = QUOTE_MAX + 1;
	if (len <= QUOTE_MAX)
		snprintf(buf, QUOTE_BUF, "\"%s\"", s);
	else
		snprintf(buf, QUOTE_BUF, "a string of %zu characters", json_string_length(v));
	return buf;
}

/* --- hexadecimal --------------------------------------------------------- */

/* Exactly 2*n hexadecimal digits into n octets. */
static bool hex_octets(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = mesh_hex_digit(s[2 * i]), lo = mesh_hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool hex_number(const char *s, size_t len, size_t digits, uint32_t *out)
{
	uint32_t v = 0;

	if (len != digits)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = mesh_hex_digit(s[i]);

		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return true;
}

/* 32 hexadecimal digits, or the 8-4-4-4-12 form. */
static bool uuid_from_text(const char *s, size_t len, uint8_t out[16])
{
	char plain[32];
	size_t n = 0;

	if (len == 32)
		return hex_octets(s, len, out, 16);
	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash_here != (s[i] == '-'))
			return false;
		if (!dash_here)
			plain[n++] = s[i];
	}
	return hex_octets(plain, sizeof(plain), out, 16);
}

static void hex_upper(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). Only
 * the shape is checked; the text is kept as it was written. */
static bool is_date_time(const char *s)
{
	static const char shape[] = "0000-00-00T00:00:00";
	size_t i;

	for (i = 0; shape[i]; i++) {
		bool want_digit = shape[i] == '0';

		if (want_digit ? !(s[i] >= '0' && s[i] <= '9') :
				 !(s[i] == shape[i] || (shape[i] == 'T' && s[i] == 't')))
			return false;
	}
	if (s[i] == '.') {
		if (!(s[++i] >= '0' && s[i] <= '9'))
			return false;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (s[i] == 'Z' || s[i] == 'z')
		return s[i + 1] == '\0';
	if (s[i] != '+' && s[i] != '-')
		return false;
	i++;
	return s[i] >= '0' && s[i] <= '9' && s[i + 1] >= '0' && s[i + 1] <= '9' &&
	       s[i + 2] == ':' && s[i + 3] >= '0' && s[i + 3] <= '9' && s[i + 4] >= '0' &&
	       s[i + 4] <= '9' && s[i + 5] == '\0';
}

/* --- reading values ------------------------------------------------------ */

/* Member key of obj: *v is NULL when it is absent and optional. */
static int lookup(const struct cdb_parse *p, json_t *obj, const char *parent, const char *key,
		  bool required, json_t **v, char path[JSON_PATH_LEN])
{
	json_path_member(path, parent, key);
	*v = json_object_get(obj, key);
	if (!*v && required)
		return refuse(p, path, "required member is missing");
	return 0;
}

static int need_object(const struct cdb_parse *p, json_t *v, const char *path)
{
	return json_is_object(v) ? 0 : refuse(p, path, "expected an object, got %s", json_kind_name(v));
}

static int need_array(const struct cdb_parse *p, json_t *v, const char *path)
{
	return json_is_array(v) ? 0 : refuse(p, path, "expected an array, got %s", json_kind_name(v));
}

static int need_string(const struct cdb_parse *p, json_t *v, const char *path, const char *what)
{
	return json_is_string(v) ? 0 : refuse(p, path, "expected %s, got %s", what, json_kind_name(v));
}

static int read_string(const struct cdb_parse *p, json_t *v, const char *path, char *out,
		       size_t size)
{
	int rc = need_string(p, v, path, "a string");

	if (rc < 0)
		return rc;
	if (json_string_length(v) >= size)
		return refuse(p, path, "%zu octets long, at most %zu", json_string_length(v),
			      size - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int read_int(const struct cdb_parse *p, json_t *v, const char *path, json_int_t lo,
		    json_int_t hi, json_int_t *out)
{
	if (!json_is_integer(v))
		return refuse(p, path, "expected an integer, got %s", json_kind_name(v));
	*out = json_integer_value(v);
	if (*out < lo || *out > hi)
		return refuse(p, path, "%lld is out of range (%lld..%lld)", (long long)*out,
			      (long long)lo, (long long)hi);
	return 0;
}

static int read_bool(const struct cdb_parse *p, json_t *v, const char *path, bool *out)
{
	if (!json_is_boolean(v))
		return refuse(p, path, "expected true or false, got %s", json_kind_name(v));
	*out = json_is_true(v);
	return 0;
}

static int read_hex16(const struct cdb_parse *p, json_t *v, const char *path, uint16_t *out)
{
	char buf[QUOTE_BUF];
	uint32_t n;
	int rc = need_string(p, v, path, "a string of 4 hexadecimal digits");

	if (rc < 0)
		return rc;
	if (!hex_number(json_string_value(v), json_string_length(v), 4, &n))
		return refuse(p, path, "%s is not 4 hexadecimal digits", shown(v, buf));
	*out = (uint16_t)n;
	return 0;
}

static int read_unicast(const struct cdb_parse *p, json_t *v, const char *path, uint16_t *out)
{
	char buf[QUOTE_BUF];
	int rc = read_hex16(p, v, path, out);

	if (rc == 0 && !mesh_addr_is_unicast(*out))
		return refuse(p, path, "%s is not a unicast address", shown(v, buf));
	return rc;
}

/* A key: 32 hexadecimal digits. Whatever is wrong, the value is not shown. */
static int read_key(const struct cdb_parse *p, json_t *v, const char *path, uint8_t out[16])
{
	int rc = need_string(p, v, path, "a string of 32 hexadecimal digits");

	if (rc < 0)
		return rc;
	if (!hex_octets(json_string_value(v), json_string_length(v), out, 16))
		return refuse(p, path, "not 32 hex digits");
	return 0;
}

static int read_uuid(const struct cdb_parse *p, json_t *v, const char *path, uint8_t out[16])
{
	char buf[QUOTE_BUF];
	int rc = need_string(p, v, path, "a UUID string");

	if (rc < 0)
		return rc;
	if (!uuid_from_text(json_string_value(v), json_string_length(v), out))
		return refuse(p, path, "%s is not a UUID (32 hexadecimal digits, or 8-4-4-4-12)",
			      shown(v, buf));
	return 0;
}

/* A group/unicast address of 4 digits, or a Label UUID standing for its
 * virtual address. A bare virtual address is refused: without the label
 * nothing can be sent to it or decrypted from it. */
static int read_address(const struct cdb_parse *p, json_t *v, const char *path,
			struct netdb_address *out)
{
	char buf[QUOTE_BUF];
	uint32_t n;
	int rc = need_string(p, v, path, "an address or Label UUID string");

	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	if (hex_number(json_string_value(v), json_string_length(v), 4, &n)) {
		out->address = (uint16_t)n;
		if (mesh_addr_is_virtual(out->address))
			return refuse(p, path, "%s is a virtual address without its Label UUID",
				      shown(v, buf));
		return 0;
	}
	if (!uuid_from_text(json_string_value(v), json_string_length(v), out->label))
		return refuse(p, path, "%s is neither 4 hexadecimal digits nor a Label UUID",
			      shown(v, buf));
	out->is_label = true;
	if (mesh_virtual_address(out->label, &out->address) != 0)
		return refuse(p, path, "cannot compute the virtual address of this Label UUID");
	return 0;
}

static int read_date_time(const struct cdb_parse *p, json_t *v, const char *path,
			  char out[NETDB_TIMESTAMP_MAX])
{
	char buf[QUOTE_BUF];
	int rc = read_string(p, v, path, out, NETDB_TIMESTAMP_MAX);

	if (rc == 0 && !is_date_time(out))
		return refuse(p, path, "%s is not an RFC 3339 date and time", shown(v, buf));
	return rc;
}

/* --- reading members ----------------------------------------------------- */

static int field_string(const struct cdb_parse *p, json_t *obj, const char *parent,
			const char *key, bool required, char *out, size_t size)
{
	char path[JSON_PATH_LEN];
	json_t *v;
	int rc = lookup(p, obj, parent, key, required, &v, path);

	out[0] = '\0';
	return rc < 0 || !v ? rc : read_string(p, v, path, out, size);
}

static int field_int(const struct cdb_parse *p, json_t *obj, const char *parent, const char *key,
		     json_int_t lo, json_int_t hi, json_int_t *out)
{
	char path[JSON_PATH_LEN];
	json_t *v;
	int rc = lookup(p, obj, parent, key, true, &v, path);

	return rc < 0 ? rc : read_int(p, v, path, lo, hi, out);
}

static int field_u16(const struct cdb_parse *p, json_t *obj, const char *parent, const char *key,
		     json_int_t lo, json_int_t hi, uint16_t *out)
{
	json_int_t n;
	int rc = field_int(p, obj, parent, key, lo, hi, &n);

	if (rc == 0)
		*out = (uint16_t)n;
	return rc;
}

static int field_u8(const struct cdb_parse *p, json_t *obj, const char *parent, const char *key,
		    json_int_t lo, json_int_t hi, uint8_t *out)
{
	json_int_t n;
	int rc = field_int(p, obj, parent, key, lo, hi, &n);

	if (rc == 0)
		*out = (uint8_t)n;
	return rc;
}

/* An optional boolean: absent leaves *out as the default it holds. */
static int field_bool(const struct cdb_parse *p, json_t *obj, const char *parent,
		      const char *key, bool required, bool *out, bool *present)
{
	char path[JSON_PATH_LEN];
	json_t *v;
	int rc = lookup(p, obj, parent, key, required, &v, path);

	if (present)
		*present = v != NULL;
	return rc < 0 || !v ? rc : read_bool(p, v, path, out);
}

static int field_hex16(const struct cdb_parse *p, json_t *obj, const char *parent,
		       const char *key, uint16_t *out)
{
	char path[JSON_PATH_LEN];
	json_t *v;
	int rc = lookup(p, obj, parent, key, true, &v, path);

	return rc < 0 ? rc : read_hex16(p, v, path, out);
}

static int field_key(const struct cdb_parse *p, json_t *obj, const char *parent, const char *key,
		     bool required, uint8_t out[16], bool *present)
{
	char path[JSON_PATH_LEN];
	json_t *v;
	int rc = lookup(p, obj, parent, key, required, &v, path);

	if (present)
		*present = v != NULL;
	return rc < 0 || !v ? rc : read_key(p, v, path, out);
}

static int field_uuid(const struct cdb_parse *p, json_t *obj, const char *parent,
		      const char *key, uint8_t out[16])
{
	char path[JSON_PATH_LEN];
	json_t *v;
	int rc = lookup(p, obj, parent, key, true, &v, path);

	return rc < 0 ? rc : read_uuid(p, v, path, out);
}

/* The array member key (absent and optional: *arr NULL, *n 0). */
static int field_array(const struct cdb_parse *p, json_t *obj, const char *parent,
		       const char *key, bool required, json_t **arr, size_t *n)
{
	char path[JSON_PATH_LEN];
	int rc = lookup(p, obj, parent, key, required, arr, path);

	*n = 0;
	if (rc < 0 || !*arr)
		return rc;
	rc = need_array(p, *arr, path);
	if (rc == 0)
		*n = json_array_size(*arr);
	return rc;
}

/* One of the words listed (NULL-terminated): its position. */
static int field_word(const struct cdb_parse *p, json_t *obj, const char *parent,
		      const char *key, bool required, const char *const *words, int *out)
{
	char path[JSON_PATH_LEN], buf[QUOTE_BUF];
	json_t *v;
	int rc = lookup(p, obj, parent, key, required, &v, path);

	if (rc < 0 || !v)
		return rc;
	rc = need_string(p, v, path, "a string");
	if (rc < 0)
		return rc;
	for (int i = 0; words[i]; i++) {
		if (strcmp(words[i], json_string_value(v)) == 0) {
			*out = i;
			return 0;
		}
	}
	return refuse(p, path, "%s is not one of the allowed words", shown(v, buf));
}

/* calloc for n entries of parsed data; NULL with n 0 is fine. */
static int alloc_entries(const struct cdb_parse *p, size_t n, size_t size, void **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	*out = calloc(n, size);
	return *out ? 0 : out_of_memory(p);
}

/* --- keys ---------------------------------------------------------------- */

static const char *const security_words[] = { "insecure", "secure", NULL };

static int parse_net_key(const struct cdb_parse *p, json_t *v, const char *path,
			 struct netdb_net_key *k)
{
	char at[JSON_PATH_LEN];
	json_t *ts;
	int secure = 1;
	int rc = need_object(p, v, path);

	if (rc == 0)
		rc = field_string(p, v, path, "name", false, k->name, sizeof(k->name));
	if (rc == 0)
		rc = field_u16(p, v, path, "index", 0, KEY_INDEX_MAX, &k->index);
	if (rc == 0)
		rc = field_key(p, v, path, "key", true, k->key, NULL);
	if (rc == 0)
		rc = field_key(p, v, path, "oldKey", false, k->old_key, &k->has_old_key);
	if (rc == 0)
		rc = field_u8(p, v, path, "phase", 0, 2, &k->phase);
	if (rc == 0)
		rc = field_word(p, v, path, "minSecurity", true, security_words, &secure);
	k->min_security_secure = secure == 1;
	if (rc == 0)
		rc = lookup(p, v, path, "timestamp", false, &ts, at);
	if (rc == 0 && ts)
		rc = read_date_time(p, ts, at, k->timestamp);
	return rc;
}

static int parse_app_key(const struct cdb_parse *p, json_t *v, const char *path,
			 struct netdb_app_key *k)
{
	int rc = need_object(p, v, path);

	if (rc == 0)
		rc = field_string(p, v, path, "name", false, k->name, sizeof(k->name));
	if (rc == 0)
		rc = field_u16(p, v, path, "index", 0, KEY_INDEX_MAX, &k->index);
	if (rc == 0)
		rc = field_u16(p, v, path, "boundNetKey", 0, KEY_INDEX_MAX, &k->bound_net_key);
	if (rc == 0)
		rc = field_key(p, v, path, "key", true, k->key, NULL);
	if (rc == 0)
		rc = field_key(p, v, path, "oldKey", false, k->old_key, &k->has_old_key);
	return rc;
}

static int parse_net_keys(const struct cdb_parse *p, json_t *root, struct netdb *db)
{
	char path[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, root, NULL, "netKeys", true, &arr, &n);

	if (rc == 0 && n == 0)
		return refuse(p, "netKeys", "empty: a network has at least one network key");
	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(*db->net_keys), (void **)&db->net_keys);
	if (rc < 0)
		return rc;
	db->n_net_keys = n;
	json_array_foreach(arr, i, item) {
		json_path_item(path, "netKeys", i);
		rc = parse_net_key(p, item, path, &db->net_keys[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_app_keys(const struct cdb_parse *p, json_t *root, struct netdb *db)
{
	char path[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, root, NULL, "appKeys", true, &arr, &n);

	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(*db->app_keys), (void **)&db->app_keys);
	if (rc < 0)
		return rc;
	db->n_app_keys = n;
	json_array_foreach(arr, i, item) {
		json_path_item(path, "appKeys", i);
		rc = parse_app_key(p, item, path, &db->app_keys[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --- provisioners -------------------------------------------------------- */

struct range_kind {
	const char *member, *low_key, *high_key, *space;
	uint16_t min, max;
};

static const struct range_kind unicast_ranges = {
	"allocatedUnicastRange", "lowAddress", "highAddress", "unicast addresses", 0x0001,
	UNICAST_MAX,
};
static const struct range_kind group_ranges = {
	"allocatedGroupRange", "lowAddress", "highAddress", "group addresses",
	GROUP_RANGE_LOW, GROUP_RANGE_HIGH,
};
static const struct range_kind scene_ranges = {
	"allocatedSceneRange", "firstScene", "lastScene", "scene numbers", 0x0001, 0xffff,
};

static int parse_range(const struct cdb_parse *p, json_t *v, const char *path,
		       const struct range_kind *kind, struct netdb_range *r)
{
	char at[JSON_PATH_LEN];
	int rc = need_object(p, v, path);

	if (rc == 0)
		rc = field_hex16(p, v, path, kind->low_key, &r->low);
	if (rc == 0)
		rc = field_hex16(p, v, path, kind->high_key, &r->high);
	if (rc < 0)
		return rc;
	if (r->low < kind->min || r->low > kind->max) {
		json_path_member(at, path, kind->low_key);
		return refuse(p, at, "%04X is outside the %s (%04X..%04X)", r->low, kind->space,
			      kind->min, kind->max);
	}
	if (r->high < r->low || r->high > kind->max) {
		json_path_member(at, path, kind->high_key);
		return refuse(p, at, "%04X is below %s %04X or outside the %s (..%04X)", r->high,
			      kind->low_key, r->low, kind->space, kind->max);
	}
	return 0;
}

static int parse_ranges(const struct cdb_parse *p, json_t *prov, const char *parent,
			const struct range_kind *kind, bool required, struct netdb_range *out,
			size_t *n_out)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, prov, parent, kind->member, required, &arr, &n);

	if (rc < 0)
		return rc;
	json_path_member(path, parent, kind->member);
	if (n > NETDB_RANGES_MAX)
		return refuse(p, path, "%zu ranges, at most %d", n, NETDB_RANGES_MAX);
	json_array_foreach(arr, i, item) {
		json_path_item(at, path, i);
		rc = parse_range(p, item, at, kind, &out[i]);
		if (rc < 0)
			return rc;
	}
	*n_out = n;
	return 0;
}

static int parse_provisioner(const struct cdb_parse *p, json_t *v, const char *path,
			     struct netdb_provisioner *prov)
{
	int rc = need_object(p, v, path);

	if (rc == 0)
		rc = field_string(p, v, path, "provisionerName", true, prov->name,
				  sizeof(prov->name));
	if (rc == 0)
		rc = field_uuid(p, v, path, "UUID", prov->uuid);
	if (rc == 0)
		rc = parse_ranges(p, v, path, &unicast_ranges, true, prov->unicast,
				  &prov->n_unicast);
	if (rc == 0)
		rc = parse_ranges(p, v, path, &group_ranges, false, prov->group, &prov->n_group);
	if (rc == 0)
		rc = parse_ranges(p, v, path, &scene_ranges, false, prov->scene, &prov->n_scene);
	return rc;
}

static int parse_provisioners(const struct cdb_parse *p, json_t *root, struct netdb *db)
{
	char path[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, root, NULL, "provisioners", true, &arr, &n);

	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(*db->provisioners), (void **)&db->provisioners);
	if (rc < 0)
		return rc;
	db->n_provisioners = n;
	json_array_foreach(arr, i, item) {
		json_path_item(path, "provisioners", i);
		rc = parse_provisioner(p, item, path, &db->provisioners[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --- nodes: models ------------------------------------------------------- */

static int parse_model_id(const struct cdb_parse *p, json_t *model, const char *parent,
			  struct netdb_model *m)
{
	char path[JSON_PATH_LEN], buf[QUOTE_BUF];
	const char *s;
	json_t *v;
	size_t len;
	int rc = lookup(p, model, parent, "modelId", true, &v, path);

	if (rc == 0)
		rc = need_string(p, v, path, "a string of 4 or 8 hexadecimal digits");
	if (rc < 0)
		return rc;
	s = json_string_value(v);
	len = json_string_length(v);
	m->vendor = len == 8;
	if (!hex_number(s, len, 4, &m->id) && !hex_number(s, len, 8, &m->id))
		return refuse(p, path, "%s is not a model id (4 hexadecimal digits, or 8 for "
			      "a vendor model)", shown(v, buf));
	return 0;
}

static int parse_subscribe(const struct cdb_parse *p, json_t *model, const char *parent,
			   struct netdb_model *m)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN], buf[QUOTE_BUF];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, model, parent, "subscribe", false, &arr, &n);

	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(*m->subscribe), (void **)&m->subscribe);
	if (rc < 0)
		return rc;
	m->n_subscribe = n;
	json_path_member(path, parent, "subscribe");
	json_array_foreach(arr, i, item) {
		json_path_item(at, path, i);
		rc = read_address(p, item, at, &m->subscribe[i]);
		if (rc < 0)
			return rc;
		if (!m->subscribe[i].is_label && !mesh_addr_is_group(m->subscribe[i].address))
			return refuse(p, at, "%s is not a group address or Label UUID",
				      shown(item, buf));
	}
	return 0;
}

static int parse_bind(const struct cdb_parse *p, json_t *model, const char *parent,
		      struct netdb_model *m)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN];
	json_t *arr, *item;
	json_int_t index;
	size_t i, n;
	int rc = field_array(p, model, parent, "bind", false, &arr, &n);

	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(*m->bind), (void **)&m->bind);
	if (rc < 0)
		return rc;
	m->n_bind = n;
	json_path_member(path, parent, "bind");
	json_array_foreach(arr, i, item) {
		json_path_item(at, path, i);
		rc = read_int(p, item, at, 0, KEY_INDEX_MAX, &index);
		if (rc < 0)
			return rc;
		m->bind[i] = (uint16_t)index;
	}
	return 0;
}

static int parse_publish_period(const struct cdb_parse *p, json_t *pub, const char *parent,
				struct netdb_publish *out)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN];
	json_int_t resolution;
	json_t *v;
	int rc = lookup(p, pub, parent, "period", true, &v, path);

	if (rc == 0)
		rc = need_object(p, v, path);
	if (rc == 0)
		rc = field_u8(p, v, path, "numberOfSteps", 0, 63, &out->period_steps);
	if (rc == 0)
		rc = field_int(p, v, path, "resolution", 0, 600000, &resolution);
	if (rc < 0)
		return rc;
	if (resolution != 100 && resolution != 1000 && resolution != 10000 &&
	    resolution != 600000) {
		json_path_member(at, path, "resolution");
		return refuse(p, at, "%lld ms is not a step resolution (100, 1000, 10000 or "
			      "600000)", (long long)resolution);
	}
	out->period_resolution_ms = (uint32_t)resolution;
	return 0;
}

static int parse_publish_retransmit(const struct cdb_parse *p, json_t *pub, const char *parent,
				    struct netdb_publish *out)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN];
	json_t *v;
	int rc = lookup(p, pub, parent, "retransmit", true, &v, path);

	if (rc == 0)
		rc = need_object(p, v, path);
	if (rc == 0)
		rc = field_u8(p, v, path, "count", 0, 7, &out->retransmit_count);
	if (rc == 0)
		rc = field_u16(p, v, path, "interval", 50, 1600, &out->retransmit_interval_ms);
	if (rc == 0 && out->retransmit_interval_ms % 50) {
		json_path_member(at, path, "interval");
		return refuse(p, at, "%u ms is not a multiple of 50 ms",
			      out->retransmit_interval_ms);
	}
	return rc;
}

static int parse_publish(const struct cdb_parse *p, json_t *model, const char *parent,
			 struct netdb_model *m)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN];
	json_int_t ttl = 0;
	json_t *v = NULL, *addr = NULL;
	int rc = lookup(p, model, parent, "publish", false, &v, path);

	if (rc < 0 || !v)
		return rc;
	m->has_publish = true;
	rc = need_object(p, v, path);
	if (rc == 0)
		rc = lookup(p, v, path, "address", true, &addr, at);
	if (rc == 0)
		rc = read_address(p, addr, at, &m->publish.address);
	if (rc == 0)
		rc = field_u16(p, v, path, "index", 0, KEY_INDEX_MAX, &m->publish.app_idx);
	if (rc == 0)
		rc = field_int(p, v, path, "ttl", 0, PUBLISH_TTL_DEFAULT, &ttl);
	if (rc == 0 && ttl > TTL_MAX && ttl != PUBLISH_TTL_DEFAULT) {
		json_path_member(at, path, "ttl");
		return refuse(p, at, "%lld is not a TTL (0..127, or 255 for the default)",
			      (long long)ttl);
	}
	m->publish.ttl = (uint8_t)ttl;
	if (rc == 0)
		rc = parse_publish_period(p, v, path, &m->publish);
	if (rc == 0)
		rc = parse_publish_retransmit(p, v, path, &m->publish);
	if (rc == 0)
		rc = field_u8(p, v, path, "credentials", 0, 1, &m->publish.credentials);
	return rc;
}

static int parse_model(const struct cdb_parse *p, json_t *v, const char *path,
		       struct netdb_model *m)
{
	int rc = need_object(p, v, path);

	if (rc == 0)
		rc = parse_model_id(p, v, path, m);
	if (rc == 0)
		rc = parse_subscribe(p, v, path, m);
	if (rc == 0)
		rc = parse_publish(p, v, path, m);
	if (rc == 0)
		rc = parse_bind(p, v, path, m);
	return rc;
}

static int parse_element(const struct cdb_parse *p, json_t *v, const char *path, size_t position,
			 struct netdb_element *el)
{
	char at[JSON_PATH_LEN], models_path[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = need_object(p, v, path);

	if (rc == 0)
		rc = field_string(p, v, path, "name", false, el->name, sizeof(el->name));
	if (rc == 0)
		rc = field_u8(p, v, path, "index", 0, 255, &el->index);
	if (rc == 0 && el->index != position) {
		json_path_member(at, path, "index");
		return refuse(p, at, "%u, but it is element %zu of the node", el->index, position);
	}
	if (rc == 0)
		rc = field_hex16(p, v, path, "location", &el->location);
	if (rc == 0)
		rc = field_array(p, v, path, "models", true, &arr, &n);
	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(*el->models), (void **)&el->models);
	if (rc < 0)
		return rc;
	el->n_models = n;
	json_path_member(models_path, path, "models");
	json_array_foreach(arr, i, item) {
		json_path_item(at, models_path, i);
		rc = parse_model(p, item, at, &el->models[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_elements(const struct cdb_parse *p, json_t *node, const char *parent,
			  struct netdb_node *out)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, node, parent, "elements", true, &arr, &n);

	if (rc < 0)
		return rc;
	json_path_member(path, parent, "elements");
	if (n == 0)
		return refuse(p, path, "empty: a node has at least one element");
	if (n > 255)
		return refuse(p, path, "%zu elements, at most 255", n);
	rc = alloc_entries(p, n, sizeof(*out->elements), (void **)&out->elements);
	if (rc < 0)
		return rc;
	out->n_elements = n;
	json_array_foreach(arr, i, item) {
		json_path_item(at, path, i);
		rc = parse_element(p, item, at, i, &out->elements[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --- nodes: the rest ----------------------------------------------------- */

static int parse_key_refs(const struct cdb_parse *p, json_t *node, const char *parent,
			  const char *key, struct netdb_key_ref **refs, size_t *n_refs)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, node, parent, key, true, &arr, &n);

	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(**refs), (void **)refs);
	if (rc < 0)
		return rc;
	*n_refs = n;
	json_path_member(path, parent, key);
	json_array_foreach(arr, i, item) {
		json_path_item(at, path, i);
		rc = need_object(p, item, at);
		if (rc == 0)
			rc = field_u16(p, item, at, "index", 0, KEY_INDEX_MAX, &(*refs)[i].index);
		if (rc == 0)
			rc = field_bool(p, item, at, "updated", false, &(*refs)[i].updated, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* cid, pid, vid and crpl come together from the Composition Data. */
static int parse_node_ids(const struct cdb_parse *p, json_t *node, const char *parent,
			  struct netdb_node *out)
{
	static const char *const names[] = { "cid", "pid", "vid", "crpl" };
	uint16_t *const values[] = { &out->cid, &out->pid, &out->vid, &out->crpl };
	size_t present = 0;
	int rc;

	for (size_t i = 0; i < 4; i++)
		present += json_object_get(node, names[i]) != NULL;
	if (present == 0)
		return 0;
	for (size_t i = 0; i < 4; i++) {
		char path[JSON_PATH_LEN];

		if (present < 4 && !json_object_get(node, names[i])) {
			json_path_member(path, parent, names[i]);
			return refuse(p, path, "missing, while some of cid, pid, vid and crpl "
				      "are given (they come together from the Composition Data)");
		}
		rc = field_hex16(p, node, parent, names[i], values[i]);
		if (rc < 0)
			return rc;
	}
	out->has_ids = true;
	return 0;
}

static int parse_features(const struct cdb_parse *p, json_t *node, const char *parent,
			  struct netdb_node *out)
{
	static const char *const names[] = { "relay", "proxy", "friend", "lowPower" };
	enum netdb_feature *const states[] = { &out->relay, &out->proxy, &out->friend_,
					       &out->low_power };
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN];
	json_int_t state;
	json_t *v, *f;
	int rc = lookup(p, node, parent, "features", false, &v, path);

	for (size_t i = 0; i < 4; i++)
		*states[i] = NETDB_FEATURE_UNKNOWN;
	if (rc < 0 || !v)
		return rc;
	rc = need_object(p, v, path);
	for (size_t i = 0; i < 4 && rc == 0; i++) {
		rc = lookup(p, v, path, names[i], false, &f, at);
		if (rc == 0 && f)
			rc = read_int(p, f, at, NETDB_FEATURE_OFF, NETDB_FEATURE_UNSUPPORTED, &state);
		if (rc == 0 && f)
			*states[i] = (enum netdb_feature)state;
	}
	return rc;
}

/* networkTransmit / relayRetransmit: 1..8 transmissions 10..320 ms apart.
 * A count or interval of 0 (written by some nRF Mesh versions for "not
 * known") is taken as absent, as the nRF library does. */
static int parse_transmit(const struct cdb_parse *p, json_t *node, const char *parent,
			  const char *key, struct netdb_transmit *out)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN];
	json_int_t count, interval;
	json_t *v;
	int rc = lookup(p, node, parent, key, false, &v, path);

	if (rc < 0 || !v)
		return rc;
	rc = need_object(p, v, path);
	if (rc == 0)
		rc = field_int(p, v, path, "count", 0, 8, &count);
	if (rc == 0)
		rc = field_int(p, v, path, "interval", 0, 320, &interval);
	if (rc < 0 || count == 0 || interval == 0)
		return rc;
	if (interval % 10) {
		json_path_member(at, path, "interval");
		return refuse(p, at, "%lld ms is not a multiple of 10 ms", (long long)interval);
	}
	out->present = true;
	out->count = (uint8_t)count;
	out->interval_ms = (uint16_t)interval;
	return 0;
}

static int parse_node_settings(const struct cdb_parse *p, json_t *node, const char *parent,
			       struct netdb_node *out)
{
	char path[JSON_PATH_LEN];
	json_int_t ttl;
	json_t *v;
	int rc = field_bool(p, node, parent, "secureNetworkBeacon", false,
			    &out->secure_network_beacon, &out->has_secure_beacon);

	if (rc == 0)
		rc = lookup(p, node, parent, "defaultTTL", false, &v, path);
	if (rc == 0 && v) {
		rc = read_int(p, v, path, 0, TTL_MAX, &ttl);
		/* Default TTL 1 is prohibited (Mesh 4.2.8). */
		if (rc == 0 && ttl == 1)
			return refuse(p, path, "1 is not a default TTL (0, or 2..127)");
		out->has_default_ttl = true;
		out->default_ttl = (uint8_t)ttl;
	}
	if (rc == 0)
		rc = parse_transmit(p, node, parent, "networkTransmit", &out->network_transmit);
	if (rc == 0)
		rc = parse_transmit(p, node, parent, "relayRetransmit", &out->relay_retransmit);
	return rc;
}

static const char *const heartbeat_feature_words[] = { "relay", "proxy", "friend", "lowPower",
						       NULL };

static int parse_heartbeat_features(const struct cdb_parse *p, json_t *pub, const char *parent,
				    uint16_t *features)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN], buf[QUOTE_BUF];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, pub, parent, "features", true, &arr, &n);

	json_path_member(path, parent, "features");
	json_array_foreach(arr, i, item) {
		int w = 0;

		json_path_item(at, path, i);
		rc = need_string(p, item, at, "a feature name");
		if (rc < 0)
			return rc;
		while (heartbeat_feature_words[w] &&
		       strcmp(heartbeat_feature_words[w], json_string_value(item)))
			w++;
		if (!heartbeat_feature_words[w])
			return refuse(p, at, "%s is not relay, proxy, friend or lowPower",
				      shown(item, buf));
		*features |= (uint16_t)(1u << w);
	}
	return rc;
}

static int parse_heartbeat_pub(const struct cdb_parse *p, json_t *node, const char *parent,
			       struct netdb_heartbeat_pub *out)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN], buf[QUOTE_BUF];
	json_int_t period;
	json_t *v = NULL, *addr = NULL;
	int rc = lookup(p, node, parent, "heartbeatPub", false, &v, path);

	if (rc < 0 || !v)
		return rc;
	out->present = true;
	rc = need_object(p, v, path);
	if (rc == 0)
		rc = lookup(p, v, path, "address", true, &addr, at);
	if (rc == 0)
		rc = read_hex16(p, addr, at, &out->address);
	if (rc == 0 && mesh_addr_is_virtual(out->address))
		return refuse(p, at, "%s is a virtual address: heartbeats go to a unicast or "
			      "group address", shown(addr, buf));
	if (rc == 0)
		rc = field_int(p, v, path, "period", 0, HEARTBEAT_PERIOD_MAX, &period);
	if (rc == 0 && (period & (period - 1))) {
		json_path_member(at, path, "period");
		return refuse(p, at, "%lld s is not 0 or a power of 2", (long long)period);
	}
	out->period_s = (uint32_t)period;
	if (rc == 0)
		rc = field_u8(p, v, path, "ttl", 0, TTL_MAX, &out->ttl);
	if (rc == 0)
		rc = field_u16(p, v, path, "index", 0, KEY_INDEX_MAX, &out->net_idx);
	if (rc == 0)
		rc = parse_heartbeat_features(p, v, path, &out->features);
	return rc;
}

static int parse_heartbeat_sub_entry(const struct cdb_parse *p, json_t *v, const char *path,
				     struct netdb_heartbeat_sub *out)
{
	char at[JSON_PATH_LEN], buf[QUOTE_BUF];
	json_t *src = NULL, *dst = NULL;
	int rc = need_object(p, v, path);

	if (rc == 0)
		rc = lookup(p, v, path, "source", true, &src, at);
	if (rc == 0)
		rc = read_hex16(p, src, at, &out->source);
	if (rc == 0 && !mesh_addr_is_unassigned(out->source) &&
	    !mesh_addr_is_unicast(out->source))
		return refuse(p, at, "%s is not a unicast address", shown(src, buf));
	if (rc == 0)
		rc = lookup(p, v, path, "destination", true, &dst, at);
	if (rc == 0)
		rc = read_hex16(p, dst, at, &out->destination);
	if (rc == 0 && mesh_addr_is_virtual(out->destination))
		return refuse(p, at, "%s is not a unicast or group address", shown(dst, buf));
	return rc;
}

static int parse_heartbeat_sub(const struct cdb_parse *p, json_t *node, const char *parent,
			       struct netdb_node *out)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN];
	json_t *v, *item;
	size_t i, n;
	int rc = lookup(p, node, parent, "heartbeatSub", false, &v, path);

	if (rc < 0 || !v)
		return rc;
	if (!json_is_object(v) && !json_is_array(v))
		return refuse(p, path, "expected an object (or an array of them), got %s",
			      json_kind_name(v));
	n = json_is_object(v) ? 1 : json_array_size(v);
	rc = alloc_entries(p, n, sizeof(*out->heartbeat_sub), (void **)&out->heartbeat_sub);
	if (rc < 0)
		return rc;
	out->n_heartbeat_sub = n;
	if (json_is_object(v))
		return parse_heartbeat_sub_entry(p, v, path, &out->heartbeat_sub[0]);
	json_array_foreach(v, i, item) {
		json_path_item(at, path, i);
		rc = parse_heartbeat_sub_entry(p, item, at, &out->heartbeat_sub[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_node_identity(const struct cdb_parse *p, json_t *v, const char *path,
			       struct netdb_node *node)
{
	char at[JSON_PATH_LEN];
	json_t *addr = NULL;
	int secure = 1;
	int rc = field_uuid(p, v, path, "UUID", node->uuid);

	if (rc == 0)
		rc = lookup(p, v, path, "unicastAddress", true, &addr, at);
	if (rc == 0)
		rc = read_unicast(p, addr, at, &node->unicast);
	if (rc == 0)
		rc = field_key(p, v, path, "deviceKey", true, node->dev_key, NULL);
	if (rc == 0)
		rc = field_word(p, v, path, "security", false, security_words, &secure);
	node->security_secure = secure == 1;
	if (rc == 0)
		rc = field_string(p, v, path, "name", false, node->name, sizeof(node->name));
	if (rc == 0)
		rc = field_bool(p, v, path, "configComplete", false, &node->config_complete, NULL);
	if (rc == 0)
		rc = field_bool(p, v, path, "excluded", false, &node->excluded, NULL);
	return rc;
}

static int parse_node(const struct cdb_parse *p, json_t *v, const char *path,
		      struct netdb_node *node)
{
	int rc = need_object(p, v, path);

	if (rc == 0)
		rc = parse_node_identity(p, v, path, node);
	if (rc == 0)
		rc = parse_key_refs(p, v, path, "netKeys", &node->net_keys, &node->n_net_keys);
	if (rc == 0)
		rc = parse_key_refs(p, v, path, "appKeys", &node->app_keys, &node->n_app_keys);
	if (rc == 0)
		rc = parse_node_ids(p, v, path, node);
	if (rc == 0)
		rc = parse_features(p, v, path, node);
	if (rc == 0)
		rc = parse_node_settings(p, v, path, node);
	if (rc == 0)
		rc = parse_heartbeat_pub(p, v, path, &node->heartbeat_pub);
	if (rc == 0)
		rc = parse_heartbeat_sub(p, v, path, node);
	if (rc == 0)
		rc = parse_elements(p, v, path, node);
	return rc;
}

static int parse_nodes(const struct cdb_parse *p, json_t *root, struct netdb *db)
{
	char path[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, root, NULL, "nodes", true, &arr, &n);

	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(*db->nodes), (void **)&db->nodes);
	if (rc < 0)
		return rc;
	db->n_nodes = n;
	json_array_foreach(arr, i, item) {
		json_path_item(path, "nodes", i);
		rc = parse_node(p, item, path, &db->nodes[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --- groups, scenes, exclusions ------------------------------------------ */

static int parse_group(const struct cdb_parse *p, json_t *v, const char *path,
		       struct netdb_group *g)
{
	char at[JSON_PATH_LEN], buf[QUOTE_BUF];
	struct netdb_address parent = { 0 };
	json_t *addr = NULL;
	int rc = need_object(p, v, path);

	if (rc == 0)
		rc = field_string(p, v, path, "name", false, g->name, sizeof(g->name));
	if (rc == 0)
		rc = lookup(p, v, path, "address", true, &addr, at);
	if (rc == 0)
		rc = read_address(p, addr, at, &g->address);
	if (rc < 0)
		return rc;
	if (!g->address.is_label && (!mesh_addr_is_group(g->address.address) ||
				     g->address.address > GROUP_RANGE_HIGH))
		return refuse(p, at, "%s is not a group address (C000..FEFF) or Label UUID",
			      shown(addr, buf));
	rc = lookup(p, v, path, "parentAddress", false, &addr, at);
	if (rc == 0 && addr)
		rc = read_address(p, addr, at, &parent);
	if (rc < 0)
		return rc;
	if (!parent.is_label && parent.address &&
	    (!mesh_addr_is_group(parent.address) || parent.address > GROUP_RANGE_HIGH))
		return refuse(p, at, "%s is not 0000, a group address or a Label UUID",
			      shown(addr, buf));
	g->parent = parent.address;
	g->parent_is_label = parent.is_label;
	memcpy(g->parent_label, parent.label, 16);
	return 0;
}

static int parse_unicast_list(const struct cdb_parse *p, json_t *obj, const char *parent,
			      const char *key, bool required, uint16_t **out, size_t *n_out)
{
	char path[JSON_PATH_LEN], at[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, obj, parent, key, required, &arr, &n);

	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(**out), (void **)out);
	if (rc < 0)
		return rc;
	*n_out = n;
	json_path_member(path, parent, key);
	json_array_foreach(arr, i, item) {
		json_path_item(at, path, i);
		rc = read_unicast(p, item, at, &(*out)[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_scene(const struct cdb_parse *p, json_t *v, const char *path,
		       struct netdb_scene *s)
{
	char at[JSON_PATH_LEN];
	int rc = need_object(p, v, path);

	if (rc == 0)
		rc = field_string(p, v, path, "name", false, s->name, sizeof(s->name));
	if (rc == 0)
		rc = field_hex16(p, v, path, "number", &s->number);
	if (rc == 0 && s->number == 0) {
		json_path_member(at, path, "number");
		return refuse(p, at, "\"0000\" is not a scene number (0001..FFFF)");
	}
	if (rc == 0)
		rc = parse_unicast_list(p, v, path, "addresses", false, &s->addresses,
					&s->n_addresses);
	return rc;
}

static int parse_exclusion(const struct cdb_parse *p, json_t *v, const char *path,
			   struct netdb_exclusion *e)
{
	json_int_t iv = 0;
	int rc = need_object(p, v, path);

	if (rc == 0)
		rc = field_int(p, v, path, "ivIndex", 0, UINT32_MAX, &iv);
	e->iv_index = (uint32_t)iv;
	if (rc == 0)
		rc = parse_unicast_list(p, v, path, "addresses", true, &e->addresses,
					&e->n_addresses);
	return rc;
}

/* The optional top-level lists: groups, scenes, networkExclusions. */
static int parse_groups(const struct cdb_parse *p, json_t *root, struct netdb *db)
{
	char path[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, root, NULL, "groups", false, &arr, &n);

	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(*db->groups), (void **)&db->groups);
	if (rc < 0)
		return rc;
	db->n_groups = n;
	json_array_foreach(arr, i, item) {
		json_path_item(path, "groups", i);
		rc = parse_group(p, item, path, &db->groups[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_scenes(const struct cdb_parse *p, json_t *root, struct netdb *db)
{
	char path[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, root, NULL, "scenes", false, &arr, &n);

	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(*db->scenes), (void **)&db->scenes);
	if (rc < 0)
		return rc;
	db->n_scenes = n;
	json_array_foreach(arr, i, item) {
		json_path_item(path, "scenes", i);
		rc = parse_scene(p, item, path, &db->scenes[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_exclusions(const struct cdb_parse *p, json_t *root, struct netdb *db)
{
	char path[JSON_PATH_LEN];
	json_t *arr, *item;
	size_t i, n;
	int rc = field_array(p, root, NULL, "networkExclusions", false, &arr, &n);

	if (rc == 0)
		rc = alloc_entries(p, n, sizeof(*db->exclusions), (void **)&db->exclusions);
	if (rc < 0)
		return rc;
	db->n_exclusions = n;
	json_array_foreach(arr, i, item) {
		json_path_item(path, "networkExclusions", i);
		rc = parse_exclusion(p, item, path, &db->exclusions[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --- the top level ------------------------------------------------------- */

/* $schema, id and version: other tools write them (BlueZ only on export);
 * we write our own, but a wrong type is still a damaged file. */
static int parse_header(const struct cdb_parse *p, json_t *root)
{
	static const char *const members[] = { "$schema", "id", "version" };

	for (size_t i = 0; i < 3; i++) {
		json_t *v = json_object_get(root, members[i]);
		int rc = v ? need_string(p, v, members[i], "a string") : 0;

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_self(const struct cdb_parse *p, json_t *root, struct netdb *db)
{
	char path[JSON_PATH_LEN];
	json_t *v;
	int rc = lookup(p, root, NULL, SELF_MEMBER, false, &v, path);

	return rc < 0 || !v ? rc : read_uuid(p, v, path, db->self_uuid);
}

static int parse_root(const struct cdb_parse *p, json_t *root, struct netdb *db)
{
	char path[JSON_PATH_LEN];
	json_t *v;
	int rc;

	if (!json_is_object(root))
		return refuse(p, NULL, "expected a JSON object at the top level, got %s",
			      json_kind_name(root));
	rc = parse_header(p, root);
	if (rc == 0)
		rc = field_uuid(p, root, NULL, "meshUUID", db->mesh_uuid);
	if (rc == 0)
		rc = field_string(p, root, NULL, "meshName", true, db->mesh_name,
				  sizeof(db->mesh_name));
	if (rc == 0)
		rc = lookup(p, root, NULL, "timestamp", true, &v, path);
	if (rc == 0)
		rc = read_date_time(p, v, path, db->timestamp);
	if (rc == 0)
		rc = field_bool(p, root, NULL, "partial", false, &db->partial, NULL);
	if (rc == 0)
		rc = parse_net_keys(p, root, db);
	if (rc == 0)
		rc = parse_app_keys(p, root, db);
	if (rc == 0)
		rc = parse_provisioners(p, root, db);
	if (rc == 0)
		rc = parse_nodes(p, root, db);
	if (rc == 0)
		rc = parse_groups(p, root, db);
	if (rc == 0)
		rc = parse_scenes(p, root, db);
	if (rc == 0)
		rc = parse_exclusions(p, root, db);
	if (rc == 0)
		rc = parse_self(p, root, db);
	return rc;
}

/* --- checks across the network ------------------------------------------- */

static int check_net_keys(const struct cdb_parse *p, const struct netdb *db)
{
	char path[JSON_PATH_LEN];

	for (size_t i = 0; i < db->n_net_keys; i++) {
		for (size_t j = 0; j < i; j++) {
			if (db->net_keys[j].index != db->net_keys[i].index)
				continue;
			snprintf(path, sizeof(path), "netKeys[%zu].index", i);
			return refuse(p, path, "%u appears twice (first at netKeys[%zu])",
				      db->net_keys[i].index, j);
		}
	}
	return 0;
}

static int check_app_keys(const struct cdb_parse *p, const struct netdb *db)
{
	char path[JSON_PATH_LEN];

	for (size_t i = 0; i < db->n_app_keys; i++) {
		const struct netdb_app_key *k = &db->app_keys[i];

		for (size_t j = 0; j < i; j++) {
			if (db->app_keys[j].index != k->index)
				continue;
			snprintf(path, sizeof(path), "appKeys[%zu].index", i);
			return refuse(p, path, "%u appears twice (first at appKeys[%zu])",
				      k->index, j);
		}
		if (!netdb_net_key(db, k->bound_net_key)) {
			snprintf(path, sizeof(path), "appKeys[%zu].boundNetKey", i);
			return refuse(p, path, "%u: there is no network key with this index",
				      k->bound_net_key);
		}
	}
	return 0;
}

static int check_provisioners(const struct cdb_parse *p, const struct netdb *db)
{
	char path[JSON_PATH_LEN];

	for (size_t i = 0; i < db->n_provisioners; i++) {
		for (size_t j = 0; j < i; j++) {
			if (memcmp(db->provisioners[j].uuid, db->provisioners[i].uuid, 16))
				continue;
			snprintf(path, sizeof(path), "provisioners[%zu].UUID", i);
			return refuse(p, path, "the same UUID as provisioners[%zu]", j);
		}
	}
	return 0;
}

/* A node's key references: known keys, each once. */
static int check_key_refs(const struct cdb_parse *p, const struct netdb *db, size_t node,
			  const char *member, const struct netdb_key_ref *refs, size_t n,
			  bool app)
{
	char path[JSON_PATH_LEN];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "nodes[%zu].%s[%zu].index", node, member, i);
		if (app ? !netdb_app_key(db, refs[i].index) : !netdb_net_key(db, refs[i].index))
			return refuse(p, path, "%u: there is no %s key with this index",
				      refs[i].index, app ? "application" : "network");
		for (size_t j = 0; j < i; j++)
			if (refs[j].index == refs[i].index)
				return refuse(p, path, "%u appears twice (first at %s[%zu])",
					      refs[i].index, member, j);
	}
	return 0;
}

static int check_models(const struct cdb_parse *p, const struct netdb *db, size_t node,
			const struct netdb_element *el)
{
	char path[JSON_PATH_LEN];

	for (size_t m = 0; m < el->n_models; m++) {
		const struct netdb_model *model = &el->models[m];

		for (size_t b = 0; b < model->n_bind; b++) {
			if (netdb_app_key(db, model->bind[b]))
				continue;
			snprintf(path, sizeof(path), "nodes[%zu].elements[%u].models[%zu].bind[%zu]",
				 node, el->index, m, b);
			return refuse(p, path, "%u: there is no application key with this index",
				      model->bind[b]);
		}
		if (model->has_publish && !netdb_app_key(db, model->publish.app_idx)) {
			snprintf(path, sizeof(path), "nodes[%zu].elements[%u].models[%zu]"
				 ".publish.index", node, el->index, m);
			return refuse(p, path, "%u: there is no application key with this index",
				      model->publish.app_idx);
		}
	}
	return 0;
}

static bool node_has_net_key(const struct netdb_node *n, uint16_t index)
{
	for (size_t i = 0; i < n->n_net_keys; i++)
		if (n->net_keys[i].index == index)
			return true;
	return false;
}

static int check_node_refs(const struct cdb_parse *p, const struct netdb *db, size_t i)
{
	const struct netdb_node *n = &db->nodes[i];
	char path[JSON_PATH_LEN];
	int rc = check_key_refs(p, db, i, "netKeys", n->net_keys, n->n_net_keys, false);

	if (rc == 0)
		rc = check_key_refs(p, db, i, "appKeys", n->app_keys, n->n_app_keys, true);
	for (size_t e = 0; e < n->n_elements && rc == 0; e++)
		rc = check_models(p, db, i, &n->elements[e]);
	if (rc == 0 && n->heartbeat_pub.present &&
	    !node_has_net_key(n, n->heartbeat_pub.net_idx)) {
		snprintf(path, sizeof(path), "nodes[%zu].heartbeatPub.index", i);
		return refuse(p, path, "%u is not one of this node's network keys",
			      n->heartbeat_pub.net_idx);
	}
	return rc;
}

struct node_span {
	uint32_t low, high;
	size_t node;
};

static int compare_spans(const void *a, const void *b)
{
	const struct node_span *x = a, *y = b;

	if (x->low != y->low)
		return x->low < y->low ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* Elements of a node take consecutive addresses from its unicastAddress;
 * no two nodes may share one, nor run past the unicast space. */
static int check_node_spans(const struct cdb_parse *p, const struct netdb *db)
{
	struct node_span *spans;
	char path[JSON_PATH_LEN];
	int rc = 0;

	if (db->n_nodes == 0)
		return 0;
	spans = calloc(db->n_nodes, sizeof(*spans));
	if (!spans)
		return out_of_memory(p);
	for (size_t i = 0; i < db->n_nodes && rc == 0; i++) {
		const struct netdb_node *n = &db->nodes[i];

		spans[i] = (struct node_span){ n->unicast, n->unicast + n->n_elements - 1, i };
		if (spans[i].high > UNICAST_MAX) {
			snprintf(path, sizeof(path), "nodes[%zu].elements", i);
			rc = refuse(p, path, "%zu elements from %04X run past the unicast "
				    "addresses (7FFF)", n->n_elements, n->unicast);
		}
	}
	if (rc == 0)
		qsort(spans, db->n_nodes, sizeof(*spans), compare_spans);
	for (size_t i = 1; i < db->n_nodes && rc == 0; i++) {
		const struct node_span *a = &spans[i - 1], *b = &spans[i];
		const struct node_span *later = a->node > b->node ? a : b;
		const struct node_span *other = later == a ? b : a;

		if (b->low > a->high)
			continue;
		snprintf(path, sizeof(path), "nodes[%zu].unicastAddress", later->node);
		rc = refuse(p, path, "\"%04X\" (elements %04X..%04X) overlaps nodes[%zu] "
			    "(%04X..%04X)", (unsigned)later->low, (unsigned)later->low,
			    (unsigned)later->high, other->node, (unsigned)other->low,
			    (unsigned)other->high);
	}
	free(spans);
	return rc;
}

static int check_nodes(const struct cdb_parse *p, const struct netdb *db)
{
	char path[JSON_PATH_LEN];
	int rc = 0;

	for (size_t i = 0; i < db->n_nodes && rc == 0; i++) {
		for (size_t j = 0; j < i; j++) {
			if (memcmp(db->nodes[j].uuid, db->nodes[i].uuid, 16))
				continue;
			snprintf(path, sizeof(path), "nodes[%zu].UUID", i);
			return refuse(p, path, "the same UUID as nodes[%zu]", j);
		}
		rc = check_node_refs(p, db, i);
	}
	return rc == 0 ? check_node_spans(p, db) : rc;
}

static bool same_address(const struct netdb_address *a, const struct netdb_address *b)
{
	if (a->is_label != b->is_label)
		return false;
	return a->is_label ? memcmp(a->label, b->label, 16) == 0 : a->address == b->address;
}

static int check_groups_and_scenes(const struct cdb_parse *p, const struct netdb *db)
{
	char path[JSON_PATH_LEN];

	for (size_t i = 0; i < db->n_groups; i++) {
		for (size_t j = 0; j < i; j++) {
			if (!same_address(&db->groups[j].address, &db->groups[i].address))
				continue;
			snprintf(path, sizeof(path), "groups[%zu].address", i);
			return refuse(p, path, "the same address as groups[%zu]", j);
		}
	}
	for (size_t i = 0; i < db->n_scenes; i++) {
		for (size_t j = 0; j < i; j++) {
			if (db->scenes[j].number != db->scenes[i].number)
				continue;
			snprintf(path, sizeof(path), "scenes[%zu].number", i);
			return refuse(p, path, "\"%04X\" appears twice (first at scenes[%zu])",
				      db->scenes[i].number, j);
		}
	}
	return 0;
}

static bool uuid_is_zero(const uint8_t uuid[16])
{
	static const uint8_t zero[16];

	return memcmp(uuid, zero, 16) == 0;
}

static int check_network(const struct cdb_parse *p, struct netdb *db)
{
	int rc = check_net_keys(p, db);

	if (rc == 0)
		rc = check_app_keys(p, db);
	if (rc == 0)
		rc = check_provisioners(p, db);
	if (rc == 0)
		rc = check_nodes(p, db);
	if (rc == 0)
		rc = check_groups_and_scenes(p, db);
	if (rc == 0 && !uuid_is_zero(db->self_uuid) && !netdb_self_provisioner(db))
		rc = refuse(p, SELF_MEMBER, "no provisioner has this UUID");
	return rc;
}

/* --- from JSON ----------------------------------------------------------- */

/* Wipe every string of a JSON tree: some are keys. */
static void wipe_strings(json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v)) {
		OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			wipe_strings(item);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, item)
			wipe_strings(item);
	}
}

static void release_json(json_t *root)
{
	if (root) {
		wipe_strings(root);
		json_decref(root);
	}
}

int netdb_from_json(struct netdb **out, const char *text, size_t len, const char *name,
		    char *err, size_t errlen)
{
	struct cdb_parse p = { .name = name ? name : "CDB", .err = err, .errlen = errlen };
	json_error_t jerr;
	struct netdb *db;
	json_t *root;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	/* Duplicate members would leave it open which one counts. */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* jansson quotes the token it stopped at ("near '...'"): in a
		 * file torn inside a key, that is key material. */
		char *near = strstr(jerr.text, " near '");

		if (near)
			*near = '\0';
		if (err && errlen)
			snprintf(err, errlen, "%s:%d:%d: JSON syntax: %s", p.name, jerr.line,
				 jerr.column, jerr.text);
		return -EINVAL;
	}
	db = calloc(1, sizeof(*db));
	if (!db) {
		release_json(root);
		return out_of_memory(&p);
	}
	rc = parse_root(&p, root, db);
	release_json(root);
	if (rc == 0)
		rc = check_network(&p, db);
	if (rc < 0) {
		netdb_free(db);
		return rc;
	}
	*out = db;
	return 0;
}

/* --- to JSON ------------------------------------------------------------- */

/* Set obj.key to value; false if either is missing (an allocation
 * failed). value is taken over in any case, so nothing leaks. */
static bool put(json_t *obj, const char *key, json_t *value)
{
	if (!obj || !value) {
		json_decref(value);
		return false;
	}
	return json_object_set_new(obj, key, value) == 0;
}

/* Append value to *arr; on failure drop the whole array (*arr NULL). */
static bool append(json_t **arr, json_t *value)
{
	if (*arr && value && json_array_append_new(*arr, value) == 0)
		return true;
	if (*arr && value)
		value = NULL;          /* json_array_append_new released it */
	json_decref(value);
	json_decref(*arr);
	*arr = NULL;
	return false;
}

static json_t *hex16_json(uint16_t v)
{
	char buf[5];

	snprintf(buf, sizeof(buf), "%04X", v);
	return json_string(buf);
}

static json_t *key_json(const uint8_t key[16])
{
	char buf[33];
	json_t *s;

	hex_upper(key, 16, buf);
	s = json_string(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return s;
}

static json_t *uuid_json(const uint8_t uuid[16])
{
	char hex[33], buf[37];

	hex_upper(uuid, 16, hex);
	snprintf(buf, sizeof(buf), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
		 hex + 20);
	return json_string(buf);
}

static json_t *address_json(const struct netdb_address *a)
{
	char buf[33];

	if (!a->is_label)
		return hex16_json(a->address);
	hex_upper(a->label, 16, buf);
	return json_string(buf);
}

/* o if everything went into it, else NULL (and o is released). */
static json_t *finish(json_t *o, bool ok)
{
	if (ok)
		return o;
	json_decref(o);
	return NULL;
}

/* A JSON array of n entries of size octets at items, each made by fn. */
static json_t *list_json(const void *items, size_t n, size_t size, json_t *(*fn)(const void *))
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n && arr; i++)
		append(&arr, fn((const char *)items + i * size));
	return arr;
}

static json_t *net_key_json(const void *item)
{
	const struct netdb_net_key *k = item;
	json_t *o = json_object();

	return finish(o, put(o, "name", json_string(k->name)) &&
			 put(o, "index", json_integer(k->index)) &&
			 put(o, "key", key_json(k->key)) &&
			 (!k->has_old_key || put(o, "oldKey", key_json(k->old_key))) &&
			 put(o, "phase", json_integer(k->phase)) &&
			 put(o, "minSecurity",
			     json_string(k->min_security_secure ? "secure" : "insecure")) &&
			 (!k->timestamp[0] || put(o, "timestamp", json_string(k->timestamp))));
}

static json_t *app_key_json(const void *item)
{
	const struct netdb_app_key *k = item;
	json_t *o = json_object();

	return finish(o, put(o, "name", json_string(k->name)) &&
			 put(o, "index", json_integer(k->index)) &&
			 put(o, "boundNetKey", json_integer(k->bound_net_key)) &&
			 put(o, "key", key_json(k->key)) &&
			 (!k->has_old_key || put(o, "oldKey", key_json(k->old_key))));
}

static json_t *ranges_json(const struct netdb_range *r, size_t n, const struct range_kind *kind)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n && arr; i++) {
		json_t *o = json_object();

		append(&arr, finish(o, put(o, kind->low_key, hex16_json(r[i].low)) &&
					       put(o, kind->high_key, hex16_json(r[i].high))));
	}
	return arr;
}

static json_t *provisioner_json(const void *item)
{
	const struct netdb_provisioner *pr = item;
	json_t *o = json_object();

	return finish(o, put(o, "provisionerName", json_string(pr->name)) &&
			 put(o, "UUID", uuid_json(pr->uuid)) &&
			 put(o, unicast_ranges.member,
			     ranges_json(pr->unicast, pr->n_unicast, &unicast_ranges)) &&
			 put(o, group_ranges.member,
			     ranges_json(pr->group, pr->n_group, &group_ranges)) &&
			 put(o, scene_ranges.member,
			     ranges_json(pr->scene, pr->n_scene, &scene_ranges)));
}

static json_t *key_ref_json(const void *item)
{
	const struct netdb_key_ref *ref = item;
	json_t *o = json_object();

	return finish(o, put(o, "index", json_integer(ref->index)) &&
			 put(o, "updated", json_boolean(ref->updated)));
}

static json_t *address_item_json(const void *item)
{
	return address_json(item);
}

static json_t *index_item_json(const void *item)
{
	return json_integer(*(const uint16_t *)item);
}

static json_t *unicast_item_json(const void *item)
{
	return hex16_json(*(const uint16_t *)item);
}

static json_t *publish_period_json(const struct netdb_publish *pub)
{
	json_t *o = json_object();

	return finish(o, put(o, "numberOfSteps", json_integer(pub->period_steps)) &&
			 put(o, "resolution", json_integer(pub->period_resolution_ms)));
}

static json_t *publish_retransmit_json(const struct netdb_publish *pub)
{
	json_t *o = json_object();

	return finish(o, put(o, "count", json_integer(pub->retransmit_count)) &&
			 put(o, "interval", json_integer(pub->retransmit_interval_ms)));
}

static json_t *publish_json(const struct netdb_publish *pub)
{
	json_t *o = json_object();

	return finish(o, put(o, "address", address_json(&pub->address)) &&
			 put(o, "index", json_integer(pub->app_idx)) &&
			 put(o, "ttl", json_integer(pub->ttl)) &&
			 put(o, "period", publish_period_json(pub)) &&
			 put(o, "retransmit", publish_retransmit_json(pub)) &&
			 put(o, "credentials", json_integer(pub->credentials)));
}

static json_t *model_json(const void *item)
{
	const struct netdb_model *m = item;
	json_t *o = json_object();
	char id[9];

	snprintf(id, sizeof(id), m->vendor ? "%08lX" : "%04lX", (unsigned long)m->id);
	return finish(o, put(o, "modelId", json_string(id)) &&
			 put(o, "subscribe", list_json(m->subscribe, m->n_subscribe,
						       sizeof(*m->subscribe), address_item_json)) &&
			 (!m->has_publish || put(o, "publish", publish_json(&m->publish))) &&
			 put(o, "bind",
			     list_json(m->bind, m->n_bind, sizeof(*m->bind), index_item_json)));
}

static json_t *element_json(const void *item)
{
	const struct netdb_element *el = item;
	json_t *o = json_object();

	return finish(o, put(o, "name", json_string(el->name)) &&
			 put(o, "index", json_integer(el->index)) &&
			 put(o, "location", hex16_json(el->location)) &&
			 put(o, "models", list_json(el->models, el->n_models, sizeof(*el->models),
						    model_json)));
}

static json_t *features_json(const struct netdb_node *n)
{
	static const char *const names[] = { "relay", "proxy", "friend", "lowPower" };
	const enum netdb_feature states[] = { n->relay, n->proxy, n->friend_, n->low_power };
	json_t *o = json_object();
	bool ok = true;

	for (size_t i = 0; i < 4 && ok; i++)
		if (states[i] != NETDB_FEATURE_UNKNOWN)
			ok = put(o, names[i], json_integer(states[i]));
	return finish(o, ok);
}

static json_t *transmit_json(const struct netdb_transmit *t)
{
	json_t *o = json_object();

	return finish(o, put(o, "count", json_integer(t->count)) &&
			 put(o, "interval", json_integer(t->interval_ms)));
}

static json_t *heartbeat_features_json(uint16_t features)
{
	json_t *arr = json_array();

	for (int w = 0; heartbeat_feature_words[w] && arr; w++)
		if (features & (1u << w))
			append(&arr, json_string(heartbeat_feature_words[w]));
	return arr;
}

static json_t *heartbeat_pub_json(const struct netdb_heartbeat_pub *hb)
{
	json_t *o = json_object();

	return finish(o, put(o, "address", hex16_json(hb->address)) &&
			 put(o, "period", json_integer(hb->period_s)) &&
			 put(o, "ttl", json_integer(hb->ttl)) &&
			 put(o, "index", json_integer(hb->net_idx)) &&
			 put(o, "features", heartbeat_features_json(hb->features)));
}

static json_t *heartbeat_sub_entry_json(const void *item)
{
	const struct netdb_heartbeat_sub *hb = item;
	json_t *o = json_object();

	return finish(o, put(o, "source", hex16_json(hb->source)) &&
			 put(o, "destination", hex16_json(hb->destination)));
}

/* One subscription is written as the object BlueZ and the nRF library
 * write; several (only ever read from a file) as an array. */
static json_t *heartbeat_sub_json(const struct netdb_node *n)
{
	if (n->n_heartbeat_sub == 1)
		return heartbeat_sub_entry_json(&n->heartbeat_sub[0]);
	return list_json(n->heartbeat_sub, n->n_heartbeat_sub, sizeof(*n->heartbeat_sub),
			 heartbeat_sub_entry_json);
}

static bool features_known(const struct netdb_node *n)
{
	return n->relay != NETDB_FEATURE_UNKNOWN || n->proxy != NETDB_FEATURE_UNKNOWN ||
	       n->friend_ != NETDB_FEATURE_UNKNOWN || n->low_power != NETDB_FEATURE_UNKNOWN;
}

/* The optional members that come from the node's Composition Data and
 * configuration, each written only when known. */
static bool put_node_optionals(json_t *o, const struct netdb_node *n)
{
	return (!n->has_ids ||
		(put(o, "cid", hex16_json(n->cid)) && put(o, "pid", hex16_json(n->pid)) &&
		 put(o, "vid", hex16_json(n->vid)) && put(o, "crpl", hex16_json(n->crpl)))) &&
	       (!features_known(n) || put(o, "features", features_json(n))) &&
	       (!n->has_secure_beacon ||
		put(o, "secureNetworkBeacon", json_boolean(n->secure_network_beacon))) &&
	       (!n->has_default_ttl || put(o, "defaultTTL", json_integer(n->default_ttl))) &&
	       (!n->network_transmit.present ||
		put(o, "networkTransmit", transmit_json(&n->network_transmit))) &&
	       (!n->relay_retransmit.present ||
		put(o, "relayRetransmit", transmit_json(&n->relay_retransmit)));
}

static json_t *node_json(const void *item)
{
	const struct netdb_node *n = item;
	json_t *o = json_object();

	return finish(o, put(o, "UUID", uuid_json(n->uuid)) &&
			 put(o, "unicastAddress", hex16_json(n->unicast)) &&
			 put(o, "deviceKey", key_json(n->dev_key)) &&
			 put(o, "security",
			     json_string(n->security_secure ? "secure" : "insecure")) &&
			 put(o, "netKeys", list_json(n->net_keys, n->n_net_keys,
						     sizeof(*n->net_keys), key_ref_json)) &&
			 put(o, "configComplete", json_boolean(n->config_complete)) &&
			 put(o, "name", json_string(n->name)) && put_node_optionals(o, n) &&
			 put(o, "appKeys", list_json(n->app_keys, n->n_app_keys,
						     sizeof(*n->app_keys), key_ref_json)) &&
			 put(o, "elements", list_json(n->elements, n->n_elements,
						      sizeof(*n->elements), element_json)) &&
			 put(o, "excluded", json_boolean(n->excluded)) &&
			 (!n->heartbeat_pub.present ||
			  put(o, "heartbeatPub", heartbeat_pub_json(&n->heartbeat_pub))) &&
			 (!n->n_heartbeat_sub || put(o, "heartbeatSub", heartbeat_sub_json(n))));
}

static json_t *group_json(const void *item)
{
	const struct netdb_group *g = item;
	struct netdb_address parent = { .address = g->parent, .is_label = g->parent_is_label };
	json_t *o = json_object();

	memcpy(parent.label, g->parent_label, 16);
	return finish(o, put(o, "name", json_string(g->name)) &&
			 put(o, "address", address_json(&g->address)) &&
			 put(o, "parentAddress", address_json(&parent)));
}

static json_t *scene_json(const void *item)
{
	const struct netdb_scene *s = item;
	json_t *o = json_object();

	return finish(o, put(o, "name", json_string(s->name)) &&
			 put(o, "number", hex16_json(s->number)) &&
			 put(o, "addresses", list_json(s->addresses, s->n_addresses,
						       sizeof(*s->addresses), unicast_item_json)));
}

static json_t *exclusion_json(const void *item)
{
	const struct netdb_exclusion *e = item;
	json_t *o = json_object();

	return finish(o, put(o, "ivIndex", json_integer(e->iv_index)) &&
			 put(o, "addresses", list_json(e->addresses, e->n_addresses,
						       sizeof(*e->addresses), unicast_item_json)));
}

#define LIST(fn, items, n) list_json(items, n, sizeof(*(items)), fn)

static json_t *cdb_json(const struct netdb *db)
{
	json_t *root = json_object();
	bool ok = put(root, "$schema", json_string(CDB_SCHEMA)) &&
		  put(root, "id", json_string(CDB_ID)) &&
		  put(root, "version", json_string(CDB_VERSION)) &&
		  put(root, "meshUUID", uuid_json(db->mesh_uuid)) &&
		  put(root, "meshName", json_string(db->mesh_name)) &&
		  put(root, "timestamp", json_string(db->timestamp)) &&
		  put(root, "partial", json_boolean(db->partial)) &&
		  put(root, "netKeys", LIST(net_key_json, db->net_keys, db->n_net_keys)) &&
		  put(root, "appKeys", LIST(app_key_json, db->app_keys, db->n_app_keys)) &&
		  put(root, "provisioners",
		      LIST(provisioner_json, db->provisioners, db->n_provisioners)) &&
		  put(root, "nodes", LIST(node_json, db->nodes, db->n_nodes)) &&
		  put(root, "groups", LIST(group_json, db->groups, db->n_groups)) &&
		  put(root, "scenes", LIST(scene_json, db->scenes, db->n_scenes)) &&
		  put(root, "networkExclusions",
		      LIST(exclusion_json, db->exclusions, db->n_exclusions)) &&
		  (uuid_is_zero(db->self_uuid) || put(root, SELF_MEMBER, uuid_json(db->self_uuid)));

	if (!ok) {
		release_json(root);
		return NULL;
	}
	return root;
}

char *netdb_to_json(const struct netdb *db)
{
	json_t *root = cdb_json(db);
	char *text;

	if (!root)
		return NULL;
	text = json_file_text(root);
	release_json(root);
	return text;
}

/* --- files --------------------------------------------------------------- */

#define DATA_DIR_MODE 0700
#define CDB_FILE_MODE 0600
#define FILE_PATH_LEN (sizeof(((struct netdb *)0)->dir) + 32)

static void release_text(char *text, size_t len)
{
	if (text) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
}

/* dir/mesh.json (and suffix); -ENAMETOOLONG if it does not fit. */
static int cdb_path(char out[FILE_PATH_LEN], const char *dir, const char *suffix)
{
	int n = snprintf(out, FILE_PATH_LEN, "%s/%s%s", dir, NETDB_FILE, suffix);

	return n > 0 && (size_t)n < FILE_PATH_LEN ? 0 : -ENAMETOOLONG;
}

static void say(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* strerror_r: saving blocks on fsync, so callers may run it on a worker
 * thread, where strerror's shared buffer is not safe. */
static const char *reason(int rc, char buf[64])
{
	if (strerror_r(-rc, buf, 64) != 0)
		snprintf(buf, 64, "error %d", -rc);
	return buf;
}

/* Load a file as a CDB; err names the file and what is wrong. */
static int load_file(struct netdb **out, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc = store_read(path, CDB_FILE_MAX, &text, &len, err, errlen);

	*out = NULL;
	if (rc < 0)
		return rc;
	rc = netdb_from_json(out, text, len, path, err, errlen);
	release_text(text, len);
	return rc;
}

/* After a refusal of path: name the backup to restore, when it loads. */
static void point_to_backup(const char *path, char *err, size_t errlen)
{
	char bak[FILE_PATH_LEN], why[256];
	size_t used = err ? strnlen(err, errlen) : 0;
	struct netdb *old;
	int rc;

	if (!err || used + 1 >= errlen ||
	    snprintf(bak, sizeof(bak), "%s%s", path, NETDB_BACKUP_SUFFIX) >= (int)sizeof(bak))
		return;
	rc = load_file(&old, bak, why, sizeof(why));
	if (rc == 0)
		say(err + used, errlen - used, "; a backup from %s is at %s; copy it over %s "
		    "to restore", old->timestamp, bak, path);
	else if (rc != -ENOENT)
		say(err + used, errlen - used, "; the backup %s does not load either", bak);
	netdb_free(old);
}

int netdb_save(struct netdb *db, char *err, size_t errlen)
{
	char path[FILE_PATH_LEN], why[512], buf[64];
	struct netdb *check;
	char *text;
	size_t len;
	int rc;

	if (!db->dir[0]) {
		say(err, errlen, "network database %s: not saved: it has no directory",
		    db->mesh_name);
		return -EINVAL;
	}
	rc = cdb_path(path, db->dir, "");
	if (rc < 0) {
		say(err, errlen, "%s: directory name too long", db->dir);
		return rc;
	}
	rc = store_mkdir(db->dir, DATA_DIR_MODE);
	if (rc < 0) {
		say(err, errlen, "%s: create directory: %s", db->dir, reason(rc, buf));
		return rc;
	}
	netdb_timestamp_now(db->timestamp);
	text = netdb_to_json(db);
	if (!text) {
		say(err, errlen, "%s: not saved: out of memory", path);
		return -ENOMEM;
	}
	len = strlen(text);
	/* Never write a file that loading would refuse: meshgate could not
	 * start from it. */
	rc = netdb_from_json(&check, text, len, path, why, sizeof(why));
	netdb_free(check);
	if (rc < 0)
		say(err, errlen, "not saved, the network database is inconsistent: %s", why);
	else
		rc = store_write(path, text, len, CDB_FILE_MODE, true, err, errlen);
	release_text(text, len);
	return rc;
}

/* No mesh.json: a new network, unless a backup says there was one. */
static int create_network(struct netdb **out, const char *dir, const char *path, char *err,
			  size_t errlen)
{
	char bak[FILE_PATH_LEN], buf[64];
	struct stat st;
	struct netdb *db;
	int rc = cdb_path(bak, dir, NETDB_BACKUP_SUFFIX);

	if (rc == 0 && lstat(bak, &st) == 0) {
		say(err, errlen, "%s does not exist, but %s does: copy it over %s to restore "
		    "the network, or remove it to start a new one", path, bak, path);
		return -ENOENT;
	}
	rc = netdb_create(&db, NULL, NULL);
	if (rc < 0) {
		say(err, errlen, "%s: cannot create a new network: %s", path, reason(rc, buf));
		return rc;
	}
	memcpy(db->dir, dir, strlen(dir) + 1);
	rc = netdb_save(db, err, errlen);
	if (rc < 0) {
		netdb_free(db);
		return rc;
	}
	if (err && errlen)
		err[0] = '\0';         /* store_read's "no such file" is no error now */
	*out = db;
	return 0;
}

int netdb_open(struct netdb **out, const char *dir, char *err, size_t errlen)
{
	char path[FILE_PATH_LEN];
	struct netdb *db;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (strlen(dir) >= sizeof(db->dir) || cdb_path(path, dir, NETDB_BACKUP_SUFFIX) < 0) {
		say(err, errlen, "%s: directory name too long", dir);
		return -ENAMETOOLONG;
	}
	cdb_path(path, dir, "");
	rc = load_file(&db, path, err, errlen);
	if (rc == -ENOENT)
		return create_network(out, dir, path, err, errlen);
	if (rc == 0 && !netdb_self_provisioner(db)) {
		say(err, errlen, "%s: %s: missing, so it is not known which provisioner is "
		    "meshgate's; a CDB from another tool is taken over by importing it", path,
		    SELF_MEMBER);
		netdb_free(db);
		rc = -EINVAL;
	}
	if (rc < 0) {
		/* A damaged file stays as it is: the user's network is in it. */
		if (rc == -EINVAL)
			point_to_backup(path, err, errlen);
		return rc;
	}
	memcpy(db->dir, dir, strlen(dir) + 1);
	*out = db;
	return 0;
}

/* --- import -------------------------------------------------------------- */

/* Which values of a 16-bit space are taken, one bit each. */
struct value_set {
	uint8_t bits[0x10000 / 8];
};

static void take(struct value_set *s, uint32_t low, uint32_t high)
{
	for (uint32_t v = low; v <= high && v <= 0xffff; v++)
		s->bits[v / 8] |= (uint8_t)(1u << (v % 8));
}

static bool taken(const struct value_set *s, uint32_t v)
{
	return s->bits[v / 8] & (1u << (v % 8));
}

/* The top span values of the largest free stretch of low..high (the
 * highest of equals): far from where other tools start handing out. */
static bool free_range(const struct value_set *s, uint32_t low, uint32_t high, uint32_t span,
		       struct netdb_range *out)
{
	uint32_t best_len = 0, best_end = 0, run = 0;

	for (uint32_t v = low; v <= high; v++) {
		run = taken(s, v) ? 0 : run + 1;
		if (run && run >= best_len) {
			best_len = run;
			best_end = v;
		}
	}
	if (!best_len)
		return false;
	out->high = (uint16_t)best_end;
	out->low = (uint16_t)(best_end - (best_len < span ? best_len : span) + 1);
	return true;
}

static void take_ranges(struct value_set *s, const struct netdb_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		take(s, r[i].low, r[i].high);
}

static bool choose_unicast(const struct netdb *db, struct value_set *s, struct netdb_range *out)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < db->n_provisioners; i++)
		take_ranges(s, db->provisioners[i].unicast, db->provisioners[i].n_unicast);
	for (size_t i = 0; i < db->n_nodes; i++)
		take(s, db->nodes[i].unicast, db->nodes[i].unicast + db->nodes[i].n_elements - 1u);
	for (size_t i = 0; i < db->n_exclusions; i++)
		for (size_t j = 0; j < db->exclusions[i].n_addresses; j++)
			take(s, db->exclusions[i].addresses[j], db->exclusions[i].addresses[j]);
	return free_range(s, 0x0001, UNICAST_MAX, IMPORT_UNICAST_SPAN, out);
}

static bool choose_group(const struct netdb *db, struct value_set *s, struct netdb_range *out)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < db->n_provisioners; i++)
		take_ranges(s, db->provisioners[i].group, db->provisioners[i].n_group);
	for (size_t i = 0; i < db->n_groups; i++)
		if (!db->groups[i].address.is_label)
			take(s, db->groups[i].address.address, db->groups[i].address.address);
	return free_range(s, GROUP_RANGE_LOW, GROUP_RANGE_HIGH, IMPORT_GROUP_SPAN, out);
}

static bool choose_scene(const struct netdb *db, struct value_set *s, struct netdb_range *out)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < db->n_provisioners; i++)
		take_ranges(s, db->provisioners[i].scene, db->provisioners[i].n_scene);
	for (size_t i = 0; i < db->n_scenes; i++)
		take(s, db->scenes[i].number, db->scenes[i].number);
	return free_range(s, 0x0001, 0xffff, IMPORT_SCENE_SPAN, out);
}

/* meshgate's provisioner entry, with ranges no other provisioner, node,
 * group or scene uses. */
static int add_self_provisioner(struct netdb *db, struct netdb_range *unicast)
{
	struct netdb_provisioner *grown, *p;
	struct value_set *s = malloc(sizeof(*s));
	int rc = 0;

	if (!s)
		return -ENOMEM;
	grown = realloc(db->provisioners, (db->n_provisioners + 1) * sizeof(*grown));
	if (!grown) {
		rc = -ENOMEM;
		goto done;
	}
	db->provisioners = grown;
	p = &grown[db->n_provisioners];
	memset(p, 0, sizeof(*p));
	if (!choose_unicast(db, s, &p->unicast[0])) {
		rc = -ENOSPC;
		goto done;
	}
	p->n_unicast = 1;
	p->n_group = choose_group(db, s, &p->group[0]);
	p->n_scene = choose_scene(db, s, &p->scene[0]);
	strcpy(p->name, SELF_PROVISIONER_NAME);
	memcpy(p->uuid, db->self_uuid, 16);
	*unicast = p->unicast[0];
	db->n_provisioners++;
done:
	free(s);
	return rc;
}

/* The highest IV index any exclusion was made at: allocating "at" it
 * keeps every excluded address out, since we do not know how far the
 * network's IV index has moved on. */
static uint32_t newest_exclusion(const struct netdb *db)
{
	uint32_t iv = 0;

	for (size_t i = 0; i < db->n_exclusions; i++)
		if (db->exclusions[i].iv_index > iv)
			iv = db->exclusions[i].iv_index;
	return iv;
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* "2 network keys, ..., 1 scene" of what the file brought. */
static void report_counts(const struct netdb *db, char *report, size_t reportlen)
{
	say(report, reportlen, "%zu network key%s, %zu application key%s, %zu node%s, "
	    "%zu group%s, %zu scene%s", db->n_net_keys, plural(db->n_net_keys), db->n_app_keys,
	    plural(db->n_app_keys), db->n_nodes, plural(db->n_nodes), db->n_groups,
	    plural(db->n_groups), db->n_scenes, plural(db->n_scenes));
}

static void report_more(char *report, size_t reportlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report_more(char *report, size_t reportlen, const char *fmt, ...)
{
	size_t used = report ? strnlen(report, reportlen) : 0;
	va_list ap;

	if (!report || used + 1 >= reportlen)
		return;
	va_start(ap, fmt);
	vsnprintf(report + used, reportlen - used, fmt, ap);
	va_end(ap);
}

/* Give meshgate its provisioner entry and node where the file has none. */
static int adopt(struct netdb *db, const char *name, char *report, size_t reportlen)
{
	const struct netdb_provisioner *self = netdb_self_provisioner(db);
	struct netdb_range range;
	char buf[64];
	int rc;

	if (self) {
		report_more(report, reportlen, "; provisioner '%s' is meshgate's", self->name);
	} else {
		rc = add_self_provisioner(db, &range);
		if (rc < 0) {
			say(report, reportlen, "%s: no unicast addresses are left for meshgate's "
			    "provisioner", name);
			return rc;
		}
		report_more(report, reportlen, "; provisioner '%s' added with 0x%04x-0x%04x",
			    SELF_PROVISIONER_NAME, range.low, range.high);
	}
	if (netdb_self_node(db))
		return 0;
	rc = netdb_add_self_node(db, newest_exclusion(db));
	if (rc < 0) {
		say(report, reportlen, "%s: cannot add meshgate's own node: %s", name,
		    rc == -ENOSPC ? "no free unicast address in its range" : reason(rc, buf));
		return rc;
	}
	report_more(report, reportlen, "; its node 0x%04x added", netdb_self_node(db)->unicast);
	return 0;
}

int netdb_import(struct netdb **out, const char *text, size_t len, const char *name,
		 const uint8_t self_uuid[16], char *report, size_t reportlen)
{
	struct netdb *db;
	int rc;

	*out = NULL;
	if (!name)
		name = "CDB";
	rc = netdb_from_json(&db, text, len, name, report, reportlen);
	if (rc < 0)
		return rc;
	/* A file exported by another meshgate names that one: ours counts. */
	memcpy(db->self_uuid, self_uuid, 16);
	if (uuid_is_zero(db->self_uuid) && RAND_bytes(db->self_uuid, 16) != 1) {
		say(report, reportlen, "%s: not imported: no random numbers for meshgate's UUID",
		    name);
		netdb_free(db);
		return -EIO;
	}
	/* Version 4 (random), RFC 4122 4.4, like the UUIDs netdb_create makes. */
	if (uuid_is_zero(self_uuid)) {
		db->self_uuid[6] = (uint8_t)((db->self_uuid[6] & 0x0f) | 0x40);
		db->self_uuid[8] = (uint8_t)((db->self_uuid[8] & 0x3f) | 0x80);
	}
	report_counts(db, report, reportlen);
	rc = adopt(db, name, report, reportlen);
	if (rc < 0) {
		netdb_free(db);
		return rc;
	}
	*out = db;
	return 0;
}
