/*
 * test_portal_catalog.c -- freshness arithmetic (ISO 8601 durations added
 * on the calendar, month ends clamped) and the catalog JSON built from a
 * hand-made portal, with a fixed `now`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "../../portal/portal_int.h"
#include "portal.h"
#include "tap.h"

/* "YYYY-MM-DDTHH:MM:SSZ" → unix seconds */
static long long
utc(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return -1;
	return (long long)timegm(&tm);
}

static void
check_add(const char *from, const char *dur, const char *want)
{
	kp_duration d;
	char got[32] = "(parse error)";

	if (portal_duration_parse(dur, &d) == 0)
		portal_iso8601(portal_duration_add(utc(from), &d), got);
	is_str(got, want, "%s + %s", from, dur);
}

static void
test_durations(void)
{
	static const char *bad[] = { "", "P", "PT", "1D", "P1", "P1H", "P1D2Y",
	                             "P1DT", "P1.5D", "P-1D", "P1DT1D", "PT1Y",
	                             "P1M1M", "P1DX", "P99999999999999D", NULL };
	kp_duration d;
	int i;

	check_add("2024-01-31T10:00:00Z", "P1M", "2024-02-29T10:00:00Z");
	check_add("2023-01-31T10:00:00Z", "P1M", "2023-02-28T10:00:00Z");
	check_add("2024-03-31T00:00:00Z", "P1M", "2024-04-30T00:00:00Z");
	check_add("2023-11-30T00:00:00Z", "P3M", "2024-02-29T00:00:00Z");
	check_add("2024-12-15T23:59:59Z", "P1M", "2025-01-15T23:59:59Z");
	check_add("2024-02-29T12:00:00Z", "P1Y", "2025-02-28T12:00:00Z");
	check_add("2024-02-28T12:00:00Z", "P1D", "2024-02-29T12:00:00Z");
	check_add("2024-12-28T00:00:00Z", "P1W", "2025-01-04T00:00:00Z");
	check_add("2024-01-31T00:00:00Z", "P1Y1M", "2025-02-28T00:00:00Z");
	check_add("2024-01-01T00:00:00Z", "P1DT2H30M", "2024-01-02T02:30:00Z");
	check_add("2024-01-01T00:00:00Z", "PT36H", "2024-01-02T12:00:00Z");
	check_add("2024-01-01T00:00:00Z", "PT90S", "2024-01-01T00:01:30Z");
	check_add("2024-01-01T00:00:00Z", "P2W3D", "2024-01-18T00:00:00Z");
	check_add("2024-01-31T00:00:00Z", "P1M1D", "2024-03-01T00:00:00Z");
	for (i = 0; bad[i]; i++)
		ok(portal_duration_parse(bad[i], &d) == -1,
		   "malformed duration '%s' refused", bad[i]);
}

static int
exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		printf("# sql error: %s\n", msg ? msg : "?");
		sqlite3_free(msg);
	}
	return rc;
}

