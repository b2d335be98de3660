/*
 * test_portal_publish.c -- kv_publish / kv_unpublish through the library:
 * typed storage (SQLite types per portal.h), the primary-key index, the
 * FTS table (diacritics folded, "kueri:search": false honoured), versions,
 * idempotence, all-or-nothing on invalid data, private refusal, a
 * reader's portal_refresh seeing each new version, the stored row count,
 * the library's notes going to the caller's note function, never to
 * stderr, and a duplicate key far apart (row 2 and the last row) reported
 * with both row numbers, with the key set in memory and spilled to runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "../../publish/keyset.h"
#include "portal.h"
#include "publish.h"
#include "tap.h"

static char dir[] = "/tmp/kueri-publish.XXXXXX";

/* What a kv_note_fn received: kinds and lines in order. */
typedef struct notes {
	int  n;
	int  kind[16];
	char line[16][256];
} notes;

static void
collect(void *ctx, kv_note_kind kind, const char *text)
{
	notes *ns = ctx;

	if (ns->n < 16) {
		ns->kind[ns->n] = kind;
		snprintf(ns->line[ns->n], sizeof ns->line[0], "%s", text);
		ns->n++;
	}
}
static char db[300], pkgpath[300], csvpath[300];

static void
write_file(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void
write_pkg(const char *classification)
{
	char buf[2048];

	snprintf(buf, sizeof buf,
	    "{\"name\": \"uji\", \"title\": \"Uji\", \"publisher\": \"Dinas\","
	    " \"classification\": \"%s\", \"updateFrequency\": \"P1W\","
	    " \"resources\": [{\"name\": \"pasar\", \"title\": \"Pasar\","
	    " \"path\": \"data.csv\", \"schema\": {\"fields\": ["
	    " {\"name\": \"kota\", \"type\": \"string\"},"
	    " {\"name\": \"id\", \"type\": \"integer\"},"
	    " {\"name\": \"nama\", \"type\": \"string\", \"title\": \"Nama\"},"
	    " {\"name\": \"catatan\", \"type\": \"string\", \"kueri:search\": false},"
	    " {\"name\": \"harga\", \"type\": \"number\"},"
	    " {\"name\": \"buka\", \"type\": \"boolean\"}],"
	    " \"primaryKey\": [\"kota\", \"id\"]}}]}", classification);
	write_file(pkgpath, buf, "w");
}

/* Run one SQL query returning a single text value (or "(null)"). */
static char *
q(const char *sql)
{
	static char out[512];
	sqlite3 *h;
	sqlite3_stmt *st;

	snprintf(out, sizeof out, "(error)");
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return out;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 0);

			snprintf(out, sizeof out, "%s", t ? (const char *)t : "(null)");
		} else {
			snprintf(out, sizeof out, "(no row)");
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return out;
}

/*
 * A file of `n` data rows whose last row repeats the key of the first
 * (CSV row 2); publish must refuse it and name rows 2 and n + 1.
 */
static void
far_duplicate(long long n, const char *mode)
{
	char want[160], sqlbuf[64];
	FILE *f = fopen(csvpath, "w");
	json_t *report = NULL, *errs;
	const char *msg;
	kueri_err err;
	long long i;
	int rc;

	fputs("kota,id,nama,catatan,harga,buka\n", f);
	for (i = 1; i <= n - 1; i++)
		fprintf(f, "Kota,%lld,Nama %lld,,1.5,true\n", i, i);
	fputs("Kota,1,Nama lagi,,2,false\n", f);
	fclose(f);
	kueri_err_clear(&err);
	snprintf(sqlbuf, sizeof sqlbuf, "SELECT count(*) FROM kueri_package");
	rc = kv_publish(db, pkgpath, NULL, &report, &err);
	is_int(rc, 1, "%s: %lld rows, last repeats row 2's key: refused", mode,
	       n);
	errs = json_object_get(json_array_get(json_object_get(report, "tasks"),
	                                      0), "errors");
	is_int((int)json_array_size(errs), 1, "%s: exactly one error", mode);
	msg = json_string_value(json_object_get(json_array_get(errs, 0),
	                                        "message"));
	snprintf(want, sizeof want, "Row at position \"%lld\" violates the"
	         " primary key: the same as in row at position \"2\"", n + 1);
	is_str(msg ? msg : "(none)", want, "%s: both row numbers named", mode);
	is_str(q(sqlbuf), "0", "%s: nothing published", mode);
	json_decref(report);
}

