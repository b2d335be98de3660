/*
 * table.c -- the HTML writer: the engine's begin / row / end / error calls
 * → a dataset page.  begin writes the head, the set's description, the
 * filter box, downloads, facets and the table header; each row is one
 * <tr> escaped into the chunk buffer; end closes the table and writes the
 * pager and (for an aggregate) the chart, which CSS shows above the table.
 *
 * Every link is the page's own URL with one option changed (url.c), so
 * what a journalist clicks to is a valid OData URL that answers JSON to a
 * program.  Paging and sorting drop $skiptoken: a token belongs to one
 * sort order and one filter, and the engine refuses a stale one.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"

typedef struct htmlw {
	kb_writer         w;
	kb_out            o;
	kb_request        req;
	kb_url            url;
	char              path[512];
	const kb_facet   *facets;
	int               nfacets;
	kb_begin          b;
	int               begun, in_table;
	/* the chart: at most KB_CHART_MAX points of a page */
	int               chart, cx, cy;
	kb_chart_kind     kind;
	int               npts;
	char             *labels[KB_CHART_MAX];
	double            vals[KB_CHART_MAX];
	char              orderby[512];
	char              filter[4096];
} htmlw;

static int
is_num(kp_type t)
{
	return t == KP_INTEGER || t == KP_NUMBER;
}

/* {root}SET with the set name as one path segment. */
static void
set_path(htmlw *h)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *s = h->req.set ? h->req.set : "";
	size_t      k = (size_t)snprintf(h->path, sizeof(h->path), "%s",
	                                 h->req.site->root);

	for (; *s && k + 4 < sizeof(h->path); s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')
			h->path[k++] = (char)c;
		else {
			h->path[k++] = '%';
			h->path[k++] = hex[c >> 4];
			h->path[k++] = hex[c & 15];
		}
	}
	h->path[k] = '\0';
}

/* ---- links -------------------------------------------------------- */

/* A copy of the page's URL for a link that starts a new result: no
 * $skiptoken or $skip (they belong to the old one). */
static void
fresh(const htmlw *h, kb_url *u)
{
	*u = h->url;
	u->nown = 0;
	kb_url_del(u, "$skiptoken");
	kb_url_del(u, "$skip");
}

char *
kb_filter_and_eq(const char *filter, const char *col, kp_type t,
                 const char *value)
{
	char  *lit = NULL, *r;
	size_t n;

	if (value == NULL)
		lit = strdup("null");
	else if (is_num(t) || t == KP_BOOLEAN || t == KP_YEAR)
		lit = strdup(value);
	else if (t == KP_DATE || t == KP_DATETIME || t == KP_TIME ||
	         t == KP_YEARMONTH || t == KP_STRING || t == KP_DURATION ||
	         t == KP_GEOPOINT)
		lit = kb_odata_string(value);
	if (t == KP_DATE && value && strlen(value) == 10)
		{ free(lit); lit = strdup(value); }   /* Edm.Date literal: bare */
	if (lit == NULL)
		return NULL;
	n = (filter ? strlen(filter) : 0) + strlen(col) + strlen(lit) + 16;
	r = malloc(n);
	if (r) {
		if (filter && *filter)
			snprintf(r, n, "(%s) and %s eq %s", filter, col, lit);
		else
			snprintf(r, n, "%s eq %s", col, lit);
	}
	free(lit);
	return r;
}

char *
kb_facet_apply(const char *col, const char *filter)
{
	size_t n = strlen(col) + (filter ? strlen(filter) : 0) + 64;
	char  *r = malloc(n);

	if (r == NULL)
		return NULL;
	if (filter && *filter)
		snprintf(r, n, "filter(%s)/groupby((%s),aggregate($count as n))",
		         filter, col);
	else
		snprintf(r, n, "groupby((%s),aggregate($count as n))", col);
	return r;
}

