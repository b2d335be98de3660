/*
 * out.c -- the chunk buffer every HTML/GeoJSON writer streams through, and
 * the escapers.  Escaping happens byte by byte into the chunk: runs of
 * plain bytes are copied at once, and each special byte is replaced.
 *
 * Invalid UTF-8 is never passed through: a browser would guess at it, and
 * a guessing parser is how escapes get undone.  Each bad byte becomes
 * U+FFFD, as the JSON writer in query/json.c does.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"

void
kb_out_init(kb_out *o, const kueri_sink *sink)
{
	o->sink = sink;
	o->n = 0;
	o->failed = 0;
}

int
kb_flush(kb_out *o)
{
	if (o->failed)
		return -1;
	if (o->n && o->sink->write(o->sink->ctx, o->buf, o->n) != 0)
		o->failed = 1;
	o->n = 0;
	return o->failed ? -1 : 0;
}

void
kb_raw(kb_out *o, const char *s, size_t n)
{
	while (n > 0 && !o->failed) {
		size_t room = sizeof(o->buf) - o->n, k = n < room ? n : room;

		memcpy(o->buf + o->n, s, k);
		o->n += k;
		s += k;
		n -= k;
		if (o->n == sizeof(o->buf))
			kb_flush(o);
	}
}

void
kb_puts(kb_out *o, const char *s)
{
	kb_raw(o, s, strlen(s));
}

void
kb_printf(kb_out *o, const char *fmt, ...)
{
	char    tmp[1024];
	va_list ap;
	int     k;

	va_start(ap, fmt);
	k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (k > 0)
		kb_raw(o, tmp, (size_t)k < sizeof(tmp) ? (size_t)k : sizeof(tmp) - 1);
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one
 * (overlong, surrogate, > U+10FFFF, truncated). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t        k, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		k = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		k = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		k = 4, cp = c & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return k;
}

/* HTML escaping for text (attr = 0) or a quoted attribute value (1). */
static void
html_esc(kb_out *o, const char *s, size_t n, int attr)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t               i = 0, run = 0;

	if (s == NULL)
		return;
	if (n == (size_t)-1)
		n = strlen(s);
	while (i < n) {
		unsigned char c = u[i];
		const char   *rep = NULL;
		size_t        k = 1;

		if (c >= 0x80) {
			k = utf8_len(u + i, n - i);
			if (k) {
				i += k;
				run += k;
				continue;
			}
			rep = "\xEF\xBF\xBD";
			k = 1;
		} else if (c == '&')
			rep = "&amp;";
		else if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c == '"' && attr)
			rep = "&quot;";
		else if (c == '\'' && attr)
			rep = "&#39;";
		else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		         c == 0x7f)
			rep = "\xEF\xBF\xBD";
		else if (attr && (c == '\n' || c == '\r' || c == '\t'))
			rep = " ";
		if (rep == NULL) {
			i++;
			run++;
			continue;
		}
		if (run)
			kb_raw(o, s + i - run, run);
		run = 0;
		kb_puts(o, rep);
		i += k;
	}
	if (run)
		kb_raw(o, s + i - run, run);
}

void
kb_text(kb_out *o, const char *s, size_t n)
{
	html_esc(o, s, n, 0);
}

void
kb_attr(kb_out *o, const char *s, size_t n)
{
	html_esc(o, s, n, 1);
}

void
kb_json_str(kb_out *o, const char *s, size_t n)
{
	static const char    hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t               i = 0, run = 0;

	if (n == (size_t)-1)
		n = strlen(s);
	kb_raw(o, "\"", 1);
	while (i < n) {
		unsigned char c = u[i];
		char          e[6] = { '\\', 'u', '0', '0', 0, 0 };
		const char   *rep = NULL;
		size_t        k = 1, repn = 2;

		if (c >= 0x80) {
			k = utf8_len(u + i, n - i);
			/* U+2028/2029 are JSON but end a line in JavaScript. */
			if (k == 3 && c == 0xE2 && u[i + 1] == 0x80 &&
			    (u[i + 2] == 0xA8 || u[i + 2] == 0xA9)) {
				rep = u[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
				repn = 6;
			} else if (k) {
				i += k;
				run += k;
				continue;
			} else {
				rep = "\xEF\xBF\xBD";
				repn = 3;
				k = 1;
			}
		} else if (c == '"')
			rep = "\\\"";
		else if (c == '\\')
			rep = "\\\\";
		else if (c == '\n')
			rep = "\\n";
		else if (c == '\r')
			rep = "\\r";
		else if (c == '\t')
			rep = "\\t";
		else if (c < 0x20 || c == 0x7f) {
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			rep = e;
			repn = 6;
		}
		if (rep == NULL) {
			i++;
			run++;
			continue;
		}
		if (run)
			kb_raw(o, s + i - run, run);
		run = 0;
		kb_raw(o, rep, repn);
		i += k;
	}
	if (run)
		kb_raw(o, s + i - run, run);
	kb_raw(o, "\"", 1);
}

void
kb_pct(kb_out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t            i;

	if (n == (size_t)-1)
		n = strlen(s);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~')
			kb_raw(o, (const char *)&s[i], 1);
		else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			kb_raw(o, e, 3);
		}
	}
}

void
kb_json_double(kb_out *o, double d)
{
	char tmp[40];
	int  p;

	if (isnan(d) || isinf(d)) {
		kb_puts(o, "null");
		return;
	}
	for (p = 15; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*g", p, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	kb_puts(o, tmp);
}

int
kb_href_ok(const char *s)
{
	size_t skip;

	if (s == NULL)
		return 0;
	if (strncasecmp(s, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		skip = 8;
	else
		return 0;
	if (s[skip] == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

void
kb_value_from_stmt(sqlite3_stmt *st, int i, kb_value *v)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		v->t = KB_VNULL;
		break;
	case SQLITE_INTEGER:
		v->t = KB_VINT;
		v->i = sqlite3_column_int64(st, i);
		break;
	case SQLITE_FLOAT:
		v->t = KB_VREAL;
		v->d = sqlite3_column_double(st, i);
		break;
	default:
		v->t = KB_VTEXT;
		v->s = (const char *)sqlite3_column_text(st, i);
		v->n = (size_t)sqlite3_column_bytes(st, i);
		if (v->s == NULL) {
			v->s = "";
			v->n = 0;
		}
	}
}
