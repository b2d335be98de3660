/*
 * http.c -- one HTTP request, as CGI parameters, answered.
 *
 * This file only moves bytes: it extracts the method, raw path, query
 * string and the headers that matter from the CGI parameters, asks the
 * engine's router (query/route.c, kq_route) for the answer -- which
 * decides the route, status, Content-Type, ETag, caching and error body
 * for every request, exactly as `kueri query` does -- and writes that as
 * "Status:"/header lines and the streamed body.  The headers every
 * answer carries (OData-Version, CORS, nosniff, Vary) are written here.
 *
 * Header values are the router's (built from the portal, never copied
 * from the request) and are checked against a strict character class
 * before they are written.  The request path is passed on raw (still
 * percent-encoded), so the engine decodes it exactly once.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kutil.h"
#include "service.h"

/* ---- output ------------------------------------------------------------ */

typedef struct resp resp;
static int write_head(const kueri_sink *out, const resp *r, long long length);

/* The body sink: holds the start of the body back, up to BODY_HOLD_MAX
 * bytes, and writes the head just before the body goes out.  Until then
 * nothing is committed, so a query that fails early (a time budget, a
 * zero divisor met in a row: most pages are one 32 KB flush) still gets
 * a clean error answer instead of a 200 cut short.  An answer that ends
 * within the held bytes -- nearly every page, entity, error and
 * document, however many writes make it -- goes out with Content-Length:
 * clients see its size (and HTTP/1.0 ones keep their connection), and
 * nginx stores and sends it without chunked coding.  Bigger answers (CSV
 * exports) stream, their head leaving when the held bytes overflow. */
#define BODY_HOLD_MAX (64 * 1024)

typedef struct body {
	const kueri_sink *out;
	const resp       *head;
	char             *held;       /* the body so far (owned), or NULL */
	size_t            nheld, cap;
	long long         bytes;
	int               failed;
	int               head_sent;
} body;

/* Forget the held bytes. */
static void
body_drop(body *b)
{
	free(b->held);
	b->held = NULL;
	b->nheld = b->cap = 0;
}

/* Send the head (with length >= 0 as Content-Length) and the held bytes. */
static int
body_commit(body *b, long long length)
{
	int rc;

	b->head_sent = 1;
	rc = write_head(b->out, b->head, length);
	if (rc == 0 && b->nheld > 0)
		rc = b->out->write(b->out->ctx, b->held, b->nheld);
	if (rc == 0)
		b->bytes += (long long)b->nheld;
	body_drop(b);
	if (rc)
		b->failed = 1;
	return rc;
}

/* Hold buf after what is held, if it fits under BODY_HOLD_MAX: 0, or -1
 * (it does not fit, or no memory: the caller sends what it has). */
static int
body_hold(body *b, const char *buf, size_t len)
{
	if (len > BODY_HOLD_MAX - b->nheld)
		return -1;
	if (b->nheld + len > b->cap) {
		size_t cap = b->cap ? b->cap : 8192;
		char  *n;

		while (cap < b->nheld + len)
			cap *= 2;
		if ((n = realloc(b->held, cap)) == NULL)
			return -1;
		b->held = n;
		b->cap = cap;
	}
	memcpy(b->held + b->nheld, buf, len);
	b->nheld += len;
	return 0;
}

static int
body_write(void *ctx, const char *buf, size_t len)
{
	body *b = ctx;

	if (b->failed)
		return -1;
	if (!b->head_sent) {
		if (body_hold(b, buf, len) == 0)
			return 0;
		if (body_commit(b, -1))
			return -1;
	}
	if (b->out->write(b->out->ctx, buf, len)) {
		b->failed = 1;
		return -1;
	}
	b->bytes += (long long)len;
	return 0;
}

/* The answer is complete: a head not yet sent goes out now, with the
 * held bytes' length (none when there is no body: HEAD, 204, 304). */
static int
body_end(body *b)
{
	if (b->failed)
		return -1;
	if (b->head_sent)
		return 0;
	return body_commit(b, b->held ? (long long)b->nheld : -1);
}

