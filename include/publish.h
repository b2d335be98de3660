/*
 * publish.h -- the publishing half: a Frictionless Data Package in,
 * verified typed rows out (publish/verify.c and friends), then loaded into
 * the portal as a new version (publish/load.c).
 *
 *   package.c  datapackage.json → kv_package (catalog metadata, resources,
 *              Table Schemas), with paths confined to the package folder
 *   csv.c      CSV bytes → records (dialect-aware, streaming, knows its row)
 *   verify.c   records → typed, checked rows + a Frictionless report
 *   load.c     typed rows → SQLite tables, FTS, catalog rows, one transaction
 */
#ifndef KUERI_PUBLISH_H
#define KUERI_PUBLISH_H

#include <jansson.h>

#include "kueri.h"
#include "ksha256.h"  /* ksha256_*: publishers fingerprint their input */
#include "portal.h"
#include "portal_write.h"

/*
 * Limits on a package (docs/publishing.md), each named in its error:
 * the descriptor file (datapackage.json, and each schema file) in bytes,
 * fields per resource (SQLite allows 2000 columns; the FTS table and the
 * $select lists stay workable well below), resources per package (each
 * is a table, an index and an FTS5 table with its shadow tables: SQLite's
 * DDL walks every table of the schema per statement, so a publish costs
 * resources x tables -- 1,000 resources took 10 s, 256 take about 1 s),
 * and the longest updateFrequency.
 */
#define KV_MAX_DESCRIPTOR_BYTES (4L * 1024 * 1024)
#define KV_MAX_FIELDS           1000
#define KV_MAX_RESOURCES        256
#define KV_MAX_UPDATE_YEARS     100
/* Declared indexes per resource ("kueri:index" on fields plus
 * "kueri:indexes" on the resource); each is built over every row at
 * publish and costs about a sort of the set, in time and disk. */
#define KV_MAX_INDEXES          8

/* One resource of a package, with its schema reduced to what the portal
 * needs (the full Table Schema stays in `schema`). */
typedef struct kv_resource {
	char      *name;       /* entity set name                           */
	char      *title;      /* or NULL                                   */
	char      *path;       /* CSV path, resolved against the package dir */
	int        fd;         /* that file, opened once, confined and checked
	                          regular (package.c); every read goes through
	                          it, never the path again                    */
	int        nfields;
	kp_field  *fields;     /* type, nullable, decimal, searchable       */
	int        nkeys;      /* primary key fields                        */
	int       *keys;       /* indexes into fields                       */
	json_t    *schema;     /* the Table Schema object (borrowed from json) */
	int        nindexes;   /* declared indexes ("kueri:index" fields,
	                          then "kueri:indexes" entries)              */
	kp_index  *indexes;    /* owned                                     */
	int        declared;   /* "kueri:indexes" present (even []): publish
	                          adds no default indexes (load.c)           */
} kv_resource;

typedef struct kv_package {
	char        *name;
	char        *title;            /* or NULL */
	char        *publisher;
	char        *classification;   /* "public" or "private" */
	char        *update_frequency; /* ISO 8601 duration or NULL */
	char        *dir;              /* folder of datapackage.json */
	json_t      *json;             /* the whole descriptor (owned) */
	int          nres;
	kv_resource *res;
} kv_package;

/*
 * Read and check a datapackage.json: JSON syntax (Jansson's line/column in
 * the message), required catalog properties, field types, primaryKey /
 * uniqueKeys / foreignKeys naming real fields, patterns that compile
 * (PCRE2's offset in the message), resource paths that stay inside the
 * package folder.  NULL + err on failure.  Caller frees with
 * kv_package_free().
 */
kv_package *kv_package_load(const char *path, kueri_err *err);
void        kv_package_free(kv_package *pkg);

/*
 * The catalog properties needed to publish, which verification does not
 * need: publisher and classification (kv_package_load accepts a package
 * without them, as the bundled real datasets are, and leaves the members
 * NULL).  0 when both are present, else -1 + err (KUERI_ESCHEMA).
 */
