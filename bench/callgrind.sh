#!/bin/sh
# bench/callgrind.sh KUERI DB PATH?QUERY [N] -- instructions and system
# calls per request in a kueri serve worker, load-independent unlike req/s
# on a shared machine.  Prints "INSTR_PER_REQUEST SYSCALLS_PER_REQUEST".
#
# Instructions: one worker (--workers 1) on a unix socket under valgrind's
# callgrind; N requests (default 200) through cgi-fcgi (libfcgi-bin) with
# the parameters nginx/kueri.conf passes and a curl-like client's headers
# (under `env -i`: cgi-fcgi sends its whole environment as parameters, so
# an inherited one would make the figure depend on the shell); the worker's
# instructions for N + 1 requests minus those for 1 request, divided by N:
# a warm request (start-up, exit and the first request's catalog load and
# statement preparation are left out).
# System calls: the same worker natively, `strace -c -p` attached to it
# over SN requests (default 20), total calls / SN.  The first request of a
# fresh worker reads the catalog, so one warm-up request is sent before
# strace attaches.
#
# CG_KEEP=DIR keeps the worker's callgrind file of the N-request run as
# DIR/callgrind.out (for `callgrind_annotate --inclusive=yes`), the one of
# the 1-request run as DIR/callgrind1.out (bench/cg_objects.sh splits the
# difference by object) and the strace summary as DIR/strace.txt.  CG_SKIP_STRACE=1 prints only the
# instructions.  KUERI_HEAVY_MS=100000 keeps the worker from demoting
# itself under valgrind (every request looks heavy at valgrind's speed).
set -eu
K=$1 DB=$2 PQ=$3 N=${4:-200} SN=${SN:-20}
D=$(mktemp -d "${TMPDIR:-/tmp}/kueri-cg.XXXXXX")
trap 'rm -rf "$D"' EXIT
P=${PQ%%\?*}; Q=""; case "$PQ" in *\?*) Q=${PQ#*\?} ;; esac
ask() {  # ask N: N requests, one at a time
	i=0
	while [ $i -lt "$1" ]; do
		env -i REQUEST_METHOD=GET REQUEST_URI="$PQ" QUERY_STRING="$Q" \
		SCRIPT_NAME="$P" DOCUMENT_URI="$P" REQUEST_SCHEME=http \
		SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=localhost SERVER_PORT=80 \
		REMOTE_ADDR=127.0.0.1 CONTENT_TYPE= CONTENT_LENGTH= \
		HTTP_HOST=localhost HTTP_USER_AGENT=curl/7.88.1 HTTP_ACCEPT='*/*' \
		cgi-fcgi -bind -connect "$D/s.sock" >/dev/null
		i=$((i + 1))
	done
}
wait_sock() {
	i=0; while [ ! -S "$D/s.sock" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 1   # the worker is forked after the socket exists
}
run() {  # run N: total Ir of the worker process for N requests
	rm -f "$D"/cg.* "$D/s.sock"
	KUERI_HEAVY_MS=100000 valgrind --tool=callgrind --callgrind-out-file="$D/cg.%p" \
		"$K" serve --db "$DB" --socket "$D/s.sock" --workers 1 2>"$D/log" &
	vp=$!
	wait_sock
	ask "$1"
	kill -TERM $vp; wait $vp 2>/dev/null || true
	# the worker's file is the one that is not the parent's
	for f in "$D"/cg.*; do
		[ "$f" = "$D/cg.$vp" ] && continue
		echo "$(awk '/^(summary|totals):/ { print $2; exit }' "$f") $f"
	done | sort -n | tail -1
}
a=$(run 1)
[ -n "${CG_KEEP:-}" ] && mkdir -p "$CG_KEEP" && cp "${a#* }" "$CG_KEEP/callgrind1.out"
b=$(run $((N + 1)))
[ -n "${CG_KEEP:-}" ] && cp "${b#* }" "$CG_KEEP/callgrind.out"
instr=$(echo "${a%% *} ${b%% *} $N" | awk '{ printf "%.0f", ($2 - $1) / $3 }')
if [ -n "${CG_SKIP_STRACE:-}" ]; then
	echo "$instr"
	exit 0
fi
rm -f "$D/s.sock"
"$K" serve --db "$DB" --socket "$D/s.sock" --workers 1 2>"$D/log" &
sp=$!
wait_sock
wp=$(ps -o pid= --ppid $sp | head -1 | tr -d ' ')
ask 1
strace -c -p "$wp" -o "$D/strace.txt" 2>/dev/null &
tp=$!
sleep 1
ask "$SN"
sleep 0.5
kill -INT $tp; wait $tp 2>/dev/null || true
kill -TERM $sp; wait $sp 2>/dev/null || true
[ -n "${CG_KEEP:-}" ] && cp "$D/strace.txt" "$CG_KEEP/strace.txt"
sys=$(awk '$NF == "total" { print $4 }' "$D/strace.txt")
echo "$instr $sys $SN" | awk '{ printf "%s %.1f\n", $1, $2 / $3 }'
