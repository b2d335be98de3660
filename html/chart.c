/*
 * chart.c -- a series → inline SVG, drawn on the server so a chart needs
 * no script and survives being saved, printed or pasted.
 *
 * Pure: numbers are formatted with fixed precision, so the same series
 * always gives the same bytes (tests compare them, caches may too).
 * Every label passes through kb_text; the SVG is well-formed XML on its
 * own (tests parse it) and uses classes and presentation attributes only.
 * Each bar and point carries a <title>, which browsers show on hover and
 * screen readers read: the exact value, not just the picture of it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "html.h"

#define W   720.0
#define H   320.0
#define ML  64.0    /* left margin: y tick labels */
#define MR  16.0
#define MT  16.0
#define MB  100.0   /* bottom: slanted x labels (16 characters) */

/* A "nice" tick step (1, 2 or 5 × 10^k) giving about 5 ticks over r. */
static double
nice_step(double r)
{
	double raw = r / 5, p = pow(10, floor(log10(raw))), f = raw / p;

	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/* Tick label: compact (12k, 3.5M) so the margin holds it. */
static void
tick_label(char *buf, size_t len, double v)
{
	double a = fabs(v);

	if (a >= 1e9)
		snprintf(buf, len, "%.3gG", v / 1e9);
	else if (a >= 1e6)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (a >= 1e4)
		snprintf(buf, len, "%.3gk", v / 1e3);
	else
		snprintf(buf, len, "%.4g", v);
}

static void
value_text(char *buf, size_t len, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.6g", v);
}

static const char *
label_of(const kb_series *s, int i)
{
	return s->labels && s->labels[i] ? s->labels[i] : "\xE2\x88\x85"; /* ∅ */
}

void
kb_chart_svg(kb_out *o, const kb_series *s)
{
	int    n = s->n < KB_CHART_MAX ? s->n : KB_CHART_MAX, i, every, have = 0;
	int    level;
	double lo = 0, hi = 0, step, pw = W - ML - MR, ph, slot;
	double t;

	if (n <= 0)
		return;
	for (i = 0; i < n; i++) {
		double v = s->values[i];

		if (isnan(v) || isinf(v))
			continue;
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
		have = 1;
	}
	slot = pw / n;
	every = n <= 24 ? 1 : (n + 23) / 24;   /* at most ~24 x labels */
	/* x labels: level when every label fits its slot (about 7 units a
	 * character at 12px), else slanted; truncated to 16 characters */
	{
		size_t longest = 0;

		for (i = 0; i < n; i += every) {
			const char *l = label_of(s, i);
			size_t      c = 0;

			for (; *l; l++)
				c += ((unsigned char)*l & 0xC0) != 0x80;
			if (c > longest)
				longest = c;
		}
		level = (double)(longest > 16 ? 16 : longest) * 7.5 < slot * every;
	}
	/* level labels need one line; slanted ones up to MB */
	ph = H - MT - (level ? 40.0 : MB);
	if (!have || hi == lo)
		hi = lo + 1;
	step = nice_step(hi - lo);
	lo = floor(lo / step) * step;
	hi = ceil(hi / step) * step;
#define Y(v) (MT + ph - ((v) - lo) / (hi - lo) * ph)
	kb_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f"
	          " %.0f\" role=\"img\" aria-label=\"", W, H);
	kb_attr(o, s->title ? s->title : "chart", (size_t)-1);
	kb_puts(o, "\"><title>");
	kb_text(o, s->title ? s->title : "chart", (size_t)-1);
	kb_puts(o, "</title>\n");
	/* grid and y ticks */
	for (t = lo; t <= hi + step / 2; t += step) {
		char lab[32];

		tick_label(lab, sizeof(lab), fabs(t) < step / 1e6 ? 0 : t);
		kb_printf(o, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\""
		          " y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
		          "%s</text>\n", ML, Y(t), W - MR, Y(t), ML - 6, Y(t) + 4, lab);
	}
	kb_printf(o, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\""
	          " y2=\"%.1f\"/>\n", ML, Y(lo > 0 ? lo : hi < 0 ? hi : 0), W - MR,
	          Y(lo > 0 ? lo : hi < 0 ? hi : 0));
	if (s->kind == KB_BAR) {
		double bw = slot * 0.8, base = Y(lo > 0 ? lo : hi < 0 ? hi : 0);

		for (i = 0; i < n; i++) {
			double v = s->values[i], x = ML + slot * i + (slot - bw) / 2, y;
			char   vt[40];

			if (isnan(v) || isinf(v))
				continue;
			y = Y(v);
			value_text(vt, sizeof(vt), v);
			kb_printf(o, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
			          " height=\"%.1f\"><title>", x, y < base ? y : base, bw,
			          fabs(base - y));
			kb_text(o, label_of(s, i), (size_t)-1);
			kb_printf(o, ": %s</title></rect>\n", vt);
		}
	} else {
		kb_puts(o, "<polyline class=\"line\" points=\"");
		for (i = 0; i < n; i++) {
			double v = s->values[i];

			if (isnan(v) || isinf(v))
				continue;
			kb_printf(o, "%s%.1f,%.1f", i ? " " : "", ML + slot * (i + 0.5),
			          Y(v));
		}
		kb_puts(o, "\"/>\n");
		for (i = 0; i < n; i++) {
			double v = s->values[i];
			char   vt[40];

			if (isnan(v) || isinf(v))
				continue;
			value_text(vt, sizeof(vt), v);
			kb_printf(o, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\">"
			          "<title>", ML + slot * (i + 0.5), Y(v),
			          n <= 120 ? "3" : "1.5");
			kb_text(o, label_of(s, i), (size_t)-1);
			kb_printf(o, ": %s</title></circle>\n", vt);
		}
	}
	for (i = 0; i < n; i += every) {
		const char *l = label_of(s, i);
		size_t      k = 0, chars = 0;
		double      x = ML + slot * (i + 0.5), y = MT + ph + 14;

		while (l[k] && chars < 16) {
			k++;
			while (((unsigned char)l[k] & 0xC0) == 0x80)
				k++;
			chars++;
		}
		if (level)
			kb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			          x, y + 2);
		else
			kb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\""
			          " transform=\"rotate(-35 %.1f %.1f)\">", x, y, x, y);
		kb_text(o, l, k);
		if (l[k])
			kb_puts(o, "…");
		kb_puts(o, "</text>\n");
	}
	if (s->yname) {
		kb_printf(o, "<text x=\"12\" y=\"%.1f\" text-anchor=\"middle\""
		          " transform=\"rotate(-90 12 %.1f)\">", MT + ph / 2, MT + ph / 2);
		kb_text(o, s->yname, (size_t)-1);
		kb_puts(o, "</text>\n");
	}
	if (s->xname) {
		kb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		          ML + pw / 2, level ? MT + ph + 34 : H - 4);
		kb_text(o, s->xname, (size_t)-1);
		kb_puts(o, "</text>\n");
	}
	kb_puts(o, "</svg>");
#undef Y
}

int
kb_chart_pick(const kb_col *cols, int ncols, const char *apply, int *x,
              int *y, kb_chart_kind *kind)
{
	int i;

	if (apply == NULL || strstr(apply, "groupby") == NULL ||
	    strstr(apply, "aggregate") == NULL || ncols < 2)
		return 0;
	*x = 0;
	*y = -1;
	for (i = ncols - 1; i >= 1; i--)
		if (cols[i].type == KP_INTEGER || cols[i].type == KP_NUMBER) {
			*y = i;
			break;
		}
	if (*y < 0)
		return 0;
	switch (cols[0].type) {
	case KP_DATE: case KP_DATETIME: case KP_YEAR: case KP_YEARMONTH:
		*kind = KB_LINE;
		break;
	default:
		/* year(d) as year, month(d) as bulan: integers that are time */
		*kind = cols[0].name && (strcasecmp(cols[0].name, "year") == 0 ||
		        strcasecmp(cols[0].name, "month") == 0 ||
		        strcasecmp(cols[0].name, "tahun") == 0 ||
		        strcasecmp(cols[0].name, "bulan") == 0) ? KB_LINE : KB_BAR;
	}
	return 1;
}
