/*
 * portal.c -- the portal database, read side: open (hardened for serving,
 * or writable for publishing), load the schema of every published entity
 * set from the meta tables, notice other processes' commits cheaply.
 *
 * The meta tables (see portal.h for the physical layout):
 *
 *   kueri_package   one row per published package; `descriptor` is the
 *                   datapackage JSON as published (the catalog reads its
 *                   properties), `fingerprint` makes re-publishing
 *                   identical input a no-op.
 *   kueri_resource  one row per entity set; `fields` is a JSON array of
 *                   {"name","type","nullable","decimal","searchable",
 *                   "title","description","maxLength"} where type is the
 *                   Table Schema type name and maxLength (strings only,
 *                   >= 1) may be absent; `keys` is a JSON array of field indexes.
 *   kueri_meta      key/value: "next_table" is the counter naming data
 *                   tables "t<N>", so a number is never reused.
 *
 * Physical names read back from the file ("t<N>", "t<N>_fts") are checked
 * against their exact shape before they are kept: they are the only
 * identifiers ever spliced into SQL, so a tampered file cannot smuggle SQL
 * through them.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "portal.h"
#include "portal_int.h"

struct kportal {
	sqlite3   *db;
	int        readonly;
	long long  data_version;  /* PRAGMA data_version at the last load   */
	int        nsets;
	kp_set    *sets;          /* sorted by name (strcmp = SQLite BINARY) */
	long long  last_modified; /* max published_at over the packages     */
	char       token[40];     /* portal_version_token                   */
	sqlite3_stmt *dv_st;      /* "PRAGMA data_version", prepared once:
	                             portal_refresh runs before every request */
	void      *aux;           /* portal_set_aux: another module's state */
	void     (*aux_free)(void *);
	char      *path;          /* as opened (owned)                      */
	dev_t      dev;           /* the file opened: a withdrawal may put  */
	ino_t      ino;           /* a scrubbed copy in its place           */
	int        lockfd;        /* "<path>-lock", or -1 (portal_lock)     */
	int        locks;         /* portal_lock nesting depth              */
};

/* ---- types ---------------------------------------------------------- */

static const struct {
	const char *name;
	const char *edm;
} kp_types[KP__MAX] = {
	[KP_STRING]    = { "string",    "Edm.String" },
	[KP_INTEGER]   = { "integer",   "Edm.Int64" },
	[KP_NUMBER]    = { "number",    "Edm.Double" },
	[KP_BOOLEAN]   = { "boolean",   "Edm.Boolean" },
	[KP_DATE]      = { "date",      "Edm.Date" },
	[KP_DATETIME]  = { "datetime",  "Edm.DateTimeOffset" },
	[KP_TIME]      = { "time",      "Edm.TimeOfDay" },
	[KP_YEAR]      = { "year",      "Edm.Int32" },
	[KP_YEARMONTH] = { "yearmonth", "Edm.String" },
	[KP_DURATION]  = { "duration",  "Edm.Duration" },
	[KP_GEOPOINT]  = { "geopoint",  "Edm.GeographyPoint" },
};

const char *
kp_type_name(kp_type t)
{
	if ((int)t < 0 || t >= KP__MAX)
		return NULL;
	return kp_types[t].name;
}

/* Edm.Double for every number; a field with `decimal` set is Edm.Decimal,
 * which the caller decides (the type alone does not know). */
const char *
kp_type_edm(kp_type t)
{
	if ((int)t < 0 || t >= KP__MAX)
		return NULL;
	return kp_types[t].edm;
}

int
kp_type_parse(const char *name, kp_type *out)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < KP__MAX; i++)
		if (strcmp(kp_types[i].name, name) == 0) {
			*out = (kp_type)i;
			return 0;
		}
	return -1;
}

/* ---- the meta tables ------------------------------------------------ */

const char portal_ddl[] =
	"CREATE TABLE IF NOT EXISTS kueri_package(name TEXT PRIMARY KEY,"
	" title TEXT, publisher TEXT NOT NULL, classification TEXT NOT NULL,"
	" update_frequency TEXT, version INTEGER NOT NULL,"
	" published_at INTEGER NOT NULL, descriptor TEXT NOT NULL,"
	" fingerprint TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS kueri_resource(name TEXT PRIMARY KEY,"
	" package TEXT NOT NULL, title TEXT, tbl TEXT NOT NULL,"
	" fts TEXT NOT NULL DEFAULT '', rows INTEGER NOT NULL,"
	" fields TEXT NOT NULL, keys TEXT NOT NULL, sha256 TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS kueri_resource_package"
	" ON kueri_resource(package);"
	"CREATE TABLE IF NOT EXISTS kueri_meta(key TEXT PRIMARY KEY, value);";

