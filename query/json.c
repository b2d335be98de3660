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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_writer.h"

/* 1 for the bytes a JSON string cannot hold as they are: controls, '"',
 * '\\', and every byte >= 0x80 (checked as UTF-8 below).  One load per
 * byte in the loop that writes every string value of every row. */
#define E8(x) x, x, x, x, x, x, x, x
static const unsigned char json_special[256] = {
	E8(1), E8(1), E8(1), E8(1),                       /* 0x00-0x1f */
	0, 0, 1, 0, 0, 0, 0, 0, E8(0), E8(0), E8(0),      /* 0x20-0x3f */
	E8(0), E8(0), E8(0),                              /* 0x40-0x57 */
	0, 0, 0, 0, 1, 0, 0, 0,                           /* 0x58-0x5f */
	E8(0), E8(0), E8(0), E8(0),                       /* 0x60-0x7f */
	E8(E8(1)), E8(E8(1)),                             /* 0x80-0xff */
};
#undef E8

/* Nonzero when one of the 8 bytes of w is special (json_special): a byte
 * >= 0x80, < 0x20, '"' or '\\'.  The "has a zero byte" test of
 * Hacker's Delight / Bit Twiddling Hacks, (x - 0x01..) & ~x & 0x80..,
 * exact for "is there one" (its false positives are only above a true
 * hit); it scans a clean run of a string 8 bytes per step. */
#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline uint64_t
special8(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), bs = w ^ (ONES * '\\');

	return (w | ((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) |
	        ((bs - ONES) & ~bs)) & HIGHS;
}

/* Bytes of s[0..n) before the first special one. */
static inline size_t
clean_prefix(const unsigned char *u, size_t n)
{
	size_t   i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, u + i, 8);
		if (special8(w))
			break;
	}
	while (i < n && !json_special[u[i]])
		i++;
	return i;
}

/* 1 when no byte of s[0..n) is special: the words are read with
 * overlapping loads (the last 8 or 4 bytes once more) instead of a loop
 * over the tail bytes; most values are a few bytes to a few dozen. */
static inline int
all_clean(const unsigned char *u, size_t n)
{
	uint64_t w;
	uint32_t lo, hi;
	size_t   i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			memcpy(&w, u + i, 8);
			if (special8(w))
				return 0;
		}
		memcpy(&w, u + n - 8, 8);
		return !special8(w);
	}
	if (n >= 4) {
		memcpy(&lo, u, 4);
		memcpy(&hi, u + n - 4, 4);
		return !special8((uint64_t)hi << 32 | lo);
	}
	for (i = 0; i < n; i++)
		if (json_special[u[i]])
			return 0;
	return 1;
}

/* memcpy for the short pieces of a row (names, values): overlapping
 * word moves instead of a library call for up to 16 bytes. */
static inline void
copy_small(char *o, const char *s, size_t n)
{
	uint64_t a, z;
	uint32_t x, y;

	if (n > 16)
		memcpy(o, s, n);
	else if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&z, s + n - 8, 8);
		memcpy(o, &a, 8);
		memcpy(o + n - 8, &z, 8);
	} else if (n >= 4) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(o, &x, 4);
		memcpy(o + n - 4, &y, 4);
	} else {
		while (n--)
			*o++ = *s++;
	}
}

/* Appends s[0..n) (n small) with one room check and no library call. */
static inline void
put_small(ku_buf *b, const char *s, size_t n)
{
	if (ku_buf_reserve(b, n) == 0) {
		copy_small(b->s + b->n, s, n);
		b->n += n;
		b->s[b->n] = '\0';
	}
}

static void json_str_escaped(ku_buf *b, const char *s, size_t n)
	__attribute__((noinline));

static inline void json_str(ku_buf *b, const char *s, size_t n)
	__attribute__((always_inline));

void
kq_json_str(ku_buf *b, const char *s, size_t n)
{
	json_str(b, s, n);
}

/* inline in the row loop below, a call elsewhere (kq_json_str) */
static inline void
json_str(ku_buf *b, const char *s, size_t n)
{
	/* Most values need no escape: one reservation, one copy.  The
	 * escaping path is a function of its own so that this one stays a
	 * leaf without register saves (~25 instructions a call). */
	if (all_clean((const unsigned char *)s, n) &&
	    ku_buf_reserve(b, n + 2) == 0) {
		char *o = b->s + b->n;

		o[0] = '"';
		copy_small(o + 1, s, n);
		o[n + 1] = '"';
		o[n + 2] = '\0';
		b->n += n + 2;
		return;
	}
	json_str_escaped(b, s, n);
}

