/*
 * portal_fixture.h -- a small test portal written through the portal's own
 * writer API (portal/writer.c: begin, create set, insert rows, build,
 * commit), so unit tests that need particular names or rows get exactly
 * the physical layout the publisher writes today and never a hand-typed
 * copy of it (a layout change cannot leave a fixture behind).  Tests that
 * want a whole package verified and published use kq_fixture.h instead.
 * Paths are the caller's; the portal file and its -wal/-shm are replaced.
 */
#ifndef PORTAL_FIXTURE_H
#define PORTAL_FIXTURE_H

#include <stdio.h>
#include <unistd.h>

#include "kueri.h"
#include "portal.h"
#include "portal_write.h"

typedef struct pf_set {
	const char     *name;     /* published set name                       */
	const char     *title;    /* or NULL                                  */
	int             nfields;
	const kp_field *fields;   /* name, type, nullable, decimal, searchable */
	int             nkeys;    /* primary key (0: none)                    */
	const int      *keys;
	int             nrows;
	const kp_value *cells;    /* nrows x nfields, row after row, or NULL  */
} pf_set;

/* Removes the portal file `path` and its WAL side files. */
static void
pf_unlink(const char *path)
{
	char side[1100];

	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

/* Writes package `package` with `sets` as its next version (1 when new)
 * into the portal at `path`, created if absent; other packages stay.
 * 0 or -1 (the reason on stdout as a TAP diagnostic). */
static inline int
pf_publish(const char *path, const char *package, const kp_package_def *def,
           const pf_set *sets, int nsets)
{
	static const char sha[] =
	    "0000000000000000000000000000000000000000000000000000000000000000";
	kueri_err  err;
	kportal   *p;
	kp_writer *w = NULL;
	long long  version;
	int        i, r, si;

	kueri_err_clear(&err);
	if (!(p = portal_open_rw(path, &err)))
		goto fail;
	if (!(w = kp_writer_begin(p, package, &err)))
		goto fail;
	for (i = 0; i < nsets; i++) {
		kp_set_def d = { sets[i].name, sets[i].title, sets[i].nfields,
		                 sets[i].fields, sets[i].nkeys, sets[i].keys, sha };

		if ((si = kp_writer_create_set(w, &d, &err)) < 0)
			goto fail;
		for (r = 0; r < sets[i].nrows; r++)
			if (kp_writer_insert(w, si, sets[i].cells + r * sets[i].nfields,
			                     sets[i].nfields, &err) < 0)
				goto fail;
		if (kp_writer_build(w, si, &err) < 0)
			goto fail;
	}
	r = kp_writer_commit(w, def, &version, &err);
	w = NULL;  /* commit frees it whatever the outcome */
	if (r < 0)
		goto fail;
	portal_close(p);
	return 0;
fail:
	printf("# fixture portal %s: %s\n", path, err.msg);
	kp_writer_rollback(w);
	if (p)
		portal_close(p);
	return -1;
}

/* Writes package `package` with `sets` as version 1 of a new portal at
 * `path` (any old portal there is removed first).  0 or -1. */
/* inline: a test may use only pf_publish or only pf_make. */
static inline int
pf_make(const char *path, const char *package, const kp_package_def *def,
        const pf_set *sets, int nsets)
{
	pf_unlink(path);
	return pf_publish(path, package, def, sets, nsets);
}

#endif /* PORTAL_FIXTURE_H */
