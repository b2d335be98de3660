/*
 * load.c -- verified rows → a new version of a package in the portal,
 * all-or-nothing, through the portal's writer (portal_write.h): this file
 * decides *what* is published (which fields are searchable, whether the
 * input changed, the fingerprint, the summary); the portal decides *how*
 * it is stored.
 *
 * One writer transaction spans the whole publish: sets are created, then
 * filled straight from kv_verify's row callback; only when every resource
 * verified are the indexes and FTS tables built and the version committed.
 * Invalid data, an error or a kill -9 at any point leaves the previous
 * version exactly as it was, and readers keep serving it throughout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "pkgint.h"
#include "portal_write.h"

/*
 * Statistics gathered while rows load, for the default indexes and the
 * stored facet counts (docs/publishing.md "Indexes"): per string field
 * (but a one-field key), its distinct values counted exactly up to
 * CAT_MAX; past that the field is "many-valued" and counting stops.
 * Cost: one FNV-1a hash and a probe per string cell while counting
 * (a field with many values stops after CAT_MAX + 1 distinct ones).
 */
#define CAT_MAX    64   /* a "category" field has at most this many values */
#define CAT_SLOTS  128  /* open addressing, twice CAT_MAX                 */
#define CAT_MAXLEN 128  /* ... each at most this many bytes: a longer value
                           is not a category (and the copies stay bounded:
                           1,000 fields x 64 x 128 B = 8 MB at worst)      */

/* Default indexes (docs/publishing.md): only sets of at least
 * AUTO_MINROWS rows (below, a scan is about a millisecond), at most
 * AUTO_MAX per resource, at most AUTO_MAXCAT category fields. */
#define AUTO_MINROWS 10000
#define AUTO_MAX     3
#define AUTO_MAXCAT  2

typedef struct cat_val {
	char      *s;       /* owned copy */
	size_t     len;
	unsigned   h;
	long long  n;
} cat_val;

typedef struct cat_col {
	int           live;     /* still counting: <= CAT_MAX values so far */
	int           nv;
	long long     nulls;
	cat_val       v[CAT_MAX];
	unsigned char slot[CAT_SLOTS]; /* index into v, +1; 0 empty */
} cat_col;

/* The publish context, threaded through kv_verify's callbacks. */
typedef struct pub_ctx {
	kp_writer    *w;
	kv_package   *pkg;
	cat_col    ***cats;    /* per resource, per field: NULL or counting */
	int           cur;     /* resource whose rows arrive, -1 before  */
	double       *secs;    /* per resource: load + index time        */
	double        t0;      /* when res[cur] began                    */
	int           failed;  /* a callback failed: err holds why       */
	kueri_err    *err;
} pub_ctx;

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 1234567 → "1,234,567" */
static void
fmt_thousands(long long v, char *buf, size_t len)
{
	char tmp[32];
	size_t n, i, o = 0;
	int neg = v < 0;

	snprintf(tmp, sizeof tmp, "%llu",
	         neg ? 0ULL - (unsigned long long)v : (unsigned long long)v);
	n = strlen(tmp);
	if (neg && o + 1 < len)
		buf[o++] = '-';
	for (i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
}

/* ---- removing a package --------------------------------------------- */

int
kv_unpublish(const char *db_path, const char *name, const kv_opts *opts,
             kueri_err *err)
{
	kportal *p;
	int found = 0, rc;

	(void)opts;
	if (access(db_path, F_OK) != 0)
		return 1; /* no portal: nothing published */
	p = portal_open_rw(db_path, err);
	if (p == NULL)
		return -1;
	rc = kp_remove_package(p, name, &found, err);
	portal_close(p);
	if (rc)
		return -1;
	if (!found) {
		kueri_err_set(err, KUERI_ENOTFOUND, -1,
		              "no published package '%s'", name);
		return 1;
	}
	return 0;
}

/* ---- the fingerprint ------------------------------------------------ */

static void
sha_json(ksha256 *c, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
	                            JSON_ENCODE_ANY) : NULL;

	ksha256_update(c, s ? s : "null", s ? strlen(s) : 4);
	ksha256_update(c, "\n", 1);
	free(s);
}

