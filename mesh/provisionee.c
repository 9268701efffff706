/*
 * Device side of provisioning over PB-ADV (Mesh Protocol 1.1, 5.4).
 *
 * The device answers; the Provisioner drives. Every PDU the device does not
 * expect in its current state is answered with Provisioning Failed
 * (Unexpected PDU), after which the device only waits for the link to
 * close, as 5.4.4 requires.
 */
#include "provisionee.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "err.h"
#include "log.h"
#include "prov_crypto.h"
#include "prov_session.h"
#include "util.h"

#define LOG "prov-dev"

enum device_state {
	DEV_LISTENING,        /* no link yet */
	DEV_WAIT_INVITE,
	DEV_WAIT_START,
	DEV_WAIT_PUBLIC_KEY,
	DEV_WAIT_INPUT,       /* Input OOB: the user has not typed yet */
	DEV_WAIT_CONFIRMATION,
	DEV_WAIT_RANDOM,
	DEV_WAIT_DATA,
	DEV_COMPLETE,         /* Complete sent; waiting for Link Close */
	DEV_FAILED,           /* Failed sent; waiting for Link Close */
};

struct mesh_provisionee {
	struct mesh_provisionee_config config;
	const struct mesh_provisionee_ops *ops;
	void *ctx;
	struct mesh_timers *timers;
	struct mesh_pb_adv_link link;
	struct mesh_timer protocol_timer;
	enum device_state state;
	struct mesh_prov_session session;
	struct mesh_ecdh_key own_key;          /* per-session key pair */
	bool own_key_set;
	const struct mesh_ecdh_key *test_key;  /* mesh_provisionee_set_ecdh_key() */
	uint8_t failed_error;                  /* what we sent in Failed */
};

static const struct mesh_pb_adv_link_ops link_ops;

static int device_random(struct mesh_provisionee *d, uint8_t *buf, size_t len)
{
	if (d->ops->random)
		return d->ops->random(d->ctx, buf, len);
	return RAND_bytes(buf, (int)len) == 1 ? 0 : MESH_ERR_CRYPTO;
}

static const struct mesh_ecdh_key *device_key(const struct mesh_provisionee *d)
{
	if (d->test_key)
		return d->test_key;
	if (d->session.start.public_key && d->config.oob_key)
		return d->config.oob_key;
	return &d->own_key;
}

static void session_reset(struct mesh_provisionee *d)
{
	mesh_timer_stop(d->timers, &d->protocol_timer);
	mesh_prov_session_clear(&d->session);
	if (d->own_key_set) {
		mesh_ecdh_free(&d->own_key);
		d->own_key_set = false;
	}
	d->failed_error = 0;
}

static void listen_again(struct mesh_provisionee *d)
{
	session_reset(d);
	d->state = DEV_LISTENING;
	mesh_pb_adv_link_listen(&d->link, d->timers, d->config.uuid, &link_ops, d);
}

static void report_failure(struct mesh_provisionee *d, uint8_t error, bool link_closed,
			   const char *message)
{
	struct mesh_provisionee_failure f = {
		.error = error, .link_closed = link_closed, .message = message,
	};

	if (d->ops->failed)
		d->ops->failed(d->ctx, &f);
}

static int send_pdu(struct mesh_provisionee *d, const struct mesh_prov_pdu *pdu)
{
	uint8_t buf[MESH_PROV_PDU_MAX];
	int len = mesh_prov_pdu_compose(pdu, buf, sizeof(buf));

	if (len < 0)
		return len;
	return mesh_pb_adv_link_send(&d->link, buf, (size_t)len);
}

/* Answer with Provisioning Failed and wait for the Provisioner to close. */
static void fail(struct mesh_provisionee *d, uint8_t error)
{
	struct mesh_prov_pdu pdu = { .type = MESH_PROV_FAILED, .error = error };

	mesh_log_info(LOG, "provisioning failed: %s", mesh_prov_error_name(error));
	d->failed_error = error;
	d->state = DEV_FAILED;
	send_pdu(d, &pdu);
	mesh_prov_session_clear(&d->session);
}

static void progress(struct mesh_provisionee *d)
{
	mesh_timer_start(d->timers, &d->protocol_timer, MESH_PROV_PROTOCOL_TIMEOUT_MS);
}

static void on_invite(struct mesh_provisionee *d, const struct mesh_prov_pdu *pdu)
{
	struct mesh_prov_pdu caps = { .type = MESH_PROV_CAPABILITIES, .caps = d->config.caps };

	d->session.attention_s = pdu->attention_s;
	d->session.caps = d->config.caps;
	if (d->ops->attention)
		d->ops->attention(d->ctx, pdu->attention_s);
	d->state = DEV_WAIT_START;
	send_pdu(d, &caps);
}

