#!/bin/sh
# Install the Debian 12 packages kueri's build, tests, demo and bench need.
# Idempotent: asks apt only for what is missing; quiet when all is present.
set -eu
PKGS="make gcc clang pkg-config libc6-dev libfcgi-dev libfcgi-bin libsqlite3-dev
libjansson-dev libpcre2-dev sqlite3 nginx-light lighttpd spawn-fcgi curl
libxml2-utils wrk time ca-certificates libclang-rt-14-dev jq"
# Tests only: headless Chromium for tests/e2e/browser.sh (driven by the
# pinned playwright-core in tests/browser/, which never downloads a browser).
PKGS="$PKGS chromium"
missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *"ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The packaged nginx/lighttpd services are not ours: kueri runs its own.
$SUDO systemctl disable --now nginx lighttpd >/dev/null 2>&1 || true
