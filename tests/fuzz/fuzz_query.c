/*
 * fuzz_query.c -- libFuzzer harness for the query engine (URL → answer).
 *
 * Each input is a request "PATH?QUERY" (no '?': the whole input is the
 * query string of the "items" set).  It runs through kq_prepare and
 * kq_stream exactly as `kueri query` does, against a small portal that
 * LLVMFuzzerInitialize publishes into a temporary directory.  Besides the
 * sanitizers, the harness checks properties every answer must have:
 *   - kq_prepare never returns NULL (there is memory);
 *   - the status is a real HTTP status;
 *   - an error answer (>= 400) is OData error JSON: one member "error"
 *     with non-empty "code" and "message";
 *   - a complete JSON answer (kq_stream returned 0) parses.
 * A broken property aborts, so libFuzzer saves the input.
 *
 * Limits keep every input fast: a 100 ms query budget, pages of 20 rows,
 * inputs capped at 4 KiB.
 *
 * Build and run: tests/fuzz/run.sh (make fuzz).
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "kueri.h"
#include "portal.h"
#include "publish.h"
#include "query.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kportal  *portal;
static kq_limits limits;
static char      tmpdir[512];

/* The fixture: a handful of rows with every type and a few traps. */
static const char csv[] =
	"id,name,city,n,x,flag,day,ts,t,dur\n"
	"1,Alice,Bali,5,2.5,true,2024-02-29,2024-02-29T10:00:00Z,13:52:00,P1D\n"
	"2,alice,bali,-5,-2.5,false,2023-12-31,2024-02-29T17:00:00+07:00,00:00:00,PT1H\n"
	"3,a%b_c\\d,,0,0.5,,,2024-01-01T03:00:00-05:00,,\n"
	"4,it's,Jakarta,,,true,2000-01-01,,23:59:59.5,P1Y2M\n"
	"5,日本 😀,BALI,9223372036854775807,1e10,false,1970-01-01,1970-01-01T00:00:00Z,12:00:00,PT0S\n"
	"6,,Bandung,-9223372036854775808,-0.5,true,2100-12-31,2100-12-31T23:59:59.999Z,01:02:03,P2D\n";

static const char pkg[] =
	"{\"name\": \"fuzz\", \"title\": \"fuzz\", \"publisher\": \"Test\",\n"
	" \"classification\": \"public\",\n"
	" \"resources\": [{\"name\": \"items\", \"path\": \"items.csv\",\n"
	"  \"schema\": {\"fields\": [\n"
	"   {\"name\": \"id\", \"type\": \"integer\"},\n"
	"   {\"name\": \"name\", \"type\": \"string\"},\n"
	"   {\"name\": \"city\", \"type\": \"string\"},\n"
	"   {\"name\": \"n\", \"type\": \"integer\"},\n"
	"   {\"name\": \"x\", \"type\": \"number\"},\n"
	"   {\"name\": \"flag\", \"type\": \"boolean\"},\n"
	"   {\"name\": \"day\", \"type\": \"date\"},\n"
	"   {\"name\": \"ts\", \"type\": \"datetime\"},\n"
	"   {\"name\": \"t\", \"type\": \"time\"},\n"
	"   {\"name\": \"dur\", \"type\": \"duration\"}],\n"
	"  \"primaryKey\": \"id\"}},\n"
	"  {\"name\": \"codes\", \"path\": \"codes.csv\",\n"
	"  \"schema\": {\"fields\": [{\"name\": \"code\", \"type\": \"string\"},\n"
	"   {\"name\": \"v\", \"type\": \"integer\"}], \"primaryKey\": \"code\"}}]}\n";

static const char codes[] = "code,v\nA1,1\nit's,2\n日本,3\n";

static void
put(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "fuzz_query: cannot write %s\n", path);
		abort();
	}
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

/* Close the portal first: never unlink a database that is still open. */
static void
cleanup(void)
{
	portal_close(portal);
	portal = NULL;
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	const char *base = getenv("TMPDIR");
	char *dir = tmpdir;
	snprintf(tmpdir, sizeof tmpdir, "%s/kueri-fuzz.XXXXXX",
	         base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("fuzz_query: mkdtemp");
		abort();
	}
	put(dir, "items.csv", csv);
	put(dir, "codes.csv", codes);
	put(dir, "datapackage.json", pkg);
	char db[600], dp[600];
	snprintf(db, sizeof db, "%s/portal.db", dir);
	snprintf(dp, sizeof dp, "%s/datapackage.json", dir);
	kueri_err err;
	kueri_err_clear(&err);
	json_t *report = NULL;
	if (kv_publish(db, dp, NULL, &report, &err) != 0) {
		fprintf(stderr, "fuzz_query: publish failed: %s\n", err.msg);
		abort();
	}
	json_decref(report);
	portal = portal_open_ro(db, &err);
	if (!portal) {
		fprintf(stderr, "fuzz_query: open failed: %s\n", err.msg);
		abort();
	}
	kq_limits_default(&limits);
	limits.time_ms = 100;
	limits.max_page = 20;
	limits.export_cap = 100;
	atexit(cleanup);
	return 0;
}

typedef struct sinkbuf {
	char  *p;
	size_t n, cap;
} sinkbuf;

static int
sink_write(void *ctx, const char *buf, size_t len)
{
	sinkbuf *b = ctx;
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->n + len + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, buf, len);
	b->n += len;
	b->p[b->n] = '\0';
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';	/* an embedded NUL simply ends the URL */
	kq_request req;
	memset(&req, 0, sizeof req);
	char *q = strchr(in, '?');
	if (q) {
		*q = '\0';
		req.path = in;
		req.query = q + 1;
	} else {
		req.path = "items";
		req.query = in;
	}
	req.service_root = "http://fuzz/odata/";
	/* a byte of the input picks an optional header, so those paths run too */
	if (size > 0 && data[0] == 'P')
		req.prefer = "odata.maxpagesize=3";
	if (size > 1 && data[1] == 'I')
		req.accept = "application/json;IEEE754Compatible=true";

	kq_answer *a = kq_prepare(portal, &req, &limits);
	if (!a)
		abort();	/* only allowed when out of memory */
	const kq_head *h = kq_answer_head(a);
	if (h->status < 200 || h->status > 599)
		abort();
	sinkbuf b = { NULL, 0, 0 };
	kueri_sink sink = { sink_write, &b };
	int rc = kq_stream(a, &sink, NULL);
	int json = strncmp(h->content_type, "application/json", 16) == 0;
	if (b.p && json && (rc == 0 || h->status >= 400)) {
		json_error_t je;
		json_t *body = json_loads(b.p, 0, &je);
		if (!body) {
			fprintf(stderr, "fuzz_query: status %d body is not JSON: %s\n%.500s\n",
			        h->status, je.text, b.p);
			abort();
		}
		if (h->status >= 400) {
			json_t *e = json_object_get(body, "error");
			const char *code = json_string_value(json_object_get(e, "code"));
			const char *msg = json_string_value(json_object_get(e, "message"));
			if (json_object_size(body) != 1 || !code || !*code || !msg || !*msg) {
				fprintf(stderr, "fuzz_query: bad error body: %.500s\n", b.p);
				abort();
			}
		}
		json_decref(body);
	}
	free(b.p);
	kq_free(a);
	free(in);
	return 0;
}
