/*
 * test_parse.c -- $filter text → AST (s-expression dump) or a positioned
 * error.  Tests as data: each case is input, expected dump or expected
 * error code + byte position.  Precedence follows URL 5.1.1.17.
 */
#include <stdio.h>
#include <string.h>

#include "../../query/kq_int.h"
#include "tap.h"

static const struct { const char *in, *dump; } good[] = {
	{ "provinsi eq 'Bali'", "(eq provinsi 'Bali')" },
	{ "a eq 1 and b eq 2 or c eq 3", "(or (and (eq a 1) (eq b 2)) (eq c 3))" },
	{ "a eq 1 or b eq 2 and c eq 3", "(or (eq a 1) (and (eq b 2) (eq c 3)))" },
	{ "a add b mul c gt 5", "(gt (add a (mul b c)) 5)" },
	{ "a sub b sub c eq 0", "(eq (sub (sub a b) c) 0)" },
	{ "not a eq b", "(eq (not a) b)" },
	{ "not (a eq b)", "(not (eq a b))" },
	{ "-a add 1 eq 0", "(eq (add (- a) 1) 0)" },
	{ "x eq -9223372036854775808", "(eq x -9223372036854775808)" },
	{ "x eq 9223372036854775807", "(eq x 9223372036854775807)" },
	{ "x eq 9223372036854775808", "(eq x 9.223372036854776e+18m)" },
	{ "x eq 1.5", "(eq x 1.5m)" },
	{ "x eq 1e3", "(eq x 1000d)" },
	{ "x eq INF or x eq -INF", "(or (eq x INFd) (eq x -INFd))" },
	{ "x eq 'it''s'", "(eq x 'it''s')" },
	{ "x eq ''", "(eq x '')" },
	{ "X EQ TRUE", "(eq X true)" },
	{ "x Eq null", "(eq x null)" },
	{ "d eq 2024-02-29", "(eq d Date:2024-02-29)" },
	{ "t eq 2012-09-03T13:52Z", "(eq t DateTimeOffset:2012-09-03T13:52Z)" },
	{ "t lt 2012-09-03T13:52:01.5+07:00", "(lt t DateTimeOffset:2012-09-03T13:52:01.5+07:00)" },
	{ "t eq 13:52", "(eq t TimeOfDay:13:52:00)" },
	{ "t eq 13:52:00.500", "(eq t TimeOfDay:13:52:00.5)" },
	{ "g eq 01234567-89ab-cdef-0123-456789abcdef", "(eq g Guid:01234567-89ab-cdef-0123-456789abcdef)" },
	{ "d eq duration'P1DT2H'", "(eq d duration'P1DT2H')" },
	{ "contains(name,'ab')", "(contains name 'ab')" },
	{ "Contains(name,'ab')", "(contains name 'ab')" },
	{ "substring(name, 1, 2) eq 'x'", "(eq (substring name 1 2) 'x')" },
	{ "x in ('a', 'b')", "(in x ('a' 'b'))" },
	{ "x in ()", "(in x ())" },
	{ "x in (1, -2, null)", "(in x (1 -2 null))" },
	{ "a add b in (1,2)", "(add a (in b (1 2)))" },
	{ "cast(x, Edm.String) eq '1'", "(eq (cast x Edm.String) '1')" },
	{ "now() gt t", "(gt (now) t)" },
	{ "a div b divby c mod d", "(mod (divby (div a b) c) d)" },
	{ "((a))", "a" },
	{ "case(a gt 1:'x',true:'y') eq 'x'", "(eq (case (gt a 1) 'x' true 'y') 'x')" },
	{ "x eq +5", "(eq x 5)" },
};

