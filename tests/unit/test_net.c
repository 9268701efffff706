/*
 * Network layer against the specification's sample data (8.3.1-8.3.24 and
 * the proxy configuration sample): credential derivation, byte-exact
 * encoding, decoding, the receive path, rejection reasons and relaying.
 * Every expected value is read from the shared JSON.
 */
#include <string.h>

#include "mesh/addr.h"
#include "mesh/bytes.h"
#include "mesh/err.h"
#include "mesh/net.h"
#include "vectors.h"

/* Credentials of a message: master, or friendship from its P fields. */
static void msg_cred(json_t *m, struct mesh_net_cred *cred, uint8_t net_key[16])
{
	uint8_t p[16], exp_p[16], key[16];
	size_t p_len;

	vec_hex(m, "netkey", net_key, 16);
	if (vec_has(m, "friendship")) {
		p_len = mesh_friendship_p(p, (uint16_t)vec_int(m, "friendship.lpn_address"),
					  (uint16_t)vec_int(m, "friendship.friend_address"),
					  (uint16_t)vec_int(m, "friendship.lpn_counter"),
					  (uint16_t)vec_int(m, "friendship.friend_counter"));
		assert_int_equal(vec_hex(m, "friendship.k2_p", exp_p, sizeof(exp_p)), p_len);
		assert_bytes_equal(p, exp_p, p_len);
	} else {
		p[0] = 0x00;
		p_len = 1;
	}
	memset(cred, 0, sizeof(*cred));
	assert_int_equal(mesh_net_cred_derive(cred, net_key, p, p_len), 0);
	assert_int_equal(cred->nid, vec_int(m, "nid"));
	vec_hex(m, "encryption_key", key, 16);
	assert_bytes_equal(cred->enc.key, key, 16);
	vec_hex(m, "privacy_key", key, 16);
	assert_bytes_equal(cred->privacy.key, key, 16);
}

static void test_k2_entries(void **state)
{
	json_t *arr = vec_get(vectors_root(), "k2");
	int friendship = 0;
	size_t i;
	json_t *e;

	(void)state;
	assert_true(json_array_size(arr) >= 4);
	/* The P of friendship credentials is checked in test_crypto. */
	json_array_foreach(arr, i, e) {
		struct mesh_net_cred cred = { 0 };
		uint8_t net_key[16], p[16], key[16];
		size_t p_len;

		vec_hex(e, "netkey", net_key, 16);
		p_len = vec_hex(e, "p", p, sizeof(p));
		friendship += vec_has(e, "lpn_address");
		assert_int_equal(mesh_net_cred_derive(&cred, net_key, p, p_len), 0);
		assert_int_equal(cred.nid, vec_int(e, "nid"));
		vec_hex(e, "encryption_key", key, 16);
		assert_bytes_equal(cred.enc.key, key, 16);
		vec_hex(e, "privacy_key", key, 16);
		assert_bytes_equal(cred.privacy.key, key, 16);
		mesh_net_cred_clear(&cred);
	}
	assert_true(friendship >= 2);
}

/* The intermediate values of one sample: nonce, MIC split, obfuscation. */
static void check_intermediates(json_t *np, struct mesh_net_cred *cred, uint32_t iv_index,
				const uint8_t *pdu, size_t len, uint8_t ctl_ttl,
				uint16_t src, uint32_t seq)
{
	uint8_t exp[64], block[16] = { 0 }, pecb[16], nonce[MESH_NONCE_LEN];
	size_t mic_len = (size_t)vec_int(np, "netmic_size_bits") / 8, n;

	assert_int_equal(mic_len, ctl_ttl & 0x80 ? 8 : 4);
	vec_hex(np, "network_nonce", exp, sizeof(exp));
	mesh_nonce_network(nonce, ctl_ttl, seq, src, iv_index);
	assert_bytes_equal(nonce, exp, MESH_NONCE_LEN);
	vec_hex(np, "ivi_nid", exp, 1);
	assert_int_equal(pdu[0], exp[0]);
	n = vec_hex(np, "enc_dst_transport_pdu", exp, sizeof(exp));
	assert_int_equal(n, len - 7 - mic_len);
	assert_bytes_equal(pdu + 7, exp, n);
	assert_int_equal(vec_hex(np, "netmic", exp, sizeof(exp)), mic_len);
	assert_bytes_equal(pdu + len - mic_len, exp, mic_len);

	mesh_put_be32(block + 5, iv_index);
	memcpy(block + 9, pdu + 7, 7);
	vec_hex(np, "privacy_plaintext", exp, sizeof(exp));
	assert_bytes_equal(block, exp, 16);
	assert_int_equal(mesh_aes_ecb(&cred->privacy, block, pecb), 0);
	n = vec_hex(np, "pecb", exp, sizeof(exp));
	assert_true(n >= 6);
	assert_bytes_equal(pecb, exp, n);
	vec_hex(np, "ctl_ttl_seq_src", exp, sizeof(exp));
	for (int i = 0; i < 6; i++)
		exp[i] ^= pecb[i];
	assert_bytes_equal(pdu + 1, exp, 6);
}

