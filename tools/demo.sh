#!/bin/sh
# tools/demo.sh -- `make demo`: publish the bundled real datasets into
# run/demo.db and serve them through nginx on 127.0.0.1:$DEMO_PORT (8080).
# Ctrl-C stops everything.  Publishing again is cheap: an unchanged
# package is recognised and left as it is.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KUERI=${KUERI:-$ROOT/build/kueri}
PORT=${DEMO_PORT:-8080}
DB=$ROOT/run/demo.db
mkdir -p "$ROOT/run"
[ -x "$KUERI" ] || { echo "demo: build first (make)" >&2; exit 2; }

# The data inventory (daftar data) of the fictional Kota Sukamaju, imported
# before publishing so each bundled package is linked to its entry; a few
# deliveries made outside the portal are recorded as sample history (one
# yesterday, so a daily entry is due today whatever the date).
INV=$ROOT/data/inventaris-kota-sukamaju/datapackage.json
"$KUERI" inventory import --db "$DB" "$INV" || { echo "demo: inventory import failed" >&2; exit 1; }
Y=$(date -u -d yesterday +%F)
for d in "volume-lalu-lintas $Y" "cakupan-imunisasi $Y" "daftar-dataset 2025-01-20"; do
	set -- $d
	"$KUERI" inventory record --db "$DB" --date "$2" "$1" || exit 1
done

for pkg in "$ROOT"/data/*/datapackage.kueri.json; do
	rc=0
	"$KUERI" publish --db "$DB" "$pkg" || rc=$?
	case $rc in
	0|2) ;;   # published, or unchanged since the last demo
	*) echo "demo: publishing $pkg failed (exit $rc)" >&2; exit 1 ;;
	esac
done

U=http://127.0.0.1:$PORT
cat <<EOT

kueri demo: $("$KUERI" catalog --db "$DB" | tail -n +2 | wc -l) packages published into $DB.
Paste one of these into a browser:

  Villages whose name contains MAKMUR, with the total count:
    $U/odata/villages?\$filter=contains(name,'MAKMUR')&\$count=true&\$top=20

  COVID-19: total new cases per province, largest first:
    $U/odata/covid_prov_id?\$apply=groupby((province),aggregate(new_cases%20with%20sum%20as%20cases))&\$orderby=cases%20desc

  Jakarta's daily series as a spreadsheet (CSV download):
    $U/odata/covid_prov_id?\$filter=province%20eq%20'DKI%20Jakarta'&\$orderby=date&\$format=csv

Everything published: $U/catalog   The data model: $U/odata/\$metadata
EOT
"$KUERI" inventory report --db "$DB"
cat <<EOT

Who is late, per unit (rapor):     $U/catalog/units    (CSV: $U/catalog/units.csv)
The public release calendar:       $U/catalog/schedule (CSV: $U/catalog/schedule.csv)
The action plan for next year:     $KUERI inventory plan --db $DB --year $(( $(date -u +%Y) + 1 ))
EOT
exec sh "$ROOT/tools/serve.sh" "$DB" "$PORT"
