#!/bin/sh
# Fields whose published names are not OData identifiers ("Harga Kemarin")
# are served under one mapped name everywhere: $filter, $select, JSON keys,
# CSV header and $metadata agree.
. "$(dirname "$0")/../lib.sh"
DB="$TMP/p.db"
PKG="$(dirname "$0")/../../data/harga-pangan-kota-bandung/datapackage.kueri.json"
"$KUERI" publish --db "$DB" "$PKG" >/dev/null 2>&1
is "$?" 0 "the Bandung food-price package publishes"

out=$("$KUERI" query --db "$DB" 'harga_komoditas_konsumen_kota_bandung?$filter=Harga_Kemarin gt 100000&$select=Harga_Kemarin&$top=1')
is "$?" 0 "a mapped name resolves in \$filter and \$select"
like "$out" '"value":\[\{"Harga_Kemarin":[0-9]+\}\]' "the JSON key is the mapped name"

"$KUERI" query --db "$DB" 'harga_komoditas_konsumen_kota_bandung?$select=Harga Kemarin' >/dev/null 2>&1
is "$?" 1 "the published spelling with a space is not a property name"

csv=$("$KUERI" query --db "$DB" --format csv 'harga_komoditas_konsumen_kota_bandung?$top=1' | head -1)
like "$csv" ',Harga_Kemarin,Tanggal_Kemarin,' "the CSV header uses the mapped names"

meta=$("$KUERI" query --db "$DB" '$metadata')
like "$meta" '<Property Name="Harga_Kemarin" Type="Edm.Int64"' "\$metadata declares the same name"
unlike "$meta" 'Name="Harga Kemarin"' "\$metadata declares no name with a space"
cat=$("$KUERI" catalog --db "$DB" --json)
like "$(printf "%s" "$cat" | tr -d " \n")" '"name":"HargaKemarin","odataName":"Harga_Kemarin"' "the catalog shows both the published and the OData name"
done_testing
