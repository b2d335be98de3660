#!/bin/sh
# tests/run.sh BUILD_DIR... -- run every suite against each build: the unit
# test binaries in BUILD/tests and the shell suites in tests/e2e (with
# KUERI=BUILD/kueri).  Suites print TAP.  Per suite this counts
#   passed   "ok" lines without a directive
#   skipped  "ok ... # SKIP reason" (a check that could not run here)
#   pending  "not ok ... # TODO reason" (a known, listed gap; not a failure)
#   failed   "not ok" lines, plus one for a suite that exits non-zero
#            without a "not ok" (a crash, a sanitizer report), has no plan
#            ("1..N"), or whose plan does not match the checks it ran
# and ends with "N passed, M failed, K skipped".  Exit status 1 if anything
# failed.
#
# A passing suite prints one line.  Everything a suite writes -- its TAP
# diagnostics and the stderr of the servers it starts (a worker stopped on
# purpose says "exited with 75") -- goes to BUILD/test-logs/SUITE.log, which
# the summary names; a failing suite also shows its failures here.
#
# TESTS_ONLY=glob runs only the suites whose path matches (e.g. '*http*').
# KUERI_SUITES="file..." replaces the suite list (used by tests/e2e/runner.sh).
cd "$(dirname "$0")/.." || exit 2
passed=0 failed=0 skipped=0 todo=0 broken="" logdirs=""
# ../shared (ODATA.md, data) next to the checkout, unless given.
SHARED=${SHARED:-$(cd .. && pwd)/shared}
export SHARED

# tap_count LOG: prints "PASS FAIL SKIP TODO PLAN" for one TAP output; PLAN
# is the N of "1..N", "-" when there is none, "x" when there are several.
tap_count() {
	awk '
	/^ok /     { if (toupper($0) ~ /# *SKIP/) s++; else if (toupper($0) ~ /# *TODO/) p++; else p++; next }
	/^not ok / { if (toupper($0) ~ /# *TODO/) t++; else f++; next }
	/^1\.\.[0-9]+/ { match($0, /^1\.\.[0-9]+/); n = substr($0, 4, RLENGTH - 3); plans++ }
	END { r = (plans == 0) ? "-" : ((plans > 1) ? "x" : n + 0); printf "%d %d %d %d %s\n", p, f, s, t, r }
	' "$1"
}

for build in "$@"; do
	# Each suite's log is rewritten when it runs (never the whole directory:
	# a second run of one suite must not pull another run's logs away).
	logdir=$build/test-logs
	mkdir -p "$logdir"
	logdirs="$logdirs $logdir"
	suites=${KUERI_SUITES:-"$build/tests/test_* tests/e2e/*.sh"}
	for t in $suites; do
		[ -e "$t" ] || continue
		case "$t" in ${TESTS_ONLY:-*}) ;; *) continue ;; esac
		case "$t" in *.sh) cmd="bash $t" ;; *) cmd="$t" ;; esac
		log=$logdir/$(basename "$t" .sh).log
		t0=$(date +%s)
		KUERI="$PWD/$build/kueri" KUERI_BUILD="$PWD/$build" \
			ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			$cmd >"$log" 2>&1 </dev/null
		rc=$?
		read -r p f s d n <<EOF
$(tap_count "$log")
EOF
		why=""
		if [ "$n" = - ]; then
			why="no TAP plan (1..N): the suite stopped early or never said how many checks it ran"
		elif [ "$n" = x ]; then
			why="more than one TAP plan"
		elif [ "$n" -ne $((p + f + s + d)) ]; then
			why="TAP plan says 1..$n but $((p + f + s + d)) checks ran"
		elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			why="exit status $rc without a failed check (a crash or a sanitizer report)"
		fi
		[ -n "$why" ] && f=$((f + 1))
		secs=$(( $(date +%s) - t0 ))
		extra=""
		[ "$s" -gt 0 ] && extra="$extra, $s skipped"
		[ "$d" -gt 0 ] && extra="$extra, $d pending"
		if [ "$f" -eq 0 ]; then
			printf 'ok   %-32s %4d passed%s (%d s)\n' "$t" "$p" "$extra" "$secs"
		else
			printf 'FAIL %-32s %4d passed, %d failed%s (%d s) -- %s\n' \
				"$t" "$p" "$f" "$extra" "$secs" "$log"
			# The failed checks with the diagnostics that follow each.
			awk '/^not ok / && toupper($0) !~ /# *TODO/ { show = 1; shown++; if (shown > 20) exit; print "     " $0; next }
			     /^(ok|not ok) / { show = 0 } show && /^#/ { print "     " $0 }' "$log" | head -60
			if [ -n "$why" ]; then
				echo "     $why; last lines:"
				tail -10 "$log" | sed 's/^/     | /'
			fi
			broken="$broken $t[$build]"
		fi
		passed=$((passed + p)); failed=$((failed + f))
		skipped=$((skipped + s)); todo=$((todo + d))
	done
done
[ -n "$broken" ] && echo "failing suites:$broken"
extra=""
[ "$todo" -gt 0 ] && extra=", $todo pending (listed known gaps)"
echo "$passed passed, $failed failed, $skipped skipped$extra; full output of every suite (with expected server noise) in$logdirs"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
