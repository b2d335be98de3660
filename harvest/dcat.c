/*
 * dcat.c -- the catalog as DCAT-AP 3.0.1 (SEMICeu): one graph, written as
 * JSON-LD (application/ld+json) or Turtle (text/turtle).
 *
 * The graph is built once as JSON-LD node objects ({"@id", "@type",
 * property: [values]}) and the Turtle writer walks the same nodes, so the
 * two serialisations cannot drift apart.  Every IRI is absolute (the
 * request's base URL; ckanext-dcat parses without a base), the @context
 * is inline (no document is fetched to read ours), and every node that a
 * DCAT-AP shape constrains with sh:class carries that class (publisher
 * foaf:Agent, contact vcard:Kind, licence dct:LicenseDocument, …).
 *
 * What maps to what (docs/harvest.md has the table):
 *   package            dcat:Dataset  <base>catalog/NAME
 *   resource           dcat:Distribution ×2: the full CSV (downloadURL)
 *                      and its OData v4 entity set (accessURL, conformsTo)
 *   the package        dcat:Distribution: datapackage.json (Frictionless)
 *   updateFrequency    dct:accrualPeriodicity (EU frequency vocabulary)
 *   keywords           dcat:keyword, and dcat:theme by the keyword table
 *                      below (EU data-theme vocabulary)
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kd_int.h"
#include "query.h"

#define EU_AUTH "http://publications.europa.eu/resource/authority/"

static const char *const prefixes[][2] = {
	{ "dcat",  "http://www.w3.org/ns/dcat#" },
	{ "dct",   "http://purl.org/dc/terms/" },
	{ "foaf",  "http://xmlns.com/foaf/0.1/" },
	{ "vcard", "http://www.w3.org/2006/vcard/ns#" },
	{ "skos",  "http://www.w3.org/2004/02/skos/core#" },
	{ "xsd",   "http://www.w3.org/2001/XMLSchema#" },
};
#define NPREFIX (sizeof prefixes / sizeof prefixes[0])

/*
 * Keyword → EU data theme.  A package's keywords (and words of its title)
 * are compared case-insensitively with these stems (prefix match); each
 * theme is given once.  No match: no dcat:theme (it is recommended, not
 * mandatory, in DCAT-AP 3).
 */
static const struct { const char *stem, *theme; } themes[] = {
	{ "pangan", "AGRI" },     { "pertanian", "AGRI" },
	{ "food", "AGRI" },       { "komoditas", "ECON" },
	{ "harga", "ECON" },      { "price", "ECON" },
	{ "ekonomi", "ECON" },    { "economy", "ECON" },
	{ "kesehatan", "HEAL" },  { "health", "HEAL" },
	{ "covid", "HEAL" },      { "penyakit", "HEAL" },
	{ "wilayah", "REGI" },    { "administratif", "REGI" },
	{ "region", "REGI" },     { "kabupaten", "REGI" },
	{ "provinsi", "REGI" },   { "desa", "REGI" },
	{ "pendidikan", "EDUC" }, { "sekolah", "EDUC" },
	{ "education", "EDUC" },  { "energi", "ENER" },
	{ "energy", "ENER" },     { "lingkungan", "ENVI" },
	{ "environment", "ENVI" },{ "pemerintah", "GOVE" },
	{ "government", "GOVE" }, { "anggaran", "GOVE" },
	{ "hukum", "JUST" },      { "justice", "JUST" },
	{ "penduduk", "SOCI" },   { "population", "SOCI" },
	{ "sosial", "SOCI" },     { "transportasi", "TRAN" },
	{ "transport", "TRAN" },  { "teknologi", "TECH" },
	{ "science", "TECH" },    { "internasional", "INTR" },
};

/* ---- the graph ------------------------------------------------------------ */

typedef struct graph {
	json_t *nodes;   /* array, insertion order               */
	json_t *byid;    /* id → node (borrowed from nodes)      */
} graph;

static json_t *
node(graph *g, const char *id, const char *type)
{
	json_t *n = json_object_get(g->byid, id);

	if (n == NULL) {
		n = json_pack("{s:s,s:[]}", "@id", id, "@type");
		json_array_append_new(g->nodes, n);
		json_object_set(g->byid, id, n);
	}
	if (type) {
		json_t *t = json_object_get(n, "@type"), *v;
		size_t i;

		json_array_foreach(t, i, v)
			if (strcmp(json_string_value(v), type) == 0)
				return n;
		json_array_append_new(t, json_string(type));
	}
	return n;
}

