/*
 * resolve.c -- name resolution and type checking, its own pass between
 * parsing and SQL (after SQLite's resolve.c).  Every name is bound to a
 * column of the current scope (base fields, $compute and $apply aliases);
 * every operator and function is checked against OData's type rules
 * (URL 5.1.1): no implicit string↔number conversion, integer division or
 * modulo by a zero literal refused, relational operators only on
 * comparable types.  Nothing here touches SQLite, so a bad query costs
 * no database work.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kq_int.h"


static int
is_int(kq_type t)
{
	return t == KT_INT32 || t == KT_INT;
}

/* Numeric promotion Int32 → Int64 → Decimal → Double. */
static kq_type
promote(kq_type a, kq_type b)
{
	if (a == KT_NULL)
		return b;
	if (b == KT_NULL)
		return a;
	if (a == KT_DOUBLE || b == KT_DOUBLE)
		return KT_DOUBLE;
	if (a == KT_DECIMAL || b == KT_DECIMAL)
		return KT_DECIMAL;
	return KT_INT;
}

int
kq_scope_add(ku_arena *a, kq_scope *s, const kq_col *c)
{
	if (s->ncols == s->cap) {
		int     cap = s->cap ? s->cap * 2 : 16;
		kq_col *nc = ku_alloc(a, (size_t)cap * sizeof(*nc));

		if (nc == NULL)
			return -1;
		if (s->ncols)
			memcpy(nc, s->cols, (size_t)s->ncols * sizeof(*nc));
		s->cols = nc;
		s->cap = cap;
	}
	s->cols[s->ncols++] = *c;
	return s->ncols - 1;
}

int
kq_scope_find(const kq_scope *s, const char *name, size_t n)
{
	int i;

	for (i = s->ncols - 1; i >= 0; i--)
		if (strlen(s->cols[i].name) == n &&
		    memcmp(s->cols[i].name, name, n) == 0)
			return i;
	return -1;
}