static void check_rx(json_t *m, json_t *np, const struct mesh_net_rx *rx,
		     const uint8_t *transport, size_t transport_len)
{
	assert_int_equal(rx->iv_index, vec_int(m, "iv_index"));
	assert_int_equal(rx->ivi, vec_int(m, "iv_index") & 1);
	assert_int_equal(rx->nid, vec_int(m, "nid"));
	assert_int_equal(rx->ctl, vec_int(m, "ctl"));
	assert_int_equal(rx->ttl, vec_int(m, "ttl"));
	assert_int_equal(rx->seq, vec_int(np, "seq"));
	assert_int_equal(rx->src, vec_int(m, "src"));
	assert_int_equal(rx->dst, vec_int(m, "dst"));
	assert_int_equal(rx->transport_len, transport_len);
	assert_bytes_equal(rx->transport, transport, transport_len);
}

/* Every network PDU of every 8.3 message, both directions. */
static void test_messages(void **state)
{
	json_t *msgs = vec_get(vectors_root(), "messages");
	size_t i, j, pdus = 0;
	json_t *m, *np;

	(void)state;
	assert_int_equal(json_array_size(msgs), 24);
	json_array_foreach(msgs, i, m) {
		struct mesh_net_cred cred;
		uint8_t net_key[16];
		uint32_t iv_index = (uint32_t)vec_int(m, "iv_index");

		msg_cred(m, &cred, net_key);
		assert_true(json_array_size(vec_get(m, "network_pdus")) >= 1);
		json_array_foreach(vec_get(m, "network_pdus"), j, np) {
			uint8_t transport[32], exp[64], out[MESH_NET_MAX_PDU];
			size_t tlen = vec_hex(np, "lower_transport_pdu", transport, sizeof(transport));
			size_t exp_len = vec_hex(np, "network_pdu", exp, sizeof(exp));
			struct mesh_net_tx tx = {
				.ctl = (uint8_t)vec_int(m, "ctl"),
				.ttl = (uint8_t)vec_int(m, "ttl"),
				.seq = (uint32_t)vec_int(np, "seq"),
				.src = (uint16_t)vec_int(m, "src"),
				.dst = (uint16_t)vec_int(m, "dst"),
				.transport = transport,
				.transport_len = tlen,
			};
			struct mesh_net_rx rx;
			size_t len = 0;

			assert_int_equal(mesh_net_pdu_encode(&cred, iv_index, &tx, out, &len), 0);
			assert_int_equal(len, exp_len);
			assert_bytes_equal(out, exp, len);
			check_intermediates(np, &cred, iv_index, out, len,
					    (uint8_t)(tx.ctl << 7 | tx.ttl), tx.src, tx.seq);

			memset(&rx, 0xa5, sizeof(rx));
			assert_int_equal(mesh_net_pdu_decode(&cred, iv_index, exp, exp_len, &rx), 0);
			check_rx(m, np, &rx, transport, tlen);
			pdus++;
		}
		mesh_net_cred_clear(&cred);
	}
	assert_true(pdus >= 26);
}