void
kb_facets(kb_out *o, const kb_url *u, const kb_facet *f, int nf)
{
	char filter[4096];
	const char *cur = kb_url_get(u, "$filter", filter, sizeof(filter));
	int  i, j;

	if (nf <= 0)
		return;
	kb_puts(o, "<section class=\"facets\" aria-label=\"facets\">\n");
	for (i = 0; i < nf; i++) {
		kb_puts(o, "<div class=\"facet\"><h3>");
		kb_text(o, f[i].col, (size_t)-1);
		kb_puts(o, " <span class=\"n\">top values</span></h3>");
		{
			/* every value counted, as a chart: the facet's own query */
			kb_url c = *u;
			char  *ap = kb_facet_apply(f[i].col, cur);

			c.nown = 0;
			kb_url_del(&c, "$skiptoken");
			kb_url_del(&c, "$skip");
			kb_url_del(&c, "$filter");
			kb_url_del(&c, "$orderby");
			kb_url_del(&c, "$top");
			kb_url_del(&c, "$select");
			if (ap) {
				kb_url_set(&c, "$apply", ap, 1);
				kb_puts(o, "<p class=\"n\"><a class=\"count-by\" href=\"");
				kb_url_attr(o, &c);
				kb_puts(o, "\">count per ");
				kb_text(o, f[i].col, (size_t)-1);
				kb_puts(o, " (chart)</a></p>");
			}
			kb_url_free(&c);
		}
		kb_puts(o, "<ul>\n");
		for (j = 0; j < f[i].n; j++) {
			kb_url l = *u;
			char  *nf_ = kb_filter_and_eq(cur, f[i].col, f[i].type,
			                              f[i].values[j]);

			l.nown = 0;
			kb_url_del(&l, "$skiptoken");
			kb_url_del(&l, "$skip");
			kb_puts(o, "<li><a href=\"");
			if (nf_) {
				kb_url_set(&l, "$filter", nf_, 1);
				kb_url_attr(o, &l);
			}
			kb_puts(o, "\">");
			if (f[i].values[j])
				kb_text(o, f[i].values[j], (size_t)-1);
			else
				kb_puts(o, "<em>null</em>");
			kb_printf(o, "</a> <span class=\"n\">%lld</span></li>\n",
			          f[i].counts[j]);
			kb_url_free(&l);
		}
		kb_puts(o, "</ul></div>\n");
	}
	kb_puts(o, "</section>\n");
}

void
kb_html_set_facets(kb_writer *w, const kb_facet *f, int nf)
{
	htmlw *h = (htmlw *)w;

	h->facets = f;
	h->nfacets = nf;
}

/* ---- begin -------------------------------------------------------- */

static void
meta_line(kb_out *o, const kb_setmeta *m, long long count)
{
	kb_puts(o, "<p class=\"meta\">");
	if (m && m->owner) {
		kb_puts(o, "<span>Owner: <strong>");
		kb_text(o, m->owner, (size_t)-1);
		kb_puts(o, "</strong></span>");
	}
	if (m && m->license) {
		kb_puts(o, "<span>Licence: ");
		kb_text(o, m->license, (size_t)-1);
		kb_puts(o, "</span>");
	}
	if (m && m->published) {
		kb_puts(o, "<span>Published: ");
		kb_text(o, m->published, (size_t)-1);
		kb_puts(o, "</span>");
	}
	if (m && m->next_due) {
		kb_puts(o, "<span>Next update due: ");
		kb_text(o, m->next_due, (size_t)-1);
		kb_puts(o, m->overdue ? " <span class=\"overdue\">overdue</span>" : "");
		kb_puts(o, "</span>");
	}
	if (m && m->total_rows >= 0)
		kb_printf(o, "<span>%lld rows in the dataset</span>", m->total_rows);
	if (count >= 0)
		kb_printf(o, "<span class=\"count\"><strong>%lld</strong> match this"
		          " view</span>", count);
	kb_puts(o, "</p>\n");
}

/* <select name=NAME> over the page's columns (numeric ones only when
 * `numeric`), with an empty first choice. */
