/*
 * parse_apply.c -- the $apply option (Data Aggregation Extension,
 * chapter 3) → a list of kq_trans, one per transformation separated by
 * '/'.  Expressions inside (filter, aggregate, compute, orderby) are
 * parse.c's commonExpr, reached through kq_parse_expr; the token helpers
 * it shares with parse.c are declared in kq_int.h.  Only parsing: names
 * and types are checked by apply.c in the resolve stage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_int.h"

static const char *const apply_unimpl[] = {
	"concat", "expand", "join", "outerjoin", "nest", "from", "rollup",
	"topcount", "bottomcount", "toppercent", "bottompercent", "topsum",
	"bottomsum", "ancestors", "descendants", "traverse", "addnested",
};

static int
count_arg(kq_parser *p, long long *out)
{
	if (p->tok.type != TK_INT) {
		kq_expected(p, "a non-negative integer");
		return -1;
	}
	if (p->tok.n > 18) {
		kq_perr(p, KUERI_EBADREQ, p->tok.pos, "count too large");
		return -1;
	}
	*out = strtoll(p->tok.s, NULL, 10);
	if (kq_next(p) < 0 || kq_expect(p, TK_RPAREN) < 0)
		return -1;
	return 0;
}

/* aggregate( item, ... ) after '(' up to ')' (not consumed). */
static int
agglist(kq_parser *p, kq_trans *t)
{
	static const struct { const char *name; kq_aggm m; } methods[] = {
		{ "sum", AG_SUM }, { "min", AG_MIN }, { "max", AG_MAX },
		{ "average", AG_AVERAGE }, { "countdistinct", AG_COUNTDISTINCT },
	};

	for (;;) {
		kq_agg *g;
		size_t  i, pos = p->tok.pos;

		if ((t->aggs = kq_grow(p, t->aggs, t->naggs, sizeof(*t->aggs))) == NULL)
			return -1;
		g = &t->aggs[t->naggs];
		g->pos = pos;
		if (p->tok.type == TK_DOLLAR && kq_tokeq(&p->tok, "$count")) {
			g->method = AG_COUNT;
			if (kq_next(p) < 0)
				return -1;
		} else {
			if ((g->e = kq_parse_expr(p)) == NULL)
				return -1;
			if (!kq_is_kw(p, "with")) {
				if (kq_is_kw(p, "as")) {
					kq_perr(p, KUERI_EBADREQ, p->tok.pos,
					     "no custom aggregates are declared, so 'with' "
					     "and an aggregation method are required");
					return -1;
				}
				kq_expected(p, "'with' and an aggregation method");
				return -1;
			}
			if (kq_next(p) < 0)
				return -1;
			if (p->tok.type != TK_IDENT) {
				kq_expected(p, "an aggregation method");
				return -1;
			}
			for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
				if (kq_tokeq(&p->tok, methods[i].name))
					break;
			if (i == sizeof(methods) / sizeof(methods[0])) {
				kueri_err_set(p->err,
				    memchr(p->tok.s, '.', p->tok.n) ? KUERI_ENOTIMPL
				                                    : KUERI_EBADREQ,
				    (long long)p->tok.pos,
				    "unknown aggregation method '%.*s' at position %zu "
				    "(sum, min, max, average, countdistinct)",
				    (int)(p->tok.n > 40 ? 40 : p->tok.n), p->tok.s,
				    p->tok.pos);
				return -1;
			}
			g->method = methods[i].m;
			if (kq_next(p) < 0)
				return -1;
		}
		if (!kq_is_kw(p, "as")) {
			kq_expected(p, "'as' and an alias (required)");
			return -1;
		}
		if (kq_next(p) < 0)
			return -1;
		if (p->tok.type != TK_IDENT || memchr(p->tok.s, '.', p->tok.n)) {
			kq_expected(p, "an alias after 'as'");
			return -1;
		}
		g->alias = ku_strndup(p->arena, p->tok.s, p->tok.n);
		g->alias_n = p->tok.n;
		g->pos = p->tok.pos;
		if (g->alias == NULL)
			return kueri_err_set(p->err, KUERI_ENOMEM, -1, "out of memory");
		t->naggs++;
		if (kq_next(p) < 0)
			return -1;
		if (kq_is_kw(p, "from")) {
			kq_perr(p, KUERI_ENOTIMPL, p->tok.pos, "'from' in aggregate is not "
			     "supported");
			return -1;
		}
		if (p->tok.type == TK_COMMA) {
			if (kq_next(p) < 0)
				return -1;
			continue;
		}
		if (p->tok.type != TK_RPAREN) {
			kq_expected(p, "',' or ')'");
			return -1;
		}
		return 0;
	}
}

/* search( text ): raw text up to the matching ')', phrases honoured. */
static int
search_arg(kq_parser *p, kq_trans *t)
{
	size_t i = p->tok.pos + p->tok.n;   /* just after '(' */
	size_t start = i;
	int    depth = 0, inq = 0;

	for (; i < p->len; i++) {
		char c = p->src[i];

		if (inq) {
			if (c == inq)
				inq = 0;
			continue;
		}
		if (c == '"' || c == '\'')
			inq = c;
		else if (c == '(')
			depth++;
		else if (c == ')') {
			if (depth == 0)
				break;
			depth--;
		}
	}
	if (i >= p->len) {
		kq_perr(p, KUERI_ESYNTAX, start, "unterminated search(");
		return -1;
	}
	t->search = p->src + start;
	t->search_n = i - start;
	t->search_pos = start;
	/* continue lexing at the ')' */
	p->tok.pos = i;
	p->tok.n = 0;
	p->tok.type = TK_OTHER;
	if (kq_lex(p->src, p->len, i, &p->tok, p->err) < 0)
		return -1;
	return kq_next(p);
}

