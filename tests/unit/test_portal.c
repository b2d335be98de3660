/*
 * test_portal.c -- the read side of the portal: sets written through the
 * portal's writer API (portal_fixture.h) are read back as entity sets; the read-only connection
 * is hardened; another process's commit is noticed by portal_refresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "portal.h"
#include "portal_fixture.h"
#include "tap.h"

static char dbpath[256];

static int
exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		printf("# sql error: %s\n", msg ? msg : "?");
		sqlite3_free(msg);
	}
	return rc;
}

/* The test portal, written through the portal's writer API
 * (portal_fixture.h) so the read side is tested on the layout the
 * publisher writes today. */
static const kp_field prices_fields[] = {
	{ .name = "kode", .title = "Kode", .type = KP_STRING, .nullable = 0,
	  .searchable = 1 },
	{ .name = "harga", .type = KP_NUMBER, .nullable = 1, .decimal = 1 },
	{ .name = "ok", .type = KP_BOOLEAN, .nullable = 1 },
	{ .name = "tgl", .description = "tanggal", .type = KP_DATE,
	  .nullable = 1 },
};
static const int prices_key[] = { 0 };
static const kp_value prices_rows[] = {
	{ .s = "A1", .len = 2 }, { .d = 1.5 }, { .i = 1 },
	{ .s = "2024-01-01", .len = 10 },
	{ .s = "B2", .len = 2 }, { .null = 1 }, { .i = 0 }, { .null = 1 },
};
static const kp_field apples_fields[] = {
	{ .name = "a b", .type = KP_YEARMONTH, .nullable = 1 },
};
static const pf_set fixture_sets[] = {
	{ "prices", NULL, 4, prices_fields, 1, prices_key, 2, prices_rows },
	{ "apples", "Apel", 1, apples_fields, 0, NULL, 0, NULL },
};
static const kp_package_def fixture_pkg = {
	"Harga pangan", "Dinas X", "public", "P1M", "{}", "fp1",
};

