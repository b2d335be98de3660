#!/bin/sh
# The service through real nginx, on a hand-made portal: service document,
# $metadata (well-formed, valid against the OASIS CSDL XSD, properties as
# the schema says), CSDL JSON, catalog, health, conditional requests, CORS,
# 405/404/414, header injection, HEAD, a change to the portal seen without
# restart, a crashed worker replaced, the log line, SIGTERM drain.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

DB=$TMP/portal.db
hp_fixture "$DB"
if ! hp_start "$DB" --workers 2 --max-age 0; then
	ok 1 "nginx + kueri serve start"; done_testing; exit 1
fi
ok 0 "nginx + kueri serve start on 127.0.0.1:$PORT"

# ---- health
is "$(get "$BASE/health")" 200 "GET /health is 200"
is "$(jq -r .status "$TMP/b")" ok "/health says status ok"
is "$(jq -r .sets "$TMP/b")" 2 "/health counts the published sets"

# ---- service document
is "$(get "$BASE/odata/")" 200 "GET /odata/ (service document) is 200"
is "$(header OData-Version)" 4.0 "service document has OData-Version: 4.0"
like "$(header Content-Type)" '^application/json;odata.metadata=minimal' \
	"service document is OData JSON"
is "$(jq -r '."@odata.context"' "$TMP/b")" "$BASE/odata/\$metadata" \
	"service document context is the absolute \$metadata URL of this host"
is "$(jq -r '[.value[] | .name] | join(",")' "$TMP/b")" "apel_2,harga" \
	"service document lists every set by OData name"
is "$(jq -r '[.value[] | .kind] | unique | join(",")' "$TMP/b")" "EntitySet" \
	"every service document entry is an EntitySet"
is "$(jq -r '.value[] | select(.name=="harga") | .url' "$TMP/b")" harga \
	"an entry's url is its name"
is "$(get "$BASE/odata")" 200 "GET /odata (no slash) is the service document too"

