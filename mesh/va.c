/*
 * Virtual address Label UUID table (see va.h).
 *
 * Linear scans over a small array: a gateway subscribes to a handful of
 * labels, and a scan that touches every slot is cheaper than keeping a hash
 * index of a hash in step with reference counts.
 */
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "crypto.h"
#include "err.h"
#include "util.h"
#include "va.h"

void mesh_va_init(struct mesh_va_table *t)
{
	memset(t, 0, sizeof(*t));
}

static struct mesh_va *va_lookup(const struct mesh_va_table *t, const uint8_t *uuid)
{
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->va); i++) {
		const struct mesh_va *v = &t->va[i];

		if (v->ref && !memcmp(v->uuid, uuid, MESH_LABEL_UUID_LEN))
			return (struct mesh_va *)v;
	}
	return NULL;
}

const struct mesh_va *mesh_va_find(const struct mesh_va_table *t,
				   const uint8_t uuid[MESH_LABEL_UUID_LEN])
{
	return va_lookup(t, uuid);
}

int mesh_va_add(struct mesh_va_table *t, const uint8_t uuid[MESH_LABEL_UUID_LEN],
		uint16_t *addr)
{
	struct mesh_va *v = va_lookup(t, uuid);
	uint16_t va_addr;
	int err;

	if (v) {
		if (v->ref == UINT16_MAX)
			return MESH_ERR_FULL;
		v->ref++;
		if (addr)
			*addr = v->addr;
		return 0;
	}
	for (size_t i = 0; i < MESH_ARRAY_SIZE(t->va) && !v; i++)
		if (!t->va[i].ref)
			v = &t->va[i];
	if (!v)
		return MESH_ERR_FULL;
	err = mesh_virtual_address(uuid, &va_addr);
	if (err)
		return err;
	memcpy(v->uuid, uuid, MESH_LABEL_UUID_LEN);
	v->addr = va_addr;
	v->ref = 1;
	if (addr)
		*addr = va_addr;
	return 0;
}

int mesh_va_del(struct mesh_va_table *t, const uint8_t uuid[MESH_LABEL_UUID_LEN],
		uint16_t *addr)
{
	struct mesh_va *v = va_lookup(t, uuid);

	if (!v)
		return MESH_ERR_NOT_FOUND;
	if (addr)
		*addr = v->addr;
	if (--v->ref == 0)
		memset(v, 0, sizeof(*v));
	return 0;
}

const struct mesh_va *mesh_va_next(const struct mesh_va_table *t, uint16_t addr,
				   const struct mesh_va *prev)
{
	size_t i = prev ? (size_t)(prev - t->va) + 1 : 0;

	if (!mesh_addr_is_virtual(addr))
		return NULL;
	for (; i < MESH_ARRAY_SIZE(t->va); i++)
		if (t->va[i].ref && t->va[i].addr == addr)
			return &t->va[i];
	return NULL;
}
