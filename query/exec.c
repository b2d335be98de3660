/*
 * exec.c -- the request: resource path + options → one SQL statement (plus
 * a count statement for $count=true) → run under a time budget → stream.
 *
 * Paging (PROT 11.2.6.7): a page is min($top, Prefer odata.maxpagesize,
 * max_page) rows.  We fetch one row more than the page to know whether a
 * next page exists; the nextLink repeats every original option (except
 * $skip, consumed, and $top, reduced by the page) plus an opaque
 * $skiptoken = base64url({"h": query hash, "k": [sort keys…, rowid]}).
 * The next page resumes with a keyset WHERE that honours asc/desc and
 * OData's null order (first ascending, last descending) and breaks ties
 * on rowid, so page N costs like page 1 and every row appears once.
 * After an aggregation there is no rowid: the token then carries an
 * offset ({"o": N}) over a deterministic order (documented fallback).
 *
 * Safety: SQL text contains only "t<N>", "c<i>", "x<N>", "r_", our
 * function names and ?N placeholders.  While an answer lives, the portal
 * connection carries our authorizer (SELECT, reads of this set's table and
 * FTS shadow tables, allow-listed functions) and a progress handler that
 * interrupts past the deadline; kq_free removes both.
 */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kq_writer.h"

/* The service document and $metadata are routes of their own
 * (query/route.c); the engine answers entity sets. */
enum akind { A_ERROR, A_COLLECTION, A_ENTITY, A_COUNT };

struct kq_answer {
	kq_head        head;
	ku_arena       arena;
	kportal       *portal;
	sqlite3       *db;
	const kp_set  *set;
	kq_limits      lim;
	kueri_err      err;
	enum akind     kind;
	int            head_only;
	const kq_writer *writer;    /* the body's format (kq_writer.h)       */
	kq_wctx        w;           /* what the writer reads                 */
	const char    *service_root;
	kq_options     opt;
	/* the statement */
	sqlite3_stmt  *st;
	char          *st_sql;      /* st's SQL text (heap) when it goes back
	                               to the portal's cache at kq_free      */
	int            step_rc;     /* result of the first sqlite3_step      */
	int            last_page;   /* LIMIT leaves no row after the page:
	                               no $skiptoken is ever needed          */
	kq_binds       binds;
	kq_outcol     *out;
	char         **outname;     /* "\"name\":" pre-escaped               */
	int            nout;
	int            nhidden;     /* sort keys + rowid after the out cols  */
	int            offset_mode;
	long long      offset;      /* rows skipped before this page         */
	long long      page;        /* rows to write (-1 unlimited)          */
	long long      top;         /* $top, -1 when absent                  */
	long long      count;
	int            has_count;
	long long      entity_count;
	const char    *context;
	const char    *rawpath;
	const char    *setname;     /* the set's OData name (path, context)  */
	int            keys[16];    /* the key $metadata declares            */
	int            nkeys;
	unsigned long long qhash;
	kq_authctx     auth;
	int            hooked;
	struct timespec deadline;
};

/* ---------------------------------------------------------------- helpers */