/* The status line, whole: no formatting per answer. */
static const char *
status_line(int status)
{
	switch (status) {
	case 200: return "Status: 200 OK\r\n";
	case 204: return "Status: 204 No Content\r\n";
	case 304: return "Status: 304 Not Modified\r\n";
	case 400: return "Status: 400 Bad Request\r\n";
	case 404: return "Status: 404 Not Found\r\n";
	case 405: return "Status: 405 Method Not Allowed\r\n";
	case 406: return "Status: 406 Not Acceptable\r\n";
	case 410: return "Status: 410 Gone\r\n";
	case 414: return "Status: 414 URI Too Long\r\n";
	case 500: return "Status: 500 Internal Server Error\r\n";
	case 501: return "Status: 501 Not Implemented\r\n";
	case 503: return "Status: 503 Service Unavailable\r\n";
	default:  return NULL;
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
struct resp {
	int         status;
	const char *content_type;
	const char *etag;           /* with quotes, or NULL             */
	long long   last_modified;  /* 0: none                          */
	const char *cache;          /* Cache-Control value              */
	const char *extra;          /* more complete header lines, or NULL */
	int         renew;          /* a 304 to nginx's revalidation      */
};

/*
 * An IMF-fixdate (RFC 9110 5.6.7), "Sun, 06 Nov 1994 08:49:37 GMT", into
 * buf[30].  By hand rather than strftime, which consults the locale; and
 * the last one is remembered: most answers of a worker name the same
 * Last-Modified (the set's publish time) again and again.
 */
static void
http_date(long long t, char buf[30])
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static long long last_t = -1;
	static char      last[30];
	time_t    tt = (time_t)t;
	struct tm tm;
	char     *o = buf;

	if (t == last_t) {
		memcpy(buf, last, sizeof last);
		return;
	}
	gmtime_r(&tt, &tm);
#define D2(v) (*o++ = (char)('0' + (v) / 10 % 10), *o++ = (char)('0' + (v) % 10))
	memcpy(o, days + 3 * (tm.tm_wday % 7), 3);
	o += 3;
	*o++ = ',';
	*o++ = ' ';
	D2(tm.tm_mday);
	*o++ = ' ';
	memcpy(o, months + 3 * (tm.tm_mon % 12), 3);
	o += 3;
	*o++ = ' ';
	D2((tm.tm_year + 1900) / 100);
	D2((tm.tm_year + 1900) % 100);
	*o++ = ' ';
	D2(tm.tm_hour);
	*o++ = ':';
	D2(tm.tm_min);
	*o++ = ':';
	D2(tm.tm_sec);
#undef D2
	memcpy(o, " GMT", 5);
	memcpy(last, buf, sizeof last);
	last_t = t;
}

/* A bounded byte buffer for the head: appends past the end are dropped
 * (the head's parts are bounded well below its size). */
typedef struct hbuf {
	char   s[2048];
	size_t n;
} hbuf;

static void
hb_add(hbuf *h, const char *s, size_t n)
{
	if (n > sizeof h->s - h->n)
		n = sizeof h->s - h->n;
	memcpy(h->s + h->n, s, n);
	h->n += n;
}

static void
hb_puts(hbuf *h, const char *s)
{
	hb_add(h, s, strlen(s));
}

static void
hb_header(hbuf *h, const char *name, const char *value)
{
	hb_puts(h, name);
	hb_puts(h, value);
	hb_add(h, "\r\n", 2);
}

/* 1 if the header lines `extra` hold a header called `name` (name: ...). */
static int
has_header(const char *extra, const char *name)
{
	size_t      n = strlen(name);
	const char *p = extra;

	while (p != NULL && *p) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return 1;
		p = strstr(p, "\r\n");
		if (p != NULL)
			p += 2;
	}
	return 0;
}

/*
 * Access-Control-Expose-Headers: a script on another origin reads only
 * the CORS-safelisted headers (Content-Type, Content-Length,
 * Last-Modified, Cache-Control, ...) and those named here.  Only the
 * others this answer carries are named: nginx's cache parses every
 * stored head byte on every hit (~17 instructions a byte), and the old
 * fixed list was 57 bytes longer than a JSON page needs.
 */
