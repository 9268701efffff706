/* Provisioning service of the gateway core: mesh Provisioner + bearer + network database. */
#include "gateway/provisioning.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mesh/err.h"
#include "mesh/log.h"

#define LOG "provisioning"

struct gw_provisioning {
	struct mesh_timers *timers;
	struct mesh_bearer *bearer;
	struct netdb *db;
	const struct gw_prov_ops *ops;
	void *ctx;
	struct mesh_provisioner *prov;
	struct mesh_prov_scan scan;
	uint8_t session_uuid[16];
};

static void emit(struct gw_provisioning *gp, const struct gw_prov_event *ev)
{
	if (gp->ops && gp->ops->event)
		gp->ops->event(gp->ctx, ev);
}

/* --- Provisioner callbacks -------------------------------------------- */

static int send_pb_adv(void *ctx, const uint8_t *pdu, size_t len)
{
	struct gw_provisioning *gp = ctx;
	struct mesh_adv_tx tx = {
		.ad_type = MESH_AD_TYPE_PB_ADV,
		.len = (uint8_t)len,
		.count = GW_PROV_ADV_COUNT,
		.interval_ms = GW_PROV_ADV_INTERVAL_MS,
	};

	if (len == 0 || len > sizeof(tx.payload))
		return MESH_ERR_INVAL;
	memcpy(tx.payload, pdu, len);
	return mesh_bearer_send(gp->bearer, &tx);
}

static void session_event(void *ctx, const struct mesh_prov_event *mev)
{
	struct gw_provisioning *gp = ctx;
	struct gw_prov_event ev = { .type = GW_PROV_EV_SESSION, .session = mev };

	if (mev->type == MESH_PROV_EV_COMPLETE)
		mesh_prov_scan_forget(&gp->scan, mev->uuid);
	emit(gp, &ev);
}

static uint32_t current_iv_index(struct gw_provisioning *gp, uint8_t *flags)
{
	uint8_t unused;

	if (!flags)
		flags = &unused;
	*flags = 0;
	return gp->ops && gp->ops->iv_index ? gp->ops->iv_index(gp->ctx, flags) : 0;
}

static int alloc_address(void *ctx, const uint8_t uuid[16], uint8_t n, uint16_t *address)
{
	struct gw_provisioning *gp = ctx;
	int err;

	(void)uuid;
	err = netdb_alloc_unicast(gp->db, n, current_iv_index(gp, NULL), address);
	if (err)
		mesh_log_warn(LOG, "no free unicast range of %u address(es) in meshgate's ranges", n);
	return err ? MESH_ERR_FULL : 0;
}

/*
 * Durable before success. If the save fails the device is a node all the
 * same (it sent Complete and holds the network key), so the node stays in
 * the database in memory, where its addresses cannot be handed out again,
 * and goes to disk with the next save that works; the session still
 * reports the failure.
 */
static int store_node(void *ctx, const struct mesh_prov_node *node)
{
	struct gw_provisioning *gp = ctx;
	char why[256];
	int err;

	err = netdb_add_node(gp->db, node->uuid, node->address, node->n_elements, node->dev_key,
			     node->net_idx);
	if (err) {
		mesh_log_error(LOG, "cannot add node 0x%04x: %s", node->address, strerror(-err));
		return MESH_ERR_IO;
	}
	err = netdb_save(gp->db, why, sizeof(why));
	if (err) {
		mesh_log_error(LOG, "node 0x%04x is provisioned but the network database cannot be "
			       "saved (%s); it is kept in memory and saved with the next change",
			       node->address, why);
		return MESH_ERR_IO;
	}
	return 0;
}

static const struct mesh_provisioner_ops provisioner_ops = {
	.send_pb_adv = send_pb_adv,
	.event = session_event,
	.alloc_address = alloc_address,
	.store_node = store_node,
};

/* --- discovery --------------------------------------------------------- */

static void scan_discovered(void *ctx, const struct mesh_prov_scan_entry *e)
{
	struct gw_provisioning *gp = ctx;
	struct gw_prov_event ev = { .type = GW_PROV_EV_DISCOVERED, .device = e };

	emit(gp, &ev);
}

static void scan_closed(void *ctx)
{
	struct gw_provisioning *gp = ctx;
	struct gw_prov_event ev = { .type = GW_PROV_EV_SCAN_CLOSED };

	emit(gp, &ev);
}

static const struct mesh_prov_scan_ops scan_ops = {
	.discovered = scan_discovered,
	.closed = scan_closed,
};

/* --- API ---------------------------------------------------------------- */

int gw_prov_create(struct gw_provisioning **out, struct mesh_timers *timers,
		   struct mesh_bearer *bearer, struct netdb *db, const struct gw_prov_ops *ops,
		   void *ctx)
{
	struct gw_provisioning *gp = calloc(1, sizeof(*gp));

	if (!gp)
		return -ENOMEM;
	gp->timers = timers;
	gp->bearer = bearer;
	gp->db = db;
	gp->ops = ops;
	gp->ctx = ctx;
	if (mesh_provisioner_create(&gp->prov, timers, &provisioner_ops, gp)) {
		free(gp);
		return -ENOMEM;
	}
	mesh_prov_scan_init(&gp->scan, timers, &scan_ops, gp);
	*out = gp;
	return 0;
}

void gw_prov_destroy(struct gw_provisioning *gp)
{
	if (!gp)
		return;
	mesh_timer_stop(gp->timers, &gp->scan.window);
	mesh_provisioner_destroy(gp->prov);
	free(gp);
}

