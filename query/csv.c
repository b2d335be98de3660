/*
 * csv.c -- one row's values → RFC 4180 CSV fields: a field is quoted when
 * it holds a comma, a quote, CR or LF (or leading/trailing space, which
 * some readers trim), quotes doubled; records end in CRLF (the caller).
 * Null is the empty field; booleans true/false; numbers as in JSON.
 */
#include <stdio.h>
#include <string.h>

#include "kq_int.h"

void
kq_csv_field(ku_buf *b, const char *s, size_t n)
{
	size_t i;
	int    quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');

	for (i = 0; i < n && !quote; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			quote = 1;
	if (!quote) {
		ku_buf_add(b, s, n);
		return;
	}
	ku_buf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			ku_buf_add(b, "\"", 1);
		ku_buf_add(b, s + i, 1);
	}
	ku_buf_add(b, "\"", 1);
}

void
kq_csv_value(ku_buf *b, sqlite3_stmt *st, int i, const kq_outcol *c)
{
	int  t = sqlite3_column_type(st, i);
	char tmp[40];

	if (t == SQLITE_NULL)
		return;
	if (c->type == KT_BOOL) {
		ku_buf_puts(b, sqlite3_column_int64(st, i) ? "true" : "false");
		return;
	}
	if (t == SQLITE_INTEGER) {
		snprintf(tmp, sizeof(tmp), "%lld",
		         (long long)sqlite3_column_int64(st, i));
		ku_buf_puts(b, tmp);
		return;
	}
	if (t == SQLITE_FLOAT) {
		ku_fmt_double(tmp, sizeof(tmp), sqlite3_column_double(st, i));
		ku_buf_puts(b, tmp);
		return;
	}
	{
		const char *s = (const char *)sqlite3_column_text(st, i);

		if (s)
			kq_csv_field(b, s, (size_t)sqlite3_column_bytes(st, i));
	}
}
