/*
 * store.c -- the inventory in the portal database: its tables, importing
 * a verified inventory package as a new version, reading the current
 * version back, the history, and the check made before a publish.
 *
 * Tables (created here, touched by nobody else):
 *   kueri_inventory_version  one row per import: version, when, source
 *                            file, entry count, due window (days)
 *   kueri_inventory          the entries of every version (small; old
 *                            versions are kept so a re-classification
 *                            can be traced)
 *   kueri_history            one row per event, never pruned: 'publish'
 *                            and 'delivery' (who delivered which version
 *                            on which day), 'entry' (added / changed /
 *                            removed by an import), 'status' (a status
 *                            change noticed at an import or publish)
 *
 * The import reuses the publisher's reading of Data Packages and its
 * Table Schema verification (kv_package_load, kv_verify): the inventory
 * file is a data package the data team keeps and `kueri verify` checks.
 * Then every row is checked again here with the inventory's own rules
 * (strict dates and periods with range checks, unique names), and the
 * whole file is refused when one row is bad.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "inventory.h"
#include "publish.h"

static const char ki_ddl[] =
	"CREATE TABLE IF NOT EXISTS kueri_inventory_version("
	" version INTEGER PRIMARY KEY, imported_at INTEGER NOT NULL,"
	" source TEXT NOT NULL, entries INTEGER NOT NULL,"
	" due_window INTEGER NOT NULL, fingerprint TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS kueri_inventory("
	" version INTEGER NOT NULL, name TEXT NOT NULL, title TEXT NOT NULL,"
	" publisher TEXT NOT NULL, classification TEXT NOT NULL,"
	" priority INTEGER NOT NULL, first_delivery TEXT NOT NULL,"
	" frequency TEXT, contact TEXT, note TEXT, withdrawn TEXT,"
	" PRIMARY KEY(version, name));"
	"CREATE TABLE IF NOT EXISTS kueri_history("
	" id INTEGER PRIMARY KEY, at INTEGER NOT NULL, day TEXT NOT NULL,"
	" event TEXT NOT NULL, name TEXT NOT NULL, publisher TEXT,"
	" version INTEGER, detail TEXT);"
	"CREATE INDEX IF NOT EXISTS kueri_history_name"
	" ON kueri_history(name, event, day);";

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

static int
db_err(sqlite3 *db, kueri_err *err)
{
	return kueri_err_set(err, KUERI_EDB, -1, "inventory: %s",
	                     sqlite3_errmsg(db));
}

int
ki_schema(kportal *p, kueri_err *err)
{
	sqlite3 *db = portal_db(p);

	if (sqlite3_exec(db, ki_ddl, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, err);
	return 0;
}

static int
has_tables(sqlite3 *db)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE"
	        " type='table' AND name IN ('kueri_inventory',"
	        " 'kueri_inventory_version','kueri_history')", -1, &st,
	        NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n == 3;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? strdup((const char *)s) : NULL;
}

/* ---- reading the current version ------------------------------------- */

void
ki_inventory_free(ki_inventory *inv)
{
	int i;

	if (inv == NULL)
		return;
	for (i = 0; i < inv->n; i++) {
		ki_entry *e = &inv->e[i];

		free(e->name);
		free(e->title);
		free(e->publisher);
		free(e->frequency);
		free(e->contact);
		free(e->note);
		free(e->deliv);
	}
	free(inv->e);
	free(inv);
}

static int
entry_cmp(const void *a, const void *b)
{
	const ki_entry *x = a, *y = b;
	int c = strcmp(x->publisher, y->publisher);

	return c ? c : strcmp(x->name, y->name);
}

static ki_entry *
find_entry(ki_inventory *inv, const char *name)
{
	int i;

	/* Sorted by publisher first, so by name only linearly; inventories
	 * are hundreds of entries. */
	for (i = 0; i < inv->n; i++)
		if (strcmp(inv->e[i].name, name) == 0)
			return &inv->e[i];
	return NULL;
}

