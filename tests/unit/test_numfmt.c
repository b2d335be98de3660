/*
 * test_numfmt.c -- ku_fmt_double (util/numfmt.c), the one double-to-text
 * of the JSON and CSV writers: every finite double reads back with strtod
 * to the same bits, and the text is byte for byte what the previous
 * formatter wrote (reference copy below: the seven-step loop over
 * k = 0..6, then %.15g..%.17g), so that the one-test fast path changes
 * no answer.  Values: fixed special cases (0.1, 1e21, -0.0, 2^53+1,
 * subnormals, the edges 1e9 and 1e12 of the fast paths, ties), random
 * bit patterns, and random decimals with 0..7 fraction digits (the
 * common case the fast path is for).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kutil.h"
#include "tap.h"

/* The formatter before the one-test fast path, kept as the reference. */
static void
ref_fixed(char *out, long long v, int frac)
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
}

static void
ref_fmt(char *out, size_t len, double d)
{
	static const double p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
	int prec;

	if (len >= 32 && d != 0 && fabs(d) < 1e12) {
		for (prec = 0; prec <= 6; prec++) {
			long long m = llround(d * p10[prec]);

			if ((double)m / p10[prec] == d) {
				ref_fixed(out, m, prec);
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

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t
next(void)              /* xorshift64*: fixed seed, same values every run */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static int nbad_rt, nbad_ref;
static char first_bad[200];

/* Formats d, parses it back, compares with the reference; counts
 * failures (one ok() per group keeps the TAP output short). */
static void
check(double d)
{
	char   got[40], want[40];
	double back;

	ku_fmt_double(got, sizeof(got), d);
	ref_fmt(want, sizeof(want), d);
	if (strcmp(got, want) != 0) {
		if (!nbad_ref++ && !nbad_rt)
			snprintf(first_bad, sizeof(first_bad),
			         "%a: got '%s', reference '%s'", d, got, want);
	}
	if (isnan(d)) {
		if (strcmp(got, "NaN") != 0 && !nbad_rt++)
			snprintf(first_bad, sizeof(first_bad), "NaN as '%s'", got);
		return;
	}
	if (isinf(d)) {
		if (strcmp(got, d < 0 ? "-INF" : "INF") != 0 && !nbad_rt++)
			snprintf(first_bad, sizeof(first_bad), "inf as '%s'", got);
		return;
	}
	back = strtod(got, NULL);
	if (memcmp(&back, &d, sizeof(d)) != 0 && !nbad_rt++)
		snprintf(first_bad, sizeof(first_bad), "%a -> '%s' -> %a", d,
		         got, back);
}

static void
group(const char *what)
{
	ok(nbad_rt == 0, "%s: every value reads back to the same bits", what);
	ok(nbad_ref == 0, "%s: same text as the previous formatter", what);
	if (nbad_rt || nbad_ref)
		printf("#   %d round-trip, %d text differences; first: %s\n",
		       nbad_rt, nbad_ref, first_bad);
	nbad_rt = nbad_ref = 0;
}

static void
is_fmt(double d, const char *want)
{
	char got[40];

	ku_fmt_double(got, sizeof(got), d);
	is_str(got, want, "%.17g is written '%s'", d, want);
}

int
main(void)
{
	static const double fixed[] = {
		0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 1e21, 1e22, 1e-7, 1e-6, 1e-5,
		0.000001, 0.0000015, 123456.789, 6.37, 30.74, 37.95, -6.2088,
		106.8456, 1e9, 1e9 - 0.5, 1e9 - 1e-6, 999999999.999999,
		-999999999.999999, 1e12, 1e12 - 1, 999999999999.5, 4503599627370496.0,
		9007199254740993.0 /* 2^53+1 rounds to 2^53 */, 9007199254740992.0,
		0.5, 1.5, 2.5, 0.0000005, 0.0000025, 1e-300, 1e300, DBL_MAX,
		-DBL_MAX, DBL_MIN, DBL_MIN / 2, 4.9406564584124654e-324,
		-4.9406564584124654e-324, DBL_EPSILON, 1 + DBL_EPSILON, 0.0,
		-0.0, 1234.5, -1234.5, 100, -100, 1e8, 123456789.123456,
	};
	size_t i;
	int    k;

	/* the shapes named in the task: written as before, exactly */
	is_fmt(0.1, "0.1");
	is_fmt(-0.0, "-0");
	is_fmt(0.0, "0");
	is_fmt(1e21, "1e+21");
	is_fmt(9007199254740993.0, "9007199254740992");
	is_fmt(6.37, "6.37");
	is_fmt(-1234.5, "-1234.5");
	is_fmt(100, "100");
	is_fmt(0.000001, "0.000001");
	is_fmt(1e-7, "1e-07");
	is_fmt(4.9406564584124654e-324, "4.94065645841247e-324");
	is_fmt(NAN, "NaN");
	is_fmt(-INFINITY, "-INF");

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		check(fixed[i]);
		check(nextafter(fixed[i], INFINITY));
		check(nextafter(fixed[i], -INFINITY));
	}
	group("special values and their neighbours");

	for (i = 0; i < 200000; i++) {
		uint64_t u = next();
		double   d;

		memcpy(&d, &u, sizeof(d));
		check(d);
	}
	group("200,000 random bit patterns");

	for (i = 0; i < 20000; i++) {
		uint64_t u = next() & 0x000FFFFFFFFFFFFFULL;   /* subnormal */
		double   d;

		memcpy(&d, &u, sizeof(d));
		check(i & 1 ? -d : d);
	}
	group("20,000 subnormals");

	/* decimals m / 10^k: the common case of the fast path, at every
	 * magnitude around its bound 1e9 and the old one 1e12 */
	for (k = 0; k <= 8; k++) {
		for (i = 0; i < 40000; i++) {
			uint64_t u = next();
			int      digits = 1 + (int)(u % 16);
			long long m = (long long)((u >> 8) % 10000000000000000ULL);
			double   d;

			while (digits < 16 && m >= 10) {   /* vary the length */
				m /= 10;
				digits++;
			}
			d = (double)m / pow(10, k);
			check(u & 1 ? -d : d);
			check(nextafter(d, INFINITY));
		}
	}
	group("720,000 decimals with 0-8 fraction digits and neighbours");

	for (i = 0; i < 100000; i++) {    /* uniform in [-2e12, 2e12] */
		double d = ((double)(next() >> 11) / 9007199254740992.0 - 0.5) * 4e12;

		check(d);
		check(round(d * 100) / 100);
	}
	group("200,000 uniform values below 2e12, and rounded to cents");
	return tap_done();
}
