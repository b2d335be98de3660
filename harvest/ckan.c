/*
 * ckan.c -- the read-only CKAN Action API subset a stock CKAN harvester
 * needs to pull kueri as if it were another CKAN.
 *
 * What ckanext-harvest's CKAN harvester does (ckanext/harvest/harvesters/
 * ckanharvester.py, github.com/ckan/ckanext-harvest, read at commit
 * 1a9a987d):
 *   - gather_stage → _search_for_datasets: GET <base>/api/3/action/
 *     package_search with rows=100, start=0,100,…, sort="id asc", and
 *     fq = "metadata_modified:[<last harvest - 1h>Z TO *]" after a first
 *     successful job (plus "organization:a OR organization:b" /
 *     "-organization:x" terms when organizations_filter_include/exclude
 *     are configured).  It reads result.results[] and stops at the first
 *     empty page; a page identical to the previous one is an error.
 *     From each result it reads `id` (dedup, HarvestObject guid) and
 *     `name`, and keeps the whole dict as the harvest object's content.
 *   - import_stage (and base.py _create_or_update_package) reads `type`
 *     ("harvest" is skipped), `tags`, `groups`, `owner_org`, `extras`
 *     (list of {key, value}), `resources` (it drops url_type and
 *     revision_id), `metadata_modified` (compared with the local copy to
 *     decide whether to update), `id`, `name`, `title`; with remote_orgs
 *     configured it calls organization_show?id=<owner_org>.
 * Other CKAN clients (ckanapi, the DCAT/CKAN "harvest any CKAN" recipes)
 * use package_list, package_show?id=, organization_list and status_show.
 *
 * Envelope {"help", "success", "result"}; errors {"help", "success":
 * false, "error": {"__type", "message"}} with CKAN's statuses: 404 "Not
 * Found Error", 409 "Validation Error" (a bad parameter; the offending
 * parameter also named as a key, as CKAN does) and "Search Query Error",
 * 400 "Bad Request" for an unknown action.
 *
 * Identity: a package's `id` is its name (unique and stable in a portal;
 * CKAN accepts any string), a resource's `id` its resource name.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kd_int.h"
#include "query.h"

#define ROWS_MAX 1000  /* CKAN's ckan.search.rows_max default */

/* ---- parameters --------------------------------------------------------- */

/* The decoded value of query parameter `name` (form encoding: '+' is a
 * space, %XX), malloc'd; NULL when absent.  *bad set on a malformed
 * escape. */
