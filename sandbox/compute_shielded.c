/* getShieldedInstanceIdentity: the vTPM endorsement keys of an instance. The sandbox
 * has no vTPM, so each instance gets RSA key pairs made once and kept; the public
 * halves are what the API returns (there is no EK certificate to return). */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "sandbox/compute.h"
#include "sandbox/jwt_sign.h"

static const char *ek_pub(json_t *inst, const char *which)
{
	const char *have = co_priv_str(inst, which);
	sb_jwt_key *k;
	char *pem;

	if (have)
		return have;
	k = sb_jwt_key_generate();
	pem = k ? sb_jwt_key_public_pem(k) : NULL;
	sb_jwt_key_free(k);
	if (!pem)
		return NULL;
	json_object_set_new(co_priv(inst), which, json_string(pem));
	free(pem);
	return co_priv_str(inst, which);
}

void co_instance_shielded_identity(sb_server *s, sb_call *c)
{
	char *full = st_xasprintf("projects/%s/zones/%s/instances/%s", sb_var(c, "project"),
				  sb_var(c, "zone"), sb_var(c, "instance"));
	json_t *inst = sb_get(s, CK_INSTANCE, full);
	const char *sig, *enc;

	if (!inst) {
		co_not_found(c, full);
	} else if (!stj_bool(inst, "shieldedInstanceConfig.enableVtpm", true)) {
		sb_reply_error(c, 400, "FAILED_PRECONDITION", "resourceNotReady", "The instance "
			       "'%s' has no vTPM (shieldedInstanceConfig.enableVtpm is false).", full);
	} else if (!(sig = ek_pub(inst, "ekSigning")) || !(enc = ek_pub(inst, "ekEncryption"))) {
		sb_reply_error(c, 500, "INTERNAL", NULL, "Could not create vTPM keys.");
	} else {
		sb_put(s, CK_INSTANCE, full, inst);
		sb_reply_json(c, 200, json_pack("{s:s, s:{s:s}, s:{s:s}}", "kind",
						"compute#shieldedInstanceIdentity", "signingKey",
						"ekPub", sig, "encryptionKey", "ekPub", enc));
	}
	json_decref(inst);
	free(full);
}
