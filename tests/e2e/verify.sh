#!/bin/sh
# `kueri verify`: options and exit codes, the bundled real datasets with
# exactly the findings their SOURCE.md notes describe, error capping, and
# bad packages refused with a clear message.
. "$(dirname "$0")/../lib.sh"
DATA="$(cd "$(dirname "$0")/../.." && pwd)/data"

"$KUERI" verify --help >"$TMP/out" 2>&1; rc=$?
is "$rc" 0 "verify --help exits 0"
like "$(cat "$TMP/out")" "--limit-errors" "verify --help documents --limit-errors"

"$KUERI" verify --frobnicate x.json >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 2 "an unknown option exits 2"
like "$(cat "$TMP/err")" "unknown option '--frobnicate'" "the unknown option is named"
like "$(cat "$TMP/err")" "^usage: kueri verify" "and the usage is printed"
"$KUERI" verify >/dev/null 2>&1; rc=$?
is "$rc" 2 "no package argument exits 2"
"$KUERI" verify --format xml "$DATA/harga-pangan-kota-bandung/datapackage.json" >/dev/null 2>&1; rc=$?
is "$rc" 2 "--format other than json|text exits 2"
"$KUERI" verify --limit-errors 0 "$DATA/harga-pangan-kota-bandung/datapackage.json" >/dev/null 2>&1; rc=$?
is "$rc" 2 "--limit-errors 0 exits 2"
"$KUERI" verify "$TMP/nope/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 2 "a missing package exits 2"
like "$(cat "$TMP/err")" "nope/datapackage.json" "and names the file"

# Bandung food prices: valid (two date formats, enums, signed decimals).
"$KUERI" verify "$DATA/harga-pangan-kota-bandung/datapackage.json" >"$TMP/out"; rc=$?
is "$rc" 0 "harga-pangan-kota-bandung is valid (exit 0)"
like "$(cat "$TMP/out")" '"valid": true' "its JSON report says valid"
like "$(cat "$TMP/out")" '"rows": 1625' "and counts 1625 rows"
sum=$(sha256sum "$DATA/harga-pangan-kota-bandung/harga_komoditas_konsumen_kota_bandung.csv" | cut -c1-64)
like "$(cat "$TMP/out")" "\"sha256\": \"$sum\"" "and carries the CSV's SHA-256"

# Wilayah: exactly the two duplicate village ids, nothing else.
"$KUERI" verify --format text "$DATA/wilayah-administratif-bps-2018/datapackage.json" >"$TMP/out"; rc=$?
is "$rc" 1 "wilayah-administratif-bps-2018 is invalid (exit 1)"
is "$(grep -c '^  row' "$TMP/out")" 2 "wilayah: exactly two errors in all four resources"
is "$(grep '^  row' "$TMP/out" | cut -d: -f1,2 | tr -d ' ' | tr '\n' ' ')" \
   "row74965:primary-key-error row75188:primary-key-error " \
   "wilayah: primary-key-errors at villages rows 74965 and 75188 (SOURCE.md)"
like "$(cat "$TMP/out")" "villages: INVALID, 80534 rows, 2 errors" "wilayah: the villages summary"
like "$(cat "$TMP/out")" "districts: valid, 7215 rows" "wilayah: districts (foreign keys resolve) valid"

# COVID-19: 228 negative total_hospitalizations, under the default cap.
"$KUERI" verify --format text "$DATA/covid19-indonesia-provinsi/datapackage.json" >"$TMP/out"; rc=$?
is "$rc" 1 "covid19-indonesia-provinsi is invalid (exit 1)"
is "$(grep -c '^  row [0-9]*, field 10: constraint-error' "$TMP/out")" 228 \
   "covid19: 228 constraint-errors on field 10 (total_hospitalizations)"
is "$(grep -c '^  row' "$TMP/out")" 228 "covid19: and no other error"
unlike "$(cat "$TMP/out")" "error limit" "covid19: the default cap (1000) is not reached"

"$KUERI" verify --limit-errors 5 "$DATA/covid19-indonesia-provinsi/datapackage.json" >"$TMP/out"; rc=$?
is "$rc" 1 "--limit-errors 5: still exit 1"
is "$(grep -c '"type": "constraint-error"' "$TMP/out")" 5 "--limit-errors 5 reports 5 errors"
like "$(cat "$TMP/out")" '"errors": 228' "but stats still count all 228"
like "$(cat "$TMP/out")" 'reached error limit: 5' "with a note that the cap was reached"

# Bad packages: clear messages, exit 2.
mkdir -p "$TMP/p"
printf 'a\n1\n' >"$TMP/p/r.csv"
printf '{"name":"p","resources":[{"name":"r","path":"../r.csv"}]}' >"$TMP/p/datapackage.json"
"$KUERI" verify "$TMP/p/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 2 "a path escaping the package folder exits 2"
like "$(cat "$TMP/err")" "must be relative and stay inside" "and says why"
printf '{"name":"p",\n"resources":[{"name":"r","path":"r.csv",}]}' >"$TMP/p/datapackage.json"
"$KUERI" verify "$TMP/p/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 2 "bad JSON exits 2"
like "$(cat "$TMP/err")" "datapackage.json:2:[0-9]+:" "with Jansson's line and column"
printf '{"name":"p","resources":[{"name":"r","path":"r.csv","schema":{"fields":[{"name":"a","constraints":{"pattern":"(["}}]}}]}' >"$TMP/p/datapackage.json"
"$KUERI" verify "$TMP/p/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 2 "a pattern that does not compile exits 2"
like "$(cat "$TMP/err")" "offset [0-9]+" "with PCRE2's offset"

# A small invalid package in text form.
printf 'id,when\n1,2024-02-29\n1,2023-02-29\n' >"$TMP/p/r.csv"
printf '{"name":"p","resources":[{"name":"r","path":"r.csv","schema":{"fields":[{"name":"id","type":"integer"},{"name":"when","type":"date"}],"primaryKey":"id"}}]}' >"$TMP/p/datapackage.json"
"$KUERI" verify --format text "$TMP/p/datapackage.json" >"$TMP/out"; rc=$?
is "$rc" 1 "an invalid small package exits 1"
like "$(cat "$TMP/out")" "row 3, field 2: type-error" "text: the impossible date is a type-error"
like "$(cat "$TMP/out")" "row 3: primary-key-error" "text: the repeated id is a primary-key-error"
like "$(tail -1 "$TMP/out")" "^invalid$" "text: the last line is the verdict"
done_testing
