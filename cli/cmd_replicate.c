/*
 * cmd_replicate.c -- `kueri snapshot` (publisher) and `kueri replicate`
 * (replica): thin mains over replica/ (see include/replica.h and
 * docs/scaling.md).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "replica.h"

static const char snapshot_usage[] =
	"usage: kueri snapshot --db PORTAL --dir DIR [--grace S]\n"
	"\n"
	"Write a consistent copy of the portal to DIR/portal.db (VACUUM INTO,\n"
	"rollback-journal mode) and its manifest to DIR/manifest.json (portal\n"
	"version, sha256, size, time), each replaced by rename.  Run it after\n"
	"every publish and unpublish; replicas fetch DIR with `kueri replicate`.\n"
	"The previous snapshot file is overwritten with zeros after the grace.\n"
	"\n"
	"  --db PORTAL   the publisher's portal database\n"
	"  --dir DIR     the snapshot directory (created if missing)\n"
	"  --grace S     seconds a reader (rsync) may still read the replaced\n"
	"                snapshot before it is zeroed (default 5)\n"
	"  -h, --help    this help\n"
	"\n"
	"Prints the manifest on stdout.  Exit status: 0 written, 2 usage or\n"
	"database/file error.\n";

static const char replicate_usage[] =
	"usage: kueri replicate --from SOURCE --dir DIR [--every S] [--grace S]\n"
	"                       [--timeout S] [--rsync PROGRAM] [--quiet]\n"
	"\n"
	"Bring the replica directory DIR up to the publisher's snapshot:\n"
	"fetch SOURCE/manifest.json; if it names another file than the live\n"
	"DIR/portal.db, fetch SOURCE/portal.db with rsync's delta transfer (the\n"
	"live file is the basis), verify its size, sha256 and portal version\n"
	"against the manifest, rename it over DIR/portal.db (`kueri serve\n"
	"--db DIR/portal.db` reopens it between requests) and overwrite the\n"
	"replaced file with zeros after the grace.  A file that fails a check\n"
	"is discarded; the replica keeps serving what it served.\n"
	"\n"
	"  --from SOURCE    rsync://HOST/MODULE, HOST::MODULE or a directory\n"
	"  --dir DIR        the replica directory (must exist)\n"
	"  --every S        poll every S seconds until SIGTERM (default: once)\n"
	"  --grace S        seconds answers in flight may still read the\n"
	"                   replaced file before it is zeroed (default 5)\n"
	"  --timeout S      rsync I/O timeout (default 30)\n"
	"  --rsync PROGRAM  the rsync program (default rsync, from PATH)\n"
	"  --quiet          no line per swap on stderr\n"
	"  -h, --help       this help\n"
	"\n"
	"Exit status (once): 0 swapped or already current, 1 the snapshot was\n"
	"refused (manifest, size, sha256 or version mismatch, not a portal),\n"
	"2 usage error or the fetch failed.  With --every, errors are reported\n"
	"and retried.\n";

/* A whole number in [lo, hi], or -1. */
static long long
num(const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	return v;
}

static int
bad_usage(const char *cmd, const char *why, const char *o)
{
	fprintf(stderr, "kueri %s: %s '%s'\nusage: kueri %s ... (see kueri %s"
	        " --help)\n", cmd, why, o, cmd, cmd);
	return 2;
}

