/*
 * test_query_admit.c -- the engine's side of the admission of expensive
 * queries (kq_limits.admit; fcgi/serve.c holds the places):
 *   - before the first step it asks whether the same answer is being
 *     computed (admit(key, 0)); "yes" is a 503 with Retry-After: 1 and no
 *     statement runs; it asks again while the step runs, and "yes" then
 *     stops it, whether or not it is heavy yet;
 *   - once the request is heavy (*lim.heavy) during its first step it asks
 *     for a place (admit(key, 1)); "no" stops the query: 503, Retry-After,
 *     the limit named; "yes" lets it finish and gives the place back
 *     (admit_done) exactly once;
 *   - a request that never becomes heavy never asks for a place, and a
 *     stream already under way is never stopped;
 *   - an answer without an ETag (now()) is never matched as "the same".
 * On a portal of 100,000 rows whose groupby over a name of 100,000 values
 * takes many SQLite steps (the progress handler runs every 1,000).
 */
#include <sqlite3.h>

#include "portal_fixture.h"
#include "qtest.h"
#include "tap.h"

#define ROWS 100000
static const kp_field big_fields[] = {
	{ .name = "k", .type = KP_INTEGER, .nullable = 0 },
	{ .name = "name", .type = KP_STRING, .nullable = 1 },
	{ .name = "v", .type = KP_INTEGER, .nullable = 1 },
	{ .name = "d", .type = KP_DATE, .nullable = 1 },
};
static const int big_key[] = { 0 };
static const kp_package_def big_pkg = { "P", "X", "public", NULL, "{}", "fp" };

static int
make_big(const char *path)
{
	kp_value *cells = calloc((size_t)ROWS * 4, sizeof *cells);
	char     *names = malloc((size_t)ROWS * 24);
	pf_set    set = { "big", NULL, 4, big_fields, 1, big_key, ROWS, NULL };
	long long i;
	int       r = -1;

	if (cells && names) {
		for (i = 1; i <= ROWS; i++) {
			kp_value *row = cells + (i - 1) * 4;
			char     *nm = names + (i - 1) * 24;

			row[0].i = i;
			row[1].s = nm;
			row[1].len = (size_t)snprintf(nm, 24, "name-%lld", i * 7919 % ROWS);
			row[2].i = i % 97;
			row[3].i = 19000 + i % 365;   /* days since 1970 */
		}
		set.cells = cells;
		r = pf_make(path, "p", &big_pkg, &set, 1);
	}
	free(cells);
	free(names);
	return r;
}

#define EXPENSIVE "$apply=groupby((name),aggregate(v%20with%20sum%20as%20s))" \
	"&$orderby=s%20desc&$top=3"

/* The fake server: what admit() answers, and what it was asked. */
static struct {
	int                same_answer, claim_answer;
	int                same_after;   /* >0: -1 from the (n+1)-th ask on */
	int                asked_same, asked_claim, done;
	unsigned long long key;
} fs;
static int heavy;

static int
fake_admit(unsigned long long key, int claim)
{
	fs.key = key;
	if (claim) {
		fs.asked_claim++;
		return fs.claim_answer;
	}
	fs.asked_same++;
	if (fs.same_after > 0 && fs.asked_same > fs.same_after)
		return -1;
	return fs.same_answer;
}

static void
fake_done(void)
{
	fs.done++;
}

struct got {
	int       status, retry;
	char      msg[400];
	long long bytes;
	int       stream_rc;
};

/* query with the fake server; heavy_during_stream: set *heavy only after
 * kq_prepare returned (the stream is under way). */
static void
ask(kportal *p, const char *query, int heavy_at_start, int heavy_in_stream,
    struct got *g)
{
	kq_request req;
	kq_limits  lim;
	qt_buf     body = { 0 };
	kueri_sink sink = { qt_buf_sink, &body };
	kq_answer *a;
	const kueri_err *e;

	memset(&req, 0, sizeof req);
	req.path = "big";
	req.query = query;
	req.service_root = "";
	kq_limits_default(&lim);
	lim.time_ms = 60000;
	lim.heavy = &heavy;
	lim.admit = fake_admit;
	lim.admit_done = fake_done;
	lim.max_heavy = 3;
	heavy = heavy_at_start;
	*qt_stmts() = 0;
	memset(g, 0, sizeof *g);
	a = kq_prepare(p, &req, &lim);
	if (a == NULL)
		return;
	g->status = kq_answer_head(a)->status;
	g->retry = kq_answer_head(a)->retry_after;
	if (heavy_in_stream)
		heavy = 1;
	g->stream_rc = kq_stream(a, &sink, NULL);
	e = kq_stream_error(a);
	if (e)
		snprintf(g->msg, sizeof g->msg, "%s", e->msg);
	g->bytes = (long long)body.n;
	qt_buf_free(&body);
	kq_free(a);
}