/* Master-credential samples through the whole receive path. */
static void test_receive_samples(void **state)
{
	json_t *msgs = vec_get(vectors_root(), "messages");
	int received = 0;
	size_t i, j;
	json_t *m, *np;

	(void)state;
	json_array_foreach(msgs, i, m) {
		struct mesh_net net;
		uint8_t net_key[16];

		if (vec_has(m, "friendship"))
			continue;
		vec_hex(m, "netkey", net_key, 16);
		mesh_net_init(&net, (uint32_t)vec_int(m, "iv_index"), false, 0, 0x7000, 1);
		assert_int_equal(mesh_subnet_add(&net.subnets, 0x123, net_key), 0);
		json_array_foreach(vec_get(m, "network_pdus"), j, np) {
			uint8_t pdu[64], transport[32];
			size_t len = vec_hex(np, "network_pdu", pdu, sizeof(pdu));
			size_t tlen = vec_hex(np, "lower_transport_pdu", transport, sizeof(transport));
			struct mesh_net_rx rx;

			assert_int_equal(mesh_net_receive(&net, pdu, len, &rx), 0);
			check_rx(m, np, &rx, transport, tlen);
			assert_int_equal(rx.net_idx, 0x123);
			assert_false(rx.new_key);
			assert_int_equal(mesh_net_receive(&net, pdu, len, &rx), MESH_ERR_CACHED);
			received++;
		}
		mesh_net_clear(&net);
	}
	assert_true(received >= 15);
}

/* IV index n+1 in progress still receives n PDUs by IVI; Normal at n+1 too. */
static void test_receive_iv_select(void **state)
{
	json_t *m = vec_get(vectors_root(), "messages.[0]");
	uint32_t iv_index = (uint32_t)vec_int(m, "iv_index");
	uint8_t net_key[16], pdu[64];
	size_t len = vec_hex(m, "network_pdus.[0].network_pdu", pdu, sizeof(pdu));
	struct mesh_net net;
	struct mesh_net_rx rx;

	(void)state;
	vec_hex(m, "netkey", net_key, 16);
	mesh_net_init(&net, iv_index + 1, true, 0, 0x7000, 1);
	assert_int_equal(mesh_subnet_add(&net.subnets, 0, net_key), 0);
	assert_int_equal(mesh_net_receive(&net, pdu, len, &rx), 0);
	assert_int_equal(rx.iv_index, iv_index);
	mesh_net_clear(&net);

	/* two ahead: the IVI bit now names a different IV index -> NetMIC */
	mesh_net_init(&net, iv_index + 2, false, 0, 0x7000, 1);
	assert_int_equal(mesh_subnet_add(&net.subnets, 0, net_key), 0);
	assert_int_equal(mesh_net_receive(&net, pdu, len, &rx), MESH_ERR_NETMIC);
	mesh_net_clear(&net);
}

