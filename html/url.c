/*
 * url.c -- the links a page offers are the page's own URL with one option
 * changed: sort by a column, and-ed filter, next page, another format.
 *
 * The raw query is split as the engine splits it (on '&', then the first
 * '='), and an option nobody edits is written back byte for byte, so a
 * link never changes what an untouched option means (the engine reads '+'
 * as a plus; re-encoding it would change a time-zone offset into a
 * space).  An edited value is written through kb_pct: every byte outside
 * RFC 3986's unreserved set is %XX, which reads the same under either of
 * the '+' conventions.  The whole href then goes through kb_attr.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"

static const char *const sysopts[] = {
	"filter", "search", "count", "orderby", "skip", "top", "select",
	"compute", "apply", "format", "skiptoken", "expand", "levels", "id",
	"schemaversion", "index", "deltatoken", NULL
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* %XX-decode s[0..n) into buf (NUL-terminated, truncated to len).  A
 * broken escape is copied as is (the engine reports it, not a link). */
static void
pct_decode(const char *s, size_t n, char *buf, size_t len)
{
	size_t i, k = 0;

	if (len == 0)
		return;
	for (i = 0; i < n && k + 1 < len; i++) {
		int h, l;

		if (s[i] == '%' && i + 2 < n &&
		    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			buf[k++] = (char)(h * 16 + l);
			i += 2;
		} else
			buf[k++] = s[i];
	}
	buf[k] = '\0';
}

/* Canonical "$name" for a raw option name, or "" for a custom option. */
static void
canon(const char *raw, size_t n, char out[24])
{
	char dec[32];
	const char *p = dec;
	int  i;

	out[0] = '\0';
	if (n >= sizeof(dec))
		return;
	pct_decode(raw, n, dec, sizeof(dec));
	if (*p == '$')
		p++;
	for (i = 0; sysopts[i]; i++)
		if (strcasecmp(p, sysopts[i]) == 0) {
			snprintf(out, 24, "$%s", sysopts[i]);
			return;
		}
}

void
kb_url_init(kb_url *u, const char *path, const char *query)
{
	const char *s = query;

	memset(u, 0, sizeof(*u));
	u->path = path;
	while (s && *s && u->nopt < KB_URL_MAX) {
		const char *amp = strchr(s, '&');
		size_t      n = amp ? (size_t)(amp - s) : strlen(s);

		if (n > 0) {
			const char *eq = memchr(s, '=', n);
			kb_opt     *o = &u->opt[u->nopt++];

			canon(s, eq ? (size_t)(eq - s) : n, o->name);
			o->raw = s;
			o->rawn = n;
		}
		if (!amp)
			break;
		s = amp + 1;
	}
}

void
kb_url_free(kb_url *u)
{
	int i;

	for (i = 0; i < u->nown; i++)
		free(u->own[i]);
	u->nown = 0;
}

static kb_opt *
find(const kb_url *u, const char *name)
{
	int i;

	for (i = 0; i < u->nopt; i++)
		if (strcmp(u->opt[i].name, name) == 0)
			return (kb_opt *)&u->opt[i];
	return NULL;
}

const char *
kb_url_get(const kb_url *u, const char *name, char *buf, size_t len)
{
	const kb_opt *o = find(u, name);
	const char   *eq;

	if (o == NULL || len == 0)
		return NULL;
	if (o->raw == NULL) {
		snprintf(buf, len, "%s", o->val);
		return buf;
	}
	eq = memchr(o->raw, '=', o->rawn);
	if (eq == NULL) {
		buf[0] = '\0';
		return buf;
	}
	pct_decode(eq + 1, o->rawn - (size_t)(eq + 1 - o->raw), buf, len);
	return buf;
}

