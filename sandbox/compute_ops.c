/* Compute operations: creation, requestId replay, completion, get and wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "sandbox/compute.h"
#include "sandbox/compute_validate.h"

/* Google's wait returns within about two minutes, done or not. */
#define CO_WAIT_MAX_MS 120000

int co_replay(sb_server *s, sb_call *c, const char *project)
{
	const char *rid = sb_query(c, "requestId");
	char *key;
	json_t *m, *op;

	if (!rid)
		return 0;
	if (!cv_request_id_ok(rid)) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid",
			       "Invalid value for field 'requestId': '%.64s'. The request ID must "
			       "be a valid UUID with the exception that zero UUID is not supported "
			       "(00000000-0000-0000-0000-000000000000).", rid);
		return -1;
	}
	key = st_xasprintf("%s/%s", project, rid);
	m = sb_get(s, CK_REQID, key);
	free(key);
	if (!m)
		return 0;
	op = sb_get(s, CK_OP, stj_str(m, "operation"));
	json_decref(m);
	if (!op)
		return 0; /* operation record deleted: treat as a new request */
	co_reply_doc(c, op);
	json_decref(op);
	return 1;
}

json_t *co_op_new(sb_server *s, sb_call *c, const char *project, const char *zone,
		  const char *type, const char *target_name, const char *target_id)
{
	int64_t id = sb_next_id(s, "compute.operation");
	char ts[48], *name, *full, *self, *target = co_link(s, target_name), *zlink = NULL;
	const char *rid = sb_query(c, "requestId");
	json_t *op;

	co_ts(s, ts, sizeof(ts));
	name = st_xasprintf("operation-%lld-%08llx", (long long)sb_now_ms(s),
			    (unsigned long long)(id * 2654435761u) & 0xffffffffULL);
	full = zone ? st_xasprintf("projects/%s/zones/%s/operations/%s", project, zone, name)
		    : st_xasprintf("projects/%s/global/operations/%s", project, name);
	self = co_link(s, full);
	op = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}",
		       "kind", "compute#operation", "id", stj_int64_string(1000000 + id),
		       "name", name, "operationType", type, "targetLink", target,
		       "targetId", target_id ? target_id : "", "status", "RUNNING", "progress", 0,
		       "insertTime", ts, "startTime", ts, "selfLink", self,
		       "user", sb_principal_email(c));
	if (zone) {
		char *zn = st_xasprintf("projects/%s/zones/%s", project, zone);

		zlink = co_link(s, zn);
		json_object_set_new(op, "zone", json_string(zlink));
		free(zn);
	}
	json_object_set_new(co_priv(op), "fullName", json_string(full));
	sb_put(s, CK_OP, full, op);
	if (rid) {
		char *key = st_xasprintf("%s/%s", project, rid);
		json_t *m = json_pack("{s:s}", "operation", full);

		sb_put(s, CK_REQID, key, m);
		json_decref(m);
		free(key);
	}
	free(name);
	free(full);
	free(self);
	free(target);
	free(zlink);
	return op;
}

static void finish_doc(sb_server *s, json_t *op, int http, const char *code, const char *msg)
{
	char ts[48];

	co_ts(s, ts, sizeof(ts));
	json_object_set_new(op, "status", json_string("DONE"));
	json_object_set_new(op, "progress", json_integer(100));
	json_object_set_new(op, "endTime", json_string(ts));
	json_object_del(op, "statusMessage");
	if (code) {
		json_object_set_new(op, "error", json_pack("{s:[{s:s, s:s}]}", "errors", "code",
							   code, "message", msg));
		json_object_set_new(op, "httpErrorStatusCode", json_integer(http));
		json_object_set_new(op, "httpErrorMessage",
				    json_string(http == 404 ? "NOT FOUND" :
						http == 400 ? "BAD REQUEST" :
						http == 409 ? "CONFLICT" : "SERVICE UNAVAILABLE"));
	}
	sb_put(s, CK_OP, co_priv_str(op, "fullName"), op);
	sb_notify(s);
}

