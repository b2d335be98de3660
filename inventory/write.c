/*
 * write.c -- the inventory as text (CLI), JSON and CSV, through a sink;
 * and the HTTP answers /catalog/units and /catalog/schedule.
 *
 * Privacy is decided here, in one place per writer: `public_view` (every
 * HTTP answer) names no private entry -- no name, title, contact or note
 * -- and counts them instead.  The CLI sees everything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "inventory.h"
#include "ki_int.h"

/* ---- small helpers ---------------------------------------------------- */

static int
dump_cb(const char *buf, size_t len, void *ctx)
{
	const kueri_sink *s = ctx;

	return s->write(s->ctx, buf, len);
}

/* Write `j` (stolen) as JSON; pretty for the CLI. */
static int
put_json(json_t *j, int pretty, const kueri_sink *out)
{
	int rc;

	if (j == NULL)
		return -1;
	rc = json_dump_callback(j, dump_cb, (void *)out, JSON_PRESERVE_ORDER |
	                        (pretty ? JSON_INDENT(2) : JSON_COMPACT));
	json_decref(j);
	if (rc == 0 && pretty)
		rc = kueri_sink_puts(out, "\n");
	return rc;
}

/* One CSV cell, quoted when it needs to be (RFC 4180). */
static int
csv_cell(const kueri_sink *out, const char *s, int last)
{
	int rc = 0;

	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") != NULL) {
		rc |= kueri_sink_puts(out, "\"");
		for (; *s && rc == 0; s++)
			rc |= *s == '"' ? kueri_sink_puts(out, "\"\"")
			                : out->write(out->ctx, s, 1);
		rc |= kueri_sink_puts(out, "\"");
	} else {
		rc |= kueri_sink_puts(out, s);
	}
	return rc | kueri_sink_puts(out, last ? "\r\n" : ",");
}

static json_t *
jday(int has, ki_day d)
{
	char b[11];

	if (!has)
		return json_null();
	ki_day_format(d, b);
	return json_string(b);
}

static json_t *
jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static const char *
fday(int has, ki_day d, char b[11])
{
	if (!has)
		return "-";
	ki_day_format(d, b);
	return b;
}

/* ---- list ------------------------------------------------------------- */

static int
keep(const ki_entry *e, const char *publisher, int status)
{
	return (publisher == NULL || strcmp(e->publisher, publisher) == 0) &&
	       (status < 0 || (int)e->status == status);
}

