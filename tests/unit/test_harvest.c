/*
 * test_harvest.c -- the harvest module (harvest/) without a web server:
 * the CSV a download writes, value by value (nulls, booleans, numbers,
 * quoting, geopoint order, the published header), the frequency table,
 * dates in fq, routing, HEAD, CKAN errors for malformed input, and the
 * private package that a tampered file might hold.  Requests go through
 * the service's handler (kh_handle) with CGI params from a table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../fcgi/service.h"
#include "../../harvest/kd_int.h"
#include "harvest.h"
#include "portal_fixture.h"
#include "publish.h"
#include "tap.h"

/* The test portal, written through the portal's writer API
 * (portal_fixture.h): package pangan (published twice: version 2) whose
 * descriptor carries the lexical options a download must drop, and a
 * private package rahasia written on purpose as a canary that no answer
 * may ever show. */
static const char pangan_descriptor[] =
	"{\"name\":\"pangan\",\"resources\":"
	"[{\"name\":\"harga\",\"path\":\"h.csv\",\"dialect\":{\"delimiter\":\";\"},"
	"\"schema\":{\"fields\":[{\"name\":\"Harga Kemarin\",\"type\":\"integer\","
	"\"groupChar\":\".\"},{\"name\":\"ok\",\"type\":\"boolean\",\"trueValues\":"
	"[\"ya\"],\"falseValues\":[\"tidak\"]},{\"name\":\"x\",\"type\":\"number\","
	"\"decimalChar\":\",\"},{\"name\":\"s\",\"type\":\"string\",\"format\":"
	"\"email\"},{\"name\":\"d\",\"type\":\"date\",\"format\":\"%d/%m/%Y\"},"
	"{\"name\":\"g\",\"type\":\"geopoint\"}],\"missingValues\":[\"NA\"]}}]}";
static const kp_field harga_fields[] = {
	{ .name = "Harga Kemarin", .type = KP_INTEGER, .nullable = 1 },
	{ .name = "ok", .type = KP_BOOLEAN, .nullable = 1 },
	{ .name = "x", .type = KP_NUMBER, .nullable = 1 },
	{ .name = "s", .type = KP_STRING, .nullable = 1 },
	{ .name = "d", .type = KP_DATE, .nullable = 1 },
	{ .name = "g", .type = KP_GEOPOINT, .nullable = 1 },
};
#define S(x) { .s = x, .len = sizeof x - 1 }
static const kp_value harga_rows[] = {
	{ .i = 1000 }, { .i = 1 }, { .d = 0.1 }, S("a,b"), S("2024-02-29"),
	S("-6.9,107.6"),
	{ .null = 1 }, { .i = 0 }, { .d = 1e300 }, S("say \"hi\""), { .null = 1 },
	{ .null = 1 },
	{ .i = -5 }, { .null = 1 }, { .d = 3.0 }, S(" lead"), { .null = 1 },
	{ .null = 1 },
	{ .i = 7 }, { .i = 1 }, { .d = -2.5 }, S(""), { .null = 1 },
	{ .null = 1 },
};
static const pf_set pangan_sets[] = {
	{ "harga", NULL, 6, harga_fields, 0, NULL, 4, harga_rows },
};
static const kp_package_def pangan_pkg = {
	"Harga", "Dinas Pangan", "public", "P3M", pangan_descriptor, "fp",
};
static const kp_field bocor_fields[] = {
	{ .name = "v", .type = KP_STRING, .nullable = 1 },
};
static const kp_value bocor_rows[] = { S("KUERI-CANARY row") };
#undef S
static const pf_set rahasia_sets[] = {
	{ "bocor", NULL, 1, bocor_fields, 0, NULL, 1, bocor_rows },
};
static const kp_package_def rahasia_pkg = {
	"KUERI-CANARY", "Canary", "private", "P1D", "{\"name\":\"rahasia\"}",
	"fp",
};

typedef struct fake {
	const char *kv[16];
} fake;

static const char *
fake_param(void *ctx, const char *name)
{
	fake *f = ctx;
	int i;

	if (name == NULL)       /* the request body: a test gives it as BODY */
		name = "BODY";
	for (i = 0; f->kv[i]; i += 2)
		if (strcmp(f->kv[i], name) == 0)
			return f->kv[i + 1];
	return NULL;
}

static int
buf_write(void *ctx, const char *p, size_t len)
{
	ku_buf *b = ctx;

	ku_buf_add(b, p, len);
	return b->oom ? -1 : 0;
}

static kportal *P;
static ks_conf C;

/* One request, with a Content-Type and body when not NULL (BODY is what
 * fake_param answers for the body); the whole CGI response (caller
 * frees). */
