/* IAM v1: service accounts and their keys. keys.create makes a real RSA key pair and
 * hands back Google's key-file JSON; the sandbox keeps only the public half, which
 * /token uses to verify JWT assertions signed with the private half. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "sandbox/server.h"

#define IAM "iam.googleapis.com"
#define IAM_MAX_KEYS 10

/* ------------------------------------------------------------------ lookup */

json_t *sb_iam_find_sa(sb_server *s, const char *project, const char *id)
{
	if (!id)
		return NULL;
	json_t *idx = sb_get(s, "sa_idx", id);
	const char *name = stj_str(idx, "name");
	json_t *sa = name ? sb_get(s, "sa", name) : NULL;
	json_decref(idx);
	if (sa && project && strcmp(project, "-") != 0) {
		const char *pid = stj_str(sa, "projectId");
		if (!pid || strcmp(pid, project) != 0) {
			json_decref(sa);
			sa = NULL;
		}
	}
	return sa;
}

static json_t *find_or_404(sb_server *s, sb_call *c)
{
	const char *id = sb_var(c, "sa");
	json_t *sa = sb_iam_find_sa(s, sb_var(c, "project"), id);
	if (!sa) {
		char *what = st_xasprintf("Service account projects/%s/serviceAccounts/%s",
					  sb_var(c, "project"), id);
		sb_reply_not_found(c, what);
		free(what);
		return NULL;
	}
	sb_audit_resource(c, stj_str(sa, "name"));
	return sa;
}

/* ------------------------------------------------------------------ accounts */

static bool account_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n < 6 || n > 30 || !islower((unsigned char)id[0]) || id[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)id[i]) && !isdigit((unsigned char)id[i]) && id[i] != '-')
			return false;
	return true;
}

static char *unique_id(void)
{
	unsigned char r[8];
	st_random_bytes(r, sizeof r);
	unsigned long long v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | r[i];
	return st_xasprintf("1%020llu", v % 10000000000000000000ull);
}

static int check_text(sb_call *c, json_t *obj, const char *field, size_t max)
{
	json_t *v = json_object_get(obj, field);
	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) > max) {
		sb_reply_invalid(c, "serviceAccount.%s: must be a string of at most %zu bytes",
				 field, max);
		return -1;
	}
	return 0;
}

static void create_sa(sb_server *s, sb_call *c)
{
	json_t *req = sb_json(c);
	if (!req)
		return;
	const char *project = sb_need_project(c);
	if (!project)
		return;
	const char *aid = stj_str(req, "accountId");
	json_t *in = json_object_get(req, "serviceAccount");
	if (!aid)
		return sb_reply_invalid(c, "accountId: required");
	if (!account_id_ok(aid))
		return sb_reply_invalid(c, "accountId: '%s' must be 6-30 characters of lowercase "
					   "letters, digits and hyphens, starting with a letter", aid);
	if (in && !json_is_object(in))
		return sb_reply_invalid(c, "serviceAccount: must be an object");
	if (check_text(c, in, "displayName", 100) < 0 || check_text(c, in, "description", 256) < 0)
		return;
	char *email = st_xasprintf("%s@%s.iam.gserviceaccount.com", aid, project);
	char *name = st_xasprintf("projects/%s/serviceAccounts/%s", project, email);
	char *uid = unique_id();
	json_t *sa = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", name,
			       "projectId", project, "uniqueId", uid, "email", email,
			       "displayName", stj_str(in, "displayName") ? stj_str(in, "displayName") : "",
			       "etag", "MDEwMjE5MjA=", "description",
			       stj_str(in, "description") ? stj_str(in, "description") : "",
			       "oauth2ClientId", uid);
	json_t *idx = json_pack("{s:s}", "name", name);
	int rc = sb_insert(s, "sa", name, sa);
	if (rc == 1) {
		char *what = st_xasprintf("Service account %s", aid);
		sb_reply_exists(c, what);
		free(what);
	} else if (rc < 0 || sb_put(s, "sa_idx", email, idx) < 0 ||
		   sb_put(s, "sa_idx", uid, idx) < 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "cannot store the service account");
	} else {
		sb_audit_resource(c, name);
		sb_reply_json(c, 200, json_incref(sa));
	}
	json_decref(idx);
	json_decref(sa);
	free(uid);
	free(name);
	free(email);
}