static unsigned long long
fnv(unsigned long long h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t               i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

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





int
kq_write_error(const kueri_sink *sink, const kueri_err *err)
{
	ku_buf b = { 0 };
	int    rc;

	kq_error_json(&b, err);
	rc = b.oom ? -1 : sink->write(sink->ctx, b.s, b.n);
	ku_buf_free(&b);
	return rc;
}

/* Name the option an error is about, and say so in the message. */
static int
opt_err(kq_answer *a, int id)
{
	const char *name = kq_option_name(id);

	kueri_err_target(&a->err, name);
	if (!strstr(a->err.msg, " in $")) {
		size_t n = strlen(a->err.msg);

		snprintf(a->err.msg + n, sizeof(a->err.msg) - n, " in %s", name);
	}
	return -1;
}

static int
oom(kq_answer *a)
{
	return kueri_err_set(&a->err, KUERI_ENOMEM, -1, "out of memory");
}

/* ---------------------------------------------------------------- format */

/* Parameters after a media type: IEEE754Compatible, odata.metadata. */
static int
media_params(kq_answer *a, const char *p, const char *end)
{
	while (p < end) {
		const char *semi, *eq;
		size_t      kn, vn;

		while (p < end && (*p == ';' || *p == ' '))
			p++;
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		eq = memchr(p, '=', (size_t)(semi - p));
		if (eq) {
			kn = (size_t)(eq - p);
			vn = (size_t)(semi - eq - 1);
			if (kn == 17 && strncasecmp(p, "IEEE754Compatible", kn) == 0)
				a->w.ieee754 = vn == 4 && strncasecmp(eq + 1, "true", 4) == 0;
			else if (kn == 14 && strncasecmp(p, "odata.metadata", kn) == 0) {
				if (vn == 4 && strncasecmp(eq + 1, "none", 4) == 0)
					a->w.meta_none = 1;
				else if (!((vn == 7 && strncasecmp(eq + 1, "minimal", 7) == 0) ||
				           (vn == 4 && strncasecmp(eq + 1, "full", 4) == 0)))
					return kueri_err_set(&a->err, KUERI_ENOTACCEPT, -1,
					    "odata.metadata must be minimal, full or none");
			}
		}
		p = semi;
	}
	return 0;
}


static int
negotiate(kq_answer *a, const kq_request *req)
{
	const char *f = a->opt.val[KQ_O_FORMAT];

	if (req->format && *req->format) {
		const kq_writer *k = kq_writer_find(req->format,
		                                    strlen(req->format), 0);

		if (k == NULL)
			return kueri_err_set(&a->err, KUERI_ENOTACCEPT, -1,
			    "unsupported format '%.40s' (json or csv)", req->format);
		a->writer = k;
	}
	if (f) {
		const char *semi = strchr(f, ';');
		size_t      n = semi ? (size_t)(semi - f) : strlen(f);
		const kq_writer *k = kq_writer_find(f, n, 0);

		if (k == NULL) {
			kueri_err_set(&a->err, KUERI_ENOTACCEPT, -1,
			    "unsupported $format '%.40s': this service speaks json "
			    "and csv", f);
			return opt_err(a, KQ_O_FORMAT);
		}
		if (!(req->format && *req->format))
			a->writer = k;
		if (semi && media_params(a, semi, f + strlen(f)) < 0)
			return opt_err(a, KQ_O_FORMAT);
		return 0;
	}
	if (req->format && *req->format)
		return 0;
	if (req->accept && *req->accept) {
		/* First acceptable range with the highest q (stable). */
		const char *p = req->accept;
		const kq_writer *best = NULL;
		double      bestq = -1;
		const char *bestp = NULL, *beste = NULL;

		while (*p) {
			const char *end = strchr(p, ',');
			const char *semi;
			double      q = 1;
			const kq_writer *k;

			if (end == NULL)
				end = p + strlen(p);
			semi = memchr(p, ';', (size_t)(end - p));
			k = kq_writer_find(p, (size_t)((semi ? semi : end) - p), 1);
			if (semi) {
				const char *qp = strstr(semi, "q=");

				if (qp && qp < end)
					q = strtod(qp + 2, NULL);
			}
			if (k && q > 0 && q > bestq) {
				best = k;
				bestq = q;
				bestp = semi;
				beste = end;
			}
			p = *end ? end + 1 : end;
		}
		if (best == NULL)
			return kueri_err_set(&a->err, KUERI_ENOTACCEPT, -1,
			    "none of the Accept types is available: this service "
			    "speaks application/json and text/csv");
		a->writer = best;
		if (bestp && media_params(a, bestp, beste) < 0)
			return -1;
	}
	return 0;
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
			return oom(a);
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
		opt_err(a, id);
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
		return opt_err(a, id);
	}
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)v[i])) {
			kueri_err_set(&a->err, KUERI_EBADREQ, (long long)i,
			    "%s must be a non-negative integer (digits only); found "
			    "'%c' at position %zu", kq_option_name(id), v[i], i);
			return opt_err(a, id);
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
			return oom(a);
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
		return oom(a);
	a->out[a->nout].type = c->type;
	a->out[a->nout].decimal = c->decimal;
	kq_json_str(&nm, c->name, strlen(c->name));
	ku_buf_add(&nm, ":", 1);
	a->outname[a->nout] = nm.oom ? NULL : ku_strndup(&a->arena, nm.s, nm.n);
	ku_buf_free(&nm);
	if (a->outname[a->nout] == NULL)
		return oom(a);
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
			return opt_err(a, KQ_O_SELECT);
	}
	if ((used = ku_alloc(&a->arena, (size_t)s->ncols + 1)) == NULL)
		return oom(a);
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
			return opt_err(a, KQ_O_SELECT);
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

