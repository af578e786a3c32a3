/* Encodings and checksums that both the client and the sandbox speak on the wire. */
#ifndef ST_CODEC_H
#define ST_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Standard alphabet with padding (Google's bytes fields, crc32c/md5Hash). */
char *st_base64_encode(const void *data, size_t len);
/* URL-safe alphabet without padding (JWT segments). */
char *st_base64url_encode(const void *data, size_t len);
/* Decodes either alphabet, padding optional, no whitespace. NULL when malformed. */
unsigned char *st_base64_decode(const char *s, size_t slen, size_t *out_len);

void st_hex_encode(const void *data, size_t len, char *out /* 2*len+1 */);

/* CRC32C (Castagnoli), as Cloud KMS and Cloud Storage use; chainable from crc=0. */
uint32_t st_crc32c(uint32_t crc, const void *data, size_t len);
/* Big-endian 4 bytes, base64: Cloud Storage's "crc32c" field. */
void st_crc32c_b64(uint32_t crc, char out[9]);

/* SHA-256 of data as 64 lowercase hex characters. */
void st_sha256_hex(const void *data, size_t len, char out[65]);

/* Cryptographically random bytes; 0 on success. */
int st_random_bytes(void *buf, size_t len);
/* Random RFC 4122 version-4 UUID, lowercase with hyphens. */
void st_uuid4(char out[37]);

#endif
