/* test_sha256.c -- SHA-256 against FIPS 180-4 vectors, whole and in pieces. */
#include <string.h>

#include "publish.h"
#include "tap.h"

static void
digest(const char *s, size_t n, size_t step, char out[65])
{
	ksha256 c;
	size_t  i;

	ksha256_init(&c);
	for (i = 0; i < n; i += step)
		ksha256_update(&c, s + i, n - i < step ? n - i : step);
	ksha256_hex(&c, out);
}

int
main(void)
{
	char        h[65];
	static char million[1000000];
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	size_t      steps[] = { 1, 3, 63, 64, 65, 1000 };
	size_t      i;

	digest("", 0, 1, h);
	is_str(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "SHA-256 of the empty string");
	digest("abc", 3, 3, h);
	is_str(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "SHA-256 of 'abc'");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		digest(two, strlen(two), steps[i], h);
		is_str(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
		       "the 448-bit vector fed %zu bytes at a time", steps[i]);
	}
	memset(million, 'a', sizeof(million));
	digest(million, sizeof(million), 4096, h);
	is_str(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	       "SHA-256 of one million 'a'");
	return tap_done();
}
