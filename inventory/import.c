/*
 * import.c -- `kueri inventory import`: verify an inventory package and
 * store it as a new version (tables: store.c).
 *
 * The import reuses the publisher's reading of Data Packages and its
 * Table Schema verification (kv_package_load, kv_verify): the inventory
 * file is a data package the data team keeps and `kueri verify` checks.
 * Then every row is checked again here with the inventory's own rules
 * (strict dates and periods with range checks, unique names), and the
 * whole file is refused when one row is bad.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "inventory.h"
#include "ki_int.h"
#include "publish.h"

static const char ki_schema_json[] =
	"{\n"
	"  \"fields\": [\n"
	"    {\"name\": \"name\", \"type\": \"string\", \"title\": \"Dataset name"
	" (the package name it will be published as)\",\n"
	"     \"constraints\": {\"required\": true, \"pattern\":"
	" \"[a-z0-9_-]{1,100}\"}},\n"
	"    {\"name\": \"title\", \"type\": \"string\","
	" \"constraints\": {\"required\": true, \"maxLength\": 300}},\n"
	"    {\"name\": \"publisher\", \"type\": \"string\", \"title\":"
	" \"Owning work unit (produsen data)\",\n"
	"     \"constraints\": {\"required\": true, \"maxLength\": 200}},\n"
	"    {\"name\": \"classification\", \"type\": \"string\","
	" \"constraints\": {\"required\": true, \"enum\": [\"public\","
	" \"private\"]}},\n"
	"    {\"name\": \"priority\", \"type\": \"boolean\", \"trueValues\":"
	" [\"yes\"], \"falseValues\": [\"no\"],\n"
	"     \"constraints\": {\"required\": true}},\n"
	"    {\"name\": \"firstDelivery\", \"type\": \"date\","
	" \"constraints\": {\"required\": true}},\n"
	"    {\"name\": \"updateFrequency\", \"type\": \"string\", \"title\":"
	" \"ISO 8601 duration in days, weeks, months, years; empty: once\",\n"
	"     \"constraints\": {\"pattern\":"
	" \"P(?=[0-9])([0-9]{1,9}Y)?([0-9]{1,9}M)?([0-9]{1,9}W)?"
	"([0-9]{1,9}D)?\"}},\n"
	"    {\"name\": \"contact\", \"type\": \"string\"},\n"
	"    {\"name\": \"note\", \"type\": \"string\"},\n"
	"    {\"name\": \"withdrawn\", \"type\": \"date\", \"title\":"
	" \"No longer expected from this day (optional)\"}\n"
	"  ],\n"
	"  \"primaryKey\": [\"name\"]\n"
	"}\n";

const char *
ki_table_schema(void)
{
	return ki_schema_json;
}

/* ---- import ---------------------------------------------------------- */

enum { F_NAME, F_TITLE, F_PUBLISHER, F_CLASS, F_PRIORITY, F_FIRST, F_FREQ,
       F_CONTACT, F_NOTE, F_WITHDRAWN, F__MAX };

static const struct {
	const char *name;
	kp_type     type;
	int         required;  /* the column must exist */
} ki_fields[F__MAX] = {
	[F_NAME]      = { "name",            KP_STRING,  1 },
	[F_TITLE]     = { "title",           KP_STRING,  1 },
	[F_PUBLISHER] = { "publisher",       KP_STRING,  1 },
	[F_CLASS]     = { "classification",  KP_STRING,  1 },
	[F_PRIORITY]  = { "priority",        KP_BOOLEAN, 1 },
	[F_FIRST]     = { "firstDelivery",   KP_DATE,    1 },
	[F_FREQ]      = { "updateFrequency", KP_STRING,  1 },
	[F_CONTACT]   = { "contact",         KP_STRING,  1 },
	[F_NOTE]      = { "note",            KP_STRING,  0 },
	[F_WITHDRAWN] = { "withdrawn",       KP_DATE,    0 },
};

