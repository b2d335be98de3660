/*
 * codegen.c -- the statement of an answer: the scope (base fields,
 * $compute, $apply aliases), the output columns, then the whole SELECT
 * (and its $count twin) for a collection, an entity or /$count --
 * $filter, $search, $orderby, $select, paging and the skiptoken's keyset
 * condition -- built in one place from the parsed and resolved options,
 * then prepared on the portal connection under the answer's authorizer
 * and deadline.  Expressions come from sql.c, $apply from apply.c.
 */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kq_answer.h"

static int
progress(void *ctx)
{
	kq_answer      *a = ctx;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > a->deadline.tv_sec ||
	       (now.tv_sec == a->deadline.tv_sec &&
	        now.tv_nsec >= a->deadline.tv_nsec);
}






/* Name the option an error is about, and say so in the message. */
int
kq_opt_err(kq_answer *a, int id)
{
	const char *name = kq_option_name(id);

	kueri_err_target(&a->err, name);
	if (!strstr(a->err.msg, " in $")) {
		size_t n = strlen(a->err.msg);

		snprintf(a->err.msg + n, sizeof(a->err.msg) - n, " in %s", name);
	}
	return -1;
}

int
kq_oom(kq_answer *a)
{
	return kueri_err_set(&a->err, KUERI_ENOMEM, -1, "out of memory");
}

/* ---------------------------------------------------------------- scope */

/*
 * The base fields under their OData names: the portal gave every field
 * its identifier when it loaded the set (portal/names.c), so these are
 * the names $metadata declares, borrowed for the answer's lifetime.
 */
static int
base_scope(kq_answer *a, kq_scope *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->has_rowid = 1;
	for (i = 0; i < a->set->nfields; i++) {
		kq_col c;

		memset(&c, 0, sizeof(c));
		c.name = a->set->fields[i].name;
		c.type = kq_type_of_field(&a->set->fields[i]);
		c.field = i;
		c.decimal = a->set->fields[i].decimal;
		snprintf(c.sql, sizeof(c.sql), "c%d", i);
		if (kq_scope_add(&a->arena, s, &c) < 0)
			return kq_oom(a);
	}
	return 0;
}

/* Parse and resolve one expression option against the scope. */
static kq_node *
expr_opt(kq_answer *a, int id, const kq_scope *s, int want_bool)
{
	kq_parser p;
	kq_node  *n;

	kq_parser_init(&p, &a->arena, a->opt.val[id], a->opt.len[id],
	               a->lim.max_depth, a->lim.max_nodes, &a->err);
	if ((n = kq_parse_full(&p)) == NULL ||
	    kq_resolve_opt(n, s, want_bool, kq_option_name(id), &a->err) < 0) {
		kq_opt_err(a, id);
		return NULL;
	}
	return n;
}

/* Digits only, fits in Int64. */
static int
count_opt(kq_answer *a, int id, long long *out)
{
	const char *v = a->opt.val[id];
	size_t      i, n = a->opt.len[id];

	*out = -1;
	if (v == NULL)
		return 0;
	if (n == 0 || n > 18) {
		kueri_err_set(&a->err, KUERI_EBADREQ, 0, "%s must be a non-negative "
		              "integer of at most 18 digits", kq_option_name(id));
		return kq_opt_err(a, id);
	}
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)v[i])) {
			kueri_err_set(&a->err, KUERI_EBADREQ, (long long)i,
			    "%s must be a non-negative integer (digits only); found "
			    "'%c' at position %zu", kq_option_name(id), v[i], i);
			return kq_opt_err(a, id);
		}
	*out = strtoll(v, NULL, 10);
	return 0;
}

/* ---------------------------------------------------------------- output */

static int
add_out(kq_answer *a, const kq_col *c, ku_buf *sel, const kq_scope *s,
        int first)
{
	ku_buf nm = { 0 };

	if ((a->nout % 16) == 0) {
		kq_outcol *no = ku_alloc(&a->arena, (size_t)(a->nout + 16) *
		                                    sizeof(*no));
		char     **nn = ku_alloc(&a->arena, (size_t)(a->nout + 16) *
		                                    sizeof(*nn));

		if (no == NULL || nn == NULL)
			return kq_oom(a);
		if (a->nout) {
			memcpy(no, a->out, (size_t)a->nout * sizeof(*no));
			memcpy(nn, a->outname, (size_t)a->nout * sizeof(*nn));
		}
		a->out = no;
		a->outname = nn;
	}
	/* copied: the answer must not depend on the catalog staying loaded */
	if ((a->out[a->nout].name = ku_strndup(&a->arena, c->name,
	                                       strlen(c->name))) == NULL)
		return kq_oom(a);
	a->out[a->nout].type = c->type;
	a->out[a->nout].decimal = c->decimal;
	kq_json_str(&nm, c->name, strlen(c->name));
	ku_buf_add(&nm, ":", 1);
	a->outname[a->nout] = nm.oom ? NULL : ku_strndup(&a->arena, nm.s, nm.n);
	ku_buf_free(&nm);
	if (a->outname[a->nout] == NULL)
		return kq_oom(a);
	a->nout++;
	if (!first)
		ku_buf_puts(sel, ", ");
	if (c->expr) {
		ku_buf_puts(sel, "(");
		if (kq_sql_expr(c->expr, s, 0, sel, &a->binds, &a->err) < 0)
			return -1;
		ku_buf_puts(sel, ")");
	} else
		ku_buf_puts(sel, c->sql);
	return 0;
}

