/*
 * geojson.c -- the GeoJSON writer (kq_writer.h): $format=geojson or
 * Accept application/geo+json → a FeatureCollection (RFC 7946) over the
 * view's first geopoint column, written by html/geojson.c through the
 * adapter in html.c.  Paged like JSON (the nextLink is a foreign member).
 *
 * An error answer is the OData error JSON, not a GeoJSON object: a
 * client that asked for GeoJSON and got a 4xx reads the same error shape
 * as every other client of the service.
 */
#include <stdio.h>

#include "kq_writer.h"

static void
geo_ctype(const kq_wctx *w, int is_error, char *buf, size_t len)
{
	(void)w;
	snprintf(buf, len, "%s", is_error
	         ? "application/json;odata.metadata=minimal"
	         : "application/geo+json");
}

static void *
geo_open(const kq_wctx *w)
{
	return kq_kb_open(w, 0);
}

static int
geo_error(const kq_wctx *w, ku_buf *b, const kueri_err *err)
{
	(void)w;
	kq_error_json(b, err);
	return b->oom ? -1 : 0;
}

const kq_writer kq_writer_geojson = {
	"geojson", "application/geo+json", NULL, 1, ".geojson",
	geo_ctype, kq_kb_begin, kq_kb_row, kq_kb_end, geo_error,
	0, geo_open, kq_kb_close
};
