/* test_lex.c -- tokens are typed slices of the option text with positions. */
#include <string.h>

#include "../../query/kq_int.h"
#include "tap.h"

static const struct { const char *in; kq_tokt t; size_t n; } one[] = {
	{ "'it''s' ", TK_STRING, 7 },
	{ "123 ", TK_INT, 3 },
	{ "1.25)", TK_DECIMAL, 4 },
	{ "1.5e-3,", TK_DOUBLE, 6 },
	{ "INF ", TK_DOUBLE, 3 },
	{ "NaN", TK_DOUBLE, 3 },
	{ "2024-02-29)", TK_DATE, 10 },
	{ "2024-02-29T10:00:00.123Z ", TK_DATETIME, 24 },
	{ "2024-02-29T10:00-05:00", TK_DATETIME, 22 },
	{ "23:59:59", TK_TIME, 8 },
	{ "01234567-89ab-cdef-0123-456789abcdef", TK_GUID, 36 },
	{ "duration'PT1H30M'", TK_DURATION, 17 },
	{ "provinsi ", TK_IDENT, 8 },
	{ "Edm.Int32)", TK_IDENT, 9 },
	{ "kabupaten_kota", TK_IDENT, 14 },
	{ "nama\xc3\xa9 ", TK_IDENT, 6 },
	{ "@p1", TK_ALIAS, 3 },
	{ "$it", TK_DOLLAR, 3 },
	{ "(", TK_LPAREN, 1 },
	{ "-", TK_MINUS, 1 },
	{ "", TK_EOF, 0 },
};

int
main(void)
{
	size_t    i;
	kueri_err err;
	kq_tok    t;
	const char *s = "  a  eq 'x'";

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		kueri_err_clear(&err);
		if (kq_lex(one[i].in, strlen(one[i].in), 0, &t, &err) < 0) {
			ok(0, "lexes '%s' (error %s)", one[i].in, err.msg);
			continue;
		}
		ok(t.type == one[i].t && t.n == one[i].n,
		   "'%s' is a %s of %zu bytes (got %s, %zu)", one[i].in,
		   kq_tok_name(one[i].t), one[i].n, kq_tok_name(t.type), t.n);
	}
	kq_lex(s, strlen(s), 0, &t, &err);
	ok(t.pos == 2 && t.s == s + 2, "leading spaces are skipped; position is the byte offset");
	kq_lex(s, strlen(s), 3, &t, &err);
	is_int((long long)t.pos, 5, "the next token's position counts from the option start");
	ok(kq_lex("'abc", 4, 0, &t, &err) < 0 && err.pos == 0 &&
	   strstr(err.msg, "unterminated"), "unterminated string points at its quote");
	ok(kq_lex("2023-02-29", 10, 0, &t, &err) < 0 && strstr(err.msg, "does not exist"),
	   "2023-02-29 is refused: not a leap year");
	ok(kq_lex("2024-02-29", 10, 0, &t, &err) == 0, "2024-02-29 exists");
	ok(kq_lex("0000-01-01", 10, 0, &t, &err) == 0, "year 0000 is accepted (ABNF)");
	ok(kq_lex("24:00", 5, 0, &t, &err) < 0, "24:00 is refused");
	ok(kq_lex("\"x\"", 3, 0, &t, &err) < 0 && err.code == KUERI_ESYNTAX,
	   "a double quote is not a token");
	ok(ku_duration_valid("P1DT2H", 6) && ku_duration_valid("-PT0.5S", 7) &&
	   !ku_duration_valid("P", 1) && !ku_duration_valid("PT", 2) &&
	   !ku_duration_valid("P1H", 3) && !ku_duration_valid("PT1D", 4),
	   "durations: day-time only, T before hours, something after P/T");
	return tap_done();
}
