#!/bin/sh
# What OData clients (Excel/Power Query, client libraries, browsers) send
# to the routes outside the entity-set engine, through `kueri query`
# (the same kq_route the HTTP service calls): content negotiation on every
# route (query/accept.c), /catalog/NAME as one object, and $metadata as
# valid CSDL with the facets the Table Schema knows.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 2
DB="$TMP/portal.db"
"$KUERI" publish --db "$DB" tests/data/query-fixture/datapackage.json >"$TMP/pub" 2>&1
is "$?" 0 "the query fixture publishes"

# hq ACCEPT PATH: body to $TMP/b, status and Content-Type on stdout.
hq() {
	if [ "$1" = - ]; then
		"$KUERI" query --db "$DB" --root http://kueri.test/odata/ --headers "$2" \
			>"$TMP/b" 2>"$TMP/h"
	else
		"$KUERI" query --db "$DB" --root http://kueri.test/odata/ --accept "$1" \
			--headers "$2" >"$TMP/b" 2>"$TMP/h"
	fi
	printf '%s %s' "$(sed -n 's/^Status: //p' "$TMP/h")" \
		"$(sed -n 's/^Content-Type: //p' "$TMP/h")"
}

# ---- negotiation: $metadata
is "$(hq application/xml '$metadata')" "200 application/xml" "\$metadata with Accept: application/xml is XML"
is "$(hq '*/*' '$metadata')" "200 application/xml" "\$metadata with Accept: */* is XML"
is "$(hq 'application/*' '$metadata')" "200 application/xml" "\$metadata with Accept: application/* is XML"
is "$(hq 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' '$metadata')" \
	"200 application/xml" "\$metadata with a browser's Accept is XML"
is "$(hq 'application/json;odata.metadata=minimal' '$metadata')" "200 application/json" \
	"\$metadata with Accept: application/json (with parameters) is CSDL JSON"
is "$(hq 'application/xml;q=0, */*' '$metadata')" "200 application/json" \
	"\$metadata with XML excluded by q=0 and */* is CSDL JSON"
is "$(hq 'application/xml;q=0.5, application/json;q=0.9' '$metadata')" "200 application/json" \
	"\$metadata follows the q-values"
is "$(hq 'text/csv' '$metadata')" "406 application/json;odata.metadata=minimal" \
	"\$metadata with an Accept that admits neither XML nor JSON is 406"
is "$(jq -r .error.code "$TMP/b")" NotAcceptable "the 406 carries an OData error body"

# ---- negotiation: JSON-only routes
for u in '' /catalog /health; do
	is "$(hq '*/*' "$u")" "200 $(case $u in '') echo 'application/json;odata.metadata=minimal';; *) echo application/json;; esac)" \
		"'${u:-service document}' with Accept: */* is 200"
	is "$(hq 'text/plain;q=0.5, application/*' "$u" | cut -c1-3)" 200 \
		"'${u:-service document}' with Accept: application/* is 200"
	is "$(hq 'text/csv' "$u" | cut -c1-3)" 406 "'${u:-service document}' with Accept: text/csv is 406"
done

# ---- /catalog/NAME
is "$(hq - /catalog/query-fixture | cut -c1-3)" 200 "/catalog/NAME is 200"
is "$(jq -r 'type + " " + .name' "$TMP/b")" "object query-fixture" "/catalog/NAME is the package object, not a list"
is "$(hq - /catalog/nosuch | cut -c1-3)" 404 "/catalog/UNKNOWN is 404"
is "$(jq -r '(keys|join(",")) + " " + .error.code' "$TMP/b")" "error NotFound" \
	"/catalog/UNKNOWN has the OData error body"

# ---- odata.metadata=none / full (JSON 3.1), by Accept or $format
for how in accept format; do
	for u in '' 'items?$top=1&$select=id' 'items(1)?$select=id'; do
		if [ $how = accept ]; then
			st=$(hq 'application/json;odata.metadata=none' "$u")
		else
			case "$u" in *\?*) uu="$u&" ;; *) uu="$u?" ;; esac
			st=$(hq - "${uu}\$format=application/json;odata.metadata=none")
		fi
		is "$st" "200 application/json;odata.metadata=none" \
			"odata.metadata=none by $how on '${u:-service document}': said in Content-Type"
		is "$(jq 'has("@odata.context")' "$TMP/b")" false \
			"odata.metadata=none by $how on '${u:-service document}': no @odata.context"
	done
