/* Compute zones and machine types: a fixed catalog, so that a client can see which
 * zone offers which GPU shape before it inserts anything. The catalog is the
 * sandbox's own (a handful of real zone and shape names with plausible figures), not
 * Google's current availability. Inserts are not checked against it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "sandbox/compute.h"

/* Google reports this creation time for its zones and machine types. */
#define CO_EPOCH_TS "1969-12-31T16:00:00.000-08:00"

static const char *const intel_amd[] = {"Intel Sapphire Rapids", "Intel Ice Lake",
					"Intel Cascade Lake", "AMD Genoa", "AMD Milan", NULL};
static const char *const intel_only[] = {"Intel Sapphire Rapids", "Intel Ice Lake",
					 "Intel Cascade Lake", NULL};

/* In name order (lists come out in that order). */
static const struct zone {
	const char *name, *region;
	const char *const *cpus;
} zones[] = {
	{"asia-east1-c", "asia-east1", intel_only},
	{"europe-west4-a", "europe-west4", intel_amd},
	{"europe-west4-b", "europe-west4", intel_amd},
	{"us-central1-a", "us-central1", intel_amd},
	{"us-central1-b", "us-central1", intel_amd},
	{"us-east1-d", "us-east1", intel_amd},
};
#define NZONES (sizeof zones / sizeof *zones)

/* Zone bits, by index in zones[]. */
#define Z_ALL 0x3fu
#define Z_ASIA_E1C (1u << 0)
#define Z_EU_W4A (1u << 1)
#define Z_EU_W4B (1u << 2)
#define Z_US_C1A (1u << 3)
#define Z_US_C1B (1u << 4)
#define Z_US_E1D (1u << 5)
#define Z_H100 (Z_US_C1A | Z_EU_W4B | Z_US_E1D)
#define Z_A100_L4 (Z_US_C1A | Z_US_C1B | Z_EU_W4A | Z_ASIA_E1C)

/* In name order. */
static const struct machine_type {
	const char *name;
	int cpus;
	int memory_mb;
	bool shared_cpu;
	const char *gpu;
	int gpus;
	unsigned zones;
} types[] = {
	{"a2-highgpu-1g", 12, 87040, false, "nvidia-tesla-a100", 1, Z_A100_L4},
	{"a3-highgpu-1g", 26, 239616, false, "nvidia-h100-80gb", 1, Z_H100},
	{"a3-highgpu-8g", 208, 1916928, false, "nvidia-h100-80gb", 8, Z_H100},
	{"c2d-standard-4", 4, 16384, false, NULL, 0, Z_ALL & ~Z_ASIA_E1C},
	{"c3-standard-4", 4, 16384, false, NULL, 0, Z_ALL},
	{"c3d-standard-4", 4, 16384, false, NULL, 0, Z_ALL & ~Z_ASIA_E1C},
	{"e2-small", 2, 2048, true, NULL, 0, Z_ALL},
	{"e2-standard-4", 4, 16384, false, NULL, 0, Z_ALL},
	{"g2-standard-4", 4, 16384, false, "nvidia-l4", 1, Z_A100_L4},
	{"n1-standard-4", 4, 15360, false, NULL, 0, Z_ALL},
	{"n2d-standard-4", 4, 16384, false, NULL, 0, Z_ALL & ~Z_ASIA_E1C},
};
#define NTYPES (sizeof types / sizeof *types)

static int zone_index(const char *name)
{
	for (size_t i = 0; i < NZONES; i++)
		if (name && !strcmp(zones[i].name, name))
			return (int)i;
	return -1;
}

static json_t *zone_doc(sb_server *s, const char *project, size_t i)
{
	char *full = st_xasprintf("projects/%s/zones/%s", project, zones[i].name);
	char *region = st_xasprintf("projects/%s/regions/%s", project, zones[i].region);
	char *self = co_link(s, full), *rlink = co_link(s, region);
	json_t *cpus = json_array();
	for (const char *const *p = zones[i].cpus; *p; p++)
		json_array_append_new(cpus, json_string(*p));
	json_t *z = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "kind",
			      "compute#zone", "id", stj_int64_string(2000 + (int64_t)i),
			      "creationTimestamp", CO_EPOCH_TS, "name", zones[i].name,
			      "description", zones[i].name, "status", "UP", "region", rlink,
			      "selfLink", self, "availableCpuPlatforms", cpus, "supportsPzs", 0);
	free(full), free(region), free(self), free(rlink);
	return z;
}

