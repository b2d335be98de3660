#!/bin/sh
# Replays every fuzz corpus (tests/fuzz/corpus for the query engine,
# tests/fuzz/corpus-csv for the CSV reader, tests/fuzz/corpus-verify for
# package load + verify, tests/fuzz/corpus-fcgi for the FastCGI path) through its libFuzzer harness under ASan + UBSan,
# so CI catches a regression on any input that once found a bug.  Needs
# clang with libFuzzer; skipped without.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 2
if ! command -v clang >/dev/null 2>&1; then
	skip "clang not installed, fuzz corpus not replayed"
	done_testing
	exit 0
fi
out=$(sh tests/fuzz/run.sh --replay 2>&1); rc=$?
is "$rc" 0 "the fuzz harnesses (query, csv, verify, fcgi) build and replay every corpus input without a sanitizer report"
[ "$rc" -ne 0 ] && printf '%s\n' "$out" | tail -30 | sed 's/^/#   /'
printf '%s\n' "$out" | grep '^fuzz: .*replayed' | sed 's/^/# /'
done_testing
