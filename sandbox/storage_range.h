/* HTTP Range requests on object media (RFC 7233, single byte range). */
#ifndef SB_STORAGE_RANGE_H
#define SB_STORAGE_RANGE_H

#include <stdint.h>

enum sb_range_result {
	SB_RANGE_FULL = 0,          /* no header, or one we ignore: send the whole object */
	SB_RANGE_PARTIAL = 1,       /* 206 with [*off, *off + *len) */
	SB_RANGE_UNSATISFIABLE = -1 /* 416 */
};

/* Interprets a Range header for an object of size bytes. Malformed values and
 * multi-range requests are ignored (served whole), as RFC 7233 allows. */
enum sb_range_result sb_range_parse(const char *header, uint64_t size, uint64_t *off,
				    uint64_t *len);

#endif