/* "t" followed by 1..18 digits, then `suffix` exactly. */
int
portal_name_ok(const char *s, const char *suffix)
{
	size_t n = 0;

	if (s == NULL || s[0] != 't')
		return 0;
	s++;
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || n > 18)
		return 0;
	return strcmp(s + n, suffix) == 0;
}

/* ---- loading -------------------------------------------------------- */

static char *
xstrdup(const char *s)
{
	char *d;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static void
set_free(kp_set *s)
{
	int i;

	free(s->name);
	free(s->package);
	free(s->title);
	for (i = 0; i < s->nfields; i++) {
		free(s->fields[i].name);
		free(s->fields[i].label);
		free(s->fields[i].title);
		free(s->fields[i].description);
	}
	free(s->fields);
	free(s->keys);
	memset(s, 0, sizeof *s);
}

static void
sets_free(kp_set *sets, int n)
{
	int i;

	for (i = 0; i < n; i++)
		set_free(&sets[i]);
	free(sets);
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
jbool(json_t *o, const char *key, int dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* A string field's "maxLength": a positive integer that fits a double
 * exactly (JSON clients read it as one); anything else reads as none. */
static long long
jmaxlen(json_t *o)
{
	json_t *v = json_object_get(o, "maxLength");
	json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

	return n >= 1 && n <= (1LL << 53) ? (long long)n : 0;
}

/*
 * Give every field its OData name (names.c), keeping the published one in
 * `label`: after this, the engine, the writers and $metadata all speak
 * the same identifiers.
 */
static int
set_odata_names(kp_set *s)
{
	const char **v = calloc((size_t)s->nfields, sizeof *v);
	char (*out)[KP_NAME_MAX] = calloc((size_t)s->nfields, sizeof *out);
	int i, rc = -1;

	if (v == NULL || out == NULL)
		goto done;
	for (i = 0; i < s->nfields; i++)
		v[i] = s->fields[i].name;
	kp_odata_names(v, s->nfields, out);
	for (i = 0; i < s->nfields; i++) {
		kp_field *f = &s->fields[i];

		f->label = f->name;
		if ((f->name = xstrdup(out[i])) == NULL)
			goto done;
	}
	rc = 0;
done:
	free(v);
	free(out);
	return rc;
}

/* Parse the `fields` and `keys` JSON of one resource row into `s`. */
static int
set_parse_schema(kp_set *s, const char *fields, const char *keys,
                 kueri_err *err)
{
	json_error_t je;
	json_t *fa = NULL, *ka = NULL, *f;
	size_t i;
	int rc = -1;

	fa = json_loads(fields, 0, &je);
	ka = json_loads(keys, 0, &je);
	if (!json_is_array(fa) || !json_is_array(ka) ||
	    json_array_size(fa) == 0 || json_array_size(fa) > 32767) {
		kueri_err_set(err, KUERI_EDB, -1,
		              "portal: bad schema JSON for set '%s'", s->name);
		goto out;
	}
	s->nfields = (int)json_array_size(fa);
	s->fields = calloc((size_t)s->nfields, sizeof *s->fields);
	if (s->fields == NULL)
		goto oom;
	json_array_foreach(fa, i, f) {
		kp_field *kf = &s->fields[i];
		const char *name = jstr(f, "name");

		if (name == NULL || kp_type_parse(jstr(f, "type"), &kf->type)) {
			kueri_err_set(err, KUERI_EDB, -1,
			              "portal: bad field %zu in set '%s'", i,
			              s->name);
			goto out;
		}
		kf->name = xstrdup(name);
		kf->title = xstrdup(jstr(f, "title"));
		kf->description = xstrdup(jstr(f, "description"));
		if (kf->name == NULL ||
		    (jstr(f, "title") && kf->title == NULL) ||
		    (jstr(f, "description") && kf->description == NULL))
			goto oom;
		kf->nullable = jbool(f, "nullable", 1);
		kf->decimal = jbool(f, "decimal", 0);
		kf->searchable = jbool(f, "searchable", 0);
		kf->max_length = jmaxlen(f);
	}
	if (set_odata_names(s) != 0)
		goto oom;
	s->nkeys = (int)json_array_size(ka);
	if (s->nkeys > 0) {
		s->keys = calloc((size_t)s->nkeys, sizeof *s->keys);
		if (s->keys == NULL)
			goto oom;
	}
	json_array_foreach(ka, i, f) {
		json_int_t k = json_is_integer(f) ? json_integer_value(f) : -1;

		if (k < 0 || k >= s->nfields) {
			kueri_err_set(err, KUERI_EDB, -1,
			              "portal: bad key index in set '%s'", s->name);
			goto out;
		}
		s->keys[i] = (int)k;
	}
	rc = 0;
	goto out;
oom:
	kueri_err_set(err, KUERI_ENOMEM, -1, "portal: out of memory");
out:
	json_decref(fa);
	json_decref(ka);
	return rc;
}

static int
has_meta_tables(sqlite3 *db)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(db,
	        "SELECT count(*) FROM sqlite_schema WHERE type='table' AND"
	        " name IN ('kueri_package','kueri_resource')",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n == 2;
}

static void
fnv(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--) {
		*h ^= *b++;
		*h *= 0x100000001b3ULL;
	}
}

/*
 * Load every set, inside one read transaction so the catalog is one
 * snapshot.  On success replaces p->sets; on failure leaves p unchanged.
 * Only public packages are loaded: the publisher never writes another
 * kind, so a private row can only come from a tampered or hand-made file,
 * and then it must still never be served (nor counted in the ETag).
 */
static int
portal_load(kportal *p, kueri_err *err)
{
	static const char sql[] =
		"SELECT r.name, r.package, coalesce(r.title, k.title), r.tbl,"
		" r.fts, r.rows, r.fields, r.keys, k.version, k.published_at"
		" FROM kueri_resource r JOIN kueri_package k ON k.name = r.package"
		" WHERE k.classification = 'public'"
		" ORDER BY r.name";
	sqlite3_stmt *st = NULL;
	kp_set *sets = NULL;
	int n = 0, cap = 0, rc, have, began = 0;
	long long dv = 0, lastmod = 0;
	uint64_t h = 0xcbf29ce484222325ULL;

	/* One snapshot for the whole catalog (unless the caller already
	 * holds one). */
	began = sqlite3_get_autocommit(p->db);
	if (began && sqlite3_exec(p->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	if (sqlite3_prepare_v2(p->db, "PRAGMA data_version", -1, &st,
	                       NULL) != SQLITE_OK)
		goto dberr;
	if (sqlite3_step(st) == SQLITE_ROW)
		dv = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;

	have = has_meta_tables(p->db);
	if (have < 0)
		goto dberr;
	if (have) {
		/* The token covers packages (an unpublish changes it too). */
		if (sqlite3_prepare_v2(p->db,
		        "SELECT name, version, published_at FROM kueri_package"
		        " WHERE classification = 'public'"
		        " ORDER BY name", -1, &st, NULL) != SQLITE_OK)
			goto dberr;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *nm = (const char *)sqlite3_column_text(st, 0);
			long long v[2] = { sqlite3_column_int64(st, 1),
			                   sqlite3_column_int64(st, 2) };

			fnv(&h, nm ? nm : "", nm ? strlen(nm) + 1 : 1);
			fnv(&h, v, sizeof v);
			if (v[1] > lastmod)
				lastmod = v[1];
		}
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_DONE)
			goto dberr;

		if (sqlite3_prepare_v2(p->db, sql, -1, &st, NULL) != SQLITE_OK)
			goto dberr;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			kp_set *s;
			const char *tbl = (const char *)sqlite3_column_text(st, 3);
			const char *fts = (const char *)sqlite3_column_text(st, 4);
			const char *title = (const char *)sqlite3_column_text(st, 2);

			if (n == cap) {
				int ncap = cap ? cap * 2 : 16;
				kp_set *ns = realloc(sets, (size_t)ncap * sizeof *ns);

				if (ns == NULL)
					goto oom;
				sets = ns;
				cap = ncap;
			}
			s = &sets[n];
			memset(s, 0, sizeof *s);
			n++;
			s->name = xstrdup((const char *)sqlite3_column_text(st, 0));
			s->package = xstrdup((const char *)sqlite3_column_text(st, 1));
			s->title = xstrdup(title);
			if (s->name == NULL || s->package == NULL ||
			    (title && s->title == NULL))
				goto oom;
			if (fts == NULL)
				fts = "";
			if (!portal_name_ok(tbl, "") ||
			    (*fts && !portal_name_ok(fts, "_fts"))) {
				kueri_err_set(err, KUERI_EDB, -1,
				              "portal: bad physical table name for"
				              " set '%s'", s->name);
				goto fail;
			}
			snprintf(s->table, sizeof s->table, "%s", tbl);
			snprintf(s->fts, sizeof s->fts, "%s", fts);
			/* Table numbers never repeat, so the token changes even
			 * when a package is removed and re-published as version 1
			 * within the same second. */
			fnv(&h, s->table, strlen(s->table) + 1);
			s->rows = sqlite3_column_int64(st, 5);
			s->version = sqlite3_column_int64(st, 8);
			s->published_at = sqlite3_column_int64(st, 9);
			if (set_parse_schema(s,
			        (const char *)sqlite3_column_text(st, 6),
			        (const char *)sqlite3_column_text(st, 7), err))
				goto fail;
		}
		if (rc != SQLITE_DONE)
			goto dberr;
		sqlite3_finalize(st);
		st = NULL;
	}
	if (began)
		sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL);

	sets_free(p->sets, p->nsets);
	p->sets = sets;
	p->nsets = n;
	p->data_version = dv;
	p->last_modified = lastmod;
	snprintf(p->token, sizeof p->token, "%016llx",
	         (unsigned long long)h);
	return 0;

dberr:
	kueri_err_set(err, KUERI_EDB, -1, "portal: %s", sqlite3_errmsg(p->db));
	goto fail;
oom:
	kueri_err_set(err, KUERI_ENOMEM, -1, "portal: out of memory");
fail:
	sqlite3_finalize(st);
	if (began == 1 && !sqlite3_get_autocommit(p->db))
		sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
	sets_free(sets, n);
	return -1;
}

