/*
 * kueri.h -- the vocabulary every module shares: result codes, the one
 * error value, and the byte sink that writers stream through.
 *
 * An error is a value, not a side effect: functions that can fail take a
 * `kueri_err *` and fill it (no allocation on the error path, like
 * Jansson's json_error_t), and return -1 / NULL.  The code decides the
 * HTTP status in exactly one place (kueri_http_status), so no module
 * invents its own mapping.
 */
#ifndef KUERI_H
#define KUERI_H

#include <stddef.h>

#define KUERI_VERSION "0.1.0"

typedef enum kueri_code {
	KUERI_OK = 0,
	KUERI_EUSAGE,     /* bad command-line usage                    */
	KUERI_ENOMEM,     /* allocation failed                          */
	KUERI_EIO,        /* a file could not be read or written       */
	KUERI_ESYNTAX,    /* query text does not parse            → 400 */
	KUERI_ETYPE,      /* query parses but is ill-typed        → 400 */
	KUERI_EBADREQ,    /* other bad request (options, paging)  → 400 */
	KUERI_ELIMIT,     /* a named limit was exceeded           → 400 */
	KUERI_ENOTFOUND,  /* no such entity set or entity         → 404 */
	KUERI_EMETHOD,    /* HTTP method not allowed              → 405 */
	KUERI_ENOTACCEPT, /* format not available                 → 406 */
	KUERI_ETOOLONG,   /* URL too long                         → 414 */
	KUERI_ENOTIMPL,   /* valid OData we do not implement      → 501 */
	KUERI_ETIMEOUT,   /* query exceeded its time budget       → 503 */
	KUERI_EINVALID,   /* data failed verification                   */
	KUERI_ESCHEMA,    /* data package / schema is malformed         */
	KUERI_EPRIVATE,   /* refused: the dataset is private            */
	KUERI_EDB,        /* SQLite failed                        → 500 */
	KUERI_EINTERNAL,  /* a bug                                → 500 */
	KUERI_EGONE,      /* a $skiptoken from an older version   → 410 */
	KUERI_EBEHIND,    /* this server lags the $skiptoken's version → 503 */
	KUERI_EBUSY,      /* too many expensive queries at once   → 503 */
	KUERI__MAX
} kueri_code;

/*
 * One error value.  `pos` is a byte offset into the query option named by
 * `target` (e.g. "$filter"); `row`/`field` locate a CSV cell (header row
 * is 1, fields are 1-based).  Unknown parts are -1.
 */
typedef struct kueri_err {
	kueri_code code;
	long long  pos;
	long long  row;
	long long  field;
	char       target[32];
	char       msg[320];
	/* For a person fixing a query (query/hint.c): advice for a common
	 * slip ("use eq"), and the text around pos with pos's column, or
	 * "" / -1.  kueri_err_set clears both. */
	char       hint[160];
	char       excerpt[96];
	int        caret;
} kueri_err;

const char *kueri_strerror(kueri_code code);

/* The HTTP status for a code; 500 for codes that are not the client's fault. */
int kueri_http_status(kueri_code code);

/* Reset to "no error" (code KUERI_OK, positions -1, empty strings). */
void kueri_err_clear(kueri_err *e);

/*
 * Fill `e` (if not NULL) with `code`, position `pos` (or -1) and a
 * printf-style message.  Always returns -1 so callers can write
 * `return kueri_err_set(e, ...);`.  The message is truncated, never
 * allocated.
 */
int kueri_err_set(kueri_err *e, kueri_code code, long long pos,
                  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Set the hint (printf-style, truncated); keeps everything else. */
void kueri_err_hint(kueri_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Set the option or file the error is about (copied, truncated). */
void kueri_err_target(kueri_err *e, const char *target);

/*
 * A sink receives output bytes in order.  Returns 0 on success, -1 when the
 * consumer has gone away (client closed the connection): the writer stops.
 */
typedef int (*kueri_sink_fn)(void *ctx, const char *buf, size_t len);

typedef struct kueri_sink {
	kueri_sink_fn write;
	void         *ctx;
} kueri_sink;

/* Convenience: write a NUL-terminated string / printf-formatted text. */
int kueri_sink_puts(const kueri_sink *s, const char *str);
int kueri_sink_printf(const kueri_sink *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A sink that writes to a stdio FILE* (ctx is the FILE*). */
int kueri_sink_file(void *ctx, const char *buf, size_t len);

#endif /* KUERI_H */
