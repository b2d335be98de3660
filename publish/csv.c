/*
 * csv.c -- CSV bytes → records.  See csv.h for the contract.
 *
 * A byte-driven state machine whose state survives chunk boundaries, with
 * fast inner loops that copy runs of ordinary bytes with one memcpy.  The
 * reader owns two buffers: the input chunk and the record buffer that
 * fields are unescaped into; both are reused for every record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"

enum {
	S_START,   /* at the start of a field                         */
	S_UNQ,     /* inside an unquoted field                        */
	S_QUOTED,  /* inside a quoted field                           */
	S_QQ,      /* saw a quote inside a quoted field               */
	S_ESC_UNQ, /* after the escape char in an unquoted field      */
	S_ESC_Q,   /* after the escape char in a quoted field         */
	S_CR,      /* a record ended at CR: swallow one following LF  */
};

#define CHUNK      (256 * 1024)
#define SEEK_CHUNK (8 * 1024)

struct kcsv {
	kcsv_dialect d;
	int          fd;         /* -1 in memory mode                  */
	const char  *mem;        /* memory mode input                  */
	size_t       memlen;
	char        *chunk;      /* owned; input bytes                 */
	size_t       chunkcap;
	const char  *p, *e;      /* unread part of the current chunk   */
	long long    base;       /* file offset of e (bytes consumed)  */
	int          eof;
	int          state;
	int          started;    /* current record has begun           */
	int          at_start;   /* nothing read yet (BOM check)       */
	long long    rec_off;
	long long    row;        /* number of the last record returned */
	long long    quote_row;  /* record where an open quote began   */
	char        *rb;         /* owned; record buffer               */
	size_t       rblen, rbcap;
	size_t      *fe;         /* owned; end offset of each field    */
	int          nf, fcap;
	const char **v;          /* owned; field pointers for kcsv_rec */
	size_t      *lens;
	int          vcap;
	size_t       max_record;
	int          max_fields;
	int          hash;
	int          saw_nul;    /* the current record has a NUL byte  */
	ksha256      sha;
	unsigned char special_unq[256];
	unsigned char special_q[256];
};

void
kcsv_dialect_default(kcsv_dialect *d)
{
	d->delimiter = ',';
	d->quote = '"';
	d->escape = 0;
	d->double_quote = 1;
	d->header = 1;
	d->skip_initial_space = 0;
	d->nheader_rows = 1;
	d->header_rows[0] = 1;
	strcpy(d->header_join, " ");
	d->header_case = 1;
	d->comment[0] = '\0';
	d->ncomment_rows = 0;
}

/* ---- which records are data (frictionless-py's Dialect) ----------------- */

long long
kcsv_last_header(const kcsv_dialect *d)
{
	return d->header && d->nheader_rows > 0
	           ? d->header_rows[d->nheader_rows - 1] : 0;
}

