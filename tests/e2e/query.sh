#!/bin/sh
# `kueri query`: the CLI over the engine -- exit codes, usage, plain and
# percent-encoded URLs, JSON/CSV, errors as OData JSON with exit 1.
. "$(dirname "$0")/../lib.sh"

DB="$TMP/p.db"
"$KUERI_BUILD/tests/test_query" --fixture "$DB"; ok $? "the fixture portal is built"

out=$("$KUERI" query --db "$DB" "villages?\$filter=provinsi eq 'BALI'&\$select=id&\$top=5"); rc=$?
is "$rc" 0 "a good query exits 0"
is "$out" '{"@odata.context":"$metadata#villages(id)","value":[{"id":"v01"},{"id":"v02"}]}' \
	"plain spaces and quotes on the command line"
out2=$("$KUERI" query --db "$DB" 'villages?$filter=provinsi%20eq%20%27BALI%27&$select=id&$top=5')
is "$out2" "$out" "percent-encoded spaces and quotes give the same answer"

out=$("$KUERI" query --db "$DB" --format csv 'villages?$select=id,name&$top=2'); rc=$?
is "$rc" 0 "--format csv exits 0"
is "$out" "$(printf 'id,name\r\nv01,Kuta\r\nv02,Ubud\r')" "--format csv prints CSV with a header"

out=$("$KUERI" query --db "$DB" 'villages/$count?$filter=coastal')
is "$out" "3" "SET/\$count prints a plain number"

out=$("$KUERI" query --db "$DB" "villages?\$filter=provins eq 'BALI'"); rc=$?
is "$rc" 1 "a 400 exits 1"
like "$out" '^\{"error":\{"code":"[A-Za-z]+","message":"unknown property .provins. at position 0 in \$filter; hint: did you mean .provinsi.\?"' \
	"the OData error JSON is still printed"

out=$("$KUERI" query --db "$DB" "nosuch"); rc=$?
is "$rc" 1 "an unknown set exits 1"
like "$out" '"NotFound"' "an unknown set is a NotFound error"

"$KUERI" query --db "$DB" --frob 'villages' >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 2 "an unknown option exits 2"
like "$(cat "$TMP/err")" "usage: kueri query" "an unknown option prints usage"
"$KUERI" query 'villages' >/dev/null 2>&1; rc=$?
is "$rc" 2 "a missing --db exits 2"
"$KUERI" query --db "$TMP/nope.db" 'villages' >/dev/null 2>&1; rc=$?
is "$rc" 2 "an unreadable portal exits 2"
out=$("$KUERI" query --help); rc=$?
is "$rc" 0 "--help exits 0"
like "$out" "--db PORTAL" "--help describes --db"

out=$("$KUERI" query --db "$DB" --prefer odata.maxpagesize=2 --headers 'nums?$select=n' 2>"$TMP/h")
like "$(cat "$TMP/h")" "Preference-Applied: odata.maxpagesize=2" "--prefer is honoured and reported"
like "$out" '"@odata.nextLink":"nums\?\$select=n&\$skiptoken=[A-Za-z0-9_-]+"' "a nextLink is given"
next=$(printf '%s' "$out" | sed 's/.*"@odata.nextLink":"\([^"]*\)".*/\1/')
out=$("$KUERI" query --db "$DB" --prefer odata.maxpagesize=2 "$next")
like "$out" '"value":\[\{"n":3\},\{"n":4\}\]' "following the nextLink gives the next page"
done_testing
