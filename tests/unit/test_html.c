/*
 * test_html.c -- the HTML module without the engine: escaping (text and
 * attribute), which hrefs data may carry, URL editing and the percent
 * encoding of edited values, the filter form's redirect, the dataset page
 * over a hostile-values fixture (every value appears as text, no element
 * or link it tries to make), SVG charts (deterministic, one mark per
 * point), GeoJSON (valid JSON, [lon, lat]), streaming in chunks, and the
 * error page's caret.
 *
 * `test_html DIR` also writes the rendered pages, the two SVGs and the
 * GeoJSON into DIR: tests/e2e/browser.sh serves them with nginx and
 * loads them in headless Chromium, and checks the SVG/GeoJSON with
 * xmllint and jq.  The pages are the same bytes these checks examine.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "html.h"
#include "tap.h"

/* ---- a sink into memory, counting writes ---------------------------- */

typedef struct mem {
	char  *s;
	size_t n, cap;
	int    writes;
	size_t maxw;
} mem;

static int
mem_write(void *ctx, const char *buf, size_t len)
{
	mem *m = ctx;

	if (m->n + len + 1 > m->cap) {
		size_t c = (m->n + len + 1) * 2;
		char  *p = realloc(m->s, c);

		if (p == NULL)
			return -1;
		m->s = p;
		m->cap = c;
	}
	memcpy(m->s + m->n, buf, len);
	m->n += len;
	m->s[m->n] = '\0';
	m->writes++;
	if (len > m->maxw)
		m->maxw = len;
	return 0;
}

static void
mem_reset(mem *m)
{
	free(m->s);
	memset(m, 0, sizeof(*m));
}

static const char *outdir;

static void
save(const char *name, const mem *m)
{
	char  path[1024];
	FILE *f;

	if (outdir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (f == NULL) {
		ok(0, "write %s", path);
		return;
	}
	fwrite(m->s ? m->s : "", 1, m->n, f);
	fclose(f);
}

/* Render with fn(o) into a string (caller frees). */
#define RENDER(m, code) do {                                              \
	kueri_sink sk_ = { mem_write, &(m) };                                 \
	kb_out     o_;                                                        \
	kb_out    *o = &o_;                                                   \
	kb_out_init(o, &sk_);                                                 \
	code;                                                                 \
	kb_flush(o);                                                          \
} while (0)

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

/* ---- escaping ----------------------------------------------------- */

static void
test_escape(void)
{
	mem m = { 0 };

	RENDER(m, kb_text(o, "<a href=\"x\">'&'</a>", (size_t)-1));
	is_str(m.s, "&lt;a href=\"x\"&gt;'&amp;'&lt;/a&gt;",
	       "text: < > & escaped, quotes kept as text");
	mem_reset(&m);
	RENDER(m, kb_attr(o, "\"><img src=x onerror='alert(1)'>", (size_t)-1));
	is_str(m.s, "&quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;",
	       "attribute: quotes and brackets escaped");
	mem_reset(&m);
	RENDER(m, kb_text(o, "a\xC3\xA9\xE2\x82\xAC b", (size_t)-1));
	is_str(m.s, "a\xC3\xA9\xE2\x82\xAC b", "text: valid UTF-8 passes unchanged");
	mem_reset(&m);
	RENDER(m, kb_text(o, "x\xC0\xAF<\xED\xA0\x80y\xE2\x82", (size_t)-1));
	is_str(m.s, "x\xEF\xBF\xBD\xEF\xBF\xBD&lt;\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDy"
	       "\xEF\xBF\xBD\xEF\xBF\xBD",
	       "text: overlong, surrogate and truncated UTF-8 → U+FFFD per byte");
	mem_reset(&m);
	RENDER(m, kb_text(o, "a\x01\x7f\tb\n", (size_t)-1));
	is_str(m.s, "a\xEF\xBF\xBD\xEF\xBF\xBD\tb\n",
	       "text: C0 controls and DEL → U+FFFD; tab, LF kept");
	mem_reset(&m);
	RENDER(m, kb_attr(o, "a\nb\tc", (size_t)-1));
	is_str(m.s, "a b c", "attribute: newline and tab become spaces");
	mem_reset(&m);
	RENDER(m, kb_json_str(o, "\"\\\n\x01\xE2\x80\xA8\xFF", (size_t)-1));
	is_str(m.s, "\"\\\"\\\\\\n\\u0001\\u2028\xEF\xBF\xBD\"",
	       "JSON string: quote, backslash, LF, control, U+2028, bad byte");
	mem_reset(&m);
	RENDER(m, kb_pct(o, "a b+c/d'é&=%", (size_t)-1));
	is_str(m.s, "a%20b%2Bc%2Fd%27%C3%A9%26%3D%25",
	       "query value: only unreserved kept; plus and space encoded");
	mem_reset(&m);
	RENDER(m, kb_json_double(o, 0.1); kb_raw(o, " ", 1);
	          kb_json_double(o, NAN); kb_raw(o, " ", 1);
	          kb_json_double(o, 106.8456));
	is_str(m.s, "0.1 null 106.8456", "JSON numbers: shortest round trip, NaN null");
	mem_reset(&m);
}

