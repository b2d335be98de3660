/*
 * ftsjoin.c -- one FTS5 index from several built apart.
 *
 * Why: FTS5 builds an index by flushing its term hash into small
 * segments and merging them, 16 at a time (automerge 16), level by
 * level.  With bounded memory that is a merge sort: every row's
 * postings are rewritten once per level, and the levels grow with the
 * log of the row count, so ten times the rows took ~14 times the FTS
 * build's time (docs/bench.md, "Ten million rows").  Built a chunk of
 * rows at a time, each chunk in a table of its own, every chunk costs
 * what the same number of rows costs alone and the build is linear;
 * the price is more segments for a query to look a term up in (one
 * set per chunk; a chunk of 1,000,000 rows of the villages shape ends
 * with ~13).  Lucene bounds its merges the same way (its merge
 * policy's maximum segment size).
 *
 * The records, as FTS5 writes them (SQLite 3.40's fts5_index.c,
 * fts5StructureDecode and fts5StructureWrite; fts5_storage.c,
 * fts5StorageSaveTotals); every number is an SQLite varint:
 *
 *   structure:  cookie (4 bytes, big-endian), nLevel, nSegment,
 *               nWriteCounter, then per level: nMerge, nSeg, then per
 *               segment: segid, pgnoFirst, pgnoLast
 *   averages:   nTotalRow, then one token total per indexed column
 *
 * A segment's blocks are "_data" rows whose id carries the segment id
 * above bit 37 and its "_idx" rows carry it in a column; nothing inside
 * a block names its segment, so renumbering a chunk's segments is
 * arithmetic on those ids (the caller's SQL) plus the structure record
 * written here.  A newer structure format (SQLite 3.44's "V2", written
 * only for tables with tombstones, which the portal's are not) is
 * refused, not guessed at.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftsjoin.h"

typedef struct fj_seg {
	unsigned segid, first, last;
} fj_seg;

typedef struct fj_level {
	fj_seg *seg;
	int     n, cap;
} fj_level;

struct portal_fj {
	unsigned char cookie[4];
	int           chunks;
	int           nlevel;
	int           nseg;
	long long     maxid;     /* highest segment id given so far       */
	uint64_t      writes;    /* nWriteCounter, summed                 */
	fj_level      lvl[FJ_MAX_LEVELS];
	uint64_t     *avg;       /* nTotalRow, then the column totals     */
	int           navg;
};

/* SQLite's varint (util.c, sqlite3GetVarint): big-endian groups of 7
 * bits, the high bit set on every byte but the last; a ninth byte
 * carries 8 bits.  Bytes read, or 0 when the buffer ends first. */
