/* libFuzzer target: the sandbox's Cloud Logging filter parser (sandbox/logging_filter.c).
 * Every filter that parses is also matched against a few entries shaped like the
 * ones the sandbox stores, so that evaluation (severity ranks, timestamps, nested
 * fields, text search) runs on whatever tree the parser built. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sandbox/logging_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const entry_text[] = {
	("{\"logName\":\"projects/p/logs/sealtrain%2Frun\",\"severity\":\"ERROR\","
	"\"timestamp\":\"2026-11-25T10:00:00.123Z\",\"textPayload\":\"epoch 3 loss 0.25\","
	"\"resource\":{\"type\":\"gce_instance\",\"labels\":{\"instance_id\":\"42\",\"zone\":\"us-central1-a\"}},"
	"\"labels\":{\"run\":\"abc\"}}"),
	("{\"logName\":\"projects/p/logs/cloudaudit.googleapis.com%2Factivity\",\"severity\":\"NOTICE\","
	"\"timestamp\":\"2026-11-25T10:00:01Z\",\"jsonPayload\":{\"n\":7,\"ok\":true,\"list\":[1,\"x\",null]}}"),
	"{}",
};
static json_t *entries[sizeof entry_text / sizeof entry_text[0]];

static void load_entries(void)
{
	size_t i;

	for (i = 0; i < sizeof entries / sizeof entries[0]; i++) {
		entries[i] = json_loads(entry_text[i], 0, NULL);
		if (!entries[i])
			abort();
	}
}

/* "(F)" means what F means, unless the extra parentheses are refused for their own
 * sake (nesting depth, length). */
static void check_wrapped(const char *text, const lf_expr *e)
{
	char err[256] = "";
	char *wrapped = malloc(strlen(text) + 3);
	size_t i;

	if (!wrapped)
		abort();
	sprintf(wrapped, "(%s)", text);
	lf_expr *w = lf_parse(wrapped, err, sizeof err);
	if (!w) {
		if (!strstr(err, "deep") && !strstr(err, "long"))
			abort(); /* F parsed but (F) did not */
	} else {
		for (i = 0; i < sizeof entries / sizeof entries[0]; i++)
			if (lf_match(e, entries[i]) != lf_match(w, entries[i]))
				abort();
		lf_free(w);
	}
	free(wrapped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	char *text;
	lf_expr *e;
	size_t i;

	if (!entries[0])
		load_entries();
	/* The sandbox hands the parser a NUL-terminated query-string value. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	e = lf_parse(text, err, sizeof err);
	if (!e) {
		if (!err[0])
			abort(); /* a refusal must say why */
	} else {
		for (i = 0; i < sizeof entries / sizeof entries[0]; i++)
			(void)lf_match(e, entries[i]);
		check_wrapped(text, e);
		lf_free(e);
	}
	free(text);
	return 0;
}
