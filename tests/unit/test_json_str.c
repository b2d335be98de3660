/*
 * test_json_str.c -- kq_json_str (query/json.c), the escaping of every
 * string value of every JSON answer, against a reference written the
 * plain way (one byte at a time, the rule of RFC 8259 §7 as the writer
 * applies it: '"', '\\' and the controls escaped, \b \f \n \r \t by
 * name, others as \u00XX; valid UTF-8 copied except U+2028/U+2029, which
 * are escaped; a byte that does not start a valid sequence becomes
 * U+FFFD).  The fast path reads 8 and 4 bytes at a time with
 * overlapping loads, so lengths 0..40 are tried with the special byte at
 * every position, plus random strings from an alphabet rich in special
 * and multi-byte characters, each appended after a prefix of every
 * length up to 40 (the buffer's room check).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../query/kq_int.h"
#include "tap.h"

static void
ref_str(ku_buf *b, const char *s, size_t n)
{
	static const char    hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t               i = 0;

	ku_buf_add(b, "\"", 1);
	while (i < n) {
		unsigned char c = u[i];
		size_t        bad, k;

		if (c >= 0x80) {
			k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
			if (k <= n - i && kq_utf8_valid(s + i, k, &bad)) {
				if (k == 3 && c == 0xE2 && u[i + 1] == 0x80 &&
				    (u[i + 2] == 0xA8 || u[i + 2] == 0xA9))
					ku_buf_puts(b, u[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
				else
					ku_buf_add(b, s + i, k);
				i += k;
			} else {
				ku_buf_puts(b, "\xEF\xBF\xBD");
				i++;
			}
			continue;
		}
		if (c == '"')
			ku_buf_puts(b, "\\\"");
		else if (c == '\\')
			ku_buf_puts(b, "\\\\");
		else if (c == '\n')
			ku_buf_puts(b, "\\n");
		else if (c == '\r')
			ku_buf_puts(b, "\\r");
		else if (c == '\t')
			ku_buf_puts(b, "\\t");
		else if (c == '\b')
			ku_buf_puts(b, "\\b");
		else if (c == '\f')
			ku_buf_puts(b, "\\f");
		else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			ku_buf_add(b, e, 6);
		} else
			ku_buf_add(b, s + i, 1);
		i++;
	}
	ku_buf_add(b, "\"", 1);
}

static int  nbad;
static char first[300];

/* s after a prefix of `pre` bytes: same bytes from both, NUL-terminated. */
static void
check(const char *s, size_t n, size_t pre)
{
	ku_buf a = { 0 }, r = { 0 };
	size_t i;

	for (i = 0; i < pre; i++) {
		ku_buf_add(&a, "p", 1);
		ku_buf_add(&r, "p", 1);
	}
	kq_json_str(&a, s, n);
	ref_str(&r, s, n);
	if (a.oom || r.oom || a.n != r.n || memcmp(a.s, r.s, a.n) != 0 ||
	    a.s[a.n] != '\0') {
		if (!nbad++) {
			size_t k = 0;

			for (i = 0; i < n && k + 5 < sizeof(first); i++)
				k += (size_t)snprintf(first + k, sizeof(first) - k, "%02x",
				                      (unsigned char)s[i]);
		}
	}
	ku_buf_free(&a);
	ku_buf_free(&r);
}

static void
group(const char *what)
{
	ok(nbad == 0, "%s: same bytes as the one-byte-at-a-time reference", what);
	if (nbad)
		printf("#   %d differ; first input (hex): %s\n", nbad, first);
	nbad = 0;
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t
next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

int
main(void)
{
	static const char *pieces[] = {
		"a", "Z", " ", "0", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f",
		"/", "\xc3\xa9", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80", "\x80", "\xc3", "\xe2\x80", "\xff", "\xed\xa0\x80",
		"\xc0\xaf", "\x1b", "Jawa Barat", "\x20",
	};
	static const unsigned char specials[] = {
		0x00, 0x01, 0x08, 0x0c, 0x1f, '"', '\\', 0x80, 0xc3, 0xe2, 0xff,
	};
	char   s[64];
	size_t n, p, k, pre;
	int    i;

	/* every length 0..40, all clean, then one special byte at every
	 * position: the word scan must see it wherever it is */
	for (n = 0; n <= 40; n++) {
		for (p = 0; p < n; p++)
			s[p] = (char)('a' + p % 26);
		for (pre = 0; pre < 3; pre++)
			check(s, n, pre);
		for (k = 0; k < sizeof(specials); k++)
			for (p = 0; p < n; p++) {
				char keep = s[p];

				s[p] = (char)specials[k];
				check(s, n, 0);
				s[p] = keep;
			}
	}
	group("lengths 0-40 with a special byte at every position");

	/* bytes 0x20..0x7e other than '"' and '\\' are copied as they are;
	 * every other byte is not */
	for (i = 0; i < 256; i++) {
		memset(s, 'x', 16);
		s[5] = (char)i;
		check(s, 16, 0);
		check(s, 6, 0);
		check(s, 3, 0);
	}
	group("every byte value in words of 16, 6 and 3 bytes");

	for (i = 0; i < 30000; i++) {
		size_t len = 0, want = next() % 40;

		while (len < want) {
			const char *x = pieces[next() % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t      xl = strlen(x);

			if (len + xl > sizeof(s))
				break;
			memcpy(s + len, x, xl);
			len += xl;
		}
		if ((next() & 7) == 0 && len)
			s[next() % len] = '\0';    /* an embedded NUL too */
		check(s, len, (size_t)(next() % 41));
	}
	group("30,000 random strings of ASCII, escapes, UTF-8 and broken UTF-8");

	{
		ku_buf b = { 0 };

		kq_json_str(&b, "a\"b\\c\n\x01\xe2\x80\xa8\xff", 11);
		is_str(b.s, "\"a\\\"b\\\\c\\n\\u0001\\u2028\xEF\xBF\xBD\"",
		       "quote, backslash, newline, U+0001, U+2028, a bad byte");
		ku_buf_free(&b);
	}
	return tap_done();
}
