#!/bin/sh
# bench/callgrind.sh KUERI DB PATH?QUERY [N] -- instructions per request in
# a kueri serve worker (valgrind --tool=callgrind), load-independent unlike
# req/s on a shared machine.  One worker on a unix socket; N requests
# (default 200) through cgi-fcgi (libfcgi-bin), as nginx would send them;
# the worker's instructions for N requests minus those for 0 requests
# (start-up and exit), divided by N.  Prints "INSTR_PER_REQUEST SYSCALLS_PER_REQUEST".
set -eu
K=$1 DB=$2 PQ=$3 N=${4:-200}
D=$(mktemp -d "${TMPDIR:-/tmp}/kueri-cg.XXXXXX")
trap 'rm -rf "$D"' EXIT
P=${PQ%%\?*}; Q=""; case "$PQ" in *\?*) Q=${PQ#*\?} ;; esac
run() {  # run N: total Ir of the worker process for N requests
	rm -f "$D"/cg.* "$D/s.sock"
	KUERI_HEAVY_MS=100000 valgrind --tool=callgrind --callgrind-out-file="$D/cg.%p" \
		"$K" serve --db "$DB" --socket "$D/s.sock" --workers 1 2>"$D/log" &
	vp=$!
	i=0; while [ ! -S "$D/s.sock" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 1   # the worker is forked after the socket exists
	i=0
	while [ $i -lt "$1" ]; do
		REQUEST_METHOD=GET REQUEST_URI="$PQ" QUERY_STRING="$Q" SCRIPT_NAME="$P" \
		DOCUMENT_URI="$P" SERVER_NAME=localhost SERVER_PORT=80 REQUEST_SCHEME=http \
		HTTP_HOST=localhost cgi-fcgi -bind -connect "$D/s.sock" >/dev/null
		i=$((i + 1))
	done
	kill -TERM $vp; wait $vp 2>/dev/null || true
	# the worker's file is the one that is not the parent's
	for f in "$D"/cg.*; do
		[ "$f" = "$D/cg.$vp" ] && continue
		awk '/^(summary|totals):/ { print $2; exit }' "$f"
	done | sort -n | tail -1
}
a=$(run 0); b=$(run "$N")
echo "$a $b $N" | awk '{ printf "%.0f\n", ($2 - $1) / $3 }'
