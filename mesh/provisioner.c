/*
 * The Provisioner role (Mesh Protocol 1.1, 5.4): one session at a time over
 * a PB-ADV link.
 *
 * A session fails in exactly one place, session_fail(), which reports the
 * reason once, wipes the session's secrets and closes the link; the
 * provisioner is busy until the link's Close has been sent. Success is
 * reported only after ops->store_node has persisted the node.
 */
#include "provisioner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "err.h"
#include "log.h"
#include "prov_crypto.h"
#include "prov_session.h"
#include "util.h"

#define LOG "prov"

enum prov_state {
	PROV_IDLE,
	PROV_OPENING,            /* Link Open sent */
	PROV_WAIT_CAPABILITIES,  /* Invite sent */
	PROV_WAIT_PUBLIC_KEY,    /* Start and our Public Key sent */
	PROV_WAIT_USER,          /* OOB_NEEDED emitted */
	PROV_WAIT_INPUT_COMPLETE,/* OOB_SHOW emitted */
	PROV_WAIT_CONFIRMATION,
	PROV_WAIT_RANDOM,
	PROV_WAIT_COMPLETE,      /* Data sent */
	PROV_CLOSING,            /* Link Close going out; session over */
};

struct mesh_provisioner {
	const struct mesh_provisioner_ops *ops;
	void *ctx;
	struct mesh_timers *timers;
	struct mesh_pb_adv_link link;
	struct mesh_timer protocol_timer;
	enum prov_state state;
	struct mesh_prov_request req;
	struct mesh_prov_session session;
	struct mesh_ecdh_key own_key;
	bool own_key_set;
	const struct mesh_ecdh_key *test_key;
	bool link_gone;           /* the link reported closed: nothing to close */
	bool fixed_link_id;
	uint32_t link_id;
	uint16_t address;         /* allocated for this session */
	char hint[64];            /* what mesh_provisioner_oob_reply() expects */
};

static const struct mesh_pb_adv_link_ops link_ops;

static const struct mesh_ecdh_key *own_key(const struct mesh_provisioner *p)
{
	return p->test_key ? p->test_key : &p->own_key;
}

static int prov_random(struct mesh_provisioner *p, uint8_t *buf, size_t len)
{
	if (p->ops->random)
		return p->ops->random(p->ctx, buf, len);
	return RAND_bytes(buf, (int)len) == 1 ? 0 : MESH_ERR_CRYPTO;
}

static void emit(struct mesh_provisioner *p, struct mesh_prov_event *ev)
{
	memcpy(ev->uuid, p->req.uuid, sizeof(ev->uuid));
	if (p->ops->event)
		p->ops->event(p->ctx, ev);
}

static void wipe_session(struct mesh_provisioner *p)
{
	mesh_timer_stop(p->timers, &p->protocol_timer);
	mesh_prov_session_clear(&p->session);
	if (p->own_key_set) {
		mesh_ecdh_free(&p->own_key);
		p->own_key_set = false;
	}
	OPENSSL_cleanse(p->req.net_key, sizeof(p->req.net_key));
	OPENSSL_cleanse(p->req.static_oob, sizeof(p->req.static_oob));
}

