/*
 * Durable, atomic file replacement (store.h) for the network database and
 * the runtime state: the files whose loss or tearing would cost a user
 * their mesh (keys, addresses) or get meshgate's messages rejected as
 * replays (IV index, SEQ).
 *
 * The recipe, and what each step protects against:
 *   - the new content goes to path.tmp, never into path itself, so a crash
 *     mid-write leaves path whole;
 *   - path.tmp is fsync'd before it is renamed, or after a power cut the
 *     rename could be on disk while the data is not (an empty mesh.json);
 *   - rename() replaces path in one step: readers see old or new, never a
 *     mixture;
 *   - the directory is fsync'd so the rename itself survives a power cut;
 *   - the previous version is kept as path.bak through a hard link, which
 *     costs no copy and is itself swapped in by rename, so path.bak is
 *     always some complete earlier version too.
 * Leftovers of a crash (path.tmp, path.bak.tmp) are removed by the next
 * write; no reader ever looks at them. That assumes one writer per path,
 * which holds as meshgate owns its data directory alone.
 *
 * Error messages are built with strerror_r: saving blocks on fsync, so
 * callers may well run it on a worker thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

#define TMP_SUFFIX ".tmp"
#define BAK_SUFFIX ".bak"
#define BAK_TMP_SUFFIX ".bak.tmp"

/* Mode of directories store_mkdir() creates on the way to the last one. */
#define STORE_PARENT_DIR_MODE 0755

/* "FILE: STEP: strerror(-rc)" into err; returns rc. */
static int fail(int rc, char *err, size_t errlen, const char *file, const char *step)
{
	char reason[128];

	if (!err || !errlen)
		return rc;
	if (strerror_r(-rc, reason, sizeof(reason)) != 0)
		snprintf(reason, sizeof(reason), "error %d", -rc);
	snprintf(err, errlen, "%s: %s: %s", file, step, reason);
	return rc;
}

static int fail_msg(int rc, char *err, size_t errlen, const char *file, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", file, what);
	return rc;
}

/* malloc'd path followed by suffix, NULL when out of memory. */
static char *path_with_suffix(const char *path, const char *suffix)
{
	size_t plen = strlen(path), slen = strlen(suffix);
	char *out = malloc(plen + slen + 1);

	if (out) {
		memcpy(out, path, plen);
		memcpy(out + plen, suffix, slen + 1);
	}
	return out;
}

/* malloc'd directory part of path ("." for a bare file name). */
static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len;
	char *out;

	if (!slash)
		return strdup(".");
	/* "/x" lives in "/", and "a//b" in "a" */
	while (slash > path && slash[-1] == '/')
		slash--;
	len = slash == path ? 1 : (size_t)(slash - path);
	out = malloc(len + 1);
	if (out) {
		memcpy(out, path, len);
		out[len] = '\0';
	}
	return out;
}

/* Remove a leftover of an earlier crash; its absence is fine. */
static int remove_stale(const char *path, char *err, size_t errlen)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return fail(-errno, err, errlen, path, "remove stale file");
	return 0;
}

