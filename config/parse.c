/* YAML -> st_config. libyaml builds the node tree (with line and column marks); the
 * schema table (schema.c) then drives the walk (walk.c, values.c), so a typo, a wrong
 * type or an odd value is reported at its exact place instead of being ignored. */
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "config/parse_priv.h"

/* Loads one document; 1 = loaded, 0 = end of stream, -1 = syntax error (reported). */
static int load_doc(yaml_parser_t *p, yaml_document_t *doc, const char *file, const char *text,
		    size_t len, st_diag_list *diags)
{
	if (!yaml_parser_load(p, doc)) {
		st_cfg_syntax_error(file, p, text, len, diags);
		return -1;
	}
	if (!yaml_document_get_root_node(doc)) {
		yaml_document_delete(doc);
		return 0;
	}
	return 1;
}

static int walk_document(struct ctx *x, yaml_parser_t *p, const char *text, size_t len)
{
	yaml_document_t doc;
	int r = load_doc(p, &doc, x->file, text, len, x->diags);
	if (r <= 0)
		return r;
	x->doc = &doc;
	const yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root->type == YAML_MAPPING_NODE)
		st_cfg_walk_map(x, root, st_schema_top, NULL);
	else if (!st_cfg_is_null(root))
		st_cfg_err(x, root, NULL, "expected a mapping of settings at the top level, got %s", st_cfg_node_kind(root));
	yaml_document_delete(&doc);
	x->doc = NULL;

	yaml_document_t extra;
	r = load_doc(p, &extra, x->file, text, len, x->diags);
	if (r < 0)
		return -1;
	if (r > 0) {
		const yaml_node_t *n = yaml_document_get_root_node(&extra);
		st_cfg_err(x, n, NULL, "expected one YAML document, found a second one");
		yaml_document_delete(&extra);
	}
	return 0;
}

/* Fills a missing region from the zone, so that "zone: europe-west4-b" alone is enough. */
static void derive_region(struct ctx *x)
{
	if (!st_keypos_find(&x->pos, "zone") || st_keypos_find(&x->pos, "region"))
		return;
	size_t len = strlen(x->c->zone);
	free(x->c->region);
	x->c->region = st_xstrndup(x->c->zone, len - 2); /* the zone check ensured "-x" at the end */
}

int st_config_parse(const char *name, const char *text, size_t len, st_config **out,
		    st_diag_list *diags)
{
	*out = NULL;
	struct ctx x = {.file = name, .c = st_config_defaults(), .diags = diags};
	/* Locations default to the region, which the file may change: derive them last. */
	st_config_set_str(&x.c->kms.location, NULL);
	st_config_set_str(&x.c->bucket.location, NULL);
	st_config_set_str(&x.c->priv->source, name);

	int r = st_cfg_flow_depth_ok(name, text, len, diags);
	if (r == 0) {
		yaml_parser_t p;
		yaml_parser_initialize(&p);
		yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
		r = walk_document(&x, &p, text, len);
		yaml_parser_delete(&p);
	}

	if (r == 0) {
		bool clean = x.errors == 0;
		if (clean)
			derive_region(&x);
		st_config_derive(x.c);
		x.errors += st_config_validate(x.c, name, &x.pos, clean, diags);
	}
	for (size_t i = 0; i < x.pos.count; i++)
		free(x.pos.items[i].path);
	free(x.pos.items);
	if (r < 0 || x.errors) {
		st_config_free(x.c);
		return -1;
	}
	*out = x.c;
	return 0;
}
