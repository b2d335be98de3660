/*
 * swap.c -- put a complete new portal file in place with one rename(2),
 * and retire the file it replaced.
 *
 * Why a rename: a reader that opened the path before keeps the old inode
 * (its answer in flight stays consistent); the next open by name sees the
 * new file whole -- never a half-written one.  `kueri serve` compares the
 * inode of --db between requests and reopens when it changed.
 *
 * Why the grace before zeroing: those readers may still be in the middle
 * of an answer on the old inode.  After the grace they have moved on (an
 * idle worker reopens by name before it touches the portal again), and the
 * old bytes -- possibly a dataset just withdrawn -- are overwritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "replica.h"

static int
fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
kr_swap(const char *newpath, const char *livepath, int *old_fd,
        kueri_err *err)
{
	char dir[4096];
	int fd;

	*old_fd = -1;
	if (fsync_path(newpath, O_RDONLY) != 0) {
		kueri_err_set(err, KUERI_EIO, -1, "%s: %s", newpath,
		              strerror(errno));
		kueri_err_target(err, newpath);
		return -1;
	}
	fd = open(livepath, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		kueri_err_set(err, KUERI_EIO, -1, "%s: %s", livepath,
		              strerror(errno));
		kueri_err_target(err, livepath);
		return -1;
	}
	if (rename(newpath, livepath) != 0) {
		kueri_err_set(err, KUERI_EIO, -1, "rename %s -> %s: %s", newpath,
		              livepath, strerror(errno));
		kueri_err_target(err, livepath);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* The rename itself must survive a crash: sync the directory. */
	snprintf(dir, sizeof dir, "%s", livepath);
	(void)fsync_path(dirname(dir), O_RDONLY | O_DIRECTORY);
	*old_fd = fd;
	return 0;
}

int
kr_retire(int fd, int grace_s)
{
	static const char zeros[1 << 16];
	struct timespec ts = { grace_s > 0 ? grace_s : 0, 0 };
	struct stat sb;
	off_t off = 0;
	int rc = 0;

	if (fd < 0)
		return 0;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return -1;
	}
	while (off < sb.st_size) {
		size_t n = sizeof zeros;
		ssize_t w;

		if ((off_t)n > sb.st_size - off)
			n = (size_t)(sb.st_size - off);
		w = pwrite(fd, zeros, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = -1;
			break;
		}
		off += w;
	}
	/* Not truncated: a reader that (wrongly) still used this file would
	 * see an empty database and answer "no such set"; zeros make SQLite
	 * fail with SQLITE_NOTADB, which kueri serve answers with 503, and
	 * the front retries elsewhere. */
	if (fdatasync(fd) != 0)
		rc = -1;
	close(fd);
	return rc;
}
