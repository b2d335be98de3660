/*
 * fuzz_csv.c -- libFuzzer harness for the CSV record reader (publish/csv.c).
 *
 * Input: two header bytes, then the CSV bytes.
 *   byte 0  dialect: bits 0-2 delimiter  , ; TAB | SPACE : ' "
 *                    bits 3-4 quoteChar  " ' (off) ~
 *                    bit 5 doubleQuote, bit 6 skipInitialSpace, bit 7 header
 *   byte 1  bits 0-1 escapeChar (none) \ (none) "
 *           bits 2-3 how to read: 0/1 from memory; 2 also from a file with
 *                    hashing (one big chunk); 3 from a file without hashing
 *                    (8 KiB chunks) behind padding that puts a chunk
 *                    boundary inside the CSV bytes
 *           bit 4    small limits (record bytes, fields) from bits 5-7
 *           bits 5-7 which record the seek check goes back to
 * Every record is read to the end.  Besides the sanitizers (no read past
 * the buffer, no leak), the harness checks properties every read must have:
 *   - records are numbered 1, 2, 3... and start at increasing offsets
 *     inside the input; 1 <= nf <= the field limit; the record buffer
 *     stays within the byte limit; every field is NUL-terminated;
 *   - the unescaped fields plus delimiters never exceed the bytes the
 *     record spans;
 *   - enc_field names exactly the first field that is not UTF-8 w/o NUL;
 *   - an error names a code, a message and the record it happened in,
 *     and end of input stays end of input;
 *   - seeking back to any record's offset re-reads the same records;
 *   - a file read (chunked, maybe hashed) gives the same records as the
 *     memory read, and with hashing the byte count and SHA-256 of the
 *     whole input.
 *   - with a row dialect picked by bits 5-7 of byte 1 (commentChar "#"
 *     or "//", commentRows [2, 5], headerRows [1], [1,2], [2] or [1,3,4],
 *     headerJoin "/"), kcsv_kind calls a record a header only when its
 *     number is listed and it is no comment, data only after the last
 *     header row and when it is no comment; the labels joined from the
 *     header rows are no more than the widest header row, each no longer
 *     than the header cells and joins, and one header row gives its
 *     cells exactly.
 * A broken property aborts, so libFuzzer saves the input.
 *
 * Build and run: tests/fuzz/run.sh csv (make fuzz runs every harness).
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kueri.h"
#include "publish.h"
#include "fuzz_common.h"
#include "../../publish/csv.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_CHUNK 8192  /* csv.c's SEEK_CHUNK: a reader without hashing */

static char csvpath[600];

#define CHECK(cond, ...) FZ_CHECK("fuzz_csv", cond, __VA_ARGS__)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fz_mkdtemp("fuzz_csv");
	snprintf(csvpath, sizeof csvpath, "%s/in.csv", fz_tmpdir);
	return 0;
}

/* What one pass saw: a digest per record, then how it ended. */
typedef struct pass {
	uint64_t  *dig;
	long long *off;
	size_t     n, cap;
	int        rc;            /* 0 end of input, -1 error */
	kueri_err  err;
	long long  bytes;
} pass;

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	while (n--)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return h;
}

static uint64_t
digest(const kcsv_rec *r)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	h = fnv(h, &r->row, sizeof r->row);
	h = fnv(h, &r->offset, sizeof r->offset);
	h = fnv(h, &r->nf, sizeof r->nf);
	h = fnv(h, &r->enc_field, sizeof r->enc_field);
	for (int i = 0; i < r->nf; i++) {
		h = fnv(h, &r->len[i], sizeof r->len[i]);
		h = fnv(h, r->v[i], r->len[i]);
	}
	return h;
}

static void
push(pass *p, uint64_t d, long long off)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		uint64_t *nd = realloc(p->dig, cap * sizeof *nd);
		long long *no = realloc(p->off, cap * sizeof *no);
		if (!nd || !no)
			abort();
		p->dig = nd;
		p->off = no;
		p->cap = cap;
	}
	p->dig[p->n] = d;
	p->off[p->n++] = off;
}

