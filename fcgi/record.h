/*
 * record.h -- kueri's own FastCGI record layer (fcgi/record.c), in place
 * of libfcgi's.  Private to fcgi/ and its tests.
 *
 * One connection carries one request (FastCGI 1.0, Responder role only):
 * kr_read reads BEGIN_REQUEST, PARAMS up to the empty record and STDIN up
 * to the empty record, with a cap on every length and one deadline for the
 * whole request; kr_write streams STDOUT records; kr_finish ends the
 * request (END_REQUEST) and closes.  Management records (GET_VALUES) are
 * answered, unknown record types get UNKNOWN_TYPE, a second request on the
 * same connection gets CANT_MPX_CONN.  FCGI_KEEP_CONN is not honoured: the
 * connection is closed after every request, so an idle kept connection can
 * never hold a worker.
 */
#ifndef KUERI_RECORD_H
#define KUERI_RECORD_H

#include <stddef.h>

/* Caps.  Every length read from the peer is checked against one of these
 * (or against the bytes actually present) before it is used. */
#define KR_MAX_PARAMS   (256 * 1024) /* total PARAMS bytes of a request   */
#define KR_MAX_NPARAMS  512          /* name-value pairs                  */
#define KR_MAX_STDIN    (64 * 1024)  /* request body (kept: a CKAN POST)  */
#define KR_MAX_RECORDS  4096         /* records before the request is whole */

/* Why kr_read gave no request.  kr_strerror names each. */
enum kr_err {
	KR_OK,          /* a request is ready                               */
	KR_CLOSED,      /* the peer closed (or only sent management records) */
	KR_TIMEOUT,     /* the request was not whole by the deadline        */
	KR_IO,          /* read/write error                                 */
	KR_VERSION,     /* record version is not 1                          */
	KR_SEQUENCE,    /* a record that makes no sense here                */
	KR_TOOBIG,      /* PARAMS, STDIN or record count past its cap       */
	KR_PAIRS,       /* a name-value length runs past the PARAMS bytes   */
	KR_ROLE,        /* a role other than Responder (answered, then closed) */
	KR_ABORTED,     /* ABORT_REQUEST before the request was whole       */
	KR__MAX
};

const char *kr_strerror(enum kr_err e);

typedef struct kr_req {
	int            fd;         /* the connection (owned: kr_finish closes) */
	unsigned       id;         /* request id from BEGIN_REQUEST          */
	int            keep_conn;  /* the peer asked for FCGI_KEEP_CONN       */
	int            max_conns;  /* reported in GET_VALUES_RESULT          */
	int            io_ms;      /* a write that makes no progress this long fails */
	unsigned char *raw;        /* PARAMS bytes as received (owned)       */
	size_t         rawlen;
	char          *params;     /* "NAME\0VALUE\0"... (owned)             */
	char         **envp;       /* name, value, name, value... (owned)    */
	size_t         nparams;    /* pairs in envp                          */
	unsigned      *nkeys;      /* per pair, name_key (record.c) of its name (in
	                              envp's allocation: freed with it)      */
	unsigned short slot[64];   /* a hash of nkeys (record.c): pair index + 1,
	                              0 empty; used when nparams <= 32       */
	char          *body;       /* STDIN bytes + NUL, or NULL (owned)     */
	size_t         stdin_len;
	int            failed;     /* a write failed: drop further output    */
	int            aborted;    /* kr_abort: end with a broken record     */
	int            unix_peer;  /* AF_UNIX: kr_finish skips the half-close
	                              (set by the caller after kr_read)      */
	/* input buffer */
	unsigned char  in[8192];
	size_t         ipos, iend;
	/* output: one STDOUT record being filled (header + content) */
	unsigned char  out[8 + 32768];
	size_t         olen;       /* content bytes in out                   */
} kr_req;

/*
 * Read one request from `fd` (non-blocking or not; it is polled) until
 * `deadline_ms` on the CLOCK_MONOTONIC clock in ms.  `r` must be zeroed
 * before its first use; it is reset (earlier buffers freed) here;
 * `r` takes ownership of fd whatever the result (kr_finish or kr_close
 * releases it).  Returns KR_OK with r->envp filled, or the reason there is
 * no request.
 */
enum kr_err kr_read(kr_req *r, int fd, long long deadline_ms, int max_conns,
                    int io_ms);

/* A CGI parameter by name, or NULL: the kh_param_fn for http.c (ctx is
 * the kr_req).  A NULL name asks for the request body (STDIN, at most
 * KR_MAX_STDIN bytes, NUL-terminated), or NULL when there was none. */
const char *kr_param(void *ctx, const char *name);

/* The kueri_sink_fn for http.c (ctx is the kr_req): STDOUT records.
 * 0, or -1 once the peer is gone or stalled past io_ms. */
int kr_write(void *ctx, const char *buf, size_t len);

/* Flush, send the empty STDOUT and END_REQUEST, close, free.  0 or -1. */
int kr_finish(kr_req *r);
/* The answer was cut short (its query failed after the head went out):
 * drop what is still buffered, and let kr_finish end the connection with
 * an invalid record instead of the empty STDOUT and END_REQUEST, so the
 * web server fails the answer (nginx: "upstream sent unsupported FastCGI
 * protocol version"; the client's transfer does not end cleanly) instead
 * of passing a truncated body off as whole.  FastCGI has no abort, and a
 * close without END_REQUEST is not enough: nginx, buffering, ends the
 * client's answer as if it were complete. */
void kr_abort(kr_req *r);

/* Close and free without answering (after kr_read failed). */
void kr_close(kr_req *r);

/* Parse PARAMS bytes into r->params/r->envp (replacing any earlier):
 * exported for tests and the fuzzer.  KR_OK, KR_PAIRS (a length past
 * the bytes present, or a NUL inside a name or value) or KR_TOOBIG (too
 * many pairs).  Borrows p. */
enum kr_err kr_parse_pairs(kr_req *r, const unsigned char *p, size_t n);

/* Monotonic clock in ms. */
long long kr_now_ms(void);

#endif /* KUERI_RECORD_H */
