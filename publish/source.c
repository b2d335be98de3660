/*
 * source.c -- where a resource's bytes come from (Data Resource
 * "path" / "data"), into one readable descriptor r->fd.
 *
 *   path "x.csv"         the file, opened once, confined to the package
 *                        folder (package.c, kvp_confined_open)
 *   path ["a", "b"]      multipart: the files concatenated into one
 *                        unlinked temporary file ("Implementations MUST
 *                        be able to concatenate the files in the simplest
 *                        way and treat the result as one large file")
 *   url (v0)             read as path
 *   data [[...], ...]    inline rows (arrays, the first the header, or
 *   data [{...}, ...]    objects keyed by field name) written as CSV to
 *   data "a,b\n1,2"      a temporary file; a string is CSV as is
 *
 * and encoding: UTF-8 is read as is; a declared ISO-8859-1 or
 * windows-1252 file is transcoded to UTF-8 into a temporary file.
 *
 * Refused with a reason: remote URLs (kueri fetches nothing at run
 * time), compressed files, other encodings.  Temporary files are created
 * unlinked (O_TMPFILE) under TMPDIR, so they vanish with the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kutil.h"
#include "pkgint.h"

/* An unlinked read-write temporary file, or -1 + err. */
static int
scratch_fd(kueri_err *err)
{
	const char *dir = getenv("TMPDIR");
	char        path[4096];
	int         fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* Filesystems without O_TMPFILE: create, then unlink at once. */
	snprintf(path, sizeof path, "%s/kueri-src.XXXXXX", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return kueri_err_set(err, KUERI_EIO, -1, "temporary file in %s: %s",
		                     dir, strerror(errno));
	unlink(path);
	return fd;
}

static int
write_all(int fd, const char *s, size_t n, kueri_err *err)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return kueri_err_set(err, KUERI_EIO, -1,
			                     "writing a temporary file: %s%s",
			                     strerror(errno), errno == ENOSPC
			                     ? " (the disk is full)" : "");
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A path string the package may name: not a URL, not compressed. */
static int
path_ok(const kv_resource *r, const char *p, kueri_err *err)
{
	static const char *const packed[] = { ".gz", ".zip", ".bz2", ".xz",
	                                      ".zst", ".tgz", ".7z", NULL };
	size_t n = strlen(p);
	int    k;

	if (strstr(p, "://"))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		        "resource \"%s\": path \"%.200s\" is a remote URL; kueri "
		        "fetches nothing at run time: put the file in the package "
		        "folder and give its relative path", r->name, p);
	for (k = 0; packed[k]; k++) {
		size_t m = strlen(packed[k]);

		if (n > m && strcasecmp(p + n - m, packed[k]) == 0)
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "resource \"%s\": path \"%.200s\" is compressed (%s); "
			        "kueri reads uncompressed CSV only: give the "
			        "decompressed file", r->name, p, packed[k] + 1);
	}
	return 0;
}

/* Copy all of `from` (a confined, regular file) to the end of `to`;
 * *last receives the last byte copied (or keeps its value). */
static int
copy_fd(int to, int from, const char *name, char *last, kueri_err *err)
{
	char  buf[64 * 1024];
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(from, buf, sizeof buf, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kueri_err_set(err, KUERI_EIO, -1, "%s: %s", name,
			                     strerror(errno));
		if (n == 0)
			return 0;
		if (write_all(to, buf, (size_t)n, err) < 0)
			return -1;
		*last = buf[n - 1];
		off += n;
	}
}

/* Multipart: every part confined, concatenated; a part that does not
 * end its last line gets a newline, so its last row and the next part's
 * first stay two rows. */
static int
multipart(kv_package *pkg, kv_resource *r, json_t *paths, kueri_err *err)
{
	size_t  i;
	json_t *p;
	int     out;
	char    last = '\n';

	if (json_array_size(paths) == 0)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "resource \"%s\": path must be a string or a "
		                     "non-empty array of strings", r->name);
	json_array_foreach(paths, i, p)
		if (!json_is_string(p) ||
		    path_ok(r, json_string_value(p), err) < 0)
			return json_is_string(p) ? -1 : kueri_err_set(err,
			        KUERI_ESCHEMA, -1, "resource \"%s\": path[%zu] must "
			        "be a string", r->name, i);
	if ((out = scratch_fd(err)) < 0)
		return -1;
	json_array_foreach(paths, i, p) {
		char *shown = NULL;
		int   fd = kvp_confined_open(pkg->dir, json_string_value(p),
		                             "resource", &shown, err);
		int   rc;

		if (fd < 0) {
			close(out);
			return -1;
		}
		rc = last != '\n' ? write_all(out, "\n", 1, err) : 0;
		if (rc == 0)
			rc = copy_fd(out, fd, shown, &last, err);
		close(fd);
		/* Messages name the parts; never one part's own path, which
		 * would claim that file's bytes are what was read. */
		if (i == 0 && asprintf(&r->path, "%s (+%zu more parts)", shown,
		                       json_array_size(paths) - 1) < 0)
			r->path = NULL;
		free(shown);
		if (i == 0 && !r->path)
			rc = kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		if (rc < 0) {
			close(out);
			return -1;
		}
	}
	r->fd = out;
	return 0;
}