static char *
run_req(const char *method, const char *uri, const char *accept,
        const char *ctype, const char *body)
{
	fake f = { { "REQUEST_METHOD", method, "REQUEST_URI", uri,
	             "HTTP_HOST", "example.org", NULL } };
	ku_buf b = { 0 };
	kueri_sink out = { buf_write, &b };
	kh_stats st;
	const char *q = strchr(uri, '?');
	const char *kv[] = { "QUERY_STRING", q ? q + 1 : NULL,
	                     "HTTP_ACCEPT", accept, "CONTENT_TYPE", ctype,
	                     "BODY", body };
	size_t i, n = 6;

	for (i = 0; i < sizeof kv / sizeof kv[0]; i += 2)
		if (kv[i + 1]) {
			f.kv[n++] = kv[i];
			f.kv[n++] = kv[i + 1];
		}
	f.kv[n] = NULL;
	kh_handle(P, &C, fake_param, &f, &out, &st);
	if (b.s == NULL)
		b.s = calloc(1, 1);
	return b.s;
}

static char *
run(const char *method, const char *uri, const char *accept)
{
	return run_req(method, uri, accept, NULL, NULL);
}

static char *
run_post(const char *uri, const char *ctype, const char *body)
{
	return run_req("POST", uri, NULL, ctype, body);
}

static const char *
body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");

	return b ? b + 4 : "";
}

static void
test_csv(void)
{
	char *r = run("GET", "/catalog/pangan/harga.csv", NULL);

	ok(strncmp(r, "Status: 200", 11) == 0, "CSV download: 200");
	ok(strstr(r, "ETag: \"kd-csv-") != NULL, "CSV download: ETag");
	ok(strstr(r, "Last-Modified: ") != NULL, "CSV download: Last-Modified");
	is_str(body_of(r),
	       "Harga Kemarin,ok,x,s,d,g\r\n"
	       "1000,true,0.1,\"a,b\",2024-02-29,\"107.6,-6.9\"\r\n"
	       ",false,1e+300,\"say \"\"hi\"\"\",,\r\n"
	       "-5,,3,\" lead\",,\r\n"
	       "7,true,-2.5,,,\r\n",
	       "CSV: published header; null empty; booleans true/false;"
	       " shortest numbers; RFC 4180 quoting; geopoint lon,lat");
	free(r);
	r = run("HEAD", "/catalog/pangan/harga.csv", NULL);
	ok(strncmp(r, "Status: 200", 11) == 0 && *body_of(r) == '\0',
	   "HEAD: 200 without a body");
	free(r);
	r = run("GET", "/catalog/pangan/nope.csv", NULL);
	ok(strncmp(r, "Status: 404", 11) == 0, "unknown resource: 404");
	free(r);
	r = run("GET", "/catalog/rahasia/bocor.csv", NULL);
	ok(strncmp(r, "Status: 404", 11) == 0 && !strstr(r, "CANARY"),
	   "a private package's resource: 404, no data");
	free(r);
	r = run("GET", "/catalog/pang%zz/harga.csv", NULL);
	ok(strncmp(r, "Status: 404", 11) == 0, "malformed escape: 404");
	free(r);
}

static void
test_datapackage(void)
{
	char *r = run("GET", "/catalog/pangan/datapackage.json", NULL);
	json_t *d = json_loads(body_of(r), 0, NULL);
	json_t *res = json_array_get(json_object_get(d, "resources"), 0);
	json_t *f = json_object_get(json_object_get(res, "schema"), "fields");
	char *csv = run("GET", "/catalog/pangan/harga.csv", NULL);
	const char *cb = body_of(csv);
	ksha256 c;
	char hex[65], want[80];

	ksha256_init(&c);
	ksha256_update(&c, cb, strlen(cb));
	ksha256_hex(&c, hex);
	snprintf(want, sizeof want, "sha256:%s", hex);
	ok(d != NULL, "datapackage.json is JSON");
	is_str(json_string_value(json_object_get(res, "path")),
	       "http://example.org/catalog/pangan/harga.csv",
	       "path → the CSV download URL");
	is_str(json_string_value(json_object_get(res, "hash")), want,
	       "hash is the sha256 of the bytes the CSV URL serves");
	is_int(json_integer_value(json_object_get(res, "bytes")),
	       (long long)strlen(cb), "bytes likewise");
	is_str(json_string_value(json_object_get(d, "version")), "2.0.0",
	       "version from the portal");
	ok(json_object_get(res, "dialect") == NULL, "dialect dropped (the CSV"
	   " is written with commas)");
	ok(json_object_get(json_array_get(f, 0), "groupChar") == NULL &&
	   json_object_get(json_array_get(f, 1), "trueValues") == NULL &&
	   json_object_get(json_array_get(f, 2), "decimalChar") == NULL &&
	   json_object_get(json_array_get(f, 4), "format") == NULL,
	   "lexical options the CSV no longer follows are dropped");
	is_str(json_string_value(json_object_get(json_array_get(f, 3),
	       "format")), "email", "a string format (a value constraint) stays");
	is_str(json_string_value(json_array_get(json_object_get(
	       json_object_get(res, "schema"), "missingValues"), 0)), "",
	       "missingValues is [\"\"] (null is the empty field)");
	json_decref(d);
	free(r);
	free(csv);
	r = run("GET", "/catalog/rahasia/datapackage.json", NULL);
	ok(strncmp(r, "Status: 404", 11) == 0 && !strstr(r, "CANARY"),
	   "a private package's datapackage.json: 404");
	free(r);
}

