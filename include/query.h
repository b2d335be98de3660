/*
 * query.h -- the query engine: an OData request (resource path + query
 * string + the few headers that matter) in, an HTTP status, headers and a
 * streamed body out.  `kueri query` and the FastCGI service both call this:
 * one code path.  The engine knows nothing of HTTP transport; the caller
 * writes headers from kq_head and then calls kq_stream.
 *
 * Pipeline (one file per stage under query/):
 *   route.c    request → route, status, headers, error body (kq_route)
 *   exec.c     the driver (kq_prepare / kq_stream)
 *   options.c  raw query string → options (split on & and =, decode once)
 *   lex.c      option text → tokens (slices of the text)
 *   tree.c     parse stage: every option into one query tree (lex.c,
 *              parse.c, parse_apply.c, search.c), with depth and node
 *              limits; functab.c functions
 *   resolve_query.c  resolve stage: the whole tree against the set's
 *              schema in one pass (resolve.c for each expression)
 *   codegen.c  codegen stage: the whole statement + bound values (sql.c
 *              expressions, apply.c, search.c, page.c skiptokens)
 *   conn.c     prepared on the portal connection, run under a time budget
 *   json.c / csv.c  rows → OData JSON / CSV (kq_writer) through a sink
 *   metadata.c service document and $metadata (CSDL XML and JSON)
 */
#ifndef KUERI_QUERY_H
#define KUERI_QUERY_H

#include "kueri.h"
#include "portal.h"

struct kq_head;

typedef struct kq_request {
	const char *path;         /* resource path after the service root, raw
	                             (still percent-encoded), no leading '/':
	                             "", "$metadata", "villages",
	                             "villages/$count", "villages('x')"       */
	const char *query;        /* raw query string after '?', or NULL     */
	const char *service_root; /* absolute URL of the service root, ending
	                             in '/' ("http://h:8080/odata/"); used for
	                             @odata.context and nextLink.  "" in CLI  */
	const char *accept;       /* Accept header, or NULL                  */
	const char *prefer;       /* Prefer header, or NULL                  */
	const char *format;       /* forced format ("json"/"csv"), or NULL   */
	int         head_only;    /* HEAD: prepare everything, stream nothing */
	const char *root_path;    /* service root path ("/odata/"), or NULL  */
	const void *extra;        /* writer input the route computed (HTML:
	                             the facets, kq_pageinfo), or NULL          */
	/* Asked once the 200's validators (ETag, Last-Modified) are known and
	 * before the query runs: nonzero when the client already holds that
	 * answer.  The answer is then a 304 whose query never ran.  NULL: never
	 * asked.  Answers without an ETag (now()) are never asked. */
	int       (*held)(void *ctx, const struct kq_head *head);
	void       *held_ctx;
} kq_request;

typedef struct kq_limits {
	long long max_page;       /* server page size cap (default 1000)      */
	long long export_cap;     /* max rows in a CSV export (default 1e6)   */
	int       time_ms;        /* query time budget (default 1000)         */
	int       max_nodes;      /* expression nodes (default 100)           */
	int       max_depth;      /* expression nesting (default 32)          */
	size_t    max_query_len;  /* bytes of query string (default 8192)     */
	int       debug_sql;      /* write SQL text and authorizer refusals
	                             to stderr (default 0; `kueri query`
	                             sets it from KUERI_DEBUG_SQL)           */
	/* Admission of expensive queries (kueri serve, fcgi/serve.c); NULL:
	 * none.  `key` names the answer (its ETag's hash; 0: none).  Before
	 * the query's first step -- the sort or the aggregation, before any
	 * byte is sent -- the engine asks admit(key, 0): -1 when the same
	 * answer is being computed by an expensive query right now (its
	 * answer will be in the web server's cache), and again at every
	 * progress call of that step until it has a place.  Once *heavy is set
	 * during that step (the request has used enough CPU to be demoted)
	 * it asks admit(key, 1) for a place: -1 when all max_heavy are
	 * taken, -2 when another query holds one for the same key (a herd
	 * of one URL all passed the first question).  Any of these stops
	 * the query with KUERI_EBUSY (503, Retry-After: 1); after a 0 from
	 * the second, admit_done() is called when the step ends.  A stream
	 * already under way is never stopped. */
	const volatile int *heavy;
	int       (*admit)(unsigned long long key, int claim);
	void      (*admit_done)(void);
	int         max_heavy;
} kq_limits;

