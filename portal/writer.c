/*
 * writer.c -- the portal's write side (portal_write.h): new tables
 * "t<N>", their rows, key index, FTS table and catalog rows as one new
 * version of a package, all-or-nothing (removing one is remove.c's; a
 * big load's FTS index is ftsbuild.c's, writer_int.h what they share).
 *
 * Tables are created, then filled through one reused prepared INSERT per
 * set (prepared when the set's rows begin); the indexes and FTS tables
 * are built only after the rows are in (a bulk build is cheaper than
 * per-row maintenance); the previous version's tables are dropped and the
 * catalog rows written in the LAST transaction, so readers see the old
 * version or the new one, never a mix, and serve the old one throughout.
 *
 * Committing in pieces.  A small version is one write transaction.  A big
 * one is committed in pieces: every KW_PIECE_ROWS rows, and after each
 * index and FTS build once the load was split, COMMIT, checkpoint
 * (PASSIVE: it never waits for readers) and BEGIN IMMEDIATE again.  One
 * transaction of ten million rows wrote ~470,000 WAL frames; every page
 * the cache missed was looked up in the WAL index across all of them
 * (sqlite3WalFindFrame, 5.8% of the publish), and the COMMIT's checkpoint
 * copied a 1.9 GB WAL.  After a checkpoint SQLite starts the writer's
 * lookups at the frames backfilled, so each piece only searches its own.
 * The pieces go into tables no catalog row names, which readers never
 * open; a kill -9 between pieces leaves them behind as orphans, and the
 * next publish or removal drops them first (portal_sweep, remove.c), as
 * does a publish that fails after its first piece.  SQLite's write lock
 * is released between pieces, so the publish lock (portal_lock,
 * "<path>-lock") keeps publishes, removals and scrubs apart instead.
 *
 * Every identifier spliced into SQL here is portal-made ("t<N>", "c<i>"),
 * checked by portal_name_ok when read back; every value is bound.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "writer_int.h"

/* Rows per piece of a big load (see the top): measured on the villages
 * shape, docs/bench.md "Committing in pieces". */
#define KW_PIECE_ROWS 250000

/* SQLite column type per kp_type (portal.h's "values as stored"). */
static const char *const sql_type[KP__MAX] = {
	[KP_STRING] = "TEXT",     [KP_INTEGER] = "INTEGER",
	[KP_NUMBER] = "REAL",     [KP_BOOLEAN] = "INTEGER",
	[KP_DATE] = "TEXT",       [KP_DATETIME] = "TEXT",
	[KP_TIME] = "TEXT",       [KP_YEAR] = "INTEGER",
	[KP_YEARMONTH] = "TEXT",  [KP_DURATION] = "TEXT",
	[KP_GEOPOINT] = "TEXT",
};

/* A full disk is the operator's to fix, not a bug: say so plainly. */
static int
full_err(sqlite3 *db, kueri_err *err, const char *what)
{
	return kueri_err_set(err, KUERI_EIO, -1, "%s: the disk is full (no space"
	                     " left for the portal or its WAL; SQLite: %s): free"
	                     " space and publish again -- nothing was changed",
	                     what, sqlite3_errmsg(db));
}

