/*
 * types.c -- cell text → typed value per the Frictionless Table Schema,
 * and the single-value constraints.  See types.h; compiling the field
 * descriptor itself (once per schema) is in types_compile.c.
 *
 * Every parser is hand-written and allocation-free: this runs for every
 * cell of every row.  Canonical forms are the ones portal.h promises the
 * loader (dates yyyy-mm-dd, datetimes with their offset, booleans 0/1).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "kutil.h"

/* ---- numbers -------------------------------------------------------- */

/* [+-]?[0-9]+ with overflow detection.  0 ok, 1 bad. */
static int
parse_ll(const char *s, size_t n, long long *out)
{
	unsigned long long v = 0, lim;
	size_t i = 0;
	int    neg = 0;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return 1;
	lim = neg ? 9223372036854775808ULL : 9223372036854775807ULL;
	for (; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9)
			return 1;
		if (v > (lim - d) / 10)
			return 1;
		v = v * 10 + d;
	}
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

static const double pow10tab[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * A decimal number in the C locale: [+-]? (d+ [. d*] | . d+) ([eE][+-]?d+)?
 * Exact fast path when the digits fit 2^53 and the scale is ≤ 22 (one
 * correctly rounded division); strtod otherwise.  Out-of-range → bad.
 */
static int
parse_double(const char *s, size_t n, double *out, char *tmp)
{
	size_t i = 0, digits = 0, frac = 0;
	unsigned long long m = 0;
	int    neg = 0, dot = 0, exp = 0;
	char  *end;
	double d;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (m < (1ULL << 53) / 10 + 1) {
				m = m * 10 + (unsigned)(s[i] - '0');
				if (dot)
					frac++;
			} else {
				exp = 1;  /* too many digits for the fast path */
			}
			digits++;
		} else if (s[i] == '.' && !dot) {
			dot = 1;
		} else {
			break;
		}
	}
	if (!digits)
		return 1;
	if (i < n) {
		size_t j = i + 1;

		if (s[i] != 'e' && s[i] != 'E')
			return 1;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j == n)
			return 1;
		for (; j < n; j++)
			if (s[j] < '0' || s[j] > '9')
				return 1;
		exp = 1;
	}
	if (!exp && m < (1ULL << 53) && frac <= 22) {
		d = (double)m / pow10tab[frac];
		*out = neg ? -d : d;
		return 0;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	d = strtod(tmp, &end);
	if (end != tmp + n || (errno == ERANGE && fabs(d) > 1.0) || isinf(d))
		return 1;
	*out = d;
	return 0;
}

/* bareNumber false: drop leading and trailing non-numeric text
 * ("€ 95", "95%").  Returns the trimmed span via *s, *n. */
static void
strip_bare(const char **s, size_t *n, int number)
{
	const char *p = *s, *e = *s + *n;

	while (p < e && !isdigit((unsigned char)*p) && *p != '-' && *p != '+' &&
	       !(number && *p == '.'))
		p++;
	while (e > p && !isdigit((unsigned char)e[-1]) && !(number && e[-1] == '.'))
		e--;
	*s = p;
	*n = (size_t)(e - p);
}

/* Copy without group chars and with decimalChar → '.'. */
static size_t
normalise_number(const kvt_field *f, const char *s, size_t n, char *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (f->group_char && ch == f->group_char)
			continue;
		if (ch == f->decimal_char)
			ch = '.';
		else if (ch == '.' && f->decimal_char != '.')
			ch = 'x';  /* a stray '.' must not parse */
		out[k++] = ch;
	}
	return k;
}

/* ---- dates and times ------------------------------------------------ */

typedef struct tmx {
	int         y, mo, d, h, mi, s;
	const char *frac;   /* digits after '.', or NULL */
	size_t      nfrac;
	int         tz;     /* 0 none, 1 Z, 2 offset */
	int         off;    /* minutes east of UTC */
	int         pm;     /* -1 none, 0 am, 1 pm */
} tmx;

