/*
 * package.c -- datapackage.json → kv_package.
 *
 * Everything that can be wrong with a package before a single data row is
 * read is caught here, with a message that names the resource and field:
 * JSON syntax (Jansson's line/column), catalog properties, resource names
 * (they become OData entity set names), paths that would leave the package
 * folder, dialects we cannot honour, unknown field types, constraints of
 * the wrong shape, patterns that do not compile, keys naming no field.
 * A resource without a schema gets one inferred from its first rows.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kutil.h"
#include "pkgint.h"
#include "types.h"

#define INFER_ROWS 100

static char *
dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

int
kv_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 100)
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/*
 * Resource names: what Data Resource allows ("lowercase English
 * alphanumeric characters plus '.', '-' and '_'"; upper case accepted
 * too), at most 128 bytes.  The entity set gets the OData name the
 * portal derives from it (portal/names.c: "harga-pangan" is served as
 * harga_pangan); URLs that carry the resource name escape it.
 */
static int
ident_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-' ||
		      s[i] == '.'))
			return 0;
	return 1;
}

/* A descriptor path must be relative and stay inside the package folder:
 * no absolute path, no URL, no ".." component, no backslashes. */
static int
rel_path_ok(const char *p)
{
	const char *c;

	if (!*p || p[0] == '/' || strchr(p, '\\') || strstr(p, "://"))
		return 0;
	for (c = p; *c;) {
		size_t len = strcspn(c, "/");

		if (len == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		c += len;
		if (*c == '/')
			c++;
	}
	return 1;
}

/*
 * Open dir/rel for reading, confined to dir, ONCE: the descriptor is what
 * every later read goes through (kcsv_open_fd, sha of the bytes), so a
 * file swapped for a symlink after the check cannot be read instead.
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) lets symlinks that stay
 * inside the folder work; where the kernel lacks openat2 every component
 * is opened with O_NOFOLLOW (no symlinks at all).  O_NONBLOCK: opening a
 * FIFO must not wait for a writer; fstat then accepts regular files only.
 * Returns the descriptor and the joined display path in *shown (owned),
 * or -1 + err.
 */
static int
open_beneath(int dfd, const char *rel)
{
	struct open_how how;
	char   comp[PATH_MAX];
	const char *c = rel;
	int    fd, cur, nfd;
	long   r;

	memset(&how, 0, sizeof how);
	how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	r = syscall(SYS_openat2, dfd, rel, &how, sizeof how);
	if (r >= 0 || (errno != ENOSYS && errno != EPERM))
		return (int)r;
	/* No openat2 (or a seccomp filter refusing it): walk it ourselves. */
	if ((cur = dup(dfd)) < 0)
		return -1;
	for (;;) {
		size_t len = strcspn(c, "/");

		if (len >= sizeof comp) {
			close(cur);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, c, len);
		comp[len] = '\0';
		c += len;
		while (*c == '/')
			c++;
		if (len == 0 || strcmp(comp, ".") == 0) {
			if (*c)
				continue;
			fd = openat(cur, ".", O_RDONLY | O_CLOEXEC);
			close(cur);
			return fd;
		}
		if (*c == '\0') {
			fd = openat(cur, comp, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
			            O_NOCTTY | O_NOFOLLOW);
			close(cur);
			return fd;
		}
		nfd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		             O_NOFOLLOW);
		close(cur);
		if (nfd < 0)
			return -1;
		cur = nfd;
	}
}

