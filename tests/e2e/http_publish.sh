#!/bin/sh
# The service over portals written by the real publisher (`kueri publish`):
#  - bundled datasets' $metadata matches their Data Package schemas, and
#    rows, $select/$filter and CSV use the $metadata names (also for CSV
#    headers that are not identifiers);
#  - `kueri publish` of a new version during a stream of requests: no
#    request fails, the new version is served afterwards, no restart;
#  - the private-dataset crawl: publish the canary package public (it is
#    visible: the control), re-publish it private, then crawl every
#    endpoint and find no trace of its name or values.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

DB=$TMP/portal.db
CANARY_DIR=$REPO/tests/data/private-canary
pub() { "$KUERI" publish --db "$DB" "$@" >>"$TMP/publish.log" 2>&1; }

# A small public package whose CSV we rewrite between versions.
PKG=$TMP/kota
mkdir -p "$PKG"
cat >"$PKG/datapackage.json" <<'EOF'
{
  "name": "kota-uji",
  "title": "Kota uji",
  "publisher": "kueri test suite",
  "classification": "public",
  "updateFrequency": "P1D",
  "licenses": [{"name": "CC0-1.0"}],
  "resources": [{
    "name": "kota",
    "path": "kota.csv",
    "schema": {
      "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": true}},
        {"name": "nama", "type": "string"},
        {"name": "versi", "type": "integer"}
      ],
      "primaryKey": ["id"]
    }
  }]
}
EOF
kota_csv() {  # kota_csv VERSION ROWS
	awk -v v="$1" -v n="$2" 'BEGIN { print "id,nama,versi";
		for (i = 1; i <= n; i++) printf "%d,KOTA %d,%d\n", i, i, v }' >"$PKG/kota.csv"
}
kota_csv 1 300
pub "$PKG/datapackage.json"; ok $? "kueri publish: version 1 of a small package"
pub "$REPO/data/covid19-indonesia-provinsi/datapackage.kueri.json"
ok $? "kueri publish: the bundled COVID-19 province series"
pub "$REPO/data/harga-pangan-kota-bandung/datapackage.kueri.json"
ok $? "kueri publish: the bundled Bandung food prices (headers with spaces)"
pub "$CANARY_DIR/public.json"; ok $? "kueri publish: the canary package, classified public (control)"

if ! hp_start "$DB" --workers 2 --max-age 0; then
	ok 1 "nginx + kueri serve start"; done_testing; exit 1
fi
ok 0 "nginx + kueri serve start on 127.0.0.1:$PORT"
O=$BASE/odata

# ---- $metadata against the Data Package schema
get "$O/\$metadata" >/dev/null; cp "$TMP/b" "$TMP/meta.xml"
xml_valid "$TMP/meta.xml" >/dev/null; ok $? "\$metadata of published packages validates against the CSDL XSD"
props() { xmllint --xpath "//*[local-name()='EntityType' and @Name='$1']/*[local-name()='Property']" "$TMP/meta.xml" 2>/dev/null |
	sed 's/<Property /\n/g' | sed -n 's/.*Name="\([^"]*\)" Type="\([^"]*\)".*/\1:\2/p' | tr '\n' ' '; }
want=$(jq -r '.resources[] | select(.name=="covid_prov_id") | .schema.fields[] |
	"\(.name):" + ({"string":"Edm.String","integer":"Edm.Int64","number":"Edm.Double","date":"Edm.Date","boolean":"Edm.Boolean"}[.type])' \
	"$REPO/data/covid19-indonesia-provinsi/datapackage.kueri.json" | tr '\n' ' ')
is "$(props covid_prov_id)" "$want" "covid_prov_id: one Property per schema field, in order, with its EDM type"
keys=$(jq -r '.resources[] | select(.name=="covid_prov_id") | .schema.primaryKey | if type=="array" then join(",") else . end' \
	"$REPO/data/covid19-indonesia-provinsi/datapackage.kueri.json")
is "$(xmllint --xpath "//*[local-name()='EntityType' and @Name='covid_prov_id']/*[local-name()='Key']/*" "$TMP/meta.xml" 2>/dev/null |
	sed 's/<PropertyRef Name="\([^"]*\)"\/>/\1,/g' | tr -d '\n' | sed 's/,$//')" "$keys" "covid_prov_id: the Key is the schema's primaryKey"
get "$O/covid_prov_id?\$top=1" >/dev/null
is "$(jq -r '.value[0] | keys_unsorted | join(" ")' "$TMP/b")" \
	"$(props covid_prov_id | sed 's/:[^ ]*//g; s/ $//')" "a row carries exactly the \$metadata property names"
# CSV headers that are not identifiers ("Harga Kemarin"): $metadata, the
# JSON payload, $select and CSV all use the same mapped name.
H=harga_komoditas_konsumen_kota_bandung
hp=$(props $H)
like "$hp" "Harga_Kemarin:Edm.Int64" "a header with a space is exposed as an identifier in \$metadata"
get "$O/$H?\$top=1" >/dev/null
is "$(jq -r '.value[0] | keys_unsorted | join(" ")' "$TMP/b")" \
	"$(echo "$hp" | sed 's/:[^ ]*//g; s/ $//')" "its rows carry exactly the \$metadata names"
