/*
 * http.c -- one HTTP request, as CGI parameters, answered.
 *
 * Routes (root = --root, "/odata/" by default; base = root's parent):
 *   root                 service document
 *   root$metadata        CSDL XML, or CSDL JSON ($format=json, or an
 *                        Accept that names application/json and not xml)
 *   root<anything else>  the query engine (kq_prepare), the same code
 *                        path as `kueri query`
 *   base catalog[/NAME]  the catalog JSON (portal_catalog_json)
 *   base health          200 + the portal's version summary
 * Only GET and HEAD; OPTIONS is a CORS preflight; anything else is 405.
 *
 * Nothing from the request is ever copied into a header: header values
 * are either ours, or the engine's (which builds them from the portal),
 * or checked against a strict character class first.  The request path
 * is routed on the raw REQUEST_URI (still percent-encoded), so the engine
 * decodes it exactly once.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "service.h"
#include "inventory.h"

/* ---- output ------------------------------------------------------------ */

/* The body sink: counts what passes through to the response sink. */
typedef struct body {
	const kueri_sink *out;
	long long         bytes;
	int               failed;
} body;

static int
body_write(void *ctx, const char *buf, size_t len)
{
	body *b = ctx;

	if (b->failed)
		return -1;
	if (b->out->write(b->out->ctx, buf, len)) {
		b->failed = 1;
		return -1;
	}
	b->bytes += (long long)len;
	return 0;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 414: return "URI Too Long";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default:  return "Unknown";
	}
}

/* A header value we did not write ourselves must be printable ASCII
 * without quotes' worth of trouble: no CR, LF or other controls. */
static int
header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* The response being built: status and the optional headers. */
typedef struct resp {
	int         status;
	const char *content_type;
	const char *etag;           /* with quotes, or NULL             */
	long long   last_modified;  /* 0: none                          */
	const char *cache;          /* Cache-Control value              */
	const char *extra;          /* more complete header lines, or NULL */
} resp;

