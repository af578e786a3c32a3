/* Fault injection: "503:0.1,429:0.05,latency:50ms,reset:0.01". One draw per request
 * from a generator seeded by --seed, so the same seed and the same request order give
 * the same faults. Every injected fault is written to the sandbox log. */
#include "sandbox/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_prob(const char *v, double *out)
{
	char *end;
	errno = 0;
	double p = strtod(v, &end);
	if (errno || end == v || *end || p < 0 || p > 1)
		return -1;
	*out = p;
	return 0;
}

static int parse_latency(const char *v, int *ms)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || n < 0 || n > 60000)
		return -1;
	if (strcmp(end, "ms") == 0 || *end == '\0')
		*ms = (int)n;
	else if (strcmp(end, "s") == 0 && n <= 60)
		*ms = (int)n * 1000;
	else
		return -1;
	return 0;
}

static int parse_item(sb_faults *f, char *item, char *err, size_t errlen)
{
	char *colon = strchr(item, ':');
	if (!colon) {
		snprintf(err, errlen, "'%s': expected KIND:VALUE", item);
		return -1;
	}
	*colon = '\0';
	const char *k = item, *v = colon + 1;
	int rc = -1;
	if (strcmp(k, "503") == 0)
		rc = parse_prob(v, &f->p503);
	else if (strcmp(k, "429") == 0)
		rc = parse_prob(v, &f->p429);
	else if (strcmp(k, "reset") == 0 || strcmp(k, "drop") == 0)
		rc = parse_prob(v, &f->preset);
	else if (strcmp(k, "latency") == 0)
		rc = parse_latency(v, &f->latency_ms);
	else {
		snprintf(err, errlen, "unknown fault kind '%s' (known: 503, 429, reset, latency)", k);
		return -1;
	}
	if (rc < 0)
		snprintf(err, errlen, "%s:%s: %s", k, v,
			 strcmp(k, "latency") == 0 ? "expected a duration such as 50ms"
						   : "expected a probability between 0 and 1");
	return rc;
}

int sb_faults_parse(sb_faults *f, const char *spec, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	if (!spec || !*spec)
		return 0;
	char *copy = st_xstrdup(spec);
	int rc = 0;
	for (char *save = NULL, *item = strtok_r(copy, ",", &save); item && rc == 0;
	     item = strtok_r(NULL, ",", &save))
		rc = parse_item(f, st_trim(item), err, errlen);
	free(copy);
	if (rc == 0 && f->p503 + f->p429 + f->preset > 1.0) {
		snprintf(err, errlen, "the probabilities add up to more than 1");
		rc = -1;
	}
	return rc;
}

/* Called under the server mutex, in request arrival order. */
int sb_faults_pick(sb_server *s, int *latency_ms)
{
	sb_faults *f = &s->faults;
	double r = sb_rng_unit(&f->rng);
	*latency_ms = f->latency_ms;
	int what = 0;
	if (r < f->p503)
		what = 503;
	else if (r < f->p503 + f->p429)
		what = 429;
	else if (r < f->p503 + f->p429 + f->preset)
		what = -1;
	if (what) {
		f->injected++;
		sb_log(s, "fault injected #%llu: %s", (unsigned long long)f->injected,
		       what == -1 ? "connection reset" : what == 503 ? "503 UNAVAILABLE"
								    : "429 RESOURCE_EXHAUSTED");
	}
	return what;
}