static void
json_str_escaped(ku_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t               i, run;

	ku_buf_add(b, "\"", 1);
	i = run = clean_prefix(u, n);
	while (i < n) {
		unsigned char c = u[i];

		if (!json_special[c]) {
			size_t k = clean_prefix(u + i, n - i);

			i += k;
			run += k;
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
	char   tmp[40];
	size_t n = ku_fmt_dbl(tmp + 1, sizeof(tmp) - 2, d);

	if (isnan(d) || isinf(d) || quote) {
		tmp[0] = '"';
		tmp[n + 1] = '"';
		put_small(b, tmp, n + 2);
	} else
		put_small(b, tmp + 1, n);
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

/*
 * The value is read through sqlite3_column_value once, then
 * sqlite3_value_type/_int64/_double/_text/_bytes: each sqlite3_column_*
 * call enters and leaves the statement's mutex, checks the column and
 * the malloc state (columnMem, columnMallocFailure), three times for a
 * string value; that was ~60 instructions a value, a sixth of SQLite's
 * part of a page.  The value is "unprotected" (no mutex held); SQLite's
 * documentation of sqlite3_value says that in the multi-thread mode
 * `kueri serve` sets (SQLITE_CONFIG_MULTITHREAD) protected and
 * unprotected values can be used interchangeably, and every other user
 * of a connection (the CLI, tests) steps it from one thread.  The value
 * stays valid until the next step, like a column_text pointer.
 */
static inline void json_value(ku_buf *b, sqlite3_stmt *st, int i,
                              const kq_outcol *c, int ieee754)
	__attribute__((always_inline));
static inline void
json_value(ku_buf *b, sqlite3_stmt *st, int i, const kq_outcol *c,
           int ieee754)
{
	sqlite3_value *v = sqlite3_column_value(st, i);
	int            st_type = sqlite3_value_type(v);

	if (st_type == SQLITE_NULL) {
		ku_buf_add(b, "null", 4);
		return;
	}
	switch (c->type) {
	case KT_BOOL:
		if (sqlite3_value_int64(v))
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
			long long          x = sqlite3_value_int64(v);
			unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x
			                             : (unsigned long long)x;

			if (quote)
				*--e = '"';
			do {
				*--e = (char)('0' + u % 10);
				u /= 10;
			} while (u);
			if (x < 0)
				*--e = '-';
			if (quote)
				*--e = '"';
			put_small(b, e, (size_t)(tmp + sizeof(tmp) - e));
		} else if (st_type == SQLITE_FLOAT)
			json_double(b, sqlite3_value_double(v), quote);
		else {
			const char *s = (const char *)sqlite3_value_text(v);

			kq_json_str(b, s ? s : "", s ? (size_t)sqlite3_value_bytes(v) : 0);
		}
		return;
	}
	case KT_GEO: {
		const char *s = (const char *)sqlite3_value_text(v);

		json_geo(b, s ? s : "");
		return;
	}
	default: {
		const char *s = (const char *)sqlite3_value_text(v);

		if (s == NULL) {
			ku_buf_add(b, "null", 4);
			return;
		}
		json_str(b, s, (size_t)sqlite3_value_bytes(v));
		return;
	}
	}
}

void
kq_json_value(ku_buf *b, sqlite3_stmt *st, int i, const kq_outcol *c,
              int ieee754)
{
	json_value(b, st, i, c, ieee754);
}

/* ---------------------------------------------------------------- errors */

static const char *
code_name(kueri_code c)
{
	switch (c) {
	case KUERI_ESYNTAX: return "SyntaxError";
	case KUERI_ETYPE: return "TypeError";
	case KUERI_EBADREQ: return "BadRequest";
	case KUERI_ELIMIT: return "LimitExceeded";
	case KUERI_ENOTFOUND: return "NotFound";
	case KUERI_EMETHOD: return "MethodNotAllowed";
	case KUERI_ENOTACCEPT: return "NotAcceptable";
	case KUERI_ETOOLONG: return "URITooLong";
	case KUERI_ENOTIMPL: return "NotImplemented";
	case KUERI_ETIMEOUT: return "Timeout";
	case KUERI_ENOMEM: return "OutOfMemory";
	case KUERI_EDB: return "DatabaseError";
	case KUERI_EGONE: return "Gone";
	case KUERI_EBEHIND: return "ServiceUnavailable";
	case KUERI_EBUSY: return "ServiceUnavailable";
	default: return "InternalError";
	}
}

void
kq_error_json(ku_buf *b, const kueri_err *err)
{
	const char *msg = err->msg[0] ? err->msg : kueri_strerror(err->code);

	ku_buf_puts(b, "{\"error\":{\"code\":");
	kq_json_str(b, code_name(err->code), strlen(code_name(err->code)));
	ku_buf_puts(b, ",\"message\":");
	if (err->hint[0]) {
		/* the hint is in the message too: most clients show only it */
		ku_buf m = { 0 };

		ku_buf_printf(&m, "%s; hint: %s", msg, err->hint);
		kq_json_str(b, m.s ? m.s : msg, m.s ? m.n : strlen(msg));
		ku_buf_free(&m);
	} else
		kq_json_str(b, msg, strlen(msg));
	if (err->target[0]) {
		ku_buf_puts(b, ",\"target\":");
		kq_json_str(b, err->target, strlen(err->target));
	}
	ku_buf_puts(b, ",\"details\":[{\"code\":");
	kq_json_str(b, code_name(err->code), strlen(code_name(err->code)));
	ku_buf_puts(b, ",\"message\":");
	if (err->pos >= 0) {
		char tmp[64];

		snprintf(tmp, sizeof(tmp), "at position %lld", err->pos);
		kq_json_str(b, tmp, strlen(tmp));
	} else
		kq_json_str(b, kueri_strerror(err->code),
		            strlen(kueri_strerror(err->code)));
	if (err->target[0]) {
		ku_buf_puts(b, ",\"target\":");
		kq_json_str(b, err->target, strlen(err->target));
	}
	ku_buf_puts(b, "}]");
	/* JSON 21: innererror is service-defined.  Ours: the position, the
	 * option text around it with a caret line under the position, and
	 * the hint on its own (query/hint.c). */
	if ((err->excerpt[0] && err->caret >= 0) || err->hint[0]) {
		ku_buf_puts(b, ",\"innererror\":{");
		if (err->pos >= 0)
			ku_buf_printf(b, "\"position\":%lld,", err->pos);
		if (err->excerpt[0] && err->caret >= 0) {
			ku_buf x = { 0 };
			int   i;

			ku_buf_puts(&x, err->excerpt);
			ku_buf_puts(&x, "\n");
			for (i = 0; i < err->caret && i < 200; i++)
				ku_buf_puts(&x, " ");
			ku_buf_puts(&x, "^");
			ku_buf_puts(b, "\"excerpt\":");
			kq_json_str(b, x.s ? x.s : "", x.s ? x.n : 0);
			ku_buf_free(&x);
			if (err->hint[0])
				ku_buf_puts(b, ",");
		}
		if (err->hint[0]) {
			ku_buf_puts(b, "\"hint\":");
			kq_json_str(b, err->hint, strlen(err->hint));
		}
		ku_buf_puts(b, "}");
	}
	ku_buf_puts(b, "}}\n");
}

/* ---------------------------------------------------------------- writer */

/* dst = a + b, cut to len (like snprintf "%s%s", without its cost: the
 * Content-Type is made per request). */
static void
cat2(char *dst, size_t len, const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (len == 0)
		return;
	if (na > len - 1)
		na = len - 1;
	memcpy(dst, a, na);
	if (nb > len - 1 - na)
		nb = len - 1 - na;
	memcpy(dst + na, b, nb);
	dst[na + nb] = '\0';
}

static void
json_ctype(const kq_wctx *w, int is_error, char *buf, size_t len)
{
	if (is_error)
		cat2(buf, len, "application/json;odata.metadata=minimal", "");
	else if (w->meta_none)
		cat2(buf, len, "application/json;odata.metadata=none",
		     w->ieee754 ? ";IEEE754Compatible=true" : "");
	else
		cat2(buf, len, "application/json;odata.metadata=minimal",
		     w->ieee754 ? ";IEEE754Compatible=true" : "");
}

static int
json_begin(const kq_wctx *w, ku_buf *b)
{
	ku_buf_puts(b, "{");
	if (!w->meta_none) {
		ku_buf_puts(b, "\"@odata.context\":");
		kq_json_str(b, w->context, strlen(w->context));
		if (!w->entity || w->nout)
			ku_buf_puts(b, ",");
	}
	if (w->property) {
		ku_buf_puts(b, "\"value\":");
		return 0;
	}
	if (w->entity)
		return 0;
	if (w->has_count)
		ku_buf_printf(b, w->ieee754 ? "\"@odata.count\":\"%lld\","
		                            : "\"@odata.count\":%lld,", w->count);
	ku_buf_puts(b, "\"value\":[");
	return 0;
}

static int
json_row(const kq_wctx *w, ku_buf *b, long long i)
{
	int c;

	if (w->property) {
		json_value(b, w->st, 0, &w->out[0], w->ieee754);
		return 0;
	}
	if (!w->entity) {
		if (i)
			ku_buf_add(b, ",{", 2);
		else
			ku_buf_add(b, "{", 1);
	}
	for (c = 0; c < w->nout; c++) {
		size_t n = w->out[c].jlen;

		if (ku_buf_reserve(b, n + 1) == 0) {   /* ",\"name\":" */
			char *o = b->s + b->n;

			if (c)
				*o++ = ',';
			copy_small(o, w->outname[c], n);
			o[n] = '\0';
			b->n = (size_t)(o + n - b->s);
		}
		/* inline: one call per row, not per value */
		json_value(b, w->st, c, &w->out[c], w->ieee754);
	}
	if (!w->entity)
		ku_buf_add(b, "}", 1);
	return 0;
}

static int
json_end(const kq_wctx *w, ku_buf *b, long long nrows, const char *next)
{
	(void)nrows;
	if (!w->entity) {
		ku_buf_puts(b, "]");
		if (next) {
			ku_buf_puts(b, ",\"@odata.nextLink\":");
			kq_json_str(b, next, strlen(next));
		}
	}
	ku_buf_puts(b, "}\n");
	return 0;
}

static int
json_error(const kq_wctx *w, ku_buf *b, const kueri_err *err)
{
	(void)w;
	kq_error_json(b, err);
	return 0;
}

const kq_writer kq_writer_json = {
	"json", "application/json", "application/*", 1, NULL,
	json_ctype, json_begin, json_row, json_end, json_error, 0, NULL, NULL
};
