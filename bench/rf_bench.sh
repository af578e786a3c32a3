#!/bin/sh
# sealtrain-rf (CPU path) against scikit-learn's RandomForestClassifier(n_estimators=100,
# random_state=42, n_jobs=2) on the same deterministic synthetic data and the same 80/20
# split (the generator's rows are independent, so its first 80 % train and the rest test).
# usage: sh bench/rf_bench.sh [SEALTRAIN-RF] [SIZES...]   sizes: 10k 200k 1m (default 10k 200k)
# Timings depend on the machine and on what else runs: report them with both.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
rf=${1:-$top/trainer/sealtrain-rf}
[ $# -gt 0 ] && shift
work=${RF_WORK:-/tmp/rf-bench}
py=${PYTHON:-/usr/bin/python3}
mkdir -p "$work"
cc -O2 -o "$work/rf_gen" "$top/bench/rf_gen.c" -lm
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uptime | sed 's/.*load/load/')"
for s in ${*:-10k 200k}; do
	case $s in
	10k) spec="10000 20 1" n=10000 ;;
	200k) spec="200000 28 2" n=200000 ;;
	1m) spec="1000000 28 3" n=1000000 ;;
	*) echo "unknown size $s"; exit 2 ;;
	esac
	if [ ! -f "$work/$s-test.csv" ]; then
		"$work/rf_gen" $spec >"$work/$s.csv"
		ntr=$((n * 8 / 10))
		head -n $((ntr + 1)) "$work/$s.csv" >"$work/$s-train.csv"
		{ head -n 1 "$work/$s.csv"; tail -n +$((ntr + 2)) "$work/$s.csv"; } >"$work/$s-test.csv"
	fi
	"$rf" --data "$work/$s-train.csv" --test-data "$work/$s-test.csv" --device cpu \
		--out "$work/out-$s" >"$work/log-$s" 2>&1 || { tail -3 "$work/log-$s"; exit 1; }
	echo "$s sealtrain-rf cpu: $(grep '"event":"done"' "$work/log-$s" | sed 's/^sealtrain-rf: //')"
	if "$py" -c "import sklearn" 2>/dev/null; then
		echo "$s scikit-learn:     $("$py" "$top/bench/rf_sklearn.py" "$work/$s-train.csv" "$work/$s-test.csv" 2)"
	else
		echo "$s scikit-learn: not installed for $py (apt-get install python3-sklearn)"
	fi
done
