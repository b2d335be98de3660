/*
 * kdate.c -- strict ISO 8601 calendar dates and schedule periods, and the
 * arithmetic the inventory needs, in whole days (UTC, proleptic Gregorian).
 *
 * Periods are scanned by util's ku_duration_parse (the one ISO 8601
 * duration scanner); a schedule is counted in days, so a time part or a
 * fraction is an error here, and every number is range-checked instead of
 * being truncated ("P99999999999Y" is refused, not read as something).
 * Day numbers use the days-from-civil algorithm (H. Hinnant: kutil.h's
 * ku_days_from_civil, its inverse here), exact for every year; we keep
 * years 1..9999 so every day prints as yyyy-mm-dd.
 */
#include <string.h>
#include <time.h>

#include "inventory.h"
#include "kutil.h"

static void
civil_from_days(ki_day z, long long *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* The first and last day we represent: 0001-01-01 and 9999-12-31. */
#define DAY_MIN (-719162LL)
#define DAY_MAX (2932896LL)

static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
ki_day_parse(const char *s, size_t n, ki_day *out, const char **why)
{
	int y, m, d;

	*why = "not a date yyyy-mm-dd";
	if (s == NULL || n != 10 || s[4] != '-' || s[7] != '-' ||
	    digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d))
		return -1;
	if (y < 1) {
		*why = "year 0000 is out of range";
		return -1;
	}
	if (m < 1 || m > 12) {
		*why = "month out of range 01..12";
		return -1;
	}
	if (d < 1 || d > ku_days_in_month(y, m)) {
		*why = m == 2 && d == 29 ? "February 29 in a year that is not a"
		                           " leap year"
		                         : "day out of range for the month";
		return -1;
	}
	*out = ku_days_from_civil(y, m, d);
	return 0;
}

void
ki_day_format(ki_day d, char buf[11])
{
	long long y;
	int m, dd;

	if (d < DAY_MIN || d > DAY_MAX) {
		memcpy(buf, "0000-00-00", 11);
		return;
	}
	civil_from_days(d, &y, &m, &dd);
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + dd / 10);
	buf[9] = (char)('0' + dd % 10);
	buf[10] = '\0';
}

ki_day
ki_day_of(long long t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

ki_day
ki_day_today(void)
{
	return ki_day_of((long long)time(NULL));
}

/*
 * PnYnMnWnD in that order, each part optional but at least one; numbers
 * of 1..9 digits; total length bounded.  A 'T' (time part) is refused
 * with its own message: schedules are kept in days.
 */
int
ki_period_parse(const char *s, size_t n, ki_period *out, const char **why)
{
	ku_duration dur;
	size_t      pos;
	long long   y, mo, w, d;

	memset(out, 0, sizeof *out);
	*why = "not an ISO 8601 duration such as P1D, P1W, P1M, P3M, P6M or P1Y";
	if (s == NULL || n < 3 || s[0] != 'P')
		return -1;
	switch (ku_duration_parse(s, n, KU_DUR_NOTIME | KU_DUR_NOFRAC, 9, &dur,
	                          &pos)) {
	case KU_DUR_OK:
		break;
	case KU_DUR_ETIME:
		*why = "a schedule is counted in days: a time part (T...)"
		       " is not allowed";
		return -1;
	case KU_DUR_EDIGITS:
		*why = "a number in the duration is too large (at most 9 digits)";
		return -1;
	case KU_DUR_EFRAC:
		*why = "fractions are not allowed in a schedule duration";
		return -1;
	default:
		return -1;
	}
	/* At most 9 digits each, so exact in a double and these products
	 * cannot overflow. */
	y = (long long)dur.v[KU_DUR_Y];
	mo = (long long)dur.v[KU_DUR_MO];
	w = (long long)dur.v[KU_DUR_W];
	d = (long long)dur.v[KU_DUR_D];
	if (y * 366 + mo * 31 + w * 7 + d > KI_PERIOD_MAX_DAYS) {
		*why = "the duration is out of range (at most about 100 years)";
		return -1;
	}
	if (y + mo + w + d == 0) {
		*why = "a zero duration is not a schedule";
		return -1;
	}
	out->months = 12 * y + mo;
	out->days = 7 * w + d;
	return 0;
}

int
ki_day_add_months(ki_day d, long long n, ki_day *out)
{
	long long y, mm;
	int m, dd, ml;

	if (d < DAY_MIN || d > DAY_MAX || n > 120000 || n < -120000)
		return -1;
	civil_from_days(d, &y, &m, &dd);
	mm = y * 12 + (m - 1) + n;
	if (mm < 12 || mm >= 10000 * 12)
		return -1;
	y = mm / 12;
	m = (int)(mm % 12) + 1;
	ml = ku_days_in_month(y, m);
	if (dd > ml)
		dd = ml;
	*out = ku_days_from_civil(y, m, dd);
	return 0;
}

int
ki_day_add(ki_day d, const ki_period *p, long long k, ki_day *out)
{
	ki_day r;

	if (k < 0 || k > 4000000)
		return -1;
	/* From the original date every time, so month ends do not drift:
	 * Jan 31 + 2 × P1M is Mar 31, not Feb 28 + P1M = Mar 28. */
	if (ki_day_add_months(d, k * p->months, &r))
		return -1;
	r += k * p->days;
	if (r < DAY_MIN || r > DAY_MAX)
		return -1;
	*out = r;
	return 0;
}
