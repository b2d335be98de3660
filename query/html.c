/*
 * html.c -- the HTML writer (kq_writer.h): the engine's begin / row / end
 * / error calls handed to the dataset page of html/table.c.  Also the
 * adapter the GeoJSON writer (geojson.c) shares: html/ writes to a
 * kueri_sink through its own chunk buffer, so the adapter's sink appends
 * to the ku_buf the driver passed to the current call, and the driver
 * keeps deciding when bytes reach the client.
 *
 * What a page says besides its rows (title, owner, licence, freshness,
 * column titles) comes from the portal's catalog entry for the set's
 * package and the facets, both read by the route before the answer was
 * prepared (kq_request.extra, a kq_pageinfo).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "kq_writer.h"

/* The adapter's state for one answer (kq_wctx.state). */
typedef struct kq_kb {
	kb_writer   *kw;
	kueri_sink   sink;
	ku_buf      *cur;       /* the driver's buffer of the current call */
	kb_site      site;
	kb_request   req;
	char         base[256];
	char         dp[512];   /* datapackage.json href                 */
	char         setname[256];
	kb_col      *cols;
	kb_value    *vals;
	kb_setmeta   meta;
	int          is_html;
} kq_kb;

static int
buf_write(void *ctx, const char *s, size_t n)
{
	kq_kb *k = ctx;

	if (k->cur == NULL)
		return -1;
	ku_buf_add(k->cur, s, n);
	return k->cur->oom ? -1 : 0;
}

/* An output column's schema type: the set's field of that name, else
 * (aggregates, computed columns) from the engine's type. */
static kp_type
col_type(const kq_wctx *w, int i, const kp_field **f)
{
	int j;

	*f = NULL;
	if (w->set)
		for (j = 0; j < w->set->nfields; j++)
			if (strcmp(w->set->fields[j].name, w->out[i].name) == 0) {
				*f = &w->set->fields[j];
				return w->set->fields[j].type;
			}
	switch (w->out[i].type) {
	case KT_BOOL:     return KP_BOOLEAN;
	case KT_INT32:
	case KT_INT:      return KP_INTEGER;
	case KT_DECIMAL:
	case KT_DOUBLE:   return KP_NUMBER;
	case KT_DATE:     return KP_DATE;
	case KT_DATETIME: return KP_DATETIME;
	case KT_TIME:     return KP_TIME;
	case KT_DURATION: return KP_DURATION;
	case KT_GEO:      return KP_GEOPOINT;
	default:          return KP_STRING;
	}
}

static const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : NULL;
}

/* The set's package from the catalog the route read (kq_pageinfo) →
 * meta (strings borrowed from it).  Without it the page shows the set
 * name only. */
static void
read_meta(kq_kb *k, const kq_wctx *w)
{
	const kq_pageinfo *pi = w->extra;
	json_t   *pkg, *res, *lic;
	size_t    i;

	k->meta.total_rows = w->set ? w->set->rows : -1;
	if (w->set == NULL || pi == NULL || pi->catalog == NULL)
		return;
	pkg = json_array_get(pi->catalog, 0);
	if (pkg == NULL)
		return;
	k->meta.title = jstr(pkg, "title");
	k->meta.owner = jstr(pkg, "publisher");
	k->meta.description = jstr(pkg, "description");
	k->meta.published = jstr(pkg, "published_at");
	k->meta.next_due = jstr(pkg, "nextUpdateDue");
	k->meta.overdue = json_is_true(json_object_get(pkg, "overdue"));
	lic = json_array_get(json_object_get(pkg, "licenses"), 0);
	if (lic)
		k->meta.license = jstr(lic, "title") ? jstr(lic, "title")
		                                     : jstr(lic, "name");
	json_array_foreach(json_object_get(pkg, "resources"), i, res) {
		const char *t = jstr(res, "title");

		if (t && strcmp(jstr(res, "name") ? jstr(res, "name") : "",
		                w->set->name) == 0)
			k->meta.title = t;
	}
	snprintf(k->dp, sizeof(k->dp), "%scatalog/%s/datapackage.json",
	         k->base, w->set->package);
	k->meta.datapackage = k->dp;
}

