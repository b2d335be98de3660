/*
 * catalog.c -- the catalog as JSON: every published package with its
 * owner, classification, version, resources, and freshness (when the next
 * update is due under the promised updateFrequency, and whether it is
 * overdue).  `kueri catalog --json` prints it; the service serves it.
 *
 * Durations follow ISO 8601 / XML Schema arithmetic: years and months are
 * added on the calendar first, the day clamped to the month's length
 * (Jan 31 + P1M = Feb 28 or 29), then weeks, days and the time part as
 * exact seconds.  All in UTC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "portal.h"
#include "portal_int.h"
#include "kutil.h"

static int
month_days(long long y, int m /* 0..11 */)
{
	return ku_days_in_month(y, m + 1);
}

/*
 * The catalog's reading of an updateFrequency.  The text is scanned by
 * util's ku_duration_parse (the one ISO 8601 duration scanner); here we
 * only judge its parts and split them the way portal_duration_add adds
 * them.  The publisher has accepted the text (kvt_duration_ok and its
 * range check), but a portal written by an older publisher may hold
 * anything, so: no sign; at most 12 digits and 1e9 per part, so no
 * product below can wrap (P99999999999Y did once); a fraction only after
 * the T (a month has no exact length, PT1.5H is 5400 s), whole seconds
 * kept.
 */
int
portal_frequency_parse(const char *s, kp_duration *d)
{
	ku_duration u;
	size_t      pos;
	double      secs;
	int         k;

	memset(d, 0, sizeof *d);
	if (s == NULL ||
	    ku_duration_parse(s, strlen(s), 0, 12, &u, &pos) != KU_DUR_OK)
		return -1;
	for (k = 0; k < KU_DUR__N; k++)
		if (u.v[k] > 1e9 || (k < KU_DUR_H && u.mark[k]))
			return -1;
	d->years = (long long)u.v[KU_DUR_Y];
	d->months = (long long)u.v[KU_DUR_MO];
	d->days = 7 * (long long)u.v[KU_DUR_W] + (long long)u.v[KU_DUR_D];
	/* PT0.1H is 360 s even though 0.1 × 3600 is not exact in binary. */
	secs = u.v[KU_DUR_H] * 3600 + u.v[KU_DUR_MI] * 60 + u.v[KU_DUR_S];
	d->seconds = (long long)(secs + 1e-6);
	return 0;
}

long long
portal_duration_add(long long t, const kp_duration *d)
{
	time_t tt = (time_t)t;
	struct tm tm;
	long long y, m, md;

	if (gmtime_r(&tt, &tm) == NULL)
		return -1;
	m = tm.tm_mon + d->months + 12 * d->years;
	y = tm.tm_year + 1900LL + (m >= 0 ? m / 12 : -((11 - m) / 12));
	m = ((m % 12) + 12) % 12;
	/* ISO 8601's four-digit years: beyond them tm_year would wrap. */
	if (y < 1 || y > 9999)
		return -1;
	md = month_days(y, (int)m);
	if (tm.tm_mday > md)
		tm.tm_mday = (int)md;
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)m;
	tm.tm_isdst = 0;
	tt = timegm(&tm);
	if (tt == (time_t)-1)
		return -1;
	return (long long)tt + d->days * 86400LL + d->seconds;
}

void
portal_iso8601(long long t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%s", "1970-01-01T00:00:00Z");
}

/* ---- building the JSON ---------------------------------------------- */

static const char pkg_sql[] =
	"SELECT name, title, publisher, classification, update_frequency,"
	" version, published_at, descriptor FROM kueri_package"
	" WHERE (?1 IS NULL OR name = ?1) AND classification = 'public'"
	" ORDER BY name";

static const char res_sql[] =
	"SELECT name, title, rows, fields, keys, sha256 FROM kueri_resource"
	" WHERE package = ?1 ORDER BY rowid";

