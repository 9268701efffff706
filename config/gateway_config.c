/*
 * The gateway's configuration file (see gateway_config.h and
 * docs/config.md).
 *
 * Like the scenario loader, the file is loaded with libyaml's document API
 * (config/yaml_doc.h) and walked by the schema one section at a time, in a
 * fixed order: `groups` before `nodes`, so a node can name a group defined
 * anywhere in the file. Each function returns 0, or MESH_ERR_INVAL after
 * writing the one error line; the first problem ends the load and the
 * caller gets the defaults back, never half a configuration.
 *
 * A key with no value ("key:" or "key: ~") means the same as no key: the
 * default. Every scalar value may refer to environment variables
 * ("${NAME}"), which is how secrets stay out of the file; messages echo
 * only what the file itself says, never what a reference or a
 * password_file gave, and never a secret.
 *
 * Names (of groups, nodes and elements) become MQTT topics below the base
 * topic, so they follow topic rules, and one name means one thing: the
 * check that a name is used once runs through a hash table, since a big
 * house may have thousands of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config/gateway_config.h"
#include "config/yaml_doc.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/util.h"

/* deploy/config/demo.yaml, compiled in by cmake/embed.cmake. */
extern const char meshgate_builtin_config[];
extern const unsigned long meshgate_builtin_config_len;

#define BUILTIN_NAME "builtin:demo.yaml"
#define FILE_MAX (1u << 20)
#define GROUPS_MAX 1024
#define NODES_MAX 4096
#define CLIENT_ID_MAX 64

enum name_kind {
	NAME_GROUP,
	NAME_NODE,
	NAME_ELEMENT,
};

/* A name in use, for the one-name-one-thing rule and group look-ups. */
struct name_slot {
	const char *name;            /* in cfg, whose arrays never move */
	enum name_kind kind;
	size_t index;                /* of the group, for NAME_GROUP */
	size_t line;                 /* 1-based */
};

struct loader {
	struct ydoc y;
	struct gw_config *cfg;
	struct name_slot *names;     /* open addressing; size a power of two */
	size_t names_size;
};

/* ---- defaults and freeing ---------------------------------------------- */

void gw_config_init(struct gw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mqtt.enabled = true;
	strcpy(cfg->mqtt.server, "mqtt://localhost:1883");
	strcpy(cfg->mqtt.base_topic, "meshgate");
	strcpy(cfg->mqtt.client_id, "meshgate");
	cfg->mqtt.version = 4;
	cfg->mqtt.keepalive_s = 60;
	cfg->mqtt.reconnect_max_s = 60;

	cfg->homeassistant.enabled = true;
	strcpy(cfg->homeassistant.discovery_prefix, "homeassistant");
	strcpy(cfg->homeassistant.status_topic, "homeassistant/status");

	cfg->bearer.kind = GW_CONFIG_BEARER_SIMULATOR;
	strcpy(cfg->bearer.device, "hci0");
	cfg->bearer.baudrate = 1000000;
	cfg->bearer.rtscts = true;

	cfg->mesh.unicast_low = 0x0001;
	cfg->mesh.unicast_high = 0x7fff;
	cfg->mesh.heartbeat_group = 0xfeff;
	cfg->mesh.liveness_factor = 3;

	cfg->web.enabled = true;
	strcpy(cfg->web.host, "0.0.0.0");
	cfg->web.port = 8080;

	cfg->log.level = GW_CONFIG_LOG_INFO;
	cfg->log.format = GW_CONFIG_LOG_TEXT;
}

void gw_config_free(struct gw_config *cfg)
{
	if (cfg->nodes)
		OPENSSL_cleanse(cfg->nodes, cfg->n_nodes * sizeof(*cfg->nodes));
	free(cfg->nodes);
	free(cfg->groups);
	OPENSSL_cleanse(cfg->mqtt.password, sizeof(cfg->mqtt.password));
	OPENSSL_cleanse(cfg->web.password, sizeof(cfg->web.password));
	gw_config_init(cfg);
}

/* ---- look-ups ---------------------------------------------------------- */

const struct gw_config_group *gw_config_group_find(const struct gw_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (strcmp(cfg->groups[i].name, name) == 0)
			return &cfg->groups[i];
	return NULL;
}

const struct gw_config_node *gw_config_node_find(const struct gw_config *cfg,
						 const uint8_t uuid[16], uint16_t address)
{
	for (size_t i = 0; uuid && i < cfg->n_nodes; i++)
		if (cfg->nodes[i].by_uuid && memcmp(cfg->nodes[i].uuid, uuid, 16) == 0)
			return &cfg->nodes[i];
	for (size_t i = 0; i < cfg->n_nodes; i++)
		if (!cfg->nodes[i].by_uuid && address && cfg->nodes[i].address == address)
			return &cfg->nodes[i];
	return NULL;
}

/* ---- values ------------------------------------------------------------ */

/* The value of key in map, with its key path in sub; NULL when the key is
 * absent or has no value (both mean: the default). */
static const yaml_node_t *field(struct loader *ld, const yaml_node_t *map, const char *path,
				const char *key, char sub[YDOC_PATH_LEN])
{
	const yaml_node_t *v = ydoc_get(&ld->y, map, key);

	if (!v || ydoc_is_null(v))
		return NULL;
	ydoc_subpath(sub, path, key);
	return v;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/*
 * The length of the environment variable reference "${NAME}" at s (s[0] is
 * '$', s[1] '{'), with NAME copied into name; 0 when it is not a valid one.
 */
static size_t env_ref(const char *s, char *name, size_t size)
{
	size_t n = 0;

	while (is_name_char(s[2 + n]))
		n++;
	if (n == 0 || s[2 + n] != '}' || (s[2] >= '0' && s[2] <= '9') || n >= size)
		return 0;
	memcpy(name, s + 2, n);
	name[n] = '\0';
	return n + 3;
}

/*
 * The text of scalar n into out, each "${NAME}" replaced by that
 * environment variable ("$${" stands for a literal "${"). what names the
 * expected value for a message about a list or mapping in its place.
 */
static int get_text(struct loader *ld, const yaml_node_t *n, const char *path, const char *what,
		    char *out, size_t size)
{
	char buf[64], name[128];
	const char *s;
	size_t o = 0;

	if (!ydoc_is_text(n) || ydoc_is_null(n))
		return ydoc_fail(&ld->y, n, path, "expected %s, got %s", what,
				 ydoc_describe(&ld->y, n, buf, sizeof(buf)));
	for (s = ydoc_scalar(n); *s;) {
		const char *piece = s;
		size_t len = 1, ref;

		if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
			len = 2;
			piece = s + 1;
			s += 3;
		} else if (s[0] == '$' && s[1] == '{') {
			ref = env_ref(s, name, sizeof(name));
			if (!ref) {
				OPENSSL_cleanse(out, size);
				return ydoc_fail(&ld->y, n, path, "expected ${NAME} with NAME "
						 "made of letters, digits and '_' (write $${ for "
						 "a literal ${)");
			}
			piece = getenv(name);
			if (!piece) {
				OPENSSL_cleanse(out, size);
				return ydoc_fail(&ld->y, n, path, "environment variable %s is not "
						 "set", name);
			}
			len = strlen(piece);
			s += ref;
		} else {
			s++;
		}
		if (o + len >= size) {
			OPENSSL_cleanse(out, size);
			return ydoc_fail(&ld->y, n, path, "too long (at most %zu characters)",
					 size - 1);
		}
		memcpy(out + o, piece, len);
		o += len;
	}
	out[o] = '\0';
	return 0;
}

static bool is_clean_utf8(const char *s);

/*
 * text, read from n, as a message may show it (quoted when quote): what
 * the file says instead when text came (partly) from the environment, or
 * has characters that do not belong in a one-line message.
 */
static const char *shown(struct loader *ld, const yaml_node_t *n, const char *text, bool quote,
			 char *buf, size_t size)
{
	if (n->type == YAML_SCALAR_NODE && (strstr(ydoc_scalar(n), "${") || !is_clean_utf8(text)))
		return ydoc_describe(&ld->y, n, buf, size);
	snprintf(buf, size, quote ? "\"%s\"" : "%s", text);
	return buf;
}

/* A secret string: as get_text(), but nothing of it is ever shown. */
static int get_secret(struct loader *ld, const yaml_node_t *n, const char *path, char *out,
		      size_t size)
{
	int rc;

	ld->y.hide_values = true;
	rc = get_text(ld, n, path, "a string", out, size);
	ld->y.hide_values = false;
	return rc;
}

