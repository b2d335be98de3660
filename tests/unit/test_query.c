/*
 * test_query.c -- the engine end to end over the fixture portal that
 * kq_fixture.h publishes through kv_publish.  Tests as data: the cases are
 * tests/query/engine.txt (an OData URL and the SQL a person would write by
 * hand for it over tests/query/engine-fixture.sql, or the status and a
 * fragment of the error message).  The checks below need more than a
 * line of data (bodies, headers, limits).  Then paging: following
 * @odata.nextLink over 10 000 rows with a non-unique $orderby must yield
 * every row exactly once, in the hand-written order.
 *
 * `test_query --fixture PATH` only writes the fixture (for tests/e2e).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_fixture.h"
#include "../../query/kq_int.h"
#include "portal.h"
#include "query.h"
#include "tap.h"

static kportal *P;
static sqlite3 *RAW;   /* a separate plain connection for the hand SQL */
static kq_limits *LIM; /* NULL: defaults */

typedef struct membuf { char *s; size_t n; } membuf;

static int
memsink(void *ctx, const char *buf, size_t len)
{
	membuf *m = ctx;
	char   *ns = realloc(m->s, m->n + len + 1);

	if (ns == NULL)
		return -1;
	memcpy(ns + m->n, buf, len);
	m->s = ns;
	m->n += len;
	m->s[m->n] = '\0';
	return 0;
}

/* Run `url` (path?query); body into *out (caller frees), returns status. */
static int
run(const char *url, const char *prefer, const char *accept, char **out,
    kq_head *head)
{
	char      *path = strdup(url), *q = strchr(path, '?');
	kq_request req;
	kq_answer *a;
	membuf     m = { NULL, 0 };
	kueri_sink sink = { memsink, &m };
	int        status;

	if (q)
		*q++ = '\0';
	memset(&req, 0, sizeof(req));
	req.path = path;
	req.query = q;
	req.service_root = "";
	req.prefer = prefer;
	req.accept = accept;
	a = kq_prepare(P, &req, LIM);
	status = kq_answer_head(a)->status;
	if (head)
		*head = *kq_answer_head(a);
	kq_stream(a, &sink, NULL);
	kq_free(a);
	free(path);
	*out = m.s ? m.s : strdup("");
	return status;
}

/* The values of member `key` over "value" rows, comma-joined. */
static char *
ids_of(const char *body, const char *key)
{
	json_t *j = json_loads(body, 0, NULL), *v, *row;
	size_t  i;
	char   *res = calloc(1, 1);
	size_t  n = 0;

	if (j == NULL)
		return res;
	v = json_object_get(j, "value");
	json_array_foreach(v, i, row) {
		json_t *x = json_object_get(row, key);
		char    tmp[64];
		const char *s = tmp;

		if (json_is_string(x))
			s = json_string_value(x);
		else if (json_is_integer(x))
			snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(x));
		else
			snprintf(tmp, sizeof(tmp), "null");
		res = realloc(res, n + strlen(s) + 2);
		n += (size_t)sprintf(res + n, "%s%s", i ? "," : "", s);
	}
	json_decref(j);
	return res;
}