/* The fingerprint of a package: its descriptor, each resource's schema
 * and CSV bytes.  `csv_sha` holds each resource's CSV SHA-256 (hex). */
static void
fingerprint(kv_package *pkg, char (*csv_sha)[65], char out[65])
{
	ksha256 c;
	int i;

	ksha256_init(&c);
	ksha256_update(&c, "kueri-fp-1\n", 11);
	sha_json(&c, pkg->json);
	for (i = 0; i < pkg->nres; i++) {
		ksha256_update(&c, pkg->res[i].name, strlen(pkg->res[i].name) + 1);
		sha_json(&c, pkg->res[i].schema);
		ksha256_update(&c, csv_sha[i], 64);
	}
	ksha256_hex(&c, out);
}

/* SHA-256 of a file's bytes, read through the resource's own descriptor
 * (pread: its offset is nobody's business); 0 ok, -1 unreadable. */
static int
sha_file(int fd, char out[65])
{
	ksha256 c;
	char *buf;
	ssize_t n;
	off_t off = 0;

	buf = malloc(1 << 16);
	if (buf == NULL)
		return -1;
	ksha256_init(&c);
	while ((n = pread(fd, buf, 1 << 16, off)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		ksha256_update(&c, buf, (size_t)n);
		off += n;
	}
	free(buf);
	ksha256_hex(&c, out);
	return n < 0 ? -1 : 0;
}

/* ---- loading rows --------------------------------------------------- */

static int
on_begin(void *vctx, int ri)
{
	pub_ctx *x = vctx;
	double t = now_mono();

	if (x->cur >= 0)
		x->secs[x->cur] += t - x->t0;
	if (ri < 0 || ri >= x->pkg->nres) {
		x->failed = 1;
		kueri_err_set(x->err, KUERI_EINTERNAL, -1,
		              "loader: no resource %d", ri);
		return -1;
	}
	x->cur = ri;
	x->t0 = t;
	return 0;
}

static void
cat_stop(cat_col *c)
{
	int i;

	for (i = 0; i < c->nv; i++)
		free(c->v[i].s);
	c->nv = 0;
	c->live = 0;
}

/* Count one cell of a category candidate. */
static void
cat_add(cat_col *c, const kv_value *v)
{
	unsigned h = 2166136261u;
	size_t   i, k;

	if (v->null) {
		c->nulls++;
		return;
	}
	if (v->len > CAT_MAXLEN) {
		cat_stop(c);
		return;
	}
	for (i = 0; i < v->len; i++)
		h = (h ^ (unsigned char)v->s[i]) * 16777619u;
	for (k = h % CAT_SLOTS; c->slot[k]; k = (k + 1) % CAT_SLOTS) {
		cat_val *e = &c->v[c->slot[k] - 1];

		if (e->h == h && e->len == v->len &&
		    memcmp(e->s, v->s, v->len) == 0) {
			e->n++;
			return;
		}
	}
	if (c->nv == CAT_MAX || (c->v[c->nv].s = malloc(v->len + 1)) == NULL) {
		cat_stop(c);   /* many-valued (or no memory: just no facet) */
		return;
	}
	memcpy(c->v[c->nv].s, v->s, v->len);
	c->v[c->nv].s[v->len] = '\0';
	c->v[c->nv].len = v->len;
	c->v[c->nv].h = h;
	c->v[c->nv].n = 1;
	c->slot[k] = (unsigned char)(++c->nv);
}

/* Counting starts for every string field but a one-field key. */
static int
cats_init(pub_ctx *x)
{
	int i, f;

	x->cats = calloc((size_t)x->pkg->nres + 1, sizeof *x->cats);
	if (x->cats == NULL)
		return -1;
	for (i = 0; i < x->pkg->nres; i++) {
		kv_resource *r = &x->pkg->res[i];

		x->cats[i] = calloc((size_t)r->nfields + 1, sizeof **x->cats);
		if (x->cats[i] == NULL)
			return -1;
		for (f = 0; f < r->nfields; f++) {
			if (r->fields[f].type != KP_STRING ||
			    (r->nkeys == 1 && r->keys[0] == f))
				continue;
			if ((x->cats[i][f] = calloc(1, sizeof ***x->cats)) == NULL)
				return -1;
			x->cats[i][f]->live = 1;
		}
	}
	return 0;
}

static void
cats_free(pub_ctx *x)
{
	int i, f;

	if (x->cats == NULL)
		return;
	for (i = 0; i < x->pkg->nres; i++) {
		for (f = 0; x->cats[i] && f < x->pkg->res[i].nfields; f++)
			if (x->cats[i][f]) {
				cat_stop(x->cats[i][f]);
				free(x->cats[i][f]);
			}
		free(x->cats[i]);
	}
	free(x->cats);
	x->cats = NULL;
}

/* One typed row into the current set (text borrowed for the call). */
static int
on_row(void *vctx, long long row, const kv_value *v, int nv)
{
	pub_ctx *x = vctx;
	cat_col **cc;
	int i;

	if (x->failed)
		return -1;
	if (x->cur < 0 && on_begin(x, 0))
		return -1;
	cc = x->cats[x->cur];
	for (i = 0; i < nv && i < x->pkg->res[x->cur].nfields; i++)
		if (cc[i] && cc[i]->live)
			cat_add(cc[i], &v[i]);
	if (kp_writer_insert(x->w, x->cur, v, nv, x->err)) {
		char why[sizeof x->err->msg];

		x->failed = 1;
		snprintf(why, sizeof why, "%s", x->err->msg);
		kueri_err_set(x->err, x->err->code, -1, "loader: row %lld: %s",
		              row, why);
		return -1;
	}
	return 0;
}

/* ---- building a version --------------------------------------------- */

/* Is field i of r searchable?  Strings are, unless the schema says
 * "kueri:search": false on the field (a kueri extension property). */
static int
field_searchable(kv_resource *r, int i)
{
	json_t *fields = json_object_get(r->schema, "fields");
	json_t *f = json_array_get(fields, (size_t)i);
	json_t *opt = json_object_get(f, "kueri:search");

	if (r->fields[i].type != KP_STRING)
		return 0;
	/* "searchable": false is accepted as a synonym (the verifier's). */
	return !json_is_false(opt) &&
	       !json_is_false(json_object_get(f, "searchable"));
}

/* A new set per resource, searchable flags decided here. */
static int
create_sets(kp_writer *w, kv_package *pkg, kueri_err *err)
{
	int i, f;

	for (i = 0; i < pkg->nres; i++) {
		kv_resource *r = &pkg->res[i];
		kp_field *fields = calloc((size_t)r->nfields + 1, sizeof *fields);
		kp_set_def d;
		int si;

		if (fields == NULL)
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		for (f = 0; f < r->nfields; f++) {
			fields[f] = r->fields[f];   /* shallow: borrowed strings */
			fields[f].searchable = field_searchable(r, f);
		}
		memset(&d, 0, sizeof d);
		d.name = r->name;
		d.title = r->title;
		d.nfields = r->nfields;
		d.fields = fields;
		d.nkeys = r->nkeys;
		d.keys = r->keys;
		d.sha256 = NULL; /* known once kv_verify has read the bytes */
		si = kp_writer_create_set(w, &d, err);
		free(fields);
		if (si < 0)
			return -1;
	}
	return 0;
}

/* Each resource's name once in the package. */
static int
check_repeats(kv_package *pkg, kueri_err *err)
{
	int i, j;

	for (i = 0; i < pkg->nres; i++)
		for (j = 0; j < i; j++)
			if (strcmp(pkg->res[i].name, pkg->res[j].name) == 0)
				return kueri_err_set(err, KUERI_ESCHEMA, -1,
				        "resource name '%s' appears twice in"
				        " package '%s'", pkg->res[i].name,
				        pkg->name);
	return 0;
}

/* Is ix already among list[0..n-1]? */
static int
has_index(const kp_index *list, int n, const kp_index *ix)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i].ncols == ix->ncols &&
		    memcmp(list[i].cols, ix->cols,
		           (size_t)ix->ncols * sizeof ix->cols[0]) == 0)
			return 1;
	return 0;
}

/* Is field f part of r's primary key? */
static int
in_key(const kv_resource *r, int f)
{
	int k;

	for (k = 0; k < r->nkeys; k++)
		if (r->keys[k] == f)
			return 1;
	return 0;
}

/*
 * The indexes of resource r: its declared ones, then -- unless it
 * declares "kueri:indexes" (even []) or has fewer than AUTO_MINROWS rows
 * -- the defaults (docs/publishing.md "Default indexes"):
 *   the "measure" M: the first integer or number field outside the key
 *   (else the first date or datetime field);
 *   for each of the first AUTO_MAXCAT category fields C (string, 2 to
 *   CAT_MAX distinct values): (C, M), or (C) without a measure -- the
 *   journalist's "one category, ordered by a number" and groupby C;
 *   (M) alone: $orderby=M with $top, and ranges on M.
 * Writes them into out (room for KV_MAX_INDEXES + AUTO_MAX); returns
 * how many, *ndef of them defaults.
 */
static int
pick_indexes(const kv_resource *r, cat_col **cc, long long rows,
             kp_index *out, int *ndef)
{
	int n = 0, f, m = -1, ncat = 0, start;
	kp_index ix;

	for (f = 0; f < r->nindexes; f++)
		out[n++] = r->indexes[f];
	start = n;
	*ndef = 0;
	if (r->declared || rows < AUTO_MINROWS)
		return n;
	for (f = 0; f < r->nfields && m < 0; f++)
		if ((r->fields[f].type == KP_INTEGER ||
		     r->fields[f].type == KP_NUMBER) && !in_key(r, f))
			m = f;
	for (f = 0; f < r->nfields && m < 0; f++)
		if ((r->fields[f].type == KP_DATE ||
		     r->fields[f].type == KP_DATETIME) && !in_key(r, f))
			m = f;
	for (f = 0; f < r->nfields && ncat < AUTO_MAXCAT; f++) {
		if (cc[f] == NULL || !cc[f]->live || cc[f]->nv < 2)
			continue;
		memset(&ix, 0, sizeof ix);
		ix.cols[ix.ncols++] = f;
		if (m >= 0)
			ix.cols[ix.ncols++] = m;
		ncat++;
		if (n - start < AUTO_MAX && !has_index(out, n, &ix))
			out[n++] = ix;
	}
	if (m >= 0) {
		memset(&ix, 0, sizeof ix);
		ix.cols[ix.ncols++] = m;
		if (n - start < AUTO_MAX && !has_index(out, n, &ix))
			out[n++] = ix;
	}
	*ndef = n - start;
	return n;
}

