/*
 * load.c -- typed rows → SQLite tables, indexes, FTS and catalog rows, as
 * one new version of a package, all-or-nothing.
 *
 * The whole publish is ONE write transaction (BEGIN IMMEDIATE) on a WAL
 * database: new tables "t<N>" are created and filled straight from
 * kv_verify's row callback through one reused prepared INSERT; only when
 * every resource verified are the indexes and FTS tables built, the
 * catalog rows replaced and the previous version's tables dropped, then
 * COMMIT.  Invalid data, an error or a kill -9 at any point leaves the
 * previous version exactly as it was (WAL rollback), and readers keep
 * serving it throughout.
 *
 * Removing a package (unpublish, or a re-publish as private) drops its
 * tables and catalog rows with secure_delete on, then VACUUMs and
 * truncates the WAL so that none of its bytes remain in the files.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "../portal/portal_int.h"
#include "portal.h"
#include "publish.h"

/* SQLite column type per kp_type (portal.h's "values as stored"). */
static const char *const sql_type[KP__MAX] = {
	[KP_STRING] = "TEXT",     [KP_INTEGER] = "INTEGER",
	[KP_NUMBER] = "REAL",     [KP_BOOLEAN] = "INTEGER",
	[KP_DATE] = "TEXT",       [KP_DATETIME] = "TEXT",
	[KP_TIME] = "TEXT",       [KP_YEAR] = "INTEGER",
	[KP_YEARMONTH] = "TEXT",  [KP_DURATION] = "TEXT",
	[KP_GEOPOINT] = "TEXT",
};

/* One resource being loaded. */
typedef struct pub_res {
	long long n;          /* table number: "t<n>"                    */
	char      tbl[32];
	char      fts[40];    /* "" when no field is searchable          */
	long long rows;       /* rows inserted                           */
	double    secs;       /* load + index time                       */
	int      *search;     /* searchable flags per field (owned)      */
} pub_res;