static int
add_delivery(ki_entry *e, ki_day d)
{
	ki_day *nd;
	int i;

	for (i = 0; i < e->ndeliv; i++)
		if (e->deliv[i] == d)
			return 0;
	nd = realloc(e->deliv, (size_t)(e->ndeliv + 1) * sizeof *nd);
	if (nd == NULL)
		return -1;
	e->deliv = nd;
	/* Insertion keeps them ascending. */
	for (i = e->ndeliv; i > 0 && e->deliv[i - 1] > d; i--)
		e->deliv[i] = e->deliv[i - 1];
	e->deliv[i] = d;
	e->ndeliv++;
	return 0;
}

static const char entries_sql[] =
	"SELECT name, title, publisher, classification, priority,"
	" first_delivery, frequency, contact, note, withdrawn"
	" FROM kueri_inventory WHERE version = ?1";

/* Deliveries as of a day: history events, and the publish time of a
 * package published before any history was kept. */
static const char deliv_sql[] =
	"SELECT name, day FROM kueri_history WHERE event IN ('publish',"
	" 'delivery') AND day <= ?1";
static const char pkg_sql[] =
	"SELECT name, published_at FROM kueri_package";

static int
load_entries(sqlite3 *db, ki_inventory *inv, kueri_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, cap = 0;

	if (sqlite3_prepare_v2(db, entries_sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err);
	sqlite3_bind_int64(st, 1, inv->version);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ki_entry *e;
		const char *why, *s;

		if (inv->n == cap) {
			int nc = cap ? cap * 2 : 64;
			ki_entry *ne = realloc(inv->e, (size_t)nc * sizeof *ne);

			if (ne == NULL)
				goto oom;
			inv->e = ne;
			cap = nc;
		}
		e = &inv->e[inv->n++];
		memset(e, 0, sizeof *e);
		e->name = col_dup(st, 0);
		e->title = col_dup(st, 1);
		e->publisher = col_dup(st, 2);
		s = (const char *)sqlite3_column_text(st, 3);
		e->private_ = s == NULL || strcmp(s, "public") != 0;
		e->priority = sqlite3_column_int(st, 4);
		e->frequency = col_dup(st, 6);
		e->contact = col_dup(st, 7);
		e->note = col_dup(st, 8);
		if (e->name == NULL || e->title == NULL || e->publisher == NULL)
			goto oom;
		/* Written by ki_import after the same checks; a tampered row
		 * is an error, not a guess. */
		s = (const char *)sqlite3_column_text(st, 5);
		if (s == NULL || ki_day_parse(s, strlen(s), &e->first, &why) ||
		    (e->frequency && ki_period_parse(e->frequency,
		        strlen(e->frequency), &e->period, &why))) {
			sqlite3_finalize(st);
			return kueri_err_set(err, KUERI_EDB, -1, "inventory: bad"
			                     " stored entry '%s'", e->name);
		}
		s = (const char *)sqlite3_column_text(st, 9);
		if (s != NULL) {
			if (ki_day_parse(s, strlen(s), &e->withdrawn, &why)) {
				sqlite3_finalize(st);
				return kueri_err_set(err, KUERI_EDB, -1,
				        "inventory: bad stored entry '%s'", e->name);
			}
			e->has_withdrawn = 1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(db, err);
	qsort(inv->e, (size_t)inv->n, sizeof *inv->e, entry_cmp);
	return 0;
oom:
	sqlite3_finalize(st);
	return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
}

static int
load_deliveries(sqlite3 *db, ki_inventory *inv, ki_day today,
                kueri_err *err)
{
	sqlite3_stmt *st = NULL;
	char day[11];
	int rc, pass;

	ki_day_format(today, day);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			/* The package table exists once anything was published. */
			if (sqlite3_prepare_v2(db, pkg_sql, -1, &st, NULL) !=
			    SQLITE_OK)
				return 0;
		} else if (sqlite3_prepare_v2(db, deliv_sql, -1, &st, NULL) !=
		           SQLITE_OK) {
			return db_err(db, err);
		} else {
			sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *nm = (const char *)sqlite3_column_text(st, 0);
			ki_entry *e = nm ? find_entry(inv, nm) : NULL;
			ki_day d;
			const char *why, *s;

			if (e == NULL)
				continue;
			if (pass == 1) {
				d = ki_day_of(sqlite3_column_int64(st, 1));
				if (d > today)
					continue;
			} else {
				s = (const char *)sqlite3_column_text(st, 1);
				if (s == NULL || ki_day_parse(s, strlen(s), &d, &why))
					continue;
			}
			if (add_delivery(e, d)) {
				sqlite3_finalize(st);
				return kueri_err_set(err, KUERI_ENOMEM, -1,
				                     "out of memory");
			}
		}
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_DONE)
			return db_err(db, err);
	}
	return 0;
}