static char *
qparam(const char *q, const char *name, int *bad)
{
	size_t nlen = strlen(name);

	while (q != NULL && *q) {
		const char *amp = strchr(q, '&');
		const char *end = amp ? amp : q + strlen(q);

		if ((size_t)(end - q) > nlen && strncmp(q, name, nlen) == 0 &&
		    q[nlen] == '=') {
			const char *s = q + nlen + 1;
			char *out = malloc((size_t)(end - s) + 1);
			size_t o = 0;

			if (out == NULL) {
				*bad = 1;
				return NULL;
			}
			for (; s < end; s++) {
				int c = (unsigned char)*s;

				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					if (end - s < 3 || !isxdigit((unsigned char)s[1]) ||
					    !isxdigit((unsigned char)s[2])) {
						free(out);
						*bad = 1;
						return NULL;
					}
					c = (isdigit((unsigned char)s[1]) ? s[1] - '0'
					     : (tolower((unsigned char)s[1]) - 'a' + 10)) * 16 +
					    (isdigit((unsigned char)s[2]) ? s[2] - '0'
					     : (tolower((unsigned char)s[2]) - 'a' + 10));
					s += 2;
				}
				if (c == 0) {
					free(out);
					*bad = 1;
					return NULL;
				}
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return out;
		}
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

/* A natural number parameter: 0 ok (absent leaves *v), -1 not one. */
static int
nat_param(const char *q, const char *name, long long *v, int *bad)
{
	char *s = qparam(q, name, bad), *end;
	long long x;

	if (s == NULL)
		return 0;
	x = strtoll(s, &end, 10);
	if (end == s || *end || x < 0 || x > 1000000000LL) {
		free(s);
		return -1;
	}
	free(s);
	*v = x;
	return 0;
}

/* ---- answers ------------------------------------------------------------- */

static void
help_url(ku_buf *b, const char *base, const char *action)
{
	ku_buf_puts(b, base);
	ku_buf_puts(b, "api/3/action/help_show?name=");
	kd_url_escape(b, action);
}

static void
envelope(kd_answer *a, const kd_request *r, const char *action, int status,
         json_t *result, json_t *error)
{
	ku_buf help = { 0 };
	json_t *j;
	char *s;

	help_url(&help, r->base, action);
	j = json_object();
	json_object_set_new(j, "help", json_string(help.oom ? "" : help.s));
	json_object_set_new(j, "success", json_boolean(status == 200));
	if (status == 200)
		json_object_set_new(j, "result", result);
	else
		json_object_set_new(j, "error", error);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	free(help.s);
	a->h.status = status;
	snprintf(a->h.content_type, sizeof a->h.content_type, "%s",
	         "application/json;charset=utf-8");
	a->body.n = 0;
	if (s == NULL)
		a->body.oom = 1;
	else
		ku_buf_puts(&a->body, s);
	free(s);
}

static void
ckan_error(kd_answer *a, const kd_request *r, const char *action,
           int status, const char *type, const char *field, const char *msg)
{
	char clean[256];
	json_t *e;
	size_t i;

	/* Messages may quote the request (an action name, an fq term): only
	 * printable ASCII of it is echoed, so the JSON is always valid. */
	snprintf(clean, sizeof clean, "%s", msg);
	for (i = 0; clean[i]; i++)
		if ((unsigned char)clean[i] < 0x20 || (unsigned char)clean[i] >= 0x7f)
			clean[i] = '?';
	e = json_pack("{s:s,s:s}", "__type", type, "message", clean);

	if (field)
		json_object_set_new(e, field, json_pack("[s]", clean));
	envelope(a, r, action, status, NULL, e);
}

/* ---- the package dict ----------------------------------------------------- */

/* CKAN's organization name rule: [a-z0-9_-], 2..100; from a publisher. */
static void
slug(const char *s, char *out, size_t len)
{
	size_t o = 0;
	int dash = 0;

	for (; s && *s && o + 1 < len && o < 100; s++) {
		unsigned char c = (unsigned char)tolower((unsigned char)*s);

		if (isalnum(c) && c < 0x80) {
			if (dash && o > 0)
				out[o++] = '-';
			dash = 0;
			if (o + 1 < len)
				out[o++] = (char)c;
		} else {
			dash = 1;
		}
	}
	out[o] = '\0';
	if (o < 2)
		snprintf(out, len, "%s", "unknown-publisher");
}

/* "2026-01-02T03:04:05Z" → CKAN's "2026-01-02T03:04:05.000000". */
static json_t *
ckan_time(const char *iso)
{
	char b[40];
	size_t n;

	if (iso == NULL)
		return json_null();
	n = strlen(iso);
	if (n && iso[n - 1] == 'Z')
		n--;
	snprintf(b, sizeof b, "%.*s.000000", (int)(n < 30 ? n : 30), iso);
	return json_string(b);
}

static json_t *
org_dict(const char *publisher, long long count)
{
	char s[128];
	json_t *o;

	slug(publisher, s, sizeof s);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:s}",
	              "id", s, "name", s, "title", publisher ? publisher : s,
	              "display_name", publisher ? publisher : s,
	              "type", "organization", "is_organization", 1,
	              "state", "active", "approval_status", "approved",
	              "description", "");
	if (o && count >= 0)
		json_object_set_new(o, "package_count", json_integer(count));
	return o;
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
extra(json_t *ex, const char *key, const char *value)
{
	if (value)
		json_array_append_new(ex, json_pack("{s:s,s:s}", "key", key,
		                                    "value", value));
}

static json_t *
resource(const char *id, const char *pkg, const char *name,
         const char *url, const char *format, const char *mime,
         const char *desc, const char *when, int pos)
{
	json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:i,s:s,"
	                      "s:b}",
	                      "id", id, "package_id", pkg, "name", name,
	                      "url", url, "format", format, "mimetype", mime,
	                      "description", desc ? desc : "",
	                      "last_modified", ckan_time(when),
	                      "created", ckan_time(when), "position", pos,
	                      "state", "active", "datastore_active", 0);
	return r;
}

