/*
 * What the web server reads from requests (web/request.h): the session
 * cookie among others, Origin against Host (schemes, default ports, case,
 * lookalikes), the login body, static file paths that must not climb out
 * of the dashboard's directory; and the content types by extension.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "web/request.h"
#include "web/static_files.h"

static bool cookie(const char *header, char *out, size_t outlen)
{
	return web_cookie_get(header, strlen(header), "meshgate_session", out, outlen);
}

static void test_cookie(void **state)
{
	char v[65];

	(void)state;
	assert_true(cookie("meshgate_session=abc", v, sizeof(v)));
	assert_string_equal(v, "abc");
	assert_true(cookie("a=1; meshgate_session=abc; b=2", v, sizeof(v)));
	assert_string_equal(v, "abc");
	assert_true(cookie("a=1;meshgate_session=abc  ;b=2", v, sizeof(v)));
	assert_string_equal(v, "abc");
	/* The first of two wins. */
	assert_true(cookie("meshgate_session=one; meshgate_session=two", v, sizeof(v)));
	assert_string_equal(v, "one");
	/* Names must match whole. */
	assert_false(cookie("xmeshgate_session=abc", v, sizeof(v)));
	assert_false(cookie("meshgate_session_old=abc", v, sizeof(v)));
	assert_true(cookie("meshgate_session_old=x; meshgate_session=y", v, sizeof(v)));
	assert_string_equal(v, "y");
	/* Absent, empty, quoted, too long, no '='. */
	assert_false(cookie("", v, sizeof(v)));
	assert_false(cookie("meshgate_session=", v, sizeof(v)));
	assert_false(cookie("meshgate_session=\"abc\"", v, sizeof(v)));
	assert_false(cookie("meshgate_session", v, sizeof(v)));
	assert_false(cookie("meshgate_session=a b", v, sizeof(v)));
	assert_false(cookie("meshgate_session=a\\b", v, sizeof(v)));
	assert_false(cookie("meshgate_session=a\x01", v, sizeof(v)));
	assert_false(web_cookie_get("meshgate_session=a\0b", 19, "meshgate_session", v, sizeof(v)));
	assert_false(cookie("meshgate_session=abcdef", v, 4));
	assert_true(cookie("meshgate_session=abc", v, 4));
	/* The length given is the end, whatever follows in memory. */
	assert_false(web_cookie_get("meshgate_session=abc", 16, "meshgate_session", v, sizeof(v)));
	assert_true(web_cookie_get("meshgate_session=abc", 18, "meshgate_session", v, sizeof(v)));
	assert_string_equal(v, "a");
}

static bool origin(const char *o, const char *host, bool tls)
{
	return web_origin_matches(o, strlen(o), host, strlen(host), tls);
}

static void test_origin(void **state)
{
	(void)state;
	assert_true(origin("http://127.0.0.1:8080", "127.0.0.1:8080", false));
	assert_true(origin("http://MeshGate.local:8080", "meshgate.local:8080", false));
	assert_true(origin("https://gw:8443", "gw:8443", true));
	assert_true(origin("http://[::1]:8080", "[::1]:8080", false));
	/* Default ports written or not. */
	assert_true(origin("http://gw", "gw:80", false));
	assert_true(origin("http://gw:80", "gw", false));
	assert_true(origin("https://gw", "gw:443", true));
	assert_false(origin("https://gw", "gw:80", true));
	/* Another scheme, host or port. */
	assert_false(origin("https://gw:8080", "gw:8080", false));
	assert_false(origin("http://gw:8080", "gw:8080", true));
	assert_false(origin("http://evil.example:8080", "gw:8080", false));
	assert_false(origin("http://gw:8081", "gw:8080", false));
	assert_false(origin("http://gw.evil:8080", "gw:8080", false));
	assert_false(origin("http://gw:8080.evil", "gw:8080", false));
	/* Malformed. */
	assert_false(origin("null", "gw:8080", false));
	assert_false(origin("", "gw:8080", false));
	assert_false(origin("http://", "", false));
	assert_false(origin("http://gw:8080/", "gw:8080", false));
	assert_false(origin("http://user@gw:8080", "gw:8080", false));
	assert_false(origin("http://gw:8080", "", false));
	assert_false(origin("http://g w", "g w", false));
}

