/*
 * json.c -- one row's values → OData JSON (JSON Format 4.01 §7), written
 * by hand into a buffer that the caller flushes to the sink row by row
 * (no per-row Jansson objects: a page of 1000 rows is one pass).
 *
 * Types come from the schema, not from SQLite's storage class: a boolean
 * column is true/false, Int64 is a number (a string with
 * IEEE754Compatible=true), doubles round-trip (shortest of %.15g-%.17g),
 * NaN/±INF are the strings "NaN"/"INF"/"-INF", geopoints are GeoJSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_int.h"

void
kq_json_str(ku_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t               i = 0, run = 0;

	ku_buf_add(b, "\"", 1);
	while (i < n) {
		unsigned char c = u[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		if (run) {
			ku_buf_add(b, s + i - run, run);
			run = 0;
		}
		if (c >= 0x80) {
			size_t bad, k;

			/* Copy one valid UTF-8 sequence, or U+FFFD for a bad byte. */
			k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
			if (k <= n - i && kq_utf8_valid(s + i, k, &bad)) {
				/* U+2028/2029 are valid JSON but break JS: escape. */
				if (k == 3 && c == 0xE2 && u[i + 1] == 0x80 &&
				    (u[i + 2] == 0xA8 || u[i + 2] == 0xA9))
					ku_buf_puts(b, u[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
				else
					ku_buf_add(b, s + i, k);
				i += k;
			} else {
				ku_buf_puts(b, "\xEF\xBF\xBD");
				i++;
			}
			continue;
		}
		switch (c) {
		case '"': ku_buf_add(b, "\\\"", 2); break;
		case '\\': ku_buf_add(b, "\\\\", 2); break;
		case '\n': ku_buf_add(b, "\\n", 2); break;
		case '\r': ku_buf_add(b, "\\r", 2); break;
		case '\t': ku_buf_add(b, "\\t", 2); break;
		case '\b': ku_buf_add(b, "\\b", 2); break;
		case '\f': ku_buf_add(b, "\\f", 2); break;
		default: {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			ku_buf_add(b, e, 6);
		}
		}
		i++;
	}
	if (run)
		ku_buf_add(b, s + i - run, run);
	ku_buf_add(b, "\"", 1);
}

static void
json_double(ku_buf *b, double d, int quote)
{
	char tmp[40];

	ku_fmt_double(tmp, sizeof(tmp), d);
	if (isnan(d) || isinf(d) || quote) {
		ku_buf_add(b, "\"", 1);
		ku_buf_puts(b, tmp);
		ku_buf_add(b, "\"", 1);
	} else
		ku_buf_puts(b, tmp);
}

/* "lat,lon" → {"type":"Point","coordinates":[lon,lat]} */
static void
json_geo(ku_buf *b, const char *s)
{
	char  *end;
	double lat = strtod(s, &end), lon;

	if (end == s || *end != ',') {
		kq_json_str(b, s, strlen(s));
		return;
	}
	lon = strtod(end + 1, NULL);
	ku_buf_puts(b, "{\"type\":\"Point\",\"coordinates\":[");
	json_double(b, lon, 0);
	ku_buf_puts(b, ",");
	json_double(b, lat, 0);
	ku_buf_puts(b, "]}");
}

void
kq_json_value(ku_buf *b, sqlite3_stmt *st, int i, const kq_outcol *c,
              int ieee754)
{
	int st_type = sqlite3_column_type(st, i);

	if (st_type == SQLITE_NULL) {
		ku_buf_add(b, "null", 4);
		return;
	}
	switch (c->type) {
	case KT_BOOL:
		if (sqlite3_column_int64(st, i))
			ku_buf_add(b, "true", 4);
		else
			ku_buf_add(b, "false", 5);
		return;
	case KT_INT:
	case KT_INT32:
	case KT_DECIMAL:
	case KT_DOUBLE: {
		int quote = ieee754 && c->type != KT_INT32 && c->type != KT_DOUBLE;

		if (st_type == SQLITE_INTEGER) {
			char               tmp[32], *e = tmp + sizeof(tmp);
			long long          v = sqlite3_column_int64(st, i);
			unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
			                             : (unsigned long long)v;

			if (quote)
				*--e = '"';
			do {
				*--e = (char)('0' + u % 10);
				u /= 10;
			} while (u);
			if (v < 0)
				*--e = '-';
			if (quote)
				*--e = '"';
			ku_buf_add(b, e, (size_t)(tmp + sizeof(tmp) - e));
		} else if (st_type == SQLITE_FLOAT)
			json_double(b, sqlite3_column_double(st, i), quote);
		else {
			const char *s = (const char *)sqlite3_column_text(st, i);

			kq_json_str(b, s ? s : "", s ? (size_t)sqlite3_column_bytes(st, i) : 0);
		}
		return;
	}
	case KT_GEO: {
		const char *s = (const char *)sqlite3_column_text(st, i);

		json_geo(b, s ? s : "");
		return;
	}
	default: {
		const char *s = (const char *)sqlite3_column_text(st, i);

		if (s == NULL) {
			ku_buf_add(b, "null", 4);
			return;
		}
		kq_json_str(b, s, (size_t)sqlite3_column_bytes(st, i));
		return;
	}
	}
}