int
ki_write_list(const ki_inventory *inv, ki_day today, const char *publisher,
              int status, ki_format f, const kueri_sink *out)
{
	int i, wn = 4, wp = 4, rc = 0;
	char b1[11], b2[11], late[24];
	json_t *arr;

	(void)today;
	if (f == KI_JSON) {
		arr = json_array();
		for (i = 0; i < inv->n; i++) {
			const ki_entry *e = &inv->e[i];

			if (!keep(e, publisher, status))
				continue;
			json_array_append_new(arr, json_pack(
			    "{s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:o,s:s,s:o,s:I,"
			    "s:o,s:o,s:I,s:I}",
			    "name", e->name, "title", e->title,
			    "publisher", e->publisher,
			    "classification", e->private_ ? "private" : "public",
			    "priority", e->priority,
			    "firstDelivery", jday(1, e->first),
			    "updateFrequency", jstr(e->frequency),
			    "contact", jstr(e->contact), "note", jstr(e->note),
			    "status", ki_status_name(e->status),
			    "nextDue", jday(e->has_next, e->next_due),
			    "daysLate", (json_int_t)e->days_late,
			    "lastDelivered", jday(e->has_last, e->last),
			    "withdrawn", jday(e->has_withdrawn, e->withdrawn),
			    "deadlinesLastYear", (json_int_t)e->deadlines,
			    "metLastYear", (json_int_t)e->met));
		}
		return put_json(arr, 1, out);
	}
	if (f == KI_CSV) {
		rc |= kueri_sink_puts(out, "name,title,publisher,classification,"
		        "priority,first_delivery,update_frequency,status,next_due,"
		        "days_late,last_delivered,contact,note\r\n");
		for (i = 0; i < inv->n && rc == 0; i++) {
			const ki_entry *e = &inv->e[i];

			if (!keep(e, publisher, status))
				continue;
			snprintf(late, sizeof late, "%lld", e->days_late);
			rc |= csv_cell(out, e->name, 0);
			rc |= csv_cell(out, e->title, 0);
			rc |= csv_cell(out, e->publisher, 0);
			rc |= csv_cell(out, e->private_ ? "private" : "public", 0);
			rc |= csv_cell(out, e->priority ? "yes" : "no", 0);
			rc |= csv_cell(out, fday(1, e->first, b1), 0);
			rc |= csv_cell(out, e->frequency, 0);
			rc |= csv_cell(out, ki_status_name(e->status), 0);
			rc |= csv_cell(out, e->has_next ? fday(1, e->next_due, b2)
			                                : "", 0);
			rc |= csv_cell(out, late, 0);
			rc |= csv_cell(out, e->has_last ? fday(1, e->last, b1) : "",
			               0);
			rc |= csv_cell(out, e->contact, 0);
			rc |= csv_cell(out, e->note, 1);
		}
		return rc;
	}
	for (i = 0; i < inv->n; i++) {
		int n = (int)strlen(inv->e[i].name), p = (int)strlen(
		        inv->e[i].publisher);

		if (n > wn)
			wn = n;
		if (p > wp)
			wp = p;
	}
	if (wp > 32)
		wp = 32;
	rc |= kueri_sink_printf(out, "%-*s  %-*s  %-7s  %-9s  %-10s  %5s  %-10s"
	                        "  %-5s  %s\n", wn, "NAME", wp, "UNIT", "CLASS",
	                        "STATUS", "NEXT DUE", "LATE", "LAST", "FREQ",
	                        "TITLE");
	for (i = 0; i < inv->n && rc == 0; i++) {
		const ki_entry *e = &inv->e[i];

		if (!keep(e, publisher, status))
			continue;
		if (e->days_late)
			snprintf(late, sizeof late, "%lld", e->days_late);
		else
			snprintf(late, sizeof late, "-");
		rc |= kueri_sink_printf(out, "%-*s  %-*.*s  %-7s  %-9s  %-10s  %5s"
		        "  %-10s  %-5s  %s\n", wn, e->name, wp, wp, e->publisher,
		        e->private_ ? "private" : "public",
		        ki_status_name(e->status),
		        fday(e->has_next, e->next_due, b1), late,
		        fday(e->has_last, e->last, b2),
		        e->frequency ? e->frequency : "once", e->title);
	}
	return rc;
}

/* ---- the per-unit report ---------------------------------------------- */

typedef struct unit {
	const char *publisher;
	int         first, end;       /* entries [first, end) of the unit */
	int         entries, priv;
	int         by[KI__MAX];
	long long   deadlines, met;
	int         late_private;     /* overdue or stale private entries */
} unit;

/* Units in publisher order (the inventory is sorted by publisher). */
static unit *
units_of(const ki_inventory *inv, int *nu)
{
	unit *u = calloc((size_t)inv->n + 1, sizeof *u);
	int i, n = 0;

	if (u == NULL)
		return NULL;
	for (i = 0; i < inv->n; i++) {
		const ki_entry *e = &inv->e[i];
		unit *x;

		if (n == 0 || strcmp(u[n - 1].publisher, e->publisher) != 0) {
			u[n].publisher = e->publisher;
			u[n].first = i;
			n++;
		}
		x = &u[n - 1];
		x->end = i + 1;
		x->entries++;
		x->priv += e->private_;
		x->by[e->status]++;
		x->deadlines += e->deadlines;
		x->met += e->met;
		if (e->private_ && (e->status == KI_OVERDUE ||
		                    e->status == KI_STALE))
			x->late_private++;
	}
	*nu = n;
	return u;
}

