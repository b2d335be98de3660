#!/bin/sh
# Differential check of keys on logical values: random packages whose
# datetime primary key repeats one instant written in other offsets
# (+07:00, -04:30, Z, or naive and read in the package's "kueri:timezone"
# WIB), with fractions padded by zeros (.5 = .500), and a second resource
# whose datetime foreign key looks into the first in yet other offsets.
# kueri verify's primary-key-error and foreign-key-error rows, and the
# earlier row each duplicate names, must equal what Python computes from
# the instants (calendar.timegm, not kueri's code).  Needs python3.
. "$(dirname "$0")/../lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	skip "python3 is not installed"
	done_testing
	exit 0
fi
cd "$TMP" || exit 1
cat >diff.py <<'PY'
import calendar, json, random, re, subprocess, sys, time
kueri, seed = sys.argv[1], int(sys.argv[2])
r = random.Random(seed)
OFFS = [0, 7 * 60, 8 * 60, -(4 * 60 + 30), 5 * 60 + 45, None]  # None: naive
TZ = 7 * 60                                                    # WIB
base = calendar.timegm((2023, 12, 31, 20, 0, 0))
pool = [(base + r.randint(0, 3 * 86400), r.choice(['', '5', '25', '125']))
        for _ in range(r.randint(5, 60))]

def write(inst):
    sec, frac = inst
    off = r.choice(OFFS)
    local = sec + (TZ if off is None else off) * 60
    t = '%04d-%02d-%02dT%02d:%02d:%02d' % time.gmtime(local)[:6]
    if frac or r.random() < 0.3:
        t += '.' + frac + '0' * r.randint(0 if frac else 1, 3)
    if off is None:
        return t
    if off == 0 and r.random() < 0.5:
        return t + 'Z'
    return t + '%s%02d:%02d' % ('-' if off < 0 else '+', abs(off) // 60, abs(off) % 60)

def instant(text):  # the reference: parts, timegm, the offset
    m = re.fullmatch(r'(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?', text)
    y, mo, d, h, mi, s, frac, z = m.groups()
    sec = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s)))
    if z is None:
        sec -= TZ * 60
    elif z != 'Z':
        sec -= (1 if z[0] == '+' else -1) * (int(z[1:3]) * 60 + int(z[4:6])) * 60
    return sec, (frac or '').rstrip('0')

a = [write(r.choice(pool)) for _ in range(r.randint(1, 300))]
b = [write(r.choice(pool)) if r.random() < 0.8 else
     write((base - 86400 * r.randint(1, 9), '')) for _ in range(r.randint(1, 300))]
open('a.csv', 'w').write('t\n' + ''.join(x + '\n' for x in a))
open('b.csv', 'w').write('t\n' + ''.join(x + '\n' for x in b))
json.dump({"name": "d", "kueri:timezone": "WIB", "resources": [
    {"name": "a", "path": "a.csv", "schema": {"fields": [{"name": "t", "type": "datetime"}],
                                             "primaryKey": "t"}},
    {"name": "b", "path": "b.csv", "schema": {"fields": [{"name": "t", "type": "datetime"}],
        "foreignKeys": [{"fields": "t", "reference": {"resource": "a", "fields": "t"}}]}}]},
    open('datapackage.json', 'w'))
first, want_a = {}, []
for k, x in enumerate(a, start=2):
    i = instant(x)
    if i in first:
        want_a.append([k, 'primary-key-error', first[i]])
    else:
        first[i] = k
want_b = [[k, 'foreign-key-error', None] for k, x in enumerate(b, start=2)
          if instant(x) not in first]
p = subprocess.run([kueri, 'verify', '--limit-errors', '1000000', 'datapackage.json'],
                   capture_output=True)
tasks = {t['name']: t for t in json.loads(p.stdout)['tasks']}
def got(name):
    out = []
    for e in tasks[name]['errors']:
        m = re.search(r'the same as in row at position "(\d+)"', e['message'])
        out.append([e['rowNumber'], e['type'], int(m.group(1)) if m else None])
    return out
ok = (got('a') == want_a and sorted(got('b')) == sorted(want_b) and
      tasks['a']['stats']['rows'] == len(a) and tasks['b']['stats']['rows'] == len(b))
if not ok:
    print('# a: got %s\n# a: want %s' % (got('a')[:5], want_a[:5]), file=sys.stderr)
    print('# b: got %s\n# b: want %s' % (got('b')[:5], want_b[:5]), file=sys.stderr)
print('%d %d %d %d %d' % (ok, len(got('a')), len(got('b')), len(a), len(b)))
PY
for seed in 1 2 3 4 5 6 7 8 9 10; do
	set -- $(python3 diff.py "$KUERI" "$seed" 2>"$TMP/why")
	ok $((1 - ${1:-0})) "seed $seed: $4 + $5 rows, kueri's $2 primary-key and $3 foreign-key errors (and the rows they name) are exactly Python's"
	[ "${1:-0}" = 1 ] || cat "$TMP/why"
done
done_testing
