/*
 * funcs.c -- the SQL functions the engine registers on the portal
 * connection, and the authorizer that allow-lists what SQL may do.
 *
 * Why custom functions: OData's string tests are case-sensitive and have
 * no wildcards (LIKE is neither); matchesPattern needs PCRE2 with match,
 * depth and heap limits; date parts must be read in the value's own
 * offset; divby gives ±INF.  Every function returns NULL for a NULL
 * argument (OData: a function of null is null).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <locale.h>
#include <math.h>
#include <pcre2.h>
#include <stdint.h>
#include <wctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_int.h"

#define KQ_RE_MAXLEN     1024     /* pattern bytes                       */
#define KQ_RE_MATCHLIM   100000   /* ~1.5 ms worst case per call          */
#define KQ_RE_DEPTHLIM   1000
#define KQ_RE_HEAPLIM    1024     /* KiB                                  */
#define KQ_RE_NESTLIM    50       /* nested parentheses                   */

/* ---------------------------------------------------------------- regex */

typedef struct kq_re {
	pcre2_code       *code;
	pcre2_match_data *md;
	pcre2_match_context *mc;
} kq_re;

static void
re_free(void *p)
{
	kq_re *r = p;

	if (r == NULL)
		return;
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mc);
	pcre2_code_free(r->code);
	free(r);
}

static kq_re *
re_compile(const char *pat, size_t n, char *msg, size_t len)
{
	pcre2_compile_context *cc;
	kq_re                 *r;
	int                    ec;
	PCRE2_SIZE             eo;

	if (n > KQ_RE_MAXLEN) {
		snprintf(msg, len, "pattern longer than %d bytes", KQ_RE_MAXLEN);
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (cc = pcre2_compile_context_create(NULL)) == NULL) {
		free(r);
		snprintf(msg, len, "out of memory");
		return NULL;
	}
	pcre2_set_parens_nest_limit(cc, KQ_RE_NESTLIM);
	r->code = pcre2_compile((PCRE2_SPTR)pat, n,
	                        PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C,
	                        &ec, &eo, cc);
	pcre2_compile_context_free(cc);
	if (r->code == NULL) {
		PCRE2_UCHAR buf[120];

		pcre2_get_error_message(ec, buf, sizeof(buf));
		snprintf(msg, len, "%s (pattern offset %zu)", (char *)buf,
		         (size_t)eo);
		free(r);
		return NULL;
	}
	(void)pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);
	r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
	r->mc = pcre2_match_context_create(NULL);
	if (r->md == NULL || r->mc == NULL) {
		re_free(r);
		snprintf(msg, len, "out of memory");
		return NULL;
	}
	pcre2_set_match_limit(r->mc, KQ_RE_MATCHLIM);
	pcre2_set_depth_limit(r->mc, KQ_RE_DEPTHLIM);
	pcre2_set_heap_limit(r->mc, KQ_RE_HEAPLIM);
	return r;
}

int
kq_regex_check(const char *pat, size_t n, char *buf, size_t len)
{
	kq_re *r = re_compile(pat, n, buf, len);

	if (r == NULL)
		return -1;
	re_free(r);
	return 0;
}

/* kq_matches(s, pattern): the compiled pattern is cached per statement
 * with sqlite3_set_auxdata (the pattern is a constant). */
