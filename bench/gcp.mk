# bench/: gcp benchmarks (run by hand: make bench-gcp; never part of make check).
EXTRA_PROGRAMS += bench/bench_gcp_get
bench_bench_gcp_get_SOURCES = bench/bench_gcp_get.c
bench_bench_gcp_get_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
bench_bench_gcp_get_LDADD = gcp/libsealtrain_gcp.a tests/support/libsttest.a $(ST_COMMON_LIBS) $(CURL_LIBS) $(CRYPTO_LIBS)
CLEANFILES += bench/bench_gcp_get
bench-gcp: tests/support/libsttest.a bench/bench_gcp_get sealtrain-sandbox
	bench/bench_gcp_get $(abs_builddir)/sealtrain-sandbox 1000 8
.PHONY: bench-gcp
