#!/bin/sh
# kueri publish / unpublish / catalog end to end: versions, idempotence,
# refusal of invalid and private packages, removal with no bytes left
# behind, entity-set name clashes, usage errors.
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DB="$TMP/portal.db"

# A small package of our own, copied to $TMP so we can change it.
mkpkg() {  # mkpkg DIR NAME RESOURCE
	mkdir -p "$1"
	cat >"$1/datapackage.json" <<EOF
{"name": "$2", "title": "Test $2", "publisher": "Dinas Uji",
 "classification": "public", "updateFrequency": "P1M",
 "description": "a test package", "keywords": ["uji"],
 "licenses": [{"name": "CC0-1.0"}],
 "contactPoint": {"name": "Ani", "email": "ani@example.org"},
 "resources": [{"name": "$3", "path": "data.csv", "schema": {
   "fields": [{"name": "id", "type": "integer"},
              {"name": "name", "type": "string", "title": "Nama"},
              {"name": "note", "type": "string", "kueri:search": false},
              {"name": "price", "type": "number"},
              {"name": "ok", "type": "boolean"}],
   "primaryKey": ["id"]}}]}
EOF
	printf 'id,name,note,price,ok\n1,Apel Malang,n1,1.5,true\n2,"Jeruk, Garut",n2,,false\n' >"$1/data.csv"
}
catalog_field() {  # catalog_field JQ-ish: name key -> value via sqlite3
	sqlite3 "$DB" "SELECT $2 FROM kueri_package WHERE name = '$1'"
}

P="$TMP/pkg"
mkpkg "$P" uji-harga items

# --- publish a valid package ------------------------------------------
"$KUERI" publish --db "$DB" "$P/datapackage.json" >"$TMP/out" 2>"$TMP/err"; rc=$?
is "$rc" 0 "publishing a valid package exits 0"
like "$(cat "$TMP/err")" '^items: 2 rows, version 1, [0-9]+\.[0-9] s$' \
	"one summary line per resource: rows, version, seconds"
is "$(catalog_field uji-harga version)" 1 "first publish is version 1"
is "$(sqlite3 "$DB" "SELECT count(*) FROM kueri_resource WHERE name='items'")" 1 \
	"the resource is in the catalog"
is "$(sqlite3 "$DB" 'PRAGMA journal_mode')" wal "the portal is in WAL mode"

# --- identical input: a no-op that says so ----------------------------
before=$(catalog_field uji-harga published_at)
"$KUERI" publish --db "$DB" "$P/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 0 "re-publishing identical input exits 0"
like "$(cat "$TMP/err")" 'uji-harga: unchanged, version 1' "and says it is unchanged"
is "$(catalog_field uji-harga version)" 1 "version not incremented"
is "$(catalog_field uji-harga published_at)" "$before" "published_at untouched"

# --- changed input: next version, old tables gone ---------------------
old_tbl=$(sqlite3 "$DB" "SELECT tbl FROM kueri_resource WHERE name='items'")
echo '3,Salak Pondoh,n3,7.25,true' >>"$P/data.csv"
"$KUERI" publish --db "$DB" "$P/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 0 "publishing changed data exits 0"
like "$(cat "$TMP/err")" '^items: 3 rows, version 2' "summary shows version 2"
is "$(catalog_field uji-harga version)" 2 "version incremented"
new_tbl=$(sqlite3 "$DB" "SELECT tbl FROM kueri_resource WHERE name='items'")
unlike "$new_tbl" "^$old_tbl\$" "the new version lives in a new table"
is "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_schema WHERE name LIKE '$old_tbl%'")" 0 \
	"the previous version's tables are dropped"
is "$(sqlite3 "$DB" "SELECT count(*) FROM $new_tbl")" 3 "all rows loaded"
is "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok "integrity_check ok"

# --- a changed schema is a change too ---------------------------------
sed 's/"title": "Nama"/"title": "Nama buah"/' "$P/datapackage.json" >"$P/d2.json"
mv "$P/d2.json" "$P/datapackage.json"
grep -aq 'Apel Malang' "$DB" "$DB-wal" 2>/dev/null; ok $? "a value of version 2 is in the files"
sed 's/Apel Malang/Apel Batu/' "$P/data.csv" >"$P/d2.csv" && mv "$P/d2.csv" "$P/data.csv"
"$KUERI" publish --db "$DB" "$P/datapackage.json" >/dev/null 2>&1
is "$(catalog_field uji-harga version)" 3 "a changed descriptor makes a new version"
! grep -aqi 'malang' "$DB" "$DB-wal" 2>/dev/null; ok $? \
	"a value dropped in version 3 leaves no bytes in the files (secure_delete)"

