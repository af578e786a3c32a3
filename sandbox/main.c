/* sealtrain-sandbox: a local emulator of the Google Cloud REST APIs sealtrain calls. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "config.h"
#include "sandbox/compute_options.h"
#include "sandbox/server.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sealtrain-sandbox --state DIR [--listen HOST:PORT] [--time-scale F]\n"
		"                         [--faults SPEC] [--seed N] [--strict-auth]\n"
		"                         [--allow-remote] [--log FILE] [--verbose]\n"
		"  --listen HOST:PORT  address to serve (default 127.0.0.1:0: a free port)\n"
		"  --state DIR         where resources persist (created mode 0700)\n"
		"  --time-scale F      sandbox seconds per real second (default 1)\n"
		"  --faults SPEC       e.g. 503:0.1,429:0.05,latency:50ms,reset:0.01\n"
		"  --seed N            makes faults and other random choices reproducible\n"
		"  --strict-auth       accept only access tokens this sandbox issued\n"
		"  --allow-remote      allow a non-loopback --listen address\n"
		"  --log FILE          sandbox log (default stderr)\n"
		"  --verbose           log every request, not only failures\n"
		"%s"
		"See sealtrain-sandbox(1).\n", sb_control_usage);
}

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "sealtrain-sandbox: %s %s: %s\n", opt, val, why);
	return -1;
}

static int parse_number(const char *opt, const char *val, sb_options *o)
{
	char *end;
	errno = 0;
	if (strcmp(opt, "--time-scale") == 0) {
		double d = strtod(val, &end);
		if (errno || end == val || *end || !(d > 0) || d > 100000)
			return bad(opt, val, "expected a number between 0 and 100000");
		o->time_scale = d;
		return 0;
	}
	unsigned long long n = strtoull(val, &end, 10);
	if (errno || end == val || *end || val[0] == '-')
		return bad(opt, val, "expected a non-negative integer");
	o->seed = n;
	o->have_seed = true;
	return 0;
}

static int parse_args(int argc, char **argv, sb_options *o)
{
	static const struct option longs[] = {
		{"listen", required_argument, NULL, 'l'}, {"state", required_argument, NULL, 's'},
		{"time-scale", required_argument, NULL, 't'}, {"faults", required_argument, NULL, 'f'},
		{"seed", required_argument, NULL, 'S'}, {"strict-auth", no_argument, NULL, 'A'},
		{"allow-remote", no_argument, NULL, 'R'}, {"log", required_argument, NULL, 'L'},
		{"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, SB_CONTROL_OPTIONS, {NULL, 0, NULL, 0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'l': o->listen = optarg; break;
		case 's': o->state = optarg; break;
		case 't': if (parse_number("--time-scale", optarg, o) < 0) return 2; break;
		case 'S': if (parse_number("--seed", optarg, o) < 0) return 2; break;
		case 'f': o->faults = optarg; break;
		case 'A': o->strict_auth = true; break;
		case 'R': o->allow_remote = true; break;
		case 'L': o->log_path = optarg; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sealtrain-sandbox %s\n", PACKAGE_VERSION); return 0;
		default:
			if (ch >= SB_CONTROL_OPT_BASE && ch < SB_CONTROL_OPT_END) {
				if (sb_control_option(ch, optarg) < 0)
					return 2;
				break;
			}
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sealtrain-sandbox: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o->state) {
		fprintf(stderr, "sealtrain-sandbox: --state DIR is required\n");
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	sb_options o = {.listen = "127.0.0.1:0", .time_scale = 1.0};
	int rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	umask(077); /* state, keys and the database are private to this user */
	if (st_log_open(o.log_path, ST_LOG_INFO) < 0) {
		fprintf(stderr, "sealtrain-sandbox: --log %s: %s\n", o.log_path, strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Past a file-size limit a write should fail (and be answered 503), not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	/* Every thread inherits this mask; the main thread takes the signals with sigwait. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	rc = sb_server_run(&o);
	st_log_close();
	return rc;
}
