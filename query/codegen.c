/*
 * codegen.c -- the codegen stage: the resolved query tree (kq_query,
 * parsed by tree.c, resolved by resolve_query.c) becomes the answer's whole
 * statement in one place -- FROM ($apply), WHERE ($filter, $search, the
 * key, the skiptoken's keyset condition), the output columns ($select,
 * $compute), ORDER BY, LIMIT/OFFSET -- and its $count twin, for a
 * collection, an entity or /$count; then it is prepared on the portal
 * connection under the answer's authorizer and deadline and stepped
 * once.  Nothing is checked here (every 4xx was raised by the two stages
 * before), except what only the database can say.  Expressions come
 * from sql.c, $apply from apply.c, $search from search.c.
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

/* The 503 for a request whose very answer an admitted query is computing:
 * said before its own query starts (kq_run) or when it asks for a place
 * (progress: a herd all starts before any of it is expensive). */
#define SAME_RUNNING "this very query is running for another request right " \
	"now; retry in a second, when its answer is cached"

static int
progress(void *ctx)
{
	kq_answer      *a = ctx;
	struct timespec now;

	/* An expensive first step asks for one of the server's places for
	 * expensive queries; without one it stops here (a 503 the client
	 * may retry) instead of sharing the cores with every other one
	 * until all of them pass their budget.  Until then it asks, at
	 * every call, whether another query has taken a place for this very
	 * answer: a herd of one URL all starts at once, and a copy that
	 * waited for its own 20 ms of CPU -- or for the end of a sort, one
	 * opcode that calls no handler -- before asking shared the cores
	 * with the admitted copy (measured with nice applying across the
	 * pool, as in a cgroup: copies of one URL ran for up to 600 ms
	 * beside it; now they stop within ~30 ms of CPU).  The question is
	 * a scan of max_heavy words. */
	if (a->in_run && !a->admitted && a->pc.lim.admit) {
		int heavy = *a->pc.lim.heavy;   /* once: a signal may set it */
		int rc = 0;

		if (heavy)
			rc = a->pc.lim.admit(a->key, 1);
		else if (a->key != 0 && a->pc.lim.admit(a->key, 0) < 0)
			rc = -2;
		if (rc < 0) {
			a->refused = rc == -2 ? 2 : 1;
			return 1;
		}
		a->admitted = heavy;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > a->deadline.tv_sec ||
	       (now.tv_sec == a->deadline.tv_sec &&
	        now.tv_nsec >= a->deadline.tv_nsec);
}






/* ---------------------------------------------------------------- output */

/* One output column: its name for the writer, its SQL in sel. */
static int
add_out(kq_answer *a, const kq_col *c, ku_buf *sel, const kq_scope *s,
        ku_buf *nmb)
{
	ku_buf *nm = nmb;
	int     first = a->nout == 0;

	if ((a->nout % 16) == 0) {
		kq_outcol *no = ku_alloc(&a->pc.arena, (size_t)(a->nout + 16) *
		                                       sizeof(*no));
		char     **nn = ku_alloc(&a->pc.arena, (size_t)(a->nout + 16) *
		                                       sizeof(*nn));

		if (no == NULL || nn == NULL)
			return kq_oom(&a->pc);
		if (a->nout) {
			memcpy(no, a->out, (size_t)a->nout * sizeof(*no));
			memcpy(nn, a->outname, (size_t)a->nout * sizeof(*nn));
		}
		a->out = no;
		a->outname = nn;
	}
	/* copied: the answer must not depend on the catalog staying loaded */
	if ((a->out[a->nout].name = ku_strndup(&a->pc.arena, c->name,
	                                       strlen(c->name))) == NULL)
		return kq_oom(&a->pc);
	a->out[a->nout].type = c->type;
	a->out[a->nout].decimal = c->decimal;
	nm->n = 0;              /* one scratch buffer for every column */
	kq_json_str(nm, c->name, strlen(c->name));
	ku_buf_add(nm, ":", 1);
	a->outname[a->nout] = nm->oom ? NULL
	                              : ku_strndup(&a->pc.arena, nm->s, nm->n);
	if (a->outname[a->nout] == NULL)
		return kq_oom(&a->pc);
	a->out[a->nout].jlen = nm->n;   /* no strlen per row (json.c) */
	a->nout++;
	if (!first)
		ku_buf_puts(sel, ", ");
	if (c->expr) {
		ku_buf_puts(sel, "(");
		if (kq_sql_expr(c->expr, s, 0, sel, &a->pc.binds, &a->pc.err) < 0)
			return -1;
		ku_buf_puts(sel, ")");
	} else
		ku_buf_puts(sel, c->sql);
	return 0;
}

/* The resolved output columns → the select list; the @odata.context
 * suffix names $select's items as written: "(a,b,*)". */
static int
select_list(kq_answer *a, const kq_query *q, ku_buf *sel, ku_buf *ctx)
{
	ku_buf nm = { 0 };
	int    i;

	for (i = 0; i < q->nout; i++)
		if (add_out(a, &a->pc.scope.cols[q->out[i]], sel, &a->pc.scope,
		            &nm) < 0) {
			ku_buf_free(&nm);
			return -1;
		}
	ku_buf_free(&nm);
	if (q->nselect == 0)
		return 0;
	ku_buf_puts(ctx, "(");
	for (i = 0; i < q->nselect; i++) {
		if (i)
			ku_buf_puts(ctx, ",");
		ku_buf_puts(ctx, q->select[i].star ? "*" : q->select[i].name);
	}
	ku_buf_puts(ctx, ")");
	return 0;
}

/* The @odata.context URL: root$metadata#Set(suffix)[/$entity]. */
static int
context_url(kq_answer *a, const ku_buf *ctx, const char *tail)
{
	ku_buf c = { 0 };

	ku_buf_puts(&c, a->service_root);
	ku_buf_puts(&c, "$metadata#");
	ku_buf_puts(&c, a->pc.setname);
	if (ctx->n)
		ku_buf_puts(&c, ctx->s);
	ku_buf_puts(&c, tail);
	a->context = c.oom ? NULL : ku_strndup(&a->pc.arena, c.s, c.n);
	ku_buf_free(&c);
	return a->context == NULL ? kq_oom(&a->pc) : 0;
}

/* ---------------------------------------------------------------- run */

int
kq_sqlite_err(kq_answer *a, int rc)
{
	const char *m = sqlite3_errmsg(a->db);

	if (rc == SQLITE_INTERRUPT && a->refused == 2)
		return kueri_err_set(&a->pc.err, KUERI_EBUSY, -1, "%s", SAME_RUNNING);
	if (rc == SQLITE_INTERRUPT && a->refused)
		return kueri_err_set(&a->pc.err, KUERI_EBUSY, -1,
		    "the server is running its limit of %d expensive queries "
		    "at once (--max-heavy); retry in a second",
		    a->pc.lim.max_heavy);
	if (rc == SQLITE_INTERRUPT)
		return kueri_err_set(&a->pc.err, KUERI_ETIMEOUT, -1,
		    "the query took longer than its time budget of %d ms; narrow "
		    "it with $filter or $top", a->pc.lim.time_ms);
	if (strstr(m, "integer overflow"))
		return kueri_err_set(&a->pc.err, KUERI_EBADREQ, -1,
		    "integer overflow while computing the result (Edm.Int64 "
		    "range exceeded)");
	if (strncmp(m, "kq_div: ", 8) == 0) {
		/* funcs.c wrote "... at position N in OPTION": the error's
		 * position and target too, as for a zero literal. */
		const char *at = strstr(m, " at position ");
		char       *in = NULL;
		long long   pos = at ? strtoll(at + 13, &in, 10) : -1;

		kueri_err_set(&a->pc.err, KUERI_EBADREQ, pos,
		    "%s: a row's divisor is 0 (divby divides as decimals; or "
		    "filter such rows out first)", m + 8);
		if (in != NULL && strncmp(in, " in ", 4) == 0)
			snprintf(a->pc.err.target, sizeof a->pc.err.target, "%s",
			         in + 4);
		return -1;
	}
	if (strncmp(m, "kq_matches: ", 12) == 0)
		return kueri_err_set(&a->pc.err, KUERI_EBADREQ, -1,
		    "matchesPattern: %s", m + 12);
	if (strstr(m, "too large") || strstr(m, "too many") ||
	    strstr(m, "stack overflow"))
		return kueri_err_set(&a->pc.err, KUERI_ELIMIT, -1,
		    "the query is too complex for the database (%s)", m);
	if ((rc & 0xff) == SQLITE_NOMEM || (rc & 0xff) == SQLITE_TOOBIG)
		return kueri_err_set(&a->pc.err, KUERI_ELIMIT, -1,
		    "the query needs more memory than allowed");
	if (a->auth.denied)
		return kueri_err_set(&a->pc.err, KUERI_EINTERNAL, -1,
		    "internal error: statement refused by the authorizer");
	return kueri_err_set(&a->pc.err, KUERI_EDB, -1, "database error");
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
	sqlite3_finalize(a->cst);    /* the $count=true statement, if any */
	a->cst = NULL;
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
		if (kq_binds_apply(&a->pc.binds, st) < 0)
			return kueri_err_set(&a->pc.err, KUERI_EDB, -1,
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
		if (a->pc.lim.debug_sql)
			fprintf(stderr, "kueri: prepare failed: %s\n  %s\n",
			        sqlite3_errmsg(a->db), sql);
		return kq_sqlite_err(a, rc);
	}
	if (a->pc.lim.debug_sql)
		fprintf(stderr, "kueri: %s\n", sql);
	if (kq_binds_apply(&a->pc.binds, *st) < 0)
		return kueri_err_set(&a->pc.err, KUERI_EDB, -1, "cannot bind values");
	return 0;
}

/* ---------------------------------------------------------------- skiptoken */

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
	} else {       /* a string: resolve checked the token's shape */
		b.t = KB_TEXT;
		b.n = json_string_length(v);
		if ((b.s = ku_strndup(&a->pc.arena, json_string_value(v),
		                      b.n)) == NULL)
			return kq_oom(&a->pc);
	}
	if (kq_binds_add(&a->pc.binds, &b) < 0)
		return kq_oom(&a->pc);
	return a->pc.binds.n;
}

