/*
 * numfmt.c -- numbers as text (kutil.h): the shortest decimal that reads
 * back to the same double, shared by the JSON and CSV writers, the
 * SQLite function kq_dblstr and the AST dump.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kutil.h"

/* Digits of v (|v| < 1e18) into out, with a '.' before the last `frac`
 * digits; returns the length. */
static size_t
fixed_digits(char *out, long long v, int frac)
{
	char   tmp[32];
	size_t n = 0, k = 0;
	int    neg = v < 0;
	unsigned long long u = neg ? 0ULL - (unsigned long long)v
	                           : (unsigned long long)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u || (int)n <= frac);
	if (neg)
		out[k++] = '-';
	while (n) {
		if ((int)n == frac)
			out[k++] = '.';
		out[k++] = tmp[--n];
	}
	out[k] = '\0';
	return k;
}

void
ku_fmt_double(char *out, size_t len, double d)
{
	static const double p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
	int prec;

	/*
	 * Fast path for the common case, a decimal with at most 6 fraction
	 * digits: if m / 10^k (both exact doubles, so one correctly rounded
	 * division) equals d, the text "m·10^-k" parses back to d exactly.
	 * The smallest such k gives the shortest fixed form.
	 */
	if (len >= 32 && d != 0 && fabs(d) < 1e12) {
		for (prec = 0; prec <= 6; prec++) {
			double    s = d * p10[prec];
			long long m = llround(s);

			if ((double)m / p10[prec] == d) {
				fixed_digits(out, m, prec);
				return;
			}
		}
	}

	if (isnan(d)) {
		snprintf(out, len, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(out, len, d < 0 ? "-INF" : "INF");
		return;
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, len, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
}
