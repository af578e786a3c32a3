#!/bin/sh
# Same-forest check of the CUDA path against the CPU path on option mixes the timing runs
# do not cover: several classes, 256 bins with every feature tried (node histograms too
# large for shared memory), leaf and depth limits. Needs a GPU; run from the repository.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=${RF_WORK:-/tmp/rf-gpu}
mkdir -p "$work"
(cd "$top/trainer" && make -j"$(nproc)" CUDA_ARCH="${CUDA_ARCH:--gencode arch=compute_90,code=sm_90}" >"$work/build.log" 2>&1) ||
	{ tail -30 "$work/build.log"; exit 1; }
rf="$top/trainer/sealtrain-rf"
cc -O2 -o "$work/rf_gen" "$top/bench/rf_gen.c" -lm
"$work/rf_gen" 30000 16 11 5 >"$work/c5.csv"
"$work/rf_gen" 30000 28 12 2 >"$work/c2.csv"
fail=0
check() { # data, options...
	d=$1
	shift
	for dev in cpu cuda; do
		"$rf" --data "$work/$d.csv" --device $dev --out "$work/chk-$dev" "$@" >"$work/chk-$dev.log" 2>&1 ||
			{ tail -2 "$work/chk-$dev.log"; fail=1; return; }
	done
	a=$(sed -n 's/.*"model_sha256":"\([0-9a-f]*\)".*/\1/p' "$work/chk-cpu.log")
	b=$(sed -n 's/.*"model_sha256":"\([0-9a-f]*\)".*/\1/p' "$work/chk-cuda.log")
	acc=$(sed -n 's/.*"event":"done","accuracy":\([0-9.]*\).*/\1/p' "$work/chk-cuda.log")
	if [ "$a" = "$b" ]; then echo "same forest  $d $* (accuracy $acc)"; else echo "DIFFERENT    $d $*"; fail=1; fi
}
check c5 --trees 20
check c5 --trees 10 --bins 256 --max-features all
check c2 --trees 10 --bins 256 --max-features all --min-samples-leaf 3
check c2 --trees 20 --max-depth 10 --min-samples-split 10
check c2 --trees 20 --max-features 0.5 --bins 16
exit $fail
