/*
 * test_verify.c -- cell typing and constraints (types.c), package loading
 * errors (package.c), and kv_verify on small hostile packages: encoding,
 * structure, typed uniqueness, error caps, the ReDoS guard, and the row
 * callback contract the portal's loader relies on.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../../publish/types.h"
#include "publish.h"
#include "tap.h"

static char dir[400];

/* ---- helpers ------------------------------------------------------------ */

static void
wfile(const char *name, const char *content, size_t n)
{
	char  path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	fwrite(content, 1, n, f);
	fclose(f);
}

#define WSTR(name, s) wfile(name, s, strlen(s))

static kvt_field fld;
static char      scratch[4096];

/* Compile a field from JSON text (NULL: just release); 0 ok.  The
 * compiled field borrows strings from its JSON, so the JSON lives until
 * the next call. */
static int
field(const char *json)
{
	static json_t *cur;
	kueri_err      err;
	int            rc = 0, tz = 0;

	kvt_free(&fld);
	json_decref(cur);
	cur = json ? json_loads(json, 0, NULL) : NULL;
	/* A field's own "kueri:timezone" (the resource and package levels
	 * are publish.sh's and timezone.sh's). */
	if (cur && (rc = kvt_timezone(NULL, NULL, cur, &tz, &err)) == 0)
		rc = kvt_compile(&fld, cur, NULL, tz, &err);
	return rc;
}

static void
field_done(void)
{
	field(NULL);
}

/* Parse text with the current field: 0 ok, 1 type error. */
static int
cell(const char *s, kv_value *v)
{
	const char *why;

	return kvt_parse(&fld, s, strlen(s), v, scratch, &why);
}

static int nviol;
static char lastc[64];

static void
count_violation(void *ctx, const char *c, const char *msg)
{
	(void)ctx;
	(void)msg;
	nviol++;
	snprintf(lastc, sizeof(lastc), "%s", c);
}

/* Violations of the current field's constraints for text s (-1: type error). */
static int
violations(const char *s)
{
	kv_value v;

	if (cell(s, &v))
		return -1;
	nviol = 0;
	lastc[0] = '\0';
	kvt_check(&fld, &v, s, strlen(s), count_violation, NULL);
	return nviol;
}

static int
text_is(const char *s, const char *want)
{
	kv_value v;

	if (cell(s, &v) || v.null)
		return 0;
	if (v.len != strlen(want) || memcmp(v.s, want, v.len)) {
		printf("#   '%s' → '%.*s', want '%s'\n", s, (int)v.len, v.s, want);
		return 0;
	}
	return 1;
}

static long long
int_of(const char *s)
{
	kv_value v;

	return cell(s, &v) ? -999999 : v.i;
}

/* Write datapackage.json and verify; returns kv_verify's result or -2 if
 * the package does not load (err holds why). */
static json_t *last_report;
static kueri_err lerr;

static int
run(const char *desc, long long limit)
{
	char        path[600];
	kv_package *pkg;
	kv_opts     o = { limit, 0, NULL, NULL };
	int         rc;

	json_decref(last_report);
	last_report = NULL;
	WSTR("datapackage.json", desc);
	snprintf(path, sizeof(path), "%s/datapackage.json", dir);
	if (!(pkg = kv_package_load(path, &lerr)))
		return -2;
	rc = kv_verify(pkg, &o, NULL, NULL, NULL, &last_report, NULL, &lerr);
	kv_package_free(pkg);
	return rc;
}

/* "row,field,type;..." of the first task's errors. */
static const char *
errs(void)
{
	static char buf[2000];
	size_t      i, k = 0;
	json_t     *e;

	buf[0] = '\0';
	json_array_foreach(json_object_get(json_array_get(json_object_get(
	    last_report, "tasks"), 0), "errors"), i, e) {
		json_t *r = json_object_get(e, "rowNumber"), *f = json_object_get(e, "fieldNumber");
		char    rs[24] = "-", fs[24] = "-";

		if (json_is_integer(r))
			snprintf(rs, sizeof(rs), "%lld", (long long)json_integer_value(r));
		if (json_is_integer(f))
			snprintf(fs, sizeof(fs), "%lld", (long long)json_integer_value(f));
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%s,%s,%s", k ? ";" : "",
		                      rs, fs, json_string_value(json_object_get(e, "type")));
	}
	return buf;
}

#define PKG1(schema) \
	"{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\",\"schema\":" schema "}]}"

/* ---- types ---------------------------------------------------------------- */

