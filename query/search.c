/*
 * search.c -- $search (URL 5.1.8) → SQL over FTS5, never exposing FTS5's
 * own query syntax to the user.
 *
 *   or    := and { 'OR' and }
 *   and   := unary { ['AND'] unary }         (a space is an implicit AND)
 *   unary := 'NOT' unary | '(' or ')' | "phrase" | word
 *
 * Keywords are upper-case only ("and" is a word).  A word is any run of
 * characters other than space, parentheses and '"', so `*`, `col:term`,
 * `^` and NEAR are plain words.  Every term is emitted as an FTS5 string
 * "..." (quotes doubled), so nothing the user types is FTS5 syntax.
 *
 * FTS5 has only a binary NOT ("a NOT b"), so a subtree is turned into one
 * MATCH string when it can be (terms, AND, OR, "x AND NOT y"); otherwise
 * its parts become `rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)`
 * combined with SQL's AND/OR/NOT.
 */
#include <stdio.h>
#include <string.h>

#include "kq_int.h"

enum { S_TERM, S_AND, S_OR, S_NOT };

typedef struct snode snode;
struct snode {
	int         k;
	const char *s;      /* term text (phrase unescaped) */
	size_t      n;
	snode      *a, *b;
};

typedef struct sparser {
	ku_arena   *arena;
	const char *src;
	size_t      len, i;
	int         nodes, max_nodes, depth;
	kueri_err  *err;
	/* current token */
	int         tt;     /* 0 eof, '(', ')', 'A' AND, 'O' OR, 'N' NOT, 'w' */
	size_t      tpos;
	const char *ts;
	size_t      tn;
} sparser;

static int
serr(sparser *p, size_t pos, const char *msg)
{
	return kueri_err_set(p->err, KUERI_ESYNTAX, (long long)pos,
	                     "%s at position %zu in $search", msg, pos);
}

static int
snext(sparser *p)
{
	size_t i = p->i, j;

	while (i < p->len && (p->src[i] == ' ' || p->src[i] == '\t'))
		i++;
	p->tpos = i;
	if (i >= p->len) {
		p->tt = 0;
		p->i = i;
		return 0;
	}
	if (p->src[i] == '(' || p->src[i] == ')') {
		p->tt = p->src[i];
		p->i = i + 1;
		return 0;
	}
	if (p->src[i] == '"' || p->src[i] == '\'') {
		/* "phrase" (backslash escapes) or 'term' ('' escapes a quote) */
		char   q = p->src[i], *d;
		size_t k = 0;

		for (j = i + 1; j < p->len; j++) {
			if (q == '"' && p->src[j] == '\\' && j + 1 < p->len)
				j++;
			else if (p->src[j] == q) {
				if (q == '\'' && j + 1 < p->len && p->src[j + 1] == '\'') {
					j++;
					continue;
				}
				break;
			}
		}
		if (j >= p->len)
			return serr(p, i, q == '"' ? "unterminated phrase (missing '\"')"
			                           : "unterminated quoted term");
		if ((d = ku_alloc(p->arena, j - i)) == NULL)
			return kueri_err_set(p->err, KUERI_ENOMEM, -1, "out of memory");
		for (size_t m = i + 1; m < j; m++) {
			if ((q == '"' && p->src[m] == '\\' && m + 1 < j) ||
			    (q == '\'' && p->src[m] == '\'' && m + 1 < j))
				m++;
			d[k++] = p->src[m];
		}
		if (k == 0)
			return serr(p, i, "empty phrase");
		if (j + 1 < p->len && p->src[j + 1] != ' ' && p->src[j + 1] != '\t' &&
		    p->src[j + 1] != ')')
			return serr(p, j + 1, "a phrase must be followed by a space or ')'");
		p->tt = 'w';
		p->ts = d;
		p->tn = k;
		p->i = j + 1;
		return 0;
	}
	for (j = i; j < p->len && p->src[j] != ' ' && p->src[j] != '\t' &&
	            p->src[j] != '(' && p->src[j] != ')' && p->src[j] != '"'; j++)
		;
	p->ts = p->src + i;
	p->tn = j - i;
	p->i = j;
	p->tt = 'w';
	if (p->tn == 3 && memcmp(p->ts, "AND", 3) == 0)
		p->tt = 'A';
	else if (p->tn == 2 && memcmp(p->ts, "OR", 2) == 0)
		p->tt = 'O';
	else if (p->tn == 3 && memcmp(p->ts, "NOT", 3) == 0)
		p->tt = 'N';
	return 0;
}

