#!/bin/sh
# A page on another origin reads every kind of answer of the shipped nginx
# config (nginx/kueri.conf) in a real browser (headless Chromium): kueri's
# own 200 and 400, a preflighted GET (X-Requested-With, Content-Type), and
# the answers nginx makes itself -- 414 URL too long, 413 body too big,
# 429 rate limited (with Retry-After), 502 when the workers are gone --
# each with CORS headers and the OData error JSON.  The page writes what
# fetch() saw into the DOM; `chromium --dump-dom` prints it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	skip "chromium is not installed (tools/deps.sh installs it)"; done_testing; exit 0
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
DB=$TMP/portal.db
hp_fixture "$DB"
R=$TMP/cors; mkdir -p "$R/tmp" "$R/cache" "$R/page"
SOCK=$R/kueri.sock
"$KUERI" serve --db "$DB" --socket "$SOCK" --workers 1 2>"$R/kueri.log" &
KPID=$!; HP_PIDS="$HP_PIDS $KPID"
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

# The API as shipped, but with the rate limit applied to loopback too and
# low enough for one page to reach it; the page on a second origin.
# Two random ports; another suite or job on the machine may hold one, so
# a start whose nginx exits (address in use) tries other ports, as
# hp_start does.
tries=0
while :; do
tries=$((tries + 1))
API=$(hp_port); PAGE=$((API + 1))
USER_LINE=""; [ "$(id -u)" -eq 0 ] && USER_LINE="user root $(id -gn);"
cat >"$R/nginx.conf" <<EOC
$USER_LINE
worker_processes 1;
pid $R/nginx.pid;
error_log $R/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    default_type application/octet-stream;
    types { text/html html; }
    client_body_temp_path $R/tmp/client_body;
    proxy_temp_path $R/tmp/proxy;
    fastcgi_temp_path $R/tmp/fastcgi;
    uwsgi_temp_path $R/tmp/uwsgi;
    scgi_temp_path $R/tmp/scgi;
    upstream kueri_fcgi { server unix:$SOCK; }
    limit_req_zone \$binary_remote_addr zone=kueri_req:1m rate=1r/s;
    map \$uri \$kueri_methods { ~^/api/ "GET, HEAD, OPTIONS, POST"; default "GET, HEAD, OPTIONS"; }
    fastcgi_cache_path $R/cache levels=1:2 keys_zone=kueri_cache:1m max_size=8m;
    server {
        listen 127.0.0.1:$API;
        include $REPO/nginx/kueri.conf;
    }
    server {
        listen 127.0.0.1:$PAGE;
        root $R/page;
    }
}
EOC
"$NGINX" -p "$R" -c "$R/nginx.conf" -e "$R/error.log" -g 'daemon off;' &
NPID=$!; HP_PIDS="$HP_PIDS $NPID"
i=0; until curl -s -o /dev/null "http://127.0.0.1:$PAGE/" || [ $i -gt 50 ] ||
	! kill -0 "$NPID" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
kill -0 "$NPID" 2>/dev/null && break
[ $tries -lt 5 ] || break
echo "# nginx did not start on ports $API/$PAGE (try $tries): $(tail -1 "$R/error.log" 2>/dev/null)"
done

cat >"$R/page/cors.html" <<EOF
<!doctype html><html><head><meta charset="utf-8"><title>cors</title></head>
<body><pre id="out"></pre><script>
const A = 'http://127.0.0.1:$API';
const out = document.getElementById('out');
async function one(name, url, init) {
  try {
    const r = await fetch(url, init || {});
    const t = await r.text();
    let code = '-';
    try { const j = JSON.parse(t); code = j.error ? j.error.code : 'value'; } catch (e) { code = 'notjson'; }
    return name + ' ' + r.status + ' ' + code + ' retry=' + (r.headers.get('Retry-After') || '-');
  } catch (e) { return name + ' failed ' + e.name; }
}
async function main() {
  const lines = [];
  if (location.hash === '#down') {
    lines.push(await one('gone', A + '/odata/harga?\$top=1'));
  } else {
    lines.push(await one('ok', A + '/odata/harga?\$top=1'));
    lines.push(await one('preflight', A + '/odata/harga?\$top=2',
      {headers: {'X-Requested-With': 'XMLHttpRequest', 'Content-Type': 'application/json'}}));
    lines.push(await one('kueri400', A + '/odata/harga?\$filter=kode%20%3D%201'));
    lines.push(await one('long', A + '/odata/harga?\$filter=' + 'x'.repeat(9000)));
    lines.push(await one('body', A + '/odata/harga', {method: 'POST', body: 'x'.repeat(70000)}));
    const many = await Promise.all(Array.from({length: 60}, (_, i) =>
      one('burst', A + '/odata/harga?\$top=1&n=' + i)));
    lines.push(many.find(l => / 429 /.test(l)) || 'burst no429');
  }
  out.textContent = lines.join('\n');
  document.title = 'done';
}
main();
</script></body></html>
EOF

browse() {  # browse URL: the page's DOM after its fetches
	"$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$R/profile" --virtual-time-budget=20000 \
		--dump-dom "$1" 2>>"$R/chromium.log"
}
line() { echo "$dom" | sed "s/.*<pre id=.out.>//" | grep -o "^$1 [0-9a-z][^<]*" | head -1; }
dom=$(browse "http://127.0.0.1:$PAGE/cors.html")
echo "$dom" | sed -n '/<pre/,/<\/pre>/p' | sed 's/^/# /'
is "$(line ok)" "ok 200 value retry=-" "another origin reads a kueri 200"
is "$(line preflight)" "preflight 200 value retry=-" "a GET with X-Requested-With and Content-Type passes its preflight"
like "$(line kueri400)" "^kueri400 400 [A-Za-z]+Error retry=-" "kueri's own 400 is readable, with its error code"
is "$(line long)" "long 414 URITooLong retry=-" "nginx's 414 (URL too long) is readable JSON"
is "$(line body)" "body 413 PayloadTooLarge retry=-" "nginx's 413 (body too big) is readable JSON"
is "$(line burst)" "burst 429 TooManyRequests retry=1" "nginx's 429 is readable JSON with Retry-After"

# nginx's own 400 (a header line past 8 KiB; no page can send one).
big=$(head -c 9000 /dev/zero | tr '\0' a)
is "$(get "http://127.0.0.1:$API/odata/" -H "X-Big: $big")" 400 "nginx answers 400 to a header past 8 KiB"
is "$(header Access-Control-Allow-Origin)" "*" "... with CORS"
is "$(jq -r .error.code "$TMP/b")" BadRequest "... and the OData error JSON"

kill -TERM "$KPID"; wait "$KPID" 2>/dev/null
dom=$(browse "http://127.0.0.1:$PAGE/cors.html#down")
echo "$dom" | sed -n '/<pre/,/<\/pre>/p' | sed 's/^/# /'
is "$(line gone)" "gone 502 ServiceUnavailable retry=5" "nginx's 502 (workers gone) is readable JSON"
kill -TERM "$NPID"; wait "$NPID" 2>/dev/null
done_testing
