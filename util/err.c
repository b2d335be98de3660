/*
 * err.c -- the error value and the sink helpers declared in kueri.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kueri.h"

static const struct {
	const char *text;
	int         http;
} codes[KUERI__MAX] = {
	[KUERI_OK]         = { "success", 200 },
	[KUERI_EUSAGE]     = { "usage error", 400 },
	[KUERI_ENOMEM]     = { "out of memory", 500 },
	[KUERI_EIO]        = { "input/output error", 500 },
	[KUERI_ESYNTAX]    = { "syntax error", 400 },
	[KUERI_ETYPE]      = { "type error", 400 },
	[KUERI_EBADREQ]    = { "bad request", 400 },
	[KUERI_ELIMIT]     = { "limit exceeded", 400 },
	[KUERI_ENOTFOUND]  = { "not found", 404 },
	[KUERI_EMETHOD]    = { "method not allowed", 405 },
	[KUERI_ENOTACCEPT] = { "not acceptable", 406 },
	[KUERI_ETOOLONG]   = { "URI too long", 414 },
	[KUERI_ENOTIMPL]   = { "not implemented", 501 },
	[KUERI_ETIMEOUT]   = { "time budget exceeded", 503 },
	[KUERI_EINVALID]   = { "data is invalid", 400 },
	[KUERI_ESCHEMA]    = { "invalid data package", 400 },
	[KUERI_EPRIVATE]   = { "dataset is private", 400 },
	[KUERI_EDB]        = { "database error", 500 },
	[KUERI_EINTERNAL]  = { "internal error", 500 },
	[KUERI_EGONE]      = { "gone: restart from the first page", 410 },
	[KUERI_EBEHIND]    = { "this server is behind; retry", 503 },
	[KUERI_EBUSY]      = { "too many expensive queries; retry", 503 },
};

const char *
kueri_strerror(kueri_code code)
{
	if ((int)code < 0 || code >= KUERI__MAX)
		return "unknown error";
	return codes[code].text;
}

int
kueri_http_status(kueri_code code)
{
	if ((int)code < 0 || code >= KUERI__MAX)
		return 500;
	return codes[code].http;
}

void
kueri_err_clear(kueri_err *e)
{
	if (e == NULL)
		return;
	e->code = KUERI_OK;
	e->pos = e->row = e->field = -1;
	e->target[0] = '\0';
	e->msg[0] = '\0';
	e->hint[0] = '\0';
	e->excerpt[0] = '\0';
	e->caret = -1;
}

int
kueri_err_set(kueri_err *e, kueri_code code, long long pos,
              const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	e->pos = pos;
	e->hint[0] = '\0';
	e->excerpt[0] = '\0';
	e->caret = -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
kueri_err_hint(kueri_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(e->hint, sizeof(e->hint), fmt, ap);
	va_end(ap);
}

void
kueri_err_target(kueri_err *e, const char *target)
{
	if (e == NULL)
		return;
	snprintf(e->target, sizeof(e->target), "%s", target ? target : "");
}

int
kueri_sink_puts(const kueri_sink *s, const char *str)
{
	return s->write(s->ctx, str, strlen(str));
}

int
kueri_sink_printf(const kueri_sink *s, const char *fmt, ...)
{
	char    buf[512], *p = buf;
	va_list ap;
	int     n, rc;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf)) {
		/* Rare: long text.  Format again into a heap buffer. */
		if ((p = malloc((size_t)n + 1)) == NULL)
			return -1;
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	rc = s->write(s->ctx, p, (size_t)n);
	if (p != buf)
		free(p);
	return rc;
}

int
kueri_sink_file(void *ctx, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, (FILE *)ctx) == len ? 0 : -1;
}
