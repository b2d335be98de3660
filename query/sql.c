/*
 * sql.c -- resolved AST → SQL text + bound values.  The text contains only
 * column names from the scope ("c3", "x1"), operators, our own function
 * names and '?' placeholders; every user literal is bound (kq_binds).
 *
 * OData semantics that differ from SQL's (URL 5.1.1):
 *  - eq/ne are null-safe: IS / IS NOT, except `col = ?` when the literal is
 *    not null and the result only filters rows (sargable, same answer);
 *  - gt/ge/lt/le with null are false, not null: plain `a > b` where the
 *    value only filters rows (null drops the row just like false), else
 *    coalesce(a > b, 0) so that `not (x gt 5)` keeps rows where x is null;
 *  - datetimes compare by instant: julianday() on both sides;
 *  - string tests are case-sensitive and wildcard-free: instr() and our
 *    kq_startswith/kq_endswith, never LIKE;
 *  - integer div truncates (SQLite's / on integers), divby and double div
 *    go through kq_fdiv (±INF for x/0), mod on non-integers is fmod.
 *
 * Documented choices where OData leaves room or SQLite decides:
 *  - integer div/mod by zero is a 400: a zero literal in resolve.c
 *    (naming the divisor's position), a zero met at run time in
 *    kq_idiv/kq_imod (funcs.c; naming the operator's position), each
 *    with its option;
 *  - 0/0 in floating division is null (SQLite stores no NaN);
 *  - Int64 overflow in add/sub/mul becomes a double (SQLite); in sum() it
 *    is a clean 400 ("integer overflow");
 *  - tolower/toupper use Unicode simple case mapping (C.UTF-8); trim
 *    removes Unicode white space (functab.c); length/indexof/substring
 *    count characters;
 *  - substring with a negative start or length clamps to 0;
 *  - `has` is a 400 (there are no enumerations).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "kq_int.h"

int
kq_binds_add(kq_binds *b, const kq_bind *v)
{
	if (b->n == b->cap) {
		int      cap = b->cap ? b->cap * 2 : 16;
		kq_bind *nv = realloc(b->v, (size_t)cap * sizeof(*nv));

		if (nv == NULL) {
			b->oom = 1;
			return -1;
		}
		b->v = nv;
		b->cap = cap;
	}
	b->v[b->n++] = *v;
	return 0;
}

void
kq_binds_free(kq_binds *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		if (b->v[i].owned)
			free((char *)b->v[i].s);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

int
kq_binds_apply(const kq_binds *b, sqlite3_stmt *st)
{
	int i, rc = SQLITE_OK, max = sqlite3_bind_parameter_count(st);

	/* A statement may use only some of the list (the $count query). */
	for (i = 0; i < b->n && i < max && rc == SQLITE_OK; i++) {
		const kq_bind *v = &b->v[i];

		switch (v->t) {
		case KB_NULL: rc = sqlite3_bind_null(st, i + 1); break;
		case KB_INT: rc = sqlite3_bind_int64(st, i + 1, v->i); break;
		case KB_DOUBLE: rc = sqlite3_bind_double(st, i + 1, v->d); break;
		case KB_TEXT:
			rc = sqlite3_bind_text(st, i + 1, v->s, (int)v->n, SQLITE_STATIC);
			break;
		}
	}
	return rc == SQLITE_OK ? 0 : -1;
}

/* A false constant that is not an integer literal: in ORDER BY a bare 0
 * would be read as a column number. */
#define SQL_FALSE "(0 = 1)"

typedef struct sctx {
	const kq_scope *s;
	ku_buf         *b;
	kq_binds       *binds;
	kueri_err      *err;
} sctx;

static int expr(sctx *c, const kq_node *n, int boolctx);

static void
put(sctx *c, const char *s)
{
	ku_buf_puts(c->b, s);
}

/* Placeholders are numbered (?N), so SQL pieces can be generated in any
 * order and a piece can be reused in a second statement. */
static void
placeholder(sctx *c)
{
	ku_buf_printf(c->b, "?%d", c->binds->n);
}

static void
bind_text(sctx *c, const char *s, size_t n)
{
	kq_bind v = { KB_TEXT, 0, 0, s, n, 0 };

	kq_binds_add(c->binds, &v);
	placeholder(c);
}