static void
column_select(htmlw *h, const char *name, int numeric, const char *id)
{
	int i;

	kb_printf(&h->o, "<select name=\"%s\" id=\"%s\" aria-label=\"column\">"
	          "<option value=\"\">%s</option>", name, id,
	          numeric ? "count rows" : "column");
	for (i = 0; i < h->b.ncols; i++) {
		const kb_col *c = &h->b.cols[i];

		if (numeric && !is_num(c->type))
			continue;
		kb_puts(&h->o, "<option value=\"");
		kb_attr(&h->o, c->name, (size_t)-1);
		kb_puts(&h->o, "\">");
		if (numeric)
			kb_puts(&h->o, "sum of ");
		kb_text(&h->o, c->name, (size_t)-1);
		kb_puts(&h->o, "</option>");
	}
	kb_puts(&h->o, "</select>");
}

/* The summary form: rows counted (or a column summed) per value of a
 * column, or of its first N characters (BPS codes: 2 = province, 4 =
 * regency, 7 = district) -- a $apply groupby page with its chart,
 * built by html/go so nobody types OData. */
static void
summary_box(htmlw *h)
{
	kb_out *o = &h->o;

	kb_puts(o, "<div class=\"box\"><form class=\"inline summary\" "
	        "method=\"get\" action=\"");
	kb_attr(o, h->req.site->base, (size_t)-1);
	kb_puts(o, "html/go\"><input type=\"hidden\" name=\"set\" value=\"");
	kb_attr(o, h->req.set, (size_t)-1);
	kb_puts(o, "\"><input type=\"hidden\" name=\"$filter\" value=\"");
	kb_attr(o, h->filter, (size_t)-1);
	kb_puts(o, "\"><label for=\"s-agg\">Summarise:</label>");
	column_select(h, "agg", 1, "s-agg");
	kb_puts(o, "<label for=\"s-by\">per</label>");
	column_select(h, "by", 0, "s-by");
	kb_puts(o, "<select name=\"chars\" aria-label=\"part of the value\">"
	        "<option value=\"\">whole value</option>"
	        "<option value=\"2\">first 2 characters</option>"
	        "<option value=\"4\">first 4 characters</option>"
	        "<option value=\"7\">first 7 characters</option></select>"
	        "<button type=\"submit\">Summarise</button></form></div>\n");
}

/* Raw query text as a person reads it: %XX decoded (a space shows as a
 * space), then escaped as text like any other value. */
static void
text_decoded(kb_out *o, const char *s, size_t n)
{
	char   buf[1024];
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%' && i + 2 < n + 0 && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };

			c = (char)strtol(hex, NULL, 16);
			i += 2;
		}
		if (k == sizeof(buf)) {
			kb_text(o, buf, k);
			k = 0;
		}
		buf[k++] = c;
	}
	kb_text(o, buf, k);
}

