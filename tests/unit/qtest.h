/*
 * qtest.h -- helpers shared by the query-engine test programs
 * (test_query_cases.c, test_query_paging.c, test_query_abnf.c): a growable
 * byte buffer behind a kueri_sink, a scratch directory, publishing a
 * fixture package into a fresh portal, and running one OData request
 * in-process exactly as `kueri query` / the service would.
 *
 * Everything is static inline so a program that uses only part of it
 * compiles without unused-function warnings.
 */
#ifndef KUERI_QTEST_H
#define KUERI_QTEST_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "kueri.h"
#include "portal.h"
#include "publish.h"
#include "query.h"

/* Statements that start running on a connection, by SQLite's statement
 * trace: qt_stmts_watch(db) once, then read or reset *qt_stmts(). */
static inline int *
qt_stmts(void)
{
	static int n;

	return &n;
}

static inline int
qt_on_stmt(unsigned type, void *ctx, void *p, void *x)
{
	(void)ctx;
	(void)p;
	(void)x;
	if (type == SQLITE_TRACE_STMT)
		(*qt_stmts())++;
	return 0;
}

static inline void
qt_stmts_watch(sqlite3 *db)
{
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, qt_on_stmt, NULL);
}

/* A growable NUL-terminated byte buffer; the sink appends to it. */
typedef struct qt_buf {
	char  *p;
	size_t n, cap;
} qt_buf;

static inline int
qt_buf_add(qt_buf *b, const char *s, size_t len)
{
	if (len > ((size_t)-1) / 4)	/* also tells the compiler len is sane */
		return -1;
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + len + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
	return 0;
}

static inline int
qt_buf_sink(void *ctx, const char *buf, size_t len)
{
	return qt_buf_add(ctx, buf, len);
}

static inline void
qt_buf_free(qt_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

/* Read a whole file (NUL-terminated, caller frees) or NULL. */
static inline char *
qt_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	qt_buf b = {0};
	char tmp[8192];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (qt_buf_add(&b, tmp, k) < 0)
			break;
	fclose(f);
	if (!b.p)
		qt_buf_add(&b, "", 0);
	if (len)
		*len = b.n;
	return b.p;
}

static inline int
qt_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return fclose(f) == 0 && w == len ? 0 : -1;
}

/* A private scratch directory under $TMPDIR; removed by qt_rmtree. */
static inline char *
qt_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[512];
	snprintf(tmpl, sizeof tmpl, "%s/kueri-qtest.XXXXXX",
	         base && *base ? base : "/tmp");
	char *d = mkdtemp(tmpl);
	return d ? strdup(d) : NULL;
}

static inline int
qt_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static inline void
qt_rmtree(const char *dir)
{
	if (dir)
		nftw(dir, qt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Publish a package into the portal file `db`.  Returns 0 when published;
 * otherwise prints the reason as TAP diagnostics and returns -1.
 */
static inline int
qt_publish(const char *db, const char *pkg)
{
	kueri_err err;
	json_t *report = NULL;
	kueri_err_clear(&err);
	int rc = kv_publish(db, pkg, NULL, &report, &err);
	if (rc != 0 && rc != 2) {
		printf("# publishing %s failed (rc %d): %s\n", pkg, rc, err.msg);
		if (report) {
			char *s = json_dumps(report, JSON_COMPACT);
			printf("# report: %.2000s\n", s ? s : "?");
			free(s);
		}
		json_decref(report);
		return -1;
	}
	json_decref(report);
	return 0;
}

/*
 * Percent-encode what a browser would before sending a URL: space, '"',
 * '<', '>', '\', '^', '`', '{', '|', '}', control bytes and every byte
 * >= 0x80.  Everything else -- including '%', '&', '=', '+', '\'' and
 * '#' -- is left alone, so a case can still spell its own escapes.
 * Caller frees.
 */
static inline char *
qt_browser_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *o = malloc(n * 3 + 1), *q = o;
	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c)) {
			*q++ = '%';
			*q++ = hex[c >> 4];
			*q++ = hex[c & 15];
		} else {
			*q++ = (char)c;
		}
	}
	*q = '\0';
	return o;
}

/* One answer: status, a few headers, the body. */
typedef struct qt_resp {
	int    status;
	char   content_type[96];
	char   preference_applied[64];
	qt_buf body;
	int    stream_rc;
} qt_resp;

/*
 * Run one request in-process.  `path` and `query` are sent as they are
 * (already URL-shaped; pass them through qt_browser_encode first if they
 * hold raw text).  `query` may be NULL.
 */
static inline void
qt_run(kportal *p, const char *root, const char *path, const char *query,
       const char *accept, const char *prefer, const kq_limits *lim,
       qt_resp *r)
{
	kq_request req;
	memset(&req, 0, sizeof req);
	memset(r, 0, sizeof *r);
	req.path = path;
	req.query = query;
	req.service_root = root ? root : "";
	req.accept = accept;
	req.prefer = prefer;
	kq_answer *a = kq_prepare(p, &req, lim);
	if (!a) {
		r->status = -1;
		return;
	}
	const kq_head *h = kq_answer_head(a);
	r->status = h->status;
	snprintf(r->content_type, sizeof r->content_type, "%s", h->content_type);
	snprintf(r->preference_applied, sizeof r->preference_applied, "%s",
	         h->preference_applied);
	kueri_sink sink = { qt_buf_sink, &r->body };
	r->stream_rc = kq_stream(a, &sink, NULL);
	kq_free(a);
	if (!r->body.p)
		qt_buf_add(&r->body, "", 0);
}

static inline void
qt_resp_free(qt_resp *r)
{
	qt_buf_free(&r->body);
}

#endif /* KUERI_QTEST_H */
