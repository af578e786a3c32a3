#include "sandbox/capacity.h"

#include <stdio.h>
#include <string.h>

#include "common/str.h"

const char *cap_basename(const char *url)
{
	const char *slash = url ? strrchr(url, '/') : NULL;

	return slash ? slash + 1 : (url ? url : "");
}

/* Shapes whose GPUs come with the machine type; everything else (N1, G2 and the
 * CPU-only families) takes guestAccelerators at face value. */
static const struct {
	const char *prefix;
	const char *gpu;
} implicit_gpus[] = {
	{"a3-highgpu-", "nvidia-h100-80gb"},
	{"a3-megagpu-", "nvidia-h100-mega-80gb"},
	{"a2-highgpu-", "nvidia-tesla-a100"},
	{"a2-megagpu-", "nvidia-tesla-a100"},
	{"a2-ultragpu-", "nvidia-a100-80gb"},
};

static int implicit_count(const char *mt, const char **gpu)
{
	size_t i, n;
	int count;

	for (i = 0; i < sizeof(implicit_gpus) / sizeof(implicit_gpus[0]); i++) {
		n = strlen(implicit_gpus[i].prefix);
		if (strncmp(mt, implicit_gpus[i].prefix, n) != 0)
			continue;
		if (sscanf(mt + n, "%dg", &count) != 1 || count < 1 || count > 16)
			return -1;
		*gpu = implicit_gpus[i].gpu;
		return count;
	}
	return 0;
}

static int sum_accels(const json_t *accels, char *gpu_type, size_t size, char *err,
		      size_t errlen)
{
	size_t i;
	json_t *a;
	int total = 0;

	json_array_foreach(accels, i, a) {
		const char *type = json_string_value(json_object_get(a, "acceleratorType"));
		json_int_t n = json_integer_value(json_object_get(a, "acceleratorCount"));

		if (!type || n < 1 || n > 16) {
			snprintf(err, errlen, "guestAccelerators[%zu] needs acceleratorType and "
				 "an acceleratorCount between 1 and 16", i);
			return -1;
		}
		if (total > 0 && strcmp(gpu_type, cap_basename(type)) != 0) {
			snprintf(err, errlen, "guestAccelerators mixes accelerator types");
			return -1;
		}
		st_strlcpy(gpu_type, cap_basename(type), size);
		total += (int)n;
	}
	return total;
}

int cap_shape_gpus(const char *machine_type, const json_t *accels, char *gpu_type,
		   size_t gpu_type_size, char *err, size_t errlen)
{
	const char *mt = cap_basename(machine_type), *implied = NULL;
	char given[64] = "";
	int n_implied = implicit_count(mt, &implied), n_given;

	gpu_type[0] = '\0';
	if (n_implied < 0) {
		snprintf(err, errlen, "machine type '%s' is not a known GPU shape", mt);
		return -1;
	}
	n_given = json_is_array(accels) ? sum_accels(accels, given, sizeof(given), err, errlen) : 0;
	if (n_given < 0)
		return -1;
	if (n_implied == 0) {
		st_strlcpy(gpu_type, given, gpu_type_size);
		return n_given;
	}
	if (n_given > 0 && (n_given != n_implied || strcmp(given, implied) != 0)) {
		snprintf(err, errlen, "machine type '%s' comes with %d %s; guestAccelerators "
			 "asks for %d %s", mt, n_implied, implied, n_given, given);
		return -1;
	}
	st_strlcpy(gpu_type, implied, gpu_type_size);
	return n_implied;
}

/* splitmix64: a good, tiny mixer so neighbouring slots look unrelated. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

int cap_tenant_gpus(uint64_t seed, const char *zone, int64_t now_ms, int max_gpus, int slot_s)
{
	uint64_t h = seed;
	const char *p;

	if (max_gpus <= 0 || slot_s <= 0 || now_ms < 0)
		return 0;
	for (p = zone; *p; p++)
		h = mix(h ^ (unsigned char)*p);
	h = mix(h ^ (uint64_t)(now_ms / 1000 / slot_s));
	return (int)(h % (uint64_t)(max_gpus + 1));
}

int cap_free(int capacity, int reserved, int on_demand, int tenants)
{
	int left = capacity - reserved - on_demand - tenants;

	return left > 0 ? left : 0;
}

int cap_preempt_now(double rate_per_hour, int64_t dt_ms, double u)
{
	double p;

	if (rate_per_hour <= 0 || dt_ms <= 0)
		return 0;
	/* Ticks are ~100 ms, so rate*dt is tiny and the first-order term of the
	 * Poisson probability 1-exp(-rate*dt) is accurate enough (and needs no libm). */
	p = rate_per_hour * (double)dt_ms / 3600000.0;
	return u < p;
}
