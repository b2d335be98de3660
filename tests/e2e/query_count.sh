#!/bin/sh
# /SET/$count of a whole set answers the row count stored at publish
# (kueri_resource.rows, kp_set.rows) without running a count over the
# table (KUERI_DEBUG_SQL shows the SQL run); with $filter it counts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"
DB=$TMP/p.db
hp_fixture "$DB"
out=$(KUERI_DEBUG_SQL=1 "$KUERI" query --db "$DB" 'harga/$count' 2>"$TMP/sql")
is "$out" 3 "harga/\$count is 3"
unlike "$(cat "$TMP/sql")" "count\\(" "... with no count(*) over the table (O(1))"
out=$(KUERI_DEBUG_SQL=1 "$KUERI" query --db "$DB" 'harga/$count?$filter=harga gt 2.5' 2>"$TMP/sql")
is "$out" 2 "harga/\$count?\$filter=harga gt 2.5 is 2"
like "$(cat "$TMP/sql")" "count\\(" "... counted by a query"
# The stored count is what publish wrote; a portal written by the real
# publisher agrees with the table.
"$KUERI" publish --db "$TMP/q.db" "$REPO/tests/data/private-canary/public.json" >/dev/null 2>&1
is "$("$KUERI" query --db "$TMP/q.db" 'canary_rows/$count')" \
   "$(sqlite3 "$TMP/q.db" "SELECT count(*) FROM $(sqlite3 "$TMP/q.db" "SELECT tbl FROM kueri_resource WHERE name='canary_rows'")")" \
   "a published set's stored count equals its table's"
done_testing
