#!/bin/sh
# Runs every test_*.js in this folder (Node's built-in test runner) against real
# sealtrain-sandbox processes, with Google's own client libraries installed from npm
# into the build tree. Skips (77) only when node or npm is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null 2>&1 || { echo "node not found: skipping"; exit 77; }
command -v npm >/dev/null 2>&1 || { echo "npm not found: skipping"; exit 77; }
: "${ST_SANDBOX:?ST_SANDBOX must name the sealtrain-sandbox binary}"
deps="${ST_TOP_BUILDDIR:-.}/tests/integration/node-deps"
mkdir -p "$deps" || exit 1
# Reinstall only when the manifest changed.
if ! cmp -s "$here/package.json" "$deps/package.json" ||
   ! cmp -s "$here/package-lock.json" "$deps/package-lock.json" ||
   [ ! -d "$deps/node_modules" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$deps/" || exit 1
	(cd "$deps" && npm ci --no-audit --no-fund --loglevel=error) || {
		echo "npm ci failed in $deps"; exit 1; }
fi
NODE_PATH="$deps/node_modules"
export NODE_PATH ST_SANDBOX
set -- "$here"/test_*.js
[ -e "$1" ] || { echo "no test_*.js in $here"; exit 1; }
exec node --test "$@"