void co_op_finish(sb_server *s, const char *op_name, int http, const char *code,
		  const char *message)
{
	json_t *op = op_name ? sb_get(s, CK_OP, op_name) : NULL;

	if (!op)
		return;
	if (strcmp(stj_str(op, "status"), "DONE") != 0)
		finish_doc(s, op, http, code, message);
	json_decref(op);
}

void co_op_note(sb_server *s, const char *op_name, const char *message)
{
	json_t *op = op_name ? sb_get(s, CK_OP, op_name) : NULL;
	const char *cur;

	if (!op)
		return;
	cur = stj_str(op, "statusMessage");
	if (strcmp(stj_str(op, "status"), "DONE") != 0 && (!cur || strcmp(cur, message) != 0)) {
		json_object_set_new(op, "statusMessage", json_string(message));
		sb_put(s, CK_OP, op_name, op);
	}
	json_decref(op);
}

void co_op_reply_done(sb_server *s, sb_call *c, json_t *op, int http, const char *code,
		      const char *message)
{
	finish_doc(s, op, http, code, message);
	co_reply_doc(c, op);
	json_decref(op);
}

void co_op_reply(sb_server *s, sb_call *c, json_t *op)
{
	json_t *cur = sb_get(s, CK_OP, co_priv_str(op, "fullName"));

	co_reply_doc(c, cur ? cur : op);
	json_decref(cur);
	json_decref(op);
}

static char *op_name(sb_call *c, bool zonal)
{
	return zonal ? st_xasprintf("projects/%s/zones/%s/operations/%s", sb_var(c, "project"),
				    sb_var(c, "zone"), sb_var(c, "operation"))
		     : st_xasprintf("projects/%s/global/operations/%s", sb_var(c, "project"),
				    sb_var(c, "operation"));
}

static void op_get(sb_server *s, sb_call *c, bool zonal)
{
	char *name = op_name(c, zonal);
	json_t *op = sb_get(s, CK_OP, name);

	if (op)
		co_reply_doc(c, op);
	else
		co_not_found(c, name);
	json_decref(op);
	free(name);
}

/* How long wait may hold the call: about two minutes, or less when the client sets a
 * deadline with X-Server-Timeout (seconds), as Google's front end allows. */
static int64_t wait_budget_ms(sb_call *c)
{
	const char *h = sb_header(c, "X-Server-Timeout");
	char *end;
	double secs;

	if (!h)
		return CO_WAIT_MAX_MS;
	secs = strtod(h, &end);
	if (end == h || *end || !(secs > 0))
		return CO_WAIT_MAX_MS;
	return secs * 1000 < CO_WAIT_MAX_MS ? (int64_t)(secs * 1000) : CO_WAIT_MAX_MS;
}

/* Sleeps with the lock released (sb_wait_ms) so ticks keep moving the operation. */
static void op_wait(sb_server *s, sb_call *c, bool zonal)
{
	char *name = op_name(c, zonal);
	int64_t deadline = st_mono_ms() + wait_budget_ms(c), t0;
	int quick = 0;
	json_t *op;

	for (;;) {
		op = sb_get(s, CK_OP, name);
		if (!op) {
			co_not_found(c, name);
			break;
		}
		if (strcmp(stj_str(op, "status"), "DONE") == 0 || st_mono_ms() >= deadline) {
			co_reply_doc(c, op);
			json_decref(op);
			break;
		}
		json_decref(op);
		t0 = st_mono_ms();
		sb_wait_ms(s, 100);
		/* A wait that keeps returning at once means the server is shutting down:
		 * answer with what we have rather than spin. */
		quick = st_mono_ms() - t0 < 1 ? quick + 1 : 0;
		if (quick > 200)
			deadline = 0;
	}
	free(name);
}

void co_zone_op_get(sb_server *s, sb_call *c)
{
	op_get(s, c, true);
}

void co_zone_op_wait(sb_server *s, sb_call *c)
{
	op_wait(s, c, true);
}

void co_global_op_get(sb_server *s, sb_call *c)
{
	op_get(s, c, false);
}

void co_global_op_wait(sb_server *s, sb_call *c)
{
	op_wait(s, c, false);
}