done
for u in '' 'items?$top=1&$select=id' 'items(1)?$select=id'; do
	is "$(hq 'application/json;odata.metadata=full' "$u")" "200 application/json;odata.metadata=minimal" \
		"odata.metadata=full on '${u:-service document}' answers the level used (minimal) in Content-Type"
	is "$(jq 'has("@odata.context")' "$TMP/b")" true "... with its @odata.context"
done

# ---- the caret excerpt of an error (query/hint.c; exact hints: cases.txt)
hq - "items?\$filter=name = 'ACEH'" >/dev/null
is "$(jq -r '.error.innererror.excerpt' "$TMP/b")" "$(printf "name = 'ACEH'\n%5s^" "")" \
	"the error excerpt is the option text with a caret under position 5"
is "$(jq -r '.error | (keys_unsorted|join(",")) + " " + (.innererror|keys_unsorted|join(","))' "$TMP/b")" \
	"code,message,target,details,innererror position,excerpt,hint" \
	"one error object: code, message, target, details, innererror{position, excerpt, hint}"
is "$(jq -r 'keys|join(",")' "$TMP/b")" error "exactly one top-level member 'error'"
hq - "items?\$filter=name eq 'Jalan Ke'Rumah' and n eq 1" >/dev/null
is "$(jq -r '.error.innererror.excerpt' "$TMP/b")" \
	"$(printf "name eq 'Jalan Ke'Rumah' and n eq 1\n%18s^" "")" "the caret points at the character after the stray apostrophe"
hq - "items?\$filter=name eq 'Sélatan' and n = 1" >/dev/null
is "$(jq -r '.error.innererror.excerpt' "$TMP/b")" \
	"$(printf "name eq 'Sélatan' and n = 1\n%24s^" "")" "the caret counts characters, not bytes (é is two bytes)"
long="contains(descr,'$(head -c 120 /dev/zero | tr '\0' x)') and n = 1"
hq - "items?\$filter=$long" >/dev/null
ex=$(jq -r '.error.innererror.excerpt' "$TMP/b")
like "$ex" '^\.\.\.x+'"'"'\) and n = 1' "a long option is cut to a window around the position, marked with ..."
is "$(printf '%s' "$ex" | tail -n 1 | tr -d ' ')" "^" "... with the caret line under it"
hq - "items?\$filter=name like '%MAKMUR%'" >/dev/null
is "$(jq -r '.error.innererror | "\(.position) \(.hint)"' "$TMP/b")" \
	"11 '%' is not a wildcard in OData: use contains(name,'MAKMUR')" \
	"a '%' wildcard from an address bar: position in the text as typed, and the hint"

# ---- $metadata: Core.Description annotations, Nullable=false for required,
# valid against the OASIS CSDL XSD (tests/data/odata-csdl, offline)
mkdir -p "$TMP/ann"
printf 'kode,nama,catatan\n1,A,x\n2,B,\n' >"$TMP/ann/t.csv"
cat >"$TMP/ann/datapackage.json" <<'JSON'
{"name": "ann", "title": "Annotated & <checked>", "publisher": "Test", "classification": "public",
 "resources": [{"name": "anno", "path": "t.csv", "title": "Annotated \"set\"", "schema": {"fields": [
   {"name": "kode", "type": "integer", "title": "Kode", "description": "Nomor urut"},
   {"name": "nama", "type": "string", "description": "Nama desa", "constraints": {"required": true}},
   {"name": "catatan", "type": "string"}], "primaryKey": "kode"}}]}
