/*
 * test_portal_catalog.c -- freshness arithmetic (ISO 8601 durations added
 * on the calendar, month ends clamped) and the catalog JSON built from a
 * portal written by the portal's writer (portal_fixture.h), with a fixed
 * `now`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

/* portal_int.h only for the duration arithmetic (not public). */
#include "../../portal/portal_int.h"
#include "portal.h"
#include "portal_fixture.h"
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

	if (portal_frequency_parse(dur, &d) == 0)
		portal_iso8601(portal_duration_add(utc(from), &d), got);
	is_str(got, want, "%s + %s", from, dur);
}

/* The arithmetic; which texts are refused is the table of
 * tests/data/duration.txt ("freq" cases, test_duration). */
static void
test_durations(void)
{
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
	/* The publisher accepts a fraction after the T; so does the catalog
	 * now (its own scanner refused PT1.5H: no due date at all). */
	check_add("2024-01-01T00:00:00Z", "PT1.5H", "2024-01-01T01:30:00Z");
	check_add("2024-01-01T00:00:00Z", "PT0.1H", "2024-01-01T00:06:00Z");
}

static const char *
jget(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The catalog portal, written through the portal's writer API
 * (portal_fixture.h), so the catalog is read from the layout the publisher
 * writes today: alpha (published twice: version 2) with a keyed set of 5
 * rows, beta with an untitled 7-row set, and a private package the
 * catalog must never list. */
static const kp_field a_fields[] = {
	{ .name = "id", .title = "Id", .type = KP_INTEGER, .nullable = 0 },
	{ .name = "nm", .type = KP_STRING, .nullable = 1 },
};
static const int a_key[] = { 0 };
static const kp_value a_rows[] = {
	{ .i = 1 }, { .s = "a", .len = 1 }, { .i = 2 }, { .s = "b", .len = 1 },
	{ .i = 3 }, { .null = 1 },          { .i = 4 }, { .s = "d", .len = 1 },
	{ .i = 5 }, { .s = "e", .len = 1 },
};
static const pf_set a_sets[] = {
	{ "a_res", "Res A", 2, a_fields, 1, a_key, 5, a_rows },
};
static const kp_package_def a_pkg = {
	"Alpha", "Dinas A", "public", "P1M",
	"{\"name\":\"alpha\",\"description\":\"Desc\","
	"\"licenses\":[{\"name\":\"ODbL-1.0\"}],\"keywords\":[\"k1\"],"
	"\"contactPoint\":{\"name\":\"Ani\",\"email\":\"ani@example.org\"},"
	"\"temporal\":{\"start\":\"2020-01-01\"}}",
	"fp",
};
static const kp_field b_fields[] = {
	{ .name = "x", .type = KP_DATE, .nullable = 1 },
};
static const kp_value b_rows[] = {
	{ .s = "2024-01-01", .len = 10 }, { .s = "2024-01-02", .len = 10 },
	{ .s = "2024-01-03", .len = 10 }, { .s = "2024-01-04", .len = 10 },
	{ .s = "2024-01-05", .len = 10 }, { .s = "2024-01-06", .len = 10 },
	{ .null = 1 },
};
static const pf_set b_sets[] = {
	{ "b_res", NULL, 1, b_fields, 0, NULL, 7, b_rows },
};
static const kp_package_def b_pkg = {
	NULL, "Dinas B", "public", NULL, "{}", "fp",
};
/* Written private on purpose: a canary the catalog never shows. */
static const kp_field z_fields[] = {
	{ .name = "secret", .type = KP_STRING, .nullable = 1 },
};
static const kp_value z_rows[] = { { .s = "CANARY", .len = 6 } };
static const pf_set z_sets[] = {
	{ "z_res", NULL, 1, z_fields, 0, NULL, 1, z_rows },
};
static const kp_package_def z_pkg = {
	"Zeta", "Dinas Z", "private", NULL, "{}", "fp",
};

static void
test_catalog(const char *dir)
{
	char path[300];
	sqlite3 *db;
	kportal *p;
	kueri_err err;
	json_t *cat, *a, *b, *r, *f;
	long long pub = utc("2024-01-31T10:00:00Z");
	char sql[200];
	size_t i;
	int hit;

	kueri_err_clear(&err);
	snprintf(path, sizeof path, "%s/c.db", dir);
	pf_unlink(path);
	p = portal_open_rw(path, &err);
	ok(p != NULL, "open_rw (%s)", err.msg);
	if (p == NULL)
		return;
	cat = portal_catalog_json(p, NULL, pub, &err);
	ok(json_is_array(cat) && json_array_size(cat) == 0,
	   "empty portal: empty catalog");
	json_decref(cat);
	portal_close(p);

	ok(pf_publish(path, "alpha", &a_pkg, a_sets, 1) == 0 &&
	   pf_publish(path, "alpha", &a_pkg, a_sets, 1) == 0 &&
	   pf_publish(path, "beta", &b_pkg, b_sets, 1) == 0 &&
	   pf_publish(path, "zeta", &z_pkg, z_sets, 1) == 0,
	   "alpha (twice), beta and private zeta written by the portal writer");
	/* The writer stamps published_at with the real clock; the freshness
	 * checks below need a fixed Jan 31 publish time (the month-end clamp
	 * into a leap February), so that one column is set afterwards. */
	snprintf(sql, sizeof sql,
	         "UPDATE kueri_package SET published_at = %lld", pub);
	ok(sqlite3_open(path, &db) == SQLITE_OK &&
	   sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK &&
	   sqlite3_changes(db) == 3, "published_at set to %lld on 3 packages",
	   pub);
	sqlite3_close(db);

	p = portal_open_ro(path, &err);
	ok(p != NULL, "open_ro (%s)", err.msg);
	if (p == NULL)
		return;
	cat = portal_catalog_json(p, NULL, utc("2024-02-29T10:00:00Z"), &err);
	ok(json_is_array(cat) && json_array_size(cat) == 2,
	   "two packages: the private one is not listed");
	for (hit = 0, i = 0; i < json_array_size(cat); i++)
		if (strcmp(jget(json_array_get(cat, i), "name"), "zeta") == 0)
			hit = 1;
	ok(!hit, "private package zeta never in the catalog");
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
	json_decref(cat);
	kueri_err_clear(&err);
	cat = portal_catalog_json(p, "zeta", pub, &err);
	ok(cat == NULL && err.code == KUERI_ENOTFOUND,
	   "private package by name: NULL + KUERI_ENOTFOUND, like unknown");
	json_decref(cat);
	portal_close(p);
	pf_unlink(path);
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