/* $select (or every default column) → output list and context suffix. */
static int
select_list(kq_answer *a, const kq_scope *s, ku_buf *sel, ku_buf *ctx)
{
	kq_selitem *items = NULL;
	int         n = 0, i, k;
	char       *used;

	if (a->opt.val[KQ_O_SELECT]) {
		kq_parser p;

		kq_parser_init(&p, &a->arena, a->opt.val[KQ_O_SELECT],
		               a->opt.len[KQ_O_SELECT], a->lim.max_depth,
		               a->lim.max_nodes, &a->err);
		if ((n = kq_parse_select(&p, &items)) < 0)
			return kq_opt_err(a, KQ_O_SELECT);
	}
	if ((used = ku_alloc(&a->arena, (size_t)s->ncols + 1)) == NULL)
		return kq_oom(a);
	if (n == 0) {
		for (i = 0; i < s->ncols; i++)
			if (!s->cols[i].computed &&
			    add_out(a, &s->cols[i], sel, s, a->nout == 0) < 0)
				return -1;
		return 0;
	}
	ku_buf_puts(ctx, "(");
	for (k = 0; k < n; k++) {
		if (k)
			ku_buf_puts(ctx, ",");
		if (items[k].star) {
			ku_buf_puts(ctx, "*");
			for (i = 0; i < s->ncols; i++)
				if (!s->cols[i].computed && !used[i]) {
					used[i] = 1;
					if (add_out(a, &s->cols[i], sel, s, a->nout == 0) < 0)
						return -1;
				}
			continue;
		}
		i = kq_scope_find(s, items[k].name, items[k].n);
		if (i < 0) {
			kq_unknown_name(s, "property", items[k].name, items[k].n,
			                items[k].pos, "$select", &a->err);
			return kq_opt_err(a, KQ_O_SELECT);
		}
		ku_buf_puts(ctx, items[k].name);
		if (used[i])
			continue;
		used[i] = 1;
		if (add_out(a, &s->cols[i], sel, s, a->nout == 0) < 0)
			return -1;
	}
	ku_buf_puts(ctx, ")");
	return 0;
}

/* ---------------------------------------------------------------- run */

int
kq_sqlite_err(kq_answer *a, int rc)
{
	const char *m = sqlite3_errmsg(a->db);

	if (rc == SQLITE_INTERRUPT)
		return kueri_err_set(&a->err, KUERI_ETIMEOUT, -1,
		    "the query took longer than its time budget of %d ms; narrow "
		    "it with $filter or $top", a->lim.time_ms);
	if (strstr(m, "integer overflow"))
		return kueri_err_set(&a->err, KUERI_EBADREQ, -1,
		    "integer overflow while computing the result (Edm.Int64 "
		    "range exceeded)");
	if (strncmp(m, "kq_matches: ", 12) == 0)
		return kueri_err_set(&a->err, KUERI_EBADREQ, -1,
		    "matchesPattern: %s", m + 12);
	if (strstr(m, "too large") || strstr(m, "too many") ||
	    strstr(m, "stack overflow"))
		return kueri_err_set(&a->err, KUERI_ELIMIT, -1,
		    "the query is too complex for the database (%s)", m);
	if ((rc & 0xff) == SQLITE_NOMEM || (rc & 0xff) == SQLITE_TOOBIG)
		return kueri_err_set(&a->err, KUERI_ELIMIT, -1,
		    "the query needs more memory than allowed");
	if (a->auth.denied)
		return kueri_err_set(&a->err, KUERI_EINTERNAL, -1,
		    "internal error: statement refused by the authorizer");
	return kueri_err_set(&a->err, KUERI_EDB, -1, "database error");
}

/* The answer's authorizer and deadline on the connection (conn.c keeps
 * the per-connection side). */
static void
hook(kq_answer *a)
{
	if (a->hooked)
		return;
	a->hooked = kq_conn_hook(a->portal, &a->auth);
	sqlite3_progress_handler(a->db, 1000, progress, a);
}

void
kq_unhook(kq_answer *a)
{
	if (!a->hooked)
		return;
	kq_conn_unhook(a->portal, a->hooked);
	a->hooked = 0;
	sqlite3_progress_handler(a->db, 0, NULL, NULL);
}