ki_inventory *
ki_inventory_load(kportal *p, ki_day today, kueri_err *err)
{
	sqlite3 *db = portal_db(p);
	sqlite3_stmt *st = NULL;
	ki_inventory *inv = calloc(1, sizeof *inv);
	int have, began = 0;

	if (inv == NULL) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	inv->due_window = KI_DUE_WINDOW_DEFAULT;
	have = has_tables(db);
	if (have < 0) {
		db_err(db, err);
		goto fail;
	}
	if (have == 0)
		return inv;
	/* One snapshot for the version, its entries and the history. */
	if (sqlite3_get_autocommit(db)) {
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
			db_err(db, err);
			goto fail;
		}
		began = 1;
	}
	if (sqlite3_prepare_v2(db, "SELECT version, imported_at, due_window"
	        " FROM kueri_inventory_version ORDER BY version DESC LIMIT 1",
	        -1, &st, NULL) != SQLITE_OK) {
		db_err(db, err);
		goto fail;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		inv->version = sqlite3_column_int64(st, 0);
		inv->imported_at = sqlite3_column_int64(st, 1);
		inv->due_window = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (inv->version > 0 &&
	    (load_entries(db, inv, err) ||
	     load_deliveries(db, inv, today, err)))
		goto fail;
	if (began)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return inv;
fail:
	if (began)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	ki_inventory_free(inv);
	return NULL;
}

/* ---- history --------------------------------------------------------- */