static void
test_catalog_and_ckan(void)
{
	char *r;

	r = run("GET", "/catalog", "text/turtle");
	ok(strstr(r, "Content-Type: text/turtle") != NULL,
	   "/catalog + Accept text/turtle → Turtle");
	ok(strstr(r, "frequency/QUARTERLY") != NULL, "P3M → QUARTERLY");
	ok(strstr(r, "CANARY") == NULL && strstr(r, "rahasia") == NULL,
	   "the private package is not in the DCAT catalog");
	free(r);
	r = run("GET", "/catalog", "application/json");
	ok(strstr(r, "Content-Type: application/json") != NULL &&
	   body_of(r)[0] == '[', "/catalog + Accept JSON → the JSON catalog");
	free(r);
	r = run("GET", "/api/3/action/package_list", NULL);
	is_str(body_of(r), "{\"help\":\"http://example.org/api/3/action/"
	       "help_show?name=package_list\",\"success\":true,\"result\":"
	       "[\"pangan\"]}", "package_list: envelope, public names only");
	free(r);
	r = run("GET", "/api/3/action/package_search?q=%ZZ", NULL);
	ok(strncmp(r, "Status: 400", 11) == 0 &&
	   strstr(r, "\"success\":false") != NULL,
	   "a malformed escape in a parameter → 400, CKAN envelope");
	free(r);
	r = run("GET", "/api/3/action/package_search?fq=metadata_modified:"
	        "%5Bnot-a-date+TO+*%5D", NULL);
	ok(strncmp(r, "Status: 409", 11) == 0 &&
	   strstr(r, "ISO 8601") != NULL, "fq with a bad date → 409, says why");
	free(r);
	r = run("GET", "/api/3/action/package_search?fq=metadata_modified:"
	        "%5B2023-11-14T22:13:20Z+TO+*%5D", NULL);
	ok(strstr(r, "\"count\":1") != NULL,
	   "fq lower bound equal to metadata_modified includes it");
	free(r);
	r = run("GET", "/api/3/action/package_search?fq=metadata_modified:"
	        "%5B2023-11-14T22:13:21Z+TO+*%5D", NULL);
	ok(strstr(r, "\"count\":0") != NULL, "... one second later excludes it");
	free(r);
	r = run("GET", "/api/3/action/x%FFy", NULL);
	{
		json_t *j = json_loads(body_of(r), 0, NULL);

		ok(strncmp(r, "Status: 400", 11) == 0 && j != NULL &&
		   strcmp(json_string_value(json_object_get(json_object_get(j,
		          "error"), "__type")) ? json_string_value(json_object_get(
		          json_object_get(j, "error"), "__type")) : "", "Bad Request")
		   == 0 && strstr(body_of(r), "known: x?y") != NULL,
		   "unknown action with a non-ASCII byte: 400, valid JSON, the"
		   " byte shown as '?'");
		json_decref(j);
	}
	free(r);
	/* CKAN's clients POST their actions (JSON or a form body): the same
	 * answer as a GET; POST elsewhere stays 405. */
	r = run_post("/api/3/action/package_list", NULL, NULL);
	ok(strncmp(r, "Status: 200", 11) == 0 &&
	   strstr(body_of(r), "\"result\":[\"pangan\"]") != NULL,
	   "POST package_list with no body → 200, the GET's list");
	free(r);
	r = run_post("/api/3/action/package_list", "application/json",
	             "{\"limit\": 0}");
	ok(strncmp(r, "Status: 200", 11) == 0 &&
	   strstr(body_of(r), "\"result\":[]") != NULL,
	   "POST package_list {\"limit\": 0} → 200, an empty list");
	free(r);
	r = run_post("/api/3/action/package_list",
	             "application/x-www-form-urlencoded", "limit=0");
	ok(strncmp(r, "Status: 200", 11) == 0 &&
	   strstr(body_of(r), "\"result\":[]") != NULL,
	   "POST package_list with the form body limit=0 → an empty list");
	free(r);
	r = run_post("/api/3/action/package_list", "application/json", "[1]");
	ok(strncmp(r, "Status: 400", 11) == 0 &&
	   strstr(body_of(r), "Bad request - JSON Error") != NULL,
	   "POST with a JSON list → 400 in CKAN's words");
	free(r);
	r = run_post("/api/3/action/package_show", "application/json",
	             "{\"id\": \"a\\u0000b\"}");
	ok(strncmp(r, "Status: 400", 11) == 0 &&
	   strstr(body_of(r), "JSON Error") != NULL &&
	   strstr(body_of(r), "u0000") != NULL,
	   "POST with \\u0000 inside a JSON string → 400 naming it");
	free(r);
	r = run_post("/odata/", "application/json", "{}");
	ok(strncmp(r, "Status: 405", 11) == 0, "POST to the OData root → 405");
	free(r);
}

