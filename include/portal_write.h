/*
 * portal_write.h -- the portal's write side (portal/writer.c): how a
 * publisher turns typed rows into a new version of a package without
 * knowing the physical layout (table names, column names, catalog rows),
 * which stays the portal's business (portal.h describes it).
 *
 *   w = kp_writer_begin(p, "pkg")       BEGIN IMMEDIATE (the write lock)
 *   kp_writer_create_set(w, &def)       a new empty table per entity set
 *   kp_writer_insert(w, set, vals, n)   one row (reused prepared INSERT)
 *   kp_writer_build(w, set)             key index + FTS, after the rows
 *   kp_writer_commit(w, &pkgdef)        old version out, catalog in, COMMIT
 *   kp_writer_rollback(w)               or give up: nothing changed
 *
 * A small version is one transaction on a WAL database; a big one is
 * committed in pieces (portal/writer.c) into tables no catalog row names
 * until the last commit.  Either way readers see the old version or the
 * new one, never a mix, and a kill -9 anywhere leaves the old version as
 * it was (plus, after a piece, uncatalogued tables that the next publish
 * or removal drops).  A writer and a removal hold the publish lock,
 * "<portal>-lock", from begin to end.
 */
#ifndef KUERI_PORTAL_WRITE_H
#define KUERI_PORTAL_WRITE_H

#include "kueri.h"
#include "portal.h"

/* A typed cell.  Which member is meaningful follows the field's kp_type:
 * INTEGER/BOOLEAN/YEAR → i; NUMBER → d; every other type → s/len
 * (canonical text as portal.h describes).  `s` is borrowed for the call. */
typedef struct kp_value {
	int         null;
	long long   i;
	double      d;
	const char *s;
	size_t      len;
} kp_value;

/* An index of a new entity set: its fields (indexes into the set's
 * fields), in order.  At most KP_INDEX_MAXCOLS fields per index. */
#define KP_INDEX_MAXCOLS 4
typedef struct kp_index {
	int ncols;
	int cols[KP_INDEX_MAXCOLS];
} kp_index;

/* What a new entity set looks like.  All borrowed for the call. */
typedef struct kp_set_def {
	const char     *name;     /* entity set name (unique in the portal)  */
	const char     *title;    /* or NULL                                 */
	int             nfields;
	const kp_field *fields;   /* `searchable` decides the FTS columns    */
	int             nkeys;    /* primary key (0: none)                   */
	const int      *keys;     /* indexes into fields                     */
	const char     *sha256;   /* hex SHA-256 of the source bytes, or
	                           * NULL until kp_writer_set_sha256        */
} kp_set_def;

/* The package row of the catalog.  All borrowed for the call. */
typedef struct kp_package_def {
	const char *title;            /* or NULL */
	const char *publisher;
	const char *classification;
	const char *update_frequency; /* or NULL */
	const char *descriptor;       /* the datapackage.json, compact      */
	const char *fingerprint;      /* what makes a re-publish "unchanged" */
} kp_package_def;

typedef struct kp_writer kp_writer;

/*
 * The published version and fingerprint of package `name` (outside or
 * inside a writer's transaction): 1 found, 0 not published, -1 error.
 */
int kp_package_version(kportal *p, const char *name, long long *version,
                       char fingerprint[65], kueri_err *err);

/*
 * Take the publish lock (waiting up to KP_LOCK_WAIT_S = 120 s for another
 * publish or removal), drop what a killed publish left, and take the
 * write lock (BEGIN IMMEDIATE) for a new version of `package` on a
 * portal opened with portal_open_rw.  Bounds the page cache so
 * memory stays flat whatever the size.  NULL + err on failure.  The
 * writer borrows `p`; end it with kp_writer_commit or kp_writer_rollback
 * (each frees it) before portal_close.
 */
kp_writer *kp_writer_begin(kportal *p, const char *package, kueri_err *err);

/* Version and fingerprint of the package as the transaction sees it:
 * 1 found, 0 new package. */
int kp_writer_current(kp_writer *w, long long *version,
                      const char **fingerprint);

/*
 * A new, empty set.  Refuses (KUERI_ESCHEMA) a name another package
 * publishes.  Returns the set's index in this writer (0, 1, ...) or -1.
 */
int kp_writer_create_set(kp_writer *w, const kp_set_def *def,
                         kueri_err *err);

/* One row into set `si` (n values, one per field, in field order).
 * 0 ok, -1 + err (row numbers are the caller's to add). */
int kp_writer_insert(kp_writer *w, int si, const kp_value *vals, int n,
                     kueri_err *err);

/* The source's SHA-256 (hex) when it is known only after the rows. */
int kp_writer_set_sha256(kp_writer *w, int si, const char *sha256,
                         kueri_err *err);

/* Rows inserted into set si so far. */
long long kp_writer_rows(kp_writer *w, int si);

/* The key index and the full-text table of set si, once all its rows are
 * in.  0 ok, -1 + err. */
int kp_writer_build(kp_writer *w, int si, kueri_err *err);

/* One secondary index on set si ("t<N>_i<k>"), after kp_writer_build:
 * built in bulk from the loaded rows, in the version's transaction.
 * 0 ok, -1 + err. */
int kp_writer_index(kp_writer *w, int si, const kp_index *ix,
                    kueri_err *err);

/* ANALYZE set si (its table and indexes: sqlite_stat1 holds row counts
 * and average rows per key prefix, no values), so the planner picks the
 * indexes.  After the last kp_writer_index.  0 ok, -1 + err. */
int kp_writer_analyze(kp_writer *w, int si, kueri_err *err);

/* One stored facet count of set si: `value` (len bytes; NULL for the null
 * value) occurs n times in field `col` of the whole set.  Kept in the
 * catalog table kueri_facet with the version, so a dataset page of a big
 * set shows its facets without a GROUP BY (query/facet.c).  col -1 with
 * value NULL is the marker "this set's counts are stored" (n: its rows).
 * 0 / -1 + err. */
int kp_writer_facet(kp_writer *w, int si, int col, const char *value,
                    size_t len, long long n, kueri_err *err);

/*
 * Replace the package's previous version (its tables and catalog rows)
 * by the sets created here, write the catalog and COMMIT, then fold the
 * WAL back into the file.  *version receives the new version number.
 * Frees `w` whatever the outcome; on failure everything is rolled back.
 * 0 committed, -1 + err.
 */
int kp_writer_commit(kp_writer *w, const kp_package_def *def,
                     long long *version, kueri_err *err);

/* Roll back and free `w` (NULL is a no-op). */
void kp_writer_rollback(kp_writer *w);

/*
 * Remove package `name` and every byte of it: drop its tables and catalog
 * rows (secure_delete), VACUUM, truncate the WAL; readers that hold an old
 * snapshot past a bounded wait are cut off by replacing the file with a
 * compact copy (portal/scrub.c).  *found says whether it was published.
 * 0 only when no removed byte remains in any file under the portal's
 * directory; -1 + err otherwise (never a silent partial success).
 */
int kp_remove_package(kportal *p, const char *name, int *found,
                      kueri_err *err);

/*
 * A copy of the portal that nothing serves yet (a snapshot's VACUUM INTO
 * result, in rollback-journal mode): drop the tables a publish between
 * its pieces had committed but no catalog row names, and VACUUM the copy
 * so none of their pages remain.  *dropped (may be NULL) counts them.
 * 0, or -1 + err.
 */
int kp_sweep_copy(const char *path, int *dropped, kueri_err *err);

#endif /* KUERI_PORTAL_WRITE_H */
