/*
 * kutil.h -- small helpers shared by the modules (util/): the request
 * arena and growing buffer (arena.c), number formatting (numfmt.c) and
 * ISO 8601 calendar/duration rules (iso8601.c).  No module state; no
 * dependency on any other kueri header, so anything may include it.
 */
#ifndef KUERI_KUTIL_H
#define KUERI_KUTIL_H

#include <stddef.h>
#include <string.h>

/* ---------------------------------------------------------------- arena */

typedef struct ku_chunk ku_chunk;
typedef struct ku_arena {
	ku_chunk *head;
	size_t    used;   /* bytes used in head */
	size_t    cap;    /* bytes available in head */
} ku_arena;

/* Zeroed memory that lives until ku_arena_free; NULL when out of memory. */
void *ku_alloc(ku_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n) in the arena. */
char *ku_strndup(ku_arena *a, const char *s, size_t n);
/* Frees every chunk; the arena is empty and reusable afterwards. */
void  ku_arena_free(ku_arena *a);

/* ---------------------------------------------------------------- buffer */

/* Growing byte buffer (heap, owned by the holder: free with ku_buf_free).
 * A zeroed ku_buf is empty and valid. */
typedef struct ku_buf {
	char  *s;
	size_t n, cap;
	int    oom;       /* sticky: an append failed */
} ku_buf;

/* Append s[0..n); keeps b->s NUL-terminated.  The common case (room
 * left) is inline: the JSON and CSV writers append several short pieces
 * per value, and a call per piece was a tenth of a page's cost. */
void ku_buf_add_slow(ku_buf *b, const char *s, size_t n);
static inline void
ku_buf_add(ku_buf *b, const char *s, size_t n)
{
	if (b->cap - b->n > n && !b->oom) {     /* cap 0 (no buffer): slow */
		if (n)
			memcpy(b->s + b->n, s, n);
		b->n += n;
		b->s[b->n] = '\0';
	} else
		ku_buf_add_slow(b, s, n);
}
static inline void
ku_buf_puts(ku_buf *b, const char *s)
{
	ku_buf_add(b, s, strlen(s));
}
/* Writes v in decimal at the end of buf[0..32) and returns where the
 * digits start (the caller copies tmp + 32 - ret bytes): printf's "%lld"
 * without vsnprintf, which costs ~1,000 instructions a call on a path
 * that runs per request (docs/bench.md). */
static inline char *
ku_fmt_lld(char buf[32], long long v)
{
	char              *e = buf + 32;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
	                             : (unsigned long long)v;

	do {
		*--e = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--e = '-';
	return e;
}
static inline void
ku_buf_lld(ku_buf *b, long long v)
{
	char  tmp[32];
	char *s = ku_fmt_lld(tmp, v);

	ku_buf_add(b, s, (size_t)(tmp + 32 - s));
}
/* Makes room for n more bytes (plus the NUL) so that the next appends up
 * to n bytes do not reallocate; 0, or -1 with b->oom set. */
int ku_buf_grow(ku_buf *b, size_t n);
static inline int
ku_buf_reserve(ku_buf *b, size_t n)
{
	if (b->cap - b->n > n && !b->oom)
		return 0;
	return ku_buf_grow(b, n);
}
void ku_buf_printf(ku_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ku_buf_free(ku_buf *b);
/* Appends s[0..n) as one RFC 4180 CSV field: quoted when it holds a
 * comma, quote, CR or LF or starts/ends with a space; quotes doubled
 * (csvfield.c).  The caller writes separators and the CRLF. */
void ku_csv_field(ku_buf *b, const char *s, size_t n);

/* ---------------------------------------------------------------- numbers */

/* The shortest decimal text of d that reads back to d (fixed notation for
 * up to 6 fraction digits, else %.15g..%.17g; "NaN", "INF", "-INF"). */
void ku_fmt_double(char *out, size_t len, double d);
/* The same, returning the text's length (no strlen in the writers). */
size_t ku_fmt_dbl(char *out, size_t len, double d);

/* ---------------------------------------------------------------- ISO 8601 */

/* 1 for a Gregorian leap year. */
int ku_leap_year(long long y);
/* Days in month m (1..12) of year y; 0 for a month out of range. */
int ku_days_in_month(long long y, int m);
/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (negative
 * before; m 1..12, d 1..31, already checked): the one days-from-civil. */
long long ku_days_from_civil(long long y, int m, int d);
/*
 * The one ISO 8601 duration scanner: [-]P[nY][nM][nW][nD][T[nH][nM][nS]],
 * designators in that order, each number digits[(.|,)digits], a T followed
 * by at least one part, at least one part.  The callers' grammars differ
 * (the query language's literal, Table Schema's duration, a schedule
 * period, OData's day-time duration); each passes what it allows as flags
 * and judges the parts, so there is one scanner and no second copy.
 * Values are digits summed as doubles, so no part can wrap on the way
 * ("P99999999999Y" comes out as 99999999999 and the caller's range check
 * refuses it).
 */
enum { KU_DUR_Y, KU_DUR_MO, KU_DUR_W, KU_DUR_D,      /* before the T */
       KU_DUR_H, KU_DUR_MI, KU_DUR_S, KU_DUR__N };   /* after the T */
#define KU_DUR_SIGN   0x1   /* a leading '-' is allowed */
#define KU_DUR_NOTIME 0x2   /* a T is an error (KU_DUR_ETIME) */
#define KU_DUR_NOFRAC 0x4   /* a decimal mark is an error (KU_DUR_EFRAC) */
enum { KU_DUR_OK = 0, KU_DUR_ESYNTAX, KU_DUR_ETIME, KU_DUR_EDIGITS,
       KU_DUR_EFRAC };
typedef struct ku_duration {
	int    neg;               /* a leading '-' was written */
	int    has_time;          /* a T was written */
	int    nparts;
	double v[KU_DUR__N];      /* each part's value, 0 when absent */
	int    digits[KU_DUR__N]; /* integer digits; 0 when absent */
	int    frac[KU_DUR__N];   /* fraction digits, -1 without a mark */
	char   mark[KU_DUR__N];   /* '.' or ',' or 0 */
} ku_duration;
/* Scans s[0..n) into *d.  max_digits > 0 bounds each number's integer
 * digits (KU_DUR_EDIGITS).  Returns KU_DUR_OK, or an error code with
 * *pos the byte offset where the text stops fitting. */
int ku_duration_parse(const char *s, size_t n, int flags, int max_digits,
                      ku_duration *d, size_t *pos);

/* 1 if s[0..n) is a day-time duration body [-]P[nD][T[nH][nM][n[.n]S]]
 * (OData's Edm.Duration as the query language accepts it). */
int ku_duration_valid(const char *s, size_t n);

/* The span of a well-formed PnYnMnWnDTnHnMnS in seconds (a year =
 * 365.2425 days, a month = a twelfth of it), computed without wrapping
 * so callers can range-check it; 0 ok, -1 malformed. */
int ku_duration_span(const char *s, size_t n, double *seconds);

#endif /* KUERI_KUTIL_H */
