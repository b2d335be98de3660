#!/bin/sh
# kueri behind lighttpd with nginx/lighttpd.conf: lighttpd spawns
# `kueri serve` with the socket on fd 0 (the spawn-fcgi convention);
# routing, $metadata, 304 answered by kueri itself (no cache in front),
# 405, and no kueri process left behind when lighttpd stops.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

# lighttpd lives in /usr/sbin, which a non-root user's PATH lacks: resolve it
# as tools/serve.sh resolves nginx.
LIGHTTPD=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)}
DB=$TMP/portal.db
hp_fixture "$DB"
RUN=$TMP/lt
mkdir -p "$RUN"
LPID=""
for try in 1 2 3 4 5; do
	PORT=$(hp_port)
	KUERI_BIN=$KUERI KUERI_DB=$DB KUERI_RUN=$RUN KUERI_PORT=$PORT \
		"$LIGHTTPD" -D -f "$REPO/nginx/lighttpd.conf" >"$RUN/out" 2>&1 &
	LPID=$!
	HP_PIDS="$HP_PIDS $LPID"
	BASE=http://127.0.0.1:$PORT
	i=0
	while [ $i -lt 50 ] && kill -0 "$LPID" 2>/dev/null; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/health")" = 200 ] && break 2
		i=$((i + 1)); sleep 0.1
	done
	kill -TERM "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null; LPID=""
done
if [ -z "$LPID" ]; then
	ok 1 "lighttpd starts with nginx/lighttpd.conf"
	sed 's/^/# /' "$RUN/out" "$RUN/lighttpd-error.log" 2>/dev/null | tail -5
	done_testing; exit 1
fi
ok 0 "lighttpd starts with nginx/lighttpd.conf and spawns kueri serve on fd 0"

is "$(get "$BASE/odata/")" 200 "service document through lighttpd"
is "$(jq -r '."@odata.context"' "$TMP/b")" "$BASE/odata/\$metadata" \
	"context URL built from lighttpd's request"
etag=$(header ETag)
is "$(get "$BASE/odata/" -H "If-None-Match: $etag")" 304 \
	"If-None-Match → 304 answered by kueri itself"
is "$(get "$BASE/odata/\$metadata")" 200 "\$metadata through lighttpd"
cp "$TMP/b" "$TMP/m.xml"
xml_valid "$TMP/m.xml" >/dev/null; ok $? "\$metadata through lighttpd is valid CSDL"
is "$(get "$BASE/catalog")" 200 "catalog through lighttpd"
is "$(get "$BASE/odata/" -X DELETE)" 405 "DELETE → 405 through lighttpd"
is "$(header Allow)" "GET, HEAD" "... with Allow"
like "$(get "$BASE/odata/x?\$filter=$(head -c 9216 /dev/zero | tr '\0' a)")" '^(414|431)$' \
	"a 9 KB URL is refused (lighttpd 431 or kueri 414)"

kpid=$(ps -eo pid,ppid,args | awk -v p="$LPID" '$2 == p && index($0, "serve --db") { print $1 }' | head -1)
like "$kpid" '^[0-9]+$' "lighttpd's child is kueri serve"
kill -TERM "$LPID"; wait "$LPID" 2>/dev/null
HP_PIDS=""
i=0
while [ $i -lt 50 ] && kill -0 "$kpid" 2>/dev/null; do i=$((i + 1)); sleep 0.1; done
ok $(kill -0 "$kpid" 2>/dev/null && echo 1 || echo 0) "stopping lighttpd stops kueri serve (SIGTERM drains)"
unlike "$(cat "$RUN"/*.log "$RUN/out" 2>/dev/null)" "Sanitizer|runtime error" "no sanitizer report from kueri serve"
done_testing
