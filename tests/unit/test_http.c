/*
 * test_http.c -- the service's request handler (fcgi/http.c) and the
 * OData names of query/metadata.c, without a web server: CGI params from a
 * table, the response captured in memory, a portal written through the
 * portal's writer API (portal_fixture.h).  Like kcgi's regress tests: no sockets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../fcgi/service.h"
#include "portal_fixture.h"
#include "tap.h"

static char dbpath[256];

/* The test portal, written through the portal's writer API
 * (portal_fixture.h): field names that are not identifiers and clashes
 * between them; a set name that is not one ("set-1": the publisher refuses
 * it today, but the portal maps whatever names a portal file holds); a set
 * called like the entity container. */
static const kp_field harga_fields[] = {
	{ .name = "Harga Kemarin", .type = KP_INTEGER, .nullable = 1 },
	{ .name = "Harga_Kemarin", .type = KP_NUMBER, .nullable = 1 },
	{ .name = "9 lives", .type = KP_STRING, .nullable = 1 },
	{ .name = "a-b", .type = KP_STRING, .nullable = 1 },
	{ .name = "a b", .type = KP_STRING, .nullable = 1 },
	{ .name = "h\xc3\xa9llo w\xc3\xb6rld!", .type = KP_STRING, .nullable = 1 },
	{ .name = "", .type = KP_STRING, .nullable = 1 },
	{ .name = "<&>\"", .type = KP_NUMBER, .nullable = 1, .decimal = 1 },
};
static const kp_field set1_fields[] = {
	{ .name = "x", .type = KP_NUMBER, .nullable = 1 },
	{ .name = "g", .type = KP_GEOPOINT, .nullable = 1 },
};
static const kp_field container_fields[] = {
	{ .name = "k", .type = KP_INTEGER, .nullable = 0 },
};
static const int container_key[] = { 0 };
static const kp_value container_rows[] = { { .i = 1 }, { .i = 2 } };
static const pf_set fixture_sets[] = {
	{ "harga", NULL, 8, harga_fields, 0, NULL, 0, NULL },
	{ "set-1", NULL, 2, set1_fields, 0, NULL, 0, NULL },
	{ "Container", NULL, 1, container_fields, 1, container_key, 2,
	  container_rows },
};
static const kp_package_def fixture_pkg = {
	"Harga", "Dinas", "public", "P1M", "{}", "fp",
};

/* ---- a fake request ---------------------------------------------------- */

typedef struct fake {
	const char *kv[32];   /* name, value, name, value, ..., NULL */
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

typedef struct buf {
	char  *s;
	size_t n;
} buf;

static int
buf_write(void *ctx, const char *p, size_t len)
{
	buf *b = ctx;
	char *s = realloc(b->s, b->n + len + 1);

	if (s == NULL)
		return -1;
	memcpy(s + b->n, p, len);
	b->n += len;
	s[b->n] = '\0';
	b->s = s;
	return 0;
}

static kportal *P;
static ks_conf C;
static kh_stats ST;

/* Run one request; returns the whole CGI response (caller frees). */
static char *
run(const char *method, const char *uri, const char *extra_name,
    const char *extra_value)
{
	fake f = { { "REQUEST_METHOD", method, "REQUEST_URI", uri,
	             "HTTP_HOST", "example.org:8080", NULL } };
	buf b = { NULL, 0 };
	kueri_sink out = { buf_write, &b };
	const char *q = strchr(uri, '?');

	if (q) {
		f.kv[6] = "QUERY_STRING";
		f.kv[7] = q + 1;
	}
	if (extra_name) {
		int i = q ? 8 : 6;

		f.kv[i] = extra_name;
		f.kv[i + 1] = extra_value;
	}
	kh_handle(P, &C, fake_param, &f, &out, &ST);
	if (b.s == NULL)
		b.s = calloc(1, 1);
	return b.s;
}

static const char *
body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");

	return b ? b + 4 : "";
}

