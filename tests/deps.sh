#!/bin/sh
# tests/deps.sh: makes sure the Debian packages the test suite needs are installed.
#
# As root, installs whatever is missing with apt-get (running `apt-get update` first, and
# only when something is missing). As another user, prints exactly which packages to
# install and exits 1. With --check it never installs, only reports (exit 1 if missing).
# `make test` runs this first (with sh: keep it POSIX); .ci/run does too.
set -eu

check_only=0
if [ "${1:-}" = "--check" ]; then
    check_only=1
fi

have() { command -v "$1" >/dev/null 2>&1; }

# Whether a Debian package is installed (false when dpkg is not available).
installed() {
    have dpkg-query && dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

# Whether the need that package $1 covers is already met.
satisfied() {
    case "$1" in
    gcc) have gcc ;;
    libc6-dev) [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || installed libc6-dev ;;
    make) have make ;;
    python3) have python3 ;;
    musl-tools) have musl-gcc ;;
    # the shell cases run /bin/bash (and /bin/busybox sh)
    bash) [ -x /bin/bash ] ;;
    # the dynamically linked `busybox` package also provides /bin/busybox, but the tests
    # are meant for the static one
    busybox-static)
        if have dpkg-query; then installed busybox-static; else [ -x /bin/busybox ]; fi ;;
    *) return 1 ;;
    esac
}

missing=""
for pkg in gcc libc6-dev make python3 musl-tools busybox-static bash; do
    satisfied "$pkg" || missing="$missing $pkg"
done
missing="${missing# }"

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$check_only" -eq 1 ] || [ "$(id -u)" -ne 0 ] || ! have apt-get; then
    echo "tests/deps.sh: missing packages: $missing" >&2
    echo "tests/deps.sh: install them with: sudo apt-get install $missing" >&2
    exit 1
fi

echo "tests/deps.sh: installing $missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $missing