static void
test_href(void)
{
	static const struct { const char *url; int ok; } cases[] = {
		{ "https://data.go.id/x?a=1", 1 }, { "HTTP://EXAMPLE.ORG", 1 },
		{ "javascript:alert(1)", 0 }, { "JaVaScRiPt:alert(1)", 0 },
		{ " javascript:alert(1)", 0 }, { "java\tscript:alert(1)", 0 },
		{ "data:text/html,<script>alert(1)</script>", 0 },
		{ "vbscript:msgbox", 0 }, { "//evil.example/x", 0 },
		{ "/odata/x", 0 }, { "https://", 0 }, { "https://a b", 0 },
		{ "https://a\nb", 0 }, { "http:\\\\evil", 0 }, { "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(kb_href_ok(cases[i].url), cases[i].ok, "href from data: %s"
		       " case %zu (%.*s)", cases[i].ok ? "accepts" : "refuses", i,
		       (int)strcspn(cases[i].url, "\t\n"), cases[i].url);
	is_int(kb_href_ok(NULL), 0, "href from data: refuses NULL");
}

/* ---- URLs ----------------------------------------------------------- */

static void
test_url(void)
{
	kb_url u, c;
	mem    m = { 0 };
	char   buf[256];
	char  *f;

	kb_url_init(&u, "/odata/desa", "Filter=kota%20eq%20'A+B'&$top=5&x=1+2&"
	            "%24orderby=nama");
	is_int(u.nopt, 4, "url: four options split on '&'");
	is_str(kb_url_get(&u, "$filter", buf, sizeof(buf)), "kota eq 'A+B'",
	       "url: option name case-insensitive, '$' optional; %%XX decoded,"
	       " '+' kept");
	is_str(kb_url_get(&u, "$orderby", buf, sizeof(buf)), "nama",
	       "url: a percent-encoded '$' in a name is found");
	ok(kb_url_get(&u, "$skip", buf, sizeof(buf)) == NULL,
	   "url: absent option → NULL");
	c = u;
	kb_url_del(&c, "$top");
	kb_url_set(&c, "$orderby", "nama desc", 0);
	kb_url_set(&c, "$skiptoken", "a+b c", 0);
	RENDER(m, kb_url_attr(o, &c));
	is_str(m.s, "/odata/desa?Filter=kota%20eq%20&#39;A+B&#39;&amp;x=1+2&amp;"
	       "$orderby=nama%20desc&amp;$skiptoken=a%2Bb%20c",
	       "url: untouched options keep their bytes (attr-escaped), edited"
	       " ones are percent-encoded, order kept, new ones appended");
	mem_reset(&m);
	f = kb_filter_and_eq("kota eq 'A+B'", "nama", KP_STRING, "O'Brien");
	is_str(f, "(kota eq 'A+B') and nama eq 'O''Brien'",
	       "facet filter: and-ed in parentheses, quote doubled");
	free(f);
	f = kb_filter_and_eq(NULL, "jumlah", KP_INTEGER, "12");
	is_str(f, "jumlah eq 12", "facet filter: a number is bare");
	free(f);
	f = kb_filter_and_eq("", "x", KP_STRING, NULL);
	is_str(f, "x eq null", "facet filter: null value → eq null");
	free(f);
	f = kb_facet_apply("provinsi", "jumlah gt 1");
	is_str(f, "filter(jumlah gt 1)/groupby((provinsi),aggregate($count as n))",
	       "facet apply: the current filter first, then the group count");
	free(f);
	kb_url_free(&u);
}

static void
test_go(void)
{
	kb_site   site = { "/", "/odata/", "kueri" };
	char      loc[256];
	kueri_err e;

	kueri_err_clear(&e);
	is_int(kb_go_location(&site, "set=desa&keep=%24top%3D5%26%24format%3Dhtml"
	                      "&%24filter=nama+eq+%27O%27%27Brien+%2B1%27", loc,
	                      sizeof(loc), &e), 0, "go: a filter form submission");
	is_str(loc, "/odata/desa?$top=5&$format=html&$filter=nama%20eq%20%27O%27%27"
	       "Brien%20%2B1%27", "go: form '+' is a space, %%2B a plus; the filter"
	       " is re-encoded unambiguously after the kept options");
	is_int(kb_go_location(&site, "set=apel-2&keep=&%24filter=", loc,
	                      sizeof(loc), &e), 0, "go: empty filter");
	is_str(loc, "/odata/apel-2", "go: an empty filter drops $filter");
	is_int(kb_go_location(&site, "set=a%2Fb%0D%0ALocation:x", loc, sizeof(loc),
	                      &e), 0, "go: odd set name");
	is_str(loc, "/odata/a%2Fb%0D%0ALocation%3Ax",
	       "go: the set name is one encoded path segment (no CR/LF, no '/')");
	is_int(kb_go_location(&site, "set=x&keep=a%0Db", loc, sizeof(loc), &e), -1,
	       "go: a control byte in 'keep' is refused");
	is_int(e.code, KUERI_EBADREQ, "go: ... as a bad request");
	is_int(kb_go_location(&site, "keep=a", loc, sizeof(loc), &e), -1,
	       "go: no set is refused");
	is_int(kb_go_location(&site, "set=x&$filter=aaaaaaaaaaaaaaaaaaaa", loc, 16,
	                      &e), -1, "go: a Location longer than the buffer is"
	       " refused, not truncated");
	is_int(e.code, KUERI_ETOOLONG, "go: ... as too long");
	{
		/* the filter builder and the summary form, as data: form query →
		 * Location (or refused) */
		static const struct { const char *form, *loc; } cases[] = {
			{ "set=c&col=new_cases&op=gt&val=10000",
			  "/odata/c?$filter=new_cases%20gt%2010000" },
			{ "set=c&%24filter=a+eq+1&col=p&op=eq&val=Jawa+Barat",
			  "/odata/c?$filter=%28a%20eq%201%29%20and%20p%20eq%20%27Jawa%20Barat%27" },
			{ "set=c&col=p&op=contains&val=O%27Brien",
			  "/odata/c?$filter=contains%28p%2C%27O%27%27Brien%27%29" },
			{ "set=c&col=d&op=ge&val=2021-07-01",
			  "/odata/c?$filter=d%20ge%202021-07-01" },
			{ "set=c&col=k&op=eq&val=0x10", "/odata/c?$filter=k%20eq%20%270x10%27" },
			{ "set=c&col=&op=eq&val=", "/odata/c" },
			{ "set=v&by=id&chars=2&agg=",
			  "/odata/v?$apply=compute%28substring%28id%2C0%2C2%29%20as%20id_2%29"
			  "%2Fgroupby%28%28id_2%29%2Caggregate%28%24count%20as%20count%29%29" },
			{ "set=c&keep=%24top%3D5&%24filter=x+gt+1&by=date&agg=new_cases",
			  "/odata/c?$apply=filter%28x%20gt%201%29%2Fgroupby%28%28date%29%2C"
			  "aggregate%28new_cases%20with%20sum%20as%20sum_new_cases%29%29" },
			{ "set=c&col=a+b&op=eq&val=1", NULL },
			{ "set=c&col=a&op=like&val=1", NULL },
			{ "set=c&col=a)or(1&op=eq&val=1", NULL },
			{ "set=c&by=a,b&agg=", NULL },
			{ "set=c&by=a&chars=0", NULL },
			{ "set=c&by=a&chars=2x", NULL },
			{ "set=c&by=a&agg=x)/y", NULL },
		};
		size_t i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			int rc = kb_go_location(&site, cases[i].form, loc, sizeof(loc), &e);

			if (cases[i].loc) {
				is_int(rc, 0, "go form %zu: %s", i, cases[i].form);
				is_str(loc, cases[i].loc, "go form %zu: the OData URL", i);
			} else {
				is_int(rc, -1, "go form %zu: refused: %s", i, cases[i].form);
				is_int(e.code, KUERI_EBADREQ, "go form %zu: as a bad request", i);
			}
		}
	}
}