static int
history_add(sqlite3 *db, long long at, ki_day day, const char *event,
            const char *name, const char *publisher, long long version,
            const char *detail, kueri_err *err)
{
	sqlite3_stmt *st;
	char d[11];
	int rc;

	ki_day_format(day, d);
	if (sqlite3_prepare_v2(db, "INSERT INTO kueri_history(at, day, event,"
	        " name, publisher, version, detail)"
	        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st,
	        NULL) != SQLITE_OK)
		return db_err(db, err);
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_text(st, 2, d, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, publisher, -1, SQLITE_STATIC);
	if (version > 0)
		sqlite3_bind_int64(st, 6, version);
	sqlite3_bind_text(st, 7, detail, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(db, err);
}

/* The last recorded status of `name`, into buf ("" when none). */
static int
last_status(sqlite3 *db, const char *name, char *buf, size_t len)
{
	sqlite3_stmt *st;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT detail FROM kueri_history WHERE"
	        " name = ?1 AND event = 'status' ORDER BY id DESC LIMIT 1",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, len, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return 0;
}

int
ki_record_statuses(kportal *p, ki_day today, kueri_err *err)
{
	sqlite3 *db = portal_db(p);
	ki_inventory *inv;
	int i, n = 0;
	char prev[32];

	if (ki_schema(p, err))
		return -1;
	inv = ki_inventory_load(p, today, err);
	if (inv == NULL)
		return -1;
	ki_evaluate(inv, today, -1);
	for (i = 0; i < inv->n; i++) {
		const ki_entry *e = &inv->e[i];
		const char *now = ki_status_name(e->status);

		if (last_status(db, e->name, prev, sizeof prev)) {
			ki_inventory_free(inv);
			return db_err(db, err);
		}
		if (strcmp(prev, now) == 0)
			continue;
		if (history_add(db, (long long)time(NULL), today, "status",
		                e->name, e->publisher, inv->version, now, err)) {
			ki_inventory_free(inv);
			return -1;
		}
		n++;
	}
	ki_inventory_free(inv);
	return n;
}

int
ki_record_delivery(kportal *p, const char *name, ki_day day,
                   const char *who, kueri_err *err)
{
	if (ki_schema(p, err))
		return -1;
	return history_add(portal_db(p), (long long)time(NULL), day,
	                   "delivery", name, who, 0, "recorded", err);
}

int
ki_history_text(kportal *p, const char *name, const kueri_sink *out,
                kueri_err *err)
{
	sqlite3 *db = portal_db(p);
	sqlite3_stmt *st;
	int rc, have = has_tables(db);

	if (have <= 0)
		return have < 0 ? db_err(db, err) : 0;
	if (sqlite3_prepare_v2(db, "SELECT day, event, name,"
	        " coalesce(publisher, ''), version, coalesce(detail, '')"
	        " FROM kueri_history WHERE ?1 IS NULL OR name = ?1"
	        " ORDER BY day, id", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err);
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char ver[32] = "";

		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			snprintf(ver, sizeof ver, " v%lld",
			         (long long)sqlite3_column_int64(st, 4));
		if (kueri_sink_printf(out, "%s  %-8s %s%s  %s  %s\n",
		        sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
		        sqlite3_column_text(st, 2), ver,
		        sqlite3_column_text(st, 3), sqlite3_column_text(st, 5))) {
			sqlite3_finalize(st);
			return kueri_err_set(err, KUERI_EIO, -1, "write failed");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(db, err);
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
name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 100)
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
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
		if (r->v[F_NAME] && !name_ok(r->v[F_NAME]))
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
		return db_err(db, err);
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
		    history_add(db, now, o->today, "entry", r->v[F_NAME],
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
		if (history_add(db, now, o->today, "entry",
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
	db_err(db, err);
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
	kv_opts vo = { 100, 0 };
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

/* ---- the publish link ------------------------------------------------ */

/* The current entry for `name`: publisher and classification (owned
 * copies) and the inventory version.  1 found, 0 none, 2 no inventory,
 * -1 error. */
static int
entry_for(sqlite3 *db, const char *name, char **publisher, char **cls,
          long long *version)
{
	sqlite3_stmt *st;
	int have = has_tables(db), rc;

	if (have <= 0)
		return have < 0 ? -1 : 2;
	if (sqlite3_prepare_v2(db, "SELECT v.version, i.publisher,"
	        " i.classification FROM (SELECT max(version) AS version FROM"
	        " kueri_inventory_version) v LEFT JOIN kueri_inventory i"
	        " ON i.version = v.version AND i.name = ?1", -1, &st,
	        NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
		sqlite3_finalize(st);
		return rc == SQLITE_ROW ? 2 : -1;
	}
	*version = sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
		sqlite3_finalize(st);
		return 0;
	}
	*publisher = col_dup(st, 1);
	*cls = col_dup(st, 2);
	sqlite3_finalize(st);
	return *publisher && *cls ? 1 : -1;
}

int
ki_publish_check(const char *db_path, const char *package_path,
                 const kueri_sink *warn, kueri_err *err)
{
	kv_package *pkg;
	kportal *p = NULL;
	char *pub = NULL, *cls = NULL;
	long long v = 0;
	int rc = -1, found;

	if (access(db_path, F_OK) != 0)
		return 0; /* a new portal: no inventory yet */
	pkg = kv_package_load(package_path, err);
	if (pkg == NULL)
		return 0; /* kv_publish reports it the same way */
	if (pkg->publisher == NULL || pkg->classification == NULL) {
		rc = 0;
		goto out;
	}
	p = portal_open_ro(db_path, err);
	if (p == NULL)
		goto out;
	found = entry_for(portal_db(p), pkg->name, &pub, &cls, &v);
	if (found < 0) {
		db_err(portal_db(p), err);
		goto out;
	}
	rc = 0;
	if (found == 0 && warn)
		kueri_sink_printf(warn, "kueri publish: warning: package '%s' has"
		                  " no entry in the inventory (version %lld)\n",
		                  pkg->name, v);
	if (found != 1)
		goto out;
	if (strcmp(pub, pkg->publisher) != 0) {
		kueri_err_set(err, KUERI_EINVALID, -1, "package '%s' comes from"
		              " '%s', but the inventory (version %lld) assigns it"
		              " to '%s': data from the wrong unit is refused",
		              pkg->name, pkg->publisher, v, pub);
		rc = 1;
	} else if (strcmp(cls, "private") == 0 &&
	           strcmp(pkg->classification, "public") == 0) {
		kueri_err_set(err, KUERI_EPRIVATE, -1, "package '%s' is"
		              " registered private in the inventory (version"
		              " %lld): it is not published", pkg->name, v);
		rc = 1;
	} else if (strcmp(cls, pkg->classification) != 0 && warn) {
		/* Public entry, private package: kv_publish refuses it anyway
		 * (and removes an earlier version); say why they differ. */
		kueri_sink_printf(warn, "kueri publish: warning: package '%s' is"
		                  " classified '%s' but its inventory entry says"
		                  " '%s'\n", pkg->name, pkg->classification, cls);
	}
out:
	free(pub);
	free(cls);
	portal_close(p);
	kv_package_free(pkg);
	return rc;
}

int
ki_publish_record(const char *db_path, const char *package_path,
                  int unchanged, kueri_err *err)
{
	kv_package *pkg;
	kportal *p = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	pkg = kv_package_load(package_path, err);
	if (pkg == NULL)
		return -1;
	p = portal_open_rw(db_path, err);
	if (p == NULL)
		goto out;
	/* Only a package with an inventory entry gets a history: without
	 * one there is no deadline to be on time for, and unpublishing such
	 * a package must leave no byte of its name behind. */
	{
		char *pub = NULL, *cls = NULL;
		long long v = 0;
		int found = entry_for(portal_db(p), pkg->name, &pub, &cls, &v);

		free(pub);
		free(cls);
		if (found < 0) {
			db_err(portal_db(p), err);
			goto out;
		}
		if (found != 1) {
			rc = 0;
			goto out;
		}
	}
	if (sqlite3_prepare_v2(portal_db(p), "SELECT version, published_at,"
	        " publisher FROM kueri_package WHERE name = ?1", -1, &st,
	        NULL) != SQLITE_OK) {
		db_err(portal_db(p), err);
		goto out;
	}
	sqlite3_bind_text(st, 1, pkg->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = 0; /* refused or removed: nothing delivered */
		goto out;
	}
	{
		long long now = (long long)time(NULL);

		/* An unchanged re-publish still confirms the data is current:
		 * it is a delivery today, of the version already there. */
		if (history_add(portal_db(p), now, ki_day_today(), "publish",
		        pkg->name, (const char *)sqlite3_column_text(st, 2),
		        sqlite3_column_int64(st, 0),
		        unchanged ? "unchanged" : "published", err))
			goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = ki_record_statuses(p, ki_day_today(), err) < 0 ? -1 : 0;
out:
	sqlite3_finalize(st);
	portal_close(p);
	kv_package_free(pkg);
	return rc;
}
