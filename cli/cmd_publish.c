/*
 * cmd_publish.c -- `kueri publish`, `kueri unpublish`, `kueri catalog`:
 * thin mains over kv_publish, kv_unpublish and portal_catalog_json.
 * Exit status: 0 success (including "unchanged"), 1 the input was refused
 * (invalid, private, name clash, not found), 2 usage or unreadable input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "inventory.h"
#include "portal.h"
#include "publish.h"

static const char publish_usage[] =
	"usage: kueri publish --db PORTAL [--limit-errors N] PACKAGE.json\n"
	"\n"
	"Verify every resource of a Frictionless Data Package and publish it\n"
	"into the portal database PORTAL (created if missing) as the next\n"
	"version, all-or-nothing.  Nothing is published unless every resource\n"
	"is valid; the verification report (JSON) is printed on stdout then.\n"
	"A package classified \"private\" is refused, and a previously published\n"
	"version of it is removed (secure delete + vacuum).  Identical input\n"
	"already published is a no-op that says so.\n"
	"\n"
	"  --db PORTAL         the portal database file\n"
	"  --limit-errors N    report at most N errors (default 1000)\n"
	"  -h, --help          this help\n"
	"\n"
	"One line per resource on stderr: 'NAME: 1,000 rows, version 3, 0.2 s'.\n"
	"Exit status: 0 published or unchanged, 1 refused (invalid, private,\n"
	"entity-set name clash), 2 usage error or unreadable input.\n";

static const char unpublish_usage[] =
	"usage: kueri unpublish --db PORTAL NAME\n"
	"\n"
	"Remove package NAME and every byte of it from the portal (tables,\n"
	"search index, catalog rows; then vacuum and WAL truncation).\n"
	"\n"
	"  --db PORTAL   the portal database file\n"
	"  -h, --help    this help\n"
	"\n"
	"Exit status: 0 removed, 1 no such package, 2 usage or database error.\n";

static const char catalog_usage[] =
	"usage: kueri catalog --db PORTAL [--json]\n"
	"\n"
	"List every published package: name, publisher, version, rows,\n"
	"when published, when the next update is due (published + its\n"
	"updateFrequency) and OVERDUE when that time has passed.\n"
	"\n"
	"  --db PORTAL   the portal database file\n"
	"  --json        the catalog as a JSON array (what the service serves)\n"
	"  -h, --help    this help\n"
	"\n"
	"Exit status: 0 success, 2 usage or unreadable portal.\n";

/* Options shared by the three commands. */
typedef struct opts {
	const char *db;
	const char *arg;     /* the one positional argument */
	long long   limit;
	int         json;
} opts;

enum { OPT_LIMIT = 1, OPT_JSON = 2 };

/* Parse argv; 0 ok, 2 usage error (message printed). */
static int
parse(int argc, char **argv, int allowed, const char *usage, opts *o)
{
	const char *opt = NULL;
	int i, npos = 0;

	memset(o, 0, sizeof *o);
	o->limit = 1000;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		opt = a;

		if (strcmp(a, "--db") == 0 || strncmp(a, "--db=", 5) == 0) {
			val = a[4] == '=' ? a + 5 : (i + 1 < argc ? argv[++i] : NULL);
			if (val == NULL || *val == '\0')
				goto bad;
			o->db = val;
		} else if ((allowed & OPT_LIMIT) &&
		           (strcmp(a, "--limit-errors") == 0 ||
		            strncmp(a, "--limit-errors=", 15) == 0)) {
			char *end;

			val = a[14] == '=' ? a + 15 : (i + 1 < argc ? argv[++i] : NULL);
			if (val == NULL)
				goto bad;
			errno = 0;
			o->limit = strtoll(val, &end, 10);
			if (errno || *end || end == val || o->limit < 1)
				goto bad;
		} else if ((allowed & OPT_JSON) && strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++, npos++)
				o->arg = argv[i];
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "kueri %s: unknown option '%s'\n", argv[0], a);
			goto usage;
		} else {
			o->arg = a;
			npos++;
		}
	}
	if (o->db == NULL) {
		fprintf(stderr, "kueri %s: --db PORTAL is required\n", argv[0]);
		goto usage;
	}
	if ((allowed & OPT_JSON) ? npos != 0 : npos != 1) {
		fprintf(stderr, "kueri %s: wrong number of arguments\n", argv[0]);
		goto usage;
	}
	return 0;
bad:
	fprintf(stderr, "kueri %s: missing or bad value for '%s'\n", argv[0], opt);
usage:
	fputs(usage, stderr);
	return 2;
}