static void on_start(struct mesh_provisionee *d, const struct mesh_prov_pdu *pdu)
{
	uint8_t error = mesh_prov_start_check(&d->config.caps, &pdu->start);

	if (error == MESH_PROV_ERR_NONE && pdu->start.public_key && !d->config.oob_key &&
	    !d->test_key)
		error = MESH_PROV_ERR_INVALID_FORMAT;
	if (error != MESH_PROV_ERR_NONE) {
		fail(d, error);
		return;
	}
	d->session.start = pdu->start;
	if (!d->test_key && !pdu->start.public_key) {
		if (mesh_ecdh_generate(&d->own_key)) {
			fail(d, MESH_PROV_ERR_OUT_OF_RESOURCES);
			return;
		}
		d->own_key_set = true;
	}
	d->state = DEV_WAIT_PUBLIC_KEY;
}

/* Output OOB: pick and show a value; it is the AuthValue. */
static int show_output(struct mesh_provisionee *d)
{
	const struct mesh_prov_start *st = &d->session.start;
	char value[MESH_PROV_OOB_SIZE_MAX + 1];
	int err;

	err = mesh_prov_oob_generate(mesh_prov_start_alphanumeric(st), st->auth_size, value);
	if (!err)
		err = mesh_prov_session_auth_text(&d->session, value);
	if (!err && d->ops->output_oob)
		d->ops->output_oob(d->ctx, st->auth_action, value);
	OPENSSL_cleanse(value, sizeof(value));
	return err;
}

/* AuthValue for the methods that need no user on the device side now. */
static int prepare_auth(struct mesh_provisionee *d)
{
	const struct mesh_prov_start *st = &d->session.start;

	switch (st->auth_method) {
	case MESH_PROV_AUTH_NO_OOB:
		memset(d->session.auth_value, 0, sizeof(d->session.auth_value));
		return 0;
	case MESH_PROV_AUTH_STATIC:
		return mesh_prov_auth_from_static(st->algorithm, d->config.static_oob,
						  d->config.static_oob_len, d->session.auth_value);
	case MESH_PROV_AUTH_OUTPUT:
		return show_output(d);
	default:
		return 0; /* Input OOB: the value comes from mesh_provisionee_input() */
	}
}

static void on_public_key(struct mesh_provisionee *d, const struct mesh_prov_pdu *pdu)
{
	const struct mesh_ecdh_key *key = device_key(d);
	struct mesh_prov_pdu reply = { .type = MESH_PROV_PUBLIC_KEY };

	memcpy(d->session.prov_pub, pdu->public_key, MESH_PROV_PUBKEY_LEN);
	memcpy(d->session.dev_pub, key->public_key, MESH_PROV_PUBKEY_LEN);
	if (mesh_ecdh_shared(key, pdu->public_key, d->session.ecdh_secret)) {
		/* Not a point on P-256, or our own key reflected back. */
		fail(d, MESH_PROV_ERR_UNEXPECTED_ERROR);
		return;
	}
	if (!d->session.start.public_key) {
		memcpy(reply.public_key, key->public_key, MESH_PROV_PUBKEY_LEN);
		send_pdu(d, &reply);
	}
	if (prepare_auth(d)) {
		fail(d, MESH_PROV_ERR_UNEXPECTED_ERROR);
		return;
	}
	if (d->session.start.auth_method == MESH_PROV_AUTH_INPUT) {
		d->state = DEV_WAIT_INPUT;
		if (d->ops->input_oob)
			d->ops->input_oob(d->ctx, d->session.start.auth_action,
					  d->session.start.auth_size);
		return;
	}
	d->state = DEV_WAIT_CONFIRMATION;
}

static void on_confirmation(struct mesh_provisionee *d, const struct mesh_prov_pdu *pdu)
{
	size_t len = mesh_prov_session_value_len(&d->session);
	struct mesh_prov_pdu reply = { .type = MESH_PROV_CONFIRMATION };

	if (pdu->confirmation.len != len) {
		fail(d, MESH_PROV_ERR_INVALID_FORMAT);
		return;
	}
	memcpy(d->session.peer_confirmation, pdu->confirmation.value, len);
	if (mesh_prov_session_confirm_keys(&d->session) ||
	    device_random(d, d->session.own_random, len) ||
	    mesh_prov_session_own_confirmation(&d->session)) {
		fail(d, MESH_PROV_ERR_UNEXPECTED_ERROR);
		return;
	}
	/* A Provisioner that echoes our confirmation learns nothing from it
	 * but would pass its own check: refuse it (Mesh 1.1 5.4.2.4). */
	if (CRYPTO_memcmp(d->session.own_confirmation, d->session.peer_confirmation, len) == 0) {
		fail(d, MESH_PROV_ERR_CONFIRMATION_FAILED);
		return;
	}
	reply.confirmation.len = (uint8_t)len;
	memcpy(reply.confirmation.value, d->session.own_confirmation, len);
	d->state = DEV_WAIT_RANDOM;
	send_pdu(d, &reply);
}

