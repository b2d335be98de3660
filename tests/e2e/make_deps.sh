#!/bin/sh
# The Makefile rebuilds a unit test when a header it includes changes:
# for every header in tests/unit/, each test program that includes it is
# recompiled when that header is newer (make -n -W, nothing is built).
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 2
B=${KUERI_BUILD#"$PWD"/}   # make's targets are relative: build/tests/X
san=""
case "$B" in */san) san="SANITIZE=1" ;; esac
for h in tests/unit/*.h; do
	hn=$(basename "$h")
	for src in $(grep -l "#include \"$hn\"" tests/unit/test_*.c); do
		t=$(basename "$src" .c)
		# shellcheck disable=SC2086
		n=$(make -n $san -W "$h" "$B/tests/$t" 2>&1 | grep -c -- "-o [^ ]*tests/$t ")
		ok $([ "$n" -ge 1 ] && echo 0 || echo 1) "$t is rebuilt when $hn changes"
	done
done
done_testing
