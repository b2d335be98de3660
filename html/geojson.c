/*
 * geojson.c -- the GeoJSON writer (RFC 7946): one Feature per row, the
 * geometry from the first geopoint column, the other columns as
 * properties, so a view opens in geojson.io, QGIS or Leaflet as it is.
 *
 * The portal stores a geopoint as "lat,lon" text (Table Schema's default
 * format); GeoJSON positions are [longitude, latitude] (RFC 7946 §3.1.1).
 * A missing or malformed point is a Feature with "geometry": null, which
 * RFC 7946 §3.2 allows, so no row silently disappears.  A nextLink is
 * kept as a foreign member ("@odata.nextLink") so a client can page.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

typedef struct geow {
	kb_writer w;
	kb_out    o;
	kb_begin  b;
	int       geo;      /* index of the geopoint column, -1 none */
	long long n;
	int       begun;
} geow;

static int
g_begin(kb_writer *w, const kb_begin *b)
{
	geow *g = (geow *)w;
	int   i;

	g->b = *b;
	g->begun = 1;
	g->geo = -1;
	for (i = 0; i < b->ncols && g->geo < 0; i++)
		if (b->cols[i].type == KP_GEOPOINT)
			g->geo = i;
	kb_puts(&g->o, "{\"type\":\"FeatureCollection\",\"features\":[");
	return kb_flush(&g->o);
}

/* "lat,lon" (spaces allowed around) → 0 and the two numbers, or -1. */
static int
parse_point(const char *s, size_t n, double *lat, double *lon)
{
	char  buf[80], *end;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*lat = strtod(buf, &end);
	if (end == buf)
		return -1;
	while (*end == ' ')
		end++;
	if (*end++ != ',')
		return -1;
	s = end;
	*lon = strtod(s, &end);
	if (end == s)
		return -1;
	while (*end == ' ')
		end++;
	if (*end != '\0' || !isfinite(*lat) || !isfinite(*lon) ||
	    fabs(*lat) > 90 || fabs(*lon) > 180)
		return -1;
	return 0;
}

static void
value(kb_out *o, const kb_value *v, kp_type t)
{
	switch (v->t) {
	case KB_VNULL:
		kb_puts(o, "null");
		break;
	case KB_VINT:
		if (t == KP_BOOLEAN)
			kb_puts(o, v->i ? "true" : "false");
		else
			kb_printf(o, "%lld", v->i);
		break;
	case KB_VREAL:
		kb_json_double(o, v->d);
		break;
	default:
		kb_json_str(o, v->s, v->n);
	}
}

static int
g_row(kb_writer *w, const kb_value *v, int n)
{
	geow   *g = (geow *)w;
	kb_out *o = &g->o;
	double  lat, lon;
	int     i, first = 1;

	kb_puts(o, g->n++ ? ",\n{" : "\n{");
	kb_puts(o, "\"type\":\"Feature\",\"geometry\":");
	if (g->geo >= 0 && g->geo < n && v[g->geo].t == KB_VTEXT &&
	    parse_point(v[g->geo].s, v[g->geo].n, &lat, &lon) == 0) {
		kb_puts(o, "{\"type\":\"Point\",\"coordinates\":[");
		kb_json_double(o, lon);
		kb_raw(o, ",", 1);
		kb_json_double(o, lat);
		kb_puts(o, "]}");
	} else
		kb_puts(o, "null");
	kb_puts(o, ",\"properties\":{");
	for (i = 0; i < n && i < g->b.ncols; i++) {
		if (i == g->geo)
			continue;
		if (!first)
			kb_raw(o, ",", 1);
		first = 0;
		kb_json_str(o, g->b.cols[i].name, (size_t)-1);
		kb_raw(o, ":", 1);
		value(o, &v[i], g->b.cols[i].type);
	}
	kb_puts(o, "}}");
	return o->failed ? -1 : 0;
}

static int
g_end(kb_writer *w, long long count, const char *next_link)
{
	geow *g = (geow *)w;

	(void)count;
	if (!g->begun)
		return -1;
	kb_puts(&g->o, "\n]");
	if (next_link) {
		kb_puts(&g->o, ",\"@odata.nextLink\":");
		kb_json_str(&g->o, next_link, (size_t)-1);
	}
	kb_puts(&g->o, "}\n");
	return kb_flush(&g->o);
}

/* An error before begin is the OData error JSON (the caller's
 * kq_write_error); after begin the body is already a FeatureCollection,
 * so it is closed and the error said in a foreign member: a truncated
 * body would parse as nothing at all. */
static int
g_error(kb_writer *w, const kueri_err *err)
{
	geow *g = (geow *)w;
	const char *msg = err->msg[0] ? err->msg : kueri_strerror(err->code);

	if (!g->begun) {
		kb_puts(&g->o, "{\"error\":{\"code\":");
		kb_json_str(&g->o, kueri_strerror(err->code), (size_t)-1);
		kb_puts(&g->o, ",\"message\":");
		kb_json_str(&g->o, msg, (size_t)-1);
		kb_puts(&g->o, "}}\n");
		return kb_flush(&g->o);
	}
	kb_puts(&g->o, "\n],\"error\":{\"message\":");
	kb_json_str(&g->o, msg, (size_t)-1);
	kb_puts(&g->o, "}}\n");
	return kb_flush(&g->o);
}

static void
g_free(kb_writer *w)
{
	free(w);
}

kb_writer *
kb_geojson_writer(const kueri_sink *sink)
{
	geow *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->w.begin = g_begin;
	g->w.row = g_row;
	g->w.end = g_end;
	g->w.error = g_error;
	g->w.free = g_free;
	kb_out_init(&g->o, sink);
	return &g->w;
}
