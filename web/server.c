/*
 * The web server's life (web.h): a libwebsockets context on meshgate's own
 * libuv loop, its one vhost listening as the configuration says, the one
 * callback lws calls for everything (dispatched to http.c, login.c, ws.c),
 * and the shutdown.
 *
 * Why the shutdown is the subtle part: lws on a foreign libuv loop cannot
 * finish in one call. lws_context_destroy() only starts closing its
 * sockets; libuv closes handles asynchronously, and only when every
 * connection's poll handle is closed does lws close its own idle and timer
 * handles, which live inside the context. lws 4.1 never completes the
 * destruction on a foreign loop by itself: a second lws_context_destroy()
 * frees the context, and it must come after those last handles' close
 * callbacks, or libuv would call into freed memory. So the reaper, an idle
 * handle of ours, looks at the loop after each turn and makes the second
 * call once no handle of the context is left; the password checks still
 * running on the thread pool are waited for the same way. A failed open
 * (the port taken, say) takes the same path.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mesh/err.h"
#include "mesh/log.h"
#include "web/request.h"
#include "web/rpc.h"

#define LOG "web"
#define WEB_PROTOCOL "meshgate"
/* Seconds lws waits for a request's headers, and an idle keep-alive. */
#define WEB_TIMEOUT_S 20
#define WEB_KEEPALIVE_S 30

uint64_t web_now_ms(const struct web_server *s)
{
	return uv_now(s->loop);
}

void web_peer_addr(struct lws *wsi, char *out, size_t len)
{
	char addr[128] = "";
	const char *a = addr;

	lws_get_peer_simple(wsi, addr, sizeof(addr));
	/* An IPv4 client on a dual-stack socket: count it as IPv4. */
	if (strncmp(a, "::ffff:", 7) == 0 && strchr(a + 7, '.'))
		a += 7;
	snprintf(out, len, "%s", a[0] ? a : "?");
}

int web_header_copy(struct lws *wsi, enum lws_token_indexes t, char *out, size_t outlen)
{
	int len = lws_hdr_total_length(wsi, t);

	if (len <= 0 || (size_t)len >= outlen)
		return -1;
	return lws_hdr_copy(wsi, out, (int)outlen, t) == len ? len : -1;
}

bool web_request_session(struct web_server *s, struct lws *wsi, char *hex)
{
	char cookies[2048];
	int len = web_header_copy(wsi, WSI_TOKEN_HTTP_COOKIE, cookies, sizeof(cookies));

	if (len < 0 || !web_cookie_get(cookies, (size_t)len, WEB_COOKIE, hex,
				       WEB_SESSION_HEX_LEN + 1))
		return false;
	return web_sessions_check(&s->sessions, hex, web_now_ms(s));
}

