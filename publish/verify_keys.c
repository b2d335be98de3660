/*
 * verify_keys.c -- the memory verify.c's checks keep of earlier rows:
 * each resource's key sets (unique fields, uniqueKeys, the primary key,
 * the keys foreign keys look into) set up from the schema and torn
 * down, the canonical key bytes of a typed row, the exact comparison of
 * a hash hit by re-reading the earlier row, and the foreign keys left
 * pending until their target's pass is over.  See verify.c's opening
 * comment for the design.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

/* ---- keys ------------------------------------------------------------- */

/* Canonical bytes of fields idx[0..n) of a typed row: 4-byte length then
 * kvt_key bytes per field (a logical value: a datetime's instant, a
 * number's value).  `out` needs sum(len) + 20 per field. */
size_t
kv_key_bytes(const vres *v, const int *idx, int n, const kv_value *vals,
             unsigned char *out)
{
	size_t k = 0;
	int    i;

	for (i = 0; i < n; i++) {
		uint32_t l = (uint32_t)kvt_key(&v->f[idx[i]], &vals[idx[i]], out + k + 4);

		memcpy(out + k, &l, 4);
		k += 4 + l;
	}
	return k;
}

/* Type fields idx of a re-read record into vals (scratch in x).  Returns
 * 0 when all are valid and non-null. */
static int
type_fields(vctx *x, const vres *v, const kcsv_rec *rec, const int *idx,
            int n, kv_value *vals)
{
	size_t need = 64, off = 0;
	int    i;

	for (i = 0; i < n; i++)
		need += (idx[i] < rec->nf ? rec->len[idx[i]] * 2 : 0) + 64;
	if (kv_grow((void **)&x->rscratch, &x->rscap, need, 1) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		int         j = idx[i];
		const char *why;

		if (j >= rec->nf)
			return 1;
		if (kvt_parse(&v->f[j], rec->v[j], rec->len[j], &vals[j],
		              x->rscratch + off, &why) || vals[j].null)
			return 1;
		off += rec->len[j] * 2 + 64;
	}
	return 0;
}

/* Re-read record `row` of resource v into *rec. 1 found, 0 not, -1 err. */
static int
reread(vctx *x, vres *v, uint32_t row, kcsv_rec *rec)
{
	size_t k = (row - 1) / CKPT;
	int    rc;

	if (!v->reread && !(v->reread = kcsv_open_fd(v->r->fd, v->r->path, &v->d, 0, x->err)))
		return -1;
	if (k >= v->nckpt)
		return 0;
	if (kcsv_seek(v->reread, v->ckpt[k], (long long)k * CKPT + 1, x->err) < 0)
		return -1;
	while ((rc = kcsv_next(v->reread, rec, x->err)) == 1)
		if (rec->row == row)
			return 1;
	return rc < 0 ? -1 : 0;
}

/* confirm_fn: is row `row` of x->cres equal on x->cidx to x->ckey? */
int
kv_confirm_equal(void *ctx, uint32_t row)
{
	vctx     *x = ctx;
	kcsv_rec  rec;
	kv_value *vals;
	size_t    need = 0, kl;
	int       rc, i;

	/* Sorted data asks about the same row again and again (every village
	 * of one district): remember the last answer's key. */
	if (x->cres->last_row == row && x->cres->last_idx == x->cidx)
		return x->cres->last_len == x->cklen &&
		       memcmp(x->cres->last_key, x->ckey, x->cklen) == 0;
	if ((rc = reread(x, x->cres, row, &rec)) <= 0)
		return rc;
	if (!(vals = calloc((size_t)x->cres->nf + 1, sizeof(*vals))))
		return -1;
	rc = type_fields(x, x->cres, &rec, x->cidx, x->cn, vals);
	if (rc == 0) {
		for (i = 0; i < x->cn; i++)
			need += vals[x->cidx[i]].len + 16;
		if (kv_grow((void **)&x->rkey, &x->rkcap, need + 16, 1) < 0)
			rc = -1;
		else {
			kl = kv_key_bytes(x->cres, x->cidx, x->cn, vals, x->rkey);
			rc = kl == x->cklen && memcmp(x->rkey, x->ckey, kl) == 0;
			if (kv_grow((void **)&x->cres->last_key, &x->cres->last_cap, kl + 1,
			            1) == 0) {
				memcpy(x->cres->last_key, x->rkey, kl);
				x->cres->last_len = kl;
				x->cres->last_row = row;
				x->cres->last_idx = x->cidx;
			}
		}
	} else if (rc > 0) {
		rc = 0;
	}
	free(vals);
	return rc;
}

