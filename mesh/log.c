/* Log sink indirection; see log.h. */
#include "log.h"

#include <stdio.h>
#include <time.h>

static mesh_log_sink_fn log_sink;
static void *log_sink_ctx;
static enum mesh_log_level log_max = MESH_LOG_INFO;

void mesh_log_set_sink(mesh_log_sink_fn fn, void *ctx)
{
	log_sink = fn;
	log_sink_ctx = ctx;
}

void mesh_log_set_level(enum mesh_log_level max)
{
	log_max = max;
}

enum mesh_log_level mesh_log_get_level(void)
{
	return log_max;
}

const char *mesh_log_level_name(enum mesh_log_level level)
{
	switch (level) {
	case MESH_LOG_ERROR: return "error";
	case MESH_LOG_WARN: return "warn";
	case MESH_LOG_INFO: return "info";
	case MESH_LOG_DEBUG: return "debug";
	}
	return "?";
}

void mesh_log_line_stderr(enum mesh_log_level level, const char *component, const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32] = "";

	clock_gettime(CLOCK_REALTIME, &ts);
	if (localtime_r(&ts.tv_sec, &tm))
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %-5s %s: %s\n", stamp, ts.tv_nsec / 1000000L,
		mesh_log_level_name(level), component, msg);
}

void mesh_vlog(enum mesh_log_level level, const char *component, const char *fmt, va_list ap)
{
	char msg[512];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_sink)
		log_sink(log_sink_ctx, level, component, msg);
	else
		mesh_log_line_stderr(level, component, msg);
}

void mesh_log(enum mesh_log_level level, const char *component, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mesh_vlog(level, component, fmt, ap);
	va_end(ap);
}
