/*
 * fuzz_html.c -- libFuzzer harness for the HTML module's parsers and
 * escapers: the raw query a page link is built from (kh_url_*), the filter
 * form's redirect (kh_go_location), and the dataset page with the input as
 * query string and as every cell.  Invariants checked on every input
 * (abort on violation, so the fuzzer reports it):
 *   - an href written by kh_url_attr has no '"', '<', '>' or control byte
 *   - kh_text output has no '<' or '>'; kh_attr output also no quote
 *   - a Location from kh_go_location is printable ASCII without spaces
 *   - the page never contains "<script" or "<img", whatever the input
 *   - kh_href_ok never accepts a URL that does not start http(s)://
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
	kh_out     o;
	kh_url     u;
	kh_site    site = { "/", "/odata/", "kueri" };
	char       loc[2048], tmp[512];
	kueri_err  e;
	size_t     i;

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';            /* C strings stop at the first NUL */

	/* URL editing */
	kh_out_init(&o, &sk);
	kh_url_init(&u, "/odata/x", in);
	kh_url_get(&u, "$filter", tmp, sizeof(tmp));
	kh_url_set(&u, "$orderby", in, 0);
	kh_url_del(&u, "$skiptoken");
	kh_url_attr(&o, &u);
	kh_flush(&o);
	for (i = 0; i < b.n; i++)
		must(b.s[i] != '"' && b.s[i] != '<' && b.s[i] != '>' &&
		     (unsigned char)b.s[i] >= 0x20);
	kh_url_free(&u);

	/* escapers */
	b.n = 0;
	kh_text(&o, (const char *)data, size);
	kh_flush(&o);
	for (i = 0; i < b.n; i++)
		must(b.s[i] != '<' && b.s[i] != '>');
	b.n = 0;
	kh_attr(&o, (const char *)data, size);
	kh_flush(&o);
	for (i = 0; i < b.n; i++)
		must(b.s[i] != '<' && b.s[i] != '"' && b.s[i] != '\'');

	/* the filter form's redirect */
	kueri_err_clear(&e);
	if (kh_go_location(&site, in, loc, sizeof(loc), &e) == 0)
		for (i = 0; loc[i]; i++)
			must((unsigned char)loc[i] > 0x20 && (unsigned char)loc[i] < 0x7f);

	/* hrefs from data */
	if (kh_href_ok(in))
		must(strncasecmp(in, "http://", 7) == 0 ||
		     strncasecmp(in, "https://", 8) == 0);

	/* a whole page with the input everywhere */
	{
		kh_request req = { &site, in, in };
		kh_col     cols[2] = { { "a", KP_STRING, in, in },
		                       { "n", KP_INTEGER, NULL, NULL } };
		kh_setmeta meta = { in, in, in, in, in, in, 1, 1, in };
		kh_begin   bg = { &meta, cols, 2, 1 };
		kh_value   v[2] = { { KH_VTEXT, 0, 0, (const char *)data, size },
		                    { KH_VINT, 7, 0, NULL, 0 } };
		const char *facet_v[1] = { in };
		long long   facet_n[1] = { 1 };
		kh_facet    fa = { "a", KP_STRING, 1, facet_v, facet_n };
		kh_writer  *w = kh_html_writer(&sk, &req);
		kueri_err   pe;

		b.n = 0;
		kh_html_set_facets(w, &fa, 1);
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
