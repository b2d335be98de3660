#!/bin/sh
# The publish lock ("<portal>-lock", portal/portal.c): while another
# process holds it (here flock(1), standing in for a long publish),
#  1. a publish waits, and gives up after the lock's wait limit with an
#     error that names the limit; the portal is unchanged;
#  2. a removal (unpublish) does the same;
#  3. a publish started while the lock is held, released within the
#     limit, waits and then succeeds.
# KUERI_LOCK_WAIT_S=N (1 .. 120) shortens the 120 s limit for the test.
. "$(dirname "$0")/../lib.sh"
command -v flock >/dev/null || { skip "flock(1) (util-linux) not installed"; done_testing; exit 0; }
DB="$TMP/portal.db"
P="$TMP/pkg"
mkdir -p "$P"
cat >"$P/datapackage.json" <<'EOF2'
{"name": "kunci", "publisher": "Dinas Uji", "classification": "public",
 "resources": [{"name": "rows", "path": "data.csv", "schema": {
   "fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}],
   "primaryKey": ["id"]}}]}
EOF2
gen() { awk -v n="$1" 'BEGIN { print "id,name"; for (i = 1; i <= n; i++) printf "%d,baris %d\n", i, i }'; }
count() { "$KUERI" query --db "$DB" 'rows/$count' 2>/dev/null; }
ms() { date +%s%N | cut -c1-13; }
# hold S: hold the lock for S seconds in the background; its pid in $holder.
hold() {
	# -o: the lock stays with flock itself, not its sleep, so killing
	# $holder releases it.
	flock -o -x "$DB-lock" sleep "$1" & holder=$!
	i=0   # until flock has it: a non-blocking try fails
	while flock -n -x "$DB-lock" true 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}

gen 10 >"$P/data.csv"
"$KUERI" publish --db "$DB" "$P/datapackage.json" >/dev/null 2>&1
is "$?" 0 "version 1 published (10 rows)"

# ---- 1. a publish gives up after the limit -------------------------------
gen 20 >"$P/data.csv"
hold 8
t0=$(ms)
KUERI_LOCK_WAIT_S=2 "$KUERI" publish --db "$DB" "$P/datapackage.json" >/dev/null 2>"$TMP/err1"; rc=$?
t1=$(ms)
ok $([ "$rc" != 0 ] && echo 0 || echo 1) "1: a publish while another holds the lock fails"
like "$(cat "$TMP/err1")" "kept .*-lock locked for 2 s \\(the publish lock's wait limit\\)" "1: the error names the lock and its limit"
like "$(cat "$TMP/err1")" "nothing was changed" "1: ... and says nothing was changed"
ok $([ $((t1 - t0)) -ge 1900 ] && [ $((t1 - t0)) -lt 6000 ] && echo 0 || echo 1) "1: it waited about the limit ($((t1 - t0)) ms, limit 2 s)"
is "$(count)" 10 "1: version 1 is still served (10 rows)"

# ---- 2. a removal gives up too --------------------------------------------
KUERI_LOCK_WAIT_S=1 "$KUERI" unpublish --db "$DB" kunci >/dev/null 2>"$TMP/err2"; rc=$?
ok $([ "$rc" != 0 ] && echo 0 || echo 1) "2: an unpublish while another holds the lock fails"
like "$(cat "$TMP/err2")" "locked for 1 s \\(the publish lock's wait limit\\)" "2: the error names the limit"
is "$(count)" 10 "2: the package is still published"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

# ---- 3. a lock released within the limit: the publish waits, then runs ----
hold 2
t0=$(ms)
KUERI_LOCK_WAIT_S=20 "$KUERI" publish --db "$DB" "$P/datapackage.json" >/dev/null 2>"$TMP/err3"; rc=$?
t1=$(ms)
wait "$holder" 2>/dev/null
is "$rc" 0 "3: a publish started while the lock was held succeeds once it is released"
ok $([ $((t1 - t0)) -ge 1000 ] && echo 0 || echo 1) "3: ... after waiting for it ($((t1 - t0)) ms; the holder kept it 2 s)"
is "$(count)" 20 "3: the new version is served (20 rows)"

done_testing