int
kvp_confined_open(const char *dir, const char *rel, const char *what,
                  char **shown, kueri_err *err)
{
	char   joined[PATH_MAX];
	struct stat sb;
	int    dfd, fd, e, fl;

	*shown = NULL;
	if (strstr(rel, "://"))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		              "%s path \"%.200s\" is a remote URL; kueri fetches "
		              "nothing at run time: put the file in the package "
		              "folder and give its relative path", what, rel);
	if (!rel_path_ok(rel))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		              "%s path \"%s\" must be relative and stay inside the "
		              "package folder", what, rel);
	if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", dir, rel) >=
	    sizeof(joined))
		return kueri_err_set(err, KUERI_ESCHEMA, -1, "%s path is too long",
		                     what);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kueri_err_set(err, KUERI_EIO, -1, "package folder %s: %s",
		                     dir, strerror(errno));
	fd = open_beneath(dfd, rel);
	e = errno;
	close(dfd);
	if (fd < 0) {
		if (e == EXDEV || e == ELOOP)
			return kueri_err_set(err, KUERI_ESCHEMA, -1,
			        "%s path \"%s\" leads outside the package folder"
			        " (or through a symlink that does)", what, rel);
		return kueri_err_set(err, KUERI_EIO, -1, "%s \"%s\": %s", what,
		                     rel, strerror(e));
	}
	memset(&sb, 0, sizeof sb);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		const char *kind = S_ISFIFO(sb.st_mode) ? "a FIFO" :
		        S_ISDIR(sb.st_mode) ? "a directory" :
		        S_ISSOCK(sb.st_mode) ? "a socket" :
		        S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device" :
		        "not a regular file";

		close(fd);
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		        "%s \"%s\" is %s: only regular files are read", what,
		        rel, kind);
	}
	/* Regular file: blocking reads from here on. */
	if ((fl = fcntl(fd, F_GETFL)) >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if ((*shown = strdup(joined)) == NULL) {
		close(fd);
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	}
	return fd;
}

/* A descriptor or schema file, read through `fd` (borrowed): a regular
 * file of at most KV_MAX_DESCRIPTOR_BYTES (a 23 MB descriptor used to be
 * accepted and made /catalog as large). */
static json_t *
load_json_at(const char *path, int fd, kueri_err *err)
{
	json_error_t je;
	struct stat  sb;
	json_t      *j;
	char        *buf;
	size_t       len = 0;
	int          fl;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		kueri_err_set(err, KUERI_EIO, -1, "%s: not a regular file", path);
		return NULL;
	}
	if (sb.st_size > KV_MAX_DESCRIPTOR_BYTES) {
		kueri_err_set(err, KUERI_ESCHEMA, -1, "%s: %lld bytes is over the"
		              " limit of %ld bytes per descriptor or schema file"
		              " (KV_MAX_DESCRIPTOR_BYTES)", path,
		              (long long)sb.st_size, KV_MAX_DESCRIPTOR_BYTES);
		return NULL;
	}
	if ((fl = fcntl(fd, F_GETFL)) >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	/* Read whole, then parse: json_loadfd reads one byte per read(2)
	 * (118,779 system calls for the 256-resource descriptor of
	 * publish_limits.sh, most of a publish's CPU).  The size is capped
	 * above; a file that grows meanwhile is read only up to the cap + 1,
	 * which the size check below refuses. */
	if ((buf = malloc((size_t)KV_MAX_DESCRIPTOR_BYTES + 1)) == NULL) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	while (len <= (size_t)KV_MAX_DESCRIPTOR_BYTES) {
		ssize_t r = pread(fd, buf + len,
		                  (size_t)KV_MAX_DESCRIPTOR_BYTES + 1 - len,
		                  (off_t)len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kueri_err_set(err, KUERI_EIO, -1, "%s: %s", path,
			              strerror(errno));
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > (size_t)KV_MAX_DESCRIPTOR_BYTES) {
		kueri_err_set(err, KUERI_ESCHEMA, -1, "%s: over the limit of %ld"
		              " bytes per descriptor or schema file"
		              " (KV_MAX_DESCRIPTOR_BYTES)", path,
		              KV_MAX_DESCRIPTOR_BYTES);
		free(buf);
		return NULL;
	}
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);

	if (!j && je.line > 0) {
		kueri_err_set(err, KUERI_ESCHEMA, -1, "%s:%d:%d: %s", path, je.line,
		              je.column, je.text);
		err->row = je.line;
		err->field = je.column;
	} else if (!j) {
		/* Jansson's text already names the file. */
		kueri_err_set(err, KUERI_EIO, -1, "%s: %s", path, je.text);
	}
	return j;
}

static json_t *
load_json(const char *path, kueri_err *err)
{
	int     fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	json_t *j;

	if (fd < 0) {
		kueri_err_set(err, KUERI_EIO, -1, "%s: %s", path, strerror(errno));
		return NULL;
	}
	j = load_json_at(path, fd, err);
	close(fd);
	return j;
}

int
kvp_resource_index(const kv_package *pkg, const char *name)
{
	int i;

	for (i = 0; i < pkg->nres; i++)
		if (strcmp(pkg->res[i].name, name) == 0)
			return i;
	return -1;
}

/* ---- schema inference (a resource without a schema) ----------------- */

