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
 * Measured (2 shared cores, `kueri query`): one facet GROUP BY over
 * 17,026 rows is a few ms; over 1,000,000 rows about 1 s, past any page
 * budget, so a set of more than KQ_FACET_MAXROWS rows gets no facets at
 * all rather than a page that waits KQ_FACET_MS for nothing.  Facets on
 * big sets need their top values stored at publish (not done here).
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
#define KQ_FACET_MAXROWS 100000 /* larger sets get no facets (see above) */

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
	int             i, tried = 0;

	out->f = NULL;
	out->n = 0;
	out->catalog = NULL;
	if (set == NULL)
		return 0;
	kueri_err_clear(&err);
	out->catalog = portal_catalog_json(p, set->package,
	                                   (long long)time(NULL), &err);
	if (!facets || set->rows > KQ_FACET_MAXROWS)
		return 0;
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	filter = page_filter(rawquery, fbuf, sizeof(fbuf));
	for (i = 0; i < set->nfields && tried < KQ_FACET_COLS; i++) {
		const kp_field *fd = &set->fields[i];
		long long       left = KQ_FACET_MS - ms_since(&t0);

		if (fd->type != KP_STRING)
			continue;
		/* a one-column key has as many values as rows */
		if (set->nkeys == 1 && set->keys[0] == i)
			continue;
		if (left < 1)
			break;
		tried++;
		one(p, setname, fd, filter, lim, (int)left, fs);
	}
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
