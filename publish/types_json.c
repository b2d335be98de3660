/*
 * types_json.c -- the Table Schema types kueri keeps as text but whose
 * cells still have a shape to check: object, array, geojson (GeoJSON,
 * RFC 7946, or TopoJSON) and v2's list; and base64 for the string
 * format "binary".  See types.h (kvt_shape, kvt_base64_ok).
 *
 * These cells are parsed with Jansson, which allocates: they are rare
 * (a field must declare one of these types) and bounded by the CSV
 * reader's record limit; Jansson's own depth limit bounds nesting.
 */
#include <stdlib.h>
#include <string.h>

#include "types.h"

/* A GeoJSON position: an array of two or three numbers (RFC 7946 3.1.1
 * allows more; the first two are longitude and latitude). */
static int
position_ok(json_t *p)
{
	size_t i;
	json_t *v;

	if (!json_is_array(p) || json_array_size(p) < 2)
		return 0;
	json_array_foreach(p, i, v)
		if (!json_is_number(v))
			return 0;
	return 1;
}

/* Coordinates nested `depth` arrays deep around positions, each array at
 * the innermost level holding at least `min` positions. */
static int
coords_ok(json_t *c, int depth, size_t min)
{
	size_t  i;
	json_t *v;

	if (depth == 0)
		return position_ok(c);
	if (!json_is_array(c) || (depth == 1 && json_array_size(c) < min))
		return 0;
	json_array_foreach(c, i, v)
		if (!coords_ok(v, depth - 1, min))
			return 0;
	return 1;
}

static int
geometry_ok(json_t *g, int level)
{
	static const struct { const char *type; int depth; size_t min; } geo[] = {
		{ "Point", 0, 0 },        { "MultiPoint", 1, 0 },
		{ "LineString", 1, 2 },   { "MultiLineString", 2, 2 },
		{ "Polygon", 2, 4 },      { "MultiPolygon", 3, 4 },
	};
	const char *t = json_string_value(json_object_get(g, "type"));
	size_t      i;
	json_t     *v;

	if (!json_is_object(g) || !t)
		return 0;
	for (i = 0; i < sizeof geo / sizeof geo[0]; i++)
		if (strcmp(t, geo[i].type) == 0)
			return coords_ok(json_object_get(g, "coordinates"),
			                 geo[i].depth, geo[i].min);
	if (strcmp(t, "GeometryCollection") != 0 || level > 32 ||
	    !json_is_array(json_object_get(g, "geometries")))
		return 0;
	json_array_foreach(json_object_get(g, "geometries"), i, v)
		if (!geometry_ok(v, level + 1))
			return 0;
	return 1;
}

/* A GeoJSON object: a geometry, a Feature or a FeatureCollection. */
static int
geo_ok(json_t *g, int level)
{
	const char *t = json_string_value(json_object_get(g, "type"));
	json_t     *v, *p;
	size_t      i;

	if (!json_is_object(g) || !t)
		return 0;
	if (strcmp(t, "Feature") == 0) {
		v = json_object_get(g, "geometry");
		p = json_object_get(g, "properties");
		return v && p && (json_is_null(v) || geometry_ok(v, level + 1)) &&
		       (json_is_null(p) || json_is_object(p));
	}
	if (strcmp(t, "FeatureCollection") == 0) {
		if (level > 0 || !json_is_array(json_object_get(g, "features")))
			return 0;
		json_array_foreach(json_object_get(g, "features"), i, v) {
			const char *ft = json_string_value(json_object_get(v, "type"));

			if (!ft || strcmp(ft, "Feature") != 0 || !geo_ok(v, level + 1))
				return 0;
		}
		return 1;
	}
	return geometry_ok(g, level);
}

/* A TopoJSON topology: type "Topology", an "objects" object and an
 * "arcs" array (TopoJSON specification 2.1). */
static int
topo_ok(json_t *g)
{
	const char *t = json_string_value(json_object_get(g, "type"));

	return t && strcmp(t, "Topology") == 0 &&
	       json_is_object(json_object_get(g, "objects")) &&
	       json_is_array(json_object_get(g, "arcs"));
}

/* A v2 list: items split on the delimiter, each read as the item type. */
static int
list_ok(const kvt_field *f, const char *s, size_t n, long long *count,
        const char **why)
{
	const char *p = s, *e = s + n;
	char       *scratch = malloc(2 * n + 64);
	kv_value    v;
	const char *iwhy;

	if (!scratch) {
		*why = "out of memory";
		return 1;
	}
	*count = 0;
	for (;;) {
		const char *d = p;
		size_t      len;

		while (d < e && ((size_t)(e - d) < f->list_dlen ||
		                 memcmp(d, f->list_delim, f->list_dlen) != 0))
			d++;
		if ((size_t)(e - d) < f->list_dlen)
			d = e;
		len = (size_t)(d - p);
		if (kvt_parse(f->item, p, len, &v, scratch, &iwhy) != 0) {
			free(scratch);
			*why = "an item is not of the list's itemType";
			return 1;
		}
		(*count)++;
		if (d == e)
			break;
		p = d + f->list_dlen;
	}
	free(scratch);
	return 0;
}

int
kvt_shape(const kvt_field *f, const char *s, size_t n, long long *count,
          const char **why)
{
	json_t *j;
	int     ok;

	*count = 0;
	if (f->kind == KVT_K_LIST)
		return list_ok(f, s, n, count, why);
	/* Without JSON_DECODE_ANY Jansson accepts only an object or an
	 * array at the top, and refuses trailing text. */
	j = json_loadb(s, n, 0, NULL);
	switch (f->kind) {
	case KVT_K_OBJECT:
		ok = json_is_object(j);
		*why = "not a JSON object";
		*count = ok ? (long long)json_object_size(j) : 0;
		break;
	case KVT_K_ARRAY:
		ok = json_is_array(j);
		*why = "not a JSON array";
		*count = ok ? (long long)json_array_size(j) : 0;
		break;
	case KVT_K_GEOJSON:
		ok = geo_ok(j, 0);
		*why = "not a GeoJSON object (RFC 7946)";
		break;
	case KVT_K_TOPOJSON:
		ok = json_is_object(j) && topo_ok(j);
		*why = "not a TopoJSON topology";
		break;
	default:
		ok = 1;
		break;
	}
	json_decref(j);
	return !ok;
}

int
kvt_base64_ok(const char *s, size_t n)
{
	size_t i, pad = 0;

	if (n % 4 != 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)
			return 0;  /* '=' only at the end */
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
	}
	return pad <= 2;
}
