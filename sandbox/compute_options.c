#include "sandbox/compute_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sandbox/compute.h"

const char sb_control_usage[] =
	"  --gpus-per-zone N   GPUs in each zone, shared by reservations and VMs (default 2)\n"
	"  --preempt-rate R    SPOT preemptions per VM per sandbox hour (default 0)\n"
	"  --tenant-gpus N     most GPUs simulated other tenants hold in a zone (default 0)\n"
	"  --tenant-slot S     sandbox seconds between tenant changes (default 300)\n"
	"  --guest-timeout S   real seconds a startup script or job may run (default 3600)\n";

static int int_in(const char *name, const char *v, long lo, long hi, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi) {
		fprintf(stderr, "sealtrain-sandbox: --%s %s: expected an integer from %ld to %ld\n",
			name, v, lo, hi);
		return -1;
	}
	*out = (int)n;
	return 0;
}

int sb_control_option(int code, const char *value)
{
	char *end;
	double d;

	switch (code) {
	case SB_OPT_GPUS_PER_ZONE:
		return int_in("gpus-per-zone", value, 0, 100000, &co_opt.gpus_per_zone);
	case SB_OPT_TENANT_GPUS:
		return int_in("tenant-gpus", value, 0, 100000, &co_opt.tenant_gpus);
	case SB_OPT_TENANT_SLOT:
		return int_in("tenant-slot", value, 1, 86400 * 30, &co_opt.tenant_slot_s);
	case SB_OPT_GUEST_TIMEOUT:
		return int_in("guest-timeout", value, 1, 86400 * 7, &co_opt.guest_timeout_s);
	case SB_OPT_PREEMPT_RATE:
		errno = 0;
		d = strtod(value, &end);
		if (errno || end == value || *end || !(d >= 0) || d > 1e6) {
			fprintf(stderr, "sealtrain-sandbox: --preempt-rate %s: expected a number "
				"from 0 to 1000000\n", value);
			return -1;
		}
		co_opt.preempt_rate = d;
		return 0;
	default:
		fprintf(stderr, "sealtrain-sandbox: unknown option code %d\n", code);
		return -1;
	}
}
