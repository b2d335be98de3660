/*
 * metadata.c -- what the service says about itself: the service document
 * and $metadata (CSDL 4.0 as XML and as JSON), plus the rule that turns a
 * published name into an OData name.
 *
 * Excel and Power BI read $metadata before anything else and refuse the
 * whole feed on any deviation, so this file is deliberately plain: one
 * namespace ("kueri"), one EntityType per entity set, every property
 * typed with an explicit Nullable, a Key on every type, one
 * EntityContainer.  The one annotation is Core.Description (with
 * Core.LongDescription when there is a title and a description), from the
 * resource title and each field's title/description, referencing the
 * standard Core vocabulary -- which every OData client knows and none
 * needs to fetch.  Nullable="false" marks required and key fields;
 * MaxLength comes from a string's constraints.maxLength (both count code
 * points; a maxLength of 0 gets no facet, CSDL JSON wants at least 1).
 *
 * Names.  CSDL requires SimpleIdentifiers for entity sets, types and
 * properties; CSV headers are free text ("Harga Kemarin").  The rule that
 * maps one to the other is portal/names.c's; the portal applies it to
 * fields at load, and the engine and this file speak the same names, so a
 * client that reads $metadata can use every name it finds there.
 *
 * Keys.  CSDL requires a Key of non-nullable primitive properties.  A set
 * with a primary key uses it.  A set without one uses its first
 * non-nullable property of a key-able type (not Double, not Geography);
 * failing that, its first property of a key-able type, declared
 * Nullable="false" in the key (the key is an identity claim for clients
 * such as Excel, which never send it back to us; every query we answer is
 * a collection query).  Only a set with no key-able property at all
 * (every column a number) would have no honest key; we then use its first
 * property and document the compromise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "query.h"

/* ---- names ----------------------------------------------------------- */

/*
 * The mapping itself lives in the portal (portal/names.c), which applies
 * it to fields when it loads a set; these wrappers give the same names to
 * callers that hold published names (sets, hand-made portals in tests).
 */
static void
odata_names(const char *const *names, int n, kq_name *out)
{
	char (*tmp)[KP_NAME_MAX] = calloc((size_t)n + 1, sizeof *tmp);
	int i;

	if (tmp == NULL) {
		/* out of memory: fall back to '_' + index, still distinct */
		for (i = 0; i < n; i++)
			snprintf(out[i].s, sizeof out[i].s, "_%d", i);
		return;
	}
	kp_odata_names(names, n, tmp);
	for (i = 0; i < n; i++)
		memcpy(out[i].s, tmp[i], sizeof out[i].s);
	free(tmp);
}

#define is_ident kp_is_odata_name

kq_name *
kq_field_names(const kp_set *s)
{
	const char **v = calloc((size_t)s->nfields + 1, sizeof *v);
	kq_name *out = calloc((size_t)s->nfields + 1, sizeof *out);
	int i;

	if (v == NULL || out == NULL) {
		free(v);
		free(out);
		return NULL;
	}
	for (i = 0; i < s->nfields; i++)
		v[i] = s->fields[i].name;
	odata_names(v, s->nfields, out);
	free(v);
	return out;
}