static int get_uint(struct loader *ld, const yaml_node_t *n, const char *path, uint64_t min,
		    uint64_t max, uint64_t *out)
{
	char text[64], buf[64];
	uint64_t v;

	if (get_text(ld, n, path, "an integer (decimal or 0x hex)", text, sizeof(text)))
		return MESH_ERR_INVAL;
	if (!ydoc_parse_u64(text, &v))
		return ydoc_fail(&ld->y, n, path, "expected an integer (decimal or 0x hex), got %s",
				 ydoc_describe(&ld->y, n, buf, sizeof(buf)));
	if (v < min || v > max)
		return ydoc_fail(&ld->y, n, path, "%s is out of range %" PRIu64 "..%" PRIu64,
				 shown(ld, n, text, false, buf, sizeof(buf)), min, max);
	*out = v;
	return 0;
}

/* YAML 1.1 booleans: true/false, yes/no, on/off. */
static bool parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	for (size_t i = 0; i < MESH_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static int get_bool(struct loader *ld, const yaml_node_t *n, const char *path, bool *out)
{
	char text[GW_CONFIG_STR_MAX], buf[64];

	if (get_text(ld, n, path, "true or false", text, sizeof(text)))
		return MESH_ERR_INVAL;
	if (parse_bool(text, out))
		return 0;
	return ydoc_fail(&ld->y, n, path, "expected true or false, got %s",
			 ydoc_describe(&ld->y, n, buf, sizeof(buf)));
}

/* Key key of map, when given, into *out. */
static int opt_bool(struct loader *ld, const yaml_node_t *map, const char *path, const char *key,
		    bool *out)
{
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *v = field(ld, map, path, key, sub);

	return v ? get_bool(ld, v, sub, out) : 0;
}

static int opt_uint(struct loader *ld, const yaml_node_t *map, const char *path, const char *key,
		    uint64_t min, uint64_t max, uint64_t *out)
{
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *v = field(ld, map, path, key, sub);

	return v ? get_uint(ld, v, sub, min, max, out) : 0;
}

static int opt_string(struct loader *ld, const yaml_node_t *map, const char *path,
		      const char *key, char *out, size_t size)
{
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *v = field(ld, map, path, key, sub);

	return v ? get_text(ld, v, sub, "a string", out, size) : 0;
}

/* One of names (NULL-terminated) into *out as its index; expected lists
 * them for the message. */
static int get_choice(struct loader *ld, const yaml_node_t *n, const char *path,
		      const char *const *names, const char *expected, int *out)
{
	char text[GW_CONFIG_STR_MAX], buf[64];

	if (get_text(ld, n, path, expected, text, sizeof(text)))
		return MESH_ERR_INVAL;
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], text) == 0) {
			*out = i;
			return 0;
		}
	return ydoc_fail(&ld->y, n, path, "expected %s, got %s", expected,
			 ydoc_describe(&ld->y, n, buf, sizeof(buf)));
}

/* The file as a stream, if it is a regular file: a FIFO or a terminal
 * would block the start (hence O_NONBLOCK until fstat tells). NULL with
 * errno set, EINVAL for a file of another kind. */
static FILE *open_regular(const char *file)
{
	int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/*
 * A secret from the first line of a file (password_file, static_oob_file);
 * the trailing newline is dropped. n is the path's node.
 */
static int read_secret_file(struct loader *ld, const yaml_node_t *n, const char *path, char *out,
			    size_t size)
{
	char file[GW_CONFIG_PATH_MAX], *line = NULL, buf[GW_CONFIG_PATH_MAX + 2];
	bool too_long = false;
	size_t len;
	FILE *f;
	int rc = 0;

	if (get_text(ld, n, path, "a file name", file, sizeof(file)))
		return MESH_ERR_INVAL;
	line = malloc(size + 2);
	if (!line)
		return MESH_ERR_NOMEM;
	shown(ld, n, file, false, buf, sizeof(buf));
	f = open_regular(file);
	if (!f && errno == EINVAL) {
		rc = ydoc_fail(&ld->y, n, path, "cannot read %s: not a regular file", buf);
		goto done;
	}
	if (!f) {
		rc = ydoc_fail(&ld->y, n, path, "cannot read %s: %s", buf, strerror(errno));
		goto done;
	}
	if (!fgets(line, (int)size + 2, f)) {
		if (ferror(f))
			rc = ydoc_fail(&ld->y, n, path, "cannot read %s: %s", buf,
				       strerror(errno));
		else
			rc = ydoc_fail(&ld->y, n, path, "%s is empty", buf);
		goto close;
	}
	len = strlen(line);
	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	else
		too_long = len > size - 1;  /* no newline within size + 1 octets */
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0)
		rc = ydoc_fail(&ld->y, n, path, "the first line of %s is empty", buf);
	else if (too_long || len > size - 1)
		rc = ydoc_fail(&ld->y, n, path, "the first line of %s is too long (at most %zu "
			       "characters)", buf, size - 1);
	else
		memcpy(out, line, len + 1);
close:
	fclose(f);
done:
	OPENSSL_cleanse(line, size + 2);
	free(line);
	return rc;
}

/* password or password_file (not both) of map into out. */
static int load_password(struct loader *ld, const yaml_node_t *map, const char *path, char *out,
			 size_t size)
{
	char sub[YDOC_PATH_LEN], fsub[YDOC_PATH_LEN];
	const yaml_node_t *v = field(ld, map, path, "password", sub);
	const yaml_node_t *file = field(ld, map, path, "password_file", fsub);

	if (v && file)
		return ydoc_fail(&ld->y, ydoc_key_of(&ld->y, map, file), fsub,
				 "give password or password_file, not both");
	if (v)
		return get_secret(ld, v, sub, out, size);
	if (file)
		return read_secret_file(ld, file, fsub, out, size);
	return 0;
}

/* cert and key of map: both or neither. */
static int load_cert_key(struct loader *ld, const yaml_node_t *map, const char *path, char *cert,
			 char *key)
{
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *c, *k;

	if (opt_string(ld, map, path, "cert", cert, GW_CONFIG_PATH_MAX) ||
	    opt_string(ld, map, path, "key", key, GW_CONFIG_PATH_MAX))
		return MESH_ERR_INVAL;
	if (cert[0] && !key[0]) {
		c = field(ld, map, path, "cert", sub);
		return ydoc_fail(&ld->y, c, sub, "a certificate needs its private key (key)");
	}
	if (key[0] && !cert[0]) {
		k = field(ld, map, path, "key", sub);
		return ydoc_fail(&ld->y, k, sub, "a private key needs its certificate (cert)");
	}
	return 0;
}

/* ---- text rules -------------------------------------------------------- */

/* UTF-8 without control characters (topics and names are shown and sent
 * as MQTT UTF-8 strings). */
static bool is_clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned int c = *p, need, cp;

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned int i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3fu);
		}
		/* overlong forms, surrogates, beyond U+10FFFF, C1 controls */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp >= 0x80 && cp < 0xa0))
			return false;
		p += need + 1;
	}
	return true;
}

/* Why t cannot be a topic prefix (base_topic, discovery_prefix), or NULL. */
static const char *topic_problem(const char *t)
{
	if (!*t)
		return "must not be empty";
	if (!is_clean_utf8(t))
		return "must be UTF-8 text without control characters";
	if (strpbrk(t, "+#"))
		return "must not contain the MQTT wildcards '+' and '#'";
	if (t[0] == '/' || t[strlen(t) - 1] == '/')
		return "must not start or end with '/'";
	if (strstr(t, "//"))
		return "must not contain an empty level ('//')";
	if (t[0] == '$')
		return "must not start with '$' (such topics belong to the broker)";
	return NULL;
}

/* Words that end meshgate's own topics below a name. */
static const char *const reserved_last[] = { "set", "get", "availability", "heartbeat", "action" };

/* Why s cannot be the name of a group, node or element, or NULL; the
 * reason may be written into buf. */
