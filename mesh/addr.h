/*
 * Mesh address types (Mesh Profile 3.4.2).
 *
 * 0x0000 unassigned, 0x0001-0x7fff unicast, 0x8000-0xbfff virtual,
 * 0xc000-0xffff group, of which 0xfffc-0xffff are the fixed groups.
 */
#ifndef MESH_ADDR_H
#define MESH_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#define MESH_ADDR_UNASSIGNED 0x0000
#define MESH_ADDR_ALL_PROXIES 0xfffc
#define MESH_ADDR_ALL_FRIENDS 0xfffd
#define MESH_ADDR_ALL_RELAYS 0xfffe
#define MESH_ADDR_ALL_NODES 0xffff

static inline bool mesh_addr_is_unassigned(uint16_t a)
{
	return a == MESH_ADDR_UNASSIGNED;
}

static inline bool mesh_addr_is_unicast(uint16_t a)
{
	return a != 0 && !(a & 0x8000);
}

static inline bool mesh_addr_is_virtual(uint16_t a)
{
	return (a & 0xc000) == 0x8000;
}

static inline bool mesh_addr_is_group(uint16_t a)
{
	return (a & 0xc000) == 0xc000;
}

/* The four fixed group addresses (proxies, friends, relays, all nodes). */
static inline bool mesh_addr_is_fixed_group(uint16_t a)
{
	return a >= MESH_ADDR_ALL_PROXIES;
}

/* Group address 0xff00-0xfffb: reserved for future use (RFU). */
static inline bool mesh_addr_is_rfu_group(uint16_t a)
{
	return a >= 0xff00 && a < MESH_ADDR_ALL_PROXIES;
}

#endif
