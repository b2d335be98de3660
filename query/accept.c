/*
 * accept.c -- content negotiation (RFC 9110 12.5.1) for every route:
 * which of the media types an answer can take does an Accept header
 * admit, and with which parameters.
 *
 * The rule, the same for entity sets, SET/$count, $metadata, the service
 * document, /catalog and /health:
 *  - An offer's quality is the q of the most specific range matching it
 *    ("text/plain" over "text/star" over "star/star"); media parameters other than
 *    q do not change the match (text/plain;charset=utf-8 is text/plain).
 *  - q=0 excludes ("application/json;q=0, star/star" admits everything else).
 *  - The offer with the highest quality wins; equal qualities go to the
 *    service's order of offers (Excel and Power BI send XML and JSON
 *    together for $metadata and must get XML).
 *  - No Accept, or an empty one, admits the first offer.
 *  - Nothing admitted: the caller answers 406.
 * A malformed q value counts as 1 (lenient, like every browser).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kq_int.h"

/* Trim spaces and tabs around [*s, *e). */
static void
trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

/* The q parameter among ";a=b;q=0.5" in [p, end); 1 when absent. */
static double
qvalue(const char *p, const char *end)
{
	while (p < end) {
		const char *semi, *s;

		p++;                    /* the ';' */
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		s = p;
		while (s < semi && (*s == ' ' || *s == '\t'))
			s++;
		if (semi - s >= 2 && (s[0] == 'q' || s[0] == 'Q') && s[1] == '=') {
			char  buf[16];
			size_t n = (size_t)(semi - s - 2);
			char *stop;
			double q;

			if (n >= sizeof buf)
				n = sizeof buf - 1;
			memcpy(buf, s + 2, n);
			buf[n] = '\0';
			q = strtod(buf, &stop);
			if (stop == buf || q < 0 || q > 1)
				return 1;
			return q;
		}
		p = semi;
	}
	return 1;
}

/*
 * How specifically the range [r, re) matches media type `m`: 3 exact,
 * 2 "type/star", 1 "star/star", 0 no match.
 */
static int
specificity(const char *r, const char *re, const char *m)
{
	const char *slash = strchr(m, '/');
	size_t      tn = (size_t)(slash - m), n = (size_t)(re - r);

	if (n == strlen(m) && strncasecmp(r, m, n) == 0)
		return 3;
	if (n == tn + 2 && strncasecmp(r, m, tn + 1) == 0 && r[tn + 1] == '*')
		return 2;
	if (n == 3 && memcmp(r, "*/*", 3) == 0)
		return 1;
	return 0;
}

int
kq_accept_pick(const char *accept, const char *const *offers, int noffers,
               const char **params, const char **pend)
{
	int    i, best = -1;
	double bestq = 0;

	if (params)
		*params = *pend = NULL;
	if (accept == NULL)
		return noffers > 0 ? 0 : -1;
	{
		const char *s = accept;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '\0')
			return noffers > 0 ? 0 : -1;
	}
	for (i = 0; i < noffers; i++) {
		const char *p = accept, *ps = NULL, *pe = NULL;
		int         spec = 0;
		double      q = 0;

		while (*p) {
			const char *end = strchr(p, ',');
			const char *semi, *rs = p, *re;
			int         sp;

			if (end == NULL)
				end = p + strlen(p);
			semi = memchr(p, ';', (size_t)(end - p));
			re = semi ? semi : end;
			trim(&rs, &re);
			sp = specificity(rs, re, offers[i]);
			if (sp > spec) {
				spec = sp;
				q = semi ? qvalue(semi, end) : 1;
				ps = semi;
				pe = end;
			}
			p = *end ? end + 1 : end;
		}
		if (spec > 0 && q > bestq) {
			best = i;
			bestq = q;
			if (params) {
				*params = ps;
				*pend = pe;
			}
		}
	}
	return best;
}
