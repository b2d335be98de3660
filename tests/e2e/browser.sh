#!/bin/bash
# browser.sh -- the portal in a real browser, against the real service:
# the bundled datasets (data/) published into a fresh portal, plus a
# hostile-values set, served by nginx + `kueri serve` (tests/e2e/
# http_lib.inc, nginx/kueri.conf as shipped), loaded in Debian's headless
# Chromium driven by playwright-core pinned in tests/browser/.
#
# tests/browser/check.mjs checks every page as a person sees it (DOM,
# policy, no script ran, no console error, no request leaving the server,
# no sideways scroll on a phone) and clicks through the issue's two
# questions from `/` without typing OData:
#   "how many villages per province?"   villages → Summarise count rows per
#                                       id, first 2 characters (BPS code)
#   "which days had more than 10,000 new cases?"  covid → Summarise sum of
#                                       new_cases per date → filter > 10000
# and then asks the URL each path ends on for JSON, as a program would.
# Besides the browser: negotiation and caching through nginx (a browser
# gets HTML, curl and OData clients JSON, and the cache never serves one
# to the other: Vary: Accept), html/go, GeoJSON, the CSV BOM, and the SVG
# charts and GeoJSON of test_html's fixtures as other tools read them.
# Screenshots: $KUERI_BUILD/browser/NAME-{desktop,mobile}.png (not committed).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"
. "$(dirname "$0")/browser_lib.inc"
BUILD=${KUERI_BUILD:-$REPO/build}
KUERI=${KUERI:-$BUILD/kueri}
OUT=$BUILD/browser
mkdir -p "$OUT" "$TMP/site"
rm -f "$OUT"/*.png

# ---- the renderers' fixtures as other tools read them --------------------
"$BUILD/tests/test_html" "$TMP/site" >"$TMP/render.tap" 2>&1
ok $? "test_html renders the fixture pages into a directory"
for f in chart-bar chart-line; do
	out=$(xmllint --noout "$TMP/site/$f.svg" 2>&1)
	ok $? "$f.svg is well-formed XML${out:+: $out}"
done
is "$(jq -c '[.features[] | .geometry.coordinates // null]' "$TMP/site/desa.geojson")" \
	'[[106.8,-6.2],[112.75,-7.25],null,[0,0],null]' \
	"desa.geojson positions are [lon, lat] (the portal stores \"lat,lon\")"

# ---- a portal: the bundled datasets and a hostile one --------------------
DB=$TMP/portal.db
for pkg in "$REPO"/data/*/datapackage.kueri.json; do
	KUERI_NO_PROGRESS=1 "$KUERI" publish --db "$DB" "$pkg" >"$TMP/pub.log" 2>&1
	ok $? "publish $(basename "$(dirname "$pkg")")"
done
# Hostile values, published like any package (tests/data/hostile/):
# titles, a column title, cells and uri-like cells that try to break out.
# (Its fifth row's location is empty: a stored malformed geopoint cannot
# be published; test_html's desa.geojson fixture covers that case.)
KUERI_NO_PROGRESS=1 "$KUERI" publish --db "$DB" \
	"$REPO/tests/data/hostile/datapackage.json" >"$TMP/pub.log" 2>&1
ok $? "a hostile-values set published into the portal"

hp_start "$DB" --max-age 60 || { ok 1 "server starts"; done_testing; exit; }
ok 0 "nginx + kueri serve on $BASE"
BROWSER_ACCEPT='text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'

# ---- negotiation and the cache -------------------------------------------
U="$BASE/odata/covid_prov_id?\$top=2"
is "$(get "$U" -H "Accept: $BROWSER_ACCEPT")|$(header Content-Type)" \
	"200|text/html; charset=utf-8" "a browser's Accept gets the HTML page"
case ", $(header Vary)," in *", Accept,"*) ok 0 "HTML answers carry Vary: Accept" ;;
	*) ok 1 "HTML answers carry Vary: Accept (got '$(header Vary)')" ;; esac
case "$(header Content-Security-Policy)" in "default-src 'none';"*) ok 0 "HTML answers carry the CSP" ;;
	*) ok 1 "HTML answers carry the CSP (got '$(header Content-Security-Policy)')" ;; esac
is "$(header Referrer-Policy)" "no-referrer" "HTML answers carry Referrer-Policy: no-referrer"
# The same URL again, now cacheable in nginx: JSON clients get JSON.
for acc in "*/*" "application/json" ""; do
	st=$(get "$U" ${acc:+-H "Accept: $acc"})
	is "$st|$(header Content-Type)|$(head -c 1 "$TMP/b")" \
		"200|application/json;odata.metadata=minimal|{" \
		"the same URL after a browser asked: Accept '${acc:-none}' gets JSON (cache: $(header X-Cache-Status))"