static void
filter_box(htmlw *h)
{
	kb_out *o = &h->o;
	kb_url  keep;
	int     i;

	kb_puts(o, "<div class=\"box\"><form class=\"inline\" method=\"get\" action=\"");
	kb_attr(o, h->req.site->base, (size_t)-1);
	kb_puts(o, "html/go\"><input type=\"hidden\" name=\"set\" value=\"");
	kb_attr(o, h->req.set, (size_t)-1);
	kb_puts(o, "\"><input type=\"hidden\" name=\"keep\" value=\"");
	fresh(h, &keep);
	kb_url_del(&keep, "$filter");
	for (i = 0; i < keep.nopt; i++) {
		if (i)
			kb_raw(o, "&amp;", 5);
		kb_attr(o, keep.opt[i].raw, keep.opt[i].rawn);
	}
	kb_puts(o, "\"><label for=\"f\">$filter</label><input"
	        " type=\"text\" id=\"f\" name=\"$filter\" placeholder=\"e.g. "
	        "provinsi eq 'ACEH' and jumlah gt 100\" value=\"");
	kb_attr(o, h->filter, (size_t)-1);
	kb_puts(o, "\"><span class=\"builder\">or pick: ");
	column_select(h, "col", 0, "f-col");
	kb_puts(o, "<select name=\"op\" aria-label=\"comparison\">"
	        "<option value=\"eq\">=</option><option value=\"ne\">≠</option>"
	        "<option value=\"gt\">&gt;</option><option value=\"ge\">≥</option>"
	        "<option value=\"lt\">&lt;</option><option value=\"le\">≤</option>"
	        "<option value=\"contains\">contains</option></select>"
	        "<input type=\"text\" name=\"val\" aria-label=\"value\" "
	        "placeholder=\"value\" class=\"val\"></span>"
	        "<button type=\"submit\">Filter</button></form>\n"
	        "<p>This view as data (the same URL answers JSON to a program):</p>"
	        "<code class=\"url\" id=\"view-url\">");
	/* The URL as text: the page's own address, escaped as text. */
	{
		kb_url v = h->url;

		v.nown = 0;
		kb_url_del(&v, "$format");
		kb_text(o, v.path, (size_t)-1);
		for (i = 0; i < v.nopt; i++) {
			kb_raw(o, i ? "&amp;" : "?", i ? 5 : 1);
			if (v.opt[i].raw)
				text_decoded(o, v.opt[i].raw, v.opt[i].rawn);
		}
	}
	kb_puts(o, "</code></div>\n");
}

static void
download(htmlw *h, const char *label, const char *fmt, int bom)
{
	kb_url u = h->url;

	u.nown = 0;
	kb_url_del(&u, "$skiptoken");
	kb_url_del(&u, "$format");
	kb_url_set(&u, "$format", fmt, 0);
	if (bom) {
		/* a custom option (no '$'): the engine ignores unknown ones */
		if (u.nopt < KB_URL_MAX) {
			kb_opt *p = &u.opt[u.nopt++];

			p->name[0] = '\0';
			p->raw = "bom=true";
			p->rawn = 8;
		}
	}
	kb_puts(&h->o, "<a href=\"");
	kb_url_attr(&h->o, &u);
	kb_puts(&h->o, "\">");
	kb_text(&h->o, label, (size_t)-1);
	kb_puts(&h->o, "</a>");
}

static void
downloads(htmlw *h)
{
	int i, geo = 0;

	for (i = 0; i < h->b.ncols; i++)
		geo |= h->b.cols[i].type == KP_GEOPOINT;
	kb_puts(&h->o, "<p class=\"downloads\">Download this view: ");
	download(h, "CSV", "csv", 0);
	download(h, "CSV for Excel", "csv", 1);
	download(h, "JSON", "json", 0);
	if (geo)
		download(h, "GeoJSON", "geojson", 0);
	if (h->b.meta && h->b.meta->datapackage &&
	    h->b.meta->datapackage[0] == '/' && h->b.meta->datapackage[1] != '/') {
		kb_puts(&h->o, "<a href=\"");
		kb_attr(&h->o, h->b.meta->datapackage, (size_t)-1);
		kb_puts(&h->o, "\">datapackage.json</a>");
	}
	kb_puts(&h->o, "</p>\n");
}

static void
columns_doc(htmlw *h)
{
	int i;

	kb_printf(&h->o, "<details><summary>Columns (%d)</summary><dl class=\"cols\">",
	          h->b.ncols);
	for (i = 0; i < h->b.ncols; i++) {
		const kb_col *c = &h->b.cols[i];

		kb_puts(&h->o, "<dt>");
		kb_text(&h->o, c->name, (size_t)-1);
		kb_puts(&h->o, " <code>");
		kb_text(&h->o, kp_type_name(c->type), (size_t)-1);
		kb_puts(&h->o, "</code></dt><dd>");
		if (c->title) {
			kb_text(&h->o, c->title, (size_t)-1);
			kb_puts(&h->o, c->description ? ". " : "");
		}
		if (c->description)
			kb_text(&h->o, c->description, (size_t)-1);
		if (!c->title && !c->description)
			kb_puts(&h->o, "—");
		kb_puts(&h->o, "</dd>");
	}
	kb_puts(&h->o, "</dl></details>\n");
}

