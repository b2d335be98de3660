/*
 * service.h -- the FastCGI service (fcgi/): `kueri serve` and the HTTP
 * routing behind it.  Private to fcgi/ and cli/cmd_serve.c.
 *
 *   http.c   one request: CGI-style params in, "Status:"/headers/body out
 *            through a kueri_sink.  Knows HTTP (routes, CORS, caching,
 *            conditional requests); knows nothing of sockets or libfcgi,
 *            so tests can drive it with a table of params.
 *   record.c FastCGI records in and out (record.h), with caps and
 *            deadlines: kueri's own, libfcgi is not used.
 *   serve.c  the process model: listening socket, pre-forked workers,
 *            demotion of expensive requests, reopening a replaced portal,
 *            replacement of crashed workers, drain on SIGTERM, one log
 *            line per request.
 */
#ifndef KUERI_SERVICE_H
#define KUERI_SERVICE_H

#include "kueri.h"
#include "portal.h"
#include "query.h"

typedef struct ks_conf {
	const char *db;          /* portal path                              */
	const char *socket_path; /* unix socket to create, or NULL           */
	const char *listen;      /* "HOST:PORT" to bind, or NULL             */
	int         workers;     /* ≥ 1                                      */
	int         max_age;     /* Cache-Control max-age for 200/304 (s)    */
	const char *root;        /* OData service root path, "/odata/"       */
	int         io_timeout;  /* s: reading a request's params, writing  */
	int         drain;       /* s: SIGTERM waits this long for workers   */
	kq_limits   lim;         /* handed to kq_prepare                     */
	int         read_timeout; /* s: a whole request (records in) by then  */
	int         heavy_ms;    /* CPU ms after which a request is demoted  */
	int         max_heavy;   /* expensive first steps at once (the rest
	                            503 at once); 0: no limit               */
	const char *trust_proxy; /* "ADDR[,ADDR]": peers (REMOTE_ADDR) whose
	                            X-Forwarded-Proto/-Host are believed for
	                            @odata.context and nextLink; NULL: none */
} ks_conf;

/* Defaults: workers = 4 per online CPU (at least 8), max_age 0, root
 * "/odata/", io_timeout 30, read_timeout 3, heavy_ms 20, max_heavy = the
 * online CPUs, drain 30, kq_limits_default limits. */
void ks_conf_default(ks_conf *c);

/* What one request did, for the log line. */
typedef struct kh_stats {
	char      method[12];
	char      path[160];   /* the path only (no query string), printable */
	int       status;
	long long rows;
	long long bytes;       /* body bytes written                          */
	int       broken;      /* the query failed after the head went out:
	                          the answer is cut short, and the connection
	                          must end with a broken record, not
	                          END_REQUEST, so the web server fails it
	                          (serve.c, kr_abort)                       */
} kh_stats;

/* A CGI parameter by name ("REQUEST_URI", "HTTP_HOST"), or NULL.  For a
 * POST, kh_handle also asks for name NULL: the request body as a
 * NUL-terminated string, or NULL (a function with no body returns NULL). */
typedef const char *(*kh_param_fn)(void *ctx, const char *name);

/*
 * Answer one request: read params through `param`, write the CGI
 * response ("Status: ..." header lines, blank line, body) to `out`.
 * The portal must be refreshed by the caller.  Returns 0, or -1 when the
 * client went away mid-answer.  `st` is filled either way.
 */
int kh_handle(kportal *p, const ks_conf *c, kh_param_fn param, void *pctx,
              const kueri_sink *out, kh_stats *st);

/* watch.c: start watching every directory on `path` for a create,
 * delete or rename (dnotify; SIGIO gets a handler).  1 when watching, 0
 * when the path or its directories cannot be watched (then kw_moved is
 * always 1).  Once per worker, before the portal is first opened. */
int kw_watch(const char *path);
/* 1 when the path may name another file since the last call (or nothing
 * is watched): stat() it.  0: no directory on the path changed. */
int kw_moved(void);

/* Run the service until SIGTERM/SIGINT.  Returns the exit status. */
int ks_serve(const ks_conf *c);

#endif /* KUERI_SERVICE_H */