/*
 * The keyset condition that resumes after the token's row: an OR over i
 * of (keys before i tie AND key i is after), honouring asc/desc and
 * OData's null order (first ascending, last descending).
 */
static int
keyset_where(kq_answer *a, const kq_query *q, char **keysql, int ntok,
             ku_buf *where)
{
	json_t *kv = json_object_get(q->token, "k");
	int    *vi = ku_alloc(&a->pc.arena, (size_t)(ntok + 1) * sizeof(*vi));
	int     i, j, terms = 0;

	if (vi == NULL)
		return kq_oom(&a->pc);
	for (i = 0; i < ntok; i++)
		if ((vi[i] = bind_json(a, json_array_get(kv, (size_t)i))) < 0)
			return -1;
	ku_buf_puts(where, "(");
	if (q->norder > 0 && !q->order[0].desc &&
	    !json_is_null(json_array_get(kv, 0)))
		ku_buf_printf(where, "%s >= ?%d AND (", keysql[0], vi[0]);
	else
		ku_buf_puts(where, "(");
	for (i = 0; i < ntok; i++) {
		int desc = i < q->norder && q->order[i].desc;
		int vnull = json_is_null(json_array_get(kv, (size_t)i));

		if (desc && vnull)
			continue;    /* nothing sorts after null desc */
		ku_buf_puts(where, terms++ ? " OR (" : "(");
		for (j = 0; j < i; j++)
			ku_buf_printf(where, "%s IS ?%d AND ", keysql[j], vi[j]);
		if (vnull)
			ku_buf_printf(where, "%s IS NOT NULL)", keysql[i]);
		else if (desc)
			ku_buf_printf(where, "(%s < ?%d OR %s IS NULL))",
			              keysql[i], vi[i], keysql[i]);
		else
			ku_buf_printf(where, "%s > ?%d)", keysql[i], vi[i]);
	}
	if (terms == 0)
		ku_buf_puts(where, "0");
	ku_buf_puts(where, "))");
	return 0;
}

