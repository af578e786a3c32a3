#!/bin/sh
# Builds sealtrain and runs every test twice: a plain -Werror build with `make check`
# and `make distcheck`, then an ASan+UBSan build with `make check`. Builds are out of
# tree (build/, build-asan/). Ends with one line: "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
sh tests/deps.sh || { echo "dependency install failed"; echo "0 passed, 1 failed"; exit 1; }
./autogen.sh >/dev/null || { echo "autogen.sh failed"; echo "0 passed, 1 failed"; exit 1; }

pass=0
fail=0
# Adds the counts automake printed for one `make check` to the totals.
count() {
	p=$(sed -n 's/^# PASS: *\([0-9]*\)/\1/p; s/^# XFAIL: *\([0-9]*\)/\1/p' "$1" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^# FAIL: *\([0-9]*\)/\1/p; s/^# XPASS: *\([0-9]*\)/\1/p; s/^# ERROR: *\([0-9]*\)/\1/p' "$1" | awk '{s+=$1} END {print s+0}')
	pass=$((pass + p))
	fail=$((fail + f))
}

suite() {
	name=$1
	shift
	echo "=== $name build: configure $*"
	mkdir -p "$top/$name" && cd "$top/$name" || return 1
	if ! "$top/configure" --enable-werror "$@" >configure.out 2>&1; then
		tail -20 configure.out
		cd "$top"
		return 1
	fi
	make -j2 >make.out 2>&1 || { tail -40 make.out; cd "$top"; return 1; }
	make -j2 check >check.out 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|XFAIL|XPASS|ERROR|SKIP):|^# ' check.out
	count check.out
	if [ $rc -ne 0 ]; then
		for log in $(find . -name '*.log' ! -name config.log ! -name test-suite.log); do
			grep -lqE '^(FAIL|ERROR)|^not ok' "$log" 2>/dev/null && { echo "--- $log"; tail -40 "$log"; }
		done
	fi
	cd "$top"
	return $rc
}

status=0
suite build || status=1
[ -f build/check.out ] || fail=$((fail + 1))
suite build-asan --enable-asan || status=1
[ -f build-asan/check.out ] || fail=$((fail + 1))

echo "=== make distcheck"
if (cd "$top/build" && make -j2 distcheck >distcheck.out 2>&1); then
	pass=$((pass + 1))
	echo "PASS: make distcheck"
else
	fail=$((fail + 1))
	status=1
	echo "FAIL: make distcheck"
	tail -40 "$top/build/distcheck.out" 2>/dev/null
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $status -eq 0 ]
