/* Generic and light model client (see model_cli.h). */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "model_cli.h"
#include "util.h"

/* An unacknowledged Set waiting for its next copy. */
struct repeat {
	struct mesh_timer timer;
	struct mesh_model_cli *cli;
	struct mesh_acked_send send;
	uint8_t label[MESH_LABEL_UUID_LEN];
	uint8_t payload[MESH_ACCESS_MAX_PAYLOAD];
	uint8_t left;
	uint32_t interval_ms;
	struct repeat *next;
};

struct tid_slot {
	bool used;
	uint16_t src;
	uint8_t next;
};

struct mesh_model_cli {
	struct mesh_model_cli_config cfg;
	struct tid_slot tids[MESH_MODEL_CLI_TID_SLOTS];
	struct repeat *repeats;
};

struct mesh_model_cli *mesh_model_cli_create(const struct mesh_model_cli_config *cfg)
{
	struct mesh_model_cli *c;

	if (!cfg || !cfg->timers || !cfg->acked || !cfg->send)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c)
		c->cfg = *cfg;
	return c;
}

static void repeat_free(struct mesh_model_cli *c, struct repeat *r)
{
	for (struct repeat **p = &c->repeats; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	mesh_timer_stop(c->cfg.timers, &r->timer);
	free(r);
}

void mesh_model_cli_destroy(struct mesh_model_cli *c)
{
	if (!c)
		return;
	while (c->repeats)
		repeat_free(c, c->repeats);
	free(c);
}

uint8_t mesh_model_cli_next_tid(struct mesh_model_cli *c, uint16_t src)
{
	struct tid_slot *slot = NULL;

	for (unsigned int i = 0; i < MESH_ARRAY_SIZE(c->tids) && !slot; i++)
		if (c->tids[i].used && c->tids[i].src == src)
			slot = &c->tids[i];
	for (unsigned int i = 0; i < MESH_ARRAY_SIZE(c->tids) && !slot; i++)
		if (!c->tids[i].used)
			slot = &c->tids[i];
	if (!slot) {
		/* More elements than slots: share the last one; TIDs still
		 * change from one transaction to the next. */
		slot = &c->tids[MESH_ARRAY_SIZE(c->tids) - 1];
	}
	if (!slot->used) {
		slot->used = true;
		slot->src = src;
		slot->next = c->cfg.tid_seed;
	}
	return slot->next++;
}

static int encode_new_transaction(struct mesh_model_cli *c, uint16_t src,
				  struct mesh_model_msg *msg, uint8_t *out, size_t max)
{
	if (mesh_model_has_tid(msg->opcode))
		msg->tid = mesh_model_cli_next_tid(c, src);
	return mesh_model_msg_encode(msg, out, max);
}

int mesh_model_cli_request(struct mesh_model_cli *c, const struct mesh_model_cli_dst *d,
			   struct mesh_model_msg *msg, uint32_t timeout_ms, uint8_t retries,
			   mesh_model_cli_done done, void *ctx, struct mesh_acked_req **out)
{
	const struct mesh_model_layout *l = msg ? mesh_model_layout(msg->opcode) : NULL;
	uint8_t buf[MESH_ACCESS_MAX_PAYLOAD];
	struct mesh_acked_params p;
	int len;

	if (!c || !d || !l || (l->kind != MESH_MSG_GET && l->kind != MESH_MSG_SET))
		return MESH_ERR_INVAL;
	len = encode_new_transaction(c, d->src, msg, buf, sizeof(buf));
	if (len < 0)
		return len;
	memset(&p, 0, sizeof(p));
	p.net_idx = d->net_idx;
	p.src = d->src;
	p.dst = d->dst;
	p.label_uuid = d->label_uuid;
	p.app_idx = d->app_idx;
	p.ttl = d->ttl;
	p.payload = buf;   /* copied by the engine: every retry sends these octets */
	p.len = (size_t)len;
	p.status_opcode = l->status;
	p.timeout_ms = timeout_ms;
	p.retries = retries;
	p.done = done;
	p.ctx = ctx;
	return mesh_acked_request(c->cfg.acked, &p, out);
}

static int repeat_send(struct mesh_model_cli *c, const struct mesh_acked_send *s)
{
	return c->cfg.send(c->cfg.ctx, s);
}

static void repeat_fire(struct mesh_timer *t)
{
	struct repeat *r = MESH_CONTAINER_OF(t, struct repeat, timer);
	struct mesh_model_cli *c = r->cli;

	/* A lost copy is what the repeats are for: go on with the next. */
	(void)repeat_send(c, &r->send);
	if (--r->left == 0) {
		repeat_free(c, r);
		return;
	}
	mesh_timer_start(c->cfg.timers, &r->timer, r->interval_ms);
}

static int repeat_schedule(struct mesh_model_cli *c, const struct mesh_acked_send *s,
			   uint8_t repeats, uint32_t interval_ms)
{
	struct repeat *r = calloc(1, sizeof(*r));

	if (!r)
		return MESH_ERR_NOMEM;
	r->cli = c;
	r->send = *s;
	memcpy(r->payload, s->payload, s->len);
	r->send.payload = r->payload;
	if (s->label_uuid) {
		memcpy(r->label, s->label_uuid, sizeof(r->label));
		r->send.label_uuid = r->label;
	}
	r->left = repeats;
	r->interval_ms = interval_ms;
	mesh_timer_init(&r->timer, repeat_fire);
	r->next = c->repeats;
	c->repeats = r;
	mesh_timer_start(c->cfg.timers, &r->timer, interval_ms);
	return 0;
}

int mesh_model_cli_set_unack(struct mesh_model_cli *c, const struct mesh_model_cli_dst *d,
			     struct mesh_model_msg *msg, uint8_t repeats, uint32_t interval_ms)
{
	uint8_t buf[MESH_ACCESS_MAX_PAYLOAD];
	struct mesh_acked_send s;
	uint32_t unack;
	int len, rc;

	if (!c || !d || !msg)
		return MESH_ERR_INVAL;
	unack = mesh_model_unack_opcode(msg->opcode);
	if (!unack)
		return MESH_ERR_INVAL;
	msg->opcode = unack;
	len = encode_new_transaction(c, d->src, msg, buf, sizeof(buf));
	if (len < 0)
		return len;
	memset(&s, 0, sizeof(s));
	s.net_idx = d->net_idx;
	s.src = d->src;
	s.dst = d->dst;
	s.label_uuid = d->label_uuid;
	s.app_idx = d->app_idx;
	s.ttl = d->ttl;
	s.payload = buf;
	s.len = (size_t)len;
	rc = repeat_send(c, &s);
	if (rc == 0 && repeats)
		rc = repeat_schedule(c, &s, repeats, interval_ms);
	return rc;
}

unsigned int mesh_model_cli_pending(const struct mesh_model_cli *c)
{
	unsigned int n = 0;

	for (const struct repeat *r = c->repeats; r; r = r->next)
		n += r->left;
	return n;
}
