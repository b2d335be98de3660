/*
 * test_ftsjoin.c -- joining FTS5 indexes built apart (portal/ftsjoin.c).
 *
 * Part 1, records as data: each case gives chunks' structure and
 * averages records (hex) and the joined records expected, or the error
 * a malformed chunk must get; a refused chunk leaves the join as it
 * was.  Part 2, against SQLite's own FTS5: three tables hold a third of
 * some rows each, their segments are copied into a fourth as
 * portal/writer.c copies a publish's chunks (block ids and "_idx"
 * segids raised by the base the join gives), the joined records are
 * written, and the fourth must pass FTS5's integrity-check against its
 * content and answer every MATCH as a table built in one go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../../portal/ftsjoin.h"
#include "tap.h"

static int
unhex(const char *h, unsigned char *out)
{
	int n = 0;

	while (h[0] && h[1]) {
		if (h[0] == ' ') {
			h++;
			continue;
		}
		sscanf(h, "%2hhx", &out[n++]);
		h += 2;
	}
	return n;
}

static void
tohex(const unsigned char *p, int n, char *out)
{
	int i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

/* One case: up to three chunks, then the joined records (hex, no
 * spaces) or, for the last chunk, the words its error must contain. */
typedef struct jcase {
	const char *what;
	const char *st[3], *avg[3];
	long long   base[3];
	const char *want_st, *want_avg;
	const char *err;      /* the last chunk is refused with this */
	int         before;   /* ... and the join keeps this many segments */
} jcase;

/* Structure: cookie, nLevel, nSegment, nWriteCounter, then per level
 * nMerge nSeg (segid first last)... */
static const jcase cases[] = {
	{ "one chunk is itself, its merge marker cleared",
	  { "00000003 02 03 05  00 01 02 01 03  01 02 01 01 14 03 01 02", 0 },
	  { "0a 28 07", 0 }, { 0 },
	  "00000003020305" "0001020103" "0002010114030102", "0a2807", NULL, 0 },
	{ "two chunks: segments renumbered after the first's highest id,"
	  " level by level, totals summed",
	  { "00000003 01 01 05  00 01 01 01 03",
	    "00000003 02 02 09  00 01 02 01 01  00 01 01 01 14", 0 },
	  { "0a 28 07", "14 50 03", 0 }, { 0, 1 },
	  "0000000302030e" "000201010303 0101" "00010201 14",
	  "1e 78 0a", NULL, 0 },
	{ "large numbers keep every bit (varints of 2 to 9 bytes)",
	  { "00000001 01 01 ffffffffffffffffff  00 01 01 8100 ff7f",
	    "00000001 00 00 00", 0 },
	  { "81 80 00", "80 c0 80 80 80 80 80 80 00", 0 }, { 0, 1 },
	  "000000010101ffffffffffffffffff" "0001018100ff7f",
	  "80c08080808080c000", NULL, 0 },
	{ "an empty chunk (no segment) joins as nothing",
	  { "00000001 01 01 02  00 01 07 01 09", "00000001 00 00 00", 0 },
	  { "05 10", "00 00", 0 }, { 0, 7 },
	  "00000001010102" "0001070109", "0510", NULL, 0 },
	{ "a truncated record is refused",
	  { "00000001 01 01 02  00 01 07 01", 0 }, { "05", 0 }, { 0 },
	  NULL, NULL, "malformed", 0 },
	{ "bytes after the last segment are refused",
	  { "00000001 01 01 02  00 01 07 01 09 00", 0 }, { "05", 0 }, { 0 },
	  NULL, NULL, "bytes after", 0 },
	{ "a level merging more segments than it has is refused",
	  { "00000001 01 01 02  02 01 07 01 09", 0 }, { "05", 0 }, { 0 },
	  NULL, NULL, "segment count", 0 },
	{ "a segment count that is not the levels' sum is refused",
	  { "00000001 01 02 02  00 01 07 01 09", 0 }, { "05", 0 }, { 0 },
	  NULL, NULL, "levels' sum", 0 },
	{ "segment id 0 is refused",
	  { "00000001 01 01 02  00 01 00 01 09", 0 }, { "05", 0 }, { 0 },
	  NULL, NULL, "its id or pages", 0 },
	{ "a last page before the first is refused",
	  { "00000001 01 01 02  00 01 01 09 01", 0 }, { "05", 0 }, { 0 },
	  NULL, NULL, "its id or pages", 0 },
	{ "the V2 format (SQLite 3.44, tombstones) is refused, not guessed",
	  { "00000001 ff000001 01 01 02 00 01 01 01 09", 0 }, { "05", 0 }, { 0 },
	  NULL, NULL, "V2", 0 },
	{ "a cookie alone is too short",
	  { "000000", 0 }, { "05", 0 }, { 0 }, NULL, NULL, "3 bytes", 0 },
	{ "averages with another column count than the chunks before",
	  { "00000001 01 01 02  00 01 01 01 09", "00000001 00 00 00", 0 },
	  { "05 10", "05 10 11", 0 }, { 0, 0 }, NULL, NULL, "3 totals", 1 },
	{ "empty averages are refused",
	  { "00000001 00 00 00", 0 }, { "", 0 }, { 0 }, NULL, NULL, "averages", 0 },
	{ "segment ids past 65,535 are refused",
	  { "00000001 01 01 02  00 01 83ff7f 01 09",
	    "00000001 01 01 02  00 01 02 01 09", 0 },
	  { "05", "05", 0 }, { 0, 0 }, NULL, NULL, "ids to 65537", 1 },
};

