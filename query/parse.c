/*
 * parse.c -- tokens → AST, by precedence climbing after Lua's lparser.c
 * (subexpr / priority[] / enterlevel).
 *
 * Grammar (URL 5.1.1, ABNF commonExpr), highest precedence first:
 *   primary  := '(' expr ')' | literal | name | name '(' args ')'
 *               | primary 'in' '(' literal, ... ')'
 *   unary    := 'not' unary | '-' unary | primary
 *   expr     := unary { binop expr }   with priority[] below, left-assoc.
 *
 * Limits: every subexpr() enters one level (depth ≤ max_depth) and every
 * node is counted (≤ max_nodes); both fail with a 400 *before* any
 * recursion could overflow the C stack (each level costs well under 1 KiB
 * and max_depth is small).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kq_int.h"

/* ---------------------------------------------------------------- tables */

static const struct binop {
	const char *kw;
	kq_op       op;
	int         pri;
} binops[] = {
	{ "or", O_OR, 1 },    { "and", O_AND, 2 },
	{ "eq", O_EQ, 3 },    { "ne", O_NE, 3 },
	{ "gt", O_GT, 4 },    { "ge", O_GE, 4 },   { "lt", O_LT, 4 },
	{ "le", O_LE, 4 },    { "has", O_HAS, 4 },
	{ "add", O_ADD, 5 },  { "sub", O_SUB, 5 },
	{ "mul", O_MUL, 6 },  { "div", O_DIV, 6 }, { "divby", O_DIVBY, 6 },
	{ "mod", O_MOD, 6 },
};
#define UNARY_PRI 7

/* Valid OData we do not implement: 501, not "unknown function". */
static const char *const fn_unimpl[] = {
	"hassubset", "hassubsequence",
	"geo.distance", "geo.intersects", "geo.length", "any", "all",
};


/* Primitive type names for cast/isof. */
static const struct { const char *name; kq_type t; } typenames[] = {
	{ "Edm.String", KT_STRING },     { "Edm.Int64", KT_INT },
	{ "Edm.Int32", KT_INT32 },       { "Edm.Int16", KT_INT32 },
	{ "Edm.Byte", KT_INT32 },        { "Edm.SByte", KT_INT32 },
	{ "Edm.Double", KT_DOUBLE },     { "Edm.Single", KT_DOUBLE },
	{ "Edm.Decimal", KT_DECIMAL },   { "Edm.Boolean", KT_BOOL },
	{ "Edm.Date", KT_DATE },         { "Edm.DateTimeOffset", KT_DATETIME },
	{ "Edm.TimeOfDay", KT_TIME },    { "Edm.Duration", KT_DURATION },
	{ "Edm.Guid", KT_GUID },
};

/* ---------------------------------------------------------------- state */

void
kq_parser_init(kq_parser *p, ku_arena *a, const char *src, size_t len,
               int max_depth, int max_nodes, kueri_err *err)
{
	memset(p, 0, sizeof(*p));
	p->arena = a;
	p->src = src;
	p->len = len;
	p->max_depth = max_depth;
	p->max_nodes = max_nodes;
	p->err = err;
	p->tok.type = TK_EOF;
}

int
kq_next(kq_parser *p)
{
	size_t at = p->tok.n || p->tok.pos ? p->tok.pos + p->tok.n : 0;

	return kq_lex(p->src, p->len, at, &p->tok, p->err);
}

int
kq_is_kw(const kq_parser *p, const char *kw)
{
	size_t n = strlen(kw);

	return p->tok.type == TK_IDENT && p->tok.n == n &&
	       strncasecmp(p->tok.s, kw, n) == 0;
}

static int
tokeq(const kq_tok *t, const char *kw)
{
	size_t n = strlen(kw);

	return t->n == n && strncasecmp(t->s, kw, n) == 0;
}

/* "found X" text for messages: the token's own text, truncated. */
static void
tokdesc(const kq_tok *t, char *buf, size_t len)
{
	if (t->type == TK_EOF)
		snprintf(buf, len, "end of input");
	else
		snprintf(buf, len, "'%.*s'", (int)(t->n > 40 ? 40 : t->n), t->s);
}

static void *
perr(kq_parser *p, kueri_code code, size_t pos, const char *msg)
{
	kueri_err_set(p->err, code, (long long)pos, "%s at position %zu", msg,
	              pos);
	return NULL;
}