/* One row as imported (owned strings). */
typedef struct irow {
	long long row;
	char     *v[F__MAX];   /* text of each field, NULL when empty    */
	int       priority;
} irow;

typedef struct ictx {
	int               col[F__MAX];  /* resource field index, or -1 */
	irow             *rows;
	int               n, cap;
	long long         bad;          /* rows refused                */
	const kueri_sink *report;
	int               oom;
	char              fp[65];       /* SHA-256 of entries + window */
} ictx;

#define KI_MAX_ENTRIES 100000
#define KI_MAX_REPORTED 200

static void rep(ictx *x, long long row, int f, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
rep(ictx *x, long long row, int f, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	x->bad++;
	if (x->report == NULL || x->bad > KI_MAX_REPORTED)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (f >= 0)
		kueri_sink_printf(x->report, "row %lld, field %d (%s): %s\n",
		                  row, x->col[f] + 1, ki_fields[f].name, msg);
	else
		kueri_sink_printf(x->report, "row %lld: %s\n", row, msg);
}

static int
on_row(void *ctx, long long row, const kv_value *v, int nv)
{
	ictx *x = ctx;
	irow *r;
	int f;

	if (x->n == x->cap) {
		int nc = x->cap ? x->cap * 2 : 64;
		irow *nr;

		if (x->n >= KI_MAX_ENTRIES) {
			rep(x, row, -1, "more than %d entries", KI_MAX_ENTRIES);
			return -1;
		}
		nr = realloc(x->rows, (size_t)nc * sizeof *nr);
		if (nr == NULL) {
			x->oom = 1;
			return -1;
		}
		x->rows = nr;
		x->cap = nc;
	}
	r = &x->rows[x->n++];
	memset(r, 0, sizeof *r);
	r->row = row;
	for (f = 0; f < F__MAX; f++) {
		int c = x->col[f];

		if (c < 0 || c >= nv || v[c].null)
			continue;
		if (ki_fields[f].type == KP_BOOLEAN) {
			r->priority = v[c].i != 0;
			r->v[f] = strdup(v[c].i ? "yes" : "no");
		} else {
			r->v[f] = strndup(v[c].s, v[c].len);
		}
		if (r->v[f] == NULL) {
			x->oom = 1;
			return -1;
		}
	}
	return 0;
}

static void
ictx_free(ictx *x)
{
	int i, f;

	for (i = 0; i < x->n; i++)
		for (f = 0; f < F__MAX; f++)
			free(x->rows[i].v[f]);
	free(x->rows);
}

/* Map the resource's fields to ours and check their types. */
static int
map_fields(const kv_resource *r, ictx *x, kueri_err *err)
{
	int f, i;

	for (f = 0; f < F__MAX; f++) {
		x->col[f] = -1;
		for (i = 0; i < r->nfields; i++)
			if (strcmp(r->fields[i].name, ki_fields[f].name) == 0)
				x->col[f] = i;
		if (x->col[f] < 0 && ki_fields[f].required)
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "the inventory has no field \"%s\" (see 'kueri"
			        " inventory schema')", ki_fields[f].name);
		if (x->col[f] >= 0 && r->fields[x->col[f]].type !=
		                      ki_fields[f].type)
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "inventory field \"%s\" must be of type %s, not"
			        " %s (see 'kueri inventory schema')",
			        ki_fields[f].name, kp_type_name(ki_fields[f].type),
			        kp_type_name(r->fields[x->col[f]].type));
	}
	return 0;
}

static int
irow_name_cmp(const void *a, const void *b)
{
	const irow *x = a, *y = b;

	return strcmp(x->v[F_NAME], y->v[F_NAME]);
}

