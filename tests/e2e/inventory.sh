#!/bin/sh
# The data inventory from the command line (kueri inventory, inventory/),
# against tests/data/inventory with the fixed day 2027-06-15:
#  - the 30-entry, 5-unit inventory verifies with `kueri verify` and
#    imports; every entry's status, next deadline and days late, the
#    per-unit report and the 2027 action plan equal the expected text
#    (status-*.txt, report-*.txt, plan-2027.txt, checked by hand against
#    the rules in inventory/status.c);
#  - a delivery dated after --today is not counted; the due window moves
#    an entry from published to due; the leap-day and month-end schedules
#    land where ISO 8601 arithmetic puts them;
#  - every bad file in tests/data/inventory/bad is refused whole, with the
#    row/field report in its .err file, and leaves the inventory as it was;
#  - a re-classification (public -> private) is a new version and a
#    history event, and the unit's private count follows it;
#  - publishing: a package from the wrong unit, or public while its entry
#    is private, is refused; one with no entry publishes with a warning;
#    a publish is recorded in the history; an import that makes a
#    published package private is refused until it is unpublished.
. "$(dirname "$0")/../lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
FIX=$REPO/tests/data/inventory
DB=$TMP/portal.db
T=2027-06-15
inv() { "$KUERI" inventory "$@"; }

"$KUERI" verify --format text "$FIX/datapackage.json" >"$TMP/v.out" 2>&1
ok $? "kueri verify checks the inventory file against its own Table Schema"
inv import --db "$DB" --today $T "$FIX/datapackage.json" 2>"$TMP/imp.err"
ok $? "kueri inventory import: the 30-entry fixture is imported"
like "$(cat "$TMP/imp.err")" "version 1 imported" "the import names the new version"
inv import --db "$DB" --today $T "$FIX/datapackage.json" 2>"$TMP/imp.err"
ok $? "importing the same file again succeeds"
like "$(cat "$TMP/imp.err")" "unchanged, version 1" "... as a no-op that says so (no new version)"

# Deliveries made on known days (kueri publish records today's date, so
# the fixed-day tests use recorded deliveries).
grep -v '^#' "$FIX/deliveries.txt" | while read -r n d; do
	inv record --db "$DB" --today $T --date "$d" "$n" || echo "record $n $d failed"
done >"$TMP/rec.out" 2>&1
is "$(cat "$TMP/rec.out")" "" "every delivery of deliveries.txt is recorded"

