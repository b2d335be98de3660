/*
 * test_parse.c -- $filter / $apply text → parse tree or a positioned error.
 * Tests as data: the cases are tests/query/parse.txt (format at its top);
 * this driver reads them, plus a few generated inputs (limits) and the
 * $orderby list shape that a text file cannot state.
 *
 * Only parse_filter() and parse_apply() below touch the parser's internal
 * API (query/kq_int.h), so a rename there changes those two functions.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../query/kq_int.h"
#include "tap.h"

#define CASES "tests/query/parse.txt"

/* Parse a $filter; its dump into *out.  0, or -1 with *err set. */
static int
parse_filter(const char *in, size_t len, ku_buf *out, kueri_err *err, int depth, int nodes)
{
	ku_arena  a = { 0 };
	kq_parser p;
	kq_node  *n;

	kueri_err_clear(err);
	kq_parser_init(&p, &a, in, len, depth, nodes, err);
	n = kq_parse_full(&p);
	if (n)
		kq_node_dump(n, out);
	ku_arena_free(&a);
	return n ? 0 : -1;
}

/* Parse an $apply: the number of transformations, or -1 with *err set. */
static int
parse_apply(const char *in, size_t len, kueri_err *err)
{
	ku_arena  a = { 0 };
	kq_parser p;
	kq_trans *tr;
	int       n;

	kueri_err_clear(err);
	kq_parser_init(&p, &a, in, len, 32, 100, err);
	n = kq_parse_apply(&p, &tr);
	ku_arena_free(&a);
	return n;
}

static int
parse(const char *in, ku_buf *out, kueri_err *err, int depth, int nodes)
{
	return parse_filter(in, strlen(in), out, err, depth, nodes);
}

/* The error code a case names: "syntax" → KUERI_ESYNTAX ...; -1 unknown. */
static int
code_of(const char *name)
{
	static const struct { const char *name; kueri_code code; } codes[] = {
		{ "ok", KUERI_OK }, { "syntax", KUERI_ESYNTAX }, { "type", KUERI_ETYPE },
		{ "badreq", KUERI_EBADREQ }, { "limit", KUERI_ELIMIT },
		{ "notimpl", KUERI_ENOTIMPL },
	};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(name, codes[i].name) == 0)
			return (int)codes[i].code;
	return -1;
}

/* Decode \xNN and \\ in place; the decoded length. */
static size_t
unescape(char *s)
{
	char *o = s, *q = s;
	while (*q) {
		if (q[0] == '\\' && q[1] == '\\') {
			*o++ = '\\';
			q += 2;
		} else if (q[0] == '\\' && q[1] == 'x' && isxdigit((unsigned char)q[2]) &&
		           isxdigit((unsigned char)q[3])) {
			char hex[3] = { q[2], q[3], 0 };
			*o++ = (char)strtol(hex, NULL, 16);
			q += 4;
		} else {
			*o++ = *q++;
		}
	}
	*o = '\0';
	return (size_t)(o - s);
}

/* One case: `kind` filter|apply, input, and one expectation line. */
static void
run_case(int line, const char *kind, char *in, const char *expect)
{
	kueri_err err;
	size_t    len = unescape(in);
	char      what[32], want[256] = "";
	long long pos = -1;

	if (sscanf(expect, "%31[a-z]: %255[^\n]", what, want) < 1) {
		ok(0, "%s:%d: a case needs tree:, steps: or error:", CASES, line);
		return;
	}
	if (strcmp(kind, "filter") == 0) {
		ku_buf b = { 0 };
		int    rc = parse_filter(in, len, &b, &err, 32, 100);

		if (strcmp(what, "tree") == 0) {
			if (rc < 0)
				ok(0, "parses: %s (error: %s)", in, err.msg);
			else
				is_str(b.s, want, "parses: %s", in);
		} else if (strcmp(what, "error") == 0) {
			char cname[32] = "";
			int  code;

			sscanf(want, "%31s %lld", cname, &pos);
			code = code_of(cname);
			ok(code > 0 && rc < 0 && (int)err.code == code && err.pos == pos,
			   "refuses '%s' with %s at %lld (got %d at %lld: %s)",
			   in, cname, pos, err.code, err.pos, rc < 0 ? err.msg : "parsed");
		} else {
			ok(0, "%s:%d: a filter case expects tree: or error:", CASES, line);
		}
		ku_buf_free(&b);
	} else {
		int n = parse_apply(in, len, &err);

		if (strcmp(what, "steps") == 0)
			ok(n == atoi(want) && err.code == KUERI_OK,
			   "$apply=%s → %s transformations (got %d: %s)", in, want, n,
			   err.code ? err.msg : "ok");
		else if (strcmp(what, "error") == 0)
			ok(n < 0 && code_of(want) > 0 && (int)err.code == code_of(want),
			   "$apply=%s → error %s (got %d, code %d: %s)", in, want, n,
			   err.code, err.msg);
		else
			ok(0, "%s:%d: an apply case expects steps: or error:", CASES, line);
	}
}

int
main(void)
{
	kueri_err err;
	char      big[40000];
	FILE     *f = fopen(CASES, "r");
	char      line[4096], kind[16] = "", input[4096] = "";
	int       lineno = 0, cases = 0, at = 0;

	ok(f != NULL, "%s is readable", CASES);
	while (f && fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strncmp(line, "filter: ", 8) == 0 || strncmp(line, "apply: ", 7) == 0) {
			char *c = strchr(line, ':');

			if (*kind)
				ok(0, "%s:%d: case without an expectation", CASES, at);
			snprintf(kind, sizeof kind, "%.*s", (int)(c - line), line);
			snprintf(input, sizeof input, "%s", c + 2);
			at = lineno;
		} else if (*kind) {
			run_case(at, kind, input, line);
			cases++;
			kind[0] = '\0';
		} else {
			ok(0, "%s:%d: expectation without a case: %s", CASES, lineno, line);
		}
	}
	if (f)
		fclose(f);
	ok(cases >= 80, "every case of %s ran (%d)", CASES, cases);

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
