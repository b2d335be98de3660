#!/bin/sh
# The query engine through real nginx + kueri serve: filtering, $count,
# paging by following absolute nextLinks, $apply, CSV (format and Accept,
# with a download name), payload names = $metadata names, ETag/304 on a
# query, errors as OData JSON, a query over the time budget → a clean 503
# while other requests keep being served, and a publish during a stream of
# requests (no failed request; the new version visible afterwards).
# Expected values come from sqlite3 over the same tables, not from kueri.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

DB=$TMP/portal.db
hp_fixture "$DB"
# package "statistik": set "angka", 200 000 rows by a stated rule, published
# with kueri publish like the fixture (the expected values below are read
# from its table with sqlite3)
mkdir -p "$TMP/statistik"
awk 'BEGIN { print "id,prov,n,label"; srand(9)
	for (i = 1; i <= 200000; i++)
		printf "%d,P%d,%d,%04X%04X%04X%04X\n", i, i % 34, (i * 7919) % 1000,
			int(rand() * 65536), int(rand() * 65536), int(rand() * 65536),
			int(rand() * 65536) }' \
	>"$TMP/statistik/angka.csv"
cat >"$TMP/statistik/datapackage.json" <<'EOF'
{"name": "statistik", "title": "Angka", "publisher": "BPS",
 "classification": "public", "updateFrequency": "P1Y",
 "resources": [{"name": "angka", "title": "Angka", "path": "angka.csv",
  "schema": {"fields": [{"name": "id", "type": "integer"},
   {"name": "prov", "type": "string", "kueri:search": false},
   {"name": "n", "type": "integer"},
   {"name": "label", "type": "string", "kueri:search": false}],
   "primaryKey": ["id"]}}]}
EOF
hp_publish "$DB" "$TMP/statistik/datapackage.json"
T4=$(sqlite3 "$DB" "SELECT tbl FROM kueri_resource WHERE name = 'angka'")
case $T4 in t[0-9]*) ;; *) T4=missing_angka_table ;; esac
sq() { sqlite3 "$DB" "$1"; }

if ! hp_start "$DB" --workers 2 --max-age 0; then
	ok 1 "nginx + kueri serve start"; done_testing; exit 1
fi
ok 0 "nginx + kueri serve start on 127.0.0.1:$PORT"
O=$BASE/odata

# ---- filtering and $count
want=$(sq "SELECT count(*) FROM $T4 WHERE c1 = 'P7'")
is "$(get "$O/angka?\$filter=prov%20eq%20'P7'&\$count=true&\$top=3")" 200 "\$filter + \$count + \$top is 200"
is "$(jq -r '."@odata.count"' "$TMP/b")" "$want" "@odata.count counts every match, not the page"
is "$(jq -r '.value | length' "$TMP/b")" 3 "\$top=3 gives 3 rows"
is "$(jq -r '[.value[].prov] | unique | join(",")' "$TMP/b")" P7 "every row matches the filter"
like "$(header Content-Type)" '^application/json;odata.metadata=minimal' "OData JSON content type"
is "$(header OData-Version)" 4.0 "OData-Version: 4.0 on a query"
is "$(header Access-Control-Allow-Origin)" '*' "CORS on a query"
is "$(jq -r '."@odata.context"' "$TMP/b")" "$O/\$metadata#angka" "context URL is absolute"

# ---- payload names are the $metadata names
get "$O/\$metadata" >/dev/null; cp "$TMP/b" "$TMP/meta.xml"
mprops=$(xmllint --xpath "//*[local-name()='EntityType' and @Name='angka']/*[local-name()='Property']/@Name" "$TMP/meta.xml" |
	sed 's/ Name="\([^"]*\)"/\1 /g' | tr -s ' ' '\n' | grep . | sort | tr '\n' ',')
get "$O/angka?\$top=1" >/dev/null
keys=$(jq -r '.value[0] | keys[]' "$TMP/b" | sort | tr '\n' ',')
is "$keys" "$mprops" "a row's keys are exactly the EntityType's properties"
get "$O/harga?\$top=1&\$select=kode,harga,tgl,ok" >/dev/null
is "$(jq -r '.value[0] | keys | join(",")' "$TMP/b")" "harga,kode,ok,tgl" "\$select over identifier names"

# ---- paging: follow nextLink to the end
want=$(sq "SELECT count(*) FROM $T4 WHERE c2 < 10")
url="$O/angka?\$filter=n%20lt%2010&\$orderby=id"
pages=0
bad=0
: >"$TMP/ids"
while [ -n "$url" ] && [ $pages -lt 50 ]; do
	st=$(get "$url" -H 'Prefer: odata.maxpagesize=500')
	[ "$st" = 200 ] || { bad=1; echo "# page $pages: $st $(head -c 300 "$TMP/b")"; break; }
	pages=$((pages + 1))
	jq -r '.value[].id' "$TMP/b" >>"$TMP/ids"
	next=$(jq -r '."@odata.nextLink" // empty' "$TMP/b")
	case "$next" in ""|"$O/"*) ;; *) bad=1 ;; esac
	url=$next
