/*
 * snapshot.c -- the publisher's side of replication: a consistent copy of
 * the live portal (VACUUM INTO, inside one read transaction of its own),
 * switched to rollback-journal mode so replicas can open it read-only
 * without -wal/-shm files, plus the manifest that names it.
 *
 * The manifest (KR_FORMAT):
 *   {"format":"kueri-snapshot/1","file":"portal.db","version":"<16 hex>",
 *    "sha256":"<64 hex>","size":N,"created":UNIX,"sets":N}
 * "version" is portal_version_token() of the snapshot, the same token
 * /health answers, so a front or an operator can tell which replica
 * serves which portal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "portal.h"
#include "portal_write.h"
#include "publish.h"
#include "replica.h"

int
kr_file_sha256(const char *path, char out[65], long long *size,
               kueri_err *err)
{
	ksha256 c;
	static unsigned char buf[1 << 16];
	long long n = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		goto ioerr;
	ksha256_init(&c);
	while ((r = read(fd, buf, sizeof buf)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			goto ioerr;
		}
		ksha256_update(&c, buf, (size_t)r);
		n += r;
	}
	close(fd);
	ksha256_hex(&c, out);
	if (size)
		*size = n;
	return 0;
ioerr:
	kueri_err_set(err, KUERI_EIO, -1, "%s: %s", path, strerror(errno));
	kueri_err_target(err, path);
	return -1;
}

/* ---- manifest ------------------------------------------------------- */

static int
is_hex(const char *s, size_t n)
{
	size_t i;

	if (s == NULL || strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
bad_field(kueri_err *err, const char *path, const char *field,
          const char *want)
{
	kueri_err_set(err, KUERI_EINVALID, -1,
	              "%s: manifest field \"%s\" must be %s", path, field, want);
	kueri_err_target(err, path);
	return -1;
}

int
kr_manifest_read(const char *path, kr_manifest *m, kueri_err *err)
{
	json_error_t je;
	json_t *j, *v;
	const char *s;
	struct stat sb;
	int rc = -1;

	memset(m, 0, sizeof *m);
	if (stat(path, &sb) != 0) {
		kueri_err_set(err, KUERI_EIO, -1, "%s: %s", path, strerror(errno));
		kueri_err_target(err, path);
		return -1;
	}
	if (sb.st_size > KR_MANIFEST_MAX) {
		kueri_err_set(err, KUERI_ELIMIT, -1,
		              "%s: manifest larger than %d bytes", path,
		              KR_MANIFEST_MAX);
		kueri_err_target(err, path);
		return -1;
	}
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		kueri_err_set(err, KUERI_EINVALID, je.position,
		              "%s: line %d: %s", path, je.line, je.text);
		kueri_err_target(err, path);
		return -1;
	}
	if (!json_is_object(j)) {
		bad_field(err, path, "(top)", "a JSON object");
		goto out;
	}
	s = json_string_value(json_object_get(j, "format"));
	if (s == NULL || strcmp(s, KR_FORMAT) != 0) {
		bad_field(err, path, "format", "\"" KR_FORMAT "\"");
		goto out;
	}
	s = json_string_value(json_object_get(j, "file"));
	if (s == NULL || strcmp(s, KR_DB_NAME) != 0) {
		bad_field(err, path, "file", "\"" KR_DB_NAME "\"");
		goto out;
	}
	s = json_string_value(json_object_get(j, "version"));
	if (!is_hex(s, 16)) {
		bad_field(err, path, "version", "16 lowercase hex digits");
		goto out;
	}
	memcpy(m->version, s, 17);
	s = json_string_value(json_object_get(j, "sha256"));
	if (!is_hex(s, 64)) {
		bad_field(err, path, "sha256", "64 lowercase hex digits");
		goto out;
	}
	memcpy(m->sha256, s, 65);
	v = json_object_get(j, "size");
	if (!json_is_integer(v) || json_integer_value(v) < 512) {
		bad_field(err, path, "size", "an integer >= 512");
		goto out;
	}
	m->size = json_integer_value(v);
	v = json_object_get(j, "created");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		bad_field(err, path, "created", "unix seconds");
		goto out;
	}
	m->created = json_integer_value(v);
	v = json_object_get(j, "sets");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 1000000) {
		bad_field(err, path, "sets", "an integer in 0..1000000");
		goto out;
	}
	m->sets = (int)json_integer_value(v);
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* Write `data` to `path` via "path.tmp" + fsync + rename. */
static int
write_atomic(const char *path, const char *data, size_t n, kueri_err *err)
{
	char tmp[4096];
	int fd;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		kueri_err_set(err, KUERI_EIO, -1, "%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	          0644);
	if (fd < 0)
		goto ioerr;
	if (write(fd, data, n) != (ssize_t)n || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		goto ioerr;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		goto ioerr;
	}
	return 0;
ioerr:
	kueri_err_set(err, KUERI_EIO, -1, "%s: %s", path, strerror(errno));
	kueri_err_target(err, path);
	return -1;
}

int
kr_manifest_write(const char *path, const kr_manifest *m, kueri_err *err)
{
	json_t *j;
	char *s;
	int rc;

	j = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:i}", "format", KR_FORMAT,
	              "file", KR_DB_NAME, "version", m->version,
	              "sha256", m->sha256, "size", (json_int_t)m->size,
	              "created", (json_int_t)m->created, "sets", m->sets);
	s = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (s == NULL)
		return kueri_err_set(err, KUERI_ENOMEM, -1, "out of memory");
	rc = write_atomic(path, s, strlen(s), err);
	free(s);
	return rc;
}

