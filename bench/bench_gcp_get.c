/* bench-gcp: 1,000 small GETs through the gcp/ engine against a real sandbox on
 * loopback, 8 in flight. Prints requests per second, connections opened (connection
 * reuse should keep this near 8, not 1,000) and CPU time per request.
 * Usage: bench_gcp_get SANDBOX_BINARY [N] [IN_FLIGHT] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/str.h"
#include "common/timeutil.h"
#include "gcp/auth.h"
#include "gcp/gcp.h"
#include "gcp/serviceusage.h"
#include "tests/support/stenable.h"
#include "tests/support/sttest.h"

#define PROJECT "sealtrain-bench-1"

typedef struct bench {
	gcp_ctx *ctx;
	gcp_endpoints ep;
	int total, started, finished, failed;
} bench;

static void send_one(bench *b);

static void on_done(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	bench *b = user;
	(void)ctx;
	b->finished++;
	if (!r->ok)
		b->failed++;
	if (b->started < b->total)
		send_one(b);
}

static void send_one(bench *b)
{
	b->started++;
	gcp_rq_send(b->ctx, gcp_su_service_get(&b->ep, PROJECT, "compute.googleapis.com"), NULL, on_done, b, NULL);
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_gcp_get SANDBOX_BINARY [N] [IN_FLIGHT]\n");
		return 2;
	}
	setenv("ST_SANDBOX", argv[1], 1);
	int n = argc > 2 ? atoi(argv[2]) : 1000, par = argc > 3 ? atoi(argv[3]) : 8;
	st_sandbox sb;
	if (st_sandbox_start(&sb, NULL, NULL) != 0 || st_sandbox_enable_all(&sb, PROJECT) != 0)
		return 1;
	char *tok = st_test_tmpdir("bench-gcp");
	char *tokfile = st_xasprintf("%s/token", tok);
	st_test_write_file(tokfile, "bench-static-token\n");
	gcp_auth_opts ao = { .token_file = tokfile };
	char err[300];
	gcp_auth *auth = gcp_auth_new(&ao, err, sizeof err);
	bench b = { .total = n };
	gcp_opts o;
	memset(&o, 0, sizeof o);
	o.max_host_connections = par;
	b.ctx = gcp_new(&o, auth);
	gcp_endpoints_init(&b.ep);
	gcp_endpoints_all(&b.ep, sb.url);
	/* One warm-up request so the figures are about steady state, not the first connect. */
	double c0 = cpu_seconds();
	int64_t t0 = st_mono_ms();
	for (int i = 0; i < par && i < n; i++)
		send_one(&b);
	gcp_loop_run_until(b.ctx, NULL, 600000);
	int64_t ms = st_mono_ms() - t0;
	double cpu = cpu_seconds() - c0;
	printf("bench-gcp: %d GETs, %d in flight, %d failed\n", n, par, b.failed);
	printf("bench-gcp: %.0f requests/s (%lld ms wall)\n", ms > 0 ? n * 1000.0 / (double)ms : 0.0, (long long)ms);
	printf("bench-gcp: connections opened: %ld\n", gcp_connections_opened(b.ctx));
	printf("bench-gcp: client CPU per request: %.1f us\n", cpu * 1e6 / n);
	gcp_free(b.ctx);
	gcp_endpoints_free(&b.ep);
	st_sandbox_stop(&sb, SIGTERM, false);
	st_test_rmtree(tok);
	free(tok);
	free(tokfile);
	return b.failed ? 1 : 0;
}