/* ---------------------------------------------------------------- build */

typedef struct qparts {
	ku_buf       from;       /* "t3" or "(SELECT …)"                   */
	ku_buf       where;      /* conditions joined by AND, or empty      */
} qparts;

static void
qparts_free(qparts *p)
{
	ku_buf_free(&p->from);
	ku_buf_free(&p->where);
}

static void
where_and(qparts *p)
{
	if (p->where.n)
		ku_buf_puts(&p->where, " AND ");
}

/* FROM ($apply or the set's table) and WHERE ($filter, $search). */
static int
gen_source(kq_answer *a, const kq_query *q, qparts *p)
{
	if (q->apply) {
		if (kq_apply_codegen(&a->pc, q, &p->from) < 0)
			return -1;
	} else
		ku_buf_puts(&p->from, a->pc.set->table);
	if (q->filter) {
		where_and(p);
		if (kq_sql_expr(q->filter, &a->pc.scope, 1, &p->where,
		                &a->pc.binds, &a->pc.err) < 0)
			return -1;
	}
	if (q->search) {
		where_and(p);
		if (kq_search_emit(&a->pc.arena, q->search, a->pc.set->fts,
		                   q->rowid, &p->where, &a->pc.binds,
		                   &a->pc.err) < 0)
			return -1;
	}
	return 0;
}

