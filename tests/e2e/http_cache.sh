#!/bin/sh
# nginx's cache in the shipped config (nginx/kueri.conf) with kueri's
# default --max-age 0:
#  - a hot URL is answered from nginx's cache (kueri sees at most about one
#    request per second for it) and no request waits on a cache lock;
#  - an expired entry whose answer has not changed is revalidated: kueri
#    answers nginx's conditional request with a 304 (the query never runs,
#    test_query_held.c) and nginx serves its copy;
#  - the privacy bound: a withdrawn dataset -- re-classified private, or
#    unpublished -- is in no answer that starts more than 1 s after the
#    publisher finished, although its answers were cached a moment before
#    (a poller hits the canary's URLs through nginx all the while);
#  - errors are never cached, and nginx's X-Accel-Expires never reaches a
#    client.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

DB=$TMP/portal.db
CANARY_DIR=$REPO/tests/data/private-canary
SECRET=KUERI-CANARY-7f3a NAME=canary_rows
pub() { "$KUERI" publish --db "$DB" "$@" >>"$TMP/publish.log" 2>&1; }
now() { date +%s.%N; }

pub "$CANARY_DIR/public.json"; ok $? "kueri publish: the canary package, classified public"
if ! hp_start "$DB" --workers 2; then
	ok 1 "nginx + kueri serve start"; done_testing; exit 1
fi
O=$BASE/odata

# ---- a hot URL comes from nginx's cache
# 40 requests of one URL from one curl (one connection, back to back).
urls=""; for i in $(seq 40); do urls="$urls $O/$NAME?\$top=5"; done
# shellcheck disable=SC2086
hits=$(curl -s -o /dev/null -w '%header{x-cache-status}\n' $urls | grep -c '^HIT$')
get "$O/$NAME?\$top=5" >/dev/null
like "$(body)" "$SECRET" "control: the public canary's values are served"
ok $([ $hits -ge 30 ] && echo 0 || echo 1) "a repeated URL is answered from nginx's cache ($hits of 40 HITs)"
reached=$(grep -c "GET /odata/$NAME 200" "$HP_LOG")
ok $([ "$reached" -ge 1 ] && echo 0 || echo 1) "kueri's log shows the URL's misses"
ok $([ "$reached" -le 11 ] && echo 0 || echo 1) "... kueri answered only $reached of the 41 (about one per second)"
is "$(header X-Accel-Expires)" "" "nginx does not pass X-Accel-Expires to clients"
is "$(header Cache-Control)" "public, max-age=0" "clients are told max-age 0"
get "$O/nope" >/dev/null; get "$O/nope" >/dev/null
unlike "$(header X-Cache-Status)" HIT "errors (no-store) are never cached"

# ---- an expired entry is revalidated, not recomputed
# The URL is stored (asked twice), then asked again after its second has
# passed: nginx asks kueri with the stored ETag, kueri (data unchanged)
# answers 304 without running the query, and nginx serves its copy and
# keeps it.  Five tries: a try whose entry a slow machine let go (inactive
# 2 s) is a plain miss.
R="$O/$NAME?\$top=4&\$orderby=id%20desc&\$skip="
reval=""
for try in 1 2 3 4 5; do
	curl -s -o /dev/null -o /dev/null "$R$try" "$R$try"
	get "$R$try" >/dev/null; first=$(body)
	sleep 1.1
	st=$(get "$R$try")
	reval="$try:$st/$(header X-Cache-Status)"
	[ "$(header X-Cache-Status)" = REVALIDATED ] && break
done
like "$reval" "200/REVALIDATED" "an expired entry of an unchanged answer is revalidated ($reval)"
is "$(body)" "$first" "... and the client gets the stored answer"
like "$(header ETag)" '^"' "... with its ETag"
grep -q "GET /odata/$NAME 304" "$HP_LOG"
ok $? "kueri answered nginx's revalidation with a 304 (its log)"
# a client that holds the answer revalidates through nginx: 304
st=$(get "$R$try" -H "If-None-Match: $(header ETag)")
is "$st" 304 "a client's If-None-Match on a stored answer → 304 ($(header X-Cache-Status))"