static json_t *
package_dict(kportal *p, json_t *pkg, const kd_request *r, kq_name *names)
{
	const char *name = str(pkg, "name"), *pub = str(pkg, "publisher"),
	           *when = str(pkg, "published_at"), *freq;
	json_t *d, *tags, *ex, *rs, *k, *res, *lic, *c;
	ku_buf u = { 0 }, id = { 0 };
	char org[128], ver[32];
	size_t i;
	int pos = 0;

	if (name == NULL)
		return NULL;
	slug(pub, org, sizeof org);
	d = json_object();
	json_object_set_new(d, "id", json_string(name));
	json_object_set_new(d, "name", json_string(name));
	json_object_set_new(d, "title", json_string(str(pkg, "title")
	                    ? str(pkg, "title") : name));
	json_object_set_new(d, "notes", json_string(str(pkg, "description")
	                    ? str(pkg, "description") : ""));
	json_object_set_new(d, "type", json_string("dataset"));
	json_object_set_new(d, "state", json_string("active"));
	json_object_set_new(d, "private", json_false());
	snprintf(ver, sizeof ver, "%lld",
	         (long long)json_integer_value(json_object_get(pkg, "version")));
	json_object_set_new(d, "version", json_string(ver));
	/* The portal keeps the current version's publish time only, so
	 * created and modified are both that time. */
	json_object_set_new(d, "metadata_created", ckan_time(when));
	json_object_set_new(d, "metadata_modified", ckan_time(when));
	lic = json_array_get(json_object_get(pkg, "licenses"), 0);
	json_object_set_new(d, "license_id", json_string(str(lic, "name")
	                    ? str(lic, "name") : "notspecified"));
	json_object_set_new(d, "license_title", json_string(str(lic, "title")
	                    ? str(lic, "title") : str(lic, "name")
	                    ? str(lic, "name") : "License not specified"));
	if (str(lic, "path"))
		json_object_set_new(d, "license_url", json_string(str(lic, "path")));
	json_object_set_new(d, "author", json_string(pub ? pub : ""));
	c = json_object_get(pkg, "contactPoint");
	json_object_set_new(d, "maintainer", json_string(str(c, "name")
	                    ? str(c, "name") : ""));
	json_object_set_new(d, "maintainer_email", json_string(str(c, "email")
	                    ? str(c, "email") : ""));
	kd_url_dataset(&u, r->base, name);
	json_object_set_new(d, "url", json_string(u.oom ? "" : u.s));
	json_object_set_new(d, "owner_org", json_string(org));
	json_object_set_new(d, "organization", org_dict(pub, -1));
	json_object_set_new(d, "groups", json_array());
	tags = json_array();
	json_array_foreach(json_object_get(pkg, "keywords"), i, k)
		if (json_is_string(k))
			json_array_append_new(tags, json_pack("{s:s,s:s,s:s}",
			        "name", json_string_value(k), "display_name",
			        json_string_value(k), "state", "active"));
	json_object_set_new(d, "num_tags", json_integer((json_int_t)
	                    json_array_size(tags)));
	json_object_set_new(d, "tags", tags);
	ex = json_array();
	freq = str(pkg, "updateFrequency");
	extra(ex, "update_frequency", freq);
	extra(ex, "accrual_periodicity", freq ? (kd_frequency(freq)
	      ? kd_frequency(freq) : "OTHER") : NULL);
	extra(ex, "classification", str(pkg, "classification"));
	c = json_object_get(pkg, "temporal");
	extra(ex, "temporal_start", str(c, "start"));
	extra(ex, "temporal_end", str(c, "end"));
	extra(ex, "spatial_text", str(json_object_get(pkg, "spatial"), "name"));
	u.n = 0;
	ku_buf_puts(&u, r->base);
	ku_buf_puts(&u, "catalog.jsonld");
	extra(ex, "dcat_catalog", u.oom ? NULL : u.s);
	json_object_set_new(d, "extras", ex);

	rs = json_array();
	json_array_foreach(json_object_get(pkg, "resources"), i, res) {
		const char *rn = str(res, "name"), *rt = str(res, "title");
		int si;

		if (rn == NULL)
			continue;
		u.n = 0;
		kd_url_csv(&u, r->base, name, rn);
		if (u.oom)
			break;
		json_array_append_new(rs, resource(rn, name, rt ? rt : rn, u.s,
		                      "CSV", "text/csv", str(res, "description"),
		                      when, pos++));
		u.n = 0;
		ku_buf_puts(&u, r->odata);
		for (si = 0; si < portal_nsets(p); si++)
			if (strcmp(portal_set_at(p, si)->name, rn) == 0)
				break;
		kd_url_escape(&u, si < portal_nsets(p) && names ? names[si].s : rn);
		id.n = 0;
		ku_buf_puts(&id, rn);
		ku_buf_puts(&id, "-odata");
		if (u.oom || id.oom)
			break;
		json_array_append_new(rs, resource(id.s, name, rt ? rt : rn, u.s,
		                      "OData", "application/json",
		                      "OData v4 entity set (JSON or CSV; $filter,"
		                      " $orderby, $top, $apply)", when, pos++));
	}
	u.n = 0;
	kd_url_datapackage(&u, r->base, name);
	id.n = 0;
	ku_buf_puts(&id, name);
	ku_buf_puts(&id, "-datapackage");
	if (!u.oom && !id.oom)
		json_array_append_new(rs, resource(id.s, name, "datapackage.json",
		                      u.s, "JSON", "application/json",
		                      "Frictionless Data Package descriptor; its"
		                      " resources point at the CSV downloads",
		                      when, pos++));
	json_object_set_new(d, "num_resources", json_integer(
	                    (json_int_t)json_array_size(rs)));
	json_object_set_new(d, "resources", rs);
	free(u.s);
	free(id.s);
	return d;
}

