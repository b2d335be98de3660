/* test_err.c -- the error value and its code → text/HTTP mapping. */
#include "kueri.h"
#include "tap.h"

int
main(void)
{
	kueri_err e;
	int       c, r;
	char      big[1000];

	kueri_err_clear(&e);
	ok(e.code == KUERI_OK && e.pos == -1 && e.row == -1 && e.field == -1 &&
	   e.msg[0] == '\0', "a cleared error has no code, no position, no text");

	r = kueri_err_set(&e, KUERI_ESYNTAX, 7, "unexpected '%s'", ")");
	is_int(r, -1, "kueri_err_set returns -1 so callers can return it");
	is_int(e.code, KUERI_ESYNTAX, "the code is stored");
	is_int(e.pos, 7, "the byte position is stored");
	is_str(e.msg, "unexpected ')'", "the message is formatted");

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kueri_err_set(&e, KUERI_EIO, -1, "%s", big);
	is_int(strlen(e.msg), sizeof(e.msg) - 1,
	       "a long message is truncated to the fixed buffer, not overflowed");

	kueri_err_target(&e, "$filter");
	is_str(e.target, "$filter", "the target option is stored");

	is_int(kueri_http_status(KUERI_ESYNTAX), 400, "syntax error → 400");
	is_int(kueri_http_status(KUERI_ETYPE), 400, "type error → 400");
	is_int(kueri_http_status(KUERI_ENOTFOUND), 404, "not found → 404");
	is_int(kueri_http_status(KUERI_ENOTIMPL), 501, "not implemented → 501");
	is_int(kueri_http_status(KUERI_EDB), 500, "database error → 500");
	is_int(kueri_http_status((kueri_code)999), 500, "out-of-range code → 500");
	for (c = 0, r = 1; c < KUERI__MAX; c++)
		if (kueri_strerror((kueri_code)c) == NULL ||
		    kueri_strerror((kueri_code)c)[0] == '\0')
			r = 0;
	ok(r, "every code has a non-empty text");
	is_str(kueri_strerror((kueri_code)-3), "unknown error",
	       "a negative code has a text, not a crash");
	return tap_done();
}
