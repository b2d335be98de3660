/*
 * main.c -- `kueri`: dispatch to a subcommand from one table.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kueri.h"

static const struct subcommand {
	const char *name;
	int       (*run)(int, char **);
	const char *summary;
} subcommands[] = {
	{ "verify",    cmd_verify,    "check a data package's CSVs against their schema" },
	{ "publish",   cmd_publish,   "verify and publish a public data package as a new version" },
	{ "unpublish", cmd_unpublish, "remove a package and every byte of it from the portal" },
	{ "catalog",   cmd_catalog,   "list published packages: owner, version, freshness" },
	{ "query",     cmd_query,     "answer an OData URL offline, exactly as the service would" },
	{ "serve",     cmd_serve,     "run the FastCGI service (pre-forked workers)" },
	{ "snapshot",  cmd_snapshot,  "write a consistent snapshot + manifest for replicas" },
	{ "replicate", cmd_replicate, "fetch, verify and swap in the publisher's snapshot" },
	{ "inventory", cmd_inventory, "the data inventory: import, list, report, plan" },
};
#define NSUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: kueri <command> [options]\n"
	           "       kueri --help | --version\n\ncommands:\n");
	for (i = 0; i < NSUBCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name,
		        subcommands[i].summary);
	fprintf(f, "\n'kueri <command> --help' describes one command.\n");
}

int
cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("kueri %s\n", KUERI_VERSION);
		return 0;
	}
	for (i = 0; i < NSUBCOMMANDS; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "kueri: unknown command '%s'\n"
	                "usage: kueri <command> [options]; see 'kueri --help'\n",
	        argv[1]);
	return 2;
}