# --- invalid data: nothing changes, report on stdout, exit 1 ----------
cp -r "$P" "$TMP/bad"
echo 'four,Nanas,n4,1,true' >>"$TMP/bad/data.csv"
"$KUERI" publish --db "$DB" "$TMP/bad/datapackage.json" >"$TMP/out" 2>"$TMP/err"; rc=$?
is "$rc" 1 "invalid data exits 1"
like "$(tr -d '\n ' <"$TMP/out")" '"valid":false' "the report on stdout says valid: false"
like "$(cat "$TMP/err")" 'invalid' "stderr says the package is invalid"
is "$(catalog_field uji-harga version)" 3 "the published version is unchanged"
is "$(sqlite3 "$DB" "SELECT rows FROM kueri_resource WHERE name='items'")" 3 \
	"the published rows are unchanged"
is "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name GLOB 't[0-9]*' AND name NOT GLOB '*_fts*'")" 1 \
	"no table of the failed publish remains"

# --- the real packages as upstream describes them are refused ----------
# (data/*/datapackage.json lack publisher/classification; add them, keep
# the constraints: covid has 228 negative totals, villages 2 duplicate ids.)
for d in covid19-indonesia-provinsi wilayah-administratif-bps-2018; do
	mkdir -p "$TMP/real/$d"
	cp "$ROOT/data/$d/"*.csv "$TMP/real/$d/"
	sed '0,/"name":/s//"publisher": "Uji", "classification": "public", "name":/' \
		"$ROOT/data/$d/datapackage.json" >"$TMP/real/$d/datapackage.json"
done
"$KUERI" publish --db "$DB" "$TMP/real/covid19-indonesia-provinsi/datapackage.json" \
	>"$TMP/out" 2>"$TMP/err"; rc=$?
is "$rc" 1 "covid as upstream (228 negative totals) is refused"
c=$(tr -d '\n ' <"$TMP/out")
like "$c" '"valid":false' "with a report on stdout"
like "$c" '"errors":228' "counting the 228 constraint errors"
"$KUERI" publish --db "$DB" "$TMP/real/wilayah-administratif-bps-2018/datapackage.json" \
	>"$TMP/out" 2>"$TMP/err"; rc=$?
is "$rc" 1 "villages as upstream (duplicate ids) is refused"
like "$(tr -d '\n ' <"$TMP/out")" '"type":"primary-key-error"' "with primary-key errors"
is "$(sqlite3 "$DB" "SELECT group_concat(name) FROM kueri_package")" uji-harga \
	"neither refused package is published, not even its valid resources"
# Without publisher/classification a package cannot be published at all.
"$KUERI" publish --db "$DB" "$ROOT/data/harga-pangan-kota-bandung/datapackage.json" \
	>/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 2 "a package without publisher is an error (exit 2)"
like "$(cat "$TMP/err")" 'no publisher' "naming the missing property"

# --- entity-set name clash with another package -----------------------
mkpkg "$TMP/clash" uji-lain items
"$KUERI" publish --db "$DB" "$TMP/clash/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 1 "an entity-set name owned by another package is refused (exit 1)"
like "$(cat "$TMP/err")" "'items' is already published by package 'uji-harga'" \
	"the clash names the set and its owner"
is "$(sqlite3 "$DB" "SELECT count(*) FROM kueri_package WHERE name='uji-lain'")" 0 \
	"the clashing package is not published"

# --- catalog ----------------------------------------------------------
"$KUERI" catalog --db "$DB" --json >"$TMP/cat.json"; rc=$?
is "$rc" 0 "catalog --json exits 0"
c=$(tr -d '\n ' <"$TMP/cat.json")
for k in '"name":"uji-harga"' '"publisher":"DinasUji"' '"classification":"public"' \
         '"version":3' '"updateFrequency":"P1M"' '"overdue":false' \
         '"published_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' \
         '"nextUpdateDue":"[0-9-]{10}T[0-9:]{8}Z"' '"keywords":\["uji"\]' \
         '"contactPoint":\{' '"licenses":\[\{"name":"CC0-1.0"' \
         '"rows":3' '"primaryKey":\["id"\]' '"sha256":"[0-9a-f]{64}"' \
         '"name":"name","odataName":"name","type":"string","title":"Namabuah"'; do
	like "$c" "$k" "catalog JSON has $k"
done
"$KUERI" catalog --db "$DB" >"$TMP/cat.txt"; rc=$?
is "$rc" 0 "catalog (text) exits 0"
like "$(cat "$TMP/cat.txt")" '^NAME +PUBLISHER +VERSION +ROWS' "text catalog has a header"
like "$(cat "$TMP/cat.txt")" 'uji-harga +Dinas Uji +3 +3 ' "text catalog lists the package"
# An overdue package: backdate the publish time by hand.
sqlite3 "$DB" "UPDATE kueri_package SET published_at = published_at - 40*86400 WHERE name='uji-harga'"
like "$("$KUERI" catalog --db "$DB")" 'uji-harga .*OVERDUE' "a package past its update frequency is flagged OVERDUE"
like "$("$KUERI" catalog --db "$DB" --json | tr -d '\n ')" '"overdue":true' "and overdue: true in JSON"

