/*
 * kq_int.h -- what the query engine's stages share and nothing else.
 *
 * Data flow (one file per stage; exec.c drives them in this order):
 *   options.c  raw query string → kq_options (split on & and =, decode once)
 *   tree.c     parse stage: every option → one query tree (kq_query),
 *              through lex.c (tokens, slices of the text, never copied),
 *              parse.c (expressions, lists; depth/node caps),
 *              parse_apply.c ($apply) and search.c ($search)
 *   resolve_query.c  resolve stage, the whole tree in one pass: scope
 *              ($apply, $compute), each expression through resolve.c
 *              (names bound to columns, types checked: the 400s)
 *   codegen.c  codegen stage: the whole statement from the resolved tree
 *              (sql.c expressions, apply.c $apply, search.c FTS5, page.c
 *              skiptokens), prepared through conn.c
 *   exec.c     kq_prepare / kq_stream: the request, the stages, the rows
 *   json.c     rows → OData JSON; csv.c rows → RFC 4180 CSV (kq_writer.h)
 *   funcs.c    SQLite functions we register (PCRE2, case-sensitive
 *              string tests, date parts) and the authorizer allow-list
 *
 * Memory: everything a request builds hangs off the arena of its one
 * kq_parse, freed once (like SQLite's Parse object).  Errors are
 * kueri_err values with a byte position in the option named by
 * err->target.
 */
#ifndef KUERI_KQ_INT_H
#define KUERI_KQ_INT_H

#include <stddef.h>
#include <string.h>
#include <sqlite3.h>

#include "kueri.h"
#include "portal.h"
#include "query.h"
#include "kutil.h"

/* ---------------------------------------------------------------- options */

enum kq_optid {
	KQ_O_FILTER, KQ_O_SEARCH, KQ_O_COUNT, KQ_O_ORDERBY, KQ_O_SKIP, KQ_O_TOP,
	KQ_O_SELECT, KQ_O_COMPUTE, KQ_O_APPLY, KQ_O_FORMAT, KQ_O_SKIPTOKEN,
	KQ_O_EXPAND, KQ_O_LEVELS, KQ_O_ID, KQ_O_SCHEMAVERSION, KQ_O_INDEX,
	KQ_O_DELTATOKEN,
	KQ_O__MAX
};

/* Canonical name of a system option, with its '$' ("$filter"). */
const char *kq_option_name(int id);

typedef struct kq_param {      /* one name=value pair, in request order */
	char  *name;               /* decoded, NUL-terminated (arena)        */
	char  *val;                /* decoded, NUL-terminated (arena)        */
	size_t vlen;
	int    id;                 /* enum kq_optid, or -1 custom/alias      */
} kq_param;

typedef struct kq_options {
	const char *val[KQ_O__MAX];  /* decoded value or NULL when absent   */
	size_t      len[KQ_O__MAX];
	kq_param   *params;          /* every pair, for nextLink             */
	int         nparams;
} kq_options;

/*
 * Split `query` (may be NULL) on '&' then the first '=', percent-decode
 * each part once, check UTF-8, classify names.  Strings live in `a`.
 * Returns 0, or -1 with `err` (400, position = byte offset in the query).
 */
int kq_options_parse(ku_arena *a, const char *query, size_t maxlen,
                     kq_options *o, kueri_err *err);

/*
 * Percent-decode s[0..n) once into the arena; reject broken escapes,
 * NUL and invalid UTF-8.  `what` names the part for messages.  `base` is
 * added to positions.  Returns the text (length in *outlen) or NULL.
 */
char *kq_pct_decode(ku_arena *a, const char *s, size_t n, size_t *outlen,
                    const char *what, long long base, kueri_err *err);

/* 1 if s[0..n) is valid UTF-8 without NUL, overlongs or surrogates;
 * otherwise 0 and *bad = offset of the first bad byte. */
int kq_utf8_valid(const char *s, size_t n, size_t *bad);

