/*
 * route_html.c -- the portal in a browser: the routes and helpers of
 * route.c that answer with an HTML page (html/) instead of JSON: the
 * front page, the filter forms' redirect, route-level error pages, and
 * the negotiation that decides when a request wants a page.  The route
 * table and the JSON answers stay in route.c; what both share is in
 * route_int.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "route_int.h"

/* ---- the portal in a browser (html/) -------------------------------------- */

/*
 * 1 if the client asked for a page: $format=html (or text/html) when a
 * $format is given, else an Accept whose first range is text/html (what
 * browsers send).  curl (Accept: * / *), OData clients (application/json)
 * and everything else keep JSON.  The engine's negotiation decides the
 * writer; this only decides what the route does around it (front page,
 * facets, HTML error pages), and agrees with it for these cases.
 */
int
kq_wants_html(const kq_route_req *q)
{
	const char *s = q->query, *a = q->accept;

	if (q->format && *q->format)
		return strcasecmp(q->format, "html") == 0;
	while (s && *s) {
		size_t n = strcspn(s, "&");

		if ((strncmp(s, "$format=", 8) == 0 && (s += 8)) ||
		    (strncasecmp(s, "%24format=", 10) == 0 && (s += 10))) {
			n = strcspn(s, "&;");
			return (n == 4 && strncasecmp(s, "html", 4) == 0) ||
			       (n == 9 && strncasecmp(s, "text/html", 9) == 0) ||
			       (n == 11 && strncasecmp(s, "text%2Fhtml", 11) == 0);
		}
		s += n;
		if (*s == '&')
			s++;
	}
	if (a == NULL)
		return 0;
	while (*a == ' ')
		a++;
	return strncasecmp(a, "text/html", 9) == 0 &&
	       (a[9] == '\0' || a[9] == ',' || a[9] == ';' || a[9] == ' ');
}

/* A dataset page (not an entity, $count or $metadata): facets apply. */
int
kq_html_page_wanted(const kq_route_req *q, const char *rest)
{
	size_t i;

	if (!kq_wants_html(q) || *rest == '\0')
		return 0;
	for (i = 0; rest[i]; i++)
		if (rest[i] == '(' || rest[i] == '/' || rest[i] == '%' ||
		    rest[i] == '$')
			return 0;
	return 1;
}

/* The header lines every HTML answer carries besides the transport's
 * (X-Content-Type-Options: nosniff, Vary: Accept): the policy that lets
 * the page load nothing but itself and its own stylesheet.  Returns the
 * bytes written. */
