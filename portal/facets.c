/*
 * facets.c -- reading the facet counts stored at publish (kueri_facet,
 * written by writer.c's kp_writer_facet): per low-cardinality field of a
 * set, every value with its count over the whole set.  A dataset page of
 * a big set shows them instead of running a GROUP BY per field
 * (query/facet.c).  Only published -- that is public -- sets have rows
 * here, and they go with their tables (writer.c's drop_package).
 */
#include <sqlite3.h>

#include "portal.h"

int
portal_facets(kportal *p, const kp_set *s,
              int (*fn)(void *ctx, int col, const char *value, long long n),
              void *ctx)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	/* Fails on a portal published before the table existed: -1, "none
	 * stored", and the caller falls back to its own queries. */
	if (sqlite3_prepare_v2(portal_db(p), "SELECT col, value, n FROM"
	        " kueri_facet WHERE tbl = ?1 ORDER BY col, n DESC, value",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, s->table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (fn(ctx, sqlite3_column_int(st, 0),
		       (const char *)sqlite3_column_text(st, 1),
		       sqlite3_column_int64(st, 2)))
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -1;
}