/* Binary search: `row` in the sorted list a[0..n). */
static int
row_listed(const long long *a, int n, long long row)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (a[mid] == row)
			return 1;
		if (a[mid] < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
kcsv_kind(const kcsv_dialect *d, const kcsv_rec *rec)
{
	size_t cl = strlen(d->comment);

	/* The first *cell* (after unquoting), as frictionless-py tests
	 * cells[0].startswith(commentChar): "#x",1 is a comment too. */
	if (cl && rec->nf > 0 && rec->len[0] >= cl &&
	    memcmp(rec->v[0], d->comment, cl) == 0)
		return KCSV_SKIP;
	if (d->ncomment_rows &&
	    row_listed(d->comment_rows, d->ncomment_rows, rec->row))
		return KCSV_SKIP;
	if (!d->header)
		return KCSV_DATA;
	if (row_listed(d->header_rows, d->nheader_rows, rec->row))
		return KCSV_HEADER;
	return rec->row <= kcsv_last_header(d) ? KCSV_SKIP : KCSV_DATA;
}

/* ---- the header's labels ------------------------------------------------ */

int
kcsv_header_add(kcsv_header *h, const kcsv_rec *rec)
{
	int i, k = h->nrows;

	if (k >= KCSV_MAX_HEADER_ROWS)
		return 0;   /* cannot happen: kcsv_kind allows that many */
	if (rec->enc_field && !h->enc_row) {
		h->enc_row = rec->row;
		h->enc_field = rec->enc_field;
		h->enc_what = rec->enc_what;
	}
	h->cell[k] = calloc((size_t)rec->nf + 1, sizeof(char *));
	h->clen[k] = calloc((size_t)rec->nf + 1, sizeof(size_t));
	h->nrows++;   /* counted now: kcsv_header_free frees a half copy */
	if (!h->cell[k] || !h->clen[k])
		return -1;
	for (i = 0; i < rec->nf; i++) {
		if (!(h->cell[k][i] = malloc(rec->len[i] + 1)))
			return -1;
		memcpy(h->cell[k][i], rec->v[i], rec->len[i] + 1);
		h->clen[k][i] = rec->len[i];
		h->nf[k] = i + 1;
	}
	return 0;
}

/* The cell header row r gives column i, -1 none: its own; in a row
 * above the last, when that is empty or missing, the nearest non-empty
 * cell to its left (a title spanning the columns after it). */
static int
lent_cell(const kcsv_header *h, int r, int i)
{
	int j = i < h->nf[r] ? i : h->nf[r] - 1;

	if (r == h->nrows - 1)
		return i < h->nf[r] ? i : -1;
	while (j >= 0 && h->clen[r][j] == 0)
		j--;
	return j;
}

int
kcsv_header_join(kcsv_header *h, const kcsv_dialect *d)
{
	size_t jl = strlen(d->header_join);
	int    r, i, n = 0;

	if (h->label)
		return 0;   /* joined already */
	/* As wide as the widest row; with several rows, trailing empty
	 * cells do not count (a title row "harga,," padded to the
	 * spreadsheet's width adds no column). */
	for (r = 0; r < h->nrows; r++) {
		int w = h->nf[r];

		while (h->nrows > 1 && w > 0 && h->clen[r][w - 1] == 0)
			w--;
		if (w > n)
			n = w;
	}
	h->label = calloc((size_t)n + 1, sizeof(char *));
	h->llen = calloc((size_t)n + 1, sizeof(size_t));
	if (!h->label || !h->llen)
		return -1;
	h->n = n;
	for (i = 0; i < n; i++) {
		const char *above = NULL, *part;
		size_t      alen = 0, plen, cap = 1;
		char       *l;

		if (h->nrows == 1) {   /* one row: the cell as it is */
			plen = i < h->nf[0] ? h->clen[0][i] : 0;
			if (!(h->label[i] = malloc(plen + 1)))
				return -1;
			memcpy(h->label[i], i < h->nf[0] ? h->cell[0][i] : "", plen);
			h->label[i][plen] = '\0';
			h->llen[i] = plen;
			continue;
		}
		for (r = 0; r < h->nrows; r++) {
			int j = lent_cell(h, r, i);

			cap += jl + (j >= 0 ? h->clen[r][j] : 0);
		}
		if (!(l = malloc(cap)))
			return -1;
		h->label[i] = l;
		h->llen[i] = 0;
		for (r = 0; r < h->nrows; r++) {
			int j = lent_cell(h, r, i);

			if (j < 0 || h->clen[r][j] == 0)
				continue;
			part = h->cell[r][j];
			plen = h->clen[r][j];
			if (above && alen == plen && memcmp(above, part, plen) == 0)
				continue;   /* the same as the part above: once */
			if (h->llen[i]) {
				memcpy(l + h->llen[i], d->header_join, jl);
				h->llen[i] += jl;
			}
			memcpy(l + h->llen[i], part, plen);
			h->llen[i] += plen;
			above = part;
			alen = plen;
		}
		l[h->llen[i]] = '\0';
	}
	return 0;
}

void
kcsv_header_free(kcsv_header *h)
{
	int r, i;

	for (r = 0; r < h->nrows; r++) {
		if (h->cell[r])
			for (i = 0; i < h->nf[r]; i++)
				free(h->cell[r][i]);
		free(h->cell[r]);
		free(h->clen[r]);
	}
	for (i = 0; h->label && i < h->n; i++)
		free(h->label[i]);
	free(h->label);
	free(h->llen);
	memset(h, 0, sizeof(*h));
}

static kcsv *
kcsv_new(const kcsv_dialect *d)
{
	kcsv *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (d)
		c->d = *d;
	else
		kcsv_dialect_default(&c->d);
	c->fd = -1;
	c->at_start = 1;
	c->max_record = KCSV_MAX_RECORD;
	c->max_fields = KCSV_MAX_FIELDS;
	c->special_unq[(unsigned char)c->d.delimiter] = 1;
	c->special_unq['\n'] = c->special_unq['\r'] = 1;
	/* NUL stops the fast loops too, so a record is only scanned for
	 * encoding problems when it has a NUL or a non-ASCII byte. */
	c->special_unq[0] = c->special_q[0] = 1;
	if (c->d.escape)
		c->special_unq[(unsigned char)c->d.escape] = 1;
	if (c->d.quote)
		c->special_q[(unsigned char)c->d.quote] = 1;
	if (c->d.escape)
		c->special_q[(unsigned char)c->d.escape] = 1;
	c->rbcap = 4096;
	c->rb = malloc(c->rbcap);
	c->fcap = 64;
	c->fe = malloc(sizeof(*c->fe) * (size_t)c->fcap);
	if (!c->rb || !c->fe) {
		kcsv_close(c);
		return NULL;
	}
	return c;
}

static kcsv *open_owned(int fd, const kcsv_dialect *d, int hash,
                        kueri_err *err);

kcsv *
kcsv_open(const char *path, const kcsv_dialect *d, int hash, kueri_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		kueri_err_set(err, KUERI_EIO, -1, "cannot open %s: %s", path,
		              strerror(errno));
		return NULL;
	}
	return open_owned(fd, d, hash, err);
}

