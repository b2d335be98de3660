#!/bin/bash
# Read replicas behind a front, on real (namespaced) hosts: one publisher,
# three replicas, one front, each in its own Linux network namespace, wired
# by veth pairs to a bridge that lives in a sixth ("switch") namespace, so
# every address exists only inside those namespaces.  The addresses are the
# ones docs/scaling.md and nginx/kueri-front-http.conf use:
#   publisher 10.0.0.1 (rsync daemon serving `kueri snapshot`'s directory)
#   front     10.0.0.2 (nginx: kueri-front-http.conf + kueri-front.conf)
#   replicas  10.0.0.11-13 (nginx + kueri serve + kueri replicate --every 1)
# Under a bounded wrk load through the front it checks:
#  (1) a publish reaches all three replicas (their /health version equals
#      the manifest's) within BOUND seconds, with 0 failed requests;
#  (2) kill -9 of one replica's kueri and nginx loses 0 requests, and the
#      replica rejoins after a restart;
#  (3) re-classifying a dataset private removes it from every answer of
#      every replica within BOUND, and after the grace no file of any
#      replica (nor a deleted file a replica process still holds) has the
#      canary string;
#  (4) a paged read spanning a publish never repeats or skips a row: each
#      nextLink is answered from the version the read started on, or
#      refused -- then the read restarts and sees one version whole;
#  (5) throughput through the front with 3 replicas vs 1 (figures printed;
#      on this 2-core machine it shows overhead, not a speed-up).
# Everything started is stopped by PID; the namespaces are removed at exit.
# Without root or network namespaces the suite skips with the reason.
#
# Assertions marked [reopen] need `kueri serve` to notice a swap by rename
# between requests, without restart -- also when the replaced file was
# already zeroed (kueri replicate does that after --grace) before an idle
# worker looked again; those marked [skiptoken-version] need the
# skiptoken's version in clear (docs/scaling.md, "Paging across versions").
. "$(dirname "$0")/../lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BOUND=${REPLICAS_BOUND:-10}   # seconds: poll 1 s + fetch + verify + swap
GRACE=1                       # seconds before a replaced file is zeroed

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "network namespaces need root (uid $(id -u))"
for t in ip nginx rsync wrk curl; do
	command -v "$t" >/dev/null 2>&1 ||
		[ -x "/usr/sbin/$t" ] || skip_all "$t is not installed (tools/deps.sh)"
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
ID=kq$$
NS_S=${ID}s NS_P=${ID}p NS_F=${ID}f
NS_R=("${ID}a" "${ID}b" "${ID}c")
ADDR_R=(10.0.0.11 10.0.0.12 10.0.0.13)
if ! ip netns add "$NS_S" 2>"$TMP/ns.err"; then
	skip_all "network namespaces not permitted here: $(head -1 "$TMP/ns.err")"
fi

