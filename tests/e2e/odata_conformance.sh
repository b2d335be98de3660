#!/bin/sh
# OData conformance through real nginx + kueri serve, rule by rule as
# ../shared/ODATA.md and OData 4.01 (URL Conventions, Protocol, JSON
# Format, Data Aggregation, the OASIS ABNF) state them -- the way an
# outside client sees the service: status codes, the headers every answer
# carries, the error body, context URLs, paging with Prefer, and the
# places where 4.01 is more liberal than 4.0 (case of literals,
# unprefixed preferences).  Expected values come from the specs and from
# sqlite3 over the published tables, never from kueri's own output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

DB=$TMP/portal.db
hp_publish "$DB" "$REPO/tests/data/query-fixture/datapackage.json"
hp_fixture "$DB"
T=$(sqlite3 "$DB" "SELECT tbl FROM kueri_resource WHERE name = 'items'")
case $T in t[0-9]*) ;; *) T=missing_items_table ;; esac
sq() { sqlite3 "$DB" "$1"; }

if ! hp_start "$DB" --workers 1 --max-age 0; then
	ok 1 "nginx + kueri serve start"; done_testing; exit 1
fi
ok 0 "nginx + kueri serve start on 127.0.0.1:$PORT"
O=$BASE/odata
NITEMS=$(sq "SELECT count(*) FROM $T")

# odata_error STATUS DESCRIPTION: the last answer is STATUS with the OData
# error body (JSON 21, PROT 9.4: exactly one member "error", non-empty
# code and message) and the OData JSON content type.
odata_error() {
	is "$ST" "$1" "$2: $1"
	is "$(jq -r '[(keys | length), (.error.code | length > 0),
		(.error.message | length > 0)] | map(tostring) | join(" ")' "$TMP/b" 2>/dev/null)" \
		"1 true true" "$2: one member 'error' with a code and a message"
	like "$(header Content-Type)" '^application/json' "$2: JSON error body"
	is "$(header OData-Version)" 4.0 "$2: OData-Version 4.0"
}

# ---- $count (PROT 11.2.6.5; ABNF inlinecount = "$count" EQ boolean)
ST=$(get "$O/items?\$count=TRUE&\$top=1&\$select=id")
is "$ST" 200 "\$count=TRUE is 200 (ABNF \"true\" matches in any case)"
is "$(jq -r '."@odata.count"' "$TMP/b")" "$NITEMS" "\$count=TRUE counts every row, not the page"
ST=$(get "$O/items?\$count=False&\$top=1&\$select=id")
is "$ST" 200 "\$count=False is 200"
is "$(jq -r 'has("@odata.count")' "$TMP/b")" false "\$count=False gives no @odata.count"
ST=$(get "$O/items?\$count=yes")
odata_error 400 "\$count=yes"

# ---- paging preferences (PROT 8.2.8.5 maxpagesize, 4.0 odata.maxpagesize)
ST=$(get "$O/items?\$select=id&\$orderby=id" -H 'Prefer: maxpagesize=2')
is "$ST" 200 "Prefer: maxpagesize=2 (4.01 spelling) is 200"
is "$(jq -r '.value | length' "$TMP/b")" 2 "... and pages by 2"
is "$(header Preference-Applied)" "maxpagesize=2" "... and Preference-Applied answers in the client's spelling"
like "$(jq -r '."@odata.nextLink"' "$TMP/b")" '\$skiptoken=' "... with a nextLink"
ST=$(get "$O/items?\$select=id&\$orderby=id" -H 'Prefer: odata.maxpagesize=3')
is "$(header Preference-Applied)" "odata.maxpagesize=3" "Prefer: odata.maxpagesize=3 → Preference-Applied: odata.maxpagesize=3"
is "$(jq -r '.value | length' "$TMP/b")" 3 "... and pages by 3"
ST=$(get "$O/items?\$select=id&\$orderby=id" -H 'Prefer: return=minimal, odata.maxpagesize="4"')
is "$(jq -r '.value | length' "$TMP/b")" 4 "a quoted value among other preferences (RFC 7240) pages by 4"
is "$(header Preference-Applied)" "odata.maxpagesize=4" "... and is acknowledged"

# ---- $compute (URL 4.01 5.1.3): computed properties are in the result
ST=$(get "$O/items?\$compute=n%20mul%202%20as%20dbl&\$filter=id%20eq%201")
is "$ST" 200 "\$compute without \$select is 200"
is "$(jq -r '.value[0].dbl' "$TMP/b")" "$(sq "SELECT c3 * 2 FROM $T WHERE c0 = 1")" \
	"the computed property is in the default selection"
ST=$(get "$O/items?\$compute=n%20mul%202%20as%20dbl&\$select=*&\$filter=id%20eq%201")
is "$(jq -r '.value[0] | has("dbl") and has("name")' "$TMP/b")" true \
	"\$select=* includes the computed property (MUST)"
is "$(jq -r '."@odata.context"' "$TMP/b")" "$O/\$metadata#items(*)" "... context #items(*)"

