#!/bin/bash
# browser_inventory.sh -- the data inventory in a browser, against the real
# service: a demo-like portal (the sample inventory of Kota Sukamaju in
# data/inventaris-kota-sukamaju plus one private canary entry, the demo's
# recorded deliveries, the bundled datasets published) served by nginx +
# `kueri serve` and loaded in Debian's headless Chromium through
# tests/browser/check.mjs (the tooling browser.sh uses).
#
# What a person must see, checked against what a program gets from the
# same service (the JSON of /catalog, /catalog/units, /catalog/schedule),
# so the checks hold whatever today's date is:
#  - `/`: every published dataset with its status (published/due/stale)
#    and whether its last update came on time; the public entries still
#    expected (planned/due/overdue, never delivered) with unit and due
#    date; the counts per unit;
#  - `/catalog/units` (rapor): one section per unit, counts by status,
#    on-time rate, every public late entry with its days late, private
#    late entries counted only;
#  - `/catalog/schedule`: the release calendar, public entries only;
#  - a row page (`/odata/provinces('32')`): every column with type and
#    description, links to the dataset and to the row as JSON;
#  - the private canary's name, title, contact and note, and the other
#    private entries' names, appear in no page's HTML (check.mjs
#    "notext") nor in any answer fetched here;
#  - each page at desktop and phone width: no console error, no request
#    leaving the server, no script, no sideways scrolling; screenshots in
#    $KUERI_BUILD/browser/inv-*-{desktop,mobile}.png (not committed).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"
. "$(dirname "$0")/browser_lib.inc"
BUILD=${KUERI_BUILD:-$REPO/build}
KUERI=${KUERI:-$BUILD/kueri}
OUT=$BUILD/browser
mkdir -p "$OUT" "$TMP/inv"
rm -f "$OUT"/inv-*.png

# ---- a demo-like portal ----------------------------------------------------
DB=$TMP/portal.db
CANARY_NAME=kanari-rahasia-html
CANARY_TITLE=KUERI-CANARY-HTML-7f3a
CANARY_NOTE=KUERI-CANARY-NOTE-HTML-b41c
CANARY_MAIL=rahasia-html@example.org
cp "$REPO"/data/inventaris-kota-sukamaju/* "$TMP/inv/"
echo "$CANARY_NAME,$CANARY_TITLE,Dinas Kesehatan,private,yes,2025-01-31,P1M,$CANARY_MAIL,$CANARY_NOTE," \
	>>"$TMP/inv/inventaris.csv"
"$KUERI" inventory import --db "$DB" "$TMP/inv/datapackage.json" >"$TMP/imp.log" 2>&1
ok $? "the sample inventory with a private canary entry is imported"
Y=$(date -u -d yesterday +%F)
for d in "volume-lalu-lintas $Y" "cakupan-imunisasi $Y" "daftar-dataset 2025-01-20" \
         "covid19-indonesia-provinsi-harian $Y"; do
	set -- $d
	"$KUERI" inventory record --db "$DB" --date "$2" "$1" >>"$TMP/imp.log" 2>&1 ||
		ok 1 "record $1 $2"
done
for pkg in "$REPO"/data/*/datapackage.kueri.json; do
	KUERI_NO_PROGRESS=1 "$KUERI" publish --db "$DB" "$pkg" >"$TMP/pub.log" 2>&1
	ok $? "publish $(basename "$(dirname "$pkg")")"
done
PRIVATE=$("$KUERI" inventory list --db "$DB" --json | jq -r '.[] | select(.classification=="private") | .name' | sort | tr '\n' ' ')
is "$PRIVATE" "$CANARY_NAME pasien-tbc penerima-kip " "three private entries, the canary among them"

hp_start "$DB" --max-age 0 || { ok 1 "server starts"; done_testing; exit; }
ok 0 "nginx + kueri serve on $BASE"
BROWSER_ACCEPT='text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'
: >"$TMP/all"
fetch() {  # fetch PATH [curl options]: status; body appended to $TMP/all
	p=$1; shift
	s=$(get "$BASE$p" "$@"); cat "$TMP/b" >>"$TMP/all"; echo "$s"
}

# ---- what a program gets: the figures the pages must show ----------------
is "$(fetch /catalog)" 200 "/catalog answers"
cp "$TMP/b" "$TMP/catalog.json"
is "$(jq -r '[.[] | .status as $s | ["published","due","stale"] | index($s) != null] | all' "$TMP/catalog.json")" \
	true "every catalog entry has a status: published, due or stale"
is "$(jq -r '.[] | select(.name=="covid19-indonesia-provinsi-harian") | "\(.lastUpdateOnTime) \(.status)"' "$TMP/catalog.json")" \
	"true published" "covid (delivered yesterday and today, daily): its last update came on time"
