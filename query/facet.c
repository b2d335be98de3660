/*
 * facet.c -- the facets of an HTML dataset page: for the set's string
 * columns with few distinct values under the page's $filter, the top
 * values with their counts.  Each facet is an ordinary OData query run
 * through the engine (kq_prepare / kq_stream), so it obeys the same
 * authorizer, limits and SQL rules as any request:
 *
 *   SET?$apply=filter(F)/groupby((col),aggregate($count as n))
 *      &$orderby=n desc&$top=KQ_FACET_PROBE
 *
 * "Few distinct values" is decided by the same query: a column whose
 * groupby returns KQ_FACET_PROBE rows (more than KQ_FACET_MAXVALS
 * groups) is not a facet, nor one whose most frequent value occurs
 * once (a name or code column on a small set).  Cost: one GROUP BY per string column; all the
 * facets of a page share a time budget of KQ_FACET_MS (each query gets
 * what is left, at least 1 ms), and a facet that runs out is left off
 * the page rather than slowing it -- the page never waits on a facet.
 * At most KQ_FACET_COLS columns are tried, in schema order.
 *
 * Stored counts: publish keeps, per string field with at most 64
 * distinct values, every value with its count over the whole set
 * (publish/load.c, table kueri_facet, portal_facets()).  A page without a
 * $filter takes its facets from there -- the same values, counts, order
 * and "is it a facet" rules as the GROUP BY would give (a field with more
 * than 64 values has more than KQ_FACET_MAXVALS groups: no facet either
 * way; a field with a value over 128 bytes has no stored counts and no
 * facet here), at the cost of one indexed read instead of one scan per
 * field.
 *
 * Measured (2 shared cores, `kueri query`): one facet GROUP BY over
 * 17,026 rows is a few ms; over 1,000,000 rows about 1 s, past any page
 * budget.  So on a set of more than KQ_FACET_MAXROWS rows a page with a
 * $filter runs the GROUP BY only for fields that have stored counts (the
 * few-valued ones, which publish indexes: docs/publishing.md), within
 * KQ_FACET_BIG_MS; a set without stored counts (published before them)
 * gets no facets on its big pages, as before.
 *
 * Runs before the page's own answer is prepared, so two answers never
 * hold the connection's hooks at once.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "kq_writer.h"

#define KQ_FACET_PROBE   51   /* top rows asked; = this means "too many" */
#define KQ_FACET_MAXVALS 50   /* a facet column has at most this many   */
#define KQ_FACET_SHOW    8    /* values shown per facet                 */
#define KQ_FACET_COLS    6    /* string columns tried per page          */
#define KQ_FACET_MS      400  /* budget for all the facets of a page    */
#define KQ_FACET_MAXROWS 100000 /* larger sets: stored counts (see above) */
#define KQ_FACET_BIG_MS  100  /* filtered facets of a larger set       */

/* Everything the facets of one page own. */
typedef struct facet_store {
	kb_facet   f[KQ_FACET_COLS];
	char      *vals[KQ_FACET_COLS][KQ_FACET_SHOW];
	long long  counts[KQ_FACET_COLS][KQ_FACET_SHOW];
	int        n;
} facet_store;

static int
sink_buf(void *ctx, const char *s, size_t n)
{
	ku_buf *b = ctx;

	ku_buf_add(b, s, n);
	return b->oom ? -1 : 0;
}

