/* libFuzzer target: the sealtrain.yaml loader (config/), through st_config_parse, the
 * same entry st_config_load uses once it has read the file. Accepted configs are also
 * dumped and their names expanded, since both walk every string the parser kept. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "config/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

static void use(st_config *c)
{
	char *name;

	if (!sink)
		sink = fopen("/dev/null", "w");
	if (!sink)
		abort();
	st_config_dump(c, sink);
	name = st_config_expand_name(c, "run-{suffix}-{suffix}", NULL);
	free(name);
	(void)st_config_endpoint(c, "storage");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	st_diag_list diags;
	st_config *c = NULL;
	size_t i;

	if (size > ST_CONFIG_MAX_BYTES)
		return 0;
	st_diag_list_init(&diags);
	if (st_config_parse("fuzz.yaml", (const char *)data, size, &c, &diags) == 0) {
		if (!c)
			abort();
		use(c);
		st_config_free(c);
	} else if (c || diags.count == 0) {
		abort(); /* a refusal hands back nothing and says why */
	}
	for (i = 0; i < diags.count; i++)
		free(st_diag_format(&diags.items[i]));
	st_diag_list_free(&diags);
	return 0;
}