size_t
kq_html_headers(char *buf, size_t len)
{
	char csp[256];
	int  n;

	kb_csp(csp, sizeof csp);
	n = snprintf(buf, len, "Content-Security-Policy: %s\r\n"
	             "Referrer-Policy: no-referrer\r\n", csp);
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

/* The site's paths for html/: base is root minus its last segment. */
void
kq_html_site(const kq_route_req *q, kb_site *site, char *base, size_t len)
{
	const char *root = q->root ? q->root : "/odata/";
	size_t      n = strlen(root);

	if (n >= len)
		n = len - 1;
	memcpy(base, root, n);
	if (n > 1)
		n--;
	while (n > 0 && base[n - 1] != '/')
		n--;
	base[n] = '\0';
	if (n == 0)
		snprintf(base, len, "/");
	site->base = base;
	site->root = root;
	site->name = "kueri";
}

int
kq_sink_to_buf(void *ctx, const char *s, size_t n)
{
	ku_buf *b = ctx;

	ku_buf_add(b, s, n);
	return b->oom ? -1 : 0;
}

/* 200 text/html with the page in `b` (taken; NUL-terminated here). */
int
kq_answer_html(kq_resp *r, ku_buf *b, int status)
{
	ku_buf_add(b, "", 1);
	if (b->oom) {
		ku_buf_free(b);
		return kq_fail(r, 500, "InternalError", "out of memory", NULL);
	}
	r->head.status = status;
	kq_set_ctype(r, KB_CONTENT_TYPE);
	kq_html_headers(r->head.extra, sizeof r->head.extra);
	free(r->text);
	r->text = b->s;
	r->body = B_TEXT;
	return 0;
}

/* `/`, and `/odata/` for a browser: the front page from the catalog,
 * with the title search `q` (a custom option, form-encoded). */
int
kq_route_front(kportal *p, const kq_route_req *q, kq_resp *r, const char *rest)
{
	kb_site    site;
	char       base[256], qbuf[256];
	const char *search = NULL;
	ku_buf     b = { 0 };
	kueri_sink sink = { kq_sink_to_buf, &b };
	kueri_err  err;
	json_t    *cat, *units = NULL, *sched = NULL;
	kb_url     u;
	ki_day     day;
	ki_inventory *inv = NULL;
	int        tr;

	(void)rest;
	kq_html_site(q, &site, base, sizeof base);
	kb_url_init(&u, "", q->query);
	for (int i = 0; i < u.nopt; i++)
		if (u.opt[i].raw && u.opt[i].rawn > 2 && u.opt[i].rawn < 200 &&
		    strncmp(u.opt[i].raw, "q=", 2) == 0) {
			size_t k = 0, j;

			for (j = 2; j < u.opt[i].rawn && k + 1 < sizeof qbuf; j++) {
				char c = u.opt[i].raw[j];

				if (c == '+')
					c = ' ';
				else if (c == '%' && j + 2 < u.opt[i].rawn + 0 + 1 &&
				         isxdigit((unsigned char)u.opt[i].raw[j + 1]) &&
				         isxdigit((unsigned char)u.opt[i].raw[j + 2])) {
					char hex[3] = { u.opt[i].raw[j + 1],
					                u.opt[i].raw[j + 2], 0 };

					c = (char)strtol(hex, NULL, 16);
					j += 2;
				}
				if (c != '\0')
					qbuf[k++] = c;
			}
			qbuf[k] = '\0';
			search = qbuf;
		}
	kb_url_free(&u);
	kueri_err_clear(&err);
	if ((tr = kq_query_today(q->query, &day)) < 0)
		return kq_fail(r, 400, "BadRequest", "today must be a date,"
		            " yyyy-mm-dd", NULL);
	cat = portal_catalog_json(p, NULL, tr ? day * 86400LL
	                                      : (long long)time(NULL), &err);
	if (cat == NULL)
		return kq_fail(r, 500, "InternalError", "the catalog could not be read",
		            NULL);
	/* The inventory's view of the same day: statuses in the table, the
	 * entries still expected, the counts per unit (public JSON only). */
	if ((inv = kq_inventory_at(p, day)) != NULL && inv->version > 0) {
		ki_catalog_annotate(inv, cat);
		units = ki_units_json(inv, day);
		sched = ki_schedule_json(inv, day);
	}
	kb_front_page_inv(&sink, &site, cat, search && *search ? search : NULL,
	                  units, sched);
	json_decref(units);
	json_decref(sched);
	ki_inventory_free(inv);
	json_decref(cat);
	snprintf(r->head.cache, sizeof r->head.cache, "no-store");
	return kq_answer_html(r, &b, 200);
}

/* The service root for a browser: the front page; anyone else goes on
 * to the service document (declines, 1). */
int
kq_route_browser_root(kportal *p, const kq_route_req *q, kq_resp *r,
                   const char *rest)
{
	if (!kq_wants_html(q))
		return 1;
	return kq_route_front(p, q, r, rest);
}

/* {base}html/go?<form>: the filter and summary forms' target → 303 to
 * the OData URL the form stands for (kb_go_location).  Bad forms are a
 * readable error page (only the portal's own forms come here). */
int
kq_route_go(kportal *p, const kq_route_req *q, kq_resp *r, const char *rest)
{
	kb_site   site;
	char      base[256], loc[sizeof r->head.extra - 16];
	kueri_err err;

	(void)p;
	(void)rest;
	kq_html_site(q, &site, base, sizeof base);
	kueri_err_clear(&err);
	if (kb_go_location(&site, q->query, loc, sizeof loc, &err) < 0) {
		ku_buf     b = { 0 };
		kueri_sink sink = { kq_sink_to_buf, &b };

		kb_error_page(&sink, &site, &err, NULL, NULL, NULL);
		snprintf(r->head.cache, sizeof r->head.cache, "no-store");
		return kq_answer_html(r, &b, kueri_http_status(err.code));
	}
	r->head.status = 303;
	snprintf(r->head.cache, sizeof r->head.cache, "no-store");
	/* kb_go_location writes printable ASCII only (our path + a raw query
	 * that was checked for it), so the header cannot be split. */
	memcpy(r->head.extra, "Location: ", 10);
	memcpy(r->head.extra + 10, loc, strlen(loc));
	memcpy(r->head.extra + 10 + strlen(loc), "\r\n", 3);
	r->body = B_NONE;
	return 0;
}

/* A route-level error (404, 405, 414) for a browser: the same status as
 * a readable page instead of the OData error JSON. */
int
kq_html_fail_page(const kq_route_req *q, kq_resp *r)
{
	kb_site    site;
	char       base[256];
	ku_buf     b = { 0 };
	kueri_sink sink = { kq_sink_to_buf, &b };
	kueri_err  err;
	json_t    *j = r->text ? json_loads(r->text, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(
	                      json_object_get(j, "error"), "message"));
	int        status = r->head.status;

	kueri_err_clear(&err);
	err.code = status == 404 ? KUERI_ENOTFOUND : KUERI_EBADREQ;
	snprintf(err.msg, sizeof err.msg, "%s", msg ? msg : "request failed");
	json_decref(j);
	kq_html_site(q, &site, base, sizeof base);
	kb_error_page(&sink, &site, &err, NULL, NULL, NULL);
	{
		/* keep Allow and the like; the policy lines follow them */
		char   extra[sizeof r->head.extra];
		size_t n = strlen(r->head.extra);

		memcpy(extra, r->head.extra, n + 1);
		if (kq_answer_html(r, &b, status) < 0)
			return -1;
		if (n + kq_html_headers(extra + n, sizeof extra - n) < sizeof extra)
			memcpy(r->head.extra, extra, sizeof extra);
	}
	return 0;
}