/* One inline value as CSV text into b. */
static void
inline_cell(ku_buf *b, json_t *v)
{
	char num[64];

	if (json_is_string(v)) {
		ku_csv_field(b, json_string_value(v), json_string_length(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
		ku_buf_puts(b, num);
	} else if (json_is_real(v)) {
		ku_fmt_double(num, sizeof num, json_real_value(v));
		ku_buf_puts(b, num);
	} else if (json_is_boolean(v)) {
		ku_buf_puts(b, json_is_true(v) ? "true" : "false");
	} else if (json_is_object(v) || json_is_array(v)) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (s)
			ku_csv_field(b, s, strlen(s));
		else
			b->oom = 1;
		free(s);
	}
	/* null: an empty cell, the default missing value */
}

/* Inline tabular data → CSV (CRLF, RFC 4180) into b. */
static int
inline_csv(kv_resource *r, json_t *data, json_t *rj, ku_buf *b,
           kueri_err *err)
{
	json_t *row, *v, *hdr = NULL;
	size_t  i, j;
	int     objects = json_is_object(json_array_get(data, 0));

	if (objects) {
		/* The header: the schema's field names when it has them (the
		 * order cells are checked in), else the first row's keys. */
		json_t *fields = json_object_get(json_object_get(rj, "schema"),
		                                 "fields");
		const char *k;

		hdr = json_array();
		if (json_array_size(fields))
			json_array_foreach(fields, i, v)
				json_array_append(hdr, json_object_get(v, "name"));
		else
			json_object_foreach(json_array_get(data, 0), k, v)
				json_array_append_new(hdr, json_string(k));
		json_array_foreach(hdr, j, v) {
			if (j)
				ku_buf_add(b, ",", 1);
			inline_cell(b, v);
		}
		ku_buf_add(b, "\r\n", 2);
	}
	json_array_foreach(data, i, row) {
		if (objects ? !json_is_object(row) : !json_is_array(row)) {
			json_decref(hdr);
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "resource \"%s\": data[%zu] is not an %s: inline "
			        "tabular data is an array of arrays (the first the "
			        "header) or of objects", r->name, i,
			        objects ? "object" : "array");
		}
		if (objects) {
			json_array_foreach(hdr, j, v) {
				if (j)
					ku_buf_add(b, ",", 1);
				inline_cell(b, json_object_get(row,
				            json_string_value(v) ? json_string_value(v) : ""));
			}
		} else {
			json_array_foreach(row, j, v) {
				if (j)
					ku_buf_add(b, ",", 1);
				inline_cell(b, v);
			}
		}
		ku_buf_add(b, "\r\n", 2);
	}
	json_decref(hdr);
	return b->oom ? kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory") : 0;
}

static int
inline_data(kv_resource *r, json_t *rj, json_t *data, kueri_err *err)
{
	ku_buf      b = { 0 };
	const char *fmt = json_string_value(json_object_get(rj, "format"));
	int         fd, rc;

	if (json_is_string(data)) {
		if (!fmt || (strcasecmp(fmt, "csv") && strcasecmp(fmt, "tsv")))
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "resource \"%s\": inline data as a string needs "
			        "\"format\": \"csv\" (or \"tsv\")", r->name);
		ku_buf_add(&b, json_string_value(data), json_string_length(data));
	} else if (!json_is_array(data) || json_array_size(data) == 0) {
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		        "resource \"%s\": inline data must be a non-empty array of "
		        "rows (arrays or objects) or a CSV string", r->name);
	} else if (inline_csv(r, data, rj, &b, err) < 0) {
		free(b.s);
		return -1;
	}
	if (b.oom) {
		free(b.s);
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	}
	if ((fd = scratch_fd(err)) < 0) {
		free(b.s);
		return -1;
	}
	rc = write_all(fd, b.s ? b.s : "", b.n, err);
	free(b.s);
	if (rc < 0) {
		close(fd);
		return -1;
	}
	r->fd = fd;
	if (!(r->path = strdup("(inline data)")))
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	return 0;
}

