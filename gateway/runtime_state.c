/*
 * meshgate's runtime state as a node (runtime_state.h) in state.json:
 *
 *   {
 *     "ivIndex": 4660,
 *     "ivUpdate": false,
 *     "seqReserved": 8192,
 *     "rpl": [ { "src": "0001", "seq": 77, "ivIndex": 4660 } ]
 *   }
 *
 * Addresses are 4 hexadecimal digits as in the CDB next to it. Loading is
 * strict, because a wrong value here is not cosmetic: an IV index too low
 * gets all our messages dropped by the network, a SEQ too low makes them
 * replays, a damaged RPL lets replays of others in. So every member is
 * required and checked, unknown members and duplicate keys are refused,
 * and a refusal names the file and the member ("state.json: rpl[3].src:
 * "C001" is not a unicast address") so a user can repair it by hand.
 * Saving refuses a state that loading would refuse, so meshgate never
 * writes a file it cannot start from.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mesh/addr.h"
#include "mesh/bytes.h"
#include "mesh/seq.h"
#include "netdb.h"
#include "json_path.h"
#include "runtime_state.h"
#include "store.h"

/* 1024 RPL entries take under 90 KB indented; leave room, refuse junk. */
#define RUNTIME_STATE_MAX_FILE (1024u * 1024u)
#define SEQ_MAX 0xffffffu
/* seqReserved may be MESH_SEQ_LIMIT itself: the whole 24-bit space
 * reserved, which mesh_seq persists before the last SEQ goes out. */
#define SEQ_RESERVED_MAX MESH_SEQ_LIMIT
#define IV_INDEX_MAX 0xffffffffu
/* "rpl[1023]" and a member name below it, with room to spare. */
#define ENTRY_PATH_MAX 32
/* A data directory (netdb.h keeps it in 4096 octets) and a file name. */
#define STATE_PATH_MAX (4096 + 32)
/* How much of a bad string value a message repeats. */

void runtime_state_init(struct runtime_state *s)
{
	memset(s, 0, sizeof(*s));
}

/* --- messages ------------------------------------------------------------ */




/* --- reading members ----------------------------------------------------- */


static int get_member(const struct json_file_err *ps, json_t *obj, const char *parent,
		      const char *key, json_t **value)
{
	char path[JSON_PATH_LEN];

	*value = json_object_get(obj, key);
	if (*value)
		return 0;
	json_path_member(path, parent, key);
	return json_file_invalid(ps, path, "required member is missing");
}

static int get_uint(const struct json_file_err *ps, json_t *obj, const char *parent,
		    const char *key, uint32_t max, uint32_t *out)
{
	char path[JSON_PATH_LEN];
	json_int_t v;
	json_t *value;
	int rc = get_member(ps, obj, parent, key, &value);

	if (rc < 0)
		return rc;
	json_path_member(path, parent, key);
	if (!json_is_integer(value))
		return json_file_invalid(ps, path, "expected an integer, got %s", json_kind_name(value));
	v = json_integer_value(value);
	if (v < 0 || (unsigned long long)v > max)
		return json_file_invalid(ps, path, "%lld is out of range (0..%lu)", (long long)v,
			       (unsigned long)max);
	*out = (uint32_t)v;
	return 0;
}

static int get_bool(const struct json_file_err *ps, json_t *obj, const char *parent,
		    const char *key, bool *out)
{
	char path[JSON_PATH_LEN];
	json_t *value;
	int rc = get_member(ps, obj, parent, key, &value);

	if (rc < 0)
		return rc;
	json_path_member(path, parent, key);
	if (!json_is_boolean(value))
		return json_file_invalid(ps, path, "expected true or false, got %s", json_kind_name(value));
	*out = json_is_true(value);
	return 0;
}


/* Exactly 4 hexadecimal digits, either case. */
static bool parse_hex16(const char *text, size_t len, uint16_t *out)
{
	uint16_t v = 0;

	if (len != 4)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = mesh_hex_digit(text[i]);

		if (d < 0)
			return false;
		v = (uint16_t)(v << 4 | d);
	}
	*out = v;
	return true;
}

