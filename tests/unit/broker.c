/*
 * Mosquitto as a test broker (see broker.h).
 *
 * Mosquitto started as root drops its privileges to the "mosquitto" user
 * and then cannot write its log into our 0700 directory, so as root the
 * configuration says "user root" (it only warns); as any other user the
 * option is left out and the broker runs as that user. Mosquitto sets
 * SO_REUSEADDR on its listeners, so a restart on the same port works at
 * once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "broker.h"

#define MOSQUITTO_BIN "/usr/sbin/mosquitto"
#define READY_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 3000

static void broker_msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int broker_path(const struct test_broker *b, char *out, size_t len, const char *name)
{
	int n = snprintf(out, len, "%s/%s", b->dir, name);

	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* Run argv[0] (searched in PATH) with its output in <dir>/tools.log; 0 if
 * it exited with status 0. */
static int broker_run_tool(const struct test_broker *b, char *const argv[])
{
	char log[320];
	pid_t pid;
	int status;

	if (broker_path(b, log, sizeof(log), "tools.log"))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "broker: '%s' failed (see %s)\n", argv[0], log);
	return -1;
}

static int broker_free_port(unsigned int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int rc = -1;

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
		*port = ntohs(sa.sin_port);
		rc = 0;
	}
	close(fd);
	return rc;
}

static bool broker_port_open(unsigned int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool open_;

	if (fd < 0)
		return false;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	open_ = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return open_;
}

static int broker_write_config(const struct test_broker *b)
{
	char path[320], log[320], file[320];
	FILE *f;

	if (broker_path(b, path, sizeof(path), "mosquitto.conf") ||
	    broker_path(b, log, sizeof(log), "mosquitto.log"))
		return -1;
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "listener %u 127.0.0.1\n", b->port);
	fprintf(f, "persistence false\n");
	fprintf(f, "log_dest file %s\n", log);
	fprintf(f, "log_type all\n");
	if (geteuid() == 0)
		fprintf(f, "user root\n");
	if (b->auth) {
		broker_path(b, file, sizeof(file), "passwd");
		fprintf(f, "allow_anonymous false\npassword_file %s\n", file);

	} else {
		fprintf(f, "allow_anonymous true\n");
	}
	if (b->tls) {
		fprintf(f, "cafile %s\n", b->ca_file);
		broker_path(b, file, sizeof(file), "server.crt");
		fprintf(f, "certfile %s\n", file);
		broker_path(b, file, sizeof(file), "server.key");
		fprintf(f, "keyfile %s\n", file);
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int broker_make_password_file(struct test_broker *b)
{
	char file[320];

	snprintf(b->username, sizeof(b->username), "meshgate");
	snprintf(b->password, sizeof(b->password), "pw-%ld-%ld", (long)getpid(), (long)time(NULL));
	if (broker_path(b, file, sizeof(file), "passwd"))
		return -1;
	char *const argv[] = { "mosquitto_passwd", "-b", "-c", file, b->username, b->password,
			       NULL };

	return broker_run_tool(b, argv);
}

/* A self-signed CA: <name>.key and <name>.crt in the directory. */
static int broker_make_ca(const struct test_broker *b, const char *name, const char *cn)
{
	char key[320], crt[320], subj[96];

	snprintf(key, sizeof(key), "%s/%s.key", b->dir, name);
	snprintf(crt, sizeof(crt), "%s/%s.crt", b->dir, name);
	snprintf(subj, sizeof(subj), "/CN=%s", cn);
	char *const argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
			       "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
			       "-out", crt, "-days", "2", "-subj", subj, NULL };

	return broker_run_tool(b, argv);
}