/* Done with the answer's statement: back to the cache when it came from
 * (or may go to) it, finalized otherwise. */
void
kq_release_st(kq_answer *a)
{
	if (a->st == NULL)
		return;
	if (a->st_sql != NULL)
		kq_conn_put(a->portal, a->st_sql, a->st);
	else
		sqlite3_finalize(a->st);
	a->st = NULL;
	a->st_sql = NULL;
}

/* prepare_sql for the answer's own statement (a->st), through the
 * portal's statement cache. */
static int prepare_sql(kq_answer *a, const char *sql, sqlite3_stmt **st);

static int
prepare_main(kq_answer *a, const char *sql)
{
	char *text = NULL;
	sqlite3_stmt *st = kq_conn_take(a->portal, sql, &text);

	if (st != NULL) {
		hook(a);
		a->st = st;
		a->st_sql = text;
		if (kq_binds_apply(&a->binds, st) < 0)
			return kueri_err_set(&a->err, KUERI_EDB, -1,
			                     "cannot bind values");
		return 0;
	}
	if (prepare_sql(a, sql, &a->st) < 0)
		return -1;
	a->st_sql = strdup(sql);    /* NULL (no memory): finalized at the end */
	return 0;
}

static int
prepare_sql(kq_answer *a, const char *sql, sqlite3_stmt **st)
{
	int rc;

	hook(a);
	rc = kq_conn_prepare(a->portal, a->hooked, sql, st);
	if (rc != SQLITE_OK) {
		if (a->lim.debug_sql)
			fprintf(stderr, "kueri: prepare failed: %s\n  %s\n",
			        sqlite3_errmsg(a->db), sql);
		return kq_sqlite_err(a, rc);
	}
	if (a->lim.debug_sql)
		fprintf(stderr, "kueri: %s\n", sql);
	if (kq_binds_apply(&a->binds, *st) < 0)
		return kueri_err_set(&a->err, KUERI_EDB, -1, "cannot bind values");
	return 0;
}

/* ---------------------------------------------------------------- skiptoken */

static int
token_err(kq_answer *a)
{
	kueri_err_set(&a->err, KUERI_EBADREQ, 0, "invalid or stale $skiptoken: "
	              "follow @odata.nextLink exactly as given");
	return kq_opt_err(a, KQ_O_SKIPTOKEN);
}


static int
bind_json(kq_answer *a, json_t *v)
{
	kq_bind b;

	memset(&b, 0, sizeof(b));
	if (json_is_null(v))
		b.t = KB_NULL;
	else if (json_is_integer(v)) {
		b.t = KB_INT;
		b.i = json_integer_value(v);
	} else if (json_is_real(v)) {
		b.t = KB_DOUBLE;
		b.d = json_real_value(v);
	} else if (json_is_string(v)) {
		b.t = KB_TEXT;
		b.n = json_string_length(v);
		if ((b.s = ku_strndup(&a->arena, json_string_value(v), b.n)) == NULL)
			return kq_oom(a);
	} else
		return -1;
	if (kq_binds_add(&a->binds, &b) < 0)
		return kq_oom(a);
	return a->binds.n;
}

/* ---------------------------------------------------------------- build */

typedef struct qparts {
	kq_scope     s;
	ku_buf       from;       /* "t3" or "(SELECT …)"                   */
	ku_buf       where;      /* conditions joined by AND, or empty      */
	const char  *rowid;      /* "rowid", "r_" or NULL                   */
	kq_orderkey *keys;
	int          nkeys;
} qparts;

static void
qparts_free(qparts *q)
{
	ku_buf_free(&q->from);
	ku_buf_free(&q->where);
}

static void
where_and(qparts *q)
{
	if (q->where.n)
		ku_buf_puts(&q->where, " AND ");
}

