#!/bin/sh
# The DCAT-AP catalog a harvesting portal reads (harvest/dcat.c):
#  - the bundled data/ packages, published into a temporary portal, give a
#    catalog that the official DCAT-AP 3.0.1 SHACL shapes
#    (tests/shacl/dcat-ap/dcat-ap-SHACL.ttl) accept with zero
#    violations, as JSON-LD and as Turtle, checked by rdf-validate-shacl
#    (tests/shacl, installed by `make deps`); a mutilated copy (a dataset
#    without dct:description, a distribution without dcat:accessURL) must
#    be refused, so the validator is known to be looking;
#  - both serialisations hold the same number of triples;
#  - content negotiation on /catalog, the .jsonld/.ttl aliases, ETag,
#    Last-Modified and 304;
#  - what the packages say arrives: frequency mapping, keywords, resource
#    descriptions, contact, temporal; and a private package planted in the
#    portal file never appears.
# Without node or the npm packages the SHACL checks are skipped with a
# message (KUERI_REQUIRE_SHACL=1 turns the skip into a failure, for CI).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

DB=$TMP/portal.db
# The official shapes ship with the tests (CC BY 4.0, tests/shacl/dcat-ap/
# SOURCE.md): a fresh clone has no ../shared next to it.
SHAPES=${DCAT_SHAPES:-$REPO/tests/shacl/dcat-ap}
for d in "$REPO"/data/*/; do
	"$KUERI" publish --db "$DB" "$d/datapackage.kueri.json" >>"$TMP/pub.log" 2>&1
done
npkg=$(sqlite3 "$DB" "SELECT count(*) FROM kueri_package")
is "$npkg" 3 "the three bundled packages are published"
hp_private_canary "$DB"   # published, then marked private (http_lib.inc)

hp_start "$DB" || { ok 1 "server starts"; done_testing; exit 1; }

st=$(get "$BASE/catalog.jsonld")
is "$st" 200 "/catalog.jsonld answers 200"
like "$(header Content-Type)" '^application/ld\+json' "JSON-LD media type"
like "$(header ETag)" '^"kd-jsonld-[0-9a-f]+"$' "JSON-LD has a strong ETag"
like "$(header Last-Modified)" 'GMT$' "JSON-LD has Last-Modified"
etag=$(header ETag)
cp "$TMP/b" "$TMP/cat.jsonld"
jq -e . "$TMP/cat.jsonld" >/dev/null; ok $? "JSON-LD is JSON"
is "$(jq '[."@graph"[] | select(."@type" | index("dcat:Dataset"))] | length' "$TMP/cat.jsonld")" 3 \
	"one dcat:Dataset per public package"
is "$(jq -r '."@context" | type' "$TMP/cat.jsonld")" object "the @context is inline (no fetch needed)"
# landingPage: the dataset's page for people, which answers HTML
is "$(jq '[."@graph"[] | select(."@type" | index("dcat:Dataset")) | select(."dcat:landingPage"[0]."@id" != null)] | length' "$TMP/cat.jsonld")" 3 \
	"every dcat:Dataset has a dcat:landingPage"
lp=$(jq -r '[."@graph"[] | select(."@type" | index("dcat:Dataset"))][0]."dcat:landingPage"[0]."@id"' "$TMP/cat.jsonld")
lpb=$(curl -s -H 'Accept: text/html' "$lp")
like "$lpb" '<table' "the landing page answers an HTML table ($lp)"

st=$(get "$BASE/catalog" -H 'Accept: application/ld+json')
is "$st" 200 "/catalog with Accept: application/ld+json answers 200"
like "$(header Content-Type)" '^application/ld\+json' "... as JSON-LD"
cmp -s "$TMP/b" "$TMP/cat.jsonld"; ok $? "... the same document as /catalog.jsonld"
st=$(get "$BASE/catalog.jsonld" -H "If-None-Match: $etag")
is "$st" 304 "If-None-Match with the ETag → 304"

st=$(get "$BASE/catalog" -H 'Accept: text/turtle')
is "$st" 200 "/catalog with Accept: text/turtle answers 200"
like "$(header Content-Type)" '^text/turtle' "... as Turtle"
cp "$TMP/b" "$TMP/cat.ttl"
st=$(get "$BASE/catalog.ttl")
is "$st" 200 "/catalog.ttl answers 200"
cmp -s "$TMP/b" "$TMP/cat.ttl"; ok $? "... the same document as negotiated"
like "$(header ETag)" '^"kd-ttl-' "Turtle has its own ETag"

st=$(get "$BASE/catalog")
is "$st" 200 "/catalog without Accept stays the JSON catalog"
is "$(jq -r 'type' "$TMP/b")" array "... an array of packages, as before"
like "$(header ETag)" '^"c-[0-9a-f]+"$' "... now with an ETag"
like "$(header Last-Modified)" 'GMT$' "... and Last-Modified"
vd=$(jq -r '.[] | select(.name == "wilayah-administratif-indonesia-bps-2018")
	| .resources[] | select(.name == "villages") | .description' "$TMP/b")
like "$vd" '.{10,}' "the JSON catalog carries a resource description"
fd=$(jq -r '[.[].resources[].fields[] | select(.description != null)] | length' "$TMP/b")
[ "$fd" -ge 1 ]; ok $? "the JSON catalog carries field descriptions ($fd)"

# What the packages say, in the graph.
freq() {  # freq NAME: the accrualPeriodicity IRI of dataset NAME
	jq -r --arg n "$1" '."@graph"[] | select(."@id" | endswith("/catalog/" + $n))
		| ."dct:accrualPeriodicity"[0]."@id"' "$TMP/cat.jsonld"
}
is "$(freq covid19-indonesia-provinsi-harian)" \
	http://publications.europa.eu/resource/authority/frequency/DAILY "P1D → DAILY"
is "$(freq wilayah-administratif-indonesia-bps-2018)" \
	http://publications.europa.eu/resource/authority/frequency/ANNUAL "P1Y → ANNUAL"
grep -qF "$(printf '%s' "$vd" | cut -c1-40)" "$TMP/cat.jsonld"; ok $? "the resource description reaches its distribution"
grep -q 'dcat:downloadURL' "$TMP/cat.ttl" && grep -q 'text/csv' "$TMP/cat.ttl"; ok $? "CSV distributions with downloadURL and text/csv"
grep -q 'odata/odata/v4.01' "$TMP/cat.ttl"; ok $? "OData distributions conform to OData"
grep -q 'vcard:hasEmail <mailto:' "$TMP/cat.ttl"; ok $? "contact points with an email"
grep -q 'dcat:startDate' "$TMP/cat.ttl"; ok $? "temporal coverage"
grep -q 'data-theme/' "$TMP/cat.ttl"; ok $? "themes from the keyword table"
for u in $(jq -r '."@graph"[] | ."dcat:downloadURL"[]?."@id"' "$TMP/cat.jsonld" | head -3); do
	is "$(curl -s -o /dev/null -w '%{http_code}' "$u")" 200 "downloadURL answers: ${u#$BASE}"
done
for f in "$TMP/cat.jsonld" "$TMP/cat.ttl"; do
	grep -qi canary "$f"; is $? 1 "the private package is absent from $(basename "$f")"
done

# The official shapes.
CHECK=$REPO/tests/shacl/check.mjs
if command -v node >/dev/null 2>&1 && [ -d "$REPO/tests/shacl/node_modules/rdf-validate-shacl" ]; then
	node "$CHECK" jsonld "$TMP/cat.jsonld" "$SHAPES/dcat-ap-SHACL.ttl" >"$TMP/v1" 2>&1; rc=$?
	is "$rc" 0 "JSON-LD: DCAT-AP 3.0.1 shapes report zero violations"
	[ "$rc" -eq 0 ] || sed 's/^/#   /' "$TMP/v1" | head -20
	node "$CHECK" turtle "$TMP/cat.ttl" "$SHAPES/dcat-ap-SHACL.ttl" >"$TMP/v2" 2>&1; rc=$?
	is "$rc" 0 "Turtle: DCAT-AP 3.0.1 shapes report zero violations"
	[ "$rc" -eq 0 ] || sed 's/^/#   /' "$TMP/v2" | head -20
	t1=$(sed -n 's/.*triples=//p' "$TMP/v1"); t2=$(sed -n 's/.*triples=//p' "$TMP/v2")
	[ -n "$t1" ] && [ "$t1" -gt 100 ] && [ "$t1" = "$t2" ]; ok $? "JSON-LD and Turtle hold the same triples ($t1 / $t2)"
	jq '."@graph" |= map(if (."@type" | index("dcat:Dataset")) then del(."dct:description")
		elif (."@type" | index("dcat:Distribution")) then del(."dcat:accessURL") else . end)' \
		"$TMP/cat.jsonld" >"$TMP/bad.jsonld"
	node "$CHECK" jsonld "$TMP/bad.jsonld" "$SHAPES/dcat-ap-SHACL.ttl" >"$TMP/v3" 2>&1; rc=$?
	is "$rc" 1 "control: a catalog missing mandatory properties is refused"
	like "$(cat "$TMP/v3")" 'description: Less than 1' "... naming dct:description"
	like "$(cat "$TMP/v3")" 'accessURL: Less than 1' "... and dcat:accessURL"
	echo "# shacl: $(tail -1 "$TMP/v1")"
elif [ "${KUERI_REQUIRE_SHACL:-0}" = 1 ]; then
	ok 1 "SHACL validation: node or tests/shacl/node_modules missing (run make deps)"
else
	echo "# SKIP shacl: node or tests/shacl/node_modules missing (make deps installs them)"
	echo "ok $((TAP_N + 1)) # SKIP DCAT-AP SHACL validation: validator not installed"
	TAP_N=$((TAP_N + 1))
fi
done_testing