static int
ndigits(const char *s, size_t n, size_t *i, int min, int max, int *out)
{
	int v = 0, k = 0;

	while (k < max && *i < n && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	if (k < min)
		return 1;
	*out = v;
	return 0;
}

static int
tz_parse(const char *s, size_t n, size_t *i, tmx *t)
{
	int hh, mm = 0, sign;

	if (*i < n && s[*i] == 'Z') {
		(*i)++;
		t->tz = 1;
		t->off = 0;
		return 0;
	}
	if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
		return 1;
	sign = s[*i] == '-' ? -1 : 1;
	(*i)++;
	if (ndigits(s, n, i, 2, 2, &hh))
		return 1;
	if (*i < n && s[*i] == ':')
		(*i)++;
	if (*i < n && ndigits(s, n, i, 2, 2, &mm))
		return 1;
	if (hh > 23 || mm > 59)
		return 1;
	t->tz = 2;
	t->off = sign * (hh * 60 + mm);
	return 0;
}

static const char *const months[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december",
};

/* strptime-style: %Y %y %m %d %H %M %S %f %z %b %B %p %%; numbers may
 * be one or two digits (as Python's strptime reads "12-9-2025"). */
static int
fmt_parse(const char *fmt, const char *s, size_t n, tmx *t)
{
	size_t i = 0;

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			if (isspace((unsigned char)*fmt)) {
				if (i >= n || !isspace((unsigned char)s[i]))
					return 1;
				while (i < n && isspace((unsigned char)s[i]))
					i++;
				continue;
			}
			if (i >= n || s[i] != *fmt)
				return 1;
			i++;
			continue;
		}
		switch (*++fmt) {
		case 'Y': if (ndigits(s, n, &i, 4, 4, &t->y)) return 1; break;
		case 'y':
			if (ndigits(s, n, &i, 2, 2, &t->y)) return 1;
			t->y += t->y < 69 ? 2000 : 1900;
			break;
		case 'm': if (ndigits(s, n, &i, 1, 2, &t->mo)) return 1; break;
		case 'd': if (ndigits(s, n, &i, 1, 2, &t->d)) return 1; break;
		case 'H': case 'I':
			if (ndigits(s, n, &i, 1, 2, &t->h)) return 1;
			break;
		case 'M': if (ndigits(s, n, &i, 1, 2, &t->mi)) return 1; break;
		case 'S': if (ndigits(s, n, &i, 1, 2, &t->s)) return 1; break;
		case 'f': {
			size_t st = i;

			while (i < n && i - st < 9 && s[i] >= '0' && s[i] <= '9')
				i++;
			if (i == st)
				return 1;
			t->frac = s + st;
			t->nfrac = i - st;
			break;
		}
		case 'z': if (tz_parse(s, n, &i, t)) return 1; break;
		case 'b': case 'B': {
			int k, found = 0;

			for (k = 0; k < 12 && !found; k++) {
				size_t full = strlen(months[k]);

				if (n - i >= full && !strncasecmp(s + i, months[k], full)) {
					i += full;
					found = k + 1;
				} else if (n - i >= 3 && !strncasecmp(s + i, months[k], 3)) {
					i += 3;
					found = k + 1;
				}
			}
			if (!found)
				return 1;
			t->mo = found;
			break;
		}
		case 'p':
			if (n - i >= 2 && !strncasecmp(s + i, "AM", 2))
				t->pm = 0;
			else if (n - i >= 2 && !strncasecmp(s + i, "PM", 2))
				t->pm = 1;
			else
				return 1;
			i += 2;
			break;
		case '%':
			if (i >= n || s[i] != '%')
				return 1;
			i++;
			break;
		default:
			return 1;  /* unsupported directive: never matches */
		}
	}
	if (t->pm >= 0 && t->h >= 1 && t->h <= 12)
		t->h = t->h % 12 + (t->pm ? 12 : 0);
	return i == n ? 0 : 1;
}