void
kb_url_set(kb_url *u, const char *name, const char *val, int owned)
{
	kb_opt *o = find(u, name);

	if (owned) {
		if (u->nown >= (int)(sizeof(u->own) / sizeof(u->own[0]))) {
			/* Never reached by our pages (≤ 2 edits per link); keep the
			 * bound rather than grow: drop the edit, free the value. */
			free((char *)val);
			return;
		}
		u->own[u->nown++] = (char *)val;
	}
	if (o == NULL) {
		if (u->nopt >= KB_URL_MAX)
			return;
		o = &u->opt[u->nopt++];
		snprintf(o->name, sizeof(o->name), "%s", name);
	}
	o->raw = NULL;
	o->rawn = 0;
	o->val = val;
}

void
kb_url_del(kb_url *u, const char *name)
{
	int i, k = 0;

	for (i = 0; i < u->nopt; i++)
		if (strcmp(u->opt[i].name, name) != 0)
			u->opt[k++] = u->opt[i];
	u->nopt = k;
}

void
kb_url_attr(kb_out *o, const kb_url *u)
{
	int i, first = 1;

	kb_attr(o, u->path, (size_t)-1);
	for (i = 0; i < u->nopt; i++) {
		const kb_opt *p = &u->opt[i];

		kb_raw(o, first ? "?" : "&amp;", first ? 1 : 5);
		first = 0;
		if (p->raw) {
			kb_attr(o, p->raw, p->rawn);
			continue;
		}
		kb_attr(o, p->name, (size_t)-1);
		kb_raw(o, "=", 1);
		kb_pct(o, p->val, (size_t)-1);   /* only [A-Za-z0-9%._~-] out */
	}
}

char *
kb_odata_string(const char *s)
{
	size_t n = strlen(s), q = 0, i, k = 0;
	char  *r;

	for (i = 0; i < n; i++)
		q += s[i] == '\'';
	r = malloc(n + q + 3);
	if (r == NULL)
		return NULL;
	r[k++] = '\'';
	for (i = 0; i < n; i++) {
		r[k++] = s[i];
		if (s[i] == '\'')
			r[k++] = '\'';
	}
	r[k++] = '\'';
	r[k] = '\0';
	return r;
}

/* Form decoding ('+' is a space, then %XX) of s[0..n) into a new string. */
static char *
form_decode(const char *s, size_t n)
{
	char  *r = malloc(n + 1);
	size_t i, k = 0;

	if (r == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		int h, l;

		if (s[i] == '+')
			r[k++] = ' ';
		else if (s[i] == '%' && i + 2 < n &&
		         (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		         (l = hexval((unsigned char)s[i + 2])) >= 0) {
			r[k++] = (char)(h * 16 + l);
			i += 2;
		} else
			r[k++] = s[i];
	}
	r[k] = '\0';
	return r;
}

/* Append to buf[*k..len): 0, or -1 when it does not fit. */
static int
put(char *buf, size_t len, size_t *k, const char *s, size_t n)
{
	if (*k + n + 1 > len)
		return -1;
	memcpy(buf + *k, s, n);
	*k += n;
	buf[*k] = '\0';
	return 0;
}

static int
put_pct(char *buf, size_t len, size_t *k, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char          e[3] = { '%', hex[c >> 4], hex[c & 15] };

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~' || (keep_slash && c == '/')) {
			if (put(buf, len, k, (const char *)s, 1))
				return -1;
		} else if (put(buf, len, k, e, 3))
			return -1;
	}
	return 0;
}

/* 1 if s is an OData identifier (what a column name in our forms is). */
static int
ident_ok(const char *s)
{
	size_t i;

	if (s == NULL || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; s[i]; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_') || i > 127)
			return 0;
	return 1;
}

/* A value typed into the filter builder as an OData literal: a number or
 * a date (YYYY-MM-DD) bare, anything else a quoted string.  Heap. */
static char *
literal(const char *v)
{
	char  *end;
	size_t n = strlen(v), i;
	int    date = n == 10 && v[4] == '-' && v[7] == '-';

	for (i = 0; date && i < n; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)v[i]))
			date = 0;
	if (date || strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "null") == 0)
		return strdup(v);
	if (n > 0 && n < 40 && (isdigit((unsigned char)v[0]) || v[0] == '-')) {
		(void)strtod(v, &end);
		if (*end == '\0' && strchr(v, 'x') == NULL &&
		    strchr(v, 'X') == NULL)
			return strdup(v);
	}
	return kb_odata_string(v);
}