/* The inventory's own rules, over rows the Table Schema let through. */
static void
check_rows(ictx *x)
{
	int i;

	for (i = 0; i < x->n; i++) {
		irow *r = &x->rows[i];
		const char *why;
		ki_day d1, d2;
		ki_period per;
		int f;

		for (f = 0; f < F__MAX; f++)
			if (f != F_FREQ && f != F_CONTACT && f != F_NOTE &&
			    f != F_WITHDRAWN && r->v[f] == NULL)
				rep(x, r->row, f, "a value is required");
		if (r->v[F_NAME] && !kv_name_ok(r->v[F_NAME]))
			rep(x, r->row, F_NAME, "\"%.100s\" is not a package name"
			    " (lowercase letters, digits, '-', '_')",
			    r->v[F_NAME]);
		if (r->v[F_CLASS] && strcmp(r->v[F_CLASS], "public") &&
		    strcmp(r->v[F_CLASS], "private"))
			rep(x, r->row, F_CLASS, "\"%.60s\" is neither public nor"
			    " private", r->v[F_CLASS]);
		if (r->v[F_FIRST] && ki_day_parse(r->v[F_FIRST],
		        strlen(r->v[F_FIRST]), &d1, &why))
			rep(x, r->row, F_FIRST, "%s: \"%.40s\"", why, r->v[F_FIRST]);
		if (r->v[F_FREQ] && ki_period_parse(r->v[F_FREQ],
		        strlen(r->v[F_FREQ]), &per, &why))
			rep(x, r->row, F_FREQ, "%s: \"%.60s\"", why, r->v[F_FREQ]);
		if (r->v[F_WITHDRAWN]) {
			if (ki_day_parse(r->v[F_WITHDRAWN],
			        strlen(r->v[F_WITHDRAWN]), &d2, &why))
				rep(x, r->row, F_WITHDRAWN, "%s: \"%.40s\"", why,
				    r->v[F_WITHDRAWN]);
		}
	}
	/* Unique names even when the file's schema has no primaryKey. */
	if (x->bad == 0 && x->n > 1) {
		qsort(x->rows, (size_t)x->n, sizeof *x->rows, irow_name_cmp);
		for (i = 1; i < x->n; i++)
			if (strcmp(x->rows[i].v[F_NAME], x->rows[i - 1].v[F_NAME])
			    == 0) {
				rep(x, x->rows[i].row, F_NAME, "\"%.100s\" is already"
				    " listed at row %lld", x->rows[i].v[F_NAME],
				    x->rows[i - 1].row);
			}
	}
}

/* Print the Frictionless report's errors as row/field lines. */
static void
report_verify(const kueri_sink *out, json_t *report)
{
	json_t *t, *e;
	size_t i, j;

	if (out == NULL)
		return;
	json_array_foreach(json_object_get(report, "tasks"), i, t)
		json_array_foreach(json_object_get(t, "errors"), j, e) {
			json_t *row = json_object_get(e, "rowNumber");
			json_t *fld = json_object_get(e, "fieldNumber");
			const char *fname = json_string_value(
			        json_object_get(e, "fieldName"));

			if (json_is_integer(row))
				kueri_sink_printf(out, "row %lld",
				        (long long)json_integer_value(row));
			else
				kueri_sink_puts(out, "header");
			if (json_is_integer(fld))
				kueri_sink_printf(out, ", field %lld%s%s%s",
				        (long long)json_integer_value(fld),
				        fname ? " (" : "", fname ? fname : "",
				        fname ? ")" : "");
			kueri_sink_printf(out, ": %s: %s\n",
			        json_string_value(json_object_get(e, "type")),
			        json_string_value(json_object_get(e, "message")));
		}
}

/* A private entry whose name is published as a public package: the
 * import refuses, so the inventory and the portal never disagree about
 * what may be shown. */