/* The current sort of column `name`: 1 asc, 2 desc, 0 none. */
static int
sorted_by(const char *orderby, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(orderby, name, n) != 0)
		return 0;
	if (orderby[n] == '\0' || strcasecmp(orderby + n, " asc") == 0)
		return 1;
	if (strcasecmp(orderby + n, " desc") == 0)
		return 2;
	return 0;
}

static void
table_head(htmlw *h)
{
	int i;

	kb_puts(&h->o, "<div class=\"view\"><div class=\"scroll\"><table"
	        " class=\"rows\"><thead><tr>");
	for (i = 0; i < h->b.ncols; i++) {
		const kb_col *c = &h->b.cols[i];
		int           s = sorted_by(h->orderby, c->name);
		size_t        n = strlen(c->name) + 6;
		char         *ob = malloc(n);
		kb_url        u;

		fresh(h, &u);
		kb_printf(&h->o, "<th%s scope=\"col\"%s><a href=\"",
		          is_num(c->type) ? " class=\"num\"" : "",
		          s == 1 ? " aria-sort=\"ascending\"" :
		          s == 2 ? " aria-sort=\"descending\"" : "");
		if (ob) {
			snprintf(ob, n, "%s%s", c->name, s == 1 ? " desc" : "");
			kb_url_set(&u, "$orderby", ob, 1);
			kb_url_attr(&h->o, &u);
		}
		kb_puts(&h->o, "\" title=\"sort\">");
		kb_text(&h->o, c->name, (size_t)-1);
		kb_puts(&h->o, s == 1 ? " ▲" : s == 2 ? " ▼" : "");
		kb_puts(&h->o, "</a></th>");
		kb_url_free(&u);
	}
	kb_puts(&h->o, "</tr></thead>\n<tbody>\n");
	h->in_table = 1;
}

/* 1 when the page is already an aggregate ($apply with groupby). */
static int
apply_grouped(htmlw *h)
{
	char apply[2048];
	const char *a = kb_url_get(&h->url, "$apply", apply, sizeof(apply));

	return a != NULL && strstr(a, "groupby(") != NULL;
}

/* The row page's head: the dataset it belongs to, links back to it and
 * to this row as JSON, and the table of columns the row fills. */
static int
record_begin(htmlw *h, const char *title)
{
	kb_url u;

	kb_page_begin(&h->o, h->req.site, title);
	kb_puts(&h->o, "<p class=\"meta\"><a rel=\"up\" href=\"");
	kb_attr(&h->o, h->path, (size_t)-1);
	kb_puts(&h->o, "\">← ");
	kb_text(&h->o, title, (size_t)-1);
	kb_puts(&h->o, "</a></p>\n<h1>One row of ");
	kb_text(&h->o, title, (size_t)-1);
	kb_puts(&h->o, "</h1>\n");
	meta_line(&h->o, h->b.meta, -1);
	kb_puts(&h->o, "<p class=\"downloads\">This row as data: ");
	if (h->req.rawpath) {
		/* {root}RAWPATH: our root and the path the engine just
		 * resolved; kb_attr escapes what the request sent. */
		char path[1024];

		snprintf(path, sizeof(path), "%s%s", h->req.site->root,
		         h->req.rawpath);
		kb_url_init(&u, path, h->req.query);
		kb_url_set(&u, "$format", "json", 0);
		kb_puts(&h->o, "<a rel=\"alternate\" type=\"application/json\""
		        " href=\"");
		kb_url_attr(&h->o, &u);
		kb_puts(&h->o, "\">JSON</a>");
		kb_url_free(&u);
	}
	kb_puts(&h->o, "<a href=\"");
	kb_attr(&h->o, h->path, (size_t)-1);
	kb_puts(&h->o, "\">the whole dataset</a></p>\n"
	        "<div class=\"scroll\"><table class=\"record\"><thead><tr>"
	        "<th scope=\"col\">Column</th><th scope=\"col\">Value</th>"
	        "<th scope=\"col\">Type</th><th scope=\"col\">Description</th>"
	        "</tr></thead>\n<tbody>\n");
	h->in_table = 1;
	return kb_flush(&h->o);
}