static void
add(json_t *n, const char *prop, json_t *v)
{
	json_t *a = json_object_get(n, prop);

	if (v == NULL)
		return;
	if (a == NULL) {
		a = json_array();
		json_object_set_new(n, prop, a);
	}
	json_array_append_new(a, v);
}

static void
add_iri(json_t *n, const char *prop, const char *iri)
{
	add(n, prop, json_pack("{s:s}", "@id", iri));
}

static void
add_str(json_t *n, const char *prop, const char *s)
{
	if (s && *s)
		add(n, prop, json_string(s));
}

static void
add_typed(json_t *n, const char *prop, const char *s, const char *dt)
{
	add(n, prop, json_pack("{s:s,s:s}", "@value", s, "@type", dt));
}

/* xsd:date for a bare date, xsd:dateTime otherwise (as the value says). */
static void
add_when(json_t *n, const char *prop, const char *s)
{
	if (s == NULL || kd_time_parse(s) < 0)
		return;
	add_typed(n, prop, s, strchr(s, 'T') ? "xsd:dateTime" : "xsd:date");
}

/* A URL-ish string we may use as an IRI: absolute http(s)/mailto, no
 * spaces or characters Turtle would have to escape. */
static int
iri_ok(const char *s)
{
	if (s == NULL || (strncmp(s, "http://", 7) && strncmp(s, "https://", 8)))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || strchr("<>\"{}|^`\\", *s))
			return 0;
	return 1;
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static char *
cat(const char *a, const char *b)
{
	ku_buf x = { 0 };

	ku_buf_puts(&x, a);
	ku_buf_puts(&x, b);
	if (x.oom) {
		free(x.s);
		return NULL;
	}
	return x.s;
}

/* The catalog-wide agent for a publisher name (one node per name). */
static const char *
agent(graph *g, const char *base, const char *name, ku_buf *id)
{
	json_t *n;

	id->n = 0;
	ku_buf_puts(id, base);
	ku_buf_puts(id, "catalog#publisher-");
	kd_url_escape(id, name);
	if (id->oom)
		return NULL;
	n = node(g, id->s, "foaf:Agent");
	node(g, id->s, "foaf:Organization");
	if (json_object_get(n, "foaf:name") == NULL)
		add_str(n, "foaf:name", name);
	return id->s;
}

static void
themes_of(graph *g, json_t *ds, json_t *pkg)
{
	json_t *kw = json_object_get(pkg, "keywords"), *k;
	char seen[sizeof themes / sizeof themes[0]] = { 0 };
	size_t i, j;

	json_array_foreach(kw, i, k) {
		const char *w = json_string_value(k);

		for (j = 0; w && j < sizeof themes / sizeof themes[0]; j++) {
			size_t l = strlen(themes[j].stem), m;
			int dup = 0;

			if (strncasecmp(w, themes[j].stem, l) != 0)
				continue;
			for (m = 0; m < j; m++)
				if (seen[m] && strcmp(themes[m].theme,
				                      themes[j].theme) == 0)
					dup = 1;
			if (dup || seen[j])
				continue;
			seen[j] = 1;
			{
				char iri[128];
				json_t *t;

				snprintf(iri, sizeof iri, EU_AUTH "data-theme/%s",
				         themes[j].theme);
				add_iri(ds, "dcat:theme", iri);
				t = node(g, iri, "skos:Concept");
				if (json_object_get(t, "skos:prefLabel") == NULL)
					add_str(t, "skos:prefLabel", themes[j].theme);
			}
		}
	}
}

/* The licence node for a package's first licence (DCAT-AP puts dct:license
 * on distributions): its `path` when that is a usable IRI, else a node in
 * our namespace titled by its name. */
static char *
license_iri(graph *g, json_t *pkg, const char *dsid)
{
	json_t *l = json_array_get(json_object_get(pkg, "licenses"), 0), *n;
	const char *path = str(l, "path"), *name = str(l, "name"),
	           *title = str(l, "title");
	char *id;

	if (l == NULL)
		return NULL;
	id = iri_ok(path) ? strdup(path) : cat(dsid, "#license");
	if (id == NULL)
		return NULL;
	n = node(g, id, "dct:LicenseDocument");
	if (json_object_get(n, "dct:title") == NULL)
		add_str(n, "dct:title", title ? title : name);
	if (name && json_object_get(n, "dct:identifier") == NULL)
		add_str(n, "dct:identifier", name);
	return id;
}