/* Run with more params (NULL-terminated name/value pairs). */
static char *
run_with(const char *uri, const char *const *kv)
{
	fake f = { { "REQUEST_METHOD", "GET", "REQUEST_URI", uri,
	             "HTTP_HOST", "internal:8080", NULL } };
	buf b = { NULL, 0 };
	kueri_sink out = { buf_write, &b };
	int i = 6, k;

	for (k = 0; kv[k] && i < 30; k++)
		f.kv[i++] = kv[k];
	f.kv[i] = NULL;
	kh_handle(P, &C, fake_param, &f, &out, &ST);
	if (b.s == NULL)
		b.s = calloc(1, 1);
	return b.s;
}

/* Behind a TLS-terminating proxy: X-Forwarded-Proto/-Host only from a
 * peer listed in --trust-proxy (ks_conf.trust_proxy). */
static void
test_forwarded(void)
{
	static const char *const fwd[] = {
		"REMOTE_ADDR", "10.0.0.7",
		"HTTP_X_FORWARDED_PROTO", "https, http",
		"HTTP_X_FORWARDED_HOST", "data.example.go.id", NULL };
	static const char *const bad[] = {
		"REMOTE_ADDR", "10.0.0.7",
		"HTTP_X_FORWARDED_PROTO", "gopher",
		"HTTP_X_FORWARDED_HOST", "evil.example/x?", NULL };
	static const char *const paged[] = {
		"REMOTE_ADDR", "10.0.0.7", "HTTP_PREFER", "odata.maxpagesize=1",
		"HTTP_X_FORWARDED_PROTO", "https",
		"HTTP_X_FORWARDED_HOST", "data.example.go.id", NULL };
	static const char *const https[] = {
		"REMOTE_ADDR", "10.0.0.9", "HTTPS", "on", NULL };
	const char *saved = C.trust_proxy;
	char *r;

	C.trust_proxy = NULL;
	r = run_with("/odata/", fwd);
	ok(strstr(r, "\"@odata.context\":\"http://internal:8080/odata/") != NULL,
	   "without --trust-proxy X-Forwarded-* is ignored");
	free(r);
	C.trust_proxy = "127.0.0.1,10.0.0.7";
	r = run_with("/odata/", fwd);
	ok(strstr(r, "\"@odata.context\":\"https://data.example.go.id/odata/") != NULL,
	   "from a trusted proxy X-Forwarded-Proto/-Host (first items) set the context");
	free(r);
	r = run_with("/odata/Container", paged);
	ok(strstr(r, "\"@odata.nextLink\":\"https://data.example.go.id/odata/Container?") != NULL,
	   "... and the nextLink");
	free(r);
	C.trust_proxy = "10.0.0.70";
	r = run_with("/odata/", fwd);
	ok(strstr(r, "http://internal:8080/odata/") != NULL,
	   "a peer not in the list (10.0.0.7 vs 10.0.0.70) is not trusted");
	free(r);
	C.trust_proxy = "10.0.0.7";
	r = run_with("/odata/", bad);
	ok(strstr(r, "http://internal:8080/odata/") != NULL,
	   "a trusted proxy's unknown scheme and malformed host are ignored");
	free(r);
	r = run_with("/odata/", https);
	ok(strstr(r, "https://internal:8080/odata/") != NULL,
	   "the web server's own HTTPS param needs no trust");
	free(r);
	C.trust_proxy = saved;
}