static const char *name_problem(const char *s, char *buf, size_t size)
{
	const char *last;
	size_t len = strlen(s);

	if (!*s)
		return "a name must not be empty";
	if (len >= GW_CONFIG_NAME_MAX) {
		snprintf(buf, size, "too long (%zu bytes, at most %d)", len,
			 GW_CONFIG_NAME_MAX - 1);
		return buf;
	}
	if (!is_clean_utf8(s))
		return "a name must be UTF-8 text without control characters";
	if (strpbrk(s, "+#"))
		return "a name must not contain '+' or '#' (MQTT wildcards)";
	if (s[0] == '/' || s[len - 1] == '/')
		return "a name must not start or end with '/'";
	if (strstr(s, "//"))
		return "a name must not contain an empty level ('//')";
	if (strncmp(s, "bridge", 6) == 0 && (s[6] == '\0' || s[6] == '/'))
		return "a name must not start with \"bridge\" (meshgate's own topics are there)";
	last = strrchr(s, '/');
	last = last ? last + 1 : s;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(reserved_last); i++)
		if (strcmp(last, reserved_last[i]) == 0) {
			snprintf(buf, size, "a name must not end in \"%s\" (a topic meshgate uses "
				 "below every name)", reserved_last[i]);
			return buf;
		}
	return NULL;
}

/* ---- the name registry ------------------------------------------------- */

static size_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return (size_t)(h ^ (h >> 32));
}

/* Room for n names at most half full. */
static int names_alloc(struct loader *ld, size_t n)
{
	size_t size = 64;

	while (size < 2 * n)
		size *= 2;
	ld->names = calloc(size, sizeof(*ld->names));
	if (!ld->names)
		return MESH_ERR_NOMEM;
	ld->names_size = size;
	return 0;
}

/* The slot of name: where it is, or the empty one where it would go. */
static struct name_slot *names_slot(struct loader *ld, const char *name)
{
	size_t mask = ld->names_size - 1, i = name_hash(name) & mask;

	while (ld->names[i].name && strcmp(ld->names[i].name, name) != 0)
		i = (i + 1) & mask;
	return &ld->names[i];
}

static const char *const kind_names[] = { "a group", "a node", "an element" };

/*
 * Take name (stored in cfg) for a thing of kind; n is where the file gives
 * it. A name already taken is an error naming the first use.
 */
static int names_add(struct loader *ld, const yaml_node_t *n, const char *path, const char *name,
		     enum name_kind kind, size_t index)
{
	struct name_slot *s = names_slot(ld, name);

	char buf[GW_CONFIG_NAME_MAX + 2];

	if (s->name)
		return ydoc_fail(&ld->y, n, path, "%s is already the name of %s (line %zu)",
				 shown(ld, n, name, true, buf, sizeof(buf)), kind_names[s->kind],
				 s->line);
	s->name = name;
	s->kind = kind;
	s->index = index;
	s->line = n->start_mark.line + 1;
	return 0;
}

/* A name read from n (a value, so ${...} applies) into out, checked. */
static int get_name(struct loader *ld, const yaml_node_t *n, const char *path, char *out)
{
	char text[GW_CONFIG_STR_MAX], buf[96];
	const char *why;

	if (get_text(ld, n, path, "a name", text, sizeof(text)))
		return MESH_ERR_INVAL;
	why = name_problem(text, buf, sizeof(buf));
	if (why)
		return ydoc_fail(&ld->y, n, path, "%s", why);
	memcpy(out, text, strlen(text) + 1);
	return 0;
}

/* The group called by the value n (a group name), as its index. */
static int get_group_ref(struct loader *ld, const yaml_node_t *n, const char *path, char *name)
{
	char text[GW_CONFIG_STR_MAX], buf[GW_CONFIG_STR_MAX + 2];
	struct name_slot *s;

	if (get_text(ld, n, path, "a group name", text, sizeof(text)))
		return MESH_ERR_INVAL;
	s = names_slot(ld, text);
	if (!s->name || s->kind != NAME_GROUP)
		return ydoc_fail(&ld->y, n, path, "no group %s in groups",
				 shown(ld, n, text, true, buf, sizeof(buf)));
	memcpy(name, s->name, strlen(s->name) + 1);
	return 0;
}

/* ---- mqtt -------------------------------------------------------------- */

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/*
 * A broker URL: mqtt://host[:port] or mqtts://host[:port] (host a name,
 * an IPv4 address or [an IPv6 address]). out gets it with the port
 * always given. Messages name the part that is wrong without echoing it:
 * the URL may have come from the environment.
 */
static int load_server(struct loader *ld, const yaml_node_t *n, const char *path, char *out)
{
	char url[GW_CONFIG_STR_MAX], host[GW_CONFIG_STR_MAX];
	const char *p, *h, *hend;
	unsigned long port;
	bool tls;
	int w;

	if (get_text(ld, n, path, "a URL such as mqtt://localhost:1883", url, sizeof(url)))
		return MESH_ERR_INVAL;
	p = strstr(url, "://");
	if (!p)
		return ydoc_fail(&ld->y, n, path, "expected mqtt://host[:port] or "
				 "mqtts://host[:port]");
	if ((size_t)(p - url) == 4 && strncasecmp(url, "mqtt", 4) == 0)
		tls = false;
	else if ((size_t)(p - url) == 5 && strncasecmp(url, "mqtts", 5) == 0)
		tls = true;
	else
		return ydoc_fail(&ld->y, n, path, "the scheme must be mqtt:// or mqtts:// (mqtts "
				 "for TLS)");
	h = p + 3;
	if (*h == '[') {
		hend = strchr(h, ']');
		if (!hend || hend == h + 1)
			return ydoc_fail(&ld->y, n, path, "an IPv6 address needs its closing ']'");
		for (const char *c = h + 1; c < hend; c++)
			if (!(mesh_hex_digit(*c) >= 0 || *c == ':' || *c == '.'))
				return ydoc_fail(&ld->y, n, path, "not an IPv6 address in [...]");
		hend++;
	} else {
		for (hend = h; is_host_char(*hend); hend++)
			;
	}
	if (strchr(h, '@'))
		return ydoc_fail(&ld->y, n, path, "no user name or password in the URL, please "
				 "(use username and password or password_file)");
	if (hend == h)
		return ydoc_fail(&ld->y, n, path, "the host is missing");
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	port = tls ? 8883 : 1883;
	if (*hend == ':') {
		const char *ps = hend + 1;
		char *end;

		if (!(*ps >= '0' && *ps <= '9'))
			return ydoc_fail(&ld->y, n, path, "the port must be a number 1..65535");
		errno = 0;
		port = strtoul(ps, &end, 10);
		if (errno || (*end && *end != '/') || port < 1 || port > 65535)
			return ydoc_fail(&ld->y, n, path, "the port must be a number 1..65535");
		hend = end;
	}
	if (*hend == '/' && hend[1] == '\0')
		hend++;  /* a trailing slash is harmless */
	if (*hend == '/')
		return ydoc_fail(&ld->y, n, path, "no path in the URL, please "
				 "(mqtt[s]://host[:port])");
	if (*hend)
		return ydoc_fail(&ld->y, n, path, "the host has characters a host name cannot "
				 "have");
	w = snprintf(out, GW_CONFIG_STR_MAX, "%s://%s:%lu", tls ? "mqtts" : "mqtt", host, port);
	if (w < 0 || w >= GW_CONFIG_STR_MAX)
		return ydoc_fail(&ld->y, n, path, "too long");
	return 0;
}

/* A topic prefix: base_topic or discovery_prefix. */
static int load_topic(struct loader *ld, const yaml_node_t *map, const char *path,
		      const char *key, char *out)
{
	char sub[YDOC_PATH_LEN], text[GW_CONFIG_STR_MAX];
	const yaml_node_t *v = field(ld, map, path, key, sub);
	const char *why;

	if (!v)
		return 0;
	if (get_text(ld, v, sub, "a topic", text, sizeof(text)))
		return MESH_ERR_INVAL;
	if ((why = topic_problem(text)))
		return ydoc_fail(&ld->y, v, sub, "%s", why);
	strcpy(out, text);
	return 0;
}

