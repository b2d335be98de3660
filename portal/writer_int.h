/*
 * writer_int.h -- what the write side's files share (portal/writer.c, the
 * version's tables, rows and catalog; portal/ftsbuild.c, a split load's
 * full-text index): the writer's state and the few helpers both call.
 * Not for the rest of the portal, which sees portal_write.h.
 */
#ifndef KUERI_WRITER_INT_H
#define KUERI_WRITER_INT_H

#include <sqlite3.h>

#include "portal_int.h"
#include "portal_write.h"

/* The attached scratch database an FTS index is built in (ftsbuild.c). */
#define KW_SCRATCH "kw_scratch"

/* One set of the new version. */
typedef struct kw_set {
	char         *name;     /* owned copies of the definition       */
	char         *title;
	char         *sha256;
	char         *fields;   /* the catalog's `fields` JSON (owned)   */
	char         *keys;     /* the catalog's `keys` JSON (owned)     */
	kp_type      *types;    /* per field (owned)                     */
	int           nfields;
	char          tbl[32];
	char          fts[40];  /* "" when no field is searchable        */
	char         *pk_sql;   /* CREATE UNIQUE INDEX ..., or NULL      */
	char         *fts_sql;  /* CREATE VIRTUAL TABLE ..., or NULL     */
	char         *fts_args; /* its fts5(...) arguments, or NULL      */
	char         *fts_ins;  /* INSERT into the scratch's FTS ... SELECT */
	long long     rows;
	int           nidx;     /* secondary indexes built ("t<N>_i<k>") */
	sqlite3_stmt *ins;      /* INSERT while rows load, or NULL (owned) */
} kw_set;

struct kp_writer {
	kportal   *p;
	sqlite3   *db;
	char      *package;
	int        locked;      /* holds a portal_lock level             */
	int        split;       /* a piece was committed                 */
	int        scratch;     /* the scratch database is attached     */
	long long  piece;       /* rows per piece                        */
	long long  since;       /* rows loaded since the last piece      */
	int        existed;     /* a version is published                */
	long long  version;     /* ... and its number                    */
	char       fp[65];      /* ... and its fingerprint               */
	long long  n0;          /* first free table number               */
	sqlite3_stmt *facet;    /* INSERT INTO kueri_facet (owned)       */
	portal_phase ph;        /* KUERI_PUBLISH_TIMES (phase.c)         */
	kw_set    *sets;
	int        nsets, cap;
};

/* Run SQL built with sqlite3_mprintf-style formatting: identifiers only
 * (portal-made names), never values.  0, or -1 with err set. */
int portal_exec_fmt(sqlite3 *db, kueri_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Commit what is written so far as a piece, checkpoint, and begin the
 * next piece on the same file; with `renew`, the scratch database is
 * replaced by an empty one in between.  Its CPU is counted in the phase
 * times.  0, or -1 with err set. */
int portal_piece_commit(kp_writer *w, int renew, kueri_err *err);

/* The set's FTS5 table in schema `db` ("main" or KW_SCRATCH).
 * sqlite3_malloc'd, NULL when out of memory. */
char *portal_fts_create_sql(const char *db, const kw_set *s);

/* A split load's FTS index for set s (ftsbuild.c), its table already
 * created in the portal.  SQLite result code, or -1 with err set. */
int portal_fts_build(kp_writer *w, kw_set *s, kueri_err *err);

#endif
