/*
 * test_query.c -- the engine end to end over a hand-built portal
 * (kq_fixture.h).  Tests as data: each row case gives an OData URL and
 * the SQL a person would write by hand for it; the engine's ids must equal
 * the hand-written query's ids, in order.  Error cases give the status and
 * a fragment of the message (position, option).  Then paging: following
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

/* URL → hand-written SQL selecting the id (c0) in the expected order. */
static const struct { const char *url, *sql; } rows[] = {
	/* comparison, null-safe eq/ne, three-valued not */
	{ "villages?$filter=provinsi eq 'BALI'", "SELECT c0 FROM t1 WHERE c2 = 'BALI' ORDER BY rowid" },
	{ "villages?$filter=pop ne 1000", "SELECT c0 FROM t1 WHERE c3 IS NOT 1000 ORDER BY rowid" },
	{ "villages?$filter=pop eq null", "SELECT c0 FROM t1 WHERE c3 IS NULL ORDER BY rowid" },
	{ "villages?$filter=null ne pop", "SELECT c0 FROM t1 WHERE c3 IS NOT NULL ORDER BY rowid" },
	{ "villages?$filter=pop gt 1000", "SELECT c0 FROM t1 WHERE c3 > 1000 ORDER BY rowid" },
	{ "villages?$filter=not (pop gt 1000)", "SELECT c0 FROM t1 WHERE coalesce(c3 > 1000, 0) = 0 ORDER BY rowid" },
	{ "villages?$filter=not (pop eq 1000)", "SELECT c0 FROM t1 WHERE c3 IS NOT 1000 ORDER BY rowid" },
	{ "villages?$filter=pop gt null", "SELECT c0 FROM t1 WHERE 0" },
	{ "villages?$filter=not coastal", "SELECT c0 FROM t1 WHERE c5 = 0 ORDER BY rowid" },
	{ "villages?$filter=coastal eq false or pop lt 0", "SELECT c0 FROM t1 WHERE c5 = 0 OR c3 < 0 ORDER BY rowid" },
	{ "villages?$filter=coastal and area ge 12.5", "SELECT c0 FROM t1 WHERE c5 = 1 AND c4 >= 12.5 ORDER BY rowid" },
	{ "villages?$filter=area lt 1", "SELECT c0 FROM t1 WHERE c4 < 1 ORDER BY rowid" },
	/* arithmetic */
	{ "villages?$filter=pop div 3 eq 166", "SELECT c0 FROM t1 WHERE c3 / 3 = 166 ORDER BY rowid" },
	{ "villages?$filter=pop mod 3 eq -1", "SELECT c0 FROM t1 WHERE c3 % 3 = -1 ORDER BY rowid" },
	{ "villages?$filter=pop divby 3 gt 166.6", "SELECT c0 FROM t1 WHERE c3 / 3.0 > 166.6 ORDER BY rowid" },
	{ "villages?$filter=pop add 7 eq 0 or -pop eq -42", "SELECT c0 FROM t1 WHERE c3 + 7 = 0 OR c3 = 42 ORDER BY rowid" },
	{ "villages?$filter=area mul 2 sub 1 gt 120", "SELECT c0 FROM t1 WHERE c4 * 2 - 1 > 120 ORDER BY rowid" },
	/* strings: case-sensitive, no wildcards, 0-based */
	{ "villages?$filter=contains(name,'uta')", "SELECT c0 FROM t1 WHERE instr(c1,'uta') ORDER BY rowid" },
	{ "villages?$filter=contains(name,'%25_')", "SELECT c0 FROM t1 WHERE instr(c1,'%_') ORDER BY rowid" },
	{ "villages?$filter=contains(name,'_')", "SELECT c0 FROM t1 WHERE instr(c1,'_') ORDER BY rowid" },
	{ "villages?$filter=startswith(name,'K')", "SELECT c0 FROM t1 WHERE substr(c1,1,1) = 'K' ORDER BY rowid" },
	{ "villages?$filter=endswith(name,'ta')", "SELECT c0 FROM t1 WHERE c1 IN ('Kuta','kuta') ORDER BY rowid" },
	{ "villages?$filter=endswith(name,'')", "SELECT c0 FROM t1 WHERE c1 IS NOT NULL ORDER BY rowid" },
	{ "villages?$filter=tolower(name) eq 'kuta'", "SELECT c0 FROM t1 WHERE lower(c1) = 'kuta' ORDER BY rowid" },
	{ "villages?$filter=tolower(name) eq '\xc3\xb1" "and\xc3\xba \xc3\xbcn\xc3\xaf" "code'", "SELECT c0 FROM t1 WHERE c0 = 'v07'" },
	{ "villages?$filter=toupper(name) eq '\xc3\x91" "AND\xc3\x9a \xc3\x9cN\xc3\x8f" "CODE'", "SELECT c0 FROM t1 WHERE c0 = 'v07'" },
	{ "villages?$filter=toupper(provinsi) eq 'BALI'", "SELECT c0 FROM t1 WHERE upper(c2) = 'BALI' ORDER BY rowid" },
	{ "villages?$filter=indexof(name,'u') eq 1", "SELECT c0 FROM t1 WHERE instr(c1,'u') = 2 ORDER BY rowid" },
	{ "villages?$filter=indexof(name,'zzz') eq -1", "SELECT c0 FROM t1 WHERE instr(c1,'zzz') = 0 ORDER BY rowid" },
	{ "villages?$filter=substring(name,1) eq 'uta'", "SELECT c0 FROM t1 WHERE substr(c1,2) = 'uta' ORDER BY rowid" },
	{ "villages?$filter=substring(name,0,2) eq 'Ku'", "SELECT c0 FROM t1 WHERE substr(c1,1,2) = 'Ku' ORDER BY rowid" },
	{ "villages?$filter=length(name) eq 13", "SELECT c0 FROM t1 WHERE length(c1) = 13 ORDER BY rowid" },
	{ "villages?$filter=concat(name,provinsi) eq 'KutaBALI'", "SELECT c0 FROM t1 WHERE c0 = 'v01'" },
	{ "villages?$filter=trim(concat(' ',name)) eq 'Ubud'", "SELECT c0 FROM t1 WHERE c0 = 'v02'" },
	{ "villages?$filter=name eq 'O''Neil 50%25_x'", "SELECT c0 FROM t1 WHERE c0 = 'v04'" },
	{ "villages?$filter=name eq ' OR 1=1 --'", "SELECT c0 FROM t1 WHERE 0" },
	{ "villages?$filter=matchesPattern(name,'^[A-Z]')", "SELECT c0 FROM t1 WHERE c0 IN ('v01','v02','v03','v04','v06') ORDER BY rowid" },
	{ "villages?$filter=matchesPattern(name,'n.c')", "SELECT c0 FROM t1 WHERE c0 = 'v07'" },
	/* in */
	{ "villages?$filter=provinsi in ('BALI','ACEH')", "SELECT c0 FROM t1 WHERE c2 IN ('BALI','ACEH') ORDER BY rowid" },
	{ "villages?$filter=provinsi in ()", "SELECT c0 FROM t1 WHERE 0" },
	{ "villages?$filter=pop in (null, 42)", "SELECT c0 FROM t1 WHERE c3 IS NULL OR c3 = 42 ORDER BY rowid" },
	{ "villages?$filter=not (pop in (42))", "SELECT c0 FROM t1 WHERE c3 IS NOT 42 ORDER BY rowid" },
	/* dates, datetimes by instant in their own offset, times */
	{ "villages?$filter=founded eq 2024-02-29", "SELECT c0 FROM t1 WHERE c6 = '2024-02-29'" },
	{ "villages?$filter=founded lt 2000-03-01", "SELECT c0 FROM t1 WHERE c6 < '2000-03-01' ORDER BY rowid" },
	{ "villages?$filter=updated eq 2020-01-15T02:00:00Z", "SELECT c0 FROM t1 WHERE c0 IN ('v01','v02') ORDER BY rowid" },
	{ "villages?$filter=updated gt 2021-03-01T04:59:59Z", "SELECT c0 FROM t1 WHERE julianday(c7) > julianday('2021-03-01T04:59:59Z') ORDER BY rowid" },
	{ "villages?$filter=hour(updated) eq 10", "SELECT c0 FROM t1 WHERE c0 = 'v01'" },
	{ "villages?$filter=day(updated) eq 31", "SELECT c0 FROM t1 WHERE c0 = 'v06'" },
	{ "villages?$filter=year(founded) eq 2024", "SELECT c0 FROM t1 WHERE c0 = 'v05'" },
	{ "villages?$filter=totaloffsetminutes(updated) eq -300", "SELECT c0 FROM t1 WHERE c0 = 'v03'" },
	{ "villages?$filter=date(updated) eq 2010-12-31", "SELECT c0 FROM t1 WHERE c0 = 'v06'" },
	{ "villages?$filter=fractionalseconds(updated) gt 0", "SELECT c0 FROM t1 WHERE c0 = 'v05'" },
	{ "villages?$filter=opens ge 13:52", "SELECT c0 FROM t1 WHERE c8 >= '13:52:00' ORDER BY rowid" },
	{ "villages?$filter=minute(opens) eq 30", "SELECT c0 FROM t1 WHERE c0 = 'v01'" },
	{ "villages?$filter=updated lt now()", "SELECT c0 FROM t1 WHERE c7 IS NOT NULL ORDER BY rowid" },
	/* rounding half away from zero */
	{ "villages?$filter=round(area) eq 13", "SELECT c0 FROM t1 WHERE c0 = 'v01'" },
	{ "villages?$filter=round(area) eq 8", "SELECT c0 FROM t1 WHERE c0 = 'v02'" },
	{ "villages?$filter=round(area) eq -3", "SELECT c0 FROM t1 WHERE c0 = 'v05'" },
	{ "villages?$filter=floor(area) eq -3 or ceiling(area) eq 1", "SELECT c0 FROM t1 WHERE c0 IN ('v05','v07') ORDER BY rowid" },
	/* cast/isof */
	{ "villages?$filter=cast(pop,Edm.String) eq '42'", "SELECT c0 FROM t1 WHERE c0 = 'v07'" },
	{ "villages?$filter=isof(pop,Edm.Int64)", "SELECT c0 FROM t1 WHERE c3 IS NOT NULL ORDER BY rowid" },
	/* case-insensitive operators and functions */
	{ "villages?$filter=pop GT 1000 AND Contains(name,'a')", "SELECT c0 FROM t1 WHERE c3 > 1000 AND instr(c1,'a') ORDER BY rowid" },
	/* orderby: nulls first ascending, last descending, expressions */
	{ "villages?$orderby=pop", "SELECT c0 FROM t1 ORDER BY c3, rowid" },
	{ "villages?$orderby=pop desc", "SELECT c0 FROM t1 ORDER BY c3 DESC, rowid" },
	{ "villages?$orderby=provinsi desc,name", "SELECT c0 FROM t1 ORDER BY c2 DESC, c1, rowid" },
	{ "villages?$orderby=length(name) desc", "SELECT c0 FROM t1 ORDER BY length(c1) DESC, rowid" },
	{ "villages?$orderby=updated", "SELECT c0 FROM t1 ORDER BY julianday(c7), rowid" },
	/* top/skip */
	{ "villages?$top=2&$skip=1", "SELECT c0 FROM t1 ORDER BY rowid LIMIT 2 OFFSET 1" },
	{ "villages?$top=0", "SELECT c0 FROM t1 WHERE 0" },
	{ "villages?$skip=100", "SELECT c0 FROM t1 WHERE 0" },
	/* search: words, phrases, NOT/AND/OR, FTS5 syntax inert */
	{ "villages?$search=bali", "SELECT c0 FROM t1 WHERE c2 IN ('BALI','bali') ORDER BY rowid" },
	{ "villages?$search=kuta bali", "SELECT c0 FROM t1 WHERE c0 IN ('v01','v05') ORDER BY rowid" },
	{ "villages?$search=kuta OR ubud", "SELECT c0 FROM t1 WHERE c0 IN ('v01','v02','v05') ORDER BY rowid" },
	{ "villages?$search=NOT bali", "SELECT c0 FROM t1 WHERE c2 NOT IN ('BALI','bali') ORDER BY rowid" },
	{ "villages?$search=bali AND NOT ubud", "SELECT c0 FROM t1 WHERE c0 IN ('v01','v05') ORDER BY rowid" },
	{ "villages?$search=NOT bali OR kuta", "SELECT c0 FROM t1 WHERE c0 <> 'v02' ORDER BY rowid" },
	{ "villages?$search=\"jawa barat\"", "SELECT c0 FROM t1 WHERE c0 IN ('v03','v04') ORDER BY rowid" },
	{ "villages?$search=\"barat jawa\"", "SELECT c0 FROM t1 WHERE 0" },
	{ "villages?$search=nandu", "SELECT c0 FROM t1 WHERE c0 = 'v07'" },
	{ "villages?$search=NEAR", "SELECT c0 FROM t1 WHERE 0" },
	{ "villages?$search=kut*", "SELECT c0 FROM t1 WHERE 0" },
	{ "villages?$search=name:kuta", "SELECT c0 FROM t1 WHERE 0" },
	{ "villages?$search=^kuta", "SELECT c0 FROM t1 WHERE c0 IN ('v01','v05') ORDER BY rowid" },
	{ "villages?$search=and", "SELECT c0 FROM t1 WHERE 0" },
	{ "villages?$search=AND", "SELECT c0 FROM t1 WHERE 0" },
	{ "villages?$search=NOT NOT", "SELECT c0 FROM t1 ORDER BY rowid" },
	{ "villages?$search='jawa barat'", "SELECT c0 FROM t1 WHERE c0 IN ('v03','v04') ORDER BY rowid" },
	{ "villages?$apply=search(')/top(1')/top(1)", "SELECT c0 FROM t1 WHERE 0" },
	{ "villages?$orderby=name in (),id", "SELECT c0 FROM t1 ORDER BY c0" },
	{ "nums?$filter=n eq +5 or n eq %2B6", "SELECT c0 FROM t2 WHERE c0 IN (5,6) ORDER BY rowid" },
	{ "nums?$filter=01234567-89ab-cdef-0123-456789abcdef eq 01234567-89AB-CDEF-0123-456789ABCDEF and n lt 3", "SELECT c0 FROM t2 WHERE c0 < 3 ORDER BY rowid" },
	/* compute */
	{ "villages?$compute=pop mul 2 as dbl&$filter=dbl gt 1000&$orderby=dbl desc", "SELECT c0 FROM t1 WHERE c3 * 2 > 1000 ORDER BY c3 DESC" },
	{ "villages?$compute=case(pop gt 1000:1,pop lt 0:-1,true:0) as s&$filter=s eq 0", "SELECT c0 FROM t1 WHERE NOT (coalesce(c3 > 1000, 0) OR coalesce(c3 < 0, 0)) ORDER BY rowid" },
	/* key lookup and keys in any form */
	{ "nums?$filter=grp eq 3 and n lt 50", "SELECT c0 FROM t2 WHERE c1 = 3 AND c0 < 50 ORDER BY rowid" },
	{ "nums?$filter=big gt 9223372036854775800", "SELECT c0 FROM t2 WHERE c3 > 9223372036854775800 ORDER BY rowid" },
	{ "nums?$filter=n eq -9223372036854775808", "SELECT c0 FROM t2 WHERE 0" },
	{ "nums?$filter=n gt 9223372036854775808", "SELECT c0 FROM t2 WHERE 0" },
	{ "nums?$filter=n eq 1 or n eq 2.0", "SELECT c0 FROM t2 WHERE c0 IN (1,2) ORDER BY rowid" },
	{ "nums?$filter=n div 2 eq 1 or n eq 5 and n mod 4 eq 1", "SELECT c0 FROM t2 WHERE c0 IN (2,3,5) ORDER BY rowid" },
};