/* Copy a descriptor property (any JSON) or null. */
static int
copy_prop(json_t *out, json_t *desc, const char *key)
{
	json_t *v = json_object_get(desc, key);

	return json_object_set_new(out, key, v ? json_deep_copy(v) : json_null());
}

static json_t *
str_or_null(const unsigned char *s)
{
	return s ? json_string((const char *)s) : json_null();
}

/*
 * Append one catalog object per field of `fields` to `fo`: the published
 * name, the OData name the service uses for it (names.c), type and title.
 */
static int
odata_field_names(json_t *fields, json_t *fo)
{
	size_t i, n = json_array_size(fields);
	const char **v = calloc(n + 1, sizeof *v);
	char (*out)[KP_NAME_MAX] = calloc(n + 1, sizeof *out);
	json_t *f;
	int rc = -1;

	if (v == NULL || out == NULL)
		goto done;
	json_array_foreach(fields, i, f) {
		v[i] = json_string_value(json_object_get(f, "name"));
		if (v[i] == NULL)
			v[i] = "";
	}
	kp_odata_names(v, (int)n, out);
	json_array_foreach(fields, i, f) {
		json_t *t = json_object_get(f, "title");
		json_t *d = json_object_get(f, "description");

		json_array_append_new(fo, json_pack("{s:s,s:s,s:O,s:O,s:O}",
		        "name", v[i], "odataName", out[i],
		        "type", json_object_get(f, "type"),
		        "title", t ? t : json_null(),
		        "description", d ? d : json_null()));
	}
	rc = 0;
done:
	free(v);
	free(out);
	return rc;
}

