/*
 * store.c -- the inventory in the portal database: its tables, reading
 * the current version back, and the history.
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
 * Importing is import.c; the check before a publish and the record
 * after it are link.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "inventory.h"
#include "ki_int.h"

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

int
ki_db_err(sqlite3 *db, kueri_err *err)
{
	return kueri_err_set(err, KUERI_EDB, -1, "inventory: %s",
	                     sqlite3_errmsg(db));
}

int
ki_schema(kportal *p, kueri_err *err)
{
	sqlite3 *db = portal_db(p);

	if (sqlite3_exec(db, ki_ddl, NULL, NULL, NULL) != SQLITE_OK)
		return ki_db_err(db, err);
	return 0;
}

int
ki_has_tables(sqlite3 *db)
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

char *
ki_col_dup(sqlite3_stmt *st, int i)
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
		return ki_db_err(db, err);
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
		e->name = ki_col_dup(st, 0);
		e->title = ki_col_dup(st, 1);
		e->publisher = ki_col_dup(st, 2);
		s = (const char *)sqlite3_column_text(st, 3);
		e->private_ = s == NULL || strcmp(s, "public") != 0;
		e->priority = sqlite3_column_int(st, 4);
		e->frequency = ki_col_dup(st, 6);
		e->contact = ki_col_dup(st, 7);
		e->note = ki_col_dup(st, 8);
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
		return ki_db_err(db, err);
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
			return ki_db_err(db, err);
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
			return ki_db_err(db, err);
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
	have = ki_has_tables(db);
	if (have < 0) {
		ki_db_err(db, err);
		goto fail;
	}
	if (have == 0)
		return inv;
	/* One snapshot for the version, its entries and the history. */
	if (sqlite3_get_autocommit(db)) {
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
			ki_db_err(db, err);
			goto fail;
		}
		began = 1;
	}
	if (sqlite3_prepare_v2(db, "SELECT version, imported_at, due_window"
	        " FROM kueri_inventory_version ORDER BY version DESC LIMIT 1",
	        -1, &st, NULL) != SQLITE_OK) {
		ki_db_err(db, err);
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

int
ki_history_add(sqlite3 *db, long long at, ki_day day, const char *event,
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
		return ki_db_err(db, err);
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
	return rc == SQLITE_DONE ? 0 : ki_db_err(db, err);
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
			return ki_db_err(db, err);
		}
		if (strcmp(prev, now) == 0)
			continue;
		if (ki_history_add(db, (long long)time(NULL), today, "status",
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
	return ki_history_add(portal_db(p), (long long)time(NULL), day,
	                   "delivery", name, who, 0, "recorded", err);
}

int
ki_history_text(kportal *p, const char *name, const kueri_sink *out,
                kueri_err *err)
{
	sqlite3 *db = portal_db(p);
	sqlite3_stmt *st;
	int rc, have = ki_has_tables(db);

	if (have <= 0)
		return have < 0 ? ki_db_err(db, err) : 0;
	if (sqlite3_prepare_v2(db, "SELECT day, event, name,"
	        " coalesce(publisher, ''), version, coalesce(detail, '')"
	        " FROM kueri_history WHERE ?1 IS NULL OR name = ?1"
	        " ORDER BY day, id", -1, &st, NULL) != SQLITE_OK)
		return ki_db_err(db, err);
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
	return rc == SQLITE_DONE ? 0 : ki_db_err(db, err);
}

