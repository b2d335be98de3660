/* cmd_verify.c -- stub until its issue lands. */
#include <stdio.h>

#include "cli.h"

int
cmd_verify(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: kueri verify (not implemented yet)\n");
		return 0;
	}
	fprintf(stderr, "kueri verify: not implemented yet\n");
	return 3;
}