/* A unicast address as 4 hexadecimal digits (the CDB's spelling). */
static int get_unicast(const struct json_file_err *ps, json_t *obj, const char *parent,
		       const char *key, uint16_t *out)
{
	char path[JSON_PATH_LEN], quoted[JSON_QUOTE_MAX + 4];
	uint16_t addr;
	json_t *value;
	int rc = get_member(ps, obj, parent, key, &value);

	if (rc < 0)
		return rc;
	json_path_member(path, parent, key);
	if (!json_is_string(value))
		return json_file_invalid(ps, path, "expected an address as a string of 4 hexadecimal "
			       "digits, got %s", json_kind_name(value));
	json_quote_short(json_string_value(value), json_string_length(value), quoted);
	if (!parse_hex16(json_string_value(value), json_string_length(value), &addr))
		return json_file_invalid(ps, path, "\"%s\" is not an address of 4 hexadecimal digits",
			       quoted);
	if (!mesh_addr_is_unicast(addr))
		return json_file_invalid(ps, path, "\"%s\" is not a unicast address", quoted);
	*out = addr;
	return 0;
}

/* --- the document -------------------------------------------------------- */

static int parse_rpl_entry(const struct json_file_err *ps, json_t *item, const char *path,
			   struct runtime_rpl_entry *e)
{
	static const char *const members[] = { "src", "seq", "ivIndex", NULL };
	int rc;

	if (!json_is_object(item))
		return json_file_invalid(ps, path, "expected an object, got %s", json_kind_name(item));
	rc = json_check_members(ps, item, path, members);
	if (rc == 0)
		rc = get_unicast(ps, item, path, "src", &e->src);
	if (rc == 0)
		rc = get_uint(ps, item, path, "seq", SEQ_MAX, &e->seq);
	if (rc == 0)
		rc = get_uint(ps, item, path, "ivIndex", IV_INDEX_MAX, &e->iv_index);
	return rc;
}

/* One entry per source: two would leave it open which SEQ counts. */
static int check_rpl_unique(const struct json_file_err *ps, const struct runtime_state *s)
{
	uint8_t seen[0x10000 / 8] = { 0 };

	for (size_t i = 0; i < s->n_rpl; i++) {
		uint16_t src = s->rpl[i].src;
		size_t first = 0;
		char path[JSON_PATH_LEN];

		if (!(seen[src / 8] & (1u << (src % 8)))) {
			seen[src / 8] |= (uint8_t)(1u << (src % 8));
			continue;
		}
		while (s->rpl[first].src != src)
			first++;
		snprintf(path, sizeof(path), "rpl[%zu].src", i);
		return json_file_invalid(ps, path, "\"%04X\" appears twice (first at rpl[%zu])", src, first);
	}
	return 0;
}

static int parse_rpl(const struct json_file_err *ps, json_t *root, struct runtime_state *s)
{
	json_t *array, *item;
	size_t i;
	int rc = get_member(ps, root, "", "rpl", &array);

	if (rc < 0)
		return rc;
	if (!json_is_array(array))
		return json_file_invalid(ps, "rpl", "expected an array, got %s", json_kind_name(array));
	if (json_array_size(array) > RUNTIME_RPL_MAX)
		return json_file_invalid(ps, "rpl", "%zu entries, at most %d", json_array_size(array),
			       RUNTIME_RPL_MAX);
	json_array_foreach(array, i, item) {
		char path[ENTRY_PATH_MAX];

		snprintf(path, sizeof(path), "rpl[%zu]", i);
		rc = parse_rpl_entry(ps, item, path, &s->rpl[i]);
		if (rc < 0)
			return rc;
	}
	s->n_rpl = json_array_size(array);
	return check_rpl_unique(ps, s);
}

