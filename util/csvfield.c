/*
 * csvfield.c -- one RFC 4180 CSV field appended to a buffer (kutil.h),
 * shared by the query's CSV writer (query/csv.c) and the harvester's
 * package download (harvest/pkgdl.c), so both quote the same way.
 */
#include "kutil.h"

/* Quoted when it holds a comma, a quote, CR or LF, or starts or ends with
 * a space (which some readers trim); a quote inside is doubled. */
void
ku_csv_field(ku_buf *b, const char *s, size_t n)
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