static int load_client_id(struct loader *ld, const yaml_node_t *map, char *out)
{
	char sub[YDOC_PATH_LEN], text[GW_CONFIG_STR_MAX];
	const yaml_node_t *v = field(ld, map, "mqtt", "client_id", sub);
	size_t len;

	if (!v)
		return 0;
	if (get_text(ld, v, sub, "a client ID", text, sizeof(text)))
		return MESH_ERR_INVAL;
	len = strlen(text);
	for (size_t i = 0; i < len; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
			len = 0;
	if (len == 0 || len > CLIENT_ID_MAX)
		return ydoc_fail(&ld->y, v, sub, "expected 1..%d printable ASCII characters (up "
				 "to 23 work with every broker)", CLIENT_ID_MAX);
	strcpy(out, text);
	return 0;
}

static int load_version(struct loader *ld, const yaml_node_t *map, int *out)
{
	char sub[YDOC_PATH_LEN], text[GW_CONFIG_STR_MAX], buf[64];
	const yaml_node_t *v = field(ld, map, "mqtt", "version", sub);

	if (!v)
		return 0;
	if (get_text(ld, v, sub, "\"3.1.1\" or 5", text, sizeof(text)))
		return MESH_ERR_INVAL;
	if (strcmp(text, "3.1.1") == 0) {
		*out = 4;
		return 0;
	}
	if (strcmp(text, "5") == 0 || strcmp(text, "5.0") == 0) {
		*out = 5;
		return 0;
	}
	if (strcmp(text, "3.1") == 0)
		return ydoc_fail(&ld->y, v, sub, "MQTT 3.1 is not supported; use \"3.1.1\" (in "
				 "quotes) or 5");
	return ydoc_fail(&ld->y, v, sub, "expected \"3.1.1\" or 5, got %s",
			 ydoc_describe(&ld->y, v, buf, sizeof(buf)));
}

/* A section that also takes `section: true|false` for its enabled key.
 * *map is NULL when the section is absent, empty or the shorthand. */
static int section(struct loader *ld, const yaml_node_t *v, const char *path,
		   const char *const *keys, const char *what, bool *enabled,
		   const yaml_node_t **map)
{
	char text[GW_CONFIG_STR_MAX];

	*map = NULL;
	if (!v || ydoc_is_null(v))
		return 0;
	if (ydoc_is_text(v)) {
		if (get_text(ld, v, path, what, text, sizeof(text)))
			return MESH_ERR_INVAL;
		if (parse_bool(text, enabled))
			return 0;
	}
	if (ydoc_expect_mapping(&ld->y, v, path, what) || ydoc_check_keys(&ld->y, v, path, keys))
		return MESH_ERR_INVAL;
	*map = v;
	return 0;
}

static int load_mqtt(struct loader *ld, const yaml_node_t *v)
{
	static const char *const keys[] = { "enabled", "server", "base_topic", "client_id",
					    "username", "password", "password_file", "ca", "cert",
					    "key", "insecure", "version", "keepalive",
					    "reconnect_max", NULL };
	static const char *const tls_keys[] = { "ca", "cert", "key", "insecure" };
	struct gw_config_mqtt *m = &ld->cfg->mqtt;
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *map, *f;
	uint64_t keepalive = m->keepalive_s, reconnect = m->reconnect_max_s;

	if (section(ld, v, "mqtt", keys, "a mapping (server, base_topic, ...) or true/false",
		    &m->enabled, &map))
		return MESH_ERR_INVAL;
	if (!map)
		return 0;
	if (opt_bool(ld, map, "mqtt", "enabled", &m->enabled))
		return MESH_ERR_INVAL;
	if ((f = field(ld, map, "mqtt", "server", sub)) && load_server(ld, f, sub, m->server))
		return MESH_ERR_INVAL;
	if (load_topic(ld, map, "mqtt", "base_topic", m->base_topic) ||
	    load_client_id(ld, map, m->client_id) ||
	    opt_string(ld, map, "mqtt", "username", m->username, sizeof(m->username)) ||
	    load_password(ld, map, "mqtt", m->password, sizeof(m->password)) ||
	    opt_string(ld, map, "mqtt", "ca", m->ca, sizeof(m->ca)) ||
	    load_cert_key(ld, map, "mqtt", m->cert, m->key) ||
	    opt_bool(ld, map, "mqtt", "insecure", &m->insecure) ||
	    load_version(ld, map, &m->version) ||
	    opt_uint(ld, map, "mqtt", "keepalive", 5, 65535, &keepalive) ||
	    opt_uint(ld, map, "mqtt", "reconnect_max", 1, 3600, &reconnect))
		return MESH_ERR_INVAL;
	m->keepalive_s = (unsigned int)keepalive;
	m->reconnect_max_s = (unsigned int)reconnect;
	if (strncmp(m->server, "mqtts:", 6) != 0) {
		const char *given[] = { m->ca, m->cert, m->key, m->insecure ? "yes" : "" };

		for (size_t i = 0; i < MESH_ARRAY_SIZE(tls_keys); i++)
			if (given[i][0] && (f = field(ld, map, "mqtt", tls_keys[i], sub)))
				return ydoc_fail(&ld->y, ydoc_key_of(&ld->y, map, f), sub,
						 "only for a TLS server (mqtts://...)");
	}
	if (m->password[0] && !m->username[0] && m->version == 4) {
		f = field(ld, map, "mqtt", "password", sub);
		if (!f)
			f = field(ld, map, "mqtt", "password_file", sub);
		return ydoc_fail(&ld->y, ydoc_key_of(&ld->y, map, f), sub, "MQTT 3.1.1 sends a "
				 "password only with a username");
	}
	return 0;
}

/* ---- homeassistant ----------------------------------------------------- */

static int load_homeassistant(struct loader *ld, const yaml_node_t *v)
{
	static const char *const keys[] = { "enabled", "discovery_prefix", "status_topic", NULL };
	struct gw_config_homeassistant *ha = &ld->cfg->homeassistant;
	char sub[YDOC_PATH_LEN], text[GW_CONFIG_STR_MAX];
	const yaml_node_t *map, *f;

	if (section(ld, v, "homeassistant", keys, "a mapping (enabled, discovery_prefix, "
		    "status_topic) or true/false", &ha->enabled, &map))
		return MESH_ERR_INVAL;
	if (!map)
		return 0;
	if (opt_bool(ld, map, "homeassistant", "enabled", &ha->enabled) ||
	    load_topic(ld, map, "homeassistant", "discovery_prefix", ha->discovery_prefix))
		return MESH_ERR_INVAL;
	if ((f = field(ld, map, "homeassistant", "status_topic", sub))) {
		if (get_text(ld, f, sub, "a topic", text, sizeof(text)))
			return MESH_ERR_INVAL;
		if (!text[0] || strpbrk(text, "+#") || !is_clean_utf8(text))
			return ydoc_fail(&ld->y, f, sub, "expected a topic (UTF-8, no wildcards "
					 "'+' or '#')");
		strcpy(ha->status_topic, text);
	}
	return 0;
}

/* ---- bearer ------------------------------------------------------------ */

static const unsigned int baudrates[] = {
	9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600,
	1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
};

static int load_baudrate(struct loader *ld, const yaml_node_t *map, unsigned int *out)
{
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *v = field(ld, map, "bearer", "baudrate", sub);
	uint64_t u;

	if (!v)
		return 0;
	if (get_uint(ld, v, sub, 0, UINT32_MAX, &u))
		return MESH_ERR_INVAL;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(baudrates); i++)
		if (baudrates[i] == u) {
			*out = (unsigned int)u;
			return 0;
		}
	return ydoc_fail(&ld->y, v, sub, "%" PRIu64 " is not a standard rate (9600, 19200, "
			 "38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, "
			 "1152000, 1500000, 2000000, 2500000, 3000000, 3500000 or 4000000)", u);
}

/* hciN, N a Linux HCI device index. */
static int load_hci_device(struct loader *ld, const yaml_node_t *map, char *out, size_t size)
{
	char sub[YDOC_PATH_LEN], text[64];
	const yaml_node_t *v = field(ld, map, "bearer", "device", sub);
	uint64_t index;

	if (!v)
		return 0;
	if (get_text(ld, v, sub, "a device name such as hci0", text, sizeof(text)))
		return MESH_ERR_INVAL;
	if (strncmp(text, "hci", 3) != 0 || !(text[3] >= '0' && text[3] <= '9') ||
	    strlen(text) > 8 || !ydoc_parse_u64(text + 3, &index) || index > 0xfffe)
		return ydoc_fail(&ld->y, v, sub, "expected an HCI device such as hci0 (see "
				 "`hciconfig` or `btmgmt info`)");
	snprintf(out, size, "%s", text);
	return 0;
}

