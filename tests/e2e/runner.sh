#!/bin/sh
# tests/run.sh itself, on tiny fake suites: a TAP plan that does not match
# the checks run, or no plan at all, fails the suite; "# SKIP" is counted
# as skipped and "# TODO" as pending (neither passed nor failed); a crash
# after passing checks fails; a passing suite's chatter and stderr stay out
# of the console and go to the log the summary names.
# Inside the run.sh this suite starts, never start another (no recursion).
[ -n "${KUERI_SUITES:-}" ] && { echo "1..0 # SKIP nested run"; exit 0; }
. "$(dirname "$0")/../lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
F=$TMP/fake
mkdir -p "$F" "$TMP/b"
fake() {  # fake NAME: the suite's body on stdin
	cat >"$F/$1.sh"
}
fake good <<'S'
echo "ok 1 - a"; echo "# chatter that only the log should hold"
echo "worker timed out, exited with 75" >&2; echo "ok 2 - b"; echo "1..2"
S
fake shortplan <<'S'
echo "ok 1 - a"; echo "ok 2 - b"; echo "1..3"
S
fake noplan <<'S'
echo "ok 1 - a"; echo "ok 2 - b"
S
fake twoplans <<'S'
echo "1..1"; echo "ok 1 - a"; echo "1..1"
S
fake skips <<'S'
echo "ok 1 - # SKIP python3 is not installed"; echo "ok 2 - b"
echo "not ok 3 - known gap # TODO listed in pending.txt"; echo "1..3"
S
fake crash <<'S'
echo "ok 1 - a"; echo "1..1"; exit 3
S
fake failing <<'S'
echo "ok 1 - a"; echo "not ok 2 - b"; echo "#   got: 1"; echo "1..2"
S

runner() {  # runner SUITE...: run tests/run.sh on those fake suites
	list=""
	for s in "$@"; do list="$list $F/$s.sh"; done
	TESTS_ONLY= KUERI_SUITES=$list sh "$REPO/tests/run.sh" "$TMP/b" >"$TMP/out" 2>&1
	echo $?
}

is "$(runner good)" 0 "a suite whose plan matches passes"
last=$(tail -1 "$TMP/out")
like "$last" "^2 passed, 0 failed, 0 skipped" "summary: N passed, M failed, K skipped"
like "$last" "$TMP/b/test-logs" "the summary names the log directory"
unlike "$(cat "$TMP/out")" "chatter|exited with 75" "a passing suite's diagnostics and stderr stay off the console"
like "$(cat "$TMP/b/test-logs/good.log")" "exited with 75" "... and are in its log"

is "$(runner shortplan)" 1 "plan 1..3 with 2 checks run: the run fails"
like "$(cat "$TMP/out")" "plan says 1..3 but 2 checks ran" "... and says why"
like "$(tail -1 "$TMP/out")" "^2 passed, 1 failed" "... counted as one failure"

is "$(runner noplan)" 1 "no plan: the run fails"
like "$(cat "$TMP/out")" "no TAP plan" "... and says why"
is "$(runner twoplans)" 1 "two plans: the run fails"

is "$(runner skips)" 0 "skips and listed TODOs do not fail a run"
like "$(tail -1 "$TMP/out")" "^1 passed, 0 failed, 1 skipped, 1 pending" \
	"a SKIP directive counts as skipped, a TODO one as pending"

is "$(runner crash)" 1 "exit 3 after all checks passed: the run fails"
like "$(cat "$TMP/out")" "exit status 3" "... naming the exit status"

is "$(runner failing good)" 1 "one failing suite fails the run"
like "$(cat "$TMP/out")" "not ok 2 - b" "the failed check is shown"
like "$(cat "$TMP/out")" "#   got: 1" "... with its diagnostics"
like "$(cat "$TMP/out")" "failing suites:.*failing.sh" "failing suites are named"
like "$(tail -1 "$TMP/out")" "^3 passed, 1 failed, 0 skipped" "counts add up over suites"
done_testing
