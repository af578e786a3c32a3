/* Before and around libyaml: a depth check it needs, and its syntax errors turned
 * into FILE:LINE:COL diagnostics. */
#include <stdbool.h>
#include <string.h>

#include "config/parse_priv.h"

/* libyaml's reader errors carry a byte offset instead of a mark. */
void st_cfg_offset_to_mark(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

void st_cfg_syntax_error(const char *file, const yaml_parser_t *p, const char *text, size_t len,
			 st_diag_list *diags)
{
	unsigned line, col;
	if (p->error == YAML_READER_ERROR) {
		st_cfg_offset_to_mark(text, len, p->problem_offset, &line, &col);
	} else {
		line = (unsigned)p->problem_mark.line + 1;
		col = (unsigned)p->problem_mark.column + 1;
	}
	const char *problem = p->problem ? p->problem : "unknown error";
	/* libyaml's wording for a tab in the indentation does not say "tab". */
	size_t off = p->problem_mark.index;
	if (p->error == YAML_SCANNER_ERROR && off < len && text[off] == '\t') {
		st_diag_add(diags, file, line, col, NULL,
			    "malformed YAML: a tab character cannot indent YAML; use spaces");
		return;
	}
	if (p->context)
		st_diag_add(diags, file, line, col, NULL, "malformed YAML: %s %s", problem, p->context);
	else
		st_diag_add(diags, file, line, col, NULL, "malformed YAML: %s", problem);
}

/* libyaml slows down quadratically with the depth of nested flow collections (20,000
 * '[' take seconds, a megabyte of them hours), and no config needs more than a few
 * levels: count them first, skipping quoted scalars and comments. */
#define MAX_FLOW_DEPTH 64

static bool token_start(const char *text, size_t i)
{
	return i == 0 || strchr(" \t\r\n[{,:", text[i - 1]) != NULL;
}

int st_cfg_flow_depth_ok(const char *file, const char *text, size_t len, st_diag_list *diags)
{
	int depth = 0;
	char quote = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (quote == '"') {
			if (c == '\\')
				i++;
			else if (c == '"')
				quote = 0;
		} else if (quote == '\'') {
			if (c == '\'' && i + 1 < len && text[i + 1] == '\'')
				i++;
			else if (c == '\'')
				quote = 0;
		} else if (c == '#' && token_start(text, i)) {
			while (i < len && text[i] != '\n')
				i++;
		} else if ((c == '"' || c == '\'') && token_start(text, i)) {
			quote = c;
		} else if (c == '[' || c == '{') {
			if (++depth > MAX_FLOW_DEPTH) {
				unsigned line, col;
				st_cfg_offset_to_mark(text, len, i, &line, &col);
				st_diag_add(diags, file, line, col, NULL,
					    "malformed YAML: [ ] and { } nested deeper than %d levels", MAX_FLOW_DEPTH);
				return -1;
			}
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}
