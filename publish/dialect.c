/*
 * dialect.c -- a resource's CSV Dialect / Table Dialect object →
 * kcsv_dialect (the reader's options and which records are header,
 * comment or data; csv.c applies them).  Every option is checked here:
 * what kueri cannot honour (an exotic lineTerminator) or a value outside
 * its limits (KCSV_MAX_* in csv.h) is refused with the option's name.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pkgint.h"

/* A list of row numbers ("headerRows", "commentRows") into a[0..max):
 * positive integers up to KCSV_MAX_ROW_NUMBER, increasing when
 * `increasing`.  The count, or -1 + err naming the rule. */
static int
row_list(json_t *v, const char *key, long long *a, int max, int increasing,
         kueri_err *err)
{
	json_t *x;
	size_t  i;

	if (!json_is_array(v))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "dialect %s must be an array of row numbers", key);
	if (json_array_size(v) > (size_t)max)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "dialect %s has %zu entries; at most %d are "
		                     "accepted (limit)", key, json_array_size(v), max);
	json_array_foreach(v, i, x) {
		json_int_t n = json_integer_value(x);

		if (!json_is_integer(x) || n < 1 || n > KCSV_MAX_ROW_NUMBER)
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "dialect %s entry %zu must be a row number "
			                     "from 1 to %lld", key, i + 1,
			                     KCSV_MAX_ROW_NUMBER);
		if (increasing && i > 0 && n <= a[i - 1])
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "dialect %s must be increasing (entry %zu, "
			                     "%lld, is not after %lld)", key, i + 1,
			                     (long long)n, a[i - 1]);
		a[i] = (long long)n;
	}
	return (int)i;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* A string option of at most KCSV_MAX_MARK bytes into dst. */
static int
mark(json_t *v, const char *key, int allow_empty, char *dst, kueri_err *err)
{
	const char *s = json_string_value(v);

	if (!s || (!allow_empty && !*s))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "dialect %s must be a%s string", key,
		                     allow_empty ? "" : " non-empty");
	if (strlen(s) > KCSV_MAX_MARK)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "dialect %s is longer than %d bytes (limit)", key,
		                     KCSV_MAX_MARK);
	strcpy(dst, s);
	return 0;
}

int
kvp_dialect(json_t *res, kcsv_dialect *d, kueri_err *err)
{
	json_t     *dj = json_object_get(res, "dialect"), *v;
	const char *s;
	int         n;

	kcsv_dialect_default(d);
	/*
	 * Header labels against field names: case-sensitive unless the
	 * dialect says otherwise (v2 "headerCase": false, or v1
	 * "caseSensitiveHeader": false).  v2's headerCase defaults to true;
	 * v1's CSV Dialect gave caseSensitiveHeader a default of false, but
	 * frictionless-py (the reference validator) and v2 both treat "ID"
	 * against a field "id" as an incorrect label when nothing is said,
	 * so one default for every descriptor, whatever its "$schema".
	 */
	d->header_case = 1;
	/* Inline rows are written as RFC 4180 CSV (source.c): no dialect
	 * of the resource applies to them. */
	if (json_is_array(json_object_get(res, "data")))
		return 0;
	/* A tab-separated resource: tabs unless the dialect says else. */
	s = json_string_value(json_object_get(res, "format"));
	if ((s && strcasecmp(s, "tsv") == 0) ||
	    ((s = json_string_value(json_object_get(res, "mediatype"))) &&
	     strcasecmp(s, "text/tab-separated-values") == 0) ||
	    ((s = json_string_value(json_object_get(res, "path"))) &&
	     strlen(s) > 4 && strcasecmp(s + strlen(s) - 4, ".tsv") == 0))
		d->delimiter = '\t';
	if (!dj)
		return 0;
	if (!json_is_object(dj))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "dialect must be an object (or the path of "
		                     "one)");
#define ONECHAR(key, dst, allow_empty)                                        \
	if ((v = json_object_get(dj, key))) {                                     \
		s = json_string_value(v);                                             \
		if (!s || strlen(s) > 1 || (!allow_empty && !*s) || (*s & 0x80) ||    \
		    *s == '\n' || *s == '\r')                                         \
			return kueri_err_set(err, KUERI_ESCHEMA, -1,                      \
			                     "dialect %s must be one ASCII character",    \
			                     key);                                        \
		dst = *s;                                                             \
	}
	ONECHAR("delimiter", d->delimiter, 0)
	ONECHAR("quoteChar", d->quote, 1)
	ONECHAR("escapeChar", d->escape, 1)
#undef ONECHAR
	if ((v = json_object_get(dj, "doubleQuote")))
		d->double_quote = json_is_true(v);
	if ((v = json_object_get(dj, "header")))
		d->header = json_is_true(v);
	if ((v = json_object_get(dj, "skipInitialSpace")))
		d->skip_initial_space = json_is_true(v);
	if ((v = json_object_get(dj, "lineTerminator"))) {
		s = json_string_value(v);
		if (!s || (strcmp(s, "\n") && strcmp(s, "\r\n") && strcmp(s, "\r")))
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "dialect lineTerminator must be \"\\n\", "
			                     "\"\\r\\n\" or \"\\r\"");
	}
	if ((v = json_object_get(dj, "headerRows"))) {
		if ((n = row_list(v, "headerRows", d->header_rows,
		                  KCSV_MAX_HEADER_ROWS, 1, err)) < 0)
			return -1;
		if (n == 0)
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "dialect headerRows must not be empty (use "
			                     "\"header\": false for no header)");
		d->nheader_rows = n;
	}
	if ((v = json_object_get(dj, "headerJoin")) &&
	    mark(v, "headerJoin", 1, d->header_join, err) < 0)
		return -1;
	if ((v = json_object_get(dj, "caseSensitiveHeader"))) {
		if (!json_is_boolean(v))
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "dialect caseSensitiveHeader must be true or "
			                     "false");
		d->header_case = json_is_true(v);
	}
	if ((v = json_object_get(dj, "headerCase"))) {
		if (!json_is_boolean(v))
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			                     "dialect headerCase must be true or false");
		d->header_case = json_is_true(v);
	}
	if ((v = json_object_get(dj, "nullSequence")) && !json_is_string(v))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "dialect nullSequence must be a string");
	if ((v = json_object_get(dj, "commentChar")) &&
	    mark(v, "commentChar", 0, d->comment, err) < 0)
		return -1;
	if ((v = json_object_get(dj, "commentRows"))) {
		int i, k = 0;

		if ((n = row_list(v, "commentRows", d->comment_rows,
		                  KCSV_MAX_COMMENT_ROWS, 0, err)) < 0)
			return -1;
		/* Any order is valid; kcsv_kind searches a sorted list. */
		qsort(d->comment_rows, (size_t)n, sizeof(long long), cmp_ll);
		for (i = 0; i < n; i++)
			if (k == 0 || d->comment_rows[k - 1] != d->comment_rows[i])
				d->comment_rows[k++] = d->comment_rows[i];
		d->ncomment_rows = k;
	}
	if (d->delimiter == d->quote)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "dialect delimiter and quoteChar are the same");
	return 0;
}
