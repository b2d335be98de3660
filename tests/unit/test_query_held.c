/*
 * test_query_held.c -- a conditional request the client already holds is
 * answered before the query runs (kq_request.held, query/exec.c).
 *
 * For each request of the table, on a published fixture, with SQLite's
 * statement trace counting the statements that start running:
 *   - asked as usual (no `held`): its status, ETag and body;
 *   - with a `held` that says "the client holds it": when the answer has
 *     an ETag, `held` is asked once with that very ETag and the answer's
 *     Last-Modified, the status is 304, no statement ran and the body is
 *     empty; an answer without an ETag (one that reads the clock) or an
 *     error is never asked about and is answered as usual;
 *   - with a `held` that says "it does not": the status, ETag and body are
 *     those of the usual answer, byte for byte.
 */
#include <sqlite3.h>

#include "qtest.h"
#include "tap.h"

static const struct {
	const char *path, *query;
	int         status;   /* the usual answer's                    */
	int         asked;    /* 1: has an ETag, so `held` is asked     */
	int         runs;     /* 1: the usual answer runs a statement   */
} cases[] = {
	{ "Products", "$top=2", 200, 1, 1 },
	{ "Products", "$count=true&$top=1", 200, 1, 1 },
	{ "Products", "$apply=groupby((City),aggregate(Price%20with%20sum%20as%20s))",
	  200, 1, 1 },
	{ "Products", "$format=csv", 200, 1, 1 },
	{ "Products/$count", "$filter=Price%20gt%203", 200, 1, 1 },
	{ "Products/$count", NULL, 200, 1, 0 },   /* the stored row count */
	{ "Products(1)", NULL, 200, 1, 1 },
	{ "Products(1)/Name", NULL, 200, 1, 1 },
	{ "Products", "$filter=BirthDate%20lt%20now()", 200, 0, 1 },
	{ "Products", "$filter=Nope%20eq%201", 400, 0, 0 },
};

struct held_ctx {
	int       answer;      /* what held() says */
	int       asked;
	char      etag[96];
	long long last_modified;
};

static int
held(void *ctx, const kq_head *h)
{
	struct held_ctx *c = ctx;

	c->asked++;
	snprintf(c->etag, sizeof c->etag, "%s", h->etag);
	c->last_modified = h->last_modified;
	return c->answer;
}

struct result {
	int    status;
	char   etag[96];
	long long last_modified;
	char  *body;
	int    started;
};

static void
ask(kportal *p, int i, struct held_ctx *hc, struct result *out)
{
	kq_request req;
	qt_buf     body = { 0 };
	kueri_sink sink = { qt_buf_sink, &body };
	kq_answer *a;

	memset(&req, 0, sizeof req);
	req.path = cases[i].path;
	req.query = cases[i].query;
	req.service_root = "http://h/odata/";
	if (hc) {
		req.held = held;
		req.held_ctx = hc;
	}
	*qt_stmts() = 0;
	a = kq_prepare(p, &req, NULL);
	memset(out, 0, sizeof *out);
	if (a == NULL)
		return;
	out->status = kq_answer_head(a)->status;
	snprintf(out->etag, sizeof out->etag, "%s", kq_answer_head(a)->etag);
	out->last_modified = kq_answer_head(a)->last_modified;
	kq_stream(a, &sink, NULL);
	qt_buf_add(&body, "", 0);
	out->body = body.p;
	out->started = *qt_stmts();
	kq_free(a);
}

int
main(void)
{
	char     *dir = qt_tmpdir();
	char      db[600];
	kueri_err err;
	kportal  *p = NULL;
	size_t    i;

	snprintf(db, sizeof db, "%s/portal.db", dir ? dir : "/nonexistent");
	ok(dir && qt_publish(db, "tests/data/abnf-fixture/datapackage.json") == 0,
	   "the fixture publishes");
	kueri_err_clear(&err);
	p = portal_open_ro(db, &err);
	ok(p != NULL, "the portal opens");
	if (p == NULL)
		goto out;
	qt_stmts_watch(portal_db(p));

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct result   usual, yes, no;
		struct held_ctx hy = { 1, 0, "", 0 }, hn = { 0, 0, "", 0 };
		const char     *q = cases[i].query ? cases[i].query : "";

		ask(p, (int)i, NULL, &usual);
		ask(p, (int)i, &hy, &yes);
		ask(p, (int)i, &hn, &no);
		is_int(usual.status, cases[i].status, "%s?%s: the usual status",
		       cases[i].path, q);
		ok((usual.etag[0] != '\0') == cases[i].asked,
		   "%s?%s: the usual answer %s an ETag", cases[i].path, q,
		   cases[i].asked ? "has" : "has no");
		ok((usual.started > 0) == cases[i].runs,
		   "%s?%s: the usual answer runs %s statement (%d)", cases[i].path,
		   q, cases[i].runs ? "a" : "no", usual.started);
		if (cases[i].asked) {
			is_int(hy.asked, 1, "%s?%s: held is asked once", cases[i].path, q);
			is_str(hy.etag, usual.etag, "%s?%s: ... with the answer's ETag",
			       cases[i].path, q);
			ok(hy.last_modified == usual.last_modified,
			   "%s?%s: ... and its Last-Modified", cases[i].path, q);
			is_int(yes.status, 304, "%s?%s: held → 304", cases[i].path, q);
			is_int(yes.started, 0, "%s?%s: ... and no statement ran",
			       cases[i].path, q);
			is_str(yes.body ? yes.body : "?", "", "%s?%s: ... and no body",
			       cases[i].path, q);
		} else {
			is_int(hy.asked, 0, "%s?%s: held is never asked",
			       cases[i].path, q);
			is_int(yes.status, usual.status, "%s?%s: ... and the answer is "
			       "the usual one", cases[i].path, q);
		}
		is_int(no.status, usual.status, "%s?%s: not held → the usual status",
		       cases[i].path, q);
		is_str(no.etag, usual.etag, "%s?%s: ... the usual ETag",
		       cases[i].path, q);
		ok(no.body && usual.body && strcmp(no.body, usual.body) == 0 &&
		   usual.body[0] != '\0',
		   "%s?%s: ... and the usual body", cases[i].path, q);
		free(usual.body);
		free(yes.body);
		free(no.body);
	}
	portal_close(p);
out:
	qt_rmtree(dir);
	free(dir);
	return tap_done();
}