kcsv *
kcsv_open_fd(int fd, const char *name, const kcsv_dialect *d, int hash,
             kueri_err *err)
{
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (own < 0) {
		kueri_err_set(err, KUERI_EIO, -1, "%s: %s", name, strerror(errno));
		return NULL;
	}
	return open_owned(own, d, hash, err);
}

/* Takes `fd` (closed on failure too). */
static kcsv *
open_owned(int fd, const kcsv_dialect *d, int hash, kueri_err *err)
{
	kcsv *c;

	if (!(c = kcsv_new(d))) {
		close(fd);
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	c->fd = fd;
	c->chunkcap = hash ? CHUNK : SEEK_CHUNK;
	c->chunk = malloc(c->chunkcap);
	if (!c->chunk) {
		kcsv_close(c);
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	c->hash = hash;
	if (hash)
		ksha256_init(&c->sha);
	return c;
}

kcsv *
kcsv_open_mem(const char *buf, size_t len, const kcsv_dialect *d)
{
	kcsv *c = kcsv_new(d);

	if (!c)
		return NULL;
	c->mem = buf;
	c->memlen = len;
	return c;
}

void
kcsv_limits(kcsv *c, size_t max_record, int max_fields)
{
	c->max_record = max_record;
	c->max_fields = max_fields;
}

void
kcsv_close(kcsv *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->chunk);
	free(c->rb);
	free(c->fe);
	free(c->v);
	free(c->lens);
	free(c);
}

long long
kcsv_bytes(const kcsv *c)
{
	return c->base;
}

void
kcsv_sha256(kcsv *c, char out[65])
{
	ksha256 copy = c->sha;

	ksha256_hex(&copy, out);
}

/* Refill the chunk.  1 more bytes, 0 end of input, -1 read error. */
static int
fill(kcsv *c, kueri_err *err)
{
	ssize_t n;

	if (c->eof)
		return 0;
	if (c->fd < 0) {
		c->p = c->mem + (size_t)c->base;
		c->e = c->mem + c->memlen;
		c->eof = 1;
		if (c->p == c->e)
			return 0;
		c->base = (long long)c->memlen;
		return 1;
	}
	/* pread at our own offset: readers of one shared descriptor
	 * (kcsv_open_fd) do not move each other. */
	do
		n = pread(c->fd, c->chunk, c->chunkcap, (off_t)c->base);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return kueri_err_set(err, KUERI_EIO, -1, "read error: %s",
		                     strerror(errno));
	if (n == 0) {
		c->eof = 1;
		return 0;
	}
	if (c->hash)
		ksha256_update(&c->sha, c->chunk, (size_t)n);
	c->p = c->chunk;
	c->e = c->chunk + n;
	c->base += n;
	return 1;
}

int
kcsv_seek(kcsv *c, long long offset, long long row, kueri_err *err)
{
	if (c->fd < 0) {
		if (offset < 0 || (size_t)offset > c->memlen)
			return kueri_err_set(err, KUERI_EINTERNAL, -1, "bad seek");
		c->eof = 0;
	} else {
		if (offset < 0)
			return kueri_err_set(err, KUERI_EINTERNAL, -1, "bad seek");
		c->eof = 0;
	}
	c->base = offset;
	c->p = c->e = NULL;
	c->state = S_START;
	c->started = 0;
	c->at_start = offset == 0;
	c->row = row - 1;
	c->nf = 0;
	c->rblen = 0;
	c->saw_nul = 0;
	return 0;
}

/* Position in the file of pointer q within the current chunk. */
static long long
pos_of(const kcsv *c, const char *q)
{
	return c->base - (long long)(c->e - q);
}

static int
too_big(kcsv *c, kueri_err *err)
{
	kueri_err_set(err, KUERI_EINVALID, -1,
	              "record %lld is longer than %zu bytes (limit)",
	              c->row + 1, c->max_record);
	err->row = c->row + 1;
	return -1;
}

static int
append(kcsv *c, const char *s, size_t n, kueri_err *err)
{
	/* The cap is checked before the capacity: a limit lowered below the
	 * initial buffer size (kcsv_limits) must hold too. */
	if (c->rblen + n + 1 > c->max_record + 1)
		return too_big(c, err);
	if (c->rblen + n + 1 > c->rbcap) {
		size_t cap = c->rbcap;
		char  *nb;

		while (cap < c->rblen + n + 1)
			cap *= 2;
		if (cap > c->max_record + 1)
			cap = c->max_record + 1;
		if (!(nb = realloc(c->rb, cap)))
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		c->rb = nb;
		c->rbcap = cap;
	}
	memcpy(c->rb + c->rblen, s, n);
	c->rblen += n;
	return 0;
}

static int
end_field(kcsv *c, kueri_err *err)
{
	if (c->nf >= c->max_fields) {
		kueri_err_set(err, KUERI_EINVALID, -1,
		              "record %lld has more than %d fields (limit)",
		              c->row + 1, c->max_fields);
		err->row = c->row + 1;
		return -1;
	}
	if (c->nf == c->fcap) {
		size_t *nfe = realloc(c->fe, sizeof(*nfe) * (size_t)c->fcap * 2);

		if (!nfe)
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		c->fe = nfe;
		c->fcap *= 2;
	}
	/* NUL-terminate each field in place: one byte of separator room. */
	if (append(c, "", 1, err) < 0)
		return -1;
	c->fe[c->nf++] = c->rblen - 1;
	return 0;
}

/* 1 if valid UTF-8 and no NUL; RFC 3629 (no overlongs, surrogates or
 * code points above U+10FFFF). */
int
kcsv_utf8_ok(const char *s, size_t n, const char **why)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	while (p < e) {
		unsigned c = *p;

		if (c < 0x80) {
			if (c == 0) {
				*why = "NUL byte";
				return 0;
			}
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			if (e - p < 2 || (p[1] & 0xc0) != 0x80)
				goto bad;
			p += 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			if (e - p < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
				goto bad;
			if (c == 0xe0 && p[1] < 0xa0)
				goto bad;          /* overlong */
			if (c == 0xed && p[1] >= 0xa0)
				goto bad;          /* surrogate */
			p += 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			if (e - p < 4 || (p[1] & 0xc0) != 0x80 ||
			    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
				goto bad;
			if (c == 0xf0 && p[1] < 0x90)
				goto bad;          /* overlong */
			if (c == 0xf4 && p[1] >= 0x90)
				goto bad;          /* above U+10FFFF */
			p += 4;
		} else {
			goto bad;
		}
	}
	return 1;
bad:
	*why = "invalid UTF-8";
	return 0;
}

/* Word-at-a-time: does the buffer hold any byte >= 0x80? */
static int
maybe_special(const char *s, size_t n)
{
	const uint64_t hi = 0x8080808080808080ULL;
	uint64_t       acc = 0, w;
	size_t         i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)s[i];
	return (acc & hi) != 0;
}

static int
finish(kcsv *c, kcsv_rec *rec, kueri_err *err)
{
	int    i;
	size_t start = 0;

	if (c->nf > c->vcap) {
		int          cap = c->vcap ? c->vcap : 64;
		const char **nv;
		size_t      *nl;

		while (cap < c->nf)
			cap *= 2;
		nv = realloc(c->v, sizeof(*nv) * (size_t)cap);
		if (nv)
			c->v = nv;
		nl = realloc(c->lens, sizeof(*nl) * (size_t)cap);
		if (nl)
			c->lens = nl;
		if (!nv || !nl)
			return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		c->vcap = cap;
	}
	rec->enc_field = 0;
	rec->enc_what = NULL;
	for (i = 0; i < c->nf; i++) {
		c->v[i] = c->rb + start;
		c->lens[i] = c->fe[i] - start;
		start = c->fe[i] + 1;
	}
	if (c->saw_nul || maybe_special(c->rb, c->rblen))
		for (i = 0; i < c->nf; i++)
			if (!kcsv_utf8_ok(c->v[i], c->lens[i], &rec->enc_what)) {
				rec->enc_field = i + 1;
				break;
			}
	rec->row = ++c->row;
	rec->offset = c->rec_off;
	rec->nf = c->nf;
	rec->v = c->v;
	rec->len = c->lens;
	c->nf = 0;
	c->rblen = 0;
	c->started = 0;
	c->saw_nul = 0;
	return 1;
}

int
kcsv_next(kcsv *c, kcsv_rec *rec, kueri_err *err)
{
	const char *p, *e, *q;
	const char  delim = c->d.delimiter, quote = c->d.quote;

	for (;;) {
		if (c->p == c->e) {
			int r = fill(c, err);

			if (r < 0)
				return -1;
			if (r == 0) {
				if (c->state == S_QUOTED || c->state == S_ESC_Q) {
					kueri_err_set(err, KUERI_EINVALID, -1,
					              "unterminated quoted field opened in "
					              "record %lld", c->quote_row);
					err->row = c->quote_row;
					c->state = S_START;
					c->started = 0;
					return -1;
				}
				if (c->state == S_CR)
					c->state = S_START;
				if (!c->started)
					return 0;
				if (c->state == S_ESC_UNQ &&
				    append(c, &c->d.escape, 1, err) < 0)
					return -1;
				c->state = S_START;
				if (end_field(c, err) < 0)
					return -1;
				return finish(c, rec, err);
			}
			if (c->at_start) {
				size_t n = (size_t)(c->e - c->p);

				c->at_start = 0;
				if (n >= 3 && memcmp(c->p, "\xef\xbb\xbf", 3) == 0)
					c->p += 3;
				else if (n >= 2 && (memcmp(c->p, "\xff\xfe", 2) == 0 ||
				                    memcmp(c->p, "\xfe\xff", 2) == 0)) {
					kueri_err_set(err, KUERI_EINVALID, -1,
					              "the file is UTF-16 (byte order mark); "
					              "only UTF-8 is accepted");
					err->row = 1;
					return -1;
				}
				if (c->p == c->e)
					continue;
			}
		}
		p = c->p;
		e = c->e;
		if (c->state == S_CR) {
			if (*p == '\n')
				p++;
			c->state = S_START;
			c->p = p;
			continue;
		}
		if (!c->started) {
			c->started = 1;
			c->rec_off = pos_of(c, p);
		}
		while (p < e) {
			unsigned char ch;

			switch (c->state) {
			case S_START:
				ch = (unsigned char)*p;
				if (c->d.skip_initial_space && ch == ' ') {
					p++;
					continue;
				}
				if (quote && ch == (unsigned char)quote) {
					c->state = S_QUOTED;
					c->quote_row = c->row + 1;
					p++;
					continue;
				}
				c->state = S_UNQ;
				/* fall through */
			case S_UNQ:
				for (q = p; q < e && !c->special_unq[(unsigned char)*q]; q++)
					;
				if (q > p && append(c, p, (size_t)(q - p), err) < 0)
					return -1;
				p = q;
				if (p == e)
					break;
				ch = (unsigned char)*p++;
				if (ch == (unsigned char)delim) {
					if (end_field(c, err) < 0)
						return -1;
					c->state = S_START;
				} else if (ch == '\n' || ch == '\r') {
					c->state = ch == '\r' ? S_CR : S_START;
					c->p = p;
					if (end_field(c, err) < 0)
						return -1;
					return finish(c, rec, err);
				} else if (ch == 0) {
					c->saw_nul = 1;
					if (append(c, p - 1, 1, err) < 0)
						return -1;
				} else {
					c->state = S_ESC_UNQ;
				}
				continue;
			case S_QUOTED:
				for (q = p; q < e && !c->special_q[(unsigned char)*q]; q++)
					;
				if (q > p && append(c, p, (size_t)(q - p), err) < 0)
					return -1;
				p = q;
				if (p == e)
					break;
				ch = (unsigned char)*p++;
				if (ch == 0) {
					c->saw_nul = 1;
					if (append(c, p - 1, 1, err) < 0)
						return -1;
					continue;
				}
				c->state = ch == (unsigned char)quote ? S_QQ : S_ESC_Q;
				continue;
			case S_QQ:
				if (*p == quote && c->d.double_quote) {
					if (append(c, p, 1, err) < 0)
						return -1;
					p++;
					c->state = S_QUOTED;
				} else {
					c->state = S_UNQ;  /* text after the quote */
				}
				continue;
			case S_ESC_UNQ:
			case S_ESC_Q:
				/* An escaped NUL is still a NUL: flag it for the
				 * encoding check like the fast loops do. */
				if (*p == '\0')
					c->saw_nul = 1;
				if (append(c, p, 1, err) < 0)
					return -1;
				p++;
				c->state = c->state == S_ESC_Q ? S_QUOTED : S_UNQ;
				continue;
			}
		}
		c->p = p;
	}
}