static void
check_published_private(sqlite3 *db, ictx *x)
{
	sqlite3_stmt *st;
	int i;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM kueri_package WHERE name=?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return; /* nothing published yet */
	for (i = 0; i < x->n; i++) {
		irow *r = &x->rows[i];

		if (r->v[F_CLASS] == NULL || strcmp(r->v[F_CLASS], "private"))
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, r->v[F_NAME], -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			rep(x, r->row, F_CLASS, "\"%s\" is published as a public"
			    " package: run 'kueri unpublish' for it first, then"
			    " import the inventory that makes it private",
			    r->v[F_NAME]);
	}
	sqlite3_finalize(st);
}

/* What changed for one name between the previous version and this one:
 * a short text, or NULL when nothing. */
static const char *
entry_change(sqlite3_stmt *prev, const irow *r, char *buf, size_t len)
{
	static const int cmp[] = { F_TITLE, F_PUBLISHER, F_CLASS, F_FIRST,
	                           F_FREQ, F_WITHDRAWN };
	static const int col[] = { 1, 2, 3, 5, 6, 9 };
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof cmp / sizeof cmp[0]; i++) {
		const char *o = (const char *)sqlite3_column_text(prev, col[i]);
		const char *nv = r->v[cmp[i]];

		if ((o == NULL) != (nv == NULL) || (o && strcmp(o, nv))) {
			/* A title may be private: say what changed, not how. */
			if (cmp[i] == F_TITLE || cmp[i] == F_PUBLISHER)
				n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
				        "%s%s changed", n ? "; " : "",
				        ki_fields[cmp[i]].name);
			else
				n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
				        "%s%s %s -> %s", n ? "; " : "",
				        ki_fields[cmp[i]].name, o ? o : "(none)",
				        nv ? nv : "(none)");
		}
	}
	return buf[0] ? buf : NULL;
}

/* The content's fingerprint: every field of every row in name order,
 * and the due window; an identical re-import is then a no-op. */
static void
fingerprint(ictx *x, long long window)
{
	ksha256 c;
	char w[32];
	int i, f;

	qsort(x->rows, (size_t)x->n, sizeof *x->rows, irow_name_cmp);
	ksha256_init(&c);
	snprintf(w, sizeof w, "%lld", window);
	ksha256_update(&c, w, strlen(w) + 1);
	for (i = 0; i < x->n; i++)
		for (f = 0; f < F__MAX; f++) {
			const char *v = x->rows[i].v[f];

			/* NUL ends a value, \x01 marks an absent one. */
			ksha256_update(&c, v ? v : "\x01", v ? strlen(v) + 1 : 2);
		}
	ksha256_hex(&c, x->fp);
}

