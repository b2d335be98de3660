#!/bin/sh
# bench/run.sh -- `make bench`: kueri measured side by side with its floors.
#
#   make bench            1,000,000 rows, full runs (< 5 min on 2 cores)
#   make bench QUICK=1    100,000 rows, short runs (< 60 s)
#   ROWS=N                any row count; BUILD=dir picks the kueri build
#   make bench ROWS=10000000   ten million rows (~860 MB of CSV; put it
#                         outside the repo with BENCH_DATA=/var/tmp/kueri-bench, say)
#   BENCH_DATA=dir        where the generated CSVs are cached
#                         (default bench/data, ignored by git)
#   SCALE_REPEAT=n        the scale table's interleaved publishes: n pairs
#                         of 1M and ROWS (default 2; 0 skips them)
#   SCALE_SERVE_ROUNDS=n  its interleaved serving rounds (default 3)
#   NGINX_WORKERS=n       nginx workers on every HTTP side (default 1)
#
# Every figure is kueri next to the cheapest thing that could produce the
# same answer on this machine, in the same run, interleaved A/B/A/B so
# drift (other load, thermal) hits both sides alike:
#   publish    kueri publish (verify + load + PK index + FTS) vs
#              sqlite3 :memory: .import --csv into a typed table + the same
#              indexes;
#   HTTP       kueri serve behind nginx vs a minimal libfcgi program
#              (bench/floor_fcgi.c) behind the same nginx config returning
#              a body of the same size, and vs nginx serving a static file
#              of that size; driven by wrk over loopback;
#   CSV        a full $format=csv export vs sqlite3 -csv of the same SQL;
#   engine     kq_prepare + kq_stream in-process vs SQLite stepping the
#              hand-written SQL on the same portal file (bench/qbench.c).
# Prints one table and writes bench/results/latest.md; its last line is
# the worst ratio.  Nothing is downloaded: only cc, nginx, wrk, curl,
# sqlite3 and /usr/bin/time from `make deps`.
set -eu
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	# QUICK is a smoke run: A/B/A/B only for the page of 20, A/B elsewhere
	ROWS=${ROWS:-100000}; DUR=1; ROUNDS=2; SROUNDS=1; PROUNDS=1; CROUNDS=1; QN=3; QWORK=100
else
	ROWS=${ROWS:-1000000}; DUR=2; ROUNDS=3; SROUNDS=1; PROUNDS=2; CROUNDS=2; QN=5; QWORK=300
fi
BUILD=${BUILD:-build}
KUERI=$BUILD/kueri
BB=$BUILD/bench
DATA=${BENCH_DATA:-bench/data}/villages-$ROWS
RESULTS=bench/results
NPROC=$(nproc)
CC=${CC:-cc}
T_START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

say() { printf "bench [%3ss]: %s\n" "$(($(date +%s) - T_START))" "$*" >&2; }
die() { say "$*"; exit 1; }

for tool in nginx wrk curl sqlite3 /usr/bin/time pkg-config "$CC"; do
	command -v "$tool" >/dev/null 2>&1 || die "missing $tool (run: make deps)"
done
[ -x "$KUERI" ] || die "no $KUERI (run: make)"

