/*
 * options.c -- the raw query string → system query options (URL 2.1, 5.1).
 *
 * Order matters and is the spec's: split on '&', then on the first '=',
 * then percent-decode each part exactly once.  So an encoded "%26" inside
 * a $filter string stays data, and "%2527" decodes to the three bytes
 * "%27", not to a quote.  Names are case-insensitive and the '$' is
 * optional (4.01).
 *
 * '+' has two readings (../shared/ODATA.md), told apart per query string:
 *  - form-encoded (URLSearchParams, HTML forms, Python requests, Java's
 *    URLEncoder): such an encoder turns a space into '+', a plus into
 *    %2B, and always percent-encodes '$', '\'' and '(' -- and never
 *    writes %20.  A query string holding %24, %27 or %28 (any case) and
 *    no %20 is read that way: every raw '+' is a space.
 *  - anything else (hand-typed, OData client libraries, the ABNF): a raw
 *    '+' is a plus -- a sign, an exponent sign (1e+10), a time-zone
 *    offset (T08:00+07:00).
 * %2B is always a plus and %20 always a space.  Both readings give the
 * same option text for every URL a form encoder can produce, and for
 * every URL that spells spaces as %20 or ' '.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kq_int.h"

/* ---------------------------------------------------------------- names */

static const char *const optnames[KQ_O__MAX] = {
	[KQ_O_FILTER] = "$filter",   [KQ_O_SEARCH] = "$search",
	[KQ_O_COUNT] = "$count",     [KQ_O_ORDERBY] = "$orderby",
	[KQ_O_SKIP] = "$skip",       [KQ_O_TOP] = "$top",
	[KQ_O_SELECT] = "$select",   [KQ_O_COMPUTE] = "$compute",
	[KQ_O_APPLY] = "$apply",     [KQ_O_FORMAT] = "$format",
	[KQ_O_SKIPTOKEN] = "$skiptoken", [KQ_O_EXPAND] = "$expand",
	[KQ_O_LEVELS] = "$levels",   [KQ_O_ID] = "$id",
	[KQ_O_SCHEMAVERSION] = "$schemaversion", [KQ_O_INDEX] = "$index",
	[KQ_O_DELTATOKEN] = "$deltatoken",
};

const char *
kq_option_name(int id)
{
	return id >= 0 && id < KQ_O__MAX ? optnames[id] : "?";
}

/* ---------------------------------------------------------------- UTF-8 */

int
kq_utf8_valid(const char *str, size_t n, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t               i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t   k;
		unsigned cp, min;

		if (c == 0)
			goto fail;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; min = 0x80; }
		else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; min = 0x800; }
		else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; min = 0x10000; }
		else goto fail;
		if (n - i <= k)
			goto fail;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				goto fail;
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto fail;
		i += k + 1;
	}
	return 1;
fail:
	if (bad)
		*bad = i;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

char *
kq_pct_decode(ku_arena *a, const char *s, size_t n, size_t *outlen,
              const char *what, long long base, kueri_err *err)
{
	char  *d, *o;
	size_t i, bad;

	if ((d = ku_alloc(a, n + 1)) == NULL) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	o = d;
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h, l;

			if (i + 2 >= n || (h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0) {
				kueri_err_set(err, KUERI_EBADREQ, base + (long long)i,
				    "malformed percent-escape at position %lld in %s: '%%' "
				    "must be followed by two hexadecimal digits",
				    base + (long long)i, what);
				return NULL;
			}
			*o++ = (char)(h * 16 + l);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	if (!kq_utf8_valid(d, (size_t)(o - d), &bad)) {
		kueri_err_set(err, KUERI_EBADREQ, (long long)bad,
		    "%s at decoded byte %zu of %s",
		    d[bad] == '\0' ? "NUL character" : "invalid UTF-8", bad, what);
		return NULL;
	}
	if (outlen)
		*outlen = (size_t)(o - d);
	return d;
}

void
kq_pct_encode(ku_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t            i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~$'(),:*/@!;", c) != NULL)
			ku_buf_add(b, (const char *)&s[i], 1);
		else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			ku_buf_add(b, e, 3);
		}
	}
}

/* ---------------------------------------------------------------- split */

/*
 * A malformed percent-escape in an option value (err->pos is its raw
 * offset): say where it is in the text as typed -- the value decoded with
 * its valid escapes (a browser sends "name like '%MAKMUR%'" as
 * "name%20like%20'%MAKMUR%'") -- and hand that text to hint.c, which
 * knows '%' as a wildcard.
 */
