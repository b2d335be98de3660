/*
 * cmd_query.c -- `kueri query`: answer one OData URL offline, exactly as
 * the service would (the same kq_route code path as HTTP: routes, status,
 * headers, body), printing the body to stdout.  Exit 0 for a 2xx answer, 1 for 4xx/5xx (the OData error
 * JSON is still printed), 2 for usage or an unreadable portal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "portal.h"
#include "query.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: kueri query --db PORTAL [--format json|csv] [--prefer PREFER]\n"
	    "                   [--accept ACCEPT] [--root URL] [--time-budget MS]\n"
	    "                   [--headers]\n"
	    "                   'PATH[?QUERY]'\n"
	    "\n"
	    "Answer an OData URL (relative to the service root) offline, printing\n"
	    "exactly the body the service sends, e.g.\n"
	    "  kueri query --db p.db \"villages?\\$filter=provinsi eq 'BALI'&\\$top=5\"\n"
	    "Spaces and quotes may be typed plainly or percent-encoded.\n"
	    "\n"
	    "  --db PORTAL      the portal database (required)\n"
	    "  --format F       json (default) or csv, like $format\n"
	    "  --prefer P       a Prefer header, e.g. odata.maxpagesize=100\n"
	    "  --accept A       an Accept header\n"
	    "  --root URL       service root for @odata.context and nextLink\n"
	    "  --time-budget MS the query's time budget (default 1000, as the\n"
	    "                   service's; raise it for a long analysis offline)\n"
	    "  --headers        print status and headers to stderr\n"
	    "\n"
	    "Exit status: 0 success, 1 the service would answer 4xx/5xx, 2 usage.\n");
}

static int
sink_stdout(void *ctx, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, (FILE *)ctx) == len ? 0 : -1;
}

int
cmd_query(int argc, char **argv)
{
	const char *db = NULL, *url = NULL;
	kq_route_req req;
	kq_limits  lim;
	kportal    *p;
	kq_resp    *a;
	kueri_err   err;
	kueri_sink  sink = { sink_stdout, NULL };
	const kq_resp_head *h;
	const kueri_err    *e;
	const char *root_url = NULL, *rootpath;
	char       *path, *q, *end;
	int         i, headers = 0, rc;
	long        budget = 0;

	memset(&req, 0, sizeof(req));
	for (i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(o, "--headers") == 0) {
			headers = 1;
			continue;
		}
		if (strcmp(o, "--db") == 0 || strcmp(o, "--format") == 0 ||
		    strcmp(o, "--prefer") == 0 || strcmp(o, "--accept") == 0 ||
		    strcmp(o, "--root") == 0 || strcmp(o, "--time-budget") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "kueri query: %s needs a value\n", o);
				usage(stderr);
				return 2;
			}
			if (strcmp(o, "--db") == 0)
				db = argv[++i];
			else if (strcmp(o, "--format") == 0)
				req.format = argv[++i];
			else if (strcmp(o, "--prefer") == 0)
				req.prefer = argv[++i];
			else if (strcmp(o, "--accept") == 0)
				req.accept = argv[++i];
			else if (strcmp(o, "--time-budget") == 0) {
				budget = strtol(argv[++i], &end, 10);
				if (*argv[i] == '\0' || *end != '\0' || budget < 1 ||
				    budget > 3600000) {
					fprintf(stderr, "kueri query: --time-budget wants"
					        " milliseconds, 1 to 3600000\n");
					return 2;
				}
			} else
				root_url = argv[++i];
			continue;
		}
		if (o[0] == '-' && o[1] != '\0') {
			fprintf(stderr, "kueri query: unknown option '%s'\n", o);
			usage(stderr);
			return 2;
		}
		if (url) {
			fprintf(stderr, "kueri query: one URL only\n");
			usage(stderr);
			return 2;
		}
		url = o;
	}
	if (db == NULL || url == NULL) {
		fprintf(stderr, "kueri query: %s\n",
		        db == NULL ? "--db PORTAL is required" : "a URL is required");
		usage(stderr);
		return 2;
	}
	if (req.format && strcmp(req.format, "json") != 0 &&
	    strcmp(req.format, "csv") != 0) {
		fprintf(stderr, "kueri query: --format must be json or csv\n");
		return 2;
	}
	/* A URL starting with '/' is a path from the host root ("/catalog",
	 * "/health"); anything else is relative to the service root, whose
	 * path is --root's path part ("/odata/" by default). */
	rootpath = "/odata/";
	if (root_url && (q = strstr(root_url, "://")) != NULL &&
	    (q = strchr(q + 3, '/')) != NULL)
		rootpath = q;
	if ((path = malloc(strlen(rootpath) + strlen(url) + 1)) == NULL) {
		fprintf(stderr, "kueri query: out of memory\n");
		return 2;
	}
	if (url[0] == '/')
		strcpy(path, url);
	else {
		strcpy(path, rootpath);
		strcat(path, url);
	}
	if ((q = strchr(path, '?')) != NULL)
		*q++ = '\0';
	req.method = "GET";
	req.path = path;
	req.query = q;
	req.root = rootpath;
	req.root_url = root_url ? root_url : "";
	req.max_age = 60;
	kq_limits_default(&lim);
	if (budget > 0)
		lim.time_ms = (int)budget;
	lim.debug_sql = getenv("KUERI_DEBUG_SQL") != NULL;
	req.lim = &lim;
	if ((p = portal_open_ro(db, &err)) == NULL) {
		fprintf(stderr, "kueri query: %s\n", err.msg);
		free(path);
		return 2;
	}
	if ((a = kq_route(p, &req)) == NULL) {
		fprintf(stderr, "kueri query: out of memory\n");
		portal_close(p);
		free(path);
		return 2;
	}
	h = kq_resp_headers(a);
	if (headers) {
		fprintf(stderr, "Status: %d\n", h->status);
		if (h->content_type[0])
			fprintf(stderr, "Content-Type: %s\n", h->content_type);
		if (h->etag[0])
			fprintf(stderr, "ETag: %s\n", h->etag);
		if (h->extra[0]) {
			const char *l;

			for (l = h->extra; *l; l++)
				if (*l != '\r')
					fputc(*l, stderr);
		}
	}
	sink.ctx = stdout;
	rc = kq_resp_stream(a, &sink, NULL);
	fflush(stdout);
	/* The query failed while its rows were written (what was written
	 * is cut short): say why, as the service would. */
	if (rc < 0 && (e = kq_resp_error(a)) != NULL)
		fprintf(stderr, "kueri query: %d: %s\n",
		        kueri_http_status(e->code), e->msg);
	rc = rc < 0 || h->status >= 400 ? 1 : 0;
	kq_resp_free(a);
	portal_close(p);
	free(path);
	return rc;
}