RUN=$(mktemp -d "${TMPDIR:-/tmp}/kueri-bench.XXXXXX")
PIDS=""            # processes we started, stopped by pid at exit
NGINX_PIDFILES=""
cleanup() {
	for f in $NGINX_PIDFILES; do
		if [ -s "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
	done
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	sleep 0.2
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- small helpers -------------------------------------------------------

# median of the numbers on stdin, one a line
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
now_ns() { date +%s%N; }
# a random port in 20000-59999 (other helpers' tests run concurrently)
pick_port() { echo $((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000)); }
fmt() { awk -v x="$1" -v d="${2:-1}" 'BEGIN { if (x == "" || x == "nan") print "n/a"; else printf "%.*f\n", d, x }'; }
# req/s: whole numbers, but one decimal below 10 (a whole-table query)
fmtr() { awk -v x="$1" 'BEGIN { if (x == "" || x == "nan") print "n/a"; else if (x < 10) printf "%.1f\n", x; else printf "%.0f\n", x }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%.3f\n", a / b }'; }

# The table, one TSV line per row:
#   scenario, kueri, floor, ratio, static floor, ratio, goal, slowdown
# slowdown is kueri's cost over its floor's (>1 means slower), used only
# to find the worst row; "-" for rows that are not a ratio to a floor.
ROWSF=$RUN/rows.tsv
: >"$ROWSF"
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWSF"; }

# ---- build the bench programs --------------------------------------------

mkdir -p "$BB"
CFL="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla"
# shellcheck disable=SC2086
$CC $CFL -o "$BB/gen_villages" bench/gen_villages.c -lm
# shellcheck disable=SC2086
$CC $CFL $(pkg-config --cflags fcgi) -o "$BB/floor_fcgi" bench/floor_fcgi.c \
	$(pkg-config --libs fcgi 2>/dev/null || echo -lfcgi)
HAVE_QBENCH=0
# shellcheck disable=SC2086
if $CC $CFL -Iinclude $(pkg-config --cflags sqlite3 jansson libpcre2-8) \
	-o "$BB/qbench" bench/qbench.c "$BUILD/libkueri.a" \
	$(pkg-config --libs sqlite3 jansson libpcre2-8) -lfcgi -lm 2>"$RUN/qbench.err"; then
	HAVE_QBENCH=1
else
	say "qbench does not link yet (engine missing?): $(head -c 300 "$RUN/qbench.err")"
fi

# ==== scale table (issue 17) ================================================
# `make bench ROWS=10000000` first measures the same package at several
# sizes in one run -- SCALE_ROWS, by default "100000 1000000 $ROWS" when
# ROWS >= 2,000,000 (SCALE=1 forces it at any ROWS, SCALE=0 skips it) --
# and writes bench/results/scale.md:
#   verify and publish: elapsed, CPU (user+sys, the honest figure on a
#     shared machine) and peak RSS (/usr/bin/time), into a fresh portal;
#   the portal's bytes per CSV byte, split by dbstat into the data table,
#     the key index, other indexes, the FTS5 tables and free pages;
#   the engine in-process (bench/qbench.c): a page of 20, a keyset deep
#     page (the nextLink reached by following links to the middle of the
#     set), an indexed filter page, /villages/$count; and a full CSV export
#     streamed by one process (the export cap raised to the row count, as
#     `kueri serve --export-cap N` would): MB/s and that process's peak RSS.
# The last lines compare the largest size with 1,000,000 rows: publish CPU
# against 10x (goal <= 1.1) and each serving row (goal <= 1.2); then the
# same comparisons measured in turn (scale_serving, scale_linear), which
# are the ones to read on a machine whose speed drifts.
# SCALE_ONLY=1 stops after this table (the floors and HTTP rows at 10M
# take another half hour).  Kept apart from the rest of the script.
scale_gen() {   # scale_gen N: the CSV + package for N rows (cached)
	_d=${BENCH_DATA:-bench/data}/villages-$1
	if [ ! -s "$_d/villages.csv" ] || [ bench/gen_villages.c -nt "$_d/villages.csv" ]; then
		say "scale: generating $1 rows into $_d"
		mkdir -p "$_d"
		"$BB/gen_villages" "$1" >"$_d/villages.csv.part"
		mv "$_d/villages.csv.part" "$_d/villages.csv"
	fi
	cp bench/villages.datapackage.json "$_d/datapackage.json"
	SCALE_DIR=$_d
}

# scale_time OUT CMD...: run CMD under /usr/bin/time; OUT gets
# "elapsed cpu(user+sys) peak-RSS-MB"
scale_time() {
	_o=$1; shift
	/usr/bin/time -f '%e %U %S %M' -o "$_o.raw" "$@" || return 1
	awk '{ printf "%.2f %.2f %.1f\n", $1, $2 + $3, $4 / 1024 }' "$_o.raw" >"$_o"
}

scale_one() {   # scale_one N: one line of $RUN/scale.tsv
	_n=$1
	scale_gen "$_n"
	_csv=$(wc -c <"$SCALE_DIR/villages.csv")
	_db=$RUN/scale-$_n.db
	rm -f "$_db" "$_db-wal" "$_db-shm"
	say "scale: $_n rows: verify"
	scale_time "$RUN/sv" "$KUERI" verify "$SCALE_DIR/datapackage.json" >/dev/null 2>"$RUN/sv.err" \
		|| { say "scale: verify failed: $(tail -n 2 "$RUN/sv.err")"; return 1; }
	say "scale: $_n rows: publish"
	scale_time "$RUN/sp" "$KUERI" publish --db "$_db" "$SCALE_DIR/datapackage.json" >/dev/null 2>"$RUN/sp.err" \
		|| { say "scale: publish failed: $(tail -n 2 "$RUN/sp.err")"; return 1; }
	_t=$(sqlite3 -readonly "$_db" "SELECT tbl FROM kueri_resource WHERE name = 'villages'")
	_f=$(sqlite3 -readonly "$_db" "SELECT fts FROM kueri_resource WHERE name = 'villages'")
	sqlite3 -readonly "$_db" "SELECT CASE
		WHEN name = '$_t' THEN 'table'
		WHEN name = '${_t}_pk' THEN 'key'
		WHEN name = '$_f' OR name LIKE '${_f}_%' THEN 'fts'
		WHEN name LIKE '${_t}_%' OR name IN (SELECT name FROM sqlite_master
			WHERE type = 'index' AND tbl_name = '$_t') THEN 'index'
		ELSE 'catalog' END, sum(pgsize) FROM dbstat GROUP BY 1;
		SELECT 'free', (SELECT freelist_count FROM pragma_freelist_count) *
		               (SELECT page_size FROM pragma_page_size);" >"$RUN/ss" 2>/dev/null || : >"$RUN/ss"
	_sz() { awk -F'|' -v k="$1" -v c="$_csv" '$1 == k { v = $2 } END { printf "%.2f", v / c }' "$RUN/ss"; }
	_pb=$(wc -c <"$_db")
	# serving, in the engine: the deep page is the middle of the set
	_deep=$((_n / 2))
	_root="http://127.0.0.1:1/odata/"
	say "scale: $_n rows: serving (nextLink to row $_deep, then the engine rows)"
	_next=$("$BB/qbench" nextlink "$_db" "$_root" 'villages' "$_deep" 2>"$RUN/sn.err") \
		|| { say "scale: nextlink failed: $(head -c 300 "$RUN/sn.err")"; _next=""; }
	_next=${_next#"$_root"}
	_key=$(sqlite3 -readonly "$_db" "SELECT rowid FROM $_t ORDER BY rowid LIMIT 1 OFFSET $((_deep - 1))")
	{
		printf 'page of 20\thttp\t-\t%s\t%s\n' 'villages?$top=20' \
			"SELECT $SEL_SCALE FROM $_t ORDER BY rowid LIMIT 20"
		[ -n "$_next" ] && printf 'keyset deep page\thttp\todata.maxpagesize=20\t%s\t%s\n' "$_next" \
			"SELECT $SEL_SCALE FROM $_t WHERE rowid > $_key ORDER BY rowid LIMIT 20"
		printf 'indexed filter page\thttp\t-\t%s\t%s\n' \
			'villages?$filter=kode_desa%20ge%20%273300000000%27&$orderby=kode_desa&$top=20' \
			"SELECT $SEL_SCALE FROM $_t WHERE c0 >= '3300000000' ORDER BY c0 LIMIT 20"
		# the hand SQL is what kueri does: read the count stored at publish
		# (a count(*) here would scan the set between kueri's runs and leave
		# its 1 us answer measured with cold caches)
		printf '$count\thttp\t-\t%s\t%s\n' 'villages/$count' \
			"SELECT rows FROM kueri_resource WHERE name = 'villages'"
	} >"$RUN/sq-$_n.tsv"
	QBENCH_WORK_MS=300 "$BB/qbench" run "$_db" "$RUN/sq-$_n.tsv" 5 >"$RUN/sq.out" 2>"$RUN/sq.err" \
		|| say "scale: qbench failed: $(head -c 300 "$RUN/sq.err")"
	_q() { awk -F'\t' -v k="$1" -v c="$2" '$1 == k { if ($4 != 200) print "status " $4; else printf "%.3f", $c / 1000 }' "$RUN/sq.out"; }
	say "scale: $_n rows: CSV export"
	_x=$(QBENCH_TIME_MS=3600000 QBENCH_EXPORT_CAP=$_n "$BB/qbench" export "$_db" 'villages?$format=csv' 2>"$RUN/sx.err") \
		|| { say "scale: export failed: $(head -c 300 "$RUN/sx.err")"; _x="0 0 0 0 0"; }
	set -- $_x
	[ "$3" = "$_n" ] || say "scale: the export wrote $3 rows, not $_n"
	_mbs=$(awk -v b="$1" -v t="$2" -v c="$5" 'BEGIN { if (t > 0 && c > 0) printf "%.1f (CPU: %.1f)", b / t / 1e6, b / c / 1e6; else print "n/a" }')
	_xrss=$(awk -v k="$4" 'BEGIN { printf "%.1f", k / 1024 }')
	# one TSV line: rows csvMB | verify e cpu rss | publish e cpu rss |
	# portal/csv table key index fts free | page deep filter count (kueri ms) |
	# the same four (SQLite's hand SQL ms) | export MB/s, MB, RSS
	printf '%s\t%.1f\t%s\t%s\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\n' \
		"$_n" "$(awk -v c="$_csv" 'BEGIN { print c / 1e6 }')" \
		"$(cat "$RUN/sv")" "$(cat "$RUN/sp")" "$(awk -v a="$_pb" -v c="$_csv" 'BEGIN { print a / c }')" \
		"$(_sz table)" "$(_sz key)" "$(_sz index)" "$(_sz fts)" "$(_sz free)" \
		"$(_q 'page of 20' 2)" "$(_q 'keyset deep page' 2)" "$(_q 'indexed filter page' 2)" "$(_q '$count' 2)" \
		"$(_q 'page of 20' 3)" "$(_q 'keyset deep page' 3)" "$(_q 'indexed filter page' 3)" "$(_q '$count' 3)" \
		"$_mbs" "$(awk -v b="$1" 'BEGIN { print b / 1e6 }')" "$_xrss" >>"$RUN/scale.tsv"
	# a 10M portal is ~1.8 GB: only 1M and the largest stay, for
	# scale_serving; scale_table removes them after it
	[ "$_n" = 1000000 ] || [ "$_n" = "$_big" ] || rm -f "$_db" "$_db-wal" "$_db-shm"
}

# Serving, interleaved.  The serving rows above are measured minutes apart,
# and in a slow minute SQLite's own hand SQL is as much slower as kueri
# (docs/bench.md, "Interleaved runs"), so the 1M and largest portals are
# then served alternately, SCALE_SERVE_ROUNDS times (default 3): the engine
# rows (bench/qbench.c, each a median of 5) and the CSV export, and each
# row's median over the rounds is compared.
scale_serving() {   # scale_serving N: the interleaved serving block of scale.md
	_rr=${SCALE_SERVE_ROUNDS:-3}
	[ "$1" -gt 1000000 ] && [ "$_rr" -gt 0 ] && [ -s "$RUN/scale-1000000.db" ] && [ -s "$RUN/scale-$1.db" ] || return 0
	: >"$RUN/ssv"
	_r=0
	while [ $_r -lt "$_rr" ]; do
		say "scale: serving 1000000 and $1 rows alternately, round $((_r + 1))/$_rr"
		for _m in 1000000 "$1"; do
			QBENCH_WORK_MS=300 "$BB/qbench" run "$RUN/scale-$_m.db" "$RUN/sq-$_m.tsv" 5 2>>"$RUN/sq.err" |
				awk -F'\t' -v n="$_m" '$4 == 200 { printf "%s\t%s\t%s\t%s\n", n, $1, $2, $3 }' >>"$RUN/ssv"
			QBENCH_TIME_MS=3600000 QBENCH_EXPORT_CAP=$_m "$BB/qbench" export "$RUN/scale-$_m.db" \
				'villages?$format=csv' 2>>"$RUN/sx.err" |
				awk -v n="$_m" '$3 == n && $2 > 0 { printf "%s\tCSV export\t%s\t-\n", n, $1 / $2 / 1e6 }' >>"$RUN/ssv"
		done
		_r=$((_r + 1))
	done
	echo
	echo "## Serving, 1,000,000 and $(printf "%s" "$1" | awk "$SCALE_TH"'{ print th($1) }') rows alternating"
	echo
	echo "The two portals served in turn, $_rr rounds; each figure is the median over the rounds (engine rows: of each round's median of 5 runs, in ms, SQLite's hand SQL in brackets; the CSV export in MB/s, one process streaming the whole set)."
	echo
	echo "| row | 1,000,000 rows | $(printf "%s" "$1" | awk "$SCALE_TH"'{ print th($1) }') rows | ratio (goal <= 1.2; the export: >= 1 of 1M's MB/s) |"
	echo "|---|---:|---:|---:|"
	awk -F'\t' -v N="$1" '
		function med(k, c,   i, j, t, a) {   # median of v[k, 1..c]
			for (i = 1; i <= c; i++) a[i] = v[k, i] + 0
			for (i = 2; i <= c; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2 }
		{ k = $1 SUBSEP $2; v[k, ++n[k]] = $3; h[k, n[k]] = $4; if (!($2 in seen)) { seen[$2] = 1; names[++nn] = $2 } }
		END { for (i = 1; i <= nn; i++) {
			a = 1000000 SUBSEP names[i]; b = N SUBSEP names[i]
			if (!n[a] || !n[b]) continue
			x = med(a, n[a]); y = med(b, n[b])
			if (names[i] == "CSV export") { printf "| %s | %.1f MB/s | %.1f MB/s | %.2f× |\n", names[i], x, y, y / x; continue }
			for (j = 1; j <= n[a]; j++) v[a, j] = h[a, j]; for (j = 1; j <= n[b]; j++) v[b, j] = h[b, j]
			hx = med(a, n[a]); hy = med(b, n[b])
			printf "| %s | %.3f (%.3f) | %.3f (%.3f) | %.2f× (SQLite: %.2f×) |\n", names[i], x / 1000, hx / 1000, y / 1000, hy / 1000, (x > 0 ? y / x : 0), (hx > 0 ? hy / hx : 0) } }' "$RUN/ssv"
}

# Publish linearity, interleaved.  On a shared virtual machine the CPU of
# one publish moves by up to a third between runs of identical work
# (docs/bench.md, "Interleaved runs"), more than the goal's margin, so one
# publish of each size cannot show whether 10x the rows cost <= 1.1x ten
# times the CPU.  After the table, 1,000,000 rows and the largest size are
# published again, alternating -- 1M, N, 1M, N, 1M for SCALE_REPEAT=2
# (the default; 0 skips it) -- and each large run is divided by ten (N/1M)
# times the mean of the two 1M runs either side of it: a slow minute
# weighs on both sides of a ratio.  Each run also reports its read and
# write system calls (KUERI_PUBLISH_TIMES=1, summed over the writer's
# phases), which do not move with the machine: their ratio is the
# machine-independent part of the evidence.
scale_pub() {   # scale_pub N: "cpu reads writes" of one publish into a fresh portal
	scale_gen "$1"
	_db=$RUN/scale-pub.db
	rm -f "$_db" "$_db-wal" "$_db-shm"
	KUERI_PUBLISH_TIMES=1 /usr/bin/time -f '%U %S' -o "$RUN/spl.t" \
		"$KUERI" publish --db "$_db" "$SCALE_DIR/datapackage.json" >/dev/null 2>"$RUN/spl.err" \
		|| { say "scale: publish of $1 rows failed: $(tail -n 2 "$RUN/spl.err")"; return 1; }
	rm -f "$_db" "$_db-wal" "$_db-shm"
	printf '%s %s\n' "$(awk '{ printf "%.2f", $1 + $2 }' "$RUN/spl.t")" "$(awk '/^kueri: phase/ {
		for (i = 2; i <= NF; i++) { if ($i == "reads") r += $(i - 1); if ($i == "writes,") w += $(i - 1) } }
		END { printf "%d %d", r, w }' "$RUN/spl.err")"
}

scale_linear() {   # scale_linear N: the interleaved block of scale.md
	_big=$1 _rep=${SCALE_REPEAT:-2}
	[ "$_rep" -gt 0 ] && [ "$_big" -gt 1000000 ] || return 0
	_k=$((_big / 1000000))
	: >"$RUN/lin"
	_i=0
	while [ $_i -lt "$_rep" ]; do
		say "scale: interleaved publish $((_i + 1))/$_rep: 1000000 rows, then $_big"
		_o=$(scale_pub 1000000) || return 1
		echo "1000000 $_o" >>"$RUN/lin"
		_o=$(scale_pub "$_big") || return 1
		echo "$_big $_o" >>"$RUN/lin"
		_i=$((_i + 1))
	done
	say "scale: interleaved publish: 1000000 rows, last"
	_o=$(scale_pub 1000000) || return 1
	echo "1000000 $_o" >>"$RUN/lin"
	echo
	echo "## Publish CPU, 1,000,000 and $(printf "%s" "$_big" | awk "$SCALE_TH"'{ print th($1) }') rows alternating"
	echo
	echo "One process at a time, each into a fresh portal; CPU = user + sys; calls = read and write system calls (KUERI_PUBLISH_TIMES=1)."
	echo
	echo "| run | rows | CPU s | read calls | write calls | CPU / (${_k} × mean of the 1M runs either side) |"
	echo "|---:|---:|---:|---:|---:|---:|"
	awk -v k="$_k" "$SCALE_TH"'{ n[NR] = $1; c[NR] = $2; r[NR] = $3; w[NR] = $4 }
		END { for (i = 1; i <= NR; i++) {
			q = "-"
			if (n[i] != 1000000) q = sprintf("%.2f×", c[i] / (k * (c[i - 1] + c[i + 1]) / 2))
			printf "| %d | %s | %.2f | %s | %s | %s |\n", i, th(n[i]), c[i], th(r[i]), th(w[i]), q } }' "$RUN/lin"
	echo
	awk -v k="$_k" -v N="$_big" "$SCALE_TH"'{ if ($1 == 1000000) { m++; c1 += $2; r1 += $3; w1 += $4 } else { b++; cb += $2; rb += $3; wb += $4; q[b] = $2 } }
		END { if (!m || !b) exit
			c1 /= m; r1 /= m; w1 /= m; cb /= b; rb /= b; wb /= b
			printf "- publish CPU at %s rows, interleaved: mean %.2f s = %.2f × (%g × the mean 1,000,000-row %.2f s) (goal <= 1.1); run by run in the table\n", th(N), cb, cb / (k * c1), k, c1
			printf "- read calls %.2f×, write calls %.2f× of %g × the 1,000,000-row run (the same in every run of a size)\n", rb / (k * r1), wb / (k * w1), k }' "$RUN/lin"
}

scale_table() {
	SCALE_TH='function th(x,  s, r) { s = sprintf("%d", x); r = ""
		while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
		return s r }
	'
	SEL_SCALE="c0, c1, c2, c3, c4, c5, c6, c7, c8, c9"
	: >"$RUN/scale.tsv"
	_l0=$(cut -d' ' -f1-3 /proc/loadavg); _s0=$(date +%s)
	_big=$(echo "$SCALE_ROWS" | awk '{ print $NF }')
	for _n in $SCALE_ROWS; do scale_one "$_n" || die "scale: $_n rows failed"; done
	scale_serving "$_big" >"$RUN/serving.md"
	rm -f "$RUN"/scale-*.db "$RUN"/scale-*.db-wal "$RUN"/scale-*.db-shm
	case " $SCALE_ROWS " in
	*" 1000000 "*) scale_linear "$_big" >"$RUN/linear.md" || die "scale: interleaved publish failed" ;;
	*) : >"$RUN/linear.md" ;;
	esac
	_l1=$(cut -d' ' -f1-3 /proc/loadavg)
	mkdir -p "$RESULTS"
	{
		echo "# kueri at scale (issue 17): one run"
		echo
		echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); $(($(date +%s) - _s0)) s"
		echo "- machine: $NPROC cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r); load average at start $_l0, at end $_l1"
		echo "- data: bench/gen_villages.c; each size verified, then published into a fresh portal; CPU = user + sys"
		echo "- serving: the engine in-process (bench/qbench.c), median ms (SQLite on the hand SQL in brackets); keyset deep page = the nextLink at the middle of the set"
		echo "- reproduce: \`make bench ROWS=$(echo "$SCALE_ROWS" | awk '{ print $NF }') BENCH_DATA=/var/tmp/kueri-bench\` (SCALE_ONLY=1: this table only)"
		echo
		echo "| rows | CSV MB | verify s (CPU) | verify RSS MB | publish s (CPU) | publish RSS MB | CPU µs/row | portal / CSV | table / key / other idx / FTS / free | page of 20 ms | keyset deep ms | indexed filter ms | \$count ms | CSV export MB/s (per CPU s; MB), RSS MB |"
		echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"
		awk -F'\t' "$SCALE_TH"'{ split($3, v, " "); split($4, p, " ");
			printf "| %s | %.1f | %.2f (%.2f) | %.1f | %.2f (%.2f) | %.1f | %.1f | %.2f× | %s / %s / %s / %s / %s | %s (%s) | %s (%s) | %s (%s) | %s (%s) | %s; %.0f MB, %s |\n",
				th($1), $2, v[1], v[2], v[3], p[1], p[2], p[3], p[2] / $1 * 1e6, $5, $6, $7, $8, $9, $10,
				$11, $15, $12, $16, $13, $17, $14, $18, $19, $20, $21 }' "$RUN/scale.tsv"
		echo
		# the largest size against 1,000,000 rows
		awk -F'\t' "$SCALE_TH"'$1 == 1000000 { split($4, a, " "); c1 = a[2]; for (i = 11; i <= 14; i++) s1[i] = $i; x1 = $19 }
			{ n = $1; split($4, b, " "); cn = b[2]; for (i = 11; i <= 14; i++) sn[i] = $i; xn = $19 }
			END { if (c1 == "" || n == 1000000) exit
				k = n / 1000000
				printf "- publish CPU at %s rows, the table'"'"'s single runs: %.2f s = %.2f × (%g × the 1,000,000-row %.2f s) (goal <= 1.1; the interleaved runs below weigh the machine'"'"'s drift)\n", th(n), cn, cn / (k * c1), k, c1
				split("page of 20|keyset deep page|indexed filter page|$count", nm, "|")
				for (i = 11; i <= 14; i++) if (s1[i] + 0 > 0)
					printf "- %s: %.3f ms at %s rows vs %.3f ms at 1,000,000 = %.2f× (goal <= 1.2)\n", nm[i - 10], sn[i], th(n), s1[i], sn[i] / s1[i]
				if (x1 + 0 > 0) printf "- CSV export: %.1f MB/s vs %.1f MB/s at 1,000,000 = %.2f× (elapsed; the per-CPU-second figures are in the table)\n", xn, x1, xn / x1 }' "$RUN/scale.tsv"
		cat "$RUN/serving.md" "$RUN/linear.md"
	} >"$RESULTS/scale.md"
	cat "$RESULTS/scale.md"
	say "wrote $RESULTS/scale.md"
}