static void session_fail(struct mesh_provisioner *p, enum mesh_prov_fail_reason reason,
			 uint8_t error, uint8_t close_reason, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void session_fail(struct mesh_provisioner *p, enum mesh_prov_fail_reason reason,
			 uint8_t error, uint8_t close_reason, const char *fmt, ...)
{
	struct mesh_prov_event ev = { .type = MESH_PROV_EV_FAILED };
	bool link_up = !p->link_gone && mesh_pb_adv_link_busy(&p->link);
	va_list ap;

	if (p->state == PROV_CLOSING || p->state == PROV_IDLE)
		return;
	ev.failed.reason = reason;
	ev.failed.error = error;
	va_start(ap, fmt);
	vsnprintf(ev.failed.message, sizeof(ev.failed.message), fmt, ap);
	va_end(ap);
	mesh_log_info(LOG, "provisioning failed: %s", ev.failed.message);
	p->state = PROV_CLOSING;
	wipe_session(p);
	if (link_up)
		mesh_pb_adv_link_close(&p->link, close_reason);
	else
		p->state = PROV_IDLE;
	emit(p, &ev);
}

static int send_pdu(struct mesh_provisioner *p, const struct mesh_prov_pdu *pdu)
{
	uint8_t buf[MESH_PROV_PDU_MAX];
	int len = mesh_prov_pdu_compose(pdu, buf, sizeof(buf));
	int err;

	if (len < 0)
		err = len;
	else
		err = mesh_pb_adv_link_send(&p->link, buf, (size_t)len);
	if (err)
		session_fail(p, MESH_PROV_FAIL_LOCAL_ERROR, 0, MESH_PB_ADV_CLOSE_FAIL,
			     "could not send %s: %s", mesh_prov_pdu_name(pdu->type),
			     mesh_strerror(err));
	return err;
}

static void progress(struct mesh_provisioner *p)
{
	mesh_timer_start(p->timers, &p->protocol_timer, MESH_PROV_PROTOCOL_TIMEOUT_MS);
}

/* --- choosing what to ask for ----------------------------------------- */

static int choose_algorithm(const struct mesh_provisioner *p, uint16_t offered)
{
	uint16_t allowed = p->req.algorithms ? p->req.algorithms : 0xffff;
	uint16_t both = offered & allowed;

	if (both & MESH_PROV_ALG_BIT(MESH_PROV_ALG_HMAC_SHA256))
		return MESH_PROV_ALG_HMAC_SHA256;
	if (both & MESH_PROV_ALG_BIT(MESH_PROV_ALG_CMAC_AES128))
		return MESH_PROV_ALG_CMAC_AES128;
	return -1;
}

/* The first action of `preference` the device offers, or -1. */
static int pick_action(uint16_t offered, const uint8_t *preference, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (offered & (1u << preference[i]))
			return preference[i];
	return -1;
}

/* Displays and keypads carry more entropy per action than blinks. */
static const uint8_t output_preference[] = {
	MESH_PROV_OUT_NUMERIC, MESH_PROV_OUT_ALPHANUMERIC, MESH_PROV_OUT_BLINK,
	MESH_PROV_OUT_BEEP, MESH_PROV_OUT_VIBRATE,
};
static const uint8_t input_preference[] = {
	MESH_PROV_IN_NUMERIC, MESH_PROV_IN_ALPHANUMERIC, MESH_PROV_IN_PUSH, MESH_PROV_IN_TWIST,
};

static bool can_output(const struct mesh_prov_caps *c)
{
	return c->output_size > 0 &&
	       pick_action(c->output_actions, output_preference, sizeof(output_preference)) >= 0;
}

static bool can_input(const struct mesh_prov_caps *c)
{
	return c->input_size > 0 &&
	       pick_action(c->input_actions, input_preference, sizeof(input_preference)) >= 0;
}

static int auto_method(const struct mesh_provisioner *p, const struct mesh_prov_caps *c)
{
	if ((c->static_oob_type & MESH_PROV_STATIC_OOB_AVAILABLE) && p->req.static_oob_len)
		return MESH_PROV_AUTH_STATIC;
	if (can_output(c))
		return MESH_PROV_AUTH_OUTPUT;
	if (can_input(c))
		return MESH_PROV_AUTH_INPUT;
	if (c->static_oob_type & MESH_PROV_STATIC_OOB_AVAILABLE)
		return MESH_PROV_AUTH_STATIC; /* the user will be asked for it */
	return MESH_PROV_AUTH_NO_OOB;
}

static bool method_offered(const struct mesh_prov_caps *c, int method)
{
	switch (method) {
	case MESH_PROV_AUTH_NO_OOB:
		return !(c->static_oob_type & MESH_PROV_STATIC_OOB_AUTH_REQUIRED);
	case MESH_PROV_AUTH_STATIC:
		return c->static_oob_type & MESH_PROV_STATIC_OOB_AVAILABLE;
	case MESH_PROV_AUTH_OUTPUT:
		return can_output(c);
	case MESH_PROV_AUTH_INPUT:
		return can_input(c);
	default:
		return false;
	}
}

/* Fill start from the device's capabilities; a reason on failure. */
static const char *choose_start(const struct mesh_provisioner *p, const struct mesh_prov_caps *c,
				struct mesh_prov_start *start)
{
	int alg = choose_algorithm(p, c->algorithms);
	int method = p->req.method == MESH_PROV_METHOD_AUTO ? auto_method(p, c) : p->req.method;

	if (alg < 0)
		return "the device supports none of the allowed algorithms";
	if (!method_offered(c, method))
		return "the device does not offer the requested authentication method";
	/* A value the user has for this device that the device does not
	 * offer means it is not the device the user thinks: never fall back
	 * to weaker authentication. */
	if (p->req.static_oob_len && !(c->static_oob_type & MESH_PROV_STATIC_OOB_AVAILABLE))
		return "a static OOB value was given but the device offers no static OOB";
	if (p->req.has_oob_public_key && !(c->pub_key_type & MESH_PROV_PUBKEY_OOB_AVAILABLE))
		return "a public key was given but the device offers no OOB public key";
	memset(start, 0, sizeof(*start));
	start->algorithm = (uint8_t)alg;
	start->public_key = (c->pub_key_type & MESH_PROV_PUBKEY_OOB_AVAILABLE) &&
			    p->req.has_oob_public_key;
	start->auth_method = (uint8_t)method;
	if (method == MESH_PROV_AUTH_OUTPUT) {
		start->auth_action = (uint8_t)pick_action(c->output_actions, output_preference,
							  sizeof(output_preference));
		start->auth_size = c->output_size;
	} else if (method == MESH_PROV_AUTH_INPUT) {
		start->auth_action = (uint8_t)pick_action(c->input_actions, input_preference,
							  sizeof(input_preference));
		start->auth_size = c->input_size;
	}
	return NULL;
}

/* --- the exchange ----------------------------------------------------- */

static void send_confirmation(struct mesh_provisioner *p)
{
	size_t len = mesh_prov_session_value_len(&p->session);
	struct mesh_prov_pdu pdu = { .type = MESH_PROV_CONFIRMATION };

	if (mesh_prov_session_confirm_keys(&p->session) ||
	    prov_random(p, p->session.own_random, len) ||
	    mesh_prov_session_own_confirmation(&p->session)) {
		session_fail(p, MESH_PROV_FAIL_LOCAL_ERROR, 0, MESH_PB_ADV_CLOSE_FAIL,
			     "could not compute the confirmation");
		return;
	}
	pdu.confirmation.len = (uint8_t)len;
	memcpy(pdu.confirmation.value, p->session.own_confirmation, len);
	p->state = PROV_WAIT_CONFIRMATION;
	send_pdu(p, &pdu);
}

static void ask_user(struct mesh_provisioner *p)
{
	const struct mesh_prov_start *st = &p->session.start;
	struct mesh_prov_event ev = { .type = MESH_PROV_EV_OOB_NEEDED };

	ev.oob.method = st->auth_method;
	ev.oob.action = st->auth_action;
	ev.oob.size = st->auth_size;
	ev.oob.alphanumeric = mesh_prov_start_alphanumeric(st);
	if (st->auth_method == MESH_PROV_AUTH_STATIC)
		snprintf(p->hint, sizeof(p->hint), "a static OOB value of 32 or 64 hex digits");
	else if (ev.oob.alphanumeric)
		snprintf(p->hint, sizeof(p->hint), "%u letters or digits", st->auth_size);
	else
		snprintf(p->hint, sizeof(p->hint), "a number of at most %u digits", st->auth_size);
	p->state = PROV_WAIT_USER;
	emit(p, &ev);
}

/* Input OOB: we choose the value, the user types it on the device. */
static void show_input(struct mesh_provisioner *p)
{
	const struct mesh_prov_start *st = &p->session.start;
	struct mesh_prov_event ev = { .type = MESH_PROV_EV_OOB_SHOW };

	ev.oob.method = st->auth_method;
	ev.oob.action = st->auth_action;
	ev.oob.size = st->auth_size;
	ev.oob.alphanumeric = mesh_prov_start_alphanumeric(st);
	if (mesh_prov_oob_generate(ev.oob.alphanumeric, st->auth_size, ev.oob.value) ||
	    mesh_prov_session_auth_text(&p->session, ev.oob.value)) {
		session_fail(p, MESH_PROV_FAIL_LOCAL_ERROR, 0, MESH_PB_ADV_CLOSE_FAIL,
			     "could not generate the Input OOB value");
		return;
	}
	p->state = PROV_WAIT_INPUT_COMPLETE;
	emit(p, &ev);
	OPENSSL_cleanse(ev.oob.value, sizeof(ev.oob.value));
}

/* Both public keys are known: authenticate by the chosen method. */
static void authenticate(struct mesh_provisioner *p)
{
	const struct mesh_prov_start *st = &p->session.start;

	switch (st->auth_method) {
	case MESH_PROV_AUTH_NO_OOB:
		memset(p->session.auth_value, 0, sizeof(p->session.auth_value));
		send_confirmation(p);
		break;
	case MESH_PROV_AUTH_STATIC:
		if (!p->req.static_oob_len) {
			ask_user(p);
			break;
		}
		mesh_prov_auth_from_static(st->algorithm, p->req.static_oob, p->req.static_oob_len,
					   p->session.auth_value);
		send_confirmation(p);
		break;
	case MESH_PROV_AUTH_OUTPUT:
		ask_user(p);
		break;
	default:
		show_input(p);
		break;
	}
}

static void use_device_key(struct mesh_provisioner *p, const uint8_t dev_pub[MESH_PROV_PUBKEY_LEN])
{
	memcpy(p->session.dev_pub, dev_pub, MESH_PROV_PUBKEY_LEN);
	if (mesh_ecdh_shared(own_key(p), dev_pub, p->session.ecdh_secret)) {
		session_fail(p, MESH_PROV_FAIL_BAD_PUBLIC_KEY, 0, MESH_PB_ADV_CLOSE_FAIL,
			     "the device's public key is not a valid P-256 point");
		return;
	}
	authenticate(p);
}

static void on_capabilities(struct mesh_provisioner *p, const struct mesh_prov_pdu *pdu)
{
	struct mesh_prov_event ev = { .type = MESH_PROV_EV_CAPABILITIES };
	struct mesh_prov_pdu start = { .type = MESH_PROV_START };
	struct mesh_prov_pdu key = { .type = MESH_PROV_PUBLIC_KEY };
	const char *why = choose_start(p, &pdu->caps, &start.start);
	int err;

	if (why) {
		session_fail(p, MESH_PROV_FAIL_NOT_SUPPORTED, 0, MESH_PB_ADV_CLOSE_FAIL, "%s", why);
		return;
	}
	err = p->ops->alloc_address(p->ctx, p->req.uuid, pdu->caps.n_elements, &p->address);
	if (err) {
		session_fail(p, MESH_PROV_FAIL_NO_ADDRESS, 0, MESH_PB_ADV_CLOSE_FAIL,
			     "no free unicast range for %u element(s)", pdu->caps.n_elements);
		return;
	}
	p->session.caps = pdu->caps;
	p->session.start = start.start;
	ev.capabilities.caps = pdu->caps;
	ev.capabilities.start = start.start;
	emit(p, &ev);
	if (p->state != PROV_WAIT_CAPABILITIES)
		return; /* canceled from the event */
	if (!p->test_key) {
		if (mesh_ecdh_generate(&p->own_key)) {
			session_fail(p, MESH_PROV_FAIL_LOCAL_ERROR, 0, MESH_PB_ADV_CLOSE_FAIL,
				     "could not generate a P-256 key pair");
			return;
		}
		p->own_key_set = true;
	}
	memcpy(p->session.prov_pub, own_key(p)->public_key, MESH_PROV_PUBKEY_LEN);
	memcpy(key.public_key, p->session.prov_pub, MESH_PROV_PUBKEY_LEN);
	p->state = PROV_WAIT_PUBLIC_KEY;
	if (send_pdu(p, &start) || send_pdu(p, &key))
		return;
	if (start.start.public_key)
		use_device_key(p, p->req.oob_public_key);
}

static void on_confirmation(struct mesh_provisioner *p, const struct mesh_prov_pdu *pdu)
{
	size_t len = mesh_prov_session_value_len(&p->session);
	struct mesh_prov_pdu reply = { .type = MESH_PROV_RANDOM };

	if (pdu->confirmation.len != len) {
		session_fail(p, MESH_PROV_FAIL_LOCAL_ERROR, MESH_PROV_ERR_INVALID_FORMAT,
			     MESH_PB_ADV_CLOSE_FAIL, "the device's confirmation has %u octets, not %zu",
			     pdu->confirmation.len, len);
		return;
	}
	/* A device echoing our confirmation could then echo our random too
	 * and pass the check without knowing the AuthValue. */
	if (CRYPTO_memcmp(pdu->confirmation.value, p->session.own_confirmation, len) == 0) {
		session_fail(p, MESH_PROV_FAIL_CONFIRMATION, 0, MESH_PB_ADV_CLOSE_FAIL,
			     "the device reflected our confirmation");
		return;
	}
	memcpy(p->session.peer_confirmation, pdu->confirmation.value, len);
	reply.random.len = (uint8_t)len;
	memcpy(reply.random.value, p->session.own_random, len);
	p->state = PROV_WAIT_RANDOM;
	send_pdu(p, &reply);
}

static void send_data(struct mesh_provisioner *p, const uint8_t *dev_random)
{
	struct mesh_prov_data data = {
		.net_idx = p->req.net_idx,
		.flags = p->req.flags,
		.iv_index = p->req.iv_index,
		.address = p->address,
	};
	uint8_t plain[MESH_PROV_DATA_LEN];
	uint8_t sealed[MESH_PROV_DATA_LEN + MESH_PROV_DATA_MIC_LEN];
	struct mesh_prov_pdu pdu = { .type = MESH_PROV_DATA };
	int err;

	memcpy(data.net_key, p->req.net_key, sizeof(data.net_key));
	mesh_prov_data_encode(&data, plain);
	err = mesh_prov_session_derive(&p->session, p->session.own_random, dev_random);
	if (!err)
		err = mesh_prov_data_encrypt(p->session.session_key, p->session.session_nonce,
					     plain, sealed);
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(&data, sizeof(data));
	if (err) {
		session_fail(p, MESH_PROV_FAIL_LOCAL_ERROR, 0, MESH_PB_ADV_CLOSE_FAIL,
			     "could not encrypt the provisioning data");
		return;
	}
	memcpy(pdu.data.encrypted, sealed, MESH_PROV_DATA_LEN);
	memcpy(pdu.data.mic, sealed + MESH_PROV_DATA_LEN, MESH_PROV_DATA_MIC_LEN);
	p->state = PROV_WAIT_COMPLETE;
	send_pdu(p, &pdu);
	OPENSSL_cleanse(&pdu, sizeof(pdu));
}

static void on_random(struct mesh_provisioner *p, const struct mesh_prov_pdu *pdu)
{
	size_t len = mesh_prov_session_value_len(&p->session);

	if (pdu->random.len != len) {
		session_fail(p, MESH_PROV_FAIL_LOCAL_ERROR, MESH_PROV_ERR_INVALID_FORMAT,
			     MESH_PB_ADV_CLOSE_FAIL, "the device's random has %u octets, not %zu",
			     pdu->random.len, len);
		return;
	}
	if (!mesh_prov_session_peer_confirmed(&p->session, pdu->random.value)) {
		session_fail(p, MESH_PROV_FAIL_CONFIRMATION, MESH_PROV_ERR_CONFIRMATION_FAILED,
			     MESH_PB_ADV_CLOSE_FAIL,
			     "the device's confirmation does not match: wrong OOB value?");
		return;
	}
	send_data(p, pdu->random.value);
}

static void on_complete(struct mesh_provisioner *p)
{
	struct mesh_prov_event ev = { .type = MESH_PROV_EV_COMPLETE };
	struct mesh_prov_node node = {
		.address = p->address,
		.n_elements = p->session.caps.n_elements,
		.net_idx = p->req.net_idx,
		.algorithm = p->session.start.algorithm,
		.auth_method = p->session.start.auth_method,
		.oob_public_key = p->session.start.public_key,
	};
	int err;

	memcpy(node.uuid, p->req.uuid, sizeof(node.uuid));
	memcpy(node.dev_key, p->session.dev_key, sizeof(node.dev_key));
	err = p->ops->store_node(p->ctx, &node);
	OPENSSL_cleanse(node.dev_key, sizeof(node.dev_key));
	if (err) {
		session_fail(p, MESH_PROV_FAIL_STORE, 0, MESH_PB_ADV_CLOSE_FAIL,
			     "the device is provisioned but the node could not be stored: %s",
			     mesh_strerror(err));
		return;
	}
	mesh_log_info(LOG, "node provisioned at 0x%04x with %u element(s)", node.address,
		      node.n_elements);
	ev.complete = node;
	p->state = PROV_CLOSING;
	wipe_session(p);
	mesh_pb_adv_link_close(&p->link, MESH_PB_ADV_CLOSE_SUCCESS);
	emit(p, &ev);
}

static void on_device_failed(struct mesh_provisioner *p, uint8_t error)
{
	const char *hint = error == MESH_PROV_ERR_CONFIRMATION_FAILED ?
				   ": the OOB value did not match" : "";

	enum mesh_prov_fail_reason reason = error == MESH_PROV_ERR_CONFIRMATION_FAILED ?
						    MESH_PROV_FAIL_CONFIRMATION :
						    MESH_PROV_FAIL_DEVICE_ERROR;

	session_fail(p, reason, error, MESH_PB_ADV_CLOSE_FAIL,
		     "the device reports %s (0x%02x)%s", mesh_prov_error_name(error), error, hint);
}

static void unexpected(struct mesh_provisioner *p, const struct mesh_prov_pdu *pdu)
{
	session_fail(p, MESH_PROV_FAIL_LOCAL_ERROR, MESH_PROV_ERR_UNEXPECTED_PDU,
		     MESH_PB_ADV_CLOSE_FAIL, "unexpected %s PDU from the device",
		     mesh_prov_pdu_name(pdu->type));
}

static void dispatch(struct mesh_provisioner *p, const struct mesh_prov_pdu *pdu)
{
	if (pdu->type == MESH_PROV_FAILED)
		return on_device_failed(p, pdu->error);
	switch (p->state) {
	case PROV_WAIT_CAPABILITIES:
		if (pdu->type == MESH_PROV_CAPABILITIES)
			return on_capabilities(p, pdu);
		break;
	case PROV_WAIT_PUBLIC_KEY:
		if (pdu->type == MESH_PROV_PUBLIC_KEY && !p->session.start.public_key)
			return use_device_key(p, pdu->public_key);
		break;
	case PROV_WAIT_INPUT_COMPLETE:
		if (pdu->type == MESH_PROV_INPUT_COMPLETE)
			return send_confirmation(p);
		break;
	case PROV_WAIT_CONFIRMATION:
		if (pdu->type == MESH_PROV_CONFIRMATION)
			return on_confirmation(p, pdu);
		break;
	case PROV_WAIT_RANDOM:
		if (pdu->type == MESH_PROV_RANDOM)
			return on_random(p, pdu);
		break;
	case PROV_WAIT_COMPLETE:
		if (pdu->type == MESH_PROV_COMPLETE)
			return on_complete(p);
		break;
	default:
		break;
	}
	unexpected(p, pdu);
}

/* --- link callbacks ---------------------------------------------------- */

static int link_send(void *ctx, const uint8_t *pdu, size_t len)
{
	struct mesh_provisioner *p = ctx;

	return p->ops->send_pb_adv(p->ctx, pdu, len);
}

static void link_opened(void *ctx)
{
	struct mesh_provisioner *p = ctx;
	struct mesh_prov_event ev = { .type = MESH_PROV_EV_STARTED };
	struct mesh_prov_pdu invite = { .type = MESH_PROV_INVITE };

	if (p->state != PROV_OPENING)
		return;
	progress(p);
	p->session.attention_s = p->req.attention_s;
	invite.attention_s = p->req.attention_s;
	p->state = PROV_WAIT_CAPABILITIES;
	emit(p, &ev);
	if (p->state == PROV_WAIT_CAPABILITIES)
		send_pdu(p, &invite);
}

static void link_receive(void *ctx, const uint8_t *buf, size_t len)
{
	struct mesh_provisioner *p = ctx;
	struct mesh_prov_pdu pdu;
	int err;

	if (p->state == PROV_CLOSING || p->state == PROV_IDLE)
		return;
	progress(p);
	err = mesh_prov_pdu_parse(buf, len, &pdu);
	if (err) {
		session_fail(p, MESH_PROV_FAIL_LOCAL_ERROR, mesh_prov_parse_error(err),
			     MESH_PB_ADV_CLOSE_FAIL, "malformed %s PDU from the device: %s",
			     len ? mesh_prov_pdu_name(buf[0]) : "empty", mesh_strerror(err));
		return;
	}
	dispatch(p, &pdu);
}

static void link_closed(void *ctx, enum mesh_pb_adv_closed_why why, uint8_t reason)
{
	struct mesh_provisioner *p = ctx;

	p->link_gone = true;
	/* Our own Close went out (after success or a failure already
	 * reported): the provisioner is free again. */
	if (why == MESH_PB_ADV_CLOSED_LOCAL || p->state == PROV_CLOSING) {
		p->state = PROV_IDLE;
		return;
	}
	/* session_fail() goes idle before it reports, so a new session
	 * started from the FAILED event is not undone here. */
	switch (why) {
	case MESH_PB_ADV_CLOSED_OPEN_TIMEOUT:
		session_fail(p, MESH_PROV_FAIL_LINK_OPEN_TIMEOUT, 0, 0,
			     "the device did not answer the link open");
		break;
	case MESH_PB_ADV_CLOSED_TX_TIMEOUT:
		session_fail(p, MESH_PROV_FAIL_TRANSACTION_TIMEOUT, 0, 0,
			     "the device stopped acknowledging (no answer for %u s)",
			     MESH_PB_ADV_TRANSACTION_TIMEOUT_MS / 1000u);
		break;
	default:
		session_fail(p, MESH_PROV_FAIL_LINK_CLOSED, 0, 0,
			     "the device closed the link (reason %u)", reason);
		break;
	}
}

static const struct mesh_pb_adv_link_ops link_ops = {
	.send = link_send,
	.opened = link_opened,
	.receive = link_receive,
	.closed = link_closed,
};

static void protocol_timeout(struct mesh_timer *t)
{
	struct mesh_provisioner *p = MESH_CONTAINER_OF(t, struct mesh_provisioner, protocol_timer);

	session_fail(p, MESH_PROV_FAIL_PROTOCOL_TIMEOUT, 0, MESH_PB_ADV_CLOSE_TIMEOUT,
		     "no progress for %u s", MESH_PROV_PROTOCOL_TIMEOUT_MS / 1000u);
}

/* --- public API -------------------------------------------------------- */

int mesh_provisioner_create(struct mesh_provisioner **out, struct mesh_timers *timers,
			    const struct mesh_provisioner_ops *ops, void *ctx)
{
	struct mesh_provisioner *p;

	if (!ops || !ops->send_pb_adv || !ops->alloc_address || !ops->store_node)
		return MESH_ERR_INVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return MESH_ERR_NOMEM;
	p->ops = ops;
	p->ctx = ctx;
	p->timers = timers;
	mesh_timer_init(&p->protocol_timer, protocol_timeout);
	*out = p;
	return 0;
}

void mesh_provisioner_destroy(struct mesh_provisioner *p)
{
	if (!p)
		return;
	mesh_pb_adv_link_abort(&p->link);
	wipe_session(p);
	OPENSSL_cleanse(&p->req, sizeof(p->req));
	free(p);
}

static int check_request(const struct mesh_prov_request *req)
{
	if (req->method < MESH_PROV_METHOD_AUTO || req->method > MESH_PROV_METHOD_INPUT)
		return MESH_ERR_INVAL;
	if (req->static_oob_len != 0 && req->static_oob_len != 16 && req->static_oob_len != 32)
		return MESH_ERR_INVAL;
	if (req->net_idx > 0x0fff || (req->flags & ~(MESH_PROV_FLAG_KEY_REFRESH |
						     MESH_PROV_FLAG_IV_UPDATE)))
		return MESH_ERR_INVAL;
	return 0;
}

int mesh_provisioner_start(struct mesh_provisioner *p, const struct mesh_prov_request *req)
{
	uint8_t id[4];
	int err;

	if (p->state != PROV_IDLE)
		return MESH_ERR_BUSY;
	err = check_request(req);
	if (err)
		return err;
	if (!p->fixed_link_id) {
		err = prov_random(p, id, sizeof(id));
		if (err)
			return err;
		p->link_id = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
			     (uint32_t)id[2] << 8 | id[3];
	}
	p->req = *req;
	memset(&p->session, 0, sizeof(p->session));
	p->address = 0;
	p->link_gone = false;
	p->state = PROV_OPENING;
	err = mesh_pb_adv_link_open(&p->link, p->timers, p->link_id, req->uuid, &link_ops, p);
	if (err) {
		p->state = PROV_IDLE;
		wipe_session(p);
		return err;
	}
	/* The protocol timer starts with the link; until then the link
	 * establishment timer of PB-ADV is what gives up. */
	return 0;
}

int mesh_provisioner_cancel(struct mesh_provisioner *p, const char *why)
{
	if (p->state == PROV_IDLE || p->state == PROV_CLOSING)
		return MESH_ERR_NOT_FOUND;
	session_fail(p, MESH_PROV_FAIL_CANCELED, 0, MESH_PB_ADV_CLOSE_FAIL, "%s",
		     why ? why : "canceled");
	return 0;
}

static int static_from_hex(const char *text, uint8_t *out, uint8_t *len)
{
	size_t n = strlen(text);

	if (n != 32 && n != 64)
		return MESH_ERR_INVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(text + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", text[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", text[2 * i + 1]))
			return MESH_ERR_INVAL;
		out[i] = (uint8_t)v;
	}
	*len = (uint8_t)(n / 2);
	return 0;
}

