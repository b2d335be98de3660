/*
 * cmd_inventory.c -- `kueri inventory ACTION`: a thin main over
 * inventory/ (include/inventory.h).  Exit status: 0 success, 1 the
 * inventory file was refused, 2 usage or unreadable input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inventory.h"

static const char usage_text[] =
	"usage: kueri inventory import   --db PORTAL [--due-window DAYS] [--today D] PACKAGE.json\n"
	"       kueri inventory list     --db PORTAL [--publisher U] [--status S] [--json|--csv] [--today D]\n"
	"       kueri inventory report   --db PORTAL [--json|--csv] [--today D] [--due-window DAYS]\n"
	"       kueri inventory schedule --db PORTAL [--csv] [--today D]\n"
	"       kueri inventory plan     --db PORTAL --year YYYY [--csv]\n"
	"       kueri inventory record   --db PORTAL --date D [--by UNIT] [--today D] NAME\n"
	"       kueri inventory history  --db PORTAL [NAME]\n"
	"       kueri inventory schema\n"
	"\n"
	"The data inventory (daftar data): every dataset each work unit must\n"
	"deliver, its classification, first delivery date and update frequency.\n"
	"\n"
	"  import    verify the inventory package (a datapackage.json whose one\n"
	"            resource follows 'kueri inventory schema') and replace the\n"
	"            inventory with it as a new version; any bad row refuses the\n"
	"            whole file, with a row/field report on stderr\n"
	"  list      the entries with their status on --today (default: today)\n"
	"  report    per unit (rapor): entries by status, deadlines met in the\n"
	"            last year, what is overdue or stale and how many days late\n"
	"  schedule  the public release calendar, as /catalog/schedule serves it\n"
	"  plan      the action plan of a year: every deadline per unit and month\n"
	"  record    record a delivery made outside 'kueri publish' (history)\n"
	"  history   publishes, deliveries, entry and status changes\n"
	"  schema    print the inventory's Table Schema\n"
	"\n"
	"Statuses: planned, due (a deadline within the due window), overdue,\n"
	"published, stale (a later update missed), withdrawn.\n"
	"  --due-window DAYS  0..366; import stores it (default 14)\n"
	"  --today D          yyyy-mm-dd: compute statuses as of that day\n"
	"Exit status: 0 success, 1 refused, 2 usage error or unreadable input.\n";

typedef struct iopts {
	const char *db, *publisher, *status, *date, *by, *arg;
	long long   window, year;
	ki_day      today;
	ki_format   f;
	int         npos;
} iopts;

static int bad(const char *act, const char *fmt, const char *a)
	__attribute__((format(printf, 2, 0)));

static int
bad(const char *act, const char *fmt, const char *a)
{
	fprintf(stderr, "kueri inventory %s: ", act);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(stderr, fmt, a);
#pragma GCC diagnostic pop
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	return 2;
}

static int
int_arg(const char *s, long long lo, long long hi, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || end == s || *end || *out < lo || *out > hi ? -1 : 0;
}

/* Options allowed per action, as letters: d db, p publisher, s status,
 * f json/csv, t today, w window, y year, D date, b by. */
