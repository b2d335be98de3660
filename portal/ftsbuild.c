/*
 * ftsbuild.c -- a split load's full-text index (writer_int.h,
 * portal_fts_build).
 *
 * The FTS index of a split load is built in the scratch database and
 * copied into the portal finished.  FTS5 builds an index by writing
 * segments and merging them; in the portal every page a merge frees is
 * zeroed (secure_delete) and every page written goes through the WAL
 * and again through the checkpoint.  At 10M rows of the villages shape
 * that build wrote 2.7 GB for an index of 0.43 GB (docs/bench.md,
 * "Linear at ten million").  The scratch is a temporary file SQLite
 * deletes itself (unlinked when opened, so a kill -9 leaves nothing; in
 * SQLite's temporary directory, as its sorts are), with no journal and
 * secure_delete off: its pages only ever hold this version's public
 * rows, and the file is gone when the writer ends.  There the merges
 * cost plain writes, and the portal receives the finished segments
 * once, in pieces, in key order.
 *
 * The index is built a chunk of rows at a time (KW_FTS_CHUNK_PIECES
 * pieces), each chunk in a fresh FTS5 table: FTS5's merges are a merge
 * sort, one more pass over every posting for each 16 times more
 * flushes, so one table for 10M rows merged a level more than one for
 * 1M and the build was not linear.  A chunk's segments are renumbered
 * after the chunks' before it as they are copied (FTS5 keeps a
 * segment's id only in its blocks' "_data" ids and its "_idx" rows),
 * and ftsjoin.c writes the one structure and averages record that
 * names them all.  The portal's table, created by the same statement,
 * keeps its own "_config".
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ftsjoin.h"
#include "writer_int.h"

/* Pieces of rows per chunk of a split load's FTS index (portal_fts_build):
 * 4 x 250,000 rows, the size whose index FTS5 builds with one level of
 * merges at automerge 16. */
#define KW_FTS_CHUNK_PIECES 4

/* Chunks at most (bigger chunks past 256M rows): one segment each, every
 * one a b-tree a $search reads, and their ids (up to ~30 apart: a
 * chunk's id numbers all its segments before it merges them) stay
 * under FTS5's 65,535. */
#define KW_FTS_MAX_CHUNKS 256

/* FTS5's shadow tables are read-only to SQL under the portal's
 * defensive setting (portal.c): lifted around this file's statements
 * alone, which write them from portal-made names, and set again. */
static void
shadow_writes(sqlite3 *db, int allow)
{
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, !allow, NULL);
}

/* Rows per chunk: KW_FTS_CHUNK_PIECES pieces, more for a load so big
 * that its chunks' segments would pass FTS5's limit. */
static long long
fts_chunk_rows(const kp_writer *w, long long maxrow)
{
	long long c = w->piece * KW_FTS_CHUNK_PIECES;
	long long least = maxrow / KW_FTS_MAX_CHUNKS + 1;

	return c > least ? c : least;
}

