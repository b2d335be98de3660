/*
 * inventory.c -- the data inventory in a browser: the front page's two
 * inventory sections (what is expected and not yet published; counts per
 * unit), the per-unit report ("rapor", /catalog/units) and the release
 * calendar (jadwal rilis, /catalog/schedule).
 *
 * Every page is drawn from the inventory's public JSON (ki_units_json,
 * ki_schedule_json): what a program gets from the same URL.  Those name
 * no private entry -- they count them -- so nothing here can name one
 * either; the pages only say how many were left unnamed.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "html.h"

static const char *
jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static long long
jint(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* The statuses in the order a reader scans them (latest first). */
static const char *const statuses[] = {
	"overdue", "stale", "due", "planned", "published", "withdrawn",
};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

/* A status as a badge: class st-NAME, the word itself as the text (so
 * the page reads the same without the stylesheet). */
static void
badge(kb_out *o, const char *st)
{
	size_t i;

	if (st == NULL)
		st = "?";
	for (i = 0; i < NSTATUS; i++)
		if (strcmp(st, statuses[i]) == 0)
			break;
	/* the class from our own list, never from the data */
	kb_printf(o, "<span class=\"st st-%s\">",
	          i < NSTATUS ? statuses[i] : "other");
	kb_text(o, st, (size_t)-1);
	kb_puts(o, "</span>");
}

static void
href(kb_out *o, const kb_site *site, const char *rel)
{
	kb_attr(o, site->base, (size_t)-1);
	kb_attr(o, rel, (size_t)-1);
}

static void
days_late(kb_out *o, long long d)
{
	if (d > 0)
		kb_printf(o, "<span class=\"overdue\">%lld day%s late</span>", d,
		          d == 1 ? "" : "s");
}

/* The on-time rate of a unit: "9 of 12 (75%)", or a dash. */
static void
rate(kb_out *o, const json_t *u)
{
	const json_t *ly = json_object_get(u, "lastYear");
	long long     all = jint(ly, "deadlines"), met = jint(ly, "met");

	if (all <= 0)
		kb_puts(o, "<span class=\"mute\">no deadline</span>");
	else
		kb_printf(o, "%lld of %lld (%lld%%)", met, all,
		          (met * 100 + all / 2) / all);
}

/* The units table: one row per unit with its counts by status (links to
 * the report page when `link`). */
static void
units_table(kb_out *o, const kb_site *site, const json_t *units, int link)
{
	const json_t *u;
	size_t        i, s;

	kb_puts(o, "<div class=\"scroll\"><table class=\"catalog units\">"
	        "<thead><tr><th>Unit</th><th class=\"num\">Entries</th>");
	for (s = 0; s < NSTATUS; s++)
		kb_printf(o, "<th class=\"num\">%s</th>", statuses[s]);
	kb_puts(o, "<th>On time, last year</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(units, "units"), i, u) {
		const char *pub = jstr(u, "publisher");
		long long   priv = jint(u, "privateEntries");

		kb_puts(o, "<tr><td data-label=\"Unit\">");
		if (link) {
			kb_puts(o, "<a href=\"");
			href(o, site, "catalog/units#u");
			kb_printf(o, "%zu\">", i + 1);
		}
		kb_text(o, pub ? pub : "?", (size_t)-1);
		kb_puts(o, link ? "</a></td>" : "</td>");
		kb_printf(o, "<td class=\"num\" data-label=\"Entries\">%lld",
		          jint(u, "entries"));
		if (priv)
			kb_printf(o, " <span class=\"mute\">(%lld private)</span>", priv);
		kb_puts(o, "</td>");
		for (s = 0; s < NSTATUS; s++) {
			long long n = jint(json_object_get(u, "status"), statuses[s]);

			kb_printf(o, "<td class=\"num%s\" data-label=\"%s\">%lld</td>",
			          n && (s == 0 || s == 1) ? " late" : "", statuses[s], n);
		}
		kb_puts(o, "<td data-label=\"On time\">");
		rate(o, u);
		kb_puts(o, "</td></tr>\n");
	}
	kb_puts(o, "</tbody></table></div>\n");
}

