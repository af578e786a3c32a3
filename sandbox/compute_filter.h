/* The `filter` of Compute's list methods, as the compute.*.list discovery text
 * describes it. Two styles, never mixed in one filter:
 *   AIP-160   field OP value, OP one of = != < <= > >= :   values bare, "double" or
 *             'single' quoted; ":" is a substring test on strings ("x*" a prefix test,
 *             "*" a presence test) and "=" on anything else; AND (also implied by
 *             juxtaposition), OR (binds tighter than AND, as in AIP-160), parentheses.
 *   legacy    field eq REGEX / field ne REGEX; the regex must match the whole value
 *             and passes the same guards as Logging's (sandbox/safe_regex.h).
 * Fields are dotted paths (scheduling.automaticRestart, labels.env); a path that
 * crosses an array matches when any element does. A missing field matches only
 * != and ne. */
#ifndef SB_COMPUTE_FILTER_H
#define SB_COMPUTE_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CF_MAX_LEN 4096
#define CF_MAX_DEPTH 32

typedef struct cf_expr cf_expr;

/* NULL with "position N: reason" (N counts from 1) in err when text is not a valid
 * filter. An empty or blank filter gives NULL with err "" and matches everything. */
cf_expr *cf_parse(const char *text, char *err, size_t errlen);
bool cf_match(const cf_expr *e, const json_t *doc); /* NULL e matches all */
void cf_free(cf_expr *e);

#endif
