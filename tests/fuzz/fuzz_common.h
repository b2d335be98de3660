/*
 * fuzz_common.h -- what the libFuzzer harnesses share: a scratch folder
 * removed at exit (a published portal closed first: never unlink a
 * database that is still open), package files written into it and
 * published through the real publisher, the portal opened read-only, a
 * property check that aborts so libFuzzer keeps the input, and the
 * "items"/"codes" package that fuzz_query and fuzz_fcgi query (a handful
 * of rows with every type and a few traps).  Built on tests/unit/qtest.h,
 * whose qt_buf/qt_buf_sink the harnesses use to collect an answer.
 * Header-only; one harness per binary includes it.
 */
#ifndef KUERI_FUZZ_COMMON_H
#define KUERI_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kueri.h"
#include "portal.h"
#include "publish.h"
#include "../unit/qtest.h"

/* A property the harness checks: when it does not hold, say which and
 * abort, so libFuzzer keeps the input. */
#define FZ_CHECK(who, cond, ...)                                             \
	do {                                                                     \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s: %s: ", (who), #cond);                       \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
			abort();                                                         \
		}                                                                    \
	} while (0)

static kportal *fz_portal;
static char     fz_tmpdir[512];
static char     fz_db[600];      /* the portal's path, for the whole run */

/* The items package of fuzz_query and fuzz_fcgi. */
static const char fz_items_csv[] =
	"id,name,city,n,x,flag,day,ts,t,dur\n"
	"1,Alice,Bali,5,2.5,true,2024-02-29,2024-02-29T10:00:00Z,13:52:00,P1D\n"
	"2,alice,bali,-5,-2.5,false,2023-12-31,2024-02-29T17:00:00+07:00,00:00:00,PT1H\n"
	"3,a%b_c\\d,,0,0.5,,,2024-01-01T03:00:00-05:00,,\n"
	"4,it's,Jakarta,,,true,2000-01-01,,23:59:59.5,P1Y2M\n"
	"5,日本 😀,BALI,9223372036854775807,1e10,false,1970-01-01,1970-01-01T00:00:00Z,12:00:00,PT0S\n"
	"6,,Bandung,-9223372036854775808,-0.5,true,2100-12-31,2100-12-31T23:59:59.999Z,01:02:03,P2D\n";

static const char fz_items_pkg[] =
	"{\"name\": \"fuzz\", \"title\": \"fuzz\", \"publisher\": \"Test\",\n"
	" \"classification\": \"public\",\n"
	" \"resources\": [{\"name\": \"items\", \"path\": \"items.csv\",\n"
	"  \"schema\": {\"fields\": [\n"
	"   {\"name\": \"id\", \"type\": \"integer\"},\n"
	"   {\"name\": \"name\", \"type\": \"string\"},\n"
	"   {\"name\": \"city\", \"type\": \"string\"},\n"
	"   {\"name\": \"n\", \"type\": \"integer\"},\n"
	"   {\"name\": \"x\", \"type\": \"number\"},\n"
	"   {\"name\": \"flag\", \"type\": \"boolean\"},\n"
	"   {\"name\": \"day\", \"type\": \"date\"},\n"
	"   {\"name\": \"ts\", \"type\": \"datetime\"},\n"
	"   {\"name\": \"t\", \"type\": \"time\"},\n"
	"   {\"name\": \"dur\", \"type\": \"duration\"}],\n"
	"  \"primaryKey\": \"id\"}},\n"
	"  {\"name\": \"codes\", \"path\": \"codes.csv\",\n"
	"  \"schema\": {\"fields\": [{\"name\": \"code\", \"type\": \"string\"},\n"
	"   {\"name\": \"v\", \"type\": \"integer\"}], \"primaryKey\": \"code\"}}]}\n";

static const char fz_codes_csv[] = "code,v\nA1,1\nit's,2\n日本,3\n";

/* name, text, name, text, ..., NULL: the items package's files. */
static const char *const fz_items_files[] = {
	"items.csv", fz_items_csv, "codes.csv", fz_codes_csv,
	"datapackage.json", fz_items_pkg, NULL,
};

static inline void
fz_cleanup(void)
{
	portal_close(fz_portal);
	fz_portal = NULL;
	if (fz_tmpdir[0])
		qt_rmtree(fz_tmpdir);
}

/* A new scratch folder fz_tmpdir (qt_tmpdir), removed with all it holds
 * at exit. */
static inline void
fz_mkdtemp(const char *who)
{
	char *d = qt_tmpdir();

	if (d == NULL || strlen(d) >= sizeof fz_tmpdir) {
		fprintf(stderr, "%s: cannot make a scratch folder\n", who);
		abort();
	}
	memcpy(fz_tmpdir, d, strlen(d) + 1);
	free(d);
	atexit(fz_cleanup);
}

/* fz_mkdtemp, then `files` (name, text pairs, NULL-ended, one of them
 * datapackage.json) written there, published into fz_db and opened
 * read-only as fz_portal.  Aborts on any failure: a harness without its
 * portal would fuzz nothing. */
static inline void
fz_publish(const char *who, const char *const *files)
{
	char      path[600];
	kueri_err err;

	fz_mkdtemp(who);
	for (; files[0]; files += 2) {
		snprintf(path, sizeof path, "%s/%s", fz_tmpdir, files[0]);
		if (qt_write_file(path, files[1], strlen(files[1])) != 0) {
			fprintf(stderr, "%s: cannot write %s\n", who, path);
			abort();
		}
	}
	snprintf(fz_db, sizeof fz_db, "%s/portal.db", fz_tmpdir);
	snprintf(path, sizeof path, "%s/datapackage.json", fz_tmpdir);
	if (qt_publish(fz_db, path) != 0) {
		fprintf(stderr, "%s: publishing %s failed\n", who, path);
		abort();
	}
	kueri_err_clear(&err);
	if ((fz_portal = portal_open_ro(fz_db, &err)) == NULL) {
		fprintf(stderr, "%s: open failed: %s\n", who, err.msg);
		abort();
	}
}

#endif /* KUERI_FUZZ_COMMON_H */