static const struct { const char *in; kueri_code code; long long pos; } bad[] = {
	{ "", KUERI_ESYNTAX, 0 },
	{ "a eq", KUERI_ESYNTAX, 4 },
	{ "a eq 'abc", KUERI_ESYNTAX, 5 },
	{ "(a eq 1", KUERI_ESYNTAX, 7 },
	{ "a eq 1)", KUERI_ESYNTAX, 6 },
	{ "a eq 2023-02-29", KUERI_ESYNTAX, 5 },
	{ "a eq 2023-13-01", KUERI_ESYNTAX, 5 },
	{ "a eq 2023-01-01T24:00Z", KUERI_ESYNTAX, 16 },
	{ "a eq 2023-01-01T10:60Z", KUERI_ESYNTAX, 16 },
	{ "a eq 2023-01-01T10:00:60Z", KUERI_ESYNTAX, 16 },
	{ "a eq 2023-01-01T10:00+14:01", KUERI_ESYNTAX, 21 },
	{ "a eq 2023-01-01T10:00", KUERI_ESYNTAX, 5 },
	{ "a eq 1e309", KUERI_ESYNTAX, 5 },
	{ "a eq 1e", KUERI_ESYNTAX, 5 },
	{ "a eq .5", KUERI_ESYNTAX, 5 },
	{ "a eq 5.", KUERI_ESYNTAX, 5 },
	{ "a eq 0x10", KUERI_ESYNTAX, 5 },
	{ "a eq 1_000", KUERI_ESYNTAX, 5 },
	{ "frob(a)", KUERI_ETYPE, 0 },
	{ "contains(a)", KUERI_ETYPE, 0 },
	{ "a eq 1 eq", KUERI_ESYNTAX, 9 },
	{ "a/b eq 1", KUERI_EBADREQ, 1 },
	{ "$it eq 1", KUERI_EBADREQ, 0 },
	{ "a eq @p", KUERI_ENOTIMPL, 5 },
	{ "geo.distance(a, b) lt 1", KUERI_ENOTIMPL, 0 },
	{ "a eq duration'P1X'", KUERI_ESYNTAX, 5 },
	{ "a eq binary'AA'", KUERI_ESYNTAX, 5 },
	{ "a in ('x',)", KUERI_ESYNTAX, 10 },
	/* "a in (b)" is "a eq b" (ABNF inExpr: a parenthesised commonExpr);
	 * a list must still be literals */
	{ "a in (b, c)", KUERI_ESYNTAX, 7 },
	{ "a in (1, b)", KUERI_ESYNTAX, 9 },
	{ "a eq 1 \x01", KUERI_ESYNTAX, 7 },
};

static int
parse(const char *in, ku_buf *out, kueri_err *err, int depth, int nodes)
{
	ku_arena  a = { 0 };
	kq_parser p;
	kq_node  *n;

	kueri_err_clear(err);
	kq_parser_init(&p, &a, in, strlen(in), depth, nodes, err);
	n = kq_parse_full(&p);
	if (n)
		kq_node_dump(n, out);
	ku_arena_free(&a);
	return n ? 0 : -1;
}

