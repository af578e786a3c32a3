/* Google's error envelope: google.rpc.Status inside "error", with an ErrorInfo
 * detail, plus the older errors[] list that Storage and Compute clients read. */
#include "sandbox/server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *status;
	int grpc;
	int http;
	const char *legacy; /* errors[].reason when the module gave none */
} codes[] = {
	{"OK", 0, 200, ""},
	{"CANCELLED", 1, 499, "cancelled"},
	{"UNKNOWN", 2, 500, "backendError"},
	{"INVALID_ARGUMENT", 3, 400, "invalid"},
	{"DEADLINE_EXCEEDED", 4, 504, "deadlineExceeded"},
	{"NOT_FOUND", 5, 404, "notFound"},
	{"ALREADY_EXISTS", 6, 409, "alreadyExists"},
	{"PERMISSION_DENIED", 7, 403, "forbidden"},
	{"RESOURCE_EXHAUSTED", 8, 429, "rateLimitExceeded"},
	{"FAILED_PRECONDITION", 9, 400, "failedPrecondition"},
	{"ABORTED", 10, 409, "conflict"},
	{"OUT_OF_RANGE", 11, 400, "outOfRange"},
	{"UNIMPLEMENTED", 12, 501, "notImplemented"},
	{"INTERNAL", 13, 500, "backendError"},
	{"UNAVAILABLE", 14, 503, "backendError"},
	{"DATA_LOSS", 15, 500, "backendError"},
	{"UNAUTHENTICATED", 16, 401, "required"},
};

int sb_grpc_code(const char *status)
{
	for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
		if (status && strcmp(codes[i].status, status) == 0)
			return codes[i].grpc;
	return 2;
}

const char *sb_status_name(int http_status)
{
	if (http_status == 412)
		return "FAILED_PRECONDITION";
	if (http_status == 405)
		return "INVALID_ARGUMENT";
	for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
		if (codes[i].http == http_status)
			return codes[i].status;
	return http_status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
}

static const char *legacy_reason(const char *status, int http)
{
	if (http == 412)
		return "conditionNotMet";
	if (http == 413)
		return "requestTooLarge";
	for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
		if (status && strcmp(codes[i].status, status) == 0)
			return codes[i].legacy;
	return "invalid";
}

static bool legacy_route(const sb_call *c)
{
	return c->route && (c->route->r->flags & SB_LEGACY_ERRORS);
}

static const char *error_domain(const sb_call *c)
{
	if (c->route && c->route->r->service)
		return c->route->r->service;
	return "sandbox.googleapis.com";
}

/* "field.path: what is wrong" messages also become a google.rpc.BadRequest detail
 * with one field violation, which client libraries show next to the field. */
static void add_field_violation(json_t *details, const char *message)
{
	size_t n = strspn(message, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789_.[]");
	if (n == 0 || strncmp(message + n, ": ", 2) != 0)
		return;
	char *field = st_xstrndup(message, n);
	json_array_append_new(details,
			      json_pack("{s:s, s:[{s:s, s:s}]}", "@type",
					"type.googleapis.com/google.rpc.BadRequest", "fieldViolations",
					"field", field, "description", message + n + 2));
	free(field);
}

void sb_reply_error_md(sb_call *c, int http_status, const char *status, const char *reason,
		       const char *domain, json_t *metadata, const char *message)
{
	if (!status)
		status = sb_status_name(http_status);
	json_t *err = json_pack("{s:i, s:s, s:s}", "code", http_status, "message", message,
				"status", status);
	if (legacy_route(c)) {
		const char *lr = reason && reason[0] >= 'a' && reason[0] <= 'z'
					 ? reason : legacy_reason(status, http_status);
		json_object_set_new(err, "errors",
				    json_pack("[{s:s, s:s, s:s}]", "message", message, "domain",
					      "global", "reason", lr));
	}
	json_t *details = json_array();
	if (reason) {
		json_t *info = json_pack("{s:s, s:s, s:s}", "@type",
					 "type.googleapis.com/google.rpc.ErrorInfo", "reason", reason,
					 "domain", domain ? domain : error_domain(c));
		if (metadata)
			json_object_set(info, "metadata", metadata);
		json_array_append_new(details, info);
	}
	json_decref(metadata);
	if (strcmp(status, "INVALID_ARGUMENT") == 0)
		add_field_violation(details, message);
	json_object_set_new(err, "details", details);
	free(c->error_message);
	free(c->error_status);
	c->error_message = st_xstrdup(message);
	c->error_status = st_xstrdup(status);
	if (http_status == 401)
		sb_reply_header(c, "WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\"");
	sb_reply_json(c, http_status, json_pack("{s:o}", "error", err));
}

__attribute__((format(printf, 5, 0)))
static void reply_errorv(sb_call *c, int http_status, const char *status, const char *reason,
			 const char *fmt, va_list ap)
{
	char *msg = st_xvasprintf(fmt, ap);
	/* Hostile input echoed in a message must stay valid UTF-8 for the JSON encoder. */
	if (!st_utf8_valid(msg, strlen(msg))) {
		char *clean = st_xmalloc(strlen(msg) + 1);
		st_sanitize_text(clean, strlen(msg) + 1, msg);
		free(msg);
		msg = clean;
	}
	sb_reply_error_md(c, http_status, status, reason, NULL, NULL, msg);
	free(msg);
}

void sb_reply_error(sb_call *c, int http_status, const char *status, const char *reason,
		    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_errorv(c, http_status, status, reason, fmt, ap);
	va_end(ap);
}

void sb_reply_invalid(sb_call *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_errorv(c, 400, "INVALID_ARGUMENT", NULL, fmt, ap);
	va_end(ap);
}

void sb_reply_not_found(sb_call *c, const char *what)
{
	sb_reply_error(c, 404, "NOT_FOUND", legacy_route(c) ? "notFound" : NULL,
		       "%s not found.", what);
}

void sb_reply_exists(sb_call *c, const char *what)
{
	sb_reply_error(c, 409, "ALREADY_EXISTS", legacy_route(c) ? "conflict" : NULL,
		       "%s already exists.", what);
}
