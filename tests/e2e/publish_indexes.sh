#!/bin/sh
# Indexes (issue 12) and stored facet counts (issue 13), end to end:
# - a package declares indexes ("kueri:index" on a field, "kueri:indexes"
#   on a resource, single and composite); publish builds exactly those,
#   bad declarations are refused with messages naming the resource, the
#   index and the field, and the cap is named;
# - publishing the villages shape (bench/gen_villages.c, 20,000 rows) adds
#   the default indexes (category + measure, measure), ANALYZEs them, and
#   the engine's SQL for the everyday shape ($filter on the category,
#   $orderby the measure desc, $top) is planned on the composite index;
# - "kueri:indexes": [] opts out of the defaults;
# - the stored facet counts equal a GROUP BY over the published rows, the
#   HTML page's facets come from them, only few-valued fields with short
#   values have them, and they go with the package.
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null 2>&1 || { skip "python3 is not installed"; done_testing; exit; }
command -v sqlite3 >/dev/null 2>&1 || { skip "sqlite3 is not installed"; done_testing; exit; }
CC=${CC:-cc}
KUERI_SRC=$(cd "$(dirname "$0")/../.." && pwd)

# mkpkg DIR RESOURCE-EXTRA-JSON FIELD-EXTRA-JSON: a 3-row package of
# fields a, b (strings), c, d, e (integers) and f0..f8 (strings); the
# JSON objects are merged into the resource and into field "a".
mkpkg() {
	python3 - "$@" <<'PY'
import json, os, sys
d, rextra, fextra = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
os.makedirs(d, exist_ok=True)
names = ["a", "b", "c", "d", "e"] + ["f%d" % i for i in range(9)]
with open(os.path.join(d, "d.csv"), "w") as f:
    f.write(",".join(names) + "\n")
    for r in range(3):
        f.write(",".join(["x%d" % r, "y", "1", str(r), "3"] + ["z"] * 9) + "\n")
fields = [{"name": n, "type": "integer" if n in "cde" else "string"} for n in names]
fields[0].update(fextra)
res = {"name": "v", "path": "d.csv", "schema": {"fields": fields}}
res.update(rextra)
json.dump({"name": "v", "publisher": "t", "classification": "public",
           "resources": [res]}, open(os.path.join(d, "datapackage.json"), "w"))
PY
}
V() { "$KUERI" verify "$TMP/p/datapackage.json" >/dev/null 2>"$TMP/err"; }

# -- bad declarations: refused, with exact messages ------------------------
# each line: resource JSON | field "a" JSON | the message after "kueri verify: "
while IFS='|' read -r rx fx msg; do
	mkpkg "$TMP/p" "$rx" "$fx"
	V; rc=$?
	is "$rc" 2 "refused: $rx $fx"
	is "$(cat "$TMP/err")" "kueri verify: $msg" "  with: $msg"
done <<'EOF'
{"kueri:indexes": [["a", "zz"]]}|{}|resource "v": index kueri:indexes[0] ["a","zz"] names "zz", which is not a field
{"kueri:indexes": ["nope"]}|{}|resource "v": index kueri:indexes[0] "nope" names "nope", which is not a field
{"kueri:indexes": [["a", 3]]}|{}|resource "v": index kueri:indexes[0] ["a",3] names a non-string, which is not a field
{"kueri:indexes": "a"}|{}|resource "v": kueri:indexes must be an array of indexes, each a field name or an array of field names
{"kueri:indexes": [[]]}|{}|resource "v": index kueri:indexes[0] [] must be a field name or a non-empty array of field names
{"kueri:indexes": [["a", "b", "c", "d", "e"]]}|{}|resource "v": index kueri:indexes[0] ["a","b","c","d","e"] has 5 fields, over the limit of 4 fields per index (KP_INDEX_MAXCOLS)
{"kueri:indexes": [["a", "b", "a"]]}|{}|resource "v": index kueri:indexes[0] ["a","b","a"] names "a" twice
{"kueri:indexes": [["b", "c"], ["b", "c"]]}|{}|resource "v": index kueri:indexes[1] ["b","c"] repeats an index declared before it
{"kueri:indexes": ["a"]}|{"kueri:index": true}|resource "v": index kueri:indexes[0] "a" repeats an index declared before it
{}|{"kueri:index": "yes"}|resource "v": field "a": kueri:index must be true or false
{"kueri:indexes": ["f0","f1","f2","f3","f4","f5","f6","f7","f8"]}|{}|resource "v": index kueri:indexes[8] "f8" is over the limit of 8 indexes per resource (KV_MAX_INDEXES; kueri:index and kueri:indexes count together)
EOF
# publish refuses the same (nothing is published)
mkpkg "$TMP/p" '{"kueri:indexes": [["a", "zz"]]}' '{}'
"$KUERI" publish --db "$TMP/bad.db" "$TMP/p/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
isnt_zero() { [ "$1" -ne 0 ]; ok $? "$2"; }
isnt_zero "$rc" "publish refuses an index on an unknown field (exit $rc)"
like "$(cat "$TMP/err")" 'names "zz", which is not a field' "  naming it"
is "$(sqlite3 "$TMP/bad.db" "SELECT count(*) FROM kueri_resource" 2>/dev/null || echo 0)" 0 "  and publishes nothing"

