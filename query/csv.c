/*
 * csv.c -- one row's values → RFC 4180 CSV fields (ku_csv_field, util/:
 * quoted when a field holds a comma, a quote, CR or LF or leading/trailing
 * space, quotes doubled); records end in CRLF (the caller).
 * Null is the empty field; booleans true/false; numbers as in JSON.
 */
#include <stdio.h>
#include <string.h>

#include "kq_writer.h"

/* The value is read once through sqlite3_column_value, as in json.c
 * (kq_json_value says why that is safe and what it saves). */
void
kq_csv_value(ku_buf *b, sqlite3_stmt *st, int i, const kq_outcol *c)
{
	sqlite3_value *v = sqlite3_column_value(st, i);
	int            t = sqlite3_value_type(v);
	char           tmp[40];

	if (t == SQLITE_NULL)
		return;
	if (c->type == KT_BOOL) {
		if (sqlite3_value_int64(v))
			ku_buf_add(b, "true", 4);
		else
			ku_buf_add(b, "false", 5);
		return;
	}
	if (t == SQLITE_INTEGER) {
		ku_buf_lld(b, (long long)sqlite3_value_int64(v));   /* "%lld" */
		return;
	}
	if (t == SQLITE_FLOAT) {
		ku_buf_add(b, tmp, ku_fmt_dbl(tmp, sizeof(tmp), sqlite3_value_double(v)));
		return;
	}
	if (c->type == KT_GEO) {
		/* Stored "lat,lon" (portal.h); written "lon,lat" like the
		 * published CSV, Table Schema's default geopoint format and
		 * the GeoJSON [lon, lat] of the JSON answer.  Each number
		 * keeps its published text. */
		const char *s = (const char *)sqlite3_value_text(v);
		size_t      n = s ? (size_t)sqlite3_value_bytes(v) : 0;
		const char *comma = s ? memchr(s, ',', n) : NULL;
		ku_buf      g = { 0 };

		if (comma == NULL) {
			if (s)
				ku_csv_field(b, s, n);
			return;
		}
		ku_buf_add(&g, comma + 1, n - (size_t)(comma + 1 - s));
		ku_buf_add(&g, ",", 1);
		ku_buf_add(&g, s, (size_t)(comma - s));
		if (g.oom)
			b->oom = 1;
		else
			ku_csv_field(b, g.s, g.n);
		ku_buf_free(&g);
		return;
	}
	{
		const char *s = (const char *)sqlite3_value_text(v);

		if (s)
			ku_csv_field(b, s, (size_t)sqlite3_value_bytes(v));
	}
}

/* ---------------------------------------------------------------- writer */

static void
csv_ctype(const kq_wctx *w, int is_error, char *buf, size_t len)
{
	(void)w;
	/* errors are OData JSON whatever the format asked */
	snprintf(buf, len, is_error ? "application/json;odata.metadata=minimal"
	                            : "text/csv;charset=utf-8");
}

/* The header record: the output columns' names.  The custom option
 * bom=true (the portal's "CSV for Excel" link) puts the UTF-8 byte order
 * mark first: Excel reads a CSV without it in the local code page. */
static int
csv_begin(const kq_wctx *w, ku_buf *b)
{
	int i;

	for (i = 0; i < w->opt->nparams; i++)
		if (w->opt->params[i].id < 0 &&
		    strcmp(w->opt->params[i].name, "bom") == 0 &&
		    strcmp(w->opt->params[i].val, "true") == 0) {
			ku_buf_add(b, "\xEF\xBB\xBF", 3);
			break;
		}
	for (i = 0; i < w->nout; i++) {
		if (i)
			ku_buf_add(b, ",", 1);
		ku_csv_field(b, w->out[i].name, strlen(w->out[i].name));
	}
	ku_buf_add(b, "\r\n", 2);
	return 0;
}

static int
csv_row(const kq_wctx *w, ku_buf *b, long long n)
{
	int i;

	(void)n;
	for (i = 0; i < w->nout; i++) {
		if (i)
			ku_buf_add(b, ",", 1);
		kq_csv_value(b, w->st, i, &w->out[i]);
	}
	ku_buf_add(b, "\r\n", 2);
	return 0;
}

static int
csv_end(const kq_wctx *w, ku_buf *b, long long nrows, const char *next)
{
	(void)w;
	(void)b;
	(void)nrows;
	(void)next;                 /* unpaged: there is never a next page */
	return 0;
}

static int
csv_error(const kq_wctx *w, ku_buf *b, const kueri_err *err)
{
	(void)w;
	kq_error_json(b, err);
	return 0;
}

const kq_writer kq_writer_csv = {
	"csv", "text/csv", "text/*", 0, ".csv",
	csv_ctype, csv_begin, csv_row, csv_end, csv_error, 0, NULL, NULL
};
