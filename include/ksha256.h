/*
 * ksha256.h -- FIPS 180-4 SHA-256, incremental (util/sha256.c).  A leaf:
 * it depends on nothing of kueri, so the utility layer needs no header of
 * the stages above it (publish.h includes this one for its users).
 */
#ifndef KUERI_KSHA256_H
#define KUERI_KSHA256_H

#include <stddef.h>

typedef struct ksha256 {
	unsigned int       h[8];
	unsigned long long n;
	unsigned char      buf[64];
	size_t             fill;
} ksha256;

/* Start, feed any number of bytes, then write the 64 hex digits + NUL. */
void ksha256_init(ksha256 *c);
void ksha256_update(ksha256 *c, const void *data, size_t len);
void ksha256_hex(ksha256 *c, char out[65]);

#endif /* KUERI_KSHA256_H */
