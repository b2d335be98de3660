/*
 * lex.c -- option text → tokens, after SQLite's sqlite3GetToken: a token is
 * a slice (start, length, type) of the decoded option text; nothing is
 * copied.  Literal forms are recognised and *checked* here (URL 5.1.1.14.1,
 * the ABNF primitiveLiteral rules), so that "2023-02-29" or "T24:00" fail
 * with the literal's own position.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kq_int.h"

static const char *const toknames[TK__MAX] = {
	[TK_EOF] = "end of input", [TK_IDENT] = "name",
	[TK_STRING] = "string literal", [TK_INT] = "integer literal",
	[TK_DECIMAL] = "decimal literal", [TK_DOUBLE] = "double literal",
	[TK_DATE] = "date literal", [TK_DATETIME] = "datetime literal",
	[TK_TIME] = "time literal", [TK_GUID] = "guid literal",
	[TK_DURATION] = "duration literal", [TK_LPAREN] = "'('",
	[TK_RPAREN] = "')'", [TK_COMMA] = "','", [TK_SLASH] = "'/'",
	[TK_COLON] = "':'", [TK_STAR] = "'*'", [TK_MINUS] = "'-'",
	[TK_EQUALS] = "'='", [TK_SEMI] = "';'", [TK_ALIAS] = "parameter alias",
	[TK_DOLLAR] = "'$' name", [TK_OTHER] = "character",
};

const char *
kq_tok_name(kq_tokt t)
{
	return (int)t >= 0 && t < TK__MAX && toknames[t] ? toknames[t] : "token";
}

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

static int
ishex(int c)
{
	return isdig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Identifier characters: ASCII letters, digits, '_' and any UTF-8 byte
 * (Unicode letters in names; the text is already valid UTF-8). */
static int
isidstart(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

static int
isidchar(int c)
{
	return isidstart(c) || isdig(c);
}

/* n digits at s[i..] within len. */
static int
digits(const unsigned char *s, size_t len, size_t i, size_t n)
{
	size_t k;

	if (len - i < n || i > len)
		return 0;
	for (k = 0; k < n; k++)
		if (!isdig(s[i + k]))
			return 0;
	return 1;
}

static int
num2(const unsigned char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* 8-4-4-4-12 hex at s[i]; returns its length (36) or 0. */
static size_t
guid_at(const unsigned char *s, size_t len, size_t i)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	size_t           j = i;
	int              g, k;

	for (g = 0; g < 5; g++) {
		for (k = 0; k < groups[g]; k++, j++)
			if (j >= len || !ishex(s[j]))
				return 0;
		if (g < 4) {
			if (j >= len || s[j] != '-')
				return 0;
			j++;
		}
	}
	if (j < len && isidchar(s[j]))
		return 0;
	return j - i;
}

/*
 * Time of day at s[i]: hh:mm[:ss[.fffffffffffff]]; returns length, 0 when
 * not a time, or (size_t)-1 after setting err (out of range).
 */
static size_t
time_at(const unsigned char *s, size_t len, size_t i, kueri_err *err)
{
	size_t j = i;

	if (!digits(s, len, j, 2) || j + 2 >= len || s[j + 2] != ':' ||
	    !digits(s, len, j + 3, 2))
		return 0;
	if (num2(s + j) > 23 || num2(s + j + 3) > 59) {
		kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
		    "invalid time at position %zu: hours must be 00-23 and minutes "
		    "00-59", i);
		return (size_t)-1;
	}
	j += 5;
	if (j < len && s[j] == ':') {
		if (!digits(s, len, j + 1, 2)) {
			kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
			    "invalid time at position %zu: seconds need two digits", i);
			return (size_t)-1;
		}
		if (num2(s + j + 1) > 59) {
			kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
			    "invalid time at position %zu: seconds must be 00-59", i);
			return (size_t)-1;
		}
		j += 3;
		if (j < len && s[j] == '.') {
			size_t f = 0;

			j++;
			while (j < len && isdig(s[j])) {
				j++;
				f++;
			}
			if (f == 0 || f > 12) {
				kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
				    "invalid time at position %zu: fractional seconds need "
				    "1 to 12 digits", i);
				return (size_t)-1;
			}
		}
	}
	return j - i;
}

/* Digits of the year at s[i] when s[i..] starts like a date: ABNF year
 * = "0" 3DIGIT / oneToNine 3*DIGIT, then "-"; 0 otherwise. */
static size_t
year_digits(const unsigned char *s, size_t len, size_t i)
{
	size_t k = 0;

	while (i + k < len && isdig(s[i + k]) && k < 12)
		k++;
	if (k < 4 || (k > 4 && s[i] == '0') || i + k >= len || s[i + k] != '-')
		return 0;
	return k;
}

/* 1 if s[i..] is yyyy-mm-dd (any year length year_digits allows). */
static int
date_shaped(const unsigned char *s, size_t len, size_t i)
{
	size_t k = year_digits(s, len, i);

	return k && digits(s, len, i + k + 1, 2) && i + k + 3 < len &&
	       s[i + k + 3] == '-' && digits(s, len, i + k + 4, 2);
}

