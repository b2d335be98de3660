/*
 * status.c -- what the inventory says about each entry on a given day.
 *
 * The schedule of an entry is its deadlines d_k = first + k × frequency
 * (k = 0, 1, ...; only d_0 without a frequency), each computed from the
 * first date so month ends do not drift, and none on or after the
 * withdrawn date.  Deadline d_k is met by a delivery (a publish, or a
 * recorded delivery) in its period (d_{k-1}, d_k]; the first period has
 * no start.  On day T, with a due window of W days and L the latest
 * delivery on or before T:
 *
 *   withdrawn  the withdrawn date is on or before T
 *   no delivery yet:
 *     planned  T + W < d_0            due   T <= d_0 <= T + W
 *     overdue  d_0 < T (days late: T - d_0)
 *   delivered (L in the period of d_j; N = d_{j+1} the next deadline):
 *     stale      N < T (days late: T - N)
 *     published  d_j >= T (the current deadline is already met), or
 *                N > T + W, or there is no further deadline
 *     due        T <= N <= T + W
 *
 * A deadline on day T itself is not yet missed.  The on-time rate counts
 * the deadlines d with T - 1 year < d < T and how many of them were met;
 * the latest delivery "came on time" when the deadline before its period
 * was met (or it is in the first period).
 */
#include <string.h>

#include "inventory.h"
#include "ki_int.h"

static const char *const status_names[KI__MAX] = {
	[KI_PLANNED]   = "planned",
	[KI_DUE]       = "due",
	[KI_OVERDUE]   = "overdue",
	[KI_PUBLISHED] = "published",
	[KI_STALE]     = "stale",
	[KI_WITHDRAWN] = "withdrawn",
};

const char *
ki_status_name(ki_status s)
{
	return (int)s >= 0 && s < KI__MAX ? status_names[s] : "?";
}

int
ki_status_parse(const char *s, ki_status *out)
{
	int i;

	for (i = 0; s && i < KI__MAX; i++)
		if (strcmp(s, status_names[i]) == 0) {
			*out = (ki_status)i;
			return 0;
		}
	return -1;
}

/* Deadline k of the schedule, whether or not withdrawn cuts it off. */
static int
raw_deadline(const ki_entry *e, long long k, ki_day *d)
{
	if (k < 0 || (k > 0 && e->frequency == NULL))
		return -1;
	if (k == 0) {
		*d = e->first;
		return 0;
	}
	return ki_day_add(e->first, &e->period, k, d);
}

int
ki_deadline(const ki_entry *e, long long k, ki_day *d)
{
	if (raw_deadline(e, k, d))
		return -1;
	if (e->has_withdrawn && *d >= e->withdrawn)
		return -1;
	return 0;
}

/*
 * The index of the first deadline on or after day x, or -1 when there is
 * none (past the last one).  An estimate from the mean period length,
 * then exact steps: deadlines are strictly increasing in k.
 */
long long
ki_period_of(const ki_entry *e, ki_day x)
{
	long long k = 0;
	ki_day d;

	if (x <= e->first)
		return ki_deadline(e, 0, &d) == 0 ? 0 : -1;
	if (e->frequency == NULL)
		return -1;
	{
		double len = (double)e->period.months * 30.436875 +
		             (double)e->period.days;

		k = (long long)((double)(x - e->first) / len) - 2;
		if (k < 0)
			k = 0;
	}
	/* Back while the previous deadline is still on or after x (on the
	 * raw schedule: a withdrawn date must not stop the walk early). */
	while (k > 0 && raw_deadline(e, k - 1, &d) == 0 && d >= x)
		k--;
	for (;;) {
		if (ki_deadline(e, k, &d))
			return -1;
		if (d >= x)
			return k;
		k++;
	}
}

/* Is there a delivery in (lo, hi]?  (has_lo 0: no lower bound.) */
static int
delivered_in(const ki_entry *e, int has_lo, ki_day lo, ki_day hi)
{
	int a = 0, b = e->ndeliv;

	/* First delivery > lo (deliveries ascending). */
	while (has_lo && a < b) {
		int m = a + (b - a) / 2;

		if (e->deliv[m] > lo)
			b = m;
		else
			a = m + 1;
	}
	return a < e->ndeliv && e->deliv[a] <= hi;
}

/* Deadline k met?  Its period is (d_{k-1}, d_k]. */
static int
met(const ki_entry *e, long long k, ki_day dk)
{
	ki_day prev;

	if (k == 0)
		return delivered_in(e, 0, 0, dk);
	if (ki_deadline(e, k - 1, &prev))
		return 0;
	return delivered_in(e, 1, prev, dk);
}

static void
evaluate_one(ki_entry *e, ki_day today, long long window)
{
	ki_day year_ago, d, dj, n;
	long long k, j;
	int i;

	e->has_next = 0;
	e->days_late = 0;
	e->has_last = 0;
	e->last_on_time = 0;
	e->deadlines = e->met = 0;
	for (i = e->ndeliv - 1; i >= 0; i--)
		if (e->deliv[i] <= today) {
			e->has_last = 1;
			e->last = e->deliv[i];
			break;
		}

	/* The last year's deadlines. */
	if (ki_day_add_months(today, -12, &year_ago) == 0) {
		for (k = ki_period_of(e, year_ago + 1); k >= 0; k++) {
			if (ki_deadline(e, k, &d) || d >= today)
				break;
			e->deadlines++;
			e->met += met(e, k, d);
		}
	}

	if (e->has_withdrawn && e->withdrawn <= today) {
		e->status = KI_WITHDRAWN;
	} else if (!e->has_last) {
		e->has_next = 1;
		e->next_due = e->first;
		if (e->first < today) {
			e->status = KI_OVERDUE;
			e->days_late = today - e->first;
		} else {
			e->status = e->first - today <= window ? KI_DUE
			                                       : KI_PLANNED;
		}
	} else {
		j = ki_period_of(e, e->last);
		if (j < 0 || ki_deadline(e, j, &dj) || ki_deadline(e, j + 1, &n)) {
			/* Delivered after the last deadline, or for the last
			 * one: nothing further is expected. */
			e->status = KI_PUBLISHED;
		} else {
			e->has_next = 1;
			e->next_due = n;
			if (n < today) {
				e->status = KI_STALE;
				e->days_late = today - n;
			} else if (dj >= today || n - today > window) {
				e->status = KI_PUBLISHED;
			} else {
				e->status = KI_DUE;
			}
		}
	}
	if (e->has_last) {
		j = ki_period_of(e, e->last);
		if (j == 0)
			e->last_on_time = 1;
		else if (j > 0 && ki_deadline(e, j - 1, &d) == 0)
			e->last_on_time = met(e, j - 1, d);
		else
			e->last_on_time = 0; /* after the last deadline: late */
	}
}

void
ki_evaluate(ki_inventory *inv, ki_day today, long long window)
{
	int i;

	if (window < 0)
		window = inv->due_window;
	for (i = 0; i < inv->n; i++)
		evaluate_one(&inv->e[i], today, window);
}
