/*
 * test_query_hooks.c -- the engine's authorizer stays in force when it is
 * kept installed on a connection between answers (query/exec.c installs a
 * trampoline once instead of setting and clearing the authorizer per
 * answer, which expired every cached statement of the connection).
 *
 * Checks, on a published fixture:
 *   - while an answer is alive, another statement prepared on the same
 *     connection that reads a table outside the set is refused
 *     (SQLITE_AUTH): the trampoline forwards to the answer's rules;
 *   - after kq_free the connection is unrestricted again (the catalog
 *     and the service's own statements must still prepare);
 *   - a statement prepared and cached before an answer is not expired by
 *     it: it steps without a re-prepare (sqlite3_stmt_status REPREPARE);
 *   - the same holds on a second portal connection opened after the first
 *     was closed (possibly at the same address): the rules still apply;
 *   - the per-portal statement cache (the same SQL text asked again reuses
 *     its prepared statement) changes no answer: repeated queries whose
 *     values differ only in bound parameters, more distinct queries than
 *     the cache holds, two live answers with the same SQL, and the same
 *     query after a republish (new tables) all answer byte for byte as a
 *     freshly opened portal does.
 */
#include <sqlite3.h>

#include "qtest.h"
#include "tap.h"

static int
prepares(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	sqlite3_finalize(st);
	return rc;
}

static void
round_on(const char *db, const char *label)
{
	kueri_err err;
	kueri_err_clear(&err);
	kportal *p = portal_open_ro(db, &err);
	ok(p != NULL, "%s: the portal opens", label);
	if (p == NULL)
		return;
	sqlite3 *c = portal_db(p);
	sqlite3_stmt *cached = NULL;
	ok(sqlite3_prepare_v3(c, "SELECT count(*) FROM kueri_resource", -1,
	                      SQLITE_PREPARE_PERSISTENT, &cached, NULL) == SQLITE_OK,
	   "%s: a service statement prepares before any answer", label);

	for (int i = 0; i < 3; i++) {
		kq_request req;
		memset(&req, 0, sizeof req);
		req.path = "Products";
		req.query = "$top=2";
		req.service_root = "";
		kq_answer *a = kq_prepare(p, &req, NULL);
		ok(a != NULL && kq_answer_head(a)->status == 200,
		   "%s #%d: the answer prepares (200)", label, i);
		ok(prepares(c, "SELECT * FROM kueri_resource") == SQLITE_AUTH,
		   "%s #%d: while it lives, reading another table on its "
		   "connection is refused", label, i);
		qt_buf body = { 0 };
		kueri_sink sink = { qt_buf_sink, &body };
		ok(a != NULL && kq_stream(a, &sink, NULL) == 0 && body.p &&
		   strstr(body.p, "\"value\":[{"),
		   "%s #%d: it streams rows", label, i);
		qt_buf_free(&body);
		kq_free(a);
		ok(prepares(c, "SELECT * FROM kueri_resource") == SQLITE_OK,
		   "%s #%d: after kq_free the connection is unrestricted", label, i);
		int before = sqlite3_stmt_status(cached, SQLITE_STMTSTATUS_REPREPARE, 0);
		int rc = sqlite3_step(cached);
		sqlite3_reset(cached);
		int after = sqlite3_stmt_status(cached, SQLITE_STMTSTATUS_REPREPARE, 0);
		/* the first answer on a connection installs the trampoline,
		 * which expires statements once; later answers must not */
		ok(rc == SQLITE_ROW && (i == 0 || after == before),
		   "%s #%d: the cached statement runs%s", label, i,
		   i == 0 ? "" : " without a re-prepare");
	}
	sqlite3_finalize(cached);
	portal_close(p);
}


/* The body of one request on p (caller frees), "" on failure. */
static char *
body_of(kportal *p, const char *path, const char *query)
{
	qt_resp r;
	qt_run(p, "http://h/odata/", path, query, NULL, NULL, NULL, &r);
	char *b = strdup(r.status == 200 && r.body.p ? r.body.p : "");
	qt_resp_free(&r);
	return b;
}

