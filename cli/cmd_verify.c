/*
 * cmd_verify.c -- `kueri verify [--format json|text] [--limit-errors N]
 * PACKAGE.json`: check every resource of a data package against its
 * Table Schema and print a Frictionless-shaped report.
 * Exit 0 valid, 1 invalid, 2 usage or unreadable input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "publish.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: kueri verify [--format json|text] [--limit-errors N] PACKAGE.json\n"
	    "\n"
	    "Check every CSV resource of a Frictionless Data Package against its\n"
	    "Table Schema (encoding, dialect, header, types, constraints, primary,\n"
	    "unique and foreign keys) in one streaming pass, and print a report.\n"
	    "\n"
	    "  --format json     the Frictionless report on stdout (default)\n"
	    "  --format text     a human summary instead\n"
	    "  --limit-errors N  report at most N errors per resource (default 1000)\n"
	    "\n"
	    "Exit status: 0 valid, 1 invalid, 2 usage error or unreadable package.\n");
}

static void
print_text(FILE *f, json_t *report)
{
	json_t *tasks = json_object_get(report, "tasks"), *t;
	size_t  i;

	json_array_foreach(tasks, i, t) {
		json_t *st = json_object_get(t, "stats"), *errs = json_object_get(t, "errors");
		json_t *e, *w;
		size_t  j;

		fprintf(f, "%s: %s, %lld rows, %lld errors\n",
		        json_string_value(json_object_get(t, "name")),
		        json_is_true(json_object_get(t, "valid")) ? "valid" : "INVALID",
		        (long long)json_integer_value(json_object_get(st, "rows")),
		        (long long)json_integer_value(json_object_get(st, "errors")));
		json_array_foreach(errs, j, e) {
			json_t *row = json_object_get(e, "rowNumber");
			json_t *fld = json_object_get(e, "fieldNumber");

			fprintf(f, "  ");
			if (json_is_integer(row))
				fprintf(f, "row %lld", (long long)json_integer_value(row));
			else
				fprintf(f, "header");
			if (json_is_integer(fld))
				fprintf(f, ", field %lld", (long long)json_integer_value(fld));
			fprintf(f, ": %s: %s\n", json_string_value(json_object_get(e, "type")),
			        json_string_value(json_object_get(e, "message")));
		}
		json_array_foreach(json_object_get(t, "warnings"), j, w)
			fprintf(f, "  note: %s\n", json_string_value(w));
	}
	fprintf(f, "%s\n", json_is_true(json_object_get(report, "valid"))
	                       ? "valid" : "invalid");
}

void
cli_note(void *ctx, kv_note_kind kind, const char *text)
{
	FILE *f = ctx;

	switch (kind) {
	case KV_NOTE_WARNING:
		fprintf(f, "kueri: warning: %s\n", text);
		break;
	case KV_NOTE_PROGRESS:
		fprintf(f, "\r%s", text);
		break;
	case KV_NOTE_PROGRESS_END:
		fprintf(f, "\r%s\n", text);
		break;
	case KV_NOTE_INFO:
	default:
		fprintf(f, "%s\n", text);
		break;
	}
}

int
cmd_verify(int argc, char **argv)
{
	const char *path = NULL, *format = "json";
	kv_opts     opts = { 1000, 0, cli_note, NULL };
	kv_package *pkg;
	kueri_err   err;
	json_t     *report = NULL;
	int         i, rc;

	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--format") == 0 && i + 1 < argc) {
			format = argv[++i];
		} else if (strncmp(a, "--format=", 9) == 0) {
			format = a + 9;
		} else if ((strcmp(a, "--limit-errors") == 0 && i + 1 < argc) ||
		           strncmp(a, "--limit-errors=", 15) == 0) {
			const char *n = a[14] == '=' ? a + 15 : argv[++i];
			char       *end;

			errno = 0;
			opts.limit_errors = strtoll(n, &end, 10);
			if (errno || end == n || *end || opts.limit_errors < 1) {
				fprintf(stderr, "kueri verify: --limit-errors needs a "
				                "positive integer, not '%s'\n", n);
				return 2;
			}
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "kueri verify: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		} else if (!path) {
			path = a;
		} else {
			fprintf(stderr, "kueri verify: one package at a time\n");
			usage(stderr);
			return 2;
		}
	}
	if (!path || (strcmp(format, "json") && strcmp(format, "text"))) {
		if (path)
			fprintf(stderr, "kueri verify: --format must be json or text\n");
		usage(stderr);
		return 2;
	}
	if (!(pkg = kv_package_load(path, &err))) {
		fprintf(stderr, "kueri verify: %s\n", err.msg);
		return 2;
	}
	opts.progress = isatty(STDERR_FILENO);  /* rows, rows/s and percent on a terminal */
	opts.note_ctx = stderr;
	rc = kv_verify(pkg, &opts, NULL, NULL, NULL, &report, NULL, &err);
	kv_package_free(pkg);
	if (rc < 0) {
		fprintf(stderr, "kueri verify: %s\n", err.msg);
		json_decref(report);
		return 2;
	}
	if (strcmp(format, "text") == 0)
		print_text(stdout, report);
	else {
		json_dumpf(report, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	}
	json_decref(report);
	return rc == 0 ? 0 : 1;
}