static char *
sql_ids(const char *sql)
{
	sqlite3_stmt *st;
	char         *res = calloc(1, 1);
	size_t        n = 0;
	int           first = 1;

	if (sqlite3_prepare_v2(RAW, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("# hand SQL failed: %s: %s\n", sql, sqlite3_errmsg(RAW));
		return res;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		if (s == NULL)
			s = "null";
		res = realloc(res, n + strlen(s) + 2);
		n += (size_t)sprintf(res + n, "%s%s", first ? "" : ",", s);
		first = 0;
	}
	sqlite3_finalize(st);
	return res;
}

/* One case of tests/query/engine.txt: url and its expectation line. */
static void
run_case(const char *file, int line, const char *url, const char *expect)
{
	char *body;
	char  what[16] = "";
	const char *arg = strchr(expect, ':');

	sscanf(expect, "%15[a-z]", what);
	arg = arg ? arg + 1 + strspn(arg + 1, " ") : "";
	if (strcmp(what, "ids") == 0) {
		int   st = run(url, NULL, NULL, &body, NULL);
		char *got = ids_of(body, strncmp(url, "nums", 4) ? "id" : "n");
		char *want = sql_ids(arg);

		if (st != 200)
			printf("# %s\n", body);
		ok(st == 200 && strcmp(got, want) == 0, "%s = hand SQL (%s)", url, want);
		if (st == 200 && strcmp(got, want))
			printf("#   got:  %s\n#   want: %s\n", got, want);
		free(got);
		free(want);
		free(body);
	} else if (strcmp(what, "error") == 0 || strcmp(what, "status") == 0) {
		int         want = atoi(arg);
		const char *frag = strchr(arg, ' ');
		int         st = run(url, NULL, NULL, &body, NULL);
		json_t     *j = json_loads(body, 0, NULL);
		json_t     *e = json_object_get(j, "error");
		const char *msg = json_string_value(json_object_get(e, "message"));
		const char *code = json_string_value(json_object_get(e, "code"));

		if (frag)
			frag++;
		if (strcmp(what, "status") == 0 || !frag)
			ok(st == want, "%s → %d", url, want);
		else
			ok(st == want && msg && code && *code && strstr(msg, frag) &&
			   json_object_size(j) == 1,
			   "%s → %d, one 'error' member, message has \"%s\"", url, want, frag);
		if (st != want || (frag && (!msg || !strstr(msg, frag))))
			printf("#   got %d: %s\n", st, body);
		json_decref(j);
		free(body);
	} else {
		ok(0, "%s:%d: unknown expectation '%s'", file, line, expect);
	}
}

/* Run every case of `file`; the number run. */
static int
run_cases(const char *file)
{
	FILE *f = fopen(file, "r");
	char  line[4096], url[4096] = "";
	int   n = 0, lineno = 0, at = 0;

	ok(f != NULL, "%s is readable", file);
	while (f && fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strncmp(line, "url: ", 5) == 0) {
			if (*url)
				ok(0, "%s:%d: case without an expectation", file, at);
			snprintf(url, sizeof url, "%s", line + 5);
			at = lineno;
		} else if (*url) {
			run_case(file, at, url, line);
			url[0] = '\0';
			n++;
		} else {
			ok(0, "%s:%d: expectation without a url: %s", file, lineno, line);
		}
	}
	if (f)
		fclose(f);
	return n;
}