is "$(jq -r '.[] | select(.name=="harga-konsumen-komoditas-pangan-kota-bandung") | .lastUpdateOnTime' "$TMP/catalog.json")" \
	false "harga (daily, nothing delivered yesterday): its last update was late"
fetch "/catalog/schedule" >/dev/null
is "$(jq -c '[.entries[] | select(.name=="covid19-indonesia-provinsi-harian" or .name=="harga-konsumen-komoditas-pangan-kota-bandung") | .lastUpdateOnTime]' "$TMP/b")" \
	"$(jq -c '[.[] | select(.name=="covid19-indonesia-provinsi-harian" or .name=="harga-konsumen-komoditas-pangan-kota-bandung") | .lastUpdateOnTime]' "$TMP/catalog.json")" \
	"the catalog's lastUpdateOnTime is the schedule's"
is "$(fetch /catalog/covid19-indonesia-provinsi-harian)|$(jq -r '"\(.status) \(.lastUpdateOnTime) \(.scheduleDue != null)"' "$TMP/b")" \
	"200|published true true" "/catalog/NAME carries status, lastUpdateOnTime and the schedule's next deadline"
is "$(fetch "/catalog?today=2027-02-30")" 400 "/catalog?today=2027-02-30 is 400"
is "$(fetch "/?today=nope" -H "Accept: $BROWSER_ACCEPT")|$(header Content-Type)" \
	"400|text/html; charset=utf-8" "a bad today= on the front page is an HTML 400 for a browser"
fetch /catalog/units >/dev/null
cp "$TMP/b" "$TMP/units.json"
like "$(header Content-Type)" "^application/json" "/catalog/units without Accept is still JSON"
fetch /catalog/schedule >/dev/null
cp "$TMP/b" "$TMP/sched.json"
NUNITS=$(jq '.units | length' "$TMP/units.json")
NLATE=$(jq '[.units[].late[]] | length' "$TMP/units.json")
NPRIVLATE=$(jq '[.units[].privateLate] | add' "$TMP/units.json")
NPUB=$(jq '.entries | length' "$TMP/sched.json")
NEXPECT=$(jq '[.entries[] | select(.lastDelivered == null and (.status == "planned" or .status == "due" or .status == "overdue"))] | length' "$TMP/sched.json")
NRES=$(jq '[.[].resources[]] | length' "$TMP/catalog.json")
is "$NUNITS" 8 "the sample's 8 units"
is "$NPRIVLATE" 3 "three private entries are late (counted)"
ok $([ "$NEXPECT" -gt 0 ] && echo 0 || echo 1) "some public entries are still expected ($NEXPECT)"
ok $([ "$NLATE" -gt 0 ] && echo 0 || echo 1) "some public entries are late ($NLATE)"
# Statuses the front table must show, one per resource of each package.
front_n() { jq --arg s "$1" '[.[] | select(.status == $s) | .resources[]] | length' "$TMP/catalog.json"; }
NF_PUB=$(front_n published); NF_DUE=$(front_n due); NF_STALE=$(front_n stale)
NF_ONTIME=$(jq '[.[] | select(.lastUpdateOnTime == true) | .resources[]] | length' "$TMP/catalog.json")
NF_LATE=$(jq '[.[] | select(.lastUpdateOnTime == false) | .resources[]] | length' "$TMP/catalog.json")
NSTATUS_LATE=$(jq '[.units[].status.overdue + .units[].status.stale] | add' "$TMP/units.json")
DK=$(jq -r '.units | map(.publisher) | index("Dinas Kesehatan") + 1' "$TMP/units.json")
DK_LATE=$(jq '.units[] | select(.publisher=="Dinas Kesehatan") | .late | length' "$TMP/units.json")

# ---- HTML over HTTP ----------------------------------------------------------
for u in "/" "/catalog/units" "/catalog/schedule" "/odata/provinces('32')"; do
	is "$(fetch "$u" -H "Accept: $BROWSER_ACCEPT")|$(header Content-Type)" \
		"200|text/html; charset=utf-8" "$u for a browser is an HTML page"
	case "$(header Content-Security-Policy)" in "default-src 'none';"*) ok 0 "... with the CSP" ;;
		*) ok 1 "... with the CSP (got '$(header Content-Security-Policy)')" ;; esac
done
is "$(fetch "/catalog/units?\$format=html")|$(header Content-Type)" "200|text/html; charset=utf-8" \
	"\$format=html asks for the report page without Accept"
is "$(fetch "/catalog/units?\$format=json" -H "Accept: $BROWSER_ACCEPT")|$(header Content-Type)" \
	"200|application/json" "\$format=json wins over a browser's Accept"
