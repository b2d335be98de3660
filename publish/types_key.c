/*
 * types_key.c -- a typed value's identity: the canonical bytes that
 * uniqueness, primary keys, foreign keys and enum compare (kvt_key), and
 * a canonical datetime's instant (kvt_instant), which the minimum and
 * maximum constraints compare too (types.c).  See types.h.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "types.h"
#include "kutil.h"

int
kvt_instant(const char *s, size_t n, long long *sec, const char **frac,
            size_t *nfrac)
{
	size_t    i = 0;
	long long y = 0, days, m, d, h, mi, se, off = 0;
	int       neg = 0, k;
	int       part[5];

	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	for (k = 0; i < n && s[i] >= '0' && s[i] <= '9' && k < 9; i++, k++)
		y = y * 10 + (s[i] - '0');
	if (k == 0)
		return 1;
	y = neg ? -y : y;
	/* -mm-ddThh:mm:ss: five two-digit parts after fixed separators */
	for (k = 0; k < 5; k++) {
		if (i + 3 > n || s[i] != (k < 2 ? '-' : k == 2 ? 'T' : ':') ||
		    !isdigit((unsigned char)s[i + 1]) ||
		    !isdigit((unsigned char)s[i + 2]))
			return 1;
		part[k] = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
		i += 3;
	}
	m = part[0], d = part[1], h = part[2], mi = part[3], se = part[4];
	*frac = NULL;
	*nfrac = 0;
	if (i < n && s[i] == '.') {
		*frac = s + ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		*nfrac = (size_t)(s + i - *frac);
	}
	if (i < n && s[i] == 'Z')
		i++;
	else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		off = ((s[i + 1] - '0') * 10 + (s[i + 2] - '0')) * 60 +
		      (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
		off = s[i] == '-' ? -off : off;
		i += 6;
	}
	if (i != n)
		return 1;
	days = ku_days_from_civil(y, (int)m, (int)d);
	*sec = ((days * 24 + h) * 60 + mi) * 60 + se - off * 60;
	return 0;
}

/*
 * Keys compare logical values, as Table Schema's primaryKey, unique,
 * uniqueKeys, foreignKeys and enum do, not the text.  One byte names the
 * kind of value, so a binary value never shares bytes with text (an
 * 8-character string is not an integer), then
 *   'n' + int64   integer, year, boolean (0/1), and a number that is a
 *                 whole number in int64 range: 1, 01, +1, 1.0, 1e0 are
 *                 one value, across fields too (an integer foreign key
 *                 finds its number target), and true is true whichever
 *                 of the trueValues wrote it;
 *   'r' + double  any other number (one NaN; -0 was made 0 at parse);
 *   'i' + int64 seconds since 1970 UTC + the fraction's digits without
 *                 trailing zeros: a datetime is its instant, so
 *                 07:00:00+07:00 and 00:00:00Z (and a naive datetime read
 *                 in its "kueri:timezone") are one key, .5 equals .500;
 *   's' + text    every other type as kvt_parse wrote it (canonical:
 *                 dates yyyy-mm-dd, geopoints "lat,lon"), a time with its
 *                 fraction's trailing zeros dropped (kueri keeps no
 *                 offset on a time).  One tag for all text, as before:
 *                 a string foreign key still finds a date target.
 */
size_t
kvt_key(const kvt_field *f, const kv_value *v, unsigned char *out)
{
	switch (f->type) {
	case KP_INTEGER:
	case KP_BOOLEAN:
	case KP_YEAR:
		out[0] = 'n';
		memcpy(out + 1, &v->i, 8);
		return 9;
	case KP_NUMBER: {
		double d = v->d;

		/* The range test first: casting a double outside int64 is
		 * undefined; NaN fails every comparison. */
		if (d >= -0x1p63 && d < 0x1p63 && (double)(long long)d == d) {
			long long i = (long long)d;

			out[0] = 'n';
			memcpy(out + 1, &i, 8);
			return 9;
		}
		if (isnan(d))
			d = NAN;  /* one NaN */
		out[0] = 'r';
		memcpy(out + 1, &d, 8);
		return 9;
	}
	case KP_DATETIME: {
		long long   sec;
		const char *frac;
		size_t      nfrac;

		if (kvt_instant(v->s, v->len, &sec, &frac, &nfrac) != 0)
			break;  /* not canonical (kvt_parse never makes it): text */
		while (nfrac > 0 && frac[nfrac - 1] == '0')
			nfrac--;
		out[0] = 'i';
		memcpy(out + 1, &sec, 8);
		if (nfrac > 0)
			memcpy(out + 9, frac, nfrac);
		return 9 + nfrac;
	}
	case KP_TIME: {
		size_t n = v->len;

		/* hh:mm:ss[.f]: 10:00:00.50 is 10:00:00.5, .0 is none. */
		if (n > 8 && v->s[8] == '.') {
			while (n > 9 && v->s[n - 1] == '0')
				n--;
			if (n == 9)
				n = 8;
		}
		out[0] = 's';
		if (n > 0)
			memcpy(out + 1, v->s, n);
		return 1 + n;
	}
	default:
		break;
	}
	out[0] = 's';
	if (v->len > 0)
		memcpy(out + 1, v->s, v->len);
	return 1 + v->len;
}
