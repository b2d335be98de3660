/*
 * keyset.c -- the verifier's key sets (keyset.h): an open-addressing
 * table of 8-byte slots in memory, spilled as sorted runs to temporary
 * files when it reaches KVS_MEM_SLOTS, so that uniqueness, primary keys
 * and foreign keys of ten million rows cost the same memory as of one
 * and a half million.
 *
 * Why runs and not a SQLite index: a lookup must happen per row, in row
 * order, so that every duplicate is reported at its row with the earlier
 * row's number, exactly as the in-memory table does.  A run costs one
 * Bloom probe (one cache line) per lookup, and a disk read (512 bytes,
 * almost always from the OS cache) only for the false positives (under
 * 0.2% per run: 52,467 reads in verify of 10M rows) and the
 * true duplicates; a B-tree on disk would pay a random page per insert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "keyset.h"

/* Entries per fence: one pread of 512 bytes.  Most reads are a Bloom
 * false positive that finds nothing; at 256 entries (2 KB) copying them
 * was a tenth of verify's CPU at 10M rows (perf).  The fences cost 4
 * bytes per 64 keys of memory. */
#define RUN_BLOCK    64
/* Bits per key and probes (k 9-bit positions cut from 64 bits, so at
 * most 7).  Every false positive costs a pread; at 10 bits and k = 6
 * (~1%), verify of 10M rows made 290,000 of them (a run probed per run
 * per row), a tenth of its CPU with their kernel copies.  16 bits and
 * k = 7 cut that several times over for 0.75 byte more per spilled key
 * (7 MB at 10M rows, less than qsort's buffer that spill no longer
 * needs). */
#define BLOOM_BITS   16
#define BLOOM_K      7

struct kvrun {
	FILE     *f;       /* unlinked temporary file: sorted slots      */
	size_t    n;       /* entries                                    */
	uint32_t *fence;   /* tag of entry i * RUN_BLOCK                 */
	size_t    nfence;
	uint64_t *bloom;   /* blocks of 512 bits                         */
	size_t    nblocks;
};

static uint64_t hash_seed;
static size_t   mem_slots = KVS_MEM_SLOTS;   /* the cap in force */

void
kvs_set_mem_slots(size_t n)
{
	size_t p = 1024;

	while (p < n && p < ((size_t)1 << 30))
		p *= 2;
	mem_slots = n ? p : KVS_MEM_SLOTS;
}

void
kvs_seed(void)
{
	static int x;

	if (!hash_seed)
		hash_seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^
		            (uint64_t)(uintptr_t)&x;
}

