/* Small language helpers shared by the mesh core. */
#ifndef MESH_UTIL_H
#define MESH_UTIL_H

#include <stddef.h>

#define MESH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The struct that embeds `ptr` as its member `member`. */
#define MESH_CONTAINER_OF(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
