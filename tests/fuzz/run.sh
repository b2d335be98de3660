#!/bin/sh
# tests/fuzz/run.sh [--replay] [HARNESS...] -- build the libFuzzer harnesses
# (clang, ASan + UBSan + libFuzzer) into build/fuzz and run them.
#
# Harnesses: every tests/fuzz/fuzz_NAME.c is harness NAME (default: all),
# with its seeds in tests/fuzz/corpus-NAME (query: tests/fuzz/corpus) and
# an optional dictionary tests/fuzz/NAME.dict (query: odata.dict).  What
# each one covers is said at the top of its file.
#
#   make fuzz                     fuzz for $FUZZ_SECONDS (default 600) in
#                                 total, split evenly across the harnesses
#                                 run, one after the other
#   sh tests/fuzz/run.sh csv      one harness gets all of $FUZZ_SECONDS
#   FUZZ_SECONDS=0 make fuzz      just replay every seed corpus once
#   sh tests/fuzz/run.sh --replay the same
#
# New inputs go to build/fuzz/corpus-NAME (the committed seeds are read,
# never written); crashes to build/fuzz/NAME-crash-*.  FUZZ_TIMEOUT (default
# 10) is the seconds one input may take before it counts as a hang.
set -eu
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
if [ "${1:-}" = "--replay" ]; then
	FUZZ_SECONDS=0
	shift
fi
all=$(for f in tests/fuzz/fuzz_*.c; do f=${f#tests/fuzz/fuzz_}; echo "${f%.c}"; done)
[ $# -gt 0 ] || set -- $all
for h in "$@"; do
	[ -f "tests/fuzz/fuzz_$h.c" ] ||
		{ echo "fuzz: unknown harness $h (" $all ")" >&2; exit 2; }
done
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
# The library's folders are the Makefile's LIB_SRC.
libdirs=$(sed -n 's/^LIB_SRC *+*= *\$(wildcard \(.*\))$/\1/p' Makefile)
for src in $libdirs; do
	[ -e "$src" ] || continue
	obj="$out/obj/$(echo "$src" | tr / _).o"
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_h" -nt "$obj" ]; then
		$CC_FUZZ $CFLAGS -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	fi
	objs="$objs $obj"
done
for h in "$@"; do
	bin="$out/fuzz_$h"
	src="tests/fuzz/fuzz_$h.c"
	# Relink only when the harness or the library changed.
	relink=0
	[ -e "$bin" ] && [ ! "$src" -nt "$bin" ] || relink=1
	for hdr in tests/fuzz/fuzz_common.h tests/unit/qtest.h; do
		[ "$hdr" -nt "$bin" ] && relink=1
	done
	for o in $objs; do
		[ "$relink" -eq 1 ] && break
		[ "$o" -nt "$bin" ] && relink=1
	done
	if [ "$relink" -eq 1 ]; then
		$CC_FUZZ $CFLAGS -fsanitize=fuzzer "$src" $objs $PKG_LIBS -lm -o "$bin"
	fi
done

# Per harness: seed corpus, dictionary, longest input.
corpus_of() {
	case $1 in query) echo tests/fuzz/corpus ;; *) echo "tests/fuzz/corpus-$1" ;; esac
}
dict_of() {
	case $1 in query) d=tests/fuzz/odata.dict ;; *) d="tests/fuzz/$1.dict" ;; esac
	[ -f "$d" ] && echo "-dict=$d"
}
maxlen_of() {
	case $1 in query) echo 2048 ;; *) echo 4096 ;; esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ "$FUZZ_SECONDS" -eq 0 ]; then
	# Each file of each corpus once; a crash fails the run.
	for h in "$@"; do
		corpus=$(corpus_of "$h")
		"$out/fuzz_$h" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb=2048 "$corpus"/* \
			>"$out/replay-$h.log" 2>&1 ||
			{ tail -40 "$out/replay-$h.log"; echo "fuzz: $h: replay failed" >&2; exit 1; }
		echo "fuzz: $h: replayed $(ls "$corpus" | wc -l) corpus inputs clean"
	done
	exit 0
fi
share=$((FUZZ_SECONDS / $#))
[ "$share" -gt 0 ] || share=1
for h in "$@"; do
	corpus=$(corpus_of "$h")
	mkdir -p "$out/corpus-$h"
	echo "fuzz: $h for ${share}s"
	"$out/fuzz_$h" -max_total_time="$share" -max_len="$(maxlen_of "$h")" \
		-timeout="$FUZZ_TIMEOUT" -rss_limit_mb=2048 $(dict_of "$h") \
		-artifact_prefix="$out/$h-" -print_final_stats=1 \
		"$out/corpus-$h" "$corpus"
done
