#!/bin/bash
# fuzz_html.sh -- builds tests/fuzz/fuzz_html.c (clang, libFuzzer, ASan +
# UBSan) and replays every seed in tests/fuzz/corpus-html, then fuzzes for
# FUZZ_HTML_SECONDS (default 5) more; any invariant the harness checks
# (no markup or quote escaping the escapers, printable Locations, no
# <script> in a page) or any sanitizer report fails the suite.
# Kept apart from tests/fuzz/run.sh until the lead folds it in (that
# script's harness list is shared).  Skipped without clang.
. "$(dirname "$0")/../lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 2
if ! command -v clang >/dev/null 2>&1; then
	echo "# skip: clang not installed"
	done_testing
	exit 0
fi
OUT=${KUERI_BUILD:-$REPO/build}/fuzz-html
mkdir -p "$OUT"
PKG_CFLAGS=$(pkg-config --cflags sqlite3 jansson libpcre2-8 2>/dev/null || true)
PKG_LIBS=$(pkg-config --libs sqlite3 jansson libpcre2-8 2>/dev/null || echo -lsqlite3 -ljansson -lpcre2-8)
# shellcheck disable=SC2086
clang -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Iinclude $PKG_CFLAGS \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-o "$OUT/fuzz_html" tests/fuzz/fuzz_html.c html/*.c util/*.c portal/*.c \
	$PKG_LIBS -lm >"$TMP/cc.log" 2>&1
rc=$?
ok $rc "fuzz_html builds with clang -fsanitize=fuzzer,address,undefined"
[ $rc -eq 0 ] || { sed 's/^/#   /' "$TMP/cc.log" | tail -20; done_testing; exit; }
mkdir -p "$OUT/corpus"
"$OUT/fuzz_html" -runs=0 tests/fuzz/corpus-html >"$TMP/replay.log" 2>&1
rc=$?
ok $rc "fuzz_html replays every seed in tests/fuzz/corpus-html without a report"
[ $rc -eq 0 ] && grep -o 'INITED.*' "$TMP/replay.log" | head -1 | sed 's/^/# /'
[ $rc -eq 0 ] || tail -30 "$TMP/replay.log" | sed 's/^/#   /'
"$OUT/fuzz_html" -max_total_time="${FUZZ_HTML_SECONDS:-5}" -timeout=10 \
	-artifact_prefix="$OUT/" "$OUT/corpus" tests/fuzz/corpus-html \
	>"$TMP/fuzz.log" 2>&1
rc=$?
ok $rc "fuzz_html: ${FUZZ_HTML_SECONDS:-5} s of fuzzing find no invariant break or sanitizer report"
[ $rc -eq 0 ] && grep -E '^#[0-9]+.*DONE' "$TMP/fuzz.log" | tail -1 | sed 's/^/# /'
[ $rc -eq 0 ] || tail -30 "$TMP/fuzz.log" | sed 's/^/#   /'
done_testing
