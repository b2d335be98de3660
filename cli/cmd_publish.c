/* cmd_publish.c -- stub until its issue lands. */
#include <stdio.h>

#include "cli.h"

int
cmd_publish(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: kueri publish (not implemented yet)\n");
		return 0;
	}
	fprintf(stderr, "kueri publish: not implemented yet\n");
	return 3;
}

int
cmd_unpublish(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: kueri unpublish (not implemented yet)\n");
		return 0;
	}
	fprintf(stderr, "kueri unpublish: not implemented yet\n");
	return 3;
}

int
cmd_catalog(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: kueri catalog (not implemented yet)\n");
		return 0;
	}
	fprintf(stderr, "kueri catalog: not implemented yet\n");
	return 3;
}

