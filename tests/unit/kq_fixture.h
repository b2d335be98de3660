/*
 * kq_fixture.h -- the query engine's test portal, built through the real
 * code path: tests/data/engine-fixture/ (plus nums.csv, 10 000 rows written
 * here by a stated rule) is published with kv_publish, so the portal's
 * tables are whatever the publisher makes today; no test writes the
 * portal's layout by hand.  The expected answers come from a separate plain
 * SQLite file built from tests/query/engine-fixture.sql (hand-typed tables
 * named after the sets and properties).
 *
 * Rows are chosen for the traps: nulls, case twins (Kuta/kuta), LIKE
 * wildcards in text, leap days, datetimes in different offsets, non-ASCII.
 * Paths are relative to the repository root (tests run from there).
 */
#ifndef KQ_FIXTURE_H
#define KQ_FIXTURE_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "kueri.h"
#include "publish.h"

#define KQ_FIXTURE_DIR "tests/data/engine-fixture"
#define KQ_FIXTURE_REF "tests/query/engine-fixture.sql"

static int
kq_fixture_copy(const char *from, const char *to)
{
	FILE  *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
	char   buf[8192];
	size_t n;
	int    rc = 0;

	if (!a || !b) {
		if (a)
			fclose(a);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
		if (fwrite(buf, 1, n, b) != n)
			rc = -1;
	fclose(a);
	return fclose(b) == 0 ? rc : -1;
}

/* Publish the fixture package into the portal `path` (replaced).  0 or -1
 * (the reason on stdout as TAP diagnostics). */
static int
kq_fixture_make(const char *path)
{
	static const char *const files[] = {
		"datapackage.json", "villages.csv", "plain.csv", "odd.csv" };
	char       dir[512], from[700], to[700];
	const char *tmp = getenv("TMPDIR");
	kueri_err  err;
	json_t    *report = NULL;
	FILE      *f;
	int        rc = -1;
	size_t     i;

	snprintf(dir, sizeof dir, "%s/kq-fixture.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(from, sizeof from, "%s/%s", KQ_FIXTURE_DIR, files[i]);
		snprintf(to, sizeof to, "%s/%s", dir, files[i]);
		if (kq_fixture_copy(from, to) < 0) {
			printf("# fixture: cannot copy %s\n", from);
			goto out;
		}
	}
	/* nums: n = 1..10000; grp = n % 7, null when n % 11 = 0; label
	 * 'L' || n % 13; big = INT64_MAX - n.  (engine-fixture.sql says the same.) */
	snprintf(to, sizeof to, "%s/nums.csv", dir);
	if (!(f = fopen(to, "w")))
		goto out;
	fprintf(f, "n,grp,label,big\n");
	for (long long n = 1; n <= 10000; n++) {
		if (n % 11 == 0)
			fprintf(f, "%lld,,L%lld,%lld\n", n, n % 13, INT64_MAX - n);
		else
			fprintf(f, "%lld,%lld,L%lld,%lld\n", n, n % 7, n % 13, INT64_MAX - n);
	}
	if (fclose(f) != 0)
		goto out;
	unlink(path);
	snprintf(to, sizeof to, "%s/datapackage.json", dir);
	kueri_err_clear(&err);
	rc = kv_publish(path, to, NULL, &report, &err);
	if (rc != 0) {
		char *s = report ? json_dumps(report, JSON_COMPACT) : NULL;

		printf("# fixture: publishing %s failed (%d): %s\n# %.2000s\n", to, rc,
		       err.msg, s ? s : "");
		free(s);
		rc = -1;
	}
	json_decref(report);
out:
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(to, sizeof to, "%s/%s", dir, files[i]);
		unlink(to);
	}
	snprintf(to, sizeof to, "%s/nums.csv", dir);
	unlink(to);
	rmdir(dir);
	return rc;
}

/* Write the hand-typed reference tables to `path` (replaced).  0 or -1. */
static int
kq_fixture_ref(const char *path)
{
	FILE    *f = fopen(KQ_FIXTURE_REF, "rb");
	char    *sql, *msg = NULL;
	long     n;
	sqlite3 *db;
	int      rc;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	sql = calloc(1, (size_t)n + 1);
	if (!sql || fread(sql, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(sql);
		return -1;
	}
	fclose(f);
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		free(sql);
		return -1;
	}
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		printf("# fixture reference: %s\n", msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
	free(sql);
	return rc == SQLITE_OK ? 0 : -1;
}

#endif
