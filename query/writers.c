/*
 * writers.c -- the table of output formats (kq_writer.h).  Adding a
 * format is one row here and one file with its kq_writer.
 */
#include <string.h>
#include <strings.h>

#include "kq_writer.h"

static const kq_writer *const writers[] = {
	&kq_writer_json,     /* first: the default (and any-type Accept) */
	&kq_writer_csv,
	&kq_writer_html,     /* $format=html; Accept text/html (a browser) */
	&kq_writer_geojson,  /* $format=geojson; application/geo+json      */
};
#define NWRITERS (sizeof writers / sizeof writers[0])

const kq_writer *
kq_writer_default(void)
{
	return writers[0];
}

const kq_writer *
kq_writer_find(const char *t, size_t n, int from_accept)
{
	size_t i;

	while (n && t[n - 1] == ' ')
		n--;
	while (n && *t == ' ') {
		t++;
		n--;
	}
	for (i = 0; i < NWRITERS; i++) {
		const kq_writer *w = writers[i];

		if ((n == strlen(w->format) && strncasecmp(t, w->format, n) == 0) ||
		    (n == strlen(w->media) && strncasecmp(t, w->media, n) == 0))
			return w;
	}
	if (!from_accept)
		return NULL;
	if (n == 3 && memcmp(t, "*/*", 3) == 0)
		return writers[0];
	for (i = 0; i < NWRITERS; i++) {
		const char *wc = writers[i]->wildcard;

		if (wc && n == strlen(wc) && strncasecmp(t, wc, n) == 0)
			return writers[i];
	}
	return NULL;
}

/* The i-th writer of the table (0 is the default), or NULL past the end:
 * content negotiation offers their media types in this order. */
const kq_writer *
kq_writer_at(int i)
{
	return i >= 0 && (size_t)i < NWRITERS ? writers[i] : NULL;
}
