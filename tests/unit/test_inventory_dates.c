/*
 * test_inventory_dates.c -- the inventory's calendar (inventory/kdate.c),
 * from the case table tests/data/inventory/dates.txt: strict dates and
 * schedule periods (with the error each bad one gets), DATE + k x PERIOD
 * with month-end clamping and leap days, and month shifts.  Adding a case
 * needs no C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "tap.h"

static const char *
day(ki_day d, char b[11])
{
	ki_day_format(d, b);
	return b;
}

int
main(void)
{
	FILE *f = fopen("tests/data/inventory/dates.txt", "r");
	char line[256];
	int cases = 0;

	if (f == NULL) {
		ok(0, "open tests/data/inventory/dates.txt (run from the repo root)");
		return tap_done();
	}
	while (fgets(line, sizeof line, f)) {
		char kind[16], a[64], b[64], c[64], want[128], got[128];
		const char *why = "";
		ki_day d, r;
		ki_period p;
		int n, rc;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		cases++;
		n = sscanf(line, "%15s %63s", kind, a);
		if (n != 2) {
			ok(0, "malformed case line: %s", line);
			continue;
		}
		if (strcmp(kind, "date") == 0 || strcmp(kind, "period") == 0) {
			const char *w = line + strlen(kind) + 1 + strlen(a) + 1;

			if (strcmp(kind, "date") == 0)
				rc = ki_day_parse(a, strlen(a), &d, &why);
			else
				rc = ki_period_parse(a, strlen(a), &p, &why);
			if (strcmp(w, "ok") == 0)
				ok(rc == 0, "%s %s parses", kind, a);
			else {
				ok(rc == -1 && strstr(why, w) != NULL,
				   "%s %s is refused: \"%s\"", kind, a, w);
				if (rc == 0 || strstr(why, w) == NULL)
					printf("#   got rc %d: %s\n", rc, why);
			}
			if (rc == 0 && strcmp(kind, "date") == 0)
				is_str(day(d, got), a, "%s prints back the same", a);
		} else if (strcmp(kind, "add") == 0) {
			long long k;

			if (sscanf(line, "%*s %63s %63s %lld %127s", a, b, &k,
			           want) != 4 ||
			    ki_day_parse(a, strlen(a), &d, &why) ||
			    ki_period_parse(b, strlen(b), &p, &why)) {
				ok(0, "malformed add case: %s", line);
				continue;
			}
			rc = ki_day_add(d, &p, k, &r);
			is_str(rc ? "error" : day(r, got), want, "%s + %lld x %s = %s",
			       a, k, b, want);
		} else if (strcmp(kind, "months") == 0) {
			long long m;

			if (sscanf(line, "%*s %63s %lld %63s", a, &m, c) != 3 ||
			    ki_day_parse(a, strlen(a), &d, &why)) {
				ok(0, "malformed months case: %s", line);
				continue;
			}
			rc = ki_day_add_months(d, m, &r);
			is_str(rc ? "error" : day(r, got), c, "%s shifted %lld months"
			       " = %s", a, m, c);
		} else {
			ok(0, "unknown case kind: %s", line);
		}
	}
	fclose(f);
	ok(cases >= 50, "the case table has its cases (%d)", cases);
	return tap_done();
}
