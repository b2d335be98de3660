#!/bin/sh
# Differential check of primary and foreign keys: random CSVs (duplicate
# ids written as 7, 07, 007; quoted fields with commas, quotes and line
# breaks; LF, CRLF and CR mixed; self-referencing foreign keys, some
# pointing forward) are verified by kueri and by Python's csv module, and
# the primary-key-error / foreign-key-error rows must agree exactly.
# This exercises the exact re-read confirmation of key sets and the
# pending foreign keys.  Needs python3 (skipped without it).
. "$(dirname "$0")/../lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "ok 1 - # SKIP python3 is not installed"
	echo "1..1"
	exit 0
fi
cd "$TMP" || exit 1
cat >diff.py <<'PY'
import csv, io, json, random, subprocess, sys
kueri, seed = sys.argv[1], int(sys.argv[2])
r = random.Random(seed)
n = r.randint(1, 2500)
eols = ['\n', '\r\n', '\r']
out = io.StringIO()
out.write('id,txt,ref' + r.choice(eols))
for i in range(n):
    idv = r.randint(0, max(1, n // 2))
    t = ''.join(r.choice(['a', ' ', ',', '"', '\n', '\r\n', '\u00e9', 'x']) for _ in range(r.randint(0, 6)))
    ref = r.randint(0, n) if r.random() < 0.9 else ''
    out.write('%s%d,"%s",%s%s' % ('0' * r.randint(0, 2), idv, t.replace('"', '""'), ref, r.choice(eols)))
data = out.getvalue().encode()
open('r.csv', 'wb').write(data)
json.dump({"name": "d", "resources": [{"name": "r", "path": "r.csv", "schema": {
    "fields": [{"name": "id", "type": "integer"}, {"name": "txt"}, {"name": "ref", "type": "integer"}],
    "primaryKey": "id", "foreignKeys": [{"fields": "ref", "reference": {"fields": "id"}}]}}]},
    open('datapackage.json', 'w'))
recs = list(csv.reader(io.StringIO(data.decode(), newline='')))[1:]
ids = {int(x[0]) for x in recs}
seen, want = set(), []
for k, x in enumerate(recs, start=2):
    if int(x[0]) in seen:
        want.append([k, 'primary-key-error'])
    seen.add(int(x[0]))
want += [[k, 'foreign-key-error'] for k, x in enumerate(recs, start=2)
         if x[2] != '' and int(x[2]) not in ids]
p = subprocess.run([kueri, 'verify', '--limit-errors', '1000000', 'datapackage.json'],
                   capture_output=True)
task = json.loads(p.stdout)['tasks'][0]
got = [[e['rowNumber'], e['type']] for e in task['errors']]
ok = sorted(got) == sorted(want) and task['stats']['rows'] == len(recs)
print('%d %d %d %d' % (ok, len(got), len(want), len(recs)))
PY
for seed in 1 2 3 4 5 6 7 8 9 10 11 12; do
	set -- $(python3 diff.py "$KUERI" "$seed")
	ok $((1 - $1)) "seed $seed: $4 rows, kueri's $2 key errors are exactly Python's $3"
done
done_testing
