/* libFuzzer target: how gcp/ reads a failed response. The body goes through
 * stj_parse as the engine does, then gcp_error_from_response (google.rpc envelope,
 * legacy errors[], OAuth style, or a non-JSON body); a JSON body is also read as an
 * operation's google.rpc.Status (gcp_error_from_status). The result is formatted and
 * turned back into JSON, as the console and `sealtrain api` do. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "gcp/gcp.h"
#include "gcp/internal.h"
#include "gcp/lro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ctypes[] = {
	"application/json; charset=UTF-8", "text/html", "", NULL,
};
static const long https[] = {400, 401, 403, 404, 409, 412, 429, 500, 503, 0, 999, -1};

static void report(const gcp_error *e)
{
	char line[1024];
	json_t *j;

	gcp_error_format(e, line, sizeof line);
	if (!memchr(line, '\0', sizeof line))
		abort();
	j = gcp_error_to_json(e);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	gcp_error e;
	json_t *json;
	uint8_t pick;

	if (size < 1)
		return 0;
	pick = data[0];
	data++;
	size--;
	json = stj_parse((const char *)data, size, 1 << 20, err, sizeof err);
	gcp_error_from_response(&e, https[pick % (sizeof https / sizeof https[0])], json,
				(const char *)data, size, ctypes[(pick >> 4) % 4]);
	report(&e);
	if (json) {
		gcp_error_from_status(&e, json_is_object(json_object_get(json, "error"))
					 ? json_object_get(json, "error") : json, "operations/fuzz");
		report(&e);
		json_decref(json);
	}
	return 0;
}
