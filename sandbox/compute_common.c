/* Small helpers shared by the Compute handlers: private fields, links, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "sandbox/capacity.h"
#include "sandbox/compute.h"
#include "sandbox/compute_validate.h"

co_options co_opt = {
	.gpus_per_zone = 2,
	.preempt_rate = 0,
	.tenant_gpus = 0,
	.tenant_slot_s = 300,
	.guest_timeout_s = 3600,
};

json_t *co_public(const json_t *doc)
{
	json_t *out = json_deep_copy(doc);

	json_object_del(out, "_sb");
	return out;
}

json_t *co_priv(json_t *doc)
{
	json_t *p = json_object_get(doc, "_sb");

	if (!json_is_object(p)) {
		p = json_object();
		json_object_set_new(doc, "_sb", p);
	}
	return p;
}

int64_t co_priv_int(const json_t *doc, const char *key, int64_t def)
{
	json_t *v = json_object_get(json_object_get(doc, "_sb"), key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

const char *co_priv_str(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(json_object_get(doc, "_sb"), key));
}

char *co_link(sb_server *s, const char *name)
{
	return st_xasprintf("%s/compute/v1/%s", sb_base_url(s), name);
}

void co_ts(sb_server *s, char *buf, size_t size)
{
	sb_now_rfc3339(s, buf, size);
}

void co_reply_doc(sb_call *c, const json_t *doc)
{
	sb_reply_json(c, 200, co_public(doc));
}

void co_not_found(sb_call *c, const char *name)
{
	sb_reply_error(c, 404, "NOT_FOUND", "notFound", "The resource '%s' was not found", name);
}

json_t *co_get_for_change(sb_server *s, sb_call *c, const char *kind, const char *full)
{
	json_t *doc;

	if (co_replay(s, c, sb_var(c, "project")))
		return NULL;
	doc = sb_get(s, kind, full);
	if (!doc)
		co_not_found(c, full);
	return doc;
}

void co_reply_stored(sb_server *s, sb_call *c, const char *kind, const char *full)
{
	json_t *doc = sb_get(s, kind, full);

	if (doc)
		co_reply_doc(c, doc);
	else
		co_not_found(c, full);
	json_decref(doc);
}

int co_check_name(sb_call *c, const char *name)
{
	if (name && cv_name_ok(name))
		return 0;
	sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid value for field "
		       "'resource.name': '%s'. Must be a match of regex "
		       "'[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?'", name ? name : "");
	return -1;
}

int co_already_exists(sb_server *s, sb_call *c, const char *kind, const char *full)
{
	json_t *old = sb_get(s, kind, full);

	if (!old)
		return 0;
	json_decref(old);
	sb_reply_error(c, 409, "ALREADY_EXISTS", "alreadyExists",
		       "The resource '%s' already exists", full);
	return 1;
}

json_t *co_gce_resource(const json_t *inst)
{
	return json_pack("{s:s, s:{s:s, s:s, s:s}}", "type", "gce_instance", "labels",
			 "instance_id", stj_str(inst, "id"), "zone",
			 cap_basename(stj_str(inst, "zone")), "project_id",
			 co_priv_str(inst, "project"));
}

char *co_log_name(const json_t *inst, const char *log_id)
{
	return st_xasprintf("projects/%s/logs/%s", co_priv_str(inst, "project"), log_id);
}

void co_log_text(sb_server *s, const json_t *inst, const char *log_id, const char *text)
{
	char *ln = co_log_name(inst, log_id);

	sb_log_entry(s, json_pack("{s:s, s:o, s:s, s:s}", "logName", ln, "resource",
				  co_gce_resource(inst), "severity", "INFO", "textPayload", text));
	free(ln);
}

const char *co_metadata_value(const json_t *inst, const char *key)
{
	json_t *it;
	size_t i;

	json_array_foreach(stj_get(inst, "metadata.items"), i, it)
		if (strcmp(stj_str(it, "key") ? stj_str(it, "key") : "", key) == 0)
			return stj_str(it, "value");
	return NULL;
}