int gw_prov_scan(struct gw_provisioning *gp, unsigned int seconds)
{
	if (seconds == 0)
		seconds = GW_PROV_SCAN_DEFAULT_S;
	if (seconds > 24u * 3600u)
		return -EINVAL;
	return mesh_prov_scan_open(&gp->scan, seconds * 1000u) ? -EINVAL : 0;
}

void gw_prov_scan_stop(struct gw_provisioning *gp)
{
	mesh_prov_scan_close(&gp->scan);
}

const struct mesh_prov_scan *gw_prov_discovered(const struct gw_provisioning *gp)
{
	return &gp->scan;
}

static int fill_request(struct gw_provisioning *gp, const struct gw_prov_params *params,
			struct mesh_prov_request *req, char *err, size_t errlen)
{
	const struct netdb_net_key *nk = netdb_net_key(gp->db, 0);

	if (!nk) {
		snprintf(err, errlen, "the network has no primary network key (index 0)");
		return -ENOENT;
	}
	if (params->static_oob_len && params->static_oob_len != 16 &&
	    params->static_oob_len != 32) {
		snprintf(err, errlen, "static_oob: must be 16 or 32 octets (32 or 64 hex digits)");
		return -EINVAL;
	}
	if (params->method < MESH_PROV_METHOD_AUTO || params->method > MESH_PROV_METHOD_INPUT) {
		snprintf(err, errlen, "method: unknown authentication method %d", params->method);
		return -EINVAL;
	}
	memset(req, 0, sizeof(*req));
	memcpy(req->uuid, params->uuid, 16);
	req->attention_s = params->attention_s;
	req->method = params->method;
	req->algorithms = params->algorithms;
	req->static_oob_len = params->static_oob_len;
	memcpy(req->static_oob, params->static_oob, params->static_oob_len);
	if (!req->static_oob_len && gp->ops && gp->ops->static_oob)
		req->static_oob_len = (uint8_t)gp->ops->static_oob(gp->ctx, params->uuid,
								   req->static_oob);
	req->has_oob_public_key = params->has_oob_public_key;
	memcpy(req->oob_public_key, params->oob_public_key, sizeof(req->oob_public_key));
	req->net_idx = 0;
	req->iv_index = current_iv_index(gp, &req->flags);
	/* During a key refresh the Provisioning Data can carry only one key:
	 * in phase 1 the network still sends with the old one (the node gets
	 * the new one by NetKey Update like every other node); in phase 2 the
	 * new one, flagged so the node knows the refresh is on. */
	if (nk->phase == 1 && nk->has_old_key) {
		memcpy(req->net_key, nk->old_key, 16);
	} else {
		memcpy(req->net_key, nk->key, 16);
		if (nk->phase == 2)
			req->flags |= MESH_PROV_FLAG_KEY_REFRESH;
	}
	return 0;
}

int gw_prov_start(struct gw_provisioning *gp, const struct gw_prov_params *params, char *err,
		  size_t errlen)
{
	struct mesh_prov_request req;
	int rc;

	if (mesh_provisioner_busy(gp->prov)) {
		snprintf(err, errlen, "another device is being provisioned");
		return -EBUSY;
	}
	if (netdb_node_by_uuid(gp->db, params->uuid)) {
		snprintf(err, errlen, "this device is already a node of the network");
		return -EEXIST;
	}
	rc = fill_request(gp, params, &req, err, errlen);
	if (rc)
		return rc;
	rc = mesh_provisioner_start(gp->prov, &req);
	OPENSSL_cleanse(&req, sizeof(req));
	if (rc) {
		snprintf(err, errlen, "cannot start provisioning: %s", mesh_strerror(rc));
		return rc == MESH_ERR_BUSY ? -EBUSY : -EINVAL;
	}
	memcpy(gp->session_uuid, params->uuid, 16);
	return 0;
}

int gw_prov_oob(struct gw_provisioning *gp, const char *value, char *err, size_t errlen)
{
	int rc = mesh_provisioner_oob_reply(gp->prov, value);

	if (rc == MESH_ERR_DOWN) {
		snprintf(err, errlen, "no provisioning session is waiting for an OOB value");
		return -EALREADY;
	}
	if (rc) {
		snprintf(err, errlen, "the value must be %s", mesh_provisioner_oob_hint(gp->prov));
		return -EINVAL;
	}
	return 0;
}

int gw_prov_cancel(struct gw_provisioning *gp, const char *why)
{
	return mesh_provisioner_cancel(gp->prov, why) ? -ENOENT : 0;
}

bool gw_prov_busy(const struct gw_provisioning *gp)
{
	return mesh_provisioner_busy(gp->prov);
}

void gw_prov_unprov_beacon(struct gw_provisioning *gp, const struct mesh_beacon_unprov *b,
			   const struct mesh_adv_rx *rx)
{
	/* Nodes already in the network that still beacon were reset or lost
	 * their keys; the user sees them again only after removing them. */
	if (netdb_node_by_uuid(gp->db, b->uuid))
		return;
	mesh_prov_scan_beacon(&gp->scan, b, rx->rssi);
}

void gw_prov_pb_adv(struct gw_provisioning *gp, const struct mesh_adv_rx *rx)
{
	mesh_provisioner_pb_adv_receive(gp->prov, rx->payload, rx->len);
}

struct mesh_provisioner *gw_prov_provisioner(struct gw_provisioning *gp)
{
	return gp->prov;
}