done
is "$bad" 0 "every page is 200 and every nextLink is absolute under $O/"
is "$(wc -l <"$TMP/ids" | tr -d ' ')" "$want" "following nextLink yields every matching row"
is "$(sort -n "$TMP/ids" | uniq | wc -l | tr -d ' ')" "$want" "no row twice across pages"
is "$(cksum <"$TMP/ids")" "$(sq "SELECT c0 FROM $T4 WHERE c2 < 10 ORDER BY c0" | cksum)" \
	"the pages concatenate to the filtered, ordered result"
is "$pages" $(( (want + 499) / 500 )) "page count follows Prefer: odata.maxpagesize=500"
get "$O/angka?\$top=5" -H 'Prefer: odata.maxpagesize=2' >/dev/null
is "$(header Preference-Applied)" "odata.maxpagesize=2" "Preference-Applied echoes the page size used"

# ---- $apply
get "$O/angka?\$apply=filter(n%20lt%20100)/groupby((prov),aggregate(n%20with%20sum%20as%20total,\$count%20as%20cnt))&\$orderby=prov" >/dev/null
is "$(jq -r '.value[] | "\(.prov)=\(.total)/\(.cnt)"' "$TMP/b" | tr '\n' ' ')" \
	"$(sq "SELECT c1 || '=' || sum(c2) || '/' || count(*) FROM $T4 WHERE c2 < 100 GROUP BY c1 ORDER BY c1" | tr '\n' ' ')" \
	"\$apply groupby + aggregate equals SQL over the same table"

# ---- CSV
is "$(get "$O/harga?\$format=csv&\$orderby=kode")" 200 "\$format=csv is 200"
like "$(header Content-Type)" '^text/csv' "CSV content type"
like "$(header Content-Disposition)" '^attachment; filename="[A-Za-z0-9._-]+\.csv"$' "CSV comes as a named download"
is "$(sed -n 2p "$TMP/b" | cut -d, -f1)" A1 "CSV rows follow the header"
is "$(wc -l <"$TMP/b" | tr -d ' ')" 4 "CSV export without \$top has every row (+ header)"
get "$O/harga" -H 'Accept: text/csv' >/dev/null
like "$(header Content-Type)" '^text/csv' "Accept: text/csv gives CSV"
want=$(sq "SELECT count(*) FROM $T4 WHERE c1 = 'P3'")
get "$O/angka?\$filter=prov%20eq%20'P3'&\$format=csv" >/dev/null
is "$(($(wc -l <"$TMP/b") - 1))" "$want" "a CSV export is not cut at the page size"

# ---- ETag / 304 on a query, HEAD
q="$O/angka?\$filter=prov%20eq%20'P1'&\$top=2"
get "$q" >/dev/null; etag=$(header ETag)
like "$etag" '^"' "a query answer has an ETag"
like "$(header Cache-Control)" 'max-age=0' "Cache-Control carries --max-age"
is "$(get "$q" -H "If-None-Match: $etag")" 304 "the same query with If-None-Match → 304"
is "$(get "$q" -I)" 200 "HEAD on a query is 200"
# now() is the request's time: the answer changes with the clock while the
# versions an ETag is made of stay the same, so it carries no validator and
# no conditional request turns it into a 304 of an older answer
qn="$O/angka?\$filter=now()%20gt%202000-01-01T00:00:00Z&\$top=2"
is "$(get "$qn")" 200 "a query that reads the clock (now()) is 200"
is "$(header ETag)|$(header Last-Modified)" "|" "an answer that reads the clock has no ETag and no Last-Modified"
is "$(get "$qn" -H 'If-Modified-Since: Wed, 01 Jan 2031 00:00:00 GMT')" 200 \
	"If-Modified-Since cannot make an answer that reads the clock a 304"
get "$O/angka?\$filter=year(2020-01-01)%20gt%202000&\$top=2" >/dev/null
like "$(header ETag)" '^"' "a date function without now() keeps its ETag"

# ---- errors
is "$(get "$O/angka?\$filter=nosuch%20eq%201")" 400 "unknown property → 400"
is "$(jq -r '.error.code | length > 0' "$TMP/b")" true "400 has an OData error body"
is "$(header Cache-Control)" no-store "errors are not cacheable"
is "$(get "$O/nosuch")" 404 "unknown entity set → 404"
is "$(jq -r '.error.message | length > 0' "$TMP/b")" true "404 has an OData error body"

