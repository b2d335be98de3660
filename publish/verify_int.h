/*
 * verify_int.h -- what verify.c (the pass and the report) and
 * verify_keys.c (the key sets: setup, confirmation by re-read, pending
 * foreign keys, teardown) share; private to those two files.
 */
#ifndef KUERI_VERIFY_INT_H
#define KUERI_VERIFY_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "keyset.h"
#include "pkgint.h"
#include "types.h"


#define CKPT      32       /* a checkpoint every CKPT records      */

/* ---- per-resource state ------------------------------------------------ */

typedef struct kvkey {        /* a list of fields and its set */
	int  *idx;
	int   n;
	kvset set;
} kvkey;

typedef struct kvfk {
	int   *idx;               /* referencing fields (this resource) */
	int    n;
	int    target;            /* resource index                     */
	int    ref;               /* index into target's refs           */
	json_t *names;            /* "fields" as written (borrowed)     */
} kvfk;

typedef struct kvpend {
	uint64_t h;
	uint32_t row;
	int      fk;
} kvpend;

typedef struct vres {
	kv_resource *r;
	kcsv_dialect d;
	kvt_field   *f;
	int          nf;
	kvkey       *uniq;        /* unique fields (n = 1) then uniqueKeys */
	int          nuniq, nuniq_fields;
	kvkey        pk;
	kvkey       *refs;        /* key sets other resources look into */
	int          nrefs;
	kvfk        *fks;
	int          nfks;
	long long   *ckpt;        /* offset of record (k*CKPT + 1) */
	size_t       nckpt, ckcap;
	kcsv        *reread;      /* lazily opened, for confirmations */
	uint32_t     last_row;    /* the last row confirmed, its key list */
	const int   *last_idx;    /* and its canonical key bytes          */
	unsigned char *last_key;
	size_t       last_len, last_cap;
	kvpend      *pend;
	size_t       npend, pendcap;
	int          done;        /* pass finished: refs complete */
	int          started;
	json_t      *task, *errors, *warnings;
	long long    nerr;
	kv_stats     st;
} vres;

typedef struct vctx {
	kv_package *pkg;
	vres       *v;
	long long   limit;
	int         pkg_invalid;
	kueri_err  *err;
	/* re-read scratch */
	char       *rscratch;
	size_t      rscap;
	unsigned char *rkey;
	size_t      rkcap;
	/* confirmation target */
	const unsigned char *ckey;
	size_t      cklen;
	vres       *cres;
	int        *cidx;
	int         cn;
	json_t     *ccells;       /* when set, confirm stores the cells  */
} vctx;

/* verify.c: grow *p (of *cap elements) to hold `need`; the report's
 * error entries, a record's cells as JSON, a key's field names. */
int kv_grow(void **p, size_t *cap, size_t need, size_t elem);
void kv_add_error(vctx *x, vres *v, const char *type, long long row, int field,
                  const char *cell, size_t celllen, json_t *cells,
                  const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));
json_t *kv_row_cells(const kcsv_rec *rec);
void kv_names_text(const vres *v, const int *idx, int n, char *out, size_t sz);

/* verify_keys.c: a typed key's canonical bytes, the confirm_fn for
 * kvs_find, the key sets of every resource (setup/teardown), and the
 * pending foreign keys of one resource checked at the end. */
size_t kv_key_bytes(const vres *v, const int *idx, int n, const kv_value *vals,
                    unsigned char *out);
int kv_confirm_equal(void *ctx, uint32_t row);
int kv_keys_setup(vctx *x);
void kv_keys_teardown(vctx *x);
int kv_resolve_pending(vctx *x, vres *v);

#endif