void *
kq_kb_open(const kq_wctx *w, int html)
{
	kq_kb      *k = calloc(1, sizeof(*k));
	const char *root = w->root_path ? w->root_path : "/odata/";
	size_t      n;
	int         i;

	if (k == NULL)
		return NULL;
	k->is_html = html;
	k->sink.write = buf_write;
	k->sink.ctx = k;
	/* base = root minus its last segment ("/odata/" → "/") */
	n = strlen(root);
	if (n >= sizeof(k->base))
		n = sizeof(k->base) - 1;
	memcpy(k->base, root, n);
	k->base[n] = '\0';
	if (n > 1)
		n--;
	while (n > 0 && k->base[n - 1] != '/')
		n--;
	k->base[n > 0 ? n : 0] = '\0';
	if (k->base[0] == '\0')
		snprintf(k->base, sizeof(k->base), "/");
	k->site.base = k->base;
	k->site.root = root;
	k->site.name = "kueri";
	snprintf(k->setname, sizeof(k->setname), "%s",
	         w->setname ? w->setname : "");
	k->req.site = &k->site;
	k->req.set = k->setname;
	k->req.query = w->rawquery;
	k->req.entity = w->entity;
	k->req.rawpath = w->rawpath;
	k->meta.total_rows = -1;
	if (w->nout > 0) {
		k->cols = calloc((size_t)w->nout, sizeof(*k->cols));
		k->vals = calloc((size_t)w->nout, sizeof(*k->vals));
		if (k->cols == NULL || k->vals == NULL)
			goto fail;
		for (i = 0; i < w->nout; i++) {
			const kp_field *f;

			k->cols[i].type = col_type(w, i, &f);
			k->cols[i].name = w->out[i].name;
			k->cols[i].title = f ? f->title : NULL;
			k->cols[i].description = f ? f->description : NULL;
		}
	}
	if (html) {
		const kq_pageinfo *fs = w->extra;

		read_meta(k, w);
		k->kw = kb_html_writer(&k->sink, &k->req);
		if (k->kw && fs && fs->n && !w->entity)
			kb_html_set_facets(k->kw, fs->f, fs->n);
	} else
		k->kw = kb_geojson_writer(&k->sink);
	if (k->kw == NULL)
		goto fail;
	return k;
fail:
	kq_kb_close(k);
	return NULL;
}

void
kq_kb_close(void *state)
{
	kq_kb *k = state;

	if (k == NULL)
		return;
	if (k->kw)
		k->kw->free(k->kw);
	free(k->cols);
	free(k->vals);
	free(k);
}

int
kq_kb_begin(const kq_wctx *w, ku_buf *b)
{
	kq_kb   *k = w->state;
	kb_begin kb;

	k->cur = b;
	memset(&kb, 0, sizeof(kb));
	kb.meta = k->is_html ? &k->meta : NULL;
	kb.cols = k->cols;
	kb.ncols = w->nout;
	kb.count = w->has_count ? w->count : -1;
	return k->kw->begin(k->kw, &kb);
}

int
kq_kb_row(const kq_wctx *w, ku_buf *b, long long n)
{
	kq_kb *k = w->state;
	int    i;

	(void)n;
	k->cur = b;
	for (i = 0; i < w->nout; i++)
		kb_value_from_stmt(w->st, i, &k->vals[i]);
	return k->kw->row(k->kw, k->vals, w->nout);
}

int
kq_kb_end(const kq_wctx *w, ku_buf *b, long long nrows, const char *next)
{
	kq_kb *k = w->state;

	k->cur = b;
	return k->kw->end(k->kw, nrows, next);
}

/* ---------------------------------------------------------------- HTML */

static void
html_ctype(const kq_wctx *w, int is_error, char *buf, size_t len)
{
	(void)w;
	(void)is_error;            /* an HTML request gets an HTML error page */
	snprintf(buf, len, "%s", KB_CONTENT_TYPE);
}

static void *
html_open(const kq_wctx *w)
{
	return kq_kb_open(w, 1);
}

static int
html_error(const kq_wctx *w, ku_buf *b, const kueri_err *err)
{
	kq_kb *k = w->state;

	k->cur = b;
	return k->kw->error(k->kw, err);
}

const kq_writer kq_writer_html = {
	"html", "text/html", NULL, 1, NULL,
	html_ctype, kq_kb_begin, kq_kb_row, kq_kb_end, html_error,
	KB_PAGE_ROWS, html_open, kq_kb_close
};
