/*
 * test_calendar.c -- util/iso8601.c's calendar: ku_days_from_civil, the
 * one days-from-civil that the inventory's day numbers, the query's
 * datetime instants and the publisher's datetime keys and bounds all use.
 * Fixed days from independent sources, then every day from 0400-01-01
 * BCE (year -400) to 9999-12-31 walked one at a time with
 * ku_days_in_month: each is the previous plus one.
 */
#include <stdio.h>

#include "kutil.h"
#include "tap.h"

static const struct {
	long long y;
	int       m, d;
	long long days;
	const char *why;
} fixed[] = {
	{ 1970, 1, 1, 0, "the epoch" },
	{ 1969, 12, 31, -1, "the day before the epoch" },
	{ 2000, 2, 29, 11016, "a leap day of a year divisible by 400" },
	{ 2000, 3, 1, 11017, "the day after it" },
	{ 1900, 3, 1, -25508, "1900 is not a leap year (Feb has 28 days)" },
	{ 2024, 1, 1, 19723, "date +%s -d 2024-01-01Z / 86400" },
	{ 2038, 1, 19, 24855, "the 32-bit time_t day" },
	{ 1, 1, 1, -719162, "0001-01-01, the inventory's first day" },
	{ 9999, 12, 31, 2932896, "9999-12-31, the inventory's last day" },
	{ 0, 3, 1, -719468, "0000-03-01, the algorithm's era start" },
	{ 0, 2, 29, -719469, "year 0 is a leap year (proleptic Gregorian)" },
	{ -1, 3, 1, -719834, "a negative year: 366 days before 0000-03-01" },
};

int
main(void)
{
	size_t    i;
	long long y, prev, bad = 0;
	int       m, d;

	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		is_int(ku_days_from_civil(fixed[i].y, fixed[i].m, fixed[i].d),
		       fixed[i].days, "%04lld-%02d-%02d is day %lld: %s", fixed[i].y,
		       fixed[i].m, fixed[i].d, fixed[i].days, fixed[i].why);
	prev = ku_days_from_civil(-400, 1, 1) - 1;
	for (y = -400; y <= 9999; y++)
		for (m = 1; m <= 12; m++)
			for (d = 1; d <= ku_days_in_month(y, m); d++) {
				long long k = ku_days_from_civil(y, m, d);

				if (k != prev + 1 && bad++ < 5)
					printf("#   %lld-%02d-%02d is %lld, after %lld\n", y, m,
					       d, k, prev);
				prev = k;
			}
	is_int(bad, 0, "every day from -0400-01-01 to 9999-12-31 follows the one "
	       "before it");
	is_int(prev, 2932896, "and the walk ends on 9999-12-31's number");
	return tap_done();
}
