/* Cloud KMS module of the sandbox: declarations shared by its files (kms*.c).
 * Stored documents (kind: name):
 *   kms.ring:    projects/P/locations/L/keyRings/R        KeyRing
 *   kms.key:     .../keyRings/R/cryptoKeys/K              CryptoKey, "_primary" = version name
 *   kms.version: .../cryptoKeys/K/cryptoKeyVersions/N     CryptoKeyVersion, "_material" =
 *                the version's AES-256 key sealed by the master key (absent once destroyed)
 *   kms.policy:  .../cryptoKeys/K                         IAM Policy of the key
 * Fields whose name starts with '_' are private and never leave the sandbox. */
#ifndef SB_KMS_H
#define SB_KMS_H

#include <jansson.h>
#include <stdbool.h>

#include "sandbox/cmek.h"
#include "sandbox/sandbox.h"

#define KMS_SERVICE "cloudkms.googleapis.com"
#define KMS_ROLE_ED "roles/cloudkms.cryptoKeyEncrypterDecrypter"

extern const sb_service sb_svc_kms;

/* kms.c: module set-up and shared helpers */
const unsigned char *kms_master(void);
/* A copy of doc without its private '_' fields. */
json_t *kms_public(const json_t *doc);
/* Resource ids: letters, digits, '_' and '-', 1 to 63 characters. */
bool kms_valid_id(const char *id);
/* Names built from the route's captures; caller frees. */
char *kms_ring_name(const sb_call *c);
char *kms_key_name(const sb_call *c);
/* Loads a key; answers 404 and returns NULL when it does not exist. */
json_t *kms_key_load(sb_server *s, sb_call *c, const char *key_name);
/* Replies with one page of docs (already in order) under field, honouring pageSize and
 * pageToken; each doc is passed through view (which returns a new reference). */
void kms_reply_page(sb_server *s, sb_call *c, json_t *docs, const char *field,
		    json_t *(*view)(sb_server *, const json_t *));
void kms_now(sb_server *s, char *buf, size_t size);

/* kms_key.c */
json_t *kms_key_view(sb_server *s, const json_t *key);
/* Validates rotation fields of a create/patch body into key. -1: already answered. */
int kms_key_rotation(sb_call *c, const json_t *body, json_t *key, bool rotation_mask,
		     bool next_mask);
void kms_rotation_tick(sb_server *s);

/* kms_version.c */
/* Makes a new ENABLED version of key with fresh material; returns the stored doc
 * (new reference) or NULL on a store failure. */
json_t *kms_version_new(sb_server *s, const char *key_name, const json_t *key);
json_t *kms_version_view(sb_server *s, const json_t *ver);
/* The raw key of a version; -1 when it has no material (destroyed) or fails to open. */
int kms_version_material(const json_t *ver, unsigned char key[SB_CMEK_KEY_LEN]);
void kms_destroy_tick(sb_server *s);
/* The N in ".../cryptoKeyVersions/N"; -1 when name has no such suffix. */
long kms_version_number(const char *name);

/* kms_crypt.c */
/* Answers 400 FAILED_PRECONDITION when ver is not ENABLED; returns -1 then. */
int kms_require_enabled(sb_call *c, const json_t *ver, const char *ver_name);

/* kms_iam.c */
/* Checks an IAM policy's bindings (roles/..., members in user:, serviceAccount:,
 * group:, domain: ... forms); Storage's bucket policies use it too. -1 when c was
 * answered with the first problem found. */
int kms_check_bindings(sb_call *c, const json_t *bindings);
/* True when the caller may use the key for encrypt (or decrypt); otherwise answers
 * 403 with the permission that is missing. */
bool kms_may_use(sb_server *s, sb_call *c, const char *key_name, bool encrypt);

/* route handlers */
void kms_ring_create(sb_server *s, sb_call *c);
void kms_ring_get(sb_server *s, sb_call *c);
void kms_ring_list(sb_server *s, sb_call *c);
void kms_key_create(sb_server *s, sb_call *c);
void kms_key_get(sb_server *s, sb_call *c);
void kms_key_list(sb_server *s, sb_call *c);
void kms_key_patch(sb_server *s, sb_call *c);
void kms_key_update_primary(sb_server *s, sb_call *c);
void kms_version_create(sb_server *s, sb_call *c);
void kms_version_get(sb_server *s, sb_call *c);
void kms_version_list(sb_server *s, sb_call *c);
void kms_version_patch(sb_server *s, sb_call *c);
void kms_version_destroy(sb_server *s, sb_call *c);
void kms_version_restore(sb_server *s, sb_call *c);
void kms_encrypt(sb_server *s, sb_call *c);
void kms_decrypt(sb_server *s, sb_call *c);
void kms_get_iam_policy(sb_server *s, sb_call *c);
void kms_set_iam_policy(sb_server *s, sb_call *c);

#endif
