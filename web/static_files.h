/*
 * The dashboard's files (everything under web/static): compiled into meshgate by
 * cmake/embed_dir.cmake, so nothing is needed on disk at run time. For
 * front-end work, MESHGATE_WEB_ROOT names a directory to serve them from
 * instead, read on every request (edit, reload the browser).
 */
#ifndef WEB_STATIC_FILES_H
#define WEB_STATIC_FILES_H

#include <stddef.h>
#include <stdint.h>

struct web_static_file {
	const char *path;             /* "/index.html", "/js/app.js" */
	const unsigned char *data;
	size_t len;
};

/* The generated table (web_static_files.c in the build directory). */
extern const struct web_static_file web_static_files[];
extern const size_t web_static_files_count;

/* The embedded file at path (from request.h's web_static_path_ok()), or NULL. */
const struct web_static_file *web_static_find(const char *path);

/*
 * The file at root + path into a malloc'd buffer: 0, -ENOENT (no such
 * regular file), -EFBIG (above max), or another negative errno. Symlinks
 * inside root are followed (a developer's checkout); path must have
 * passed web_static_path_ok(), so it cannot climb out of root.
 */
int web_static_read(const char *root, const char *path, size_t max, uint8_t **data, size_t *len);

/* The Content-Type for a file name by its extension; text types say UTF-8. */
const char *web_content_type(const char *path);

#endif