/* Percent-encode s for a URL query value (unreserved and a few safe
 * characters kept) onto b. */
void kq_pct_encode(ku_buf *b, const char *s, size_t n);

typedef struct kq_binds kq_binds;
typedef struct kq_scope kq_scope;
typedef struct kq_search kq_search;   /* a parsed $search (search.c) */

/* ---------------------------------------------------------------- lexer */

typedef enum kq_tokt {
	TK_EOF = 0, TK_IDENT, TK_STRING, TK_INT, TK_DECIMAL, TK_DOUBLE,
	TK_DATE, TK_DATETIME, TK_TIME, TK_GUID, TK_DURATION,
	TK_LPAREN, TK_RPAREN, TK_COMMA, TK_SLASH, TK_COLON, TK_STAR, TK_MINUS,
	TK_EQUALS, TK_SEMI, TK_ALIAS, TK_DOLLAR, TK_OTHER,
	TK__MAX
} kq_tokt;

typedef struct kq_tok {
	kq_tokt     type;
	const char *s;     /* slice of the option text                     */
	size_t      n;
	size_t      pos;   /* byte offset in the option text                */
} kq_tok;

/* Token name for messages ("string literal", "')'"). */
const char *kq_tok_name(kq_tokt t);

/*
 * The token starting at or after src[pos] (skipping spaces).  Literal
 * syntax and values are checked here (dates exist, times < 24:00, ints
 * are digits), so errors point at the literal.  Returns 0 or -1 + err.
 */
int kq_lex(const char *src, size_t len, size_t pos, kq_tok *t,
           kueri_err *err);


/* ---------------------------------------------------------------- types */

typedef enum kq_type {
	KT_NULL = 0, KT_BOOL, KT_INT32, KT_INT, KT_DECIMAL, KT_DOUBLE, KT_STRING,
	KT_DATE, KT_DATETIME, KT_TIME, KT_DURATION, KT_GUID, KT_GEO, KT_ANY,
	KT__MAX
} kq_type;

const char *kq_type_edm(kq_type t);
kq_type     kq_type_of_field(const kp_field *f);
int         kq_type_numeric(kq_type t);

/* ---------------------------------------------------------------- AST */

typedef enum kq_nodek {
	N_LIT = 0,   /* literal: lt + value                                  */
	N_PROP,      /* property or alias name (s, n)                        */
	N_BIN,       /* binary operator op: a op b                           */
	N_NOT,       /* not a                                                */
	N_NEG,       /* -a                                                   */
	N_CALL,      /* function fn(args)                                    */
	N_IN,        /* a in (args)                                          */
	N_CAST,      /* cast(a, lt) / isof(a, lt): op = O_CAST or O_ISOF     */
	N__MAX
} kq_nodek;

typedef enum kq_op {
	O_NONE = 0,
	O_OR, O_AND, O_EQ, O_NE, O_GT, O_GE, O_LT, O_LE, O_HAS,
	O_ADD, O_SUB, O_MUL, O_DIV, O_DIVBY, O_MOD,
	O_CAST, O_ISOF,
	O__MAX
} kq_op;

/* ---------------------------------------------------------------- functions */

/* Argument classes of a function's type rule (functab.c). */
enum {
	KQ_AS_ANY = 0, KQ_AS_STRING, KQ_AS_INT, KQ_AS_NUMBER, KQ_AS_DATE_DT,
	KQ_AS_TIME_DT, KQ_AS_DATETIME, KQ_AS_DURATION
};
/* Result rules: the row's type; a numeric argument's (Double stays
 * Double, else Decimal); case()'s own rule. */
enum { KQ_R_FIXED = 0, KQ_R_NUMERIC, KQ_R_CASE };