static void
test_names(void)
{
	const kp_set *s = portal_set(P, "harga");
	kq_name *n;
	int keys[4];

	ok(s != NULL, "fixture set loaded");
	if (s == NULL)
		return;
	n = kq_field_names(s);
	ok(n != NULL, "kq_field_names");
	if (n == NULL)
		return;
	is_str(n[0].s, "Harga_Kemarin_2",
	       "a header with a space becomes an identifier, and yields to a"
	       " real field already spelled that way");
	is_str(n[1].s, "Harga_Kemarin", "a real identifier keeps its name");
	is_str(n[2].s, "_9_lives", "a leading digit gets an underscore");
	is_str(n[3].s, "a_b", "'-' becomes '_'");
	is_str(n[4].s, "a_b_2", "a clash with an earlier mapped name gets _2");
	is_str(n[5].s, "h_llo_w_rld_",
	       "non-ASCII characters (whole UTF-8 sequences) become one '_'");
	is_str(n[6].s, "_", "an empty name becomes '_'");
	is_str(n[7].s, "__2", "punctuation-only names still get a unique name");
	is_int(kq_field_by_odata_name(s, "Harga_Kemarin_2"), 0,
	       "inverse lookup of a mapped name");
	is_int(kq_field_by_odata_name(s, "Harga_Kemarin"), 1,
	       "inverse lookup of a real identifier");
	is_int(kq_field_by_odata_name(s, "Harga Kemarin"), -1,
	       "the raw CSV header is not an OData name");
	free(n);
	ok(kq_set_by_odata_name(P, "set_1") == portal_set(P, "set-1"),
	   "set lookup by mapped name");
	ok(kq_set_by_odata_name(P, "set-1") == NULL,
	   "the raw set name is not an OData name");
	ok(kq_set_by_odata_name(P, "harga") == s, "identity set name");
	is_int(kq_set_key(s, keys, 4), 1, "a set without a primary key gets"
	       " one key property");
	is_int(keys[0], s->nfields, "... the synthetic row key _row (index "
	       "nfields): no column is known to be unique");
	ok(kq_row_key(s), "... and kq_row_key says so");
	s = portal_set(P, "set-1");
	is_int(kq_set_key(s, keys, 4), 1, "a set of Double and geopoint only"
	       " still gets a key (CSDL requires one)");
}