static int
gen_count(kq_answer *a, const kq_query *q)
{
	qparts p;
	ku_buf sql = { 0 };
	int    rc = -1;

	/* The whole set: the row count stored at publish, no scan (O(1)). */
	if (q->filter == NULL && !q->has_search && q->napply == 0 &&
	    a->pc.set->rows >= 0) {
		a->count = a->pc.set->rows;
		return 0;
	}
	memset(&p, 0, sizeof(p));
	if (gen_source(a, q, &p) < 0)
		goto out;
	ku_buf_printf(&sql, "SELECT count(*) FROM %s", p.from.s);
	if (p.where.n)
		ku_buf_printf(&sql, " WHERE %s", p.where.s);
	if (sql.oom || p.where.oom || p.from.oom) {
		kq_oom(&a->pc);
		goto out;
	}
	if (prepare_main(a, sql.s) < 0)
		goto out;
	rc = 0;
out:
	ku_buf_free(&sql);
	qparts_free(&p);
	return rc;
}

static int
gen_entity(kq_answer *a, const kq_query *q)
{
	qparts p;
	ku_buf sql = { 0 }, sel = { 0 }, ctx = { 0 };
	int    rc = -1, k;

	memset(&p, 0, sizeof(p));
	if (gen_source(a, q, &p) < 0)
		goto out;
	for (k = 0; k < q->nkey; k++) {
		where_and(&p);
		if (kq_sql_expr(q->key[k].eq, &a->pc.scope, 1, &p.where,
		                &a->pc.binds, &a->pc.err) < 0)
			goto out;
	}
	if (select_list(a, q, &sel, &ctx) < 0 ||
	    context_url(a, &ctx, "/$entity") < 0)
		goto out;
	ku_buf_printf(&sql, "SELECT %s FROM %s WHERE %s LIMIT 1", sel.s,
	              p.from.s, p.where.s);
	if (sql.oom) {
		kq_oom(&a->pc);
		goto out;
	}
	if (prepare_main(a, sql.s) < 0)
		goto out;
	rc = 0;
out:
	ku_buf_free(&sql);
	ku_buf_free(&sel);
	ku_buf_free(&ctx);
	qparts_free(&p);
	return rc;
}

/* $count=true: every match, ignoring $top/$skip/$skiptoken.  Prepared
 * here, before the page's own binds are added (its text numbers only the
 * filter's), and run by kq_run. */
static int
prepare_count(kq_answer *a, const qparts *p)
{
	ku_buf cs = { 0 };
	int    crc;

	ku_buf_printf(&cs, "SELECT count(*) FROM %s%s%s", p->from.s,
	              p->where.n ? " WHERE " : "", p->where.n ? p->where.s : "");
	if (cs.oom) {
		ku_buf_free(&cs);
		return kq_oom(&a->pc);
	}
	crc = prepare_sql(a, cs.s, &a->cst);
	ku_buf_free(&cs);
	return crc < 0 ? -1 : 0;
}

/* The page size: the server's, a smaller Prefer odata.maxpagesize, or
 * the export cap of a writer without pages. */
static void
page_size(kq_answer *a, const kq_request *req)
{
	int       prefixed = 1;
	long long pref = kq_prefer_maxpagesize(req->prefer, &prefixed);

	a->page = a->pc.lim.max_page;
	if (pref > 0 && pref <= a->pc.lim.max_page) {
		a->page = pref;
		snprintf(a->head.preference_applied,
		         sizeof(a->head.preference_applied),
		         "%smaxpagesize=%lld", prefixed ? "odata." : "", pref);
	}
	if (a->writer->page_rows > 0 && a->page > a->writer->page_rows)
	{
		a->page = a->writer->page_rows;   /* e.g. HTML: a screenful */
		a->head.preference_applied[0] = '\0';
	}
	if (!a->writer->paged) {
		/* e.g. CSV: no nextLink, one export up to the cap */
		a->page = a->pc.lim.export_cap;
		a->head.preference_applied[0] = '\0';
	}
}