bool web_request_same_origin(struct web_server *s, struct lws *wsi)
{
	char origin[320], host[320];
	int olen, hlen;

	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
		return true;
	olen = web_header_copy(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
	hlen = web_header_copy(wsi, WSI_TOKEN_HOST, host, sizeof(host));
	return olen > 0 && hlen > 0 &&
	       web_origin_matches(origin, (size_t)olen, host, (size_t)hlen, s->tls);
}

/* ---- the lws callback ------------------------------------------------------------ */

static int web_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			size_t len)
{
	struct web_server *s = lws_context_user(lws_get_context(wsi));
	struct web_pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return web_http_request(s, p, wsi, in);
	case LWS_CALLBACK_HTTP_BODY:
		return web_http_body(s, p, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return web_http_body_done(s, p);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return web_http_writeable(s, p);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (p)
			web_http_closed(s, p);
		return 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		if (!in || strcasecmp(in, "websocket") != 0)
			return -1;
		return web_ws_confirm_upgrade(s, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		return web_ws_established(s, p, wsi);
	case LWS_CALLBACK_RECEIVE:
		return web_ws_receive(s, p, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return web_ws_writeable(s, p);
	case LWS_CALLBACK_TIMER:
		return web_ws_timer(s, p);
	case LWS_CALLBACK_CLOSED:
		if (p)
			web_ws_closed(s, p);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* lws's own lines go to meshgate's log. */
static void web_lws_log(int level, const char *line)
{
	size_t len = strlen(line);

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	mesh_log(level & LLL_ERR ? MESH_LOG_ERROR : MESH_LOG_WARN, "lws", "%.*s", (int)len, line);
}

/* ---- opening ------------------------------------------------------------------- */

static int web_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/* The certificate and key load and belong together: said here in words,
 * as lws would only fail to create the vhost. */
static int web_tls_check(const char *cert, const char *key, char *err, size_t errlen)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	FILE *f;
	int rc = MESH_ERR_INVAL;

	if (!(f = fopen(cert, "r"))) {
		snprintf(err, errlen, "web.cert: %s: %s", cert, strerror(errno));
		return -errno;
	}
	x = PEM_read_X509(f, NULL, web_no_passphrase, NULL);
	fclose(f);
	if (!x) {
		snprintf(err, errlen, "web.cert: %s: not a PEM certificate", cert);
		goto done;
	}
	if (!(f = fopen(key, "r"))) {
		snprintf(err, errlen, "web.key: %s: %s", key, strerror(errno));
		rc = -errno;
		goto done;
	}
	k = PEM_read_PrivateKey(f, NULL, web_no_passphrase, NULL);
	fclose(f);
	if (!k)
		snprintf(err, errlen, "web.key: %s: not a PEM private key (an encrypted key needs "
			 "its passphrase removed)", key);
	else if (X509_check_private_key(x, k) != 1)
		snprintf(err, errlen, "web.cert and web.key do not belong together (%s, %s)", cert,
			 key);
	else
		rc = 0;
done:
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return rc;
}

/* host as lws binds it: a numeric address (NULL for all), and whether IPv6. */
static int web_resolve_host(const char *host, char *numeric, size_t len, bool *ipv6, char *err,
			    size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res;
	int rc;

	*ipv6 = false;
	numeric[0] = '\0';
	if (!host[0] || strcmp(host, "0.0.0.0") == 0)
		return 0;
	if (strcmp(host, "::") == 0) {
		*ipv6 = true;
		return 0;
	}
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "web.host: %s: %s", host, gai_strerror(rc));
		return MESH_ERR_INVAL;
	}
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, numeric, (socklen_t)len, NULL, 0,
			 NI_NUMERICHOST);
	*ipv6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	if (rc) {
		snprintf(err, errlen, "web.host: %s: %s", host, gai_strerror(rc));
		return MESH_ERR_INVAL;
	}
	return 0;
}

/* Why lws could not listen: the same bind, done here to get its errno. */
static void web_listen_error(const char *numeric, bool ipv6, unsigned int port, char *err,
			     size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sslen;
	int fd, one = 1;
	const char *why = "libwebsockets could not create the server (see the log)";

	if (ipv6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_any;
		if (numeric[0])
			inet_pton(AF_INET6, numeric, &a->sin6_addr);
		sslen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (numeric[0])
			inet_pton(AF_INET, numeric, &a->sin_addr);
		sslen = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, sslen) < 0)
			why = strerror(errno);
		close(fd);
	}
	snprintf(err, errlen, "web: cannot listen on %s%s%s:%u: %s", ipv6 ? "[" : "",
		 numeric[0] ? numeric : ipv6 ? "::" : "0.0.0.0", ipv6 ? "]" : "", port, why);
}

static void web_make_url(struct web_server *s, const char *host)
{
	char name[256] = "localhost";
	bool literal6 = strchr(host, ':') != NULL;

	if (!host[0] || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) {
		if (gethostname(name, sizeof(name)) < 0 || !name[0])
			snprintf(name, sizeof(name), "localhost");
		name[sizeof(name) - 1] = '\0';
		host = name;
		literal6 = false;
	}
	snprintf(s->url, sizeof(s->url), "%s://%s%s%s:%u/", s->tls ? "https" : "http",
		 literal6 ? "[" : "", host, literal6 ? "]" : "", s->port);
}