static void on_random(struct mesh_provisionee *d, const struct mesh_prov_pdu *pdu)
{
	size_t len = mesh_prov_session_value_len(&d->session);
	struct mesh_prov_pdu reply = { .type = MESH_PROV_RANDOM };

	if (pdu->random.len != len) {
		fail(d, MESH_PROV_ERR_INVALID_FORMAT);
		return;
	}
	if (!mesh_prov_session_peer_confirmed(&d->session, pdu->random.value)) {
		fail(d, MESH_PROV_ERR_CONFIRMATION_FAILED);
		return;
	}
	if (mesh_prov_session_derive(&d->session, pdu->random.value, d->session.own_random)) {
		fail(d, MESH_PROV_ERR_UNEXPECTED_ERROR);
		return;
	}
	reply.random.len = (uint8_t)len;
	memcpy(reply.random.value, d->session.own_random, len);
	d->state = DEV_WAIT_DATA;
	send_pdu(d, &reply);
}

static void on_data(struct mesh_provisionee *d, const struct mesh_prov_pdu *pdu)
{
	uint8_t sealed[MESH_PROV_DATA_LEN + MESH_PROV_DATA_MIC_LEN];
	uint8_t plain[MESH_PROV_DATA_LEN];
	uint8_t dev_key[16];
	struct mesh_prov_data data;
	struct mesh_prov_pdu complete = { .type = MESH_PROV_COMPLETE };

	memcpy(sealed, pdu->data.encrypted, MESH_PROV_DATA_LEN);
	memcpy(sealed + MESH_PROV_DATA_LEN, pdu->data.mic, MESH_PROV_DATA_MIC_LEN);
	if (mesh_prov_data_decrypt(d->session.session_key, d->session.session_nonce, sealed,
				   plain)) {
		fail(d, MESH_PROV_ERR_DECRYPTION_FAILED);
		return;
	}
	if (mesh_prov_data_decode(plain, &data)) {
		OPENSSL_cleanse(plain, sizeof(plain));
		fail(d, MESH_PROV_ERR_INVALID_DATA);
		return;
	}
	memcpy(dev_key, d->session.dev_key, sizeof(dev_key));
	d->state = DEV_COMPLETE;
	send_pdu(d, &complete);
	mesh_timer_stop(d->timers, &d->protocol_timer);
	mesh_prov_session_clear(&d->session);
	if (d->ops->complete)
		d->ops->complete(d->ctx, &data, dev_key, d->config.caps.n_elements);
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(&data, sizeof(data));
	OPENSSL_cleanse(dev_key, sizeof(dev_key));
}

/* What each state accepts; anything else is an Unexpected PDU. */
static void dispatch(struct mesh_provisionee *d, const struct mesh_prov_pdu *pdu)
{
	switch (d->state) {
	case DEV_WAIT_INVITE:
		if (pdu->type == MESH_PROV_INVITE)
			return on_invite(d, pdu);
		break;
	case DEV_WAIT_START:
		if (pdu->type == MESH_PROV_START)
			return on_start(d, pdu);
		break;
	case DEV_WAIT_PUBLIC_KEY:
		if (pdu->type == MESH_PROV_PUBLIC_KEY)
			return on_public_key(d, pdu);
		break;
	case DEV_WAIT_CONFIRMATION:
		if (pdu->type == MESH_PROV_CONFIRMATION)
			return on_confirmation(d, pdu);
		break;
	case DEV_WAIT_RANDOM:
		if (pdu->type == MESH_PROV_RANDOM)
			return on_random(d, pdu);
		break;
	case DEV_WAIT_DATA:
		if (pdu->type == MESH_PROV_DATA)
			return on_data(d, pdu);
		break;
	default:
		break;
	}
	fail(d, MESH_PROV_ERR_UNEXPECTED_PDU);
}

