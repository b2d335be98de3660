#!/bin/sh
# bench/nginx_hit.sh KUERI DB [PATH?QUERY] -- what a cache hit costs nginx
# next to the same body sent as a static file, counted rather than timed:
# user-space instructions per answer (callgrind) and system calls per answer
# (strace -c), load-independent unlike req/s on a shared machine.
#
# Two nginx, one worker each, master_process off under valgrind: the shipped
# setup (nginx/test-nginx.conf.in + nginx/kueri.conf, in front of
# `kueri serve --workers 2 --max-age 0` on DB) asked PATH?QUERY (default a
# page of 20 of villages) until nginx's cache answers, and bench/nginx.conf.in
# serving a file of the same size.  Counters are zeroed after the warm-up
# (callgrind_control -z), wrk -t1 -c4 runs DUR seconds (default 6), and the
# dump is divided by the requests wrk counted.  The hit side includes its
# once-a-second revalidation (a 304 from kueri; entries live to the end of
# their second), as a real hot URL does.  Then both natively under strace -c
# for 2 s.  Prints, for each side, instructions and system calls per answer,
# then the TOP (default 15) functions by extra instructions per answer.
# nginx is stripped; its exported symbols still name most functions.
set -eu
K=$1 DB=$2 PQ=${3:-/odata/villages?\$top=20} DUR=${DUR:-6} TOP=${TOP:-15}
here=$(cd "$(dirname "$0")/.." && pwd)
D=$(mktemp -d "${TMPDIR:-/tmp}/kueri-hit.XXXXXX")
KP=""
cleanup() {
	for f in "$D"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	[ -n "$KP" ] && kill "$KP" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT INT TERM
user_line=""; [ "$(id -u)" = 0 ] && user_line="user root root;"

"$K" serve --db "$DB" --socket "$D/k.sock" --workers 2 --max-age 0 2>"$D/serve.err" &
KP=$!
mkdir -p "$D/hit/tmp" "$D/hit/cache" "$D/html/static"
conf() {  # conf NAME PORT: write $D/NAME.conf, one foreground worker
	if [ "$1" = hit ]; then
		sed -e "s|@PREFIX@|$D/hit|g" -e "s|@SOCKET@|$D/k.sock|g" \
		    -e "s|@PORT@|$2|g" -e "s|@KUERI_CONF@|$here/nginx/kueri.conf|g" \
		    -e "s|@USER_LINE@|$user_line|g" -e "s|@NGINX_WORKERS@|1|g" \
		    -e "s|@RATE@|100000|g" -e "s|@ACCESS_LOG@|off|g" \
		    "$here/nginx/test-nginx.conf.in" >"$D/hit.conf"
	else
		sed -e "s|@USER@|$user_line|" -e "s|@RUN@|$D|g" -e "s|@NAME@|st|g" \
		    -e "s|@PORT@|$2|g" -e "s|@SOCKET@|$D/none.sock|g" \
		    -e "s|@WORKERS@|1|" "$here/bench/nginx.conf.in" >"$D/st.conf"
	fi
	sed -i "s|^worker_processes .*|& master_process off; daemon off;|" "$D/$1.conf"
}
port=$(( 23000 + $$ % 1000 ))
conf hit $port; conf st $((port + 1))
hit_url="http://127.0.0.1:$port$PQ"; st_url="http://127.0.0.1:$((port + 1))/static/page"
# the static file: the hit's body, its size (a plain nginx serving it once)
nginx -p "$D/hit" -c "$D/hit.conf" -e "$D/hit.err" & echo $! >"$D/n.pid"
i=0; until curl -s -o "$D/body" "$hit_url" || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill "$(cat "$D/n.pid")"; wait "$(cat "$D/n.pid")" 2>/dev/null || true; rm -f "$D/n.pid"
cp "$D/body" "$D/html/static/page"

count() {  # count NAME URL: "INSTR SYSCALLS" per answer
	valgrind --tool=callgrind --callgrind-out-file="$D/$1.cg" \
	    nginx -p "$D/$1" -c "$D/$1.conf" -e "$D/$1.err" 2>"$D/$1.vg" &
	vp=$!; echo $vp >"$D/$1.pid"
	i=0; until curl -s -o /dev/null "$2" || [ $i -gt 100 ]; do sleep 0.2; i=$((i + 1)); done
	for i in 1 2 3; do curl -s -o /dev/null "$2"; done
	callgrind_control -z $vp >/dev/null 2>&1
	req=$(wrk -t1 -c4 -d"${DUR}s" "$2" | awk '/requests in/{print $1}')
	callgrind_control -d $vp >/dev/null 2>&1
	kill $vp; wait $vp 2>/dev/null || true; rm -f "$D/$1.pid"
	f=$(ls -t "$D/$1.cg".* | head -1)
	callgrind_annotate --threshold=100 --inclusive=no "$f" 2>/dev/null |
	    sed -n '/file:function/,$p' | grep -E '^ *[0-9,]+ \(' |
	    sed -E 's/^ *([0-9,]+) \( *[0-9.]+%\) +([^ ]+).*/\1 \2/' | tr -d , |
	    awk -v r="$req" '{printf "%.0f %s\n", $1 / r, $2}' >"$D/$1.fn"
	ir=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}')
	# system calls natively: the same config, strace -c on the process
	nginx -p "$D/$1" -c "$D/$1.conf" -e "$D/$1.err" & np=$!; echo $np >"$D/$1.pid"
	i=0; until curl -s -o /dev/null "$2" || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
	curl -s -o /dev/null "$2"
	strace -c -p $np -o "$D/$1.strace" 2>/dev/null & sp=$!; sleep 0.5
	sreq=$(wrk -t1 -c4 -d2s "$2" | awk '/requests in/{print $1}')
	kill -INT $sp; wait $sp 2>/dev/null || true
	kill $np; wait $np 2>/dev/null || true; rm -f "$D/$1.pid"
	sc=$(awk '$NF=="total"{print $4}' "$D/$1.strace")
	echo "$((ir / req)) $(echo "$sc $sreq" | awk '{printf "%.1f", $1 / $2}')"
}
set -- $(count hit "$hit_url"); hit_ir=$1 hit_sc=$2
set -- $(count st "$st_url"); st_ir=$1 st_sc=$2
echo "nginx per answer ($(stat -c %s "$D/body") B body): instructions / system calls"
echo "  cache hit   $hit_ir / $hit_sc"
echo "  static file $st_ir / $st_sc"
echo "extra instructions per hit, by function:"
awk 'FNR==NR{s[$2]=$1; next} {d=$1-s[$2]; if (d > 0) printf "  %7d  %s\n", d, $2}' \
    "$D/st.fn" "$D/hit.fn" | grep -v -E 'main|below|libc_start|0x000000000001ab70' |
    sort -rn | head -"$TOP"