/* Does a term start at the next token?  AND/OR/NOT are operators only
 * when a term follows; otherwise they are plain words ("AND", "NOT NOT"). */
static int
peek_term(sparser *p)
{
	sparser save = *p;
	int     r, tt;

	kueri_err e;
	save.err = &e;
	kueri_err_clear(&e);
	r = snext(&save);
	tt = save.tt;
	return r < 0 || tt == 'w' || tt == '(' || tt == 'N' || tt == 'A' ||
	       tt == 'O';
}

static snode *
snew(sparser *p, int k)
{
	snode *n;

	if (++p->nodes > p->max_nodes) {
		kueri_err_set(p->err, KUERI_ELIMIT, (long long)p->tpos,
		    "$search has more than %d terms and operators (limit)",
		    p->max_nodes);
		return NULL;
	}
	if ((n = ku_alloc(p->arena, sizeof(*n))) == NULL)
		kueri_err_set(p->err, KUERI_ENOMEM, -1, "out of memory");
	else
		n->k = k;
	return n;
}

static snode *s_or(sparser *p);

static snode *
s_unary(sparser *p)
{
	snode *n;

	if (p->depth > 32) {
		kueri_err_set(p->err, KUERI_ELIMIT, (long long)p->tpos,
		    "$search nesting is deeper than 32 (limit) at position %zu",
		    p->tpos);
		return NULL;
	}
	if (p->tt == 'A' || p->tt == 'O' || (p->tt == 'N' && !peek_term(p)))
		p->tt = 'w';            /* a keyword with nothing to apply to */
	switch (p->tt) {
	case 'N':
		if ((n = snew(p, S_NOT)) == NULL || snext(p) < 0)
			return NULL;
		p->depth++;
		n->a = s_unary(p);
		p->depth--;
		return n->a ? n : NULL;
	case '(':
		if (snext(p) < 0)
			return NULL;
		p->depth++;
		n = s_or(p);
		p->depth--;
		if (n == NULL)
			return NULL;
		if (p->tt != ')') {
			serr(p, p->tpos, "expected ')'");
			return NULL;
		}
		if (snext(p) < 0)
			return NULL;
		return n;
	case 'w':
		if ((n = snew(p, S_TERM)) == NULL)
			return NULL;
		n->s = p->ts;
		n->n = p->tn;
		return snext(p) < 0 ? NULL : n;
	case 0:
		serr(p, p->tpos, "expected a search term, found end of input");
		return NULL;
	default:
		serr(p, p->tpos, p->tt == ')' ? "unexpected ')'"
		                 : "expected a search term before AND/OR");
		return NULL;
	}
}

static snode *
s_and(sparser *p)
{
	snode *a = s_unary(p);

	while (a && p->tt != 0 && p->tt != ')' &&
	       !(p->tt == 'O' && peek_term(p))) {
		snode *n = snew(p, S_AND);

		if (n == NULL)
			return NULL;
		if (p->tt == 'A' && peek_term(p) && snext(p) < 0)
			return NULL;
		n->a = a;
		if ((n->b = s_unary(p)) == NULL)
			return NULL;
		a = n;
	}
	return a;
}

static snode *
s_or(sparser *p)
{
	snode *a = s_and(p);

	while (a && p->tt == 'O' && peek_term(p)) {
		snode *n = snew(p, S_OR);

		if (n == NULL || snext(p) < 0)
			return NULL;
		n->a = a;
		if ((n->b = s_and(p)) == NULL)
			return NULL;
		a = n;
	}
	return a;
}