/* The builder's condition "col op literal" (contains(col,'v') for
 * "contains"), or NULL when the form left it empty or it is not ours. */
static char *
condition(const char *col, const char *op, const char *val, int *bad)
{
	static const char *const ops[] = { "eq", "ne", "gt", "ge", "lt", "le",
	                                   "contains" };
	char  *lit, *r;
	size_t i, n;

	*bad = 0;
	if (col == NULL || col[0] == '\0' || val == NULL || val[0] == '\0')
		return NULL;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (op && strcmp(op, ops[i]) == 0)
			break;
	if (!ident_ok(col) || i == sizeof(ops) / sizeof(ops[0])) {
		*bad = 1;
		return NULL;
	}
	lit = i == 6 ? kb_odata_string(val) : literal(val);
	if (lit == NULL)
		return NULL;
	n = strlen(col) + strlen(lit) + 24;
	if ((r = malloc(n)) != NULL) {
		if (i == 6)
			snprintf(r, n, "contains(%s,%s)", col, lit);
		else
			snprintf(r, n, "%s %s %s", col, ops[i], lit);
	}
	free(lit);
	return r;
}

/* The summary form's $apply: [filter(F)/][compute(substring(by,0,N) as
 * by_N)/]groupby((by),aggregate($count as count | agg with sum as
 * sum_agg)).  NULL with *bad set when a field is not ours. */
static char *
summary(const char *filter, const char *by, const char *chars,
        const char *agg, int *bad)
{
	char   key[160], aggs[200], *r;
	long   nch = 0;
	size_t n;

	*bad = 1;
	if (!ident_ok(by) || (agg && agg[0] && !ident_ok(agg)))
		return NULL;
	if (chars && chars[0]) {
		char *end;

		nch = strtol(chars, &end, 10);
		if (*end != '\0' || nch < 1 || nch > 64)
			return NULL;
	}
	*bad = 0;
	if (nch)
		snprintf(key, sizeof(key), "%s_%ld", by, nch);
	else
		snprintf(key, sizeof(key), "%s", by);
	if (agg && agg[0])
		snprintf(aggs, sizeof(aggs), "%s with sum as sum_%s", agg, agg);
	else
		snprintf(aggs, sizeof(aggs), "$count as count");
	n = (filter ? strlen(filter) : 0) + 2 * strlen(key) + strlen(aggs) + 96;
	if ((r = malloc(n)) == NULL)
		return NULL;
	snprintf(r, n, "%s%s%s", filter && filter[0] ? "filter(" : "",
	         filter && filter[0] ? filter : "", filter && filter[0] ? ")/" : "");
	if (nch)
		snprintf(r + strlen(r), n - strlen(r),
		         "compute(substring(%s,0,%ld) as %s)/", by, nch, key);
	snprintf(r + strlen(r), n - strlen(r), "groupby((%s),aggregate(%s))",
	         key, aggs);
	return r;
}

