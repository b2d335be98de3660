/*
 * cli.h -- the subcommands of `kueri`.  Each is a thin main over the
 * library: it parses its own options, calls the library, maps the result
 * to an exit status (0 success, 1 the input was refused, 2 usage or
 * unreadable input) and prints its own --help.
 */
#ifndef KUERI_CLI_H
#define KUERI_CLI_H

#include "publish.h"

int cmd_verify(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_unpublish(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_replicate(int argc, char **argv);
int cmd_inventory(int argc, char **argv);

/* argv[i] is "--help" or "-h" for some i ≥ 1. */
int cli_wants_help(int argc, char **argv);

/*
 * The publisher's notes on stderr (a kv_note_fn; ctx is the FILE *):
 * lines as they are, warnings after "kueri: warning: ", progress lines
 * rewritten in place with '\r' (the CLI asks for them only on a terminal).
 * Defined in cmd_verify.c.
 */
void cli_note(void *ctx, kv_note_kind kind, const char *text);

#endif