/* One value of the catalog as the writer stored it (sqlite3 text). */
static void
catalog_value(const char *sql, char *out, size_t sz)
{
	sqlite3      *db;
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(out, sz, "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static void
test_types(void)
{
	is_str(kp_type_name(KP_INTEGER), "integer", "type name of integer");
	is_str(kp_type_edm(KP_INTEGER), "Edm.Int64", "integer is Edm.Int64");
	is_str(kp_type_edm(KP_DATETIME), "Edm.DateTimeOffset",
	       "datetime is Edm.DateTimeOffset");
	is_str(kp_type_edm(KP_YEAR), "Edm.Int32", "year is Edm.Int32");
	ok(kp_type_name(KP__MAX) == NULL, "out-of-range type has no name");
}

static void
test_read(void)
{
	sqlite3 *db, *w;
	kportal *p;
	kueri_err err;
	const kp_set *s;
	char tok1[64], tok2[64], sql[200];
	char tbl[40], fts[40], tbl2[40], at[32];
	char *msg = NULL;

	kueri_err_clear(&err);
	ok(pf_make(dbpath, "pangan", &fixture_pkg, fixture_sets, 2) == 0,
	   "test portal written through the portal writer");
	catalog_value("SELECT tbl FROM kueri_resource WHERE name = 'prices'",
	              tbl, sizeof tbl);
	catalog_value("SELECT fts FROM kueri_resource WHERE name = 'prices'",
	              fts, sizeof fts);
	catalog_value("SELECT tbl FROM kueri_resource WHERE name = 'apples'",
	              tbl2, sizeof tbl2);
	catalog_value("SELECT published_at FROM kueri_package", at, sizeof at);

	p = portal_open_ro(dbpath, &err);
	ok(p != NULL, "portal_open_ro opens it (%s)", err.msg);
	if (p == NULL)
		return;
	is_int(portal_nsets(p), 2, "two sets loaded");
	is_str(portal_set_at(p, 0)->name, "apples", "sets in name order (0)");
	is_str(portal_set_at(p, 1)->name, "prices", "sets in name order (1)");
	ok(portal_set_at(p, 2) == NULL, "set_at past the end is NULL");
	ok(portal_set(p, "Prices") == NULL, "lookup is exact (case)");
	ok(portal_set(p, "nope") == NULL, "unknown set is NULL");
	s = portal_set(p, "prices");
	ok(s != NULL, "lookup by name");
	if (s == NULL)
		return;
	is_str(s->package, "pangan", "package name");
	is_str(s->title, "Harga pangan", "title falls back to the package's");
	is_str(portal_set(p, "apples")->title, "Apel", "resource title kept");
	ok(tbl[0] == 't' && strcmp(s->table, tbl) == 0,
	   "physical table as the catalog names it (%s)", tbl);
	ok(fts[0] != '\0' && strcmp(s->fts, fts) == 0,
	   "fts table as the catalog names it (%s)", fts);
	is_str(portal_set(p, "apples")->fts, "", "no fts: empty string");
	is_int(s->rows, 2, "row count");
	is_int(s->version, 1, "version from the package");
	is_int(s->published_at, atoll(at), "published_at");
	is_int(s->nfields, 4, "four fields");
	is_str(s->fields[0].name, "kode", "field 0 name");
	is_str(s->fields[0].title, "Kode", "field 0 title");
	ok(s->fields[0].type == KP_STRING && !s->fields[0].nullable &&
	   s->fields[0].searchable, "field 0 string, required, searchable");
	ok(s->fields[1].type == KP_NUMBER && s->fields[1].decimal &&
	   s->fields[1].nullable, "field 1 decimal number, nullable");
	ok(s->fields[2].type == KP_BOOLEAN && s->fields[2].nullable &&
	   !s->fields[2].searchable, "field 2 boolean, defaults");
	is_str(s->fields[3].description, "tanggal", "field 3 description");
	ok(s->fields[3].title == NULL, "absent title is NULL");
	ok(s->nkeys == 1 && s->keys[0] == 0, "primary key is field 0");
	is_int(portal_set(p, "apples")->nkeys, 0, "no key");
	is_int(portal_set(p, "apples")->fields[0].type, KP_YEARMONTH,
	       "yearmonth parsed");
	is_int(portal_last_modified(p), atoll(at), "last modified");

	/* Hardening. */
	db = portal_db(p);
	snprintf(sql, sizeof sql, "INSERT INTO \"%s\" VALUES('x')", tbl2);
	ok(sqlite3_exec(db, sql, NULL, NULL, NULL)
	   != SQLITE_OK, "read-only connection refuses writes");
	ok(sqlite3_exec(db, "ATTACH ':memory:' AS x", NULL, NULL, NULL)
	   != SQLITE_OK, "ATTACH refused");
	ok(sqlite3_exec(db, "SELECT load_extension('x')", NULL, NULL, &msg)
	   != SQLITE_OK, "load_extension refused");
	sqlite3_free(msg);
	ok(sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, -1) <= 100,
	   "expression depth limited");
	{
		sqlite3_stmt *st;
		int n = -1;

		snprintf(sql, sizeof sql, "SELECT rowid FROM \"%s\" WHERE"
		         " \"%s\" MATCH 'b2'", fts, fts);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW)
				n = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
		is_int(n, 2, "FTS readable with trusted_schema off");
	}

	/* Refresh: no change, then another connection commits. */
	portal_version_token(p, tok1, sizeof tok1);
	is_int(portal_refresh(p, &err), 0, "refresh without commit: unchanged");
	sqlite3_open(dbpath, &w);
	exec(w, "UPDATE kueri_package SET version=4, published_at=1800000000;"
	        "DELETE FROM kueri_resource WHERE name='apples';");
	is_int(portal_refresh(p, &err), 1, "refresh after commit: reloaded");
	is_int(portal_nsets(p), 1, "deleted set gone after refresh");
	is_int(portal_set(p, "prices")->version, 4, "new version seen");
	is_int(portal_last_modified(p), 1800000000, "new last modified");
	portal_version_token(p, tok2, sizeof tok2);
	ok(strlen(tok1) > 0 && strcmp(tok1, tok2) != 0,
	   "version token changes with a publish");

	/* Refresh while the caller holds a read statement: no error, and
	 * the change is seen once the statement is done. */
	{
		sqlite3_stmt *hold;
		int r1, r2;

		snprintf(sql, sizeof sql, "SELECT c0 FROM \"%s\"", tbl);
		sqlite3_prepare_v2(db, sql, -1, &hold, NULL);
		sqlite3_step(hold);
		exec(w, "UPDATE kueri_package SET version=5");
		r1 = portal_refresh(p, &err);
		ok(r1 >= 0, "refresh inside a caller's read transaction: no"
		   " error (%d, %s)", r1, err.msg);
		sqlite3_finalize(hold);
		r2 = portal_refresh(p, &err);
		ok(r1 + r2 >= 1 && portal_set(p, "prices")->version == 5,
		   "the commit is seen once the statement is done");
	}

	/* A tampered physical name is refused rather than spliced into SQL. */
	exec(w, "UPDATE kueri_resource SET tbl='t7; DROP TABLE t7'");
	ok(portal_refresh(p, &err) == -1 && err.code == KUERI_EDB,
	   "bad physical name refused (%s)", err.msg);
	is_int(portal_nsets(p), 1, "old catalog kept after a failed reload");
	sqlite3_close(w);
	portal_close(p);
}

