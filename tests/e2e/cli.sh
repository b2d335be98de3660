#!/bin/sh
# The kueri command's dispatcher: help, version, unknown commands.
. "$(dirname "$0")/../lib.sh"

out=$("$KUERI" --help); rc=$?
is "$rc" 0 "kueri --help exits 0"
for c in verify publish unpublish catalog query serve; do
	like "$out" "^  $c " "kueri --help lists the '$c' subcommand with a summary"
done
like "$("$KUERI" --version)" '^kueri [0-9]+\.[0-9]+\.[0-9]+$' "kueri --version prints a version"

"$KUERI" frobnicate >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 2 "an unknown subcommand exits 2"
like "$(cat "$TMP/err")" "unknown command 'frobnicate'" "an unknown subcommand is named on stderr"
like "$(cat "$TMP/err")" "^usage: " "an unknown subcommand prints a usage line"

"$KUERI" >/dev/null 2>&1; rc=$?
is "$rc" 2 "no subcommand at all exits 2"

for c in verify publish unpublish catalog query serve; do
	"$KUERI" $c --help >"$TMP/h" 2>&1; rc=$?
	is "$rc" 0 "kueri $c --help exits 0"
	like "$(cat "$TMP/h")" "kueri $c" "kueri $c --help describes the command"
	"$KUERI" $c --no-such-option >/dev/null 2>"$TMP/e"; rc=$?
	is "$rc" 2 "kueri $c with an unknown option exits 2"
	like "$(cat "$TMP/e")" "usage: kueri $c" "kueri $c with an unknown option prints its usage line"
done
done_testing
