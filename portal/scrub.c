/*
 * scrub.c -- finishing a withdrawal: after a package's rows are dropped
 * (secure_delete), no byte of it may remain in any file under the
 * portal's directory, and the command may not report success before that
 * is true.
 *
 * The removed bytes live on in two places until a checkpoint completes:
 * the WAL (frames of earlier versions) and the main file's pages that a
 * reader's snapshot still needs.  A read-only worker cannot checkpoint,
 * and a reader streaming a slow export holds its snapshot for minutes,
 * so waiting alone never bounds the time.  The steps:
 *
 *   1. VACUUM, then checkpoint(TRUNCATE) with a bounded wait
 *      (KP_SCRUB_WAIT_MS).  No reader in the way: done.
 *   2. Otherwise cut the old readers off: write a compact copy of the
 *      current (post-removal) snapshot with VACUUM INTO, and, holding
 *      the write lock so no commit can slip in, unlink "<path>-wal" and
 *      "<path>-shm" and rename the copy over <path>.  Old readers keep
 *      their unlinked inodes (nothing under the directory names them any
 *      more) until they finish; serving workers notice the new inode
 *      between requests and re-open (fcgi/serve.c).  Read-only
 *      connections never checkpoint or delete the WAL on close
 *      (portal_open_ro), so a straggler cannot touch the new file's WAL.
 *   3. Checkpoint(TRUNCATE) the new file and check the WAL is empty;
 *      repeat 2-3 until it is or KP_SCRUB_LIMIT_S passes, then fail.
 *
 * Known limit: a process that opens the OLD file by name in the few
 * microseconds between the unlinks and the rename sees a portal without
 * its WAL; read-only openers then fail that request (they cannot create
 * a WAL) and re-open on the next.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "portal_int.h"
#include "portal_write.h"

/* How long step 1 and each step 3 wait for readers, and the whole bound. */
#define KP_SCRUB_WAIT_MS 2000
#define KP_SCRUB_LIMIT_S 60

static int
db_err(sqlite3 *db, kueri_err *err, const char *what)
{
	return kueri_err_set(err, KUERI_EDB, -1, "%s: %s", what,
	                     sqlite3_errmsg(db));
}

/* ---- scrubbing ------------------------------------------------------ */

/* Checkpoint(TRUNCATE), waiting up to KP_SCRUB_WAIT_MS for readers.
 * 1 clean (every frame back in the file, the WAL empty), 0 not yet,
 * -1 + err. */
static int
checkpoint_clean(kportal *p, kueri_err *err)
{
	sqlite3 *db = portal_db(p);
	char wal[PATH_MAX];
	struct stat sb;
	int nlog = -1, rc;

	sqlite3_busy_timeout(db, KP_SCRUB_WAIT_MS);
	rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE,
	                               &nlog, NULL);
	sqlite3_busy_timeout(db, 120000);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return 0;
	if (rc != SQLITE_OK)
		return db_err(db, err, "portal: checkpoint");
	if (nlog != 0)
		return 0;
	snprintf(wal, sizeof wal, "%s-wal", portal_path(p));
	if (stat(wal, &sb) == 0 && sb.st_size != 0)
		return 0;
	return 1;
}

static long long
data_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A compact copy of the current snapshot at `tmp`, in WAL mode, synced,
 * with the original's mode and owner. */
