/*
 * page.c -- server-driven paging (PROT 11.2.6.7): the Prefer
 * odata.maxpagesize header, the nextLink and the opaque $skiptoken.
 *
 * A token is base64url({"h": query hash, "t": physical table, "v": set
 * version, "k": [sort keys..., rowid]}), or {"h", "t", "v", "o": offset}
 * after an aggregation (no rowid: a documented fallback).  The hash ties
 * a token to the query that made it, so a token pasted onto another query
 * is refused rather than misread.
 *
 * "t" and "v" are in clear so that a token followed on a server whose set
 * is another version (read replicas, docs/scaling.md) is told apart from
 * a bad one.  The table ("t<N>", N from a counter the portal never
 * reuses, one new table per publish) orders versions even across a
 * package removed and re-published, whose version restarts at 1:
 *   same table and version   the page continues (the hash is checked);
 *   token newer than here    503 + Retry-After: this server lags behind,
 *                            another one (the front retries) has it;
 *   token older than here    410 Gone: the set was re-published since
 *                            page 1; the client restarts paging.
 * The hash covers the version, so it can only be checked on the version
 * that made it: a token from another version is judged by "t"/"v" alone.
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

/* N of a physical table name "t<N>" (digits only), or -1. */
static long long
table_number(const char *t)
{
	long long n = 0;

	if (t == NULL || t[0] != 't' || t[1] == '\0' || strlen(t) > 19)
		return -1;
	for (t++; *t; t++) {
		if (!isdigit((unsigned char)*t))
			return -1;
		n = n * 10 + (*t - '0');
	}
	return n;
}

/* A token made on another version of `set`: err = KUERI_EBEHIND when the
 * token is newer (this server lags), KUERI_EGONE when older. */
static void
version_err(const kp_set *set, const char *ttab, long long tver,
            kueri_err *err)
{
	long long tn = table_number(ttab), hn = table_number(set->table);

	if (tn > hn || (tn == hn && tver > set->version))
		kueri_err_set(err, KUERI_EBEHIND, -1, "this server has version"
		    " %lld of '%s', the page was made on version %lld; retry"
		    " (another server has it)", set->version, set->name, tver);
	else
		kueri_err_set(err, KUERI_EGONE, -1, "'%s' was re-published since"
		    " this page was made: the $skiptoken is from version %lld,"
		    " this server has version %lld%s; restart paging from the"
		    " first page", set->name, tver, set->version,
		    tver == set->version ? " (the package was removed and"
		    " published anew)" : "");
}

json_t *
kq_page_token_decode(ku_arena *ar, const char *t, size_t n,
                     const kp_set *set, unsigned long long qhash,
                     kueri_err *err)
{
	unsigned char *raw;
	long           rn;
	json_t        *j, *h, *tt, *tv;
	char           hx[24];

	if (n == 0 || n > 4096 || (raw = ku_alloc(ar, n)) == NULL)
		return NULL;
	if ((rn = b64_decode(t, n, raw)) <= 0)
		return NULL;
	if ((j = json_loadb((const char *)raw, (size_t)rn, JSON_REJECT_DUPLICATES,
	                    NULL)) == NULL)
		return NULL;
	h = json_object_get(j, "h");
	tt = json_object_get(j, "t");
	tv = json_object_get(j, "v");
	if (!json_is_object(j) || !json_is_string(h) || !json_is_string(tt) ||
	    table_number(json_string_value(tt)) < 0 || !json_is_integer(tv) ||
	    json_integer_value(tv) < 1) {
		json_decref(j);
		return NULL;
	}
	if (strcmp(json_string_value(tt), set->table) != 0 ||
	    json_integer_value(tv) != set->version) {
		version_err(set, json_string_value(tt), json_integer_value(tv),
		            err);
		json_decref(j);
		return NULL;
	}
	snprintf(hx, sizeof(hx), "%016llx", qhash);
	if (strcmp(json_string_value(h), hx) != 0) {
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
              int offset_mode, long long offset, const kp_set *set,
              unsigned long long qhash)
{
	json_t *j = json_object(), *k;
	char   *dump, *res = NULL, hx[24];
	ku_buf  b = { 0 };
	int     i;

	if (j == NULL)
		return NULL;
	snprintf(hx, sizeof(hx), "%016llx", qhash);
	json_object_set_new(j, "h", json_string(hx));
	json_object_set_new(j, "t", json_string(set->table));
	json_object_set_new(j, "v", json_integer(set->version));
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

/*
 * The page size a Prefer header asks for, or -1.  4.01 names the
 * preference maxpagesize, 4.0 odata.maxpagesize (PROT 8.2.8.5): both are
 * read, and *prefixed says which one was sent, so that Preference-Applied
 * answers in the client's own spelling.  A value may be quoted (RFC 7240
 * 2: value = token / quoted-string).
 */
long long
kq_prefer_maxpagesize(const char *prefer, int *prefixed)
{
	const char *p = prefer;

	while (p && *p) {
		const char *q;
		int         pre = 0;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		q = p;
		if (strncasecmp(q, "odata.", 6) == 0) {
			q += 6;
			pre = 1;
		}
		if (strncasecmp(q, "maxpagesize", 11) == 0) {
			q += 11;
			while (*q == ' ')
				q++;
			if (*q == '=') {
				char     *end;
				long long v;
				int       quoted;

				q++;
				while (*q == ' ')
					q++;
				quoted = *q == '"';
				q += quoted;
				if (!isdigit((unsigned char)*q))
					return -1;
				v = strtoll(q, &end, 10);
				if (quoted && *end++ != '"')
					return -1;
				if (v > 0 && (*end == '\0' || *end == ',' || *end == ' ' ||
				              *end == ';')) {
					if (prefixed)
						*prefixed = pre;
					return v;
				}
				return -1;
			}
		}
		p = strchr(p, ',');
	}
	return -1;
}