/* Check one record against the rules above; `prev` the record before. */
static void
check_rec(const kcsv_rec *r, long long prev_row, long long prev_off,
          long long total, size_t max_record, int max_fields)
{
	CHECK(r->row == prev_row + 1, "row %lld after %lld", r->row, prev_row);
	CHECK(r->offset > prev_off && r->offset < total,
	      "offset %lld (previous %lld, input %lld)", r->offset, prev_off, total);
	CHECK(r->nf >= 1 && r->nf <= max_fields, "nf %d", r->nf);
	size_t sum = 0;
	for (int i = 0; i < r->nf; i++) {
		CHECK(r->v[i][r->len[i]] == '\0', "field %d not terminated", i + 1);
		sum += r->len[i];
	}
	CHECK(sum + (size_t)r->nf <= max_record, "record %lld holds %zu bytes",
	      r->row, sum + (size_t)r->nf);
	CHECK(r->enc_field >= 0 && r->enc_field <= r->nf, "enc_field %d",
	      r->enc_field);
	const char *why = NULL;
	int stop = r->enc_field ? r->enc_field - 1 : r->nf;
	for (int i = 0; i < stop; i++)
		CHECK(kcsv_utf8_ok(r->v[i], r->len[i], &why),
		      "field %d of record %lld is not clean UTF-8 (%s) but enc_field "
		      "is %d", i + 1, r->row, why, r->enc_field);
	if (r->enc_field) {
		CHECK(r->enc_what != NULL, "enc_field without enc_what");
		CHECK(!kcsv_utf8_ok(r->v[stop], r->len[stop], &why),
		      "enc_field %d names a clean field", r->enc_field);
	}
}

/* Read c to the end from record `first_row`, checking every record. */
static void
run(kcsv *c, pass *p, long long first_row, long long total,
    size_t max_record, int max_fields)
{
	kcsv_rec  r;
	long long prev_row = first_row - 1, prev_off = -1;
	size_t    prev_sum = 0;
	int       rc;

	kueri_err_clear(&p->err);
	while ((rc = kcsv_next(c, &r, &p->err)) == 1) {
		check_rec(&r, prev_row, prev_off, total, max_record, max_fields);
		/* The previous record spans [prev_off, r.offset). */
		if (prev_off >= 0)
			CHECK((long long)prev_sum <= r.offset - prev_off,
			      "record %lld: %zu bytes of fields from %lld bytes",
			      prev_row, prev_sum, r.offset - prev_off);
		prev_sum = (size_t)r.nf - 1;
		for (int i = 0; i < r.nf; i++)
			prev_sum += r.len[i];
		prev_row = r.row;
		prev_off = r.offset;
		push(p, digest(&r), r.offset);
	}
	if (prev_off >= 0)
		CHECK((long long)prev_sum <= total - prev_off,
		      "last record: %zu bytes of fields from %lld bytes", prev_sum,
		      total - prev_off);
	p->rc = rc;
	CHECK(rc == 0 || rc == -1, "kcsv_next returned %d", rc);
	if (rc < 0) {
		CHECK(p->err.code == KUERI_EINVALID, "error code %d: %s",
		      (int)p->err.code, p->err.msg);
		CHECK(p->err.msg[0] != '\0', "error without a message");
		CHECK(p->err.row == prev_row + 1, "error names record %lld after "
		      "record %lld", p->err.row, prev_row);
	} else {
		CHECK(kcsv_next(c, &r, &p->err) == 0, "end of input did not stay");
		CHECK(kcsv_bytes(c) == total, "read %lld of %lld bytes",
		      kcsv_bytes(c), total);
	}
	p->bytes = kcsv_bytes(c);
}

static void
same(const pass *a, const pass *b, size_t from, const char *what)
{
	CHECK(a->n == b->n + from, "%s: %zu records, then %zu", what, a->n,
	      b->n + from);
	for (size_t i = 0; i < b->n; i++)
		CHECK(a->dig[i + from] == b->dig[i], "%s: record %zu differs", what,
		      i + from + 1);
	CHECK(a->rc == b->rc && a->err.code == b->err.code &&
	      a->err.row == b->err.row, "%s: ends differ (%d %s / %d %s)", what,
	      a->rc, a->err.msg, b->rc, b->err.msg);
}