static const char *
jget(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
test_catalog(const char *dir)
{
	char path[300];
	sqlite3 *db;
	kportal *p;
	kueri_err err;
	json_t *cat, *a, *b, *r, *f;
	long long pub = utc("2024-01-31T10:00:00Z");
	char sql[2048];

	kueri_err_clear(&err);
	snprintf(path, sizeof path, "%s/c.db", dir);
	/* open_rw creates the meta tables; fill them by hand. */
	p = portal_open_rw(path, &err);
	ok(p != NULL, "open_rw (%s)", err.msg);
	if (p == NULL)
		return;
	cat = portal_catalog_json(p, NULL, pub, &err);
	ok(json_is_array(cat) && json_array_size(cat) == 0,
	   "empty portal: empty catalog");
	json_decref(cat);
	portal_close(p);

	sqlite3_open(path, &db);
	snprintf(sql, sizeof sql,
	    "INSERT INTO kueri_package VALUES('alpha','Alpha','Dinas A','public',"
	    " 'P1M',2,%lld,'{\"name\":\"alpha\",\"description\":\"Desc\","
	    "\"licenses\":[{\"name\":\"ODbL-1.0\"}],\"keywords\":[\"k1\"],"
	    "\"contactPoint\":{\"name\":\"Ani\",\"email\":\"ani@example.org\"},"
	    "\"temporal\":{\"start\":\"2020-01-01\"}}','fp');"
	    "INSERT INTO kueri_package VALUES('beta',NULL,'Dinas B','public',"
	    " NULL,1,%lld,'{}','fp');"
	    "INSERT INTO kueri_resource VALUES('a_res','alpha','Res A','t1','',5,"
	    " '[{\"name\":\"id\",\"type\":\"integer\",\"title\":\"Id\"},"
	    "{\"name\":\"nm\",\"type\":\"string\"}]','[0]','%064d');"
	    "INSERT INTO kueri_resource VALUES('b_res','beta',NULL,'t2','',7,"
	    " '[{\"name\":\"x\",\"type\":\"date\"}]','[]','%064d');",
	    pub, pub, 1, 2);
	ok(exec(db, sql) == 0, "catalog rows inserted by hand");
	sqlite3_close(db);

	p = portal_open_ro(path, &err);
	ok(p != NULL, "open_ro (%s)", err.msg);
	if (p == NULL)
		return;
	cat = portal_catalog_json(p, NULL, utc("2024-02-29T10:00:00Z"), &err);
	ok(json_is_array(cat) && json_array_size(cat) == 2, "two packages");
	a = json_array_get(cat, 0);
	b = json_array_get(cat, 1);
	is_str(jget(a, "name"), "alpha", "packages in name order");
	is_str(jget(a, "title"), "Alpha", "title");
	is_str(jget(a, "description"), "Desc", "description from descriptor");
	is_str(jget(a, "publisher"), "Dinas A", "publisher");
	is_str(jget(a, "classification"), "public", "classification");
	is_int(json_integer_value(json_object_get(a, "version")), 2, "version");
	is_str(jget(a, "published_at"), "2024-01-31T10:00:00Z",
	       "published_at in ISO 8601 UTC");
	is_str(jget(a, "updateFrequency"), "P1M", "updateFrequency");
	is_str(jget(a, "nextUpdateDue"), "2024-02-29T10:00:00Z",
	       "due: Jan 31 + P1M clamps to Feb 29 (leap year)");
	ok(json_is_false(json_object_get(a, "overdue")),
	   "not overdue at exactly the due time");
	is_str(jget(json_array_get(json_object_get(a, "licenses"), 0), "name"),
	       "ODbL-1.0", "licenses copied");
	is_str(json_string_value(json_array_get(json_object_get(a, "keywords"),
	       0)), "k1", "keywords copied");
	is_str(jget(json_object_get(a, "contactPoint"), "email"),
	       "ani@example.org", "contactPoint copied");
	ok(json_is_object(json_object_get(a, "temporal")), "temporal copied");
	ok(json_is_null(json_object_get(a, "spatial")), "absent spatial: null");
	r = json_array_get(json_object_get(a, "resources"), 0);
	is_str(jget(r, "name"), "a_res", "resource name");
	is_str(jget(r, "title"), "Res A", "resource title");
	is_int(json_integer_value(json_object_get(r, "rows")), 5, "rows");
	f = json_array_get(json_object_get(r, "fields"), 0);
	ok(f && strcmp(jget(f, "name"), "id") == 0 &&
	   strcmp(jget(f, "type"), "integer") == 0 &&
	   strcmp(jget(f, "title"), "Id") == 0, "field name/type/title");
	is_str(json_string_value(json_array_get(json_object_get(r,
	       "primaryKey"), 0)), "id", "primaryKey by field name");
	ok(jget(r, "sha256") && strlen(jget(r, "sha256")) == 64, "sha256");
	ok(json_is_null(json_object_get(b, "nextUpdateDue")) &&
	   json_is_false(json_object_get(b, "overdue")),
	   "no updateFrequency: no due date, never overdue");
	json_decref(cat);

	cat = portal_catalog_json(p, NULL, utc("2024-02-29T10:00:01Z"), &err);
	ok(json_is_true(json_object_get(json_array_get(cat, 0), "overdue")),
	   "overdue one second after the due time");
	json_decref(cat);

	cat = portal_catalog_json(p, "beta", pub, &err);
	ok(json_array_size(cat) == 1 &&
	   strcmp(jget(json_array_get(cat, 0), "name"), "beta") == 0,
	   "one package by name");
	json_decref(cat);
	kueri_err_clear(&err);
	cat = portal_catalog_json(p, "gamma", pub, &err);
	ok(cat == NULL && err.code == KUERI_ENOTFOUND,
	   "unknown package: NULL + KUERI_ENOTFOUND");
	portal_close(p);
	unlink(path);
	snprintf(path, sizeof path, "%s/c.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/c.db-shm", dir);
	unlink(path);
}

int
main(void)
{
	char dir[] = "/tmp/kueri-catalog.XXXXXX";

	test_durations();
	if (mkdtemp(dir) == NULL)
		return 2;
	test_catalog(dir);
	rmdir(dir);
	return tap_done();
}