/* $apply, $compute, $filter, $search → q (shared by every path kind). */
static int
build_source(kq_answer *a, qparts *q, int allow_apply)
{
	if (base_scope(a, &q->s) < 0)
		return -1;
	q->rowid = "rowid";
	if (a->opt.val[KQ_O_APPLY]) {
		kq_parser p;
		kq_trans *tr;
		int       ntr;

		if (!allow_apply) {
			kueri_err_set(&a->err, KUERI_EBADREQ, -1,
			              "$apply is not allowed here");
			return kq_opt_err(a, KQ_O_APPLY);
		}
		kq_parser_init(&p, &a->arena, a->opt.val[KQ_O_APPLY],
		               a->opt.len[KQ_O_APPLY], a->lim.max_depth,
		               a->lim.max_nodes * 4, &a->err);
		if ((ntr = kq_parse_apply(&p, &tr)) < 0 ||
		    kq_apply_compile(&a->arena, a->set, tr, ntr, &q->s, &q->from,
		                     &a->binds, &a->lim, &q->keys, &q->nkeys,
		                     &a->err) < 0)
			return kq_opt_err(a, KQ_O_APPLY);
		q->rowid = q->s.has_rowid ? "r_" : NULL;
	} else
		ku_buf_puts(&q->from, a->set->table);
	if (a->opt.val[KQ_O_COMPUTE]) {
		kq_parser   p;
		kq_compute *cv;
		int         n, i;

		kq_parser_init(&p, &a->arena, a->opt.val[KQ_O_COMPUTE],
		               a->opt.len[KQ_O_COMPUTE], a->lim.max_depth,
		               a->lim.max_nodes, &a->err);
		if (kq_next(&p) < 0 || (p.tok.type == TK_EOF &&
		    kueri_err_set(&a->err, KUERI_ESYNTAX, 0, "empty $compute")) ||
		    (n = kq_parse_compute(&p, &cv, TK_EOF)) < 0)
			return kq_opt_err(a, KQ_O_COMPUTE);
		for (i = 0; i < n; i++) {
			kq_col c;

			if (kq_resolve_opt(cv[i].e, &q->s, 0, "$compute", &a->err) < 0)
				return kq_opt_err(a, KQ_O_COMPUTE);
			if (kq_scope_find(&q->s, cv[i].name, cv[i].n) >= 0) {
				kueri_err_set(&a->err, KUERI_ETYPE, (long long)cv[i].pos,
				    "computed name '%s' at position %zu clashes with a "
				    "property", cv[i].name, cv[i].pos);
				return kq_opt_err(a, KQ_O_COMPUTE);
			}
			memset(&c, 0, sizeof(c));
			c.name = cv[i].name;
			c.type = cv[i].e->type;
			c.decimal = c.type == KT_DECIMAL;
			c.field = -1;
			c.expr = cv[i].e;
			c.computed = 1;
			if (kq_scope_add(&a->arena, &q->s, &c) < 0)
				return kq_oom(a);
		}
	}
	if (a->opt.val[KQ_O_FILTER]) {
		kq_node *n = expr_opt(a, KQ_O_FILTER, &q->s, 1);

		if (n == NULL)
			return -1;
		where_and(q);
		if (kq_sql_expr(n, &q->s, 1, &q->where, &a->binds, &a->err) < 0)
			return -1;
	}
	if (a->opt.val[KQ_O_SEARCH]) {
		if (a->set->fts[0] == '\0') {
			kueri_err_set(&a->err, KUERI_EBADREQ, -1,
			    "entity set '%s' has no searchable text fields, so $search "
			    "is not available", a->set->name);
			return kq_opt_err(a, KQ_O_SEARCH);
		}
		if (q->rowid == NULL) {
			kueri_err_set(&a->err, KUERI_EBADREQ, -1,
			    "$search cannot follow an aggregating $apply; use "
			    "search() inside $apply");
			return kq_opt_err(a, KQ_O_SEARCH);
		}
		where_and(q);
		if (kq_search_sql(&a->arena, a->opt.val[KQ_O_SEARCH],
		                  a->opt.len[KQ_O_SEARCH], a->set->fts, q->rowid,
		                  &q->where, &a->binds, a->lim.max_nodes,
		                  &a->err) < 0)
			return kq_opt_err(a, KQ_O_SEARCH);
	}
	return 0;
}

static int
forbid(kq_answer *a, const int *ids, int n, const char *where)
{
	int i;

	for (i = 0; i < n; i++)
		if (a->opt.val[ids[i]]) {
			kueri_err_set(&a->err, KUERI_EBADREQ, -1,
			    "%s is not allowed %s", kq_option_name(ids[i]), where);
			kueri_err_target(&a->err, kq_option_name(ids[i]));
			return -1;
		}
	return 0;
}

int
kq_build_count(kq_answer *a)
{
	static const int no[] = { KQ_O_TOP, KQ_O_SKIP, KQ_O_ORDERBY, KQ_O_SELECT,
	                          KQ_O_COUNT, KQ_O_SKIPTOKEN, KQ_O_COMPUTE };
	qparts q;
	ku_buf sql = { 0 };
	int    rc = -1;

	memset(&q, 0, sizeof(q));
	if (forbid(a, no, (int)(sizeof(no) / sizeof(no[0])),
	           "with /$count (only $filter, $search, $apply)") < 0)
		return -1;
	/* The whole set: the row count stored at publish, no scan (O(1)). */
	if (!a->opt.val[KQ_O_FILTER] && !a->opt.val[KQ_O_SEARCH] &&
	    !a->opt.val[KQ_O_APPLY] && a->set->rows >= 0) {
		a->count = a->set->rows;
		return 0;
	}
	if (build_source(a, &q, 1) < 0)
		goto out;
	ku_buf_printf(&sql, "SELECT count(*) FROM %s", q.from.s);
	if (q.where.n)
		ku_buf_printf(&sql, " WHERE %s", q.where.s);
	if (sql.oom || q.where.oom || q.from.oom) {
		kq_oom(a);
		goto out;
	}
	if (prepare_main(a, sql.s) < 0)
		goto out;
	a->step_rc = sqlite3_step(a->st);
	if (a->step_rc != SQLITE_ROW) {
		kq_sqlite_err(a, a->step_rc);
		goto out;
	}
	a->count = sqlite3_column_int64(a->st, 0);
	rc = 0;
out:
	ku_buf_free(&sql);
	qparts_free(&q);
	return rc;
}

