/* AD type routing and network PDU transmission; see route.h. */
#include "route.h"

#include <string.h>

#include "mesh/err.h"

static int route_beacon(struct mesh_stack *stack, const struct mesh_adv_rx *rx,
			const struct mesh_adv_route_ops *ops, void *ctx)
{
	struct mesh_beacon_unprov unprov;
	int rc;

	if (rx->len == 0)
		return MESH_ERR_TRUNCATED;
	if (rx->payload[0] != MESH_BEACON_UNPROV)
		return stack ? mesh_stack_beacon_receive(stack, rx->payload, rx->len)
			     : MESH_ERR_NOT_FOUND;
	if (!ops || !ops->unprov_beacon)
		return MESH_ERR_NOT_FOUND;
	rc = mesh_beacon_unprov_parse(rx->payload, rx->len, &unprov);
	if (rc == 0)
		ops->unprov_beacon(ctx, &unprov, rx);
	return rc;
}

int mesh_adv_route(struct mesh_stack *stack, const struct mesh_adv_rx *rx,
		   const struct mesh_adv_route_ops *ops, void *ctx)
{
	switch (rx->ad_type) {
	case MESH_AD_TYPE_MESSAGE:
		return stack ? mesh_stack_net_receive(stack, rx->payload, rx->len)
			     : MESH_ERR_NOT_FOUND;
	case MESH_AD_TYPE_BEACON:
		return route_beacon(stack, rx, ops, ctx);
	case MESH_AD_TYPE_PB_ADV:
		if (!ops || !ops->pb_adv)
			return MESH_ERR_NOT_FOUND;
		ops->pb_adv(ctx, rx);
		return 0;
	}
	return MESH_ERR_NOT_FOUND;
}

int mesh_adv_send_network(struct mesh_bearer *b, const uint8_t *pdu, size_t len,
			  uint8_t transmit_state)
{
	struct mesh_adv_tx tx = {
		.ad_type = MESH_AD_TYPE_MESSAGE,
		.count = (uint8_t)mesh_transmit_count(transmit_state),
		.interval_ms = (uint16_t)mesh_transmit_interval_ms(transmit_state),
	};

	if (len == 0 || len > MESH_ADV_PAYLOAD_MAX)
		return len ? MESH_ERR_OVERSIZED : MESH_ERR_TRUNCATED;
	tx.len = (uint8_t)len;
	memcpy(tx.payload, pdu, len);
	return mesh_bearer_send(b, &tx);
}
