#!/bin/sh
# Naive datetimes (issue #10): a Table Schema datetime written without an
# offset ("2024-01-15T08:30:00") is local time in the zone the package
# declares with "kueri:timezone" (field, else resource, else package, else
# UTC; docs/publishing.md).  It is stored and served with that offset, so
# JSON, CSV, $filter literals in any offset, $orderby, the date/time
# functions and $metadata (Edm.DateTimeOffset) all speak of the same
# instant; values that carry their own offset keep it.  Through `kueri
# query` (the same kq_route the HTTP service calls).
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 2
DB="$TMP/portal.db"
mkdir -p "$TMP/p"
# Kantor: offices in three zones; the package says WIB, the resource for
# Makassar says WITA, one field of it says +09:00 (a Jayapura clock).
cat >"$TMP/p/absen.csv" <<'CSV'
id,masuk,catatan
1,2024-01-15T08:30:00,naive: WIB
2,2024-01-15T01:30:00Z,own offset Z (= 08:30 WIB)
3,2024-01-15T10:30:00+09:00,own offset +09:00 (= 08:30 WIB)
4,2024-01-15T08:00:00.5,naive with a fraction
5,,missing
6,2024-01-14T23:59:59,naive just before midnight WIB
CSV
cat >"$TMP/p/wita.csv" <<'CSV'
id,masuk,jayapura
1,2024-01-15T08:30:00,2024-01-15T08:30:00
CSV
cat >"$TMP/p/utc.csv" <<'CSV'
id,masuk
1,2024-01-15T08:30:00
CSV
cat >"$TMP/p/datapackage.json" <<'JSON'
{"name": "absensi", "publisher": "Test", "classification": "public", "kueri:timezone": "WIB",
 "resources": [
  {"name": "absen", "path": "absen.csv", "schema": {"fields": [
    {"name": "id", "type": "integer"}, {"name": "masuk", "type": "datetime"},
    {"name": "catatan", "type": "string"}], "primaryKey": "id"}},
  {"name": "wita", "path": "wita.csv", "kueri:timezone": "WITA", "schema": {"fields": [
    {"name": "id", "type": "integer"}, {"name": "masuk", "type": "datetime"},
    {"name": "jayapura", "type": "datetime", "kueri:timezone": "+09:00"}], "primaryKey": "id"}}]}
JSON
cat >"$TMP/p/utc.json" <<'JSON'
{"name": "tanpa-zona", "publisher": "Test", "classification": "public",
 "resources": [{"name": "utc", "path": "utc.csv", "schema": {"fields": [
    {"name": "id", "type": "integer"}, {"name": "masuk", "type": "datetime"}], "primaryKey": "id"}}]}
JSON
"$KUERI" publish --db "$DB" "$TMP/p/datapackage.json" >"$TMP/pub" 2>&1
is "$?" 0 "a package declaring kueri:timezone WIB (and WITA, +09:00 below it) publishes"
"$KUERI" publish --db "$DB" "$TMP/p/utc.json" >"$TMP/pub" 2>&1
is "$?" 0 "a package without kueri:timezone publishes"

