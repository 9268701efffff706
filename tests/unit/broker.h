/*
 * A real Mosquitto broker for integration tests: started on a free
 * loopback port in a fresh temporary directory (its own configuration,
 * no persistence, anonymous access unless a password file is asked for),
 * stopped and started again on the same port (to test reconnects), and
 * killed at the end. Mosquitto comes from Debian's package
 * (/usr/sbin/mosquitto); a missing binary fails the test, it never skips.
 *
 * With TLS, the harness makes its own certificate authority and a server
 * certificate for 127.0.0.1 (and "localhost") with the openssl command,
 * plus a second, unrelated CA for "wrong CA" tests.
 */
#ifndef TESTS_BROKER_H
#define TESTS_BROKER_H

#include <stdbool.h>
#include <sys/types.h>

struct test_broker {
	pid_t pid;
	unsigned int port;
	char dir[256];          /* temporary directory (config, log) */
	char url[64];           /* "mqtt://127.0.0.1:<port>" (mqtts:// with TLS) */
	char username[32];      /* with auth: the one user and its password */
	char password[32];
	bool auth;
	bool tls;
	char ca_file[320];      /* with TLS: the CA that signed the server */
	char wrong_ca_file[320];/* with TLS: a CA that did not */
};

/* Start on a free port (auth: require username/password). Waits until the
 * port accepts connections. 0 or -1 (with a message on stderr). */
int test_broker_start(struct test_broker *b, bool auth);
/* The same over TLS only (mqtts://; see ca_file). */
int test_broker_start_tls(struct test_broker *b, bool auth);
/* Stop (SIGTERM, wait). */
void test_broker_stop(struct test_broker *b);
/* Start again on the same port after a stop. */
int test_broker_restart(struct test_broker *b);
/* Stop and remove the directory. */
void test_broker_destroy(struct test_broker *b);

/* The broker's log so far (every packet it sent and received, every
 * connect and disconnect), NUL-terminated, to free; NULL if it cannot be
 * read. Tests tell a clean DISCONNECT from a dropped connection by it. */
char *test_broker_log(const struct test_broker *b);

#endif