PIDS=()        # every process we started (killed by PID at exit)
NSS=("$NS_S")  # every namespace we created (deleted at exit)
cleanup() {
	set +e
	for p in "${PIDS[@]}"; do
		for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do
			kill -TERM "$c" 2>/dev/null
		done
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.5
	for p in "${PIDS[@]}"; do   # anything that ignored TERM
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# (Background jobs use `ip netns exec` itself, not this function, so that
# $! is the process: ip execs its command after entering the namespace.)
inns() { local n=$1; shift; ip netns exec "$n" "$@"; }
since() { awk -v t="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - t }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# ---- the network --------------------------------------------------------
ip -n "$NS_S" link add br0 type bridge
ip -n "$NS_S" link set br0 up
host_ns() {  # host_ns NS ADDR PORTNAME
	ip netns add "$1" && NSS+=("$1")
	ip -n "$NS_S" link add "$3" type veth peer name eth0 netns "$1"
	ip -n "$NS_S" link set "$3" master br0 up
	ip -n "$1" addr add "$2/24" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$1" link set lo up
}
host_ns "$NS_P" 10.0.0.1 port1
host_ns "$NS_F" 10.0.0.2 port2
for i in 0 1 2; do host_ns "${NS_R[$i]}" "${ADDR_R[$i]}" "port1$((i + 1))"; done
inns "$NS_F" ip -o addr show dev eth0 | grep -q ' 10\.0\.0\.2/24' &&
	! ip -o addr show 2>/dev/null | grep -q ' 10\.0\.0\.\(1\|2\|11\|12\|13\)/24'
ok $? "the test's addresses exist only inside the namespaces"

# ---- data ------------------------------------------------------------------
# "angka": N rows, id primary key; version 2 drops every id divisible by 97,
# adds 10 ids at the end and sets versi=2 on every row.
mkpkg() {  # mkpkg DIR VERSI
	mkdir -p "$1"
	cat >"$1/datapackage.json" <<'EOF'
{ "name": "angka-uji", "title": "Angka uji", "publisher": "kueri test suite",
  "classification": "public", "updateFrequency": "P1D",
  "licenses": [{"name": "CC0-1.0"}],
  "resources": [{ "name": "angka", "path": "angka.csv", "schema": {
    "fields": [
      {"name": "id", "type": "integer", "constraints": {"required": true}},
      {"name": "kode", "type": "string"},
      {"name": "nilai", "type": "number"},
      {"name": "versi", "type": "integer"}],
    "primaryKey": ["id"] } }] }
EOF
	awk -v v="$2" 'BEGIN { print "id,kode,nilai,versi";
		n = v == 1 ? 3000 : 3010;
		for (i = 1; i <= n; i++) if (v == 1 || i % 97)
			printf "%d,K%05d,%.2f,%d\n", i, (i * 7919) % 100000, (i * 37) % 1000 + 0.25, v }' \
		>"$1/angka.csv"
}
mkpkg "$TMP/v1" 1
mkpkg "$TMP/v2" 2
mkpkg "$TMP/v3" 3
PUB=$TMP/pub
mkdir -p "$PUB/snap"
publish() {  # publish PACKAGE.json: publish (or withdraw) + snapshot
	inns "$NS_P" "$KUERI" publish --db "$PUB/portal.db" "$1" >>"$PUB/publish.log" 2>&1
	inns "$NS_P" "$KUERI" snapshot --db "$PUB/portal.db" --dir "$PUB/snap" \
		--grace "$GRACE" >"$TMP/manifest.out" 2>>"$PUB/publish.log"
}
manifest_version() { sed -n 's/.*"version":"\([0-9a-f]*\)".*/\1/p' "$TMP/manifest.out"; }
publish "$TMP/v1/datapackage.json"; rc=$?
inns "$NS_P" "$KUERI" publish --db "$PUB/portal.db" \
	"$REPO/tests/data/private-canary/public.json" >>"$PUB/publish.log" 2>&1
publish "$TMP/v1/datapackage.json"   # unchanged: snapshot with the canary
V1=$(manifest_version)
[ $rc -eq 0 ] && [ -n "$V1" ]; ok $? "publisher: publish + kueri snapshot wrote a manifest (version $V1)"

# ---- the publisher's rsync daemon ------------------------------------------
{
	echo "pid file = $PUB/rsyncd.pid"
	echo "uid = root"
	echo "gid = root"
	# The shipped module definition, with the test's snapshot path.
	sed -n '/^use chroot/,$p' "$REPO/nginx/rsyncd.conf" |
		sed "s|path = .*|path = $PUB/snap|"
} >"$PUB/rsyncd.conf"
ip netns exec "$NS_P" rsync --daemon --no-detach --config="$PUB/rsyncd.conf" \
	--address=10.0.0.1 --port=873 --log-file="$PUB/rsyncd.log" &
PIDS+=($!)
# The first replicate must not race the daemon's bind (it lost once, on
# a loaded machine): wait until a replica can list the modules (10 s).
for _ in $(seq 200); do
	ip netns exec "${NS_R[0]}" rsync rsync://10.0.0.1/ >/dev/null 2>&1 && break
	sleep 0.05
done

# ---- replicas ---------------------------------------------------------------
USER_LINE="user root $(id -gn);"
SERVE_PID=() NGINX_PID=() REPL_PID=()
start_serve() {  # start_serve I
	local d=$TMP/r$1
	ip netns exec "${NS_R[$1]}" "$KUERI" serve --db "$d/portal.db" --socket "$d/kueri.sock" \
		--workers 2 2>>"$d/kueri.log" &
	SERVE_PID[$1]=$!; PIDS+=($!)
	for _ in $(seq 100); do [ -S "$d/kueri.sock" ] && break; sleep 0.05; done
	ip netns exec "${NS_R[$1]}" "$NGINX" -p "$d/nginx" -c "$d/nginx/nginx.conf" \
		-e "$d/nginx/error.log" -g 'daemon off;' &
	NGINX_PID[$1]=$!; PIDS+=($!)
}
start_replicate() {  # start_replicate I
	local d=$TMP/r$1
	ip netns exec "${NS_R[$1]}" "$KUERI" replicate --from rsync://10.0.0.1/kueri --dir "$d" \
		--every 1 --grace "$GRACE" 2>>"$d/replicate.log" &
	REPL_PID[$1]=$!; PIDS+=($!)
}
for i in 0 1 2; do
	d=$TMP/r$i
	mkdir -p "$d/nginx/tmp" "$d/nginx/cache"
	sed -e "s|@PREFIX@|$d/nginx|g" -e "s|@SOCKET@|$d/kueri.sock|g" \
	    -e "s|@LISTEN@|${ADDR_R[$i]}:8080|g" -e "s|@FRONT@|10.0.0.2|g" \
	    -e "s|@CONF_DIR@|$REPO/nginx|g" -e "s|@USER_LINE@|$USER_LINE|g" \
	    "$REPO/nginx/test-replica.conf.in" >"$d/nginx/nginx.conf"
	inns "${NS_R[$i]}" "$KUERI" replicate --from rsync://10.0.0.1/kueri \
		--dir "$d" --grace 0 2>>"$d/replicate.log"
	rc=$?
	is "$rc" 0 "replica $((i + 1)): first kueri replicate over rsync:// succeeds"
	start_serve "$i"
	start_replicate "$i"
done

# ---- the front ----------------------------------------------------------------
start_front() {  # start_front NAME HTTP_CONF: a front nginx; sets FRONT_PID
	local d=$TMP/$1
	mkdir -p "$d/tmp"
	cp "$2" "$d/kueri-front-http.conf"
	cp "$REPO/nginx/kueri-front.conf" "$d/kueri-front.conf"
	sed -e "s|@PREFIX@|$d|g" -e "s|@LISTEN@|10.0.0.2:8080|g" \
	    -e "s|@CONF_DIR@|$d|g" -e "s|@USER_LINE@|$USER_LINE|g" \
	    "$REPO/nginx/test-front.conf.in" >"$d/nginx.conf"
	ip netns exec "$NS_F" "$NGINX" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" \
		-g 'daemon off;' &
	FRONT_PID=$!; PIDS+=($!)
}
start_front front "$REPO/nginx/kueri-front-http.conf"
FRONT=http://127.0.0.1:8080
fget() {  # fget URL [curl args]: status; body in $TMP/b, headers in $TMP/h
	local u=$1; shift
	inns "$NS_F" curl -s -o "$TMP/b" -D "$TMP/h" -w '%{http_code}' "$@" "$u"
}
health_version() {  # health_version ADDR: the version a replica's kueri serves
	inns "$NS_F" curl -s --max-time 2 "http://$1:8080/health" |
		sed -n 's/.*"version": *"\([0-9a-f]*\)".*/\1/p'
}
up=0 t0=$(date +%s.%N)
while le "$(since "$t0")" 15; do
	n=0
	for a in "${ADDR_R[@]}"; do [ "$(health_version "$a")" = "$V1" ] && n=$((n + 1)); done
	[ "$(fget "$FRONT/health")" = 200 ] && [ $n -eq 3 ] && { up=1; break; }
	sleep 0.1
done
is "$up" 1 "all three replicas serve version $V1 and the front answers /health"
if [ "$up" != 1 ]; then
	echo "Bail out! the topology did not come up; logs:"
	tail -3 "$TMP"/r*/replicate.log "$TMP"/r*/kueri.log "$TMP"/r*/nginx/error.log \
		"$TMP/front/error.log" 2>/dev/null | sed 's/^/# /'
	exit 1
fi
seen=""
for _ in $(seq 9); do
	fget "$FRONT/odata/angka?\$top=1" >/dev/null
	seen="$seen $(tr -d '\r' <"$TMP/h" | sed -n 's/^X-Kueri-Replica: //Ip')"
done
n=$(echo "$seen" | tr ' ' '\n' | sort -u | grep -c .)
is "$n" 3 "the front balances across the three replicas ($(echo $seen | tr ' ' '\n' | sort -u | tr '\n' ' '))"

# ---- load ---------------------------------------------------------------------
LOAD_URL="$FRONT/odata/angka?\$top=20"
wrk_start() {  # wrk_start SECONDS OUT [URL]
	ip netns exec "$NS_F" wrk -t2 -c8 -d"$1"s --timeout 10s "${3:-$LOAD_URL}" >"$2" 2>&1 &
	WRK_PID=$!; PIDS+=($!)
}
wrk_failed() {  # wrk_failed OUT: failed requests (non-2xx/3xx + socket errors)
	awk '/Non-2xx or 3xx/ { n += $NF }
	     /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
	     END { print n + 0 }' "$1"
}
wrk_total() { awk '/requests in/ { print $1 }' "$1"; }
wrk_ok() {  # wrk_ok OUT: wrk ran, answered requests, and none failed
	local t; t=$(wrk_total "$1")
	[ -n "$t" ] && [ "$t" -gt 0 ] && [ "$(wrk_failed "$1")" = 0 ]
}
wrk_rps() { awk '/Requests\/sec/ { printf "%d", $2 }' "$1"; }

echo "# t=${SECONDS}s"
# (1) a publish under load reaches every replica within the bound.
wrk_start 7 "$TMP/wrk1"
sleep 2
t0=$(date +%s.%N)
publish "$TMP/v2/datapackage.json"
V2=$(manifest_version)
reached=""
while :; do
	n=0
	for a in "${ADDR_R[@]}"; do [ "$(health_version "$a")" = "$V2" ] && n=$((n + 1)); done
	el=$(since "$t0")
	[ $n -eq 3 ] && { reached=$el; break; }
	le "$el" $((BOUND + 5)) || break
	sleep 0.2
done
wait "$WRK_PID"
echo "# (1) version $V2 on all replicas after ${reached:-never} s; wrk: $(wrk_total "$TMP/wrk1") requests, $(wrk_rps "$TMP/wrk1") req/s"
[ -n "$reached" ] && le "$reached" "$BOUND"
ok $? "(1) [reopen] the publish of $V2 is served by all 3 replicas within $BOUND s (took ${reached:-more than $((BOUND + 5))} s), no restart"
wrk_ok "$TMP/wrk1"; r=$?
ok $r "(1) 0 failed requests through the front during the publish ($(wrk_total "$TMP/wrk1") requests)"
[ $r -eq 0 ] || { grep -E 'Non-2xx|Socket' "$TMP/wrk1"; awk '$6 != 200' "$TMP/front/access.log" | tail -5;
	awk -F'rt=' '$2 > 4' "$TMP/front/access.log" | tail -5; } | sed 's/^/#   /'
fget "$FRONT/odata/angka?\$filter=id%20eq%203005" >/dev/null
like "$(cat "$TMP/b")" '"versi":2' "(1) [reopen] the front answers with version 2's rows"

echo "# t=${SECONDS}s"
# (2) kill -9 one replica's kueri and nginx under load: nothing lost.
wrk_start 6 "$TMP/wrk2"
sleep 2
victims="${SERVE_PID[2]} ${NGINX_PID[2]}"
for p in ${SERVE_PID[2]} ${NGINX_PID[2]}; do
	victims="$victims $(ps -o pid= --ppid "$p" | tr '\n' ' ')"
done
kill -9 $victims 2>/dev/null
wait "${SERVE_PID[2]}" "${NGINX_PID[2]}" 2>/dev/null
sleep 1
inns "$NS_F" curl -s --max-time 2 -o /dev/null "http://10.0.0.13:8080/health"
[ $? -ne 0 ]; ok $? "(2) replica 3 is down (kill -9 of kueri serve and nginx: $victims)"
wait "$WRK_PID"
echo "# (2) wrk: $(wrk_total "$TMP/wrk2") requests, $(wrk_rps "$TMP/wrk2") req/s; front log: $(grep -c 'up=10.0.0.13:8080, ' "$TMP/front/access.log") requests retried away from replica 3"
wrk_ok "$TMP/wrk2"; r=$?
ok $r "(2) 0 failed requests through the front while replica 3 died ($(wrk_total "$TMP/wrk2") requests)"
[ $r -eq 0 ] || { grep -E 'Non-2xx|Socket' "$TMP/wrk2"; awk '$6 != 200' "$TMP/front/access.log" | tail -5;
	awk -F'rt=' '$2 > 4' "$TMP/front/access.log" | tail -5; } | sed 's/^/#   /'
rm -f "$TMP/r2/kueri.sock"
start_serve 2
back=0
for _ in $(seq 40); do
	fget "$FRONT/odata/angka?\$top=1" >/dev/null
	if tr -d '\r' <"$TMP/h" | grep -qi '^X-Kueri-Replica: 10.0.0.13:8080$'; then
		back=1; break
	fi
	sleep 0.25
done
is "$back" 1 "(2) after a restart replica 3 answers through the front again"

echo "# t=${SECONDS}s"
# (3) re-classify the canary package private: gone from every replica.
CAN=KUERI-CANARY-7f3a
for a in "${ADDR_R[@]}"; do
	inns "$NS_F" curl -s "http://$a:8080/odata/canary_rows" | grep -q "$CAN"
	ok $? "(3) control: replica $a serves the canary while it is public"
done
t0=$(date +%s.%N)
publish "$REPO/tests/data/private-canary/datapackage.json"
VC=$(manifest_version)
tpub=$(since "$t0")
gone=""
declare -A FIRST=()
while :; do
	n=0 last=""
	for a in "${ADDR_R[@]}"; do
		c=$(inns "$NS_F" curl -s -o "$TMP/c" -w '%{http_code}' "http://$a:8080/odata/canary_rows")
		if [ "$c" = 404 ] && ! grep -q "$CAN" "$TMP/c"; then
			n=$((n + 1)); [ -n "${FIRST[$a]}" ] || FIRST[$a]=$(since "$t0")
		fi
		last="$last $a=$c:$(head -c 80 "$TMP/c")"
	done
	el=$(since "$t0")
	[ $n -eq 3 ] && { gone=$el; break; }
	le "$el" $((BOUND + 5)) || break
	sleep 0.2
done
echo "# (3) the canary set answered 404 on all replicas after ${gone:-never} s (publish + snapshot returned after $tpub s; first 404 per replica: ${FIRST[*]})"
[ -n "$gone" ] || { echo "last answers:$last"; date +%T; tail -n 3 "$TMP"/r*/replicate.log "$TMP"/r*/kueri.log "$PUB/publish.log"; } | sed 's/^/#   /' 
[ -n "$gone" ] && le "$gone" "$BOUND"
ok $? "(3) [reopen] the withdrawn set is gone from all 3 replicas within $BOUND s (took ${gone:-more than $((BOUND + 5))} s)"
echo "# t=${SECONDS}s"
leak=""
for a in "${ADDR_R[@]}"; do
	for u in /odata/ /catalog /odata/\$metadata "/odata/angka?\$search=KUERI" /health; do
		inns "$NS_F" curl -s "http://$a:8080$u" | grep -qi 'canary' && leak="$leak $a$u"
	done
done
is "$leak" "" "(3) [reopen] no answer of any replica names the canary (service document, catalog, \$metadata, search, health)"
echo "# t=${SECONDS}s"
sleep $((GRACE + 2))   # the replaced files' grace, then they are zeroed
# nginx's cache manager removes an entry 2 s after its last use
# (inactive=2s): allow the same bound as the answers, then none may remain.
t1=$SECONDS
while :; do
	files=$(grep -rla "$CAN" "$TMP"/r0 "$TMP"/r1 "$TMP"/r2 "$PUB/snap" 2>/dev/null | tr '\n' ' ')
	[ -z "$files" ] || [ $((SECONDS - t1)) -ge "$BOUND" ] && break
	sleep 0.5
done
is "$files" "" "(3) no file in any replica directory or the snapshot directory holds the canary (within $BOUND s after the replaced files' grace)"
echo "# t=${SECONDS}s"
held=""
pids=$(for i in 0 1 2; do ip netns pids "${NS_R[$i]}"; done | sed 's|^|/proc/|; s|$|/fd|')
for f in $(find $pids -lname '*(deleted)' 2>/dev/null); do
	grep -qa "$CAN" "$f" 2>/dev/null && held="$held $f"
done
is "$held" "" "(3) no deleted-but-open file of any replica process holds the canary (the replaced file was zeroed)"

echo "# t=${SECONDS}s"
# (4) a paged read spanning a publish.  Page 1 on version 2, publish
# version 3 while replica 3 is held back at version 2 (its replicate loop
# stopped), then follow the nextLinks.
PREF='Prefer: odata.maxpagesize=500'
next_of() { sed -n 's/.*"@odata.nextLink":"\([^"]*\)".*/\1/p' "$TMP/b" | sed 's|\\/|/|g'; }
ids_of() { grep -o '"id":[0-9]*' "$TMP/b" | cut -d: -f2; }
: >"$TMP/ids"
c=$(fget "$FRONT/odata/angka?\$orderby=id" -H "$PREF")
ids_of >>"$TMP/ids"
NEXT=$(next_of)
[ "$c" = 200 ] && [ -n "$NEXT" ]
ok $? "(4) page 1 of a read on version 2 is answered with a nextLink ($c)"
kill -TERM "${REPL_PID[2]}"; wait "${REPL_PID[2]}" 2>/dev/null
publish "$TMP/v3/datapackage.json"
V3=$(manifest_version)
for _ in $(seq $((BOUND * 5))); do
	[ "$(health_version 10.0.0.11)" = "$V3" ] && [ "$(health_version 10.0.0.12)" = "$V3" ] && break
	sleep 0.2
done
is "$(health_version 10.0.0.13)" "$VC" "(4) replica 3 is held back at the previous portal version while 1 and 2 serve $V3"
refused="" mixed=0 pages=1
while [ -n "$NEXT" ]; do
	c=$(fget "$NEXT")
	if [ "$c" != 200 ]; then refused=$c; break; fi
	grep -q '"versi":3' "$TMP/b" && mixed=1
	ids_of >>"$TMP/ids"; pages=$((pages + 1))
	NEXT=$(next_of)
done
is "$mixed" 0 "(4) no page of a read begun on version 2 has version 3 rows ($pages pages answered)"
if [ -n "$refused" ]; then
	echo "# (4) the read was refused after $pages pages: $refused $(head -c 300 "$TMP/b")"
	like "$(cat "$TMP/b")" '"error":\{"code"' "(4) a refused nextLink is an OData error"
	like "$refused $(cat "$TMP/b")" '^410 .*restart' \
		"(4) [skiptoken-version] the refusal is 410 Gone and says to restart paging"
	# The client restarts paging (up to 5 times while the replicas
	# disagree): one version, every row once.
	for try in 1 2 3 4 5; do
		: >"$TMP/ids"
		fget "$FRONT/odata/angka?\$orderby=id" -H "$PREF" >/dev/null
		ver=$(grep -o '"versi":[0-9]' "$TMP/b" | head -1 | cut -d: -f2)
		ids_of >>"$TMP/ids"; NEXT=$(next_of); rpages=1
		while [ -n "$NEXT" ]; do
			c=$(fget "$NEXT")
			[ "$c" = 200 ] || break
			grep -q "\"versi\":$ver" "$TMP/b" || mixed=1
			ids_of >>"$TMP/ids"; NEXT=$(next_of); rpages=$((rpages + 1))
		done
		[ "$c" = 200 ] && break
	done
	is "$c" 200 "(4) [skiptoken-version] a restarted read completes (try $try, $rpages pages, version $ver) while the replicas disagree"
	is "$mixed" 0 "(4) no restarted read mixed versions"
else
	ver=2
fi
if [ "$c" = 200 ] || [ -z "$refused" ]; then
	want=$(awk -v v="$ver" 'BEGIN { n = v == 1 ? 3000 : 3010;
		for (i = 1; i <= n; i++) if (v == 1 || i % 97) print i }' | sha256sum)
	is "$(sort -n "$TMP/ids" | uniq -d | wc -l)" 0 "(4) no row is repeated across the pages of the completed read"
	is "$(sort -n "$TMP/ids" | sha256sum)" "$want" \
		"(4) the completed read holds exactly version $ver's $(sort -un "$TMP/ids" | wc -l) ids: none skipped"
else
	is "$(sort -n "$TMP/ids" | uniq -d | wc -l)" 0 "(4) no row is repeated across the pages answered"
	echo "# (4) no read completed, so completeness is not checked (see the [skiptoken-version] failures)"
fi
# A nextLink made on version 3 reaches replica 3 (still at 2) for about a
# third of requests: the front must retry it on a replica with version 3.
c=$(fget "$FRONT/odata/angka?\$orderby=id" -H "$PREF")
NEXT3=$(next_of)
[ "$c" = 200 ] && [ -n "$NEXT3" ]
ok $? "(4) page 1 of a read on $V3 is answered with a nextLink ($c)"
codes=""
for _ in $(seq 9); do
	c=$(fget "$NEXT3"); codes="$codes $c"
	[ "$c" = 200 ] || echo "# $c from $(tr -d '\r' <"$TMP/h" | sed -n 's/^X-Kueri-Replica: //Ip'): $(head -c 200 "$TMP/b")"
done
is "$(echo $codes | tr ' ' '\n' | sort | uniq -c | tr -s ' ' | tr '\n' ';')" " 9 200;" \
	"(4) [skiptoken-version] a nextLink made on $V3 through the front is always answered (replica 3 is behind):$codes"
start_replicate 2

echo "# t=${SECONDS}s"
# (5) throughput: one replica alone, the front over 3 replicas, over 1;
# two of the bench scenarios (bench/run.sh) on this suite's data.
BS=${REPLICAS_BENCH_SECS:-2}
SCEN=("page of 20|/odata/angka?\$top=20"
      "filter + orderby, 20|/odata/angka?\$filter=nilai%20gt%20500&\$orderby=kode&\$top=20")
# A request counts as failed when it got a non-2xx/3xx answer or a socket
# error, including wrk's client-side timeout.  That timeout is 10 s, not
# less: with the machine's load average at 15-20 (8 engineers, 2 cores) a
# healthy answer can queue for seconds, and a figure measures throughput,
# not latency; a replica that answers 503 or drops connections still fails.
bench() {  # bench NAME URL: "req/s failed" of a wrk run
	inns "$NS_F" wrk -t2 -c8 -d"$BS"s --timeout 10s "$2" >"$TMP/wrk.$1" 2>&1
	if wrk_ok "$TMP/wrk.$1"; then echo "$(wrk_rps "$TMP/wrk.$1") 0"; else echo "0 1"; fi
}
declare -A RPS
for k in 0 1; do
	u=${SCEN[$k]#*|}
	RPS[direct$k]=$(bench direct$k "http://10.0.0.11:8080$u")
	RPS[front3$k]=$(bench front3$k "$FRONT$u")
done
kill -TERM "$FRONT_PID"; wait "$FRONT_PID" 2>/dev/null
sed '/server 10.0.0.1[23]:8080/d' "$REPO/nginx/kueri-front-http.conf" >"$TMP/front1-http.conf"
start_front front1 "$TMP/front1-http.conf"
for _ in $(seq 50); do [ "$(fget "$FRONT/health")" = 200 ] && break; sleep 0.1; done
for k in 0 1; do RPS[front1$k]=$(bench front1$k "$FRONT${SCEN[$k]#*|}"); done
echo "# (5) wrk -t2 -c8 ${BS} s per figure, req/s; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores:"
echo "#     scenario | one replica, direct | front -> 1 replica | front -> 3 replicas"
fails=""
for k in 0 1; do
	echo "#     ${SCEN[$k]%|*} | ${RPS[direct$k]% *} | ${RPS[front1$k]% *} | ${RPS[front3$k]% *}"
	fails="$fails${RPS[direct$k]#* }${RPS[front1$k]#* }${RPS[front3$k]#* }"
done
is "$fails" 000000 "(5) every throughput run answered requests and none failed"
[ "$fails" = 000000 ] || for f in "$TMP"/wrk.*; do
	echo "$f: $(wrk_total "$f") requests; $(grep -E 'Non-2xx|Socket errors' "$f" | tr '\n' ' ')"
done | sed 's/^/#   /'
echo "# t=${SECONDS}s"
done_testing
