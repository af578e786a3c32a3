/* Command-line options of the Compute/Vertex capacity model, for sandbox/main.c:
 * splice SB_CONTROL_OPTIONS into its getopt_long table and hand any code in
 * [SB_CONTROL_OPT_BASE, SB_CONTROL_OPT_END) to sb_control_option. */
#ifndef SB_COMPUTE_OPTIONS_H
#define SB_COMPUTE_OPTIONS_H

#include <getopt.h>

enum {
	SB_CONTROL_OPT_BASE = 0x1000,
	SB_OPT_GPUS_PER_ZONE = SB_CONTROL_OPT_BASE,
	SB_OPT_PREEMPT_RATE,
	SB_OPT_TENANT_GPUS,
	SB_OPT_TENANT_SLOT,
	SB_OPT_GUEST_TIMEOUT,
	SB_CONTROL_OPT_END,
};

#define SB_CONTROL_OPTIONS \
	{"gpus-per-zone", required_argument, NULL, SB_OPT_GPUS_PER_ZONE}, \
	{"preempt-rate", required_argument, NULL, SB_OPT_PREEMPT_RATE}, \
	{"tenant-gpus", required_argument, NULL, SB_OPT_TENANT_GPUS}, \
	{"tenant-slot", required_argument, NULL, SB_OPT_TENANT_SLOT}, \
	{"guest-timeout", required_argument, NULL, SB_OPT_GUEST_TIMEOUT}

/* 0 when value is valid for the option; else -1 after a one-line message on stderr. */
int sb_control_option(int code, const char *value);
/* Usage lines for these options. */
extern const char sb_control_usage[];

#endif