# ---- $format on the service document and $metadata (PROT 11.1; ABNF
# format = "atom" / "json" / "xml" / media type): what is not offered is a
# 406 with the OData error body, never another format than asked
ST=$(get "$O/?\$format=json")
is "$ST" 200 "service document \$format=json is 200"
ST=$(get "$O/?\$format=xml")
odata_error 406 "service document \$format=xml"
ST=$(get "$O/\$metadata?\$format=xml")
is "$ST $(header Content-Type)" "200 application/xml" "\$metadata?\$format=xml is CSDL XML"
ST=$(get "$O/\$metadata?\$format=JSON")
is "$ST $(header Content-Type)" "200 application/json" "\$metadata?\$format=JSON is CSDL JSON (any case)"
ST=$(get "$O/\$metadata?\$format=atom")
odata_error 406 "\$metadata?\$format=atom"
ST=$(get "$O/items?\$format=atom")
odata_error 406 "a collection with \$format=atom"
ST=$(get "$O/\$metadata?\$top=1")
odata_error 400 "\$metadata?\$top=1 (ABNF metadataOptions: \$format and custom options only)"
ST=$(get "$O/\$metadata?custom=1")
is "$ST $(header Content-Type)" "200 application/xml" "\$metadata ignores a custom option"

# ---- OData-Version / OData-MaxVersion (PROT 8.2.6, 8.2.7, 12.1.1: conform
# to OData-MaxVersion or fail the request).  Answers here are OData 4.0.
ST=$(get "$O/items?\$top=1&\$select=id" -H 'OData-MaxVersion: 4.0' -H 'OData-Version: 4.0')
is "$ST $(header OData-Version)" "200 4.0" "OData-MaxVersion: 4.0 → 200, OData-Version 4.0"
ST=$(get "$O/items?\$top=1&\$select=id" -H 'OData-MaxVersion: 4.01' -H 'OData-Version: 4.01')
is "$ST $(header OData-Version)" "200 4.0" "OData-MaxVersion: 4.01 → 200, OData-Version 4.0 (≤ the maximum)"
ST=$(get "$O/items?\$top=1&\$select=id" -H 'OData-MaxVersion: 3.0')
odata_error 400 "OData-MaxVersion: 3.0 (a 4.0 answer would be above it)"
ST=$(get "$O/" -H 'OData-MaxVersion: 2.0')
odata_error 400 "service document with OData-MaxVersion: 2.0"
ST=$(get "$O/\$metadata" -H 'OData-MaxVersion: 3.0')
odata_error 400 "\$metadata with OData-MaxVersion: 3.0"
ST=$(get "$O/items" -H 'OData-MaxVersion: four')
odata_error 400 "a malformed OData-MaxVersion"
ST=$(get "$O/items?\$top=1" -H 'OData-Version: 3.0')
odata_error 400 "a request in OData-Version 3.0"
ST=$(get "$BASE/catalog" -H 'OData-MaxVersion: 3.0')
is "$ST" 200 "the catalog (not OData) ignores OData-MaxVersion"

# ---- resources OData defines that this service lacks: 501, not 404
# (PROT 12.1.1 item 7: follow the spec or answer 501)
for r in '$batch' '$crossjoin(items,codes)' '$all' '$entity?$id=items(1)'; do
	ST=$(get "$O/$r")
	odata_error 501 "GET $r"
done
ST=$(get "$O/\$nosuch")
odata_error 404 "an unknown \$ segment"

# ---- key lookups and individual properties (PROT 11.2.4.1, JSON 10.16)
ST=$(get "$O/items(1)")
is "$ST $(jq -r '."@odata.context"' "$TMP/b")" "200 $O/\$metadata#items/\$entity" "items(1): the entity, context #items/\$entity"
ST=$(get "$O/items(1)/name")
is "$ST" 200 "items(1)/name is 200"
is "$(jq -c . "$TMP/b")" "{\"@odata.context\":\"$O/\$metadata#items(1)/name\",\"value\":\"$(sq "SELECT c1 FROM $T WHERE c0 = 1")\"}" \
	"... {\"@odata.context\": ...#items(1)/name, \"value\": the cell}"
ST=$(get "$O/items(1)/name/\$value")
is "$ST $(header Content-Type)" "200 text/plain;charset=utf-8" "items(1)/name/\$value is text/plain"
is "$(body)" "$(sq "SELECT c1 FROM $T WHERE c0 = 1")" "... the raw value"
nullid=$(sq "SELECT c0 FROM $T WHERE c2 IS NULL ORDER BY c0 LIMIT 1")
ST=$(get "$O/items($nullid)/city")
is "$ST $(wc -c <"$TMP/b" | tr -d ' ')" "204 0" "a null property is 204 No Content, no body"
ST=$(get "$O/items(1)/nosuch")
odata_error 404 "an unknown property"
ST=$(get "$O/items(1)/name?\$top=1")
odata_error 400 "\$top on a property"

done_testing