static json_t *type_doc(sb_server *s, const char *project, size_t zi, size_t ti)
{
	const struct machine_type *t = &types[ti];
	char *full = st_xasprintf("projects/%s/zones/%s/machineTypes/%s", project,
				  zones[zi].name, t->name);
	char *self = co_link(s, full);
	char desc[80];
	if (t->memory_mb % 1024)
		snprintf(desc, sizeof desc, "%d vCPUs, %.2f GB RAM", t->cpus, t->memory_mb / 1024.0);
	else
		snprintf(desc, sizeof desc, "%d vCPUs, %d GB RAM", t->cpus, t->memory_mb / 1024);
	json_t *m = json_pack("{s:s, s:o, s:s, s:s, s:s, s:i, s:i, s:b, s:i, s:s, s:s, s:s}",
			      "kind", "compute#machineType", "id",
			      stj_int64_string(901000 + (int64_t)ti), "creationTimestamp",
			      CO_EPOCH_TS, "name", t->name, "description", desc, "guestCpus",
			      t->cpus, "memoryMb", t->memory_mb, "isSharedCpu", t->shared_cpu,
			      "maximumPersistentDisks", 128, "maximumPersistentDisksSizeGb",
			      "263168", "zone", zones[zi].name, "selfLink", self);
	if (t->gpu)
		json_object_set_new(m, "accelerators",
				    json_pack("[{s:s, s:i}]", "guestAcceleratorType", t->gpu,
					      "guestAcceleratorCount", t->gpus));
	free(full), free(self);
	return m;
}

/* The zone the route names, or -1 once it has answered 404. */
static int route_zone(sb_call *c)
{
	int zi = zone_index(sb_var(c, "zone"));
	if (zi < 0) {
		char *full = st_xasprintf("projects/%s/zones/%s", sb_var(c, "project"),
					  sb_var(c, "zone"));
		co_not_found(c, full);
		free(full);
	}
	return zi;
}

void co_zone_get(sb_server *s, sb_call *c)
{
	int zi = route_zone(c);
	if (zi >= 0)
		sb_reply_json(c, 200, zone_doc(s, sb_var(c, "project"), (size_t)zi));
}

void co_zone_list(sb_server *s, sb_call *c)
{
	const char *project = sb_var(c, "project");
	char *prefix = st_xasprintf("projects/%s/zones/", project);
	json_t *all = json_array();
	for (size_t i = 0; i < NZONES; i++)
		json_array_append_new(all, zone_doc(s, project, i));
	co_reply_items(s, c, all, prefix, "compute#zoneList");
	json_decref(all);
	free(prefix);
}

void co_machine_type_get(sb_server *s, sb_call *c)
{
	int zi = route_zone(c);
	const char *name = sb_var(c, "machineType");
	if (zi < 0)
		return;
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(types[i].name, name) && (types[i].zones & (1u << zi))) {
			sb_reply_json(c, 200, type_doc(s, sb_var(c, "project"), (size_t)zi, i));
			return;
		}
	char *full = st_xasprintf("projects/%s/zones/%s/machineTypes/%s", sb_var(c, "project"),
				  zones[zi].name, name);
	co_not_found(c, full);
	free(full);
}

void co_machine_type_list(sb_server *s, sb_call *c)
{
	int zi = route_zone(c);
	if (zi < 0)
		return;
	const char *project = sb_var(c, "project");
	char *prefix = st_xasprintf("projects/%s/zones/%s/machineTypes/", project,
				    zones[zi].name);
	json_t *all = json_array();
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].zones & (1u << zi))
			json_array_append_new(all, type_doc(s, project, (size_t)zi, i));
	co_reply_items(s, c, all, prefix, "compute#machineTypeList");
	json_decref(all);
	free(prefix);
}