/* ---- package_search -------------------------------------------------------- */

typedef struct filt {
	long long since, until;  /* metadata_modified range, -1 open        */
	json_t   *orgs_in;       /* names (organization:x, OR-ed)          */
	json_t   *orgs_out;      /* names (-organization:x)                */
} filt;

/* Parse fq.  0 ok, -1 unsupported (msg set). */
static int
parse_fq(const char *fq, filt *f, char *msg, size_t mlen)
{
	const char *s = fq;

	while (*s) {
		const char *e;

		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		if (strncmp(s, "metadata_modified:[", 19) == 0) {
			const char *to, *close;
			char a[64], b[64];

			s += 19;
			close = strchr(s, ']');
			to = strstr(s, " TO ");
			if (close == NULL || to == NULL || to > close ||
			    (size_t)(to - s) >= sizeof a ||
			    (size_t)(close - to - 4) >= sizeof b) {
				snprintf(msg, mlen, "fq: metadata_modified needs"
				         " [FROM TO UNTIL]");
				return -1;
			}
			snprintf(a, sizeof a, "%.*s", (int)(to - s), s);
			snprintf(b, sizeof b, "%.*s", (int)(close - to - 4), to + 4);
			f->since = strcmp(a, "*") ? kd_time_parse(a) : -1;
			f->until = strcmp(b, "*") ? kd_time_parse(b) : -1;
			if ((strcmp(a, "*") && f->since < 0) ||
			    (strcmp(b, "*") && f->until < 0)) {
				snprintf(msg, mlen, "fq: metadata_modified bounds"
				         " must be ISO 8601 dates or *");
				return -1;
			}
			s = close + 1;
			continue;
		}
		e = strchr(s, ' ');
		if (e == NULL)
			e = s + strlen(s);
		if (e - s == 2 && strncmp(s, "OR", 2) == 0) {
			/* organization terms are OR-ed already */
		} else if (e - s == 3 && strncmp(s, "*:*", 3) == 0) {
		} else if (strncmp(s, "organization:", 13) == 0 && e - s > 13) {
			json_array_append_new(f->orgs_in,
			        json_stringn(s + 13, (size_t)(e - s - 13)));
		} else if (strncmp(s, "-organization:", 14) == 0 && e - s > 14) {
			json_array_append_new(f->orgs_out,
			        json_stringn(s + 14, (size_t)(e - s - 14)));
		} else {
			snprintf(msg, mlen, "fq: unsupported term '%.*s' (kueri"
			         " filters metadata_modified:[A TO B],"
			         " organization:X and -organization:X)",
			         (int)(e - s > 60 ? 60 : e - s), s);
			return -1;
		}
		s = e;
	}
	return 0;
}