/* FTS5 query text for a subtree, or -1 when FTS5 cannot say it. */
static int
fts_str(const snode *n, ku_buf *b)
{
	size_t i;

	switch (n->k) {
	case S_TERM:
		ku_buf_add(b, "\"", 1);
		for (i = 0; i < n->n; i++) {
			if (n->s[i] == '"')
				ku_buf_add(b, "\"", 1);
			ku_buf_add(b, n->s + i, 1);
		}
		ku_buf_add(b, "\"", 1);
		return 0;
	case S_OR:
	case S_AND: {
		const snode *x = n->a, *y = n->b;
		const char  *op = n->k == S_OR ? " OR " : " AND ";

		if (n->k == S_AND && x->k == S_NOT && y->k != S_NOT) {
			x = n->b;
			y = n->a;
		}
		if (x->k == S_NOT)
			return -1;
		if (y->k == S_NOT) {
			if (n->k == S_OR)
				return -1;
			op = " NOT ";
			y = y->a;
		}
		ku_buf_add(b, "(", 1);
		if (fts_str(x, b) < 0)
			return -1;
		ku_buf_puts(b, ")");
		ku_buf_puts(b, op);
		ku_buf_puts(b, "(");
		if (fts_str(y, b) < 0)
			return -1;
		ku_buf_puts(b, ")");
		return 0;
	}
	default:
		return -1;
	}
}

typedef struct sgen {
	ku_arena   *arena;
	const char *fts, *rowid;
	ku_buf     *sql;
	kq_binds   *binds;
} sgen;

static int
s_sql(sgen *g, const snode *n)
{
	ku_buf q = { 0 };

	if (fts_str(n, &q) == 0 && !q.oom) {
		char   *s = ku_strndup(g->arena, q.s, q.n);
		kq_bind v = { KB_TEXT, 0, 0, s, q.n, 0 };

		ku_buf_free(&q);
		if (s == NULL)
			return -1;
		if (kq_binds_add(g->binds, &v) < 0)
			return -1;
		ku_buf_printf(g->sql, "(%s IN (SELECT rowid FROM %s WHERE %s "
		              "MATCH ?%d))", g->rowid, g->fts, g->fts, g->binds->n);
		return 0;
	}
	ku_buf_free(&q);
	switch (n->k) {
	case S_NOT:
		ku_buf_puts(g->sql, "(NOT ");
		if (s_sql(g, n->a) < 0)
			return -1;
		ku_buf_puts(g->sql, ")");
		return 0;
	case S_AND:
	case S_OR:
		ku_buf_puts(g->sql, "(");
		if (s_sql(g, n->a) < 0)
			return -1;
		ku_buf_puts(g->sql, n->k == S_AND ? " AND " : " OR ");
		if (s_sql(g, n->b) < 0)
			return -1;
		ku_buf_puts(g->sql, ")");
		return 0;
	default:
		return -1;
	}
}


/* The parse stage's half: $search text → its tree (in the arena). */
kq_search *
kq_search_parse(ku_arena *a, const char *text, size_t len, int max_nodes,
                kueri_err *err)
{
	sparser p;
	snode  *root;

	memset(&p, 0, sizeof(p));
	p.arena = a;
	p.src = text;
	p.len = len;
	p.max_nodes = max_nodes;
	p.err = err;
	if (snext(&p) < 0)
		return NULL;
	if (p.tt == 0) {
		serr(&p, 0, "empty $search");
		return NULL;
	}
	if ((root = s_or(&p)) == NULL)
		return NULL;
	if (p.tt != 0) {
		serr(&p, p.tpos, p.tt == ')' ? "unbalanced ')'"
		                             : "unexpected search operator");
		return NULL;
	}
	return (kq_search *)root;
}

/* The codegen stage's half: the tree → SQL over rowid_expr + binds. */
int
kq_search_emit(ku_arena *a, const kq_search *t, const char *fts,
               const char *rowid_expr, ku_buf *sql, kq_binds *binds,
               kueri_err *err)
{
	sgen g = { a, fts, rowid_expr, sql, binds };

	if (s_sql(&g, (const snode *)t) < 0 || sql->oom || binds->oom)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	return 0;
}
