/*
 * remove.c -- taking things out of the portal inside a write transaction:
 * a package's tables and catalog rows (a removal, and the previous
 * version at a publish's last commit), and the orphans a publish killed
 * between its pieces leaves behind (writer.c).  secure_delete is on, so
 * the pages they held are zeroed; portal_scrub (scrub.c) then makes sure
 * no byte of a removed package remains anywhere.
 *
 * Every identifier spliced into SQL here is portal-made ("t<N>",
 * "t<N>_fts", ...), checked against its exact shape first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "portal_int.h"
#include "portal_write.h"

/* DROP TABLE IF EXISTS of a name already checked. */
static int
drop_table(sqlite3 *db, const char *name, kueri_err *err)
{
	char *sql = sqlite3_mprintf("DROP TABLE IF EXISTS \"%w\"", name);
	int rc;

	if (sql == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	return rc == SQLITE_OK ? 0 : portal_db_err(db, err, "portal");
}

/* ---- removing a package --------------------------------------------- */

/* Is there a kueri_facet table (portals before it have none)? */
static int
has_facets(sqlite3 *db)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE"
	        " type = 'table' AND name = 'kueri_facet'", -1, &st,
	        NULL) != SQLITE_OK)
		return 0;
	rc = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return rc;
}

/* The stored facet counts of table `tbl` go with it (secure_delete
 * zeroes their bytes like the table's). */
/* Run one statement `sql` with `value` bound to ?1 (a DELETE by one
 * key).  0, or -1 + err. */
static int
delete_by(sqlite3 *db, const char *sql, const char *value, kueri_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return portal_db_err(db, err, "portal");
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : portal_db_err(db, err, "portal");
}

static int
drop_facets(sqlite3 *db, const char *tbl, kueri_err *err)
{
	if (!has_facets(db))
		return 0;
	return delete_by(db, "DELETE FROM kueri_facet WHERE tbl = ?1", tbl,
	                 err);
}

/* Table names are collected before any is dropped: SQLite cannot DROP
 * while a read is pending.  A portal-made name is "t" + at most 18
 * digits + a suffix such as "_fts_config". */
typedef char kp_tname[48];

/* Room for `more` names after the first n of *names (capacity *cap);
 * 0, or -1 + err when out of memory (*names is left as it was). */
static int
names_room(kp_tname **names, int n, int more, int *cap, kueri_err *err)
{
	void *nn;
	int   c = *cap;

	if (n + more <= c)
		return 0;
	while (n + more > c)
		c = c ? c * 2 : 16;
	nn = realloc(*names, (size_t)c * sizeof **names);
	if (nn == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	*names = nn;
	*cap = c;
	return 0;
}

int
portal_drop_package(sqlite3 *db, const char *name, int *found, kueri_err *err)
{
	sqlite3_stmt *st = NULL;
	kp_tname *names = NULL;
	int rc, n = 0, cap = 0, i;

	if (found)
		*found = 0;
	/* Collect first: SQLite cannot DROP while a read is pending. */
	if (sqlite3_prepare_v2(db, "SELECT tbl, fts FROM kueri_resource"
	        " WHERE package = ?1", -1, &st, NULL) != SQLITE_OK)
		return portal_db_err(db, err, "portal");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *tbl = (const char *)sqlite3_column_text(st, 0);
		const char *fts = (const char *)sqlite3_column_text(st, 1);

		/* Only portal-shaped names are ever spliced into SQL. */
		if (!portal_name_ok(tbl, "") ||
		    (fts && *fts && !portal_name_ok(fts, "_fts"))) {
			sqlite3_finalize(st);
			free(names);
			return kueri_err_set(err, KUERI_EDB, -1,
			        "portal: bad physical table name in catalog");
		}
		if (names_room(&names, n, 2, &cap, err)) {
			sqlite3_finalize(st);
			free(names);
			return -1;
		}
		/* FTS first: dropping it drops its shadow tables too. */
		if (fts && *fts)
			snprintf(names[n++], sizeof names[0], "%s", fts);
		snprintf(names[n++], sizeof names[0], "%s", tbl);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(names);
		return portal_db_err(db, err, "portal");
	}
	for (i = 0; i < n; i++)
		if (drop_table(db, names[i], err) ||
		    drop_facets(db, names[i], err)) {
			free(names);
			return -1;
		}
	free(names);
	if (delete_by(db, "DELETE FROM kueri_resource WHERE package = ?1",
	              name, err) ||
	    delete_by(db, "DELETE FROM kueri_package WHERE name = ?1", name,
	              err))
		return -1;
	if (found)
		*found = sqlite3_changes(db) > 0;
	return 0;
}