/* One OData function: a row of functab.c. */
typedef struct kq_fninfo {
	const char *name;     /* as written in URLs (matched ignoring case)   */
	int         min, max; /* arity                                        */
	unsigned char arg[3]; /* KQ_AS_* of argument i; the last repeats      */
	kq_type     result;   /* result type (KQ_R_FIXED)                     */
	int         rule;     /* KQ_R_*                                       */
	const char *sql;      /* SQL template (see functab.c), NULL for case  */
	const char *sqlfn;    /* the SQLite function the template calls, for
	                         the authorizer (ours are in funcs.c), or NULL */
	const char *lit;      /* value bound for %L, or NULL                  */
	int         pattern;  /* argument that must be a valid regex when a
	                         literal, or -1                               */
} kq_fninfo;

/* The row named name[0..n) (not case), or NULL. */
const kq_fninfo *kq_fn_find(const char *name, size_t n);
/* Row i, or NULL past the end (for the authorizer's allow-list). */
const kq_fninfo *kq_fn_at(size_t i);
/* The row of case(). */
extern const kq_fninfo *const kq_fn_case;
/* Whether a value of type t fits argument class cls; its text for
 * messages ("Edm.String"). */
int         kq_argclass_ok(int cls, kq_type t);
const char *kq_argclass_text(int cls);

typedef struct kq_node kq_node;
struct kq_node {
	kq_nodek    kind;
	kq_op       op;
	const kq_fninfo *fn;
	size_t      pos;      /* byte offset of the node's first token      */
	/* literal */
	kq_type     lt;       /* literal type (or cast target)              */
	long long   ival;     /* KT_BOOL/KT_INT                             */
	double      dval;     /* KT_DOUBLE/KT_DECIMAL                       */
	const char *s;        /* text: string value (unescaped), property  */
	size_t      n;        /*   name, date/time text (normalised)        */
	/* tree */
	kq_node    *a, *b;
	kq_node   **args;
	int         nargs;
	/* filled by resolve */
	kq_type     type;
	int         col;      /* scope column for N_PROP                    */
};

/* Parser state: one option's text, the current token, limits. */
typedef struct kq_parser {
	ku_arena   *arena;
	const char *src;
	size_t      len;
	kq_tok      tok;        /* current token                            */
	int         depth, max_depth;
	int         nodes, max_nodes;
	kueri_err  *err;
} kq_parser;

void kq_parser_init(kq_parser *p, ku_arena *a, const char *src, size_t len,
                    int max_depth, int max_nodes, kueri_err *err);
/* Advance to the next token; -1 on a lexical error. */
int  kq_next(kq_parser *p);
/* 1 if the current token is identifier `kw` (case-insensitive). */
int  kq_is_kw(const kq_parser *p, const char *kw);

/* commonExpr; leaves the parser on the token after it. */
kq_node *kq_parse_expr(kq_parser *p);
/* A whole boolean/common expression option: expr then EOF. */
kq_node *kq_parse_full(kq_parser *p);

typedef struct kq_orderkey { kq_node *e; int desc; } kq_orderkey;
typedef struct kq_compute  { kq_node *e; const char *name; size_t n;
                             size_t pos; } kq_compute;
typedef struct kq_selitem  { const char *name; size_t n; size_t pos;
                             int star; } kq_selitem;

/* Comma lists; return count (≥ 1) or -1.  The stop token ends the list
 * (TK_EOF for a whole option, TK_RPAREN inside $apply). */
int kq_parse_orderby(kq_parser *p, kq_orderkey **out, kq_tokt stop);
int kq_parse_compute(kq_parser *p, kq_compute **out, kq_tokt stop);
int kq_parse_select(kq_parser *p, kq_selitem **out);

/* parse.c's token helpers, shared with parse_apply.c: token text is kw
 * (not case); a syntax error "msg at position N" / "expected what at
 * position N, found X" (both return NULL); the current token must be t
 * (then advance); grow an arena array of n elements of sz by 8 when n
 * is a multiple of 8 (NULL out of memory); a list of names ('*' too
 * when allow_star) up to the stop token. */