static int
is_full(sqlite3 *db)
{
	return (sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL ||
	       sqlite3_system_errno(db) == ENOSPC ||
	       sqlite3_system_errno(db) == EDQUOT;
}

/* An SQLite error as a kueri error; a full disk says so (portal_int.h). */
int
portal_db_err(sqlite3 *db, kueri_err *err, const char *what)
{
	if (is_full(db))
		return full_err(db, err, what);
	return kueri_err_set(err, KUERI_EDB, -1, "%s: %s", what,
	                     sqlite3_errmsg(db));
}

/* Formatted SQL, identifiers only (writer_int.h). */
int
portal_exec_fmt(sqlite3 *db, kueri_err *err, const char *fmt, ...)
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
		if (is_full(db))
			full_err(db, err, "portal");
		else
			kueri_err_set(err, KUERI_EDB, -1, "portal: %s",
			              msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static char *
xstrdup(const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* ---- the current version -------------------------------------------- */

int
kp_package_version(kportal *p, const char *name, long long *version,
                   char fp[65], kueri_err *err)
{
	sqlite3 *db = portal_db(p);
	sqlite3_stmt *st;
	int found = 0, rc;

	*version = 0;
	fp[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT version, fingerprint FROM"
	        " kueri_package WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
		return portal_db_err(db, err, "portal"), -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *f = (const char *)sqlite3_column_text(st, 1);

		*version = sqlite3_column_int64(st, 0);
		snprintf(fp, 65, "%s", f ? f : "");
		found = 1;
	} else if (rc != SQLITE_DONE) {
		found = -1;
		portal_db_err(db, err, "portal");
	}
	sqlite3_finalize(st);
	return found;
}

/* Past the counter, every catalogued table and every table in the file
 * (an orphan the sweep could not drop keeps its number). */
static int
next_table_number(sqlite3 *db, long long *n, kueri_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*n = 1;
	if (sqlite3_prepare_v2(db,
	        "SELECT max(coalesce((SELECT value FROM kueri_meta WHERE"
	        " key = 'next_table'), 1), coalesce((SELECT max(CAST(substr(tbl,"
	        " 2) AS INTEGER)) + 1 FROM kueri_resource), 1),"
	        " coalesce((SELECT max(CAST(substr(name, 2) AS INTEGER)) + 1"
	        " FROM sqlite_schema WHERE name GLOB 't[0-9]*'), 1))",
	        -1, &st, NULL) != SQLITE_OK)
		return portal_db_err(db, err, "portal");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : portal_db_err(db, err, "portal");
}

/* ---- a writer ------------------------------------------------------- */

static void
set_free(kw_set *s)
{
	sqlite3_finalize(s->ins);
	free(s->name);
	free(s->title);
	free(s->sha256);
	free(s->fields);
	free(s->keys);
	free(s->types);
	sqlite3_free(s->pk_sql);
	sqlite3_free(s->fts_sql);
	sqlite3_free(s->fts_args);
	sqlite3_free(s->fts_ins);
}

/* Attach the scratch (outside any transaction, as ATTACH must be).
 * Nothing reaches the disk until an FTS build outgrows its cache.  Its
 * pages are 64 KB: FTS5 reads and writes its ~4 KB blocks in id order,
 * so one read call brings ~16 of them (the 1M-row build's FTS phase
 * made 60,947 reads and 40,536 writes with 4 KB pages, 33,978 and
 * 26,668 with 64 KB). */
static int
scratch_attach(kp_writer *w, sqlite3 *db, kueri_err *err)
{
	if (portal_exec_fmt(db, err, "ATTACH '' AS " KW_SCRATCH))
		return -1;
	w->scratch = 1;
	if (portal_exec_fmt(db, err, "PRAGMA " KW_SCRATCH ".page_size=65536;"
	             " PRAGMA " KW_SCRATCH ".journal_mode=OFF;"
	             " PRAGMA " KW_SCRATCH ".synchronous=OFF;"
	             " PRAGMA " KW_SCRATCH ".secure_delete=OFF;"
	             " PRAGMA " KW_SCRATCH ".cache_size=-8192;"))
		return -1;
	return 0;
}

static void
writer_free(kp_writer *w)
{
	int i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nsets; i++)
		set_free(&w->sets[i]);
	sqlite3_finalize(w->facet);
	/* After COMMIT or ROLLBACK: DETACH closes (and so deletes) the file. */
	if (w->scratch)
		sqlite3_exec(portal_db(w->p), "DETACH " KW_SCRATCH, NULL, NULL, NULL);
	free(w->sets);
	free(w->package);
	free(w);
}

void
kp_writer_rollback(kp_writer *w)
{
	kueri_err e;
	int swept = 0, i;

	if (w == NULL)
		return;
	sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	/* Pieces already committed: drop them now rather than leave them to
	 * the next publish (best effort; that one sweeps what remains). */
	if (w->split) {
		for (i = 0; i < w->nsets; i++) {
			sqlite3_finalize(w->sets[i].ins);
			w->sets[i].ins = NULL;
		}
		sqlite3_finalize(w->facet);
		w->facet = NULL;
		memset(&e, 0, sizeof e);
		if (portal_begin(w->p, &e) == 0) {
			if (portal_sweep(portal_db(w->p), &swept, &e) == 0 &&
			    sqlite3_exec(portal_db(w->p), "COMMIT", NULL, NULL,
			                 NULL) == SQLITE_OK)
				sqlite3_wal_checkpoint_v2(portal_db(w->p), "main",
				        SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
			else
				sqlite3_exec(portal_db(w->p), "ROLLBACK", NULL,
				             NULL, NULL);
		}
	}
	if (w->locked)
		portal_unlock(w->p);
	writer_free(w);
}

/* Commit what is written so far as a piece, checkpoint, and begin the
 * next piece on the same file.  With `renew`, the scratch database is
 * replaced by an empty one in between (ftsbuild.c, fts_chunk). */
static int
piece_commit1(kp_writer *w, int renew, kueri_err *err)
{
	/* The table numbers are taken for good from the first piece on. */
	if (portal_exec_fmt(w->db, err, "INSERT OR REPLACE INTO kueri_meta(key,"
	             " value) VALUES('next_table', %lld)", w->n0 + w->nsets) ||
	    portal_exec_fmt(w->db, err, "COMMIT"))
		return -1;
	w->split = 1;
	w->since = 0;
	/* PASSIVE never waits on a reader; what a reader's snapshot still
	 * needs is copied by a later checkpoint. */
	sqlite3_wal_checkpoint_v2(w->db, "main", SQLITE_CHECKPOINT_PASSIVE,
	                          NULL, NULL);
	if (renew) {
		/* DETACH deletes the old file (and its pages from the OS
		 * cache); ATTACH is only allowed outside a transaction. */
		w->scratch = 0;
		if (portal_exec_fmt(w->db, err, "DETACH " KW_SCRATCH) ||
		    scratch_attach(w, w->db, err))
			return -1;
	}
	if (portal_exec_fmt(w->db, err, "BEGIN IMMEDIATE"))
		return -1;
	/* Every remover takes the publish lock, so this is only a process
	 * that does not (an older kueri): our pieces are in the old file. */
	if (portal_replaced(w->p)) {
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
		return kueri_err_set(err, KUERI_EDB, -1, "portal: %s was"
		        " replaced during the publish; nothing was published,"
		        " run the command again", portal_path(w->p));
	}
	return 0;
}

/* piece_commit1, its CPU counted for the phase times (writer_int.h). */
int
portal_piece_commit(kp_writer *w, int renew, kueri_err *err)
{
	double t0 = w->ph.on ? portal_phase_cpu(NULL, NULL) : 0;
	int rc = piece_commit1(w, renew, err);

	if (w->ph.on)
		w->ph.piece += portal_phase_cpu(NULL, NULL) - t0;
	return rc;
}

static int
piece_commit(kp_writer *w, kueri_err *err)
{
	return portal_piece_commit(w, 0, err);
}

kp_writer *
kp_writer_begin(kportal *p, const char *package, kueri_err *err)
{
	kp_writer *w = calloc(1, sizeof *w);
	int found;

	if (w == NULL || (w->package = xstrdup(package)) == NULL) {
		free(w);
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	w->p = p;
	/* KUERI_PIECE_ROWS lets a test split a small load; the result is
	 * the same version either way. */
	w->piece = portal_env_limit("KUERI_PIECE_ROWS", KW_PIECE_ROWS);
	portal_phase_init(&w->ph);
	if (portal_lock(p, err)) {
		writer_free(w);
		return NULL;
	}
	w->locked = 1;
	if (scratch_attach(w, portal_db(p), err)) {
		portal_unlock(p);
		writer_free(w);
		return NULL;
	}
	if (portal_begin(p, err)) {
		portal_unlock(p);
		writer_free(w);
		return NULL;
	}
	w->db = portal_db(p);
	/* Under the publish lock no other publish is between pieces: every
	 * uncatalogued table is an orphan of a killed one.  Drop them before
	 * anything else is written, and checkpoint them out. */
	{
		int swept = 0;

		if (portal_sweep(w->db, &swept, err)) {
			kp_writer_rollback(w);
			return NULL;
		}
		if (swept) {
			if (portal_exec_fmt(w->db, err, "COMMIT")) {
				kp_writer_rollback(w);
				return NULL;
			}
			sqlite3_wal_checkpoint_v2(w->db, "main",
			        SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
			if (portal_begin(p, err)) {
				portal_unlock(p);
				writer_free(w);
				return NULL;
			}
			w->db = portal_db(p);
		}
	}
	/* A bounded page cache keeps RSS flat whatever the file size; the
	 * WAL is truncated back after a big transaction. */
	sqlite3_exec(w->db, "PRAGMA cache_size=-8192;"
	             " PRAGMA journal_size_limit=67108864;", NULL, NULL, NULL);
	/* Inside the write lock: no other publisher moves the version or
	 * takes a table number between here and COMMIT. */
	found = kp_package_version(p, package, &w->version, w->fp, err);
	if (found < 0 || next_table_number(w->db, &w->n0, err)) {
		kp_writer_rollback(w);
		return NULL;
	}
	w->existed = found;
	return w;
}

int
kp_writer_current(kp_writer *w, long long *version, const char **fp)
{
	if (version)
		*version = w->version;
	if (fp)
		*fp = w->fp;
	return w->existed;
}

/* The `fields` JSON of kueri_resource. */
static char *
fields_json(const kp_set_def *d)
{
	json_t *a = json_array();
	char *out;
	int i;

	for (i = 0; i < d->nfields; i++) {
		const kp_field *f = &d->fields[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(f->name));
		json_object_set_new(o, "type", json_string(kp_type_name(f->type)));
		json_object_set_new(o, "nullable", json_boolean(f->nullable));
		json_object_set_new(o, "decimal", json_boolean(f->decimal));
		json_object_set_new(o, "searchable",
		        json_boolean(f->type == KP_STRING && f->searchable));
		if (f->title)
			json_object_set_new(o, "title", json_string(f->title));
		if (f->description)
			json_object_set_new(o, "description",
			                    json_string(f->description));
		if (f->type == KP_STRING && f->max_length > 0)
			json_object_set_new(o, "maxLength",
			                    json_integer(f->max_length));
		json_array_append_new(a, o);
	}
	out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

static char *
keys_json(const kp_set_def *d)
{
	json_t *a = json_array();
	char *out;
	int i;

	for (i = 0; i < d->nkeys; i++)
		json_array_append_new(a, json_integer(d->keys[i]));
	out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

/* An entity set name owned by another package. */
static int
check_clash(kp_writer *w, const char *name, kueri_err *err)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(w->db, "SELECT package FROM kueri_resource WHERE"
	        " name = ?1 AND package <> ?2", -1, &st, NULL) != SQLITE_OK)
		return portal_db_err(w->db, err, "portal");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->package, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		rc = kueri_err_set(err, KUERI_ESCHEMA, -1,
		        "entity set name '%s' is already published by"
		        " package '%s'; rename the resource",
		        name, sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc;
}

/* The set's FTS5 table in schema `db` ("main" or the scratch), with
 * automerge 16 (not the default 4): the bulk build merges less often,
 * ~25% faster, with no measurable query cost.  sqlite3_malloc'd. */
char *
portal_fts_create_sql(const char *db, const kw_set *s)
{
	return sqlite3_mprintf("CREATE VIRTUAL TABLE %s.\"%s\" USING fts5(%s);"
	        "INSERT INTO %s.\"%s\"(\"%s\", rank) VALUES('automerge', 16);",
	        db, s->fts, s->fts_args, db, s->fts, s->fts);
}

/* CREATE TABLE, and the index/FTS statements kept for kp_writer_build. */
static int
set_sql(kp_writer *w, kw_set *s, const kp_set_def *d, kueri_err *err)
{
	sqlite3_str *q;
	char *sql, *msg = NULL;
	int i, n, rc;

	q = sqlite3_str_new(w->db);
	sqlite3_str_appendf(q, "CREATE TABLE \"%s\"(", s->tbl);
	for (i = 0; i < d->nfields; i++) {
		kp_type t = d->fields[i].type;

		sqlite3_str_appendf(q, "%sc%d %s", i ? ", " : "", i,
		        (int)t >= 0 && t < KP__MAX ? sql_type[t] : "TEXT");
	}
	sqlite3_str_appendall(q, ")");
	sql = sqlite3_str_finish(q);
	if (sql == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = sqlite3_exec(w->db, sql, NULL, NULL, &msg);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		kueri_err_set(err, KUERI_EDB, -1, "portal: %s",
		              msg ? msg : "create table failed");
		sqlite3_free(msg);
		return -1;
	}

	if (d->nkeys > 0) {
		q = sqlite3_str_new(w->db);
		sqlite3_str_appendf(q, "CREATE UNIQUE INDEX \"%s_pk\" ON \"%s\"(",
		                    s->tbl, s->tbl);
		for (i = 0; i < d->nkeys; i++)
			sqlite3_str_appendf(q, "%sc%d", i ? "," : "", d->keys[i]);
		sqlite3_str_appendall(q, ")");
		if ((s->pk_sql = sqlite3_str_finish(q)) == NULL)
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	}
	if (s->fts[0]) {
		q = sqlite3_str_new(w->db);
		for (i = 0, n = 0; i < d->nfields; i++)
			if (d->fields[i].type == KP_STRING && d->fields[i].searchable)
				sqlite3_str_appendf(q, "%sc%d", n++ ? ", " : "", i);
		/* columnsize=0: no "_docsize" shadow table (one row per
		 * document with its token counts), which only bm25()/rank
		 * ranking reads and $search never does (it is a MATCH filter,
		 * query/search.c): 10% fewer instructions per publish of the
		 * villages shape, 7% smaller portal, one CREATE less per
		 * resource (each CREATE's cost grows with the schema). */
		sqlite3_str_appendf(q, ", content='%s', content_rowid='rowid',"
		        " columnsize=0,"
		        " tokenize='unicode61 remove_diacritics 2'", s->tbl);
		if ((s->fts_args = sqlite3_str_finish(q)) == NULL)
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		if ((s->fts_sql = portal_fts_create_sql("main", s)) == NULL)
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		/* A load split in pieces builds its index in the scratch
		 * (ftsbuild.c); for an external-content table an INSERT
		 * writes only the full-text index, as 'rebuild' does. */
		q = sqlite3_str_new(w->db);
		sqlite3_str_appendf(q, "INSERT INTO " KW_SCRATCH ".\"%s\"(rowid",
		                    s->fts);
		for (i = 0; i < d->nfields; i++)
			if (d->fields[i].type == KP_STRING && d->fields[i].searchable)
				sqlite3_str_appendf(q, ", c%d", i);
		sqlite3_str_appendall(q, ") SELECT rowid");
		for (i = 0; i < d->nfields; i++)
			if (d->fields[i].type == KP_STRING && d->fields[i].searchable)
				sqlite3_str_appendf(q, ", c%d", i);
		sqlite3_str_appendf(q, " FROM main.\"%s\""
		                    " WHERE rowid > ?1 AND rowid <= ?2", s->tbl);
		if ((s->fts_ins = sqlite3_str_finish(q)) == NULL)
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	}
	return 0;
}

int
kp_writer_create_set(kp_writer *w, const kp_set_def *d, kueri_err *err)
{
	kw_set *s;
	int i, ns = 0;

	if (check_clash(w, d->name, err))
		return -1;
	if (w->nsets == w->cap) {
		int cap = w->cap ? w->cap * 2 : 4;
		kw_set *n = realloc(w->sets, (size_t)cap * sizeof *n);

		if (n == NULL)
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		w->sets = n;
		w->cap = cap;
	}
	s = &w->sets[w->nsets++];
	memset(s, 0, sizeof *s);
	s->nfields = d->nfields;
	s->name = xstrdup(d->name);
	s->title = d->title ? xstrdup(d->title) : NULL;
	s->sha256 = xstrdup(d->sha256 ? d->sha256 : "");
	s->fields = fields_json(d);
	s->keys = keys_json(d);
	s->types = calloc((size_t)d->nfields + 1, sizeof *s->types);
	if (!s->name || (d->title && !s->title) || !s->sha256 || !s->fields ||
	    !s->keys || !s->types)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	for (i = 0; i < d->nfields; i++) {
		s->types[i] = d->fields[i].type;
		ns += d->fields[i].type == KP_STRING && d->fields[i].searchable;
	}
	snprintf(s->tbl, sizeof s->tbl, "t%lld", w->n0 + w->nsets - 1);
	if (ns)
		snprintf(s->fts, sizeof s->fts, "t%lld_fts", w->n0 + w->nsets - 1);
	if (set_sql(w, s, d, err))
		return -1;
	return w->nsets - 1;
}

/* The set's INSERT, prepared when its first row arrives and finalized by
 * kp_writer_build: prepared at create time, each of up to 256 statements
 * would be re-prepared at its first step (every later CREATE changes the
 * schema cookie) and walked, while alive, by every
 * sqlite3ExpirePreparedStatements of the publish. */
static int
prepare_insert(kp_writer *w, kw_set *s, kueri_err *err)
{
	sqlite3_str *q = sqlite3_str_new(w->db);
	char *sql;
	int i, rc;

	sqlite3_str_appendf(q, "INSERT INTO \"%s\" VALUES(", s->tbl);
	for (i = 0; i < s->nfields; i++)
		sqlite3_str_appendf(q, i ? ",?%d" : "?%d", i + 1);
	sqlite3_str_appendall(q, ")");
	if ((sql = sqlite3_str_finish(q)) == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = sqlite3_prepare_v3(w->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                        &s->ins, NULL);
	sqlite3_free(sql);
	return rc == SQLITE_OK ? 0 : portal_db_err(w->db, err, "loader");
}

int
kp_writer_insert(kp_writer *w, int si, const kp_value *v, int nv,
                 kueri_err *err)
{
	kw_set *s;
	sqlite3_stmt *st;
	int i, rc;

	if (si < 0 || si >= w->nsets)
		return kueri_err_set(err, KUERI_EINTERNAL, -1,
		                     "loader: no resource %d", si);
	s = &w->sets[si];
	if (s->ins == NULL && prepare_insert(w, s, err))
		return -1;
	st = s->ins;
	if (nv != s->nfields)
		return kueri_err_set(err, KUERI_EINTERNAL, -1,
		        "%d values, schema %d", nv, s->nfields);
	for (i = 0; i < nv; i++) {
		if (v[i].null) {
			sqlite3_bind_null(st, i + 1);
			continue;
		}
		switch (s->types[i]) {
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
		if (is_full(w->db))
			return full_err(w->db, err, "loading rows");
		return kueri_err_set(err, KUERI_EDB, -1, "%s",
		                     sqlite3_errmsg(w->db));
	}
	s->rows++;
	if (++w->since >= w->piece)
		return piece_commit(w, err);
	return 0;
}

int
kp_writer_set_sha256(kp_writer *w, int si, const char *sha256,
                     kueri_err *err)
{
	char *d;

	if (si < 0 || si >= w->nsets)
		return kueri_err_set(err, KUERI_EINTERNAL, -1,
		                     "loader: no resource %d", si);
	if ((d = xstrdup(sha256)) == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	free(w->sets[si].sha256);
	w->sets[si].sha256 = d;
	return 0;
}

long long
kp_writer_rows(kp_writer *w, int si)
{
	return si >= 0 && si < w->nsets ? w->sets[si].rows : 0;
}

int
kp_writer_build(kp_writer *w, int si, kueri_err *err)
{
	kw_set *s;
	char *msg = NULL;
	int rc = SQLITE_OK;

	if (si < 0 || si >= w->nsets)
		return kueri_err_set(err, KUERI_EINTERNAL, -1,
		                     "loader: no resource %d", si);
	s = &w->sets[si];
	/* The INSERT is done with: its statement need not outlive it. */
	sqlite3_finalize(s->ins);
	s->ins = NULL;
	/* Once split, the last rows, the key index and the FTS build are
	 * each a piece of their own. */
	if (w->split && w->since > 0 && piece_commit(w, err))
		return -1;
	portal_phase_mark(&w->ph, "load");
	if (s->pk_sql) {
		rc = sqlite3_exec(w->db, s->pk_sql, NULL, NULL, &msg);
		if (rc == SQLITE_OK && w->split && piece_commit(w, err))
			return -1;
		portal_phase_mark(&w->ph, "key index");
	}
	if (rc == SQLITE_OK && s->fts_sql) {
		rc = sqlite3_exec(w->db, s->fts_sql, NULL, NULL, &msg);
		if (rc == SQLITE_OK && !w->split) {
			if (portal_exec_fmt(w->db, err, "INSERT INTO \"%s\"(\"%s\")"
			             " VALUES('rebuild')", s->fts, s->fts))
				return -1;
		} else if (rc == SQLITE_OK &&
		           (rc = portal_fts_build(w, s, err)) < 0) {
			return -1;
		}
		portal_phase_mark(&w->ph, "fts");
	}
	if (rc != SQLITE_OK) {
		if (is_full(w->db))
			full_err(w->db, err, "building the indexes");
		else
			kueri_err_set(err, KUERI_EDB, -1, "%s: index: %s", s->name,
			              msg ? msg : sqlite3_errmsg(w->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* ---- secondary indexes and statistics ------------------------------- */

int
kp_writer_index(kp_writer *w, int si, const kp_index *ix, kueri_err *err)
{
	kw_set *s;
	sqlite3_str *q;
	char *sql;
	int i, rc;

	if (si < 0 || si >= w->nsets)
		return kueri_err_set(err, KUERI_EINTERNAL, -1,
		                     "loader: no resource %d", si);
	s = &w->sets[si];
	if (ix->ncols < 1 || ix->ncols > KP_INDEX_MAXCOLS)
		return kueri_err_set(err, KUERI_EINTERNAL, -1,
		                     "%s: index of %d fields", s->name, ix->ncols);
	for (i = 0; i < ix->ncols; i++)
		if (ix->cols[i] < 0 || ix->cols[i] >= s->nfields)
			return kueri_err_set(err, KUERI_EINTERNAL, -1,
			        "%s: index on field %d of %d", s->name, ix->cols[i],
			        s->nfields);
	/* Only portal-made names: "t<N>_i<k>" on "t<N>"(c<i>, ...). */
	q = sqlite3_str_new(w->db);
	sqlite3_str_appendf(q, "CREATE INDEX \"%s_i%d\" ON \"%s\"(", s->tbl,
	                    s->nidx, s->tbl);
	for (i = 0; i < ix->ncols; i++)
		sqlite3_str_appendf(q, "%sc%d", i ? "," : "", ix->cols[i]);
	sqlite3_str_appendall(q, ")");
	if ((sql = sqlite3_str_finish(q)) == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = sqlite3_exec(w->db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		if (is_full(w->db))
			return full_err(w->db, err, "building the indexes");
		return kueri_err_set(err, KUERI_EDB, -1, "%s: index: %s", s->name,
		                     sqlite3_errmsg(w->db));
	}
	s->nidx++;
	rc = w->split ? piece_commit(w, err) : 0;
	portal_phase_mark(&w->ph, "index");
	return rc;
}

int
kp_writer_analyze(kp_writer *w, int si, kueri_err *err)
{
	if (si < 0 || si >= w->nsets)
		return kueri_err_set(err, KUERI_EINTERNAL, -1,
		                     "loader: no resource %d", si);
	/* A full ANALYZE reads each index once (~0.4 s at 1M rows with two
	 * secondary indexes); the sampled form (analysis_limit) misjudged
	 * rows per key by 25x on the villages data.  The previous version's
	 * statistics go when its tables are dropped. */
	if (portal_exec_fmt(w->db, err, "ANALYZE \"%s\"", w->sets[si].tbl))
		return -1;
	portal_phase_mark(&w->ph, "analyze");
	return 0;
}

int
kp_writer_facet(kp_writer *w, int si, int col, const char *value,
                size_t len, long long n, kueri_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (si < 0 || si >= w->nsets || col < -1 || col >= w->sets[si].nfields)
		return kueri_err_set(err, KUERI_EINTERNAL, -1,
		                     "loader: no facet %d of resource %d", col, si);
	if (w->facet == NULL) {
		if (portal_exec_fmt(w->db, err, "CREATE TABLE IF NOT EXISTS kueri_facet("
		        "tbl TEXT NOT NULL, col INTEGER NOT NULL, value,"
		        " n INTEGER NOT NULL);"
		        " CREATE INDEX IF NOT EXISTS kueri_facet_tbl"
		        " ON kueri_facet(tbl, col, n)"))
			return -1;
		if (sqlite3_prepare_v2(w->db, "INSERT INTO kueri_facet(tbl, col,"
		        " value, n) VALUES(?1,?2,?3,?4)", -1, &w->facet,
		        NULL) != SQLITE_OK)
			return portal_db_err(w->db, err, "portal");
	}
	st = w->facet;
	sqlite3_bind_text(st, 1, w->sets[si].tbl, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, col);
	if (value)
		sqlite3_bind_text(st, 3, value, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, n);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : portal_db_err(w->db, err, "portal");
}

static int
write_catalog(kp_writer *w, const kp_package_def *d, long long version,
              kueri_err *err)
{
	sqlite3 *db = w->db;
	sqlite3_stmt *st = NULL;
	int i, rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO kueri_package(name, title,"
	        " publisher, classification, update_frequency, version,"
	        " published_at, descriptor, fingerprint)"
	        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, w->package, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->publisher, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->classification, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->update_frequency, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, version);
	sqlite3_bind_int64(st, 7, (long long)time(NULL));
	sqlite3_bind_text(st, 8, d->descriptor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, d->fingerprint, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto dberr;

	if (sqlite3_prepare_v2(db, "INSERT INTO kueri_resource(name, package,"
	        " title, tbl, fts, rows, fields, keys, sha256)"
	        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	for (i = 0; i < w->nsets; i++) {
		kw_set *s = &w->sets[i];

		sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, w->package, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, s->title, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, s->tbl, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, s->fts, -1, SQLITE_STATIC);
		/* The row count kp_set.rows serves, so $count of a whole
		 * set needs no scan. */
		sqlite3_bind_int64(st, 6, s->rows);
		sqlite3_bind_text(st, 7, s->fields, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, s->keys, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, s->sha256, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto dberr;
	}
	sqlite3_finalize(st);
	return 0;
dberr:
	portal_db_err(db, err, "portal");
	sqlite3_finalize(st);
	return -1;
}

int
kp_writer_commit(kp_writer *w, const kp_package_def *d, long long *version,
                 kueri_err *err)
{
	long long v = w->existed ? w->version + 1 : 1;
	sqlite3 *db = w->db;
	int times = w->ph.on;
	double t0;

	portal_phase_mark(&w->ph, "facets");
	/* The previous version goes in the same transaction as the new one
	 * arrives: readers see one or the other, never both or neither. */
	if ((w->existed && portal_drop_package(db, w->package, NULL, err)) ||
	    write_catalog(w, d, v, err) ||
	    portal_exec_fmt(db, err, "INSERT OR REPLACE INTO kueri_meta(key, value)"
	             " VALUES('next_table', %lld)", w->n0 + w->nsets) ||
	    portal_exec_fmt(db, err, "COMMIT")) {
		kp_writer_rollback(w);
		return -1;
	}
	portal_phase_mark(&w->ph, "last commit");
	if (w->locked)
		portal_unlock(w->p);
	writer_free(w);
	if (version)
		*version = v;
	/* Fold the big WAL back into the file and truncate it; freed pages
	 * of the old version were zeroed (secure_delete).  Busy readers only
	 * delay this: wait a little, then leave it to the next checkpoint. */
	t0 = times ? portal_phase_cpu(NULL, NULL) : 0;
	sqlite3_busy_timeout(db, 5000);
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	if (times)
		fprintf(stderr, "kueri: phase %-12s %7.2f s CPU\n", "checkpoint",
		        portal_phase_cpu(NULL, NULL) - t0);
	return 0;
}