static const struct {
	const char *url;
	int         status;
	const char *frag;       /* must occur in the error message */
} errs[] = {
	{ "villages?$filter=provins eq 'BALI'", 400, "unknown property 'provins' at position 0 in $filter; hint: did you mean 'provinsi'?" },
	{ "villages?$filter=Pop gt 1", 400, "unknown property 'Pop' at position 0 in $filter; hint: did you mean 'pop'?" },
	{ "villages?$filter=pop eq '5'", 400, "cannot compare Edm.Int64 with Edm.String" },
	{ "villages?$filter=name eq 5", 400, "cannot compare" },
	{ "villages?$filter=pop", 400, "must be a Boolean expression" },
	{ "villages?$filter=pop add name gt 1", 400, "position 8" },
	{ "villages?$filter=founded eq 2023-02-29", 400, "does not exist" },
	{ "villages?$filter=updated eq 2020-01-01T24:00:00Z", 400, "hours" },
	{ "villages?$filter=pop div 0 eq 1", 400, "integer division by zero" },
	{ "villages?$filter=pop mod 0 eq 1", 400, "integer modulo by zero" },
	{ "villages?$filter=pop eq 1e309", 400, "out of range" },
	{ "villages?$filter=contains(name)", 400, "takes 2 arguments" },
	{ "villages?$filter=frob(name)", 400, "unknown function 'frob'" },
	{ "villages?$filter=matchesPattern(name,'(')", 400, "invalid pattern" },
	{ "villages?$filter=matchesPattern(name,'^(a+)+$')", 200, NULL },
	{ "villages?$filter=pop has 1", 400, "has" },
	{ "villages?$filter=rowid eq 1", 400, "unknown property 'rowid'" },
	{ "villages?$filter=loc eq 'x'", 400, "geographic" },
	{ "villages?$filter=", 400, "empty" },
	{ "villages?$filter=%20coastal", 400, "whitespace is not allowed" },
	{ "villages?$filter=a%", 400, "percent" },
	{ "villages?$filter=a eq %C0%AF", 400, "UTF-8" },
	{ "villages?$top=-1", 400, "digits only" },
	{ "villages?$top=1&$top=2", 400, "more than once" },
	{ "villages?$skip=x", 400, "digits" },
	{ "villages?$count=yes", 400, "true or false" },
	{ "villages?$frob=1", 400, "unknown system query option" },
	{ "villages?$expand=x", 501, "not supported" },
	{ "villages?$orderby=frob", 400, "unknown property 'frob'" },
	{ "villages?$orderby=pop asc desc", 400, "position 8" },
	{ "villages?$select=nope", 400, "unknown property 'nope'" },
	{ "villages?$select=id/x", 400, "not supported" },
	{ "villages?$search=", 400, "empty" },
	{ "villages?$search=%22abc", 400, "unterminated" },
	{ "villages?$search=(kuta", 400, "expected ')'" },
	{ "villages?$search=kuta)", 400, "unbalanced" },
	{ "villages?$search=()", 400, "unexpected ')' at position 1" },
	{ "villages?$search=%22a%22b", 400, "followed by a space" },
	{ "villages?$apply=aggregate(pop as S)", 400, "custom aggregates" },
	{ "plain?$search=x", 400, "no searchable" },
	{ "villages?$format=xml", 406, "json and csv" },
	{ "villages?$format=atom", 406, "json and csv" },
	{ "villages?$skiptoken=zzzz", 400, "$skiptoken" },
	{ "villages?$skiptoken=eyJoIjoiMCJ9", 400, "$skiptoken" },
	{ "villages?$apply=rollup(x)", 501, "not supported" },
	{ "villages?$apply=concat(identity,identity)", 501, "not supported" },
	{ "villages?$apply=aggregate(pop with median as m)", 400, "unknown aggregation method" },
	{ "villages?$apply=aggregate(pop with sum)", 400, "alias" },
	{ "villages?$apply=groupby((nope))", 400, "unknown property 'nope'" },
	{ "villages?$apply=aggregate(name with sum as s)", 400, "needs a number" },
	{ "nums?$apply=aggregate(big with sum as s)", 400, "integer overflow" },
	{ "nosuch", 404, "resource 'nosuch' not found" },
	{ "t1", 404, "resource 't1' not found" },
	{ "villages('nope')", 404, "no entity" },
	{ "villages(42)", 400, "Edm.String" },
	{ "odd?$filter=Harga Kemarin gt 1", 400, "expected an operator" },
	{ "villages/name", 404, "not found" },
	{ "villages/$count?$top=1", 400, "not allowed" },
};