static int
w_begin(kb_writer *w, const kb_begin *b)
{
	htmlw      *h = (htmlw *)w;
	const char *title;
	char        apply[2048];

	h->b = *b;
	h->begun = 1;
	title = b->meta && b->meta->title ? b->meta->title : h->req.set;
	if (h->req.entity)
		return record_begin(h, title);
	kb_page_begin(&h->o, h->req.site, title);
	kb_puts(&h->o, "<h1>");
	kb_text(&h->o, title, (size_t)-1);
	kb_puts(&h->o, "</h1>\n");
	meta_line(&h->o, b->meta, b->count);
	if (b->meta && b->meta->description) {
		kb_puts(&h->o, "<p class=\"desc\">");
		kb_text(&h->o, b->meta->description, (size_t)-1);
		kb_puts(&h->o, "</p>\n");
	}
	columns_doc(h);
	filter_box(h);
	if (!apply_grouped(h))
		summary_box(h);
	downloads(h);
	kb_facets(&h->o, &h->url, h->facets, h->nfacets);
	h->chart = kb_chart_pick(b->cols, b->ncols,
	                         kb_url_get(&h->url, "$apply", apply, sizeof(apply)),
	                         &h->cx, &h->cy, &h->kind);
	table_head(h);
	return kb_flush(&h->o);
}

/* ---- rows --------------------------------------------------------- */

/* A value as text for the chart label (bounded copy). */
static char *
value_label(const kb_value *v, kp_type t)
{
	char tmp[64];

	switch (v->t) {
	case KB_VNULL: return NULL;
	case KB_VINT:
		if (t == KP_BOOLEAN)
			return strdup(v->i ? "true" : "false");
		snprintf(tmp, sizeof(tmp), "%lld", v->i);
		return strdup(tmp);
	case KB_VREAL:
		snprintf(tmp, sizeof(tmp), "%.15g", v->d);
		return strdup(tmp);
	default:
		return strndup(v->s, v->n < 200 ? v->n : 200);
	}
}

/* One value as a <td> (numbers right-aligned, http(s) text a link). */
static void
cell(kb_out *o, const kb_value *v, kp_type t)
{
	char tmp[64];

	switch (v->t) {
	case KB_VNULL:
		kb_puts(o, is_num(t) ? "<td class=\"num null\">null</td>"
		                     : "<td class=\"null\">null</td>");
		break;
	case KB_VINT:
		if (t == KP_BOOLEAN)
			kb_puts(o, v->i ? "<td>true</td>" : "<td>false</td>");
		else
			kb_printf(o, "<td class=\"num\">%lld</td>", v->i);
		break;
	case KB_VREAL:
		if (isnan(v->d) || isinf(v->d))
			snprintf(tmp, sizeof(tmp), "%s", isnan(v->d) ? "NaN" :
			         v->d > 0 ? "INF" : "-INF");
		else
			snprintf(tmp, sizeof(tmp), "%.15g", v->d);
		kb_printf(o, "<td class=\"num\">%s</td>", tmp);
		break;
	default: {
		/* A link only for http(s) text with no controls: a "uri"
		 * cell holding javascript: stays text. */
		int link = 0;

		if (t == KP_STRING && v->n < 2048 && v->n > 8 &&
		    memchr(v->s, '\0', v->n) == NULL) {
			char u[2048];

			memcpy(u, v->s, v->n);
			u[v->n] = '\0';
			link = kb_href_ok(u);
		}
		kb_puts(o, is_num(t) ? "<td class=\"num\">" :
		        t == KP_DATE || t == KP_DATETIME || t == KP_TIME ||
		        t == KP_YEARMONTH ? "<td class=\"nw\">" : "<td>");
		if (link) {
			kb_puts(o, "<a rel=\"nofollow noopener noreferrer\" href=\"");
			kb_attr(o, v->s, v->n);
			kb_puts(o, "\">");
		}
		kb_text(o, v->s, v->n);
		kb_puts(o, link ? "</a></td>" : "</td>");
	}
	}
}