int   kq_tokeq(const kq_tok *t, const char *kw);
void *kq_perr(kq_parser *p, kueri_code code, size_t pos, const char *msg);
void *kq_expected(kq_parser *p, const char *what);
int   kq_expect(kq_parser *p, kq_tokt t);
void *kq_grow(kq_parser *p, void *old, int n, size_t sz);
int   kq_namelist(kq_parser *p, kq_selitem **out, kq_tokt stop,
                  int allow_star);

/* S-expression dump of a tree, for tests: (eq provinsi 'Bali'). */
void kq_node_dump(const kq_node *n, ku_buf *b);
const char *kq_op_name(kq_op op);

/* ---------------------------------------------------------------- $apply */

typedef enum kq_trk {
	TR_AGGREGATE = 0, TR_GROUPBY, TR_FILTER, TR_ORDERBY, TR_TOP, TR_SKIP,
	TR_SEARCH, TR_COMPUTE, TR_IDENTITY
} kq_trk;

typedef enum kq_aggm {
	AG_SUM = 0, AG_MIN, AG_MAX, AG_AVERAGE, AG_COUNTDISTINCT, AG_COUNT
} kq_aggm;

typedef struct kq_agg {
	kq_node    *e;        /* NULL for $count                           */
	kq_aggm     method;
	const char *alias; size_t alias_n; size_t pos;
} kq_agg;

typedef struct kq_trans kq_trans;
struct kq_trans {
	kq_trk       kind;
	size_t       pos;
	kq_node     *e;                  /* filter                          */
	kq_agg      *aggs;  int naggs;   /* aggregate / groupby's aggregate */
	kq_selitem  *group; int ngroup;  /* groupby properties              */
	kq_orderkey *keys;  int nkeys;   /* orderby                         */
	kq_compute  *comp;  int ncomp;   /* compute                         */
	long long    count;              /* top / skip                      */
	const char  *search; size_t search_n; /* search text (slice)        */
	size_t       search_pos;
	kq_search   *sq;                 /* search: parsed (parse stage)    */
	kq_scope    *in;                 /* resolve: the scope its
	                                    expressions see              */
	kq_scope    *out;                /* resolve: the scope after it     */
};

/* The whole $apply option: transformations separated by '/'. */
int kq_parse_apply(kq_parser *p, kq_trans **out);

typedef struct kq_parse kq_parse;
typedef struct kq_query kq_query;

/*
 * apply.c: the resolved transformations of q->apply (resolve_query.c
 * recorded each one's scopes, t->in → t->out) as one FROM source in
 * `from` (a parenthesised SELECT), binds in pc->binds; 0 or -1 (out of
 * memory).
 */
int kq_apply_codegen(kq_parse *pc, const kq_query *q, ku_buf *from);

/* ---------------------------------------------------------------- $search */

/*
 * $search in two halves.  kq_search_parse: the text → its tree (arena),
 * or NULL + err (400, positions in the text).  kq_search_emit: the tree
 * → a boolean SQL expression over `rowid_expr` of the set's data, using
 * FTS5 MATCH subqueries on `fts` whose query strings (every term
 * double-quoted) are appended to `binds`; 0 or -1 (out of memory).
 */
kq_search *kq_search_parse(ku_arena *a, const char *text, size_t len,
                           int max_nodes, kueri_err *err);
int kq_search_emit(ku_arena *a, const kq_search *t, const char *fts,
                   const char *rowid_expr, ku_buf *sql, kq_binds *binds,
                   kueri_err *err);

/* ---------------------------------------------------------------- resolve */

/* A column visible to expressions: a base field, a $compute alias or an
 * $apply alias.  `sql` is how SQL refers to it in the current layer. */