/* A server certificate for 127.0.0.1 and localhost signed by "ca". */
static int broker_make_server_cert(const struct test_broker *b)
{
	char key[320], csr[320], crt[320], ext[320], ca[320], cakey[320];
	FILE *f;

	if (broker_path(b, key, sizeof(key), "server.key") ||
	    broker_path(b, csr, sizeof(csr), "server.csr") ||
	    broker_path(b, crt, sizeof(crt), "server.crt") ||
	    broker_path(b, ext, sizeof(ext), "server.ext") ||
	    broker_path(b, ca, sizeof(ca), "ca.crt") ||
	    broker_path(b, cakey, sizeof(cakey), "ca.key"))
		return -1;
	f = fopen(ext, "w");
	if (!f)
		return -1;
	fprintf(f, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
	if (fclose(f))
		return -1;
	char *const req[] = { "openssl", "req", "-newkey", "ec", "-pkeyopt",
			      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr,
			      "-subj", "/CN=127.0.0.1", NULL };
	char *const sign[] = { "openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cakey,
			       "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext, NULL };

	if (broker_run_tool(b, req) || broker_run_tool(b, sign))
		return -1;
	return 0;
}

static int broker_make_certificates(struct test_broker *b)
{
	if (broker_make_ca(b, "ca", "meshgate test CA") ||
	    broker_make_ca(b, "wrong-ca", "some other CA") || broker_make_server_cert(b))
		return -1;
	broker_path(b, b->ca_file, sizeof(b->ca_file), "ca.crt");
	broker_path(b, b->wrong_ca_file, sizeof(b->wrong_ca_file), "wrong-ca.crt");
	return 0;
}

static void broker_print_file(const struct test_broker *b, const char *name)
{
	char path[320], line[512];
	FILE *f;

	if (broker_path(b, path, sizeof(path), name))
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "broker %s: %s", name, line);
	fclose(f);
}

static void broker_print_log(const struct test_broker *b)
{
	broker_print_file(b, "mosquitto.out");
	broker_print_file(b, "mosquitto.log");
}

static int broker_spawn(struct test_broker *b)
{
	char conf[320], out[320];
	pid_t parent = getpid();
	unsigned int waited;

	if (access(MOSQUITTO_BIN, X_OK) != 0) {
		fprintf(stderr, "broker: %s not found (install mosquitto, see scripts/deps.sh)\n",
			MOSQUITTO_BIN);
		return -1;
	}
	if (broker_path(b, conf, sizeof(conf), "mosquitto.conf") ||
	    broker_path(b, out, sizeof(out), "mosquitto.out"))
		return -1;
	b->pid = fork();
	if (b->pid < 0) {
		b->pid = 0;
		return -1;
	}
	if (b->pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);

		/* Never outlive a crashed test. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execl(MOSQUITTO_BIN, "mosquitto", "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (waited = 0; waited < READY_TIMEOUT_MS; waited += 10) {
		int status;

		if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
			fprintf(stderr, "broker: mosquitto exited at start\n");
			broker_print_log(b);
			b->pid = 0;
			return -1;
		}
		if (broker_port_open(b->port))
			return 0;
		broker_msleep(10);
	}
	fprintf(stderr, "broker: port %u not open after %u ms\n", b->port, READY_TIMEOUT_MS);
	broker_print_log(b);
	test_broker_stop(b);
	return -1;
}

static int broker_start(struct test_broker *b, bool auth, bool tls)
{
	memset(b, 0, sizeof(*b));
	b->auth = auth;
	b->tls = tls;
	snprintf(b->dir, sizeof(b->dir), "/tmp/meshgate-broker-XXXXXX");
	if (!mkdtemp(b->dir)) {
		fprintf(stderr, "broker: mkdtemp: %s\n", strerror(errno));
		b->dir[0] = '\0';
		return -1;
	}
	if (broker_free_port(&b->port)) {
		fprintf(stderr, "broker: no free port: %s\n", strerror(errno));
		return -1;
	}
	snprintf(b->url, sizeof(b->url), "%s://127.0.0.1:%u", tls ? "mqtts" : "mqtt", b->port);
	if (auth && broker_make_password_file(b))
		return -1;
	if (tls && broker_make_certificates(b))
		return -1;
	if (broker_write_config(b)) {
		fprintf(stderr, "broker: cannot write the configuration in %s\n", b->dir);
		return -1;
	}
	return broker_spawn(b);
}

int test_broker_start(struct test_broker *b, bool auth)
{
	return broker_start(b, auth, false);
}

int test_broker_start_tls(struct test_broker *b, bool auth)
{
	return broker_start(b, auth, true);
}

void test_broker_stop(struct test_broker *b)
{
	unsigned int waited = 0;
	int status;

	if (b->pid <= 0)
		return;
	kill(b->pid, SIGTERM);
	while (waitpid(b->pid, &status, WNOHANG) == 0) {
		if (waited >= STOP_TIMEOUT_MS) {
			kill(b->pid, SIGKILL);
			waitpid(b->pid, &status, 0);
			break;
		}
		broker_msleep(5);
		waited += 5;
	}
	b->pid = 0;
}

int test_broker_restart(struct test_broker *b)
{
	test_broker_stop(b);
	return broker_spawn(b);
}

void test_broker_destroy(struct test_broker *b)
{
	struct dirent *e;
	DIR *d;

	test_broker_stop(b);
	if (!b->dir[0])
		return;
	d = opendir(b->dir);
	if (d) {
		while ((e = readdir(d))) {
			char path[600];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", b->dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(b->dir);
	b->dir[0] = '\0';
}

char *test_broker_log(const struct test_broker *b)
{
	char path[320];
	char *text = NULL;
	size_t len = 0, cap = 0;
	FILE *f;

	if (broker_path(b, path, sizeof(path), "mosquitto.log"))
		return NULL;
	f = fopen(path, "r");
	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *grown = realloc(text, cap + 65536);

			if (!grown) {
				free(text);
				fclose(f);
				return NULL;
			}
			text = grown;
			cap += 65536;
		}
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	text[len] = '\0';
	return text;
}
