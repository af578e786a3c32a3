/* The Cloud Logging query language, the subset sealtrain and gcloud use:
 * comparisons (= != < <= > >= : =~ !~) on dotted field paths, quoted or bare
 * values, value groups "field=(a OR b)", NOT / -, AND (also by juxtaposition), OR
 * (which binds tighter than AND, as in Google's language), parentheses, bare
 * words as text search, and the functions log_id("ID") and SEARCH("text"). severity compares by rank, timestamps as instants. */
#ifndef SB_LOGGING_FILTER_H
#define SB_LOGGING_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct lf_expr lf_expr;

/* NULL with "column N: reason" in err when text is not a valid filter. */
lf_expr *lf_parse(const char *text, char *err, size_t errlen);
bool lf_match(const lf_expr *e, const json_t *entry);
void lf_free(lf_expr *e);

#endif