typedef struct kq_col {
	const char *name;
	kq_type     type;
	int         field;    /* base field index, or -1                   */
	int         decimal;  /* Edm.Decimal number                        */
	char        sql[16];  /* "c3", "x1"                                 */
	kq_node    *expr;     /* $compute expression when inlined, or NULL */
	int         computed; /* from $compute: not in $metadata          */
} kq_col;

struct kq_scope {
	kq_col *cols;
	int     ncols, cap;
	int     has_rowid;    /* rowid still reachable (no aggregation yet) */
};

int kq_scope_add(ku_arena *a, kq_scope *s, const kq_col *c);
int kq_scope_find(const kq_scope *s, const char *name, size_t n);

/* Bind names and check types of `n` against scope.  `want_bool` for
 * $filter.  Errors carry the node position.  Returns 0 or -1. */
int kq_resolve(kq_node *n, const kq_scope *s, int want_bool,
               kueri_err *err);
/* The same, naming the option (`opt`, e.g. "$orderby") in messages. */
int kq_resolve_opt(kq_node *n, const kq_scope *s, int want_bool,
                   const char *opt, kueri_err *err);
/* The error for an unknown name, with "did you mean" when one is close. */
int kq_unknown_name(const kq_scope *s, const char *what, const char *name,
                    size_t n, size_t pos, const char *opt, kueri_err *err);

/* ---------------------------------------------------------------- sql */

typedef enum { KB_NULL, KB_INT, KB_DOUBLE, KB_TEXT } kq_bindt;
typedef struct kq_bind {
	kq_bindt    t;
	long long   i;
	double      d;
	const char *s; size_t n;  /* arena or static                        */
	int         owned;        /* s is malloc'd: kq_binds_free frees it */
} kq_bind;

struct kq_binds {
	kq_bind *v;
	int      n, cap;
	int      oom;
	int      now;   /* a value is the request's time (now()): the answer
	                 * changes with the clock, so it has no validator */
};
int kq_binds_add(kq_binds *b, const kq_bind *v);
void kq_binds_free(kq_binds *b);
int kq_binds_apply(const kq_binds *b, sqlite3_stmt *st);

/*
 * Append SQL for a resolved expression.  `boolctx`: the value is used
 * only as a row filter (null ≡ false), which allows sargable forms.
 */
int kq_sql_expr(const kq_node *n, const kq_scope *s, int boolctx,
                ku_buf *sql, kq_binds *binds, kueri_err *err);

/* Sort-key SQL for an $orderby expression (instants via julianday). */
int kq_sql_sortkey(const kq_node *n, const kq_scope *s, ku_buf *sql,
                   kq_binds *binds, kueri_err *err);

/* ---------------------------------------------------------------- funcs */

/* Compile-check a matchesPattern regex; -1 with a message in buf. */
int kq_regex_check(const char *pat, size_t n, char *buf, size_t len);

/* Register kq_* SQL functions on db (idempotent per connection). */
int kq_funcs_register(sqlite3 *db);
/* The authorizer: only SELECT, reads of the set's tables, allow-listed
 * functions.  ctx is a kq_authctx. */
typedef struct kq_authctx {
	const char *table;    /* "t12" */
	const char *fts;      /* "t12_fts" or "" */
	int         denied;   /* set when something was refused */
	int         debug;    /* log refusals to stderr (kq_limits.debug_sql) */
} kq_authctx;
int kq_authorizer(void *ctx, int action, const char *a3, const char *a4,
                  const char *a5, const char *a6);

/* ---------------------------------------------------------------- paging */

/* page.c.  The page size a Prefer header asks for, or -1; *prefixed
 * (may be NULL) is 1 when it was spelled odata.maxpagesize. */
long long kq_prefer_maxpagesize(const char *prefer, int *prefixed);
/* A $skiptoken for the row st holds: its nkeys sort keys + rowid are
 * columns first.. (or, with offset_mode, `offset` rows were written); in
 * the arena, NULL out of memory. */
