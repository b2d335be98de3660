#!/bin/bash
# browser.sh -- kueri's pages in a real browser (Debian's headless
# Chromium, driven by playwright-core pinned in tests/browser/): the pages
# test_html renders (front page, a hostile-values dataset page with facets,
# sort links and downloads, the error page, a bar-chart and a line-chart
# aggregate page) are served by a throwaway nginx on a random loopback
# port with the policy kb_csp() gives, then loaded and checked by
# tests/browser/check.mjs (DOM, policy, no script ran, no console error,
# no request leaving the server, no sideways scroll on a phone).  The SVG
# charts must parse as XML (xmllint) and the GeoJSON as JSON with
# [lon, lat] positions (jq).
# Screenshots: $KUERI_BUILD/browser/NAME-{desktop,mobile}.png (not committed).
# Until the service routes HTML (the writer refactor), these are the
# renderers' own pages; the same checks then point at the live routes.
. "$(dirname "$0")/../lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KUERI_BUILD:-$REPO/build}
OUT=$BUILD/browser
SITE=$TMP/site
NG=$TMP/nginx
NPID=""
cleanup() {
	[ -n "$NPID" ] && kill -TERM "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

mkdir -p "$SITE" "$NG/tmp" "$OUT"
rm -f "$OUT"/*.png
"$BUILD/tests/test_html" "$SITE" >"$TMP/render.tap" 2>&1
ok $? "test_html renders the fixture pages into a directory"

# The charts and the GeoJSON as other tools read them.
for f in chart-bar chart-line; do
	out=$(xmllint --noout "$SITE/$f.svg" 2>&1)
	ok $? "$f.svg is well-formed XML${out:+: $out}"
done
is "$(jq -r .type "$SITE/desa.geojson" 2>&1)" FeatureCollection \
	"desa.geojson parses as a FeatureCollection"
is "$(jq -c '[.features[] | .geometry.coordinates // null]' "$SITE/desa.geojson")" \
	'[[106.8,-6.2],[112.75,-7.25],null,[0,0],null]' \
	"desa.geojson positions are [lon, lat] (the portal stores \"lat,lon\")"
is "$(jq -c '[.features[] | .geometry.coordinates // empty | select(.[0] < -180 or .[0] > 180 or .[1] < -90 or .[1] > 90)] | length' "$SITE/desa.geojson")" \
	0 "desa.geojson positions are within lon ±180, lat ±90"

# A static nginx with the headers the service will send.
CSP=$(cat "$SITE/csp.txt")
case "$CSP" in *\'*\"*|*\"*) ok 1 "csp.txt holds no double quote"; done_testing; exit ;; esac
PORT=""
USER_LINE=""
[ "$(id -u)" -eq 0 ] && USER_LINE="user root $(id -gn);"
start_nginx() {
	PORT=$(od -An -N2 -tu2 /dev/urandom | awk '{ print 20000 + $1 % 40000 }')
	cat >"$NG/nginx.conf" <<EOF
$USER_LINE
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/error.log;
events { worker_connections 64; }
http {
	access_log $NG/access.log;
	client_body_temp_path $NG/tmp; proxy_temp_path $NG/tmp;
	fastcgi_temp_path $NG/tmp; uwsgi_temp_path $NG/tmp; scgi_temp_path $NG/tmp;
	types { text/html html; image/svg+xml svg; application/geo+json geojson;
	        text/plain txt; }
	default_type application/octet-stream;
	charset utf-8;
	server {
		listen 127.0.0.1:$PORT;
		root $SITE;
		add_header Content-Security-Policy "$CSP" always;
		add_header X-Content-Type-Options nosniff always;
		add_header Referrer-Policy no-referrer always;
	}
}
EOF
	nginx -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log" -g 'daemon off;' \
		>"$NG/out.log" 2>&1 &
	NPID=$!
	for _ in $(seq 50); do
		curl -sf -o /dev/null "http://127.0.0.1:$PORT/csp.txt" && return 0
		kill -0 "$NPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -TERM "$NPID" 2>/dev/null; wait "$NPID" 2>/dev/null; NPID=""
	return 1
}
started=1
for _ in 1 2 3 4 5; do start_nginx && { started=0; break; }; done
ok $started "a static nginx serves the rendered pages on a loopback port"
[ $started -eq 0 ] || { sed 's/^/#   /' "$NG/error.log" | tail -5; done_testing; exit; }

# The browser and its driver: Debian's chromium (tools/deps.sh) and
# playwright-core as pinned in tests/browser/package-lock.json.
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	ok 1 "chromium installed at $CHROMIUM (make deps installs Debian's chromium)"
	done_testing; exit
fi
if [ ! -d "$REPO/tests/browser/node_modules/playwright-core" ]; then
	(cd "$REPO/tests/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
		npm ci --no-audit --no-fund --silent) >"$TMP/npm.log" 2>&1
	ok $? "npm ci in tests/browser (playwright-core, pinned)"
fi

cat >"$TMP/spec.json" <<EOF
{ "base": "http://127.0.0.1:$PORT", "out": "$OUT", "pages": [
  { "name": "front", "path": "/front.html", "title": "Datasets",
    "text": ["Daftar desa", "Dinas PMD", "83763", "overdue", "How to query"],
    "count": { "table.catalog tbody tr": 2, ".howto li a": 3,
               "form[role=search] input[name=q]": 1, ".overdue": 1 } },
  { "name": "hostile", "path": "/hostile.html",
    "title": "Desa <script>alert(8)</script>",
    "text": ["<script>alert(1)</script>", "\"><img src=x onerror=alert(2)>",
             "javascript:alert(1)", "JaVaScRiPt:alert(3)",
             "</td></tr></table><h1>x</h1>", "5 match this view"],
    "count": { "table.rows tbody tr": 5, "table.rows thead th a": 5,
               "th[aria-sort=ascending]": 1, ".facet li a": 3,
               "a[rel=next]": 1, "td a[href^='https://example.org/']": 1,
               ".downloads a": 5, "input[name='\$filter']": 1 },
    "absent": ["img", "iframe", "object", "embed", "a[href^='javascript' i]",
               "a[href^='data:' i]", "table.rows h1", "svg[onload]"] },
  { "name": "error", "path": "/error.html", "title": "Error",
    "text": ["Cannot answer this request (400)", "expected an operator <b>",
             "Hint:", "Back to the dataset"],
    "count": { "pre.caret": 1, "a[rel=back]": 1 } },
  { "name": "chart-bar", "path": "/chart-bar.html", "title": "Desa per provinsi",
    "count": { "figure.chart svg rect.bar": 5, "table.rows tbody tr": 5 } },
  { "name": "chart-line", "path": "/chart-line.html", "title": "Kasus harian",
    "count": { "figure.chart svg polyline.line": 1, "figure.chart svg circle.dot": 30 } }
] }
EOF
node "$REPO/tests/browser/check.mjs" "$TMP/spec.json" >"$TMP/browser.tap" 2>&1
rc=$?
# Re-number the browser's TAP lines after ours.
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok 0 "${line#ok * - }" ;;
	"not ok "*) ok 1 "${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$TMP/browser.tap"
[ $rc -eq 0 ] || grep -q '^not ok' "$TMP/browser.tap" ||
	{ ok 1 "check.mjs ran (exit $rc)"; tail -20 "$TMP/browser.tap" | sed 's/^/#   /'; }
shots=$(ls "$OUT"/*.png 2>/dev/null | wc -l)
is "$shots" 10 "a desktop and a phone screenshot per page in $OUT"
done_testing