static int
is_late(const ki_entry *e)
{
	return e->status == KI_OVERDUE || e->status == KI_STALE;
}

static void
rate_text(long long met, long long all, char *buf, size_t len)
{
	if (all == 0)
		snprintf(buf, len, "no deadline in the last year");
	else
		snprintf(buf, len, "%lld of %lld (%lld%%)", met, all,
		         (met * 100 + all / 2) / all);
}

static json_t *
units_json(const ki_inventory *inv, ki_day today, const unit *u, int nu,
           int public_view)
{
	json_t *o, *arr = json_array();
	int i, k, s;
	char b[11];

	for (i = 0; i < nu; i++) {
		json_t *st = json_object(), *late = json_array(), *uo;

		for (s = 0; s < KI__MAX; s++)
			json_object_set_new(st, ki_status_name((ki_status)s),
			                    json_integer(u[i].by[s]));
		for (k = u[i].first; k < u[i].end; k++) {
			const ki_entry *e = &inv->e[k];

			if (!is_late(e) || (public_view && e->private_))
				continue;
			json_array_append_new(late, json_pack("{s:s,s:s,s:s,s:o,"
			        "s:I,s:b}", "name", e->name, "title", e->title,
			        "status", ki_status_name(e->status),
			        "due", jday(1, e->next_due),
			        "daysLate", (json_int_t)e->days_late,
			        "private", e->private_));
		}
		uo = json_pack("{s:s,s:i,s:i,s:o,s:{s:I,s:I,s:o},s:o}",
		        "publisher", u[i].publisher, "entries", u[i].entries,
		        "privateEntries", u[i].priv, "status", st,
		        "lastYear", "deadlines", (json_int_t)u[i].deadlines,
		        "met", (json_int_t)u[i].met, "onTimeRate",
		        u[i].deadlines ? json_real((double)u[i].met /
		                                   (double)u[i].deadlines)
		                       : json_null(),
		        "late", late);
		if (public_view)
			json_object_set_new(uo, "privateLate",
			                    json_integer(u[i].late_private));
		json_array_append_new(arr, uo);
	}
	ki_day_format(today, b);
	o = json_pack("{s:s,s:I,s:I,s:o}", "today", b, "inventoryVersion",
	              (json_int_t)inv->version, "dueWindowDays",
	              (json_int_t)inv->due_window, "units", arr);
	return o;
}

void *
ki_units_json(const ki_inventory *inv, ki_day today)
{
	int nu = 0;
	unit *u = units_of(inv, &nu);
	json_t *j;

	if (u == NULL)
		return NULL;
	j = units_json(inv, today, u, nu, 1);
	free(u);
	return j;
}

