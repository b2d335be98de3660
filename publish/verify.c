/*
 * verify.c -- records → typed, checked rows + a Frictionless report.
 *
 * One streaming pass per resource.  Per row: encoding, blank row, each
 * cell typed (types.c) and its single-value constraints checked, extra
 * and missing cells, then the checks that need memory of earlier rows:
 * unique fields, uniqueKeys, the primary key, foreign keys.
 *
 * Memory for those checks stays small and independent of row width and,
 * past 1.5M keys, of row count: a key set (keyset.c) holds one 8-byte
 * entry per row (32 bits of the key's hash and the 32-bit row number), at
 * most 16 MB of them in memory and the rest in sorted runs on temporary
 * files behind Bloom filters.  An entry whose hash bits match is only a
 * candidate: the earlier row is re-read from the CSV (we keep the byte
 * offset of every 32nd record, so a re-read parses at most 32 records)
 * and its typed key compared byte for byte.  So equality is exact; hash
 * collisions cost a re-read, never a wrong answer.
 *
 * Foreign keys: resources are verified referenced-first, so the target's
 * key set is complete when a row looks into it.  For a self-reference (or
 * a cycle) a value not found yet is kept as pending (hash + row) and
 * checked once the target's pass is over.
 *
 * Error order within a row follows frictionless: cell errors in field
 * order, extra cells, missing cells (a blank row replaces these), then
 * unique, primary-key and foreign-key errors.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keyset.h"
#include "pkgint.h"
#include "types.h"
#include "verify_int.h"

#define MAX_GAVEUP 10      /* pattern limit hits before we stop     */
#define CELL_MAX  200      /* bytes of a cell quoted in the report  */

int
kv_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void  *np;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if (!(np = realloc(*p, n * elem)))
		return -1;
	*p = np;
	*cap = n;
	return 0;
}

/* ---- the report --------------------------------------------------------- */

static json_t *
cell_json(const char *s, size_t n)
{
	if (!s)
		return json_null();
	if (n > CELL_MAX) {
		n = CELL_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;  /* cut at a character boundary */
	}
	return json_stringn(s, n);
}

/* Messages quote cells cut at a byte count, which may split a character:
 * replace any byte that is not part of valid UTF-8 with '?'. */
static void
utf8_repair(char *m)
{
	size_t n = strlen(m), i = 0;

	while (i < n) {
		const char *why;
		size_t      len = (unsigned char)m[i] < 0x80 ? 1
		                : (unsigned char)m[i] >= 0xf0 ? 4
		                : (unsigned char)m[i] >= 0xe0 ? 3 : 2;

		if (i + len <= n && kcsv_utf8_ok(m + i, len, &why)) {
			i += len;
			continue;
		}
		m[i++] = '?';
	}
}