# ---- hostile URLs and headers (HARDENING.md): never a 5xx, never a crash,
# errors always in the OData shape
bad=0
for q in '$filter=%' '$filter=%2' '$filter=%G0' '$filter=%zz' '$filter=%2527' \
	'$filter=prov%20eq%20%27a%00b%27' '$filter=prov%20eq%20%27%C0%AF%27' \
	'$filter=prov%20eq%20%27%ED%A0%80%27' '$filter=prov%20eq%20%27%F4%90%80%80%27' \
	'$filter=prov%20eq%20%27%FF%27' '$filter=%EF%BB%BFprov%20eq%20%27P1%27' \
	'$filter=prov%20eq%20%27%0D%0AX:%201%27' '$top=1&$top=2' '$filter=' 'top' \
	'$top=1;$skip=2' '$x=1' '$FILTER=n%20eq%201' 'filter=n%20eq%201' '$top=-1' \
	'$filter=rowid%20eq%201' '$orderby=sqlite_schema' "\$search=%22" '$search=(' \
	'$filter=contains(label,%27%25_%27)' '$format=xml' '$format=atom'; do
	st=$(get "$O/angka?$q")
	case "$st" in
	2??) ;;
	4??) [ "$(jq -r '.error.code | length > 0' "$TMP/b" 2>/dev/null)" = true ] ||
		{ bad=1; echo "# $q: $st without an OData error body"; } ;;
	*) bad=1; echo "# $q: $st" ;;
	esac
	[ -z "$(header X)" ] || { bad=1; echo "# $q: injected a header"; }
done
is "$bad" 0 "hostile query strings get 2xx or a 4xx OData error, never a 5xx or an injected header"
bad=0
for h in 'Range: bytes=0-10' "If-None-Match: $(head -c 6000 /dev/zero | tr '\0' 'x')" \
	'Accept: text/html;q=0.1, */*;q=0' 'Accept: application/xml' 'Prefer: odata.maxpagesize=-1' \
	'Prefer: odata.maxpagesize=99999999999999999999'; do
	st=$(get "$O/angka?\$top=2" -H "$h")
	case "$st" in 200|206|304|4??) ;; *) bad=1; echo "# $h: $st" ;; esac
done
is "$bad" 0 "odd headers (Range, a huge If-None-Match, odd Accept/Prefer) never give a 5xx"
is "$(get "$BASE/health")" 200 "the service is still healthy after the hostile requests"

# ---- a publish during a stream of requests
publish() {  # a new version of set "harga": new table, catalog rows, one txn
	v=$1
	sqlite3 "$DB" >/dev/null <<EOF
BEGIN IMMEDIATE;
CREATE TABLE t1$v(c0 TEXT, c1 INTEGER, c2 REAL, c3 TEXT, c4 INTEGER);
WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 500)
INSERT INTO t1$v SELECT 'K' || i, $v, i, '2024-01-01', 1 FROM r;
UPDATE kueri_resource SET tbl = 't1$v', rows = 500 WHERE name = 'harga';
UPDATE kueri_package SET version = $v, published_at = published_at + 1
 WHERE name = 'pangan';
COMMIT;
EOF
}
: >"$TMP/stream"
( i=0; while [ $i -lt 150 ]; do
	curl -s -o /dev/null -w '%{http_code}\n' "$O/harga?\$select=kode&\$top=200" >>"$TMP/stream"
	i=$((i + 1)); done ) &
spid=$!
sleep 0.3; publish 2; sleep 0.3; publish 3; sleep 0.3; publish 4
wait $spid
is "$(sort -u "$TMP/stream" | tr '\n' ' ')" "200 " "no request failed while three versions were published"
is "$(wc -l <"$TMP/stream" | tr -d ' ')" 150 "every request of the stream was answered"
get "$O/harga?\$apply=aggregate(\$count%20as%20n)" >/dev/null
is "$(jq -r '.value[0].n' "$TMP/b")" 500 "the newest version is served after the publish, without restart"

like "$(cat "$HP_LOG")" 'GET /odata/angka 200 rows=[0-9]+ bytes=[0-9]+ ms=[0-9]+' "query requests are logged with their row count"
hp_stop
unlike "$(cat "$HP_LOG")" "Sanitizer|runtime error" "no sanitizer report from any kueri serve process"

# ---- time budget: a heavy query fails cleanly, others keep flowing.  A
# second server with a 50 ms budget: the heavy query needs ~10x that even
# on a fast machine, the light ones a few ms even under a sanitizer.
if ! hp_start "$DB" --workers 2 --max-age 0 --time-budget 50; then
	ok 1 "a second server (time budget 50 ms) starts"; done_testing; exit 1
fi
O=$BASE/odata
heavy="$O/angka?\$apply=groupby((label),aggregate(\$count%20as%20c))&\$orderby=c%20desc&\$top=1"
( get "$heavy" >"$TMP/heavy.st"; cp "$TMP/b" "$TMP/heavy.b" ) &
hpid=$!
n=0; for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$O/angka?\$top=1")" = 200 ] && n=$((n + 1))
done
wait $hpid
is "$(cat "$TMP/heavy.st")" 503 "a query over the time budget → 503"
is "$(jq -r '.error.code | length > 0' "$TMP/heavy.b")" true "... with a clean OData error body"
is "$n" 10 "other requests are answered while the heavy one runs"

hp_stop
unlike "$(cat "$HP_LOG")" "Sanitizer|runtime error" "no sanitizer report from any kueri serve process"
done_testing
