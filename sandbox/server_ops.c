/* google.longrunning.Operation records, one table for every module, keyed by the
 * operation's full name. */
#include "sandbox/server.h"

#include <stdlib.h>

#include "common/json.h"

json_t *sb_op_new(sb_server *s, const char *name, json_t *metadata)
{
	json_t *op = json_pack("{s:s, s:o, s:b}", "name", name, "metadata",
			       metadata ? metadata : json_object(), "done", 0);
	if (sb_put(s, "operation", name, op) < 0) {
		json_decref(op);
		return NULL;
	}
	return op;
}

json_t *sb_op_get(sb_server *s, const char *name)
{
	return sb_get(s, "operation", name);
}

static int finish(sb_server *s, const char *name, const char *field, json_t *value)
{
	json_t *op = sb_get(s, "operation", name);
	if (!op) {
		json_decref(value);
		return -1;
	}
	json_object_set_new(op, "done", json_true());
	json_object_set_new(op, field, value);
	int rc = sb_put(s, "operation", name, op);
	json_decref(op);
	return rc;
}

int sb_op_finish(sb_server *s, const char *name, json_t *response)
{
	return finish(s, name, "response", response ? response : json_object());
}

int sb_op_fail(sb_server *s, const char *name, int http_status, const char *message)
{
	const char *st = sb_status_name(http_status);
	return finish(s, name, "error",
		      json_pack("{s:i, s:s, s:[]}", "code", sb_grpc_code(st), "message", message,
				"details"));
}