/* hh:mm:ss[.f] at s+*i. */
static int
iso_time(const char *s, size_t n, size_t *i, tmx *t)
{
	if (ndigits(s, n, i, 2, 2, &t->h) || *i >= n || s[(*i)++] != ':' ||
	    ndigits(s, n, i, 2, 2, &t->mi) || *i >= n || s[(*i)++] != ':' ||
	    ndigits(s, n, i, 2, 2, &t->s))
		return 1;
	if (*i < n && s[*i] == '.') {
		size_t st = ++(*i);

		while (*i < n && s[*i] >= '0' && s[*i] <= '9')
			(*i)++;
		if (*i == st || *i - st > 9)
			return 1;
		t->frac = s + st;
		t->nfrac = *i - st;
	}
	return 0;
}

static int
iso_date(const char *s, size_t n, size_t *i, tmx *t)
{
	return ndigits(s, n, i, 4, 4, &t->y) || *i >= n || s[(*i)++] != '-' ||
	       ndigits(s, n, i, 2, 2, &t->mo) || *i >= n || s[(*i)++] != '-' ||
	       ndigits(s, n, i, 2, 2, &t->d);
}

static int
date_ok(const tmx *t)
{
	return t->mo >= 1 && t->mo <= 12 && t->d >= 1 &&
	       t->d <= ku_days_in_month(t->y, t->mo);
}

static int
time_ok(const tmx *t)
{
	return t->h <= 23 && t->mi <= 59 && t->s <= 59;
}

static void
tmx_init(tmx *t)
{
	memset(t, 0, sizeof(*t));
	t->pm = -1;
	t->mo = t->d = 1;
	t->y = 1900;
}

static int
parse_date(const kvt_field *f, const char *s, size_t n, tmx *t)
{
	size_t i = 0;
	static const char *const anyf[] = { "%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y",
	                                    "%d %b %Y", "%b %d %Y", NULL };
	int k;

	tmx_init(t);
	if (f->format == KVT_FMT_CUSTOM)
		return fmt_parse(f->fmt, s, n, t) || !date_ok(t);
	if (!iso_date(s, n, &i, t) && i == n && date_ok(t))
		return 0;
	if (f->format != KVT_FMT_ANY)
		return 1;
	for (k = 0; anyf[k]; k++) {
		tmx_init(t);
		if (!fmt_parse(anyf[k], s, n, t) && date_ok(t))
			return 0;
	}
	return 1;
}

static int
parse_datetime(const kvt_field *f, const char *s, size_t n, tmx *t)
{
	size_t i = 0;

	tmx_init(t);
	if (f->format == KVT_FMT_CUSTOM)
		return fmt_parse(f->fmt, s, n, t) || !date_ok(t) || !time_ok(t);
	if (iso_date(s, n, &i, t) || i >= n ||
	    (s[i] != 'T' && !(f->format == KVT_FMT_ANY && s[i] == ' ')))
		return 1;
	i++;
	if (iso_time(s, n, &i, t))
		return 1;
	if (i < n && tz_parse(s, n, &i, t))
		return 1;
	return i != n || !date_ok(t) || !time_ok(t);
}

static int
parse_time(const kvt_field *f, const char *s, size_t n, tmx *t)
{
	size_t i = 0;

	tmx_init(t);
	if (f->format == KVT_FMT_CUSTOM)
		return fmt_parse(f->fmt, s, n, t) || !time_ok(t);
	if (iso_time(s, n, &i, t))
		return 1;
	if (i < n && f->format == KVT_FMT_ANY && tz_parse(s, n, &i, t))
		return 1;
	return i != n || !time_ok(t);
}

/* Zero-padded decimal digits without printf (this runs per cell). */
static char *
putn(char *o, int v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return o + width;
}

static size_t
put_date(char *o, const tmx *t)
{
	char *p = o;

	if (t->y < 0 || t->y > 9999)
		return (size_t)sprintf(o, "%04d-%02d-%02d", t->y, t->mo, t->d);
	p = putn(p, t->y, 4);
	*p++ = '-';
	p = putn(p, t->mo, 2);
	*p++ = '-';
	p = putn(p, t->d, 2);
	*p = '\0';
	return (size_t)(p - o);
}