static void link_receive(void *ctx, const uint8_t *buf, size_t len)
{
	struct mesh_provisionee *d = ctx;
	struct mesh_prov_pdu pdu;
	int err;

	if (d->state == DEV_FAILED || d->state == DEV_COMPLETE || d->state == DEV_LISTENING)
		return;
	progress(d);
	err = mesh_prov_pdu_parse(buf, len, &pdu);
	if (err) {
		mesh_log_info(LOG, "bad provisioning PDU: %s", mesh_strerror(err));
		fail(d, mesh_prov_parse_error(err));
		return;
	}
	dispatch(d, &pdu);
}

static int link_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct mesh_provisionee *d = ctx;

	return d->ops->send_pb_adv(d->ctx, pdu, len);
}

static void link_opened(void *ctx)
{
	struct mesh_provisionee *d = ctx;

	d->state = DEV_WAIT_INVITE;
	progress(d);
}

static void link_closed(void *ctx, enum mesh_pb_adv_closed_why why, uint8_t reason)
{
	struct mesh_provisionee *d = ctx;
	enum device_state was = d->state;
	uint8_t error = d->failed_error;

	(void)why;
	(void)reason;
	if (was == DEV_COMPLETE) {
		session_reset(d);
		return; /* the owner turns us into a node; nothing more to listen for */
	}
	listen_again(d);
	report_failure(d, error, true,
		       error ? mesh_prov_error_name(error) : "the provisioner closed the link");
}

static const struct mesh_pb_adv_link_ops link_ops = {
	.send = link_send,
	.opened = link_opened,
	.receive = link_receive,
	.closed = link_closed,
};

static void protocol_timeout(struct mesh_timer *t)
{
	struct mesh_provisionee *d = MESH_CONTAINER_OF(t, struct mesh_provisionee, protocol_timer);

	mesh_log_info(LOG, "provisioning timed out after %u s without progress",
		      MESH_PROV_PROTOCOL_TIMEOUT_MS / 1000u);
	mesh_pb_adv_link_abort(&d->link);
	listen_again(d);
	report_failure(d, 0, true, "no progress for 60 s");
}

int mesh_provisionee_create(struct mesh_provisionee **out, struct mesh_timers *timers,
			    const struct mesh_provisionee_config *config,
			    const struct mesh_provisionee_ops *ops, void *ctx)
{
	struct mesh_provisionee *d;

	if (!config || !ops || !ops->send_pb_adv || config->caps.n_elements == 0 ||
	    !(config->caps.algorithms & (MESH_PROV_ALG_BIT(MESH_PROV_ALG_CMAC_AES128) |
					 MESH_PROV_ALG_BIT(MESH_PROV_ALG_HMAC_SHA256))))
		return MESH_ERR_INVAL;
	if ((config->caps.static_oob_type & MESH_PROV_STATIC_OOB_AVAILABLE) &&
	    config->static_oob_len != 16 && config->static_oob_len != 32)
		return MESH_ERR_INVAL;
	if ((config->caps.pub_key_type & MESH_PROV_PUBKEY_OOB_AVAILABLE) && !config->oob_key)
		return MESH_ERR_INVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return MESH_ERR_NOMEM;
	d->config = *config;
	d->ops = ops;
	d->ctx = ctx;
	d->timers = timers;
	mesh_timer_init(&d->protocol_timer, protocol_timeout);
	listen_again(d);
	*out = d;
	return 0;
}

void mesh_provisionee_destroy(struct mesh_provisionee *d)
{
	if (!d)
		return;
	mesh_pb_adv_link_abort(&d->link);
	session_reset(d);
	OPENSSL_cleanse(&d->config, sizeof(d->config));
	free(d);
}

void mesh_provisionee_pb_adv_receive(struct mesh_provisionee *d, const uint8_t *pdu, size_t len)
{
	mesh_pb_adv_link_receive(&d->link, pdu, len);
}

int mesh_provisionee_input(struct mesh_provisionee *d, const char *value)
{
	struct mesh_prov_pdu done = { .type = MESH_PROV_INPUT_COMPLETE };

	if (d->state != DEV_WAIT_INPUT)
		return MESH_ERR_DOWN;
	if (mesh_prov_session_auth_text(&d->session, value))
		return MESH_ERR_INVAL;
	d->state = DEV_WAIT_CONFIRMATION;
	progress(d);
	return send_pdu(d, &done);
}

void mesh_provisionee_set_ecdh_key(struct mesh_provisionee *d, const struct mesh_ecdh_key *k)
{
	d->test_key = k;
}

bool mesh_provisionee_busy(const struct mesh_provisionee *d)
{
	return d->state != DEV_LISTENING;
}
