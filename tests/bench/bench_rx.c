/*
 * Receive path benchmark: how close is mesh_stack_net_receive() to the
 * bare AES work a network PDU needs?
 *
 *   full  network PDUs through the whole stack: deobfuscation, NetMIC,
 *         message cache, lower transport, RPL, upper transport decryption
 *         and dispatch to a handler that only counts;
 *   raw   per PDU the same AES operations straight on OpenSSL EVP
 *         contexts keyed in advance: one AES-128-ECB block (PECB), one
 *         AES-CCM decryption of DST || TransportPDU and one of the access
 *         payload, both with a 4-octet MIC and the same lengths.
 *
 * The PDUs are unsegmented AppKey access messages with the largest
 * unsegmented payload (11 octets, a 29-octet network PDU), from many
 * sources with rising SEQs, all encoded before timing so that neither the
 * message cache nor the RPL drops any; every round checks that all of them
 * reached the handler. The stack is rebuilt between rounds, outside the
 * timed region. Best of several rounds after a warm-up.
 *
 *   bench_rx [--quick] [--pdus N] [--rounds R]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "mesh/bytes.h"
#include "mesh/crypto.h"
#include "mesh/err.h"
#include "mesh/stack.h"

#define OWN_ADDR 0x7000
#define SOURCES 100           /* distinct senders, within the RPL's 128 */
#define PAYLOAD_LEN 11        /* largest unsegmented access payload */
#define UPPER_LEN (PAYLOAD_LEN + 4)
#define NET_PLAIN_LEN (2 + 1 + UPPER_LEN) /* DST || TransportPDU */
#define IV_INDEX 0x12345678
#define APP_IDX 0x001
#define OP_BENCH MESH_OP_2(0x82, 0x03)
#define DEFAULT_PDUS 200000
#define QUICK_PDUS 2000
#define DEFAULT_ROUNDS 5

static const uint8_t net_key[MESH_KEY_LEN] = {
	0x7d, 0xd7, 0x36, 0x4c, 0xd8, 0x42, 0xad, 0x18,
	0xc1, 0x7c, 0x2b, 0x82, 0x0c, 0x84, 0xc3, 0xd6,
};
static const uint8_t app_key[MESH_KEY_LEN] = {
	0x63, 0x96, 0x47, 0x71, 0x73, 0x4f, 0xbd, 0x76,
	0xe3, 0xb4, 0x05, 0x19, 0xd1, 0xd9, 0x4a, 0x48,
};

/* One pre-encoded PDU and the inputs of its raw AES operations. */
struct bench_pdu {
	uint8_t pdu[MESH_NET_MAX_PDU];
	uint8_t len;
	uint8_t pecb_in[16];
	uint8_t net_nonce[MESH_NONCE_LEN];
	uint8_t net_ct[NET_PLAIN_LEN + 4];
	uint8_t app_nonce[MESH_NONCE_LEN];
	uint8_t app_ct[UPPER_LEN];
};

static struct bench_pdu *pdus;
static struct bench_pdu warm;
static size_t n_pdus;
static struct mesh_timers timers;
static struct mesh_stack stack;
static struct mesh_model model;
static unsigned long delivered;

/* ---- setup ------------------------------------------------------------- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int count_handler(struct mesh_model *m, const struct mesh_access_msg *msg)
{
	(void)m;
	(void)msg;
	delivered++;
	return 0;
}

static const struct mesh_access_op bench_ops[] = {
	{ OP_BENCH, 0, 0, count_handler },
	{ 0, 0, 0, NULL },
};

static int drop_send(void *ctx, const uint8_t *pdu, size_t len)
{
	(void)ctx;
	(void)pdu;
	(void)len;
	return 0;
}

static const struct mesh_stack_ops bench_stack_ops = {
	.bearer_send = drop_send,
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_rx: %s: %s\n", what, mesh_strerror(err));
	exit(1);
}

/* Build src's message number seq the way a sender's stack would. */
static void encode_one(struct mesh_net_cred *cred, struct mesh_upper_keyring *kr,
		       uint16_t src, uint32_t seq, struct bench_pdu *b)
{
	uint8_t payload[PAYLOAD_LEN], upper[UPPER_LEN], lt[MESH_NET_MAX_TRANSPORT];
	struct mesh_transport_msg msg = {
		.src = src, .dst = OWN_ADDR, .seq = seq, .iv_index = IV_INDEX,
	};
	struct mesh_upper_tx utx = {
		.payload = payload, .len = sizeof(payload), .key = { .app_idx = APP_IDX },
	};
	struct mesh_lt_pdu p = { 0 };
	struct mesh_net_tx tx = {
		.ttl = 5, .seq = seq, .src = src, .dst = OWN_ADDR, .transport = lt,
	};
	size_t len;
	int err;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(seq + i);
	mesh_access_opcode_encode(OP_BENCH, payload, sizeof(payload));
	err = mesh_upper_encrypt(kr, &utx, &msg, upper, sizeof(upper));
	if (err || msg.len != UPPER_LEN)
		die("upper encrypt", err);
	p.akf = msg.akf;
	p.aid = msg.aid;
	p.payload = msg.pdu;
	p.payload_len = msg.len;
	err = mesh_lt_encode(&p, lt, sizeof(lt));
	if (err < 0)
		die("lower encode", err);
	tx.transport_len = (size_t)err;
	err = mesh_net_pdu_encode(cred, IV_INDEX, &tx, b->pdu, &len);
	if (err)
		die("net encode", err);
	b->len = (uint8_t)len;

	/* The raw side's inputs: what the receiver computes on the way. */
	memset(b->pecb_in, 0, 5);
	mesh_put_be32(b->pecb_in + 5, IV_INDEX);
	memcpy(b->pecb_in + 9, b->pdu + 7, 7);
	mesh_nonce_network(b->net_nonce, tx.ttl, seq, src, IV_INDEX);
	memcpy(b->net_ct, b->pdu + 7, sizeof(b->net_ct));
	mesh_upper_nonce(&msg, b->app_nonce);
	memcpy(b->app_ct, upper, sizeof(b->app_ct));
}