int
main(int argc, char **argv)
{
	char      path[] = "/tmp/kq-test-XXXXXX";
	kueri_err err;
	size_t    i;
	char     *body;
	kq_head   h;
	int       fd;

	if (argc == 3 && strcmp(argv[1], "--fixture") == 0)
		return kq_fixture_make(argv[2]) < 0 ? 1 : 0;
	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	if (kq_fixture_make(path) < 0 || (P = portal_open_ro(path, &err)) == NULL ||
	    sqlite3_open_v2(path, &RAW, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		printf("not ok 1 - fixture\n");
		return 1;
	}

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int   st = run(rows[i].url, NULL, NULL, &body, NULL);
		char *got = ids_of(body, strncmp(rows[i].url, "nums", 4) ? "id" : "n");
		char *want = sql_ids(rows[i].sql);

		if (st != 200)
			printf("# %s\n", body);
		ok(st == 200 && strcmp(got, want) == 0, "%s = hand SQL (%s)",
		   rows[i].url, want);
		if (st == 200 && strcmp(got, want))
			printf("#   got:  %s\n#   want: %s\n", got, want);
		free(got);
		free(want);
		free(body);
	}
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		int     st = run(errs[i].url, NULL, NULL, &body, NULL);
		json_t *j = json_loads(body, 0, NULL);
		json_t *e = json_object_get(j, "error");
		const char *msg = json_string_value(json_object_get(e, "message"));
		const char *code = json_string_value(json_object_get(e, "code"));

		if (errs[i].frag == NULL)
			ok(st == errs[i].status, "%s → %d", errs[i].url, errs[i].status);
		else
			ok(st == errs[i].status && msg && code && *code &&
			   strstr(msg, errs[i].frag) && json_object_size(j) == 1,
			   "%s → %d, one 'error' member, message has \"%s\"",
			   errs[i].url, errs[i].status, errs[i].frag);
		if (errs[i].frag && (st != errs[i].status || !msg ||
		                     !strstr(msg, errs[i].frag)))
			printf("#   got %d: %s\n", st, body);
		json_decref(j);
		free(body);
	}

	/* $count counts every match, ignoring $top and $skip */
	run("nums?$filter=grp eq 3&$count=true&$top=2&$skip=5", NULL, NULL, &body, NULL);
	{
		json_t *j = json_loads(body, 0, NULL);
		char   *want = sql_ids("SELECT count(*) FROM t2 WHERE c1 = 3");

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
	ok(run("plain('x')", NULL, NULL, &body, NULL) == 400,
	   "a set without a primary key is not addressed by a column value");
	free(body);
	ok(run("plain(2)", NULL, NULL, &body, NULL) == 200 &&
	   strstr(body, "\"_row\":2,\"a\":\"y\""),
	   "... but by its row key _row: plain(2)");
	free(body);
	ok(run("plain(_row=1)", NULL, NULL, &body, NULL) == 200 &&
	   strstr(body, "\"_row\":1,\"a\":\"x\",\"b\":1.5"),
	   "... or plain(_row=1)");
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
	is_str(body, "_row,a,b\r\n1,x,1.5\r\n2,y,\r\n", "CSV of a set without a "
	       "key carries its row key _row");
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
			{ "nums?$orderby=grp&$select=n", "SELECT c0 FROM t2 ORDER BY c1, rowid" },
			{ "nums?$orderby=grp desc,label&$select=n", "SELECT c0 FROM t2 ORDER BY c1 DESC, c2, rowid" },
			{ "nums?$filter=n gt 100&$orderby=label desc&$top=2500&$select=n", "SELECT c0 FROM t2 WHERE c0 > 100 ORDER BY c2 DESC, rowid LIMIT 2500" },
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
	return tap_done();
}
