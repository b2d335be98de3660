/*
 * tree.c -- the parse stage: every option of one request parsed into one
 * query tree (kq_query) before anything is resolved, the way SQLite
 * parses a whole statement before it resolves a name.  Each option's
 * text goes through lex.c/parse.c (parse_apply.c for $apply, search.c
 * for $search); $top, $skip and $count are checked here, $skiptoken is
 * decoded (page.c), an entity's key predicate is split into its keys.
 * Nothing here looks at a column: unknown names and wrong types are the
 * resolve stage's (resolve_query.c).  Errors name their option (kq_opt_err).
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kq_int.h"

int
kq_opt_err(kq_parse *pc, int id)
{
	const char *name = kq_option_name(id);

	kueri_err_target(&pc->err, name);
	if (!strstr(pc->err.msg, " in $")) {
		size_t n = strlen(pc->err.msg);

		snprintf(pc->err.msg + n, sizeof(pc->err.msg) - n, " in %s", name);
	}
	return -1;
}

int
kq_oom(kq_parse *pc)
{
	return kueri_err_set(&pc->err, KUERI_ENOMEM, -1, "out of memory");
}

void
kq_parse_free(kq_parse *pc)
{
	kq_binds_free(&pc->binds);
	ku_arena_free(&pc->arena);
}

void
kq_query_free(kq_query *q)
{
	if (q->token)
		json_decref(q->token);
	q->token = NULL;
}

/* An option's parser, over its decoded text. */
static void
opt_parser(kq_parse *pc, const kq_options *o, int id, kq_parser *p,
           int max_nodes)
{
	kq_parser_init(p, &pc->arena, o->val[id], o->len[id],
	               pc->lim.max_depth, max_nodes, &pc->err);
}

/* $top / $skip: digits only, fits in Int64; -1 when absent. */
static int
count_opt(kq_parse *pc, const kq_options *o, int id, long long *out)
{
	const char *v = o->val[id];
	size_t      i, n = o->len[id];

	*out = -1;
	if (v == NULL)
		return 0;
	if (n == 0 || n > 18) {
		kueri_err_set(&pc->err, KUERI_EBADREQ, 0, "%s must be a "
		              "non-negative integer of at most 18 digits",
		              kq_option_name(id));
		return kq_opt_err(pc, id);
	}
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)v[i])) {
			kueri_err_set(&pc->err, KUERI_EBADREQ, (long long)i,
			    "%s must be a non-negative integer (digits only); found "
			    "'%c' at position %zu", kq_option_name(id), v[i], i);
			return kq_opt_err(pc, id);
		}
	*out = strtoll(v, NULL, 10);
	return 0;
}

/* Options a path kind does not take (/$count, a single entity). */
static int
forbid(kq_parse *pc, const kq_options *o, const int *ids, int n,
       const char *where)
{
	int i;

	for (i = 0; i < n; i++)
		if (o->val[ids[i]]) {
			kueri_err_set(&pc->err, KUERI_EBADREQ, -1,
			    "%s is not allowed %s", kq_option_name(ids[i]), where);
			kueri_err_target(&pc->err, kq_option_name(ids[i]));
			return -1;
		}
	return 0;
}