static void encode_all(void)
{
	struct mesh_net_cred cred = { 0 };
	struct mesh_app_keys apps;
	struct mesh_upper_keyring kr = { .app = &apps };
	const uint8_t p0 = 0x00;
	int err;

	err = mesh_net_cred_derive(&cred, net_key, &p0, 1);
	if (err)
		die("k2", err);
	mesh_app_keys_init(&apps);
	err = mesh_app_keys_add(&apps, APP_IDX, 0, app_key);
	if (err)
		die("app key", err);
	/* Round-robin over the sources; each one's SEQ rises by one a lap. */
	for (size_t i = 0; i < n_pdus; i++)
		encode_one(&cred, &kr, (uint16_t)(1 + i % SOURCES), (uint32_t)(1 + i / SOURCES),
			   &pdus[i]);
	/* Warms a fresh stack's cipher contexts from a source used nowhere else. */
	encode_one(&cred, &kr, SOURCES + 1, 1, &warm);
	mesh_app_keys_clear(&apps);
	mesh_net_cred_clear(&cred);
}

/* ---- full path --------------------------------------------------------- */

static void stack_build(void)
{
	struct mesh_stack_config cfg;
	int err;

	mesh_stack_config_default(&cfg);
	cfg.iv_index = IV_INDEX;
	mesh_timers_init(&timers, 0);
	err = mesh_stack_init(&stack, &timers, &cfg, &bench_stack_ops, NULL);
	if (!err)
		err = mesh_stack_set_address(&stack, OWN_ADDR, 1);
	if (!err)
		err = mesh_stack_net_key_add(&stack, 0, net_key);
	if (!err)
		err = mesh_stack_app_key_add(&stack, APP_IDX, 0, app_key);
	model = (struct mesh_model){ .id = mesh_model_id_sig(0x1000), .ops = bench_ops };
	if (!err)
		err = mesh_access_model_add(&stack.access, 0, &model);
	if (!err)
		err = mesh_model_bind(&model, APP_IDX);
	if (!err)
		err = mesh_stack_net_receive(&stack, warm.pdu, warm.len);
	if (err)
		die("stack setup", err);
}

/* One timed pass; returns ns, or exits if a PDU was not delivered. */
static double full_round(void)
{
	double t0, t1;
	int err = 0;

	stack_build();
	delivered = 0;
	t0 = now_ns();
	for (size_t i = 0; i < n_pdus; i++)
		err |= mesh_stack_net_receive(&stack, pdus[i].pdu, pdus[i].len);
	t1 = now_ns();
	mesh_stack_cleanup(&stack);
	if (err || delivered != n_pdus) {
		fprintf(stderr, "bench_rx: only %lu of %zu PDUs delivered\n", delivered, n_pdus);
		exit(1);
	}
	return t1 - t0;
}

/* ---- raw AES ------------------------------------------------------------ */

struct raw_ctx {
	EVP_CIPHER_CTX *ecb;
	EVP_CIPHER_CTX *net_ccm;
	EVP_CIPHER_CTX *app_ccm;
};

static EVP_CIPHER_CTX *raw_ccm_ctx(const uint8_t key[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx || EVP_DecryptInit_ex2(ctx, EVP_aes_128_ccm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, MESH_NONCE_LEN, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 4, NULL) != 1 ||
	    EVP_DecryptInit_ex2(ctx, NULL, key, NULL, NULL) != 1)
		die("EVP CCM setup", MESH_ERR_CRYPTO);
	return ctx;
}