static const char *const infer_types[] = { "integer", "number", "boolean",
                                            "date", "datetime", NULL };

/*
 * Read the header (or count the columns) and up to INFER_ROWS rows; each
 * column gets the first type in infer_types that at least 90% of its
 * non-empty cells parse as, else string.  Blank labels become "fieldN",
 * repeated labels get a number suffix (so the header check still reports
 * them as blank/duplicate labels).
 */
/* The columns of an inferred schema, once the header rows are read
 * (h: their labels) or, without a header, from the first data row r
 * (NULL: none).  0, or -1 out of memory. */
static int
infer_columns(const kcsv_dialect *d, kcsv_header *h, const kcsv_rec *r,
              json_t *labels, int *ncols, int (**hits)[8], int **seen)
{
	int i;

	if (d->header) {
		if (kcsv_header_join(h, d) < 0)
			return -1;
		*ncols = h->n;
		for (i = 0; i < h->n; i++)
			json_array_append_new(labels,
			                      json_stringn_nocheck(h->label[i], h->llen[i]));
	} else {
		*ncols = r ? r->nf : 0;
	}
	*hits = calloc((size_t)*ncols + 1, sizeof(**hits));
	*seen = calloc((size_t)*ncols + 1, sizeof(**seen));
	return *hits && *seen ? 0 : -1;
}

static json_t *
infer_schema(const kv_resource *res, const kcsv_dialect *d, kueri_err *err)
{
	kcsv     *c = kcsv_open_fd(res->fd, res->path, d, 0, err);
	kcsv_rec  r;
	kcsv_header h;
	json_t   *labels = json_array(), *schema = NULL, *fields;
	int       ncols = 0, rows = 0, rc = 0, i, t, started = 0;
	int     (*hits)[8] = NULL;
	int      *seen = NULL;
	char      name[64];

	memset(&h, 0, sizeof(h));
	if (!c)
		goto out;
	while (rows < INFER_ROWS && (rc = kcsv_next(c, &r, err)) == 1) {
		int kind = kcsv_kind(d, &r);

		if (kind == KCSV_HEADER && kcsv_header_add(&h, &r) < 0)
			goto nomem;
		if (kind != KCSV_DATA)
			continue;
		if (!started++ && infer_columns(d, &h, &r, labels, &ncols, &hits,
		                                &seen) < 0)
			goto nomem;
		rows++;
		for (i = 0; i < ncols && i < r.nf; i++) {
			if (r.len[i] == 0)
				continue;
			seen[i]++;
			for (t = 0; infer_types[t]; t++) {
				kvt_field f;
				kv_value  v;
				char      scratch[256];
				const char *why;
				json_t   *fj = json_pack("{s:s,s:s}", "name", "x", "type",
				                         infer_types[t]);

				/* Zeroed: a long cell skips kvt_compile, kvt_free
				 * still runs. */
				memset(&f, 0, sizeof(f));
				if (r.len[i] < 96 && kvt_compile(&f, fj, NULL, 0, err) == 0 &&
				    kvt_parse(&f, r.v[i], r.len[i], &v, scratch, &why) == 0)
					hits[i][t]++;
				kvt_free(&f);
				json_decref(fj);
			}
		}
	}
	if (rc >= 0 && !started &&
	    infer_columns(d, &h, NULL, labels, &ncols, &hits, &seen) < 0)
		goto nomem;
	if (rc < 0)
		goto out;
	/* An empty file gets an empty schema; verification then reports
	 * the empty source. */
	schema = json_object();
	fields = json_array();
	json_object_set_new(schema, "fields", fields);
	for (i = 0; i < ncols; i++) {
		const char *label = json_string_value(json_array_get(labels, (size_t)i));
		const char *type = "string";
		int         j, dup = 0;

		for (t = 0; infer_types[t]; t++)
			if (seen[i] && hits[i][t] * 10 >= seen[i] * 9) {
				type = infer_types[t];
				break;
			}
		for (j = 0; label && j < i; j++) {
			const char *o = json_string_value(json_array_get(labels, (size_t)j));

			dup += o && strcmp(o, label) == 0;
		}
		if (!label || !*label)
			snprintf(name, sizeof(name), "field%d", i + 1);
		else if (dup)
			snprintf(name, sizeof(name), "%.50s%d", label, dup + 1);
		json_array_append_new(fields, json_pack("{s:s,s:s}", "name",
		    (!label || !*label || dup) ? name : label, "type", type));
	}
	goto out;
nomem:
	kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
out:
	free(hits);
	free(seen);
	kcsv_header_free(&h);
	json_decref(labels);
	kcsv_close(c);
	return schema;
}

