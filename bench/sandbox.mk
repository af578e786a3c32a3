# bench/: sandbox benchmarks (run by hand: make bench-sandbox). They print figures and
# are never built by make or make check. bench_sandbox_cmek: CMEK object upload and
# download throughput against openssl's AES-256-GCM speed on the same machine;
# bench_sandbox_kms: small KMS encrypt requests per second from 8 concurrent clients;
# bench_sandbox_contend: p50/p99 latency of small calls while 64 MiB objects are
# uploaded or downloaded by another client.
SB_BENCH = bench/bench_sandbox_cmek bench/bench_sandbox_kms bench/bench_sandbox_contend
# EXTRA_PROGRAMS is declared empty in Makefile.am.
EXTRA_PROGRAMS += $(SB_BENCH)
CLEANFILES += $(SB_BENCH)
bench_bench_sandbox_cmek_SOURCES = bench/bench_sandbox_cmek.c bench/bench_sandbox_util.h
bench_bench_sandbox_cmek_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
bench_bench_sandbox_cmek_LDADD = tests/support/libsttest.a $(ST_COMMON_LIBS) $(CURL_LIBS) \
	$(PTHREAD_LIBS)
bench_bench_sandbox_kms_SOURCES = bench/bench_sandbox_kms.c bench/bench_sandbox_util.h
bench_bench_sandbox_kms_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
bench_bench_sandbox_kms_LDADD = tests/support/libsttest.a $(ST_COMMON_LIBS) $(CURL_LIBS) \
	$(PTHREAD_LIBS)

bench_bench_sandbox_contend_SOURCES = bench/bench_sandbox_contend.c bench/bench_sandbox_util.h
bench_bench_sandbox_contend_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
bench_bench_sandbox_contend_LDADD = tests/support/libsttest.a $(ST_COMMON_LIBS) $(CURL_LIBS) \
	$(PTHREAD_LIBS)

bench-sandbox: sealtrain-sandbox tests/support/libsttest.a $(SB_BENCH)
	ST_SANDBOX=$(abs_builddir)/sealtrain-sandbox ./bench/bench_sandbox_cmek
	ST_SANDBOX=$(abs_builddir)/sealtrain-sandbox ./bench/bench_sandbox_kms
	ST_SANDBOX=$(abs_builddir)/sealtrain-sandbox ./bench/bench_sandbox_contend
.PHONY: bench-sandbox
