/*
 * route.c -- one request (method, raw path, query string, a few headers)
 * → which answer, its status, Content-Type, ETag, caching and error body.
 * The FastCGI service (fcgi/http.c) and `kueri query` both call kq_route,
 * so the two cannot disagree: the transport only writes kq_resp_head as
 * header lines and streams the body.
 *
 * Routes (root = the service root path, "/odata/"; base = root's parent),
 * tried in table order, first match wins:
 *   root                 service document
 *   root$metadata        CSDL XML, or CSDL JSON ($format=json, or an
 *                        Accept naming application/json and not xml)
 *   root<anything else>  the query engine (kq_prepare)
 *   base catalog[/NAME]  the catalog JSON (portal_catalog_json)
 *   base catalog.jsonld, catalog.ttl, catalog (Accept JSON-LD/Turtle),
 *        catalog/NAME/datapackage.json, catalog/NAME/RES.csv,
 *        api/3/action/NAME  harvest/ (kd_prepare), see harvest.h
 *   base catalog/units[.csv], catalog/schedule[.csv]  the data inventory
 *                        (inventory/write.c: per-unit report, calendar)
 *   base health          200 + the portal's version summary
 *   anything else        404
 * Before the table: a URI over the length limit is 414; OPTIONS is a CORS
 * preflight (204); a method other than GET/HEAD is 405.  After it: a 200
 * whose ETag/Last-Modified the client already holds becomes 304.
 *
 * Adding a route is one row in `routes[]` and one function that fills the
 * head and says what the body is (see `struct route`).
 *
 * Nothing from the request is copied into a header value: header values
 * are ours, or the engine's (built from the portal).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "harvest.h"
#include "inventory.h"
#include "kq_writer.h"
#include "route_int.h"

/* ---- answers -------------------------------------------------------------- */

/* dst = src, cut to len: snprintf's "%s" without its cost (~1,000
 * instructions), for the header fields every answer fills. */
static void
copy_cut(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (len == 0)
		return;
	if (n > len - 1)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
kq_set_ctype(kq_resp *r, const char *ct)
{
	copy_cut(r->head.content_type, sizeof r->head.content_type, ct);
}

/* A cacheable answer: Cache-Control "public, max-age=N". */
static void
cacheable(kq_resp *r, const kq_route_req *q)
{
	char  tmp[32], *d = ku_fmt_lld(tmp, q->max_age);
	char *c = r->head.cache;

	memcpy(c, "public, max-age=", 16);
	memcpy(c + 16, d, (size_t)(tmp + 32 - d));
	c[16 + (tmp + 32 - d)] = '\0';
}

/*
 * The service's own error answers {"error":{"code","message"}} with our
 * text (never the request's); `extra` is more header lines or NULL.
 * Returns 0, or -1 when out of memory.
 */
int
kq_fail(kq_resp *r, int status, const char *code, const char *msg,
     const char *extra)
{
	json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code,
	                      "message", msg);

	r->head.status = status;
	kq_set_ctype(r, "application/json;odata.metadata=minimal");
	snprintf(r->head.cache, sizeof r->head.cache, "no-store");
	r->head.etag[0] = '\0';
	r->head.last_modified = 0;
	snprintf(r->head.extra, sizeof r->head.extra, "%s", extra ? extra : "");
	free(r->text);
	r->text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	r->body = B_TEXT;
	return r->text ? 0 : -1;
}