static int parse_root(const struct json_file_err *ps, json_t *root, struct runtime_state *s)
{
	static const char *const members[] = { "ivIndex", "ivUpdate", "seqReserved", "rpl",
					       NULL };
	int rc;

	if (!json_is_object(root))
		return json_file_invalid(ps, NULL, "expected a JSON object at the top level, got %s",
			       json_kind_name(root));
	rc = json_check_members(ps, root, NULL, members);
	if (rc == 0)
		rc = get_uint(ps, root, NULL, "ivIndex", IV_INDEX_MAX, &s->iv_index);
	if (rc == 0)
		rc = get_bool(ps, root, NULL, "ivUpdate", &s->iv_update);
	if (rc == 0)
		rc = get_uint(ps, root, NULL, "seqReserved", SEQ_RESERVED_MAX, &s->seq_reserved);
	if (rc == 0)
		rc = parse_rpl(ps, root, s);
	return rc;
}

int runtime_state_from_json(struct runtime_state *s, const char *text, size_t len,
			    const char *name, char *err, size_t errlen)
{
	struct json_file_err ps = { .name = name ? name : "state", .err = err, .errlen = errlen };
	struct runtime_state *parsed;
	json_error_t jerr;
	json_t *root;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (err && errlen && jerr.line > 0)
			snprintf(err, errlen, "%s:%d:%d: JSON syntax: %s", ps.name, jerr.line,
				 jerr.column, jerr.text);
		else if (err && errlen)
			snprintf(err, errlen, "%s: JSON syntax: %s", ps.name, jerr.text);
		return -EINVAL;
	}
	/* Parse aside so a refused file leaves the caller's state as it was. */
	parsed = calloc(1, sizeof(*parsed));
	if (!parsed) {
		json_decref(root);
		json_file_invalid(&ps, NULL, "out of memory");
		return -ENOMEM;
	}
	rc = parse_root(&ps, root, parsed);
	if (rc == 0)
		memcpy(s, parsed, sizeof(*s));
	free(parsed);
	json_decref(root);
	return rc;
}

/* --- writing ------------------------------------------------------------- */

/* The same rules as loading, on the in-memory state. */
static int check_state(const struct json_file_err *ps, const struct runtime_state *s)
{
	if (s->seq_reserved > SEQ_RESERVED_MAX)
		return json_file_invalid(ps, "seqReserved", "%lu is out of range (0..%lu)",
			       (unsigned long)s->seq_reserved, (unsigned long)SEQ_RESERVED_MAX);
	if (s->n_rpl > RUNTIME_RPL_MAX)
		return json_file_invalid(ps, "rpl", "%zu entries, at most %d", s->n_rpl, RUNTIME_RPL_MAX);
	for (size_t i = 0; i < s->n_rpl; i++) {
		char path[JSON_PATH_LEN];

		if (!mesh_addr_is_unicast(s->rpl[i].src)) {
			snprintf(path, sizeof(path), "rpl[%zu].src", i);
			return json_file_invalid(ps, path, "\"%04X\" is not a unicast address",
				       s->rpl[i].src);
		}
		if (s->rpl[i].seq > SEQ_MAX) {
			snprintf(path, sizeof(path), "rpl[%zu].seq", i);
			return json_file_invalid(ps, path, "%lu is out of range (0..%lu)",
				       (unsigned long)s->rpl[i].seq, (unsigned long)SEQ_MAX);
		}
	}
	return check_rpl_unique(ps, s);
}

static json_t *rpl_entry_json(const struct runtime_rpl_entry *e)
{
	json_t *entry = json_object();
	char src[5];

	snprintf(src, sizeof(src), "%04X", e->src);
	if (json_object_set_new(entry, "src", json_string(src)) < 0 ||
	    json_object_set_new(entry, "seq", json_integer(e->seq)) < 0 ||
	    json_object_set_new(entry, "ivIndex", json_integer(e->iv_index)) < 0) {
		json_decref(entry);
		return NULL;
	}
	return entry;
}

