#!/bin/sh
# Install the Debian 12 packages kueri's build, tests, demo and bench need:
# every tool a suite calls is here (procps for ps, python3 for the key
# checks, ...).  Idempotent: asks apt only for what is missing; silent when
# all is present.  As root it runs apt-get itself (a minimal container has
# no sudo); as another user it uses sudo.  While it installs it shows one
# line per step and apt's own progress lines, so a minute of downloading is
# visible.
set -eu
PKGS="make gcc clang pkg-config libc6-dev libfcgi-dev libfcgi-bin libsqlite3-dev
libjansson-dev libpcre2-dev sqlite3 nginx-light lighttpd spawn-fcgi curl
libxml2-utils wrk time ca-certificates libclang-rt-14-dev jq procps python3"
# Read replicas (docs/scaling.md, tests/e2e/replicas.sh): rsync ships snapshots,
# iproute2 builds the test's network namespaces.
PKGS="$PKGS rsync iproute2"
# The CORS suite (tests/e2e/http_cors.sh) reads answers from a page on
# another origin in headless Chromium; the bench counts instructions per
# request with valgrind (callgrind).
PKGS="$PKGS chromium valgrind"
# Test tooling from npm (tests/shacl, tests/browser) needs node and npm;
# take Debian's only when the machine has none of its own.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
# Tests only: headless Chromium for tests/e2e/browser.sh (driven by the
# pinned playwright-core in tests/browser/, which never downloads a browser).
PKGS="$PKGS chromium"
missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *"ok installed"*) ;; *) missing="$missing $p" ;; esac
done
npm_tools() {
	# Test tooling only (never at run time), versions pinned in each
	# package-lock.json.  Without npm, or offline, the suites that need it
	# skip and say so (KUERI_REQUIRE_SHACL=1 makes the DCAT-AP one fail,
	# KUERI_REQUIRE_CSDL=1 the CSDL JSON one).  tests/csdl: ajv for
	# $metadata?$format=json against the OASIS schema (tests/e2e/csdl.sh).
	root=$(cd "$(dirname "$0")/.." && pwd)
	for d in tests/shacl tests/csdl; do
		[ -f "$root/$d/package-lock.json" ] || continue
		[ -d "$root/$d/node_modules" ] && continue
		if command -v npm >/dev/null 2>&1; then
			echo "deps: npm ci in $d (test tooling, pinned)"
			(cd "$root/$d" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
				echo "deps: npm ci in $d failed; its checks will be skipped" >&2
		else
			echo "deps: npm not found; the checks that need $d will be skipped" >&2
		fi
	done
}
if [ -z "$missing" ]; then npm_tools; exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "deps: missing:$missing" >&2
		echo "deps: not root and no sudo here: run 'sh tools/deps.sh' as root" >&2
		exit 1
	fi
	SUDO=sudo
fi
n=$(echo $missing | wc -w)
echo "deps: $n Debian packages to install:$missing"
echo "deps: step 1/2: apt-get update"
$SUDO apt-get -q update 2>&1 | sed -u 's/^/deps:   /'
echo "deps: step 2/2: apt-get install ($n packages; downloading and unpacking takes a minute or two)"
# -q: one line per package downloaded, unpacked and set up (no progress bar).
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0 \
	install --no-install-recommends $missing 2>&1 |
	grep --line-buffered -E '^(Get:|Unpacking|Setting up|E:|W:|Need to get|After this)' |
	sed -u 's/^/deps:   /'
# The pipeline's status is grep's: check that apt really installed them.
for p in $missing; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *"ok installed"*) ;; *) echo "deps: $p did not install (see apt's messages above)" >&2; exit 1 ;; esac
done
# The packaged nginx/lighttpd services are not ours: kueri runs its own.
$SUDO systemctl disable --now nginx lighttpd >/dev/null 2>&1 || true
npm_tools
echo "deps: done"