/* ---- the hostile fixture ------------------------------------------ */

static const kb_site site = { "/", "/odata/", "kueri" };

static const kb_col hostile_cols[] = {
	{ "nama", KP_STRING, "Nama <b>desa</b>", "Name as \"published\" & <i>kept</i>" },
	{ "situs", KP_STRING, "Situs web", NULL },
	{ "jumlah", KP_INTEGER, NULL, NULL },
	{ "lokasi", KP_GEOPOINT, NULL, NULL },
	{ "aktif", KP_BOOLEAN, NULL, NULL },
};

#define T(s) { KB_VTEXT, 0, 0, s, sizeof(s) - 1 }
#define I(v) { KB_VINT, v, 0, NULL, 0 }
#define N    { KB_VNULL, 0, 0, NULL, 0 }

static const kb_value hostile_rows[][5] = {
	{ T("<script>alert(1)</script>"), T("javascript:alert(1)"), I(1),
	  T("-6.2,106.8"), I(1) },
	{ T("\"><img src=x onerror=alert(2)>"), T("JaVaScRiPt:alert(3)"), I(-2),
	  T("-7.25,112.75"), I(0) },
	{ T("'><svg onload=alert(4)>"), T("data:text/html,<script>alert(5)</script>"),
	  N, N, N },
	{ T("Desa Sukamaju"), T("https://example.org/desa?a=1&b=\"x\""), I(42),
	  T("0,0"), I(1) },
	{ T("</td></tr></table><h1>x</h1>"), T("java\tscript:alert(6)"), I(7),
	  T("bad point"), I(1) },
};

static const char *const facet_vals[] = { "<script>alert(7)</script>", "Desa O'Brien", NULL };
static const long long facet_counts[] = { 3, 2, 1 };

static void
hostile_page(mem *m, const char *query)
{
	kueri_sink sk = { mem_write, m };
	kb_request req = { &site, "desa<x>", query, 0, NULL };
	kb_setmeta meta = { "Desa <script>alert(8)</script>", "Dinas \"PMD\"",
	                    "CC-BY-4.0", "Villages & <em>hamlets</em>.",
	                    "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", 1,
	                    5, "/catalog/desa" };
	kb_begin   b = { &meta, hostile_cols, 5, 5 };
	kb_facet   fa = { "nama", KP_STRING, 3, facet_vals, facet_counts };
	kb_writer *w = kb_html_writer(&sk, &req);
	size_t     i;

	kb_html_set_facets(w, &fa, 1);
	w->begin(w, &b);
	for (i = 0; i < sizeof(hostile_rows) / sizeof(hostile_rows[0]); i++)
		w->row(w, hostile_rows[i], 5);
	w->end(w, 5, "http://127.0.0.1/odata/desa?$skiptoken=abc");
	w->free(w);
}