int
ki_write_units(const ki_inventory *inv, ki_day today, ki_format f,
               int public_view, const kueri_sink *out)
{
	int nu = 0, i, k, s, rc = 0;
	unit *u = units_of(inv, &nu), tot;
	char b[11], r[64];

	if (u == NULL)
		return -1;
	if (f == KI_JSON) {
		rc = put_json(units_json(inv, today, u, nu, public_view),
		              !public_view, out);
		free(u);
		return rc;
	}
	if (f == KI_CSV) {
		rc |= kueri_sink_puts(out, "publisher,entries,private_entries");
		for (s = 0; s < KI__MAX; s++)
			rc |= kueri_sink_printf(out, ",%s",
			                        ki_status_name((ki_status)s));
		rc |= kueri_sink_puts(out, ",deadlines_last_year,met_last_year"
		                      "\r\n");
		for (i = 0; i < nu && rc == 0; i++) {
			rc |= csv_cell(out, u[i].publisher, 0);
			rc |= kueri_sink_printf(out, "%d,%d", u[i].entries, u[i].priv);
			for (s = 0; s < KI__MAX; s++)
				rc |= kueri_sink_printf(out, ",%d", u[i].by[s]);
			rc |= kueri_sink_printf(out, ",%lld,%lld\r\n", u[i].deadlines,
			                        u[i].met);
		}
		free(u);
		return rc;
	}
	memset(&tot, 0, sizeof tot);
	ki_day_format(today, b);
	rc |= kueri_sink_printf(out, "Rapor per unit as of %s (inventory"
	        " version %lld, due window %lld days)\n", b, inv->version,
	        inv->due_window);
	for (i = 0; i < nu && rc == 0; i++) {
		int nlate = 0;

		rc |= kueri_sink_printf(out, "\n%s: %d entr%s (%d private)\n ",
		        u[i].publisher, u[i].entries,
		        u[i].entries == 1 ? "y" : "ies", u[i].priv);
		for (s = 0; s < KI__MAX; s++) {
			rc |= kueri_sink_printf(out, " %s %d%s",
			        ki_status_name((ki_status)s), u[i].by[s],
			        s + 1 < KI__MAX ? "," : "\n");
			tot.by[s] += u[i].by[s];
		}
		rate_text(u[i].met, u[i].deadlines, r, sizeof r);
		rc |= kueri_sink_printf(out, "  deadlines met in the last year: %s\n",
		                        r);
		tot.entries += u[i].entries;
		tot.priv += u[i].priv;
		tot.met += u[i].met;
		tot.deadlines += u[i].deadlines;
		for (k = u[i].first; k < u[i].end; k++) {
			const ki_entry *e = &inv->e[k];

			if (!is_late(e))
				continue;
			if (nlate++ == 0)
				rc |= kueri_sink_puts(out, "  late:\n");
			rc |= kueri_sink_printf(out, "    %-8s %s%s  due %s, %lld"
			        " day%s late\n", ki_status_name(e->status), e->name,
			        e->private_ ? " (private)" : "",
			        fday(1, e->next_due, b), e->days_late,
			        e->days_late == 1 ? "" : "s");
		}
	}
	rate_text(tot.met, tot.deadlines, r, sizeof r);
	rc |= kueri_sink_printf(out, "\nAll units: %d entries (%d private);",
	                        tot.entries, tot.priv);
	for (s = 0; s < KI__MAX; s++)
		rc |= kueri_sink_printf(out, " %s %d%s",
		        ki_status_name((ki_status)s), tot.by[s],
		        s + 1 < KI__MAX ? "," : "\n");
	rc |= kueri_sink_printf(out, "deadlines met in the last year: %s\n", r);
	free(u);
	return rc;
}

/* ---- the release calendar --------------------------------------------- */

static int
sched_cmp(const void *a, const void *b)
{
	const ki_entry *x = *(const ki_entry *const *)a;
	const ki_entry *y = *(const ki_entry *const *)b;

	if (x->has_next != y->has_next)
		return x->has_next ? -1 : 1;
	if (x->has_next && x->next_due != y->next_due)
		return x->next_due < y->next_due ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Public entries in calendar order (caller frees); *priv counts the
 * others. */
static const ki_entry **
sched_entries(const ki_inventory *inv, int *n, int *priv)
{
	const ki_entry **v = calloc((size_t)inv->n + 1, sizeof *v);
	int i;

	*n = *priv = 0;
	if (v == NULL)
		return NULL;
	for (i = 0; i < inv->n; i++) {
		if (inv->e[i].private_)
			(*priv)++;
		else
			v[(*n)++] = &inv->e[i];
	}
	qsort(v, (size_t)*n, sizeof *v, sched_cmp);
	return v;
}

/* lastUpdateOnTime as the schedule and the catalog state it. */
static json_t *
on_time(const ki_entry *e)
{
	return e->has_last ? json_boolean(e->last_on_time) : json_null();
}

void *
ki_schedule_json(const ki_inventory *inv, ki_day today)
{
	int i, n, priv;
	const ki_entry **v = sched_entries(inv, &n, &priv);
	json_t *arr;
	char b[11];

	if (v == NULL)
		return NULL;
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:o,s:b,"
		        "s:s,s:o,s:I,s:o,s:o}",
		        "name", v[i]->name, "title", v[i]->title,
		        "publisher", v[i]->publisher,
		        "updateFrequency", jstr(v[i]->frequency),
		        "priority", v[i]->priority,
		        "status", ki_status_name(v[i]->status),
		        "nextDue", jday(v[i]->has_next, v[i]->next_due),
		        "daysLate", (json_int_t)v[i]->days_late,
		        "lastDelivered", jday(v[i]->has_last, v[i]->last),
		        "lastUpdateOnTime", on_time(v[i])));
	free(v);
	ki_day_format(today, b);
	return json_pack("{s:s,s:I,s:I,s:i,s:o}", "today", b,
	        "inventoryVersion", (json_int_t)inv->version,
	        "dueWindowDays", (json_int_t)inv->due_window,
	        "privateEntries", priv, "entries", arr);
}