/* ---- setup ------------------------------------------------------------ */

static int
ref_index(vres *t, const int *idx, int n)
{
	int i;

	for (i = 0; i < t->nrefs; i++)
		if (t->refs[i].n == n && !memcmp(t->refs[i].idx, idx, sizeof(int) * (size_t)n))
			return i;
	return -1;
}

int
kv_keys_setup(vctx *x)
{
	kv_package *pkg = x->pkg;
	int         ri, i;

	for (ri = 0; ri < pkg->nres; ri++) {
		vres   *v = &x->v[ri];
		json_t *schema = pkg->res[ri].schema, *fields, *u;
		size_t  k;

		v->r = &pkg->res[ri];
		if (kvp_dialect(json_array_get(json_object_get(pkg->json,
		                                               "resources"),
		                               (size_t)ri), &v->d, x->err) < 0)
			return -1;
		fields = json_object_get(schema, "fields");
		v->nf = (int)json_array_size(fields);
		v->f = calloc((size_t)v->nf + 1, sizeof(*v->f));
		if (!v->f)
			return kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
		for (i = 0; i < v->nf; i++) {
			json_t *fj = json_array_get(fields, (size_t)i);
			int     tz;

			if (kvt_timezone(pkg->json, json_array_get(json_object_get(
			        pkg->json, "resources"), (size_t)ri), fj, &tz, x->err) < 0 ||
			    kvt_compile(&v->f[i], fj, json_object_get(schema,
			                "missingValues"), tz, x->err) < 0)
				return -1;
		}
		for (i = 0; i < v->nf; i++)
			v->nuniq_fields += v->f[i].unique;
		u = json_object_get(schema, "uniqueKeys");
		v->nuniq = v->nuniq_fields + (int)json_array_size(u);
		v->uniq = calloc((size_t)v->nuniq + 1, sizeof(*v->uniq));
		if (!v->uniq)
			return kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
		for (k = 0, i = 0; i < v->nf; i++)
			if (v->f[i].unique) {
				v->uniq[k].idx = malloc(sizeof(int));
				if (!v->uniq[k].idx)
					return kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
				v->uniq[k].idx[0] = i;
				v->uniq[k++].n = 1;
			}
		for (i = 0; i < (int)json_array_size(u); i++, k++)
			if (!(v->uniq[k].idx = kvp_field_list(json_array_get(u, (size_t)i),
			                                      schema, &v->uniq[k].n,
			                                      "uniqueKeys", x->err)))
				return -1;
		if (v->r->nkeys) {
			v->pk.n = v->r->nkeys;
			v->pk.idx = malloc(sizeof(int) * (size_t)v->pk.n);
			if (!v->pk.idx)
				return kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
			memcpy(v->pk.idx, v->r->keys, sizeof(int) * (size_t)v->pk.n);
		}
		v->task = json_object();
		v->errors = json_array();
		v->warnings = json_array();
	}
	/* Foreign keys, and on each target the key set they look into. */
	for (ri = 0; ri < pkg->nres; ri++) {
		vres   *v = &x->v[ri];
		json_t *fks = json_object_get(pkg->res[ri].schema, "foreignKeys"), *fk;
		size_t  k;

		v->nfks = (int)json_array_size(fks);
		v->fks = calloc((size_t)v->nfks + 1, sizeof(*v->fks));
		if (!v->fks)
			return kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
		json_array_foreach(fks, k, fk) {
			kvfk       *f = &v->fks[k];
			json_t     *ref = json_object_get(fk, "reference");
			const char *tn = json_string_value(json_object_get(ref, "resource"));
			vres       *t;
			int        *tidx, tn2;

			f->target = tn && *tn ? kvp_resource_index(pkg, tn) : ri;
			t = &x->v[f->target];
			f->names = json_object_get(fk, "fields");
			if (!(f->idx = kvp_field_list(f->names, pkg->res[ri].schema, &f->n,
			                              "foreignKeys.fields", x->err)))
				return -1;
			if (!(tidx = kvp_field_list(json_object_get(ref, "fields"),
			                            pkg->res[f->target].schema, &tn2,
			                            "foreignKeys.reference.fields", x->err)))
				return -1;
			if ((f->ref = ref_index(t, tidx, tn2)) < 0) {
				kvkey *nr = realloc(t->refs, sizeof(*nr) * (size_t)(t->nrefs + 1));

				if (!nr) {
					free(tidx);
					return kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
				}
				t->refs = nr;
				memset(&t->refs[t->nrefs], 0, sizeof(kvkey));
				t->refs[t->nrefs].idx = tidx;
				t->refs[t->nrefs].n = tn2;
				f->ref = t->nrefs++;
			} else {
				free(tidx);
			}
		}
	}
	return 0;
}