static int
in_list(json_t *a, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

/* One "field:value" term of q, as Solr reads CKAN's indexed fields:
 * name, tags, organization, license_id and res_format exactly; title
 * and notes as words within.  1 hit, 0 miss, -1 not a field term. */
static int
q_field(json_t *pkg, const char *w)
{
	const char *colon = strchr(w, ':'), *v;
	char        org[128];
	size_t      i;
	json_t     *k;

	if (colon == NULL || colon == w || colon[1] == '\0')
		return -1;
	v = colon + 1;
#define FIELD(n) ((size_t)(colon - w) == strlen(n) && strncmp(w, n, strlen(n)) == 0)
	if (FIELD("name"))
		return str(pkg, "name") && strcmp(str(pkg, "name"), v) == 0;
	if (FIELD("tags")) {
		json_array_foreach(json_object_get(pkg, "keywords"), i, k)
			if (json_is_string(k) && strcmp(json_string_value(k), v) == 0)
				return 1;
		return 0;
	}
	if (FIELD("organization")) {
		slug(str(pkg, "publisher"), org, sizeof org);
		return strcmp(org, v) == 0;
	}
	if (FIELD("license_id")) {
		const char *l = str(json_array_get(json_object_get(pkg,
		                    "licenses"), 0), "name");

		return strcmp(l ? l : "notspecified", v) == 0;
	}
	if (FIELD("res_format"))   /* every package has these three */
		return strcasecmp(v, "CSV") == 0 || strcasecmp(v, "OData") == 0 ||
		       strcasecmp(v, "JSON") == 0;
	if (FIELD("title"))
		return str(pkg, "title") && strcasestr(str(pkg, "title"), v);
	if (FIELD("notes"))
		return str(pkg, "description") &&
		       strcasestr(str(pkg, "description"), v);
#undef FIELD
	return -1;
}

/* Every whitespace-separated word of q occurs (case-insensitively) in the
 * name, title, description, publisher or a keyword; a "field:value" word
 * matches that field (q_field). */
static int
q_match(json_t *pkg, const char *q)
{
	char word[128];
	const char *s = q;

	if (strcmp(q, "*:*") == 0 || *q == '\0')
		return 1;
	while (*s) {
		size_t n = 0;
		json_t *k;
		size_t i;
		int hit = 0;
		const char *fields[] = { "name", "title", "description",
		                         "publisher" };

		while (*s == ' ')
			s++;
		while (s[n] && s[n] != ' ')
			n++;
		if (n == 0)
			break;
		snprintf(word, sizeof word, "%.*s", (int)(n < 127 ? n : 127), s);
		s += n;
		if ((hit = q_field(pkg, word)) >= 0) {
			if (!hit)
				return 0;
			continue;
		}
		hit = 0;
		for (i = 0; i < 4 && !hit; i++) {
			const char *v = str(pkg, fields[i]);

			hit = v && strcasestr(v, word);
		}
		json_array_foreach(json_object_get(pkg, "keywords"), i, k)
			if (!hit && json_is_string(k))
				hit = strcasestr(json_string_value(k), word) != NULL;
		if (!hit)
			return 0;
	}
	return 1;
}

typedef struct sortkey {
	const char *field;  /* "name", "title", "published_at" */
	int         desc;
} sortkey;

static int
cmp_pkg(const void *a, const void *b, void *ctx)
{
	const sortkey *k = ctx;
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	const char *u = str(x, k->field), *v = str(y, k->field);
	int c = strcmp(u ? u : "", v ? v : "");

	if (c == 0)
		c = strcmp(str(x, "name"), str(y, "name"));
	return k->desc ? -c : c;
}

static int
parse_sort(const char *s, sortkey *k)
{
	static const struct { const char *ckan, *field; } keys[] = {
		{ "id", "name" }, { "name", "name" },
		{ "title_string", "title" },
		{ "metadata_modified", "published_at" },
		{ "metadata_created", "published_at" },
	};
	size_t i;

	/* CKAN's default; with no relevance ranking here, score ties. */
	if (strcmp(s, "score desc, metadata_modified desc") == 0 ||
	    strcmp(s, "relevance asc, metadata_modified desc") == 0) {
		k->field = "published_at";
		k->desc = 1;
		return 0;
	}
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		size_t n = strlen(keys[i].ckan);

		if (strncmp(s, keys[i].ckan, n) == 0 &&
		    (strcmp(s + n, " asc") == 0 || strcmp(s + n, " desc") == 0 ||
		     s[n] == '\0')) {
			k->field = keys[i].field;
			k->desc = strcmp(s + n, " desc") == 0;
			return 0;
		}
	}
	return -1;
}

static void
package_search(kportal *p, const kd_request *r, json_t *pkgs, kd_answer *a,
               kq_name *names)
{
	const char *act = "package_search";
	long long rows = 10, start = 0, n = 0;
	int bad = 0;
	char *q = qparam(r->query, "q", &bad), *fq = qparam(r->query, "fq", &bad),
	     *so = qparam(r->query, "sort", &bad);
	char msg[200];
	filt f = { -1, -1, json_array(), json_array() };
	sortkey k = { "published_at", 1 };
	json_t **v = NULL, *pkg, *results, *res;
	size_t i;

	if (bad) {
		ckan_error(a, r, act, 400, "Bad Request", NULL,
		           "Bad request - malformed query string");
		goto done;
	}
	if (nat_param(r->query, "rows", &rows, &bad) != 0) {
		ckan_error(a, r, act, 409, "Validation Error", "rows",
		           "Must be a natural number");
		goto done;
	}
	if (nat_param(r->query, "start", &start, &bad) != 0) {
		ckan_error(a, r, act, 409, "Validation Error", "start",
		           "Must be a natural number");
		goto done;
	}
	if (rows > ROWS_MAX)
		rows = ROWS_MAX;
	if (fq && parse_fq(fq, &f, msg, sizeof msg) != 0) {
		ckan_error(a, r, act, 409, "Search Query Error", NULL, msg);
		goto done;
	}
	if (so && parse_sort(so, &k) != 0) {
		ckan_error(a, r, act, 409, "Search Query Error", NULL,
		           "Search error: sort must be one of id, name,"
		           " title_string, metadata_modified, metadata_created"
		           " with asc or desc");
		goto done;
	}
	if ((v = calloc(json_array_size(pkgs) + 1, sizeof *v)) == NULL) {
		a->body.oom = 1;
		goto done;
	}
	json_array_foreach(pkgs, i, pkg) {
		long long t = kd_time_parse(str(pkg, "published_at"));
		char org[128];

		slug(str(pkg, "publisher"), org, sizeof org);
		if ((f.since >= 0 && t < f.since) || (f.until >= 0 && t > f.until))
			continue;
		if (json_array_size(f.orgs_in) && !in_list(f.orgs_in, org))
			continue;
		if (in_list(f.orgs_out, org))
			continue;
		if (q && !q_match(pkg, q))
			continue;
		v[n++] = pkg;
	}
	qsort_r(v, (size_t)n, sizeof *v, cmp_pkg, &k);
	results = json_array();
	for (i = (size_t)start; (long long)i < n &&
	     (long long)i < start + rows; i++)
		json_array_append_new(results, package_dict(p, v[i], r, names));
	res = json_pack("{s:I,s:s,s:o,s:{},s:{}}", "count", (json_int_t)n,
	                "sort", so ? so : "score desc, metadata_modified desc",
	                "results", results, "facets", "search_facets");
	envelope(a, r, act, 200, res, NULL);
done:
	free(v);
	free(q);
	free(fq);
	free(so);
	json_decref(f.orgs_in);
	json_decref(f.orgs_out);
}