static long long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)(t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The decoded $filter of a raw query into buf, or NULL (none, or not
 * decodable: the page's own answer reports that). */
static const char *
page_filter(const char *rawquery, char *buf, size_t len)
{
	kb_url      u;
	const char *f;

	kb_url_init(&u, "", rawquery);
	f = kb_url_get(&u, "$filter", buf, len);
	kb_url_free(&u);
	return f;
}

/* One facet query; 1 and fills slot i when the column is a facet. */
static int
one(kportal *p, const char *setname, const kp_field *fd, const char *filter,
    const kq_limits *lim, int ms, facet_store *fs)
{
	char       *apply = kb_facet_apply(fd->name, filter), *q = NULL;
	ku_buf      out = { 0 }, qb = { 0 };
	kueri_sink  sink = { sink_buf, &out };
	kq_request  req;
	kq_limits   l = *lim;
	kq_answer  *a = NULL;
	json_t     *j = NULL, *vals, *row;
	size_t      k;
	int         ok = 0, i = fs->n;

	if (apply == NULL)
		return 0;
	ku_buf_puts(&qb, "$apply=");
	{
		kb_out   o;
		kueri_sink s2 = { sink_buf, &qb };

		kb_out_init(&o, &s2);
		kb_pct(&o, apply, (size_t)-1);
		kb_flush(&o);
	}
	ku_buf_printf(&qb, "&$orderby=n%%20desc&$top=%d", KQ_FACET_PROBE);
	ku_buf_add(&qb, "", 1);
	if (qb.oom)
		goto out;
	q = qb.s;
	memset(&req, 0, sizeof(req));
	req.path = setname;
	req.query = q;
	req.format = "json";
	l.time_ms = ms;
	/* a facet is an optional part of a page, bounded by its own small
	 * budget: it neither takes one of the server's places for expensive
	 * queries nor is refused for want of one (kq_limits.admit) */
	l.admit = NULL;
	a = kq_prepare(p, &req, &l);
	if (a == NULL || kq_answer_head(a)->status != 200 ||
	    kq_stream(a, &sink, NULL) < 0)
		goto out;
	ku_buf_add(&out, "", 1);
	if (out.oom || (j = json_loads(out.s, 0, NULL)) == NULL)
		goto out;
	vals = json_object_get(j, "value");
	/* too many values, or none repeats (names, codes): not a facet */
	if (json_array_size(vals) == 0 ||
	    json_array_size(vals) >= KQ_FACET_PROBE ||
	    json_integer_value(json_object_get(json_array_get(vals, 0), "n")) < 2)
		goto out;
	json_array_foreach(vals, k, row) {
		json_t *v = json_object_get(row, fd->name);
		char    num[40];

		if (k >= KQ_FACET_SHOW)
			break;
		if (json_is_string(v))
			fs->vals[i][k] = strdup(json_string_value(v));
		else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld",
			         (long long)json_integer_value(v));
			fs->vals[i][k] = strdup(num);
		} else
			fs->vals[i][k] = NULL;   /* null: kb_facets says "null" */
		fs->counts[i][k] = json_integer_value(json_object_get(row, "n"));
		fs->f[i].n = (int)k + 1;
	}
	fs->f[i].col = fd->name;
	fs->f[i].type = fd->type;
	fs->f[i].values = (const char *const *)fs->vals[i];
	fs->f[i].counts = fs->counts[i];
	fs->n++;
	ok = 1;
out:
	json_decref(j);
	kq_free(a);
	ku_buf_free(&out);
	ku_buf_free(&qb);
	free(apply);
	return ok;
}

/* Walking the stored counts (portal_facets) into a facet_store. */
typedef struct stored_walk {
	const kp_set *set;
	facet_store  *fs;      /* filled when fill is set                 */
	int           fill;
	const int    *tried;   /* per field: one the GROUP BY path would try */
	int          *has;     /* per field: has stored counts (set here)  */
	int           marker;  /* the set has stored counts                */
	int           col;     /* field being read, -1 none                */
	int           nvals;   /* its values so far                        */
	char         *vals[KQ_FACET_SHOW];
	long long     counts[KQ_FACET_SHOW];
} stored_walk;

/* The field read so far becomes a facet when the GROUP BY rules say so:
 * fewer than KQ_FACET_PROBE values and a top value seen at least twice. */
static void
stored_close(stored_walk *w)
{
	facet_store *fs = w->fs;
	int          k, n = w->nvals < KQ_FACET_SHOW ? w->nvals : KQ_FACET_SHOW;

	if (w->fill && w->col >= 0 && w->nvals > 0 &&
	    w->nvals < KQ_FACET_PROBE && w->counts[0] >= 2 &&
	    fs->n < KQ_FACET_COLS) {
		const kp_field *fd = &w->set->fields[w->col];
		int             i = fs->n++;

		for (k = 0; k < n; k++) {
			fs->vals[i][k] = w->vals[k];
			fs->counts[i][k] = w->counts[k];
			w->vals[k] = NULL;
		}
		fs->f[i].col = fd->name;
		fs->f[i].type = fd->type;
		fs->f[i].n = n;
		fs->f[i].values = (const char *const *)fs->vals[i];
		fs->f[i].counts = fs->counts[i];
	}
	for (k = 0; k < KQ_FACET_SHOW; k++) {
		free(w->vals[k]);
		w->vals[k] = NULL;
	}
	w->nvals = 0;
	w->col = -1;
}