/* ---- the package ---------------------------------------------------- */

/*
 * CSV Dialect's nullSequence ("\\N") is a missing value of every field:
 * added to the schema's missingValues (default [""]) and to each field's
 * own, in the descriptor, where verification and the loader read them.
 * 0, or -1 out of memory.
 */
static int
null_sequence(json_t *rj, json_t *schema)
{
	json_t *ns = json_object_get(json_object_get(rj, "dialect"),
	                             "nullSequence"), *fields, *f, *mv;
	size_t  i;
	int     rc = 0;

	if (!json_is_string(ns))
		return 0;
	if (!(mv = json_object_get(schema, "missingValues")) &&
	    json_object_set_new(schema, "missingValues", json_pack("[s]", "")) < 0)
		return -1;
	rc |= json_array_append(json_object_get(schema, "missingValues"), ns);
	fields = json_object_get(schema, "fields");
	json_array_foreach(fields, i, f)
		if (json_is_array(mv = json_object_get(f, "missingValues")))
			rc |= json_array_append(mv, ns);
	return rc ? -1 : 0;
}

static int
load_resource(kv_package *pkg, kv_resource *r, json_t *rj, int ri,
              kueri_err *err)
{
	json_t      *v, *schema, *fields, *f, *seen = NULL;
	const char  *s;
	kcsv_dialect d;
	size_t       i;
	int         *pk = NULL, npk = 0, inferred = 0;

	if (!json_is_object(rj))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "resource %d is not an object", ri + 1);
	s = json_string_value(json_object_get(rj, "name"));
	if (!s || !ident_ok(s))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "resource %d: name %s%s%s must be letters, digits, "
		                     "'_', '-' or '.' (it names the entity set)",
		                     ri + 1, s ? "\"" : "", s ? s : "missing",
		                     s ? "\"" : "");
	r->name = strdup(s);
	r->title = dupstr(json_string_value(json_object_get(rj, "title")));
	/* Inline rows carry no file format of their own ("json" is what
	 * the spec suggests for them); a file or a CSV string must be CSV. */
	if ((s = json_string_value(json_object_get(rj, "format"))) &&
	    strcasecmp(s, "csv") && strcasecmp(s, "tsv") &&
	    !json_is_array(json_object_get(rj, "data")))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "resource \"%s\": format \"%s\" is not supported "
		                     "(CSV only)", r->name, s);
	if (kvp_source(pkg, r, rj, err) < 0)
		return -1;
	/* A dialect given as a path: read it (confined, like a schema) and
	 * keep the object in the descriptor, where verification reads it. */
	if (json_is_string(v = json_object_get(rj, "dialect"))) {
		char   *dp;
		int     dfd = kvp_confined_open(pkg->dir, json_string_value(v),
		                                "dialect", &dp, err);
		json_t *loaded;

		if (dfd < 0)
			return -1;
		loaded = load_json_at(dp, dfd, err);
		close(dfd);
		free(dp);
		if (!loaded)
			return -1;
		json_object_set_new(rj, "dialect", loaded);
	}
	if (kvp_dialect(rj, &d, err) < 0) {
		char m[sizeof(err->msg)];

		snprintf(m, sizeof(m), "%s", err->msg);
		return kueri_err_set(err, KUERI_ESCHEMA, -1, "resource \"%s\": %s",
		                     r->name, m);
	}

	schema = json_object_get(rj, "schema");
	if (json_is_string(schema)) {
		char   *sp;
		int     sfd = kvp_confined_open(pkg->dir, json_string_value(schema),
		                            "schema", &sp, err);
		json_t *loaded;

		if (sfd < 0)
			return -1;
		loaded = load_json_at(sp, sfd, err);
		close(sfd);
		free(sp);
		if (!loaded)
			return -1;
		json_object_set_new(rj, "schema", loaded);  /* owned by pkg->json */
	} else if (!schema) {
		json_t *guess = infer_schema(r, &d, err);

		if (!guess)
			return -1;
		json_object_set_new(rj, "schema", guess);
		inferred = 1;
	} else if (!json_is_object(schema)) {
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "resource \"%s\": schema must be an object or a "
		                     "path", r->name);
	}
	r->schema = schema = json_object_get(rj, "schema");
	fields = json_object_get(schema, "fields");
	if (!json_is_array(fields) || (json_array_size(fields) == 0 && !inferred))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "resource \"%s\": schema.fields must be a "
		                     "non-empty array", r->name);
	v = json_object_get(schema, "missingValues");
	if (v && !json_is_array(v))
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "resource \"%s\": missingValues must be an array",
		                     r->name);
	/* v2 fieldsMatch: kueri maps fields to columns by position, as
	 * "exact" (the default) says; the name-mapped modes would read
	 * another table than the one the publisher described. */
	if ((s = json_string_value(json_object_get(schema, "fieldsMatch"))) &&
	    strcmp(s, "exact") != 0)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "resource \"%s\": fieldsMatch \"%.20s\" is not "
		                     "supported (fields are matched to columns by "
		                     "position: \"exact\")", r->name, s);
	if (null_sequence(rj, schema) < 0)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	if ((v = json_object_get(schema, "primaryKey"))) {
		if (!(pk = kvp_field_list(v, schema, &npk, "primaryKey", err)))
			goto fail_named;
	}
	if (json_array_size(fields) > KV_MAX_FIELDS) {
		free(pk);
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		        "resource \"%s\": %zu fields is over the limit of %d fields"
		        " per resource (KV_MAX_FIELDS)", r->name,
		        json_array_size(fields), KV_MAX_FIELDS);
	}
	r->nfields = (int)json_array_size(fields);
	if (!(r->fields = calloc((size_t)r->nfields + 1, sizeof(*r->fields))) ||
	    !(seen = json_object())) {
		free(pk);
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	}
	json_array_foreach(fields, i, f) {
		kvt_field kf;
		kp_field *pf = &r->fields[i];
		int       k, tz, rc;

		memset(&kf, 0, sizeof(kf));  /* kvt_free runs on every path */
		/* "kueri:timezone" of the field, resource or package, checked
		 * here so a bad one stops the publish before any row is read. */
		rc = kvt_timezone(pkg->json, rj, f, &tz, err);
		if (rc == 0)
			rc = kvt_compile(&kf, f, json_object_get(schema, "missingValues"),
			                 tz, err);

		/* A hash of the names so far: a scan per field was quadratic. */
		if (rc == 0 && json_object_get(seen, kf.name))
			rc = kueri_err_set(err, KUERI_ESCHEMA, -1,
			                   "field \"%s\" is defined twice", kf.name);
		else if (rc == 0)
			json_object_set_new(seen, kf.name, json_true());
		if (rc == 0) {
			pf->name = strdup(kf.name);
			pf->title = dupstr(json_string_value(json_object_get(f, "title")));
			pf->description =
			    dupstr(json_string_value(json_object_get(f, "description")));
			pf->type = kf.type;
			pf->nullable = !kf.required;
			/* $metadata's MaxLength; CSDL JSON wants >= 1. */
			pf->max_length = kf.type == KP_STRING && kf.max_len >= 1 &&
			    kf.max_len <= (1LL << 53) ? kf.max_len : 0;
			for (k = 0; k < npk; k++)
				if (pk[k] == (int)i)
					pf->nullable = 0;
			/* kueri extension properties: "kueri:decimal": true publishes a
			 * number as Edm.Decimal; "kueri:search": false (or
			 * "searchable": false) keeps a string out of $search. */
			pf->decimal = kf.type == KP_NUMBER &&
			    json_is_true(json_object_get(f, "kueri:decimal"));
			pf->searchable = kf.type == KP_STRING &&
			    !json_is_false(json_object_get(f, "kueri:search")) &&
			    !json_is_false(json_object_get(f, "searchable"));
		}
		kvt_free(&kf);
		if (rc < 0)
			goto fail_named;
	}
	json_decref(seen);
	seen = NULL;
	r->keys = pk;
	r->nkeys = npk;
	pk = NULL;
	if ((v = json_object_get(schema, "uniqueKeys"))) {
		json_t *u;

		if (!json_is_array(v)) {
			kueri_err_set(err, KUERI_ESCHEMA, -1, "uniqueKeys must be an array");
			goto fail_named;
		}
		json_array_foreach(v, i, u) {
			int  n, *idx = kvp_field_list(u, schema, &n, "uniqueKeys", err);

			if (!idx)
				goto fail_named;
			free(idx);
		}
	}
	v = json_object_get(schema, "foreignKeys");
	if (v && !json_is_array(v)) {
		kueri_err_set(err, KUERI_ESCHEMA, -1, "foreignKeys must be an array");
		goto fail_named;
	}
	if (kvp_parse_indexes(r, rj, schema, err))
		goto fail_named;
	return 0;