inv list --db "$DB" --today $T --csv | cut -d, -f1,8,9,10 | tr -d '\r' >"$TMP/status.txt"
diff -u "$FIX/status-$T.txt" "$TMP/status.txt" >"$TMP/d1"; rc=$?
ok $rc "every entry's status, next deadline and days late on $T match status-$T.txt"
[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/d1" | head -20
for s in planned due overdue published stale withdrawn; do
	n=$(inv list --db "$DB" --today $T --status $s | tail -n +2 | wc -l)
	[ "$n" -ge 1 ]; ok $? "status '$s' is covered ($n entries)"
done
freqs=$(inv list --db "$DB" --json | jq -r '.[].updateFrequency' | sort -u | tr '\n' ' ')
is "$freqs" "P1D P1M P1W P1Y P3M P6M null " "the fixture has every frequency (and one-off entries)"

inv report --db "$DB" --today $T >"$TMP/report.txt"
diff -u "$FIX/report-$T.txt" "$TMP/report.txt" >"$TMP/d2"; rc=$?
ok $rc "the per-unit report on $T matches report-$T.txt"
[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/d2" | head -20
inv plan --db "$DB" --year 2027 >"$TMP/plan.txt"
diff -u "$FIX/plan-2027.txt" "$TMP/plan.txt" >"$TMP/d3"; rc=$?
ok $rc "the 2027 action plan matches plan-2027.txt"
[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/d3" | head -20

# Calendar corner cases, seen through the plan's CSV.
inv plan --db "$DB" --year 2028 --csv | tr -d '\r' >"$TMP/plan28.csv"
like "$(grep '^Dinas Pendidikan,2028-02,' "$TMP/plan28.csv")" "2028-02-29,sekolah-dasar,public,update" \
	"leap day: 2024-02-29 + 4 x P1Y is 2028-02-29 (and 2025..2027 were Feb 28)"
like "$(grep ',sekolah-dasar,' "$TMP/plan28.csv" | wc -l)" "^1$" "a yearly entry has one deadline in 2028"
is "$(grep -c ',covid-harian,' "$TMP/plan28.csv")" 366 "a daily entry has 366 deadlines in the leap year 2028"
is "$(grep ',kasus-dbd,' "$TMP/plan.txt" 2>/dev/null; inv plan --db "$DB" --year 2027 --csv | tr -d '\r' | grep ',kasus-dbd,' | cut -d, -f3 | head -3 | tr '\n' ' ')" \
	"2027-01-31 2027-02-28 2027-03-31 " "month end: 2027-01-31 + P1M = 2027-02-28, + 2 x P1M = 2027-03-31 (no drift)"
is "$(inv plan --db "$DB" --year 2027 --csv | tr -d '\r' | grep ',guru-honorer,' | cut -d, -f3 | tr '\n' ' ')" \
	"2027-06-30 2027-12-31 " "P6M from 2026-12-31: 2027-06-30 (clamped) then 2027-12-31"

# The due window: guru-honorer's next deadline is 15 days away.
is "$(inv list --db "$DB" --today $T --publisher 'Dinas Pendidikan' --csv | grep '^guru-honorer,' | cut -d, -f8)" \
	published "guru-honorer is published with the stored 14-day window"
is "$(inv list --db "$DB" --today $T --due-window 15 --csv | grep '^guru-honorer,' | cut -d, -f8)" \
	due "with --due-window 15 its deadline 15 days away makes it due"
# A delivery after the day asked about does not count (pajak-daerah has
# one on 2027-07-01 in deliveries.txt).
is "$(inv list --db "$DB" --today $T --csv | grep '^pajak-daerah,' | cut -d, -f8,11)" \
	"due,2027-06-11" "a delivery dated after --today is not counted"
is "$(inv list --db "$DB" --today 2027-07-01 --csv | grep '^pajak-daerah,' | cut -d, -f8,11)" \
	"published,2027-07-01" "... and is counted on its day"
is "$(inv list --db "$DB" --today 2027-06-15 --json | jq -r '.[] | select(.name=="rpjmd-indikator") | .lastDelivered')" \
	"2027-01-10" "list --json carries the last delivery"

# ---- bad files: each refused whole, with its row/field report
for c in "$FIX"/bad/*.csv; do
	b=$(basename "$c" .csv)
	d=$TMP/bad-$b; mkdir -p "$d"
	cp "$FIX/datapackage.json" "$d/"; cp "$c" "$d/inventory.csv"
	inv import --db "$DB" "$d/datapackage.json" >/dev/null 2>"$d/err"; rc=$?
	is "$rc" 1 "bad/$b: refused with exit 1"
	want=$(cat "$FIX/bad/$b.err")
	grep -qF -- "$want" "$d/err"; ok $? "bad/$b: the report says '$want'"
	[ $? -eq 0 ] || sed 's/^/#   /' "$d/err" | head -3
done
is "$(sqlite3 "$DB" 'SELECT max(version) FROM kueri_inventory_version')" 1 \
	"after the refused files the inventory is still version 1"
inv import --db "$DB" "$TMP/nope.json" 2>/dev/null; is $? 2 "an unreadable inventory file is exit 2"
inv list --db "$DB" --status late 2>/dev/null; is $? 2 "an unknown --status is a usage error"
inv list --db "$DB" --today 2027-02-29 2>"$TMP/e"; is $? 2 "--today 2027-02-29 is a usage error"
like "$(cat "$TMP/e")" "not a leap year" "... that says why"
inv plan --db "$DB" --year 99999 2>/dev/null; is $? 2 "--year out of range is a usage error"
inv frobnicate 2>/dev/null; is $? 2 "an unknown action is a usage error"

# ---- re-classification: angkutan-umum public -> private
mkdir -p "$TMP/v2"
cp "$FIX/datapackage.json" "$TMP/v2/"
sed 's/^angkutan-umum,Trayek angkutan umum,Dinas Perhubungan,public,/angkutan-umum,Trayek angkutan umum,Dinas Perhubungan,private,/' \
	"$FIX/inventory.csv" >"$TMP/v2/inventory.csv"
inv import --db "$DB" --today $T "$TMP/v2/datapackage.json" 2>/dev/null
ok $? "the re-classified inventory is imported"
is "$(sqlite3 "$DB" 'SELECT max(version) FROM kueri_inventory_version')" 2 "... as version 2"
like "$(inv history --db "$DB" angkutan-umum)" "entry +angkutan-umum v2 .*classification public -> private" \
	"the history keeps the re-classification"
like "$(inv report --db "$DB" --today $T | grep '^Dinas Perhubungan')" "6 entries \\(2 private\\)" \
	"the unit's private count follows it"
like "$(inv report --db "$DB" --today $T)" "overdue  angkutan-umum \\(private\\)" \
	"the CLI still names the private entry"
h=$(inv history --db "$DB" kasus-dbd | grep ' status ' | awk '{ print $NF }' | tr '\n' ' ')
is "$h" "overdue stale published " "status changes are in the history (overdue at the import; stale after the January delivery; published after May's)"

# ---- the publish link, in a portal of its own (publishes are dated today)
P2=$TMP/pub.db
inv import --db "$P2" --today $T "$FIX/datapackage.json" 2>/dev/null
mkpkg() {  # mkpkg DIR NAME PUBLISHER CLASSIFICATION
	mkdir -p "$1"
	printf 'kode,nilai\nA,1\nB,2\n' >"$1/data.csv"
	cat >"$1/datapackage.json" <<EOF
{"name": "$2", "title": "Uji", "publisher": "$3", "classification": "$4",
 "updateFrequency": "P1M", "licenses": [{"name": "CC0-1.0"}],
 "resources": [{"name": "r_$(echo "$2" | tr - _)", "path": "data.csv",
  "schema": {"fields": [{"name": "kode", "type": "string"},
                        {"name": "nilai", "type": "integer"}]}}]}
EOF
}
mkpkg "$TMP/p1" kasus-dbd "Dinas Kesehatan" public
"$KUERI" publish --db "$P2" "$TMP/p1/datapackage.json" 2>"$TMP/p1.err"
ok $? "a package that agrees with its entry is published"
like "$(inv history --db "$P2" kasus-dbd)" "$(date -u +%F)  publish  kasus-dbd v1  Dinas Kesehatan  published" \
	"the publish is in the history: day, version, unit"
mkpkg "$TMP/p2" kasus-dbd "Dinas Pendidikan" public
"$KUERI" publish --db "$P2" "$TMP/p2/datapackage.json" 2>"$TMP/p2.err"
is $? 1 "a package from the wrong unit is refused (exit 1)"
like "$(cat "$TMP/p2.err")" "comes from 'Dinas Pendidikan', but the inventory \\(version 1\\) assigns it to 'Dinas Kesehatan'" \
	"... with a message naming both units"
is "$(sqlite3 "$P2" "SELECT publisher, version FROM kueri_package WHERE name='kasus-dbd'")" \
	"Dinas Kesehatan|1" "... and the published version is untouched"
mkpkg "$TMP/p3" gizi-buruk "Dinas Kesehatan" public
"$KUERI" publish --db "$P2" "$TMP/p3/datapackage.json" 2>"$TMP/p3.err"
is $? 1 "a public package whose entry is private is refused (exit 1)"
like "$(cat "$TMP/p3.err")" "registered private in the inventory" "... saying so"
is "$(sqlite3 "$P2" "SELECT count(*) FROM kueri_package WHERE name='gizi-buruk'")" 0 "... and nothing of it is published"
mkpkg "$TMP/p4" tanpa-entri "Unit Lain" public
"$KUERI" publish --db "$P2" "$TMP/p4/datapackage.json" 2>"$TMP/p4.err"
ok $? "a package with no inventory entry still publishes"
like "$(cat "$TMP/p4.err")" "warning: package 'tanpa-entri' has no entry in the inventory" "... with a warning"
"$KUERI" publish --db "$P2" "$TMP/p1/datapackage.json" 2>/dev/null
like "$(inv history --db "$P2" kasus-dbd | grep -c ' publish ')" "^2$" "an unchanged re-publish is recorded as a delivery too"
# Re-classifying a published package: refused until it is unpublished.
mkdir -p "$TMP/v3"; cp "$FIX/datapackage.json" "$TMP/v3/"
sed 's/^kasus-dbd,Kasus DBD per kecamatan,Dinas Kesehatan,public,/kasus-dbd,Kasus DBD per kecamatan,Dinas Kesehatan,private,/' \
	"$FIX/inventory.csv" >"$TMP/v3/inventory.csv"
inv import --db "$P2" "$TMP/v3/datapackage.json" 2>"$TMP/v3.err"
is $? 1 "an import making a published package private is refused"
like "$(cat "$TMP/v3.err")" "row 2, field 4 \\(classification\\): \"kasus-dbd\" is published as a public package: run 'kueri unpublish'" \
	"... with the row, the field and what to do"
"$KUERI" unpublish --db "$P2" kasus-dbd 2>/dev/null
inv import --db "$P2" "$TMP/v3/datapackage.json" 2>/dev/null
ok $? "after 'kueri unpublish' the same import succeeds"
"$KUERI" publish --db "$P2" "$TMP/p1/datapackage.json" 2>"$TMP/p5.err"
is $? 1 "and the now-private dataset can no longer be published"

# A publish into a portal with no inventory at all: no warning.
mkpkg "$TMP/p6" bebas "Unit Lain" public
"$KUERI" publish --db "$TMP/plain.db" "$TMP/p6/datapackage.json" 2>"$TMP/p6.err"
ok $? "a portal without an inventory publishes as before"
unlike "$(cat "$TMP/p6.err")" "warning" "... without an inventory warning"
done_testing