static int
stored_row(void *ctx, int col, const char *value, long long n)
{
	stored_walk *w = ctx;

	if (col < 0) {                  /* the marker row: counts are stored */
		w->marker = 1;
		return 0;
	}
	if (col >= w->set->nfields || !w->tried[col])
		return 0;
	w->has[col] = 1;
	if (col != w->col) {
		stored_close(w);
		w->col = col;
	}
	if (w->fill && w->nvals < KQ_FACET_SHOW) {
		w->vals[w->nvals] = value ? strdup(value) : NULL;
		w->counts[w->nvals] = n;
	}
	w->nvals++;
	return 0;
}

/* Read the stored counts of `set`: has[] marks the tried fields that have
 * them; with `fill`, the facets they make go into fs.  1 when the set has
 * stored counts, 0 when not (published before them). */
static int
read_stored(kportal *p, const kp_set *set, const int *tried, int *has,
            int fill, facet_store *fs)
{
	stored_walk w;

	memset(&w, 0, sizeof w);
	w.set = set;
	w.fs = fs;
	w.fill = fill;
	w.tried = tried;
	w.has = has;
	w.col = -1;
	if (portal_facets(p, set, stored_row, &w) < 0)
		w.marker = 0;
	stored_close(&w);
	return w.marker;
}

int
kq_pageinfo_read(kportal *p, const char *setname, const char *rawquery,
                 const kq_limits *lim, int facets, kq_pageinfo *out)
{
	const kp_set   *set = kq_set_by_odata_name(p, setname);
	facet_store    *fs;
	struct timespec t0;
	kueri_err       err;
	char            fbuf[4096];
	const char     *filter;
	int             i, ntried, stored, big, budget, *tried, *has;

	out->f = NULL;
	out->n = 0;
	out->catalog = NULL;
	if (set == NULL)
		return 0;
	kueri_err_clear(&err);
	out->catalog = portal_catalog_json(p, set->package,
	                                   (long long)time(NULL), &err);
	if (!facets)
		return 0;
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return -1;
	tried = calloc((size_t)set->nfields + 1, sizeof(*tried));
	has = calloc((size_t)set->nfields + 1, sizeof(*has));
	if (tried == NULL || has == NULL) {
		free(tried);
		free(has);
		free(fs);
		return -1;
	}
	/* the fields a GROUP BY would be tried on: the first KQ_FACET_COLS
	 * string fields but a one-field key (it has as many values as rows) */
	for (i = 0, ntried = 0; i < set->nfields && ntried < KQ_FACET_COLS;
	     i++)
		if (set->fields[i].type == KP_STRING &&
		    !(set->nkeys == 1 && set->keys[0] == i)) {
			tried[i] = 1;
			ntried++;
		}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	filter = page_filter(rawquery, fbuf, sizeof(fbuf));
	if (filter != NULL && *filter == '\0')
		filter = NULL;
	stored = read_stored(p, set, tried, has, filter == NULL, fs);
	big = set->rows > KQ_FACET_MAXROWS;
	budget = big ? KQ_FACET_BIG_MS : KQ_FACET_MS;
	/* stored counts answer an unfiltered page; a big set without them
	 * gets no facets (a GROUP BY per field would take seconds) */
	if ((filter == NULL && stored) || (big && !stored))
		goto done;
	for (i = 0; i < set->nfields; i++) {
		long long left = budget - ms_since(&t0);

		if (!tried[i] || (big && !has[i]))
			continue;
		if (left < 1)
			break;
		one(p, setname, &set->fields[i], filter, lim, (int)left, fs);
	}
done:
	free(tried);
	free(has);
	out->f = fs->f;
	out->n = fs->n;
	return 0;
}

void
kq_pageinfo_free(kq_pageinfo *f)
{
	facet_store *fs;
	int          i, k;

	if (f == NULL)
		return;
	json_decref(f->catalog);
	f->catalog = NULL;
	if (f->f == NULL)
		return;
	fs = (facet_store *)(void *)((char *)f->f - offsetof(facet_store, f));
	for (i = 0; i < KQ_FACET_COLS; i++)
		for (k = 0; k < KQ_FACET_SHOW; k++)
			free(fs->vals[i][k]);
	free(fs);
	f->f = NULL;
	f->n = 0;
}