static void
test_hostile(void)
{
	mem         m = { 0 };
	const char *s;

	hostile_page(&m, "$filter=jumlah%20gt%200&$orderby=jumlah&$format=html");
	s = m.s;
	save("hostile.html", &m);
	ok(s && strncmp(s, "<!doctype html>", 15) == 0, "page: a doctype first");
	is_int(count(s, "<script"), 0, "hostile: no <script element anywhere");
	is_int(count(s, "<img"), 0, "hostile: no <img element");
	is_int(count(s, "<svg onload"), 0, "hostile: no injected <svg");
	is_int(count(s, "<h1>x"), 0, "hostile: a closing-tag value breaks no table");
	is_int(count(s, "&lt;script&gt;alert(1)&lt;/script&gt;"), 1,
	       "hostile: the <script> cell appears as text");
	is_int(count(s, "<td>\"&gt;&lt;img src=x onerror=alert(2)&gt;</td>"), 1,
	       "hostile: the attribute-breaking cell appears as text");
	is_int(count(s, "href=\"javascript"), 0, "hostile: no javascript: href");
	is_int(count(s, "href=\"JaVaScRiPt"), 0, "hostile: no mixed-case javascript:"
	       " href");
	is_int(count(s, "href=\"data:text"), 0, "hostile: no data: href");
	is_int(count(s, "<td>javascript:alert(1)</td>"), 1,
	       "hostile: the javascript: uri is a plain text cell");
	is_int(count(s, "href=\"https://example.org/desa?a=1&amp;b=&quot;x&quot;\""),
	       1, "hostile: an https uri is a link, its quotes escaped");
	is_int(count(s, "<td class=\"num\">42</td>"), 1, "cells: integers right-aligned");
	is_int(count(s, "null\">null</td>"), 3, "cells: nulls marked");
	is_int(count(s, "<td>true</td>"), 3, "cells: booleans as true/false");
	is_int(count(s, "<tr><td"), 5, "table: one row per row() call");
	is_int(count(s, "aria-sort=\"ascending\""), 1,
	       "sort: the $orderby column is marked ascending");
	is_int(count(s, "$orderby=jumlah%20desc"), 1,
	       "sort: its header link toggles to desc");
	is_int(count(s, "$orderby=nama&amp;$format=html\""), 1,
	       "sort: another column's link sorts by it ascending");
	is_int(count(s, "rel=\"next\" href=\"http://127.0.0.1/odata/desa?$skiptoken=abc\""),
	       1, "pager: next is the nextLink");
	is_int(count(s, "$filter=%28jumlah%20gt%200%29%20and%20nama%20eq%20%27Desa%20O%27%27Brien%27"),
	       1, "facet: a value link and-s 'eq' to the current filter");
	is_int(count(s, "and%20nama%20eq%20null"), 1, "facet: a null value → eq null");
	/* 5 sort links, 3 facets, 1 facet chart, 4 downloads and the URL
	 * shown as text */
	is_int(count(s, "/odata/desa%3Cx%3E?"), 14,
	       "links: the set name is one encoded path segment");
	is_int(count(s, "desa<x"), 0, "links: the raw set name appears nowhere");
	is_int(count(s, "$format=csv&amp;bom=true"), 1, "downloads: CSV for Excel");
	is_int(count(s, "$format=geojson"), 1, "downloads: GeoJSON for a geopoint");
	is_int(count(s, "href=\"/catalog/desa\">datapackage.json"), 1,
	       "downloads: datapackage.json");
	is_int(count(s, "<span class=\"overdue\">overdue</span>"), 1,
	       "meta: the overdue mark");
	is_int(count(s, "Content-Security-Policy"), 1, "head: the policy as a meta");
	is_int(count(s, "<figure"), 0, "no chart without $apply");
	mem_reset(&m);
}

/* ---- streaming ----------------------------------------------------- */

static void
test_stream(void)
{
	mem        m = { 0 };
	kueri_sink sk = { mem_write, &m };
	kb_request req = { &site, "big", NULL, 0, NULL };
	kb_col     cols[1] = { { "teks", KP_STRING, NULL, NULL } };
	kb_begin   b = { NULL, cols, 1, -1 };
	kb_writer *w = kb_html_writer(&sk, &req);
	kb_value   v = T("<&>  a row with a little text in it, escaped");
	int        i, after_begin;

	w->begin(w, &b);
	after_begin = m.writes;
	for (i = 0; i < 2000; i++)
		w->row(w, &v, 1);
	ok(m.writes > after_begin + 10, "stream: rows reach the sink during the"
	   " page (%d writes), not at the end", m.writes - after_begin);
	ok(m.maxw <= KB_CHUNK, "stream: no write exceeds one chunk (%zu ≤ %d)",
	   m.maxw, KB_CHUNK);
	w->end(w, 2000, NULL);
	w->free(w);
	ok(m.n > 2000 * 60 && strstr(m.s, "</html>\n") != NULL,
	   "stream: the page is complete after end");
	mem_reset(&m);
}

/* ---- charts --------------------------------------------------------- */

static const char *const prov[] = { "ACEH", "SUMATERA UTARA", "<JAWA & \"BALI\">",
                                    "KALIMANTAN TIMUR YANG PANJANG SEKALI",
                                    "PAPUA" };
static const double prov_n[] = { 6497, 6110, 8501, 1038, -20 };

