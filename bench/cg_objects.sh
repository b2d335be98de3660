#!/bin/sh
# bench/cg_objects.sh ONE.out MANY.out N [TOP] -- instructions per warm
# request split by object, from the two callgrind files of
# bench/callgrind.sh (CG_KEEP=DIR keeps them as DIR/callgrind1.out, the
# worker that answered 1 request, and DIR/callgrind.out, N + 1 requests):
# (MANY - ONE) / N per object, as callgrind counted it ("self": the
# instructions executed inside the object's own code), then "by caller":
# the same with the C library, libm and the dynamic linker charged to the
# object that called them (kueri's formatting and allocation are kueri's
# choice; SQLite's own memcpy and malloc are SQLite's; a library function
# that calls back into its caller, like qsort, would count the callback
# twice; none does on a request's path), then the TOP
# (default 25) functions by self instructions per request.
#
# The callgrind format (valgrind's docs, "Callgrind Format
# Specification"): ob=/fn= name the object and function the following cost
# lines belong to, "(id) name" defines a compressed name and "(id)" reuses
# it (cob=/cfn= define names too); a calls= line is followed by one cost
# line holding the call's inclusive cost, which is not the caller's self
# cost.  The cost is the last field (one event, Ir).
set -eu
ONE=$1 MANY=$2 N=$3 TOP=${4:-25}
split() {
	awk '
	function nm(s,   id) {
		if (match(s, /^\([0-9]+\) /)) {
			id = substr(s, 1, RLENGTH - 1); names[id] = substr(s, RLENGTH + 1)
			return names[id]
		}
		if (s ~ /^\([0-9]+\)$/) return names[s]
		return s
	}
	function short(o) { sub(/.*\//, "", o); sub(/\.so.*/, "", o); return o }
	function lib(o) { return o == "libc" || o == "libm" || o ~ /^ld-linux/ }
	/^ob=/  { ob = short(nm(substr($0, 4))); next }
	/^fn=/  { fn = nm(substr($0, 4)); next }
	/^cob=/ { cob = short(nm(substr($0, 5))); havecob = 1; next }
	/^cfn=/ { nm(substr($0, 5)); next }
	/^calls=/ { incall = 1; next }
	/^[0-9+*-]/ {
		if (NF < 2) next
		if (incall) {
			callee = havecob ? cob : ob
			# (below main) calls __libc_start_main, which runs
			# everything: not a call that does work for its caller
			if (lib(callee) && !lib(ob) && fn != "(below main)")
				byc[ob] += $NF
			incall = 0; havecob = 0; next
		}
		self[ob] += $NF; fun[ob ":" fn] += $NF
		if (!lib(ob)) byc[ob] += $NF
		next
	}
	END {
		for (o in self) print "S", o, self[o]
		for (o in byc) print "C", o, byc[o]
		for (f in fun) print "F", f, fun[f]
	}' "$1"
}
D=$(mktemp -d "${TMPDIR:-/tmp}/kueri-cgo.XXXXXX")
trap 'rm -rf "$D"' EXIT
split "$ONE" >"$D/one"
split "$MANY" >"$D/many"
# per key: (many - one) / N; a key only in one file counts 0 in the other
awk -v N="$N" 'NR == FNR { a[$1 " " $2] = $3; next }
	{ k = $1 " " $2; d[k] = $3 - a[k]; seen[k] = 1 }
	END { for (k in a) if (!(k in seen)) d[k] = -a[k]
	      for (k in d) printf "%s %.0f\n", k, d[k] / N }' "$D/one" "$D/many" >"$D/d"
for kind in S C; do
	[ $kind = S ] && echo "self instructions per request, by object:" \
	              || echo "with libc/libm/ld.so charged to their caller:"
	awk -v K=$kind '$1 == K && ($3 > 0 || $3 < 0) { print $3, $2; t += $3 }
		END { print t, "TOTAL" }' "$D/d" | sort -nr | awk '{ printf "  %9d  %s\n", $1, $2 }'
done
echo "top functions (object:function), self instructions per request:"
awk '$1 == "F" { n = $2; for (i = 3; i < NF; i++) n = n " " $i; print $NF, n }' "$D/d" |
	sort -nr | head -n "$TOP" | awk '{ v = $1; $1 = ""; printf "  %9d %s\n", v, $0 }'
