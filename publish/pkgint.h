/*
 * pkgint.h -- what the files of publish/ share (private to publish/).
 */
#ifndef KUERI_PKGINT_H
#define KUERI_PKGINT_H

#include <jansson.h>

#include "csv.h"
#include "publish.h"

/* The CSV dialect of resource object `res` (defaults when absent)
 * (dialect.c).  -1 + err (KUERI_ESCHEMA) for an unsupported dialect. */
int kvp_dialect(json_t *res, kcsv_dialect *d, kueri_err *err);

/* The field names of a field list ("a" or ["a","b"]) as indexes into the
 * schema's fields; n receives the count.  NULL + err if one is unknown.
 * Caller frees. */
int *kvp_field_list(json_t *list, json_t *schema, int *n, const char *what,
                    kueri_err *err);

/* The indexes resource `r` declares (kueri:index on a field of `schema`,
 * kueri:indexes on its object `rj`) into r->indexes (indexes.c).  0, or
 * -1 + err (KUERI_ESCHEMA naming the declaration, KUERI_ENOMEM). */
int kvp_parse_indexes(kv_resource *r, json_t *rj, json_t *schema,
                      kueri_err *err);

/* Open dir/rel for reading, confined to dir (package.c): a regular file
 * reached without leaving the folder; *shown (owned) the joined path for
 * messages.  The descriptor, or -1 + err naming `what` ("resource",
 * "schema", "dialect"). */
int kvp_confined_open(const char *dir, const char *rel, const char *what,
                      char **shown, kueri_err *err);

/* The bytes of resource r (object rj) into r->fd and r->path: a path,
 * a multipart path array, inline data, transcoded when its encoding is
 * ISO-8859-1 or windows-1252 (source.c).  0, or -1 + err. */
int kvp_source(kv_package *pkg, kv_resource *r, json_t *rj, kueri_err *err);

/* Index of resource `name` in the package, or -1. */
int kvp_resource_index(const kv_package *pkg, const char *name);

/* Format one line and hand it to o->note (nothing when either is NULL). */
void kv_notef(const kv_opts *o, kv_note_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