/* The publish context, threaded through kv_verify's callbacks. */
typedef struct pub_ctx {
	sqlite3      *db;
	kv_package   *pkg;
	pub_res      *res;
	int           cur;     /* resource whose rows arrive, -1 before  */
	sqlite3_stmt *ins;     /* INSERT for res[cur] (owned)            */
	double        t0;      /* when res[cur] began                    */
	int           failed;  /* a callback failed: err holds why       */
	kueri_err    *err;
} pub_ctx;

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 1234567 → "1,234,567" */
static void
fmt_thousands(long long v, char *buf, size_t len)
{
	char tmp[32];
	size_t n, i, o = 0;
	int neg = v < 0;

	snprintf(tmp, sizeof tmp, "%llu",
	         neg ? 0ULL - (unsigned long long)v : (unsigned long long)v);
	n = strlen(tmp);
	if (neg && o + 1 < len)
		buf[o++] = '-';
	for (i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
}

static int
db_err(sqlite3 *db, kueri_err *err, const char *what)
{
	return kueri_err_set(err, KUERI_EDB, -1, "%s: %s", what,
	                     sqlite3_errmsg(db));
}

/* Run SQL built with sqlite3_mprintf-style formatting: identifiers only
 * (portal-made names), never values. */
static int
exec_fmt(sqlite3 *db, kueri_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
exec_fmt(sqlite3 *db, kueri_err *err, const char *fmt, ...)
{
	va_list ap;
	char *sql, *msg = NULL;
	int rc;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (sql == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		kueri_err_set(err, KUERI_EDB, -1, "portal: %s",
		              msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* ---- removing a package --------------------------------------------- */

/* Drop the tables and catalog rows of package `name` inside the caller's
 * transaction.  *found is set to whether it existed. */
static int
drop_package(sqlite3 *db, const char *name, int keep_package_row,
             int *found, kueri_err *err)
{
	sqlite3_stmt *st = NULL;
	char (*names)[40] = NULL;
	int rc, n = 0, cap = 0, i;

	if (found)
		*found = 0;
	/* Collect first: SQLite cannot DROP while a read is pending. */
	if (sqlite3_prepare_v2(db, "SELECT tbl, fts FROM kueri_resource"
	        " WHERE package = ?1", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "portal");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *tbl = (const char *)sqlite3_column_text(st, 0);
		const char *fts = (const char *)sqlite3_column_text(st, 1);

		/* Only portal-shaped names are ever spliced into SQL. */
		if (!portal_name_ok(tbl, "") ||
		    (fts && *fts && !portal_name_ok(fts, "_fts"))) {
			sqlite3_finalize(st);
			free(names);
			return kueri_err_set(err, KUERI_EDB, -1,
			        "portal: bad physical table name in catalog");
		}
		if (n + 2 > cap) {
			void *nn;

			cap = cap ? cap * 2 : 8;
			nn = realloc(names, (size_t)cap * sizeof *names);
			if (nn == NULL) {
				sqlite3_finalize(st);
				free(names);
				return kueri_err_set(err, KUERI_ENOMEM, -1,
				                     "out of memory");
			}
			names = nn;
		}
		/* FTS first: dropping it drops its shadow tables too. */
		if (fts && *fts)
			snprintf(names[n++], sizeof names[0], "%s", fts);
		snprintf(names[n++], sizeof names[0], "%s", tbl);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(names);
		return db_err(db, err, "portal");
	}
	for (i = 0; i < n; i++)
		if (exec_fmt(db, err, "DROP TABLE IF EXISTS \"%s\"", names[i])) {
			free(names);
			return -1;
		}
	free(names);
	if (sqlite3_prepare_v2(db, "DELETE FROM kueri_resource WHERE"
	        " package = ?1", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "portal");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(db, err, "portal");
	if (keep_package_row)
		return 0;
	if (sqlite3_prepare_v2(db, "DELETE FROM kueri_package WHERE"
	        " name = ?1", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "portal");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(db, err, "portal");
	if (found)
		*found = sqlite3_changes(db) > 0;
	return 0;
}

/*
 * After a removal: rewrite the file without free pages (VACUUM) and copy
 * the WAL back and truncate it, so no removed byte survives in either
 * file.  A reader holding an old snapshot blocks the truncation: we wait
 * a little (readers' queries are short) and then say so rather than
 * pretend; running the removal again finishes the job.
 */
static int
scrub(sqlite3 *db, int vacuum, kueri_err *err)
{
	sqlite3_stmt *st;
	int busy = 1;

	if (vacuum && exec_fmt(db, err, "VACUUM"))
		return -1;
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st,
	                       NULL) != SQLITE_OK)
		return db_err(db, err, "portal");
	if (sqlite3_step(st) == SQLITE_ROW)
		busy = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (busy)
		fprintf(stderr, "kueri: warning: a reader kept the WAL busy, so"
		        " removed bytes may remain in the files until the next"
		        " checkpoint; run the same command again to finish\n");
	return 0;
}

static int
remove_package(sqlite3 *db, const char *name, int *found, kueri_err *err)
{
	if (exec_fmt(db, err, "BEGIN IMMEDIATE"))
		return -1;
	if (drop_package(db, name, 0, found, err)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (exec_fmt(db, err, "COMMIT")) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	/* Not found: still finish an earlier removal's checkpoint. */
	return scrub(db, *found, err);
}

int
kv_unpublish(const char *db_path, const char *name, kueri_err *err)
{
	kportal *p;
	int found = 0, rc;

	if (access(db_path, F_OK) != 0)
		return 1; /* no portal: nothing published */
	p = portal_open_rw(db_path, err);
	if (p == NULL)
		return -1;
	rc = remove_package(portal_db(p), name, &found, err);
	portal_close(p);
	if (rc)
		return -1;
	if (!found) {
		kueri_err_set(err, KUERI_ENOTFOUND, -1,
		              "no published package '%s'", name);
		return 1;
	}
	return 0;
}

/* ---- the fingerprint ------------------------------------------------ */

static void
sha_json(ksha256 *c, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
	                            JSON_ENCODE_ANY) : NULL;

	ksha256_update(c, s ? s : "null", s ? strlen(s) : 4);
	ksha256_update(c, "\n", 1);
	free(s);
}

/* The fingerprint of a package: its descriptor, each resource's schema
 * and CSV bytes.  `csv_sha` holds each resource's CSV SHA-256 (hex). */
static void
fingerprint(kv_package *pkg, char (*csv_sha)[65], char out[65])
{
	ksha256 c;
	int i;

	ksha256_init(&c);
	ksha256_update(&c, "kueri-fp-1\n", 11);
	sha_json(&c, pkg->json);
	for (i = 0; i < pkg->nres; i++) {
		ksha256_update(&c, pkg->res[i].name, strlen(pkg->res[i].name) + 1);
		sha_json(&c, pkg->res[i].schema);
		ksha256_update(&c, csv_sha[i], 64);
	}
	ksha256_hex(&c, out);
}

/* SHA-256 of a file's bytes; 0 ok, -1 unreadable. */
static int
sha_file(const char *path, char out[65])
{
	FILE *f = fopen(path, "rb");
	ksha256 c;
	char *buf;
	size_t n;
	int rc;

	if (f == NULL)
		return -1;
	buf = malloc(1 << 16);
	if (buf == NULL) {
		fclose(f);
		return -1;
	}
	ksha256_init(&c);
	while ((n = fread(buf, 1, 1 << 16, f)) > 0)
		ksha256_update(&c, buf, n);
	rc = ferror(f) ? -1 : 0;
	fclose(f);
	free(buf);
	ksha256_hex(&c, out);
	return rc;
}

/* ---- loading rows --------------------------------------------------- */

static int
on_begin(void *vctx, int ri)
{
	pub_ctx *x = vctx;
	kv_resource *r;
	sqlite3_str *s;
	char *sql;
	double t = now_mono();
	int i;

	if (x->cur >= 0)
		x->res[x->cur].secs += t - x->t0;
	sqlite3_finalize(x->ins);
	x->ins = NULL;
	if (ri < 0 || ri >= x->pkg->nres) {
		x->failed = 1;
		kueri_err_set(x->err, KUERI_EINTERNAL, -1,
		              "loader: no resource %d", ri);
		return -1;
	}
	x->cur = ri;
	x->t0 = t;
	r = &x->pkg->res[ri];
	s = sqlite3_str_new(x->db);
	sqlite3_str_appendf(s, "INSERT INTO \"%s\" VALUES(", x->res[ri].tbl);
	for (i = 0; i < r->nfields; i++)
		sqlite3_str_appendf(s, i ? ",?%d" : "?%d", i + 1);
	sqlite3_str_appendall(s, ")");
	sql = sqlite3_str_finish(s);
	if (sql == NULL ||
	    sqlite3_prepare_v3(x->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                       &x->ins, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		x->failed = 1;
		return db_err(x->db, x->err, "loader");
	}
	sqlite3_free(sql);
	return 0;
}

/* One typed row: bind (text borrowed for the step only), insert, reset. */
static int
on_row(void *vctx, long long row, const kv_value *v, int nv)
{
	pub_ctx *x = vctx;
	kv_resource *r;
	sqlite3_stmt *st = x->ins;
	int i, rc;

	if (x->failed)
		return -1;
	if (st == NULL && on_begin(x, x->cur < 0 ? 0 : x->cur))
		return -1;
	st = x->ins;
	r = &x->pkg->res[x->cur];
	if (nv != r->nfields) {
		x->failed = 1;
		return kueri_err_set(x->err, KUERI_EINTERNAL, -1,
		        "loader: row %lld has %d values, schema %d", row, nv,
		        r->nfields);
	}
	for (i = 0; i < nv; i++) {
		if (v[i].null) {
			sqlite3_bind_null(st, i + 1);
			continue;
		}
		switch (r->fields[i].type) {
		case KP_INTEGER:
		case KP_BOOLEAN:
		case KP_YEAR:
			sqlite3_bind_int64(st, i + 1, v[i].i);
			break;
		case KP_NUMBER:
			sqlite3_bind_double(st, i + 1, v[i].d);
			break;
		default:
			sqlite3_bind_text(st, i + 1, v[i].s ? v[i].s : "",
			                  (int)v[i].len, SQLITE_STATIC);
			break;
		}
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		x->failed = 1;
		kueri_err_set(x->err, KUERI_EDB, -1, "loader: row %lld: %s", row,
		              sqlite3_errmsg(x->db));
		return -1;
	}
	x->res[x->cur].rows++;
	return 0;
}

/* ---- building a version --------------------------------------------- */

/* Is field i of r searchable?  Strings are, unless the schema says
 * "kueri:search": false on the field (a kueri extension property). */
static int
field_searchable(kv_resource *r, int i)
{
	json_t *fields = json_object_get(r->schema, "fields");
	json_t *f = json_array_get(fields, (size_t)i);
	json_t *opt = json_object_get(f, "kueri:search");

	if (r->fields[i].type != KP_STRING)
		return 0;
	/* "searchable": false is accepted as a synonym (the verifier's). */
	return !json_is_false(opt) &&
	       !json_is_false(json_object_get(f, "searchable"));
}

static int
next_table_number(sqlite3 *db, long long *n, kueri_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*n = 1;
	if (sqlite3_prepare_v2(db,
	        "SELECT max(coalesce((SELECT value FROM kueri_meta WHERE"
	        " key = 'next_table'), 1), coalesce((SELECT max(CAST(substr(tbl,"
	        " 2) AS INTEGER)) + 1 FROM kueri_resource), 1))",
	        -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "portal");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_err(db, err, "portal");
}

static int
create_table(pub_ctx *x, int ri)
{
	kv_resource *r = &x->pkg->res[ri];
	sqlite3_str *s = sqlite3_str_new(x->db);
	char *sql, *msg = NULL;
	int i, rc;

	sqlite3_str_appendf(s, "CREATE TABLE \"%s\"(", x->res[ri].tbl);
	for (i = 0; i < r->nfields; i++) {
		kp_type t = r->fields[i].type;

		sqlite3_str_appendf(s, "%sc%d %s", i ? ", " : "", i,
		        (int)t >= 0 && t < KP__MAX ? sql_type[t] : "TEXT");
	}
	sqlite3_str_appendall(s, ")");
	sql = sqlite3_str_finish(s);
	if (sql == NULL)
		return kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
	rc = sqlite3_exec(x->db, sql, NULL, NULL, &msg);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		kueri_err_set(x->err, KUERI_EDB, -1, "portal: %s",
		              msg ? msg : "create table failed");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* The primary-key index and the FTS table of resource ri, after load. */
static int
build_indexes(pub_ctx *x, int ri)
{
	kv_resource *r = &x->pkg->res[ri];
	pub_res *pr = &x->res[ri];
	sqlite3_str *s;
	char *sql, *msg = NULL;
	double t0 = now_mono();
	int i, n, rc;

	s = sqlite3_str_new(x->db);
	if (r->nkeys > 0) {
		sqlite3_str_appendf(s, "CREATE UNIQUE INDEX \"%s_pk\" ON \"%s\"(",
		                    pr->tbl, pr->tbl);
		for (i = 0; i < r->nkeys; i++)
			sqlite3_str_appendf(s, "%sc%d", i ? "," : "", r->keys[i]);
		sqlite3_str_appendall(s, ");");
	}
	if (pr->fts[0]) {
		sqlite3_str_appendf(s, "CREATE VIRTUAL TABLE \"%s\" USING fts5(",
		                    pr->fts);
		for (i = 0, n = 0; i < r->nfields; i++)
			if (pr->search[i])
				sqlite3_str_appendf(s, "%sc%d", n++ ? ", " : "", i);
		/* automerge 16 (not the default 4): the bulk rebuild merges
		 * less often, ~25% faster, with no measurable query cost. */
		sqlite3_str_appendf(s, ", content='%s', content_rowid='rowid',"
		        " tokenize='unicode61 remove_diacritics 2');"
		        "INSERT INTO \"%s\"(\"%s\", rank) VALUES('automerge', 16);"
		        "INSERT INTO \"%s\"(\"%s\") VALUES('rebuild');",
		        pr->tbl, pr->fts, pr->fts, pr->fts, pr->fts);
	}
	sql = sqlite3_str_finish(s);
	if (sql == NULL)
		return 0; /* nothing to build */
	rc = sqlite3_exec(x->db, sql, NULL, NULL, &msg);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		kueri_err_set(x->err, KUERI_EDB, -1, "%s: index: %s", r->name,
		              msg ? msg : "failed");
		sqlite3_free(msg);
		return -1;
	}
	pr->secs += now_mono() - t0;
	return 0;
}

/* The `fields` JSON of kueri_resource for resource ri. */
static char *
fields_json(pub_ctx *x, int ri)
{
	kv_resource *r = &x->pkg->res[ri];
	json_t *a = json_array();
	char *out;
	int i;

	for (i = 0; i < r->nfields; i++) {
		kp_field *f = &r->fields[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(f->name));
		json_object_set_new(o, "type", json_string(kp_type_name(f->type)));
		json_object_set_new(o, "nullable", json_boolean(f->nullable));
		json_object_set_new(o, "decimal", json_boolean(f->decimal));
		json_object_set_new(o, "searchable",
		                    json_boolean(x->res[ri].search[i]));
		if (f->title)
			json_object_set_new(o, "title", json_string(f->title));
		if (f->description)
			json_object_set_new(o, "description",
			                    json_string(f->description));
		json_array_append_new(a, o);
	}
	out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

static char *
keys_json(kv_resource *r)
{
	json_t *a = json_array();
	char *out;
	int i;

	for (i = 0; i < r->nkeys; i++)
		json_array_append_new(a, json_integer(r->keys[i]));
	out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

static int
write_catalog(pub_ctx *x, long long version, const char *fp,
              const kv_stats *stats)
{
	kv_package *pkg = x->pkg;
	sqlite3 *db = x->db;
	sqlite3_stmt *st = NULL;
	char *desc = NULL;
	int i, rc;

	desc = json_dumps(pkg->json, JSON_COMPACT);
	if (desc == NULL)
		return kueri_err_set(x->err, KUERI_ENOMEM, -1, "out of memory");
	if (sqlite3_prepare_v2(db, "INSERT INTO kueri_package(name, title,"
	        " publisher, classification, update_frequency, version,"
	        " published_at, descriptor, fingerprint)"
	        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, pkg->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, pkg->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, pkg->publisher, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, pkg->classification, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, pkg->update_frequency, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, version);
	sqlite3_bind_int64(st, 7, (long long)time(NULL));
	sqlite3_bind_text(st, 8, desc, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, fp, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto dberr;

	if (sqlite3_prepare_v2(db, "INSERT INTO kueri_resource(name, package,"
	        " title, tbl, fts, rows, fields, keys, sha256)"
	        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	for (i = 0; i < pkg->nres; i++) {
		char *fj = fields_json(x, i), *kj = keys_json(&pkg->res[i]);

		sqlite3_bind_text(st, 1, pkg->res[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, pkg->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, pkg->res[i].title, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, x->res[i].tbl, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, x->res[i].fts, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, x->res[i].rows);
		sqlite3_bind_text(st, 7, fj, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, kj, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, stats[i].sha256, -1, SQLITE_STATIC);
		rc = fj && kj ? sqlite3_step(st) : SQLITE_NOMEM;
		sqlite3_reset(st);
		free(fj);
		free(kj);
		if (rc != SQLITE_DONE)
			goto dberr;
	}
	sqlite3_finalize(st);
	free(desc);
	return 0;
dberr:
	db_err(db, x->err, "portal");
	sqlite3_finalize(st);
	free(desc);
	return -1;
}

/* The published version and fingerprint of a package: 1 found, 0 not. */
static int
current_version(sqlite3 *db, const char *name, long long *version,
                char fp[65])
{
	sqlite3_stmt *st;
	int found = 0;

	*version = 0;
	fp[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT version, fingerprint FROM"
	        " kueri_package WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *f = (const char *)sqlite3_column_text(st, 1);

		*version = sqlite3_column_int64(st, 0);
		snprintf(fp, 65, "%s", f ? f : "");
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* An entity set name owned by another package, or repeated here. */
static int
check_clashes(sqlite3 *db, kv_package *pkg, kueri_err *err)
{
	sqlite3_stmt *st;
	int i, j, rc = 0;

	for (i = 0; i < pkg->nres; i++)
		for (j = 0; j < i; j++)
			if (strcmp(pkg->res[i].name, pkg->res[j].name) == 0)
				return kueri_err_set(err, KUERI_ESCHEMA, -1,
				        "resource name '%s' appears twice in"
				        " package '%s'", pkg->res[i].name,
				        pkg->name);
	if (sqlite3_prepare_v2(db, "SELECT package FROM kueri_resource WHERE"
	        " name = ?1 AND package <> ?2", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, err, "portal");
	for (i = 0; i < pkg->nres && rc == 0; i++) {
		sqlite3_bind_text(st, 1, pkg->res[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, pkg->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			rc = kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "entity set name '%s' is already published by"
			        " package '%s'; rename the resource",
			        pkg->res[i].name, sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static void
summary(kv_package *pkg, const pub_res *res, long long version)
{
	char rows[40];
	int i;

	for (i = 0; i < pkg->nres; i++) {
		fmt_thousands(res[i].rows, rows, sizeof rows);
		fprintf(stderr, "%s: %s row%s, version %lld, %.1f s\n",
		        pkg->res[i].name, rows, res[i].rows == 1 ? "" : "s",
		        version, res[i].secs);
	}
}

/* Load, index and catalog every resource inside one transaction.
 * 0 committed, 1 invalid (rolled back), 2 unchanged (rolled back),
 * -1 error (rolled back). */
static int
publish_txn(sqlite3 *db, kv_package *pkg, const kv_opts *opts,
            json_t **report, kueri_err *err)
{
	pub_ctx x;
	kv_stats *stats = NULL;
	char (*shas)[65] = NULL;
	char fp[65], oldfp[65];
	long long n0, oldver;
	int i, rc = -1, vrc, existed;

	memset(&x, 0, sizeof x);
	x.db = db;
	x.pkg = pkg;
	x.cur = -1;
	x.err = err;
	x.res = calloc((size_t)pkg->nres, sizeof *x.res);
	stats = calloc((size_t)pkg->nres, sizeof *stats);
	shas = calloc((size_t)pkg->nres, sizeof *shas);
	if (x.res == NULL || stats == NULL || shas == NULL) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		goto out;
	}
	if (exec_fmt(db, err, "BEGIN IMMEDIATE"))
		goto out;
	/* Inside the write lock, so no other publisher can take a name
	 * between the check and our insert. */
	if (check_clashes(db, pkg, err)) {
		rc = err && err->code == KUERI_ESCHEMA ? 1 : -1;
		goto rollback_keep;
	}
	existed = current_version(db, pkg->name, &oldver, oldfp);
	if (existed < 0 || next_table_number(db, &n0, err)) {
		if (existed < 0)
			db_err(db, err, "portal");
		goto rollback;
	}
	for (i = 0; i < pkg->nres; i++) {
		kv_resource *r = &pkg->res[i];
		int f, ns = 0;

		x.res[i].n = n0 + i;
		snprintf(x.res[i].tbl, sizeof x.res[i].tbl, "t%lld", n0 + i);
		x.res[i].search = calloc((size_t)r->nfields + 1, sizeof(int));
		if (x.res[i].search == NULL) {
			kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
			goto rollback;
		}
		for (f = 0; f < r->nfields; f++)
			ns += x.res[i].search[f] = field_searchable(r, f);
		if (ns)
			snprintf(x.res[i].fts, sizeof x.res[i].fts, "t%lld_fts",
			         n0 + i);
		if (create_table(&x, i))
			goto rollback;
	}

	vrc = kv_verify(pkg, opts, on_begin, on_row, &x, report, stats, err);
	if (x.cur >= 0)
		x.res[x.cur].secs += now_mono() - x.t0;
	sqlite3_finalize(x.ins);
	x.ins = NULL;
	if (x.failed || vrc < 0)
		goto rollback;
	if (vrc == 1) {
		rc = 1;
		kueri_err_set(err, KUERI_EINVALID, -1, "package '%s' is invalid;"
		              " nothing was published", pkg->name);
		goto rollback_keep;
	}
	for (i = 0; i < pkg->nres; i++)
		memcpy(shas[i], stats[i].sha256, 65);
	fingerprint(pkg, shas, fp);
	if (existed && strcmp(fp, oldfp) == 0) {
		rc = 2;
		fprintf(stderr, "%s: unchanged, version %lld\n", pkg->name, oldver);
		goto rollback_keep;
	}
	for (i = 0; i < pkg->nres; i++) {
		if (opts->progress)
			fprintf(stderr, "%s: building indexes...\n", pkg->res[i].name);
		if (build_indexes(&x, i))
			goto rollback;
	}
	/* The previous version goes in the same transaction as the new one
	 * arrives: readers see one or the other, never both or neither. */
	if (existed && drop_package(db, pkg->name, 0, NULL, err))
		goto rollback;
	if (write_catalog(&x, existed ? oldver + 1 : 1, fp, stats))
		goto rollback;
	if (exec_fmt(db, err, "INSERT OR REPLACE INTO kueri_meta(key, value)"
	             " VALUES('next_table', %lld)", n0 + pkg->nres))
		goto rollback;
	if (exec_fmt(db, err, "COMMIT"))
		goto rollback;
	summary(pkg, x.res, existed ? oldver + 1 : 1);
	rc = 0;
	goto out;

rollback:
	rc = -1;
rollback_keep:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(x.ins);
	if (x.res)
		for (i = 0; i < pkg->nres; i++)
			free(x.res[i].search);
	free(x.res);
	free(stats);
	free(shas);
	return rc;
}

/* Identical input already published?  Hashes the CSVs (one quick read)
 * only when a version exists.  1 unchanged, 0 changed or new. */
static int
unchanged(sqlite3 *db, kv_package *pkg)
{
	char (*shas)[65];
	char fp[65], oldfp[65];
	long long ver;
	int i, same = 0;

	if (current_version(db, pkg->name, &ver, oldfp) != 1)
		return 0;
	shas = calloc((size_t)pkg->nres, sizeof *shas);
	if (shas == NULL)
		return 0;
	for (i = 0; i < pkg->nres; i++)
		if (sha_file(pkg->res[i].path, shas[i]))
			break;
	if (i == pkg->nres) {
		fingerprint(pkg, shas, fp);
		same = strcmp(fp, oldfp) == 0;
	}
	free(shas);
	if (same)
		fprintf(stderr, "%s: unchanged, version %lld\n", pkg->name, ver);
	return same;
}

int
kv_publish(const char *db_path, const char *package_path,
           const kv_opts *opts, json_t **report, kueri_err *err)
{
	kv_package *pkg;
	kportal *p = NULL;
	sqlite3 *db;
	kv_opts dflt = { 1000, 0 };
	int rc = -1;

	if (report)
		*report = NULL;
	if (opts == NULL)
		opts = &dflt;
	pkg = kv_package_load(package_path, err);
	if (pkg == NULL)
		return -1;
	/* publisher and classification: optional to verify, required here
	 * (before the portal is even opened). */
	if (kv_package_check_catalog(pkg, err)) {
		kv_package_free(pkg);
		return -1;
	}
	p = portal_open_rw(db_path, err);
	if (p == NULL)
		goto out;
	db = portal_db(p);
	/* A bounded page cache keeps RSS flat whatever the file size; the
	 * WAL is truncated back after a big transaction. */
	sqlite3_exec(db, "PRAGMA cache_size=-8192;"
	             " PRAGMA journal_size_limit=67108864;", NULL, NULL, NULL);

	if (pkg->classification == NULL ||
	    strcmp(pkg->classification, "public") != 0) {
		int found = 0;

		/* Private data is never published; if an earlier version was
		 * public, it is removed now, every byte of it. */
		if (remove_package(db, pkg->name, &found, err))
			goto out;
		kueri_err_set(err, KUERI_EPRIVATE, -1,
		        "package '%s' is classified '%s': not published%s",
		        pkg->name, pkg->classification ? pkg->classification : "?",
		        found ? "; its previously published version was removed"
		              : "");
		rc = 1;
		goto out;
	}
	if (unchanged(db, pkg)) {
		rc = 2;
		goto out;
	}
	rc = publish_txn(db, pkg, opts, report, err);
	if (rc == 0) {
		/* Fold the big WAL back into the file and truncate it; freed
		 * pages of the old version were zeroed (secure_delete).  Busy
		 * readers only delay this: wait a little, then leave it to the
		 * next checkpoint. */
		sqlite3_busy_timeout(db, 5000);
		sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
		             NULL);
	}
out:
	/* The report is the caller's only when it explains a refusal. */
	if (rc != 1 && report && *report) {
		json_decref(*report);
		*report = NULL;
	}
	portal_close(p);
	kv_package_free(pkg);
	return rc;
}
