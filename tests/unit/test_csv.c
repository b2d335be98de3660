/*
 * test_csv.c -- the CSV record reader: every csv-spectrum file parses to its
 * JSON counterpart; dialect options; line endings; BOM; encoding flags;
 * hostile input (unterminated quote, caps, NUL, UTF-16); seeking back to a
 * record by offset; the streaming SHA-256 equals a one-shot digest; which
 * records are header, comment or data (kcsv_kind) and the labels joined
 * from several header rows (kcsv_header_join).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../publish/csv.h"
#include "tap.h"

#define SPECTRUM "tests/data/csv-spectrum"

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long  len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[len] = '\0';
		*n = (size_t)len;
	}
	return buf;
}

/* Parse all of `s` into a JSON array of arrays of strings; on a read error
 * append the string "ERROR: msg" instead and stop. */
static json_t *
records(const char *s, size_t n, const kcsv_dialect *d)
{
	kcsv     *c = kcsv_open_mem(s, n, d);
	kcsv_rec  r;
	kueri_err err;
	json_t   *out = json_array();
	int       rc, i;

	while ((rc = kcsv_next(c, &r, &err)) == 1) {
		json_t *row = json_array();

		for (i = 0; i < r.nf; i++)
			json_array_append_new(row, json_stringn(r.v[i], r.len[i]));
		json_array_append_new(out, row);
	}
	if (rc < 0) {
		char msg[400];

		snprintf(msg, sizeof(msg), "ERROR: %s", err.msg);
		json_array_append_new(out, json_string(msg));
	}
	kcsv_close(c);
	return out;
}

static int
same(json_t *got, const char *want_json)
{
	json_t *want = json_loads(want_json, 0, NULL);
	int     eq = want && json_equal(got, want);

	if (!eq) {
		char *g = json_dumps(got, JSON_COMPACT);

		printf("#   got:  %s\n#   want: %s\n", g, want_json);
		free(g);
	}
	json_decref(want);
	json_decref(got);
	return eq;
}

static void
spectrum(void)
{
	DIR           *dir = opendir(SPECTRUM "/csvs");
	struct dirent *de;
	int            nfiles = 0;

	ok(dir != NULL, "the csv-spectrum directory is readable");
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		char    path[512], jpath[512], base[256];
		char   *csv;
		size_t  n, len = strlen(de->d_name), i;
		json_t *want, *rows, *got, *hdr;

		if (len < 5 || strcmp(de->d_name + len - 4, ".csv"))
			continue;
		snprintf(base, sizeof(base), "%.*s", (int)(len - 4), de->d_name);
		snprintf(path, sizeof(path), SPECTRUM "/csvs/%s", de->d_name);
		snprintf(jpath, sizeof(jpath), SPECTRUM "/json/%s.json", base);
		csv = slurp(path, &n);
		want = json_load_file(jpath, 0, NULL);
		if (!csv || !want) {
			ok(0, "csv-spectrum %s and its JSON are readable", base);
			free(csv);
			json_decref(want);
			continue;
		}
		rows = records(csv, n, NULL);
		/* The JSON is an array of objects keyed by the header record. */
		got = json_array();
		hdr = json_array_get(rows, 0);
		for (i = 1; i < json_array_size(rows); i++) {
			json_t *obj = json_object(), *row = json_array_get(rows, i);
			size_t  j;

			for (j = 0; j < json_array_size(hdr); j++)
				json_object_set(obj,
				                json_string_value(json_array_get(hdr, j)),
				                json_array_get(row, j) ? json_array_get(row, j)
				                                      : json_null());
			json_array_append_new(got, obj);
		}
		ok(json_equal(got, want), "csv-spectrum %s parses to exactly its JSON",
		   base);
		json_decref(got);
		json_decref(rows);
		json_decref(want);
		free(csv);
		nfiles++;
	}
	closedir(dir);
	ok(nfiles >= 11, "all csv-spectrum files were tried (%d)", nfiles);
}

static json_t *
parse(const char *s)
{
	return records(s, strlen(s), NULL);
}


/* ---- which records are data, and the header's labels ------------------- */

/* A dialect from a compact spec: "#" commentChar, rows lists as in JSON. */
typedef struct rowcase {
	const char *csv;
	const char *comment;          /* commentChar or NULL            */
	long long   crows[4];         /* commentRows, 0-terminated      */
	long long   hrows[4];         /* headerRows, 0-terminated; {0}: [1] */
	int         header;           /* dialect header                 */
	const char *join;             /* headerJoin or NULL (" ")       */
	const char *kinds;            /* per record: H header, S skip, D data */
	const char *labels;           /* the labels joined by '|'       */
	const char *what;
} rowcase;

