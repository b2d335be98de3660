/*
 * front.c -- the portal's front page from the catalog the portal already
 * builds (portal_catalog_json): every published resource with its title,
 * owner unit, rows, last publish, next update due and an overdue mark; a
 * title search (a plain GET form: works without script); and a "how to
 * query" box whose three examples are real URLs on the first dataset.
 *
 * Links use the OData set name: the resource names of the whole catalog
 * mapped in one call by kp_odata_names, in name order, exactly as
 * kq_set_names maps portal_set_at's sets, so clashes resolve the same way.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "html.h"

static const char *
jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Case-insensitive (ASCII) substring test; an empty needle matches. */
static int
has(const char *hay, const char *q)
{
	size_t n, i;

	if (q == NULL || *q == '\0')
		return 1;
	if (hay == NULL)
		return 0;
	n = strlen(q);
	for (; *hay; hay++) {
		for (i = 0; i < n; i++)
			if (tolower((unsigned char)hay[i]) != tolower((unsigned char)q[i]))
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The OData set name of resource `name` (into out), by the catalog-wide
 * mapping. */
typedef struct setnames {
	int          n;
	const char **names;             /* sorted published names */
	char       (*odata)[KP_NAME_MAX];
} setnames;

static void
setnames_build(setnames *sn, const json_t *cat)
{
	size_t i, j;
	const json_t *p, *r;
	int k = 0;

	memset(sn, 0, sizeof(*sn));
	json_array_foreach(cat, i, p)
		sn->n += (int)json_array_size(json_object_get(p, "resources"));
	sn->names = calloc((size_t)sn->n + 1, sizeof(*sn->names));
	sn->odata = calloc((size_t)sn->n + 1, sizeof(*sn->odata));
	if (sn->names == NULL || sn->odata == NULL) {
		sn->n = 0;
		return;
	}
	json_array_foreach(cat, i, p)
		json_array_foreach(json_object_get(p, "resources"), j, r)
			sn->names[k++] = jstr(r, "name") ? jstr(r, "name") : "";
	qsort(sn->names, (size_t)sn->n, sizeof(*sn->names), cmp_str);
	kp_odata_names(sn->names, sn->n, sn->odata);
}

static const char *
setnames_get(const setnames *sn, const char *name)
{
	int i;

	for (i = 0; i < sn->n; i++)
		if (strcmp(sn->names[i], name) == 0)
			return sn->odata[i];
	return name;
}

static void
set_href(kb_out *o, const kb_site *site, const char *odata_name,
         const char *query)
{
	kb_attr(o, site->root, (size_t)-1);
	kb_pct(o, odata_name, (size_t)-1);
	/* readable example text → a proper URL: each value through kb_pct */
	if (query && *query)
		kb_raw(o, "?", 1);
	while (query && *query) {
		const char *amp = strchr(query, '&'), *eq;
		size_t      n = amp ? (size_t)(amp - query) : strlen(query);

		eq = memchr(query, '=', n);
		kb_attr(o, query, eq ? (size_t)(eq - query) : n);
		if (eq) {
			kb_raw(o, "=", 1);
			kb_pct(o, eq + 1, n - (size_t)(eq + 1 - query));
		}
		query = amp ? amp + 1 : NULL;
		if (query)
			kb_raw(o, "&amp;", 5);
	}
}

/* Three example URLs on the first resource: a page, a filter-free count,
 * and a group count over its first string field. */
static void
howto(kb_out *o, const kb_site *site, const json_t *res, const char *set)
{
	const json_t *f;
	const char   *grp = NULL, *num = NULL;
	size_t        i;
	char          q[3][400];
	int           k;

	json_array_foreach(json_object_get(res, "fields"), i, f) {
		const char *t = jstr(f, "type");

		if (t && strcmp(t, "string") == 0 && grp == NULL)
			grp = jstr(f, "odataName");
		if (t && (strcmp(t, "integer") == 0 || strcmp(t, "number") == 0) &&
		    num == NULL)
			num = jstr(f, "odataName");
	}
	snprintf(q[0], sizeof(q[0]), "$top=10");
	if (num)
		snprintf(q[1], sizeof(q[1]), "$orderby=%s desc&$top=5&$count=true",
		         num);
	else
		snprintf(q[1], sizeof(q[1]), "$count=true&$top=5");
	if (grp)
		snprintf(q[2], sizeof(q[2]),
		         "$apply=groupby((%s),aggregate($count as n))"
		         "&$orderby=n desc", grp);
	else
		snprintf(q[2], sizeof(q[2]), "$select=%s&$top=20",
		         num ? num : "*");
	kb_puts(o, "<section class=\"box howto\"><h2>How to query</h2>\n"
	        "<p>Every dataset is an OData address: open it in a browser for a"
	        " table, or call it from a program for JSON. Three examples:</p>"
	        "<ul>\n");
	for (k = 0; k < 3; k++) {
		static const char *const what[] = {
			"the first 10 rows, as a table",
			"the 5 largest, with the total count (JSON)",
			"rows per group, with a chart",
		};

		kb_puts(o, "<li><a href=\"");
		set_href(o, site, set, q[k]);
		kb_puts(o, "\"><code>");
		kb_text(o, site->root, (size_t)-1);
		kb_text(o, set, (size_t)-1);
		kb_raw(o, "?", 1);
		kb_text(o, q[k], (size_t)-1);
		kb_puts(o, "</code></a> — ");
		kb_text(o, what[k], (size_t)-1);
		kb_puts(o, "</li>\n");
	}
	kb_puts(o, "</ul><p>Filters read like <code>$filter=provinsi eq 'ACEH' and"
	        " jumlah gt 100</code>; sort with <code>$orderby=jumlah desc</code>;"
	        " every page links to the next.</p></section>\n");
}

/* An ISO 8601 time as "yyyy-mm-dd hh:mm:ssZ": the date stays on one
 * line, the time may wrap under it. */
static void
when(kb_out *o, const char *iso)
{
	const char *t = iso ? strchr(iso, 'T') : NULL;

	if (t == NULL || t - iso != 10) {
		kb_text(o, iso, (size_t)-1);
		return;
	}
	kb_puts(o, "<span class=\"nw\">");
	kb_text(o, iso, 10);
	kb_puts(o, "</span> ");
	kb_text(o, t + 1, (size_t)-1);
}

/*
 * The package's status as the inventory states it (ki_catalog_annotate:
 * published, due, stale, ...) and whether its last update came on time;
 * a catalog without those fields (no annotation) shows only what its own
 * `overdue` says.  The class comes from a fixed list, never the data.
 */
static void
status_cell(kb_out *o, const json_t *p)
{
	const char   *st = jstr(p, "status");
	const json_t *ot = json_object_get(p, "lastUpdateOnTime");
	long long     late = (long long)json_integer_value(
	        json_object_get(p, "daysLate"));
	const char   *cls = "other";

	if (st == NULL)
		st = json_is_true(json_object_get(p, "overdue")) ? "stale"
		                                                 : "published";
	if (strcmp(st, "published") == 0)
		cls = "published";
	else if (strcmp(st, "stale") == 0)
		cls = "stale";
	else if (strcmp(st, "due") == 0)
		cls = "due";
	else if (strcmp(st, "overdue") == 0)
		cls = "overdue";
	kb_printf(o, "<span class=\"st st-%s\">", cls);
	kb_text(o, st, (size_t)-1);
	kb_puts(o, "</span>");
	if (late > 0)
		kb_printf(o, " <span class=\"overdue\">%lld day%s late</span>", late,
		          late == 1 ? "" : "s");
	if (json_is_boolean(ot))
		kb_puts(o, json_is_true(ot)
		        ? "<br><span class=\"ok lastok\">last update on time</span>"
		        : "<br><span class=\"overdue lastlate\">last update late</span>");
}

void
kb_front_body(kb_out *o, const kb_site *site, const void *catalog,
              const char *q)
{
	const json_t *cat = catalog, *p, *r, *first = NULL;
	const char   *first_set = NULL;
	setnames      sn;
	size_t        i, j;
	int           shown = 0;

	setnames_build(&sn, cat);
	kb_puts(o, "<h1>Open data</h1>\n<form class=\"inline\" method=\"get\""
	        " action=\"");
	kb_attr(o, site->base, (size_t)-1);
	kb_puts(o, "\" role=\"search\"><input type=\"search\" name=\"q\""
	        " aria-label=\"search dataset titles\" placeholder=\"Search titles\""
	        " value=\"");
	kb_attr(o, q ? q : "", (size_t)-1);
	kb_puts(o, "\"><button type=\"submit\">Search</button></form>\n"
	        "<div class=\"scroll\"><table class=\"catalog\"><thead><tr>"
	        "<th>Dataset</th><th>Owner unit</th><th class=\"num\">Rows</th>"
	        "<th>Last published</th><th>Next update due</th><th>Status</th>"
	        "</tr></thead>"
	        "<tbody>\n");
	json_array_foreach(cat, i, p) {
		const char *ptitle = jstr(p, "title"), *due = jstr(p, "nextUpdateDue");
		int         overdue = json_is_true(json_object_get(p, "overdue"));

		json_array_foreach(json_object_get(p, "resources"), j, r) {
			const char *rname = jstr(r, "name"), *rtitle = jstr(r, "title");
			const char *set;

			if (rname == NULL)
				continue;
			set = setnames_get(&sn, rname);
			if (first == NULL) {
				first = r;
				first_set = set;
			}
			if (!has(rtitle, q) && !has(ptitle, q) && !has(rname, q) &&
			    !has(jstr(p, "name"), q))
				continue;
			shown++;
			kb_puts(o, "<tr><td data-label=\"Dataset\"><a href=\"");
			set_href(o, site, set, NULL);
			kb_puts(o, "\"><strong>");
			kb_text(o, rtitle ? rtitle : ptitle ? ptitle : rname, (size_t)-1);
			kb_puts(o, "</strong></a><br><code>");
			kb_text(o, set, (size_t)-1);
			kb_puts(o, "</code></td><td data-label=\"Owner\">");
			kb_text(o, jstr(p, "publisher"), (size_t)-1);
			kb_printf(o, "</td><td class=\"num\" data-label=\"Rows\">%lld</td>"
			          "<td data-label=\"Published\">",
			          (long long)json_integer_value(json_object_get(r, "rows")));
			when(o, jstr(p, "published_at"));
			kb_puts(o, "</td><td data-label=\"Next update\">");
			if (due) {
				when(o, due);
				/* With the inventory's status beside it, only the
				 * alarm is repeated here. */
				kb_puts(o, overdue ? " <span class=\"overdue\">overdue</span>"
				        : jstr(p, "status") ? ""
				        : " <span class=\"ok\">on time</span>");
			} else
				kb_puts(o, "—");
			kb_puts(o, "</td><td data-label=\"Status\">");
			status_cell(o, p);
			kb_puts(o, "</td></tr>\n");
		}
	}
	if (shown == 0)
		kb_puts(o, "<tr><td colspan=\"6\">No dataset title matches.</td></tr>\n");
	kb_puts(o, "</tbody></table></div>\n");
	if (first)
		howto(o, site, first, first_set);
	free(sn.names);
	free(sn.odata);
}

int
kb_front_page(const kueri_sink *sink, const kb_site *site, const void *catalog,
              const char *q)
{
	return kb_front_page_inv(sink, site, catalog, q, NULL, NULL);
}

int
kb_front_page_inv(const kueri_sink *sink, const kb_site *site,
                  const void *catalog, const char *q, const void *units,
                  const void *schedule)
{
	kb_out o;

	kb_out_init(&o, sink);
	kb_page_begin(&o, site, "Datasets");
	kb_front_body(&o, site, catalog, q);
	kb_inventory_front(&o, site, units, schedule);
	return kb_page_end(&o, site);
}
