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
 *     was closed (possibly at the same address): the rules still apply.
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
	}
	qt_rmtree(dir);
	free(dir);
	return tap_done();
}
