/* Shared by the sources that read sealtrain.yaml (schema.c, walk.c, values.c,
 * syntax.c, parse.c): the schema's shape and the state of one parse. */
#ifndef ST_CONFIG_PARSE_PRIV_H
#define ST_CONFIG_PARSE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "config/config_priv.h"

/* Most keys in one mapping of the schema (see st_cfg_walk_map). */
#define MAX_TABLE 16

/* Past this many problems the rest are noise; the operator fixes these first. */
#define MAX_ERRORS 50

enum kind { K_MAP, K_STR, K_INT, K_I64, K_BOOL, K_DUR, K_DOUBLE, K_ENUM, K_CHOICE };
#define F_NULL 1u /* null is allowed and means "not set" */
#define F_NAME 2u /* a name checked by st_name_check; arg is its kind */
#define F_URL 4u  /* a base URL; stored without its trailing slash */

struct key;
typedef int (*check_fn)(const struct key *k, const char *v, char *why, size_t n);

/* One key of the schema. Values land at offset off inside st_config. */
struct key {
	const char *name;
	enum kind kind;
	size_t off;
	int64_t min, max;
	const struct key *sub;      /* K_MAP */
	const char *const *choices; /* K_ENUM (index stored as int), K_CHOICE (string) */
	check_fn check;             /* K_STR */
	int arg;                    /* name kind or API index for check */
	unsigned flags;
};

/* The top-level mapping; tables end with an entry whose name is NULL. */
extern const struct key st_schema_top[];

struct ctx {
	const char *file;
	yaml_document_t *doc;
	st_config *c;
	st_diag_list *diags;
	size_t errors;
	struct st_keypos_list pos;
};

/* values.c */
void st_cfg_err(struct ctx *x, const yaml_node_t *node, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void st_cfg_show(const yaml_node_t *n, char *out, size_t size);
const char *st_cfg_node_kind(const yaml_node_t *n);
bool st_cfg_is_null(const yaml_node_t *n);
void st_cfg_record_pos(struct ctx *x, const char *path, const yaml_node_t *n);
const char *st_cfg_expect_what(const struct key *k);
void st_cfg_set_null(struct ctx *x, const struct key *k);
/* Stores a non-null scalar for k, or reports why it does not fit. */
void st_cfg_set_scalar(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path);

/* walk.c */
void st_cfg_walk_map(struct ctx *x, const yaml_node_t *map, const struct key *table, const char *prefix);

/* syntax.c */
void st_cfg_offset_to_mark(const char *text, size_t len, size_t off, unsigned *line, unsigned *col);
/* 0, or -1 with a diagnostic when [ ] and { } nest deeper than libyaml handles well. */
int st_cfg_flow_depth_ok(const char *file, const char *text, size_t len, st_diag_list *diags);
void st_cfg_syntax_error(const char *file, const yaml_parser_t *p, const char *text, size_t len,
			 st_diag_list *diags);

#endif
