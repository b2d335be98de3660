#!/bin/bash
# `kueri snapshot` and `kueri replicate` on one machine (a directory as the
# rsync source; tests/e2e/replicas.sh does the same over the network):
#  - the snapshot is a rollback-journal SQLite file whose sha256, size and
#    portal version are the manifest's;
#  - a replica fetches it, says "current" when nothing changed, and swaps
#    in a new version by rename, after which the replaced file holds only
#    zeros for a reader that still had it open;
#  - a snapshot that does not match its manifest (bytes, version, shape)
#    is refused with exit 1 and a message naming what differs, and the
#    live file and the landing directory are left as they were.
. "$(dirname "$0")/../lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
command -v rsync >/dev/null 2>&1 || { echo "1..0 # SKIP rsync is not installed (tools/deps.sh)"; exit 0; }
PUB=$TMP/pub.db SNAP=$TMP/snap R=$TMP/replica
mkdir -p "$R"
"$KUERI" publish --db "$PUB" "$REPO/tests/data/private-canary/public.json" >/dev/null 2>&1
"$KUERI" snapshot --db "$PUB" --dir "$SNAP" --grace 0 >"$TMP/m1" 2>"$TMP/err"; rc=$?
is "$rc" 0 "kueri snapshot exits 0"
field() { sed -n "s/.*\"$1\": *\"\\{0,1\\}\\([0-9a-f]*\\)\"\\{0,1\\}.*/\\1/p" "$2" | head -1; }
is "$(field sha256 "$SNAP/manifest.json")" "$(sha256sum <"$SNAP/portal.db" | cut -c1-64)" \
	"the manifest's sha256 is the snapshot file's"
is "$(field size "$SNAP/manifest.json")" "$(stat -c %s "$SNAP/portal.db")" "the manifest's size is the file's"
is "$(sqlite3 "$SNAP/portal.db" 'PRAGMA journal_mode')" delete \
	"the snapshot is in rollback-journal mode (replicas open it read-only)"
is "$(cmp "$TMP/m1" <(tr -d ' \n' <"$SNAP/manifest.json"; echo) >/dev/null 2>&1; echo $?)" 0 \
	"kueri snapshot prints the manifest it wrote"

"$KUERI" replicate --from "$SNAP" --dir "$R" --grace 0 2>"$TMP/err"; rc=$?
is "$rc" 0 "kueri replicate fetches the first snapshot"
cmp -s "$SNAP/portal.db" "$R/portal.db"; ok $? "the replica's portal.db is the snapshot, byte for byte"
"$KUERI" replicate --from "$SNAP" --dir "$R" --grace 0 2>"$TMP/err"; rc=$?
is "$rc $(cat "$TMP/err")" "0 replicate: $R is current" "a second run finds it current"
V1=$(field version "$SNAP/manifest.json")
like "$("$KUERI" query --db "$R/portal.db" 'canary_rows?$top=1')" 'KUERI-CANARY' \
	"the replica's copy answers queries"

# A new version while a reader holds the live file open.
"$KUERI" publish --db "$PUB" "$REPO/tests/data/private-canary/datapackage.json" >/dev/null 2>&1
"$KUERI" snapshot --db "$PUB" --dir "$SNAP" --grace 0 >/dev/null 2>&1
exec 3<"$R/portal.db"
ino_old=$(stat -c %i "$R/portal.db")
"$KUERI" replicate --from "$SNAP" --dir "$R" --grace 0 2>"$TMP/err"; rc=$?
is "$rc" 0 "kueri replicate swaps in the new version"
like "$(cat "$TMP/err")" "version $(field version "$SNAP/manifest.json") .* is live" "and says which version is live"
[ "$(stat -c %i "$R/portal.db")" != "$ino_old" ]; ok $? "by rename: the live path names a new inode"
sz=$(stat -L -c %s /proc/$$/fd/3)
is "$sz $(tr -d '\0' <&3 | wc -c)" "$sz 0" "the replaced file, still open here, holds only zeros ($sz bytes)"
exec 3<&-
! grep -rqa 'KUERI-CANARY' "$R" "$SNAP"; ok $? "no canary byte in the replica or snapshot directory"
is "$(ls -A "$R/.incoming")" "" "the landing directory is empty after a swap"

# Refusals: each leaves the live file alone.
live_sha=$(sha256sum <"$R/portal.db")
# A third version (the package public again), snapshotted elsewhere and
# then spoiled in several ways.
"$KUERI" publish --db "$PUB" "$REPO/tests/data/private-canary/public.json" >/dev/null 2>&1
"$KUERI" snapshot --db "$PUB" --dir "$TMP/bad" --grace 0 >/dev/null 2>&1
cp "$TMP/bad/portal.db" "$TMP/good.db"
refuse() {  # refuse PATTERN DESCRIPTION
	"$KUERI" replicate --from "$TMP/bad" --dir "$R" --grace 0 2>"$TMP/err"; rc=$?
	is "$rc" 1 "refused with exit 1: $2"
	like "$(cat "$TMP/err")" "$1" "  and the message says: $1"
	is "$(sha256sum <"$R/portal.db")" "$live_sha" "  the live file is unchanged"
	is "$(ls -A "$R/.incoming")" "" "  nothing is left in the landing directory"
}
# Flip one byte inside the last page of the snapshot.
printf 'X' | dd of="$TMP/bad/portal.db" bs=1 seek=$(( $(stat -c %s "$TMP/bad/portal.db") - 100 )) conv=notrunc 2>/dev/null
refuse 'sha256 .* but the manifest says' "one byte differs from the manifest's sha256"
cp "$TMP/good.db" "$TMP/bad/portal.db"
sed -i "s/\"version\": *\"[0-9a-f]*\"/\"version\": \"$V1\"/" "$TMP/bad/manifest.json"
refuse "portal version .*, but the manifest says $V1" "the manifest names another portal version"
sed -i 's/"sha256": *"[0-9a-f]*"/"sha256": "XYZ"/' "$TMP/bad/manifest.json"
refuse 'manifest field "sha256" must be 64 lowercase hex digits' "a malformed manifest"
echo '{"format":"other"}' >"$TMP/bad/manifest.json"
refuse 'manifest field "format"' "a manifest of another format"

# Usage.
"$KUERI" replicate --from "$SNAP" 2>"$TMP/err"; rc=$?
is "$rc" 2 "replicate without --dir exits 2"
"$KUERI" replicate --from -e --dir "$R" 2>"$TMP/err"; rc=$?
is "$rc" 2 "a --from that looks like an option is refused (it would reach rsync as one)"
"$KUERI" replicate --from "$TMP/nowhere" --dir "$R" 2>"$TMP/err"; rc=$?
is "$rc" 2 "an unreachable source exits 2"
like "$(cat "$TMP/err")" 'rsync failed' "and says the fetch failed"
"$KUERI" snapshot --db "$TMP/none.db" --dir "$TMP/s2" 2>"$TMP/err"; rc=$?
is "$rc" 2 "snapshot of a missing portal exits 2"
done_testing