# ---- $metadata (XML)
is "$(get "$BASE/odata/\$metadata")" 200 "GET \$metadata is 200"
like "$(header Content-Type)" '^application/xml' "\$metadata is XML by default"
cp "$TMP/b" "$TMP/meta.xml"
xmllint --noout "$TMP/meta.xml" 2>/dev/null; ok $? "\$metadata is well-formed XML"
out=$(xml_valid "$TMP/meta.xml"); rc=$?
ok $rc "\$metadata validates against the OASIS CSDL 4.0 XSD (edmx.xsd + edm.xsd)"
[ $rc -eq 0 ] || echo "# $out" | head -5
xp() { xmllint --xpath "$1" "$TMP/meta.xml" 2>/dev/null; }
N='namespace-uri()="http://docs.oasis-open.org/odata/ns/edm"'
is "$(xp "string(/*[local-name()='Edmx']/@Version)")" 4.0 "edmx:Edmx Version is 4.0"
is "$(xp "count(//*[local-name()='EntityType' and $N])")" 2 "one EntityType per set"
is "$(xp "string(//*[local-name()='Schema']/@Namespace)")" kueri "schema namespace kueri"
props() { xp "//*[local-name()='EntityType' and @Name='$1']/*[local-name()='Property']" |
	sed 's/<Property /\n/g' | sed -n 's/.*Name="\([^"]*\)" Type="\([^"]*\)" Nullable="\([^"]*\)".*/\1:\2:\3/p' | tr '\n' ' '; }
is "$(props harga)" "kode:Edm.String:false Harga_Kemarin:Edm.Int64:true harga:Edm.Decimal:true tgl:Edm.Date:true ok:Edm.Boolean:true " \
	"harga's properties: names mapped to identifiers, EDM types and Nullable as the schema says"
is "$(props apel_2)" "_row:Edm.Int64:false berat:Edm.Double:true bulan:Edm.String:true " \
	"a set without a primary key: the synthetic row key _row first, non-nullable; the fields as the schema says"
is "$(xp "string(//*[local-name()='EntityType' and @Name='harga']/*[local-name()='Key']/*/@Name)")" kode \
	"the primary key is the Key"
is "$(xp "string(//*[local-name()='EntityType' and @Name='apel_2']/*[local-name()='Key']/*/@Name)")" _row \
	"a set without a primary key is keyed by _row (no column is known to be unique; Excel needs a key)"
is "$(xp "string(//*[local-name()='Property' and @Type='Edm.Decimal']/@Scale)")" variable \
	"Edm.Decimal carries Scale=variable (CSDL's default scale 0 would reject fractions)"
is "$(xp "string(//*[local-name()='EntitySet' and @Name='harga']/@EntityType)")" kueri.harga \
	"the EntityContainer has an EntitySet per set, typed kueri.NAME"
is "$(xp "count(//*[local-name()='EntityContainer'])")" 1 "exactly one EntityContainer"

# ---- $metadata (JSON)
is "$(get "$BASE/odata/\$metadata?\$format=json")" 200 "\$metadata?\$format=json is 200"
like "$(header Content-Type)" '^application/json' "... and JSON"
is "$(jq -r '.["$Version"]' "$TMP/b")" 4.0 "CSDL JSON \$Version 4.0"
is "$(jq -r '.["$EntityContainer"]' "$TMP/b")" kueri.Container "CSDL JSON \$EntityContainer"
is "$(jq -r '.kueri.harga["$Kind"] + " " + (.kueri.harga["$Key"]|join(","))' "$TMP/b")" "EntityType kode" \
	"CSDL JSON entity type with \$Key"
is "$(jq -r '.kueri.harga.Harga_Kemarin | "\(.["$Type"]) \(.["$Nullable"])"' "$TMP/b")" "Edm.Int64 true" \
	"CSDL JSON property \$Type/\$Nullable"
is "$(jq -r '.kueri.Container.harga["$Type"]' "$TMP/b")" kueri.harga "CSDL JSON entity set"
get "$BASE/odata/\$metadata" -H 'Accept: application/json' >/dev/null
like "$(header Content-Type)" '^application/json' "\$metadata with Accept: application/json is JSON"
get "$BASE/odata/\$metadata" -H 'Accept: application/xml, application/json' >/dev/null
like "$(header Content-Type)" '^application/xml' "an Accept naming XML too gets XML (Excel, Power BI)"

# ---- conditional requests
get "$BASE/odata/\$metadata" >/dev/null
etag=$(header ETag); lm=$(header Last-Modified)
like "$etag" '^"[^"]+"$' "\$metadata has a strong ETag"
like "$lm" 'GMT$' "\$metadata has Last-Modified"
is "$(get "$BASE/odata/\$metadata" -H "If-None-Match: $etag")" 304 "If-None-Match with the ETag → 304"
is "$(wc -c <"$TMP/b" | tr -d ' ')" 0 "a 304 has no body"
is "$(header ETag)" "$etag" "a 304 repeats the ETag"
is "$(get "$BASE/odata/\$metadata" -H "If-None-Match: \"other\", $etag")" 304 "ETag anywhere in the list → 304"
is "$(get "$BASE/odata/\$metadata" -H 'If-None-Match: "other"')" 200 "a different ETag → 200"
is "$(get "$BASE/odata/\$metadata" -H "If-Modified-Since: $lm")" 304 "If-Modified-Since = Last-Modified → 304"
is "$(get "$BASE/odata/\$metadata" -H 'If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT')" 200 "an older If-Modified-Since → 200"
is "$(get "$BASE/odata/\$metadata" -H 'If-Modified-Since: yesterday')" 200 "a malformed If-Modified-Since is ignored"
is "$(get "$BASE/odata/" -H "If-None-Match: $etag")" 200 "the \$metadata ETag does not match the service document"

# ---- catalog
is "$(get "$BASE/catalog")" 200 "GET /catalog is 200"
is "$(jq -r '.[0].name' "$TMP/b")" pangan "the catalog lists the package"
is "$(jq -r '.[0].resources | map(.name) | sort | join(",")' "$TMP/b")" "apel_2,harga" \
	"the catalog lists the package's resources"
is "$(get "$BASE/catalog/pangan")" 200 "GET /catalog/NAME is 200"
is "$(jq -r '.publisher' "$TMP/b")" "Dinas Pangan" "/catalog/NAME carries the owner"
is "$(get "$BASE/catalog/nope")" 404 "/catalog/UNKNOWN is 404"
is "$(jq -r '.error.code' "$TMP/b")" NotFound "... with an OData error body"
like "$(get "$BASE/catalog/%00x")" '^(400|404)$' "/catalog/%00x is refused (400 by nginx or 404)"

# ---- CORS and methods
get "$BASE/odata/" -H 'Origin: https://example.org' >/dev/null
is "$(header Access-Control-Allow-Origin)" '*' "GET carries Access-Control-Allow-Origin: *"
like "$(header Access-Control-Expose-Headers)" 'ETag' "ETag is exposed to scripts"
is "$(get "$BASE/odata/harga" -X OPTIONS -H 'Origin: https://example.org' \
	-H 'Access-Control-Request-Method: GET')" 204 "OPTIONS preflight → 204"
is "$(header Access-Control-Allow-Origin)" '*' "preflight allows any origin"
like "$(header Access-Control-Allow-Methods)" 'GET' "preflight lists GET"
for m in PUT DELETE PATCH TRACE POST; do
	is "$(get "$BASE/odata/harga" -X $m)" 405 "$m → 405"
done
is "$(header Allow)" "GET, HEAD" "405 says Allow: GET, HEAD"
is "$(jq -r '.error.code' "$TMP/b")" MethodNotAllowed "405 has an OData error body"
is "$(get "$BASE/odata/\$metadata" -I)" 200 "HEAD \$metadata is 200"
unlike "$(body)" 'edmx' "HEAD has no body"

# ---- 404, 414, injection
is "$(get "$BASE/nothing/here")" 404 "an unknown path is 404"
is "$(jq -r '.error.code' "$TMP/b")" NotFound "... with an OData error body"
is "$(get "$BASE/health/x")" 404 "/health/x is 404"
is "$(get "$BASE/odata/../catalog" --path-as-is)" 404 "a ../ path under /odata/ never reaches another resource"
long=$(head -c 9216 /dev/zero | tr '\0' 'a')
is "$(get "$BASE/odata/harga?\$filter=$long")" 414 "a 9 KB URL → 414"
get "$BASE/odata/harga%0D%0AX-Evil:%201" >/dev/null
is "$(header X-Evil)" "" "CR/LF in the path never becomes a header"
get "$BASE/odata/" -H 'Host: evil"><x' >/dev/null
unlike "$(body)" '<x' "a hostile Host header never reaches the body"

# ---- a change to the portal is seen by the next request, no restart
get "$BASE/odata/" >/dev/null; etag1=$(header ETag)
# version 2 of the fixture package with one more (empty, keyed) set "baru",
# published with kueri publish while the server runs
mkdir -p "$TMP/v2"
cp "$REPO/tests/data/http-fixture/"*.csv "$TMP/v2/"
printf 'x\r\n' >"$TMP/v2/baru.csv"
jq '.resources += [{"name": "baru", "path": "baru.csv", "schema":
	{"fields": [{"name": "x", "type": "integer"}], "primaryKey": ["x"]}}]' \
	"$REPO/tests/data/http-fixture/datapackage.json" >"$TMP/v2/datapackage.json"
hp_publish "$DB" "$TMP/v2/datapackage.json"
sleep 1.1   # nginx's cache keeps a shared answer up to 1 s (tests/e2e/http_cache.sh)
ok=0
for w in 1 2 3 4; do  # every worker, not just one, must see it
	get "$BASE/odata/" >/dev/null
	[ "$(jq -r '[.value[].name]|join(",")' "$TMP/b")" = "apel_2,baru,harga" ] || ok=1
done
ok $ok "a set published while serving appears in the service document (every worker, no restart)"
unlike "$(header ETag)" "^$etag1\$" "the service document's ETag changed with the portal"
is "$(get "$BASE/odata/" -H "If-None-Match: $etag1")" 200 "the old ETag no longer gives 304"

# ---- the log line
like "$(cat "$HP_LOG")" 'GET /odata/\$metadata 200 rows=[0-9]+ bytes=[0-9]+ ms=[0-9]+' \
	"one log line per request: method, path, status, rows, bytes, ms"
unlike "$(cat "$HP_LOG")" 'format=json' "the log line leaves the query string out"

# ---- a crashed worker is replaced
w=$(hp_workers | head -1)
if [ -n "$w" ]; then kill -KILL "$w"; fi  # a crash, without sanitizer noise
sleep 1.5
n=0; for i in 1 2 3 4 5 6; do [ "$(get "$BASE/health")" = 200 ] && n=$((n + 1)); done
is "$n" 6 "requests keep being answered after a worker crashes"
like "$(cat "$HP_LOG")" "worker $w killed by signal 9; replacing it" "the crash is logged"
is "$(hp_workers | wc -l | tr -d ' ')" 2 "the pool is back to 2 workers"

# ---- SIGTERM drains and exits
parent=$(hp_kueri_parent)
hp_stop
ok $(kill -0 "$parent" 2>/dev/null && echo 1 || echo 0) "SIGTERM stops kueri serve"
like "$(cat "$HP_LOG")" 'kueri serve: stopped' "kueri serve says it stopped"
ok $([ -e "$HP_RUN/kueri.sock" ] && echo 1 || echo 0) "the socket is removed"
unlike "$(cat "$HP_LOG")" "Sanitizer|runtime error" "no sanitizer report from any kueri serve process"

# ---- nginx's cache honours kueri's Cache-Control; gzip
# a package whose pages pass gzip_min_length (1 KB): 100 rows
mkdir -p "$TMP/besar"
{ printf 'id,nama\r\n'; i=1; while [ $i -le 100 ]; do printf '%d,Desa nomor %d\r\n' $i $i; i=$((i + 1)); done; } >"$TMP/besar/besar.csv"
printf '%s' '{"name": "besar", "publisher": "Dinas Pangan", "classification": "public", "updateFrequency": "P1D", "licenses": [{"name": "CC0-1.0"}], "resources": [{"name": "besar", "path": "besar.csv",
	"schema": {"fields": [{"name": "id", "type": "integer"}, {"name": "nama", "type": "string"}],
	"primaryKey": ["id"]}}]}' >"$TMP/besar/datapackage.json"