static void get_sa(sb_server *s, sb_call *c)
{
	json_t *sa = find_or_404(s, c);
	if (sa)
		sb_reply_json(c, 200, sa);
}

static int page_limit(sb_call *c, int def, int max)
{
	const char *ps = sb_query(c, "pageSize");
	if (!ps || !*ps)
		return def;
	char *end;
	long n = strtol(ps, &end, 10);
	if (*end || n < 0) {
		sb_reply_invalid(c, "pageSize: must be a non-negative integer");
		return -1;
	}
	return n == 0 ? def : n > max ? max : (int)n;
}

static void list_sa(sb_server *s, sb_call *c)
{
	int limit = page_limit(c, 20, 100);
	if (limit < 0 || !sb_need_project(c))
		return;
	char *after = NULL;
	const char *tok = sb_query(c, "pageToken");
	if (tok && *tok && !(after = sb_page_token_decode(tok)))
		return sb_reply_invalid(c, "pageToken: invalid page token");
	char *prefix = st_xasprintf("projects/%s/serviceAccounts/", sb_call_project(c));
	char *next = NULL;
	json_t *page = sb_list_page(s, "sa", prefix, after ? after : "", (size_t)limit, &next);
	json_t *out = json_object();
	if (json_array_size(page))
		json_object_set(out, "accounts", page);
	sb_set_page_token(out, next);
	json_decref(page);
	free(next);
	free(prefix);
	free(after);
	sb_reply_json(c, 200, out);
}

static void drop_keys(sb_server *s, const char *sa_name)
{
	char *prefix = st_xasprintf("%s/keys/", sa_name);
	json_t *keys = sb_list(s, "sakey", prefix);
	size_t i;
	json_t *k;
	json_array_foreach(keys, i, k) {
		const char *kn = stj_str(k, "name");
		const char *kid = strrchr(kn, '/') + 1;
		sb_del(s, "sakey_kid", kid);
		sb_del(s, "sakey", kn);
	}
	json_decref(keys);
	free(prefix);
}

static void delete_sa(sb_server *s, sb_call *c)
{
	json_t *sa = find_or_404(s, c);
	if (!sa)
		return;
	const char *name = stj_str(sa, "name");
	drop_keys(s, name);
	sb_del(s, "sa_idx", stj_str(sa, "email"));
	sb_del(s, "sa_idx", stj_str(sa, "uniqueId"));
	sb_del(s, "policy", name);
	sb_del(s, "sa", name);
	json_decref(sa);
	sb_reply_json(c, 200, json_object());
}

/* :disable and :enable. A disabled account keeps its keys but cannot sign in. */
static void set_disabled(sb_server *s, sb_call *c, bool disabled)
{
	json_t *req = sb_json(c);
	if (!req)
		return;
	json_t *sa = find_or_404(s, c);
	if (!sa)
		return;
	if (disabled)
		json_object_set_new(sa, "disabled", json_true());
	else
		json_object_del(sa, "disabled");
	if (sb_put(s, "sa", stj_str(sa, "name"), sa) < 0)
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "cannot store the service account");
	else
		sb_reply_json(c, 200, json_object());
	json_decref(sa);
}

static void disable_sa(sb_server *s, sb_call *c)
{
	set_disabled(s, c, true);
}

static void enable_sa(sb_server *s, sb_call *c)
{
	set_disabled(s, c, false);
}