int
ki_write_schedule(const ki_inventory *inv, ki_day today, ki_format f,
                  const kueri_sink *out)
{
	int i, n, priv, rc = 0;
	const ki_entry **v;
	char b1[11], b2[11];

	if (f != KI_CSV)
		return put_json(ki_schedule_json(inv, today), 0, out);
	if ((v = sched_entries(inv, &n, &priv)) == NULL)
		return -1;
	rc |= kueri_sink_puts(out, "name,title,publisher,update_frequency,"
	        "status,next_due,days_late,last_delivered,"
	        "last_update_on_time\r\n");
	for (i = 0; i < n && rc == 0; i++) {
		char late[24];

		snprintf(late, sizeof late, "%lld", v[i]->days_late);
		rc |= csv_cell(out, v[i]->name, 0);
		rc |= csv_cell(out, v[i]->title, 0);
		rc |= csv_cell(out, v[i]->publisher, 0);
		rc |= csv_cell(out, v[i]->frequency, 0);
		rc |= csv_cell(out, ki_status_name(v[i]->status), 0);
		rc |= csv_cell(out, v[i]->has_next ? fday(1, v[i]->next_due, b1)
		                                   : "", 0);
		rc |= csv_cell(out, late, 0);
		rc |= csv_cell(out, v[i]->has_last ? fday(1, v[i]->last, b2) : "",
		               0);
		rc |= csv_cell(out, !v[i]->has_last ? ""
		               : v[i]->last_on_time ? "yes" : "no", 1);
	}
	free(v);
	return rc;
}

/* ---- the catalog entry ------------------------------------------------ */

int
ki_catalog_annotate(const ki_inventory *inv, void *catalog)
{
	json_t *pkg;
	size_t k;
	int i, rc = 0;

	json_array_foreach((json_t *)catalog, k, pkg) {
		const char *name = json_string_value(json_object_get(pkg, "name"));
		const ki_entry *e = NULL;

		/* Sorted by publisher, not name: a linear scan (inventories
		 * are hundreds of entries). */
		for (i = 0; name && i < inv->n && e == NULL; i++)
			if (!inv->e[i].private_ && strcmp(inv->e[i].name, name) == 0)
				e = &inv->e[i];
		if (e == NULL) {
			rc |= json_object_set_new(pkg, "status", json_string(
			        json_is_true(json_object_get(pkg, "overdue"))
			        ? "stale" : "published"));
			rc |= json_object_set_new(pkg, "lastUpdateOnTime",
			                          json_null());
			rc |= json_object_set_new(pkg, "scheduleDue", json_null());
			rc |= json_object_set_new(pkg, "daysLate", json_integer(0));
			continue;
		}
		rc |= json_object_set_new(pkg, "status",
		                          json_string(ki_status_name(e->status)));
		rc |= json_object_set_new(pkg, "lastUpdateOnTime", on_time(e));
		rc |= json_object_set_new(pkg, "scheduleDue",
		                          jday(e->has_next, e->next_due));
		rc |= json_object_set_new(pkg, "daysLate",
		                          json_integer(e->days_late));
	}
	return rc ? -1 : 0;
}