static void test_proxy_configuration(void **state)
{
	json_t *arr = vec_get(vectors_root(), "proxy_configuration");
	size_t i;
	json_t *e;

	(void)state;
	assert_true(json_array_size(arr) >= 1);
	json_array_foreach(arr, i, e) {
		static const uint8_t master_p[] = { 0x00 };
		struct mesh_net_cred cred = { 0 };
		uint8_t net_key[16], transport[16], exp[64], out[MESH_NET_MAX_PDU];
		uint8_t nonce[MESH_NONCE_LEN], block[16] = { 0 }, pecb[16];
		uint32_t iv_index = (uint32_t)vec_int(e, "iv_index");
		size_t tlen = vec_hex(e, "proxy_config_pdu", transport, sizeof(transport));
		struct mesh_net_tx tx = {
			.ctl = (uint8_t)vec_int(e, "ctl"),
			.ttl = (uint8_t)vec_int(e, "ttl"),
			.seq = (uint32_t)vec_int(e, "seq"),
			.src = (uint16_t)vec_int(e, "src"),
			.dst = (uint16_t)vec_int(e, "dst"),
			.transport = transport,
			.transport_len = tlen,
		};
		struct mesh_net_rx rx;
		size_t len = 0, exp_len;

		vec_hex(e, "netkey", net_key, 16);
		assert_int_equal(mesh_net_cred_derive(&cred, net_key, master_p, 1), 0);
		assert_int_equal(cred.nid, vec_int(e, "nid"));
		vec_hex(e, "encryption_key", exp, 16);
		assert_bytes_equal(cred.enc.key, exp, 16);
		vec_hex(e, "privacy_key", exp, 16);
		assert_bytes_equal(cred.privacy.key, exp, 16);

		mesh_nonce_proxy(nonce, tx.seq, tx.src, iv_index);
		vec_hex(e, "proxy_nonce", exp, sizeof(exp));
		assert_bytes_equal(nonce, exp, MESH_NONCE_LEN);

		assert_int_equal(mesh_net_proxy_encode(&cred, iv_index, &tx, out, &len), 0);
		exp_len = vec_hex(e, "network_pdu", exp, sizeof(exp));
		assert_int_equal(len, exp_len);
		assert_bytes_equal(out, exp, len);
		assert_int_equal(vec_hex(e, "netmic", exp, sizeof(exp)), 8);
		assert_bytes_equal(out + len - 8, exp, 8);
		mesh_put_be32(block + 5, iv_index);
		memcpy(block + 9, out + 7, 7);
		vec_hex(e, "privacy_plaintext", exp, sizeof(exp));
		assert_bytes_equal(block, exp, 16);
		assert_int_equal(mesh_aes_ecb(&cred.privacy, block, pecb), 0);
		assert_int_equal(vec_hex(e, "pecb", exp, sizeof(exp)), 16);
		assert_bytes_equal(pecb, exp, 16);

		exp_len = vec_hex(e, "network_pdu", exp, sizeof(exp));
		assert_int_equal(mesh_net_proxy_decode(&cred, iv_index, exp, exp_len, &rx), 0);
		assert_int_equal(rx.ctl, tx.ctl);
		assert_int_equal(rx.ttl, tx.ttl);
		assert_int_equal(rx.seq, tx.seq);
		assert_int_equal(rx.src, tx.src);
		assert_int_equal(rx.dst, MESH_ADDR_UNASSIGNED);
		assert_int_equal(rx.transport_len, tlen);
		assert_bytes_equal(rx.transport, transport, tlen);
		/* the network nonce does not authenticate it */
		assert_int_equal(mesh_net_pdu_decode(&cred, iv_index, exp, exp_len, &rx),
				 MESH_ERR_NETMIC);
		mesh_net_cred_clear(&cred);
	}
}

/* ---- negative cases ----------------------------------------------------- */

struct sample {
	struct mesh_net_cred cred;
	uint32_t iv_index;
	uint8_t pdu[64];
	size_t len;
};

static void load_sample(struct sample *s, const char *msg)
{
	json_t *m = vec_get(vectors_root(), msg);
	uint8_t net_key[16];

	msg_cred(m, &s->cred, net_key);
	s->iv_index = (uint32_t)vec_int(m, "iv_index");
	s->len = vec_hex(m, "network_pdus.[0].network_pdu", s->pdu, sizeof(s->pdu));
}

static void test_bit_flips(void **state)
{
	const char *msgs[] = { "messages.[0]", "messages.[17]" }; /* CTL 1, CTL 0 */

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct sample s;
		struct mesh_net_rx rx;

		load_sample(&s, msgs[k]);
		/* octet 0 carries IVI/NID in clear; every other bit is covered
		 * by the NetMIC, directly or through the nonce */
		for (size_t i = 1; i < s.len; i++) {
			for (int b = 0; b < 8; b++) {
				uint8_t copy[64];

				memcpy(copy, s.pdu, s.len);
				copy[i] ^= (uint8_t)(1 << b);
				assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, copy,
								     s.len, &rx),
						 MESH_ERR_NETMIC);
			}
		}
		s.pdu[0] ^= 0x01;
		assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, s.pdu, s.len, &rx),
				 MESH_ERR_UNKNOWN_NID);
		s.pdu[0] ^= 0x81;
		assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, s.pdu, s.len, &rx),
				 MESH_ERR_IV_INDEX);
		mesh_net_cred_clear(&s.cred);
	}
}

