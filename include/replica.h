/*
 * replica.h -- read replicas of a portal (docs/scaling.md).
 *
 * The publisher turns its live portal into a *snapshot*: one consistent,
 * self-contained SQLite file (VACUUM INTO, rollback-journal mode, so a
 * read-only reader needs no -wal/-shm) plus a *manifest* naming its portal
 * version (portal_version_token, what /health reports), sha256, size and
 * time.  A replica fetches both with rsync's delta transfer (the live file
 * is the basis), verifies the bytes against the manifest and the portal
 * version against the file, then swaps the file in with one rename(2):
 * `kueri serve` sees a new inode between requests, never mid-answer.  The
 * replaced file is overwritten with zeros once readers had their grace
 * period (a withdrawn dataset must not linger on disk).
 *
 * Layout of a snapshot directory (publisher) and of a replica directory:
 *   DIR/portal.db       the snapshot / the live portal the replica serves
 *   DIR/manifest.json   its manifest
 *   DIR/.incoming/      (replica only) rsync's landing place, same file
 *                       system as DIR so the swap is a rename
 */
#ifndef KUERI_REPLICA_H
#define KUERI_REPLICA_H

#include "kueri.h"

#define KR_DB_NAME       "portal.db"
#define KR_MANIFEST_NAME "manifest.json"
#define KR_FORMAT        "kueri-snapshot/1"
#define KR_MANIFEST_MAX  (64 * 1024)   /* a manifest is ~300 bytes      */

typedef struct kr_manifest {
	char      version[40];  /* portal_version_token of the snapshot   */
	char      sha256[65];   /* lowercase hex of the file's bytes      */
	long long size;         /* bytes                                  */
	long long created;      /* unix seconds (UTC)                     */
	int       sets;         /* entity sets in the snapshot            */
} kr_manifest;

/*
 * Snapshot the portal `db` into directory `dir` (created if missing):
 * write DIR/portal.db and DIR/manifest.json, each via a temporary file
 * and rename, so a reader of DIR sees the old pair or the new one.  The
 * previous snapshot file is overwritten with zeros after `grace_s`
 * seconds (rsync may still be reading it).  Fills `out` (may be NULL).
 * Returns 0, or -1 with `err` set.
 */
int kr_snapshot(const char *db, const char *dir, int grace_s,
                kr_manifest *out, kueri_err *err);

/* sha256 (hex) and size of a file.  0 or -1 with `err` set. */
int kr_file_sha256(const char *path, char out[65], long long *size,
                   kueri_err *err);

/* Manifest JSON ⇄ struct.  Reading checks every field's shape (hex
 * lengths, ranges) and names the first bad one.  0 or -1 with `err`. */
int kr_manifest_read(const char *path, kr_manifest *m, kueri_err *err);
int kr_manifest_write(const char *path, const kr_manifest *m,
                      kueri_err *err);

/*
 * Put the complete file `newpath` in place of `livepath` with one
 * rename(2) (same directory tree, same file system), after fsync; the
 * directory is fsynced too.  If `livepath` existed, *old_fd is an open
 * read-write descriptor on the replaced file (for kr_retire), else -1.
 * Returns 0, or -1 with `err` set (nothing replaced).
 */
int kr_swap(const char *newpath, const char *livepath, int *old_fd,
            kueri_err *err);

/*
 * Securely retire a replaced file: wait `grace_s` seconds (readers that
 * still hold it finish their answer; `kueri serve` reopens by name at its
 * next request), overwrite every byte with zeros (size kept: a stale
 * reader gets SQLITE_NOTADB, not an empty portal), fdatasync, close.
 * fd < 0 is a no-op.  Returns 0 or -1 (I/O error; fd is closed anyway).
 * On copy-on-write or flash storage an overwrite is not a guarantee the
 * old blocks are gone: see docs/scaling.md.
 */
int kr_retire(int fd, int grace_s);

typedef struct kr_opts {
	const char *from;    /* rsync source prefix: "rsync://host/module",
	                        "host::module" or a local directory        */
	const char *dir;     /* the replica directory                      */
	const char *rsync;   /* the rsync program (default "rsync")        */
	int         grace_s; /* kr_retire grace                            */
	int         timeout_s; /* rsync --timeout (I/O stall)              */
	int         quiet;   /* no progress line on stderr                 */
} kr_opts;

/*
 * One round on a replica: fetch the manifest; if it names the live file
 * already, stop; else fetch the snapshot (delta against the live file),
 * verify size, sha256 and portal version, swap it in, retire the old
 * file.  Returns 1 swapped, 0 already current, -1 with `err` set (the
 * live file untouched).  `live` (may be NULL) receives the manifest now
 * live.
 */
int kr_replicate_once(const kr_opts *o, kr_manifest *live, kueri_err *err);

#endif /* KUERI_REPLICA_H */
