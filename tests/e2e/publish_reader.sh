#!/bin/sh
# Removing a package while a reader holds an old snapshot: the removal
# still commits, but the WAL cannot be truncated until the reader lets go;
# kueri says so, and running the command again finishes the scrub so no
# canary byte remains in the files.
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
C="$ROOT/tests/data/private-canary"
DB="$TMP/portal.db"

"$KUERI" publish --db "$DB" "$C/public.json" >/dev/null 2>&1; rc=$?
is "$rc" 0 "the canary package published as public"
# A reader inside a read transaction for ~12 s (longer than kueri waits).
(echo "BEGIN; SELECT count(*) FROM kueri_package;"; sleep 12; echo "COMMIT;") |
	sqlite3 "$DB" >/dev/null 2>&1 &
reader=$!
sleep 1
"$KUERI" unpublish --db "$DB" kueri-canary 2>"$TMP/err"; rc=$?
is "$rc" 0 "unpublish succeeds while a reader holds a snapshot"
like "$(cat "$TMP/err")" 'reader kept the WAL busy.*run the same command again' \
	"and warns that the scrub is unfinished"
grep -aqi 'canary' "$DB" "$DB-wal" 2>/dev/null; ok $? \
	"meanwhile the old bytes are still in the files (so the warning is true)"
wait "$reader"
"$KUERI" unpublish --db "$DB" kueri-canary 2>"$TMP/err"; rc=$?
is "$rc" 1 "running it again: the package is already gone (exit 1)"
unlike "$(cat "$TMP/err")" 'busy' "and the scrub completes without warning"
for f in "$DB" "$DB-wal"; do
	[ -e "$f" ] || continue
	! grep -aqi 'canary' "$f"; ok $? "no canary byte left in $(basename "$f")"
done
is "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok "integrity_check ok"
done_testing
