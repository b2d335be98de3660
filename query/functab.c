/*
 * functab.c -- the OData canonical functions, one row each (URL 5.1.1.4-
 * 5.1.1.11): name, arity, type rule, SQL and the SQLite implementation
 * behind it.  The parser finds a call's row here, the resolver checks
 * the arguments with the row's classes and gives the row's result type,
 * the SQL stage expands the row's template, and funcs.c registers and
 * allow-lists the row's SQLite function.  Adding a function is one row
 * here (plus its SQLite implementation in funcs.c when SQLite has none,
 * and its tests).
 *
 * Templates: %0 %1 %2 are the arguments (as SQL expressions), %* all of
 * them comma-separated, %T the request's time as a bound value, %L the
 * row's `lit` as a bound value; anything else is copied.
 */
#include <string.h>
#include <strings.h>

#include "kq_int.h"

#define S  KQ_AS_STRING
#define I  KQ_AS_INT
#define N  KQ_AS_NUMBER
#define DD KQ_AS_DATE_DT
#define TD KQ_AS_TIME_DT
#define DT KQ_AS_DATETIME
#define DU KQ_AS_DURATION

/* trim removes "whitespace characters, according to Unicode rules"
 * (URL 5.1.1.7): the White_Space property, in UTF-8 -- SQLite's
 * trim(X, Y) removes any character of Y, not only spaces. */
#define KQ_WHITESPACE "\t\n\v\f\r " "\xC2\x85" "\xC2\xA0" "\xE1\x9A\x80" \
	"\xE2\x80\x80" "\xE2\x80\x81" "\xE2\x80\x82" "\xE2\x80\x83" \
	"\xE2\x80\x84" "\xE2\x80\x85" "\xE2\x80\x86" "\xE2\x80\x87" \
	"\xE2\x80\x88" "\xE2\x80\x89" "\xE2\x80\x8A" "\xE2\x80\xA8" \
	"\xE2\x80\xA9" "\xE2\x80\xAF" "\xE2\x81\x9F" "\xE3\x80\x80"

