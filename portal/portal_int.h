/*
 * portal_int.h -- what the files of portal/ share (reader, writer,
 * catalog) and nothing else: the meta-table DDL, the physical name check,
 * the Table Schema type parser.  Other modules use portal.h (read) and
 * portal_write.h (write).
 */
#ifndef KUERI_PORTAL_INT_H
#define KUERI_PORTAL_INT_H

#include "portal.h"

/* CREATE TABLE IF NOT EXISTS for kueri_package, kueri_resource, kueri_meta. */
extern const char portal_ddl[];

/* 1 if `s` is "t<digits>" followed by exactly `suffix` ("" or "_fts"). */
int portal_name_ok(const char *s, const char *suffix);

/* Table Schema type name → kp_type; 0 ok, -1 unknown. */
int kp_type_parse(const char *name, kp_type *out);

/* Reload the catalog unconditionally (after this connection's own write,
 * which PRAGMA data_version does not count). */
int portal_reload(kportal *p, kueri_err *err);

/* The path the portal was opened with (borrowed). */
const char *portal_path(kportal *p);

/* 1 if the path no longer names the file this connection has open (a
 * withdrawal replaced it, or it was removed). */
int portal_replaced(kportal *p);

/* Re-open a writable portal on its path (after portal_replaced), with
 * the same settings, and reload the catalog.  0 ok, -1 + err. */
int portal_reopen_rw(kportal *p, kueri_err *err);

/* The publish lock: held by a publish from before its first piece to
 * after its last, and by a removal and its scrub, so that none of them
 * interleave (SQLite's write lock is released between a publish's
 * pieces).  Nests; waits up to KP_LOCK_WAIT_S, then fails naming the
 * limit.  0 held, -1 + err. */
#define KP_LOCK_WAIT_S 120
/* The environment variable `name` if it is a whole number in 1 .. max,
 * else max: tests shorten a limit with it (portal.c). */
long long portal_env_limit(const char *name, long long max);
int portal_lock(kportal *p, kueri_err *err);
void portal_unlock(kportal *p);

/* BEGIN IMMEDIATE on the file the path names now: a withdrawal may have
 * replaced it while we waited for SQLite's lock (scrub.c), and writing to
 * the unlinked old file would lose the version; re-opens and retries.
 * 0 in the transaction, -1 + err (remove.c). */
int portal_begin(kportal *p, kueri_err *err);

/* Inside the caller's write transaction: drop package `name`'s tables,
 * their facet counts and its catalog rows.  *found (may be NULL) says
 * whether it was published.  0 ok, -1 + err (remove.c). */
int portal_drop_package(sqlite3 *db, const char *name, int *found,
                        kueri_err *err);

/* Inside a write transaction under the publish lock: drop every
 * portal-made table ("t<N>", its indexes and FTS table) whose number no
 * catalog row names -- what a publish killed between its pieces leaves
 * -- and their stored facet counts.  *dropped receives how many tables
 * went.  0 ok, -1 + err (remove.c). */
int portal_sweep(sqlite3 *db, int *dropped, kueri_err *err);

/* SQLite's last error on `db` as `what: message` (KUERI_EDB), or, for a
 * full disk, KUERI_EIO saying to free space (writer.c).  Always -1. */
int portal_db_err(sqlite3 *db, kueri_err *err, const char *what);

/* After a removal committed: VACUUM (when `vacuum`), then make sure no
 * removed byte remains in any file under the portal's directory, cutting
 * off readers' old snapshots if they hold out (scrub.c).  0 done, -1 +
 * err when it could not be finished (the caller must not report
 * success). */
int portal_scrub(kportal *p, int vacuum, kueri_err *err);

/* An ISO 8601 duration PnYnMnWnDTnHnMnS, split into its calendar part
 * (years, months) and its exact part (days, seconds). */
typedef struct kp_duration {
	long long years, months, days, seconds;
} kp_duration;

/* An updateFrequency ("P1M", "P1W", "P1DT12H", ...) as the catalog adds
 * it, scanned by ku_duration_parse (kutil.h): 0 ok, -1 malformed or out
 * of range (catalog.c says which parts are refused). */
int portal_frequency_parse(const char *s, kp_duration *d);

/* t + d (unix seconds, UTC): months on the calendar with the day clamped
 * to the month's end, then days and seconds.  -1 when out of range. */
long long portal_duration_add(long long t, const kp_duration *d);

/* "2024-02-29T10:00:00Z" */
void portal_iso8601(long long t, char buf[32]);

/* Phase times of a publish (phase.c), printed to stderr only when
 * KUERI_PUBLISH_TIMES is set: CPU since the previous mark, `piece` of it
 * in piece commits (added by the writer), read/write calls. */
typedef struct portal_phase {
	int       on;       /* KUERI_PUBLISH_TIMES is set              */
	double    mark;     /* CPU s at the last mark                  */
	double    piece;    /* CPU s in piece commits since then       */
	long long io[4];    /* /proc/self/io counters at the last mark */
} portal_phase;

void   portal_phase_init(portal_phase *ph);
/* CPU s (user + sys) of this process so far; user/sys may be NULL. */
double portal_phase_cpu(double *user, double *sys);
void   portal_phase_mark(portal_phase *ph, const char *name);

#endif