void
kv_keys_teardown(vctx *x)
{
	int ri, i;

	for (ri = 0; ri < x->pkg->nres; ri++) {
		vres *v = &x->v[ri];

		for (i = 0; i < v->nf; i++)
			kvt_free(&v->f[i]);
		free(v->f);
		for (i = 0; i < v->nuniq; i++) {
			free(v->uniq[i].idx);
			kvs_free(&v->uniq[i].set);
		}
		free(v->uniq);
		free(v->pk.idx);
		kvs_free(&v->pk.set);
		for (i = 0; i < v->nrefs; i++) {
			free(v->refs[i].idx);
			kvs_free(&v->refs[i].set);
		}
		free(v->refs);
		for (i = 0; i < v->nfks; i++)
			free(v->fks[i].idx);
		free(v->fks);
		free(v->ckpt);
		free(v->pend);
		free(v->last_key);
		kcsv_close(v->reread);
		json_decref(v->task);
		json_decref(v->errors);
		json_decref(v->warnings);
	}
	free(x->v);
	free(x->rscratch);
	free(x->rkey);
}

/* Pending foreign keys (self references, cycles), now that every key set
 * is complete. */
int
kv_resolve_pending(vctx *x, vres *v)
{
	size_t    i;
	kv_value *vals = calloc((size_t)v->nf + 1, sizeof(*vals));
	unsigned char *key = NULL;
	size_t    kcap = 0;
	kcsv     *own = NULL;

	if (!vals)
		return kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
	for (i = 0; i < v->npend; i++) {
		kvpend  *p = &v->pend[i];
		kvfk    *fk = &v->fks[p->fk];
		vres    *t = &x->v[fk->target];
		kcsv_rec rec;
		long long hit;
		size_t   need = 64;
		int      j, rc;
		char     names[200];

		/* First look: the hash alone may already be absent. */
		x->cres = t;
		x->cidx = t->refs[fk->ref].idx;
		x->cn = t->refs[fk->ref].n;
		/* Re-read our own row to rebuild its key bytes. */
		if (!own && !(own = kcsv_open_fd(v->r->fd, v->r->path, &v->d, 0, x->err)))
			goto fail;
		{
			size_t k = (p->row - 1) / CKPT;

			if (kcsv_seek(own, v->ckpt[k], (long long)k * CKPT + 1, x->err) < 0)
				goto fail;
			while ((rc = kcsv_next(own, &rec, x->err)) == 1 && rec.row != p->row)
				;
			if (rc != 1)
				goto fail;
		}
		for (j = 0; j < fk->n; j++)
			need += rec.len[fk->idx[j]] * 2 + 80;
		if (kv_grow((void **)&key, &kcap, need, 1) < 0)
			goto fail;
		{
			/* type_fields uses x->rscratch; our key goes to `key`. */
			if (type_fields(x, v, &rec, fk->idx, fk->n, vals) != 0)
				continue;
			x->cklen = kv_key_bytes(v, fk->idx, fk->n, vals, key);
			x->ckey = key;
		}
		/* kv_confirm_equal re-reads the target with t->reread, not `own`. */
		hit = kvs_find(&t->refs[fk->ref].set, p->h, kv_confirm_equal, x, 0);
		if (hit < 0)
			goto fail;
		if (hit > 0)
			continue;
		kv_names_text(v, fk->idx, fk->n, names, sizeof(names));
		kv_add_error(x, v, "foreign-key-error", p->row, -1, NULL, 0,
		             kv_row_cells(&rec),
		             "Row at position \"%lld\" violates the foreign key: the "
		             "values of (%s) are not found in resource \"%s\"",
		             (long long)p->row, names, t->r->name);
	}
	free(vals);
	free(key);
	kcsv_close(own);
	return 0;
fail:
	free(vals);
	free(key);
	kcsv_close(own);
	if (x->err->code == KUERI_OK)
		kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
	return -1;
}