static void
test_chart(void)
{
	mem       a = { 0 }, b2 = { 0 };
	kb_series s = { KB_BAR, "Desa per provinsi", "provinsi", "n", 5, prov,
	                prov_n };
	kb_col    cols[2] = { { "provinsi", KP_STRING, NULL, NULL },
	                      { "n", KP_INTEGER, NULL, NULL } };
	kb_col    dcols[2] = { { "tanggal", KP_DATE, NULL, NULL },
	                       { "kasus", KP_NUMBER, NULL, NULL } };
	int       x, y;
	kb_chart_kind k;

	RENDER(a, kb_chart_svg(o, &s));
	RENDER(b2, kb_chart_svg(o, &s));
	ok(a.s && b2.s && strcmp(a.s, b2.s) == 0, "chart: the same series gives the same bytes");
	is_int(count(a.s, "<rect class=\"bar\""), 5, "bar chart: one bar per point");
	is_int(count(a.s, "&lt;JAWA &amp; \"BALI\"&gt;"), 2,
	       "bar chart: a label is escaped (tooltip and axis)");
	is_int(count(a.s, "<title>PAPUA: -20</title>"), 1,
	       "bar chart: each bar's title states its exact value");
	is_int(count(a.s, "KALIMANTAN TIMUR…"), 1, "bar chart: long axis labels cut at 16");
	is_int(count(a.s, "style="), 0, "chart: no style attributes (CSP)");
	save("chart-bar.svg", &a);
	mem_reset(&a);
	mem_reset(&b2);
	s.kind = KB_LINE;
	RENDER(a, kb_chart_svg(o, &s));
	is_int(count(a.s, "<polyline class=\"line\""), 1, "line chart: one line");
	is_int(count(a.s, "<circle class=\"dot\""), 5, "line chart: one dot per point");
	save("chart-line.svg", &a);
	mem_reset(&a);
	s.n = 0;
	RENDER(a, kb_chart_svg(o, &s));
	ok(a.n == 0, "chart: nothing for an empty series");
	mem_reset(&a);
	ok(kb_chart_pick(cols, 2, "groupby((provinsi),aggregate($count as n))", &x,
	                 &y, &k) && x == 0 && y == 1 && k == KB_BAR,
	   "pick: groupby + aggregate on a string → bar of column 1 by column 0");
	ok(kb_chart_pick(dcols, 2, "groupby((tanggal),aggregate(kasus with sum as"
	                 " kasus))", &x, &y, &k) && k == KB_LINE,
	   "pick: a date group → line");
	ok(!kb_chart_pick(cols, 2, NULL, &x, &y, &k), "pick: no $apply, no chart");
	ok(!kb_chart_pick(cols, 2, "filter(n gt 1)", &x, &y, &k),
	   "pick: $apply without groupby/aggregate, no chart");
}

/* An aggregate page: groupby province, with the chart. */
static void
chart_page(mem *m, int line)
{
	kueri_sink sk = { mem_write, m };
	kb_request req = { &site, line ? "kasus" : "desa",
	                   line ? "$apply=groupby((tanggal),aggregate(baru%20with%20sum%20as%20baru))&$format=html"
	                        : "$apply=groupby((provinsi),aggregate($count%20as%20n))&$orderby=n%20desc&$format=html",
	                   0, NULL };
	kb_col     bc[2] = { { "provinsi", KP_STRING, NULL, NULL },
	                     { "n", KP_INTEGER, NULL, NULL } };
	kb_col     lc[2] = { { "tanggal", KP_DATE, NULL, NULL },
	                     { "baru", KP_INTEGER, NULL, NULL } };
	kb_setmeta meta = { line ? "Kasus harian" : "Desa per provinsi",
	                    "Dinas Kesehatan", "CC-BY-4.0", NULL, NULL, NULL, 0, -1,
	                    NULL };
	kb_begin   b = { &meta, line ? lc : bc, 2, -1 };
	kb_writer *w = kb_html_writer(&sk, &req);
	int        i;

	w->begin(w, &b);
	for (i = 0; i < (line ? 30 : 5); i++) {
		char     d[32];
		kb_value v[2];

		if (line) {
			snprintf(d, sizeof(d), "2021-07-%02d", i + 1);
			v[0] = (kb_value){ KB_VTEXT, 0, 0, d, strlen(d) };
			v[1] = (kb_value){ KB_VINT, (long long)(8000 + 4000 * sin(i / 4.0) +
			                   i * 100), 0, NULL, 0 };
		} else {
			v[0] = (kb_value){ KB_VTEXT, 0, 0, prov[i], strlen(prov[i]) };
			v[1] = (kb_value){ KB_VINT, (long long)prov_n[i], 0, NULL, 0 };
		}
		w->row(w, v, 2);
	}
	w->end(w, line ? 30 : 5, NULL);
	w->free(w);
}

static void
test_chart_pages(void)
{
	mem m = { 0 };

	chart_page(&m, 0);
	is_int(count(m.s, "<figure class=\"chart\"><svg"), 1,
	       "aggregate page: a bar chart");
	is_int(count(m.s, "<rect class=\"bar\""), 5, "aggregate page: a bar per row");
	ok(strstr(m.s, "</table>") < strstr(m.s, "<figure"),
	   "aggregate page: the chart follows the table in the stream (CSS puts"
	   " it above)");
	save("chart-bar.html", &m);
	mem_reset(&m);
	chart_page(&m, 1);
	is_int(count(m.s, "<polyline"), 1, "date aggregate page: a line chart");
	save("chart-line.html", &m);
	mem_reset(&m);
}

