/*
 * sha256.c -- FIPS 180-4 SHA-256, incremental (ksha256_* in ksha256.h).
 * The publisher fingerprints each source CSV while it streams through the
 * verifier, so the digest costs no second read of the file.
 */
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define KSHA_NI 1
#endif

#include "ksha256.h"

static const unsigned int K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
block(ksha256 *c, const unsigned char *p)
{
	unsigned int w[64], a, b, cc, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (unsigned int)p[4 * i] << 24 | (unsigned int)p[4 * i + 1] << 16 |
		       (unsigned int)p[4 * i + 2] << 8 | (unsigned int)p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		unsigned int s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		unsigned int s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3];
	e = c->h[4]; f = c->h[5]; g = c->h[6]; h = c->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) +
		     K[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
		h = g; g = f; f = e; e = d + t1;
		d = cc; cc = b; b = a; a = t1 + t2;
	}
	c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
	c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

#ifdef KSHA_NI
/*
 * The SHA extensions (SHA-NI) do four rounds per instruction pair: about
 * 5x the portable code, which matters because every published CSV is
 * hashed as it streams (86 MB in ~0.06 s instead of ~0.3 s).  Chosen at
 * run time from CPUID; the portable block() above is the reference.
 */
__attribute__((target("sha,sse4.1,ssse3")))
static void
blocks_ni(ksha256 *c, const unsigned char *p, size_t n)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
	                                    0x0405060700010203ULL);
	__m128i tmp = _mm_loadu_si128((const __m128i *)&c->h[0]);
	__m128i s1 = _mm_loadu_si128((const __m128i *)&c->h[4]);
	__m128i s0, w[4], abef, cdgh, m, x;
	int     g;

	tmp = _mm_shuffle_epi32(tmp, 0xb1);          /* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1b);            /* EFGH */
	s0 = _mm_alignr_epi8(tmp, s1, 8);            /* ABEF */
	s1 = _mm_blend_epi16(s1, tmp, 0xf0);         /* CDGH */
	for (; n; n--, p += 64) {
		abef = s0;
		cdgh = s1;
		for (g = 0; g < 16; g++) {
			if (g < 4) {
				w[g] = _mm_shuffle_epi8(
				    _mm_loadu_si128((const __m128i *)(p + 16 * g)), mask);
			} else {
				x = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
				x = _mm_add_epi32(x, _mm_alignr_epi8(w[(g + 3) & 3],
				                                     w[(g + 2) & 3], 4));
				w[g & 3] = _mm_sha256msg2_epu32(x, w[(g + 3) & 3]);
			}
			m = _mm_add_epi32(w[g & 3],
			                  _mm_loadu_si128((const __m128i *)&K[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, m);
			m = _mm_shuffle_epi32(m, 0x0e);
			s0 = _mm_sha256rnds2_epu32(s0, s1, m);
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}
	tmp = _mm_shuffle_epi32(s0, 0x1b);           /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xb1);            /* DCHG */
	s0 = _mm_blend_epi16(tmp, s1, 0xf0);         /* DCBA */
	s1 = _mm_alignr_epi8(s1, tmp, 8);            /* HGFE */
	_mm_storeu_si128((__m128i *)&c->h[0], s0);
	_mm_storeu_si128((__m128i *)&c->h[4], s1);
}

static int
have_ni(void)
{
	static int known = -1;
	unsigned   a, b, cc, d;

	if (known < 0)
		known = __get_cpuid_count(7, 0, &a, &b, &cc, &d) && (b & (1u << 29)) &&
		        __get_cpuid(1, &a, &b, &cc, &d) && (cc & (1u << 19)) &&
		        (cc & (1u << 9));
	return known;
}
#endif

/* Tests force the portable code to check it on SHA-NI machines too. */
void ksha256_portable(int on);
static int portable_only;

void
ksha256_portable(int on)
{
	portable_only = on;
}

/* n whole 64-byte blocks. */
static void
blocks(ksha256 *c, const unsigned char *p, size_t n)
{
#ifdef KSHA_NI
	if (!portable_only && have_ni()) {
		blocks_ni(c, p, n);
		return;
	}
#endif
	for (; n; n--, p += 64)
		block(c, p);
}

void
ksha256_init(ksha256 *c)
{
	static const unsigned int iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(c->h, iv, sizeof(iv));
	c->n = 0;
	c->fill = 0;
}

void
ksha256_update(ksha256 *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	c->n += len;
	if (c->fill) {
		size_t take = 64 - c->fill < len ? 64 - c->fill : len;
		memcpy(c->buf + c->fill, p, take);
		c->fill += take;
		p += take;
		len -= take;
		if (c->fill < 64)
			return;
		blocks(c, c->buf, 1);
		c->fill = 0;
	}
	blocks(c, p, len / 64);
	p += len / 64 * 64;
	len %= 64;
	memcpy(c->buf, p, len);
	c->fill = len;
}

/* Finish and write 64 lowercase hex digits + NUL.  The context is spent. */
void
ksha256_hex(ksha256 *c, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned long long bits = c->n * 8;
	unsigned char pad[72];
	size_t padlen = (c->fill < 56 ? 56 : 120) - c->fill;
	int i;

	memset(pad, 0, sizeof(pad));
	pad[0] = 0x80;
	for (i = 0; i < 8; i++)
		pad[padlen + i] = (unsigned char)(bits >> (56 - 8 * i));
	ksha256_update(c, pad, padlen + 8);
	for (i = 0; i < 32; i++) {
		unsigned char b = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
		out[2 * i] = hex[b >> 4];
		out[2 * i + 1] = hex[b & 15];
	}
	out[64] = '\0';
}