static void
media(graph *g, json_t *d, const char *type, const char *fmt)
{
	char iri[160];

	snprintf(iri, sizeof iri, "http://www.iana.org/assignments/media-types/%s",
	         type);
	add_iri(d, "dcat:mediaType", iri);
	node(g, iri, "dct:MediaType");
	if (fmt) {
		snprintf(iri, sizeof iri, EU_AUTH "file-type/%s", fmt);
		add_iri(d, "dct:format", iri);
		node(g, iri, "dct:MediaTypeOrExtent");
	}
}

static void
standard(graph *g, json_t *d, const char *iri, const char *title)
{
	json_t *n = node(g, iri, "dct:Standard");

	add_iri(d, "dct:conformsTo", iri);
	if (json_object_get(n, "dct:title") == NULL)
		add_str(n, "dct:title", title);
}

/* One distribution node: id = dataset id + suffix. */
static json_t *
distribution(graph *g, json_t *ds, const char *dsid, const char *suffix,
             const char *lic)
{
	char *id = cat(dsid, suffix);
	json_t *d;

	if (id == NULL)
		return NULL;
	d = node(g, id, "dcat:Distribution");
	add_iri(ds, "dcat:distribution", id);
	if (lic)
		add_iri(d, "dct:license", lic);
	free(id);
	return d;
}

