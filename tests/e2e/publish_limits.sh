#!/bin/sh
# Hostile packages and operators (issue #11): every limit is enforced and
# named in its error, durations are range-checked rather than wrapped, a
# full disk is called a full disk, and a killed publish's WAL is folded
# back by the next publisher that opens the portal.  Each case failed
# before: P99999999999Y was accepted (catalog: year 1215754217), 40k fields
# or a 23 MB descriptor were accepted (quadratic: 75 s), a full disk said
# "the loader stopped at row N", the WAL stayed tens of MB.
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null 2>&1 || { skip "python3 is not installed"; done_testing; exit; }

# mkpkg DIR NAME NRES NFIELDS [FREQ]: a package of NRES resources of
# NFIELDS string fields each, one data row, all sharing data.csv.
mkpkg() {
	python3 - "$@" <<'PY'
import json, os, sys
d, name, nres, nf = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
freq = sys.argv[5] if len(sys.argv) > 5 else "P1M"
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "data.csv"), "w") as f:
    f.write(",".join("f%d" % i for i in range(nf)) + "\n")
    f.write(",".join("v" for i in range(nf)) + "\n")
fields = [{"name": "f%d" % i, "type": "string"} for i in range(nf)]
res = [{"name": "r%d" % i, "path": "data.csv", "schema": {"fields": fields}}
       for i in range(nres)]
json.dump({"name": name, "publisher": "t", "classification": "public",
           "updateFrequency": freq, "resources": res},
          open(os.path.join(d, "datapackage.json"), "w"))
PY
}
V() { timeout 120 "$KUERI" verify "$1/datapackage.json" >/dev/null 2>"$TMP/err"; }

# -- updateFrequency ------------------------------------------------------
for f in P99999999999Y P101Y P1000000D PT0S; do
	mkpkg "$TMP/freq" freq 1 1 "$f"
	V "$TMP/freq"; rc=$?
	is "$rc" 2 "updateFrequency $f is refused (exit 2)"
	like "$(cat "$TMP/err")" "updateFrequency \"$f\" is out of range.*KV_MAX_UPDATE_YEARS" \
		"naming the value and the limit"
done
for f in P100Y P1M PT1H P1W; do
	mkpkg "$TMP/freq" freq 1 1 "$f"
	V "$TMP/freq"; rc=$?
	is "$rc" 0 "updateFrequency $f is accepted"
done
"$KUERI" publish --db "$TMP/f.db" "$TMP/freq/datapackage.json" >/dev/null 2>&1
# A file written before the check: the catalog states no wrapped year.
sqlite3 "$TMP/f.db" "UPDATE kueri_package SET update_frequency = 'P99999999999Y'"
"$KUERI" catalog --db "$TMP/f.db" --json >"$TMP/cat" 2>&1; rc=$?
is "$rc" 0 "the catalog of a portal holding an out-of-range frequency is served"
like "$(tr -d ' \n' <"$TMP/cat")" '"nextUpdateDue":null' \
	"with no due date (it was year 1215754217) rather than a wrapped one"

# -- caps -----------------------------------------------------------------
mkpkg "$TMP/f1001" wide 1 1001
V "$TMP/f1001"; rc=$?
is "$rc" 2 "1,001 fields in a resource are refused"
like "$(cat "$TMP/err")" '1001 fields is over the limit of 1000 .*KV_MAX_FIELDS' "naming the cap"
mkpkg "$TMP/r257" many 257 1
V "$TMP/r257"; rc=$?
is "$rc" 2 "257 resources are refused"
like "$(cat "$TMP/err")" '257 resources is over the limit of 256 .*KV_MAX_RESOURCES' "naming the cap"
mkpkg "$TMP/huge" huge 1 1
python3 - "$TMP/huge/datapackage.json" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d["description"] = "x" * (5 * 1024 * 1024)
json.dump(d, open(p, "w"))
PY
V "$TMP/huge"; rc=$?
is "$rc" 2 "a 5 MB descriptor is refused"
like "$(cat "$TMP/err")" 'over the limit of 4194304 bytes .*KV_MAX_DESCRIPTOR_BYTES' "naming the cap"
# At the caps the work stays linear: both finish (times are diagnostics,
# not assertions -- the machine is shared).
mkpkg "$TMP/f1000" wide 1 1000
t0=$(date +%s.%N); V "$TMP/f1000"; rc=$?; t1=$(date +%s.%N)
is "$rc" 0 "1,000 fields verify"
echo "# 1,000 fields: $(echo "$t1 - $t0" | bc 2>/dev/null) s"
mkpkg "$TMP/r256" many 256 1
t0=$(date +%s.%N); timeout 300 "$KUERI" publish --db "$TMP/r.db" "$TMP/r256/datapackage.json" \
	>/dev/null 2>"$TMP/err"; rc=$?; t1=$(date +%s.%N)