/* One "_data" record of the scratch table (id), malloc'd into *out. */
static int
scratch_record(kp_writer *w, kw_set *s, long long id, unsigned char **out,
               int *n, kueri_err *err)
{
	sqlite3_stmt *st;
	char *sql;
	int rc;

	*out = NULL;
	*n = 0;
	sql = sqlite3_mprintf("SELECT block FROM " KW_SCRATCH ".\"%s_data\""
	                      " WHERE id = ?1", s->fts);
	if (sql == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = sqlite3_prepare_v2(w->db, sql, -1, &st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return portal_db_err(w->db, err, "full-text index");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(st, 0);

		*n = sqlite3_column_bytes(st, 0);
		if ((*out = malloc(*n > 0 ? (size_t)*n : 1)) == NULL) {
			sqlite3_finalize(st);
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		}
		if (*n > 0)
			memcpy(*out, b, (size_t)*n);
	}
	rc = sqlite3_errcode(w->db);
	sqlite3_finalize(st);
	if (*out == NULL)
		return rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW
		       ? kueri_err_set(err, KUERI_EDB, -1, "full-text index: a"
		                       " chunk has no record %lld", id)
		       : portal_db_err(w->db, err, "full-text index");
	return 0;
}

/* Copy the scratch table's segment blocks into the portal's, their ids
 * raised by `base` segments, a piece at a time in id order, then its
 * "_idx" rows.  SQLite result code, or -1 with err set. */
static int
fts_copy(kp_writer *w, kw_set *s, long long base, kueri_err *err)
{
	sqlite3_stmt *ins = NULL, *last = NULL, *idx = NULL;
	long long shift = base << FJ_SEGID_SHIFT;
	/* Segment blocks only: the two records are the join's. */
	long long after = (1LL << FJ_SEGID_SHIFT) - 1;
	/* ~4 KB blocks: 7,812 (~32 MB) a piece at 250,000 rows, about what
	 * a piece of the villages shape's rows writes. */
	long long blocks = w->piece / 32 > 0 ? w->piece / 32 : 1;
	char *sql;
	int rc;

	sql = sqlite3_mprintf("INSERT INTO main.\"%s_data\"(id, block)"
	        " SELECT id + ?3, block FROM " KW_SCRATCH ".\"%s_data\""
	        " WHERE id > ?1 ORDER BY id LIMIT ?2;", s->fts, s->fts);
	if (sql == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = sqlite3_prepare_v2(w->db, sql, -1, &ins, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return rc;
	sql = sqlite3_mprintf("SELECT max(id) FROM main.\"%s_data\"", s->fts);
	if (sql == NULL) {
		sqlite3_finalize(ins);
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	}
	rc = sqlite3_prepare_v2(w->db, sql, -1, &last, NULL);
	sqlite3_free(sql);
	while (rc == SQLITE_OK) {
		sqlite3_bind_int64(ins, 1, after);
		sqlite3_bind_int64(ins, 2, blocks);
		sqlite3_bind_int64(ins, 3, shift);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (rc != SQLITE_DONE)
			break;
		rc = SQLITE_OK;
		if (sqlite3_changes(w->db) < blocks)
			break;
		if (sqlite3_step(last) != SQLITE_ROW) {
			rc = sqlite3_errcode(w->db);
			break;
		}
		/* Chunks are copied in order of base: the portal's highest
		 * id is this chunk's last block copied. */
		after = sqlite3_column_int64(last, 0) - shift;
		sqlite3_reset(last);
		if (portal_piece_commit(w, 0, err)) {
			rc = -1;
			break;
		}
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(last);
	if (rc != SQLITE_OK)
		return rc;
	sql = sqlite3_mprintf("INSERT INTO main.\"%s_idx\"(segid, term, pgno)"
	        " SELECT segid + ?1, term, pgno FROM " KW_SCRATCH ".\"%s_idx\"",
	        s->fts, s->fts);
	if (sql == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = sqlite3_prepare_v2(w->db, sql, -1, &idx, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(idx, 1, base);
	rc = sqlite3_step(idx) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(w->db);
	sqlite3_finalize(idx);
	return rc;
}

/* Write the joined structure and averages records.  SQLite result
 * code, or -1 with err set. */
static int
fts_records(kp_writer *w, kw_set *s, const portal_fj *j, kueri_err *err)
{
	sqlite3_stmt *st;
	unsigned char *rec[2];
	int n[2], rc;
	char *sql;

	if (portal_fj_records(j, &rec[0], &n[0], &rec[1], &n[1], err))
		return -1;
	sql = sqlite3_mprintf("INSERT INTO main.\"%s_data\"(id, block)"
	                      " VALUES(?1, ?2), (?3, ?4)", s->fts);
	rc = sql ? sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, FJ_STRUCTURE_ID);
		sqlite3_bind_blob(st, 2, rec[0], n[0], SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, FJ_AVERAGES_ID);
		sqlite3_bind_blob(st, 4, rec[1], n[1], SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK
		                                     : sqlite3_errcode(w->db);
		sqlite3_finalize(st);
	}
	free(rec[0]);
	free(rec[1]);
	return rc;
}

/* One chunk, rowids (lo, hi]: built in a fresh scratch table, joined,
 * copied, dropped.  SQLite result code, or -1 with err set. */
static int
fts_chunk(kp_writer *w, kw_set *s, portal_fj *j, long long lo, long long hi,
          kueri_err *err)
{
	unsigned char *st = NULL, *avg = NULL;
	sqlite3_stmt *ins;
	long long base = 0;
	int nst, navg, rc;
	char *sql;

	if ((sql = portal_fts_create_sql(KW_SCRATCH, s)) == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = sqlite3_exec(w->db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_prepare_v2(w->db, s->fts_ins, -1, &ins, NULL) != SQLITE_OK)
		return sqlite3_errcode(w->db);
	sqlite3_bind_int64(ins, 1, lo);
	sqlite3_bind_int64(ins, 2, hi);
	rc = sqlite3_step(ins) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(w->db);
	sqlite3_finalize(ins);
	if (rc != SQLITE_OK)
		return rc;
	/* One segment a chunk: a chunk of 1M rows ends its build with ~13
	 * (automerge 16), and every segment is one more b-tree a $search
	 * looks each term up in.  Unmerged, 10M rows left 146 segments and
	 * $search took 2 to 9 times as long as on one index of 20; merged,
	 * 10 (1 at 1M).  The merge rewrites the chunk's index once more
	 * (~43 MB at 1M rows): linear, like the rest of the chunk. */
	if (portal_exec_fmt(w->db, err, "INSERT INTO " KW_SCRATCH ".\"%s\"(\"%s\")"
	             " VALUES('optimize')", s->fts, s->fts))
		return -1;
	if (scratch_record(w, s, FJ_STRUCTURE_ID, &st, &nst, err) ||
	    scratch_record(w, s, FJ_AVERAGES_ID, &avg, &navg, err) ||
	    portal_fj_add(j, st, nst, avg, navg, &base, err)) {
		free(st);
		free(avg);
		return -1;
	}
	free(st);
	free(avg);
	shadow_writes(w->db, 1);
	rc = fts_copy(w, s, base, err);
	shadow_writes(w->db, 0);
	/* The next chunk starts in an empty scratch: one whose pages a
	 * dropped table freed cost the next build ~50% more read and write
	 * calls (reused free pages are read back, and DROP reads every page
	 * to free it: 3M rows, chunks 2 and 3 against the first). */
	if (rc == SQLITE_OK && portal_piece_commit(w, 1, err))
		rc = -1;
	return rc;
}

/* Build the set's FTS index in the scratch, chunk by chunk, then write
 * the records that join the chunks.  SQLite result code, or -1 with err
 * set. */
int
portal_fts_build(kp_writer *w, kw_set *s, kueri_err *err)
{
	sqlite3_stmt *st;
	portal_fj *j;
	long long maxrow = 0, chunk, lo;
	char *sql;
	int rc;

	sql = sqlite3_mprintf("SELECT max(rowid) FROM main.\"%s\"", s->tbl);
	if (sql == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = sqlite3_prepare_v2(w->db, sql, -1, &st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		maxrow = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	/* The portal's own table was created in this transaction: commit
	 * it first, so that FTS5 reads the joined structure afresh. */
	if (portal_piece_commit(w, 0, err))
		return -1;
	if ((j = portal_fj_new()) == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	shadow_writes(w->db, 1);
	rc = portal_exec_fmt(w->db, err, "DELETE FROM main.\"%s_data\"", s->fts)
	     ? -1 : SQLITE_OK;
	shadow_writes(w->db, 0);
	chunk = fts_chunk_rows(w, maxrow);
	/* Rowids from 1 (an empty table still gets its two records). */
	for (lo = 0; rc == SQLITE_OK && (lo == 0 || lo < maxrow); lo += chunk)
		rc = fts_chunk(w, s, j, lo, lo + chunk, err);
	if (rc == SQLITE_OK) {
		shadow_writes(w->db, 1);
		rc = fts_records(w, s, j, err);
		shadow_writes(w->db, 0);
	}
	portal_fj_free(j);
	return rc;
}