void
kb_inventory_front(kb_out *o, const kb_site *site, const void *units,
                   const void *schedule)
{
	const json_t *sc = schedule, *e;
	size_t        i;
	int           shown = 0;
	long long     priv = jint(sc, "privateEntries");

	if (sc != NULL) {
		kb_puts(o, "<section id=\"expected\"><h2>Expected, not yet"
		        " published</h2>\n<p class=\"meta\">From the data inventory"
		        " (daftar data) as of ");
		kb_text(o, jstr(sc, "today"), (size_t)-1);
		kb_puts(o, ": public entries whose first delivery is planned, due"
		        " or overdue. <a href=\"");
		href(o, site, "catalog/schedule");
		kb_puts(o, "\">Release calendar</a></p>\n<div class=\"scroll\">"
		        "<table class=\"catalog expected\"><thead><tr><th>Dataset"
		        "</th><th>Owner unit</th><th>Due</th><th>Status</th></tr>"
		        "</thead><tbody>\n");
		json_array_foreach(json_object_get(sc, "entries"), i, e) {
			const char *st = jstr(e, "status");

			if (!json_is_null(json_object_get(e, "lastDelivered")) || st == NULL ||
			    (strcmp(st, "planned") && strcmp(st, "due") &&
			     strcmp(st, "overdue")))
				continue;
			shown++;
			kb_puts(o, "<tr><td data-label=\"Dataset\"><strong>");
			kb_text(o, jstr(e, "title"), (size_t)-1);
			kb_puts(o, "</strong><br><code>");
			kb_text(o, jstr(e, "name"), (size_t)-1);
			kb_puts(o, "</code></td><td data-label=\"Owner\">");
			kb_text(o, jstr(e, "publisher"), (size_t)-1);
			kb_puts(o, "</td><td class=\"nw\" data-label=\"Due\">");
			kb_text(o, jstr(e, "nextDue") ? jstr(e, "nextDue") : "—",
			        (size_t)-1);
			kb_puts(o, "</td><td data-label=\"Status\">");
			badge(o, st);
			kb_puts(o, " ");
			days_late(o, jint(e, "daysLate"));
			kb_puts(o, "</td></tr>\n");
		}
		if (shown == 0)
			kb_puts(o, "<tr><td colspan=\"4\">Nothing is expected: every"
			        " public entry has been delivered.</td></tr>\n");
		kb_puts(o, "</tbody></table></div>\n");
		if (priv > 0)
			kb_printf(o, "<p class=\"meta\">%lld private entr%s of the"
			          " inventory %s counted in the units below, never"
			          " listed.</p>\n", priv, priv == 1 ? "y" : "ies",
			          priv == 1 ? "is" : "are");
		kb_puts(o, "</section>\n");
	}
	if (units != NULL && json_array_size(json_object_get(units, "units"))) {
		kb_puts(o, "<section id=\"units\"><h2>Per unit</h2>\n"
		        "<p class=\"meta\">Every inventory entry, public and private,"
		        " counted by status. <a href=\"");
		href(o, site, "catalog/units");
		kb_puts(o, "\">The report per unit (rapor)</a></p>\n");
		units_table(o, site, units, 1);
		kb_puts(o, "</section>\n");
	}
}

int
kb_units_page(const kueri_sink *sink, const kb_site *site, const void *units)
{
	const json_t *j = units, *u, *l;
	kb_out        o;
	size_t        i, k;

	kb_out_init(&o, sink);
	kb_page_begin(&o, site, "Rapor per unit");
	kb_puts(&o, "<h1>Report per unit (rapor)</h1>\n<p class=\"meta\">"
	        "<span>As of <strong>");
	kb_text(&o, jstr(j, "today"), (size_t)-1);
	kb_printf(&o, "</strong></span><span>Inventory version %lld</span>"
	          "<span>Due window %lld days</span></p>\n",
	          jint(j, "inventoryVersion"), jint(j, "dueWindowDays"));
	kb_puts(&o, "<p class=\"downloads\">Also as: <a href=\"");
	href(&o, site, "catalog/units.csv");
	kb_puts(&o, "\">CSV for a spreadsheet</a><a href=\"");
	href(&o, site, "catalog/units?$format=json");
	kb_puts(&o, "\">JSON</a><a href=\"");
	href(&o, site, "catalog/schedule");
	kb_puts(&o, "\">Release calendar</a></p>\n");
	if (json_array_size(json_object_get(j, "units")) == 0) {
		kb_puts(&o, "<p>No data inventory has been imported.</p>\n");
		return kb_page_end(&o, site);
	}
	units_table(&o, site, j, 1);
	json_array_foreach(json_object_get(j, "units"), i, u) {
		const json_t *late = json_object_get(u, "late");
		long long     pl = jint(u, "privateLate");
		size_t        s;

		kb_printf(&o, "<section class=\"unit\" id=\"u%zu\"><h2>", i + 1);
		kb_text(&o, jstr(u, "publisher"), (size_t)-1);
		kb_puts(&o, "</h2>\n<p class=\"meta\">");
		kb_printf(&o, "<span>%lld entr%s", jint(u, "entries"),
		          jint(u, "entries") == 1 ? "y" : "ies");
		if (jint(u, "privateEntries"))
			kb_printf(&o, " (%lld private)", jint(u, "privateEntries"));
		kb_puts(&o, "</span>");
		for (s = 0; s < NSTATUS; s++) {
			long long n = jint(json_object_get(u, "status"), statuses[s]);

			if (n == 0)
				continue;
			kb_puts(&o, "<span>");
			badge(&o, statuses[s]);
			kb_printf(&o, " %lld</span>", n);
		}
		kb_puts(&o, "<span>On time in the last year: ");
		rate(&o, u);
		kb_puts(&o, "</span></p>\n");
		if (json_array_size(late) == 0 && pl == 0) {
			kb_puts(&o, "<p class=\"ok\">Nothing is late.</p></section>\n");
			continue;
		}
		kb_puts(&o, "<div class=\"scroll\"><table class=\"catalog late\">"
		        "<thead><tr><th>Late</th><th>Status</th><th>Was due</th>"
		        "<th class=\"num\">Days late</th></tr></thead><tbody>\n");
		json_array_foreach(late, k, l) {
			kb_puts(&o, "<tr><td data-label=\"Dataset\"><strong>");
			kb_text(&o, jstr(l, "title"), (size_t)-1);
			kb_puts(&o, "</strong><br><code>");
			kb_text(&o, jstr(l, "name"), (size_t)-1);
			kb_puts(&o, "</code></td><td data-label=\"Status\">");
			badge(&o, jstr(l, "status"));
			kb_puts(&o, "</td><td class=\"nw\" data-label=\"Was due\">");
			kb_text(&o, jstr(l, "due"), (size_t)-1);
			kb_printf(&o, "</td><td class=\"num days-late\" data-label=\"Days"
			          " late\">%lld</td></tr>\n", jint(l, "daysLate"));
		}
		if (pl > 0)
			kb_printf(&o, "<tr class=\"private\"><td colspan=\"4\">and %lld"
			          " private entr%s, late (counted, not named)</td></tr>\n",
			          pl, pl == 1 ? "y" : "ies");
		kb_puts(&o, "</tbody></table></div></section>\n");
	}
	return kb_page_end(&o, site);
}

