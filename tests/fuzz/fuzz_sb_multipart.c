/* libFuzzer target: the sandbox's multipart/related upload parser
 * (sandbox/storage_multipart.c). The input's first line is the request's
 * Content-Type (so the boundary extraction is fuzzed too); the rest is the spooled
 * body, written to a file as the sandbox does before parsing. Found parts must lie
 * inside the body: the upload handler reads them back by offset. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/storage_multipart.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ctlen, i;
	char *ctype, err[256] = "";
	const uint8_t *body;
	uint64_t blen;
	sb_multipart mp;

	if (!nl)
		return 0;
	ctlen = (size_t)(nl - data);
	ctype = malloc(ctlen + 1);
	if (!ctype)
		return 0;
	memcpy(ctype, data, ctlen);
	ctype[ctlen] = '\0';
	body = nl + 1;
	blen = size - ctlen - 1;
	free(sb_multipart_boundary(ctype));
	if (sb_multipart_parse(st_fuzz_file(body, blen), blen, ctype, &mp, err, sizeof err) != 0) {
		if (!err[0])
			abort(); /* a refusal must say why */
	} else {
		if (mp.nparts != SB_MP_MAX_PARTS)
			abort();
		for (i = 0; i < mp.nparts; i++)
			if (mp.parts[i].off > blen || mp.parts[i].len > blen - mp.parts[i].off)
				abort(); /* a part reaching past the body */
		sb_multipart_free(&mp);
	}
	free(ctype);
	return 0;
}
