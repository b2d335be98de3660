#!/bin/sh
# What a newcomer on a fresh Debian 12 meets (issue 10), reproduced here:
#  - http_lighttpd.sh passes with a user's PATH (no /usr/sbin);
#  - `make demo` on a taken port says which PORT= to use, before publishing;
#  - tools/demo.sh stops on a package `kueri publish` refuses (1) or cannot
#    read (2); unchanged is exit 0 (README), so a second run goes on;
#  - tools/deps.sh installs every tool the suites call, runs apt itself as
#    root (no sudo in a container) and sudo otherwise, and shows apt's
#    progress lines instead of a silent minute.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 2
REPO=$PWD

# ---- lighttpd by full path
out=$(env PATH=/usr/local/bin:/usr/bin:/bin bash tests/e2e/http_lighttpd.sh 2>&1); rc=$?
is "$rc" 0 "http_lighttpd.sh passes with PATH=/usr/local/bin:/usr/bin:/bin (lighttpd is in /usr/sbin)"
[ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -E '^not ok|not found' | head -5 | sed 's/^/#   /'

# ---- demo: a taken port
"$KUERI" publish --db "$TMP/p.db" tests/data/abnf-fixture/datapackage.json >/dev/null 2>&1
ok $? "a small portal publishes"
"$KUERI" publish --db "$TMP/p.db" tests/data/abnf-fixture/datapackage.json >"$TMP/again" 2>&1
is "$?" 0 "kueri publish of an unchanged package exits 0 (README: 0 published or unchanged)"
like "$(cat "$TMP/again")" "unchanged" "... and says it is unchanged"
lpid=""
for try in 1 2 3 4 5; do
	P=$(od -An -N2 -tu2 /dev/urandom | awk '{ print 20000 + $1 % 40000 }')
	"$KUERI" serve --db "$TMP/p.db" --listen "127.0.0.1:$P" --workers 1 >"$TMP/serve.log" 2>&1 &
	lpid=$!
	i=0
	while [ $i -lt 50 ] && kill -0 "$lpid" 2>/dev/null &&
		! awk -v p=":$(printf '%04X' "$P")" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' /proc/net/tcp; do
		i=$((i + 1)); sleep 0.1
	done
	kill -0 "$lpid" 2>/dev/null && break
	lpid=""
done
ok $([ -n "$lpid" ] && echo 0 || echo 1) "something listens on port $P"
KUERI=$KUERI PORT=$P sh tools/demo.sh >"$TMP/demo.out" 2>&1; rc=$?
[ -n "$lpid" ] && { kill -TERM "$lpid"; wait "$lpid" 2>/dev/null; }
is "$rc" 2 "make demo on a taken port exits 2"
like "$(cat "$TMP/demo.out")" "^demo: port $P is in use: make demo PORT=[0-9]+$" \
	"... saying 'port $P is in use: make demo PORT=N'"
unlike "$(cat "$TMP/demo.out")" "serving|bind|publish" "... before publishing or starting anything"
KUERI=$KUERI PORT=80x sh tools/demo.sh >"$TMP/demo.out" 2>&1
is "$?" 2 "PORT=80x is refused"

# ---- demo: exit statuses of publish
mkdir -p "$TMP/fk"
for code in 1 2 3; do
	printf '#!/bin/sh\n[ "$1" = publish ] && exit %s\nexit 0\n' "$code" >"$TMP/fk/kueri"
	chmod +x "$TMP/fk/kueri"
	KUERI=$TMP/fk/kueri PORT=1 sh tools/demo.sh >"$TMP/demo.out" 2>&1; rc=$?
	is "$rc" 1 "demo stops when publish exits $code"
	like "$(cat "$TMP/demo.out")" "exit $code" "... naming the exit status $code"
	unlike "$(cat "$TMP/demo.out")" "serving|packages published" "... and serves nothing"
done

# ---- deps.sh: every tool, root without sudo, progress
for pkg in procps python3 jq curl libxml2-utils sqlite3 lighttpd nginx-light spawn-fcgi wrk clang make gcc pkg-config; do
	grep -qw -- "$pkg" tools/deps.sh; ok $? "tools/deps.sh installs $pkg"
done
# A fake apt world: one package missing until apt-get installs it.
FB=$TMP/fakebin
mkdir -p "$FB"
cat >"$FB/dpkg-query" <<'S'
#!/bin/sh
for a; do p=$a; done
if [ "$p" = procps ] && [ ! -e "$FAKE/installed" ]; then echo "unknown ok not-installed"; else echo "install ok installed"; fi
S
cat >"$FB/apt-get" <<'S'
#!/bin/sh
echo "apt-get $*" >>"$FAKE/calls"
case "$*" in *install*) echo "Get:1 http://deb.debian.org/debian bookworm/main amd64 procps 2:4.0.2-3 [709 kB]"
	echo "Unpacking procps (2:4.0.2-3) ..."; echo "Setting up procps (2:4.0.2-3) ..."; touch "$FAKE/installed" ;;
*) echo "Hit:1 http://deb.debian.org/debian bookworm InRelease" ;; esac
S
cat >"$FB/sudo" <<'S'
#!/bin/sh
echo "sudo $*" >>"$FAKE/calls"; "$@"
S
cat >"$FB/id" <<'S'
#!/bin/sh
[ "$1" = -u ] && { echo "$FAKE_UID"; exit 0; }; exec /usr/bin/id "$@"
S
printf '#!/bin/sh\nexit 0\n' >"$FB/systemctl"
chmod +x "$FB"/*
for who in 0 1000; do
	rm -f "$TMP/calls" "$TMP/installed"
	FAKE=$TMP FAKE_UID=$who PATH=$FB:$PATH sh tools/deps.sh >"$TMP/deps.out" 2>&1; rc=$?
	is "$rc" 0 "deps.sh as uid $who installs the missing package"
	if [ "$who" = 0 ]; then
		unlike "$(cat "$TMP/calls")" "^sudo" "as root it calls apt-get without sudo (a container has none)"
	else
		like "$(cat "$TMP/calls")" "^sudo .*apt-get.*install" "as a user it calls apt-get through sudo"
	fi
done
like "$(cat "$TMP/deps.out")" "deps: .*Unpacking procps" "deps.sh shows apt's progress lines"
like "$(cat "$TMP/deps.out")" "step 2/2" "... one line per step"
# Not root and no sudo: a clear message, not "sudo: not found".
mkdir -p "$TMP/nosudo"
for t in dpkg-query apt-get id systemctl; do cp "$FB/$t" "$TMP/nosudo/"; done
for t in sh awk sed grep cat wc env; do ln -sf "$(command -v $t)" "$TMP/nosudo/$t"; done
rm -f "$TMP/installed"
FAKE=$TMP FAKE_UID=1000 PATH=$TMP/nosudo "$(command -v sh)" tools/deps.sh >"$TMP/deps.out" 2>&1; rc=$?
is "$rc" 1 "deps.sh as a user without sudo fails"
like "$(cat "$TMP/deps.out")" "run 'sh tools/deps.sh' as root" "... and says to run it as root"
done_testing