static void
test_types(void)
{
	kv_value v;

	field("{\"name\":\"n\",\"type\":\"integer\"}");
	is_int(int_of("007"), 7, "integer: leading zeros are allowed (XSD integer)");
	is_int(int_of("+1"), 1, "integer: a leading + is allowed");
	is_int(int_of("-0"), 0, "integer: -0 is 0");
	ok(cell("1e3", &v) == 1, "integer: 1e3 is a type error");
	ok(cell(" 1", &v) == 1, "integer: a leading space is a type error");
	ok(cell("1,000", &v) == 1, "integer: 1,000 is a type error without groupChar");
	ok(cell("9223372036854775808", &v) == 1, "integer: 2^63 overflows: type error");
	is_int(int_of("-9223372036854775808"), (long long)(-9223372036854775807LL - 1),
	       "integer: -2^63 fits");
	ok(cell("", &v) == 0 && v.null, "integer: the empty string is missing (null)");
	field("{\"name\":\"n\",\"type\":\"integer\",\"groupChar\":\",\"}");
	is_int(int_of("1,000"), 1000, "integer: groupChar ',' makes 1,000 a thousand");
	field("{\"name\":\"n\",\"type\":\"integer\",\"bareNumber\":false}");
	is_int(int_of("Rp 95"), 95, "integer: bareNumber false strips surrounding text");

	field("{\"name\":\"n\",\"type\":\"number\"}");
	ok(cell("NaN", &v) == 0 && isnan(v.d), "number: NaN");
	ok(cell("INF", &v) == 0 && isinf(v.d) && v.d > 0, "number: INF");
	ok(cell("-INF", &v) == 0 && isinf(v.d) && v.d < 0, "number: -INF");
	ok(cell("1e309", &v) == 1, "number: 1e309 is out of range: type error");
	ok(cell("0.1", &v) == 0 && v.d == 0.1, "number: 0.1 parses exactly as the double 0.1");
	ok(cell("-20.57", &v) == 0 && v.d == -20.57, "number: -20.57");
	ok(cell("123456789012345678901.5", &v) == 0 && v.d == 123456789012345678901.5,
	   "number: long mantissas go through strtod");
	ok(cell("1.5e-3", &v) == 0 && v.d == 1.5e-3, "number: exponents");
	ok(cell("1.2.3", &v) == 1 && cell("0x10", &v) == 1 &&
	   cell("infinity", &v) == 1,
	   "number: 1.2.3, hex and 'infinity' are type errors (INF is in any "
	   "case: publish_conformance.sh)");
	field("{\"name\":\"n\",\"type\":\"number\",\"decimalChar\":\",\",\"groupChar\":\".\"}");
	ok(cell("1.234,5", &v) == 0 && v.d == 1234.5, "number: decimalChar ',' groupChar '.'");
	field("{\"name\":\"n\",\"type\":\"number\",\"bareNumber\":false}");
	ok(cell("95%", &v) == 0 && v.d == 95, "number: bareNumber false strips '%%'");

	field("{\"name\":\"b\",\"type\":\"boolean\"}");
	is_int(int_of("TRUE"), 1, "boolean: TRUE is true");
	is_int(int_of("0"), 0, "boolean: 0 is false");
	ok(cell("yes", &v) == 1, "boolean: yes is not a default true value");
	field("{\"name\":\"b\",\"type\":\"boolean\",\"trueValues\":[\"ya\"],\"falseValues\":[\"tidak\"]}");
	ok(int_of("ya") == 1 && int_of("tidak") == 0 && cell("true", &v) == 1,
	   "boolean: trueValues/falseValues replace the defaults");

	field("{\"name\":\"d\",\"type\":\"date\"}");
	ok(text_is("2024-02-29", "2024-02-29"), "date: 2024-02-29 (leap year)");
	ok(cell("2023-02-29", &v) == 1, "date: 2023-02-29 is a type error");
	ok(cell("2024-1-02", &v) == 1, "date: the default format is strict ISO");
	field("{\"name\":\"d\",\"type\":\"date\",\"format\":\"%d-%m-%Y\"}");
	ok(text_is("12-9-2025", "2025-09-12"), "date: %%d-%%m-%%Y reads unpadded 12-9-2025");
	ok(cell("31-9-2025", &v) == 1, "date: 31 September is a type error");
	field("{\"name\":\"d\",\"type\":\"date\",\"format\":\"%d %b %Y\"}");
	ok(text_is("3 Mar 2021", "2021-03-03"), "date: month names with %%b");

	field("{\"name\":\"t\",\"type\":\"datetime\"}");
	ok(text_is("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"), "datetime: UTC Z");
	ok(text_is("2024-01-02T03:04:05+07:00", "2024-01-02T03:04:05+07:00"),
	   "datetime: the offset is kept as published");
	ok(text_is("2024-01-02T03:04:05.250-0530", "2024-01-02T03:04:05.250-05:30"),
	   "datetime: fractions kept, offset normalised to ±hh:mm");
	ok(text_is("2024-01-02T03:04:05", "2024-01-02T03:04:05Z"),
	   "datetime: no offset and no kueri:timezone: read as UTC (the default)");
	ok(text_is("2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z"),
	   "datetime: +00:00 is written Z");
	/* "kueri:timezone": datetimes written without an offset are local
	 * time in the declared zone, stored with that offset; the ones with
	 * their own offset keep it (the same instant as published). */
	field("{\"name\":\"t\",\"type\":\"datetime\",\"kueri:timezone\":\"+07:00\"}");
	ok(text_is("2024-01-15T08:30:00", "2024-01-15T08:30:00+07:00"),
	   "datetime + kueri:timezone +07:00: a naive value gets +07:00, not Z");
	ok(text_is("2024-01-15T08:30:00.25", "2024-01-15T08:30:00.25+07:00"),
	   "datetime + kueri:timezone: fractions kept");
	ok(text_is("2024-01-15T01:30:00Z", "2024-01-15T01:30:00Z") &&
	   text_is("2024-01-15T10:30:00+09:00", "2024-01-15T10:30:00+09:00"),
	   "datetime + kueri:timezone: values with their own offset keep it");
	field("{\"name\":\"t\",\"type\":\"datetime\",\"kueri:timezone\":\"WITA\"}");
	ok(text_is("2024-01-15T08:30:00", "2024-01-15T08:30:00+08:00"), "kueri:timezone WITA is +08:00");
	field("{\"name\":\"t\",\"type\":\"datetime\",\"kueri:timezone\":\"WIT\"}");
	ok(text_is("2024-01-15T08:30:00", "2024-01-15T08:30:00+09:00"), "kueri:timezone WIT is +09:00");
	field("{\"name\":\"t\",\"type\":\"datetime\",\"kueri:timezone\":\"-03:30\"}");
	ok(text_is("2024-01-15T08:30:00", "2024-01-15T08:30:00-03:30"), "kueri:timezone -03:30");
	field("{\"name\":\"t\",\"type\":\"datetime\",\"kueri:timezone\":\"UTC\"}");
	ok(text_is("2024-01-15T08:30:00", "2024-01-15T08:30:00Z"), "kueri:timezone UTC is Z");
	field("{\"name\":\"t\",\"type\":\"datetime\",\"format\":\"%d/%m/%Y %H:%M\",\"kueri:timezone\":\"WIB\"}");
	ok(text_is("15/01/2024 08:30", "2024-01-15T08:30:00+07:00"),
	   "kueri:timezone applies to a custom format without %%z too");
	field("{\"name\":\"t\",\"type\":\"datetime\",\"kueri:timezone\":\"WIB\"}");
	ok(cell("2024-01-02 03:04:05", &v) == 1, "datetime: a space instead of T is a type error by default");
	field("{\"name\":\"t\",\"type\":\"time\"}");
	ok(text_is("23:59:59", "23:59:59") && cell("24:00:00", &v) == 1, "time: 23:59:59 ok, 24:00:00 not");
	field("{\"name\":\"y\",\"type\":\"year\"}");
	is_int(int_of("2024"), 2024, "year: 2024");
	field("{\"name\":\"y\",\"type\":\"yearmonth\"}");
	ok(text_is("2024-02", "2024-02") && cell("2024-13", &v) == 1, "yearmonth: 2024-02 ok, 2024-13 not");
	field("{\"name\":\"p\",\"type\":\"duration\"}");
	ok(cell("P1Y2M3DT4H5M6.5S", &v) == 0 && cell("P1W", &v) == 0, "duration: full and week forms");
	ok(cell("P", &v) == 1 && cell("1D", &v) == 1 && cell("PT", &v) == 1 && cell("P1H", &v) == 1,
	   "duration: P, 1D, PT and P1H are type errors");
	field("{\"name\":\"g\",\"type\":\"geopoint\"}");
	ok(text_is("106.8, -6.2", "-6.2,106.8"), "geopoint: 'lon, lat' becomes 'lat,lon'");
	ok(cell("200, 0", &v) == 1, "geopoint: longitude 200 is out of range");
	field("{\"name\":\"g\",\"type\":\"geopoint\",\"format\":\"array\"}");
	ok(text_is("[106.8, -6.2]", "-6.2,106.8"), "geopoint: array format");

	field("{\"name\":\"s\",\"type\":\"string\",\"format\":\"email\"}");
	ok(cell("a@b.id", &v) == 0 && cell("a@b", &v) == 1 && cell("a b@c.id", &v) == 1,
	   "string email: a@b.id ok; a@b and spaces not");
	field("{\"name\":\"s\",\"type\":\"string\",\"format\":\"uri\"}");
	ok(cell("https://data.go.id/x", &v) == 0 && cell("not a uri", &v) == 1, "string uri");
	field("{\"name\":\"s\",\"type\":\"string\",\"format\":\"uuid\"}");
	ok(cell("123e4567-e89b-12d3-a456-426614174000", &v) == 0 && cell("123e4567", &v) == 1,
	   "string uuid");
	field("{\"name\":\"s\",\"type\":\"any\"}");
	ok(text_is("anything", "anything"), "type any is kept as text");

	field("{\"name\":\"n\",\"type\":\"integer\",\"missingValues\":[\"NA\",\"-\"]}");
	ok(cell("NA", &v) == 0 && v.null && cell("-", &v) == 0 && v.null,
	   "field missingValues: NA and - are null");
	ok(cell("", &v) == 1, "field missingValues replace the default: '' is now a type error");
	field_done();
}