static int web_create_context(struct web_server *s)
{
	struct lws_context_creation_info info;
	void *loops[1] = { s->loop };

	memset(&info, 0, sizeof(info));
	/* UTF-8 is checked by lws on the context's options, not the vhost's. */
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
		       LWS_SERVER_OPTION_VALIDATE_UTF8;
	if (s->tls)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = loops;
	info.pcontext = &s->ctx;
	info.user = s;
	info.port = CONTEXT_PORT_NO_LISTEN;
	s->ctx = lws_create_context(&info);
	return s->ctx ? 0 : MESH_ERR_NOMEM;
}

static int web_create_vhost(struct web_server *s, const struct gw_config_web *cfg,
			    const char *numeric, bool ipv6)
{
	struct lws_context_creation_info info;

	s->protocols[0] = (struct lws_protocols){
		.name = WEB_PROTOCOL,
		.callback = web_callback,
		.per_session_data_size = sizeof(struct web_pss),
	};
	memset(&info, 0, sizeof(info));
	info.vhost_name = "meshgate";
	info.port = (int)cfg->port;
	info.iface = numeric[0] ? numeric : NULL;
	info.protocols = s->protocols;
	info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	if (!ipv6)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.server_string = "meshgate";
	info.keepalive_timeout = WEB_KEEPALIVE_S;
	info.timeout_secs = WEB_TIMEOUT_S;
	if (s->tls) {
		/* Asked for again here: lws looks at the vhost's options for TLS. */
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cfg->cert;
		info.ssl_private_key_filepath = cfg->key;
		/* HTTP/1.1 only: the WebSocket and the cookies are simplest there. */
		info.alpn = "http/1.1";
	}
	s->vhost = lws_create_vhost(s->ctx, &info);
	if (!s->vhost)
		return MESH_ERR_IO;
	s->port = (unsigned int)lws_get_vhost_listen_port(s->vhost);
	return 0;
}

static void web_set_root(struct web_server *s)
{
	const char *root = getenv("MESHGATE_WEB_ROOT");
	struct stat st;

	if (!root || !root[0])
		return;
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		mesh_log_warn(LOG, "MESHGATE_WEB_ROOT=%s is not a directory; serving the built-in "
			      "dashboard", root);
		return;
	}
	snprintf(s->web_root, sizeof(s->web_root), "%s", root);
	mesh_log_info(LOG, "serving the dashboard's files from %s (MESHGATE_WEB_ROOT)", root);
}

/* The parts that need no listening socket: password, TLS files, JSON-RPC. */
static int web_prepare(struct web_server *s, const struct gw_config_web *cfg,
		       const struct web_server_options *opts, char *err, size_t errlen)
{
	unsigned int iterations = opts && opts->kdf_iterations ? opts->kdf_iterations
							       : WEB_AUTH_ITERATIONS;
	int rc;

	rc = web_auth_setup(&s->secret, cfg->password, opts ? opts->data_dir : NULL, iterations,
			    s->new_password, err, errlen);
	if (rc < 0)
		return rc;
	if (cfg->cert[0] || cfg->key[0]) {
		if (!cfg->cert[0] || !cfg->key[0]) {
			snprintf(err, errlen, "web: HTTPS needs both cert and key");
			return MESH_ERR_INVAL;
		}
		rc = web_tls_check(cfg->cert, cfg->key, err, errlen);
		if (rc < 0)
			return rc;
		s->tls = true;
	}
	s->rpc = web_rpc_new(s->app, s->api);
	if (!s->rpc) {
		snprintf(err, errlen, "web: cannot start the JSON-RPC API (out of memory, or the "
			 "event stream has no room)");
		return MESH_ERR_NOMEM;
	}
	return 0;
}

