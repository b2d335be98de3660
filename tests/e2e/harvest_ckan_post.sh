#!/bin/sh
# CKAN actions sent as POST, as CKAN's own clients send them (ckanapi's
# RemoteCKAN posts a JSON object; forms and `requests.post(data=...)` a
# form-encoded body), through nginx and the shipped config.  CKAN reads
# the body and, for read-only actions, the URL's parameters too
# (ckan/views/api.py _get_request_data); kueri answers the same dict a
# GET with the same parameters gets.  POST anywhere else stays 405, a body
# that is not a JSON object is CKAN's 400 "Bad Request" envelope, a body
# over the 64 KiB cap is refused, and the private canary never appears.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

DB=$TMP/portal.db
for d in "$REPO"/data/*/; do
	"$KUERI" publish --db "$DB" "$d/datapackage.kueri.json" >>"$TMP/pub.log" 2>&1
done
hp_private_canary "$DB"   # published, then marked private (http_lib.inc)
hp_start "$DB" || { ok 1 "server starts"; done_testing; exit 1; }
API=$BASE/api/3/action
JSON='Content-Type: application/json'

# package_show: JSON body vs the same id on a GET.
is "$(get "$API/package_show?id=wilayah-administratif-indonesia-bps-2018")" 200 "GET package_show?id=wilayah-administratif-indonesia-bps-2018"
cp "$TMP/b" "$TMP/get.json"
is "$(get "$API/package_show" -X POST -H "$JSON" --data '{"id": "wilayah-administratif-indonesia-bps-2018"}')" 200 \
	"POST package_show with a JSON body {\"id\": ...} is 200"
is "$(header Content-Type)" "application/json;charset=utf-8" "as JSON"
is "$(jq -S .result "$TMP/b")" "$(jq -S .result "$TMP/get.json")" \
	"the POST's result is the GET's"
is "$(jq -r .success "$TMP/b")" true "success: true"

# A form-encoded body (requests.post(data=...), an HTML form).
is "$(get "$API/package_show" --data-urlencode 'id=wilayah-administratif-indonesia-bps-2018')" 200 \
	"POST package_show with a form body"
is "$(jq -r .result.name "$TMP/b")" wilayah-administratif-indonesia-bps-2018 "the form's id is read"

# package_search: numbers and strings in JSON, and the URL's parameters.
is "$(get "$API/package_search?rows=1" -X POST -H "$JSON" \
	--data '{"q": "", "start": 0, "sort": "id asc"}')" 200 \
	"POST package_search: JSON body + rows in the URL"
is "$(jq '.result.results | length' "$TMP/b")" 1 "rows=1 from the URL applies"
first=$(jq -r '.result.results[0].id' "$TMP/b")
is "$(get "$API/package_search" -X POST -H "$JSON" \
	--data '{"rows": 1, "start": 1, "sort": "id asc"}')" 200 \
	"POST package_search with integer rows/start"
is "$(jq '.result.results | length' "$TMP/b")" 1 "rows 1 (a JSON integer)"
[ "$(jq -r '.result.results[0].id' "$TMP/b")" != "$first" ]
ok $? "start 1 is the next page (not $first)"
is "$(get "$API/package_search" -X POST -H "$JSON" \
	--data '{"fq": "organization:nobody-at-all", "rows": 10}')" 200 \
	"POST package_search with fq"
is "$(jq .result.count "$TMP/b")" 0 "fq from the body filters"
is "$(get "$API/package_list" -X POST -H "$JSON" --data '{}')" 200 \
	"POST package_list with an empty object"
jq -e '.result | index("wilayah-administratif-indonesia-bps-2018")' "$TMP/b" >/dev/null
ok $? "package_list lists wilayah-administratif-indonesia-bps-2018"
is "$(get "$API/package_list" -X POST)" 200 "POST with no body at all"

# The private canary is not reachable by POST either.
is "$(get "$API/package_show" -X POST -H "$JSON" --data '{"id": "kueri-canary"}')" 404 \
	"POST package_show of the private package is 404"
is "$(jq -r .error.__type "$TMP/b")" "Not Found Error" "in CKAN's envelope"
get "$API/package_search" -X POST -H "$JSON" --data '{"rows": 100}' >/dev/null
ok "$(grep -c 'KUERI-CANARY\|kueri-canary' "$TMP/b")" "no canary in a POSTed package_search"

# Bodies CKAN refuses, in its envelope.
is "$(get "$API/package_show" -X POST -H "$JSON" --data '{"id": ')" 400 \
	"malformed JSON is 400"
is "$(jq -r .error.__type "$TMP/b")" "Bad Request" "__type Bad Request"
jq -r .error.message "$TMP/b" | grep -q '^Bad request - JSON Error:'
ok $? "message says JSON Error ($(jq -r .error.message "$TMP/b"))"
is "$(jq -r .success "$TMP/b")" false "success: false"
is "$(get "$API/package_show" -X POST -H "$JSON" --data '["wilayah-administratif-indonesia-bps-2018"]')" 400 \
	"a JSON list (not an object of parameters) is 400"
is "$(get "$API/package_show" -X POST -F id=wilayah-administratif-indonesia-bps-2018)" 400 \
	"a multipart body is 400"
jq -r .error.message "$TMP/b" | grep -q multipart
ok $? "and says multipart is not accepted"
head -c 70000 /dev/zero | tr '\0' 'a' >"$TMP/big"
st=$(get "$API/package_list" -X POST -H "$JSON" --data-binary "@$TMP/big")
case $st in 4*|5*) r=0 ;; *) r=1 ;; esac
ok $r "a 70,000-byte body (over the 64 KiB cap) is refused ($st)"
is "$(get "$API/status_show")" 200 "the service still answers after it"

# POST elsewhere is still 405; the preflight of an action offers POST.
is "$(get "$BASE/odata/villages" -X POST --data '{}')" 405 "POST to an entity set: 405"
is "$(header Allow)" "GET, HEAD" "Allow: GET, HEAD"
is "$(get "$BASE/catalog" -X POST --data '{}')" 405 "POST to /catalog: 405"
get "$API/package_show" -X OPTIONS -H 'Origin: http://app.example' \
	-H 'Access-Control-Request-Method: POST' >/dev/null
header Access-Control-Allow-Methods | grep -q POST
ok $? "preflight of an action allows POST ($(header Access-Control-Allow-Methods))"
get "$BASE/odata/villages" -X OPTIONS -H 'Origin: http://app.example' \
	-H 'Access-Control-Request-Method: POST' >/dev/null
header Access-Control-Allow-Methods | grep -q POST
ok $((1 - $?)) "preflight of an entity set does not"

hp_stop
done_testing