/* The same on a portal opened just for it (no statement cached). */
static char *
fresh_body(const char *db, const char *path, const char *query)
{
	kueri_err err;
	kueri_err_clear(&err);
	kportal *p = portal_open_ro(db, &err);
	char *b = p ? body_of(p, path, query) : strdup("");
	portal_close(p);
	return b;
}

static void
cache_checks(const char *db)
{
	static const char *const qs[] = {
		"$filter=ID eq 1", "$filter=ID eq 2", "$filter=ID eq 5",
		"$filter=Name eq 'Milk'", "$filter=Name eq 'Cheese'",
		"$top=1", "$top=3", "$top=3&$skip=2", "$select=Name&$top=2",
		"$orderby=Price desc&$top=2", "$count=true&$filter=Price gt 3",
		"$count=true&$filter=Price gt 1",
	};
	kueri_err err;
	kueri_err_clear(&err);
	kportal *p = portal_open_ro(db, &err);
	int n = (int)(sizeof qs / sizeof qs[0]), same = 0, round, i;

	ok(p != NULL, "cache: the portal opens");
	if (p == NULL)
		return;
	for (round = 0; round < 2; round++)
		for (i = 0; i < n; i++) {
			char *a = body_of(p, "Products", qs[i]);
			char *b = fresh_body(db, "Products", qs[i]);
			if (a[0] && strcmp(a, b) == 0)
				same++;
			else
				printf("# differs: %s\n#  cached: %.300s\n#  fresh:  %.300s\n",
				       qs[i], a, b);
			free(a);
			free(b);
		}
	ok(same == 2 * n, "cache: %d queries asked twice (values differing only "
	   "in bound parameters, more than the cache holds) answer as a fresh "
	   "portal does (%d/%d)", n, same, 2 * n);

	/* two live answers with the same SQL */
	{
		kq_request req;
		memset(&req, 0, sizeof req);
		req.path = "Products";
		req.query = "$filter=ID eq 2";
		req.service_root = "http://h/odata/";
		kq_answer *x = kq_prepare(p, &req, NULL);
		kq_answer *y = kq_prepare(p, &req, NULL);
		qt_buf bx = { 0 }, by = { 0 };
		kueri_sink sx = { qt_buf_sink, &bx }, sy = { qt_buf_sink, &by };
		int okx = x && kq_stream(x, &sx, NULL) == 0;
		int oky = y && kq_stream(y, &sy, NULL) == 0;
		char *want = fresh_body(db, "Products", "$filter=ID eq 2");
		ok(okx && oky && bx.p && by.p && strcmp(bx.p, want) == 0 &&
		   strcmp(by.p, want) == 0,
		   "cache: two live answers with the same SQL both answer right");
		free(want);
		qt_buf_free(&bx);
		qt_buf_free(&by);
		kq_free(x);
		kq_free(y);
		char *again = body_of(p, "Products", "$filter=ID eq 2");
		want = fresh_body(db, "Products", "$filter=ID eq 2");
		ok(strcmp(again, want) == 0 && again[0],
		   "cache: and the query still answers right afterwards");
		free(again);
		free(want);
	}

	/* republish: new version, new physical tables */
	{
		char *before = body_of(p, "Products", "$filter=ID eq 1");
		int pub = qt_publish(db, "tests/data/abnf-fixture/datapackage.json");
		kueri_err_clear(&err);
		int rr = portal_refresh(p, &err);
		char *after = body_of(p, "Products", "$filter=ID eq 1");
		char *want = fresh_body(db, "Products", "$filter=ID eq 1");
		ok(pub == 0 && rr >= 0 && after[0] && strcmp(after, want) == 0 &&
		   before[0],
		   "cache: after a republish the same query answers as a fresh "
		   "portal does");
		free(before);
		free(after);
		free(want);
	}
	portal_close(p);
}

int
main(void)
{
	char *dir = qt_tmpdir();
	char db[600];
	snprintf(db, sizeof db, "%s/portal.db", dir ? dir : "/nonexistent");
	int pub = dir ? qt_publish(db, "tests/data/abnf-fixture/datapackage.json") : -1;
	ok(pub == 0, "the fixture publishes");
	if (pub == 0) {
		round_on(db, "first connection");
		round_on(db, "second connection");
		cache_checks(db);
	}
	qt_rmtree(dir);
	free(dir);
	return tap_done();
}
