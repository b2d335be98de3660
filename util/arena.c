/*
 * arena.c -- the request arena and the growing byte buffer (kutil.h).
 * Every stage of the query engine allocates from one ku_arena per request
 * and frees it once (like SQLite's Parse object); SQL text, JSON and CSV
 * are built in ku_buf.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kutil.h"

/* ---------------------------------------------------------------- arena */

struct ku_chunk {
	ku_chunk *next;
	size_t    size;
	/* data follows, max-aligned */
};

#define KU_ALIGN 16
#define KU_CHUNK_HDR ((sizeof(ku_chunk) + KU_ALIGN - 1) & ~(size_t)(KU_ALIGN - 1))

void *
ku_alloc(ku_arena *a, size_t n)
{
	void *p;

	n = (n + KU_ALIGN - 1) & ~(size_t)(KU_ALIGN - 1);
	if (n == 0)
		n = KU_ALIGN;
	if (a->head == NULL || a->cap - a->used < n) {
		size_t    sz = n > 8192 ? n : 8192;
		ku_chunk *c;

		if (n > ((size_t)1 << 40))
			return NULL;
		if ((c = malloc(KU_CHUNK_HDR + sz)) == NULL)
			return NULL;
		c->next = a->head;
		c->size = sz;
		a->head = c;
		a->used = 0;
		a->cap = sz;
	}
	p = (char *)a->head + KU_CHUNK_HDR + a->used;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *
ku_strndup(ku_arena *a, const char *s, size_t n)
{
	char *d = ku_alloc(a, n + 1);

	if (d == NULL)
		return NULL;
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void
ku_arena_free(ku_arena *a)
{
	ku_chunk *c, *next;

	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->used = a->cap = 0;
}

/* ---------------------------------------------------------------- buffer */

void
ku_buf_add_slow(ku_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->cap - b->n < n + 1) {
		size_t cap = b->cap ? b->cap : 256;
		char  *ns;

		while (cap - b->n < n + 1)
			cap *= 2;
		if ((ns = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	if (n)
		memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

int
ku_buf_grow(ku_buf *b, size_t n)
{
	size_t cap;
	char  *ns;

	if (b->oom)
		return -1;
	if (b->cap - b->n > n)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap - b->n < n + 1)
		cap *= 2;
	if ((ns = realloc(b->s, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->s = ns;
	b->cap = cap;
	return 0;
}

void
ku_buf_printf(ku_buf *b, const char *fmt, ...)
{
	char    tmp[256];
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		ku_buf_add(b, tmp, (size_t)n);
		return;
	}
	ku_buf_add(b, "", 0);
	if (b->oom)
		return;
	{
		char *p = malloc((size_t)n + 1);

		if (p == NULL) {
			b->oom = 1;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
		ku_buf_add(b, p, (size_t)n);
		free(p);
	}
}

void
ku_buf_free(ku_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->n = b->cap = 0;
	b->oom = 0;
}

