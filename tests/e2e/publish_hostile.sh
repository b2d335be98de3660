#!/bin/sh
# Hostile packages: a resource read must be the file that was checked and
# only a regular file inside the package folder (publish/package.c
# confined_open).  Each case failed before: the path was re-opened by name
# after the check (a symlink flip published an outside file), and a FIFO
# blocked verify forever.
. "$(dirname "$0")/../lib.sh"
P="$TMP/pkg"
mkdir -p "$P"
printf 'id,v\n1,a\n2,b\n' >"$P/in.csv"
printf 'id,v\n1,OUTSIDE-SECRET\n2,x\n3,y\n' >"$TMP/outside.csv"
cat >"$P/datapackage.json" <<'JSON'
{"name": "hostile", "publisher": "t", "classification": "public",
 "resources": [{"name": "rows", "path": "data.csv", "schema": {"fields": [
  {"name": "id", "type": "integer"}, {"name": "v", "type": "string"}]}}]}
JSON
V() { timeout 20 "$KUERI" verify "$P/datapackage.json" >"$TMP/out" 2>"$TMP/err"; }

# -- symlinks -----------------------------------------------------------
ln -s ../outside.csv "$P/data.csv"
V; rc=$?
is "$rc" 2 "a symlink leading outside is refused (exit 2)"
like "$(cat "$TMP/err")" 'leads outside the package folder' "naming why"
rm "$P/data.csv"; ln -s in.csv "$P/data.csv"
V; rc=$?
is "$rc" 0 "a symlink that stays inside is read"

# The race: data.csv flips between the inside file and a symlink to the
# outside one (each flip an atomic rename) while verify runs again and
# again.  Every run must read either the inside file (2 rows) or refuse
# the symlink -- never the outside file's 3 rows.
rm "$P/data.csv"; cp "$P/in.csv" "$P/data.csv"
# A tight loop (python3, a tools/deps.sh package): a fork per flip would
# leave the window too rarely hit to show the old bug.
python3 -c '
import os, shutil, sys
d = sys.argv[1]
data = open(os.path.join(d, "in.csv"), "rb").read()
while True:
    os.symlink("../outside.csv", os.path.join(d, ".l"))
    os.rename(os.path.join(d, ".l"), os.path.join(d, "data.csv"))
    with open(os.path.join(d, ".f"), "wb") as f:
        f.write(data)
    os.rename(os.path.join(d, ".f"), os.path.join(d, "data.csv"))
' "$P" &
flipper=$!
n=0 outside=0 inside=0
while [ $n -lt 200 ]; do
	V
	grep -q '"rows": 3' "$TMP/out" && outside=$((outside + 1))
	grep -q '"rows": 2' "$TMP/out" && inside=$((inside + 1))
	n=$((n + 1))
done
kill "$flipper"; wait "$flipper" 2>/dev/null
is "$outside" 0 "200 verify runs during symlink flips: none read the outside file"
[ "$inside" -gt 0 ]; ok $? "and the inside file was read ($inside runs; the rest refused the symlink)"
DB="$TMP/portal.db"
rm -f "$P/data.csv" "$P/.l" "$P/.f"; cp "$P/in.csv" "$P/data.csv"
"$KUERI" publish --db "$DB" "$P/datapackage.json" >/dev/null 2>&1; rc=$?
is "$rc" 0 "the package publishes from the regular file"
! grep -aq 'OUTSIDE-SECRET' "$DB" "$DB-wal" 2>/dev/null; ok $? "no outside byte in the portal"

# -- not a regular file -------------------------------------------------
rm "$P/data.csv"; mkfifo "$P/data.csv"
V; rc=$?
is "$rc" 2 "a FIFO as a resource: refused at once, not blocked (exit 2, not timeout's 124)"
like "$(cat "$TMP/err")" 'is a FIFO: only regular files' "naming the FIFO"
"$KUERI" publish --db "$DB" "$P/datapackage.json" >/dev/null 2>"$TMP/err" &
pub=$!
i=0; while kill -0 $pub 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
if kill -0 $pub 2>/dev/null; then kill $pub; ok 1 "publish with a FIFO resource returns"
else wait $pub; ok 0 "publish with a FIFO resource returns"; fi
like "$(cat "$TMP/err")" 'only regular files' "publish names it too"
rm "$P/data.csv"; mkdir "$P/data.csv"
V; rc=$?
is "$rc" 2 "a directory as a resource is refused"
like "$(cat "$TMP/err")" 'is a directory' "naming it"
rmdir "$P/data.csv"
if [ -e /dev/zero ]; then
	ln -s /dev/zero "$P/data.csv"
	V; rc=$?
	is "$rc" 2 "a symlink to a device is refused"
	rm "$P/data.csv"
else
	skip "no /dev/zero"
fi
# The schema file goes through the same door.
printf '{"fields": [{"name": "id", "type": "integer"}, {"name": "v", "type": "string"}]}' \
	>"$TMP/schema.json"
cp "$P/in.csv" "$P/data.csv"
ln -s ../schema.json "$P/schema.json"
sed 's/"schema": {"fields": \[/"schema": "schema.json", "x": {"fields": [/' \
	"$P/datapackage.json" >"$P/dp2.json"
timeout 20 "$KUERI" verify "$P/dp2.json" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 2 "a schema path through an outside symlink is refused"
like "$(cat "$TMP/err")" "schema path .*leads outside" "naming the schema path"
done_testing