static void
bad_escape(ku_arena *a, kueri_err *err, const char *s, size_t n, int form,
           const char *opt)
{
	char  *d;
	size_t i, k = 0, at = 0;
	int    h, l;

	if (err->code != KUERI_EBADREQ || err->pos < 0 ||
	    strncmp(err->msg, "malformed percent-escape", 24) != 0 ||
	    (size_t)err->pos >= n || s[err->pos] != '%' ||
	    (d = ku_alloc(a, n + 1)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (i == (size_t)err->pos)
			at = k;
		if (s[i] == '%' && i + 2 < n &&
		    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0 && h * 16 + l) {
			d[k++] = (char)(h * 16 + l);
			i += 2;
		} else
			d[k++] = form && s[i] == '+' ? ' ' : s[i];
	}
	d[k] = '\0';
	if (!kq_utf8_valid(d, k, NULL))
		return;
	kueri_err_set(err, KUERI_EBADREQ, (long long)at,
	    "malformed percent-escape at position %zu in %s: '%%' must be "
	    "followed by two hexadecimal digits", at, opt);
	kueri_err_target(err, opt);
	kq_hint(err, d, k);
}

/* 1 if the raw query string is form-encoded (see the top of the file). */
static int
form_encoded(const char *q)
{
	int marks = 0;

	for (; *q; q++)
		if (q[0] == '%' && q[1] && q[2]) {
			if (q[1] == '2' && q[2] == '0')
				return 0;
			if (q[1] == '2' && (q[2] == '4' || q[2] == '7' || q[2] == '8'))
				marks = 1;
		}
	return marks;
}

/* kq_pct_decode, with a form-encoded string's '+' read as a space (one
 * byte for one byte, so positions stay those of the raw text). */
static char *
opt_decode(ku_arena *a, const char *s, size_t n, size_t *outlen,
           const char *what, long long base, kueri_err *err, int form)
{
	char  *t;
	size_t i;

	if (!form || memchr(s, '+', n) == NULL)
		return kq_pct_decode(a, s, n, outlen, what, base, err);
	if ((t = ku_strndup(a, s, n)) == NULL) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (t[i] == '+')
			t[i] = ' ';
	return kq_pct_decode(a, t, n, outlen, what, base, err);
}

static int
classify(const char *name, int *is_system)
{
	const char *n = name;
	int         i;

	*is_system = 0;
	if (*n == '$') {
		*is_system = 1;
		n++;
	}
	for (i = 0; i < KQ_O__MAX; i++)
		if (strcasecmp(n, optnames[i] + 1) == 0)
			return i;
	return -1;
}

int
kq_options_parse(ku_arena *a, const char *query, size_t maxlen,
                 kq_options *o, kueri_err *err)
{
	size_t qlen, start, cap = 0;
	int    form;

	memset(o, 0, sizeof(*o));
	if (query == NULL || *query == '\0')
		return 0;
	qlen = strlen(query);
	form = form_encoded(query);
	if (qlen > maxlen)
		return kueri_err_set(err, KUERI_ETOOLONG, -1,
		    "the query string is %zu bytes; the limit is %zu", qlen, maxlen);
	for (start = 0; start <= qlen;) {
		const char *seg = query + start;
		size_t      segn = strcspn(seg, "&"), eq, nlen, vlen;
		char       *name, *val;
		int         id, sys;
		kq_param   *pp;

		if (segn == 0) {          /* "&&" or a trailing '&': nothing there */
			start += 1;
			continue;
		}
		eq = strcspn(seg, "=&");
		nlen = eq < segn ? eq : segn;
		name = opt_decode(a, seg, nlen, NULL, "a query option name",
		                  (long long)start, err, form);
		if (name == NULL)
			return -1;
		if (eq < segn)
			val = opt_decode(a, seg + eq + 1, segn - eq - 1, &vlen,
			                 "a query option value", 0, err, form);
		else {
			val = ku_strndup(a, "", 0);
			vlen = 0;
		}
		id = classify(name, &sys);
		if (val == NULL) {
			if (err->code != KUERI_ENOMEM && id >= 0) {
				kueri_err_target(err, optnames[id]);
				bad_escape(a, err, seg + eq + 1, segn - eq - 1, form,
				           optnames[id]);
			}
			return -1;
		}
		if (name[0] == '@') {
			id = -1;          /* parameter alias: kept, resolved never */
		} else if (id < 0 && sys) {
			kueri_err_set(err, KUERI_EBADREQ, (long long)start,
			    "unknown system query option '%.64s'", name);
			return -1;
		}
		if (id == KQ_O_SEARCH && eq < segn) {
			/* ABNF searchWord: ';' and '#' only percent-encoded.
			 * Unencoded, '#' would start the fragment (a browser
			 * never sends it) and ';' is a delimiter: a syntax error
			 * at its place, with the escape to use. */
			size_t k = strcspn(seg + eq + 1, ";#&");

			if (k < segn - eq - 1) {
				char ch = seg[eq + 1 + k];

				kueri_err_set(err, KUERI_ESYNTAX, (long long)k,
				    "unexpected '%c' at position %zu in $search", ch, k);
				kueri_err_target(err, "$search");
				kq_hint(err, seg + eq + 1, segn - eq - 1);
				kueri_err_hint(err, "write %s for a '%c' in $search",
				               ch == ';' ? "%3B" : "%23", ch);
				return -1;
			}
		}
		if (id >= 0) {
			if (o->val[id] != NULL)
				return kueri_err_set(err, KUERI_EBADREQ, (long long)start,
				    "query option %s is given more than once", optnames[id]);
			o->val[id] = val;
			o->len[id] = vlen;
		}
		if (o->nparams == (int)cap) {
			kq_param *np;

			cap = cap ? cap * 2 : 8;
			if ((np = ku_alloc(a, cap * sizeof(*np))) == NULL)
				return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
			if (o->nparams)
				memcpy(np, o->params, (size_t)o->nparams * sizeof(*np));
			o->params = np;
		}
		if (o->nparams >= 1000)
			return kueri_err_set(err, KUERI_ELIMIT, (long long)start,
			    "more than 1000 query parameters");
		pp = &o->params[o->nparams++];
		pp->name = name;
		pp->val = val;
		pp->vlen = vlen;
		pp->id = id;
		start += segn + 1;
	}
	return 0;
}
