/*
 * fuzz_ftsjoin.c -- libFuzzer harness for the FTS5 record join
 * (portal/ftsjoin.c), the parser of FTS5's structure and averages
 * records that a big publish's full-text index is assembled with.
 *
 * Input: up to four chunks, each a 2-byte little-endian length and that
 * many bytes of structure record, then a 1-byte length and that many
 * bytes of averages record; what is left over ends the input.  Each
 * chunk is added to one join.  Besides the sanitizers, the harness
 * checks:
 *   - a refused chunk gets KUERI_EDB (or KUERI_ENOMEM) with a message
 *     and leaves the join's segment count as it was;
 *   - an accepted chunk's base is the join's next base before it (0
 *     for the first), and the next base never falls nor passes 65,535;
 *   - once a chunk is in, the joined records are written, and they are
 *     a fixed point: added alone to a fresh join they are accepted at
 *     base 0 with the same segment count and written again byte for
 *     byte the same.
 * A broken property aborts, so libFuzzer saves the input.
 *
 * Build and run: tests/fuzz/run.sh ftsjoin (make fuzz runs every harness).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kueri.h"
#include "../../portal/ftsjoin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                     \
	do {                                                                     \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fuzz_ftsjoin: %s: ", #cond);                    \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
			abort();                                                         \
		}                                                                    \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	portal_fj *j = portal_fj_new(), *again;
	unsigned char *st, *avg, *st2, *avg2;
	int nst, navg, nst2, navg2, added = 0, c;
	long long base, top, before;
	size_t at = 0;
	kueri_err e;

	CHECK(j != NULL, "out of memory");
	for (c = 0; c < 4 && at + 3 <= size; c++) {
		size_t ns = data[at] | (size_t)data[at + 1] << 8, na;
		const uint8_t *s, *a;

		at += 2;
		if (ns > size - at)
			ns = size - at;
		s = data + at;
		at += ns;
		na = at < size ? data[at++] : 0;
		if (na > size - at)
			na = size - at;
		a = data + at;
		at += na;

		before = portal_fj_segments(j);
		top = portal_fj_next_base(j);
		kueri_err_clear(&e);
		base = -1;
		if (portal_fj_add(j, s, (int)ns, a, (int)na, &base, &e) == 0) {
			CHECK(base == top, "base %lld, highest id before %lld",
			      base, top);
			CHECK(portal_fj_next_base(j) >= top &&
			      portal_fj_next_base(j) <= FJ_MAX_SEGID,
			      "next base %lld", portal_fj_next_base(j));
			CHECK(portal_fj_segments(j) >= before, "segments fell");
			added++;
		} else {
			CHECK(e.code == KUERI_EDB || e.code == KUERI_ENOMEM,
			      "code %d", (int)e.code);
			CHECK(e.msg[0] != '\0', "no message");
			CHECK(portal_fj_segments(j) == before &&
			      portal_fj_next_base(j) == top, "a refusal changed"
			      " the join (%d segments, was %lld)",
			      portal_fj_segments(j), before);
		}
	}
	if (added == 0) {
		CHECK(portal_fj_records(j, &st, &nst, &avg, &navg, &e) == -1,
		      "records from no chunk");
		portal_fj_free(j);
		return 0;
	}
	CHECK(portal_fj_records(j, &st, &nst, &avg, &navg, &e) == 0, "%s", e.msg);
	again = portal_fj_new();
	CHECK(again != NULL, "out of memory");
	base = -1;
	CHECK(portal_fj_add(again, st, nst, avg, navg, &base, &e) == 0,
	      "the joined records are refused: %s", e.msg);
	CHECK(base == 0, "base %lld", base);
	CHECK(portal_fj_segments(again) == portal_fj_segments(j), "%d != %d",
	      portal_fj_segments(again), portal_fj_segments(j));
	CHECK(portal_fj_records(again, &st2, &nst2, &avg2, &navg2, &e) == 0,
	      "%s", e.msg);
	CHECK(nst2 == nst && memcmp(st, st2, (size_t)nst) == 0,
	      "structure not a fixed point (%d, %d bytes)", nst, nst2);
	CHECK(navg2 == navg && memcmp(avg, avg2, (size_t)navg) == 0,
	      "averages not a fixed point (%d, %d bytes)", navg, navg2);
	free(st);
	free(avg);
	free(st2);
	free(avg2);
	portal_fj_free(again);
	portal_fj_free(j);
	return 0;
}