static int
gen_collection(kq_answer *a, const kq_query *q, const kq_request *req)
{
	const kq_scope *s = &a->pc.scope;
	qparts      p;
	ku_buf      sql = { 0 }, sel = { 0 }, ctx = { 0 }, order = { 0 };
	int         i, rc = -1, ntok;
	char      **keysql;

	memset(&p, 0, sizeof(p));
	a->top = q->top;
	a->has_count = q->count;
	if (gen_source(a, q, &p) < 0 || select_list(a, q, &sel, &ctx) < 0)
		goto out;
	a->offset_mode = q->rowid == NULL;
	/* sort-key SQL, each generated once (numbered binds make reuse safe) */
	ntok = q->norder + (q->rowid ? 1 : 0);
	if (a->offset_mode && q->norder == 0)
		ntok = 0;
	keysql = ku_alloc(&a->pc.arena, (size_t)(ntok + s->ncols + 1) *
	                                sizeof(*keysql));
	if (keysql == NULL) {
		kq_oom(&a->pc);
		goto out;
	}
	for (i = 0; i < q->norder; i++) {
		ku_buf k = { 0 };

		if (kq_sql_sortkey(q->order[i].e, s, &k, &a->pc.binds,
		                   &a->pc.err) < 0) {
			ku_buf_free(&k);
			goto out;
		}
		keysql[i] = k.oom ? NULL : ku_strndup(&a->pc.arena, k.s, k.n);
		ku_buf_free(&k);
		if (keysql[i] == NULL) {
			kq_oom(&a->pc);
			goto out;
		}
	}
	if (q->rowid)
		keysql[q->norder] = (char *)q->rowid;
	/* ORDER BY */
	for (i = 0; i < q->norder; i++) {
		if (i)
			ku_buf_puts(&order, ", ");
		ku_buf_puts(&order, keysql[i]);
		if (q->order[i].desc)
			ku_buf_puts(&order, " DESC");
	}
	if (q->rowid) {
		if (q->norder)
			ku_buf_puts(&order, ", ");
		ku_buf_puts(&order, q->rowid);
	} else
		/* grouped rows: every column breaks ties (unique per group) */
		for (i = 0; i < s->ncols; i++) {
			if (i || q->norder)
				ku_buf_puts(&order, ", ");
			ku_buf_puts(&order, s->cols[i].expr ? "NULL"
			                                    : s->cols[i].sql);
		}
	page_size(a, req);
	if (a->has_count && prepare_count(a, &p) < 0)
		goto out;
	/* $skiptoken → keyset condition or offset */
	a->offset = q->skip > 0 ? q->skip : 0;
	if (q->token) {
		if (a->offset_mode)
			a->offset += json_integer_value(json_object_get(q->token, "o"));
		else {
			where_and(&p);
			if (keyset_where(a, q, keysql, ntok, &p.where) < 0)
				goto out;
		}
	}
	/* SELECT outs, hidden keys FROM src WHERE … ORDER BY … LIMIT … */
	a->nhidden = a->offset_mode ? 0 : ntok;
	/* plain appends, not ku_buf_printf: this runs per request */
	ku_buf_puts(&sql, "SELECT ");
	ku_buf_puts(&sql, sel.s ? sel.s : "NULL");
	if (a->nout == 0) {
		kueri_err_set(&a->pc.err, KUERI_EBADREQ, -1, "nothing to select");
		goto out;
	}
	for (i = 0; i < a->nhidden; i++) {
		ku_buf_puts(&sql, ", ");
		ku_buf_puts(&sql, keysql[i]);
	}
	ku_buf_puts(&sql, " FROM ");
	ku_buf_puts(&sql, p.from.s);
	if (p.where.n) {
		ku_buf_puts(&sql, " WHERE ");
		ku_buf_puts(&sql, p.where.s);
	}
	if (order.n) {
		ku_buf_puts(&sql, " ORDER BY ");
		ku_buf_puts(&sql, order.s);
	}
	{
		long long lim = a->page, want;
		kq_bind   lb = { KB_INT, 0, 0, NULL, 0, 0 };
		kq_bind   ob = { KB_INT, 0, 0, NULL, 0, 0 };

		if (q->top >= 0 && q->top <= lim) {
			want = q->top;           /* no next page */
			a->last_page = 1;
		} else
			want = a->writer->paged ? lim + 1 : lim;
		if (q->top >= 0 && q->top < a->page)
			a->page = q->top;
		lb.i = want;
		ob.i = a->offset;
		kq_binds_add(&a->pc.binds, &lb);
		ku_buf_puts(&sql, " LIMIT ?");
		ku_buf_lld(&sql, a->pc.binds.n);
		kq_binds_add(&a->pc.binds, &ob);
		ku_buf_puts(&sql, " OFFSET ?");
		ku_buf_lld(&sql, a->pc.binds.n);
	}
	/* aggregated rows are not entities: name their properties */
	if (q->apply && ctx.n == 0 && !s->has_rowid) {
		ku_buf_puts(&ctx, "(");
		for (i = 0; i < a->nout; i++)
			ku_buf_printf(&ctx, "%s%s", i ? "," : "", a->out[i].name);
		ku_buf_puts(&ctx, ")");
	}
	if (context_url(a, &ctx, "") < 0)
		goto out;
	if (sql.oom || p.where.oom || order.oom || sel.oom || a->pc.binds.oom) {
		kq_oom(&a->pc);
		goto out;
	}
	if (prepare_main(a, sql.s) < 0)
		goto out;
	rc = 0;
out:
	ku_buf_free(&sql);
	ku_buf_free(&sel);
	ku_buf_free(&ctx);
	ku_buf_free(&order);
	qparts_free(&p);
	return rc;
}