/* ---- snapshot ------------------------------------------------------- */

/* VACUUM INTO `tmp` from the portal at `db`, then rollback-journal mode. */
static int
vacuum_into(const char *db, const char *tmp, kueri_err *err)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_open_v2(db, &src, SQLITE_OPEN_READONLY |
	                    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK)
		goto dberr_src;
	sqlite3_busy_timeout(src, 10000);
	if (sqlite3_prepare_v2(src, "VACUUM INTO ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		goto dberr_src;
	sqlite3_bind_text(st, 1, tmp, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dberr_src;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE |
	                    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK ||
	    sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL,
	                 NULL) != SQLITE_OK) {
		kueri_err_set(err, KUERI_EDB, -1, "%s: %s", tmp,
		              dst ? sqlite3_errmsg(dst) : "cannot open");
		goto out;
	}
	rc = 0;
	goto out;
dberr_src:
	kueri_err_set(err, KUERI_EDB, -1, "%s: %s", db,
	              src ? sqlite3_errmsg(src) : "cannot open");
	kueri_err_target(err, db);
out:
	sqlite3_finalize(st);
	sqlite3_close_v2(src);
	sqlite3_close_v2(dst);
	return rc;
}

int
kr_snapshot(const char *db, const char *dir, int grace_s, kr_manifest *out,
            kueri_err *err)
{
	char tmp[4096], live[4096], man[4096];
	kr_manifest m;
	kportal *p;
	int old_fd = -1;

	memset(&m, 0, sizeof m);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		kueri_err_set(err, KUERI_EIO, -1, "%s: %s", dir, strerror(errno));
		kueri_err_target(err, dir);
		return -1;
	}
	if (snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", dir, KR_DB_NAME,
	             (long)getpid()) >= (int)sizeof tmp ||
	    snprintf(live, sizeof live, "%s/%s", dir, KR_DB_NAME) >=
	        (int)sizeof live ||
	    snprintf(man, sizeof man, "%s/%s", dir, KR_MANIFEST_NAME) >=
	        (int)sizeof man)
		return kueri_err_set(err, KUERI_EUSAGE, -1, "%s: path too long",
		                     dir);
	unlink(tmp);   /* a crashed earlier run's leftover */
	if (vacuum_into(db, tmp, err) != 0)
		goto fail;
	/* A publish between its pieces has committed tables no catalog row
	 * names yet (portal/writer.c): no replica would read them, but they
	 * must not travel either. */
	if (kp_sweep_copy(tmp, NULL, err) != 0)
		goto fail;
	/* The version the replicas will report comes from the copy itself. */
	p = portal_open_ro(tmp, err);
	if (p == NULL)
		goto fail;
	portal_version_token(p, m.version, sizeof m.version);
	m.sets = portal_nsets(p);
	portal_close(p);
	if (kr_file_sha256(tmp, m.sha256, &m.size, err) != 0)
		goto fail;
	m.created = (long long)time(NULL);
	/* File first, manifest second: a replica that fetches in between
	 * sees a sha256 mismatch, refuses, and fetches again next round. */
	if (kr_swap(tmp, live, &old_fd, err) != 0)
		goto fail;
	if (kr_manifest_write(man, &m, err) != 0) {
		kr_retire(old_fd, grace_s);
		return -1;
	}
	if (out)
		*out = m;
	kr_retire(old_fd, grace_s);
	return 0;
fail:
	unlink(tmp);
	return -1;
}
