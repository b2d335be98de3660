/*
 * iso8601.c -- calendar and duration rules of ISO 8601 (kutil.h), shared
 * by the query lexer (date and duration literals) and functions, the
 * publisher's type checks and keys, the inventory's day arithmetic and
 * the catalog's update-frequency arithmetic.
 */
#include <string.h>

#include "kutil.h"

static int
isdig(unsigned char c)
{
	return c >= '0' && c <= '9';
}

int
ku_leap_year(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
ku_days_in_month(long long y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30,
	                           31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return 0;
	return m == 2 && ku_leap_year(y) ? 29 : d[m - 1];
}

/*
 * Days from 1970-01-01 to the proleptic Gregorian date y-m-d (negative
 * before), H. Hinnant's days_from_civil: exact for every year, no table,
 * no time_t.  m is 1..12 and d 1..31; the caller has checked the date.
 */
long long
ku_days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;                                   /* [0, 399] */
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  /* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* The designators in order: YMWD before the T, HMS after it. */
static const char dur_des[KU_DUR__N] = { 'Y', 'M', 'W', 'D', 'H', 'M', 'S' };

int
ku_duration_parse(const char *s, size_t n, int flags, int max_digits,
                  ku_duration *d, size_t *pos)
{
	size_t i = 0;
	int    last = -1, u, lo, hi;

	memset(d, 0, sizeof(*d));
	for (u = 0; u < KU_DUR__N; u++)
		d->frac[u] = -1;
	*pos = 0;
	if ((flags & KU_DUR_SIGN) && i < n && s[i] == '-') {
		d->neg = 1;
		i++;
	}
	if (i >= n || s[i] != 'P')
		return *pos = i, KU_DUR_ESYNTAX;
	for (i++; i < n;) {
		double v = 0, scale = 0.1;
		int    nd = 0, nf = -1;
		char   mark = 0;

		if (s[i] == 'T') {
			if (flags & KU_DUR_NOTIME)
				return *pos = i, KU_DUR_ETIME;
			if (d->has_time)
				return *pos = i, KU_DUR_ESYNTAX;
			d->has_time = 1;
			if (++i >= n)  /* "PT", "P1DT": a T needs a part */
				return *pos = i, KU_DUR_ESYNTAX;
			continue;
		}
		while (i < n && isdig((unsigned char)s[i])) {
			if (max_digits > 0 && nd >= max_digits)
				return *pos = i, KU_DUR_EDIGITS;
			v = v * 10 + (s[i++] - '0');
			nd++;
		}
		if (nd == 0 || i >= n)
			return *pos = i, KU_DUR_ESYNTAX;
		if (s[i] == '.' || s[i] == ',') {
			if (flags & KU_DUR_NOFRAC)
				return *pos = i, KU_DUR_EFRAC;
			mark = s[i];
			for (i++, nf = 0; i < n && isdig((unsigned char)s[i]); i++, nf++) {
				v += (s[i] - '0') * scale;
				scale /= 10;
			}
			if (i >= n)
				return *pos = i, KU_DUR_ESYNTAX;
		}
		/* Only a designator later than the last one, in this half. */
		lo = d->has_time ? KU_DUR_H : 0;
		hi = d->has_time ? KU_DUR__N : KU_DUR_H;
		for (u = last + 1 > lo ? last + 1 : lo; u < hi && dur_des[u] != s[i];
		     u++)
			;
		if (u >= hi)
			return *pos = i, KU_DUR_ESYNTAX;
		d->v[u] = v;
		d->digits[u] = nd;
		d->frac[u] = nf;
		d->mark[u] = mark;
		d->nparts++;
		last = u;
		i++;
	}
	if (d->nparts == 0)
		return *pos = i, KU_DUR_ESYNTAX;
	return KU_DUR_OK;
}

int
ku_duration_valid(const char *s, size_t n)
{
	ku_duration d;
	size_t      pos;
	int         u;

	if (ku_duration_parse(s, n, KU_DUR_SIGN, 0, &d, &pos) != KU_DUR_OK ||
	    d.digits[KU_DUR_Y] || d.digits[KU_DUR_MO] || d.digits[KU_DUR_W])
		return 0;
	for (u = 0; u < KU_DUR__N; u++)   /* a fraction: seconds only, '.' */
		if (d.mark[u] && (u != KU_DUR_S || d.mark[u] != '.'))
			return 0;
	return 1;
}


/*
 * The length of a calendar duration PnYnMnWnDTnHnMnS in seconds, with a
 * year of 365.2425 days and a month of a twelfth of that (a bound, not
 * calendar arithmetic).  The scanner sums digits as doubles, so no
 * component can wrap or be truncated on the way: "P99999999999Y" comes
 * out as the 3.2e18 s it means and the caller's range check refuses it.
 */
int
ku_duration_span(const char *s, size_t n, double *seconds)
{
	static const double mul[KU_DUR__N] = { 31556952.0, 2629746.0, 604800.0,
	                                       86400.0, 3600.0, 60.0, 1.0 };
	ku_duration d;
	size_t      pos;
	double      total = 0;
	int         u;

	if (ku_duration_parse(s, n, 0, 0, &d, &pos) != KU_DUR_OK)
		return -1;
	for (u = 0; u < KU_DUR__N; u++)   /* in the order written */
		if (d.digits[u])
			total += d.v[u] * mul[u];
	*seconds = total;
	return 0;
}