static const rowcase rowcases[] = {
	{ "id,name\n#fruits\n1,apple\n", "#", {0}, {0}, 1, NULL, "HSD",
	  "id|name", "commentChar: the spec example, row 2 skipped" },
	{ "#c\nid\n\"#q\"\n\" #\"\n", "#", {0}, {0}, 1, NULL, "SDSD",
	  "", "a comment on row 1 is skipped before it can be the header "
	  "(frictionless-py: no labels, data from row 2); a quoted \"#q\" "
	  "cell is a comment, \" #\" is not" },
	{ "id,name\n#fruits\n1,apple\n", NULL, {2, 0}, {0}, 1, NULL, "HSD",
	  "id|name", "commentRows [2]: the spec example" },
	{ "fruit\nid,name\n1,apple\n", NULL, {0}, {1, 2, 0}, 1, NULL, "HHD",
	  "fruit id|fruit name", "headerRows [1,2]: the spec example" },
	{ "fruit\nid,name\n1,apple\n", NULL, {0}, {1, 2, 0}, 1, "-", "HHD",
	  "fruit-id|fruit-name", "headerJoin \"-\": the spec example" },
	{ "title\nid,name\n1,a\n", NULL, {0}, {2, 0}, 1, NULL, "SHD",
	  "id|name", "headerRows [2]: row 1 is skipped, not data" },
	{ "2020,,2021,\nmin,max,min,max\n", NULL, {0}, {1, 2, 0}, 1, "_", "HH",
	  "2020_min|2020_max|2021_min|2021_max",
	  "a title over two columns lends itself to the empty cell after it" },
	{ "harga,,\nberas,gula\nid,id\n1,2\n", NULL, {0}, {1, 2, 3, 0}, 1, ".",
	  "HHHD", "harga.beras.id|harga.gula.id",
	  "three rows; a padded title row adds no column" },
	{ "id,name\nid,\n", NULL, {0}, {1, 2, 0}, 1, NULL, "HH", "id|name",
	  "a cell equal to the one above is taken once; an empty last-row "
	  "cell adds nothing" },
	{ "a,b\n#x\nc,d\n1,2\n", "#", {0}, {1, 3, 0}, 1, NULL, "HSHD",
	  "a c|b d", "a comment between header rows is skipped" },
	{ "1,a\n#x\n2,b\n", "#", {3, 0}, {2, 0}, 0, NULL, "DSS", "",
	  "header false: headerRows are ignored, comments still skipped" },
};

static void
row_kinds(void)
{
	size_t i;

	for (i = 0; i < sizeof(rowcases) / sizeof(rowcases[0]); i++) {
		const rowcase *t = &rowcases[i];
		kcsv_dialect   d;
		kcsv_header    h;
		kcsv          *c;
		kcsv_rec       r;
		kueri_err      err;
		char           kinds[16] = "", labels[256] = "";
		int            k, n = 0;

		kcsv_dialect_default(&d);
		memset(&h, 0, sizeof(h));
		if (t->comment)
			snprintf(d.comment, sizeof(d.comment), "%s", t->comment);
		for (k = 0; t->crows[k]; k++)
			d.comment_rows[d.ncomment_rows++] = t->crows[k];
		if (t->hrows[0])
			for (d.nheader_rows = 0, k = 0; t->hrows[k]; k++)
				d.header_rows[d.nheader_rows++] = t->hrows[k];
		d.header = t->header;
		if (t->join)
			snprintf(d.header_join, sizeof(d.header_join), "%s", t->join);
		c = kcsv_open_mem(t->csv, strlen(t->csv), &d);
		while (kcsv_next(c, &r, &err) == 1 && n < 15) {
			k = kcsv_kind(&d, &r);
			kinds[n++] = k == KCSV_HEADER ? 'H' : k == KCSV_SKIP ? 'S' : 'D';
			if (k == KCSV_HEADER)
				kcsv_header_add(&h, &r);
		}
		kinds[n] = '\0';
		kcsv_close(c);
		if (t->header) {
			size_t o = 0;

			kcsv_header_join(&h, &d);
			for (k = 0; k < h.n && o < sizeof(labels); k++)
				o += (size_t)snprintf(labels + o, sizeof(labels) - o, "%s%s",
				                      k ? "|" : "", h.label[k]);
		}
		kcsv_header_free(&h);
		is_str(kinds, t->kinds, "kinds: %s", t->what);
		is_str(labels, t->labels, "labels: %s", t->what);
	}
}

