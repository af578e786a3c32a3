#!/bin/sh
# Installs the Debian packages sealtrain needs to build and test. Idempotent.
set -e
PKGS="build-essential autoconf automake libtool pkg-config git ca-certificates
libncurses-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libcmocka-dev
libssl-dev libmicrohttpd-dev libsqlite3-dev tmux nodejs npm python3 curl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