int
main(void)
{
	char     *dir = qt_tmpdir();
	char      db[600];
	kueri_err err;
	kportal  *p;
	struct got g;

	snprintf(db, sizeof db, "%s/portal.db", dir ? dir : "/nonexistent");
	ok(dir && make_big(db) == 0, "a portal of %d rows", ROWS);
	kueri_err_clear(&err);
	p = portal_open_ro(db, &err);
	ok(p != NULL, "it opens");
	if (p == NULL)
		goto out;
	qt_stmts_watch(portal_db(p));

	/* a request that never becomes heavy */
	memset(&fs, 0, sizeof fs);
	ask(p, EXPENSIVE, 0, 0, &g);
	is_int(g.status, 200, "not heavy: 200");
	ok(fs.asked_same > 1, "... the engine asked whether the same answer is "
	   "being computed, before its first step and while it ran (%d times)",
	   fs.asked_same);
	ok(fs.key != 0, "... by its key");
	is_int(fs.asked_claim, 0, "... and never asked for a place");
	is_int(fs.done, 0, "... nor gave one back");

	/* the same answer is being computed elsewhere */
	memset(&fs, 0, sizeof fs);
	fs.same_answer = -1;
	ask(p, EXPENSIVE, 0, 0, &g);
	is_int(g.status, 503, "the same answer running elsewhere: 503");
	is_int(g.retry, 1, "... with Retry-After: 1");
	ok(strstr(g.msg, "this very query is running") != NULL,
	   "... saying why (%s)", g.msg);
	is_int(*qt_stmts(), 0, "... and no statement ran");

	/* not heavy yet, and another query takes a place for the same answer
	 * while this one runs (a herd all starts at once): it stops at once
	 * rather than when it is heavy enough to ask for a place */
	memset(&fs, 0, sizeof fs);
	fs.same_after = 3;
	ask(p, EXPENSIVE, 0, 0, &g);
	is_int(g.status, 503, "the same answer admitted elsewhere while it runs: 503");
	is_int(g.retry, 1, "... with Retry-After: 1");
	ok(strstr(g.msg, "this very query is running") != NULL,
	   "... saying why (%s)", g.msg);
	is_int(fs.asked_same, 4, "... at the first question after the other was "
	       "admitted");
	is_int(fs.asked_claim, 0, "... without asking for a place");

	/* heavy, and every place taken */
	memset(&fs, 0, sizeof fs);
	fs.claim_answer = -1;
	ask(p, EXPENSIVE, 1, 0, &g);
	is_int(g.status, 503, "heavy with every place taken: 503");
	is_int(g.retry, 1, "... with Retry-After: 1");
	ok(strstr(g.msg, "limit of 3 expensive queries at once "
	          "(--max-heavy)") != NULL, "... naming the limit (%s)", g.msg);
	is_int(fs.asked_claim, 1, "... asked for a place once");
	is_int(fs.done, 0, "... and gave none back (it got none)");

	/* heavy, and the place refused because another holds the same
	 * answer (a herd all passed the first question) */
	memset(&fs, 0, sizeof fs);
	fs.claim_answer = -2;
	ask(p, EXPENSIVE, 1, 0, &g);
	is_int(g.status, 503, "heavy, the same answer claimed by another: 503");
	is_int(g.retry, 1, "... with Retry-After: 1");
	ok(strstr(g.msg, "this very query is running") != NULL,
	   "... saying why, not the limit (%s)", g.msg);
	is_int(fs.done, 0, "... and gave no place back (it got none)");

	/* heavy, admitted */
	memset(&fs, 0, sizeof fs);
	ask(p, EXPENSIVE, 1, 0, &g);
	is_int(g.status, 200, "heavy and admitted: 200");
	ok(g.stream_rc == 0 && g.bytes > 50, "... the whole body (%lld bytes)",
	   g.bytes);
	is_int(fs.asked_claim, 1, "... one place asked for");
	is_int(fs.done, 1, "... and given back once");

	/* the stream is under way when the request turns heavy */
	memset(&fs, 0, sizeof fs);
	fs.claim_answer = -1;
	ask(p, "$format=csv", 0, 1, &g);
	is_int(g.status, 200, "heavy only while streaming: 200");
	ok(g.stream_rc == 0 && g.bytes > 100000,
	   "... the whole export streams (%lld bytes)", g.bytes);
	is_int(fs.asked_claim, 0, "... no place is asked for once rows flow");

	/* an answer that reads the clock has no key: never "the same" */
	memset(&fs, 0, sizeof fs);
	fs.same_answer = -1;
	ask(p, "$filter=year(now())%20gt%202000&$top=1", 0, 0, &g);
	is_int(g.status, 200, "an answer without an ETag (now()): 200");
	is_int(fs.asked_same, 0, "... never matched against running queries");

	portal_close(p);
out:
	qt_rmtree(dir);
	free(dir);
	return tap_done();
}
