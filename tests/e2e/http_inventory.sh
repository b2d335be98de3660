#!/bin/sh
# The inventory over HTTP (nginx + kueri serve): /catalog/units and
# /catalog/schedule, JSON and CSV, on the fixed day ?today=2027-06-15.
#  - the per-unit counts equal the CLI report's (private entries counted);
#  - the private canary (title KUERI-CANARY-INV-5b1e, note
#    KUERI-CANARY-NOTE-9c2d, name kanari-rahasia) and every other private
#    entry's name never appear in any answer, nor in the service's log,
#    even for an entry re-classified private after being public;
#  - the calendar lists public entries only, with next deadline and
#    whether the last update came on time;
#  - bad query options are 400 with an OData error; HEAD has no body;
#  - an OData answer on the same worker does not disturb them;
#  - the HTML pages (report, calendar, front page) show the JSON's counts
#    and fall under the same canary checks.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"
FIX=$REPO/tests/data/inventory
DB=$TMP/portal.db
T=2027-06-15

"$KUERI" inventory import --db "$DB" --today $T "$FIX/datapackage.json" 2>/dev/null
ok $? "the fixture inventory is imported"
grep -v '^#' "$FIX/deliveries.txt" | while read -r n d; do
	"$KUERI" inventory record --db "$DB" --today $T --date "$d" "$n"
done
# Re-classify angkutan-umum (public in version 1) as private.
mkdir -p "$TMP/v2"; cp "$FIX/datapackage.json" "$TMP/v2/"
sed 's/^\(angkutan-umum,[^,]*,[^,]*\),public,/\1,private,/' "$FIX/inventory.csv" >"$TMP/v2/inventory.csv"
"$KUERI" inventory import --db "$DB" --today $T "$TMP/v2/datapackage.json" 2>/dev/null
ok $? "version 2 re-classifies angkutan-umum as private"
# A published dataset too, so the portal is not only an inventory.
"$KUERI" publish --db "$DB" "$REPO/data/harga-pangan-kota-bandung/datapackage.kueri.json" 2>/dev/null
PRIVATE=$("$KUERI" inventory list --db "$DB" --json | jq -r '.[] | select(.classification=="private") | .name' | sort | tr '\n' ' ')
is "$PRIVATE" "angka-putus-sekolah angkutan-umum gizi-buruk hibah-bansos kanari-rahasia kemiskinan-desa uji-kir " \
	"seven private entries, the canary and the re-classified one among them"

# One worker, so the OData answer below and the inventory answers after it
# share a connection (the engine's authorizer must not linger).
if ! hp_start "$DB" --workers 1 --max-age 0; then
	ok 1 "nginx + kueri serve start"; done_testing; exit 1
fi
ok 0 "nginx + kueri serve start on 127.0.0.1:$PORT"

: >"$TMP/all"
fetch() {  # fetch PATH [curl options]: status on stdout; body appended to $TMP/all
	p=$1; shift
	s=$(get "$BASE$p" "$@"); cat "$TMP/b" >>"$TMP/all"; echo "$s"
}

is "$(get "$BASE/odata/harga_komoditas_konsumen_kota_bandung?\$top=1")" 200 "an OData answer first, on the same worker"
is "$(fetch "/catalog/units?today=$T")" 200 "/catalog/units answers 200"
like "$(header Content-Type)" "^application/json" "... as JSON"
cp "$TMP/b" "$TMP/units.json"
is "$(jq -r '.today, .inventoryVersion' "$TMP/units.json" | tr '\n' ' ')" "$T 2 " "... as of the day asked, inventory version 2"
# Counts per unit, from the CLI report and from the service.
"$KUERI" inventory report --db "$DB" --today $T --json >"$TMP/cli.json"
is "$(jq -c '[.units[] | [.publisher, .entries, .privateEntries, .status, .lastYear.met, .lastYear.deadlines]]' "$TMP/units.json")" \
	"$(jq -c '[.units[] | [.publisher, .entries, .privateEntries, .status, .lastYear.met, .lastYear.deadlines]]' "$TMP/cli.json")" \
	"the per-unit counts (private entries included) equal the CLI report's"
is "$(jq '[.units[].entries] | add' "$TMP/units.json")" 30 "all 30 entries are counted"
is "$(jq -r '.units[] | select(.publisher=="Dinas Kesehatan") | "\(.privateEntries) \(.privateLate) \(.status.overdue)"' "$TMP/units.json")" \
	"2 1 1" "Dinas Kesehatan: 2 private, 1 of them late (counted, not named), 1 overdue"
is "$(jq -r '.units[] | select(.publisher=="Dinas Kesehatan") | [.late[].name] | join(" ")' "$TMP/units.json")" \
	"imunisasi-balita" "... and its late list names only the public one"
is "$(jq -r '.units[] | select(.publisher=="Dinas Perhubungan") | "\(.privateLate) \([.late[].name] | join(" "))"' "$TMP/units.json")" \
	"1 lalu-lintas-harian" "the re-classified overdue entry is counted, not named"

is "$(fetch "/catalog/units.csv?today=$T")" 200 "/catalog/units.csv answers 200"
like "$(header Content-Type)" "^text/csv" "... as CSV"
is "$(tr -d '\r' <"$TMP/b" | grep '^BPKAD,')" "BPKAD,6,1,0,1,1,2,2,0,15,10" "... one row per unit with counts by status"
is "$(fetch "/catalog/units?today=$T&\$format=csv")" 200 "\$format=csv works too"
like "$(header Content-Type)" "^text/csv" "... and gives CSV"

