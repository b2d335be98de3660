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

/* m / 10^6 as fixed text without trailing fraction zeros (nor a bare
 * '.'): the shortest k <= 6 of the loop below, read off the digits
 * instead of dividing m by 10 per zero; returns the length. */
static size_t
fixed6(char *out, long long m)
{
	/* "00".."99": two digits per division */
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930"
		"31323334353637383940414243444546474849505152535455565758596061"
		"62636465666768697071727374757677787980818283848586878889909192"
		"93949596979899";
	char               tmp[32], *e = tmp + sizeof(tmp);
	unsigned long long u = m < 0 ? 0ULL - (unsigned long long)m
	                             : (unsigned long long)m;
	unsigned           r = (unsigned)(u % 1000000), ip;
	size_t             n;
	int                k, nf = 6;

	u /= 1000000;
	if (r) {
		/* fraction digits without the trailing zeros */
		while (r % 10 == 0) {
			r /= 10;
			nf--;
		}
		for (k = nf; k >= 2; k -= 2) {
			e -= 2;
			memcpy(e, pairs + 2 * (r % 100), 2);
			r /= 100;
		}
		if (k == 1)
			*--e = (char)('0' + r);
		*--e = '.';
	}
	while (u >= 100) {
		ip = (unsigned)(u % 100);
		u /= 100;
		e -= 2;
		memcpy(e, pairs + 2 * ip, 2);
	}
	if (u >= 10) {
		e -= 2;
		memcpy(e, pairs + 2 * u, 2);
	} else
		*--e = (char)('0' + u);
	if (m < 0)
		*--e = '-';
	n = (size_t)(tmp + sizeof(tmp) - e);
	memcpy(out, e, n);
	out[n] = '\0';
	return n;
}

void
ku_fmt_double(char *out, size_t len, double d)
{
	(void)ku_fmt_dbl(out, len, d);
}

size_t
ku_fmt_dbl(char *out, size_t len, double d)
{
	static const double p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
	int prec;

	/*
	 * Fast path for the common case, a decimal with at most 6 fraction
	 * digits: if m / 10^k (both exact doubles, so one correctly rounded
	 * division) equals d, the text "m·10^-k" parses back to d exactly.
	 * The smallest such k gives the shortest fixed form.
	 */
	if (len >= 32 && d != 0 && fabs(d) < 1e9) {
		/*
		 * The same answer with one test instead of up to seven: below
		 * 1e9 the error of d·10^6 against the decimal d stands for is
		 * under 0.13 (half an ulp of d, 6·10^-8, times 10^6, plus the
		 * product's own rounding, at most 0.0625 below 2^50), so if any k <= 6 fits, with digits
		 * m_k, then round(d·10^6) is exactly m_k·10^(6-k) and fits
		 * too; and a fit at 6 with trailing zeros fits at every k
		 * the zeros allow, with the same rational m/10^k and so the
		 * same double.  Dropping the zeros gives the smallest k,
		 * which is what the loop below finds.  Rounding is by hand
		 * (llround is a libm call): s - trunc(s) is exact here, and a
		 * tie cannot fit (it is 5·10^-7 away from every candidate,
		 * far more than half an ulp of d), so its direction does not
		 * matter.
		 */
		double    sc = d * 1e6;
		long long m = (long long)sc;
		double    fr = sc - (double)m;

		if (fr >= 0.5)
			m++;
		else if (fr <= -0.5)
			m--;
		if ((double)m / 1e6 == d)
			return fixed6(out, m);
		/* no k <= 6 fits: the %.17g search below */
	} else if (len >= 32 && d != 0 && fabs(d) < 1e12) {
		for (prec = 0; prec <= 6; prec++) {
			double    s = d * p10[prec];
			long long m = llround(s);

			if ((double)m / p10[prec] == d)
				return fixed_digits(out, m, prec);
		}
	}

	if (isnan(d)) {
		snprintf(out, len, "NaN");
		return strlen(out);
	}
	if (isinf(d)) {
		snprintf(out, len, d < 0 ? "-INF" : "INF");
		return strlen(out);
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, len, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
	return strlen(out);
}
