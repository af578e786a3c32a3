/* Cloud KMS key rings: create, get, list. Key rings have no delete, as in Google's API. */
#include "sandbox/kms.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"

/* Locations look like "us-central1", "europe", "global". */
static bool valid_location(const char *loc)
{
	size_t n = loc ? strlen(loc) : 0;
	return n > 0 && n <= 40 && strspn(loc, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static json_t *ring_view(sb_server *s, const json_t *doc)
{
	return kms_public(doc);
}

void kms_ring_create(sb_server *s, sb_call *c)
{
	const char *id = sb_query(c, "keyRingId");
	if (!valid_location(sb_var(c, "location"))) {
		sb_reply_invalid(c, "Invalid location '%s'.", sb_var(c, "location"));
		return;
	}
	if (!kms_valid_id(id)) {
		sb_reply_invalid(c, "keyRingId must be 1 to 63 letters, digits, '_' or '-'%s.",
				 id ? "" : " (the keyRingId parameter is missing)");
		return;
	}
	if (!sb_json(c))
		return;
	char *loc = st_xasprintf("projects/%s/locations/%s", sb_var(c, "project"),
				 sb_var(c, "location"));
	char *name = st_xasprintf("%s/keyRings/%s", loc, id);
	char now[48];
	kms_now(s, now, sizeof now);
	json_t *doc = json_pack("{s:s, s:s}", "name", name, "createTime", now);
	int rc = sb_insert(s, "kms.ring", name, doc);
	if (rc == 1) {
		char *what = st_xasprintf("KeyRing %s", name);
		sb_reply_exists(c, what);
		free(what);
	} else if (rc < 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "sandbox store write failed");
	} else {
		sb_audit_resource(c, name);
		sb_reply_json(c, 200, kms_public(doc));
	}
	json_decref(doc);
	free(name);
	free(loc);
}

void kms_ring_get(sb_server *s, sb_call *c)
{
	char *name = kms_ring_name(c);
	json_t *doc = sb_get(s, "kms.ring", name);
	if (!doc) {
		char *what = st_xasprintf("KeyRing %s", name);
		sb_reply_not_found(c, what);
		free(what);
	} else {
		sb_reply_json(c, 200, kms_public(doc));
	}
	json_decref(doc);
	free(name);
}

void kms_ring_list(sb_server *s, sb_call *c)
{
	char *prefix = st_xasprintf("projects/%s/locations/%s/keyRings/", sb_var(c, "project"),
				    sb_var(c, "location"));
	json_t *docs = sb_list(s, "kms.ring", prefix);
	kms_reply_page(s, c, docs, "keyRings", ring_view);
	json_decref(docs);
	free(prefix);
}