static int
sqlite_err(kq_answer *a, int rc)
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

static void
unhook(kq_answer *a)
{
	if (!a->hooked)
		return;
	kq_conn_unhook(a->portal, a->hooked);
	a->hooked = 0;
	sqlite3_progress_handler(a->db, 0, NULL, NULL);
}

/* Done with the answer's statement: back to the cache when it came from
 * (or may go to) it, finalized otherwise. */
static void
release_st(kq_answer *a)
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
		return sqlite_err(a, rc);
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
	return opt_err(a, KQ_O_SKIPTOKEN);
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
			return oom(a);
	} else
		return -1;
	if (kq_binds_add(&a->binds, &b) < 0)
		return oom(a);
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
			return opt_err(a, KQ_O_APPLY);
		}
		kq_parser_init(&p, &a->arena, a->opt.val[KQ_O_APPLY],
		               a->opt.len[KQ_O_APPLY], a->lim.max_depth,
		               a->lim.max_nodes * 4, &a->err);
		if ((ntr = kq_parse_apply(&p, &tr)) < 0 ||
		    kq_apply_compile(&a->arena, a->set, tr, ntr, &q->s, &q->from,
		                     &a->binds, &a->lim, &q->keys, &q->nkeys,
		                     &a->err) < 0)
			return opt_err(a, KQ_O_APPLY);
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
			return opt_err(a, KQ_O_COMPUTE);
		for (i = 0; i < n; i++) {
			kq_col c;

			if (kq_resolve_opt(cv[i].e, &q->s, 0, "$compute", &a->err) < 0)
				return opt_err(a, KQ_O_COMPUTE);
			if (kq_scope_find(&q->s, cv[i].name, cv[i].n) >= 0) {
				kueri_err_set(&a->err, KUERI_ETYPE, (long long)cv[i].pos,
				    "computed name '%s' at position %zu clashes with a "
				    "property", cv[i].name, cv[i].pos);
				return opt_err(a, KQ_O_COMPUTE);
			}
			memset(&c, 0, sizeof(c));
			c.name = cv[i].name;
			c.type = cv[i].e->type;
			c.decimal = c.type == KT_DECIMAL;
			c.field = -1;
			c.expr = cv[i].e;
			c.computed = 1;
			if (kq_scope_add(&a->arena, &q->s, &c) < 0)
				return oom(a);
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
			return opt_err(a, KQ_O_SEARCH);
		}
		if (q->rowid == NULL) {
			kueri_err_set(&a->err, KUERI_EBADREQ, -1,
			    "$search cannot follow an aggregating $apply; use "
			    "search() inside $apply");
			return opt_err(a, KQ_O_SEARCH);
		}
		where_and(q);
		if (kq_search_sql(&a->arena, a->opt.val[KQ_O_SEARCH],
		                  a->opt.len[KQ_O_SEARCH], a->set->fts, q->rowid,
		                  &q->where, &a->binds, a->lim.max_nodes,
		                  &a->err) < 0)
			return opt_err(a, KQ_O_SEARCH);
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