static void
hb_expose(hbuf *h, const resp *r)
{
	static const char *const maybe[] = {
		"Preference-Applied", "Content-Disposition", "Retry-After",
	};
	size_t i;

	hb_puts(h, "Access-Control-Expose-Headers: ");
	if (r->etag && r->etag[0] && header_safe(r->etag))
		hb_puts(h, "ETag, ");
	hb_puts(h, "OData-Version");
	for (i = 0; r->extra && i < sizeof maybe / sizeof maybe[0]; i++)
		if (has_header(r->extra, maybe[i])) {
			hb_puts(h, ", ");
			hb_puts(h, maybe[i]);
		}
	hb_add(h, "\r\n", 2);
}

/* The head, built in one buffer and written with one call (it was six
 * formatted writes: ~5,000 instructions of vsnprintf per answer). */
static int
write_head(const kueri_sink *out, const resp *r, long long length)
{
	hbuf        h;
	const char *sl = status_line(r->status);

	h.n = 0;
	if (sl != NULL)
		hb_puts(&h, sl);
	else {
		char  tmp[32], *d = ku_fmt_lld(tmp, r->status);

		hb_puts(&h, "Status: ");
		hb_add(&h, d, (size_t)(tmp + 32 - d));
		hb_puts(&h, " Unknown\r\n");
	}
	if (r->content_type && header_safe(r->content_type))
		hb_header(&h, "Content-Type: ", r->content_type);
	/* Vary: every request header the answer depends on -- the OData
	 * version headers too (a client below 4.0 gets a 400, query/route.c),
	 * so a shared cache never hands it another client's 200. */
	hb_puts(&h,
	        "OData-Version: 4.0\r\n"
	        "Access-Control-Allow-Origin: *\r\n"
	        "X-Content-Type-Options: nosniff\r\n"
	        "Vary: Accept, Prefer, OData-MaxVersion, OData-Version\r\n");
	hb_expose(&h, r);
	/* nginx's cache keeps a shared answer only to the end of the current
	 * second (X-Accel-Expires @now, read before Cache-Control), so a
	 * withdrawn dataset leaves every answer within 1 s whatever max-age
	 * clients are told (docs/serving.md, "Caching").  nginx hides it. */
	/* A 304 to nginx's own revalidation (kq_resp_head.renew) renews its
	 * entry for the same second; a 304 to a client's conditionals must
	 * not have it, or nginx would file that 304 as the URL's answer. */
	if ((r->status == 200 || (r->status == 304 && r->renew)) && r->cache &&
	    strncmp(r->cache, "public", 6) == 0) {
		char  tmp[32], *d = ku_fmt_lld(tmp, (long long)time(NULL));

		hb_puts(&h, "X-Accel-Expires: @");
		hb_add(&h, d, (size_t)(tmp + 32 - d));
		hb_add(&h, "\r\n", 2);
	}
	if (r->cache)
		hb_header(&h, "Cache-Control: ", r->cache);
	if (r->etag && r->etag[0] && header_safe(r->etag))
		hb_header(&h, "ETag: ", r->etag);
	if (r->last_modified > 0) {
		char date[30];

		http_date(r->last_modified, date);
		hb_header(&h, "Last-Modified: ", date);
	}
	if (length >= 0) {
		char  tmp[32], *d = ku_fmt_lld(tmp, length);

		hb_puts(&h, "Content-Length: ");
		hb_add(&h, d, (size_t)(tmp + 32 - d));
		hb_add(&h, "\r\n", 2);
	}
	if (r->extra)
		hb_puts(&h, r->extra);
	hb_add(&h, "\r\n", 2);
	return out->write(out->ctx, h.s, h.n);
}

/* The request as the handler sees it. */
typedef struct req {
	const ks_conf *c;
	kh_param_fn    param;
	void          *pctx;
	const char    *method;
	char          *path;     /* raw, percent-encoded, no query string */
	const char    *query;    /* raw query string or NULL               */
	char           root_url[512];
	body           body;
	kh_stats      *st;
} req;

