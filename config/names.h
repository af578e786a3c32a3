/* Google's naming rules for the resources sealtrain creates, checked before any
 * request is sent so that a typo fails in `config check`, not halfway through a run. */
#ifndef ST_CONFIG_NAMES_H
#define ST_CONFIG_NAMES_H

#include <stddef.h>

enum st_name_kind {
	ST_NAME_PROJECT,  /* project id: 6-30, [a-z][-a-z0-9]*[a-z0-9] */
	ST_NAME_REGION,   /* us-central1 */
	ST_NAME_ZONE,     /* us-central1-a */
	ST_NAME_SUFFIX,   /* [a-z0-9]{1,12} */
	ST_NAME_BUCKET,   /* Cloud Storage bucket */
	ST_NAME_KMS,      /* key ring or crypto key id: [a-zA-Z0-9_-]{1,63} */
	ST_NAME_ACCOUNT,  /* service account id: 6-30, [a-z]([-a-z0-9]*[a-z0-9]) */
	ST_NAME_COMPUTE,  /* RFC 1035 label: instance, template, reservation */
	ST_NAME_SINK,     /* logging sink id: [A-Za-z0-9_.-]{1,100} */
	ST_NAME_DISPLAY,  /* display name: 1-128 characters, no control characters */
	ST_NAME_TYPE,     /* machine, accelerator or disk type: [a-z0-9-]{1,63} */
};

/* 0 when value is a valid name of that kind; else -1 with the broken rule in why. */
int st_name_check(enum st_name_kind kind, const char *value, char *why, size_t whylen);
/* What the kind is called in messages: "bucket name", "project id", ... */
const char *st_name_kind_label(enum st_name_kind kind);

#endif