/* ---- the smaller actions ------------------------------------------------------ */

/* current_package_list_with_resources: the package dicts, the most
 * recently modified first, paged with limit and offset (or CKAN's older
 * page, 1-based, of `limit` packages). */
static void
current_list(kportal *p, const kd_request *r, json_t *pkgs, kd_answer *a,
             kq_name *names)
{
	const char *act = "current_package_list_with_resources";
	long long   limit = -1, offset = 0, page = 0, n;
	int         bad = 0;
	json_t    **v, *pkg, *res;
	size_t      i;
	sortkey     k = { "published_at", 1 };

	if (nat_param(r->query, "limit", &limit, &bad) != 0 ||
	    nat_param(r->query, "offset", &offset, &bad) != 0 ||
	    nat_param(r->query, "page", &page, &bad) != 0 || bad) {
		ckan_error(a, r, act, 409, "Validation Error", NULL,
		           "limit, offset and page must be natural numbers");
		return;
	}
	if (page > 0) {
		if (limit < 0) {
			ckan_error(a, r, act, 409, "Validation Error", "limit",
			           "Missing value (page needs limit)");
			return;
		}
		offset = (page - 1) * limit;
	}
	if ((v = calloc(json_array_size(pkgs) + 1, sizeof *v)) == NULL) {
		a->body.oom = 1;
		return;
	}
	n = 0;
	json_array_foreach(pkgs, i, pkg)
		v[n++] = pkg;
	qsort_r(v, (size_t)n, sizeof *v, cmp_pkg, &k);
	res = json_array();
	for (i = (size_t)offset; (long long)i < n &&
	     (limit < 0 || (long long)i < offset + limit); i++)
		json_array_append_new(res, package_dict(p, v[i], r, names));
	free(v);
	envelope(a, r, act, 200, res, NULL);
}

/* resource_show?id=: a resource of any package dict, by its id. */
static void
resource_show(kportal *p, const kd_request *r, json_t *pkgs, kd_answer *a,
              kq_name *names)
{
	const char *act = "resource_show";
	int         bad = 0;
	char       *id = qparam(r->query, "id", &bad);
	json_t     *pkg, *d, *rs, *hit = NULL;
	size_t      i, j;

	if (id == NULL) {
		ckan_error(a, r, act, 409, "Validation Error", "id",
		           "Missing value");
		return;
	}
	json_array_foreach(pkgs, i, pkg) {
		if (hit || (d = package_dict(p, pkg, r, names)) == NULL)
			continue;
		json_array_foreach(json_object_get(d, "resources"), j, rs)
			if (!hit && strcmp(str(rs, "id"), id) == 0)
				hit = json_incref(rs);
		json_decref(d);
	}
	free(id);
	if (hit == NULL)
		ckan_error(a, r, act, 404, "Not Found Error", NULL,
		           "Resource was not found.");
	else
		envelope(a, r, act, 200, hit, NULL);
}

