/* A minimal HTTP/WebSocket test client (ws_client.h). */
#include "ws_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "uv_helpers.h"

#define WS_CLIENT_TIMEOUT_MS 10000
#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ=="   /* RFC 6455's example key */

/* ---- bytes in and out ------------------------------------------------------------ */

static int in_reserve(struct ws_client *c, size_t more)
{
	uint8_t *p;
	size_t cap;

	if (c->in_len + more <= c->in_cap)
		return 0;
	cap = (c->in_cap ? c->in_cap * 2 : 16384) + more;
	p = realloc(c->in, cap);
	if (!p)
		return -ENOMEM;
	c->in = p;
	c->in_cap = cap;
	return 0;
}

/* Take what the socket (or TLS) has now. */
static void pull(struct ws_client *c)
{
	for (;;) {
		ssize_t n;

		if (c->eof || in_reserve(c, 16384) < 0)
			return;
		if (c->ssl) {
			int r = SSL_read(c->ssl, c->in + c->in_len, 16384);

			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);

				if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
					c->eof = true;
				ERR_clear_error();
				return;
			}
			n = r;
		} else {
			n = recv(c->fd, c->in + c->in_len, 16384, 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n <= 0) {
				c->eof = true;
				return;
			}
		}
		c->in_len += (size_t)n;
	}
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	pull(h->data);
}

static void consume(struct ws_client *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

struct send_state {
	struct ws_client *c;
	const uint8_t *data;
	size_t len;
	int err;
};

static bool send_some(void *ctx)
{
	struct send_state *s = ctx;

	while (s->len && !s->err) {
		ssize_t n;

		if (s->c->ssl) {
			int r = SSL_write(s->c->ssl, s->data, (int)s->len);

			if (r <= 0) {
				int e = SSL_get_error(s->c->ssl, r);

				ERR_clear_error();
				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					return false;
				s->err = -EPIPE;
				break;
			}
			n = r;
		} else {
			n = send(s->c->fd, s->data, s->len, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return false;
			if (n < 0) {
				s->err = -errno;
				break;
			}
		}
		s->data += n;
		s->len -= (size_t)n;
	}
	return true;
}

int ws_client_send(struct ws_client *c, const void *data, size_t len)
{
	struct send_state s = { c, data, len, 0 };

	/* The server reads on the same loop: run it while the socket is full. */
	if (!send_some(&s))
		test_uv_run_until(c->loop, send_some, &s, WS_CLIENT_TIMEOUT_MS);
	if (s.err)
		return s.err;
	return s.len ? -ETIMEDOUT : 0;
}

/* ---- connecting ------------------------------------------------------------------ */

struct handshake_state {
	struct ws_client *c;
	int rc;
	bool done;
};

static bool tls_step(void *ctx)
{
	struct handshake_state *h = ctx;
	int r = SSL_connect(h->c->ssl);

	if (r == 1) {
		h->done = true;
		return true;
	}
	r = SSL_get_error(h->c->ssl, r);
	ERR_clear_error();
	if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE)
		return false;
	h->rc = -EPROTO;
	h->done = true;
	return true;
}

static int tls_start(struct ws_client *c)
{
	struct handshake_state h = { c, 0, false };

	c->ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ssl_ctx)
		return -ENOMEM;
	SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_NONE, NULL);
	c->ssl = SSL_new(c->ssl_ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		return -ENOMEM;
	SSL_set_tlsext_host_name(c->ssl, "localhost");
	if (!tls_step(&h))
		test_uv_run_until(c->loop, tls_step, &h, WS_CLIENT_TIMEOUT_MS);
	return h.done ? h.rc : -ETIMEDOUT;
}

struct connect_state {
	int fd;
	int err;
	bool done;
};

static bool connect_done(void *ctx)
{
	struct connect_state *s = ctx;
	socklen_t len = sizeof(s->err);
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);

	if (getpeername(s->fd, (struct sockaddr *)&peer, &plen) == 0) {
		s->done = true;
		return true;
	}
	getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &s->err, &len);
	if (s->err && s->err != EINPROGRESS) {
		s->done = true;
		return true;
	}
	return false;
}

int ws_client_connect(struct ws_client *c, uv_loop_t *loop, const char *addr, unsigned int port,
		      bool tls, const char *bind_addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct connect_state cs = { -1, 0, false };
	int one = 1, rc;

	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->port = port;
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind_addr) {
		struct sockaddr_in local = { .sin_family = AF_INET };

		inet_pton(AF_INET, bind_addr, &local.sin_addr);
		if (bind(c->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
			rc = -errno;
			goto fail;
		}
	}
	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		rc = -errno;
		goto fail;
	}
	/* The server accepts on the same loop: run it until we are through. */
	cs.fd = c->fd;
	if (!connect_done(&cs))
		test_uv_run_until(loop, connect_done, &cs, WS_CLIENT_TIMEOUT_MS);
	if (!cs.done || cs.err) {
		rc = cs.err ? -cs.err : -ETIMEDOUT;
		goto fail;
	}
	if (tls && (rc = tls_start(c)) < 0)
		goto fail;
	uv_poll_init(loop, &c->poll, c->fd);
	c->poll.data = c;
	c->poll_open = true;
	uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, on_poll);
	return 0;