int
main(void)
{
	size_t    i;
	kueri_err err;
	char      big[40000];

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ku_buf b = { 0 };

		if (parse(good[i].in, &b, &err, 32, 100) < 0)
			ok(0, "parses: %s (error: %s)", good[i].in, err.msg);
		else
			is_str(b.s, good[i].dump, "parses: %s", good[i].in);
		ku_buf_free(&b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ku_buf b = { 0 };
		int    rc = parse(bad[i].in, &b, &err, 32, 100);

		ok(rc < 0 && err.code == bad[i].code && err.pos == bad[i].pos,
		   "refuses '%s' with code %d at %lld (got %d at %lld: %s)",
		   bad[i].in, bad[i].code, bad[i].pos, err.code, err.pos, err.msg);
		ku_buf_free(&b);
	}

	/* Limits: nesting and node count fail cleanly, before any overflow. */
	{
		ku_buf b = { 0 };
		size_t k;

		for (k = 0; k < 1000; k++)
			big[k] = '(';
		strcpy(big + 1000, "a");
		ok(parse(big, &b, &err, 32, 100) < 0 && err.code == KUERI_ELIMIT,
		   "1000 nested parentheses → limit error (%s)", err.msg);
		big[0] = '\0';
		for (k = 0; k < 5000; k++)
			strcat(big + k * 4, "not ");
		strcat(big, "a");
		ok(parse(big, &b, &err, 32, 100) < 0 && err.code == KUERI_ELIMIT,
		   "5000 × 'not' → limit error");
		strcpy(big, "a");
		for (k = 0; k < 2000; k++)
			strcat(big + strlen(big), " and a");
		ok(parse(big, &b, &err, 32, 100) < 0 && err.code == KUERI_ELIMIT &&
		   strstr(err.msg, "100 nodes"),
		   "2000 chained 'and' → node limit error naming the limit (%s)", err.msg);
		big[0] = '\0';
		for (k = 0; k < 500; k++)
			strcat(big + k * 8, "tolower(");
		strcat(big, "a");
		ok(parse(big, &b, &err, 32, 100) < 0 && err.code == KUERI_ELIMIT,
		   "500 nested tolower( → limit error");
		ok(parse("--1 eq 1", &b, &err, 32, 100) == 0,
		   "--1 parses as a double negation");
		ku_buf_free(&b);
	}
	/* $apply: transformations, '/' sequences, 501 for the unsupported */
	{
		static const struct { const char *in; int n; kueri_code code; } ap[] = {
			{ "groupby((a,b),aggregate(x with sum as s,$count as n))", 1, KUERI_OK },
			{ "filter(a gt 1)/groupby((a))/orderby(a desc)/top(3)", 4, KUERI_OK },
			{ "search(\"x y\" OR z)/skip(2)/identity", 3, KUERI_OK },
			{ "compute(a add 1 as b)/aggregate(b with max as m)", 2, KUERI_OK },
			{ "aggregate(x with sum)", -1, KUERI_ESYNTAX },
			{ "aggregate(x as s)", -1, KUERI_EBADREQ },
			{ "aggregate(x with median as m)", -1, KUERI_EBADREQ },
			{ "groupby((rollup(a,b)))", -1, KUERI_ENOTIMPL },
			{ "concat(identity,identity)", -1, KUERI_ENOTIMPL },
			{ "frob(1)", -1, KUERI_EBADREQ },
			{ "top(-1)", -1, KUERI_ESYNTAX },
			{ "filter(a", -1, KUERI_ESYNTAX },
		};
		size_t k;

		for (k = 0; k < sizeof(ap) / sizeof(ap[0]); k++) {
			ku_arena  ar = { 0 };
			kq_parser p;
			kq_trans *tr;
			int       n;

			kueri_err_clear(&err);
			kq_parser_init(&p, &ar, ap[k].in, strlen(ap[k].in), 32, 100, &err);
			n = kq_parse_apply(&p, &tr);
			ok(n == ap[k].n && err.code == ap[k].code,
			   "$apply=%s → %d transformations, code %d (got %d, %d: %s)",
			   ap[k].in, ap[k].n, ap[k].code, n, err.code, err.msg);
			ku_arena_free(&ar);
		}
	}
	/* $orderby lists */
	{
		ku_arena     ar = { 0 };
		kq_parser    p;
		kq_orderkey *keys;
		const char  *in = "a desc, length(b) asc,c";
		int          n;

		kq_parser_init(&p, &ar, in, strlen(in), 32, 100, &err);
		kq_next(&p);
		n = kq_parse_orderby(&p, &keys, TK_EOF);
		ok(n == 3 && keys[0].desc && !keys[1].desc && !keys[2].desc &&
		   keys[1].e->kind == N_CALL, "$orderby: expressions with asc/desc");
		ku_arena_free(&ar);
	}
	return tap_done();
}