/* ---- GeoJSON ---------------------------------------------------------- */

static void
test_geojson(void)
{
	mem          m = { 0 };
	kueri_sink   sk = { mem_write, &m };
	kb_writer   *w = kb_geojson_writer(&sk);
	kb_begin     b = { NULL, hostile_cols, 5, -1 };
	json_t      *j, *f, *c;
	json_error_t je;
	size_t       i;

	w->begin(w, &b);
	for (i = 0; i < sizeof(hostile_rows) / sizeof(hostile_rows[0]); i++)
		w->row(w, hostile_rows[i], 5);
	w->end(w, 5, "http://h/odata/desa?$skiptoken=x");
	w->free(w);
	save("desa.geojson", &m);
	j = json_loads(m.s, 0, &je);
	ok(j != NULL, "geojson: valid JSON (%s)", j ? "ok" : je.text);
	is_str(json_string_value(json_object_get(j, "type")), "FeatureCollection",
	       "geojson: a FeatureCollection");
	is_int((long long)json_array_size(json_object_get(j, "features")), 5,
	       "geojson: a feature per row");
	f = json_array_get(json_object_get(j, "features"), 0);
	c = json_object_get(json_object_get(f, "geometry"), "coordinates");
	ok(json_real_value(json_array_get(c, 0)) == 106.8 &&
	   json_real_value(json_array_get(c, 1)) == -6.2,
	   "geojson: \"lat,lon\" -6.2,106.8 → coordinates [106.8, -6.2] (lon, lat)");
	is_str(json_string_value(json_object_get(json_object_get(f, "properties"),
	       "nama")), "<script>alert(1)</script>",
	       "geojson: properties carry the other columns' values unchanged");
	ok(json_object_get(json_object_get(f, "properties"), "lokasi") == NULL,
	   "geojson: the geopoint column is not repeated in properties");
	ok(json_is_true(json_object_get(json_object_get(f, "properties"), "aktif")),
	   "geojson: a boolean column is true/false");
	f = json_array_get(json_object_get(j, "features"), 2);
	ok(json_is_null(json_object_get(f, "geometry")),
	   "geojson: a null point → geometry null, the row kept");
	f = json_array_get(json_object_get(j, "features"), 4);
	ok(json_is_null(json_object_get(f, "geometry")),
	   "geojson: a malformed point → geometry null");
	is_str(json_string_value(json_object_get(j, "@odata.nextLink")),
	       "http://h/odata/desa?$skiptoken=x", "geojson: the nextLink kept");
	json_decref(j);
	mem_reset(&m);
}

/* ---- error page ------------------------------------------------------ */

static void
test_error(void)
{
	mem        m = { 0 };
	kueri_sink sk = { mem_write, &m };
	kb_request req = { &site, "desa",
	                   "$top=5&$filter=kota%20eq%20'B%C3%A9noa'%20andd%20x", 0, NULL };
	kb_writer *w = kb_html_writer(&sk, &req);
	kueri_err  e;

	kueri_err_clear(&e);
	kueri_err_set(&e, KUERI_ESYNTAX, 17, "unexpected name 'andd' at position"
	              " 17 in $filter: expected an operator <b>");
	kueri_err_target(&e, "$filter");
	w->error(w, &e);
	w->free(w);
	save("error.html", &m);
	is_int(count(m.s, "(400)</h1>"), 1, "error page: the status in the heading");
	is_int(count(m.s, "expected an operator &lt;b&gt;"), 1,
	       "error page: the message, escaped");
	/* "$filter=" is 8 characters, "kota eq 'Bénoa' " 16 characters over 17
	 * bytes: the caret sits under the 'a' of "andd", 24 spaces in. */
	is_int(count(m.s, "\n                        ^</pre>"), 1,
	       "error page: the caret counts characters, not bytes");
	is_int(count(m.s, "rel=\"back\" href=\"/odata/desa?$top=5\""), 1,
	       "error page: the back link drops the bad option");
	is_int(count(m.s, "<p class=\"hint\">"), 1, "error page: a hint");
	mem_reset(&m);
}

/* ---- front page -------------------------------------------------------- */