/* The defaults above. */
void kq_limits_default(kq_limits *lim);

typedef struct kq_head {
	int       status;              /* 200, 400, 404, 501, ...             */
	char      content_type[96];    /* full header value                   */
	char      preference_applied[64]; /* "" when none                     */
	char      filename[96];        /* CSV download name or ""             */
	char      etag[96];            /* strong ETag incl. quotes, or ""     */
	long long last_modified;       /* unix seconds, 0 when unknown        */
	int       retry_after;         /* seconds for Retry-After, 0: none    */
} kq_head;

typedef struct kq_answer kq_answer;

/*
 * Parse, check, compile and start the query.  Never returns NULL except
 * when out of memory: errors become an answer whose status is 4xx/5xx and
 * whose body is the OData error JSON.  The first row is stepped before
 * returning, so a time-budget failure during sorting or aggregation is
 * still a clean error answer -- unless req->held says the client holds
 * the answer: then the status is 304, nothing ran and there is no body.
 * `lim` may be NULL for defaults.  The portal must outlive the answer.
 * Caller frees with kq_free().
 */
kq_answer *kq_prepare(kportal *p, const kq_request *req,
                      const kq_limits *lim);

/* Status and headers (borrowed from the answer). */
const kq_head *kq_answer_head(const kq_answer *a);

/*
 * Stream the body to `sink`, row by row.  Returns 0, or -1 if the sink
 * failed or the query failed mid-stream (the body is then truncated).
 * Rows written are counted in *nrows if not NULL.
 */
int kq_stream(kq_answer *a, const kueri_sink *sink, long long *nrows);
/* After kq_stream returned -1: the query's own error (a time budget, a
 * zero divisor met in a row, ...), or NULL when the sink failed. */
const kueri_err *kq_stream_error(const kq_answer *a);

void kq_free(kq_answer *a);

/*
 * Write an OData error body {"error":{"code","message","target",...}} for
 * `err`.  Used by the engine and by the service for its own errors.
 */
int kq_write_error(const kueri_sink *sink, const kueri_err *err);

/* Service document and $metadata (query/metadata.c).  A NULL
 * service_root writes no @odata.context (odata.metadata=none). */
int kq_service_document(kportal *p, const char *service_root,
                        const kueri_sink *sink);
int kq_metadata_xml(kportal *p, const kueri_sink *sink);
int kq_metadata_json(kportal *p, const kueri_sink *sink);

/*
 * OData names (query/metadata.c, over portal/names.c's rule).  The portal
 * already gives fields their OData names at load; these also map set
 * names and serve callers that hold published names, so that what
 * $metadata says is what the payload carries.
 */
#define KQ_NAME_MAX KP_NAME_MAX
typedef struct kq_name { char s[KQ_NAME_MAX]; } kq_name;

/* The OData names of s's fields / of every set in portal_set_at order:
 * a new array (caller free()s), NULL when out of memory. */
kq_name *kq_field_names(const kp_set *s);
kq_name *kq_set_names(kportal *p);

/* Inverse lookups: the set, or NULL; the field index, or -1. */
const kp_set *kq_set_by_odata_name(kportal *p, const char *name);
int kq_field_by_odata_name(const kp_set *s, const char *name);

/*
 * The key $metadata declares for s (field indexes into keys[], at most
 * max; returns the count): the package's primary key; else the synthetic
 * row key "_row" (index s->nfields, see kq_row_key), because no other
 * column is known to be unique.  Only when a field is itself named
 * "_row" (no room for the synthetic one): the first non-nullable
 * key-able field, else the first key-able field.
 */
