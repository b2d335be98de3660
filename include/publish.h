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
#include "portal.h"

/* One resource of a package, with its schema reduced to what the portal
 * needs (the full Table Schema stays in `schema`). */
typedef struct kv_resource {
	char      *name;       /* entity set name                           */
	char      *title;      /* or NULL                                   */
	char      *path;       /* CSV path, resolved against the package dir */
	int        nfields;
	kp_field  *fields;     /* type, nullable, decimal, searchable       */
	int        nkeys;      /* primary key fields                        */
	int       *keys;       /* indexes into fields                       */
	json_t    *schema;     /* the Table Schema object (borrowed from json) */
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

/* A typed cell handed to the loader.  Which member is meaningful follows
 * the field's kp_type: INTEGER/BOOLEAN/YEAR → i; NUMBER → d; every other
 * type → s/len, canonical text as portal.h describes. */
typedef struct kv_value {
	int         null;
	long long   i;
	double      d;
	const char *s;   /* borrowed; valid only during the callback */
	size_t      len;
} kv_value;

/* Called once per data row while the resource is still valid; stop
 * calling it after the first error (the loader will roll back).
 * Return 0 to continue, -1 to abort verification. */
typedef int (*kv_row_fn)(void *ctx, long long row, const kv_value *vals,
                         int nvals);

typedef struct kv_opts {
	long long limit_errors;  /* cap on reported errors (default 1000) */
	int       progress;      /* print progress to stderr              */
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
 * version, all-or-nothing.  Refuses private packages.  Writes the
 * one-line summary per resource to `log` (stderr in the CLI).  Returns
 * 0 published, 1 refused (invalid or private; *report set when invalid),
 * 2 unchanged (identical input already published), -1 error.
 */
int kv_publish(const char *db_path, const char *package_path,
               const kv_opts *opts, json_t **report, kueri_err *err);

/* Remove a package and every byte of it (secure delete + vacuum).
 * 0 removed, 1 not found, -1 error. */
int kv_unpublish(const char *db_path, const char *name, kueri_err *err);

/* SHA-256 (util/sha256.c): incremental. */
typedef struct ksha256 {
	unsigned int       h[8];
	unsigned long long n;
	unsigned char      buf[64];
	size_t             fill;
} ksha256;
void ksha256_init(ksha256 *c);
void ksha256_update(ksha256 *c, const void *data, size_t len);
void ksha256_hex(ksha256 *c, char out[65]);

#endif /* KUERI_PUBLISH_H */