/* Write all len octets, through signals and short writes. */
static int write_all(int fd, const uint8_t *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* A regular file that takes nothing is full in all but name;
		 * looping on it would spin forever. */
		if (n == 0)
			return -EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_retrying(int fd)
{
	while (fsync(fd) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * Create tmp (it must not exist: O_EXCL also refuses any symlink planted
 * there) with exactly `mode`, write data and make it durable.
 */
static int write_tmp(const char *tmp, const void *data, size_t len, mode_t mode, char *err,
		     size_t errlen)
{
	int fd, rc;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return fail(-errno, err, errlen, tmp, "create");
	/* The umask may have narrowed the mode (a 0640 file the group must
	 * read) and the file must never be wider than asked for: set it
	 * exactly. Done before the data goes in. */
	if (fchmod(fd, mode) < 0) {
		rc = fail(-errno, err, errlen, tmp, "chmod");
		goto close_fd;
	}
	rc = write_all(fd, data, len);
	if (rc < 0) {
		fail(rc, err, errlen, tmp, "write");
		goto close_fd;
	}
	rc = fsync_retrying(fd);
	if (rc < 0)
		fail(rc, err, errlen, tmp, "fsync");
close_fd:
	/* Linux closes the descriptor even when close() reports EINTR. */
	if (close(fd) < 0 && errno != EINTR && rc == 0)
		rc = fail(-errno, err, errlen, tmp, "close");
	return rc;
}

/*
 * Make path.bak the current path: a hard link under a temporary name,
 * renamed over the old backup so path.bak is never missing or partial.
 * Nothing to keep when path does not exist yet.
 */
static int keep_previous(const char *path, char *err, size_t errlen)
{
	char *bak = path_with_suffix(path, BAK_SUFFIX);
	char *bak_tmp = path_with_suffix(path, BAK_TMP_SUFFIX);
	int rc = 0;

	if (!bak || !bak_tmp) {
		rc = fail(-ENOMEM, err, errlen, path, "backup");
		goto done;
	}
	rc = remove_stale(bak_tmp, err, errlen);
	if (rc < 0)
		goto done;
	if (link(path, bak_tmp) < 0) {
		if (errno != ENOENT)
			rc = fail(-errno, err, errlen, bak_tmp, "link for backup");
		goto done;
	}
	if (rename(bak_tmp, bak) < 0)
		rc = fail(-errno, err, errlen, bak, "rename backup into place");
	/* Normally gone with the rename; but when a crash fell between the two
	 * renames of the last save, path and path.bak are one file, rename()
	 * of one link over another of the same file does nothing, and
	 * path.bak.tmp would stay. */
	unlink(bak_tmp);
done:
	free(bak);
	free(bak_tmp);
	return rc;
}

/* Make the renames in dir durable. */
static int sync_dir(const char *path, char *err, size_t errlen)
{
	char *dir = parent_dir(path);
	int fd, rc = 0;

	if (!dir)
		return fail(-ENOMEM, err, errlen, path, "fsync directory");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = fail(-errno, err, errlen, dir, "open directory for fsync");
		goto done;
	}
	rc = fsync_retrying(fd);
	if (rc < 0)
		fail(rc, err, errlen, dir, "fsync directory");
	close(fd);
done:
	free(dir);
	return rc;
}

int store_write(const char *path, const void *data, size_t len, mode_t mode, bool keep_backup,
		char *err, size_t errlen)
{
	char *tmp;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!path || !*path || (!data && len))
		return fail_msg(-EINVAL, err, errlen, path ? path : "(null)", "invalid arguments");
	tmp = path_with_suffix(path, TMP_SUFFIX);
	if (!tmp)
		return fail(-ENOMEM, err, errlen, path, "save");

	rc = remove_stale(tmp, err, errlen);
	if (rc < 0)
		goto done;
	rc = write_tmp(tmp, data, len, mode, err, errlen);
	if (rc < 0)
		goto remove_tmp;
	if (keep_backup) {
		rc = keep_previous(path, err, errlen);
		if (rc < 0)
			goto remove_tmp;
	}
	if (rename(tmp, path) < 0) {
		rc = fail(-errno, err, errlen, path, "rename new version into place");
		goto remove_tmp;
	}
	/* path now holds the new version whatever happens next; a failure
	 * here only means a power cut could still undo the rename. */
	rc = sync_dir(path, err, errlen);
	goto done;

remove_tmp:
	unlink(tmp);
done:
	free(tmp);
	return rc;
}

/* --- reading ------------------------------------------------------------ */

/* Read to end of file, at most max_len octets (-EFBIG beyond). */
static int read_bounded(int fd, size_t size_hint, size_t max_len, char **out, size_t *out_len)
{
	size_t cap, len = 0;
	char *buf;

	/* No file we keep comes near this; it keeps max_len + 2 from wrapping. */
	if (max_len > SIZE_MAX / 4)
		max_len = SIZE_MAX / 4;
	cap = (size_hint < max_len ? size_hint : max_len) + 1;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		/* Always keep room for the NUL, and read one octet past
		 * max_len so a file that grew since fstat is noticed. */
		if (len + 1 == cap) {
			size_t grown = cap * 2 > max_len + 2 ? max_len + 2 : cap * 2;
			char *p;

			if (grown <= cap) {
				free(buf);
				return -EFBIG;
			}
			p = realloc(buf, grown);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap = grown;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max_len) {
			free(buf);
			return -EFBIG;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

int store_read(const char *path, size_t max_len, char **data, size_t *len, char *err,
	       size_t errlen)
{
	struct stat st;
	int fd, rc;

	*data = NULL;
	*len = 0;
	if (err && errlen)
		err[0] = '\0';
	/* O_NONBLOCK: a FIFO planted at path must not hang the daemon on
	 * open; it has no effect on regular files. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return fail_msg(-ELOOP, err, errlen, path,
					"is a symbolic link (refused: a link could point "
					"anywhere, and state is only ever written as a file)");
		return fail(-errno, err, errlen, path, "open");
	}
	if (fstat(fd, &st) < 0) {
		rc = fail(-errno, err, errlen, path, "stat");
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fail_msg(S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL, err, errlen, path,
			      "not a regular file");
		goto done;
	}
	if ((uintmax_t)st.st_size > max_len) {
		rc = -EFBIG;
		if (err && errlen)
			snprintf(err, errlen, "%s: too large (%jd octets, at most %zu)", path,
				 (intmax_t)st.st_size, max_len);
		goto done;
	}
	rc = read_bounded(fd, (size_t)st.st_size, max_len, data, len);
	if (rc == -EFBIG)
		fail_msg(rc, err, errlen, path, "grew beyond its size limit while being read");
	else if (rc < 0)
		fail(rc, err, errlen, path, "read");
done:
	close(fd);
	return rc;
}

/* --- directories -------------------------------------------------------- */

/* mkdir that accepts an existing directory (or a symlink to one). */
static int mkdir_if_missing(const char *dir, mode_t mode, bool *created)
{
	struct stat st;

	*created = false;
	if (mkdir(dir, mode) == 0) {
		*created = true;
		return 0;
	}
	if (errno != EEXIST)
		return -errno;
	if (stat(dir, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Give a directory we just created exactly `mode`, whatever the umask. */
static int set_dir_mode(const char *dir, mode_t mode)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int store_mkdir(const char *dir, mode_t mode)
{
	char *path;
	size_t len;
	bool created;
	int rc = 0;

	if (!dir || !*dir)
		return -EINVAL;
	path = strdup(dir);
	if (!path)
		return -ENOMEM;
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';

	/* Each ancestor in turn: cut the path at every '/' after the first
	 * character (a leading '/' is the root, which exists). */
	for (char *p = path + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		rc = mkdir_if_missing(path, STORE_PARENT_DIR_MODE, &created);
		*p = '/';
		if (rc < 0)
			goto done;
	}
	rc = mkdir_if_missing(path, mode, &created);
	if (rc == 0 && created)
		rc = set_dir_mode(path, mode);
done:
	free(path);
	return rc;
}