/* The row page's one row: a line per column with its value, type and
 * description (the columns are the page's subject, not a table header). */
static void
record_row(htmlw *h, const kb_value *v, int n)
{
	kb_out *o = &h->o;
	int     i;

	for (i = 0; i < n && i < h->b.ncols; i++) {
		const kb_col *c = &h->b.cols[i];

		kb_puts(o, "<tr><th scope=\"row\">");
		kb_text(o, c->name, (size_t)-1);
		kb_puts(o, "</th>");
		cell(o, &v[i], c->type);
		kb_puts(o, "<td><code>");
		kb_text(o, kp_type_name(c->type), (size_t)-1);
		kb_puts(o, "</code></td><td class=\"desc\">");
		if (c->title) {
			kb_text(o, c->title, (size_t)-1);
			kb_puts(o, c->description ? ". " : "");
		}
		if (c->description)
			kb_text(o, c->description, (size_t)-1);
		if (!c->title && !c->description)
			kb_puts(o, "—");
		kb_puts(o, "</td></tr>\n");
	}
}

static int
w_row(kb_writer *w, const kb_value *v, int n)
{
	htmlw  *h = (htmlw *)w;
	kb_out *o = &h->o;
	int     i;

	if (h->req.entity) {
		record_row(h, v, n);
		return o->failed ? -1 : 0;
	}
	kb_raw(o, "<tr>", 4);
	for (i = 0; i < n && i < h->b.ncols; i++)
		cell(o, &v[i], h->b.cols[i].type);
	kb_raw(o, "</tr>\n", 6);
	if (h->chart && h->npts < KB_CHART_MAX && h->cx < n && h->cy < n) {
		const kb_value *y = &v[h->cy];

		h->labels[h->npts] = value_label(&v[h->cx], h->b.cols[h->cx].type);
		h->vals[h->npts] = y->t == KB_VINT ? (double)y->i :
		                   y->t == KB_VREAL ? y->d : NAN;
		h->npts++;
	}
	return o->failed ? -1 : 0;
}

/* ---- end / error -------------------------------------------------- */

static void
close_table(htmlw *h)
{
	if (h->in_table)
		kb_puts(&h->o, "</tbody></table></div>");
	h->in_table = 0;
}

static void
chart(htmlw *h)
{
	kb_series s;
	char      cap[300];

	if (!h->chart || h->npts == 0)
		return;
	snprintf(cap, sizeof(cap), "%s by %s", h->b.cols[h->cy].name,
	         h->b.cols[h->cx].name);
	memset(&s, 0, sizeof(s));
	s.kind = h->kind;
	s.title = cap;
	s.xname = h->b.cols[h->cx].name;
	s.yname = h->b.cols[h->cy].name;
	s.n = h->npts;
	s.labels = (const char *const *)h->labels;
	s.values = h->vals;
	kb_puts(&h->o, "<figure class=\"chart\">");
	kb_chart_svg(&h->o, &s);
	kb_puts(&h->o, "<figcaption>");
	kb_text(&h->o, cap, (size_t)-1);
	kb_puts(&h->o, h->kind == KB_LINE ? " (line; hover a point for its value)"
	                                  : " (hover a bar for its value)");
	kb_puts(&h->o, "</figcaption></figure>");
}

