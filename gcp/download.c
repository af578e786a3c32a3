/* Downloads with an end-to-end CRC32C check against what the server says it stores. */
#include "gcp/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/codec.h"
#include "common/str.h"

typedef struct dl {
	gcp_done_fn done;
	void *user;
	char *object;
} dl;

/* X-Goog-Hash may come once per algorithm or once with a comma list; the crc32c value
 * is base64 of 4 bytes (8 characters). NULL when the server sent none. */
static const char *find_crc(const char *headers, char out[16])
{
	for (const char *p = headers; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > 12 && strncasecmp(p, "x-goog-hash:", 12) == 0) {
			const char *c = p + 12;
			while (c < p + len) {
				while (c < p + len && (*c == ' ' || *c == ','))
					c++;
				if ((size_t)(p + len - c) > 7 && strncmp(c, "crc32c=", 7) == 0) {
					c += 7;
					size_t n = 0;
					while (c + n < p + len && n < 15 && c[n] != ',' && c[n] != '\r' && c[n] != ' ')
						n++;
					memcpy(out, c, n);
					out[n] = '\0';
					return out;
				}
				while (c < p + len && *c != ',')
					c++;
			}
		}
		p = eol ? eol + 1 : p + len;
	}
	return NULL;
}

static void on_media(gcp_ctx *ctx, const gcp_resp *r, void *user)
{
	dl *d = user;
	gcp_resp out = *r;
	char want[16], enc[64], got[9];
	/* Bytes served decompressed do not match the stored checksum; nothing to compare. */
	if (r->ok && !r->cancelled && find_crc(r->headers, want) &&
	    !gcp_resp_header(r, "Content-Encoding", enc, sizeof enc)) {
		st_crc32c_b64(st_crc32c(0, r->body, r->body_len), got);
		if (strcmp(want, got) != 0) {
			out.ok = false;
			gcp_error_set(&out.err, (int)r->http, 15, NULL,
				      "download of %s: %zu bytes with crc32c %s, server says %s", d->object,
				      r->body_len, got, want);
		}
	}
	if (d->done)
		d->done(ctx, &out, d->user);
	free(d->object);
	free(d);
}

int gcp_gcs_download(gcp_ctx *ctx, const gcp_endpoints *ep, const char *bucket, const char *object, void *owner,
		     gcp_done_fn done, void *user, gcp_error *err)
{
	dl *d = st_xcalloc(1, sizeof *d);
	d->done = done;
	d->user = user;
	d->object = st_xstrdup(object);
	if (gcp_rq_send(ctx, gcp_gcs_object_download(ep, bucket, object), owner, on_media, d, err) != 0) {
		free(d->object);
		free(d);
		return -1;
	}
	return 0;
}