static void
test_constraints(void)
{
	clock_t t0;
	int     r;

	field("{\"name\":\"n\",\"type\":\"integer\",\"constraints\":{\"minimum\":0,\"maximum\":10}}");
	ok(violations("0") == 0 && violations("10") == 0, "minimum/maximum include the boundary");
	ok(violations("-1") == 1 && !strcmp(lastc, "minimum"), "below minimum is a violation");
	ok(violations("11") == 1 && !strcmp(lastc, "maximum"), "above maximum is a violation");
	field("{\"name\":\"n\",\"type\":\"number\",\"constraints\":{\"exclusiveMinimum\":0,\"exclusiveMaximum\":1}}");
	ok(violations("0") == 1 && violations("1") == 1 && violations("0.5") == 0,
	   "exclusive bounds exclude the boundary");
	field("{\"name\":\"d\",\"type\":\"date\",\"constraints\":{\"minimum\":\"2020-01-01\"}}");
	ok(violations("2019-12-31") == 1 && violations("2020-01-01") == 0, "a date minimum");
	/* Datetime bounds compare instants; a naive bound is read in the
	 * field's kueri:timezone like a naive value. */
	field("{\"name\":\"t\",\"type\":\"datetime\",\"kueri:timezone\":\"+07:00\","
	      "\"constraints\":{\"minimum\":\"2024-01-15T08:00:00\",\"exclusiveMaximum\":\"2024-01-16T00:00:00Z\"}}");
	ok(violations("2024-01-15T08:00:00") == 0 && violations("2024-01-15T07:59:59") == 1,
	   "datetime minimum in the declared zone: 08:00 local ok, 07:59:59 local below");
	ok(violations("2024-01-15T01:30:00Z") == 0,
	   "datetime minimum by instant: 01:30Z is 08:30 at +07:00, not below 08:00+07:00");
	ok(violations("2024-01-15T00:59:59Z") == 1 && !strcmp(lastc, "minimum"),
	   "datetime minimum by instant: 00:59:59Z is 07:59:59 at +07:00, below");
	ok(violations("2024-01-16T06:59:59.999") == 0 && violations("2024-01-16T07:00:00") == 1 &&
	   violations("2024-01-16T09:00:00.5+09:00") == 1 && violations("2024-01-15T23:59:59.9Z") == 0,
	   "datetime exclusiveMaximum by instant, fractions included");
	field("{\"name\":\"s\",\"type\":\"string\",\"constraints\":{\"required\":true,\"minLength\":2,\"maxLength\":3}}");
	ok(violations("") == 1 && !strcmp(lastc, "required"), "required: a missing value is a violation");
	ok(violations("a") == 1 && violations("abcd") == 1 && violations("ab") == 0,
	   "minLength/maxLength");
	ok(violations("\xc3\xa9\xc3\xa9\xc3\xa9") == 0, "lengths count characters, not bytes");
	field("{\"name\":\"s\",\"type\":\"string\",\"constraints\":{\"enum\":[\"up\",\"down\"]}}");
	ok(violations("up") == 0 && violations("Up") == 1 && violations("up ") == 1,
	   "enum: values differing by case or spaces do not match");
	field("{\"name\":\"n\",\"type\":\"integer\",\"constraints\":{\"enum\":[1,2]}}");
	ok(violations("01") == 0 && violations("3") == 1, "enum compares typed values (01 is 1)");
	field("{\"name\":\"s\",\"type\":\"string\",\"constraints\":{\"pattern\":\"[0-9]{2}\"}}");
	ok(violations("12") == 0 && violations("123") == 1 && violations("a12") == 1,
	   "pattern is anchored to the whole value");
	field("{\"name\":\"s\",\"type\":\"string\",\"constraints\":{\"pattern\":\"a|ab\"}}");
	ok(violations("ab") == 0, "whole-value anchoring applies to every alternative");
	field("{\"name\":\"s\",\"type\":\"string\",\"constraints\":{\"pattern\":\"(a+)+b\"}}");
	t0 = clock();
	r = violations("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!b");
	ok(r == 1, "a catastrophic pattern on a hostile value is reported, not hung on");
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0, "and it gives up within a second (%.3f s)",
	   (double)(clock() - t0) / CLOCKS_PER_SEC);
	ok(fld.re_gaveup == 1 && strstr(lastc, "pattern"), "it is the match limit that stopped it (%lld)", fld.re_gaveup);
	field_done();
}