int mesh_provisioner_oob_reply(struct mesh_provisioner *p, const char *value)
{
	const struct mesh_prov_start *st = &p->session.start;
	int err;

	if (p->state != PROV_WAIT_USER)
		return MESH_ERR_DOWN;
	if (!value)
		return MESH_ERR_INVAL;
	if (st->auth_method == MESH_PROV_AUTH_STATIC) {
		uint8_t raw[MESH_PROV_VALUE_MAX];
		uint8_t len = 0;

		err = static_from_hex(value, raw, &len);
		if (!err)
			err = mesh_prov_auth_from_static(st->algorithm, raw, len,
							 p->session.auth_value);
		OPENSSL_cleanse(raw, sizeof(raw));
	} else {
		err = mesh_prov_session_auth_text(&p->session, value);
	}
	if (err)
		return MESH_ERR_INVAL;
	progress(p);
	send_confirmation(p);
	return 0;
}

const char *mesh_provisioner_oob_hint(const struct mesh_provisioner *p)
{
	return p->state == PROV_WAIT_USER ? p->hint : "nothing is awaited";
}

void mesh_provisioner_pb_adv_receive(struct mesh_provisioner *p, const uint8_t *pdu, size_t len)
{
	if (p->state != PROV_IDLE)
		mesh_pb_adv_link_receive(&p->link, pdu, len);
}

