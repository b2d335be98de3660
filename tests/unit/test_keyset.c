/*
 * test_keyset.c -- verify's key set (publish/keyset.c) finds every key it
 * was given, in the memory table or in any spilled run, and no key it was
 * not given; a duplicate names the earlier row however far back it is.
 *
 * The memory table is made tiny (kvs_set_mem_slots) so that tens of
 * sorted runs spill: a run whose entries were put in the wrong order
 * (spill sorts the table's slots) or whose fences are wrong loses keys,
 * which the second pass below would report.  The hash seed differs per
 * process, so each run of this test spills different tables; it repeats
 * with several table sizes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../publish/keyset.h"
#include "tap.h"

/* Row r (1-based) holds key "k<r>"; confirm compares the looked-up key
 * with the row's. */
typedef struct probe {
	char     key[32];
	unsigned confirms;
} probe;

static int
confirm(void *ctx, uint32_t row)
{
	probe *p = ctx;
	char   k[32];

	p->confirms++;
	snprintf(k, sizeof k, "k%u", row);
	return strcmp(k, p->key) == 0;
}

/* The key "<c><n>" ('k' for the rows' keys, 'x' for others). */
static uint64_t
hash_of(probe *p, char c, unsigned n)
{
	snprintf(p->key, sizeof p->key, "%c%u", c, n);
	return kvs_hash((const unsigned char *)p->key, strlen(p->key));
}

/* One set of `rows` unique keys with a table of `slots` slots. */
static void
one_size(size_t slots, unsigned rows)
{
	kvset    s;
	probe    p;
	unsigned r, fresh_bad = 0, lost = 0, ghost = 0;
	long long got;

	memset(&s, 0, sizeof s);
	kvs_set_mem_slots(slots);
	for (r = 1; r <= rows; r++) {
		p.confirms = 0;
		got = kvs_find(&s, hash_of(&p, 'k', r), confirm, &p, r);
		fresh_bad += got != 0;
	}
	ok(fresh_bad == 0, "%zu slots: %u new keys, none found before it was"
	   " inserted (%u wrongly found)", slots, rows, fresh_bad);
	ok(slots == 0 || s.nruns >= (int)(rows / slots),
	   "%zu slots: %d runs spilled", slots, s.nruns);
	/* Every key again, without inserting: its own row. */
	for (r = 1; r <= rows; r++) {
		got = kvs_find(&s, hash_of(&p, 'k', r), confirm, &p, 0);
		if (got != (long long)r && lost++ < 3)
			printf("# key k%u: got row %lld\n", r, got);
	}
	ok(lost == 0, "%zu slots: each of %u keys found at its row (%u lost)",
	   slots, rows, lost);
	/* Keys never inserted. */
	for (r = 1; r <= rows; r++)
		ghost += kvs_find(&s, hash_of(&p, 'x', r), confirm, &p, 0) != 0;
	ok(ghost == 0, "%zu slots: none of %u other keys found", slots, rows);
	/* The last row repeats row 2's key: row 2 is in the oldest run. */
	is_int((int)kvs_find(&s, hash_of(&p, 'k', 2), confirm, &p, rows + 1),
	       2, "%zu slots: a duplicate of row 2 at row %u names row 2",
	       slots, rows + 1);
	kvs_free(&s);
}

int
main(void)
{
	kvs_seed();
	one_size(1024, 30000);
	one_size(4096, 50000);
	one_size(65536, 200000);
	one_size(0, 50000);       /* the default: no run at all */
	kvs_set_mem_slots(0);
	return tap_done();
}
