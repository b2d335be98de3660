/*
 * pkgdl.c -- package downloads: a resource's full CSV, written from the
 * portal's table, and the published datapackage.json rewritten so that
 * any Data Package reader (frictionless, `kueri verify`) loads the data
 * straight from kueri.
 *
 * Why not point at the OData CSV export ($format=csv): that export names
 * columns by their OData names (a published "Harga Kemarin" becomes
 * Harga_Kemarin, so the header would not match the schema), orders by
 * key, and stops at the export cap (kq_limits.export_cap).  A download
 * must be the complete file under the published schema, so it is written
 * here: every row in publish order (rowid), the published field names in
 * the header, values in the Table Schema's default lexical forms.
 *
 * The CSV written is canonical, not the bytes that were published (the
 * portal keeps typed rows, not the file): RFC 4180, comma, CRLF, UTF-8;
 * null is the empty field; booleans true/false; numbers the shortest
 * text that reads back to the same double; dates, times and datetimes as
 * stored (ISO 8601); geopoints "lon,lat" (the Table Schema default; the
 * portal stores "lat,lon").  The descriptor's schema is rewritten to say
 * exactly that (formats, decimalChar, groupChar, bareNumber, trueValues,
 * falseValues, missingValues and the dialect dropped or reset), and its
 * `bytes` and `hash` are those of the CSV this file writes, computed by
 * writing it once (the cost of a datapackage.json request is one pass
 * over the package's rows; ETags spare clients the repeat).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "kd_int.h"
#include "publish.h"

/* Output is gathered in a buffer, hashed and counted, then flushed. */
typedef struct csvout {
	const kueri_sink *sink;
	ksha256           sha;
	long long         bytes;
	ku_buf            b;
	int               failed;
} csvout;

static void
flush(csvout *o)
{
	if (o->b.n == 0)
		return;
	ksha256_update(&o->sha, o->b.s, o->b.n);
	o->bytes += (long long)o->b.n;
	if (!o->failed && o->sink &&
	    o->sink->write(o->sink->ctx, o->b.s, o->b.n))
		o->failed = 1;
	o->b.n = 0;
}

/* Shortest %g text that reads back to the same double; Table Schema's
 * NaN / INF / -INF for the rest. */
static void
number(ku_buf *b, double d)
{
	char tmp[40];
	int prec;

	if (isnan(d)) {
		ku_buf_puts(b, "NaN");
		return;
	}
	if (isinf(d)) {
		ku_buf_puts(b, d < 0 ? "-INF" : "INF");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	ku_buf_puts(b, tmp);
}

static void
value(ku_buf *b, sqlite3_stmt *st, int i, kp_type t)
{
	int ct = sqlite3_column_type(st, i);
	const char *s;
	size_t n;

	if (ct == SQLITE_NULL)
		return;
	if (t == KP_BOOLEAN) {
		ku_buf_puts(b, sqlite3_column_int64(st, i) ? "true" : "false");
		return;
	}
	if (ct == SQLITE_INTEGER) {
		ku_buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, i));
		return;
	}
	if (ct == SQLITE_FLOAT) {
		number(b, sqlite3_column_double(st, i));
		return;
	}
	s = (const char *)sqlite3_column_text(st, i);
	n = (size_t)sqlite3_column_bytes(st, i);
	if (s == NULL)
		return;
	if (t == KP_GEOPOINT) {
		const char *comma = memchr(s, ',', n);

		if (comma) { /* stored "lat,lon" → "lon,lat" */
			ku_buf_add(b, "\"", 1);
			ku_buf_add(b, comma + 1, n - (size_t)(comma + 1 - s));
			ku_buf_add(b, ",", 1);
			ku_buf_add(b, s, (size_t)(comma - s));
			ku_buf_add(b, "\"", 1);
			return;
		}
	}
	ku_csv_field(b, s, n);
}