static const kq_fninfo fntab[] = {
/*   name                 min max  arguments    result        rule          SQL template            SQLite fn         */
	{ "contains",          2, 2, { S, S },     KT_BOOL,     KQ_R_FIXED,   "(instr(%0, %1) > 0)",  "instr",         NULL, -1 },
	{ "startswith",        2, 2, { S, S },     KT_BOOL,     KQ_R_FIXED,   "kq_startswith(%*)",    "kq_startswith", NULL, -1 },
	{ "endswith",          2, 2, { S, S },     KT_BOOL,     KQ_R_FIXED,   "kq_endswith(%*)",      "kq_endswith",   NULL, -1 },
	{ "length",            1, 1, { S },        KT_INT32,    KQ_R_FIXED,   "length(%*)",           "length",        NULL, -1 },
	{ "indexof",           2, 2, { S, S },     KT_INT32,    KQ_R_FIXED,   "(instr(%0, %1) - 1)",  "instr",         NULL, -1 },
	{ "substring",         2, 3, { S, I, I },  KT_STRING,   KQ_R_FIXED,   "kq_substring(%*)",     "kq_substring",  NULL, -1 },
	{ "tolower",           1, 1, { S },        KT_STRING,   KQ_R_FIXED,   "kq_lower(%*)",         "kq_lower",      NULL, -1 },
	{ "toupper",           1, 1, { S },        KT_STRING,   KQ_R_FIXED,   "kq_upper(%*)",         "kq_upper",      NULL, -1 },
	{ "trim",              1, 1, { S },        KT_STRING,   KQ_R_FIXED,   "trim(%0, %L)",         "trim",          KQ_WHITESPACE, -1 },
	{ "concat",            2, 2, { S, S },     KT_STRING,   KQ_R_FIXED,   "(%0 || %1)",           NULL,            NULL, -1 },
	{ "matchesPattern",    2, 2, { S, S },     KT_BOOL,     KQ_R_FIXED,   "kq_matches(%*)",       "kq_matches",    NULL,  1 },
	{ "year",              1, 1, { DD },       KT_INT32,    KQ_R_FIXED,   "kq_dtpart(%0, 0)",     "kq_dtpart",     NULL, -1 },
	{ "month",             1, 1, { DD },       KT_INT32,    KQ_R_FIXED,   "kq_dtpart(%0, 1)",     "kq_dtpart",     NULL, -1 },
	{ "day",               1, 1, { DD },       KT_INT32,    KQ_R_FIXED,   "kq_dtpart(%0, 2)",     "kq_dtpart",     NULL, -1 },
	{ "hour",              1, 1, { TD },       KT_INT32,    KQ_R_FIXED,   "kq_dtpart(%0, 3)",     "kq_dtpart",     NULL, -1 },
	{ "minute",            1, 1, { TD },       KT_INT32,    KQ_R_FIXED,   "kq_dtpart(%0, 4)",     "kq_dtpart",     NULL, -1 },
	{ "second",            1, 1, { TD },       KT_INT32,    KQ_R_FIXED,   "kq_dtpart(%0, 5)",     "kq_dtpart",     NULL, -1 },
	{ "fractionalseconds", 1, 1, { TD },       KT_DECIMAL,  KQ_R_FIXED,   "kq_dtpart(%0, 6)",     "kq_dtpart",     NULL, -1 },
	{ "date",              1, 1, { DT },       KT_DATE,     KQ_R_FIXED,   "kq_dtpart(%0, 7)",     "kq_dtpart",     NULL, -1 },
	{ "time",              1, 1, { DT },       KT_TIME,     KQ_R_FIXED,   "kq_dtpart(%0, 8)",     "kq_dtpart",     NULL, -1 },
	{ "totaloffsetminutes",1, 1, { DT },       KT_INT32,    KQ_R_FIXED,   "kq_dtpart(%0, 9)",     "kq_dtpart",     NULL, -1 },
	{ "now",               0, 0, { 0 },        KT_DATETIME, KQ_R_FIXED,   "%T",                   NULL,            NULL, -1 },
	{ "maxdatetime",       0, 0, { 0 },        KT_DATETIME, KQ_R_FIXED,   "%L",                   NULL,
	  "9999-12-31T23:59:59.999Z", -1 },
	{ "mindatetime",       0, 0, { 0 },        KT_DATETIME, KQ_R_FIXED,   "%L",                   NULL,
	  "0001-01-01T00:00:00Z", -1 },
	{ "round",             1, 1, { N },        KT_DECIMAL,  KQ_R_NUMERIC, "round(%*)",            "round",         NULL, -1 },
	{ "floor",             1, 1, { N },        KT_DECIMAL,  KQ_R_NUMERIC, "floor(%*)",            "floor",         NULL, -1 },
	{ "ceiling",           1, 1, { N },        KT_DECIMAL,  KQ_R_NUMERIC, "ceil(%*)",             "ceil",          NULL, -1 },
	{ "totalseconds",      1, 1, { DU },       KT_DECIMAL,  KQ_R_FIXED,   "kq_duration(%*)",      "kq_duration",   NULL, -1 },
	/* case(cond:value, ...): parsed by its own rule, typed and
	 * generated specially (pairs); never found by name */
	{ "case",              2, 64, { 0 },       KT_NULL,     KQ_R_CASE,    NULL,                   NULL,            NULL, -1 },
};
#define NFNTAB (sizeof fntab / sizeof fntab[0])

const kq_fninfo *const kq_fn_case = &fntab[NFNTAB - 1];

const kq_fninfo *
kq_fn_find(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < NFNTAB; i++)
		if (strlen(fntab[i].name) == n &&
		    strncasecmp(fntab[i].name, name, n) == 0)
			return &fntab[i];
	return NULL;
}

const kq_fninfo *
kq_fn_at(size_t i)
{
	return i < NFNTAB ? &fntab[i] : NULL;
}

const char *
kq_argclass_text(int cls)
{
	switch (cls) {
	case KQ_AS_STRING:   return "Edm.String";
	case KQ_AS_INT:      return "an integer";
	case KQ_AS_NUMBER:   return "a number";
	case KQ_AS_DATE_DT:  return "Edm.Date or Edm.DateTimeOffset";
	case KQ_AS_TIME_DT:  return "Edm.TimeOfDay or Edm.DateTimeOffset";
	case KQ_AS_DATETIME: return "Edm.DateTimeOffset";
	case KQ_AS_DURATION: return "Edm.Duration";
	default:             return "any";
	}
}

int
kq_argclass_ok(int cls, kq_type t)
{
	switch (cls) {
	case KQ_AS_STRING:   return t == KT_STRING;
	case KQ_AS_INT:      return t == KT_INT32 || t == KT_INT;
	case KQ_AS_NUMBER:   return kq_type_numeric(t);
	case KQ_AS_DATE_DT:  return t == KT_DATE || t == KT_DATETIME;
	case KQ_AS_TIME_DT:  return t == KT_TIME || t == KT_DATETIME;
	case KQ_AS_DATETIME: return t == KT_DATETIME;
	case KQ_AS_DURATION: return t == KT_DURATION;
	default:             return 1;
	}
}
