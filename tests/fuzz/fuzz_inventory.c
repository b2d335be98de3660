/*
 * fuzz_inventory.c -- libFuzzer harness for the inventory's parsers and
 * schedule arithmetic (inventory/kdate.c, inventory/status.c).
 *
 * Input: text lines.  Line 1 is tried as a date, line 2 as a period; when
 * both parse, the rest (each line a date) are deliveries, evaluated on
 * each of them as "today" with windows 0 and 14.  Properties checked (a
 * broken one aborts, so libFuzzer keeps the input):
 *   - a date that parses prints back byte for byte;
 *   - a period that parses is not zero and within KI_PERIOD_MAX_DAYS;
 *     its deadlines first + k x period strictly increase with k;
 *   - every status is a known one; days late are >= 0 and only for
 *     overdue/stale; deadlines met <= deadlines; the next deadline is
 *     after the last delivery unless the entry is overdue.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"

static const char *
line_at(const char *s, size_t n, size_t *pos, size_t *len)
{
	size_t st = *pos, i = st;

	if (st >= n)
		return NULL;
	while (i < n && s[i] != '\n')
		i++;
	*len = i - st;
	*pos = i + 1;
	return s + st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *l, *why;
	size_t pos = 0, len;
	ki_entry e;
	ki_inventory inv;
	ki_day first, d, prev = 0, deliv[16];
	ki_period p;
	char b[11];
	int i, nd = 0, w, have_first;
	long long k;

	if (size > 4096)
		return 0;
	memset(&e, 0, sizeof e);
	if ((l = line_at(s, size, &pos, &len)) == NULL)
		return 0;
	have_first = ki_day_parse(l, len, &first, &why) == 0;
	if (have_first) {
		ki_day_format(first, b);
		if (len != 10 || memcmp(b, l, 10) != 0)
			abort();
	}
	if ((l = line_at(s, size, &pos, &len)) == NULL)
		return 0;
	if (ki_period_parse(l, len, &p, &why) != 0)
		return 0;
	if ((p.months == 0 && p.days == 0) ||
	    p.months * 28 + p.days > KI_PERIOD_MAX_DAYS * 2)
		abort();
	if (!have_first)
		return 0;
	for (k = 0; k < 50; k++) {
		if (ki_day_add(first, &p, k, &d))
			break;
		if (k > 0 && d <= prev)
			abort();
		prev = d;
	}
	while (nd < 16 && (l = line_at(s, size, &pos, &len)) != NULL)
		if (ki_day_parse(l, len, &deliv[nd], &why) == 0)
			nd++;
	/* Deliveries ascending and distinct, as the loader keeps them. */
	for (i = 1; i < nd; i++) {
		int j = i;

		while (j > 0 && deliv[j - 1] > deliv[j]) {
			d = deliv[j]; deliv[j] = deliv[j - 1]; deliv[j - 1] = d;
			j--;
		}
	}
	e.name = e.title = e.publisher = (char *)"f";
	e.first = first;
	e.frequency = (char *)"P";
	e.period = p;
	e.deliv = deliv;
	e.ndeliv = nd;
	inv.version = 1;
	inv.due_window = 14;
	inv.n = 1;
	inv.e = &e;
	for (i = 0; i <= nd; i++) {
		ki_day today = i < nd ? deliv[i] : first;

		for (w = 0; w <= 14; w += 14) {
			ki_evaluate(&inv, today, w);
			if ((int)e.status < 0 || e.status >= KI__MAX ||
			    e.days_late < 0 || e.met > e.deadlines ||
			    (e.days_late > 0 && e.status != KI_OVERDUE &&
			     e.status != KI_STALE))
				abort();
			if (e.has_next && e.has_last && e.status != KI_OVERDUE &&
			    e.next_due < e.last)
				abort();
		}
	}
	return 0;
}