# --- unpublish --------------------------------------------------------
"$KUERI" unpublish --db "$DB" uji-harga 2>"$TMP/err"; rc=$?
is "$rc" 0 "unpublish exits 0"
is "$(sqlite3 "$DB" "SELECT count(*) FROM kueri_package")" 0 "the package is gone"
is "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_schema WHERE name GLOB 't[0-9]*'")" 0 \
	"its tables are gone"
! grep -aq 'Salak Pondoh' "$DB" "$DB-wal" 2>/dev/null; ok $? "no byte of its data remains in the files"
"$KUERI" unpublish --db "$DB" uji-harga 2>"$TMP/err"; rc=$?
is "$rc" 1 "unpublishing an absent package exits 1"
like "$(cat "$TMP/err")" "no published package 'uji-harga'" "and says so"

# --- private: refused; public then private: removed, no bytes left -----
C="$ROOT/tests/data/private-canary"
D2="$TMP/canary.db"
"$KUERI" publish --db "$D2" "$C/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 1 "a private package is refused (exit 1)"
like "$(cat "$TMP/err")" "classified 'private': not published" "with a clear message"
! grep -aqi canary "$D2" "$D2-wal" 2>/dev/null; ok $? "nothing of it is in the portal"

"$KUERI" publish --db "$D2" "$C/public.json" >/dev/null 2>&1; rc=$?
is "$rc" 0 "the same package classified public is published"
grep -aq 'KUERI-CANARY-7f3a' "$D2" "$D2-wal" 2>/dev/null; ok $? "its canary is in the portal files (the grep works)"
"$KUERI" publish --db "$D2" "$C/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 1 "re-publishing it as private is refused (exit 1)"
like "$(cat "$TMP/err")" 'previously published version was removed' "and says the public version was removed"
is "$(sqlite3 "$D2" "SELECT count(*) FROM kueri_resource")" 0 "its entity set is gone"
for f in "$D2" "$D2-wal"; do
	[ -e "$f" ] || continue
	! grep -aqi 'canary' "$f"; ok $? "no canary byte left in $(basename "$f")"
	! grep -aq '7f3a' "$f"; ok $? "no canary token left in $(basename "$f")"
done
is "$(sqlite3 "$D2" 'PRAGMA integrity_check')" ok "integrity_check ok after removal"
is "$("$KUERI" catalog --db "$D2" --json | tr -d ' \n')" '[]' "an empty portal's JSON catalog is []"
like "$("$KUERI" catalog --db "$D2")" 'no published packages' "and the text catalog says so"

# --- the bundled demo descriptors publish, with every row --------------
D3="$TMP/demo.db"
for d in harga-pangan-kota-bandung covid19-indonesia-provinsi wilayah-administratif-bps-2018; do
	"$KUERI" publish --db "$D3" "$ROOT/data/$d/datapackage.kueri.json" >/dev/null 2>&1; rc=$?
	is "$rc" 0 "demo package $d publishes"
done
is "$(sqlite3 "$D3" "SELECT group_concat(name || '=' || rows, ' ') FROM (SELECT name, rows FROM kueri_resource ORDER BY name)")" \
	"covid_prov_id=17026 districts=7215 harga_komoditas_konsumen_kota_bandung=1625 provinces=34 regencies=514 villages=80534" \
	"demo row counts match the sources"
t=$(sqlite3 "$D3" "SELECT tbl FROM kueri_resource WHERE name='harga_komoditas_konsumen_kota_bandung'")
is "$(sqlite3 "$D3" "SELECT c6 FROM $t WHERE c0='2025-09-13' LIMIT 1")" 2025-09-12 \
	"a d-m-Y date is stored as ISO yyyy-mm-dd"
is "$(sqlite3 "$D3" 'PRAGMA integrity_check')" ok "demo portal integrity_check ok"

# --- usage ------------------------------------------------------------
for c in publish unpublish catalog; do
	"$KUERI" $c --bogus --db "$DB" x >/dev/null 2>"$TMP/err"; rc=$?
	is "$rc" 2 "$c: an unknown option exits 2"
	like "$(cat "$TMP/err")" "usage: kueri $c" "$c: an unknown option prints the usage"
	"$KUERI" $c >/dev/null 2>"$TMP/err"; rc=$?
	is "$rc" 2 "$c: no --db exits 2"
done
"$KUERI" publish --db "$DB" "$TMP/nope/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 2 "a missing package file exits 2"
"$KUERI" catalog --db "$TMP/nope.db" >/dev/null 2>&1; rc=$?
is "$rc" 2 "catalog of a missing portal exits 2"
[ ! -e "$TMP/nope.db" ]; ok $? "catalog does not create a portal"

done_testing
