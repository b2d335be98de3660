#!/bin/sh
# Withdrawal completes on its own while a slow reader holds a read
# snapshot: a private re-classification and an unpublish each finish with
# no warning and exit as usual, and then -- with the reader STILL holding
# its old snapshot -- no byte of the package is left in any file under the
# portal's directory (the scrub replaced the file; portal/scrub.c).
#
# No sleeps decide the outcome: the reader signals (through a file) that
# its snapshot is taken, and we check it is still alive after the
# withdrawal, so the test cannot pass by the reader having let go.
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
C="$ROOT/tests/data/private-canary"
D="$TMP/portal"
DB="$D/portal.db"
mkdir -p "$D"

# start_reader TAG: a read-only sqlite3 inside a read transaction, until
# release_reader; waits (up to 60 s, for loaded machines) for the snapshot.
start_reader() {
	rm -f "$TMP/rd.in" "$TMP/rd.ready"
	mkfifo "$TMP/rd.in"
	sqlite3 -readonly "$DB" <"$TMP/rd.in" >"$TMP/rd.out" 2>&1 &
	reader=$!
	exec 3>"$TMP/rd.in"
	printf "BEGIN; SELECT count(*) FROM kueri_resource;\n.shell touch '%s'\n" \
		"$TMP/rd.ready" >&3
	i=0
	while [ ! -e "$TMP/rd.ready" ] && [ $i -lt 600 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -e "$TMP/rd.ready" ]; ok $? "$1: the reader holds a snapshot"
}
release_reader() {
	echo "COMMIT;" >&3
	exec 3>&-
	wait "$reader"
}
# no_canary TAG: canary bytes = 0 in every file under the directory.
no_canary() {
	hits=$(find "$D" -type f -exec grep -aoi 'canary' {} + | wc -l)
	is "$hits" 0 "$1: no canary byte in any file under the portal's directory"
}

"$KUERI" publish --db "$DB" "$C/public.json" >/dev/null 2>&1; rc=$?
is "$rc" 0 "the canary package published as public"
grep -aqi canary "$DB" "$DB-wal" 2>/dev/null; ok $? "its bytes are in the files"

# 1. Re-classified private while a reader holds a snapshot.
start_reader "private"
"$KUERI" publish --db "$DB" "$C/datapackage.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 1 "private: publishing it as private is refused (exit 1)"
like "$(cat "$TMP/err")" 'previously published version was removed' \
	"private: and says the public version was removed"
unlike "$(cat "$TMP/err")" 'busy|again|NOT complete' "private: with no unfinished-scrub warning"
kill -0 "$reader" 2>/dev/null; ok $? "private: the reader is still inside its snapshot"
no_canary "private"
release_reader
is "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok "private: integrity_check ok"

# 2. Unpublished while a reader holds a snapshot.
"$KUERI" publish --db "$DB" "$C/public.json" >/dev/null 2>&1; rc=$?
is "$rc" 0 "republished as public"
start_reader "unpublish"
"$KUERI" unpublish --db "$DB" kueri-canary 2>"$TMP/err"; rc=$?
is "$rc" 0 "unpublish: succeeds while the reader holds a snapshot"
unlike "$(cat "$TMP/err")" 'busy|again|NOT complete' "unpublish: with no warning"
kill -0 "$reader" 2>/dev/null; ok $? "unpublish: the reader is still inside its snapshot"
no_canary "unpublish"
release_reader
# The old reader's close must leave the new file (and its WAL) alone.
mkdir -p "$TMP/other"
printf 'id,v\n1,a\n2,b\n' >"$TMP/other/rows.csv"
cat >"$TMP/other/datapackage.json" <<'EOF2'
{"name": "other", "publisher": "t", "classification": "public",
 "resources": [{"name": "rows", "path": "rows.csv", "schema": {"fields": [
  {"name": "id", "type": "integer"}, {"name": "v", "type": "string"}]}}]}
EOF2
"$KUERI" publish --db "$DB" "$TMP/other/datapackage.json" >/dev/null 2>&1; rc=$?
is "$rc" 0 "a later publish into the replaced portal works"
is "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok "integrity_check ok"
is "$(sqlite3 "$DB" "SELECT count(*) FROM kueri_package WHERE name = 'kueri-canary'")" 0 \
	"the canary package is gone from the catalog"
is "$(sqlite3 "$DB" 'SELECT count(*) FROM kueri_package')" 1 "the later package is there"
no_canary "after the reader closed"
done_testing