static int
dataset(kportal *p, graph *g, json_t *pkg, const kd_request *r,
        kq_name *setnames)
{
	const char *name = str(pkg, "name"), *title = str(pkg, "title"),
	           *desc = str(pkg, "description"), *freq;
	const char *eu;
	ku_buf id = { 0 }, u = { 0 }, ag = { 0 };
	json_t *ds, *c, *k, *res;
	char *lic = NULL, *sub, *landing = NULL;
	size_t i;
	int rc = -1;

	kd_url_dataset(&id, r->base, name);
	if (id.oom)
		goto done;
	ds = node(g, id.s, "dcat:Dataset");
	add_iri(json_object_get(g->byid, "catalog"), "dcat:dataset", id.s);
	add_str(ds, "dct:identifier", id.s);
	add_str(ds, "dct:title", title ? title : name);
	/* dct:description is mandatory in DCAT-AP; the title stands in. */
	add_str(ds, "dct:description", desc ? desc : title ? title : name);
	json_array_foreach(json_object_get(pkg, "keywords"), i, k)
		add_str(ds, "dcat:keyword", json_string_value(k));
	themes_of(g, ds, pkg);
	if (str(pkg, "publisher") &&
	    agent(g, r->base, str(pkg, "publisher"), &ag))
		add_iri(ds, "dct:publisher", ag.s);
	if ((c = json_object_get(pkg, "contactPoint")) != NULL &&
	    (sub = cat(id.s, "#contact")) != NULL) {
		json_t *v = node(g, sub, "vcard:Kind");
		const char *email = str(c, "email");

		node(g, sub, "vcard:Organization");
		add_str(v, "vcard:fn", str(c, "name") ? str(c, "name")
		                                       : str(pkg, "publisher"));
		if (email && !strchr(email, ' ') && !strchr(email, '>')) {
			char *m = cat("mailto:", email);

			if (m)
				add_iri(v, "vcard:hasEmail", m);
			free(m);
		}
		add_iri(ds, "dcat:contactPoint", sub);
		free(sub);
	}
	add_when(ds, "dct:issued", str(pkg, "published_at"));
	add_when(ds, "dct:modified", str(pkg, "published_at"));
	freq = str(pkg, "updateFrequency");
	eu = freq ? kd_frequency(freq) : "UNKNOWN";
	{
		char iri[128];

		snprintf(iri, sizeof iri, EU_AUTH "frequency/%s",
		         eu ? eu : "OTHER");
		add_iri(ds, "dct:accrualPeriodicity", iri);
		node(g, iri, "dct:Frequency");
	}
	if ((c = json_object_get(pkg, "temporal")) != NULL &&
	    (str(c, "start") || str(c, "end")) &&
	    (sub = cat(id.s, "#temporal")) != NULL) {
		json_t *t = node(g, sub, "dct:PeriodOfTime");

		add_when(t, "dcat:startDate", str(c, "start"));
		add_when(t, "dcat:endDate", str(c, "end"));
		add_iri(ds, "dct:temporal", sub);
		free(sub);
	}
	if ((c = json_object_get(pkg, "spatial")) != NULL && str(c, "name") &&
	    (sub = cat(id.s, "#spatial")) != NULL) {
		add_str(node(g, sub, "dct:Location"), "skos:prefLabel",
		        str(c, "name"));
		add_iri(ds, "dct:spatial", sub);
		free(sub);
	}
	lic = license_iri(g, pkg, id.s);

	json_array_foreach(json_object_get(pkg, "resources"), i, res) {
		const char *rn = str(res, "name"), *rt = str(res, "title"),
		           *rd = str(res, "description");
		json_t *d;
		int si;

		if (rn == NULL)
			continue;
		u.n = 0;
		ku_buf_puts(&u, "#csv-");
		kd_url_escape(&u, rn);
		if (u.oom || (d = distribution(g, ds, id.s, u.s, lic)) == NULL)
			goto done;
		add_str(d, "dct:title", rt ? rt : rn);
		add_str(d, "dct:description", rd ? rd
		        : "The complete resource as CSV (RFC 4180, UTF-8).");
		u.n = 0;
		kd_url_csv(&u, r->base, name, rn);
		if (u.oom)
			goto done;
		add_iri(d, "dcat:accessURL", u.s);
		add_iri(d, "dcat:downloadURL", u.s);
		media(g, d, "text/csv", "CSV");
		standard(g, d, "https://datapackage.org/standard/table-schema/",
		         "Frictionless Table Schema");

		u.n = 0;
		ku_buf_puts(&u, "#odata-");
		kd_url_escape(&u, rn);
		if (u.oom || (d = distribution(g, ds, id.s, u.s, lic)) == NULL)
			goto done;
		add_str(d, "dct:title", rt ? rt : rn);
		add_str(d, "dct:description", "The resource as an OData v4 entity"
		        " set: filter, sort, page, aggregate; JSON or CSV.");
		u.n = 0;
		ku_buf_puts(&u, r->odata);
		for (si = 0; si < portal_nsets(p); si++)
			if (strcmp(portal_set_at(p, si)->name, rn) == 0)
				break;
		kd_url_escape(&u, si < portal_nsets(p) && setnames
		              ? setnames[si].s : rn);
		if (u.oom)
			goto done;
		add_iri(d, "dcat:accessURL", u.s);
		media(g, d, "application/json", "JSON");
		standard(g, d, "http://docs.oasis-open.org/odata/odata/v4.01/",
		         "OData Version 4.01");
		if (landing == NULL) {
			/* the first resource's page for people (query/html.c):
			 * the same OData URL, answered as HTML */
			ku_buf_puts(&u, "?$format=html");
			if (u.oom || (landing = strdup(u.s)) == NULL)
				goto done;
		}
	}
	if (landing != NULL) {
		node(g, landing, "foaf:Document");
		add_iri(ds, "dcat:landingPage", landing);
	}
	{
		json_t *d = distribution(g, ds, id.s, "#datapackage", lic);

		if (d == NULL)
			goto done;
		add_str(d, "dct:title", "datapackage.json");
		add_str(d, "dct:description", "The Frictionless Data Package"
		        " descriptor, its resources pointing at the CSV"
		        " downloads (with bytes and sha256).");
		u.n = 0;
		kd_url_datapackage(&u, r->base, name);
		if (u.oom)
			goto done;
		add_iri(d, "dcat:accessURL", u.s);
		add_iri(d, "dcat:downloadURL", u.s);
		media(g, d, "application/json", "JSON");
		standard(g, d, "https://datapackage.org/standard/data-package/",
		         "Frictionless Data Package");
	}
	rc = 0;
done:
	free(lic);
	free(landing);
	free(id.s);
	free(u.s);
	free(ag.s);
	return rc;
}

/* ---- Turtle ------------------------------------------------------------- */

static void
ttl_iri(ku_buf *b, const char *s)
{
	ku_buf_add(b, "<", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || strchr("<>\"{}|^`\\", c))
			ku_buf_printf(b, "\\u%04X", c);
		else
			ku_buf_add(b, s, 1);
	}
	ku_buf_add(b, ">", 1);
}

static void
ttl_string(ku_buf *b, const char *s)
{
	ku_buf_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':  ku_buf_puts(b, "\\\""); break;
		case '\\': ku_buf_puts(b, "\\\\"); break;
		case '\n': ku_buf_puts(b, "\\n"); break;
		case '\r': ku_buf_puts(b, "\\r"); break;
		case '\t': ku_buf_puts(b, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				ku_buf_printf(b, "\\u%04X", c);
			else
				ku_buf_add(b, s, 1);
		}
	}
	ku_buf_add(b, "\"", 1);
}

