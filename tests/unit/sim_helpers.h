/* Building simulator scenarios in tests. */
#ifndef TEST_SIM_HELPERS_H
#define TEST_SIM_HELPERS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mesh/bearer/bearer.h"
#include "mesh/sim/scenario.h"
#include "mesh/sim/world.h"

/* Make d start provisioned at addr with one NetKey (index 0) and one
 * AppKey; its device key is derived from the address so each differs. */
static inline void sim_test_provision_node(struct sim_device_desc *d, uint16_t addr, bool relay,
					   const uint8_t net_key[16], uint16_t app_idx,
					   const uint8_t app_key[16])
{
	d->keys.provisioned = true;
	d->keys.address = addr;
	d->keys.net_idx = 0;
	memcpy(d->keys.net_key, net_key, 16);
	memset(d->keys.dev_key, (int)addr, 16);
	d->keys.n_app_keys = 1;
	d->keys.app_keys[0].app_idx = app_idx;
	memcpy(d->keys.app_keys[0].key, app_key, 16);
	if (relay)
		d->features |= SIM_FEAT_RELAY;
}

/* One advertising event a world observer saw on the air. */
struct sim_test_air {
	int from;
	uint8_t adv[MESH_ADV_DATA_MAX];
	size_t len;
};

/* Record an on_air observation in recs[*n] (ignored once max are held). */
static inline void sim_test_air_append(struct sim_test_air *recs, size_t *n, size_t max,
				       const struct sim_device *from, const uint8_t *adv,
				       size_t len)
{
	struct sim_test_air *a;

	if (*n >= max || len > sizeof(a->adv))
		return;
	a = &recs[(*n)++];
	a->from = from->index;
	memcpy(a->adv, adv, len);
	a->len = len;
}

#endif