static void
fn_matches(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s, *pat;
	kq_re      *r;
	int         rc;
	char        msg[200];

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	if ((r = sqlite3_get_auxdata(ctx, 1)) == NULL) {
		pat = (const char *)sqlite3_value_text(argv[1]);
		if (pat == NULL) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
		if ((r = re_compile(pat, (size_t)sqlite3_value_bytes(argv[1]), msg,
		                    sizeof(msg))) == NULL) {
			char full[260];

			snprintf(full, sizeof(full), "kq_matches: invalid pattern: %s",
			         msg);
			sqlite3_result_error(ctx, full, -1);
			return;
		}
		sqlite3_set_auxdata(ctx, 1, r, re_free);
		if ((r = sqlite3_get_auxdata(ctx, 1)) == NULL) {
			/* SQLite chose not to keep it (non-constant): it was freed. */
			if ((r = re_compile(pat, (size_t)sqlite3_value_bytes(argv[1]),
			                    msg, sizeof(msg))) == NULL) {
				sqlite3_result_error_nomem(ctx);
				return;
			}
			goto once;
		}
	}
	s = (const char *)sqlite3_value_text(argv[0]);
	rc = pcre2_match(r->code, (PCRE2_SPTR)s,
	                 (PCRE2_SIZE)sqlite3_value_bytes(argv[0]), 0, 0, r->md,
	                 r->mc);
	goto result;
once:
	s = (const char *)sqlite3_value_text(argv[0]);
	rc = pcre2_match(r->code, (PCRE2_SPTR)s,
	                 (PCRE2_SIZE)sqlite3_value_bytes(argv[0]), 0, 0, r->md,
	                 r->mc);
	re_free(r);
result:
	if (rc >= 0)
		sqlite3_result_int(ctx, 1);
	else if (rc == PCRE2_ERROR_NOMATCH)
		sqlite3_result_int(ctx, 0);
	else if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	         rc == PCRE2_ERROR_HEAPLIMIT)
		sqlite3_result_error(ctx, "kq_matches: the pattern needs too much "
		                     "backtracking (match limit reached)", -1);
	else
		sqlite3_result_error(ctx, "kq_matches: match failed", -1);
}

/* ---------------------------------------------------------------- strings */

/*
 * kq_startswith / kq_endswith: byte comparison, so case-sensitive and
 * with no LIKE wildcards.  sqlite3_user_data is non-NULL for endswith.
 */
static void
fn_affix(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int         an, bn, at_end = sqlite3_user_data(ctx) != NULL;
	const char *a, *b;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	a = (const char *)sqlite3_value_text(argv[0]);
	an = sqlite3_value_bytes(argv[0]);
	b = (const char *)sqlite3_value_text(argv[1]);
	bn = sqlite3_value_bytes(argv[1]);
	sqlite3_result_int(ctx, bn <= an &&
	    memcmp(a + (at_end ? an - bn : 0), b, (size_t)bn) == 0);
}

/* Byte offset of the k-th character of UTF-8 s (or n). */
static int
u8off(const char *s, int n, long long k)
{
	int i = 0;

	while (i < n && k > 0) {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		k--;
	}
	return i;
}

/* kq_substring(s, start[, len]): 0-based characters; a negative start
 * counts as 0, a negative length as 0 (the empty string). */
static void
fn_substring(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s;
	int         n, b, e;
	long long   start, len;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    sqlite3_value_type(argv[1]) == SQLITE_NULL ||
	    (argc > 2 && sqlite3_value_type(argv[2]) == SQLITE_NULL))
		return;
	s = (const char *)sqlite3_value_text(argv[0]);
	n = sqlite3_value_bytes(argv[0]);
	start = sqlite3_value_int64(argv[1]);
	if (start < 0)
		start = 0;
	b = u8off(s, n, start);
	if (argc > 2) {
		len = sqlite3_value_int64(argv[2]);
		if (len < 0)
			len = 0;
		e = b + u8off(s + b, n - b, len);
	} else
		e = n;
	sqlite3_result_text(ctx, s + b, e - b, SQLITE_TRANSIENT);
}

/*
 * kq_lower / kq_upper: Unicode simple case mapping (SQLite's lower() and
 * upper() only know ASCII).  glibc's built-in C.UTF-8 locale supplies
 * towlower_l/towupper_l; without it we fall back to ASCII.
 */
