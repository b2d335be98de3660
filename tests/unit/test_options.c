/*
 * test_options.c -- query string splitting (URL 2.1, 5.1): split on & and
 * the first =, decode once, names case-insensitive with optional $.
 */
#include <string.h>

#include "../../query/kq_int.h"
#include "tap.h"

static int
opts(const char *q, kq_options *o, ku_arena *a, kueri_err *err)
{
	kueri_err_clear(err);
	ku_arena_free(a);
	return kq_options_parse(a, q, 8192, o, err);
}

int
main(void)
{
	ku_arena   a = { 0 };
	kq_options o;
	kueri_err  err;

	ok(opts("$filter=a%20eq%20%27x%27&$top=5", &o, &a, &err) == 0 &&
	   strcmp(o.val[KQ_O_FILTER], "a eq 'x'") == 0 &&
	   strcmp(o.val[KQ_O_TOP], "5") == 0, "values are percent-decoded once");
	ok(opts("$filter=a eq '%2527'", &o, &a, &err) == 0 &&
	   strcmp(o.val[KQ_O_FILTER], "a eq '%27'") == 0,
	   "%%2527 decodes to %%27, not to a quote (decode exactly once)");
	ok(opts("$filter=a eq 'x%26y'&x=1", &o, &a, &err) == 0 &&
	   strcmp(o.val[KQ_O_FILTER], "a eq 'x&y'") == 0,
	   "an encoded & stays inside the value (split before decoding)");
	ok(opts("$filter=a eq 'b=c'", &o, &a, &err) == 0 &&
	   strcmp(o.val[KQ_O_FILTER], "a eq 'b=c'") == 0, "split on the first = only");
	ok(opts("$filter=a eq 'x+y'", &o, &a, &err) == 0 &&
	   strcmp(o.val[KQ_O_FILTER], "a eq 'x+y'") == 0, "+ is a literal plus");
	ok(opts("filter=x&$TOP=1&%24Skip=2", &o, &a, &err) == 0 &&
	   o.val[KQ_O_FILTER] && o.val[KQ_O_TOP] && o.val[KQ_O_SKIP],
	   "names are case-insensitive, $ optional, %%24 allowed");
	ok(opts("$top=1&$top=2", &o, &a, &err) < 0 && err.code == KUERI_EBADREQ,
	   "a repeated option is a 400");
	ok(opts("$top=1&top=2", &o, &a, &err) < 0, "the same option in two spellings is a 400");
	ok(opts("$frob=1", &o, &a, &err) < 0 && strstr(err.msg, "$frob"),
	   "an unknown $option is a 400 naming it");
	ok(opts("frob=1&x&&y=", &o, &a, &err) == 0 && o.nparams == 3,
	   "custom options are kept for nextLink but ignored; empty segments skipped");
	ok(opts("$filter=%", &o, &a, &err) < 0 && strstr(err.msg, "percent"),
	   "a lone %% is refused");
	ok(opts("$filter=%2", &o, &a, &err) < 0, "%%2 is refused");
	ok(opts("$filter=%G0", &o, &a, &err) < 0, "%%G0 is refused");
	ok(opts("$filter=%00", &o, &a, &err) < 0 && strstr(err.msg, "NUL"),
	   "an encoded NUL is refused");
	ok(opts("$filter=%C0%AF", &o, &a, &err) < 0 && strstr(err.msg, "UTF-8"),
	   "an overlong UTF-8 form is refused");
	ok(opts("$filter=%ED%A0%80", &o, &a, &err) < 0, "a UTF-16 surrogate is refused");
	ok(opts("$filter=%F4%90%80%80", &o, &a, &err) < 0, "beyond U+10FFFF is refused");
	ok(opts("$filter=%E2%82", &o, &a, &err) < 0, "a truncated sequence is refused");
	ok(opts("$filter=%FF", &o, &a, &err) < 0, "0xFF is refused");
	ok(opts("$filter=%E2%82%AC", &o, &a, &err) == 0, "a valid euro sign is accepted");
	ok(opts("%00=1", &o, &a, &err) < 0, "NUL in a name is refused");
	{
		char big[9000];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ok(opts(big, &o, &a, &err) < 0 && err.code == KUERI_ETOOLONG,
		   "a query string over the length limit is refused (414)");
	}
	{
		ku_buf b = { 0 };

		kq_pct_encode(&b, "a eq 'x y'&#%", 13);
		is_str(b.s, "a%20eq%20'x%20y'%26%23%25", "encoding for nextLink escapes space & # %%");
		ku_buf_free(&b);
	}
	ku_arena_free(&a);
	return tap_done();
}
