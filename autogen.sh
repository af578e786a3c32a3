#!/bin/sh
# Regenerate configure and Makefile.in from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
# The TAP driver is not installed by autoreconf; take it from automake itself.
amdir=$(automake --print-libdir)
cp -f "$amdir/tap-driver.sh" "$amdir/test-driver" build-aux/
autoreconf -fi