static void
ttl_value(ku_buf *b, json_t *v)
{
	if (json_is_string(v)) {
		ttl_string(b, json_string_value(v));
	} else if (json_object_get(v, "@id")) {
		ttl_iri(b, str(v, "@id"));
	} else {
		ttl_string(b, str(v, "@value"));
		ku_buf_puts(b, "^^");
		ku_buf_puts(b, str(v, "@type"));
	}
}

static void
turtle(graph *g, ku_buf *b)
{
	json_t *n, *v, *t;
	size_t i, j, k;
	const char *key;

	for (i = 0; i < NPREFIX; i++)
		ku_buf_printf(b, "@prefix %s: <%s> .\n", prefixes[i][0],
		              prefixes[i][1]);
	json_array_foreach(g->nodes, i, n) {
		int first = 1;

		ku_buf_puts(b, "\n");
		ttl_iri(b, str(n, "@id"));
		t = json_object_get(n, "@type");
		if (json_array_size(t) > 0) {
			ku_buf_puts(b, "\n    a ");
			json_array_foreach(t, j, v) {
				ku_buf_puts(b, j ? ", " : "");
				ku_buf_puts(b, json_string_value(v));
			}
			first = 0;
		}
		json_object_foreach(n, key, t) {
			if (key[0] == '@')
				continue;
			ku_buf_puts(b, first ? "\n    " : " ;\n    ");
			ku_buf_puts(b, key);
			ku_buf_puts(b, " ");
			json_array_foreach(t, k, v) {
				ku_buf_puts(b, k ? ",\n        " : "");
				ttl_value(b, v);
			}
			first = 0;
		}
		ku_buf_puts(b, " .\n");
	}
}

/* ---- the catalog ------------------------------------------------------------ */

int
kd_dcat(kportal *p, json_t *pkgs, const kd_request *r, long long modified,
        int turtle_out, ku_buf *out)
{
	graph g;
	json_t *cat_node, *pkg;
	ku_buf id = { 0 }, ag = { 0 };
	kq_name *setnames = kq_set_names(p);
	char when[32];
	size_t i;
	int rc = -1;

	g.nodes = json_array();
	g.byid = json_object();
	ku_buf_puts(&id, r->base);
	ku_buf_puts(&id, "catalog");
	if (g.nodes == NULL || g.byid == NULL || id.oom)
		goto done;
	/* The catalog node first, under the id datasets attach to ("catalog"
	 * is renamed to the absolute IRI below). */
	cat_node = node(&g, "catalog", "dcat:Catalog");
	add_str(cat_node, "dct:title", "Katalog data terbuka (kueri)");
	add_str(cat_node, "dct:description", "Datasets published with kueri:"
	        " each as a complete CSV download, an OData v4 service and a"
	        " Frictionless Data Package.");
	if (agent(&g, r->base, "kueri portal operator", &ag))
		add_iri(cat_node, "dct:publisher", ag.s);
	add_iri(cat_node, "foaf:homepage", r->base);
	node(&g, r->base, "foaf:Document");
	add_iri(cat_node, "dct:language", EU_AUTH "language/IND");
	node(&g, EU_AUTH "language/IND", "dct:LinguisticSystem");
	if (modified > 0) {
		time_t tt = (time_t)modified;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		add_typed(cat_node, "dct:modified", when, "xsd:dateTime");
	}
	json_array_foreach(pkgs, i, pkg)
		if (dataset(p, &g, pkg, r, setnames) != 0)
			goto done;
	json_object_set_new(cat_node, "@id", json_string(id.s));

	if (turtle_out) {
		turtle(&g, out);
	} else {
		json_t *ctx = json_object(), *doc;
		char *s;

		for (i = 0; i < NPREFIX; i++)
			json_object_set_new(ctx, prefixes[i][0],
			                    json_string(prefixes[i][1]));
		doc = json_pack("{s:o,s:O}", "@context", ctx, "@graph", g.nodes);
		s = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER)
		        : NULL;
		json_decref(doc);
		if (s == NULL)
			goto done;
		ku_buf_puts(out, s);
		ku_buf_puts(out, "\n");
		free(s);
	}
	rc = out->oom ? -1 : 0;
done:
	json_decref(g.nodes);
	json_decref(g.byid);
	free(id.s);
	free(ag.s);
	free(setnames);
	return rc;
}
