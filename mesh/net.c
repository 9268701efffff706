/*
 * Network layer (Mesh Profile 3.4, 3.8.7): network PDU encryption and
 * obfuscation, the receive path (IV index from IVI, subnet by NID, NetMIC,
 * message cache) and relaying.
 *
 * PDU layout: IVI|NID, CTL|TTL, SEQ(3), SRC(2) | DST(2), TransportPDU,
 * NetMIC. Octets 7.. are AES-CCM encrypted under the network (or proxy)
 * nonce; octets 1..6 are then XORed with PECB, which is computed from the
 * encrypted octets 7..13, so decoding undoes obfuscation before decryption.
 * Both directions work in a stack buffer: nothing is allocated per PDU.
 */
#include "net.h"

#include <string.h>

#include <openssl/crypto.h>

#include "addr.h"
#include "bytes.h"
#include "err.h"

#define NET_ENC_OFFSET 7 /* DST starts the encrypted part */

enum net_nonce {
	NET_NONCE_NETWORK,
	NET_NONCE_PROXY,
};

int mesh_net_cred_derive(struct mesh_net_cred *cred, const uint8_t net_key[MESH_KEY_LEN],
			 const uint8_t *p, size_t p_len)
{
	uint8_t enc[MESH_KEY_LEN], privacy[MESH_KEY_LEN];
	uint8_t nid;
	int err;

	err = mesh_k2(net_key, p, p_len, &nid, enc, privacy);
	if (err)
		goto done;
	err = mesh_aes_key_set(&cred->enc, enc);
	if (err)
		goto done;
	err = mesh_aes_key_set(&cred->privacy, privacy);
	if (err)
		goto done;
	cred->nid = nid & 0x7f;
done:
	if (err)
		mesh_net_cred_clear(cred);
	OPENSSL_cleanse(enc, sizeof(enc));
	OPENSSL_cleanse(privacy, sizeof(privacy));
	return err;
}

void mesh_net_cred_clear(struct mesh_net_cred *cred)
{
	mesh_aes_key_clear(&cred->enc);
	mesh_aes_key_clear(&cred->privacy);
	cred->nid = 0;
}

static size_t net_mic_len(uint8_t ctl)
{
	return ctl ? 8 : 4;
}

static void net_nonce(uint8_t nonce[MESH_NONCE_LEN], enum net_nonce kind, uint8_t ctl_ttl,
		      uint32_t seq, uint16_t src, uint32_t iv_index)
{
	if (kind == NET_NONCE_PROXY)
		mesh_nonce_proxy(nonce, seq, src, iv_index);
	else
		mesh_nonce_network(nonce, ctl_ttl, seq, src, iv_index);
}

static int net_check_tx(const struct mesh_net_tx *tx, enum net_nonce kind)
{
	size_t max = tx->ctl ? MESH_NET_MAX_TRANSPORT_CTL : MESH_NET_MAX_TRANSPORT;

	if (tx->ctl > 1 || tx->ttl > MESH_TTL_MAX || tx->seq > MESH_SEQ_MAX)
		return MESH_ERR_INVAL;
	if (!tx->transport || tx->transport_len == 0)
		return MESH_ERR_TRUNCATED;
	if (tx->transport_len > max)
		return MESH_ERR_OVERSIZED;
	if (!mesh_addr_is_unicast(tx->src))
		return MESH_ERR_SRC;
	if (kind == NET_NONCE_NETWORK && mesh_addr_is_unassigned(tx->dst))
		return MESH_ERR_DST;
	return 0;
}

static int net_encode(struct mesh_net_cred *cred, uint32_t iv_index, enum net_nonce kind,
		      const struct mesh_net_tx *tx, uint8_t *out, size_t *len)
{
	uint8_t nonce[MESH_NONCE_LEN];
	size_t mic_len = net_mic_len(tx->ctl);
	size_t plain_len = 2 + tx->transport_len;
	int err;

	err = net_check_tx(tx, kind);
	if (err)
		return err;
	out[0] = (uint8_t)((iv_index & 1) << 7 | (cred->nid & 0x7f));
	out[1] = (uint8_t)(tx->ctl << 7 | tx->ttl);
	mesh_put_be24(out + 2, tx->seq);
	mesh_put_be16(out + 5, tx->src);
	mesh_put_be16(out + 7, tx->dst);
	memcpy(out + MESH_NET_HDR_LEN, tx->transport, tx->transport_len);
	net_nonce(nonce, kind, out[1], tx->seq, tx->src, iv_index);
	err = mesh_aes_ccm_encrypt(&cred->enc, nonce, NULL, 0, out + NET_ENC_OFFSET, plain_len,
				   out + NET_ENC_OFFSET, mic_len);
	if (err)
		return err;
	*len = NET_ENC_OFFSET + plain_len + mic_len;
	return mesh_net_obfuscate(&cred->privacy, iv_index, out, *len);
}

