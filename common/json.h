/* jansson helpers: bounded parsing and typed reads by dotted path.
 * Google sends int64 values as JSON strings; stj_int64 accepts both forms. */
#ifndef ST_JSON_H
#define ST_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses at most max_bytes of buf. On failure returns NULL and writes a one-line reason
 * ("line 3 column 7: ...") to err. Rejects invalid UTF-8 and nesting deeper than 64. */
json_t *stj_parse(const char *buf, size_t len, size_t max_bytes, char *err, size_t errlen);
/* Follows "a.b.c" through objects; "a.0.b" indexes arrays. Borrowed reference or NULL. */
json_t *stj_get(const json_t *root, const char *path);
/* The string at path, or NULL when absent or not a string. */
const char *stj_str(const json_t *root, const char *path);
/* Integer at path as a JSON integer or a decimal string; false when absent or malformed. */
bool stj_int64(const json_t *root, const char *path, int64_t *out);
/* Boolean at path; def when absent or not a boolean. */
bool stj_bool(const json_t *root, const char *path, bool def);
/* Compact, key-order-preserving dump; caller frees. Never NULL. */
char *stj_dump(const json_t *v);
/* int64 as Google sends it: a JSON string. */
json_t *stj_int64_string(int64_t v);

#endif