/* The account's own IAM policy (who may act as it: roles/iam.serviceAccountUser). */
static void sa_get_policy(sb_server *s, sb_call *c)
{
	json_t *sa = find_or_404(s, c);
	if (sa)
		sb_policy_get(s, c, stj_str(sa, "name"), false);
	json_decref(sa);
}

static void sa_set_policy(sb_server *s, sb_call *c)
{
	json_t *sa = find_or_404(s, c);
	if (sa)
		sb_policy_set(s, c, stj_str(sa, "name"), false);
	json_decref(sa);
}

/* ------------------------------------------------------------------ keys */

static char *pem_of(EVP_PKEY *pk, bool private_key)
{
	BIO *b = BIO_new(BIO_s_mem());
	int ok = private_key ? PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL)
			     : PEM_write_bio_PUBKEY(b, pk);
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	char *out = ok && n > 0 ? st_xstrndup(data, (size_t)n) : NULL;
	BIO_free(b);
	return out;
}

static char *key_file_json(sb_server *s, json_t *sa, const char *kid, const char *priv_pem)
{
	char *token_uri = st_xasprintf("%s/token", sb_base_url(s));
	json_t *kf = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			       "type", "service_account", "project_id", stj_str(sa, "projectId"),
			       "private_key_id", kid, "private_key", priv_pem,
			       "client_email", stj_str(sa, "email"), "client_id",
			       stj_str(sa, "uniqueId"), "auth_uri",
			       "https://accounts.google.com/o/oauth2/auth", "token_uri", token_uri,
			       "auth_provider_x509_cert_url",
			       "https://www.googleapis.com/oauth2/v1/certs", "universe_domain",
			       "googleapis.com");
	char *text = json_dumps(kf, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(kf);
	free(token_uri);
	return text;
}

static json_t *key_public(json_t *k)
{
	json_t *out = json_deep_copy(k);
	json_object_del(out, "publicKeyPem");
	json_object_del(out, "publicKeyDer");
	return out;
}

static int key_params(sb_call *c, json_t *req, int *bits)
{
	const char *type = stj_str(req, "privateKeyType");
	const char *alg = stj_str(req, "keyAlgorithm");
	if (type && strcmp(type, "TYPE_UNSPECIFIED") != 0 &&
	    strcmp(type, "TYPE_GOOGLE_CREDENTIALS_FILE") != 0) {
		if (strcmp(type, "TYPE_PKCS12_FILE") == 0)
			sb_reply_error(c, 501, "UNIMPLEMENTED", NULL, "privateKeyType "
				       "TYPE_PKCS12_FILE is not simulated by the sandbox");
		else
			sb_reply_invalid(c, "privateKeyType: invalid value '%s'", type);
		return -1;
	}
	*bits = 2048;
	if (alg && strcmp(alg, "KEY_ALG_RSA_1024") == 0)
		*bits = 1024;
	else if (alg && strcmp(alg, "KEY_ALG_UNSPECIFIED") != 0 &&
		 strcmp(alg, "KEY_ALG_RSA_2048") != 0) {
		sb_reply_invalid(c, "keyAlgorithm: invalid value '%s'", alg);
		return -1;
	}
	return 0;
}

static int store_key(sb_server *s, json_t *sa, const char *kname, const char *kid,
		     json_t *key, const char *pub_pem)
{
	json_t *by_kid = json_pack("{s:s, s:s, s:s}", "name", kname, "email",
				   stj_str(sa, "email"), "publicKeyPem", pub_pem);
	json_t *stored = json_deep_copy(key);
	json_object_set_new(stored, "publicKeyPem", json_string(pub_pem));
	int rc = sb_put(s, "sakey", kname, stored) < 0 || sb_put(s, "sakey_kid", kid, by_kid) < 0
			 ? -1 : 0;
	json_decref(stored);
	json_decref(by_kid);
	return rc;
}