void
kv_add_error(vctx *x, vres *v, const char *type, long long row, int field,
             const char *cell, size_t celllen, json_t *cells, const char *fmt, ...)
{
	char    msg[600];
	va_list ap;
	json_t *e;

	v->nerr++;
	x->pkg_invalid = 1;
	if ((long long)json_array_size(v->errors) >= x->limit) {
		json_decref(cells);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	utf8_repair(msg);
	e = json_object();
	json_object_set_new(e, "type", json_string(type));
	json_object_set_new(e, "rowNumber", row > 0 ? json_integer(row) : json_null());
	json_object_set_new(e, "fieldNumber", field > 0 ? json_integer(field) : json_null());
	json_object_set_new(e, "fieldName",
	                    field > 0 && field <= v->nf ? json_string(v->f[field - 1].name)
	                                                : json_null());
	json_object_set_new(e, "cell", cell ? cell_json(cell, celllen) : json_null());
	if (cells)
		json_object_set_new(e, "cells", cells);
	json_object_set_new(e, "message", json_string(msg));
	json_array_append_new(v->errors, e);
}

json_t *
kv_row_cells(const kcsv_rec *rec)
{
	json_t *a = json_array();
	int     i;

	for (i = 0; i < rec->nf; i++)
		json_array_append_new(a, cell_json(rec->v[i], rec->len[i]));
	return a;
}

/* ---- the pass ------------------------------------------------------------ */

static const char *
kp_type_label(const kvt_field *f)
{
	static const char *const names[KP__MAX] = {
		"string", "integer", "number", "boolean", "date", "datetime",
		"time", "year", "yearmonth", "duration", "geopoint",
	};

	/* The declared type: object, array, list, geojson and any are
	 * stored as strings but a message names what the schema says. */
	if (f->type_name)
		return f->type_name;
	return (int)f->type >= 0 && f->type < KP__MAX ? names[f->type] : "?";
}

typedef struct cellctx {
	vctx       *x;
	vres       *v;
	long long   row;
	int         field;
	const char *cell;
	size_t      len;
} cellctx;

static void
report_constraint(void *ctx, const char *constraint, const char *msg)
{
	cellctx *c = ctx;

	(void)constraint;
	kv_add_error(c->x, c->v, "constraint-error", c->row, c->field + 1, c->cell,
	             c->len, NULL,
	             "The cell \"%.*s\" in row at position \"%lld\" and field \"%s\" "
	             "at position \"%d\" does not conform to a constraint: %s",
	             (int)(c->len > 60 ? 60 : c->len), c->cell ? c->cell : "", c->row,
	             c->v->f[c->field].name, c->field + 1, msg);
}

/* Label l (ll bytes) against field name `name`: exactly, or ignoring
 * ASCII case when the dialect's header is not case-sensitive (v1
 * caseSensitiveHeader false, v2 headerCase false). */
static int
label_matches(const vres *v, const char *name, const char *l, size_t ll)
{
	size_t i;

	if (strlen(name) != ll)
		return 0;
	if (v->d.header_case)
		return memcmp(name, l, ll) == 0;
	for (i = 0; i < ll; i++)
		if (tolower((unsigned char)name[i]) != tolower((unsigned char)l[i]))
			return 0;
	return 1;
}

/* The header's labels (joined from its rows, kcsv_header_join) against
 * the schema's fields, by position. */
static void
check_header(vctx *x, vres *v, const kcsv_header *h)
{
	int i, j, n = h->n > v->nf ? h->n : v->nf;

	if (h->enc_row) {
		kv_add_error(x, v, "encoding-error", -1, h->enc_field, NULL, 0, NULL,
		             "The header has %s in field at position \"%d\"",
		             h->enc_what, h->enc_field);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *l = i < h->n ? h->label[i] : NULL;
		size_t      ll = i < h->n ? h->llen[i] : 0;

		if (i >= h->n) {
			kv_add_error(x, v, "missing-label", -1, i + 1, NULL, 0, NULL,
			             "There is a missing label in the header's field \"%s\" "
			             "at position \"%d\"", v->f[i].name, i + 1);
			continue;
		}
		if (ll == 0) {
			kv_add_error(x, v, "blank-label", -1, i + 1, "", 0, NULL,
			             "Label in the header in field at position \"%d\" is "
			             "blank", i + 1);
			continue;
		}
		for (j = 0; j < i; j++)
			if (h->llen[j] == ll && !memcmp(h->label[j], l, ll))
				break;
		if (j < i) {
			kv_add_error(x, v, "duplicate-label", -1, i + 1, l, ll, NULL,
			             "Label \"%.*s\" in the header at position \"%d\" is "
			             "duplicated to a label: at position \"%d\"",
			             (int)(ll > 60 ? 60 : ll), l, i + 1, j + 1);
			continue;
		}
		if (i >= v->nf) {
			kv_add_error(x, v, "extra-label", -1, i + 1, l, ll, NULL,
			             "There is an extra label \"%.*s\" in the header at "
			             "position \"%d\"", (int)(ll > 60 ? 60 : ll), l, i + 1);
			continue;
		}
		if (!label_matches(v, v->f[i].name, l, ll))
			kv_add_error(x, v, "incorrect-label", -1, i + 1, l, ll, NULL,
			             "Label \"%.*s\" in field \"%s\" at position \"%d\" does "
			             "not match the field name in the schema",
			             (int)(ll > 60 ? 60 : ll), l, v->f[i].name, i + 1);
	}
}

/* Check the header once, when its rows are read (at the first data row
 * or the end of the file): joined labels, or -1 out of memory. */
static int
header_done(vctx *x, vres *v, kcsv_header *h, int *checked)
{
	if (*checked || !v->d.header)
		return 0;
	*checked = 1;
	if (kcsv_header_join(h, &v->d) < 0)
		return kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
	check_header(x, v, h);
	return 0;
}

static json_t *
key_cells(const vres *v, const int *idx, int n, const kcsv_rec *rec)
{
	json_t *a = json_array();
	int     i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, idx[i] < rec->nf
		                             ? cell_json(rec->v[idx[i]], rec->len[idx[i]])
		                             : json_null());
	(void)v;
	return a;
}