/* ---- package loading -------------------------------------------------------- */

static void
load_fails(const char *desc, const char *want, const char *what)
{
	int rc = run(desc, 0);

	ok(rc == -2 && strstr(lerr.msg, want) != NULL, "%s (%s)", what,
	   rc == -2 ? lerr.msg : "loaded");
}

static void
test_package(void)
{
	char link[600];

	WSTR("r.csv", "a\n1\n");
	load_fails("{\"name\": \"t\",\n \"resources\": [}", "datapackage.json:2:",
	           "bad JSON names the file, line and column");
	load_fails("{\"name\":\"t\",\"name\":\"u\",\"resources\":[]}", "duplicate",
	           "duplicate object keys are refused");
	load_fails("{\"name\":\"Tee\",\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\"}]}",
	           "package name", "an upper-case package name is refused");
	load_fails("{\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\"}]}",
	           "package name", "a missing package name is refused");
	load_fails("{\"name\":\"t\",\"classification\":\"secret\",\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\"}]}",
	           "classification", "classification other than public/private is refused");
	load_fails("{\"name\":\"t\",\"updateFrequency\":\"weekly\",\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\"}]}",
	           "updateFrequency", "a non-ISO updateFrequency is refused");
	load_fails("{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"/etc/passwd\"}]}",
	           "must be relative", "an absolute resource path is refused");
	load_fails("{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"sub/../../r.csv\"}]}",
	           "must be relative", "a '..' component is refused");
	load_fails("{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"https://x.id/r.csv\"}]}",
	           "is a remote URL", "a URL path is refused");
	snprintf(link, sizeof(link), "%s/escape.csv", dir);
	unlink(link);
	if (symlink("/etc/hostname", link) == 0)
		load_fails("{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"escape.csv\"}]}",
		           "outside the package folder", "a symlink leading outside is refused");
	load_fails("{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"nope.csv\"}]}",
	           "nope.csv", "a missing CSV is an error naming it");
	load_fails("{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\",\"schema\":\"../s.json\"}]}",
	           "must be relative", "a schema path escaping the folder is refused");
	WSTR("bad.json", "{\"fields\": [\n{\"name\": }]}");
	load_fails("{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\",\"schema\":\"bad.json\"}]}",
	           "bad.json:2:", "a schema file with bad JSON names its line");
	load_fails(PKG1("{\"fields\":[{\"name\":\"a\",\"type\":\"currency\"}]}"),
	           "unknown or unsupported type \"currency\"", "an unknown field type is refused");
	load_fails(PKG1("{\"fields\":[{\"name\":\"a\",\"constraints\":{\"pattern\":\"([0-9\"}}]}"),
	           "offset", "a pattern that does not compile reports PCRE2's offset");
	load_fails(PKG1("{\"fields\":[{\"name\":\"a\"}],\"primaryKey\":[\"b\"]}"),
	           "\"b\", which is not a field", "a primaryKey naming a missing field is refused");
	load_fails(PKG1("{\"fields\":[{\"name\":\"a\"}],\"foreignKeys\":[{\"fields\":\"a\",\"reference\":{\"resource\":\"zz\",\"fields\":\"a\"}}]}"),
	           "\"zz\", which is not in the package", "a foreign key to a missing resource is refused");
	load_fails(PKG1("{\"fields\":[{\"name\":\"a\",\"type\":\"integer\",\"constraints\":{\"minimum\":\"x\"}}]}"),
	           "minimum", "a minimum of the wrong type is refused");
	load_fails(PKG1("{\"fields\":[{\"name\":\"a\",\"type\":\"datetime\",\"kueri:timezone\":\"Asia/Jakarta\"}]}"),
	           "field \"a\": \"kueri:timezone\" must be a UTC offset", "a kueri:timezone that is not an offset or WIB/WITA/WIT is refused");
	load_fails("{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\",\"kueri:timezone\":\"+14:01\","
	           "\"schema\":{\"fields\":[{\"name\":\"a\"}]}}]}",
	           "resource \"r\": \"kueri:timezone\" must be a UTC offset", "a resource's kueri:timezone beyond 14:00 is refused");
	load_fails("{\"name\":\"t\",\"kueri:timezone\":7,\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\","
	           "\"schema\":{\"fields\":[{\"name\":\"a\"}]}}]}",
	           "package \"t\": \"kueri:timezone\" must be a UTC offset", "a package's kueri:timezone that is not a string is refused");
	load_fails("{\"name\":\"t\",\"resources\":[{\"name\":\"my set/x\",\"path\":\"r.csv\"}]}",
	           "must be letters, digits", "a resource name outside Data Resource's characters is refused");
	load_fails("{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\"},{\"name\":\"r\",\"path\":\"r.csv\"}]}",
	           "used twice", "two resources with one name are refused");

	{
		char  *deep = malloc(20100);
		size_t k = (size_t)sprintf(deep, "{\"name\":\"t\",\"x\":");

		memset(deep + k, '[', 5000);
		memset(deep + k + 5000, ']', 5000);
		strcpy(deep + k + 10000, "}");
		load_fails(deep, "datapackage.json:1:", "JSON nested 5000 deep is refused with a position");
		free(deep);
	}
	load_fails(PKG1("{\"fields\":[{\"name\":\"a\",\"type\":\"number\",\"constraints\":{\"maximum\":1e400}}]}"),
	           "datapackage.json:1:", "a number too big for a double is refused with a position");
	load_fails(PKG1("{\"fields\":[{\"name\":\"a\",\"type\":\"decimal\"}]}"),
	           "unsupported type \"decimal\"", "an unknown type is refused (a clear error)");
	WSTR("r.csv", "rowid,oid,_rowid_,\"a\"\"b]\"\n1,2,3,4\n");
	ok(run(PKG1("{\"fields\":[{\"name\":\"rowid\"},{\"name\":\"oid\"},{\"name\":\"_rowid_\"},{\"name\":\"a\\\"b]\"}]}"), 0) == 0,
	   "fields named rowid, oid, _rowid_ and a\"b] are fine (the portal uses c<i>)");
	{
		char        path[600];
		kv_package *pkg;

		WSTR("datapackage.json", "{\"name\":\"t\",\"publisher\":\"Dinas X\",\"classification\":\"public\","
		     "\"updateFrequency\":\"P1M\",\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\","
		     "\"schema\":{\"fields\":[{\"name\":\"a\",\"type\":\"integer\",\"constraints\":{\"required\":true}},"
		     "{\"name\":\"b\"},{\"name\":\"c\",\"kueri:search\":false},{\"name\":\"d\",\"searchable\":false},"
		     "{\"name\":\"e\",\"type\":\"number\",\"kueri:decimal\":true},{\"name\":\"f\",\"type\":\"number\"}],"
		     "\"primaryKey\":\"b\"}}]}");
		snprintf(path, sizeof(path), "%s/datapackage.json", dir);
		pkg = kv_package_load(path, &lerr);
		ok(pkg && !strcmp(pkg->publisher, "Dinas X") && !strcmp(pkg->classification, "public") &&
		   !strcmp(pkg->update_frequency, "P1M"), "catalog properties are read");
		ok(pkg && pkg->res[0].nfields == 6 && pkg->res[0].fields[0].type == KP_INTEGER &&
		   !pkg->res[0].fields[0].nullable && !pkg->res[0].fields[1].nullable &&
		   pkg->res[0].fields[2].nullable, "kp_field: type; required and key fields not nullable");
		ok(pkg && pkg->res[0].nkeys == 1 && pkg->res[0].keys[0] == 1, "primaryKey as a string");
		ok(pkg && pkg->res[0].fields[1].searchable && !pkg->res[0].fields[2].searchable &&
		   !pkg->res[0].fields[3].searchable && !pkg->res[0].fields[0].searchable,
		   "string fields are searchable unless \"kueri:search\" or \"searchable\" is false");
		ok(pkg && pkg->res[0].fields[4].decimal && !pkg->res[0].fields[5].decimal,
		   "\"kueri:decimal\": true marks a number field Edm.Decimal");
		ok(pkg && kv_package_check_catalog(pkg, &lerr) == 0, "a complete package may be published");
		kv_package_free(pkg);
		WSTR("datapackage.json", "{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\"}]}");
		pkg = kv_package_load(path, &lerr);
		ok(pkg && kv_package_check_catalog(pkg, &lerr) < 0 && strstr(lerr.msg, "publisher"),
		   "without publisher it verifies but may not be published");
		kv_package_free(pkg);
	}
}

