#!/bin/sh
# `kueri serve` as a command: usage errors, a portal that cannot be
# opened, fd 0 that is not a socket, and --listen HOST:PORT (TCP) answered
# through cgi-fcgi (libfcgi's own client), no web server in between.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

"$KUERI" serve >/dev/null 2>"$TMP/e"; is $? 2 "no --db → exit 2"
like "$(cat "$TMP/e")" '--db PORTAL is required' "... and says what is missing"
"$KUERI" serve --db x --socket a --listen 127.0.0.1:1 >/dev/null 2>"$TMP/e"
is $? 2 "--socket and --listen together → exit 2"
"$KUERI" serve --db x --root odata >/dev/null 2>"$TMP/e"; is $? 2 "a --root without slashes → exit 2"
"$KUERI" serve --db x --workers 0 >/dev/null 2>"$TMP/e"; is $? 2 "--workers 0 → exit 2"
"$KUERI" serve --db x --frobnicate 1 >/dev/null 2>"$TMP/e"; is $? 2 "an unknown option → exit 2"
"$KUERI" serve --db "$TMP/none.db" --socket "$TMP/s" >/dev/null 2>"$TMP/e"; rc=$?
is $rc 2 "a portal that cannot be opened → exit 2 at once (no worker respawn loop)"
ok $([ -e "$TMP/s" ] && echo 1 || echo 0) "... and no socket is left behind"

DB=$TMP/portal.db
hp_fixture "$DB"
"$KUERI" serve --db "$DB" </dev/null >/dev/null 2>"$TMP/e"; rc=$?
is $rc 2 "fd 0 that is not a listening socket → exit 2"
like "$(cat "$TMP/e")" 'not a listening socket' "... with a hint to use --socket or --listen"

# --listen on a random loopback port
for try in 1 2 3 4 5; do
	PORT=$(hp_port)
	"$KUERI" serve --db "$DB" --listen "127.0.0.1:$PORT" --workers 1 2>"$TMP/log" &
	SPID=$!
	HP_PIDS="$HP_PIDS $SPID"
	i=0
	while [ $i -lt 30 ] && kill -0 "$SPID" 2>/dev/null && ! grep -q workers "$TMP/log"; do
		sleep 0.1; i=$((i + 1))
	done
	kill -0 "$SPID" 2>/dev/null && break
done
ok $(kill -0 "$SPID" 2>/dev/null && echo 0 || echo 1) "kueri serve --listen 127.0.0.1:$PORT starts"
out=$(REQUEST_METHOD=GET REQUEST_URI=/odata/ HTTP_HOST=example.org \
	cgi-fcgi -bind -connect "127.0.0.1:$PORT" 2>/dev/null | tr -d '\r')
like "$out" '^Status: 200 OK' "a FastCGI request over TCP is answered"
like "$out" '"@odata.context":"http://example.org/odata/\$metadata"' "... with the service document"
kill -TERM "$SPID"; wait "$SPID"; is $? 0 "SIGTERM → exit 0"
HP_PIDS=""
done_testing