/* ---- open / close --------------------------------------------------- */

/* Remember which file `path` names now: the inode the connection has
 * (SQLite opened it a moment ago; a replacement in between is caught by
 * the writer's check under the write lock). */
static void
portal_mark_identity(kportal *p)
{
	struct stat sb;

	if (stat(p->path, &sb) == 0) {
		p->dev = sb.st_dev;
		p->ino = sb.st_ino;
	}
}

static kportal *
portal_new(const char *path, int flags, kueri_err *err)
{
	kportal *p;
	int rc;

	p = calloc(1, sizeof *p);
	if (p == NULL) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "portal: out of memory");
		return NULL;
	}
	p->lockfd = -1;
	/* NOMUTEX: a portal's connection is used by one thread at a time
	 * (one per worker process, or the CLI's), so SQLite's per-call
	 * connection mutex -- taken by every sqlite3_column_*(), i.e. several
	 * times per value written -- only costs time. */
	rc = sqlite3_open_v2(path, &p->db,
	                     flags | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		kueri_err_set(err, KUERI_EDB, -1, "%s: %s", path,
		              p->db ? sqlite3_errmsg(p->db) : "cannot open");
		kueri_err_target(err, path);
		sqlite3_close(p->db);
		free(p);
		return NULL;
	}
	sqlite3_extended_result_codes(p->db, 1);
	if ((p->path = strdup(path)) == NULL) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "portal: out of memory");
		sqlite3_close(p->db);
		free(p);
		return NULL;
	}
	portal_mark_identity(p);
	return p;
}

