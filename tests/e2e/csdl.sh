#!/bin/sh
# $metadata as the OASIS schemas define it, on several portals:
#  - the bundled packages (data/*: the BPS villages without a primaryKey,
#    COVID-19 by province, Bandung food prices), the query fixture, and a
#    package made here with every Table Schema type kueri serves (string,
#    integer, number, Decimal, boolean, date, datetime, time, year,
#    yearmonth, duration, geopoint), titles and descriptions on package,
#    resource and fields, required fields, a composite primaryKey, names
#    that need mapping, and maxLength constraints;
#  - CSDL JSON ($format=json, and Accept: application/json) validated
#    against the OASIS csdl.schema.json by ajv (tests/csdl, pinned, installed
#    by `make deps`); deliberately broken copies must be refused, so the
#    validator is known to be looking;
#  - CSDL XML validated against the OASIS edmx.xsd/edm.xsd by xmllint;
#  - MaxLength from a string's constraints.maxLength, in XML and JSON alike,
#    kept by the portal (absent without maxLength, and for maxLength 0,
#    which CSDL JSON cannot say).
# Without node or tests/csdl/node_modules the JSON checks are skipped with a
# message (KUERI_REQUIRE_CSDL=1 turns the skip into a failure, for CI).
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 2
CSDL=tests/data/odata-csdl
CHECK=tests/csdl/check.mjs
have_ajv=0
command -v node >/dev/null 2>&1 && [ -d tests/csdl/node_modules/ajv ] && have_ajv=1

# meta DB ACCEPT|- QUERY OUT: $metadata of portal DB into OUT; prints the
# status and Content-Type.
meta() {
	if [ "$2" = - ]; then
		"$KUERI" query --db "$1" --root http://kueri.test/odata/ --headers "$3" >"$4" 2>"$TMP/h"
	else
		"$KUERI" query --db "$1" --root http://kueri.test/odata/ --accept "$2" \
			--headers "$3" >"$4" 2>"$TMP/h"
	fi
	printf '%s %s' "$(sed -n 's/^Status: //p' "$TMP/h")" "$(sed -n 's/^Content-Type: //p' "$TMP/h")"
}

# valid_json FILE DESCRIPTION: ajv against the OASIS schema.
valid_json() {
	if [ "$have_ajv" = 1 ]; then
		node "$CHECK" "$CSDL/csdl.schema.json" "$1" >"$TMP/v" 2>&1
		is "$?" 0 "$2"
		sed 's/^/#   /' "$TMP/v" | grep -v '^#   ok ' | head -12
	elif [ "${KUERI_REQUIRE_CSDL:-0}" = 1 ]; then
		ok 1 "$2: node or tests/csdl/node_modules missing (run make deps)"
	else
		skip "$2: node or tests/csdl/node_modules missing (make deps installs them)"
	fi
}

# ---- the every-type package
mkdir -p "$TMP/all"
cat >"$TMP/all/r.csv" <<'CSV'
kode,nama,Harga Kemarin,harga,jumlah,aktif,tanggal,waktu,jam,tahun,bulan,lama,lokasi,kosong
A1,Makmur Jaya,12500.5,12500.50,3,true,2024-01-15,2024-01-15T08:30:00,08:30:00,2024,2024-01,P1DT2H,"106.8,-6.2",
B2,Lhok Pu'uk,,,0,false,2023-12-31,2023-12-31T23:59:59+09:00,23:59:59,2023,2023-12,P1M,"119.4,-5.1",
CSV
printf 'catatan,nilai\nsatu,1.5\ndua,\n' >"$TMP/all/log.csv"
cat >"$TMP/all/datapackage.json" <<'JSON'
{"name": "semua-tipe", "title": "Every type", "description": "Every Table Schema type kueri serves",
 "publisher": "Test", "classification": "public", "kueri:timezone": "WITA",
 "resources": [
  {"name": "rekap", "path": "r.csv", "title": "Rekap & <ringkasan>", "description": "Satu baris per kode",
   "schema": {"fields": [
    {"name": "kode", "type": "string", "title": "Kode", "description": "Kode unik",
     "constraints": {"required": true, "maxLength": 8}},
    {"name": "nama", "type": "string", "description": "Nama \"lengkap\"", "constraints": {"maxLength": 60}},
    {"name": "Harga Kemarin", "type": "number"},
    {"name": "harga", "type": "number", "kueri:decimal": true},
    {"name": "jumlah", "type": "integer", "constraints": {"required": true}},
    {"name": "aktif", "type": "boolean"},
    {"name": "tanggal", "type": "date"},
    {"name": "waktu", "type": "datetime"},
    {"name": "jam", "type": "time"},
    {"name": "tahun", "type": "year"},
    {"name": "bulan", "type": "yearmonth"},
    {"name": "lama", "type": "duration"},
    {"name": "lokasi", "type": "geopoint"},
    {"name": "kosong", "type": "string", "constraints": {"maxLength": 0}}],
    "primaryKey": ["kode", "tahun"]}},
  {"name": "log", "path": "log.csv",
   "schema": {"fields": [{"name": "catatan", "type": "string"}, {"name": "nilai", "type": "number"}]}}]}