static void
pass_free(pass *p)
{
	free(p->dig);
	free(p->off);
}

/* Seek back to record k of `full` on c and read on: the same records. */
static void
seek_check(kcsv *c, const pass *full, size_t k, long long total,
           size_t max_record, int max_fields)
{
	if (full->n == 0)
		return;
	k %= full->n;
	kueri_err err;
	kueri_err_clear(&err);
	CHECK(kcsv_seek(c, full->off[k], (long long)k + 1, &err) == 0,
	      "seek: %s", err.msg);
	pass again = { 0 };
	run(c, &again, (long long)k + 1, total, max_record, max_fields);
	same(full, &again, k, "seek");
	pass_free(&again);
}

/* The row dialect check (see the top): one memory read classified. */
static void
rows_check(const char *csv, size_t n, const kcsv_dialect *base, int sel)
{
	static const long long hrows[4][3] = {
		{ 1, 0, 0 }, { 1, 2, 0 }, { 2, 0, 0 }, { 1, 3, 4 },
	};
	kcsv_dialect d = *base;
	kcsv_header  h;
	kcsv_rec     r;
	kueri_err    err;
	size_t       width = 0, total = 0;
	int          k, nh = 0;

	memset(&h, 0, sizeof h);
	strcpy(d.comment, sel & 4 ? "//" : "#");
	d.comment_rows[0] = 2;
	d.comment_rows[1] = 5;
	d.ncomment_rows = 2;
	d.nheader_rows = 0;
	for (k = 0; k < 3 && hrows[sel & 3][k]; k++)
		d.header_rows[d.nheader_rows++] = hrows[sel & 3][k];
	strcpy(d.header_join, "/");
	kcsv *c = kcsv_open_mem(csv, n, &d);
	if (!c)
		abort();
	while (kcsv_next(c, &r, &err) == 1) {
		int  kind = kcsv_kind(&d, &r);
		int  listed = 0, comment = r.row == 2 || r.row == 5 ||
		     (r.len[0] >= strlen(d.comment) &&
		      !memcmp(r.v[0], d.comment, strlen(d.comment)));
		for (k = 0; k < d.nheader_rows; k++)
			listed |= d.header_rows[k] == r.row;
		CHECK(kind == KCSV_DATA || kind == KCSV_HEADER || kind == KCSV_SKIP,
		      "kind %d", kind);
		CHECK(kind != KCSV_HEADER || (d.header && listed && !comment),
		      "record %lld is a header", r.row);
		CHECK(kind != KCSV_DATA || (!comment &&
		      r.row > kcsv_last_header(&d)), "record %lld is data", r.row);
		CHECK(kind != KCSV_SKIP || comment || (d.header &&
		      r.row <= kcsv_last_header(&d)), "record %lld skipped", r.row);
		if (kind == KCSV_HEADER) {
			if (kcsv_header_add(&h, &r) < 0)
				abort();
			nh++;
			if ((size_t)r.nf > width)
				width = (size_t)r.nf;
			for (k = 0; k < r.nf; k++)
				total += r.len[k];
		}
	}
	kcsv_close(c);
	if (kcsv_header_join(&h, &d) < 0)
		abort();
	CHECK((size_t)h.n <= width, "%d labels from rows %zu wide", h.n, width);
	for (k = 0; k < h.n; k++) {
		CHECK(h.label[k][h.llen[k]] == '\0', "label %d not terminated", k);
		/* At most one part per header row, each a cell, one join
		 * ("/") between parts. */
		CHECK(h.llen[k] <= total + (size_t)nh, "label %d: %zu bytes from "
		      "%zu bytes of header cells", k + 1, h.llen[k], total);
		if (nh == 1)
			CHECK(h.llen[k] == h.clen[0][k] &&
			      !memcmp(h.label[k], h.cell[0][k], h.llen[k]),
			      "one header row: label %d is not its cell", k + 1);
	}
	kcsv_header_free(&h);
}

