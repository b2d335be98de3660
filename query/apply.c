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
 * This is the codegen half: resolve_query.c has checked every name and
 * type and recorded the scope each transformation sees and leaves
 * (t->in, t->out, output columns named x<N>); the SQL is written from
 * those scopes without checking anything.
 */
#include <stdio.h>
#include <string.h>

#include "kq_int.h"

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