/* Key predicate: ('x') / (42) / (k1='a',k2=1) → WHERE. */
int
kq_build_entity(kq_answer *a, const char *pred, size_t n)
{
	static const int no[] = { KQ_O_TOP, KQ_O_SKIP, KQ_O_ORDERBY, KQ_O_FILTER,
	                          KQ_O_SEARCH, KQ_O_COUNT, KQ_O_SKIPTOKEN,
	                          KQ_O_APPLY };
	kq_parser p;
	qparts    q;
	ku_buf    sql = { 0 }, sel = { 0 }, ctx = { 0 };
	int       rc = -1, k = 0;
	char     *seen;

	memset(&q, 0, sizeof(q));
	if (forbid(a, no, (int)(sizeof(no) / sizeof(no[0])),
	           "when addressing a single entity") < 0)
		return -1;
	/* the key $metadata declares: the primary key, else a stand-in */
	a->nkeys = kq_set_key(a->set, a->keys, 16);
	if (a->nkeys <= 0)
		return kueri_err_set(&a->err, KUERI_EBADREQ, -1,
		    "entity set '%s' has no key, so entities cannot be addressed "
		    "by key; use $filter", a->setname);
	if (build_source(a, &q, 0) < 0)
		goto out;
	if ((seen = ku_alloc(&a->arena, (size_t)a->set->nfields)) == NULL) {
		kq_oom(a);
		goto out;
	}
	kq_parser_init(&p, &a->arena, pred, n, 4, 64, &a->err);
	if (kq_next(&p) < 0)
		goto keyerr;
	for (;;) {
		kq_node *prop, *lit, *eq;
		int      field;

		if (p.tok.type == TK_IDENT && !kq_is_kw(&p, "true") &&
		    !kq_is_kw(&p, "false") && !kq_is_kw(&p, "null")) {
			kq_tok name = p.tok;
			int    c = kq_scope_find(&q.s, name.s, name.n), i;

			if (kq_next(&p) < 0)
				goto keyerr;
			if (p.tok.type != TK_EQUALS) {
				kueri_err_set(&a->err, KUERI_ESYNTAX, (long long)p.tok.pos,
				    "expected '=' after the key name at position %zu",
				    p.tok.pos);
				goto keyerr;
			}
			for (i = 0; i < a->nkeys; i++)
				if (c >= 0 && a->keys[i] == q.s.cols[c].field)
					break;
			if (c < 0 || i == a->nkeys) {
				kueri_err_set(&a->err, KUERI_EBADREQ, (long long)name.pos,
				    "'%.*s' is not a key property of '%s'",
				    (int)(name.n > 64 ? 64 : name.n), name.s, a->set->name);
				goto keyerr;
			}
			field = q.s.cols[c].field;
			if (kq_next(&p) < 0)
				goto keyerr;
		} else {
			if (a->nkeys != 1 || k > 0) {
				kueri_err_set(&a->err, KUERI_EBADREQ, (long long)p.tok.pos,
				    "entity set '%s' has a compound key: name every key "
				    "property (k1=...,k2=...)", a->set->name);
				goto keyerr;
			}
			field = a->keys[0];
		}
		if (seen[field]++) {
			kueri_err_set(&a->err, KUERI_EBADREQ, (long long)p.tok.pos,
			              "key property given twice");
			goto keyerr;
		}
		if ((lit = kq_parse_expr(&p)) == NULL)
			goto keyerr;
		if (lit->kind != N_LIT || lit->lt == KT_NULL) {
			kueri_err_set(&a->err, KUERI_EBADREQ, (long long)lit->pos,
			              "a key value must be a non-null literal");
			goto keyerr;
		}
		prop = ku_alloc(&a->arena, sizeof(*prop));
		eq = ku_alloc(&a->arena, sizeof(*eq));
		if (prop == NULL || eq == NULL) {
			kq_oom(a);
			goto out;
		}
		prop->kind = N_PROP;
		prop->s = a->set->fields[field].name;
		prop->n = strlen(prop->s);
		eq->kind = N_BIN;
		eq->op = O_EQ;
		eq->a = prop;
		eq->b = lit;
		eq->pos = lit->pos;
		if (kq_resolve_opt(eq, &q.s, 1, "the key", &a->err) < 0 ||
		    (lit->type != prop->type &&
		     !(kq_type_numeric(lit->type) && kq_type_numeric(prop->type)))) {
			if (a->err.code == KUERI_OK || a->err.msg[0] == '\0')
				kueri_err_set(&a->err, KUERI_ETYPE, (long long)lit->pos,
				    "key value has the wrong type: %s expected",
				    kq_type_edm(prop->type));
			else if (a->err.code == KUERI_OK)
				a->err.code = KUERI_ETYPE;
			if (lit->type != prop->type && a->err.code == KUERI_OK)
				a->err.code = KUERI_ETYPE;
			goto keyerr;
		}
		where_and(&q);
		if (kq_sql_expr(eq, &q.s, 1, &q.where, &a->binds, &a->err) < 0)
			goto out;
		k++;
		if (p.tok.type == TK_COMMA) {
			if (kq_next(&p) < 0)
				goto keyerr;
			continue;
		}
		if (p.tok.type != TK_EOF) {
			kueri_err_set(&a->err, KUERI_ESYNTAX, (long long)p.tok.pos,
			    "unexpected text in the key predicate at position %zu",
			    p.tok.pos);
			goto keyerr;
		}
		break;
	}
	if (k != a->nkeys) {
		kueri_err_set(&a->err, KUERI_EBADREQ, -1,
		    "every key property of '%s' must be given", a->set->name);
		goto keyerr;
	}
	if (select_list(a, &q.s, &sel, &ctx) < 0)
		goto out;
	{
		ku_buf c = { 0 };

		ku_buf_printf(&c, "%s$metadata#%s%s/$entity", a->service_root,
		              a->setname, ctx.n ? ctx.s : "");
		a->context = c.oom ? NULL : ku_strndup(&a->arena, c.s, c.n);
		ku_buf_free(&c);
	}
	ku_buf_printf(&sql, "SELECT %s FROM %s WHERE %s LIMIT 1", sel.s,
	              q.from.s, q.where.s);
	if (sql.oom || a->context == NULL) {
		kq_oom(a);
		goto out;
	}
	if (prepare_main(a, sql.s) < 0)
		goto out;
	a->step_rc = sqlite3_step(a->st);
	if (a->step_rc == SQLITE_DONE) {
		kueri_err_set(&a->err, KUERI_ENOTFOUND, -1,
		    "no entity with that key in '%s'", a->set->name);
		goto out;
	}
	if (a->step_rc != SQLITE_ROW) {
		kq_sqlite_err(a, a->step_rc);
		goto out;
	}
	rc = 0;
	goto out;
keyerr:
	kueri_err_target(&a->err, "key");
	if (a->err.code == KUERI_OK)
		a->err.code = KUERI_EBADREQ;
out:
	ku_buf_free(&sql);
	ku_buf_free(&sel);
	ku_buf_free(&ctx);
	qparts_free(&q);
	return rc;
}