static int
write_copy(kportal *p, const char *tmp, kueri_err *err)
{
	sqlite3 *db = portal_db(p), *c = NULL;
	sqlite3_stmt *st;
	struct stat sb;
	int rc, fd;

	if (unlink(tmp) != 0 && errno != ENOENT)
		return kueri_err_set(err, KUERI_EIO, -1, "%s: %s", tmp,
		                     strerror(errno));
	if (sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "portal: scrub");
	sqlite3_bind_text(st, 1, tmp, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(db, err, "portal: scrub: VACUUM INTO");
	rc = sqlite3_open_v2(tmp, &c, SQLITE_OPEN_READWRITE |
	                     SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		kueri_err_set(err, KUERI_EDB, -1, "%s: %s", tmp,
		              c ? sqlite3_errmsg(c) : "cannot open");
		sqlite3_close(c);
		return -1;
	}
	/* The only connection: closing folds its WAL back and deletes it. */
	if (sqlite3_close(c) != SQLITE_OK)
		return kueri_err_set(err, KUERI_EDB, -1, "%s: close failed", tmp);
	if (stat(portal_path(p), &sb) == 0) {
		if (chmod(tmp, sb.st_mode & 07777) != 0)
			return kueri_err_set(err, KUERI_EIO, -1, "%s: %s", tmp,
			                     strerror(errno));
		/* Only root can give the copy the original owner; otherwise
		 * it is ours, as the original was. */
		if (chown(tmp, sb.st_uid, sb.st_gid) != 0 && errno != EPERM)
			return kueri_err_set(err, KUERI_EIO, -1, "%s: %s", tmp,
			                     strerror(errno));
	}
	if ((fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fsync(fd) != 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return kueri_err_set(err, KUERI_EIO, -1, "%s: %s", tmp,
		                     strerror(e));
	}
	close(fd);
	return 0;
}

static void
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Step 2: put a compact copy of the current snapshot in place of the
 * file, cutting off every reader of the old one. */
static int
replace_file(kportal *p, kueri_err *err)
{
	const char *path = portal_path(p);
	char tmp[PATH_MAX], aux[PATH_MAX];
	sqlite3 *db;
	long long dv;
	int tries;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.scrub-%ld", path,
	                     (long)getpid()) >= sizeof tmp)
		return kueri_err_set(err, KUERI_EIO, -1, "%s: path too long", path);
	for (tries = 0;; tries++) {
		db = portal_db(p);
		dv = data_version(db);
		if (write_copy(p, tmp, err))
			goto fail;
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		    SQLITE_OK) {
			db_err(db, err, "portal: scrub");
			goto fail;
		}
		/* VACUUM INTO cannot run inside the write transaction: if
		 * another publisher committed in between, copy again. */
		if (data_version(db) == dv && !portal_replaced(p))
			break;
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		if (portal_replaced(p) && portal_reopen_rw(p, err))
			goto fail;
		if (tries >= 5) {
			kueri_err_set(err, KUERI_EDB, -1, "portal: scrub: the"
			              " portal keeps changing; withdrawal not"
			              " complete, run the command again");
			goto fail;
		}
	}
	/* Under the write lock: the old WAL and index go first, so that the
	 * new file never meets them under its name. */
	snprintf(aux, sizeof aux, "%s-wal", path);
	if (unlink(aux) != 0 && errno != ENOENT)
		goto ioerr;
	snprintf(aux, sizeof aux, "%s-shm", path);
	if (unlink(aux) != 0 && errno != ENOENT)
		goto ioerr;
	if (rename(tmp, path) != 0)
		goto ioerr;
	sync_dir(path);
	/* Closing the old connection ends its transaction without a
	 * checkpoint; the new one starts on the scrubbed file. */
	return portal_reopen_rw(p, err);
ioerr:
	kueri_err_set(err, KUERI_EIO, -1, "%s: %s", path, strerror(errno));
	sqlite3_exec(portal_db(p), "ROLLBACK", NULL, NULL, NULL);
fail:
	unlink(tmp);
	return -1;
}

int
portal_scrub(kportal *p, int vacuum, kueri_err *err)
{
	time_t end = time(NULL) + KP_SCRUB_LIMIT_S;
	int rc;

	if (vacuum && sqlite3_exec(portal_db(p), "VACUUM", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return db_err(portal_db(p), err, "portal: VACUUM");
	if ((rc = checkpoint_clean(p, err)) != 0)
		return rc < 0 ? -1 : 0;
	for (;;) {
		if (replace_file(p, err))
			return -1;
		if ((rc = checkpoint_clean(p, err)) != 0)
			return rc < 0 ? -1 : 0;
		if (time(NULL) >= end)
			return kueri_err_set(err, KUERI_EDB, -1,
			        "portal: readers kept the WAL busy for %d s:"
			        " withdrawal NOT complete, removed bytes may"
			        " remain; run the command again", KP_SCRUB_LIMIT_S);
	}
}