static void *
expected(kq_parser *p, const char *what)
{
	char found[64];

	tokdesc(&p->tok, found, sizeof(found));
	kueri_err_set(p->err, KUERI_ESYNTAX, (long long)p->tok.pos,
	    "expected %s at position %zu, found %s", what, p->tok.pos, found);
	return NULL;
}

static int
expect(kq_parser *p, kq_tokt t)
{
	if (p->tok.type != t) {
		expected(p, kq_tok_name(t));
		return -1;
	}
	return kq_next(p);
}

static kq_node *
node(kq_parser *p, kq_nodek k, size_t pos)
{
	kq_node *n;

	if (++p->nodes > p->max_nodes) {
		kueri_err_set(p->err, KUERI_ELIMIT, (long long)pos,
		    "expression has more than %d nodes (limit) at position %zu",
		    p->max_nodes, pos);
		return NULL;
	}
	if ((n = ku_alloc(p->arena, sizeof(*n))) == NULL) {
		kueri_err_set(p->err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	n->kind = k;
	n->pos = pos;
	n->col = -1;
	return n;
}

static int
enterlevel(kq_parser *p)
{
	if (++p->depth > p->max_depth) {
		kueri_err_set(p->err, KUERI_ELIMIT, (long long)p->tok.pos,
		    "expression nesting is deeper than %d (limit) at position %zu",
		    p->max_depth, p->tok.pos);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- literals */

/* Unescape a '...' token ('' → ') into the arena. */
static int
unquote(kq_parser *p, const kq_tok *t, const char **out, size_t *outn)
{
	char  *d;
	size_t i, k = 0;

	if ((d = ku_alloc(p->arena, t->n)) == NULL)
		return kueri_err_set(p->err, KUERI_ENOMEM, -1, "out of memory");
	for (i = 1; i + 1 < t->n; i++) {
		d[k++] = t->s[i];
		if (t->s[i] == '\'')
			i++;
	}
	d[k] = '\0';
	*out = d;
	*outn = k;
	return 0;
}

/*
 * Literal token → node.  `neg` folds a preceding '-' into numbers so that
 * -9223372036854775808 is representable.  Integers beyond Int64 become
 * Edm.Decimal (ABNF decimalValue), infinite results of huge exponents are
 * refused.
 */
static kq_node *
literal(kq_parser *p, int neg, size_t pos)
{
	kq_tok   t = p->tok;
	kq_node *n;
	char     buf[64];

	if ((n = node(p, N_LIT, pos)) == NULL)
		return NULL;
	if (t.n > 1 && t.s[0] == '+') {     /* explicit plus sign */
		t.s++;
		t.n--;
	}
	switch (t.type) {
	case TK_STRING:
		n->lt = KT_STRING;
		if (unquote(p, &t, &n->s, &n->n) < 0)
			return NULL;
		break;
	case TK_INT: {
		unsigned long long v = 0, lim = neg ? 9223372036854775808ULL
		                                    : 9223372036854775807ULL;
		size_t             i;
		int                over = 0;

		for (i = 0; i < t.n; i++) {
			unsigned d = (unsigned)(t.s[i] - '0');

			if (v > (lim - d) / 10) {
				over = 1;
				break;
			}
			v = v * 10 + d;
		}
		if (!over) {
			n->lt = KT_INT;
			n->ival = neg ? (long long)(0 - v) : (long long)v;
			if (neg && v == 9223372036854775808ULL)
				n->ival = (-9223372036854775807LL - 1);
			break;
		}
		/* too big for Int64, so a decimal (ABNF decimalValue) */
	}
		__attribute__((fallthrough));
	case TK_DECIMAL:
	case TK_DOUBLE:
		if (t.n == 3 && memcmp(t.s, "INF", 3) == 0) {
			n->lt = KT_DOUBLE;
			n->dval = neg ? -INFINITY : INFINITY;
			break;
		}
		if (t.n == 3 && memcmp(t.s, "NaN", 3) == 0) {
			if (neg)
				return perr(p, KUERI_ESYNTAX, pos, "'-NaN' is not a number");
			n->lt = KT_DOUBLE;
			n->dval = NAN;
			break;
		}
		if (t.n >= sizeof(buf)) {
			/* Long digit strings: only the magnitude matters to a double. */
			char *tmp = ku_strndup(p->arena, t.s, t.n);

			if (tmp == NULL)
				return perr(p, KUERI_ENOMEM, pos, "out of memory");
			n->dval = strtod(tmp, NULL);
		} else {
			memcpy(buf, t.s, t.n);
			buf[t.n] = '\0';
			n->dval = strtod(buf, NULL);
		}
		if (isinf(n->dval))
			return perr(p, KUERI_ESYNTAX, pos,
			            "numeric literal out of range (beyond ±1.7976931348623157e308)");
		if (neg)
			n->dval = -n->dval;
		n->lt = t.type == TK_DOUBLE ? KT_DOUBLE : KT_DECIMAL;
		break;
	case TK_DATE:
		n->lt = KT_DATE;
		n->s = t.s;
		n->n = t.n;
		break;
	case TK_DATETIME:
		n->lt = KT_DATETIME;
		n->s = t.s;
		n->n = t.n;
		break;
	case TK_TIME: {
		/* Normalise to hh:mm:ss[.f] so text comparison is time order. */
		char  *d = ku_alloc(p->arena, t.n + 4);
		size_t k = t.n;

		if (d == NULL)
			return perr(p, KUERI_ENOMEM, pos, "out of memory");
		memcpy(d, t.s, t.n);
		if (t.n == 5) {
			memcpy(d + 5, ":00", 3);
			k = 8;
		}
		if (k > 8) {           /* drop trailing zeros of the fraction */
			while (d[k - 1] == '0')
				k--;
			if (d[k - 1] == '.')
				k--;
		}
		d[k] = '\0';
		n->lt = KT_TIME;
		n->s = d;
		n->n = k;
		break;
	}
	case TK_GUID: {
		/* hex digits in any case are one value: compare lower-case */
		char  *d = ku_strndup(p->arena, t.s, t.n);
		size_t k;

		if (d == NULL)
			return perr(p, KUERI_ENOMEM, pos, "out of memory");
		for (k = 0; k < t.n; k++)
			if (d[k] >= 'A' && d[k] <= 'F')
				d[k] = (char)(d[k] - 'A' + 'a');
		n->lt = KT_GUID;
		n->s = d;
		n->n = t.n;
		break;
	}
	case TK_DURATION: {
		const char *q = memchr(t.s, '\'', t.n);

		n->lt = KT_DURATION;
		n->s = q + 1;
		n->n = (size_t)(t.s + t.n - 1 - (q + 1));
		break;
	}
	default:
		return expected(p, "a literal");
	}
	if (neg && n->lt != KT_INT && n->lt != KT_DOUBLE && n->lt != KT_DECIMAL)
		return perr(p, KUERI_ETYPE, pos, "'-' applied to a non-numeric literal");
	if (kq_next(p) < 0)
		return NULL;
	return n;
}

static int
is_literal_tok(kq_tokt t)
{
	return t == TK_STRING || t == TK_INT || t == TK_DECIMAL ||
	       t == TK_DOUBLE || t == TK_DATE || t == TK_DATETIME ||
	       t == TK_TIME || t == TK_GUID || t == TK_DURATION;
}

/* ---------------------------------------------------------------- expressions */

static kq_node *subexpr(kq_parser *p, int limit);

/* Arguments of a call, after '(' up to and including ')'. */
static int
arglist(kq_parser *p, kq_node ***out, int *nout)
{
	kq_node **args = NULL;
	int       n = 0, cap = 0;

	*out = NULL;
	*nout = 0;
	if (p->tok.type == TK_RPAREN)
		return kq_next(p);
	for (;;) {
		kq_node *a;

		if ((a = subexpr(p, 0)) == NULL)
			return -1;
		if (n == cap) {
			kq_node **na;

			cap = cap ? cap * 2 : 4;
			if ((na = ku_alloc(p->arena, (size_t)cap * sizeof(*na))) == NULL)
				return kueri_err_set(p->err, KUERI_ENOMEM, -1, "out of memory");
			if (n)
				memcpy(na, args, (size_t)n * sizeof(*na));
			args = na;
		}
		args[n++] = a;
		if (p->tok.type == TK_COMMA) {
			if (kq_next(p) < 0)
				return -1;
			continue;
		}
		if (p->tok.type != TK_RPAREN) {
			expected(p, "',' or ')'");
			return -1;
		}
		break;
	}
	*out = args;
	*nout = n;
	return kq_next(p);
}

/* cast(expr, Edm.Type) / isof(expr, Edm.Type); current token is '('. */
static kq_node *
castcall(kq_parser *p, kq_op op, size_t pos)
{
	kq_node *n, *a;
	size_t   i;

	if ((n = node(p, N_CAST, pos)) == NULL || kq_next(p) < 0)
		return NULL;
	n->op = op;
	if (p->tok.type == TK_IDENT && memchr(p->tok.s, '.', p->tok.n) &&
	    strncmp(p->tok.s, "Edm.", 4) == 0)
		return perr(p, KUERI_ENOTIMPL, p->tok.pos,
		            "the one-argument form of cast/isof (on $it) is not "
		            "supported");
	if ((a = subexpr(p, 0)) == NULL)
		return NULL;
	n->a = a;
	if (expect(p, TK_COMMA) < 0)
		return NULL;
	if (p->tok.type != TK_IDENT)
		return expected(p, "a type name such as Edm.String");
	for (i = 0; i < sizeof(typenames) / sizeof(typenames[0]); i++)
		if (tokeq(&p->tok, typenames[i].name))
			break;
	if (i == sizeof(typenames) / sizeof(typenames[0])) {
		if (p->tok.n > 4 && strncmp(p->tok.s, "Edm.", 4) == 0)
			return perr(p, KUERI_ENOTIMPL, p->tok.pos,
			            "cast/isof to this type is not supported");
		return perr(p, KUERI_ETYPE, p->tok.pos, "unknown type name");
	}
	n->lt = typenames[i].t;
	n->s = p->tok.s;
	n->n = p->tok.n;
	if (kq_next(p) < 0 || expect(p, TK_RPAREN) < 0)
		return NULL;
	return n;
}

/* case(cond:value, ...) (4.01); current token is '('. */
static kq_node *
casecall(kq_parser *p, size_t pos)
{
	kq_node *n;

	if ((n = node(p, N_CALL, pos)) == NULL || kq_next(p) < 0)
		return NULL;
	n->fn = kq_fn_case;
	for (;;) {
		kq_node *c, *v;

		if ((c = subexpr(p, 0)) == NULL)
			return NULL;
		if (p->tok.type != TK_COLON)
			return expected(p, "':' after a case condition");
		if (kq_next(p) < 0 || (v = subexpr(p, 0)) == NULL)
			return NULL;
		if (n->nargs % 8 == 0) {
			kq_node **na = ku_alloc(p->arena,
			                        (size_t)(n->nargs + 8) * sizeof(*na));

			if (na == NULL)
				return perr(p, KUERI_ENOMEM, pos, "out of memory");
			if (n->nargs)
				memcpy(na, n->args, (size_t)n->nargs * sizeof(*na));
			n->args = na;
		}
		n->args[n->nargs++] = c;
		n->args[n->nargs++] = v;
		if (p->tok.type == TK_COMMA) {
			if (kq_next(p) < 0)
				return NULL;
			continue;
		}
		if (p->tok.type != TK_RPAREN)
			return expected(p, "',' or ')' in case()");
		break;
	}
	if (kq_next(p) < 0)
		return NULL;
	return n;
}

static kq_node *
primary(kq_parser *p)
{
	kq_tok   t = p->tok;
	kq_node *n;
	const kq_fninfo *fi;

	switch (t.type) {
	case TK_LPAREN:
		if (kq_next(p) < 0 || (n = subexpr(p, 0)) == NULL)
			return NULL;
		if (p->tok.type != TK_RPAREN)
			return expected(p, "')'");
		if (kq_next(p) < 0)
			return NULL;
		return n;
	case TK_IDENT:
		break;
	case TK_DOLLAR:
		return perr(p, KUERI_EBADREQ, t.pos,
		            "'$it', '$root' and '$count' paths are not supported");
	case TK_ALIAS:
		return perr(p, KUERI_ENOTIMPL, t.pos,
		            "parameter aliases (@name) are not supported");
	default:
		if (is_literal_tok(t.type))
			return literal(p, 0, t.pos);
		return expected(p, "an expression");
	}
	/* identifier: keyword literal, function call or property */
	if (tokeq(&t, "true") || tokeq(&t, "false")) {
		if ((n = node(p, N_LIT, t.pos)) == NULL)
			return NULL;
		n->lt = KT_BOOL;
		n->ival = tokeq(&t, "true");
		return kq_next(p) < 0 ? NULL : n;
	}
	if (tokeq(&t, "null")) {
		if ((n = node(p, N_LIT, t.pos)) == NULL)
			return NULL;
		n->lt = KT_NULL;
		return kq_next(p) < 0 ? NULL : n;
	}
	if (kq_next(p) < 0)
		return NULL;
	if (p->tok.type == TK_LPAREN) {
		if (tokeq(&t, "case"))
			return casecall(p, t.pos);
		if (tokeq(&t, "cast"))
			return castcall(p, O_CAST, t.pos);
		if (tokeq(&t, "isof"))
			return castcall(p, O_ISOF, t.pos);
		if ((fi = kq_fn_find(t.s, t.n)) == NULL) {
			size_t k;

			for (k = 0; k < sizeof(fn_unimpl) / sizeof(fn_unimpl[0]); k++)
				if (tokeq(&t, fn_unimpl[k]))
					return perr(p, KUERI_ENOTIMPL, t.pos,
					            "this function is not supported");
			if (t.n > 4 && strncasecmp(t.s, "geo.", 4) == 0)
				return perr(p, KUERI_ENOTIMPL, t.pos,
				            "geo functions are not supported");
			kueri_err_set(p->err, KUERI_ETYPE, (long long)t.pos,
			    "unknown function '%.*s' at position %zu",
			    (int)(t.n > 64 ? 64 : t.n), t.s, t.pos);
			return NULL;
		}
		if ((n = node(p, N_CALL, t.pos)) == NULL || kq_next(p) < 0)
			return NULL;
		n->fn = fi;
		if (arglist(p, &n->args, &n->nargs) < 0)
			return NULL;
		if (n->nargs < fi->min || n->nargs > fi->max) {
			if (fi->min == fi->max)
				kueri_err_set(p->err, KUERI_ETYPE, (long long)t.pos,
				    "function %s takes %d argument%s, not %d, at position %zu",
				    fi->name, fi->min,
				    fi->min == 1 ? "" : "s", n->nargs, t.pos);
			else
				kueri_err_set(p->err, KUERI_ETYPE, (long long)t.pos,
				    "function %s takes %d to %d arguments, not %d, at "
				    "position %zu", fi->name, fi->min,
				    fi->max, n->nargs, t.pos);
			return NULL;
		}
		return n;
	}
	if (p->tok.type == TK_SLASH)
		return perr(p, KUERI_EBADREQ, p->tok.pos,
		            "'/' paths are not supported: properties are primitive, "
		            "there are no navigation or complex properties");
	if ((n = node(p, N_PROP, t.pos)) == NULL)
		return NULL;
	n->s = t.s;
	n->n = t.n;
	return n;
}

/* primary [ 'in' '(' literal, ... ')' ] */
static kq_node *
postfix(kq_parser *p)
{
	kq_node *a, *n;
	size_t   pos;

	if ((a = primary(p)) == NULL)
		return NULL;
	if (!kq_is_kw(p, "in"))
		return a;
	pos = p->tok.pos;
	if ((n = node(p, N_IN, pos)) == NULL || kq_next(p) < 0)
		return NULL;
	n->a = a;
	if (p->tok.type != TK_LPAREN)
		return expected(p, "'(' after 'in'");
	if (kq_next(p) < 0)
		return NULL;
	while (p->tok.type != TK_RPAREN) {
		kq_node *item;
		size_t   ipos = p->tok.pos;
		int      neg = 0;

		if (p->tok.type == TK_MINUS) {
			neg = 1;
			if (kq_next(p) < 0)
				return NULL;
		}
		if (p->tok.type == TK_IDENT && !neg &&
		    (kq_is_kw(p, "null") || kq_is_kw(p, "true") ||
		     kq_is_kw(p, "false"))) {
			if ((item = primary(p)) == NULL)
				return NULL;
		} else if (is_literal_tok(p->tok.type)) {
			if ((item = literal(p, neg, ipos)) == NULL)
				return NULL;
		} else
			return expected(p, "a literal in the 'in' list");
		if (n->nargs % 8 == 0) {
			kq_node **na = ku_alloc(p->arena,
			                        (size_t)(n->nargs + 8) * sizeof(*na));

			if (na == NULL)
				return perr(p, KUERI_ENOMEM, pos, "out of memory");
			if (n->nargs)
				memcpy(na, n->args, (size_t)n->nargs * sizeof(*na));
			n->args = na;
		}
		n->args[n->nargs++] = item;
		if (p->tok.type == TK_COMMA) {
			if (kq_next(p) < 0)
				return NULL;
			if (p->tok.type == TK_RPAREN)
				return expected(p, "a literal after ','");
		} else if (p->tok.type != TK_RPAREN)
			return expected(p, "',' or ')' in the 'in' list");
	}
	if (kq_next(p) < 0)
		return NULL;
	return n;
}

static const struct binop *
getbinop(const kq_parser *p)
{
	size_t i;

	if (p->tok.type != TK_IDENT)
		return NULL;
	for (i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
		if (tokeq(&p->tok, binops[i].kw))
			return &binops[i];
	return NULL;
}

/* subexpr → (unop subexpr | postfix) { binop subexpr } with binop > limit */
static kq_node *
subexpr(kq_parser *p, int limit)
{
	const struct binop *op;
	kq_node            *a;

	if (enterlevel(p) < 0)
		return NULL;
	if (kq_is_kw(p, "not")) {
		size_t pos = p->tok.pos;

		if ((a = node(p, N_NOT, pos)) == NULL || kq_next(p) < 0 ||
		    (a->a = subexpr(p, UNARY_PRI)) == NULL)
			return NULL;
	} else if (p->tok.type == TK_MINUS) {
		size_t pos = p->tok.pos;

		if (kq_next(p) < 0)
			return NULL;
		if ((p->tok.type == TK_INT || p->tok.type == TK_DECIMAL ||
		     p->tok.type == TK_DOUBLE) && p->tok.pos == pos + 1) {
			/* -5 is a literal, so -9223372036854775808 fits */
			if ((a = literal(p, 1, pos)) == NULL)
				return NULL;
		} else {
			if ((a = node(p, N_NEG, pos)) == NULL ||
			    (a->a = subexpr(p, UNARY_PRI)) == NULL)
				return NULL;
		}
	} else if ((a = postfix(p)) == NULL)
		return NULL;
	while ((op = getbinop(p)) != NULL && op->pri > limit) {
		kq_node *b = node(p, N_BIN, p->tok.pos);

		if (b == NULL || kq_next(p) < 0)
			return NULL;
		b->op = op->op;
		b->a = a;
		if ((b->b = subexpr(p, op->pri)) == NULL)
			return NULL;
		a = b;
	}
	p->depth--;
	return a;
}

kq_node *
kq_parse_expr(kq_parser *p)
{
	return subexpr(p, 0);
}

kq_node *
kq_parse_full(kq_parser *p)
{
	kq_node *n;

	if (kq_next(p) < 0)
		return NULL;
	if (p->tok.type == TK_EOF)
		return perr(p, KUERI_ESYNTAX, 0, "empty expression");
	if ((n = subexpr(p, 0)) == NULL)
		return NULL;
	if (p->tok.type != TK_EOF)
		return expected(p, "an operator or end of input");
	return n;
}

/* ---------------------------------------------------------------- lists */

static void *
grow(kq_parser *p, void *old, int n, size_t sz)
{
	void *nv;

	if (n % 8)
		return old;
	if ((nv = ku_alloc(p->arena, (size_t)(n + 8) * sz)) == NULL) {
		kueri_err_set(p->err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	if (n)
		memcpy(nv, old, (size_t)n * sz);
	return nv;
}

int
kq_parse_orderby(kq_parser *p, kq_orderkey **out, kq_tokt stop)
{
	kq_orderkey *v = NULL;
	int          n = 0;

	for (;;) {
		kq_node *e;

		if ((e = subexpr(p, 0)) == NULL)
			return -1;
		if ((v = grow(p, v, n, sizeof(*v))) == NULL)
			return -1;
		v[n].e = e;
		v[n].desc = 0;
		if (kq_is_kw(p, "asc") || kq_is_kw(p, "desc")) {
			v[n].desc = kq_is_kw(p, "desc");
			if (kq_next(p) < 0)
				return -1;
		}
		n++;
		if (n > p->max_nodes) {
			kueri_err_set(p->err, KUERI_ELIMIT, (long long)p->tok.pos,
			    "more than %d $orderby keys (limit)", p->max_nodes);
			return -1;
		}
		if (p->tok.type == TK_COMMA) {
			if (kq_next(p) < 0)
				return -1;
			continue;
		}
		if (p->tok.type != stop) {
			expected(p, stop == TK_EOF ? "',', 'asc', 'desc' or end of input"
			                           : "',', 'asc', 'desc' or ')'");
			return -1;
		}
		break;
	}
	*out = v;
	return n;
}

int
kq_parse_compute(kq_parser *p, kq_compute **out, kq_tokt stop)
{
	kq_compute *v = NULL;
	int         n = 0;

	for (;;) {
		kq_node *e;

		if ((e = subexpr(p, 0)) == NULL)
			return -1;
		if (!kq_is_kw(p, "as")) {
			expected(p, "'as' and a name");
			return -1;
		}
		if (kq_next(p) < 0)
			return -1;
		if (p->tok.type != TK_IDENT || memchr(p->tok.s, '.', p->tok.n)) {
			expected(p, "a name after 'as'");
			return -1;
		}
		if ((v = grow(p, v, n, sizeof(*v))) == NULL)
			return -1;
		v[n].e = e;
		v[n].name = ku_strndup(p->arena, p->tok.s, p->tok.n);
		v[n].n = p->tok.n;
		v[n].pos = p->tok.pos;
		if (v[n].name == NULL)
			return kueri_err_set(p->err, KUERI_ENOMEM, -1, "out of memory");
		n++;
		if (kq_next(p) < 0)
			return -1;
		if (p->tok.type == TK_COMMA) {
			if (kq_next(p) < 0)
				return -1;
			continue;
		}
		if (p->tok.type != stop) {
			expected(p, stop == TK_EOF ? "',' or end of input" : "',' or ')'");
			return -1;
		}
		break;
	}
	*out = v;
	return n;
}

/* $select: '*' or names; also used for groupby's property list. */
static int
namelist(kq_parser *p, kq_selitem **out, kq_tokt stop, int allow_star)
{
	kq_selitem *v = NULL;
	int         n = 0;

	for (;;) {
		if ((v = grow(p, v, n, sizeof(*v))) == NULL)
			return -1;
		if (p->tok.type == TK_STAR && allow_star) {
			v[n].star = 1;
			v[n].pos = p->tok.pos;
		} else if (p->tok.type == TK_IDENT && !memchr(p->tok.s, '.', p->tok.n)) {
			v[n].name = ku_strndup(p->arena, p->tok.s, p->tok.n);
			v[n].n = p->tok.n;
			v[n].pos = p->tok.pos;
			if (v[n].name == NULL)
				return kueri_err_set(p->err, KUERI_ENOMEM, -1, "out of memory");
		} else {
			expected(p, allow_star ? "a property name or '*'"
			                       : "a property name");
			return -1;
		}
		n++;
		if (n > 1000) {
			kueri_err_set(p->err, KUERI_ELIMIT, (long long)p->tok.pos,
			              "more than 1000 names in a list (limit)");
			return -1;
		}
		if (kq_next(p) < 0)
			return -1;
		if (p->tok.type == TK_SLASH || p->tok.type == TK_LPAREN ||
		    p->tok.type == TK_SEMI) {
			perr(p, KUERI_EBADREQ, p->tok.pos,
			     "paths and nested options are not supported in a select "
			     "list");
			return -1;
		}
		if (p->tok.type == TK_COMMA) {
			if (kq_next(p) < 0)
				return -1;
			continue;
		}
		if (p->tok.type != stop) {
			expected(p, stop == TK_EOF ? "',' or end of input" : "',' or ')'");
			return -1;
		}
		break;
	}
	*out = v;
	return n;
}

int
kq_parse_select(kq_parser *p, kq_selitem **out)
{
	if (kq_next(p) < 0)
		return -1;
	if (p->tok.type == TK_EOF) {
		perr(p, KUERI_ESYNTAX, 0, "empty $select");
		return -1;
	}
	return namelist(p, out, TK_EOF, 1);
}

/* ---------------------------------------------------------------- shared */

/* The token helpers above, for parse_apply.c (kq_int.h). */
int
kq_tokeq(const kq_tok *t, const char *kw)
{
	return tokeq(t, kw);
}

void *
kq_perr(kq_parser *p, kueri_code code, size_t pos, const char *msg)
{
	return perr(p, code, pos, msg);
}

void *
kq_expected(kq_parser *p, const char *what)
{
	return expected(p, what);
}

int
kq_expect(kq_parser *p, kq_tokt t)
{
	return expect(p, t);
}

void *
kq_grow(kq_parser *p, void *old, int n, size_t sz)
{
	return grow(p, old, n, sz);
}

int
kq_namelist(kq_parser *p, kq_selitem **out, kq_tokt stop, int allow_star)
{
	return namelist(p, out, stop, allow_star);
}
