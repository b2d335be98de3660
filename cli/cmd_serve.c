/*
 * cmd_serve.c -- `kueri serve`: parse options, hand over to fcgi/serve.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../fcgi/service.h"

static void
usage(FILE *f)
{
	fprintf(f,
	"usage: kueri serve --db PORTAL [--socket PATH | --listen HOST:PORT]\n"
	"                   [--workers N] [--max-age S] [--root /odata/]\n"
	"                   [--time-budget MS] [--max-heavy N] [--max-page N]\n"
	"                   [--export-cap N]"
	" [--io-timeout S] [--read-timeout S] [--drain S]\n"
	"                   [--trust-proxy ADDR,...]\n"
	"\n"
	"Run the FastCGI service: a pre-forked pool of workers (default four\n"
	"per core, at least 8) accepting on one socket.  With neither --socket nor\n"
	"--listen it accepts on fd 0, as spawn-fcgi, lighttpd and mod_fcgid\n"
	"expect.  Each worker opens PORTAL read-only; a new `kueri publish`\n"
	"is visible to the next request without a restart.  SIGTERM lets\n"
	"requests in flight finish (up to --drain S, default 30) and exits.\n"
	"One log line per request goes to stderr.\n"
	"\n"
	"  --db PORTAL        the portal database (required)\n"
	"  --socket PATH      create and listen on this unix socket\n"
	"  --listen HOST:PORT listen on TCP (keep it on loopback)\n"
	"  --workers N        worker processes (default: 4 x online CPUs, min 8)\n"
	"  --max-age S        Cache-Control max-age of answers (default 0: clients\n"
	"                     revalidate by ETag, nginx does not cache, so a new\n"
	"                     version or a withdrawal is visible at once)\n"
	"  --root PATH        the OData service root path (default /odata/);\n"
	"                     /catalog and /health live beside it\n"
	"  --time-budget MS   per-query time budget (default 1000)\n"
	"  --max-heavy N      expensive sorts/aggregations run at once (default:\n"
	"                     online CPUs); more get 503 with Retry-After: 1 at\n"
	"                     once instead of all passing their budget; 0: no limit\n"
	"  --max-page N       server page size cap (default 1000)\n"
	"  --export-cap N     max rows in a CSV export (default 1000000)\n"
	"  --io-timeout S     a write to a peer that stops reading fails after\n"
	"                     S seconds without progress (default 30)\n"
	"  --read-timeout S   a request's FastCGI records must all arrive within\n"
	"                     S seconds of the connection (default 3)\n"
	"  --trust-proxy A,B  peer addresses (the web server's REMOTE_ADDR, e.g.\n"
	"                     a TLS-terminating proxy) whose X-Forwarded-Proto\n"
	"                     and X-Forwarded-Host set the scheme and host of\n"
	"                     @odata.context and nextLink; from other peers those\n"
	"                     headers are ignored (default: none)\n");
}

/* A decimal in [lo, hi], or -1. */
static long long
num(const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	return v;
}

/* Every option takes a value; the names are checked before the value. */
static int
known_option(const char *o)
{
	static const char *const names[] = {
		"--db", "--socket", "--listen", "--root", "--workers",
		"--max-age", "--time-budget", "--max-page", "--export-cap",
		"--max-heavy",
		"--io-timeout", "--drain", "--read-timeout", "--trust-proxy",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(o, names[i]) == 0)
			return 1;
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	ks_conf c;
	int i;

	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	ks_conf_default(&c);
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long long n = 0;

		if (!known_option(o)) {
			fprintf(stderr, "kueri serve: unknown option '%s'\n"
			        "usage: kueri serve --db PORTAL ... (see kueri"
			        " serve --help)\n", o);
			return 2;
		}
		if (v == NULL) {
			fprintf(stderr, "kueri serve: %s needs a value\n"
			        "usage: kueri serve --db PORTAL ... (see kueri"
			        " serve --help)\n", o);
			return 2;
		}
		i++;
		if (strcmp(o, "--db") == 0)
			c.db = v;
		else if (strcmp(o, "--socket") == 0)
			c.socket_path = v;
		else if (strcmp(o, "--listen") == 0)
			c.listen = v;
		else if (strcmp(o, "--root") == 0)
			c.root = v;
		else if (strcmp(o, "--workers") == 0 &&
		         (n = num(v, 1, 1024)) > 0)
			c.workers = (int)n;
		else if (strcmp(o, "--max-age") == 0 &&
		         (n = num(v, 0, 31536000)) >= 0)
			c.max_age = (int)n;
		else if (strcmp(o, "--time-budget") == 0 &&
		         (n = num(v, 1, 3600000)) > 0)
			c.lim.time_ms = (int)n;
		else if (strcmp(o, "--max-heavy") == 0 &&
		         (n = num(v, 0, 1024)) >= 0)
			c.max_heavy = (int)n;
		else if (strcmp(o, "--max-page") == 0 &&
		         (n = num(v, 1, 1000000)) > 0)
			c.lim.max_page = n;
		else if (strcmp(o, "--export-cap") == 0 &&
		         (n = num(v, 1, 1000000000)) > 0)
			c.lim.export_cap = n;
		else if (strcmp(o, "--io-timeout") == 0 &&
		         (n = num(v, 1, 3600)) > 0)
			c.io_timeout = (int)n;
		else if (strcmp(o, "--read-timeout") == 0 &&
		         (n = num(v, 1, 3600)) > 0)
			c.read_timeout = (int)n;
		else if (strcmp(o, "--trust-proxy") == 0 && *v &&
		         strlen(v) < 1024 &&
		         strspn(v, "0123456789abcdefABCDEF.:,") == strlen(v) &&
		         v[0] != ',' && v[strlen(v) - 1] != ',' &&
		         strstr(v, ",,") == NULL)
			c.trust_proxy = v;
		else if (strcmp(o, "--drain") == 0 &&
		         (n = num(v, 0, 3600)) >= 0)
			c.drain = (int)n;
		else {
			fprintf(stderr, "kueri serve: bad option or value:"
			        " %s %s\nusage: kueri serve --db PORTAL ..."
			        " (see kueri serve --help)\n", o, v);
			return 2;
		}
	}
	if (c.db == NULL) {
		fprintf(stderr, "kueri serve: --db PORTAL is required\n"
		        "usage: kueri serve --db PORTAL ... (see kueri serve"
		        " --help)\n");
		return 2;
	}
	if (c.socket_path && c.listen) {
		fprintf(stderr, "kueri serve: --socket and --listen exclude"
		        " each other\n");
		return 2;
	}
	if (c.root[0] != '/' || c.root[strlen(c.root) - 1] != '/' ||
	    strlen(c.root) > 200 || strpbrk(c.root, "?#%\r\n ") != NULL) {
		fprintf(stderr, "kueri serve: --root must be a path that starts"
		        " and ends with '/'\n");
		return 2;
	}
	return ks_serve(&c);
}
