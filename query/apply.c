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
 *
 * Two passes over the parsed transformations (parse_apply.c): the resolve
 * stage checks names and types and records the scope each transformation
 * sees and leaves (t->in, t->out, output columns named x<N>); the codegen
 * stage writes the SQL from those scopes without checking anything.
 */
#include <stdio.h>
#include <string.h>

#include "kq_int.h"

/* An arena copy of the scope as it stands (later additions to s do not
 * show in it: they go past its ncols, or into a new array). */
static kq_scope *
snapshot(kq_parse *pc, const kq_scope *s)
{
	kq_scope *c = ku_alloc(&pc->arena, sizeof(*c));

	if (c != NULL)
		*c = *s;
	return c;
}

static int
alias_check(kq_parse *pc, const kq_scope *s, const char *name, size_t n,
            size_t pos)
{
	if (kq_scope_find(s, name, n) >= 0)
		return kueri_err_set(&pc->err, KUERI_ETYPE, (long long)pos,
		    "alias '%.*s' at position %zu in $apply clashes with a property",
		    (int)(n > 64 ? 64 : n), name, pos);
	return 0;
}

/* ---------------------------------------------------------------- resolve */

/* aggregate / groupby: the grouping properties, then one x<N> column per
 * aggregate, typed by its method; *s becomes that output. */
static int
aggregate_resolve(kq_parse *pc, kq_trans *t, kq_scope *s, int *nx)
{
	kq_scope out = { 0 };
	int      i, k;

	for (i = 0; i < t->ngroup; i++) {
		int c = kq_scope_find(s, t->group[i].name, t->group[i].n);

		if (c < 0)
			return kq_unknown_name(s, "property", t->group[i].name,
			                       t->group[i].n, t->group[i].pos, "$apply",
			                       &pc->err);
		for (k = 0; k < i; k++)
			if (strcmp(t->group[k].name, t->group[i].name) == 0)
				return kueri_err_set(&pc->err, KUERI_EBADREQ,
				    (long long)t->group[i].pos, "property '%s' is grouped "
				    "twice at position %zu in $apply", t->group[i].name,
				    t->group[i].pos);
		if (kq_scope_add(&pc->arena, &out, &s->cols[c]) < 0)
			return kq_oom(pc);
	}
	for (i = 0; i < t->naggs; i++) {
		kq_agg *g = &t->aggs[i];
		kq_col  col;
		kq_type in = KT_INT;

		memset(&col, 0, sizeof(col));
		col.field = -1;
		if (kq_scope_find(&out, g->alias, g->alias_n) >= 0 ||
		    kq_scope_find(s, g->alias, g->alias_n) >= 0)
			return alias_check(pc, s, g->alias, g->alias_n, g->pos) < 0
			     ? -1
			     : kueri_err_set(&pc->err, KUERI_ETYPE, (long long)g->pos,
			           "alias '%s' at position %zu in $apply is used twice",
			           g->alias, g->pos);
		if (g->e) {
			if (kq_resolve_opt(g->e, s, 0, "$apply", &pc->err) < 0)
				return -1;
			in = g->e->type;
			if ((g->method == AG_SUM || g->method == AG_AVERAGE) &&
			    !kq_type_numeric(in) && in != KT_NULL)
				return kueri_err_set(&pc->err, KUERI_ETYPE,
				    (long long)g->e->pos, "%s needs a number, not %s, at "
				    "position %zu in $apply",
				    g->method == AG_SUM ? "sum" : "average",
				    kq_type_edm(in), g->e->pos);
			if (in == KT_GEO || in == KT_BOOL) {
				if (g->method != AG_COUNTDISTINCT)
					return kueri_err_set(&pc->err, KUERI_ETYPE,
					    (long long)g->e->pos, "cannot aggregate %s at "
					    "position %zu in $apply", kq_type_edm(in), g->e->pos);
			}
		}
		switch (g->method) {
		case AG_SUM:
			col.type = in == KT_INT32 ? KT_INT : in;
			col.decimal = in == KT_DECIMAL;
			break;
		case AG_MIN:
		case AG_MAX:
			col.type = in;
			break;
		case AG_AVERAGE:
			col.type = in == KT_DECIMAL ? KT_DECIMAL : KT_DOUBLE;
			break;
		case AG_COUNTDISTINCT:
		case AG_COUNT:
			col.type = KT_INT;
			break;
		}
		snprintf(col.sql, sizeof(col.sql), "x%d", (*nx)++);
		col.name = g->alias;
		if (kq_scope_add(&pc->arena, &out, &col) < 0)
			return kq_oom(pc);
	}
	out.has_rowid = 0;
	*s = out;
	return 0;
}

/* compute(e as A, ...): siblings cannot see each other (they live in the
 * same SELECT list), so they join the scope after all are resolved. */