static int
build_count(kq_answer *a)
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
	if (build_source(a, &q, 1) < 0)
		goto out;
	ku_buf_printf(&sql, "SELECT count(*) FROM %s", q.from.s);
	if (q.where.n)
		ku_buf_printf(&sql, " WHERE %s", q.where.s);
	if (sql.oom || q.where.oom || q.from.oom) {
		oom(a);
		goto out;
	}
	if (prepare_main(a, sql.s) < 0)
		goto out;
	a->step_rc = sqlite3_step(a->st);
	if (a->step_rc != SQLITE_ROW) {
		sqlite_err(a, a->step_rc);
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
static int
build_entity(kq_answer *a, const char *pred, size_t n)
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
		oom(a);
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
			oom(a);
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
		oom(a);
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
		sqlite_err(a, a->step_rc);
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


static int
build_collection(kq_answer *a, const kq_request *req)
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
			return opt_err(a, KQ_O_COUNT);
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
			opt_err(a, KQ_O_ORDERBY);
			goto out;
		}
		if (nkeys > 32) {
			kueri_err_set(&a->err, KUERI_ELIMIT, -1,
			              "more than 32 $orderby keys (limit)");
			opt_err(a, KQ_O_ORDERBY);
			goto out;
		}
		for (i = 0; i < nkeys; i++)
			if (kq_resolve_opt(keys[i].e, &q.s, 0, "$orderby", &a->err) < 0) {
				opt_err(a, KQ_O_ORDERBY);
				goto out;
			} else if (keys[i].e->type == KT_GEO) {
				kueri_err_set(&a->err, KUERI_ETYPE, (long long)keys[i].e->pos,
				              "cannot order by a geographic property");
				opt_err(a, KQ_O_ORDERBY);
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
		oom(a);
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
			oom(a);
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
			oom(a);
			goto out;
		}
		crc = prepare_sql(a, cs.s, &cst);
		ku_buf_free(&cs);
		if (crc < 0)
			goto out;
		crc = sqlite3_step(cst);
		if (crc != SQLITE_ROW) {
			sqlite_err(a, crc);
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
		oom(a);
		goto out;
	}
	if (prepare_main(a, sql.s) < 0)
		goto out;
	a->step_rc = sqlite3_step(a->st);
	if (a->step_rc != SQLITE_ROW && a->step_rc != SQLITE_DONE) {
		sqlite_err(a, a->step_rc);
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

/* ---------------------------------------------------------------- prepare */

static unsigned long long
query_hash(kq_answer *a)
{
	static const int ids[] = { KQ_O_FILTER, KQ_O_SEARCH, KQ_O_ORDERBY,
	                           KQ_O_SELECT, KQ_O_COMPUTE, KQ_O_APPLY };
	unsigned long long h = 14695981039346656037ULL;
	size_t             i;
	char               v[32];

	h = fnv(h, a->set->name, strlen(a->set->name) + 1);
	snprintf(v, sizeof(v), "%lld", a->set->version);
	h = fnv(h, v, strlen(v) + 1);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const char *s = a->opt.val[ids[i]];

		h = fnv(h, s ? s : "\x01", s ? a->opt.len[ids[i]] + 1 : 1);
	}
	return h;
}

/* ABNF: $filter, $orderby, $select, $compute and $apply start right
 * after '=' (no BWS there, unlike $search). */
static int
leading_space(kq_answer *a)
{
	static const int ids[] = { KQ_O_FILTER, KQ_O_ORDERBY, KQ_O_SELECT,
	                           KQ_O_COMPUTE, KQ_O_APPLY };
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const char *v = a->opt.val[ids[i]];

		if (v && (v[0] == ' ' || v[0] == '\t')) {
			kueri_err_set(&a->err, KUERI_ESYNTAX, 0, "whitespace is not "
			              "allowed right after '=' (position 0)");
			return opt_err(a, ids[i]);
		}
	}
	return 0;
}

static int
prepare_inner(kq_answer *a, kportal *p, const kq_request *req)
{
	const char *raw = req->path ? req->path : "";
	char       *path, *name;
	size_t      plen, nl;
	int         i;

	while (*raw == '/')
		raw++;
	a->rawpath = raw;
	if (strlen(raw) > a->lim.max_query_len)
		return kueri_err_set(&a->err, KUERI_ETOOLONG, -1,
		                     "the resource path is too long");
	if ((path = kq_pct_decode(&a->arena, raw, strlen(raw), &plen,
	                          "the resource path", 0, &a->err)) == NULL)
		return -1;
	if (kq_options_parse(&a->arena, req->query, a->lim.max_query_len,
	                     &a->opt, &a->err) < 0)
		return -1;
	for (i = KQ_O_EXPAND; i < KQ_O__MAX; i++)
		if (a->opt.val[i]) {
			kueri_err_set(&a->err, KUERI_ENOTIMPL, -1,
			    "%s is not supported: entity sets here have no navigation "
			    "properties", kq_option_name(i));
			kueri_err_target(&a->err, kq_option_name(i));
			return -1;
		}
	if (negotiate(a, req) < 0 || leading_space(a) < 0)
		return -1;
	nl = strcspn(path, "(/");
	name = ku_strndup(&a->arena, path, nl);
	if (name == NULL)
		return oom(a);
	a->set = kq_set_by_odata_name(p, name);
	a->setname = name;
	if (a->set == NULL)
		/* one wording for every unknown (or private) name */
		return kueri_err_set(&a->err, KUERI_ENOTFOUND, -1,
		    "resource '%.64s' not found", name);
	a->auth.table = a->set->table;
	a->auth.fts = a->set->fts;
	a->qhash = query_hash(a);
	a->head.last_modified = a->set->published_at;
	if (path[nl] == '\0') {
		a->kind = A_COLLECTION;
		return build_collection(a, req);
	}
	if (strcmp(path + nl, "/$count") == 0) {
		a->kind = A_COUNT;
		return build_count(a);
	}
	if (path[nl] == '(' && path[plen - 1] == ')') {
		a->kind = A_ENTITY;
		return build_entity(a, path + nl + 1, plen - nl - 2);
	}
	return kueri_err_set(&a->err, KUERI_ENOTFOUND, -1,
	    "resource '%.64s' not found", path);
}