fail:
	ws_client_close(c);
	return rc;
}

static void on_poll_closed(uv_handle_t *h)
{
	*(bool *)h->data = true;
}

void ws_client_close(struct ws_client *c)
{
	if (c->poll_open) {
		bool closed = false;

		uv_poll_stop(&c->poll);
		c->poll.data = &closed;
		uv_close((uv_handle_t *)&c->poll, on_poll_closed);
		/* The handle is in c, which the caller may free right after. */
		while (!closed)
			uv_run(c->loop, UV_RUN_NOWAIT);
		c->poll_open = false;
	}
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->ssl_ctx)
		SSL_CTX_free(c->ssl_ctx);
	c->ssl = NULL;
	c->ssl_ctx = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
}

/* ---- HTTP ---------------------------------------------------------------------- */

/* Offset of needle in hay (len octets), or SIZE_MAX. */
static size_t find(const uint8_t *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return i;
	return SIZE_MAX;
}

struct reply_state {
	struct ws_client *c;
	size_t head_len;            /* up to and including the blank line; 0: not yet */
	long long content_length;   /* -1: to the end */
};

static bool reply_complete(void *ctx)
{
	struct reply_state *s = ctx;
	struct ws_client *c = s->c;

	pull(c);
	if (!s->head_len) {
		size_t end = find(c->in, c->in_len, "\r\n\r\n");
		const char *cl = NULL;

		if (end == SIZE_MAX)
			return c->eof;
		s->head_len = end + 4;
		for (size_t i = 0; i + 16 < s->head_len; i++) {
			if (strncasecmp((char *)c->in + i, "\ncontent-length:", 16) == 0) {
				cl = (char *)c->in + i + 16;
				break;
			}
		}
		s->content_length = cl ? atoll(cl) : -1;
		/* An upgrade's 101 ends with its head. */
		if (s->head_len > 12 && memcmp(c->in, "HTTP/1.1 101", 12) == 0)
			s->content_length = 0;
	}
	if (s->content_length >= 0)
		return c->in_len >= s->head_len + (size_t)s->content_length;
	return c->eof;
}

int ws_client_read_reply(struct ws_client *c, struct http_reply *r, unsigned int timeout_ms)
{
	struct reply_state s = { c, 0, -1 };
	size_t body_len;

	memset(r, 0, sizeof(*r));
	if (!reply_complete(&s))
		test_uv_run_until(c->loop, reply_complete, &s, timeout_ms);
	if (!reply_complete(&s))
		return -ETIMEDOUT;
	if (!s.head_len || sscanf((char *)c->in, "HTTP/1.%*d %d", &r->status) != 1)
		return -EPROTO;
	body_len = s.content_length >= 0 ? (size_t)s.content_length : c->in_len - s.head_len;
	r->headers = strndup((char *)c->in, s.head_len);
	r->body = malloc(body_len + 1);
	if (!r->headers || !r->body)
		return -ENOMEM;
	memcpy(r->body, c->in + s.head_len, body_len);
	r->body[body_len] = '\0';
	r->body_len = body_len;
	consume(c, s.head_len + body_len);
	return 0;
}

void http_reply_free(struct http_reply *r)
{
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

bool http_reply_header(const struct http_reply *r, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);

	for (const char *l = r->headers ? strstr(r->headers, "\r\n") : NULL; l && l[2];
	     l = strstr(l + 2, "\r\n")) {
		const char *v, *e;

		if (strncasecmp(l + 2, name, n) != 0 || l[2 + n] != ':')
			continue;
		for (v = l + 3 + n; *v == ' '; v++)
			;
		e = strstr(v, "\r\n");
		snprintf(out, outlen, "%.*s", (int)(e - v), v);
		return true;
	}
	return false;
}

int http_request(uv_loop_t *loop, unsigned int port, bool tls, const char *bind_addr,
		 const char *method, const char *path, const char *headers, const char *body,
		 struct http_reply *r)
{
	struct ws_client c;
	char head[4096];
	int rc, n;

