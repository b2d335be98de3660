#!/bin/sh
# tests/fuzz/run.sh [--replay] -- build the libFuzzer harness for the query
# engine (clang, ASan + UBSan + libFuzzer) into build/fuzz and run it.
#
#   make fuzz                     fuzz for $FUZZ_SECONDS (default 600)
#   FUZZ_SECONDS=0 make fuzz      just replay the seed corpus once
#   sh tests/fuzz/run.sh --replay the same
#
# New inputs go to build/fuzz/corpus (the committed seeds in
# tests/fuzz/corpus are read, never written); crashes to build/fuzz/crash-*.
set -eu
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
[ "${1:-}" = "--replay" ] && FUZZ_SECONDS=0
CC_FUZZ=${CC_FUZZ:-clang}
command -v "$CC_FUZZ" >/dev/null 2>&1 || { echo "fuzz: $CC_FUZZ not found" >&2; exit 2; }

out=build/fuzz
mkdir -p "$out/obj"
PKG_CFLAGS=$(pkg-config --cflags sqlite3 jansson libpcre2-8 2>/dev/null || true)
PKG_LIBS=$(pkg-config --libs sqlite3 jansson libpcre2-8 2>/dev/null || echo -lsqlite3 -ljansson -lpcre2-8)
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Iinclude $PKG_CFLAGS $SAN"

# The library with coverage instrumentation (fuzzer-no-link); rebuilt per
# file only when the source or a header is newer than its object.
newest_h=$(ls -t include/*.h */*.h 2>/dev/null | head -1)
objs=""
for src in util/*.c portal/*.c publish/*.c query/*.c; do
	[ -e "$src" ] || continue
	obj="$out/obj/$(echo "$src" | tr / _).o"
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_h" -nt "$obj" ]; then
		$CC_FUZZ $CFLAGS -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	fi
	objs="$objs $obj"
done
$CC_FUZZ $CFLAGS -fsanitize=fuzzer tests/fuzz/fuzz_query.c $objs $PKG_LIBS -lm \
	-o "$out/fuzz_query"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ "$FUZZ_SECONDS" -eq 0 ]; then
	# Each file once; a crash fails the run.
	"$out/fuzz_query" -timeout=10 -rss_limit_mb=2048 tests/fuzz/corpus/* \
		>"$out/replay.log" 2>&1 || { tail -40 "$out/replay.log"; exit 1; }
	echo "fuzz: replayed $(ls tests/fuzz/corpus | wc -l) corpus inputs clean"
	exit 0
fi
mkdir -p "$out/corpus"
exec "$out/fuzz_query" -max_total_time="$FUZZ_SECONDS" -max_len=2048 \
	-timeout=10 -rss_limit_mb=2048 -dict=tests/fuzz/odata.dict \
	-artifact_prefix="$out/" -print_final_stats=1 \
	"$out/corpus" tests/fuzz/corpus