static void
test_routes(void)
{
	char *r;

	r = run("GET", "/odata/", NULL, NULL);
	ok(strncmp(r, "Status: 200 OK\r\n", 16) == 0, "service document 200");
	ok(strstr(r, "\"@odata.context\":\"http://example.org:8080/odata/"
	          "$metadata\"") != NULL, "context URL from the Host header");
	ok(strstr(r, "{\"name\":\"set_1\",\"kind\":\"EntitySet\","
	          "\"url\":\"set_1\"}") != NULL, "entity set entry");
	free(r);

	r = run("GET", "/odata/$metadata", NULL, NULL);
	ok(strstr(r, "Content-Type: application/xml\r\n") != NULL,
	   "$metadata XML");
	ok(strstr(r, "<EntityContainer Name=\"Container_\">") != NULL,
	   "the container renames itself when a set is called Container");
	ok(strstr(r, "<Property Name=\"__2\" Type=\"Edm.Decimal\""
	          " Nullable=\"true\" Scale=\"variable\"/>") != NULL,
	   "XML-special characters never reach the document");
	ok(strstr(r, "Type=\"Edm.GeographyPoint\"") != NULL,
	   "geopoint is Edm.GeographyPoint");
	is_int(ST.status, 200, "stats: status");
	ok(ST.bytes > 100 && ST.bytes == (long long)strlen(body_of(r)),
	   "stats: body bytes");
	is_str(ST.path, "/odata/$metadata", "stats: path");
	free(r);

	r = run("GET", "/odata/%24metadata?%24format=json", NULL, NULL);
	ok(strstr(r, "\"$EntityContainer\":\"kueri.Container_\"") != NULL,
	   "CSDL JSON via encoded $format, container name consistent");
	free(r);

	r = run("HEAD", "/odata/$metadata", NULL, NULL);
	ok(strncmp(r, "Status: 200", 11) == 0 && *body_of(r) == '\0',
	   "HEAD: headers, no body");
	free(r);

	r = run("GET", "/odata/$metadata", "HTTP_IF_NONE_MATCH", "*");
	ok(strncmp(r, "Status: 304", 11) == 0, "If-None-Match: * → 304");
	free(r);

	r = run("DELETE", "/odata/harga", NULL, NULL);
	ok(strncmp(r, "Status: 405", 11) == 0 &&
	   strstr(r, "\r\nAllow: GET, HEAD\r\n") != NULL, "DELETE → 405 + Allow");
	free(r);

	r = run("GET", "/odata/harga?x=\r\nSet-Cookie:%20a", NULL, NULL);
	ok(strstr(r, "\r\nSet-Cookie") == NULL, "CR/LF in the URI is never a"
	   " header");
	free(r);

	r = run("GET", "/odata/", "HTTP_HOST", "a\r\nX: y");
	ok(strstr(r, "http://example.org:8080/") != NULL ||
	   strstr(r, "\r\nX: y") == NULL, "a hostile Host is not used");
	free(r);

	r = run("GET", "/catalog/pangan", NULL, NULL);
	ok(strncmp(r, "Status: 200", 11) == 0 &&
	   strstr(r, "\"name\":\"pangan\"") != NULL, "/catalog/NAME");
	free(r);

	test_forwarded();

	r = run("GET", "/catalog/p%zz", NULL, NULL);
	ok(strncmp(r, "Status: 404", 11) == 0, "broken escape in a catalog"
	   " name → 404");
	free(r);

	r = run("GET", "/healthz", NULL, NULL);
	ok(strncmp(r, "Status: 404", 11) == 0 &&
	   strstr(r, "{\"error\":{\"code\":\"NotFound\"") != NULL,
	   "unknown path → 404 OData error");
	free(r);
	{
		char *mid = malloc(6000);

		memcpy(mid, "/odata/$metadata?x=", 19);
		memset(mid + 19, 'a', 5980);
		mid[5999] = '\0';
		r = run("GET", mid, NULL, NULL);
		ok(strncmp(r, "Status: 200", 11) == 0, "a 6 KB URI is not too"
		   " long (the query string is counted once)");
		free(r);
		free(mid);
	}
	{
		char *big = malloc(9000);

		memcpy(big, "/odata/harga?", 13);
		memset(big + 13, 'a', 8986);
		big[8999] = '\0';
		r = run("GET", big, NULL, NULL);
		ok(strncmp(r, "Status: 414", 11) == 0, "9 KB URI → 414 even"
		   " without nginx");
		free(r);
		free(big);
	}
}

/* A header's value in a whole response, into v (empty when absent). */
static void
header_of(const char *resp, const char *name, char *v, size_t len)
{
	const char *end = strstr(resp, "\r\n\r\n"), *h = resp;
	size_t      nl = strlen(name), n;

	v[0] = '\0';
	while (h && h < end) {
		if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
			h += nl + 1;
			while (*h == ' ')
				h++;
			n = strcspn(h, "\r");
			snprintf(v, len, "%.*s", (int)n, h);
			return;
		}
		h = strstr(h, "\r\n");
		if (h)
			h += 2;
	}
}

/* Access-Control-Expose-Headers names the non-safelisted headers the
 * answer carries, and only those: ETag when there is one, OData-Version,
 * Preference-Applied / Content-Disposition when sent.  Last-Modified is
 * CORS-safelisted and never named. */