if [ -z "${SCALE_ROWS:-}" ]; then
	SCALE_ROWS="100000 1000000 $ROWS"
	[ "$ROWS" -le 1000000 ] && SCALE_ROWS="100000 $ROWS"
	[ "$ROWS" -le 100000 ] && SCALE_ROWS=$ROWS
fi
if [ "${SCALE:-auto}" = 1 ] || { [ "${SCALE:-auto}" = auto ] && [ "$ROWS" -ge 2000000 ]; }; then
	scale_table
	[ "${SCALE_ONLY:-0}" = 1 ] && exit 0
fi
# ==== end of the scale table (issue 17) =====================================

# ---- data (generated once per ROWS, cached under bench/data/) -------------

if [ ! -s "$DATA/villages.csv" ] || [ bench/gen_villages.c -nt "$DATA/villages.csv" ]; then
	say "generating $ROWS rows into $DATA"
	mkdir -p "$DATA"
	"$BB/gen_villages" "$ROWS" >"$DATA/villages.csv.part"
	mv "$DATA/villages.csv.part" "$DATA/villages.csv"
fi
cp bench/villages.datapackage.json "$DATA/datapackage.json"
CSV_BYTES=$(wc -c <"$DATA/villages.csv")
CSV_MB=$(awk -v b="$CSV_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')
say "data: $ROWS rows, $CSV_MB MB"

# ---- (1) publish vs sqlite3 .import ----------------------------------------

say "publish: kueri vs sqlite3 .import ($PROUNDS rounds)"
PORTAL=$RUN/portal.db
HAVE_PORTAL=0
T=""; F=""

# The floor's script: the same DDL kueri ran (read back from the portal it
# published, so column types, the unique index and the FTS5 columns and
# tokenizer match exactly), with .import doing the load.  Before kueri can
# publish, a hand-written equivalent stands in.
floor_scripts() {
	if [ "$HAVE_PORTAL" = 1 ]; then
		T=$(sqlite3 -readonly "$PORTAL" "SELECT tbl FROM kueri_resource WHERE name = 'villages'")
		F=$(sqlite3 -readonly "$PORTAL" "SELECT fts FROM kueri_resource WHERE name = 'villages'")
		sqlite3 -readonly "$PORTAL" "SELECT sql || ';' FROM sqlite_master WHERE type = 'table' AND name = '$T'" >"$RUN/ddl_table.sql"
		sqlite3 -readonly "$PORTAL" "SELECT sql || ';' FROM sqlite_master WHERE type = 'index' AND tbl_name = '$T' AND sql IS NOT NULL" >"$RUN/ddl_index.sql"
		# ---- idx (issue 12, indexes): the floor builds every index kueri
		# built (declared + default, read back above) and, like kueri,
		# ANALYZEs the table when kueri did (sqlite_stat1 has its rows).
		if [ -n "$(sqlite3 -readonly "$PORTAL" "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")" ] &&
		   [ -n "$(sqlite3 -readonly "$PORTAL" "SELECT 1 FROM sqlite_stat1 WHERE tbl = '$T' LIMIT 1")" ]; then
			echo "ANALYZE \"$T\";" >>"$RUN/ddl_index.sql"
		fi
		# ---- end idx
		: >"$RUN/ddl_fts.sql"
		if [ -n "$F" ]; then
			sqlite3 -readonly "$PORTAL" "SELECT sql || ';' FROM sqlite_master WHERE name = '$F'" >"$RUN/ddl_fts.sql"
			echo "INSERT INTO \"$F\"(\"$F\") VALUES('rebuild');" >>"$RUN/ddl_fts.sql"
		fi
		_t=$T
	else
		echo "CREATE TABLE t1(c0 TEXT, c1 TEXT, c2 TEXT, c3 TEXT, c4 TEXT, c5 INTEGER, c6 REAL, c7 REAL, c8 INTEGER, c9 TEXT);" >"$RUN/ddl_table.sql"
		echo "CREATE UNIQUE INDEX t1_pk ON t1(c0);" >"$RUN/ddl_index.sql"
		echo "CREATE VIRTUAL TABLE t1_fts USING fts5(c0, c1, c2, c3, c4, content='t1', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'); INSERT INTO t1_fts(t1_fts) VALUES('rebuild');" >"$RUN/ddl_fts.sql"
		_t=t1
	fi
	{ cat "$RUN/ddl_table.sql"; echo ".import --csv --skip 1 $DATA/villages.csv $_t"
	  cat "$RUN/ddl_index.sql"; } >"$RUN/import.sql"
	cat "$RUN/import.sql" "$RUN/ddl_fts.sql" >"$RUN/import_fts.sql"
	FTS_DDL=$(grep -o 'fts5(.*)' "$RUN/ddl_fts.sql" | head -n 1)
}

: >"$RUN/pub.k"; : >"$RUN/pub.s"; : >"$RUN/pub.s0"
r=1
while [ "$r" -le "$PROUNDS" ]; do
	rm -f "$PORTAL" "$PORTAL-wal" "$PORTAL-shm"
	if /usr/bin/time -f '%e %M' -o "$RUN/t" "$KUERI" publish --db "$PORTAL" \
		"$DATA/datapackage.json" >"$RUN/pub.out" 2>"$RUN/pub.err"; then
		cat "$RUN/t" >>"$RUN/pub.k"
		HAVE_PORTAL=1
	else
		say "kueri publish failed: $(tail -n 3 "$RUN/pub.err" | head -c 400)"
	fi
	[ "$r" = 1 ] && floor_scripts
	/usr/bin/time -f '%e %M' -o "$RUN/t" sqlite3 :memory: <"$RUN/import_fts.sql" >/dev/null \
		|| die "sqlite3 .import failed"
	cat "$RUN/t" >>"$RUN/pub.s"
	if [ "$r" = 1 ]; then   # without FTS: context, once
		/usr/bin/time -f '%e %M' -o "$RUN/t" sqlite3 :memory: <"$RUN/import.sql" >/dev/null
		cat "$RUN/t" >>"$RUN/pub.s0"
	fi
	r=$((r + 1))
done
[ "$HAVE_PORTAL" = 1 ] && say "$(tail -n 1 "$RUN/pub.err")"
PK=$(cut -d' ' -f1 "$RUN/pub.k" | median); PKM=$(cut -d' ' -f2 "$RUN/pub.k" | median)
PS=$(cut -d' ' -f1 "$RUN/pub.s" | median); PSM=$(cut -d' ' -f2 "$RUN/pub.s" | median)
PS0=$(cut -d' ' -f1 "$RUN/pub.s0" | median); PS0M=$(cut -d' ' -f2 "$RUN/pub.s0" | median)
R=$(div "$PK" "$PS")
row "publish $ROWS rows, $CSV_MB MB (s)" "$(fmt "$PK" 2)" "$(fmt "$PS" 2)" "$(fmt "$R" 2)" \
	"$(fmt "$PS0" 2) (no FTS)" "$(fmt "$(div "$PK" "$PS0")" 2)" "<= 1.5" "$R"
row "publish peak RSS (MB)" "$(fmt "$(div "$PKM" 1024)" 1)" "$(fmt "$(div "$PSM" 1024)" 1)" \
	"$(fmt "$(div "$PKM" "$PSM")" 2)" "$(fmt "$(div "$PS0M" 1024)" 1) (no FTS)" "-" "< 64 MB" "-"
row "publish rows/s, MB/s" \
	"$(awk -v r="$ROWS" -v t="$PK" 'BEGIN { if (t == "nan" || t == 0) print "n/a"; else printf "%.0f", r / t }'), $(fmt "$(div "$CSV_MB" "$PK")" 1)" \
	"$(awk -v r="$ROWS" -v t="$PS" 'BEGIN { printf "%.0f", r / t }'), $(fmt "$(div "$CSV_MB" "$PS")" 1)" \
	"-" "-" "-" "-" "-"

# Disk: the portal per CSV byte, split by what the bytes are for (dbstat
# over the last published portal; the floor has no file to compare).
if [ "$HAVE_PORTAL" = 1 ]; then
	sqlite3 -readonly "$PORTAL" "SELECT CASE
		WHEN name = '$T' THEN 'table'
		WHEN name = '${T}_pk' THEN 'key index'
		WHEN name LIKE '${T}_fts%' THEN 'FTS'
		WHEN name LIKE '${T}%' THEN 'other indexes'
		ELSE 'catalog' END, sum(pgsize) FROM dbstat GROUP BY 1" >"$RUN/size" 2>/dev/null || : >"$RUN/size"
	sz() { awk -F'|' -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$RUN/size"; }
	PB=$(wc -c <"$PORTAL")
	row "portal size / CSV bytes (total, $(fmt "$(div "$PB" 1000000)" 0) MB)" \
		"$(fmt "$(div "$PB" "$CSV_BYTES")" 2)" "-" "-" "-" "-" "<= 2.5" "-"
	row "  of which table / key index / other indexes / FTS" \
		"$(fmt "$(div "$(sz table)" "$CSV_BYTES")" 2) / $(fmt "$(div "$(sz 'key index')" "$CSV_BYTES")" 2) / $(fmt "$(div "$(sz 'other indexes')" "$CSV_BYTES")" 2) / $(fmt "$(div "$(sz FTS)" "$CSV_BYTES")" 2)" \
		"-" "-" "-" "-" "-" "-"
fi

# Verify alone (no SQLite): time and peak memory.
if /usr/bin/time -f '%e %M' -o "$RUN/t" "$KUERI" verify "$DATA/datapackage.json" \
	>/dev/null 2>"$RUN/ver.err"; then
	VT=$(cut -d' ' -f1 "$RUN/t"); VM=$(cut -d' ' -f2 "$RUN/t")
	row "verify $ROWS rows (s)" "$(fmt "$VT" 2)" "-" "-" "-" "-" "-" "-"
	row "verify peak RSS (MB)" "$(fmt "$(div "$VM" 1024)" 1)" "-" "-" "-" "-" "< 64 MB" "-"
else
	say "kueri verify failed: $(tail -n 3 "$RUN/ver.err" | head -c 400)"
fi

# ---- scenarios ---------------------------------------------------------------

# Deep page: page 5000 of 20 (rows 100,000..) on 1M rows; halfway on fewer.
DEEP=100000
[ "$DEEP" -gt $((ROWS / 2)) ] && DEEP=$(((ROWS / 2) / 20 * 20))
DEEPPAGE=$((DEEP / 20 + 1))
SEL="c0, c1, c2, c3, c4, c5, c6, c7, c8, c9"
# The hand SQL returns the same rows as kueri: without $orderby kueri's
# order is the published row order (rowid), which is also its keyset.
Q_GROUPBY='villages?$apply=groupby((provinsi),aggregate(jumlah_penduduk%20with%20sum%20as%20total))'
# name, kind, Prefer, URL under the service root, hand SQL, wrk connections
{
	printf 'page of 20\thttp\t-\t%s\t%s\t8\n' 'villages?$top=20' \
		"SELECT $SEL FROM $T ORDER BY rowid LIMIT 20"
	printf 'page of 20 by Prefer: odata.maxpagesize=20\thttp\todata.maxpagesize=20\t%s\t%s\t8\n' 'villages' \
		"SELECT $SEL FROM $T ORDER BY rowid LIMIT 20"
	printf 'indexed filter + orderby, 20\thttp\t-\t%s\t%s\t8\n' \
		'villages?$filter=kode_desa%20ge%20%273300000000%27&$orderby=kode_desa&$top=20' \
		"SELECT $SEL FROM $T WHERE c0 >= '3300000000' ORDER BY c0 LIMIT 20"
	printf '$count=true on a filter\thttp\t-\t%s\t%s\t2\n' \
		'villages?$filter=provinsi%20eq%20%27Bali%27&$count=true&$top=20' \
		"SELECT count(*) FROM $T WHERE c1 = 'Bali'; SELECT $SEL FROM $T WHERE c1 = 'Bali' ORDER BY rowid LIMIT 20"
	printf 'deep page %s, $skip=%s\thttp\t-\t%s\t%s\t8\n' "$DEEPPAGE" "$DEEP" \
		"villages?\$skip=$DEEP&\$top=20" \
		"SELECT $SEL FROM $T ORDER BY rowid LIMIT 20 OFFSET $DEEP"
	printf '$apply groupby, all rows\thttp\t-\t%s\t%s\t2\n' "$Q_GROUPBY" \
		"SELECT c1, sum(c5) FROM $T GROUP BY c1"
	printf '$search word, 20\thttp\t-\t%s\t%s\t2\n' 'villages?$search=Lama&$top=20' \
		"SELECT $SEL FROM $T WHERE rowid IN (SELECT rowid FROM $F WHERE $F MATCH 'Lama') ORDER BY rowid LIMIT 20"
	printf 'compile: eq and gt\tcompile\t-\t%s\t%s\t-\n' \
		'villages?$filter=provinsi%20eq%20%27Bali%27%20and%20jumlah_penduduk%20gt%201000&$top=0' \
		"SELECT $SEL FROM $T WHERE c1 = 'Bali' AND c5 > 1000 LIMIT 0"
	printf 'compile: contains or lt\tcompile\t-\t%s\t%s\t-\n' \
		'villages?$filter=contains(desa,%27ka%27)%20or%20luas_km2%20lt%205.5&$top=0' \
		"SELECT $SEL FROM $T WHERE instr(c4, 'ka') > 0 OR c6 < 5.5 LIMIT 0"
	printf 'compile: year() and ne null\tcompile\t-\t%s\t%s\t-\n' \
		'villages?$filter=year(tanggal_pemutakhiran)%20eq%202024%20and%20persentase_miskin%20ne%20null&$top=0' \
		"SELECT $SEL FROM $T WHERE CAST(substr(c9, 1, 4) AS INTEGER) = 2024 AND c7 IS NOT NULL LIMIT 0"
} >"$RUN/scenarios.tsv"

# ---- idx (issue 12 indexes, issue 13 facets): the everyday shape (one
# category filtered, ordered by a number, top 20: HTTP + engine), $count
# with an indexed filter (selective: a province; unselective: half the
# rows through the number index), groupby over the indexed category with
# the table-scan plan as hand SQL (both plans measured), and the HTML
# dataset page of 50 rows with facets (kq_route, Accept: text/html)
# against hand SQL that computes the same rows and facet counts.  A
# trailing ';' on a count's SQL skips the row-count check (a $count
# answer is a number, not rows).
{
	printf 'everyday shape: eq provinsi, orderby jumlah_penduduk desc, 20\thttp\t-\t%s\t%s\t8\n' \
		'villages?$filter=provinsi%20eq%20%27Jawa%20Barat%27&$orderby=jumlah_penduduk%20desc&$top=20' \
		"SELECT $SEL FROM $T WHERE c1 = 'Jawa Barat' ORDER BY c5 DESC LIMIT 20"
	printf 'indexed $count: provinsi eq Jawa Barat\tengine\t-\t%s\t%s\t-\n' \
		'villages/$count?$filter=provinsi%20eq%20%27Jawa%20Barat%27' \
		"SELECT count(*) FROM $T WHERE c1 = 'Jawa Barat';"
	printf 'indexed $count, unselective: jumlah_penduduk gt 5000\tengine\t-\t%s\t%s\t-\n' \
		'villages/$count?$filter=jumlah_penduduk%20gt%205000' \
		"SELECT count(*) FROM $T WHERE c5 > 5000;"
	printf '$count of the whole set\tengine\t-\t%s\t%s\t-\n' 'villages/$count' \
		"SELECT count(*) FROM $T;"
	printf 'groupby provinsi: engine plan vs hand SQL NOT INDEXED\tengine\t-\t%s\t%s\t-\n' "$Q_GROUPBY" \
		"SELECT c1, sum(c5) FROM $T NOT INDEXED GROUP BY c1"
	printf 'dataset page, 50 rows with facets\tpage\t-\t%s\t%s\t-\n' '/odata/villages' \
		"SELECT $SEL FROM $T ORDER BY rowid LIMIT 51; SELECT c1, count(*) AS n FROM $T GROUP BY c1 ORDER BY n DESC, c1 LIMIT 51;"
	printf 'dataset page, filter provinsi eq Bali, with facets\tpage\t-\t%s\t%s\t-\n' \
		'/odata/villages?$filter=provinsi%20eq%20%27Bali%27' \
		"SELECT $SEL FROM $T WHERE c1 = 'Bali' ORDER BY rowid LIMIT 51; SELECT c1, count(*) AS n FROM $T WHERE c1 = 'Bali' GROUP BY c1 ORDER BY n DESC, c1 LIMIT 51;"
} >>"$RUN/scenarios.tsv"
# ---- end idx

# Deep page via nextLink: follow the engine's own links to row $DEEP
# (in-process, pages of 1000), then ask for 20 rows from there.
SROOT_PLACEHOLDER="http://127.0.0.1:1/odata/"
NEXT=""
if [ "$HAVE_PORTAL" = 1 ] && [ "$HAVE_QBENCH" = 1 ]; then
	if NEXT=$("$BB/qbench" nextlink "$PORTAL" "$SROOT_PLACEHOLDER" 'villages' "$DEEP" 2>"$RUN/next.err"); then
		NEXT=${NEXT#"$SROOT_PLACEHOLDER"}
		KEY=$(sqlite3 -readonly "$PORTAL" "SELECT rowid FROM $T ORDER BY rowid LIMIT 1 OFFSET $((DEEP - 1))")
		printf 'deep page %s via nextLink\thttp\todata.maxpagesize=20\t%s\t%s\t8\n' "$DEEPPAGE" "$NEXT" \
			"SELECT $SEL FROM $T WHERE rowid > $KEY ORDER BY rowid LIMIT 20" >>"$RUN/scenarios.tsv"
	else
		say "no nextLink: $(head -c 300 "$RUN/next.err")"
		NEXT=""
	fi
fi

# ---- (2) HTTP: kueri serve behind nginx vs the floors -------------------------

USERLINE=""
[ "$(id -u)" = 0 ] && USERLINE="user root $(id -gn);"   # workers must reach our sockets
mkdir -p "$RUN/html/static"

# start_nginx NAME SOCKET [static]: an nginx with its own prefix and port,
# left in $NGINX_PORT.  Not called as $(...): the pid file must be recorded
# in this shell for the exit trap to stop it.  The FastCGI sides use the project's own config
# (nginx/test-nginx.conf.in including nginx/kueri.conf, as `make serve`
# and the e2e tests do), so kueri and the floor sit behind the very same
# nginx setup; the static floor uses bench/nginx.conf.in.
NGINX_RATE=${NGINX_RATE:-100000}   # limit_req must not be what we measure
# nginx workers on every side (NGINX_WORKERS=2 to try one per core).  One:
# with two, the static rows were no faster (47,787 against 48,567 req/s:
# wrk's two threads share the cores) while kueri's rows lost a core's share
# to the second nginx (page of 20 0.90 of the floor instead of 1.25, the
# hot row 0.77 instead of 0.78; docs/bench.md, eleventh session).
NGINX_WORKERS=${NGINX_WORKERS:-1}
start_nginx() {
	_name=$1; _sock=$2; _tries=0
	mkdir -p "$RUN/$_name/tmp" "$RUN/$_name/cache" "$RUN/$_name.tmp"
	while [ $_tries -lt 5 ]; do
		_port=$(pick_port)
		if [ "${3:-}" != static ] && [ -f nginx/test-nginx.conf.in ]; then
			sed -e "s|@PREFIX@|$RUN/$_name|g" -e "s|@SOCKET@|$_sock|g" \
			    -e "s|@PORT@|$_port|g" -e "s|@KUERI_CONF@|$PWD/nginx/kueri.conf|g" \
			    -e "s|@USER_LINE@|$USERLINE|g" -e "s|@NGINX_WORKERS@|$NGINX_WORKERS|g" \
			    -e "s|@RATE@|$NGINX_RATE|g" -e "s|@ACCESS_LOG@|off|g" \
			    nginx/test-nginx.conf.in >"$RUN/$_name.conf"
			_pidf=$RUN/$_name/nginx.pid
		else
			sed -e "s|@USER@|$USERLINE|" -e "s|@RUN@|$RUN|g" -e "s|@NAME@|$_name|g" -e "s|@WORKERS@|$NGINX_WORKERS|" \
			    -e "s|@PORT@|$_port|g" -e "s|@SOCKET@|$_sock|g" \
			    bench/nginx.conf.in >"$RUN/$_name.conf"
			_pidf=$RUN/$_name.pid
		fi
		if nginx -p "$RUN/$_name" -c "$RUN/$_name.conf" -e "$RUN/$_name.err" 2>>"$RUN/$_name.err"; then
			NGINX_PIDFILES="$NGINX_PIDFILES $_pidf"
			NGINX_PORT=$_port
			return 0
		fi
		_tries=$((_tries + 1))
	done
	die "nginx $_name would not start: $(tail -n 3 "$RUN/$_name.err")"
}

# wait_sock PATH: until a unix socket exists (up to 5 s)
wait_sock() {
	_i=0
	while [ ! -S "$1" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -S "$1" ]
}

# rps URL CONNS [PREFER]: one wrk run (two threads, --latency); prints
# req/s, or "nan" if any answer was not 2xx/3xx or a socket error happened;
# appends its p99 (ms) to $RUN/p99.  UNIQUE=1: every request a distinct URL
# (bench/unique.lua), so nginx's cache never answers.
rps() {
	_lua=""; [ "${UNIQUE:-0}" = 1 ] && _lua="-s bench/unique.lua"
	_t=2; [ "$2" -lt 2 ] && _t=1
	# shellcheck disable=SC2086
	if [ -n "${3:-}" ]; then
		wrk -t$_t -c"$2" -d"${DUR}s" --latency --timeout 10s $_lua -H "Prefer: $3" "$1" >"$RUN/wrk.out" 2>&1 || true
	else
		wrk -t$_t -c"$2" -d"${DUR}s" --latency --timeout 10s $_lua "$1" >"$RUN/wrk.out" 2>&1 || true
	fi
	awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; print v; f = 1 }
		END { if (!f) print "nan" }' "$RUN/wrk.out" >>"$RUN/p99"
	if grep -q -e 'Non-2xx' -e 'Socket errors' "$RUN/wrk.out"; then
		say "wrk $1: $(grep -e 'Non-2xx' -e 'Socket errors' "$RUN/wrk.out" | tr -s ' ')"
		echo nan
		return
	fi
	awk '/^Requests\/sec:/ { print $2; f = 1 } END { if (!f) print "nan" }' "$RUN/wrk.out"
}
# rpsp URL CONNS [PREFER] >>FILE: "req/s p99" of one run
rpsp() { : >"$RUN/p99"; _x=$(rps "$@"); echo "$_x $(cat "$RUN/p99")"; }
# med2 FILE: "median-req/s median-p99" of rpsp lines
med2() { _a=$(cut -d' ' -f1 "$1" | median); _b=$(cut -d' ' -f2 "$1" | median); echo "$_a $_b"; }
# cell "REQ P99": "5123 (p99 7.1 ms)"
cell() { echo "$(fmtr "${1%% *}") (p99 $(fmt "${1#* }" 1) ms)"; }
# The connections an HTTP row drives (enough to load both cores).
CONNS=${CONNS:-32}

WORKERS=$NPROC
BUDGET_MS=${BUDGET_MS:-10000}
"$BB/floor_fcgi" --socket "$RUN/floor.sock" --workers "$WORKERS" &
FLOOR_PID=$!; PIDS="$PIDS $FLOOR_PID"
wait_sock "$RUN/floor.sock" || die "floor_fcgi did not start"
# The reference: the bare floor -- a minimal nginx config (bench/nginx.conf.in:
# fastcgi_pass only, no cache, limit or gzip) in front of the bare libfcgi
# program.  The second column: the same program behind the shipped config.
start_nginx floor "$RUN/floor.sock"; FPORT=$NGINX_PORT
start_nginx floorbare "$RUN/floor.sock" static; BPORT=$NGINX_PORT
start_nginx static "$RUN/none.sock" static; SPORT=$NGINX_PORT

HAVE_SERVE=0
if [ "$HAVE_PORTAL" = 1 ]; then
	# --max-age 0: nginx's fastcgi_cache must not answer for kueri;
	# the time budget is raised so whole-table scenarios are measured
	# rather than cut off (the default budget is reported separately).
	"$KUERI" serve --db "$PORTAL" --socket "$RUN/kueri.sock" --workers "$WORKERS" \
		--max-age 0 --time-budget "$BUDGET_MS" 2>"$RUN/serve.err" &
	SERVE_PID=$!; PIDS="$PIDS $SERVE_PID"
	if wait_sock "$RUN/kueri.sock"; then
		start_nginx kueri "$RUN/kueri.sock"; KPORT=$NGINX_PORT
		HAVE_SERVE=1
	else
		say "kueri serve did not start: $(tail -n 3 "$RUN/serve.err" | head -c 300)"
	fi
fi

KROOT="http://127.0.0.1:${KPORT:-0}/odata/"
FROOT="http://127.0.0.1:$FPORT/odata/"
SROOT="http://127.0.0.1:$SPORT/static/"

BROOT="http://127.0.0.1:$BPORT/odata/"

# http_scenario NAME PREFER PATHQ CONNS: kueri with every URL distinct (no
# cache answers) vs the bare floor, the shipped-config floor and nginx
# sending a static file of the same size; req/s with p99 each.
http_scenario() {
	_n=$1; _pref=$2; _pq=$3; _c=$4
	[ "$_pref" = "-" ] && _pref=""
	[ "$_c" -gt 2 ] && _c=$CONNS
	if [ "$HAVE_SERVE" = 1 ]; then
		_size=$(curl -s -o "$RUN/body" -w '%{http_code} %{size_download}' \
			${_pref:+-H "Prefer: $_pref"} "$KROOT$_pq")
		if [ "${_size%% *}" != 200 ]; then
			say "$_n: HTTP ${_size%% *}: $(head -c 300 "$RUN/body")"
			row "$_n (req/s)" "error ${_size%% *}" "-" "-" "-" "-" "-" "-"
			return
		fi
		_size=${_size#* }
	else
		_size=2048     # no kueri yet: exercise the floors at a page's size
	fi
	if [ "$_n" = "page of 20" ]; then PAGE_SIZE=$_size; PAGE_PQ=$_pq; fi
	_f=$(echo "$_n" | tr -c 'a-zA-Z0-9\n' '_')
	head -c "$_size" /dev/zero | tr '\0' x >"$RUN/html/static/$_f"
	: >"$RUN/k"; : >"$RUN/f"; : >"$RUN/b"; : >"$RUN/s"
	_r=1; _rounds=$ROUNDS
	[ "$QUICK" = 1 ] && [ "$_n" != "page of 20" ] && _rounds=1
	while [ $_r -le "$_rounds" ]; do
		[ "$HAVE_SERVE" = 1 ] && UNIQUE=1 rpsp "$KROOT$_pq" "$_c" "$_pref" >>"$RUN/k"
		rpsp "${BROOT}villages?size=$_size" "$_c" >>"$RUN/b"
		rpsp "${FROOT}villages?size=$_size" "$_c" >>"$RUN/f"
		if [ $_r -le "$SROUNDS" ] && [ "$_c" -gt 2 ]; then
			rpsp "$SROOT$_f" "$_c" >>"$RUN/s"
		fi
		_r=$((_r + 1))
	done
	_k=$(med2 "$RUN/k"); _b=$(med2 "$RUN/b"); _fl=$(med2 "$RUN/f")
	_goal="-"
	_slow="-"   # whole-table work against a fixed body is context, not a floor
	case "$_n" in
	"page of 20") _goal=">= 0.85, p99 <= 3x"; _slow=$(div "${_b%% *}" "${_k%% *}") ;;
	"indexed filter"*) _goal=">= 0.5" ;;
	"everyday shape"*) _goal=">= 0.5" ;;   # idx (issue 12)
	esac
	row "$_n ($_size B, -c$_c)" "$(cell "$_k")" "$(cell "$_b")" "$(fmt "$(div "${_k%% *}" "${_b%% *}")" 2)" \
		"$(cell "$_fl")" "$(fmt "$(div "${_k%% *}" "${_fl%% *}")" 2)" "$_goal" "$_slow"
	if [ -s "$RUN/s" ]; then
		_s=$(med2 "$RUN/s")
		row "  nginx static file, same $_size B" "$(cell "$_s")" "$(cell "$_b")" "$(fmt "$(div "${_s%% *}" "${_b%% *}")" 2)" \
			"-" "-" "context" "-"
		if [ "$_n" = "page of 20" ]; then STATIC_PAGE=$_s; PAGE_STATIC=$_f; fi
	fi
}

say "HTTP: wrk -t2 -c$CONNS --latency ${DUR}s x $ROUNDS rounds per side, $WORKERS workers"
TAB=$(printf '\t')
while IFS="$TAB" read -r name kind pref pathq sql conns; do
	[ "$kind" = http ] || continue
	[ "$HAVE_SERVE" = 1 ] || [ "$name" = "page of 20" ] || continue
	say "  $name"
	http_scenario "$name" "$pref" "$pathq" "$conns"
done <"$RUN/scenarios.tsv"

# Hot repeated URL: the same page of 20 again and again, answered by nginx's
# cache (entries live to the end of their second: docs/serving.md), against
# nginx sending the same body as a static file.
if [ "$HAVE_SERVE" = 1 ] && [ -n "${PAGE_PQ:-}" ] && [ -n "${STATIC_PAGE:-}" ]; then
	say "  hot repeated page of 20 (nginx cache)"
	# Interleaved with its reference, round by round (the static row
	# above ran minutes earlier, once): one sample each side was too
	# noisy to read a 0.8 goal from.
	: >"$RUN/k"; : >"$RUN/s"; _r=1
	while [ $_r -le "$ROUNDS" ]; do
		rpsp "$KROOT$PAGE_PQ" "$CONNS" >>"$RUN/k"
		rpsp "$SROOT$PAGE_STATIC" "$CONNS" >>"$RUN/s"
		_r=$((_r + 1))
	done
	_k=$(med2 "$RUN/k"); _s=$(med2 "$RUN/s")
	row "hot repeated page of 20, nginx cache (-c$CONNS)" "$(cell "$_k")" "$(cell "$_s") static" \
		"$(fmt "$(div "${_k%% *}" "${_s%% *}")" 2)" "-" "-" ">= 0.8 of static" "-"
fi

# An expensive URL (a groupby over the whole table, ~0.4 s at 1M rows) that
# many clients ask: issue 12's revalidation and the pool's admission
# (docs/serving.md, "Caching").  Two more kueri serves on the same portal
# behind the shipped config, in their defaults (time budget 1 s, admission
# one query per core) but for --max-heavy 0 on the second, interleaved:
#   - stored: the entry is in nginx's cache before the run; each second's
#     expiry is revalidated (a 304 that runs nothing), against nginx
#     sending the same body as a static file;
#   - cold herd: nothing stored, $CONNS clients at once that wait 1 s after
#     a 503 (bench/backoff.lua); with admission against without.
# herd URL CONNS: "req/s p99-ms non-2xx" of one run (503s counted, not
# refused: this row is about them).
herd() {
	wrk -t2 -c"$2" -d"${DUR}s" --latency --timeout 10s -s bench/backoff.lua "$1" >"$RUN/wrk.out" 2>&1 || true
	awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; p = v }
		/^Requests\/sec:/ { r = $2 } /Non-2xx/ { b = $NF }
		END { printf "%s %s %d\n", (r == "" ? "nan" : r), (p == "" ? "nan" : p), b }' "$RUN/wrk.out"
}
if [ "$HAVE_SERVE" = 1 ] && [ "$QUICK" != 1 ]; then
	say "  an expensive URL: stored (revalidation), and a cold herd (admission)"
	"$KUERI" serve --db "$PORTAL" --socket "$RUN/kadm.sock" --workers "$WORKERS" 2>"$RUN/kadm.err" &
	PIDS="$PIDS $!"
	"$KUERI" serve --db "$PORTAL" --socket "$RUN/knoadm.sock" --workers "$WORKERS" --max-heavy 0 2>"$RUN/knoadm.err" &
	PIDS="$PIDS $!"
	if wait_sock "$RUN/kadm.sock" && wait_sock "$RUN/knoadm.sock"; then
		start_nginx kadm "$RUN/kadm.sock"; APORT=$NGINX_PORT
		start_nginx knoadm "$RUN/knoadm.sock"; NPORT=$NGINX_PORT
		# 100 groups (a new $skip for each run: a URL no run asked
		# before)
		EXP="villages?\$apply=groupby((kecamatan),aggregate(jumlah_penduduk%20with%20sum%20as%20s))&\$top=100&\$skip="
		# wrk sends no Accept: the warm-up asks the same variant
		curl -s -H 'Accept:' -o "$RUN/html/static/expensive" "http://127.0.0.1:$APORT/odata/${EXP}0"
		EXP_B=$(wc -c <"$RUN/html/static/expensive")
		: >"$RUN/k"; : >"$RUN/s"; : >"$RUN/a"; : >"$RUN/n"; _r=1
		while [ $_r -le "$ROUNDS" ]; do
			_u="http://127.0.0.1:$APORT/odata/$EXP$_r"
			# the queries a herd started run to their budget (1 s):
			# let them end before the next measurement
			sleep 2
			curl -s -H 'Accept:' -o /dev/null "$_u"; curl -s -H 'Accept:' -o /dev/null "$_u"
			rpsp "$_u" "$CONNS" >>"$RUN/k"
			rpsp "${SROOT}expensive" "$CONNS" >>"$RUN/s"
			herd "http://127.0.0.1:$APORT/odata/$EXP$((10 + _r))" "$CONNS" >>"$RUN/a"
			sleep 2
			herd "http://127.0.0.1:$NPORT/odata/$EXP$((10 + _r))" "$CONNS" >>"$RUN/n"
			_r=$((_r + 1))
		done
		_k=$(med2 "$RUN/k"); _s=$(med2 "$RUN/s"); _a=$(med2 "$RUN/a"); _n=$(med2 "$RUN/n")
		_a5=$(cut -d' ' -f3 "$RUN/a" | median); _n5=$(cut -d' ' -f3 "$RUN/n" | median)
		row "expensive URL stored, revalidated each second ($EXP_B B, -c$CONNS)" "$(cell "$_k")" \
			"$(cell "$_s") static" "$(fmt "$(div "${_k%% *}" "${_s%% *}")" 2)" "-" "-" "context" "-"
		row "  cold herd on it, clients wait 1 s after a 503 (-c$CONNS)" "$(cell "$_a"), $_a5 x 503" \
			"$(cell "$_n"), $_n5 x 503, --max-heavy 0" "$(fmt "$(div "${_a%% *}" "${_n%% *}")" 2)" "-" "-" "context" "-"
	else
		say "the admission servers did not start: $(tail -n 2 "$RUN/kadm.err" "$RUN/knoadm.err" | head -c 300)"
	fi
fi

# CSV export: the whole table, kueri through nginx vs sqlite3 -csv of the
# same SQL on the same file (and nginx sending a static file that big).
if [ "$HAVE_SERVE" = 1 ]; then
	say "CSV export"
	: >"$RUN/k"; : >"$RUN/f"; : >"$RUN/s"
	_r=1; KB=0; SB=0
	while [ $_r -le "$CROUNDS" ]; do
		_o=$(curl -s -o "$RUN/export.csv" -w '%{http_code} %{size_download} %{time_total}' \
			"${KROOT}villages?\$format=csv")
		set -- $_o
		[ "$1" = 200 ] || { say "CSV export: HTTP $1"; break; }
		KB=$2; echo "$3" >>"$RUN/k"
		_t0=$(now_ns)
		sqlite3 -readonly -csv -header "$PORTAL" "SELECT $SEL FROM $T ORDER BY rowid" >"$RUN/sqlite.csv"
		_t1=$(now_ns)
		SB=$(wc -c <"$RUN/sqlite.csv")
		awk -v a="$_t0" -v b="$_t1" 'BEGIN { print (b - a) / 1e9 }' >>"$RUN/f"
		[ $_r = 1 ] && cp "$RUN/export.csv" "$RUN/html/static/export.csv"
		curl -s -o /dev/null -w '%{time_total}\n' "${SROOT}export.csv" >>"$RUN/s"
		_r=$((_r + 1))
	done
	rm -f "$RUN/export.csv" "$RUN/sqlite.csv" "$RUN/html/static/export.csv"
	KT=$(median <"$RUN/k"); ST=$(median <"$RUN/f"); STT=$(median <"$RUN/s")
	KMB=$(div "$KB" "$(awk -v t="$KT" 'BEGIN { print t * 1e6 }')")
	SMB=$(div "$SB" "$(awk -v t="$ST" 'BEGIN { print t * 1e6 }')")
	TMB=$(div "$KB" "$(awk -v t="$STT" 'BEGIN { print t * 1e6 }')")
	row "\$format=csv export, $(fmt "$(div "$KB" 1000000)" 1) MB (MB/s)" "$(fmt "$KMB" 1)" "$(fmt "$SMB" 1)" \
		"$(fmt "$(div "$KMB" "$SMB")" 2)" "$(fmt "$TMB" 0)" "$(fmt "$(div "$KMB" "$TMB")" 2)" ">= 1 (sqlite3 -csv)" "$(div "$SMB" "$KMB")"
fi

# Worker RSS after the load: the largest worker of each pool.
if [ "$HAVE_SERVE" = 1 ]; then
	KRSS=$(ps -o rss= --ppid "$SERVE_PID" 2>/dev/null | sort -n | tail -n 1)
	FRSS=$(ps -o rss= --ppid "$FLOOR_PID" 2>/dev/null | sort -n | tail -n 1)
	row "worker RSS after the run (MB)" "$(fmt "$(div "${KRSS:-nan}" 1024)" 1)" \
		"$(fmt "$(div "${FRSS:-nan}" 1024)" 1)" "$(fmt "$(div "${KRSS:-nan}" "${FRSS:-nan}")" 1)" \
		"-" "-" "< 20 MB" "-"
fi

# ---- (3) the engine in-process vs SQLite on the hand SQL ---------------------

if [ "$HAVE_PORTAL" = 1 ] && [ "$HAVE_QBENCH" = 1 ]; then
	say "engine in-process: median of >= $QN runs (more for quick queries)"
	cut -f1-5 "$RUN/scenarios.tsv" >"$RUN/q.tsv"
	if QBENCH_TIME_MS=$BUDGET_MS QBENCH_WORK_MS=$QWORK "$BB/qbench" run "$PORTAL" "$RUN/q.tsv" "$QN" >"$RUN/q.out" 2>"$RUN/q.err"; then
		while IFS="$TAB" read -r name kus sus status bytes nrows krows; do
			kind=$(awk -F"$TAB" -v n="$name" '$1 == n { print $2 }' "$RUN/q.tsv")
			hsql=$(awk -F"$TAB" -v n="$name" '$1 == n { print $5 }' "$RUN/q.tsv")
			if [ "$status" != 200 ]; then
				row "engine: $name" "status $status" "-" "-" "-" "-" "-" "-"
				continue
			fi
			# the hand SQL must be the same question: same number of rows
			case "$hsql" in *";"*) ;; *)
				if [ "$kind" = http ] && [ "$nrows" != "$krows" ]; then
					say "engine: $name: kueri wrote $krows rows, the hand SQL $nrows"
					row "engine: $name" "$krows rows" "$nrows rows" "differ" "-" "-" "-" "-"
					continue
				fi ;;
			esac
			if [ "$kind" = compile ]; then
				row "$name (us: kq_prepare vs sqlite3_prepare)" "$(fmt "$kus" 1)" "$(fmt "$sus" 1)" \
					"$(fmt "$(awk -v a="$kus" -v b="$sus" 'BEGIN { print a - b }')" 1) us own" \
					"-" "-" "own < 10 us" "-"
			else
				case "$name" in
				# ---- idx goals (issue 12, 13)
				"everyday shape"*) goal="<= 1 ms" ;;
				"indexed \$count: "*) goal="<= 5 ms" ;;
				"indexed \$count, unselective"*) goal="context (5 ms not met: see docs/bench.md)" ;;
				"\$count of the whole set") goal="O(1)" ;;
				"groupby provinsi: "*) goal="index plan faster than the scan" ;;
				"dataset page, 50"*) goal="<= 20 ms" ;;
				"dataset page, filter"*) goal="context" ;;
				# ---- end idx
				*groupby*) goal="<= 1.1, ~0.4-0.7 s" ;;
				"indexed filter"*) goal="<= 1.1, ~0.2 ms" ;;
				*) goal="<= 1.1" ;;
				esac
				row "engine: $name (ms)" "$(fmt "$(div "$kus" 1000)" 3)" "$(fmt "$(div "$sus" 1000)" 3)" \
					"$(fmt "$(div "$kus" "$sus")" 2)" "-" "-" "$goal" "$(div "$kus" "$sus")"
			fi
		done <"$RUN/q.out"
	else
		say "qbench failed: $(head -c 400 "$RUN/q.err")"
	fi
	# deep page via skiptoken vs the first page (issue: <= 2x)
	P1=$(awk -F"$TAB" '$1 == "page of 20" { print $2 }' "$RUN/q.out")
	PN=$(awk -F"$TAB" '$1 ~ /via nextLink/ { print $2 }' "$RUN/q.out")
	if [ -n "$P1" ] && [ -n "$PN" ]; then
		row "engine: deep page via nextLink vs page 1 (ms)" "$(fmt "$(div "$PN" 1000)" 3)" \
			"$(fmt "$(div "$P1" 1000)" 3)" "$(fmt "$(div "$PN" "$P1")" 2)" "-" "-" "<= 2" "-"
	fi