uint64_t
kvs_hash(const unsigned char *p, size_t n)
{
	uint64_t h = hash_seed ^ (n * 0x9e3779b97f4a7c15ULL), w;

	while (n >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 32;
	return h;
}

/* ---- the memory table ------------------------------------------------- */

/* Position from the top bits of the stored 32 hash bits, so a rehash
 * needs nothing but the slots. */
static size_t
set_pos(const kvset *s, uint32_t tag)
{
	return s->bits ? (size_t)(tag >> (32 - s->bits)) : 0;
}

/* Slots and Bloom filters are probed at random: for big arrays ask for
 * transparent huge pages, which turns a TLB miss per row into a cache
 * miss per row.  Small ones are aligned to a cache line all the same, so
 * a 512-bit Bloom block is one line, not two. */
static uint64_t *
slots_alloc(size_t n)
{
	size_t    bytes = n * sizeof(uint64_t);
	uint64_t *p;

	if (posix_memalign((void **)&p, bytes < (1u << 20) ? 64 : 2u << 20,
	                   bytes ? bytes : 64) != 0)
		return NULL;
	if (bytes >= (1u << 20))
		(void)madvise(p, bytes, MADV_HUGEPAGE);
	memset(p, 0, bytes);
	return p;
}

/* Grow to at least `want` slots (a power of two, at least double). */
static int
set_resize(kvset *s, size_t want)
{
	size_t    ncap = s->cap ? s->cap * 2 : 1024, i, oldcap = s->cap;
	uint64_t *old = s->slot;
	int       bits = 0;

	while (ncap < want)
		ncap *= 2;
	if (ncap > mem_slots)
		ncap = mem_slots;
	if (ncap <= oldcap)
		return 0;
	if (!(s->slot = slots_alloc(ncap))) {
		s->slot = old;
		return -1;
	}
	while (((size_t)1 << bits) < ncap)
		bits++;
	s->cap = ncap;
	s->bits = bits;
	for (i = 0; i < oldcap; i++)
		if (old[i]) {
			size_t p = set_pos(s, (uint32_t)(old[i] >> 32));

			while (s->slot[p])
				p = (p + 1) & (ncap - 1);
			s->slot[p] = old[i];
		}
	free(old);
	return 0;
}

void
kvs_reserve(kvset *s, size_t rows)
{
	size_t want = rows / 3 * 4 + 1024;

	if (want > s->cap && s->cap < mem_slots)
		(void)set_resize(s, want);
}

/* ---- runs ------------------------------------------------------------- */

static uint32_t
mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* The Bloom block of a tag (one cache line per probe) and 64 bits from
 * which its K bit positions are cut, 9 bits each. */
static uint64_t *
bloom_block(const kvrun *r, uint32_t tag, uint64_t *m)
{
	uint64_t z = (uint64_t)tag * 0x9e3779b97f4a7c15ULL;

	z ^= z >> 31;
	z *= 0xbf58476d1ce4e5b9ULL;
	z ^= z >> 29;
	*m = z;
	return r->bloom + (size_t)(mix32(tag) % (uint32_t)r->nblocks) * 8;
}

static void
bloom_add(kvrun *r, uint32_t tag)
{
	uint64_t m, *blk = bloom_block(r, tag, &m);
	int k;

	for (k = 0; k < BLOOM_K; k++) {
		unsigned bit = (unsigned)(m >> (k * 9)) & 511u;

		blk[bit >> 6] |= (uint64_t)1 << (bit & 63);
	}
}

static int
bloom_has(const kvrun *r, uint32_t tag)
{
	uint64_t m;
	const uint64_t *blk = bloom_block(r, tag, &m);
	int k;

	for (k = 0; k < BLOOM_K; k++) {
		unsigned bit = (unsigned)(m >> (k * 9)) & 511u;

		if (!(blk[bit >> 6] & ((uint64_t)1 << (bit & 63))))
			return 0;
	}
	return 1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Move the occupied slots of the full table to its front in ascending
 * order; returns their number.  A slot's home is the top bits of its tag
 * (set_pos) and linear probing only moves an entry forward from home to
 * the next free slot, so read from just after a free slot (no cluster
 * wraps around there) the slots are already sorted but for the order
 * inside each cluster: an insertion sort finishes them in a few moves
 * per entry, where qsort cost n log n (a third of the spill's time).  A
 * pathological table (more moves than 32 per entry) is left to qsort. */
static size_t
sorted_slots(kvset *s)
{
	size_t cap = s->cap, start = 0, i, j, k, n = 0, moves = 0;
	uint64_t *t = s->slot, *tmp;

	while (start < cap && t[start] != 0)
		start++;
	/* Compacting in place would overwrite slots not yet read when the
	 * walk wraps; the wrapped part is copied aside first (at most the
	 * table's head up to its first free slot, a short cluster). */
	tmp = start ? malloc(start * sizeof *tmp) : NULL;
	if (start && tmp == NULL) {
		for (i = 0, j = 0; i < cap; i++)
			if (t[i])
				t[j++] = t[i];
		qsort(t, j, sizeof *t, cmp_u64);
		return j;
	}
	if (start)
		memcpy(tmp, t, start * sizeof *tmp);
	for (i = start; i < cap; i++)
		if (t[i])
			t[n++] = t[i];
	/* The head's entries whose home is at or before their slot belong
	 * in front of everything, those that wrapped from the end after. */
	for (i = 0, j = 0; i < start; i++)
		j += set_pos(s, (uint32_t)(tmp[i] >> 32)) <= i;
	memmove(t + j, t, n * sizeof *t);
	n += j;
	for (i = 0, j = 0; i < start; i++)
		if (set_pos(s, (uint32_t)(tmp[i] >> 32)) <= i)
			t[j++] = tmp[i];
		else
			t[n++] = tmp[i];
	free(tmp);
	for (i = 1; i < n; i++) {
		uint64_t v = t[i];

		for (k = i; k > 0 && t[k - 1] > v; k--)
			t[k] = t[k - 1];
		t[k] = v;
		moves += i - k;
		if (moves > 32 * n) {
			qsort(t, n, sizeof *t, cmp_u64);
			break;
		}
	}
	return n;
}

static void
run_free(kvrun *r)
{
	if (r->f)
		fclose(r->f);
	free(r->fence);
	free(r->bloom);
}

/* Move the memory table into a new run; the table is empty after. */
static int
spill(kvset *s)
{
	kvrun *nr, *r;
	size_t i;

	nr = realloc(s->runs, (size_t)(s->nruns + 1) * sizeof *nr);
	if (nr == NULL)
		return -1;
	s->runs = nr;
	r = &s->runs[s->nruns];
	memset(r, 0, sizeof *r);
	r->n = sorted_slots(s);
	r->nfence = (r->n + RUN_BLOCK - 1) / RUN_BLOCK;
	r->nblocks = (r->n * BLOOM_BITS + 511) / 512 + 1;
	r->fence = malloc((r->nfence + 1) * sizeof *r->fence);
	r->bloom = slots_alloc(r->nblocks * 8);
	/* tmpfile(): created unlinked in P_tmpdir/TMPDIR, gone at exit or
	 * kill -9, never seen by another process. */
	r->f = tmpfile();
	if (!r->fence || !r->bloom || !r->f ||
	    fwrite(s->slot, sizeof *s->slot, r->n, r->f) != r->n ||
	    fflush(r->f) != 0) {
		run_free(r);
		return -1;
	}
	for (i = 0; i < r->n; i++) {
		if (i % RUN_BLOCK == 0)
			r->fence[i / RUN_BLOCK] = (uint32_t)(s->slot[i] >> 32);
		bloom_add(r, (uint32_t)(s->slot[i] >> 32));
	}
	s->nruns++;
	s->spilled += r->n;
	memset(s->slot, 0, s->cap * sizeof *s->slot);
	s->n = 0;
	return 0;
}

/* Entries of run r with this tag, each offered to confirm.  Returns the
 * confirmed row, 0 or -1. */
static long long
run_find(kvrun *r, uint32_t tag, kvs_confirm_fn confirm, void *ctx)
{
	uint64_t buf[RUN_BLOCK];
	size_t lo = 0, hi = r->nfence, b, i, got;

	if (!bloom_has(r, tag))
		return 0;
	/* The last block whose first tag is below ours: entries with our
	 * tag start there at the earliest. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->fence[mid] < tag)
			lo = mid + 1;
		else
			hi = mid;
	}
	b = lo ? lo - 1 : 0;
	for (; b < r->nfence; b++) {
		int fd = fileno(r->f);
		ssize_t rd = pread(fd, buf, sizeof buf,
		                   (off_t)(b * RUN_BLOCK * sizeof *buf));

		if (rd < 0)
			return -1;
		got = (size_t)rd / sizeof *buf;
		for (i = 0; i < got; i++) {
			uint32_t t = (uint32_t)(buf[i] >> 32);

			if (t > tag)
				return 0;
			if (t == tag) {
				int c = confirm(ctx, (uint32_t)buf[i]);

				if (c < 0)
					return -1;
				if (c)
					return (long long)(uint32_t)buf[i];
			}
		}
	}
	return 0;
}

/* ---- the set ----------------------------------------------------------- */

/* Room for one more entry: grow, or spill once the table is at its cap. */
static int
make_room(kvset *s)
{
	if (s->cap != 0 && (s->n + 1) * 4 <= s->cap * 3)
		return 0;
	if (s->cap < mem_slots)
		return set_resize(s, 0);
	return spill(s);
}

long long
kvs_find(kvset *s, uint64_t h, kvs_confirm_fn confirm, void *ctx,
         uint32_t insert_row)
{
	uint32_t tag = (uint32_t)(h >> 32);
	size_t   p;
	int      i;

	if (make_room(s) < 0)
		return -1;
	/* Every run's Bloom block is a likely cache miss: ask for them all
	 * now, so the misses overlap each other and the table's probe below
	 * instead of coming one after another (the runs' share of the time
	 * would otherwise grow with their number, i.e. with the rows). */
	for (i = 0; i < s->nruns; i++) {
		uint64_t m;

		__builtin_prefetch(bloom_block(&s->runs[i], tag, &m));
	}
	p = set_pos(s, tag);
	while (s->slot[p]) {
		if ((uint32_t)(s->slot[p] >> 32) == tag) {
			int c = confirm(ctx, (uint32_t)s->slot[p]);

			if (c < 0)
				return -1;
			if (c)
				return (long long)(uint32_t)s->slot[p];
		}
		p = (p + 1) & (s->cap - 1);
	}
	/* Any confirmed row will do: a uniqueness set holds each key once,
	 * and a foreign key only asks whether its target exists. */
	for (i = s->nruns - 1; i >= 0; i--) {
		long long r = run_find(&s->runs[i], tag, confirm, ctx);

		if (r != 0)
			return r;
	}
	if (insert_row) {
		s->slot[p] = (uint64_t)tag << 32 | insert_row;
		s->n++;
	}
	return 0;
}

int
kvs_add(kvset *s, uint64_t h, uint32_t row)
{
	size_t p;

	if (make_room(s) < 0)
		return -1;
	p = set_pos(s, (uint32_t)(h >> 32));
	while (s->slot[p])
		p = (p + 1) & (s->cap - 1);
	s->slot[p] = (h >> 32) << 32 | row;
	s->n++;
	return 0;
}

void
kvs_free(kvset *s)
{
	int i;

	for (i = 0; i < s->nruns; i++)
		run_free(&s->runs[i]);
	free(s->runs);
	free(s->slot);
	memset(s, 0, sizeof *s);
}
