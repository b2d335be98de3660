/*
 * fetch.c -- the replica's side: one round of "is there a newer snapshot?
 * fetch it, verify it, swap it in".
 *
 * The transfer is rsync's: --copy-dest points at the replica directory,
 * so the live portal.db is the basis of rsync's delta transfer (a publish
 * that changed one package moves roughly that package's pages, not the
 * whole portal), and the result lands in DIR/.incoming/, on the same file
 * system, ready for one rename.  rsync is run without a shell, with an
 * argument vector we build; the source is the operator's --from.
 *
 * What is checked before the live file is touched: the manifest's shape,
 * the fetched file's size and sha256 against the manifest, that the file
 * opens as a portal (portal_open_ro loads every set's schema) and that its
 * portal version equals the manifest's.  Any failure leaves the replica
 * serving what it served, and the half-fetched file is zeroed and removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "portal.h"
#include "replica.h"

extern char **environ;

/* Zero and remove a leftover file (it may hold a withdrawn dataset). */
static void
discard(const char *path)
{
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		kr_retire(fd, 0);
	unlink(path);
}

static int
is_remote(const char *from)
{
	return strncmp(from, "rsync://", 8) == 0 || strstr(from, "::") != NULL;
}

/* rsync FROM/NAME DEST/ [--copy-dest=BASIS]: 0 or -1 with err set. */
static int
run_rsync(const kr_opts *o, const char *name, const char *dest,
          const char *basis, kueri_err *err)
{
	char src[PATH_MAX + 64], tmo[32], cd[PATH_MAX + 16];
	char *argv[16];
	int n = 0, status;
	pid_t pid;

	snprintf(src, sizeof src, "%s/%s", o->from, name);
	snprintf(tmo, sizeof tmo, "--timeout=%d",
	         o->timeout_s > 0 ? o->timeout_s : 30);
	argv[n++] = (char *)(o->rsync ? o->rsync : "rsync");
	argv[n++] = (char *)"--quiet";
	argv[n++] = (char *)"--no-whole-file";  /* delta even for local copies */
	argv[n++] = (char *)"--ignore-times";   /* the manifest said: changed  */
	argv[n++] = (char *)"--no-motd";
	argv[n++] = tmo;
	if (is_remote(o->from))
		argv[n++] = (char *)"--contimeout=10";
	if (basis) {
		snprintf(cd, sizeof cd, "--copy-dest=%s", basis);
		argv[n++] = cd;
	}
	argv[n++] = (char *)"--";
	argv[n++] = src;
	argv[n++] = (char *)dest;
	argv[n] = NULL;
	if ((errno = posix_spawnp(&pid, argv[0], NULL, NULL, argv,
	                          environ)) != 0)
		return kueri_err_set(err, KUERI_EIO, -1, "cannot run %s: %s",
		                     argv[0], strerror(errno));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return kueri_err_set(err, KUERI_EIO, -1, "waitpid: %s",
			                     strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return kueri_err_set(err, KUERI_EIO, -1,
		                     "%s: rsync failed (%s %d)", src,
		                     WIFEXITED(status) ? "exit status" : "signal",
		                     WIFEXITED(status) ? WEXITSTATUS(status)
		                                       : WTERMSIG(status));
	return 0;
}

int
kr_replicate_once(const kr_opts *o, kr_manifest *live, kueri_err *err)
{
	char dir[PATH_MAX], inc[PATH_MAX + 16], inc_db[PATH_MAX + 32],
	     inc_man[PATH_MAX + 32], live_db[PATH_MAX + 16],
	     live_man[PATH_MAX + 32], sha[65], tok[40];
	kr_manifest m, lm;
	long long size;
	kportal *p;
	int old_fd, have_live;

	if (realpath(o->dir, dir) == NULL) {
		kueri_err_set(err, KUERI_EIO, -1, "%s: %s", o->dir,
		              strerror(errno));
		kueri_err_target(err, o->dir);
		return -1;
	}
	snprintf(inc, sizeof inc, "%s/.incoming", dir);
	snprintf(inc_db, sizeof inc_db, "%s/%s", inc, KR_DB_NAME);
	snprintf(inc_man, sizeof inc_man, "%s/%s", inc, KR_MANIFEST_NAME);
	snprintf(live_db, sizeof live_db, "%s/%s", dir, KR_DB_NAME);
	snprintf(live_man, sizeof live_man, "%s/%s", dir, KR_MANIFEST_NAME);
	if (mkdir(inc, 0700) != 0 && errno != EEXIST) {
		kueri_err_set(err, KUERI_EIO, -1, "%s: %s", inc, strerror(errno));
		return -1;
	}

	unlink(inc_man);
	if (run_rsync(o, KR_MANIFEST_NAME, inc, NULL, err) != 0 ||
	    kr_manifest_read(inc_man, &m, err) != 0) {
		unlink(inc_man);
		return -1;
	}
	have_live = access(live_db, F_OK) == 0 &&
	            kr_manifest_read(live_man, &lm, NULL) == 0;
	if (have_live && strcmp(lm.sha256, m.sha256) == 0) {
		unlink(inc_man);
		if (live)
			*live = lm;
		return 0;
	}

	discard(inc_db);
	if (run_rsync(o, KR_DB_NAME, inc, dir, err) != 0)
		goto refuse;
	if (kr_file_sha256(inc_db, sha, &size, err) != 0)
		goto refuse;
	if (size != m.size || strcmp(sha, m.sha256) != 0) {
		kueri_err_set(err, KUERI_EINVALID, -1,
		              "%s/%s: %lld bytes, sha256 %.12s..., but the manifest"
		              " says %lld bytes, sha256 %.12s... (replaced while"
		              " fetching?); the replica keeps its current file",
		              o->from, KR_DB_NAME, size, sha, m.size, m.sha256);
		goto refuse;
	}
	if ((p = portal_open_ro(inc_db, err)) == NULL)
		goto refuse;
	portal_version_token(p, tok, sizeof tok);
	portal_close(p);
	if (strcmp(tok, m.version) != 0) {
		kueri_err_set(err, KUERI_EINVALID, -1,
		              "%s/%s: portal version %s, but the manifest says %s;"
		              " the replica keeps its current file", o->from,
		              KR_DB_NAME, tok, m.version);
		goto refuse;
	}
	if (kr_swap(inc_db, live_db, &old_fd, err) != 0)
		goto refuse;
	if (kr_manifest_write(live_man, &m, err) != 0) {
		kr_retire(old_fd, o->grace_s);
		return -1;
	}
	unlink(inc_man);
	if (!o->quiet)
		fprintf(stderr, "replicate: version %s (%lld bytes, sha256"
		        " %.12s...) is live in %s\n", m.version, m.size, m.sha256,
		        dir);
	if (live)
		*live = m;
	if (kr_retire(old_fd, o->grace_s) != 0 && !o->quiet)
		fprintf(stderr, "replicate: warning: could not overwrite the"
		        " replaced file\n");
	return 1;
refuse:
	discard(inc_db);
	unlink(inc_man);
	return -1;
}
