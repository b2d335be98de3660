#!/bin/sh
# A query that fails while its rows are being written (here: an integer
# division whose divisor is zero only in row 4,000, a 400 by ODATA.md),
# through nginx and the shipped config:
#  1. before kueri has sent anything (a page is one 32 KB buffer) the
#     client gets the OData error answer, not a 200 cut short;
#  2. after kueri has sent part of a big CSV export, the client's transfer
#     does not end cleanly (curl: partial file), so no program takes a
#     truncated export for the whole; nginx says why in its log;
#  3. the worker goes on serving.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

DB=$TMP/portal.db
P=$TMP/pkg
mkdir -p "$P"
cat >"$P/datapackage.json" <<'EOF2'
{"name": "patah", "publisher": "Dinas Uji", "classification": "public",
 "resources": [{"name": "rows", "path": "data.csv", "schema": {
   "fields": [{"name": "id", "type": "integer"}, {"name": "label", "type": "string"}],
   "primaryKey": ["id"]}}]}
EOF2
awk 'BEGIN { print "id,label"; for (i = 1; i <= 6000; i++) printf "%d,baris nomor %d dari enam ribu\n", i, i }' >"$P/data.csv"
hp_publish "$DB" "$P/datapackage.json"; ok $? "kueri publish: 6,000 rows"
if ! hp_start "$DB" --workers 1; then
	ok 1 "nginx + kueri serve start"; done_testing; exit 1
fi
O=$BASE/odata

# ---- 1. a failure before the first byte: a clean 400
st=$(get "$O/rows?\$select=id,d&\$compute=id%20div%20(id%20sub%2010)%20as%20d")
is "$st" 400 "a zero divisor in row 10 of a page: 400"
like "$(body)" '^\{"error":\{"code":"BadRequest","message":"integer division by zero at position 3 in \$compute' \
	"... with the OData error body naming the operator's position and option"
is "$(header Cache-Control)" "no-store" "... not cacheable"
like "$(header Content-Type)" "^application/json" "... as JSON"

st=$(get "$O/rows?\$format=csv&\$compute=id%20div%20(id%20sub%2010)%20as%20d")
is "$st" 400 "the same in a CSV export (before 32 KB): 400 with the error body"

# ---- 2. a failure after part of an export went out: not a clean end
: >"$TMP/export.csv"
curl -s -o "$TMP/export.csv" "$O/rows?\$format=csv&\$compute=id%20div%20(id%20sub%204000)%20as%20d"
rc=$?
ok $([ "$rc" -ne 0 ] && echo 0 || echo 1) "an export failing at row 4,000 (after 32 KB went out): curl reports an incomplete transfer (exit $rc)"
lines=$(cat "$TMP/export.csv" 2>/dev/null | wc -l | tr -d ' ')
ok $([ "$lines" -lt 4000 ] && echo 0 || echo 1) "... what it got holds only rows before the failure ($lines lines)"
sleep 0.2
like "$(cat "$HP_RUN/nginx/error.log")" "upstream sent unsupported FastCGI protocol version" \
	"nginx's log says the answer was broken off"
like "$(cat "$HP_LOG")" "GET /odata/rows 200 rows=" "kueri's log has the request"

# ---- 3. the worker goes on
st=$(get "$O/rows/\$count")
is "$st $(body)" "200 6000" "the next request is answered (\$count 6000)"
st=$(get "$O/rows?\$format=csv&\$compute=id%20div%20(id%20add%201)%20as%20d&\$select=id,d")
is "$st" 200 "an export without a zero divisor: 200"
is "$(wc -l <"$TMP/b" | tr -d ' ')" 6001 "... all 6,000 rows and the header"

# ---- 4. the length of an answer that fits in 64 KB
# The head waits for the first 64 KB of the body, so an answer that ends
# within them (a page, an entity, a document, an error, a small export)
# carries Content-Length; a bigger one (the whole export) streams.
st=$(get "$O/rows?\$top=20")
is "$st $(header Content-Length)" "200 $(wc -c <"$TMP/b" | tr -d ' ')" "a page of 20: Content-Length is its body's length"
is "$(header Transfer-Encoding)" "" "... and it is not sent chunked"
for u in "rows(17)" "" "\$metadata" "rows/\$count" "rows?\$top=900&\$format=csv"; do
	st=$(get "$O/$u")
	is "$st $(header Content-Length)" "200 $(wc -c <"$TMP/b" | tr -d ' ')" "/odata/$u ($(wc -c <"$TMP/b" | tr -d ' ') B, written in pieces or not): Content-Length is its body's length"
done
st=$(get "$O/rows?\$top=x")
is "$st $(header Content-Length)" "400 $(wc -c <"$TMP/b" | tr -d ' ')" "an error answer: Content-Length is its body's length"
st=$(get "$O/rows?\$format=csv")
is "$st $(wc -l <"$TMP/b" | tr -d ' ') $(header Content-Length)" "200 6001 " \
	"the whole export (past 64 KB) streams without a length"
st=$(get "$O/rows?\$top=20"); len=$(wc -c <"$TMP/b" | tr -d ' ')
st=$(get "$O/rows?\$top=20" -I)
cl=$(header Content-Length)
is "$st $([ -z "$cl" ] || [ "$cl" = "$len" ] && echo fine)" "200 fine" \
	"HEAD of a page: 200, with no Content-Length or the GET answer's ($len; got '$cl')"

hp_stop
unlike "$(cat "$HP_LOG")" "Sanitizer|runtime error" "no sanitizer report from any kueri serve process"
done_testing