static json_t *state_json(const struct runtime_state *s)
{
	json_t *root = json_object(), *rpl = json_array();
	bool ok;

	/* json_object_set_new() takes the value over even when it fails, so
	 * a chain of them needs one check; rpl is shared (json_object_set)
	 * and let go below, so it is freed on every path. */
	ok = root && rpl &&
	     json_object_set_new(root, "ivIndex", json_integer(s->iv_index)) == 0 &&
	     json_object_set_new(root, "ivUpdate", json_boolean(s->iv_update)) == 0 &&
	     json_object_set_new(root, "seqReserved", json_integer(s->seq_reserved)) == 0 &&
	     json_object_set(root, "rpl", rpl) == 0;
	for (size_t i = 0; ok && i < s->n_rpl; i++)
		ok = json_array_append_new(rpl, rpl_entry_json(&s->rpl[i])) == 0;
	json_decref(rpl);
	if (!ok) {
		json_decref(root);
		return NULL;
	}
	return root;
}

char *runtime_state_to_json(const struct runtime_state *s)
{
	json_t *root;
	char *text;

	if (s->n_rpl > RUNTIME_RPL_MAX)
		return NULL;
	root = state_json(s);
	if (!root)
		return NULL;
	text = json_file_text(root);
	json_decref(root);
	return text;
}

/* --- files --------------------------------------------------------------- */

static int state_path(char *out, size_t outlen, const char *dir)
{
	int n = snprintf(out, outlen, "%s/%s", dir, NETDB_STATE_FILE);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

static bool file_loads(const char *path)
{
	struct runtime_state *probe;
	char *text;
	size_t len;
	bool ok;

	if (store_read(path, RUNTIME_STATE_MAX_FILE, &text, &len, NULL, 0) < 0)
		return false;
	probe = malloc(sizeof(*probe));
	ok = probe && runtime_state_from_json(probe, text, len, path, NULL, 0) == 0;
	free(probe);
	free(text);
	return ok;
}

/* Point a user at the backup when the file itself is refused; only a
 * backup that loads is worth naming. */
static void mention_backup(const char *path, char *err, size_t errlen)
{
	char bak[STATE_PATH_MAX + sizeof(NETDB_BACKUP_SUFFIX)];
	size_t used;

	if (!err || !errlen)
		return;
	snprintf(bak, sizeof(bak), "%s%s", path, NETDB_BACKUP_SUFFIX);
	if (!file_loads(bak))
		return;
	used = strlen(err);
	if (used + 1 < errlen)
		snprintf(err + used, errlen - used, " (the previous version is in %s)", bak);
}

int runtime_state_load(struct runtime_state *s, const char *dir, char *err, size_t errlen)
{
	char path[STATE_PATH_MAX];
	char *text;
	size_t len;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	rc = state_path(path, sizeof(path), dir);
	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: directory name too long", dir);
		return rc;
	}
	rc = store_read(path, RUNTIME_STATE_MAX_FILE, &text, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = runtime_state_from_json(s, text, len, path, err, errlen);
	free(text);
	if (rc == -EINVAL)
		mention_backup(path, err, errlen);
	return rc;
}

int runtime_state_save(const struct runtime_state *s, const char *dir, char *err,
		       size_t errlen)
{
	char path[STATE_PATH_MAX], label[STATE_PATH_MAX + 16];
	struct json_file_err ps = { .name = label, .err = err, .errlen = errlen };
	char *text;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	rc = state_path(path, sizeof(path), dir);
	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: directory name too long", dir);
		return rc;
	}
	/* A refusal here is about memory, not the file on disk. */
	snprintf(label, sizeof(label), "%s (not saved)", path);
	rc = check_state(&ps, s);
	if (rc < 0)
		return rc;
	text = runtime_state_to_json(s);
	if (!text) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	/* 0600: the RPL says who talks in the network and how much. */
	rc = store_write(path, text, strlen(text), 0600, true, err, errlen);
	free(text);
	return rc;
}