int kv_package_check_catalog(const kv_package *pkg, kueri_err *err);

/* 1 if s is a valid package name (Frictionless: lower-case letters, digits,
 * '-' and '_', 1 to 100 bytes), else 0.  The inventory uses the same rule:
 * an entry is linked to the package of the same name. */
int kv_name_ok(const char *s);

/* A typed cell handed to the loader: the portal writer's value (which
 * member is meaningful follows the field's kp_type, see portal_write.h);
 * `s` is borrowed, valid only during the callback. */
typedef kp_value kv_value;

/* Called once per data row while the resource is still valid; stop
 * calling it after the first error (the loader will roll back).
 * Return 0 to continue, -1 to abort verification. */
typedef int (*kv_row_fn)(void *ctx, long long row, const kv_value *vals,
                         int nvals);

/*
 * The library never prints: what an operator should read goes to the
 * caller's note function (the CLI writes it to stderr).  `text` is one
 * line without its newline, borrowed for the call.
 */
typedef enum kv_note_kind {
	KV_NOTE_INFO,         /* "villages: 1,000 rows, version 3, 0.2 s"   */
	KV_NOTE_WARNING,      /* something to act on (without "warning:")   */
	KV_NOTE_PROGRESS,     /* replaces the previous progress line        */
	KV_NOTE_PROGRESS_END  /* the last progress line of a resource       */
} kv_note_kind;

typedef void (*kv_note_fn)(void *ctx, kv_note_kind kind, const char *text);

typedef struct kv_opts {
	long long  limit_errors; /* cap on reported errors (default 1000)   */
	int        progress;     /* send progress notes (rows, rows/s, %)   */
	kv_note_fn note;         /* NULL: notes are dropped                 */
	void      *note_ctx;     /* note's first argument                   */
} kv_opts;

typedef struct kv_stats {
	long long rows;          /* data rows read                         */
	long long errors;        /* errors found (may exceed those reported) */
	long long bytes;         /* bytes of CSV read                      */
	char      sha256[65];    /* hex SHA-256 of the CSV bytes           */
} kv_stats;

/*
 * Verify every resource of the package in one streaming pass each
 * (foreign keys are checked against the referenced resource's keys).
 * `fn` (may be NULL) receives typed rows for resource `ri` as they pass.
 * `*report` receives a new Frictionless-shaped report object
 * {"valid", "tasks": [...]} (caller json_decref()s).  `stats` (may be
 * NULL) is an array of pkg->nres.  Returns 0 valid, 1 invalid, -1 on
 * unreadable input (err set).
 *
 * The callback's first argument is `ctx`; the loader switches tables when
 * the resource index changes, so kv_verify calls `begin(ctx, ri)` before
 * the rows of resource ri (begin may be NULL).
 */
int kv_verify(kv_package *pkg, const kv_opts *opts,
              int (*begin)(void *ctx, int ri), kv_row_fn fn, void *ctx,
              json_t **report, kv_stats *stats, kueri_err *err);

/*
 * Verify and publish the package into the portal at `db_path` as a new
 * version, all-or-nothing.  Refuses private packages.  Sends the
 * one-line summary per resource to opts->note (KV_NOTE_INFO).  Returns
 * 0 published, 1 refused (invalid or private; *report set when invalid),
 * 2 unchanged (identical input already published), -1 error.
 */
int kv_publish(const char *db_path, const char *package_path,
               const kv_opts *opts, json_t **report, kueri_err *err);

/* Remove a package and every byte of it (secure delete + vacuum).
 * `opts` (may be NULL) receives a warning when a reader kept removed
 * bytes in the WAL.  0 removed, 1 not found, -1 error. */
int kv_unpublish(const char *db_path, const char *name, const kv_opts *opts,
                 kueri_err *err);


#endif /* KUERI_PUBLISH_H */
