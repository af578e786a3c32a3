#include "trainer/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trainer/backend.h"

/* Allocation failure in the trainer is not recoverable: say so in one line and stop. */
static void oom(size_t n)
{
	fprintf(stderr, "sealtrain-rf: out of memory allocating %zu bytes\n", n);
	exit(1);
}

void *rf_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *rf_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *rf_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *rf_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(rf_xmalloc(n), s, n);
}

int rf_err(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, RF_ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

double rf_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

unsigned rf_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

struct piece {
	void (*fn)(void *, uint64_t, uint64_t);
	void *arg;
	uint64_t lo, hi;
};

static void *run_piece(void *p)
{
	struct piece *pc = p;
	pc->fn(pc->arg, pc->lo, pc->hi);
	return NULL;
}

void rf_parallel(uint64_t n, unsigned threads, void (*fn)(void *arg, uint64_t lo, uint64_t hi), void *arg)
{
	if (threads < 1)
		threads = 1;
	if (threads > n)
		threads = n ? (unsigned)n : 1;
	struct piece pc[256];
	pthread_t th[256];
	int started[256] = { 0 };
	if (threads > 256)
		threads = 256;
	for (unsigned t = 0; t < threads; t++) {
		pc[t] = (struct piece){ fn, arg, n * t / threads, n * (t + 1) / threads };
		if (t)
			started[t] = !pthread_create(&th[t], NULL, run_piece, &pc[t]);
	}
	run_piece(&pc[0]);
	for (unsigned t = 1; t < threads; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else
			run_piece(&pc[t]);
	}
}
