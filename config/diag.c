#include "config/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

void st_diag_list_init(st_diag_list *l)
{
	l->items = NULL;
	l->count = 0;
	l->cap = 0;
}

void st_diag_list_free(st_diag_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].file);
		free(l->items[i].key_path);
		free(l->items[i].message);
	}
	free(l->items);
	st_diag_list_init(l);
}

void st_diag_add(st_diag_list *l, const char *file, unsigned line, unsigned col,
		 const char *key_path, const char *fmt, ...)
{
	if (l->count == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = st_xrealloc(l->items, l->cap * sizeof *l->items);
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = st_xvasprintf(fmt, ap);
	va_end(ap);
	st_diag *d = &l->items[l->count++];
	d->file = st_xstrdup(file ? file : "");
	d->line = line;
	d->col = line ? col : 0;
	d->key_path = st_xstrdup(key_path ? key_path : "");
	d->message = msg;
}

char *st_diag_format(const st_diag *d)
{
	st_buf b;
	st_buf_init(&b);
	st_buf_puts(&b, d->file);
	if (d->line)
		st_buf_printf(&b, ":%u:%u", d->line, d->col);
	st_buf_puts(&b, ": ");
	if (d->key_path[0])
		st_buf_printf(&b, "%s: ", d->key_path);
	st_buf_puts(&b, d->message);
	return st_buf_steal(&b);
}

void st_diag_print(const st_diag_list *l, FILE *fp)
{
	for (size_t i = 0; i < l->count; i++) {
		char *s = st_diag_format(&l->items[i]);
		fprintf(fp, "%s\n", s);
		free(s);
	}
}