/* The current version if its fingerprint is `fp`, else 0. */
static long long
same_as_current(sqlite3 *db, const char *fp)
{
	sqlite3_stmt *st;
	long long v = 0;

	if (sqlite3_prepare_v2(db, "SELECT version, fingerprint FROM"
	        " kueri_inventory_version ORDER BY version DESC LIMIT 1", -1,
	        &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 1) &&
	    strcmp((const char *)sqlite3_column_text(st, 1), fp) == 0)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
write_version(sqlite3 *db, ictx *x, const char *source,
              const ki_import_opts *o, long long *version, kueri_err *err)
{
	sqlite3_stmt *st = NULL, *prev = NULL;
	long long v = 1, now = (long long)time(NULL);
	int i, rc;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return ki_db_err(db, err);
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) + 1 FROM"
	        " kueri_inventory_version", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO kueri_inventory_version VALUES"
	        "(?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 6, x->fp, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 1, v);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, x->n);
	sqlite3_bind_int64(st, 5, o->due_window);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto dberr;
	if (sqlite3_prepare_v2(db, "INSERT INTO kueri_inventory VALUES(?1, ?2,"
	        " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", -1, &st,
	        NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT name, title, publisher,"
	        " classification, priority, first_delivery, frequency, contact,"
	        " note, withdrawn FROM kueri_inventory WHERE version = ?1 - 1"
	        " AND name = ?2", -1, &prev, NULL) != SQLITE_OK)
		goto dberr;
	for (i = 0; i < x->n; i++) {
		irow *r = &x->rows[i];
		char buf[300];
		const char *chg = NULL;
		int f, col = 2, found;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, v);
		for (f = 0; f < F__MAX; f++) {
			if (f == F_PRIORITY) {
				sqlite3_bind_int(st, col++, r->priority);
				continue;
			}
			if (r->v[f])
				sqlite3_bind_text(st, col, r->v[f], -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, col);
			col++;
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			goto dberr;
		sqlite3_reset(prev);
		sqlite3_bind_int64(prev, 1, v);
		sqlite3_bind_text(prev, 2, r->v[F_NAME], -1, SQLITE_STATIC);
		found = sqlite3_step(prev) == SQLITE_ROW;
		if (found)
			chg = entry_change(prev, r, buf, sizeof buf);
		if ((!found || chg) &&
		    ki_history_add(db, now, o->today, "entry", r->v[F_NAME],
		                r->v[F_PUBLISHER], v, found ? chg : "added", err))
			goto fail;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(prev);
	st = prev = NULL;
	/* Entries the new version dropped. */
	if (sqlite3_prepare_v2(db, "SELECT name, publisher FROM kueri_inventory"
	        " WHERE version = ?1 - 1 AND name NOT IN (SELECT name FROM"
	        " kueri_inventory WHERE version = ?1)", -1, &st,
	        NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(st, 1, v);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (ki_history_add(db, now, o->today, "entry",
		        (const char *)sqlite3_column_text(st, 0),
		        (const char *)sqlite3_column_text(st, 1), v, "removed",
		        err))
			goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto dberr;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	*version = v;
	return 0;
dberr:
	ki_db_err(db, err);
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(prev);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
ki_import(kportal *p, const char *path, const ki_import_opts *o,
          long long *version, kueri_err *err)
{
	kv_package *pkg;
	kv_opts vo = { 100, 0, NULL, NULL };
	json_t *report = NULL;
	ictx x;
	int vrc, rc = -1;

	memset(&x, 0, sizeof x);
	x.report = o->report;
	pkg = kv_package_load(path, err);
	if (pkg == NULL)
		return -1;
	if (pkg->nres != 1) {
		kueri_err_set(err, KUERI_ESCHEMA, -1, "an inventory package has"
		              " exactly one resource, not %d", pkg->nres);
		goto out;
	}
	if (map_fields(&pkg->res[0], &x, err))
		goto out;
	vrc = kv_verify(pkg, &vo, NULL, on_row, &x, &report, NULL, err);
	if (x.oom) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		goto out;
	}
	if (vrc < 0)
		goto out;
	if (vrc == 1) {
		report_verify(o->report, report);
		kueri_err_set(err, KUERI_EINVALID, -1, "the inventory does not"
		              " match its Table Schema; nothing was imported");
		rc = 1;
		goto out;
	}
	if (x.bad) {
		kueri_err_set(err, KUERI_EINVALID, -1, "%lld entr%s refused;"
		              " nothing was imported", x.bad,
		              x.bad == 1 ? "y" : "ies");
		rc = 1;
		goto out;
	}
	check_rows(&x);
	if (x.bad == 0)
		check_published_private(portal_db(p), &x);
	if (x.bad) {
		kueri_err_set(err, KUERI_EINVALID, -1, "%lld problem%s found;"
		              " nothing was imported", x.bad,
		              x.bad == 1 ? "" : "s");
		rc = 1;
		goto out;
	}
	if (ki_schema(p, err))
		goto out;
	fingerprint(&x, o->due_window);
	if ((*version = same_as_current(portal_db(p), x.fp)) > 0) {
		rc = 2;
		goto out;
	}
	if (write_version(portal_db(p), &x, path, o, version, err))
		goto out;
	rc = ki_record_statuses(p, o->today, err) < 0 ? -1 : 0;
out:
	json_decref(report);
	ictx_free(&x);
	kv_package_free(pkg);
	return rc;
}

