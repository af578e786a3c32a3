/* State shared by the upload helper (upload.c: sources, one-shot uploads, the final
 * checksum) and the resumable session protocol (upload_resumable.c). */
#ifndef GCP_UPLOAD_PRIV_H
#define GCP_UPLOAD_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "gcp/storage.h"

/* A chunk or status query that fails this many times in a row without the server
 * holding one more byte ends the upload. */
#define GCP_UP_MAX_RESUMES 8

typedef struct gcp_up {
	gcp_ctx *ctx;
	const gcp_endpoints *ep; /* borrowed: outlives every request by contract */
	void *owner;
	gcp_done_fn done;
	void *user;
	gcp_progress_fn progress;
	void *progress_user;
	char *bucket, *object, *ctype, *kms_key;
	int fd;                 /* resumable from a file, or -1 */
	unsigned char *buf;     /* whole data in memory, or NULL */
	uint64_t total, sent;
	size_t chunk;
	uint32_t crc;
	char *session;
	int resumes;            /* failures since the server last gained bytes */
	bool restarted;         /* the session expired once and was begun again */
} gcp_up;

/* Ends the upload: checks the stored crc32c on success, calls back, frees u. */
void gcp__up_finish(gcp_up *u, const gcp_resp *r);
/* Ends the upload with e (no HTTP answer to pass on). */
void gcp__up_fail(gcp_up *u, const gcp_error *e);
/* n bytes of the source from off; -1 when the file shrank or cannot be read. */
int gcp__up_read_at(gcp_up *u, unsigned char *dst, uint64_t off, size_t n);
/* Opens a resumable session and sends every chunk, resuming after failures. */
int gcp__up_resumable_begin(gcp_up *u, gcp_error *e);

#endif
