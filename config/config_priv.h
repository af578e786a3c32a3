/* Internals shared by the config/ sources; not part of the public contract. */
#ifndef ST_CONFIG_PRIV_H
#define ST_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

struct st_config_private {
	char *source;          /* file the values came from, or "built-in defaults" */
	char *aip_url;         /* Google's regional Vertex host, built for aip_region */
	char *aip_region;
};

/* Replaces *slot with a copy of value (NULL allowed). */
void st_config_set_str(char **slot, const char *value);
/* Fills the fields whose default depends on others (kms/bucket location from region). */
void st_config_derive(st_config *c);

/* Where a key's value sits in the file, so that checks across keys can point at it. */
struct st_keypos {
	char *path; /* "compute.provisioning" */
	unsigned line, col;
};

struct st_keypos_list {
	struct st_keypos *items;
	size_t count, cap;
};

/* The key's position, or NULL when the file does not set it. */
const struct st_keypos *st_keypos_find(const struct st_keypos_list *l, const char *path);

/* The name rules (run after parsing, when names.suffix is known) and, when across is
 * true, the checks that compare several keys. Appends to diags; returns the number added. */
size_t st_config_validate(st_config *c, const char *file, const struct st_keypos_list *pos,
			  bool across, st_diag_list *diags);

/* 0 when url is an acceptable base URL for api (ST_API_*, or -1 for endpoints.default);
 * otherwise -1 and why says what is wrong. */
int st_endpoint_check(const char *url, int api, char *why, size_t whylen);
/* url without its trailing slashes; caller frees. */
char *st_endpoint_normalize(const char *url);

#endif