int
main(void)
{
	kueri_err err;
	json_t *report = NULL;
	kportal *reader;
	const kp_set *s;
	char sql[256], tbl1[32];
	int rc;

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(db, sizeof db, "%s/portal.db", dir);
	snprintf(pkgpath, sizeof pkgpath, "%s/datapackage.json", dir);
	snprintf(csvpath, sizeof csvpath, "%s/data.csv", dir);
	write_pkg("public");
	write_file(csvpath, "kota,id,nama,catatan,harga,buka\n"
	           "Bandung,1,Pasar Kosambi,ramai,1500.5,true\n"
	           "Bandung,2,Café Braga,sepi,,false\n"
	           "Bogor,1,Pasar Anyar,,20,true\n", "w");

	kueri_err_clear(&err);
	rc = kv_publish(db, pkgpath, NULL, &report, &err);
	is_int(rc, 0, "valid package published (%s)", err.msg);
	ok(report == NULL, "no report when published");
	json_decref(report);

	reader = portal_open_ro(db, &err);
	ok(reader != NULL, "reader opens the portal (%s)", err.msg);
	if (reader == NULL)
		return tap_done();
	s = portal_set(reader, "pasar");
	ok(s != NULL, "entity set 'pasar' exists");
	if (s == NULL)
		return tap_done();
	is_int(s->rows, 3, "three rows");
	is_int(s->version, 1, "version 1");
	is_str(s->title, "Pasar", "resource title");
	is_int(s->nfields, 6, "six fields");
	ok(s->nkeys == 2 && s->keys[0] == 0 && s->keys[1] == 1,
	   "composite primary key (kota, id)");
	ok(s->fields[0].searchable && s->fields[2].searchable,
	   "string fields are searchable");
	ok(!s->fields[3].searchable, "\"kueri:search\": false opts a field out");
	ok(!s->fields[1].searchable && !s->fields[4].searchable,
	   "non-string fields are not searchable");
	is_str(s->fields[2].title, "Nama", "field title kept");
	ok(s->fields[4].type == KP_NUMBER && s->fields[5].type == KP_BOOLEAN,
	   "field types kept");
	snprintf(tbl1, sizeof tbl1, "%s", s->table);

	snprintf(sql, sizeof sql, "SELECT typeof(c0)||typeof(c1)||typeof(c2)||"
	         "typeof(c3)||typeof(c4)||typeof(c5) FROM %s WHERE c2 ="
	         " 'Pasar Kosambi'", s->table);
	is_str(q(sql), "textintegertexttextrealinteger",
	       "values stored with their SQLite types");
	snprintf(sql, sizeof sql, "SELECT quote(c4)||','||c5 FROM %s WHERE c1=2",
	         s->table);
	is_str(q(sql), "NULL,0", "missing number is NULL, false is 0");
	snprintf(sql, sizeof sql, "SELECT sql FROM sqlite_schema WHERE"
	         " tbl_name = '%s' AND type = 'index'", s->table);
	ok(strstr(q(sql), "UNIQUE INDEX") && strstr(q(sql), "(c0,c1)"),
	   "unique index on the key columns (%s)", q(sql));
	snprintf(sql, sizeof sql, "SELECT group_concat(rowid) FROM %s WHERE %s"
	         " MATCH 'cafe'", s->fts, s->fts);
	is_str(q(sql), "2", "FTS finds 'Café' by 'cafe' (diacritics removed)");
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s MATCH"
	         " 'ramai'", s->fts, s->fts);
	ok(strcmp(q(sql), "0") == 0,
	   "an opted-out field is not indexed");

	/* Identical input: unchanged. */
	rc = kv_publish(db, pkgpath, NULL, &report, &err);
	is_int(rc, 2, "identical input: unchanged");
	is_str(q("SELECT version FROM kueri_package"), "1", "still version 1");
	is_int(portal_refresh(reader, &err), 0, "reader: nothing to reload");

	/* Changed input: version 2 in a new table, old one dropped. */
	write_file(csvpath, "Depok,7,Pasar Kemiri,,3,false\n", "a");
	rc = kv_publish(db, pkgpath, NULL, &report, &err);
	is_int(rc, 0, "changed input published (%s)", err.msg);
	is_int(portal_refresh(reader, &err), 1, "reader reloads after publish");
	s = portal_set(reader, "pasar");
	ok(s && s->version == 2 && s->rows == 4, "reader sees version 2, 4 rows");
	ok(s && strcmp(s->table, tbl1) != 0, "version 2 is a new table");
	snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_schema WHERE"
	         " name = '%s'", tbl1);
	is_str(q(sql), "0", "version 1's table is dropped");

	/* Invalid input: nothing changes, the report says why. */
	write_file(csvpath, "Depok,delapan,Pasar,,3,false\n", "a");
	rc = kv_publish(db, pkgpath, NULL, &report, &err);
	is_int(rc, 1, "invalid input refused");
	ok(json_is_false(json_object_get(report, "valid")),
	   "report says valid: false");
	json_decref(report);
	report = NULL;
	is_str(q("SELECT version FROM kueri_package"), "2", "still version 2");
	is_str(q("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND"
	         " name GLOB 't[0-9]*' AND name NOT GLOB '*_fts*'"), "1",
	       "no table left by the failed publish");
	is_int(portal_refresh(reader, &err), 0,
	       "reader: a rolled-back publish changes nothing");

	/* Private: refused and the public version removed. */
	write_pkg("private");
	kueri_err_clear(&err);
	rc = kv_publish(db, pkgpath, NULL, &report, &err);
	is_int(rc, 1, "private package refused");
	is_int(err.code, KUERI_EPRIVATE, "error code KUERI_EPRIVATE (%s)",
	       err.msg);
	is_str(q("SELECT count(*) FROM kueri_package"), "0",
	       "its public version is removed");
	is_int(portal_refresh(reader, &err), 1, "reader reloads");
	ok(portal_set(reader, "pasar") == NULL, "the set is gone for readers");
	portal_close(reader);

	kueri_err_clear(&err);
	is_int(kv_unpublish(db, "uji", NULL, &err), 1, "unpublish absent: 1");
	is_int(kv_publish(db, "/nonexistent/datapackage.json", NULL, &report,
	       &err), -1, "missing package file: -1");

	/* Unpublish and re-publish at once: version 1 again, same second,
	 * yet the version token differs (table numbers never repeat). */
	write_pkg("public");
	write_file(csvpath, "kota,id,nama,catatan,harga,buka\n"
	           "Bandung,1,Pasar,,1,true\n", "w");
	{
		char t1[64], t2[64];
		kportal *r;

		kv_publish(db, pkgpath, NULL, &report, &err);
		r = portal_open_ro(db, &err);
		portal_version_token(r, t1, sizeof t1);
		is_int(kv_unpublish(db, "uji", NULL, &err), 0, "unpublish: 0");
		kv_publish(db, pkgpath, NULL, &report, &err);
		portal_refresh(r, &err);
		portal_version_token(r, t2, sizeof t2);
		ok(portal_set(r, "pasar") && portal_set(r, "pasar")->version == 1,
		   "re-published after unpublish: version 1");
		ok(strcmp(t1, t2) != 0, "version token differs (%s vs %s)", t1, t2);
		portal_close(r);
	}

	/* Notes: the summary, progress and "unchanged" reach the caller's
	 * function; stderr stays silent (the library never prints). */
	{
		notes ns;
		kv_opts o = { 1000, 1, collect, &ns };
		char errpath[320];
		FILE *ef;
		long errlen = -1;
		int saved = dup(2);
		kportal *r;

		memset(&ns, 0, sizeof ns);
		snprintf(errpath, sizeof errpath, "%s/stderr.txt", dir);
		write_file(csvpath, "kota,id,nama,catatan,harga,buka\n"
		           "Bandung,1,Pasar,,1,true\n"
		           "Bandung,2,Pasar Baru,,2,false\n", "w");
		fflush(stderr);
		ef = freopen(errpath, "w", stderr);
		rc = kv_publish(db, pkgpath, &o, &report, &err);
		rc = rc * 10 + kv_publish(db, pkgpath, &o, &report, &err);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		if (ef && (ef = fopen(errpath, "r")) != NULL) {
			fseek(ef, 0, SEEK_END);
			errlen = ftell(ef);
			fclose(ef);
		}
		is_int(rc, 2, "publish then unchanged: 0 then 2");
		is_int((int)errlen, 0, "nothing written to stderr");
		is_int(ns.n, 4, "four notes: progress, indexes, summary, unchanged");
		is_int(ns.kind[0], KV_NOTE_PROGRESS_END, "note 1 ends the progress");
		ok(strncmp(ns.line[0], "pasar: 2 rows, ", 15) == 0 &&
		   strstr(ns.line[0], "100%") != NULL,
		   "progress names rows and percent (%s)", ns.line[0]);
		ok(ns.kind[1] == KV_NOTE_INFO &&
		   strcmp(ns.line[1], "pasar: building indexes...") == 0,
		   "note 2: building indexes (%s)", ns.line[1]);
		ok(ns.kind[2] == KV_NOTE_INFO &&
		   strncmp(ns.line[2], "pasar: 2 rows, version 2, ", 26) == 0,
		   "note 3: the summary (%s)", ns.line[2]);
		ok(ns.kind[3] == KV_NOTE_INFO &&
		   strcmp(ns.line[3], "uji: unchanged, version 2") == 0,
		   "note 4: unchanged (%s)", ns.line[3]);
		r = portal_open_ro(db, &err);
		ok(r && portal_set(r, "pasar") && portal_set(r, "pasar")->rows == 2,
		   "kp_set.rows holds the row count stored at publish");
		portal_close(r);
	}

	/* Duplicate keys far apart.  The portal is empty again first. */
	kv_unpublish(db, "uji", NULL, &err);
	far_duplicate(20000, "key set in memory");
	/* 1024 slots: a run every 768 keys, so row 2's key lies in the
	 * oldest of ~26 runs on disk when the last row looks it up. */
	kvs_set_mem_slots(1024);
	far_duplicate(20000, "key set spilled to runs");
	kvs_set_mem_slots(0);

	snprintf(sql, sizeof sql, "rm -rf '%s'", dir);
	if (system(sql) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