static int load_bearer(struct loader *ld, const yaml_node_t *map)
{
	static const char *const keys[] = { "type", "device", "path", "baudrate", "rtscts",
					    "scenario", "hci_log", NULL };
	static const char *const types[] = { "simulator", "hci", "uart", NULL };
	/* The type each key belongs to (-1: any). */
	static const struct {
		const char *key;
		int type;
	} owner[] = {
		{ "device", GW_CONFIG_BEARER_HCI },
		{ "path", GW_CONFIG_BEARER_UART },
		{ "baudrate", GW_CONFIG_BEARER_UART },
		{ "rtscts", GW_CONFIG_BEARER_UART },
		{ "scenario", GW_CONFIG_BEARER_SIMULATOR },
	};
	struct gw_config_bearer *b = &ld->cfg->bearer;
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *v;
	int type;

	if (!map || ydoc_is_null(map))
		return 0;
	if (ydoc_expect_mapping(&ld->y, map, "bearer", "a mapping (type: hci, uart or "
				"simulator, ...)") ||
	    ydoc_check_keys(&ld->y, map, "bearer", keys))
		return MESH_ERR_INVAL;
	if (!(v = field(ld, map, "bearer", "type", sub)))
		return ydoc_fail(&ld->y, map, "bearer", "type is missing (hci, uart or "
				 "simulator)");
	if (get_choice(ld, v, sub, types, "hci, uart or simulator", &type))
		return MESH_ERR_INVAL;
	b->kind = (enum gw_config_bearer_kind)type;
	for (size_t i = 0; i < MESH_ARRAY_SIZE(owner); i++) {
		if (owner[i].type == type || !(v = field(ld, map, "bearer", owner[i].key, sub)))
			continue;
		return ydoc_fail(&ld->y, ydoc_key_of(&ld->y, map, v), sub, "only for type %s",
				 types[owner[i].type]);
	}
	if (load_hci_device(ld, map, b->device, sizeof(b->device)) ||
	    opt_string(ld, map, "bearer", "path", b->path, sizeof(b->path)) ||
	    load_baudrate(ld, map, &b->baudrate) ||
	    opt_bool(ld, map, "bearer", "rtscts", &b->rtscts) ||
	    opt_string(ld, map, "bearer", "scenario", b->scenario, sizeof(b->scenario)) ||
	    opt_string(ld, map, "bearer", "hci_log", b->hci_log, sizeof(b->hci_log)))
		return MESH_ERR_INVAL;
	if (b->kind == GW_CONFIG_BEARER_UART && !b->path[0])
		return ydoc_fail(&ld->y, map, "bearer", "path is missing (the serial device of "
				 "the controller, e.g. /dev/ttyACM0)");
	return 0;
}

/* ---- mesh -------------------------------------------------------------- */

/* A unicast address, from a value or from text within one. */
static int check_unicast(struct loader *ld, const yaml_node_t *n, const char *path, uint64_t a)
{
	if (a >= 0x0001 && a <= 0x7fff)
		return 0;
	return ydoc_fail(&ld->y, n, path, "0x%04" PRIx64 " is not a unicast address "
			 "(0x0001..0x7fff)", a);
}

/* [low, high] or "0x0001-0x7fff". */
static int load_unicast_range(struct loader *ld, const yaml_node_t *map, struct gw_config_mesh *m)
{
	char sub[YDOC_PATH_LEN], item[YDOC_PATH_LEN], text[64], buf[64];
	const yaml_node_t *v = field(ld, map, "mesh", "unicast_range", sub);
	uint64_t lo, hi;

	if (!v)
		return 0;
	if (v->type == YAML_SEQUENCE_NODE) {
		if (ydoc_count(v) != 2)
			return ydoc_fail(&ld->y, v, sub, "expected [low, high], got %zu items",
					 ydoc_count(v));
		ydoc_subindex(item, sub, 0);
		if (get_uint(ld, ydoc_node(&ld->y, v->data.sequence.items.start[0]), item, 0,
			     UINT16_MAX + 1ull, &lo) ||
		    check_unicast(ld, ydoc_node(&ld->y, v->data.sequence.items.start[0]), item, lo))
			return MESH_ERR_INVAL;
		ydoc_subindex(item, sub, 1);
		if (get_uint(ld, ydoc_node(&ld->y, v->data.sequence.items.start[1]), item, 0,
			     UINT16_MAX + 1ull, &hi) ||
		    check_unicast(ld, ydoc_node(&ld->y, v->data.sequence.items.start[1]), item, hi))
			return MESH_ERR_INVAL;
	} else {
		char *dash;

		if (get_text(ld, v, sub, "[low, high] or \"0x0001-0x7fff\"", text, sizeof(text)))
			return MESH_ERR_INVAL;
		dash = strchr(text, '-');
		if (dash)
			*dash = '\0';
		if (!dash || !ydoc_parse_u64(text, &lo) || !ydoc_parse_u64(dash + 1, &hi) ||
		    lo > 0xffff || hi > 0xffff)
			return ydoc_fail(&ld->y, v, sub, "expected [low, high] or \"low-high\" "
					 "such as \"0x0001-0x7fff\", got %s",
					 ydoc_describe(&ld->y, v, buf, sizeof(buf)));
		if (check_unicast(ld, v, sub, lo) || check_unicast(ld, v, sub, hi))
			return MESH_ERR_INVAL;
	}
	if (lo > hi)
		return ydoc_fail(&ld->y, v, sub, "low 0x%04" PRIx64 " is above high 0x%04" PRIx64,
				 lo, hi);
	m->unicast_low = (uint16_t)lo;
	m->unicast_high = (uint16_t)hi;
	return 0;
}

static int load_heartbeat_group(struct loader *ld, const yaml_node_t *map, uint16_t *out)
{
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *v = field(ld, map, "mesh", "heartbeat_group", sub);
	uint64_t a;

	if (!v)
		return 0;
	if (get_uint(ld, v, sub, 0, 0xffff, &a))
		return MESH_ERR_INVAL;
	if (a == 0)
		return ydoc_fail(&ld->y, v, sub, "0x0000 is the unassigned address, not a group");
	if (a < 0x8000)
		return ydoc_fail(&ld->y, v, sub, "0x%04" PRIx64 " is a unicast address, not a "
				 "group (0xc000..0xffff)", a);
	if (a < 0xc000)
		return ydoc_fail(&ld->y, v, sub, "0x%04" PRIx64 " is a virtual address; "
				 "heartbeats go to a group address (0xc000..0xffff)", a);
	*out = (uint16_t)a;
	return 0;
}

static int load_default_ttl(struct loader *ld, const yaml_node_t *map, uint8_t *out)
{
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *v = field(ld, map, "mesh", "default_ttl", sub);
	uint64_t ttl;

	if (!v)
		return 0;
	if (get_uint(ld, v, sub, 0, 127, &ttl))
		return MESH_ERR_INVAL;
	if (ttl == 1)
		return ydoc_fail(&ld->y, v, sub, "1 is prohibited as a default TTL (a message "
				 "sent with TTL 1 is never relayed); use 0 to leave the nodes' "
				 "own, or 2..127");
	*out = (uint8_t)ttl;
	return 0;
}

static int load_network_transmit(struct loader *ld, const yaml_node_t *map,
				 struct gw_config_mesh *m)
{
	static const char *const keys[] = { "count", "interval_ms", NULL };
	char sub[YDOC_PATH_LEN], isub[YDOC_PATH_LEN];
	const yaml_node_t *v = field(ld, map, "mesh", "network_transmit", sub), *iv;
	uint64_t count, interval = 20;

	if (!v)
		return 0;
	if (ydoc_expect_mapping(&ld->y, v, sub, "{count: 1..8, interval_ms: 10..320}") ||
	    ydoc_check_keys(&ld->y, v, sub, keys))
		return MESH_ERR_INVAL;
	if (!field(ld, v, sub, "count", isub))
		return ydoc_fail(&ld->y, v, sub, "count is missing (transmissions, 1..8)");
	if (opt_uint(ld, v, sub, "count", 1, 8, &count) ||
	    opt_uint(ld, v, sub, "interval_ms", 10, 320, &interval))
		return MESH_ERR_INVAL;
	if (interval % 10) {
		iv = field(ld, v, sub, "interval_ms", isub);
		return ydoc_fail(&ld->y, iv, isub, "%" PRIu64 " is not a multiple of 10 ms",
				 interval);
	}
	m->has_network_transmit = true;
	m->network_transmit_count = (uint8_t)count;
	m->network_transmit_interval_ms = (uint16_t)interval;
	return 0;
}

