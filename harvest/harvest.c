/*
 * harvest.c -- a harvest request answered: which of the module's answers
 * it is, its ETag and Last-Modified, and the package model every writer
 * reads (the portal's catalog JSON, public packages only).
 *
 * Routes, relative to the base URL (the OData root's parent):
 *   catalog            with Accept application/ld+json or text/turtle
 *   catalog.jsonld     DCAT-AP 3.0.1 as JSON-LD (dcat.c)
 *   catalog.ttl        the same graph as Turtle
 *   catalog/NAME/datapackage.json   the published descriptor (pkgdl.c)
 *   catalog/NAME/RES.csv            the full CSV of resource RES
 *   api/3/action/ACTION (and api/action/ACTION)   CKAN (ckan.c)
 *
 * ETags are strong and change with the portal's version token (every
 * publish or unpublish), the base URL (it is in every IRI we write), the
 * path and the query; a CSV's ETag follows its own set's version only.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kd_int.h"

/* ---- URLs --------------------------------------------------------------- */

void
kd_url_escape(ku_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			ku_buf_add(b, (const char *)&c, 1);
		else
			ku_buf_printf(b, "%%%02X", c);
	}
}

void
kd_url_dataset(ku_buf *b, const char *base, const char *pkg)
{
	ku_buf_puts(b, base);
	ku_buf_puts(b, "catalog/");
	kd_url_escape(b, pkg);
}

void
kd_url_datapackage(ku_buf *b, const char *base, const char *pkg)
{
	kd_url_dataset(b, base, pkg);
	ku_buf_puts(b, "/datapackage.json");
}

void
kd_url_csv(ku_buf *b, const char *base, const char *pkg, const char *res)
{
	kd_url_dataset(b, base, pkg);
	ku_buf_puts(b, "/");
	kd_url_escape(b, res);
	ku_buf_puts(b, ".csv");
}

/* Strict percent-decoding of one path segment: %XX only, no NUL, no '/'.
 * 0 ok, -1 malformed or too long. */
static int
decode_segment(const char *in, size_t n, char *out, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			char hex[3];

			if (i + 2 >= n)
				return -1;
			hex[0] = in[i + 1];
			hex[1] = in[i + 2];
			hex[2] = '\0';
			if (!isxdigit((unsigned char)hex[0]) ||
			    !isxdigit((unsigned char)hex[1]))
				return -1;
			c = (int)strtol(hex, NULL, 16);
			i += 2;
		}
		if (c == 0 || c == '/' || o + 1 >= len)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o > 0 ? 0 : -1;
}

/* ---- time --------------------------------------------------------------- */

long long
kd_time_parse(const char *s)
{
	struct tm tm;
	const char *end;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL)
		return -1;
	if (*end == 'T' || *end == ' ') {
		end = strptime(end + 1, "%H:%M:%S", &tm);
		if (end == NULL)
			return -1;
		if (*end == '.') {
			end++;
			if (!isdigit((unsigned char)*end))
				return -1;
			while (isdigit((unsigned char)*end))
				end++;
		}
	}
	if (*end == 'Z')
		end++;
	if (*end != '\0')
		return -1;
	return (long long)timegm(&tm);
}

/* ---- the model ---------------------------------------------------------- */

json_t *
kd_packages(kportal *p, const char *name, kueri_err *err)
{
	json_t *all = portal_catalog_json(p, name, (long long)time(NULL), err);
	json_t *out, *o;
	size_t i;

	if (all == NULL)
		return NULL;
	if ((out = json_array()) == NULL) {
		json_decref(all);
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	/* The publisher refuses private packages, so none should be here;
	 * this is the second lock on the same door. */
	json_array_foreach(all, i, o) {
		const char *c = json_string_value(json_object_get(o,
		                                                  "classification"));

		if (c != NULL && strcmp(c, "public") == 0)
			json_array_append(out, o);
	}
	json_decref(all);
	if (name != NULL && json_array_size(out) == 0) {
		json_decref(out);
		kueri_err_set(err, KUERI_ENOTFOUND, -1, "no package '%s'", name);
		return NULL;
	}
	return out;
}

/* ---- frequencies ---------------------------------------------------------- */

const char *
kd_frequency(const char *iso)
{
	static const struct { const char *iso, *eu; } map[] = {
		{ "P1D", "DAILY" },     { "P1W", "WEEKLY" },
		{ "P7D", "WEEKLY" },    { "P1M", "MONTHLY" },
		{ "P3M", "QUARTERLY" }, { "P6M", "BIANNUAL" },
		{ "P1Y", "ANNUAL" },    { "P12M", "ANNUAL" },
		{ "PT1H", "HOURLY" },   { "P2Y", "BIENNIAL" },
		{ "P3Y", "TRIENNIAL" }, { "P2W", "BIWEEKLY" },
		{ "P2M", "BIMONTHLY" },
	};
	size_t i;

	if (iso == NULL)
		return NULL;
	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].iso, iso) == 0)
			return map[i].eu;
	return NULL;
}