done
# nginx keeps an answer only until the end of the second it was made in
# (docs/serving.md, "Caching") and stores a URL's answer from its second
# use on (fastcgi_cache_min_uses 2), so browser, JSON client, browser are
# asked back to back on one connection (one curl, --next), again while a
# second boundary falls between them or the variants are not stored yet:
# the last must be the HTML variant, served from the cache.
for try in $(seq 1 15); do
	trio=$(curl -s -o /dev/null -w '%header{content-type}|' -H "Accept: $BROWSER_ACCEPT" "$U" \
		--next -s -o /dev/null -w '%header{content-type}|' -H "Accept: application/json" "$U" \
		--next -s -o /dev/null -w '%header{content-type}|%header{x-cache-status}' -H "Accept: $BROWSER_ACCEPT" "$U")
	case "$trio" in *"|HIT") break ;; esac
done
is "${trio#*|}" \
	"application/json;odata.metadata=minimal|text/html; charset=utf-8|HIT" \
	"and a browser gets its HTML back from the cache (a JSON client asked in between; try $try)"
is "$(get "$BASE/odata/" -H 'Accept: application/json')|$(header Content-Type)" \
	"200|application/json;odata.metadata=minimal" "/odata/ is the service document for a program"
is "$(get "$BASE/odata/" -H "Accept: $BROWSER_ACCEPT")|$(header Content-Type)" \
	"200|text/html; charset=utf-8" "/odata/ is the front page for a browser"
is "$(get "$BASE/odata/covid_prov_id?\$top=1&\$format=html")|$(header Content-Type)" \
	"200|text/html; charset=utf-8" "\$format=html asks for the page without Accept"
is "$(get "$BASE/odata/nope" -H "Accept: $BROWSER_ACCEPT")|$(header Content-Type)" \
	"404|text/html; charset=utf-8" "an unknown set is a 404 page for a browser"
is "$(get "$BASE/odata/nope")|$(jq -r .error.code "$TMP/b")" "404|NotFound" \
	"and the OData error JSON for everyone else"
st=$(get "$BASE/html/go?set=covid_prov_id&keep=%24top%3D5&%24filter=province+eq+%27Aceh%27&col=new_cases&op=gt&val=10")
is "$st|$(header Location)" \
	"303|/odata/covid_prov_id?\$top=5&\$filter=%28province%20eq%20%27Aceh%27%29%20and%20new_cases%20gt%2010" \
	"html/go: the form (+ as space, builder and-ed) becomes the OData URL"
is "$(get "$BASE/html/go?set=x&col=a%20b&op=gt&val=1")" 400 "html/go: a column that is not a name is 400"
is "$(get "$BASE/odata/desa_x?\$format=geojson")|$(header Content-Type)|$(jq -c '[.type, (.features|length), .features[0].geometry.coordinates]' "$TMP/b")" \
	'200|application/geo+json|["FeatureCollection",5,[106.8,-6.2]]' \
	"\$format=geojson: a FeatureCollection with [lon, lat]"
is "$(get "$BASE/odata/desa_x" -H 'Accept: application/geo+json')|$(header Content-Type)" \
	"200|application/geo+json" "Accept application/geo+json gets GeoJSON"
is "$(get "$BASE/odata/desa_x?\$format=geojson&\$filter=nope")|$(header Content-Type)|$(jq -r '.error | has("code") and has("message")' "$TMP/b")" \
	"400|application/json;odata.metadata=minimal|true" "a GeoJSON request's error is the OData error JSON"
get "$BASE/odata/covid_prov_id?\$top=1&\$format=csv&bom=true" >/dev/null
is "$(head -c 3 "$TMP/b" | od -An -tx1 | tr -d ' ')" "efbbbf" "CSV for Excel (bom=true) starts with the UTF-8 BOM"
get "$BASE/odata/covid_prov_id?\$top=1&\$format=csv" >/dev/null
is "$(head -c 4 "$TMP/b")" "date" "plain CSV has no BOM"

# ---- in the browser ------------------------------------------------------
browser_ready