static void raw_setup(struct raw_ctx *r)
{
	uint8_t enc[16], privacy[16], nid;
	const uint8_t p0 = 0x00;

	if (mesh_k2(net_key, &p0, 1, &nid, enc, privacy))
		die("k2", MESH_ERR_CRYPTO);
	r->ecb = EVP_CIPHER_CTX_new();
	if (!r->ecb || EVP_EncryptInit_ex2(r->ecb, EVP_aes_128_ecb(), privacy, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(r->ecb, 0) != 1)
		die("EVP ECB setup", MESH_ERR_CRYPTO);
	r->net_ccm = raw_ccm_ctx(enc);
	r->app_ccm = raw_ccm_ctx(app_key);
}

static void raw_free(struct raw_ctx *r)
{
	EVP_CIPHER_CTX_free(r->ecb);
	EVP_CIPHER_CTX_free(r->net_ccm);
	EVP_CIPHER_CTX_free(r->app_ccm);
}

/* CCM decryption of len octets followed by a 4-octet MIC; 1 if authentic. */
static int raw_ccm(EVP_CIPHER_CTX *ctx, const uint8_t *nonce, const uint8_t *ct, int len,
		   uint8_t *out)
{
	int outl;

	return EVP_DecryptInit_ex2(ctx, NULL, NULL, nonce, NULL) == 1 &&
	       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 4, (void *)(ct + len)) == 1 &&
	       EVP_DecryptUpdate(ctx, NULL, &outl, NULL, len) == 1 &&
	       EVP_DecryptUpdate(ctx, out, &outl, ct, len) == 1;
}

static size_t raw_pass(struct raw_ctx *r, size_t n)
{
	uint8_t pecb[16], out[NET_PLAIN_LEN];
	size_t ok = 0;
	int outl;

	for (size_t i = 0; i < n; i++) {
		const struct bench_pdu *b = &pdus[i];

		ok += EVP_EncryptUpdate(r->ecb, pecb, &outl, b->pecb_in, 16) == 1 &&
		      raw_ccm(r->net_ccm, b->net_nonce, b->net_ct, NET_PLAIN_LEN, out) &&
		      raw_ccm(r->app_ccm, b->app_nonce, b->app_ct, PAYLOAD_LEN, out);
	}
	return ok;
}

static double raw_round(struct raw_ctx *r)
{
	double t0, t1;
	size_t ok;

	t0 = now_ns();
	ok = raw_pass(r, n_pdus);
	t1 = now_ns();
	if (ok != n_pdus) {
		fprintf(stderr, "bench_rx: raw AES authenticated %zu of %zu\n", ok, n_pdus);
		exit(1);
	}
	return t1 - t0;
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: bench_rx [--quick] [--pdus N] [--rounds R]\n");
	exit(2);
}

static unsigned long parse_count(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || v == 0 || v > 50000000)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	unsigned long rounds = DEFAULT_ROUNDS;
	double best_full = 0, best_raw = 0, full_ns, raw_ns;
	struct raw_ctx raw;

	n_pdus = DEFAULT_PDUS;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			n_pdus = QUICK_PDUS;
			rounds = 3;
		} else if (!strcmp(argv[i], "--pdus") && i + 1 < argc) {
			n_pdus = parse_count(argv[++i]);
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = parse_count(argv[++i]);
		} else {
			usage();
		}
	}
	/* SEQ per source must stay within 24 bits. */
	if (n_pdus / SOURCES >= MESH_SEQ_MAX)
		usage();
	pdus = calloc(n_pdus, sizeof(*pdus));
	if (!pdus)
		die("PDU buffer", MESH_ERR_NOMEM);
	encode_all();
	raw_setup(&raw);

	/* Warm-up: caches, branch predictors, CPU clock. */
	full_round();
	raw_pass(&raw, n_pdus);
	for (unsigned long r = 0; r < rounds; r++) {
		full_ns = full_round();
		raw_ns = raw_round(&raw);
		if (!r || full_ns < best_full)
			best_full = full_ns;
		if (!r || raw_ns < best_raw)
			best_raw = raw_ns;
	}

	printf("bench_rx: %zu PDUs per round (%u-octet network PDUs, %d-octet access payload, "
	       "%d sources), best of %lu rounds\n",
	       n_pdus, (unsigned int)pdus[0].len, PAYLOAD_LEN, SOURCES, rounds);
	printf("full receive path  %10.0f PDUs/s  %8.1f ns/PDU  (%zu/%zu delivered)\n",
	       n_pdus / best_full * 1e9, best_full / n_pdus, n_pdus, n_pdus);
	printf("raw AES (EVP)      %10.0f PDUs/s  %8.1f ns/PDU  (1 ECB + 2 CCM-4 per PDU)\n",
	       n_pdus / best_raw * 1e9, best_raw / n_pdus);
	printf("ratio full/raw: %.2f (goal <= 2.00)\n", best_full / best_raw);

	raw_free(&raw);
	free(pdus);
	mesh_crypto_thread_cleanup();
	return 0;
}
