#!/bin/sh
# tests/run.sh BUILD_DIR... -- run every suite against each build: the unit
# test binaries in BUILD/tests and the shell suites in tests/e2e (with
# KUERI=BUILD/kueri).  Suites print TAP; this counts the lines and ends
# with "N passed, M failed".  Exit status 1 if anything failed.
cd "$(dirname "$0")/.." || exit 2
passed=0 failed=0 broken=""
log=$(mktemp)
for build in "$@"; do
	for t in "$build"/tests/test_* tests/e2e/*.sh; do
		[ -e "$t" ] || continue
		case "$t" in *.sh) cmd="bash $t" ;; *) cmd="$t" ;; esac
		printf '== %s [%s]\n' "$t" "$build"
		t0=$(date +%s)
		KUERI="$PWD/$build/kueri" KUERI_BUILD="$PWD/$build" \
			ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			$cmd >"$log" 2>&1
		rc=$?
		p=$(grep -c '^ok ' "$log")
		f=$(grep -c '^not ok ' "$log")
		grep -E '^(not ok|#)' "$log" | head -40
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			# A crash or sanitizer report counts as one failure.
			f=1; tail -20 "$log"
		fi
		echo "   $p passed, $f failed ($(( $(date +%s) - t0 )) s)"
		passed=$((passed + p)); failed=$((failed + f))
		[ "$f" -gt 0 ] && broken="$broken $t[$build]"
	done
done
rm -f "$log"
[ -n "$broken" ] && echo "failing suites:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