/* "(provinsi, jumlah_penduduk)" */
static void
index_text(const kv_resource *r, const kp_index *ix, char *buf, size_t len)
{
	size_t o = 0;
	int i;

	o += (size_t)snprintf(buf, len, "(");
	for (i = 0; i < ix->ncols && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
		                      r->fields[ix->cols[i]].name);
	if (o < len)
		snprintf(buf + o, len - o, ")");
}

/* Secondary indexes, ANALYZE and the stored facet counts of resource i,
 * after kp_writer_build. */
static int
build_extra(pub_ctx *x, int i, const kv_opts *opts, kueri_err *err)
{
	kv_resource *r = &x->pkg->res[i];
	cat_col **cc = x->cats[i];
	kp_index list[KV_MAX_INDEXES + AUTO_MAX];
	char what[600], one[300];
	size_t o = 0;
	int n, ndef, k, f, v;

	n = pick_indexes(r, cc, kp_writer_rows(x->w, i), list, &ndef);
	for (k = 0; k < n; k++) {
		if (kp_writer_index(x->w, i, &list[k], err))
			return -1;
		index_text(r, &list[k], one, sizeof one);
		if (o < sizeof what)
			o += (size_t)snprintf(what + o, sizeof what - o, "%s%s%s",
			                      k ? ", " : "", one,
			                      k >= n - ndef ? " default" : "");
	}
	if (n > 0) {
		if (kp_writer_analyze(x->w, i, err))
			return -1;
		kv_notef(opts, KV_NOTE_INFO, "%s: indexes %s", r->name, what);
	}
	/* Facet counts of every category field (values with counts over the
	 * whole set; public data only: this is publish), after the marker
	 * that says this set has them. */
	if (kp_writer_facet(x->w, i, -1, NULL, 0, kp_writer_rows(x->w, i), err))
		return -1;
	for (f = 0; f < r->nfields; f++) {
		if (cc[f] == NULL || !cc[f]->live)
			continue;
		for (v = 0; v < cc[f]->nv; v++)
			if (kp_writer_facet(x->w, i, f, cc[f]->v[v].s, cc[f]->v[v].len,
			                    cc[f]->v[v].n, err))
				return -1;
		if (cc[f]->nulls > 0 &&
		    kp_writer_facet(x->w, i, f, NULL, 0, cc[f]->nulls, err))
			return -1;
	}
	return 0;
}

static void
summary(const kv_opts *opts, kv_package *pkg, const long long *rows,
        const double *secs, long long version)
{
	char n[40];
	int i;

	for (i = 0; i < pkg->nres; i++) {
		fmt_thousands(rows[i], n, sizeof n);
		kv_notef(opts, KV_NOTE_INFO, "%s: %s row%s, version %lld, %.1f s",
		         pkg->res[i].name, n, rows[i] == 1 ? "" : "s", version,
		         secs[i]);
	}
}

/* Load, index and catalog every resource inside one writer transaction.
 * 0 committed, 1 invalid (rolled back), 2 unchanged (rolled back),
 * -1 error (rolled back). */
static int
publish_txn(kportal *p, kv_package *pkg, const kv_opts *opts,
            json_t **report, kueri_err *err)
{
	pub_ctx x;
	kv_stats *stats = NULL;
	char (*shas)[65] = NULL;
	long long *rows = NULL;
	char fp[65];
	const char *oldfp;
	char *desc = NULL;
	long long oldver, version;
	kp_package_def def;
	int i, rc = -1, vrc, existed;

	memset(&x, 0, sizeof x);
	x.pkg = pkg;
	x.cur = -1;
	x.err = err;
	x.secs = calloc((size_t)pkg->nres + 1, sizeof *x.secs);
	stats = calloc((size_t)pkg->nres + 1, sizeof *stats);
	shas = calloc((size_t)pkg->nres + 1, sizeof *shas);
	rows = calloc((size_t)pkg->nres + 1, sizeof *rows);
	if (x.secs == NULL || stats == NULL || shas == NULL || rows == NULL) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		goto out;
	}
	if (cats_init(&x)) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		goto out;
	}
	if ((x.w = kp_writer_begin(p, pkg->name, err)) == NULL)
		goto out;
	/* Inside the write lock, so no other publisher can take a name
	 * between the check and our insert. */
	if (check_repeats(pkg, err) || create_sets(x.w, pkg, err)) {
		rc = err && err->code == KUERI_ESCHEMA ? 1 : -1;
		goto rollback;
	}
	existed = kp_writer_current(x.w, &oldver, &oldfp);

	vrc = kv_verify(pkg, opts, on_begin, on_row, &x, report, stats, err);
	if (x.cur >= 0)
		x.secs[x.cur] += now_mono() - x.t0;
	if (x.failed || vrc < 0)
		goto rollback;
	if (vrc == 1) {
		rc = 1;
		kueri_err_set(err, KUERI_EINVALID, -1, "package '%s' is invalid;"
		              " nothing was published", pkg->name);
		goto rollback;
	}
	for (i = 0; i < pkg->nres; i++)
		memcpy(shas[i], stats[i].sha256, 65);
	fingerprint(pkg, shas, fp);
	if (existed && strcmp(fp, oldfp) == 0) {
		rc = 2;
		kv_notef(opts, KV_NOTE_INFO, "%s: unchanged, version %lld",
		         pkg->name, oldver);
		goto rollback;
	}
	for (i = 0; i < pkg->nres; i++) {
		double t0 = now_mono();

		if (opts->progress)
			kv_notef(opts, KV_NOTE_INFO, "%s: building indexes...",
			         pkg->res[i].name);
		if (kp_writer_set_sha256(x.w, i, stats[i].sha256, err) ||
		    kp_writer_build(x.w, i, err) ||
		    build_extra(&x, i, opts, err))
			goto rollback;
		x.secs[i] += now_mono() - t0;
		rows[i] = kp_writer_rows(x.w, i);
	}
	desc = json_dumps(pkg->json, JSON_COMPACT);
	if (desc == NULL) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		goto rollback;
	}
	def.title = pkg->title;
	def.publisher = pkg->publisher;
	def.classification = pkg->classification;
	def.update_frequency = pkg->update_frequency;
	def.descriptor = desc;
	def.fingerprint = fp;
	rc = kp_writer_commit(x.w, &def, &version, err);
	x.w = NULL; /* freed by commit, whatever the outcome */
	if (rc == 0)
		summary(opts, pkg, rows, x.secs, version);
	goto out;

