/*
 * test_duration.c -- the one ISO 8601 duration scanner (util/iso8601.c
 * ku_duration_parse) and each grammar built on it: ku_duration_span,
 * ku_duration_valid, the query's kq_duration_ok, Table Schema's
 * kvt_duration_ok, the inventory's ki_period_parse and the catalog's
 * portal_frequency_parse.  Cases are the table tests/data/duration.txt;
 * adding one needs no C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../portal/portal_int.h"
#include "../../publish/types.h"
#include "../../query/kq_int.h"
#include "inventory.h"
#include "kutil.h"
#include "tap.h"

/* The scanner's answer as the table writes it. */
static void
describe(int rc, size_t pos, const ku_duration *d, char *out, size_t sz)
{
	static const char *const err[] = { "ok", "esyntax", "etime", "edigits",
	                                   "efrac" };
	static const char des[] = "YMWDHMS";
	size_t k;
	int    u;

	if (rc != KU_DUR_OK) {
		snprintf(out, sz, "%s@%zu", rc >= 0 && rc <= 4 ? err[rc] : "?", pos);
		return;
	}
	k = (size_t)snprintf(out, sz, "ok%s", d->neg ? " -" : "");
	for (u = 0; u < KU_DUR__N && k < sz; u++) {
		if (u == KU_DUR_H && d->has_time)
			k += (size_t)snprintf(out + k, sz - k, " T");
		if (d->digits[u])
			k += (size_t)snprintf(out + k, sz - k, " %c%.15g", des[u],
			                      d->v[u]);
	}
}

static int
flags_of(const char *f)
{
	int fl = 0;

	if (strcmp(f, "-") == 0)
		return 0;
	for (; *f; f++)
		fl |= *f == 's' ? KU_DUR_SIGN : *f == 't' ? KU_DUR_NOTIME
		    : *f == 'f' ? KU_DUR_NOFRAC : 0x100;
	return fl;
}

int
main(void)
{
	FILE *f = fopen("tests/data/duration.txt", "r");
	char  line[256];
	int   cases = 0;

	if (f == NULL) {
		ok(0, "open tests/data/duration.txt (run from the repo root)");
		return tap_done();
	}
	while (fgets(line, sizeof line, f)) {
		char        kind[16], a[64], b[64], c[64], got[160];
		const char *rest, *text;
		int         n, off = 0;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		cases++;
		n = sscanf(line, "%15s %63s %n", kind, a, &off);
		if (n != 2) {
			ok(0, "malformed case line: %s", line);
			continue;
		}
		rest = line + off;
		text = strcmp(a, "''") == 0 ? "" : a;
		if (strcmp(kind, "scan") == 0) {
			ku_duration d;
			size_t      pos = 0;
			int         rc;

			/* scan FLAGS MAXDIG TEXT RESULT... */
			if (sscanf(rest, "%63s %63s %n", b, c, &off) != 2 ||
			    flags_of(a) > 7) {
				ok(0, "malformed scan case: %s", line);
				continue;
			}
			text = strcmp(c, "''") == 0 ? "" : c;
			rc = ku_duration_parse(text, strlen(text), flags_of(a),
			                       atoi(b), &d, &pos);
			describe(rc, pos, &d, got, sizeof got);
			is_str(got, rest + off, "scan [%s,%s] \"%s\" -> %s", a, b,
			       text, rest + off);
		} else if (strcmp(kind, "span") == 0) {
			double sec = 0;

			if (ku_duration_span(text, strlen(text), &sec) != 0)
				snprintf(got, sizeof got, "error");
			else
				snprintf(got, sizeof got, "%.15g", sec);
			is_str(got, rest, "span \"%s\" = %s", text, rest);
		} else if (strcmp(kind, "valid") == 0 || strcmp(kind, "kq") == 0 ||
		           strcmp(kind, "kvt") == 0) {
			int r = kind[0] == 'v' ? ku_duration_valid(text, strlen(text))
			      : kind[1] == 'q' ? kq_duration_ok(text, strlen(text))
			                       : kvt_duration_ok(text, strlen(text));

			is_int(r, atoi(rest), "%s \"%s\" is %s", kind, text,
			       atoi(rest) ? "accepted" : "refused");
		} else if (strcmp(kind, "period") == 0) {
			ki_period   p;
			const char *why = "";
			int         rc = ki_period_parse(text, strlen(text), &p, &why);

			if (strcmp(rest, "ok") == 0)
				ok(rc == 0, "period \"%s\" parses", text);
			else {
				ok(rc == -1 && strstr(why, rest) != NULL,
				   "period \"%s\" is refused: \"%s\"", text, rest);
				if (rc == 0 || strstr(why, rest) == NULL)
					printf("#   got rc %d: %s\n", rc, why);
			}
		} else if (strcmp(kind, "freq") == 0) {
			kp_duration d;

			if (portal_frequency_parse(text, &d) != 0)
				snprintf(got, sizeof got, "bad");
			else
				snprintf(got, sizeof got, "%lld,%lld,%lld,%lld", d.years,
				         d.months, d.days, d.seconds);
			is_str(got, rest, "freq \"%s\" -> %s", text, rest);
		} else {
			ok(0, "unknown case kind: %s", line);
		}
	}
	fclose(f);
	ok(cases >= 90, "the case table has its cases (%d)", cases);
	return tap_done();
}
