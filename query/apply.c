/*
 * apply.c -- $apply (Data Aggregation Extension, chapter 3) → nested
 * SELECTs.  Each transformation wraps the previous source in a subquery
 * and yields a new scope (the columns later stages may name):
 *
 *   filter(e)        SELECT cols FROM (src) WHERE e
 *   search(s)        ... WHERE r_ IN (fts MATCH ...)   (before grouping)
 *   compute(e as A)  SELECT cols, (e) AS xN FROM (src)
 *   orderby/top/skip SELECT cols FROM (src) ORDER BY ... LIMIT ? OFFSET ?
 *   aggregate(...)   SELECT sum(e) AS xN, count(*) AS xM FROM (src)
 *   groupby((P),agg) SELECT P, aggs FROM (src) GROUP BY P
 *
 * The data rowid travels as column r_ while rows are still rows, so
 * search() and keyset paging keep working until an aggregation.
 */
#include <stdio.h>
#include <string.h>

#include "kq_int.h"

typedef struct actx {
	ku_arena       *arena;
	const kp_set   *set;
	kq_scope       *s;       /* in/out */
	kq_binds       *binds;
	const kq_limits *lim;
	kueri_err      *err;
	int             nx;      /* next x<N> column name */
} actx;

/* "c0, c3, x1" [+ ", r_"]: the current scope as a select list. */
static void
cols_list(actx *a, ku_buf *b, const char *rowid)
{
	int i, first = 1;

	for (i = 0; i < a->s->ncols; i++) {
		kq_col *c = &a->s->cols[i];

		if (!first)
			ku_buf_puts(b, ", ");
		first = 0;
		ku_buf_puts(b, c->sql);
	}
	if (a->s->has_rowid) {
		if (!first)
			ku_buf_puts(b, ", ");
		ku_buf_printf(b, "%s AS r_", rowid);
	}
}

static int
alias_check(actx *a, const char *name, size_t n, size_t pos)
{
	if (kq_scope_find(a->s, name, n) >= 0)
		return kueri_err_set(a->err, KUERI_ETYPE, (long long)pos,
		    "alias '%.*s' at position %zu in $apply clashes with a property",
		    (int)(n > 64 ? 64 : n), name, pos);
	return 0;
}

