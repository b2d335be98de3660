#!/bin/sh
# bench/same_answers.sh OLD_KUERI NEW_KUERI [EXTRA_DB EXTRA_URLS]
# -- a change made for speed must not change a byte of any answer.
# Publishes tests/data/query-fixture and http-fixture
# with NEW, then asks both binaries (`kueri query --headers`: the body
# on stdout, status and headers on stderr, and the exit status) every
# url: of tests/query/cases.txt and pending.txt with its accept:/prefer:
# lines, and every "$BASE/odata/..." URL of tests/e2e/*.sh (against each
# fixture), each as written and again with Accept application/geo+json,
# text/csv, text/html, application/json;IEEE754Compatible=true and
# odata.metadata=full/none: JSON, GeoJSON, CSV and HTML writers, quoted
# numbers, annotations.  EXTRA_DB with a file of URLs (one per line) adds a
# larger portal, e.g. the 1M-row villages of bench/gen_villages.c.
# Prints the number of answers compared and every difference; exit 1 on
# any difference.  SAME_MAX=N takes only the first N cases (a smoke run).
set -eu
OLD=$1 NEW=$2
D=$(mktemp -d "${TMPDIR:-/tmp}/kueri-same.XXXXXX")
trap 'rm -rf "$D"' EXIT
here=$(cd "$(dirname "$0")/.." && pwd)
for f in query-fixture http-fixture; do
	"$NEW" publish --db "$D/$f.db" "$here/tests/data/$f/datapackage.json" \
		>"$D/pub.log" 2>&1 || { cat "$D/pub.log"; exit 1; }
done
# cases.txt: "url<TAB>accept<TAB>prefer" per case
awk -v OFS='\t' '
	function out() { if (u != "") print u, a, p; u = a = p = "" }
	/^url: / { out(); u = substr($0, 6); next }
	/^accept: / { a = substr($0, 9); next }
	/^prefer: / { p = substr($0, 9); next }
	END { out() }' "$here/tests/query/cases.txt" "$here/tests/query/pending.txt" |
	head -n "${SAME_MAX:-100000}" >"$D/cases"
grep -ohE '"\$BASE/odata/[^"]*"' "$here"/tests/e2e/*.sh |
	sed -e 's/^"\$BASE\/odata\///' -e 's/"$//' -e 's/\\\$/$/g' |
	grep -v '\$[A-Za-z_{]' | sort -u >"$D/e2e"
n=0 bad=0
ask() {  # ask DB URL ACCEPT PREFER
	for k in old new; do
		[ $k = old ] && K=$OLD || K=$NEW
		rc=0
		if [ -n "$3" ] && [ -n "$4" ]; then
			"$K" query --db "$1" --headers --accept "$3" --prefer "$4" "$2" \
				>"$D/$k.out" 2>"$D/$k.err" || rc=$?
		elif [ -n "$3" ]; then
			"$K" query --db "$1" --headers --accept "$3" "$2" \
				>"$D/$k.out" 2>"$D/$k.err" || rc=$?
		elif [ -n "$4" ]; then
			"$K" query --db "$1" --headers --prefer "$4" "$2" \
				>"$D/$k.out" 2>"$D/$k.err" || rc=$?
		else
			"$K" query --db "$1" --headers "$2" >"$D/$k.out" 2>"$D/$k.err" || rc=$?
		fi
		echo "rc=$rc" >>"$D/$k.err"
	done
	n=$((n + 1))
	if ! cmp -s "$D/old.out" "$D/new.out" || ! cmp -s "$D/old.err" "$D/new.err"; then
		bad=$((bad + 1))
		echo "DIFF: db=$(basename "$1") accept='$3' prefer='$4' url=$2"
		diff "$D/old.err" "$D/new.err" | head -5 || true
		cmp "$D/old.out" "$D/new.out" || true
	fi
}
while IFS="$(printf '\t')" read -r u a p; do
	ask "$D/query-fixture.db" "$u" "$a" "$p"
	for acc in application/geo+json text/csv text/html \
	           'application/json;IEEE754Compatible=true' \
	           'application/json;odata.metadata=full' \
	           'application/json;odata.metadata=none'; do
		ask "$D/query-fixture.db" "$u" "$acc" "$p"
	done
done <"$D/cases"
for db in http-fixture query-fixture; do
	while read -r u; do
		ask "$D/$db.db" "$u" "" ""
		for acc in application/geo+json text/csv text/html; do
			ask "$D/$db.db" "$u" "$acc" ""
		done
	done <"$D/e2e"
done
if [ $# -ge 4 ]; then
	while read -r u; do
		for acc in "" application/geo+json text/csv text/html \
		           'application/json;IEEE754Compatible=true'; do
			ask "$3" "$u" "$acc" ""
		done
	done <"$4"
fi
echo "$n answers compared, $bad differ"
[ $bad -eq 0 ]
