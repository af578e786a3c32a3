# bench/: sandbox benchmarks (run by hand: make bench-sandbox).