/* tag_list: every keyword of a public package, once, sorted. */
static void
tag_list(const kd_request *r, json_t *pkgs, kd_answer *a)
{
	json_t *seen = json_object(), *pkg, *k, *list = json_array();
	size_t  i, j, m;
	const char *key;
	json_t *o;

	json_array_foreach(pkgs, i, pkg)
		json_array_foreach(json_object_get(pkg, "keywords"), j, k)
			if (json_is_string(k))
				json_object_set_new(seen, json_string_value(k),
				                    json_true());
	json_object_foreach(seen, key, o)
		json_array_append_new(list, json_string(key));
	m = json_array_size(list);
	for (i = 1; i < m; i++)
		for (j = i; j > 0 && strcmp(json_string_value(json_array_get(
		        list, j - 1)), json_string_value(json_array_get(list,
		        j))) > 0; j--) {
			json_t *t = json_incref(json_array_get(list, j));

			json_array_set(list, j, json_array_get(list, j - 1));
			json_array_set_new(list, j - 1, t);
		}
	json_decref(seen);
	envelope(a, r, "tag_list", 200, list, NULL);
}

/* help_show?name=ACTION: the envelope's "help" points here. */
static void
help_show(const kd_request *r, kd_answer *a)
{
	static const struct { const char *name, *doc; } docs[] = {
		{ "package_list", "Return a list of the names of the site's "
		  "datasets.  :param limit: :param offset:" },
		{ "package_show", "Return the metadata of a dataset.  :param id: "
		  "the name of the dataset" },
		{ "package_search", "Search for datasets.  :param q: words that "
		  "must all occur :param fq: metadata_modified:[A TO B], "
		  "organization:X, -organization:X :param rows: :param start: "
		  ":param sort: id, name, title_string, metadata_modified or "
		  "metadata_created, asc or desc" },
		{ "current_package_list_with_resources", "Return a list of the "
		  "site's datasets and their resources, most recently modified "
		  "first.  :param limit: :param offset: :param page:" },
		{ "organization_list", "Return a list of the names of the site's "
		  "organizations.  :param all_fields:" },
		{ "organization_show", "Return the details of an organization.  "
		  ":param id:" },
		{ "resource_show", "Return the metadata of a resource.  :param "
		  "id:" },
		{ "tag_list", "Return a list of the site's tags." },
		{ "group_list", "Return a list of the site's groups (none)." },
		{ "status_show", "Return a dictionary with information about the "
		  "site's configuration." },
		{ "site_read", "Return true." },
		{ "help_show", "Return the help string for a particular API "
		  "action.  :param name:" },
	};
	int    bad = 0;
	char  *name = qparam(r->query, "name", &bad);
	size_t i;

	for (i = 0; name && i < sizeof docs / sizeof docs[0]; i++)
		if (strcmp(name, docs[i].name) == 0)
			break;
	if (name == NULL)
		ckan_error(a, r, "help_show", 409, "Validation Error", "name",
		           "Missing value");
	else if (i == sizeof docs / sizeof docs[0])
		ckan_error(a, r, "help_show", 404, "Not Found Error", NULL,
		           "Action function not found");
	else
		envelope(a, r, "help_show", 200, json_string(docs[i].doc), NULL);
	free(name);
}

/* ---- the actions ------------------------------------------------------------ */