int mesh_net_pdu_encode(struct mesh_net_cred *cred, uint32_t iv_index,
			const struct mesh_net_tx *tx, uint8_t *out, size_t *len)
{
	return net_encode(cred, iv_index, NET_NONCE_NETWORK, tx, out, len);
}

int mesh_net_proxy_encode(struct mesh_net_cred *cred, uint32_t iv_index,
			  const struct mesh_net_tx *tx, uint8_t *out, size_t *len)
{
	struct mesh_net_tx p = *tx;

	p.ctl = 1;
	p.ttl = 0;
	p.dst = MESH_ADDR_UNASSIGNED;
	return net_encode(cred, iv_index, NET_NONCE_PROXY, &p, out, len);
}

static int net_decode(struct mesh_net_cred *cred, uint32_t iv_index, enum net_nonce kind,
		      const uint8_t *pdu, size_t len, struct mesh_net_rx *rx)
{
	uint8_t buf[MESH_NET_MAX_PDU];
	uint8_t nonce[MESH_NONCE_LEN];
	size_t mic_len, plain_len;
	uint8_t ctl;
	int err;

	if (len < MESH_NET_MIN_PDU)
		return MESH_ERR_TRUNCATED;
	if (len > MESH_NET_MAX_PDU)
		return MESH_ERR_OVERSIZED;
	if ((pdu[0] & 0x7f) != cred->nid)
		return MESH_ERR_UNKNOWN_NID;
	if ((pdu[0] >> 7) != (iv_index & 1))
		return MESH_ERR_IV_INDEX;
	memcpy(buf, pdu, len);
	err = mesh_net_obfuscate(&cred->privacy, iv_index, buf, len);
	if (err)
		return err;
	ctl = buf[1] >> 7;
	mic_len = net_mic_len(ctl);
	/* at least one transport octet after DST */
	if (len < MESH_NET_HDR_LEN + 1 + mic_len)
		return MESH_ERR_TRUNCATED;
	plain_len = len - NET_ENC_OFFSET - mic_len;
	net_nonce(nonce, kind, buf[1], mesh_get_be24(buf + 2), mesh_get_be16(buf + 5), iv_index);
	err = mesh_aes_ccm_decrypt(&cred->enc, nonce, NULL, 0, buf + NET_ENC_OFFSET, plain_len,
				   buf + NET_ENC_OFFSET, mic_len);
	if (err == MESH_ERR_MIC)
		return MESH_ERR_NETMIC;
	if (err)
		return err;
	rx->iv_index = iv_index;
	rx->ivi = pdu[0] >> 7;
	rx->nid = pdu[0] & 0x7f;
	rx->ctl = ctl;
	rx->ttl = buf[1] & 0x7f;
	rx->seq = mesh_get_be24(buf + 2);
	rx->src = mesh_get_be16(buf + 5);
	rx->dst = mesh_get_be16(buf + 7);
	rx->transport_len = (uint8_t)(plain_len - 2);
	memcpy(rx->transport, buf + MESH_NET_HDR_LEN, rx->transport_len);
	if (!mesh_addr_is_unicast(rx->src))
		return MESH_ERR_SRC;
	if (kind == NET_NONCE_PROXY ? rx->dst != MESH_ADDR_UNASSIGNED
				    : mesh_addr_is_unassigned(rx->dst))
		return MESH_ERR_DST;
	return 0;
}

int mesh_net_pdu_decode(struct mesh_net_cred *cred, uint32_t iv_index, const uint8_t *pdu,
			size_t len, struct mesh_net_rx *rx)
{
	return net_decode(cred, iv_index, NET_NONCE_NETWORK, pdu, len, rx);
}

int mesh_net_proxy_decode(struct mesh_net_cred *cred, uint32_t iv_index, const uint8_t *pdu,
			  size_t len, struct mesh_net_rx *rx)
{
	return net_decode(cred, iv_index, NET_NONCE_PROXY, pdu, len, rx);
}

/* ---- network layer state ----------------------------------------------- */

void mesh_net_init(struct mesh_net *net, uint32_t iv_index, bool iv_update, uint64_t now_ms,
		   uint16_t own_addr, uint16_t own_count)
{
	memset(net, 0, sizeof(*net));
	mesh_subnets_init(&net->subnets);
	mesh_iv_init(&net->iv, iv_index, iv_update, now_ms, NULL, NULL);
	/* The seed only spreads buckets; entries are authenticated, so an
	 * attacker without the NetKey cannot aim at one bucket anyway. */
	mesh_net_cache_init(&net->cache, (uint32_t)(uintptr_t)net ^ own_addr);
	net->own_addr = own_addr;
	net->own_count = own_count;
}