/* yyyy-mm-dd at s[i] (already known to have the shape; the year may
 * have more than 4 digits: yk of them). */
static int
date_check_y(const unsigned char *s, size_t i, size_t yk, kueri_err *err)
{
	int    y = 0, m = num2(s + i + yk + 1), d = num2(s + i + yk + 4), md;
	size_t k;

	for (k = 0; k < yk; k++)
		y = (y % 100000000) * 10 + (s[i + k] - '0');

	if (m < 1 || m > 12)
		return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
		    "invalid date at position %zu: month %02d does not exist", i, m);
	md = ku_days_in_month(y, m);
	if (d < 1 || d > md)
		return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
		    "invalid date at position %zu: %.*s does not exist", i,
		    (int)(yk + 6), (const char *)s + i);
	return 0;
}

int
kq_lex(const char *src, size_t len, size_t pos, kq_tok *t, kueri_err *err)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t               i = pos, j;
	unsigned             c;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	t->pos = i;
	t->s = src + i;
	t->n = 0;
	if (i >= len) {
		t->type = TK_EOF;
		return 0;
	}
	c = s[i];
	switch (c) {
	case '(': t->type = TK_LPAREN; t->n = 1; return 0;
	case ')': t->type = TK_RPAREN; t->n = 1; return 0;
	case ',': t->type = TK_COMMA; t->n = 1; return 0;
	case '/': t->type = TK_SLASH; t->n = 1; return 0;
	case ':': t->type = TK_COLON; t->n = 1; return 0;
	case '*': t->type = TK_STAR; t->n = 1; return 0;
	case '-':
		if (date_shaped(s, len, i + 1)) {
			/* ABNF year = [ "-" ] ...: a signed date is one literal
			 * (OData has no binary '-', so nothing else is lost) */
			if (kq_lex(src, len, i + 1, t, err) < 0)
				return -1;
			t->pos = i;
			t->s = src + i;
			t->n += 1;
			return 0;
		}
		t->type = TK_MINUS; t->n = 1; return 0;
	case '=': t->type = TK_EQUALS; t->n = 1; return 0;
	case ';': t->type = TK_SEMI; t->n = 1; return 0;
	case '\'':
		for (j = i + 1;; j++) {
			if (j >= len)
				return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
				    "unterminated string literal starting at position %zu",
				    i);
			if (s[j] == '\'') {
				if (j + 1 < len && s[j + 1] == '\'') {
					j++;
					continue;
				}
				break;
			}
		}
		t->type = TK_STRING;
		t->n = j + 1 - i;
		return 0;
	case '@':
	case '$':
		for (j = i + 1; j < len && isidchar(s[j]); j++)
			;
		if (j == i + 1)
			return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
			    "unexpected '%c' at position %zu", (int)c, i);
		t->type = c == '@' ? TK_ALIAS : TK_DOLLAR;
		t->n = j - i;
		return 0;
	default:
		break;
	}
	if (c == '+' && i + 1 < len && (isdig(s[i + 1]) ||
	    (len - i >= 4 && memcmp(s + i + 1, "INF", 3) == 0))) {
		/* ABNF SIGN = "+" / "%2B" / "-": a plus may lead a number */
		kq_tok sub;

		if (kq_lex(src, len, i + 1, &sub, err) < 0)
			return -1;
		if (sub.type != TK_INT && sub.type != TK_DECIMAL &&
		    sub.type != TK_DOUBLE)
			return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
			    "unexpected '+' at position %zu", i);
		*t = sub;
		t->pos = i;
		t->s = src + i;
		t->n = sub.n + 1;
		return 0;
	}
	if (isdig(c) || isidstart(c)) {
		if ((j = guid_at(s, len, i)) != 0) {
			t->type = TK_GUID;
			t->n = j;
			return 0;
		}
	}
	if (isdig(c)) {
		/* date / datetimeoffset: yyyy-mm-dd[Thh:mm[:ss[.f]](Z|±hh:mm)] */
		size_t yk = year_digits(s, len, i);

		if (yk) {
			if (!digits(s, len, i + yk + 1, 2) || i + yk + 3 >= len ||
			    s[i + yk + 3] != '-' || !digits(s, len, i + yk + 4, 2) ||
			    (i + yk + 6 < len && isdig(s[i + yk + 6])))
				return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
				    "malformed date at position %zu: expected yyyy-mm-dd",
				    i);
			if (date_check_y(s, i, yk, err) < 0)
				return -1;
			j = i + yk + 6;
			if (j < len && (s[j] == 'T' || s[j] == 't')) {
				size_t tl = time_at(s, len, j + 1, err);

				if (tl == (size_t)-1)
					return -1;
				if (tl == 0)
					return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
					    "malformed datetime at position %zu: expected "
					    "hh:mm after 'T'", i);
				j += 1 + tl;
				if (j < len && (s[j] == 'Z' || s[j] == 'z'))
					j++;
				else if (j < len && (s[j] == '+' || s[j] == '-')) {
					if (!digits(s, len, j + 1, 2) || j + 3 >= len ||
					    s[j + 3] != ':' || !digits(s, len, j + 4, 2))
						return kueri_err_set(err, KUERI_ESYNTAX,
						    (long long)i, "malformed time zone offset at "
						    "position %zu: expected ±hh:mm", j);
					if (num2(s + j + 4) > 59 || num2(s + j + 1) > 14 ||
					    (num2(s + j + 1) == 14 && num2(s + j + 4) != 0))
						return kueri_err_set(err, KUERI_ESYNTAX,
						    (long long)j, "time zone offset out of range "
						    "at position %zu (allowed -14:00 to +14:00)", j);
					j += 6;
				} else
					return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
					    "datetime at position %zu needs a time zone: 'Z' "
					    "or ±hh:mm", i);
				t->type = TK_DATETIME;
			} else
				t->type = TK_DATE;
			if (j < len && isidchar(s[j]))
				return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
				    "malformed date/time literal at position %zu", i);
			t->n = j - i;
			return 0;
		}
		/* time of day: hh:mm[:ss[.f]] */
		if (digits(s, len, i, 2) && i + 2 < len && s[i + 2] == ':') {
			size_t tl = time_at(s, len, i, err);

			if (tl == (size_t)-1)
				return -1;
			if (tl == 0 || (i + tl < len && (isidchar(s[i + tl]) ||
			                                 s[i + tl] == ':')))
				return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
				    "malformed time literal at position %zu: expected "
				    "hh:mm[:ss[.fff]]", i);
			t->type = TK_TIME;
			t->n = tl;
			return 0;
		}
		/* number: int, decimal (digits.digits), double (with exponent) */
		t->type = TK_INT;
		for (j = i; j < len && isdig(s[j]); j++)
			;
		if (j < len && s[j] == '.') {
			if (!(j + 1 < len && isdig(s[j + 1])))
				return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
				    "malformed number at position %zu: digits must follow "
				    "'.'", i);
			for (j++; j < len && isdig(s[j]); j++)
				;
			t->type = TK_DECIMAL;
		}
		if (j < len && (s[j] == 'e' || s[j] == 'E')) {
			size_t k = j + 1;

			if (k < len && (s[k] == '+' || s[k] == '-'))
				k++;
			if (!(k < len && isdig(s[k])))
				return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
				    "malformed number at position %zu: digits must follow "
				    "the exponent", i);
			for (j = k; j < len && isdig(s[j]); j++)
				;
			t->type = TK_DOUBLE;
		}
		if (j < len && (isidchar(s[j]) || s[j] == '.'))
			return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
			    "malformed number at position %zu", i);
		t->n = j - i;
		return 0;
	}
	if (c == '.' && i + 1 < len && isdig(s[i + 1]))
		return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
		    "malformed number at position %zu: a digit must come before "
		    "'.'", i);
	if (isidstart(c)) {
		for (j = i; j < len; j++) {
			if (isidchar(s[j]))
				continue;
			/* Qualified names: Edm.Int32, geo.distance */
			if (s[j] == '.' && j + 1 < len && isidstart(s[j + 1]))
				continue;
			break;
		}
		t->n = j - i;
		if (j - i > 128)
			return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
			    "name at position %zu is longer than 128 bytes", i);
		if ((t->n == 3 && memcmp(t->s, "INF", 3) == 0) ||
		    (t->n == 3 && memcmp(t->s, "NaN", 3) == 0)) {
			t->type = TK_DOUBLE;
			return 0;
		}
		if (j < len && s[j] == '\'') {
			/* typed literal: only duration'...' is meaningful here */
			size_t k;

			if (!(t->n == 8 && strncasecmp(t->s, "duration", 8) == 0))
				return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
				    "unsupported typed literal %.*s'...' at position %zu",
				    (int)(t->n > 32 ? 32 : t->n), t->s, i);
			for (k = j + 1; k < len && s[k] != '\''; k++)
				;
			if (k >= len)
				return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
				    "unterminated duration literal at position %zu", i);
			if (!kq_duration_ok(src + j + 1, k - j - 1))
				return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
				    "invalid duration at position %zu: expected "
				    "[-]P[nY][nM][nW][nD][T[nH][nM][n[.n]S]]", i);
			t->type = TK_DURATION;
			t->n = k + 1 - i;
			return 0;
		}
		t->type = TK_IDENT;
		return 0;
	}
	t->type = TK_OTHER;
	t->n = 1;
	if (c < 0x20 || c == 0x7f)
		return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
		    "unexpected control character 0x%02x at position %zu", c, i);
	return kueri_err_set(err, KUERI_ESYNTAX, (long long)i,
	    "unexpected character '%c' at position %zu", (int)c, i);
}