static void test_lengths(void **state)
{
	struct sample s;
	struct mesh_net_rx rx;
	uint8_t big[MESH_NET_MAX_PDU + 1] = { 0 };

	(void)state;
	load_sample(&s, "messages.[0]"); /* CTL 1, 28 octets */
	assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, s.pdu, 13, &rx),
			 MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, s.pdu, 0, &rx),
			 MESH_ERR_TRUNCATED);
	/* 17 octets is enough for CTL 0 but not for a 64-bit NetMIC */
	assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, s.pdu, 17, &rx),
			 MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, s.pdu, 18, &rx),
			 MESH_ERR_NETMIC);
	memcpy(big, s.pdu, s.len);
	assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, big, sizeof(big), &rx),
			 MESH_ERR_OVERSIZED);
	mesh_net_cred_clear(&s.cred);
}

static void test_encode_rejects(void **state)
{
	struct sample s;
	uint8_t transport[MESH_NET_MAX_TRANSPORT + 1] = { 0 }, out[MESH_NET_MAX_PDU];
	struct mesh_net_tx tx = { .ctl = 0, .ttl = 3, .seq = 1, .src = 1, .dst = 2,
				  .transport = transport };
	size_t len;

	(void)state;
	load_sample(&s, "messages.[0]");
	tx.transport_len = MESH_NET_MAX_TRANSPORT;
	assert_int_equal(mesh_net_pdu_encode(&s.cred, s.iv_index, &tx, out, &len), 0);
	assert_int_equal(len, MESH_NET_MAX_PDU);
	tx.transport_len = MESH_NET_MAX_TRANSPORT + 1;
	assert_int_equal(mesh_net_pdu_encode(&s.cred, s.iv_index, &tx, out, &len),
			 MESH_ERR_OVERSIZED);
	tx.ctl = 1;
	tx.transport_len = MESH_NET_MAX_TRANSPORT_CTL;
	assert_int_equal(mesh_net_pdu_encode(&s.cred, s.iv_index, &tx, out, &len), 0);
	assert_int_equal(len, MESH_NET_MAX_PDU);
	tx.transport_len = MESH_NET_MAX_TRANSPORT_CTL + 1;
	assert_int_equal(mesh_net_pdu_encode(&s.cred, s.iv_index, &tx, out, &len),
			 MESH_ERR_OVERSIZED);
	tx.transport_len = 0;
	assert_int_equal(mesh_net_pdu_encode(&s.cred, s.iv_index, &tx, out, &len),
			 MESH_ERR_TRUNCATED);
	tx.transport_len = 1;
	tx.src = 0xc000;
	assert_int_equal(mesh_net_pdu_encode(&s.cred, s.iv_index, &tx, out, &len),
			 MESH_ERR_SRC);
	tx.src = 1;
	tx.dst = 0;
	assert_int_equal(mesh_net_pdu_encode(&s.cred, s.iv_index, &tx, out, &len),
			 MESH_ERR_DST);
	tx.dst = 2;
	tx.ttl = 128;
	assert_int_equal(mesh_net_pdu_encode(&s.cred, s.iv_index, &tx, out, &len),
			 MESH_ERR_INVAL);
	tx.ttl = 0;
	tx.seq = MESH_SEQ_MAX + 1;
	assert_int_equal(mesh_net_pdu_encode(&s.cred, s.iv_index, &tx, out, &len),
			 MESH_ERR_INVAL);
	mesh_net_cred_clear(&s.cred);
}

/*
 * Build a PDU the encoder refuses to make (bad SRC/DST) with the primitives
 * directly, to see that decode authenticates and then names the field.
 */
static size_t raw_encode(struct mesh_net_cred *cred, uint32_t iv_index, uint16_t src,
			 uint16_t dst, uint8_t *out)
{
	uint8_t nonce[MESH_NONCE_LEN];

	out[0] = (uint8_t)((iv_index & 1) << 7 | cred->nid);
	out[1] = 0x05; /* CTL 0, TTL 5 */
	mesh_put_be24(out + 2, 0x000102);
	mesh_put_be16(out + 5, src);
	mesh_put_be16(out + 7, dst);
	memset(out + 9, 0x42, 5);
	mesh_nonce_network(nonce, out[1], 0x000102, src, iv_index);
	assert_int_equal(mesh_aes_ccm_encrypt(&cred->enc, nonce, NULL, 0, out + 7, 7, out + 7, 4),
			 0);
	assert_int_equal(mesh_net_obfuscate(&cred->privacy, iv_index, out, 18), 0);
	return 18;
}

