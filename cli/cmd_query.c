/* cmd_query.c -- stub until its issue lands. */
#include <stdio.h>

#include "cli.h"

int
cmd_query(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: kueri query (not implemented yet)\n");
		return 0;
	}
	fprintf(stderr, "kueri query: not implemented yet\n");
	return 3;
}

