/* The GPU capacity model behind Compute and Vertex: how many GPUs a machine shape
 * needs, and the seeded schedule on which simulated other tenants take and release
 * GPUs in a zone. Pure arithmetic, no store: the compute module sums up what the
 * sandbox's own reservations and VMs hold and asks here what is left. */
#ifndef SB_CAPACITY_H
#define SB_CAPACITY_H

#include <jansson.h>
#include <stdint.h>

/* Last path segment of a URL or partial URL ("zones/z/machineTypes/a3-highgpu-1g"). */
const char *cap_basename(const char *url);

/* GPUs a VM shape needs. machine_type may be a URL; accels is guestAccelerators (may be
 * NULL). A2/A3 shapes carry their GPUs implicitly; explicit accelerators on them must
 * match. Writes the accelerator type name to gpu_type (may be "" when none).
 * Returns the count, or -1 with a reason in err when the shape is inconsistent. */
int cap_shape_gpus(const char *machine_type, const json_t *accels, char *gpu_type,
		   size_t gpu_type_size, char *err, size_t errlen);

/* GPUs held by simulated other tenants in zone at sandbox time now_ms: constant over
 * slots of slot_s sandbox seconds, drawn from (seed, zone, slot) in [0, max_gpus]. */
int cap_tenant_gpus(uint64_t seed, const char *zone, int64_t now_ms, int max_gpus,
		    int slot_s);

/* Free GPUs in a zone: capacity minus everything held, never negative. */
int cap_free(int capacity, int reserved, int on_demand, int tenants);

/* Whether a SPOT VM is preempted in a step of dt_ms sandbox milliseconds when the
 * expected rate is rate_per_hour preemptions per sandbox hour; u is uniform [0,1). */
int cap_preempt_now(double rate_per_hour, int64_t dt_ms, double u);

#endif