is "$(get "$O/$H?\$select=Harga_Kemarin&\$filter=Harga_Kemarin%20gt%200&\$top=1")" 200 \
	"the \$metadata name works in \$select and \$filter"
get "$O/$H?\$top=1&\$format=csv" >/dev/null
is "$(head -1 "$TMP/b" | tr -d '\r')" "$(echo "$hp" | sed 's/:[^ ]*//g; s/ $//' | tr ' ' ',')" \
	"the CSV header row uses the same names"

# ---- a publish during a stream of requests
: >"$TMP/stream"
( i=0; while [ $i -lt 120 ]; do
	curl -s -o "$TMP/sb" -w '%{http_code}\n' "$O/kota?\$top=50&\$select=id,versi" >>"$TMP/stream"
	i=$((i + 1)); done ) &
spid=$!
sleep 0.3
kota_csv 2 400; pub "$PKG/datapackage.json"; r2=$?
kota_csv 3 500; pub "$PKG/datapackage.json"; r3=$?
wait $spid
ok $((r2 + r3)) "kueri publish of versions 2 and 3 while requests stream"
is "$(sort -u "$TMP/stream" | tr '\n' ' ')" "200 " "no request failed during the publishes"
is "$(wc -l <"$TMP/stream" | tr -d ' ')" 120 "every request of the stream was answered"
get "$O/kota?\$count=true&\$top=1" >/dev/null
is "$(jq -r '."@odata.count"' "$TMP/b") $(jq -r '.value[0].versi' "$TMP/b")" "500 3" \
	"the newest version (500 rows, versi 3) is served afterwards, without restart"
get "$BASE/catalog/kota-uji" >/dev/null
is "$(jq -r '.version' "$TMP/b")" 3 "the catalog shows version 3"

# ---- the private-dataset crawl
NAME=canary_rows PKGNAME=kueri-canary SECRET=KUERI-CANARY-7f3a
crawl() {  # fetch every endpoint into $TMP/crawl/*
	rm -rf "$TMP/crawl"; mkdir -p "$TMP/crawl"
	n=0
	for u in "$O/" "$O/\$metadata" "$O/\$metadata?\$format=json" "$BASE/catalog" \
	         "$BASE/health" "$BASE/catalog/$PKGNAME" \
	         "$O/$NAME" "$O/$NAME?\$top=1" "$O/$NAME/\$count" "$O/$NAME(1)" \
	         "$O/$NAME?\$search=CANARY" "$O/$NAME?\$format=csv" \
	         "$O/kota?\$search=$SECRET" "$O/covid_prov_id?\$search=CANARY" \
	         "$O/kota?\$filter=contains(nama,'CANARY')"; do
		n=$((n + 1))
		curl -s -D "$TMP/crawl/$n.h" -o "$TMP/crawl/$n.b" "$u"
	done
}
crawl
cat "$TMP/crawl"/*.b >"$TMP/all-before"
like "$(cat "$TMP/all-before")" "$SECRET" "control: while public, the canary's values are served"
like "$(cat "$TMP/crawl/1.b")" "\"$NAME\"" "control: while public, the service document lists it"

pub "$CANARY_DIR/datapackage.json"; rc=$?
is "$rc" 1 "re-publishing the canary as private is refused (exit 1)"
like "$(cat "$TMP/publish.log")" "private" "... and says why"
sleep 1.1   # nginx's cache keeps a shared answer up to 1 s (tests/e2e/http_cache.sh)
crawl
# Requests that name the set get the same answer as for a name that never
# existed (modulo the echoed name): no "forbidden" versus "not found".
for u in "$NAME" "$NAME?\$top=1" "$NAME/\$count" "$NAME(1)"; do
	a=$(curl -s -w ' %{http_code}' "$O/$u" | sed "s/$NAME/zzzzzz_zzzz/g")
	b=$(curl -s -w ' %{http_code}' "$O/$(echo "$u" | sed "s/$NAME/zzzzzz_zzzz/")")
	is "$a" "$b" "after withdrawal, /$u answers exactly like a set that never existed"
done
# Every other body: no trace of the package name, set name, or values.
for f in "$TMP/crawl"/*.b "$TMP/crawl"/*.h; do
	case "$f" in */[789].b|*/1[0-2].b) continue ;; esac  # the URLs above name it
	cat "$f"
done >"$TMP/all-after"
unlike "$(cat "$TMP/all-after")" "$SECRET|KUERI-CANARY|$PKGNAME|$NAME|canary" \
	"no trace of the private package in the service document, \$metadata, catalog, health, searches"
for f in 7 8 9 10 11 12; do
	unlike "$(sed "s/$NAME//g" "$TMP/crawl/$f.b")" "$SECRET|KUERI-CANARY|$PKGNAME" "withdrawn set URL #$f leaks no value"
done
unlike "$(cat "$TMP/crawl"/*.h)" "$NAME|$PKGNAME" "no header names it"
is "$(curl -s "$BASE/health" | jq -r .sets)" 3 "/health counts only the public sets"

hp_stop
unlike "$(cat "$HP_LOG")" "Sanitizer|runtime error" "no sanitizer report from any kueri serve process"
done_testing
