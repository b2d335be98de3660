/*
 * fuzz_html.c -- libFuzzer harness for the HTML module's parsers and
 * escapers: the raw query a page link is built from (kb_url_*), the filter
 * form's redirect (kb_go_location), and the dataset page with the input as
 * query string and as every cell.  Invariants checked on every input
 * (abort on violation, so the fuzzer reports it):
 *   - an href written by kb_url_attr has no '"', '<', '>' or control byte
 *   - kb_text output has no '<' or '>'; kb_attr output also no quote
 *   - a Location from kb_go_location is printable ASCII without spaces
 *   - the page never contains "<script" or "<img", whatever the input
 *   - kb_href_ok never accepts a URL that does not start http(s)://
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"

typedef struct buf { char *s; size_t n, cap; } buf;

static int
bw(void *ctx, const char *p, size_t n)
{
	buf *b = ctx;

	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (b->s == NULL)
			abort();
	}
	memcpy(b->s + b->n, p, n);
	b->n += n;
	b->s[b->n] = '\0';
	return 0;
}

static void
must(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char      *in = malloc(size + 1);
	buf        b = { 0 };
	kueri_sink sk = { bw, &b };
	kb_out     o;
	kb_url     u;
	kb_site    site = { "/", "/odata/", "kueri" };
	char       loc[2048], tmp[512];
	kueri_err  e;
	size_t     i;

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';            /* C strings stop at the first NUL */

	/* URL editing */
	kb_out_init(&o, &sk);
	kb_url_init(&u, "/odata/x", in);
	kb_url_get(&u, "$filter", tmp, sizeof(tmp));
	kb_url_set(&u, "$orderby", in, 0);
	kb_url_del(&u, "$skiptoken");
	kb_url_attr(&o, &u);
	kb_flush(&o);
	for (i = 0; i < b.n; i++)
		must(b.s[i] != '"' && b.s[i] != '<' && b.s[i] != '>' &&
		     (unsigned char)b.s[i] >= 0x20);
	kb_url_free(&u);

	/* escapers */
	b.n = 0;
	kb_text(&o, (const char *)data, size);
	kb_flush(&o);
	for (i = 0; i < b.n; i++)
		must(b.s[i] != '<' && b.s[i] != '>');
	b.n = 0;
	kb_attr(&o, (const char *)data, size);
	kb_flush(&o);
	for (i = 0; i < b.n; i++)
		must(b.s[i] != '<' && b.s[i] != '"' && b.s[i] != '\'');

	/* the filter form's redirect */
	kueri_err_clear(&e);
	if (kb_go_location(&site, in, loc, sizeof(loc), &e) == 0)
		for (i = 0; loc[i]; i++)
			must((unsigned char)loc[i] > 0x20 && (unsigned char)loc[i] < 0x7f);

	/* hrefs from data */
	if (kb_href_ok(in))
		must(strncasecmp(in, "http://", 7) == 0 ||
		     strncasecmp(in, "https://", 8) == 0);

	/* a whole page with the input everywhere */
	{
		kb_request req = { &site, in, in };
		kb_col     cols[2] = { { "a", KP_STRING, in, in },
		                       { "n", KP_INTEGER, NULL, NULL } };
		kb_setmeta meta = { in, in, in, in, in, in, 1, 1, in };
		kb_begin   bg = { &meta, cols, 2, 1 };
		kb_value   v[2] = { { KB_VTEXT, 0, 0, (const char *)data, size },
		                    { KB_VINT, 7, 0, NULL, 0 } };
		const char *facet_v[1] = { in };
		long long   facet_n[1] = { 1 };
		kb_facet    fa = { "a", KP_STRING, 1, facet_v, facet_n };
		kb_writer  *w = kb_html_writer(&sk, &req);
		kueri_err   pe;

		b.n = 0;
		kb_html_set_facets(w, &fa, 1);
		w->begin(w, &bg);
		w->row(w, v, 2);
		kueri_err_clear(&pe);
		kueri_err_set(&pe, KUERI_ESYNTAX, (long long)(size % 64), "bad %s",
		              "x");
		kueri_err_target(&pe, "$filter");
		w->error(w, &pe);
		w->free(w);
		must(b.n > 0 && strstr(b.s, "<script") == NULL &&
		     strstr(b.s, "<img") == NULL);
	}
	free(b.s);
	free(in);
	return 0;
}