/* ---- the action plan -------------------------------------------------- */

static int
month_of(ki_day d)
{
	char b[11];

	ki_day_format(d, b);
	return (b[5] - '0') * 10 + (b[6] - '0');
}

int
ki_write_plan(const ki_inventory *inv, int year, ki_format f,
              const kueri_sink *out)
{
	char ys[16], b1[11], b2[11];
	ki_day jan1, dec31, d;
	const char *why;
	int nu = 0, i, k, m, rc = 0;
	unit *u;

	snprintf(ys, sizeof ys, "%04d-01-01", year);
	if (year < 1 || year > 9999 || ki_day_parse(ys, 10, &jan1, &why))
		return -1;
	snprintf(ys, sizeof ys, "%04d-12-31", year);
	ki_day_parse(ys, 10, &dec31, &why);
	if ((u = units_of(inv, &nu)) == NULL)
		return -1;
	if (f == KI_CSV)
		rc |= kueri_sink_puts(out, "publisher,month,date,name,"
		                      "classification,kind,title\r\n");
	else
		rc |= kueri_sink_printf(out, "Action plan %d (inventory version"
		                        " %lld): every deadline, per unit and"
		                        " month\n", year, inv->version);
	for (i = 0; i < nu && rc == 0; i++) {
		int any = 0;

		if (f != KI_CSV)
			rc |= kueri_sink_printf(out, "\n%s\n", u[i].publisher);
		for (m = 1; m <= 12; m++) {
			int month_head = 0;

			for (k = u[i].first; k < u[i].end; k++) {
				const ki_entry *e = &inv->e[k];
				long long j = ki_period_of(e, jan1), cnt = 0, j0 = j;
				ki_day lo = 0, hi = 0;

				for (; j >= 0 && ki_deadline(e, j, &d) == 0 && d <= dec31;
				     j++) {
					if (month_of(d) != m) {
						if (month_of(d) > m)
							break;
						j0 = j + 1;
						continue;
					}
					if (cnt++ == 0)
						lo = d;
					hi = d;
					if (f == KI_CSV) {
						char mo[24];

						snprintf(mo, sizeof mo, "%04d-%02d", year, m);
						rc |= csv_cell(out, e->publisher, 0);
						rc |= csv_cell(out, mo, 0);
						rc |= csv_cell(out, fday(1, d, b1), 0);
						rc |= csv_cell(out, e->name, 0);
						rc |= csv_cell(out, e->private_ ? "private"
						                                : "public", 0);
						rc |= csv_cell(out, j == 0 ? "first delivery"
						                           : "update", 0);
						rc |= csv_cell(out, e->title, 1);
					}
				}
				if (cnt == 0 || f == KI_CSV)
					continue;
				if (!month_head++)
					rc |= kueri_sink_printf(out, "  %04d-%02d\n", year, m);
				any = 1;
				if (cnt == 1)
					rc |= kueri_sink_printf(out, "    %-24s  %-28s  %s%s\n",
					        fday(1, lo, b1), e->name,
					        j0 == 0 ? "first delivery" : "update",
					        e->private_ ? " (private)" : "");
				else {
					char span[32];

					snprintf(span, sizeof span, "%s .. %s",
					         fday(1, lo, b1), fday(1, hi, b2));
					rc |= kueri_sink_printf(out, "    %-24s  %-28s  %lld"
					        " deadlines%s%s\n", span, e->name, cnt,
					        j0 == 0 ? " (first delivery, then updates)"
					                : "",
					        e->private_ ? " (private)" : "");
				}
			}
		}
		if (!any && f != KI_CSV)
			rc |= kueri_sink_puts(out, "  (nothing due this year)\n");
	}
	free(u);
	return rc;
}