int web_server_open(struct web_server **out, uv_loop_t *loop, struct gw_app *app,
		    struct gw_api *api, const struct gw_config_web *cfg,
		    const struct web_server_options *opts, char *err, size_t errlen)
{
	struct web_server *s;
	char numeric[INET6_ADDRSTRLEN + 1];
	bool ipv6;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "web: out of memory");
		return MESH_ERR_NOMEM;
	}
	s->loop = loop;
	s->app = app;
	s->api = api;
	if (opts) {
		s->mqtt_status = opts->mqtt_status;
		s->mqtt_ctx = opts->mqtt_ctx;
		s->closed = opts->closed;
		s->closed_ctx = opts->closed_ctx;
	}
	web_sessions_init(&s->sessions, 0);
	web_login_limit_init(&s->limit);
	web_set_root(s);
	lws_set_log_level(LLL_ERR | LLL_WARN, web_lws_log);
	rc = web_resolve_host(cfg->host, numeric, sizeof(numeric), &ipv6, err, errlen);
	if (rc == 0)
		rc = web_prepare(s, cfg, opts, err, errlen);
	if (rc == 0 && (rc = web_create_context(s)) < 0)
		snprintf(err, errlen, "web: libwebsockets could not start (is the package "
			 "libwebsockets-evlib-uv installed?)");
	if (rc == 0 && (rc = web_create_vhost(s, cfg, numeric, ipv6)) < 0)
		web_listen_error(numeric, ipv6, cfg->port, err, errlen);
	if (rc < 0) {
		web_server_close(s);
		return rc;
	}
	web_make_url(s, cfg->host);
	*out = s;
	return 0;
}

/* ---- closing ------------------------------------------------------------------- */

static void web_count_ctx_handles(uv_handle_t *h, void *arg)
{
	void **a = arg;

	if (h->data == a[0])
		a[1] = h;
}

/* Does the loop still hold a handle of the lws context (closing or not)? */
static bool web_ctx_has_handles(struct web_server *s)
{
	void *a[2] = { s->ctx, NULL };

	if (!s->ctx)
		return false;
	uv_walk(s->loop, web_count_ctx_handles, a);
	return a[1] != NULL;
}

static void web_reaper_closed(uv_handle_t *h)
{
	struct web_server *s = h->data;
	void (*closed)(void *ctx) = s->closed;
	void *ctx = s->closed_ctx;

	OPENSSL_cleanse(&s->secret, sizeof(s->secret));
	free(s);
	if (closed)
		closed(ctx);
}

static void web_reaper(uv_idle_t *h)
{
	struct web_server *s = h->data;

	if (s->n_jobs || web_ctx_has_handles(s))
		return;
	/* The second call frees the context (and sets s->ctx NULL). */
	if (s->ctx)
		lws_context_destroy(s->ctx);
	uv_idle_stop(h);
	uv_close((uv_handle_t *)h, web_reaper_closed);
}

static void web_server_start_reaper(struct web_server *s)
{
	uv_idle_init(s->loop, &s->reaper);
	s->reaper.data = s;
	s->reaper_open = true;
	uv_idle_start(&s->reaper, web_reaper);
}

void web_server_reap(struct web_server *s)
{
	if (s->closing && !s->reaper_open)
		web_server_start_reaper(s);
}

void web_server_close(struct web_server *s)
{
	if (!s || s->closing)
		return;
	s->closing = true;
	web_ws_detach_all(s);
	if (s->rpc)
		web_rpc_free(s->rpc);
	s->rpc = NULL;
	web_login_detach_all(s);
	s->app = NULL;
	s->api = NULL;
	web_sessions_clear(&s->sessions);
	web_server_forget_password(s);
	/* The first call closes every connection and listener (asynchronously). */
	if (s->ctx)
		lws_context_destroy(s->ctx);
	web_server_reap(s);
}

/* ---- what the daemon shows ------------------------------------------------------ */

const char *web_server_url(const struct web_server *s)
{
	return s->url;
}

unsigned int web_server_port(const struct web_server *s)
{
	return s->port;
}

const char *web_server_new_password(const struct web_server *s)
{
	return s->new_password[0] ? s->new_password : NULL;
}

void web_server_forget_password(struct web_server *s)
{
	OPENSSL_cleanse(s->new_password, sizeof(s->new_password));
}