# -- declared indexes: built exactly, even on a 3-row set -------------------
mkpkg "$TMP/p" '{"kueri:indexes": [["b", "c"], "d"]}' '{"kueri:index": true}'
"$KUERI" publish --db "$TMP/d.db" "$TMP/p/datapackage.json" >"$TMP/out" 2>&1
is "$?" 0 "a package declaring 3 indexes publishes"
T=$(sqlite3 "$TMP/d.db" "SELECT tbl FROM kueri_resource WHERE name = 'v'")
is "$(sqlite3 "$TMP/d.db" "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '$T' AND name LIKE '%\_i%' ESCAPE '\\' ORDER BY name)")" \
	"CREATE INDEX \"${T}_i0\" ON \"$T\"(c0);CREATE INDEX \"${T}_i1\" ON \"$T\"(c1,c2);CREATE INDEX \"${T}_i2\" ON \"$T\"(c3)" \
	"  the field's index, then the resource's, in order, on the right columns"
like "$(cat "$TMP/out")" 'v: indexes \(a\), \(b, c\), \(d\)$' "  and says which (no defaults on 3 rows)"
ok "$([ -n "$(sqlite3 "$TMP/d.db" "SELECT stat FROM sqlite_stat1 WHERE idx = '${T}_i1'")" ]; echo $?)" \
	"  ANALYZEd (sqlite_stat1 has the index)"

# -- the villages shape: default indexes -----------------------------------
if ! $CC -O2 -o "$TMP/gen" "$KUERI_SRC/bench/gen_villages.c" -lm 2>"$TMP/cc.err"; then
	skip "cannot build bench/gen_villages.c: $(head -c 200 "$TMP/cc.err")"
	done_testing; exit
fi
mkdir -p "$TMP/vil"
"$TMP/gen" 20000 >"$TMP/vil/villages.csv"
cp "$KUERI_SRC/bench/villages.datapackage.json" "$TMP/vil/datapackage.json"
"$KUERI" publish --db "$TMP/v.db" "$TMP/vil/datapackage.json" >"$TMP/out" 2>&1
is "$?" 0 "20,000 villages rows publish"
like "$(cat "$TMP/out")" 'villages: indexes \(provinsi, jumlah_penduduk\) default, \(jumlah_penduduk\) default$' \
	"  with the default indexes named"
T=$(sqlite3 "$TMP/v.db" "SELECT tbl FROM kueri_resource WHERE name = 'villages'")
is "$(sqlite3 "$TMP/v.db" "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '$T' ORDER BY name)")" \
	"CREATE INDEX \"${T}_i0\" ON \"$T\"(c1,c5);CREATE INDEX \"${T}_i1\" ON \"$T\"(c5);CREATE UNIQUE INDEX \"${T}_pk\" ON \"$T\"(c0)" \
	"  (provinsi, jumlah_penduduk), (jumlah_penduduk) and the key: nothing else"