/* ---- routing -------------------------------------------------------------- */

enum { R_NONE = 0, R_JSONLD, R_TURTLE, R_DATAPACKAGE, R_CSV, R_CKAN };

static int
accept_kind(const char *accept)
{
	if (accept == NULL)
		return R_NONE;
	if (strstr(accept, "application/ld+json"))
		return R_JSONLD;
	if (strstr(accept, "text/turtle"))
		return R_TURTLE;
	return R_NONE;
}

/* Classify `path`; for package routes the raw NAME and its length, for
 * CSV also the raw resource, for CKAN the raw action. */
static int
classify(const char *path, const char *accept, const char **a, size_t *alen,
         const char **b, size_t *blen)
{
	const char *s, *slash;

	if (strcmp(path, "catalog") == 0)
		return accept_kind(accept);
	if (strcmp(path, "catalog.jsonld") == 0)
		return R_JSONLD;
	if (strcmp(path, "catalog.ttl") == 0)
		return R_TURTLE;
	if (strncmp(path, "api/3/action/", 13) == 0 ||
	    strncmp(path, "api/action/", 11) == 0) {
		*a = strncmp(path, "api/3/", 6) == 0 ? path + 13 : path + 11;
		*alen = strlen(*a);
		return R_CKAN;
	}
	if (strncmp(path, "catalog/", 8) != 0)
		return R_NONE;
	s = path + 8;
	if ((slash = strchr(s, '/')) == NULL || slash == s ||
	    strchr(slash + 1, '/') != NULL)
		return R_NONE;
	*a = s;
	*alen = (size_t)(slash - s);
	s = slash + 1;
	if (strcmp(s, "datapackage.json") == 0)
		return R_DATAPACKAGE;
	if (strlen(s) > 4 && strcmp(s + strlen(s) - 4, ".csv") == 0) {
		*b = s;
		*blen = strlen(s) - 4;
		return R_CSV;
	}
	return R_NONE;
}

int
kd_is_route(const char *path, const char *accept)
{
	const char *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;

	return classify(path, accept, &a, &al, &b, &bl) != R_NONE;
}

/* FNV-1a over the parts that make one answer differ from another. */
static void
make_etag(kd_head *h, const char *kind, const char *token,
          const kd_request *r)
{
	const char *parts[5];
	unsigned long long x = 1469598103934665603ULL;
	int i;

	parts[0] = kind;
	parts[1] = token;
	parts[2] = r->base;
	parts[3] = r->path;
	parts[4] = r->query ? r->query : "";
	for (i = 0; i < 5; i++) {
		const unsigned char *s = (const unsigned char *)parts[i];

		for (; *s; s++) {
			x ^= *s;
			x *= 1099511628211ULL;
		}
		x ^= 0xff;
		x *= 1099511628211ULL;
	}
	snprintf(h->etag, sizeof h->etag, "\"kd-%s-%016llx\"", kind, x);
}

/* An error answer: CKAN's envelope for the API, a small JSON otherwise. */
static void
fail(kd_answer *a, int status, const char *msg)
{
	json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code",
	                      status == 404 ? "NotFound" : status == 500 ?
	                      "InternalError" : "BadRequest", "message", msg);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	a->h.status = status;
	snprintf(a->h.content_type, sizeof a->h.content_type, "%s",
	         "application/json");
	a->h.etag[0] = '\0';
	a->h.last_modified = 0;
	a->body.n = 0;
	if (s)
		ku_buf_puts(&a->body, s);
	else
		a->body.oom = 1;
	free(s);
}

static long long
pkg_time(json_t *pkg)
{
	return kd_time_parse(json_string_value(json_object_get(pkg,
	                                                       "published_at")));
}

