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

