/* libFuzzer target: common/json.c. stj_parse on arbitrary bytes, then the typed
 * readers down paths taken from the document itself and a few fixed ones, so that
 * the dotted-path walker sees keys holding dots, digits and empty segments. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixed[] = {
	"", ".", "0", "a", "a.b", "a.0", "a.0.b", "error.code", "error.details.0.reason",
	"items.1.name", "..", "a..b", "99999999999999999999", "-1",
};

static void probe(const json_t *root, const char *path)
{
	int64_t n;

	(void)stj_get(root, path);
	(void)stj_str(root, path);
	(void)stj_int64(root, path, &n);
	(void)stj_bool(root, path, false);
}

/* Every key of the top object, and key.0 / key.<first inner key>, as paths. */
static void probe_keys(const json_t *root)
{
	const char *k;
	json_t *v;
	char path[256];

	json_object_foreach((json_t *)root, k, v) {
		probe(root, k);
		snprintf(path, sizeof path, "%s.0", k);
		probe(root, path);
		if (json_is_object(v) && json_object_size(v) > 0) {
			void *it = json_object_iter(v);
			snprintf(path, sizeof path, "%s.%s", k, json_object_iter_key(it));
			probe(root, path);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	json_t *root;
	char *dump;
	size_t i;

	/* A limit below the input length must be honoured too: use half of it sometimes. */
	root = stj_parse((const char *)data, size, size & 1 ? size / 2 : 1 << 20, err, sizeof err);
	if (!root) {
		if (!err[0])
			abort(); /* a refusal must say why */
		return 0;
	}
	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		probe(root, fixed[i]);
	if (json_is_object(root))
		probe_keys(root);
	dump = stj_dump(root);
	free(dump);
	json_decref(root);
	return 0;
}