static void
answer(kportal *p, const kd_request *r, const char *action, kd_answer *a)
{
	kueri_err err;
	json_t *pkgs, *pkg, *res;
	kq_name *names = NULL;
	size_t i;
	int bad = 0;

	kueri_err_clear(&err);
	if ((pkgs = kd_packages(p, NULL, &err)) == NULL) {
		ckan_error(a, r, action, 500, "Internal Error", NULL,
		           "the catalog could not be read");
		return;
	}
	names = kq_set_names(p);
	if (strcmp(action, "status_show") == 0) {
		ku_buf site = { 0 };

		ku_buf_add(&site, r->base, strlen(r->base) - 1);
		res = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:[],s:s}",
		        "site_title", "kueri", "site_description",
		        "Open data published with kueri (OData v4, DCAT-AP 3.0.1,"
		        " Frictionless)",
		        "site_url", site.oom ? "" : site.s,
		        /* The CKAN API level this subset imitates. */
		        "ckan_version", "2.10.0", "api_version", 3,
		        "kueri_version", KUERI_VERSION, "extensions",
		        "locale_default", "id");
		free(site.s);
		envelope(a, r, action, 200, res, NULL);
	} else if (strcmp(action, "package_list") == 0) {
		long long limit = -1, offset = 0;

		if (nat_param(r->query, "limit", &limit, &bad) != 0 ||
		    nat_param(r->query, "offset", &offset, &bad) != 0) {
			ckan_error(a, r, action, 409, "Validation Error", NULL,
			           "limit and offset must be natural numbers");
		} else {
			res = json_array();
			json_array_foreach(pkgs, i, pkg)   /* name order */
				if ((long long)i >= offset &&
				    (limit < 0 || (long long)i < offset + limit))
					json_array_append_new(res,
					        json_string(str(pkg, "name")));
			envelope(a, r, action, 200, res, NULL);
		}
	} else if (strcmp(action, "package_show") == 0) {
		char *id = qparam(r->query, "id", &bad);
		json_t *hit = NULL;

		json_array_foreach(pkgs, i, pkg)
			if (id && strcmp(str(pkg, "name"), id) == 0)
				hit = pkg;
		if (id == NULL)
			ckan_error(a, r, action, 409, "Validation Error", "id",
			           "Missing value");
		else if (hit == NULL)
			ckan_error(a, r, action, 404, "Not Found Error", NULL,
			           "Not found");
		else
			envelope(a, r, action, 200,
			         package_dict(p, hit, r, names), NULL);
		free(id);
	} else if (strcmp(action, "package_search") == 0) {
		package_search(p, r, pkgs, a, names);
	} else if (strcmp(action, "organization_list") == 0 ||
	           strcmp(action, "organization_show") == 0) {
		char *all = qparam(r->query, "all_fields", &bad);
		char *id = qparam(r->query, "id", &bad);
		int full = all && (strcmp(all, "true") == 0 ||
		                   strcmp(all, "True") == 0 || strcmp(all, "1") == 0);
		json_t *seen = json_object(), *hit = NULL;
		const char *key;
		json_t *o;

		json_array_foreach(pkgs, i, pkg) {
			char org[128];
			json_t *e;

			slug(str(pkg, "publisher"), org, sizeof org);
			if ((e = json_object_get(seen, org)) == NULL) {
				e = org_dict(str(pkg, "publisher"), 0);
				json_object_set_new(seen, org, e);
			}
			json_object_set_new(e, "package_count", json_integer(
			        json_integer_value(json_object_get(e,
			                "package_count")) + 1));
		}
		if (strcmp(action, "organization_show") == 0) {
			hit = id ? json_object_get(seen, id) : NULL;
			if (id == NULL)
				ckan_error(a, r, action, 409, "Validation Error",
				           "id", "Missing value");
			else if (hit == NULL)
				ckan_error(a, r, action, 404, "Not Found Error",
				           NULL, "Not found");
			else
				envelope(a, r, action, 200, json_incref(hit), NULL);
		} else {
			/* json_object keys iterate in insertion order only with
			 * PRESERVE_ORDER on dump; sort the names ourselves. */
			json_t *list = json_array();
			size_t m, j;

			json_object_foreach(seen, key, o)
				json_array_append_new(list, json_string(key));
			m = json_array_size(list);
			for (i = 1; i < m; i++)        /* few organizations */
				for (j = i; j > 0 && strcmp(json_string_value(
				        json_array_get(list, j - 1)), json_string_value(
				        json_array_get(list, j))) > 0; j--) {
					json_t *t = json_incref(json_array_get(list, j));

					json_array_set(list, j, json_array_get(list, j - 1));
					json_array_set_new(list, j - 1, t);
				}
			if (full) {
				res = json_array();
				json_array_foreach(list, i, o)
					json_array_append(res, json_object_get(seen,
					        json_string_value(o)));
				json_decref(list);
			} else {
				res = list;
			}
			envelope(a, r, action, 200, res, NULL);
		}
		json_decref(seen);
		free(all);
		free(id);
	} else if (strcmp(action, "group_list") == 0) {
		envelope(a, r, action, 200, json_array(), NULL);
	} else if (strcmp(action, "current_package_list_with_resources") == 0) {
		current_list(p, r, pkgs, a, names);
	} else if (strcmp(action, "resource_show") == 0) {
		resource_show(p, r, pkgs, a, names);
	} else if (strcmp(action, "tag_list") == 0) {
		tag_list(r, pkgs, a);
	} else if (strcmp(action, "site_read") == 0) {
		envelope(a, r, action, 200, json_true(), NULL);
	} else if (strcmp(action, "help_show") == 0) {
		help_show(r, a);
	} else if (strcmp(action, "group_show") == 0) {
		/* kueri has no groups (group_list is empty). */
		ckan_error(a, r, action, 404, "Not Found Error", NULL,
		           "Group was not found");
	} else {
		char msg[200];

		snprintf(msg, sizeof msg, "Bad request - Action name not known:"
		         " %.60s", action);
		ckan_error(a, r, action, 400, "Bad Request", NULL, msg);
	}
	free(names);
	json_decref(pkgs);
}

void
kd_ckan(kportal *p, const kd_request *r, const char *action, kd_answer *a)
{
	kd_request post;
	char msg[256], *q;

	if (!r->post) {
		answer(p, r, action, a);
		return;
	}
	if ((q = kd_post_query(r, msg, sizeof msg)) == NULL) {
		ckan_error(a, r, action, 400, "Bad Request", NULL, msg);
		return;
	}
	post = *r;
	post.query = q;
	answer(p, &post, action, a);
	free(q);
}
