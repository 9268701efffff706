/*
 * A minimal HTTP and WebSocket client for tests of the web server, over a
 * raw TCP socket (optionally TLS) so a test controls every byte: custom
 * headers on the handshake (Cookie, Origin), masked frames of any opcode
 * and FIN, fragments, malformed frames, and the frames that come back.
 *
 * The server under test runs on the test's libuv loop in the same
 * process, so the client never blocks: it watches its socket with a
 * uv_poll handle on that loop and every wait runs the loop (until what was
 * waited for arrived, or a deadline).
 */
#ifndef TEST_WS_CLIENT_H
#define TEST_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <uv.h>

#define WS_OP_CONT 0x0
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9
#define WS_OP_PONG 0xa

struct ws_client {
	uv_loop_t *loop;
	char addr[16];               /* the server's, for Host */
	unsigned int port;
	int fd;
	uv_poll_t poll;
	bool poll_open;
	SSL_CTX *ssl_ctx;
	SSL *ssl;
	uint8_t *in;                 /* received, not yet consumed */
	size_t in_len, in_cap;
	bool eof;                    /* the server closed (or the connection broke) */
};

struct http_reply {
	int status;
	char *headers;               /* the header block, lines "Name: value\r\n" */
	char *body;                  /* NUL-terminated */
	size_t body_len;
};

struct ws_frame {
	uint8_t opcode;
	bool fin;
	uint8_t *payload;            /* malloc'd, NUL-terminated */
	size_t len;
	uint16_t close_code;         /* WS_OP_CLOSE with a code, else 0 */
};

/*
 * Connect to addr:port (an IPv4 address), over TLS if tls (no certificate
 * check: tests use a self-signed one), from bind_addr if not NULL (e.g.
 * "127.0.0.2": another client address for the server's rate limiter).
 * 0 or negative errno.
 */
int ws_client_connect(struct ws_client *c, uv_loop_t *loop, const char *addr, unsigned int port,
		      bool tls, const char *bind_addr);
/* Close the socket (runs the loop until its handle is closed). */
void ws_client_close(struct ws_client *c);

/* Send raw bytes. 0 or negative errno. */
int ws_client_send(struct ws_client *c, const void *data, size_t len);

/* Read one HTTP response (with Content-Length, or up to the end of the
 * connection). 0, -ETIMEDOUT, -EPROTO. Free with http_reply_free(). */
int ws_client_read_reply(struct ws_client *c, struct http_reply *r, unsigned int timeout_ms);
void http_reply_free(struct http_reply *r);
/* The value of header name in r (case-insensitive) into out; false if absent. */
bool http_reply_header(const struct http_reply *r, const char *name, char *out, size_t outlen);

/*
 * One request on a new connection: method path, extra header lines
 * ("Cookie: a=b\r\n"; may be NULL), body (may be NULL). 0 or negative
 * errno; r holds the answer.
 */
int http_request(uv_loop_t *loop, unsigned int port, bool tls, const char *bind_addr,
		 const char *method, const char *path, const char *headers, const char *body,
		 struct http_reply *r);

/*
 * The opening handshake for path with extra header lines (may be NULL).
 * Returns the HTTP status (101 when upgraded; r, if not NULL, gets the
 * reply) or a negative errno.
 */
int ws_client_handshake(struct ws_client *c, const char *path, const char *headers,
			struct http_reply *r);

/* A masked frame as a browser sends it; any opcode, FIN or not. */
int ws_client_send_frame(struct ws_client *c, uint8_t opcode, bool fin, const void *payload,
			 size_t len);
int ws_client_send_text(struct ws_client *c, const char *text);

/* The next frame from the server. 0, -ETIMEDOUT, -ECONNRESET (closed
 * without a frame), -EPROTO. Free with ws_frame_free(). */
int ws_client_read_frame(struct ws_client *c, struct ws_frame *f, unsigned int timeout_ms);
void ws_frame_free(struct ws_frame *f);

#endif