static void
write_file(const char *buf, size_t n)
{
	FILE *f = fopen(csvpath, "wb");
	if (!f || (n && fwrite(buf, 1, n, f) != n) || fclose(f) != 0) {
		fprintf(stderr, "fuzz_csv: cannot write %s\n", csvpath);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[8] = { ',', ';', '\t', '|', ' ', ':', '\'', '"' };
	static const char quotes[4] = { '"', '\'', 0, '~' };
	static const char escapes[4] = { 0, '\\', 0, '"' };

	if (size < 2 || size > 16384)
		return 0;
	kcsv_dialect d;
	kcsv_dialect_default(&d);
	d.delimiter = delims[data[0] & 7];
	d.quote = quotes[(data[0] >> 3) & 3];
	d.double_quote = (data[0] >> 5) & 1;
	d.skip_initial_space = (data[0] >> 6) & 1;
	d.header = (data[0] >> 7) & 1;
	d.escape = escapes[data[1] & 3];
	int    mode = (data[1] >> 2) & 3;
	int    small = (data[1] >> 4) & 1 && mode != 3;
	int    sel = data[1] >> 5;
	size_t max_record = small ? 8 + 24 * (size_t)sel : KCSV_MAX_RECORD;
	int    max_fields = small ? 1 + sel : KCSV_MAX_FIELDS;

	/* The bytes to read: the CSV, or for mode 3 padding + CSV so that the
	 * first 8 KiB chunk ends `cut` bytes into the CSV. */
	const char *csv = (const char *)data + 2;
	size_t      n = size - 2, pad = 0;
	char       *buf = NULL;
	if (mode == 3) {
		size_t cut = n ? (size_t)sel * 37 % (n < 256 ? n + 1 : 256) : 0;
		pad = FILE_CHUNK - cut;
		buf = malloc(pad + n + 1);
		if (!buf)
			return 0;
		memset(buf, 'p', pad - 1);
		buf[pad - 1] = '\n';
		memcpy(buf + pad, csv, n);
		csv = buf;
		n += pad;
	}

	/* The memory read, checked record by record. */
	kcsv *c = kcsv_open_mem(csv, n, &d);
	if (!c)
		abort();
	if (small)
		kcsv_limits(c, max_record, max_fields);
	pass mem = { 0 };
	run(c, &mem, 1, (long long)n, max_record, max_fields);
	if (mode < 2)
		seek_check(c, &mem, (size_t)sel * 7, (long long)n, max_record,
		           max_fields);
	kcsv_close(c);
	if (mode < 2 && !small)
		rows_check(csv, n, &d, sel);

	if (mode >= 2) {
		kueri_err err;
		kueri_err_clear(&err);
		write_file(csv, n);
		c = kcsv_open(csvpath, &d, mode == 2, &err);
		CHECK(c != NULL, "kcsv_open: %s", err.msg);
		if (small)
			kcsv_limits(c, max_record, max_fields);
		pass file = { 0 };
		run(c, &file, 1, (long long)n, max_record, max_fields);
		same(&mem, &file, 0, "file read");
		if (mode == 2) {
			CHECK(file.bytes == (long long)n, "hashed %lld of %zu bytes",
			      file.bytes, n);
			char got[65], want[65];
			ksha256 s;
			ksha256_init(&s);
			ksha256_update(&s, csv, n);
			ksha256_hex(&s, want);
			kcsv_sha256(c, got);
			CHECK(strcmp(got, want) == 0, "sha256 %s, want %s", got, want);
		} else {
			/* From the first CSV record on, across the chunk boundary. */
			seek_check(c, &mem, mem.n > 1 ? 1 + (size_t)sel * 7 % (mem.n - 1)
			                              : 0,
			           (long long)n, max_record, max_fields);
		}
		pass_free(&file);
		kcsv_close(c);
	}
	pass_free(&mem);
	free(buf);
	return 0;
}
