/*
 * csv.h -- the CSV record reader (publish/csv.c), private to publish/.
 *
 * Streaming, dialect-aware, bounded: one record at a time from a file
 * descriptor (or a memory buffer, for tests), fields unescaped into one
 * record buffer that is reused, so memory is the size of the largest
 * record, capped.  Every record knows its number (first record = 1, the
 * header counts) and the byte offset it starts at, so a later pass can
 * seek straight back to it (kcsv_seek).
 *
 * RFC 4180 plus Frictionless dialect options.  Records end at LF, CRLF or
 * a lone CR whatever lineTerminator says (a file that mixes them is still
 * read the way a person would read it).  Lenient where Python's csv module
 * is lenient: a quote inside an unquoted field is a literal, and text
 * after a closing quote is appended to the field.
 */
#ifndef KUERI_CSV_H
#define KUERI_CSV_H

#include <stddef.h>

#include "kueri.h"
#include "publish.h"

/* Limits of the dialect's row options (package.c names them when a
 * descriptor exceeds one). */
#define KCSV_MAX_HEADER_ROWS  16      /* entries of headerRows            */
#define KCSV_MAX_COMMENT_ROWS 1000    /* entries of commentRows           */
#define KCSV_MAX_MARK         16      /* bytes of commentChar, headerJoin */
#define KCSV_MAX_ROW_NUMBER   4294967295LL /* a row number in either list */

typedef struct kcsv_dialect {
	char delimiter;          /* ','                                    */
	char quote;              /* '"'; 0 = quoting off                   */
	char escape;             /* 0 = none                               */
	int  double_quote;       /* "" inside quotes is one quote (1)      */
	int  header;             /* the file has header rows (1)           */
	int  skip_initial_space; /* ignore spaces after a delimiter (0)    */
	/* Which records are what (kcsv_kind).  Record numbers are physical:
	 * the first record of the file is 1 whatever it is. */
	int  nheader_rows;       /* headerRows, increasing ({1})           */
	long long header_rows[KCSV_MAX_HEADER_ROWS];
	char header_join[KCSV_MAX_MARK + 1];  /* headerJoin (" ")          */
	int  header_case;        /* labels match names case-sensitively (1) */
	char comment[KCSV_MAX_MARK + 1];      /* commentChar ("" = none)   */
	int  ncomment_rows;      /* commentRows, sorted, no repeats ({})   */
	long long comment_rows[KCSV_MAX_COMMENT_ROWS];
} kcsv_dialect;

/* The RFC 4180 defaults above. */
void kcsv_dialect_default(kcsv_dialect *d);

/*
 * What record `rec` is under dialect `d`, as frictionless-py reads it:
 * a comment (first cell starts with commentChar, or its number is in
 * commentRows) is skipped wherever it is, a header row first; a row
 * listed in headerRows is a header row; any other row up to the last
 * header row is skipped; the rest are data.  Without a header, only
 * comments are skipped.
 */
struct kcsv_rec;
enum { KCSV_DATA = 0, KCSV_HEADER, KCSV_SKIP };
int kcsv_kind(const kcsv_dialect *d, const struct kcsv_rec *rec);

/* The number of the last header row (0 without a header): data starts
 * after it. */
long long kcsv_last_header(const kcsv_dialect *d);

/* Limits: a record longer than max_record bytes or with more than
 * max_fields fields stops the read with a clear error. */
#define KCSV_MAX_RECORD (16u << 20)
#define KCSV_MAX_FIELDS 16384

typedef struct kcsv_rec {
	long long    row;     /* record number, first record = 1          */
	long long    offset;  /* byte offset of the record's first byte   */
	int          nf;      /* number of fields (a blank line has 1)    */
	const char **v;       /* field i starts at v[i], NUL-terminated    */
	size_t      *len;     /* and has len[i] bytes                      */
	int          enc_field; /* 1-based field with invalid UTF-8 / NUL, 0 none */
	const char  *enc_what;  /* why (static text) when enc_field        */
} kcsv_rec;

typedef struct kcsv kcsv;

/*
 * The header's labels, built from the header rows (kcsv_header_add for
 * each record kcsv_kind calls a header, then kcsv_header_join).  One
 * header row: its cells as they are.  Several (headerRows [1, 2]): the
 * label of a column is its non-empty cells from top to bottom joined by
 * headerJoin, where an empty cell in a row above the last is the cell to
 * its left (a title over several columns, like a merged spreadsheet
 * cell: the spec's "fruit" over "id,name" gives "fruit id", "fruit
 * name"), and a cell equal to the one above it is taken once; trailing
 * empty cells of a row add no column.
 * Owns its copies; free with kcsv_header_free (also after failure).
 */
typedef struct kcsv_header {
	int        nrows;
	int        nf[KCSV_MAX_HEADER_ROWS];
	char     **cell[KCSV_MAX_HEADER_ROWS];   /* owned copies */
	size_t    *clen[KCSV_MAX_HEADER_ROWS];
	long long  enc_row;          /* first header row with bad UTF-8, 0 */
	int        enc_field;        /* its 1-based field                  */
	const char *enc_what;        /* why (static text)                  */
	int        n;                /* labels after kcsv_header_join      */
	char     **label;            /* owned, NUL-terminated              */
	size_t    *llen;
} kcsv_header;

/* Keep a copy of header record `rec`.  0, or -1 out of memory. */
int  kcsv_header_add(kcsv_header *h, const struct kcsv_rec *rec);
/* Build h->label / h->llen / h->n.  0, or -1 out of memory. */
int  kcsv_header_join(kcsv_header *h, const kcsv_dialect *d);
void kcsv_header_free(kcsv_header *h);

/* Open a file.  `hash`: also compute SHA-256 and a byte count of the
 * whole file as it streams.  NULL + err (KUERI_EIO) on failure.
 * Caller frees with kcsv_close(). */
kcsv *kcsv_open(const char *path, const kcsv_dialect *d, int hash,
                kueri_err *err);

/* The same from an open descriptor (borrowed: duplicated, so the caller
 * keeps and closes its own; reads use pread at this reader's offset, so
 * several readers may share one file).  `name` is for messages. */
kcsv *kcsv_open_fd(int fd, const char *name, const kcsv_dialect *d,
                   int hash, kueri_err *err);

/* Read from a borrowed buffer (must outlive the reader). */
kcsv *kcsv_open_mem(const char *buf, size_t len, const kcsv_dialect *d);

/* Lower the size limits (tests). */
void kcsv_limits(kcsv *c, size_t max_record, int max_fields);

/*
 * Next record into *rec (pointers valid until the next call).  Returns 1
 * for a record, 0 at end of input, -1 on an error that stops the read
 * (err: KUERI_EINVALID with err->row for an unterminated quote, an
 * oversized record, a UTF-16 file; KUERI_EIO for a read error).
 */
int kcsv_next(kcsv *c, kcsv_rec *rec, kueri_err *err);

/* Continue reading at byte `offset`, which starts record number `row`. */
int kcsv_seek(kcsv *c, long long offset, long long row, kueri_err *err);

/* Bytes consumed so far and, once at end of input, the SHA-256 hex. */
long long kcsv_bytes(const kcsv *c);
void      kcsv_sha256(kcsv *c, char out[65]);

void kcsv_close(kcsv *c);

/* 1 if s[0..n) is valid UTF-8 without NUL bytes; else 0 and *why. */
int kcsv_utf8_ok(const char *s, size_t n, const char **why);

#endif /* KUERI_CSV_H */
