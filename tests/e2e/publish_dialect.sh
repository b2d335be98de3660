#!/bin/sh
# Table Dialect rows (v2) and CSV Dialect (v1): commentChar, commentRows,
# headerRows, headerJoin, header case (v2 headerCase, v1
# caseSensitiveHeader), their limits, and the declared type in a type
# error.  Tests as data: each folder of tests/data/dialect is a package
# (datapackage.json + r.csv) and an `expect` file of lines
#   what: the behaviour checked (the TAP description)
#   exit: the exit status of `kueri verify` (0 valid, 1 invalid, 2 refused)
#   rows: the "rowN,fieldM:type" list of the text report, exactly
#   like: a pattern (grep -E) the text report must match (repeatable)
#   json: a pattern the JSON report (`--format json`) must match
#   publish: QUERY<TAB>PATTERN -- `kueri publish` into a fresh portal
#            succeeds, then `kueri query QUERY` matches PATTERN
#   publish: refused -- `kueri publish` refuses (exit 1), its report
#            matching the json: pattern
# Row numbers are physical (the file's first record is 1) whatever is
# skipped, in the text, the JSON report and the report publish prints.
. "$(dirname "$0")/../lib.sh"
DATA="$(cd "$(dirname "$0")/../data/dialect" && pwd)"
tab=$(printf '\t')

for dir in "$DATA"/*/; do
	case=$(basename "$dir")
	P="$TMP/$case"
	cp -r "$dir" "$P"
	what=$(sed -n 's/^what: //p' "$P/expect")
	"$KUERI" verify --format text "$P/datapackage.json" >"$TMP/out" 2>&1
	rc=$?
	want=$(sed -n 's/^exit: //p' "$P/expect")
	is "$rc" "$want" "$case: $what (exit $want)"
	[ "$rc" = "$want" ] || sed 's/^/#   /' "$TMP/out" | head -5
	if grep -q '^rows: ' "$P/expect"; then
		got=$(grep '^  row' "$TMP/out" | cut -d: -f1,2 | tr -d ' ' | tr '\n' ' ' | sed 's/ $//')
		is "$got" "$(sed -n 's/^rows: //p' "$P/expect")" "$case: the errors' rows, fields and types"
	fi
	sed -n 's/^like: //p' "$P/expect" >"$TMP/likes"
	while IFS= read -r pat; do
		like "$(cat "$TMP/out")" "$pat" "$case: the report says /$pat/"
	done <"$TMP/likes"
	pat=$(sed -n 's/^json: //p' "$P/expect")
	if [ -n "$pat" ]; then
		"$KUERI" verify --format json "$P/datapackage.json" >"$TMP/json" 2>&1
		like "$(cat "$TMP/json")" "$pat" "$case: the JSON report has /$pat/"
	fi
	line=$(sed -n 's/^publish: //p' "$P/expect")
	if [ -n "$line" ]; then
		q=${line%%"$tab"*}
		pat=${line#*"$tab"}
		"$KUERI" publish --db "$TMP/$case.db" "$P/datapackage.json" >"$TMP/pub" 2>&1
		prc=$?
		if [ "$line" = refused ]; then
			# A refused package: publish prints the same report.
			is "$prc" 1 "$case: publish refuses it too"
			jp=$(sed -n 's/^json: //p' "$P/expect")
			[ -z "$jp" ] || like "$(cat "$TMP/pub")" "$jp" "$case: publish's report has /$jp/"
		else
			is "$prc" 0 "$case: publish succeeds"
			like "$("$KUERI" query --db "$TMP/$case.db" "$q" 2>&1)" "$pat" \
			     "$case: query $q matches /$pat/"
		fi
	fi
done

done_testing