/* $apply, $compute, $filter, $search: the source of every path kind. */
static int
parse_source(kq_parse *pc, const kq_options *o, kq_query *q)
{
	kq_parser p;
	int       i;

	if (o->val[KQ_O_APPLY]) {
		opt_parser(pc, o, KQ_O_APPLY, &p, pc->lim.max_nodes * 4);
		if ((q->napply = kq_parse_apply(&p, &q->apply)) < 0)
			return kq_opt_err(pc, KQ_O_APPLY);
		/* search() texts are their own small language (search.c) */
		for (i = 0; i < q->napply; i++) {
			kq_trans *t = &q->apply[i];

			if (t->kind != TR_SEARCH || pc->set->fts[0] == '\0')
				continue;   /* no text: resolve says so */
			if ((t->sq = kq_search_parse(&pc->arena, t->search,
			                             t->search_n, pc->lim.max_nodes,
			                             &pc->err)) == NULL) {
				if (pc->err.pos >= 0)
					pc->err.pos += (long long)t->search_pos;
				return kq_opt_err(pc, KQ_O_APPLY);
			}
		}
	}
	if (o->val[KQ_O_COMPUTE]) {
		opt_parser(pc, o, KQ_O_COMPUTE, &p, pc->lim.max_nodes);
		if (kq_next(&p) < 0 || (p.tok.type == TK_EOF &&
		    kueri_err_set(&pc->err, KUERI_ESYNTAX, 0, "empty $compute")) ||
		    (q->ncompute = kq_parse_compute(&p, &q->compute, TK_EOF)) < 0)
			return kq_opt_err(pc, KQ_O_COMPUTE);
	}
	if (o->val[KQ_O_FILTER]) {
		opt_parser(pc, o, KQ_O_FILTER, &p, pc->lim.max_nodes);
		if ((q->filter = kq_parse_full(&p)) == NULL)
			return kq_opt_err(pc, KQ_O_FILTER);
	}
	if (o->val[KQ_O_SEARCH]) {
		q->has_search = 1;
		/* a set without text says so whatever the text (resolve) */
		if (pc->set->fts[0] != '\0' &&
		    (q->search = kq_search_parse(&pc->arena, o->val[KQ_O_SEARCH],
		                                 o->len[KQ_O_SEARCH],
		                                 pc->lim.max_nodes,
		                                 &pc->err)) == NULL)
			return kq_opt_err(pc, KQ_O_SEARCH);
	}
	return 0;
}

static int
parse_select(kq_parse *pc, const kq_options *o, kq_query *q)
{
	kq_parser p;

	if (o->val[KQ_O_SELECT] == NULL)
		return 0;
	opt_parser(pc, o, KQ_O_SELECT, &p, pc->lim.max_nodes);
	if ((q->nselect = kq_parse_select(&p, &q->select)) < 0)
		return kq_opt_err(pc, KQ_O_SELECT);
	return 0;
}

static int
parse_orderby(kq_parse *pc, const kq_options *o, kq_query *q)
{
	kq_parser p;

	if (o->val[KQ_O_ORDERBY] == NULL)
		return 0;
	opt_parser(pc, o, KQ_O_ORDERBY, &p, pc->lim.max_nodes);
	if (kq_next(&p) < 0 || (p.tok.type == TK_EOF &&
	    kueri_err_set(&pc->err, KUERI_ESYNTAX, 0, "empty $orderby")) ||
	    (q->norderby = kq_parse_orderby(&p, &q->orderby, TK_EOF)) < 0)
		return kq_opt_err(pc, KQ_O_ORDERBY);
	if (q->norderby > 32) {
		kueri_err_set(&pc->err, KUERI_ELIMIT, -1,
		              "more than 32 $orderby keys (limit)");
		return kq_opt_err(pc, KQ_O_ORDERBY);
	}
	return 0;
}

static int
parse_token(kq_parse *pc, const kq_options *o, kq_query *q)
{
	if (o->val[KQ_O_SKIPTOKEN] == NULL)
		return 0;
	q->token = kq_page_token_decode(&pc->arena, o->val[KQ_O_SKIPTOKEN],
	                                o->len[KQ_O_SKIPTOKEN], pc->set,
	                                q->qhash, &pc->err);
	if (q->token == NULL) {
		/* page.c names a token made on another version (410 older,
		 * 503 newer); anything else is one we did not make */
		if (pc->err.code == KUERI_OK)
			kueri_err_set(&pc->err, KUERI_EBADREQ, 0, "invalid or stale "
			              "$skiptoken: follow @odata.nextLink exactly as given");
		return kq_opt_err(pc, KQ_O_SKIPTOKEN);
	}
	return 0;
}

static int
keyerr(kq_parse *pc)
{
	kueri_err_target(&pc->err, "key");
	if (pc->err.code == KUERI_OK)
		pc->err.code = KUERI_EBADREQ;
	return -1;
}