static int
parse(int argc, char **argv, const char *allowed, iopts *o)
{
	const char *act = argv[0];
	int i;

	memset(o, 0, sizeof *o);
	o->window = -1;
	o->today = ki_day_today();
	o->f = KI_TEXT;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char *why;
		char c = 0;

		if (strcmp(a, "--db") == 0) c = 'd';
		else if (strcmp(a, "--publisher") == 0) c = 'p';
		else if (strcmp(a, "--status") == 0) c = 's';
		else if (strcmp(a, "--json") == 0 || strcmp(a, "--csv") == 0) c = 'f';
		else if (strcmp(a, "--today") == 0) c = 't';
		else if (strcmp(a, "--due-window") == 0) c = 'w';
		else if (strcmp(a, "--year") == 0) c = 'y';
		else if (strcmp(a, "--date") == 0) c = 'D';
		else if (strcmp(a, "--by") == 0) c = 'b';
		else if (a[0] == '-' && a[1] != '\0')
			return bad(act, "unknown option '%s'", a);
		if (c == 0) {
			o->arg = a;
			o->npos++;
			continue;
		}
		if (strchr(allowed, c) == NULL)
			return bad(act, "unknown option '%s'", a);
		if (c == 'f') {
			o->f = a[2] == 'j' ? KI_JSON : KI_CSV;
			continue;
		}
		if (v == NULL || *v == '\0')
			return bad(act, "missing value for '%s'", a);
		i++;
		switch (c) {
		case 'd': o->db = v; break;
		case 'p': o->publisher = v; break;
		case 's': o->status = v; break;
		case 'b': o->by = v; break;
		case 'D': o->date = v; break;
		case 't':
			if (ki_day_parse(v, strlen(v), &o->today, &why))
				return bad(act, "--today: %s", why);
			break;
		case 'w':
			if (int_arg(v, 0, 366, &o->window))
				return bad(act, "--due-window needs a whole number of"
				           " days 0..366, not '%s'", v);
			break;
		case 'y':
			if (int_arg(v, 1, 9999, &o->year))
				return bad(act, "--year needs a year 1..9999, not '%s'",
				           v);
			break;
		}
	}
	if (strchr(allowed, 'd') && o->db == NULL)
		return bad(act, "--db PORTAL is required%s", "");
	return 0;
}

static int
fail(const char *act, const kueri_err *err)
{
	fprintf(stderr, "kueri inventory %s: %s\n", act,
	        err->msg[0] ? err->msg : kueri_strerror(err->code));
	return 2;
}

static const kueri_sink out_sink = { kueri_sink_file, NULL };

static int
act_import(int argc, char **argv)
{
	kueri_sink rep = { kueri_sink_file, stderr };
	ki_import_opts io;
	kueri_err err;
	kportal *p;
	iopts o;
	long long v = 0;
	int rc;

	if (parse(argc, argv, "dwt", &o))
		return 2;
	if (o.npos != 1)
		return bad("import", "one inventory package, please%s", "");
	kueri_err_clear(&err);
	if ((p = portal_open_rw(o.db, &err)) == NULL)
		return fail("import", &err);
	io.due_window = o.window >= 0 ? o.window : KI_DUE_WINDOW_DEFAULT;
	io.today = o.today;
	io.report = &rep;
	rc = ki_import(p, o.arg, &io, &v, &err);
	portal_close(p);
	if (rc == 0 || rc == 2) {
		fprintf(stderr, rc == 0 ? "inventory: version %lld imported from"
		        " %s\n" : "inventory: unchanged, version %lld (%s)\n", v,
		        o.arg);
		return 0;
	}
	fprintf(stderr, "kueri inventory import: %s\n", err.msg);
	return rc == 1 ? 1 : 2;
}

/* list, report, schedule: read, evaluate, write. */
static int
act_read(int argc, char **argv, const char *allowed)
{
	kueri_sink out = out_sink;
	ki_inventory *inv;
	ki_status want = KI__MAX;
	kueri_err err;
	kportal *p;
	iopts o;
	int rc;
	const char *act = argv[0];

	out.ctx = stdout;
	if (parse(argc, argv, allowed, &o))
		return 2;
	if (o.npos != 0)
		return bad(act, "unexpected argument '%s'", o.arg);
	if (o.status && ki_status_parse(o.status, &want))
		return bad(act, "--status must be planned, due, overdue,"
		           " published, stale or withdrawn, not '%s'", o.status);
	if (strcmp(act, "plan") == 0 && o.year == 0)
		return bad(act, "--year YYYY is required%s", "");
	if (strcmp(act, "plan") == 0 && o.f == KI_JSON)
		return bad(act, "the plan is text or --csv, not %s", "--json");
	kueri_err_clear(&err);
	if ((p = portal_open_ro(o.db, &err)) == NULL)
		return fail(act, &err);
	inv = ki_inventory_load(p, o.today, &err);
	portal_close(p);
	if (inv == NULL)
		return fail(act, &err);
	if (inv->version == 0)
		fprintf(stderr, "kueri inventory %s: no inventory imported yet\n",
		        act);
	ki_evaluate(inv, o.today, o.window);
	if (o.window >= 0)
		inv->due_window = o.window;
	if (strcmp(act, "list") == 0)
		rc = ki_write_list(inv, o.today, o.publisher,
		                   o.status ? (int)want : -1, o.f, &out);
	else if (strcmp(act, "report") == 0)
		rc = ki_write_units(inv, o.today, o.f, 0, &out);
	else if (strcmp(act, "schedule") == 0)
		rc = ki_write_schedule(inv, o.today, o.f == KI_CSV ? KI_CSV
		                                                   : KI_JSON, &out);
	else
		rc = ki_write_plan(inv, (int)o.year, o.f, &out);
	if (o.f == KI_TEXT || strcmp(act, "schedule") == 0)
		fflush(stdout);
	ki_inventory_free(inv);
	if (rc) {
		fprintf(stderr, "kueri inventory %s: could not write the"
		        " answer\n", act);
		return 2;
	}
	return 0;
}

