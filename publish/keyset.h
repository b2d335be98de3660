/*
 * keyset.h -- the verifier's memory of earlier rows' keys (keyset.c):
 * which row, if any, already holds a key.  Private to publish/.
 *
 * An entry is 32 bits of the key's hash and the 32-bit row number; equal
 * hash bits only make a candidate, which the caller's confirm function
 * settles (verify.c re-reads that row and compares the typed key).
 *
 * Memory is bounded whatever the row count: at most KVS_MEM_SLOTS
 * 8-byte slots live in memory; when they fill, the entries are sorted
 * and spilled to an unlinked temporary file (a "run") with a small fence
 * index and a Bloom filter in memory, and lookups consult the runs after
 * the memory table.  Nothing on disk outlives the process (kill -9 safe).
 */
#ifndef KUERI_KEYSET_H
#define KUERI_KEYSET_H

#include <stddef.h>
#include <stdint.h>

/* 2^21 slots = 16 MB in memory; a run every 3/4 of that (1.5M keys). */
#define KVS_MEM_SLOTS ((size_t)1 << 21)

typedef struct kvrun kvrun;

typedef struct kvset {
	uint64_t *slot;   /* (hash >> 32) << 32 | row; 0 = empty */
	size_t    cap;    /* power of two, ≤ the memory cap      */
	size_t    n;
	int       bits;   /* log2(cap) */
	kvrun    *runs;   /* spilled entries, oldest first       */
	int       nruns;
	size_t    spilled;/* entries in runs                     */
} kvset;

/* The memory cap in slots for sets that grow from now on (rounded up to
 * a power of two, at least 1024; 0 restores KVS_MEM_SLOTS).  For tests,
 * which make runs appear after a few thousand rows instead of 1.5M. */
void kvs_set_mem_slots(size_t n);

/* Seed the hash once per process (different per run, so no input can be
 * crafted to collide on purpose). */
void     kvs_seed(void);
uint64_t kvs_hash(const unsigned char *p, size_t n);

/* Is `row` equal to the key being looked up?  1 yes, 0 no, -1 error. */
typedef int (*kvs_confirm_fn)(void *ctx, uint32_t row);

/*
 * Find a confirmed equal row (returned, ≥ 1) or 0.  If none and
 * `insert_row` is non-zero, insert it.  -1 on allocation or I/O failure.
 */
long long kvs_find(kvset *s, uint64_t h, kvs_confirm_fn confirm, void *ctx,
                   uint32_t insert_row);

/* Insert without looking (a key set other resources look into may hold
 * a key more than once).  0 ok, -1 on failure. */
int kvs_add(kvset *s, uint64_t h, uint32_t row);

/* Size the memory table for about `rows` entries (capped), so it grows
 * once instead of in a cascade of rehashes. */
void kvs_reserve(kvset *s, size_t rows);

/* Free everything (the struct itself is the caller's). */
void kvs_free(kvset *s);

#endif
