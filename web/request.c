/*
 * Parsing what browsers send (request.h). Every function takes a length
 * and never reads past it; none trusts a NUL terminator in the input.
 */
#include "request.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>

#define STATIC_PATH_MAX 255

static bool is_cookie_space(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 6265's cookie-octet: visible ASCII but for '"', ',', ';' and '\\'. */
static bool is_cookie_octet(char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}

bool web_cookie_get(const char *header, size_t len, const char *name, char *out, size_t outlen)
{
	size_t name_len = strlen(name);
	size_t i = 0;

	while (i < len) {
		size_t start, end, eq, vlen;

		while (i < len && (is_cookie_space(header[i]) || header[i] == ';'))
			i++;
		start = i;
		while (i < len && header[i] != ';')
			i++;
		end = i;
		for (eq = start; eq < end && header[eq] != '='; eq++)
			;
		if (eq == end || eq - start != name_len || memcmp(header + start, name, name_len))
			continue;
		/* Trailing blanks belong to the separator, not the value. */
		while (end > eq + 1 && is_cookie_space(header[end - 1]))
			end--;
		vlen = end - (eq + 1);
		if (vlen == 0 || vlen >= outlen)
			return false;
		for (size_t k = eq + 1; k < end; k++)
			if (!is_cookie_octet(header[k]))
				return false;
		memcpy(out, header + eq + 1, vlen);
		out[vlen] = '\0';
		return true;
	}
	return false;
}

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
}

/* host[:port] without the default port of the scheme: its length. */
static size_t host_without_default_port(const char *host, size_t len, bool tls)
{
	const char *port = tls ? ":443" : ":80";
	size_t plen = strlen(port);

	if (len > plen && memcmp(host + len - plen, port, plen) == 0)
		return len - plen;
	return len;
}

static bool host_ok(const char *host, size_t len)
{
	if (len == 0 || len > 300)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_host_char(host[i]))
			return false;
	return true;
}

bool web_origin_matches(const char *origin, size_t origin_len, const char *host,
			size_t host_len, bool tls)
{
	const char *scheme = tls ? "https://" : "http://";
	size_t slen = strlen(scheme);
	const char *ohost;
	size_t olen;

	if (origin_len <= slen || strncasecmp(origin, scheme, slen) != 0)
		return false;
	ohost = origin + slen;
	olen = origin_len - slen;
	if (!host_ok(ohost, olen) || !host_ok(host, host_len))
		return false;
	olen = host_without_default_port(ohost, olen, tls);
	host_len = host_without_default_port(host, host_len, tls);
	return olen == host_len && strncasecmp(ohost, host, olen) == 0;
}

int web_login_body_parse(const char *body, size_t len, char *out, size_t outlen, char *why,
			 size_t whylen)
{
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *pw = json_object_get(root, "password");
	size_t n;
	int rc = -1;

	if (!json_is_object(root))
		snprintf(why, whylen, "expected a JSON object {\"password\": \"...\"}");
	else if (!json_is_string(pw))
		snprintf(why, whylen, "password: expected a string");
	else if ((n = json_string_length(pw)) >= outlen)
		snprintf(why, whylen, "password: too long");
	else {
		/* No NUL inside: jansson refuses "\u0000" unless told otherwise. */
		memcpy(out, json_string_value(pw), n);
		out[n] = '\0';
		rc = 0;
	}
	/* jansson's copy of the password goes with the document. */
	if (json_is_string(pw))
		OPENSSL_cleanse((void *)json_string_value(pw), json_string_length(pw));
	json_decref(root);
	return rc;
}

static bool is_path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

bool web_static_path_ok(const char *path)
{
	size_t len = strnlen(path, STATIC_PATH_MAX + 1);
	bool segment_start = true;

	if (len == 0 || len > STATIC_PATH_MAX || path[0] != '/')
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = path[i];

		if (c == '/') {
			if (segment_start)
				return false;
			segment_start = true;
			continue;
		}
		if (!is_path_char(c) || (segment_start && c == '.'))
			return false;
		segment_start = false;
	}
	return !segment_start;
}
