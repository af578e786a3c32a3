# bench/: trainer benchmarks (run by hand: make bench-trainer).
