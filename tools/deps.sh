#!/bin/sh
# Install the Debian 12 packages kueri's build, tests, demo and bench need.
# Idempotent: asks apt only for what is missing; quiet when all is present.
set -eu
PKGS="make gcc clang pkg-config libc6-dev libfcgi-dev libfcgi-bin libsqlite3-dev
libjansson-dev libpcre2-dev sqlite3 nginx-light lighttpd spawn-fcgi curl
libxml2-utils wrk time ca-certificates libclang-rt-14-dev jq"
missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *"ok installed"*) ;; *) missing="$missing $p" ;; esac
done
# Test tooling only (never at run time): the SHACL validator the DCAT-AP
# test uses (tests/shacl, versions pinned in its package-lock.json).
# Without node/npm, or offline, tests/e2e/harvest_dcat.sh skips those
# checks and says so; KUERI_REQUIRE_SHACL=1 makes that a failure.
SHACL_DIR=$(cd "$(dirname "$0")/.." && pwd)/tests/shacl
if [ ! -d "$SHACL_DIR/node_modules/rdf-validate-shacl" ]; then
	if command -v npm >/dev/null 2>&1; then
		echo "deps: npm ci in tests/shacl (SHACL validator for the DCAT-AP test)"
		(cd "$SHACL_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
			echo "deps: npm ci failed; the DCAT-AP SHACL checks will be skipped" >&2
	else
		echo "deps: npm not found; the DCAT-AP SHACL checks will be skipped" >&2
	fi
fi

[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The packaged nginx/lighttpd services are not ours: kueri runs its own.
$SUDO systemctl disable --now nginx lighttpd >/dev/null 2>&1 || true

