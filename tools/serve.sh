#!/bin/sh
# tools/serve.sh DB PORT -- `make serve`: kueri serve on a unix socket plus
# nginx (own prefix, no root needed) in the foreground on 127.0.0.1:PORT.
# Ctrl-C / SIGTERM stops both.  Tests and the benchmark drive it with:
#   KUERI=path/to/kueri         the binary (default build/kueri)
#   RUN_DIR=dir                 where sockets, logs, nginx prefix go
#                               (default run/serve-PORT)
#   KUERI_SERVE_ARGS="..."      extra `kueri serve` options
#   KUERI_LOG=file              kueri's log (default: this terminal)
#   NGINX_WORKERS=N  NGINX_RATE=N  NGINX_ACCESS_LOG=file|off
set -eu
usage() { echo "usage: make serve DB=portal.db PORT=8080" >&2; exit 2; }
[ $# -eq 2 ] || usage
DB=$1 PORT=$2
[ -n "$DB" ] && [ -n "$PORT" ] || usage
case "$PORT" in *[!0-9]*) usage ;; esac
[ -f "$DB" ] || { echo "serve: no portal at $DB (publish one first)" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KUERI=${KUERI:-$ROOT/build/kueri}
RUN=${RUN_DIR:-$ROOT/run/serve-$PORT}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
mkdir -p "$RUN/nginx/tmp" "$RUN/nginx/cache"
RUN=$(cd "$RUN" && pwd)
SOCK=$RUN/kueri.sock
# A unix socket path must fit in 108 bytes.
if [ ${#SOCK} -gt 100 ]; then
	SOCK=$(mktemp -d "${TMPDIR:-/tmp}/kueri-sock.XXXXXX")/kueri.sock
fi
if [ "$(id -u)" -eq 0 ]; then
	# nginx drops root to "nobody" unless told; the socket and prefix are ours.
	USER_LINE="user root $(id -gn);"
else
	USER_LINE=""
fi
sed -e "s|@PREFIX@|$RUN/nginx|g" -e "s|@SOCKET@|$SOCK|g" \
    -e "s|@PORT@|$PORT|g" -e "s|@KUERI_CONF@|$ROOT/nginx/kueri.conf|g" \
    -e "s|@USER_LINE@|$USER_LINE|g" \
    -e "s|@NGINX_WORKERS@|${NGINX_WORKERS:-1}|g" \
    -e "s|@RATE@|${NGINX_RATE:-20}|g" \
    -e "s|@ACCESS_LOG@|${NGINX_ACCESS_LOG:-off}|g" \
    "$ROOT/nginx/test-nginx.conf.in" >"$RUN/nginx/nginx.conf"

kpid="" npid=""
stop() {
	rc=${1:-0}
	set +e      # a process that is already gone must not end the cleanup
	trap - INT TERM EXIT
	[ -n "$npid" ] && kill -TERM "$npid" 2>/dev/null
	[ -n "$kpid" ] && kill -TERM "$kpid" 2>/dev/null
	[ -n "$npid" ] && wait "$npid" 2>/dev/null
	[ -n "$kpid" ] && wait "$kpid" 2>/dev/null
	rm -f "$SOCK"
	exit "$rc"
}
trap stop INT TERM EXIT

# shellcheck disable=SC2086
if [ -n "${KUERI_LOG:-}" ]; then
	"$KUERI" serve --db "$DB" --socket "$SOCK" ${KUERI_SERVE_ARGS:-} \
		2>>"$KUERI_LOG" &
else
	"$KUERI" serve --db "$DB" --socket "$SOCK" ${KUERI_SERVE_ARGS:-} &
fi
kpid=$!
i=0
while [ ! -S "$SOCK" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$kpid" 2>/dev/null; then
		echo "serve: kueri serve did not start" >&2
		exit 1
	fi
	sleep 0.05
done
"$NGINX" -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -e "$RUN/nginx/error.log" \
	-g 'daemon off;' &
npid=$!
echo "serving $DB on http://127.0.0.1:$PORT/odata/ (Ctrl-C stops)"
# Stay in the foreground until either process ends or a signal arrives
# (sleep in the background so the trap runs at once).
while kill -0 "$kpid" 2>/dev/null && kill -0 "$npid" 2>/dev/null; do
	sleep 1 &
	wait $! || true
done
echo "serve: a process ended; stopping" >&2
stop 1