static locale_t
utf8_locale(void)
{
	static locale_t loc;
	locale_t        l = __atomic_load_n(&loc, __ATOMIC_ACQUIRE), expect = 0;

	if (l == (locale_t)0) {
		l = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (l == (locale_t)0)
			return (locale_t)0;
		if (!__atomic_compare_exchange_n(&loc, &expect, l, 0,
		                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			freelocale(l);
			l = expect;
		}
	}
	return l;
}

static void
fn_case(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *s;
	unsigned char       *out;
	int                  n, i = 0, k = 0, upper;
	locale_t             loc = utf8_locale();

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	upper = sqlite3_user_data(ctx) != NULL;
	s = sqlite3_value_text(argv[0]);
	n = sqlite3_value_bytes(argv[0]);
	if (s == NULL || (out = sqlite3_malloc(n * 2 + 4)) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	while (i < n) {
		unsigned c = s[i], cp, len;

		if (c < 0x80) {
			out[k++] = (unsigned char)(upper ? (c >= 'a' && c <= 'z' ? c - 32 : c)
			                                 : (c >= 'A' && c <= 'Z' ? c + 32 : c));
			i++;
			continue;
		}
		len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		if (len == 1 || i + (int)len > n || loc == (locale_t)0) {
			out[k++] = (unsigned char)c;
			i++;
			continue;
		}
		cp = c & (0xFF >> (len + 1));
		for (unsigned j = 1; j < len; j++)
			cp = (cp << 6) | (s[i + j] & 0x3F);
		cp = (unsigned)(upper ? towupper_l((wint_t)cp, loc)
		                      : towlower_l((wint_t)cp, loc));
		if (cp < 0x80)
			out[k++] = (unsigned char)cp;
		else if (cp < 0x800) {
			out[k++] = (unsigned char)(0xC0 | (cp >> 6));
			out[k++] = (unsigned char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			out[k++] = (unsigned char)(0xE0 | (cp >> 12));
			out[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
			out[k++] = (unsigned char)(0x80 | (cp & 0x3F));
		} else {
			out[k++] = (unsigned char)(0xF0 | (cp >> 18));
			out[k++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
			out[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
			out[k++] = (unsigned char)(0x80 | (cp & 0x3F));
		}
		i += (int)len;
	}
	sqlite3_result_text(ctx, (const char *)out, k, sqlite3_free);
}

/* ---------------------------------------------------------------- numbers */

static void
fn_fdiv(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	double a, b;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	a = sqlite3_value_double(argv[0]);
	b = sqlite3_value_double(argv[1]);
	if (b == 0 && (a == 0 || isnan(a)))
		return;                 /* NaN: SQLite has no NaN, so null */
	sqlite3_result_double(ctx, a / b);
}

static void
fn_fmod(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	double a, b;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	a = sqlite3_value_double(argv[0]);
	b = sqlite3_value_double(argv[1]);
	if (b == 0)
		return;
	sqlite3_result_double(ctx, fmod(a, b));
}

/* kq_idiv(a, b, pos, option) / kq_imod: integer div and mod whose
 * divisor may be zero at run time.  Null in, null out; a zero divisor is
 * an error naming where it was written (codegen.c turns "kq_div: " into
 * a 400).  The rest mirrors SQLite's / and %, INT64_MIN div -1 included
 * (a double, as SQLite gives; C's / would trap). */
static void
fn_idiv(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int           mod = sqlite3_user_data(ctx) != NULL;
	sqlite3_int64 a, b;
	char         *m;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	a = sqlite3_value_int64(argv[0]);
	b = sqlite3_value_int64(argv[1]);
	if (b == 0) {
		m = sqlite3_mprintf("kq_div: integer %s by zero at position %lld"
		                    " in %s", mod ? "modulo" : "division",
		                    sqlite3_value_int64(argv[2]),
		                    (const char *)sqlite3_value_text(argv[3]));
		if (m == NULL) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
		sqlite3_result_error(ctx, m, -1);
		sqlite3_free(m);
		return;
	}
	if (b == -1 && a == INT64_MIN) {
		if (mod)
			sqlite3_result_int64(ctx, 0);
		else
			sqlite3_result_double(ctx, -(double)a);
		return;
	}
	sqlite3_result_int64(ctx, mod ? a % b : a / b);
}

static void
fn_dblstr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[40];

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	ku_fmt_double(buf, sizeof(buf), sqlite3_value_double(argv[0]));
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

/* ---------------------------------------------------------------- dates */

static int
dig2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/*
 * kq_dtpart(v, k): part k of a date "yyyy-mm-dd", datetime
 * "yyyy-mm-ddThh:mm[:ss[.f]](Z|±hh:mm)" or time "hh:mm[:ss[.f]]", read as
 * written (in the value's own offset).  k: 0 year, 1 month, 2 day, 3 hour,
 * 4 minute, 5 second, 6 fractional seconds, 7 date, 8 time, 9 offset
 * minutes.
 */
static void
fn_dtpart(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s;
	int         n, k, t = -1, end;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	s = (const char *)sqlite3_value_text(argv[0]);
	n = sqlite3_value_bytes(argv[0]);
	k = sqlite3_value_int(argv[1]);
	if (s == NULL)
		return;
	if (n >= 10 && s[4] == '-' && s[7] == '-') {
		if (k <= 2) {
			sqlite3_result_int(ctx, k == 0 ? atoi(s) : dig2(s + (k == 1 ? 5 : 8)));
			return;
		}
		if (k == 7) {
			sqlite3_result_text(ctx, s, 10, SQLITE_TRANSIENT);
			return;
		}
		if (n >= 16 && (s[10] == 'T' || s[10] == 't'))
			t = 11;
	} else if (n >= 5 && s[2] == ':')
		t = 0;
	if (t < 0)
		return;
	/* end of the time part: first Z, z, + or - after t */
	for (end = t; end < n && s[end] != 'Z' && s[end] != 'z' &&
	              s[end] != '+' && s[end] != '-'; end++)
		;
	switch (k) {
	case 3: sqlite3_result_int(ctx, dig2(s + t)); return;
	case 4: sqlite3_result_int(ctx, dig2(s + t + 3)); return;
	case 5:
		sqlite3_result_int(ctx, end - t >= 8 && s[t + 5] == ':'
		                        ? dig2(s + t + 6) : 0);
		return;
	case 6: {
		double f = 0, scale = 0.1;
		int    i = t + 8;

		if (end - t > 9 && s[i] == '.')
			for (i++; i < end; i++, scale /= 10)
				f += (s[i] - '0') * scale;
		sqlite3_result_double(ctx, f);
		return;
	}
	case 8: {
		int e = end;

		if (e - t == 5) {        /* hh:mm → hh:mm:00 */
			char buf[9];

			memcpy(buf, s + t, 5);
			memcpy(buf + 5, ":00", 3);
			sqlite3_result_text(ctx, buf, 8, SQLITE_TRANSIENT);
			return;
		}
		sqlite3_result_text(ctx, s + t, e - t, SQLITE_TRANSIENT);
		return;
	}
	case 9:
		if (t == 0)
			return;
		if (end >= n || s[end] == 'Z' || s[end] == 'z') {
			sqlite3_result_int(ctx, 0);
			return;
		}
		if (n - end >= 6) {
			int m = dig2(s + end + 1) * 60 + dig2(s + end + 4);

			sqlite3_result_int(ctx, s[end] == '-' ? -m : m);
		}
		return;
	default:
		return;
	}
}

/* kq_duration(v): an ISO 8601 day-time duration in seconds (for order). */
static void
fn_duration(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s;
	double      total = 0, v;
	int         neg = 0, t = 0;
	char       *end;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	s = (const char *)sqlite3_value_text(argv[0]);
	if (s == NULL)
		return;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (*s++ != 'P')
		return;
	while (*s) {
		if (*s == 'T') {
			t = 1;
			s++;
			continue;
		}
		v = strtod(s, &end);
		if (end == s)
			return;
		s = end;
		switch (*s) {
		case 'D': total += v * 86400; break;
		case 'H': total += v * 3600; break;
		case 'M': total += t ? v * 60 : v * 2629746; break;
		case 'S': total += v; break;
		case 'Y': total += v * 31556952; break;
		case 'W': total += v * 604800; break;
		default: return;
		}
		s++;
	}
	sqlite3_result_double(ctx, neg ? -total : total);
}

/*
 * kq_dtmin / kq_dtmax: min and max of datetimes by instant, keeping the
 * winning value's own text (and offset).  SQLite's min()/max() would
 * compare the text, which orders "10:00+08:00" after "03:00Z".
 */

/* Seconds since 1970 for "yyyy-mm-ddThh:mm[:ss[.f]](Z|±hh:mm)"; 0 if not. */
static int
instant(const char *s, int n, double *out)
{
	double secs = 0;
	int    i = 16, off = 0;

	if (n < 16 || s[4] != '-' || s[7] != '-' || s[13] != ':')
		return 0;
	if (i < n && s[i] == ':') {
		secs = dig2(s + 17);
		i = 19;
		if (i < n && s[i] == '.') {
			double scale = 0.1;

			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
				secs += (s[i] - '0') * scale;
		}
	}
	if (i + 6 <= n && (s[i] == '+' || s[i] == '-'))
		off = (s[i] == '-' ? -1 : 1) * (dig2(s + i + 1) * 60 + dig2(s + i + 4));
	*out = (double)ku_days_from_civil(atoi(s), dig2(s + 5), dig2(s + 8)) *
	       86400.0 + dig2(s + 11) * 3600.0 + dig2(s + 14) * 60.0 + secs -
	       off * 60.0;
	return 1;
}

typedef struct dtacc {
	double t;
	char  *text;
	int    n;
} dtacc;

static void
dt_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	dtacc      *acc;
	const char *s;
	int         n, want_max = sqlite3_user_data(ctx) != NULL;
	double      t;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	if ((acc = sqlite3_aggregate_context(ctx, sizeof(*acc))) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	s = (const char *)sqlite3_value_text(argv[0]);
	n = sqlite3_value_bytes(argv[0]);
	if (s == NULL || !instant(s, n, &t))
		return;
	if (acc->text && (want_max ? t <= acc->t : t >= acc->t))
		return;
	sqlite3_free(acc->text);
	if ((acc->text = sqlite3_malloc(n + 1)) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	memcpy(acc->text, s, (size_t)n);
	acc->n = n;
	acc->t = t;
}

static void
dt_final(sqlite3_context *ctx)
{
	dtacc *acc = sqlite3_aggregate_context(ctx, 0);

	if (acc && acc->text) {
		sqlite3_result_text(ctx, acc->text, acc->n, sqlite3_free);
		acc->text = NULL;
	}
}

/* ---------------------------------------------------------------- register */

static const struct kq_fdef {
	const char *name;
	int         nargs;
	void      (*fn)(sqlite3_context *, int, sqlite3_value **);
	void       *user;
} fdefs[] = {
	{ "kq_lower", 1, fn_case, NULL },      { "kq_upper", 1, fn_case, "u" },
	{ "kq_matches", 2, fn_matches, NULL },       { "kq_startswith", 2, fn_affix, NULL },
	{ "kq_endswith", 2, fn_affix, "end" },       { "kq_substring", 2, fn_substring, NULL },
	{ "kq_substring", 3, fn_substring, NULL },   { "kq_fdiv", 2, fn_fdiv, NULL },
	{ "kq_fmod", 2, fn_fmod, NULL },             { "kq_idiv", 4, fn_idiv, NULL },
	{ "kq_imod", 4, fn_idiv, "mod" },             { "kq_dtpart", 2, fn_dtpart, NULL },
	{ "kq_duration", 1, fn_duration, NULL },     { "kq_dblstr", 1, fn_dblstr, NULL },
};
#define NFDEFS (sizeof(fdefs) / sizeof(fdefs[0]))

int
kq_funcs_register(sqlite3 *db)
{
	size_t i;

	/* Cheap idempotence: the last function registered is findable. */
	for (i = 0; i < NFDEFS; i++)
		if (sqlite3_create_function_v2(db, fdefs[i].name, fdefs[i].nargs,
		        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
		        fdefs[i].user, fdefs[i].fn, NULL, NULL, NULL) != SQLITE_OK)
			return -1;
	if (sqlite3_create_function_v2(db, "kq_dtmin", 1, SQLITE_UTF8 |
	        SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, NULL, dt_step,
	        dt_final, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "kq_dtmax", 1, SQLITE_UTF8 |
	        SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, "max", NULL, dt_step,
	        dt_final, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- authorizer */

/*
 * The functions a statement of ours may call: these SQLite built-ins
 * (used by operators, casts, $search and $apply), every function we
 * register (fdefs above, and the aggregates), and the SQLite function of
 * every OData function row (functab.c).
 */
static const char *const allowed_fns[] = {
	"lower", "upper", "julianday", "coalesce", "count", "sum", "avg", "min",
	"max", "match", "kq_dtmin", "kq_dtmax",
};

static int
fn_allowed(const char *name)
{
	const kq_fninfo *f;
	size_t i;

	for (i = 0; i < sizeof(allowed_fns) / sizeof(allowed_fns[0]); i++)
		if (strcmp(name, allowed_fns[i]) == 0)
			return 1;
	for (i = 0; i < NFDEFS; i++)
		if (strcmp(name, fdefs[i].name) == 0)
			return 1;
	for (i = 0; (f = kq_fn_at(i)) != NULL; i++)
		if (f->sqlfn && strcmp(name, f->sqlfn) == 0)
			return 1;
	return 0;
}

int
kq_authorizer(void *ctx, int action, const char *a3, const char *a4,
              const char *a5, const char *a6)
{
	kq_authctx *ac = ctx;
	size_t      n;

	(void)a5;
	(void)a6;
	switch (action) {
	case SQLITE_SELECT:
		return SQLITE_OK;
	case SQLITE_PRAGMA:
		/* FTS5 reads "PRAGMA data_version" (no argument) to cache its
		 * structure; only that pragma, only as a query. */
		if (ac->fts[0] && a3 && strcmp(a3, "data_version") == 0 &&
		    a4 == NULL)
			return SQLITE_OK;
		break;
	case SQLITE_UPDATE:
		/* sqlite3_declare_vtab() inside FTS5's xConnect parses a CREATE
		 * TABLE and asks for this; nothing is written (the connection
		 * is read-only and our SQL is a SELECT we built). */
		if (ac->fts[0] && a3 && strcmp(a3, "sqlite_master") == 0)
			return SQLITE_OK;
		break;
	case SQLITE_READ:
		if (a3 == NULL)
			break;
		if (strcmp(a3, ac->table) == 0)
			return SQLITE_OK;
		/* FTS5's constructor reads the schema table (its own statement,
		 * never ours: our SQL cannot name tables). */
		if (ac->fts[0] && (strcmp(a3, "sqlite_master") == 0 ||
		                   strcmp(a3, "sqlite_schema") == 0))
			return SQLITE_OK;
		n = strlen(ac->fts);
		if (n && strncmp(a3, ac->fts, n) == 0 &&
		    (a3[n] == '\0' || strcmp(a3 + n, "_data") == 0 ||
		     strcmp(a3 + n, "_idx") == 0 || strcmp(a3 + n, "_config") == 0 ||
		     strcmp(a3 + n, "_docsize") == 0 ||
		     strcmp(a3 + n, "_content") == 0))
			return SQLITE_OK;
		break;
	case SQLITE_FUNCTION:
		if (a4 == NULL)
			break;
		if (fn_allowed(a4))
			return SQLITE_OK;
		break;
	default:
		break;
	}
	ac->denied++;
	if (ac->debug)
		fprintf(stderr, "kueri: authorizer denied %d %s %s %s %s\n", action,
		        a3 ? a3 : "-", a4 ? a4 : "-", a5 ? a5 : "-", a6 ? a6 : "-");
	return SQLITE_DENY;
}