static int
aggregate(actx *a, kq_trans *t, ku_buf *sql, const char *src,
          const char *rowid)
{
	kq_scope out = { 0 };
	int      i, k;

	(void)rowid;
	ku_buf_puts(sql, "(SELECT ");
	/* grouping properties keep their column names */
	for (i = 0; i < t->ngroup; i++) {
		int c = kq_scope_find(a->s, t->group[i].name, t->group[i].n);

		if (c < 0)
			return kq_unknown_name(a->s, "property", t->group[i].name,
			                       t->group[i].n, t->group[i].pos, "$apply",
			                       a->err);
		for (k = 0; k < i; k++)
			if (strcmp(t->group[k].name, t->group[i].name) == 0)
				return kueri_err_set(a->err, KUERI_EBADREQ,
				    (long long)t->group[i].pos, "property '%s' is grouped "
				    "twice at position %zu in $apply", t->group[i].name,
				    t->group[i].pos);
		if (i)
			ku_buf_puts(sql, ", ");
		ku_buf_puts(sql, a->s->cols[c].sql);
		if (kq_scope_add(a->arena, &out, &a->s->cols[c]) < 0)
			return kueri_err_set(a->err, KUERI_ENOMEM, -1, "out of memory");
	}
	for (i = 0; i < t->naggs; i++) {
		kq_agg *g = &t->aggs[i];
		kq_col  col;
		kq_type in = KT_INT;

		memset(&col, 0, sizeof(col));
		col.field = -1;
		if (kq_scope_find(&out, g->alias, g->alias_n) >= 0 ||
		    kq_scope_find(a->s, g->alias, g->alias_n) >= 0)
			return alias_check(a, g->alias, g->alias_n, g->pos) < 0 ? -1
			     : kueri_err_set(a->err, KUERI_ETYPE, (long long)g->pos,
			           "alias '%s' at position %zu in $apply is used twice",
			           g->alias, g->pos);
		if (g->e) {
			if (kq_resolve_opt(g->e, a->s, 0, "$apply", a->err) < 0)
				return -1;
			in = g->e->type;
			if ((g->method == AG_SUM || g->method == AG_AVERAGE) &&
			    !kq_type_numeric(in) && in != KT_NULL)
				return kueri_err_set(a->err, KUERI_ETYPE,
				    (long long)g->e->pos, "%s needs a number, not %s, at "
				    "position %zu in $apply",
				    g->method == AG_SUM ? "sum" : "average",
				    kq_type_edm(in), g->e->pos);
			if (in == KT_GEO || in == KT_BOOL) {
				if (g->method != AG_COUNTDISTINCT)
					return kueri_err_set(a->err, KUERI_ETYPE,
					    (long long)g->e->pos, "cannot aggregate %s at "
					    "position %zu in $apply", kq_type_edm(in), g->e->pos);
			}
		}
		if (i || t->ngroup)
			ku_buf_puts(sql, ", ");
		switch (g->method) {
		case AG_SUM:
			ku_buf_puts(sql, "sum(");
			col.type = in == KT_INT32 ? KT_INT : in;
			col.decimal = in == KT_DECIMAL;
			break;
		case AG_MIN:
			ku_buf_puts(sql, in == KT_DATETIME ? "kq_dtmin(" : "min(");
			col.type = in;
			break;
		case AG_MAX:
			ku_buf_puts(sql, in == KT_DATETIME ? "kq_dtmax(" : "max(");
			col.type = in;
			break;
		case AG_AVERAGE:
			ku_buf_puts(sql, "avg(");
			col.type = in == KT_DECIMAL ? KT_DECIMAL : KT_DOUBLE;
			break;
		case AG_COUNTDISTINCT:
			ku_buf_puts(sql, "count(DISTINCT ");
			col.type = KT_INT;
			break;
		case AG_COUNT:
			ku_buf_puts(sql, "count(*");
			col.type = KT_INT;
			break;
		}
		if (g->e && kq_sql_expr(g->e, a->s, 0, sql, a->binds, a->err) < 0)
			return -1;
		snprintf(col.sql, sizeof(col.sql), "x%d", a->nx++);
		ku_buf_printf(sql, ") AS %s", col.sql);
		col.name = g->alias;
		if (kq_scope_add(a->arena, &out, &col) < 0)
			return kueri_err_set(a->err, KUERI_ENOMEM, -1, "out of memory");
	}
	ku_buf_printf(sql, " FROM %s", src);
	if (t->ngroup) {
		ku_buf_puts(sql, " GROUP BY ");
		for (i = 0; i < t->ngroup; i++)
			ku_buf_printf(sql, "%s%s", i ? ", " : "", out.cols[i].sql);
	}
	ku_buf_puts(sql, ")");
	out.has_rowid = 0;
	*a->s = out;
	return 0;
}

/*
 * Compile the transformations into a FROM source in `from` (a
 * parenthesised SELECT), updating `s` to the output scope.  *order gets
 * the keys of a trailing orderby (the default order of the result).
 */
