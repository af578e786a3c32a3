/* The metadata server (/computeMetadata/v1/...). Many simulated VMs share one
 * sandbox, so a request names its instance in one of three ways, tried in order:
 *   1. the path prefix /sandbox-metadata/ID/computeMetadata/v1/... (guests get
 *      GCE_METADATA_HOST=127.0.0.1:PORT/sandbox-metadata/ID, which clients that
 *      build "http://$GCE_METADATA_HOST/computeMetadata/v1/..." follow unchanged);
 *   2. the header X-Sandbox-Instance: ID (guests also get SANDBOX_INSTANCE_ID);
 *   3. otherwise, the one RUNNING instance, when exactly one is running.
 * Metadata-Flavor: Google is required (the core checks it for SB_METADATA routes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "sandbox/capacity.h"
#include "sandbox/compute.h"
#include "sandbox/jwt_sign.h"
#include "sandbox/jwt_store.h"

static json_t *instance_by_id(sb_server *s, const char *id, int *running)
{
	json_t *all = sb_list(s, CK_INSTANCE, "projects/"), *inst, *found = NULL;
	size_t i;

	*running = 0;
	json_array_foreach(all, i, inst) {
		bool up = strcmp(stj_str(inst, "status"), "RUNNING") == 0;

		if (id ? strcmp(stj_str(inst, "id"), id) == 0 : up) {
			json_decref(found);
			found = json_incref(inst);
			(*running)++;
		}
	}
	json_decref(all);
	return found;
}

static json_t *which_instance(sb_server *s, sb_call *c)
{
	const char *id = sb_var(c, "instance");
	int n;
	json_t *inst;

	if (!id)
		id = sb_header(c, "X-Sandbox-Instance");
	inst = instance_by_id(s, id, &n);
	if (id && !inst)
		sb_reply_error(c, 404, "NOT_FOUND", NULL, "No instance with id %.40s.", id);
	else if (!id && n != 1) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", NULL, "%d instances are running: name "
			       "yours with the /sandbox-metadata/ID path prefix or the "
			       "X-Sandbox-Instance header.", n);
		json_decref(inst);
		inst = NULL;
	}
	return inst;
}

static void text(sb_call *c, const char *t)
{
	sb_reply_header(c, "Metadata-Flavor", "Google");
	sb_reply_bytes(c, 200, "application/text", st_xstrdup(t), strlen(t));
}

static void json_reply(sb_call *c, json_t *v)
{
	sb_reply_header(c, "Metadata-Flavor", "Google");
	sb_reply_json(c, 200, v);
}

static void not_found(sb_call *c)
{
	sb_reply_error(c, 404, "NOT_FOUND", NULL, "No such metadata entry: %s", sb_path(c));
}

static json_t *attributes(const json_t *inst)
{
	json_t *out = json_object(), *it;
	size_t i;

	json_array_foreach(stj_get(inst, "metadata.items"), i, it)
		if (stj_str(it, "key"))
			json_object_set_new(out, stj_str(it, "key"),
					    json_string(stj_str(it, "value") ? stj_str(it, "value") : ""));
	return out;
}

static bool recursive(sb_call *c)
{
	const char *r = sb_query(c, "recursive");

	return r && strcmp(r, "true") == 0;
}

static void attribute(sb_call *c, const json_t *inst, const char *key)
{
	json_t *attrs = attributes(inst), *v;
	const char *k;
	st_buf b;

	if (*key) {
		v = json_object_get(attrs, key);
		if (v)
			text(c, json_string_value(v));
		else
			not_found(c);
	} else if (recursive(c)) {
		json_reply(c, json_incref(attrs));
	} else {
		st_buf_init(&b);
		json_object_foreach(attrs, k, v)
			st_buf_printf(&b, "%s\n", k);
		text(c, b.p ? b.p : "");
		st_buf_free(&b);
	}
	json_decref(attrs);
}

static const char *sa_email(const json_t *inst, const char *alias)
{
	json_t *sa;
	size_t i;

	json_array_foreach(json_object_get(inst, "serviceAccounts"), i, sa) {
		const char *e = stj_str(sa, "email");

		if (e && (strcmp(alias, "default") == 0 || strcmp(alias, e) == 0))
			return e;
	}
	return NULL;
}

static void token(sb_server *s, sb_call *c, const char *email)
{
	int64_t exp = 0;
	char *tok = sb_issue_token(s, email, &exp);

	if (!tok) {
		sb_reply_error(c, 500, "INTERNAL", NULL, "Could not issue a token for %s.", email);
		return;
	}
	json_reply(c, json_pack("{s:s, s:I, s:s}", "access_token", tok, "expires_in",
				(json_int_t)exp, "token_type", "Bearer"));
	free(tok);
}

/* An OIDC identity token for the VM's service account, signed by the sandbox. */
static void identity(sb_server *s, sb_call *c, const json_t *inst, const char *email)
{
	const char *aud = sb_query(c, "audience"), *fmt = sb_query(c, "format");
	sb_jwt_key *k = sb_jwt_issuer_key(s);
	int64_t now = sb_now_ms(s) / 1000;
	json_t *claims;
	char *jwt, sub[32];
	unsigned long long h = 1469598103934665603ULL;
	const char *p;

	if (!aud || !*aud) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", NULL, "audience parameter is required");
		return;
	}
	for (p = email; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(sub, sizeof(sub), "1%019llu", h % 10000000000000000000ULL);
	claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I}", "iss", sb_base_url(s),
			   "aud", aud, "azp", sub, "sub", sub, "email", email, "email_verified", 1,
			   "iat", (json_int_t)now, "exp", (json_int_t)(now + 3600));
	if (fmt && strcmp(fmt, "full") == 0)
		json_object_set_new(claims, "google", json_pack("{s:{s:s, s:I, s:s, s:s, s:s}}",
			"compute_engine", "project_id", co_priv_str(inst, "project"),
			"project_number", (json_int_t)sb_project_number(s, co_priv_str(inst, "project")),
			"zone", cap_basename(stj_str(inst, "zone")), "instance_id", stj_str(inst, "id"),
			"instance_name", stj_str(inst, "name")));
	jwt = k ? sb_jwt_sign(k, claims) : NULL;
	if (jwt)
		text(c, jwt);
	else
		sb_reply_error(c, 500, "INTERNAL", NULL, "Could not sign an identity token.");
	free(jwt);
	json_decref(claims);
}