static void
part1(void)
{
	size_t c;

	for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const jcase *k = &cases[c];
		portal_fj *j = portal_fj_new();
		unsigned char st[256], avg[64], want[256], *os, *oa;
		char hex[600], whex[600];
		int n, i, nchunk, nst, navg, nos, noa, good = 1;
		long long base;
		kueri_err e;

		for (nchunk = 0; nchunk < 3 && k->st[nchunk]; nchunk++)
			;
		for (i = 0; i < nchunk; i++) {
			nst = unhex(k->st[i], st);
			navg = unhex(k->avg[i], avg);
			kueri_err_clear(&e);
			base = -1;
			if (portal_fj_add(j, st, nst, avg, navg, &base, &e)) {
				good = 0;
				break;
			}
			if (base != k->base[i])
				good = 0;
		}
		if (k->err) {
			ok(i == nchunk - 1 && !good && strstr(e.msg, k->err) &&
			   e.code == KUERI_EDB, "%s (%s)", k->what, e.msg);
			/* Unchanged by the refusal: the chunks before it
			 * still join (or nothing does). */
			is_int(portal_fj_segments(j), k->before,
			       "%s: the join is unchanged", k->what);
			portal_fj_free(j);
			continue;
		}
		ok(good, "%s: every chunk added at its base", k->what);
		n = portal_fj_records(j, &os, &nos, &oa, &noa, &e);
		ok(n == 0, "%s: records written", k->what);
		if (n == 0) {
			tohex(os, nos, hex);
			tohex(want, unhex(k->want_st, want), whex);
			is_str(hex, whex, "%s: structure", k->what);
			tohex(oa, noa, hex);
			tohex(want, unhex(k->want_avg, want), whex);
			is_str(hex, whex, "%s: averages", k->what);
			free(os);
			free(oa);
		}
		portal_fj_free(j);
	}
	{
		portal_fj *j = portal_fj_new();
		unsigned char *os, *oa;
		int nos, noa;
		kueri_err e;

		ok(portal_fj_records(j, &os, &nos, &oa, &noa, &e) == -1 &&
		   e.code == KUERI_EINTERNAL, "no chunk: nothing to join");
		portal_fj_free(j);
	}
}

/* ---- part 2: SQLite's FTS5 reads the join --------------------------- */

static sqlite3 *db;