static int
lit(sctx *c, const kq_node *n)
{
	kq_bind v;

	memset(&v, 0, sizeof(v));
	switch (n->lt) {
	case KT_NULL:
		put(c, "NULL");
		return 0;
	case KT_BOOL:
	case KT_INT:
	case KT_INT32:
		v.t = KB_INT;
		v.i = n->ival;
		break;
	case KT_DOUBLE:
	case KT_DECIMAL:
		v.t = KB_DOUBLE;
		v.d = n->dval;
		break;
	default:
		v.t = KB_TEXT;
		v.s = n->s;
		v.n = n->n;
		/* Dates compare as yyyy-mm-dd text, and published dates have
		 * 4-digit years.  A negative year ("-10000-04-01") already
		 * sorts before them all ('-' < '0'); a 5+-digit year must sort
		 * after them all and equal none. */
		if (n->lt == KT_DATE && n->n > 10 && n->s[0] != '-') {
			v.s = "9999-12-31~";
			v.n = 11;
		}
		break;
	}
	kq_binds_add(c->binds, &v);
	placeholder(c);
	return 0;
}

/* The comparison domain of two operands: instants need julianday(). */
static const char *
cmpwrap(const kq_node *a, const kq_node *b)
{
	if (a->type == KT_DATETIME || b->type == KT_DATETIME)
		return "julianday";
	if (a->type == KT_DURATION || b->type == KT_DURATION)
		return "kq_duration";
	return NULL;
}

static int
operand(sctx *c, const kq_node *n, const char *wrap)
{
	int rc;

	if (wrap && n->type != KT_NULL) {
		put(c, wrap);
		put(c, "(");
		rc = expr(c, n, 0);
		put(c, ")");
		return rc;
	}
	return expr(c, n, 0);
}

static int
is_lit_notnull(const kq_node *n)
{
	return n->kind == N_LIT && n->lt != KT_NULL;
}

static int
is_null_lit(const kq_node *n)
{
	return n->kind == N_LIT && n->lt == KT_NULL;
}

static int
comparison(sctx *c, const kq_node *n, int boolctx)
{
	static const char *const rel[O__MAX] = {
		[O_GT] = " > ", [O_GE] = " >= ", [O_LT] = " < ", [O_LE] = " <= ",
	};
	const kq_node *a = n->a, *b = n->b;
	const char    *wrap = cmpwrap(a, b);

	if (n->op == O_EQ || n->op == O_NE) {
		if (is_null_lit(a)) {      /* null eq x  ≡  x eq null */
			const kq_node *t = a;

			a = b;
			b = t;
		}
		put(c, "(");
		if (operand(c, a, wrap) < 0)
			return -1;
		if (is_null_lit(b))
			put(c, n->op == O_EQ ? " IS NULL" : " IS NOT NULL");
		else {
			if (n->op == O_EQ)
				put(c, boolctx && (is_lit_notnull(b) || is_lit_notnull(a))
				       ? " = " : " IS ");
			else
				put(c, " IS NOT ");
			if (operand(c, b, wrap) < 0)
				return -1;
		}
		put(c, ")");
		return 0;
	}
	/* relational: null operand → false */
	if (is_null_lit(a) || is_null_lit(b)) {
		put(c, SQL_FALSE);
		return 0;
	}
	put(c, boolctx ? "(" : "coalesce(");
	if (operand(c, a, wrap) < 0)
		return -1;
	put(c, rel[n->op]);
	if (operand(c, b, wrap) < 0)
		return -1;
	put(c, boolctx ? ")" : ", 0)");
	return 0;
}

static int
is_intt(kq_type t)
{
	return t == KT_INT || t == KT_INT32 || t == KT_NULL;
}

/* "(a OP b" or "fn(a, b": the two operands after `open` and between them
 * `mid`; the caller closes it. */
static int
operands(sctx *c, const char *open, const char *mid, const kq_node *n)
{
	put(c, open);
	if (expr(c, n->a, 0) < 0)
		return -1;
	put(c, mid);
	return expr(c, n->b, 0);
}