bool mesh_provisioner_busy(const struct mesh_provisioner *p)
{
	return p->state != PROV_IDLE;
}

void mesh_provisioner_set_ecdh_key(struct mesh_provisioner *p, const struct mesh_ecdh_key *k)
{
	p->test_key = k;
}

void mesh_provisioner_set_link_id(struct mesh_provisioner *p, uint32_t link_id)
{
	p->fixed_link_id = true;
	p->link_id = link_id;
}

const char *mesh_prov_fail_reason_name(enum mesh_prov_fail_reason r)
{
	switch (r) {
	case MESH_PROV_FAIL_DEVICE_ERROR: return "device error";
	case MESH_PROV_FAIL_LOCAL_ERROR: return "protocol error";
	case MESH_PROV_FAIL_CONFIRMATION: return "confirmation failed";
	case MESH_PROV_FAIL_LINK_OPEN_TIMEOUT: return "link open timeout";
	case MESH_PROV_FAIL_TRANSACTION_TIMEOUT: return "transaction timeout";
	case MESH_PROV_FAIL_PROTOCOL_TIMEOUT: return "protocol timeout";
	case MESH_PROV_FAIL_LINK_CLOSED: return "link closed";
	case MESH_PROV_FAIL_CANCELED: return "canceled";
	case MESH_PROV_FAIL_NO_ADDRESS: return "no address";
	case MESH_PROV_FAIL_STORE: return "store failed";
	case MESH_PROV_FAIL_NOT_SUPPORTED: return "not supported";
	case MESH_PROV_FAIL_BAD_PUBLIC_KEY: return "bad public key";
	}
	return "unknown";
}