is "$(sqlite3 "$TMP/v.db" "SELECT count(*) FROM sqlite_stat1 WHERE tbl = '$T'")" 3 "  all three ANALYZEd"

# The engine's own SQL for the everyday shape, planned on the composite
# index (no scan of the table, no sort of all of its rows).
KUERI_DEBUG_SQL=1 "$KUERI" query --db "$TMP/v.db" \
	"villages?\$filter=provinsi eq 'Jawa Barat'&\$orderby=jumlah_penduduk desc&\$top=20" >"$TMP/q.json" 2>"$TMP/sql"
is "$?" 0 "the everyday shape answers"
SQL=$(sed -n 's/^kueri: //p' "$TMP/sql" | head -n 1)
like "$SQL" "FROM $T WHERE \\(c1 = \\?1\\) ORDER BY c5 DESC" "  its SQL filters c1 and orders by c5 (got: $SQL)"
PLAN=$(sqlite3 "$TMP/v.db" "EXPLAIN QUERY PLAN $SQL")
like "$PLAN" "SEARCH $T USING INDEX ${T}_i0 \\(c1=\\?\\)" "  EXPLAIN QUERY PLAN: a search on (provinsi, jumlah_penduduk)"
unlike "$PLAN" "SCAN $T" "  and no scan of the table"
# the same 20 rows as SQLite's own answer on the same file
is "$(python3 -c 'import json,sys; print(",".join(r["kode_desa"] for r in json.load(open(sys.argv[1]))["value"]))' "$TMP/q.json")" \
	"$(sqlite3 "$TMP/v.db" "SELECT group_concat(c0) FROM (SELECT c0 FROM $T WHERE c1 = 'Jawa Barat' ORDER BY c5 DESC, rowid LIMIT 20)")" \
	"  and the rows are the right 20"
KUERI_DEBUG_SQL=1 "$KUERI" query --db "$TMP/v.db" "villages/\$count?\$filter=provinsi eq 'Bali'" >"$TMP/n" 2>"$TMP/sql"
SQL=$(sed -n 's/^kueri: //p' "$TMP/sql" | head -n 1)
like "$(sqlite3 "$TMP/v.db" "EXPLAIN QUERY PLAN $SQL")" "USING COVERING INDEX ${T}_i0 \\(c1=\\?\\)" \
	"\$count with an indexed filter counts the index alone"
is "$(cat "$TMP/n")" "$(sqlite3 "$TMP/v.db" "SELECT count(*) FROM $T WHERE c1 = 'Bali'")" "  and the count is right"

# -- stored facet counts ------------------------------------------------------
is "$(sqlite3 "$TMP/v.db" "SELECT group_concat(value || '=' || n, ';') FROM (SELECT value, n FROM kueri_facet WHERE tbl = '$T' AND col = 1 ORDER BY value)")" \
	"$(sqlite3 "$TMP/v.db" "SELECT group_concat(c1 || '=' || n, ';') FROM (SELECT c1, count(*) AS n FROM $T GROUP BY c1 ORDER BY c1)")" \
	"the stored counts of provinsi equal a GROUP BY over the rows"
is "$(sqlite3 "$TMP/v.db" "SELECT group_concat(DISTINCT col) FROM kueri_facet WHERE tbl = '$T'")" "-1,1" \
	"  only provinsi has them (kabupaten, kecamatan, desa have over 64 values), plus the marker"
"$KUERI" query --db "$TMP/v.db" --accept text/html "villages" >"$TMP/page.html" 2>&1
TOP=$(sqlite3 "$TMP/v.db" "SELECT c1 || '|' || count(*) FROM $T GROUP BY c1 ORDER BY count(*) DESC, c1 LIMIT 1")
like "$(cat "$TMP/page.html")" "${TOP%|*}" "the dataset page shows the top province as a facet"
like "$(tr -d '\n' <"$TMP/page.html" | sed 's/<[^>]*>/ /g')" "${TOP%|*} *\\(?${TOP#*|}" "  with its count (${TOP#*|})"