static void
test_front(void)
{
	mem          m = { 0 };
	kueri_sink   sk = { mem_write, &m };
	json_error_t je;
	json_t      *cat = json_loads(
	    "[{\"name\":\"desa\",\"title\":\"Desa <script>alert(9)</script>\","
	    "\"publisher\":\"Dinas PMD\",\"published_at\":\"2026-11-01T00:00:00Z\","
	    "\"nextUpdateDue\":\"2026-11-02T00:00:00Z\",\"overdue\":true,"
	    "\"resources\":[{\"name\":\"desa\",\"title\":\"Daftar desa\",\"rows\":83763,"
	    "\"fields\":[{\"name\":\"provinsi\",\"odataName\":\"provinsi\",\"type\":\"string\"},"
	    "{\"name\":\"jumlah\",\"odataName\":\"jumlah\",\"type\":\"integer\"}]}]},"
	    "{\"name\":\"kasus\",\"title\":\"Kasus harian\",\"publisher\":\"Dinkes\","
	    "\"published_at\":\"2026-11-20T00:00:00Z\",\"nextUpdateDue\":\"2026-12-20T00:00:00Z\","
	    "\"overdue\":false,\"resources\":[{\"name\":\"kasus-harian\",\"title\":null,"
	    "\"rows\":600,\"fields\":[]}]}]", 0, &je);

	ok(cat != NULL, "front fixture parses");
	kb_front_page(&sk, &site, cat, NULL);
	save("front.html", &m);
	is_int(count(m.s, "<tr><td data-label"), 2, "front: a row per resource");
	/* no $format: the browser's Accept picks the page, and the address
	 * a journalist copies answers JSON to a program */
	is_int(count(m.s, "href=\"/odata/kasus_harian\""), 1,
	       "front: a set link uses the OData set name, without $format");
	is_int(count(m.s, "<span class=\"overdue\">overdue</span>"), 1,
	       "front: the overdue mark on the overdue package only");
	is_int(count(m.s, "<script"), 0, "front: a hostile title stays text");
	is_int(count(m.s, "$apply=groupby%28%28provinsi%29%2Caggregate%28%24count%20as%20n%29%29"),
	       1, "front: the how-to examples are encoded URLs on the first set");
	is_int(count(m.s, "<li><a href="), 3, "front: three examples");
	mem_reset(&m);
	kb_front_page(&sk, &site, cat, "HARIAN");
	is_int(count(m.s, "<tr><td data-label"), 1,
	       "front: search q=HARIAN keeps the matching title only");
	is_int(count(m.s, "value=\"HARIAN\""), 1, "front: the search box keeps q");
	mem_reset(&m);
	kb_front_page(&sk, &site, cat, "\"><zzz");
	is_int(count(m.s, "No dataset title matches"), 1, "front: no match said");
	is_int(count(m.s, "<zzz"), 0, "front: a hostile q stays text");
	mem_reset(&m);
	json_decref(cat);
}

/* ---- the data inventory's pages ----------------------------------------- */

/* The inventory pages escape every value of the public JSON and take no
 * class name from it; the row page shows each column once with its type
 * and links back to the set and to the row as JSON. */
static void
test_inventory_pages(void)
{
	mem          m = { 0 };
	kueri_sink   sk = { mem_write, &m };
	json_error_t je;
	json_t      *units = json_loads(
	    "{\"today\":\"2027-06-15\",\"inventoryVersion\":2,\"dueWindowDays\":14,"
	    "\"units\":[{\"publisher\":\"Dinas <script>alert(1)</script>\","
	    "\"entries\":3,\"privateEntries\":2,\"status\":{\"overdue\":1,\"stale\":0,"
	    "\"due\":0,\"planned\":0,\"published\":0,\"withdrawn\":0},"
	    "\"lastYear\":{\"deadlines\":4,\"met\":3},\"privateLate\":2,"
	    "\"late\":[{\"name\":\"a\\\"><b>x\",\"title\":\"<img src=x>\","
	    "\"status\":\"x\\\" onmouseover=\\\"y\",\"due\":\"2027-01-31\","
	    "\"daysLate\":135}]},"
	    "{\"publisher\":\"Bappeda\",\"entries\":1,\"privateEntries\":0,"
	    "\"status\":{\"published\":1},\"lastYear\":{\"deadlines\":0,\"met\":0},"
	    "\"privateLate\":0,\"late\":[]}]}", 0, &je);
	json_t      *sched = json_loads(
	    "{\"today\":\"2027-06-15\",\"privateEntries\":1,\"entries\":["
	    "{\"name\":\"kasus\",\"title\":\"K <script>\",\"publisher\":\"P\","
	    "\"updateFrequency\":\"P1M\",\"status\":\"overdue\",\"nextDue\":\"2027-05-31\","
	    "\"daysLate\":15,\"lastDelivered\":null,\"lastUpdateOnTime\":null},"
	    "{\"name\":\"done\",\"title\":\"D\",\"publisher\":\"P\",\"updateFrequency\":null,"
	    "\"status\":\"published\",\"nextDue\":null,\"daysLate\":0,"
	    "\"lastDelivered\":\"2027-01-01\",\"lastUpdateOnTime\":false}]}", 0, &je);
	json_t      *cat = json_loads(
	    "[{\"name\":\"kasus\",\"title\":\"Kasus\",\"publisher\":\"Dinkes\","
	    "\"published_at\":\"2026-11-20T00:00:00Z\",\"nextUpdateDue\":\"2026-12-20T00:00:00Z\","
	    "\"overdue\":false,\"status\":\"stale\",\"daysLate\":3,"
	    "\"lastUpdateOnTime\":false,\"resources\":[{\"name\":\"kasus\",\"rows\":6,"
	    "\"fields\":[]}]}]", 0, &je);
	kb_col       cols[2] = { { "kode", KP_STRING, "Kode <i>", "Kode BPS" },
	                         { "jumlah", KP_INTEGER, NULL, NULL } };
	kb_value     row[2] = { { KB_VTEXT, 0, 0, "<b>32</b>", 9 },
	                        { KB_VINT, 7, 0, NULL, 0 } };
	kb_request   req = { &site, "desa", NULL, 1, "desa('\"><script>')" };
	kb_begin     b = { NULL, cols, 2, -1 };
	kb_writer   *w;

	ok(units && sched && cat, "inventory fixtures parse");
	kb_units_page(&sk, &site, units);
	save("units.html", &m);
	is_int(count(m.s, "<script"), 0, "units: a hostile unit name stays text");
	is_int(count(m.s, "<img") + count(m.s, "<b>"), 0,
	       "units: hostile entry names and titles stay text");
	is_int(count(m.s, "<span class=\"st st-other\">x\" onmouseover=\"y</span>"), 1,
	       "units: a hostile status is the badge's text, not an attribute");
	is_int(count(m.s, "class=\"st st-other\""), 1,
	       "units: an unknown status gets the fixed class st-other");
	is_int(count(m.s, "<section class=\"unit\""), 2, "units: a section per unit");
	is_int(count(m.s, "class=\"num days-late\" data-label=\"Days late\">135<"),
	       1, "units: the days late of the late entry");
	is_int(count(m.s, "and 2 private entries, late (counted, not named)"), 1,
	       "units: private late entries counted");
	is_int(count(m.s, "3 of 4 (75%)"), 2,
	       "units: the on-time rate (table and section)");
	is_int(count(m.s, "no deadline"), 2, "units: no rate without deadlines");
	mem_reset(&m);
	kb_schedule_page(&sk, &site, sched);
	save("schedule.html", &m);
	is_int(count(m.s, "<script"), 0, "schedule: a hostile title stays text");
	is_int(count(m.s, "<tr><td class=\"nw\""), 2, "schedule: a row per entry");
	is_int(count(m.s, "1 private entry not listed"), 1, "schedule: privates counted");
	is_int(count(m.s, "<span class=\"overdue\">no</span>"), 1,
	       "schedule: a late last update says no");
	mem_reset(&m);
	kb_front_page_inv(&sk, &site, cat, NULL, units, sched);
	save("front-inventory.html", &m);
	is_int(count(m.s, "<span class=\"st st-stale\">stale</span>"), 1,
	       "front: the stale status from the catalog");
	is_int(count(m.s, "3 days late"), 1, "front: its days late");
	is_int(count(m.s, "last update late"), 1, "front: its last update was late");
	is_int(count(m.s, "<table class=\"catalog expected\">"), 1,
	       "front: the expected entries");
	is_int(count(m.s, "<code>kasus</code></td><td data-label=\"Owner\">P<"), 1,
	       "front: the undelivered entry is expected, the delivered one not");
	is_int(count(m.s, "<script"), 0, "front: hostile values stay text");
	mem_reset(&m);

	w = kb_html_writer(&sk, &req);
	w->begin(w, &b);
	w->row(w, row, 2);
	w->end(w, 1, NULL);
	w->free(w);
	save("row.html", &m);
	is_int(count(m.s, "<table class=\"record\">"), 1, "row: a record table");
	is_int(count(m.s, "<tr><th scope=\"row\">"), 2, "row: a line per column");
	is_int(count(m.s, "<code>integer</code>"), 1, "row: each column's type");
	is_int(count(m.s, "Kode &lt;i&gt;. Kode BPS"), 1,
	       "row: title and description, escaped");
	is_int(count(m.s, "&lt;b&gt;32&lt;/b&gt;"), 1, "row: the value escaped");
	is_int(count(m.s, "<script"), 0, "row: a hostile path stays text");
	is_int(count(m.s, "href=\"/odata/desa(&#39;&quot;&gt;&lt;script&gt;&#39;)?$format=json\""),
	       1, "row: the JSON link is the path as sent, escaped, + $format=json");
	is_int(count(m.s, "<a rel=\"up\" href=\"/odata/desa\">"), 1,
	       "row: a link back to the dataset");
	is_int(count(m.s, "rel=\"next\""), 0, "row: no pager");
	mem_reset(&m);
	json_decref(units);
	json_decref(sched);
	json_decref(cat);
}