/* service-accounts/ lists the accounts; service-accounts/ALIAS/ describes one (as JSON
 * with ?recursive=true, which Google's client libraries ask for). */
static void account_listing(sb_call *c, const json_t *inst, const char *email, bool one)
{
	char *t;

	if (!one) {
		t = email ? st_xasprintf("default/\n%s/\n", email) : st_xstrdup("");
		text(c, t);
		free(t);
	} else if (recursive(c)) {
		json_reply(c, json_pack("{s:[s,s], s:s, s:[s]}", "aliases", "default", email,
					"email", email, "scopes",
					"https://www.googleapis.com/auth/cloud-platform"));
	} else {
		text(c, "aliases\nemail\nidentity\nscopes\ntoken\n");
	}
}

static void service_account(sb_server *s, sb_call *c, const json_t *inst, const char *rest)
{
	char alias[256];
	const char *slash = strchr(rest, '/'), *what, *email;

	if (!*rest) {
		account_listing(c, inst, sa_email(inst, "default"), false);
		return;
	}
	if (!slash || (size_t)(slash - rest) >= sizeof(alias)) {
		not_found(c);
		return;
	}
	memcpy(alias, rest, (size_t)(slash - rest));
	alias[slash - rest] = '\0';
	what = slash + 1;
	email = sa_email(inst, alias);
	if (!email)
		not_found(c);
	else if (!*what)
		account_listing(c, inst, email, true);
	else if (strcmp(what, "email") == 0)
		text(c, email);
	else if (strcmp(what, "token") == 0)
		token(s, c, email);
	else if (strcmp(what, "identity") == 0)
		identity(s, c, inst, email);
	else if (strcmp(what, "scopes") == 0)
		text(c, "https://www.googleapis.com/auth/cloud-platform\n");
	else
		not_found(c);
}

static void instance_entry(sb_server *s, sb_call *c, const json_t *inst, const char *e)
{
	char buf[256];

	if (strcmp(e, "id") == 0)
		text(c, stj_str(inst, "id"));
	else if (strcmp(e, "name") == 0 || strcmp(e, "hostname") == 0)
		text(c, stj_str(inst, "name"));
	else if (strcmp(e, "zone") == 0) {
		snprintf(buf, sizeof(buf), "projects/%lld/zones/%s",
			 (long long)sb_project_number(s, co_priv_str(inst, "project")),
			 cap_basename(stj_str(inst, "zone")));
		text(c, buf);
	} else if (strcmp(e, "machine-type") == 0) {
		text(c, cap_basename(stj_str(inst, "machineType")));
	} else if (st_starts_with(e, "attributes/") || strcmp(e, "attributes") == 0) {
		attribute(c, inst, e[10] ? e + 11 : "");
	} else if (st_starts_with(e, "service-accounts/")) {
		service_account(s, c, inst, e + 17);
	} else {
		not_found(c);
	}
}

static void serve(sb_server *s, sb_call *c)
{
	const char *path = sb_path(c), *e = strstr(path, "/computeMetadata/v1/");
	json_t *inst;
	char num[32];

	if (!e || !(inst = which_instance(s, c))) {
		if (!e)
			not_found(c);
		return;
	}
	e += strlen("/computeMetadata/v1/");
	if (st_starts_with(e, "instance/")) {
		instance_entry(s, c, inst, e + 9);
	} else if (strcmp(e, "project/project-id") == 0) {
		text(c, co_priv_str(inst, "project"));
	} else if (strcmp(e, "project/numeric-project-id") == 0) {
		snprintf(num, sizeof(num), "%lld",
			 (long long)sb_project_number(s, co_priv_str(inst, "project")));
		text(c, num);
	} else {
		not_found(c);
	}
	json_decref(inst);
}

static void md_get(sb_server *s, sb_call *c)
{
	serve(s, c);
}

#define MD "/computeMetadata/v1/"
#define PFX "/sandbox-metadata/{instance}"

/* {entry**} needs a non-empty last segment, so the directory forms that end in '/'
 * (which client libraries ask for) have routes of their own. */
static const sb_route routes[] = {
	{"GET", MD "instance/attributes/", md_get, NULL, NULL, SB_METADATA},
	{"GET", MD "instance/service-accounts/", md_get, NULL, NULL, SB_METADATA},
	{"GET", MD "instance/service-accounts/{sa}/", md_get, NULL, NULL, SB_METADATA},
	{"GET", MD "{entry**}", md_get, NULL, NULL, SB_METADATA},
	{"GET", PFX MD "instance/attributes/", md_get, NULL, NULL, SB_METADATA},
	{"GET", PFX MD "instance/service-accounts/", md_get, NULL, NULL, SB_METADATA},
	{"GET", PFX MD "instance/service-accounts/{sa}/", md_get, NULL, NULL, SB_METADATA},
	{"GET", PFX MD "{entry**}", md_get, NULL, NULL, SB_METADATA},
};

static void md_shutdown(sb_server *s)
{
	sb_jwt_issuer_forget();
}

const sb_service sb_svc_metadata = {
	.name = "metadata.google.internal",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.shutdown = md_shutdown,
};