static void
test_expose(void)
{
	static const struct {
		const char *uri, *prefer, *want;
	} cases[] = {
		{ "/odata/Container?$top=1", NULL, "ETag, OData-Version" },
		{ "/odata/Container?$format=csv", NULL,
		  "ETag, OData-Version, Content-Disposition" },
		{ "/odata/Container", "odata.maxpagesize=1", "ETag, OData-Version,"
		  " Preference-Applied" },
		{ "/odata/Nope", NULL, "OData-Version" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char  v[256];
		char *r = run_with(cases[i].uri, (const char *const[]){
			cases[i].prefer ? "HTTP_PREFER" : NULL, cases[i].prefer,
			NULL });

		header_of(r, "Access-Control-Expose-Headers", v, sizeof v);
		is_str(v, cases[i].want, "%s%s%s: Access-Control-Expose-Headers",
		       cases[i].uri, cases[i].prefer ? " with Prefer: " : "",
		       cases[i].prefer ? cases[i].prefer : "");
		free(r);
	}
}

/*
 * nginx revalidating an expired entry (fastcgi_cache_revalidate; the
 * stored validators come as KUERI_CACHED_ETAG / _LAST_MODIFIED): they
 * alone decide the 304 -- the client's If-None-Match, which nginx passes
 * too, must not, or nginx would serve its stored older body as current --
 * and only that 304 carries X-Accel-Expires (a 304 to a client would be
 * filed by nginx as the URL's answer).
 */
static void
test_revalidation(void)
{
	static const char *const uris[] = { "/odata/Container?$top=1",
	                                    "/odata/$metadata" };
	size_t i;

	for (i = 0; i < sizeof uris / sizeof uris[0]; i++) {
		const char *u = uris[i];
		char  etag[128], lm[64], v[128];
		char *r = run_with(u, (const char *const[]){ NULL });

		header_of(r, "ETag", etag, sizeof etag);
		header_of(r, "Last-Modified", lm, sizeof lm);
		ok(strncmp(r, "Status: 200", 11) == 0 && etag[0] && lm[0],
		   "%s: a 200 with an ETag and a Last-Modified", u);
		header_of(r, "X-Accel-Expires", v, sizeof v);
		ok(v[0] == '@', "%s: ... and X-Accel-Expires for nginx's cache", u);
		free(r);

		r = run_with(u, (const char *const[]){ "HTTP_IF_NONE_MATCH", etag,
		                                       NULL });
		header_of(r, "X-Accel-Expires", v, sizeof v);
		ok(strncmp(r, "Status: 304", 11) == 0 && v[0] == '\0',
		   "%s: the client's own If-None-Match → 304 without "
		   "X-Accel-Expires", u);
		free(r);

		r = run_with(u, (const char *const[]){ "KUERI_CACHED_ETAG", etag,
		    "HTTP_IF_NONE_MATCH", "\"other\"", NULL });
		header_of(r, "X-Accel-Expires", v, sizeof v);
		ok(strncmp(r, "Status: 304", 11) == 0 && v[0] == '@' &&
		   *body_of(r) == '\0',
		   "%s: nginx's stored ETag current → 304 with X-Accel-Expires, "
		   "whatever the client holds", u);
		header_of(r, "ETag", v, sizeof v);
		is_str(v, etag, "%s: ... the 304 names the ETag", u);
		header_of(r, "Cache-Control", v, sizeof v);
		ok(strncmp(v, "public", 6) == 0, "%s: ... and Cache-Control (%s)", u,
		   v);
		free(r);

		r = run_with(u, (const char *const[]){ "KUERI_CACHED_ETAG",
		    "\"0123456789abcdef\"", "HTTP_IF_NONE_MATCH", etag, NULL });
		header_of(r, "X-Accel-Expires", v, sizeof v);
		ok(strncmp(r, "Status: 200", 11) == 0 && v[0] == '@' &&
		   *body_of(r) != '\0',
		   "%s: nginx's stored ETag old → the whole 200, though the "
		   "client's If-None-Match is current", u);
		free(r);

		r = run_with(u, (const char *const[]){
		    "KUERI_CACHED_LAST_MODIFIED", lm, NULL });
		header_of(r, "X-Accel-Expires", v, sizeof v);
		ok(strncmp(r, "Status: 304", 11) == 0 && v[0] == '@',
		   "%s: nginx's stored Last-Modified current → 304 with "
		   "X-Accel-Expires", u);
		free(r);

		r = run_with(u, (const char *const[]){ "KUERI_CACHED_LAST_MODIFIED",
		    "Thu, 01 Jan 1970 00:00:01 GMT", "HTTP_IF_MODIFIED_SINCE", lm,
		    NULL });
		ok(strncmp(r, "Status: 200", 11) == 0,
		   "%s: nginx's stored Last-Modified older → 200", u);
		free(r);
	}

	/* "*" and a date alone are decided after the query ran: an entity
	 * that is not there is a 404 whatever the conditionals say */
	{
		char *r = run_with("/odata/Container(99)", (const char *const[]){
		    "HTTP_IF_NONE_MATCH", "*", NULL });

		ok(strncmp(r, "Status: 404", 11) == 0,
		   "If-None-Match: * on a missing entity → 404");
		free(r);
		r = run_with("/odata/Container(99)", (const char *const[]){
		    "HTTP_IF_MODIFIED_SINCE", "Fri, 01 Jan 2100 00:00:00 GMT", NULL });
		ok(strncmp(r, "Status: 404", 11) == 0,
		   "If-Modified-Since alone on a missing entity → 404");
		free(r);
		r = run_with("/odata/Container(1)", (const char *const[]){
		    "HTTP_IF_NONE_MATCH", "*", NULL });
		ok(strncmp(r, "Status: 304", 11) == 0,
		   "If-None-Match: * on an entity that is there → 304");
		free(r);
		r = run_with("/odata/Container(1)", (const char *const[]){
		    "HTTP_IF_MODIFIED_SINCE", "Fri, 01 Jan 2100 00:00:00 GMT", NULL });
		ok(strncmp(r, "Status: 304", 11) == 0,
		   "If-Modified-Since after its Last-Modified → 304");
		free(r);
	}

	/* A browser revalidating a page: the page's facets are queries of
	 * their own, and a 304 is decided before them (query/route.c). */
	{
		const char *u = "/odata/Container?$top=1";
		char  etag[128], v[128];
		char *r = run_with(u, (const char *const[]){ "HTTP_ACCEPT",
		                                             "text/html", NULL });

		header_of(r, "ETag", etag, sizeof etag);
		header_of(r, "Content-Type", v, sizeof v);
		ok(strncmp(r, "Status: 200", 11) == 0 && etag[0] &&
		   strncmp(v, "text/html", 9) == 0, "HTML page: a 200 with an ETag");
		free(r);
		r = run_with(u, (const char *const[]){ "HTTP_ACCEPT", "text/html",
		    "HTTP_IF_NONE_MATCH", etag, NULL });
		header_of(r, "ETag", v, sizeof v);
		ok(strncmp(r, "Status: 304", 11) == 0 && *body_of(r) == '\0' &&
		   strcmp(v, etag) == 0, "HTML page: If-None-Match → 304, its ETag");
		free(r);
		r = run_with(u, (const char *const[]){ "HTTP_ACCEPT", "text/html",
		    "HTTP_IF_NONE_MATCH", "\"other\"", NULL });
		ok(strncmp(r, "Status: 200", 11) == 0 &&
		   strstr(body_of(r), "<html") != NULL,
		   "HTML page: another ETag → the whole page");
		free(r);
	}
}

int
main(void)
{
	kueri_err err;

	snprintf(dbpath, sizeof dbpath, "%s/kueri-test-http-%d.db",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	ok(pf_make(dbpath, "pangan", &fixture_pkg, fixture_sets, 3) == 0,
	   "test portal written through the portal writer");
	kueri_err_clear(&err);
	P = portal_open_ro(dbpath, &err);
	ok(P != NULL, "portal opens (%s)", err.msg);
	ks_conf_default(&C);
	if (P != NULL) {
		test_names();
		test_routes();
		test_revalidation();
		test_expose();
		portal_close(P);
	}
	pf_unlink(dbpath);
	return tap_done();
}
