/*
 * page.c -- server-driven paging (PROT 11.2.6.7): the Prefer
 * odata.maxpagesize header, the nextLink and the opaque $skiptoken.
 *
 * A token is base64url({"h": query hash, "k": [sort keys..., rowid]}), or
 * {"h", "o": offset} after an aggregation (no rowid: a documented
 * fallback).  The hash ties a token to the query that made it, so a
 * token pasted onto another query is refused rather than misread.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kq_int.h"

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
b64_encode(ku_buf *b, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		char o[4] = { b64url[s[i] >> 2],
		              b64url[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
		              b64url[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)],
		              b64url[s[i + 2] & 63] };
		ku_buf_add(b, o, 4);
	}
	if (n - i == 1) {
		char o[2] = { b64url[s[i] >> 2], b64url[(s[i] & 3) << 4] };
		ku_buf_add(b, o, 2);
	} else if (n - i == 2) {
		char o[3] = { b64url[s[i] >> 2],
		              b64url[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
		              b64url[(s[i + 1] & 15) << 2] };
		ku_buf_add(b, o, 3);
	}
}

/* Returns decoded length or -1 on any invalid character. */
static long
b64_decode(const char *s, size_t n, unsigned char *out)
{
	unsigned v = 0;
	int      bits = 0;
	long     k = 0;
	size_t   i;

	for (i = 0; i < n; i++) {
		const char *p = s[i] ? strchr(b64url, s[i]) : NULL;

		if (p == NULL)
			return -1;
		v = (v << 6) | (unsigned)(p - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	return k;
}

json_t *
kq_page_token_decode(ku_arena *ar, const char *t, size_t n,
                     unsigned long long qhash)
{
	unsigned char *raw;
	long           rn;
	json_t        *j, *h;
	char           hx[24];

	if (n == 0 || n > 4096 || (raw = ku_alloc(ar, n)) == NULL)
		return NULL;
	if ((rn = b64_decode(t, n, raw)) <= 0)
		return NULL;
	if ((j = json_loadb((const char *)raw, (size_t)rn, JSON_REJECT_DUPLICATES,
	                    NULL)) == NULL)
		return NULL;
	snprintf(hx, sizeof(hx), "%016llx", qhash);
	h = json_object_get(j, "h");
	if (!json_is_object(j) || !json_is_string(h) ||
	    strcmp(json_string_value(h), hx) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* The skiptoken for the row `st` holds (its sort keys and rowid are the
 * nkeys columns from `first`; offset_mode: the offset of the next page
 * instead), in the arena; NULL out of memory. */
char *
kq_page_token(ku_arena *ar, sqlite3_stmt *st, int first, int nkeys,
              int offset_mode, long long offset, unsigned long long qhash)
{
	json_t *j = json_object(), *k;
	char   *dump, *res = NULL, hx[24];
	ku_buf  b = { 0 };
	int     i;

	if (j == NULL)
		return NULL;
	snprintf(hx, sizeof(hx), "%016llx", qhash);
	json_object_set_new(j, "h", json_string(hx));
	if (offset_mode)
		json_object_set_new(j, "o", json_integer(offset));
	else {
		k = json_array();
		for (i = 0; i < nkeys; i++) {
			int c = first + i;

			switch (sqlite3_column_type(st, c)) {
			case SQLITE_INTEGER:
				json_array_append_new(k,
				    json_integer(sqlite3_column_int64(st, c)));
				break;
			case SQLITE_FLOAT:
				json_array_append_new(k,
				    json_real(sqlite3_column_double(st, c)));
				break;
			case SQLITE_NULL:
				json_array_append_new(k, json_null());
				break;
			default:
				json_array_append_new(k, json_stringn(
				    (const char *)sqlite3_column_text(st, c),
				    (size_t)sqlite3_column_bytes(st, c)));
			}
		}
		json_object_set_new(j, "k", k);
	}
	dump = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(j);
	if (dump == NULL)
		return NULL;
	b64_encode(&b, (const unsigned char *)dump, strlen(dump));
	free(dump);
	if (!b.oom)
		res = ku_strndup(ar, b.s, b.n);
	ku_buf_free(&b);
	return res;
}

/* nextLink = root + path + every option but $skip/$top/$skiptoken,
 * then the remaining $top and the new $skiptoken. */
void
kq_page_next_link(ku_buf *b, const char *root, const char *rawpath,
                  const kq_options *o, const char *token, long long top_left)
{
	int i, first = 1;

	ku_buf_puts(b, root);
	ku_buf_puts(b, rawpath);
	ku_buf_puts(b, "?");
	for (i = 0; i < o->nparams; i++) {
		const kq_param *pp = &o->params[i];

		if (pp->id == KQ_O_SKIP || pp->id == KQ_O_TOP ||
		    pp->id == KQ_O_SKIPTOKEN)
			continue;
		if (!first)
			ku_buf_puts(b, "&");
		first = 0;
		if (pp->id >= 0)
			ku_buf_puts(b, kq_option_name(pp->id));
		else
			kq_pct_encode(b, pp->name, strlen(pp->name));
		ku_buf_puts(b, "=");
		kq_pct_encode(b, pp->val, pp->vlen);
	}
	if (top_left >= 0) {
		ku_buf_printf(b, "%s$top=%lld", first ? "" : "&", top_left);
		first = 0;
	}
	ku_buf_printf(b, "%s$skiptoken=%s", first ? "" : "&", token);
}

long long
kq_prefer_maxpagesize(const char *prefer)
{
	const char *p = prefer;

	while (p && *p) {
		const char *q;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		q = p;
		if (strncasecmp(q, "odata.", 6) == 0)
			q += 6;
		if (strncasecmp(q, "maxpagesize", 11) == 0) {
			q += 11;
			while (*q == ' ')
				q++;
			if (*q == '=') {
				char     *end;
				long long v;

				q++;
				while (*q == ' ')
					q++;
				if (!isdigit((unsigned char)*q))
					return -1;
				v = strtoll(q, &end, 10);
				if (v > 0 && (*end == '\0' || *end == ',' || *end == ' ' ||
				              *end == ';'))
					return v;
				return -1;
			}
		}
		p = strchr(p, ',');
	}
	return -1;
}