static int
exec(const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		printf("# %s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	return rc;
}

static long long
one(const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
record(const char *tbl, long long id, unsigned char **p, int *n)
{
	sqlite3_stmt *st;
	char sql[128];
	int rc = -1;

	snprintf(sql, sizeof sql, "SELECT block FROM %s_data WHERE id = ?", tbl);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*n = sqlite3_column_bytes(st, 0);
		*p = malloc((size_t)*n + 1);
		memcpy(*p, sqlite3_column_blob(st, 0), (size_t)*n);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

#define ROWS 3000
#define FTS_ARGS "(a, b, content='doc', content_rowid='rowid', columnsize=0," \
                 " tokenize='unicode61 remove_diacritics 2')"

static void
part2(void)
{
	static const char *const words[] = {
		"desa", "kota", "pasar", "sungai", "gunung", "pantai", "sawah",
		"hutan", "jalan", "sekolah", "masjid", "pura", "gereja", "bandara",
	};
	static const char *const q[] = {
		"desa", "kota AND pasar", "\"sungai hutan\"", "pan*", "w1234",
		"w1", "hutan NOT jalan", "b2999", "b1", "b1000 OR b1001 OR w2001",
		"a:desa", "gereja* AND b2*",
	};
	portal_fj *j = portal_fj_new();
	unsigned char *st, *avg, *os, *oa;
	int nst, navg, nos, noa, i, c, bad = 0;
	long long base;
	sqlite3_stmt *ins, *one_q, *joined_q;
	char sql[512];
	kueri_err e;

	ok(sqlite3_open(":memory:", &db) == SQLITE_OK, "2: an in-memory database");
	exec("CREATE TABLE doc(a TEXT, b TEXT)");
	sqlite3_prepare_v2(db, "INSERT INTO doc(rowid, a, b) VALUES(?, ?, ?)",
	                   -1, &ins, NULL);
	for (i = 1; i <= ROWS; i++) {
		char a[128], b[64];

		snprintf(a, sizeof a, "%s %s %s w%d", words[i % 14],
		         words[(i * 7) % 14], words[(i / 3) % 14], i % 1500);
		snprintf(b, sizeof b, "b%d %s", i, words[(i * 5) % 13]);
		sqlite3_bind_int(ins, 1, i);
		sqlite3_bind_text(ins, 2, a, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 3, b, -1, SQLITE_TRANSIENT);
		sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	/* "whole": built in one go; "joined": from three chunks of 1,000
	 * rows.  A 2 KB hash, so that every chunk flushes several segments
	 * and merges some of them (automerge 4 by default). */
	exec("CREATE VIRTUAL TABLE whole USING fts5" FTS_ARGS);
	exec("INSERT INTO whole(whole) VALUES('rebuild')");
	exec("CREATE VIRTUAL TABLE joined USING fts5" FTS_ARGS);
	exec("DELETE FROM joined_data");
	for (c = 0; c < 3; c++) {
		exec("CREATE VIRTUAL TABLE chunk USING fts5" FTS_ARGS);
		exec("INSERT INTO chunk(chunk, rank) VALUES('hashsize', 2048)");
		snprintf(sql, sizeof sql, "INSERT INTO chunk(rowid, a, b)"
		         " SELECT rowid, a, b FROM doc WHERE rowid > %d AND"
		         " rowid <= %d", c * 1000, c * 1000 + 1000);
		exec(sql);
		st = avg = NULL;
		if (record("chunk", FJ_STRUCTURE_ID, &st, &nst) ||
		    record("chunk", FJ_AVERAGES_ID, &avg, &navg) ||
		    portal_fj_add(j, st, nst, avg, navg, &base, &e)) {
			bad++;
			printf("# chunk %d: %s\n", c, e.msg);
		}
		free(st);
		free(avg);
		snprintf(sql, sizeof sql, "INSERT INTO joined_data(id, block)"
		         " SELECT id + (%lld << %d), block FROM chunk_data"
		         " WHERE id >= (1 << %d);"
		         " INSERT INTO joined_idx(segid, term, pgno)"
		         " SELECT segid + %lld, term, pgno FROM chunk_idx;"
		         " DROP TABLE chunk;", base, FJ_SEGID_SHIFT,
		         FJ_SEGID_SHIFT, base);
		bad += exec(sql) != SQLITE_OK;
	}
	ok(bad == 0, "2: three chunks built, added and copied");
	ok(portal_fj_segments(j) > 3, "2: the chunks had %d segments in all",
	   portal_fj_segments(j));
	ok(portal_fj_records(j, &os, &nos, &oa, &noa, &e) == 0, "2: records");
	sqlite3_prepare_v2(db, "INSERT INTO joined_data(id, block)"
	                   " VALUES(10, ?), (1, ?)", -1, &ins, NULL);
	sqlite3_bind_blob(ins, 1, os, nos, SQLITE_STATIC);
	sqlite3_bind_blob(ins, 2, oa, noa, SQLITE_STATIC);
	is_int(sqlite3_step(ins), SQLITE_DONE, "2: the joined records written");
	sqlite3_finalize(ins);
	free(os);
	free(oa);
	/* rank 1: for an external-content table FTS5 then also checks the
	 * index against the content table's rows (plain 'integrity-check'
	 * only checks the index against itself). */
	is_int(exec("INSERT INTO joined(joined, rank) VALUES('integrity-check', 1)"),
	       SQLITE_OK, "2: FTS5's integrity-check of the joined index"
	       " against its content passes");
	/* The check can fail: content changed behind the index's back. */
	exec("CREATE TEMP TABLE saved AS SELECT b FROM doc WHERE rowid = 1500;"
	     " UPDATE doc SET b = 'ganti' WHERE rowid = 1500");
	ok(sqlite3_exec(db, "INSERT INTO joined(joined, rank)"
	                " VALUES('integrity-check', 1)", NULL, NULL, NULL)
	   != SQLITE_OK, "2: (the same check fails once a row's content"
	   " differs from the index)");
	exec("UPDATE doc SET b = (SELECT b FROM saved) WHERE rowid = 1500");
	is_int(exec("INSERT INTO joined(joined, rank) VALUES('integrity-check', 1)"),
	       SQLITE_OK, "2: (and passes again once it is restored)");
	is_int(one("SELECT count(DISTINCT segid) FROM joined_idx"),
	       portal_fj_segments(j), "2: its \"_idx\" names every joined segment");
	sqlite3_prepare_v2(db, "SELECT count(*), total(rowid), min(rowid),"
	                   " max(rowid) FROM whole(?)", -1, &one_q, NULL);
	sqlite3_prepare_v2(db, "SELECT count(*), total(rowid), min(rowid),"
	                   " max(rowid) FROM joined(?)", -1, &joined_q, NULL);
	for (i = 0; i < (int)(sizeof q / sizeof q[0]); i++) {
		char a[96], b[96];

		sqlite3_bind_text(one_q, 1, q[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(joined_q, 1, q[i], -1, SQLITE_STATIC);
		a[0] = b[0] = '\0';
		if (sqlite3_step(one_q) == SQLITE_ROW)
			snprintf(a, sizeof a, "%lld %.0f %lld %lld",
			         (long long)sqlite3_column_int64(one_q, 0),
			         sqlite3_column_double(one_q, 1),
			         (long long)sqlite3_column_int64(one_q, 2),
			         (long long)sqlite3_column_int64(one_q, 3));
		if (sqlite3_step(joined_q) == SQLITE_ROW)
			snprintf(b, sizeof b, "%lld %.0f %lld %lld",
			         (long long)sqlite3_column_int64(joined_q, 0),
			         sqlite3_column_double(joined_q, 1),
			         (long long)sqlite3_column_int64(joined_q, 2),
			         (long long)sqlite3_column_int64(joined_q, 3));
		sqlite3_reset(one_q);
		sqlite3_reset(joined_q);
		ok(a[0] && strcmp(a, b) == 0 && strncmp(a, "0 ", 2) != 0,
		   "2: MATCH '%s': joined %s, whole %s (count, sum, min, max)",
		   q[i], b, a);
	}
	sqlite3_finalize(one_q);
	sqlite3_finalize(joined_q);
	/* A query reading every doclist in order: rows from all chunks. */
	is_int(one("SELECT count(*) FROM joined WHERE joined MATCH 'b*'"),
	       ROWS, "2: a prefix query over every row finds all %d", ROWS);
	portal_fj_free(j);
	sqlite3_close(db);
}

int
main(void)
{
	part1();
	part2();
	return tap_done();
}
