#!/bin/sh
# Installs the Debian packages sealtrain needs to build and test. Idempotent.
set -e
PKGS="build-essential autoconf automake libtool pkg-config git ca-certificates
libncurses-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libcmocka-dev
libssl-dev libmicrohttpd-dev libsqlite3-dev tmux python3 curl openssl nghttp2-server"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# Node.js runs the fidelity suite (Google's own client libraries). A machine may carry a
# Node.js of its own (with npm bundled); Debian's packages would conflict with it.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
