/*
 * ftsjoin.h -- one FTS5 index from several built apart (portal/ftsjoin.c).
 *
 * A big load's full-text index is built a chunk of rows at a time, each
 * chunk in a fresh FTS5 table of its own (portal/ftsbuild.c,
 * portal_fts_build), and the chunks' segments are copied into the portal's
 * table side by side.  What FTS5 needs to read them as one index is one
 * structure record (the levels and their segments, "_data" id 10) and
 * one averages record (row and token totals, id 1); this module joins
 * the chunks' records into those two, and numbers each chunk's segments
 * after the ones before it.
 */
#ifndef KUERI_FTSJOIN_H
#define KUERI_FTSJOIN_H

#include "kueri.h"

/* FTS5's own limits (fts5_index.c): segment ids are 16 bits, and a
 * structure record naming more than 2,000 segments is refused as
 * corrupt.  Level count: FTS5 has no limit below 2,000; a chunk
 * built with automerge 16 has a handful. */
#define FJ_MAX_SEGID    65535
#define FJ_MAX_SEGMENTS 2000
#define FJ_MAX_LEVELS   64

/* The "_data" ids of the two records and the shift of a segment id in
 * a block's id (FTS5_AVERAGES_ROWID, FTS5_STRUCTURE_ROWID, and
 * fts5_dri: 31 page bits + 5 height bits + 1 doclist-index bit). */
#define FJ_AVERAGES_ID  1
#define FJ_STRUCTURE_ID 10
#define FJ_SEGID_SHIFT  37

typedef struct portal_fj portal_fj;

portal_fj *portal_fj_new(void);
void     portal_fj_free(portal_fj *j);

/* Add one chunk: its structure record (st, nst bytes) and averages
 * record (avg, navg).  *base is set to what the chunk's segment ids
 * must be raised by (0 for the first): its "_data" block ids by
 * base << FJ_SEGID_SHIFT, its "_idx" segid by base.  0, or -1 with err
 * set (a malformed record, a limit above, a different column count
 * from the chunks before); j is unchanged on error. */
int portal_fj_add(portal_fj *j, const unsigned char *st, int nst,
                const unsigned char *avg, int navg, long long *base,
                kueri_err *err);

/* The joined records, malloc'd (the caller frees them): the first
 * chunk's cookie, every level's segments in chunk order, no merge in
 * progress, the write counters and the averages summed.  0, or -1 with
 * err set (out of memory, or no chunk added). */
int portal_fj_records(const portal_fj *j, unsigned char **st, int *nst,
                    unsigned char **avg, int *navg, kueri_err *err);

/* Segments joined so far, and the base the next chunk would get. */
int       portal_fj_segments(const portal_fj *j);
long long portal_fj_next_base(const portal_fj *j);

#endif
