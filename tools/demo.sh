#!/bin/sh
# tools/demo.sh -- `make demo`: publish the bundled real datasets into
# run/demo.db and serve them through nginx on 127.0.0.1:PORT (8080;
# `make demo PORT=8081`, or DEMO_PORT=).  Ctrl-C stops everything.
# Publishing again is cheap: an unchanged package is recognised and left as
# it is (`kueri publish` exits 0 for it).  Exit 1 when a bundled package is
# refused or broken, 2 when the port is taken or kueri is not built.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KUERI=${KUERI:-$ROOT/build/kueri}
PORT=${PORT:-${DEMO_PORT:-8080}}
DB=$ROOT/run/demo.db
case "$PORT" in ''|*[!0-9]*) echo "demo: PORT must be a number (got '$PORT')" >&2; exit 2 ;; esac
[ -x "$KUERI" ] || { echo "demo: build first (make)" >&2; exit 2; }

# port_busy P: is a TCP socket listening on 127.0.0.1/any address port P?
# (/proc/net/tcp*, so it needs neither ss nor netstat.)
port_busy() {
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
		END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
# Checked before publishing, so a taken port costs nothing and says how out.
if port_busy "$PORT"; then
	next=$((PORT + 1))
	while port_busy "$next" && [ "$next" -lt $((PORT + 100)) ]; do next=$((next + 1)); done
	echo "demo: port $PORT is in use: make demo PORT=$next" >&2
	exit 2
fi
mkdir -p "$ROOT/run"
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
	0) ;;   # published, or unchanged since the last demo
	1) echo "demo: $pkg was refused (exit 1; the report above says why)" >&2; exit 1 ;;
	*) echo "demo: publishing $pkg failed (exit $rc: bad input or unreadable)" >&2; exit 1 ;;
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