void
kq_limits_default(kq_limits *lim)
{
	lim->max_page = 1000;
	lim->export_cap = 1000000;
	lim->time_ms = 1000;
	lim->max_nodes = 100;
	lim->max_depth = 32;
	lim->max_query_len = 8192;
	lim->debug_sql = 0;
}

kq_answer *
kq_prepare(kportal *p, const kq_request *req, const kq_limits *lim)
{
	kq_answer *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	if (lim)
		a->lim = *lim;
	else
		kq_limits_default(&a->lim);
	if (a->lim.max_page <= 0)
		a->lim.max_page = 1000;
	if (a->lim.export_cap <= 0)
		a->lim.export_cap = 1000000;
	kueri_err_clear(&a->err);
	a->portal = p;
	a->db = portal_db(p);
	a->head_only = req->head_only;
	a->service_root = req->service_root ? req->service_root : "";
	a->auth.table = "";
	a->auth.fts = "";
	a->auth.debug = a->lim.debug_sql;
	a->writer = kq_writer_default();
	a->top = -1;
	clock_gettime(CLOCK_MONOTONIC, &a->deadline);
	a->deadline.tv_sec += a->lim.time_ms / 1000;
	a->deadline.tv_nsec += (long)(a->lim.time_ms % 1000) * 1000000L;
	if (a->deadline.tv_nsec >= 1000000000L) {
		a->deadline.tv_sec++;
		a->deadline.tv_nsec -= 1000000000L;
	}
	if (prepare_inner(a, p, req) < 0) {
		if (a->err.code == KUERI_OK)
			a->err.code = KUERI_EINTERNAL;
		a->kind = A_ERROR;
		release_st(a);
		unhook(a);
	}
	/* headers */
	if (a->kind == A_ERROR) {
		a->head.status = kueri_http_status(a->err.code);
		a->writer->content_type(&a->w, 1, a->head.content_type,
		                        sizeof(a->head.content_type));
		a->head.preference_applied[0] = '\0';
		a->head.last_modified = 0;
		return a;
	}
	a->head.status = 200;
	switch (a->kind) {
	case A_COUNT:
		snprintf(a->head.content_type, sizeof(a->head.content_type),
		         "text/plain;charset=utf-8");
		break;
	default:
		a->writer->content_type(&a->w, 0, a->head.content_type,
		                        sizeof(a->head.content_type));
		if (a->writer->download) {
			size_t i, k = 0;

			for (i = 0; a->set->name[i] && k < 80; i++) {
				char c = a->set->name[i];

				a->head.filename[k++] = (char)(isalnum((unsigned char)c) ||
				    c == '-' || c == '_' || c == '.' ? c : '_');
			}
			snprintf(a->head.filename + k, sizeof(a->head.filename) - k,
			         "%s", a->writer->download);
		}
	}
	if (a->set) {
		char               tokbuf[128], v[32];
		unsigned long long h = 14695981039346656037ULL;
		int                i;

		portal_version_token(p, tokbuf, sizeof(tokbuf));
		h = fnv(h, tokbuf, strlen(tokbuf) + 1);
		snprintf(v, sizeof(v), "%lld", a->set->version);
		h = fnv(h, v, strlen(v) + 1);
		h = fnv(h, a->rawpath, strlen(a->rawpath) + 1);
		for (i = 0; i < a->opt.nparams; i++) {
			h = fnv(h, a->opt.params[i].name,
			        strlen(a->opt.params[i].name) + 1);
			h = fnv(h, a->opt.params[i].val, a->opt.params[i].vlen + 1);
		}
		h = fnv(h, a->head.content_type, strlen(a->head.content_type));
		h = fnv(h, a->head.preference_applied,
		        strlen(a->head.preference_applied));
		snprintf(a->head.etag, sizeof(a->head.etag), "\"%016llx\"", h);
	}
	return a;
}

const kq_head *
kq_answer_head(const kq_answer *a)
{
	return &a->head;
}