int kq_set_key(const kp_set *s, int *keys, int max);
/* 1 if s is served with the synthetic key "_row": its row number in the
 * published CSV (SQLite rowid), stable for a published version. */
int kq_row_key(const kp_set *s);
#define KQ_ROW_NAME "_row"

/*
 * Routing (query/route.c): one HTTP-shaped request in, every decision
 * about the answer out -- route, status, Content-Type, ETag, caching,
 * extra headers and the error body.  The FastCGI service and
 * `kueri query` both call it, so they answer alike byte for byte.
 */
typedef struct kq_route_req {
	const char *method;       /* "GET", "HEAD", "OPTIONS", ...; NULL GET */
	const char *path;         /* raw path from the host root, still
	                             percent-encoded, no query string:
	                             "/odata/villages", "/catalog/x"        */
	const char *query;        /* raw query string after '?', or NULL     */
	const char *root;         /* service root path, "/odata/" (NULL too) */
	const char *root_url;     /* absolute service root for @odata.context,
	                             nextLink and the ETag, or ""           */
	const char *accept;       /* Accept header, or NULL                  */
	const char *prefer;       /* Prefer header, or NULL                  */
	const char *format;       /* forced format ("json"/"csv"), or NULL   */
	const char *if_none_match;     /* conditional headers, or NULL       */
	const char *if_modified_since;
	/* A shared cache in front revalidating the copy it holds (nginx:
	 * $upstream_cache_etag, $upstream_cache_last_modified), or NULL.
	 * When set they decide the 304 in place of the client's conditionals,
	 * and the 304 is marked `renew`. */
	const char *cache_etag;
	const char *cache_last_modified;
	int         max_age;      /* Cache-Control max-age of cacheable 200s */
	const kq_limits *lim;     /* NULL: defaults                          */
	const char *odata_version;     /* OData-Version header, or NULL      */
	const char *odata_maxversion;  /* OData-MaxVersion header, or NULL   */
	const char *body;         /* POST body, NUL-terminated, or NULL: only
	                             CKAN actions (api/3/action/NAME) take
	                             POST, as CKAN's clients send it        */
	const char *content_type; /* Content-Type of the body, or NULL       */
} kq_route_req;

typedef struct kq_resp_head {
	int       status;
	char      content_type[96];  /* "" for none (204, 304)                */
	char      etag[96];          /* quoted strong ETag, or ""             */
	long long last_modified;     /* unix seconds, 0 none                  */
	char      cache[64];         /* Cache-Control value, or ""            */
	int       renew;             /* a 304 to a revalidating cache: the
	                                transport gives it the cache's new
	                                lifetime, as a 200's (X-Accel-Expires) */
	char      extra[512];        /* more header lines, each ending CRLF,
	                                all built by us (Allow, CORS
	                                preflight, Preference-Applied,
	                                Content-Disposition), or ""          */
} kq_resp_head;

typedef struct kq_resp kq_resp;

/* Route and prepare one request.  NULL only when out of memory.  The
 * request's strings and the portal must outlive the response.  Caller
 * frees with kq_resp_free(). */
kq_resp *kq_route(kportal *p, const kq_route_req *req);
/* Its status and headers (borrowed). */
const kq_resp_head *kq_resp_headers(const kq_resp *r);
/* Stream the body (nothing for HEAD, 204 and 304); 0 or -1 like
 * kq_stream; rows written in *nrows if not NULL. */
int kq_resp_stream(kq_resp *r, const kueri_sink *sink, long long *nrows);
/* After kq_resp_stream returned -1: the query's error, or NULL (the sink
 * failed, or the body has no query behind it).  A caller that has sent
 * nothing yet answers with it instead (kq_write_error). */
const kueri_err *kq_resp_error(const kq_resp *r);
void kq_resp_free(kq_resp *r);

#endif /* KUERI_QUERY_H */