/* ---- verification ------------------------------------------------------------ */

static void
test_verify(void)
{
	const char *s2 = PKG1("{\"fields\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"name\"}]}");

	WSTR("r.csv", "\xef\xbb\xbfid,name\n1,a\n");
	is_int(run(s2, 0), 0, "a BOM before the header is stripped: labels match, valid");
	WSTR("r.csv", "id,name\n1,a\xff\n2,b\n");
	is_int(run(s2, 0), 1, "invalid UTF-8 makes the resource invalid");
	is_str(errs(), "2,2,encoding-error", "invalid UTF-8 is an encoding-error at its row and field");
	wfile("r.csv", "id,name\n1,a\0b\n", 14);
	run(s2, 0);
	is_str(errs(), "2,2,encoding-error", "a NUL byte is an encoding-error");
	WSTR("r.csv", "id,name\n1,\"open\n2,b\n");
	run(s2, 0);
	is_str(errs(), "2,-,source-error", "an unterminated quote is a source-error at the row it opened");
	WSTR("r.csv", "id,name\n");
	is_int(run(s2, 0), 0, "a header-only file is valid with zero rows");
	is_int(json_integer_value(json_object_get(json_object_get(json_array_get(
	       json_object_get(last_report, "tasks"), 0), "stats"), "rows")), 0,
	       "header-only: stats.rows is 0");
	WSTR("r.csv", "");
	run(s2, 0);
	is_str(errs(), "-,-,source-error", "a zero-byte file is a source-error");
	WSTR("r.csv", "id,name\r\n1,a\r2,b\n\n3,c");
	run(s2, 0);
	is_str(errs(), "4,-,blank-row", "mixed CR/LF/CRLF rows; a middle blank line is a blank-row");
	WSTR("r.csv", "id,name\n1,a\n2\n3,c,x\n");
	run(s2, 0);
	is_str(errs(), "3,2,missing-cell;4,3,extra-cell", "short and long rows");
	WSTR("r.csv", "id,nama\n1,a\n");
	run(s2, 0);
	is_str(errs(), "-,2,incorrect-label", "a label that differs from the field name");

	/* A message quoting a cell cut inside a character stays valid UTF-8. */
	{
		char   line[200] = "n\nx";
		char  *d;
		json_t *e;
		int    i;

		for (i = 0; i < 40; i++)
			strcat(line, "\xc3\xa9");
		strcat(line, "\n");
		WSTR("r.csv", line);
		run(PKG1("{\"fields\":[{\"name\":\"n\",\"type\":\"integer\"}]}"), 0);
		e = json_array_get(json_object_get(json_array_get(json_object_get(
		    last_report, "tasks"), 0), "errors"), 0);
		ok(json_is_string(json_object_get(e, "message")) &&
		   json_string_length(json_object_get(e, "cell")) == 81,
		   "a type-error quoting a long non-ASCII cell keeps a valid message and the whole cell");
		d = json_dumps(last_report, 0);
		{
			json_t *again = d ? json_loads(d, 0, NULL) : NULL;

			ok(again != NULL, "and the report round-trips as JSON");
			json_decref(again);
		}
		free(d);
	}

	/* 100 000 columns: a clear error, not 100 000 allocations. */
	{
		size_t n = 200000;
		char  *buf = malloc(n + 4);
		size_t i;

		memcpy(buf, "a\n", 2);
		for (i = 2; i < n; i++)
			buf[i] = (i % 2) ? ',' : 'x';
		buf[n] = '\n';
		wfile("r.csv", buf, n + 1);
		free(buf);
		run(PKG1("{\"fields\":[{\"name\":\"a\"}]}"), 0);
		ok(strstr(errs(), "2,-,source-error") != NULL,
		   "a row of 100 000 fields is a source-error (limit 16384): %s", errs());
	}

	/* Uniqueness is on the typed value. */
	WSTR("r.csv", "n\n1\n01\n+1\n");
	run(PKG1("{\"fields\":[{\"name\":\"n\",\"type\":\"integer\",\"constraints\":{\"unique\":true}}]}"), 0);
	is_str(errs(), "3,1,unique-error;4,1,unique-error", "integers 1, 01, +1 are one value");
	WSTR("r.csv", "n\n1\n1.0\n1e0\n-0\n0\n");
	run(PKG1("{\"fields\":[{\"name\":\"n\",\"type\":\"number\",\"constraints\":{\"unique\":true}}]}"), 0);
	is_str(errs(), "3,1,unique-error;4,1,unique-error;6,1,unique-error",
	       "numbers 1, 1.0, 1e0 are one value, and -0 equals 0");
	WSTR("r.csv", "s\na\nA\na \n");
	is_int(run(PKG1("{\"fields\":[{\"name\":\"s\",\"constraints\":{\"unique\":true}}]}"), 0), 0,
	       "strings differing by case or whitespace are distinct");
	WSTR("r.csv", "a,b\n1,x\n1,y\n2,x\n1,x\n");
	run(PKG1("{\"fields\":[{\"name\":\"a\",\"type\":\"integer\"},{\"name\":\"b\"}],\"uniqueKeys\":[[\"a\",\"b\"]]}"), 0);
	is_str(errs(), "5,-,unique-error", "uniqueKeys: a composite key repeats only at row 5");
	WSTR("r.csv", "a,b\n1,x\n1,y\n2,x\n1,x\n,x\n");
	run(PKG1("{\"fields\":[{\"name\":\"a\",\"type\":\"integer\"},{\"name\":\"b\"}],\"primaryKey\":[\"a\",\"b\"]}"), 0);
	is_str(errs(), "5,-,primary-key-error;6,-,primary-key-error",
	       "primaryKey: a repeat and a missing key field are primary-key-errors");

	/* Many duplicates of one value: each confirmed against the first. */
	{
		char  *buf = malloc(300000);
		size_t k = (size_t)sprintf(buf, "id\n");
		int    i;

		for (i = 0; i < 20000; i++)
			k += (size_t)sprintf(buf + k, "%d\n", i % 10000);
		wfile("r.csv", buf, k);
		free(buf);
		run(PKG1("{\"fields\":[{\"name\":\"id\",\"type\":\"integer\"}],\"primaryKey\":\"id\"}"), 5);
		is_int(json_integer_value(json_object_get(json_object_get(json_array_get(
		       json_object_get(last_report, "tasks"), 0), "stats"), "errors")), 10000,
		       "20000 rows of 10000 keys: exactly 10000 primary-key-errors counted");
		is_int(json_array_size(json_object_get(json_array_get(
		       json_object_get(last_report, "tasks"), 0), "errors")), 5,
		       "--limit-errors caps the reported errors");
		ok(strstr(json_string_value(json_array_get(json_object_get(json_array_get(
		       json_object_get(last_report, "tasks"), 0), "warnings"), 0)) ?: "",
		          "reached error limit: 5") != NULL, "a note says the limit was reached");
	}

	/* A hostile pattern on many rows stops being tried, with a note. */
	{
		char  *buf = malloc(200000);
		size_t k = (size_t)sprintf(buf, "s\n");
		int    i;
		clock_t t0 = clock();

		for (i = 0; i < 1000; i++)
			k += (size_t)sprintf(buf + k, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!b\n");
		wfile("r.csv", buf, k);
		free(buf);
		is_int(run(PKG1("{\"fields\":[{\"name\":\"s\",\"constraints\":{\"pattern\":\"(a|a)+b\"}}]}"), 0), 1,
		       "a ReDoS pattern over 1000 rows: invalid");
		ok((double)(clock() - t0) / CLOCKS_PER_SEC < 3.0, "and finishes fast (%.2f s)",
		   (double)(clock() - t0) / CLOCKS_PER_SEC);
		ok(strstr(json_string_value(json_array_get(json_object_get(json_array_get(
		       json_object_get(last_report, "tasks"), 0), "warnings"), 0)) ?: "",
		          "too costly") != NULL, "with a note that the pattern was too costly");
	}

	/* A record over the cap is a clear source-error (16 MB default). */
	{
		size_t n = (17u << 20);
		char  *buf = malloc(n + 16);

		memcpy(buf, "s\n\"", 3);
		memset(buf + 3, 'x', n);
		memcpy(buf + 3 + n, "\"\n", 2);
		wfile("r.csv", buf, n + 5);
		free(buf);
		run(PKG1("{\"fields\":[{\"name\":\"s\"}]}"), 0);
		ok(strstr(errs(), "2,-,source-error") != NULL,
		   "a 17 MB field is a source-error: %s", errs());
	}
}

/* ---- the callback contract ----------------------------------------------------- */

typedef struct cb {
	char      log[4000];
	size_t    k;
	int       stop_at;
} cb;

static int
cb_begin(void *ctx, int ri)
{
	cb *c = ctx;

	c->k += (size_t)snprintf(c->log + c->k, sizeof(c->log) - c->k, "[%d]", ri);
	return 0;
}

static int
cb_row(void *ctx, long long row, const kv_value *v, int n)
{
	cb *c = ctx;
	int i;

	c->k += (size_t)snprintf(c->log + c->k, sizeof(c->log) - c->k, "%lld:", row);
	for (i = 0; i < n; i++) {
		if (v[i].null)
			c->k += (size_t)snprintf(c->log + c->k, sizeof(c->log) - c->k, "N");
		else if (v[i].s)
			c->k += (size_t)snprintf(c->log + c->k, sizeof(c->log) - c->k, "'%.*s'",
			                         (int)v[i].len, v[i].s);
		else
			c->k += (size_t)snprintf(c->log + c->k, sizeof(c->log) - c->k, "%lld/%g",
			                         v[i].i, v[i].d);
		c->k += (size_t)snprintf(c->log + c->k, sizeof(c->log) - c->k, i + 1 < n ? "," : " ");
	}
	return c->stop_at && row >= c->stop_at ? -1 : 0;
}

static void
test_callback(void)
{
	char        path[600];
	kv_package *pkg;
	kv_stats    st[2];
	cb          c;
	int         rc;
	json_t     *rep = NULL;

	WSTR("child.csv", "id,parent,ok,when\n1,10,true,2024-02-29\n2,,0,\n");
	WSTR("parent.csv", "id,x\n10,1.5\n");
	WSTR("datapackage.json",
	     "{\"name\":\"t\",\"resources\":["
	     "{\"name\":\"child\",\"path\":\"child.csv\",\"schema\":{\"fields\":["
	     "{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"parent\",\"type\":\"integer\"},"
	     "{\"name\":\"ok\",\"type\":\"boolean\"},{\"name\":\"when\",\"type\":\"date\"}],"
	     "\"foreignKeys\":[{\"fields\":\"parent\",\"reference\":{\"resource\":\"parent\",\"fields\":\"id\"}}]}},"
	     "{\"name\":\"parent\",\"path\":\"parent.csv\",\"schema\":{\"fields\":["
	     "{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"x\",\"type\":\"number\"}]}}]}");
	snprintf(path, sizeof(path), "%s/datapackage.json", dir);
	pkg = kv_package_load(path, &lerr);
	memset(&c, 0, sizeof(c));
	rc = kv_verify(pkg, NULL, cb_begin, cb_row, &c, &rep, st, &lerr);
	is_int(rc, 0, "a valid two-resource package verifies");
	is_str(c.log, "[1]2:10/0,0/1.5 [0]2:1/0,10/0,1/0,'2024-02-29' 3:2/0,N,0/0,N ",
	       "begin(ri) precedes each resource's rows, referenced resource first; typed values");
	is_int(st[0].rows, 2, "stats are indexed by package order (child: 2 rows)");
	is_int(st[1].rows, 1, "stats: parent 1 row");
	ok(strlen(st[0].sha256) == 64, "stats carry the CSV's SHA-256");
	json_decref(rep);
	rep = NULL;

	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	rc = kv_verify(pkg, NULL, cb_begin, cb_row, &c, &rep, NULL, &lerr);
	is_int(rc, -1, "a callback returning -1 aborts verification with -1");
	json_decref(rep);
	rep = NULL;
	kv_package_free(pkg);

	WSTR("child.csv", "id,parent,ok,when\n1,10,true,2024-02-29\n2,99,0,\n3,10,1,\n");
	pkg = kv_package_load(path, &lerr);
	memset(&c, 0, sizeof(c));
	rc = kv_verify(pkg, NULL, cb_begin, cb_row, &c, &rep, NULL, &lerr);
	is_int(rc, 1, "a dangling foreign key makes the package invalid");
	is_str(c.log, "[1]2:10/0,0/1.5 [0]2:1/0,10/0,1/0,'2024-02-29' ",
	       "rows stop at the first error and are never sent after it");
	{
		char *d = json_dumps(rep, JSON_COMPACT);

		ok(d && strstr(d, "\"foreign-key-error\"") != NULL,
		   "the report has the foreign-key-error");
		free(d);
	}
	json_decref(rep);
	kv_package_free(pkg);
}

/* A resource without a schema gets one inferred from its first rows; a
 * cell of 96 bytes or more is not tried against the types (found by
 * tests/fuzz/fuzz_verify.c: the skipped compile left the field struct
 * uninitialised and its free crashed). */
static void
test_infer_long_cell(void)
{
	char csv[300];
	int  rc;

	/* The long cell is the first one tried, so no earlier kvt_free has
	 * zeroed the stack slot. */
	memset(csv, 'Z', sizeof(csv));
	memcpy(csv, "id,name\n", 8);
	memcpy(csv + 8 + 150, ",x,y\n2,short\n", 13);
	wfile("r.csv", csv, 8 + 150 + 13);
	rc = run("{\"name\":\"t\",\"resources\":[{\"name\":\"r\",\"path\":\"r.csv\"}]}", 0);
	is_int(rc, 1, "an inferred schema with a 150-byte first cell loads and verifies");
	is_str(errs(), "2,3,extra-cell", "the row with the long cell is checked like any other");
	ok(json_is_object(last_report), "verification ran and reported");
}

int
main(void)
{
	char cmd[500];

	snprintf(dir, sizeof(dir), "%s/kueri-verify.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	test_types();
	test_constraints();
	test_package();
	test_verify();
	test_callback();
	test_infer_long_cell();
	json_decref(last_report);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
