/*
 * resolve_query.c -- the resolve stage over the whole query tree, in one
 * pass and in option order: the scope (base fields, then $apply's
 * transformations one after another, then $compute), $filter, $search's
 * availability, $select, $orderby, an entity's key predicate and the
 * shape of a $skiptoken.  Each expression is resolved by resolve.c
 * (names bound to scope columns, OData's type rules); what is checked
 * here is how the options fit together.  Every 4xx that is not a syntax
 * error is raised here or in resolve.c, never in codegen.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "kq_int.h"

/* ---------------------------------------------------------------- $apply */

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

static int
apply_resolve(kq_parse *pc, kq_query *q)
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

/* ---------------------------------------------------------------- the tree */

/*
 * The base fields under their OData names: the portal gave every field
 * its identifier when it loaded the set (portal/names.c), so these are
 * the names $metadata declares, borrowed for the request's lifetime.
 */
static int
base_scope(kq_parse *pc)
{
	kq_scope *s = &pc->scope;
	int       i;

	memset(s, 0, sizeof(*s));
	s->has_rowid = 1;
	if (kq_row_key(pc->set)) {
		/* the synthetic key of a set without a primary key */
		kq_col c;

		memset(&c, 0, sizeof(c));
		c.name = KQ_ROW_NAME;
		c.type = KT_INT;
		c.field = pc->set->nfields;
		snprintf(c.sql, sizeof(c.sql), "rowid");
		if (kq_scope_add(&pc->arena, s, &c) < 0)
			return kq_oom(pc);
	}
	for (i = 0; i < pc->set->nfields; i++) {
		kq_col c;

		memset(&c, 0, sizeof(c));
		c.name = pc->set->fields[i].name;
		c.type = kq_type_of_field(&pc->set->fields[i]);
		c.field = i;
		c.decimal = pc->set->fields[i].decimal;
		{       /* "c<i>" without snprintf: this runs per field per request */
			char  tmp[32], *d = ku_fmt_lld(tmp, i);
			size_t n = (size_t)(tmp + 32 - d);

			c.sql[0] = 'c';
			memcpy(c.sql + 1, d, n);
			c.sql[n + 1] = '\0';
		}
		if (kq_scope_add(&pc->arena, s, &c) < 0)
			return kq_oom(pc);
	}
	return 0;
}

/* $compute: each alias is visible to the ones after it. */
static int
resolve_compute(kq_parse *pc, kq_query *q)
{
	int i;

	for (i = 0; i < q->ncompute; i++) {
		kq_compute *cv = &q->compute[i];
		kq_col      c;

		if (kq_resolve_opt(cv->e, &pc->scope, 0, "$compute", &pc->err) < 0)
			return kq_opt_err(pc, KQ_O_COMPUTE);
		if (kq_scope_find(&pc->scope, cv->name, cv->n) >= 0) {
			kueri_err_set(&pc->err, KUERI_ETYPE, (long long)cv->pos,
			    "computed name '%s' at position %zu clashes with a "
			    "property", cv->name, cv->pos);
			return kq_opt_err(pc, KQ_O_COMPUTE);
		}
		memset(&c, 0, sizeof(c));
		c.name = cv->name;
		c.type = cv->e->type;
		c.decimal = c.type == KT_DECIMAL;
		c.field = -1;
		c.expr = cv->e;
		c.computed = 1;
		if (kq_scope_add(&pc->arena, &pc->scope, &c) < 0)
			return kq_oom(pc);
	}
	return 0;
}

/* $apply, $compute, $filter, $search: the source of every path kind. */
static int
resolve_source(kq_parse *pc, kq_query *q)
{
	const kq_scope *s = &pc->scope;

	if (base_scope(pc) < 0)
		return -1;
	q->rowid = "rowid";
	if (q->apply) {
		if (apply_resolve(pc, q) < 0)
			return kq_opt_err(pc, KQ_O_APPLY);
		q->rowid = s->has_rowid ? "r_" : NULL;
	}
	if (resolve_compute(pc, q) < 0)
		return -1;
	if (q->filter &&
	    kq_resolve_opt(q->filter, s, 1, "$filter", &pc->err) < 0)
		return kq_opt_err(pc, KQ_O_FILTER);
	if (q->has_search) {
		if (pc->set->fts[0] == '\0') {
			kueri_err_set(&pc->err, KUERI_EBADREQ, -1,
			    "entity set '%s' has no searchable text fields, so $search "
			    "is not available", pc->set->name);
			return kq_opt_err(pc, KQ_O_SEARCH);
		}
		if (q->rowid == NULL) {
			kueri_err_set(&pc->err, KUERI_EBADREQ, -1,
			    "$search cannot follow an aggregating $apply; use "
			    "search() inside $apply");
			return kq_opt_err(pc, KQ_O_SEARCH);
		}
	}
	return 0;
}

