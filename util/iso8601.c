/*
 * iso8601.c -- calendar and duration rules of ISO 8601 (kutil.h), shared
 * by the query lexer (date and duration literals), the publisher's type
 * checks and the catalog's update-frequency arithmetic.
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

int
ku_duration_valid(const char *s, size_t n)
{
	size_t i = 0;
	int    any = 0, t = 0, anyt = 0;
	const char *order = "DHMS";
	int    last = -1;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n || s[i] != 'P')
		return 0;
	i++;
	while (i < n) {
		size_t d = 0;
		int    frac = 0, u;

		if (s[i] == 'T') {
			if (t)
				return 0;
			t = 1;
			i++;
			continue;
		}
		while (i < n && isdig((unsigned char)s[i])) {
			i++;
			d++;
		}
		if (i < n && s[i] == '.') {
			i++;
			frac = 1;
			while (i < n && isdig((unsigned char)s[i]))
				i++;
		}
		if (d == 0 || i >= n)
			return 0;
		if (!strchr(order, s[i]) || s[i] == '\0')
			return 0;
		u = (int)(strchr(order, s[i]) - order);
		if ((u == 0 && t) || (u > 0 && !t) || u <= last ||
		    (frac && u != 3))
			return 0;
		last = u;
		any = 1;
		if (t)
			anyt = 1;
		i++;
	}
	return any && (!t || anyt);
}


/*
 * The length of a calendar duration PnYnMnWnDTnHnMnS in seconds, with a
 * year of 365.2425 days and a month of a twelfth of that (a bound, not
 * calendar arithmetic).  Digits are summed as doubles, so no component
 * can wrap or be truncated on the way: "P99999999999Y" comes out as the
 * 3.2e18 s it means and the caller's range check refuses it.
 */
int
ku_duration_span(const char *s, size_t n, double *seconds)
{
	static const char date_des[] = "YMWD", time_des[] = "HMS";
	static const double date_s[] = { 31556952.0, 2629746.0, 604800.0,
	                                 86400.0 };
	static const double time_s[] = { 3600.0, 60.0, 1.0 };
	const char *des = date_des;
	const double *mul = date_s;
	size_t i = 0;
	double total = 0;

	if (n < 2 || s[0] != 'P')
		return -1;
	for (i = 1; i < n;) {
		double v = 0, scale = 0.1;
		size_t d = 0;
		const char *hit;

		if (s[i] == 'T') {
			des = time_des;
			mul = time_s;
			i++;
			continue;
		}
		while (i < n && isdig((unsigned char)s[i])) {
			v = v * 10 + (s[i++] - '0');
			d++;
		}
		if (i < n && (s[i] == '.' || s[i] == ',')) {
			for (i++; i < n && isdig((unsigned char)s[i]); i++) {
				v += (s[i] - '0') * scale;
				scale /= 10;
			}
		}
		if (d == 0 || i >= n || (hit = memchr(des, s[i], strlen(des))) ==
		    NULL)
			return -1;
		total += v * mul[hit - des];
		i++;
	}
	*seconds = total;
	return 0;
}