int
portal_begin(kportal *p, kueri_err *err)
{
	int tries;

	for (tries = 0; tries < 5; tries++) {
		if (sqlite3_exec(portal_db(p), "BEGIN IMMEDIATE", NULL, NULL,
		                 NULL) != SQLITE_OK)
			return portal_db_err(portal_db(p), err, "portal");
		if (!portal_replaced(p))
			return 0;
		sqlite3_exec(portal_db(p), "ROLLBACK", NULL, NULL, NULL);
		if (portal_reopen_rw(p, err))
			return -1;
	}
	return kueri_err_set(err, KUERI_EDB, -1, "portal: %s keeps being"
	                     " replaced; run the command again", portal_path(p));
}

int
kp_remove_package(kportal *p, const char *name, int *found, kueri_err *err)
{
	sqlite3 *db;
	int f = 0, swept = 0, rc;

	/* No publish between its pieces, and no other removal's scrub, may
	 * run while this one drops and replaces the file. */
	if (portal_lock(p, err))
		return -1;
	if (portal_begin(p, err))
		goto fail;
	db = portal_db(p);
	/* What a killed publish left goes too, in the same transaction. */
	if (portal_sweep(db, &swept, err) || portal_drop_package(db, name, &f, err)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		portal_db_err(db, err, "portal");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	if (found)
		*found = f;
	/* Not found: still finish an earlier removal's scrub. */
	rc = portal_scrub(p, f || swept, err);
	portal_unlock(p);
	return rc;
fail:
	portal_unlock(p);
	return -1;
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
	kp_tname *names = NULL;
	int n = 0, cap = 0, i, rc, pass;

	*dropped = 0;
	/* Two passes: a shadow table whose FTS table is gone already would
	 * show up only after the FTS tables are dropped. */
	for (pass = 0; pass < 2; pass++) {
		n = 0;
		if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
			free(names);
			return portal_db_err(db, err, "portal: sweep");
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *nm = (const char *)sqlite3_column_text(st, 0);

			if (nm == NULL || !portal_made(nm))
				continue;
			if (names_room(&names, n, 1, &cap, err)) {
				sqlite3_finalize(st);
				free(names);
				return -1;
			}
			snprintf(names[n++], sizeof names[0], "%s", nm);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			free(names);
			return portal_db_err(db, err, "portal: sweep");
		}
		for (i = 0; i < n; i++) {
			if (drop_table(db, names[i], err)) {
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
		return portal_db_err(db, err, "portal: sweep");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW &&
	    sqlite3_exec(db, "DELETE FROM kueri_facet WHERE tbl NOT IN"
	                 " (SELECT tbl FROM kueri_resource)", NULL, NULL,
	                 NULL) != SQLITE_OK)
		return portal_db_err(db, err, "portal: sweep");
	return 0;
}

int
kp_sweep_copy(const char *path, int *dropped, kueri_err *err)
{
	sqlite3 *db = NULL;
	int n = 0, rc = -1;

	if (dropped)
		*dropped = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	                    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		kueri_err_set(err, KUERI_EDB, -1, "%s: %s", path,
		              db ? sqlite3_errmsg(db) : "cannot open");
		kueri_err_target(err, path);
		sqlite3_close(db);
		return -1;
	}
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (sqlite3_exec(db, "PRAGMA secure_delete=ON; BEGIN IMMEDIATE", NULL,
	                 NULL, NULL) != SQLITE_OK) {
		portal_db_err(db, err, path);
		goto out;
	}
	if (portal_sweep(db, &n, err)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	/* Nothing to drop: the copy stays byte for byte what VACUUM INTO
	 * wrote (the sweep's facet DELETE found nothing either). */
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK ||
	    (n > 0 && sqlite3_exec(db, "VACUUM", NULL, NULL, NULL) !=
	              SQLITE_OK)) {
		portal_db_err(db, err, path);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	if (dropped)
		*dropped = n;
	rc = 0;
out:
	sqlite3_close_v2(db);
	return rc;
}
