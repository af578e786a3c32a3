#include "common/ring.h"

#include <stdlib.h>

#include "common/str.h"

struct st_ring {
	char **slot;
	size_t cap;
	size_t head; /* index of the oldest line */
	size_t count;
	uint64_t total;
};

st_ring *st_ring_new(size_t capacity)
{
	st_ring *r = st_xcalloc(1, sizeof *r);
	r->cap = capacity ? capacity : 1;
	r->slot = st_xcalloc(r->cap, sizeof *r->slot);
	return r;
}

void st_ring_clear(st_ring *r)
{
	for (size_t i = 0; i < r->cap; i++) {
		free(r->slot[i]);
		r->slot[i] = NULL;
	}
	r->head = r->count = 0;
}

void st_ring_free(st_ring *r)
{
	if (!r)
		return;
	st_ring_clear(r);
	free(r->slot);
	free(r);
}

void st_ring_push(st_ring *r, const char *line)
{
	size_t at = (r->head + r->count) % r->cap;
	if (r->count == r->cap) {
		free(r->slot[r->head]);
		at = r->head;
		r->head = (r->head + 1) % r->cap;
	} else {
		r->count++;
	}
	r->slot[at] = st_xstrdup(line);
	r->total++;
}

size_t st_ring_count(const st_ring *r)
{
	return r->count;
}

size_t st_ring_capacity(const st_ring *r)
{
	return r->cap;
}

const char *st_ring_get(const st_ring *r, size_t i)
{
	if (i >= r->count)
		return NULL;
	return r->slot[(r->head + i) % r->cap];
}

uint64_t st_ring_total(const st_ring *r)
{
	return r->total;
}