static void create_key(sb_server *s, sb_call *c)
{
	json_t *req = sb_json(c);
	int bits = 0;
	if (!req || key_params(c, req, &bits) < 0)
		return;
	json_t *sa = find_or_404(s, c);
	if (!sa)
		return;
	char *prefix = st_xasprintf("%s/keys/", stj_str(sa, "name"));
	json_t *have = sb_list(s, "sakey", prefix);
	if (json_array_size(have) >= IAM_MAX_KEYS) {
		sb_reply_error(c, 400, "FAILED_PRECONDITION", NULL, "Precondition check failed: "
			       "a service account can have at most %d keys.", IAM_MAX_KEYS);
		goto out;
	}
	EVP_PKEY *pk = EVP_RSA_gen((unsigned)bits);
	char *priv = pk ? pem_of(pk, true) : NULL, *pub = pk ? pem_of(pk, false) : NULL;
	unsigned char raw[20];
	st_random_bytes(raw, sizeof raw);
	char kid[41];
	st_hex_encode(raw, sizeof raw, kid);
	char *kname = st_xasprintf("%s%s", prefix, kid);
	char now[48], until[48];
	sb_now_rfc3339(s, now, sizeof now);
	st_rfc3339_format(253402300799000LL, until, sizeof until); /* 9999-12-31: no expiry */
	json_t *key = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "name", kname,
				"validAfterTime", now, "validBeforeTime", until, "keyAlgorithm",
				bits == 1024 ? "KEY_ALG_RSA_1024" : "KEY_ALG_RSA_2048",
				"keyOrigin", "GOOGLE_PROVIDED", "keyType", "USER_MANAGED",
				"privateKeyType", "TYPE_GOOGLE_CREDENTIALS_FILE", "disabled", 0);
	if (!priv || !pub || store_key(s, sa, kname, kid, key, pub) < 0) {
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "cannot create the key");
	} else {
		char *file = key_file_json(s, sa, kid, priv);
		char *b64 = st_base64_encode(file, strlen(file));
		json_object_set_new(key, "privateKeyData", json_string(b64));
		OPENSSL_cleanse(file, strlen(file));
		free(file);
		free(b64);
		sb_audit_resource(c, kname);
		sb_reply_json(c, 200, json_incref(key));
	}
	json_decref(key);
	if (priv)
		OPENSSL_cleanse(priv, strlen(priv));
	free(priv);
	free(pub);
	free(kname);
	EVP_PKEY_free(pk);
out:
	json_decref(have);
	json_decref(sa);
	free(prefix);
}

static void list_keys(sb_server *s, sb_call *c)
{
	json_t *sa = find_or_404(s, c);
	if (!sa)
		return;
	size_t nt = 0;
	const char *const *types = sb_query_all(c, "keyTypes", &nt);
	bool user = nt == 0, system = nt == 0;
	for (size_t i = 0; i < nt; i++) {
		if (strcmp(types[i], "USER_MANAGED") == 0)
			user = true;
		else if (strcmp(types[i], "SYSTEM_MANAGED") == 0)
			system = true;
		else if (strcmp(types[i], "KEY_TYPE_UNSPECIFIED") != 0) {
			json_decref(sa);
			return sb_reply_invalid(c, "keyTypes: invalid value '%s'", types[i]);
		}
	}
	(void)system; /* the sandbox has no Google-managed keys to list */
	char *prefix = st_xasprintf("%s/keys/", stj_str(sa, "name"));
	json_t *all = sb_list(s, "sakey", prefix);
	json_t *out = json_array();
	size_t i;
	json_t *k;
	json_array_foreach(all, i, k)
		if (user)
			json_array_append_new(out, key_public(k));
	json_decref(all);
	free(prefix);
	json_decref(sa);
	sb_reply_json(c, 200, json_pack("{s:o}", "keys", out));
}