static const char *
param(const req *r, const char *name)
{
	return r->param(r->pctx, name);
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

/* 1 if `addr` is one of the comma-separated addresses in `list`. */
static int
addr_listed(const char *list, const char *addr)
{
	size_t n;

	if (list == NULL || addr == NULL || *addr == '\0')
		return 0;
	n = strlen(addr);
	while (*list) {
		size_t k = strcspn(list, ",");

		if (k == n && strncmp(list, addr, n) == 0)
			return 1;
		list += k;
		if (*list == ',')
			list++;
	}
	return 0;
}

/* The first item of a comma list header value ("https, http": the one
 * the client-facing proxy wrote), trimmed, into buf; NULL if none. */
static const char *
first_item(const char *v, char *buf, size_t len)
{
	size_t k;

	if (v == NULL)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	k = strcspn(v, ", \t");
	if (k == 0 || k >= len)
		return NULL;
	memcpy(buf, v, k);
	buf[k] = '\0';
	return buf;
}

/*
 * scheme://host + root: the absolute service root for @odata.context
 * and nextLink, from the request so it works behind any host name.
 * The scheme comes from the web server's own HTTPS / REQUEST_SCHEME
 * params (nginx: fastcgi_param HTTPS $https, REQUEST_SCHEME $scheme).
 * Behind a TLS-terminating proxy those say "http"; then, and only when
 * the peer (REMOTE_ADDR) is listed in --trust-proxy, X-Forwarded-Proto
 * and X-Forwarded-Host (first item each) give the client's scheme and
 * host.  From anyone else they are ignored: a client cannot make our
 * links point elsewhere.
 */
static void
build_root_url(req *r)
{
	const char *https = param(r, "HTTPS");
	const char *scheme = param(r, "REQUEST_SCHEME");
	const char *host = param(r, "HTTP_HOST");
	char fallback[300], fproto[16], fhost[300];

	if (https != NULL && (strcasecmp(https, "on") == 0 ||
	                      strcmp(https, "1") == 0))
		scheme = "https";
	else if (scheme == NULL || (strcmp(scheme, "https") != 0))
		scheme = "http";
	if (r->c->trust_proxy != NULL &&
	    addr_listed(r->c->trust_proxy, param(r, "REMOTE_ADDR"))) {
		const char *fp = first_item(param(r, "HTTP_X_FORWARDED_PROTO"),
		                            fproto, sizeof fproto);
		const char *fh = first_item(param(r, "HTTP_X_FORWARDED_HOST"),
		                            fhost, sizeof fhost);

		if (fp && strcasecmp(fp, "https") == 0)
			scheme = "https";
		else if (fp && strcasecmp(fp, "http") == 0)
			scheme = "http";
		if (fh && host_ok(fh))
			host = fh;
	}
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
	{       /* "%s://%s%s", cut to the buffer, without snprintf */
		hbuf u;

		u.n = 0;
		hb_puts(&u, scheme);
		hb_add(&u, "://", 3);
		hb_puts(&u, host);
		hb_puts(&u, r->c->root);
		if (u.n > sizeof r->root_url - 1)
			u.n = sizeof r->root_url - 1;
		memcpy(r->root_url, u.s, u.n);
		r->root_url[u.n] = '\0';
	}
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

/* ---- the handler --------------------------------------------------------- */

int
kh_handle(kportal *p, const ks_conf *c, kh_param_fn pfn, void *pctx,
          const kueri_sink *out, kh_stats *st)
{
	req r;
	kq_route_req q;
	kq_resp *a;
	const kq_resp_head *kh;
	const char *uri, *qs;
	size_t rlen;
	resp h;
	int rc;

	memset(&r, 0, sizeof r);
	memset(st, 0, sizeof *st);
	r.c = c;
	r.param = pfn;
	r.pctx = pctx;
	r.st = st;
	r.body.out = out;

	r.method = param(&r, "REQUEST_METHOD");
	if (r.method == NULL)
		r.method = "GET";
	{
		const char *m = header_safe(r.method) ? r.method : "?";
		size_t      n = strlen(m);

		if (n > sizeof st->method - 1)
			n = sizeof st->method - 1;
		memcpy(st->method, m, n);
		st->method[n] = '\0';
	}

	/* The raw path: REQUEST_URI up to '?' (nginx, lighttpd and Apache
	 * all send it); DOCUMENT_URI or SCRIPT_NAME+PATH_INFO otherwise. */
	uri = param(&r, "REQUEST_URI");
	if (uri == NULL)
		uri = param(&r, "DOCUMENT_URI");
	if (uri == NULL)
		uri = param(&r, "SCRIPT_NAME");
	if (uri == NULL)
		uri = "/";
	qs = strchr(uri, '?');
	rlen = qs ? (size_t)(qs - uri) : strlen(uri);
	if ((r.path = malloc(rlen + 1)) == NULL)
		return -1;
	memcpy(r.path, uri, rlen);
	r.path[rlen] = '\0';
	log_path(st, r.path);
	r.query = param(&r, "QUERY_STRING");
	if (r.query == NULL && qs != NULL)
		r.query = qs + 1;
	build_root_url(&r);

	memset(&q, 0, sizeof q);
	q.method = r.method;
	q.path = r.path;
	q.query = r.query;
	q.root = c->root;
	q.root_url = r.root_url;
	q.accept = param(&r, "HTTP_ACCEPT");
	q.prefer = param(&r, "HTTP_PREFER");
	q.if_none_match = param(&r, "HTTP_IF_NONE_MATCH");
	q.if_modified_since = param(&r, "HTTP_IF_MODIFIED_SINCE");
	/* nginx revalidating its cached copy (nginx/kueri.conf passes
	 * $upstream_cache_etag and $upstream_cache_last_modified under these
	 * names: its own defaults would overwrite the client's conditionals,
	 * which kueri still answers for the URLs nginx does not hold) */
	q.cache_etag = param(&r, "KUERI_CACHED_ETAG");
	q.cache_last_modified = param(&r, "KUERI_CACHED_LAST_MODIFIED");
	q.odata_version = param(&r, "HTTP_ODATA_VERSION");
	q.odata_maxversion = param(&r, "HTTP_ODATA_MAXVERSION");
	if (strcmp(r.method, "POST") == 0) {
		q.body = r.param(r.pctx, NULL);
		q.content_type = param(&r, "CONTENT_TYPE");
	}
	q.max_age = c->max_age;
	q.lim = &c->lim;
	if ((a = kq_route(p, &q)) == NULL) {
		/* out of memory: the one answer not decided by the router */
		h = (resp){ 500, NULL, NULL, 0, "no-store", NULL, 0 };
		st->status = 500;
		rc = write_head(out, &h, -1);
		free(r.path);
		return rc;
	}
	kh = kq_resp_headers(a);
	h.status = kh->status;
	h.content_type = kh->content_type[0] ? kh->content_type : NULL;
	h.etag = kh->etag[0] ? kh->etag : NULL;
	h.last_modified = kh->last_modified;
	h.cache = kh->cache[0] ? kh->cache : NULL;
	h.extra = kh->extra[0] ? kh->extra : NULL;
	h.renew = kh->renew;
	st->status = kh->status;
	r.body.head = &h;
	rc = kq_resp_stream(a, &(kueri_sink){ body_write, &r.body }, &st->rows);
	if (rc == 0)
		rc = body_end(&r.body);
	else if (rc < 0 && !r.body.failed) {
		const kueri_err *e = kq_resp_error(a);

		if (!r.body.head_sent) {
			/* Nothing went out yet: answer with the query's error (or,
			 * for a body with no query behind it, a plain 500). */
			kueri_err ie;
			resp      eh;

			if (e == NULL) {
				kueri_err_set(&ie, KUERI_EINTERNAL, -1,
				              "the answer could not be written");
				e = &ie;
			}
			eh = (resp){ kueri_http_status(e->code),
			             "application/json;odata.metadata=minimal", NULL, 0,
			             "no-store", NULL, 0 };
			st->status = eh.status;
			st->rows = 0;
			body_drop(&r.body);
			r.body.head = &eh;
			rc = kq_write_error(&(kueri_sink){ body_write, &r.body }, e);
			if (rc == 0)
				rc = body_end(&r.body);
		} else
			st->broken = 1;     /* serve.c ends it with a broken record */
	}
	body_drop(&r.body);    /* a stream that failed while holding bytes */
	kq_resp_free(a);
	st->bytes = r.body.bytes;
	free(r.path);
	return rc;
}