static size_t
put_time(char *o, const tmx *t)
{
	size_t k;

	putn(o, t->h, 2);
	o[2] = ':';
	putn(o + 3, t->mi, 2);
	o[5] = ':';
	putn(o + 6, t->s, 2);
	k = 8;

	if (t->frac) {
		o[k++] = '.';
		memcpy(o + k, t->frac, t->nfrac);
		k += t->nfrac;
	}
	o[k] = '\0';
	return k;
}

/* P[nY][nM][nW][nD][T[nH][nM][n[.n]S]], at least one part; a fraction
 * ('.' or ',') on any part after the T. */
int
kvt_duration_ok(const char *s, size_t n)
{
	ku_duration d;
	size_t      pos;
	int         u;

	if (ku_duration_parse(s, n, 0, 0, &d, &pos) != KU_DUR_OK)
		return 0;
	for (u = 0; u < KU_DUR_H; u++)
		if (d.mark[u])
			return 0;
	return 1;
}

static int
in_list(const kvt_strs *l, const char *s, size_t n)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (l->len[i] == n && memcmp(l->s[i], s, n) == 0)
			return 1;
	return 0;
}

static int
email_ok(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t      i;

	if (!at || at == s || memchr(at + 1, '@', n - (size_t)(at - s) - 1))
		return 0;
	for (i = 0; i < n; i++)
		if (isspace((unsigned char)s[i]))
			return 0;
	return memchr(at + 1, '.', n - (size_t)(at - s) - 1) != NULL &&
	       s[n - 1] != '.' && at[1] != '.';
}

static int
uri_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 3 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n && s[i] != ':'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '-' &&
		    s[i] != '.')
			return 0;
	if (i >= n - 1)
		return 0;
	for (; i < n; i++)
		if ((unsigned char)s[i] <= ' ')
			return 0;
	return 1;
}