void
kv_names_text(const vres *v, const int *idx, int n, char *out, size_t sz)
{
	size_t k = 0;
	int    i;

	out[0] = '\0';
	for (i = 0; i < n && k < sz; i++)
		k += (size_t)snprintf(out + k, sz - k, "%s%s", i ? ", " : "",
		                      v->f[idx[i]].name);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One progress note: rows, rows/s since t0, percent of bytes. */
static void
progress(const kv_opts *o, vres *v, long long size, int final, double t0)
{
	double dt = now_s() - t0;

	if (size <= 0)
		return;
	kv_notef(o, final ? KV_NOTE_PROGRESS_END : KV_NOTE_PROGRESS,
	         "%s: %lld rows, %.0f rows/s, %3d%%", v->r->name,
	         v->st.rows, dt > 0 ? (double)v->st.rows / dt : 0.0,
	         (int)(100.0 * (double)v->st.bytes / (double)size));
}

static int
run_resource(vctx *x, int ri, const kv_opts *opts,
             int (*begin)(void *, int), kv_row_fn fn, void *ctx)
{
	vres        *v = &x->v[ri];
	kcsv        *c;
	kcsv_rec     rec;
	kv_value    *vals = NULL;
	unsigned char *key = NULL;
	char        *scratch = NULL;
	size_t       scap = 0, kcap = 0;
	char        *ok = NULL;   /* per field: typed and non-null */
	int          rc, i, k, result = -1;
	long long    size = 0, fsize = 0;
	kcsv_header  head;
	int          head_checked = 0;
	struct stat  sb;
	time_t       last = 0;
	double       t0 = now_s();

	memset(&head, 0, sizeof(head));
	if (!(c = kcsv_open_fd(v->r->fd, v->r->path, &v->d, 1, x->err)))
		return -1;
	if (fstat(v->r->fd, &sb) == 0)
		fsize = sb.st_size;
	if (opts && opts->progress)
		size = fsize;
	vals = calloc((size_t)v->nf + 1, sizeof(*vals));
	ok = calloc((size_t)v->nf + 1, 1);
	if (!vals || !ok) {
		kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
		goto out;
	}
	if (begin && !x->pkg_invalid && begin(ctx, ri) != 0) {
		if (x->err->code == KUERI_OK || x->err->msg[0] == '\0')
			kueri_err_set(x->err, KUERI_EINTERNAL, -1,
			              "the loader stopped");
		goto out;
	}
	v->started = 1;
	for (;;) {
		int      blank = 1, row_errs;
		long long before = v->nerr;

		rc = kcsv_next(c, &rec, x->err);
		if (rc < 0) {
			if (x->err->code == KUERI_EIO || x->err->code == KUERI_ENOMEM)
				goto out;
			kv_add_error(x, v, "source-error", x->err->row > 0 ? x->err->row : -1,
			             -1, NULL, 0, NULL, "%s", x->err->msg);
			kueri_err_clear(x->err);
			break;
		}
		if (rc == 0) {
			if (kcsv_bytes(c) == 0 || (v->nf == 0))
				kv_add_error(x, v, "source-error", -1, -1, NULL, 0, NULL,
				             "The data source is empty: there is no header and "
				             "no data");
			else if (header_done(x, v, &head, &head_checked) < 0)
				goto out;
			break;
		}
		if (rec.row > 0xffffffffLL) {
			kv_add_error(x, v, "source-error", rec.row, -1, NULL, 0, NULL,
			             "more than 4294967295 records");
			break;
		}
		if ((rec.row - 1) % CKPT == 0) {
			if (kv_grow((void **)&v->ckpt, &v->ckcap, v->nckpt + 1,
			            sizeof(*v->ckpt)) < 0) {
				kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
				goto out;
			}
			v->ckpt[v->nckpt++] = rec.offset;
		}
		/* Checkpoints above count every record; comments and the
		 * header are skipped here, so rec.row stays the physical
		 * record number in every message. */
		switch (kcsv_kind(&v->d, &rec)) {
		case KCSV_HEADER:
			if (kcsv_header_add(&head, &rec) < 0) {
				kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
				goto out;
			}
			continue;
		case KCSV_SKIP:
			continue;
		default:
			break;
		}
		if (header_done(x, v, &head, &head_checked) < 0)
			goto out;
		v->st.rows++;
		if (v->st.rows == 4096 && fsize > 0 && rec.offset > 0) {
			/* Rows expected ≈ file size / bytes per row so far (+10%). */
			size_t est = (size_t)((double)fsize / (double)rec.offset *
			                      4096.0 * 1.1);

			for (k = 0; k < v->nuniq; k++)
				kvs_reserve(&v->uniq[k].set, est);
			if (v->pk.n)
				kvs_reserve(&v->pk.set, est);
			for (k = 0; k < v->nrefs; k++)
				kvs_reserve(&v->refs[k].set, est);
		}
		if (size && (v->st.rows & 0xffff) == 0 && time(NULL) != last) {
			last = time(NULL);
			v->st.bytes = kcsv_bytes(c);
			progress(opts, v, size, 0, t0);
		}
		if (rec.enc_field) {
			kv_add_error(x, v, "encoding-error", rec.row, rec.enc_field, NULL, 0,
			             NULL, "The cell in row at position \"%lld\" and field "
			             "at position \"%d\" has %s (the file must be UTF-8)",
			             rec.row, rec.enc_field, rec.enc_what);
			continue;
		}
		/* Scratch for typed text: 2n + 64 per cell. */
		{
			size_t need = 64, kneed = 64;

			for (i = 0; i < rec.nf && i < v->nf; i++) {
				need += rec.len[i] * 2 + 64;
				kneed += rec.len[i] + 80;
			}
			need += (size_t)v->nf * 64;
			kneed += (size_t)v->nf * 80;
			if (kv_grow((void **)&scratch, &scap, need, 1) < 0 ||
			    kv_grow((void **)&key, &kcap, kneed, 1) < 0) {
				kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
				goto out;
			}
		}
		for (i = 0; i < rec.nf; i++)
			if (rec.len[i]) {
				blank = 0;
				break;
			}
		if (blank) {
			kv_add_error(x, v, "blank-row", rec.row, -1, NULL, 0, NULL,
			             "Row at position \"%lld\" is completely blank", rec.row);
			for (i = 0; i < v->nf; i++) {
				vals[i].null = 1;
				ok[i] = 0;
			}
		} else {
			size_t off = 0;

			for (i = 0; i < v->nf; i++) {
				kvt_field  *f = &v->f[i];
				const char *why;
				cellctx     cc = { x, v, rec.row, i, NULL, 0 };

				ok[i] = 0;
				if (i >= rec.nf) {
					memset(&vals[i], 0, sizeof(vals[i]));
					vals[i].null = 1;
					if (f->required)
						report_constraint(&cc, "required",
						                  "constraint \"required\" is \"true\"");
					continue;
				}
				cc.cell = rec.v[i];
				cc.len = rec.len[i];
				if (kvt_parse(f, rec.v[i], rec.len[i], &vals[i], scratch + off,
				              &why)) {
					kv_add_error(x, v, "type-error", rec.row, i + 1, rec.v[i],
					             rec.len[i], NULL,
					             "Type error in the cell \"%.*s\" in row \"%lld\" "
					             "and field \"%s\" at position \"%d\": type is "
					             "\"%s\" (%s)", (int)(rec.len[i] > 60 ? 60 : rec.len[i]),
					             rec.v[i], rec.row, f->name, i + 1,
					             kp_type_label(f), why);
					vals[i].null = 1;
					ok[i] = 2;
				} else {
					ok[i] = !vals[i].null;
					if (kvt_check(f, &vals[i], rec.v[i], rec.len[i],
					              report_constraint, &cc) != 0 &&
					    f->re_gaveup >= MAX_GAVEUP && f->re) {
						char w[300];

						snprintf(w, sizeof(w), "field \"%s\": pattern checks "
						         "stopped after %d values exceeded the match "
						         "limit; the pattern is too costly", f->name,
						         MAX_GAVEUP);
						json_array_append_new(v->warnings, json_string(w));
						pcre2_code_free(f->re);
						f->re = NULL;
					}
				}
				off += rec.len[i] * 2 + 64;
			}
			for (i = v->nf; i < rec.nf; i++)
				kv_add_error(x, v, "extra-cell", rec.row, i + 1, rec.v[i],
				             rec.len[i], NULL,
				             "Row at position \"%lld\" has an extra value in field "
				             "at position \"%d\"", rec.row, i + 1);
			for (i = rec.nf; i < v->nf; i++)
				kv_add_error(x, v, "missing-cell", rec.row, i + 1, NULL, 0, NULL,
				             "Row at position \"%lld\" has a missing cell in field "
				             "\"%s\" at position \"%d\"", rec.row, v->f[i].name,
				             i + 1);
		}
		/* Keys: typed values, compared exactly. */
		for (k = 0; k < v->nuniq; k++) {
			kvkey    *u = &v->uniq[k];
			int       all = 1, none = 1;
			long long dup;

			for (i = 0; i < u->n; i++) {
				all &= ok[u->idx[i]] == 1;
				none &= ok[u->idx[i]] != 1;
			}
			if (!all || none)
				continue;
			x->cklen = kv_key_bytes(v, u->idx, u->n, vals, key);
			x->ckey = key;
			x->cres = v;
			x->cidx = u->idx;
			x->cn = u->n;
			dup = kvs_find(&u->set, kvs_hash(key, x->cklen), kv_confirm_equal, x,
			               (uint32_t)rec.row);
			if (dup < 0)
				goto oom_or_io;
			if (dup > 0) {
				char names[200];

				kv_names_text(v, u->idx, u->n, names, sizeof(names));
				if (k < v->nuniq_fields)
					kv_add_error(x, v, "unique-error", rec.row, u->idx[0] + 1,
					             rec.v[u->idx[0]], rec.len[u->idx[0]], NULL,
					             "Row at position \"%lld\" has unique constraint "
					             "violation in field \"%s\" at position \"%d\": the "
					             "same as in row at position \"%lld\"", rec.row,
					             names, u->idx[0] + 1, dup);
				else
					kv_add_error(x, v, "unique-error", rec.row, -1, NULL, 0,
					             key_cells(v, u->idx, u->n, &rec),
					             "Row at position \"%lld\" violates the unique "
					             "key (%s): the same as in row at position "
					             "\"%lld\"", rec.row, names, dup);
			}
		}
		if (v->pk.n) {
			int all = 1, nul = -1;

			/* ok[]: 0 missing, 1 typed, 2 type error (already reported). */
			for (i = 0; i < v->pk.n; i++) {
				int j = v->pk.idx[i];

				if (ok[j] == 0 && nul < 0)
					nul = j;
				all &= ok[j] == 1;
			}
			for (i = 0; i < v->pk.n; i++)
				if (ok[v->pk.idx[i]] == 2)
					nul = -2;
			if (nul >= 0) {
				kv_add_error(x, v, "primary-key-error", rec.row, -1, NULL, 0,
				             key_cells(v, v->pk.idx, v->pk.n, &rec),
				             "Row at position \"%lld\" violates the primary key: "
				             "field \"%s\" is missing (primary key fields are "
				             "required)", rec.row, v->f[nul].name);
			} else if (all) {
				long long dup;

				x->cklen = kv_key_bytes(v, v->pk.idx, v->pk.n, vals, key);
				x->ckey = key;
				x->cres = v;
				x->cidx = v->pk.idx;
				x->cn = v->pk.n;
				dup = kvs_find(&v->pk.set, kvs_hash(key, x->cklen),
				               kv_confirm_equal, x, (uint32_t)rec.row);
				if (dup < 0)
					goto oom_or_io;
				if (dup > 0)
					kv_add_error(x, v, "primary-key-error", rec.row, -1, NULL, 0,
					             key_cells(v, v->pk.idx, v->pk.n, &rec),
					             "Row at position \"%lld\" violates the primary "
					             "key: the same as in row at position \"%lld\"",
					             rec.row, dup);
			}
		}
		for (k = 0; k < v->nfks; k++) {
			kvfk     *fk = &v->fks[k];
			vres     *t = &x->v[fk->target];
			int       all = 1, none = 1;
			long long hit;
			uint64_t  h;

			for (i = 0; i < fk->n; i++) {
				all &= ok[fk->idx[i]] == 1;
				none &= ok[fk->idx[i]] != 1;
			}
			if (!all || none)
				continue;
			x->cklen = kv_key_bytes(v, fk->idx, fk->n, vals, key);
			x->ckey = key;
			x->cres = t;
			x->cidx = t->refs[fk->ref].idx;
			x->cn = t->refs[fk->ref].n;
			h = kvs_hash(key, x->cklen);
			hit = kvs_find(&t->refs[fk->ref].set, h, kv_confirm_equal, x, 0);
			if (hit < 0)
				goto oom_or_io;
			if (hit > 0)
				continue;
			if (!t->done) {
				if (kv_grow((void **)&v->pend, &v->pendcap, v->npend + 1,
				            sizeof(*v->pend)) < 0)
					goto oom_or_io;
				v->pend[v->npend].h = h;
				v->pend[v->npend].row = (uint32_t)rec.row;
				v->pend[v->npend++].fk = k;
				continue;
			}
			{
				char names[200];

				kv_names_text(v, fk->idx, fk->n, names, sizeof(names));
				kv_add_error(x, v, "foreign-key-error", rec.row, -1, NULL, 0,
				             kv_row_cells(&rec),
				             "Row at position \"%lld\" violates the foreign key: "
				             "the values of (%s) are not found in resource \"%s\"",
				             rec.row, names, t->r->name);
			}
		}
		/* This row's keys become visible to foreign keys into us. */
		for (k = 0; k < v->nrefs; k++) {
			kvkey *rf = &v->refs[k];
			int    all = 1;

			for (i = 0; i < rf->n; i++)
				all &= ok[rf->idx[i]] == 1;
			if (!all)
				continue;
			x->cklen = kv_key_bytes(v, rf->idx, rf->n, vals, key);
			{
				if (kvs_add(&rf->set, kvs_hash(key, x->cklen),
				            (uint32_t)rec.row) < 0)
					goto oom_or_io;
			}
		}
		row_errs = v->nerr != before;
		if (fn && !x->pkg_invalid && !row_errs &&
		    fn(ctx, rec.row, vals, v->nf) != 0) {
			/* The loader's own reason (e.g. the disk is full) is
			 * the one to report; this is only a fallback. */
			if (x->err->code == KUERI_OK || x->err->msg[0] == '\0')
				kueri_err_set(x->err, KUERI_EINTERNAL, -1,
				              "the loader stopped at row %lld", rec.row);
			goto out;
		}
	}
	v->st.bytes = kcsv_bytes(c);
	kcsv_sha256(c, v->st.sha256);
	if (size)
		progress(opts, v, size, 1, t0);
	v->done = 1;
	result = 0;
	goto out;
oom_or_io:
	if (x->err->code == KUERI_OK)
		kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
out:
	kcsv_header_free(&head);
	kcsv_close(c);
	free(vals);
	free(ok);
	free(scratch);
	free(key);
	return result;
}

/* Referenced resources first; ties and cycles in package order. */
static int
next_resource(vctx *x)
{
	int ri, k, first = -1;

	for (ri = 0; ri < x->pkg->nres; ri++) {
		vres *v = &x->v[ri];
		int   ready = 1;

		if (v->started)
			continue;
		if (first < 0)
			first = ri;
		for (k = 0; k < v->nfks; k++)
			if (v->fks[k].target != ri && !x->v[v->fks[k].target].done)
				ready = 0;
		if (ready)
			return ri;
	}
	return first;
}

int
kv_verify(kv_package *pkg, const kv_opts *opts,
          int (*begin)(void *ctx, int ri), kv_row_fn fn, void *ctx,
          json_t **report, kv_stats *stats, kueri_err *err)
{
	vctx    x;
	int     ri, valid = 1, result = -1;
	json_t *tasks;

	memset(&x, 0, sizeof(x));
	x.pkg = pkg;
	x.err = err;
	x.limit = opts && opts->limit_errors > 0 ? opts->limit_errors : 1000;
	kueri_err_clear(err);
	if (report)
		*report = NULL;
	kvs_seed();
	if (!(x.v = calloc((size_t)pkg->nres + 1, sizeof(*x.v)))) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		return -1;
	}
	if (kv_keys_setup(&x) < 0)
		goto out;
	while ((ri = next_resource(&x)) >= 0)
		if (run_resource(&x, ri, opts, begin, fn, ctx) < 0)
			goto out;
	for (ri = 0; ri < pkg->nres; ri++)
		if (x.v[ri].npend && kv_resolve_pending(&x, &x.v[ri]) < 0)
			goto out;
	tasks = json_array();
	for (ri = 0; ri < pkg->nres; ri++) {
		vres   *v = &x.v[ri];
		json_t *st = json_object();

		v->st.errors = v->nerr;
		if (v->nerr > (long long)json_array_size(v->errors)) {
			char w[120];

			snprintf(w, sizeof(w), "reached error limit: %lld (%lld errors "
			         "found, %zu reported)", x.limit, v->nerr,
			         json_array_size(v->errors));
			json_array_append_new(v->warnings, json_string(w));
		}
		json_object_set_new(v->task, "name", json_string(v->r->name));
		json_object_set_new(v->task, "valid", json_boolean(v->nerr == 0));
		json_object_set_new(st, "rows", json_integer(v->st.rows));
		json_object_set_new(st, "errors", json_integer(v->nerr));
		json_object_set_new(st, "bytes", json_integer(v->st.bytes));
		json_object_set_new(st, "sha256", json_string(v->st.sha256));
		json_object_set_new(v->task, "stats", st);
		json_object_set(v->task, "warnings", v->warnings);
		json_object_set(v->task, "errors", v->errors);
		json_array_append(tasks, v->task);
		if (v->nerr)
			valid = 0;
		if (stats)
			stats[ri] = v->st;
	}
	if (report) {
		*report = json_object();
		json_object_set_new(*report, "valid", json_boolean(valid));
		json_object_set_new(*report, "tasks", tasks);
	} else {
		json_decref(tasks);
	}
	result = valid ? 0 : 1;
out:
	kv_keys_teardown(&x);
	return result;
}