static json_t *
resources_json(sqlite3 *db, const char *pkg, kueri_err *err)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int rc;

	if (arr == NULL ||
	    sqlite3_prepare_v2(db, res_sql, -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, pkg, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *r = json_object(), *fields, *keys, *fo, *pk, *f;
		json_error_t je;
		size_t i;

		fields = json_loads((const char *)sqlite3_column_text(st, 3), 0, &je);
		keys = json_loads((const char *)sqlite3_column_text(st, 4), 0, &je);
		fo = json_array();
		pk = json_array();
		if (odata_field_names(fields, fo) != 0) {
			json_decref(fields);
			json_decref(keys);
			json_decref(r);
			json_decref(pk);
			goto dberr;
		}
		json_array_foreach(keys, i, f) {
			json_t *fd = json_array_get(fields,
			        (size_t)json_integer_value(f));

			if (fd)
				json_array_append(pk, json_object_get(fd, "name"));
		}
		json_object_set_new(r, "name",
		        str_or_null(sqlite3_column_text(st, 0)));
		json_object_set_new(r, "title",
		        str_or_null(sqlite3_column_text(st, 1)));
		json_object_set_new(r, "rows",
		        json_integer(sqlite3_column_int64(st, 2)));
		json_object_set_new(r, "fields", fo);
		json_object_set_new(r, "primaryKey", pk);
		json_object_set_new(r, "sha256",
		        str_or_null(sqlite3_column_text(st, 5)));
		json_decref(fields);
		json_decref(keys);
		json_array_append_new(arr, r);
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	return arr;
dberr:
	kueri_err_set(err, KUERI_EDB, -1, "catalog: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	json_decref(arr);
	return NULL;
}

static json_t *
package_json(sqlite3 *db, sqlite3_stmt *st, long long now, kueri_err *err)
{
	json_t *o = json_object(), *desc, *res;
	json_error_t je;
	const char *name = (const char *)sqlite3_column_text(st, 0);
	const char *freq = (const char *)sqlite3_column_text(st, 4);
	long long pub = sqlite3_column_int64(st, 6);
	char when[32];
	kp_duration d;

	desc = json_loads((const char *)sqlite3_column_text(st, 7), 0, &je);
	if (!json_is_object(desc)) {
		json_decref(desc);
		desc = json_object();
	}
	json_object_set_new(o, "name", str_or_null(sqlite3_column_text(st, 0)));
	json_object_set_new(o, "title", str_or_null(sqlite3_column_text(st, 1)));
	copy_prop(o, desc, "description");
	json_object_set_new(o, "publisher",
	        str_or_null(sqlite3_column_text(st, 2)));
	json_object_set_new(o, "classification",
	        str_or_null(sqlite3_column_text(st, 3)));
	json_object_set_new(o, "version",
	        json_integer(sqlite3_column_int64(st, 5)));
	portal_iso8601(pub, when);
	json_object_set_new(o, "published_at", json_string(when));
	json_object_set_new(o, "updateFrequency", str_or_null(
	        (const unsigned char *)freq));
	if (freq && portal_frequency_parse(freq, &d) == 0 &&
	    portal_duration_add(pub, &d) >= 0) {
		/* Out of range (a file written before the publisher's range
		 * check): no promise we can state, rather than a wrapped year. */
		long long due = portal_duration_add(pub, &d);

		portal_iso8601(due, when);
		json_object_set_new(o, "nextUpdateDue", json_string(when));
		json_object_set_new(o, "overdue", json_boolean(now > due));
	} else {
		/* No promise made (or none we understand): never overdue. */
		json_object_set_new(o, "nextUpdateDue", json_null());
		json_object_set_new(o, "overdue", json_false());
	}
	copy_prop(o, desc, "licenses");
	copy_prop(o, desc, "keywords");
	copy_prop(o, desc, "contactPoint");
	copy_prop(o, desc, "temporal");
	copy_prop(o, desc, "spatial");
	res = resources_json(db, name, err);
	if (res == NULL) {
		json_decref(desc);
		json_decref(o);
		return NULL;
	}
	{
		/* Each resource's description as published (the harvest
		 * module's DCAT and CKAN answers carry it too). */
		json_t *r, *dr;
		size_t i, j;

		json_array_foreach(res, i, r) {
			json_t *rd = json_null();

			json_array_foreach(json_object_get(desc, "resources"), j, dr)
				if (json_equal(json_object_get(dr, "name"),
				               json_object_get(r, "name")) &&
				    json_is_string(json_object_get(dr, "description")))
					rd = json_object_get(dr, "description");
			json_object_set(r, "description", rd);
		}
	}
	json_decref(desc);
	json_object_set_new(o, "resources", res);
	return o;
}

void *
portal_catalog_json(kportal *p, const char *name, long long now,
                    kueri_err *err)
{
	sqlite3 *db = portal_db(p);
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int rc, began = 0;

	if (arr == NULL) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "catalog: out of memory");
		return NULL;
	}
	{
		/* A fresh portal may not even have the meta tables. */
		sqlite3_stmt *chk;
		int have = 0;

		if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE"
		        " name='kueri_package'", -1, &chk, NULL) == SQLITE_OK) {
			have = sqlite3_step(chk) == SQLITE_ROW;
			sqlite3_finalize(chk);
		}
		if (!have)
			goto done;
	}
	/* One snapshot for packages and their resources. */
	if (sqlite3_get_autocommit(db)) {
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			goto dberr;
		began = 1;
	}
	if (sqlite3_prepare_v2(db, pkg_sql, -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = package_json(db, st, now, err);

		if (o == NULL)
			goto fail;
		json_array_append_new(arr, o);
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	st = NULL;
	if (began)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
done:
	if (name && json_array_size(arr) == 0) {
		kueri_err_set(err, KUERI_ENOTFOUND, -1, "no package '%s'", name);
		json_decref(arr);
		return NULL;
	}
	return arr;
dberr:
	kueri_err_set(err, KUERI_EDB, -1, "catalog: %s", sqlite3_errmsg(db));
fail:
	sqlite3_finalize(st);
	if (began)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	json_decref(arr);
	return NULL;
}
