/*
 * Virtual address Label UUID table (Mesh Profile 3.4.2.3).
 *
 * A virtual address is only a 14-bit hash of a 128-bit Label UUID, so several
 * labels may share one address. The network layer only sees the address; the
 * upper transport must try every label that hashes to it as CCM additional
 * data and let the TransMIC pick the right one. This table keeps the labels
 * the node uses (subscriptions, publications, tool configuration) with a
 * reference count, since several models may subscribe to the same label.
 *
 * The table is a fixed array owned by the caller: nothing is allocated.
 */
#ifndef MESH_VA_H
#define MESH_VA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MESH_VA_MAX 32

#define MESH_LABEL_UUID_LEN 16

struct mesh_va {
	uint8_t uuid[MESH_LABEL_UUID_LEN];
	uint16_t addr;  /* 0x8000 | (hash & 0x3fff) */
	uint16_t ref;   /* 0: slot unused */
};

struct mesh_va_table {
	struct mesh_va va[MESH_VA_MAX];
};

void mesh_va_init(struct mesh_va_table *t);

/*
 * Add a reference to label; the first one stores it and computes its virtual
 * address. addr (may be NULL) receives the address. MESH_ERR_FULL when no
 * slot is left or the reference count would overflow.
 */
int mesh_va_add(struct mesh_va_table *t, const uint8_t uuid[MESH_LABEL_UUID_LEN],
		uint16_t *addr);

/*
 * Drop a reference to label; the last one frees its slot. addr (may be NULL)
 * receives the label's address. MESH_ERR_NOT_FOUND if it is not stored.
 */
int mesh_va_del(struct mesh_va_table *t, const uint8_t uuid[MESH_LABEL_UUID_LEN],
		uint16_t *addr);

/* The entry holding this label, or NULL. */
const struct mesh_va *mesh_va_find(const struct mesh_va_table *t,
				   const uint8_t uuid[MESH_LABEL_UUID_LEN]);

/*
 * Iterate over the labels whose virtual address is addr:
 *	for (v = mesh_va_next(t, addr, NULL); v; v = mesh_va_next(t, addr, v))
 */
const struct mesh_va *mesh_va_next(const struct mesh_va_table *t, uint16_t addr,
				   const struct mesh_va *prev);

#endif