JSON
"$KUERI" publish --db "$TMP/all.db" "$TMP/all/datapackage.json" >"$TMP/pub" 2>&1
is "$?" 0 "a package with every type, descriptions, maxLength and required fields publishes"

# ---- the bundled packages in one portal, the query fixture in another
# (data/inventaris-kota-sukamaju is an inventory, not a dataset to publish.)
for d in data/covid19-indonesia-provinsi data/harga-pangan-kota-bandung \
         data/wilayah-administratif-bps-2018; do
	dp=$d/datapackage.kueri.json
	"$KUERI" publish --db "$TMP/bundled.db" "$dp" >"$TMP/pub" 2>&1
	is "$?" 0 "bundled $(basename "$d") publishes"
done
"$KUERI" publish --db "$TMP/fixture.db" tests/data/query-fixture/datapackage.json >"$TMP/pub" 2>&1
is "$?" 0 "the query fixture publishes"

# ---- every portal: XML valid, JSON valid by $format and by Accept
for p in all bundled fixture; do
	db=$TMP/$p.db
	is "$(meta "$db" - '$metadata' "$TMP/$p.xml")" "200 application/xml" "$p: \$metadata is XML"
	XML_CATALOG_FILES=$CSDL/catalog.xml xmllint --nonet --noout --schema "$CSDL/edmx.xsd" \
		"$TMP/$p.xml" 2>"$TMP/xv"
	ok $? "$p: CSDL XML is valid against the OASIS edmx.xsd/edm.xsd"
	grep -v validates "$TMP/xv" | sed 's/^/#   /' | head -5
	is "$(meta "$db" - '$metadata?$format=json' "$TMP/$p.json")" "200 application/json" \
		"$p: \$metadata?\$format=json is JSON"
	valid_json "$TMP/$p.json" "$p: CSDL JSON (\$format=json) is valid against the OASIS csdl.schema.json"
	is "$(meta "$db" application/json '$metadata' "$TMP/$p.accept.json")" "200 application/json" \
		"$p: \$metadata with Accept: application/json is JSON"
	cmp -s "$TMP/$p.json" "$TMP/$p.accept.json"
	ok $? "$p: the same CSDL JSON by Accept as by \$format"
	# As many entity types in JSON as in XML, each with the same properties.
	is "$(jq -r '.kueri | to_entries[] | select(.value."$Kind" == "EntityType") |
		.key + ":" + ([.value | keys_unsorted[] | select(startswith("$") or startswith("@") | not)] | join(","))' \
		"$TMP/$p.json" | sort | tr '\n' ' ')" \
		"$(xmllint --xpath "//*[local-name()='EntityType']" "$TMP/$p.xml" 2>/dev/null |
			sed 's/<EntityType Name="/\n&/g' | sed -n 's/^<EntityType Name="\([^"]*\)".*/\1/p' | sort |
			while read -r t; do
				printf '%s:%s\n' "$t" "$(xmllint --xpath "//*[local-name()='EntityType'][@Name='$t']/*[local-name()='Property']/@Name" \
					"$TMP/$p.xml" 2>/dev/null | sed -n 's/^ *Name="\([^"]*\)"$/\1/p' | paste -sd, -)"
			done | tr '\n' ' ')" \
		"$p: CSDL JSON and XML declare the same entity types and properties"
done

