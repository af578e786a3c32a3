/* libFuzzer target: the sandbox's Compute list filter (sandbox/compute_filter.c), the
 * `filter` query parameter of every compute.*.list call. Each filter that parses is
 * matched against resources shaped like the ones the sandbox lists, so the tree walk
 * (dotted paths through arrays, numeric order, the legacy regex form) runs on whatever
 * the parser built, and the filter in parentheses must parse and match alike.
 *
 * orderBy is not fuzzed: compute_list.c compares it with two fixed strings inside a
 * function that needs a live call, so there is no parser to feed. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sandbox/compute_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const doc_text[] = {
	("{\"name\":\"sealtrain-vm-ab12\",\"id\":\"1234567890123\",\"status\":\"RUNNING\","
	"\"creationTimestamp\":\"2026-11-25T10:00:00.000-08:00\",\"cpuPlatform\":\"Intel Sapphire Rapids\","
	"\"labels\":{\"env\":\"dev\",\"run\":\"ab12\"},\"deletionProtection\":false,"
	"\"scheduling\":{\"automaticRestart\":false,\"provisioningModel\":\"FLEX_START\","
	"\"maxRunDuration\":{\"seconds\":\"86400\"}},"
	"\"guestAccelerators\":[{\"acceleratorType\":\"zones/us-central1-a/acceleratorTypes/nvidia-h100-80gb\","
	"\"acceleratorCount\":1}],\"disks\":[{\"boot\":true,\"diskSizeGb\":\"200\"},{\"boot\":false}],"
	"\"confidentialInstanceConfig\":{\"confidentialInstanceType\":\"TDX\"}}"),
	("{\"name\":\"a3-highgpu-1g\",\"guestCpus\":26,\"memoryMb\":239616,\"isSharedCpu\":false,"
	"\"accelerators\":[{\"guestAcceleratorType\":\"nvidia-h100-80gb\",\"guestAcceleratorCount\":1}],"
	"\"ratio\":0.5,\"nothing\":null,\"nested\":[[1,2],[\"x\"]]}"),
	"{}",
};
static json_t *docs[sizeof doc_text / sizeof doc_text[0]];

static void load_docs(void)
{
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		docs[i] = json_loads(doc_text[i], 0, NULL);
		if (!docs[i])
			abort();
	}
}

static bool blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return !*s;
}

/* A refusal reads "position N: reason" with N inside the text or just past its end. */
static void check_refusal(const char *text, const char *err)
{
	char *end;
	if (!err[0]) {
		if (!blank(text) || strlen(text) > CF_MAX_LEN)
			abort(); /* only a blank filter may come back empty without a reason */
		return;
	}
	if (strncmp(err, "position ", 9) != 0)
		abort();
	unsigned long pos = strtoul(err + 9, &end, 10);
	if (end == err + 9 || *end != ':' || pos < 1 || pos > strlen(text) + 1)
		abort();
}

/* "(F)" means what F means: the same matches, unless the extra parentheses are refused
 * for their own sake (too deep, too long). */
static void check_wrapped(const char *text, const cf_expr *e)
{
	char err[160];
	if (strlen(text) + 2 > CF_MAX_LEN)
		return;
	char *wrapped = malloc(strlen(text) + 3);
	if (!wrapped)
		abort();
	sprintf(wrapped, "(%s)", text);
	cf_expr *w = cf_parse(wrapped, err, sizeof err);
	if (!w) {
		if (!strstr(err, "nested too deeply"))
			abort(); /* F parsed but (F) did not */
	} else {
		for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
			if (cf_match(e, docs[i]) != cf_match(w, docs[i]))
				abort();
		cf_free(w);
	}
	free(wrapped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[160] = "x";
	char *text;
	cf_expr *e;

	if (!docs[0])
		load_docs();
	/* The sandbox hands the parser a NUL-terminated query-string value. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	e = cf_parse(text, err, sizeof err);
	if (!e) {
		check_refusal(text, err);
	} else {
		if (err[0])
			abort(); /* an accepted filter carries no error */
		for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
			(void)cf_match(e, docs[i]);
		check_wrapped(text, e);
		cf_free(e);
	}
	free(text);
	return 0;
}
