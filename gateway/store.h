/*
 * Durable, atomic file replacement for state that must survive a crash or
 * a power cut at any instant (the network database, runtime state).
 *
 * store_write() replaces path with data so that, whatever moment the
 * process or machine dies at, path afterwards holds either the complete
 * old content or the complete new content:
 *   1. write path.tmp (created with `mode`, O_NOFOLLOW), fsync it;
 *   2. if asked, keep the current file as path.bak (hard link to
 *      path.bak.tmp, rename over path.bak);
 *   3. rename path.tmp over path, fsync the directory.
 */
#ifndef GATEWAY_STORE_H
#define GATEWAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Negative errno; err (errlen octets) names the file and the step that
 * failed ("/data/mesh.json.tmp: fsync: No space left on device"). */
int store_write(const char *path, const void *data, size_t len, mode_t mode, bool keep_backup,
		char *err, size_t errlen);

/*
 * Read a whole file (at most max_len octets) into a malloc'd, NUL-terminated
 * buffer. -ENOENT if it does not exist, -EFBIG above max_len, other
 * negative errno; err names the file. Refuses a symlink (O_NOFOLLOW).
 */
int store_read(const char *path, size_t max_len, char **data, size_t *len, char *err,
	       size_t errlen);

/* mkdir -p with mode for the last component (existing directories are
 * left as they are). Negative errno. */
int store_mkdir(const char *dir, mode_t mode);

#endif