static int
add_out(kq_parse *pc, kq_query *q, int col)
{
	if (q->nout % 16 == 0) {
		int *no = ku_alloc(&pc->arena, (size_t)(q->nout + 16) * sizeof(*no));

		if (no == NULL)
			return kq_oom(pc);
		if (q->nout)
			memcpy(no, q->out, (size_t)q->nout * sizeof(*no));
		q->out = no;
	}
	q->out[q->nout++] = col;
	return 0;
}

/*
 * $select, else every column, → q->out.  $compute's properties count as
 * columns in both the default selection and '*' (URL 4.01 5.1.3:
 * computed properties SHOULD be in the result and MUST be when $select
 * names them or is '*').
 */
static int
resolve_select(kq_parse *pc, kq_query *q)
{
	const kq_scope *s = &pc->scope;
	char           *used;
	int             i, k;

	if ((used = ku_alloc(&pc->arena, (size_t)s->ncols + 1)) == NULL)
		return kq_oom(pc);
	if (q->nselect == 0) {
		for (i = 0; i < s->ncols; i++)
			if (add_out(pc, q, i) < 0)
				return -1;
		return 0;
	}
	for (k = 0; k < q->nselect; k++) {
		const kq_selitem *it = &q->select[k];

		if (it->star) {
			for (i = 0; i < s->ncols; i++)
				if (!used[i]) {
					used[i] = 1;
					if (add_out(pc, q, i) < 0)
						return -1;
				}
			continue;
		}
		if ((i = kq_scope_find(s, it->name, it->n)) < 0) {
			kq_unknown_name(s, "property", it->name, it->n, it->pos,
			                "$select", &pc->err);
			return kq_opt_err(pc, KQ_O_SELECT);
		}
		if (used[i])
			continue;
		used[i] = 1;
		if (add_out(pc, q, i) < 0)
			return -1;
	}
	return 0;
}

/* $orderby, else the trailing orderby() of $apply. */
static int
resolve_orderby(kq_parse *pc, kq_query *q)
{
	int i;

	if (q->orderby == NULL)
		return 0;      /* q->order stays $apply's (apply_resolve) */
	for (i = 0; i < q->norderby; i++) {
		kq_node *e = q->orderby[i].e;

		if (kq_resolve_opt(e, &pc->scope, 0, "$orderby", &pc->err) < 0)
			return kq_opt_err(pc, KQ_O_ORDERBY);
		if (e->type == KT_GEO) {
			kueri_err_set(&pc->err, KUERI_ETYPE, (long long)e->pos,
			              "cannot order by a geographic property");
			return kq_opt_err(pc, KQ_O_ORDERBY);
		}
	}
	q->order = q->orderby;
	q->norder = q->norderby;
	return 0;
}

/* The $skiptoken must fit this query's sort: an offset after an
 * aggregation, else one value per sort key and the rowid. */
static int
resolve_token(kq_parse *pc, kq_query *q)
{
	json_t *v;
	size_t  i;
	int     ntok = q->norder + (q->rowid ? 1 : 0);

	if (q->token == NULL)
		return 0;
	if (q->rowid == NULL) {
		v = json_object_get(q->token, "o");
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			return 0;
	} else {
		v = json_object_get(q->token, "k");
		if (json_is_array(v) && (int)json_array_size(v) == ntok) {
			for (i = 0; i < json_array_size(v); i++) {
				json_t *e = json_array_get(v, i);

				if (!json_is_null(e) && !json_is_integer(e) &&
				    !json_is_real(e) && !json_is_string(e))
					break;
			}
			if (i == json_array_size(v))
				return 0;
		}
	}
	kueri_err_set(&pc->err, KUERI_EBADREQ, 0, "invalid or stale $skiptoken: "
	              "follow @odata.nextLink exactly as given");
	return kq_opt_err(pc, KQ_O_SKIPTOKEN);
}