static int
uuid_ok(const char *s, size_t n)
{
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* "lon, lat" (default), "[lon, lat]" (array), {"lon":..,"lat":..} (object)
 * → canonical "lat,lon". */
static int
parse_geopoint(const kvt_field *f, const char *s, size_t n, char *o,
               char *tmp, size_t *olen)
{
	double      lon, lat;
	const char *p = s, *e = s + n, *comma;
	const char *a0, *a1, *b0, *b1;

	if (f->format == KVT_FMT_CUSTOM) {  /* object */
		json_t *j = json_loadb(s, n, 0, NULL);
		json_t *jl = json_object_get(j, "lon"), *ja = json_object_get(j, "lat");
		int     bad = !json_is_number(jl) || !json_is_number(ja);

		if (!bad) {
			lon = json_number_value(jl);
			lat = json_number_value(ja);
		}
		json_decref(j);
		if (bad)
			return 1;
		goto done;
	}
	if (f->format == KVT_FMT_ANY) {  /* array */
		if (n < 2 || p[0] != '[' || e[-1] != ']')
			return 1;
		p++;
		e--;
	}
	if (!(comma = memchr(p, ',', (size_t)(e - p))))
		return 1;
	a0 = p;
	a1 = comma;
	b0 = comma + 1;
	b1 = e;
	while (a0 < a1 && *a0 == ' ') a0++;
	while (a1 > a0 && a1[-1] == ' ') a1--;
	while (b0 < b1 && *b0 == ' ') b0++;
	while (b1 > b0 && b1[-1] == ' ') b1--;
	if (parse_double(a0, (size_t)(a1 - a0), &lon, tmp) ||
	    parse_double(b0, (size_t)(b1 - b0), &lat, tmp))
		return 1;
done:
	if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
		return 1;
	*olen = (size_t)sprintf(o, "%.15g,%.15g", lat, lon);
	return 0;
}

int
kvt_parse(const kvt_field *f, const char *s, size_t n, kv_value *out,
          char *scratch, const char **why)
{
	tmx    t;
	size_t k;

	out->null = 0;
	out->i = 0;
	out->d = 0;
	out->s = NULL;
	out->len = 0;
	if (in_list(&f->missing, s, n)) {
		out->null = 1;
		return 0;
	}
	switch (f->type) {
	case KP_STRING:
		switch (f->format) {
		case KVT_FMT_EMAIL:
			if (!email_ok(s, n)) { *why = "not an email address"; return 1; }
			break;
		case KVT_FMT_URI:
			if (!uri_ok(s, n)) { *why = "not a URI"; return 1; }
			break;
		case KVT_FMT_UUID:
			if (!uuid_ok(s, n)) { *why = "not a UUID"; return 1; }
			break;
		case KVT_FMT_BINARY:
			if (!kvt_base64_ok(s, n)) { *why = "not base64"; return 1; }
			break;
		default:
			break;
		}
		/* object, array, geojson, list: kept as written, once their
		 * shape is checked; out->i = items (minLength/maxLength). */
		if (f->kind != KVT_K_TEXT && kvt_shape(f, s, n, &out->i, why))
			return 1;
		out->s = s;
		out->len = n;
		return 0;
	case KP_INTEGER:
		if (!f->bare_number)
			strip_bare(&s, &n, 0);
		if (f->group_char) {
			n = normalise_number(f, s, n, scratch);
			s = scratch;
		}
		if (parse_ll(s, n, &out->i)) {
			*why = "not an integer (or out of 64-bit range)";
			return 1;
		}
		return 0;
	case KP_NUMBER:
		/* "NaN", "INF", "-INF": "case need not be respected". */
		if (n == 3 && !strncasecmp(s, "NaN", 3)) {
			out->d = NAN;
			return 0;
		}
		if ((n == 3 && !strncasecmp(s, "INF", 3)) ||
		    (n == 4 && !strncasecmp(s, "+INF", 4))) {
			out->d = INFINITY;
			return 0;
		}
		if (n == 4 && !strncasecmp(s, "-INF", 4)) {
			out->d = -INFINITY;
			return 0;
		}
		if (!f->bare_number)
			strip_bare(&s, &n, 1);
		if (f->group_char || f->decimal_char != '.') {
			n = normalise_number(f, s, n, scratch);
			s = scratch;
		}
		if (parse_double(s, n, &out->d, scratch + n + 1)) {
			*why = "not a number (or out of range)";
			return 1;
		}
		if (out->d == 0)
			out->d = 0;  /* -0 and 0 are the same value */
		return 0;
	case KP_BOOLEAN:
		if (in_list(&f->truev, s, n))
			out->i = 1;
		else if (in_list(&f->falsev, s, n))
			out->i = 0;
		else {
			*why = "not one of the boolean's trueValues/falseValues";
			return 1;
		}
		return 0;
	case KP_DATE:
		if (parse_date(f, s, n, &t)) {
			*why = f->format == KVT_FMT_CUSTOM ? "not a date in the field's format"
			                                   : "not a date (yyyy-mm-dd)";
			return 1;
		}
		out->len = put_date(scratch, &t);
		out->s = scratch;
		return 0;
	case KP_DATETIME:
		if (parse_datetime(f, s, n, &t)) {
			*why = "not a datetime (yyyy-mm-ddThh:mm:ss[.f][Z|+hh:mm])";
			return 1;
		}
		/* No offset in the data: the field's declared time zone
		 * ("kueri:timezone", UTC by default; docs/publishing.md), so
		 * every stored datetime names its instant. */
		if (t.tz == 0) {
			t.tz = 2;
			t.off = f->tz_off;
		}
		k = put_date(scratch, &t);
		scratch[k++] = 'T';
		k += put_time(scratch + k, &t);
		if (t.tz == 2 && t.off != 0)
			k += (size_t)sprintf(scratch + k, "%c%02d:%02d",
			                     t.off < 0 ? '-' : '+', abs(t.off) / 60,
			                     abs(t.off) % 60);
		else
			scratch[k++] = 'Z';
		scratch[k] = '\0';
		out->s = scratch;
		out->len = k;
		return 0;
	case KP_TIME:
		if (parse_time(f, s, n, &t)) {
			*why = "not a time (hh:mm:ss)";
			return 1;
		}
		out->len = put_time(scratch, &t);
		out->s = scratch;
		return 0;
	case KP_YEAR:
		if (n < 1 || n > 5 || parse_ll(s, n, &out->i) ||
		    out->i < -9999 || out->i > 9999) {
			*why = "not a year";
			return 1;
		}
		return 0;
	case KP_YEARMONTH:
		k = 0;
		tmx_init(&t);
		if (ndigits(s, n, &k, 4, 4, &t.y) || k >= n || s[k++] != '-' ||
		    ndigits(s, n, &k, 2, 2, &t.mo) || k != n || t.mo < 1 || t.mo > 12) {
			*why = "not a year-month (yyyy-mm)";
			return 1;
		}
		out->len = (size_t)sprintf(scratch, "%04d-%02d", t.y, t.mo);
		out->s = scratch;
		return 0;
	case KP_DURATION:
		if (!kvt_duration_ok(s, n)) {
			*why = "not an ISO 8601 duration (e.g. P1DT2H)";
			return 1;
		}
		out->s = s;
		out->len = n;
		return 0;
	case KP_GEOPOINT:
		if (n > 200 || parse_geopoint(f, s, n, scratch, scratch + 48, &out->len)) {
			*why = "not a geopoint (\"lon, lat\" within range)";
			return 1;
		}
		out->s = scratch;
		return 0;
	case KP__MAX:
		break;
	}
	*why = "unknown type";
	return 1;
}

/* ---- constraints ---------------------------------------------------- */

size_t
kvt_utf8_len(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* <0, 0, >0 comparing two canonical datetimes by instant (text order
 * when either is not canonical, which kvt_parse never produces). */
static int
dt_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	long long   sa, sb;
	const char *fa, *fb;
	size_t      na, nb, i;

	if (kvt_instant(a, an, &sa, &fa, &na) || kvt_instant(b, bn, &sb, &fb, &nb)) {
		int c = memcmp(a, b, an < bn ? an : bn);

		return c ? c : (an > bn) - (an < bn);
	}
	if (sa != sb)
		return (sa > sb) - (sa < sb);
	/* Equal seconds: compare the fractions digit by digit ("5" = "50"). */
	for (i = 0; i < na || i < nb; i++) {
		char ca = i < na ? fa[i] : '0', cb = i < nb ? fb[i] : '0';

		if (ca != cb)
			return (ca > cb) - (ca < cb);
	}
	return 0;
}

/* <0, 0, >0 comparing a value with a bound. */
static int
cmp_bound(const kvt_field *f, const kv_value *v, const kvt_bound *b)
{
	size_t bl;
	int    c;

	switch (f->type) {
	case KP_INTEGER:
	case KP_YEAR:
		return (v->i > b->i) - (v->i < b->i);
	case KP_NUMBER:
		return (v->d > b->d) - (v->d < b->d);
	case KP_DATETIME:
		/* By instant: a value with its own offset and a bound read in
		 * the declared time zone may be written differently. */
		return dt_cmp(v->s, v->len, b->s, strlen(b->s));
	case KP_DURATION: {
		/* By length in seconds (months and years at their average
		 * length, ku_duration_span), as v2 orders durations. */
		double x = 0, y = 0;

		ku_duration_span(v->s, v->len, &x);
		ku_duration_span(b->s, strlen(b->s), &y);
		return (x > y) - (x < y);
	}
	default:
		bl = strlen(b->s);
		c = memcmp(v->s, b->s, v->len < bl ? v->len : bl);
		return c ? c : (v->len > bl) - (v->len < bl);
	}
}

static void
bound_text(const kvt_field *f, const kvt_bound *b, char *out, size_t sz)
{
	if (f->type == KP_INTEGER || f->type == KP_YEAR)
		snprintf(out, sz, "%lld", b->i);
	else if (f->type == KP_NUMBER)
		snprintf(out, sz, "%.15g", b->d);
	else
		snprintf(out, sz, "%s", b->s);
}

/* 1 if the canonical key of v is among k's. */
static int
key_in(const kvt_field *f, const kv_value *v, const kvt_keys *k)
{
	unsigned char  stackbuf[256];
	/* kvt_key writes at most 9 + v->len bytes (types_key.c). */
	unsigned char *key = v->len + 16 <= sizeof(stackbuf) ? stackbuf
	                                                     : malloc(v->len + 16);
	size_t         kl;
	int            i, found = 0;

	if (!key)
		return 0;
	kl = kvt_key(f, v, key);
	for (i = 0; i < k->n && !found; i++)
		found = k->len[i] == kl && memcmp(k->key[i], key, kl) == 0;
	if (key != stackbuf)
		free(key);
	return found;
}

int
kvt_check(kvt_field *f, const kv_value *v, const char *raw, size_t rawlen,
          kvt_report_fn report, void *ctx)
{
	char msg[400], bt[64];
	int  n = 0;

	if (v->null) {
		if (f->required) {
			report(ctx, "required", "constraint \"required\" is \"true\"");
			n++;
		}
		return n;
	}
	if (f->min_len >= 0 || f->max_len >= 0) {
		/* Characters of text; items of an object, array or list. */
		long long len = f->kind != KVT_K_TEXT && f->kind != KVT_K_GEOJSON &&
		                f->kind != KVT_K_TOPOJSON
		                ? v->i : (long long)kvt_utf8_len(raw, rawlen);

		if (f->min_len >= 0 && len < f->min_len) {
			snprintf(msg, sizeof(msg), "constraint \"minLength\" is \"%lld\"",
			         f->min_len);
			report(ctx, "minLength", msg);
			n++;
		}
		if (f->max_len >= 0 && len > f->max_len) {
			snprintf(msg, sizeof(msg), "constraint \"maxLength\" is \"%lld\"",
			         f->max_len);
			report(ctx, "maxLength", msg);
			n++;
		}
	}
	if (f->min.set) {
		int c = cmp_bound(f, v, &f->min);

		if (c < 0 || (c == 0 && f->min.excl) ||
		    (f->type == KP_NUMBER && isnan(v->d))) {
			bound_text(f, &f->min, bt, sizeof(bt));
			snprintf(msg, sizeof(msg), "constraint \"%s\" is \"%s\"",
			         f->min.excl ? "exclusiveMinimum" : "minimum", bt);
			report(ctx, f->min.excl ? "exclusiveMinimum" : "minimum", msg);
			n++;
		}
	}
	if (f->max.set) {
		int c = cmp_bound(f, v, &f->max);

		if (c > 0 || (c == 0 && f->max.excl) ||
		    (f->type == KP_NUMBER && isnan(v->d))) {
			bound_text(f, &f->max, bt, sizeof(bt));
			snprintf(msg, sizeof(msg), "constraint \"%s\" is \"%s\"",
			         f->max.excl ? "exclusiveMaximum" : "maximum", bt);
			report(ctx, f->max.excl ? "exclusiveMaximum" : "maximum", msg);
			n++;
		}
	}
	if (f->enums.n && !key_in(f, v, &f->enums)) {
		report(ctx, "enum", "constraint \"enum\": the value is not one "
		                    "of the allowed values");
		n++;
	}
	if (f->cats.n && !key_in(f, v, &f->cats)) {
		report(ctx, "categories", "the value is not one of the field's "
		                          "categories");
		n++;
	}
	if (f->re) {
		int rc = pcre2_match(f->re, (PCRE2_SPTR)raw, rawlen, 0,
		                     PCRE2_NO_UTF_CHECK, f->md, f->mctx);

		if (rc == PCRE2_ERROR_NOMATCH) {
			snprintf(msg, sizeof(msg), "constraint \"pattern\" is \"%.120s\"",
			         f->pattern);
			report(ctx, "pattern", msg);
			n++;
		} else if (rc < 0) {
			PCRE2_UCHAR em[120];

			pcre2_get_error_message(rc, em, sizeof(em));
			f->re_gaveup++;
			snprintf(msg, sizeof(msg), "constraint \"pattern\" could not be "
			         "checked: %s (the pattern is too costly for this value)",
			         (const char *)em);
			report(ctx, "pattern", msg);
			n++;
		}
	}
	return n;
}