int
kq_build_collection(kq_answer *a, const kq_request *req)
{
	qparts      q;
	ku_buf      sql = { 0 }, sel = { 0 }, ctx = { 0 }, order = { 0 };
	kq_orderkey *keys = NULL;
	int         nkeys = 0, i, rc = -1, ntok = 0;
	char      **keysql = NULL;
	long long   skip, top, pref;
	json_t     *tok = NULL;

	memset(&q, 0, sizeof(q));
	if (count_opt(a, KQ_O_TOP, &top) < 0 || count_opt(a, KQ_O_SKIP, &skip) < 0)
		return -1;
	a->top = top;
	if (a->opt.val[KQ_O_COUNT]) {
		const char *c = a->opt.val[KQ_O_COUNT];

		if (strcmp(c, "true") == 0)
			a->has_count = 1;
		else if (strcmp(c, "false") != 0) {
			kueri_err_set(&a->err, KUERI_EBADREQ, 0,
			              "$count must be true or false");
			return kq_opt_err(a, KQ_O_COUNT);
		}
	}
	if (build_source(a, &q, 1) < 0)
		goto out;
	if (select_list(a, &q.s, &sel, &ctx) < 0)
		goto out;
	/* $orderby (or a trailing orderby() of $apply) */
	if (a->opt.val[KQ_O_ORDERBY]) {
		kq_parser p;

		kq_parser_init(&p, &a->arena, a->opt.val[KQ_O_ORDERBY],
		               a->opt.len[KQ_O_ORDERBY], a->lim.max_depth,
		               a->lim.max_nodes, &a->err);
		if (kq_next(&p) < 0 || (p.tok.type == TK_EOF &&
		    kueri_err_set(&a->err, KUERI_ESYNTAX, 0, "empty $orderby")) ||
		    (nkeys = kq_parse_orderby(&p, &keys, TK_EOF)) < 0) {
			kq_opt_err(a, KQ_O_ORDERBY);
			goto out;
		}
		if (nkeys > 32) {
			kueri_err_set(&a->err, KUERI_ELIMIT, -1,
			              "more than 32 $orderby keys (limit)");
			kq_opt_err(a, KQ_O_ORDERBY);
			goto out;
		}
		for (i = 0; i < nkeys; i++)
			if (kq_resolve_opt(keys[i].e, &q.s, 0, "$orderby", &a->err) < 0) {
				kq_opt_err(a, KQ_O_ORDERBY);
				goto out;
			} else if (keys[i].e->type == KT_GEO) {
				kueri_err_set(&a->err, KUERI_ETYPE, (long long)keys[i].e->pos,
				              "cannot order by a geographic property");
				kq_opt_err(a, KQ_O_ORDERBY);
				goto out;
			}
	} else if (q.nkeys) {
		keys = q.keys;
		nkeys = q.nkeys;
	}
	a->offset_mode = q.rowid == NULL;
	/* sort-key SQL, each generated once (numbered binds make reuse safe) */
	ntok = nkeys + (q.rowid ? 1 : 0);
	if (a->offset_mode && nkeys == 0)
		ntok = 0;
	keysql = ku_alloc(&a->arena, (size_t)(ntok + q.s.ncols + 1) * sizeof(*keysql));
	if (keysql == NULL) {
		kq_oom(a);
		goto out;
	}
	for (i = 0; i < nkeys; i++) {
		ku_buf k = { 0 };

		if (kq_sql_sortkey(keys[i].e, &q.s, &k, &a->binds, &a->err) < 0) {
			ku_buf_free(&k);
			goto out;
		}
		keysql[i] = k.oom ? NULL : ku_strndup(&a->arena, k.s, k.n);
		ku_buf_free(&k);
		if (keysql[i] == NULL) {
			kq_oom(a);
			goto out;
		}
	}
	if (q.rowid)
		keysql[nkeys] = (char *)q.rowid;
	/* ORDER BY */
	for (i = 0; i < nkeys; i++)
		ku_buf_printf(&order, "%s%s%s", i ? ", " : "", keysql[i],
		              keys[i].desc ? " DESC" : "");
	if (q.rowid)
		ku_buf_printf(&order, "%s%s", nkeys ? ", " : "", q.rowid);
	else
		/* grouped rows: every column breaks ties (unique per group) */
		for (i = 0; i < q.s.ncols; i++)
			ku_buf_printf(&order, "%s%s", i || nkeys ? ", " : "",
			              q.s.cols[i].expr ? "NULL" : q.s.cols[i].sql);
	/* page size */
	pref = kq_prefer_maxpagesize(req->prefer);
	a->page = a->lim.max_page;
	if (pref > 0 && pref <= a->lim.max_page) {
		a->page = pref;
		snprintf(a->head.preference_applied,
		         sizeof(a->head.preference_applied),
		         "odata.maxpagesize=%lld", pref);
	}
	if (!a->writer->paged) {
		/* e.g. CSV: no nextLink, one export up to the cap */
		a->page = a->lim.export_cap;
		a->head.preference_applied[0] = '\0';
	}
	/* $count=true: every match, ignoring $top/$skip/$skiptoken */
	if (a->has_count) {
		ku_buf cs = { 0 };
		sqlite3_stmt *cst = NULL;
		int    crc;

		ku_buf_printf(&cs, "SELECT count(*) FROM %s%s%s", q.from.s,
		              q.where.n ? " WHERE " : "", q.where.n ? q.where.s : "");
		if (cs.oom) {
			ku_buf_free(&cs);
			kq_oom(a);
			goto out;
		}
		crc = prepare_sql(a, cs.s, &cst);
		ku_buf_free(&cs);
		if (crc < 0)
			goto out;
		crc = sqlite3_step(cst);
		if (crc != SQLITE_ROW) {
			kq_sqlite_err(a, crc);
			sqlite3_finalize(cst);
			goto out;
		}
		a->count = sqlite3_column_int64(cst, 0);
		sqlite3_finalize(cst);
	}
	/* $skiptoken → keyset condition or offset */
	a->offset = skip > 0 ? skip : 0;
	if (a->opt.val[KQ_O_SKIPTOKEN]) {
		json_t *kv;

		if ((tok = kq_page_token_decode(&a->arena, a->opt.val[KQ_O_SKIPTOKEN],
		                                a->opt.len[KQ_O_SKIPTOKEN], a->qhash)) == NULL) {
			token_err(a);
			goto out;
		}
		if (a->offset_mode) {
			json_t *o = json_object_get(tok, "o");

			if (!json_is_integer(o) || json_integer_value(o) < 0) {
				token_err(a);
				goto out;
			}
			a->offset += json_integer_value(o);
		} else {
			int *vi = ku_alloc(&a->arena, (size_t)(ntok + 1) * sizeof(*vi));

			kv = json_object_get(tok, "k");
			if (vi == NULL || !json_is_array(kv) ||
			    (int)json_array_size(kv) != ntok) {
				token_err(a);
				goto out;
			}
			for (i = 0; i < ntok; i++)
				if ((vi[i] = bind_json(a, json_array_get(kv, (size_t)i))) < 0) {
					token_err(a);
					goto out;
				}
			/* OR over i of (keys before i tie AND key i is after) */
			where_and(&q);
			ku_buf_puts(&q.where, "(");
			if (nkeys > 0 && !keys[0].desc &&
			    !json_is_null(json_array_get(kv, 0)))
				ku_buf_printf(&q.where, "%s >= ?%d AND (", keysql[0], vi[0]);
			else
				ku_buf_puts(&q.where, "(");
			{
				int terms = 0, j;

				for (i = 0; i < ntok; i++) {
					int desc = i < nkeys && keys[i].desc;
					int vnull = json_is_null(json_array_get(kv, (size_t)i));

					if (desc && vnull)
						continue;    /* nothing sorts after null desc */
					ku_buf_puts(&q.where, terms++ ? " OR (" : "(");
					for (j = 0; j < i; j++)
						ku_buf_printf(&q.where, "%s IS ?%d AND ", keysql[j],
						              vi[j]);
					if (vnull)
						ku_buf_printf(&q.where, "%s IS NOT NULL)", keysql[i]);
					else if (desc)
						ku_buf_printf(&q.where, "(%s < ?%d OR %s IS NULL))",
						              keysql[i], vi[i], keysql[i]);
					else
						ku_buf_printf(&q.where, "%s > ?%d)", keysql[i], vi[i]);
				}
				if (terms == 0)
					ku_buf_puts(&q.where, "0");
			}
			ku_buf_puts(&q.where, "))");
		}
	}
	/* SELECT outs, hidden keys FROM src WHERE … ORDER BY … LIMIT … */
	a->nhidden = a->offset_mode ? 0 : ntok;
	ku_buf_printf(&sql, "SELECT %s", sel.s ? sel.s : "NULL");
	if (a->nout == 0) {
		kueri_err_set(&a->err, KUERI_EBADREQ, -1, "nothing to select");
		goto out;
	}
	for (i = 0; i < a->nhidden; i++)
		ku_buf_printf(&sql, ", %s", keysql[i]);
	ku_buf_printf(&sql, " FROM %s", q.from.s);
	if (q.where.n)
		ku_buf_printf(&sql, " WHERE %s", q.where.s);
	if (order.n)
		ku_buf_printf(&sql, " ORDER BY %s", order.s);
	{
		long long lim = a->page, want;
		kq_bind   lb = { KB_INT, 0, 0, NULL, 0, 0 };
		kq_bind   ob = { KB_INT, 0, 0, NULL, 0, 0 };

		if (top >= 0 && top <= lim) {
			want = top;              /* no next page */
			a->last_page = 1;
		} else
			want = a->writer->paged ? lim + 1 : lim;
		if (top >= 0 && top < a->page)
			a->page = top;
		lb.i = want;
		ob.i = a->offset;
		kq_binds_add(&a->binds, &lb);
		ku_buf_printf(&sql, " LIMIT ?%d", a->binds.n);
		kq_binds_add(&a->binds, &ob);
		ku_buf_printf(&sql, " OFFSET ?%d", a->binds.n);
	}
	/* context URL */
	{
		ku_buf c = { 0 };

		/* aggregated rows are not entities: name their properties */
		if (a->opt.val[KQ_O_APPLY] && ctx.n == 0 && !q.s.has_rowid) {
			ku_buf_puts(&ctx, "(");
			for (i = 0; i < a->nout; i++)
				ku_buf_printf(&ctx, "%s%s", i ? "," : "", a->out[i].name);
			ku_buf_puts(&ctx, ")");
		}
		ku_buf_printf(&c, "%s$metadata#%s%s", a->service_root, a->setname,
		              ctx.n ? ctx.s : "");
		a->context = c.oom ? NULL : ku_strndup(&a->arena, c.s, c.n);
		ku_buf_free(&c);
	}
	if (sql.oom || q.where.oom || order.oom || sel.oom || a->binds.oom ||
	    a->context == NULL) {
		kq_oom(a);
		goto out;
	}
	if (prepare_main(a, sql.s) < 0)
		goto out;
	a->step_rc = sqlite3_step(a->st);
	if (a->step_rc != SQLITE_ROW && a->step_rc != SQLITE_DONE) {
		kq_sqlite_err(a, a->step_rc);
		goto out;
	}
	rc = 0;
out:
	if (tok)
		json_decref(tok);
	ku_buf_free(&sql);
	ku_buf_free(&sel);
	ku_buf_free(&ctx);
	ku_buf_free(&order);
	qparts_free(&q);
	return rc;
}