cat >"$TMP/spec.json" <<EOF
{ "base": "$BASE", "out": "$OUT", "pages": [
  { "name": "front", "path": "/", "title": "Datasets",
    "text": ["Daily COVID-19 counts", "Badan Pusat Statistik", "17026", "How to query"],
    "count": { ".howto li a": 3, "form[role=search] input[name=q]": 1,
               "a[href='/odata/villages']": 1 } },
  { "name": "dataset", "path": "/odata/covid_prov_id",
    "title": "Daily COVID-19 counts",
    "text": ["Satuan Tugas", "MIT License", "17026 rows in the dataset",
             "50 rows on this page", "Next page"],
    "count": { "table.rows tbody tr": 50, "table.rows thead th a": 10,
               ".facet": 1, ".downloads a": 4, "a[rel=next]": 1,
               "input#f[name='\$filter']": 1, "select[name=by]": 1 } },
  { "name": "sorted", "path": "/odata/covid_prov_id",
    "steps": [ { "click": "th a:text-is('new_cases')" },
               { "click": "th a:text-is('new_cases ▲')" } ],
    "url": "\$orderby=new_cases desc",
    "text": ["14622"], "count": { "th[aria-sort=descending]": 1 }, "json": 1000 },
  { "name": "filtered", "path": "/odata/covid_prov_id",
    "steps": [ { "select": ["select[name=col]", "province"] },
               { "select": ["select[name=op]", "eq"] },
               { "fill": ["input[name=val]", "Aceh"] },
               { "click": "form.inline button:text-is('Filter')" } ],
    "url": "\$filter=province eq 'Aceh'",
    "text": ["Aceh"], "count": { "table.rows tbody tr": 50 }, "json": 494 },
  { "name": "facet", "path": "/odata/covid_prov_id",
    "steps": [ { "click": ".facet li a:text-is('Jawa Barat')" } ],
    "url": "\$filter=province eq 'Jawa Barat'", "json": 518 },
  { "name": "villages-per-province", "path": "/",
    "steps": [ { "click": "a[href='/odata/villages']" },
               { "select": ["select[name=agg]", ""] },
               { "select": ["select[name=by]", "id"] },
               { "select": ["select[name=chars]", "2"] },
               { "click": "button:text-is('Summarise')" } ],
    "url": "groupby((id_2),aggregate(\$count as count))",
    "text": ["6509"],
    "count": { "table.rows tbody tr": 34, "figure.chart svg rect.bar": 34 },
    "json": 34 },
  { "name": "days-over-10000", "path": "/",
    "steps": [ { "click": "a[href='/odata/covid_prov_id']" },
               { "select": ["select[name=agg]", "new_cases"] },
               { "select": ["select[name=by]", "date"] },
               { "click": "button:text-is('Summarise')" },
               { "select": ["select[name=col]", "sum_new_cases"] },
               { "select": ["select[name=op]", "gt"] },
               { "fill": ["input[name=val]", "10000"] },
               { "click": "form.inline button:text-is('Filter')" } ],
    "url": "\$filter=sum_new_cases gt 10000",
    "text": ["2021-01-08", "10565"],
    "count": { "table.rows tbody tr": 50, "figure.chart svg polyline.line": 1,
               "a[rel=next]": 1 },
    "json": 76 },
  { "name": "error", "path": "/odata/covid_prov_id?\$filter=new_cases%20gt", "status": 400,
    "title": "Error",
    "text": ["Cannot answer this request (400)", "Hint:", "Back to the dataset"],
    "count": { "pre.caret": 1, "a[rel=back]": 1 } },
  { "name": "row", "path": "/odata/provinces('32')",
    "text": ["JAWA BARAT", "Kode provinsi", "One row of"],
    "count": { "table.record tbody tr": 2, "table.record td code": 2,
               "a[rel=up][href='/odata/provinces']": 1,
               "a[rel=alternate][type='application/json']": 1 } },
  { "name": "hostile", "path": "/odata/desa_x",
    "title": "Desa <script>alert(8)</script>",
    "text": ["<script>alert(1)</script>", "\"><img src=x onerror=alert(2)>",
             "javascript:alert(1)", "JaVaScRiPt:alert(3)",
             "</td></tr></table><h1>x</h1>", "x&amp;y"],
    "count": { "table.rows tbody tr": 5, ".facet": 1, ".facet li a": 3,
               "td a[href^='https://example.org/']": 1, ".downloads a": 5 },
    "absent": ["img", "iframe", "object", "embed", "a[href^='javascript' i]",
               "a[href^='data:' i]", "table.rows h1", "svg[onload]"] }
] }
EOF
browser_run "$TMP/spec.json"
shots=$(ls "$OUT"/*.png 2>/dev/null | wc -l)
is "$shots" 20 "a desktop and a phone screenshot per page in $OUT"
done_testing
