/*
 * One log line as JSON: {"time","level","module","message"}, the shape of
 * the WebSocket API's log notifications and of `log.format: json` output
 * (one object per line, for journald, Loki and the like).
 */
#ifndef GATEWAY_LOG_LINE_H
#define GATEWAY_LOG_LINE_H

#include <stdio.h>

#include <jansson.h>

#include "mesh/log.h"

#define GW_TIME_ISO_LEN 40

/* Now, UTC, with milliseconds: "2026-11-21T10:00:00.123Z". */
void gw_time_now_iso(char out[GW_TIME_ISO_LEN]);

/* time is UTC with milliseconds ("2026-11-21T10:00:00.123Z"); octets of
 * module or message that are not UTF-8 become '?'. NULL without memory. */
json_t *gw_log_line_json(enum mesh_log_level level, const char *module, const char *message);

/* The line as one compact JSON object and a newline on f. */
void gw_log_line_print_json(FILE *f, enum mesh_log_level level, const char *module,
			    const char *message);

#endif