static void test_bad_addresses(void **state)
{
	struct sample s;
	struct mesh_net_rx rx;
	uint8_t pdu[MESH_NET_MAX_PDU];
	size_t len;

	(void)state;
	load_sample(&s, "messages.[17]");
	len = raw_encode(&s.cred, s.iv_index, 0x0001, 0x0002, pdu);
	assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, pdu, len, &rx), 0);
	len = raw_encode(&s.cred, s.iv_index, 0xc001, 0x0002, pdu);
	assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, pdu, len, &rx), MESH_ERR_SRC);
	len = raw_encode(&s.cred, s.iv_index, 0x0000, 0x0002, pdu);
	assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, pdu, len, &rx), MESH_ERR_SRC);
	len = raw_encode(&s.cred, s.iv_index, 0x0001, 0x0000, pdu);
	assert_int_equal(mesh_net_pdu_decode(&s.cred, s.iv_index, pdu, len, &rx), MESH_ERR_DST);
	mesh_net_cred_clear(&s.cred);
}

static void test_receive_unknown_nid(void **state)
{
	json_t *m = vec_get(vectors_root(), "messages.[17]");
	uint8_t net_key[16], pdu[64];
	size_t len = vec_hex(m, "network_pdus.[0].network_pdu", pdu, sizeof(pdu));
	struct mesh_net net;
	struct mesh_net_rx rx;

	(void)state;
	vec_hex(m, "netkey", net_key, 16);
	mesh_net_init(&net, (uint32_t)vec_int(m, "iv_index"), false, 0, 0x7000, 1);
	assert_int_equal(mesh_net_receive(&net, pdu, len, &rx), MESH_ERR_UNKNOWN_NID);
	assert_int_equal(mesh_subnet_add(&net.subnets, 1, net_key), 0);
	pdu[0] ^= 0x01;
	assert_int_equal(mesh_net_receive(&net, pdu, len, &rx), MESH_ERR_UNKNOWN_NID);
	pdu[0] ^= 0x01;
	pdu[len - 1] ^= 0x01;
	assert_int_equal(mesh_net_receive(&net, pdu, len, &rx), MESH_ERR_NETMIC);
	assert_int_equal(mesh_net_receive(&net, pdu, 13, &rx), MESH_ERR_TRUNCATED);
	assert_int_equal(mesh_net_receive(&net, pdu, 30, &rx), MESH_ERR_OVERSIZED);
	mesh_net_clear(&net);
}

/* ---- relay ---------------------------------------------------------------- */

#define OWN_ADDR 0x0100
#define OWN_COUNT 2

struct relay_env {
	struct mesh_net sender, relay, listener;
};

static void relay_env_init(struct relay_env *env)
{
	uint8_t net_key[16];
	uint32_t iv_index = (uint32_t)vec_int(vectors_root(), "messages.[17].iv_index");

	vec_hex(vectors_root(), "messages.[17].netkey", net_key, 16);
	mesh_net_init(&env->sender, iv_index, false, 0, 0x0300, 1);
	mesh_net_init(&env->relay, iv_index, false, 0, OWN_ADDR, OWN_COUNT);
	mesh_net_init(&env->listener, iv_index, false, 0, 0x0400, 1);
	env->relay.relay = true;
	assert_int_equal(mesh_subnet_add(&env->sender.subnets, 5, net_key), 0);
	assert_int_equal(mesh_subnet_add(&env->relay.subnets, 5, net_key), 0);
	assert_int_equal(mesh_subnet_add(&env->listener.subnets, 5, net_key), 0);
}

static void relay_env_clear(struct relay_env *env)
{
	mesh_net_clear(&env->sender);
	mesh_net_clear(&env->relay);
	mesh_net_clear(&env->listener);
}