static json_t *find_key(sb_server *s, sb_call *c)
{
	json_t *sa = find_or_404(s, c);
	if (!sa)
		return NULL;
	char *kname = st_xasprintf("%s/keys/%s", stj_str(sa, "name"), sb_var(c, "key"));
	json_t *k = sb_get(s, "sakey", kname);
	if (!k)
		sb_reply_not_found(c, kname);
	else
		sb_audit_resource(c, kname);
	free(kname);
	json_decref(sa);
	return k;
}

static char *raw_public_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pk = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int n = pk ? i2d_PUBKEY(pk, &der) : -1;
	char *out = n > 0 ? st_base64_encode(der, (size_t)n) : NULL;
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	BIO_free(b);
	return out;
}

static void get_key(sb_server *s, sb_call *c)
{
	const char *pkt = sb_query(c, "publicKeyType");
	if (pkt && strcmp(pkt, "TYPE_NONE") != 0 && strcmp(pkt, "TYPE_RAW_PUBLIC_KEY") != 0) {
		if (strcmp(pkt, "TYPE_X509_PEM_FILE") == 0)
			return sb_reply_error(c, 501, "UNIMPLEMENTED", NULL, "publicKeyType "
					      "TYPE_X509_PEM_FILE is not simulated by the sandbox; "
					      "use TYPE_RAW_PUBLIC_KEY");
		return sb_reply_invalid(c, "publicKeyType: invalid value '%s'", pkt);
	}
	json_t *k = find_key(s, c);
	if (!k)
		return;
	json_t *out = key_public(k);
	if (pkt && strcmp(pkt, "TYPE_RAW_PUBLIC_KEY") == 0) {
		char *raw = raw_public_key(stj_str(k, "publicKeyPem"));
		if (raw)
			json_object_set_new(out, "publicKeyData", json_string(raw));
		free(raw);
	}
	json_decref(k);
	sb_reply_json(c, 200, out);
}

static void delete_key(sb_server *s, sb_call *c)
{
	json_t *k = find_key(s, c);
	if (!k)
		return;
	sb_del(s, "sakey_kid", sb_var(c, "key"));
	sb_del(s, "sakey", stj_str(k, "name"));
	json_decref(k);
	sb_reply_json(c, 200, json_object());
}

#define A(m) "google.iam.admin.v1." m
#define SA "/v1/projects/{project}/serviceAccounts"
static const sb_route routes[] = {
	{"POST", SA, create_sa, IAM, A("CreateServiceAccount"), 0},
	{"GET", SA, list_sa, IAM, A("ListServiceAccounts"), 0},
	{"GET", SA "/{sa}", get_sa, IAM, A("GetServiceAccount"), 0},
	{"DELETE", SA "/{sa}", delete_sa, IAM, A("DeleteServiceAccount"), 0},
	{"POST", SA "/{sa}:disable", disable_sa, IAM, A("DisableServiceAccount"), 0},
	{"POST", SA "/{sa}:enable", enable_sa, IAM, A("EnableServiceAccount"), 0},
	{"POST", SA "/{sa}:getIamPolicy", sa_get_policy, IAM, A("GetIAMPolicy"), SB_ADMIN_READ},
	{"POST", SA "/{sa}:setIamPolicy", sa_set_policy, IAM, A("SetIAMPolicy"), 0},
	{"POST", SA "/{sa}/keys", create_key, IAM, A("CreateServiceAccountKey"), 0},
	{"GET", SA "/{sa}/keys", list_keys, IAM, A("ListServiceAccountKeys"), 0},
	{"GET", SA "/{sa}/keys/{key}", get_key, IAM, A("GetServiceAccountKey"), 0},
	{"DELETE", SA "/{sa}/keys/{key}", delete_key, IAM, A("DeleteServiceAccountKey"), 0},
};
#undef A
#undef SA

const sb_service sb_svc_iam = {
	.name = IAM,
	.routes = routes,
	.nroutes = sizeof routes / sizeof *routes,
};