static int
compute_resolve(kq_parse *pc, kq_trans *t, kq_scope *s, int *nx)
{
	kq_col *pending = ku_alloc(&pc->arena, (size_t)t->ncomp *
	                                       sizeof(*pending));
	int     j;

	if (pending == NULL)
		return kq_oom(pc);
	for (j = 0; j < t->ncomp; j++) {
		kq_col *col = &pending[j];

		if (kq_resolve_opt(t->comp[j].e, s, 0, "$apply", &pc->err) < 0)
			return -1;
		if (kq_scope_find(s, t->comp[j].name, t->comp[j].n) >= 0)
			return alias_check(pc, s, t->comp[j].name, t->comp[j].n,
			                   t->comp[j].pos);
		col->field = -1;
		col->name = t->comp[j].name;
		col->type = t->comp[j].e->type;
		col->decimal = col->type == KT_DECIMAL;
		snprintf(col->sql, sizeof(col->sql), "x%d", (*nx)++);
	}
	for (j = 0; j < t->ncomp; j++)
		if (kq_scope_add(&pc->arena, s, &pending[j]) < 0)
			return kq_oom(pc);
	return 0;
}

int
kq_apply_resolve(kq_parse *pc, kq_query *q)
{
	kq_scope    *s = &pc->scope;
	kq_orderkey *pend = NULL;
	int          npend = 0, nx = 0, i, j;

	for (i = 0; i < q->napply; i++) {
		kq_trans *t = &q->apply[i];

		if ((t->in = snapshot(pc, s)) == NULL)
			return kq_oom(pc);
		switch (t->kind) {
		case TR_IDENTITY:
		case TR_TOP:
		case TR_SKIP:
			break;
		case TR_AGGREGATE:
		case TR_GROUPBY:
			if (aggregate_resolve(pc, t, s, &nx) < 0)
				return -1;
			pend = NULL;
			npend = 0;
			break;
		case TR_FILTER:
			if (kq_resolve_opt(t->e, s, 1, "$apply", &pc->err) < 0)
				return -1;
			break;
		case TR_SEARCH:
			if (!s->has_rowid)
				return kueri_err_set(&pc->err, KUERI_EBADREQ,
				    (long long)t->pos, "search() at position %zu in "
				    "$apply must come before any aggregation", t->pos);
			if (pc->set->fts[0] == '\0')
				return kueri_err_set(&pc->err, KUERI_EBADREQ,
				    (long long)t->pos, "entity set '%s' has no searchable "
				    "text, so search() is not available", pc->set->name);
			break;
		case TR_COMPUTE:
			if (compute_resolve(pc, t, s, &nx) < 0)
				return -1;
			break;
		case TR_ORDERBY:
			for (j = 0; j < t->nkeys; j++)
				if (kq_resolve_opt(t->keys[j].e, s, 0, "$apply",
				                   &pc->err) < 0)
					return -1;
			pend = t->keys;
			npend = t->nkeys;
			break;
		}
		if ((t->out = snapshot(pc, s)) == NULL)
			return kq_oom(pc);
	}
	q->order = pend;
	q->norder = npend;
	return 0;
}

/* ---------------------------------------------------------------- codegen */

/* "c0, c3, x1" [+ ", r_"]: a scope as a select list. */
static void
cols_list(const kq_scope *s, ku_buf *b, const char *rowid)
{
	int i, first = 1;

	for (i = 0; i < s->ncols; i++) {
		if (!first)
			ku_buf_puts(b, ", ");
		first = 0;
		ku_buf_puts(b, s->cols[i].sql);
	}
	if (s->has_rowid) {
		if (!first)
			ku_buf_puts(b, ", ");
		ku_buf_printf(b, "%s AS r_", rowid);
	}
}

static int
aggregate_sql(kq_parse *pc, const kq_trans *t, ku_buf *sql, const char *src)
{
	const kq_scope *in = t->in, *out = t->out;
	int             i;

	ku_buf_puts(sql, "(SELECT ");
	/* grouping properties keep their column names */
	for (i = 0; i < t->ngroup; i++) {
		if (i)
			ku_buf_puts(sql, ", ");
		ku_buf_puts(sql, out->cols[i].sql);
	}
	for (i = 0; i < t->naggs; i++) {
		const kq_agg *g = &t->aggs[i];
		kq_type       ty = g->e ? g->e->type : KT_INT;

		if (i || t->ngroup)
			ku_buf_puts(sql, ", ");
		switch (g->method) {
		case AG_SUM:
			ku_buf_puts(sql, "sum(");
			break;
		case AG_MIN:
			ku_buf_puts(sql, ty == KT_DATETIME ? "kq_dtmin(" : "min(");
			break;
		case AG_MAX:
			ku_buf_puts(sql, ty == KT_DATETIME ? "kq_dtmax(" : "max(");
			break;
		case AG_AVERAGE:
			ku_buf_puts(sql, "avg(");
			break;
		case AG_COUNTDISTINCT:
			ku_buf_puts(sql, "count(DISTINCT ");
			break;
		case AG_COUNT:
			ku_buf_puts(sql, "count(*");
			break;
		}
		if (g->e && kq_sql_expr(g->e, in, 0, sql, &pc->binds, &pc->err) < 0)
			return -1;
		ku_buf_printf(sql, ") AS %s", out->cols[t->ngroup + i].sql);
	}
	ku_buf_printf(sql, " FROM %s", src);
	if (t->ngroup) {
		ku_buf_puts(sql, " GROUP BY ");
		for (i = 0; i < t->ngroup; i++)
			ku_buf_printf(sql, "%s%s", i ? ", " : "", out->cols[i].sql);
	}
	ku_buf_puts(sql, ")");
	return 0;
}