# The page reads the stored counts, not a GROUP BY: on a copy whose stored
# count of the top province is changed, the page shows the changed count.
cp "$TMP/v.db" "$TMP/v2.db"
sqlite3 "$TMP/v2.db" "UPDATE kueri_facet SET n = 7654321 WHERE tbl = '$T' AND col = 1 AND value = '${TOP%|*}'"
"$KUERI" query --db "$TMP/v2.db" --accept text/html "villages" >"$TMP/page2.html" 2>&1
like "$(tr -d '\n' <"$TMP/page2.html" | sed 's/<[^>]*>/ /g')" "${TOP%|*} *\\(?7,?654,?321" \
	"  the page's facets come from the stored counts (a changed count shows)"
# with a $filter they come from a GROUP BY under that filter
"$KUERI" query --db "$TMP/v2.db" --accept text/html "villages?\$filter=provinsi eq '${TOP%|*}'" >"$TMP/page3.html" 2>&1
like "$(tr -d '\n' <"$TMP/page3.html" | sed 's/<[^>]*>/ /g')" "${TOP%|*} *\\(?${TOP#*|}" \
	"  and a filtered page counts under its filter (${TOP#*|} again)"

# -- which fields get stored counts ------------------------------------------
# up to 64 values of at most 128 bytes: a 129-byte value makes a field
# "not a category" (no stored counts, no facet from them)
python3 - "$TMP/long" <<'PY'
import json, os, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "d.csv"), "w") as f:
    f.write("short,long,many\n")
    for r in range(130):
        f.write("s%d,%s,m%d\n" % (r % 3, ("L" * 129) if r == 7 else "l%d" % (r % 2), r))
json.dump({"name": "long", "publisher": "t", "classification": "public",
           "resources": [{"name": "long", "path": "d.csv", "schema": {"fields": [
               {"name": "short", "type": "string"}, {"name": "long", "type": "string"},
               {"name": "many", "type": "string"}]}}]},
          open(os.path.join(d, "datapackage.json"), "w"))
PY
"$KUERI" publish --db "$TMP/l.db" "$TMP/long/datapackage.json" >/dev/null 2>&1
is "$?" 0 "a set with a 129-byte value and a 130-valued field publishes"
TL=$(sqlite3 "$TMP/l.db" "SELECT tbl FROM kueri_resource WHERE name = 'long'")
is "$(sqlite3 "$TMP/l.db" "SELECT group_concat(col || ':' || coalesce(value, 'NULL') || '=' || n, ' ') FROM (SELECT * FROM kueri_facet WHERE tbl = '$TL' ORDER BY col, n DESC, value)")" \
	"-1:NULL=130 0:s0=44 0:s1=43 0:s2=43" \
	"  stored counts: the marker (130 rows) and the 3-valued field only"

# -- opting out --------------------------------------------------------------
python3 - "$TMP/vil/datapackage.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["resources"][0]["kueri:indexes"] = []
json.dump(p, open(sys.argv[1], "w"))
PY
"$KUERI" publish --db "$TMP/v.db" "$TMP/vil/datapackage.json" >"$TMP/out" 2>&1
is "$?" 0 "republished with \"kueri:indexes\": []"
T2=$(sqlite3 "$TMP/v.db" "SELECT tbl FROM kueri_resource WHERE name = 'villages'")
is "$(sqlite3 "$TMP/v.db" "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = '$T2'")" 1 \
	"  only the key index: no defaults"
is "$(sqlite3 "$TMP/v.db" "SELECT count(*) FROM kueri_facet WHERE tbl = '$T'")" 0 \
	"  the previous version's facet counts went with its tables"
is "$(sqlite3 "$TMP/v.db" "SELECT count(*) FROM sqlite_stat1 WHERE tbl = '$T'")" 0 \
	"  and so did its statistics"

# -- withdrawal: nothing of it stays -----------------------------------------
"$KUERI" unpublish --db "$TMP/v.db" villages >/dev/null 2>&1
is "$(sqlite3 "$TMP/v.db" "SELECT count(*) FROM kueri_facet")" 0 "unpublish removes the stored facet counts"
done_testing