# ---- MaxLength, in both representations
X='//*[local-name()="EntityType"][@Name="rekap"]/*[local-name()="Property"]'
xa() { xmllint --xpath "string($X[@Name='$1']/@$2)" "$TMP/all.xml" 2>/dev/null; }
is "$(xa kode MaxLength)/$(xa nama MaxLength)" "8/60" "XML: MaxLength from constraints.maxLength"
is "$(xa jumlah MaxLength)/$(xa Harga_Kemarin MaxLength)" "/" "XML: no MaxLength without maxLength"
is "$(xa kosong MaxLength)" "" "XML: no MaxLength for maxLength 0 (CSDL JSON's MaxLength is at least 1)"
is "$(jq -c '.kueri.rekap | [.kode."$MaxLength", .nama."$MaxLength", .jumlah."$MaxLength", .kosong."$MaxLength"]' "$TMP/all.json")" \
	"[8,60,null,null]" "JSON: \$MaxLength 8 and 60; none without maxLength or for 0"
is "$(xa kode Nullable)/$(xa jumlah Nullable)/$(xa nama Nullable)" "false/false/true" \
	"XML: required and key fields are Nullable=false"
is "$(jq -r '.kueri.rekap | [.kode, .jumlah, .nama] | map(."$Nullable" | tostring) | join("/")' "$TMP/all.json")" \
	"false/false/true" "JSON: the same \$Nullable"
is "$(jq -r '.kueri.rekap | [.harga."$Type", .harga."$Scale", .lokasi."$Type", .lama."$Type", .waktu."$Type", .tanggal."$Type", .jam."$Type"] | join(" ")' "$TMP/all.json")" \
	"Edm.Decimal variable Edm.GeographyPoint Edm.Duration Edm.DateTimeOffset Edm.Date Edm.TimeOfDay" \
	"JSON: the types of every kind of field"
is "$(jq -c '.kueri.rekap."$Key"' "$TMP/all.json")" '["kode","tahun"]' "JSON: the composite primaryKey is the key"
is "$(jq -r '.kueri.rekap."Harga_Kemarin"."$Type"' "$TMP/all.json")" Edm.Double \
	"JSON: a name with a space is mapped to an identifier"
is "$(jq -r '.kueri.rekap.nama."@Core.Description"' "$TMP/all.json")" 'Nama "lengkap"' \
	"JSON: a field description is its Core.Description"
is "$(jq -c '.kueri.villages."$Key"' "$TMP/bundled.json")" '["_row"]' \
	"JSON: the BPS villages (no primaryKey) are keyed by _row"

# The portal keeps maxLength: what $metadata says comes from the file.
is "$(sqlite3 "$TMP/all.db" "SELECT fields FROM kueri_resource WHERE name='rekap'" |
	jq -c '[.[] | select(.maxLength) | [.name, .maxLength]]')" '[["kode",8],["nama",60]]' \
	"the portal's field metadata keeps maxLength (strings with maxLength >= 1 only)"

# ---- the validator is looking: broken copies are refused
if [ "$have_ajv" = 1 ]; then
	n=0
	for mut in '.kueri.rekap.kode."$MaxLength" = 0' \
	           '.kueri.rekap.kode."$MaxLength" = "8"' \
	           '.kueri.rekap."$Key" = "kode"' \
	           '.kueri.rekap.kode."$Nullable" = "false"' \
	           '."$Version" = "4.1"' \
	           '.kueri.Container."$Kind" = "Container"' \
	           '.kueri["bad name"] = .kueri.rekap'; do
		n=$((n + 1))
		jq "$mut" "$TMP/all.json" >"$TMP/bad$n.json"
		node "$CHECK" "$CSDL/csdl.schema.json" "$TMP/bad$n.json" >"$TMP/v" 2>&1
		is "$?" 1 "control: a copy with $mut is refused"
	done
	like "$(node "$CHECK" "$CSDL/csdl.schema.json" "$TMP/bad1.json")" 'kode/\$MaxLength must be >= 1' \
		"... and the message points at the property"
	printf '{"$Version": ' >"$TMP/trunc.json"
	node "$CHECK" "$CSDL/csdl.schema.json" "$TMP/trunc.json" >/dev/null 2>&1
	is "$?" 2 "control: a document that is not JSON is an error, not a pass"
else
	skip "broken CSDL JSON copies: node or tests/csdl/node_modules missing"
fi

done_testing