static int
arith(sctx *c, const kq_node *n)
{
	const char *op = NULL;
	const char *opt = n->s ? n->s : "the query";

	switch (n->op) {
	case O_ADD: op = " + "; break;
	case O_SUB: op = " - "; break;
	case O_MUL: op = " * "; break;
	case O_DIV:
	case O_MOD:
		if (!is_intt(n->a->type) || !is_intt(n->b->type))
			break;
		/* A non-zero literal divisor cannot fail: SQLite's own / and %
		 * (truncating; the remainder takes the dividend's sign). */
		if (n->b->kind == N_LIT && n->b->lt != KT_NULL) {
			op = n->op == O_DIV ? " / " : " % ";
			break;
		}
		/* Else kq_idiv/kq_imod, which make a zero divisor met at run
		 * time the 400 OData asks for (SQLite would give null and drop
		 * the row silently), naming the operator's position (the
		 * divisor may be any expression) and its option. */
		if (operands(c, n->op == O_DIV ? "kq_idiv(" : "kq_imod(", ", ",
		             n) < 0)
			return -1;
		{
			kq_bind v = { KB_INT, (long long)n->pos, 0, NULL, 0, 0 };

			put(c, ", ");
			kq_binds_add(c->binds, &v);
			placeholder(c);
		}
		put(c, ", ");
		bind_text(c, opt, strlen(opt));
		put(c, ")");
		return 0;
	default:
		break;
	}
	if (op != NULL) {
		if (operands(c, "(", op, n) < 0)
			return -1;
	} else if (operands(c, n->op == O_MOD ? "kq_fmod(" : "kq_fdiv(", ", ",
	                    n) < 0)
		return -1;
	put(c, ")");
	return 0;
}

static void
now_text(char *buf, size_t len)
{
	struct timeval tv;
	struct tm      tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
}

/*
 * A call: its row's SQL template (functab.c) expanded -- %0..%9 one
 * argument, %* all of them, %T the request's time and %L the row's
 * literal as bound values; case() is the one function generated here.
 */
static int
call(sctx *c, const kq_node *n)
{
	const kq_fninfo *f = n->fn;
	const char *t;
	char tmp[48];

	if (f->rule == KQ_R_CASE) {
		int i;

		put(c, "(CASE");
		for (i = 0; i < n->nargs; i += 2) {
			put(c, " WHEN ");
			if (expr(c, n->args[i], 1) < 0)
				return -1;
			put(c, " THEN ");
			if (expr(c, n->args[i + 1], 0) < 0)
				return -1;
		}
		put(c, " END)");
		return 0;
	}
	for (t = f->sql; *t; t++) {
		size_t run = strcspn(t, "%");
		int    i;

		if (run) {
			ku_buf_add(c->b, t, run);
			t += run - 1;
			continue;
		}
		switch (*++t) {
		case '*':
			for (i = 0; i < n->nargs; i++) {
				if (i)
					put(c, ", ");
				if (expr(c, n->args[i], 0) < 0)
					return -1;
			}
			break;
		case 'T': {
			char *s;

			now_text(tmp, sizeof(tmp));
			/* The bind must outlive this call: the bind list owns a
			 * copy. */
			s = malloc(strlen(tmp) + 1);
			if (s == NULL)
				return kueri_err_set(c->err, KUERI_ENOMEM, -1,
				                     "out of memory");
			strcpy(s, tmp);
			{
				kq_bind v = { KB_TEXT, 0, 0, s, strlen(s), 1 };

				if (kq_binds_add(c->binds, &v) < 0)
					free(s);
			}
			c->binds->now = 1;
			placeholder(c);
			break;
		}
		case 'L':
			bind_text(c, f->lit, strlen(f->lit));
			break;
		default:
			if (*t < '0' || *t > '9' || *t - '0' >= n->nargs)
				return kueri_err_set(c->err, KUERI_EINTERNAL, -1,
				                     "bad SQL template for %s", f->name);
			if (expr(c, n->args[*t - '0'], 0) < 0)
				return -1;
		}
	}
	return 0;
}

static int
in_list(sctx *c, const kq_node *n, int boolctx)
{
	const char *wrap = NULL;
	int         i, nonnull = 0, hasnull = 0;

	for (i = 0; i < n->nargs; i++) {
		if (is_null_lit(n->args[i]))
			hasnull = 1;
		else
			nonnull++;
		if (!wrap)
			wrap = cmpwrap(n->a, n->args[i]);
	}
	if (nonnull == 0 && !hasnull) {
		put(c, SQL_FALSE);      /* in () matches nothing */
		return 0;
	}
	put(c, "(");
	if (hasnull) {
		if (expr(c, n->a, 0) < 0)
			return -1;
		put(c, " IS NULL");
		if (nonnull)
			put(c, " OR ");
	}
	if (nonnull) {
		int first = 1;

		put(c, boolctx ? "(" : "coalesce(");
		if (operand(c, n->a, wrap) < 0)
			return -1;
		put(c, " IN (");
		for (i = 0; i < n->nargs; i++) {
			if (is_null_lit(n->args[i]))
				continue;
			if (!first)
				put(c, ", ");
			first = 0;
			if (operand(c, n->args[i], wrap) < 0)
				return -1;
		}
		put(c, boolctx ? "))" : "), 0)");
	}
	put(c, ")");
	return 0;
}