static int load_mesh(struct loader *ld, const yaml_node_t *map)
{
	static const char *const keys[] = { "data_dir", "unicast_range", "heartbeat_group",
					    "heartbeat_period", "liveness_factor", "default_ttl",
					    "network_transmit", NULL };
	struct gw_config_mesh *m = &ld->cfg->mesh;
	uint64_t period = m->heartbeat_period_s, factor = m->liveness_factor;

	if (!map || ydoc_is_null(map))
		return 0;
	if (ydoc_expect_mapping(&ld->y, map, "mesh", "a mapping (data_dir, unicast_range, ...)") ||
	    ydoc_check_keys(&ld->y, map, "mesh", keys) ||
	    opt_string(ld, map, "mesh", "data_dir", m->data_dir, sizeof(m->data_dir)) ||
	    load_unicast_range(ld, map, m) ||
	    load_heartbeat_group(ld, map, &m->heartbeat_group) ||
	    opt_uint(ld, map, "mesh", "heartbeat_period", 1, 65536, &period) ||
	    opt_uint(ld, map, "mesh", "liveness_factor", 2, 100, &factor) ||
	    load_default_ttl(ld, map, &m->default_ttl) ||
	    load_network_transmit(ld, map, m))
		return MESH_ERR_INVAL;
	m->heartbeat_period_s = (uint32_t)period;
	m->liveness_factor = (unsigned int)factor;
	return 0;
}

/* ---- web --------------------------------------------------------------- */

static int load_web(struct loader *ld, const yaml_node_t *v)
{
	static const char *const keys[] = { "enabled", "host", "port", "password",
					    "password_file", "cert", "key", NULL };
	struct gw_config_web *w = &ld->cfg->web;
	char sub[YDOC_PATH_LEN], text[GW_CONFIG_STR_MAX];
	const yaml_node_t *map, *f;
	uint64_t port = w->port;

	if (section(ld, v, "web", keys, "a mapping (host, port, ...) or true/false", &w->enabled,
		    &map))
		return MESH_ERR_INVAL;
	if (!map)
		return 0;
	if (opt_bool(ld, map, "web", "enabled", &w->enabled))
		return MESH_ERR_INVAL;
	if ((f = field(ld, map, "web", "host", sub))) {
		if (get_text(ld, f, sub, "a host name or address", text, sizeof(text)))
			return MESH_ERR_INVAL;
		bool ok = text[0] != '\0';

		for (const char *c = text; *c; c++)
			ok = ok && (is_host_char(*c) || *c == ':');
		if (!ok)
			return ydoc_fail(&ld->y, f, sub, "expected a host name or an address to "
					 "listen on (0.0.0.0: all IPv4, :: all IPv6)");
		strcpy(w->host, text);
	}
	if (opt_uint(ld, map, "web", "port", 1, 65535, &port) ||
	    load_password(ld, map, "web", w->password, sizeof(w->password)) ||
	    load_cert_key(ld, map, "web", w->cert, w->key))
		return MESH_ERR_INVAL;
	w->port = (unsigned int)port;
	return 0;
}

/* ---- log --------------------------------------------------------------- */

static int load_log(struct loader *ld, const yaml_node_t *map)
{
	static const char *const keys[] = { "level", "format", NULL };
	static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
	static const char *const formats[] = { "text", "json", NULL };
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *v;
	int i;

	if (!map || ydoc_is_null(map))
		return 0;
	if (ydoc_expect_mapping(&ld->y, map, "log", "a mapping (level, format)") ||
	    ydoc_check_keys(&ld->y, map, "log", keys))
		return MESH_ERR_INVAL;
	if ((v = field(ld, map, "log", "level", sub))) {
		if (get_choice(ld, v, sub, levels, "error, warn, info or debug", &i))
			return MESH_ERR_INVAL;
		ld->cfg->log.level = (enum gw_config_log_level)i;
	}
	if ((v = field(ld, map, "log", "format", sub))) {
		if (get_choice(ld, v, sub, formats, "text or json", &i))
			return MESH_ERR_INVAL;
		ld->cfg->log.format = (enum gw_config_log_format)i;
	}
	return 0;
}

/* ---- groups ------------------------------------------------------------ */

/* A group address that can be given a name: 0xc000..0xfeff. */
static int check_group_address(struct loader *ld, const yaml_node_t *n, const char *path,
			       uint64_t a)
{
	if (a == 0)
		return ydoc_fail(&ld->y, n, path, "0x0000 is the unassigned address, not a group");
	if (a < 0x8000)
		return ydoc_fail(&ld->y, n, path, "0x%04" PRIx64 " is a unicast address, not a "
				 "group", a);
	if (a < 0xc000)
		return ydoc_fail(&ld->y, n, path, "0x%04" PRIx64 " is a virtual address; use "
				 "'virtual:' with a label UUID", a);
	if (a >= 0xff00)
		return ydoc_fail(&ld->y, n, path, "0x%04" PRIx64 " is a fixed group (all-proxies/"
				 "friends/relays/nodes) and cannot be named", a);
	return 0;
}

static int get_group_address(struct loader *ld, const yaml_node_t *n, const char *path,
			     uint16_t *out)
{
	char text[64], buf[64];
	uint64_t a;

	if (get_text(ld, n, path, "a group address such as 0xc001", text, sizeof(text)))
		return MESH_ERR_INVAL;
	if (!ydoc_parse_u64(text, &a))
		return ydoc_fail(&ld->y, n, path, "expected a group address such as 0xc001, got %s",
				 ydoc_describe(&ld->y, n, buf, sizeof(buf)));
	if (a > 0xffff)
		return ydoc_fail(&ld->y, n, path, "%s is not a 16-bit address",
				 shown(ld, n, text, false, buf, sizeof(buf)));
	if (check_group_address(ld, n, path, a))
		return MESH_ERR_INVAL;
	*out = (uint16_t)a;
	return 0;
}

/* A Label UUID, or auto. */
static int get_label(struct loader *ld, const yaml_node_t *n, const char *path,
		     struct gw_config_group *g)
{
	char text[64], buf[64];

	if (get_text(ld, n, path, "a Label UUID or auto", text, sizeof(text)))
		return MESH_ERR_INVAL;
	if (strcmp(text, "auto") == 0) {
		g->kind = GW_CONFIG_GROUP_VIRTUAL_AUTO;
		return 0;
	}
	if (!ydoc_parse_uuid(text, g->label))
		return ydoc_fail(&ld->y, n, path, "expected a Label UUID (32 hex digits, dashes "
				 "allowed) or auto, got %s",
				 ydoc_describe(&ld->y, n, buf, sizeof(buf)));
	g->kind = GW_CONFIG_GROUP_VIRTUAL;
	return 0;
}

/* The value of a group: nothing, an address, or {address} / {virtual}. */
static int load_group_spec(struct loader *ld, const yaml_node_t *v, const char *path,
			   struct gw_config_group *g, const yaml_node_t **at, char *at_path)
{
	static const char *const keys[] = { "address", "virtual", NULL };
	char buf[64], asub[YDOC_PATH_LEN], lsub[YDOC_PATH_LEN];
	const yaml_node_t *a, *l;

	g->kind = GW_CONFIG_GROUP_AUTO;
	*at = v;
	strcpy(at_path, path);
	if (ydoc_is_null(v))
		return 0;
	if (v->type == YAML_SCALAR_NODE) {
		g->kind = GW_CONFIG_GROUP_ADDRESS;
		return get_group_address(ld, v, path, &g->address);
	}
	if (v->type != YAML_MAPPING_NODE)
		return ydoc_fail(&ld->y, v, path, "expected a group address (0xc001), {address: "
				 "0xc001}, {virtual: <Label UUID> or auto} or nothing, got %s",
				 ydoc_describe(&ld->y, v, buf, sizeof(buf)));
	if (ydoc_check_keys(&ld->y, v, path, keys))
		return MESH_ERR_INVAL;
	a = field(ld, v, path, "address", asub);
	l = field(ld, v, path, "virtual", lsub);
	if (a && l)
		return ydoc_fail(&ld->y, ydoc_key_of(&ld->y, v, l), lsub,
				 "give address or virtual, not both");
	if (a) {
		*at = a;
		strcpy(at_path, asub);
		g->kind = GW_CONFIG_GROUP_ADDRESS;
		return get_group_address(ld, a, asub, &g->address);
	}
	if (l) {
		*at = l;
		strcpy(at_path, lsub);
		return get_label(ld, l, lsub, g);
	}
	return 0;
}

