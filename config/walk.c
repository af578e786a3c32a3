/* The walk over the YAML tree, driven by the schema table: unknown keys, repeated
 * keys and values of the wrong shape are reported where they stand. */
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "config/parse_priv.h"

/* The closest name in the table, when it is close enough to be a likely typo. */
static const char *closest(const char *name, const struct key *table)
{
	const char *best = NULL;
	unsigned bd = 255;
	for (const struct key *k = table; k->name; k++) {
		unsigned d = st_levenshtein(name, k->name);
		if (d < bd) {
			bd = d;
			best = k->name;
		}
	}
	/* Two edits turn any short word into another: demand a longer name for those. */
	size_t len = strlen(name);
	return bd <= 1 || (bd == 2 && len >= 5) || bd * 3 <= len ? best : NULL;
}

static void set_value(struct ctx *x, const struct key *k, const yaml_node_t *n, const char *path)
{
	if (k->kind == K_MAP) {
		if (n->type == YAML_MAPPING_NODE)
			st_cfg_walk_map(x, n, k->sub, path);
		else if (!st_cfg_is_null(n))
			st_cfg_err(x, n, path, "expected a mapping of %s settings, got %s", k->name, st_cfg_node_kind(n));
		return;
	}
	if (n->type != YAML_SCALAR_NODE) {
		st_cfg_err(x, n, path, "expected %s, got %s", st_cfg_expect_what(k), st_cfg_node_kind(n));
		return;
	}
	if (st_cfg_is_null(n)) {
		if (k->flags & F_NULL)
			st_cfg_set_null(x, k);
		else
			st_cfg_err(x, n, path, "expected %s, got nothing", st_cfg_expect_what(k));
		return;
	}
	st_cfg_set_scalar(x, k, n, path);
}

static void unknown_key(struct ctx *x, const yaml_node_t *kn, const char *name, const char *path,
			const struct key *table)
{
	char shown[64];
	st_cfg_show(kn, shown, sizeof shown);
	const char *near = closest(name, table);
	if (near) {
		st_cfg_err(x, kn, path, "unknown key %s; did you mean \"%s\"?", shown, near);
		return;
	}
	st_buf b;
	st_buf_init(&b);
	for (const struct key *k = table; k->name; k++)
		st_buf_printf(&b, "%s%s", k == table ? "" : ", ", k->name);
	st_cfg_err(x, kn, path, "unknown key %s (known keys: %s)", shown, b.p);
	st_buf_free(&b);
}

/* Keys per mapping are few; a line number per table entry finds a repeated key in
 * constant time, so a hostile file of 100,000 "zone:" lines stays fast. */
void st_cfg_walk_map(struct ctx *x, const yaml_node_t *map, const struct key *table, const char *prefix)
{
	unsigned long first_line[MAX_TABLE] = {0};
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top && x->errors < MAX_ERRORS; pair++) {
		const yaml_node_t *kn = yaml_document_get_node(x->doc, pair->key);
		const yaml_node_t *vn = yaml_document_get_node(x->doc, pair->value);
		if (!kn || !vn)
			continue;
		if (kn->type != YAML_SCALAR_NODE) {
			st_cfg_err(x, kn, prefix, "expected a key name, got %s", st_cfg_node_kind(kn));
			continue;
		}
		const char *name = (const char *)kn->data.scalar.value;
		char *path = prefix ? st_xasprintf("%s.%s", prefix, name) : st_xstrdup(name);
		const struct key *k = table;
		while (k->name && strcmp(k->name, name) != 0)
			k++;
		size_t idx = (size_t)(k - table);
		if (!k->name) {
			unknown_key(x, kn, name, path, table);
		} else if (first_line[idx]) {
			st_cfg_err(x, kn, path, "duplicate key (first given at line %lu)", first_line[idx]);
		} else {
			first_line[idx] = (unsigned long)kn->start_mark.line + 1;
			st_cfg_record_pos(x, path, vn->type == YAML_SCALAR_NODE && !*vn->data.scalar.value ? kn : vn);
			set_value(x, k, vn, path);
		}
		free(path);
	}
}