char *kq_page_token(ku_arena *ar, sqlite3_stmt *st, int first, int nkeys,
                    int offset_mode, long long offset, const kp_set *set,
                    unsigned long long qhash);
/* The token t[0..n) decoded: a JSON object made on this table and
 * version of `set` whose "h" matches qhash (the caller json_decref()s
 * it), or NULL: with err untouched when the token is invalid, with err
 * KUERI_EBEHIND (token newer than the set here) or KUERI_EGONE (older)
 * when it was made on another version. */
struct json_t;
struct json_t *kq_page_token_decode(ku_arena *ar, const char *t, size_t n,
                                    const kp_set *set,
                                    unsigned long long qhash,
                                    kueri_err *err);
/* The nextLink: root + rawpath + every option of o but $skip, $top and
 * $skiptoken, then $top=top_left (when >= 0) and $skiptoken=token. */
void kq_page_next_link(ku_buf *b, const char *root, const char *rawpath,
                       const kq_options *o, const char *token,
                       long long top_left);

/* ---------------------------------------------------------------- conn */

/* conn.c: per-connection state in the portal's aux slot (statement
 * cache, authorizer trampoline, function registration).
 * kq_conn_hook puts `auth` in force for p's connection and returns the
 * mode to hand to kq_conn_unhook / kq_conn_prepare (auth must live until
 * kq_conn_unhook).  kq_conn_prepare registers our functions on first use
 * and prepares sql under the authorizer; returns a SQLite result code.
 * kq_conn_take takes a cached statement for sql (its heap text in
 * *sqlp) or returns NULL; kq_conn_put gives one back (sql and st owned
 * by the cache from then on). */
int  kq_conn_hook(kportal *p, kq_authctx *auth);
void kq_conn_unhook(kportal *p, int mode);
int  kq_conn_prepare(kportal *p, int mode, const char *sql,
                     sqlite3_stmt **st);
sqlite3_stmt *kq_conn_take(kportal *p, const char *sql, char **sqlp);
void kq_conn_put(kportal *p, char *sql, sqlite3_stmt *st);

/* ---------------------------------------------------------------- writers */

/* Output column: its name (JSON member / CSV header) and type. */
typedef struct kq_outcol {
	const char *name;
	kq_type     type;
	int         decimal;
	size_t      jlen;       /* length of the answer's outname[i]     */
} kq_outcol;

/* JSON string with escapes (and invalid UTF-8 replaced by U+FFFD). */
void kq_json_str(ku_buf *b, const char *s, size_t n);
/* One column value of the current row as JSON (or CSV text). */
void kq_json_value(ku_buf *b, sqlite3_stmt *st, int i, const kq_outcol *c,
                   int ieee754);
void kq_csv_value(ku_buf *b, sqlite3_stmt *st, int i, const kq_outcol *c);

/* ---------------------------------------------------------------- the query tree */

/*
 * One parse context per request (after SQLite's Parse): what every stage
 * reads and writes, torn down once by kq_parse_free.  Borrowed: set
 * (from the portal, which outlives the request).  Owned: the arena
 * (every node, name and string of the request) and binds.
 */
struct kq_parse {
	ku_arena       arena;
	const kp_set  *set;
	const char    *setname;   /* the set's OData name, as requested     */
	kq_scope       scope;     /* resolve: what the options see (base
	                             fields, $apply's output, $compute)     */
	kq_binds       binds;     /* codegen: values of the statement's ?N  */
	kq_limits      lim;
	kueri_err      err;       /* the first error, with its position     */
};

void kq_parse_free(kq_parse *pc);
/* Name the option an error is about (err->target) and say so in the
 * message ("... in $filter"); returns -1. */
int  kq_opt_err(kq_parse *pc, int id);
/* pc->err = out of memory; returns -1. */
int  kq_oom(kq_parse *pc);

typedef enum kq_qkind { KQ_Q_COLLECTION, KQ_Q_ENTITY, KQ_Q_COUNT } kq_qkind;

