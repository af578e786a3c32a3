/* Deterministic synthetic classification data for the sealtrain-rf benchmarks:
 * rf_gen ROWS FEATURES SEED [CLASSES] > data.csv
 * A few informative features drive a non-linear score (products, a sine, a step) plus
 * noise; the rest are noise columns. A random forest lands near 90 % on it, so accuracy
 * differences between trainers are visible. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state;

static uint64_t next(void)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(void)
{
	return ((next() >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: rf_gen ROWS FEATURES SEED [CLASSES]\n");
		return 2;
	}
	long rows = atol(argv[1]), nf = atol(argv[2]);
	int classes = argc > 4 ? atoi(argv[4]) : 2;
	state = strtoull(argv[3], NULL, 10);
	if (rows < 1 || nf < 6 || classes < 2) {
		fprintf(stderr, "rf_gen: need ROWS >= 1, FEATURES >= 6, CLASSES >= 2\n");
		return 2;
	}
	double *x = malloc(nf * sizeof(double));
	for (long f = 0; f < nf; f++)
		printf("f%ld,", f);
	printf("label\n");
	for (long r = 0; r < rows; r++) {
		for (long f = 0; f < nf; f++)
			x[f] = gauss();
		double s = 1.2 * x[0] - 0.8 * x[1] + x[2] * x[3] + 1.5 * sin(2 * x[4]) +
			   (x[5] > 0.3 ? 0.9 : -0.4) + 0.5 * x[0] * x[5] + 0.6 * gauss();
		int y;
		if (classes == 2) {
			y = s > 0.2;
		} else {
			/* Cut the score at its (roughly) equal-probability points. */
			double u = 0.5 * (1 + erf(s / 2.2 / sqrt(2)));
			y = (int)(u * classes);
			y = y >= classes ? classes - 1 : y;
		}
		for (long f = 0; f < nf; f++)
			printf("%.6f,", x[f]);
		printf("%d\n", y);
	}
	free(x);
	return 0;
}