is "$(fetch "/catalog/schedule?today=$T")" 200 "/catalog/schedule answers 200"
cp "$TMP/b" "$TMP/sched.json"
is "$(jq '.entries | length' "$TMP/sched.json")" 23 "the calendar lists the 23 public entries"
is "$(jq '.privateEntries' "$TMP/sched.json")" 7 "... and counts the 7 private ones"
is "$(jq -r '.entries[] | select(.name=="rpjmd-indikator") | "\(.nextDue) \(.lastUpdateOnTime)"' "$TMP/sched.json")" \
	"2028-12-31 false" "a late delivery shows lastUpdateOnTime false with the next deadline"
is "$(jq -r '.entries[] | select(.name=="kasus-dbd") | "\(.nextDue) \(.lastUpdateOnTime) \(.status)"' "$TMP/sched.json")" \
	"2027-06-30 true published" "an on-time one shows true"
is "$(jq -r '[.entries[] | .nextDue // "~"] | . == sort' "$TMP/sched.json")" true "ordered by next deadline"
is "$(fetch "/catalog/schedule.csv?today=$T")" 200 "/catalog/schedule.csv answers 200"
is "$(tr -d '\r' <"$TMP/b" | wc -l)" 24 "... a header and 23 rows"

# The same inventory as pages for a browser (html/inventory.c): drawn
# from the public JSON above, so the same counts and no private name.
HTML_ACCEPT='text/html,application/xhtml+xml,*/*;q=0.8'
is "$(fetch "/catalog/units?today=$T" -H "Accept: $HTML_ACCEPT")" 200 "/catalog/units for a browser answers 200"
like "$(header Content-Type)" "^text/html" "... as an HTML page"
like "$(body)" "imunisasi-balita" "... naming the public late entry"
like "$(body)" "and 1 private entry, late \(counted, not named\)" "... counting the private one"
is "$(grep -o '<section class="unit"' "$TMP/b" | wc -l)" \
	"$(jq '.units | length' "$TMP/units.json")" "... one section per unit, as many as in the JSON"
is "$(grep -o 'class="num days-late"' "$TMP/b" | wc -l)" \
	"$(jq '[.units[].late[]] | length' "$TMP/units.json")" "... one days-late cell per public late entry of the JSON"
is "$(fetch "/catalog/schedule?today=$T&\$format=html")" 200 "/catalog/schedule?\$format=html answers 200"
like "$(header Content-Type)" "^text/html" "... as an HTML page"
is "$(grep -c '^<tr><td class="nw" data-label="Next due">' "$TMP/b")" 23 "... with the 23 public entries"
like "$(body)" "7 private entries not listed" "... and the 7 private ones counted"
is "$(fetch "/?today=$T" -H "Accept: $HTML_ACCEPT")" 200 "the front page with the inventory answers 200"
like "$(body)" "Expected, not yet published" "... with the entries still expected"
like "$(body)" "7 private entries of the inventory are counted" "... private ones counted"
is "$(fetch "/catalog?today=$T")" 200 "/catalog?today= answers 200"
is "$(jq -r '.[0] | "\(.name) \(.overdue) \(.status) \(.lastUpdateOnTime) \(.scheduleDue)"' "$TMP/b")" \
	"harga-konsumen-komoditas-pangan-kota-bandung true stale null null" \
	"a package without an inventory entry (daily, published before $T): stale by its own promise, lastUpdateOnTime null"
is "$(fetch "/catalog?today=2027-13-01")" 400 "/catalog?today=2027-13-01 is 400"

# Today's answers (no ?today) work as well.
is "$(fetch /catalog/units)" 200 "/catalog/units without today= answers for today"
is "$(fetch /catalog/schedule)" 200 "/catalog/schedule without today= too"
is "$(fetch /catalog)" 200 "/catalog still answers"
is "$(fetch /catalog/harga-konsumen-komoditas-pangan-kota-bandung)" 200 "/catalog/NAME still answers"

# The private names, the canary and notes: nowhere.
for p in $PRIVATE KUERI-CANARY rahasia@ "never public"; do
	unlike "$(cat "$TMP/all")" "$p" "no answer contains '$p'"
done
# Control: the check would see a public name if it were there.
like "$(cat "$TMP/all")" "imunisasi-balita" "control: public names are in the answers"
is "$(fetch "/catalog/units?today=$T&x=KUERI-CANARY")" 400 "an unknown query option is 400"
like "$(body)" '"error"' "... with an OData error body"
unlike "$(body)" "KUERI-CANARY" "... that does not echo the request"
is "$(fetch "/catalog/units?today=2027-02-29")" 400 "today=2027-02-29 is 400"
like "$(body)" "not a leap year" "... saying why"
is "$(fetch "/catalog/schedule?\$format=xml")" 400 "\$format=xml is 400"
is "$(get "$BASE/catalog/units?today=$T" -I)" 200 "HEAD /catalog/units is 200"
unlike "$(body)" '"units"' "... without a body"
hp_stop
for p in $PRIVATE KUERI-CANARY; do
	unlike "$(cat "$HP_LOG" "$HP_RUN"/nginx/*.log 2>/dev/null)" "$p" "the logs do not contain '$p'"
done
done_testing
