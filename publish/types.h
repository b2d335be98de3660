/*
 * types.h -- one Table Schema field compiled for the hot path
 * (publish/types_compile.c, publish/types.c; a value's identity for keys
 * in publish/types_key.c), private to publish/.
 *
 * kvt_compile turns the field's JSON (type, format, missingValues,
 * trueValues, constraints, a PCRE2 pattern) into a kvt_field once; then
 * kvt_parse types each cell without allocating, and kvt_check tests the
 * constraints that look at one value.  package.c compiles every field to
 * reject a bad schema early; verify.c compiles them again for its pass.
 */
#ifndef KUERI_TYPES_H
#define KUERI_TYPES_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <jansson.h>

#include "publish.h"

enum {  /* kvt_field.format */
	KVT_FMT_DEFAULT = 0,
	KVT_FMT_ANY,
	KVT_FMT_CUSTOM,  /* strptime-style pattern in .fmt */
	KVT_FMT_EMAIL,
	KVT_FMT_URI,
	KVT_FMT_UUID,
	KVT_FMT_BINARY,
};

enum {  /* kvt_field.kind: Table Schema types kept as text (KP_STRING)
         * whose cells still have a shape to check (types_json.c) */
	KVT_K_TEXT = 0,   /* string, any                                 */
	KVT_K_OBJECT,     /* object: a JSON object                       */
	KVT_K_ARRAY,      /* array: a JSON array                         */
	KVT_K_GEOJSON,    /* geojson (format default): a GeoJSON object  */
	KVT_K_TOPOJSON,   /* geojson, format topojson                    */
	KVT_K_LIST,       /* list (v2): delimited items of itemType      */
};

typedef struct kvt_keys {      /* canonical keys of enum or categories */
	int             n;
	unsigned char **key;        /* owned */
	size_t         *len;
} kvt_keys;

typedef struct kvt_strs {      /* a list of borrowed strings */
	int          n;
	const char **s;             /* owned array, borrowed strings */
	size_t      *len;
} kvt_strs;

typedef struct kvt_bound {
	int        set, excl;
	long long  i;
	double     d;
	char       s[40];           /* canonical text for date-like types */
} kvt_bound;

typedef struct kvt_field {
	const char *name;           /* borrowed from the schema JSON       */
	kp_type     type;
	int         format;         /* KVT_FMT_*                           */
	const char *fmt;            /* custom date/time pattern (borrowed) */
	char        decimal_char, group_char;
	int         bare_number;
	kvt_strs    truev, falsev, missing;
	int         required, unique;
	long long   min_len, max_len;    /* -1: none */
	kvt_bound   min, max;
	kvt_keys    enums;          /* constraints.enum                    */
	kvt_keys    cats;           /* categories (v2, string and integer) */
	const char *type_name;      /* as declared ("object", "list", ...) */
	int         kind;           /* KVT_K_*                             */
	const char *list_delim;     /* list: item separator (borrowed)     */
	size_t      list_dlen;
	struct kvt_field *item;     /* list: the item type (owned)         */
	const char *pattern;        /* borrowed source text  */
	pcre2_code *re;             /* owned                 */
	pcre2_match_data    *md;    /* owned                 */
	pcre2_match_context *mctx;  /* owned                 */
	long long   re_gaveup;      /* matches that hit a limit */
	int         tz_off;         /* minutes east of UTC that a datetime
	                             * without an offset is read in
	                             * ("kueri:timezone", kvt_timezone)  */
} kvt_field;

/* Compile `field` (a Table Schema field object); `schema_missing` is the
 * schema's missingValues array or NULL; `tz_off` the offset datetimes
 * without one are read in (kvt_timezone).  Unknown types, bad formats,
 * constraint values of the wrong type and patterns that do not compile
 * (PCRE2's offset in the message) are errors (KUERI_ESCHEMA).
 * Free with kvt_free even on failure. */
int  kvt_compile(kvt_field *f, json_t *field, json_t *schema_missing,
                 int tz_off, kueri_err *err);
void kvt_free(kvt_field *f);

/* Map a Table Schema type name; -1 if unknown. */
int kvt_type(const char *name);

/*
 * Type one cell.  A missing value gives out->null = 1.  `scratch` must
 * hold 2n + 64 bytes; text results point into it or into `s`.  Returns 0
 * on success, 1 on a type error with *why set (static text).
 */
int kvt_parse(const kvt_field *f, const char *s, size_t n, kv_value *out,
              char *scratch, const char **why);

/*
 * The single-value constraints (required, minLength, maxLength, minimum,
 * maximum, exclusive*, enum, pattern) for a typed value; `raw` is the
 * cell text.  Calls `report(ctx, constraint, message)` per violation and
 * returns how many.
 */
typedef void (*kvt_report_fn)(void *ctx, const char *constraint,
                              const char *msg);
int kvt_check(kvt_field *f, const kv_value *v, const char *raw, size_t rawlen,
              kvt_report_fn report, void *ctx);

/* Canonical bytes of a typed value for equality (unique keys, enum,
 * foreign keys): equal logical values give equal bytes, whichever field
 * they come from (a datetime's instant, a number's value; types_key.c
 * says what counts as equal).  out needs v->len + 16 bytes.  Returns the
 * length. */
size_t kvt_key(const kvt_field *f, const kv_value *v, unsigned char *out);

/* A canonical datetime (as kvt_parse writes it: y-mm-ddThh:mm:ss[.f]
 * then Z or ±hh:mm) as seconds from 1970-01-01T00:00:00Z (*sec), with
 * its fraction digits (*frac, *nfrac; NULL, 0 without).  0 ok, 1 not in
 * that shape. */
int kvt_instant(const char *s, size_t n, long long *sec, const char **frac,
                size_t *nfrac);

/*
 * The UTC offset that datetimes written without one are read in, for the
 * field `field` of resource `res` in package `pkg` (any may be NULL): the
 * "kueri:timezone" of the field, else of the resource, else of the
 * package, else UTC.  A value is "Z", "UTC", "±hh:mm" (at most 14:00 either
 * way), or one of Indonesia's three zones by name: "WIB" (+07:00), "WITA"
 * (+08:00), "WIT" (+09:00) -- fixed offsets, no daylight saving.  Sets
 * *minutes (east of UTC).  A malformed value at any level is an error
 * (KUERI_ESCHEMA) naming where it is, even if a nearer level overrides it.
 */
int kvt_timezone(json_t *pkg, json_t *res, json_t *field, int *minutes,
                 kueri_err *err);

/*
 * types_json.c: the shape of a cell of a text-kept type (kind != TEXT):
 * 0 ok with *count the items (object members, array or list items; for
 * minLength/maxLength), 1 bad with *why set (static text).
 */
int kvt_shape(const kvt_field *f, const char *s, size_t n, long long *count,
              const char **why);

/* 1 if s[0..n) is standard base64 (RFC 4648 section 4, padded). */
int kvt_base64_ok(const char *s, size_t n);

/* An ISO 8601 duration such as P1D, P3M, PT12H (1) or not (0). */
int kvt_duration_ok(const char *s, size_t n);

/* Number of code points in valid UTF-8. */
size_t kvt_utf8_len(const char *s, size_t n);

#endif /* KUERI_TYPES_H */