kd_answer *
kd_prepare(kportal *p, const kd_request *r)
{
	kd_answer *a = calloc(1, sizeof *a);
	const char *an = NULL, *bn = NULL;
	size_t al = 0, bl = 0;
	char name[256], res[256], tok[64];
	kueri_err err;
	json_t *pkgs;
	int k;

	if (a == NULL)
		return NULL;
	a->p = p;
	if ((a->base = strdup(r->base)) == NULL) {
		free(a);
		return NULL;
	}
	kueri_err_clear(&err);
	portal_version_token(p, tok, sizeof tok);
	a->h.status = 200;
	k = classify(r->path, r->accept, &an, &al, &bn, &bl);
	switch (k) {
	case R_JSONLD:
	case R_TURTLE:
		if ((pkgs = kd_packages(p, NULL, &err)) == NULL) {
			fail(a, 500, "the catalog could not be read");
			break;
		}
		snprintf(a->h.content_type, sizeof a->h.content_type, "%s",
		         k == R_JSONLD ? "application/ld+json"
		                       : "text/turtle;charset=utf-8");
		a->h.last_modified = portal_last_modified(p);
		make_etag(&a->h, k == R_JSONLD ? "jsonld" : "ttl", tok, r);
		if (kd_dcat(p, pkgs, r, a->h.last_modified, k == R_TURTLE,
		            &a->body) != 0)
			fail(a, 500, "out of memory");
		json_decref(pkgs);
		break;
	case R_CKAN:
		/* A malformed action name is an unknown action, answered
		 * in CKAN's envelope like any other. */
		if (decode_segment(an, al, name, sizeof name) != 0)
			snprintf(name, sizeof name, "%s", "(malformed)");
		make_etag(&a->h, "ckan", tok, r);
		a->h.last_modified = portal_last_modified(p);
		kd_ckan(p, r, name, a);
		if (a->h.status != 200) {
			a->h.etag[0] = '\0';
			a->h.last_modified = 0;
		}
		break;
	case R_DATAPACKAGE:
		if (decode_segment(an, al, name, sizeof name) != 0 ||
		    (a->pkg = kd_packages(p, name, &err)) == NULL) {
			fail(a, err.code == KUERI_EDB ? 500 : 404,
			     err.code == KUERI_EDB ? "the catalog could not be read"
			                           : "no such package");
			break;
		}
		a->kind = KD_DATAPACKAGE;
		snprintf(a->h.content_type, sizeof a->h.content_type, "%s",
		         "application/json");
		a->h.last_modified = pkg_time(json_array_get(a->pkg, 0));
		make_etag(&a->h, "dp", tok, r);
		break;
	case R_CSV: {
		const kp_set *s;

		if (decode_segment(an, al, name, sizeof name) != 0 ||
		    decode_segment(bn, bl, res, sizeof res) != 0 ||
		    (s = portal_set(p, res)) == NULL ||
		    strcmp(s->package, name) != 0 ||
		    (pkgs = kd_packages(p, name, &err)) == NULL) {
			fail(a, 404, "no such resource");
			break;
		}
		json_decref(pkgs); /* checked public */
		a->kind = KD_CSV;
		a->set = s;
		snprintf(a->h.content_type, sizeof a->h.content_type, "%s",
		         "text/csv;charset=utf-8");
		snprintf(a->h.filename, sizeof a->h.filename, "%.90s.csv", res);
		a->h.last_modified = s->published_at;
		{
			char vt[96];

			snprintf(vt, sizeof vt, "%s-%lld-%lld", s->table,
			         s->version, s->published_at);
			make_etag(&a->h, "csv", vt, r);
		}
		break;
	}
	default:
		fail(a, 404, "no such resource");
		break;
	}
	if (a->body.oom) {
		kd_free(a);
		return NULL;
	}
	return a;
}

const kd_head *
kd_answer_head(const kd_answer *a)
{
	return &a->h;
}

int
kd_stream(kd_answer *a, const kueri_sink *sink, long long *rows)
{
	long long bytes;
	char sha[65];

	if (rows)
		*rows = 0;
	switch (a->kind) {
	case KD_CSV:
		return kd_csv_write(a->p, a->set, sink, rows, &bytes, sha);
	case KD_DATAPACKAGE:
		return kd_datapackage_write(a->p, json_array_get(a->pkg, 0),
		                            a->base, sink);
	default:
		if (a->body.n == 0)
			return 0;
		return sink->write(sink->ctx, a->body.s, a->body.n) ? -1 : 0;
	}
}

void
kd_free(kd_answer *a)
{
	if (a == NULL)
		return;
	free(a->body.s);
	json_decref(a->pkg);
	free(a->base);
	free(a);
}
