/*
 * qbench.c -- in-process query-engine timings for `make bench`: the engine
 * (kq_prepare + kq_stream into a byte-counting sink) against stock SQLite
 * running the hand-written equivalent SQL on the same portal file, median
 * of N interleaved runs each.  Only the public contracts are used:
 * include/portal.h to open the portal and include/query.h to ask.
 *
 *   qbench run PORTAL SCENARIOS.tsv N
 *       SCENARIOS.tsv lines: name TAB kind TAB prefer TAB path?query TAB sql
 *       kind "http"   : kq_prepare + kq_stream vs prepare + step every row,
 *                       reading every column as text (what any writer must)
 *       Each scenario runs at least N times per side, more when it is
 *       quick (about QBENCH_WORK_MS of work, default 300 ms, at most
 *       2000 runs), interleaved.
 *       kind "compile": kq_prepare alone (the query must do no real work,
 *                       e.g. $top=0) vs sqlite3_prepare_v2 alone
 *       kind "page"   : a whole routed request as a browser asks it
 *                       (kq_route with Accept: text/html, path from the
 *                       host root, e.g. /odata/villages: the HTML dataset
 *                       page with its facets) + kq_resp_stream
 *       kind "engine" : as "http" (run.sh measures it in-process only)
 *       other kinds are skipped.  prefer "-" means none; sql may hold
 *       several statements separated by ';'.
 *       prints: name TAB kueri_us TAB sqlite_us TAB status TAB bytes TAB
 *       sqlite_rows TAB kueri_rows
 *
 *   qbench nextlink PORTAL ROOT path?query SKIP
 *       follows @odata.nextLink in pages of at most 1000 rows
 *       (Prefer: odata.maxpagesize) until SKIP rows are behind, and prints
 *       the absolute nextLink that starts at row SKIP.
 *
 *   qbench export PORTAL path?query
 *       one request streamed to a byte-counting sink, as a worker streams
 *       a full export (e.g. villages?$format=csv); prints bytes TAB
 *       seconds TAB rows TAB this process's peak RSS in KB TAB its CPU
 *       seconds, user + system (getrusage), so "flat worker memory" is a
 *       number and MB/s can be read without the machine's other load.
 *       (Issue 17's scale table.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include <sqlite3.h>

#include "kueri.h"
#include "portal.h"
#include "query.h"

/* ---- sinks ------------------------------------------------------------ */

typedef struct buf {
	char  *p;
	size_t len, cap;
	size_t total;    /* bytes seen, also when not kept */
	int    keep;
} buf;

