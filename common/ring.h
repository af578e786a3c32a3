/* Fixed-capacity ring of text lines: the log tail keeps the newest N lines and
 * drops the oldest, so memory stays flat however long training runs. */
#ifndef ST_RING_H
#define ST_RING_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_ring st_ring;

st_ring *st_ring_new(size_t capacity);
void st_ring_free(st_ring *r);
/* Copies line; evicts the oldest when full. */
void st_ring_push(st_ring *r, const char *line);
size_t st_ring_count(const st_ring *r);
size_t st_ring_capacity(const st_ring *r);
/* i = 0 is the oldest line kept; NULL when i is out of range. */
const char *st_ring_get(const st_ring *r, size_t i);
/* Total lines ever pushed, so a reader can tell how many it missed. */
uint64_t st_ring_total(const st_ring *r);
void st_ring_clear(st_ring *r);

#endif