int
kq_apply_compile(ku_arena *arena, const kp_set *set, kq_trans *tr, int ntr,
                 kq_scope *s, ku_buf *from, kq_binds *binds,
                 const kq_limits *lim, kq_orderkey **order, int *norder,
                 kueri_err *err)
{
	actx        a = { arena, set, s, binds, lim, err, 0 };
	ku_buf      cur = { 0 }, nx = { 0 };
	const char *rowid = "rowid";
	kq_orderkey *pend = NULL;
	int          npend = 0, i, j;

	ku_buf_puts(&cur, set->table);
	*order = NULL;
	*norder = 0;
	for (i = 0; i < ntr; i++) {
		kq_trans *t = &tr[i];

		memset(&nx, 0, sizeof(nx));

		switch (t->kind) {
		case TR_IDENTITY:
			ku_buf_free(&nx);
			continue;
		case TR_AGGREGATE:
		case TR_GROUPBY:
			if (aggregate(&a, t, &nx, cur.s, rowid) < 0)
				goto fail;
			pend = NULL;
			npend = 0;
			break;
		case TR_FILTER:
			if (kq_resolve_opt(t->e, s, 1, "$apply", err) < 0)
				goto fail;
			ku_buf_puts(&nx, "(SELECT ");
			cols_list(&a, &nx, rowid);
			ku_buf_printf(&nx, " FROM %s WHERE ", cur.s);
			if (kq_sql_expr(t->e, s, 1, &nx, binds, err) < 0)
				goto fail;
			ku_buf_puts(&nx, ")");
			break;
		case TR_SEARCH:
			if (!s->has_rowid) {
				kueri_err_set(err, KUERI_EBADREQ, (long long)t->pos,
				    "search() at position %zu in $apply must come before "
				    "any aggregation", t->pos);
				goto fail;
			}
			if (set->fts[0] == '\0') {
				kueri_err_set(err, KUERI_EBADREQ, (long long)t->pos,
				    "entity set '%s' has no searchable text, so search() "
				    "is not available", set->name);
				goto fail;
			}
			ku_buf_puts(&nx, "(SELECT ");
			cols_list(&a, &nx, rowid);
			ku_buf_printf(&nx, " FROM %s WHERE ", cur.s);
			if (kq_search_sql(arena, t->search, t->search_n, set->fts, rowid,
			                  &nx, binds, lim->max_nodes, err) < 0) {
				if (err->pos >= 0)
					err->pos += (long long)t->search_pos;
				goto fail;
			}
			ku_buf_puts(&nx, ")");
			break;
		case TR_COMPUTE: {
			kq_col *pending = ku_alloc(arena, (size_t)t->ncomp *
			                                  sizeof(*pending));

			if (pending == NULL) {
				kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
				goto fail;
			}
			ku_buf_puts(&nx, "(SELECT ");
			cols_list(&a, &nx, rowid);
			for (j = 0; j < t->ncomp; j++) {
				kq_col *col = &pending[j];

				if (kq_resolve_opt(t->comp[j].e, s, 0, "$apply", err) < 0)
					goto fail;
				if (kq_scope_find(s, t->comp[j].name, t->comp[j].n) >= 0) {
					alias_check(&a, t->comp[j].name, t->comp[j].n,
					            t->comp[j].pos);
					goto fail;
				}
				col->field = -1;
				col->name = t->comp[j].name;
				col->type = t->comp[j].e->type;
				col->decimal = col->type == KT_DECIMAL;
				snprintf(col->sql, sizeof(col->sql), "x%d", a.nx++);
				ku_buf_puts(&nx, s->ncols || s->has_rowid || j ? ", (" : "(");
				if (kq_sql_expr(t->comp[j].e, s, 0, &nx, binds, err) < 0)
					goto fail;
				ku_buf_printf(&nx, ") AS %s", col->sql);
			}
			ku_buf_printf(&nx, " FROM %s)", cur.s);
			/* added after all are compiled: siblings cannot see each
			 * other (they live in the same SELECT list) */
			for (j = 0; j < t->ncomp; j++)
				if (kq_scope_add(arena, s, &pending[j]) < 0) {
					kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
					goto fail;
				}
			break;
		}
		case TR_ORDERBY:
			for (j = 0; j < t->nkeys; j++)
				if (kq_resolve_opt(t->keys[j].e, s, 0, "$apply", err) < 0)
					goto fail;
			pend = t->keys;
			npend = t->nkeys;
			ku_buf_free(&nx);
			continue;
		case TR_TOP:
		case TR_SKIP: {
			kq_bind v = { KB_INT, t->count, 0, NULL, 0, 0 };

			ku_buf_puts(&nx, "(SELECT ");
			cols_list(&a, &nx, rowid);
			ku_buf_printf(&nx, " FROM %s", cur.s);
			if (npend) {
				ku_buf_puts(&nx, " ORDER BY ");
				for (j = 0; j < npend; j++) {
					if (j)
						ku_buf_puts(&nx, ", ");
					if (kq_sql_sortkey(pend[j].e, s, &nx, binds, err) < 0)
						goto fail;
					if (pend[j].desc)
						ku_buf_puts(&nx, " DESC");
				}
			}
			kq_binds_add(binds, &v);
			if (t->kind == TR_TOP)
				ku_buf_printf(&nx, " LIMIT ?%d)", binds->n);
			else
				ku_buf_printf(&nx, " LIMIT -1 OFFSET ?%d)", binds->n);
			break;
		}
		}
		if (s->has_rowid)
			rowid = "r_";
		ku_buf_free(&cur);
		cur = nx;
		memset(&nx, 0, sizeof(nx));
		if (cur.oom) {
			kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
			goto fail;
		}
	}
	if (cur.n && strcmp(cur.s, set->table) == 0) {
		/* only identity/orderby: still wrap so r_ exists */
		ku_buf_puts(from, "(SELECT ");
		cols_list(&a, from, "rowid");
		ku_buf_printf(from, " FROM %s)", set->table);
	} else
		ku_buf_add(from, cur.s, cur.n);
	*order = pend;
	*norder = npend;
	ku_buf_free(&cur);
	return 0;
fail:
	ku_buf_free(&nx);
	ku_buf_free(&cur);
	return -1;
}
