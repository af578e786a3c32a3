# bench/: gcp benchmarks (run by hand: make bench-gcp).