static int
transformation(kq_parser *p, kq_trans *t)
{
	kq_tok kw = p->tok;
	size_t i;

	t->pos = kw.pos;
	if (kw.type != TK_IDENT) {
		kq_expected(p, "a transformation such as groupby( or filter(");
		return -1;
	}
	if (kq_tokeq(&kw, "identity")) {
		t->kind = TR_IDENTITY;
		return kq_next(p);
	}
	if (kq_next(p) < 0)
		return -1;
	if (p->tok.type != TK_LPAREN) {
		for (i = 0; i < sizeof(apply_unimpl) / sizeof(apply_unimpl[0]); i++)
			if (kq_tokeq(&kw, apply_unimpl[i]))
				goto unimpl;
		kq_expected(p, "'(' after the transformation name");
		return -1;
	}
	if (kq_tokeq(&kw, "search")) {
		t->kind = TR_SEARCH;
		return search_arg(p, t);
	}
	if (kq_next(p) < 0)
		return -1;
	if (kq_tokeq(&kw, "aggregate")) {
		t->kind = TR_AGGREGATE;
		if (agglist(p, t) < 0)
			return -1;
		return kq_next(p);
	}
	if (kq_tokeq(&kw, "groupby")) {
		t->kind = TR_GROUPBY;
		if (p->tok.type != TK_LPAREN) {
			kq_expected(p, "'(' and the grouping properties");
			return -1;
		}
		if (kq_next(p) < 0)
			return -1;
		if (p->tok.type == TK_IDENT && kq_tokeq(&p->tok, "rollup"))
			goto unimpl_at;
		if ((t->ngroup = kq_namelist(p, &t->group, TK_RPAREN, 0)) < 0)
			return -1;
		if (kq_next(p) < 0)
			return -1;
		if (p->tok.type == TK_COMMA) {
			if (kq_next(p) < 0)
				return -1;
			if (!kq_is_kw(p, "aggregate")) {
				kq_perr(p, KUERI_ENOTIMPL, p->tok.pos,
				     "only aggregate(...) is supported inside groupby");
				return -1;
			}
			if (kq_next(p) < 0 || kq_expect(p, TK_LPAREN) < 0 ||
			    agglist(p, t) < 0 || kq_next(p) < 0)
				return -1;
			if (p->tok.type == TK_SLASH) {
				kq_perr(p, KUERI_ENOTIMPL, p->tok.pos,
				     "transformation sequences inside groupby are not "
				     "supported");
				return -1;
			}
		}
		return kq_expect(p, TK_RPAREN);
	}
	if (kq_tokeq(&kw, "filter")) {
		t->kind = TR_FILTER;
		if ((t->e = kq_parse_expr(p)) == NULL)
			return -1;
		return kq_expect(p, TK_RPAREN);
	}
	if (kq_tokeq(&kw, "orderby")) {
		t->kind = TR_ORDERBY;
		if ((t->nkeys = kq_parse_orderby(p, &t->keys, TK_RPAREN)) < 0)
			return -1;
		return kq_next(p);
	}
	if (kq_tokeq(&kw, "compute")) {
		t->kind = TR_COMPUTE;
		if ((t->ncomp = kq_parse_compute(p, &t->comp, TK_RPAREN)) < 0)
			return -1;
		return kq_next(p);
	}
	if (kq_tokeq(&kw, "top")) {
		t->kind = TR_TOP;
		return count_arg(p, &t->count);
	}
	if (kq_tokeq(&kw, "skip")) {
		t->kind = TR_SKIP;
		return count_arg(p, &t->count);
	}
	for (i = 0; i < sizeof(apply_unimpl) / sizeof(apply_unimpl[0]); i++)
		if (kq_tokeq(&kw, apply_unimpl[i]))
			goto unimpl;
	kueri_err_set(p->err, memchr(kw.s, '.', kw.n) ? KUERI_ENOTIMPL
	                                              : KUERI_EBADREQ,
	    (long long)kw.pos, "unknown transformation '%.*s' at position %zu",
	    (int)(kw.n > 40 ? 40 : kw.n), kw.s, kw.pos);
	return -1;
unimpl_at:
	kw = p->tok;
unimpl:
	kueri_err_set(p->err, KUERI_ENOTIMPL, (long long)kw.pos,
	    "the transformation '%.*s' at position %zu is not supported",
	    (int)(kw.n > 40 ? 40 : kw.n), kw.s, kw.pos);
	return -1;
}

int
kq_parse_apply(kq_parser *p, kq_trans **out)
{
	kq_trans *v = NULL;
	int       n = 0;

	if (kq_next(p) < 0)
		return -1;
	if (p->tok.type == TK_EOF) {
		kq_perr(p, KUERI_ESYNTAX, 0, "empty $apply");
		return -1;
	}
	for (;;) {
		if ((v = kq_grow(p, v, n, sizeof(*v))) == NULL)
			return -1;
		memset(&v[n], 0, sizeof(v[n]));
		if (transformation(p, &v[n]) < 0)
			return -1;
		n++;
		if (n > 32) {
			kq_perr(p, KUERI_ELIMIT, p->tok.pos,
			     "more than 32 transformations (limit)");
			return -1;
		}
		if (p->tok.type == TK_SLASH) {
			if (kq_next(p) < 0)
				return -1;
			continue;
		}
		if (p->tok.type != TK_EOF) {
			kq_expected(p, "'/' or end of input");
			return -1;
		}
		break;
	}
	*out = v;
	return n;
}