void mesh_net_clear(struct mesh_net *net)
{
	mesh_subnets_clear(&net->subnets);
}

bool mesh_net_is_own(const struct mesh_net *net, uint16_t addr)
{
	return mesh_addr_is_unicast(addr) && addr >= net->own_addr &&
	       (uint32_t)addr - net->own_addr < net->own_count;
}

/* An error after authentication says more than a NetMIC failure. */
static int net_better_err(int best, int err)
{
	if (best == MESH_ERR_UNKNOWN_NID || best == MESH_ERR_NETMIC)
		return err;
	return best;
}

static int net_try_subnet(struct mesh_subnet *sub, uint32_t iv_index, const uint8_t *pdu,
			  size_t len, struct mesh_net_rx *rx, int *best)
{
	for (int new_key = 0; new_key <= 1; new_key++) {
		struct mesh_subnet_keys *k = mesh_subnet_rx_keys(sub, new_key);
		int err;

		if (!k || k->cred.nid != (pdu[0] & 0x7f))
			continue;
		err = mesh_net_pdu_decode(&k->cred, iv_index, pdu, len, rx);
		if (!err) {
			rx->net_idx = sub->net_idx;
			rx->new_key = new_key;
			return 0;
		}
		*best = net_better_err(*best, err);
	}
	return *best;
}

int mesh_net_receive(struct mesh_net *net, const uint8_t *pdu, size_t len,
		     struct mesh_net_rx *rx)
{
	int best = MESH_ERR_UNKNOWN_NID;
	uint32_t iv_index;
	int err;

	if (len < MESH_NET_MIN_PDU)
		return MESH_ERR_TRUNCATED;
	if (len > MESH_NET_MAX_PDU)
		return MESH_ERR_OVERSIZED;
	err = mesh_iv_rx_index(&net->iv, pdu[0] >> 7, &iv_index);
	if (err)
		return err;
	for (size_t i = 0; i < MESH_SUBNET_MAX; i++) {
		struct mesh_subnet *sub = &net->subnets.sub[i];

		if (!sub->in_use)
			continue;
		if (net_try_subnet(sub, iv_index, pdu, len, rx, &best) == 0)
			return mesh_net_cache_check_add(&net->cache, rx->src, rx->seq,
							rx->iv_index);
	}
	return best;
}

int mesh_net_encode_tx(struct mesh_net *net, const struct mesh_net_tx *tx, uint8_t *out,
		       size_t *len)
{
	struct mesh_subnet *sub = mesh_subnet_find(&net->subnets, tx->net_idx);
	uint32_t iv_index = mesh_iv_tx_index(&net->iv);
	int err;

	if (!sub)
		return MESH_ERR_KEY_INDEX;
	err = mesh_net_pdu_encode(&mesh_subnet_tx_keys(sub)->cred, iv_index, tx, out, len);
	if (err)
		return err;
	if (!mesh_net_cache_has(&net->cache, tx->src, tx->seq, iv_index))
		mesh_net_cache_add(&net->cache, tx->src, tx->seq, iv_index);
	return 0;
}

bool mesh_net_relay_wanted(const struct mesh_net *net, const struct mesh_net_rx *rx)
{
	return net->relay && rx->ttl >= 2 && !mesh_net_is_own(net, rx->src) &&
	       !mesh_net_is_own(net, rx->dst);
}

int mesh_net_relay_encode(struct mesh_net *net, const struct mesh_net_rx *rx, uint8_t *out,
			  size_t *len)
{
	struct mesh_subnet *sub;
	struct mesh_subnet_keys *k;
	struct mesh_net_tx tx = {
		.net_idx = rx->net_idx,
		.ctl = rx->ctl,
		.ttl = (uint8_t)(rx->ttl - 1),
		.seq = rx->seq,
		.src = rx->src,
		.dst = rx->dst,
		.transport = rx->transport,
		.transport_len = rx->transport_len,
	};

	if (!mesh_net_relay_wanted(net, rx))
		return MESH_ERR_INVAL;
	sub = mesh_subnet_find(&net->subnets, rx->net_idx);
	if (!sub)
		return MESH_ERR_KEY_INDEX;
	/* The key it came with: in phase 1/2 both are valid, and a relay must
	 * not upgrade or downgrade a sender's choice. If that key was revoked
	 * since, the PDU is no longer valid on this subnet. */
	k = mesh_subnet_rx_keys(sub, rx->new_key);
	if (!k)
		return MESH_ERR_KEY_REFRESH;
	return mesh_net_pdu_encode(&k->cred, rx->iv_index, &tx, out, len);
}
