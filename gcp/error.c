/* google.rpc.Status out of whatever came back: Google's JSON error envelope, the
 * OAuth token endpoint's {"error":"...","error_description":"..."}, or something
 * that is not JSON at all (a proxy's HTML page). The message is always sanitised,
 * because it ends up on the operator's terminal. */
#include "gcp/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"

static const char *const rpc_names[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
};

const char *gcp_rpc_name(int code)
{
	if (code < 0 || (size_t)code >= sizeof rpc_names / sizeof rpc_names[0])
		return "UNKNOWN";
	return rpc_names[code];
}

int gcp_rpc_code(const char *name)
{
	for (size_t i = 0; name && i < sizeof rpc_names / sizeof rpc_names[0]; i++)
		if (strcmp(rpc_names[i], name) == 0)
			return (int)i;
	return 2;
}

/* The mapping Google documents between HTTP statuses and canonical codes. */
int gcp_rpc_from_http(long http)
{
	switch (http) {
	case 200: case 201: case 204: return 0;
	case 400: return 3;
	case 401: return 16;
	case 403: return 7;
	case 404: return 5;
	case 409: return 10;
	case 412: return 9;
	case 416: return 11;
	case 429: return 8;
	case 499: return 1;
	case 501: return 12;
	case 503: return 14;
	case 504: return 4;
	default: return http >= 500 ? 13 : 2;
	}
}

void gcp_error_set(gcp_error *e, int http, int code, const char *status, const char *fmt, ...)
{
	char raw[sizeof e->message];
	va_list ap;
	memset(e, 0, sizeof *e);
	e->http = http;
	e->code = code;
	st_strlcpy(e->status, status ? status : gcp_rpc_name(code), sizeof e->status);
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	st_sanitize_text(e->message, sizeof e->message, raw);
}

static void set_text(char *dst, size_t size, const char *s)
{
	if (s)
		st_sanitize_text(dst, size, s);
}

/* details[] may hold several entries; ErrorInfo is the one with the reason. */
static void reason_from_details(gcp_error *e, const json_t *details)
{
	size_t i;
	json_t *d;
	if (!json_is_array(details))
		return;
	json_array_foreach(details, i, d) {
		const char *t = stj_str(d, "@type");
		const char *r = stj_str(d, "reason");
		if (t && r && st_ends_with(t, "google.rpc.ErrorInfo")) {
			set_text(e->reason, sizeof e->reason, r);
			return;
		}
	}
}

/* Google's envelope {"error":{code,message,status,details[],errors[]}}. */
static bool from_envelope(gcp_error *e, const json_t *err)
{
	const char *status = stj_str(err, "status");
	const char *msg = stj_str(err, "message");
	if (!status && !msg)
		return false;
	if (status && *status) {
		set_text(e->status, sizeof e->status, status);
		e->code = gcp_rpc_code(e->status);
	}
	set_text(e->message, sizeof e->message, msg ? msg : "(no message)");
	reason_from_details(e, json_object_get(err, "details"));
	if (!e->reason[0])
		set_text(e->reason, sizeof e->reason, stj_str(err, "errors.0.reason"));
	return true;
}

static void describe_non_json(gcp_error *e, const char *body, size_t len, const char *ctype)
{
	char snip[96];
	size_t n = len < sizeof snip - 1 ? len : sizeof snip - 1;
	char raw[sizeof snip];
	memcpy(raw, body ? body : "", body ? n : 0);
	raw[body ? n : 0] = '\0';
	st_sanitize_text(snip, sizeof snip, raw);
	snprintf(e->message, sizeof e->message, "HTTP %d with a %s body instead of a JSON error%s%s",
		 e->http, ctype && *ctype ? ctype : "non-JSON", n ? ": " : "", snip);
}

void gcp_error_from_response(gcp_error *e, long http, const json_t *json, const char *body,
			     size_t len, const char *ctype)
{
	memset(e, 0, sizeof *e);
	e->http = (int)http;
	e->code = gcp_rpc_from_http(http);
	st_strlcpy(e->status, gcp_rpc_name(e->code), sizeof e->status);
	json_t *err = json ? json_object_get(json, "error") : NULL;
	if (json_is_object(err) && from_envelope(e, err))
		return;
	if (json_is_string(err)) {
		/* OAuth style: error is a short code, the prose is alongside. */
		const char *desc = stj_str(json, "error_description");
		set_text(e->reason, sizeof e->reason, json_string_value(err));
		snprintf(e->message, sizeof e->message, "%s", "");
		set_text(e->message, sizeof e->message, desc ? desc : json_string_value(err));
		return;
	}
	if (json) {
		snprintf(e->message, sizeof e->message, "HTTP %ld with a JSON body that is not an error envelope", http);
		return;
	}
	describe_non_json(e, body, len, ctype);
}

void gcp_error_format(const gcp_error *e, char *buf, size_t size)
{
	if (e->http)
		snprintf(buf, size, "HTTP %d %s: %s%s%s%s", e->http, e->status, e->message,
			 e->reason[0] ? " (" : "", e->reason, e->reason[0] ? ")" : "");
	else
		snprintf(buf, size, "%s: %s%s%s%s", e->status, e->message,
			 e->reason[0] ? " (" : "", e->reason, e->reason[0] ? ")" : "");
}

json_t *gcp_error_to_json(const gcp_error *e)
{
	json_t *inner = json_pack("{s:i,s:s,s:s}", "code", e->http ? e->http : e->code,
				  "status", e->status, "message", e->message);
	if (e->reason[0])
		json_object_set_new(inner, "details",
				    json_pack("[{s:s,s:s}]", "@type", "type.googleapis.com/google.rpc.ErrorInfo",
					      "reason", e->reason));
	return json_pack("{s:o}", "error", inner);
}
