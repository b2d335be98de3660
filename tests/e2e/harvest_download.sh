#!/bin/sh
# Package downloads (harvest/pkgdl.c), round trip over HTTP (nginx + kueri
# serve): for every bundled package, GET /catalog/NAME/datapackage.json,
# fetch each resource's CSV from the URL in its `path`, check `bytes` and
# `hash` (sha256) against what arrived, point the paths at the local
# copies and run `kueri verify` (valid, same row counts as the portal).
# Then publish the downloaded package into a second portal and download
# it again from there: the same CSV bytes (same sha256) — what kueri
# serves is what it was given, row for row, value for value.  Also ETag,
# Last-Modified, 304, HEAD, 404s.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

DB=$TMP/portal.db
DB2=$TMP/again.db
for d in "$REPO"/data/*/; do
	"$KUERI" publish --db "$DB" "$d/datapackage.kueri.json" >>"$TMP/pub.log" 2>&1
done
# Inline rows, a windows-1252 file with a dialect, and the text-kept types
# (tests/data/conformance-pkg): its download must be a package that reads
# back the same (no inline "data" left beside the download "path", the
# topojson format kept).
"$KUERI" publish --db "$DB" "$REPO/tests/data/conformance-pkg/datapackage.json" >>"$TMP/pub.log" 2>&1
is "$?" 0 "the conformance fixture (inline data, windows-1252, object/list/geojson) publishes"
hp_start "$DB" || { ok 1 "server starts"; done_testing; exit 1; }
B1=$BASE

for name in $(sqlite3 "$DB" "SELECT name FROM kueri_package ORDER BY name"); do
	D=$TMP/dl/$name
	mkdir -p "$D"
	st=$(get "$B1/catalog/$name/datapackage.json")
	is "$st" 200 "$name: datapackage.json answers 200"
	like "$(header ETag)" '^"kd-dp-' "$name: ETag"
	like "$(header Last-Modified)" 'GMT$' "$name: Last-Modified"
	cp "$TMP/b" "$D/remote.json"
	is "$(jq -r .version "$D/remote.json")" "$(sqlite3 "$DB" "SELECT version FROM kueri_package WHERE name='$name'").0.0" \
		"$name: version is the published version"
	n=0; bad=""
	for r in $(jq -r '.resources[].name' "$D/remote.json"); do
		url=$(jq -r --arg r "$r" '.resources[] | select(.name == $r) | .path' "$D/remote.json")
		case $url in "$B1"/catalog/"$name"/*.csv) ;; *) bad="$bad $r:path=$url" ;; esac
		code=$(curl -s -o "$D/$r.csv" -w '%{http_code}' "$url")
		[ "$code" = 200 ] || bad="$bad $r:http=$code"
		want=$(jq -r --arg r "$r" '.resources[] | select(.name == $r) | .hash' "$D/remote.json")
		got="sha256:$(sha256sum "$D/$r.csv" | cut -d' ' -f1)"
		[ "$want" = "$got" ] || bad="$bad $r:hash"
		wb=$(jq -r --arg r "$r" '.resources[] | select(.name == $r) | .bytes' "$D/remote.json")
		[ "$wb" = "$(wc -c <"$D/$r.csv" | tr -d ' ')" ] || bad="$bad $r:bytes"
		n=$((n + 1))
	done
	is "$bad" "" "$name: $n CSV downloads match their path, bytes and sha256"
	jq '.resources |= map(.path = (.name + ".csv"))' "$D/remote.json" >"$D/datapackage.json"
	"$KUERI" verify --format json "$D/datapackage.json" >"$D/report.json" 2>"$D/verify.err"
	rc=$?
	is "$rc" 0 "$name: kueri verify accepts the downloaded package"
	[ "$rc" -eq 0 ] || { jq -c '.tasks[] | select(.valid | not) | .errors[:3]' "$D/report.json" | sed 's/^/#   /'; head -3 "$D/verify.err"; }
	got=$(jq -c '[.tasks[] | [.name, .stats.rows]] | sort' "$D/report.json")
	want=$(sqlite3 -json "$DB" "SELECT name, rows FROM kueri_resource WHERE package='$name'" |
		jq -c 'map([.name, .rows]) | sort')
	is "$got" "$want" "$name: the same rows per resource as the portal"
	"$KUERI" publish --db "$DB2" "$D/datapackage.json" >>"$TMP/pub2.log" 2>&1
	ok $? "$name: the downloaded package publishes again"
done

hp_start "$DB2" || { ok 1 "second server starts"; done_testing; exit 1; }
B2=$BASE
bad=""
for f in "$TMP"/dl/*/*.csv; do
	name=$(basename "$(dirname "$f")"); r=$(basename "$f" .csv)
	h2=$(curl -s "$B2/catalog/$name/$r.csv" | sha256sum | cut -d' ' -f1)
	[ "$h2" = "$(sha256sum "$f" | cut -d' ' -f1)" ] || bad="$bad $name/$r"
done
is "$bad" "" "round trip: downloaded, republished, downloaded again → same sha256 ($(ls "$TMP"/dl/*/*.csv | wc -l) files)"

# HTTP behaviour of a download.
U="$B1/catalog/harga-konsumen-komoditas-pangan-kota-bandung/harga_komoditas_konsumen_kota_bandung.csv"
st=$(get "$U")
is "$st" 200 "CSV download answers 200"
like "$(header Content-Type)" '^text/csv' "... text/csv"
like "$(header Content-Disposition)" 'attachment; filename="harga_komoditas_konsumen_kota_bandung.csv"' "... as an attachment"
etag=$(header ETag); lm=$(header Last-Modified)
like "$etag" '^"kd-csv-' "... with an ETag"
is "$(head -1 "$TMP/b" | tr -d '\r')" \
	"Timestamp,ID,Komoditas,Satuan,Harga,Harga Kemarin,Tanggal Kemarin,Gap,Gap Persen,Gap Perubahan" \
	"... the header is the published field names (not OData names)"
st=$(get "$U" -H "If-None-Match: $etag")
is "$st" 304 "If-None-Match → 304"
st=$(get "$U" -H "If-Modified-Since: $lm")
is "$st" 304 "If-Modified-Since → 304"
st=$(get "$U" -I)
is "$st" 200 "HEAD → 200"
grep -q '^Timestamp,' "$TMP/b"; is $? 1 "... without a body (curl -I shows headers only)"
st=$(get "$B1/catalog/harga-konsumen-komoditas-pangan-kota-bandung/villages.csv")
is "$st" 404 "a resource of another package → 404"
st=$(get "$B1/catalog/no-such/datapackage.json")
is "$st" 404 "an unknown package → 404"
st=$(get "$B1/catalog/%2e%2e/datapackage.json")
is "$st" 404 "an encoded dot-dot name → 404"
done_testing