is "$rc" 0 "256 resources publish"
echo "# 256 resources publish: $(echo "$t1 - $t0" | bc 2>/dev/null) s"

# -- a full disk ------------------------------------------------------------
python3 - "$TMP/big" <<'PY'
import json, os, sys
d = sys.argv[1]; os.makedirs(d)
with open(os.path.join(d, "data.csv"), "w") as f:
    f.write("id,v\n")
    for i in range(400000):
        f.write("%d,x%020d\n" % (i, i * 7919))
json.dump({"name": "big", "publisher": "t", "classification": "public",
           "resources": [{"name": "rows", "path": "data.csv", "schema": {
               "fields": [{"name": "id", "type": "integer"},
                          {"name": "v", "type": "string"}]}}]},
          open(os.path.join(d, "datapackage.json"), "w"))
PY
mkdir "$TMP/mnt"
if mount -t tmpfs -o size=2m tmpfs "$TMP/mnt" 2>/dev/null; then
	"$KUERI" publish --db "$TMP/mnt/portal.db" "$TMP/big/datapackage.json" \
		>/dev/null 2>"$TMP/err"; rc=$?
	is "$rc" 2 "a first publish onto a full disk fails"
	like "$(cat "$TMP/err")" 'the disk is full' "and says the disk is full"
	unlike "$(cat "$TMP/err")" 'loader stopped' "not just 'the loader stopped'"
	umount "$TMP/mnt"
else
	skip "cannot mount a small tmpfs here (not root?)"
	skip "cannot mount a small tmpfs here"
	skip "cannot mount a small tmpfs here"
fi

# -- a killed publish's WAL -------------------------------------------------
DB="$TMP/k.db"
mkpkg "$TMP/small" small 1 2
"$KUERI" publish --db "$DB" "$TMP/small/datapackage.json" >/dev/null 2>&1; rc=$?
is "$rc" 0 "a small package is published"
# An idle reader keeps a connection open (as serving workers do), so no
# close is ever the last one that would checkpoint.
mkfifo "$TMP/rd.in"
sqlite3 -readonly "$DB" <"$TMP/rd.in" >/dev/null 2>&1 &
reader=$!
exec 3>"$TMP/rd.in"
printf "SELECT count(*) FROM kueri_package;\n.shell touch '%s'\n" "$TMP/rd.ready" >&3
i=0; while [ ! -e "$TMP/rd.ready" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
"$KUERI" publish --db "$DB" "$TMP/big/datapackage.json" >/dev/null 2>&1 &
pub=$!
i=0
while [ $i -lt 600 ]; do
	s=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)
	[ "$s" -gt 4000000 ] && break
	kill -0 $pub 2>/dev/null || break
	sleep 0.05; i=$((i+1))
done
kill -9 $pub 2>/dev/null; wait $pub 2>/dev/null
s=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)
[ "$s" -gt 4000000 ]; ok $? "a publish killed mid-load leaves a big WAL ($s bytes)"
"$KUERI" publish --db "$DB" "$TMP/small/datapackage.json" >/dev/null 2>&1; rc=$?
is "$rc" 0 "publishing the unchanged small package again changes nothing"
s=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)
is "$s" 0 "and its open folded the killed publish's WAL back (WAL 0 bytes)"
echo ".quit" >&3; exec 3>&-; wait "$reader"
is "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok "integrity_check ok"
done_testing