rollback:
	kp_writer_rollback(x.w);
	x.w = NULL;
out:
	cats_free(&x);
	free(desc);
	free(x.secs);
	free(stats);
	free(shas);
	free(rows);
	return rc;
}

/* Identical input already published?  Hashes the CSVs (one quick read)
 * only when a version exists.  1 unchanged, 0 changed or new. */
static int
unchanged(kportal *p, kv_package *pkg, const kv_opts *opts)
{
	char (*shas)[65];
	char fp[65], oldfp[65];
	long long ver;
	int i, same = 0;

	if (kp_package_version(p, pkg->name, &ver, oldfp, NULL) != 1)
		return 0;
	shas = calloc((size_t)pkg->nres + 1, sizeof *shas);
	if (shas == NULL)
		return 0;
	for (i = 0; i < pkg->nres; i++)
		if (sha_file(pkg->res[i].fd, shas[i]))
			break;
	if (i == pkg->nres) {
		fingerprint(pkg, shas, fp);
		same = strcmp(fp, oldfp) == 0;
	}
	free(shas);
	if (same)
		kv_notef(opts, KV_NOTE_INFO, "%s: unchanged, version %lld",
		         pkg->name, ver);
	return same;
}

int
kv_publish(const char *db_path, const char *package_path,
           const kv_opts *opts, json_t **report, kueri_err *err)
{
	kv_package *pkg;
	kportal *p = NULL;
	kv_opts dflt = { 1000, 0, NULL, NULL };
	int rc = -1;

	if (report)
		*report = NULL;
	if (opts == NULL)
		opts = &dflt;
	pkg = kv_package_load(package_path, err);
	if (pkg == NULL)
		return -1;
	/* publisher and classification: optional to verify, required here
	 * (before the portal is even opened). */
	if (kv_package_check_catalog(pkg, err)) {
		kv_package_free(pkg);
		return -1;
	}
	p = portal_open_rw(db_path, err);
	if (p == NULL)
		goto out;

	if (pkg->classification == NULL ||
	    strcmp(pkg->classification, "public") != 0) {
		int found = 0;

		/* Private data is never published; if an earlier version was
		 * public, it is removed now, every byte of it. */
		rc = kp_remove_package(p, pkg->name, &found, err);
		if (rc) {
			rc = -1;
			goto out;
		}
		kueri_err_set(err, KUERI_EPRIVATE, -1,
		        "package '%s' is classified '%s': not published%s",
		        pkg->name, pkg->classification ? pkg->classification : "?",
		        found ? "; its previously published version was removed"
		              : "");
		rc = 1;
		goto out;
	}
	if (unchanged(p, pkg, opts)) {
		rc = 2;
		goto out;
	}
	rc = publish_txn(p, pkg, opts, report, err);
out:
	/* The report is the caller's only when it explains a refusal. */
	if (rc != 1 && report && *report) {
		json_decref(*report);
		*report = NULL;
	}
	portal_close(p);
	kv_package_free(pkg);
	return rc;
}