int
main(int argc, char **argv)
{
	char      path[] = "/tmp/kq-test-XXXXXX", ref[] = "/tmp/kq-ref-XXXXXX";
	kueri_err err;
	size_t    i;
	char     *body;
	kq_head   h;
	int       fd, n;

	if (argc == 3 && strcmp(argv[1], "--fixture") == 0)
		return kq_fixture_make(argv[2]) < 0 ? 1 : 0;
	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	if ((fd = mkstemp(ref)) < 0)
		return 1;
	close(fd);
	if (kq_fixture_make(path) < 0 || (P = portal_open_ro(path, &err)) == NULL ||
	    kq_fixture_ref(ref) < 0 ||
	    sqlite3_open_v2(ref, &RAW, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		printf("not ok 1 - fixture\n1..1\n");
		return 1;
	}

	n = run_cases("tests/query/engine.txt");
	ok(n >= 157, "every case of tests/query/engine.txt ran (%d)", n);

	/* $count counts every match, ignoring $top and $skip */
	run("nums?$filter=grp eq 3&$count=true&$top=2&$skip=5", NULL, NULL, &body, NULL);
	{
		json_t *j = json_loads(body, 0, NULL);
		char   *want = sql_ids("SELECT count(*) FROM nums WHERE grp = 3");

		ok(json_integer_value(json_object_get(j, "@odata.count")) == atoll(want) &&
		   json_array_size(json_object_get(j, "value")) == 2,
		   "$count=true counts all %s matches, not the page of 2", want);
		ok(strstr(body, "\"@odata.count\"") < strstr(body, "\"value\""),
		   "@odata.count comes before value");
		json_decref(j);
		free(want);
	}
	free(body);
	ok(run("nums/$count?$filter=grp eq 3", NULL, NULL, &body, &h) == 200 &&
	   strcmp(body, "1299") == 0 && strncmp(h.content_type, "text/plain", 10) == 0,
	   "SET/$count is a plain number (%s)", body);
	free(body);

	/* key lookup */
	ok(run("villages('v02')", NULL, NULL, &body, NULL) == 200 &&
	   strstr(body, "\"@odata.context\":\"$metadata#villages/$entity\"") &&
	   strstr(body, "\"name\":\"Ubud\"") && !strstr(body, "\"value\""),
	   "SET('key') is one entity with a $entity context");
	free(body);
	ok(run("villages(id='v02')?$select=name", NULL, NULL, &body, NULL) == 200 &&
	   strcmp(body, "{\"@odata.context\":\"$metadata#villages(name)/$entity\","
	                "\"name\":\"Ubud\"}\n") == 0, "SET(key='x') with $select");
	free(body);
	ok(run("nums(42)", NULL, NULL, &body, NULL) == 200 && strstr(body, "\"n\":42,"),
	   "an integer key without quotes");
	free(body);

	/* names: CSV headers that are not identifiers get $metadata's names */
	ok(run("odd?$filter=Harga_Kemarin gt 2&$select=_1st,Harga_Kemarin", NULL,
	       NULL, &body, NULL) == 200 &&
	   strcmp(body, "{\"@odata.context\":\"$metadata#odd(_1st,Harga_Kemarin)\","
	                "\"value\":[{\"_1st\":\"b\",\"Harga_Kemarin\":2.5}]}\n") == 0,
	   "free-text headers are addressed and written by their OData names");
	free(body);
	ok(run("plain('x')", NULL, NULL, &body, NULL) == 200 &&
	   strstr(body, "\"a\":\"x\",\"b\":1.5"),
	   "a set without a primary key is addressed by $metadata's stand-in key");
	free(body);

	/* JSON types */
	run("villages?$filter=id eq 'v01'", NULL, NULL, &body, NULL);
	ok(strstr(body, "\"pop\":1000,\"area\":12.5,\"coastal\":true,"
	                "\"founded\":\"2020-01-15\"") != NULL,
	   "integers as numbers, booleans as true/false, dates as strings");
	ok(strstr(body, "\"loc\":{\"type\":\"Point\",\"coordinates\":[115.17,-8.72]}") != NULL,
	   "geopoints as GeoJSON [lon,lat]");
	free(body);
	run("villages?$filter=id eq 'v04'&$select=pop,coastal", NULL, NULL, &body, NULL);
	ok(strstr(body, "{\"pop\":null,\"coastal\":null}") != NULL, "nulls as null");
	free(body);
	run("nums?$top=1&$select=big&$format=application/json;IEEE754Compatible=true",
	    NULL, NULL, &body, &h);
	ok(strstr(body, "\"big\":\"9223372036854775806\"") &&
	   strstr(h.content_type, "IEEE754Compatible=true"),
	   "IEEE754Compatible=true: Int64 as strings, echoed in Content-Type");
	free(body);
	run("villages?$top=1&$select=id", NULL, "text/csv", &body, &h);
	is_str(body, "id\r\nv01\r\n", "Accept: text/csv gives CSV with a header");
	free(body);
	run("villages?$filter=id eq 'v04'&$select=name,pop&$format=csv", NULL, NULL, &body, NULL);
	is_str(body, "name,pop\r\nO'Neil 50%_x,\r\n", "CSV: null is an empty field");
	free(body);
	run("plain?$format=csv", NULL, NULL, &body, NULL);
	is_str(body, "a,b\r\nx,1.5\r\ny,\r\n", "CSV of a set without a key");
	free(body);
	run("villages?$apply=groupby((provinsi),aggregate(pop with sum as total,"
	    "area with average as avg,$count as n))&$filter=n gt 1&$orderby=total desc",
	    NULL, NULL, &body, NULL);
	ok(strstr(body, "\"@odata.context\":\"$metadata#villages(provinsi,total,avg,n)\"") &&
	   strstr(body, "\"value\":[{\"provinsi\":\"JAWA BARAT\",\"total\":2500000,"
	                "\"avg\":167.3,\"n\":2},{\"provinsi\":\"BALI\",\"total\":1500,"
	                "\"avg\":10.375,\"n\":2}]"),
	   "$apply groupby + aggregate, then $filter/$orderby on aliases");
	free(body);
	run("villages?$apply=filter(coastal)/aggregate($count as n,pop with max as mx)",
	    NULL, NULL, &body, NULL);
	ok(strstr(body, "[{\"n\":3,\"mx\":400000}]") != NULL, "filter()/aggregate()");
	free(body);
	run("villages?$apply=search(bali)/groupby((provinsi))", NULL, NULL, &body, NULL);
	ok(strstr(body, "[{\"provinsi\":\"BALI\"},{\"provinsi\":\"bali\"}]") != NULL,
	   "search() then groupby");
	free(body);
	run("villages?$apply=filter(id ne 'v05')/aggregate(updated with max as mx,"
	    "updated with min as mn)", NULL, NULL, &body, NULL);
	ok(strstr(body, "[{\"mx\":\"2021-03-01T00:00:00-05:00\",\"mn\":"
	                "\"2001-01-01T00:00:00Z\"}]") != NULL,
	   "max/min of datetimes by instant, keeping the value's own offset");
	free(body);
	run("nums?$apply=aggregate(grp with countdistinct as d)", NULL, NULL, &body, NULL);
	ok(strstr(body, "[{\"d\":7}]") != NULL, "countdistinct ignores nulls");
	free(body);

	/* paging: follow nextLink over 10 000 rows, non-unique $orderby */
	{
		static const struct { const char *url, *sql; } pg[] = {
			{ "nums?$orderby=grp&$select=n", "SELECT n FROM nums ORDER BY grp, rowid" },
			{ "nums?$orderby=grp desc,label&$select=n", "SELECT n FROM nums ORDER BY grp DESC, label, rowid" },
			{ "nums?$filter=n gt 100&$orderby=label desc&$top=2500&$select=n", "SELECT n FROM nums WHERE n > 100 ORDER BY label DESC, rowid LIMIT 2500" },
			{ "nums?$apply=groupby((grp,label))&$select=grp", NULL },
		};
		size_t k;

		for (k = 0; k < sizeof(pg) / sizeof(pg[0]); k++) {
			char  *url = strdup(pg[k].url), *all = calloc(1, 1);
			size_t an = 0;
			int    pages = 0, bad = 0;
			char  *want = pg[k].sql ? sql_ids(pg[k].sql) : NULL;

			while (url && pages < 100) {
				json_t     *j, *nl;
				char       *got;

				if (run(url, "odata.maxpagesize=700", NULL, &body, &h) != 200) {
					bad = 1;
					printf("# %s\n", body);
					free(body);
					break;
				}
				pages++;
				if (strcmp(h.preference_applied, "odata.maxpagesize=700"))
					bad = 1;
				got = ids_of(body, pg[k].sql ? "n" : "grp");
				all = realloc(all, an + strlen(got) + 2);
				an += (size_t)sprintf(all + an, "%s%s", an && *got ? "," : "", got);
				free(got);
				j = json_loads(body, 0, NULL);
				nl = json_object_get(j, "@odata.nextLink");
				free(url);
				url = json_is_string(nl) ? strdup(json_string_value(nl)) : NULL;
				if (url && !strstr(url, "$skiptoken="))
					bad = 1;
				json_decref(j);
				free(body);
			}
			if (want)
				ok(!bad && strcmp(all, want) == 0,
				   "following nextLink for %s yields every row once, in order "
				   "(%d pages)", pg[k].url, pages);
			else
				ok(!bad && pages == 1 + 77 / 700,
				   "grouped result pages by offset (%d page)", pages);
			free(want);
			free(all);
			free(url);
		}
		run("nums?$filter=grp eq 1&$top=1500&$count=true", "odata.maxpagesize=1000",
		    NULL, &body, NULL);
		{
			json_t     *j = json_loads(body, 0, NULL);
			const char *nl = json_string_value(json_object_get(j, "@odata.nextLink"));

			ok(nl && strstr(nl, "$filter=grp%20eq%201") && strstr(nl, "$count=true") &&
			   strstr(nl, "$top=500") && strstr(body, "\"@odata.nextLink\"") >
			   strstr(body, "\"value\""),
			   "nextLink keeps the options, carries the remaining $top, comes last");
			json_decref(j);
		}
		free(body);
	}

	/* the time budget: a clean 503, and the connection is usable after */
	{
		kq_limits lim;

		kq_limits_default(&lim);
		lim.time_ms = 0;
		LIM = &lim;
		ok(run("nums?$filter=matchesPattern(label,'^L1')&$orderby=label desc",
		       NULL, NULL, &body, NULL) == 503 && strstr(body, "time budget"),
		   "a query over its time budget is a clean 503 error");
		free(body);
		lim.time_ms = 1000;
		lim.max_page = 3;
		ok(run("nums?$select=n", NULL, NULL, &body, NULL) == 200 &&
		   strstr(body, "[{\"n\":1},{\"n\":2},{\"n\":3}]"),
		   "after a timeout the next query runs; max_page caps the page");
		free(body);
		ok(run("nums?$select=n", "odata.maxpagesize=50", NULL, &body, &h) == 200 &&
		   h.preference_applied[0] == '\0',
		   "odata.maxpagesize above the server cap is not reported as applied");
		free(body);
		lim.max_page = 1000;
		lim.max_nodes = 5;
		ok(run("nums?$filter=n eq 1 or n eq 2 or n eq 3", NULL, NULL, &body, NULL) == 400 &&
		   strstr(body, "more than 5 nodes"), "the node limit is configurable and named");
		free(body);
		lim.max_nodes = 1000;
		{
			char f[4000] = "villages?$filter=";

			for (i = 0; i < 150; i++)
				strcat(f, "pop add ");
			strcat(f, "1 gt 0");
			ok(run(f, NULL, NULL, &body, NULL) == 400 &&
			   strstr(body, "too complex"),
			   "beyond SQLite's expression depth: a 400, not a 500");
			free(body);
		}
		LIM = NULL;
	}

	/* the authorizer: nothing outside the set's own tables */
	{
		sqlite3 *db = portal_db(P);
		kq_authctx ac = { "t1", "t1_fts", 0, 0 };

		ok(kq_authorizer(&ac, SQLITE_READ, "t9", "c0", "main", NULL) == SQLITE_DENY &&
		   kq_authorizer(&ac, SQLITE_READ, "t1", "c0", "main", NULL) == SQLITE_OK &&
		   kq_authorizer(&ac, SQLITE_FUNCTION, NULL, "fts3_tokenizer", NULL, NULL) == SQLITE_DENY &&
		   kq_authorizer(&ac, SQLITE_FUNCTION, NULL, "load_extension", NULL, NULL) == SQLITE_DENY &&
		   kq_authorizer(&ac, SQLITE_ATTACH, "x", NULL, NULL, NULL) == SQLITE_DENY &&
		   kq_authorizer(&ac, SQLITE_INSERT, "t1", NULL, "main", NULL) == SQLITE_DENY,
		   "authorizer: other tables, unlisted functions, ATTACH and writes are refused");
		(void)db;
	}

	sqlite3_close(RAW);
	portal_close(P);
	unlink(path);
	unlink(ref);
	return tap_done();
}