fail_named:
	json_decref(seen);
	free(pk);
	if (strncmp(err->msg, "resource", 8) != 0) {
		char m[sizeof(err->msg)];
		kueri_code code = err->code;

		snprintf(m, sizeof(m), "%s", err->msg);
		kueri_err_set(err, code, err->pos, "resource \"%s\": %s", r->name, m);
	}
	return -1;
}

/* Foreign keys, once every resource (and inferred schema) is known. */
static int
check_foreign_keys(kv_package *pkg, kueri_err *err)
{
	int ri;

	for (ri = 0; ri < pkg->nres; ri++) {
		kv_resource *r = &pkg->res[ri];
		json_t      *fks = json_object_get(r->schema, "foreignKeys"), *fk;
		size_t       i;

		json_array_foreach(fks, i, fk) {
			json_t     *ref = json_object_get(fk, "reference");
			const char *target = json_string_value(json_object_get(ref, "resource"));
			int         ti = ri, n1, n2, *a, *b;

			if (!json_is_object(ref))
				return kueri_err_set(err, KUERI_ESCHEMA, -1,
				                     "resource \"%s\": foreignKeys[%zu] needs "
				                     "a reference object", r->name, i);
			if (target && *target && (ti = kvp_resource_index(pkg, target)) < 0)
				return kueri_err_set(err, KUERI_ESCHEMA, -1,
				                     "resource \"%s\": foreign key references "
				                     "resource \"%s\", which is not in the "
				                     "package", r->name, target);
			a = kvp_field_list(json_object_get(fk, "fields"), r->schema, &n1,
			                   "foreignKeys.fields", err);
			if (!a)
				goto named;
			b = kvp_field_list(json_object_get(ref, "fields"),
			                   pkg->res[ti].schema, &n2,
			                   "foreignKeys.reference.fields", err);
			free(a);
			if (!b)
				goto named;
			free(b);
			if (n1 != n2)
				return kueri_err_set(err, KUERI_ESCHEMA, -1,
				                     "resource \"%s\": foreign key has %d "
				                     "fields but its reference %d", r->name,
				                     n1, n2);
		}
		continue;
named: {
			char m[sizeof(err->msg)];

			snprintf(m, sizeof(m), "%s", err->msg);
			return kueri_err_set(err, KUERI_ESCHEMA, -1, "resource \"%s\": %s",
			                     r->name, m);
		}
	}
	return 0;
}