static void
test_pure(void)
{
	static const char *const map[][2] = {
		{ "P1D", "DAILY" }, { "P1W", "WEEKLY" }, { "P1M", "MONTHLY" },
		{ "P3M", "QUARTERLY" }, { "P6M", "BIANNUAL" }, { "P1Y", "ANNUAL" },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		is_str(kd_frequency(map[i][0]), map[i][1], "%s → %s", map[i][0],
		       map[i][1]);
	ok(kd_frequency("P5D") == NULL && kd_frequency(NULL) == NULL,
	   "no exact term → NULL (the writers use OTHER)");
	is_int(kd_time_parse("2023-11-14T22:13:20Z"), 1700000000, "ISO Z");
	is_int(kd_time_parse("2023-11-14T22:13:20.123456Z"), 1700000000,
	       "with a fraction (the harvester's form)");
	is_int(kd_time_parse("2023-11-14"), 1699920000, "a bare date");
	is_int(kd_time_parse("2023-11-14T22:13"), -1, "incomplete → -1");
	is_int(kd_time_parse("2023-11-14T22:13:20+07:00"), -1,
	       "an offset is not accepted (Solr dates are UTC) → -1");
	ok(kd_is_route("catalog.ttl", NULL) && kd_is_route("catalog.jsonld", NULL)
	   && kd_is_route("catalog", "application/ld+json")
	   && !kd_is_route("catalog", "text/html")
	   && !kd_is_route("catalog/x", NULL)
	   && kd_is_route("catalog/x/datapackage.json", NULL)
	   && kd_is_route("catalog/x/y.csv", NULL)
	   && !kd_is_route("catalog/x/y/z.csv", NULL)
	   && kd_is_route("api/3/action/package_list", NULL),
	   "routes: which paths the module answers");
}

int
main(void)
{
	char dbpath[256];
	sqlite3 *db;
	kueri_err err;
	char *msg = NULL;

	snprintf(dbpath, sizeof dbpath, "%s/kueri-test-harvest-%d.db",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	ok(pf_make(dbpath, "pangan", &pangan_pkg, pangan_sets, 1) == 0 &&
	   pf_publish(dbpath, "pangan", &pangan_pkg, pangan_sets, 1) == 0 &&
	   pf_publish(dbpath, "rahasia", &rahasia_pkg, rahasia_sets, 1) == 0,
	   "portal written by the portal writer (pangan v2, private rahasia)");
	/* The writer stamps published_at with the real clock; the fq date
	 * bounds below need a known metadata_modified (2023-11-14T22:13:20Z),
	 * so that one column is set afterwards on the written portal. */
	ok(sqlite3_open(dbpath, &db) == SQLITE_OK &&
	   sqlite3_exec(db, "UPDATE kueri_package SET published_at = 1700000000",
	                NULL, NULL, &msg) == SQLITE_OK &&
	   sqlite3_changes(db) == 2, "published_at set to 1700000000 (%s)",
	   msg ? msg : "ok");
	sqlite3_free(msg);
	sqlite3_close(db);
	kueri_err_clear(&err);
	P = portal_open_ro(dbpath, &err);
	ok(P != NULL, "portal opens (%s)", err.msg);
	ks_conf_default(&C);
	test_pure();
	if (P != NULL) {
		test_csv();
		test_datapackage();
		test_catalog_and_ckan();
		portal_close(P);
	}
	pf_unlink(dbpath);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