/* 200 with the compact JSON of `j` (stolen; NULL = out of memory). */
static int
answer_json(kq_resp *r, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	if (s == NULL)
		return kq_fail(r, 500, "InternalError", "out of memory", NULL);
	r->head.status = 200;
	kq_set_ctype(r, "application/json");
	free(r->text);
	r->text = s;
	r->body = B_TEXT;
	return 0;
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
 * present; otherwise If-Modified-Since against Last-Modified.  (kq_route
 * has put a revalidating cache's validators in q's place, if any.) */
static int
not_modified(const kq_route_req *q, const char *etag, long long last_modified)
{
	const char *inm = q->if_none_match, *ims = q->if_modified_since;
	struct tm tm;
	const char *end;

	if (inm != NULL)
		return etag[0] && inm_matches(inm, etag);
	if (ims == NULL || last_modified <= 0 || strlen(ims) > 64)
		return 0;
	memset(&tm, 0, sizeof tm);
	end = strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return 0;
	return last_modified <= (long long)timegm(&tm);
}

/* A 200's head → its 304: the validators and Cache-Control stay (RFC
 * 9110 15.4.5), the body and its headers go. */
static void
not_modified_head(kq_resp *r)
{
	r->head.status = 304;
	r->head.content_type[0] = '\0';
	r->head.extra[0] = '\0';
	r->body = B_NONE;
}

/* kq_request.held: the engine asks before it runs the query.  Only a
 * list of ETags can say so then: an answer's ETag comes from this very
 * version, so the client had its 200 and the entity is still there.  "*"
 * and a date alone hold whatever answer there is -- which only the run
 * can tell: a missing entity is a 404, not a 304 -- so kq_route decides
 * those after it, as for any other route. */
static int
engine_held(void *ctx, const kq_head *h)
{
	const kq_route_req *q = ctx;

	if (q->if_none_match == NULL || strchr(q->if_none_match, '*') != NULL)
		return 0;
	return not_modified(q, h->etag, h->last_modified);
}

/* ---- routes -------------------------------------------------------------- */

/* A quoted ETag for answers that depend only on the portal's version and
 * the service root: "<kind>-<version token>-<hash of root>". */
static void
portal_etag(kportal *p, const kq_route_req *q, const char *kind,
            kq_resp *r)
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
	for (s = q->root_url; *s; s++)
		h = h * 33 + (unsigned char)*s;
	snprintf(r->head.etag, sizeof r->head.etag, "\"%s-%s-%lx\"", kind, tok,
	         h & 0xffffffffUL);
	r->head.last_modified = portal_last_modified(p);
}

/* 1 if the request's Accept admits application/json (accept.c's rule);
 * else r is the 406 answer.  For routes that only speak JSON. */
static int
json_acceptable(const kq_route_req *q, kq_resp *r)
{
	static const char *const offers[] = { "application/json" };

	if (kq_accept_pick(q->accept, offers, 1, NULL, NULL) == 0)
		return 1;
	kq_fail(r, 406, "NotAcceptable", "none of the Accept types is "
	     "available: this resource is application/json", NULL);
	return 0;
}

/* 1 if the media parameters [p, end) say odata.metadata=none. */
static int
params_none(const char *p, const char *end)
{
	static const char key[] = "odata.metadata=none";
	size_t n = sizeof key - 1;

	for (; p && p + n <= end; p++)
		if (strncasecmp(p, key, n) == 0 &&
		    (p + n == end || p[n] == ';' || p[n] == ' ' || p[n] == ','))
			return 1;
	return 0;
}

/* 1 if a $format value asks for JSON: "json" or application/json[;...]. */
static int
format_is_json(const char *f)
{
	return strcasecmp(f, "json") == 0 ||
	       strncasecmp(f, "application/json", 16) == 0;
}

/* 1 if a $format value asks for XML: "xml" or application/xml[;...]. */
static int
format_is_xml(const char *f)
{
	return strcasecmp(f, "xml") == 0 ||
	       strncasecmp(f, "application/xml", 15) == 0;
}

static int
route_service(kportal *p, const kq_route_req *q, kq_resp *r,
              const char *rest)
{
	static const char *const offers[] = { "application/json" };
	const char *ps = NULL, *pe = NULL;
	ku_arena    a = { 0 };
	kq_options  o;
	kueri_err   err;

	(void)rest;
	if (!json_acceptable(q, r))
		return r->text ? 0 : -1;
	/* odata.metadata=none from $format (first) or the Accept range
	 * that admitted JSON: no @odata.context, said in Content-Type. */
	kueri_err_clear(&err);
	if (q->query && kq_options_parse(&a, q->query, r->lim.max_query_len,
	                                 &o, &err) == 0 &&
	    o.val[KQ_O_FORMAT]) {
		const char *f = o.val[KQ_O_FORMAT];

		/* the service document is JSON only (PROT 11.1.1): any other
		 * $format is not available, as on an entity set */
		if (!format_is_json(f)) {
			ku_arena_free(&a);
			return kq_fail(r, 406, "NotAcceptable", "unsupported $format:"
			            " the service document is application/json",
			            NULL);
		}
		r->meta_none = params_none(f, f + strlen(f));
	} else if (kq_accept_pick(q->accept, offers, 1, &ps, &pe) == 0)
		r->meta_none = params_none(ps, pe);
	ku_arena_free(&a);
	r->head.status = 200;
	kq_set_ctype(r, r->meta_none ? "application/json;odata.metadata=none"
	                          : "application/json;odata.metadata=minimal");
	cacheable(r, q);
	portal_etag(p, q, r->meta_none ? "sn" : "s", r);
	r->body = B_SERVICE;
	return 0;
}