/* The same address or Label UUID as an earlier group. */
static int check_group_clash(struct loader *ld, size_t i, const yaml_node_t *at,
			     const char *path)
{
	const struct gw_config_group *g = &ld->cfg->groups[i];

	if (g->kind == GW_CONFIG_GROUP_ADDRESS && g->address == ld->cfg->mesh.heartbeat_group)
		return ydoc_fail(&ld->y, at, path, "0x%04x is the heartbeat group "
				 "(mesh.heartbeat_group); give the group another address",
				 g->address);
	for (size_t j = 0; j < i; j++) {
		const struct gw_config_group *o = &ld->cfg->groups[j];

		if (g->kind == GW_CONFIG_GROUP_ADDRESS && o->kind == GW_CONFIG_GROUP_ADDRESS &&
		    g->address == o->address)
			return ydoc_fail(&ld->y, at, path, "0x%04x is also the address of group "
					 "\"%s\" (line %u)", g->address, o->name, o->mark.line);
		if (g->kind == GW_CONFIG_GROUP_VIRTUAL && o->kind == GW_CONFIG_GROUP_VIRTUAL &&
		    memcmp(g->label, o->label, 16) == 0)
			return ydoc_fail(&ld->y, at, path, "the same Label UUID as group \"%s\" "
					 "(line %u)", o->name, o->mark.line);
	}
	return 0;
}

static int load_groups(struct loader *ld, const yaml_node_t *map)
{
	struct gw_config *cfg = ld->cfg;

	if (!map || ydoc_is_null(map))
		return 0;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = ydoc_node(&ld->y, p->key), *at;
		char path[YDOC_PATH_LEN], at_path[YDOC_PATH_LEN], buf[96];
		struct gw_config_group *g = &cfg->groups[cfg->n_groups];
		const char *why;

		if (!ydoc_is_text(k) || ydoc_is_null(k))
			return ydoc_fail(&ld->y, k, "groups", "expected a group name, got %s",
					 ydoc_describe(&ld->y, k, buf, sizeof(buf)));
		ydoc_subpath(path, "groups", ydoc_scalar(k));
		if ((why = name_problem(ydoc_scalar(k), buf, sizeof(buf))))
			return ydoc_fail(&ld->y, k, path, "%s", why);
		for (size_t j = 0; j < cfg->n_groups; j++)
			if (strcmp(cfg->groups[j].name, ydoc_scalar(k)) == 0)
				return ydoc_fail(&ld->y, k, path, "duplicate group name (first at "
						 "line %u)", cfg->groups[j].mark.line);
		strcpy(g->name, ydoc_scalar(k));
		g->mark.line = (unsigned int)k->start_mark.line + 1;
		g->mark.column = (unsigned int)k->start_mark.column + 1;
		if (load_group_spec(ld, ydoc_node(&ld->y, p->value), path, g, &at, at_path))
			return MESH_ERR_INVAL;
		cfg->n_groups++;
		if (check_group_clash(ld, cfg->n_groups - 1, at, at_path) ||
		    names_add(ld, k, path, g->name, NAME_GROUP, cfg->n_groups - 1))
			return MESH_ERR_INVAL;
	}
	return 0;
}

/* ---- nodes ------------------------------------------------------------- */

/* A node's key: a device UUID or a unicast address. */
static int load_node_key(struct loader *ld, const yaml_node_t *k, const char *path,
			 struct gw_config_node *nd)
{
	uint64_t a;

	if (ydoc_parse_uuid(ydoc_scalar(k), nd->uuid)) {
		nd->by_uuid = true;
	} else if (ydoc_parse_u64(ydoc_scalar(k), &a)) {
		if (check_unicast(ld, k, path, a))
			return MESH_ERR_INVAL;
		nd->address = (uint16_t)a;
	} else {
		return ydoc_fail(&ld->y, k, path, "expected a device UUID (32 hex digits, dashes "
				 "allowed) or a unicast address such as 0x0105");
	}
	nd->mark.line = (unsigned int)k->start_mark.line + 1;
	nd->mark.column = (unsigned int)k->start_mark.column + 1;
	for (size_t j = 0; j < ld->cfg->n_nodes; j++) {
		const struct gw_config_node *o = &ld->cfg->nodes[j];

		if (nd->by_uuid && o->by_uuid && memcmp(nd->uuid, o->uuid, 16) == 0)
			return ydoc_fail(&ld->y, k, path, "the same UUID as the node at line %u",
					 o->mark.line);
		if (!nd->by_uuid && !o->by_uuid && nd->address == o->address)
			return ydoc_fail(&ld->y, k, path, "the same address as the node at line %u",
					 o->mark.line);
	}
	return 0;
}

static int load_element(struct loader *ld, const yaml_node_t *e, const char *path,
			struct gw_config_node *nd, size_t i)
{
	static const char *const keys[] = { "name", "publish", NULL };
	struct gw_config_element *el = &nd->elements[i];
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *name = e, *v;

	if (ydoc_is_null(e))
		return 0;
	if (e->type == YAML_MAPPING_NODE) {
		if (ydoc_check_keys(&ld->y, e, path, keys))
			return MESH_ERR_INVAL;
		if ((v = field(ld, e, path, "publish", sub)) &&
		    get_group_ref(ld, v, sub, el->publish))
			return MESH_ERR_INVAL;
		if (!(name = field(ld, e, path, "name", sub)))
			return 0;
	} else if (e->type == YAML_SCALAR_NODE) {
		strcpy(sub, path);
	} else {
		return ydoc_fail(&ld->y, e, path, "expected an element name or {name, publish}, "
				 "got a list");
	}
	if (get_name(ld, name, sub, el->name))
		return MESH_ERR_INVAL;
	/* The primary element may stand for its node under the node's name. */
	if (i == 0 && strcmp(el->name, nd->name) == 0)
		return 0;
	return names_add(ld, name, sub, el->name, NAME_ELEMENT, 0);
}

static int load_elements(struct loader *ld, const yaml_node_t *list, const char *path,
			 struct gw_config_node *nd)
{
	char sub[YDOC_PATH_LEN];

	if (ydoc_expect_list(&ld->y, list, path, "a list of element names or {name, publish}"))
		return MESH_ERR_INVAL;
	if (ydoc_count(list) > GW_CONFIG_ELEMENTS_MAX)
		return ydoc_fail(&ld->y, list, path, "too many elements (%zu, at most %d)",
				 ydoc_count(list), GW_CONFIG_ELEMENTS_MAX);
	for (size_t i = 0; i < ydoc_count(list); i++) {
		ydoc_subindex(sub, path, i);
		if (load_element(ld, ydoc_node(&ld->y, list->data.sequence.items.start[i]), sub, nd,
				 i))
			return MESH_ERR_INVAL;
	}
	nd->n_elements = ydoc_count(list);
	return 0;
}

static int load_node_groups(struct loader *ld, const yaml_node_t *list, const char *path,
			    struct gw_config_node *nd)
{
	char sub[YDOC_PATH_LEN];

	if (ydoc_expect_list(&ld->y, list, path, "a list of group names"))
		return MESH_ERR_INVAL;
	if (ydoc_count(list) > GW_CONFIG_NODE_GROUPS_MAX)
		return ydoc_fail(&ld->y, list, path, "too many groups (%zu, at most %d)",
				 ydoc_count(list), GW_CONFIG_NODE_GROUPS_MAX);
	for (size_t i = 0; i < ydoc_count(list); i++) {
		const yaml_node_t *g = ydoc_node(&ld->y, list->data.sequence.items.start[i]);

		ydoc_subindex(sub, path, i);
		if (get_group_ref(ld, g, sub, nd->groups[i]))
			return MESH_ERR_INVAL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(nd->groups[j], nd->groups[i]) == 0)
				return ydoc_fail(&ld->y, g, sub, "group \"%s\" listed twice",
						 nd->groups[i]);
		nd->n_groups = i + 1;
	}
	return 0;
}

/* 16 or 32 octets from 32 or 64 hex digits; secret, so never echoed. */
static bool parse_static_oob(const char *s, struct gw_config_node *nd)
{
	uint8_t v[32];
	size_t digits = strlen(s);

	if (digits != 32 && digits != 64)
		return false;
	for (size_t i = 0; i < digits; i++) {
		int h = mesh_hex_digit(s[i]);

		if (h < 0) {
			OPENSSL_cleanse(v, sizeof(v));
			return false;
		}
		if (i % 2 == 0)
			v[i / 2] = (uint8_t)(h << 4);
		else
			v[i / 2] |= (uint8_t)h;
	}
	memcpy(nd->static_oob, v, digits / 2);
	nd->static_oob_len = (uint8_t)(digits / 2);
	OPENSSL_cleanse(v, sizeof(v));
	return true;
}

static int load_static_oob(struct loader *ld, const yaml_node_t *map, const char *path,
			   struct gw_config_node *nd)
{
	char sub[YDOC_PATH_LEN], fsub[YDOC_PATH_LEN], text[GW_CONFIG_STR_MAX];
	const yaml_node_t *v = field(ld, map, path, "static_oob", sub);
	const yaml_node_t *file = field(ld, map, path, "static_oob_file", fsub);
	int rc = 0;

