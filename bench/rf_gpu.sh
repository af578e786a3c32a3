#!/bin/sh
# sealtrain-rf on a GPU machine: builds with the plain trainer/Makefile (as the VM does),
# generates the three benchmark data sets, runs the CPU and CUDA paths on each and prints
# accuracy, fit seconds, end-to-end seconds and whether both paths grew identical forests
# (same model.rf SHA-256). Usage: sh bench/rf_gpu.sh [SIZES...]  (default: 10k 200k 1m)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=${RF_WORK:-/tmp/rf-gpu}
mkdir -p "$work"
(cd "$top/trainer" && make -j"$(nproc)" CUDA_ARCH="${CUDA_ARCH:--gencode arch=compute_90,code=sm_90}" >"$work/build.log" 2>&1) ||
	{ tail -30 "$work/build.log"; exit 1; }
rf="$top/trainer/sealtrain-rf"
cc -O2 -o "$work/rf_gen" "$top/bench/rf_gen.c" -lm
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader
echo "host: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" "$2" | tail -1 | tr -d '"'; }
run() { # name data device
	out="$work/out-$1-$3"
	t0=$(date +%s.%N)
	"$rf" --data "$2" --out "$out" --device "$3" >"$work/log-$1-$3" 2>&1 || { tail -3 "$work/log-$1-$3"; return 1; }
	t1=$(date +%s.%N)
	done_line=$(grep '"event":"done"' "$work/log-$1-$3")
	printf '%-5s %-4s accuracy %s fit %ss parse %ss total %.2fs nodes %s depth %s sha %s\n' "$1" "$3" \
		"$(echo "$done_line" | sed 's/.*"accuracy":\([^,]*\).*/\1/')" \
		"$(echo "$done_line" | sed 's/.*"fit_seconds":\([^,]*\).*/\1/')" \
		"$(field parse_seconds "$out/metrics.json")" \
		"$(awk "BEGIN {print $t1 - $t0}")" \
		"$(echo "$done_line" | sed 's/.*"nodes":\([^,]*\).*/\1/')" \
		"$(echo "$done_line" | sed 's/.*"max_depth":\([^,]*\).*/\1/')" \
		"$(echo "$done_line" | sed 's/.*"model_sha256":"\([0-9a-f]\{12\}\).*/\1/')"
}
sizes=${*:-10k 200k 1m}
for s in $sizes; do
	case $s in
	10k) spec="10000 20 1" ;;
	200k) spec="200000 28 2" ;;
	1m) spec="1000000 28 3" ;;
	*) echo "unknown size $s"; exit 2 ;;
	esac
	[ -f "$work/$s.csv" ] || "$work/rf_gen" $spec >"$work/$s.csv"
	run "$s" "$work/$s.csv" cuda
	run "$s" "$work/$s.csv" cpu
	a=$(cmp -s "$work/out-$s-cuda/model.rf" "$work/out-$s-cpu/model.rf" && echo identical || echo DIFFERENT)
	echo "$s: CPU and CUDA forests $a"
done