kq_name *
kq_set_names(kportal *p)
{
	int i, n = portal_nsets(p);
	const char **v = calloc((size_t)n + 1, sizeof *v);
	kq_name *out = calloc((size_t)n + 1, sizeof *out);

	if (v == NULL || out == NULL) {
		free(v);
		free(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = portal_set_at(p, i)->name;
	odata_names(v, n, out);
	free(v);
	return out;
}

const kp_set *
kq_set_by_odata_name(kportal *p, const char *name)
{
	const kp_set *s = NULL;
	kq_name *names;
	int i, n;

	/* A published name that is already an identifier is its own OData
	 * name (see odata_names): one lookup, no allocation. */
	if (is_ident(name))
		if ((s = portal_set(p, name)) != NULL)
			return s;
	if ((names = kq_set_names(p)) == NULL)
		return NULL;
	n = portal_nsets(p);
	for (i = 0; i < n && s == NULL; i++)
		if (strcmp(names[i].s, name) == 0)
			s = portal_set_at(p, i);
	free(names);
	return s;
}

int
kq_field_by_odata_name(const kp_set *s, const char *name)
{
	kq_name *names;
	int i, found = -1;

	if (is_ident(name))
		for (i = 0; i < s->nfields; i++)
			if (strcmp(s->fields[i].name, name) == 0)
				return i;
	if ((names = kq_field_names(s)) == NULL)
		return -1;
	for (i = 0; i < s->nfields && found < 0; i++)
		if (strcmp(names[i].s, name) == 0)
			found = i;
	free(names);
	return found;
}

/* The EntityContainer's name: "Container", unless a set took it. */
static void
container_name(const kq_name *sets, int n, char out[KQ_NAME_MAX])
{
	int i, taken;

	strcpy(out, "Container");
	do {
		taken = 0;
		for (i = 0; i < n && !taken; i++)
			taken = strcmp(sets[i].s, out) == 0;
		if (taken)
			strcat(out, "_");
	} while (taken && strlen(out) < KQ_NAME_MAX - 2);
}

/* ---- keys ------------------------------------------------------------ */

/* CSDL 4.0 §8.2: key properties are non-nullable primitive values of
 * these types (no Double, no Geography). */
static int
keyable(const kp_field *f)
{
	switch (f->type) {
	case KP_NUMBER:
		return f->decimal;
	case KP_GEOPOINT:
		return 0;
	default:
		return 1;
	}
}

int
kq_row_key(const kp_set *s)
{
	int i;

	if (s->nkeys > 0)
		return 0;
	for (i = 0; i < s->nfields; i++)
		if (strcmp(s->fields[i].name, KQ_ROW_NAME) == 0)
			return 0;
	return 1;
}

int
kq_set_key(const kp_set *s, int *keys, int max)
{
	int i, n = 0;

	if (s->nkeys > 0) {
		for (i = 0; i < s->nkeys && n < max; i++)
			keys[n++] = s->keys[i];
		return n;
	}
	if (max < 1)
		return 0;
	/* No primary key: no column is known to be unique (the BPS villages
	 * repeat an id), so the honest key is the row itself. */
	if (kq_row_key(s)) {
		keys[0] = s->nfields;
		return 1;
	}
	if (s->nfields < 1)
		return 0;
	for (i = 0; i < s->nfields; i++)
		if (!s->fields[i].nullable && keyable(&s->fields[i])) {
			keys[0] = i;
			return 1;
		}
	for (i = 0; i < s->nfields; i++)
		if (keyable(&s->fields[i])) {
			keys[0] = i;
			return 1;
		}
	keys[0] = 0;
	return 1;
}

static int
is_key(const int *keys, int nkeys, int i)
{
	int k;

	for (k = 0; k < nkeys; k++)
		if (keys[k] == i)
			return 1;
	return 0;
}

/* The EDM type of a field: the portal's mapping, with the per-field
 * Decimal override the schema can ask for. */
static const char *
field_edm(const kp_field *f)
{
	if (f->type == KP_NUMBER && f->decimal)
		return "Edm.Decimal";
	return kp_type_edm(f->type);
}

/* The MaxLength facet of a field, 0 for none (strings only). */
static long long
max_length(const kp_field *f)
{
	return f->type == KP_STRING ? f->max_length : 0;
}

/* ---- service document ------------------------------------------------ */

/* json_dump_callback → kueri_sink. */
static int
dump_to_sink(const char *buf, size_t len, void *data)
{
	const kueri_sink *sink = data;

	return sink->write(sink->ctx, buf, len) == 0 ? 0 : -1;
}

static int
dump(json_t *j, const kueri_sink *sink)
{
	int rc;

	if (j == NULL)
		return -1;
	rc = json_dump_callback(j, dump_to_sink, (void *)sink,
	                        JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return rc;
}

int
kq_service_document(kportal *p, const char *service_root,
                    const kueri_sink *sink)
{
	json_t *doc, *arr;
	kq_name *names;
	char *ctx;
	int i, n = portal_nsets(p);
	size_t len;

	len = service_root ? strlen(service_root) : 0;
	if ((ctx = malloc(len + sizeof "$metadata")) == NULL)
		return -1;
	if (len)
		memcpy(ctx, service_root, len);
	memcpy(ctx + len, "$metadata", sizeof "$metadata");
	doc = json_object();
	arr = json_array();
	if ((names = kq_set_names(p)) == NULL || doc == NULL || arr == NULL) {
		free(names);
		free(ctx);
		json_decref(doc);
		json_decref(arr);
		return -1;
	}
	if (service_root != NULL)
		json_object_set_new(doc, "@odata.context", json_string(ctx));
	free(ctx);
	for (i = 0; i < n; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "name", json_string(names[i].s));
		json_object_set_new(e, "kind", json_string("EntitySet"));
		json_object_set_new(e, "url", json_string(names[i].s));
		json_array_append_new(arr, e);
	}
	free(names);
	json_object_set_new(doc, "value", arr);
	return dump(doc, sink);
}

/* ---- CSDL XML -------------------------------------------------------- */

/* The OASIS Core vocabulary (referenced, never fetched by us). */
#define CORE_XML "https://oasis-tcs.github.io/odata-vocabularies/" \
                 "vocabularies/Org.OData.Core.V1.xml"
#define CORE_JSON "https://oasis-tcs.github.io/odata-vocabularies/" \
                  "vocabularies/Org.OData.Core.V1.json"

/* Write `s` with the five XML special characters escaped (attribute-safe).
 * Control characters other than tab/newline cannot appear in XML 1.0 at
 * all; they become U+FFFD.  Our names are ASCII identifiers already; the
 * escaping is there so that no future caller can break the document. */
static int
xml_put(const kueri_sink *sink, const char *s)
{
	const char *run = s;
	const char *rep;

	for (; *s; s++) {
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default:
			rep = ((unsigned char)*s < 0x20 && *s != '\t' &&
			       *s != '\n') ? "\xEF\xBF\xBD" : NULL;
		}
		if (rep == NULL)
			continue;
		if (s > run && sink->write(sink->ctx, run, (size_t)(s - run)))
			return -1;
		if (kueri_sink_puts(sink, rep))
			return -1;
		run = s + 1;
	}
	if (s > run && sink->write(sink->ctx, run, (size_t)(s - run)))
		return -1;
	return 0;
}

/* <Annotation Term="Core.Description" String="..."/> for a title and/or
 * description (either may be NULL or empty); nothing when both are. */
static int
xml_descr(const kueri_sink *sink, const char *title, const char *descr)
{
	const char *shorttext = title && *title ? title : descr;

	if (shorttext == NULL || *shorttext == '\0')
		return 0;
	if (kueri_sink_puts(sink, "<Annotation Term=\"Core.Description\" "
	                          "String=\"") ||
	    xml_put(sink, shorttext) || kueri_sink_puts(sink, "\"/>"))
		return -1;
	if (shorttext == title && descr && *descr &&
	    (kueri_sink_puts(sink, "<Annotation Term=\"Core.LongDescription\""
	                           " String=\"") ||
	     xml_put(sink, descr) || kueri_sink_puts(sink, "\"/>")))
		return -1;
	return 0;
}

static void
json_descr(json_t *o, const char *title, const char *descr)
{
	const char *shorttext = title && *title ? title : descr;

	if (shorttext == NULL || *shorttext == '\0')
		return;
	json_object_set_new(o, "@Core.Description", json_string(shorttext));
	if (shorttext == title && descr && *descr)
		json_object_set_new(o, "@Core.LongDescription", json_string(descr));
}

#define ROW_DESCR "Row number in the published CSV (1 = first data row): " \
                  "the key of a resource without a primaryKey"

/* One <EntityType> for set `s` named `tname`. */
static int
xml_entity_type(const kueri_sink *sink, const kp_set *s, const char *tname)
{
	kq_name *pn = kq_field_names(s);
	int keys[64], nkeys, i, k;

	if (pn == NULL)
		return -1;
	nkeys = kq_set_key(s, keys, 64);
	if (kueri_sink_puts(sink, "<EntityType Name=\"") ||
	    xml_put(sink, tname) || kueri_sink_puts(sink, "\"><Key>"))
		goto fail;
	for (k = 0; k < nkeys; k++)
		if (kueri_sink_puts(sink, "<PropertyRef Name=\"") ||
		    xml_put(sink, keys[k] < s->nfields ? pn[keys[k]].s
		                                       : KQ_ROW_NAME) ||
		    kueri_sink_puts(sink, "\"/>"))
			goto fail;
	if (kueri_sink_puts(sink, "</Key>"))
		goto fail;
	if (kq_row_key(s) &&
	    (kueri_sink_puts(sink, "<Property Name=\"" KQ_ROW_NAME "\" "
	                           "Type=\"Edm.Int64\" Nullable=\"false\">") ||
	     xml_descr(sink, ROW_DESCR, NULL) ||
	     kueri_sink_puts(sink, "</Property>")))
		goto fail;
	for (i = 0; i < s->nfields; i++) {
		const kp_field *f = &s->fields[i];
		int nullable = f->nullable && !is_key(keys, nkeys, i);

		if (kueri_sink_puts(sink, "<Property Name=\"") ||
		    xml_put(sink, pn[i].s) ||
		    kueri_sink_puts(sink, "\" Type=\"") ||
		    xml_put(sink, field_edm(f)) ||
		    kueri_sink_puts(sink, nullable ? "\" Nullable=\"true\""
		                                   : "\" Nullable=\"false\""))
			goto fail;
		/* CSDL 4.0 defaults Edm.Decimal to Scale 0, which would make
		 * every fractional value invalid for strict clients. */
		if (f->type == KP_NUMBER && f->decimal &&
		    kueri_sink_puts(sink, " Scale=\"variable\""))
			goto fail;
		if (max_length(f) > 0) {
			char ml[40];

			snprintf(ml, sizeof ml, " MaxLength=\"%lld\"",
			         max_length(f));
			if (kueri_sink_puts(sink, ml))
				goto fail;
		}
		if ((f->title && *f->title) || (f->description && *f->description)) {
			if (kueri_sink_puts(sink, ">") ||
			    xml_descr(sink, f->title, f->description) ||
			    kueri_sink_puts(sink, "</Property>"))
				goto fail;
		} else if (kueri_sink_puts(sink, "/>"))
			goto fail;
	}
	free(pn);
	if (xml_descr(sink, s->title, NULL))
		return -1;
	return kueri_sink_puts(sink, "</EntityType>");
fail:
	free(pn);
	return -1;
}

int
kq_metadata_xml(kportal *p, const kueri_sink *sink)
{
	kq_name *names;
	char cname[KQ_NAME_MAX];
	int i, n = portal_nsets(p);

	if ((names = kq_set_names(p)) == NULL)
		return -1;
	container_name(names, n, cname);
	if (kueri_sink_puts(sink,
	        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	        "<edmx:Edmx Version=\"4.0\""
	        " xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">"
	        "<edmx:Reference Uri=\"" CORE_XML "\">"
	        "<edmx:Include Namespace=\"Org.OData.Core.V1\" Alias=\"Core\"/>"
	        "</edmx:Reference>"
	        "<edmx:DataServices>"
	        "<Schema Namespace=\"kueri\""
	        " xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">"))
		goto fail;
	for (i = 0; i < n; i++)
		if (xml_entity_type(sink, portal_set_at(p, i), names[i].s))
			goto fail;
	if (kueri_sink_puts(sink, "<EntityContainer Name=\"") ||
	    xml_put(sink, cname) || kueri_sink_puts(sink, "\">"))
		goto fail;
	for (i = 0; i < n; i++)
		if (kueri_sink_puts(sink, "<EntitySet Name=\"") ||
		    xml_put(sink, names[i].s) ||
		    kueri_sink_puts(sink, "\" EntityType=\"kueri.") ||
		    xml_put(sink, names[i].s) || kueri_sink_puts(sink, "\"/>"))
			goto fail;
	free(names);
	return kueri_sink_puts(sink, "</EntityContainer></Schema>"
	                             "</edmx:DataServices></edmx:Edmx>\n");
fail:
	free(names);
	return -1;
}

/* ---- CSDL JSON ------------------------------------------------------- */

static json_t *
json_entity_type(const kp_set *s)
{
	kq_name *pn = kq_field_names(s);
	int keys[64], nkeys, i;
	json_t *t, *karr;

	if (pn == NULL)
		return NULL;
	t = json_object();
	karr = json_array();
	nkeys = kq_set_key(s, keys, 64);
	json_object_set_new(t, "$Kind", json_string("EntityType"));
	for (i = 0; i < nkeys; i++)
		json_array_append_new(karr, json_string(keys[i] < s->nfields ?
		                                        pn[keys[i]].s : KQ_ROW_NAME));
	json_object_set_new(t, "$Key", karr);
	if (kq_row_key(s)) {
		json_t *prop = json_pack("{s:s,s:b}", "$Type", "Edm.Int64",
		                         "$Nullable", 0);

		json_descr(prop, ROW_DESCR, NULL);
		json_object_set_new(t, KQ_ROW_NAME, prop);
	}
	for (i = 0; i < s->nfields; i++) {
		const kp_field *f = &s->fields[i];
		json_t *prop = json_object();

		json_object_set_new(prop, "$Type", json_string(field_edm(f)));
		json_object_set_new(prop, "$Nullable",
		        json_boolean(f->nullable && !is_key(keys, nkeys, i)));
		if (f->type == KP_NUMBER && f->decimal)
			json_object_set_new(prop, "$Scale",
			                    json_string("variable"));
		if (max_length(f) > 0)
			json_object_set_new(prop, "$MaxLength",
			                    json_integer(max_length(f)));
		json_descr(prop, f->title, f->description);
		json_object_set_new(t, pn[i].s, prop);
	}
	json_descr(t, s->title, NULL);
	free(pn);
	return t;
}

int
kq_metadata_json(kportal *p, const kueri_sink *sink)
{
	json_t *doc, *schema, *container;
	kq_name *names;
	char cname[KQ_NAME_MAX], qname[KQ_NAME_MAX + 8];
	int i, n = portal_nsets(p);

	if ((names = kq_set_names(p)) == NULL)
		return -1;
	container_name(names, n, cname);
	doc = json_object();
	schema = json_object();
	container = json_object();
	json_object_set_new(doc, "$Version", json_string("4.0"));
	json_object_set_new(doc, "$Reference", json_pack("{s:{s:[{s:s,s:s}]}}",
	    CORE_JSON, "$Include", "$Namespace", "Org.OData.Core.V1",
	    "$Alias", "Core"));
	snprintf(qname, sizeof qname, "kueri.%s", cname);
	json_object_set_new(doc, "$EntityContainer", json_string(qname));
	for (i = 0; i < n; i++)
		json_object_set_new(schema, names[i].s,
		                    json_entity_type(portal_set_at(p, i)));
	json_object_set_new(container, "$Kind", json_string("EntityContainer"));
	for (i = 0; i < n; i++) {
		json_t *es = json_object();

		snprintf(qname, sizeof qname, "kueri.%s", names[i].s);
		json_object_set_new(es, "$Collection", json_true());
		json_object_set_new(es, "$Type", json_string(qname));
		json_object_set_new(container, names[i].s, es);
	}
	json_object_set_new(schema, cname, container);
	json_object_set_new(doc, "kueri", schema);
	free(names);
	return dump(doc, sink);
}