/* ---- HTTP ------------------------------------------------------------- */

struct ki_http {
	ki_inventory *inv;
	ki_day        today;
	int           schedule;  /* 0: units */
	ki_format     f;
};

static const char *const http_paths[] = { "units", "units.csv", "schedule",
                                          "schedule.csv" };

int
ki_http_handles(const char *what)
{
	size_t i;

	for (i = 0; what && i < sizeof http_paths / sizeof http_paths[0]; i++)
		if (strcmp(what, http_paths[i]) == 0)
			return 1;
	return 0;
}

/* Parse "$format=json|csv" and "today=yyyy-mm-dd"; nothing else.  The
 * request's text is never echoed into the error. */
static int
http_query(ki_http *a, const char *q, kueri_err *err)
{
	while (q != NULL && *q) {
		const char *amp = strchr(q, '&');
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		const char *why;

		if (n > 8 && strncmp(q, "$format=", 8) == 0)
			q += 8, n -= 8;
		else if (n > 10 && strncasecmp(q, "%24format=", 10) == 0)
			q += 10, n -= 10;
		else if (n == 16 && strncmp(q, "today=", 6) == 0) {
			if (ki_day_parse(q + 6, 10, &a->today, &why))
				return kueri_err_set(err, KUERI_EBADREQ, -1,
				        "today: %s", why);
			goto next;
		} else if (n == 0) {
			goto next;
		} else {
			return kueri_err_set(err, KUERI_EBADREQ, -1, "unknown query"
			        " option: only $format=json|csv|html and"
			        " today=yyyy-mm-dd are allowed here");
		}
		if (n == 4 && strncmp(q, "json", 4) == 0)
			a->f = KI_JSON;
		else if (n == 4 && strncmp(q, "html", 4) == 0)
			a->f = KI_HTML;
		else if (n == 3 && strncmp(q, "csv", 3) == 0)
			a->f = KI_CSV;
		else
			return kueri_err_set(err, KUERI_EBADREQ, -1,
			        "$format must be json, csv or html");
next:
		q = amp ? amp + 1 : NULL;
	}
	return 0;
}

ki_http *
ki_http_prepare(kportal *p, const char *what, const char *query,
                long long now, kueri_err *err)
{
	ki_http *a;

	if (!ki_http_handles(what)) {
		kueri_err_set(err, KUERI_ENOTFOUND, -1, "no such resource");
		return NULL;
	}
	if ((a = calloc(1, sizeof *a)) == NULL) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	a->today = ki_day_of(now);
	a->schedule = strncmp(what, "schedule", 8) == 0;
	a->f = strstr(what, ".csv") ? KI_CSV : KI_JSON;
	if (http_query(a, query, err) ||
	    (a->inv = ki_inventory_load(p, a->today, err)) == NULL) {
		free(a);
		return NULL;
	}
	ki_evaluate(a->inv, a->today, -1);
	return a;
}

const char *
ki_http_content_type(const ki_http *a)
{
	return a->f == KI_CSV  ? "text/csv; charset=utf-8" :
	       a->f == KI_HTML ? "text/html; charset=utf-8" : "application/json";
}

ki_format
ki_http_format(const ki_http *a)
{
	return a->f;
}

void
ki_http_set_format(ki_http *a, ki_format f)
{
	a->f = f;
}

void *
ki_http_json(const ki_http *a)
{
	return a->schedule ? ki_schedule_json(a->inv, a->today)
	                   : ki_units_json(a->inv, a->today);
}

int
ki_http_stream(ki_http *a, const kueri_sink *out)
{
	if (a->schedule)
		return ki_write_schedule(a->inv, a->today, a->f, out);
	return ki_write_units(a->inv, a->today, a->f, 1, out);
}

void
ki_http_free(ki_http *a)
{
	if (a == NULL)
		return;
	ki_inventory_free(a->inv);
	free(a);
}