# ---- variants: the key holds every request header the answer depends on
# One URL, five ways of asking it.  Each way is asked twice back to back
# (curl, one connection: the second request stores it) and then once more
# through `get`, whose answer must be its own variant's and, at least once
# in up to five tries, a cache hit (an entry lives to the end of its
# second, so a try that crosses a second misses; the machine may be slow).
# The variants are asked in turn, so a wrong key would hand one variant's
# stored answer to the next.  The two Host ports catch a key that drops
# the port (nginx's $host does): the port is in the absolute URLs kueri
# writes.
V="$O/$NAME?\$top=2"
variant() {  # variant N: curl options of variant N
	case $1 in
	1) echo "-H Accept:" ;;
	2) echo "-H Accept:text/html" ;;
	3) echo "-H Prefer:odata.maxpagesize=1" ;;
	4) echo "-H Host:cache-a.example:1111" ;;
	5) echo "-H Host:cache-a.example:2222" ;;
	esac
}
right() {  # right N: does the last answer belong to variant N?
	case $1 in
	1) case "$(header Content-Type)" in application/json*) ;; *) return 1 ;; esac
	   case "$(body)" in *'@odata.nextLink'*) return 1 ;; esac ;;
	2) case "$(header Content-Type)" in text/html*) ;; *) return 1 ;; esac ;;
	3) case "$(body)" in *'@odata.nextLink'*) ;; *) return 1 ;; esac ;;
	4) case "$(body)" in *'"http://cache-a.example:1111/'*) ;; *) return 1 ;; esac ;;
	5) case "$(body)" in *'"http://cache-a.example:2222/'*) ;; *) return 1 ;; esac ;;
	esac
}
wrong="" nohit=""
for n in 1 2 3 4 5; do
	for try in 1 2 3 4 5; do
		for m in 1 2 3 4 5; do   # every other variant stored meanwhile
			[ $m = $n ] && continue
			# shellcheck disable=SC2046
			curl -s -o /dev/null -o /dev/null $(variant $m) "$V" "$V"
		done
		# shellcheck disable=SC2046
		curl -s -o /dev/null -o /dev/null $(variant $n) "$V" "$V"
		# shellcheck disable=SC2046
		get "$V" $(variant $n) >/dev/null
		right $n || wrong="$wrong $n/$try($(header X-Cache-Status))"
		[ "$(header X-Cache-Status)" = HIT ] && break
	done
	[ "$(header X-Cache-Status)" = HIT ] || nohit="$nohit $n"
done
is "$wrong" "" "one URL asked five ways, the others stored between: each answer is its own variant's (wrong: variant/try(cache))"
is "$nohit" "" "each variant is answered from the cache (variants never hit:$nohit)"
get "$V" -H Accept:text/html >/dev/null
like "$(header Vary)" '(^|, )Accept, Prefer, OData-MaxVersion, OData-Version$' "clients still get kueri's Vary (for their own caches) on a $(header X-Cache-Status)"

# HEAD is answered with the head alone.  Two HEADs of a URL (the second
# is stored), then GETs within the same second: every GET gets the
# whole page, never a stored empty HEAD answer (nginx fetches HEAD as
# GET for its cache unless told otherwise, but kueri sees the client's
# method).  Five tries, each on a fresh URL.
emptied=""
for try in 1 2 3 4 5; do
	H="$O/$NAME?\$top=2&\$skip=$try"
	curl -s -o /dev/null -o /dev/null -I "$H" "$H"
	st=$(get "$H")
	n=$(wc -c <"$TMP/b" | tr -d ' ')
	[ "$st" = 200 ] && [ "$n" -gt 50 ] || emptied="$emptied $try:$st/${n}B($(header X-Cache-Status))"
done
is "$emptied" "" "a GET after two HEADs of its URL gets the whole answer (emptied:$emptied)"

