#!/bin/sh
# bench/ab_cpu.sh OLD_KUERI NEW_KUERI PORTAL [PATH?QUERY] [ROUNDS]
# -- CPU of kueri's workers per request under wrk, two builds side by side:
# each build runs `kueri serve --workers 2 --max-age 0` behind nginx with
# the shipped config (nginx/test-nginx.conf.in + nginx/kueri.conf, as
# bench/run.sh), wrk -t2 -c8 -d3s with every URL distinct
# (bench/unique.lua, so nginx's cache never answers), old and new
# interleaved ROUNDS (default 3) times.  CPU = utime + stime of the kueri
# parent and its workers (/proc/PID/stat) after minus before, over the
# requests wrk counted: µs per request, and its user and system parts.  On a shared machine req/s follow
# the neighbours; CPU per request much less so, and interleaving spreads
# what is left over both sides.  Prints one line per run.
set -eu
OLD=$1 NEW=$2 DB=$3 PQ=${4:-/odata/villages?\$top=20} ROUNDS=${5:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
RUN=$(mktemp -d "${TMPDIR:-/tmp}/kueri-ab.XXXXXX")
SPID= NPID=
stop() {
	[ -n "$NPID" ] && kill "$NPID" 2>/dev/null || true
	[ -n "$SPID" ] && { kill -TERM "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null || true; }
	SPID= NPID=
}
trap 'stop; rm -rf "$RUN"' EXIT
USERLINE=""
[ "$(id -u)" = 0 ] && USERLINE="user root $(id -gn);"
TCK=$(getconf CLK_TCK)
cpu() {  # cpu PID: "utime stime" ticks of PID and its children (live ones)
	for p in "$1" $(ps -o pid= --ppid "$1"); do
		awk '{ print $14, $15 }' "/proc/$p/stat" 2>/dev/null || echo 0 0
	done | awk '{ u += $1; s += $2 } END { print u, s }'
}
one() {  # one NAME KUERI
	rm -rf "$RUN/n"; mkdir -p "$RUN/n/tmp" "$RUN/n/cache"
	"$2" serve --db "$DB" --socket "$RUN/s.sock" --workers 2 --max-age 0 \
		2>"$RUN/serve.err" &
	SPID=$!
	i=0; while [ ! -S "$RUN/s.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
	sed -e "s|@PREFIX@|$RUN/n|g" -e "s|@SOCKET@|$RUN/s.sock|g" \
	    -e "s|@PORT@|$port|g" -e "s|@KUERI_CONF@|$here/nginx/kueri.conf|g" \
	    -e "s|@USER_LINE@|$USERLINE|g" -e "s|@NGINX_WORKERS@|1|g" \
	    -e "s|@RATE@|100000|g" -e "s|@ACCESS_LOG@|off|g" \
	    "$here/nginx/test-nginx.conf.in" >"$RUN/n.conf"
	nginx -p "$RUN/n" -c "$RUN/n.conf" -e "$RUN/n.err" 2>>"$RUN/n.err"
	sleep 0.3
	NPID=$(cat "$RUN/n/nginx.pid")
	for i in 1 2 3 4 5 6; do    # warm: every worker has read the catalog
		curl -s -o /dev/null "http://127.0.0.1:$port$PQ&w=$i"
	done
	c0=$(cpu "$SPID")
	wrk -t2 -c8 -d3s -s "$here/bench/unique.lua" "http://127.0.0.1:$port$PQ" \
		>"$RUN/wrk.out"
	c1=$(cpu "$SPID")
	n=$(awk '/requests in/ { print $1 }' "$RUN/wrk.out")
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$RUN/wrk.out")
	bad=$(awk '/Non-2xx/ { print $NF }' "$RUN/wrk.out")
	echo "$1 requests=$n req/s=$rps non2xx=${bad:-0} $(
		echo "$c0 $c1 $n $TCK" | awk '{ u = ($3 - $1) * 1e6 / $6 / $5
			s = ($4 - $2) * 1e6 / $6 / $5
			printf "cpu_us_per_req=%.1f user=%.1f sys=%.1f", u + s, u, s }')"
	stop
	rm -f "$RUN/s.sock"
}
r=0
while [ $r -lt "$ROUNDS" ]; do
	one old "$OLD"
	one new "$NEW"
	r=$((r + 1))
done
