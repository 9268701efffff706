/* Log lines as JSON objects; see log_line.h. */
#include "gateway/log_line.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Length of the valid UTF-8 sequence at s, or 0 (checked like jansson
 * does: no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned int cp, n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (unsigned int i = 1; i < n; i++) {
		if ((s[i] & 0xc0u) != 0x80u)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* text as a JSON string, each byte that is not UTF-8 replaced by '?'. */
static json_t *json_text(const char *text)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	size_t len = strlen((const char *)s), o = 0;
	char *clean = malloc(len + 1);
	json_t *j;

	if (!clean)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(s + i);

		if (!n) {
			clean[o++] = '?';
			i++;
			continue;
		}
		memcpy(clean + o, s + i, n);
		o += n;
		i += n;
	}
	j = json_stringn(clean, o);
	free(clean);
	return j;
}

void gw_time_now_iso(char out[GW_TIME_ISO_LEN])
{
	struct timespec now;
	struct tm tm;
	char sec[24];

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, GW_TIME_ISO_LEN, "%s.%03ldZ", sec, now.tv_nsec / 1000000L);
}

json_t *gw_log_line_json(enum mesh_log_level level, const char *module, const char *message)
{
	char ts[GW_TIME_ISO_LEN];

	gw_time_now_iso(ts);
	return json_pack("{s:s,s:s,s:o*,s:o*}", "time", ts, "level", mesh_log_level_name(level),
			 "module", json_text(module), "message", json_text(message));
}

void gw_log_line_print_json(FILE *f, enum mesh_log_level level, const char *module,
			    const char *message)
{
	json_t *line = gw_log_line_json(level, module, message);
	char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;

	/* Without memory for JSON the line is still worth a plain one. */
	if (text)
		fprintf(f, "%s\n", text);
	else
		mesh_log_line_stderr(level, module, message);
	free(text);
	json_decref(line);
}
