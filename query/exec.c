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

#include "kq_answer.h"

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
					return kueri_err_set(&a->pc.err, KUERI_ENOTACCEPT, -1,
					    "odata.metadata must be minimal, full or none");
			}
		}
		p = semi;
	}
	return 0;
}


/* count: the path is SET/$count. */
static int
negotiate(kq_answer *a, const kq_request *req, int count)
{
	const char *f = a->opt.val[KQ_O_FORMAT];

	if (req->format && *req->format) {
		const kq_writer *k = kq_writer_find(req->format,
		                                    strlen(req->format), 0);

		if (k == NULL)
			return kueri_err_set(&a->pc.err, KUERI_ENOTACCEPT, -1,
			    "unsupported format '%.40s' (json or csv)", req->format);
		a->writer = k;
	}
	if (f) {
		const char *semi = strchr(f, ';');
		size_t      n = semi ? (size_t)(semi - f) : strlen(f);
		const kq_writer *k = kq_writer_find(f, n, 0);

		if (k == NULL) {
			kueri_err_set(&a->pc.err, KUERI_ENOTACCEPT, -1,
			    "unsupported $format '%.40s': this service speaks json "
			    "and csv", f);
			return kq_opt_err(&a->pc, KQ_O_FORMAT);
		}
		if (!(req->format && *req->format))
			a->writer = k;
		if (semi && media_params(a, semi, f + strlen(f)) < 0)
			return kq_opt_err(&a->pc, KQ_O_FORMAT);
		return 0;
	}
	if (req->format && *req->format)
		return 0;
	if (req->accept && *req->accept) {
		/* accept.c's rule.  SET/$count is text/plain (PROT 11.2.10);
		 * a JSON-only Accept still gets the number, which is also a
		 * JSON document, as before. */
		static const char *const cnt[] = { "text/plain",
		                                   "application/json" };
		const char *coll[8], *ps, *pe;
		int         i, n;

		if (count) {
			if (kq_accept_pick(req->accept, cnt, 2, NULL, NULL) < 0)
				return kueri_err_set(&a->pc.err, KUERI_ENOTACCEPT, -1,
				    "none of the Accept types is available: SET/$count "
				    "answers text/plain");
			return 0;
		}
		/* every writer of the table, in its order (ties go to JSON) */
		for (n = 0; n < 8 && kq_writer_at(n); n++)
			coll[n] = kq_writer_at(n)->media;
		i = kq_accept_pick(req->accept, coll, n, &ps, &pe);
		if (i < 0)
			return kueri_err_set(&a->pc.err, KUERI_ENOTACCEPT, -1,
			    "none of the Accept types is available: this service "
			    "speaks application/json, text/csv, text/html and "
			    "application/geo+json");
		a->writer = kq_writer_at(i);
		if (ps && media_params(a, ps, pe) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- prepare */

static unsigned long long
query_hash(kq_answer *a)
{
	static const int ids[] = { KQ_O_FILTER, KQ_O_SEARCH, KQ_O_ORDERBY,
	                           KQ_O_SELECT, KQ_O_COMPUTE, KQ_O_APPLY };
	unsigned long long h = 14695981039346656037ULL;
	size_t             i;
	char               v[32], *vs = ku_fmt_lld(v, a->pc.set->version);

	h = fnv(h, a->pc.set->name, strlen(a->pc.set->name) + 1);
	h = fnv(h, vs, (size_t)(v + 32 - vs));
	h = fnv(h, "", 1);
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
			kueri_err_set(&a->pc.err, KUERI_ESYNTAX, 0, "whitespace is not "
			              "allowed right after '=' (position 0)");
			return kq_opt_err(&a->pc, ids[i]);
		}
	}
	return 0;
}

/* The index of the ')' closing the key predicate that opens at p[from]
 * (quotes respected: codes('a)b')), or 0 when there is none. */
static size_t
key_end(const char *p, size_t from, size_t n)
{
	size_t i;
	int    quoted = 0;

	for (i = from + 1; i < n; i++)
		if (p[i] == '\'')
			quoted = !quoted;
		else if (!quoted && p[i] == ')')
			return i;
	return 0;
}

/*
 * SET(key)/PROP[/$value] (PROT 11.2.4.1, 11.2.4.1.1): the property is
 * the entity's one selected column; its own system options are only
 * $format.  `prop` is the decoded name.  0, or -1 with the error.
 */
static int
property_request(kq_answer *a, const kq_request *req, const char *prop,
                 size_t n, kq_query *q)
{
	int i;

	for (i = 0; i < KQ_O__MAX; i++)
		if (a->opt.val[i] && i != KQ_O_FORMAT) {
			kueri_err_set(&a->pc.err, KUERI_EBADREQ, -1, "%s is not "
			    "allowed on a property path (only $format)",
			    kq_option_name(i));
			return kq_opt_err(&a->pc, i);
		}
	/* JSON ({"value": ...}) or the raw value: an explicit other
	 * format is not available; an Accept preference (a browser's
	 * text/html) still gets JSON */
	if (a->writer != kq_writer_default()) {
		if ((req->format && *req->format) || a->opt.val[KQ_O_FORMAT])
			return kueri_err_set(&a->pc.err, KUERI_ENOTACCEPT, -1,
			    "a property is available as application/json only");
		a->writer = kq_writer_default();
	}
	if ((q->select = ku_alloc(&a->pc.arena, sizeof(*q->select))) == NULL)
		return kq_oom(&a->pc);
	memset(q->select, 0, sizeof(*q->select));
	q->select[0].name = prop;
	q->select[0].n = n;
	q->nselect = 1;
	return 0;
}

static int
prepare_inner(kq_answer *a, kportal *p, const kq_request *req)
{
	const char *raw = req->path ? req->path : "";
	char       *path, *name, *prop = NULL;
	size_t      plen, nl, kend = 0, proplen = 0;
	int         i, rc;
	kq_qkind    kind;
	kq_query    q;

	while (*raw == '/')
		raw++;
	a->rawpath = raw;
	if (strlen(raw) > a->pc.lim.max_query_len)
		return kueri_err_set(&a->pc.err, KUERI_ETOOLONG, -1,
		                     "the resource path is too long");
	if ((path = kq_pct_decode(&a->pc.arena, raw, strlen(raw), &plen,
	                          "the resource path", 0, &a->pc.err)) == NULL)
		return -1;
	if (kq_options_parse(&a->pc.arena, req->query, a->pc.lim.max_query_len,
	                     &a->opt, &a->pc.err) < 0)
		return -1;
	for (i = KQ_O_EXPAND; i < KQ_O__MAX; i++)
		if (a->opt.val[i]) {
			kueri_err_set(&a->pc.err, KUERI_ENOTIMPL, -1,
			    "%s is not supported: entity sets here have no navigation "
			    "properties", kq_option_name(i));
			kueri_err_target(&a->pc.err, kq_option_name(i));
			return -1;
		}
	if (negotiate(a, req, plen >= 7 &&
	              strcmp(path + plen - 7, "/$count") == 0) < 0 ||
	    leading_space(a) < 0)
		return -1;
	nl = strcspn(path, "(/");
	name = ku_strndup(&a->pc.arena, path, nl);
	if (name == NULL)
		return kq_oom(&a->pc);
	if (name[0] == '$') {
		/* resources OData defines beside entity sets (ABNF
		 * odataRelativeUri, resourcePath; case-sensitive): valid
		 * requests for functionality this service lacks, so 501
		 * (PROT 12.1.1), not "no such resource" */
		static const char *const other[] = { "$batch", "$crossjoin",
		                                     "$all", "$entity" };
		size_t k;

		for (k = 0; k < sizeof(other) / sizeof(other[0]); k++)
			if (strcmp(name, other[k]) == 0) {
				kueri_err_set(&a->pc.err, KUERI_ENOTIMPL, -1,
				    "%s is not supported: this service answers "
				    "single requests on its entity sets", other[k]);
				return -1;
			}
	}
	a->pc.set = kq_set_by_odata_name(p, name);
	a->pc.setname = name;
	if (a->pc.set == NULL)
		/* one wording for every unknown (or private) name */
		return kq_unknown_set(p, name, &a->pc.err);
	a->auth.table = a->pc.set->table;
	a->auth.fts = a->pc.set->fts;
	a->qhash = query_hash(a);
	a->head.last_modified = a->pc.set->published_at;
	if (path[nl] == '\0')
		kind = KQ_Q_COLLECTION;
	else if (strcmp(path + nl, "/$count") == 0)
		kind = KQ_Q_COUNT;
	else if (path[nl] == '(' && (kend = key_end(path, nl, plen)) > 0 &&
	         (kend == plen - 1 || path[kend + 1] == '/')) {
		kind = KQ_Q_ENTITY;
		if (kend < plen - 1) {
			/* SET(key)/PROP or SET(key)/PROP/$value */
			prop = path + kend + 2;
			proplen = strcspn(prop, "/");
			if (proplen == 0 || (prop[proplen] != '\0' &&
			                     strcmp(prop + proplen, "/$value") != 0))
				return kueri_err_set(&a->pc.err, KUERI_ENOTFOUND, -1,
				    "resource '%.64s' not found", path);
			a->prop = prop[proplen] ? 2 : 1;
			prop = ku_strndup(&a->pc.arena, prop, proplen);
			if (prop == NULL)
				return kq_oom(&a->pc);
		}
	} else
		return kueri_err_set(&a->pc.err, KUERI_ENOTFOUND, -1,
		    "resource '%.64s' not found", path);
	a->kind = kind == KQ_Q_COUNT ? A_COUNT
	        : kind == KQ_Q_ENTITY ? A_ENTITY : A_COLLECTION;
	/* the three stages, each over the whole tree, in order */
	memset(&q, 0, sizeof(q));
	q.qhash = a->qhash;
	if (kq_query_parse(&a->pc, &a->opt, kind,
	                   kind == KQ_Q_ENTITY ? path + nl + 1 : NULL,
	                   kind == KQ_Q_ENTITY ? kend - nl - 1 : 0, &q) < 0 ||
	    (prop && property_request(a, req, prop, proplen, &q) < 0)) {
		kq_query_free(&q);
		return -1;
	}
	if (kq_query_resolve(&a->pc, &q) < 0) {
		if (prop && strcmp(a->pc.err.target, "$select") == 0) {
			kueri_err_clear(&a->pc.err);
			kueri_err_set(&a->pc.err, KUERI_ENOTFOUND, -1, "no "
			    "property '%.64s' in '%s'", prop, a->pc.set->name);
		}
		kq_query_free(&q);
		return -1;
	}
	rc = kq_codegen(a, &q, req);
	kq_query_free(&q);
	if (rc == 0 && prop) {
		/* context: ROOT$metadata#SET(key)/PROP (JSON 10.16) */
		ku_buf c = { 0 };

		ku_buf_printf(&c, "%s$metadata#%s", a->service_root,
		              a->pc.setname);
		kq_pct_encode(&c, path + nl, kend - nl + 1);   /* the key */
		ku_buf_puts(&c, "/");
		ku_buf_puts(&c, prop);
		a->context = c.oom ? NULL : ku_strndup(&a->pc.arena, c.s, c.n);
		ku_buf_free(&c);
		if (a->context == NULL)
			return kq_oom(&a->pc);
	}
	return rc < 0 ? -1 : 0;
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

/* An error answer: its status, the error's content type, no validators
 * and nothing left on the connection. */
static kq_answer *
failed(kq_answer *a)
{
	if (a->pc.err.code == KUERI_OK)
		a->pc.err.code = KUERI_EINTERNAL;
	kq_hint_opt(&a->pc.err, &a->opt);     /* caret and hint */
	a->kind = A_ERROR;
	kq_release_st(a);
	kq_unhook(a);
	a->head.status = kueri_http_status(a->pc.err.code);
	/* a nextLink from a newer version than ours (page.c): another
	 * replica has it, so a front may retry at once */
	if (a->pc.err.code == KUERI_EBEHIND || a->pc.err.code == KUERI_EBUSY)
		a->head.retry_after = 1;
	a->writer->content_type(&a->w, 1, a->head.content_type,
	                        sizeof(a->head.content_type));
	a->head.preference_applied[0] = '\0';
	a->head.filename[0] = '\0';
	a->head.etag[0] = '\0';
	a->head.last_modified = 0;
	return a;
}

kq_answer *
kq_prepare(kportal *p, const kq_request *req, const kq_limits *lim)
{
	kq_answer *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	if (lim)
		a->pc.lim = *lim;
	else
		kq_limits_default(&a->pc.lim);
	if (a->pc.lim.max_page <= 0)
		a->pc.lim.max_page = 1000;
	if (a->pc.lim.export_cap <= 0)
		a->pc.lim.export_cap = 1000000;
	kueri_err_clear(&a->pc.err);
	a->portal = p;
	a->db = portal_db(p);
	a->head_only = req->head_only;
	a->service_root = req->service_root ? req->service_root : "";
	a->w.rawquery = req->query;
	a->w.root_path = req->root_path ? req->root_path : "/odata/";
	a->w.extra = req->extra;
	a->auth.table = "";
	a->auth.fts = "";
	a->auth.debug = a->pc.lim.debug_sql;
	a->writer = kq_writer_default();
	a->top = -1;
	clock_gettime(CLOCK_MONOTONIC, &a->deadline);
	a->deadline.tv_sec += a->pc.lim.time_ms / 1000;
	a->deadline.tv_nsec += (long)(a->pc.lim.time_ms % 1000) * 1000000L;
	if (a->deadline.tv_nsec >= 1000000000L) {
		a->deadline.tv_sec++;
		a->deadline.tv_nsec -= 1000000000L;
	}
	if (prepare_inner(a, p, req) < 0)
		return failed(a);
	/* the head of the 200 */
	a->head.status = 200;
	if (a->prop == 2) {
		snprintf(a->head.content_type, sizeof(a->head.content_type),
		         "text/plain;charset=utf-8");
	} else switch (a->kind) {
	case A_COUNT:
		snprintf(a->head.content_type, sizeof(a->head.content_type),
		         "text/plain;charset=utf-8");
		break;
	default:
		a->writer->content_type(&a->w, 0, a->head.content_type,
		                        sizeof(a->head.content_type));
		if (a->writer->download) {
			size_t i, k = 0;

			for (i = 0; a->pc.set->name[i] && k < 80; i++) {
				char c = a->pc.set->name[i];

				a->head.filename[k++] = (char)(isalnum((unsigned char)c) ||
				    c == '-' || c == '_' || c == '.' ? c : '_');
			}
			snprintf(a->head.filename + k, sizeof(a->head.filename) - k,
			         "%s", a->writer->download);
		}
	}
	/* An answer that reads the clock (now()) differs from one second to
	 * the next with the data unchanged: an ETag or Last-Modified built
	 * from the versions would let a client's or nginx's revalidation
	 * keep an old answer for good (a 304), so it gets neither. */
	if (a->pc.binds.now)
		a->head.last_modified = 0;
	else if (a->pc.set) {
		static const char  hex[] = "0123456789abcdef";
		char               tokbuf[128], v[32];
		char              *vs = ku_fmt_lld(v, a->pc.set->version);
		unsigned long long h = 14695981039346656037ULL;
		int                i;

		portal_version_token(p, tokbuf, sizeof(tokbuf));
		h = fnv(h, tokbuf, strlen(tokbuf) + 1);
		h = fnv(h, vs, (size_t)(v + 32 - vs));
		h = fnv(h, "", 1);
		h = fnv(h, a->rawpath, strlen(a->rawpath) + 1);
		for (i = 0; i < a->opt.nparams; i++) {
			h = fnv(h, a->opt.params[i].name,
			        strlen(a->opt.params[i].name) + 1);
			h = fnv(h, a->opt.params[i].val, a->opt.params[i].vlen + 1);
		}
		h = fnv(h, a->head.content_type, strlen(a->head.content_type));
		h = fnv(h, a->head.preference_applied,
		        strlen(a->head.preference_applied));
		/* "%016llx" in quotes, by hand: this runs per request */
		a->head.etag[0] = '"';
		for (i = 0; i < 16; i++)
			a->head.etag[1 + i] = hex[(h >> (60 - 4 * i)) & 15];
		a->head.etag[17] = '"';
		a->head.etag[18] = '\0';
		a->key = h ? h : 1;
	}
	/* The client (or nginx revalidating its cache) holds this very
	 * answer: a 304 that never runs the query, so a popular expensive
	 * URL costs its parse and prepare, not its scan, once per second
	 * (docs/serving.md, "Caching"). */
	if (req->held != NULL && a->head.etag[0] &&
	    req->held(req->held_ctx, &a->head)) {
		a->head.status = 304;
		kq_release_st(a);
		kq_unhook(a);
		return a;
	}
	if (kq_run(a) < 0)
		return failed(a);
	if (a->prop && a->step_rc == SQLITE_ROW &&
	    sqlite3_column_type(a->st, 0) == SQLITE_NULL) {
		/* a null property: 204 No Content, as JSON or as $value
		 * (PROT 11.2.4.1, 11.2.4.1.1) */
		a->prop_null = 1;
		a->head.status = 204;
		a->head.content_type[0] = '\0';
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
	kq_release_st(a);
	kq_unhook(a);
	if (a->writer && a->writer->close && a->w.state)
		a->writer->close(a->w.state);
	kq_parse_free(&a->pc);
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

	w->set = a->pc.set;
	w->setname = a->pc.setname;
	w->service_root = a->service_root;
	w->rawpath = a->rawpath;
	w->opt = &a->opt;
	w->context = a->context;
	w->out = a->out;
	w->outname = a->outname;
	w->nout = a->nout;
	w->entity = a->kind == A_ENTITY;
	w->property = a->prop == 1;
	w->has_count = a->has_count;
	w->count = a->count;
	w->st = a->st;
	w->portal = a->portal;
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

	/* one allocation for a page's body instead of doubling from 256
	 * (flush() sends at 32 KB; an OOM here fails at the first flush) */
	ku_buf_reserve(&b, 16384);

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
			token = kq_page_token(&a->pc.arena, a->st, a->nout, a->nhidden,
			                      a->offset_mode, a->offset + n, a->pc.set,
			                      a->qhash);
		if (flush(&b, sink, 0) < 0) {
			ret = -1;
			goto out;
		}
		rc = sqlite3_step(a->st);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		/* Failed mid-stream.  What is still buffered is dropped: if
		 * nothing was flushed, the caller can still answer with the
		 * error (fcgi/http.c); if something was, the answer is cut
		 * short either way and the caller says so. */
		kq_sqlite_err(a, rc);
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

/* SET(key)/PROP/$value: the value itself as text/plain -- a string
 * raw, a number or boolean in its JSON form without quotes. */
static int
stream_value(kq_answer *a, const kueri_sink *sink, long long *nrows)
{
	sqlite3_stmt *st = a->st;
	ku_buf        b = { 0 };
	int           rc;

	if (nrows)
		*nrows = 1;
	if (a->out[0].type == KT_BOOL)
		ku_buf_puts(&b, sqlite3_column_int64(st, 0) ? "true" : "false");
	else if (sqlite3_column_type(st, 0) == SQLITE_INTEGER ||
	         sqlite3_column_type(st, 0) == SQLITE_FLOAT) {
		kq_json_value(&b, st, 0, &a->out[0], 0);
		if (b.n >= 2 && b.s[0] == '"') {   /* "NaN", "INF": unquote */
			memmove(b.s, b.s + 1, b.n - 2);
			b.n -= 2;
		}
	} else {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		ku_buf_add(&b, t ? t : "", t ? (size_t)sqlite3_column_bytes(st, 0)
		                             : 0);
	}
	rc = b.oom ? -1 : sink->write(sink->ctx, b.s, b.n);
	ku_buf_free(&b);
	return rc;
}

static int
stream_error(kq_answer *a, const kueri_sink *sink)
{
	ku_buf b = { 0 };
	int    rc = -1;

	if (a->writer->error(&a->w, &b, &a->pc.err) == 0)
		rc = flush(&b, sink, 1);
	ku_buf_free(&b);
	return rc;
}

const kueri_err *
kq_stream_error(const kq_answer *a)
{
	return a != NULL && a->pc.err.code != KUERI_OK ? &a->pc.err : NULL;
}

int
kq_stream(kq_answer *a, const kueri_sink *sink, long long *nrows)
{
	if (nrows)
		*nrows = 0;
	if (a->head_only || a->head.status == 304)
		return 0;         /* a 304's query never ran (kq_prepare) */
	fill_wctx(a);
	if (a->kind != A_COUNT && a->writer->open && a->w.state == NULL &&
	    (a->w.state = a->writer->open(&a->w)) == NULL)
		return -1;
	switch (a->kind) {
	case A_ERROR:
		return stream_error(a, sink);
	case A_COUNT:
		return kueri_sink_printf(sink, "%lld", a->count);
	case A_ENTITY:
		if (a->prop && a->prop_null)
			return 0;
		if (a->prop == 2)
			return stream_value(a, sink, nrows);
		return stream_entity(a, sink, nrows);
	case A_COLLECTION:
		return stream_collection(a, sink, nrows);
	}
	return -1;
}
