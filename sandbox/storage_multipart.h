/* multipart/related bodies of Cloud Storage multipart uploads (metadata part, then
 * media part), parsed straight from the spooled request file so that the media
 * part is never held in memory: the parser only reports where each part lies. */
#ifndef SB_STORAGE_MULTIPART_H
#define SB_STORAGE_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#define SB_MP_MAX_PARTS 2

typedef struct sb_mp_part {
	uint64_t off, len;   /* body bytes inside the file */
	char *content_type;  /* the part's Content-Type, NULL when absent */
} sb_mp_part;

typedef struct sb_multipart {
	size_t nparts;
	sb_mp_part parts[SB_MP_MAX_PARTS];
} sb_multipart;

/* Extracts the boundary parameter of a multipart Content-Type (quoted or not);
 * NULL when it is missing, empty, or over 70 characters (RFC 2046). Caller frees. */
char *sb_multipart_boundary(const char *content_type);
/* Parses size bytes of the file at path. Exactly SB_MP_MAX_PARTS parts are required.
 * 0 ok; -1 with a one-line reason in err (truncated body, bad delimiter, ...). */
int sb_multipart_parse(const char *path, uint64_t size, const char *content_type,
		       sb_multipart *out, char *err, size_t errlen);
void sb_multipart_free(sb_multipart *m);

#endif