/* Levenshtein distance, capped inputs (names are ≤ 128 bytes). */
size_t
kq_editdist(const char *a, size_t an, const char *b, size_t bn)
{
	size_t row[130], i, j;

	if (an > 128 || bn > 128)
		return 999;
	for (j = 0; j <= bn; j++)
		row[j] = j;
	for (i = 1; i <= an; i++) {
		size_t prev = row[0], tmp;

		row[0] = i;
		for (j = 1; j <= bn; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = prev + cost;

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[bn];
}

int
kq_unknown_name(const kq_scope *s, const char *what, const char *name,
                size_t n, size_t pos, const char *opt, kueri_err *err)
{
	const char *best = NULL;
	size_t      bestd = 999, lim = n / 3 > 2 ? n / 3 : 2;
	int         i;

	for (i = 0; i < s->ncols; i++) {
		size_t d = kq_editdist(name, n, s->cols[i].name,
		                    strlen(s->cols[i].name));

		if (d < bestd) {
			bestd = d;
			best = s->cols[i].name;
		}
	}
	kueri_err_set(err, KUERI_ETYPE, (long long)pos,
	    "unknown %s '%.*s' at position %zu in %s", what,
	    (int)(n > 64 ? 64 : n), name, pos, opt);
	if (!s->has_rowid && strcmp(opt, "$apply") != 0) {
		/* After an aggregation only its output is left: say so, and
		 * name what is there (query/hint.c gives the other hints). */
		ku_buf l = { 0 };

		for (i = 0; i < s->ncols && l.n < 100; i++)
			ku_buf_printf(&l, "%s%s", i ? ", " : "", s->cols[i].name);
		kueri_err_hint(err, "%s runs after $apply, whose output has only "
		               "%s%s", opt, l.s ? l.s : "no columns",
		               i < s->ncols ? ", ..." : "");
		ku_buf_free(&l);
	} else if (best && bestd <= lim)
		kueri_err_hint(err, "did you mean '%s'?", best);
	return -1;
}

typedef struct rctx {
	const kq_scope *s;
	const char     *opt;
	kueri_err      *err;
} rctx;

static int terr(rctx *r, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int
terr(rctx *r, size_t pos, const char *fmt, ...)
{
	char    msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kueri_err_set(r->err, KUERI_ETYPE, (long long)pos,
	                     "%s at position %zu in %s", msg, pos, r->opt);
}

/* Can a and b be compared (eq/ne, or ordered when `order`)? */
static int
comparable(kq_type a, kq_type b, int order)
{
	if (a == KT_NULL || b == KT_NULL)
		return 1;
	if (a == KT_GEO || b == KT_GEO)
		return 0;
	if (kq_type_numeric(a) && kq_type_numeric(b))
		return 1;
	(void)order;
	return a == b;
}

static int resolve(rctx *r, kq_node *n);

/* A string literal standing for a duration (4.01: prefix optional). */
static void
coerce_duration(kq_node *lit, kq_type other)
{
	if (other == KT_DURATION && lit->kind == N_LIT && lit->lt == KT_STRING &&
	    kq_duration_ok(lit->s, lit->n)) {
		lit->lt = KT_DURATION;
		lit->type = KT_DURATION;
	}
}

static int
is_zero_lit(const kq_node *n)
{
	return n->kind == N_LIT && ((n->lt == KT_INT && n->ival == 0));
}

static int
want(rctx *r, kq_node *a, int ok, const char *what, const char *fname)
{
	if (ok || a->type == KT_NULL)
		return 0;
	{
		char buf[160];

		snprintf(buf, sizeof(buf), "%s expects %s, not %s", fname, what,
		         kq_type_edm(a->type));
		return kueri_err_set(r->err, KUERI_ETYPE, (long long)a->pos,
		    "%s at position %zu in %s", buf, a->pos, r->opt);
	}
}

/*
 * A call: every argument resolved, then checked against its row's
 * argument classes (functab.c), then the row's result type.  case() has
 * its own rule: Boolean conditions, values of one (or numeric) type.
 */
static int
resolve_call(rctx *r, kq_node *n)
{
	const kq_fninfo *f = n->fn;
	const char *fname = f->name;
	kq_node   **a = n->args;
	int         i;

	for (i = 0; i < n->nargs; i++)
		if (resolve(r, a[i]) < 0)
			return -1;
	if (f->rule == KQ_R_CASE) {
		kq_type t = KT_NULL;

		for (i = 0; i < n->nargs; i += 2) {
			kq_type v = a[i + 1]->type;

			if (want(r, a[i], a[i]->type == KT_BOOL, "an Edm.Boolean "
			         "condition", fname) < 0)
				return -1;
			if (v == KT_NULL)
				continue;
			if (t == KT_NULL || t == v)
				t = v;
			else if (kq_type_numeric(t) && kq_type_numeric(v))
				t = promote(t, v);
			else
				return terr(r, a[i + 1]->pos, "case() values must have "
				            "one type: %s and %s", kq_type_edm(t),
				            kq_type_edm(v));
		}
		n->type = t;
		return 0;
	}
	for (i = 0; i < n->nargs; i++) {
		int cls = f->arg[i < 3 ? i : 2];

		if (want(r, a[i], kq_argclass_ok(cls, a[i]->type),
		         kq_argclass_text(cls), fname) < 0)
			return -1;
	}
	n->type = f->result;
	if (f->rule == KQ_R_NUMERIC && a[0]->type == KT_DOUBLE)
		n->type = KT_DOUBLE;
	if (f->pattern >= 0 && f->pattern < n->nargs &&
	    a[f->pattern]->kind == N_LIT && a[f->pattern]->lt == KT_STRING) {
		kq_node *pat = a[f->pattern];
		char     msg[160];

		if (kq_regex_check(pat->s, pat->n, msg, sizeof(msg)) < 0)
			return kueri_err_set(r->err, KUERI_EBADREQ,
			    (long long)pat->pos,
			    "invalid pattern at position %zu in %s: %s",
			    pat->pos, r->opt, msg);
	}
	return 0;
}

static int
resolve(rctx *r, kq_node *n)
{
	int i;

	switch (n->kind) {
	case N_LIT:
		n->type = n->lt;
		return 0;
	case N_PROP: {
		int c = kq_scope_find(r->s, n->s, n->n);

		if (c < 0)
			return kq_unknown_name(r->s, "property", n->s, n->n, n->pos,
			                       r->opt, r->err);
		n->col = c;
		n->type = r->s->cols[c].type;
		if (n->type == KT_GEO)
			return terr(r, n->pos, "geographic property '%s' cannot be "
			            "used in an expression%s", r->s->cols[c].name, "");
		return 0;
	}
	case N_NOT:
		if (resolve(r, n->a) < 0)
			return -1;
		if (n->a->type != KT_BOOL && n->a->type != KT_NULL)
			return terr(r, n->pos, "'not' needs an Edm.Boolean operand, "
			            "not %s%s", kq_type_edm(n->a->type), "");
		n->type = KT_BOOL;
		return 0;
	case N_NEG:
		if (resolve(r, n->a) < 0)
			return -1;
		if (!kq_type_numeric(n->a->type) && n->a->type != KT_NULL)
			return terr(r, n->pos, "'-' needs a number, not %s%s",
			            kq_type_edm(n->a->type), "");
		n->type = n->a->type == KT_INT32 ? KT_INT : n->a->type;
		return 0;
	case N_IN:
		if (resolve(r, n->a) < 0)
			return -1;
		for (i = 0; i < n->nargs; i++) {
			if (resolve(r, n->args[i]) < 0)
				return -1;
			coerce_duration(n->args[i], n->a->type);
			if (!comparable(n->a->type, n->args[i]->type, 0))
				return terr(r, n->args[i]->pos, "cannot compare %s with %s",
				            kq_type_edm(n->a->type),
				            kq_type_edm(n->args[i]->type));
		}
		n->type = KT_BOOL;
		return 0;
	case N_CALL:
		return resolve_call(r, n);
	case N_CAST: {
		kq_type from, to = n->lt;

		if (resolve(r, n->a) < 0)
			return -1;
		from = n->a->type;
		if (n->op == O_ISOF) {
			n->type = KT_BOOL;
			return 0;
		}
		n->type = to;
		if (from == KT_NULL || from == to || to == KT_STRING ||
		    (kq_type_numeric(from) && kq_type_numeric(to)))
			return 0;
		kueri_err_set(r->err, KUERI_ENOTIMPL, (long long)n->pos,
		    "cast from %s to %s at position %zu in %s is not supported",
		    kq_type_edm(from), kq_type_edm(to), n->pos, r->opt);
		return -1;
	}
	case N_BIN:
		break;
	default:
		return kueri_err_set(r->err, KUERI_EINTERNAL, (long long)n->pos,
		                     "unknown node");
	}
	/* binary operators */
	if (resolve(r, n->a) < 0 || resolve(r, n->b) < 0)
		return -1;
	{
		kq_type a = n->a->type, b = n->b->type;

		switch (n->op) {
		case O_AND: case O_OR:
			if (a != KT_BOOL && a != KT_NULL)
				return terr(r, n->a->pos, "'%s' needs Edm.Boolean operands, "
				            "not %s", kq_op_name(n->op), kq_type_edm(a));
			if (b != KT_BOOL && b != KT_NULL)
				return terr(r, n->b->pos, "'%s' needs Edm.Boolean operands, "
				            "not %s", kq_op_name(n->op), kq_type_edm(b));
			n->type = KT_BOOL;
			return 0;
		case O_EQ: case O_NE: case O_GT: case O_GE: case O_LT: case O_LE:
			coerce_duration(n->a, b);
			coerce_duration(n->b, a);
			a = n->a->type;
			b = n->b->type;
			if (!comparable(a, b, n->op != O_EQ && n->op != O_NE))
				return terr(r, n->pos, "cannot compare %s with %s",
				            kq_type_edm(a), kq_type_edm(b));
			n->type = KT_BOOL;
			return 0;
		case O_HAS:
			return terr(r, n->pos, "operator 'has' needs an enumeration "
			            "type; this service has none%s%s", "", "");
		case O_ADD: case O_SUB: case O_MUL: case O_DIV: case O_DIVBY:
		case O_MOD:
			if ((a == KT_DATE || a == KT_DATETIME || a == KT_DURATION ||
			     a == KT_TIME) && (n->op == O_ADD || n->op == O_SUB)) {
				kueri_err_set(r->err, KUERI_ENOTIMPL, (long long)n->pos,
				    "date and duration arithmetic at position %zu in %s is "
				    "not supported", n->pos, r->opt);
				return -1;
			}
			if (!kq_type_numeric(a) && a != KT_NULL)
				return terr(r, n->a->pos, "'%s' needs numbers, not %s",
				            kq_op_name(n->op), kq_type_edm(a));
			if (!kq_type_numeric(b) && b != KT_NULL)
				return terr(r, n->b->pos, "'%s' needs numbers, not %s",
				            kq_op_name(n->op), kq_type_edm(b));
			n->type = promote(a, b);
			if (n->type == KT_INT32)
				n->type = KT_INT;
			if (n->op == O_DIVBY && n->type != KT_DOUBLE)
				n->type = KT_DECIMAL;
			if ((n->op == O_DIV || n->op == O_MOD) && is_int(n->type) &&
			    is_zero_lit(n->b))
				return kueri_err_set(r->err, KUERI_EBADREQ,
				    (long long)n->b->pos, "integer %s by zero at position "
				    "%zu in %s", n->op == O_DIV ? "division" : "modulo",
				    n->b->pos, r->opt);
			/* A divisor that is zero only at run time is an error too
			 * (sql.c, kq_idiv): it names this option. */
			if ((n->op == O_DIV || n->op == O_MOD) && is_int(n->type))
				n->s = r->opt;
			return 0;
		default:
			return kueri_err_set(r->err, KUERI_EINTERNAL, (long long)n->pos,
			                     "unknown operator");
		}
	}
}

int
kq_resolve_opt(kq_node *n, const kq_scope *s, int want_bool, const char *opt,
               kueri_err *err)
{
	rctx r = { s, opt, err };

	if (resolve(&r, n) < 0)
		return -1;
	if (want_bool && n->type != KT_BOOL && n->type != KT_NULL)
		return kueri_err_set(err, KUERI_ETYPE, (long long)n->pos,
		    "%s must be a Boolean expression, not %s (at position %zu)",
		    opt, kq_type_edm(n->type), n->pos);
	return 0;
}

int
kq_resolve(kq_node *n, const kq_scope *s, int want_bool, kueri_err *err)
{
	return kq_resolve_opt(n, s, want_bool, "$filter", err);
}