kportal *
portal_open_ro(const char *path, kueri_err *err)
{
	kportal *p;
	sqlite3 *db;

	p = portal_new(path, SQLITE_OPEN_READONLY, err);
	if (p == NULL)
		return NULL;
	db = p->db;
	p->readonly = 1;
	/* Serving touches untrusted queries: no schema-borne functions, no
	 * writes to shadow tables, no extensions, no ATTACH, small limits.
	 * The query engine adds the authorizer and the progress handler. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	/* A reader never checkpoints or deletes the WAL on close: after a
	 * withdrawal replaced the file, "<path>-wal" is the new file's. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, 100);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 64 * 1024 * 1024);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 1024 * 1024);
	sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, 10000);
	sqlite3_limit(db, SQLITE_LIMIT_COMPOUND_SELECT, 50);
	sqlite3_limit(db, SQLITE_LIMIT_TRIGGER_DEPTH, 1);
	sqlite3_hard_heap_limit64(256LL * 1024 * 1024);
	sqlite3_busy_timeout(db, 2000);
	if (portal_load(p, err)) {
		portal_close(p);
		return NULL;
	}
	return p;
}

/* The writable connection's settings (open and re-open). */
static int
rw_setup(kportal *p, kueri_err *err)
{
	char *msg = NULL;

	sqlite3_db_config(p->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(p->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(p->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	/* A concurrent publish holds the write lock for its whole load. */
	sqlite3_busy_timeout(p->db, 120000);
	/* WAL: readers keep the old version while a publish runs, and a
	 * killed publish rolls back on next open.  secure_delete: freed
	 * pages are zeroed, so a removed package leaves no bytes behind. */
	if (sqlite3_exec(p->db,
	        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	        " PRAGMA secure_delete=ON; PRAGMA foreign_keys=OFF;",
	        NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(p->db, portal_ddl, NULL, NULL, &msg) != SQLITE_OK) {
		kueri_err_set(err, KUERI_EDB, -1, "%s: %s", p->path,
		              msg ? msg : sqlite3_errmsg(p->db));
		kueri_err_target(err, p->path);
		sqlite3_free(msg);
		return -1;
	}
	/* A publish killed mid-load leaves its rolled-back frames in the
	 * WAL (tens of MB): fold back and truncate now, without waiting on
	 * readers (they only postpone it to the next checkpoint).  Only
	 * when the WAL holds something: a checkpoint resets the WAL, which
	 * readers count as a change and reload the catalog for. */
	{
		char wal[PATH_MAX];
		struct stat sb;

		snprintf(wal, sizeof wal, "%s-wal", p->path);
		if (stat(wal, &sb) == 0 && sb.st_size > 0) {
			sqlite3_busy_timeout(p->db, 0);
			sqlite3_wal_checkpoint_v2(p->db, "main",
			        SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
			sqlite3_busy_timeout(p->db, 120000);
		}
	}
	return 0;
}

kportal *
portal_open_rw(const char *path, kueri_err *err)
{
	kportal *p;

	p = portal_new(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
	if (p == NULL)
		return NULL;
	if (rw_setup(p, err) || portal_load(p, err)) {
		portal_close(p);
		return NULL;
	}
	return p;
}

int
portal_replaced(kportal *p)
{
	struct stat sb;

	if (stat(p->path, &sb) != 0)
		return 1;
	return sb.st_dev != p->dev || sb.st_ino != p->ino;
}

const char *
portal_path(kportal *p)
{
	return p->path;
}

/* This connection's file was replaced under it: closing must not
 * checkpoint, and above all must not delete "<path>-wal" by name, which
 * now belongs to the new file. */
static void
close_detached(sqlite3 *db)
{
	int on = 1;

	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
	sqlite3_close_v2(db);
}

int
portal_reopen_rw(kportal *p, kueri_err *err)
{
	sqlite3 *db = NULL;
	int rc;

	sqlite3_finalize(p->dv_st);
	p->dv_st = NULL;
	if (p->readonly)
		return kueri_err_set(err, KUERI_EINTERNAL, -1,
		                     "portal: reopen of a read-only portal");
	close_detached(p->db);
	p->db = NULL;
	rc = sqlite3_open_v2(p->path, &db, SQLITE_OPEN_READWRITE |
	                     SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
	p->db = db;
	if (rc != SQLITE_OK) {
		kueri_err_set(err, KUERI_EDB, -1, "%s: %s", p->path,
		              db ? sqlite3_errmsg(db) : "cannot open");
		return -1;
	}
	sqlite3_extended_result_codes(db, 1);
	portal_mark_identity(p);
	if (rw_setup(p, err))
		return -1;
	return portal_reload(p, err);
}

/* ---- the publish lock ----------------------------------------------- */

/* A test's smaller value for a limit: the environment variable `name`
 * when it is a whole number in 1 .. max, else max (KUERI_PIECE_ROWS in
 * writer.c, KUERI_LOCK_WAIT_S below). */
long long
portal_env_limit(const char *name, long long max)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	if (v == NULL || *v == '\0')
		return max;
	n = strtoll(v, &end, 10);
	return *end != '\0' || n < 1 || n > max ? max : n;
}

/*
 * A publish commits its rows in pieces (writer.c), so SQLite's write lock
 * is released between them; this lock keeps a whole publish, removal or
 * scrub apart from every other.  It is flock(2) on "<path>-lock", a file
 * that stays empty and is never replaced or removed: a lock on the portal
 * file itself would be lost when a withdrawal renames a scrubbed copy
 * over it (scrub.c), and an fcntl lock would be dropped by SQLite's own
 * close of the same file.  Readers never take it.
 */
int
portal_lock(kportal *p, kueri_err *err)
{
	char lk[PATH_MAX];
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	struct timespec now, t;
	time_t end;
	int wait_s;

	if (p->locks > 0) {
		p->locks++;
		return 0;
	}
	if ((size_t)snprintf(lk, sizeof lk, "%s-lock", p->path) >= sizeof lk)
		return kueri_err_set(err, KUERI_EIO, -1, "%s: path too long",
		                     p->path);
	/* Read-only is enough for flock, so a portal whose lock file
	 * another account created can still be published by its owner. */
	if (p->lockfd < 0 &&
	    (p->lockfd = open(lk, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	                      0644)) < 0)
		return kueri_err_set(err, KUERI_EIO, -1, "%s: %s", lk,
		                     strerror(errno));
	/* KUERI_LOCK_WAIT_S lets a test see the limit without waiting
	 * two minutes. */
	wait_s = (int)portal_env_limit("KUERI_LOCK_WAIT_S", KP_LOCK_WAIT_S);
	/* Monotonic and to the nanosecond: a wall-clock second would cut
	 * the wait short by up to a second (or stretch it across a clock
	 * change). */
	clock_gettime(CLOCK_MONOTONIC, &now);
	end = now.tv_sec + wait_s;
	while (flock(p->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return kueri_err_set(err, KUERI_EIO, -1, "%s: %s", lk,
			                     strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec > end || (t.tv_sec == end && t.tv_nsec >= now.tv_nsec))
			return kueri_err_set(err, KUERI_EDB, -1, "portal: another"
			        " publish or removal kept %s locked for %d s (the"
			        " publish lock's wait limit); nothing was changed,"
			        " run the command again when it has finished", lk,
			        wait_s);
		nanosleep(&nap, NULL);
	}
	p->locks = 1;
	return 0;
}

void
portal_unlock(kportal *p)
{
	if (p->locks > 0 && --p->locks == 0)
		flock(p->lockfd, LOCK_UN);
}

void
portal_close(kportal *p)
{
	if (p == NULL)
		return;
	if (p->aux_free)
		p->aux_free(p->aux);
	sets_free(p->sets, p->nsets);
	sqlite3_finalize(p->dv_st);
	if (!p->readonly && p->db && portal_replaced(p))
		close_detached(p->db);
	else
		sqlite3_close_v2(p->db);
	/* Closing the descriptor releases the publish lock (after the
	 * connection, so no write of ours can follow the release). */
	if (p->lockfd >= 0)
		close(p->lockfd);
	free(p->path);
	free(p);
}

void *
portal_aux(kportal *p)
{
	return p->aux;
}

void
portal_set_aux(kportal *p, void *aux, void (*free_fn)(void *))
{
	p->aux = aux;
	p->aux_free = free_fn;
}

sqlite3 *
portal_db(kportal *p)
{
	return p->db;
}

int
portal_refresh(kportal *p, kueri_err *err)
{
	long long dv = -1;

	if (p->dv_st == NULL &&
	    sqlite3_prepare_v3(p->db, "PRAGMA data_version", -1,
	                       SQLITE_PREPARE_PERSISTENT, &p->dv_st,
	                       NULL) != SQLITE_OK)
		return kueri_err_set(err, KUERI_EDB, -1, "portal: %s",
		                     sqlite3_errmsg(p->db));
	if (sqlite3_step(p->dv_st) == SQLITE_ROW)
		dv = sqlite3_column_int64(p->dv_st, 0);
	sqlite3_reset(p->dv_st);
	if (dv == p->data_version)
		return 0;
	if (portal_load(p, err))
		return -1;
	return 1;
}

int
portal_reload(kportal *p, kueri_err *err)
{
	return portal_load(p, err);
}

const kp_set *
portal_set(kportal *p, const char *name)
{
	int lo = 0, hi = p->nsets - 1;

	if (name == NULL)
		return NULL;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int c = strcmp(name, p->sets[mid].name);

		if (c == 0)
			return &p->sets[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

int
portal_nsets(kportal *p)
{
	return p->nsets;
}

const kp_set *
portal_set_at(kportal *p, int i)
{
	if (i < 0 || i >= p->nsets)
		return NULL;
	return &p->sets[i];
}

void
portal_version_token(kportal *p, char *buf, size_t len)
{
	size_t n = strlen(p->token);

	if (len == 0)
		return;
	/* Asked for on every request (the ETag): a copy, not a snprintf. */
	if (n >= len)
		n = len - 1;
	memcpy(buf, p->token, n);
	buf[n] = '\0';
}

long long
portal_last_modified(kportal *p)
{
	return p->last_modified;
}