static int
act_record(int argc, char **argv)
{
	kueri_err err;
	kportal *p;
	ki_day d;
	const char *why;
	iopts o;
	int rc;

	if (parse(argc, argv, "dDbt", &o))
		return 2;
	if (o.npos != 1 || o.date == NULL)
		return bad("record", "--date D and one NAME, please%s", "");
	if (ki_day_parse(o.date, strlen(o.date), &d, &why))
		return bad("record", "--date: %s", why);
	kueri_err_clear(&err);
	if ((p = portal_open_rw(o.db, &err)) == NULL)
		return fail("record", &err);
	rc = ki_record_delivery(p, o.arg, d, o.by, &err);
	/* A delivery can change statuses: history keeps the change, as of
	 * --today (default today). */
	if (rc == 0 && ki_record_statuses(p, o.today, &err) < 0)
		rc = -1;
	portal_close(p);
	return rc ? fail("record", &err) : 0;
}

static int
act_history(int argc, char **argv)
{
	kueri_sink out = out_sink;
	kueri_err err;
	kportal *p;
	iopts o;
	int rc;

	out.ctx = stdout;
	if (parse(argc, argv, "d", &o))
		return 2;
	if (o.npos > 1)
		return bad("history", "at most one NAME%s", "");
	kueri_err_clear(&err);
	if ((p = portal_open_ro(o.db, &err)) == NULL)
		return fail("history", &err);
	rc = ki_history_text(p, o.npos ? o.arg : NULL, &out, &err);
	portal_close(p);
	return rc ? fail("history", &err) : 0;
}

int
cmd_inventory(int argc, char **argv)
{
	const char *act = argc > 1 ? argv[1] : NULL;

	if (act == NULL || strcmp(act, "--help") == 0 ||
	    strcmp(act, "-h") == 0 || cli_wants_help(argc, argv)) {
		fputs(usage_text, act ? stdout : stderr);
		return act ? 0 : 2;
	}
	argc--;
	argv++;
	if (strcmp(act, "import") == 0)
		return act_import(argc, argv);
	if (strcmp(act, "list") == 0)
		return act_read(argc, argv, "dpsftw");
	if (strcmp(act, "report") == 0)
		return act_read(argc, argv, "dftw");
	if (strcmp(act, "schedule") == 0)
		return act_read(argc, argv, "dft");
	if (strcmp(act, "plan") == 0)
		return act_read(argc, argv, "dfy");
	if (strcmp(act, "record") == 0)
		return act_record(argc, argv);
	if (strcmp(act, "history") == 0)
		return act_history(argc, argv);
	if (strcmp(act, "schema") == 0) {
		if (argc != 1)
			return bad("schema", "unexpected argument '%s'", argv[1]);
		fputs(ki_table_schema(), stdout);
		return 0;
	}
	fprintf(stderr, "kueri inventory: unknown action '%s'\n", act);
	fputs(usage_text, stderr);
	return 2;
}