/* Key predicate: ('x') / (42) / (k1='a',k2=1), without the parentheses. */
static int
parse_key(kq_parse *pc, const char *pred, size_t n, kq_query *q)
{
	kq_parser p;

	kq_parser_init(&p, &pc->arena, pred, n, 4, 64, &pc->err);
	if (kq_next(&p) < 0)
		return keyerr(pc);
	for (;;) {
		kq_keyitem *k;

		if ((q->key = kq_grow(&p, q->key, q->nkey, sizeof(*q->key))) == NULL)
			return -1;
		k = &q->key[q->nkey];
		memset(k, 0, sizeof(*k));
		if (p.tok.type == TK_IDENT && !kq_is_kw(&p, "true") &&
		    !kq_is_kw(&p, "false") && !kq_is_kw(&p, "null")) {
			k->name = p.tok.s;
			k->n = p.tok.n;
			k->pos = p.tok.pos;
			if (kq_next(&p) < 0)
				return keyerr(pc);
			if (p.tok.type != TK_EQUALS) {
				kueri_err_set(&pc->err, KUERI_ESYNTAX, (long long)p.tok.pos,
				    "expected '=' after the key name at position %zu",
				    p.tok.pos);
				return keyerr(pc);
			}
			if (kq_next(&p) < 0)
				return keyerr(pc);
		}
		if ((k->lit = kq_parse_expr(&p)) == NULL)
			return keyerr(pc);
		if (k->lit->kind != N_LIT || k->lit->lt == KT_NULL) {
			kueri_err_set(&pc->err, KUERI_EBADREQ, (long long)k->lit->pos,
			              "a key value must be a non-null literal");
			return keyerr(pc);
		}
		q->nkey++;      /* at most 64: the parser's node limit */
		if (p.tok.type == TK_COMMA) {
			if (kq_next(&p) < 0)
				return keyerr(pc);
			continue;
		}
		if (p.tok.type != TK_EOF) {
			kueri_err_set(&pc->err, KUERI_ESYNTAX, (long long)p.tok.pos,
			    "unexpected text in the key predicate at position %zu",
			    p.tok.pos);
			return keyerr(pc);
		}
		return 0;
	}
}

int
kq_query_parse(kq_parse *pc, const kq_options *o, kq_qkind kind,
               const char *pred, size_t npred, kq_query *q)
{
	static const int no_count[] = { KQ_O_TOP, KQ_O_SKIP, KQ_O_ORDERBY,
	                                KQ_O_SELECT, KQ_O_COUNT, KQ_O_SKIPTOKEN,
	                                KQ_O_COMPUTE };
	static const int no_entity[] = { KQ_O_TOP, KQ_O_SKIP, KQ_O_ORDERBY,
	                                 KQ_O_FILTER, KQ_O_SEARCH, KQ_O_COUNT,
	                                 KQ_O_SKIPTOKEN, KQ_O_APPLY };

	q->kind = kind;
	q->top = q->skip = -1;
	if (kind == KQ_Q_COUNT)
		return forbid(pc, o, no_count, (int)(sizeof(no_count) /
		              sizeof(no_count[0])), "with /$count (only $filter, "
		              "$search, $apply)") < 0 ||
		       parse_source(pc, o, q) < 0 ? -1 : 0;
	if (kind == KQ_Q_ENTITY)
		return forbid(pc, o, no_entity, (int)(sizeof(no_entity) /
		              sizeof(no_entity[0])), "when addressing a single "
		              "entity") < 0 ||
		       parse_source(pc, o, q) < 0 ||
		       parse_key(pc, pred, npred, q) < 0 ||
		       parse_select(pc, o, q) < 0 ? -1 : 0;
	if (count_opt(pc, o, KQ_O_TOP, &q->top) < 0 ||
	    count_opt(pc, o, KQ_O_SKIP, &q->skip) < 0)
		return -1;
	if (o->val[KQ_O_COUNT]) {
		/* ABNF inlinecount = "$count" EQ boolean, and boolean is
		 * "true" / "false": quoted ABNF strings match in any case
		 * (RFC 5234 2.3), as the same literals do in $filter */
		if (strcasecmp(o->val[KQ_O_COUNT], "true") == 0)
			q->count = 1;
		else if (strcasecmp(o->val[KQ_O_COUNT], "false") != 0) {
			kueri_err_set(&pc->err, KUERI_EBADREQ, 0,
			              "$count must be true or false");
			return kq_opt_err(pc, KQ_O_COUNT);
		}
	}
	return parse_source(pc, o, q) < 0 || parse_select(pc, o, q) < 0 ||
	       parse_orderby(pc, o, q) < 0 || parse_token(pc, o, q) < 0 ? -1 : 0;
}