fi

# The default time budget (1 s) on the heaviest query, as `kueri query`
# (one code path with the service) answers it out of the box.
if [ "$HAVE_PORTAL" = 1 ]; then
	_t0=$(now_ns)
	"$KUERI" query --db "$PORTAL" "$Q_GROUPBY" >"$RUN/gb.out" 2>&1 && _st=200 || _st=$?
	_t1=$(now_ns)
	if [ "$_st" != 200 ]; then
		_st="exit $_st: $(grep -o '"code": *"[A-Za-z]*"' "$RUN/gb.out" | head -n 1 | sed 's/.*: *//; s/"//g')"
	fi
	row "\$apply groupby, all rows, default 1 s budget (kueri query)" "$_st" \
		"$(fmt "$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { print (b - a) / 1e9 }')" 2) s" "-" "-" "-" "context" "-"
fi

# ---- the table -----------------------------------------------------------------

ELAPSED=$(($(date +%s) - T_START))
CPU=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[ -n "$CPU" ] || CPU=$(lscpu 2>/dev/null | awk -F': *' '/Model name/ { print $2; exit }')
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
MODE="full"; [ "$QUICK" = 1 ] && MODE="QUICK=1"
# The worst ratio over the rows that compare like with like (publish,
# page of 20, CSV export, engine): kueri's cost over its floor's.
WORST=$(awk -F"$TAB" '$8 != "-" && $8 != "nan" && $8 != "" { if (w == "" || $8 + 0 > w + 0) { w = $8; n = $1; r = $4; g = $7 } }
	END { if (w == "") print "worst ratio: n/a (no kueri figures yet)";
	      else printf "worst ratio: %s = %s (goal %s): kueri costs %.2fx its floor\n", n, r, g, w }' "$ROWSF")

mkdir -p "$RESULTS"
{
	echo "# kueri benchmark ($MODE)"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $COMMIT; run took ${ELAPSED} s"
	echo "- machine: $NPROC cores, $CPU, Linux $(uname -r); load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- kueri serve --workers $WORKERS --max-age 0; HTTP rows other than the hot-repeat row make every URL distinct (bench/unique.lua) so nginx's cache never answers --time-budget $BUDGET_MS (default 1000; see the default-budget row)"
	echo "- data: $ROWS rows, $CSV_MB MB (bench/gen_villages.c); wrk -t2 -c$CONNS --latency (p99 beside every req/s), ${DUR}s x $ROUNDS rounds per side, interleaved; $WORKERS FastCGI workers each side"
	echo "- floors: publish vs \`sqlite3 :memory: .import --csv\` + the same DDL kueri ran (unique index, FTS5 $FTS_DDL); HTTP vs the bare floor (bench/floor_fcgi.c behind a minimal nginx config, bench/nginx.conf.in: no cache, limit or gzip); engine vs SQLite stepping the hand-written SQL"
	echo "- 2nd floor: bench/floor_fcgi.c behind the shipped nginx/kueri.conf (HTTP rows; nginx sending a static file of the same size is its own row); .import without the FTS build (publish rows)"
	echo "- reproduce: \`make bench\` (or \`make bench QUICK=1\`)"
	echo
	echo "| scenario | kueri | floor | ratio | 2nd floor | ratio | goal |"
	echo "|---|---:|---:|---:|---:|---:|---|"
	awk -F"$TAB" '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$ROWSF"
	echo
	echo "$WORST"
} >"$RESULTS/latest.md"

{
	printf '%-64s %14s %14s %8s %14s %7s  %s\n' scenario kueri floor ratio "2nd floor" ratio goal
	awk -F"$TAB" '{ printf "%-64s %14s %14s %8s %14s %7s  %s\n", $1, $2, $3, $4, $5, $6, $7 }' "$ROWSF"
	echo
	echo "$WORST"
}
say "wrote $RESULTS/latest.md (${ELAPSED} s)"
