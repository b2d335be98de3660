# tests/lib.sh -- TAP helpers for shell suites.  Source it; $KUERI is the
# binary under test, $TMP a scratch directory removed at exit.
: "${KUERI:?KUERI must name the kueri binary}"
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kueri-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
SHARED=${SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/../shared}

ok() {  # ok STATUS DESCRIPTION: STATUS 0 is a pass
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then echo "ok $TAP_N - $2"
	else echo "not ok $TAP_N - $2"; TAP_FAILED=$((TAP_FAILED + 1)); fi
}
is() {  # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"
	else ok 1 "$3"; printf '#   got:  %s\n#   want: %s\n' "$1" "$2"; fi
}
like() {  # like GOT PATTERN(grep -E) DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then ok 0 "$3"
	else ok 1 "$3"; printf '#   got:  %.300s\n#   want match: %s\n' "$1" "$2"; fi
}
unlike() {  # unlike GOT PATTERN DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then ok 1 "$3"; printf '#   unwanted match: %s\n' "$2"
	else ok 0 "$3"; fi
}
skip() {  # skip REASON: a check that cannot run here (tests/run.sh counts it)
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - # SKIP $1"
}
done_testing() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }
