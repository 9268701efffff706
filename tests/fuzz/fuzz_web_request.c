/*
 * libFuzzer target for what the web server reads from HTTP requests before
 * anyone has logged in (web/request.h): the Cookie header, Origin against
 * Host, the login body, and static file paths. The first octet picks the
 * parser; the rest is its input, copied to a buffer of exactly its size so
 * a read past the end is caught. Whatever a parser accepts must keep its
 * promises: a cookie value without separators, a matching origin with its
 * scheme, a password that fits, a path that cannot leave the web root.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "web/request.h"

static bool contains(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return true;
	return false;
}

static void fuzz_cookie(const char *in, size_t len)
{
	char value[65];

	if (!web_cookie_get(in, len, "meshgate_session", value, sizeof(value)))
		return;
	if (!value[0] || strchr(value, ';') || value[0] == '"' || strlen(value) >= sizeof(value))
		abort();
	if (!contains(in, len, value))
		abort();
}

static void fuzz_origin(const char *in, size_t len, bool tls)
{
	const char *nl = memchr(in, '\n', len);
	size_t olen = nl ? (size_t)(nl - in) : len;
	size_t hlen = nl ? len - olen - 1 : 0;
	char *origin = malloc(olen ? olen : 1), *host = malloc(hlen ? hlen : 1);

	if (!origin || !host)
		abort();
	memcpy(origin, in, olen);
	if (hlen)
		memcpy(host, nl + 1, hlen);
	if (web_origin_matches(origin, olen, host, hlen, tls) &&
	    strncasecmp(origin, tls ? "https://" : "http://", tls ? 8 : 7) != 0)
		abort();
	free(origin);
	free(host);
}

static void fuzz_login(const char *in, size_t len)
{
	char password[32], why[128];

	if (web_login_body_parse(in, len, password, sizeof(password), why, sizeof(why)) == 0) {
		if (strlen(password) >= sizeof(password))
			abort();
	} else if (!why[0]) {
		abort();
	}
}

static void fuzz_path(const char *in, size_t len)
{
	char *path = malloc(len + 1);

	if (!path)
		abort();
	memcpy(path, in, len);
	path[len] = '\0';
	if (web_static_path_ok(path) &&
	    (path[0] != '/' || strstr(path, "//") || strstr(path, "/.")))
		abort();
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	in = malloc(len ? len : 1);
	if (!in)
		abort();
	memcpy(in, data + 1, len);
	switch (data[0] % 5) {
	case 0:
		fuzz_cookie(in, len);
		break;
	case 1:
		fuzz_origin(in, len, false);
		break;
	case 2:
		fuzz_origin(in, len, true);
		break;
	case 3:
		fuzz_login(in, len);
		break;
	default:
		fuzz_path(in, len);
		break;
	}
	free(in);
	return 0;
}
