/*
 * What the web server reads from untrusted HTTP requests, apart from
 * libwebsockets' own header parsing: the session cookie, the Origin a
 * browser sends on a WebSocket upgrade or a POST, the login body, and the
 * path of a static file. Pure functions on bytes (no libwebsockets), each
 * with a fuzz target (tests/fuzz/fuzz_web_request.c).
 */
#ifndef WEB_REQUEST_H
#define WEB_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The value of cookie `name` in a Cookie header ("a=1; name=v; b=2"):
 * copied to out (outlen octets with its NUL) and true; false if absent,
 * empty, too long or not made of RFC 6265 cookie octets (quoted, spaces,
 * control characters). The first of duplicate names wins, as
 * browsers send the most specific cookie first.
 */
bool web_cookie_get(const char *header, size_t len, const char *name, char *out, size_t outlen);

/*
 * Does origin (the Origin header) name the server the request came to?
 * It must be "<scheme>://<host>", scheme "https" under TLS and "http"
 * otherwise, and host equal to the Host header (case-insensitive, a
 * default port written or not). "null" and anything malformed do not
 * match.
 */
bool web_origin_matches(const char *origin, size_t origin_len, const char *host,
			size_t host_len, bool tls);

/*
 * The password of a login body {"password":"..."} into out (outlen octets
 * with its NUL). 0, or -1 with a sentence for the client in why.
 */
int web_login_body_parse(const char *body, size_t len, char *out, size_t outlen, char *why,
			 size_t whylen);

/*
 * Is path (an absolute URL path, "/js/app.js") a file name the static
 * file server may look up? Segments of letters, digits, '-', '_' and '.',
 * none empty and none starting with '.' (no "..", no hidden files), at
 * most 255 octets.
 */
bool web_static_path_ok(const char *path);

#endif
