/*
 * hint.c -- an error in a query option, made fixable by a person: the
 * text around the error position with a caret under it, and a hint for
 * the slips journalists make most (SQL and spreadsheet habits).
 *
 * It runs after the parser has failed, on the option's text and the
 * error's byte position, so the grammar (lex.c, parse.c) stays the
 * ABNF's and the advice lives in one place.  A hint is only given when
 * the text at the position is recognisably one slip:
 *   '=' '=='                 use eq
 *   '>' '>=' '<' '<=' '!=' '<>'   use gt / ge / lt / le / ne
 *   a bare word after eq...  put text in single quotes: name eq 'ACEH'
 *   'LHOK PU'UK'             write '' for an apostrophe
 *   like, '%' wildcards      use contains(name,'MAKMUR')
 * Unknown entity sets get "did you mean" here too (kq_unknown_set); the
 * $apply hint is resolve.c's, which knows the columns $apply leaves.
 *
 * Every function only fills err->hint / err->excerpt / err->caret; the
 * message and position stay the parser's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kq_int.h"

#define EXCERPT_MAX 72          /* bytes of option text shown */

static int
identc(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* The identifier ending right before t[p] (spaces skipped): its start and
 * length, or n = 0. */
static void
word_before(const char *t, size_t p, size_t *ws, size_t *wn)
{
	size_t e = p;

	while (e > 0 && (t[e - 1] == ' ' || t[e - 1] == '\t'))
		e--;
	*ws = e;
	while (*ws > 0 && identc((unsigned char)t[*ws - 1]))
		(*ws)--;
	*wn = e - *ws;
}

/* Length of the identifier at t[p]. */
static size_t
word_at(const char *t, size_t n, size_t p)
{
	size_t e = p;

	while (e < n && identc((unsigned char)t[e]))
		e++;
	return e - p;
}

static int
is_word(const char *t, size_t s, size_t n, const char *w)
{
	return n == strlen(w) && strncasecmp(t + s, w, n) == 0;
}

static int
is_cmp(const char *t, size_t s, size_t n)
{
	static const char *const ops[] = { "eq", "ne", "gt", "ge", "lt", "le" };
	size_t i;

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (is_word(t, s, n, ops[i]))
			return 1;
	return 0;
}

/* The quoted string starting at or after t[p] (spaces skipped): [*qs,
 * *qe] are its quotes; 0 when there is none. */
static int
string_after(const char *t, size_t n, size_t p, size_t *qs, size_t *qe)
{
	size_t i = p;

	while (i < n && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (i >= n || t[i] != '\'')
		return 0;
	*qs = i;
	for (i++; i < n; i++)
		if (t[i] == '\'') {
			if (i + 1 < n && t[i + 1] == '\'') {
				i++;
				continue;
			}
			*qe = i;
			return 1;
		}
	return 0;
}

/* "contains(NAME,'TEXT')" advice from a property name and a pattern
 * whose '%' and '*' wildcards are dropped. */
static void
contains_hint(kueri_err *err, const char *lead, const char *t,
              size_t ns, size_t nn, size_t ps, size_t pn)
{
	char   text[64];
	size_t i, k = 0;

	for (i = 0; i < pn && k + 1 < sizeof text; i++)
		if (t[ps + i] != '%' && t[ps + i] != '*')
			text[k++] = t[ps + i];
	text[k] = '\0';
	kueri_err_hint(err, "%suse contains(%.*s,'%s')", lead,
	               (int)(nn > 40 ? 40 : nn), nn ? t + ns : "name",
	               k ? text : "text");
}

/* The text before a quoted string at [qs..]: "NAME like" or "NAME eq";
 * fills the name.  1 if found. */
static int
name_before_op(const char *t, size_t qs, size_t *ns, size_t *nn)
{
	size_t os, on;

	word_before(t, qs, &os, &on);
	if (on == 0 || !(is_word(t, os, on, "like") || is_cmp(t, os, on)))
		return 0;
	word_before(t, os, ns, nn);
	return *nn > 0;
}

static void
operator_hint(kueri_err *err, const char *t, size_t n, size_t p)
{
	static const struct { const char *sym, *word; } ops[] = {
		{ "==", "eq" }, { ">=", "ge" }, { "<=", "le" }, { "!=", "ne" },
		{ "<>", "ne" }, { "=", "eq" }, { ">", "gt" }, { "<", "lt" },
	};
	size_t i;

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		size_t k = strlen(ops[i].sym);

		if (p + k <= n && memcmp(t + p, ops[i].sym, k) == 0) {
			kueri_err_hint(err, "use %s instead of '%s': OData writes "
			               "comparisons as words (eq ne gt ge lt le)",
			               ops[i].word, ops[i].sym);
			return;
		}
	}
}

/* A string closed right before t[p] by an apostrophe that belongs to the
 * text ('LHOK PU'UK'): 1 and the hint set. */
static int
apostrophe_hint(kueri_err *err, const char *t, size_t n, size_t p)
{
	size_t i, open = 0, close;
	int    in = 0;

	if (p < 2 || p >= n || t[p - 1] != '\'' || !identc((unsigned char)t[p]))
		return 0;
	for (i = 0; i + 1 < p; i++)
		if (t[i] == '\'') {
			if (!in)
				open = i;
			in = !in;
		}
	if (!in)                      /* the quote at p-1 opened a string */
		return 0;
	for (close = p; close < n && t[close] != '\''; close++)
		;
	if (close < n && close - open < 60)
		kueri_err_hint(err, "write '' for an apostrophe inside text: "
		               "%.*s''%.*s", (int)(p - 1 - open), t + open,
		               (int)(close + 1 - p), t + p);
	else
		kueri_err_hint(err, "write '' for an apostrophe inside text");
	return 1;
}

/* A bare word where a value belongs: "name eq ACEH", "name eq ACEH BESAR". */
static int
bare_word_hint(kueri_err *err, const char *t, size_t n, size_t p)
{
	size_t ws, wn, os, on, ls, ln, vs, ve;

	if (p >= n || !identc((unsigned char)t[p]) || isdigit((unsigned char)t[p]))
		return 0;
	word_before(t, p, &os, &on);
	vs = p;
	if (on > 0 && !is_cmp(t, os, on)) {
		/* "ACEH BESAR": the word before is the value's first word */
		ws = os;
		wn = on;
		word_before(t, ws, &os, &on);
		if (on == 0 || !is_cmp(t, os, on))
			return 0;
		vs = ws;
		(void)wn;
	}
	if (on == 0)
		return 0;
	word_before(t, os, &ls, &ln);
	/* the value: words and spaces up to an operator word or ')' */
	ve = p + word_at(t, n, p);
	for (;;) {
		size_t s = ve, k;

		while (s < n && t[s] == ' ')
			s++;
		k = word_at(t, n, s);
		if (k == 0 || is_word(t, s, k, "and") || is_word(t, s, k, "or"))
			break;
		ve = s + k;
	}
	if (ve - vs > 60 || ln == 0)
		kueri_err_hint(err, "put text in single quotes: name eq 'ACEH'");
	else
		kueri_err_hint(err, "put text in single quotes: %.*s %.*s '%.*s'",
		               (int)ln, t + ls, (int)on, t + os, (int)(ve - vs),
		               t + vs);
	return 1;
}

static void
excerpt(kueri_err *err, const char *t, size_t n, size_t p)
{
	size_t s = 0, e = n, i, k = 0;
	int    col = 0;

	if (n > EXCERPT_MAX) {
		s = p > EXCERPT_MAX / 2 ? p - EXCERPT_MAX / 2 : 0;
		while (s > 0 && ((unsigned char)t[s] & 0xC0) == 0x80)
			s--;
		e = s + EXCERPT_MAX < n ? s + EXCERPT_MAX : n;
		while (e < n && ((unsigned char)t[e] & 0xC0) == 0x80)
			e--;
	}
	if (s > 0) {
		memcpy(err->excerpt, "...", 3);
		k = 3;
		col = 3;
	}
	for (i = s; i < e && k + 4 < sizeof err->excerpt; i++) {
		unsigned char c = (unsigned char)t[i];

		err->excerpt[k++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		/* the caret counts characters, not bytes */
		if (i < p && (c & 0xC0) != 0x80)
			col++;
	}
	if (e < n && k + 3 < sizeof err->excerpt) {
		memcpy(err->excerpt + k, "...", 3);
		k += 3;
	}
	err->excerpt[k] = '\0';
	err->caret = col;
}

void
kq_hint(kueri_err *err, const char *t, size_t n)
{
	size_t p, ns, nn, qs, qe;

	if (err->pos < 0 || (size_t)err->pos > n || t == NULL)
		return;
	p = (size_t)err->pos;
	excerpt(err, t, n, p);
	if (err->hint[0] || err->code == KUERI_ENOMEM)
		return;
	if (p < n && t[p] == '%') {
		/* "name like '%MAKMUR%'" typed in an address bar */
		size_t i, q = 0;
		int    in = 0;

		for (i = 0; i < p; i++)
			if (t[i] == '\'') {
				if (!in)
					q = i;
				in = !in;
			}
		if (in && string_after(t, n, q, &qs, &qe) &&
		    name_before_op(t, qs, &ns, &nn))
			contains_hint(err, "'%' is not a wildcard in OData: ", t, ns,
			              nn, qs + 1, qe - qs - 1);
		else
			kueri_err_hint(err, "write %%25 for a '%%' sign");
		return;
	}
	if (p < n && strchr("=<>!", t[p])) {
		operator_hint(err, t, n, p);
		return;
	}
	/* the word-level slips only where the parser met a word it could
	 * not use: not inside a literal it rejected for its own reasons */
	if (strncmp(err->msg, "unknown property", 16) != 0 &&
	    strncmp(err->msg, "expected an operator", 20) != 0 &&
	    strncmp(err->msg, "unsupported typed literal", 25) != 0)
		return;
	if (apostrophe_hint(err, t, n, p))
		return;
	if (p < n && is_word(t, p, word_at(t, n, p), "like")) {
		word_before(t, p, &ns, &nn);
		if (string_after(t, n, p + 4, &qs, &qe))
			contains_hint(err, "", t, ns, nn, qs + 1, qe - qs - 1);
		else
			contains_hint(err, "", t, ns, nn, 0, 0);
		return;
	}
	bare_word_hint(err, t, n, p);
}

void
kq_hint_opt(kueri_err *err, const kq_options *o)
{
	int i;

	if (err->target[0] == '\0' || err->excerpt[0])
		return;
	for (i = 0; i < KQ_O__MAX; i++)
		if (o->val[i] && strcmp(kq_option_name(i), err->target) == 0) {
			kq_hint(err, o->val[i], o->len[i]);
			return;
		}
}

int
kq_unknown_set(kportal *p, const char *name, kueri_err *err)
{
	kq_name    *names = kq_set_names(p);
	const char *best = NULL;
	size_t      n = strlen(name), bestd = 999;
	size_t      lim = n / 3 > 2 ? n / 3 : 2;
	int         i, ns = portal_nsets(p);

	/* one wording for every unknown name; the suggestions come from the
	 * published (public) sets only */
	kueri_err_set(err, KUERI_ENOTFOUND, -1, "resource '%.64s' not found",
	              name);
	for (i = 0; names && i < ns; i++) {
		size_t d = kq_editdist(name, n, names[i].s, strlen(names[i].s));

		/* case slips count as one edit at most */
		if (strcasecmp(name, names[i].s) == 0)
			d = 1;
		if (d < bestd) {
			bestd = d;
			best = names[i].s;
		}
	}
	if (best && bestd <= lim)
		kueri_err_hint(err, "did you mean %s?", best);
	free(names);
	return -1;
}
