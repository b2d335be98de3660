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
#include <stdlib.h>
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

/* ---- orphans ------------------------------------------------------- */

/* The suffixes of the objects a publish makes per table number "t<N>"
 * that are tables in sqlite_schema: the data table, its FTS5 table and
 * the FTS5 shadow tables (dropped with their FTS table; listed so that
 * one left without it is still recognised). */
static const char *const orphan_suffix[] = {
	"", "_fts", "_fts_data", "_fts_idx", "_fts_config", "_fts_docsize",
	"_fts_content",
};

/* 1 if `name` is "t<digits>" plus one of orphan_suffix. */
static int
portal_made(const char *name)
{
	const char *q = name + 1;
	size_t i;

	if (name[0] != 't' || *q < '0' || *q > '9')
		return 0;
	while (*q >= '0' && *q <= '9')
		q++;
	if (q - name > 19)
		return 0;
	for (i = 0; i < sizeof orphan_suffix / sizeof orphan_suffix[0]; i++)
		if (strcmp(q, orphan_suffix[i]) == 0)
			return 1;
	return 0;
}

/*
 * A publish commits its rows in pieces into tables the catalog does not
 * name until its last commit (writer.c).  A kill -9 in between leaves
 * those tables behind: no reader sees them (every reader starts from the
 * catalog), and this drops them -- FTS tables first, which takes their
 * shadow tables along -- with secure_delete on, so their pages are
 * zeroed.  Only names of the exact portal-made shape are spliced.
 */
int
portal_sweep(sqlite3 *db, int *dropped, kueri_err *err)
{
	static const char q[] =
	        "SELECT name FROM sqlite_schema WHERE type = 'table' AND"
	        " name GLOB 't[0-9]*' AND CAST(substr(name, 2) AS INTEGER)"
	        " NOT IN (SELECT CAST(substr(tbl, 2) AS INTEGER)"
	        " FROM kueri_resource)"
	        " ORDER BY sql NOT LIKE 'CREATE VIRTUAL TABLE%', name";
	sqlite3_stmt *st;
	char (*names)[48] = NULL;
	int n = 0, cap = 0, i, rc, pass;

	*dropped = 0;
	/* Two passes: a shadow table whose FTS table is gone already would
	 * show up only after the FTS tables are dropped. */
	for (pass = 0; pass < 2; pass++) {
		n = 0;
		if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
			free(names);
			return db_err(db, err, "portal: sweep");
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *nm = (const char *)sqlite3_column_text(st, 0);

			if (nm == NULL || !portal_made(nm))
				continue;
			if (n == cap) {
				void *nn;

				cap = cap ? cap * 2 : 16;
				nn = realloc(names, (size_t)cap * sizeof *names);
				if (nn == NULL) {
					sqlite3_finalize(st);
					free(names);
					return kueri_err_set(err, KUERI_ENOMEM, -1,
					                     "out of memory");
				}
				names = nn;
			}
			snprintf(names[n++], sizeof names[0], "%s", nm);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			free(names);
			return db_err(db, err, "portal: sweep");
		}
		for (i = 0; i < n; i++) {
			char *sql = sqlite3_mprintf("DROP TABLE IF EXISTS \"%w\"",
			                            names[i]);

			rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL)
			         : SQLITE_NOMEM;
			sqlite3_free(sql);
			if (rc != SQLITE_OK) {
				kueri_err_set(err, KUERI_EDB, -1, "portal: sweep:"
				              " dropping the uncataloged table %s: %s",
				              names[i], sqlite3_errmsg(db));
				free(names);
				return -1;
			}
			++*dropped;
		}
		if (n == 0)
			break;
	}
	free(names);
	/* Their stored facet counts (the table exists only in portals
	 * published since facets were stored). */
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE"
	        " type = 'table' AND name = 'kueri_facet'", -1, &st,
	        NULL) != SQLITE_OK)
		return db_err(db, err, "portal: sweep");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW &&
	    sqlite3_exec(db, "DELETE FROM kueri_facet WHERE tbl NOT IN"
	                 " (SELECT tbl FROM kueri_resource)", NULL, NULL,
	                 NULL) != SQLITE_OK)
		return db_err(db, err, "portal: sweep");
	return 0;
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