/* sender -> relay; returns the relay's decision and fills rx. */
static bool relay_rx(struct relay_env *env, uint8_t ttl, uint32_t seq, uint16_t src,
		     uint16_t dst, struct mesh_net_rx *rx)
{
	static const uint8_t transport[] = { 0x01, 0x02, 0x03, 0x04, 0x05 };
	struct mesh_net_tx tx = { .net_idx = 5, .ctl = 0, .ttl = ttl, .seq = seq, .src = src,
				  .dst = dst, .transport = transport,
				  .transport_len = sizeof(transport) };
	uint8_t pdu[MESH_NET_MAX_PDU];
	size_t len;

	assert_int_equal(mesh_net_encode_tx(&env->sender, &tx, pdu, &len), 0);
	assert_int_equal(mesh_net_receive(&env->relay, pdu, len, rx), 0);
	return mesh_net_relay_wanted(&env->relay, rx);
}

static void test_relay(void **state)
{
	struct relay_env env;
	struct mesh_net_rx rx, rx2;
	uint8_t out[MESH_NET_MAX_PDU];
	size_t len;

	(void)state;
	relay_env_init(&env);
	assert_false(relay_rx(&env, 0, 1, 0x0300, 0xc000, &rx));
	assert_false(relay_rx(&env, 1, 2, 0x0300, 0xc000, &rx));
	assert_int_equal(mesh_net_relay_encode(&env.relay, &rx, out, &len), MESH_ERR_INVAL);

	for (uint8_t ttl = 2; ttl <= MESH_TTL_MAX; ttl = (uint8_t)(ttl * 2 + 1)) {
		uint32_t seq = 10u + ttl;

		assert_true(relay_rx(&env, ttl, seq, 0x0300, 0xc000, &rx));
		assert_int_equal(mesh_net_relay_encode(&env.relay, &rx, out, &len), 0);
		assert_int_equal(mesh_net_receive(&env.listener, out, len, &rx2), 0);
		assert_int_equal(rx2.ttl, ttl - 1);
		assert_int_equal(rx2.seq, seq);
		assert_int_equal(rx2.src, 0x0300);
		assert_int_equal(rx2.dst, 0xc000);
		assert_int_equal(rx2.iv_index, rx.iv_index);
		assert_int_equal(rx2.transport_len, rx.transport_len);
		assert_bytes_equal(rx2.transport, rx.transport, rx.transport_len);
		/* the relayed copy comes back to the relay: cached, not again */
		assert_int_equal(mesh_net_receive(&env.relay, out, len, &rx2), MESH_ERR_CACHED);
	}

	/* to one of our elements: consumed, not relayed; next address is not ours */
	assert_false(relay_rx(&env, 5, 100, 0x0300, OWN_ADDR + OWN_COUNT - 1, &rx));
	assert_true(relay_rx(&env, 5, 101, 0x0300, OWN_ADDR + OWN_COUNT, &rx));
	/* from our own address (someone replays or spoofs us): never relayed */
	assert_false(relay_rx(&env, 5, 102, OWN_ADDR, 0xc000, &rx));
	env.relay.relay = false;
	assert_false(relay_rx(&env, 5, 103, 0x0300, 0xc000, &rx));
	relay_env_clear(&env);
}

/* What we send is cached, so its echo from a relay is dropped. */
static void test_own_echo_cached(void **state)
{
	struct relay_env env;
	static const uint8_t transport[] = { 0x00, 0x11 };
	struct mesh_net_tx tx = { .net_idx = 5, .ttl = 4, .seq = 77, .src = OWN_ADDR,
				  .dst = 0xc001, .transport = transport,
				  .transport_len = sizeof(transport) };
	struct mesh_net_rx rx;
	uint8_t pdu[MESH_NET_MAX_PDU];
	size_t len;

	(void)state;
	relay_env_init(&env);
	assert_int_equal(mesh_net_encode_tx(&env.relay, &tx, pdu, &len), 0);
	assert_int_equal(mesh_net_receive(&env.relay, pdu, len, &rx), MESH_ERR_CACHED);
	tx.net_idx = 6;
	assert_int_equal(mesh_net_encode_tx(&env.relay, &tx, pdu, &len), MESH_ERR_KEY_INDEX);
	relay_env_clear(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_k2_entries),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_receive_samples),
		cmocka_unit_test(test_receive_iv_select),
		cmocka_unit_test(test_proxy_configuration),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_receive_unknown_nid),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_own_echo_cached),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	mesh_crypto_thread_cleanup();
	return rc;
}