static int
cast(sctx *c, const kq_node *n)
{
	kq_type from = n->a->type, to = n->lt;

	if (n->op == O_ISOF) {
		int match = from == to || (kq_type_numeric(from) &&
		                           kq_type_numeric(to) && from <= to);

		if (!match) {
			put(c, SQL_FALSE);
			return 0;
		}
		put(c, "(");
		if (expr(c, n->a, 0) < 0)
			return -1;
		put(c, " IS NOT NULL)");
		return 0;
	}
	if (from == to || from == KT_NULL)
		return expr(c, n->a, 0);
	if (to == KT_STRING && from == KT_BOOL) {
		put(c, "(CASE ");
		if (expr(c, n->a, 0) < 0)
			return -1;
		put(c, " WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)");
		return 0;
	}
	if (to == KT_STRING && (from == KT_DOUBLE || from == KT_DECIMAL)) {
		put(c, "kq_dblstr(");
		if (expr(c, n->a, 0) < 0)
			return -1;
		put(c, ")");
		return 0;
	}
	put(c, "CAST(");
	if (expr(c, n->a, 0) < 0)
		return -1;
	put(c, to == KT_STRING ? " AS TEXT)"
	       : (to == KT_INT || to == KT_INT32) ? " AS INTEGER)" : " AS REAL)");
	return 0;
}

static int
expr(sctx *c, const kq_node *n, int boolctx)
{
	switch (n->kind) {
	case N_LIT:
		return lit(c, n);
	case N_PROP: {
		const kq_col *col = &c->s->cols[n->col];

		if (col->expr) {
			int rc;

			put(c, "(");
			rc = expr(c, col->expr, 0);
			put(c, ")");
			return rc;
		}
		put(c, col->sql);
		return 0;
	}
	case N_NOT:
		put(c, "(NOT ");
		if (expr(c, n->a, 0) < 0)
			return -1;
		put(c, ")");
		return 0;
	case N_NEG:
		put(c, "(- ");
		if (expr(c, n->a, 0) < 0)
			return -1;
		put(c, ")");
		return 0;
	case N_IN:
		return in_list(c, n, boolctx);
	case N_CALL:
		return call(c, n);
	case N_CAST:
		return cast(c, n);
	case N_BIN:
		switch (n->op) {
		case O_AND:
		case O_OR:
			put(c, "(");
			if (expr(c, n->a, boolctx) < 0)
				return -1;
			put(c, n->op == O_AND ? " AND " : " OR ");
			if (expr(c, n->b, boolctx) < 0)
				return -1;
			put(c, ")");
			return 0;
		case O_EQ: case O_NE: case O_GT: case O_GE: case O_LT: case O_LE:
			return comparison(c, n, boolctx);
		default:
			return arith(c, n);
		}
	default:
		return kueri_err_set(c->err, KUERI_EINTERNAL, -1, "unknown node");
	}
}

int
kq_sql_expr(const kq_node *n, const kq_scope *s, int boolctx, ku_buf *sql,
            kq_binds *binds, kueri_err *err)
{
	sctx c = { s, sql, binds, err };

	if (expr(&c, n, boolctx) < 0)
		return -1;
	if (sql->oom || binds->oom)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	return 0;
}

/* Sort-key SQL for one $orderby expression: instants by julianday. */
int
kq_sql_sortkey(const kq_node *n, const kq_scope *s, ku_buf *sql,
               kq_binds *binds, kueri_err *err)
{
	sctx c = { s, sql, binds, err };

	if (n->type == KT_DATETIME || n->type == KT_DURATION) {
		put(&c, n->type == KT_DATETIME ? "julianday(" : "kq_duration(");
		if (expr(&c, n, 0) < 0)
			return -1;
		put(&c, ")");
	} else if (expr(&c, n, 0) < 0)
		return -1;
	if (sql->oom || binds->oom)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	return 0;
}