int
cmd_snapshot(int argc, char **argv)
{
	const char *db = NULL, *dir = NULL;
	long long grace = 5;
	kr_manifest m;
	kueri_err err;
	int i;

	if (cli_wants_help(argc, argv)) {
		fputs(snapshot_usage, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--db") && strcmp(o, "--dir") && strcmp(o, "--grace"))
			return bad_usage("snapshot", "unknown option", o);
		if (v == NULL)
			return bad_usage("snapshot", "a value is needed after", o);
		i++;
		if (strcmp(o, "--db") == 0)
			db = v;
		else if (strcmp(o, "--dir") == 0)
			dir = v;
		else if ((grace = num(v, 0, 3600)) < 0)
			return bad_usage("snapshot", "--grace wants 0..3600 seconds,"
			                 " not", v);
	}
	if (db == NULL || dir == NULL) {
		fprintf(stderr, "kueri snapshot: --db and --dir are required\n"
		        "usage: kueri snapshot --db PORTAL --dir DIR\n");
		return 2;
	}
	kueri_err_clear(&err);
	if (kr_snapshot(db, dir, (int)grace, &m, &err) != 0) {
		fprintf(stderr, "kueri snapshot: %s\n", err.msg);
		return 2;
	}
	printf("{\"format\":\"%s\",\"file\":\"%s\",\"version\":\"%s\","
	       "\"sha256\":\"%s\",\"size\":%lld,\"created\":%lld,\"sets\":%d}\n",
	       KR_FORMAT, KR_DB_NAME, m.version, m.sha256, m.size, m.created,
	       m.sets);
	return 0;
}

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int
cmd_replicate(int argc, char **argv)
{
	static const char *const names[] = { "--from", "--dir", "--every",
		"--grace", "--timeout", "--rsync" };
	kr_opts o = { NULL, NULL, NULL, 5, 30, 0 };
	long long every = 0;
	kueri_err err;
	int i, rc;

	if (cli_wants_help(argc, argv)) {
		fputs(replicate_usage, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		size_t k;

		if (strcmp(opt, "--quiet") == 0) {
			o.quiet = 1;
			continue;
		}
		for (k = 0; k < sizeof names / sizeof names[0]; k++)
			if (strcmp(opt, names[k]) == 0)
				break;
		if (k == sizeof names / sizeof names[0])
			return bad_usage("replicate", "unknown option", opt);
		if (v == NULL)
			return bad_usage("replicate", "a value is needed after", opt);
		i++;
		if (strcmp(opt, "--from") == 0)
			o.from = v;
		else if (strcmp(opt, "--dir") == 0)
			o.dir = v;
		else if (strcmp(opt, "--rsync") == 0)
			o.rsync = v;
		else if (strcmp(opt, "--every") == 0) {
			if ((every = num(v, 1, 86400)) < 0)
				return bad_usage("replicate", "--every wants 1..86400"
				                 " seconds, not", v);
		} else if (strcmp(opt, "--grace") == 0) {
			if ((o.grace_s = (int)num(v, 0, 3600)) < 0)
				return bad_usage("replicate", "--grace wants 0..3600"
				                 " seconds, not", v);
		} else if ((o.timeout_s = (int)num(v, 1, 3600)) < 0)
			return bad_usage("replicate", "--timeout wants 1..3600"
			                 " seconds, not", v);
	}
	if (o.from == NULL || o.dir == NULL) {
		fprintf(stderr, "kueri replicate: --from and --dir are required\n"
		        "usage: kueri replicate --from SOURCE --dir DIR\n");
		return 2;
	}
	/* A source that looks like an option would reach rsync as one. */
	if (o.from[0] == '-')
		return bad_usage("replicate", "--from must not start with '-':",
		                 o.from);
	if (every == 0) {
		kueri_err_clear(&err);
		rc = kr_replicate_once(&o, NULL, &err);
		if (rc < 0) {
			fprintf(stderr, "kueri replicate: %s\n", err.msg);
			/* EDB: the fetched file does not open as a portal. */
			return err.code == KUERI_EINVALID ||
			       err.code == KUERI_ELIMIT ||
			       err.code == KUERI_EDB ? 1 : 2;
		}
		if (!o.quiet && rc == 0)
			fprintf(stderr, "replicate: %s is current\n", o.dir);
		return 0;
	}
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_stop;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	while (!stop_flag) {
		struct timespec ts = { (time_t)every, 0 };

		kueri_err_clear(&err);
		if (kr_replicate_once(&o, NULL, &err) < 0)
			fprintf(stderr, "kueri replicate: %s (retrying in %llds)\n",
			        err.msg, every);
		/* A signal cuts the sleep short (no SA_RESTART). */
		if (!stop_flag)
			nanosleep(&ts, NULL);
	}
	return 0;
}