# Eight identical concurrent requests of an expired URL: none waits on a
# lock (nginx's lock polls every 500 ms).  Compared with eight distinct
# URLs at the same moment, which no lock can hold back.
burst() {  # burst SAME|DIFF: wall ms of 8 concurrent requests
	sleep 1.1   # whatever was cached has expired
	t0=$(now); pids=""
	for i in 1 2 3 4 5 6 7 8; do
		if [ "$1" = SAME ]; then u="$O/$NAME?\$top=7"; else u="$O/$NAME?\$top=$((10 + i))"; fi
		curl -s -o /dev/null "$u" & pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	echo "$t0 $(now)" | awk '{ printf "%d", ($2 - $1) * 1000 }'
}
# Three bursts of each, medians: one burst on a loaded machine can take a
# second either way, while a lock would hold back every identical one.
med3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
d1=$(burst DIFF); s1=$(burst SAME); d2=$(burst DIFF); s2=$(burst SAME); d3=$(burst DIFF); s3=$(burst SAME)
diff_ms=$(med3 "$d1" "$d2" "$d3"); same_ms=$(med3 "$s1" "$s2" "$s3")
ok $([ "$same_ms" -lt $((diff_ms + 400)) ] && echo 0 || echo 1) \
	"8 concurrent identical requests of an expired URL take ${same_ms} ms, 8 distinct ${diff_ms} ms (medians of 3; no 500 ms lock wait)"

# ---- withdrawal while a poller reads through the cache
poll() {  # poll OUT: until $TMP/stop exists, "START-TIME LEAKED?" per answer
	while [ ! -e "$TMP/stop" ]; do
		for u in "$O/$NAME?\$top=5" "$O/$NAME" "$O/$NAME(1)" "$O/$NAME/\$count" "$O/"; do
			t=$(now)
			if curl -s "$u" | grep -q "$SECRET\|\"$NAME\""; then
				echo "$t 1"
			else
				echo "$t 0"
			fi
		done
	done >"$1"
}
withdraw_check() {  # withdraw_check WHAT COMMAND...: run it while polling
	what=$1; shift
	rm -f "$TMP/stop"
	poll "$TMP/poll" & ppid=$!
	sleep 1.5            # the poller fills nginx's cache with the canary
	"$@" >>"$TMP/publish.log" 2>&1
	done_at=$(now)
	sleep 2.5
	: >"$TMP/stop"; wait $ppid
	before=$(awk -v d="$done_at" '$1 < d - 0.2 && $2 == 1' "$TMP/poll" | wc -l | tr -d ' ')
	late=$(awk -v d="$done_at" '$1 > d + 1.0 && $2 == 1' "$TMP/poll" | wc -l | tr -d ' ')
	after=$(awk -v d="$done_at" '$1 > d + 1.0' "$TMP/poll" | wc -l | tr -d ' ')
	ok $([ "$before" -gt 0 ] && echo 0 || echo 1) "$what: control: the canary was served ($before answers) before"
	ok $([ "$after" -ge 3 ] && echo 0 || echo 1) "$what: the poller made $after requests starting more than 1 s after"
	is "$late" 0 "$what: none of them shows the canary's name or values"
}
withdraw_check "re-classified private" "$KUERI" publish --db "$DB" "$CANARY_DIR/datapackage.json"
pub "$CANARY_DIR/public.json"; ok $? "kueri publish: the canary public again"
sleep 1.1
get "$O/$NAME?\$top=5" >/dev/null
like "$(body)" "$SECRET" "a publish is visible within 1 s too (the canary is back)"
withdraw_check "unpublished" "$KUERI" unpublish --db "$DB" kueri-canary

# Cache entries are unreachable 1 s after they were made (stale entries
# are never served), and nginx's cache manager erases their files 2 s after
# their last use (inactive=2s in the shipped http-level config).
get "$O/$NAME?\$top=5" >/dev/null
unlike "$(body)" "$SECRET" "after unpublish, the cached URL answers without the canary"
unlike "$(header X-Cache-Status)" HIT "... not from the cache"
# The manager runs on its own schedule (and later on a loaded machine):
# poll for up to 10 s, the bound docs/serving.md states.
for i in $(seq 1 20); do
	sleep 0.5
	left=$(grep -rla "$SECRET" "$HP_RUN/nginx/cache" 2>/dev/null | wc -l | tr -d ' ')
	[ "$left" = 0 ] && break
done
is "$left" 0 "no file of nginx's cache holds the canary's values within 10 s (gone after $((i * 5 / 10)).$((i * 5 % 10)) s)"

hp_stop
unlike "$(cat "$HP_LOG")" "Sanitizer|runtime error" "no sanitizer report from any kueri serve process"
done_testing
