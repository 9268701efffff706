/*
 * Logging for the mesh library and its bearers.
 *
 * The library never decides where log lines go: the program installs a sink
 * (the gateway its configured logger, tests a capture buffer that asserts a
 * recovery was logged). Without a sink, lines go to stderr. Each module logs
 * under its own short component name ("hci", "uart", "sim").
 *
 * Never pass key material to these functions.
 */
#ifndef MESH_LOG_H
#define MESH_LOG_H

#include <stdarg.h>

enum mesh_log_level {
	MESH_LOG_ERROR = 0,
	MESH_LOG_WARN = 1,
	MESH_LOG_INFO = 2,
	MESH_LOG_DEBUG = 3,
};

typedef void (*mesh_log_sink_fn)(void *ctx, enum mesh_log_level level,
				 const char *component, const char *message);

/* fn NULL restores the stderr sink. */
void mesh_log_set_sink(mesh_log_sink_fn fn, void *ctx);
/* Lines above max are dropped before formatting (default MESH_LOG_INFO). */
void mesh_log_set_level(enum mesh_log_level max);
enum mesh_log_level mesh_log_get_level(void);

/* "error", "warn", "info", "debug". */
const char *mesh_log_level_name(enum mesh_log_level level);

/* What the default sink writes: "HH:MM:SS.mmm level component: message"
 * on stderr, local time. For sinks that also write lines there. */
void mesh_log_line_stderr(enum mesh_log_level level, const char *component, const char *message);

void mesh_log(enum mesh_log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mesh_vlog(enum mesh_log_level level, const char *component, const char *fmt,
	       va_list ap);

#define mesh_log_error(comp, ...) mesh_log(MESH_LOG_ERROR, comp, __VA_ARGS__)
#define mesh_log_warn(comp, ...) mesh_log(MESH_LOG_WARN, comp, __VA_ARGS__)
#define mesh_log_info(comp, ...) mesh_log(MESH_LOG_INFO, comp, __VA_ARGS__)
#define mesh_log_debug(comp, ...) mesh_log(MESH_LOG_DEBUG, comp, __VA_ARGS__)

#endif