static void test_login_body(void **state)
{
	char pw[16], why[128];

	(void)state;
#define BODY(s) s, sizeof(s) - 1
	assert_int_equal(web_login_body_parse(BODY("{\"password\":\"secret\"}"), pw, sizeof(pw), why,
					      sizeof(why)), 0);
	assert_string_equal(pw, "secret");
	assert_int_equal(web_login_body_parse(BODY("{\"password\":\"\",\"remember\":true}"), pw,
					      sizeof(pw), why, sizeof(why)), 0);
	assert_string_equal(pw, "");
	assert_int_equal(web_login_body_parse(BODY("{\"password\":\"\\u00e9t\\u00e9\"}"), pw,
					      sizeof(pw), why, sizeof(why)), 0);
	assert_string_equal(pw, "\xc3\xa9t\xc3\xa9");

	assert_int_equal(web_login_body_parse(BODY(""), pw, sizeof(pw), why, sizeof(why)), -1);
	assert_non_null(strstr(why, "JSON object"));
	assert_int_equal(web_login_body_parse(BODY("password=secret"), pw, sizeof(pw), why,
					      sizeof(why)), -1);
	assert_int_equal(web_login_body_parse(BODY("[\"secret\"]"), pw, sizeof(pw), why,
					      sizeof(why)), -1);
	assert_int_equal(web_login_body_parse(BODY("{\"pass\":\"secret\"}"), pw, sizeof(pw), why,
					      sizeof(why)), -1);
	assert_string_equal(why, "password: expected a string");
	assert_int_equal(web_login_body_parse(BODY("{\"password\":42}"), pw, sizeof(pw), why,
					      sizeof(why)), -1);
	assert_int_equal(web_login_body_parse(BODY("{\"password\":\"a\",\"password\":\"b\"}"), pw,
					      sizeof(pw), why, sizeof(why)), -1);
	assert_int_equal(web_login_body_parse(BODY("{\"password\":\"0123456789abcdef\"}"), pw,
					      sizeof(pw), why, sizeof(why)), -1);
	assert_string_equal(why, "password: too long");
	/* A NUL would cut the password short: the body is refused. */
	assert_int_equal(web_login_body_parse(BODY("{\"password\":\"a\\u0000b\"}"), pw, sizeof(pw),
					      why, sizeof(why)), -1);
#undef BODY
}

static void test_static_path(void **state)
{
	(void)state;
	assert_true(web_static_path_ok("/index.html"));
	assert_true(web_static_path_ok("/js/app.js"));
	assert_true(web_static_path_ok("/a/b-c/d_e.f.svg"));
	assert_false(web_static_path_ok(""));
	assert_false(web_static_path_ok("/"));
	assert_false(web_static_path_ok("index.html"));
	assert_false(web_static_path_ok("/../etc/passwd"));
	assert_false(web_static_path_ok("/js/../../x"));
	assert_false(web_static_path_ok("/js/./app.js"));
	assert_false(web_static_path_ok("/.git/config"));
	assert_false(web_static_path_ok("/js//app.js"));
	assert_false(web_static_path_ok("/js/"));
	assert_false(web_static_path_ok("/a%2e%2e/b"));
	assert_false(web_static_path_ok("/a\\b"));
	assert_false(web_static_path_ok("/a b"));
	assert_false(web_static_path_ok("/a?b"));
}

static void test_content_types(void **state)
{
	(void)state;
	assert_string_equal(web_content_type("/index.html"), "text/html; charset=utf-8");
	assert_string_equal(web_content_type("/js/app.js"), "text/javascript; charset=utf-8");
	assert_string_equal(web_content_type("/STYLE.CSS"), "text/css; charset=utf-8");
	assert_string_equal(web_content_type("/favicon.svg"), "image/svg+xml");
	assert_string_equal(web_content_type("/x.png"), "image/png");
	assert_string_equal(web_content_type("/x.tar.gz"), "application/octet-stream");
	assert_string_equal(web_content_type("/a.b/README"), "application/octet-stream");
	assert_string_equal(web_content_type("/noext"), "application/octet-stream");
}

/* The table cmake/embed_dir.cmake generated from web/static. */
static void test_embedded_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < web_static_files_count; i++) {
		const struct web_static_file *f = &web_static_files[i];

		assert_true(web_static_path_ok(f->path));
		assert_ptr_equal(web_static_find(f->path), f);
		/* NUL-terminated past its length, like embed.cmake's output. */
		assert_int_equal(f->data[f->len], 0);
	}
	assert_null(web_static_find("/no-such-file.html"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_login_body),
		cmocka_unit_test(test_static_path),
		cmocka_unit_test(test_content_types),
		cmocka_unit_test(test_embedded_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
