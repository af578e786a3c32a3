/* Configuration diagnostics: each problem found in a config file, with where it is.
 * Rendered as "FILE:LINE:COL: KEY: MESSAGE" so editors and grep can jump to it. */
#ifndef ST_DIAG_H
#define ST_DIAG_H

#include <stddef.h>
#include <stdio.h>

typedef struct st_diag {
	char *file;     /* path as the user gave it, or "built-in defaults" */
	unsigned line;  /* 1-based; 0 when the problem has no position (file missing, too big) */
	unsigned col;   /* 1-based; 0 together with line */
	char *key_path; /* dotted path such as "compute.machine_type"; "" for the whole file */
	char *message;  /* what was found and what was expected, one line */
} st_diag;

typedef struct st_diag_list {
	st_diag *items;
	size_t count;
	size_t cap;
} st_diag_list;

void st_diag_list_init(st_diag_list *l);
void st_diag_list_free(st_diag_list *l);
/* Appends one diagnostic; file, key_path may be NULL (treated as ""). */
void st_diag_add(st_diag_list *l, const char *file, unsigned line, unsigned col,
		 const char *key_path, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* "FILE:LINE:COL: KEY: MESSAGE"; the ":LINE:COL" part is left out when line is 0 and
 * the "KEY: " part when key_path is empty. Caller frees. */
char *st_diag_format(const st_diag *d);
/* One line per diagnostic, in the order they were found. */
void st_diag_print(const st_diag_list *l, FILE *fp);

#endif