kv_package *
kv_package_load(const char *path, kueri_err *err)
{
	kv_package *pkg = calloc(1, sizeof(*pkg));
	json_t     *res, *v, *names = NULL;
	const char *s, *slash;
	size_t      i;

	if (!pkg) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		return NULL;
	}
	slash = strrchr(path, '/');
	pkg->dir = slash ? strndup(path, (size_t)(slash - path == 0 ? 1 : slash - path))
	                 : strdup(".");
	if (!(pkg->json = load_json(path, err)))
		goto fail;
	if (!json_is_object(pkg->json)) {
		kueri_err_set(err, KUERI_ESCHEMA, -1, "%s: not a JSON object", path);
		goto fail;
	}
	s = json_string_value(json_object_get(pkg->json, "name"));
	if (!s || !kv_name_ok(s)) {
		kueri_err_set(err, KUERI_ESCHEMA, -1,
		              "package name %s%s%s must be lowercase letters, digits, "
		              "'-' or '_'", s ? "\"" : "", s ? s : "is missing; it",
		              s ? "\"" : "");
		goto fail;
	}
	pkg->name = strdup(s);
	pkg->title = dupstr(json_string_value(json_object_get(pkg->json, "title")));
	if ((v = json_object_get(pkg->json, "publisher"))) {
		if (!json_is_string(v) || json_string_length(v) == 0) {
			kueri_err_set(err, KUERI_ESCHEMA, -1,
			              "publisher must be a non-empty string");
			goto fail;
		}
		pkg->publisher = strdup(json_string_value(v));
	}
	if ((v = json_object_get(pkg->json, "classification"))) {
		s = json_string_value(v);
		if (!s || (strcmp(s, "public") && strcmp(s, "private"))) {
			kueri_err_set(err, KUERI_ESCHEMA, -1,
			              "classification must be \"public\" or \"private\"");
			goto fail;
		}
		pkg->classification = strdup(s);
	}
	if ((v = json_object_get(pkg->json, "updateFrequency"))) {
		s = json_string_value(v);
		double span = 0;

		if (!s || !kvt_duration_ok(s, strlen(s))) {
			kueri_err_set(err, KUERI_ESCHEMA, -1,
			              "updateFrequency must be an ISO 8601 duration such "
			              "as P1D, P1W, P1M, P3M or P1Y");
			goto fail;
		}
		/* Range, not just shape: the catalog adds it to a date. */
		if (ku_duration_span(s, strlen(s), &span) != 0 || span < 1 ||
		    span > KV_MAX_UPDATE_YEARS * 31556952.0) {
			kueri_err_set(err, KUERI_ESCHEMA, -1,
			              "updateFrequency \"%s\" is out of range: from one"
			              " second to P%dY (KV_MAX_UPDATE_YEARS)", s,
			              KV_MAX_UPDATE_YEARS);
			goto fail;
		}
		pkg->update_frequency = strdup(s);
	}
	res = json_object_get(pkg->json, "resources");
	if (!json_is_array(res) || json_array_size(res) == 0) {
		kueri_err_set(err, KUERI_ESCHEMA, -1,
		              "resources must be a non-empty array");
		goto fail;
	}
	if (json_array_size(res) > KV_MAX_RESOURCES) {
		kueri_err_set(err, KUERI_ESCHEMA, -1, "%zu resources is over the"
		              " limit of %d resources per package (KV_MAX_RESOURCES)",
		              json_array_size(res), KV_MAX_RESOURCES);
		goto fail;
	}
	pkg->res = calloc(json_array_size(res), sizeof(*pkg->res));
	if (!pkg->res || !(names = json_object())) {
		kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
		goto fail;
	}
	for (i = 0; i < json_array_size(res); i++)
		pkg->res[i].fd = -1;
	json_array_foreach(res, i, v) {
		pkg->nres = (int)i + 1;
		if (load_resource(pkg, &pkg->res[i], v, (int)i, err) < 0)
			goto fail;
		/* A hash of the names so far: a scan per resource was
		 * quadratic. */
		if (json_object_get(names, pkg->res[i].name)) {
			kueri_err_set(err, KUERI_ESCHEMA, -1,
			              "resource name \"%s\" is used twice",
			              pkg->res[i].name);
			goto fail;
		}
		json_object_set_new(names, pkg->res[i].name, json_true());
	}
	json_decref(names);
	names = NULL;
	if (check_foreign_keys(pkg, err) < 0)
		goto fail;
	return pkg;