static int
buf_write(void *ctx, const char *s, size_t n)
{
	buf *b = ctx;

	b->total += n;
	if (!b->keep)
		return 0;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* ---- timing ----------------------------------------------------------- */

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the two sides ---------------------------------------------------- */

/* The engine's limits: defaults, except the time budget, which
 * QBENCH_TIME_MS raises so whole-table queries are measured, not cut off,
 * and the export cap, which QBENCH_EXPORT_CAP raises. */
static kq_limits limits;
static double    work_us = 3e5;   /* QBENCH_WORK_MS: work per scenario */

static void
limits_init(void)
{
	const char *ms = getenv("QBENCH_TIME_MS");
	const char *wk = getenv("QBENCH_WORK_MS");
	const char *cap = getenv("QBENCH_EXPORT_CAP");

	kq_limits_default(&limits);
	if (wk != NULL && atoi(wk) > 0)
		work_us = atoi(wk) * 1e3;
	if (ms != NULL && atoi(ms) > 0)
		limits.time_ms = atoi(ms);
	/* A full export of a set bigger than the default cap (1,000,000
	 * rows, `kueri serve --export-cap`) needs the cap raised. */
	if (cap != NULL && atoll(cap) > 0)
		limits.export_cap = atoll(cap);
}

/* One engine request; returns microseconds, fills status/bytes. */
static double
run_kueri(kportal *p, const char *pathq, const char *prefer, int compile_only,
          int *status, size_t *bytes, long long *nrows)
{
	char path[1024];
	const char *q = strchr(pathq, '?');
	size_t plen = q ? (size_t)(q - pathq) : strlen(pathq);
	kq_request req;
	kueri_sink sink;
	buf b = { 0 };
	kq_answer *a;
	double t0, t1;

	if (plen >= sizeof path)
		plen = sizeof path - 1;
	memcpy(path, pathq, plen);
	path[plen] = '\0';
	memset(&req, 0, sizeof req);
	req.path = path;
	req.query = q ? q + 1 : NULL;
	req.service_root = "";
	req.prefer = prefer;
	sink.write = buf_write;
	sink.ctx = &b;

	t0 = now_us();
	a = kq_prepare(p, &req, &limits);
	if (a == NULL) {
		fprintf(stderr, "qbench: out of memory\n");
		exit(1);
	}
	*nrows = 0;
	if (!compile_only)
		kq_stream(a, &sink, nrows);
	t1 = now_us();
	*status = kq_answer_head(a)->status;
	*bytes = b.total;
	kq_free(a);
	return t1 - t0;
}

/* One routed browser request (kind "page"); microseconds. */
static double
run_route(kportal *p, const char *pathq, int *status, size_t *bytes,
          long long *nrows)
{
	char path[1024];
	const char *q = strchr(pathq, '?');
	size_t plen = q ? (size_t)(q - pathq) : strlen(pathq);
	kq_route_req req;
	kueri_sink sink;
	buf b = { 0 };
	kq_resp *r;
	double t0, t1;

	if (plen >= sizeof path)
		plen = sizeof path - 1;
	memcpy(path, pathq, plen);
	path[plen] = '\0';
	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.path = path;
	req.query = q ? q + 1 : NULL;
	req.root = "/odata/";
	req.root_url = "";
	req.accept = "text/html";
	req.lim = &limits;
	sink.write = buf_write;
	sink.ctx = &b;

	t0 = now_us();
	r = kq_route(p, &req);
	if (r == NULL) {
		fprintf(stderr, "qbench: out of memory\n");
		exit(1);
	}
	*nrows = 0;
	kq_resp_stream(r, &sink, nrows);
	t1 = now_us();
	*status = kq_resp_headers(r)->status;
	*bytes = b.total;
	kq_resp_free(r);
	return t1 - t0;
}

/* The hand SQL: every statement prepared, and (unless compile_only)
 * stepped to the end with every column read as text. */
static double
run_sqlite(sqlite3 *db, const char *sql, int compile_only, long long *rows)
{
	const char *tail = sql;
	double t0 = now_us(), t1;

	*rows = 0;
	while (tail && *tail) {
		sqlite3_stmt *st = NULL;
		int rc, i, nc;

		if (sqlite3_prepare_v2(db, tail, -1, &st, &tail) != SQLITE_OK) {
			fprintf(stderr, "qbench: %s\n  in: %s\n", sqlite3_errmsg(db),
			        sql);
			exit(1);
		}
		if (st == NULL)      /* trailing whitespace or ';' */
			break;
		nc = sqlite3_column_count(st);
		while (!compile_only && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (i = 0; i < nc; i++)
				(void)sqlite3_column_text(st, i);
			(*rows)++;
		}
		sqlite3_finalize(st);
	}
	t1 = now_us();
	return t1 - t0;
}

/* ---- commands --------------------------------------------------------- */

static int
cmd_run(const char *portal, const char *file, int n)
{
	kueri_err err;
	kportal *p = portal_open_ro(portal, &err);
	sqlite3 *db = NULL;
	FILE *f;
	char line[8192];
	double *tk, *ts;
	int cap = n;

	if (p == NULL) {
		fprintf(stderr, "qbench: %s: %s\n", portal, err.msg);
		return 1;
	}
	if (sqlite3_open_v2(portal, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "qbench: %s: %s\n", portal, sqlite3_errmsg(db));
		return 1;
	}
	f = fopen(file, "r");
	if (f == NULL) {
		perror(file);
		return 1;
	}
	tk = calloc((size_t)n, sizeof *tk);
	ts = calloc((size_t)n, sizeof *ts);
	if (tk == NULL || ts == NULL)
		return 1;
	while (fgets(line, sizeof line, f)) {
		char *fld[5], *s = line;
		int i, nf = 0, status = 0, compile_only, is_page, reps;
		size_t bytes = 0;
		long long rows = 0, krows = 0;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (nf = 0; nf < 5 && s; nf++) {
			fld[nf] = s;
			s = strchr(s, '\t');
			if (s)
				*s++ = '\0';
		}
		if (nf < 5)
			continue;
		if (strcmp(fld[1], "http") != 0 && strcmp(fld[1], "compile") != 0 &&
		    strcmp(fld[1], "page") != 0 && strcmp(fld[1], "engine") != 0)
			continue;
		compile_only = strcmp(fld[1], "compile") == 0;
		/* "engine": like "http", but run.sh does not drive it over HTTP */
		is_page = strcmp(fld[1], "page") == 0;
		/* one warm-up each (page cache, statement caches), timed to pick
		 * the repetitions: at least N, more for quick queries so their
		 * median is stable (work_us per scenario, <= 2000) */
		{
			double w = is_page ?
			    run_route(p, fld[3], &status, &bytes, &krows) :
			    run_kueri(p, fld[3], strcmp(fld[2], "-") ? fld[2] : NULL,
			              compile_only, &status, &bytes, &krows);

			w += run_sqlite(db, fld[4], compile_only, &rows);
			reps = w > 0 ? (int)(work_us / w) : 2000;
			if (reps > 2000)
				reps = 2000;
			if (reps < n)
				reps = n;
		}
		if (reps > cap) {
			double *nk = realloc(tk, (size_t)reps * sizeof *tk);
			double *ns = realloc(ts, (size_t)reps * sizeof *ts);

			if (nk == NULL || ns == NULL)
				return 1;
			tk = nk;
			ts = ns;
			cap = reps;
		}
		for (i = 0; i < reps; i++) {
			tk[i] = is_page ?
			    run_route(p, fld[3], &status, &bytes, &krows) :
			    run_kueri(p, fld[3], strcmp(fld[2], "-") ? fld[2] : NULL,
			              compile_only, &status, &bytes, &krows);
			ts[i] = run_sqlite(db, fld[4], compile_only, &rows);
		}
		printf("%s\t%.1f\t%.1f\t%d\t%zu\t%lld\t%lld\n", fld[0],
		       median(tk, reps), median(ts, reps), status, bytes, rows, krows);
		fflush(stdout);
	}
	fclose(f);
	free(tk);
	free(ts);
	sqlite3_close(db);
	portal_close(p);
	return 0;
}

/* The value of "@odata.nextLink" in a JSON body (JSON escapes \" \\ \/
 * undone; kueri's links hold no other escapes), or NULL. */
static char *
next_link(const char *body)
{
	const char *k = strstr(body, "\"@odata.nextLink\"");
	char *out, *o;

	if (k == NULL)
		return NULL;
	k = strchr(k + 17, '"');
	if (k == NULL)
		return NULL;
	out = o = malloc(strlen(k) + 1);
	if (out == NULL)
		return NULL;
	for (k++; *k && *k != '"'; k++) {
		if (*k == '\\' && k[1])
			k++;
		*o++ = *k;
	}
	*o = '\0';
	return out;
}

static int
cmd_nextlink(const char *portal, const char *root, const char *pathq,
             long long skip)
{
	kueri_err err;
	kportal *p = portal_open_ro(portal, &err);
	char *cur, prefer[64], path[1024];
	size_t rlen = strlen(root);

	if (p == NULL) {
		fprintf(stderr, "qbench: %s: %s\n", portal, err.msg);
		return 1;
	}
	cur = strdup(pathq);
	while (skip > 0) {
		long long page = skip > 1000 ? 1000 : skip;
		const char *q = strchr(cur, '?');
		size_t plen = q ? (size_t)(q - cur) : strlen(cur);
		kq_request req;
		kueri_sink sink;
		buf b = { 0 };
		kq_answer *a;
		char *link;

		snprintf(prefer, sizeof prefer, "odata.maxpagesize=%lld", page);
		if (plen >= sizeof path)
			return 1;
		memcpy(path, cur, plen);
		path[plen] = '\0';
		memset(&req, 0, sizeof req);
		req.path = path;
		req.query = q ? q + 1 : NULL;
		req.service_root = root;
		req.prefer = prefer;
		b.keep = 1;
		sink.write = buf_write;
		sink.ctx = &b;
		a = kq_prepare(p, &req, &limits);
		if (a == NULL || kq_answer_head(a)->status != 200 ||
		    kq_stream(a, &sink, NULL) != 0) {
			fprintf(stderr, "qbench: nextlink: %s failed: %.300s\n", cur,
			        b.p ? b.p : "");
			return 1;
		}
		kq_free(a);
		link = b.p ? next_link(b.p) : NULL;
		free(b.p);
		if (link == NULL || strncmp(link, root, rlen) != 0) {
			fprintf(stderr, "qbench: nextlink: no nextLink under %s after "
			                "%s\n", root, cur);
			return 1;
		}
		free(cur);
		cur = strdup(link + rlen);
		free(link);
		skip -= page;
	}
	printf("%s%s\n", root, cur);
	free(cur);
	portal_close(p);
	return 0;
}

/* ---- export (issue 17): one whole-set answer, its MB/s and peak RSS ---- */

static int
cmd_export(const char *portal, const char *pathq)
{
	kueri_err err;
	kportal *p = portal_open_ro(portal, &err);
	struct rusage ru;
	size_t bytes = 0;
	long long rows = 0;
	int status = 0;
	double us;

	if (p == NULL) {
		fprintf(stderr, "qbench: %s: %s\n", portal, err.msg);
		return 1;
	}
	us = run_kueri(p, pathq, NULL, 0, &status, &bytes, &rows);
	portal_close(p);
	if (status != 200) {
		fprintf(stderr, "qbench: export %s: status %d\n", pathq, status);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%zu\t%.3f\t%lld\t%ld\t%.3f\n", bytes, us / 1e6, rows,
	       ru.ru_maxrss, (double)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return 0;
}

int
main(int argc, char **argv)
{
	limits_init();
	if (argc == 5 && strcmp(argv[1], "run") == 0)
		return cmd_run(argv[2], argv[3], atoi(argv[4]) > 0 ? atoi(argv[4]) : 1);
	if (argc == 6 && strcmp(argv[1], "nextlink") == 0)
		return cmd_nextlink(argv[2], argv[3], argv[4], atoll(argv[5]));
	if (argc == 4 && strcmp(argv[1], "export") == 0)
		return cmd_export(argv[2], argv[3]);
	fprintf(stderr, "usage: qbench run PORTAL SCENARIOS.tsv N\n"
	                "       qbench nextlink PORTAL ROOT PATH?QUERY SKIP\n"
	                "       qbench export PORTAL PATH?QUERY\n");
	return 2;
}