JSON
"$KUERI" publish --db "$DB" "$TMP/ann/datapackage.json" >"$TMP/pub" 2>&1
is "$?" 0 "a package with titles, descriptions and a required field publishes"
hq - '$metadata' >/dev/null
CSDL=tests/data/odata-csdl
XML_CATALOG_FILES=$CSDL/catalog.xml xmllint --nonet --noout --schema "$CSDL/edmx.xsd" "$TMP/b" 2>"$TMP/xv"
ok $? "\$metadata with annotations is valid against the OASIS edmx.xsd/edm.xsd"
xp() { xmllint --xpath "$1" "$TMP/b" 2>/dev/null; }
N='local-name()'
is "$(xp "string(//*[$N='Reference']/*[$N='Include']/@Namespace)")" Org.OData.Core.V1 \
	"\$metadata references the Core vocabulary"
is "$(xp "string(//*[$N='Reference']/*[$N='Include']/@Alias)")" Core "... with the alias Core"
P="//*[$N='EntityType'][@Name='anno']"
is "$(xp "string($P/*[$N='Property'][@Name='kode']/*[@Term='Core.Description']/@String)")" Kode \
	"a field title is its Core.Description"
is "$(xp "string($P/*[$N='Property'][@Name='kode']/*[@Term='Core.LongDescription']/@String)")" "Nomor urut" \
	"... and its description, beside a title, Core.LongDescription"
is "$(xp "string($P/*[$N='Property'][@Name='nama']/*[@Term='Core.Description']/@String)")" "Nama desa" \
	"a description without a title is the Core.Description"
is "$(xp "string($P/*[$N='Property'][@Name='nama']/@Nullable)")" false "a required field is Nullable=false"
is "$(xp "string($P/*[$N='Property'][@Name='catatan']/@Nullable)")" true "an optional field is Nullable=true"
is "$(xp "count($P/*[$N='Property'][@Name='catatan']/*)")" 0 "a field with neither has no annotation"
is "$(xp "string($P/*[$N='Annotation']/@String)")" 'Annotated "set"' "the set's title annotates its EntityType (escaped)"
hq - '$metadata?$format=json' >/dev/null
is "$(jq -r '."$Reference"[]."$Include"[0] | ."$Namespace" + " " + ."$Alias"' "$TMP/b")" "Org.OData.Core.V1 Core" \
	"CSDL JSON references the Core vocabulary"
is "$(jq -r '.kueri.anno.kode | ."@Core.Description" + "|" + ."@Core.LongDescription"' "$TMP/b")" "Kode|Nomor urut" \
	"CSDL JSON carries the same annotations"
is "$(jq -r '.kueri.anno.nama."$Nullable"' "$TMP/b")" false "CSDL JSON: required is \$Nullable false"

# ---- an honest key: a resource without a primaryKey whose id repeats (as
# the bundled BPS villages do) is keyed by its row number _row
mkdir -p "$TMP/rk"
printf 'id,name\n9107182005,KAMLIN\n9107182005,KWARI\n9109070015,ANARUM\n' >"$TMP/rk/v.csv"
cat >"$TMP/rk/datapackage.json" <<'JSON'
{"name": "rk", "publisher": "Test", "classification": "public",
 "resources": [{"name": "desa", "path": "v.csv", "schema": {"fields": [
   {"name": "id", "type": "string"}, {"name": "name", "type": "string"}]}}]}
JSON
"$KUERI" publish --db "$DB" "$TMP/rk/datapackage.json" >"$TMP/pub" 2>&1
is "$?" 0 "a resource without a primaryKey and a repeated id publishes"
hq - '$metadata' >/dev/null
P="//*[local-name()='EntityType'][@Name='desa']"
is "$(xp "string($P/*[local-name()='Key']/*/@Name)")" _row "\$metadata declares the key _row, not the repeated id"
is "$(xp "string($P/*[local-name()='Property'][1]/@Name)"):$(xp "string($P/*[local-name()='Property'][1]/@Type)")" \
	"_row:Edm.Int64" "... declared first as an Edm.Int64 property"
hq - "desa?\$filter=id eq '9107182005'" >/dev/null
is "$(jq -c '[.value[] | [._row, .name]]' "$TMP/b")" '[[1,"KAMLIN"],[2,"KWARI"]]' \
	"both rows with the repeated id come back, with distinct _row values"
hq - 'desa(2)' >/dev/null
is "$(jq -c '[._row, .name]' "$TMP/b")" '[2,"KWARI"]' "desa(2) addresses the second row"
hq - 'desa(_row=3)' >/dev/null
is "$(jq -c '[._row, .name]' "$TMP/b")" '[3,"ANARUM"]' "desa(_row=3) too"
is "$(hq - "desa('9107182005')" | cut -c1-3)" 400 "the repeated id is not a key"
hq - 'desa?$orderby=_row desc&$top=1&$select=_row' >/dev/null
is "$(jq -c '.value' "$TMP/b")" '[{"_row":3}]' "_row orders and selects"
hq - 'desa?$format=csv' >/dev/null
is "$(head -1 "$TMP/b" | tr -d '\r')" "_row,id,name" "CSV carries _row"

done_testing