int
kq_apply_codegen(kq_parse *pc, const kq_query *q, ku_buf *from)
{
	const kp_set *set = pc->set;
	ku_buf        cur = { 0 }, nx = { 0 };
	const char   *rowid = "rowid";
	const kq_orderkey *pend = NULL;
	int           npend = 0, i, j;

	ku_buf_puts(&cur, set->table);
	for (i = 0; i < q->napply; i++) {
		const kq_trans *t = &q->apply[i];
		const kq_scope *s = t->in;

		memset(&nx, 0, sizeof(nx));
		switch (t->kind) {
		case TR_IDENTITY:
			continue;
		case TR_AGGREGATE:
		case TR_GROUPBY:
			if (aggregate_sql(pc, t, &nx, cur.s) < 0)
				goto fail;
			pend = NULL;
			npend = 0;
			break;
		case TR_FILTER:
			ku_buf_puts(&nx, "(SELECT ");
			cols_list(s, &nx, rowid);
			ku_buf_printf(&nx, " FROM %s WHERE ", cur.s);
			if (kq_sql_expr(t->e, s, 1, &nx, &pc->binds, &pc->err) < 0)
				goto fail;
			ku_buf_puts(&nx, ")");
			break;
		case TR_SEARCH:
			ku_buf_puts(&nx, "(SELECT ");
			cols_list(s, &nx, rowid);
			ku_buf_printf(&nx, " FROM %s WHERE ", cur.s);
			if (kq_search_emit(&pc->arena, t->sq, set->fts, rowid, &nx,
			                   &pc->binds, &pc->err) < 0)
				goto fail;
			ku_buf_puts(&nx, ")");
			break;
		case TR_COMPUTE:
			ku_buf_puts(&nx, "(SELECT ");
			cols_list(s, &nx, rowid);
			for (j = 0; j < t->ncomp; j++) {
				ku_buf_puts(&nx, s->ncols || s->has_rowid || j ? ", (" : "(");
				if (kq_sql_expr(t->comp[j].e, s, 0, &nx, &pc->binds,
				                &pc->err) < 0)
					goto fail;
				ku_buf_printf(&nx, ") AS %s",
				              t->out->cols[s->ncols + j].sql);
			}
			ku_buf_printf(&nx, " FROM %s)", cur.s);
			break;
		case TR_ORDERBY:
			pend = t->keys;
			npend = t->nkeys;
			continue;
		case TR_TOP:
		case TR_SKIP: {
			kq_bind v = { KB_INT, t->count, 0, NULL, 0, 0 };

			ku_buf_puts(&nx, "(SELECT ");
			cols_list(s, &nx, rowid);
			ku_buf_printf(&nx, " FROM %s", cur.s);
			if (npend) {
				ku_buf_puts(&nx, " ORDER BY ");
				for (j = 0; j < npend; j++) {
					if (j)
						ku_buf_puts(&nx, ", ");
					if (kq_sql_sortkey(pend[j].e, s, &nx, &pc->binds,
					                   &pc->err) < 0)
						goto fail;
					if (pend[j].desc)
						ku_buf_puts(&nx, " DESC");
				}
			}
			kq_binds_add(&pc->binds, &v);
			if (t->kind == TR_TOP)
				ku_buf_printf(&nx, " LIMIT ?%d)", pc->binds.n);
			else
				ku_buf_printf(&nx, " LIMIT -1 OFFSET ?%d)", pc->binds.n);
			break;
		}
		}
		if (t->out->has_rowid)
			rowid = "r_";
		ku_buf_free(&cur);
		cur = nx;
		memset(&nx, 0, sizeof(nx));
		if (cur.oom) {
			kq_oom(pc);
			goto fail;
		}
	}
	if (cur.n && strcmp(cur.s, set->table) == 0) {
		/* only identity/orderby: still wrap so r_ exists */
		ku_buf_puts(from, "(SELECT ");
		cols_list(q->apply[q->napply - 1].out, from, "rowid");
		ku_buf_printf(from, " FROM %s)", set->table);
	} else
		ku_buf_add(from, cur.s, cur.n);
	ku_buf_free(&cur);
	return 0;
fail:
	ku_buf_free(&nx);
	ku_buf_free(&cur);
	return -1;
}
