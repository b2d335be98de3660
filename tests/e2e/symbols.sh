#!/bin/sh
# Every global symbol the library defines carries its module's prefix
# (STYLE.md: one prefix per module): two files can then never clash at
# link time, and a name says where it lives.  After verify.c was split,
# `setup`, `teardown`, `grow`, `fail` ... had become library-wide names;
# this check keeps that from coming back.  nm on each object of the build
# under test ($KUERI_BUILD), folder by folder; compiler-made names (a
# leading "__" or ".") are not ours.  The few names still waiting for
# their owner's rename are listed below and reported as TODO (pending,
# not a failure); any other unprefixed global fails.
. "$(dirname "$0")/../lib.sh"
B=${KUERI_BUILD:-$(dirname "$KUERI")}

# folder: the prefixes its globals may carry (kw_: fcgi/watch.c; kr_: fcgi/record.c and
# replica/ both use it).
PREFIXES='
util ku_ kueri_ ksha256_
publish kv_ kvp_ kvt_ kvs_ kcsv_
portal kp_ portal_
query kq_
fcgi kh_ kr_ ks_ kw_
html kb_
harvest kd_
inventory ki_
replica kr_
'
# Names waiting for a rename, reported as TODO instead of failing: none
# today (query/route.c's and route_html.c's shared functions were renamed
# kq_* when this check found them).
KNOWN=''

if ! command -v nm >/dev/null 2>&1; then
	skip "nm (binutils) is not installed"
	done_testing
	exit
fi
[ -f "$B/libkueri.a" ]
ok $? "the build under test has its library ($B/libkueri.a)"

# unprefixed OBJECT PREFIX...: the object's defined globals that carry
# none of the prefixes, one a line.
unprefixed() {
	o=$1
	shift
	nm -g --defined-only "$o" | awk 'NF == 3 { print $3 }' |
	while read -r sym; do
		case "$sym" in __*|.*) continue ;; esac
		good=0
		for p in "$@"; do
			case "$sym" in "$p"*) good=1; break ;; esac
		done
		[ "$good" = 1 ] || echo "$sym"
	done
}

printf '%s\n' "$PREFIXES" | while read -r dir prefixes; do
	[ -n "$dir" ] || continue
	ls "$B/$dir"/*.o >/dev/null 2>&1 || { echo "MISSING $dir"; continue; }
	for o in "$B/$dir"/*.o; do
		# shellcheck disable=SC2086 # the prefixes are words
		unprefixed "$o" $prefixes | sed "s|^|BAD $dir/$(basename "$o"):|"
	done
done >"$TMP/found"

missing=$(sed -n 's/^MISSING //p' "$TMP/found" | tr '\n' ' ')
is "$missing" "" "every module folder has objects in the build (nm looked at them all)"

# A new folder in the library needs its line in the table above.
unlisted=""
for d in "$B"/*/; do
	d=$(basename "$d")
	case "$d" in cli|tests|test-logs|san) continue ;; esac
	ls "$B/$d"/*.o >/dev/null 2>&1 || continue
	printf '%s\n' "$PREFIXES" | grep -q "^$d " || unlisted="$unlisted $d"
done
is "$unlisted" "" "every folder of objects in the build has its prefixes listed"

bad="" known=""
for entry in $(sed -n 's/^BAD //p' "$TMP/found"); do
	case " $(echo $KNOWN) " in
	*" $entry "*) known="$known $entry" ;;
	*) bad="$bad $entry" ;;
	esac
done
if [ -n "$known" ]; then
	TAP_N=$((TAP_N + 1))
	echo "not ok $TAP_N - $(echo $known | wc -w) listed globals carry no module prefix:$known # TODO query/'s owner renames them (kq_ or static)"
fi
is "$bad" "" "no other global symbol lacks its folder's prefix (verify.c, verify_keys.c, indexes.c included)"

# The check itself: an object with an unprefixed global is caught.
if command -v cc >/dev/null 2>&1; then
	printf '%s\n' 'int grow(int x);' 'int grow(int x) { return x + 1; }' \
		'static int keep(int x) { return x; }' 'int kv_fine(int x);' \
		'int kv_fine(int x) { return keep(x); }' >"$TMP/g.c"
	cc -c -o "$TMP/g.o" "$TMP/g.c"
	is "$(unprefixed "$TMP/g.o" kv_ kvp_ | tr '\n' ' ')" "grow " \
		"the check finds an unprefixed global (grow), not a static or a kv_ one"
else
	skip "no C compiler to build the check's own example"
fi
done_testing
