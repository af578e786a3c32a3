# bench/: trainer benchmarks (run by hand: make bench-trainer). They print figures; they
# are never part of make check. bench/rf_gpu.sh is for a machine with a GPU.
EXTRA_DIST += bench/rf_gen.c bench/rf_bench.sh bench/rf_sklearn.py bench/rf_gpu.sh bench/rf_gpu_check.sh
bench-trainer: sealtrain-rf
	sh $(srcdir)/bench/rf_bench.sh $(abs_builddir)/sealtrain-rf
.PHONY: bench-trainer