static int
get_varint(const unsigned char *p, int n, uint64_t *v)
{
	uint64_t x = 0;
	int i;

	for (i = 0; i < 8; i++) {
		if (i >= n)
			return 0;
		x = (x << 7) | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	if (n < 9)
		return 0;
	*v = (x << 8) | p[8];
	return 9;
}

/* SQLite's sqlite3PutVarint: the bytes written (1..9) at p. */
static int
put_varint(unsigned char *p, uint64_t v)
{
	unsigned char buf[10];
	int i, n;

	if (v >> 56) {
		p[8] = (unsigned char)v;
		v >>= 8;
		for (i = 7; i >= 0; i--) {
			p[i] = (unsigned char)((v & 0x7f) | 0x80);
			v >>= 7;
		}
		return 9;
	}
	n = 0;
	do {
		buf[n++] = (unsigned char)((v & 0x7f) | 0x80);
		v >>= 7;
	} while (v != 0);
	buf[0] &= 0x7f;
	for (i = 0; i < n; i++)
		p[i] = buf[n - 1 - i];
	return n;
}

/* A cursor over one record; `bad` names the first thing wrong. */
typedef struct rd {
	const unsigned char *p;
	int                  n, at;
	const char          *bad;
} rd;

static uint64_t
rd_varint(rd *r, const char *what)
{
	uint64_t v = 0;
	int k;

	if (r->bad)
		return 0;
	if ((k = get_varint(r->p + r->at, r->n - r->at, &v)) == 0) {
		r->bad = what;
		return 0;
	}
	r->at += k;
	return v;
}

portal_fj *
portal_fj_new(void)
{
	return calloc(1, sizeof(portal_fj));
}

void
portal_fj_free(portal_fj *j)
{
	int i;

	if (j == NULL)
		return;
	for (i = 0; i < FJ_MAX_LEVELS; i++)
		free(j->lvl[i].seg);
	free(j->avg);
	free(j);
}

int
portal_fj_segments(const portal_fj *j)
{
	return j ? j->nseg : 0;
}

long long
portal_fj_next_base(const portal_fj *j)
{
	return j ? j->maxid : 0;
}

/* One chunk's structure, decoded into `lv` (nlevel levels, `lv[i].n`
 * segments each; arrays malloc'd) before anything of j changes. */
static int
decode(const unsigned char *st, int nst, fj_level *lv, int *nlevel,
       uint64_t *writes, unsigned *maxid, kueri_err *err)
{
	rd r = { st, nst, 4, NULL };
	uint64_t nl, ns, total = 0;
	int i, k;

	*maxid = 0;
	if (nst < 4)
		return kueri_err_set(err, KUERI_EDB, -1, "full-text index: a"
		                     " chunk's structure record has %d bytes", nst);
	if (nst >= 8 && memcmp(st + 4, "\xff\x00\x00\x01", 4) == 0)
		return kueri_err_set(err, KUERI_EDB, -1, "full-text index: this"
		                     " SQLite writes FTS5 structure records of a"
		                     " newer format (V2), which kueri does not join");
	nl = rd_varint(&r, "the level count");
	ns = rd_varint(&r, "the segment count");
	*writes = rd_varint(&r, "the write counter");
	if (r.bad == NULL && nl > FJ_MAX_LEVELS)
		return kueri_err_set(err, KUERI_EDB, -1, "full-text index: a chunk"
		                     " has %llu levels (kueri joins at most %d)",
		                     (unsigned long long)nl, FJ_MAX_LEVELS);
	if (r.bad == NULL && ns > FJ_MAX_SEGMENTS)
		r.bad = "the segment count (over FTS5's 2,000)";
	for (i = 0; r.bad == NULL && i < (int)nl; i++) {
		uint64_t nmerge = rd_varint(&r, "a level's merge count");
		uint64_t nseg = rd_varint(&r, "a level's segment count");

		if (r.bad)
			break;
		if (nmerge > nseg || nseg > ns - total) {
			r.bad = "a level's segment count";
			break;
		}
		total += nseg;
		lv[i].n = (int)nseg;
		if (nseg && (lv[i].seg = malloc(nseg * sizeof(fj_seg))) == NULL)
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		for (k = 0; k < (int)nseg && r.bad == NULL; k++) {
			uint64_t id = rd_varint(&r, "a segment id");
			uint64_t first = rd_varint(&r, "a segment's first page");
			uint64_t last = rd_varint(&r, "a segment's last page");

			if (r.bad)
				break;
			if (id == 0 || id > FJ_MAX_SEGID || last < first ||
			    last > 0x7fffffff) {
				r.bad = "a segment (its id or pages)";
				break;
			}
			lv[i].seg[k].segid = (unsigned)id;
			lv[i].seg[k].first = (unsigned)first;
			lv[i].seg[k].last = (unsigned)last;
			if (id > *maxid)
				*maxid = (unsigned)id;
		}
		*nlevel = i + 1;
	}
	if (r.bad == NULL && total != ns)
		r.bad = "the segment count (not the levels' sum)";
	if (r.bad == NULL && r.at != nst)
		r.bad = "its length (bytes after the last segment)";
	if (r.bad)
		return kueri_err_set(err, KUERI_EDB, -1, "full-text index: a"
		                     " chunk's structure record is malformed at"
		                     " byte %d: %s", r.at, r.bad);
	*nlevel = (int)nl;
	return 0;
}

/* One chunk's averages: nTotalRow and the column totals, malloc'd. */
static int
decode_avg(const unsigned char *avg, int navg, uint64_t **out, int *n,
           kueri_err *err)
{
	rd r = { avg, navg, 0, NULL };
	uint64_t *v;
	int k = 0;

	/* Every varint is at least a byte: navg bounds the count. */
	if ((v = malloc(((size_t)navg + 1) * sizeof *v)) == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	while (r.at < navg && r.bad == NULL)
		v[k++] = rd_varint(&r, "a total");
	if (r.bad || k == 0) {
		free(v);
		return kueri_err_set(err, KUERI_EDB, -1, "full-text index: a"
		                     " chunk's averages record is malformed (%d"
		                     " bytes)", navg);
	}
	*out = v;
	*n = k;
	return 0;
}

int
portal_fj_add(portal_fj *j, const unsigned char *st, int nst,
            const unsigned char *avg, int navg, long long *base,
            kueri_err *err)
{
	fj_level lv[FJ_MAX_LEVELS];
	uint64_t writes = 0, *a = NULL;
	unsigned maxid = 0;
	int nlevel = 0, na = 0, nseg = 0, i, k, rc = -1;

	memset(lv, 0, sizeof lv);
	if (decode(st, nst, lv, &nlevel, &writes, &maxid, err) ||
	    decode_avg(avg, navg, &a, &na, err))
		goto out;
	if (j->chunks && na != j->navg) {
		kueri_err_set(err, KUERI_EDB, -1, "full-text index: a chunk's"
		              " averages have %d totals, the chunks before %d",
		              na, j->navg);
		goto out;
	}
	for (i = 0; i < nlevel; i++)
		nseg += lv[i].n;
	if (j->maxid + maxid > FJ_MAX_SEGID ||
	    j->nseg + nseg > FJ_MAX_SEGMENTS) {
		kueri_err_set(err, KUERI_EDB, -1, "full-text index: %d segments"
		              " (ids to %lld) after this chunk, over FTS5's limits"
		              " (%d segments, ids to %d)", j->nseg + nseg,
		              j->maxid + maxid, FJ_MAX_SEGMENTS, FJ_MAX_SEGID);
		goto out;
	}
	/* Room first, so that a failure leaves j as it was. */
	for (i = 0; i < nlevel; i++) {
		fj_level *L = &j->lvl[i];

		if (L->n + lv[i].n > L->cap) {
			int cap = (L->n + lv[i].n) * 2;
			fj_seg *s = realloc(L->seg, (size_t)cap * sizeof *s);

			if (s == NULL) {
				kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
				goto out;
			}
			L->seg = s;
			L->cap = cap;
		}
	}
	*base = j->maxid;
	for (i = 0; i < nlevel; i++)
		for (k = 0; k < lv[i].n; k++) {
			fj_seg s = lv[i].seg[k];

			s.segid += (unsigned)j->maxid;
			j->lvl[i].seg[j->lvl[i].n++] = s;
		}
	if (j->chunks == 0) {
		memcpy(j->cookie, st, 4);
		j->avg = a;
		j->navg = na;
		a = NULL;
	} else {
		for (i = 0; i < na; i++)
			j->avg[i] += a[i];
	}
	if (nlevel > j->nlevel)
		j->nlevel = nlevel;
	j->nseg += nseg;
	j->maxid += maxid;
	j->writes += writes;
	j->chunks++;
	rc = 0;
out:
	for (i = 0; i < FJ_MAX_LEVELS; i++)
		free(lv[i].seg);
	free(a);
	return rc;
}

int
portal_fj_records(const portal_fj *j, unsigned char **st, int *nst,
                unsigned char **avg, int *navg, kueri_err *err)
{
	unsigned char *s, *a;
	size_t cap;
	int n, i, k;

	*st = *avg = NULL;
	if (j->chunks == 0)
		return kueri_err_set(err, KUERI_EINTERNAL, -1, "full-text index:"
		                     " no chunk to join");
	/* At most 9 bytes a varint: 3 + 2 a level + 3 a segment. */
	cap = 4 + 9 * (3 + 2 * (size_t)j->nlevel + 3 * (size_t)j->nseg);
	if ((s = malloc(cap)) == NULL ||
	    (a = malloc(9 * (size_t)j->navg)) == NULL) {
		free(s);
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	}
	memcpy(s, j->cookie, 4);
	n = 4;
	n += put_varint(s + n, (uint64_t)j->nlevel);
	n += put_varint(s + n, (uint64_t)j->nseg);
	n += put_varint(s + n, j->writes);
	for (i = 0; i < j->nlevel; i++) {
		/* No merge in progress: the portal's table is never written
		 * again, and a chunk's unfinished merge (its inputs already
		 * trimmed, its output readable) reads as whole segments. */
		n += put_varint(s + n, 0);
		n += put_varint(s + n, (uint64_t)j->lvl[i].n);
		for (k = 0; k < j->lvl[i].n; k++) {
			n += put_varint(s + n, j->lvl[i].seg[k].segid);
			n += put_varint(s + n, j->lvl[i].seg[k].first);
			n += put_varint(s + n, j->lvl[i].seg[k].last);
		}
	}
	*st = s;
	*nst = n;
	for (i = 0, n = 0; i < j->navg; i++)
		n += put_varint(a + n, j->avg[i]);
	*avg = a;
	*navg = n;
	return 0;
}