/* One key of an entity's key predicate: name=value, or a bare value. */
typedef struct kq_keyitem {
	const char *name;     /* NULL for a bare value                       */
	size_t      n, pos;   /* the name's length and position             */
	kq_node    *lit;      /* the value (a non-null literal)             */
	kq_node    *eq;       /* resolve: key property eq value             */
} kq_keyitem;

/*
 * The query tree: every option of one request.  tree.c fills the parse
 * half from the options (kq_query_parse), resolve_query.c the resolve
 * half (kq_query_resolve), and codegen.c turns the whole tree into one
 * statement.  Everything in the arena of the request's kq_parse, except
 * the decoded $skiptoken (kq_query_free).
 */
struct kq_query {
	kq_qkind     kind;
	/* parse stage: each option as written, NULL / 0 / -1 when absent */
	long long    top, skip;
	int          count;                  /* $count=true                 */
	kq_trans    *apply;    int napply;
	kq_compute  *compute;  int ncompute;
	kq_node     *filter;
	int          has_search;             /* $search present             */
	kq_search   *search;                 /*   parsed (NULL on a set with
	                                         no text to search)          */
	kq_selitem  *select;   int nselect;
	kq_orderkey *orderby;  int norderby;
	struct json_t *token;                /* $skiptoken, decoded          */
	kq_keyitem  *key;      int nkey;     /* entity: the key predicate   */
	unsigned long long qhash;            /* what a $skiptoken must match */
	/* resolve stage */
	const char  *rowid;      /* "rowid", "r_", NULL after aggregation   */
	kq_orderkey *order;    int norder;   /* $orderby, else a trailing
	                                         orderby() of $apply         */
	int         *out;      int nout;     /* output columns: pc->scope
	                                         indexes, in order           */
	int          keys[16]; int nkeys;    /* entity: the set's key        */
};

/* tree.c: parse every option of o (and an entity's key predicate
 * pred[0..npred)) into q; 0 or -1 + pc->err. */
int  kq_query_parse(kq_parse *pc, const kq_options *o, kq_qkind kind,
                    const char *pred, size_t npred, kq_query *q);
void kq_query_free(kq_query *q);
/* resolve_query.c: resolve the whole tree in one pass (each expression
 * through resolve.c); 0 or -1 + pc->err. */
int  kq_query_resolve(kq_parse *pc, kq_query *q);

/* types.c: a duration literal's text, ISO 8601 with years, months and
 * weeks as Table Schema has it (see types.c). */
int kq_duration_ok(const char *s, size_t n);

/* Levenshtein distance of two names (999 past 128 bytes); resolve.c. */
size_t kq_editdist(const char *a, size_t an, const char *b, size_t bn);

/* ---------------------------------------------------------------- hints */

/*
 * hint.c.  kq_hint fills err->excerpt/caret from the option text t[0..n)
 * that err->pos indexes and, unless err->hint is set, a hint for the slip
 * found there.  kq_hint_opt does it for the option err->target names.
 * kq_unknown_set sets the 404 for an unknown entity set name, with "did
 * you mean" among the published sets; returns -1.
 */
void kq_hint(kueri_err *err, const char *t, size_t n);
void kq_hint_opt(kueri_err *err, const kq_options *o);
int  kq_unknown_set(kportal *p, const char *name, kueri_err *err);

/* ---------------------------------------------------------------- accept */

/*
 * accept.c: the index of the offer (media types like "text/plain") that
 * `accept` admits with the highest quality (ties: offer order), or -1
 * when it admits none.  A NULL or empty accept admits offers[0].  With
 * params non-NULL, [*params, *pend) are the winning range's parameters
 * (";odata.metadata=none;q=1") or NULL.
 */
int kq_accept_pick(const char *accept, const char *const *offers,
                   int noffers, const char **params, const char **pend);

#endif /* KUERI_KQ_INT_H */