static int
keyerr(kq_parse *pc)
{
	kueri_err_target(&pc->err, "key");
	if (pc->err.code == KUERI_OK)
		pc->err.code = KUERI_EBADREQ;
	return -1;
}

/* Each key of the predicate → (key property eq value), typed. */
static int
resolve_key(kq_parse *pc, kq_query *q)
{
	const kq_scope *s = &pc->scope;
	char           *seen;
	int             k, i;

	if ((seen = ku_alloc(&pc->arena, (size_t)pc->set->nfields + 1)) == NULL)
		return kq_oom(pc);
	for (k = 0; k < q->nkey; k++) {
		kq_keyitem *ki = &q->key[k];
		kq_node    *prop, *eq, *lit = ki->lit;
		int         field;

		if (ki->name) {
			int c = kq_scope_find(s, ki->name, ki->n);

			for (i = 0; i < q->nkeys; i++)
				if (c >= 0 && q->keys[i] == s->cols[c].field)
					break;
			if (c < 0 || i == q->nkeys) {
				kueri_err_set(&pc->err, KUERI_EBADREQ, (long long)ki->pos,
				    "'%.*s' is not a key property of '%s'",
				    (int)(ki->n > 64 ? 64 : ki->n), ki->name,
				    pc->set->name);
				return keyerr(pc);
			}
			field = s->cols[c].field;
		} else {
			if (q->nkeys != 1 || k > 0) {
				kueri_err_set(&pc->err, KUERI_EBADREQ, (long long)lit->pos,
				    "entity set '%s' has a compound key: name every key "
				    "property (k1=...,k2=...)", pc->set->name);
				return keyerr(pc);
			}
			field = q->keys[0];
		}
		if (seen[field]++) {
			kueri_err_set(&pc->err, KUERI_EBADREQ, (long long)lit->pos,
			              "key property given twice");
			return keyerr(pc);
		}
		prop = ku_alloc(&pc->arena, sizeof(*prop));
		eq = ku_alloc(&pc->arena, sizeof(*eq));
		if (prop == NULL || eq == NULL)
			return kq_oom(pc);
		prop->kind = N_PROP;
		prop->s = field < pc->set->nfields ? pc->set->fields[field].name
		                                   : KQ_ROW_NAME;
		prop->n = strlen(prop->s);
		eq->kind = N_BIN;
		eq->op = O_EQ;
		eq->a = prop;
		eq->b = lit;
		eq->pos = lit->pos;
		if (kq_resolve_opt(eq, s, 1, "the key", &pc->err) < 0 ||
		    (lit->type != prop->type &&
		     !(kq_type_numeric(lit->type) && kq_type_numeric(prop->type)))) {
			if (pc->err.code == KUERI_OK || pc->err.msg[0] == '\0')
				kueri_err_set(&pc->err, KUERI_ETYPE, (long long)lit->pos,
				    "key value has the wrong type: %s expected",
				    kq_type_edm(prop->type));
			return keyerr(pc);
		}
		ki->eq = eq;
	}
	if (q->nkey != q->nkeys) {
		kueri_err_set(&pc->err, KUERI_EBADREQ, -1,
		    "every key property of '%s' must be given", pc->set->name);
		return keyerr(pc);
	}
	return 0;
}

int
kq_query_resolve(kq_parse *pc, kq_query *q)
{
	switch (q->kind) {
	case KQ_Q_COUNT:
		return resolve_source(pc, q);
	case KQ_Q_ENTITY:
		/* the key $metadata declares: the primary key, else a stand-in */
		q->nkeys = kq_set_key(pc->set, q->keys, 16);
		if (q->nkeys <= 0)
			return kueri_err_set(&pc->err, KUERI_EBADREQ, -1,
			    "entity set '%s' has no key, so entities cannot be "
			    "addressed by key; use $filter", pc->setname);
		return resolve_source(pc, q) < 0 || resolve_key(pc, q) < 0 ||
		       resolve_select(pc, q) < 0 ? -1 : 0;
	case KQ_Q_COLLECTION:
		break;
	}
	return resolve_source(pc, q) < 0 || resolve_select(pc, q) < 0 ||
	       resolve_orderby(pc, q) < 0 || resolve_token(pc, q) < 0 ? -1 : 0;
}
