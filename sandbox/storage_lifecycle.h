/* Object Lifecycle Management rules of a bucket: checked when a bucket is written,
 * evaluated against objects by the Storage module's tick. Pure functions. */
#ifndef SB_STORAGE_LIFECYCLE_H
#define SB_STORAGE_LIFECYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a rule looks at. Times in ms since the epoch (sandbox time). */
typedef struct sb_lc_object {
	const char *name;
	const char *storage_class;
	int64_t created_ms;
	int64_t noncurrent_ms; /* when it became noncurrent; 0 while live */
	bool live;
	int64_t num_newer; /* newer generations of the same name */
} sb_lc_object;

enum sb_lc_action { SB_LC_NONE, SB_LC_DELETE, SB_LC_SET_CLASS };

/* Validates a bucket's "lifecycle" value ({"rule":[...]}). 0 ok; -1 with a message
 * naming the rule and field in err. */
int sb_lifecycle_validate(const json_t *lifecycle, char *err, size_t errlen);
/* The action due for o at now_ms. Delete wins over class changes; among class
 * changes the coldest class wins. *new_class is borrowed from lifecycle. */
enum sb_lc_action sb_lifecycle_eval(const json_t *lifecycle, const sb_lc_object *o,
				    int64_t now_ms, const char **new_class);
/* Rank of a storage class (STANDARD 0 .. ARCHIVE 3); -1 when unknown. */
int sb_storage_class_rank(const char *cls);

#endif