static void
http_date(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static int
write_head(const kueri_sink *out, const resp *r)
{
	char date[64];

	if (kueri_sink_printf(out, "Status: %d %s\r\n", r->status,
	                      reason(r->status)))
		return -1;
	if (r->content_type && header_safe(r->content_type) &&
	    kueri_sink_printf(out, "Content-Type: %s\r\n", r->content_type))
		return -1;
	if (kueri_sink_puts(out,
	        "OData-Version: 4.0\r\n"
	        "Access-Control-Allow-Origin: *\r\n"
	        "Access-Control-Expose-Headers: ETag, Last-Modified,"
	        " OData-Version, Preference-Applied, Content-Disposition\r\n"
	        "X-Content-Type-Options: nosniff\r\n"
	        "Vary: Accept, Prefer\r\n"))
		return -1;
	if (r->cache && kueri_sink_printf(out, "Cache-Control: %s\r\n",
	                                  r->cache))
		return -1;
	if (r->etag && r->etag[0] && header_safe(r->etag) &&
	    kueri_sink_printf(out, "ETag: %s\r\n", r->etag))
		return -1;
	if (r->last_modified > 0) {
		http_date(r->last_modified, date, sizeof date);
		if (kueri_sink_printf(out, "Last-Modified: %s\r\n", date))
			return -1;
	}
	if (r->extra && kueri_sink_puts(out, r->extra))
		return -1;
	return kueri_sink_puts(out, "\r\n");
}

/* The request as the handler sees it. */
typedef struct req {
	const ks_conf *c;
	kh_param_fn    param;
	void          *pctx;
	const char    *method;
	char          *path;     /* raw, percent-encoded, no query string */
	const char    *query;    /* raw query string or NULL               */
	int            head;     /* HEAD: headers only                     */
	char           root_url[512];
	char           cache[64];
	body           body;
	kh_stats      *st;
} req;

static const char *
param(const req *r, const char *name)
{
	return r->param(r->pctx, name);
}

/* An OData error answer {"error":{"code","message"}} with our own text
 * (never the request's). */
static int
answer_error(req *r, int status, const char *code, const char *msg,
             const char *extra)
{
	json_t *j;
	char *s;
	resp h = { status, "application/json;odata.metadata=minimal", NULL, 0,
	           "no-store", extra };
	int rc;

	r->st->status = status;
	if (write_head(r->body.out, &h))
		return -1;
	if (r->head)
		return 0;
	j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (s == NULL)
		return -1;
	rc = kueri_sink_puts(&(kueri_sink){ body_write, &r->body }, s);
	free(s);
	return rc;
}

/* ---- conditional requests ------------------------------------------------ */

/* 1 if the If-None-Match list names `etag` (weak comparison, RFC 9110
 * 13.1.2) or is "*". */
static int
inm_matches(const char *inm, const char *etag)
{
	const char *e = etag, *p = inm;
	size_t elen;

	if (strncmp(e, "W/", 2) == 0)
		e += 2;
	elen = strlen(e);
	while (*p) {
		const char *start, *end;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return 0;       /* malformed: no match, never an error */
		start = p;
		end = strchr(p + 1, '"');
		if (end == NULL)
			return 0;
		if ((size_t)(end + 1 - start) == elen &&
		    memcmp(start, e, elen) == 0)
			return 1;
		p = end + 1;
	}
	return 0;
}

/* 1 when the client's copy is current: If-None-Match decides when
 * present; otherwise If-Modified-Since against `lastmod`. */
static int
not_modified(const req *r, const char *etag, long long lastmod)
{
	const char *inm = param(r, "HTTP_IF_NONE_MATCH");
	const char *ims = param(r, "HTTP_IF_MODIFIED_SINCE");
	struct tm tm;
	const char *end;

	if (inm != NULL)
		return etag != NULL && etag[0] && inm_matches(inm, etag);
	if (ims == NULL || lastmod <= 0 || strlen(ims) > 64)
		return 0;
	memset(&tm, 0, sizeof tm);
	end = strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return 0;
	return lastmod <= (long long)timegm(&tm);
}

static int
answer_304(req *r, const char *etag, long long lastmod)
{
	resp h = { 304, NULL, etag, lastmod, r->cache, NULL };

	r->st->status = 304;
	return write_head(r->body.out, &h);
}

/* ---- helpers ------------------------------------------------------------- */

/* The value of system query option `name` ("format" matches "$format",
 * "format", any case), raw, copied into buf; NULL when absent. */
static const char *
query_option(const char *q, const char *name, char *buf, size_t len)
{
	size_t nlen = strlen(name);

	while (q != NULL && *q) {
		const char *amp = strchr(q, '&');
		const char *end = amp ? amp : q + strlen(q);
		const char *k = q;

		if (*k == '$')
			k++;
		else if (strncasecmp(k, "%24", 3) == 0)
			k += 3;
		if ((size_t)(end - k) > nlen && strncasecmp(k, name, nlen) == 0 &&
		    k[nlen] == '=') {
			size_t vlen = (size_t)(end - (k + nlen + 1));

			if (vlen >= len)
				vlen = len - 1;
			memcpy(buf, k + nlen + 1, vlen);
			buf[vlen] = '\0';
			return buf;
		}
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

/* Host names as they may appear in HTTP_HOST: letters, digits, . - : [ ]
 * (IPv6 literals), nothing else. */
static int
host_ok(const char *h)
{
	size_t n = 0;

	if (h == NULL || *h == '\0')
		return 0;
	for (; h[n]; n++)
		if (!isalnum((unsigned char)h[n]) && !strchr(".-:[]_", h[n]))
			return 0;
	return n <= 255;
}

/* scheme://host + root: the absolute service root for @odata.context
 * and nextLink, from the request so it works behind any host name. */
static void
build_root_url(req *r)
{
	const char *https = param(r, "HTTPS");
	const char *scheme = param(r, "REQUEST_SCHEME");
	const char *host = param(r, "HTTP_HOST");
	char fallback[300];

	if (https != NULL && (strcasecmp(https, "on") == 0 ||
	                      strcmp(https, "1") == 0))
		scheme = "https";
	else if (scheme == NULL || (strcmp(scheme, "https") != 0))
		scheme = "http";
	if (!host_ok(host)) {
		const char *sn = param(r, "SERVER_NAME");
		const char *sp = param(r, "SERVER_PORT");

		if (host_ok(sn) && sp != NULL && strspn(sp, "0123456789") ==
		    strlen(sp) && strlen(sp) <= 5 && *sp)
			snprintf(fallback, sizeof fallback, "%s:%s", sn, sp);
		else
			snprintf(fallback, sizeof fallback, "%s",
			         host_ok(sn) ? sn : "localhost");
		host = fallback;
	}
	snprintf(r->root_url, sizeof r->root_url, "%s://%s%s", scheme, host,
	         r->c->root);
}

/* Printable copy of the path for the log line (no private data: the
 * query string is left out entirely). */
static void
log_path(kh_stats *st, const char *path)
{
	size_t i;

	for (i = 0; path[i] && i < sizeof st->path - 1; i++)
		st->path[i] = (path[i] > 0x20 && path[i] < 0x7f) ? path[i] : '?';
	st->path[i] = '\0';
}

/* ---- routes -------------------------------------------------------------- */

/* A quoted ETag for answers that depend only on the portal's version and
 * the service root: "<kind>-<version token>-<hash of root>". */
static void
portal_etag(kportal *p, const req *r, const char *kind, char *buf,
            size_t len)
{
	char tok[64];
	unsigned long h = 5381;
	const char *s;
	size_t i;

	portal_version_token(p, tok, sizeof tok);
	for (i = 0; tok[i]; i++)
		if (!isalnum((unsigned char)tok[i]) && tok[i] != '-' &&
		    tok[i] != '.')
			tok[i] = '_';
	for (s = r->root_url; *s; s++)
		h = h * 33 + (unsigned char)*s;
	snprintf(buf, len, "\"%s-%s-%lx\"", kind, tok, h & 0xffffffffUL);
}

static int
route_service_document(kportal *p, req *r)
{
	char etag[128];
	long long lm = portal_last_modified(p);
	resp h = { 200, "application/json;odata.metadata=minimal", etag, lm,
	           r->cache, NULL };

	portal_etag(p, r, "s", etag, sizeof etag);
	if (not_modified(r, etag, lm))
		return answer_304(r, etag, lm);
	r->st->status = 200;
	if (write_head(r->body.out, &h))
		return -1;
	if (r->head)
		return 0;
	return kq_service_document(p, r->root_url,
	                           &(kueri_sink){ body_write, &r->body });
}

/* CSDL JSON only when asked for unambiguously: $format=json, or an
 * Accept naming application/json but not application/xml (Excel and
 * Power BI must get XML; browsers send text/html and a wildcard). */
static int
metadata_wants_json(const req *r)
{
	char fmt[64];
	const char *accept = param(r, "HTTP_ACCEPT");

	if (query_option(r->query, "format", fmt, sizeof fmt))
		return strcasecmp(fmt, "json") == 0 ||
		       strncasecmp(fmt, "application/json", 16) == 0 ||
		       strncasecmp(fmt, "application%2Fjson", 18) == 0;
	return accept != NULL && strstr(accept, "application/json") != NULL &&
	       strstr(accept, "application/xml") == NULL;
}

static int
route_metadata(kportal *p, req *r)
{
	char etag[128];
	int json = metadata_wants_json(r);
	long long lm = portal_last_modified(p);
	resp h = { 200, json ? "application/json"
	                     : "application/xml", etag, lm, r->cache, NULL };
	kueri_sink b = { body_write, &r->body };

	portal_etag(p, r, json ? "mj" : "mx", etag, sizeof etag);
	if (not_modified(r, etag, lm))
		return answer_304(r, etag, lm);
	r->st->status = 200;
	if (write_head(r->body.out, &h))
		return -1;
	if (r->head)
		return 0;
	return json ? kq_metadata_json(p, &b) : kq_metadata_xml(p, &b);
}

/* Characters allowed in a Content-Disposition filename we emit. */
static void
safe_filename(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i < len - 1; i++)
		out[i] = (isalnum((unsigned char)in[i]) || in[i] == '.' ||
		          in[i] == '-' || in[i] == '_') ? in[i] : '_';
	out[i] = '\0';
}

static int
route_engine(kportal *p, req *r, const char *rest)
{
	kq_request q;
	kq_answer *a;
	const kq_head *kh;
	char extra[256], fname[100];
	resp h;
	size_t n = 0;
	int rc = 0;

	memset(&q, 0, sizeof q);
	q.path = rest;
	q.query = r->query;
	q.service_root = r->root_url;
	q.accept = param(r, "HTTP_ACCEPT");
	q.prefer = param(r, "HTTP_PREFER");
	q.head_only = r->head;
	if ((a = kq_prepare(p, &q, &r->c->lim)) == NULL)
		return answer_error(r, 500, "InternalError", "out of memory",
		                    NULL);
	kh = kq_answer_head(a);
	if (kh->status == 200 && not_modified(r, kh->etag, kh->last_modified)) {
		rc = answer_304(r, kh->etag, kh->last_modified);
		kq_free(a);
		return rc;
	}
	extra[0] = '\0';
	if (kh->preference_applied[0] && header_safe(kh->preference_applied))
		n += (size_t)snprintf(extra + n, sizeof extra - n,
		                      "Preference-Applied: %s\r\n",
		                      kh->preference_applied);
	if (kh->filename[0] && n < sizeof extra) {
		safe_filename(kh->filename, fname, sizeof fname);
		snprintf(extra + n, sizeof extra - n,
		         "Content-Disposition: attachment; filename=\"%s\"\r\n",
		         fname);
	}
	h.status = kh->status;
	h.content_type = kh->content_type;
	h.etag = kh->status == 200 ? kh->etag : NULL;
	h.last_modified = kh->status == 200 ? kh->last_modified : 0;
	h.cache = kh->status == 200 ? r->cache : "no-store";
	h.extra = extra;
	r->st->status = kh->status;
	if (write_head(r->body.out, &h)) {
		kq_free(a);
		return -1;
	}
	if (!r->head)
		rc = kq_stream(a, &(kueri_sink){ body_write, &r->body },
		               &r->st->rows);
	kq_free(a);
	return rc;
}

/* Percent-decode a catalog name strictly: %XX only, no NUL. */
static int
decode_name(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in; in++) {
		int c = (unsigned char)*in;

		if (c == '%') {
			char hex[3] = { in[1], in[1] ? in[2] : 0, 0 };
			char *end;

			if (!isxdigit((unsigned char)hex[0]) ||
			    !isxdigit((unsigned char)hex[1]))
				return -1;
			c = (int)strtol(hex, &end, 16);
			in += 2;
		}
		if (c == 0 || n + 1 >= len)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

/*
 * Answer 200 with the compact JSON of `j` (stolen: freed here, may be
 * NULL for out of memory) under the headers `h`; HEAD gets no body.
 */
static int
answer_json(req *r, const resp *h, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	int rc;

	json_decref(j);
	if (s == NULL)
		return answer_error(r, 500, "InternalError", "out of memory",
		                    NULL);
	r->st->status = 200;
	rc = write_head(r->body.out, h);
	if (rc == 0 && !r->head)
		rc = kueri_sink_puts(&(kueri_sink){ body_write, &r->body }, s);
	free(s);
	return rc;
}

static int
route_catalog(kportal *p, req *r, const char *name)
{
	char decoded[256];
	kueri_err err;
	json_t *j;
	resp h = { 200, "application/json", NULL, 0, r->cache, NULL };

	kueri_err_clear(&err);
	if (name != NULL && decode_name(name, decoded, sizeof decoded))
		return answer_error(r, 404, "NotFound", "no such package",
		                    NULL);
	j = portal_catalog_json(p, name ? decoded : NULL, (long long)time(NULL),
	                        &err);
	if (j == NULL) {
		if (err.code == KUERI_ENOTFOUND)
			return answer_error(r, 404, "NotFound",
			                    "no such package", NULL);
		return answer_error(r, 500, "InternalError",
		                    "the catalog could not be read", NULL);
	}
	return answer_json(r, &h, j);
}

/* base catalog/units, catalog/schedule (+ .csv): inventory/write.c. */
static int
route_inventory(kportal *p, req *r, const char *what)
{
	kueri_err err;
	ki_http *a;
	resp h = { 200, NULL, NULL, 0, r->cache, NULL };
	int rc = 0;

	kueri_err_clear(&err);
	if ((a = ki_http_prepare(p, what, r->query, (long long)time(NULL),
	                         &err)) == NULL)
		return answer_error(r, kueri_http_status(err.code),
		                    err.code == KUERI_EBADREQ ? "BadRequest"
		                                              : "InternalError",
		                    err.code == KUERI_EBADREQ ? err.msg
		                    : "the inventory could not be read", NULL);
	h.content_type = ki_http_content_type(a);
	r->st->status = 200;
	rc = write_head(r->body.out, &h);
	if (rc == 0 && !r->head)
		rc = ki_http_stream(a, &(kueri_sink){ body_write, &r->body });
	ki_http_free(a);
	return rc;
}

static int
route_health(kportal *p, req *r)
{
	char tok[64];
	json_t *j;
	resp h = { 200, "application/json", NULL, 0, "no-store", NULL };

	portal_version_token(p, tok, sizeof tok);
	j = json_pack("{s:s,s:i,s:s,s:I}", "status", "ok",
	              "sets", portal_nsets(p), "version", tok,
	              "last_modified", (json_int_t)portal_last_modified(p));
	return answer_json(r, &h, j);
}

static int
route_options(req *r)
{
	resp h = { 204, NULL, NULL, 0, "public, max-age=86400",
	           "Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"
	           "Access-Control-Allow-Headers: Accept, Prefer,"
	           " If-None-Match, If-Modified-Since, OData-Version,"
	           " OData-MaxVersion\r\n"
	           "Access-Control-Max-Age: 86400\r\n"
	           "Allow: GET, HEAD, OPTIONS\r\n" };

	r->st->status = 204;
	return write_head(r->body.out, &h);
}

/* ---- the handler --------------------------------------------------------- */

/* Does `path` equal base+word, or (with `sub`) start with base+word+"/"?
 * Returns the rest after the slash for sub-routes, "" for an exact hit,
 * NULL for no match. */
static const char *
match(const char *path, const char *base, size_t blen, const char *word,
      int sub)
{
	size_t wlen = strlen(word);

	if (strncmp(path, base, blen) != 0 ||
	    strncmp(path + blen, word, wlen) != 0)
		return NULL;
	path += blen + wlen;
	if (*path == '\0')
		return path;
	if (sub && *path == '/')
		return path + 1;
	return NULL;
}

int
kh_handle(kportal *p, const ks_conf *c, kh_param_fn pfn, void *pctx,
          const kueri_sink *out, kh_stats *st)
{
	req r;
	const char *uri, *q, *rest;
	size_t rlen, blen;
	int rc;

	memset(&r, 0, sizeof r);
	memset(st, 0, sizeof *st);
	r.c = c;
	r.param = pfn;
	r.pctx = pctx;
	r.st = st;
	r.body.out = out;
	snprintf(r.cache, sizeof r.cache, "public, max-age=%d", c->max_age);

	r.method = param(&r, "REQUEST_METHOD");
	if (r.method == NULL)
		r.method = "GET";
	snprintf(st->method, sizeof st->method, "%s",
	         header_safe(r.method) ? r.method : "?");
	r.head = strcmp(r.method, "HEAD") == 0;

	/* The raw path: REQUEST_URI up to '?' (nginx, lighttpd and Apache
	 * all send it); DOCUMENT_URI or SCRIPT_NAME+PATH_INFO otherwise. */
	uri = param(&r, "REQUEST_URI");
	if (uri == NULL)
		uri = param(&r, "DOCUMENT_URI");
	if (uri == NULL)
		uri = param(&r, "SCRIPT_NAME");
	if (uri == NULL)
		uri = "/";
	q = strchr(uri, '?');
	rlen = q ? (size_t)(q - uri) : strlen(uri);
	if ((r.path = malloc(rlen + 1)) == NULL)
		return -1;
	memcpy(r.path, uri, rlen);
	r.path[rlen] = '\0';
	log_path(st, r.path);
	r.query = param(&r, "QUERY_STRING");
	if (r.query == NULL && q != NULL)
		r.query = q + 1;
	if (r.query != NULL && r.query[0] == '\0')
		r.query = NULL;

	/* The web server normally answers 414 first; this is for clients
	 * that talk FastCGI to us directly. */
	if (strlen(r.path) + (r.query ? strlen(r.query) + 1 : 0) >
	    c->lim.max_query_len) {
		rc = answer_error(&r, 414, "URITooLong",
		                  "the request URI is too long", NULL);
		goto out;
	}
	if (strcmp(r.method, "OPTIONS") == 0) {
		rc = route_options(&r);
		goto out;
	}
	if (strcmp(r.method, "GET") != 0 && !r.head) {
		rc = answer_error(&r, 405, "MethodNotAllowed",
		                  "only GET and HEAD are supported",
		                  "Allow: GET, HEAD\r\n");
		goto out;
	}
	build_root_url(&r);

	/* base = root minus its last segment: "/odata/" → "/". */
	rlen = strlen(c->root);
	blen = rlen > 1 ? rlen - 1 : rlen;
	while (blen > 0 && c->root[blen - 1] != '/')
		blen--;

	if (strncmp(r.path, c->root, rlen) == 0 ||
	    (strncmp(r.path, c->root, rlen - 1) == 0 &&
	     r.path[rlen - 1] == '\0')) {
		rest = r.path[rlen - 1] == '\0' ? "" : r.path + rlen;
		if (*rest == '\0')
			rc = route_service_document(p, &r);
		else if (strcmp(rest, "$metadata") == 0 ||
		         strcasecmp(rest, "%24metadata") == 0)
			rc = route_metadata(p, &r);
		else
			rc = route_engine(p, &r, rest);
	} else if ((rest = match(r.path, c->root, blen, "catalog", 1)) &&
	           ki_http_handles(rest)) {
		rc = route_inventory(p, &r, rest);
	} else if ((rest = match(r.path, c->root, blen, "catalog", 1))) {
		rc = route_catalog(p, &r, *rest ? rest : NULL);
	} else if (match(r.path, c->root, blen, "health", 0)) {
		rc = route_health(p, &r);
	} else {
		rc = answer_error(&r, 404, "NotFound", "no such resource",
		                  NULL);
	}
out:
	st->bytes = r.body.bytes;
	free(r.path);
	return rc;
}