fail:
	json_decref(names);
	kv_package_free(pkg);
	return NULL;
}

int
kv_package_check_catalog(const kv_package *pkg, kueri_err *err)
{
	if (!pkg->publisher)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "package \"%s\" has no publisher (the owning "
		                     "work unit); it is required to publish",
		                     pkg->name);
	if (!pkg->classification)
		return kueri_err_set(err, KUERI_ESCHEMA, -1,
		                     "package \"%s\" has no classification "
		                     "(\"public\" or \"private\"); it is required to "
		                     "publish", pkg->name);
	return 0;
}

void
kv_package_free(kv_package *pkg)
{
	int i, j;

	if (!pkg)
		return;
	for (i = 0; i < pkg->nres; i++) {
		kv_resource *r = &pkg->res[i];

		free(r->name);
		free(r->title);
		free(r->path);
		if (r->fd >= 0)
			close(r->fd);
		for (j = 0; r->fields && j < r->nfields; j++) {
			free(r->fields[j].name);
			free(r->fields[j].title);
			free(r->fields[j].description);
		}
		free(r->fields);
		free(r->keys);
		free(r->indexes);
	}
	free(pkg->res);
	free(pkg->name);
	free(pkg->title);
	free(pkg->publisher);
	free(pkg->classification);
	free(pkg->update_frequency);
	free(pkg->dir);
	json_decref(pkg->json);
	free(pkg);
}