int
main(void)
{
	kcsv_dialect d;
	kcsv        *c;
	kcsv_rec     r;
	kueri_err    err;
	const char  *why;
	char        *big;
	int          rc;

	spectrum();

	ok(same(parse("a,b\r\n1,2\n3,4\r5,6"), "[[\"a\",\"b\"],[\"1\",\"2\"],[\"3\",\"4\"],[\"5\",\"6\"]]"),
	   "CRLF, LF and lone CR all end records, and no final newline is needed");
	ok(same(parse("a\n\nb\n"), "[[\"a\"],[\"\"],[\"b\"]]"),
	   "a blank line in the middle is a record of one empty field; the final newline adds none");
	ok(same(parse("\"x\r\ny\",\"a\"\"b\",\"\"\n"), "[[\"x\\r\\ny\",\"a\\\"b\",\"\"]]"),
	   "quoted fields keep CRLF, doubled quotes become one, \"\" is empty");
	ok(same(parse("ab\"c,d\n"), "[[\"ab\\\"c\",\"d\"]]"),
	   "a quote inside an unquoted field is literal");
	ok(same(parse("\"ab\"c,d\n"), "[[\"abc\",\"d\"]]"),
	   "text after a closing quote is appended, as Python's csv does");
	ok(same(parse("\xef\xbb\xbfid,name\n"), "[[\"id\",\"name\"]]"),
	   "a UTF-8 BOM is stripped and never reaches the first label");
	ok(same(parse(""), "[]"), "a zero-byte file has no records");
	ok(same(parse("a,b"), "[[\"a\",\"b\"]]"), "a header-only file without newline is one record");
	ok(same(parse("a,\n"), "[[\"a\",\"\"]]"), "a trailing delimiter makes an empty last field");
	ok(same(parse("a,\"b\nc"), "[\"ERROR: unterminated quoted field opened in record 1\"]"),
	   "an unterminated quote swallows the rest and is reported, not returned as data");

	/* Unterminated quote: an error naming the record where it opened. */
	c = kcsv_open_mem("a,b\n1,\"open\n2,3\n", 16, NULL);
	rc = kcsv_next(c, &r, &err);
	rc = kcsv_next(c, &r, &err);
	is_int(rc, -1, "an unterminated quote at end of input is an error");
	is_int(err.row, 2, "the error names the record where the quote opened");
	ok(strstr(err.msg, "unterminated") != NULL, "the message says unterminated: %s", err.msg);
	kcsv_close(c);

	/* Dialect: delimiter, quote char, no double quote + escape, initial space. */
	kcsv_dialect_default(&d);
	d.delimiter = ';';
	d.quote = '\'';
	ok(same(records("a;'b;c';d\n", 10, &d), "[[\"a\",\"b;c\",\"d\"]]"),
	   "delimiter ';' and quoteChar \"'\" are honoured");
	kcsv_dialect_default(&d);
	d.skip_initial_space = 1;
	ok(same(records("a, b,  \"c,d\"\n", 13, &d), "[[\"a\",\"b\",\"c,d\"]]"),
	   "skipInitialSpace drops spaces after a delimiter, even before a quote");
	kcsv_dialect_default(&d);
	d.double_quote = 0;
	d.escape = '\\';
	ok(same(records("\"a\\\"b\",c\\,d\n", 12, &d), "[[\"a\\\"b\",\"c,d\"]]"),
	   "escapeChar escapes quotes and delimiters when doubleQuote is off");
	kcsv_dialect_default(&d);
	d.delimiter = '\t';
	ok(same(records("a\tb\n", 4, &d), "[[\"a\",\"b\"]]"), "a tab delimiter works");

	/* Encoding flags on the record. */
	c = kcsv_open_mem("ok,b\xff\n", 6, NULL);
	rc = kcsv_next(c, &r, &err);
	ok(rc == 1 && r.enc_field == 2, "invalid UTF-8 flags its 1-based field (%d)", r.enc_field);
	kcsv_close(c);
	c = kcsv_open_mem("a,b\0c\n", 6, NULL);
	rc = kcsv_next(c, &r, &err);
	ok(rc == 1 && r.enc_field == 2 && strstr(r.enc_what, "NUL"), "a NUL byte is flagged");
	kcsv_close(c);
	ok(!kcsv_utf8_ok("\xc0\xaf", 2, &why), "an overlong encoding is invalid UTF-8");
	ok(!kcsv_utf8_ok("\xed\xa0\x80", 3, &why), "a UTF-16 surrogate is invalid UTF-8");
	ok(!kcsv_utf8_ok("\xf4\x90\x80\x80", 4, &why), "a code point above U+10FFFF is invalid");
	ok(!kcsv_utf8_ok("\xe4\xb8", 2, &why), "a sequence truncated at the end is invalid");
	ok(kcsv_utf8_ok("\xe4\xb8\xad\xe2\x80\xa8", 6, &why), "CJK and U+2028 are valid UTF-8");
	{
		/* A NUL right after the escape character is flagged too (found by
		 * tests/fuzz/fuzz_csv.c: the escape path skipped the NUL mark, so
		 * an all-ASCII record was never checked). */
		static const char esc[] = "a,b\\\0c\n\"x\\\0\"\n";
		kcsv_dialect ed;

		kcsv_dialect_default(&ed);
		ed.escape = '\\';
		c = kcsv_open_mem(esc, sizeof(esc) - 1, &ed);
		rc = kcsv_next(c, &r, &err);
		ok(rc == 1 && r.nf == 2 && r.len[1] == 3 && r.enc_field == 2 &&
		   strcmp(r.enc_what, "NUL byte") == 0,
		   "an escaped NUL in an unquoted field is an encoding error in field 2");
		rc = kcsv_next(c, &r, &err);
		ok(rc == 1 && r.nf == 1 && r.len[0] == 2 && r.enc_field == 1,
		   "an escaped NUL in a quoted field is an encoding error");
		kcsv_close(c);
	}
	c = kcsv_open_mem("\xff\xfe" "a\0,\0", 6, NULL);
	rc = kcsv_next(c, &r, &err);
	ok(rc == -1 && strstr(err.msg, "UTF-16"), "a UTF-16 BOM is refused with a clear error");
	kcsv_close(c);

	/* Caps: huge field and too many fields. */
	big = malloc(5000);
	memset(big, 'x', 5000);
	c = kcsv_open_mem(big, 5000, NULL);
	kcsv_limits(c, 1000, 10);
	rc = kcsv_next(c, &r, &err);
	ok(rc == -1 && strstr(err.msg, "longer than 1000 bytes"),
	   "a field beyond the record cap stops with a clear error: %s", err.msg);
	kcsv_close(c);
	memset(big, ',', 50);
	c = kcsv_open_mem(big, 50, NULL);
	kcsv_limits(c, 1000, 10);
	rc = kcsv_next(c, &r, &err);
	ok(rc == -1 && strstr(err.msg, "more than 10 fields"), "too many fields is a clear error");
	kcsv_close(c);
	/* A cap below the reader's initial 4 KiB buffer holds as well (found
	 * by tests/fuzz/fuzz_csv.c: the cap was only checked on growth). */
	memset(big, 'y', 100);
	big[100] = '\n';
	c = kcsv_open_mem(big, 101, NULL);
	kcsv_limits(c, 32, 10);
	rc = kcsv_next(c, &r, &err);
	ok(rc == -1 && strstr(err.msg, "longer than 32 bytes") && err.row == 1,
	   "a 100-byte record over a 32-byte cap stops the read: %s", err.msg);
	kcsv_close(c);
	c = kcsv_open_mem("abc,def\n", 8, NULL);
	kcsv_limits(c, 8, 10);
	rc = kcsv_next(c, &r, &err);
	ok(rc == 1 && r.nf == 2, "a record of exactly the cap (fields + NULs) is read");
	kcsv_close(c);
	free(big);

	/* Offsets: seeking back re-reads the same record with its number. */
	{
		const char *s = "h1,h2\r\n\"multi\nline\",1\r\nthird,2\r\n";
		long long   off3 = -1;

		c = kcsv_open_mem(s, strlen(s), NULL);
		while (kcsv_next(c, &r, &err) == 1)
			if (r.row == 3)
				off3 = r.offset;
		is_int(off3, 23, "record 3 starts at byte 23 (after a quoted newline and CRLF)");
		kcsv_seek(c, off3, 3, &err);
		rc = kcsv_next(c, &r, &err);
		ok(rc == 1 && r.row == 3 && r.len[0] == 5 && !memcmp(r.v[0], "third", 5),
		   "seeking to the offset re-reads record 3");
		kcsv_close(c);
	}

	/* A real file: streaming SHA-256 equals the one-shot digest. */
	{
		size_t  n;
		char   *all = slurp("data/harga-pangan-kota-bandung/harga_komoditas_konsumen_kota_bandung.csv", &n);
		char    h1[65], h2[65];
		ksha256 s;
		long long rows = 0;

		ksha256_init(&s);
		ksha256_update(&s, all, n);
		ksha256_hex(&s, h1);
		c = kcsv_open("data/harga-pangan-kota-bandung/harga_komoditas_konsumen_kota_bandung.csv",
		              NULL, 1, &err);
		while (kcsv_next(c, &r, &err) == 1)
			rows++;
		kcsv_sha256(c, h2);
		is_str(h2, h1, "the streaming SHA-256 of a file equals its one-shot digest");
		is_int(kcsv_bytes(c), (long long)n, "the byte count is the file size");
		is_int(rows, 1626, "the Bandung prices file has 1626 records (header + 1625)");
		kcsv_close(c);
		free(all);
	}
	row_kinds();
	c = kcsv_open("no/such/file.csv", NULL, 1, &err);
	ok(c == NULL && err.code == KUERI_EIO && strstr(err.msg, "no/such/file.csv"),
	   "a missing file is an I/O error naming the path");
	return tap_done();
}