	if (v && file)
		return ydoc_fail(&ld->y, ydoc_key_of(&ld->y, map, file), fsub,
				 "give static_oob or static_oob_file, not both");
	if (!v && !file)
		return 0;
	if (!nd->by_uuid)
		return ydoc_fail(&ld->y, ydoc_key_of(&ld->y, map, v ? v : file), v ? sub : fsub,
				 "only for a node given by its device UUID (static OOB is for "
				 "provisioning)");
	if (v)
		rc = get_secret(ld, v, sub, text, sizeof(text));
	else
		rc = read_secret_file(ld, file, fsub, text, sizeof(text));
	if (rc == 0 && !parse_static_oob(text, nd))
		rc = ydoc_fail(&ld->y, v ? v : file, v ? sub : fsub, "expected 32 or 64 hex "
			       "digits (a 128- or 256-bit value; value not shown)");
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

static int load_node(struct loader *ld, const yaml_node_t *k, const yaml_node_t *v,
		     const char *path, struct gw_config_node *nd)
{
	static const char *const keys[] = { "name", "elements", "static_oob", "static_oob_file",
					    "groups", "provision", NULL };
	static const char *const provision[] = { "manual", "auto", NULL };
	char sub[YDOC_PATH_LEN];
	const yaml_node_t *f;
	int mode;

	if (load_node_key(ld, k, path, nd))
		return MESH_ERR_INVAL;
	if (ydoc_is_null(v))
		return 0;
	if (ydoc_expect_mapping(&ld->y, v, path, "a mapping (name, elements, groups, ...)") ||
	    ydoc_check_keys(&ld->y, v, path, keys))
		return MESH_ERR_INVAL;
	if ((f = field(ld, v, path, "name", sub)) &&
	    (get_name(ld, f, sub, nd->name) || names_add(ld, f, sub, nd->name, NAME_NODE, 0)))
		return MESH_ERR_INVAL;
	if ((f = field(ld, v, path, "elements", sub)) && load_elements(ld, f, sub, nd))
		return MESH_ERR_INVAL;
	if (load_static_oob(ld, v, path, nd))
		return MESH_ERR_INVAL;
	if ((f = field(ld, v, path, "groups", sub)) && load_node_groups(ld, f, sub, nd))
		return MESH_ERR_INVAL;
	if ((f = field(ld, v, path, "provision", sub))) {
		if (get_choice(ld, f, sub, provision, "auto or manual", &mode))
			return MESH_ERR_INVAL;
		if (mode == 1 && !nd->by_uuid)
			return ydoc_fail(&ld->y, f, sub, "auto needs the node's device UUID as its "
					 "key (an address names a node that is already "
					 "provisioned)");
		nd->provision_auto = mode == 1;
	}
	return 0;
}

static int load_nodes(struct loader *ld, const yaml_node_t *map)
{
	struct gw_config *cfg = ld->cfg;

	if (!map || ydoc_is_null(map))
		return 0;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = ydoc_node(&ld->y, p->key);
		char path[YDOC_PATH_LEN], buf[64];

		if (!ydoc_is_text(k) || ydoc_is_null(k))
			return ydoc_fail(&ld->y, k, "nodes", "expected a device UUID or a unicast "
					 "address, got %s",
					 ydoc_describe(&ld->y, k, buf, sizeof(buf)));
		ydoc_subpath(path, "nodes", ydoc_scalar(k));
		if (load_node(ld, k, ydoc_node(&ld->y, p->value), path,
			      &cfg->nodes[cfg->n_nodes]))
			return MESH_ERR_INVAL;
		cfg->n_nodes++;
	}
	return 0;
}

/* ---- top level --------------------------------------------------------- */

/* The groups and nodes mappings: their shape, their size, and room for
 * them (so pointers into cfg stay valid while names refer to them). */
static int make_room(struct loader *ld, const yaml_node_t *groups, const yaml_node_t *nodes)
{
	size_t ng = 0, nn = 0;

	if (groups && !ydoc_is_null(groups)) {
		if (ydoc_expect_mapping(&ld->y, groups, "groups", "a mapping of group name to "
					"address (or nothing for one meshgate picks)"))
			return MESH_ERR_INVAL;
		ng = ydoc_count(groups);
		if (ng > GROUPS_MAX)
			return ydoc_fail(&ld->y, groups, "groups", "too many groups (%zu, at most "
					 "%d)", ng, GROUPS_MAX);
	}
	if (nodes && !ydoc_is_null(nodes)) {
		if (ydoc_expect_mapping(&ld->y, nodes, "nodes", "a mapping of device UUID or "
					"unicast address to node"))
			return MESH_ERR_INVAL;
		nn = ydoc_count(nodes);
		if (nn > NODES_MAX)
			return ydoc_fail(&ld->y, nodes, "nodes", "too many nodes (%zu, at most %d)",
					 nn, NODES_MAX);
	}
	if (ng && !(ld->cfg->groups = calloc(ng, sizeof(*ld->cfg->groups))))
		return MESH_ERR_NOMEM;
	if (nn && !(ld->cfg->nodes = calloc(nn, sizeof(*ld->cfg->nodes))))
		return MESH_ERR_NOMEM;
	return names_alloc(ld, ng + nn * (1 + GW_CONFIG_ELEMENTS_MAX));
}

static int load_root(struct loader *ld, const yaml_node_t *root)
{
	static const char *const keys[] = { "mqtt", "homeassistant", "bearer", "mesh", "web",
					    "groups", "nodes", "log", NULL };
	const yaml_node_t *groups, *nodes;
	int rc;

	if (!root || ydoc_is_null(root))
		return 0;  /* an empty file: every default */
	if (ydoc_expect_mapping(&ld->y, root, "", "a mapping of sections (mqtt, homeassistant, "
				"bearer, mesh, web, groups, nodes, log)") ||
	    ydoc_check_keys(&ld->y, root, "", keys))
		return MESH_ERR_INVAL;
	groups = ydoc_get(&ld->y, root, "groups");
	nodes = ydoc_get(&ld->y, root, "nodes");
	rc = make_room(ld, groups, nodes);
	if (rc)
		return rc;
	if (load_mqtt(ld, ydoc_get(&ld->y, root, "mqtt")) ||
	    load_homeassistant(ld, ydoc_get(&ld->y, root, "homeassistant")) ||
	    load_bearer(ld, ydoc_get(&ld->y, root, "bearer")) ||
	    load_mesh(ld, ydoc_get(&ld->y, root, "mesh")) ||
	    load_web(ld, ydoc_get(&ld->y, root, "web")) ||
	    load_log(ld, ydoc_get(&ld->y, root, "log")) ||
	    load_groups(ld, groups))
		return MESH_ERR_INVAL;
	return load_nodes(ld, nodes);
}

int gw_config_load_string(struct gw_config *cfg, const char *yaml, size_t len, const char *name,
			  char *err, size_t errlen)
{
	struct loader ld = { .cfg = cfg };
	yaml_node_t *root;
	int rc;

	gw_config_init(cfg);
	ydoc_init(&ld.y, name ? name : "config", err, errlen);
	snprintf(cfg->file, sizeof(cfg->file), "%s", ld.y.file);
	if (len > FILE_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "%s: too large for a configuration file (over %u "
				 "MiB)", ld.y.file, FILE_MAX >> 20);
		rc = MESH_ERR_INVAL;
		goto done;
	}
	rc = ydoc_load(&ld.y, yaml, len, &root);
	if (rc == 0)
		rc = load_root(&ld, root);
done:
	if (rc == MESH_ERR_NOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", ld.y.file);
	ydoc_free(&ld.y);
	free(ld.names);
	if (rc)
		gw_config_free(cfg);
	return rc;
}

int gw_config_load_file(struct gw_config *cfg, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	gw_config_init(cfg);
	rc = ydoc_read_file(path, FILE_MAX, "configuration file", &buf, &len, err, errlen);
	if (rc)
		return rc;
	rc = gw_config_load_string(cfg, buf, len, path, err, errlen);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

int gw_config_load_builtin(struct gw_config *cfg, char *err, size_t errlen)
{
	int rc = gw_config_load_string(cfg, meshgate_builtin_config,
				       (size_t)meshgate_builtin_config_len, BUILTIN_NAME, err,
				       errlen);

	cfg->file[0] = '\0';
	return rc;
}