static void
test_open_errors(void)
{
	kueri_err err;
	kportal *p;
	char path[300];

	kueri_err_clear(&err);
	snprintf(path, sizeof path, "%s.missing", dbpath);
	p = portal_open_ro(path, &err);
	ok(p == NULL && err.code == KUERI_EDB, "missing file: error (%s)",
	   err.msg);
	portal_close(p);

	/* open_rw creates a fresh, empty portal; ro then sees no sets. */
	p = portal_open_rw(path, &err);
	ok(p != NULL, "open_rw creates a portal (%s)", err.msg);
	if (p)
		is_int(portal_nsets(p), 0, "empty portal has no sets");
	portal_close(p);
	p = portal_open_ro(path, &err);
	ok(p != NULL && portal_nsets(p) == 0 && portal_last_modified(p) == 0,
	   "fresh portal reads as empty");
	portal_close(p);
	unlink(path);
	snprintf(path, sizeof path, "%s.missing-wal", dbpath);
	unlink(path);
	snprintf(path, sizeof path, "%s.missing-shm", dbpath);
	unlink(path);
}

/* A private package in a portal file (the publisher never writes one: only
 * a tampered or hand-made file has it) is neither a set nor in the
 * catalog, and does not move the ETag token. */
static void
test_private_row(void)
{
	static const kp_package_def priv = {
		"Data pribadi", "Dinas X", "private", "P1M", "{}", "fp2",
	};
	kueri_err err;
	kportal *p;
	json_t *cat;
	char *txt;

	kueri_err_clear(&err);
	ok(pf_make(dbpath, "rahasia", &priv, fixture_sets, 2) == 0,
	   "a portal holding a private package, written through the writer");
	p = portal_open_ro(dbpath, &err);
	ok(p != NULL, "it opens (%s)", err.msg);
	if (p == NULL)
		return;
	is_int(portal_nsets(p), 0, "a private package's sets are not served");
	ok(portal_set(p, "prices") == NULL, "... not even by name");
	ok(portal_last_modified(p) == 0, "... nor in Last-Modified");
	cat = portal_catalog_json(p, NULL, 0, &err);
	txt = cat ? json_dumps(cat, JSON_COMPACT) : NULL;
	ok(txt != NULL && strstr(txt, "rahasia") == NULL &&
	   strstr(txt, "Data pribadi") == NULL,
	   "the catalog does not name it (%s)", txt ? txt : err.msg);
	free(txt);
	json_decref(cat);
	cat = portal_catalog_json(p, "rahasia", 0, &err);
	txt = cat ? json_dumps(cat, JSON_COMPACT) : NULL;
	ok(txt == NULL || strstr(txt, "Data pribadi") == NULL,
	   "... nor when asked for it by name");
	free(txt);
	json_decref(cat);
	portal_close(p);
}

int
main(void)
{
	char dir[] = "/tmp/kueri-portal.XXXXXX";
	char path[300];

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(dbpath, sizeof dbpath, "%s/p.db", dir);
	test_types();
	test_read();
	test_open_errors();
	test_private_row();
	unlink(dbpath);
	snprintf(path, sizeof path, "%s-wal", dbpath);
	unlink(path);
	snprintf(path, sizeof path, "%s-shm", dbpath);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