int
kd_csv_write(kportal *p, const kp_set *s, const kueri_sink *sink,
             long long *rows, long long *bytes, char sha[65])
{
	sqlite3 *db = portal_db(p);
	sqlite3_stmt *st = NULL;
	csvout o;
	ku_buf sql = { 0 };
	long long n = 0;
	int i, rc;

	memset(&o, 0, sizeof o);
	o.sink = sink;
	ksha256_init(&o.sha);
	/* s->table was checked against its exact shape ("t<N>") when the
	 * portal loaded it; the columns are ours ("c<i>"). */
	ku_buf_puts(&sql, "SELECT ");
	for (i = 0; i < s->nfields; i++)
		ku_buf_printf(&sql, "%sc%d", i ? "," : "", i);
	ku_buf_printf(&sql, " FROM \"%s\" ORDER BY rowid", s->table);
	if (sql.oom || s->nfields == 0 ||
	    sqlite3_prepare_v2(db, sql.s, -1, &st, NULL) != SQLITE_OK) {
		free(sql.s);
		return -1;
	}
	free(sql.s);
	for (i = 0; i < s->nfields; i++) {
		if (i)
			ku_buf_add(&o.b, ",", 1);
		ku_csv_field(&o.b, s->fields[i].label, strlen(s->fields[i].label));
	}
	ku_buf_add(&o.b, "\r\n", 2);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < s->nfields; i++) {
			if (i)
				ku_buf_add(&o.b, ",", 1);
			value(&o.b, st, i, s->fields[i].type);
		}
		ku_buf_add(&o.b, "\r\n", 2);
		n++;
		if (o.b.n >= 65536)
			flush(&o);
		if (o.failed || o.b.oom)
			break;
	}
	flush(&o);
	sqlite3_finalize(st);
	free(o.b.s);
	if (rows)
		*rows = n;
	*bytes = o.bytes;
	ksha256_hex(&o.sha, sha);
	return (rc == SQLITE_DONE && !o.failed && !o.b.oom) ? 0 : -1;
}

/* The descriptor as published (a new reference), or NULL. */
static json_t *
descriptor(kportal *p, const char *name)
{
	sqlite3_stmt *st;
	json_t *j = NULL;

	if (sqlite3_prepare_v2(portal_db(p), "SELECT descriptor FROM"
	        " kueri_package WHERE name = ?1 AND classification = 'public'",
	        -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_loads((const char *)sqlite3_column_text(st, 0), 0,
		               NULL);
	sqlite3_finalize(st);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Make the field's schema say what kd_csv_write writes. */
static void
canonical_field(json_t *f)
{
	static const char *drop[] = { "decimalChar", "groupChar", "bareNumber",
	                              "trueValues", "falseValues",
	                              "missingValues" };
	const char *t = json_string_value(json_object_get(f, "type"));
	size_t i;

	for (i = 0; i < sizeof drop / sizeof drop[0]; i++)
		json_object_del(f, drop[i]);
	/* String formats (email, uri, …) and geojson's topojson constrain
	 * values, which are unchanged; every other format named a lexical
	 * form we rewrote. */
	if (t == NULL || (strcmp(t, "string") != 0 &&
	                  strcmp(t, "geojson") != 0))
		json_object_del(f, "format");
}

int
kd_datapackage_write(kportal *p, json_t *pkg, const char *base,
                     const kueri_sink *sink)
{
	const char *name = json_string_value(json_object_get(pkg, "name"));
	json_t *d = NULL, *r;
	ku_buf url = { 0 };
	size_t i;
	char *s;
	sqlite3 *db = portal_db(p);
	int rc = -1, began = 0;

	/* One snapshot for the descriptor and every CSV hashed, so a publish
	 * committing meanwhile cannot mix versions. */
	if (sqlite3_get_autocommit(db) &&
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
		began = 1;
	if (name == NULL || (d = descriptor(p, name)) == NULL)
		goto done;
	json_object_set_new(d, "version", json_sprintf("%lld.0.0",
	        (long long)json_integer_value(json_object_get(pkg,
	                                                      "version"))));
	json_array_foreach(json_object_get(d, "resources"), i, r) {
		const char *rn = json_string_value(json_object_get(r, "name"));
		const kp_set *set = rn ? portal_set(p, rn) : NULL;
		json_t *schema = json_object_get(r, "schema"), *f;
		long long bytes;
		char sha[65];
		size_t j;

		if (set == NULL || strcmp(set->package, name) != 0 ||
		    kd_csv_write(p, set, NULL, NULL, &bytes, sha) != 0)
			goto done;
		url.n = 0;
		kd_url_csv(&url, base, name, rn);
		if (url.oom)
			goto done;
		json_object_set_new(r, "path", json_string(url.s));
		json_object_set_new(r, "format", json_string("csv"));
		json_object_set_new(r, "mediatype", json_string("text/csv"));
		json_object_set_new(r, "encoding", json_string("utf-8"));
		json_object_set_new(r, "bytes", json_integer(bytes));
		json_object_set_new(r, "hash", json_sprintf("sha256:%s", sha));
		json_object_del(r, "dialect");
		json_object_del(r, "compression");
		/* Inline rows and v0's url are now the download at "path": a
		 * resource has one or the other, never both. */
		json_object_del(r, "data");
		json_object_del(r, "url");
		if (json_is_object(schema)) {
			json_object_set_new(schema, "missingValues",
			                    json_pack("[s]", ""));
			json_array_foreach(json_object_get(schema, "fields"), j, f)
				canonical_field(f);
		}
	}
	s = json_dumps(d, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s != NULL) {
		rc = kueri_sink_puts(sink, s);
		if (rc == 0)
			rc = kueri_sink_puts(sink, "\n");
		free(s);
	}
done:
	if (began)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	free(url.s);
	json_decref(d);
	return rc;
}