# q PATH: the body (stdout of kueri query).
q() { "$KUERI" query --db "$DB" --root http://kueri.test/odata/ "$1" 2>/dev/null; }
ids() { q "$1" | jq -c '[.value[].id]'; }

# ---- JSON and CSV say the declared offset
is "$(q 'absen?$select=id,masuk' | jq -r '[.value[] | "\(.id)=\(.masuk)"] | join(" ")')" \
	"1=2024-01-15T08:30:00+07:00 2=2024-01-15T01:30:00Z 3=2024-01-15T10:30:00+09:00 4=2024-01-15T08:00:00.5+07:00 5=null 6=2024-01-14T23:59:59+07:00" \
	"JSON: naive values carry the package's +07:00 (WIB); own offsets are kept"
is "$(q 'absen?$format=csv&$select=id,masuk' | tr -d '\r' | tr '\n' ' ')" \
	"id,masuk 1,2024-01-15T08:30:00+07:00 2,2024-01-15T01:30:00Z 3,2024-01-15T10:30:00+09:00 4,2024-01-15T08:00:00.5+07:00 5, 6,2024-01-14T23:59:59+07:00 " \
	"CSV: the same text as JSON"
is "$(q 'wita' | jq -r '.value[0] | .masuk + " " + .jayapura')" \
	"2024-01-15T08:30:00+08:00 2024-01-15T08:30:00+09:00" \
	"a resource's kueri:timezone (WITA) overrides the package's; a field's (+09:00) overrides both"
is "$(q 'utc' | jq -r '.value[0].masuk')" "2024-01-15T08:30:00Z" \
	"without kueri:timezone anywhere a naive value is UTC (the documented default)"
is "$(q 'absen(1)?$select=masuk' | jq -r .masuk)" "2024-01-15T08:30:00+07:00" "a single entity says the same"

# ---- $filter: a literal in any offset compares as an instant
is "$(ids 'absen?$filter=masuk eq 2024-01-15T08:30:00%2B07:00')" '[1,2,3]' \
	"eq 08:30+07:00 (form-encoded %2B) matches the naive WIB row and the two written in other offsets"
is "$(ids 'absen?$filter=masuk eq 2024-01-15T08:30:00+07:00')" '[1,2,3]' "... the same with a raw + (ABNF)"
is "$(ids 'absen?$filter=masuk eq 2024-01-15T01:30:00Z')" '[1,2,3]' "... the same instant written in Z"
is "$(ids 'absen?$filter=masuk eq 2024-01-15T03:30:00%2B02:00')" '[1,2,3]' "... and in +02:00"
is "$(ids 'absen?$filter=masuk eq 2024-01-15T08:30:00Z')" '[]' \
	"08:30Z is not 08:30 WIB (no naive value is read as UTC when a zone is declared)"
is "$(ids 'absen?$filter=masuk lt 2024-01-15T01:30:00Z')" '[4,6]' "lt compares instants"
is "$(ids 'absen?$filter=masuk ge 2024-01-15T00:00:00%2B07:00 and masuk lt 2024-01-16T00:00:00%2B07:00')" '[1,2,3,4]' \
	"one WIB day: 23:59:59 the day before is out, 01:30Z and +09:00 are in"
is "$(ids 'absen?$filter=masuk eq null')" '[5]' "a missing value stays null"

# ---- $orderby by instant
is "$(ids 'absen?$orderby=masuk desc,id&$filter=masuk ne null')" '[1,2,3,4,6]' \
	"\$orderby desc: the three equal instants together (then by id), the earlier ones after"
is "$(ids 'absen?$orderby=masuk,id')" '[5,6,4,1,2,3]' "\$orderby asc: null first, then by instant"

# ---- date/time functions read a value in its own offset (ODATA.md)
is "$(ids 'absen?$filter=hour(masuk) eq 8')" '[1,4]' "hour() of a naive WIB value is its WIB hour"
is "$(ids 'absen?$filter=totaloffsetminutes(masuk) eq 420')" '[1,4,6]' "totaloffsetminutes() of a naive WIB value is 420"
is "$(ids 'absen?$filter=date(masuk) eq 2024-01-14')" '[6]' "date() of 23:59:59 WIB is that WIB day"

# ---- $apply keeps the offsets: max by instant
is "$(q 'absen?$apply=aggregate(masuk with max as terakhir)' | jq -r '.value[0].terakhir')" \
	"2024-01-15T08:30:00+07:00" "aggregate max by instant returns a value as stored"

# ---- $metadata: the type says an offset is always there
"$KUERI" query --db "$DB" '$metadata' >"$TMP/m.xml" 2>/dev/null
is "$(xmllint --xpath "string(//*[local-name()='EntityType'][@Name='absen']/*[@Name='masuk']/@Type)" "$TMP/m.xml")" \
	Edm.DateTimeOffset "\$metadata: Edm.DateTimeOffset"
"$KUERI" query --db "$DB" '$metadata?$format=json' >"$TMP/m.json" 2>/dev/null
is "$(jq -r '.kueri.wita.jayapura."$Type"' "$TMP/m.json")" Edm.DateTimeOffset "CSDL JSON: Edm.DateTimeOffset"

# ---- a bad kueri:timezone stops the publish before any row is read
for v in '"Asia/Jakarta"' '"+07"' '"+14:30"' '7'; do
	sed "s|\"kueri:timezone\": \"WIB\"|\"kueri:timezone\": $v|" "$TMP/p/datapackage.json" >"$TMP/p/bad.json"
	"$KUERI" publish --db "$TMP/bad.db" "$TMP/p/bad.json" >"$TMP/out" 2>&1
	rc=$?
	is "$rc" 2 "kueri:timezone $v: publish refuses (exit 2, bad input)"
	like "$(cat "$TMP/out")" 'package "absensi": "kueri:timezone" must be a UTC offset' "... naming the package and the rule"
done
[ ! -e "$TMP/bad.db" ] || [ "$(sqlite3 "$TMP/bad.db" 'SELECT count(*) FROM kueri_resource' 2>/dev/null || echo 0)" = 0 ]
ok $? "nothing was published by the refused packages"

# ---- a datetime bound: read in the declared zone, compared by instant
# (verify's report names the rows below it; CSV rows count from 2)
cat >"$TMP/p/batas.csv" <<'CSV'
id,masuk
1,2024-01-15T00:00:00
2,2024-01-14T23:59:59
3,2024-01-14T17:00:00Z
4,2024-01-15T00:30:00+09:00
5,2024-01-15T00:00:00.5+07:00
CSV
cat >"$TMP/p/bound.json" <<'JSON'
{"name": "batas", "publisher": "Test", "classification": "public", "kueri:timezone": "WIB",
 "resources": [{"name": "batas", "path": "batas.csv", "schema": {"fields": [
    {"name": "id", "type": "integer"},
    {"name": "masuk", "type": "datetime", "constraints": {"minimum": "2024-01-15T00:00:00"}}],
    "primaryKey": "id"}}]}
JSON
"$KUERI" verify "$TMP/p/bound.json" >"$TMP/v" 2>&1
is "$(jq -c '[.tasks[0].errors[] | [.rowNumber, .type]]' "$TMP/v")" '[[3,"constraint-error"],[5,"constraint-error"]]' \
	"a naive minimum is WIB midnight: 23:59:59 WIB and 00:30+09:00 (15:30Z) are below it; 17:00Z (= WIB midnight) is not"

done_testing