static int
w_end(kb_writer *w, long long count, const char *next_link)
{
	htmlw *h = (htmlw *)w;
	char   skip[32];

	if (!h->begun)
		return -1;
	if (h->req.entity) {
		close_table(h);
		kb_puts(&h->o, "</div>\n");
		return kb_page_end(&h->o, h->req.site);
	}
	if (count == 0)
		kb_printf(&h->o, "<tr><td colspan=\"%d\">No rows match.</td></tr>",
		          h->b.ncols > 0 ? h->b.ncols : 1);
	close_table(h);
	chart(h);
	kb_puts(&h->o, "</div>\n<nav class=\"pager\" aria-label=\"pages\">");
	if (kb_url_get(&h->url, "$skiptoken", skip, sizeof(skip))) {
		kb_url u;

		fresh(h, &u);
		kb_puts(&h->o, "<a rel=\"first\" href=\"");
		kb_url_attr(&h->o, &u);
		kb_puts(&h->o, "\">« First page</a>");
	} else if (kb_url_get(&h->url, "$skip", skip, sizeof(skip)) &&
	           atoll(skip) > 0) {
		kb_url u = h->url;
		char   prev[32], top[32];
		long long k = atoll(skip), t = KB_PAGE_ROWS;

		if (kb_url_get(&h->url, "$top", top, sizeof(top)) && atoll(top) > 0)
			t = atoll(top);
		u.nown = 0;
		snprintf(prev, sizeof(prev), "%lld", k > t ? k - t : 0);
		kb_url_set(&u, "$skip", prev, 0);
		kb_puts(&h->o, "<a rel=\"prev\" href=\"");
		kb_url_attr(&h->o, &u);
		kb_puts(&h->o, "\">‹ Previous</a>");
	}
	kb_printf(&h->o, "<span>%lld row%s on this page</span>", count,
	          count == 1 ? "" : "s");
	/* nextLink is the engine's, but it is still checked like data. */
	if (next_link && (kb_href_ok(next_link) ||
	    (next_link[0] == '/' && next_link[1] != '/'))) {
		kb_puts(&h->o, "<a rel=\"next\" href=\"");
		kb_attr(&h->o, next_link, (size_t)-1);
		kb_puts(&h->o, "\">Next page ›</a>");
	}
	kb_puts(&h->o, "</nav>\n");
	return kb_page_end(&h->o, h->req.site);
}

static int
w_error(kb_writer *w, const kueri_err *err)
{
	htmlw *h = (htmlw *)w;
	char   text[4096];
	const char *t = err->target[0] ?
	        kb_url_get(&h->url, err->target, text, sizeof(text)) : NULL;
	kb_url back = h->url;

	back.nown = 0;
	if (err->target[0])
		kb_url_del(&back, err->target);
	kb_url_del(&back, "$skiptoken");
	if (!h->begun) {
		kb_page_begin(&h->o, h->req.site, "Error");
		h->begun = 1;
	} else {
		close_table(h);
		kb_puts(&h->o, "</div>\n");
	}
	kb_error_body(&h->o, h->req.site, err, t, NULL,
	              h->req.set && h->req.set[0] ? &back : NULL);
	return kb_page_end(&h->o, h->req.site);
}

static void
w_free(kb_writer *w)
{
	htmlw *h = (htmlw *)w;
	int    i;

	if (h == NULL)
		return;
	for (i = 0; i < h->npts; i++)
		free(h->labels[i]);
	kb_url_free(&h->url);
	free(h);
}

kb_writer *
kb_html_writer(const kueri_sink *sink, const kb_request *req)
{
	htmlw *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->w.begin = w_begin;
	h->w.row = w_row;
	h->w.end = w_end;
	h->w.error = w_error;
	h->w.free = w_free;
	h->req = *req;
	kb_out_init(&h->o, sink);
	set_path(h);
	kb_url_init(&h->url, h->path, req->query);
	if (!kb_url_get(&h->url, "$orderby", h->orderby, sizeof(h->orderby)))
		h->orderby[0] = '\0';
	if (!kb_url_get(&h->url, "$filter", h->filter, sizeof(h->filter)))
		h->filter[0] = '\0';
	return &h->w;
}