/* Build and prepare; nothing runs until kq_run (exec.c first asks
 * whether the client already holds the answer). */
int
kq_codegen(kq_answer *a, const kq_query *q, const kq_request *req)
{
	switch (q->kind) {
	case KQ_Q_COUNT:
		return gen_count(a, q);
	case KQ_Q_ENTITY:
		return gen_entity(a, q);
	case KQ_Q_COLLECTION:
		break;
	}
	return gen_collection(a, q, req);
}

/*
 * Run what kq_codegen prepared: the $count=true statement to its one row,
 * then the answer's own statement to its first row, so that an error
 * while sorting or aggregating (the time budget, a zero divisor) is still
 * a clean error answer rather than a cut body.
 */
static int run_steps(kq_answer *a);

int
kq_run(kq_answer *a)
{
	int rc;

	/* The same answer is being computed by an expensive query: its
	 * answer is on its way to the web server's cache, where a retry will
	 * find it; running it again only takes the cores from it. */
	if (a->pc.lim.admit && a->key != 0 && a->pc.lim.admit(a->key, 0) < 0)
		return kueri_err_set(&a->pc.err, KUERI_EBUSY, -1, "%s", SAME_RUNNING);
	a->in_run = 1;
	rc = run_steps(a);
	a->in_run = 0;
	if (a->admitted) {
		a->pc.lim.admit_done();
		a->admitted = 0;
	}
	return rc;
}

static int
run_steps(kq_answer *a)
{
	int rc;

	if (a->cst != NULL) {
		rc = sqlite3_step(a->cst);
		if (rc != SQLITE_ROW)
			return kq_sqlite_err(a, rc);
		a->count = sqlite3_column_int64(a->cst, 0);
		sqlite3_finalize(a->cst);
		a->cst = NULL;
	}
	if (a->st == NULL)
		return 0;       /* /$count of a whole set: its stored row count */
	a->step_rc = rc = sqlite3_step(a->st);
	if (rc == SQLITE_DONE && a->kind == A_ENTITY)
		return kueri_err_set(&a->pc.err, KUERI_ENOTFOUND, -1,
		    "no entity with that key in '%s'", a->pc.set->name);
	if (rc == SQLITE_ROW && a->kind == A_COUNT)
		a->count = sqlite3_column_int64(a->st, 0);
	if (rc == SQLITE_ROW || (rc == SQLITE_DONE && a->kind != A_COUNT))
		return 0;
	return kq_sqlite_err(a, rc);
}