hp_publish "$DB" "$TMP/besar/datapackage.json" || ok 1 "the 100-row package publishes"
if hp_start "$DB" --workers 1 --max-age 30; then
	get "$BASE/odata/\$metadata" >/dev/null
	is "$(header Cache-Control)" "public, max-age=30" "--max-age sets Cache-Control"
	# back to back on one connection (requests in separate seconds
	# would all miss: entries live to the end of their second).  nginx
	# stores a URL on its second use (fastcgi_cache_min_uses 2), so the
	# first two miss and the third is a HIT.
	# (a URL of its own: a custom query option kueri ignores)
	u1="$BASE/odata/\$metadata?probe=min-uses"
	st=$(curl -s -o /dev/null -o /dev/null -o /dev/null -w '%header{x-cache-status}\n' "$u1" "$u1" "$u1" | tr '\n' ' ')
	like "$st" '^MISS MISS HIT' "a URL asked a third time comes from nginx's cache, not the first time it repeats ($st)"
	get "$BASE/odata/\$metadata" >/dev/null
	# nginx keeps a shared answer to the end of its second whatever
	# max-age says (the 1 s withdrawal bound, tests/e2e/http_cache.sh):
	# of 10 quick repeats, kueri sees about one per second.
	before=$(grep -c 'metadata 200' "$HP_LOG")
	u="$BASE/odata/\$metadata"
	curl -s -o /dev/null "$u" "$u" "$u" "$u" "$u" "$u" "$u" "$u" "$u" "$u"
	reached=$(( $(grep -c 'metadata 200' "$HP_LOG") - before ))
	ok $([ "$reached" -lt 8 ] && echo 0 || echo 1) "... 10 repeats reach kueri only $reached times"
	is "$(get "$BASE/odata/\$metadata" -H "If-None-Match: $(header ETag)")" 304 "nginx answers 304 from its cache"
	get "$BASE/catalog/nope" >/dev/null; get "$BASE/catalog/nope" >/dev/null
	unlike "$(header X-Cache-Status)" HIT "errors (no-store) are never cached"
	get "$BASE/odata/\$metadata?\$format=json" -H 'Accept-Encoding: gzip' >/dev/null
	is "$(header Content-Encoding)" gzip "JSON is gzipped for clients that accept it"
	# OData's own JSON (application/json;odata.metadata=...): nginx
	# matched gzip_types against the whole Content-Type, so no OData page
	# was ever compressed until its types were listed with the parameter.
	for f in "" "&\$format=application/json;odata.metadata=none"; do
		u="$BASE/odata/besar?\$top=100$f"
		get "$u" >/dev/null; body >"$TMP/plain"
		ct=$(header Content-Type)
		get "$u" -H 'Accept-Encoding: gzip' >/dev/null
		is "$(header Content-Encoding)" gzip "a page as $ct ($(wc -c <"$TMP/plain") B) is gzipped for clients that accept it"
		gzip -dc <"$TMP/b" >"$TMP/unz" 2>/dev/null
		ok $(cmp -s "$TMP/plain" "$TMP/unz" && echo 0 || echo 1) "... and unzips to the same bytes as the plain answer"
		like "$(grep -i '^Vary:' "$TMP/h" | tr '\n' ' ')" "Accept-Encoding" "... with Vary: Accept-Encoding for the caches between"
		etag=$(header ETag)
		like "$etag" '^W/"' "... and a weak ETag (the compressed bytes differ): $etag"
		is "$(get "$u" -H 'Accept-Encoding: gzip' -H "If-None-Match: $etag")" 304 "... which revalidates to 304"
	done
	hp_stop
else
	ok 1 "a second server (max-age 30) starts"
fi
done_testing