/*
 * CSDL JSON only when asked for unambiguously: $format=json (or a forced
 * format), or an Accept naming application/json but not application/xml
 * (Excel and Power BI must get XML; browsers send text/html and a
 * wildcard).  The query string is decoded once by the engine's option
 * splitter, so a malformed one is the same 400 as on an entity set.
 */
static int
route_metadata(kportal *p, const kq_route_req *q, kq_resp *r,
               const char *rest)
{
	ku_arena   a = { 0 };
	kq_options o;
	kueri_err  err;
	int        json, id;

	(void)rest;
	kueri_err_clear(&err);
	if (kq_options_parse(&a, q->query, r->lim.max_query_len, &o,
	                     &err) < 0) {
		ku_arena_free(&a);
		r->head.status = kueri_http_status(err.code);
		kq_set_ctype(r, "application/json;odata.metadata=minimal");
		snprintf(r->head.cache, sizeof r->head.cache, "no-store");
		r->err = err;
		r->body = B_ERROR;
		return 0;
	}
	/* ABNF metadataOptions = format / customQueryOption: any other
	 * system option is not part of a $metadata request (400) */
	for (id = 0; id < KQ_O__MAX; id++)
		if (o.val[id] && id != KQ_O_FORMAT) {
			char msg[96];

			snprintf(msg, sizeof msg, "%s is not allowed on $metadata"
			         " (only $format)", kq_option_name(id));
			ku_arena_free(&a);
			return kq_fail(r, 400, "BadRequest", msg, NULL);
		}
	if (q->format && *q->format)
		json = format_is_json(q->format);
	else if (o.val[KQ_O_FORMAT]) {
		/* CSDL has two representations; atom or anything else is
		 * not available (406), never silently XML */
		json = format_is_json(o.val[KQ_O_FORMAT]);
		if (!json && !format_is_xml(o.val[KQ_O_FORMAT])) {
			ku_arena_free(&a);
			return kq_fail(r, 406, "NotAcceptable", "unsupported $format:"
			            " $metadata is xml or json", NULL);
		}
	} else {
		/* accept.c's rule; XML first, so a tie is XML. */
		static const char *const offers[] = { "application/xml",
		                                      "application/json" };
		int i = kq_accept_pick(q->accept, offers, 2, NULL, NULL);

		if (i < 0) {
			ku_arena_free(&a);
			return kq_fail(r, 406, "NotAcceptable", "none of the Accept "
			            "types is available: $metadata is "
			            "application/xml or application/json", NULL);
		}
		json = i == 1;
	}
	ku_arena_free(&a);
	r->head.status = 200;
	kq_set_ctype(r, json ? "application/json" : "application/xml");
	cacheable(r, q);
	portal_etag(p, q, json ? "mj" : "mx", r);
	r->body = json ? B_METAJSON : B_METAXML;
	return 0;
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

/* The end of a head taken from an engine answer (query or harvest), after
 * n bytes of r->head.extra: the download name, and for a 200 its ETag,
 * Last-Modified and Cache-Control (errors are no-store). */
static void
finish_head(kq_resp *r, const kq_route_req *q, size_t n, int status,
            const char *filename, const char *etag, long long last_modified)
{
	char fname[100];

	if (filename[0] && n < sizeof r->head.extra) {
		safe_filename(filename, fname, sizeof fname);
		snprintf(r->head.extra + n, sizeof r->head.extra - n,
		         "Content-Disposition: attachment; filename=\"%s\"\r\n",
		         fname);
	}
	if (status == 200) {
		copy_cut(r->head.etag, sizeof r->head.etag, etag);
		r->head.last_modified = last_modified;
		cacheable(r, q);
	} else
		snprintf(r->head.cache, sizeof r->head.cache, "no-store");
}

/* 1 if a header value we take from the engine is printable ASCII. */
static int
header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/*
 * The custom option today=yyyy-mm-dd (the inventory's fixed day, for
 * tests and "as of" links): 1 and *day, 0 absent, -1 malformed (400).
 * Without it, the clock's day (and the catalog's own `now`).
 */
int
kq_query_today(const char *qs, ki_day *day)
{
	const char *why;

	*day = ki_day_of((long long)time(NULL));
	while (qs && *qs) {
		size_t n = strcspn(qs, "&");

		if (n > 6 && strncmp(qs, "today=", 6) == 0)
			return ki_day_parse(qs + 6, n - 6, day, &why) ? -1 : 1;
		qs += n;
		if (*qs == '&')
			qs++;
	}
	return 0;
}

/* The inventory as of `day`, evaluated, or NULL (none readable: the
 * pages then show the catalog alone). */
ki_inventory *
kq_inventory_at(kportal *p, ki_day day)
{
	kueri_err     err;
	ki_inventory *inv;

	kueri_err_clear(&err);
	if ((inv = ki_inventory_load(p, day, &err)) != NULL)
		ki_evaluate(inv, day, -1);
	return inv;
}

static int
route_engine(kportal *p, const kq_route_req *q, kq_resp *r,
             const char *rest)
{
	kq_request     eq;
	const kq_head *kh;
	size_t         n = 0;

	memset(&eq, 0, sizeof eq);
	eq.root_path = q->root;
	eq.path = rest;
	eq.query = q->query;
	eq.service_root = q->root_url;
	eq.accept = q->accept;
	eq.prefer = q->prefer;
	eq.format = q->format;
	eq.head_only = r->head_only;
	eq.held = engine_held;
	eq.held_ctx = (void *)q;
	if (kq_wants_html(q) && (q->if_none_match || q->if_modified_since)) {
		/* A page's facets are queries of their own, read before the
		 * page's (they share the connection): a browser revalidating
		 * first learns whether it holds the page, which reads nothing. */
		r->ans = kq_prepare(p, &eq, &r->lim);
		if (r->ans != NULL && kq_answer_head(r->ans)->status == 304)
			goto head;
		kq_free(r->ans);
		r->ans = NULL;
	}
	if (kq_wants_html(q)) {
		char   set[128];
		size_t sn = strcspn(rest, "(/");

		snprintf(set, sizeof set, "%.*s", (int)(sn < 127 ? sn : 127), rest);
		if (kq_pageinfo_read(p, set, q->query, &r->lim,
		                     kq_html_page_wanted(q, rest), &r->facets) < 0)
			return kq_fail(r, 500, "InternalError", "out of memory", NULL);
		eq.extra = &r->facets;
	}
	r->ans = kq_prepare(p, &eq, &r->lim);
head:
	if (r->ans == NULL)
		return kq_fail(r, 500, "InternalError", "out of memory", NULL);
	kh = kq_answer_head(r->ans);
	r->body = B_ENGINE;
	r->head.status = kh->status;
	kq_set_ctype(r, kh->content_type);
	if (kh->preference_applied[0] && header_safe(kh->preference_applied))
		n += (size_t)snprintf(r->head.extra + n, sizeof r->head.extra - n,
		                      "Preference-Applied: %s\r\n",
		                      kh->preference_applied);
	if (kh->retry_after > 0 && n < sizeof r->head.extra)
		n += (size_t)snprintf(r->head.extra + n, sizeof r->head.extra - n,
		                      "Retry-After: %d\r\n", kh->retry_after);
	if (strncmp(kh->content_type, "text/html", 9) == 0)
		n += kq_html_headers(r->head.extra + n, sizeof r->head.extra - n);
	/* the engine's 304 (the query never ran): the 200's validators and
	 * caching, no body -- kq_route's own check below then leaves it */
	finish_head(r, q, n, kh->status == 304 ? 200 : kh->status,
	            kh->filename, kh->etag, kh->last_modified);
	if (kh->status == 304)
		not_modified_head(r);
	return 0;
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

static int
route_catalog(kportal *p, const kq_route_req *q, kq_resp *r,
              const char *rest)
{
	char decoded[256];
	const char *name = *rest ? rest : NULL;
	kueri_err err;
	json_t *j;
	ki_day day;
	ki_inventory *inv;
	int tr;

	kueri_err_clear(&err);
	if (!json_acceptable(q, r))
		return r->text ? 0 : -1;
	if (name != NULL && decode_name(name, decoded, sizeof decoded))
		return kq_fail(r, 404, "NotFound", "no such package", NULL);
	if ((tr = kq_query_today(q->query, &day)) < 0)
		return kq_fail(r, 400, "BadRequest", "today must be a date,"
		            " yyyy-mm-dd", NULL);
	j = portal_catalog_json(p, name ? decoded : NULL, tr ? day * 86400LL
	                        : (long long)time(NULL), &err);
	if (j == NULL) {
		if (err.code == KUERI_ENOTFOUND)
			return kq_fail(r, 404, "NotFound", "no such package", NULL);
		return kq_fail(r, 500, "InternalError",
		            "the catalog could not be read", NULL);
	}
	/* Status and lastUpdateOnTime from the inventory (the schedule's own
	 * figures); without one, the status follows `overdue`. */
	inv = kq_inventory_at(p, day);
	if (inv == NULL || ki_catalog_annotate(inv, j) < 0) {
		ki_inventory_free(inv);
		json_decref(j);
		return kq_fail(r, 500, "InternalError",
		            "the inventory could not be read", NULL);
	}
	ki_inventory_free(inv);
	/* /catalog/NAME is the package itself, not a one-element list. */
	if (name != NULL && json_is_array(j)) {
		json_t *one = json_incref(json_array_get(j, 0));

		json_decref(j);
		if (one == NULL)
			return kq_fail(r, 404, "NotFound", "no such package", NULL);
		j = one;
	}
	cacheable(r, q);
	if (answer_json(r, j) < 0)
		return -1;
	if (r->head.status == 200) {
		/* The body holds `overdue`, which changes with the clock, not
		 * only with publishing: the ETag is a hash of the body. */
		unsigned long long x = 1469598103934665603ULL;
		const char *c;

		for (c = r->text; *c; c++)
			x = (x ^ (unsigned char)*c) * 1099511628211ULL;
		snprintf(r->head.etag, sizeof r->head.etag, "\"c-%016llx\"", x);
		r->head.last_modified = portal_last_modified(p);
	}
	return 0;
}

/*
 * What harvesters pull (harvest/: DCAT-AP, the CKAN API subset, package
 * downloads).  The module says which paths are its own (kd_is_route: e.g.
 * /catalog only for JSON-LD or Turtle); for any other it declines (1) and
 * the next row of the table is tried.
 */
static int
route_harvest(kportal *p, const kq_route_req *q, kq_resp *r,
              const char *rest)
{
	kd_request     kq;
	const kd_head *kh;
	char           base[600];
	size_t         rl = strlen(q->root ? q->root : "/odata/");
	size_t         ul = strlen(q->root_url), bl = r->base_len;

	if (!kd_is_route(rest, q->accept))
		return 1;
	/* root_url is scheme://host + root; the base is its parent. */
	snprintf(base, sizeof base, "%.*s",
	         (int)(ul >= rl ? ul - rl + bl : ul), q->root_url);
	memset(&kq, 0, sizeof kq);
	kq.base = base;
	kq.odata = q->root_url;
	kq.path = rest;
	kq.query = q->query;
	kq.accept = q->accept;
	kq.head_only = r->head_only;
	kq.post = q->method && strcmp(q->method, "POST") == 0;
	kq.body = q->body;
	kq.content_type = q->content_type;
	if ((r->kd = kd_prepare(p, &kq)) == NULL)
		return kq_fail(r, 500, "InternalError", "out of memory", NULL);
	kh = kd_answer_head(r->kd);
	r->body = B_HARVEST;
	r->head.status = kh->status;
	kq_set_ctype(r, kh->content_type);
	finish_head(r, q, 0, kh->status, kh->filename, kh->etag,
	            kh->last_modified);
	return 0;
}

/*
 * The data inventory's public answers under catalog/ (inventory/write.c):
 * units, units.csv, schedule, schedule.csv.  Any other name under
 * catalog/ is declined, so it reaches the package catalog.
 */
static int
route_inventory(kportal *p, const kq_route_req *q, kq_resp *r,
                const char *rest)
{
	kueri_err err;

	if (!ki_http_handles(rest))
		return 1;
	kueri_err_clear(&err);
	if ((r->ki = ki_http_prepare(p, rest, q->query, (long long)time(NULL),
	                             &err)) == NULL) {
		if (err.code == KUERI_EBADREQ)
			return kq_fail(r, 400, "BadRequest", err.msg, NULL);
		return kq_fail(r, kueri_http_status(err.code), "InternalError",
		            "the inventory could not be read", NULL);
	}
	/* A browser (Accept: text/html first) or $format=html gets the
	 * page, drawn from the same public JSON a program gets. */
	if (ki_http_format(r->ki) == KI_HTML ||
	    (ki_http_format(r->ki) == KI_JSON && kq_wants_html(q))) {
		kb_site    site;
		char       base[256];
		ku_buf     b = { 0 };
		kueri_sink sink = { kq_sink_to_buf, &b };
		json_t    *j = ki_http_json(r->ki);

		if (j == NULL)
			return kq_fail(r, 500, "InternalError", "out of memory", NULL);
		kq_html_site(q, &site, base, sizeof base);
		if (strncmp(rest, "units", 5) == 0)
			kb_units_page(&sink, &site, j);
		else
			kb_schedule_page(&sink, &site, j);
		json_decref(j);
		ki_http_free(r->ki);
		r->ki = NULL;
		cacheable(r, q);
		return kq_answer_html(r, &b, 200);
	}
	r->head.status = 200;
	kq_set_ctype(r, ki_http_content_type(r->ki));
	cacheable(r, q);
	r->body = B_INVENTORY;
	return 0;
}

static int
route_health(kportal *p, const kq_route_req *q, kq_resp *r,
             const char *rest)
{
	char tok[64];

	(void)rest;
	if (!json_acceptable(q, r))
		return r->text ? 0 : -1;
	portal_version_token(p, tok, sizeof tok);
	snprintf(r->head.cache, sizeof r->head.cache, "no-store");
	return answer_json(r, json_pack("{s:s,s:i,s:s,s:I}", "status", "ok",
	    "sets", portal_nsets(p), "version", tok,
	    "last_modified", (json_int_t)portal_last_modified(p)));
}

/*
 * OData-Version and OData-MaxVersion (PROT 8.2.6, 8.2.7).  Every answer
 * here is OData 4.0 (read with 4.01's URL syntax).  A client whose
 * OData-MaxVersion is below 4.0 cannot read it, and a request stated in
 * another version than 4.0 or 4.01 would be read by rules it did not
 * mean: both fail with 400 rather than get an answer they cannot use
 * (PROT 12.1.1, minimal conformance: "conform to the semantics of ...
 * OData-MaxVersion, or fail the request").  A malformed value is a 400
 * too.  Returns 1 (r is the error answer) or 0.
 */
static int
version_of(const char *s, int *major, int *minor)
{
	char *end;
	long  ma, mi = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	ma = strtol(s, &end, 10);
	if (*end == '.') {
		if (!isdigit((unsigned char)end[1]))
			return -1;
		mi = strtol(end + 1, &end, 10);
	}
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0' || ma > 99 || mi > 99)
		return -1;
	*major = (int)ma;
	*minor = (int)mi;
	return 0;
}

static int
version_refused(const kq_route_req *q, kq_resp *r)
{
	int ma, mi;

	if (q->odata_maxversion) {
		if (version_of(q->odata_maxversion, &ma, &mi) < 0) {
			kq_fail(r, 400, "BadRequest", "malformed OData-MaxVersion "
			     "header: expected a version such as 4.0", NULL);
			return 1;
		}
		if (ma < 4) {
			kq_fail(r, 400, "BadRequest", "OData-MaxVersion is below 4.0:"
			     " this service answers in OData 4.0 only", NULL);
			return 1;
		}
	}
	if (q->odata_version) {
		if (version_of(q->odata_version, &ma, &mi) < 0) {
			kq_fail(r, 400, "BadRequest", "malformed OData-Version header:"
			     " expected 4.0 or 4.01", NULL);
			return 1;
		}
		if (ma != 4 || (mi != 0 && mi != 1)) {
			kq_fail(r, 400, "BadRequest", "unsupported OData-Version: this"
			     " service reads requests in OData 4.0 and 4.01", NULL);
			return 1;
		}
	}
	return 0;
}

/*
 * The route table.  `at` says what `word` is relative to: the service
 * root ("/odata/") or its parent, the base ("/").  `how`:
 *   M_EXACT  the path is at+word exactly
 *   M_NOCASE the same, ignoring case ("%24metadata")
 *   M_SUB    at+word, or at+word+"/"+rest (rest handed to the route)
 *   M_ANY    at+anything (rest = anything); the root itself counts as
 *            at+"" when the request omits its trailing slash
 * `fn` fills r->head and r->body; returns 0, -1 out of memory, or 1 when
 * the path is not its own after all (the next row is tried).
 */
enum { AT_ROOT, AT_BASE };
enum { M_EXACT, M_NOCASE, M_SUB, M_ANY };

struct route {
	int         at, how;
	const char *word;
	int       (*fn)(kportal *, const kq_route_req *, kq_resp *,
	                const char *rest);
};

static const struct route routes[] = {
	{ AT_ROOT, M_EXACT,  "",            kq_route_browser_root },
	{ AT_ROOT, M_EXACT,  "",            route_service  },
	{ AT_ROOT, M_EXACT,  "$metadata",   route_metadata },
	{ AT_ROOT, M_NOCASE, "%24metadata", route_metadata },
	{ AT_ROOT, M_ANY,    "",            route_engine   },
	{ AT_BASE, M_ANY,    "",            route_harvest  },
	{ AT_BASE, M_SUB,    "catalog",     route_inventory },
	{ AT_BASE, M_SUB,    "catalog",     route_catalog  },
	{ AT_BASE, M_EXACT,  "health",      route_health   },
	{ AT_BASE, M_EXACT,  "",            kq_route_front    },
	{ AT_BASE, M_EXACT,  "html/go",     kq_route_go       },
};

/*
 * The path relative to `at` (a prefix of length alen), or NULL.  The
 * service root without its trailing slash ("/odata") is the root itself.
 */
static const char *
relative(const char *path, const char *at, size_t alen)
{
	if (strncmp(path, at, alen) == 0)
		return path + alen;
	if (alen > 1 && at[alen - 1] == '/' &&
	    strncmp(path, at, alen - 1) == 0 && path[alen - 1] == '\0')
		return "";
	return NULL;
}

static const char *
match(const struct route *rt, const char *rel)
{
	size_t wlen = strlen(rt->word);

	switch (rt->how) {
	case M_ANY:
		return rel;
	case M_NOCASE:
		return strcasecmp(rel, rt->word) == 0 ? rel + wlen : NULL;
	default:
		if (strncmp(rel, rt->word, wlen) != 0)
			return NULL;
		rel += wlen;
		if (*rel == '\0')
			return rel;
		if (rt->how == M_SUB && *rel == '/')
			return rel + 1;
		return NULL;
	}
}

/* A CKAN action (base + "api/3/action/..."): the one path that takes
 * POST, because CKAN's own clients (ckanapi, the JavaScript client)
 * send their actions that way. */
static const char *
ckan_action(const char *path, const char *root, size_t blen)
{
	const char *rel = relative(path, root, blen);

	return rel && strncmp(rel, "api/3/action/", 13) == 0 ? rel : NULL;
}

kq_resp *
kq_route(kportal *p, const kq_route_req *in)
{
	kq_resp     *r = calloc(1, sizeof *r);
	kq_route_req q = *in;
	const char  *method = q.method ? q.method : "GET";
	const char  *root = q.root ? q.root : "/odata/";
	const char  *ckan;
	size_t       rlen = strlen(root), blen, i;
	int          rc = -1, revalidating = 0;

	if (r == NULL)
		return NULL;
	if (q.path == NULL || *q.path == '\0')
		q.path = "/";
	if (q.query != NULL && *q.query == '\0')
		q.query = NULL;
	if (q.root_url == NULL)
		q.root_url = "";
	q.root = root;
	/* A shared cache revalidating its copy (nginx with
	 * fastcgi_cache_revalidate): its validators decide the 304, never the
	 * client's -- a 304 to the client's own would make nginx serve its
	 * stored, older body as if it were current. */
	if (q.cache_etag != NULL || q.cache_last_modified != NULL) {
		q.if_none_match = q.cache_etag;
		q.if_modified_since = q.cache_last_modified;
		revalidating = 1;
	}
	if (in->lim)
		r->lim = *in->lim;
	else
		kq_limits_default(&r->lim);
	r->portal = p;
	r->root_url = q.root_url;
	r->head_only = strcmp(method, "HEAD") == 0;

	/* base = root minus its last segment: "/odata/" → "/". */
	blen = rlen > 1 ? rlen - 1 : rlen;
	while (blen > 0 && root[blen - 1] != '/')
		blen--;
	r->base_len = blen;
	ckan = ckan_action(q.path, root, blen);

	/* The web server normally answers 414 first; this is for clients
	 * that talk FastCGI to us directly. */
	if (strlen(q.path) + (q.query ? strlen(q.query) + 1 : 0) >
	    r->lim.max_query_len)
		rc = kq_fail(r, 414, "URITooLong", "the request URI is too long",
		          NULL);
	else if (strcmp(method, "OPTIONS") == 0) {
		r->head.status = 204;
		snprintf(r->head.cache, sizeof r->head.cache,
		         "public, max-age=86400");
		snprintf(r->head.extra, sizeof r->head.extra,
		         "Access-Control-Allow-Methods: GET, HEAD, OPTIONS%s\r\n"
		         "Access-Control-Allow-Headers: Accept, Prefer,"
		         " If-None-Match, If-Modified-Since, OData-Version,"
		         " OData-MaxVersion, Content-Type, X-Requested-With\r\n"
		         "Access-Control-Max-Age: 86400\r\n"
		         "Allow: GET, HEAD, OPTIONS%s\r\n",
		         ckan ? ", POST" : "", ckan ? ", POST" : "");
		rc = 0;
	} else if (strcmp(method, "POST") == 0 && ckan != NULL)
		rc = route_harvest(p, &q, r, ckan);
	else if (strcmp(method, "GET") != 0 && !r->head_only)
		rc = kq_fail(r, 405, "MethodNotAllowed",
		          "only GET and HEAD are supported", "Allow: GET, HEAD\r\n");
	else {
		for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
			const struct route *rt = &routes[i];
			const char *rel = relative(q.path, root,
			                           rt->at == AT_ROOT ? rlen : blen);
			const char *rest = rel ? match(rt, rel) : NULL;

			if (rest != NULL && rt->at == AT_ROOT &&
			    version_refused(&q, r)) {
				rc = r->text ? 0 : -1;
				break;
			}
			if (rest != NULL &&
			    (rc = rt->fn(p, &q, r, rest)) != 1)
				break;
		}
		if (i == sizeof routes / sizeof routes[0])
			rc = kq_fail(r, 404, "NotFound", "no such resource", NULL);
	}
	if (rc == 0 && r->body == B_TEXT && r->head.status >= 400 &&
	    kq_wants_html(&q))
		rc = kq_html_fail_page(&q, r);
	if (rc < 0) {
		kq_resp_free(r);
		return NULL;
	}
	if (r->head.status == 200 &&
	    not_modified(&q, r->head.etag, r->head.last_modified))
		not_modified_head(r);
	if (r->head.status == 304)
		r->head.renew = revalidating;
	return r;
}

const kq_resp_head *
kq_resp_headers(const kq_resp *r)
{
	return &r->head;
}

int
kq_resp_stream(kq_resp *r, const kueri_sink *sink, long long *nrows)
{
	if (nrows)
		*nrows = 0;
	if (r->head_only)
		return 0;
	switch (r->body) {
	case B_NONE:
		return 0;
	case B_TEXT:
		return kueri_sink_puts(sink, r->text);
	case B_ENGINE:
		return kq_stream(r->ans, sink, nrows);
	case B_SERVICE:
		return kq_service_document(r->portal,
		    r->meta_none ? NULL : r->root_url, sink);
	case B_METAXML:
		return kq_metadata_xml(r->portal, sink);
	case B_METAJSON:
		return kq_metadata_json(r->portal, sink);
	case B_ERROR:
		return kq_write_error(sink, &r->err);
	case B_HARVEST:
		return kd_stream(r->kd, sink, nrows);
	case B_INVENTORY:
		return ki_http_stream(r->ki, sink);
	}
	return -1;
}

const kueri_err *
kq_resp_error(const kq_resp *r)
{
	return r->body == B_ENGINE ? kq_stream_error(r->ans) : NULL;
}

void
kq_resp_free(kq_resp *r)
{
	if (r == NULL)
		return;
	kq_free(r->ans);
	kd_free(r->kd);
	ki_http_free(r->ki);
	kq_pageinfo_free(&r->facets);
	free(r->text);
	free(r);
}
