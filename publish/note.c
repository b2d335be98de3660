/*
 * note.c -- the one way the publisher tells its operator something: a
 * formatted line handed to the caller's kv_note_fn (publish.h).  The
 * library itself never writes to a stream.
 */
#include <stdarg.h>
#include <stdio.h>

#include "pkgint.h"

void
kv_notef(const kv_opts *o, kv_note_kind kind, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (o == NULL || o->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	o->note(o->note_ctx, kind, line);
}