void
kq_free(kq_answer *a)
{
	if (a == NULL)
		return;
	release_st(a);
	unhook(a);
	kq_binds_free(&a->binds);
	ku_arena_free(&a->arena);
	free(a);
}

/* ---------------------------------------------------------------- stream */

static int
flush(ku_buf *b, const kueri_sink *sink, int force)
{
	int rc = 0;

	if (b->oom)
		return -1;
	if (b->n && (force || b->n >= 32768)) {
		rc = sink->write(sink->ctx, b->s, b->n);
		b->n = 0;
	}
	return rc;
}



/* What the writer reads, from the answer (kq_writer.h). */
static void
fill_wctx(kq_answer *a)
{
	kq_wctx *w = &a->w;

	w->set = a->set;
	w->setname = a->setname;
	w->service_root = a->service_root;
	w->rawpath = a->rawpath;
	w->opt = &a->opt;
	w->context = a->context;
	w->out = a->out;
	w->outname = a->outname;
	w->nout = a->nout;
	w->entity = a->kind == A_ENTITY;
	w->has_count = a->has_count;
	w->count = a->count;
	w->st = a->st;
}

/*
 * The rows of a collection through the writer.  A page stops one row
 * short of what the statement returns when there is a next page; the
 * skiptoken is taken from the page's last row while the statement still
 * holds it.
 */
static int
stream_collection(kq_answer *a, const kueri_sink *sink, long long *nrows)
{
	const kq_writer *wr = a->writer;
	ku_buf    b = { 0 };
	long long n = 0;
	int       rc = a->step_rc, more = 0, ret = 0;
	char     *token = NULL;

	if (wr->begin(&a->w, &b) < 0) {
		ret = -1;
		goto out;
	}
	while (rc == SQLITE_ROW) {
		if (n == a->page) {
			more = 1;
			break;
		}
		if (wr->row(&a->w, &b, n) < 0) {
			ret = -1;
			goto out;
		}
		n++;
		if (n == a->page && wr->paged && !a->last_page)
			token = kq_page_token(&a->arena, a->st, a->nout, a->nhidden,
			                      a->offset_mode, a->offset + n, a->qhash);
		if (flush(&b, sink, 0) < 0) {
			ret = -1;
			goto out;
		}
		rc = sqlite3_step(a->st);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		/* failed mid-stream: the body stays truncated */
		sqlite_err(a, rc);
		flush(&b, sink, 1);
		ret = -1;
		goto out;
	}
	{
		ku_buf l = { 0 };

		if (more && token)
			kq_page_next_link(&l, a->service_root, a->rawpath, &a->opt,
			                  token, a->top >= 0 ? a->top - n : -1);
		if (wr->end(&a->w, &b, n, more && token ? (l.s ? l.s : "")
		                                        : NULL) < 0)
			ret = -1;
		ku_buf_free(&l);
	}
	if (flush(&b, sink, 1) < 0)
		ret = -1;
out:
	ku_buf_free(&b);
	if (nrows)
		*nrows = n;
	return ret;
}

static int
stream_entity(kq_answer *a, const kueri_sink *sink, long long *nrows)
{
	const kq_writer *wr = a->writer;
	ku_buf b = { 0 };
	int    rc = -1;

	if (wr->begin(&a->w, &b) == 0 && wr->row(&a->w, &b, 0) == 0 &&
	    wr->end(&a->w, &b, 1, NULL) == 0)
		rc = flush(&b, sink, 1);
	ku_buf_free(&b);
	if (nrows)
		*nrows = 1;
	return rc;
}

static int
stream_error(kq_answer *a, const kueri_sink *sink)
{
	ku_buf b = { 0 };
	int    rc = -1;

	if (a->writer->error(&a->w, &b, &a->err) == 0)
		rc = flush(&b, sink, 1);
	ku_buf_free(&b);
	return rc;
}

int
kq_stream(kq_answer *a, const kueri_sink *sink, long long *nrows)
{
	if (nrows)
		*nrows = 0;
	if (a->head_only)
		return 0;
	fill_wctx(a);
	switch (a->kind) {
	case A_ERROR:
		return stream_error(a, sink);
	case A_COUNT:
		return kueri_sink_printf(sink, "%lld", a->count);
	case A_ENTITY:
		return stream_entity(a, sink, nrows);
	case A_COLLECTION:
		return stream_collection(a, sink, nrows);
	}
	return -1;
}
