/*
 * portal.h -- the portal database: one SQLite file (WAL mode) holding every
 * published dataset and the catalog.  The publisher writes it through the
 * portal's writer (portal_write.h); the query engine and the service read
 * it through this header.
 *
 * Physical layout (owned by portal/: portal.c reads it, writer.c writes it;
 * no other module names a table):
 *  - kueri_package  one row per published package (catalog metadata, version)
 *  - kueri_resource one row per entity set: name, package, physical table,
 *                   FTS table, row count, schema JSON, version, publish time
 *  - data tables    named by the portal, never by the user ("t<N>"); column i
 *                   of the schema is physical column "c<i>".  So no
 *                   user-supplied or CSV-supplied name ever appears in SQL.
 *  - FTS5 tables    external-content over the data table ("t<N>_fts"),
 *                   rowid = data table rowid, one column per searchable
 *                   string field.
 * A private package never has rows in any of these.
 *
 * Values as stored (SQLite type → meaning, see ../shared/ODATA.md):
 *   string TEXT; integer INTEGER; number REAL; boolean INTEGER 0/1;
 *   date TEXT yyyy-mm-dd; datetime TEXT yyyy-mm-ddThh:mm:ss[.f+](Z|±hh:mm)
 *   (offset kept as published); time TEXT hh:mm:ss[.f+]; year INTEGER;
 *   yearmonth TEXT yyyy-mm; duration TEXT (ISO 8601); geopoint TEXT "lat,lon";
 *   missing values NULL.
 */
#ifndef KUERI_PORTAL_H
#define KUERI_PORTAL_H

#include <sqlite3.h>

#include "kueri.h"

typedef enum kp_type {
	KP_STRING = 0,
	KP_INTEGER,
	KP_NUMBER,
	KP_BOOLEAN,
	KP_DATE,
	KP_DATETIME,
	KP_TIME,
	KP_YEAR,
	KP_YEARMONTH,
	KP_DURATION,
	KP_GEOPOINT,
	KP__MAX
} kp_type;

/*
 * OData names (portal/names.c).  kp_odata_names maps names[0..n-1] to
 * identifiers in out[0..n-1]; kp_is_odata_name says whether a name needs
 * no mapping.  The portal applies this to every field when it loads a set.
 */
#define KP_NAME_MAX 136
void kp_odata_names(const char *const *names, int n, char (*out)[KP_NAME_MAX]);
int  kp_is_odata_name(const char *s);

/* Table Schema type name ("integer") and EDM type name ("Edm.Int64"). */
const char *kp_type_name(kp_type t);
const char *kp_type_edm(kp_type t);

typedef struct kp_field {
	char    *name;       /* OData name: an identifier (see names.c)  */
	char    *label;      /* the name as published (any UTF-8)        */
	char    *title;      /* may be NULL                             */
	char    *description;/* may be NULL                             */
	kp_type  type;
	int      nullable;   /* 0 when required or part of primary key  */
	int      decimal;    /* number field published as Edm.Decimal   */
	int      searchable; /* string field present in the FTS table   */
	long long max_length;/* a string's constraints.maxLength (code
	                      * points, >= 1); 0: none ($metadata MaxLength) */
} kp_field;

typedef struct kp_set {
	char      *name;         /* entity set name = resource name      */
	char      *package;      /* owning package name                  */
	char      *title;        /* resource or package title, or NULL   */
	char       table[32];    /* physical data table, e.g. "t12"      */
	char       fts[40];      /* physical FTS table or "" if none     */
	int        nfields;
	kp_field  *fields;       /* physical column i is "c<i>"          */
	int        nkeys;        /* primary key fields (0: none)         */
	int       *keys;         /* indexes into fields                  */
	long long  rows;         /* row count stored at publish: $count of
	                          * the whole set needs no scan          */
	long long  version;      /* package version, 1, 2, ...           */
	long long  published_at; /* unix seconds (UTC)                   */
} kp_set;

typedef struct kportal kportal;

/*
 * Open a portal read-only for serving: SQLite hardened (defensive,
 * trusted_schema off, no extensions, no ATTACH, limits), schema of every
 * published set loaded.  Returns NULL and fills `err` on failure.
 * Caller frees with portal_close().
 */
kportal *portal_open_ro(const char *path, kueri_err *err);

/*
 * Open (creating if needed) a portal for publishing: WAL, secure_delete.
 * Caller frees with portal_close().
 */
kportal *portal_open_rw(const char *path, kueri_err *err);

void portal_close(kportal *p);

/*
 * One slot of state another module keeps per portal connection (the query
 * engine's prepared-statement cache): NULL after open; portal_close calls
 * free_fn(aux) before it closes the connection, so statements kept there
 * never outlive it.  Setting it again replaces it without freeing.
 */
void *portal_aux(kportal *p);
void  portal_set_aux(kportal *p, void *aux, void (*free_fn)(void *));

/* The connection (borrowed; valid until portal_close). */
sqlite3 *portal_db(kportal *p);

/*
 * Re-read the catalog if another process committed since the last call
 * (cheap: PRAGMA data_version).  Returns 1 if reloaded, 0 if unchanged,
 * -1 on error.  Pointers from portal_set()/portal_set_at() are invalid
 * after a reload.
 */
int portal_refresh(kportal *p, kueri_err *err);

/* A published set by exact name, or NULL.  Borrowed. */
const kp_set *portal_set(kportal *p, const char *name);

/* Sets in name order: count and i-th (borrowed). */
int           portal_nsets(kportal *p);
const kp_set *portal_set_at(kportal *p, int i);

/*
 * A short portal-wide version token that changes with every publish or
 * unpublish (for ETags): e.g. the sum of package versions and the latest
 * publish time.  Written into buf (NUL-terminated).
 */
void portal_version_token(kportal *p, char *buf, size_t len);

/* Latest publish time over all sets (unix seconds), 0 when empty. */
long long portal_last_modified(kportal *p);

/*
 * The catalog as JSON (what `kueri catalog --json` prints and the service's
 * /catalog serves): an array of package objects.  `name` NULL for all, or
 * one package (NULL result with KUERI_ENOTFOUND if absent).  `now` is the
 * clock for freshness (unix seconds).  Returns a new reference (json_t *),
 * declared void * to keep Jansson out of this header; caller json_decref()s.
 */
void *portal_catalog_json(kportal *p, const char *name, long long now,
                          kueri_err *err);

/*
 * The facet counts stored at publish for set `s` (portal_write.h,
 * kp_writer_facet): fn is called once per (field, value, count), fields
 * ascending and, within a field, counts descending; value is NULL for the
 * null value (borrowed for the call).  Returns the number of rows seen,
 * or -1 when the portal has none stored (an older portal).  fn returning
 * non-zero stops the walk.
 */
int portal_facets(kportal *p, const kp_set *s,
                  int (*fn)(void *ctx, int col, const char *value,
                            long long n),
                  void *ctx);

#endif /* KUERI_PORTAL_H */