/* windows-1252's 0x80..0x9f (0: undefined); ISO-8859-1 maps them to
 * C1 controls, which a CSV of text never means. */
static const unsigned short cp1252[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

/* r->fd (a single-byte encoding) → UTF-8 in a temporary file that
 * replaces it.  A byte with no character stays invalid UTF-8 (0xff is
 * never valid), so verification reports it as an encoding-error. */
static int
transcode(kv_resource *r, int win, kueri_err *err)
{
	unsigned char in[32 * 1024];
	char          out[3 * sizeof in];
	off_t         off = 0;
	int           to;
	char         *shown;

	if ((to = scratch_fd(err)) < 0)
		return -1;
	for (;;) {
		ssize_t n = pread(r->fd, in, sizeof in, off);
		size_t  o = 0, i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(to);
			return kueri_err_set(err, KUERI_EIO, -1, "%s: %s", r->path,
			                     strerror(errno));
		}
		if (n == 0)
			break;
		for (i = 0; i < (size_t)n; i++) {
			unsigned c = in[i];

			if (c >= 0x80 && c < 0xa0 && win)
				c = cp1252[c - 0x80] ? cp1252[c - 0x80] : 0x100;
			if (c < 0x80) {
				out[o++] = (char)c;
			} else if (c == 0x100) {
				out[o++] = (char)0xff;  /* undefined in windows-1252 */
			} else if (c < 0x800) {
				out[o++] = (char)(0xc0 | (c >> 6));
				out[o++] = (char)(0x80 | (c & 0x3f));
			} else {
				out[o++] = (char)(0xe0 | (c >> 12));
				out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
				out[o++] = (char)(0x80 | (c & 0x3f));
			}
		}
		if (write_all(to, out, o, err) < 0) {
			close(to);
			return -1;
		}
		off += n;
	}
	close(r->fd);
	r->fd = to;
	/* The bytes read are no longer the file's: say so in messages. */
	if (asprintf(&shown, "%s (transcoded to UTF-8)", r->path) < 0)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	free(r->path);
	r->path = shown;
	return 0;
}

int
kvp_source(kv_package *pkg, kv_resource *r, json_t *rj, kueri_err *err)
{
	json_t     *path = json_object_get(rj, "path"),
	           *data = json_object_get(rj, "data");
	const char *enc = json_string_value(json_object_get(rj, "encoding")),
	           *comp = json_string_value(json_object_get(rj, "compression"));
	int         win = 0;

	if (!path && !data)
		path = json_object_get(rj, "url");  /* v0: "url" is the path */
	if (path && data)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		        "resource \"%s\": give either path or data, not both",
		        r->name);
	if (comp && *comp && strcasecmp(comp, "no") && strcasecmp(comp, "none"))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		        "resource \"%s\": compression \"%.40s\" is not supported; "
		        "kueri reads uncompressed CSV only", r->name, comp);
	if (enc && strcasecmp(enc, "utf-8") && strcasecmp(enc, "utf8") &&
	    strcasecmp(enc, "utf-8-sig") && strcasecmp(enc, "ascii") &&
	    strcasecmp(enc, "us-ascii")) {
		if (!strcasecmp(enc, "windows-1252") || !strcasecmp(enc, "cp1252"))
			win = 1;
		else if (strcasecmp(enc, "iso-8859-1") && strcasecmp(enc, "latin1")
		         && strcasecmp(enc, "latin-1") && strcasecmp(enc, "l1") &&
		         strcasecmp(enc, "iso8859-1"))
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "resource \"%s\": encoding \"%.40s\" is not supported "
			        "(UTF-8, or ISO-8859-1 / windows-1252, which are read "
			        "as UTF-8)", r->name, enc);
	}
	if (data) {
		if (inline_data(r, rj, data, err) < 0)
			return -1;
	} else if (json_is_array(path)) {
		if (multipart(pkg, r, path, err) < 0)
			return -1;
	} else if (!json_is_string(path)) {
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		        "resource \"%s\": path must be a string or an array of "
		        "strings (CSV files inside the package folder), or give "
		        "inline data", r->name);
	} else if (path_ok(r, json_string_value(path), err) < 0 ||
	           (r->fd = kvp_confined_open(pkg->dir, json_string_value(path),
	                                      "resource", &r->path, err)) < 0) {
		return -1;
	}
	if (enc && (win || strncasecmp(enc, "utf", 3) != 0) &&
	    strcasecmp(enc, "ascii") && strcasecmp(enc, "us-ascii"))
		return transcode(r, win, err);
	return 0;
}