int
cmd_publish(int argc, char **argv)
{
	kueri_err err;
	kv_opts ko;
	json_t *report = NULL;
	opts o;
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(publish_usage, stdout);
		return 0;
	}
	if (parse(argc, argv, OPT_LIMIT, publish_usage, &o))
		return 2;
	kueri_err_clear(&err);
	ko.limit_errors = o.limit;
	ko.progress = isatty(STDERR_FILENO);
	ko.note = cli_note;
	ko.note_ctx = stderr;
	/* The inventory link (inventory/store.c): refuse a package that
	 * contradicts its entry; record the delivery after. */
	if ((rc = ki_publish_check(o.db, o.arg, &(kueri_sink){
	        kueri_sink_file, stderr }, &err)) != 0) {
		fprintf(stderr, "kueri publish: %s\n", err.msg);
		return rc == 1 ? 1 : 2;
	}
	rc = kv_publish(o.db, o.arg, &ko, &report, &err);
	if ((rc == 0 || rc == 2) && ki_publish_record(o.db, o.arg, rc == 2,
	                                              &err))
		fprintf(stderr, "kueri publish: warning: history not recorded:"
		        " %s\n", err.msg);
	if (report && rc == 1) {
		json_dumpf(report, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	json_decref(report);
	switch (rc) {
	case 0:
	case 2: /* unchanged: the summary already said so */
		return 0;
	case 1:
		fprintf(stderr, "kueri publish: %s\n", err.msg);
		return 1;
	default:
		fprintf(stderr, "kueri publish: %s\n",
		        err.msg[0] ? err.msg : kueri_strerror(err.code));
		return 2;
	}
}

int
cmd_unpublish(int argc, char **argv)
{
	kueri_err err;
	kv_opts ko = { 1000, 0, cli_note, NULL };
	opts o;
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(unpublish_usage, stdout);
		return 0;
	}
	if (parse(argc, argv, 0, unpublish_usage, &o))
		return 2;
	kueri_err_clear(&err);
	ko.note_ctx = stderr;
	rc = kv_unpublish(o.db, o.arg, &ko, &err);
	if (rc == 0) {
		fprintf(stderr, "%s: removed\n", o.arg);
		return 0;
	}
	if (rc == 1) {
		fprintf(stderr, "kueri unpublish: no published package '%s'\n",
		        o.arg);
		return 1;
	}
	fprintf(stderr, "kueri unpublish: %s\n", err.msg);
	return 2;
}

/* "2024-02-29T10:00:00Z" → "2024-02-29 10:00" */
static const char *
short_time(json_t *v, char *buf, size_t len)
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) < 16)
		return "-";
	snprintf(buf, len, "%.10s %.5s", s, s + 11);
	return buf;
}

static void
catalog_text(json_t *cat)
{
	size_t i, j, w = 4, wp = 9;
	json_t *pkg, *r;

	json_array_foreach(cat, i, pkg) {
		const char *n = json_string_value(json_object_get(pkg, "name"));
		const char *p = json_string_value(json_object_get(pkg, "publisher"));

		if (n && strlen(n) > w)
			w = strlen(n);
		if (p && strlen(p) > wp)
			wp = strlen(p);
	}
	if (wp > 40)
		wp = 40;
	printf("%-*s  %-*s  %7s  %12s  %-16s  %-16s\n", (int)w, "NAME", (int)wp,
	       "PUBLISHER", "VERSION", "ROWS", "PUBLISHED (UTC)", "NEXT DUE");
	json_array_foreach(cat, i, pkg) {
		long long rows = 0;
		char b1[32], b2[32];

		json_array_foreach(json_object_get(pkg, "resources"), j, r)
			rows += json_integer_value(json_object_get(r, "rows"));
		printf("%-*s  %-*.*s  %7lld  %12lld  %-16s  %-16s%s\n", (int)w,
		       json_string_value(json_object_get(pkg, "name")), (int)wp,
		       (int)wp,
		       json_string_value(json_object_get(pkg, "publisher")),
		       (long long)json_integer_value(json_object_get(pkg,
		               "version")), rows,
		       short_time(json_object_get(pkg, "published_at"), b1,
		                  sizeof b1),
		       short_time(json_object_get(pkg, "nextUpdateDue"), b2,
		                  sizeof b2),
		       json_is_true(json_object_get(pkg, "overdue"))
		               ? "  OVERDUE" : "");
	}
	if (json_array_size(cat) == 0)
		printf("(no published packages)\n");
}

int
cmd_catalog(int argc, char **argv)
{
	kueri_err err;
	kportal *p;
	json_t *cat;
	opts o;

	if (cli_wants_help(argc, argv)) {
		fputs(catalog_usage, stdout);
		return 0;
	}
	if (parse(argc, argv, OPT_JSON, catalog_usage, &o))
		return 2;
	kueri_err_clear(&err);
	p = portal_open_ro(o.db, &err);
	if (p == NULL) {
		fprintf(stderr, "kueri catalog: %s\n", err.msg);
		return 2;
	}
	cat = portal_catalog_json(p, NULL, (long long)time(NULL), &err);
	portal_close(p);
	if (cat == NULL) {
		fprintf(stderr, "kueri catalog: %s\n", err.msg);
		return 2;
	}
	if (o.json) {
		json_dumpf(cat, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		catalog_text(cat);
	}
	json_decref(cat);
	return 0;
}