is "$(fetch "/catalog/units.csv" -H "Accept: $BROWSER_ACCEPT")|$(header Content-Type)" \
	"200|text/csv; charset=utf-8" "units.csv stays CSV for a browser (a download link)"
is "$(fetch "/catalog/schedule?\$format=pdf")" 400 "\$format=pdf is 400"
# The row page's JSON link answers the same row as JSON.
fetch "/odata/provinces('32')" -H "Accept: $BROWSER_ACCEPT" >/dev/null
J=$(grep -o 'rel="alternate" type="application/json" href="[^"]*"' "$TMP/b" | sed "s/.*href=\"//; s/\"\$//; s/&amp;/\&/g; s/&#39;/'/g")
is "$J" "/odata/provinces('32')?\$format=json" "the row page links to the same row as JSON"
is "$(fetch "$J")|$(jq -r '.name' "$TMP/b")" "200|JAWA BARAT" "... and that link answers the row as JSON"
# The private entries: counted, never named, in any of the answers above.
for p in $PRIVATE KUERI-CANARY "$CANARY_MAIL" rahasia; do
	unlike "$(cat "$TMP/all")" "$p" "no answer contains '$p'"
done
like "$(cat "$TMP/all")" "kasus-dbd-kecamatan" "control: a public entry's name is in the answers"

# ---- in the browser ------------------------------------------------------------
browser_ready
NOTEXT=$(printf '"%s",' $PRIVATE "$CANARY_TITLE" "$CANARY_NOTE" "$CANARY_MAIL" KUERI-CANARY)
NOTEXT="[${NOTEXT%,}]"
MAIN='table.catalog:not(.expected):not(.units)'
cat >"$TMP/spec.json" <<EOF
{ "base": "$BASE", "out": "$OUT", "pages": [
  { "name": "inv-front", "path": "/", "title": "Datasets",
    "text": ["Expected, not yet published", "Per unit", "Dinas Perhubungan",
             "last update on time", "last update late", "3 private entries"],
    "count": { "$MAIN tbody tr": $NRES,
               "$MAIN .st-published": $NF_PUB, "$MAIN .st-due": $NF_DUE,
               "$MAIN .st-stale": $NF_STALE,
               "$MAIN .lastok": $NF_ONTIME, "$MAIN .lastlate": $NF_LATE,
               "table.expected tbody tr": $NEXPECT,
               "table.units tbody tr": $NUNITS,
               "a[href='/catalog/units']": 2, "a[href='/catalog/schedule']": 2 },
    "notext": $NOTEXT },
  { "name": "inv-units", "path": "/catalog/units", "title": "Rapor per unit",
    "text": ["Report per unit (rapor)", "On time in the last year",
             "counted, not named", "CSV for a spreadsheet"],
    "count": { "section.unit": $NUNITS, "td.days-late": $NLATE,
               "tr.private": $(jq '[.units[] | select(.privateLate > 0)] | length' "$TMP/units.json"),
               "table.units tbody tr": $NUNITS,
               "#u$DK table.late tbody tr:not(.private)": $DK_LATE,
               "table.units td.late": $(jq '[.units[] | (if .status.overdue > 0 then 1 else 0 end) + (if .status.stale > 0 then 1 else 0 end)] | add' "$TMP/units.json"),
               "a[href='/catalog/units.csv']": 1 },
    "notext": $NOTEXT },
  { "name": "inv-schedule", "path": "/catalog/schedule", "title": "Release calendar",
    "text": ["Release calendar (jadwal rilis)", "3 private entries not listed"],
    "count": { "table.schedule tbody tr": $NPUB },
    "notext": $NOTEXT },
  { "name": "inv-row", "path": "/odata/provinces('32')",
    "text": ["JAWA BARAT", "One row of"],
    "count": { "table.record tbody tr": $(jq '.[] | .resources[] | select(.name=="provinces") | .fields | length' "$TMP/catalog.json"),
               "a[rel=up]": 1, "a[rel=alternate]": 1 } },
  { "name": "inv-units-click", "path": "/",
    "steps": [ { "click": "#units a:text-is('The report per unit (rapor)')" } ],
    "url": "/catalog/units", "text": ["Report per unit (rapor)"],
    "notext": $NOTEXT }
] }
EOF
browser_run "$TMP/spec.json"
shots=$(ls "$OUT"/inv-*.png 2>/dev/null | wc -l)
is "$shots" 10 "a desktop and a phone screenshot per page in $OUT"
hp_stop
for p in $PRIVATE KUERI-CANARY; do
	unlike "$(cat "$HP_LOG" "$HP_RUN"/nginx/*.log 2>/dev/null)" "$p" "the logs do not contain '$p'"
done
done_testing