/* ---- the adapter's value conversion ----------------------------------- */

static void
test_stmt_values(void)
{
	sqlite3      *db;
	sqlite3_stmt *st;
	kb_value      v[4];
	int           i;

	sqlite3_open(":memory:", &db);
	sqlite3_prepare_v2(db, "SELECT NULL, 42, 2.5, '<x>'", -1, &st, NULL);
	ok(sqlite3_step(st) == SQLITE_ROW, "stmt: one row");
	for (i = 0; i < 4; i++)
		kb_value_from_stmt(st, i, &v[i]);
	ok(v[0].t == KB_VNULL && v[1].t == KB_VINT && v[1].i == 42 &&
	   v[2].t == KB_VREAL && v[2].d == 2.5 && v[3].t == KB_VTEXT &&
	   v[3].n == 3 && memcmp(v[3].s, "<x>", 3) == 0,
	   "stmt: NULL, INTEGER, REAL and TEXT columns become kb_values");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int
main(int argc, char **argv)
{
	char csp[256];

	if (argc > 1)
		outdir = argv[1];
	test_escape();
	test_href();
	test_url();
	test_go();
	test_hostile();
	test_stream();
	test_chart();
	test_chart_pages();
	test_geojson();
	test_error();
	test_front();
	test_inventory_pages();
	test_stmt_values();
	kb_csp(csp, sizeof(csp));
	ok(strstr(csp, "default-src 'none'") && strstr(csp, "style-src 'sha256-") &&
	   !strstr(csp, "unsafe") && strstr(csp, "frame-ancestors 'none'"),
	   "csp: nothing by default, the stylesheet by hash, never unsafe-*");
	if (outdir) {
		FILE *f;
		char  p[1024];

		snprintf(p, sizeof(p), "%s/csp.txt", outdir);
		if ((f = fopen(p, "w")) != NULL) {
			fprintf(f, "%s\n", csp);
			fclose(f);
		}
	}
	return tap_done();
}