	memset(r, 0, sizeof(*r));
	rc = ws_client_connect(&c, loop, "127.0.0.1", port, tls, bind_addr);
	if (rc < 0)
		return rc;
	n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
		     "Connection: close\r\n%s", method, path, port, headers ? headers : "");
	if (body)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Type: application/json"
			      "\r\nContent-Length: %zu\r\n", strlen(body));
	snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	rc = ws_client_send(&c, head, strlen(head));
	if (rc == 0 && body)
		rc = ws_client_send(&c, body, strlen(body));
	if (rc == 0)
		rc = ws_client_read_reply(&c, r, WS_CLIENT_TIMEOUT_MS);
	ws_client_close(&c);
	return rc;
}

/* ---- WebSocket ----------------------------------------------------------------- */

int ws_client_handshake(struct ws_client *c, const char *path, const char *headers,
			struct http_reply *r)
{
	struct http_reply local;
	char req[4096];
	int rc;

	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\nSec-WebSocket-Key: " WS_KEY "\r\n"
		 "Sec-WebSocket-Version: 13\r\n%s\r\n",
		 path, c->addr, c->port, headers ? headers : "");
	rc = ws_client_send(c, req, strlen(req));
	if (rc < 0)
		return rc;
	if (!r)
		r = &local;
	/* A 101 has no body: its head alone is the reply. */
	rc = ws_client_read_reply(c, r, WS_CLIENT_TIMEOUT_MS);
	if (rc < 0)
		return rc;
	rc = r->status;
	if (r == &local)
		http_reply_free(&local);
	return rc;
}

int ws_client_send_frame(struct ws_client *c, uint8_t opcode, bool fin, const void *payload,
			 size_t len)
{
	uint8_t head[14], mask[4], *frame;
	size_t n = 0;
	int rc;

	head[n++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126) {
		head[n++] = (uint8_t)(0x80 | len);
	} else if (len <= 0xffff) {
		head[n++] = 0x80 | 126;
		head[n++] = (uint8_t)(len >> 8);
		head[n++] = (uint8_t)len;
	} else {
		head[n++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			head[n++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	RAND_bytes(mask, sizeof(mask));
	memcpy(head + n, mask, 4);
	n += 4;
	frame = malloc(n + len);
	if (!frame)
		return -ENOMEM;
	memcpy(frame, head, n);
	for (size_t i = 0; i < len; i++)
		frame[n + i] = ((const uint8_t *)payload)[i] ^ mask[i % 4];
	rc = ws_client_send(c, frame, n + len);
	free(frame);
	return rc;
}

int ws_client_send_text(struct ws_client *c, const char *text)
{
	return ws_client_send_frame(c, WS_OP_TEXT, true, text, strlen(text));
}

/* Octets of a complete frame at the start of c->in, or 0. */
static size_t frame_size(const struct ws_client *c, size_t *head, uint64_t *len)
{
	const uint8_t *b = c->in;
	size_t h = 2;

	if (c->in_len < 2)
		return 0;
	*len = b[1] & 0x7f;
	if (*len == 126) {
		if (c->in_len < 4)
			return 0;
		*len = (uint64_t)b[2] << 8 | b[3];
		h = 4;
	} else if (*len == 127) {
		if (c->in_len < 10)
			return 0;
		*len = 0;
		for (int i = 0; i < 8; i++)
			*len = *len << 8 | b[2 + i];
		h = 10;
	}
	if (b[1] & 0x80)
		h += 4;    /* a server never masks, but the size must still add up */
	*head = h;
	if (*len > (1u << 24) || c->in_len < h + *len)
		return 0;
	return h + (size_t)*len;
}

struct frame_state {
	struct ws_client *c;
};

static bool frame_ready(void *ctx)
{
	struct ws_client *c = ((struct frame_state *)ctx)->c;
	size_t head;
	uint64_t len;

	pull(c);
	return frame_size(c, &head, &len) || c->eof;
}

int ws_client_read_frame(struct ws_client *c, struct ws_frame *f, unsigned int timeout_ms)
{
	struct frame_state s = { c };
	size_t head, total;
	uint64_t len;

	memset(f, 0, sizeof(*f));
	if (!frame_ready(&s))
		test_uv_run_until(c->loop, frame_ready, &s, timeout_ms);
	total = frame_size(c, &head, &len);
	if (!total)
		return c->eof ? -ECONNRESET : -ETIMEDOUT;
	f->fin = c->in[0] & 0x80;
	f->opcode = c->in[0] & 0x0f;
	f->len = (size_t)len;
	f->payload = malloc(f->len + 1);
	if (!f->payload)
		return -ENOMEM;
	memcpy(f->payload, c->in + head, f->len);
	f->payload[f->len] = '\0';
	if (f->opcode == WS_OP_CLOSE && f->len >= 2)
		f->close_code = (uint16_t)(f->payload[0] << 8 | f->payload[1]);
	consume(c, total);
	return 0;
}

void ws_frame_free(struct ws_frame *f)
{
	free(f->payload);
	memset(f, 0, sizeof(*f));
}