int
kb_schedule_page(const kueri_sink *sink, const kb_site *site,
                 const void *schedule)
{
	const json_t *j = schedule, *e;
	kb_out        o;
	size_t        i;
	long long     priv = jint(j, "privateEntries");

	kb_out_init(&o, sink);
	kb_page_begin(&o, site, "Release calendar");
	kb_puts(&o, "<h1>Release calendar (jadwal rilis)</h1>\n<p class=\"meta\">"
	        "<span>As of <strong>");
	kb_text(&o, jstr(j, "today"), (size_t)-1);
	kb_printf(&o, "</strong></span><span>%zu public entries</span>",
	          json_array_size(json_object_get(j, "entries")));
	if (priv > 0)
		kb_printf(&o, "<span>%lld private entr%s not listed</span>", priv,
		          priv == 1 ? "y" : "ies");
	kb_puts(&o, "</p>\n<p class=\"downloads\">Also as: <a href=\"");
	href(&o, site, "catalog/schedule.csv");
	kb_puts(&o, "\">CSV</a><a href=\"");
	href(&o, site, "catalog/schedule?$format=json");
	kb_puts(&o, "\">JSON</a><a href=\"");
	href(&o, site, "catalog/units");
	kb_puts(&o, "\">Report per unit</a></p>\n"
	        "<div class=\"scroll\"><table class=\"catalog schedule\"><thead><tr>"
	        "<th>Next due</th><th>Dataset</th><th>Owner unit</th><th>Every</th>"
	        "<th>Status</th><th>Last delivered</th><th>Last update on time"
	        "</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(j, "entries"), i, e) {
		const json_t *ot = json_object_get(e, "lastUpdateOnTime");

		kb_puts(&o, "<tr><td class=\"nw\" data-label=\"Next due\">");
		kb_text(&o, jstr(e, "nextDue") ? jstr(e, "nextDue") : "—",
		        (size_t)-1);
		kb_puts(&o, "</td><td data-label=\"Dataset\"><strong>");
		kb_text(&o, jstr(e, "title"), (size_t)-1);
		kb_puts(&o, "</strong><br><code>");
		kb_text(&o, jstr(e, "name"), (size_t)-1);
		kb_puts(&o, "</code></td><td data-label=\"Owner\">");
		kb_text(&o, jstr(e, "publisher"), (size_t)-1);
		kb_puts(&o, "</td><td data-label=\"Every\">");
		kb_text(&o, jstr(e, "updateFrequency") ? jstr(e, "updateFrequency")
		                                       : "once", (size_t)-1);
		kb_puts(&o, "</td><td data-label=\"Status\">");
		badge(&o, jstr(e, "status"));
		kb_puts(&o, " ");
		days_late(&o, jint(e, "daysLate"));
		kb_puts(&o, "</td><td class=\"nw\" data-label=\"Last delivered\">");
		kb_text(&o, jstr(e, "lastDelivered") ? jstr(e, "lastDelivered")
		                                     : "—", (size_t)-1);
		kb_puts(&o, "</td><td data-label=\"On time\">");
		kb_puts(&o, json_is_true(ot) ? "<span class=\"ok\">yes</span>"
		        : json_is_false(ot) ? "<span class=\"overdue\">no</span>"
		        : "—");
		kb_puts(&o, "</td></tr>\n");
	}
	if (json_array_size(json_object_get(j, "entries")) == 0)
		kb_puts(&o, "<tr><td colspan=\"7\">No public inventory entry.</td>"
		        "</tr>\n");
	kb_puts(&o, "</tbody></table></div>\n");
	return kb_page_end(&o, site);
}
