/* cmd_serve.c -- stub until its issue lands. */
#include <stdio.h>

#include "cli.h"

int
cmd_serve(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: kueri serve (not implemented yet)\n");
		return 0;
	}
	fprintf(stderr, "kueri serve: not implemented yet\n");
	return 3;
}