int
kb_go_location(const kb_site *site, const char *form_query, char *buf,
               size_t len, kueri_err *err)
{
	enum { F_SET, F_KEEP, F_FILTER, F_COL, F_OP, F_VAL, F_BY, F_CHARS,
	       F_AGG, F__N };
	static const char *const names[F__N] = { "set", "keep", "$filter",
		"col", "op", "val", "by", "chars", "agg" };
	char       *f[F__N] = { 0 }, *cond = NULL, *filter = NULL, *apply = NULL;
	const char *s = form_query ? form_query : "";
	size_t      k = 0, i;
	int         rc = -1, bad = 0, j;

	while (*s) {
		const char *amp = strchr(s, '&'), *eq;
		size_t      n = amp ? (size_t)(amp - s) : strlen(s);
		char       *name, *val, **slot = NULL;

		eq = memchr(s, '=', n);
		name = form_decode(s, eq ? (size_t)(eq - s) : n);
		val = eq ? form_decode(eq + 1, n - (size_t)(eq + 1 - s)) : strdup("");
		for (j = 0; name && j < F__N; j++)
			if (strcmp(name, names[j]) == 0 ||
			    (j == F_FILTER && strcmp(name, "filter") == 0))
				slot = &f[j];
		free(name);
		if (slot && *slot == NULL)
			*slot = val;
		else
			free(val);
		if (!amp)
			break;
		s = amp + 1;
	}
	if (f[F_SET] == NULL || f[F_SET][0] == '\0') {
		kueri_err_set(err, KUERI_EBADREQ, -1, "html/go: no 'set' given");
		goto done;
	}
	/* `keep` is a raw query as our page wrote it; it goes into a header,
	 * so only printable ASCII without spaces passes. */
	for (i = 0; f[F_KEEP] && f[F_KEEP][i]; i++)
		if ((unsigned char)f[F_KEEP][i] <= 0x20 ||
		    (unsigned char)f[F_KEEP][i] >= 0x7f) {
			kueri_err_set(err, KUERI_EBADREQ, (long long)i,
			              "html/go: 'keep' must be a raw query string"
			              " (printable ASCII, no spaces)");
			goto done;
		}
	/* the filter builder: "col op value" and-ed to the typed $filter */
	cond = condition(f[F_COL], f[F_OP], f[F_VAL], &bad);
	if (bad) {
		kueri_err_set(err, KUERI_EBADREQ, -1, "html/go: 'col' must be a "
		              "column name and 'op' one of eq ne gt ge lt le contains");
		goto done;
	}
	if (cond && f[F_FILTER] && f[F_FILTER][0]) {
		size_t n = strlen(cond) + strlen(f[F_FILTER]) + 12;

		if ((filter = malloc(n)) != NULL)
			snprintf(filter, n, "(%s) and %s", f[F_FILTER], cond);
	} else if (cond) {
		filter = cond;
		cond = NULL;
	} else if (f[F_FILTER]) {
		filter = f[F_FILTER];
		f[F_FILTER] = NULL;
	}
	/* the summary form: a new view, $apply only (the filter inside it) */
	if (f[F_BY] && f[F_BY][0]) {
		apply = summary(filter, f[F_BY], f[F_CHARS], f[F_AGG], &bad);
		if (bad) {
			kueri_err_set(err, KUERI_EBADREQ, -1, "html/go: 'by' and 'agg'"
			              " must be column names and 'chars' a number 1-64");
			goto done;
		}
		if (apply == NULL)
			goto toolong;
		free(f[F_KEEP]);
		f[F_KEEP] = NULL;
		free(filter);
		filter = NULL;
	}
	if (put(buf, len, &k, site->root, strlen(site->root)) ||
	    put_pct(buf, len, &k, f[F_SET], 0))
		goto toolong;
	if (f[F_KEEP] && f[F_KEEP][0] && (put(buf, len, &k, "?", 1) ||
	    put(buf, len, &k, f[F_KEEP], strlen(f[F_KEEP]))))
		goto toolong;
	if (filter && filter[0] &&
	    (put(buf, len, &k, f[F_KEEP] && f[F_KEEP][0] ? "&" : "?", 1) ||
	     put(buf, len, &k, "$filter=", 8) || put_pct(buf, len, &k, filter, 0)))
		goto toolong;
	if (apply && (put(buf, len, &k, "?$apply=", 8) ||
	              put_pct(buf, len, &k, apply, 0)))
		goto toolong;
	rc = 0;
	goto done;
toolong:
	kueri_err_set(err, KUERI_ETOOLONG, -1, "html/go: the resulting URL is"
	              " longer than %zu bytes", len - 1);
done:
	for (j = 0; j < F__N; j++)
		free(f[j]);
	free(cond);
	free(filter);
	free(apply);
	return rc;
}
